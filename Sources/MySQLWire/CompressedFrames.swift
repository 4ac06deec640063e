import CZlib
import CZstd
import NIOCore

/// The classic protocol's compressed packet format (CLIENT_COMPRESS with zlib,
/// CLIENT_ZSTD_COMPRESSION_ALGORITHM with zstd), below the ordinary packets. Pure: no I/O.
///
/// ```
/// int<3>  length of the compressed payload
/// int<1>  compressed sequence id
/// int<3>  length of the payload before compression; 0: the payload is not compressed
/// string[length] payload: ordinary packets (with their own 4-byte headers), whole or in parts,
///                 compressed with the negotiated algorithm unless the length above is 0
/// ```
///
/// One frame may hold several packets or part of one; a payload of at most 0xFFFFFF bytes is
/// compressed per frame. Payloads under 50 bytes are sent uncompressed (MySQL's
/// `MIN_COMPRESS_LENGTH`). The compressed sequence id restarts at 0 with each command and runs on
/// through its answer, independently of the packets' own ids.
public enum CompressionAlgorithm: String, Sendable, Hashable, CaseIterable {
    case zlib
    case zstd
}

/// Cuts compressed frames off a byte stream and inflates them. A frame that says more than
/// `maxPayload` bytes (compressed or not) is refused before anything is inflated, and an inflated
/// payload must be exactly the length its header says: a compression bomb or a lying length costs
/// at most `maxPayload` bytes of memory.
public struct CompressedFrameDecoder: Sendable {
    public var algorithm: CompressionAlgorithm
    /// Largest payload of one frame, before or after inflating (at most 0xFFFFFF on the wire).
    public var maxPayload: Int

    public init(algorithm: CompressionAlgorithm, maxPayload: Int = 0xFF_FFFF) {
        self.algorithm = algorithm
        self.maxPayload = min(maxPayload, 0xFF_FFFF)
    }

    /// The next frame's sequence id and its payload (inflated), or `nil` if more bytes are needed.
    public func nextFrame(from buffer: inout ByteBuffer) throws(MySQLWireError) -> (sequenceID: UInt8, payload: ByteBuffer)? {
        let start = buffer.readerIndex
        guard buffer.readableBytes >= 7,
              let low = buffer.getInteger(at: start, endianness: .little, as: UInt16.self),
              let high = buffer.getInteger(at: start + 2, as: UInt8.self),
              let sequenceID = buffer.getInteger(at: start + 3, as: UInt8.self),
              let rawLow = buffer.getInteger(at: start + 4, endianness: .little, as: UInt16.self),
              let rawHigh = buffer.getInteger(at: start + 6, as: UInt8.self)
        else { return nil }
        let length = Int(low) | Int(high) << 16
        let inflated = Int(rawLow) | Int(rawHigh) << 16
        let header = buffer.getSlice(at: start, length: 7)
        guard length <= maxPayload, inflated <= maxPayload else {
            throw MySQLWireError(.packetTooLarge, "compressed frame of \(length) bytes (\(inflated) inflated) is larger "
                                 + "than the maximum of \(maxPayload)", bytes: header)
        }
        guard buffer.readableBytes >= 7 + length else { return nil }
        buffer.moveReaderIndex(forwardBy: 7)
        guard var compressed = buffer.readSlice(length: length) else { return nil }
        if inflated == 0 { return (sequenceID, compressed) }
        let out = try compressed.withUnsafeMutableReadableBytes { (source) throws(MySQLWireError) -> [UInt8] in
            try Self.inflate(source, to: inflated, algorithm: algorithm, header: header)
        }
        return (sequenceID, ByteBuffer(bytes: out))
    }

