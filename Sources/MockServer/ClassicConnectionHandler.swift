import MockModel
import MySQLWire
import NIOCore
import NIOTLS

/// Runs one classic-protocol connection: frames inbound bytes into packets, feeds them and the
/// connection's other events (start, TLS up, timeouts) to the `ClassicConnectionStateMachine`, and
/// carries out the actions it returns. Everything shared with the X protocol (registry, timers,
/// responder, journal, TLS, the read gate) is the `ConnectionCore`'s.
///
/// A duplex handler only to hold `read(context:)`: while a delayed answer is pending or the client
/// does not read, nothing more is read from its socket, so pipelined commands are answered in
/// order and never pile up in memory.
final class ClassicConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler, ConnectionTimeoutHandling {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: ConnectionCore
    private var stateMachine: ClassicConnectionStateMachine
    private var framer: PacketFramer
    /// `handshake.fault: greeting_then_close`: the client's answer to the greeting closes the connection.
    private var closeOnNextPacket = false
    /// The compressed protocol is in place (after the login's OK).
    private var compressing = false
    /// A query's answer held while the file it asked for arrives (`LOCAL INFILE`).
    private var pendingLocalFile: (request: StatementRequest, answer: StatementAnswer, receivedAt: Double,
                                   upload: JournalEntry.Upload)?

    init(configuration: ServerConfiguration, registry: SessionRegistry, listenerName: String, session: SessionInfo,
         peerHost: String, unixSocket: Bool = false, timers: LoopTimers) {
        self.core = ConnectionCore(configuration: configuration, registry: registry, listenerName: listenerName,
                                   session: session, timers: timers)
        self.framer = PacketFramer(maxPacketSize: configuration.maxPacketSize)
        var machine = ClassicConnectionStateMachine.Configuration(connectionID: session.connectionID, peerHost: peerHost)
        machine.tlsAvailable = configuration.tls.enabled
        machine.tlsRequired = configuration.tls.mode == .required
        machine.unixSocket = unixSocket
        machine.passwordKeys = configuration.passwordKeys
        machine.maxConnections = configuration.maxConnections
        machine.onQuit = configuration.onQuit
        machine.passwordResets = configuration.traces.passwordResets
        machine.compression = CapabilityFlags(configuration.compression.map { $0 == .zlib ? .compress : .zstdCompression })
        self.stateMachine = ClassicConnectionStateMachine(configuration: machine)
    }

    // MARK: Inbound

