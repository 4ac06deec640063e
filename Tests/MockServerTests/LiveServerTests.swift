import MockModel
import MockScript
import MockServer
import MockTesting
import MySQLWire
import NIOCore
import Testing

/// The whole server on a real socket (port 0), driven by `MySQLTestClient`.
@Suite("Live classic server")
struct LiveServerTests {
    static let trace = """
        {"handshake": {"auth": {"username": "app", "password": "s3cret"}},
         "stmts": [
          {"stmt": "select * from t", "result": {
             "columns": [{"name": "id", "type": "LONGLONG"}, {"name": "name", "type": "VAR_STRING"}],
             "rows": [[1, "one"], [2, null]]}},
          {"stmt": "insert", "ok": {"affected_rows": 1, "last_insert_id": 4294967296, "message": "done"}},
          {"stmt": "fail", "error": {"code": 1146, "sql_state": "42S02", "message": "Table 't' doesn't exist"}},
          {"stmt": "slow", "exec_time": 200, "ok": {"affected_rows": 7}}
         ]}
        """

    let app = MySQLTestClient.Options(user: "app", password: "s3cret")

    @Test("log in with mysql_native_password and caching_sha2_password; wrong password gets 1045")
    func login() async throws {
        try await withMockServer(json: Self.trace) { server in
            let native = try await MySQLTestClient.connect(port: server.port, options: app)
            try await native.ping()
            await native.close()

            var sha2 = app
            sha2.authPlugin = AuthPlugin.cachingSHA2Password
            let fast = try await MySQLTestClient.connect(port: server.port, options: sha2)
            #expect(fast.authExchange == ["more:3"])
            await fast.close()

            var wrong = app
            wrong.password = "nope"
            await #expect(throws: ERRPacket.self) { try await MySQLTestClient.connect(port: server.port, options: wrong) }
            do {
                _ = try await MySQLTestClient.connect(port: server.port, options: wrong)
            } catch let error as ERRPacket {
                #expect(error.code == 1045)
                #expect(error.sqlState == "28000")
                #expect(error.message.hasPrefix("Access denied for user 'app'@'127.0.0.1'"))
            }
        }
    }

