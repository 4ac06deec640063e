/// The regular-expression entries of a trace as one PCRE2 alternation, so that a statement is
/// tried against all of them in one match instead of one match per entry.
///
/// Each entry becomes a branch `(*MARK:i)(?:pattern)\z`, in trace order. PCRE2 tries the branches
/// of an alternation left to right and only moves on once a branch cannot match, so the match
/// that comes back went through the first entry that matches the whole statement, and its mark
/// names it: every combined entry before it is known not to match.
///
/// A pattern is combined only where that cannot change what it means: patterns that refer to
/// groups by number or name (their numbers shift in the alternation), or that could reach past
/// their own branch (`\Q` quoting, comments, verbs), are left out and tried on their own.
struct RegexAlternation: Sendable {
    /// The alternation, or `nil` when too few patterns can be combined for it to pay.
    private let regex: BoundedRegex?
    /// For each branch, the index of its entry in the trace.
    private let branches: [Int]
    /// The entries (trace indices, ascending) that are tried one by one.
    let separate: [Int]
    /// The entries in the alternation (trace indices, ascending).
    var combined: [Int] { regex == nil ? [] : branches }

    /// Fewer combinable patterns than this are tried one by one (as fast, for so few).
    static let threshold = 8

    /// What one match against the alternation says.
    enum Verdict: Equatable {
        /// The first combined entry that matches, by trace index.
        case first(Int)
        /// No combined entry matches.
        case none
        /// The match gave up (a limit): nothing is known, try each entry.
        case unknown
    }

    /// Combines `entries` (trace index and pattern, in trace order).
    init(_ entries: [(index: Int, pattern: String)], threshold: Int = Self.threshold) {
        let combinable = entries.filter { Self.combinable($0.pattern) }
        guard combinable.count >= max(threshold, 2) else {
            (regex, branches, separate) = (nil, [], entries.map(\.index))
            return
        }
        let source = combinable.enumerated()
            .map { branch, entry in "(*MARK:\(branch))(?:\(entry.pattern))\\z" }
            .joined(separator: "|")
        // Each pattern compiled on its own already, so the alternation does too; if it ever does
        // not, every entry is simply tried on its own.
        guard let compiled = try? BoundedRegex("(?:" + source + ")", endAnchored: false) else {
            (regex, branches, separate) = (nil, [], entries.map(\.index))
            return
        }
        let inAlternation = Set(combinable.map(\.index))
        regex = compiled
        branches = combinable.map(\.index)
        separate = entries.map(\.index).filter { !inAlternation.contains($0) }
    }

    /// The first combined entry that matches the whole of `text`.
    func firstMatch(_ text: String) -> Verdict {
        guard let regex else { return .none }
        let (outcome, mark) = regex.markedMatch(text)
        switch outcome {
        case .noMatch: return .none
        case .gaveUp: return .unknown
        case .match:
            guard let mark, branches.indices.contains(mark) else { return .unknown }
            return .first(branches[mark])
        }
    }

    /// Whether `pattern` means the same as a branch of an alternation as it does alone. Refused:
    /// back references and subroutine calls (`\1`, `\g`, `\k`, `(?P=…)`, `(?1)`, `(?R)`, `(?&…)`,
    /// conditions `(?(…)`), named groups (two entries may use one name), branch-reset groups
    /// `(?|`, `\Q…\E` quoting (unclosed, it would quote the rest of the alternation), `#`
    /// (a comment in extended mode), verbs and callouts `(*…)`, `(?C…)`. Conservative: a pattern
    /// refused here still matches, on its own.
    static func combinable(_ pattern: String) -> Bool {
        let bytes = Array(pattern.utf8)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            let next: UInt8? = i + 1 < bytes.count ? bytes[i + 1] : nil
            switch byte {
            case UInt8(ascii: "#"):
                return false
            case UInt8(ascii: "\\"):
                guard let next else { return false }
                if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(next) { return false }
                if [UInt8(ascii: "g"), UInt8(ascii: "k"), UInt8(ascii: "Q"), UInt8(ascii: "E")].contains(next) { return false }
                i += 2
                continue
            case UInt8(ascii: "("):
                if next == UInt8(ascii: "*") { return false }
                if next == UInt8(ascii: "?") {
                    let after: UInt8? = i + 2 < bytes.count ? bytes[i + 2] : nil
                    guard let after else { return false }
                    switch after {
                    case UInt8(ascii: ":"), UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: ">"):
                        break  // a plain group, a lookahead, an atomic group
                    case UInt8(ascii: "<"):
                        // Lookbehind `(?<=` / `(?<!` is fine; `(?<name>` is a named group.
                        let kind: UInt8? = i + 3 < bytes.count ? bytes[i + 3] : nil
                        guard kind == UInt8(ascii: "=") || kind == UInt8(ascii: "!") else { return false }
                    default:
                        // Option settings (`(?i)`, `(?i:`, `(?-s)`, `(?^)`) are scoped to the
                        // branch's group; anything else (`(?P`, `(?R`, `(?1`, `(?&`, `(?(`, `(?|`,
                        // `(?'`, `(?C`, `(?+`) is refused.
                        let options = Set("imnsxJU-^".utf8)
                        var j = i + 2
                        while j < bytes.count, options.contains(bytes[j]) { j += 1 }
                        guard j > i + 2, j < bytes.count, bytes[j] == UInt8(ascii: ")") || bytes[j] == UInt8(ascii: ":") else {
                            return false
                        }
                    }
                }
            default:
                break
            }
            i += 1
        }
        return true
    }
}
