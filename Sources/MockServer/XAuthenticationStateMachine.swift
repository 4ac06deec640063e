import FoundationEssentials
import MockModel
import MySQLWire
import MySQLXWire

/// One X protocol authentication (reference spec §6), held by `XConnectionStateMachine` while it
/// runs. Pure: no I/O.
///
/// - `MYSQL41`, `SHA256_MEMORY`: AuthenticateStart → AuthenticateContinue (the server's 20-byte
///   challenge) → AuthenticateContinue `schema\0user\0scramble` (the scramble hex-encoded, with a
///   leading `*` for MYSQL41) → AuthenticateOk or Error.
/// - `PLAIN` (TLS or a Unix socket only): AuthenticateStart `schema\0user\0password` → AuthenticateOk
///   or Error.
///
/// Unlike the reference, credentials are checked against the trace's `handshake.auth`, and
/// `--ssl-mode REQUIRED` refuses good credentials sent over plain TCP (ER_SECURE_TRANSPORT_REQUIRED).
package struct XAuthenticationStateMachine: Equatable {
    package enum State: Equatable {
        case initial
        /// AuthenticateContinue (challenge) sent for a scramble mechanism.
        case challenged(mechanism: String)
        case done
    }

    package enum Action: Equatable {
        /// Send the challenge and wait for the client's answer.
        case challenge([UInt8])
        case succeeded(user: String, schema: String?)
        /// Refused; `fatal` errors close the connection, others let the client try again.
        case failed(code: UInt16, sqlState: String, message: String, fatal: Bool)
    }

    package private(set) var state: State = .initial
    let nonce: [UInt8]
    let peerHost: String
    let secureTransport: Bool
    /// `--ssl-mode REQUIRED`: good credentials over plain TCP are still refused.
    let tlsRequired: Bool
    let script: HandshakeScript

    /// Why the login was refused (which check failed; never the password), for the log.
    package private(set) var refusal: String?

    package init(nonce: [UInt8], peerHost: String, secureTransport: Bool, tlsRequired: Bool = false,
                 script: HandshakeScript) {
        self.nonce = nonce
        self.peerHost = peerHost
        self.secureTransport = secureTransport
        self.tlsRequired = tlsRequired
        self.script = script
    }

    /// AuthenticateStart.
    package mutating func started(_ start: Mysqlx_Session_AuthenticateStart) -> Action {
        switch start.mechName {
        case "MYSQL41", "SHA256_MEMORY":
            state = .challenged(mechanism: start.mechName)
            return .challenge(nonce)
        case "PLAIN":
            guard secureTransport else {
                return .failed(code: ErrorCode.authModeNotSupported, sqlState: "HY000",
                               message: "Invalid authentication method PLAIN (needs TLS or a Unix socket)", fatal: false)
            }
            let (schema, user, secret) = Self.split(Array(start.authData))
            return finish(user: user, schema: schema,
                          ok: script.auth.account(user)?.password.map { $0 == String(decoding: secret, as: UTF8.self) } ?? true)
        default:
            return .failed(code: ErrorCode.authModeNotSupported, sqlState: "HY000",
                           message: "Invalid authentication method \(start.mechName)", fatal: false)
        }
    }

    /// AuthenticateContinue after the challenge: `schema NUL user NUL scramble`.
    package mutating func continued(_ data: [UInt8]) -> Action {
        guard case .challenged(let mechanism) = state else {
            state = .done
            return .failed(code: ErrorCode.xBadMessage, sqlState: "HY000", message: "Unexpected message in this state",
                           fatal: true)
        }
        let (schema, user, secret) = Self.split(data)
        var hex = String(decoding: secret.prefix { $0 != 0 }, as: UTF8.self)  // some clients end with a NUL
        if hex.hasPrefix("*") { hex.removeFirst() }
        guard let password = script.auth.account(user)?.password else { return finish(user: user, schema: schema, ok: true) }
        let expected = mechanism == "MYSQL41"
            ? AuthScramble.nativePassword(password: password, nonce: nonce)
            : AuthScramble.cachingSHA2Password(password: password, nonce: nonce)
        return finish(user: user, schema: schema, ok: Self.hexBytes(hex) == expected)
    }

    private mutating func finish(user: String, schema: String, ok: Bool) -> Action {
        state = .done
        let account = script.auth.account(user)
        let userOK = account?.username.map { $0 == user } ?? (account != nil)
        if account == nil {
            refusal = "the trace's users do not include '\(user)'"
        } else if !userOK {
            refusal = "the trace accepts user '\(script.auth.username ?? "")' only"
        } else if !ok {
            refusal = "wrong password"
        }
        guard ok, userOK else {
            return .failed(code: ErrorCode.accessDenied, sqlState: "28000",
                           message: "Access denied for user '\(user)'@'\(peerHost)' (using password: YES)", fatal: false)
        }
        if tlsRequired, !secureTransport {
            // As the X Plugin (8.0.4 and later) answers an account check on an insecure connection.
            return .failed(code: ErrorCode.secureTransportRequired, sqlState: "HY000",
                           message: "Connections using insecure transport are prohibited while "
                               + "--require_secure_transport=ON.", fatal: false)
        }
        if let error = script.error {
            return .failed(code: error.code, sqlState: error.sqlState, message: error.message, fatal: true)
        }
        if account?.locked == true {
            refusal = "the account is locked (the trace's 'locked')"
            let err = ExpiredPasswordSandbox.accountLocked(user: user, host: peerHost, mariaDB: false)
            return .failed(code: err.code, sqlState: err.sqlState, message: err.message, fatal: false)
        }
        if account?.passwordExpired == true {
            // The X protocol has no sandbox here: a session with an expired password is refused.
            refusal = "the password has expired (the trace's 'password_expired')"
            let err = ExpiredPasswordSandbox.mustChangePasswordLogin
            return .failed(code: err.code, sqlState: err.sqlState, message: err.message, fatal: false)
        }
        return .succeeded(user: user, schema: schema.isEmpty ? nil : schema)
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
