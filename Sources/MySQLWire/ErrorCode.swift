/// Server error codes the mock sends on its own (trace errors carry whatever code the trace says).
public enum ErrorCode {
    /// `ER_CON_COUNT_ERROR`, SQLSTATE 08004: `Too many connections`.
    public static let tooManyConnections: UInt16 = 1040
    /// `ER_ACCESS_DENIED_ERROR`, SQLSTATE 28000: `Access denied for user '%s'@'%s' (using password: %s)`.
    public static let accessDenied: UInt16 = 1045
    /// `ER_UNKNOWN_COM_ERROR`, SQLSTATE 08S01: `Unknown command`.
    public static let unknownCommand: UInt16 = 1047
    /// `ER_PARSE_ERROR`, used by the reference for every trace-level failure (SQLSTATE HY000 there).
    public static let parseError: UInt16 = 1064
    /// `ER_EMPTY_QUERY`, SQLSTATE 42000: `Query was empty` (nothing between two semicolons).
    public static let emptyQuery: UInt16 = 1065
    /// `ER_NOT_SUPPORTED_AUTH_MODE`, SQLSTATE 08004: `Client does not support authentication protocol
    /// requested by server; consider upgrading MySQL client` (X: an authentication mechanism refused).
    public static let authModeNotSupported: UInt16 = 1251
    /// `ER_NET_PACKET_TOO_LARGE`, SQLSTATE 08S01: `Got a packet bigger than 'max_allowed_packet' bytes`.
    public static let packetTooLarge: UInt16 = 1153
    /// `ER_NET_PACKETS_OUT_OF_ORDER`, SQLSTATE 08S01: `Got packets out of order`.
    public static let packetsOutOfOrder: UInt16 = 1156
    /// `ER_UNKNOWN_STMT_HANDLER`, SQLSTATE HY000: `Unknown prepared statement handler (%.*s) given to %s`.
    public static let unknownStatementHandler: UInt16 = 1243
    /// `ER_SP_CURSOR_NOT_OPEN`, SQLSTATE 24000: COM_STMT_FETCH without an open cursor.
    public static let cursorNotOpen: UInt16 = 1326
    /// `ER_PS_MANY_PARAM`, SQLSTATE HY000: `Prepared statement contains too many placeholders`.
    public static let tooManyPlaceholders: UInt16 = 1390
    /// `ER_MAX_PREPARED_STMT_COUNT_REACHED`, SQLSTATE 42000: `Can't create more than
    /// max_prepared_stmt_count statements (current value: %lu)`.
    public static let tooManyPreparedStatements: UInt16 = 1461
    /// `ER_MALFORMED_PACKET`, SQLSTATE HY000: `Malformed communication packet.`
    public static let malformedPacket: UInt16 = 1835
    /// `ER_IO_READ_ERROR`: the X Plugin's warning notice before it closes an idle session.
    public static let ioReadError: UInt16 = 1810
    /// `ER_SECURE_TRANSPORT_REQUIRED`, SQLSTATE HY000.
    public static let secureTransportRequired: UInt16 = 3159
    /// `ER_CLIENT_INTERACTION_TIMEOUT`, SQLSTATE HY000: `The client was disconnected by the server
    /// because of inactivity.` (sent before closing a session idle past `wait_timeout`).
    public static let clientInteractionTimeout: UInt16 = 4031
    /// `ER_X_BAD_MESSAGE`, SQLSTATE HY000: an X frame or message that cannot be decoded, or one
    /// not allowed in the session's state.
    public static let xBadMessage: UInt16 = 5000
    /// `ER_X_CAPABILITIES_PREPARE_FAILED`, SQLSTATE HY000: `Capability prepare failed for '%s'`.
    public static let xCapabilitiesPrepareFailed: UInt16 = 5001
    /// `ER_X_INVALID_PROTOCOL_DATA`, SQLSTATE HY000: `Invalid data, expecting scalar` (an argument
    /// that is an object or an array, or a scalar without its value).
    public static let xInvalidProtocolData: UInt16 = 5003
    /// `ER_X_CMD_NUM_ARGUMENTS`, SQLSTATE HY000: `Too many arguments` / `Too few arguments` for the
    /// `?` markers of a `StmtExecute`.
    public static let xCommandArgumentCount: UInt16 = 5015
    /// `ER_X_BAD_STATEMENT_ID`, SQLSTATE HY000: `Statement with ID=%u was not prepared`.
    public static let xBadStatementID: UInt16 = 5110
    /// `ER_X_PREPARED_EXECUTE_ARGUMENT_NOT_SUPPORTED`, SQLSTATE HY000: `Argument at index '%i' and
    /// of type '%s' is not supported for binding to prepared statement`.
    public static let xPreparedArgumentNotSupported: UInt16 = 5133
    /// `ER_X_PREPARED_EXECUTE_ARGUMENT_CONSISTENCY`, SQLSTATE HY000: `There is no argument for
    /// statement placeholder at position: %u`.
    public static let xPreparedArgumentConsistency: UInt16 = 5134
    /// `ER_X_CAPABILITY_COMPRESSION_INVALID_ALGORITHM`, SQLSTATE HY000.
    public static let xCompressionInvalidAlgorithm: UInt16 = 5175
}
