import MockModel
import MySQLWire

/// Why an upstream session could not answer, and the ERR its client gets instead.
///
/// The codes are the ones a client library reports for the same failure of its own connection
/// (`CR_CONN_HOST_ERROR` 2003, `CR_SERVER_LOST` 2013, `CR_SSL_CONNECTION_ERROR` 2026,
/// `CR_MALFORMED_PACKET` 2027), so a client's error handling sees what it would see against the
/// real server; a login the upstream server refuses keeps that server's own code and SQLSTATE.
public struct UpstreamFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The upstream server could not be reached (refused, unreachable, timed out).
        case unreachable
        /// The upstream server refused the recorder's login; its ERR.
        case loginRefused(code: UInt16, sqlState: String)
        /// The connection closed while a command was in flight.
        case lost
        /// The upstream server sent something that is not the classic protocol.
        case malformed
        /// TLS was required on the upstream leg and could not be had.
        case tls
        /// The upstream server answered a command the mock sent on its own (COM_INIT_DB for the
        /// client's schema) with this ERR; `detail` is its message.
        case serverError(code: UInt16, sqlState: String)
    }

    public var kind: Kind
    /// What happened, for the client and the log.
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { detail }

    /// The ERR the client gets: `upstream` names the server (`127.0.0.1:3306`).
    public func errorResponse(upstream: String) -> ErrorResponse {
        switch kind {
        case .unreachable:
            ErrorResponse(code: 2003, sqlState: "HY000",
                          message: "Can't connect to upstream MySQL server on '\(upstream)' (\(detail))")
        case .loginRefused(let code, let sqlState):
            ErrorResponse(code: code, sqlState: sqlState,
                          message: "upstream MySQL server on '\(upstream)' refused the login: \(detail)")
        case .lost:
            ErrorResponse(code: 2013, sqlState: "HY000",
                          message: "Lost connection to upstream MySQL server on '\(upstream)' during query (\(detail)); "
                              + "the next statement opens a new upstream session")
        case .malformed:
            ErrorResponse(code: 2027, sqlState: "HY000",
                          message: "Malformed packet from upstream MySQL server on '\(upstream)': \(detail); "
                              + "the next statement opens a new upstream session")
        case .serverError(let code, let sqlState):
            ErrorResponse(code: code, sqlState: sqlState, message: detail)
        case .tls:
            ErrorResponse(code: 2026, sqlState: "HY000",
                          message: "SSL connection error with upstream MySQL server on '\(upstream)': \(detail)")
        }
    }
}
