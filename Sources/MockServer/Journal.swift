import NIOConcurrencyHelpers

/// One statement a client sent, as the journal keeps it.
public struct JournalEntry: Sendable, Hashable {
    /// Position in the journal since start (or the last reset): 1, 2, 3, …
    public var sequence: Int
    public var connectionID: UInt32
    public var wireProtocol: String
    public var user: String?
    public var statement: String
    /// Which trace entry answered (`stmts[3]`), or `nil` when nothing in the trace did.
    public var answeredBy: String?
    /// `ok`, `error` or `result`.
    public var kind: String
    /// Seconds since 1970 when the statement arrived and when its answer was ready.
    public var receivedAt: Double
    public var answeredAt: Double

    public var unmatched: Bool { answeredBy == nil }

    public init(sequence: Int = 0, connectionID: UInt32, wireProtocol: String, user: String?, statement: String,
                answeredBy: String?, kind: String, receivedAt: Double, answeredAt: Double) {
        self.sequence = sequence
        self.connectionID = connectionID
        self.wireProtocol = wireProtocol
        self.user = user
        self.statement = statement
        self.answeredBy = answeredBy
        self.kind = kind
        self.receivedAt = receivedAt
        self.answeredAt = answeredAt
    }
}

/// A bounded, in-order record of every statement received, for tests to inspect
/// (`GET /api/v1/mock_server/journal`) and to wait on (`POST …/journal/wait`).
public final class Journal: Sendable {
    private struct State {
        /// A ring: `entries[start...]` then `entries[..<start]` once full.
        var entries: [JournalEntry] = []
        var start = 0
        var next = 1
        var dropped = 0
        var waiters: [UInt64: (predicate: @Sendable (JournalEntry) -> Bool, count: Int,
                               continuation: CheckedContinuation<[JournalEntry]?, Never>)] = [:]
        var nextWaiter: UInt64 = 0

        /// Oldest first.
        var ordered: [JournalEntry] {
            start == 0 ? entries : Array(entries[start...] + entries[..<start])
        }
    }

    public let capacity: Int
    private let state = NIOLockedValueBox(State())

    public init(capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
    }

    /// Records a statement (the sequence number is assigned here).
    public func append(_ entry: JournalEntry) {
        let ready = state.withLockedValue { state -> [(CheckedContinuation<[JournalEntry]?, Never>, [JournalEntry])] in
            var e = entry
            e.sequence = state.next
            state.next += 1
            if state.entries.count < capacity {
                state.entries.append(e)
            } else {
                state.entries[state.start] = e
                state.start = (state.start + 1) % capacity
                state.dropped += 1
            }
            var ready: [(CheckedContinuation<[JournalEntry]?, Never>, [JournalEntry])] = []
            if state.waiters.isEmpty { return ready }
            let ordered = state.ordered
            for (id, waiter) in state.waiters {
                let matches = ordered.filter(waiter.predicate)
                if matches.count >= waiter.count {
                    ready.append((waiter.continuation, matches))
                    state.waiters[id] = nil
                }
            }
            return ready
        }
        for (continuation, matches) in ready { continuation.resume(returning: matches) }
    }

    /// Entries in order, and how many were dropped because the journal was full.
    public func snapshot() -> (entries: [JournalEntry], dropped: Int) {
        state.withLockedValue { ($0.ordered, $0.dropped) }
    }

    /// Forgets every entry (sequence numbers start again at 1).
    public func reset() {
        state.withLockedValue {
            $0.entries.removeAll()
            $0.start = 0
            $0.dropped = 0
            $0.next = 1
        }
    }

    /// Waits until at least `count` kept entries satisfy `predicate`; returns them, or `nil` after
    /// `timeout`.
    public func wait(count: Int, timeout: Duration, predicate: @escaping @Sendable (JournalEntry) -> Bool) async
        -> [JournalEntry]?
    {
        let id = state.withLockedValue { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskGroup(of: [JournalEntry]?.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<[JournalEntry]?, Never>) in
                    let now = self.state.withLockedValue { state -> [JournalEntry]? in
                        let matches = state.ordered.filter(predicate)
                        if matches.count >= count { return matches }
                        state.waiters[id] = (predicate, count, continuation)
                        return nil
                    }
                    if let now { continuation.resume(returning: now) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                let waiter = self.state.withLockedValue { $0.waiters.removeValue(forKey: id) }
                waiter?.continuation.resume(returning: nil)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            if first != nil {
                // The timer task ends when cancelled; make sure no waiter is left behind.
                let waiter = state.withLockedValue { $0.waiters.removeValue(forKey: id) }
                waiter?.continuation.resume(returning: nil)
            }
            return first
        }
    }
}
