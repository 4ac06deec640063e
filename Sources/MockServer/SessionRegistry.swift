import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// What the admin API shows of one open session.
public struct SessionSnapshot: Sendable, Hashable {
    public var connectionID: UInt32
    public var wireProtocol: String
    public var peer: String
    public var user: String?
    public var schema: String?
    public var tlsCipher: String?
    /// Seconds since 1970.
    public var connectedSince: Double
    public var statements: Int
}

/// Every open client session of the process, across listeners and protocols: lets the REST API
/// and shutdown close them all and wait until they are gone.
public final class SessionRegistry: Sendable {
    /// A session's statement count: its handler bumps it for every statement without taking the
    /// registry's lock; `sessions()` reads it.
    final class StatementCounter: Sendable {
        private let value = Atomic<Int>(0)
        func increment() { value.add(1, ordering: .relaxed) }
        var count: Int { value.load(ordering: .relaxed) }
    }

    private struct Entry {
        var channel: any Channel
        var listener: String
        var snapshot: SessionSnapshot
        var statements: StatementCounter
    }

    private struct State {
        var sessions: [UInt32: Entry] = [:]
        var waiters: [(listener: String?, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = NIOLockedValueBox(State())
    private let nextID = NIOLockedValueBox<UInt32>(1)

    public init() {}

    /// The next connection id (1, 2, 3, … for the whole process).
    public func makeConnectionID() -> UInt32 {
        nextID.withLockedValue { id in
            defer { id = id == UInt32.max ? 1 : id + 1 }
            return id
        }
    }

    /// Registers a session; returns its statement counter and how many sessions are open now.
    func add(_ id: UInt32, channel: any Channel, listener: String, snapshot: SessionSnapshot)
        -> (statements: StatementCounter, open: Int) {
        let statements = StatementCounter()
        let open = state.withLockedValue { state in
            state.sessions[id] = Entry(channel: channel, listener: listener, snapshot: snapshot, statements: statements)
            return state.sessions.count
        }
        return (statements, open)
    }

    /// Changes what is known about session `id` (user, schema, cipher).
    func update(_ id: UInt32, _ body: (inout SessionSnapshot) -> Void) {
        state.withLockedValue { state in
            if var entry = state.sessions[id] {
                body(&entry.snapshot)
                state.sessions[id] = entry
            }
        }
    }

    /// The open sessions, by connection id.
    public func sessions() -> [SessionSnapshot] {
        state.withLockedValue { state in
            state.sessions.values.map { entry in
                var snapshot = entry.snapshot
                snapshot.statements = entry.statements.count
                return snapshot
            }
        }.sorted { $0.connectionID < $1.connectionID }
    }

    /// Closes one session; `false` if there is none with that id.
    @discardableResult
    public func close(_ id: UInt32) -> Bool {
        guard let channel = state.withLockedValue({ $0.sessions[id]?.channel }) else { return false }
        channel.close(promise: nil)
        return true
    }

    func remove(_ id: UInt32) {
        let ready = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.sessions[id] = nil
            var ready: [CheckedContinuation<Void, Never>] = []
            state.waiters.removeAll { waiter in
                let empty = !state.sessions.values.contains { waiter.listener == nil || $0.listener == waiter.listener }
                if empty { ready.append(waiter.continuation) }
                return empty
            }
            return ready
        }
        ready.forEach { $0.resume() }
    }

    /// How many sessions are open (of `listener`, or of all listeners).
    public func count(listener: String? = nil) -> Int {
        state.withLockedValue { state in
            guard let listener else { return state.sessions.count }
            return state.sessions.values.reduce(0) { $0 + ($1.listener == listener ? 1 : 0) }
        }
    }

    /// Closes every session (of `listener`, or of all listeners). Listeners keep accepting.
    public func closeAll(listener: String? = nil) {
        let channels = state.withLockedValue { $0.sessions.values.filter { listener == nil || $0.listener == listener } }
        for entry in channels { entry.channel.close(promise: nil) }
    }

    /// Returns once no session (of `listener`, or of any listener) is open.
    public func waitUntilEmpty(listener: String? = nil) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLockedValue { state -> Bool in
                let empty = !state.sessions.values.contains { listener == nil || $0.listener == listener }
                if !empty { state.waiters.append((listener, continuation)) }
                return empty
            }
            if resumeNow { continuation.resume() }
        }
    }
}
