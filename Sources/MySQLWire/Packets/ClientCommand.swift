import NIOCore

/// Command bytes of the command phase (`enum_server_command`).
public enum CommandByte {
    public static let quit: UInt8 = 0x01
    public static let initDB: UInt8 = 0x02
    public static let query: UInt8 = 0x03
    public static let fieldList: UInt8 = 0x04
    public static let statistics: UInt8 = 0x09
    public static let ping: UInt8 = 0x0E
    public static let changeUser: UInt8 = 0x11
    public static let setOption: UInt8 = 0x1B
    public static let resetConnection: UInt8 = 0x1F
    public static let stmtPrepare: UInt8 = 0x16
    public static let stmtExecute: UInt8 = 0x17
    public static let stmtSendLongData: UInt8 = 0x18
    public static let stmtClose: UInt8 = 0x19
    public static let stmtReset: UInt8 = 0x1A
    public static let stmtFetch: UInt8 = 0x1C
}

/// A decoded command-phase packet (sequence id 0).
public enum ClientCommand: Sendable, Hashable {
    /// `COM_QUIT` (0x01).
    case quit
    /// `COM_INIT_DB` (0x02): `string<EOF>` schema name.
    case initDB(String)
    /// `COM_QUERY` (0x03): with `CLIENT_QUERY_ATTRIBUTES`, the attributes
    /// (`QueryAttributesBlock`), then `string<EOF>` statement.
    case query(String, attributes: [QueryAttribute] = [])
    /// `COM_STATISTICS` (0x09).
    case statistics
    /// `COM_PING` (0x0E).
    case ping
    /// `COM_CHANGE_USER` (0x11).
    case changeUser(ChangeUser)
    /// `COM_SET_OPTION` (0x1B): `int<2>` option (0 = multi statements on, 1 = off).
    case setOption(UInt16)
    /// `COM_RESET_CONNECTION` (0x1F).
    case resetConnection
    /// `COM_STMT_PREPARE` (0x16): `string<EOF>` statement.
    case stmtPrepare(String)
    /// `COM_STMT_EXECUTE` (0x17): the body after the command byte, decoded with `StmtExecute` once
    /// the statement (and so its parameter count and bound types) is known.
    case stmtExecute(ByteBuffer)
    /// `COM_STMT_SEND_LONG_DATA` (0x18): `int<4>` statement id, `int<2>` parameter, `binary<EOF>` data.
    case stmtSendLongData(statementID: UInt32, parameter: UInt16, data: ByteBuffer)
    /// `COM_STMT_CLOSE` (0x19): `int<4>` statement id. No reply.
    case stmtClose(UInt32)
    /// `COM_STMT_RESET` (0x1A): `int<4>` statement id.
    case stmtReset(UInt32)
    /// `COM_STMT_FETCH` (0x1C): `int<4>` statement id, `int<4>` number of rows.
    case stmtFetch(statementID: UInt32, rows: UInt32)
    /// Any other command byte; the rest of the payload is not interpreted.
    case unsupported(UInt8)

    public init(from buffer: inout ByteBuffer, capabilities: CapabilityFlags) throws(MySQLWireError) {
        let original = buffer
        guard let byte = buffer.readInteger(as: UInt8.self) else {
            throw MySQLWireError(.truncated, "command packet is empty")
        }
        switch byte {
        case CommandByte.quit: self = .quit
        case CommandByte.initDB: self = .initDB(String(buffer: buffer.readRemainingSlice()))
        case CommandByte.query:
            let attributes = capabilities.contains(.queryAttributes) ? try QueryAttributesBlock.read(from: &buffer) : []
            self = .query(String(buffer: buffer.readRemainingSlice()), attributes: attributes)
        case CommandByte.statistics: self = .statistics
        case CommandByte.ping: self = .ping
        case CommandByte.changeUser:
            self = .changeUser(try ChangeUser(from: &buffer, capabilities: capabilities))
        case CommandByte.setOption:
            guard let option = buffer.readInteger(endianness: .little, as: UInt16.self) else {
                throw MySQLWireError(.truncated, "COM_SET_OPTION.option", bytes: original)
            }
            self = .setOption(option)
        case CommandByte.resetConnection: self = .resetConnection
        case CommandByte.stmtPrepare: self = .stmtPrepare(String(buffer: buffer.readRemainingSlice()))
        case CommandByte.stmtExecute: self = .stmtExecute(buffer.readRemainingSlice())
        case CommandByte.stmtSendLongData:
            guard let id = buffer.readInteger(endianness: .little, as: UInt32.self),
                  let parameter = buffer.readInteger(endianness: .little, as: UInt16.self) else {
                throw MySQLWireError(.truncated, "COM_STMT_SEND_LONG_DATA header", bytes: original)
            }
            self = .stmtSendLongData(statementID: id, parameter: parameter, data: buffer.readRemainingSlice())
        case CommandByte.stmtClose, CommandByte.stmtReset:
            guard let id = buffer.readInteger(endianness: .little, as: UInt32.self) else {
                throw MySQLWireError(.truncated, "COM_STMT_\(byte == CommandByte.stmtClose ? "CLOSE" : "RESET").statement_id",
                                     bytes: original)
            }
            self = byte == CommandByte.stmtClose ? .stmtClose(id) : .stmtReset(id)
        case CommandByte.stmtFetch:
            guard let id = buffer.readInteger(endianness: .little, as: UInt32.self),
                  let rows = buffer.readInteger(endianness: .little, as: UInt32.self) else {
                throw MySQLWireError(.truncated, "COM_STMT_FETCH", bytes: original)
            }
            self = .stmtFetch(statementID: id, rows: rows)
        default: self = .unsupported(byte)
        }
    }

