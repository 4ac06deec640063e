import Logging
import MockModel
import MockScript
import MockServer
import NIOCore
import NIOPosix

/// A mock server started in-process for one test.
public struct RunningMockServer: Sendable {
    /// The TCP port it listens on (127.0.0.1).
    public let port: Int
    public let host: String
    /// Its sessions: count them, close them all.
    public let registry: SessionRegistry
}

/// Starts a mock server on 127.0.0.1 and a free port, runs `body`, then stops the server (closing
/// every session and waiting for them), whether `body` returned or threw.
///
/// ```swift
/// try await withMockServer(trace: JSONTrace(json: #"{"stmts": [...]}"#, name: "t")) { server in
///     let client = try await MySQLTestClient.connect(port: server.port)
///     ...
/// }
/// ```
public func withMockServer<T: Sendable>(
    trace: any Trace,
    maxPacketSize: Int = 64 << 20,
    connectTimeout: Duration = .seconds(10),
    logger: Logger = Logger(label: "mock_server", factory: { _ in SwiftLogNoOpLogHandler() }),
    _ body: (RunningMockServer) async throws -> T
) async throws -> T {
    let registry = SessionRegistry()
    let configuration = ServerConfiguration(trace: trace, maxPacketSize: maxPacketSize,
                                            connectTimeout: connectTimeout, logger: logger)
    let listener = try await MockListener.bind(.tcp(host: "127.0.0.1", port: 0), configuration: configuration,
                                               registry: registry)
    let server = RunningMockServer(port: listener.port, host: "127.0.0.1", registry: registry)
    do {
        let result = try await body(server)
        try await listener.stop()
        return result
    } catch {
        try? await listener.stop()
        throw error
    }
}

/// `withMockServer` for a JSON trace given as text.
public func withMockServer<T: Sendable>(
    json: String, _ body: (RunningMockServer) async throws -> T
) async throws -> T {
    try await withMockServer(trace: try JSONTrace(json: json, name: "inline"), body)
}
