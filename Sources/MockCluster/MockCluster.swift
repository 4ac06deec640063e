import Logging
import MockModel
import MockScript
import MockServer
import NIOCore
import NIOPosix
import Synchronization

/// Several mock servers in one process (issue 20): each node has its own listeners (classic, and
/// X when asked), trace, globals (read over the cluster's shared globals), journal and faults,
/// and can be stopped and started again while the others run.
///
/// Traces see where they run: each node's `mock_node` global is
/// `{"name", "host", "port", "xport", "role", "state"}`, and the shared `mock_nodes` lists every
/// node so; `mysqld.session.port` is the node's port as on a single server.
public final class MockCluster: Sendable {
    /// One node's facts, as REST lists them.
    public struct NodeStatus: Sendable, Equatable {
        public var name: String
        public var host: String
        public var port: Int
        public var xport: Int?
        public var role: String
        public var running: Bool
        public var sessions: Int

        var json: JSONValue {
            .object([
                "name": .string(name), "host": .string(host), "port": .int(Int64(port)),
                "xport": xport.map { .int(Int64($0)) } ?? .null, "role": .string(role),
                "state": .string(running ? "running" : "stopped"), "sessions": .int(Int64(sessions)),
            ])
        }
    }

    /// What a stopped node's open sessions do.
    public enum StoppedSessions: String, Sendable {
        /// Closed at once (clients see the connection go: 2013).
        case drop
        /// Kept open and never answered again (clients wait until they give up).
        case hang
    }

    public let configuration: ClusterConfiguration
    /// The globals every node reads under its own.
    public let sharedGlobals: GlobalStore
    public let nodes: [Node]
    private let group: any EventLoopGroup

