/// Capability flags exchanged in the greeting and the handshake response (`int<4>`, split in the
/// greeting as `capability_flags_1` (lower 2 bytes) and `capability_flags_2` (upper 2 bytes)).
public struct CapabilityFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let longPassword = CapabilityFlags(rawValue: 1 << 0)
    public static let foundRows = CapabilityFlags(rawValue: 1 << 1)
    public static let longFlag = CapabilityFlags(rawValue: 1 << 2)
    /// `CLIENT_CONNECT_WITH_DB`: the handshake response carries a schema name.
    public static let connectWithDB = CapabilityFlags(rawValue: 1 << 3)
    public static let noSchema = CapabilityFlags(rawValue: 1 << 4)
    public static let compress = CapabilityFlags(rawValue: 1 << 5)
    public static let odbc = CapabilityFlags(rawValue: 1 << 6)
    public static let localFiles = CapabilityFlags(rawValue: 1 << 7)
    public static let ignoreSpace = CapabilityFlags(rawValue: 1 << 8)
    /// `CLIENT_PROTOCOL_41`: 4.1 packets (SQLSTATE in ERR, warnings/status in OK and EOF).
    public static let protocol41 = CapabilityFlags(rawValue: 1 << 9)
    public static let interactive = CapabilityFlags(rawValue: 1 << 10)
    /// `CLIENT_SSL`: the client sends an SSLRequest and upgrades to TLS.
    public static let ssl = CapabilityFlags(rawValue: 1 << 11)
    public static let ignoreSigpipe = CapabilityFlags(rawValue: 1 << 12)
    public static let transactions = CapabilityFlags(rawValue: 1 << 13)
    public static let reserved = CapabilityFlags(rawValue: 1 << 14)
    /// `CLIENT_SECURE_CONNECTION` (a.k.a. RESERVED2): auth response is length-prefixed (`int<1>`).
    public static let secureConnection = CapabilityFlags(rawValue: 1 << 15)
    public static let multiStatements = CapabilityFlags(rawValue: 1 << 16)
    public static let multiResults = CapabilityFlags(rawValue: 1 << 17)
    public static let psMultiResults = CapabilityFlags(rawValue: 1 << 18)
    /// `CLIENT_PLUGIN_AUTH`: auth plugin names in greeting and response; auth switch allowed.
    public static let pluginAuth = CapabilityFlags(rawValue: 1 << 19)
    /// `CLIENT_CONNECT_ATTRS`: the handshake response ends with connection attributes.
    public static let connectAttrs = CapabilityFlags(rawValue: 1 << 20)
    /// `CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA`: auth response is a `string<lenenc>`.
    public static let pluginAuthLenencClientData = CapabilityFlags(rawValue: 1 << 21)
    public static let canHandleExpiredPasswords = CapabilityFlags(rawValue: 1 << 22)
    /// `CLIENT_SESSION_TRACK`: OK packets carry an info string and session-state changes.
    public static let sessionTrack = CapabilityFlags(rawValue: 1 << 23)
    /// `CLIENT_DEPRECATE_EOF`: result sets end with an OK packet (header `0xFE`), no EOF packets.
    public static let deprecateEOF = CapabilityFlags(rawValue: 1 << 24)
    public static let optionalResultsetMetadata = CapabilityFlags(rawValue: 1 << 25)
    public static let zstdCompression = CapabilityFlags(rawValue: 1 << 26)
    public static let queryAttributes = CapabilityFlags(rawValue: 1 << 27)

    /// What the reference mock announces by default: `0x01FEA2DF`.
    public static let mockDefault = CapabilityFlags(rawValue: 0x01FE_A2DF)
    /// What this server announces by default: the reference's flags, `CLIENT_MULTI_STATEMENTS` and
    /// `CLIENT_QUERY_ATTRIBUTES` (`0x09FFA2DF`), as a MySQL 8.0.23 server does.
    public static let serverDefault = mockDefault.union([.multiStatements, .queryAttributes])
}

/// Server status flags (`int<2>` in greeting, OK and EOF packets).
public struct ServerStatus: OptionSet, Sendable, Hashable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let inTransaction = ServerStatus(rawValue: 0x0001)
    public static let autocommit = ServerStatus(rawValue: 0x0002)
    public static let moreResultsExist = ServerStatus(rawValue: 0x0008)
    public static let noGoodIndexUsed = ServerStatus(rawValue: 0x0010)
    public static let noIndexUsed = ServerStatus(rawValue: 0x0020)
    public static let cursorExists = ServerStatus(rawValue: 0x0040)
    public static let lastRowSent = ServerStatus(rawValue: 0x0080)
    public static let databaseDropped = ServerStatus(rawValue: 0x0100)
    public static let noBackslashEscapes = ServerStatus(rawValue: 0x0200)
    public static let metadataChanged = ServerStatus(rawValue: 0x0400)
    public static let queryWasSlow = ServerStatus(rawValue: 0x0800)
    public static let psOutParams = ServerStatus(rawValue: 0x1000)
    public static let inTransactionReadOnly = ServerStatus(rawValue: 0x2000)
    /// `SERVER_SESSION_STATE_CHANGED`: the OK packet carries session-state information.
    public static let sessionStateChanged = ServerStatus(rawValue: 0x4000)
}