    static func inflate(_ source: UnsafeMutableRawBufferPointer, to size: Int, algorithm: CompressionAlgorithm,
                        header: ByteBuffer?) throws(MySQLWireError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        let produced: Int
        switch algorithm {
        case .zlib:
            var length = uLong(size)
            let status = out.withUnsafeMutableBytes { target in
                uncompress(target.baseAddress?.assumingMemoryBound(to: Bytef.self), &length,
                           source.baseAddress?.assumingMemoryBound(to: Bytef.self), uLong(source.count))
            }
            guard status == Z_OK else {
                let why = status == Z_BUF_ERROR ? "inflates to more than the \(size) bytes its header says"
                    : status == Z_DATA_ERROR ? "is not a zlib stream (corrupt)" : "cannot be inflated (zlib \(status))"
                throw MySQLWireError(.malformed, "compressed frame \(why)", bytes: header)
            }
            produced = Int(length)
        case .zstd:
            let result = out.withUnsafeMutableBytes { target in
                ZSTD_decompress(target.baseAddress, size, source.baseAddress, source.count)
            }
            guard ZSTD_isError(result) == 0 else {
                let name = String(cString: ZSTD_getErrorName(result))
                throw MySQLWireError(.malformed, "compressed frame cannot be inflated (zstd: \(name))", bytes: header)
            }
            produced = result
        }
        guard produced == size else {
            throw MySQLWireError(.malformed, "compressed frame inflates to \(produced) bytes, its header says \(size)",
                                 bytes: header)
        }
        return out
    }
}

/// Compresses outbound bytes (whole packets) into frames.
public struct CompressedFrameEncoder: Sendable {
    public var algorithm: CompressionAlgorithm
    /// zlib 1–9 (default 6), zstd 1–22 (default 3, or what the client asked for).
    public var level: Int32
    /// Payloads shorter than this go uncompressed (MySQL's `MIN_COMPRESS_LENGTH`).
    public static let threshold = 50

    public init(algorithm: CompressionAlgorithm, level: Int32? = nil) {
        self.algorithm = algorithm
        switch algorithm {
        case .zlib: self.level = min(max(level ?? Z_DEFAULT_COMPRESSION, -1), 9)
        case .zstd: self.level = min(max(level ?? 3, 1), 22)
        }
    }

    /// `bytes` as frames, numbered from `sequenceID` on (which ends one past the last frame's).
    public func encode(_ bytes: ByteBuffer, sequenceID: inout UInt8, into out: inout ByteBuffer) {
        var rest = bytes
        repeat {
            guard var chunk = rest.readSlice(length: min(rest.readableBytes, 0xFF_FFFF)) else { break }
            let compressed = chunk.readableBytes < Self.threshold ? nil : deflate(chunk)
            let payloadLength = compressed?.count ?? chunk.readableBytes
            out.writeInteger(UInt16(truncatingIfNeeded: payloadLength), endianness: .little)
            out.writeInteger(UInt8(truncatingIfNeeded: payloadLength >> 16))
            out.writeInteger(sequenceID)
            let inflated = compressed == nil ? 0 : chunk.readableBytes
            out.writeInteger(UInt16(truncatingIfNeeded: inflated), endianness: .little)
            out.writeInteger(UInt8(truncatingIfNeeded: inflated >> 16))
            if let compressed { out.writeBytes(compressed) } else { out.writeBuffer(&chunk) }
            sequenceID &+= 1
        } while rest.readableBytes > 0
    }

    /// The compressed bytes, or `nil` when compressing does not make them smaller.
    func deflate(_ chunk: ByteBuffer) -> [UInt8]? {
        chunk.withUnsafeReadableBytes { source -> [UInt8]? in
            switch algorithm {
            case .zlib:
                var length = compressBound(uLong(source.count))
                var out = [UInt8](repeating: 0, count: Int(length))
                let status = out.withUnsafeMutableBytes { target in
                    compress2(target.baseAddress?.assumingMemoryBound(to: Bytef.self), &length,
                              source.baseAddress?.assumingMemoryBound(to: Bytef.self), uLong(source.count), level)
                }
                guard status == Z_OK, Int(length) < source.count else { return nil }
                out.removeSubrange(Int(length)...)
                return out
            case .zstd:
                var out = [UInt8](repeating: 0, count: ZSTD_compressBound(source.count))
                let written = out.withUnsafeMutableBytes { target in
                    ZSTD_compress(target.baseAddress, target.count, source.baseAddress, source.count, level)
                }
                guard ZSTD_isError(written) == 0, written < source.count else { return nil }
                out.removeSubrange(written...)
                return out
            }
        }
    }
}
