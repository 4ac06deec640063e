import FoundationEssentials
import MockModel
import MySQLWire
import MySQLXWire

/// The X protocol's connection life cycle as a pure state machine (reference spec §6): the hello
/// notice, capability negotiation, optional TLS, authentication (an `XAuthenticationStateMachine`),
/// then statements; timeouts are events too. No I/O, clocks or channels here; the
/// `XConnectionHandler` runs the actions.
package struct XConnectionStateMachine {
    package struct Configuration {
        package var connectionID: UInt32
        package var peerHost: String
        package var tlsAvailable = false
        /// `--ssl-mode REQUIRED`: authentication needs TLS or a Unix socket (ER_SECURE_TRANSPORT_REQUIRED).
        package var tlsRequired = false
        /// `compression` (deflate_stream) is offered.
        package var compressionAvailable = true
        package var unixSocket = false
        package var nonce: [UInt8] = Array("01234567890123456789".utf8)
        /// More open sessions than this get ER_CON_COUNT_ERROR instead of the hello notice.
        package var maxConnections = Int.max
        /// `max_prepared_stmt_count`: one more `Prepare` gets ER_MAX_PREPARED_STMT_COUNT_REACHED.
        package var maxPreparedStatements = 16382

        package init(connectionID: UInt32, peerHost: String, tlsAvailable: Bool = false, unixSocket: Bool = false) {
            self.connectionID = connectionID
            self.peerHost = peerHost
            self.tlsAvailable = tlsAvailable
            self.unixSocket = unixSocket
        }
    }

    package enum State: Equatable {
        /// Accepted; nothing sent yet.
        case initial
        /// Hello notice sent: capabilities and authentication.
        case handshake
        case authenticating(XAuthenticationStateMachine)
        case tlsHandshake
        case command
        case closed
    }

    /// A server message the handler encodes.
    package enum Outbound: Equatable {
        case ok
        case error(code: UInt16, sqlState: String, message: String, fatal: Bool)
        case capabilities(tls: Bool, mechanisms: [String], compression: [String] = [])
        case authenticateContinue([UInt8])
        /// The CLIENT_ID_ASSIGNED notice, then AuthenticateOk.
        case authenticateOk(clientID: UInt32)
        /// A Mysqlx.Notice.Frame (the server hello, the idle warning).
        case notice(NoticeSpec)
    }

    package enum After: Equatable {
        case keepOpen
        case close
        case startTLS
        /// X compression (`deflate_stream`, `zstd_stream`) from the next message on.
        case startCompression(String)
        /// Authenticated as this user: tell the responder and registry.
        case authenticated(user: String, schema: String?)
    }

    package enum Action: Equatable {
        case send([Outbound], after: After)
        /// Answer a statement from the trace (`StmtExecute`, `Prepare.Execute`).
        case execute(StatementRequest)
        /// Ask the trace what preparing `text` gives, then call `statementPrepared`.
        case prepare(id: UInt32, text: String, bound: [ParameterValue])
        case none
    }

    /// A statement prepared with `Mysqlx.Prepare.Prepare`.
    package struct PreparedStatement: Equatable {
        /// Its SQL, with the `?` markers.
        package var text: String
        /// The values of the first markers, given in the `Prepare` message's own `StmtExecute`.
        package var bound: [ParameterValue]
        /// How many markers each `Execute` must give arguments for.
        package var placeholders: Int
    }

    /// The notice a server sends when a connection is accepted (`Mysqlx.Notice.Frame` type 5).
    package static let hello = NoticeSpec(sendOffset: .zero, scope: .global, kind: .serverHello)

    package private(set) var state: State = .initial
    let configuration: Configuration
    /// Why the last authentication was refused (which check failed), for the `--verbose` log.
    package private(set) var refusal: String?
    private(set) var tlsEstablished = false
    /// Compression was negotiated.
    private(set) var compressing = false
    /// The session's prepared statements by the client's id; `Session.Reset` drops them.
    package private(set) var statements: [UInt32: PreparedStatement] = [:]

    package init(configuration: Configuration) {
        self.configuration = configuration
    }

    var secureTransport: Bool { tlsEstablished || configuration.unixSocket }

    // MARK: Events

    /// The connection is up and `openSessions` sessions are open (this one included): the hello
    /// notice, or ER_CON_COUNT_ERROR and close.
    package mutating func connectionStarted(openSessions: Int) -> Action {
        guard state == .initial else { return .none }
        guard openSessions <= configuration.maxConnections else {
            state = .closed
            return .send([.error(code: ErrorCode.tooManyConnections, sqlState: "08004", message: "Too many connections",
                                 fatal: true)], after: .close)
        }
        state = .handshake
        return .send([.notice(Self.hello)], after: .keepOpen)
    }

    package mutating func tlsHandshakeCompleted() {
        guard case .tlsHandshake = state else { return }
        tlsEstablished = true
        state = .handshake
    }

    /// A message arrived; `authScript` gives the trace's handshake (for credentials).
    package mutating func messageReceived(_ message: XClientMessage, authScript: () -> HandshakeScript) -> Action {
        switch (state, message) {
        case (.closed, _), (.tlsHandshake, _), (.initial, _):
            return .none
        case (_, .connectionClose):
            state = .closed
            return .send([.ok], after: .close)
        case (.handshake, .capabilitiesGet):
            let mechanisms = secureTransport ? ["MYSQL41", "SHA256_MEMORY", "PLAIN"] : ["MYSQL41", "SHA256_MEMORY"]
            return .send([.capabilities(tls: configuration.tlsAvailable && !tlsEstablished, mechanisms: mechanisms,
                                        compression: configuration.compressionAvailable ? XCompressionHandler.algorithms : [])],
                         after: .keepOpen)
        case (.handshake, .capabilitiesSet(let set)):
            return capabilitiesSet(set)
        case (.handshake, .authenticateStart(let start)):
            var auth = XAuthenticationStateMachine(nonce: configuration.nonce, peerHost: configuration.peerHost,
                                                   secureTransport: secureTransport,
                                                   tlsRequired: configuration.tlsRequired, script: authScript())
            return authenticationStepped(auth.started(start), auth)
        case (.authenticating(var auth), .authenticateContinue(let answer)):
            return authenticationStepped(auth.continued(Array(answer.authData)), auth)
        case (.command, .stmtExecute(let execute)):
            return stmtExecute(execute)
        case (.command, .prepare(let prepare)):
            return self.prepare(prepare)
        case (.command, .prepareExecute(let execute)):
            return preparedExecute(execute)
        case (.command, .prepareDeallocate(let deallocate)):
            guard statements.removeValue(forKey: deallocate.stmtID) != nil else {
                return badStatement(deallocate.stmtID)
            }
            return .send([.ok], after: .keepOpen)
        case (.command, .sessionReset):
            statements = [:]
            return .send([.ok], after: .keepOpen)
        case (.command, .expectOpen), (.command, .expectClose):
            return .send([.ok], after: .keepOpen)
        case (.command, .sessionClose):
            return .send([.ok], after: .keepOpen)
        case (_, .unsupported(let type)):
            return .send([.error(code: ErrorCode.xBadMessage, sqlState: "HY000", message: "Unsupported message type \(type)",
                                 fatal: false)],
                         after: state == .command ? .keepOpen : .close)
        default:
            return fatal("Unexpected message in this state")
        }
    }

    /// The trace answered the `prepare` action: Ok and the statement is kept, or the trace's error.
    package mutating func statementPrepared(id: UInt32, text: String, bound: [ParameterValue],
                                            _ answer: PrepareAnswer) -> Action {
        if case .error(let error) = answer {
            return .send([.error(code: error.code, sqlState: error.sqlState, message: error.message, fatal: false)],
                         after: .keepOpen)
        }
        let markers = PlaceholderScanner.count(text)
        statements[id] = PreparedStatement(text: text, bound: bound, placeholders: markers - bound.count)
        return .send([.ok], after: .keepOpen)
    }

    /// The framing layer failed (a frame larger than `--max-packet-size`).
    package mutating func frameErrorReceived(_ error: MySQLXWireError) -> Action {
        fatal("\(error)")
    }

    /// A frame's payload did not decode as the message its type names.
    package mutating func undecodableMessageReceived(_ error: MySQLXWireError) -> Action {
        fatal("Bad Message: \(error)")
    }

    /// `--connect-timeout` passed: a session that has not authenticated is closed.
    package mutating func connectTimeoutExpired() -> Action {
        switch state {
        case .initial, .handshake, .authenticating, .tlsHandshake:
            state = .closed
            return .send([], after: .close)
        case .command, .closed:
            return .none
        }
    }

    /// `--wait-timeout` passed without a message: the X Plugin's global warning notice
    /// (`ER_IO_READ_ERROR`, level ERROR), then close.
    package mutating func idleTimeoutExpired() -> Action {
        guard state == .command else { return .none }
        state = .closed
        let warning = NoticeSpec(sendOffset: .zero, scope: .global,
                                 kind: .warning(level: 3, code: UInt32(ErrorCode.ioReadError),
                                                message: "IO Read error: wait_timeout exceeded"))
        return .send([.notice(warning)], after: .close)
    }

    // MARK: Steps

    private mutating func capabilitiesSet(_ set: Mysqlx_Connection_CapabilitiesSet) -> Action {
        let names = set.capabilities.capabilities.map(\.name)
        if names.contains("tls") {
            guard configuration.tlsAvailable, !tlsEstablished else {
                return .send([.error(code: ErrorCode.xCapabilitiesPrepareFailed, sqlState: "HY000",
                                     message: "Capability prepare failed for tls", fatal: false)], after: .keepOpen)
            }
            state = .tlsHandshake
            return .send([.ok], after: .startTLS)
        }
        if let compression = set.capabilities.capabilities.first(where: { $0.name == "compression" }) {
            let algorithm = compression.value.obj.fld.first { $0.key == "algorithm" }?.value.scalar.vString.value
            guard configuration.compressionAvailable, !compressing, let algorithm,
                  XCompressionHandler.algorithms.contains(String(decoding: algorithm, as: UTF8.self))
            else {
                return .send([.error(code: ErrorCode.xCompressionInvalidAlgorithm, sqlState: "HY000",
                                     message: "Invalid or unsupported value for 'compression.algorithm'", fatal: false)],
                             after: .keepOpen)
            }
            compressing = true
            return .send([.ok], after: .startCompression(String(decoding: algorithm, as: UTF8.self)))
        }
        return .send([.ok], after: .keepOpen)
    }

    /// Carries out one step of the authentication sub-machine.
    private mutating func authenticationStepped(_ action: XAuthenticationStateMachine.Action,
                                                _ auth: XAuthenticationStateMachine) -> Action {
        switch action {
        case .challenge(let nonce):
            state = .authenticating(auth)
            return .send([.authenticateContinue(nonce)], after: .keepOpen)
        case .succeeded(let user, let schema):
            state = .command
            return .send([.authenticateOk(clientID: configuration.connectionID)],
                         after: .authenticated(user: user, schema: schema))
        case .failed(let code, let sqlState, let message, let fatal):
            refusal = auth.refusal
            state = fatal ? .closed : .handshake
            return .send([.error(code: code, sqlState: sqlState, message: message, fatal: fatal)],
                         after: fatal ? .close : .keepOpen)
        }
    }

    /// `Sql.StmtExecute`: in the `sql` namespace each argument replaces one `?` marker (outside
    /// quotes and comments), as the X Plugin's statement builder does; other namespaces (admin
    /// commands) are answered by their text.
    private func stmtExecute(_ execute: Mysqlx_Sql_StmtExecute) -> Action {
        let text = String(decoding: execute.stmt, as: UTF8.self)
        guard execute.namespace == "sql", !execute.args.isEmpty else { return .execute(StatementRequest(text: text)) }
        let parameters: [ParameterValue]
        switch XArguments.parameters(execute.args) {
        case .failure: return error(ErrorCode.xInvalidProtocolData, "Invalid data, expecting scalar")
        case .success(let values): parameters = values
        }
        let markers = PlaceholderScanner.count(text)
        guard parameters.count == markers else {
            return error(ErrorCode.xCommandArgumentCount,
                         parameters.count > markers ? "Too many arguments" : "Too few arguments")
        }
        return .execute(StatementRequest(text: text, parameters: parameters))
    }

    /// `Prepare.Prepare`: SQL statements only (the mock does not implement CRUD). A statement
    /// already prepared under the same id is deallocated first, as the X Plugin does.
    private mutating func prepare(_ prepare: Mysqlx_Prepare_Prepare) -> Action {
        statements[prepare.stmtID] = nil
        let oneOf = prepare.stmt
        guard oneOf.type == .stmt, oneOf.hasStmtExecute else {
            return error(ErrorCode.xBadMessage,
                         "Prepared \(oneOf.type) (a CRUD message) is not supported by the mock: prepare SQL (type STMT)")
        }
        guard statements.count < configuration.maxPreparedStatements else {
            let error = ErrorResponse.tooManyPreparedStatements(limit: configuration.maxPreparedStatements)
            return .send([.error(code: error.code, sqlState: error.sqlState, message: error.message, fatal: false)],
                         after: .keepOpen)
        }
        let execute = oneOf.stmtExecute
        let text = String(decoding: execute.stmt, as: UTF8.self)
        let bound: [ParameterValue]
        switch XArguments.parameters(execute.args) {
        case .failure: return error(ErrorCode.xInvalidProtocolData, "Invalid data, expecting scalar")
        case .success(let values): bound = values
        }
        guard bound.count <= PlaceholderScanner.count(text) else {
            return error(ErrorCode.xCommandArgumentCount, "Too many arguments")
        }
        return .prepare(id: prepare.stmtID, text: text, bound: bound)
    }

    /// `Prepare.Execute`: the prepared statement with its bound values and this message's
    /// arguments; arguments beyond the markers are ignored, as the X Plugin does.
    private func preparedExecute(_ execute: Mysqlx_Prepare_Execute) -> Action {
        guard let statement = statements[execute.stmtID] else { return badStatement(execute.stmtID) }
        let arguments: [ParameterValue]
        switch XArguments.parameters(execute.args) {
        case .failure(let unsupported):
            return error(ErrorCode.xPreparedArgumentNotSupported,
                         "Argument at index '\(unsupported.index)' and of type '\(unsupported.typeName)' is not "
                             + "supported for binding to prepared statement")
        case .success(let values): arguments = values
        }
        guard arguments.count >= statement.placeholders else {
            return error(ErrorCode.xPreparedArgumentConsistency,
                         "There is no argument for statement placeholder at position: "
                             + "\(arguments.count + statement.bound.count)")
        }
        return .execute(StatementRequest(text: statement.text, kind: .execute, statementID: execute.stmtID,
                                         parameters: statement.bound + arguments.prefix(statement.placeholders)))
    }

    private func badStatement(_ id: UInt32) -> Action {
        error(ErrorCode.xBadStatementID, "Statement with ID=\(id) was not prepared")
    }

    /// A non-fatal error (SQLSTATE HY000); the session goes on.
    private func error(_ code: UInt16, _ message: String) -> Action {
        .send([.error(code: code, sqlState: "HY000", message: message, fatal: false)], after: .keepOpen)
    }

    /// A fatal `ER_X_BAD_MESSAGE`, then close.
    private mutating func fatal(_ message: String) -> Action {
        state = .closed
        return .send([.error(code: ErrorCode.xBadMessage, sqlState: "HY000", message: message, fatal: true)],
                     after: .close)
    }
}
