/// How a trace entry picks the statements it answers.
enum StatementMatcher: @unchecked Sendable {
    /// `stmt`: the exact statement text.
    case exact(String)
    /// `stmt.regex` / `stmt_regex`: a regular expression that must match the whole statement.
    case regex(source: String, Regex<AnyRegexOutput>)

    func matches(_ statement: String) -> Bool {
        switch self {
        case .exact(let text): statement == text
        case .regex(_, let regex): (try? regex.wholeMatch(in: statement)) != nil
        }
    }

    /// The text as the trace wrote it (for error messages).
    var source: String {
        switch self {
        case .exact(let text): text
        case .regex(let source, _): source
        }
    }

    /// Reads `stmt`, `stmt.regex` or `stmt_regex` of an entry; `nil` if it has none.
    static func read(_ node: TraceNode) throws(TraceError) -> StatementMatcher? {
        let exact = node.member("stmt")
        let regex = node.member("stmt.regex") ?? node.member("stmt_regex")
        switch (exact, regex) {
        case (nil, nil):
            return nil
        case (let e?, nil):
            // The legacy JSON form `"stmt": {"regex": "…"}` is accepted too.
            if let nested = e.member("regex") { return try compile(nested) }
            return .exact(try e.string())
        case (nil, let r?):
            return try compile(r)
        case (.some, .some):
            throw node.error("has both 'stmt' and a regex; use one of them")
        }
    }

    private static func compile(_ node: TraceNode) throws(TraceError) -> StatementMatcher {
        let pattern = try node.string()
        do {
            return .regex(source: pattern, try Regex(pattern))
        } catch {
            throw node.error("invalid regular expression \"\(pattern)\": \(error)")
        }
    }
}

/// Picks the trace entry closest to a statement nothing matched, to explain the miss.
enum ClosestEntry {
    /// Edit distance between the lowercased, whitespace-folded texts, capped in length so that
    /// a huge statement cannot make a miss slow.
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(normalize(a).utf8.prefix(512))
        let y = Array(normalize(b).utf8.prefix(512))
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }

    static func normalize(_ s: String) -> String {
        s.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
