import NIOCore

/// The server's first packet, `Protocol::HandshakeV10`:
///
/// ```
/// int<1>      protocol version (10)
/// string<NUL> server version
/// int<4>      thread (connection) id
/// string[8]   auth-plugin-data-part-1
/// int<1>      filler (0x00)
/// int<2>      capability_flags_1 (lower 16 bits)
/// int<1>      character_set
/// int<2>      status_flags
/// int<2>      capability_flags_2 (upper 16 bits)
/// int<1>      auth_plugin_data_len (if CLIENT_PLUGIN_AUTH, else 0x00)
/// string[10]  reserved (zeros)
/// string[$n]  auth-plugin-data-part-2, $n = max(13, auth_plugin_data_len - 8)
/// string<NUL> auth_plugin_name (if CLIENT_PLUGIN_AUTH)
/// ```
public struct HandshakeV10: Sendable, Hashable {
    public var serverVersion: String
    public var connectionID: UInt32
    /// The scramble (nonce) without its trailing NUL; usually 20 bytes.
    public var nonce: [UInt8]
    public var capabilities: CapabilityFlags
    public var characterSet: UInt8
    public var statusFlags: ServerStatus
    public var authPluginName: String

    public init(
        serverVersion: String, connectionID: UInt32, nonce: [UInt8], capabilities: CapabilityFlags,
        characterSet: UInt8, statusFlags: ServerStatus, authPluginName: String
    ) {
        self.serverVersion = serverVersion
        self.connectionID = connectionID
        self.nonce = nonce
        self.capabilities = capabilities
        self.characterSet = characterSet
        self.statusFlags = statusFlags
        self.authPluginName = authPluginName
    }

    public func write(to buffer: inout ByteBuffer) {
        let pluginAuth = capabilities.contains(.pluginAuth)
        // auth_plugin_data = scramble + NUL: its length fits one byte with CLIENT_PLUGIN_AUTH and is
        // fixed at 8 + 13 without it; trailing zero bytes cannot be told from padding. Written
        // straight from `nonce` (the greeting goes out once per connection: no temporary arrays).
        var length = min(nonce.count, pluginAuth ? 254 : 20)
        while length > 0, nonce[length - 1] == 0 { length -= 1 }
        buffer.writeInteger(UInt8(10))
        buffer.writeNullTerminatedString(serverVersion)
        buffer.writeInteger(connectionID, endianness: .little)
        // auth-plugin-data-part-1: the first 8 bytes of scramble + NUL, zero-padded.
        let part1 = min(8, length)
        buffer.writeBytes(nonce[0..<part1])
        buffer.writeRepeatingByte(0, count: 8 - part1)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt16(capabilities.rawValue & 0xFFFF), endianness: .little)
        buffer.writeInteger(characterSet)
        buffer.writeInteger(statusFlags.rawValue, endianness: .little)
        buffer.writeInteger(UInt16(capabilities.rawValue >> 16), endianness: .little)
        buffer.writeInteger(pluginAuth ? UInt8(length + 1) : 0)
        buffer.writeRepeatingByte(0, count: 10)
        // auth-plugin-data-part-2: the rest of scramble + NUL, zero-padded to 13 bytes.
        if length >= 8 {
            buffer.writeBytes(nonce[8..<length])
            buffer.writeInteger(UInt8(0))
            let part2 = length - 8 + 1
            if part2 < 13 { buffer.writeRepeatingByte(0, count: 13 - part2) }
        } else {
            buffer.writeRepeatingByte(0, count: 13)
        }
        if pluginAuth { buffer.writeNullTerminatedString(authPluginName) }
    }

    public init(from buffer: inout ByteBuffer) throws(MySQLWireError) {
        let original = buffer
        guard let version = buffer.readInteger(as: UInt8.self) else {
            throw MySQLWireError(.truncated, "HandshakeV10.protocol_version", bytes: original)
        }
        guard version == 10 else {
            throw MySQLWireError(.malformed, "HandshakeV10.protocol_version is \(version), expected 10",
                                 bytes: original)
        }
        guard let serverVersion = buffer.readNullTerminatedString(),
              let connectionID = buffer.readInteger(endianness: .little, as: UInt32.self),
              let part1 = buffer.readBytes(length: 8),
              buffer.readInteger(as: UInt8.self) != nil,
              let capsLow = buffer.readInteger(endianness: .little, as: UInt16.self)
        else {
            throw MySQLWireError(.truncated, "HandshakeV10 before character_set", bytes: original)
        }
        self.serverVersion = serverVersion
        self.connectionID = connectionID
        self.characterSet = buffer.readInteger(as: UInt8.self) ?? 0
        self.statusFlags = ServerStatus(rawValue: buffer.readInteger(endianness: .little, as: UInt16.self) ?? 0)
        let capsHigh = buffer.readInteger(endianness: .little, as: UInt16.self) ?? 0
        self.capabilities = CapabilityFlags(rawValue: UInt32(capsLow) | UInt32(capsHigh) << 16)
        let dataLength = Int(buffer.readInteger(as: UInt8.self) ?? 0)
        var nonce = part1
        if buffer.readBytes(length: 10) != nil {
            let part2Length = max(13, dataLength - 8)
            guard let part2 = buffer.readBytes(length: min(part2Length, buffer.readableBytes)) else {
                throw MySQLWireError(.truncated, "HandshakeV10.auth_plugin_data_part_2", bytes: original)
            }
            nonce += part2
        }
        if dataLength > 0, nonce.count > dataLength { nonce = Array(nonce.prefix(dataLength)) }
        while nonce.last == 0 { nonce.removeLast() }
        self.nonce = nonce
        if capabilities.contains(.pluginAuth) {
            self.authPluginName = buffer.readNullTerminatedString()
                ?? String(buffer: buffer.readRemainingSlice())
        } else {
            self.authPluginName = ""
        }
    }
}
