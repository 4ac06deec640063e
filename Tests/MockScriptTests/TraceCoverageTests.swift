import MockModel
@testable import MockScript
import Testing

@Suite("Trace coverage: how many statements each entry answered")
struct TraceCoverageTests {
    @Test("counts uses across connections, in trace order; preparing counts nothing; a reset zeroes them")
    func counts() throws {
        let trace = try JSONTrace(json: #"""
            {"stmts": [
              {"stmt": "select 1", "result": {"columns": [{"name": "1", "type": "LONG"}], "rows": [[1]]}},
              {"stmt.regex": "SET .*", "ok": {}},
              {"stmt": "never", "ok": {}},
              {"ok": {"message": "in turn"}}
            ]}
            """#, name: "t.json")
        let a = trace.makeResponder(for: SessionInfo(connectionID: 1, port: 0))
        let b = trace.makeResponder(for: SessionInfo(connectionID: 2, port: 0))
        _ = a.respond(to: "select 1")
        _ = b.respond(to: "select 1")
        _ = a.prepare("select 1")
        _ = b.respond(to: "SET x = 1")
        _ = b.respond(to: "something else")
        _ = b.respond(to: "unmatched now")
        #expect(trace.coverage == [
            EntryCoverage(entry: "stmts[0]", matcher: "select 1", isRegex: false, uses: 2),
            EntryCoverage(entry: "stmts[1]", matcher: "SET .*", isRegex: true, uses: 1),
            EntryCoverage(entry: "stmts[2]", matcher: "never", isRegex: false, uses: 0),
            EntryCoverage(entry: "stmts[3]", matcher: nil, isRegex: false, uses: 1),
        ])
        trace.resetCoverage()
        #expect(trace.coverage?.map(\.uses) == [0, 0, 0, 0])
    }
}
