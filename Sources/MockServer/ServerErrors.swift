import MockModel
import MySQLWire

/// Errors the server itself sends on both protocols, worded once.
extension ErrorResponse {
    /// `ER_MAX_PREPARED_STMT_COUNT_REACHED` (1461, SQLSTATE 42000): one statement past
    /// `max_prepared_stmt_count`.
    static func tooManyPreparedStatements(limit: Int) -> ErrorResponse {
        ErrorResponse(code: ErrorCode.tooManyPreparedStatements, sqlState: "42000",
                      message: "Can't create more than max_prepared_stmt_count statements (current value: \(limit))")
    }

    /// `ER_EMPTY_QUERY` (1065, SQLSTATE 42000): nothing between two semicolons.
    static let emptyQuery = ErrorResponse(code: ErrorCode.emptyQuery, sqlState: "42000", message: "Query was empty")
}
