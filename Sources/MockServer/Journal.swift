import MySQLWire
import NIOConcurrencyHelpers
import ServiceLifecycle

/// One statement a client sent, as the journal keeps it.
public struct JournalEntry: Sendable, Hashable {
    /// Position in the journal since start (or the last reset): 1, 2, 3, …
    public var sequence: Int
    public var connectionID: UInt32
    public var wireProtocol: String
    public var user: String?
    /// The statement, cut at `Journal.maxStatementBytes` (see `statementBytes`).
    public var statement: String
    /// The statement's full length in bytes (more than `statement` holds when it was cut).
    public var statementBytes: Int
    /// Which trace entry answered (`stmts[3]`), or `nil` when nothing in the trace did.
    public var answeredBy: String?
    /// `ok`, `error` or `result`.
    public var kind: String
    /// Seconds since 1970 when the statement arrived and when its answer was ready.
    public var receivedAt: Double
    public var answeredAt: Double

    public var unmatched: Bool { answeredBy == nil }
    /// The journal kept only the start of the statement.
    public var truncated: Bool { statement.utf8.count < statementBytes }

    public init(sequence: Int = 0, connectionID: UInt32, wireProtocol: String, user: String?, statement: String,
                answeredBy: String?, kind: String, receivedAt: Double, answeredAt: Double) {
        self.sequence = sequence
        self.connectionID = connectionID
        self.wireProtocol = wireProtocol
        self.user = user
        self.statement = statement
        self.statementBytes = statement.utf8.count
        self.answeredBy = answeredBy
        self.kind = kind
        self.receivedAt = receivedAt
        self.answeredAt = answeredAt
    }
}

/// Why `Journal.wait` did not wait.
public enum JournalWaitRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// `Journal.maxWaiters` waits are pending already.
    case tooManyWaiters(Int)
    /// The server is shutting down.
    case closed

    public var description: String {
        switch self {
        case .tooManyWaiters(let n): "\(n) journal waits are pending already; try again when one has ended"
        case .closed: "the server is shutting down"
        }
    }
}

/// A bounded, in-order record of every statement received, for tests to inspect
/// (`GET /api/v1/mock_server/journal`) and to wait on (`POST …/journal/wait`).
///
/// A wait looks at the entries it finds when it starts once, then only at each new entry, so
/// pending waits cost a statement one predicate call each, whatever the journal holds. Waits are
/// bounded in number and all end at shutdown (`close()`).
public final class Journal: Sendable {
    /// Pending waits at most; one more is refused.
    public static let maxWaiters = 64
    /// Statements are kept up to this many bytes (cut on a character boundary); the entry records
    /// the full length.
    public static let defaultMaxStatementBytes = 64 << 10

    private struct Waiter {
        var predicate: @Sendable (JournalEntry) -> Bool
        var count: Int
        var matches: [JournalEntry]
        var continuation: CheckedContinuation<[JournalEntry]?, Never>
    }

    private struct State {
        /// A ring: `entries[start...]` then `entries[..<start]` once full.
        var entries: [JournalEntry] = []
        var start = 0
        var next = 1
        var dropped = 0
        var waiters: [UInt64: Waiter] = [:]
        /// Waits whose time ran out (or whose task was cancelled) before they were registered.
        var expired: Set<UInt64> = []
        /// Waits registered or about to be (counted against `maxWaiters`).
        var waiting = 0
        var nextWaiter: UInt64 = 0
        var closed = false

        /// Oldest first.
        var ordered: [JournalEntry] {
            start == 0 ? entries : Array(entries[start...] + entries[..<start])
        }
    }

    public let capacity: Int
    public let maxStatementBytes: Int
    private let state = NIOLockedValueBox(State())

    public init(capacity: Int = 10_000, maxStatementBytes: Int = Journal.defaultMaxStatementBytes) {
        self.capacity = max(1, capacity)
        self.maxStatementBytes = max(0, maxStatementBytes)
    }

    /// Records a statement (the sequence number is assigned here; a statement longer than
    /// `maxStatementBytes` is cut, its full length kept in `statementBytes`).
    public func append(_ entry: JournalEntry) {
        var e = entry
        if e.statement.utf8.count > maxStatementBytes {
            e.statement = e.statement.prefix(utf8Bytes: maxStatementBytes)
        }
        let ready = state.withLockedValue { state -> [(CheckedContinuation<[JournalEntry]?, Never>, [JournalEntry])] in
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
            for (id, var waiter) in state.waiters where waiter.predicate(e) {
                waiter.matches.append(e)
                if waiter.matches.count >= waiter.count {
                    ready.append((waiter.continuation, waiter.matches))
                    state.waiters[id] = nil
                } else {
                    state.waiters[id] = waiter
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

    /// Waits in progress (at most `maxWaiters`).
    public var pendingWaits: Int { state.withLockedValue { $0.waiting } }

    /// `close()` was called: the server is shutting down.
    public var isClosed: Bool { state.withLockedValue { $0.closed } }

    /// Ends every pending wait (with `nil`) and refuses new ones: the server is shutting down.
    public func close() {
        let waiters = state.withLockedValue { state -> [Waiter] in
            state.closed = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.continuation.resume(returning: nil) }
    }

    /// Waits until at least `count` entries satisfy `predicate` (the kept ones when the wait starts,
    /// then each new one); returns them, or `nil` after `timeout`, when the calling task is
    /// cancelled, or when the journal closes. Refused beyond `maxWaiters` pending waits.
    public func wait(count: Int, timeout: Duration, predicate: @escaping @Sendable (JournalEntry) -> Bool)
        async throws(JournalWaitRefusal) -> [JournalEntry]?
    {
        let registered = state.withLockedValue { state -> Result<UInt64, JournalWaitRefusal> in
            guard !state.closed else { return .failure(.closed) }
            guard state.waiting < Self.maxWaiters else { return .failure(.tooManyWaiters(state.waiting)) }
            state.waiting += 1
            state.nextWaiter += 1
            return .success(state.nextWaiter)
        }
        let id = try registered.get()
        defer {
            state.withLockedValue {
                $0.waiting -= 1
                $0.expired.remove(id)
            }
        }
        return await withTaskGroup(of: [JournalEntry]?.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<[JournalEntry]?, Never>) in
                    let now = self.state.withLockedValue { state -> [JournalEntry]?? in
                        // The timer may have run out before this task got here (a timeout of 0).
                        if state.closed || state.expired.contains(id) { return .some(nil) }
                        let matches = state.ordered.filter(predicate)
                        if matches.count >= count { return matches }
                        state.waiters[id] = Waiter(predicate: predicate, count: count, matches: matches,
                                                   continuation: continuation)
                        return nil
                    }
                    if let now { continuation.resume(returning: now) }
                }
            }
            group.addTask {
                // Ends at the timeout, or at once when the caller's task is cancelled.
                try? await Task.sleep(for: timeout)
                let waiter = self.state.withLockedValue { state in
                    guard let waiter = state.waiters.removeValue(forKey: id) else {
                        state.expired.insert(id)
                        return nil as Waiter?
                    }
                    return waiter
                }
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

/// Ends the journal's pending waits when the server shuts down, so that no REST client waiting on
/// the journal (with a timeout of hours, or gone) holds up the exit. Put it after the admin API in
/// the service group: services stop in reverse order.
public struct JournalShutdown: Service {
    let journal: Journal

    public init(journal: Journal) {
        self.journal = journal
    }

    public func run() async throws {
        try? await gracefulShutdown()
        journal.close()
    }
}
