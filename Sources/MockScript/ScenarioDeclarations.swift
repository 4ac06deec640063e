import MockModel

/// A trace's `"scenarios"` as written, read before its entries so that their `scenario`,
/// `required_state` and `new_state` can be checked against it:
///
/// ```json
/// "scenarios": {
///   "failover": "primary-up",
///   "login": {"initial": "anonymous", "scope": "connection", "states": ["locked"]}
/// }
/// ```
///
/// A scenario is a name and its initial state (a string), or an object with `initial`, `scope`
/// (`global`, the default: one state for the server; `connection`; `user`) and `states` (states
/// only the REST API moves it to; every entry's `new_state` is a state too).
struct ScenarioDeclarations {
    /// A scenario reference of a trace entry: which scenario, and the state it wants or moves to.
    struct Step: Sendable, Equatable {
        var scenario: Int
        var state: String
    }

    private(set) var scenarios: [ScenarioStore.Scenario] = []
    private var indices: [String: Int] = [:]
    /// Where each scenario is declared, for errors about it.
    private var nodes: [TraceNode] = []
    /// `required_state`s, to check once every `new_state` is known.
    private var required: [(step: Step, node: TraceNode)] = []

    init(_ node: TraceNode?) throws(TraceError) {
        guard let node else { return }
        guard case .object(let members) = node.value else {
            throw node.error("expected 'scenarios' to be an object of scenario names, got \(node.value.typeName)")
        }
        for name in members.keys.sorted() {
            guard let declaration = node.child(name) else { continue }
            var scenario: ScenarioStore.Scenario
            switch declaration.value {
            case .string(let initial):
                scenario = .init(name: name, scope: .global, initial: initial, states: [initial])
            case .object:
                guard let initial = try declaration.optionalString("initial") else {
                    throw declaration.error("expected 'initial', the state the scenario starts in")
                }
                let scopeNode = declaration.member("scope")
                let scopeName = try scopeNode?.string() ?? ScenarioStore.Scope.global.rawValue
                guard let scope = ScenarioStore.Scope(rawValue: scopeName) else {
                    throw (scopeNode ?? declaration).error("unknown scope \"\(scopeName)\"; known: "
                        + ScenarioStore.Scope.allCases.map(\.rawValue).joined(separator: ", "))
                }
                scenario = .init(name: name, scope: scope, initial: initial, states: [initial])
                if let states = declaration.member("states") {
                    for state in try states.elements() {
                        let text = try state.string()
                        if !scenario.states.contains(text) { scenario.states.append(text) }
                    }
                }
            default:
                throw declaration.error("expected the scenario's initial state (a string) or an object with 'initial', got \(declaration.value.typeName)")
            }
            indices[name] = scenarios.count
            scenarios.append(scenario)
            nodes.append(declaration)
        }
    }

    /// An entry's `required_state` and `new_state`, each with its `scenario` (which may be left out
    /// when the trace declares exactly one).
    mutating func steps(of entry: TraceNode, ordered: Bool, hasMatcher: Bool) throws(TraceError) -> (required: Step?, new: Step?) {
        let requiredNode = entry.member("required_state")
        let newNode = entry.member("new_state")
        let scenarioNode = entry.member("scenario")
        guard requiredNode != nil || newNode != nil else {
            if let scenarioNode { throw scenarioNode.error("'scenario' without 'required_state' or 'new_state' does nothing") }
            return (nil, nil)
        }
        let index: Int
        if let scenarioNode {
            let name = try scenarioNode.string()
            guard let found = indices[name] else {
                throw scenarioNode.error("unknown scenario \"\(name)\"; " + declaredList)
            }
            index = found
        } else {
            guard scenarios.count == 1 else {
                throw entry.error("expected 'scenario' with 'required_state' / 'new_state'; " + declaredList)
            }
            index = 0
        }
        var required: Step?
        if let requiredNode {
            if ordered { throw requiredNode.error("an ordered trace answers its entries in turn; 'required_state' cannot skip one") }
            if !hasMatcher {
                throw requiredNode.error("'required_state' needs 'stmt' or 'stmt.regex' (an entry without one answers in turn)")
            }
            let step = Step(scenario: index, state: try requiredNode.string())
            self.required.append((step, requiredNode))
            required = step
        }
        var new: Step?
        if let newNode {
            let step = Step(scenario: index, state: try newNode.string())
            if !scenarios[index].states.contains(step.state) { scenarios[index].states.append(step.state) }
            new = step
        }
        return (required, new)
    }

    private var declaredList: String {
        scenarios.isEmpty
            ? "the trace declares none (\"scenarios\": {\"name\": \"initial state\"})"
            : "declared: " + scenarios.map { "\"\($0.name)\"" }.joined(separator: ", ")
    }

    /// The store, once every entry is read; a `required_state` no entry, declaration or initial
    /// state makes reachable is a mistake (a typo, most likely), refused with its path.
    func store() throws(TraceError) -> ScenarioStore? {
        for (step, node) in required where !scenarios[step.scenario].states.contains(step.state) {
            let scenario = scenarios[step.scenario]
            throw node.error("scenario \"\(scenario.name)\" never reaches state \"\(step.state)\": it is not the initial "
                + "state, no entry's 'new_state', nor in the declaration's 'states'; known: "
                + scenario.states.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        return scenarios.isEmpty ? nil : ScenarioStore(scenarios)
    }
}
