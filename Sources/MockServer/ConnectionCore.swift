import Logging
import MockModel
import NIOCore
import NIOSSL

#if canImport(Glibc)
import Glibc
#endif

/// What every connection does whatever its protocol, owned by the classic and the X handler alike
/// (composition): the registry entry and the connection count, the connect / wait / quit timers,
/// the trace's responder, the statement step (responder → journal → counters → send now or
/// later), TLS installation and its completion, the inbound bytes, the read gate, and the log lines.
///
/// Each protocol keeps only its framer, its state machine, its encoder and the code that runs its
/// machine's actions. Used on the channel's event loop only.
final class ConnectionCore {
    /// Bytes of one result and the delay before they are sent; `ending` (a fault) ends the
    /// connection once they are out.
    struct Chunk {
        var bytes: ByteBuffer
        var delay: Duration
        var ending: Fault.Ending?

        init(bytes: ByteBuffer, delay: Duration, ending: Fault.Ending? = nil) {
            (self.bytes, self.delay, self.ending) = (bytes, delay, ending)
        }
    }

    let configuration: ServerConfiguration
    /// This connection's counters for `/metrics` (its event loop's stripe), from `opened`.
    private var metrics: ServerMetrics.Recorder?
    private let registry: SessionRegistry
    private let listenerName: String
    private(set) var session: SessionInfo
    let logger: ConnectionLogger
    private let timers: LoopTimers
    private var madeResponder: (any StatementResponder)?
    private var statementCounter: SessionRegistry.StatementCounter?
    private var connectTimer: ExpiryQueue.Entry?
    private var idleTimer: ExpiryQueue.Entry?
    private var quitTimer: ExpiryQueue.Entry?
    /// What the protocol does when `--wait-timeout` passes (set once authenticated).
    private var idleExpired: (() -> Void)?
    private var tlsFacts: TLSHandshakeFacts?
    private var gate = ReadGate()
    /// Bytes received and not yet framed.
    private var inbound: ByteBuffer?
    /// The rest of a delayed answer, sent one chunk after another (an empty array costs no
    /// allocation on connections that never have one).
    private var pending: [Chunk] = []
    private var delayed: Scheduled<Void>?
    /// Runs when a delayed or later answer is out (the protocol processes what was received meanwhile).
    private var resume: (() -> Void)?
    /// Set while a later answer is computed, so that a closed connection drops it.
    private var awaiting = false

    init(configuration: ServerConfiguration, registry: SessionRegistry, listenerName: String, session: SessionInfo,
         timers: LoopTimers) {
        self.configuration = configuration
        self.registry = registry
        self.listenerName = listenerName
        self.session = session
        self.timers = timers
        self.logger = ConnectionLogger(base: configuration.logger, connectionID: session.connectionID)
    }

    // MARK: Life cycle

    /// Registers the session; returns how many sessions are open now (this one included).
    func opened(channel: any Channel) -> Int {
        let (statements, open) = registry.add(
            session.connectionID, channel: channel, listener: listenerName,
            snapshot: SessionSnapshot(connectionID: session.connectionID, wireProtocol: session.wireProtocol.rawValue,
                                      peer: session.peer, connectedSince: Self.now(), statements: 0))
        statementCounter = statements
        let metrics = configuration.metrics.recorder()
        self.metrics = metrics
        metrics.connectionAccepted(session.wireProtocol)
        logger.info("accepted from \(session.peer) (\(session.wireProtocol.rawValue) protocol)")
        if open > configuration.maxConnections {
            logger.notice("refusing: more than \(configuration.maxConnections) connections")
        }
        return open
    }

    /// The channel is gone: timers, a pending answer and the registry entry go too.
    func closed() {
        timers.connect.cancel(connectTimer)
        timers.idle?.cancel(idleTimer)
        timers.quitGrace.cancel(quitTimer)
        idleExpired = nil
        delayed?.cancel()
        delayed = nil
        pending.removeAll()
        resume = nil
        awaiting = false
        madeResponder?.sessionClosed()
        registry.remove(session.connectionID)
        logger.info("closed")
    }

