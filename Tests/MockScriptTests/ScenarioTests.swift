import MockModel
@testable import MockScript
import Testing

@Suite("Scenarios in JSON traces")
struct ScenarioTests {
    static let failover = """
        {"scenarios": {"failover": "primary-up"},
         "stmts": [
           {"stmt": "select role", "scenario": "failover", "required_state": "primary-up",
            "result": {"columns": [{"name": "role", "type": "STRING"}], "rows": [["primary"]]}},
           {"stmt": "select role", "scenario": "failover", "required_state": "primary-down",
            "result": {"columns": [{"name": "role", "type": "STRING"}], "rows": [["secondary"]]}},
           {"stmt": "fail over", "scenario": "failover", "new_state": "primary-down", "ok": {}},
           {"stmt": "select 1", "result": {"columns": [{"name": "1", "type": "LONG"}], "rows": [[1]]}}
         ]}
        """

    func session(_ id: UInt32, user: String = "app") -> SessionInfo {
        SessionInfo(connectionID: id, port: 3306, user: user)
    }

    @Test("an entry answers only in its required state; new_state moves the scenario for every connection")
    func globalScope() throws {
        let trace = try JSONTrace(json: Self.failover, name: "t.json")
        let a = trace.makeResponder(for: session(1))
        let b = trace.makeResponder(for: session(2))
        #expect(a.respond(to: "select role").result?.rows == [["primary"]])
        #expect(b.respond(to: "select role").answeredBy == "stmts[0]")
        #expect(b.respond(to: "select role").scenarioChange == nil)
        let moved = a.respond(to: "fail over")
        #expect(moved.ok != nil && moved.scenarioChange == "failover: primary-up → primary-down")
        #expect(b.respond(to: "select role").result?.rows == [["secondary"]])
        #expect(a.respond(to: "select role").answeredBy == "stmts[1]")
        // Entries without a scenario answer in any state.
        #expect(a.respond(to: "select 1").result?.rows == [["1"]])
        let store = try #require(trace.scenarios)
        #expect(store.snapshot(0).state == "primary-down")
        store.reset()
        #expect(b.respond(to: "select role").result?.rows == [["primary"]])
    }

    @Test("a connection-scoped scenario has a state per connection, forgotten when it closes")
    func connectionScope() throws {
        let trace = try JSONTrace(json: """
            {"scenarios": {"login": {"initial": "anonymous", "scope": "connection"}},
             "stmts": [
               {"stmt": "set @who = 'x'", "new_state": "named", "ok": {}},
               {"stmt": "select @who", "required_state": "anonymous",
                "result": {"columns": [{"name": "@who", "type": "STRING"}], "rows": [[null]]}},
               {"stmt": "select @who", "required_state": "named",
                "result": {"columns": [{"name": "@who", "type": "STRING"}], "rows": [["x"]]}}
             ]}
            """, name: "t.json")
        let a = trace.makeResponder(for: session(1))
        let b = trace.makeResponder(for: session(2))
        #expect(a.respond(to: "set @who = 'x'").ok != nil)
        #expect(a.respond(to: "select @who").result?.rows == [["x"]])
        #expect(b.respond(to: "select @who").result?.rows == [[nil]])
        let store = try #require(trace.scenarios)
        #expect(store.snapshot(0).moved.map(\.holder) == ["1"])
        a.sessionClosed()
        #expect(store.snapshot(0).moved.isEmpty)
        // A connection id reused later starts at the initial state.
        #expect(trace.makeResponder(for: session(1)).respond(to: "select @who").result?.rows == [[nil]])
    }

    @Test("a user-scoped scenario is shared by the connections of one user, and follows COM_CHANGE_USER")
    func userScope() throws {
        let trace = try JSONTrace(json: """
            {"scenarios": {"quota": {"initial": "ok", "scope": "user"}},
             "stmts": [
               {"stmt": "use it up", "new_state": "exceeded", "ok": {}},
               {"stmt": "select 1", "required_state": "exceeded", "error": {"code": 1226, "message": "quota exceeded"}},
               {"stmt": "select 1", "required_state": "ok", "ok": {}}
             ]}
            """, name: "t.json")
        let a = trace.makeResponder(for: session(1, user: "alice"))
        let a2 = trace.makeResponder(for: session(2, user: "alice"))
        let b = trace.makeResponder(for: session(3, user: "bob"))
        #expect(a.respond(to: "use it up").ok != nil)
        #expect(a2.respond(to: "select 1").error?.code == 1226)
        #expect(b.respond(to: "select 1").ok != nil)
        b.sessionChanged(session(3, user: "alice"))
        #expect(b.respond(to: "select 1").error?.code == 1226)
    }

    @Test("a statement no entry answers in this state says which entry wanted which state")
    func nearMiss() throws {
        let r = try JSONTrace(json: """
            {"scenarios": {"s": "a"},
             "stmts": [{"stmt": "q", "required_state": "b", "ok": {}}, {"stmt": "go", "new_state": "b", "ok": {}}]}
            """, name: "t.json").makeResponder(for: session(1))
        let miss = try #require(r.respond(to: "q").error)
        #expect(miss.code == 1064)
        #expect(miss.message.contains(#"stmts[0] matches the text but wants scenario "s" in state "b" (it is "a")"#), "\(miss.message)")
        #expect(r.respond(to: "go").ok != nil)
        #expect(r.respond(to: "q").ok != nil)
    }

