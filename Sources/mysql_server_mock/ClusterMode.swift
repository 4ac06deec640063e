import Logging
import MockAdmin
import MockCluster
import MockServer
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// `--cluster <file>`: every node of the file in this process, one REST API for all of them.
enum ClusterMode {
    static func run(_ path: String, options: Options) async {
        let configuration: ClusterConfiguration
        do {
            configuration = try ClusterConfiguration.load(path)
        } catch {
            Entrypoint.fail("\(error)")
        }
        let logger = Entrypoint.setUpLogging(options, logName: "mock_server_cluster.log")
        let group: any EventLoopGroup = options.ioThreads.map { MultiThreadedEventLoopGroup(numberOfThreads: $0) }
            ?? MultiThreadedEventLoopGroup.singleton
        let cluster: MockCluster
        do {
            cluster = try await MockCluster.start(configuration, logger: logger, modulePrefixes: options.modulePrefix,
                                                  scriptLimits: options.scriptLimits, group: group)
        } catch {
            Entrypoint.fail("\(error)")
        }
        for node in await cluster.status() {
            let role = node.role.isEmpty ? "no role" : node.role
            let x = node.xport.map { ", X protocol on \($0)" } ?? ""
            logger.notice("node \(node.name) (\(role)) on \(node.host):\(node.port)\(x)")
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: ClusterService(cluster: cluster))]
        let (adminUp, adminListening) = AsyncStream<Never>.makeStream()
        if let httpPort = configuration.httpPort {
            let access = AdminAccess(bindAddress: configuration.bindAddress, token: options.httpAuthToken)
            let app = AdminServer.application(host: configuration.bindAddress, port: httpPort,
                                              responder: ClusterAdminResponder(cluster: cluster, access: access),
                                              logger: Logger(label: "rest_mock_server"),
                                              onServerRunning: { adminListening.finish() })
            services.append(.init(service: app))
            let base = "http://\(ListenTarget.tcp(host: configuration.bindAddress, port: httpPort))"
            logger.notice("REST API on \(base)/api/v1/mock_server/nodes, dashboard on \(base)/")
        } else {
            adminListening.finish()
        }
        let serviceGroup = ServiceGroup(configuration: .init(
            services: services + [.init(service: ReadinessNotifier(logger: logger, ready: { for await _ in adminUp {} }))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await serviceGroup.run()
        } catch {
            logger.error("stopped with error: \(error)")
            exit(1)
        }
        exit(0)
    }
}

/// Runs until shutdown, then stops every node.
struct ClusterService: Service {
    let cluster: MockCluster

    func run() async throws {
        try? await gracefulShutdown()
        await cluster.stop()
    }
}