    /// The trace's responder for this session, made on first use (a connection refused at accept
    /// never pays for one).
    var responder: any StatementResponder {
        if let madeResponder { return madeResponder }
        let responder = configuration.trace.makeResponder(for: session)
        madeResponder = responder
        return responder
    }

    /// The user or schema changed (authenticated, COM_INIT_DB, COM_CHANGE_USER): the connect timer
    /// stops, and the responder and the registry learn the new facts.
    func sessionChanged(user: String?, schema: String?, clientCapabilities: UInt32? = nil) {
        timers.connect.cancel(connectTimer)
        connectTimer = nil
        session.user = user
        session.schema = schema
        if let clientCapabilities { session.clientCapabilities = clientCapabilities }
        madeResponder?.sessionChanged(session)
        registry.update(from: session)
    }

    // MARK: Timers

    /// Tells `handler` unless the session authenticates (or closes) within `--connect-timeout`.
    func armConnectTimeout(_ handler: some ConnectionTimeoutHandling, context: ChannelHandlerContext) {
        connectTimer = timers.connect.arm { [logger] in
            logger.notice("closing: handshake not completed within the connect timeout")
            handler.connectTimeoutExpired(context: context)
        }
    }

    /// From now on, `handler` hears when an authenticated session has been idle for
    /// `--wait-timeout` (the clock restarts with every answer). Nothing happens without `--wait-timeout`.
    func armIdleTimeout(_ handler: some ConnectionTimeoutHandling, context: ChannelHandlerContext) {
        guard timers.idle != nil else { return }
        idleExpired = { [logger] in
            logger.notice("closing: idle longer than the wait timeout")
            handler.idleTimeoutExpired(context: context)
        }
        restartIdleClock()
    }

    /// After COM_QUIT: `handler` hears if the client has not closed within a second.
    func armQuitGrace(_ handler: some ConnectionTimeoutHandling, context: ChannelHandlerContext) {
        timers.quitGrace.cancel(quitTimer)
        quitTimer = timers.quitGrace.arm { handler.quitGraceExpired(context: context) }
    }

    private func restartIdleClock() {
        guard let idle = timers.idle, let idleExpired else { return }
        idle.cancel(idleTimer)
        idleTimer = idle.arm(idleExpired)
    }

    // MARK: Inbound

    /// Keeps bytes just read.
    func received(_ bytes: ByteBuffer) {
        var bytes = bytes
        if inbound == nil {
            inbound = bytes
        } else {
            inbound?.writeBuffer(&bytes)
        }
    }

    /// The next frame `decode` finds in the bytes received, if the gate is open and the channel
    /// active; consumed bytes are dropped now and then so the buffer does not grow.
    func nextFrame<Frame, Failure: Error>(
        context: ChannelHandlerContext, _ decode: (inout ByteBuffer) throws(Failure) -> Frame?
    ) throws(Failure) -> Frame? {
        guard gate.isOpen, context.channel.isActive, var buffer = inbound else { return nil }
        inbound = nil
        defer {
            if buffer.readableBytes > 0 {
                if buffer.readerIndex > 65536 { buffer.discardReadBytes() }
                inbound = buffer
            }
        }
        return try decode(&buffer)
    }

    /// Takes the bytes received and not yet framed (bytes behind a TLS request).
    func takeInbound() -> ByteBuffer? {
        defer { inbound = nil }
        guard let inbound, inbound.readableBytes > 0 else { return nil }
        return inbound
    }

    // MARK: Read gate

    /// `read(context:)` from the pipeline: passed on unless an answer is pending or the client
    /// does not read.
    func readRequested(context: ChannelHandlerContext) {
        if gate.readRequested(nothingBuffered: (inbound?.readableBytes ?? 0) == 0) { context.read() }
    }

    /// The channel's writability changed; `true` if buffered input should be processed now.
    func writabilityChanged(context: ChannelHandlerContext) -> Bool {
        run(gate.writabilityChanged(context.channel.isWritable), context: context)
    }

