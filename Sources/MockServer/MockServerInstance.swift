import MockModel
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// One mock server: its listeners (classic and X, TCP and Unix sockets), the registry of their
/// sessions and the journal of their statements. The command line and `withMockServer` both
/// assemble a server this way, so an embedded server has everything the binary has.
public final class MockServerInstance: Sendable {
    /// A listener that could not be bound: which protocol, where, and why.
    public struct BindFailure: Error, CustomStringConvertible {
        public var wireProtocol: SessionInfo.WireProtocol
        public var target: ListenTarget
        public var underlying: any Error

        public var description: String {
            let reason = (underlying as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(underlying)"
            return "mock_server:\(wireProtocol.rawValue): binding to \(target) failed: \(reason)"
        }
    }

    public let configuration: ServerConfiguration
    public let registry: SessionRegistry
    /// Every listener, classic first, in the order given.
    public let listeners: [MockListener]

    /// Every statement received, for tests to inspect and wait on.
    public var journal: Journal { configuration.journal }

    /// The first classic TCP listener's port, if there is one.
    public var port: Int? { firstPort(of: .classic) }
    /// The first X TCP listener's port, if there is one.
    public var xPort: Int? { firstPort(of: .x) }

    /// Binds every target now (bind errors surface before anything runs); a failure closes the
    /// listeners already bound.
    public static func bind(configuration: ServerConfiguration, classic: [ListenTarget], x: [ListenTarget] = [],
                            group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                            registry: SessionRegistry = SessionRegistry()) async throws(BindFailure)
        -> MockServerInstance
    {
        var listeners: [MockListener] = []
        let targets = classic.map { ($0, SessionInfo.WireProtocol.classic) } + x.map { ($0, .x) }
        for (target, wire) in targets {
            do {
                listeners.append(try await MockListener.bind(target, configuration: configuration, registry: registry,
                                                             group: group, wireProtocol: wire))
            } catch {
                for listener in listeners { try? await listener.stop() }
                throw BindFailure(wireProtocol: wire, target: target, underlying: error)
            }
        }
        return MockServerInstance(configuration: configuration, registry: registry, listeners: listeners)
    }

    private init(configuration: ServerConfiguration, registry: SessionRegistry, listeners: [MockListener]) {
        self.configuration = configuration
        self.registry = registry
        self.listeners = listeners
    }

    /// Stops accepting, closes every session and waits until they are gone.
    public func stop() async {
        for listener in listeners { try? await listener.stop() }
    }

    /// Stops accepting and leaves the sessions open.
    public func stopAccepting() async {
        for listener in listeners { await listener.stopAccepting() }
    }

    private func firstPort(of wire: SessionInfo.WireProtocol) -> Int? {
        listeners.first { listener in
            guard listener.wireProtocol == wire, case .tcp = listener.target else { return false }
            return true
        }?.port
    }
}
