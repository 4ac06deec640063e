import MockModel
@testable import MockServer
import MySQLWire
import NIOCore
import Testing

typealias Machine = ClassicConnectionStateMachine

@Suite("Classic connection state machine")
struct ClassicConnectionStateMachineTests {
    let nonce = Array("01234567890123456789".utf8)

    func machine(onQuit: QuitBehaviour = .close) -> Machine {
        var configuration = Machine.Configuration(connectionID: 7, peerHost: "127.0.0.1")
        configuration.onQuit = onQuit
        return Machine(configuration: configuration)
    }

    func responsePacket(user: String = "root", password: String = "", plugin: String = AuthPlugin.nativePassword,
                        database: String? = nil, seq: UInt8 = 1, extra: CapabilityFlags = []) -> Packet {
        let r = HandshakeResponse41(
            capabilities: CapabilityFlags([.protocol41, .secureConnection, .pluginAuth, .pluginAuthLenencClientData,
                                           .deprecateEOF, .sessionTrack]).union(extra),
            username: user,
            authResponse: AuthScramble.response(plugin: plugin, password: password, nonce: nonce) ?? [1, 2, 3],
            database: database, authPluginName: plugin)
        var buffer = ByteBuffer()
        r.write(to: &buffer)
        return Packet(sequenceID: seq, payload: buffer)
    }

    func command(_ c: ClientCommand, seq: UInt8 = 0) -> Packet {
        var buffer = ByteBuffer()
        c.write(to: &buffer, capabilities: .mockDefault)
        return Packet(sequenceID: seq, payload: buffer)
    }

    func auth(_ username: String? = nil, _ password: String? = nil, method: String? = nil) -> HandshakeScript {
        HandshakeScript(auth: .init(username: username, password: password, methodName: method))
    }

    /// A machine that has sent its greeting.
    func greeted(onQuit: QuitBehaviour = .close) -> Machine {
        var m = machine(onQuit: onQuit)
        _ = m.connectionStarted(openSessions: 1) { HandshakeScript() }
        return m
    }

    /// A machine in the command phase.
    func loggedIn(onQuit: QuitBehaviour = .close) -> Machine {
        var m = greeted(onQuit: onQuit)
        _ = m.packetReceived(responsePacket()) { HandshakeScript() }
        return m
    }

    @Test("the greeting has the reference defaults and this connection's id")
    func greetingDefaults() throws {
        var m = machine()
        guard case .sendGreeting(let g, let delay) = m.connectionStarted(openSessions: 1, greetingScript: { HandshakeScript() }) else {
            Issue.record("expected a greeting")
            return
        }
        #expect(g.serverVersion == "8.0.23-mock")
        #expect(g.connectionID == 7)
        // The reference's 0x01FEA2DF and CLIENT_QUERY_ATTRIBUTES, as a MySQL 8.0.23 server announces,
        // and compression (CLIENT_COMPRESS, CLIENT_ZSTD_COMPRESSION_ALGORITHM), which the reference lacks.
        #expect(g.capabilities.rawValue == 0x09FF_A2DF | 0x20 | 0x0400_0000)
        #expect(g.nonce == nonce)
        #expect(g.authPluginName == "mysql_native_password")
        #expect(delay == .zero)
    }

    @Test("the trace overrides greeting fields and delays it")
    func greetingOverrides() {
        var m = machine()
        var script = HandshakeScript()
        script.greeting.serverVersion = "5.7.44"
        script.greeting.connectionID = 99
        script.greeting.capabilities = CapabilityFlags([.protocol41, .secureConnection, .pluginAuth]).rawValue
        script.greeting.authMethod = "caching_sha2_password"
        script.greeting.execTime = .milliseconds(250)
        guard case .sendGreeting(let g, let delay) = m.connectionStarted(openSessions: 1, greetingScript: { script }) else {
            Issue.record("expected a greeting")
            return
        }
        #expect(g.serverVersion == "5.7.44")
        #expect(g.connectionID == 99)
        #expect(g.authPluginName == "caching_sha2_password")
        #expect(!g.capabilities.contains(.deprecateEOF))
        #expect(delay == .milliseconds(250))
    }

