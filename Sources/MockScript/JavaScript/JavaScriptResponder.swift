import Logging
import MockModel

/// One connection's view of a JavaScript trace: the trace evaluated for it in its thread's heap.
/// Used from the thread that made it (the connection's event loop).
final class JavaScriptResponder: StatementResponder {
    let trace: JavaScriptTrace
    private var host: JavaScriptHost?
    private var id = 0
    /// Why the trace could not be loaded for this connection (sent instead of the greeting).
    private(set) var loadError: String?
    /// When `stmts` is an array: its entries, matched like a JSON trace's.
    private var statements: TraceStatements?
    private lazy var cursor = TraceCursor(globals: trace.engine.globals)

    /// The session as the script last saw it (a new heap is told it again).
    private var session: SessionInfo

    init(trace: JavaScriptTrace, session: SessionInfo) {
        self.trace = trace
        self.session = session
        connect()
    }

    /// Runs the trace for this connection in its thread's heap.
    private func connect() {
        do {
            let host = try trace.engine.host()
            self.host = host
            let (id, array) = try host.connect(sessionJSON: Self.sessionJSON(session))
            self.id = id
            if let array {
                let node = TraceNode(value: try Self.parse(array, file: trace.name), path: "stmts", file: trace.name)
                statements = try TraceStatements(node, ordered: false, defaultExecTime: .zero, strict: false)
            }
        } catch let error as DuktapeHeap.ScriptError {
            loadError = error.limit == nil ? error.message
                : "\(trace.name): \(error.message) while running the trace for a new connection"
            trace.engine.logger.warning("\(trace.name): \(loadError ?? "")")
            trace.engine.logger.debug("\(error.stack)")
        } catch {
            loadError = "\(error)"
        }
    }

    /// The heap this connection ran in was discarded after a limit (this connection's script or
    /// another one's on the same thread): the trace runs again for it in a fresh heap, so a
    /// runaway script costs the other connections their script state, never their session.
    private func reconnectIfDiscarded() {
        guard let old = host, old.heap.isDiscarded else { return }
        (host, id, statements, loadError) = (nil, 0, nil, nil)
        trace.engine.logger.warning("\(trace.name): connection \(session.connectionID): the trace runs again in a new JavaScript heap (the previous one was discarded after a limit)")
        connect()
    }

    deinit {
        if id != 0, let host, !host.heap.isDiscarded { host.disconnect(id) }
    }

    static func sessionJSON(_ session: SessionInfo) -> String {
        JSONValue.object([
            "port": .int(Int64(session.port)),
            "ssl_cipher": .string(session.tlsCipher ?? ""),
            "mysqlx_ssl_cipher": .string(session.tlsCipher ?? ""),
            "ssl_session_cache_hits": .int(Int64(session.sslSessionCacheHits)),
        ]).jsonText
    }

    /// The trace's `notices`, read when the X session is authenticated (a script returning
    /// `mysqld.global.notices` captures the global's value then).
    func notices() -> [NoticeSpec] {
        reconnectIfDiscarded()
        guard let host, id != 0, loadError == nil,
              let text = try? host.call("__mock_notices", connection: id), !text.isEmpty,
              let value = try? Self.parse(text, file: trace.name)
        else { return [] }
        do {
            return try ResponseDecoder.notices(TraceNode(value: value, path: "notices", file: trace.name))
        } catch {
            trace.engine.logger.warning("\(trace.name): \(error)")
            return []
        }
    }

    /// TLS came up (or user/schema changed): `mysqld.session` shows the new facts.
    func sessionChanged(_ session: SessionInfo) {
        self.session = session
        guard let host, id != 0 else { return }
        _ = try? host.call("__mock_session", connection: id, [Self.sessionJSON(session)])
    }

    static func parse(_ text: String, file: String) throws(TraceError) -> JSONValue {
        try JSONDocument.parse(text, file: file).restoringNonFinite()
    }

    func handshake(_ phase: HandshakePhase) -> HandshakeScript {
        reconnectIfDiscarded()
        if let loadError { return HandshakeScript(error: Self.failure(loadError)) }
        guard let host else { return HandshakeScript() }
        do {
            guard let text = try host.call("__mock_handshake", connection: id, [phase == .greeting ? "true" : "false"]),
                  !text.isEmpty
            else { return HandshakeScript() }
            return try ResponseDecoder.handshake(TraceNode(value: try Self.parse(text, file: trace.name),
                                                           path: "handshake", file: trace.name))
        } catch let error as DuktapeHeap.ScriptError {
            trace.engine.logger.debug("\(error.stack)")
            return HandshakeScript(error: Self.failure(error.message))
        } catch let error as TraceError {
            return HandshakeScript(error: Self.failure(error.path.isEmpty ? error.message : "\(error.path): \(error.message)"))
        } catch {
            return HandshakeScript(error: Self.failure("\(error)"))
        }
    }

