import Logging
import MockModel
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// One listening socket (TCP or Unix) serving the classic protocol from the configured trace.
/// A `Service`: `run()` serves until graceful shutdown, then stops accepting, closes its sessions
/// and waits until they are gone.
public final class MockListener: Service, Sendable {
    public let target: ListenTarget
    public let wireProtocol: SessionInfo.WireProtocol
    private let configuration: ServerConfiguration
    private let registry: SessionRegistry
    private let group: any EventLoopGroup
    private let channel: any Channel

    /// The port actually bound (useful with port 0); 0 for a Unix socket.
    public var port: Int { channel.localAddress?.port ?? 0 }

    /// A name for logs and the registry: `classic:127.0.0.1:3306`, `x:127.0.0.1:33060`.
    public var name: String { "\(wireProtocol.rawValue):\(target)" }

    /// Binds `target` now, so that bind errors surface before anything runs.
    public static func bind(
        _ target: ListenTarget, configuration: ServerConfiguration, registry: SessionRegistry,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, wireProtocol: SessionInfo.WireProtocol = .classic
    ) async throws -> MockListener {
        let listenerName = "\(wireProtocol.rawValue):\(target)"
        let isTCP: Bool
        if case .tcp = target { isTCP = true } else { isTCP = false }
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.maxMessagesPerRead, value: 32)
            .childChannelOption(.autoRead, value: true)
        if isTCP {
            bootstrap = bootstrap.childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        }
        bootstrap = bootstrap.childChannelInitializer { child in
            let id = registry.makeConnectionID()
            let peer = child.remoteAddress
            let peerText: String
            let peerHost: String
            switch target {
            case .tcp(_, let port):
                peerText = peer.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
                peerHost = peer?.ipAddress ?? "localhost"
                _ = port
            case .unixSocket(let path):
                peerText = path
                peerHost = "localhost"
            }
            let localPort = isTCP ? (child.localAddress?.port ?? 0) : 0
            let session = SessionInfo(connectionID: id, wireProtocol: wireProtocol, port: localPort, peer: peerText)
            return child.eventLoop.makeCompletedFuture {
                switch wireProtocol {
                case .classic:
                    try child.pipeline.syncOperations.addHandler(
                        ClassicConnectionHandler(configuration: configuration, registry: registry,
                                                 listenerName: listenerName, session: session, peerHost: peerHost,
                                                 unixSocket: !isTCP))
                case .x:
                    try child.pipeline.syncOperations.addHandler(
                        XConnectionHandler(configuration: configuration, registry: registry, listenerName: listenerName,
                                           session: session, peerHost: peerHost, unixSocket: !isTCP))
                }
            }
        }
        let channel: any Channel
        switch target {
        case .tcp(let host, let port):
            channel = try await bootstrap.bind(host: host, port: port).get()
        case .unixSocket(let path):
            channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        }
        let listener = MockListener(target: target, configuration: configuration, registry: registry, group: group,
                                    channel: channel, wireProtocol: wireProtocol)
        let kind = wireProtocol == .classic ? "classic" : "x"
        configuration.logger.notice("Starting to handle \(kind) connections on \(listener.boundDescription)")
        return listener
    }

    private init(target: ListenTarget, configuration: ServerConfiguration, registry: SessionRegistry,
                 group: any EventLoopGroup, channel: any Channel, wireProtocol: SessionInfo.WireProtocol) {
        self.wireProtocol = wireProtocol
        self.target = target
        self.configuration = configuration
        self.registry = registry
        self.group = group
        self.channel = channel
    }

    /// The address clients connect to, as the reference logs it.
    public var boundDescription: String {
        switch target {
        case .tcp(let host, _): ListenTarget.tcp(host: host, port: port).description
        case .unixSocket(let path): path
        }
    }

    public func run() async throws {
        try? await gracefulShutdown()
        try await stop()
    }

    /// Stops accepting, closes this listener's sessions and waits for them to finish.
    public func stop() async throws {
        try? await channel.close()
        registry.closeAll(listener: name)
        await registry.waitUntilEmpty(listener: name)
        if case .unixSocket(let path) = target {
            unlink(path)
        }
    }
}
