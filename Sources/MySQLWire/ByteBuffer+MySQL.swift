import NIOCore

/// Length-encoded integers and strings, the classic protocol's basic types.
///
/// From the protocol documentation ("Integer Types" / "String Types"):
/// `int<lenenc>`: `< 0xFB` one byte; `0xFC` + 2 bytes; `0xFD` + 3 bytes; `0xFE` + 8 bytes
/// (all little-endian). `0xFB` is NULL in a text row and `0xFF` is the ERR header, so neither
/// starts an integer. `string<lenenc>`: `int<lenenc>` length, then that many bytes.
///
/// Every `read…` leaves the reader index where it was when it returns `nil`.
extension ByteBuffer {
    /// Reads an `int<lenenc>`; `nil` if truncated or if the first byte is `0xFB`/`0xFF`.
    public mutating func readLengthEncodedInteger() -> UInt64? {
        let start = readerIndex
        guard let first = readInteger(as: UInt8.self) else { return nil }
        let value: UInt64?
        switch first {
        case 0..<0xFB: value = UInt64(first)
        case 0xFC: value = readInteger(endianness: .little, as: UInt16.self).map(UInt64.init)
        case 0xFD:
            if let bytes = readBytes(length: 3) {
                value = UInt64(bytes[0]) | UInt64(bytes[1]) << 8 | UInt64(bytes[2]) << 16
            } else {
                value = nil
            }
        case 0xFE: value = readInteger(endianness: .little, as: UInt64.self)
        default: value = nil
        }
        if value == nil { moveReaderIndex(to: start) }
        return value
    }

    /// Writes `value` as an `int<lenenc>` in the shortest form.
    @discardableResult
    public mutating func writeLengthEncodedInteger(_ value: UInt64) -> Int {
        switch value {
        case 0..<0xFB:
            return writeInteger(UInt8(value))
        case 0xFB...0xFFFF:
            return writeInteger(UInt8(0xFC)) + writeInteger(UInt16(value), endianness: .little)
        case 0x1_0000...0xFF_FFFF:
            return writeInteger(UInt8(0xFD)) + writeInteger(UInt8(value & 0xFF))
                + writeInteger(UInt16(value >> 8), endianness: .little)
        default:
            return writeInteger(UInt8(0xFE)) + writeInteger(value, endianness: .little)
        }
    }

    /// Reads a `string<lenenc>` as bytes; `nil` if truncated.
    public mutating func readLengthEncodedSlice() -> ByteBuffer? {
        let start = readerIndex
        guard let length = readLengthEncodedInteger(), length <= UInt64(Int.max),
              let slice = readSlice(length: Int(length))
        else {
            moveReaderIndex(to: start)
            return nil
        }
        return slice
    }

    /// Reads a `string<lenenc>` as UTF-8 (invalid sequences repaired); `nil` if truncated.
    public mutating func readLengthEncodedString() -> String? {
        readLengthEncodedSlice().map { String(buffer: $0) }
    }

    /// Writes a `string<lenenc>`.
    @discardableResult
    public mutating func writeLengthEncodedString(_ string: String) -> Int {
        writeLengthEncodedInteger(UInt64(string.utf8.count)) + writeString(string)
    }

    /// Writes bytes as a `string<lenenc>`.
    @discardableResult
    public mutating func writeLengthEncodedBytes<Bytes: Collection>(_ bytes: Bytes) -> Int
    where Bytes.Element == UInt8 {
        writeLengthEncodedInteger(UInt64(bytes.count)) + writeBytes(bytes)
    }

    /// Reads a `string<NUL>`: bytes up to a `0x00`, which is consumed; `nil` if there is no NUL.
    public mutating func readNullTerminatedSlice() -> ByteBuffer? {
        guard let nul = readableBytesView.firstIndex(of: 0) else { return nil }
        let length = nul - readableBytesView.startIndex
        let slice = readSlice(length: length)
        moveReaderIndex(forwardBy: 1)
        return slice
    }

    /// Reads everything that is left (`string<EOF>`).
    public mutating func readRemainingSlice() -> ByteBuffer {
        readSlice(length: readableBytes) ?? ByteBuffer()
    }

    /// Reads an auth response in the encoding the capabilities select: `string<lenenc>` with
    /// CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA (when `lenencAllowed`), `int<1>` length + bytes with
    /// CLIENT_SECURE_CONNECTION, else `string<NUL>`. `nil` if truncated.
    public mutating func readAuthResponse(capabilities: CapabilityFlags, lenencAllowed: Bool) -> [UInt8]? {
        if lenencAllowed, capabilities.contains(.pluginAuthLenencClientData) {
            return readLengthEncodedSlice().map { Array(buffer: $0) }
        }
        if capabilities.contains(.secureConnection) {
            let start = readerIndex
            guard let length = readInteger(as: UInt8.self), let bytes = readBytes(length: Int(length)) else {
                moveReaderIndex(to: start)
                return nil
            }
            return bytes
        }
        return readNullTerminatedSlice().map { Array(buffer: $0) }
    }

    /// Writes an auth response in the encoding `readAuthResponse` reads.
    public mutating func writeAuthResponse(_ bytes: [UInt8], capabilities: CapabilityFlags, lenencAllowed: Bool) {
        if lenencAllowed, capabilities.contains(.pluginAuthLenencClientData) {
            writeLengthEncodedBytes(bytes)
        } else if capabilities.contains(.secureConnection) {
            writeInteger(UInt8(min(bytes.count, 255)))
            writeBytes(bytes.prefix(255))
        } else {
            writeBytes(bytes)
            writeInteger(UInt8(0))
        }
    }
}
