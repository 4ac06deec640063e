import MockModel
@testable import MockScript
import Testing

@Suite("Response templates: $match and $session")
struct ResponseTemplateTests {
    let session = SessionInfo(connectionID: 42, port: 3306, user: "app", schema: "shop")

    func responder(_ json: String) throws -> any StatementResponder {
        try JSONTrace(json: json, name: "t.json").makeResponder(for: session)
    }

    @Test("groups of stmt.regex, by number and by name, fill cells and OK fields")
    func groups() throws {
        let r = try responder(#"""
            {"stmts": [
              {"stmt.regex": "SELECT name FROM users WHERE id = (?<id>\\d+) AND tag = '([^']*)'",
               "result": {"columns": [{"name": "id", "type": "LONGLONG"}, {"name": "tag", "type": "VAR_STRING"},
                                      {"name": "whole", "type": "VAR_STRING"}],
                          "rows": [[{"$match": "id"}, {"$match": 2}, {"$match": 0}]]}},
              {"stmt.regex": "INSERT INTO t VALUES \\((\\d+)\\)", "ok": {"last_insert_id": {"$match": 1}, "affected_rows": 1}}
            ]}
            """#)
        let result = try #require(r.respond(to: "SELECT name FROM users WHERE id = 7 AND tag = 'ü'").result)
        #expect(result.rows == [["7", "ü", "SELECT name FROM users WHERE id = 7 AND tag = 'ü'"]])
        #expect(r.respond(to: "INSERT INTO t VALUES (18446744073709551615)").ok?.lastInsertID == UInt64.max)
    }

    @Test("a group that took no part gives its default, else NULL")
    func unsetGroup() throws {
        let r = try responder(#"""
            {"stmts": [{"stmt.regex": "q(a)?(b)?",
              "result": {"columns": [{"name": "a", "type": "VAR_STRING"}, {"name": "b", "type": "VAR_STRING"}],
                         "rows": [[{"$match": 1, "default": "none"}, {"$match": 2}]]}}]}
            """#)
        #expect(r.respond(to: "q").result?.rows == [["none", nil]])
        #expect(r.respond(to: "qab").result?.rows == [["a", "b"]])
    }

    @Test("whole numbers in canonical form become numbers; anything else stays text")
    func numbers() {
        #expect(TemplateValues.numberOrText("42") == .int(42))
        #expect(TemplateValues.numberOrText("-7") == .int(-7))
        #expect(TemplateValues.numberOrText("0") == .int(0))
        #expect(TemplateValues.numberOrText("18446744073709551615") == .uint(UInt64.max))
        for text in ["007", "-0", "1.5", "", "-", "1e3", "99999999999999999999999", "٣"] {
            #expect(TemplateValues.numberOrText(text) == .string(text), "\(text)")
        }
    }

    @Test("$session gives the connection id, user, schema and port; $match 0 works on stmt entries")
    func sessionValues() throws {
        let r = try responder(#"""
            {"stmts": [{"stmt": "who", "result": {
              "columns": [{"name": "id", "type": "LONGLONG"}, {"name": "u", "type": "VAR_STRING"},
                          {"name": "db", "type": "VAR_STRING"}, {"name": "port", "type": "LONG"}, {"name": "q", "type": "VAR_STRING"}],
              "rows": [[{"$session": "connection_id"}, {"$session": "user"}, {"$session": "schema"}, {"$session": "port"},
                        {"$match": 0}]]}}]}
            """#)
        #expect(r.respond(to: "who").result?.rows == [["42", "app", "shop", "3306", "who"]])
        r.sessionChanged(SessionInfo(connectionID: 42, port: 3306, user: "other", schema: nil))
        #expect(r.respond(to: "who").result?.rows == [["42", "other", nil, "3306", "who"]])
    }

    @Test("an execution of a prepared statement matches with its parameters written in, and its groups take them")
    func prepared() throws {
        let r = try responder(#"""
            {"stmts": [{"stmt.regex": "SELECT name FROM users WHERE id = (\\d+)",
              "result": {"columns": [{"name": "id", "type": "LONGLONG"}], "rows": [[{"$match": 1}]]}}]}
            """#)
        let request = StatementRequest(text: "SELECT name FROM users WHERE id = ?", parameters: [.int(9)])
        #expect(r.answer(request).results.first?.result?.rows == [["9"]])
    }

    @Test("templates that cannot be filled are refused at load with their path", arguments: [
        (#"{"stmt.regex": "a(b)", "ok": {"message": {"$match": 2}}}"#, #"stmts[0].ok.message: no group 2 to take: "a(b)" has 1 group"#),
        (#"{"stmt": "ab", "ok": {"message": {"$match": 1}}}"#, "only 0 (the whole statement) without 'stmt.regex'"),
        (#"{"stmt.regex": "a(?<x>b)", "ok": {"message": {"$match": "y"}}}"#, #"no group named "y" to take; named: x"#),
        (#"{"stmt.regex": "ab", "ok": {"message": {"$match": "y"}}}"#, "the entry's regex names none"),
        (#"{"stmt.regex": "ab", "ok": {"message": {"$match": true}}}"#, "expected '$match' to be a group number or name"),
        (#"{"stmt": "ab", "ok": {"message": {"$session": "password"}}}"#, #"unknown session field "password""#),
        (#"{"stmt": "ab", "ok": {"message": {"$session": 1}}}"#, "expected '$session' to be a field name"),
    ])
    func refused(entry: String, message: String) {
        #expect {
            _ = try JSONTrace(json: #"{"stmts": ["# + entry + "]}", name: "t.json")
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test("BoundedRegex reports its groups and their names, and the captures of a match")
    func regexCaptures() throws {
        let regex = try BoundedRegex(#"(?<first>\S+) (\S+?)(x)?"#)
        #expect(regex.captureCount == 3)
        #expect(regex.groupNames == ["first": 1])
        let captures = try #require(regex.captures("héllo wörld"))
        #expect(captures == ["héllo wörld", "héllo", "wörld", nil])
        #expect(regex.captures("nope") == nil)
    }
}
