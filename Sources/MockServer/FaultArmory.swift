import MockModel
import Synchronization

/// Faults armed at run time (REST `POST /faults`): each applies to the next `count` statements
/// that match its filter (a statement pattern, a connection), in the order armed, and is then
/// gone. Shared by every connection of a server; a statement costs one atomic load while nothing
/// is armed.
public final class FaultArmory: Sendable {
    /// One armed fault.
    public struct Armed: Sendable {
        public var id: Int
        public var fault: Fault
        /// Statements it still applies to.
        public var remaining: Int
        /// Only statements of this connection, if set.
        public var connectionID: UInt32?
        /// What the statement filter says, for listing (`stmt` or `stmt_regex` as given).
        public var filterDescription: String?
        /// Only statements this accepts, if set.
        public var matches: (@Sendable (String) -> Bool)?

        public init(fault: Fault, count: Int, connectionID: UInt32? = nil, filterDescription: String? = nil,
                    matches: (@Sendable (String) -> Bool)? = nil) {
            (self.id, self.fault, self.remaining) = (0, fault, count)
            (self.connectionID, self.filterDescription, self.matches) = (connectionID, filterDescription, matches)
        }
    }

    private struct State {
        var armed: [Armed] = []
        var nextID = 1
    }

    private let state = Mutex(State())
    private let armedCount = Atomic<Int>(0)

    public init() {}

    /// Arms `fault`; returns its id.
    @discardableResult
    public func arm(_ armed: Armed) -> Int {
        state.withLock { state in
            var armed = armed
            armed.id = state.nextID
            state.nextID += 1
            state.armed.append(armed)
            armedCount.store(state.armed.count, ordering: .releasing)
            return armed.id
        }
    }

    /// The armed faults, in the order they apply.
    public func list() -> [Armed] { state.withLock { $0.armed } }

    /// Removes one (`true` if it was armed), or every fault.
    @discardableResult
    public func remove(_ id: Int? = nil) -> Bool {
        state.withLock { state in
            let before = state.armed.count
            state.armed.removeAll { id == nil || $0.id == id }
            armedCount.store(state.armed.count, ordering: .releasing)
            return state.armed.count < before
        }
    }

    /// The fault for this statement, if one is armed for it (and one use of it is spent).
    public func take(statement: String, connectionID: UInt32) -> Fault? {
        guard armedCount.load(ordering: .acquiring) > 0 else { return nil }
        return state.withLock { state in
            guard let index = state.armed.firstIndex(where: { armed in
                (armed.connectionID == nil || armed.connectionID == connectionID)
                    && (armed.matches?(statement) ?? true)
            }) else { return nil }
            let fault = state.armed[index].fault
            state.armed[index].remaining -= 1
            if state.armed[index].remaining <= 0 { state.armed.remove(at: index) }
            armedCount.store(state.armed.count, ordering: .releasing)
            return fault
        }
    }
}

extension StatementAnswer {
    /// The answer with `fault` on its first result (on a `later` or `deferred` answer, when it
    /// arrives).
    public func withFault(_ fault: Fault) -> StatementAnswer {
        switch self {
        case .several(let responses) where responses.isEmpty:
            return .one(StatementResponse(.ok(OKResponse()), fault: fault))
        case .one, .several:
            return updatingFirst { $0.fault = fault }
        case .later(let compute):
            return .later { await compute().withFault(fault) }
        case .deferred(let start):
            return .deferred { reply in start { reply($0.withFault(fault)) } }
        }
    }
}