    /// Carries out a gate action; `true` when processing may resume.
    private func run(_ action: ReadGate.Action, context: ChannelHandlerContext) -> Bool {
        switch action {
        case .none: return false
        case .resume: return true
        case .read:
            context.read()
            return true
        }
    }

    // MARK: Statements

    /// Asks the responder for the answer to `statement` and records it (journal, the session's
    /// statement count, the `--verbose` line). An answer that arrives later is recorded when it does.
    func answer(_ statement: String) -> StatementAnswer {
        answer(StatementRequest(text: statement))
    }

    /// The same for a statement with parameters or attributes (an execution of a prepared
    /// statement, a query with attributes). With `holdingLocalFile`, an answer that asks the
    /// client for a file (`LocalInfileRequest`) is not recorded: the caller records it with the
    /// file (`record`) once the file has arrived.
    func answer(_ request: StatementRequest, holdingLocalFile: Bool = false) -> StatementAnswer {
        let received = Self.now()
        var answer = responder.answer(request)
        if let fault = configuration.faults.take(statement: request.text, connectionID: session.connectionID) {
            answer = answer.withFault(fault)
        }
        if answer.isPending { return answer }
        if holdingLocalFile, answer.localInfile != nil { return answer }
        record(request, answer, receivedAt: received)
        return answer
    }

    /// Asks the responder what preparing `statement` gives, and records the prepare.
    func prepare(_ statement: String) -> PrepareAnswer {
        let received = Self.now()
        let answer = responder.prepare(statement)
        let response: StatementResponse = switch answer {
        case .error(let error): StatementResponse(.error(error), answeredBy: "prepare")
        case .columns, .unknown: StatementResponse(.ok(OKResponse()), answeredBy: "prepare")
        }
        record(StatementRequest(text: statement, kind: .prepare), .one(response), receivedAt: received)
        return answer
    }

    /// Records a statement and its answer (journal, statement count, `--verbose` line); `answer`
    /// and `await` call it, and a handler for an answer that waited for a file (`upload`).
    func record(_ request: StatementRequest, _ answer: StatementAnswer, receivedAt received: Double,
                upload: JournalEntry.Upload? = nil) {
        let statement = request.text
        let answered = Self.now()
        let first: StatementResponse? = switch answer {
            case .one(let response): response
            case .several(let responses): responses.first
            case .later, .deferred: nil
        }
        logger.debug("(\(Int((answered - received) * 1e6)) us)> \(statement)")
        var entry = JournalEntry(
            connectionID: session.connectionID, wireProtocol: session.wireProtocol.rawValue, user: session.user,
            statement: statement, answeredBy: first?.answeredBy, kind: first?.kindName ?? "ok", receivedAt: received,
            answeredAt: answered)
        // (`answer.results` would make an array for every statement.)
        var fault: Fault?
        switch answer {
        case .one(let response):
            fault = response.fault
            entry.fault = response.fault?.description
            entry.execTime = response.execTime
            if let error = response.error { entry.error = .init(error) }
        case .several(let responses):
            fault = responses.lazy.compactMap(\.fault).first
            entry.fault = fault?.description
            for response in responses {
                entry.execTime += response.execTime
                if let error = response.error {
                    entry.error = .init(error)
                    break
                }
            }
        case .later, .deferred: break
        }
        entry.scenarioChange = first?.scenarioChange
        // A fault that ends the rows with an error: the client got that error.
        if case .errorAfterRows(_, let error)? = fault { entry.error = .init(error) }
        entry.upload = upload
        if request.kind != .query || !request.attributes.isEmpty || !request.parameters.isEmpty {
            entry.statementKind = request.kind.rawValue
            entry.statementID = request.statementID
            entry.parameters = request.parameters.map(\.description)
            entry.attributes = request.attributes.map { JournalEntry.Attribute(name: $0.name, value: $0.value.description) }
        }
        metrics?.statement(session.wireProtocol, response: entry.kind, matched: entry.answeredBy != nil,
                           seconds: answered - received + entry.execTime.seconds, fault: fault)
        configuration.journal.append(entry)
        statementCounter?.increment()
    }

