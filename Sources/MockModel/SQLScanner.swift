/// Walks SQL text as the server's lexer does for what matters to the mock: which bytes are code,
/// and which are inside '…' or "…" strings (with backslash and doubled-quote escapes), `…`
/// identifiers, or `-- ` / `#` / `/* */` comments (`/*! … */` version comments included).
public enum SQLScanner {
    /// The offsets of the code bytes equal to `byte` (an ASCII character).
    public static func positions(of byte: UInt8, in text: String) -> [String.UTF8View.Index] {
        positions(in: Substring(text)) { $0 == byte }
    }

    /// The offsets of the code bytes for which `wanted` is true.
    public static func positions(in text: Substring, where wanted: (UInt8) -> Bool) -> [String.UTF8View.Index] {
        let utf8 = text.utf8
        var found: [String.UTF8View.Index] = []
        var i = utf8.startIndex
        func next(_ j: String.UTF8View.Index) -> UInt8? { j < utf8.endIndex ? utf8[j] : nil }
        while i < utf8.endIndex {
            let c = utf8[i]
            switch c {
            case UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "`"):
                i = utf8.index(after: i)
                while i < utf8.endIndex {
                    let d = utf8[i]
                    if d == UInt8(ascii: "\\"), c != UInt8(ascii: "`") {
                        i = utf8.index(after: i)
                        if i < utf8.endIndex { i = utf8.index(after: i) }
                        continue
                    }
                    i = utf8.index(after: i)
                    if d == c {
                        if next(i) == c { i = utf8.index(after: i); continue }  // a doubled quote
                        break
                    }
                }
                continue
            case UInt8(ascii: "#"):
                while i < utf8.endIndex, utf8[i] != UInt8(ascii: "\n") { i = utf8.index(after: i) }
                continue
            case UInt8(ascii: "-"):
                let after = utf8.index(after: i)
                if next(after) == UInt8(ascii: "-"),
                   next(utf8.index(after: after)).map({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) ?? true {
                    while i < utf8.endIndex, utf8[i] != UInt8(ascii: "\n") { i = utf8.index(after: i) }
                    continue
                }
            case UInt8(ascii: "/"):
                let after = utf8.index(after: i)
                if next(after) == UInt8(ascii: "*") {
                    i = utf8.index(after: after)
                    while i < utf8.endIndex {
                        if utf8[i] == UInt8(ascii: "*"), next(utf8.index(after: i)) == UInt8(ascii: "/") {
                            i = utf8.index(i, offsetBy: 2)
                            break
                        }
                        i = utf8.index(after: i)
                    }
                    continue
                }
            default:
                break
            }
            if wanted(c) { found.append(i) }
            i = utf8.index(after: i)
        }
        return found
    }

    /// Whether `text` holds nothing but whitespace and comments.
    public static func isBlank(_ text: Substring) -> Bool {
        positions(in: text) { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }.isEmpty
    }
}

/// Finds the `?` parameter markers of a statement as the server does: code bytes, not inside
/// strings, identifiers or comments.
public enum PlaceholderScanner {
    /// The byte offsets of the markers.
    public static func markers(_ text: String) -> [String.UTF8View.Index] {
        SQLScanner.positions(of: UInt8(ascii: "?"), in: text)
    }

    /// The number of markers.
    public static func count(_ text: String) -> Int { markers(text).count }

    /// The text between the markers (one more piece than markers).
    public static func split(_ text: String) -> [String] {
        var pieces: [String] = []
        var start = text.utf8.startIndex
        for marker in markers(text) {
            pieces.append(String(text[start..<marker]))
            start = text.utf8.index(after: marker)
        }
        pieces.append(String(text[start...]))
        return pieces
    }
}

/// Cuts a `COM_QUERY` into its statements as the server does with `CLIENT_MULTI_STATEMENTS`: at
/// the semicolons that are code (not inside strings, identifiers or comments).
public enum StatementSplitter {
    /// One statement of a query.
    public enum Piece: Equatable, Sendable {
        /// A statement's text, without its semicolon and the whitespace around it.
        case statement(String)
        /// Nothing between two semicolons (the server's `ER_EMPTY_QUERY`).
        case empty
    }

    /// The statements of `text`. A query with one statement gives its text unchanged (trailing
    /// semicolon and all); after the last semicolon, whitespace and comments are not a statement.
    public static func split(_ text: String) -> [Piece] {
        let semicolons = SQLScanner.positions(of: UInt8(ascii: ";"), in: text)
        guard !semicolons.isEmpty else { return [.statement(text)] }
        var ranges: [Range<String.Index>] = []
        var start = text.startIndex
        for semicolon in semicolons {
            ranges.append(start..<semicolon)
            start = text.utf8.index(after: semicolon)
        }
        if !SQLScanner.isBlank(text[start...]) { ranges.append(start..<text.endIndex) }
        guard ranges.count > 1 else { return [.statement(text)] }
        return ranges.map { range in
            let piece = text[range]
            return SQLScanner.isBlank(piece) ? .empty : .statement(trimmed(piece))
        }
    }

    /// Where the second statement of a query of several starts (after the first semicolon and the
    /// whitespace behind it), for the syntax error a client without multi-statements gets.
    public static func secondStatement(_ text: String) -> String.Index {
        guard let semicolon = SQLScanner.positions(of: UInt8(ascii: ";"), in: text).first else { return text.endIndex }
        let rest = text[text.utf8.index(after: semicolon)...]
        return rest.firstIndex { !($0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r") } ?? text.endIndex
    }

    private static func trimmed(_ text: Substring) -> String {
        let space: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = text.firstIndex(where: { !space($0) }),
              let last = text.lastIndex(where: { !space($0) }) else { return "" }
        return String(text[first...last])
    }
}
