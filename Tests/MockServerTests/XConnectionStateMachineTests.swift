import FoundationEssentials
import MockModel
@testable import MockServer
import MySQLWire
import MySQLXWire
import Testing

typealias XMachine = XConnectionStateMachine

@Suite("X connection state machine")
struct XConnectionStateMachineTests {
    let nonce = Array("01234567890123456789".utf8)
    let rules: () -> HandshakeScript = { HandshakeScript(auth: .init(username: "app", password: "pw")) }

    /// A machine that has sent its hello notice.
    func machine(tls: Bool = false) -> XMachine {
        var m = XMachine(configuration: .init(connectionID: 9, peerHost: "127.0.0.1", tlsAvailable: tls))
        _ = m.connectionStarted(openSessions: 1)
        return m
    }

    /// A machine in the command phase (no credentials required).
    func loggedIn() -> XMachine {
        var m = machine()
        _ = m.messageReceived(start("MYSQL41")) { HandshakeScript() }
        _ = m.messageReceived(answer(Array("\0app\0".utf8))) { HandshakeScript() }
        return m
    }

    static let ioReadWarning = NoticeSpec(sendOffset: .zero, scope: .global,
                                          kind: .warning(level: 3, code: 1810, message: "IO Read error: wait_timeout exceeded"))

    func capabilitiesSet(_ name: String) -> XClientMessage {
        var set = Mysqlx_Connection_CapabilitiesSet()
        var cap = Mysqlx_Connection_Capability()
        cap.name = name
        var any = Mysqlx_Datatypes_Any()
        any.type = .scalar
        var scalar = Mysqlx_Datatypes_Scalar()
        scalar.type = .vBool
        scalar.vBool = true
        any.scalar = scalar
        cap.value = any
        set.capabilities.capabilities = [cap]
        return .capabilitiesSet(set)
    }

    func start(_ mechanism: String, data: [UInt8] = []) -> XClientMessage {
        var s = Mysqlx_Session_AuthenticateStart()
        s.mechName = mechanism
        s.authData = Data(data)
        return .authenticateStart(s)
    }

    func answer(_ data: [UInt8]) -> XClientMessage {
        var c = Mysqlx_Session_AuthenticateContinue()
        c.authData = Data(data)
        return .authenticateContinue(c)
    }

