import FoundationEssentials
import MockModel
import MySQLWire
import MySQLXWire

/// The X protocol's connection life cycle as a pure state machine (reference spec §6): capability
/// negotiation, optional TLS, authentication (MYSQL41, SHA256_MEMORY, PLAIN), then statements.
/// Unlike the reference, credentials are checked against the trace's `handshake.auth`.
package struct XConnectionStateMachine {
    package struct Configuration {
        package var connectionID: UInt32
        package var peerHost: String
        package var tlsAvailable = false
        package var unixSocket = false
        package var nonce: [UInt8] = Array("01234567890123456789".utf8)

        package init(connectionID: UInt32, peerHost: String, tlsAvailable: Bool = false, unixSocket: Bool = false) {
            self.connectionID = connectionID
            self.peerHost = peerHost
            self.tlsAvailable = tlsAvailable
            self.unixSocket = unixSocket
        }
    }

    package enum State {
        case handshake
        /// AuthenticateContinue (challenge) sent for a scramble mechanism.
        case challenged(mechanism: String, script: HandshakeScript)
        case tlsHandshake
        case command
        case closed
    }

    /// A server message the handler encodes.
    package enum Outbound: Equatable {
        case ok
        case error(code: UInt16, sqlState: String, message: String, fatal: Bool)
        case capabilities(tls: Bool, mechanisms: [String])
        case authenticateContinue([UInt8])
        /// The CLIENT_ID_ASSIGNED notice, then AuthenticateOk.
        case authenticateOk(clientID: UInt32)
    }

    package enum After: Equatable {
        case keepOpen
        case close
        case startTLS
        /// Authenticated as this user: tell the responder and registry.
        case authenticated(user: String, schema: String?)
    }

    package enum Action: Equatable {
        case send([Outbound], after: After)
        case execute(statement: String)
        case none
    }

    package private(set) var state: State = .handshake
    let configuration: Configuration
    private(set) var tlsEstablished = false

    package init(configuration: Configuration) {
        self.configuration = configuration
    }

    var secureTransport: Bool { tlsEstablished || configuration.unixSocket }

    package mutating func tlsHandshakeCompleted() {
        guard case .tlsHandshake = state else { return }
        tlsEstablished = true
        state = .handshake
    }

    /// A message arrived; `authScript` gives the trace's handshake (for credentials).
    package mutating func messageReceived(_ message: XClientMessage, authScript: () -> HandshakeScript) -> Action {
        switch (state, message) {
        case (.closed, _), (.tlsHandshake, _):
            return .none
        case (_, .connectionClose):
            state = .closed
            return .send([.ok], after: .close)
        case (.handshake, .capabilitiesGet):
            let mechanisms = secureTransport ? ["MYSQL41", "SHA256_MEMORY", "PLAIN"] : ["MYSQL41", "SHA256_MEMORY"]
            return .send([.capabilities(tls: configuration.tlsAvailable && !tlsEstablished, mechanisms: mechanisms)],
                         after: .keepOpen)
        case (.handshake, .capabilitiesSet(let set)):
            return capabilitiesSet(set)
        case (.handshake, .authenticateStart(let start)):
            return authenticateStart(start, script: authScript())
        case (.challenged(let mechanism, let script), .authenticateContinue(let answer)):
            return verify(mechanism: mechanism, data: Array(answer.authData), script: script)
        case (.command, .stmtExecute(let execute)):
            return .execute(statement: String(decoding: execute.stmt, as: UTF8.self))
        case (.command, .sessionReset), (.command, .expectOpen), (.command, .expectClose):
            return .send([.ok], after: .keepOpen)
        case (.command, .sessionClose):
            return .send([.ok], after: .keepOpen)
        case (_, .unsupported(let type)):
            return .send([.error(code: 5000, sqlState: "HY000", message: "Unsupported message type \(type)", fatal: false)],
                         after: state.isCommand ? .keepOpen : .close)
        default:
            state = .closed
            return .send([.error(code: 5000, sqlState: "HY000", message: "Unexpected message in this state", fatal: true)],
                         after: .close)
        }
    }

    private mutating func capabilitiesSet(_ set: Mysqlx_Connection_CapabilitiesSet) -> Action {
        let names = set.capabilities.capabilities.map(\.name)
        if names.contains("tls") {
            guard configuration.tlsAvailable, !tlsEstablished else {
                return .send([.error(code: 5001, sqlState: "HY000", message: "Capability prepare failed for tls",
                                     fatal: false)], after: .keepOpen)
            }
            state = .tlsHandshake
            return .send([.ok], after: .startTLS)
        }
        if names.contains("compression") {
            return .send([.error(code: 5175, sqlState: "HY000",
                                 message: "Invalid or unsupported value for 'compression.algorithm'", fatal: false)],
                         after: .keepOpen)
        }
        return .send([.ok], after: .keepOpen)
    }

    private mutating func authenticateStart(_ start: Mysqlx_Session_AuthenticateStart, script: HandshakeScript) -> Action {
        switch start.mechName {
        case "MYSQL41", "SHA256_MEMORY":
            state = .challenged(mechanism: start.mechName, script: script)
            return .send([.authenticateContinue(configuration.nonce)], after: .keepOpen)
        case "PLAIN":
            guard secureTransport else {
                return .send([.error(code: 1251, sqlState: "HY000",
                                     message: "Invalid authentication method PLAIN (needs TLS or a Unix socket)",
                                     fatal: false)], after: .keepOpen)
            }
            let (schema, user, secret) = Self.split(Array(start.authData))
            return finish(user: user, schema: schema, script: script,
                          ok: script.auth.password.map { $0 == String(decoding: secret, as: UTF8.self) } ?? true)
        default:
            return .send([.error(code: 1251, sqlState: "HY000",
                                 message: "Invalid authentication method \(start.mechName)", fatal: false)], after: .keepOpen)
        }
    }

    /// `schema NUL user NUL scramble`, the scramble hex-encoded (MYSQL41 with a leading `*`).
    private mutating func verify(mechanism: String, data: [UInt8], script: HandshakeScript) -> Action {
        let (schema, user, secret) = Self.split(data)
        var hex = String(decoding: secret.prefix { $0 != 0 }, as: UTF8.self)  // some clients end with a NUL
        if hex.hasPrefix("*") { hex.removeFirst() }
        guard let password = script.auth.password else {
            return finish(user: user, schema: schema, script: script, ok: true)
        }
        let expected = mechanism == "MYSQL41"
            ? AuthScramble.nativePassword(password: password, nonce: configuration.nonce)
            : AuthScramble.cachingSHA2Password(password: password, nonce: configuration.nonce)
        return finish(user: user, schema: schema, script: script, ok: Self.hexBytes(hex) == expected)
    }

    private mutating func finish(user: String, schema: String, script: HandshakeScript, ok: Bool) -> Action {
        let userOK = script.auth.username.map { $0 == user } ?? true
        guard ok, userOK else {
            state = .handshake
            return .send([.error(code: ErrorCode.accessDenied, sqlState: "28000",
                                 message: "Access denied for user '\(user)'@'\(configuration.peerHost)' (using password: YES)",
                                 fatal: false)], after: .keepOpen)
        }
        if let error = script.error {
            state = .closed
            return .send([.error(code: error.code, sqlState: error.sqlState, message: error.message, fatal: true)],
                         after: .close)
        }
        state = .command
        return .send([.authenticateOk(clientID: configuration.connectionID)],
                     after: .authenticated(user: user, schema: schema.isEmpty ? nil : schema))
    }

    static func split(_ data: [UInt8]) -> (schema: String, user: String, secret: [UInt8]) {
        let parts = data.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        let text = { (i: Int) in i < parts.count ? String(decoding: parts[i], as: UTF8.self) : "" }
        return (text(0), text(1), parts.count > 2 ? Array(parts[2]) : [])
    }

    static func hexBytes(_ hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let b = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
        }
        return out
    }
}

extension XConnectionStateMachine.State {
    var isCommand: Bool {
        if case .command = self { return true }
        return false
    }
}
