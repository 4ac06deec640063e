import Hummingbird
import HummingbirdTesting
@testable import MockAdmin
import MockScript
import MockServer
import MockTesting
import NIOCore
import Testing

@Suite("REST admin API")
struct AdminAPITests {
    let globals = GlobalStore()
    let registry = SessionRegistry()
    let journal = Journal(capacity: 3)

    func app() -> some ApplicationProtocol {
        AdminServer.application(host: "127.0.0.1", port: 0,
                                responder: AdminResponder(globals: globals, registry: registry, journal: journal),
                                logger: .init(label: "test"))
    }

    static let json: HTTPFields = [.contentType: "application/json"]
    static let globalsPath = "/api/v1/mock_server/globals/"

    func body(_ response: TestResponse) -> String {
        String(buffer: response.body)
    }

    @Test("GET globals, PUT replaces them all (trailing slash optional)")
    func putAndGet() async throws {
        globals.set("old", json: "1")
        try await app().test(.router) { client in
            try await client.execute(uri: Self.globalsPath, method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                #expect(body(response) == #"{"old":1}"#)
            }
            try await client.execute(uri: "/api/v1/mock_server/globals", method: .put, headers: Self.json,
                                     body: ByteBuffer(string: #"{"key": [[1, 2, 3]], "s": "x"}"#)) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: Self.globalsPath, method: .get) { response in
                #expect(body(response) == #"{"key":[[1,2,3]],"s":"x"}"#)
            }
        }
    }

    @Test("bad bodies leave the globals unchanged", arguments: [
        (#"["#, HTTPResponse.Status.unprocessableContent), ("[]", .unprocessableContent), ("{1}", .unprocessableContent),
        ("1", .unprocessableContent), ("", .unprocessableContent),
    ])
    func badBodies(text: String, status: HTTPResponse.Status) async throws {
        globals.set("keep", json: "true")
        try await app().test(.router) { client in
            try await client.execute(uri: Self.globalsPath, method: .put, headers: Self.json,
                                     body: ByteBuffer(string: text)) { response in
                #expect(response.status == status)
            }
            try await client.execute(uri: Self.globalsPath, method: .put, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .unsupportedMediaType)
            }
        }
        #expect(globals.snapshot() == ["keep": "true"])
    }

    @Test("PATCH merges; one key can be read, set and deleted")
    func patchAndKeys() async throws {
        globals.set("a", json: "1")
        try await app().test(.router) { client in
            try await client.execute(uri: Self.globalsPath, method: .patch, headers: Self.json,
                                     body: ByteBuffer(string: #"{"b": 2}"#)) { #expect($0.status == .noContent) }
            try await client.execute(uri: Self.globalsPath + "b", method: .get) { response in
                #expect(response.status == .ok)
                #expect(body(response) == "2")
            }
            try await client.execute(uri: Self.globalsPath + "c", method: .put, headers: Self.json,
                                     body: ByteBuffer(string: #"{"n": null}"#)) { #expect($0.status == .noContent) }
            try await client.execute(uri: Self.globalsPath + "a", method: .delete) { #expect($0.status == .noContent) }
            try await client.execute(uri: Self.globalsPath + "a", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: Self.globalsPath + "a", method: .delete) { #expect($0.status == .notFound) }
        }
        #expect(globals.snapshot() == ["b": "2", "c": #"{"n":null}"#])
    }

    @Test("405 with Allow, 404 elsewhere, 501 with Content-Range")
    func statusCodes() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: Self.globalsPath, method: .post) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, PUT, PATCH")
            }
            try await client.execute(uri: "/api/v1/mock_server/connections/", method: .put) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, DELETE")
            }
            for path in ["/favicon.ico", "/api/v1/mock_server/global/", "/api/v1/mock_server/globals/a/b"] {
                try await client.execute(uri: path, method: .get) { #expect($0.status == .notFound) }
            }
            try await client.execute(uri: Self.globalsPath, method: .get, headers: [.contentRange: "bytes 0-1/2"]) {
                #expect($0.status == .notImplemented)
            }
            try await client.execute(uri: "/api/v1/mock_server/health", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("the journal lists, filters, drops the oldest beyond its size, resets and waits")
    func journalAPI() async throws {
        @Sendable func entry(_ id: UInt32, _ stmt: String, matched: Bool) -> JournalEntry {
            JournalEntry(sequence: 0, connectionID: id, wireProtocol: "classic", user: "u", statement: stmt,
                         answeredBy: matched ? "stmts[0]" : nil, kind: matched ? "ok" : "error", receivedAt: 1,
                         answeredAt: 2)
        }
        for (i, s) in ["a", "b", "c", "d"].enumerated() { journal.append(entry(UInt32(i % 2), s, matched: s != "c")) }
        try await app().test(.router) { client in
            try await client.execute(uri: "/api/v1/mock_server/journal", method: .get) { response in
                let text = body(response)
                #expect(text.contains(#""dropped":1"#))
                #expect(!text.contains(#""stmt":"a""#))
                #expect(text.range(of: #""stmt":"b""#)!.lowerBound < text.range(of: #""stmt":"d""#)!.lowerBound)
            }
            try await client.execute(uri: "/api/v1/mock_server/journal?unmatched=true", method: .get) { response in
                #expect(body(response).contains(#""answered_by":"unmatched""#))
                #expect(body(response).contains(#""stmt":"c""#))
                #expect(!body(response).contains(#""stmt":"b""#))
            }
            try await client.execute(uri: "/api/v1/mock_server/journal?connection=1&since=2", method: .get) { response in
                #expect(body(response).contains(#""stmt":"d""#))
                #expect(!body(response).contains(#""stmt":"b""#))
            }
            try await client.execute(uri: "/api/v1/mock_server/journal?since=x", method: .get) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/mock_server/journal/wait", method: .post, headers: Self.json,
                                     body: ByteBuffer(string: #"{"stmt": "never", "timeout_ms": 50}"#)) {
                #expect($0.status == .requestTimeout)
            }
            let journal = self.journal
            Task {
                try await Task.sleep(for: .milliseconds(50))
                journal.append(entry(7, "select 42", matched: true))
            }
            try await client.execute(uri: "/api/v1/mock_server/journal/wait", method: .post, headers: Self.json,
                                     body: ByteBuffer(string: #"{"stmt_regex": "select [0-9]+", "count": 1, "timeout_ms": 5000}"#)) {
                #expect($0.status == .ok)
                #expect(body($0).contains(#""stmt":"select 42""#))
            }
            try await client.execute(uri: "/api/v1/mock_server/journal/wait", method: .post, headers: Self.json,
                                     body: ByteBuffer(string: #"{"count": 1}"#)) {
                #expect($0.status == .unprocessableContent)
            }
            try await client.execute(uri: "/api/v1/mock_server/journal", method: .delete) { #expect($0.status == .ok) }
        }
        #expect(journal.snapshot().entries.isEmpty)
    }

    @Test("connections are listed and closed, one or all; listeners keep accepting")
    func connections() async throws {
        try await withMockServer(trace: DefaultTrace()) { server in
            let a = try await MySQLTestClient.connect(port: server.port)
            let b = try await MySQLTestClient.connect(port: server.port)
            let responder = AdminResponder(globals: globals, registry: server.registry, journal: journal)
            let app = AdminServer.application(host: "127.0.0.1", port: 0, responder: responder, logger: .init(label: "t"))
            let firstID = try #require(a.greeting?.connectionID)
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/v1/mock_server/connections", method: .get) { response in
                    #expect(body(response).contains(#""id":\#(firstID)"#))
                    #expect(body(response).contains(#""user":"root""#))
                }
                try await client.execute(uri: "/api/v1/mock_server/connections/\(firstID)", method: .delete) {
                    #expect($0.status == .ok)
                }
                try await client.execute(uri: "/api/v1/mock_server/connections/99999", method: .delete) {
                    #expect($0.status == .notFound)
                }
            }
            #expect(await a.isClosedByServer())
            try await b.ping()
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/v1/mock_server/connections/", method: .delete) { #expect($0.status == .ok) }
            }
            #expect(await b.isClosedByServer())
            let c = try await MySQLTestClient.connect(port: server.port)
            try await c.ping()
            await c.close()
        }
    }

    func app(access: AdminAccess) -> some ApplicationProtocol {
        AdminServer.application(host: "127.0.0.1", port: 0,
                                responder: AdminResponder(globals: globals, registry: registry, journal: journal,
                                                          access: access),
                                logger: .init(label: "test"))
    }

    @Test("the Host header must name this server (no DNS rebinding); loopback names and the bind address pass")
    func hostHeader() {
        let access = AdminAccess(bindAddress: "10.1.2.3")
        func request(_ authority: String?) -> Request {
            Request(head: HTTPRequest(method: .get, scheme: "http", authority: authority, path: "/api/v1/mock_server/health"),
                    body: RequestBody(buffer: ByteBuffer()))
        }
        for host in ["localhost:8080", "127.0.0.1", "[::1]:80", "10.1.2.3:8080", "LOCALHOST"] {
            #expect(access.refusal(request(host)) == nil, "\(host)")
        }
        #expect(access.refusal(request(nil)) == nil)  // HTTP/1.0 without Host
        for host in ["evil.example:8080", "127.0.0.1.evil.example", "10.1.2.4", "[::2]"] {
            #expect(access.refusal(request(host))?.status == .forbidden, "\(host)")
        }
        #expect(AdminAccess(bindAddress: "0.0.0.0").allowedHosts == ["localhost", "127.0.0.1", "::1"])
    }

    @Test("with a token, every request needs Authorization: Bearer <token>")
    func token() async throws {
        try await app(access: AdminAccess(token: "s3cret-token")).test(.router) { client in
            try await client.execute(uri: Self.globalsPath, method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
            }
            try await client.execute(uri: Self.globalsPath, method: .get,
                                     headers: [.authorization: "Bearer wrong"]) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: Self.globalsPath, method: .get,
                                     headers: [.authorization: "Bearer s3cret-token"]) { #expect($0.status == .ok) }
        }
    }

    @Test("a body over 16 MiB gets 413 and changes nothing")
    func bodyTooLarge() async throws {
        globals.set("kept", json: "1")
        try await app().test(.router) { client in
            var big = ByteBuffer(string: "{\"k\": \"")
            big.writeRepeatingByte(UInt8(ascii: "x"), count: (16 << 20) + 1)
            big.writeString("\"}")
            try await client.execute(uri: Self.globalsPath, method: .put, headers: Self.json, body: big) {
                #expect($0.status == .contentTooLarge)
            }
        }
        #expect(globals.snapshot() == ["kept": "1"])
    }
}
