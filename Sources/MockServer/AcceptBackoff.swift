import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// On a listening channel: when `accept` fails for want of resources (no descriptor left in the
/// process or the system, no kernel memory), stop reading the listener for `pause`, then try
/// again. The clients wait in the listen backlog meanwhile, and are served as soon as a
/// descriptor is free.
///
/// NIO's own `AcceptBackoffHandler` delays the next `read()`, but after a failed accept the
/// channel still has a read pending, so it stays registered for readability and epoll (level-
/// triggered) reports the listener readable at once, again and again: a loop at full CPU that
/// serves nobody, as the attack run measured. Turning `autoRead` off unregisters the listener from
/// the selector for the pause.
final class AcceptBackoff: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    /// Short enough that a freed descriptor is used at once, long enough to cost nothing.
    static let pause = TimeAmount.milliseconds(50)

    private let logger: Logger
    private var resume: Scheduled<Void>?
    /// Reading is off until the pause ends.
    var isPaused: Bool { resume != nil }
    private var lastLogged: NIODeadline?

    init(logger: Logger) {
        self.logger = logger
    }

    /// The errors worth waiting out: EMFILE, ENFILE, ENOBUFS, ENOMEM.
    static func isResourceShortage(_ errno: Int32) -> Bool {
        errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let ioError = error as? IOError, Self.isResourceShortage(ioError.errnoCode) else {
            context.fireErrorCaught(error)
            return
        }
        let now = NIODeadline.now()
        if lastLogged.map({ now - $0 >= .seconds(1) }) ?? true {
            lastLogged = now
            logger.warning("cannot accept a connection: \(String(cString: strerror(ioError.errnoCode))); trying again every \(Self.pause.nanoseconds / 1_000_000) ms")
        }
        guard resume == nil, let options = context.channel.syncOptions else { return }
        try? options.setOption(.autoRead, value: false)
        let channel = context.channel
        resume = context.eventLoop.scheduleTask(in: Self.pause) { [self] in
            resume = nil
            try? channel.syncOptions?.setOption(.autoRead, value: true)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        resume?.cancel()
        resume = nil
        context.fireChannelInactive()
    }
}
