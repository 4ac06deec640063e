import MockUpstream
import Testing

@Suite("Upstream endpoint")
struct UpstreamEndpointTests {
    @Test("--upstream addresses: host:port, a bare host, [ipv6]:port, a socket path")
    func parses() throws {
        let cases: [(String, UpstreamEndpoint.Address)] = [
            ("127.0.0.1:3307", .tcp(host: "127.0.0.1", port: 3307)),
            ("db.example", .tcp(host: "db.example", port: 3306)),
            ("[::1]:4000", .tcp(host: "::1", port: 4000)),
            ("[::1]", .tcp(host: "::1", port: 3306)),
            ("/run/mysqld/mysqld.sock", .unixSocket(path: "/run/mysqld/mysqld.sock")),
        ]
        for (text, expected) in cases {
            #expect(try UpstreamEndpoint.parseAddress(text).get() == expected)
        }
    }

    @Test("bad addresses are refused with the reason")
    func refuses() {
        let cases: [(String, String)] = [
            ("::1", "brackets"), ("host:", "not a number"), ("host:99999", "1–65535"), (":3306", "no host"),
            ("[::1", "unclosed"), ("[::1]x", "no port"),
        ]
        for (text, reason) in cases {
            guard case .failure(let error) = UpstreamEndpoint.parseAddress(text) else {
                Issue.record("\(text) was accepted")
                continue
            }
            #expect(error.description.contains(reason), "\(error)")
            #expect(error.description.contains("--upstream '\(text)'"))
        }
    }
}
