import MockModel
@testable import MockScript
import Testing

@Suite("Trace response objects")
struct ResponseDecoderTests {
    func load(_ json: String) throws(TraceError) -> JSONTrace {
        try JSONTrace(json: json, name: "trace.json")
    }

    func failure(_ json: String) -> TraceError? {
        do {
            _ = try load(json)
            return nil
        } catch {
            return error
        }
    }

    @Test("every reference column type name, any case, and numeric codes")
    func columnTypes() throws {
        let names = ColumnTypeName.codes.keys.sorted()
        let columns = names.map { #"{"name": "\#($0)", "type": "\#($0.lowercased())"}"# }.joined(separator: ",")
        let trace = try load(#"{"stmts": [{"result": {"columns": [\#(columns), {"name": "j", "type": 245}, {"name": "k", "type": "246"}]}}]}"#)
        let result = try #require(trace.makeResponder(for: SessionInfo(connectionID: 1, port: 0)).respond(to: "q").result)
        #expect(result.columns.map(\.type) == names.compactMap { ColumnTypeName.codes[$0] } + [245, 246])
    }

    @Test("result.error: the rows, then that error in place of the end of the rows")
    func resultError() throws {
        let trace = try load("""
            {"stmts": [{"result": {"columns": [{"name": "a", "type": "LONG"}], "rows": [[1], [2]],
              "error": {"code": 1242, "sql_state": "21000", "message": "Subquery returns more than 1 row"}}}]}
            """)
        let response = trace.makeResponder(for: SessionInfo(connectionID: 1, port: 0)).respond(to: "q")
        let result = try #require(response.result)
        #expect(result.rows == [["1"], ["2"]])
        #expect(result.error == ErrorResponse(code: 1242, sqlState: "21000", message: "Subquery returns more than 1 row"))
        #expect(response.isError)
        #expect(response.error?.code == 1242)
        // It ends a batch of results as an ERR does.
        let batch = StatementAnswer.several([response, .ok(OKResponse())])
        #expect(batch.results.count == 1)
    }

    @Test("local_infile: the file the statement names, another file, or none; written back as read")
    func localInfile() throws {
        let trace = try load("""
            {"stmts": [{"stmt": "a", "local_infile": true, "ok": {"affected_rows": 3}},
                       {"stmt": "b", "local_infile": {"filename": "/etc/hosts"}, "ok": {}},
                       {"stmt": "c", "local_infile": false, "ok": {}}]}
            """)
        let responder = trace.makeResponder(for: SessionInfo(connectionID: 1, port: 0))
        let a = responder.respond(to: "a"), b = responder.respond(to: "b"), c = responder.respond(to: "c")
        #expect(a.localInfile == .named && a.ok?.affectedRows == 3)
        #expect(b.localInfile == .file("/etc/hosts"))
        #expect(c.localInfile == nil)
        #expect(TraceEncoder.response(a).jsonText == #"{"local_infile":true,"ok":{"affected_rows":3}}"#)
        #expect(TraceEncoder.response(b).jsonText == #"{"local_infile":{"filename":"/etc/hosts"},"ok":{}}"#)
    }

    @Test("column metadata fields and defaults")
    func columnFields() throws {
        let trace = try load("""
            {"stmts": [{"result": {"columns": [
              {"name": "a", "type": "LONG", "orig_name": "oa", "table": "t", "orig_table": "ot", "schema": "s",
               "catalog": "c", "character_set": 63, "length": 11, "flags": 1, "decimals": 2},
              {"name": "b", "type": "STRING"}]}}]}
            """)
        let result = try #require(trace.makeResponder(for: SessionInfo(connectionID: 1, port: 0)).respond(to: "q").result)
        var a = Column(name: "a", type: 3)
        (a.orgName, a.table, a.orgTable, a.schema, a.catalog) = ("oa", "t", "ot", "s", "c")
        (a.characterSet, a.length, a.flags, a.decimals) = (63, 11, 1, 2)
        #expect(result.columns[0] == a)
        #expect(result.columns[1].name == "b" && result.columns[1].type == 254)
        #expect(result.columns[1].catalog == "def")
        #expect(result.columns[1].characterSet == 255)
    }

    @Test("what a column leaves out is what a server sends for its type and values (issue 15)")
    func columnDefaultsFromTypeAndValues() throws {
        let trace = try load("""
            {"stmts": [{"result": {"columns": [
              {"name": "price", "type": "NEWDECIMAL"}, {"name": "big", "type": "LONGLONG"},
              {"name": "n", "type": "LONG"}, {"name": "at", "type": "DATETIME"}, {"name": "d", "type": "DATE"},
              {"name": "x", "type": "DOUBLE"}, {"name": "s", "type": "VAR_STRING"},
              {"name": "given", "type": "NEWDECIMAL", "decimals": 4, "flags": 1, "character_set": 33, "length": 7}],
              "rows": [["12.34", 18446744073709551615, 7, "2024-01-02 03:04:05.125", "2024-01-02", 1.5, "héllo", "1.5"],
                       ["-0.50", 1, null, "2024-01-02 03:04:05", null, 2, "ab", null]]}}]}
            """)
        let result = try #require(trace.makeResponder(for: SessionInfo(connectionID: 1, port: 0)).respond(to: "q").result)
        let c = result.columns
        let numeric = ColumnDefaults.numFlag | ColumnDefaults.binaryFlag
        // DECIMAL: the scale of its values, so that 12.34 is not read as 12 (Ruby's mysql2).
        #expect((c[0].decimals, c[0].characterSet, c[0].flags, c[0].length) == (2, 63, numeric, 6))
        // A value past BIGINT's signed range makes the column UNSIGNED.
        #expect((c[1].characterSet, c[1].flags, c[1].length) == (63, numeric | ColumnDefaults.unsignedFlag, 20))
        #expect((c[2].characterSet, c[2].flags, c[2].length) == (63, numeric, 11))
        // Temporal: binary, and the fractional seconds of the values.
        #expect((c[3].characterSet, c[3].flags, c[3].decimals, c[3].length) == (63, ColumnDefaults.binaryFlag, 3, 23))
        #expect((c[4].characterSet, c[4].decimals, c[4].length) == (63, 0, 10))
        #expect((c[5].decimals, c[5].length) == (31, 22))
        // Text: utf8mb4, four bytes a character of the longest value.
        #expect((c[6].characterSet, c[6].flags, c[6].length) == (255, 0, 20))
        // What the trace says wins.
        #expect((c[7].decimals, c[7].flags, c[7].characterSet, c[7].length) == (4, 1, 33, 7))
    }

    @Test("cells: null is NULL, numbers exactly as written (issue 14), booleans 1/0, objects as JSON")
    func cells() throws {
        let trace = try load("""
            {"stmts": [{"result": {"columns": [{"name": "a", "type": "STRING"}],
              "rows": [[null], ["x"], [4097], [1.5], [100.0], [true], [[1,2]], [{"k": "v"}], [-9223372036854775808]]}}]}
            """)
        let result = try #require(trace.makeResponder(for: SessionInfo(connectionID: 1, port: 0)).respond(to: "q").result)
        #expect(result.rows == [[nil], ["x"], ["4097"], ["1.5"], ["100.0"], ["1"], ["[1,2]"], [#"{"k":"v"}"#],
                                ["-9223372036854775808"]])
    }

