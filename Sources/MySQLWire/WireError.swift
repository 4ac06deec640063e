import NIOCore

/// An error found while decoding or framing classic-protocol bytes.
///
/// Decoders never trap on hostile input: every failure is one of these, carrying what was being read
/// and a hex excerpt of the offending bytes, so a log line is enough to debug it.
public struct MySQLWireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely.
    public enum Code: String, Sendable, Hashable {
        /// The packet ended before a field it must contain.
        case truncated
        /// A field holds a value the protocol does not allow there.
        case malformed
        /// A packet (or a reassembled multi-packet payload) is larger than the configured maximum.
        case packetTooLarge
        /// The sequence id is not the one expected next.
        case sequenceOutOfOrder
    }

    public var code: Code
    /// What was being decoded, e.g. `HandshakeResponse41.username`.
    public var context: String
    /// Up to 32 bytes of the packet around the failure, in hex.
    public var bytes: String

    public init(_ code: Code, _ context: String, bytes: ByteBuffer? = nil) {
        self.code = code
        self.context = context
        if let bytes {
            self.bytes = bytes.hexExcerpt()
        } else {
            self.bytes = ""
        }
    }

    public var description: String {
        bytes.isEmpty ? "\(code.rawValue): \(context)" : "\(code.rawValue): \(context) [\(bytes)]"
    }
}

extension ByteBuffer {
    /// The first `limit` readable bytes as space-separated hex, with `…` when there are more.
    public func hexExcerpt(limit: Int = 32) -> String {
        let n = Swift.min(readableBytes, limit)
        let shown = getBytes(at: readerIndex, length: n) ?? []
        let hex = shown.map { byte in
            let s = String(byte, radix: 16)
            return byte < 16 ? "0" + s : s
        }.joined(separator: " ")
        return readableBytes > limit ? hex + " …" : hex
    }
}
