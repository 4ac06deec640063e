@testable import MockServer
import MySQLWire
import NIOCore
import NIOEmbedded
import Testing

@Suite("Expiry queue")
struct ExpiryQueueTests {
    @Test("an entry runs once its duration has passed, not before")
    func runsAtDeadline() throws {
        let loop = EmbeddedEventLoop()
        let queue = ExpiryQueue(duration: .seconds(10), loop: loop)
        var fired = 0
        let entry = queue.arm { fired += 1 }
        loop.advanceTime(by: .milliseconds(9_999))
        #expect(fired == 0)
        #expect(entry.isArmed)
        loop.advanceTime(by: .milliseconds(1))
        #expect(fired == 1)
        #expect(!entry.isArmed)
        #expect(queue.storedCount == 0)
        loop.advanceTime(by: .seconds(60))
        #expect(fired == 1)
        queue.cancel(entry)  // after it ran: nothing happens
        #expect(queue.storedCount == 0)
    }

    @Test("entries armed at different times run at their own deadlines, in order")
    func order() {
        let loop = EmbeddedEventLoop()
        let queue = ExpiryQueue(duration: .seconds(1), loop: loop)
        var fired: [String] = []
        _ = queue.arm { fired.append("a") }
        loop.advanceTime(by: .milliseconds(400))
        _ = queue.arm { fired.append("b") }
        loop.advanceTime(by: .milliseconds(300))
        _ = queue.arm { fired.append("c") }
        loop.advanceTime(by: .milliseconds(300))  // t = 1.0
        #expect(fired == ["a"])
        loop.advanceTime(by: .milliseconds(400))  // t = 1.4
        #expect(fired == ["a", "b"])
        loop.advanceTime(by: .milliseconds(299))  // t = 1.699
        #expect(fired == ["a", "b"])
        loop.advanceTime(by: .milliseconds(1))
        #expect(fired == ["a", "b", "c"])
    }

    @Test("a cancelled entry never runs and does not hold back the ones behind it")
    func cancel() {
        let loop = EmbeddedEventLoop()
        let queue = ExpiryQueue(duration: .seconds(1), loop: loop)
        var fired: [String] = []
        let a = queue.arm { fired.append("a") }
        loop.advanceTime(by: .milliseconds(500))
        let b = queue.arm { fired.append("b") }
        queue.cancel(a)
        #expect(!a.isArmed)
        #expect(queue.storedCount == 1)
        loop.advanceTime(by: .milliseconds(500))
        #expect(fired.isEmpty)
        loop.advanceTime(by: .milliseconds(500))
        #expect(fired == ["b"])
        #expect(!b.isArmed)
        queue.cancel(nil)
    }

    @Test("cancelled entries behind a long-lived one are compacted away")
    func compaction() {
        let loop = EmbeddedEventLoop()
        let queue = ExpiryQueue(duration: .seconds(10), loop: loop)
        var fired = 0
        _ = queue.arm { fired += 1 }  // stays armed at the front
        for _ in 0..<10_000 {
            let entry = queue.arm { fired += 100 }
            queue.cancel(entry)
        }
        #expect(queue.storedCount <= 130)
        loop.advanceTime(by: .seconds(10))
        #expect(fired == 1)
        #expect(queue.storedCount == 0)
    }

    @Test("an action may arm and cancel entries of the same queue")
    func reentrant() {
        let loop = EmbeddedEventLoop()
        let queue = ExpiryQueue(duration: .seconds(1), loop: loop)
        var fired: [String] = []
        var second: ExpiryQueue.Entry?
        _ = queue.arm {
            fired.append("first")
            _ = queue.arm { fired.append("re-armed") }
            queue.cancel(second)
        }
        second = queue.arm { fired.append("second") }
        loop.advanceTime(by: .seconds(1))
        #expect(fired == ["first"])
        loop.advanceTime(by: .seconds(1))
        #expect(fired == ["first", "re-armed"])
        #expect(queue.storedCount == 0)
    }

    @Test("the loop's timers: one set per loop, an idle queue only with a wait timeout")
    func loopTimers() throws {
        let loop = EmbeddedEventLoop()
        let timers = LoopTimers(loop: loop, connectTimeout: .milliseconds(2500), waitTimeout: nil)
        #expect(timers.connect.duration == .milliseconds(2500))
        #expect(timers.quitGrace.duration == .seconds(1))
        #expect(timers.idle == nil)
        let idle = try #require(LoopTimers(loop: loop, connectTimeout: .seconds(1), waitTimeout: .seconds(28800)).idle)
        #expect(idle.duration == .seconds(28800))
    }
}

@Suite("Expected auth responses")
struct ExpectedAuthResponsesTests {
    @Test("the memo answers what AuthScramble computes, for each plugin, password and nonce")
    func matchesAuthScramble() {
        let nonce = Array("01234567890123456789".utf8)
        for plugin in [AuthPlugin.nativePassword, AuthPlugin.cachingSHA2Password] {
            for password in ["", "secret", "pässwörd"] {
                let expected = AuthScramble.response(plugin: plugin, password: password, nonce: nonce)
                #expect(ExpectedAuthResponses.response(plugin: plugin, password: password, nonce: nonce) == expected)
                #expect(ExpectedAuthResponses.response(plugin: plugin, password: password, nonce: nonce) == expected)
            }
        }
        let other = Array("abcdefghijklmnopqrst".utf8)
        #expect(ExpectedAuthResponses.response(plugin: AuthPlugin.nativePassword, password: "secret", nonce: other)
            == AuthScramble.response(plugin: AuthPlugin.nativePassword, password: "secret", nonce: other))
        #expect(ExpectedAuthResponses.response(plugin: "no_such_plugin", password: "x", nonce: nonce) == nil)
        #expect(ExpectedAuthResponses.count <= ExpectedAuthResponses.capacity)
    }
}
