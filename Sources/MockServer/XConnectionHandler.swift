import FoundationEssentials
import Logging
import MockModel
import MySQLXWire
import NIOCore
import NIOSSL
import NIOTLS

/// Runs one X protocol connection: frames, the `XConnectionStateMachine`, the trace's responder.
/// Like the classic handler, it holds further frames while a delayed (`exec_time`) answer waits.
final class XConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let configuration: ServerConfiguration
    private let registry: SessionRegistry
    private let listenerName: String
    private var session: SessionInfo
    private let logger: ConnectionLogger
    private var stateMachine: XConnectionStateMachine
    private var framer: XFramer
    private var responder: (any StatementResponder)?
    private var inbound: ByteBuffer?
    private var busy = false
    private var statementCounter: SessionRegistry.StatementCounter?
    private var delayed: Scheduled<Void>?
    private var tlsFacts: TLSHandshakeFacts?
    private let timers: LoopTimers
    /// Closes the connection if it has not authenticated within `--connect-timeout`.
    private var connectTimer: ExpiryQueue.Entry?

    init(configuration: ServerConfiguration, registry: SessionRegistry, listenerName: String, session: SessionInfo,
         peerHost: String, unixSocket: Bool, timers: LoopTimers) {
        self.configuration = configuration
        self.timers = timers
        self.registry = registry
        self.listenerName = listenerName
        self.session = session
        self.framer = XFramer(maxFrameSize: configuration.maxPacketSize)
        self.stateMachine = XConnectionStateMachine(configuration: .init(
            connectionID: session.connectionID, peerHost: peerHost, tlsAvailable: configuration.tls.enabled,
            unixSocket: unixSocket))
        self.logger = ConnectionLogger(base: configuration.logger, connectionID: session.connectionID)
    }

    // MARK: Inbound

    func channelActive(context: ChannelHandlerContext) {
        let (statements, open) = registry.add(session.connectionID, channel: context.channel, listener: listenerName,
                     snapshot: SessionSnapshot(connectionID: session.connectionID, wireProtocol: "x", peer: session.peer,
                                               connectedSince: ClassicConnectionHandler.now(), statements: 0))
        logger.info("accepted from \(session.peer) (X protocol)")
        statementCounter = statements
        if open > configuration.maxConnections {
            send([.error(code: 1040, sqlState: "08004", message: "Too many connections", fatal: true)], close: true,
                 context: context)
            context.fireChannelActive()
            return
        }
        connectTimer = timers.armConnectTimeout(logger: logger, context: context)
        responder = configuration.trace.makeResponder(for: session)
        var hello = ByteBuffer()
        var frame = Mysqlx_Notice_Frame()
        frame.type = 5
        frame.scope = .global
        try? XFramer.write(type: XServerType.notice, message: frame, to: &hello)
        context.writeAndFlush(wrapOutboundOut(hello), promise: nil)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timers.connect.cancel(connectTimer)
        delayed?.cancel()
        registry.remove(session.connectionID)
        logger.info("closed")
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        ConnectionHandlerSupport.accumulate(unwrapInboundIn(data), into: &inbound)
        processInbound(context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        ConnectionHandlerSupport.log(error, to: logger)
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            let facts = tlsFacts ?? TLSHandshakeFacts()
            (session.tlsCipher, session.sslSessionCacheHits) = configuration.tls.handshakeCompleted(facts)
            responder?.sessionChanged(session)
            registry.update(session.connectionID) { $0.tlsCipher = facts.cipher }
            stateMachine.tlsHandshakeCompleted()
            processInbound(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func processInbound(context: ChannelHandlerContext) {
        while !busy, context.channel.isActive, var buffer = inbound {
            inbound = nil
            let frame: XFrame?
            do {
                frame = try framer.nextFrame(from: &buffer)
            } catch {
                logger.notice("closing: \(error)")
                send([.error(code: 5000, sqlState: "HY000", message: "\(error)", fatal: true)], close: true,
                     context: context)
                return
            }
            if buffer.readableBytes > 0 { inbound = buffer }
            guard let frame else { return }
            let message: XClientMessage
            do {
                message = try XClientMessage(frame)
            } catch {
                logger.notice("closing: \(error)")
                send([.error(code: 5000, sqlState: "HY000", message: "Bad Message: \(error)", fatal: true)], close: true,
                     context: context)
                return
            }
            run(stateMachine.messageReceived(message) { [responder] in responder?.handshake(.auth) ?? HandshakeScript() },
                context: context)
        }
    }

    // MARK: Actions

    private func run(_ action: XConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .send(let messages, let after):
            switch after {
            case .keepOpen: send(messages, close: false, context: context)
            case .close: send(messages, close: true, context: context)
            case .startTLS:
                send(messages, close: false, context: context)
                startTLS(context: context)
            case .authenticated(let user, let schema):
                timers.connect.cancel(connectTimer)
                connectTimer = nil
                session.user = user
                session.schema = schema
                responder?.sessionChanged(session)
                registry.update(from: session)
                send(messages, close: false, context: context)
                scheduleNotices(context: context)
            }
        case .execute(let statement):
            guard let responder else { return }
            let received = ClassicConnectionHandler.now()
            let response = responder.respond(to: statement)
            logger.debug("X> \(statement)")
            configuration.journal.append(JournalEntry(
                connectionID: session.connectionID, wireProtocol: "x", user: session.user, statement: statement,
                answeredBy: response.answeredBy, kind: response.kindName, receivedAt: received,
                answeredAt: ClassicConnectionHandler.now()))
            statementCounter?.increment()
            var buffer = context.channel.allocator.buffer(capacity: 256)
            XResponseEncoder.write(response, to: &buffer)
            guard response.execTime > .zero else {
                context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
                return
            }
            busy = true
            delayed = context.eventLoop.assumeIsolated().scheduleTask(in: .init(response.execTime)) { [weak self] in
                guard let self else { return }
                self.busy = false
                context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
                self.processInbound(context: context)
            }
        }
    }

    private func send(_ messages: [XConnectionStateMachine.Outbound], close: Bool, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 128)
        for message in messages { XResponseEncoder.write(message, to: &buffer) }
        guard context.channel.isActive else { return }
        let written = context.writeAndFlush(wrapOutboundOut(buffer))
        if close { written.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }

    /// The trace's notices, each `send_offset` after AuthenticateOk; the ones due at the same
    /// time go out together.
    private func scheduleNotices(context: ChannelHandlerContext) {
        let notices = responder?.notices() ?? []
        let byOffset = Dictionary(grouping: notices, by: \.sendOffset)
        for (offset, due) in byOffset {
            context.eventLoop.assumeIsolated().scheduleTask(in: .init(offset)) { [weak self] in
                guard let self, context.channel.isActive else { return }
                var buffer = context.channel.allocator.buffer(capacity: 64)
                for notice in due { try? Self.writeNotice(notice, to: &buffer) }
                context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
            }
        }
    }

    static func writeNotice(_ notice: NoticeSpec, to buffer: inout ByteBuffer) throws {
        var frame = Mysqlx_Notice_Frame()
        frame.scope = notice.scope == .global ? .global : .local
        switch notice.kind {
        case .warning(let level, let code, let message):
            var w = Mysqlx_Notice_Warning()
            w.level = Mysqlx_Notice_Warning.Level(rawValue: Int(level)) ?? .warning
            w.code = code
            w.msg = message
            frame.type = 1
            frame.payload = try w.serializedData()
        case .sessionVariableChanged(let name, let value):
            var v = Mysqlx_Notice_SessionVariableChanged()
            v.param = name
            v.value = .string(value)
            frame.type = 2
            frame.payload = try v.serializedData()
        case .sessionStateChanged(let parameter, let value):
            var c = Mysqlx_Notice_SessionStateChanged()
            c.param = Mysqlx_Notice_SessionStateChanged.Parameter(rawValue: Int(parameter)) ?? .producedMessage
            c.value = [.string(value)]
            frame.type = 3
            frame.payload = try c.serializedData()
        case .groupReplicationStateChanged(let type, let viewID):
            var g = Mysqlx_Notice_GroupReplicationStateChanged()
            g.type = type
            if let viewID { g.viewID = viewID }
            frame.type = 4
            frame.payload = try g.serializedData()
        case .serverHello:
            frame.type = 5
        }
        try XFramer.write(type: XServerType.notice, message: frame, to: &buffer)
    }

    /// TLS after CapabilitiesSet(tls): bytes that came in behind the request are an attack (the
    /// client must wait for Ok), so the connection is closed.
    private func startTLS(context: ChannelHandlerContext) {
        if let early = inbound, early.readableBytes > 0 {
            logger.notice("closing: data after CapabilitiesSet(tls) before the TLS handshake")
            context.close(promise: nil)
            return
        }
        do {
            tlsFacts = try configuration.tls.install(in: context)
        } catch {
            context.close(promise: nil)
        }
    }
}
