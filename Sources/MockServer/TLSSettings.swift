import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// `--ssl-mode`.
public enum SSLMode: String, Sendable, CaseIterable {
    case disabled = "DISABLED"
    case preferred = "PREFERRED"
    /// Unlike the reference, REQUIRED refuses plaintext logins (ERR 3159).
    case required = "REQUIRED"
}

/// TLS for the classic protocol: the server context made from the `--ssl-*` options, plus what
/// NIOSSL does not offer (CRL checks of client certificates, session-resumption counting).
public struct TLSSettings: Sendable {
    public var mode: SSLMode
    public var context: NIOSSLContext?
    /// Serial numbers of revoked client certificates (from `--ssl-crl` / `--ssl-crlpath`).
    public var revokedSerials: Set<[UInt8]>
    /// Counts TLS sessions that were resumed (`ssl_session_cache_hits`).
    public let sessionCacheHits = SessionCacheHits()

    public static let disabled = TLSSettings(mode: .disabled, context: nil, revokedSerials: [])

    public init(mode: SSLMode, context: NIOSSLContext?, revokedSerials: Set<[UInt8]>) {
        self.mode = mode
        self.context = context
        self.revokedSerials = revokedSerials
    }

    public var enabled: Bool { mode != .disabled && context != nil }
}

/// A counter shared by all connections.
public final class SessionCacheHits: Sendable {
    private let value = NIOLockedValueBox(0)
    public init() {}
    public var count: Int { value.withLockedValue { $0 } }
    func increment() { value.withLockedValue { $0 += 1 } }
}

extension TLSSettings {
    /// Puts TLS in front of the handler of `context`: the hello sniffer, then NIOSSL with the CRL
    /// check of client certificates (NIOSSL has no CRL support). Returns what the sniffer will
    /// learn; throws (and the caller closes) when TLS cannot start.
    func install(in context: ChannelHandlerContext) throws -> TLSHandshakeFacts {
        guard let sslContext = self.context else { throw NIOSSLError.failedToLoadCertificate }
        let facts = TLSHandshakeFacts()
        let sniffer = TLSHelloSniffer(facts: facts)
        try context.pipeline.syncOperations.addHandler(sniffer, position: .first)
        let revoked = revokedSerials
        let ssl = try NIOSSLServerHandler(context: sslContext) { result, certificate in
            guard result == .certificateVerified else { return result }
            let serial = CertificateRevocationList.normalizedSerial(certificate.serialNumber)
            return revoked.contains(serial) ? .failed : .certificateVerified
        }
        try context.pipeline.syncOperations.addHandler(ssl, position: .after(sniffer))
        return facts
    }

    /// After the TLS handshake: counts a resumed session; the cipher name and the server's count of
    /// resumed sessions for `mysqld.session`.
    func handshakeCompleted(_ facts: TLSHandshakeFacts?) -> (cipher: String, cacheHits: Int) {
        if facts?.resumed == true { sessionCacheHits.increment() }
        return (facts?.cipher ?? "", sessionCacheHits.count)
    }
}
