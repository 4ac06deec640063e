import MockAdmin
import MockModel
import MockScript
import NIOCore

/// The input is one byte choosing the endpoint and the Content-Type, then the request body. Bodies
/// that decode are applied as the API applies them; afterwards every stored global must be JSON
/// text that parses back to the value sent, an armed fault must have a count of at least one, and
/// a scenario moved must be in the state sent.
enum AdminBodyFuzzTarget {
    static let contentTypes: [String?] = ["application/json", "application/json; charset=utf-8", "text/plain", nil]

    @Sendable
    static func run(_ data: [UInt8]) throws(FuzzFailure) {
        guard let selector = data.first else { return }
        let contentType = contentTypes[Int(selector >> 4) & 3]
        let body = ByteBuffer(bytes: data.dropFirst())
        let globals = GlobalStore()
        globals.set("kept", json: "1")
        switch selector & 7 {
        case 0, 1:  // PUT / PATCH /globals
            guard case .success(let members) = AdminRequestBody.object(contentType: contentType, body: body) else { return }
            GlobalsUpdate.apply(members, replacingAll: selector & 3 == 0, to: globals)
            for (key, value) in members {
                try check(globals.get(key), equals: value, key: key)
            }
        case 2:  // PUT /globals/{key}
            guard case .success(let value) = AdminRequestBody.json(contentType: contentType, body: body) else { return }
            globals.set("key", json: value.jsonText)
            try check(globals.get("key"), equals: value, key: "key")
        case 4:  // POST /faults
            guard case .success(let members) = AdminRequestBody.object(contentType: contentType, body: body),
                  let request = try? ArmFaultRequest(members: members) else { return }
            guard request.armed.remaining >= 1 else { throw FuzzFailure("a fault was armed for \(request.armed.remaining) statements") }
            _ = request.armed.matches?("select 1")
        case 5, 6, 7:  // PUT /scenarios/{name}, for a scenario of each scope
            guard case .success(let members) = AdminRequestBody.object(contentType: contentType, body: body),
                  let move = try? MoveScenarioRequest(members: members) else { return }
            let index = Int(selector & 7) - 5
            guard (try? scenarios.move(index, to: move.state, connection: move.connection, user: move.user)) != nil else { return }
            let session = ScenarioStore.Session(connectionID: move.connection ?? 0, user: move.user)
            guard scenarios.state(index, for: session) == move.state else {
                throw FuzzFailure("scenario moved to \(move.state) reads \(scenarios.state(index, for: session))")
            }
            scenarios.reset()
        default:  // POST /journal/wait
            guard case .success(let members) = AdminRequestBody.object(contentType: contentType, body: body),
                  let wait = try? JournalWaitRequest(members: members) else { return }
            guard wait.count >= 1, wait.timeoutMilliseconds >= 0 else {
                throw FuzzFailure("journal wait accepted count \(wait.count), timeout \(wait.timeoutMilliseconds)")
            }
            _ = wait.matches("select 1")
            _ = wait.matches(String(decoding: data.prefix(32), as: UTF8.self))
        }
    }

    static let scenarios = ScenarioStore(ScenarioStore.Scope.allCases.map { scope in
        .init(name: scope.rawValue, scope: scope, initial: "a", states: ["a", "b", "é", ""])
    })

    static func check(_ stored: String?, equals value: JSONValue, key: String) throws(FuzzFailure) {
        guard let stored else { throw FuzzFailure("global \(key) was not stored") }
        guard let parsed = try? JSONValue(parsing: stored) else {
            throw FuzzFailure("global \(key) is stored as \(stored), which is not JSON")
        }
        guard parsed.isEquivalent(to: value) else {
            throw FuzzFailure("global \(key) = \(value) is stored as \(stored), which reads back as \(parsed)")
        }
    }
}