    @Test("preparing a statement takes the entry its scenario's state allows, and moves nothing")
    func prepare() throws {
        let trace = try JSONTrace(json: Self.failover, name: "t.json")
        let r = trace.makeResponder(for: session(1))
        guard case .columns(let columns) = r.prepare("select role") else { Issue.record("no columns"); return }
        #expect(columns.map(\.name) == ["role"])
        _ = r.prepare("fail over")
        #expect(trace.scenarios?.snapshot(0).state == "primary-up")
    }

    @Test("new_state works in an ordered trace")
    func ordered() throws {
        let trace = try JSONTrace(json: """
            {"ordered": true, "scenarios": {"s": "a"}, "stmts": [{"stmt": "x", "new_state": "b", "ok": {}}]}
            """, name: "t.json")
        #expect(trace.makeResponder(for: session(1)).respond(to: "x").ok != nil)
        #expect(trace.scenarios?.snapshot(0).state == "b")
    }

    @Test("the REST move checks the state and whose state it is")
    func restMove() throws {
        let trace = try JSONTrace(json: """
            {"scenarios": {"g": {"initial": "a", "states": ["c"]}, "c": {"initial": "a", "scope": "connection"},
                           "u": {"initial": "a", "scope": "user"}},
             "stmts": [{"stmt": "x", "scenario": "g", "new_state": "b", "ok": {}},
                       {"stmt": "y", "scenario": "c", "new_state": "b", "ok": {}},
                       {"stmt": "z", "scenario": "u", "new_state": "b", "ok": {}}]}
            """, name: "t.json")
        let store = try #require(trace.scenarios)
        let (c, g, u) = (try #require(store.index(of: "c")), try #require(store.index(of: "g")), try #require(store.index(of: "u")))
        #expect(store.scenarios[g].states == ["a", "c", "b"])
        try store.move(g, to: "c", connection: nil, user: nil)
        #expect(store.snapshot(g).state == "c")
        #expect(throws: ScenarioStore.MoveError.unknownState("nope", known: ["a", "c", "b"])) { try store.move(g, to: "nope", connection: nil, user: nil) }
        #expect(throws: ScenarioStore.MoveError.holderNotInScope(given: "connection", scope: .global)) { try store.move(g, to: "b", connection: 3, user: nil) }
        #expect(throws: ScenarioStore.MoveError.needsHolder(.connection)) { try store.move(c, to: "b", connection: nil, user: nil) }
        #expect(throws: ScenarioStore.MoveError.holderNotInScope(given: "user", scope: .connection)) { try store.move(c, to: "b", connection: nil, user: "x") }
        try store.move(c, to: "b", connection: 9, user: nil)
        #expect(store.state(c, for: .init(connectionID: 9, user: nil)) == "b")
        #expect(store.state(c, for: .init(connectionID: 8, user: nil)) == "a")
        try store.move(u, to: "b", connection: nil, user: "alice")
        #expect(store.state(u, for: .init(connectionID: 1, user: "alice")) == "b")
        // Moving back to the initial state forgets the copy.
        try store.move(c, to: "a", connection: 9, user: nil)
        #expect(store.snapshot(c).moved.isEmpty)
        store.reset(g)
        #expect(store.snapshot(g).state == "a")
        #expect(store.snapshot(u).moved.map(\.holder) == ["alice"])
    }

    @Test("mistakes in scenarios are refused at load with their JSON path", arguments: [
        (#""scenarios": [], "stmts": []"#, "scenarios: expected 'scenarios' to be an object"),
        (#""scenarios": {"s": 1}, "stmts": []"#, "scenarios.s: expected the scenario's initial state"),
        (#""scenarios": {"s": {}}, "stmts": []"#, "scenarios.s: expected 'initial'"),
        (#""scenarios": {"s": {"initial": "a", "scope": "session"}}, "stmts": []"#,
         #"scenarios.s.scope: unknown scope "session"; known: global, connection, user"#),
        (#""stmts": [{"stmt": "x", "new_state": "b", "ok": {}}]"#, "the trace declares none"),
        (#""scenarios": {"s": "a", "t": "a"}, "stmts": [{"stmt": "x", "new_state": "b", "ok": {}}]"#,
         #"stmts[0]: expected 'scenario' with 'required_state' / 'new_state'; declared: "s", "t""#),
        (#""scenarios": {"s": "a"}, "stmts": [{"stmt": "x", "scenario": "z", "new_state": "b", "ok": {}}]"#,
         #"stmts[0].scenario: unknown scenario "z"; declared: "s""#),
        (#""scenarios": {"s": "a"}, "stmts": [{"stmt": "x", "scenario": "s", "ok": {}}]"#,
         "'scenario' without 'required_state' or 'new_state' does nothing"),
        (#""scenarios": {"s": "a"}, "stmts": [{"ok": {}, "required_state": "a"}]"#,
         "stmts[0].required_state: 'required_state' needs 'stmt' or 'stmt.regex'"),
        (#""ordered": true, "scenarios": {"s": "a"}, "stmts": [{"stmt": "x", "required_state": "a", "ok": {}}]"#,
         "'required_state' cannot skip one"),
        (#""scenarios": {"s": "up"}, "stmts": [{"stmt": "x", "required_state": "dwon", "ok": {}}, {"stmt": "y", "new_state": "down", "ok": {}}]"#,
         #"stmts[0].required_state: scenario "s" never reaches state "dwon""#),
    ])
    func refused(body: String, message: String) {
        #expect {
            _ = try JSONTrace(json: "{\(body)}", name: "t.json")
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test("a trace without scenarios has no store")
    func none() throws {
        #expect(try JSONTrace(json: #"{"stmts": []}"#, name: "t.json").scenarios == nil)
    }
}
