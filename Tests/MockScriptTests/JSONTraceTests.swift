import MockModel
@testable import MockScript
import Testing

func respond(_ responder: any StatementResponder, _ statement: String) -> StatementResponse {
    responder.respond(to: statement)
}

extension StatementResponse {
    // `error` is MockModel's own: an ERR's error, or the one that ends a result's rows.
    var ok: OKResponse? {
        if case .ok(let o) = kind { return o }
        return nil
    }
    var result: ResultSet? {
        if case .result(let r) = kind { return r }
        return nil
    }
}

@Suite("JSON traces")
struct JSONTraceTests {
    let session = SessionInfo(connectionID: 1, port: 3306)

    func responder(_ json: String) throws -> any StatementResponder {
        try JSONTrace(json: json, name: "t.json").makeResponder(for: session)
    }

    @Test("stmt and stmt.regex entries answer every matching statement; first match wins")
    func matching() throws {
        let r = try responder("""
            {"stmts": [
              {"stmt": "select 1", "result": {"columns": [{"name": "1", "type": "LONG"}], "rows": [[1]]}},
              {"stmt.regex": "SET .*", "ok": {"affected_rows": 0}},
              {"stmt_regex": "SET autocommit=.*", "error": {"code": 1, "message": "never reached"}},
              {"stmt_regex": "insert into t .*", "ok": {"affected_rows": 2, "last_insert_id": 18446744073709551615}}
            ]}
            """)
        for _ in 0..<3 {
            #expect(respond(r, "select 1").result?.rows == [["1"]])
        }
        #expect(respond(r, "SET autocommit=1").ok != nil)
        let insert = try #require(respond(r, "insert into t values (1)").ok)
        #expect(insert.affectedRows == 2)
        #expect(insert.lastInsertID == UInt64.max)
        #expect(respond(r, "SET autocommit=1").answeredBy == "stmts[1]")
    }

