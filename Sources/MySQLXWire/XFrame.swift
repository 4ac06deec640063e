import NIOCore

/// An error in X protocol bytes (never a trap): what was read and why it failed.
public struct MySQLXWireError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case frameTooLarge
        case emptyFrame
        case malformedMessage
    }

    public var code: Code
    public var context: String

    public init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "\(code.rawValue): \(context)" }
}

/// One X protocol frame: `int<4>` little-endian length (counting the type byte), `int<1>` message
/// type, then the protobuf-encoded message.
public struct XFrame: Sendable, Hashable {
    public var type: UInt8
    public var payload: ByteBuffer

    public init(type: UInt8, payload: ByteBuffer) {
        self.type = type
        self.payload = payload
    }
}

/// Cuts a byte stream into `XFrame`s; a frame whose length is over `maxFrameSize` (or 0) is refused
/// as soon as its header arrives. Pure: no I/O.
public struct XFramer: Sendable {
    public var maxFrameSize: Int

    public init(maxFrameSize: Int = 64 << 20) {
        self.maxFrameSize = maxFrameSize
    }

    public mutating func nextFrame(from buffer: inout ByteBuffer) throws(MySQLXWireError) -> XFrame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .little, as: UInt32.self) else {
            return nil
        }
        guard length > 0 else { throw MySQLXWireError(.emptyFrame, "frame length 0 (no message type)") }
        guard Int(length) <= maxFrameSize else {
            throw MySQLXWireError(.frameTooLarge, "frame of \(length) bytes is larger than the maximum of \(maxFrameSize)")
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        guard let type = buffer.readInteger(as: UInt8.self), let payload = buffer.readSlice(length: Int(length) - 1) else {
            return nil
        }
        return XFrame(type: type, payload: payload)
    }

    /// Appends a frame carrying `payload` (already encoded) to `buffer`.
    public static func write(type: UInt8, payload: some Collection<UInt8>, to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(payload.count + 1), endianness: .little)
        buffer.writeInteger(type)
        buffer.writeBytes(payload)
    }
}
