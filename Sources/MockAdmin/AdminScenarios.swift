import Hummingbird
import MockModel
import MockScript
import MockServer

/// `/api/v1/mock_server/scenarios`: the trace's scenarios (`ScenarioStore`).
///
/// | path | methods |
/// |---|---|
/// | `scenarios` | GET every scenario and its state, DELETE every scenario back to its initial state |
/// | `scenarios/{name}` | GET one, PUT `{"state", "connection" \| "user"}` to move it, DELETE back to its initial state |
extension AdminResponder {
    func scenarios(_ name: String?, _ request: Request) async throws -> Response {
        let store = traces?.current.scenarios
        guard let name else {
            switch request.method {
            case .get, .head:
                let all = store.map { store in store.scenarios.indices.map { Self.scenarioJSON(store.snapshot($0)) } } ?? []
                return Self.json(JSONValue.array(all).jsonText)
            case .delete:
                store?.reset()
                return Self.status(.noContent)
            default:
                return Self.notAllowed("GET, DELETE")
            }
        }
        guard let store, let index = store.index(of: name) else {
            let known = store?.scenarios.map { "\"\($0.name)\"" }.joined(separator: ", ")
            return Self.text(.notFound, "no scenario \"\(name)\"; " + (known.map { "the trace declares " + $0 } ?? "the trace declares none"))
        }
        switch request.method {
        case .get, .head:
            return Self.json(Self.scenarioJSON(store.snapshot(index)).jsonText)
        case .put:
            let move: MoveScenarioRequest
            do {
                switch try await Self.jsonObject(request) {
                case .success(let members): move = try MoveScenarioRequest(members: members)
                case .failure(let error): return error.response
                }
            } catch let error as AdminBodyError {
                return error.response
            }
            do {
                try store.move(index, to: move.state, connection: move.connection, user: move.user)
                return Self.status(.noContent)
            } catch {
                return Self.text(.unprocessableContent, "scenario \"\(name)\": \(error)")
            }
        case .delete:
            store.reset(index)
            return Self.status(.noContent)
        default:
            return Self.notAllowed("GET, PUT, DELETE")
        }
    }

    /// `{"name", "scope", "initial", "states", "state"}` for a global scenario; the others have
    /// `connections` or `users` (id or name → state) for those not in the initial state.
    static func scenarioJSON(_ snapshot: ScenarioStore.Snapshot) -> JSONValue {
        let scenario = snapshot.scenario
        var members: [String: JSONValue] = [
            "name": .string(scenario.name), "scope": .string(scenario.scope.rawValue),
            "initial": .string(scenario.initial), "states": .array(scenario.states.map(JSONValue.string)),
        ]
        switch scenario.scope {
        case .global:
            members["state"] = .string(snapshot.state ?? scenario.initial)
        case .connection, .user:
            let moved = Dictionary(snapshot.moved.map { ($0.holder, JSONValue.string($0.state)) }, uniquingKeysWith: { a, _ in a })
            members[scenario.scope == .connection ? "connections" : "users"] = .object(moved)
        }
        return .object(members)
    }
}
