// Micro-benchmark: statements per second through the real server and wire protocol, JSON trace vs
// JavaScript trace answering `SELECT 1`, plus the memory a JavaScript connection costs.
// Run with `make bench-micro` (release build). Not a test: numbers depend on the machine.
import MockModel
import MockScript
import MockServer
import MockTesting

#if canImport(Glibc)
import Glibc
#endif

let json = """
    {"stmts": [{"stmt": "SELECT 1", "result": {"columns": [{"name": "1", "type": "LONGLONG"}], "rows": [[1]]}}]}
    """
let javascript = """
    ({stmts: function (stmt) {
      if (stmt === "SELECT 1") return {result: {columns: [{name: "1", type: "LONGLONG"}], rows: [[1]]}};
      return {error: {code: 1064, message: "unknown"}};
    }})
    """

func residentKiB() -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, 256, file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmRSS:") {
            return Int(text.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
    }
    return 0
}

/// Round trips per second with `clients` connections each sending `perClient` statements.
func statementsPerSecond(_ trace: any Trace, clients: Int, perClient: Int) async throws -> Double {
    try await withMockServer(trace: trace) { server in
        let connections = try await withThrowingTaskGroup(of: MySQLTestClient.self) { group in
            for _ in 0..<clients { group.addTask { try await MySQLTestClient.connect(port: server.port) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in connections {
                group.addTask {
                    for _ in 0..<perClient {
                        let r = try await client.query("SELECT 1")
                        precondition(r.rows == [["1"]])
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        for client in connections { await client.close() }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(clients * perClient) / seconds
    }
}

let jsonTrace = try JSONTrace(json: json, name: "bench.json")
let jsTrace = JavaScriptTrace(source: javascript, file: "bench.js", modulePrefixes: ["."], globals: GlobalStore(),
                              logger: .init(label: "bench"))

print("| measurement | JSON trace | JavaScript trace | JS / JSON |")
print("|---|---|---|---|")
for clients in [1, 4] {
    let perClient = 20_000 / clients
    _ = try await statementsPerSecond(jsonTrace, clients: clients, perClient: 500)  // warm-up
    let a = try await statementsPerSecond(jsonTrace, clients: clients, perClient: perClient)
    let b = try await statementsPerSecond(jsTrace, clients: clients, perClient: perClient)
    print("| SELECT 1 round trips/s, \(clients) connection(s) | \(Int(a)) | \(Int(b)) | \(String(format2(b / a))) |")
}

// Memory: responders (one heap each) held at once.
func perResponderKiB(_ trace: any Trace, count: Int) -> Double {
    var responders: [any StatementResponder] = []
    responders.reserveCapacity(count)
    let before = residentKiB()
    for i in 0..<count {
        let r = trace.makeResponder(for: SessionInfo(connectionID: UInt32(i), port: 3306))
        _ = r.respond(to: "SELECT 1")
        responders.append(r)
    }
    let after = residentKiB()
    withExtendedLifetime(responders) {}
    return Double(after - before) / Double(count)
}
let jsonKiB = perResponderKiB(jsonTrace, count: 1000)
let jsKiB = perResponderKiB(jsTrace, count: 1000)
print("| memory per connection's responder (KiB) | \(format2(jsonKiB)) | \(format2(jsKiB)) | |")

func format2(_ x: Double) -> String {
    let scaled = (x * 100).rounded() / 100
    return String(scaled)
}