    @Test("result sets, OK packets and ERRs reach the client as the trace says")
    func responses() async throws {
        try await withMockServer(json: Self.trace) { server in
            let client = try await MySQLTestClient.connect(port: server.port, options: app)
            let rows = try await client.query("select * from t")
            #expect(rows.columns.map(\.name) == ["id", "name"])
            #expect(rows.columns.map(\.type) == [.longlong, .varString])
            #expect(rows.rows == [["1", "one"], ["2", nil]])

            let ok = try #require(try await client.query("insert").ok)
            #expect(ok.affectedRows == 1)
            #expect(ok.lastInsertID == 4_294_967_296)
            #expect(ok.info == "done")

            await #expect(throws: ERRPacket(code: 1146, sqlState: "42S02", message: "Table 't' doesn't exist")) {
                try await client.query("fail")
            }
            // The connection survives an ERR and an unknown statement.
            let miss = await #expect(throws: ERRPacket.self) { try await client.query("selct 1") }
            #expect(miss?.code == 1064)
            try await client.ping()
            await client.close()
        }
    }

    @Test("exec_time delays the response, and pipelined commands stay in order")
    func delays() async throws {
        try await withMockServer(json: Self.trace) { server in
            let client = try await MySQLTestClient.connect(port: server.port, options: app)
            let start = ContinuousClock.now
            // Two commands written back to back: the second waits behind the delayed first.
            try await client.sendCommand(.query("slow"))
            try await client.sendCommand(.query("insert"))
            let first = try await client.readResponse()
            #expect(ContinuousClock.now - start >= .milliseconds(200))
            #expect(first.ok?.affectedRows == 7)
            let second = try await client.readResponse()
            #expect(second.ok?.info == "done")
            await client.close()
        }
    }

    @Test("a 20 MiB row goes out in 16 MiB fragments and a 20 MiB query comes in reassembled")
    func bigPackets() async throws {
        let big = String(repeating: "x", count: 20 << 20)
        let json = #"{"stmts": [{"stmt_regex": "select '.*'", "result": {"columns": [{"name": "c", "type": "LONGBLOB"}], "rows": [["\#(big)"]]}}]}"#
        try await withMockServer(json: json) { server in
            let client = try await MySQLTestClient.connect(port: server.port)
            let result = try await client.query("select '\(big)'")
            #expect(result.rows.first?.first??.count == 20 << 20)
            await client.close()
        }
    }

    @Test("garbage closes only its own connection; the server keeps serving")
    func garbage() async throws {
        try await withMockServer(json: Self.trace) { server in
            let good = try await MySQLTestClient.connect(port: server.port, options: app)
            let bad = try await MySQLTestClient.connect(port: server.port, options: app)
            try await bad.send(ByteBuffer(), sequenceID: 0)  // an empty command packet
            let reply = try await bad.readPacket()
            var payload = reply.payload
            #expect(try ERRPacket(from: &payload).code == 1835)
            #expect(await bad.isClosedByServer())
            try await good.ping()
            let again = try await MySQLTestClient.connect(port: server.port, options: app)
            try await again.ping()
            await good.close()
            await again.close()
        }
    }

    @Test("a packet over --max-packet-size is refused with 1153 and closes")
    func tooLarge() async throws {
        try await withMockServer(trace: DefaultTrace(), maxPacketSize: 4096) { server in
            let client = try await MySQLTestClient.connect(port: server.port)
            // Declare a 1 GiB packet; the server must answer without waiting for the bytes.
            try await client.sendRaw([0xFF, 0xFF, 0xFF, 0x00])
            var payload = try await client.readPacket().payload
            #expect(try ERRPacket(from: &payload).code == 1153)
            #expect(await client.isClosedByServer())
        }
    }

    @Test("a client that sends nothing is closed after the connect timeout")
    func connectTimeout() async throws {
        try await withMockServer(trace: DefaultTrace(), connectTimeout: .milliseconds(300)) { server in
            let start = ContinuousClock.now
            let idle = try await MySQLTestClient.open(port: server.port)
            _ = try await idle.readPacket()  // the greeting
            #expect(await idle.isClosedByServer())
            // Not before the timeout (measured from before the connect, so it cannot be early).
            #expect(ContinuousClock.now - start >= .milliseconds(290))
            // The server forgets the session when its close completes, which may be just after the
            // client sees the end of the stream.
            for _ in 0..<200 where server.registry.count() > 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(server.registry.count() == 0)
        }
    }

    @Test("connection ids increase per connection; the registry closes all")
    func registry() async throws {
        try await withMockServer(trace: DefaultTrace()) { server in
            let a = try await MySQLTestClient.connect(port: server.port)
            let b = try await MySQLTestClient.connect(port: server.port)
            let ida = try #require(a.greeting?.connectionID)
            #expect(b.greeting?.connectionID == ida + 1)
            #expect(try await b.query("select connection_id()").rows == [[String(ida + 1)]])
            #expect(server.registry.count() == 2)
            server.registry.closeAll()
            #expect(await a.isClosedByServer())
            #expect(await b.isClosedByServer())
            await server.registry.waitUntilEmpty()
            let c = try await MySQLTestClient.connect(port: server.port)
            try await c.ping()
            await c.close()
        }
    }

    @Test("COM_CHANGE_USER and COM_INIT_DB change what the trace sees")
    func changeUser() async throws {
        try await withMockServer(trace: DefaultTrace()) { server in
            let client = try await MySQLTestClient.connect(port: server.port)
            _ = try await client.command(.initDB("shop"))
            #expect(try await client.query("select database()").rows == [["shop"]])
            let nonce = try #require(client.greeting?.nonce)
            _ = try await client.command(.changeUser(ChangeUser(
                username: "other", authResponse: AuthScramble.nativePassword(password: "x", nonce: nonce),
                schema: "db2", authPluginName: AuthPlugin.nativePassword)))
            #expect(try await client.query("select user(), database()").rows == [["other@localhost", "db2"]])
            await client.close()
        }
    }
}
