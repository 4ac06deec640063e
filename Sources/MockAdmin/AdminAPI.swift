import Hummingbird
import Logging
import MockModel
import MockScript
import MockServer
import NIOCore

/// The REST admin API (reference spec §7, plus connections, a journal and health):
///
/// | path (trailing slash optional) | methods |
/// |---|---|
/// | `/api/v1/mock_server/globals` | GET all, PUT replace all, PATCH merge |
/// | `/api/v1/mock_server/globals/{key}` | GET, PUT, DELETE one |
/// | `/api/v1/mock_server/connections` | GET list, DELETE close all |
/// | `/api/v1/mock_server/connections/{id}` | DELETE close one |
/// | `/api/v1/mock_server/journal` | GET (`?connection=`, `?unmatched=true`, `?since=`, `?wait_ms=` with `?resets=`), DELETE reset |
/// | `/api/v1/mock_server/journal/wait` | POST `{"stmt"|"stmt_regex", "count", "timeout_ms"}` |
/// | `/api/v1/mock_server/trace` | GET the trace's name, when it was loaded, how the last reload went |
/// | `/api/v1/mock_server/trace/reload` | POST: load the trace file again |
/// | `/api/v1/mock_server/trace/coverage` | GET how many statements each entry answered, DELETE reset the counts |
/// | `/api/v1/mock_server/recording` | GET the trace recorded so far, DELETE reset (with `--upstream`) |
/// | `/api/v1/mock_server/recording/start`, `…/stop` | POST; `…/status` GET (with `--upstream`) |
/// | `/api/v1/mock_server/scenarios` | GET the trace's scenarios, DELETE reset them (`AdminScenarios.swift`) |
/// | `/api/v1/mock_server/scenarios/{name}` | GET one, PUT `{"state"}` move it, DELETE reset it |
/// | `/api/v1/mock_server/faults` | GET armed faults, POST arm one, DELETE clear all |
/// | `/api/v1/mock_server/faults/{id}` | DELETE one |
/// | `/api/v1/mock_server/health` | GET |
/// | `/metrics`, `/api/v1/mock_server/metrics` | GET counters in Prometheus's text format (`AdminMetrics.swift`) |
/// | `/`, `/dashboard.css`, `/dashboard.js` | GET the dashboard (`Dashboard`) |
public struct AdminResponder: HTTPResponder {
    public typealias Context = BasicRequestContext

    let globals: GlobalStore
    let registry: SessionRegistry
    let journal: Journal
    let access: AdminAccess
    /// Loads the trace file again (as SIGHUP does); the new trace's name, or why it was refused.
    let reloadTrace: (@Sendable () -> Result<String, any Error>)?
    /// The recording of upstream answers (`--upstream`).
    let recorder: TraceRecorder?
    /// Faults armed over REST.
    let faultArmory: FaultArmory
    /// The trace in use, for its status.
    let traces: TraceHolder?
    /// The server's counters, for `GET /metrics`.
    let metrics: ServerMetrics?
    static let prefix = "/api/v1/mock_server/"
    /// Largest request body read; a larger one gets 413.
    package static let maxBody = 16 << 20

    public init(globals: GlobalStore, registry: SessionRegistry, journal: Journal, access: AdminAccess = AdminAccess(),
                reloadTrace: (@Sendable () -> Result<String, any Error>)? = nil, recorder: TraceRecorder? = nil,
                faults: FaultArmory = FaultArmory(), traces: TraceHolder? = nil, metrics: ServerMetrics? = nil) {
        self.traces = traces
        self.metrics = metrics
        self.recorder = recorder
        self.faultArmory = faults
        self.globals = globals
        self.registry = registry
        self.journal = journal
        self.access = access
        self.reloadTrace = reloadTrace
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        // The dashboard's files hold no data: the page asks for the token itself (`Dashboard`).
        if let page = Dashboard.response(request) { return access.refusal(request, token: false) ?? page }
        if let refusal = access.refusal(request) { return refusal }
        do {
            return try await route(request)
        } catch is NIOTooManyBytesError {
            return Self.text(.contentTooLarge, "request body larger than \(Self.maxBody) bytes")
        } catch let error as HTTPError {
            // Whatever else Hummingbird reports as an HTTP status.
            return Self.text(error.status, error.body ?? "\(error.status)")
        }
    }

