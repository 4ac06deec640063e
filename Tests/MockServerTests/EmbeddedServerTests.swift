import FoundationEssentials
import MockModel
import MockScript
import MockServer
import MockTesting
import MySQLWire
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// `withMockServer` assembles the server as the command line does (`MockServerInstance`): journal,
/// globals, TLS and the X protocol are there for Swift tests too.
@Suite("Embedded server")
struct EmbeddedServerTests {
    static let trace = #"""
        {"stmts": [{"stmt": "select @@port",
                    "result": {"columns": [{"name": "p", "type": "LONG"}],
                               "rows": [[{"$global": "port", "default": 3306}]]}}]}
        """#

    @Test("the journal and the globals of the running server")
    func journalAndGlobals() async throws {
        try await withMockServer(try MockServerOptions.json(Self.trace)) { server in
            let client = try await MySQLTestClient.connect(port: server.port)
            #expect(try await client.query("select @@port").rows == [["3306"]])
            server.globals.set("port", json: "3310")
            #expect(try await client.query("select @@port").rows == [["3310"]])
            let statements = server.journal.snapshot().entries.map(\.statement)
            #expect(statements == ["select @@port", "select @@port"])
            await client.close()
        }
    }

    @Test("TLS with the test certificates, and the X protocol on its own port")
    func tlsAndX() async throws {
        var options = try MockServerOptions.json(Self.trace)
        options.tls = try TestCertificates.tls(mode: .required)
        options.xProtocol = true
        try await withMockServer(options) { server in
            // TLS required: a plaintext login is refused.
            await #expect(throws: ERRPacket.self) { try await MySQLTestClient.connect(port: server.port) }
            // The X listener greets with the hello notice (frame type 11).
            let xPort = try #require(server.xPort)
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: xPort) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            try await channel.executeThenClose { inbound, _ in
                var iterator = inbound.makeAsyncIterator()
                let hello = try #require(try await iterator.next())
                #expect(hello.getInteger(at: hello.readerIndex + 4, as: UInt8.self) == 11)
            }
        }
    }

    @Test("the embedded test certificates are the files the integration tests use")
    func certificates() throws {
        let folder = PasswordKeysAndCRLTests.certs
        for (pem, file) in [(TestCertificates.caCertificate, "ca-cert.pem"), (TestCertificates.serverCertificate, "server-cert.pem"),
                            (TestCertificates.serverKey, "server-key.pem"), (TestCertificates.clientCertificate, "client-cert.pem"),
                            (TestCertificates.clientKey, "client-key.pem")] {
            let text = String(decoding: try #require(FileManager.default.contents(atPath: "\(folder)/\(file)")), as: UTF8.self)
            #expect(pem + "\n" == text, "\(file)")
        }
    }
}
