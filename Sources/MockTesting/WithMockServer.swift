import Logging
import MockModel
import MockScript
import MockServer
import MySQLWire
import NIOCore
import NIOPosix

/// What an embedded mock server is made of: the trace and the globals it reads, and the options
/// the command line has (TLS, the X protocol, limits, the journal's size).
public struct MockServerOptions: Sendable {
    public var trace: any Trace
    /// The globals the trace reads and the REST API would change (`mysqld.global`, `$global`).
    public var globals: GlobalStore
    /// `--ssl-mode` and the certificates; `TestCertificates.tls()` gives a ready one.
    public var tls: TLSSettings = .disabled
    /// Also serve the X protocol (`--xport`) on a free port.
    public var xProtocol = false
    public var maxPacketSize = 64 << 20
    public var connectTimeout: Duration = .seconds(10)
    public var waitTimeout: Duration?
    public var maxConnections = 10_000
    public var journalSize = 10_000
    /// Compression the classic protocol offers.
    public var compression: Set<CompressionAlgorithm> = [.zlib, .zstd]
    public var logger = Logger(label: "mock_server", factory: { _ in SwiftLogNoOpLogHandler() })

    /// `globals` must be the store `trace` was made with, for the test to change what it reads.
    public init(trace: any Trace, globals: GlobalStore = GlobalStore()) {
        self.trace = trace
        self.globals = globals
    }

    /// A JSON trace given as text, reading its own globals.
    public static func json(_ text: String, name: String = "inline") throws -> MockServerOptions {
        let globals = GlobalStore()
        return MockServerOptions(trace: try JSONTrace(json: text, name: name, globals: globals), globals: globals)
    }
}

/// A mock server started in-process for one test.
public struct RunningMockServer: Sendable {
    /// The classic-protocol TCP port it listens on (127.0.0.1).
    public let port: Int
    /// The X protocol port, when `xProtocol` was asked for.
    public let xPort: Int?
    public let host: String
    /// Its sessions: count them, close them all.
    public let registry: SessionRegistry
    /// Every statement it received.
    public let journal: Journal
    /// The globals its trace reads; setting one changes what later statements get.
    public let globals: GlobalStore
}

/// Starts a mock server on 127.0.0.1 and free ports, runs `body`, then stops the server (closing
/// every session and waiting for them), whether `body` returned or threw. Assembled like the
/// command line's server (`MockServerInstance`).
///
/// ```swift
/// var options = try MockServerOptions.json(#"{"stmts": [...]}"#)
/// options.xProtocol = true
/// try await withMockServer(options) { server in
///     let client = try await MySQLTestClient.connect(port: server.port)
///     ...
/// }
/// ```
public func withMockServer<T: Sendable>(
    _ options: MockServerOptions, _ body: (RunningMockServer) async throws -> T
) async throws -> T {
    var configuration = ServerConfiguration(
        trace: options.trace, maxPacketSize: options.maxPacketSize, connectTimeout: options.connectTimeout,
        logger: options.logger, tls: options.tls, journal: Journal(capacity: options.journalSize))
    configuration.waitTimeout = options.waitTimeout
    configuration.maxConnections = options.maxConnections
    configuration.compression = options.compression
    let server = try await MockServerInstance.bind(
        configuration: configuration, classic: [.tcp(host: "127.0.0.1", port: 0)],
        x: options.xProtocol ? [.tcp(host: "127.0.0.1", port: 0)] : [])
    let running = RunningMockServer(port: server.port ?? 0, xPort: server.xPort, host: "127.0.0.1",
                                    registry: server.registry, journal: server.journal, globals: options.globals)
    do {
        let result = try await body(running)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

/// `withMockServer` for a trace made elsewhere.
public func withMockServer<T: Sendable>(
    trace: any Trace,
    maxPacketSize: Int = 64 << 20,
    connectTimeout: Duration = .seconds(10),
    logger: Logger = Logger(label: "mock_server", factory: { _ in SwiftLogNoOpLogHandler() }),
    _ body: (RunningMockServer) async throws -> T
) async throws -> T {
    var options = MockServerOptions(trace: trace)
    options.maxPacketSize = maxPacketSize
    options.connectTimeout = connectTimeout
    options.logger = logger
    return try await withMockServer(options, body)
}

/// `withMockServer` for a JSON trace given as text.
public func withMockServer<T: Sendable>(
    json: String, _ body: (RunningMockServer) async throws -> T
) async throws -> T {
    try await withMockServer(try MockServerOptions.json(json), body)
}
