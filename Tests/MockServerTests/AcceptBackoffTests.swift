@testable import MockServer
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Accepting under resource shortage")
struct AcceptBackoffTests {
    @Test("out of descriptors, a listener stops reading for the pause, then reads again; other errors pass on")
    func pause() throws {
        // (EmbeddedChannel ignores autoRead; that turning it off stops a real listener from spinning
        // was measured with strace: 2,700 failed accept4 a second before, none after.)
        let handler = AcceptBackoff(logger: Logger(label: "test"))
        let channel = EmbeddedChannel(handler: handler)
        channel.pipeline.fireErrorCaught(IOError(errnoCode: EMFILE, reason: "accept"))
        #expect(handler.isPaused)
        #expect(throws: Never.self) { try channel.throwIfErrorCaught() }  // handled here
        channel.pipeline.fireErrorCaught(IOError(errnoCode: ENFILE, reason: "accept"))  // no second timer
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(49))
        #expect(handler.isPaused)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!handler.isPaused)
        channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNABORTED, reason: "accept"))
        #expect(!handler.isPaused)
        #expect(throws: IOError.self) { try channel.throwIfErrorCaught() }
    }

    @Test("the descriptor budget leaves a reserve, at most half of a small limit")
    func budget() {
        #expect(DescriptorBudget(limit: 0).limit == 1)
        let budget = DescriptorBudget(limit: 2)
        budget.opened()
        #expect(!budget.isSpent)
        budget.opened()
        #expect(budget.isSpent)
        let woken = Atomic(false)
        #expect(budget.pause(ObjectIdentifier(AcceptBackoffTests.self)) { woken.store(true, ordering: .relaxed) })
        budget.closed()
        let wasWoken = woken.load(ordering: .relaxed)
        #expect(wasWoken)
        #expect(!budget.isSpent)
        #expect(!budget.pause(ObjectIdentifier(AcceptBackoffTests.self)) {})
    }
}
