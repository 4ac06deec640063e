import MockModel
import MockScript
import MySQLWire
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A trace with an upstream server behind it (issue 19): each statement the trace does not
/// answer goes to a real server, over an upstream session per client connection opened when first
/// needed, and the server's answer is relayed (and kept by the recorder, if there is one).
///
/// Statements the trace answers never reach the upstream server, so the upstream session's state
/// (transactions, session variables, the current schema) follows only the statements it saw,
/// plus the client's schema (its login's database and COM_INIT_DB), which is sent before the next
/// relayed statement. The journal marks relayed answers with `answered_by: "upstream"`.
public final class UpstreamTrace: Trace {
    /// Who the upstream sessions log in as.
    public struct Credentials: Sendable {
        /// `nil`: the user the client logged in to the mock as.
        public var user: String?
        public var password: String

        public init(user: String? = nil, password: String = "") {
            self.user = user
            self.password = password
        }
    }

    public let inner: any Trace
    public let endpoint: UpstreamEndpoint
    public let credentials: Credentials
    public let recorder: TraceRecorder?

    public init(inner: any Trace, endpoint: UpstreamEndpoint, credentials: Credentials, recorder: TraceRecorder?) {
        self.inner = inner
        self.endpoint = endpoint
        self.credentials = credentials
        self.recorder = recorder
    }

    public var name: String { "\(inner.name) with upstream \(endpoint.address)" }

    public var scenarios: ScenarioStore? { inner.scenarios }
    public var coverage: [EntryCoverage]? { inner.coverage }
    public func resetCoverage() { inner.resetCoverage() }

    public func makeResponder(for session: SessionInfo) -> any StatementResponder {
        UpstreamResponder(inner: inner.makeResponder(for: session), trace: self, session: session)
    }

    /// The `answered_by` of relayed answers.
    public static let answeredBy = "upstream"

    /// Logs in once (at start) to learn the upstream server's greeting; the failure otherwise.
    public static func probe(_ endpoint: UpstreamEndpoint, credentials: Credentials,
                             on eventLoop: any EventLoop) async -> Result<HandshakeV10, UpstreamFailure> {
        let promise = eventLoop.makePromise(of: Result<HandshakeV10, UpstreamFailure>.self)
        eventLoop.execute {
            let login = UpstreamSessionStateMachine.Login(user: credentials.user ?? "root", password: credentials.password)
            UpstreamSession.open(endpoint, login: login, on: eventLoop) { result in
                switch result {
                case .success(let session):
                    let greeting = session.greeting
                    session.close()
                    promise.succeed(greeting.map { .success($0) } ?? .failure(UpstreamFailure(.malformed, "no greeting")))
                case .failure(let failure):
                    promise.succeed(.failure(failure))
                }
            }
        }
        return (try? await promise.futureResult.get()) ?? .failure(UpstreamFailure(.unreachable, "the probe did not finish"))
    }

    /// The part of a greeting the mock can honour: the server's version, status, character set
    /// and auth plugin, and those of its capabilities the mock implements.
    public static func greetingScript(_ greeting: HandshakeV10) -> HandshakeScript.Greeting {
        var script = HandshakeScript.Greeting()
        script.serverVersion = greeting.serverVersion
        script.capabilities = greeting.capabilities.intersection(.serverDefault).rawValue
        script.statusFlags = greeting.statusFlags.rawValue
        script.characterSet = greeting.characterSet
        script.authMethod = [AuthPlugin.nativePassword, AuthPlugin.cachingSHA2Password].contains(greeting.authPluginName)
            ? greeting.authPluginName : AuthPlugin.nativePassword
        return script
    }
}

/// One client connection's responder: the trace's, with unanswered statements relayed upstream.
/// Used on the connection's event loop only.
final class UpstreamResponder: StatementResponder {
    private let inner: any StatementResponder
    private let trace: UpstreamTrace
    private var session: SessionInfo
    /// The connection's event loop; the upstream session runs on it too.
    private let eventLoop: any EventLoop
    private var upstream: UpstreamSession?
    /// The schema the upstream session is in, as far as the mock knows.
    private var upstreamSchema: String?
    /// Read by the `deferred` closures, which are `Sendable` and run on `eventLoop`.
    private var bound: NIOLoopBound<UpstreamResponder>?

    init(inner: any StatementResponder, trace: UpstreamTrace, session: SessionInfo) {
        self.inner = inner
        self.trace = trace
        self.session = session
        self.eventLoop = MultiThreadedEventLoopGroup.currentEventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
    }

    func handshake(_ phase: HandshakePhase) -> HandshakeScript { inner.handshake(phase) }

