import MockModel
import MySQLWire
import MySQLXWire
import NIOCore
import NIOTLS

/// Runs one X protocol connection: frames, the `XConnectionStateMachine`, and what it returns.
/// Everything shared with the classic protocol (registry, timers, responder, journal, TLS, the read
/// gate) is the `ConnectionCore`'s, so X sessions get the same backpressure, `--wait-timeout`,
/// `--max-connections` and held reads behind a delayed answer.
final class XConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler, ConnectionTimeoutHandling {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: ConnectionCore
    private var stateMachine: XConnectionStateMachine
    private var framer: XFramer
    /// `handshake.fault: greeting_then_close`: the client's first message closes the connection.
    private var closeOnNextMessage = false
    /// X compression, once negotiated (it compresses the server's messages after the login).
    private var compression: XCompressionHandler?

    init(configuration: ServerConfiguration, registry: SessionRegistry, listenerName: String, session: SessionInfo,
         peerHost: String, unixSocket: Bool, timers: LoopTimers) {
        self.core = ConnectionCore(configuration: configuration, registry: registry, listenerName: listenerName,
                                   session: session, timers: timers)
        self.framer = XFramer(maxFrameSize: configuration.maxPacketSize)
        var machine = XConnectionStateMachine.Configuration(
            connectionID: session.connectionID, peerHost: peerHost, tlsAvailable: configuration.tls.enabled,
            unixSocket: unixSocket)
        machine.maxConnections = configuration.maxConnections
        machine.tlsRequired = configuration.tls.mode == .required
        self.stateMachine = XConnectionStateMachine(configuration: machine)
    }

    // MARK: Inbound

