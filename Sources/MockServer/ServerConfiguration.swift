import Logging
import NIOConcurrencyHelpers
import MockModel
import MySQLWire

/// Where a listener listens.
public enum ListenTarget: Sendable, Hashable, CustomStringConvertible {
    /// A TCP address; port 0 picks a free port.
    case tcp(host: String, port: Int)
    /// A Unix-domain socket path (the file is replaced on start and removed at exit).
    case unixSocket(path: String)

    public var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unixSocket(let path): path
        }
    }
}

/// The trace new connections are answered from, replaceable while the server runs (SIGHUP, the
/// REST API's reload). A connection keeps the trace it started with.
public final class TraceHolder: Sendable {
    /// What the admin API and the dashboard show of the trace: its name, when it was loaded, and
    /// how the last reload went.
    public struct Status: Sendable, Equatable {
        public var name: String
        /// Seconds since 1970 when the trace in use was loaded.
        public var loadedAt: Double
        /// Reloads that replaced the trace since start.
        public var reloads = 0
        /// The last reload that failed, if it came after the last one that worked: when, and why
        /// (the previous trace stays in use).
        public var failedAt: Double?
        public var failure: String?
        /// Reloads refused since start.
        public var failedReloads = 0
    }

    private struct State {
        var trace: any Trace
        var status: Status
        var passwordResets = PasswordResets()
    }

    private let box: NIOLockedValueBox<State>

    public init(_ trace: any Trace) {
        box = NIOLockedValueBox(State(trace: trace, status: Status(name: trace.name, loadedAt: Self.now())))
    }

    public var current: any Trace { box.withLockedValue { $0.trace } }

    public var status: Status { box.withLockedValue { $0.status } }

    /// The accounts whose expired password (`password_expired`) a session reset, until the next
    /// reload.
    public var passwordResets: PasswordResets { box.withLockedValue { $0.passwordResets } }

    public func replace(with trace: any Trace) {
        let now = Self.now()
        box.withLockedValue { state in
            state.trace = trace
            state.passwordResets = PasswordResets()
            state.status = Status(name: trace.name, loadedAt: now, reloads: state.status.reloads + 1,
                                  failedReloads: state.status.failedReloads)
        }
    }

    /// A reload that failed: the trace in use stays, and the status says why.
    public func reloadFailed(_ reason: String) {
        let now = Self.now()
        box.withLockedValue { state in
            state.status.failedAt = now
            state.status.failure = reason
            state.status.failedReloads += 1
        }
    }

    private static func now() -> Double { ConnectionCore.now() }
}

/// Settings shared by the listeners of one server.
public struct ServerConfiguration: Sendable {
    /// The trace (shared by every copy of this configuration).
    public let traces: TraceHolder
    /// The trace new connections are answered from.
    public var trace: any Trace { traces.current }
    /// Largest packet payload accepted from a client (`--max-packet-size`).
    public var maxPacketSize: Int
    /// A client that has not finished the handshake by then is disconnected (`--connect-timeout`).
    public var connectTimeout: Duration
    public var logger: Logger
    /// Encoded responses of the trace's fixed entries, shared by every connection.
    public let responseCache = EncodedResponseCache()
    /// `--ssl-mode` and the TLS context.
    public var tls: TLSSettings
    /// RSA keys for password exchange without TLS.
    public var passwordKeys: PasswordKeyPair
    /// Every statement received, for the admin API.
    public var journal: Journal
    /// More open sessions than this get ERR 1040 `Too many connections` instead of the greeting.
    public var maxConnections = 10_000
    /// An authenticated session idle this long is closed (`--wait-timeout`); `nil`: never.
    public var waitTimeout: Duration?
    /// What the server does after COM_QUIT (`--on-quit`).
    public var onQuit = QuitBehaviour.close
    /// Compression the classic protocol offers (`--protocol-compression-algorithms`).
    public var compression: Set<CompressionAlgorithm> = [.zlib, .zstd]
    /// Faults armed at run time (REST), shared by every copy of this configuration.
    public let faults = FaultArmory()
    /// Counters for `GET /metrics`, shared by every copy of this configuration.
    public let metrics = ServerMetrics()
    /// Connections the listeners hold open before they stop accepting, from the open-files limit.
    public var descriptorBudget = DescriptorBudget.forProcess()

    public init(trace: any Trace, maxPacketSize: Int = 64 << 20, connectTimeout: Duration = .seconds(10),
                logger: Logger = Logger(label: "mock_server"), tls: TLSSettings = .disabled,
                passwordKeys: PasswordKeyPair = PasswordKeyPair(), journal: Journal = Journal()) {
        self.traces = TraceHolder(trace)
        self.maxPacketSize = maxPacketSize
        self.connectTimeout = connectTimeout
        self.logger = logger
        self.tls = tls
        self.passwordKeys = passwordKeys
        self.journal = journal
    }
}

/// What the server does after a client's COM_QUIT.
public enum QuitBehaviour: String, Sendable, CaseIterable {
    /// Close the connection at once, as MySQL and MariaDB do (clients such as node-mysql wait for
    /// it); the TIME_WAIT state is then on the server's side.
    case close
    /// The reference's way: wait for the client to close first (TIME_WAIT on the client's side),
    /// and close after a second if it does not.
    case waitForClient = "wait-for-client"
}
