import MockModel
import MockServer
import MySQLWire
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// One logged-in session with the upstream server, on one event loop (the client connection's
/// own, so an answer never changes threads). Runs one command at a time; `run` is called again
/// only after the previous reply.
///
/// Not `Sendable`: used on its event loop only.
final class UpstreamSession {
    typealias Reply = (Result<[StatementResponse], UpstreamFailure>) -> Void

    private let channel: any Channel
    private let handler: UpstreamSessionHandler

    private init(channel: any Channel, handler: UpstreamSessionHandler) {
        self.channel = channel
        self.handler = handler
    }

    /// Connects and logs in; `done` runs on `eventLoop` with the session or why there is none.
    static func open(_ endpoint: UpstreamEndpoint, login: UpstreamSessionStateMachine.Login, on eventLoop: any EventLoop,
                     done: @escaping (Result<UpstreamSession, UpstreamFailure>) -> Void) {
        let handler = UpstreamSessionHandler(
            machine: UpstreamSessionStateMachine(login: login, tls: endpoint.tls.policy), endpoint: endpoint)
        let boundHandler = NIOLoopBound(handler, eventLoop: eventLoop)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(endpoint.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(boundHandler.value)
                }
            }
        let connecting: EventLoopFuture<any Channel> = switch endpoint.address {
        case .tcp(let host, let port): bootstrap.connect(host: host, port: port)
        case .unixSocket(let path): bootstrap.connect(unixDomainSocketPath: path)
        }
        let bound = NIOLoopBound((handler, done), eventLoop: eventLoop)
        connecting.hop(to: eventLoop).whenComplete { result in
            let (handler, done) = bound.value
            switch result {
            case .failure(let error):
                done(.failure(UpstreamFailure(.unreachable, UpstreamEndpoint.describe(error))))
            case .success(let channel):
                handler.whenLoggedIn { result in
                    done(result.map { UpstreamSession(channel: channel, handler: handler) })
                }
            }
        }
    }

    /// Sends `command` and calls `reply` with the answer (on the session's event loop).
    func run(_ command: ClientCommand, reply: @escaping Reply) {
        handler.run(command, reply: reply)
    }

    /// The server's greeting.
    var greeting: HandshakeV10? { handler.greeting }

    /// `true` while the session can take a command.
    var isUsable: Bool { channel.isActive && handler.isReady }

    func close() {
        channel.close(promise: nil)
    }
}

/// Drives the session's state machine from the channel's events.
final class UpstreamSessionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine: UpstreamSessionStateMachine
    private let endpoint: UpstreamEndpoint
    private var framer: PacketFramer
    private var buffer = InboundBuffer()
    private var context: ChannelHandlerContext?
    /// Told once, when the login succeeds or fails.
    private var loggedIn: ((Result<Void, UpstreamFailure>) -> Void)?
    /// A login outcome that came before anyone listened.
    private var loginOutcome: Result<Void, UpstreamFailure>?
    private var loginFinished = false
    private var reply: UpstreamSession.Reply?
    private(set) var greeting: HandshakeV10?

    init(machine: UpstreamSessionStateMachine, endpoint: UpstreamEndpoint) {
        self.machine = machine
        self.endpoint = endpoint
        self.framer = PacketFramer(maxPacketSize: endpoint.maxPacketSize)
    }

    var isReady: Bool { machine.isReady }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func run(_ command: ClientCommand, reply: @escaping UpstreamSession.Reply) {
        guard let context, context.channel.isActive else {
            return reply(.failure(UpstreamFailure(.lost, "the upstream connection is closed")))
        }
        self.reply = reply
        perform(machine.send(command), context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        buffer.append(unwrapInboundIn(data))
        buffer.consume { pending in
            while context.channel.isActive {
                let packet: Packet?
                do {
                    packet = try framer.nextPacket(from: &pending)
                } catch {
                    perform(.failed(UpstreamFailure(.malformed, "\(error)")), context: context)
                    return
                }
                guard let packet else { return }
                perform(machine.packetReceived(packet), context: context)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            perform(machine.tlsEstablished(), context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(machine.connectionClosed("the server closed the connection"), context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let tls = error is NIOSSLError || error is BoringSSLError
        perform(machine.connectionClosed(UpstreamEndpoint.describe(error), tls: tls), context: context)
        context.close(promise: nil)
    }

    private func perform(_ action: UpstreamSessionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .write(let bytes):
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        case .writeAndStartTLS(let bytes):
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
            do {
                let handler = try NIOSSLClientHandler(context: endpoint.tls.context(), serverHostname: endpoint.tls.serverHostname)
                try context.pipeline.syncOperations.addHandler(handler, position: .before(self))
            } catch {
                perform(.failed(UpstreamFailure(.tls, "cannot start TLS: \(error)")), context: context)
            }
        case .loggedIn(let greeting):
            self.greeting = greeting
            finishLogin(.success(()))
        case .answered(let responses):
            let reply = self.reply
            self.reply = nil
            reply?(.success(responses))
        case .failed(let failure):
            context.close(promise: nil)
            if let reply {
                self.reply = nil
                reply(.failure(failure))
            } else {
                finishLogin(.failure(failure))
            }
        }
    }

    /// `callback` hears the login's outcome (now, if it is known).
    func whenLoggedIn(_ callback: @escaping (Result<Void, UpstreamFailure>) -> Void) {
        if let loginOutcome {
            self.loginOutcome = nil
            callback(loginOutcome)
        } else {
            loggedIn = callback
        }
    }

    private func finishLogin(_ outcome: Result<Void, UpstreamFailure>) {
        guard !loginFinished else { return }
        loginFinished = true
        if let loggedIn {
            self.loggedIn = nil
            loggedIn(outcome)
        } else {
            loginOutcome = outcome
        }
    }
}
