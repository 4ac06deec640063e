import MockModel
import MockScript
import MockServer
import MockTesting
import MockUpstream
import MySQLWire
import NIOCore
import Testing

/// A mock with an upstream server behind it, end to end: the upstream is another mock in the same
/// process, so the login paths MariaDB does not have (caching_sha2_password full authentication
/// with RSA or over TLS) are exercised against a server that checks them.
@Suite("Upstream relay")
struct UpstreamTraceTests {
    /// The upstream: accepts only `rec` / `pw` with caching_sha2_password (the full path when
    /// `cacheMiss`), and answers three statements.
    static func upstreamTrace(cacheMiss: Bool) -> String {
        """
        {"handshake": {"greeting": {"server_version": "8.0.40-upstream", "auth_method": "caching_sha2_password"},
                       "auth": {"username": "rec", "password": "pw", "cache": "\(cacheMiss ? "miss" : "hit")"}},
         "stmts": [
           {"stmt": "select name from users", "result": {"columns": [{"name": "name", "type": "VAR_STRING"}],
                                                         "rows": [["ada"], ["bob"]]}},
           {"stmt": "insert into users values ('cy')", "ok": {"affected_rows": 1, "last_insert_id": 7}},
           {"stmt": "call two()", "results": [{"result": {"columns": [{"name": "a", "type": "LONG"}], "rows": [[1]]}},
                                              {"ok": {"affected_rows": 2}}]}
         ]}
        """
    }

    /// The mock in front: answers `select 1` itself, relays the rest.
    static let front = #"{"stmts": [{"stmt": "select 1", "result": {"columns": [{"name": "1", "type": "LONG"}], "rows": [[1]]}}]}"#

    static func relay(to port: Int, tls: UpstreamEndpoint.TLS = .disabled, password: String = "pw",
                      recorder: TraceRecorder? = TraceRecorder()) throws -> UpstreamTrace {
        UpstreamTrace(inner: try JSONTrace(json: front, name: "front"),
                      endpoint: UpstreamEndpoint(address: .tcp(host: "127.0.0.1", port: port), tls: tls),
                      credentials: .init(user: "rec", password: password), recorder: recorder)
    }

    @Test("statements the trace does not answer are relayed; the journal marks them; the recording has only them",
          arguments: [false, true])
    func relaysAndRecords(cacheMiss: Bool) async throws {
        try await withMockServer(json: Self.upstreamTrace(cacheMiss: cacheMiss)) { upstream in
            let recorder = TraceRecorder()
            try await withMockServer(trace: try Self.relay(to: upstream.port, recorder: recorder)) { front in
                let client = try await MySQLTestClient.connect(port: front.port, options: .init(user: "app"))
                #expect(try await client.query("select 1").rows == [["1"]])
                let users = try await client.query("select name from users")
                #expect(users.rows == [["ada"], ["bob"]])
                #expect(users.columns.map(\.name) == ["name"])
                let insert = try await client.query("insert into users values ('cy')")
                #expect(insert.ok?.affectedRows == 1)
                #expect(insert.ok?.lastInsertID == 7)
                // Several results: the first, then the OK after it.
                try await client.sendCommand(.query("call two()"))
                #expect(try await client.readResponse().rows == [["1"]])
                #expect(try await client.readResponse().ok?.affectedRows == 2)
                await client.close()

                let answeredBy = front.journal.snapshot().entries.map { ($0.statement, $0.answeredBy) }
                #expect(answeredBy.first { $0.0 == "select 1" }?.1 == "stmts[0]")
                #expect(answeredBy.first { $0.0 == "select name from users" }?.1 == "upstream")
            }
            // Only relayed statements, the upstream's greeting, the client's user.
            _ = try JSONTrace(json: recorder.traceText, name: "recorded")
            #expect(recorder.statementCount == 3)
            #expect(recorder.traceText.contains(#""server_version":"8.0.40-upstream""#))
            #expect(recorder.traceText.contains(#""username":"app""#))
            #expect(!recorder.traceText.contains("\"pw\""))
        }
    }

    @Test("the recording replays: the same answers from the recorded trace alone")
    func recordingReplays() async throws {
        let recorder = TraceRecorder()
        var live: [MySQLTestClient.QueryResult] = []
        try await withMockServer(json: Self.upstreamTrace(cacheMiss: false)) { upstream in
            try await withMockServer(trace: try Self.relay(to: upstream.port, recorder: recorder)) { front in
                let client = try await MySQLTestClient.connect(port: front.port, options: .init(user: "app"))
                live.append(try await client.query("select name from users"))
                live.append(try await client.query("insert into users values ('cy')"))
                await client.close()
            }
        }
        try await withMockServer(json: recorder.traceText) { replay in
            let client = try await MySQLTestClient.connect(port: replay.port, options: .init(user: "app"))
            #expect(client.greeting?.serverVersion == "8.0.40-upstream")
            let users = try await client.query("select name from users")
            #expect(users.rows == live[0].rows)
            #expect(users.columns == live[0].columns)
            #expect(try await client.query("insert into users values ('cy')").ok == live[1].ok)
            await client.close()
        }
    }

