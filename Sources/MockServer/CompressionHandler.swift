import MySQLWire
import NIOCore

/// The compressed protocol under the classic handler, once the login negotiated it: inbound
/// frames are inflated into the packet stream the handler reads, and what the handler writes is
/// compressed into frames. The frames' sequence id runs on from the client's last frame (each
/// command starts again at 0), independently of the packets' own ids.
///
/// A frame that lies about its length, inflates past `--max-packet-size` or does not inflate ends
/// the connection (logged); nothing larger than the limit is ever allocated.
final class CompressionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let decoder: CompressedFrameDecoder
    private let encoder: CompressedFrameEncoder
    private var buffer = InboundBuffer()
    /// The next frame's sequence id: one past the client's last.
    private var sequenceID: UInt8 = 0

    init(algorithm: CompressionAlgorithm, level: Int32?, maxPayload: Int) {
        decoder = CompressedFrameDecoder(algorithm: algorithm, maxPayload: maxPayload)
        encoder = CompressedFrameEncoder(algorithm: algorithm, level: level)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        buffer.append(unwrapInboundIn(data))
        var inflated: ByteBuffer?
        do {
            try buffer.consume { (pending) throws(MySQLWireError) in
                while let frame = try decoder.nextFrame(from: &pending) {
                    sequenceID = frame.sequenceID &+ 1
                    var payload = frame.payload
                    if inflated == nil { inflated = payload } else { inflated?.writeBuffer(&payload) }
                }
            }
        } catch {
            context.fireErrorCaught(error)
            return
        }
        if let inflated { context.fireChannelRead(wrapInboundOut(inflated)) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = unwrapOutboundIn(data)
        var out = context.channel.allocator.buffer(capacity: bytes.readableBytes / 2 + 16)
        encoder.encode(bytes, sequenceID: &sequenceID, into: &out)
        context.write(wrapOutboundOut(out), promise: promise)
    }
}
