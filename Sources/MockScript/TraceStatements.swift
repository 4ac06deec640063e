import MockModel
import Synchronization

/// Process-wide source of `StatementResponse.cacheKey`s.
private let nextCacheKey = Atomic<Int>(1)

/// The `stmts` of a trace as entries that match statements, shared by JSON traces and JavaScript
/// traces whose `stmts` is an array.
struct TraceStatements: Sendable {
    struct Entry: Sendable {
        var matcher: StatementMatcher?
        /// The decoded response, or why it cannot be used (reported when the entry answers).
        var response: Result<StatementResponse, TraceError>
        var label: String
    }

    var entries: [Entry]
    var ordered: Bool

    /// Reads an array of entries. `strict` throws the first problem (JSON traces are checked at
    /// start); otherwise a broken entry is kept and reported when it answers, as the reference
    /// does for JavaScript traces.
    init(_ stmts: TraceNode, ordered: Bool, defaultExecTime: Duration, strict: Bool) throws(TraceError) {
        self.ordered = ordered
        guard case .array = stmts.value else {
            throw stmts.error("expected 'stmts' to be an array, got \(stmts.value.typeName)")
        }
        var entries: [Entry] = []
        for node in try stmts.elements() {
            do {
                try node.requireObject()
                let matcher = try StatementMatcher.read(node)
                var response = try ResponseDecoder.response(node, defaultExecTime: defaultExecTime, answeredBy: node.path)
                response.cacheKey = nextCacheKey.add(1, ordering: .relaxed).oldValue
                entries.append(Entry(matcher: matcher, response: .success(response), label: node.path))
            } catch {
                if strict { throw error }
                let matcher = try? StatementMatcher.read(node)
                entries.append(Entry(matcher: matcher ?? nil, response: .failure(error), label: node.path))
            }
        }
        self.entries = entries
    }
}

/// How far one connection has got through a `TraceStatements`.
struct TraceCursor {
    /// Next entry to use in order (ordered mode: every entry; otherwise: entries without matcher).
    var next = 0

    mutating func respond(to statement: String, in statements: TraceStatements,
                          fallback: (any StatementResponder)?) -> StatementResponse {
        statements.ordered
            ? respondOrdered(statement, statements)
            : respondMatching(statement, statements, fallback: fallback)
    }

    private mutating func respondOrdered(_ statement: String, _ statements: TraceStatements) -> StatementResponse {
        guard next < statements.entries.count else {
            return Self.parseError("Unexpected stmt, got: \"\(statement)\"; expected: nothing (end of stmts)")
        }
        let entry = statements.entries[next]
        next += 1
        if let matcher = entry.matcher, !matcher.matches(statement) {
            return Self.parseError("Unexpected stmt, got: \"\(statement)\"; expected: \"\(matcher.source)\"")
        }
        return Self.use(entry)
    }

    private mutating func respondMatching(_ statement: String, _ statements: TraceStatements,
                                          fallback: (any StatementResponder)?) -> StatementResponse {
        for entry in statements.entries {
            if let matcher = entry.matcher, matcher.matches(statement) { return Self.use(entry) }
        }
        while next < statements.entries.count {
            let entry = statements.entries[next]
            next += 1
            if entry.matcher == nil { return Self.use(entry) }
        }
        if let fallback { return fallback.respond(to: statement) }
        let candidates = statements.entries.compactMap { e in e.matcher.map { (e.label, $0.source) } }
        guard !candidates.isEmpty else { return Self.parseError("Unknown statement. (end of stmts)") }
        let closest = candidates.min { ClosestEntry.distance(statement, $0.1) < ClosestEntry.distance(statement, $1.1) }
        let hint = closest.map { "; closest trace entry: \($0.0) \"\($0.1)\"" } ?? ""
        return Self.parseError("Unknown statement: \"\(statement)\"\(hint)")
    }

    private static func use(_ entry: TraceStatements.Entry) -> StatementResponse {
        switch entry.response {
        case .success(let response): response
        case .failure(let error): parseError("executing statement failed: \(error)")
        }
    }

    static func parseError(_ message: String) -> StatementResponse {
        StatementResponse(.error(ErrorResponse(code: 1064, sqlState: "HY000", message: message)))
    }
}
