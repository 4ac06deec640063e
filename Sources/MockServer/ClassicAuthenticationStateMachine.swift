import MockModel
import MySQLWire

/// One classic-protocol authentication, from the client's first auth response (in
/// HandshakeResponse41 or COM_CHANGE_USER) to OK or ERR. Held by `ClassicConnectionStateMachine`
/// while it authenticates; pure like it (no I/O, no clocks).
///
/// The exchanges it runs, after the client's first response:
/// - verify at once: `mysql_native_password`, `mysql_clear_password`, caching_sha2_password's fast
///   path (`0x01 0x03` "fast auth success", then OK);
/// - AuthSwitchRequest `0xFE plugin\0 data` → AuthSwitchResponse, then as above;
/// - caching_sha2_password full authentication: AuthMoreData `0x01 0x04` → the password in clear
///   (TLS or Unix socket), or `0x02` (public key request) → AuthMoreData PEM → the RSA-encrypted
///   password; `sha256_password` the same from its first `0x01`.
package struct ClassicAuthenticationStateMachine: Equatable {
    /// What the connection knows when an authentication starts.
    package struct Context: Equatable {
        /// Host part for `Access denied for user '…'@'<host>'`.
        package var peerHost: String
        /// The greeting's scramble (also sent with every auth switch).
        package var nonce: [UInt8]
        /// The plugin the greeting announced.
        package var announcedPlugin: String
        /// The client can be switched to another plugin (CLIENT_PLUGIN_AUTH).
        package var clientCanSwitch: Bool
        /// TLS or a Unix socket: passwords may travel in clear.
        package var secureTransport: Bool
        package var peerCertificate: PeerCertificate?
        /// The status flags of the final OK.
        package var statusFlags: ServerStatus
        package var passwordKeys: PasswordKeyPair?
        /// The greeting says MariaDB: its error codes and wording for locked accounts and expired
        /// passwords.
        package var mariaDB = false
        /// CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS: the client can work in sandbox mode.
        package var clientCanHandleExpiredPasswords = false
        /// The claimed account's expired password was reset in an earlier session.
        package var passwordWasReset = false
    }

    /// What the client claimed and what the trace expects.
    package struct Claim: Equatable {
        package var username: String
        package var schema: String?
        package var script: HandshakeScript
        /// `true` for COM_CHANGE_USER.
        package var changeUser: Bool

        package init(username: String, schema: String?, script: HandshakeScript, changeUser: Bool) {
            self.username = username
            self.schema = schema
            self.script = script
            self.changeUser = changeUser
        }
    }

    package enum State: Equatable {
        /// The first response has not been looked at yet.
        case initial
        /// AuthSwitchRequest sent; waiting for the client's answer.
        case switchSent
        /// caching_sha2_password "perform full authentication" (0x04) sent: waiting for the
        /// password in clear, a public-key request (0x02) or an encrypted password.
        case fullAuthRequested
        /// The RSA public key was sent: waiting for the encrypted password.
        case publicKeySent
        case done
    }

    package enum Action: Equatable {
        /// Send `packet` and wait for the client's next auth packet.
        case `continue`(ClassicConnectionStateMachine.OutboundPacket)
        /// Authenticated: send `packets` (ending in OK).
        case succeeded([ClassicConnectionStateMachine.OutboundPacket])
        /// Refused: send the ERR and close; `reason` says which check failed (for the log).
        case failed(ERRPacket, reason: String)
    }

    package private(set) var state: State = .initial
    package let context: Context
    package let claim: Claim
    /// The account the claim logs in to (`handshake.auth`, or one of its `users`); `nil` when the
    /// trace's `users` does not name the user.
    let account: HandshakeScript.Auth?
    private var auth: HandshakeScript.Auth { account ?? claim.script.auth }
    /// Authenticated into sandbox mode: the account's password has expired.
    package private(set) var sandboxed = false
    /// The plugin the exchange is using now (the client's, or the one it was switched to).
    package private(set) var plugin: String

    package init(context: Context, claim: Claim, clientPlugin: String) {
        self.context = context
        self.claim = claim
        self.plugin = clientPlugin
        self.account = claim.script.auth.account(claim.username)
    }

    // MARK: Events

    /// The client's first auth response (HandshakeResponse41 `auth_response`, or COM_CHANGE_USER's):
    /// verifies it, or switches the client to the plugin the trace forces, to
    /// `caching_sha2_password` for a plugin the mock does not know, or to the plugin it named but
    /// sent no data for.
    package mutating func started(response: [UInt8]) -> Action {
        guard case .initial = state else { return unexpected() }
        if let error = claim.script.error { return fail(ERRPacket(error), reason: "the trace's handshake sets an error") }
        guard account != nil else {
            return accessDenied(usingPassword: !response.isEmpty, reason: "the trace's users do not include '\(claim.username)'")
        }
        if let required = auth.username, required != claim.username {
            return accessDenied(usingPassword: !response.isEmpty, reason: "the trace accepts user '\(required)' only")
        }
        if let required = auth.certificate {
            guard let peer = context.peerCertificate else {
                return accessDenied(usingPassword: !response.isEmpty, reason: "the trace requires a client certificate; none was sent")
            }
            guard required.subject == nil || required.subject == peer.subject,
                  required.issuer == nil || required.issuer == peer.issuer
            else {
                return accessDenied(usingPassword: !response.isEmpty,
                                    reason: "the client certificate (subject '\(peer.subject)', issuer '\(peer.issuer)') is not the one the trace requires")
            }
        }
        let needsPassword = !(auth.password ?? "").isEmpty
        let target: String? =
            if let forced = auth.methodName, forced != plugin {
                forced
            } else if !Self.knownPlugins.contains(plugin) {
                AuthPlugin.cachingSHA2Password
            } else if plugin != context.announcedPlugin, response.isEmpty, needsPassword {
                // libmysqlclient sends no data for a plugin other than the announced one and
                // expects to be switched to it (as a real server does).
                plugin
            } else {
                nil
            }
        guard let target else { return verify(response) }
        guard context.clientCanSwitch else {
            return fail(ERRPacket(code: ErrorCode.authModeNotSupported, sqlState: "08004",
                                  message: "Client does not support authentication protocol requested by server; "
                                      + "consider upgrading MySQL client"),
                        reason: "the client cannot switch to \(target) (no CLIENT_PLUGIN_AUTH)")
        }
        plugin = target
        state = .switchSent
        let data = target == AuthPlugin.clearPassword ? [] : context.nonce + [0]
        return .continue(.authSwitch(AuthSwitchRequest(pluginName: target, pluginData: data)))
    }

    /// The client's next auth packet (after a switch, a full-authentication request or the key).
    package mutating func dataReceived(_ data: [UInt8]) -> Action {
        switch state {
        case .initial, .done: return unexpected()
        case .switchSent: return verify(data)
        case .fullAuthRequested:
            if data == [2] { return sendPublicKey() }
            return context.secureTransport ? cleartextPasswordReceived(data) : encryptedPasswordReceived(data)
        case .publicKeySent: return encryptedPasswordReceived(data)
        }
    }

    static let knownPlugins = [AuthPlugin.nativePassword, AuthPlugin.cachingSHA2Password, AuthPlugin.clearPassword,
                               AuthPlugin.sha256Password]

    // MARK: Checks

    /// Checks an auth response for `plugin`, or continues the exchange (caching_sha2_password full
    /// authentication, sha256_password key exchange).
    private mutating func verify(_ response: [UInt8]) -> Action {
        let sent = response == [0] ? [] : response
        let password = auth.password
        switch plugin {
        case AuthPlugin.cachingSHA2Password where !sent.isEmpty:
            if auth.cacheMiss {
                // The server "has no cached entry": the client must send the password itself.
                state = .fullAuthRequested
                return .continue(.authMoreData(.performFullAuthentication))
            }
            if let password,
               !AuthScramble.verify(plugin: plugin, response: sent, password: password, nonce: context.nonce,
                                    expected: ExpectedAuthResponses.response) {
                return accessDenied(usingPassword: true, reason: "wrong password (\(plugin) scramble)")
            }
            return authenticated(fastAuth: true)
        case AuthPlugin.sha256Password where !sent.isEmpty:
            if sent == [1] { return sendPublicKey() }
            return context.secureTransport ? cleartextPasswordReceived(sent) : encryptedPasswordReceived(sent)
        default:
            if let password {
                let ok = AuthScramble.verify(plugin: plugin, response: sent, password: password, nonce: context.nonce,
                                             expected: ExpectedAuthResponses.response)
                guard ok else {
                    return accessDenied(usingPassword: !sent.isEmpty,
                                        reason: sent.isEmpty ? "no password sent; the trace requires one" : "wrong password (\(plugin))")
                }
            }
            return authenticated(fastAuth: false)
        }
    }

    private mutating func sendPublicKey() -> Action {
        guard let keys = context.passwordKeys else {
            return fail(ERRPacket(code: ErrorCode.accessDenied, sqlState: "28000",
                                  message: "Authentication requires secure connection."),
                        reason: "\(plugin) needs TLS or an RSA key pair for the password, and there is neither")
        }
        state = .publicKeySent
        return .continue(.authMoreData(AuthMoreData(data: Array(keys.publicKeyPEM.utf8))))
    }

    private mutating func encryptedPasswordReceived(_ data: [UInt8]) -> Action {
        guard let plain = context.passwordKeys?.decryptPassword(data, nonce: context.nonce) else {
            return accessDenied(usingPassword: true, reason: "the RSA-encrypted password could not be decrypted with the server's key")
        }
        return cleartextPasswordReceived(plain)
    }

    /// `password` followed by a NUL, as clients send it in clear or inside the RSA envelope.
    private mutating func cleartextPasswordReceived(_ data: [UInt8]) -> Action {
        var sent = data
        if sent.last == 0 { sent.removeLast() }
        if let password = auth.password, sent != Array(password.utf8) {
            return accessDenied(usingPassword: !sent.isEmpty, reason: "wrong password (\(plugin), sent in full)")
        }
        return authenticated(fastAuth: false)
    }

    /// The credentials are good: OK (after 0x03 on caching_sha2_password's fast path), unless the
    /// trace ends the handshake with an error, the account is locked, or its password has expired
    /// and the client cannot work in sandbox mode (as a server checks them: after the password).
    private mutating func authenticated(fastAuth: Bool) -> Action {
        if let error = claim.script.error { return fail(ERRPacket(error), reason: "the trace's handshake sets an error") }
        if auth.locked {
            return fail(ExpiredPasswordSandbox.accountLocked(user: claim.username, host: context.peerHost, mariaDB: context.mariaDB),
                        reason: "the account is locked (the trace's 'locked')")
        }
        if auth.passwordExpired, !context.passwordWasReset {
            guard context.clientCanHandleExpiredPasswords || context.mariaDB else {
                return fail(ExpiredPasswordSandbox.mustChangePasswordLogin,
                            reason: "the password has expired and the client cannot handle that (no CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS)")
            }
            sandboxed = true
        }
        state = .done
        let ok = ClassicConnectionStateMachine.OutboundPacket.ok(OKPacket(status: context.statusFlags))
        return .succeeded(fastAuth ? [.authMoreData(.fastAuthSuccess), ok] : [ok])
    }

    /// ERR 1045; `reason` says which check failed (for the log, never the password).
    private mutating func accessDenied(usingPassword: Bool, reason: String) -> Action {
        fail(ERRPacket(code: ErrorCode.accessDenied, sqlState: "28000",
                       message: "Access denied for user '\(claim.username)'@'\(context.peerHost)' "
                           + "(using password: \(usingPassword ? "YES" : "NO"))"),
             reason: reason)
    }

    /// Auth data when none is expected: a protocol error.
    private mutating func unexpected() -> Action {
        fail(ERRPacket(code: ErrorCode.malformedPacket,
                       message: "Malformed communication packet. (authentication data in state \(state))"),
             reason: "authentication data arrived in state \(state)")
    }

    private mutating func fail(_ err: ERRPacket, reason: String) -> Action {
        state = .done
        return .failed(err, reason: reason)
    }
}

/// Subject and issuer of a client certificate in OpenSSL's one-line form.
package struct PeerCertificate: Equatable, Sendable {
    package var subject: String
    package var issuer: String

    package init(subject: String, issuer: String) {
        self.subject = subject
        self.issuer = issuer
    }
}
