import NIOCore

/// `Protocol::AuthSwitchRequest`: `0xFE`, `string<NUL>` plugin name, `string<EOF>` plugin data
/// (for the scramble-based plugins: the 20-byte nonce followed by a NUL).
public struct AuthSwitchRequest: Sendable, Hashable {
    public var pluginName: String
    public var pluginData: [UInt8]

    public init(pluginName: String, pluginData: [UInt8]) {
        self.pluginName = pluginName
        self.pluginData = pluginData
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0xFE))
        buffer.writeNullTerminatedString(pluginName)
        buffer.writeBytes(pluginData)
    }

    public init(from buffer: inout ByteBuffer) throws(MySQLWireError) {
        let original = buffer
        guard buffer.readInteger(as: UInt8.self) == 0xFE else {
            throw MySQLWireError(.malformed, "AuthSwitchRequest header is not 0xFE", bytes: original)
        }
        guard let name = buffer.readNullTerminatedString() else {
            throw MySQLWireError(.truncated, "AuthSwitchRequest.plugin_name", bytes: original)
        }
        pluginName = name
        pluginData = Array(buffer: buffer.readRemainingSlice())
    }
}

/// `Protocol::AuthMoreData`: `0x01` then plugin-specific bytes. caching_sha2_password uses
/// `0x03` (fast authentication succeeded) and `0x04` (perform full authentication).
public struct AuthMoreData: Sendable, Hashable {
    public var data: [UInt8]

    public init(data: [UInt8]) { self.data = data }

    public static let fastAuthSuccess = AuthMoreData(data: [0x03])
    public static let performFullAuthentication = AuthMoreData(data: [0x04])

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0x01))
        buffer.writeBytes(data)
    }

    public init(from buffer: inout ByteBuffer) throws(MySQLWireError) {
        let original = buffer
        guard buffer.readInteger(as: UInt8.self) == 0x01 else {
            throw MySQLWireError(.malformed, "AuthMoreData header is not 0x01", bytes: original)
        }
        data = Array(buffer: buffer.readRemainingSlice())
    }
}
