/// Facts about one client session that traces may read (`mysqld.session` in JavaScript).
public struct SessionInfo: Sendable, Hashable {
    public enum WireProtocol: String, Sendable, Hashable {
        case classic
        case x
    }

    public var connectionID: UInt32
    public var wireProtocol: WireProtocol
    /// The port of the listener the client connected to; 0 for a Unix socket.
    public var port: Int
    /// The peer's address as text (`127.0.0.1:53012`, or the socket path).
    public var peer: String
    /// The authenticated user; `nil` before authentication.
    public var user: String?
    /// The default schema (from the handshake, COM_INIT_DB or COM_CHANGE_USER).
    public var schema: String?
    /// The negotiated TLS cipher (OpenSSL's name); `nil` without TLS.
    public var tlsCipher: String?
    /// Resumed TLS sessions of the server so far (`ssl_session_cache_hits`).
    public var sslSessionCacheHits = 0
    /// The capabilities the classic client and the server agreed on at login (0 before, and on
    /// the X protocol).
    public var clientCapabilities: UInt32 = 0

    public init(connectionID: UInt32, wireProtocol: WireProtocol = .classic, port: Int, peer: String = "",
                user: String? = nil, schema: String? = nil) {
        self.connectionID = connectionID
        self.wireProtocol = wireProtocol
        self.port = port
        self.peer = peer
        self.user = user
        self.schema = schema
    }
}

/// A loaded trace: made once at start, shared by every listener and connection.
public protocol Trace: Sendable {
    /// A human-readable name of where the trace came from (a path or `builtin:default`).
    var name: String { get }
    /// The per-connection responder. Called on the connection's event loop when it is accepted.
    func makeResponder(for session: SessionInfo) -> any StatementResponder
    /// The trace's scenarios (`"scenarios"` in a JSON trace), for the REST API; `nil` when it
    /// declares none.
    var scenarios: ScenarioStore? { get }
    /// How many statements each entry answered since the trace was loaded (or the counts were
    /// reset), in trace order; `nil` for a trace without entries to count (JavaScript, built-in).
    var coverage: [EntryCoverage]? { get }
    /// Every entry's count back to zero.
    func resetCoverage()
}

extension Trace {
    public var scenarios: ScenarioStore? { nil }
    public var coverage: [EntryCoverage]? { nil }
    public func resetCoverage() {}
}

/// One trace entry's use: its label (`stmts[3]`), its `stmt` or `stmt.regex` (`nil` for an entry
/// answering in turn), and the statements it answered.
public struct EntryCoverage: Sendable, Equatable {
    public var entry: String
    public var matcher: String?
    public var isRegex: Bool
    public var uses: Int

    public init(entry: String, matcher: String?, isRegex: Bool, uses: Int) {
        (self.entry, self.matcher, self.isRegex, self.uses) = (entry, matcher, isRegex, uses)
    }
}

/// Answers the statements of one connection. Used from that connection's event loop only, so it
/// may keep state (position in an ordered trace, a JavaScript heap) without locks.
public protocol StatementResponder: AnyObject {
    /// The handshake contents for `phase`.
    func handshake(_ phase: HandshakePhase) -> HandshakeScript
    /// The response to one statement (COM_QUERY text, or an X protocol StmtExecute).
    func respond(to statement: String) -> StatementResponse
    /// Everything to send for one statement. The server calls this; the default answers with
    /// `respond(to:)`. Responders with several results or with answers that arrive later (an
    /// upstream server) implement it.
    func answer(to statement: String) -> StatementAnswer
    /// Everything to send for a statement with its parameters and attributes (an execution of a
    /// prepared statement, a query with attributes). The default answers a query's text, and an
    /// execution's text with its parameters written in (`SELECT ?` with 7 is `SELECT 7`).
    func answer(_ request: StatementRequest) -> StatementAnswer
    /// What preparing `statement` gives: the columns its executions return, or an error. The
    /// default cannot tell (`.unknown`).
    func prepare(_ statement: String) -> PrepareAnswer
    /// Called when the session's user or schema changed (after authentication, COM_INIT_DB,
    /// COM_CHANGE_USER).
    func sessionChanged(_ session: SessionInfo)
    /// X protocol notices to send after authentication (the trace's `notices`).
    func notices() -> [NoticeSpec]
    /// The connection closed: whatever the responder holds open for it (an upstream session) goes.
    func sessionClosed()
}

extension StatementResponder {
    public func answer(to statement: String) -> StatementAnswer { .one(respond(to: statement)) }
    public func answer(_ request: StatementRequest) -> StatementAnswer { answer(to: request.interpolated) }
    public func prepare(_ statement: String) -> PrepareAnswer { .unknown }
    public func sessionChanged(_ session: SessionInfo) {}
    public func notices() -> [NoticeSpec] { [] }
    public func sessionClosed() {}
}
