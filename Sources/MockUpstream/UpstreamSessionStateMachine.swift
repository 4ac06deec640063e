import MockModel
import MockServer
import MySQLWire
import NIOCore

/// The client side of one classic-protocol session with an upstream server: the login (TLS,
/// `mysql_native_password`, `caching_sha2_password` with its fast and full paths, auth switches)
/// and one command at a time. Pure: it takes packets and events and returns what to do; the
/// handler does the I/O.
///
/// ```
/// server: HandshakeV10                      (or ERR: refused at connect)
/// client: [SSLRequest, TLS handshake]  HandshakeResponse41
/// server: OK | ERR | AuthSwitchRequest (0xFE) | AuthMoreData (0x01)
///   caching_sha2_password: 0x01 0x03 fast path, then OK
///                          0x01 0x04 full authentication: over TLS the password + NUL;
///                          otherwise 0x02 (public key request), 0x01 + PEM,
///                          RSA-OAEP((password + NUL) XOR nonce)
/// ```
package struct UpstreamSessionStateMachine {
    /// Who the recorder logs in as.
    package struct Login: Sendable, Hashable {
        package var user: String
        package var password: String
        package var database: String?
        /// `CLIENT_FOUND_ROWS` (affected rows count matched rows), as the client asked for it.
        package var foundRows: Bool

        package init(user: String, password: String = "", database: String? = nil, foundRows: Bool = false) {
            (self.user, self.password, self.database, self.foundRows) = (user, password, database, foundRows)
        }
    }

    /// Whether the upstream leg uses TLS.
    package enum TLSPolicy: Sendable, Hashable {
        case disabled
        /// TLS when the server offers it.
        case preferred
        /// TLS or no session.
        case required
    }

    package enum Action {
        case none
        /// Write these framed packets.
        case write(ByteBuffer)
        /// Write these framed packets (the SSLRequest), then start TLS.
        case writeAndStartTLS(ByteBuffer)
        /// The session is logged in and idle.
        case loggedIn(HandshakeV10)
        /// The answer to the command in flight.
        case answered([StatementResponse])
        /// The session is over; the command in flight (if any) fails with this.
        case failed(UpstreamFailure)
    }

    private enum State {
        case awaitingGreeting
        case tlsHandshake(HandshakeV10)
        /// Waiting for the outcome of the login; `plugin` and `nonce` are those of the last
        /// exchange (an auth switch changes them).
        case authenticating(HandshakeV10, plugin: String, nonce: [UInt8], awaitingPublicKey: Bool)
        case ready(HandshakeV10)
        /// A command is in flight; `reader` reads its answer.
        case command(HandshakeV10)
        case failed
    }

    /// What the recorder asks of every upstream server (intersected with the greeting).
    static let wanted: CapabilityFlags = [
        .longPassword, .longFlag, .protocol41, .transactions, .secureConnection, .multiResults, .psMultiResults,
        .pluginAuth, .pluginAuthLenencClientData, .connectAttrs, .sessionTrack, .deprecateEOF,
    ]

    private let login: Login
    private let tls: TLSPolicy
    private var state = State.awaitingGreeting
    /// Reads the answer to the command in flight (a stored property, so that reading a large result
    /// mutates it in place instead of copying it out of an enum payload each packet).
    private var reader: UpstreamResponseReader?
    private var tlsActive = false
    /// The negotiated capabilities.
    package private(set) var capabilities: CapabilityFlags = [.protocol41]
    private var nextSequenceID: UInt8 = 0

    package init(login: Login, tls: TLSPolicy) {
        self.login = login
        self.tls = tls
    }

    /// `true` when logged in and no command is in flight.
    package var isReady: Bool {
        if case .ready = state { return true }
        return false
    }

    // MARK: Events

    /// A packet from the server.
    package mutating func packetReceived(_ packet: Packet) -> Action {
        nextSequenceID = packet.lastSequenceID &+ 1
        var payload = packet.payload
        let header = payload.getInteger(at: payload.readerIndex, as: UInt8.self)
        switch state {
        case .awaitingGreeting:
            if header == 0xFF {
                let err = try? ERRPacket(from: &payload, capabilities: [])
                return fail(.unreachable, "the server refused the connection: \(err.map { "ERROR \($0.code): \($0.message)" } ?? "an ERR")")
            }
            let greeting: HandshakeV10
            do {
                greeting = try HandshakeV10(from: &payload)
            } catch {
                return fail(.malformed, "the greeting is not a HandshakeV10: \(error)")
            }
            return greeted(greeting)
        case .tlsHandshake:
            return fail(.malformed, "the server sent a packet during the TLS handshake")
        case .authenticating(let greeting, let plugin, let nonce, let awaitingPublicKey):
            return authenticationPacket(payload, header: header, greeting: greeting, plugin: plugin, nonce: nonce,
                                        awaitingPublicKey: awaitingPublicKey)
        case .ready:
            return fail(.malformed, "the server sent a packet while no command was in flight")
        case .command(let greeting):
            do {
                guard let outcome = try reader?.read(payload) else { return fail(.malformed, "no command in flight") }
                switch outcome {
                case .more:
                    return .none
                case .sendEmptyPacket:
                    return .write(frame(ByteBuffer()))
                case .done(let responses):
                    reader = nil
                    state = .ready(greeting)
                    return .answered(responses)
                }
            } catch {
                reader = nil
                return fail(error.kind, error.detail)
            }
        case .failed:
            return .none
        }
    }

    /// The TLS handshake of the upstream leg finished: the login follows.
    package mutating func tlsEstablished() -> Action {
        guard case .tlsHandshake(let greeting) = state else { return .none }
        tlsActive = true
        return sendLogin(greeting)
    }

    /// The connection closed (or failed: `tls` for a TLS error) under us.
    package mutating func connectionClosed(_ why: String, tls: Bool = false) -> Action {
        switch state {
        case .failed: return .none
        case .awaitingGreeting, .tlsHandshake, .authenticating:
            return fail(tls ? .tls : .unreachable, "the connection closed during the login: \(why)")
        case .ready, .command:
            return fail(tls ? .tls : .lost, why)
        }
    }

    /// Sends a command (`COM_QUERY`, `COM_INIT_DB`); only when ready.
    package mutating func send(_ command: ClientCommand) -> Action {
        guard case .ready(let greeting) = state else {
            return fail(.lost, "a command was sent while the session was not idle")
        }
        state = .command(greeting)
        reader = UpstreamResponseReader(capabilities: capabilities)
        nextSequenceID = 0
        var payload = ByteBuffer()
        command.write(to: &payload, capabilities: capabilities)
        return .write(frame(payload))
    }

    // MARK: Login

    private mutating func greeted(_ greeting: HandshakeV10) -> Action {
        capabilities = Self.wanted.intersection(greeting.capabilities).union(.protocol41)
        if login.foundRows { capabilities.insert(.foundRows) }
        if login.database != nil, greeting.capabilities.contains(.connectWithDB) { capabilities.insert(.connectWithDB) }
        let offersTLS = greeting.capabilities.contains(.ssl)
        if tls == .required, !offersTLS {
            state = .failed
            return .failed(UpstreamFailure(.tls, "TLS is required (--upstream-ssl-mode) and the server does not offer it"))
        }
        if tls != .disabled, offersTLS {
            capabilities.insert(.ssl)
            state = .tlsHandshake(greeting)
            var request = ByteBuffer()
            request.writeInteger(capabilities.rawValue, endianness: .little)
            request.writeInteger(UInt32(1 << 24), endianness: .little)
            request.writeInteger(UInt8(255))
            request.writeRepeatingByte(0, count: 23)
            return .writeAndStartTLS(frame(request))
        }
        return sendLogin(greeting)
    }

    private mutating func sendLogin(_ greeting: HandshakeV10) -> Action {
        let known = [AuthPlugin.nativePassword, AuthPlugin.cachingSHA2Password]
        let plugin = known.contains(greeting.authPluginName) ? greeting.authPluginName : AuthPlugin.nativePassword
        let scramble = AuthScramble.response(plugin: plugin, password: login.password, nonce: greeting.nonce) ?? []
        let response = HandshakeResponse41(
            capabilities: capabilities, username: login.user, authResponse: scramble,
            database: capabilities.contains(.connectWithDB) ? login.database : nil, authPluginName: plugin,
            attributes: [("_client_name", "mysql-server-mock upstream"), ("program_name", "mysql_server_mock")])
        var payload = ByteBuffer()
        response.write(to: &payload)
        state = .authenticating(greeting, plugin: plugin, nonce: greeting.nonce, awaitingPublicKey: false)
        return .write(frame(payload))
    }

    private mutating func authenticationPacket(_ payload: ByteBuffer, header: UInt8?, greeting: HandshakeV10,
                                               plugin: String, nonce: [UInt8], awaitingPublicKey: Bool) -> Action {
        var payload = payload
        switch header {
        case 0x00:
            state = .ready(greeting)
            return .loggedIn(greeting)
        case 0xFF:
            guard let err = try? ERRPacket(from: &payload, capabilities: capabilities) else {
                return fail(.malformed, "an ERR packet during the login that cannot be read")
            }
            state = .failed
            return .failed(UpstreamFailure(.loginRefused(code: err.code, sqlState: err.sqlState),
                                           "ERROR \(err.code) (\(err.sqlState)): \(err.message)"))
        case 0xFE:
            guard let request = try? AuthSwitchRequest(from: &payload) else {
                return fail(.malformed, "an auth switch request that cannot be read")
            }
            var nonce = request.pluginData
            if nonce.last == 0 { nonce.removeLast() }
            guard let answer = AuthScramble.response(plugin: request.pluginName, password: login.password, nonce: nonce),
                  request.pluginName != AuthPlugin.clearPassword || tlsActive
            else {
                state = .failed
                return .failed(UpstreamFailure(.loginRefused(code: 1251, sqlState: "08004"),
                                               "the server asks for the auth plugin '\(request.pluginName)', which the "
                                                   + "recorder does not speak (mysql_native_password and "
                                                   + "caching_sha2_password, or mysql_clear_password over TLS)"))
            }
            state = .authenticating(greeting, plugin: request.pluginName, nonce: nonce, awaitingPublicKey: false)
            return .write(frame(ByteBuffer(bytes: answer)))
        case 0x01:
            guard let more = try? AuthMoreData(from: &payload) else {
                return fail(.malformed, "an AuthMoreData packet that cannot be read")
            }
            if awaitingPublicKey {
                let pem = String(decoding: more.data, as: UTF8.self)
                guard let encrypted = try? PasswordKeyPair.encryptPassword(login.password, nonce: nonce, publicKeyPEM: pem)
                else { return fail(.malformed, "the server's public key cannot be read") }
                state = .authenticating(greeting, plugin: plugin, nonce: nonce, awaitingPublicKey: false)
                return .write(frame(ByteBuffer(bytes: encrypted)))
            }
            switch more.data.first {
            case 0x03:
                return .none
            case 0x04 where tlsActive:
                return .write(frame(ByteBuffer(bytes: Array(login.password.utf8) + [0])))
            case 0x04:
                state = .authenticating(greeting, plugin: plugin, nonce: nonce, awaitingPublicKey: true)
                return .write(frame(ByteBuffer(bytes: [0x02])))
            default:
                return fail(.malformed, "AuthMoreData \(more.data.prefix(8).map { String($0) }) during the login")
            }
        default:
            return fail(.malformed, "a packet with header \(header.map { "0x" + String($0, radix: 16) } ?? "none") during the login")
        }
    }

    // MARK: Helpers

    private mutating func fail(_ kind: UpstreamFailure.Kind, _ detail: String) -> Action {
        state = .failed
        reader = nil
        return .failed(UpstreamFailure(kind, detail))
    }

    /// One packet with the next sequence id (split into frames at 16 MiB).
    private mutating func frame(_ payload: ByteBuffer) -> ByteBuffer {
        var writer = PacketWriter(buffer: ByteBuffer(), sequenceID: nextSequenceID)
        writer.writePacket(payload: payload)
        nextSequenceID = writer.sequenceID
        return writer.buffer
    }
}
