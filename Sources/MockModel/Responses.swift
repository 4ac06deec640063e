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
