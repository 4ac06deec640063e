import NIOCore

/// What a client answers the greeting with: either an SSLRequest (then TLS) or
/// `Protocol::HandshakeResponse41`:
///
/// ```
/// int<4>      client_flag
/// int<4>      max_packet_size
/// int<1>      character_set
/// string[23]  filler (zeros)                                  ← an SSLRequest ends here (32 bytes)
/// string<NUL> username
/// auth_response: string<lenenc> if CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA,
///                else int<1> length + bytes if CLIENT_SECURE_CONNECTION, else string<NUL>
/// string<NUL> database          (if CLIENT_CONNECT_WITH_DB)
/// string<NUL> client_plugin_name (if CLIENT_PLUGIN_AUTH)
/// int<lenenc> attributes length + (string<lenenc> key, string<lenenc> value)* (if CLIENT_CONNECT_ATTRS)
/// ```
public struct HandshakeResponse41: Sendable, Hashable {
    public var capabilities: CapabilityFlags
    public var maxPacketSize: UInt32
    public var characterSet: UInt8
    public var username: String
    public var authResponse: [UInt8]
    public var database: String?
    public var authPluginName: String?
    /// The zstd level the client asks for (CLIENT_ZSTD_COMPRESSION_ALGORITHM).
    public var zstdCompressionLevel: UInt8?
    /// Connection attributes in the order sent. A decoded packet keeps them as bytes (checked when
    /// decoded) and makes the strings only when they are asked for: the server never needs them,
    /// and a dozen attribute strings were the biggest part of decoding a login.
    public var attributes: [(key: String, value: String)] {
        get {
            switch attributeStorage {
            case .strings(let list): list
            case .encoded(let block): Self.decodeAttributes(block)
            }
        }
        set { attributeStorage = .strings(newValue) }
    }

    private enum AttributeStorage: Sendable {
        case strings([(key: String, value: String)])
        /// The `(key, value)*` block of a decoded packet, already checked to be well-formed.
        case encoded(ByteBuffer)
    }

    private var attributeStorage: AttributeStorage

    public init(
        capabilities: CapabilityFlags, maxPacketSize: UInt32 = 1 << 24, characterSet: UInt8 = 255,
        username: String, authResponse: [UInt8], database: String? = nil, authPluginName: String? = nil,
        attributes: [(key: String, value: String)] = []
    ) {
        self.capabilities = capabilities
        self.maxPacketSize = maxPacketSize
        self.characterSet = characterSet
        self.username = username
        self.authResponse = authResponse
        self.database = database
        self.authPluginName = authPluginName
        self.attributeStorage = .strings(attributes)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.capabilities == rhs.capabilities && lhs.maxPacketSize == rhs.maxPacketSize
            && lhs.characterSet == rhs.characterSet && lhs.username == rhs.username
            && lhs.authResponse == rhs.authResponse && lhs.database == rhs.database
            && lhs.authPluginName == rhs.authPluginName
            && lhs.attributes.map(\.key) == rhs.attributes.map(\.key)
            && lhs.attributes.map(\.value) == rhs.attributes.map(\.value)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(username)
        hasher.combine(authResponse)
    }

    /// `true` if `payload` is an SSLRequest: exactly the 32 fixed bytes, with CLIENT_SSL set.
    public static func isSSLRequest(_ payload: ByteBuffer) -> Bool {
        guard payload.readableBytes == 32,
              let flags = payload.getInteger(at: payload.readerIndex, endianness: .little, as: UInt32.self)
        else { return false }
        return CapabilityFlags(rawValue: flags).contains(.ssl)
    }

