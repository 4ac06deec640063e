/// When the trace's `handshake` is consulted: before the greeting, and after the client's
/// handshake response (the reference calls a `handshake` function with `is_greeting`).
public enum HandshakePhase: Sendable, Hashable {
    case greeting
    case auth
}

/// What a trace says about the handshake of one connection. Every field is optional: the server
/// fills in its defaults.
public struct HandshakeScript: Sendable, Hashable {
    public var greeting = Greeting()
    public var auth = Auth()
    /// If set, the client gets this ERR instead of the greeting (greeting phase) or instead of the
    /// OK after authentication (auth phase), and the connection is closed.
    public var error: ErrorResponse?
    /// Fail the connection on purpose before it is logged in (`handshake.fault`).
    public var fault: HandshakeFault?

    public init(greeting: Greeting = Greeting(), auth: Auth = Auth(), error: ErrorResponse? = nil,
                fault: HandshakeFault? = nil) {
        self.greeting = greeting
        self.auth = auth
        self.error = error
        self.fault = fault
    }

    /// `handshake.greeting`.
    public struct Greeting: Sendable, Hashable {
        public var serverVersion: String?
        public var connectionID: UInt32?
        public var capabilities: UInt32?
        public var statusFlags: UInt16?
        public var characterSet: UInt8?
        public var authMethod: String?
        public var nonce: [UInt8]?
        /// Delay before the greeting.
        public var execTime: Duration?

        public init() {}
    }

    /// `handshake.auth`.
    public struct Auth: Sendable, Hashable {
        /// Required user name; `nil` accepts any.
        public var username: String?
        /// Required password; `nil` accepts any credentials.
        public var password: String?
        /// Auth plugin the client is switched to if it used another (`method_name` /
        /// `auth_method_name`).
        public var methodName: String?
        /// caching_sha2_password: `true` takes the full-authentication path (`handshake.auth.cache`
        /// "miss"); the default is the fast path ("hit").
        public var cacheMiss: Bool
        /// `handshake.auth.certificate`: a verified client certificate is required, and its names
        /// must equal these (OpenSSL one-line form, `/C=DE/O=Org/CN=name`) when given.
        public var certificate: CertificateRequirement?
        /// `locked`: the account is locked; a login with good credentials gets ER_ACCOUNT_HAS_BEEN_LOCKED.
        public var locked = false
        /// `password_expired`: the login leads to sandbox mode (or ER_MUST_CHANGE_PASSWORD_LOGIN).
        public var passwordExpired = false
        /// `users`: the accounts the server knows, by name, each with the fields above (those it
        /// leaves out are the top level's); a user not among them is refused. `nil`: one account,
        /// the top level.
        public var users: [String: Auth]?

        /// The account `username` logs in to: a user of `users`, or the top level without them;
        /// `nil` when `users` does not name it.
        public func account(_ username: String) -> Auth? {
            guard let users else { return self }
            return users[username]
        }

        public init(username: String? = nil, password: String? = nil, methodName: String? = nil,
                    cacheMiss: Bool = false, certificate: CertificateRequirement? = nil) {
            self.username = username
            self.password = password
            self.methodName = methodName
            self.cacheMiss = cacheMiss
            self.certificate = certificate
        }
    }

    /// What a client certificate must be.
    public struct CertificateRequirement: Sendable, Hashable {
        public var subject: String?
        public var issuer: String?

        public init(subject: String? = nil, issuer: String? = nil) {
            self.subject = subject
            self.issuer = issuer
        }
    }
}
