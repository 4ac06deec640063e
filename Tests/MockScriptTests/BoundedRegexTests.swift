import MockModel
@testable import MockScript
import Testing

@Suite("Bounded regular expressions")
struct BoundedRegexTests {
    @Test("PCRE2 dialect, whole-statement match, case-sensitive, UTF-8 aware")
    func dialect() throws {
        let r = try BoundedRegex("SELECT @@[a-z_]+(, ?@@[a-z_]+)*")
        #expect(r.wholeMatch("SELECT @@version, @@port") == .match)
        #expect(r.wholeMatch("SELECT @@version, @@port;") == .noMatch)
        #expect(r.wholeMatch(" SELECT @@version") == .noMatch)
        #expect(r.wholeMatch("select @@version") == .noMatch)
        // Perl-compatible extras: lookahead, backreference, non-capturing group, \d.
        #expect(try BoundedRegex(#"(?i)insert into (\w+) .* -- \1"#).wholeMatch("INSERT INTO t values (1) -- t") == .match)
        #expect(try BoundedRegex(#"(?=.*\d)select \d+"#).wholeMatch("select 42") == .match)
        // '.' is one character, not one byte.
        #expect(try BoundedRegex("SELECT '.'").wholeMatch("SELECT 'é'") == .match)
        #expect(try BoundedRegex("").wholeMatch("") == .match)
        #expect(try BoundedRegex(".*").wholeMatch("") == .match)
    }

    @Test("a pattern PCRE2 refuses names the problem and where")
    func compileErrors() {
        #expect(throws: BoundedRegex.CompileError.self) { try BoundedRegex("select (") }
        do {
            _ = try BoundedRegex("a[b")
            Issue.record("compiled")
        } catch {
            #expect(error.message.contains("missing terminating ]"))
            #expect(error.offset == 3)
        }
    }

    @Test("catastrophic backtracking gives up within the match limit instead of running for seconds")
    func catastrophic() throws {
        // (a+)+$ on 30 a's and a b: 2^30 paths for a backtracking engine without limits.
        let r = try BoundedRegex("(a+)+$")
        let subject = String(repeating: "a", count: 30) + "b"
        let clock = ContinuousClock()
        var outcome = BoundedRegex.Outcome.match
        let elapsed = clock.measure { outcome = r.wholeMatch(subject) }
        guard case .gaveUp(let code) = outcome else {
            Issue.record("expected the match limit, got \(outcome)")
            return
        }
        #expect(BoundedRegex.message(for: code).contains("limit"))
        // Generous: the limit is about a millisecond; a CI machine under load may be slower.
        #expect(elapsed < .milliseconds(500))
    }

    @Test("a JSON trace entry whose regex gives up is explained in the miss, and the statement is cut in the message")
    func traceEntryGivesUp() throws {
        let trace = try JSONTrace(json: """
            {"stmts": [
              {"stmt.regex": "(a+)+$", "ok": {}},
              {"stmt": "select 1", "ok": {}}
            ]}
            """, name: "t.json")
        let responder = trace.makeResponder(for: SessionInfo(connectionID: 1, port: 3306))
        let miss = try #require(responder.respond(to: String(repeating: "a", count: 40) + "b").error)
        #expect(miss.message.contains("stmts[0] gave up: match limit exceeded"), "\(miss.message)")
        let long = try #require(responder.respond(to: "select " + String(repeating: "x", count: 100_000)).error)
        #expect(long.message.hasPrefix("Unknown statement: \"select xxx"))
        #expect(long.message.contains("(100007 bytes)"))
        #expect(long.message.utf8.count < 1000)
    }

    @Test("matching one statement stops after the budget whatever the number of entries")
    func budget() throws {
        // 2,000 regex entries that each scan a 1 MiB statement to its end before failing (their
        // literals inside a group, so no prefilter hint rules them out).
        let entries = (0..<2000).map { #"{"stmt.regex": "x*(?:\#($0))", "ok": {}}"# }.joined(separator: ",\n")
        let trace = try JSONTrace(json: "{\"stmts\": [\(entries)]}", name: "t.json")
        let responder = trace.makeResponder(for: SessionInfo(connectionID: 1, port: 3306))
        let statement = String(repeating: "x", count: 1 << 20)
        let clock = ContinuousClock()
        var response: StatementResponse?
        let elapsed = clock.measure { response = responder.respond(to: statement) }
        let error = try #require(response?.error)
        #expect(error.message.contains("matching stopped at stmts["), "\(error.message)")
        #expect(elapsed < .seconds(1))
    }

    @Test("the near-miss hint costs a bounded amount whatever the statement and the trace")
    func closestIsBounded() {
        let candidates = (0..<50_000).map { (label: "stmts[\($0)]", text: "select \($0) from t") }
        let statement = "select 49999 from t" + String(repeating: " ", count: 1 << 20)
        let clock = ContinuousClock()
        var best: (label: String, text: String)?
        let elapsed = clock.measure { best = ClosestEntry.closest(to: statement, among: candidates) }
        #expect(best != nil)
        #expect(elapsed < .seconds(2))
        // Among few candidates the hint is exact.
        let few = ClosestEntry.closest(to: "SELECT  @@Version", among: [("a", "select @@port"), ("b", "select @@version")])
        #expect(few?.label == "b")
    }
}
