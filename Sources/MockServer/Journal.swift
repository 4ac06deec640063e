import MockModel
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
    /// How the statement came: `query`, `prepare` or `execute`.
    public var statementKind = "query"
    /// The fault the answer carried (from the trace or armed over REST), as its name.
    public var fault: String?
    /// The scenario the answer moved (`name: from → to`).
    public var scenarioChange: String?
    /// The prepared statement's id (`execute`); 0 otherwise.
    public var statementID: UInt32 = 0
    /// The parameters of an execution, as SQL (`7`, `'x y'`, `NULL`).
    public var parameters: [String] = []
    /// Query attributes sent with the statement: name and value as SQL.
    public var attributes: [Attribute] = []
    /// The error the statement got, if its answer was one (or ended with one): for a statement no
    /// trace entry answered, the message says why and names the closest entry.
    public var error: Failure?
    /// The `exec_time` of the answer's results together: how long the server waited before sending.
    public var execTime: Duration = .zero

    /// The file the client sent for the statement (`LOAD DATA LOCAL INFILE`), if it was asked for one.
    public var upload: Upload?

    public struct Upload: Sendable, Hashable {
        /// The name the server asked for.
        public var filename: String
        /// How many bytes the client sent in all.
        public var bytes = 0
        /// The first of them (as many as the journal keeps of a statement).
        public var data: [UInt8] = []

        public init(filename: String) {
            self.filename = filename
        }

        /// Counts a packet of the file, keeping its bytes up to `limit` in all.
        public mutating func append(_ chunk: some Collection<UInt8>, keepingUpTo limit: Int) {
            bytes += chunk.count
            if data.count < limit { data += chunk.prefix(limit - data.count) }
        }
    }

    public struct Failure: Sendable, Hashable {
        public var code: UInt16
        public var sqlState: String
        public var message: String

        public init(_ error: ErrorResponse) {
            code = error.code
            sqlState = error.sqlState
            message = error.message
        }
    }

    public struct Attribute: Sendable, Hashable {
        public var name: String
        public var value: String
    }

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
/// Recording a statement never runs a wait's predicate: it stores the entry and wakes the waits
/// that are asleep. Each wait then looks at the entries it has not seen yet in its own task, off
/// the event loops, so a slow predicate (a REST caller's regular expression) costs that wait's
/// time, never a client's. Waits are bounded in number and all end at shutdown (`close()`).
public final class Journal: Sendable {
    /// Pending waits at most; one more is refused.
    public static let maxWaiters = 64
    /// Statements are kept up to this many bytes (cut on a character boundary); the entry records
    /// the full length.
    public static let defaultMaxStatementBytes = 64 << 10

    private struct State {
        /// A ring: `entries[start...]` then `entries[..<start]` once full.
        var entries: [JournalEntry] = []
        var start = 0
        var next = 1
        var dropped = 0
        /// How many times the journal was reset (a wait then starts again from its first entry).
        var resets = 0
        /// Waits that have seen every entry, woken by the next one (or by their end).
        var sleepers: [UInt64: CheckedContinuation<[JournalEntry]?, Never>] = [:]
        /// Waits whose time ran out or whose task was cancelled.
        var ended: Set<UInt64> = []
        /// Waits registered (counted against `maxWaiters`).
        var waiting = 0
        var nextWaiter: UInt64 = 0
        var closed = false

        /// Oldest first.
        var ordered: [JournalEntry] {
            start == 0 ? entries : Array(entries[start...] + entries[..<start])
        }

        /// The kept entries whose sequence number is above `cursor`, oldest first.
        func entries(after cursor: Int) -> [JournalEntry] {
            let count = min(max(0, next - 1 - cursor), entries.count)
            return (entries.count - count..<entries.count).map { entries[(start + $0) % entries.count] }
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
        let woken = state.withLockedValue { state -> [CheckedContinuation<[JournalEntry]?, Never>] in
            e.sequence = state.next
            state.next += 1
            if state.entries.count < capacity {
                state.entries.append(e)
            } else {
                state.entries[state.start] = e
                state.start = (state.start + 1) % capacity
                state.dropped += 1
            }
            if state.sleepers.isEmpty { return [] }
            defer { state.sleepers.removeAll(keepingCapacity: true) }
            return Array(state.sleepers.values)
        }
        // A sleeper had seen every entry before this one.
        for continuation in woken { continuation.resume(returning: [e]) }
    }

    /// Entries in order, and how many were dropped because the journal was full.
    public func snapshot() -> (entries: [JournalEntry], dropped: Int) {
        state.withLockedValue { ($0.ordered, $0.dropped) }
    }

    /// The kept entries numbered above `cursor`, oldest first (what a reader that has seen up to
    /// `cursor` has not seen), how many were dropped, and how many times the journal was reset: a
    /// reader whose count of resets changed starts again from 0.
    public func entries(after cursor: Int) -> (entries: [JournalEntry], dropped: Int, resets: Int) {
        state.withLockedValue { ($0.entries(after: cursor), $0.dropped, $0.resets) }
    }

