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