    func channelActive(context: ChannelHandlerContext) {
        let open = core.opened(channel: context.channel)
        core.armConnectTimeout(self, context: context)
        // A connection refused for --max-connections never pays for a responder.
        let script = open <= core.configuration.maxConnections ? core.responder.handshake(.greeting) : HandshakeScript()
        switch script.fault {
        case .refuse?:
            context.close(promise: nil)
        case .reset?:
            ConnectionCore.reset(context.channel)
        case .stall?:
            core.end(.stall, context: context)
        case .greetingThenStall?, .greetingThenClose?, nil:
            run(stateMachine.connectionStarted(openSessions: open) { script }, context: context)
            if script.fault == .greetingThenStall { core.end(.stall, context: context) }
            closeOnNextPacket = script.fault == .greetingThenClose
        }
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
            let peer = core.tlsHandshakeCompleted(context: context)
            run(stateMachine.tlsHandshakeCompleted(peerCertificate: peer), context: context)
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

    func quitGraceExpired(context: ChannelHandlerContext) {
        run(stateMachine.quitGraceExpired(), context: context)
    }

    // MARK: Outbound

    func read(context: ChannelHandlerContext) {
        core.readRequested(context: context)
    }

    /// Frames and handles the packets received, as long as the read gate is open.
    private func processInbound(context: ChannelHandlerContext) {
        while true {
            let packet: Packet?
            do {
                packet = try core.nextFrame(context: context) { (buffer) throws(MySQLWireError) in
                    try framer.nextPacket(from: &buffer)
                }
            } catch {
                core.logger.notice("closing: \(error)")
                run(stateMachine.wireErrorReceived(error), context: context)
                return
            }
            guard let packet else { return }
            if closeOnNextPacket {
                context.close(promise: nil)
                return
            }
            run(stateMachine.packetReceived(packet) { core.responder.handshake(.auth) }, context: context)
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
            guard core.startTLS(context: context) else { return }
            // Clients send their ClientHello right behind the SSLRequest: it goes through TLS first.
            if let early = core.takeInbound() { context.pipeline.fireChannelRead(NIOAny(early)) }
        case .awaitClientClose:
            core.armQuitGrace(self, context: context)
        case .sendGreeting(let greeting, let delay):
            var writer = PacketWriter(buffer: context.channel.allocator.buffer(capacity: 128), sequenceID: 0)
            writer.writePacket { greeting.write(to: &$0) }
            core.send(writer.buffer, after: delay, context: context) { [self] in processInbound(context: context) }
        case .write(let packets, let sequenceID, let after):
            let encoder = ClassicResponseEncoder(capabilities: stateMachine.capabilities)
            var writer = PacketWriter(buffer: context.channel.allocator.buffer(capacity: 256), sequenceID: sequenceID)
            for packet in packets { encoder.write(packet, to: &writer) }
            for case .err(let err) in packets { logRefusal(err) }
            switch after {
            case .close:
                core.writeAndClose(writer.buffer, context: context)
                return
            case .sessionChanged:
                core.sessionChanged(user: stateMachine.user, schema: stateMachine.schema,
                                   clientCapabilities: stateMachine.capabilities.rawValue)
                core.armIdleTimeout(self, context: context)
            case .keepOpen:
                break
            }
            core.write(writer.buffer, context: context)
            // The OK of the login goes out as it is; everything after it is compressed.
            if !compressing, let algorithm = stateMachine.compression, stateMachine.isAuthenticated {
                compressing = true
                let level = algorithm == .zstd ? stateMachine.zstdCompressionLevel.map { Int32($0) } : nil
                let handler = CompressionHandler(algorithm: algorithm, level: level, maxPayload: core.configuration.maxPacketSize)
                do {
                    try context.pipeline.syncOperations.addHandler(handler, position: .before(self))
                    core.logger.debug("compressing with \(algorithm.rawValue)")
                } catch {
                    core.logger.notice("closing: cannot start compression: \(error)")
                    context.close(promise: nil)
                }
            }
        case .answer(let request, let sequenceID):
            let answer = core.answer(request, holdingLocalFile: request.kind == .query)
            if request.kind == .query, let asked = answer.localInfile {
                // (Timed here rather than before the answer: no clock read for every other statement.)
                requestLocalFile(asked, request: request, answer: answer, receivedAt: ConnectionCore.now(),
                                 sequenceID: sequenceID, context: context)
            } else {
                deliver(answer, to: request, sequenceID: sequenceID, context: context)
            }
        case .localFileData(let chunk):
            pendingLocalFile?.upload.append(chunk.readableBytesView, keepingUpTo: core.configuration.journal.maxStatementBytes)
        case .localFileEnded(let sequenceID):
            guard let pending = pendingLocalFile else { return }
            pendingLocalFile = nil
            core.logger.debug("received \(pending.upload.bytes) bytes of \(pending.upload.filename)")
            core.record(pending.request, pending.answer, receivedAt: pending.receivedAt, upload: pending.upload)
            deliver(pending.answer, to: pending.request, sequenceID: sequenceID, context: context)
        case .answerBatch(let requests, let then, let sequenceID):
            answerBatch(requests[...], then: then, results: [], sequenceID: sequenceID, context: context)
        case .prepare(let text, let sequenceID):
            run(stateMachine.statementPrepared(text, core.prepare(text), sequenceID: sequenceID), context: context)
        case .answerWithCursor(let request, let sequenceID):
            // A result set opens the cursor (sent at once, whatever its delay); anything else is
            // answered as without a cursor. A result that ends in an error sends only the error:
            // the server fills a cursor's rows before it answers, so it meets the error first.
            var answer = core.answer(request)
            if case .one(let response) = answer, case .result(let result) = response.kind, let error = result.error {
                var failed = response
                failed.kind = .error(error)
                failed.cacheKey = nil  // the key names the result's bytes
                answer = .one(failed)
            }
            if case .one(let response) = answer, case .result(let result) = response.kind {
                run(stateMachine.cursorOpened(statementID: request.statementID, result: result, sequenceID: sequenceID),
                    context: context)
            } else {
                deliver(answer, to: request, sequenceID: sequenceID, context: context)
            }
        }
    }

    /// Asks the client for the file the answer wants (`0xFB` + its name) and holds the answer until
    /// the file has arrived; a client that cannot send files gets the server's error instead.
    private func requestLocalFile(_ asked: LocalInfileRequest, request: StatementRequest, answer: StatementAnswer,
                                  receivedAt: Double, sequenceID: UInt8, context: ChannelHandlerContext) {
        guard let filename = asked.filename(for: request.text) else {
            let error = ErrorResponse(code: 1064, sqlState: "42000", message: "local_infile: the statement names no file "
                                      + "(LOCAL INFILE '…'); give the entry {\"local_infile\": {\"filename\": …}}")
            let refused = StatementAnswer.one(StatementResponse(.error(error), answeredBy: answer.results.first?.answeredBy))
            core.record(request, refused, receivedAt: receivedAt)
            deliver(refused, to: request, sequenceID: sequenceID, context: context)
            return
        }
        let action = stateMachine.localFileRequested(filename, sequenceID: sequenceID)
        if stateMachine.isReceivingLocalFile {
            pendingLocalFile = (request, answer, receivedAt, JournalEntry.Upload(filename: filename))
        } else if case .write(let packets, _, _) = action, case .err(let err)? = packets.first {
            let error = ErrorResponse(code: err.code, sqlState: err.sqlState, message: err.message)
            core.record(request, .one(StatementResponse(.error(error), answeredBy: answer.results.first?.answeredBy)),
                        receivedAt: receivedAt)
        }
        run(action, context: context)
    }

    /// `--verbose`: an ERR the connection itself sends (not a trace's answer): an unknown command,
    /// a refused login with the check that failed, a protocol error.
    private func logRefusal(_ err: ERRPacket) {
        let why = [ErrorCode.accessDenied, ErrorCode.authModeNotSupported].contains(err.code) ? stateMachine.refusal.map { " (\($0))" } ?? "" : ""
        core.logger.debug("ERR \(err.code) (\(err.sqlState)): \(err.message)\(why)")
        core.configuration.metrics.serverError(.classic, code: err.code)
    }

    /// Answers the statements of a multi-statement query in turn (one journal entry each), waiting
    /// for any answer that comes later, and sends their results together: an error ends the batch.
    private func answerBatch(_ requests: ArraySlice<StatementRequest>, then: ErrorResponse?, results: [StatementResponse],
                             waited: Bool = false, sequenceID: UInt8, context: ChannelHandlerContext) {
        var results = results
        var rest = requests
        while let request = rest.popFirst() {
            let answer = core.answer(request)
            if answer.isPending {
                core.await(answer, request: request, context: context) { [self] answer in
                    answerBatch(rest, then: then, results: results + answer.results, waited: true,
                                sequenceID: sequenceID, context: context)
                }
                return
            }
            results += answer.results
            if results.last?.isError == true { break }
        }
        if let then, results.last?.isError != true {
            results.append(StatementResponse(.error(then)))
        }
        deliver(.several(results), to: requests.first ?? StatementRequest(text: ""), sequenceID: sequenceID,
                context: context, waited: waited)
    }

    /// Sends an answer: at once on the fast path (one result, no delay), otherwise result by result
    /// after their delays, or when a later answer arrives (`waited`: reads are held until it is out).
    private func deliver(_ answer: StatementAnswer, to request: StatementRequest, sequenceID: UInt8,
                         context: ChannelHandlerContext, waited: Bool = false) {
        let encoder = ClassicResponseEncoder(capabilities: stateMachine.capabilities, binary: request.kind == .execute)
        switch answer {
        case .one(let response) where response.execTime == .zero && response.fault == nil:
            core.write(encode(response, sequenceID: sequenceID, encoder: encoder, allocator: context.channel.allocator),
                       context: context)
            if waited { core.laterAnswerWritten(context: context) { processInbound(context: context) } }
        case .one, .several:
            var chunks: [ConnectionCore.Chunk] = []
            var writer = PacketWriter(buffer: context.channel.allocator.buffer(capacity: 256), sequenceID: sequenceID)
            let results = answer.results
            for (index, response) in results.enumerated() {
                if let fault = response.fault {
                    chunks.append(Self.faultChunk(fault, response: response, moreResults: index < results.count - 1,
                                                  encoder: encoder, writer: &writer))
                    break
                }
                encoder.write(response, moreResults: index < results.count - 1, to: &writer)
                chunks.append(.init(bytes: writer.buffer, delay: response.execTime))
                writer.buffer = context.channel.allocator.buffer(capacity: 256)
            }
            core.send(chunks, context: context) { [self] in processInbound(context: context) }
        case .later, .deferred:
            core.await(answer, request: request, context: context) { [self] answer in
                deliver(answer, to: request, sequenceID: sequenceID, context: context, waited: true)
            }
        }
    }

    /// What a fault sends, after the response's delay, and how the connection ends then.
    static func faultChunk(_ fault: Fault, response: StatementResponse, moreResults: Bool,
                           encoder: ClassicResponseEncoder, writer: inout PacketWriter) -> ConnectionCore.Chunk {
        let delay = response.execTime
        switch fault {
        case .errorAfterRows(let rows, let error):
            // The rows, then the ERR; the session goes on.
            encoder.write(response.failing(afterRows: rows, with: error), moreResults: false, to: &writer)
            return .init(bytes: writer.buffer, delay: delay)
        case .close: return .init(bytes: ByteBuffer(), delay: delay, ending: .close)
        case .reset: return .init(bytes: ByteBuffer(), delay: delay, ending: .reset)
        case .stall: return .init(bytes: ByteBuffer(), delay: delay, ending: .stall)
        case .truncate:
            // The first packet's header and half its payload.
            encoder.write(response, moreResults: moreResults, to: &writer)
            var bytes = writer.buffer
            let payload = Int(bytes.getInteger(at: bytes.readerIndex, endianness: .little, as: UInt16.self) ?? 0)
                | Int(bytes.getInteger(at: bytes.readerIndex + 2, as: UInt8.self) ?? 0) << 16
            bytes.moveWriterIndex(to: bytes.readerIndex + min(bytes.readableBytes, 4 + payload / 2))
            return .init(bytes: bytes, delay: delay, ending: .close)
        case .garbage:
            // A frame whose sequence id is not the next one, and whose payload starts like no
            // response (0xEE is neither OK, ERR, EOF nor a column count).
            var bytes = ByteBuffer()
            bytes.writeBytes([0x05, 0x00, 0x00, writer.sequenceID &+ 0x5A, 0xEE, 0x67, 0x61, 0x72, 0x62])
            return .init(bytes: bytes, delay: delay, ending: .close)
        case .afterRows(let rows, let then):
            guard case .result(var result) = response.kind else { return .init(bytes: ByteBuffer(), delay: delay, ending: then) }
            result.rows = Array(result.rows.prefix(rows))
            var partial = response
            partial.kind = .result(result)
            encoder.write(partial, moreResults: moreResults, to: &writer)
            // Everything but the last packet (the EOF or OK that ends the rows).
            var bytes = writer.buffer
            var offset = bytes.readerIndex
            var lastStart = offset
            while offset + 4 <= bytes.writerIndex {
                let length = Int(bytes.getInteger(at: offset, endianness: .little, as: UInt16.self) ?? 0)
                    | Int(bytes.getInteger(at: offset + 2, as: UInt8.self) ?? 0) << 16
                lastStart = offset
                offset += 4 + length
            }
            bytes.moveWriterIndex(to: lastStart)
            return .init(bytes: bytes, delay: delay, ending: then)
        }
    }

    /// A statement response's packets from `sequenceID` on: pre-encoded bytes for cacheable
    /// (fixed) responses, encoded now otherwise.
    private func encode(_ response: StatementResponse, sequenceID: UInt8, encoder: ClassicResponseEncoder,
                        allocator: ByteBufferAllocator) -> ByteBuffer {
        let fresh = {
            var writer = PacketWriter(buffer: allocator.buffer(capacity: 256), sequenceID: sequenceID)
            encoder.write(response, to: &writer)
            return writer.buffer
        }
        guard let key = response.cacheKey else { return fresh() }
        return core.configuration.responseCache.bytes(response: key, capabilities: encoder.capabilities,
                                                       sequenceID: sequenceID, binary: encoder.binary, encode: fresh)
    }
}
