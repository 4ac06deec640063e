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
}

/// A decoded command-phase packet (sequence id 0).
public enum ClientCommand: Sendable, Hashable {
    /// `COM_QUIT` (0x01).
    case quit
    /// `COM_INIT_DB` (0x02): `string<EOF>` schema name.
    case initDB(String)
    /// `COM_QUERY` (0x03): `string<EOF>` statement (no query attributes: not advertised).
    case query(String)
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
        case CommandByte.query: self = .query(String(buffer: buffer.readRemainingSlice()))
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
        default: self = .unsupported(byte)
        }
    }

    public func write(to buffer: inout ByteBuffer, capabilities: CapabilityFlags) {
        switch self {
        case .quit: buffer.writeInteger(CommandByte.quit)
        case .initDB(let schema):
            buffer.writeInteger(CommandByte.initDB)
            buffer.writeString(schema)
        case .query(let text):
            buffer.writeInteger(CommandByte.query)
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
