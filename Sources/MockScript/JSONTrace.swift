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
    /// Answers statements the trace does not (`"fallback": "builtin:default"`).
    let fallback: (any Trace)?

    /// Parses a JSON trace document. Throws a `TraceError` naming the JSON path of any problem.
    public init(json: String, name: String) throws(TraceError) {
        let root = try TraceNode(value: JSONDocument.parse(json, file: name), path: "", file: name)
        try self.init(root: root, name: name)
    }

    init(root: TraceNode, name: String) throws(TraceError) {
        self.name = name
        guard case .object = root.value else {
            throw root.error("expected the trace to be an object with \"stmts\", got \(root.value.typeName)")
        }
        let ordered = try root.member("ordered")?.bool() ?? false
        let defaultExecTime = try root.member("defaults")?.member("exec_time")?.milliseconds() ?? .zero
        handshake = try root.member("handshake").map(ResponseDecoder.handshake) ?? HandshakeScript()
        fallback = try root.member("fallback").map(Self.fallback)
        guard let stmts = root.member("stmts") else { throw root.error("missing \"stmts\"") }
        statements = try TraceStatements(stmts, ordered: ordered, defaultExecTime: defaultExecTime, strict: true)
    }

    static func fallback(_ node: TraceNode) throws(TraceError) -> any Trace {
        let fallbackName = try node.string()
        guard let builtin = BuiltinTraces.named(fallbackName) else {
            throw node.error("unknown fallback \"\(fallbackName)\"; known: \(BuiltinTraces.names.joined(separator: ", "))")
        }
        return builtin
    }

    public func makeResponder(for session: SessionInfo) -> any StatementResponder {
        JSONTraceResponder(trace: self, fallback: fallback?.makeResponder(for: session))
    }
}

/// The per-connection state of a JSON trace: how far the in-order entries have got.
final class JSONTraceResponder: StatementResponder {
    let trace: JSONTrace
    let fallback: (any StatementResponder)?
    var cursor = TraceCursor()

    init(trace: JSONTrace, fallback: (any StatementResponder)?) {
        self.trace = trace
        self.fallback = fallback
    }

    func handshake(_ phase: HandshakePhase) -> HandshakeScript { trace.handshake }

    func sessionChanged(_ session: SessionInfo) { fallback?.sessionChanged(session) }

    func respond(to statement: String) -> StatementResponse {
        cursor.respond(to: statement, in: trace.statements, fallback: fallback)
    }
}
