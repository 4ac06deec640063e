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
        package var capabilities = CapabilityFlags.serverDefault
        package var characterSet: UInt8 = 255
        package var nonce: [UInt8] = Configuration.defaultNonce
        package var authMethod = AuthPlugin.nativePassword
        /// TLS can be negotiated (CLIENT_SSL is announced).
        package var tlsAvailable = false
        /// Plaintext logins are refused (ERR 3159).
        package var tlsRequired = false
        /// More open sessions than this get ERR 1040 instead of the greeting (`--max-connections`).
        package var maxConnections = Int.max
        /// The connection came in on a Unix socket, which counts as secure transport.
        package var unixSocket = false
        /// CLIENT_COMPRESS (zlib) and CLIENT_ZSTD_COMPRESSION_ALGORITHM, as offered.
        package var compression: CapabilityFlags = [.compress, .zstdCompression]
        /// Decrypts RSA-encrypted passwords (caching_sha2_password full auth, sha256_password).
        package var passwordKeys: PasswordKeyPair?
        /// After COM_QUIT: close at once (as a server does), or let the client close first.
        package var onQuit = QuitBehaviour.close
        /// Prepared statements one connection may hold open (`max_prepared_stmt_count`; past it,
        /// ERR 1461).
        package var maxPreparedStatements = 16382
        /// The accounts whose expired password a session reset (their logins are not sandboxed).
        package var passwordResets: PasswordResets?

        /// The reference's fixed scramble (made once; connections share its storage).
        package static let defaultNonce: [UInt8] = Array("01234567890123456789".utf8)

        package init(connectionID: UInt32, peerHost: String) {
            self.connectionID = connectionID
            self.peerHost = peerHost
        }
    }

    package enum State {
        case initial
        /// Greeting sent; waiting for the HandshakeResponse41 (or SSLRequest) with `expectedSequenceID`
        /// (1, or 2 after TLS was set up).
        case greetingSent(expectedSequenceID: UInt8)
        /// SSLRequest received; the TLS handshake runs.
        case tlsHandshake
        /// An authentication exchange (login or COM_CHANGE_USER) waits for the client's packet
        /// with `expectedSequenceID`.
        case authenticating(ClassicAuthenticationStateMachine, expectedSequenceID: UInt8)
        case command
        /// A file was asked for (`LOCAL INFILE`): its packets come numbered from
        /// `expectedSequenceID`, up to an empty one.
        case receivingLocalFile(expectedSequenceID: UInt8)
        /// COM_QUIT received: waiting for the client to close.
        case quitting
        case closed
    }

    /// What happens after the packets of a `write` action are sent.
    package enum After: Equatable {
        case keepOpen
        case close
        /// User or schema changed (authenticated, COM_INIT_DB, COM_CHANGE_USER): tell the responder.
        case sessionChanged
    }

    package enum Action: Equatable {
        /// Send the greeting after `delay`.
        case sendGreeting(HandshakeV10, delay: Duration)
        /// Send packets (numbered from `sequenceID`), then do `after`.
        case write([OutboundPacket], sequenceID: UInt8, after: After)
        /// Ask the responder for the answer to `request` (a query, or an execution of a prepared
        /// statement: its result sets in the binary protocol); the response starts at `sequenceID`.
        case answer(StatementRequest, sequenceID: UInt8)
        /// A query of several statements (`CLIENT_MULTI_STATEMENTS`): answer each in turn, every
        /// result but the last with "more results"; an error ends the batch. `then` is the error
        /// the statement after the last one gets (an empty statement: ER_EMPTY_QUERY).
        case answerBatch([StatementRequest], then: ErrorResponse?, sequenceID: UInt8)
        /// Ask the responder what preparing `statement` gives, then call `statementPrepared`.
        case prepare(String, sequenceID: UInt8)
        /// Execute with a read-only cursor: ask the responder, then call `cursorOpened` with its
        /// result (rows are sent by COM_STMT_FETCH).
        case answerWithCursor(StatementRequest, sequenceID: UInt8)
        case close
        /// COM_QUIT: let the client close first (so the TIME_WAIT state stays on its side), closing
        /// ourselves only if it does not.
        case awaitClientClose
        /// An SSLRequest arrived: start the TLS handshake (bytes already received belong to it).
        case startTLS
        /// A packet of the file asked for (`localFileRequested`).
        case localFileData(ByteBuffer)
        /// The file's end (an empty packet): send the statement's answer from `sequenceID`.
        case localFileEnded(sequenceID: UInt8)
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
        case prepareOK(StmtPrepareOK)
        case columnDefinition(Column)
        /// End of a group of column definitions: EOF, or nothing with CLIENT_DEPRECATE_EOF.
        case endOfMetadata
        /// A column count (the first packet of a result set's metadata).
        case columnCount(Int)
        /// A binary result row of `columns`.
        case binaryRow([Column], [Cell?])
        /// EOF (whatever CLIENT_DEPRECATE_EOF says: a cursor's metadata ends with one).
        case eofAlways(EOFPacket)
        /// `LOCAL INFILE` request: `0xFB` and the file name (`string<EOF>`).
        case localInfileRequest(String)
    }

    /// A prepared statement of this connection (kept small: a connection may hold thousands).
    package struct PreparedStatement {
        package var text: String
        package var parameterCount: Int
        /// Types bound by the last execution (executions may leave them out).
        package var types: [ParameterType]?
    }

    /// An open read-only cursor: the result's columns and the rows not fetched yet.
    package struct Cursor {
        var columns: [Column]
        var rows: ArraySlice<[Cell?]>
        var status: UInt16
    }

    package private(set) var state: State = .initial
    private(set) var configuration: Configuration
    /// Why the last login or COM_CHANGE_USER was refused (which check failed; never the password),
    /// for the `--verbose` log.
    package private(set) var refusal: String?
    /// Capabilities both sides have (set by the handshake response).
    package private(set) var capabilities: CapabilityFlags = [.protocol41]
    /// The zstd level the client asked for at login (CLIENT_ZSTD_COMPRESSION_ALGORITHM).
    package private(set) var zstdCompressionLevel: UInt8?

    /// The compression the client and the server agreed on, once logged in: zstd when both
    /// offered it, else zlib, else none.
    package var compression: CompressionAlgorithm? {
        if capabilities.contains(.zstdCompression) { return .zstd }
        if capabilities.contains(.compress) { return .zlib }
        return nil
    }
    /// Logged in (the command phase).
    package var isAuthenticated: Bool {
        if case .command = state { return true }
        return false
    }

    /// A query may hold several statements: `CLIENT_MULTI_STATEMENTS` at login, switched by
    /// `COM_SET_OPTION`.
    package private(set) var multiStatements = false
    private(set) var greeting: HandshakeV10?
    private(set) var user: String?
    private(set) var schema: String?
    /// Logged in with an expired password: only what resets it, and SET, is answered
    /// (`ExpiredPasswordSandbox`).
    package private(set) var sandboxed = false
    /// The greeting says MariaDB (its error codes and wording where MySQL's differ).
    var mariaDB: Bool { (greeting?.serverVersion ?? configuration.serverVersion).contains("MariaDB") }
    /// TLS is up.
    private(set) var tlsEstablished = false
    /// Open prepared statements by id.
    package private(set) var statements: [UInt32: PreparedStatement] = [:]
    /// Parameters sent with COM_STMT_SEND_LONG_DATA since a statement's last execution.
    package private(set) var longData: [UInt32: [Int: [UInt8]]] = [:]
    /// Open cursors by statement id.
    package private(set) var cursors: [UInt32: Cursor] = [:]
    private var nextStatementID: UInt32 = 1
    /// The client's certificate names after TLS (verified against the CA by the TLS layer).
    private(set) var peerCertificate: PeerCertificate?

    /// TLS or a Unix socket: passwords may travel in clear.
    var secureTransport: Bool { tlsEstablished || configuration.unixSocket }

    package init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The nonce of this connection's greeting (also used for every auth switch).
    var nonce: [UInt8] { greeting?.nonce ?? configuration.nonce }

    // MARK: Events

    /// The connection is up and `openSessions` sessions are open (this one included).
    /// `greetingScript` gives the trace's handshake for the greeting phase; it is not called for a
    /// connection refused with ERR 1040.
    package mutating func connectionStarted(openSessions: Int, greetingScript: () -> HandshakeScript) -> Action {
        guard case .initial = state else { return .none }
        guard openSessions <= configuration.maxConnections else {
            state = .closed
            return .write([.err(ERRPacket(code: ErrorCode.tooManyConnections, sqlState: "08004",
                                          message: "Too many connections"))],
                          sequenceID: 0, after: .close)
        }
        let script = greetingScript()
        if let error = script.error {
            state = .closed
            return .write([.err(ERRPacket(error))], sequenceID: 0, after: .close)
        }
        let g = script.greeting
        var caps = CapabilityFlags(rawValue: g.capabilities ?? configuration.capabilities.rawValue)
        if configuration.tlsAvailable { caps.insert(.ssl) } else { caps.remove(.ssl) }
        // Compression is the server's to offer (--protocol-compression-algorithms), whatever a trace says.
        caps.remove([.compress, .zstdCompression])
        caps.formUnion(configuration.compression)
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
        case .initial, .closed, .quitting, .tlsHandshake:
            return .none
        case .receivingLocalFile(let expected):
            guard packet.sequenceID == expected else { return outOfOrder(packet.sequenceID, expected: expected) }
            guard payload.readableBytes > 0 else {
                state = .command
                return .localFileEnded(sequenceID: reply)
            }
            state = .receivingLocalFile(expectedSequenceID: reply)
            return .localFileData(payload)
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
        case .authenticating(var auth, let expected):
            guard packet.sequenceID == expected else { return outOfOrder(packet.sequenceID, expected: expected) }
            return authenticationStepped(auth.dataReceived(Array(buffer: payload)), auth, sequenceID: reply)
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

    /// `--connect-timeout` passed: a connection still in its handshake is closed (as the server
    /// does at `connect_timeout`, without a packet).
    package mutating func connectTimeoutExpired() -> Action {
        switch state {
        case .initial, .greetingSent, .tlsHandshake, .authenticating:
            state = .closed
            return .close
        case .command, .receivingLocalFile, .quitting, .closed:
            return .none
        }
    }

    /// A query's answer asks the client for `filename` first (`LOAD DATA LOCAL INFILE`): the
    /// request goes out at `sequenceID`, and the file's packets are read (`localFileData`) up to
    /// an empty one (`localFileEnded`), after which the answer is sent. A client that did not say
    /// `CLIENT_LOCAL_FILES` gets the error a server gives then, as MariaDB (4166) or MySQL (3948)
    /// words it, after the greeting's version (then the state stays `command`).
    package mutating func localFileRequested(_ filename: String, sequenceID: UInt8) -> Action {
        guard case .command = state else { return .none }
        guard capabilities.contains(.localFiles) else {
            let err = mariaDB
                ? ERRPacket(code: 4166, sqlState: "HY000", message: "The used command is not allowed because the "
                            + "MariaDB server or client has disabled the local infile capability")
                : ERRPacket(code: 3948, sqlState: "42000",
                            message: "Loading local data is disabled; this must be enabled on both the client and server sides")
            return .write([.err(err)], sequenceID: sequenceID, after: .keepOpen)
        }
        state = .receivingLocalFile(expectedSequenceID: sequenceID &+ 1)
        return .write([.localInfileRequest(filename)], sequenceID: sequenceID, after: .keepOpen)
    }

    /// Waiting for the file a `localFileRequested` asked for.
    package var isReceivingLocalFile: Bool {
        if case .receivingLocalFile = state { return true }
        return false
    }

    /// `--wait-timeout` passed without a command: ERR 4031 (which clients since 8.0.24 show
    /// instead of "server has gone away"), then close. Only authenticated sessions idle out.
    package mutating func idleTimeoutExpired() -> Action {
        guard case .command = state else { return .none }
        state = .closed
        return .write([.err(ERRPacket(code: ErrorCode.clientInteractionTimeout, sqlState: "HY000",
                                      message: "The client was disconnected by the server because of inactivity."))],
                      sequenceID: 0, after: .close)
    }

    /// A second after COM_QUIT the client has not closed: close from this side.
    package mutating func quitGraceExpired() -> Action {
        guard case .quitting = state else { return .none }
        state = .closed
        return .close
    }

    // MARK: Handshake

    private mutating func handshakeResponseReceived(_ response: HandshakeResponse41, sequenceID: UInt8,
                                                    authScript: () -> HandshakeScript) -> Action
    {
        capabilities = response.capabilities.intersection(greeting?.capabilities ?? configuration.capabilities)
        capabilities.insert(.protocol41)
        zstdCompressionLevel = response.zstdCompressionLevel
        multiStatements = capabilities.contains(.multiStatements)
        let clientPlugin = response.capabilities.contains(.pluginAuth)
            ? (response.authPluginName ?? AuthPlugin.nativePassword) : AuthPlugin.nativePassword
        let claim = ClassicAuthenticationStateMachine.Claim(username: response.username, schema: response.database,
                                                            script: authScript(), changeUser: false)
        return startAuthentication(claim, response: response.authResponse, clientPlugin: clientPlugin,
                                   sequenceID: sequenceID)
    }

    /// Hands the exchange to a `ClassicAuthenticationStateMachine` for `claim`.
    private mutating func startAuthentication(_ claim: ClassicAuthenticationStateMachine.Claim, response: [UInt8],
                                              clientPlugin: String, sequenceID: UInt8) -> Action {
        let context = ClassicAuthenticationStateMachine.Context(
            peerHost: configuration.peerHost, nonce: nonce,
            announcedPlugin: greeting?.authPluginName ?? configuration.authMethod,
            clientCanSwitch: capabilities.contains(.pluginAuth), secureTransport: secureTransport,
            peerCertificate: peerCertificate, statusFlags: greeting?.statusFlags ?? [],
            passwordKeys: configuration.passwordKeys, mariaDB: mariaDB,
            clientCanHandleExpiredPasswords: capabilities.contains(.canHandleExpiredPasswords),
            passwordWasReset: configuration.passwordResets?.contains(claim.username) ?? false)
        var auth = ClassicAuthenticationStateMachine(context: context, claim: claim, clientPlugin: clientPlugin)
        return authenticationStepped(auth.started(response: response), auth, sequenceID: sequenceID)
    }

    /// Carries out one step of the authentication sub-machine.
    private mutating func authenticationStepped(_ action: ClassicAuthenticationStateMachine.Action,
                                                _ auth: ClassicAuthenticationStateMachine,
                                                sequenceID: UInt8) -> Action {
        switch action {
        case .continue(let packet):
            state = .authenticating(auth, expectedSequenceID: sequenceID &+ 1)
            return .write([packet], sequenceID: sequenceID, after: .keepOpen)
        case .succeeded(let packets):
            user = auth.claim.username
            sandboxed = auth.sandboxed
            if let schema = auth.claim.schema, !schema.isEmpty { self.schema = schema }
            state = .command
            return .write(packets, sequenceID: sequenceID, after: .sessionChanged)
        case .failed(let err, let reason):
            refusal = reason
            return fail(err, sequenceID: sequenceID)
        }
    }

    // MARK: Commands

    private mutating func commandReceived(_ command: ClientCommand, sequenceID: UInt8,
                                          authScript: () -> HandshakeScript) -> Action {
        if sandboxed, let action = sandboxed(command, sequenceID: sequenceID) { return action }
        switch command {
        case .query(let text, let attributes):
            return queryReceived(text, attributes: attributes.map(AttributeValue.init), sequenceID: sequenceID)
        case .stmtPrepare(let text):
            guard statements.count < configuration.maxPreparedStatements else {
                return .write([.err(ERRPacket(.tooManyPreparedStatements(limit: configuration.maxPreparedStatements)))],
                              sequenceID: sequenceID, after: .keepOpen)
            }
            return .prepare(text, sequenceID: sequenceID)
        case .stmtExecute(let body):
            return executeReceived(body, sequenceID: sequenceID)
        case .stmtSendLongData(let id, let parameter, let data):
            // No reply, ever: a bad id or parameter is reported by the execution.
            if statements[id] != nil, Int(parameter) < statements[id]?.parameterCount ?? 0 {
                longData[id, default: [:]][Int(parameter), default: []] += Array(buffer: data)
            }
            return .none
        case .stmtClose(let id):
            statements[id] = nil
            longData[id] = nil
            cursors[id] = nil
            return .none
        case .stmtReset(let id):
            guard statements[id] != nil else { return unknownStatement(id, "mysqld_stmt_reset", sequenceID: sequenceID) }
            longData[id] = nil
            cursors[id] = nil
            return .write([.ok(OKPacket(status: greeting?.statusFlags ?? []))], sequenceID: sequenceID, after: .keepOpen)
        case .stmtFetch(let id, let count):
            return fetchReceived(id, rows: Int(count), sequenceID: sequenceID)
        case .resetConnection:
            statements = [:]
            longData = [:]
            cursors = [:]
            return .write([.ok(OKPacket(status: greeting?.statusFlags ?? []))], sequenceID: sequenceID, after: .keepOpen)
        case .ping:
            return .write([.ok(OKPacket(status: greeting?.statusFlags ?? []))], sequenceID: sequenceID, after: .keepOpen)
        case .quit:
            switch configuration.onQuit {
            case .close:
                state = .closed
                return .close
            case .waitForClient:
                state = .quitting
                return .awaitClientClose
            }
        case .initDB(let name):
            schema = name
            return .write([.ok(OKPacket(status: greeting?.statusFlags ?? []))], sequenceID: sequenceID, after: .sessionChanged)
        case .setOption(let option):
            // MYSQL_OPTION_MULTI_STATEMENTS_ON (0) / _OFF (1); the server answers with an EOF.
            guard option <= 1 else {
                return .write([.err(ERRPacket(code: ErrorCode.unknownCommand, sqlState: "08S01",
                                              message: "Unknown command"))], sequenceID: sequenceID, after: .keepOpen)
            }
            multiStatements = option == 0
            return .write([.eof(EOFPacket())], sequenceID: sequenceID, after: .keepOpen)
        case .statistics:
            return .write([.text("Uptime: 1  Threads: 1  Questions: 0  Slow queries: 0  Opens: 0  "
                                 + "Flush tables: 1  Open tables: 0  Queries per second avg: 0.000")],
                          sequenceID: sequenceID, after: .keepOpen)
        case .changeUser(let change):
            let plugin = change.authPluginName ?? AuthPlugin.nativePassword
            let claim = ClassicAuthenticationStateMachine.Claim(username: change.username, schema: change.schema,
                                                                script: authScript(), changeUser: true)
            return startAuthentication(claim, response: change.authResponse, clientPlugin: plugin, sequenceID: sequenceID)
        case .unsupported(let byte):
            return .write([.err(ERRPacket(code: ErrorCode.unknownCommand, sqlState: "08S01",
                                          message: "Unknown command (0x\(String(byte, radix: 16)))"))],
                          sequenceID: sequenceID, after: .keepOpen)
        }
    }

    // MARK: Sandbox mode

    /// In sandbox mode: a password reset is answered OK and lifts it (for later logins too); other
    /// SET statements, and commands that run no statement, go on as usual (`nil`); the rest get
    /// ER_MUST_CHANGE_PASSWORD.
    private mutating func sandboxed(_ command: ClientCommand, sequenceID: UInt8) -> Action? {
        let refused = Action.write([.err(ExpiredPasswordSandbox.mustChangePassword(mariaDB: mariaDB))],
                                   sequenceID: sequenceID, after: .keepOpen)
        switch command {
        case .query(let text, _), .stmtPrepare(let text):
            switch ExpiredPasswordSandbox.classify(text, mariaDB: mariaDB) {
            case .set: return nil
            case .refused: return refused
            case .passwordReset:
                guard case .query = command else { return refused }
                sandboxed = false
                if let user { configuration.passwordResets?.insert(user) }
                return .write([.ok(OKPacket(status: greeting?.statusFlags ?? []))], sequenceID: sequenceID, after: .keepOpen)
            }
        case .initDB:
            return refused
        default:
            return nil
        }
    }

    // MARK: Queries

    /// A `COM_QUERY`: one statement, or several cut at the semicolons that are code. Without
    /// multi-statements a second statement is the server's syntax error, pointing at it.
    private func queryReceived(_ text: String, attributes: [AttributeValue], sequenceID: UInt8) -> Action {
        // Most queries hold no semicolon at all: no lexing, no allocation.
        let pieces = text.containsUTF8Byte(UInt8(ascii: ";")) ? StatementSplitter.split(text) : []
        guard pieces.count > 1 else {
            return .answer(StatementRequest(text: text, attributes: attributes), sequenceID: sequenceID)
        }
        guard multiStatements else {
            return .write([.err(Self.syntaxError(at: StatementSplitter.secondStatement(text), in: text))],
                          sequenceID: sequenceID, after: .keepOpen)
        }
        var requests: [StatementRequest] = []
        for piece in pieces {
            guard case .statement(let statement) = piece else {
                return .answerBatch(requests, then: .emptyQuery, sequenceID: sequenceID)
            }
            requests.append(StatementRequest(text: statement, attributes: attributes))
        }
        return .answerBatch(requests, then: nil, sequenceID: sequenceID)
    }

    /// `ER_PARSE_ERROR` as the server words it, near the text from `index` on (80 bytes at most)
    /// and at its line.
    static func syntaxError(at index: String.Index, in text: String) -> ERRPacket {
        let near = String(decoding: text[index...].utf8.prefix(80), as: UTF8.self)
        let line = 1 + text[..<index].utf8.count { $0 == UInt8(ascii: "\n") }
        return ERRPacket(code: ErrorCode.parseError, sqlState: "42000",
                         message: "You have an error in your SQL syntax; check the manual that corresponds to your "
                             + "MySQL server version for the right syntax to use near '\(near)' at line \(line)")
    }

    // MARK: Prepared statements

    /// The trace said what preparing `text` gives: PREPARE_OK with the parameter and column
    /// definitions (each group ended by an EOF unless CLIENT_DEPRECATE_EOF), or its error.
    package mutating func statementPrepared(_ text: String, _ answer: PrepareAnswer, sequenceID: UInt8) -> Action {
        let columns: [Column]
        switch answer {
        case .error(let error):
            return .write([.err(ERRPacket(error))], sequenceID: sequenceID, after: .keepOpen)
        case .columns(let given): columns = given
        case .unknown: columns = []
        }
        let parameters = PlaceholderScanner.count(text)
        guard parameters <= Int(UInt16.max), columns.count <= Int(UInt16.max) else {
            return .write([.err(ERRPacket(code: ErrorCode.tooManyPlaceholders, sqlState: "HY000",
                                          message: "Prepared statement contains too many placeholders"))],
                          sequenceID: sequenceID, after: .keepOpen)
        }
        let id = nextStatementID
        nextStatementID = nextStatementID == UInt32.max ? 1 : nextStatementID + 1
        statements[id] = PreparedStatement(text: text, parameterCount: parameters)
        var packets: [OutboundPacket] = [.prepareOK(StmtPrepareOK(statementID: id, columnCount: UInt16(columns.count),
                                                                  parameterCount: UInt16(parameters)))]
        if parameters > 0 {
            packets += Array(repeating: .columnDefinition(Column.parameter), count: parameters)
            packets.append(.endOfMetadata)
        }
        if !columns.isEmpty {
            packets += columns.map(OutboundPacket.columnDefinition)
            packets.append(.endOfMetadata)
        }
        return .write(packets, sequenceID: sequenceID, after: .keepOpen)
    }

    private mutating func executeReceived(_ body: ByteBuffer, sequenceID: UInt8) -> Action {
        let header: (statementID: UInt32, flags: UInt8)
        do {
            header = try StmtExecute.header(body)
        } catch {
            return malformed(error)
        }
        guard let statement = statements[header.statementID] else {
            return unknownStatement(header.statementID, "mysqld_stmt_execute", sequenceID: sequenceID)
        }
        let execute: StmtExecute
        do {
            execute = try StmtExecute(from: body, parameterCount: statement.parameterCount,
                                      previousTypes: statement.types, longData: longData[header.statementID] ?? [:],
                                      queryAttributes: capabilities.contains(.queryAttributes))
        } catch {
            return malformed(error)
        }
        statements[header.statementID]?.types = Array(execute.types.prefix(statement.parameterCount))
        longData[header.statementID] = nil
        cursors[header.statementID] = nil
        let request = StatementRequest(text: statement.text, kind: .execute, statementID: header.statementID,
                                       parameters: execute.parameters.map(ParameterValue.init),
                                       attributes: execute.attributes.map(AttributeValue.init))
        return header.flags & 0x07 != 0 ? .answerWithCursor(request, sequenceID: sequenceID)
            : .answer(request, sequenceID: sequenceID)
    }

    /// The execution behind a cursor was answered with `result`: it opens the cursor (its metadata
    /// and an EOF with SERVER_STATUS_CURSOR_EXISTS; rows come with COM_STMT_FETCH). Any other
    /// answer is sent by the caller as without a cursor.
    package mutating func cursorOpened(statementID: UInt32, result: ResultSet, sequenceID: UInt8) -> Action {
        guard statements[statementID] != nil else { return .none }
        let status = result.end.status | ServerStatus.cursorExists.rawValue
        cursors[statementID] = Cursor(columns: result.columns, rows: result.rows[...], status: result.end.status)
        var packets: [OutboundPacket] = [.columnCount(result.columns.count)]
        packets += result.columns.map(OutboundPacket.columnDefinition)
        packets.append(.eofAlways(EOFPacket(warnings: result.end.warningCount, status: ServerStatus(rawValue: status))))
        return .write(packets, sequenceID: sequenceID, after: .keepOpen)
    }

    private mutating func fetchReceived(_ id: UInt32, rows count: Int, sequenceID: UInt8) -> Action {
        guard statements[id] != nil else { return unknownStatement(id, "mysqld_stmt_fetch", sequenceID: sequenceID) }
        guard let cursor = cursors[id] else {
            return .write([.err(ERRPacket(code: ErrorCode.cursorNotOpen, sqlState: "24000",
                                          message: "The statement (\(id)) has no open cursor."))],
                          sequenceID: sequenceID, after: .keepOpen)
        }
        let batch = cursor.rows.prefix(max(count, 1))
        let rest = cursor.rows.dropFirst(batch.count)
        var packets = batch.map { OutboundPacket.binaryRow(cursor.columns, $0) }
        var status = ServerStatus(rawValue: cursor.status).union(.cursorExists)
        if rest.isEmpty {
            status.insert(.lastRowSent)
            cursors[id] = nil
        } else {
            cursors[id]?.rows = rest
        }
        packets.append(.eof(EOFPacket(status: status)))
        return .write(packets, sequenceID: sequenceID, after: .keepOpen)
    }

    private func unknownStatement(_ id: UInt32, _ command: String, sequenceID: UInt8) -> Action {
        .write([.err(ERRPacket(code: ErrorCode.unknownStatementHandler, sqlState: "HY000",
                               message: "Unknown prepared statement handler (\(id)) given to \(command)"))],
               sequenceID: sequenceID, after: .keepOpen)
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
        case .greetingSent(let expected), .authenticating(_, let expected): seq = sequenceID ?? expected &+ 1
        case .receivingLocalFile(let expected): seq = sequenceID ?? expected
        case .initial, .tlsHandshake, .command, .quitting, .closed: seq = sequenceID ?? 1
        }
        state = .closed
        return .write([.err(err)], sequenceID: seq, after: .close)
    }
}

extension ERRPacket {
    /// A trace's error as the server sends it (the message cut at 511 bytes, as a server does).
    init(_ error: ErrorResponse) {
        self.init(code: error.code, sqlState: error.sqlState, message: ERRPacket.serverMessage(error.message))
    }
}