    @Test("bytes cells: {$hex} and {$base64} carry bytes that are not UTF-8; other objects stay JSON text")
    func byteCells() throws {
        let trace = try load("""
            {"stmts": [{"result": {"columns": [{"name": "b", "type": "BLOB"}],
              "rows": [[{"$hex": "00FFc328"}], [{"$base64": "AP/DKA=="}], [{"$hex": ""}], [{"$base64": "YWI="}],
                       [{"$hex": "00", "x": 1}]]}}]}
            """)
        let result = try #require(trace.makeResponder(for: SessionInfo(connectionID: 1, port: 0)).respond(to: "q").result)
        #expect(result.rows == [[.bytes([0, 0xFF, 0xC3, 0x28])], [.bytes([0, 0xFF, 0xC3, 0x28])], [.bytes([])], ["ab"],
                                [#"{"$hex":"00","x":1}"#]])
    }

    @Test("session trackers of every kind")
    func trackers() throws {
        let trace = try load("""
            {"stmts": [{"ok": {"session_trackers": [
              {"type": "system_variable", "name": "autocommit", "value": "ON"},
              {"type": "schema", "schema": "db"}, {"type": "state", "state": "1"},
              {"type": "gtid", "gtid": "u:1"}, {"type": "trx_characteristics", "trx_stmt": "START TRANSACTION;"},
              {"type": "trx_state", "state": "T_______"}]}}]}
            """)
        let ok = try #require(trace.makeResponder(for: SessionInfo(connectionID: 1, port: 0)).respond(to: "q").ok)
        #expect(ok.sessionTrackers == [
            .systemVariable(name: "autocommit", value: "ON"), .schema("db"), .state("1"), .gtid("u:1"),
            .transactionCharacteristics("START TRANSACTION;"), .transactionState("T_______"),
        ])
    }

    @Test("broken traces name the file, the JSON path and what was expected", arguments: [
        (#"{"stmts": [{"ok": {}}, {"result": {"columns": [{"name": "a", "type": "VARCHAR2"}]}}]}"#,
         #"trace.json: stmts[1].result.columns[0].type: Unknown type: "VARCHAR2""#),
        (#"{"stmts": [{"result": {"columns": [{"type": "LONG"}]}}]}"#,
         #"trace.json: stmts[0].result.columns[0]: Wrong statements document structure: missing field "name""#),
        (#"{"stmts": [{"result": {"columns": [{"name": "a", "type": "LONG", "decimals": -1}]}}]}"#,
         #"trace.json: stmts[0].result.columns[0].decimals: value out-of-range for field "decimals", expected 0…255"#),
        (#"{"stmts": [{"result": {"columns": [{"name": "a", "type": "LONG", "repeat": 2}]}}]}"#,
         "trace.json: stmts[0].result.columns[0]: repeat is not supported"),
        (#"{"stmts": [{"stmt": "x"}]}"#, "trace.json: stmts[0]: expected 'error', 'ok' or 'result'"),
        (#"{"stmts": [{"ok": {}, "error": {"code": 1, "message": "m"}}]}"#,
         "trace.json: stmts[0]: expected exactly one of 'error', 'ok' or 'result', got error and ok"),
        (#"{"stmts": [{"error": {"message": "m"}}]}"#, #"trace.json: stmts[0].error: missing field "code""#),
        (#"{"stmts": [{"local_infile": 1, "ok": {}}]}"#,
         #"trace.json: stmts[0].local_infile: expected 'local_infile' to be true, false or {"filename": "…"}, got number"#),
        (#"{"stmts": [{"local_infile": {}, "ok": {}}]}"#, #"trace.json: stmts[0].local_infile: missing field "filename""#),
        (#"{"stmts": [{"result": {"columns": [], "error": {"message": "m"}}}]}"#,
         #"trace.json: stmts[0].result.error: missing field "code""#),
        (#"{"stmts": [{"exec_time": -1, "ok": {}}]}"#,
         "trace.json: stmts[0].exec_time: exec_time must be a non-negative number of milliseconds"),
        (#"{"stmts": [{"exec_time": 1e300, "ok": {}}]}"#,
         "trace.json: stmts[0].exec_time: exec_time must be at most 9000000000000 ms (about 285 years), got 1e+300"),
        (#"{"stmts": [{"stmt_regex": "(", "ok": {}}]}"#, "trace.json: stmts[0].stmt_regex: invalid regular expression"),
        (#"{"stmts": "x"}"#, "trace.json: stmts: expected 'stmts' to be an array, got string"),
        (#"{"handshake": "foo", "stmts": []}"#, "trace.json: handshake: handshake must be an object, if set. Is string"),
        (#"{"handshake": {"greeting": {"exec_time": {}}}, "stmts": []}"#,
         "trace.json: handshake.greeting.exec_time: exec_time must be a number, if set. Is object"),
        (#"{"stmts": [{"ok": {"session_trackers": [{"type": "nope"}]}}]}"#,
         "trace.json: stmts[0].ok.session_trackers[0]: unknown session_tracker.type = nope"),
        (#"{"stmts": [{"result": {"columns": [{"name": "b", "type": "BLOB"}], "rows": [[1, {"$hex": "abc"}]]}}]}"#,
         #"trace.json: stmts[0].result.rows[0][1]: $hex: expected an even number of hex digits, got "abc""#),
        (#"{"stmts": [{"result": {"columns": [{"name": "b", "type": "BLOB"}], "rows": [[{"$hex": "zz"}]]}}]}"#,
         #"trace.json: stmts[0].result.rows[0][0]: $hex: expected an even number of hex digits, got "zz""#),
        (#"{"stmts": [{"result": {"columns": [{"name": "b", "type": "BLOB"}], "rows": [[{"$base64": "a b"}]]}}]}"#,
         #"trace.json: stmts[0].result.rows[0][0]: $base64: expected base64 (RFC 4648, padded), got "a b""#),
        (#"{"stmts": [{"result": {"columns": [{"name": "b", "type": "BLOB"}], "rows": [[{"$hex": 12}]]}}]}"#,
         "trace.json: stmts[0].result.rows[0][0]: $hex: expected a string, got number"),
        (#"{"stmts": [}"#, "trace.json: not valid JSON"),
        (#"{"stmts": [] "x": 1}"#, "trace.json: not valid JSON"),
        (#"[]"#, "trace.json: expected the trace to be an object"),
        (#"{"stmts": [], "fallback": "builtin:nope"}"#, #"trace.json: fallback: unknown fallback "builtin:nope""#),
    ])
    func brokenTraces(json: String, message: String) {
        let error = failure(json)
        #expect(error?.description.hasPrefix(message) == true, "got: \(String(describing: error))")
    }
}
