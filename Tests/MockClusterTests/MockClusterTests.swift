import FoundationEssentials
import MockCluster
import MockScript
import MockTesting
import MySQLWire
import Testing

@Suite("Mock cluster")
struct MockClusterTests {
    static func trace() throws -> String {
        let path = "/tmp/mock-cluster-test-\(UInt32.random(in: 0...UInt32.max)).json"
        let text = #"{"stmts": [{"stmt": "select node", "result": {"columns": [{"name": "node", "type": "STRING"}], "rows": [[{"$global": "mock_node"}]]}}]}"#
        try Data(text.utf8).write(to: URL(filePath: path))
        return path
    }

    @Test("nodes on free ports, each telling its own facts; a stopped node refuses, the others answer, and it comes back")
    func stopAndStart() async throws {
        let file = try Self.trace()
        let configuration = ClusterConfiguration(nodes: ["a", "b", "c"].map {
            ClusterConfiguration.Node(name: $0, filename: file, role: $0 == "a" ? "PRIMARY" : "SECONDARY")
        })
        try await withMockCluster(configuration) { cluster in
            let status = await cluster.status()
            #expect(Set(status.map(\.port)).count == 3)
            for node in status {
                let client = try await MySQLTestClient.connect(port: node.port)
                let text = try #require(try await client.query("select node").rows.first?.first ?? nil)
                #expect(text.contains(#""name":"\#(node.name)""#) && text.contains(#""role":"\#(node.role)""#))
                await client.close()
            }
            let b = status[1]
            let open = try await MySQLTestClient.connect(port: b.port)
            #expect(try await cluster.stop("b").running == false)
            #expect(await open.isClosedByServer())
            await #expect(throws: (any Error).self) { _ = try await MySQLTestClient.connect(port: b.port) }
            let a = try await MySQLTestClient.connect(port: status[0].port)
            #expect(try await a.query("select node").rows.count == 1)
            #expect(try await cluster.start("b").port == b.port)
            let again = try await MySQLTestClient.connect(port: b.port)
            #expect(try await again.query("select node").rows.count == 1)
            await again.close()
            await a.close()
            let shared = try #require(cluster.sharedGlobals.get("mock_nodes"))
            #expect(shared.contains(#""name":"c""#))
        }
    }
}