    /// Loads every node's trace and binds every listener (a failure stops what was started).
    public static func start(_ configuration: ClusterConfiguration, logger: Logger = Logger(label: "mock_server"),
                             modulePrefixes: [String] = [], scriptLimits: ScriptLimits = ScriptLimits(),
                             group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> MockCluster {
        let shared = GlobalStore()
        for (key, value) in configuration.globals { shared.set(key, json: value) }
        var nodes: [Node] = []
        for spec in configuration.nodes {
            let globals = GlobalStore(shared: shared)
            for (key, value) in spec.globals { globals.set(key, json: value) }
            var nodeLogger = logger
            nodeLogger[metadataKey: "mock.node"] = "\(spec.name)"
            let trace: any Trace
            do {
                trace = try TraceLoader.load(spec.filename, modulePrefixes: modulePrefixes, globals: globals,
                                             logger: nodeLogger, scriptLimits: scriptLimits)
            } catch {
                throw ClusterError(description: "node \(spec.name): \(error)")
            }
            nodes.append(Node(spec: spec, host: configuration.bindAddress, globals: globals,
                              configuration: ServerConfiguration(trace: trace, logger: nodeLogger),
                              modulePrefixes: modulePrefixes, scriptLimits: scriptLimits))
        }
        let cluster = MockCluster(configuration: configuration, sharedGlobals: shared, nodes: nodes, group: group)
        do {
            for node in nodes { try await node.start(group: group) }
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.publishFacts()
        return cluster
    }

    private init(configuration: ClusterConfiguration, sharedGlobals: GlobalStore, nodes: [Node], group: any EventLoopGroup) {
        self.configuration = configuration
        self.sharedGlobals = sharedGlobals
        self.nodes = nodes
        self.group = group
    }

    public func node(_ name: String) -> Node? { nodes.first { $0.name == name } }

    public func status() async -> [NodeStatus] {
        var list: [NodeStatus] = []
        for node in nodes { list.append(await node.status()) }
        return list
    }

    /// Stops a node: its listeners close (connecting gets "connection refused"), and its sessions
    /// are dropped or left hanging.
    public func stop(_ name: String, sessions: StoppedSessions = .drop) async throws(ClusterError) -> NodeStatus {
        guard let node = node(name) else { throw ClusterError(description: "no node \"\(name)\"") }
        await node.stop(sessions: sessions)
        await publishFacts()
        return await node.status()
    }

    /// Starts a stopped node again on the same ports.
    public func start(_ name: String) async throws -> NodeStatus {
        guard let node = node(name) else { throw ClusterError(description: "no node \"\(name)\"") }
        try await node.start(group: group)
        await publishFacts()
        return await node.status()
    }

    /// Gives a node another role (what `mock_node` and `mock_nodes` say).
    public func setRole(_ name: String, _ role: String) async throws(ClusterError) -> NodeStatus {
        guard let node = node(name) else { throw ClusterError(description: "no node \"\(name)\"") }
        await node.setRole(role)
        await publishFacts()
        return await node.status()
    }

    /// Stops every node, closing every session.
    public func stop() async {
        for node in nodes { await node.stop(sessions: .drop) }
    }

    /// `mock_node` on each node, `mock_nodes` in the shared globals.
    private func publishFacts() async {
        let all = await status()
        sharedGlobals.set("mock_nodes", json: JSONValue.array(all.map(\.json)).jsonText)
        for (node, facts) in zip(nodes, all) { node.globals.set("mock_node", json: facts.json.jsonText) }
    }

    public struct ClusterError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// One node: its configuration (trace, journal, faults) lives as long as the cluster; its
    /// listeners come and go.
    public actor Node {
        public nonisolated let name: String
        public nonisolated let globals: GlobalStore
        public nonisolated let configuration: ServerConfiguration
        public nonisolated let registry = SessionRegistry()
        nonisolated let spec: ClusterConfiguration.Node
        nonisolated let host: String
        nonisolated let modulePrefixes: [String]
        nonisolated let scriptLimits: ScriptLimits
        private var instance: MockServerInstance?
        private var port: Int
        private var xport: Int?
        private var role: String
        /// The stall armed while the node is stopped with its sessions hanging.
        private var hangFault: Int?

        init(spec: ClusterConfiguration.Node, host: String, globals: GlobalStore, configuration: ServerConfiguration,
             modulePrefixes: [String], scriptLimits: ScriptLimits) {
            self.name = spec.name
            self.spec = spec
            self.host = host
            self.globals = globals
            self.configuration = configuration
            self.port = spec.port
            self.xport = spec.xport
            self.role = spec.role
            self.modulePrefixes = modulePrefixes
            self.scriptLimits = scriptLimits
        }

        public func status() -> NodeStatus {
            NodeStatus(name: name, host: host, port: port, xport: xport, role: role, running: instance != nil,
                       sessions: registry.count())
        }

        func start(group: any EventLoopGroup) async throws {
            guard instance == nil else { return }
            let started = try await MockServerInstance.bind(
                configuration: configuration, classic: [.tcp(host: host, port: port)],
                x: xport.map { [.tcp(host: host, port: $0)] } ?? [], group: group, registry: registry)
            // Port 0 picked a free port: the node keeps it across restarts.
            port = started.port ?? port
            if xport != nil { xport = started.xPort ?? xport }
            instance = started
            if let hangFault {
                configuration.faults.remove(hangFault)
                self.hangFault = nil
            }
        }

        func stop(sessions: StoppedSessions) async {
            guard let instance else { return }
            self.instance = nil
            switch sessions {
            case .drop:
                await instance.stop()
            case .hang:
                hangFault = configuration.faults.arm(FaultArmory.Armed(
                    fault: .stall, count: Int.max, filterDescription: "node stopped, its sessions hang"))
                await instance.stopAccepting()
            }
        }

        func setRole(_ role: String) {
            self.role = role
        }

        /// Loads `filename` for the node's new connections (open ones keep their trace).
        public func loadTrace(_ filename: String) throws -> String {
            let trace: any Trace
            do {
                trace = try TraceLoader.load(filename, modulePrefixes: modulePrefixes, globals: globals,
                                             logger: configuration.logger, scriptLimits: scriptLimits)
            } catch {
                configuration.traces.reloadFailed("\(error)")
                throw error
            }
            configuration.traces.replace(with: trace)
            return trace.name
        }
    }
}

/// Starts a cluster for the length of `body` (every node on a free port unless the configuration
/// gives one), then stops it, whether `body` returned or threw: the cluster counterpart of
/// `withMockServer`.
///
/// ```swift
/// let nodes = (1...3).map { ClusterConfiguration.Node(name: "n\($0)", filename: "metadata.js") }
/// try await withMockCluster(ClusterConfiguration(nodes: nodes)) { cluster in
///     let port = await cluster.status()[0].port
///     _ = try await cluster.stop("n2")
/// }
/// ```
public func withMockCluster<T: Sendable>(
    _ configuration: ClusterConfiguration, logger: Logger = Logger(label: "mock_server", factory: { _ in SwiftLogNoOpLogHandler() }),
    _ body: (MockCluster) async throws -> T
) async throws -> T {
    let cluster = try await MockCluster.start(configuration, logger: logger)
    do {
        let result = try await body(cluster)
        await cluster.stop()
        return result
    } catch {
        await cluster.stop()
        throw error
    }
}
