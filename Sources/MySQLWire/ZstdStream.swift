import CZstd

/// The X protocol's `zstd_stream` compression: each message the server sends is one complete zstd
/// frame (with its content size, so a client that inflates frame by frame can), and what a client
/// sends is inflated by a decompression context that lasts as long as the connection (it takes
/// whole frames or parts of a continuing one alike). Pure: no I/O.
///
/// Not `Sendable`: used by one connection's handler.
public final class ZstdStream {
    private let context: OpaquePointer?
    public let level: Int32

    public init(level: Int32 = 3) {
        context = ZSTD_createDCtx()
        self.level = level
    }

    deinit {
        ZSTD_freeDCtx(context)
    }

    /// One complete frame for `bytes`.
    public func compress(_ bytes: [UInt8]) throws(MySQLWireError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let written = out.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in
                ZSTD_compress(target.baseAddress, target.count, source.baseAddress, source.count, level)
            }
        }
        guard ZSTD_isError(written) == 0 else {
            throw MySQLWireError(.malformed, "zstd compression failed: \(String(cString: ZSTD_getErrorName(written)))")
        }
        out.removeSubrange(written...)
        return out
    }

    /// Inflates the next part of the client's stream, which must give exactly `expected` bytes (at
    /// most `limit`); nothing larger than `expected` is allocated.
    public func decompress(_ bytes: [UInt8], expected: Int, limit: Int) throws(MySQLWireError) -> [UInt8] {
        guard let context else { throw MySQLWireError(.malformed, "the zstd stream is not usable") }
        guard expected >= 0, expected <= limit else {
            throw MySQLWireError(.packetTooLarge, "compressed message says \(expected) bytes, more than the maximum of \(limit)")
        }
        var out = [UInt8](repeating: 0, count: expected + 1)  // one spare byte tells a message that says too little
        let (result, produced, consumed) = out.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in
                var input = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
                var output = ZSTD_outBuffer(dst: target.baseAddress, size: target.count, pos: 0)
                var result = 0
                repeat {
                    result = ZSTD_decompressStream(context, &output, &input)
                } while ZSTD_isError(result) == 0 && input.pos < input.size && output.pos < output.size
                return (result, output.pos, input.pos)
            }
        }
        guard ZSTD_isError(result) == 0 else {
            ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
            throw MySQLWireError(.malformed, "compressed message cannot be inflated (zstd: \(String(cString: ZSTD_getErrorName(result))))")
        }
        guard produced == expected, consumed == bytes.count else {
            throw MySQLWireError(.malformed, produced > expected || consumed < bytes.count
                ? "compressed message inflates to more than the \(expected) bytes it says"
                : "compressed message inflates to \(produced) bytes, it says \(expected)")
        }
        out.removeLast()
        return out
    }
}
