import Logging
import MockModel

/// One connection's view of a JavaScript trace: its own heap with the trace evaluated in it.
final class JavaScriptResponder: StatementResponder {
    let trace: JavaScriptTrace
    let host: JavaScriptHost
    /// Why the trace could not be loaded for this connection (sent instead of the greeting).
    private(set) var loadError: String?
    /// When `stmts` is an array: its entries, matched like a JSON trace's.
    private var statements: TraceStatements?
    private var cursor = TraceCursor()
    /// Recently decoded responses by their JSON text: traces mostly return the same few objects,
    /// and decoding is most of a statement's cost.
    private var recent: [String: StatementResponse] = [:]

    init(trace: JavaScriptTrace, session: SessionInfo) {
        self.trace = trace
        host = JavaScriptHost(globals: trace.globals, traceFile: trace.name,
                              sessionJSON: Self.sessionJSON(session), modulePaths: trace.modulePaths)
        do {
            try load()
        } catch {
            loadError = error.message
            trace.logger.warning("\(trace.name): \(error.message)")
            trace.logger.debug("\(error.stack)")
        }
    }

    static func sessionJSON(_ session: SessionInfo) -> String {
        JSONValue.object([
            "port": .int(Int64(session.port)),
            "ssl_cipher": .string(""),
            "mysqlx_ssl_cipher": .string(""),
            "ssl_session_cache_hits": .int(0),
        ]).jsonText
    }

    private func load() throws(DuktapeHeap.ScriptError) {
        let heap = host.heap
        try heap.load(try JavaScriptTrace.bootstrap.get())
        try heap.call(arguments: 0)
        heap.pop()
        let base = heap.top
        defer { heap.setTop(base) }
        heap.pushGlobal("__mock_install")
        try heap.load(try trace.compiled.get())
        try heap.call(arguments: 0)
        try heap.call(arguments: 1)
        guard let array = heap.stringIfString(at: -1), !array.isEmpty else { return }
        do {
            let node = TraceNode(value: try JSONDocument.parse(array, file: trace.name).restoringNonFinite(),
                                 path: "stmts", file: trace.name)
            statements = try TraceStatements(node, ordered: false, defaultExecTime: .zero, strict: false)
        } catch {
            throw DuktapeHeap.ScriptError(message: error.description, stack: error.description)
        }
    }

    func handshake(_ phase: HandshakePhase) -> HandshakeScript {
        if let loadError { return HandshakeScript(error: Self.failure(loadError)) }
        do {
            guard let text = try host.heap.callGlobal("__mock_handshake", boolArgument: phase == .greeting),
                  !text.isEmpty
            else { return HandshakeScript() }
            let value = try JSONDocument.parse(text, file: trace.name).restoringNonFinite()
            return try ResponseDecoder.handshake(TraceNode(value: value, path: "handshake", file: trace.name))
        } catch let error as DuktapeHeap.ScriptError {
            trace.logger.debug("\(error.stack)")
            return HandshakeScript(error: Self.failure(error.message))
        } catch let error as TraceError {
            return HandshakeScript(error: Self.failure(error.path.isEmpty ? error.message : "\(error.path): \(error.message)"))
        } catch {
            return HandshakeScript(error: Self.failure("\(error)"))
        }
    }

    func respond(to statement: String) -> StatementResponse {
        if let loadError { return .error(Self.failure("executing statement failed: \(loadError)")) }
        if let statements { return cursor.respond(to: statement, in: statements, fallback: nil) }
        do {
            guard let text = try host.heap.callGlobal("__mock_respond", [statement]) else {
                return .error(Self.failure("executing statement failed: expected 'error', 'ok' or 'result'"))
            }
            if let known = recent[text] { return known }
            let value = try JSONDocument.parse(text, file: trace.name).restoringNonFinite()
            let response = try ResponseDecoder.response(TraceNode(value: value, path: "", file: trace.name),
                                                        answeredBy: "stmts")
            if text.utf8.count <= 16 << 10 {
                if recent.count >= 64 { recent.removeAll(keepingCapacity: true) }
                recent[text] = response
            }
            return response
        } catch let error as DuktapeHeap.ScriptError {
            trace.logger.debug("executing \"\(statement)\" failed: \(error.stack)")
            return .error(Self.failure("executing statement failed: \(error.message)"))
        } catch let error as TraceError {
            let at = error.path.isEmpty ? "" : "\(error.path): "
            return .error(Self.failure("executing statement failed: \(at)\(error.message)"))
        } catch {
            return .error(Self.failure("executing statement failed: \(error)"))
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
