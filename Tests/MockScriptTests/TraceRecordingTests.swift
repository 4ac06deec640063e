import MockModel
@testable import MockScript
import Testing

@Suite("Trace recording: what a server answered, written as a trace that replays it")
struct TraceRecordingTests {
    static func rows(_ n: Int) -> StatementResponse {
        StatementResponse(.result(ResultSet(columns: [Column(name: "n", type: 8)], rows: [[.text(String(n))]])))
    }

    @Test("repeated identical answers are written once; answers that changed replay in order")
    func replay() throws {
        var recording = TraceRecording()
        recording.greeting = .init(serverVersion: "10.11.19-MariaDB", capabilities: 0xF7FE, statusFlags: 2,
                                   characterSet: 45, authMethod: "mysql_native_password")
        recording.user = "app"
        recording.record("SELECT 1", [Self.rows(1)])
        recording.record("SELECT n FROM counter", [Self.rows(1)])
        recording.record("SELECT 1", [Self.rows(1)])
        recording.record("SELECT n FROM counter", [Self.rows(2)])
        recording.record("INSERT INTO t VALUES (1)", [StatementResponse(.error(ErrorResponse(code: 1062, sqlState: "23000", message: "Duplicate entry '1' for key 'PRIMARY'")))])
        recording.record("SELECT n FROM counter", [Self.rows(2)])
        #expect(recording.statementCount == 3)
        let json = recording.trace.jsonText
        #expect(!json.contains("\"password\""))
        let trace = try JSONTrace(json: json, name: "recorded.json")
        let r = trace.makeResponder(for: SessionInfo(connectionID: 1, port: 3306))
        let greeting = r.handshake(.greeting)
        #expect(greeting.greeting.serverVersion == "10.11.19-MariaDB")
        #expect(greeting.greeting.characterSet == 45)
        #expect(r.handshake(.auth).auth.username == "app")
        #expect(r.respond(to: "SELECT 1").result?.rows == [["1"]])
        #expect(r.respond(to: "SELECT 1").result?.rows == [["1"]])
        #expect(r.respond(to: "SELECT n FROM counter").result?.rows == [["1"]])
        #expect(r.respond(to: "SELECT n FROM counter").result?.rows == [["2"]])
        #expect(r.respond(to: "SELECT n FROM counter").result?.rows == [["2"]])
        #expect(r.respond(to: "INSERT INTO t VALUES (1)").error?.code == 1062)
        // Entries in the order first seen.
        guard case .object(let document) = recording.trace, case .array(let stmts)? = document["stmts"] else {
            Issue.record("no stmts")
            return
        }
        #expect(stmts.compactMap { entry -> String? in
            if case .object(let o) = entry, case .string(let s)? = o["stmt"] { return s }
            return nil
        } == ["SELECT 1", "SELECT n FROM counter", "INSERT INTO t VALUES (1)"])
    }

    @Test("runs of one answer: kept once in memory, replayed as often as they came; the last repeats")
    func runs() throws {
        var recording = TraceRecording()
        for n in [1, 1, 2, 2, 2, 1] + Array(repeating: 3, count: 10_000) {
            recording.record("SELECT n", [Self.rows(n)])
        }
        guard case .object(let document) = recording.trace, case .array(let stmts)? = document["stmts"],
              case .object(let entry)? = stmts.first, case .array(let answers)? = entry["answers"]
        else {
            Issue.record("no answers")
            return
        }
        // 1, 1, 2, 2, 2, 1, then the last answer once (replay keeps giving it).
        #expect(answers.count == 7)
        let r = try JSONTrace(json: recording.trace.jsonText, name: "runs.json")
            .makeResponder(for: SessionInfo(connectionID: 1, port: 3306))
        let replayed = (0..<9).map { _ in r.respond(to: "SELECT n").result?.rows.first?.first??.text }
        #expect(replayed == ["1", "1", "2", "2", "2", "1", "3", "3", "3"])
    }

    @Test("a password is written only when given; reset forgets the statements")
    func passwordAndReset() throws {
        var recording = TraceRecording()
        recording.user = "app"
        recording.password = "secret"
        recording.record("SELECT 1", [Self.rows(1)])
        #expect(recording.trace.jsonText.contains("\"password\":\"secret\""))
        recording.reset()
        #expect(recording.statementCount == 0)
        _ = try JSONTrace(json: recording.trace.jsonText, name: "empty.json")
    }
}
