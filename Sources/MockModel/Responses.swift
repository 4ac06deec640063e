/// What the server answers one statement with.
public struct StatementResponse: Sendable {
    public enum Kind: Sendable, Equatable {
        case ok(OKResponse)
        case error(ErrorResponse)
        case result(ResultSet)
    }

    public var kind: Kind
    /// Delay before the response is sent (`exec_time`, given in milliseconds in traces). Honoured for
    /// every kind of response (the reference only delays result sets).
    public var execTime: Duration
    /// Which trace entry answered, e.g. `stmts[3]`; `nil` when nothing in the trace matched.
    public var answeredBy: String?
    /// Set for a response that never changes (an entry of a JSON trace): unique in the process, so
    /// a server may keep its encoded bytes and send them again.
    public var cacheKey: Int?
    /// Fail instead of (or in the middle of) sending this response, after `execTime`.
    public var fault: Fault?
    /// Ask the client for a file first (`LOAD DATA LOCAL INFILE`), read what it sends, then send
    /// this response.
    public var localInfile: LocalInfileRequest?
    /// The scenario the answering entry moved (`new_state`), as `name: from → to`, for the journal.
    public var scenarioChange: String?

    public init(_ kind: Kind, execTime: Duration = .zero, answeredBy: String? = nil, cacheKey: Int? = nil,
                fault: Fault? = nil) {
        self.kind = kind
        self.execTime = execTime
        self.answeredBy = answeredBy
        self.cacheKey = cacheKey
        self.fault = fault
    }

    public static func ok(_ ok: OKResponse = OKResponse()) -> Self { Self(.ok(ok)) }
    public static func error(_ error: ErrorResponse) -> Self { Self(.error(error)) }
    public static func result(_ result: ResultSet) -> Self { Self(.result(result)) }

    /// The response kind as a word for logs and the journal.
    public var kindName: String {
        switch kind {
        case .ok: "ok"
        case .error: "error"
        case .result: "result"
        }
    }
}

/// An OK packet's contents (`ok` in a trace), also the end-of-rows fields of a result set.
public struct OKResponse: Sendable, Hashable {
    public var affectedRows: UInt64
    public var lastInsertID: UInt64
    /// Server status flags.
    public var status: UInt16
    public var warningCount: UInt16
    /// The info string (`message` in a trace).
    public var message: String
    public var sessionTrackers: [SessionTracker]

    public init(affectedRows: UInt64 = 0, lastInsertID: UInt64 = 0, status: UInt16 = 0, warningCount: UInt16 = 0,
                message: String = "", sessionTrackers: [SessionTracker] = []) {
        self.affectedRows = affectedRows
        self.lastInsertID = lastInsertID
        self.status = status
        self.warningCount = warningCount
        self.message = message
        self.sessionTrackers = sessionTrackers
    }
}

/// One session-state change reported in an OK packet (`session_trackers` in a trace).
public enum SessionTracker: Sendable, Hashable {
    case systemVariable(name: String, value: String)
    case schema(String)
    case state(String)
    case gtid(String)
    case transactionCharacteristics(String)
    case transactionState(String)
}

/// An ERR packet's contents (`error` in a trace).
public struct ErrorResponse: Sendable, Hashable, Error, CustomStringConvertible {
    public var code: UInt16
    public var sqlState: String
    public var message: String

    public init(code: UInt16, sqlState: String = "HY000", message: String) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
    }

    public var description: String { "ERROR \(code) (\(sqlState)): \(message)" }
}

/// A result set: column definitions, rows of cells (`nil` is SQL NULL), and the fields of the
/// OK/EOF packet that ends it, or the error that ends it instead.
public struct ResultSet: Sendable, Equatable {
    public var columns: [Column]
    public var rows: [[Cell?]]
    public var end: OKResponse
    /// An error the statement met after sending its rows (`result.error` in a trace): the server
    /// sends the metadata and the rows, then this ERR where the OK/EOF would be, as MySQL does
    /// when a row fails to evaluate ("Subquery returns more than 1 row") or the statement is
    /// stopped (`max_execution_time`). It ends the answer like an ERR.
    public var error: ErrorResponse?

    public init(columns: [Column], rows: [[Cell?]] = [], end: OKResponse = OKResponse(), error: ErrorResponse? = nil) {
        self.columns = columns
        self.rows = rows
        self.end = end
        self.error = error
    }
}

/// `local_infile` in a trace: before it answers, the server asks the client for a file
/// (`0xFB` + the file name, as for `LOAD DATA LOCAL INFILE`), and reads the file's contents the
/// client sends in packets, up to an empty one.
public enum LocalInfileRequest: Sendable, Hashable {
    /// The file the statement names: `LOAD DATA LOCAL INFILE 'data.csv' INTO TABLE t`.
    case named
    /// This file, whatever the statement says: what a malicious server could ask for.
    case file(String)

    /// The file to ask for when answering `statement`; `nil` when it is `named` and the statement
    /// names none.
    public func filename(for statement: String) -> String? {
        switch self {
        case .file(let name): name
        case .named: Self.named(in: statement)
        }
    }

    /// The quoted file name after `INFILE` in a `LOAD DATA` / `LOAD XML` statement (`'…'` or
    /// `"…"`, with `\'`, `''` and the other backslash escapes of a string literal).
    public static func named(in statement: String) -> String? {
        let bytes = Array(statement.utf8)
        let keyword = Array("INFILE".utf8)
        var i = 0
        while i + keyword.count <= bytes.count {
            let word = bytes[i..<i + keyword.count].map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }
            let before = i == 0 ? UInt8(ascii: " ") : bytes[i - 1]
            if word == keyword, !Self.isIdentifierByte(before) {
                var j = i + keyword.count
                while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x09 || bytes[j] == 0x0A || bytes[j] == 0x0D { j += 1 }
                guard j < bytes.count, bytes[j] == UInt8(ascii: "'") || bytes[j] == UInt8(ascii: "\"") else { return nil }
                return Self.literal(bytes, from: j)
            }
            i += 1
        }
        return nil
    }

    /// The string literal whose opening quote is at `start`.
    private static func literal(_ bytes: [UInt8], from start: Int) -> String? {
        let quote = bytes[start]
        var out: [UInt8] = []
        var k = start + 1
        while k < bytes.count {
            let b = bytes[k]
            if b == UInt8(ascii: "\\"), k + 1 < bytes.count {
                let next = bytes[k + 1]
                switch next {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "0"): out.append(0x00)
                default: out.append(next)
                }
                k += 2
            } else if b == quote {
                guard k + 1 < bytes.count, bytes[k + 1] == quote else { return String(decoding: out, as: UTF8.self) }
                out.append(quote)
                k += 2
            } else {
                out.append(b)
                k += 1
            }
        }
        return nil
    }

    private static func isIdentifierByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x24 || b >= 0x80
    }
}
