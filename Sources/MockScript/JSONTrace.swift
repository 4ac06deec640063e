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
    struct Entry: Sendable {
        var matcher: StatementMatcher?
        var response: StatementResponse
        var label: String
    }

    public let name: String
    let ordered: Bool
    let entries: [Entry]
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
        ordered = try root.member("ordered")?.bool() ?? false
        let defaultExecTime = try root.member("defaults")?.member("exec_time")?.milliseconds() ?? .zero
        handshake = try root.member("handshake").map(ResponseDecoder.handshake) ?? HandshakeScript()
        if let f = root.member("fallback") {
            let fallbackName = try f.string()
            guard let builtin = BuiltinTraces.named(fallbackName) else {
                throw f.error("unknown fallback \"\(fallbackName)\"; known: \(BuiltinTraces.names.joined(separator: ", "))")
            }
            fallback = builtin
        } else {
            fallback = nil
        }
        guard let stmts = root.member("stmts") else { throw root.error("missing \"stmts\"") }
        guard case .array = stmts.value else {
            throw stmts.error("expected 'stmts' to be an array, got \(stmts.value.typeName)")
        }
        var entries: [Entry] = []
        for node in try stmts.elements() {
            try node.requireObject()
            let response = try ResponseDecoder.response(node, defaultExecTime: defaultExecTime, answeredBy: node.path)
            entries.append(Entry(matcher: try StatementMatcher.read(node), response: response, label: node.path))
        }
        self.entries = entries
    }

    public func makeResponder(for session: SessionInfo) -> any StatementResponder {
        JSONTraceResponder(trace: self, fallback: fallback?.makeResponder(for: session))
    }
}

/// The per-connection state of a JSON trace: how far the in-order entries have got.
final class JSONTraceResponder: StatementResponder {
    let trace: JSONTrace
    let fallback: (any StatementResponder)?
    /// Next entry to use in order (ordered mode: every entry; otherwise: entries without matcher).
    var cursor = 0

    init(trace: JSONTrace, fallback: (any StatementResponder)?) {
        self.trace = trace
        self.fallback = fallback
    }

    func handshake(_ phase: HandshakePhase) -> HandshakeScript { trace.handshake }

    func sessionChanged(_ session: SessionInfo) { fallback?.sessionChanged(session) }

    func respond(to statement: String) -> StatementResponse {
        trace.ordered ? respondOrdered(statement) : respondMatching(statement)
    }

    private func respondOrdered(_ statement: String) -> StatementResponse {
        guard cursor < trace.entries.count else {
            return Self.parseError("Unexpected stmt, got: \"\(statement)\"; expected: nothing (end of stmts)")
        }
        let entry = trace.entries[cursor]
        cursor += 1
        if let matcher = entry.matcher, !matcher.matches(statement) {
            return Self.parseError("Unexpected stmt, got: \"\(statement)\"; expected: \"\(matcher.source)\"")
        }
        return entry.response
    }

    private func respondMatching(_ statement: String) -> StatementResponse {
        for entry in trace.entries {
            if let matcher = entry.matcher, matcher.matches(statement) { return entry.response }
        }
        while cursor < trace.entries.count {
            let entry = trace.entries[cursor]
            cursor += 1
            if entry.matcher == nil { return entry.response }
        }
        if let fallback { return fallback.respond(to: statement) }
        let candidates = trace.entries.compactMap { e in e.matcher.map { (e.label, $0.source) } }
        guard !candidates.isEmpty else { return Self.parseError("Unknown statement. (end of stmts)") }
        let closest = candidates.min { ClosestEntry.distance(statement, $0.1) < ClosestEntry.distance(statement, $1.1) }
        let hint = closest.map { "; closest trace entry: \($0.0) \"\($0.1)\"" } ?? ""
        return Self.parseError("Unknown statement: \"\(statement)\"\(hint)")
    }

    static func parseError(_ message: String) -> StatementResponse {
        StatementResponse(.error(ErrorResponse(code: 1064, sqlState: "HY000", message: message)))
    }
}
