import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import MockAdmin
import MockModel
import MockScript
import MockServer
import NIOCore
import Testing

@Suite("the dashboard and the API it reads")
struct DashboardTests {
    let globals = GlobalStore()
    let registry = SessionRegistry()
    let journal = Journal(capacity: 10)

    func app(access: AdminAccess = AdminAccess(), traces: TraceHolder? = nil) -> some ApplicationProtocol {
        AdminServer.application(host: "127.0.0.1", port: 0,
                                responder: AdminResponder(globals: globals, registry: registry, journal: journal,
                                                          access: access, traces: traces),
                                logger: .init(label: "test"))
    }

    @Test("the page, its script and its stylesheet, each with its type and a policy that allows nothing from elsewhere",
          arguments: [("/", "text/html; charset=utf-8", "<script src=\"/dashboard.js\" defer></script>"),
                      ("/index.html", "text/html; charset=utf-8", "<link rel=\"stylesheet\" href=\"/dashboard.css\">"),
                      ("/dashboard.js", "text/javascript; charset=utf-8", "textContent"),
                      ("/dashboard.css", "text/css; charset=utf-8", "@media (max-width")])
    func files(path: String, type: String, excerpt: String) async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == type)
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                let policy = try #require(response.headers[.contentSecurityPolicy])
                #expect(policy.hasPrefix("default-src 'none'; script-src 'self'"))
                #expect(!policy.contains("unsafe"))
                let text = String(buffer: response.body)
                #expect(text.contains(excerpt))
                // Written by textContent only: nothing of a statement's text can become markup.
                #expect(!text.contains("innerHTML") && !text.contains("insertAdjacentHTML") && !text.contains("eval("))
            }
            try await client.execute(uri: path, method: .post) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
            }
        }
    }

    @Test("with a token the page loads without it and the API still wants it; the Host rule holds for both")
    func access() async throws {
        try await app(access: AdminAccess(token: "t0ken")).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/mock_server/journal", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/mock_server/journal", method: .get,
                                     headers: [.authorization: "Bearer t0ken"]) { #expect($0.status == .ok) }
        }
        let access = AdminAccess()
        let page = Request(head: HTTPRequest(method: .get, scheme: "http", authority: "evil.example:8080", path: "/"),
                           body: RequestBody(buffer: ByteBuffer()))
        #expect(access.refusal(page, token: false)?.status == .forbidden)
        let local = Request(head: HTTPRequest(method: .get, scheme: "http", authority: "127.0.0.1:8080", path: "/"),
                            body: RequestBody(buffer: ByteBuffer()))
        #expect(AdminAccess(token: "x").refusal(local, token: false) == nil)
        #expect(AdminAccess(token: "x").refusal(local)?.status == .unauthorized)
    }

    @Test("GET trace: its name, when it was loaded, reloads, and the last failed reload until one works")
    func traceStatus() async throws {
        let traces = TraceHolder(try JSONTrace(json: #"{"stmts": []}"#, name: "first.json"))
        let before = traces.status
        #expect(before.name == "first.json" && before.reloads == 0 && before.failure == nil && before.loadedAt > 1e9)
        try await app(traces: traces).test(.router) { client in
            try await client.execute(uri: "/api/v1/mock_server/trace", method: .get) { response in
                let object = try #require(try JSONValue(parsing: String(buffer: response.body)).objectMembers)
                #expect(object["name"] == .string("first.json"))
                #expect(object["reloads"] == .int(0))
                #expect(object["last_reload_failure"] == nil)
            }
            traces.reloadFailed("first.json:1: expected an object")
            try await client.execute(uri: "/api/v1/mock_server/trace", method: .get) { response in
                let object = try #require(try JSONValue(parsing: String(buffer: response.body)).objectMembers)
                #expect(object["name"] == .string("first.json"))
                let failure = try #require(object["last_reload_failure"]?.objectMembers)
                #expect(failure["error"] == .string("first.json:1: expected an object"))
            }
            traces.replace(with: try JSONTrace(json: #"{"stmts": []}"#, name: "second.json"))
            try await client.execute(uri: "/api/v1/mock_server/trace", method: .get) { response in
                let object = try #require(try JSONValue(parsing: String(buffer: response.body)).objectMembers)
                #expect(object["name"] == .string("second.json"))
                #expect(object["reloads"] == .int(1))
                #expect(object["last_reload_failure"] == nil)
            }
            try await client.execute(uri: "/api/v1/mock_server/trace", method: .delete) { #expect($0.status == .methodNotAllowed) }
        }
        try await app().test(.router) { client in
            try await client.execute(uri: "/api/v1/mock_server/trace", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test("GET journal with wait_ms answers at the next statement, at a reset, at once when there is news; bad wait_ms is 400")
    func longPoll() async throws {
        journal.append(JournalEntry(connectionID: 1, wireProtocol: "classic", user: nil, statement: "SELECT 1",
                                    answeredBy: "stmts[0]", kind: "result", receivedAt: 1, answeredAt: 1))
        let journal = journal
        try await app().test(.router) { client in
            // News already there: at once.
            try await client.execute(uri: "/api/v1/mock_server/journal?since=0&wait_ms=20000", method: .get) { response in
                #expect(String(buffer: response.body).contains(#""seq":1"#))
            }
            // Nothing after 1: waits until a statement arrives.
            let appender = Task {
                while journal.pendingWaits == 0 { try await Task.sleep(for: .milliseconds(5)) }
                journal.append(JournalEntry(connectionID: 1, wireProtocol: "classic", user: nil, statement: "SELECT 2",
                                            answeredBy: nil, kind: "error", receivedAt: 2, answeredAt: 2))
            }
            try await client.execute(uri: "/api/v1/mock_server/journal?since=1&resets=0&wait_ms=20000", method: .get) { response in
                #expect(String(buffer: response.body).contains(#""stmt":"SELECT 2""#))
            }
            try await appender.value
            // The caller saw another generation of the journal: at once, with the new count of resets.
            try await client.execute(uri: "/api/v1/mock_server/journal?since=2&resets=7&wait_ms=20000", method: .get) { response in
                #expect(String(buffer: response.body).contains(#""resets":0"#))
            }
            // A reset while waiting ends the wait.
            let resetter = Task {
                while journal.pendingWaits == 0 { try await Task.sleep(for: .milliseconds(5)) }
                journal.reset()
            }
            try await client.execute(uri: "/api/v1/mock_server/journal?since=2&resets=0&wait_ms=20000", method: .get) { response in
                #expect(String(buffer: response.body).contains(#""resets":1"#))
            }
            try await resetter.value
            for bad in ["-1", "20001", "soon"] {
                try await client.execute(uri: "/api/v1/mock_server/journal?wait_ms=\(bad)", method: .get) {
                    #expect($0.status == .badRequest)
                }
            }
        }
    }

    @Test("journal entries carry the error (a near miss's explanation), exec_time_ms, and the count of resets")
    func journalFields() async throws {
        var unmatched = JournalEntry(connectionID: 3, wireProtocol: "classic", user: "u", statement: "SELECT 2",
                                     answeredBy: nil, kind: "error", receivedAt: 1, answeredAt: 1.5)
        unmatched.error = .init(ErrorResponse(code: 1064, sqlState: "42000",
                                              message: #"Unknown statement: "SELECT 2"; closest trace entry: stmts[0] "SELECT 1""#))
        var slow = JournalEntry(connectionID: 3, wireProtocol: "classic", user: "u", statement: "SELECT 1",
                                answeredBy: "stmts[0]", kind: "result", receivedAt: 2, answeredAt: 2)
        slow.execTime = .milliseconds(250)
        journal.append(unmatched)
        journal.append(slow)
        try await app().test(.router) { client in
            try await client.execute(uri: "/api/v1/mock_server/journal", method: .get) { response in
                let object = try #require(try JSONValue(parsing: String(buffer: response.body)).objectMembers)
                #expect(object["resets"] == .int(0))
                guard case .array(let entries)? = object["entries"], entries.count == 2,
                      let first = entries[0].objectMembers, let second = entries[1].objectMembers
                else { Issue.record("two entries expected: \(object)"); return }
                let error = try #require(first["error"]?.objectMembers)
                #expect(error["code"] == .int(1064))
                #expect(error["sql_state"] == .string("42000"))
                #expect(error["message"] == .string(#"Unknown statement: "SELECT 2"; closest trace entry: stmts[0] "SELECT 1""#))
                #expect(first["exec_time_ms"] == nil)
                #expect(second["error"] == nil)
                #expect(second["exec_time_ms"] == .int(250) || second["exec_time_ms"] == .double(250))
            }
            // `since` gives only what came after, as the page polls.
            try await client.execute(uri: "/api/v1/mock_server/journal?since=1", method: .get) { response in
                let object = try #require(try JSONValue(parsing: String(buffer: response.body)).objectMembers)
                guard case .array(let entries)? = object["entries"] else { Issue.record("no entries"); return }
                #expect(entries.map { $0.objectMembers?["seq"] } == [.int(2)])
            }
            try await client.execute(uri: "/api/v1/mock_server/journal?since=-5", method: .get) { response in
                #expect(String(buffer: response.body).contains(#""seq":1"#))
            }
            try await client.execute(uri: "/api/v1/mock_server/journal", method: .delete) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/mock_server/journal?since=2", method: .get) { response in
                let object = try #require(try JSONValue(parsing: String(buffer: response.body)).objectMembers)
                #expect(object["resets"] == .int(1))
                #expect(object["entries"] == .array([]))
            }
        }
    }
}

extension JSONValue {
    fileprivate var objectMembers: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }
}