    private func route(_ request: Request) async throws -> Response {
        if request.headers[.contentRange] != nil { return Self.status(.notImplemented) }
        var path = request.uri.path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        // Where Prometheus looks by default, and under the API's prefix.
        if path == "/metrics" || path == Self.prefix + "metrics" { return metricsResponse(request) }
        guard path.hasPrefix(Self.prefix) else { return Self.notFound() }
        let parts = path.dropFirst(Self.prefix.count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch (parts.first, parts.count) {
        case ("globals", 1): return try await allGlobals(request)
        case ("globals", 2): return try await oneGlobal(parts[1], request)
        case ("connections", 1): return connections(request)
        case ("connections", 2): return oneConnection(parts[1], request)
        case ("journal", 1): return await journalEntries(request)
        case ("journal", 2) where parts[1] == "wait": return try await waitForJournal(request)
        case ("trace", 1):
            guard request.method == .get || request.method == .head else { return Self.notAllowed("GET") }
            guard let traces else { return Self.text(.notFound, "this server has no trace") }
            return Self.json(Self.traceStatusJSON(traces.status).jsonText)
        case ("trace", 2) where parts[1] == "coverage":
            guard let traces else { return Self.text(.notFound, "this server has no trace") }
            switch request.method {
            case .get, .head:
                guard let coverage = traces.current.coverage else {
                    return Self.text(.notFound, "\(traces.current.name) has no entries to count (a JavaScript or built-in trace)")
                }
                return Self.json(Self.coverageJSON(coverage).jsonText)
            case .delete:
                traces.current.resetCoverage()
                return Self.status(.noContent)
            default:
                return Self.notAllowed("GET, DELETE")
            }
        case ("trace", 2) where parts[1] == "reload":
            guard request.method == .post else { return Self.notAllowed("POST") }
            guard let reloadTrace else { return Self.text(.notImplemented, "this server has no trace file to reload") }
            switch reloadTrace() {
            case .success(let name): return Self.json(JSONValue.object(["trace": .string(name)]).jsonText)
            case .failure(let error): return Self.text(.unprocessableContent, "kept the previous trace: \(error)")
            }
        case ("scenarios", 1): return try await scenarios(nil, request)
        case ("scenarios", 2): return try await scenarios(parts[1], request)
        case ("faults", 1): return try await faults(request)
        case ("faults", 2):
            guard request.method == .delete else { return Self.notAllowed("DELETE") }
            guard let id = Int(parts[1]), faultArmory.remove(id) else { return Self.text(.notFound, "no armed fault \(parts[1])") }
            return Self.status(.noContent)
        case ("recording", 1), ("recording", 2):
            return recording(parts.count == 2 ? parts[1] : nil, request)
        case ("health", 1):
            guard request.method == .get || request.method == .head else { return Self.notAllowed("GET") }
            return Self.json("{\"status\":\"ok\"}")
        default: return Self.notFound()
        }
    }

    // MARK: Faults

    private func faults(_ request: Request) async throws -> Response {
        switch request.method {
        case .get, .head:
            return Self.json(JSONValue.array(faultArmory.list().map { armed in
                var members: [String: JSONValue] = [
                    "id": .int(Int64(armed.id)), "fault": .string(armed.fault.description),
                    "remaining": .int(Int64(armed.remaining)),
                ]
                if let connection = armed.connectionID { members["connection"] = .int(Int64(connection)) }
                if let filter = armed.filterDescription { members["filter"] = .string(filter) }
                return .object(members)
            }).jsonText)
        case .post:
            let members: [String: JSONValue]
            switch try await Self.jsonObject(request) {
            case .success(let object): members = object
            case .failure(let error): return error.response
            }
            let armed: ArmFaultRequest
            do {
                armed = try ArmFaultRequest(members: members)
            } catch {
                return error.response
            }
            let id = faultArmory.arm(armed.armed)
            return Self.json(JSONValue.object(["id": .int(Int64(id))]).jsonText, status: .created)
        case .delete:
            faultArmory.remove()
            return Self.status(.noContent)
        default:
            return Self.notAllowed("GET, POST, DELETE")
        }
    }

    // MARK: Recording

    private func recording(_ action: String?, _ request: Request) -> Response {
        guard let recorder else {
            return Self.text(.notFound, "nothing is recorded: start the server with --upstream to record a trace")
        }
        let status = { JSONValue.object(["recording": .bool(recorder.isRecording),
                                         "statements": .uint(UInt64(recorder.statementCount))]).jsonText }
        switch action {
        case nil:
            switch request.method {
            case .get, .head: return Self.json(recorder.traceText)
            case .delete:
                recorder.reset()
                return Self.status(.noContent)
            default: return Self.notAllowed("GET, DELETE")
            }
        case "start", "stop":
            guard request.method == .post else { return Self.notAllowed("POST") }
            if action == "start" { recorder.start() } else { recorder.stop() }
            return Self.json(status())
        case "status":
            guard request.method == .get || request.method == .head else { return Self.notAllowed("GET") }
            return Self.json(status())
        default:
            return Self.notFound()
        }
    }

    // MARK: Globals

    private func allGlobals(_ request: Request) async throws -> Response {
        switch request.method {
        case .get:
            let all = globals.snapshot()
            return Self.json("{" + all.keys.sorted().map { Self.quote($0) + ":" + (all[$0] ?? "null") }.joined(separator: ",") + "}")
        case .put, .patch:
            let members: [String: JSONValue]
            switch try await Self.jsonObject(request) {
            case .success(let object): members = object
            case .failure(let error): return error.response
            }
            GlobalsUpdate.apply(members, replacingAll: request.method == .put, to: globals)
            return Self.status(.noContent)
        default:
            return Self.notAllowed("GET, PUT, PATCH")
        }
    }

    private func oneGlobal(_ key: String, _ request: Request) async throws -> Response {
        let name = key.removingPercentEncoding ?? key
        switch request.method {
        case .get:
            guard let value = globals.get(name) else { return Self.text(.notFound, "no global \"\(name)\"") }
            return Self.json(value)
        case .put:
            switch try await Self.jsonBody(request) {
            case .success(let value):
                globals.set(name, json: value.jsonText)
                return Self.status(.noContent)
            case .failure(let error):
                return error.response
            }
        case .delete:
            return globals.remove(name) == 1 ? Self.status(.noContent) : Self.text(.notFound, "no global \"\(name)\"")
        default:
            return Self.notAllowed("GET, PUT, DELETE")
        }
    }

    // MARK: Connections

    private func connections(_ request: Request) -> Response {
        switch request.method {
        case .get:
            let list = registry.sessions().map { s -> JSONValue in
                .object([
                    "id": .int(Int64(s.connectionID)), "protocol": .string(s.wireProtocol), "peer": .string(s.peer),
                    "user": s.user.map(JSONValue.string) ?? .null, "schema": s.schema.map(JSONValue.string) ?? .null,
                    "tls_cipher": s.tlsCipher.map(JSONValue.string) ?? .null,
                    "connected_since": .double(s.connectedSince), "statements": .int(Int64(s.statements)),
                ])
            }
            return Self.json(JSONValue.array(list).jsonText)
        case .delete:
            registry.closeAll()
            return Self.status(.ok)
        default:
            return Self.notAllowed("GET, DELETE")
        }
    }

    private func oneConnection(_ id: String, _ request: Request) -> Response {
        guard request.method == .delete else { return Self.notAllowed("DELETE") }
        guard let number = UInt32(id) else { return Self.text(.badRequest, "connection id must be a number, got \"\(id)\"") }
        return registry.close(number) ? Self.status(.ok) : Self.text(.notFound, "no connection \(number)")
    }

    // MARK: Journal

    static func entryJSON(_ e: JournalEntry) -> JSONValue {
        var members: [String: JSONValue] = [
            "seq": .int(Int64(e.sequence)), "connection": .int(Int64(e.connectionID)), "protocol": .string(e.wireProtocol),
            "user": e.user.map(JSONValue.string) ?? .null, "stmt": .string(e.statement),
            "stmt_bytes": .int(Int64(e.statementBytes)), "stmt_truncated": .bool(e.truncated),
            "answered_by": e.answeredBy.map(JSONValue.string) ?? .string("unmatched"),
            "unmatched": .bool(e.unmatched), "response": .string(e.kind),
            "received_at": .double(e.receivedAt), "answered_at": .double(e.answeredAt),
            "kind": .string(e.statementKind),
        ]
        if e.statementKind != "query" { members["statement_id"] = .int(Int64(e.statementID)) }
        if let fault = e.fault { members["fault"] = .string(fault) }
        if let change = e.scenarioChange { members["scenario_change"] = .string(change) }
        if let error = e.error {
            members["error"] = .object(["code": .int(Int64(error.code)), "sql_state": .string(error.sqlState),
                                        "message": .string(error.message)])
        }
        if let upload = e.upload {
            members["local_infile"] = .object([
                "filename": .string(upload.filename), "bytes": .int(Int64(upload.bytes)),
                "data": .string(String(decoding: upload.data, as: UTF8.self)),
                "data_truncated": .bool(upload.data.count < upload.bytes),
            ])
        }
        if e.execTime > .zero { members["exec_time_ms"] = .double(Double(e.execTime.components.seconds) * 1e3
                                                                   + Double(e.execTime.components.attoseconds) / 1e15) }
        if !e.parameters.isEmpty { members["params"] = .array(e.parameters.map(JSONValue.string)) }
        if !e.attributes.isEmpty {
            members["attributes"] = .object(Dictionary(e.attributes.map { ($0.name, JSONValue.string($0.value)) },
                                                       uniquingKeysWith: { first, _ in first }))
        }
        return .object(members)
    }

    /// `{"entries": [{"entry", "stmt" | "stmt_regex", "uses"}], "unused": ["stmts[2]", …]}`.
    static func coverageJSON(_ coverage: [EntryCoverage]) -> JSONValue {
        .object([
            "entries": .array(coverage.map { entry in
                var members: [String: JSONValue] = ["entry": .string(entry.entry), "uses": .int(Int64(entry.uses))]
                if let matcher = entry.matcher { members[entry.isRegex ? "stmt_regex" : "stmt"] = .string(matcher) }
                return .object(members)
            }),
            "unused": .array(coverage.filter { $0.uses == 0 }.map { .string($0.entry) }),
        ])
    }

    static func traceStatusJSON(_ status: TraceHolder.Status) -> JSONValue {
        var members: [String: JSONValue] = [
            "name": .string(status.name), "loaded_at": .double(status.loadedAt), "reloads": .int(Int64(status.reloads)),
        ]
        if let at = status.failedAt, let failure = status.failure {
            members["last_reload_failure"] = .object(["at": .double(at), "error": .string(failure)])
        }
        return .object(members)
    }

    /// Longest `wait_ms` of a journal read: below the admin server's idle timeout, so a waiting
    /// connection is never closed as idle.
    static let maxJournalReadWait = 20_000

    private func journalEntries(_ request: Request) async -> Response {
        switch request.method {
        case .get:
            let query = request.uri.queryParameters
            // `wait_ms`: with nothing after `since` (and `resets` as the caller last saw it), wait up
            // to this long for the next statement (a long poll: the dashboard's live journal).
            if let text = query["wait_ms"] {
                guard let ms = Int(String(text)), (0...Self.maxJournalReadWait).contains(ms) else {
                    return Self.text(.badRequest, "wait_ms must be a number from 0 to \(Self.maxJournalReadWait), got \"\(text)\"")
                }
                let since = query["since"].flatMap { Int(String($0)) } ?? 0
                let known = query["resets"].flatMap { Int(String($0)) }
                let (kept, _, resets) = journal.entries(after: max(0, since))
                if ms > 0, kept.isEmpty, known == nil || known == resets {
                    await waitForStatement(after: max(0, since), resets: known, milliseconds: ms, request: request)
                }
            }
            var since = 0
            if let text = query["since"] {
                guard let seq = Int(String(text)) else {
                    return Self.text(.badRequest, "since must be a number, got \"\(text)\"")
                }
                since = max(0, seq)
            }
            var (entries, dropped, resets) = journal.entries(after: since)
            if let connection = query["connection"] {
                guard let id = UInt32(String(connection)) else {
                    return Self.text(.badRequest, "connection must be a number, got \"\(connection)\"")
                }
                entries = entries.filter { $0.connectionID == id }
            }
            if let unmatched = query["unmatched"] {
                guard unmatched == "true" || unmatched == "false" else {
                    return Self.text(.badRequest, "unmatched must be true or false, got \"\(unmatched)\"")
                }
                let wanted = unmatched == "true"
                entries = entries.filter { $0.unmatched == wanted }
            }
            return Self.json(JSONValue.object([
                "entries": .array(entries.map(Self.entryJSON)), "dropped": .int(Int64(dropped)),
                "capacity": .int(Int64(journal.capacity)), "resets": .int(Int64(resets)),
            ]).jsonText)
        case .delete:
            journal.reset()
            return Self.status(.ok)
        default:
            return Self.notAllowed("GET, DELETE")
        }
    }

    /// Returns at the next statement after `after` (or a reset), after `milliseconds`, or when the
    /// client goes away; a wait that cannot start (too many, shutting down) returns at once.
    private func waitForStatement(after: Int, resets: Int?, milliseconds: Int, request: Request) async {
        let journal = journal
        let waiting = Task {
            _ = try? await journal.wait(count: 1, after: after, resets: resets, timeout: .milliseconds(milliseconds)) { _ in true }
        }
        if let tag = request.headers[AdminConnections.header], let connection = UInt64(tag) {
            AdminConnections.shared.onClose(connection) { waiting.cancel() }
        }
        await withTaskCancellationHandler(operation: { await waiting.value }, onCancel: { waiting.cancel() })
    }

    private func waitForJournal(_ request: Request) async throws -> Response {
        guard request.method == .post else { return Self.notAllowed("POST") }
        let members: [String: JSONValue]
        switch try await Self.jsonObject(request) {
        case .success(let object): members = object
        case .failure(let error): return error.response
        }
        let wait: JournalWaitRequest
        do {
            wait = try JournalWaitRequest(members: members)
        } catch {
            return error.response
        }
        let count = wait.count, timeout = wait.timeoutMilliseconds, matches = wait.matches
        let journal = journal
        let waiting = Task { () async -> Result<[JournalEntry]?, JournalWaitRefusal> in
            do throws(JournalWaitRefusal) {
                return .success(try await journal.wait(count: count, timeout: .milliseconds(timeout)) { matches($0.statement) })
            } catch {
                return .failure(error)
            }
        }
        // A client that goes away ends its wait (and frees its slot) at once.
        if let tag = request.headers[AdminConnections.header], let connection = UInt64(tag) {
            AdminConnections.shared.onClose(connection) { waiting.cancel() }
        }
        let found: [JournalEntry]?
        switch await withTaskCancellationHandler(operation: { await waiting.value }, onCancel: { waiting.cancel() }) {
        case .success(let entries):
            found = entries
        case .failure(let error):
            switch error {
            case .tooManyWaiters: return Self.text(.tooManyRequests, "\(error)")
            case .closed: return Self.text(.serviceUnavailable, "\(error)")
            }
        }
        guard let found else {
            if journal.isClosed { return Self.text(.serviceUnavailable, "\(JournalWaitRefusal.closed)") }
            return Self.text(.requestTimeout, "fewer than \(count) matching statements within \(timeout) ms")
        }
        return Self.json(JSONValue.object(["entries": .array(found.map(Self.entryJSON))]).jsonText)
    }

    // MARK: Responses

    /// The request body as JSON (see `AdminRequestBody.json`); at most `maxBody` bytes are read.
    static func jsonBody(_ request: Request) async throws -> Result<JSONValue, AdminBodyError> {
        AdminRequestBody.json(contentType: request.headers[.contentType], body: try await request.body.collect(upTo: maxBody))
    }

    /// The request body as a JSON object (see `AdminRequestBody.object`).
    package static func jsonObject(_ request: Request) async throws -> Result<[String: JSONValue], AdminBodyError> {
        AdminRequestBody.object(contentType: request.headers[.contentType], body: try await request.body.collect(upTo: maxBody))
    }

    package static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    package static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }

