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
        /// For a response that reads globals (`{"$global": "name"}`): the entry as written, decoded
        /// again each time it answers, with the globals' current values.
        var template: TraceNode?
        var defaultExecTime: Duration = .zero
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
                let dynamic = node.value.referencesGlobals
                // Checked once with defaults in place of the globals, so mistakes show at start.
                var checked = node
                checked.value = node.value.substitutingGlobals { _ in nil }
                var response = try ResponseDecoder.response(checked, defaultExecTime: defaultExecTime,
                                                            answeredBy: node.path)
                if !dynamic { response.cacheKey = nextCacheKey.add(1, ordering: .relaxed).oldValue }
                entries.append(Entry(matcher: matcher, response: .success(response), label: node.path,
                                     template: dynamic ? node : nil, defaultExecTime: defaultExecTime))
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

    /// The store `{"$global": …}` references read.
    var globals: GlobalStore?

    init(globals: GlobalStore? = nil) {
        self.globals = globals
    }

    mutating func respond(to statement: String, in statements: TraceStatements,
                          fallback: (any StatementResponder)?) -> StatementResponse {
        statements.ordered
            ? respondOrdered(statement, statements)
            : respondMatching(statement, statements, fallback: fallback)
    }

    private mutating func respondOrdered(_ statement: String, _ statements: TraceStatements) -> StatementResponse {
        guard next < statements.entries.count else {
            return Self.parseError("Unexpected stmt, got: \(Self.quoted(statement)); expected: nothing (end of stmts)")
        }
        let entry = statements.entries[next]
        next += 1
        if let matcher = entry.matcher {
            switch matcher.matches(statement) {
            case .match: break
            case .noMatch:
                return Self.parseError("Unexpected stmt, got: \(Self.quoted(statement)); expected: \"\(matcher.source)\"")
            case .gaveUp(let code):
                return Self.parseError("Unexpected stmt, got: \(Self.quoted(statement)); expected: \"\(matcher.source)\""
                    + " (\(Self.gaveUp(code)))")
            }
        }
        return use(entry)
    }

    private mutating func respondMatching(_ statement: String, _ statements: TraceStatements,
                                          fallback: (any StatementResponder)?) -> StatementResponse {
        var budget = MatchBudget()
        var unfinished: String?
        for entry in statements.entries {
            guard let matcher = entry.matcher else { continue }
            if matcher.isRegex, budget.isSpent() {
                unfinished = unfinished ?? "matching stopped at \(entry.label) after \(MatchBudget.limit)"
                break
            }
            switch matcher.matches(statement) {
            case .match: return use(entry)
            case .noMatch: break
            case .gaveUp(let code): unfinished = unfinished ?? "\(entry.label) \(Self.gaveUp(code))"
            }
        }
        while next < statements.entries.count {
            let entry = statements.entries[next]
            next += 1
            if entry.matcher == nil { return use(entry) }
        }
        if let fallback { return fallback.respond(to: statement) }
        let candidates = statements.entries.compactMap { e in e.matcher.map { (e.label, $0.source) } }
        guard !candidates.isEmpty else { return Self.parseError("Unknown statement. (end of stmts)") }
        let closest = ClosestEntry.closest(to: statement, among: candidates)
        let hint = closest.map { "; closest trace entry: \($0.label) \"\($0.text)\"" } ?? ""
        let note = unfinished.map { " (\($0))" } ?? ""
        return Self.parseError("Unknown statement: \(Self.quoted(statement))\(hint)\(note)")
    }

    /// The statement in double quotes for an error message; a long one is cut (the message would
    /// be cut at 512 bytes anyway, and the hints come after it).
    static func quoted(_ statement: String) -> String {
        let bytes = statement.utf8.count
        guard bytes > 256 else { return "\"\(statement)\"" }
        return "\"\(String(decoding: statement.utf8.prefix(200), as: UTF8.self))…\" (\(bytes) bytes)"
    }

    /// Why a regular expression did not finish, for the error a statement gets.
    static func gaveUp(_ code: Int32) -> String {
        "gave up: \(BoundedRegex.message(for: code))"
    }

    private func use(_ entry: TraceStatements.Entry) -> StatementResponse {
        if let template = entry.template {
            var node = template
            node.value = template.value.substitutingGlobals { globals?.get($0) }
            do {
                return try ResponseDecoder.response(node, defaultExecTime: entry.defaultExecTime, answeredBy: entry.label)
            } catch {
                return Self.parseError("executing statement failed: \(error)")
            }
        }
        switch entry.response {
        case .success(let response): return response
        case .failure(let error): return Self.parseError("executing statement failed: \(error)")
        }
    }

    static func parseError(_ message: String) -> StatementResponse {
        StatementResponse(.error(ErrorResponse(code: 1064, sqlState: "HY000", message: message)))
    }
}
