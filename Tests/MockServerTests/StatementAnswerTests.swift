import MockModel
import MockServer
import MockTesting
import MySQLWire
import Testing

/// The responder seam: several results for one statement, and answers that arrive later.
@Suite("Statement answers")
struct StatementAnswerTests {
    static let rows = ResultSet(columns: [Column(name: "a", type: ColumnType.longlong.rawValue)], rows: [["1"], ["2"]])
    static let more = ServerStatus.moreResultsExist

    static let trace = ScriptedTrace { statement in
        switch statement {
        case "call p()":
            .several([.result(rows), .result(ResultSet(columns: rows.columns, rows: [["3"]])),
                      .ok(OKResponse(affectedRows: 3))])
        case "failing batch":
            .several([.ok(OKResponse(affectedRows: 1)),
                      .error(ErrorResponse(code: 1146, sqlState: "42S02", message: "Table 'x' doesn't exist")),
                      .ok(OKResponse(affectedRows: 99))])
        case "upstream":
            .later {
                try? await Task.sleep(for: .milliseconds(100))
                return .one(.ok(OKResponse(affectedRows: 9)))
            }
        case "slow batch":
            .several([StatementResponse(.ok(OKResponse(affectedRows: 1)), execTime: .milliseconds(50)),
                      StatementResponse(.ok(OKResponse(affectedRows: 2)), execTime: .milliseconds(50))])
        default:
            .one(.ok(OKResponse(affectedRows: 2)))
        }
    }

    @Test("several results: each but the last says more results exist; sequence ids run on")
    func several() async throws {
        try await withMockServer(trace: Self.trace) { server in
            let client = try await MySQLTestClient.connect(port: server.port)
            try await client.sendCommand(.query("call p()"))
            let first = try await client.readResponse()
            let second = try await client.readResponse()
            let last = try await client.readResponse()
            #expect(first.rows == [["1"], ["2"]] && second.rows == [["3"]])
            #expect(first.ok?.status.contains(Self.more) == true && second.ok?.status.contains(Self.more) == true)
            #expect(last.ok?.affectedRows == 3 && last.ok?.status.contains(Self.more) == false)
            #expect(try await client.query("next").ok?.affectedRows == 2)
            await client.close()
        }
    }

    @Test("an error ends the batch: results after it are not sent")
    func errorEndsBatch() async throws {
        try await withMockServer(trace: Self.trace) { server in
            let client = try await MySQLTestClient.connect(port: server.port)
            try await client.sendCommand(.query("failing batch"))
            #expect(try await client.readResponse().ok?.status.contains(Self.more) == true)
            await #expect(throws: ERRPacket(code: 1146, sqlState: "42S02", message: "Table 'x' doesn't exist")) {
                try await client.readResponse()
            }
            #expect(try await client.query("next").ok?.affectedRows == 2)
            await client.close()
        }
    }

    @Test("an answer that arrives later keeps the order of pipelined statements")
    func later() async throws {
        try await withMockServer(trace: Self.trace) { server in
            let client = try await MySQLTestClient.connect(port: server.port)
            let started = ContinuousClock.now
            try await client.sendCommand(.query("upstream"))
            try await client.sendCommand(.query("next"))
            #expect(try await client.readResponse().ok?.affectedRows == 9)
            #expect(ContinuousClock.now - started >= .milliseconds(100))
            #expect(try await client.readResponse().ok?.affectedRows == 2)
            await client.close()
        }
    }

    @Test("each result of a batch waits for its own exec_time")
    func delayedBatch() async throws {
        try await withMockServer(trace: Self.trace) { server in
            let client = try await MySQLTestClient.connect(port: server.port)
            let started = ContinuousClock.now
            try await client.sendCommand(.query("slow batch"))
            #expect(try await client.readResponse().ok?.affectedRows == 1)
            let first = ContinuousClock.now - started
            #expect(try await client.readResponse().ok?.affectedRows == 2)
            let second = ContinuousClock.now - started
            #expect(first >= .milliseconds(50) && second >= .milliseconds(100))
            await client.close()
        }
    }
}