    func channelActive(context: ChannelHandlerContext) {
        let open = core.opened(channel: context.channel)
        core.armConnectTimeout(self, context: context)
        // `handshake.fault`: the X protocol has no greeting, so the greeting variants apply to the
        // client's first message (stall: no answer ever; close: closed on it).
        let fault = open <= core.configuration.maxConnections ? core.responder.handshake(.greeting).fault : nil
        switch fault {
        case .refuse?: return context.close(promise: nil)
        case .reset?: return ConnectionCore.reset(context.channel)
        case .stall?, .greetingThenStall?: core.end(.stall, context: context)
        case .greetingThenClose?: closeOnNextMessage = true
        case nil: break
        }
        run(stateMachine.connectionStarted(openSessions: open), context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.closed()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        core.received(unwrapInboundIn(data))
        processInbound(context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        core.log(error)
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            _ = core.tlsHandshakeCompleted(context: context)
            stateMachine.tlsHandshakeCompleted()
            processInbound(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if core.writabilityChanged(context: context) { processInbound(context: context) }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Timeouts

    func connectTimeoutExpired(context: ChannelHandlerContext) {
        run(stateMachine.connectTimeoutExpired(), context: context)
    }

    func idleTimeoutExpired(context: ChannelHandlerContext) {
        run(stateMachine.idleTimeoutExpired(), context: context)
    }

    /// X has no COM_QUIT grace: `Mysqlx.Connection.Close` is answered with Ok and closed at once.
    func quitGraceExpired(context: ChannelHandlerContext) {}

    // MARK: Outbound

    func read(context: ChannelHandlerContext) {
        core.readRequested(context: context)
    }

    /// Frames, decodes and handles the messages received, as long as the read gate is open.
    private func processInbound(context: ChannelHandlerContext) {
        while true {
            let frame: XFrame?
            do {
                frame = try core.nextFrame(context: context) { (buffer) throws(MySQLXWireError) in
                    try framer.nextFrame(from: &buffer)
                }
            } catch {
                core.logger.notice("closing: \(error)")
                run(stateMachine.frameErrorReceived(error), context: context)
                return
            }
            guard let frame else { return }
            if closeOnNextMessage { return context.close(promise: nil) }
            let message: XClientMessage
            do {
                message = try XClientMessage(frame)
            } catch {
                core.logger.notice("closing: \(error)")
                run(stateMachine.undecodableMessageReceived(error), context: context)
                return
            }
            run(stateMachine.messageReceived(message) { core.responder.handshake(.auth) }, context: context)
        }
    }

    // MARK: Actions

    private func run(_ action: XConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .send(let messages, let after):
            var buffer = context.channel.allocator.buffer(capacity: 128)
            for message in messages { XResponseEncoder.write(message, to: &buffer) }
            for case .error(let code, let sqlState, let message, _) in messages {
                // `--verbose`: errors the connection itself sends (unknown messages, refused logins).
                let why = code == ErrorCode.accessDenied ? stateMachine.refusal.map { " (\($0))" } ?? "" : ""
                core.logger.debug("X error \(code) (\(sqlState)): \(message)\(why)")
                core.configuration.metrics.serverError(.x, code: code)
            }
            switch after {
            case .keepOpen:
                core.write(buffer, context: context)
            case .close:
                guard buffer.readableBytes > 0 else { return context.close(promise: nil) }
                core.writeAndClose(buffer, context: context)
            case .startTLS:
                core.write(buffer, context: context)
                // The client must wait for Ok before its ClientHello: bytes already here are an attack.
                if core.takeInbound() != nil {
                    core.logger.notice("closing: data after CapabilitiesSet(tls) before the TLS handshake")
                    context.close(promise: nil)
                    return
                }
                _ = core.startTLS(context: context)
            case .startCompression(let algorithm):
                core.write(buffer, context: context)
                do {
                    let handler = XCompressionHandler(algorithm: algorithm, maxSize: core.configuration.maxPacketSize)
                    try context.pipeline.syncOperations.addHandler(handler, position: .before(self))
                    compression = handler
                } catch {
                    core.logger.notice("closing: cannot start compression: \(error)")
                    context.close(promise: nil)
                }
            case .authenticated(let user, let schema):
                core.sessionChanged(user: user, schema: schema)
                core.armIdleTimeout(self, context: context)
                core.write(buffer, context: context)
                compression?.compressOutbound = true
                scheduleNotices(context: context)
            }
        case .execute(let request):
            deliver(core.answer(request), to: request, context: context)
        case .prepare(let id, let text, let bound):
            run(stateMachine.statementPrepared(id: id, text: text, bound: bound, core.prepare(text)), context: context)
        }
    }

    /// Sends an answer: at once on the fast path (one result, no delay), otherwise result by result
    /// after their delays, or when a later answer arrives (`waited`: reads are held until it is out).
    private func deliver(_ answer: StatementAnswer, to request: StatementRequest, context: ChannelHandlerContext,
                         waited: Bool = false) {
        switch answer {
        case .one(let response) where response.execTime == .zero && response.fault == nil:
            var buffer = context.channel.allocator.buffer(capacity: 256)
            XResponseEncoder.write(response, to: &buffer)
            core.write(buffer, context: context)
            if waited { core.laterAnswerWritten(context: context) { processInbound(context: context) } }
        case .one, .several:
            let results = answer.results
            var chunks: [ConnectionCore.Chunk] = []
            for (index, response) in results.enumerated() {
                var buffer = context.channel.allocator.buffer(capacity: 256)
                let moreResultSets = results[(index + 1)...].contains { if case .result = $0.kind { true } else { false } }
                if let fault = response.fault {
                    chunks.append(Self.faultChunk(fault, response: response, last: index == results.count - 1,
                                                  moreResultSets: moreResultSets))
                    break
                }
                XResponseEncoder.write(response, last: index == results.count - 1, moreResultSets: moreResultSets,
                                       to: &buffer)
                chunks.append(ConnectionCore.Chunk(bytes: buffer, delay: response.execTime))
            }
            core.send(chunks, context: context) { [self] in processInbound(context: context) }
        case .later, .deferred:
            core.await(answer, request: request, context: context) { [self] answer in
                deliver(answer, to: request, context: context, waited: true)
            }
        }
    }

    /// What a fault sends, after the response's delay, and how the connection ends then.
    static func faultChunk(_ fault: Fault, response: StatementResponse, last: Bool, moreResultSets: Bool)
        -> ConnectionCore.Chunk
    {
        let delay = response.execTime
        switch fault {
        case .errorAfterRows(let rows, let error):
            // The rows, then the error; the session goes on.
            var bytes = ByteBuffer()
            XResponseEncoder.write(response.failing(afterRows: rows, with: error), last: true, moreResultSets: false, to: &bytes)
            return .init(bytes: bytes, delay: delay)
        case .close: return .init(bytes: ByteBuffer(), delay: delay, ending: .close)
        case .reset: return .init(bytes: ByteBuffer(), delay: delay, ending: .reset)
        case .stall: return .init(bytes: ByteBuffer(), delay: delay, ending: .stall)
        case .truncate:
            // The first frame's header and half its payload.
            var bytes = ByteBuffer()
            XResponseEncoder.write(response, last: last, moreResultSets: moreResultSets, to: &bytes)
            let length = Int(bytes.getInteger(at: bytes.readerIndex, endianness: .little, as: UInt32.self) ?? 0)
            bytes.moveWriterIndex(to: bytes.readerIndex + min(bytes.readableBytes, 4 + length / 2))
            return .init(bytes: bytes, delay: delay, ending: .close)
        case .garbage:
            // A frame of a server message type that does not exist (0xEE).
            var bytes = ByteBuffer()
            bytes.writeBytes([0x05, 0x00, 0x00, 0x00, 0xEE, 0x67, 0x61, 0x72, 0x62])
            return .init(bytes: bytes, delay: delay, ending: .close)
        case .afterRows(let rows, let then):
            guard case .result(var result) = response.kind else { return .init(bytes: ByteBuffer(), delay: delay, ending: then) }
            result.rows = Array(result.rows.prefix(rows))
            var partial = response
            partial.kind = .result(result)
            var bytes = ByteBuffer()
            XResponseEncoder.write(partial, last: last, moreResultSets: moreResultSets, to: &bytes)
            // Cut at the frame that would end the rows.
            var offset = bytes.readerIndex
            while offset + 5 <= bytes.writerIndex {
                let length = Int(bytes.getInteger(at: offset, endianness: .little, as: UInt32.self) ?? 0)
                let type = bytes.getInteger(at: offset + 4, as: UInt8.self)
                if type == XServerType.fetchDone || type == XServerType.fetchDoneMoreResultsets { break }
                offset += 4 + length
            }
            bytes.moveWriterIndex(to: min(offset, bytes.writerIndex))
            return .init(bytes: bytes, delay: delay, ending: then)
        }
    }

    /// The trace's notices, each `send_offset` after AuthenticateOk; the ones due at the same
    /// time go out together.
    private func scheduleNotices(context: ChannelHandlerContext) {
        let notices = core.responder.notices()
        let byOffset = Dictionary(grouping: notices, by: \.sendOffset)
        for (offset, due) in byOffset {
            context.eventLoop.assumeIsolated().scheduleTask(in: .init(offset)) { [weak self] in
                guard let self, context.channel.isActive else { return }
                var buffer = context.channel.allocator.buffer(capacity: 64)
                for notice in due { try? XResponseEncoder.writeNotice(notice, to: &buffer) }
                // Not an answer: the idle clock keeps running.
                context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            }
        }
    }
}
