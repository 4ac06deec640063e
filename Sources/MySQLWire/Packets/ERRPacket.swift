import NIOCore

/// `Protocol::ERR_Packet`: `0xFF`, `int<2>` error code, then (CLIENT_PROTOCOL_41) `#` and a 5-byte
/// SQLSTATE, then `string<EOF>` message.
public struct ERRPacket: Sendable, Hashable, Error {
    public var code: UInt16
    /// Exactly 5 characters on the wire: longer values are cut, shorter ones padded with `0`.
    public var sqlState: String
    public var message: String

    public init(code: UInt16, sqlState: String = "HY000", message: String) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
    }

    /// The longest message a server sends: it formats errors into a `MYSQL_ERRMSG_SIZE` (512)
    /// buffer, so a message has at most 511 bytes.
    public static let maxMessageBytes = 511

    /// `message` cut as a server cuts it: at most `maxMessageBytes` bytes, ending on a whole UTF-8
    /// character. Shorter messages are returned as they are.
    public static func serverMessage(_ message: String) -> String {
        message.prefix(utf8Bytes: maxMessageBytes)
    }

    public func write(to buffer: inout ByteBuffer, capabilities: CapabilityFlags = .protocol41) {
        buffer.writeInteger(UInt8(0xFF))
        buffer.writeInteger(code, endianness: .little)
        if capabilities.contains(.protocol41) {
            buffer.writeInteger(UInt8(ascii: "#"))
            var state = Array(sqlState.utf8.prefix(5))
            while state.count < 5 { state.append(UInt8(ascii: "0")) }
            buffer.writeBytes(state)
        }
        buffer.writeString(message)
    }

    public init(from buffer: inout ByteBuffer, capabilities: CapabilityFlags = .protocol41) throws(MySQLWireError) {
        let original = buffer
        guard buffer.readInteger(as: UInt8.self) == 0xFF else {
            throw MySQLWireError(.malformed, "ERR packet header is not 0xFF", bytes: original)
        }
        guard let code = buffer.readInteger(endianness: .little, as: UInt16.self) else {
            throw MySQLWireError(.truncated, "ERR packet code", bytes: original)
        }
        self.code = code
        sqlState = ""
        if capabilities.contains(.protocol41), buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == UInt8(ascii: "#") {
            buffer.moveReaderIndex(forwardBy: 1)
            guard let state = buffer.readString(length: 5) else {
                throw MySQLWireError(.truncated, "ERR packet sql_state", bytes: original)
            }
            sqlState = state
        }
        message = String(buffer: buffer.readRemainingSlice())
    }
}

/// `Protocol::EOF_Packet`: `0xFE`, `int<2>` warnings, `int<2>` status flags (CLIENT_PROTOCOL_41).
public struct EOFPacket: Sendable, Hashable {
    public var warnings: UInt16
    public var status: ServerStatus

    public init(warnings: UInt16 = 0, status: ServerStatus = []) {
        self.warnings = warnings
        self.status = status
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0xFE))
        buffer.writeInteger(warnings, endianness: .little)
        buffer.writeInteger(status.rawValue, endianness: .little)
    }

    public init(from buffer: inout ByteBuffer) throws(MySQLWireError) {
        let original = buffer
        guard buffer.readInteger(as: UInt8.self) == 0xFE,
              let warnings = buffer.readInteger(endianness: .little, as: UInt16.self),
              let status = buffer.readInteger(endianness: .little, as: UInt16.self)
        else { throw MySQLWireError(.malformed, "EOF packet", bytes: original) }
        self.warnings = warnings
        self.status = ServerStatus(rawValue: status)
    }

    /// An EOF packet is `0xFE` with a payload shorter than 9 bytes (a longer one is a row or an OK).
    public static func isEOF(_ payload: ByteBuffer) -> Bool {
        payload.readableBytes < 9 && payload.getInteger(at: payload.readerIndex, as: UInt8.self) == 0xFE
    }
}
