import CPCRE2

/// The regular-expression entries of a trace, sorted by what their patterns say a matching
/// statement starts with and contains (`RegexHints`), so that a statement is matched by PCRE2 only
/// against the patterns it may match: the cost of a statement no longer grows with the number of
/// patterns it cannot match.
///
/// Patterns are grouped by prefix and bucketed by its first byte (ASCII-lowercased for caseless
/// ones); a statement looks at its first byte's buckets, compares each group's prefix once, then
/// for each pattern of a group that passes looks for its required literal (first in the
/// statement's three-byte signature, then with `memmem`), and is then matched against what is
/// left and against the patterns without hints, in trace order.
package struct RegexPrefilter: Sendable {
    /// Patterns with the same prefix (and case rule): the prefix is compared once for all.
    private struct Group: Sendable {
        var hints: RegexHints
        var entries: [Int] = []
        var literals: [[UInt8]] = []
        var signatures: [RegexHints.Signature] = []
        /// The bytes every non-empty literal of the group starts with (Router-style patterns
        /// differ at their ends): when a long statement lacks them, one search rules out all.
        var stem: [UInt8] = []
    }

    /// Groups with a prefix, by its first byte: case-sensitive ones, caseless ones.
    private var exactCase: [[Group]] = Array(repeating: [], count: 256)
    private var anyCase: [[Group]] = Array(repeating: [], count: 256)
    /// Patterns with a literal but no prefix (checked for every statement), as one group.
    private var literalOnly = Group(hints: RegexHints(prefix: [], literal: [], caseless: false))
    /// Patterns without hints (trace indices, ascending): always tried.
    let unfiltered: [Int]
    /// Whether any pattern has hints (otherwise the prefilter is not worth asking).
    let isUseful: Bool
    /// Statements up to this long get a signature (a longer one would have most bits set, and
    /// computing it would cost more than the searches it saves).
    static let signatureBytes = 2048

    /// Reads `entries` (trace index and pattern, in trace order).
    package init(_ entries: [(index: Int, pattern: String)]) {
        var unfiltered: [Int] = []
        for (index, pattern) in entries {
            guard let hints = RegexHints.read(pattern) else {
                unfiltered.append(index)
                continue
            }
            guard let first = hints.prefix.first else {
                Self.add(index, hints, to: &literalOnly)
                continue
            }
            if hints.caseless {
                Self.add(index, hints, toGroupIn: &anyCase[Int(first)])
            } else {
                Self.add(index, hints, toGroupIn: &exactCase[Int(first)])
            }
        }
        self.unfiltered = unfiltered
        isUseful = unfiltered.count < entries.count
        for b in 0..<256 {
            for g in exactCase[b].indices { Self.findStem(&exactCase[b][g]) }
        }
        Self.findStem(&literalOnly)
    }

    private static func findStem(_ group: inout Group) {
        let literals = group.literals.filter { !$0.isEmpty }
        guard literals.count > 1, var stem = literals.first else { return }
        for literal in literals.dropFirst() {
            let common = zip(stem, literal).prefix { $0 == $1 }.count
            stem.removeLast(stem.count - common)
        }
        group.stem = stem.count >= 4 ? stem : []
    }

    private static func add(_ entry: Int, _ hints: RegexHints, toGroupIn groups: inout [Group]) {
        if let g = groups.firstIndex(where: { $0.hints.prefix == hints.prefix }) {
            add(entry, hints, to: &groups[g])
        } else {
            var group = Group(hints: RegexHints(prefix: hints.prefix, literal: hints.prefix, caseless: hints.caseless))
            add(entry, hints, to: &group)
            groups.append(group)
        }
    }

    private static func add(_ entry: Int, _ hints: RegexHints, to group: inout Group) {
        group.entries.append(entry)
        // Only a literal beyond the prefix says more (caseless patterns are judged by prefix).
        let extra = !hints.caseless && hints.literal != hints.prefix
        group.literals.append(extra ? hints.literal : [])
        group.signatures.append(extra ? hints.signature : RegexHints.Signature())
    }

    /// The entries (trace indices, ascending) whose patterns `text` may match.
    package func candidates(for text: String) -> [Int] {
        var text = text
        var found: [Int] = []
        text.withUTF8 { statement in
            let signature = statement.count <= Self.signatureBytes ? RegexHints.Signature(statement) : nil
            if let first = statement.first {
                for g in exactCase[Int(first)].indices {
                    Self.collect(exactCase[Int(first)][g], statement, signature, into: &found)
                }
                if first < 0x80 {
                    let folded = Int(RegexHints.lowercased(first))
                    for g in anyCase[folded].indices { Self.collect(anyCase[folded][g], statement, signature, into: &found) }
                } else {
                    // A statement starting outside ASCII may fold to any caseless prefix.
                    for bucket in anyCase { for group in bucket { found += group.entries } }
                }
            }
            Self.collect(literalOnly, statement, signature, into: &found)
        }
        found += unfiltered
        found.sort()
        return found
    }

    /// The entries of `group` that `statement` may match: its prefix, then each literal (by
    /// signature, then by search).
    private static func collect(_ group: Group, _ statement: UnsafeBufferPointer<UInt8>,
                                _ signature: RegexHints.Signature?, into found: inout [Int]) {
        guard group.hints.prefix.isEmpty || group.hints.admits(statement) else { return }
        let stemAbsent = signature == nil && !group.stem.isEmpty && !contains(statement, group.stem)
        for i in group.entries.indices {
            let literal = group.literals[i]
            if !literal.isEmpty {
                if stemAbsent { continue }
                if let signature, !signature.contains(group.signatures[i]) { continue }
                if !contains(statement, literal) { continue }
            }
            found.append(group.entries[i])
        }
    }

    private static func contains(_ statement: UnsafeBufferPointer<UInt8>, _ literal: [UInt8]) -> Bool {
        literal.withUnsafeBufferPointer { needle in
            memmem(statement.baseAddress, statement.count, needle.baseAddress, needle.count) != nil
        }
    }
}