    func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test("accepting: the hello notice, or ER_CON_COUNT_ERROR beyond --max-connections")
    func accepting() {
        var configuration = XMachine.Configuration(connectionID: 9, peerHost: "127.0.0.1")
        configuration.maxConnections = 2
        var m = XMachine(configuration: configuration)
        #expect(m.messageReceived(.capabilitiesGet, authScript: rules) == .none)
        #expect(m.connectionStarted(openSessions: 2) == .send([.notice(XMachine.hello)], after: .keepOpen))
        #expect(m.connectionStarted(openSessions: 2) == .none)
        var full = XMachine(configuration: configuration)
        #expect(full.connectionStarted(openSessions: 3)
                    == .send([.error(code: 1040, sqlState: "08004", message: "Too many connections", fatal: true)],
                             after: .close))
        #expect(full.messageReceived(.capabilitiesGet, authScript: rules) == .none)
    }

    @Test("timeouts: connect closes an unauthenticated session, wait-timeout an authenticated one after ER_IO_READ_ERROR")
    func timeouts() {
        var handshaking = machine()
        #expect(handshaking.idleTimeoutExpired() == .none)
        #expect(handshaking.connectTimeoutExpired() == .send([], after: .close))
        #expect(handshaking.messageReceived(.capabilitiesGet, authScript: rules) == .none)
        var idle = loggedIn()
        #expect(idle.connectTimeoutExpired() == .none)
        #expect(idle.idleTimeoutExpired() == .send([.notice(Self.ioReadWarning)], after: .close))
        #expect(idle.idleTimeoutExpired() == .none)
    }

    @Test("frames that do not decode are a fatal ER_X_BAD_MESSAGE")
    func badFrames() {
        var m = machine()
        let error = MySQLXWireError(.malformedMessage, "Mysqlx.Sql.StmtExecute (type 12): truncated")
        #expect(m.undecodableMessageReceived(error)
                    == .send([.error(code: 5000, sqlState: "HY000", message: "Bad Message: \(error)", fatal: true)],
                             after: .close))
        #expect(m.messageReceived(.capabilitiesGet, authScript: rules) == .none)
    }

    func compression(_ algorithm: String) -> XClientMessage {
        var set = Mysqlx_Connection_CapabilitiesSet()
        var cap = Mysqlx_Connection_Capability()
        cap.name = "compression"
        var field = Mysqlx_Datatypes_Object.ObjectField()
        field.key = "algorithm"
        field.value.type = .scalar
        field.value.scalar.type = .vString
        field.value.scalar.vString.value = Data(algorithm.utf8)
        cap.value.type = .object
        cap.value.obj.fld = [field]
        set.capabilities.capabilities = [cap]
        return .capabilitiesSet(set)
    }

    @Test("capabilities: TLS offered only when available; compression offered, an algorithm it lacks refused")
    func capabilities() {
        var plain = machine()
        let offered = ["deflate_stream", "zstd_stream"]
        #expect(plain.messageReceived(.capabilitiesGet, authScript: rules)
                    == .send([.capabilities(tls: false, mechanisms: ["MYSQL41", "SHA256_MEMORY"], compression: offered)],
                             after: .keepOpen))
        #expect(plain.messageReceived(capabilitiesSet("tls"), authScript: rules).errorCode == 5001)
        // A compression value that is not {algorithm: …}, or an algorithm not offered: ERR 5175.
        #expect(plain.messageReceived(capabilitiesSet("compression"), authScript: rules).errorCode == 5175)
        #expect(plain.messageReceived(compression("lz4_message"), authScript: rules).errorCode == 5175)
        var compressing = machine()
        #expect(compressing.messageReceived(compression("zstd_stream"), authScript: rules)
                    == .send([.ok], after: .startCompression("zstd_stream")))
        #expect(compressing.messageReceived(compression("deflate_stream"), authScript: rules).errorCode == 5175)
        #expect(plain.messageReceived(capabilitiesSet("session_connect_attrs"), authScript: rules)
                    == .send([.ok], after: .keepOpen))
        var tls = machine(tls: true)
        #expect(tls.messageReceived(capabilitiesSet("tls"), authScript: rules) == .send([.ok], after: .startTLS))
        tls.tlsHandshakeCompleted()
        #expect(tls.secureTransport)
        #expect(tls.messageReceived(.capabilitiesGet, authScript: rules)
                    == .send([.capabilities(tls: false, mechanisms: ["MYSQL41", "SHA256_MEMORY", "PLAIN"],
                                            compression: offered)], after: .keepOpen))
    }

    @Test("MYSQL41 and SHA256_MEMORY: challenge, then the hex scramble is checked")
    func scrambles() {
        for (mechanism, scramble) in [("MYSQL41", "*" + hex(AuthScramble.nativePassword(password: "pw", nonce: nonce))),
                                      ("SHA256_MEMORY", hex(AuthScramble.cachingSHA2Password(password: "pw", nonce: nonce)))] {
            var m = machine()
            #expect(m.messageReceived(start(mechanism), authScript: rules)
                        == .send([.authenticateContinue(nonce)], after: .keepOpen))
            let good = Array("db\0app\0\(scramble)\0".utf8)
            #expect(m.messageReceived(answer(good), authScript: rules)
                        == .send([.authenticateOk(clientID: 9)], after: .authenticated(user: "app", schema: "db")))
            guard case .execute(let request) = m.messageReceived(.stmtExecute({
                var e = Mysqlx_Sql_StmtExecute()
                e.stmt = Data("select 1".utf8)
                return e
            }()), authScript: rules), request == StatementRequest(text: "select 1") else {
                Issue.record("expected execute")
                return
            }
            var bad = machine()
            _ = bad.messageReceived(start(mechanism), authScript: rules)
            let denied = bad.messageReceived(answer(Array("db\0app\0*00".utf8)), authScript: rules)
            #expect(denied.errorCode == 1045)
        }
    }

    @Test("--ssl-mode REQUIRED: good credentials over plain TCP get ER_SECURE_TRANSPORT_REQUIRED; over TLS they log in")
    func tlsRequired() {
        var configuration = XMachine.Configuration(connectionID: 9, peerHost: "127.0.0.1", tlsAvailable: true)
        configuration.tlsRequired = true
        let good = Array("db\0app\0*\(hex(AuthScramble.nativePassword(password: "pw", nonce: nonce)))".utf8)
        let insecure = ERRInsecure.error
        var plain = XMachine(configuration: configuration)
        _ = plain.connectionStarted(openSessions: 1)
        #expect(plain.messageReceived(start("MYSQL41"), authScript: rules) == .send([.authenticateContinue(nonce)], after: .keepOpen))
        #expect(plain.messageReceived(answer(good), authScript: rules) == .send([insecure], after: .keepOpen))
        #expect(plain.messageReceived(.stmtExecute(Mysqlx_Sql_StmtExecute()), authScript: rules).errorCode == 5000)
        var tls = XMachine(configuration: configuration)
        _ = tls.connectionStarted(openSessions: 1)
        #expect(tls.messageReceived(capabilitiesSet("tls"), authScript: rules) == .send([.ok], after: .startTLS))
        tls.tlsHandshakeCompleted()
        _ = tls.messageReceived(start("MYSQL41"), authScript: rules)
        #expect(tls.messageReceived(answer(good), authScript: rules)
                    == .send([.authenticateOk(clientID: 9)], after: .authenticated(user: "app", schema: "db")))
    }

    enum ERRInsecure {
        static let error = XMachine.Outbound.error(
            code: 3159, sqlState: "HY000",
            message: "Connections using insecure transport are prohibited while --require_secure_transport=ON.",
            fatal: false)
    }

    @Test("PLAIN needs secure transport; unknown messages after login get an error, not a close")
    func plainAndUnsupported() {
        var m = machine()
        #expect(m.messageReceived(start("PLAIN", data: Array("\0app\0pw".utf8)), authScript: rules).errorCode == 1251)
        var tls = machine(tls: true)
        _ = tls.messageReceived(capabilitiesSet("tls"), authScript: rules)
        tls.tlsHandshakeCompleted()
        #expect(tls.messageReceived(start("PLAIN", data: Array("\0app\0pw".utf8)), authScript: rules)
                    == .send([.authenticateOk(clientID: 9)], after: .authenticated(user: "app", schema: nil)))
        let crud = tls.messageReceived(.unsupported(17), authScript: rules)
        #expect(crud.errorCode == 5000)
        guard case .send(_, .keepOpen) = crud else {
            Issue.record("expected the session to stay open")
            return
        }
        #expect(tls.messageReceived(.connectionClose, authScript: rules) == .send([.ok], after: .close))
    }
}

extension XMachine.Action {
    /// The code of a single error message this action sends, if that is what it does.
    var errorCode: UInt16? {
        guard case .send(let messages, _) = self, messages.count == 1,
              case .error(let code, _, _, _) = messages[0] else { return nil }
        return code
    }
}
