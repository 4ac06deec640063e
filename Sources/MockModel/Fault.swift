/// A way to fail on purpose, in place of (or in the middle of) an answer: what a trace entry's
/// `fault` says, or what a test arms over REST. Each is applied after the answer's `exec_time`.
public enum Fault: Sendable, Hashable, CustomStringConvertible {
    /// Close the connection instead of answering (FIN): the client sees the server go away
    /// (2013 Lost connection during query).
    case close
    /// Reset the connection (RST, not FIN).
    case reset
    /// Never answer: the connection stays open, read from no more, until the client gives up or
    /// it is closed (REST, shutdown).
    case stall
    /// Send the answer's first packet cut short, then close.
    case truncate
    /// Send bytes that are not a packet of this protocol (a frame with a wrong sequence id and a
    /// payload no response starts with) instead of the answer, then close (a client that does not
    /// check sequence ids would otherwise wait forever for the rest of what it misread).
    case garbage
    /// Send a result set's metadata and its first `rows` rows, then end as `then` says (no end
    /// of rows is ever sent). On an answer without a result set: `then` at once.
    case afterRows(Int, then: Ending)
    /// Send a result set's metadata and its first `rows` rows, then this ERR in place of the end
    /// of rows, and go on with the session: a statement that fails part-way (as `result.error`
    /// says in a trace). On an answer without a result set: the ERR alone.
    case errorAfterRows(Int, ErrorResponse)

    /// How a connection ends after a partial answer.
    public enum Ending: String, Sendable, Hashable, CaseIterable {
        case close
        case reset
        case stall
    }

    /// The fault as a trace and the journal name it: `close`, `reset`, `stall`, `truncate`,
    /// `garbage`, `after_rows:2:close`, `after_rows:2:error:1205`.
    public var description: String {
        switch self {
        case .close: "close"
        case .reset: "reset"
        case .stall: "stall"
        case .truncate: "truncate"
        case .garbage: "garbage"
        case .afterRows(let rows, let then): "after_rows:\(rows):\(then.rawValue)"
        case .errorAfterRows(let rows, let error): "after_rows:\(rows):error:\(error.code)"
        }
    }

    /// The names a trace may give as a string.
    public static let named: [String: Fault] = [
        "close": .close, "reset": .reset, "stall": .stall, "truncate": .truncate, "garbage": .garbage,
    ]
}

/// A way to fail a connection before it is logged in (`handshake.fault` in a trace).
public enum HandshakeFault: String, Sendable, Hashable, CaseIterable {
    /// Close the connection as soon as it is accepted, before the greeting.
    case refuse
    /// Reset it (RST) as soon as it is accepted.
    case reset
    /// Accept and say nothing: no greeting ever comes.
    case stall
    /// Send the greeting, then answer nothing more.
    case greetingThenStall = "greeting_then_stall"
    /// Send the greeting, then close when the client answers it.
    case greetingThenClose = "greeting_then_close"
}

extension StatementResponse {
    /// The response cut after `rows` rows and ended by `error` (`Fault.errorAfterRows`); a
    /// response without a result set becomes the error.
    public func failing(afterRows rows: Int, with error: ErrorResponse) -> StatementResponse {
        var failed = self
        if case .result(var result) = kind {
            result.rows = Array(result.rows.prefix(rows))
            result.error = error
            failed.kind = .result(result)
        } else {
            failed.kind = .error(error)
        }
        return failed
    }
}
