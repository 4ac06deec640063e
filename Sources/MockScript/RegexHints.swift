import CPCRE2

/// What a regular expression's text says about every statement it matches as a whole: the bytes
/// it starts with, and a run of bytes it contains. Read once per pattern, so a statement can skip
/// the patterns it cannot match with a byte comparison instead of a regex match.
///
/// Reading is conservative: only literal characters at the pattern's top level (outside groups,
/// classes and alternatives) that no quantifier makes optional count, and a pattern with anything
/// this reader does not follow (a top-level `|`, option settings other than a leading `(?i)`,
/// `\Q…\E`, verbs, comments, escapes that take arguments, or bytes outside ASCII in a caseless
/// pattern) gives no hints at all. Either way the pattern is still matched by PCRE2 when the hints
/// allow it: hints only ever rule a pattern out.
package struct RegexHints: Equatable, Sendable {
    /// The statement starts with these bytes (ASCII-lowercased when `caseless`).
    var prefix: [UInt8]
    /// The statement contains these bytes (the longest required literal run after the prefix, or
    /// the prefix); empty when unknown.
    var literal: [UInt8]
    /// The pattern starts with `(?i)`: `prefix` is compared without ASCII case.
    var caseless: Bool
    /// The three-byte sequences of `literal`, as a `Signature`: a statement whose own signature
    /// lacks one of them does not contain the literal, which is cheaper to see than to search.
    var signature = Signature()

    init(prefix: [UInt8], literal: [UInt8], caseless: Bool) {
        (self.prefix, self.literal, self.caseless) = (prefix, literal, caseless)
        if !caseless, literal != prefix { signature = Signature(literal[...]) }
    }

    /// The hints of `pattern`, or `nil` when nothing useful is known.
    package static func read(_ pattern: String) -> RegexHints? {
        var reader = Reader(Array(pattern.utf8))
        guard let hints = reader.read(), !hints.prefix.isEmpty || !hints.literal.isEmpty else { return nil }
        return hints
    }

    /// Whether a statement (its UTF-8 bytes) may match: false only when it certainly cannot.
    package func admits(_ statement: UnsafeBufferPointer<UInt8>, statementSignature: Signature? = nil) -> Bool {
        guard statement.count >= prefix.count else { return false }
        if caseless {
            for (i, wanted) in prefix.enumerated() {
                let byte = statement[i]
                // Outside ASCII a character may fold to an ASCII one (U+212A KELVIN SIGN is `k`):
                // nothing more can be ruled out from here.
                if byte >= 0x80 { return true }
                if Self.lowercased(byte) != wanted { return false }
            }
            return true
        }
        for (i, wanted) in prefix.enumerated() where statement[i] != wanted { return false }
        guard !literal.isEmpty, literal != prefix else { return true }
        if let signature = statementSignature, !signature.contains(self.signature) { return false }
        return literal.withUnsafeBufferPointer { needle in
            memmem(statement.baseAddress, statement.count, needle.baseAddress, needle.count) != nil
        }
    }

    /// A set of three-byte sequences in 512 bits (a Bloom filter with one hash): `contains` may say
    /// yes for a sequence that is not there, never no for one that is.
    package struct Signature: Equatable, Sendable {
        var bits: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

        init() {}

        /// Every three-byte sequence of `bytes`.
        package init<C: Collection<UInt8>>(_ bytes: C) {
            var (a, b) = (UInt32(0), UInt32(0))
            for (n, byte) in bytes.enumerated() {
                let c = UInt32(byte)
                if n >= 2 { insert(((a &* 0x9E37_79B1) ^ (b &* 0x85EB_CA77) ^ (c &* 0xC2B2_AE3D)) >> 23) }
                (a, b) = (b, c)
            }
        }

        private mutating func insert(_ hash: UInt32) {
            let bit = UInt64(1) << UInt64(hash & 63)
            switch (hash >> 6) & 7 {
            case 0: bits.0 |= bit
            case 1: bits.1 |= bit
            case 2: bits.2 |= bit
            case 3: bits.3 |= bit
            case 4: bits.4 |= bit
            case 5: bits.5 |= bit
            case 6: bits.6 |= bit
            default: bits.7 |= bit
            }
        }

        /// Whether every sequence of `other` may be in this set.
        func contains(_ other: Signature) -> Bool {
            (other.bits.0 & ~bits.0) | (other.bits.1 & ~bits.1) | (other.bits.2 & ~bits.2) | (other.bits.3 & ~bits.3)
                | (other.bits.4 & ~bits.4) | (other.bits.5 & ~bits.5) | (other.bits.6 & ~bits.6) | (other.bits.7 & ~bits.7) == 0
        }

        package static func == (lhs: Signature, rhs: Signature) -> Bool {
            lhs.contains(rhs) && rhs.contains(lhs)
        }
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    /// Reads a pattern's top level, atom by atom.
    private struct Reader {
        let bytes: [UInt8]
        var i = 0
        /// The literal run being read, and the longest one finished so far.
        var run: [UInt8] = []
        var longest: [UInt8] = []
        var prefix: [UInt8]?
        var caseless = false

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        /// Escapes that stand for one character class or assertion (`\d`, `\s`, `\b`, `\z`, …).
        static let singleEscapes = Set("dDsSwWbBAzZGhHvVRXKnrtfea".utf8)

        mutating func read() -> RegexHints? {
            // A leading `^` and `(?i)`, in either order.
            if peek(0) == UInt8(ascii: "^") { i += 1 }
            if starts(with: "(?i)") {
                caseless = true
                i += 4
                if peek(0) == UInt8(ascii: "^") { i += 1 }
            }
            while i < bytes.count {
                let byte = bytes[i]
                switch byte {
                case UInt8(ascii: "|"):
                    return nil  // alternatives at the top level: nothing is required
                case UInt8(ascii: "*"), UInt8(ascii: "?"):
                    // The previous character may be absent.
                    dropLastCharacter()
                    finishRun()
                    i += 1
                case UInt8(ascii: "{"):
                    // `{n}`, `{n,}`, `{n,m}` (digits, commas, spaces) quantify the previous
                    // character, which may then be absent; any other `{` is a literal brace,
                    // read past without claiming it (what follows, a `|` say, still counts).
                    dropLastCharacter()
                    finishRun()
                    if let close = bytes[i...].firstIndex(of: UInt8(ascii: "}")), close > i + 1,
                       bytes[(i + 1)..<close].allSatisfy({ Self.isQuantifierByte($0) }) {
                        i = close
                    }
                    i += 1
                case UInt8(ascii: "+"):
                    // The previous character is there at least once: the run ends after it.
                    finishRun()
                    i += 1
                case UInt8(ascii: "\\"):
                    guard let next = peek(1) else { return nil }
                    if Self.isAlphanumeric(next) {
                        guard Self.singleEscapes.contains(next) else { return nil }
                        finishRun()
                    } else {
                        guard literal(next) else { return nil }
                    }
                    i += 2
                case UInt8(ascii: "("):
                    if peek(1) == UInt8(ascii: "*") { return nil }
                    if peek(1) == UInt8(ascii: "?") {
                        guard let kind = peek(2) else { return nil }
                        // Option settings and comments change how the rest reads.
                        if kind == UInt8(ascii: "#") || Self.isAlphanumeric(kind) && kind != UInt8(ascii: "P")
                            || kind == UInt8(ascii: "-") || kind == UInt8(ascii: "^") {
                            return nil
                        }
                    }
                    finishRun()
                    guard skipGroup() else { return nil }
                case UInt8(ascii: "["):
                    finishRun()
                    guard skipClass() else { return nil }
                case UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "$"):
                    finishRun()
                    i += 1
                case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                    // Unbalanced here: PCRE2 reads `]` and `}` as literals, but nothing is claimed.
                    finishRun()
                    i += 1
                default:
                    guard literal(byte) else { return nil }
                    i += 1
                }
            }
            finishRun()
            return RegexHints(prefix: prefix ?? [], literal: longest.isEmpty ? prefix ?? [] : longest, caseless: caseless)
        }

        /// Adds a literal byte to the run; `false` when the pattern cannot be read (a caseless
        /// pattern with bytes outside ASCII).
        mutating func literal(_ byte: UInt8) -> Bool {
            if caseless {
                guard byte < 0x80 else { return false }
                run.append(RegexHints.lowercased(byte))
            } else {
                run.append(byte)
            }
            return true
        }

        /// A quantifier applies to the last character, which may be several UTF-8 bytes.
        mutating func dropLastCharacter() {
            while let last = run.last, last & 0xC0 == 0x80 { run.removeLast() }
            if !run.isEmpty { run.removeLast() }
        }

        /// The first run is the prefix; the literal is the longest run after it (the prefix is
        /// compared anyway), or the prefix when there is no other.
        mutating func finishRun() {
            if prefix == nil {
                prefix = run
            } else if run.count > longest.count {
                longest = run
            }
            run.removeAll(keepingCapacity: true)
        }

        /// Past a group, minding escapes and classes inside it.
        mutating func skipGroup() -> Bool {
            var depth = 0
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "\\"):
                    if peek(1) == UInt8(ascii: "Q") { return false }
                    i += 2
                    continue
                case UInt8(ascii: "["):
                    guard skipClass() else { return false }
                    continue
                case UInt8(ascii: "("):
                    // Verbs inside (`(*ACCEPT)` ends the match early, before what follows the
                    // group), comments and option settings (`(?x)` makes `#` start a comment).
                    if peek(1) == UInt8(ascii: "*") { return false }
                    if peek(1) == UInt8(ascii: "?"), let kind = peek(2),
                       kind == UInt8(ascii: "#") || Self.isAlphanumeric(kind) && kind != UInt8(ascii: "P") {
                        return false
                    }
                    depth += 1
                case UInt8(ascii: ")"):
                    depth -= 1
                    if depth == 0 {
                        i += 1
                        return true
                    }
                default:
                    break
                }
                i += 1
            }
            return false
        }

        /// Past a character class: `]` first is a member, `[:name:]` inside is a POSIX class.
        mutating func skipClass() -> Bool {
            i += 1
            if peek(0) == UInt8(ascii: "^") { i += 1 }
            if peek(0) == UInt8(ascii: "]") { i += 1 }
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "\\"):
                    if peek(1) == UInt8(ascii: "Q") { return false }
                    i += 2
                case UInt8(ascii: "["):
                    // `[:name:]` (letters, maybe after `^`) is a POSIX class; any other `[` is a
                    // member, and the class still ends at the next `]`.
                    var j = i + 2
                    if peek(1) == UInt8(ascii: ":") {
                        if j < bytes.count, bytes[j] == UInt8(ascii: "^") { j += 1 }
                        let letters = j
                        while j < bytes.count, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[j] | 0x20) { j += 1 }
                        if j > letters, j + 1 < bytes.count, bytes[j] == UInt8(ascii: ":"), bytes[j + 1] == UInt8(ascii: "]") {
                            i = j + 2
                            continue
                        }
                    }
                    i += 1
                case UInt8(ascii: "]"):
                    i += 1
                    return true
                default:
                    i += 1
                }
            }
            return false
        }

        func peek(_ offset: Int) -> UInt8? {
            i + offset < bytes.count ? bytes[i + offset] : nil
        }

        func starts(with text: String) -> Bool {
            let wanted = Array(text.utf8)
            return bytes.count - i >= wanted.count && Array(bytes[i..<(i + wanted.count)]) == wanted
        }

        static func isQuantifierByte(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ")
        }

        static func isAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        }
    }
}
