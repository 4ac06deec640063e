import MockModel

/// A trace loaded from a JSON document:
///
/// ```json
/// {
///   "ordered": false,
///   "defaults": {"exec_time": 0},
///   "handshake": {"greeting": {…}, "auth": {…}},
///   "stmts": [
///     {"stmt": "select 1", "result": {"columns": [{"name": "1", "type": "LONG"}], "rows": [[1]]}},
///     {"stmt.regex": "SET .*", "ok": {}},
///     {"error": {"code": 1064, "message": "…"}}
///   ]
/// }
/// ```
///
/// Entries with `stmt` / `stmt.regex` / `stmt_regex` answer every statement they match (first match
/// wins); entries without a matcher answer the remaining statements one each, in order. With
/// `"ordered": true` every entry is an expectation consumed in order.
public struct JSONTrace: Trace {
    public let name: String
    let statements: TraceStatements
    let handshake: HandshakeScript
    /// `handshake` as written, when it reads globals (decoded at each connection).
    let handshakeTemplate: TraceNode?
    /// What `{"$global": "name"}` references read.
    let globals: GlobalStore
    /// X protocol notices (`notices`).
    let notices: [NoticeSpec]
    /// Answers statements the trace does not (`"fallback": "builtin:default"`).
    let fallback: (any Trace)?
    /// `scenarios`: the states entries require and move, made anew with each load of the trace.
    public let scenarios: ScenarioStore?

    /// Parses a JSON trace document. Throws a `TraceError` naming the JSON path of any problem.
    public init(json: String, name: String, globals: GlobalStore = GlobalStore()) throws(TraceError) {
        let root = try TraceNode(value: JSONDocument.parse(json, file: name), path: "", file: name)
        try self.init(root: root, name: name, globals: globals)
    }

    init(root: TraceNode, name: String, globals: GlobalStore) throws(TraceError) {
        self.name = name
        self.globals = globals
        guard case .object = root.value else {
            throw root.error("expected the trace to be an object with \"stmts\", got \(root.value.typeName)")
        }
        let ordered = try root.member("ordered")?.bool() ?? false
        let defaultExecTime = try root.member("defaults")?.member("exec_time")?.milliseconds() ?? .zero
        if let node = root.member("handshake") {
            var checked = node
            checked.value = node.value.substituting(TemplateValues())
            handshake = try ResponseDecoder.handshake(checked)
            handshakeTemplate = node.value.isTemplate ? node : nil
        } else {
            handshake = HandshakeScript()
            handshakeTemplate = nil
        }
        fallback = try root.member("fallback").map(Self.fallback)
        notices = try root.member("notices").map(ResponseDecoder.notices) ?? []
        guard let stmts = root.member("stmts") else { throw root.error("missing \"stmts\"") }
        var declarations = try ScenarioDeclarations(root.member("scenarios"))
        statements = try TraceStatements(stmts, ordered: ordered, defaultExecTime: defaultExecTime, strict: true,
                                         scenarios: &declarations)
        scenarios = try declarations.store()
    }

    static func fallback(_ node: TraceNode) throws(TraceError) -> any Trace {
        let fallbackName = try node.string()
        guard let builtin = BuiltinTraces.named(fallbackName) else {
            throw node.error("unknown fallback \"\(fallbackName)\"; known: \(BuiltinTraces.names.joined(separator: ", "))")
        }
        return builtin
    }

    public var coverage: [EntryCoverage]? { statements.coverage }

    public func resetCoverage() { statements.resetCoverage() }

    public func makeResponder(for session: SessionInfo) -> any StatementResponder {
        JSONTraceResponder(trace: self, session: session, fallback: fallback?.makeResponder(for: session))
    }
}

/// The per-connection state of a JSON trace: how far the in-order entries have got.
final class JSONTraceResponder: StatementResponder {
    let trace: JSONTrace
    let fallback: (any StatementResponder)?
    /// The fallback when it is the built-in trace, which keeps the session's counters.
    private let sessionCounters: DefaultTraceResponder?
    var cursor: TraceCursor

    init(trace: JSONTrace, session: SessionInfo, fallback: (any StatementResponder)?) {
        self.trace = trace
        self.fallback = fallback
        self.sessionCounters = fallback as? DefaultTraceResponder
        self.cursor = TraceCursor(globals: trace.globals, scenarios: trace.scenarios)
        cursor.session = session
    }

    func handshake(_ phase: HandshakePhase) -> HandshakeScript {
        guard let template = trace.handshakeTemplate else { return trace.handshake }
        var node = template
        node.value = template.value.substitutingGlobals { [globals = trace.globals] in globals.get($0) }
        do {
            return try ResponseDecoder.handshake(node)
        } catch {
            return HandshakeScript(error: ErrorResponse(code: 1064, sqlState: "HY000", message: "\(error)"))
        }
    }

    func sessionChanged(_ session: SessionInfo) {
        cursor.session = session
        fallback?.sessionChanged(session)
    }

    func sessionClosed() {
        trace.scenarios?.forget(connection: cursor.session.connectionID)
        fallback?.sessionClosed()
    }

    func notices() -> [NoticeSpec] { trace.notices }

    func answer(_ request: StatementRequest) -> StatementAnswer {
        let answer = cursor.answer(request, in: trace.statements, fallback: fallback)
        // The built-in trace answers LAST_INSERT_ID(), ROW_COUNT() and FOUND_ROWS() from what this
        // connection was last answered, by the trace's entries as much as by itself.
        if let sessionCounters {
            switch answer {
            case .one(let response): sessionCounters.observe(response)
            case .several(let responses): for response in responses { sessionCounters.observe(response) }
            case .later, .deferred: break
            }
        }
        return answer
    }

    func prepare(_ statement: String) -> PrepareAnswer {
        cursor.prepare(statement, in: trace.statements) ?? fallback?.prepare(statement) ?? .unknown
    }

    /// The first result of the answer (a trace used as another's fallback answers with one).
    func respond(to statement: String) -> StatementResponse {
        answer(StatementRequest(text: statement)).results.first
            ?? StatementResponse(.error(ErrorResponse(code: 1064, message: "no answer")))
    }
}
