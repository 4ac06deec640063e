/// How a statement reached the server.
public enum StatementKind: String, Sendable, Hashable {
    /// A text query (`COM_QUERY`, X `StmtExecute`).
    case query
    /// A statement being prepared (`COM_STMT_PREPARE`, X `Prepare`): it gets metadata, no answer.
    case prepare
    /// One execution of a prepared statement (`COM_STMT_EXECUTE`, X `Prepare.Execute`).
    case execute
}

/// A parameter or query-attribute value as a trace sees it.
public enum ParameterValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    /// Strings, decimals and temporal values as their text (`'2024-01-02 03:04:05.250000'`).
    case text(String)
    /// Bytes that are not UTF-8 text.
    case bytes([UInt8])

    /// As SQL text: numbers as digits, text quoted with `'` (backslash-escaped), bytes as `X'…'`.
    public var description: String {
        switch self {
        case .null: return "NULL"
        case .int(let v): return String(v)
        case .uint(let v): return String(v)
        case .double(let v): return "\(v)"
        case .text(let s):
            var quoted = "'"
            for c in s.unicodeScalars {
                if c == "'" || c == "\\" { quoted.unicodeScalars.append("\\") }
                quoted.unicodeScalars.append(c)
            }
            return quoted + "'"
        case .bytes(let b): return "X'" + b.hexString(uppercase: true) + "'"
        }
    }
}

/// A name and value sent along with a statement (`CLIENT_QUERY_ATTRIBUTES`).
public struct AttributeValue: Sendable, Hashable {
    public var name: String
    public var value: ParameterValue

    public init(name: String, value: ParameterValue) {
        self.name = name
        self.value = value
    }
}

/// One statement to answer: its text and, for a prepared statement, how it came.
public struct StatementRequest: Sendable, Hashable {
    public var text: String
    public var kind: StatementKind
    /// The prepared statement's id (executions); 0 for text queries.
    public var statementID: UInt32
    /// The values of the `?` markers, in order (executions).
    public var parameters: [ParameterValue]
    /// Query attributes sent with the statement.
    public var attributes: [AttributeValue]

    public init(text: String, kind: StatementKind = .query, statementID: UInt32 = 0,
                parameters: [ParameterValue] = [], attributes: [AttributeValue] = []) {
        self.text = text
        self.kind = kind
        self.statementID = statementID
        self.parameters = parameters
        self.attributes = attributes
    }

    /// The text with each `?` marker (outside quotes, identifiers and comments) replaced by its
    /// parameter as SQL, as a client that interpolates would send it; the text itself without
    /// parameters.
    public var interpolated: String {
        guard !parameters.isEmpty else { return text }
        let pieces = PlaceholderScanner.split(text)
        var out = pieces[0]
        for (index, piece) in pieces.dropFirst().enumerated() {
            out += index < parameters.count ? parameters[index].description : "?"
            out += piece
        }
        return out
    }
}

/// What a trace says about a statement being prepared.
public enum PrepareAnswer: Sendable {
    /// The columns its executions will return (none for a statement answered with OK).
    case columns([Column])
    /// Preparing fails with this error.
    case error(ErrorResponse)
    /// The trace cannot tell before it is executed (a script): no columns are announced, and the
    /// execution's result set brings its own.
    case unknown
}

/// Finds the `?` parameter markers of a statement as the server does: not inside '…' or "…"
/// strings (with backslash and doubled-quote escapes), `…` identifiers, `-- ` / `#` / `/* */`
/// comments.
public enum PlaceholderScanner {
    /// The byte offsets of the markers.
    public static func markers(_ text: String) -> [String.UTF8View.Index] {
        let utf8 = text.utf8
        var markers: [String.UTF8View.Index] = []
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
            case UInt8(ascii: "?"):
                markers.append(i)
            default:
                break
            }
            i = utf8.index(after: i)
        }
        return markers
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