    @Test("handshake.error at greeting time replaces the greeting and closes")
    func greetingError() {
        var m = machine()
        let action = m.connectionStarted(openSessions: 1) {
            HandshakeScript(error: ErrorResponse(code: 1040, sqlState: "08004", message: "Too many connections"))
        }
        #expect(action.err == ERRPacket(code: 1040, sqlState: "08004", message: "Too many connections"))
        #expect(action.written?.seq == 0)
        #expect(action.written?.after == .close)
    }

    @Test("beyond --max-connections: ERR 1040 instead of the greeting, and the trace is not consulted")
    func overCapacity() {
        var configuration = Machine.Configuration(connectionID: 7, peerHost: "127.0.0.1")
        configuration.maxConnections = 2
        var m = Machine(configuration: configuration)
        var consulted = 0
        let tooMany = ERRPacket(code: 1040, sqlState: "08004", message: "Too many connections")
        #expect(m.connectionStarted(openSessions: 3) { consulted += 1; return HandshakeScript() }
                    == .write([.err(tooMany)], sequenceID: 0, after: .close))
        #expect(consulted == 0)
        #expect(m.packetReceived(responsePacket()) { HandshakeScript() } == .none)
        var last = Machine(configuration: configuration)
        guard case .sendGreeting = last.connectionStarted(openSessions: 2, greetingScript: { HandshakeScript() }) else {
            Issue.record("the last allowed session gets the greeting")
            return
        }
    }

    @Test("timeouts: the connect timeout closes a handshake, the wait timeout an idle session after ERR 4031")
    func timeouts() {
        var handshaking = greeted()
        #expect(handshaking.idleTimeoutExpired() == .none)
        #expect(handshaking.connectTimeoutExpired() == .close)
        #expect(handshaking.packetReceived(responsePacket()) { HandshakeScript() } == .none)
        var idle = loggedIn()
        #expect(idle.connectTimeoutExpired() == .none)
        let inactivity = ERRPacket(code: 4031, sqlState: "HY000",
                                   message: "The client was disconnected by the server because of inactivity.")
        #expect(idle.idleTimeoutExpired() == .write([.err(inactivity)], sequenceID: 0, after: .close))
        #expect(idle.idleTimeoutExpired() == .none)
    }

    @Test("COM_QUIT closes at once, as a server does (node-mysql's end() waits for it)")
    func quitCloses() {
        var m = loggedIn()
        #expect(m.packetReceived(command(.quit)) { HandshakeScript() } == .close)
        #expect(m.packetReceived(command(.ping)) { HandshakeScript() } == .none)
        #expect(m.quitGraceExpired() == .none)
    }

    @Test("--on-quit wait-for-client: COM_QUIT waits for the client to close; a second later the server closes")
    func quitGrace() {
        var m = loggedIn(onQuit: .waitForClient)
        #expect(m.quitGraceExpired() == .none)
        #expect(m.packetReceived(command(.quit)) { HandshakeScript() } == .awaitClientClose)
        #expect(m.packetReceived(command(.ping)) { HandshakeScript() } == .none)
        #expect(m.idleTimeoutExpired() == .none)
        #expect(m.quitGraceExpired() == .close)
        #expect(m.quitGraceExpired() == .none)
    }

    @Test("without an auth section any credentials are accepted")
    func anyCredentials() throws {
        var m = greeted()
        let w = try #require(m.packetReceived(responsePacket(user: "x", password: "whatever", database: "db")) {
            HandshakeScript()
        }.written)
        #expect(w.packets.count == 1 && w.packets[0].isOK)
        #expect(w.seq == 2)
        #expect(w.after == .sessionChanged)
        #expect(m.user == "x")
        #expect(m.schema == "db")
        #expect(m.capabilities.contains(.deprecateEOF))
    }

    @Test("mysql_native_password: right password OK, wrong password or user 1045 and close")
    func native() throws {
        var good = greeted()
        let ok = try #require(good.packetReceived(responsePacket(user: "u", password: "p")) { auth("u", "p") }.written)
        #expect(ok.packets.count == 1 && ok.packets[0].isOK)
        #expect(ok.after == .sessionChanged)

        var bad = greeted()
        let denied = bad.packetReceived(responsePacket(user: "u", password: "x")) { auth("u", "p") }
        #expect(denied.err == ERRPacket(code: 1045, sqlState: "28000",
                                        message: "Access denied for user 'u'@'127.0.0.1' (using password: YES)"))
        #expect(denied.written?.seq == 2)
        #expect(denied.written?.after == .close)

        var wrongUser = greeted()
        let d2 = wrongUser.packetReceived(responsePacket(user: "v", password: "p")) { auth("u", "p") }
        #expect(d2.err?.message.hasPrefix("Access denied for user 'v'@'127.0.0.1'") == true)
        #expect(d2.written?.after == .close)
    }

    @Test("an empty password must match an empty response")
    func emptyPassword() {
        var m = greeted()
        let action = m.packetReceived(responsePacket(user: "u", password: "")) { auth(nil, "secret") }
        #expect(action.err?.message.hasSuffix("(using password: NO)") == true)
    }

    @Test("caching_sha2_password fast path: scramble checked, then 0x03 and OK")
    func cachingFast() throws {
        var m = greeted()
        let w = try #require(m.packetReceived(responsePacket(password: "p", plugin: AuthPlugin.cachingSHA2Password)) {
            auth(nil, "p")
        }.written)
        #expect(w.seq == 2)
        #expect(w.packets.first == .authMoreData(.fastAuthSuccess))
        #expect(w.packets.last?.isOK == true)
        var wrong = greeted()
        let denied = wrong.packetReceived(responsePacket(password: "x", plugin: AuthPlugin.cachingSHA2Password)) {
            auth(nil, "p")
        }
        #expect(denied.err?.code == 1045)
    }

    @Test("a forced method switches the client, then checks the switched response")
    func forcedSwitch() throws {
        var m = greeted()
        let first = try #require(m.packetReceived(responsePacket(password: "p", plugin: AuthPlugin.nativePassword)) {
            auth(nil, "p", method: AuthPlugin.cachingSHA2Password)
        }.written)
        #expect(first.packets == [.authSwitch(AuthSwitchRequest(pluginName: AuthPlugin.cachingSHA2Password,
                                                                pluginData: nonce + [0]))])
        #expect(first.seq == 2)
        #expect(first.after == .keepOpen)
        let scramble = AuthScramble.cachingSHA2Password(password: "p", nonce: nonce)
        let second = try #require(m.packetReceived(Packet(sequenceID: 3, payload: ByteBuffer(bytes: scramble))) {
            Issue.record("auth script asked twice")
            return HandshakeScript()
        }.written)
        #expect(second.seq == 4)
        #expect(second.packets.first == .authMoreData(.fastAuthSuccess))
        #expect(second.after == .sessionChanged)
    }

    @Test("a client answering for another plugin with no data is switched to its own plugin (libmysqlclient)")
    func emptyResponseForOtherPlugin() throws {
        var m = greeted()
        let r = HandshakeResponse41(capabilities: [.protocol41, .secureConnection, .pluginAuth], username: "u",
                                    authResponse: [], authPluginName: AuthPlugin.cachingSHA2Password)
        var buffer = ByteBuffer()
        r.write(to: &buffer)
        let w = try #require(m.packetReceived(Packet(sequenceID: 1, payload: buffer)) { auth(nil, "p") }.written)
        #expect(w.packets == [.authSwitch(AuthSwitchRequest(pluginName: AuthPlugin.cachingSHA2Password,
                                                            pluginData: nonce + [0]))])
    }

    @Test("replies follow the last fragment of a multi-packet request")
    func fragmentedRequest() {
        var m = loggedIn()
        var query = command(.query("select 1"))
        query.lastSequenceID = 1
        guard case .answer(_, 2) = m.packetReceived(query, authScript: { HandshakeScript() }) else {
            Issue.record("expected the reply to start at 2")
            return
        }
    }

    @Test("an unknown client plugin is switched to caching_sha2_password")
    func unknownPlugin() throws {
        var m = greeted()
        let w = try #require(m.packetReceived(responsePacket(plugin: "dialog")) { HandshakeScript() }.written)
        #expect(w.packets == [.authSwitch(AuthSwitchRequest(pluginName: AuthPlugin.cachingSHA2Password,
                                                            pluginData: nonce + [0]))])
    }

    @Test("handshake.error at auth time replaces the OK")
    func authError() {
        var m = greeted()
        let action = m.packetReceived(responsePacket()) {
            HandshakeScript(error: ErrorResponse(code: 1040, sqlState: "08004", message: "Too many connections"))
        }
        #expect(action.err?.code == 1040)
        #expect(action.written?.after == .close)
    }

    @Test("bad sequence ids and malformed packets get an ERR and close")
    func badInput() {
        let none: () -> HandshakeScript = { HandshakeScript() }
        var m = greeted()
        #expect(m.packetReceived(responsePacket(seq: 5), authScript: none).err?.code == 1156)
        var m2 = greeted()
        let garbage = m2.packetReceived(Packet(sequenceID: 1, payload: ByteBuffer(bytes: [1, 2, 3])), authScript: none)
        #expect(garbage.err?.code == 1835)
        #expect(garbage.written?.after == .close)
        var m3 = loggedIn()
        #expect(m3.packetReceived(command(.ping, seq: 3), authScript: none).err?.code == 1156)
        var m4 = loggedIn()
        #expect(m4.wireErrorReceived(MySQLWireError(.packetTooLarge, "x")).err?.code == 1153)
        var m5 = loggedIn()
        #expect(m5.packetReceived(Packet(sequenceID: 0, payload: ByteBuffer()), authScript: none).err?.code == 1835)
        // After a fatal error nothing more happens.
        guard case .none = m5.packetReceived(command(.ping), authScript: none) else {
            Issue.record("closed machine acted")
            return
        }
    }

    @Test("commands")
    func commands() throws {
        var m = loggedIn()
        let none: () -> HandshakeScript = { HandshakeScript() }
        guard case .answer(let request, 1) = m.packetReceived(command(.query("select 1")), authScript: none),
              request.text == "select 1", request.kind == .query else {
            Issue.record("expected query")
            return
        }
        let ping = try #require(m.packetReceived(command(.ping), authScript: none).written)
        #expect(ping.packets.count == 1 && ping.packets[0].isOK && ping.seq == 1 && ping.after == .keepOpen)
        let reset = try #require(m.packetReceived(command(.resetConnection), authScript: none).written)
        #expect(reset.packets[0].isOK)
        let initDB = try #require(m.packetReceived(command(.initDB("shop")), authScript: none).written)
        #expect(initDB.packets[0].isOK && initDB.after == .sessionChanged)
        #expect(m.schema == "shop")
        let option = try #require(m.packetReceived(command(.setOption(1)), authScript: none).written)
        #expect(option.packets == [.eof(EOFPacket())])
        let stats = try #require(m.packetReceived(command(.statistics), authScript: none).written)
        guard case .text(let text) = stats.packets.first else {
            Issue.record("expected text")
            return
        }
        #expect(text.hasPrefix("Uptime: "))
        let unknown = m.packetReceived(command(.unsupported(0x1D)), authScript: none)
        #expect(unknown.err?.code == 1047)
        #expect(unknown.err?.sqlState == "08S01")
        #expect(unknown.written?.after == .keepOpen)
        #expect(m.packetReceived(command(.quit), authScript: none) == .close)
    }

    @Test("COM_CHANGE_USER re-authenticates against the same rules")
    func changeUser() throws {
        let rules: () -> HandshakeScript = { auth("app", "pw") }
        var good = loggedIn()
        let change = ChangeUser(username: "app", authResponse: AuthScramble.nativePassword(password: "pw", nonce: nonce),
                                schema: "db2", authPluginName: AuthPlugin.nativePassword)
        let ok = try #require(good.packetReceived(command(.changeUser(change)), authScript: rules).written)
        #expect(ok.packets[0].isOK && ok.seq == 1 && ok.after == .sessionChanged)
        #expect(good.user == "app")
        #expect(good.schema == "db2")

        var bad = loggedIn()
        var wrong = change
        wrong.authResponse = AuthScramble.nativePassword(password: "nope", nonce: nonce)
        let denied = bad.packetReceived(command(.changeUser(wrong)), authScript: rules)
        #expect(denied.err?.code == 1045)
        #expect(denied.written?.after == .close)
    }
}

extension Machine.Action {
    /// The packets, first sequence id and follow-up of a `.write`, or nil.
    var written: (packets: [Machine.OutboundPacket], seq: UInt8, after: Machine.After)? {
        if case .write(let p, let s, let a) = self { return (p, s, a) }
        return nil
    }
    var err: ERRPacket? {
        guard let w = written, w.packets.count == 1, case .err(let e) = w.packets[0] else { return nil }
        return e
    }
}

extension Machine.OutboundPacket {
    var isOK: Bool {
        if case .ok = self { return true }
        return false
    }
}
