import Logging
import MockModel
import MySQLWire
import NIOCore
import NIOSSL
import NIOTLS

#if canImport(Glibc)
import Glibc
#endif

/// Runs one classic-protocol connection: frames inbound bytes into packets, feeds them to the
/// `ClassicConnectionStateMachine`, and performs the actions it returns (asks the trace's
/// responder, writes packets, waits `exec_time`, closes).
///
/// Everything happens on the channel's event loop. While a response is delayed, further packets
/// stay in the inbound buffer, so pipelined commands are answered in order.
final class ClassicConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let configuration: ServerConfiguration
    private let registry: SessionRegistry
    private let listenerName: String
    private var session: SessionInfo
    private let logger: ConnectionLogger
    private var stateMachine: ClassicConnectionStateMachine
    private var framer: PacketFramer
    private var responder: (any StatementResponder)?
    private var inbound: ByteBuffer?
    /// A delayed greeting or response is pending: leave inbound packets buffered until it is sent.
    private var busy = false
    private var statementCounter: SessionRegistry.StatementCounter?
    private let timers: LoopTimers
    private var connectTimer: ExpiryQueue.Entry?
    private var idleTimer: ExpiryQueue.Entry?
    /// After COM_QUIT: closes if the client has not closed within a second.
    private var quitTimer: ExpiryQueue.Entry?
    /// The client is not reading: responses pile up, so stop reading its commands until it does.
    private var paused = false
    private var delayed: Scheduled<Void>?

    private var tlsFacts: TLSHandshakeFacts?

    init(configuration: ServerConfiguration, registry: SessionRegistry, listenerName: String, session: SessionInfo,
         peerHost: String, unixSocket: Bool = false, timers: LoopTimers) {
        self.configuration = configuration
        self.timers = timers
        self.registry = registry
        self.listenerName = listenerName
        self.session = session
        self.framer = PacketFramer(maxPacketSize: configuration.maxPacketSize)
        var machine = ClassicConnectionStateMachine.Configuration(connectionID: session.connectionID, peerHost: peerHost)
        machine.tlsAvailable = configuration.tls.enabled
        machine.tlsRequired = configuration.tls.mode == .required
        machine.unixSocket = unixSocket
        machine.passwordKeys = configuration.passwordKeys
        self.stateMachine = ClassicConnectionStateMachine(configuration: machine)
        self.logger = ConnectionLogger(base: configuration.logger, connectionID: session.connectionID)
    }

    // MARK: Inbound

    func channelActive(context: ChannelHandlerContext) {
        let (statements, open) = registry.add(session.connectionID, channel: context.channel, listener: listenerName,
                     snapshot: SessionSnapshot(connectionID: session.connectionID, wireProtocol: "classic",
                                               peer: session.peer, connectedSince: Self.now(), statements: 0))
        logger.info("accepted from \(session.peer)")
        statementCounter = statements
        if open > configuration.maxConnections {
            logger.notice("refusing: more than \(configuration.maxConnections) connections")
            var writer = PacketWriter(buffer: context.channel.allocator.buffer(capacity: 64), sequenceID: 0)
            let err = ERRPacket(code: ErrorCode.tooManyConnections, sqlState: "08004", message: "Too many connections")
            writer.writePacket { err.write(to: &$0) }
            write(writer.buffer, close: true, context: context)
            context.fireChannelActive()
            return
        }
        connectTimer = timers.armConnectTimeout(logger: logger, context: context)
        let responder = configuration.trace.makeResponder(for: session)
        self.responder = responder
        run(stateMachine.connectionStarted(script: responder.handshake(.greeting)), context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timers.connect.cancel(connectTimer)
        timers.idle?.cancel(idleTimer)
        timers.quitGrace.cancel(quitTimer)
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
            let peer = (try? context.pipeline.syncOperations.nioSSL_peerCertificate()).flatMap { $0 }.map {
                ClassicConnectionStateMachine.PeerCertificate(subject: Self.oneLine($0.subjectName),
                                                              issuer: Self.oneLine($0.issuerName))
            }
            let certificateText = peer.map { ", client certificate \($0.subject) issued by \($0.issuer)" } ?? ""
            logger.info("TLS established: \(facts.cipher ?? "?")\(facts.resumed ? " (resumed)" : "")\(certificateText)")
            responder?.sessionChanged(session)
            registry.update(session.connectionID) { $0.tlsCipher = facts.cipher }
            run(stateMachine.tlsHandshakeCompleted(peerCertificate: peer), context: context)
            processInbound(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, paused {
            paused = false
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            processInbound(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    /// Restarts the `--wait-timeout` clock (after each command once authenticated).
    private func armIdleTimer(context: ChannelHandlerContext) {
        guard let idle = timers.idle, responderAuthenticated else { return }
        idle.cancel(idleTimer)
        idleTimer = idle.arm {
            self.logger.notice("closing: idle longer than the wait timeout")
            var writer = PacketWriter(buffer: context.channel.allocator.buffer(capacity: 64), sequenceID: 0)
            let err = ERRPacket(code: 4031, sqlState: "HY000",
                                message: "The client was disconnected by the server because of inactivity.")
            writer.writePacket { err.write(to: &$0) }
            self.write(writer.buffer, close: true, context: context)
        }
    }

    private var responderAuthenticated = false

    private func processInbound(context: ChannelHandlerContext) {
        while !busy, !paused, context.channel.isActive, var buffer = inbound {
            inbound = nil
            let packet: Packet?
            do {
                packet = try framer.nextPacket(from: &buffer)
            } catch {
                logger.notice("closing: \(error)")
                run(stateMachine.wireErrorReceived(error), context: context)
                return
            }
            if buffer.readableBytes > 0 {
                if buffer.readerIndex > 65536 { buffer.discardReadBytes() }
                inbound = buffer
            }
            guard let packet else { return }
            let action = stateMachine.packetReceived(packet) { [responder] in
                responder?.handshake(.auth) ?? HandshakeScript()
            }
            run(action, context: context)
        }
    }

    // MARK: Actions

    private func run(_ action: ClassicConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .close:
            context.close(promise: nil)
        case .startTLS:
            startTLS(context: context)
        case .awaitClientClose:
            timers.quitGrace.cancel(quitTimer)
            quitTimer = timers.quitGrace.arm { context.close(promise: nil) }
        case .sendGreeting(let greeting, let delay):
            var writer = PacketWriter(buffer: context.channel.allocator.buffer(capacity: 128), sequenceID: 0)
            writer.writePacket { greeting.write(to: &$0) }
            send(writer.buffer, after: delay, context: context)
        case .write(let packets, let sequenceID, let after):
            let encoder = ClassicResponseEncoder(capabilities: stateMachine.capabilities)
            var writer = PacketWriter(buffer: context.channel.allocator.buffer(capacity: 256), sequenceID: sequenceID)
            for packet in packets { encoder.write(packet, to: &writer) }
            if after == .sessionChanged {
                timers.connect.cancel(connectTimer)
                connectTimer = nil
                responderAuthenticated = true
                session.user = stateMachine.user
                session.schema = stateMachine.schema
                responder?.sessionChanged(session)
                registry.update(from: session)
            }
            write(writer.buffer, close: after == .close, context: context)
        case .answerQuery(let statement, let sequenceID):
            guard let responder else { return }
            let received = Self.now()
            let response = responder.respond(to: statement)
            let answered = Self.now()
            logger.debug("(\(Int((answered - received) * 1e6)) us)> \(statement)")
            configuration.journal.append(JournalEntry(
                sequence: 0, connectionID: session.connectionID, wireProtocol: "classic", user: session.user,
                statement: statement, answeredBy: response.answeredBy, kind: response.kindName, receivedAt: received,
                answeredAt: answered))
            statementCounter?.increment()
            send(encode(response, sequenceID: sequenceID, allocator: context.channel.allocator), after: response.execTime,
                 context: context)
        }
    }

    /// A statement response's packets from `sequenceID` on: pre-encoded bytes for cacheable
    /// (fixed) responses, encoded now otherwise.
    private func encode(_ response: StatementResponse, sequenceID: UInt8, allocator: ByteBufferAllocator) -> ByteBuffer {
        let encoder = ClassicResponseEncoder(capabilities: stateMachine.capabilities)
        let fresh = {
            var writer = PacketWriter(buffer: allocator.buffer(capacity: 256), sequenceID: sequenceID)
            encoder.write(response, to: &writer)
            return writer.buffer
        }
        guard let key = response.cacheKey else { return fresh() }
        return configuration.responseCache.bytes(response: key, capabilities: encoder.capabilities, sequenceID: sequenceID,
                                                  encode: fresh)
    }

    /// Seconds since 1970 (wall clock).
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// A certificate name in OpenSSL's one-line form: `/C=DE/ST=Berlin/O=Org/CN=name`.
    static func oneLine(_ names: [SSLCertificateName]) -> String {
        let short: [(SSLCertificateNameType, String)] = [
            (.country, "C"), (.state, "ST"), (.city, "L"), (.organization, "O"), (.organizationalUnit, "OU"),
            (.commonName, "CN"), (.emailAddress, "emailAddress"), (.userId, "UID"),
        ]
        return names.map { name in
            let key = short.first { $0.0 == name.type }?.1 ?? "?"
            return "/\(key)=\(name.value)"
        }.joined()
    }

    /// Puts TLS in front of this handler; bytes that came in behind the SSLRequest (clients send
    /// their ClientHello without waiting) go through it first.
    private func startTLS(context: ChannelHandlerContext) {
        do {
            tlsFacts = try configuration.tls.install(in: context)
        } catch {
            logger.notice("closing: cannot start TLS: \(error)")
            context.close(promise: nil)
            return
        }
        if let early = inbound, early.readableBytes > 0 {
            inbound = nil
            context.pipeline.fireChannelRead(NIOAny(early))
        }
    }

    /// Writes `bytes` now, or after `delay` (holding further inbound packets meanwhile).
    private func send(_ bytes: ByteBuffer, after delay: Duration, context: ChannelHandlerContext) {
        guard delay > .zero else {
            write(bytes, close: false, context: context)
            return
        }
        busy = true
        delayed = context.eventLoop.assumeIsolated().scheduleTask(in: .init(delay)) { [weak self] in
            guard let self else { return }
            self.busy = false
            self.delayed = nil
            self.write(bytes, close: false, context: context)
            self.processInbound(context: context)
        }
    }

    private func write(_ buffer: ByteBuffer, close: Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        if close {
            context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        armIdleTimer(context: context)
        if !context.channel.isWritable, !paused {
            // Backpressure: the client does not read; stop reading from it instead of buffering.
            paused = true
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