    @Test("caching_sha2_password full authentication over TLS on the upstream leg")
    func tlsUpstream() async throws {
        var options = try MockServerOptions.json(Self.upstreamTrace(cacheMiss: true))
        options.tls = try TestCertificates.tls(mode: .required)
        try await withMockServer(options) { upstream in
            let tls = try UpstreamEndpoint.TLS(mode: .required)
            try await withMockServer(trace: try Self.relay(to: upstream.port, tls: tls)) { front in
                let client = try await MySQLTestClient.connect(port: front.port)
                #expect(try await client.query("select name from users").rows.count == 2)
                await client.close()
            }
            #expect(upstream.journal.snapshot().entries.contains { $0.statement == "select name from users" })
        }
    }

    @Test("TLS required on the upstream leg and not offered: ERR 2026, and the connection stays usable")
    func tlsRequiredNotOffered() async throws {
        try await withMockServer(json: Self.upstreamTrace(cacheMiss: false)) { upstream in
            let tls = try UpstreamEndpoint.TLS(mode: .required)
            try await withMockServer(trace: try Self.relay(to: upstream.port, tls: tls)) { front in
                let client = try await MySQLTestClient.connect(port: front.port)
                let error = await #expect(throws: ERRPacket.self) { try await client.query("select name from users") }
                #expect(error?.code == 2026)
                #expect(try await client.query("select 1").rows == [["1"]])
                await client.close()
            }
        }
    }

    @Test("an upstream that refuses the login: its code, the reason, and the client's session goes on")
    func loginRefused() async throws {
        try await withMockServer(json: Self.upstreamTrace(cacheMiss: false)) { upstream in
            let recorder = TraceRecorder()
            try await withMockServer(trace: try Self.relay(to: upstream.port, password: "wrong", recorder: recorder)) { front in
                let client = try await MySQLTestClient.connect(port: front.port)
                let error = await #expect(throws: ERRPacket.self) { try await client.query("select name from users") }
                #expect(error?.code == 1045)
                #expect(error?.message.contains("refused the login") == true)
                #expect(try await client.query("select 1").rows == [["1"]])
                await client.close()
            }
            #expect(recorder.statementCount == 0)
        }
    }

    @Test("an upstream that is down: ERR 2003 naming it, and the next statement tries again")
    func upstreamDown() async throws {
        // A port that was free a moment ago.
        let port = try await withMockServer(json: #"{"stmts": []}"#) { $0.port }
        try await withMockServer(trace: try Self.relay(to: port)) { front in
            let client = try await MySQLTestClient.connect(port: front.port)
            for _ in 0..<2 {
                let error = await #expect(throws: ERRPacket.self) { try await client.query("select name from users") }
                #expect(error?.code == 2003)
                #expect(error?.message.contains("127.0.0.1:\(port)") == true)
            }
            #expect(try await client.query("select 1").rows == [["1"]])
            await client.close()
        }
    }

    @Test("the client's schema reaches the upstream session: at login and after COM_INIT_DB")
    func schemaFollowsClient() async throws {
        // builtin:default answers SELECT DATABASE() with the session's schema.
        try await withMockServer(trace: DefaultTrace()) { upstream in
            let trace = UpstreamTrace(inner: try JSONTrace(json: #"{"stmts": []}"#, name: "empty"),
                                      endpoint: UpstreamEndpoint(address: .tcp(host: "127.0.0.1", port: upstream.port)),
                                      credentials: .init(), recorder: nil)
            try await withMockServer(trace: trace) { front in
                let client = try await MySQLTestClient.connect(port: front.port, options: .init(database: "shop"))
                #expect(try await client.query("select database()").rows == [["shop"]])
                _ = try await client.command(.initDB("other"))
                #expect(try await client.query("select database()").rows == [["other"]])
                await client.close()
            }
        }
    }

    @Test("a large result (20,000 rows, several MiB) is relayed and recorded whole")
    func largeResult() async throws {
        let rows = (0..<20_000).map { #"["\#($0)", "\#(String(repeating: "x", count: 200))"]"# }.joined(separator: ",")
        let upstreamJSON = #"{"stmts": [{"stmt": "select * from big", "result": {"columns": [{"name": "id", "type": "LONG"}, {"name": "pad", "type": "VAR_STRING"}], "rows": ["# + rows + "]}}]}"
        try await withMockServer(json: upstreamJSON) { upstream in
            let recorder = TraceRecorder()
            let trace = UpstreamTrace(inner: try JSONTrace(json: #"{"stmts": []}"#, name: "empty"),
                                      endpoint: UpstreamEndpoint(address: .tcp(host: "127.0.0.1", port: upstream.port)),
                                      credentials: .init(), recorder: recorder)
            try await withMockServer(trace: trace) { front in
                let client = try await MySQLTestClient.connect(port: front.port)
                let result = try await client.query("select * from big")
                #expect(result.rows.count == 20_000)
                #expect(result.rows.last == ["19999", String(repeating: "x", count: 200)])
                await client.close()
            }
            #expect(recorder.traceText.contains(#"["19999",""#))
        }
    }
}
