import NIOCore

/// Bytes received and not yet cut into frames, for handlers that decode a stream (the compressed
/// protocols, the upstream session): `append` what arrived, then `consume` lets a decoder take
/// frames from the front; what it leaves stays for the next read, compacted.
package struct InboundBuffer {
    private var pending: ByteBuffer?

    package init() {}

    package mutating func append(_ bytes: ByteBuffer) {
        var bytes = bytes
        if pending == nil {
            pending = bytes
        } else {
            pending?.writeBuffer(&bytes)
        }
    }

    /// Runs `body` on the bytes held (nothing happens when there are none).
    package mutating func consume<Failure: Error>(_ body: (inout ByteBuffer) throws(Failure) -> Void) throws(Failure) {
        guard var buffer = pending else { return }
        pending = nil
        defer {
            if buffer.readableBytes > 0 {
                buffer.discardReadBytes()
                pending = buffer
            }
        }
        try body(&buffer)
    }
}