    func respond(to statement: String) -> StatementResponse { inner.respond(to: statement) }

    func answer(to statement: String) -> StatementAnswer { answer(StatementRequest(text: statement)) }

    func answer(_ request: StatementRequest) -> StatementAnswer {
        let answer = inner.answer(request)
        guard Self.unanswered(answer) else { return answer }
        if bound == nil { bound = NIOLoopBound(self, eventLoop: eventLoop) }
        guard let bound else { return answer }
        let loop = eventLoop
        return .deferred { reply in
            if loop.inEventLoop {
                bound.value.relay(request, reply: reply)
            } else {
                loop.execute { bound.value.relay(request, reply: reply) }
            }
        }
    }

    func prepare(_ statement: String) -> PrepareAnswer { inner.prepare(statement) }

    func sessionChanged(_ session: SessionInfo) {
        self.session = session
        inner.sessionChanged(session)
        if let user = session.user { trace.recorder?.sawUser(user) }
    }

    func notices() -> [NoticeSpec] { inner.notices() }

    func sessionClosed() {
        inner.sessionClosed()
        upstream?.close()
        upstream = nil
        bound = nil
    }

    /// `true` when no trace entry answered: one result, not answered by any entry.
    static func unanswered(_ answer: StatementAnswer) -> Bool {
        if case .one(let response) = answer, response.answeredBy == nil { return true }
        return false
    }

    // MARK: Relaying

    /// Sends `request` upstream (opening the session first if needed) and replies with the answer.
    private func relay(_ request: StatementRequest, reply: @escaping @Sendable (StatementAnswer) -> Void) {
        // An execution of a prepared statement goes as its text with the values written in.
        let text = request.kind == .query ? request.text : request.interpolated
        withSession { [self] result in
            switch result {
            case .failure(let failure):
                reply(.one(StatementResponse(.error(failure.errorResponse(upstream: "\(trace.endpoint.address)")))))
            case .success(let upstream):
                let started = ContinuousClock.now
                upstream.run(.query(text)) { [self] result in
                    switch result {
                    case .success(let responses):
                        trace.recorder?.record(text, responses, elapsed: ContinuousClock.now - started)
                        reply(.of(responses.map { response in
                            var response = response
                            response.answeredBy = UpstreamTrace.answeredBy
                            return response
                        }))
                    case .failure(let failure):
                        dropUpstream()
                        reply(.one(StatementResponse(.error(failure.errorResponse(upstream: "\(trace.endpoint.address)")))))
                    }
                }
            }
        }
    }

    /// The upstream session, logged in and in the client's schema.
    private func withSession(_ body: @escaping (Result<UpstreamSession, UpstreamFailure>) -> Void) {
        if let upstream, upstream.isUsable {
            return inSchema(upstream, body)
        }
        dropUpstream()
        let login = UpstreamSessionStateMachine.Login(
            user: trace.credentials.user ?? session.user ?? "root", password: trace.credentials.password,
            database: session.schema,
            foundRows: CapabilityFlags(rawValue: session.clientCapabilities).contains(.foundRows))
        UpstreamSession.open(trace.endpoint, login: login, on: eventLoop) { [self] result in
            switch result {
            case .success(let upstream):
                self.upstream = upstream
                upstreamSchema = session.schema
                if let greeting = upstream.greeting {
                    trace.recorder?.greeted(serverVersion: greeting.serverVersion,
                                            capabilities: greeting.capabilities.intersection(.serverDefault).rawValue,
                                            statusFlags: greeting.statusFlags.rawValue,
                                            characterSet: greeting.characterSet, authMethod: greeting.authPluginName)
                }
                inSchema(upstream, body)
            case .failure(let failure):
                body(.failure(failure))
            }
        }
    }

    /// Sends COM_INIT_DB first when the client changed schema since the upstream session's last.
    private func inSchema(_ upstream: UpstreamSession, _ body: @escaping (Result<UpstreamSession, UpstreamFailure>) -> Void) {
        guard let schema = session.schema, schema != upstreamSchema else { return body(.success(upstream)) }
        upstream.run(.initDB(schema)) { [self] result in
            switch result {
            case .success(let responses):
                if case .error(let error)? = responses.first?.kind {
                    return body(.failure(UpstreamFailure(.serverError(code: error.code, sqlState: error.sqlState),
                                                         error.message)))
                }
                upstreamSchema = schema
                body(.success(upstream))
            case .failure(let failure):
                dropUpstream()
                body(.failure(failure))
            }
        }
    }

    private func dropUpstream() {
        upstream?.close()
        upstream = nil
    }
}
