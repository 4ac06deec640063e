/// How a trace entry picks the statements it answers.
enum StatementMatcher: Sendable {
    /// `stmt`: the exact statement text.
    case exact(String)
    /// `stmt.regex` / `stmt_regex`: a regular expression (PCRE2) that must match the whole
    /// statement.
    case regex(BoundedRegex)

    func matches(_ statement: String) -> BoundedRegex.Outcome {
        switch self {
        case .exact(let text): statement == text ? .match : .noMatch
        case .regex(let regex): regex.wholeMatch(statement)
        }
    }

    var isRegex: Bool {
        if case .regex = self { return true }
        return false
    }

    /// The text as the trace wrote it (for error messages).
    var source: String {
        switch self {
        case .exact(let text): text
        case .regex(let regex): regex.pattern
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
            return .regex(try BoundedRegex(pattern))
        } catch {
            throw node.error("invalid regular expression \"\(pattern)\": \(error)")
        }
    }
}

/// How long matching one statement against a trace's entries may take in all: past it, the
/// remaining regular expressions are not tried (each one is bounded by `BoundedRegex.matchLimit`,
/// but a trace may have many, and a long statement makes each linear scan longer).
struct MatchBudget {
    static let limit: Duration = .milliseconds(10)
    /// When the first regular expression was tried (a trace of exact entries never reads the clock).
    private var start: ContinuousClock.Instant?

    mutating func isSpent() -> Bool {
        let now = ContinuousClock.now
        guard let start else {
            start = now
            return false
        }
        return now - start > Self.limit
    }
}

/// Picks the trace entry closest to a statement nothing matched, to explain the miss, with a
/// bounded amount of work whatever the statement's size and the number of entries.
enum ClosestEntry {
    /// Cells of the edit-distance tables computed for one miss, over all candidates.
    static let cellBudget = 1 << 21

    /// The label and text of the candidate closest to `statement`.
    static func closest(to statement: String, among candidates: [(label: String, text: String)]) -> (label: String, text: String)? {
        guard !candidates.isEmpty else { return nil }
        // Each side is cut so that all the tables together stay within the budget.
        let side = max(16, min(512, Int(Double(cellBudget / candidates.count).squareRoot())))
        let x = normalized(statement, keeping: side)
        var best: (label: String, text: String)?
        var bestDistance = Int.max
        for candidate in candidates.prefix(cellBudget / (16 * 16)) {
            let d = distance(x, normalized(candidate.text, keeping: side))
            if d < bestDistance { (best, bestDistance) = (candidate, d) }
        }
        return best
    }

    /// Edit distance between the lowercased, whitespace-folded texts (their first 512 bytes).
    static func distance(_ a: String, _ b: String) -> Int {
        distance(normalized(a, keeping: 512), normalized(b, keeping: 512))
    }

    /// The first `count` bytes of `s`, lowercased and whitespace-folded (only a bounded prefix is
    /// ever looked at, so a huge statement costs no more than a short one).
    static func normalized(_ s: String, keeping count: Int) -> [UInt8] {
        Array(normalize(String(decoding: s.utf8.prefix(count * 2), as: UTF8.self)).utf8.prefix(count))
    }

    static func distance(_ x: [UInt8], _ y: [UInt8]) -> Int {
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