    public init(from buffer: inout ByteBuffer) throws(MySQLWireError) {
        let original = buffer
        guard let flags = buffer.readInteger(endianness: .little, as: UInt32.self),
              let maxPacket = buffer.readInteger(endianness: .little, as: UInt32.self),
              let charset = buffer.readInteger(as: UInt8.self),
              buffer.readBytes(length: 23) != nil
        else {
            throw MySQLWireError(.truncated, "HandshakeResponse41 fixed part (32 bytes)", bytes: original)
        }
        let caps = CapabilityFlags(rawValue: flags)
        guard caps.contains(.protocol41) else {
            throw MySQLWireError(.malformed, "HandshakeResponse320 (client without CLIENT_PROTOCOL_41) is not supported",
                                 bytes: original)
        }
        capabilities = caps
        maxPacketSize = maxPacket
        characterSet = charset
        guard let user = buffer.readNullTerminatedString() else {
            throw MySQLWireError(.truncated, "HandshakeResponse41.username", bytes: original)
        }
        username = user
        guard let auth = buffer.readAuthResponse(capabilities: caps, lenencAllowed: true) else {
            throw MySQLWireError(.truncated, "HandshakeResponse41.auth_response", bytes: original)
        }
        authResponse = auth
        database = nil
        if caps.contains(.connectWithDB), buffer.readableBytes > 0 {
            database = buffer.readNullTerminatedString() ?? String(buffer: buffer.readRemainingSlice())
        }
        authPluginName = nil
        if caps.contains(.pluginAuth), buffer.readableBytes > 0 {
            authPluginName = buffer.readNullTerminatedString() ?? String(buffer: buffer.readRemainingSlice())
        }
        attributeStorage = .strings([])
        if caps.contains(.connectAttrs), buffer.readableBytes > 0 {
            attributeStorage = .encoded(try Self.readAttributeBlock(from: &buffer, original: original))
        }
        // `int<1> zstd_compression_level` (if CLIENT_ZSTD_COMPRESSION_ALGORITHM).
        if caps.contains(.zstdCompression) { zstdCompressionLevel = buffer.readInteger(as: UInt8.self) }
    }

    /// Reads `int<lenenc> length` and the `(string<lenenc> key, string<lenenc> value)*` block it
    /// covers; every key and value must fit inside the block. Returns the block.
    static func readAttributeBlock(from buffer: inout ByteBuffer, original: ByteBuffer) throws(MySQLWireError)
        -> ByteBuffer
    {
        guard let total = buffer.readLengthEncodedInteger(), total <= UInt64(buffer.readableBytes),
              let block = buffer.readSlice(length: Int(total))
        else {
            throw MySQLWireError(.truncated, "connection attributes length", bytes: original)
        }
        var walk = block
        var count = 0
        while walk.readableBytes > 0 {
            guard walk.readLengthEncodedSlice() != nil, walk.readLengthEncodedSlice() != nil else {
                throw MySQLWireError(.truncated, "connection attribute #\(count + 1)", bytes: original)
            }
            count += 1
        }
        return block
    }

    /// The pairs of a block `readAttributeBlock` accepted.
    private static func decodeAttributes(_ block: ByteBuffer) -> [(key: String, value: String)] {
        var block = block
        var result: [(key: String, value: String)] = []
        while let key = block.readLengthEncodedString(), let value = block.readLengthEncodedString() {
            result.append((key, value))
        }
        return result
    }

    public func write(to buffer: inout ByteBuffer) {
        var caps = capabilities
        if database != nil { caps.insert(.connectWithDB) }
        buffer.writeInteger(caps.rawValue, endianness: .little)
        buffer.writeInteger(maxPacketSize, endianness: .little)
        buffer.writeInteger(characterSet)
        buffer.writeRepeatingByte(0, count: 23)
        buffer.writeNullTerminatedString(username)
        buffer.writeAuthResponse(authResponse, capabilities: caps, lenencAllowed: true)
        // Trailing fields are positional: one that is absent (`nil`) is written only when a later one
        // follows, so what was decoded encodes to the same packet (the fuzzer checks this).
        let attributesFollow = caps.contains(.connectAttrs) && !attributes.isEmpty
        let pluginFollows = caps.contains(.pluginAuth) && (authPluginName != nil || attributesFollow)
        if caps.contains(.connectWithDB), database != nil || pluginFollows || attributesFollow {
            buffer.writeNullTerminatedString(database ?? "")
        }
        if pluginFollows { buffer.writeNullTerminatedString(authPluginName ?? "") }
        if attributesFollow {
            var block = ByteBuffer()
            for (key, value) in attributes {
                block.writeLengthEncodedString(key)
                block.writeLengthEncodedString(value)
            }
            buffer.writeLengthEncodedInteger(UInt64(block.readableBytes))
            buffer.writeBuffer(&block)
        }
    }
}
