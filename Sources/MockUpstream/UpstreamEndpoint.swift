import NIOCore
import NIOPosix
import MockServer
import NIOSSL

#if canImport(Glibc)
import Glibc
#endif

/// Where the upstream server is and how to reach it (`--upstream`, `--upstream-ssl-*`).
public struct UpstreamEndpoint: Sendable {
    /// A TCP address or a Unix socket path, as a listener's (`[v6]:port` when printed).
    public typealias Address = ListenTarget

    /// TLS on the upstream leg, independent of the client leg's.
    public struct TLS: Sendable {
        /// `--upstream-ssl-mode`.
        public enum Mode: String, Sendable, CaseIterable {
            case disabled = "DISABLED"
            case preferred = "PREFERRED"
            case required = "REQUIRED"
            /// The server's certificate must chain to `--upstream-ssl-ca`.
            case verifyCA = "VERIFY_CA"
            /// … and name the host.
            case verifyIdentity = "VERIFY_IDENTITY"
        }

        public var mode: Mode
        /// CA certificates (PEM) for VERIFY_CA and VERIFY_IDENTITY; the system's when `nil`.
        public var caFile: String?
        /// The host name sent as SNI and checked by VERIFY_IDENTITY.
        public var serverHostname: String?
        private let made: NIOSSLContext?

        /// Builds the client context once (a failure names the option).
        public init(mode: Mode, caFile: String? = nil, serverHostname: String? = nil) throws {
            self.mode = mode
            self.caFile = caFile
            self.serverHostname = serverHostname
            guard mode != .disabled else {
                made = nil
                return
            }
            var configuration = TLSConfiguration.makeClientConfiguration()
            switch mode {
            case .disabled, .preferred, .required: configuration.certificateVerification = .none
            case .verifyCA: configuration.certificateVerification = .noHostnameVerification
            case .verifyIdentity: configuration.certificateVerification = .fullVerification
            }
            if let caFile { configuration.trustRoots = .file(caFile) }
            made = try NIOSSLContext(configuration: configuration)
        }

        public static let disabled = try! TLS(mode: .disabled)

        var policy: UpstreamSessionStateMachine.TLSPolicy {
            switch mode {
            case .disabled: .disabled
            case .preferred: .preferred
            case .required, .verifyCA, .verifyIdentity: .required
            }
        }

        func context() throws -> NIOSSLContext {
            guard let made else { throw UpstreamFailure(.tls, "TLS is disabled on the upstream leg") }
            return made
        }
    }

    public var address: Address
    public var tls: TLS
    public var connectTimeout: TimeAmount
    /// Largest packet accepted from the upstream server.
    public var maxPacketSize: Int

    public init(address: Address, tls: TLS = .disabled, connectTimeout: TimeAmount = .seconds(10),
                maxPacketSize: Int = 1 << 30) {
        self.address = address
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.maxPacketSize = maxPacketSize
    }

    /// `host:port`, `[v6]:port`, `host` (port 3306) or a path starting with `/` (a Unix socket);
    /// `nil` with the reason for anything else.
    public static func parseAddress(_ text: String) -> Result<Address, ParseError> {
        if text.hasPrefix("/") { return .success(.unixSocket(path: text)) }
        var host = Substring(text)
        var port = 3306
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return .failure(ParseError(text, "an unclosed '['")) }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let value = Int(rest.dropFirst()) else {
                    return .failure(ParseError(text, "no port after ']:'"))
                }
                port = value
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard host.firstIndex(of: ":") == colon else {
                return .failure(ParseError(text, "an IPv6 address needs brackets: [::1]:3306"))
            }
            guard let value = Int(host[host.index(after: colon)...]) else {
                return .failure(ParseError(text, "the port is not a number"))
            }
            port = value
            host = host[..<colon]
        }
        guard !host.isEmpty else { return .failure(ParseError(text, "no host")) }
        guard (1...65535).contains(port) else { return .failure(ParseError(text, "the port is not 1–65535")) }
        return .success(.tcp(host: String(host), port: port))
    }

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ text: String, _ why: String) {
            description = "--upstream '\(text)' is not host:port, [ipv6]:port or a socket path: \(why)"
        }
    }

    /// A connect or I/O error in a few words (`connection refused`, `timed out`).
    static func describe(_ error: any Error) -> String {
        if let error = error as? IOError { return "\(String(cString: strerror(error.errnoCode))), errno \(error.errnoCode)" }
        if case .connectTimeout? = error as? ChannelError { return "timed out" }
        if let error = error as? NIOConnectionError {
            var reasons: [String] = []
            for attempt in error.connectionErrors where !reasons.contains(describe(attempt.error)) {
                reasons.append(describe(attempt.error))
            }
            if reasons.isEmpty, let dns = error.dnsAAAAError ?? error.dnsAError { return "cannot resolve \(error.host): \(dns)" }
            return reasons.isEmpty ? "cannot connect" : reasons.joined(separator: "; ")
        }
        return "\(error)"
    }
}
