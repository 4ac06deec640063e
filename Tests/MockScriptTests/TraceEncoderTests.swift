import MockModel
@testable import MockScript
import Testing

/// `TraceEncoder` writes what `ResponseDecoder` reads: a response written as a trace entry and
/// loaded back is the same response (what a recorded trace relies on).
@Suite("Trace encoder: responses written as trace JSON read back the same")
struct TraceEncoderTests {
    static let responses: [[StatementResponse]] = {
        var column = Column(name: "id", type: 8)
        (column.orgName, column.table, column.orgTable, column.schema) = ("id", "t", "orders", "shop")
        (column.characterSet, column.length, column.flags, column.decimals) = (63, 20, 0x4203, 0)
        var blob = Column(name: "b", type: 252)
        (blob.characterSet, blob.length, blob.flags) = (63, 65535, 0x90)
        var money = Column(name: "price", type: 246)
        (money.characterSet, money.length, money.decimals) = (63, 12, 2)
        var end = OKResponse()
        (end.status, end.warningCount) = (0x0022, 1)
        var ok = OKResponse(affectedRows: 3, lastInsertID: UInt64.max)
        (ok.status, ok.warningCount, ok.message) = (0x4002, 2, "Rows matched: 3  Changed: 3  Warnings: 2")
        ok.sessionTrackers = [.systemVariable(name: "autocommit", value: "OFF"), .schema("shop"), .state("1"),
                              .gtid("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5"),
                              .transactionCharacteristics("START TRANSACTION;"), .transactionState("T_______")]
        return [
            [StatementResponse(.result(ResultSet(columns: [column, blob, money],
                                                 rows: [[.text("1"), .bytes([0xFF, 0x00, 0x80]), .text("9.99")],
                                                        [.text("2"), nil, .bytes(Array("é".utf8))]], end: end)))],
            [StatementResponse(.ok(ok), execTime: .microseconds(1500))],
            [StatementResponse(.error(ErrorResponse(code: 1146, sqlState: "42S02", message: "Table 'shop.x' doesn't exist")))],
            [StatementResponse(.result(ResultSet(columns: [Column(name: "n", type: 3)], rows: []))),
             StatementResponse(.ok(OKResponse(affectedRows: 0)))],
        ]
    }()

    @Test("every response kind, all column metadata, any bytes, OK fields and trackers, several results",
          arguments: responses.indices)
    func roundTrip(index: Int) throws {
        let original = Self.responses[index]
        guard case .object(var entry) = TraceEncoder.answer(original) else { Issue.record("not an object"); return }
        entry["stmt"] = .string("q")
        let json = JSONValue.object(["stmts": .array([.object(entry)])]).jsonText
        let trace = try JSONTrace(json: json, name: "recorded.json")
        let responder = trace.makeResponder(for: SessionInfo(connectionID: 1, port: 3306))
        let replayed = responder.answer(StatementRequest(text: "q")).results
        #expect(replayed.count == original.count)
        for (a, b) in zip(replayed, original) {
            #expect(Self.same(a.kind, b.kind), "\(json)")
            #expect(a.execTime == b.execTime)
        }
    }

    static func same(_ a: StatementResponse.Kind, _ b: StatementResponse.Kind) -> Bool {
        switch (a, b) {
        case (.ok(let x), .ok(let y)): x == y
        case (.error(let x), .error(let y)): x == y
        case (.result(let x), .result(let y)): x.columns == y.columns && x.rows == y.rows && x.end == y.end
        default: false
        }
    }

    @Test("exec_time in milliseconds with fractions")
    func milliseconds() {
        #expect(TraceEncoder.milliseconds(.milliseconds(250)) == "250")
        #expect(TraceEncoder.milliseconds(.microseconds(1500)) == "1.5")
        #expect(TraceEncoder.milliseconds(.nanoseconds(1)) == "0.000001")
    }
}
