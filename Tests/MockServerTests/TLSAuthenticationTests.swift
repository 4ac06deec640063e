import FoundationEssentials
import MockModel
@testable import MockServer
import MySQLWire
import NIOCore
import Testing

@Suite("TLS and full authentication in the state machine")
struct TLSAuthenticationTests {
    let nonce = Array("01234567890123456789".utf8)
    static let keys = PasswordKeyPair()

    func machine(tls: Bool = true, required: Bool = false) -> Machine {
        var configuration = Machine.Configuration(connectionID: 1, peerHost: "127.0.0.1")
        configuration.tlsAvailable = tls
        configuration.tlsRequired = required
        configuration.passwordKeys = Self.keys
        var m = Machine(configuration: configuration)
        _ = m.connectionStarted(openSessions: 1) { HandshakeScript() }
        return m
    }

    func sslRequest() -> Packet {
        var b = ByteBuffer()
        b.writeInteger(CapabilityFlags([.protocol41, .ssl, .secureConnection, .pluginAuth]).rawValue, endianness: .little)
        b.writeInteger(UInt32(1 << 24), endianness: .little)
        b.writeInteger(UInt8(255))
        b.writeRepeatingByte(0, count: 23)
        return Packet(sequenceID: 1, payload: b)
    }

    func response(plugin: String, auth: [UInt8], seq: UInt8) -> Packet {
        var b = ByteBuffer()
        HandshakeResponse41(capabilities: [.protocol41, .secureConnection, .pluginAuth], username: "u", authResponse: auth,
                            authPluginName: plugin).write(to: &b)
        return Packet(sequenceID: seq, payload: b)
    }

    func script(password: String = "pw", cacheMiss: Bool = false, certificate: HandshakeScript.CertificateRequirement? = nil)
        -> () -> HandshakeScript
    {
        { HandshakeScript(auth: .init(password: password, cacheMiss: cacheMiss, certificate: certificate)) }
    }

