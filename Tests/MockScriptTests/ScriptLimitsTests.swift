import CDuktapeShim
import MockModel
@testable import MockScript
import Testing

/// Runaway JavaScript (issue 14): a time limit per call, a memory limit per heap.
@Suite("Script limits")
struct ScriptLimitsTests {
    let session = SessionInfo(connectionID: 7, port: 4406)

    func trace(_ source: String, limits: ScriptLimits) -> JavaScriptTrace {
        JavaScriptTrace(source: source, file: "runaway.js", modulePrefixes: [JavaScriptTraceTests.fixtures],
                        globals: GlobalStore(), logger: .init(label: "test"), limits: limits)
    }

    static let loops = """
        var answered = 0;
        ({stmts: function (stmt) {
          if (stmt === "spin") { while (true) {} }
          if (stmt === "spin in a try") { for (;;) { try { while (true) {} } catch (e) {} } }
          if (stmt === "spin on dates") { var s = ""; while (true) { s = String(new Date()) + Math.random(); } }
          if (stmt === "spin in toString") { throw {toString: function () { while (true) {} }}; }
          answered += 1;
          return {result: {columns: [{name: "n", type: "LONG"}], rows: [[answered]]}};
        }})
        """

    @Test("a call that loops forever is stopped at the time limit with ERR 3024 naming the trace and the statement")
    func timeLimit() throws {
        #expect(shim_time_limits_supported() == 1, "Duktape is not a shared library of its own here")
        let t = trace(Self.loops, limits: ScriptLimits(time: .milliseconds(100)))
        let runaway = t.makeResponder(for: session)
        let bystander = t.makeResponder(for: SessionInfo(connectionID: 8, port: 4406))
        #expect(bystander.respond(to: "a").result?.rows == [["1"]])
        #expect(runaway.respond(to: "a").result?.rows == [["1"]])
        for statement in ["spin", "spin in a try", "spin on dates", "spin in toString"] {
            let clock = ContinuousClock()
            var response: StatementResponse?
            let elapsed = clock.measure { response = runaway.respond(to: statement) }
            let error = try #require(response?.error, "\(statement)")
            #expect(error.code == 3024)
            #expect(error.message == "executing statement failed: runaway.js: the script ran past its time limit of "
                + "100 ms (--js-timeout) answering \"\(statement)\"")
            #expect(elapsed >= .milliseconds(100) && elapsed < .seconds(5), "\(statement): \(elapsed)")
            // The connection goes on in a fresh heap (its script state starts again) ...
            #expect(runaway.respond(to: "a").result?.rows == [["1"]])
        }
        // ... and so does the other connection of the discarded heap.
        #expect(bystander.respond(to: "a").result?.rows == [["1"]])
        #expect(bystander.respond(to: "a").result?.rows == [["2"]])
    }

    @Test("a trace whose top level loops forever fails each connection at the limit instead of hanging")
    func topLevelLoop() {
        let t = trace("while (true) {}\n({stmts: []})", limits: ScriptLimits(time: .milliseconds(50)))
        let first = t.makeResponder(for: session)
        let error = first.respond(to: "select 1").error
        #expect(error?.message.contains("runaway.js: the script ran past its time limit of 50 ms (--js-timeout)"
            + " while running the trace for a new connection") == true, "\(String(describing: error))")
    }

    @Test("a script that allocates without bound gets its memory limit, and the heap's memory is returned")
    func memoryLimit() throws {
        let t = trace("""
            var hoard = [];
            ({stmts: function (stmt) {
              if (stmt === "hoard") { while (true) { hoard.push(new Array(4096).join("x") + Math.random()); } }
              return {ok: {}};
            }})
            """, limits: ScriptLimits(time: .seconds(30), memoryBytes: 16 << 20))
        let r = t.makeResponder(for: session)
        #expect(r.respond(to: "a").ok != nil)
        let host = try t.engine.host()
        let error = try #require(r.respond(to: "hoard").error)
        #expect(error.code == 1064)
        #expect(error.message.hasPrefix("executing statement failed: runaway.js: the script's heap reached its memory "
            + "limit of 16777216 bytes (--js-heap-limit): "), "\(error.message)")
        #expect(error.message.contains("alloc failed"), "\(error.message)")
        #expect(error.message.hasSuffix("answering \"hoard\""))
        #expect(host.heap.isDiscarded)
        #expect(host.heap.bytes == 0)
        #expect(r.respond(to: "a").ok != nil)
        #expect(try t.engine.host().heap.bytes < 4 << 20)
    }

    @Test("limits of zero mean none; the defaults are one second and 64 MiB")
    func defaults() {
        #expect(ScriptLimits().milliseconds == 1000)
        #expect(ScriptLimits().memoryBytes == 64 << 20)
        #expect(ScriptLimits(time: .zero).milliseconds == 0)
        #expect(ScriptLimits(time: .microseconds(10)).milliseconds == 1)
    }
}
