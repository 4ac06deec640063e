import NIOCore
import NIOHTTPTypes

/// Closes an admin connection whose request takes too long to arrive: from the first bytes of a
/// request to its end (head and body), at most `timeout`. Against a client that trickles a header
/// a byte a second, which the idle timeout (reset by every read) never catches.
///
/// It sits after HTTP decoding, so it sees a request's bytes only as `channelReadComplete` until
/// the head is decoded; a read while no request is in progress starts the clock, the request's
/// `.end` stops it. An idle keep-alive connection is left to the idle timeout.
final class AdminRequestTimeout: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    /// A request's `.end` has been received and its response not yet sent: reads now are the next
    /// pipelined request's, which the clock starts for once this response is done.
    private var answering = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            timer?.cancel()
            timer = nil
            answering = true
        } else {
            startClock(context: context)
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        startClock(context: context)
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { answering = false }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    private func startClock(context: ChannelHandlerContext) {
        guard timer == nil, !answering else { return }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            bound.value.close(promise: nil)
        }
    }
}
