import MockModel
import MySQLWire
import NIOCore

/// The classic protocol's connection life cycle as a pure state machine: events in (the connection
/// started, a packet arrived, the wire was bad), actions out. No I/O, clocks or channels here; the
/// `ClassicConnectionHandler` runs the actions.
///
/// Handshake: greeting (seq 0) → HandshakeResponse41 (seq 1) → optional AuthSwitchRequest (seq 2) →
/// AuthSwitchResponse (seq 3) → optional AuthMoreData → OK/ERR. Command phase: every command starts
/// with sequence id 0; the response continues from 1.
package struct ClassicConnectionStateMachine {
    /// Server-side settings that do not come from the trace.
    package struct Configuration {
        package var connectionID: UInt32
        /// Host part for `Access denied for user '…'@'<host>'`.
        package var peerHost: String
        package var serverVersion = "8.0.23-mock"
        package var capabilities = CapabilityFlags.mockDefault
        package var characterSet: UInt8 = 255
        package var nonce: [UInt8] = Configuration.defaultNonce
        package var authMethod = AuthPlugin.nativePassword
        /// TLS can be negotiated (CLIENT_SSL is announced).
        package var tlsAvailable = false
        /// Plaintext logins are refused (ERR 3159).
        package var tlsRequired = false
        /// The connection came in on a Unix socket, which counts as secure transport.
        package var unixSocket = false
        /// Decrypts RSA-encrypted passwords (caching_sha2_password full auth, sha256_password).
        package var passwordKeys: PasswordKeyPair?

        /// The reference's fixed scramble (made once; connections share its storage).
        package static let defaultNonce: [UInt8] = Array("01234567890123456789".utf8)

        package init(connectionID: UInt32, peerHost: String) {
            self.connectionID = connectionID
            self.peerHost = peerHost
        }
    }

    /// An authentication in progress: what the client claimed and what the trace expects.
    package struct PendingAuth {
        var username: String
        var schema: String?
        var script: HandshakeScript
        /// The plugin the client was switched to.
        var plugin: String
        /// `true` for COM_CHANGE_USER (on success the session changes, not starts).
        var changeUser: Bool
    }

    package enum State {
        case initial
        /// Greeting sent; waiting for the HandshakeResponse41 (or SSLRequest) with `expectedSequenceID`
        /// (1, or 2 after TLS was set up).
        case greetingSent(expectedSequenceID: UInt8)
        /// SSLRequest received; the TLS handshake runs.
        case tlsHandshake
        /// AuthSwitchRequest sent; waiting for the client's answer with `expectedSequenceID`.
        case authSwitchSent(PendingAuth, expectedSequenceID: UInt8)
        /// caching_sha2_password "perform full authentication" (0x04) sent: waiting for the password
        /// in clear (secure transport), a public-key request (0x02) or an encrypted password.
        case fullAuthRequested(PendingAuth, expectedSequenceID: UInt8)
        /// The RSA public key was sent: waiting for the encrypted password.
        case publicKeySent(PendingAuth, expectedSequenceID: UInt8)
        case command
        case closed
    }

    /// What happens after the packets of a `write` action are sent.
    package enum After: Equatable {
        case keepOpen
        case close
        /// User or schema changed (authenticated, COM_INIT_DB, COM_CHANGE_USER): tell the responder.
        case sessionChanged
    }

    package enum Action {
        /// Send the greeting after `delay`.
        case sendGreeting(HandshakeV10, delay: Duration)
        /// Send packets (numbered from `sequenceID`), then do `after`.
        case write([OutboundPacket], sequenceID: UInt8, after: After)
        /// Ask the responder for the answer to `statement`; the response starts at `sequenceID`.
        case answerQuery(String, sequenceID: UInt8)
        case close
        /// COM_QUIT: let the client close first (so the TIME_WAIT state stays on its side), closing
        /// ourselves only if it does not.
        case awaitClientClose
        /// An SSLRequest arrived: start the TLS handshake (bytes already received belong to it).
        case startTLS
        case none
    }

    /// A packet the server sends, encoded by the handler for the negotiated capabilities.
    package enum OutboundPacket: Equatable {
        case ok(OKPacket)
        case err(ERRPacket)
        case eof(EOFPacket)
        case authSwitch(AuthSwitchRequest)
        case authMoreData(AuthMoreData)
        /// COM_STATISTICS answers with a bare string.
        case text(String)
    }

    package private(set) var state: State = .initial
    private(set) var configuration: Configuration
    /// Capabilities both sides have (set by the handshake response).
    package private(set) var capabilities: CapabilityFlags = [.protocol41]
    private(set) var greeting: HandshakeV10?
    private(set) var user: String?
    private(set) var schema: String?
    /// TLS is up.
    private(set) var tlsEstablished = false
    /// The client's certificate names after TLS (verified against the CA by the TLS layer).
    private(set) var peerCertificate: PeerCertificate?

    /// Subject and issuer of a client certificate in OpenSSL's one-line form.
    package struct PeerCertificate: Equatable {
        package var subject: String
        package var issuer: String

        package init(subject: String, issuer: String) {
            self.subject = subject
            self.issuer = issuer
        }
    }

    /// TLS or a Unix socket: passwords may travel in clear.
    var secureTransport: Bool { tlsEstablished || configuration.unixSocket }

    package init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The nonce of this connection's greeting (also used for every auth switch).
    var nonce: [UInt8] { greeting?.nonce ?? configuration.nonce }

    // MARK: Events

    /// The connection is up; `script` is the trace's handshake for the greeting phase.
    package mutating func connectionStarted(script: HandshakeScript) -> Action {
        guard case .initial = state else { return .none }
        if let error = script.error {
            state = .closed
            return .write([.err(ERRPacket(error))], sequenceID: 0, after: .close)
        }
        let g = script.greeting
        var caps = CapabilityFlags(rawValue: g.capabilities ?? configuration.capabilities.rawValue)
        if configuration.tlsAvailable { caps.insert(.ssl) } else { caps.remove(.ssl) }
        let greeting = HandshakeV10(
            serverVersion: g.serverVersion ?? configuration.serverVersion,
            connectionID: g.connectionID ?? configuration.connectionID,
            nonce: g.nonce ?? configuration.nonce,
            capabilities: caps,
            characterSet: g.characterSet ?? configuration.characterSet,
            statusFlags: ServerStatus(rawValue: g.statusFlags ?? 0),
            authPluginName: g.authMethod ?? configuration.authMethod)
        self.greeting = greeting
        state = .greetingSent(expectedSequenceID: 1)
        return .sendGreeting(greeting, delay: g.execTime ?? .zero)
    }

    /// A packet arrived. `authScript` gives the trace's handshake for the auth phase; it is called
    /// at most once per authentication.
    package mutating func packetReceived(_ packet: Packet, authScript: () -> HandshakeScript) -> Action {
        var payload = packet.payload
        /// Replies continue after the request's last fragment (a 16 MiB request has several).
        let reply = packet.lastSequenceID &+ 1
        switch state {
        case .initial, .closed, .tlsHandshake:
            return .none
        case .greetingSent(let expected):
            guard packet.sequenceID == expected else { return outOfOrder(packet.sequenceID, expected: expected) }
            if HandshakeResponse41.isSSLRequest(payload) {
                guard configuration.tlsAvailable, !tlsEstablished else {
                    return fail(ERRPacket(code: ErrorCode.malformedPacket,
                                          message: "Malformed communication packet. (TLS requested, but not offered)"))
                }
                state = .tlsHandshake
                return .startTLS
            }
            do {
                let response = try HandshakeResponse41(from: &payload)
                if configuration.tlsRequired, !secureTransport {
                    return fail(ERRPacket(code: ErrorCode.secureTransportRequired, sqlState: "HY000",
                                          message: "Connections using insecure transport are prohibited while "
                                              + "--require_secure_transport=ON."),
                                sequenceID: reply)
                }
                return handshakeResponseReceived(response, sequenceID: reply, authScript: authScript)
            } catch {
                return malformed(error)
            }
        case .authSwitchSent(let pending, let expected):
            guard packet.sequenceID == expected else { return outOfOrder(packet.sequenceID, expected: expected) }
            return verify(pending, response: Array(buffer: payload), sequenceID: reply)
        case .fullAuthRequested(let pending, let expected):
            guard packet.sequenceID == expected else { return outOfOrder(packet.sequenceID, expected: expected) }
            return fullAuthenticationReceived(pending, data: Array(buffer: payload), sequenceID: reply)
        case .publicKeySent(let pending, let expected):
            guard packet.sequenceID == expected else { return outOfOrder(packet.sequenceID, expected: expected) }
            return encryptedPasswordReceived(pending, data: Array(buffer: payload), sequenceID: reply)
        case .command:
            guard packet.sequenceID == 0 else { return outOfOrder(packet.sequenceID, expected: 0) }
            do {
                let command = try ClientCommand(from: &payload, capabilities: capabilities)
                return commandReceived(command, sequenceID: reply, authScript: authScript)
            } catch {
                return malformed(error)
            }
        }
    }

    /// The TLS handshake finished; the client continues with its HandshakeResponse41 (sequence 2).
    package mutating func tlsHandshakeCompleted(peerCertificate: PeerCertificate? = nil) -> Action {
        guard case .tlsHandshake = state else { return .none }
        tlsEstablished = true
        self.peerCertificate = peerCertificate
        state = .greetingSent(expectedSequenceID: 2)
        return .none
    }

    /// The framing layer failed (packet too large, fragments out of order).
    package mutating func wireErrorReceived(_ error: MySQLWireError) -> Action {
        switch error.code {
        case .packetTooLarge:
            return fail(ERRPacket(code: ErrorCode.packetTooLarge, sqlState: "08S01",
                                  message: "Got a packet bigger than 'max_allowed_packet' bytes"))
        case .sequenceOutOfOrder:
            return fail(ERRPacket(code: ErrorCode.packetsOutOfOrder, sqlState: "08S01", message: "Got packets out of order"))
        case .truncated, .malformed:
            return malformed(error)
        }
    }

    // MARK: Handshake

    private mutating func handshakeResponseReceived(_ response: HandshakeResponse41, sequenceID: UInt8,
                                                    authScript: () -> HandshakeScript) -> Action
    {
        capabilities = response.capabilities.intersection(greeting?.capabilities ?? configuration.capabilities)
        capabilities.insert(.protocol41)
        let clientPlugin = response.capabilities.contains(.pluginAuth)
            ? (response.authPluginName ?? AuthPlugin.nativePassword) : AuthPlugin.nativePassword
        let pending = PendingAuth(username: response.username, schema: response.database, script: authScript(),
                                  plugin: clientPlugin, changeUser: false)
        return startAuthentication(pending, response: response.authResponse, clientPlugin: clientPlugin,
                                   sequenceID: sequenceID)
    }

    /// Decides between verifying what the client sent and switching it to another plugin.
    private mutating func startAuthentication(_ pending: PendingAuth, response: [UInt8], clientPlugin: String,
                                              sequenceID: UInt8) -> Action
    {
        if let error = pending.script.error { return fail(ERRPacket(error), sequenceID: sequenceID) }
        if let required = pending.script.auth.username, required != pending.username {
            return accessDenied(pending, sequenceID: sequenceID, usingPassword: !response.isEmpty)
        }
        if let required = pending.script.auth.certificate {
            guard let peer = peerCertificate,
                  required.subject == nil || required.subject == peer.subject,
                  required.issuer == nil || required.issuer == peer.issuer
            else { return accessDenied(pending, sequenceID: sequenceID, usingPassword: !response.isEmpty) }
        }
        let known = [AuthPlugin.nativePassword, AuthPlugin.cachingSHA2Password, AuthPlugin.clearPassword,
                     AuthPlugin.sha256Password]
        let announced = greeting?.authPluginName ?? configuration.authMethod
        let needsPassword = !(pending.script.auth.password ?? "").isEmpty
        let target: String? =
            if let forced = pending.script.auth.methodName, forced != clientPlugin {
                forced
            } else if !known.contains(clientPlugin) {
                AuthPlugin.cachingSHA2Password
            } else if clientPlugin != announced, response.isEmpty, needsPassword {
                // libmysqlclient sends no data for a plugin other than the announced one and
                // expects to be switched to it (as a real server does).
                clientPlugin
            } else {
                nil
            }
        guard let target else { return verify(pending, response: response, sequenceID: sequenceID) }
        guard capabilities.contains(.pluginAuth) else {
            return fail(ERRPacket(code: 1251, sqlState: "08004",
                                  message: "Client does not support authentication protocol requested by server; consider upgrading MySQL client"),
                        sequenceID: sequenceID)
        }
        var switched = pending
        switched.plugin = target
        state = .authSwitchSent(switched, expectedSequenceID: sequenceID &+ 1)
        let data = target == AuthPlugin.clearPassword ? [] : nonce + [0]
        return .write([.authSwitch(AuthSwitchRequest(pluginName: target, pluginData: data))],
                      sequenceID: sequenceID, after: .keepOpen)
    }

    /// Checks the client's auth response for `pending.plugin` and ends the authentication (or
    /// continues it: caching_sha2_password full authentication, sha256_password key exchange).
    private mutating func verify(_ pending: PendingAuth, response: [UInt8], sequenceID: UInt8) -> Action {
        let sent = response == [0] ? [] : response
        let password = pending.script.auth.password
        switch pending.plugin {
        case AuthPlugin.cachingSHA2Password where !sent.isEmpty:
            if pending.script.auth.cacheMiss {
                // The server "has no cached entry": the client must send the password itself.
                state = .fullAuthRequested(pending, expectedSequenceID: sequenceID &+ 1)
                return .write([.authMoreData(.performFullAuthentication)], sequenceID: sequenceID, after: .keepOpen)
            }
            if let password,
               !AuthScramble.verify(plugin: pending.plugin, response: sent, password: password, nonce: nonce,
                                             expected: ExpectedAuthResponses.response) {
                return accessDenied(pending, sequenceID: sequenceID, usingPassword: true)
            }
            return authenticated(pending, sequenceID: sequenceID, fastAuth: true)
        case AuthPlugin.sha256Password where !sent.isEmpty:
            if sent == [1] {
                return sendPublicKey(pending, sequenceID: sequenceID)
            }
            return secureTransport
                ? cleartextPasswordReceived(pending, data: sent, sequenceID: sequenceID)
                : encryptedPasswordReceived(pending, data: sent, sequenceID: sequenceID)
        default:
            if let password {
                let ok = AuthScramble.verify(plugin: pending.plugin, response: sent, password: password, nonce: nonce,
                                             expected: ExpectedAuthResponses.response)
                guard ok else { return accessDenied(pending, sequenceID: sequenceID, usingPassword: !sent.isEmpty) }
            }
            return authenticated(pending, sequenceID: sequenceID, fastAuth: false)
        }
    }

    /// After 0x04: the password in clear (secure transport), 0x02 (send me the public key), or
    /// an encrypted password from a client that already has the key.
    private mutating func fullAuthenticationReceived(_ pending: PendingAuth, data: [UInt8], sequenceID: UInt8) -> Action {
        if data == [2] { return sendPublicKey(pending, sequenceID: sequenceID) }
        return secureTransport
            ? cleartextPasswordReceived(pending, data: data, sequenceID: sequenceID)
            : encryptedPasswordReceived(pending, data: data, sequenceID: sequenceID)
    }

    private mutating func sendPublicKey(_ pending: PendingAuth, sequenceID: UInt8) -> Action {
        guard let keys = configuration.passwordKeys else {
            return fail(ERRPacket(code: ErrorCode.accessDenied, sqlState: "28000",
                                  message: "Authentication requires secure connection."), sequenceID: sequenceID)
        }
        state = .publicKeySent(pending, expectedSequenceID: sequenceID &+ 1)
        return .write([.authMoreData(AuthMoreData(data: Array(keys.publicKeyPEM.utf8)))], sequenceID: sequenceID,
                      after: .keepOpen)
    }

    private mutating func encryptedPasswordReceived(_ pending: PendingAuth, data: [UInt8], sequenceID: UInt8) -> Action {
        guard let plain = configuration.passwordKeys?.decryptPassword(data, nonce: nonce) else {
            return accessDenied(pending, sequenceID: sequenceID, usingPassword: true)
        }
        return cleartextPasswordReceived(pending, data: plain, sequenceID: sequenceID)
    }

    /// `password` followed by a NUL, as clients send it in clear or inside the RSA envelope.
    private mutating func cleartextPasswordReceived(_ pending: PendingAuth, data: [UInt8], sequenceID: UInt8) -> Action {
        var sent = data
        if sent.last == 0 { sent.removeLast() }
        if let password = pending.script.auth.password, sent != Array(password.utf8) {
            return accessDenied(pending, sequenceID: sequenceID, usingPassword: !sent.isEmpty)
        }
        return authenticated(pending, sequenceID: sequenceID, fastAuth: false)
    }

    /// The credentials are good: OK (after 0x03 on caching_sha2_password's fast path).
    private mutating func authenticated(_ pending: PendingAuth, sequenceID: UInt8, fastAuth: Bool) -> Action {
        if let error = pending.script.error { return fail(ERRPacket(error), sequenceID: sequenceID) }
        user = pending.username
        if let schema = pending.schema, !schema.isEmpty { self.schema = schema }
        state = .command
        var packets: [OutboundPacket] = []
        if fastAuth { packets.append(.authMoreData(.fastAuthSuccess)) }
        packets.append(.ok(OKPacket(status: greeting?.statusFlags ?? [])))
        return .write(packets, sequenceID: sequenceID, after: .sessionChanged)
    }

    private mutating func accessDenied(_ pending: PendingAuth, sequenceID: UInt8, usingPassword: Bool) -> Action {
        fail(ERRPacket(code: ErrorCode.accessDenied, sqlState: "28000",
                       message: "Access denied for user '\(pending.username)'@'\(configuration.peerHost)' "
                           + "(using password: \(usingPassword ? "YES" : "NO"))"),
             sequenceID: sequenceID)
    }

    // MARK: Commands

    private mutating func commandReceived(_ command: ClientCommand, sequenceID: UInt8,
                                          authScript: () -> HandshakeScript) -> Action {
        switch command {
        case .query(let text):
            return .answerQuery(text, sequenceID: sequenceID)
        case .ping, .resetConnection:
            return .write([.ok(OKPacket(status: greeting?.statusFlags ?? []))], sequenceID: sequenceID, after: .keepOpen)
        case .quit:
            state = .closed
            return .awaitClientClose
        case .initDB(let name):
            schema = name
            return .write([.ok(OKPacket(status: greeting?.statusFlags ?? []))], sequenceID: sequenceID, after: .sessionChanged)
        case .setOption:
            return .write([.eof(EOFPacket())], sequenceID: sequenceID, after: .keepOpen)
        case .statistics:
            return .write([.text("Uptime: 1  Threads: 1  Questions: 0  Slow queries: 0  Opens: 0  "
                                 + "Flush tables: 1  Open tables: 0  Queries per second avg: 0.000")],
                          sequenceID: sequenceID, after: .keepOpen)
        case .changeUser(let change):
            let plugin = change.authPluginName ?? AuthPlugin.nativePassword
            let pending = PendingAuth(username: change.username, schema: change.schema, script: authScript(),
                                      plugin: plugin, changeUser: true)
            return startAuthentication(pending, response: change.authResponse, clientPlugin: plugin, sequenceID: sequenceID)
        case .unsupported(let byte):
            return .write([.err(ERRPacket(code: ErrorCode.unknownCommand, sqlState: "08S01",
                                          message: "Unknown command (0x\(String(byte, radix: 16)))"))],
                          sequenceID: sequenceID, after: .keepOpen)
        }
    }

    // MARK: Failures

    private mutating func outOfOrder(_ got: UInt8, expected: UInt8) -> Action {
        fail(ERRPacket(code: ErrorCode.packetsOutOfOrder, sqlState: "08S01",
                       message: "Got packets out of order (sequence id \(got), expected \(expected))"))
    }

    private mutating func malformed(_ error: any Error) -> Action {
        fail(ERRPacket(code: ErrorCode.malformedPacket, message: "Malformed communication packet. (\(error))"))
    }

    /// Sends `err` and closes. Outside a response the ERR gets sequence id 0 by convention… except
    /// during the handshake, where the client expects the next id of the exchange.
    private mutating func fail(_ err: ERRPacket, sequenceID: UInt8? = nil) -> Action {
        let seq: UInt8
        switch state {
        case .greetingSent(let expected): seq = sequenceID ?? expected &+ 1
        case .authSwitchSent(_, let expected), .fullAuthRequested(_, let expected), .publicKeySent(_, let expected):
            seq = sequenceID ?? expected &+ 1
        default: seq = sequenceID ?? 1
        }
        state = .closed
        return .write([.err(err)], sequenceID: seq, after: .close)
    }
}

extension ERRPacket {
    init(_ error: ErrorResponse) {
        self.init(code: error.code, sqlState: error.sqlState, message: error.message)
    }
}
