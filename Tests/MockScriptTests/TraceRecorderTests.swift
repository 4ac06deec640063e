import FoundationEssentials
import MockModel
@testable import MockScript
import Testing

@Suite("Trace recorder")
struct TraceRecorderTests {
    static let one = [StatementResponse.ok(OKResponse(affectedRows: 1))]
    static let two = [StatementResponse.ok(OKResponse(affectedRows: 2))]

    @Test("stop, start and reset; a stopped recorder keeps nothing")
    func lifecycle() throws {
        let recorder = TraceRecorder(recording: false)
        recorder.record("a", Self.one)
        #expect(recorder.statementCount == 0)
        recorder.start()
        recorder.record("a", Self.one)
        recorder.record("b", Self.one)
        #expect(recorder.statementCount == 2)
        recorder.stop()
        recorder.record("c", Self.one)
        #expect(recorder.statementCount == 2)
        recorder.reset()
        #expect(recorder.statementCount == 0)
        #expect(!recorder.isRecording)
    }

    @Test("the text is a trace the mock loads: one statement per line, stmt first, answers that changed in order")
    func textLoads() throws {
        let recorder = TraceRecorder(timing: true, password: "given")
        recorder.sawUser("app")
        recorder.record("select \"quoted\"\nline", Self.one, elapsed: .milliseconds(3))
        recorder.record("x", Self.one)
        recorder.record("x", Self.two)
        let text = recorder.traceText
        let lines = text.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix(#"    {"stmt": "select \"quoted\"\nline", "exec_time": 3, "ok""#) })
        #expect(lines.contains { $0.hasPrefix(#"    {"stmt": "x", "answers": ["#) })
        #expect(text.contains(#""auth":{"password":"given","username":"app"}"#))
        let trace = try JSONTrace(json: text, name: "recorded")
        let responder = trace.makeResponder(for: SessionInfo(connectionID: 1, port: 0))
        let first = responder.answer(to: "x").results.first
        let second = responder.answer(to: "x").results.first
        guard case .ok(let a)? = first?.kind, case .ok(let b)? = second?.kind else {
            Issue.record("no OKs")
            return
        }
        #expect((a.affectedRows, b.affectedRows) == (1, 2))
    }

    @Test("the file is written whole, replacing the last one")
    func writes() throws {
        let path = "/tmp/trace-recorder-test-\(UInt32.random(in: 0...UInt32.max)).json"
        let recorder = TraceRecorder()
        recorder.record("a", Self.one)
        try recorder.write(to: path)
        recorder.record("b", Self.one)
        try recorder.write(to: path)
        let trace = try JSONTrace(json: String(decoding: Array(try Data(contentsOf: URL(filePath: path))), as: UTF8.self), name: path)
        #expect(trace.makeResponder(for: SessionInfo(connectionID: 1, port: 0)).answer(to: "b").results.first?.answeredBy != nil)
    }
}
