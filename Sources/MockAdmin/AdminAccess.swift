import Hummingbird

/// Who may use the admin API. A web page in a local browser can reach a loopback port through DNS
/// rebinding (its requests carry the attacker's name in `Host`), so the `Host` header must name
/// this server; and a token, when set, must come with every request.
public struct AdminAccess: Sendable {
    /// Host names and addresses accepted in the `Host` header (lower case, without port or brackets).
    public var allowedHosts: Set<String>
    /// When set, requests need `Authorization: Bearer <token>`.
    public var token: String?

    /// Loopback names and `bindAddress` (the address the API listens on).
    public init(bindAddress: String = "127.0.0.1", token: String? = nil) {
        var hosts: Set<String> = ["localhost", "127.0.0.1", "::1"]
        let bind = bindAddress.lowercased()
        if bind != "0.0.0.0", bind != "::" { hosts.insert(bind) }
        self.allowedHosts = hosts
        self.token = token
    }

    /// Addresses that only this machine can reach.
    public static func isLoopback(_ address: String) -> Bool {
        let a = address.lowercased()
        return a == "localhost" || a == "::1" || a.hasPrefix("127.")
    }

    /// Why `request` is refused, or `nil` to serve it; `token: false` checks only the `Host`
    /// (the dashboard's files, which a browser fetches without the token).
    package func refusal(_ request: Request, token checkToken: Bool = true) -> Response? {
        if let authority = request.head.authority {
            let host = Self.hostName(authority)
            guard allowedHosts.contains(host) else {
                return AdminResponder.text(.forbidden, "Host \(AdminResponder.quote(host)) is not this server's; "
                    + "allowed: \(allowedHosts.sorted().joined(separator: ", "))")
            }
        }
        if checkToken, let token {
            guard let given = request.headers[.authorization], Self.constantTimeEqual(given, "Bearer " + token) else {
                var response = AdminResponder.text(.unauthorized, "the admin API needs Authorization: Bearer <token>")
                response.headers[.wwwAuthenticate] = "Bearer"
                return response
            }
        }
        return nil
    }

    /// `host`, `host:port`, `[v6]` or `[v6]:port` → the host, lower case, without brackets.
    static func hostName(_ authority: String) -> String {
        var host = Substring(authority.lowercased())
        if host.hasPrefix("[") {
            host = host.dropFirst().prefix { $0 != "]" }
        } else if let colon = host.lastIndex(of: ":"), host.firstIndex(of: ":") == colon {
            host = host[..<colon]
        }
        return String(host)
    }

    /// Compares without stopping at the first difference (the token's bytes do not leak through timing).
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}
