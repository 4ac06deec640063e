import Synchronization

/// The states of a trace's scenarios (`"scenarios"` in a JSON trace): named state machines that
/// trace entries read (`required_state`) and move (`new_state`), and that the REST API reads,
/// moves and resets. Made with the trace, shared by its connections; a reloaded trace starts anew.
///
/// A scenario's state is kept once for the server (`global`), once per connection, or once per
/// user, as its `scope` says. Only states that differ from the initial one are stored.
public final class ScenarioStore: Sendable {
    public enum Scope: String, Sendable, CaseIterable {
        case global
        case connection
        case user
    }

    public struct Scenario: Sendable, Equatable {
        public var name: String
        public var scope: Scope
        public var initial: String
        /// Every state the scenario can be in: its initial state, each entry's `new_state`, and
        /// those its declaration lists under `states`; in that order, without repeats.
        public var states: [String]

        public init(name: String, scope: Scope, initial: String, states: [String]) {
            self.name = name
            self.scope = scope
            self.initial = initial
            self.states = states
        }
    }

    /// Whose state a statement reads: its connection and user.
    public struct Session: Sendable, Hashable {
        public var connectionID: UInt32
        public var user: String

        public init(connectionID: UInt32, user: String?) {
            self.connectionID = connectionID
            self.user = user ?? ""
        }
    }

    /// The key under which one copy of a scenario's state is kept.
    enum Holder: Hashable {
        case global
        case connection(UInt32)
        case user(String)
    }

    struct Key: Hashable {
        var scenario: Int
        var holder: Holder
    }

    /// In declaration order; an entry refers to one by its index.
    public let scenarios: [Scenario]
    private let indices: [String: Int]
    private let states = Mutex<[Key: String]>([:])

    public init(_ scenarios: [Scenario]) {
        self.scenarios = scenarios
        var indices: [String: Int] = [:]
        for (index, scenario) in scenarios.enumerated() { indices[scenario.name] = index }
        self.indices = indices
    }

    public func index(of name: String) -> Int? { indices[name] }

    private func key(_ scenario: Int, _ session: Session) -> Key {
        switch scenarios[scenario].scope {
        case .global: Key(scenario: scenario, holder: .global)
        case .connection: Key(scenario: scenario, holder: .connection(session.connectionID))
        case .user: Key(scenario: scenario, holder: .user(session.user))
        }
    }

    /// The state `session` sees the scenario at `index` in.
    public func state(_ index: Int, for session: Session) -> String {
        let key = key(index, session)
        return states.withLock { $0[key] } ?? scenarios[index].initial
    }

    /// Moves the scenario at `index` to `state` for `session` (and every session sharing its scope).
    public func move(_ index: Int, to state: String, for session: Session) {
        let key = key(index, session)
        let initial = scenarios[index].initial
        states.withLock { $0[key] = state == initial ? nil : state }
    }

    /// A connection closed: its connection-scoped states go.
    public func forget(connection id: UInt32) {
        states.withLock { states in
            for key in states.keys where key.holder == .connection(id) { states[key] = nil }
        }
    }

    /// Every scenario (or the one at `index`) back to its initial state, in every scope.
    public func reset(_ index: Int? = nil) {
        states.withLock { states in
            guard let index else { return states.removeAll() }
            for key in states.keys where key.scenario == index { states[key] = nil }
        }
    }

    /// Why the REST API cannot move a scenario.
    public enum MoveError: Error, Equatable, CustomStringConvertible {
        case unknownState(String, known: [String])
        /// A scenario kept per connection or per user needs to be told whose state to move.
        case needsHolder(Scope)
        case holderNotInScope(given: String, scope: Scope)

        public var description: String {
            switch self {
            case .unknownState(let state, let known):
                "unknown state \"\(state)\"; known: " + known.map { "\"\($0)\"" }.joined(separator: ", ")
            case .needsHolder(let scope):
                "this scenario has a state per \(scope.rawValue): name the \(scope.rawValue) (\"\(scope.rawValue)\")"
            case .holderNotInScope(let given, let scope):
                "this scenario has " + (scope == .global ? "one state for the server" : "a state per \(scope.rawValue)")
                    + ": \"\(given)\" does not apply"
            }
        }
    }

    /// Moves a scenario for the REST API: the state must be one of the scenario's, and a
    /// connection or user is named exactly when the scope asks for one.
    public func move(_ index: Int, to state: String, connection: UInt32?, user: String?) throws(MoveError) {
        let scenario = scenarios[index]
        guard scenario.states.contains(state) else { throw .unknownState(state, known: scenario.states) }
        let holder: Holder
        switch (scenario.scope, connection, user) {
        case (.global, nil, nil): holder = .global
        case (.connection, let id?, nil): holder = .connection(id)
        case (.user, nil, let name?): holder = .user(name)
        case (.global, _, _): throw .holderNotInScope(given: connection != nil ? "connection" : "user", scope: .global)
        case (let scope, nil, nil): throw .needsHolder(scope)
        case (let scope, _, _): throw .holderNotInScope(given: scope == .connection ? "user" : "connection", scope: scope)
        }
        let key = Key(scenario: index, holder: holder)
        states.withLock { $0[key] = state == scenario.initial ? nil : state }
    }

    /// What the REST API shows of one scenario: its state for the server, or the states of the
    /// connections or users that are not in the initial one.
    public struct Snapshot: Sendable, Equatable {
        public var scenario: Scenario
        /// The state, for a `global` scenario.
        public var state: String?
        /// For the others: the connections (by id) or users not in the initial state.
        public var moved: [Moved]
    }

    /// One connection's or user's state, when it is not the initial one.
    public struct Moved: Sendable, Equatable {
        public var holder: String
        public var state: String
    }

    public func snapshot(_ index: Int) -> Snapshot {
        let scenario = scenarios[index]
        let held = states.withLock { states in states.filter { $0.key.scenario == index } }
        var snapshot = Snapshot(scenario: scenario, state: nil, moved: [])
        switch scenario.scope {
        case .global:
            snapshot.state = held[Key(scenario: index, holder: .global)] ?? scenario.initial
        case .connection, .user:
            snapshot.moved = held.compactMap { key, state in
                switch key.holder {
                case .global: nil
                case .connection(let id): Moved(holder: String(id), state: state)
                case .user(let name): Moved(holder: name, state: state)
                }
            }.sorted { a, b in
                if let x = UInt32(a.holder), let y = UInt32(b.holder) { return x < y }
                return a.holder < b.holder
            }
        }
        return snapshot
    }
}
