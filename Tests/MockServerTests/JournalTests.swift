import MockServer
import NIOConcurrencyHelpers
import Testing

@Suite("Journal")
struct JournalTests {
    func entry(_ statement: String) -> JournalEntry {
        JournalEntry(connectionID: 1, wireProtocol: "classic", user: nil, statement: statement, answeredBy: nil,
                     kind: "ok", receivedAt: 0, answeredAt: 0)
    }

    @Test("a pending wait looks at the kept entries once, then only at each new entry")
    func incremental() async throws {
        let journal = Journal(capacity: 10_000)
        for i in 0..<1000 { journal.append(entry("old \(i)")) }
        let calls = NIOLockedValueBox(0)
        async let found = journal.wait(count: 1, timeout: .seconds(10)) { e in
            calls.withLockedValue { $0 += 1 }
            return e.statement == "wanted"
        }
        while journal.snapshot().entries.count < 1000 || calls.withLockedValue({ $0 }) < 1000 { await Task.yield() }
        for i in 0..<1000 { journal.append(entry("new \(i)")) }
        journal.append(entry("wanted"))
        #expect(try await found?.map(\.statement) == ["wanted"])
        #expect(calls.withLockedValue { $0 } == 2001)
    }

    @Test("a wait after an entry sees only newer ones, and a reset ends it (what a long-polling reader needs)")
    func afterAndReset() async throws {
        let journal = Journal()
        for i in 0..<3 { journal.append(entry("seen \(i)")) }
        async let next = journal.wait(count: 1, after: 3, timeout: .seconds(60)) { _ in true }
        while journal.pendingWaits == 0 { await Task.yield() }
        journal.append(entry("new"))
        #expect(try await next?.map(\.statement) == ["new"])

        async let reset = journal.wait(count: 1, after: 4, timeout: .seconds(60)) { _ in true }
        while journal.pendingWaits == 0 { await Task.yield() }
        let started = ContinuousClock.now
        journal.reset()
        #expect(try await reset == [])
        // The reset, not the minute's timeout, ended it (the bound only has to be far below 60 s).
        #expect(ContinuousClock.now - started < .seconds(30))
        // A caller that saw another count of resets is answered at once.
        #expect(try await journal.wait(count: 1, after: 4, resets: 0, timeout: .seconds(60)) { _ in true } == [])
        // A wait from the start is not ended by a reset: it goes on from the first new entry.
        async let fromStart = journal.wait(count: 1, timeout: .seconds(60)) { $0.statement == "after reset" }
        while journal.pendingWaits == 0 { await Task.yield() }
        journal.reset()
        journal.append(entry("after reset"))
        #expect(try await fromStart?.map(\.statement) == ["after reset"])
    }

    @Test("waits are bounded; one more is refused")
    func bounded() async throws {
        let journal = Journal()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<Journal.maxWaiters {
                group.addTask { _ = try await journal.wait(count: 1, timeout: .seconds(60)) { _ in false } }
            }
            while journal.pendingWaits < Journal.maxWaiters { try await Task.sleep(for: .milliseconds(5)) }
            await #expect(throws: JournalWaitRefusal.tooManyWaiters(Journal.maxWaiters)) {
                try await journal.wait(count: 1, timeout: .milliseconds(1)) { _ in false }
            }
            journal.close()
            try await group.waitForAll()
        }
    }

    @Test("close ends pending waits at once and refuses new ones")
    func close() async throws {
        let journal = Journal()
        let started = ContinuousClock.now
        async let pending = journal.wait(count: 1, timeout: .seconds(86_400)) { _ in false }
        try await Task.sleep(for: .milliseconds(50))
        journal.close()
        #expect(try await pending == nil)
        // Ended by the close, not by its day-long timeout. The bound is loose on purpose: the tests
        // run in parallel on two cores, and the CPU-heavy ones (16 MiB compression round trips, a
        // 20,000-row relay) can hold the cooperative pool for seconds (this took 5.75 s once in CI).
        #expect(ContinuousClock.now - started < .seconds(120))
        await #expect(throws: JournalWaitRefusal.self) { try await journal.wait(count: 1, timeout: .seconds(1)) { _ in true } }
    }

    @Test("a wait whose time runs out before it is registered still ends (timeout 0)")
    func zeroTimeout() async throws {
        let journal = Journal()
        for _ in 0..<200 {
            #expect(try await journal.wait(count: 1, timeout: .zero) { _ in false } == nil)
        }
        #expect(journal.pendingWaits == 0)
    }

    @Test("a cancelled waiter ends at once")
    func cancelled() async throws {
        let journal = Journal()
        let task = Task { try await journal.wait(count: 1, timeout: .seconds(86_400)) { _ in false } }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        #expect(try await task.value == nil)
    }

    @Test("statements are kept up to a size; the full length is recorded")
    func statementSize() {
        let journal = Journal(capacity: 10, maxStatementBytes: 5)
        journal.append(entry("select 1"))
        journal.append(entry("ééé"))
        let entries = journal.snapshot().entries
        #expect(entries.map(\.statement) == ["selec", "éé"])
        #expect(entries.map(\.statementBytes) == [8, 6])
        #expect(entries.map(\.truncated) == [true, true])
    }
}
