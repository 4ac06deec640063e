import Logging
import MockModel
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// One listening address (TCP or Unix) serving the classic protocol from the configured trace.
/// A `Service`: `run()` serves until graceful shutdown, then stops accepting, closes its sessions
/// and waits until they are gone.
public final class MockListener: Service, Sendable {
    public let target: ListenTarget
    public let wireProtocol: SessionInfo.WireProtocol
    private let configuration: ServerConfiguration
    private let registry: SessionRegistry
    private let group: any EventLoopGroup
    /// The listening sockets: one, or one per event loop for TCP (see `bind`).
    private let channels: [any Channel]

    /// The port actually bound (useful with port 0); 0 for a Unix socket.
    public var port: Int { channels.first?.localAddress?.port ?? 0 }

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
        let timersByLoop = LoopTimersByLoop(group: group, connectTimeout: configuration.connectTimeout,
                                            waitTimeout: configuration.waitTimeout)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Void> = { child in
            let id = registry.makeConnectionID()
            let peer = child.remoteAddress
            let peerText: String
            let peerHost: String
            switch target {
            case .tcp:
                let ip = peer?.ipAddress  // inet_ntop: once
                peerText = peer.map { "\(ip ?? "?"):\($0.port ?? 0)" } ?? "?"
                peerHost = ip ?? "localhost"
            case .unixSocket(let path):
                peerText = path
                peerHost = "localhost"
            }
            let localPort = isTCP ? (child.localAddress?.port ?? 0) : 0
            let session = SessionInfo(connectionID: id, wireProtocol: wireProtocol, port: localPort, peer: peerText)
            return child.eventLoop.makeCompletedFuture {
                let timers = timersByLoop.timers(for: child.eventLoop)
                switch wireProtocol {
                case .classic:
                    try child.pipeline.syncOperations.addHandler(
                        ClassicConnectionHandler(configuration: configuration, registry: registry,
                                                 listenerName: listenerName, session: session, peerHost: peerHost,
                                                 unixSocket: !isTCP, timers: timers))
                case .x:
                    try child.pipeline.syncOperations.addHandler(
                        XConnectionHandler(configuration: configuration, registry: registry, listenerName: listenerName,
                                           session: session, peerHost: peerHost, unixSocket: !isTCP, timers: timers))
                }
            }
        }
        func bootstrap(on group: any EventLoopGroup, reusePort: Bool) -> ServerBootstrap {
            var bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.maxMessagesPerRead, value: 32)
            if reusePort {
                bootstrap = bootstrap.serverChannelOption(
                    ChannelOptions.Types.SocketOption(level: .socket, name: .init(rawValue: SO_REUSEPORT)), value: 1)
            }
            // No child options: TCP_NODELAY is set on the listening socket by NIO and accepted
            // sockets inherit it (Linux), and autoRead is on by default; every child option would
            // cost a setsockopt and a future per connection.
            return bootstrap
                .serverChannelInitializer { channel in
                    // Accept no more connections than descriptors allow, and should the process
                    // run out anyway (accept failing at once, again and again), pause instead.
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers(
                            AcceptBackoff(logger: configuration.logger),
                            DescriptorBudgetHandler(budget: configuration.descriptorBudget, logger: configuration.logger))
                    }
                }
                .childChannelInitializer(initializer)
        }
        var channels: [any Channel] = []
        switch target {
        case .tcp(let host, let port):
            let loops = Array(group.makeIterator())
            if loops.count > 1 {
                // One listening socket per event loop (SO_REUSEPORT): each loop accepts and serves its
                // own connections, so no connection is handed from one thread to another. Sharing
                // the port must not hide another process on it, so a plain bind is tried first.
                if port != 0 { try checkPortIsFree(host: host, port: port) }
                var boundPort = port
                do {
                    for loop in loops {
                        let channel = try await bootstrap(on: loop, reusePort: true).bind(host: host, port: boundPort).get()
                        if boundPort == 0 { boundPort = channel.localAddress?.port ?? 0 }
                        channels.append(channel)
                    }
                } catch {
                    for channel in channels { try? await channel.close() }
                    throw error
                }
            } else {
                channels.append(try await bootstrap(on: group, reusePort: false).bind(host: host, port: port).get())
            }
        case .unixSocket(let path):
            // A stale socket file (its server is gone) is replaced; a live one is not taken over.
            try checkSocketIsFree(path: path)
            channels.append(try await bootstrap(on: group, reusePort: false)
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get())
        }
        let listener = MockListener(target: target, configuration: configuration, registry: registry, group: group,
                                    channels: channels, wireProtocol: wireProtocol)
        let kind = wireProtocol == .classic ? "classic" : "x"
        configuration.logger.notice("Starting to handle \(kind) connections on \(listener.boundDescription)")
        return listener
    }

    private init(target: ListenTarget, configuration: ServerConfiguration, registry: SessionRegistry,
                 group: any EventLoopGroup, channels: [any Channel], wireProtocol: SessionInfo.WireProtocol) {
        self.wireProtocol = wireProtocol
        self.target = target
        self.configuration = configuration
        self.registry = registry
        self.group = group
        self.channels = channels
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

    /// Stops accepting; the sessions it accepted stay (a cluster node stopped with its sessions
    /// left hanging).
    public func stopAccepting() async {
        for channel in channels { try? await channel.close() }
        if case .unixSocket(let path) = target { unlink(path) }
    }

    /// Stops accepting, closes this listener's sessions and waits for them to finish.
    public func stop() async throws {
        for channel in channels { try? await channel.close() }
        registry.closeAll(listener: name)
        await registry.waitUntilEmpty(listener: name)
        if case .unixSocket(let path) = target {
            unlink(path)
        }
    }
}

/// A Unix socket path where another server accepts connections.
struct SocketInUse: Error, CustomStringConvertible {
    var path: String
    var description: String {
        "another server is listening on \(path) (it accepted a connection); stop it or choose another path"
    }
}

/// Throws `SocketInUse` if a server accepts connections on the Unix socket `path`. A file there
/// that refuses connections is a leftover of a server that is gone, and may be replaced.
private func checkSocketIsFree(path: String) throws {
    guard let address = try? SocketAddress(unixDomainSocketPath: path) else { return }
    let fd = socket(AF_UNIX, CInt(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let result = address.withSockAddr { pointer, size in connect(fd, pointer, socklen_t(size)) }
    if result == 0 { throw SocketInUse(path: path) }
}

/// Fails with `EADDRINUSE` (as a bind would) if something already listens on `host:port`. Used
/// before binding SO_REUSEPORT sockets, which would otherwise share the port with another process.
private func checkPortIsFree(host: String, port: Int) throws {
    let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
    let family: CInt
    switch address {
    case .v4: family = AF_INET
    case .v6: family = AF_INET6
    case .unixDomainSocket: return
    }
    let fd = socket(family, CInt(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return }
    defer { close(fd) }
    var one: CInt = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
    let result = address.withSockAddr { pointer, size in bind(fd, pointer, socklen_t(size)) }
    if result != 0, errno == EADDRINUSE {
        throw IOError(errnoCode: EADDRINUSE, reason: "bind(descriptor:ptr:bytes:)")
    }
}
