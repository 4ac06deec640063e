import MockModel
@testable import MockScript
import Testing

/// JavaScript traces in-process: the responder seam without a server.
@Suite("JavaScript traces")
struct JavaScriptTraceTests {
    static let fixtures: String = {
        var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)
        return parts.joined(separator: "/") + "/Integration/traces/js"
    }()

    let session = SessionInfo(connectionID: 3, port: 4406)

    func trace(_ source: String, file: String = "inline.js", globals: GlobalStore = GlobalStore()) -> JavaScriptTrace {
        JavaScriptTrace(source: source, file: file, modulePrefixes: [Self.fixtures], globals: globals,
                        logger: .init(label: "test"))
    }

    func fixture(_ name: String, globals: GlobalStore = GlobalStore()) throws -> any Trace {
        try TraceLoader.load("\(Self.fixtures)/\(name)", modulePrefixes: [Self.fixtures], globals: globals)
    }

    @Test("a stmts function sees the statement and mysqld.session")
    func function() throws {
        let r = trace("""
            ({stmts: function (stmt) {
              return {result: {columns: [{name: "p", type: "LONG"}, {name: "s", type: "STRING"}],
                               rows: [[mysqld.session.port, stmt]]}};
            }})
            """).makeResponder(for: session)
        #expect(r.respond(to: "hello").result?.rows == [["4406", "hello"]])
    }

    @Test("cells are converted with JavaScript ToString; null stays NULL")
    func cells() {
        let r = trace("""
            ({stmts: function () {
              return {result: {columns: [{name: "c", type: "STRING"}],
                               rows: [[null], [true], [1.5], [4097], [undefined], [[1, 2]], [{a: 1}]]}};
            }})
            """).makeResponder(for: session)
        #expect(r.respond(to: "q").result?.rows == [[nil], ["true"], ["1.5"], ["4097"], ["undefined"], ["1,2"],
                                                      ["[object Object]"]])
    }

    @Test("bytes cells: Uint8Array, Buffer, ArrayBuffer and {$hex} / {$base64} objects carry any bytes")
    func byteCells() {
        let r = trace("""
            ({stmts: function () {
              var u = new Uint8Array([0, 255, 128, 10]);
              return {result: {columns: [{name: "c", type: "BLOB"}],
                               rows: [[u], [u.buffer], [{$hex: "c328"}], [{$base64: "/w=="}], [{$hex: "zz", x: 1}]]}};
            }})
            """).makeResponder(for: session)
        #expect(r.respond(to: "q").result?.rows == [[.bytes([0, 255, 128, 10])], [.bytes([0, 255, 128, 10])],
                                                      [.bytes([0xC3, 0x28])], [.bytes([0xFF])], ["[object Object]"]])
    }

    @Test("an execution of a prepared statement: the text with values written in, and {kind, text, statement_id, params}")
    func execution() throws {
        let r = trace("""
            ({stmts: function (stmt, info) {
              return {result: {columns: [{name: "s", type: "STRING"}, {name: "i", type: "STRING"}],
                               rows: [[stmt, info === undefined ? "query" : JSON.stringify(info)]]}};
            }})
            """).makeResponder(for: session)
        let request = StatementRequest(text: "SELECT ?, ?, ?, ?", kind: .execute, statementID: 3,
                                       parameters: [.int(7), .text("x'y"), .null, .bytes([0, 0xFF])])
        let rows = try #require(r.answer(request).results.first?.result?.rows)
        #expect(rows == [[#"SELECT 7, 'x\'y', NULL, X'00FF'"#,
                          #"{"kind":"execute","params":[7,"x'y",null,{"$hex":"00ff"}],"statement_id":3,"text":"SELECT ?, ?, ?, ?"}"#]])
        #expect(r.respond(to: "q").result?.rows == [["q", "query"]])
    }

    @Test("a stmts function answers with several results through {results: [...]}; X arguments reach it as a query")
    func severalResults() throws {
        let r = trace("""
            ({stmts: function (stmt, info) {
              if (stmt === "CALL p()")
                return {results: [{result: {columns: [{name: "a", type: "LONG"}], rows: [[1]]}}, {ok: {status: 8}}]};
              return {result: {columns: [{name: "i", type: "STRING"}], rows: [[JSON.stringify(info)]]}};
            }})
            """).makeResponder(for: session)
        guard case .several(let results) = r.answer(StatementRequest(text: "CALL p()")), results.count == 2 else {
            Issue.record("expected two results")
            return
        }
        #expect(results[0].result?.rows == [["1"]] && results[1].ok?.status == 0)
        let query = StatementRequest(text: "SELECT ?", parameters: [.int(7)])
        #expect(r.answer(query).results.first?.result?.rows
                    == [[#"{"kind":"query","params":[7],"statement_id":0,"text":"SELECT ?"}"#]])
    }

    @Test("exec_time and ok fields come through")
    func ok() throws {
        let r = trace("({stmts: function () { return {exec_time: 12.5, ok: {affected_rows: 3, message: 'm'}}; }})")
            .makeResponder(for: session)
        let response = r.respond(to: "x")
        #expect(response.execTime == .microseconds(12500))
        #expect(response.ok?.affectedRows == 3)
        #expect(response.ok?.message == "m")
    }

    @Test("a coroutine is resumed with each statement")
    func coroutine() throws {
        let r = try fixture("js_test_stmts_is_coroutine.js").makeResponder(for: session)
        #expect(r.respond(to: "a").result?.rows == [["1", "a"]])
        #expect(r.respond(to: "b").result?.rows == [["2", "b"]])
    }

    @Test("load errors replace the greeting with ERR 1064 naming file and line")
    func loadErrors() throws {
        let parse = try fixture("js_test_parse_error.js").makeResponder(for: session).handshake(.greeting)
        #expect(parse.error?.code == 1064)
        #expect(parse.error?.message.hasSuffix("js_test_parse_error.js:2: SyntaxError: parse error (line 2, end of input)")
                    == true)
        let nested = try fixture("js_test_nesting.js").makeResponder(for: session).handshake(.greeting)
        #expect(nested.error?.message.contains("test-require-nesting-5.js:6: SyntaxError: parse error") == true)
        let empty = try fixture("js_test_empty_file.js").makeResponder(for: session).handshake(.greeting)
        #expect(empty.error?.message.contains("expected statement handler to return an object, got primitive, undefined")
                    == true)
    }

    @Test("an exception while answering is ERR 1064 and the responder keeps working")
    func exceptions() {
        let r = trace("({stmts: function (s) {\n if (s === 'x') throw new Error('nope');\n return {ok: {}}; }})",
                      file: "/t/thrower.js").makeResponder(for: session)
        #expect(r.respond(to: "x").error?.message == "executing statement failed: /t/thrower.js:2: Error: nope")
        #expect(r.respond(to: "y").ok != nil)
        let bad = trace("({stmts: function () { return {nothing: 1}; }})").makeResponder(for: session)
        #expect(bad.respond(to: "x").error?.message == "executing statement failed: expected 'error', 'ok' or 'result'")
    }

    @Test("mysqld.global is shared between connections and copied on every read")
    func globals() throws {
        let store = GlobalStore()
        let a = try fixture("globals.js", globals: store).makeResponder(for: session)
        let b = try fixture("globals.js", globals: store).makeResponder(for: session)
        _ = a.respond(to: #"put knob = {"x": [1]}"#)
        #expect(store.get("knob") == #"{"x":[1]}"#)
        #expect(b.respond(to: "get knob").result?.rows == [[#"{"x":[1]}"#]])
        _ = b.respond(to: "push in place")
        #expect(store.get("list") == "[1]")
        _ = b.respond(to: "push and reassign")
        #expect(store.get("list") == "[1,3]")
        #expect(store.get("connects") == "2")
        store.set("from_rest", json: "true")
        #expect(a.respond(to: "keys").result?.rows == [["connects,from_rest,knob,list"]])
    }

    @Test("require: plain file, index.js, package.json main, cached once per heap")
    func require() throws {
        let r = try fixture("js_test_require.js").makeResponder(for: session)
        #expect(r.respond(to: "direct").result?.rows == [["direct"]])
        #expect(r.respond(to: "dir-with-indexjs").result?.rows == [["dir-with-index.js"]])
        #expect(r.respond(to: "dir-with-packagejson").result?.rows == [["dir-with-package.json"]])
        #expect(r.respond(to: "no-reload-0").result?.rows == [["0"]])
        #expect(r.respond(to: "no-reload-1").result?.rows == [["1"]])
        // Another trace has heaps of its own: its module starts over.
        let other = try fixture("js_test_require.js").makeResponder(for: session)
        #expect(other.respond(to: "no-reload-0").result?.rows == [["0"]])
        #expect(r.respond(to: "missing").error?.message.contains("Cannot find module: no-such-module") == true)
    }

    @Test("connections of one thread share built-ins and modules, but not top-level variables")
    func sharedHeap() throws {
        let shared = try fixture("js_test_require.js")
        let a = shared.makeResponder(for: session)
        let b = shared.makeResponder(for: SessionInfo(connectionID: 4, port: 5506))
        #expect(a.respond(to: "no-reload-0").result?.rows == [["0"]])
        #expect(b.respond(to: "no-reload-1").result?.rows == [["1"]])  // one module object, as in a reused heap
        let coroutines = try fixture("js_test_stmts_is_coroutine.js")
        let c = coroutines.makeResponder(for: session)
        let d = coroutines.makeResponder(for: session)
        #expect(c.respond(to: "x").result?.rows == [["1", "x"]])
        #expect(c.respond(to: "y").result?.rows == [["2", "y"]])
        #expect(d.respond(to: "z").result?.rows == [["1", "z"]])  // its own coroutine and counter
        let ports = trace("({stmts: function () { return {result: {columns: [{name: 'p', type: 'LONG'}], rows: [[mysqld.session.port]]}}; }})")
        let p1 = ports.makeResponder(for: SessionInfo(connectionID: 1, port: 1111))
        let p2 = ports.makeResponder(for: SessionInfo(connectionID: 2, port: 2222))
        #expect(p1.respond(to: "q").result?.rows == [["1111"]])
        #expect(p2.respond(to: "q").result?.rows == [["2222"]])
        #expect(p1.respond(to: "q").result?.rows == [["1111"]])
    }

    @Test("notices come from the trace (here a global), read when asked")
    func notices() {
        let store = GlobalStore()
        store.set("notices", json: #"[{"send_offset": 50, "type": 4, "scope": "GLOBAL", "payload": {"type": 3, "view-id": "v"}}]"#)
        let r = trace("({stmts: function () { return {ok: {}}; }, notices: mysqld.global.notices})", globals: store)
            .makeResponder(for: session)
        #expect(r.notices() == [NoticeSpec(sendOffset: .milliseconds(50), scope: .global,
                                           kind: .groupReplicationStateChanged(type: 3, viewID: "v"))])
    }

    @Test("handshake as a function of is_greeting")
    func handshakeFunction() throws {
        let store = GlobalStore()
        let first = try fixture("handshake_at_greeting.js", globals: store).makeResponder(for: session)
        #expect(first.handshake(.greeting).error?.code == 1040)
        let second = try fixture("handshake_at_greeting.js", globals: store).makeResponder(for: session)
        let greeting = second.handshake(.greeting)
        #expect(greeting.error == nil)
        #expect(greeting.greeting.serverVersion == "8.0.99-js")
        #expect(second.handshake(.auth).auth.password == "pw")
    }

    @Test("an array of responses is matched like a JSON trace, errors reported when used")
    func array() {
        let r = trace("""
            ({stmts: [{stmt: "a", ok: {affected_rows: 1}},
                      {result: {columns: [{name: "x", type: "LONG", decimals: Infinity}]}},
                      {ok: {affected_rows: 2}}]})
            """).makeResponder(for: session)
        #expect(r.respond(to: "a").ok?.affectedRows == 1)
        #expect(r.respond(to: "b").error?.message.contains(#"value out-of-range for field "decimals""#) == true)
        #expect(r.respond(to: "c").ok?.affectedRows == 2)
        #expect(r.respond(to: "a").ok?.affectedRows == 1)
    }
}
