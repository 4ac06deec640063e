import FoundationEssentials
import MySQLWire
import MySQLXWire
import NIOCore
import SwiftProtobuf

/// X protocol compression (`deflate_stream` or `zstd_stream`), under the X handler once `CapabilitiesSet`
/// negotiated it: a client's `Mysqlx.Connection.Compression` (type 46) is inflated into the frames
/// it holds (several messages in one), other frames pass as they are; what the server writes (an
/// answer's messages together) goes out as one `Compression` message (type 19) when it is
/// large enough to be worth it. Both directions keep their zlib stream for the whole connection.
///
/// A message that lies about its size, inflates past `--max-packet-size` or is not zlib ends the
/// connection; nothing larger than the limit is allocated.
final class XCompressionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let clientCompression: UInt8 = 46
    static let serverCompression: UInt8 = 19
    /// Writes smaller than this go uncompressed.
    static let threshold = 100

    /// The algorithms, by the names the capability uses.
    static let algorithms = ["deflate_stream", "zstd_stream"]

    private enum Codec {
        case deflate(inflater: ZlibStream, deflater: ZlibStream)
        case zstd(ZstdStream)
    }

    private let codec: Codec
    private let maxSize: Int
    private var buffer = InboundBuffer()
    /// The server compresses only once the session is authenticated: clients (mysqlx-connector-
    /// python) turn their decompressor on after the login, so a long login error must go plain.
    var compressOutbound = false

    /// `algorithm` is one of `algorithms`.
    init(algorithm: String, maxSize: Int) {
        codec = algorithm == "zstd_stream" ? .zstd(ZstdStream()) : .deflate(inflater: ZlibStream(.inflate), deflater: ZlibStream(.deflate))
        self.maxSize = maxSize
    }

    private func inflate(_ bytes: [UInt8], expected: Int) throws(MySQLWireError) -> [UInt8] {
        switch codec {
        case .deflate(let inflater, _): try inflater.inflate(bytes, expected: expected, limit: maxSize)
        case .zstd(let stream): try stream.decompress(bytes, expected: expected, limit: maxSize)
        }
    }

    private func deflate(_ bytes: [UInt8]) throws(MySQLWireError) -> [UInt8] {
        switch codec {
        case .deflate(_, let deflater): try deflater.deflate(bytes)
        case .zstd(let stream): try stream.compress(bytes)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        buffer.append(unwrapInboundIn(data))
        var out = ByteBuffer()
        do {
            try buffer.consume { pending in try unwrap(&pending, into: &out) }
        } catch {
            context.fireErrorCaught(error)
            return
        }
        if out.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(out)) }
    }

    /// The frames in `pending`: each client `Compression` message inflated into what it holds,
    /// any other frame as it is.
    private func unwrap(_ pending: inout ByteBuffer, into out: inout ByteBuffer) throws {
        while let length = pending.getInteger(at: pending.readerIndex, endianness: .little, as: UInt32.self) {
            guard length >= 1, Int(length) <= maxSize else {
                throw MySQLWireError(.packetTooLarge, "X frame of \(length) bytes (at most \(maxSize))")
            }
            guard pending.readableBytes >= 4 + Int(length), var frame = pending.readSlice(length: 4 + Int(length)) else { break }
            guard frame.getInteger(at: frame.readerIndex + 4, as: UInt8.self) == Self.clientCompression else {
                out.writeBuffer(&frame)
                continue
            }
            let message = try Mysqlx_Connection_Compression(serializedBytes: Array(frame.readableBytesView.dropFirst(5)))
            let size = message.hasUncompressedSize ? Int(clamping: message.uncompressedSize) : -1
            guard size >= 0 else { throw MySQLWireError(.malformed, "a Compression message without uncompressed_size") }
            out.writeBytes(try inflate(Array(message.payload), expected: size))
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = unwrapOutboundIn(data)
        guard compressOutbound, bytes.readableBytes >= Self.threshold else { return context.write(data, promise: promise) }
        do {
            var message = Mysqlx_Connection_Compression()
            message.uncompressedSize = UInt64(bytes.readableBytes)
            message.payload = Data(try deflate(Array(bytes.readableBytesView)))
            var out = context.channel.allocator.buffer(capacity: message.payload.count + 32)
            try XFramer.write(type: Self.serverCompression, message: message, to: &out)
            context.write(wrapOutboundOut(out), promise: promise)
        } catch {
            promise?.fail(error)
            context.fireErrorCaught(error)
        }
    }
}