    /// Forgets every entry (sequence numbers start again at 1).
    public func reset() {
        let woken = state.withLockedValue { state -> [CheckedContinuation<[JournalEntry]?, Never>] in
            state.entries.removeAll()
            state.start = 0
            state.dropped = 0
            state.next = 1
            state.resets += 1
            defer { state.sleepers.removeAll() }
            return Array(state.sleepers.values)
        }
        // Each wait looks again: one that started after an entry ends (the journal it counted in
        // is gone), the others start over from the first entry.
        for sleeper in woken { sleeper.resume(returning: []) }
    }

    /// Waits in progress (at most `maxWaiters`).
    public var pendingWaits: Int { state.withLockedValue { $0.waiting } }

    /// `close()` was called: the server is shutting down.
    public var isClosed: Bool { state.withLockedValue { $0.closed } }

    /// Ends every pending wait (with `nil`) and refuses new ones: the server is shutting down.
    public func close() {
        let sleepers = state.withLockedValue { state -> [CheckedContinuation<[JournalEntry]?, Never>] in
            state.closed = true
            defer { state.sleepers.removeAll() }
            return Array(state.sleepers.values)
        }
        for sleeper in sleepers { sleeper.resume(returning: nil) }
    }

    /// Waits until at least `count` entries satisfy `predicate` (the kept ones when the wait starts,
    /// then each new one); returns them, or `nil` after `timeout`, when the calling task is
    /// cancelled, or when the journal closes. Refused beyond `maxWaiters` pending waits.
    ///
    /// With `after`, the wait looks only at the entries numbered above it, and a reset of the
    /// journal ends it with the matches so far (none, for a wait of one): the caller counted in a
    /// journal that is gone. So does a count of `resets` other than the journal's when it starts.
    public func wait(count: Int, after start: Int = 0, resets known: Int? = nil, timeout: Duration,
                     predicate: @escaping @Sendable (JournalEntry) -> Bool) async throws(JournalWaitRefusal) -> [JournalEntry]?
    {
        let registered = state.withLockedValue { state -> Result<(UInt64, Int)?, JournalWaitRefusal> in
            guard !state.closed else { return .failure(.closed) }
            if let known, known != state.resets { return .success(nil) }
            guard state.waiting < Self.maxWaiters else { return .failure(.tooManyWaiters(state.waiting)) }
            state.waiting += 1
            state.nextWaiter += 1
            return .success((state.nextWaiter, state.resets))
        }
        guard let (id, resetsNow) = try registered.get() else { return [] }
        // From the start (-1 resets: the first look begins at entry 0), or after `start` in the
        // journal as it is now.
        let (cursor, resets) = start > 0 ? (start, resetsNow) : (0, -1)
        defer {
            state.withLockedValue {
                $0.waiting -= 1
                $0.ended.remove(id)
            }
        }
        return await withTaskGroup(of: [JournalEntry]?.self) { group in
            group.addTask { await self.collect(id: id, count: count, cursor: cursor, resets: resets, predicate: predicate) }
            group.addTask {
                // Ends at the timeout, or at once when the caller's task is cancelled.
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            end(id)
            group.cancelAll()
            return first
        }
    }

    /// The wait's loop: takes the entries it has not seen (or sleeps until there is one), runs the
    /// predicate on them in this task, and returns once `count` matched; `nil` when ended.
    private func collect(id: UInt64, count: Int, cursor start: Int, resets known: Int,
                         predicate: @Sendable (JournalEntry) -> Bool) async -> [JournalEntry]? {
        var cursor = start
        var resets = known
        var matches: [JournalEntry] = []
        var resetSeen = false
        while true {
            let batch = await withCheckedContinuation { (continuation: CheckedContinuation<[JournalEntry]?, Never>) in
                let now = state.withLockedValue { state -> [JournalEntry]?? in
                    if state.closed || state.ended.contains(id) { return .some(nil) }
                    if start > 0, resets != state.resets {
                        resetSeen = true
                        return .some([])
                    }
                    if resets != state.resets {
                        (cursor, resets) = (0, state.resets)
                        matches.removeAll()
                    }
                    let fresh = state.entries(after: cursor)
                    if !fresh.isEmpty { return fresh }
                    state.sleepers[id] = continuation
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
            guard let batch else { return nil }
            if resetSeen { return matches }
            for (i, entry) in batch.enumerated() {
                cursor = entry.sequence
                if predicate(entry) {
                    matches.append(entry)
                    if matches.count >= count { return matches }
                }
                // A long backlog and a slow predicate: stop as soon as the wait has ended.
                if i % 64 == 63, Task.isCancelled { return nil }
            }
        }
    }

    /// Ends a wait: wakes its loop if asleep, and makes it stop at its next look otherwise.
    private func end(_ id: UInt64) {
        let sleeper = state.withLockedValue { state in
            state.ended.insert(id)
            return state.sleepers.removeValue(forKey: id)
        }
        sleeper?.resume(returning: nil)
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