    /// The first result of the answer.
    func respond(to statement: String) -> StatementResponse {
        answer(StatementRequest(text: statement)).results.first
            ?? .error(Self.failure("executing statement failed: no answer"))
    }

    /// The `stmts` function gets the statement (an execution's with its values written in) and,
    /// for an execution or an X `StmtExecute` with arguments, a second argument:
    /// `{kind, text, statement_id, params}` (`kind` is `execute` or `query`).
    static func executionJSON(_ request: StatementRequest) -> String? {
        guard request.kind == .execute || !request.parameters.isEmpty else { return nil }
        let params: [JSONValue] = request.parameters.map { value in
            switch value {
            case .null: .null
            case .int(let v): abs(v) <= 1 << 53 ? .int(v) : .string(String(v))
            case .uint(let v): v <= 1 << 53 ? .uint(v) : .string(String(v))
            case .double(let v): .double(v)
            case .text(let t): .string(t)
            case .bytes(let b): .object(["$hex": .string(b.hexString())])
            }
        }
        return JSONValue.object(["kind": .string(request.kind.rawValue), "text": .string(request.text),
                                 "statement_id": .uint(UInt64(request.statementID)), "params": .array(params)]).jsonText
    }

    func answer(_ request: StatementRequest) -> StatementAnswer {
        reconnectIfDiscarded()
        let statement = request.interpolated
        if let loadError { return .one(.error(Self.failure("executing statement failed: \(loadError)"))) }
        if let statements { return cursor.answer(request, in: statements, fallback: nil) }
        guard let host else { return .one(.error(Self.failure("executing statement failed: no JavaScript heap"))) }
        do {
            let arguments = [statement] + (Self.executionJSON(request).map { [$0] } ?? [])
            guard let text = try host.call("__mock_respond", connection: id, arguments) else {
                return .one(.error(Self.failure("executing statement failed: expected 'error', 'ok' or 'result'")))
            }
            if let known = host.decodedResponses[text] { return .of(known) }
            let value = try Self.parse(text, file: trace.name)
            var response = try ResponseDecoder.answer(TraceNode(value: value, path: "", file: trace.name),
                                                      answeredBy: "stmts")
            if text.utf8.count <= JavaScriptHost.decodedResponseBytes {
                // The same text always decodes to the same response: its wire bytes can be kept too.
                if response.count == 1 { response[0].cacheKey = newCacheKey() }
                if host.decodedResponses.count >= JavaScriptHost.decodedResponseCount {
                    host.decodedResponses.removeAll(keepingCapacity: true)
                }
                host.decodedResponses[text] = response
            }
            return .of(response)
        } catch let error as DuktapeHeap.ScriptError {
            if let limit = error.limit {
                let message = "executing statement failed: \(trace.name): \(error.message) answering \(TraceCursor.quoted(statement))"
                trace.engine.logger.warning("connection \(session.connectionID): \(message); the thread's JavaScript heap was discarded")
                // ER_QUERY_TIMEOUT is what a server sends for a statement stopped by max_execution_time.
                return .one(.error(limit == .time ? ErrorResponse(code: 3024, sqlState: "HY000", message: message)
                                                  : Self.failure(message)))
            }
            trace.engine.logger.debug("executing \"\(statement)\" failed: \(error.stack)")
            return .one(.error(Self.failure("executing statement failed: \(error.message)")))
        } catch let error as TraceError {
            let at = error.path.isEmpty ? "" : "\(error.path): "
            return .one(.error(Self.failure("executing statement failed: \(at)\(error.message)")))
        } catch {
            return .one(.error(Self.failure("executing statement failed: \(error)")))
        }
    }

    static func failure(_ message: String) -> ErrorResponse {
        ErrorResponse(code: 1064, sqlState: "HY000", message: message)
    }
}

extension JSONValue {
    /// Undoes the bootstrap's encoding of `Infinity`, `-Infinity` and `NaN`, which JSON cannot carry.
    func restoringNonFinite() -> JSONValue {
        switch self {
        case .string(let s) where s.hasPrefix("\u{0}number:"):
            switch s.dropFirst(8) {
            case "Infinity": return .double(.infinity)
            case "-Infinity": return .double(-.infinity)
            default: return .double(.nan)
            }
        case .array(let items): return .array(items.map { $0.restoringNonFinite() })
        case .object(let members): return .object(members.mapValues { $0.restoringNonFinite() })
        default: return self
        }
    }
}