    package static func status(_ status: HTTPResponse.Status) -> Response {
        Response(status: status)
    }

    static func notFound() -> Response {
        text(.notFound, "not found; the API lives under \(prefix)")
    }

    package static func notAllowed(_ allow: String) -> Response {
        Response(status: .methodNotAllowed, headers: [.allow: allow])
    }

    static func quote(_ s: String) -> String {
        JSONValue.string(s).jsonText
    }
}

extension AdminBodyError {
    package var response: Response { AdminResponder.text(status, message) }
}

/// The admin API as a `Service` on its own address.
public enum AdminServer {
    /// A connection that sends or reads nothing for this long is closed (an idle keep-alive, a
    /// client gone quiet mid-request).
    public static let idleTimeout = TimeAmount.seconds(30)
    /// A request (head and body) must arrive within this from its first bytes, or the connection is
    /// closed: a client trickling a header is not idle, but it is not sending a request either.
    public static let requestTimeout = TimeAmount.seconds(10)
    /// Admin connections open at once; past it the API stops accepting (new ones wait in the
    /// listen backlog) until one closes, so REST clients can never take the descriptors the MySQL
    /// listeners need.
    public static let maxConnections = 128
    /// NIO accepts up to 4 connections per read of the listening socket (`maxMessagesPerRead`,
    /// which Hummingbird does not let us set), and the limit is checked between reads, so the gate
    /// closes this many early to keep the open count at `maxConnections` or below.
    static let acceptBatch = 4

    public static func application<Responder: HTTPResponder>(
        host: String, port: Int, responder: Responder, logger: Logger,
        onServerRunning: @escaping @Sendable () async -> Void = {}
    ) -> some ApplicationProtocol where Responder.Context == BasicRequestContext {
        // `additionalChannelHandlers` is an autoclosure: each connection gets its own handler.
        Application(
            responder: responder,
            server: .http1(configuration: .init(
                additionalChannelHandlers: [AdminRequestTimeout(timeout: requestTimeout), AdminConnectionTag()],
                idleTimeout: idleTimeout)),
            configuration: .init(address: .hostname(host, port: port), serverName: "mysql_server_mock",
                                 availableConnectionsDelegate: .maximum(maxConnections - (acceptBatch - 1), logger: logger)),
            onServerRunning: { _ in await onServerRunning() },
            logger: logger)
    }
}