    public func write(to buffer: inout ByteBuffer, capabilities: CapabilityFlags) {
        switch self {
        case .quit: buffer.writeInteger(CommandByte.quit)
        case .initDB(let schema):
            buffer.writeInteger(CommandByte.initDB)
            buffer.writeString(schema)
        case .query(let text, let attributes):
            buffer.writeInteger(CommandByte.query)
            if capabilities.contains(.queryAttributes) { QueryAttributesBlock.write(attributes, to: &buffer) }
            buffer.writeString(text)
        case .statistics: buffer.writeInteger(CommandByte.statistics)
        case .ping: buffer.writeInteger(CommandByte.ping)
        case .changeUser(let change):
            buffer.writeInteger(CommandByte.changeUser)
            change.write(to: &buffer, capabilities: capabilities)
        case .setOption(let option):
            buffer.writeInteger(CommandByte.setOption)
            buffer.writeInteger(option, endianness: .little)
        case .resetConnection: buffer.writeInteger(CommandByte.resetConnection)
        case .stmtPrepare(let text):
            buffer.writeInteger(CommandByte.stmtPrepare)
            buffer.writeString(text)
        case .stmtExecute(let body):
            buffer.writeInteger(CommandByte.stmtExecute)
            buffer.writeImmutableBuffer(body)
        case .stmtSendLongData(let id, let parameter, let data):
            buffer.writeInteger(CommandByte.stmtSendLongData)
            buffer.writeInteger(id, endianness: .little)
            buffer.writeInteger(parameter, endianness: .little)
            buffer.writeImmutableBuffer(data)
        case .stmtClose(let id):
            buffer.writeInteger(CommandByte.stmtClose)
            buffer.writeInteger(id, endianness: .little)
        case .stmtReset(let id):
            buffer.writeInteger(CommandByte.stmtReset)
            buffer.writeInteger(id, endianness: .little)
        case .stmtFetch(let id, let rows):
            buffer.writeInteger(CommandByte.stmtFetch)
            buffer.writeInteger(id, endianness: .little)
            buffer.writeInteger(rows, endianness: .little)
        case .unsupported(let byte): buffer.writeInteger(byte)
        }
    }
}

/// `COM_CHANGE_USER` after its command byte:
///
/// ```
/// string<NUL> user
/// auth_response: int<1> length + bytes if CLIENT_SECURE_CONNECTION, else string<NUL>
/// string<NUL> schema
/// int<2>      character_set        (if more data)
/// string<NUL> auth_plugin_name     (if CLIENT_PLUGIN_AUTH)
/// int<lenenc> + attributes         (if CLIENT_CONNECT_ATTRS)
/// ```
public struct ChangeUser: Sendable, Hashable {
    public var username: String
    public var authResponse: [UInt8]
    public var schema: String
    public var characterSet: UInt16?
    public var authPluginName: String?

    public init(username: String, authResponse: [UInt8], schema: String = "", characterSet: UInt16? = 255,
                authPluginName: String? = nil) {
        self.username = username
        self.authResponse = authResponse
        self.schema = schema
        self.characterSet = characterSet
        self.authPluginName = authPluginName
    }

    public init(from buffer: inout ByteBuffer, capabilities: CapabilityFlags) throws(MySQLWireError) {
        let original = buffer
        guard let user = buffer.readNullTerminatedString() else {
            throw MySQLWireError(.truncated, "COM_CHANGE_USER.user", bytes: original)
        }
        username = user
        guard let auth = buffer.readAuthResponse(capabilities: capabilities, lenencAllowed: false) else {
            throw MySQLWireError(.truncated, "COM_CHANGE_USER.auth_response", bytes: original)
        }
        authResponse = auth
        schema = buffer.readNullTerminatedString() ?? String(buffer: buffer.readRemainingSlice())
        characterSet = buffer.readInteger(endianness: .little, as: UInt16.self)
        authPluginName = nil
        // The plugin name and attributes follow the character set; without it (a lone trailing
        // byte) there is nothing more to read (found by the fuzzer: that byte was taken as a name).
        guard characterSet != nil else { return }
        if capabilities.contains(.pluginAuth), buffer.readableBytes > 0 {
            authPluginName = buffer.readNullTerminatedString() ?? String(buffer: buffer.readRemainingSlice())
        }
        if capabilities.contains(.connectAttrs), buffer.readableBytes > 0 {
            _ = try HandshakeResponse41.readAttributeBlock(from: &buffer, original: original)
        }
    }

    public func write(to buffer: inout ByteBuffer, capabilities: CapabilityFlags) {
        buffer.writeNullTerminatedString(username)
        buffer.writeAuthResponse(authResponse, capabilities: capabilities, lenencAllowed: false)
        buffer.writeNullTerminatedString(schema)
        if let characterSet {
            buffer.writeInteger(characterSet, endianness: .little)
            if capabilities.contains(.pluginAuth), let authPluginName { buffer.writeNullTerminatedString(authPluginName) }
        }
    }
}