    /// Waits for a `later` or `deferred` answer (reads are held meanwhile, as for `exec_time`),
    /// records it, and hands it to `deliver` on the event loop.
    func await(_ pending: StatementAnswer, request: StatementRequest, context: ChannelHandlerContext,
               deliver: @escaping (StatementAnswer) -> Void) {
        let received = Self.now()
        gate.answerStarted()
        awaiting = true
        timers.idle?.cancel(idleTimer)
        let loop = context.eventLoop
        let arrived = NIOLoopBound({ [self] (answer: StatementAnswer) in
            guard awaiting else { return }
            awaiting = false
            record(request, answer, receivedAt: received)
            deliver(answer)
        }, eventLoop: loop)
        let reply: @Sendable (StatementAnswer) -> Void = { answer in
            if loop.inEventLoop {
                arrived.value(answer)
            } else {
                loop.execute { arrived.value(answer) }
            }
        }
        switch pending {
        case .later(let compute):
            Task { reply(await compute()) }
        case .deferred(let start):
            start(reply)
        case .one, .several:
            reply(pending)
        }
    }

    /// Sends an answer's chunks in order, each after its delay, holding reads until the last is
    /// out; then runs `resume` (the protocol processes what arrived meanwhile).
    func send(_ chunks: [Chunk], context: ChannelHandlerContext, resume: @escaping () -> Void) {
        gate.answerStarted()
        timers.idle?.cancel(idleTimer)
        pending.append(contentsOf: chunks)
        self.resume = resume
        sendPending(context: context)
    }

    /// A later answer was written at once (one result, no delay): reads and the processing of
    /// what arrived meanwhile resume, without the chunk queue.
    func laterAnswerWritten(context: ChannelHandlerContext, resume: () -> Void) {
        restartIdleClock()
        if run(gate.answerFinished(), context: context) { resume() }
    }