    @Test("numbers in cells go out exactly as the trace wrote them (no rounding through a double)")
    func exactCells() throws {
        let r = try responder(#"""
            {"stmts": [{"stmt": "q", "result": {"columns": [{"name": "n", "type": "NEWDECIMAL"}],
              "rows": [[123456789012345678901234567890123456789], [1.50], [18446744073709551615], [2e3], [-0.10]]}}]}
            """#)
        #expect(respond(r, "q").result?.rows
                    == [["123456789012345678901234567890123456789"], ["1.50"], ["18446744073709551615"], ["2e3"], ["-0.10"]])
    }

    @Test("a regex must match the whole statement")
    func wholeMatch() throws {
        let r = try responder(#"{"stmts": [{"stmt.regex": "select \\d", "ok": {}}]}"#)
        #expect(respond(r, "select 7").ok != nil)
        #expect(respond(r, "select 77").error?.code == 1064)
    }

    @Test("entries without a matcher answer in order; then end of stmts")
    func inOrder() throws {
        let r = try responder("""
            {"stmts": [{"ok": {"affected_rows": 1}}, {"ok": {"affected_rows": 2}}]}
            """)
        #expect(respond(r, "anything").ok?.affectedRows == 1)
        #expect(respond(r, "whatever").ok?.affectedRows == 2)
        let end = try #require(respond(r, "more").error)
        #expect(end.code == 1064)
        #expect(end.message == "Unknown statement. (end of stmts)")
    }

    @Test("a miss names the statement and the closest entry")
    func closest() throws {
        let r = try responder("""
            {"stmts": [
              {"stmt": "select @@version_comment limit 1", "ok": {}},
              {"stmt": "select user()", "ok": {}},
              {"stmt_regex": "show databases.*", "ok": {}}
            ]}
            """)
        let miss = try #require(respond(r, "SELECT  USER ( )").error)
        #expect(miss.code == 1064)
        #expect(miss.message.contains("\"SELECT  USER ( )\""))
        #expect(miss.message.contains("closest trace entry: stmts[1] \"select user()\""))
    }

    @Test("ordered traces consume expectations in order")
    func ordered() throws {
        let r = try responder("""
            {"ordered": true, "stmts": [
              {"stmt": "select 1", "ok": {}},
              {"stmt_regex": "select [0-9]+", "ok": {}},
              {"ok": {"message": "anything"}}
            ]}
            """)
        let wrong = try #require(respond(r, "select 2").error)
        #expect(wrong.message == #"Unexpected stmt, got: "select 2"; expected: "select 1""#)
        #expect(respond(r, "select 22").ok != nil)
        #expect(respond(r, "drop table x").ok?.message == "anything")
        #expect(respond(r, "select 1").error?.message.contains("end of stmts") == true)
    }

    @Test("state is per connection")
    func perConnection() throws {
        let trace = try JSONTrace(json: #"{"stmts": [{"ok": {}}]}"#, name: "t")
        let a = trace.makeResponder(for: session)
        let b = trace.makeResponder(for: session)
        #expect(respond(a, "x").ok != nil)
        #expect(respond(b, "x").ok != nil)
        #expect(respond(a, "x").error != nil)
    }

    @Test("exec_time in milliseconds, per entry or from defaults, for every response kind")
    func execTime() throws {
        let r = try responder("""
            {"defaults": {"exec_time": 5}, "stmts": [
              {"stmt": "a", "ok": {}},
              {"stmt": "b", "exec_time": 1.5, "error": {"code": 1, "message": "m"}}
            ]}
            """)
        #expect(respond(r, "a").execTime == .milliseconds(5))
        #expect(respond(r, "b").execTime == .microseconds(1500))
    }

    @Test("a fallback to builtin:default answers what the trace does not")
    func fallback() throws {
        let r = try responder(#"{"fallback": "builtin:default", "stmts": [{"stmt": "select 1", "ok": {}}]}"#)
        #expect(respond(r, "select 1").ok != nil)
        #expect(respond(r, "select @@version_comment limit 1").result?.rows == [["mysql-server-mock"]])
        // Neither answers: the trace's own explanation, with the closest entry.
        #expect(respond(r, "select nothing_here").error?.message
                    == #"Unknown statement: "select nothing_here"; closest trace entry: stmts[0] "select 1" (the fallback does not answer it either)"#)
    }

    @Test("with the built-in fallback, LAST_INSERT_ID(), ROW_COUNT() and FOUND_ROWS() follow the session")
    func sessionCounters() throws {
        let r = try responder("""
            {"fallback": "builtin:default", "stmts": [
              {"stmt": "insert", "ok": {"affected_rows": 2, "last_insert_id": 42}},
              {"stmt": "rows", "result": {"columns": [{"name": "a", "type": "LONG"}], "rows": [[1], [2], [3]]}},
              {"stmt": "boom", "error": {"code": 1146, "message": "no table"}}
            ]}
            """)
        #expect(respond(r, "select last_insert_id(), row_count(), found_rows()").result?.rows == [["0", "-1", "0"]])
        #expect(respond(r, "insert").ok != nil)
        #expect(respond(r, "SELECT LAST_INSERT_ID(), ROW_COUNT()").result?.rows == [["42", "2"]])
        #expect(respond(r, "select row_count()").result?.rows == [["-1"]])  // after a result set
        #expect(respond(r, "rows").result != nil)
        #expect(respond(r, "select found_rows()").result?.rows == [["3"]])
        #expect(respond(r, "boom").error != nil)
        #expect(respond(r, "select row_count(), last_insert_id()").result?.rows == [["-1", "42"]])
        #expect(respond(r, "set autocommit=1").ok != nil)
        #expect(respond(r, "select row_count()").result?.rows == [["0"]])
    }

    @Test("notices of every type; unknown types are refused")
    func notices() throws {
        let trace = try JSONTrace(json: """
            {"stmts": [], "notices": [
              {"send_offset": 10, "type": 1, "scope": "LOCAL", "payload": {"level": 1, "code": 7, "msg": "m"}},
              {"type": 2, "scope": "GLOBAL", "payload": {"param": "autocommit", "value": "ON"}},
              {"type": 3, "payload": {"param": 10, "value": "hi"}},
              {"type": 5, "scope": ""}]}
            """, name: "t")
        #expect(trace.makeResponder(for: session).notices() == [
            NoticeSpec(sendOffset: .milliseconds(10), scope: .local, kind: .warning(level: 1, code: 7, message: "m")),
            NoticeSpec(sendOffset: .zero, scope: .global, kind: .sessionVariableChanged(name: "autocommit", value: "ON")),
            NoticeSpec(sendOffset: .zero, scope: .local, kind: .sessionStateChanged(parameter: 10, value: "hi")),
            NoticeSpec(sendOffset: .zero, scope: .local, kind: .serverHello),
        ])
        #expect(throws: TraceError.self) { try JSONTrace(json: #"{"stmts": [], "notices": [{"type": 9}]}"#, name: "t") }
    }

    @Test("handshake settings are read")
    func handshake() throws {
        let trace = try JSONTrace(json: """
            {"stmts": [], "handshake": {
              "greeting": {"server_version": "5.7.1", "connection_id": 7, "capabilities": 512, "status_flags": 2,
                           "character_set": 8, "auth_method": "caching_sha2_password",
                           "nonce": "abcdefghijabcdefghij", "exec_time": 20},
              "auth": {"username": "u", "password": "p", "auth_method_name": "mysql_native_password"}}}
            """, name: "t")
        let h = trace.makeResponder(for: session).handshake(.greeting)
        #expect(h.greeting.serverVersion == "5.7.1")
        #expect(h.greeting.connectionID == 7)
        #expect(h.greeting.capabilities == 512)
        #expect(h.greeting.statusFlags == 2)
        #expect(h.greeting.characterSet == 8)
        #expect(h.greeting.authMethod == "caching_sha2_password")
        #expect(h.greeting.nonce == Array("abcdefghijabcdefghij".utf8))
        #expect(h.greeting.execTime == .milliseconds(20))
        #expect(h.auth == HandshakeScript.Auth(username: "u", password: "p", methodName: "mysql_native_password"))
    }
}

@Suite("JSON traces reading globals")
struct JSONTraceGlobalsTests {
    @Test("{\"$global\": name} takes the global's current value, else the default")
    func substitution() throws {
        let globals = GlobalStore()
        let trace = try JSONTrace(json: """
            {"handshake": {"auth": {"password": {"$global": "password", "default": "initial"}}},
             "stmts": [
              {"stmt": "select primary", "result": {"columns": [{"name": "p", "type": "LONG"}],
                                                    "rows": [[{"$global": "primary", "default": 3306}]]}},
              {"stmt": "fixed", "ok": {}}
             ]}
            """, name: "t.json", globals: globals)
        let r = trace.makeResponder(for: SessionInfo(connectionID: 1, port: 0))
        #expect(r.respond(to: "select primary").result?.rows == [["3306"]])
        #expect(r.handshake(.auth).auth.password == "initial")
        globals.set("primary", json: "3310")
        globals.set("password", json: #""changed""#)
        #expect(r.respond(to: "select primary").result?.rows == [["3310"]])
        #expect(r.respond(to: "select primary").cacheKey == nil)
        #expect(r.respond(to: "fixed").cacheKey != nil)
        #expect(trace.makeResponder(for: SessionInfo(connectionID: 2, port: 0)).handshake(.auth).auth.password == "changed")
        globals.set("primary", json: #"{"not": "a cell"}"#)
        #expect(r.respond(to: "select primary").result?.rows == [[#"{"not":"a cell"}"#]])
    }
}

@Suite("JSON traces: several results for one statement")
struct SeveralResultsTests {
    let session = SessionInfo(connectionID: 1, port: 3306)

    @Test("'results' answers with each response in order; the more-results status bit is the server's")
    func results() throws {
        let r = try JSONTrace(json: """
            {"stmts": [
              {"stmt": "CALL p()", "results": [
                {"result": {"columns": [{"name": "a", "type": "LONG"}], "rows": [[1]], "status": 10}},
                {"ok": {"affected_rows": 3, "status": 8}}]},
              {"stmt": "UPDATE t", "ok": {"status": 10}}
            ]}
            """, name: "t.json").makeResponder(for: session)
        guard case .several(let results) = r.answer(StatementRequest(text: "CALL p()")), results.count == 2,
              case .result(let set) = results[0].kind, case .ok(let ok) = results[1].kind else {
            Issue.record("expected a result set and an OK")
            return
        }
        #expect(set.rows == [["1"]] && set.end.status == 2 && ok.affectedRows == 3 && ok.status == 0)
        #expect(results.allSatisfy { $0.answeredBy == "stmts[0]" })
        #expect(r.respond(to: "UPDATE t").ok?.status == 2)
        // Preparing a statement with several results announces no columns: each brings its own.
        guard case .unknown = r.prepare("CALL p()") else {
            Issue.record("expected no columns at prepare")
            return
        }
    }

    @Test("a broken 'results' is refused at load with its path")
    func broken() {
        for (json, message) in [
            (#"{"stmts": [{"stmt": "q", "results": [], "ok": {}}]}"#, "expected either 'results' or 'ok', got both"),
            (#"{"stmts": [{"stmt": "q", "results": {}}]}"#, "expected 'results' to be an array of responses"),
            (#"{"stmts": [{"stmt": "q", "results": []}]}"#, "expected at least one response in 'results'"),
            (#"{"stmts": [{"stmt": "q", "results": [{"results": [{"ok": {}}]}]}]}"#, "'results' cannot be nested"),
            (#"{"stmts": [{"stmt": "q", "results": [{"okay": {}}]}]}"#, "expected 'error', 'ok' or 'result'"),
        ] {
            do {
                _ = try JSONTrace(json: json, name: "t.json")
                Issue.record("\(json) loaded")
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
    }
}

@Suite("JSON traces: answers that change over time")
struct AnswerSequenceTests {
    @Test("'answers' are given in order, across connections, the last one repeating; preparing uses none up")
    func inOrder() throws {
        let trace = try JSONTrace(json: """
            {"stmts": [
              {"stmt": "SELECT count(*) FROM t", "answers": [
                {"result": {"columns": [{"name": "n", "type": "LONGLONG"}], "rows": [[1]]}},
                {"error": {"code": 1205, "message": "Lock wait timeout exceeded"}},
                {"results": [{"result": {"columns": [{"name": "n", "type": "LONGLONG"}], "rows": [[2]]}}, {"ok": {}}]}
              ]},
              {"stmt": "SELECT @@x", "answers": [{"ok": {"affected_rows": {"$global": "x"}}}, {"ok": {"message": "second"}}]}
            ]}
            """, name: "t.json")
        let a = trace.makeResponder(for: SessionInfo(connectionID: 1, port: 3306))
        let b = trace.makeResponder(for: SessionInfo(connectionID: 2, port: 3306))
        _ = a.prepare("SELECT count(*) FROM t")
        #expect(a.respond(to: "SELECT count(*) FROM t").result?.rows == [["1"]])
        #expect(b.respond(to: "SELECT count(*) FROM t").error?.code == 1205)
        let third = a.answer(StatementRequest(text: "SELECT count(*) FROM t")).results
        #expect(third.count == 2 && third[0].result?.rows == [["2"]])
        #expect(b.answer(StatementRequest(text: "SELECT count(*) FROM t")).results.count == 2)
        // Globals are read when the answer is given.
        #expect(a.respond(to: "SELECT @@x").ok?.affectedRows == 0)
        #expect(a.respond(to: "SELECT @@x").ok?.message == "second")
        #expect(a.respond(to: "SELECT @@x").ok?.message == "second")
    }

    @Test("preparing a statement does not use up an answer")
    func prepareDoesNotAdvance() throws {
        let trace = try JSONTrace(json: """
            {"stmts": [{"stmt": "SELECT n", "answers": [{"ok": {"affected_rows": 1}}, {"ok": {"affected_rows": 2}}]}]}
            """, name: "t.json")
        let r = trace.makeResponder(for: SessionInfo(connectionID: 1, port: 3306))
        _ = r.prepare("SELECT n")
        _ = r.prepare("SELECT n")
        #expect(r.respond(to: "SELECT n").ok?.affectedRows == 1)
        #expect(r.respond(to: "SELECT n").ok?.affectedRows == 2)
    }

    @Test("a broken 'answers' is refused at load with its path", arguments: [
        (#"{"stmt": "q", "answers": [], "ok": {}}"#, "expected either 'answers' or 'ok', got both"),
        (#"{"stmt": "q", "answers": []}"#, "expected at least one response in 'answers'"),
        (#"{"stmt": "q", "answers": {"ok": {}}}"#, "expected 'answers' to be an array of responses, got object"),
        (#"{"stmt": "q", "answers": [{"okay": {}}]}"#, "expected 'error', 'ok' or 'result'"),
    ])
    func broken(entry: String, message: String) {
        #expect {
            _ = try JSONTrace(json: #"{"stmts": [\#(entry)]}"#, name: "t.json")
        } throws: { error in
            "\(error)".contains(message) && "\(error)".contains("stmts[0]")
        }
    }
}

@Suite("JSON traces: matching through the exact-text index")
struct MatchingIndexTests {
    /// Walked (a short trace), through the exact-text index (padded past `indexThreshold` exact
    /// entries), through the regex alternation (padded past `RegexAlternation.threshold` regex
    /// entries), and both.
    @Test("the first matching entry still wins when exact and regex entries interleave",
          arguments: [(0, 0), (20, 0), (0, 10), (20, 10)])
    func firstMatchWins(padding: (exact: Int, regex: Int)) throws {
        let pad = (0..<padding.exact).map { #", {"stmt": "SELECT pad \#($0)", "ok": {}}"# }.joined()
            + (0..<padding.regex).map { #", {"stmt.regex": "(?i)UPDATE pad \\d+ \#($0)", "ok": {}}"# }.joined()
        let trace = try JSONTrace(json: """
            {"stmts": [
              {"stmt.regex": "SELECT [0-9]+", "ok": {"affected_rows": 1}},
              {"stmt": "SELECT 1", "ok": {"affected_rows": 2}},
              {"stmt": "SELECT x", "params": [7], "ok": {"affected_rows": 3}},
              {"stmt.regex": "SELECT [a-z]", "ok": {"affected_rows": 4}},
              {"stmt": "SELECT x", "ok": {"affected_rows": 5}},
              {"stmt": "SELECT ?", "params": [8], "ok": {"affected_rows": 6}},
              {"stmt.regex": "SELECT (a)\\\\1", "ok": {"affected_rows": 7}},
              {"stmt.regex": "SELECT [a-z]+", "params": [1], "ok": {"affected_rows": 8}},
              {"stmt.regex": "SELECT (?i:[a-z])[a-z]+", "ok": {"affected_rows": 9}}\(pad)
            ]}
            """, name: "t.json")
        let r = trace.makeResponder(for: SessionInfo(connectionID: 1, port: 3306))
        func affected(_ request: StatementRequest) -> UInt64? { r.answer(request).results.first?.ok?.affectedRows }
        #expect(affected(StatementRequest(text: "SELECT 1")) == 1)
        #expect(affected(StatementRequest(text: "SELECT x")) == 4)
        #expect(affected(StatementRequest(text: "SELECT x", kind: .execute, parameters: [.int(7)])) == 3)
        // The text with its marker first (entry 5), then with the value written in ("SELECT 8": entry 0).
        #expect(affected(StatementRequest(text: "SELECT ?", kind: .execute, parameters: [.int(8)])) == 6)
        #expect(affected(StatementRequest(text: "SELECT ?", kind: .execute, parameters: [.int(9)])) == 1)
        // A back reference (never in the alternation) before entries that are.
        #expect(affected(StatementRequest(text: "SELECT aa")) == 7)
        // The first regex that matches wants parameters: the next one answers.
        #expect(affected(StatementRequest(text: "SELECT yz")) == 9)
        #expect(affected(StatementRequest(text: "SELECT yz", kind: .execute, parameters: [.int(1)])) == 8)
        // An option inside one entry's pattern does not reach the next entry.
        #expect(affected(StatementRequest(text: "SELECT Yz")) == 9)
        #expect(affected(StatementRequest(text: "SELECT YZ")) == nil)
        #expect(affected(StatementRequest(text: "update PAD 12 3")) == (padding.regex > 3 ? 0 : nil))
    }

    @Test("a trace of 1,000 exact entries finds its last one")
    func manyExactEntries() throws {
        let entries = (0..<1000).map { #"{"stmt": "SELECT \#($0)", "ok": {"affected_rows": \#($0)}}"# }
        let trace = try JSONTrace(json: #"{"stmts": [\#(entries.joined(separator: ","))]}"#, name: "t.json")
        let r = trace.makeResponder(for: SessionInfo(connectionID: 1, port: 3306))
        #expect(r.respond(to: "SELECT 999").ok?.affectedRows == 999)
        #expect(r.respond(to: "SELECT 0").ok?.affectedRows == 0)
    }
}

@Suite("Regular-expression hints: what a pattern says a matching statement starts with and contains")
struct RegexHintsTests {
    @Test("prefix and required literal, read conservatively", arguments: [
        (#"^SELECT .* FROM mysql_innodb_cluster_metadata\.v2_gr_clusters .*$"#, "SELECT ", " FROM mysql_innodb_cluster_metadata.v2_gr_clusters ", false),
        (#"SELECT @@version"#, "SELECT @@version", "SELECT @@version", false),
        (#"(?i)^set names .*"#, "set names ", "set names ", true),
        (#"^(?i)SET autocommit = [01]$"#, "set autocommit = ", "set autocommit = ", true),
        (#"abc?def"#, "ab", "def", false),
        (#"ab+cdef"#, "ab", "cdef", false),
        (#"ab{2}cd"#, "a", "cd", false),
        (#"ab*?cde"#, "a", "cde", false),
        (#"[a-z]+ FROM t\(x\)"#, "", " FROM t(x)", false),
        (#"(SELECT|select) 1 FROM dual"#, "", " 1 FROM dual", false),
        (#"x[[:alpha:]]]y"#, "x", "y", false),
        ("caf\u{e9}?s", "caf", "s", false),
        (#"\d+ rows"#, "", " rows", false),
        (#"a{2"#, "", "2", false),
        (#"ab{x}cd"#, "a", "cd", false),
    ] as [(String, String, String, Bool)])
    func hints(pattern: String, prefix: String, literal: String, caseless: Bool) throws {
        let hints = try #require(RegexHints.read(pattern))
        #expect(hints == RegexHints(prefix: Array(prefix.utf8), literal: Array(literal.utf8), caseless: caseless))
    }

    @Test("patterns this reader does not follow give no hints", arguments: [
        #"SELECT 1|SELECT 2"#, #"SELECT (?i)abc"#, #"(?x) SELECT # c"#, #"\QSELECT\E"#, #"(*UTF)SELECT"#,
        #"SELECT \x41"#, #"SELECT \p{Lu}"#, #"SELECT \1"#, "(?i)caf\u{e9}", #"SELECT (?#comment)"#, #".*"#,
        #"(a(?x) # )b)"#, #"ab{:c]|xy{2}z"#, #"ab[[:x]|c:]"#, #"a(b(*ACCEPT))cd"#,
    ])
    func noHints(pattern: String) {
        #expect(RegexHints.read(pattern) == nil)
    }

    /// Hints only ever rule a statement out when PCRE2 would not match it.
    @Test("a statement PCRE2 matches is never ruled out")
    func sound() throws {
        let patterns = [#"^SELECT .* FROM t\.x .*$"#, #"(?i)select \d+"#, #"SELECT [a-z]+ FROM dual"#, #"abc?def"#,
                        #"ab+cdef"#, #"ab{2}cd"#, #"(?i)^set names .*"#, #"x[]a]y"#, "caf\u{e9}?s", "k\u{e9}y .*",
                        #"(?i)key"#, #"INSERT INTO t \(a, b\) VALUES .*"#, #"UPDATE t SET a = \d+ WHERE id = 1"#,
                        #"ab{:c]|xy{2}z"#, #"a{2"#, #"ab{x}cd"#, #"ab[[:x]|c:]"#, #"ab[[:alpha:]]|cd"#, #"a(b(*ACCEPT))cd"#]
        let statements = ["SELECT a FROM t.x y", "select 12", "SELECT 12", "SeLeCt 1", "SELECT abc FROM dual", "abdef",
                          "abcdef", "abbbcdef", "abbcd", "SET NAMES utf8", "set names x", "x]y", "xay", "cafs", "caf\u{e9}s",
                          "k\u{e9}y z", "\u{212A}ey", "KEY", "INSERT INTO t (a, b) VALUES (1, 2)", "UPDATE t SET a = 4 WHERE id = 1",
                          "", "a", "SELECT", "\u{17F}et names x", "xyyz", "ab{:c]", "a{2", "ab{x}cd", "c:]", "cd", "abq", "ab"]
        var matched = 0
        for pattern in patterns {
            let regex = try BoundedRegex(pattern)
            let hints = RegexHints.read(pattern)
            for statement in statements where regex.wholeMatch(statement) == .match {
                matched += 1
                var text = statement
                let admitted = text.withUTF8 { hints?.admits($0) ?? true }
                let admittedWithSignature = text.withUTF8 { hints?.admits($0, statementSignature: RegexHints.Signature($0)) ?? true }
                #expect(admitted && admittedWithSignature, "\(pattern) matches \(statement) but its hints rule it out")
            }
        }
        #expect(matched >= 15)
        // And they do rule statements out.
        let first = try #require(RegexHints.read(patterns[0]))
        var other = "SELECT a FROM t.y z"
        #expect(other.withUTF8 { first.admits($0) } == false)
        #expect(other.withUTF8 { first.admits($0, statementSignature: RegexHints.Signature($0)) } == false)
    }

    @Test("the prefilter keeps the patterns a statement may match, in trace order, and those without hints")
    func prefilter() {
        let prefilter = RegexPrefilter([(2, #"SELECT .* FROM a"#), (5, #"SELECT .* FROM b"#), (7, #".*"#),
                                        (9, #"(?i)select 1"#), (11, #"\d+ FROM a"#), (12, #"UPDATE a"#)])
        #expect(prefilter.candidates(for: "SELECT x FROM a") == [2, 7, 11])
        #expect(prefilter.candidates(for: "select 1") == [7, 9])
        #expect(prefilter.candidates(for: "\u{17F}elect 1") == [7, 9])
        #expect(prefilter.candidates(for: "") == [7])
        // A long statement (no signature) skips a group whose literals share a stem it lacks.
        let stems = RegexPrefilter((0..<20).map { ($0, "SELECT .* FROM metadata\\.clusters_\($0) .*") } + [(20, "SELECT .*'")])
        let long = "SELECT " + String(repeating: "x", count: 5000)
        #expect(stems.candidates(for: long + "'") == [20])
        #expect(stems.candidates(for: long + " FROM metadata.clusters_7 y") == [7])
        #expect(stems.candidates(for: "SELECT a FROM metadata.clusters_19 b") == [19])
    }
}
