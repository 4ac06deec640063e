/// The regular-expression entries of a trace, sorted by what their patterns say a matching
/// statement starts with and contains (`RegexHints`), so that a statement is matched by PCRE2 only
/// against the patterns it may match: the cost of a statement no longer grows with the number of
/// patterns it cannot match.
///
/// Patterns are bucketed by the first byte of their prefix (ASCII-lowercased for caseless ones); a
/// statement looks at its first byte's buckets, compares prefixes and looks for each remaining
/// pattern's required literal (`memmem`), and is then matched against what is left and against
/// the patterns without hints, in trace order.
struct RegexPrefilter: Sendable {
    private struct Hinted: Sendable {
        var entry: Int
        var hints: RegexHints
    }

    /// Patterns with a prefix, by its first byte: case-sensitive ones, caseless ones.
    private var exactCase: [[Hinted]] = Array(repeating: [], count: 256)
    private var anyCase: [[Hinted]] = Array(repeating: [], count: 256)
    /// Patterns with a literal but no prefix (checked for every statement).
    private var literalOnly: [Hinted] = []
    /// Patterns without hints (trace indices, ascending): always tried.
    let unfiltered: [Int]
    /// Whether any pattern has hints (otherwise the prefilter is not worth asking).
    let isUseful: Bool

    /// Reads `entries` (trace index and pattern, in trace order).
    init(_ entries: [(index: Int, pattern: String)]) {
        var unfiltered: [Int] = []
        for (index, pattern) in entries {
            guard let hints = RegexHints.read(pattern) else {
                unfiltered.append(index)
                continue
            }
            let hinted = Hinted(entry: index, hints: hints)
            if let first = hints.prefix.first {
                if hints.caseless { anyCase[Int(first)].append(hinted) } else { exactCase[Int(first)].append(hinted) }
            } else {
                literalOnly.append(hinted)
            }
        }
        self.unfiltered = unfiltered
        isUseful = unfiltered.count < entries.count
    }

    /// The entries (trace indices, ascending) whose patterns `text` may match.
    func candidates(for text: String) -> [Int] {
        var text = text
        var found: [Int] = []
        text.withUTF8 { statement in
            if let first = statement.first {
                for hinted in exactCase[Int(first)] where hinted.hints.admits(statement) { found.append(hinted.entry) }
                if first < 0x80 {
                    for hinted in anyCase[Int(RegexHints.lowercased(first))] where hinted.hints.admits(statement) {
                        found.append(hinted.entry)
                    }
                } else {
                    // A statement starting outside ASCII may fold to any caseless prefix.
                    for bucket in anyCase { found += bucket.map(\.entry) }
                }
            }
            for hinted in literalOnly where hinted.hints.admits(statement) { found.append(hinted.entry) }
        }
        found += unfiltered
        found.sort()
        return found
    }
}