    @Test("CLIENT_SSL is announced, an SSLRequest starts TLS, the response then comes with sequence id 2")
    func upgrade() throws {
        var m = Machine(configuration: { var c = Machine.Configuration(connectionID: 1, peerHost: "h"); c.tlsAvailable = true; return c }())
        guard case .sendGreeting(let greeting, _) = m.connectionStarted(openSessions: 1, greetingScript: { HandshakeScript() }) else {
            Issue.record("no greeting")
            return
        }
        #expect(greeting.capabilities.contains(.ssl))
        guard case .startTLS = m.packetReceived(sslRequest(), authScript: script()) else {
            Issue.record("expected startTLS")
            return
        }
        _ = m.tlsHandshakeCompleted()
        #expect(m.secureTransport)
        let native = AuthScramble.nativePassword(password: "pw", nonce: nonce)
        let ok = try #require(m.packetReceived(response(plugin: AuthPlugin.nativePassword, auth: native, seq: 2),
                                               authScript: script()).written)
        #expect(ok.seq == 3)
        #expect(ok.after == .sessionChanged)
    }

    @Test("REQUIRED refuses a plaintext login with 3159; without TLS an SSLRequest is malformed")
    func required() {
        var m = machine(required: true)
        let action = m.packetReceived(response(plugin: AuthPlugin.nativePassword, auth: [], seq: 1), authScript: script())
        #expect(action.err?.code == 3159)
        #expect(action.err?.message == "Connections using insecure transport are prohibited while --require_secure_transport=ON.")
        var plain = machine(tls: false)
        #expect(plain.packetReceived(sslRequest(), authScript: script()).err?.code == 1835)
    }

    @Test("caching_sha2 cache miss over TLS: 0x04, then the password in clear")
    func fullAuthOverTLS() throws {
        var m = machine()
        _ = m.packetReceived(sslRequest(), authScript: script())
        _ = m.tlsHandshakeCompleted()
        let scramble = AuthScramble.cachingSHA2Password(password: "pw", nonce: nonce)
        let first = try #require(m.packetReceived(response(plugin: AuthPlugin.cachingSHA2Password, auth: scramble, seq: 2),
                                                  authScript: script(cacheMiss: true)).written)
        #expect(first.packets == [.authMoreData(.performFullAuthentication)])
        let ok = try #require(m.packetReceived(Packet(sequenceID: 4, payload: ByteBuffer(bytes: Array("pw".utf8) + [0])),
                                               authScript: script()).written)
        #expect(ok.packets.count == 1 && ok.packets[0].isOK)
        #expect(ok.seq == 5)
    }

    @Test("caching_sha2 cache miss without TLS: 0x04, 0x02, public key, RSA-encrypted password")
    func fullAuthWithRSA() throws {
        for (password, accepted) in [("pw", true), ("nope", false)] {
            var m = machine(tls: false)
            let scramble = AuthScramble.cachingSHA2Password(password: password, nonce: nonce)
            _ = m.packetReceived(response(plugin: AuthPlugin.cachingSHA2Password, auth: scramble, seq: 1),
                                 authScript: script(cacheMiss: true))
            let key = try #require(m.packetReceived(Packet(sequenceID: 3, payload: ByteBuffer(bytes: [2])),
                                                    authScript: script()).written)
            guard case .authMoreData(let more) = key.packets.first else {
                Issue.record("expected the public key")
                return
            }
            let pem = String(decoding: more.data, as: UTF8.self)
            #expect(pem.hasPrefix("-----BEGIN PUBLIC KEY-----"))
            let encrypted = try PasswordKeyPair.encryptPassword(password, nonce: nonce, publicKeyPEM: pem)
            let end = m.packetReceived(Packet(sequenceID: 5, payload: ByteBuffer(bytes: encrypted)), authScript: script())
            if accepted {
                #expect(end.written?.packets.first?.isOK == true)
            } else {
                #expect(end.err?.code == 1045)
            }
        }
    }

    @Test("sha256_password: a cleartext password over TLS is checked; without TLS it must be encrypted")
    func sha256() throws {
        var tls = machine()
        _ = tls.packetReceived(sslRequest(), authScript: script())
        _ = tls.tlsHandshakeCompleted()
        let ok = tls.packetReceived(response(plugin: AuthPlugin.sha256Password, auth: Array("pw".utf8) + [0], seq: 2),
                                    authScript: script())
        #expect(ok.written?.packets.first?.isOK == true)
        var plain = machine(tls: false)
        let denied = plain.packetReceived(response(plugin: AuthPlugin.sha256Password, auth: Array("pw".utf8) + [0], seq: 1),
                                          authScript: script())
        #expect(denied.err?.code == 1045)
    }

    @Test("a required client certificate must be there and match")
    func certificates() {
        let requirement = HandshakeScript.CertificateRequirement(subject: "/CN=a", issuer: "/CN=ca")
        let native = AuthScramble.nativePassword(password: "pw", nonce: nonce)
        for (peer, accepted) in [(nil, false), (PeerCertificate(subject: "/CN=a", issuer: "/CN=ca"), true),
                                 (PeerCertificate(subject: "/CN=b", issuer: "/CN=ca"), false)] {
            var m = machine()
            _ = m.packetReceived(sslRequest(), authScript: script())
            _ = m.tlsHandshakeCompleted(peerCertificate: peer)
            let action = m.packetReceived(response(plugin: AuthPlugin.nativePassword, auth: native, seq: 2),
                                          authScript: script(certificate: requirement))
            #expect((action.written?.packets.first?.isOK == true) == accepted)
        }
    }
}

@Suite("Password keys and CRLs")
struct PasswordKeysAndCRLTests {
    static let certs: String = {
        var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)
        return parts.joined(separator: "/") + "/Integration/certs"
    }()

    @Test("RSA-OAEP: what a client encrypts the server decrypts, nonce XOR undone")
    func rsa() throws {
        let keys = PasswordKeyPair()
        let nonce = Array("abcdefghijklmnopqrst".utf8)
        let sealed = try PasswordKeyPair.encryptPassword("secret", nonce: nonce, publicKeyPEM: keys.publicKeyPEM)
        #expect(keys.decryptPassword(sealed, nonce: nonce) == Array("secret".utf8) + [0])
        #expect(keys.decryptPassword(Array(repeating: 7, count: 256), nonce: nonce) == nil)
        let fixed = try PasswordKeyPair(privateKeyPEM: String(decoding: try #require(
            FileManager.default.contents(atPath: "\(Self.certs)/rsa-private.pem")), as: UTF8.self))
        #expect(fixed.publicKeyPEM.hasPrefix("-----BEGIN PUBLIC KEY-----"))
    }

    @Test("the test CRL revokes exactly the revoked client's serial")
    func crl() throws {
        let pem = String(decoding: try #require(FileManager.default.contents(atPath: "\(Self.certs)/crl.pem")), as: UTF8.self)
        let serials = try CertificateRevocationList.revokedSerials(pem: pem, source: "crl.pem")
        #expect(serials == [[0x10, 0x03]])
        #expect(throws: CertificateRevocationList.Failure.self) {
            try CertificateRevocationList.revokedSerials(pem: "nothing", source: "x")
        }
        #expect(throws: CertificateRevocationList.Failure.self) {
            try CertificateRevocationList.revokedSerials(pem: "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----",
                                                         source: "x")
        }
    }
}
