import MockModel
import MockServer
import MockTesting
import MySQLWire
import Testing

/// The compressed protocol end to end: the test client logs in with zlib or zstd and gets the
/// same answers as without.
@Suite("Classic protocol compression")
struct CompressionTests {
    static let trace = #"""
        {"stmts": [
          {"stmt": "select 1", "result": {"columns": [{"name": "1", "type": "LONG"}], "rows": [[1]]}},
          {"stmt": "select many", "result": {"columns": [{"name": "x", "type": "VAR_STRING"}],
                                             "rows": [["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
                                                      ["bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]]}}]}
        """#

    @Test("zlib and zstd, with TLS and without: the same answers as uncompressed",
          arguments: [CompressionAlgorithm.zlib, .zstd], [false, true])
    func sameAnswers(algorithm: CompressionAlgorithm, tls: Bool) async throws {
        var options = try MockServerOptions.json(Self.trace)
        if tls { options.tls = try TestCertificates.tls(mode: .preferred) }
        try await withMockServer(options) { server in
            var clientOptions = MySQLTestClient.Options()
            clientOptions.compression = algorithm
            let client = try await MySQLTestClient.connect(port: server.port, options: clientOptions)
            #expect(client.compression == algorithm)
            for _ in 0..<3 {
                #expect(try await client.query("select 1").rows == [["1"]])
                #expect(try await client.query("select many").rows.map { $0.first??.count } == [60, 60])
            }
            try await client.ping()
            await client.close()
        }
    }

    @Test("a server that does not offer compression is not asked for it")
    func notOffered() async throws {
        var options = try MockServerOptions.json(Self.trace)
        options.compression = []
        try await withMockServer(options) { server in
            var clientOptions = MySQLTestClient.Options()
            clientOptions.compression = .zlib
            let client = try await MySQLTestClient.connect(port: server.port, options: clientOptions)
            #expect(client.compression == nil)
            #expect(client.greeting?.capabilities.contains(.compress) == false)
            #expect(try await client.query("select 1").rows == [["1"]])
            await client.close()
        }
    }

    @Test("a corrupt compressed frame ends that connection, not the server")
    func corruptFrame() async throws {
        try await withMockServer(json: Self.trace) { server in
            var clientOptions = MySQLTestClient.Options()
            clientOptions.compression = .zlib
            let client = try await MySQLTestClient.connect(port: server.port, options: clientOptions)
            // A frame that says 100 bytes inflate from 8 bytes of garbage.
            try await client.sendRaw([0x08, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8])
            #expect(await client.isClosedByServer())
            let other = try await MySQLTestClient.connect(port: server.port, options: clientOptions)
            #expect(try await other.query("select 1").rows == [["1"]])
            await other.close()
        }
    }
}