    private func sendPending(context: ChannelHandlerContext) {
        while let chunk = pending.first {
            if chunk.delay > .zero {
                pending[0].delay = .zero
                delayed = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(chunk.delay)) { [self] in
                    delayed = nil
                    sendPending(context: context)
                }
                return
            }
            pending.removeFirst()
            if chunk.bytes.readableBytes > 0 { write(chunk.bytes, context: context) }
            if let ending = chunk.ending {
                pending.removeAll()
                resume = nil
                end(ending, context: context)
                return
            }
        }
        let resume = self.resume
        self.resume = nil
        restartIdleClock()
        if run(gate.answerFinished(), context: context) { resume?() }
    }

    // MARK: Outbound

    /// Writes and flushes `bytes`; restarts the idle clock; holds reads if the client stops reading.
    func write(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        context.writeAndFlush(NIOAny(bytes), promise: nil)
        if !gate.answerPending { restartIdleClock() }
        if !context.channel.isWritable { _ = gate.writabilityChanged(false) }
    }

    /// Ends the connection as a fault says: close (FIN), reset (RST: SO_LINGER 0, then close), or
    /// stall (the answer never finishes, so nothing more is read or answered; the client gives up
    /// or the connection is closed over REST or at shutdown).
    func end(_ ending: Fault.Ending, context: ChannelHandlerContext) {
        switch ending {
        case .close:
            context.close(promise: nil)
        case .reset:
            Self.reset(context.channel)
        case .stall:
            gate.answerStarted()
            timers.idle?.cancel(idleTimer)
            timers.connect.cancel(connectTimer)
            connectTimer = nil
        }
    }

    /// Closes `channel` with an RST instead of a FIN.
    static func reset(_ channel: any Channel) {
        guard let provider = channel as? any SocketOptionProvider else { return channel.close(promise: nil) }
        provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// Writes `bytes`, then closes.
    func writeAndClose(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        context.writeAndFlush(NIOAny(bytes)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// Sends `bytes` after `delay` (reads held meanwhile), then runs `resume`; at once without a delay.
    func send(_ bytes: ByteBuffer, after delay: Duration, context: ChannelHandlerContext, resume: @escaping () -> Void) {
        guard delay > .zero else {
            write(bytes, context: context)
            return
        }
        send([Chunk(bytes: bytes, delay: delay)], context: context, resume: resume)
    }

    // MARK: TLS

    /// Puts TLS in front of the protocol handler; `false` (logged, and the connection closed) if it
    /// cannot start.
    func startTLS(context: ChannelHandlerContext) -> Bool {
        do {
            tlsFacts = try configuration.tls.install(in: context)
            acknowledgeNow(context: context)
            return true
        } catch {
            logger.notice("closing: cannot start TLS: \(error)")
            context.close(promise: nil)
            return false
        }
    }

    /// Sends the ACK the kernel is holding back for the bytes just read (`TCP_QUICKACK`), once the
    /// TLS handshake is done. The client's Finished gets no reply of ours (no session tickets
    /// follow it), so a delayed ACK (40 ms on Linux) would hold the client's login packet behind
    /// Nagle's algorithm on clients that leave it on (mysql-connector-python's pure driver).
    /// Best effort: the option is Linux's, and a failure changes nothing but the timing.
    private func acknowledgeNow(context: ChannelHandlerContext) {
        #if os(Linux)
        let quickACK = ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: CInt(TCP_QUICKACK)))
        try? context.channel.syncOptions?.setOption(quickACK, value: 1)
        #endif
    }

    /// The TLS handshake finished: counts a resumed session, tells the responder and the registry,
    /// logs the cipher; returns the client's certificate names, if it sent one.
    func tlsHandshakeCompleted(context: ChannelHandlerContext) -> PeerCertificate? {
        acknowledgeNow(context: context)
        let facts = tlsFacts ?? TLSHandshakeFacts()
        (session.tlsCipher, session.sslSessionCacheHits) = configuration.tls.handshakeCompleted(facts)
        let peer = (try? context.pipeline.syncOperations.nioSSL_peerCertificate()).flatMap { $0 }.map {
            PeerCertificate(subject: Self.oneLine($0.subjectName), issuer: Self.oneLine($0.issuerName))
        }
        let certificateText = peer.map { ", client certificate \($0.subject) issued by \($0.issuer)" } ?? ""
        logger.info("TLS established: \(facts.cipher ?? "?")\(facts.resumed ? " (resumed)" : "")\(certificateText)")
        madeResponder?.sessionChanged(session)
        registry.update(session.connectionID) { $0.tlsCipher = facts.cipher }
        return peer
    }

    /// Logs a channel error; clients closing without close_notify are normal (debug level).
    func log(_ error: any Error) {
        if let tls = error as? NIOSSLError, case .uncleanShutdown = tls {
            logger.debug("client closed without close_notify")
        } else {
            logger.notice("connection error: \(error)")
        }
    }

    // MARK: Helpers

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
}

/// What a protocol handler does when its connection's timers expire: it turns each into an event
/// of its state machine.
protocol ConnectionTimeoutHandling: AnyObject {
    func connectTimeoutExpired(context: ChannelHandlerContext)
    func idleTimeoutExpired(context: ChannelHandlerContext)
    func quitGraceExpired(context: ChannelHandlerContext)
}

/// A connection's logger: the server's logger, with `mock.connection_id` attached only when a line
/// is really written. Copying a `Logger` and giving it metadata for every connection costs about as
/// much as the rest of the handler's set-up, and at the default level nothing is logged at all.
struct ConnectionLogger {
    let base: Logger
    let connectionID: UInt32

    func debug(_ message: @autoclosure () -> Logger.Message) { log(.debug, message()) }
    func info(_ message: @autoclosure () -> Logger.Message) { log(.info, message()) }
    func notice(_ message: @autoclosure () -> Logger.Message) { log(.notice, message()) }

    private func log(_ level: Logger.Level, _ message: @autoclosure () -> Logger.Message) {
        guard base.logLevel <= level else { return }
        var logger = base
        logger[metadataKey: "mock.connection_id"] = "\(connectionID)"
        logger.log(level: level, message())
    }
}

extension SessionRegistry {
    /// Records the user and schema a session now has.
    func update(from session: SessionInfo) {
        update(session.connectionID) {
            $0.user = session.user
            $0.schema = session.schema
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

extension Duration {
    /// In seconds, as a `Double`.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
