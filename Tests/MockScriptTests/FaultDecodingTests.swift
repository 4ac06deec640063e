import MockModel
@testable import MockScript
import Testing

@Suite("Faults in traces")
struct FaultDecodingTests {
    static func responder(_ json: String) throws -> any StatementResponder {
        try JSONTrace(json: json, name: "t.json").makeResponder(for: SessionInfo(connectionID: 1, port: 0))
    }

    @Test("every fault reads, alone or with the answer it cuts, in answers and results too")
    func reads() throws {
        let r = try Self.responder(#"""
            {"handshake": {"fault": "greeting_then_close"},
             "stmts": [
              {"stmt": "a", "fault": "close", "exec_time": 5},
              {"stmt": "b", "result": {"columns": [{"name": "n", "type": "LONG"}], "rows": [[1], [2]]},
               "fault": {"after_rows": 1, "then": "stall"}},
              {"stmt": "c", "answers": [{"ok": {}}, {"fault": "reset"}]},
              {"stmt": "d", "results": [{"ok": {}}, {"ok": {}, "fault": "garbage"}]},
              {"stmt": "e", "error": {"code": 1, "message": "x"}, "fault": "truncate"}]}
            """#)
        #expect(r.handshake(.greeting).fault == .greetingThenClose)
        let a = try #require(r.answer(StatementRequest(text: "a")).results.first)
        #expect(a.fault == .close && a.execTime == .milliseconds(5))
        #expect(r.answer(StatementRequest(text: "b")).results.first?.fault == .afterRows(1, then: .stall))
        #expect(r.answer(StatementRequest(text: "c")).results.first?.fault == nil)
        #expect(r.answer(StatementRequest(text: "c")).results.first?.fault == .reset)
        #expect(r.answer(StatementRequest(text: "d")).results.map(\.fault) == [nil, .garbage])
        #expect(r.answer(StatementRequest(text: "e")).results.first?.fault == .truncate)
        #expect(Fault.afterRows(2, then: .close).description == "after_rows:2:close")
    }

    @Test("after_rows then an error: the rows cut, the error in place of the end of rows; without rows, the error")
    func errorAfterRows() throws {
        let fault = try Fault(json: JSONValue(parsing: #"{"after_rows": 1, "then": {"error": {"code": 1205, "message": "Lock wait"}}}"#))
        let error = ErrorResponse(code: 1205, sqlState: "HY000", message: "Lock wait")
        #expect(fault == .errorAfterRows(1, error))
        #expect(fault.description == "after_rows:1:error:1205")
        let result = StatementResponse(.result(ResultSet(columns: [Column(name: "n", type: 3)], rows: [["1"], ["2"]])))
        let failed = result.failing(afterRows: 1, with: error)
        #expect(failed.result?.rows == [["1"]] && failed.result?.error == error)
        #expect(StatementResponse(.ok(OKResponse())).failing(afterRows: 1, with: error).error == error)
        #expect(throws: TraceError.self) {
            try Fault(json: JSONValue(parsing: #"{"after_rows": 1, "then": {"warning": {}}}"#))
        }
    }

    @Test("a fault that is not one is refused at load with its path and the choices")
    func refuses() {
        let cases: [(String, String)] = [
            (#"{"stmt": "a", "fault": "explode"}"#, "stmts[0].fault: unknown fault \"explode\""),
            (#"{"stmt": "a", "fault": {"after_rows": -2}}"#, "stmts[0].fault.after_rows: after_rows must be a whole number"),
            (#"{"stmt": "a", "fault": {"after_rows": 1, "then": "explode"}}"#, "then must be one of close, reset, stall"),
            (#"{"stmt": "a", "fault": {"rows": 1}}"#, "expected 'after_rows'"),
            (#"{"stmt": "a", "fault": 3}"#, "fault must be one of"),
        ]
        for (entry, message) in cases {
            #expect(throws: TraceError.self) { _ = try JSONTrace(json: #"{"stmts": [\#(entry)]}"#, name: "t.json") }
            do {
                _ = try JSONTrace(json: #"{"stmts": [\#(entry)]}"#, name: "t.json")
            } catch {
                #expect(error.description.contains(message), "\(error)")
            }
        }
        #expect(throws: TraceError.self) { _ = try JSONTrace(json: #"{"handshake": {"fault": "later"}, "stmts": []}"#, name: "t") }
    }
}
