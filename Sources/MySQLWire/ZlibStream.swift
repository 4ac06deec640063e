import CZlib

/// One direction of a zlib stream that lasts as long as the connection (the X protocol's
/// `deflate_stream` compression): each message is compressed with a sync flush, so the other side
/// can inflate it at once, and the window carries over from message to message. Pure: no I/O.
///
/// Not `Sendable`: used by one connection's handler.
public final class ZlibStream {
    public enum Direction: Sendable {
        case deflate
        case inflate
    }

    private var stream = z_stream()
    private let direction: Direction
    private var ready = false

    public init(_ direction: Direction, level: Int32 = Z_DEFAULT_COMPRESSION) {
        self.direction = direction
        let size = Int32(MemoryLayout<z_stream>.size)
        let status = switch direction {
        case .deflate: deflateInit_(&stream, level, ZLIB_VERSION, size)
        case .inflate: inflateInit_(&stream, ZLIB_VERSION, size)
        }
        ready = status == Z_OK
    }

    deinit {
        guard ready else { return }
        switch direction {
        case .deflate: deflateEnd(&stream)
        case .inflate: inflateEnd(&stream)
        }
    }

    /// The next part of the stream for `bytes`, flushed so that it inflates on its own.
    public func deflate(_ bytes: [UInt8]) throws(MySQLWireError) -> [UInt8] {
        guard ready, direction == .deflate else { throw MySQLWireError(.malformed, "the deflate stream is not usable") }
        var input = bytes
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: max(64, Int(deflateBound(&stream, uLong(bytes.count))) + 16))
        let status: Int32 = input.withUnsafeMutableBytes { source in
            stream.next_in = source.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_in = uInt(source.count)
            var status = Z_OK
            repeat {
                status = chunk.withUnsafeMutableBytes { target in
                    stream.next_out = target.baseAddress?.assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = uInt(target.count)
                    let status = CZlib.deflate(&stream, Z_SYNC_FLUSH)
                    out += target.prefix(target.count - Int(stream.avail_out))
                    return status
                }
            } while status == Z_OK && stream.avail_out == 0
            stream.next_in = nil
            return status
        }
        guard status == Z_OK || status == Z_BUF_ERROR else {
            throw MySQLWireError(.malformed, "deflating failed (zlib \(status))")
        }
        return out
    }

    /// Inflates the next part of the stream, which must give exactly `expected` bytes (at most
    /// `limit`): a part that would inflate to more, or to less, or is not zlib, is refused, and
    /// nothing larger than `expected` is allocated.
    public func inflate(_ bytes: [UInt8], expected: Int, limit: Int) throws(MySQLWireError) -> [UInt8] {
        guard ready, direction == .inflate else { throw MySQLWireError(.malformed, "the inflate stream is not usable") }
        guard expected >= 0, expected <= limit else {
            throw MySQLWireError(.packetTooLarge, "compressed message says \(expected) bytes, more than the maximum of \(limit)")
        }
        var input = bytes
        var out = [UInt8](repeating: 0, count: expected)
        let (status, produced, left): (Int32, Int, Int) = input.withUnsafeMutableBytes { source in
            out.withUnsafeMutableBytes { target in
                stream.next_in = source.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(target.count)
                var status = CZlib.inflate(&stream, Z_SYNC_FLUSH)
                let produced = target.count - Int(stream.avail_out)
                // The output is full: what input is left may only be the flush marker, which
                // inflates to nothing. One spare byte tells.
                let spare = UnsafeMutablePointer<Bytef>.allocate(capacity: 1)
                defer { spare.deallocate() }
                while status == Z_OK || status == Z_BUF_ERROR, stream.avail_in > 0, stream.avail_out == 0 {
                    stream.next_out = spare
                    stream.avail_out = 1
                    status = CZlib.inflate(&stream, Z_SYNC_FLUSH)
                    if stream.avail_out == 0 { return (Z_DATA_ERROR, produced + 1, Int(stream.avail_in)) }
                    if status == Z_BUF_ERROR { break }
                }
                let result = (status, produced, Int(stream.avail_in))
                stream.next_in = nil
                stream.next_out = nil
                return result
            }
        }
        if produced > expected { throw MySQLWireError(.malformed, "compressed message inflates to more than the \(expected) bytes it says") }
        guard status == Z_OK || status == Z_STREAM_END || (status == Z_BUF_ERROR && left == 0) else {
            throw MySQLWireError(.malformed, status == Z_DATA_ERROR ? "compressed message is not a zlib stream (corrupt)"
                                 : "compressed message cannot be inflated (zlib \(status))")
        }
        guard left == 0, produced == expected else {
            throw MySQLWireError(.malformed, left > 0 ? "compressed message inflates to more than the \(expected) bytes it says"
                                 : "compressed message inflates to \(produced) bytes, it says \(expected)")
        }
        return out
    }
}
