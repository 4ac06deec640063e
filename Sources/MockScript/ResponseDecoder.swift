import FoundationEssentials
import MockModel

/// Turns trace response objects (`{ok: …}`, `{error: …}`, `{result: …}`) into `StatementResponse`s,
/// with the checks and messages of the reference (reference spec §3.4–§3.7).
enum ResponseDecoder {
    /// Decodes what a statement gets: one response object, or `{"results": [response, …]}` for
    /// several results in order (a stored procedure's result sets and its final OK).
    static func answer(_ node: TraceNode, defaultExecTime: Duration = .zero, answeredBy: String? = nil)
        throws(TraceError) -> [StatementResponse]
    {
        try node.requireObject()
        guard let list = node.member("results") else {
            return [try response(node, defaultExecTime: defaultExecTime, answeredBy: answeredBy)]
        }
        if let other = ["result", "error", "ok"].first(where: { node.has($0) }) {
            throw node.error("expected either 'results' or '\(other)', got both")
        }
        guard case .array = list.value else {
            throw list.error("expected 'results' to be an array of responses, got \(list.value.typeName)")
        }
        var responses: [StatementResponse] = []
        for item in try list.elements() {
            try item.requireObject()
            if item.has("results") { throw item.error("'results' cannot be nested") }
            responses.append(try response(item, defaultExecTime: defaultExecTime, answeredBy: answeredBy))
        }
        guard !responses.isEmpty else { throw list.error("expected at least one response in 'results'") }
        return responses
    }

    /// Decodes one response object. `defaultExecTime` applies when the object has no `exec_time`.
    static func response(_ node: TraceNode, defaultExecTime: Duration = .zero, answeredBy: String? = nil)
        throws(TraceError) -> StatementResponse
    {
        try node.requireObject()
        let kinds = ["result", "error", "ok"].filter { node.has($0) }
        let fault = try node.member("fault").map(Self.fault)
        // A fault alone (close, stall, …) needs no answer; it stands in for an empty OK.
        guard kinds.count == 1 || (kinds.isEmpty && fault != nil), let kind = kinds.first ?? "ok" as String? else {
            throw node.error(kinds.isEmpty
                ? "expected 'error', 'ok' or 'result'"
                : "expected exactly one of 'error', 'ok' or 'result', got \(kinds.joined(separator: " and "))")
        }
        let execTime = try node.member("exec_time")?.milliseconds() ?? defaultExecTime
        let body: StatementResponse.Kind
        if kinds.isEmpty {
            return StatementResponse(.ok(OKResponse()), execTime: execTime, answeredBy: answeredBy, fault: fault)
        }
        switch kind {
        case "result":
            guard let r = node.member("result") else { throw node.error("missing 'result'") }
            body = .result(try resultSet(r))
        case "error":
            guard let e = node.member("error") else { throw node.error("missing 'error'") }
            body = .error(try error(e))
        default:
            guard let o = node.member("ok") else { throw node.error("missing 'ok'") }
            body = .ok(try ok(o))
        }
        var response = StatementResponse(body, execTime: execTime, answeredBy: answeredBy, fault: fault)
        response.localInfile = try node.member("local_infile").flatMap(Self.localInfile)
        return response
    }

    /// `local_infile`: `true` asks for the file the statement names, `{"filename": "…"}` for that
    /// file, `false` for none.
    static func localInfile(_ node: TraceNode) throws(TraceError) -> LocalInfileRequest? {
        switch node.value {
        case .bool(let on): return on ? .named : nil
        case .object:
            guard let name = node.member("filename") else { throw node.error("missing field \"filename\"") }
            return .file(try name.string())
        default:
            throw node.error("expected 'local_infile' to be true, false or {\"filename\": \"…\"}, got \(node.value.typeName)")
        }
    }

    /// `fault`: `"close"`, `"reset"`, `"stall"`, `"truncate"`, `"garbage"`, or
    /// `{"after_rows": n, "then": "close" | "reset" | "stall" | {"error": {…}}}`.
    static func fault(_ node: TraceNode) throws(TraceError) -> Fault {
        let names = Fault.named.keys.sorted().joined(separator: ", ")
        switch node.value {
        case .string(let name):
            guard let fault = Fault.named[name] else {
                throw node.error("unknown fault \"\(name)\": expected one of \(names), or {\"after_rows\": n, \"then\": …}")
            }
            return fault
        case .object:
            guard let rows = node.member("after_rows") else { throw node.error("expected 'after_rows' in the fault object") }
            let n: Int64
            switch rows.value {
            case .int(let value) where value >= 0 && value <= Int64(Int32.max): n = value
            case .uint(let value) where value <= UInt64(Int32.max): n = Int64(value)
            default: throw rows.error("after_rows must be a whole number of rows (0 or more), is \(rows.value.jsonText)")
            }
            if let then = node.member("then"), case .object = then.value {
                guard let error = then.member("error") else {
                    throw then.error("expected 'then' to be close, reset, stall or {\"error\": {\"code\", \"message\"}}")
                }
                return .errorAfterRows(Int(n), try Self.error(error))
            }
            let thenName = try node.optionalString("then") ?? "close"
            guard let then = Fault.Ending(rawValue: thenName) else {
                throw node.error("then must be one of close, reset, stall, or {\"error\": …}; got \"\(thenName)\"")
            }
            return .afterRows(Int(n), then: then)
        default:
            throw node.error("fault must be one of \(names), or {\"after_rows\": n, \"then\": …}; is \(node.value.typeName)")
        }
    }

    static func error(_ node: TraceNode) throws(TraceError) -> ErrorResponse {
        try node.requireObject()
        guard let code = node.member("code") else { throw node.error("missing field \"code\"") }
        guard let message = node.member("message") else { throw node.error("missing field \"message\"") }
        return ErrorResponse(
            code: try code.unsigned(UInt16.self),
            sqlState: try node.optionalString("sql_state") ?? "HY000",
            message: try message.string())
    }

    static func ok(_ node: TraceNode) throws(TraceError) -> OKResponse {
        try node.requireObject()
        return OKResponse(
            affectedRows: try node.optionalUnsigned("affected_rows") ?? 0,
            lastInsertID: try node.optionalUnsigned("last_insert_id") ?? 0,
            status: Self.derivedBitsCleared(try node.optionalUnsigned("status") ?? 0),
            warningCount: try node.optionalUnsigned("warning_count") ?? 0,
            message: try node.optionalString("message") ?? "",
            sessionTrackers: try sessionTrackers(node.member("session_trackers")))
    }

    /// `SERVER_MORE_RESULTS_EXISTS` (0x0008) is the server's to set (on every result but the last
    /// of an answer): a trace's is ignored, so a client is never told of results that do not come.
    static func derivedBitsCleared(_ status: UInt16) -> UInt16 {
        status & ~UInt16(0x0008)
    }

    static func resultSet(_ node: TraceNode) throws(TraceError) -> ResultSet {
        try node.requireObject()
        guard let columnsNode = node.member("columns") else { throw node.error("missing field \"columns\"") }
        var columns: [(Column, ColumnDefaults.Given)] = []
        for c in try columnsNode.elements() { columns.append(try column(c)) }
        var rows: [[Cell?]] = []
        if let rowsNode = node.member("rows") {
            guard case .array = rowsNode.value else {
                throw rowsNode.error("rows: expected array or undefined, got \(rowsNode.value.typeName)")
            }
            for r in try rowsNode.elements() {
                guard case .array = r.value else {
                    throw r.error("expected a row (an array of cells), got \(r.value.typeName)")
                }
                var row: [Cell?] = []
                for c in try r.elements() { row.append(try cell(c)) }
                rows.append(row)
            }
        }
        // What the trace leaves out of a column's metadata is what a server would send for its
        // type and these values.
        let completed = columns.enumerated().map { index, pair in
            ColumnDefaults.complete(pair.0, given: pair.1, values: rows.lazy.map { index < $0.count ? $0[index] : nil })
        }
        return ResultSet(columns: completed, rows: rows, end: try ok(node),
                         error: try node.member("error").map { e throws(TraceError) in try error(e) })
    }

    /// A column as the trace wrote it, and which of the metadata fields it gave.
    static func column(_ node: TraceNode) throws(TraceError) -> (Column, ColumnDefaults.Given) {
        try node.requireObject()
        if node.child("repeat") != nil { throw node.error("repeat is not supported") }
        guard let nameNode = node.member("name") else {
            throw node.error("Wrong statements document structure: missing field \"name\"")
        }
        guard let typeNode = node.member("type") else { throw node.error("missing field \"type\"") }
        let type: UInt8
        switch typeNode.value {
        case .string(let s):
            guard let code = ColumnTypeName.code(for: s) else { throw typeNode.error("Unknown type: \"\(s)\"") }
            type = code
        default:
            type = try typeNode.unsigned(UInt8.self)
        }
        var column = Column(name: try nameNode.string(), type: type)
        column.orgName = try node.optionalString("orig_name") ?? ""
        column.table = try node.optionalString("table") ?? ""
        column.orgTable = try node.optionalString("orig_table") ?? ""
        column.schema = try node.optionalString("schema") ?? ""
        column.catalog = try node.optionalString("catalog") ?? "def"
        let given = ColumnDefaults.Given(
            characterSet: try node.optionalUnsigned("character_set"), length: try node.optionalUnsigned("length"),
            flags: try node.optionalUnsigned("flags"), decimals: try node.optionalUnsigned("decimals"))
        return (column, given)
    }

    /// A row cell: `null` is SQL NULL, strings as they are, numbers exactly as the trace wrote them
    /// (a script's computed numbers as JavaScript prints them), booleans as `1`/`0`, bytes from
    /// `{"$hex": "…"}` or `{"$base64": "…"}`, other arrays and objects as JSON text.
    static func cell(_ node: TraceNode) throws(TraceError) -> Cell? {
        switch byteCell(node.value) {
        case .success(let bytes)?: return .bytes(bytes)
        case .failure(let problem)?: throw node.error(problem.message)
        case nil: return cellText(node.value).map(Cell.text)
        }
    }

    struct ByteCellProblem: Error {
        var message: String
    }

    /// `{"$hex": …}` / `{"$base64": …}`: its bytes, or what is wrong with it; `nil` for any
    /// other value. Shared by row cells and by `params` matching.
    static func byteCell(_ value: JSONValue) -> Result<[UInt8], ByteCellProblem>? {
        guard case .object(let members) = value, members.count == 1, let (key, content) = members.first,
              key == "$hex" || key == "$base64" else { return nil }
        guard case .string(let text) = content else {
            return .failure(ByteCellProblem(message: "\(key): expected a string, got \(content.typeName)"))
        }
        if key == "$hex" {
            guard let bytes = hexBytes(text) else {
                return .failure(ByteCellProblem(
                    message: "$hex: expected an even number of hex digits, got \(TraceCursor.quoted(text))"))
            }
            return .success(bytes)
        }
        guard let data = Data(base64Encoded: text) else {
            return .failure(ByteCellProblem(message: "$base64: expected base64 (RFC 4648, padded), got \(TraceCursor.quoted(text))"))
        }
        return .success(Array(data))
    }

    /// A cell's value as text (see `cell`), for values that are not bytes.
    static func cellText(_ value: JSONValue) -> String? {
        switch value {
        case .null: nil
        case .string(let s): s
        case .int(let i): String(i)
        case .uint(let u): String(u)
        case .double(let d): JSONValue.format(d)
        case .decimal(let text): text
        case .bool(let b): b ? "1" : "0"
        case .array, .object: value.jsonText
        }
    }

    /// Two hex digits (either case) per byte; `nil` for anything else.
    static func hexBytes(_ digits: String) -> [UInt8]? {
        let utf8 = Array(digits.utf8)
        guard utf8.count.isMultiple(of: 2) else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c &- UInt8(ascii: "A") &+ 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        for index in stride(from: 0, to: utf8.count, by: 2) {
            guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    static func sessionTrackers(_ node: TraceNode?) throws(TraceError) -> [SessionTracker] {
        guard let node else { return [] }
        guard case .array = node.value else { throw node.error("expected .session_tracker to be an array") }
        var trackers: [SessionTracker] = []
        for t in try node.elements() {
            try t.requireObject()
            let type = try t.member("type")?.string() ?? ""
            switch type {
            case "system_variable":
                trackers.append(.systemVariable(name: try t.optionalString("name") ?? "",
                                                value: try t.optionalString("value") ?? ""))
            case "schema":
                trackers.append(.schema(try t.optionalString("schema") ?? ""))
            case "state":
                let state = try t.optionalString("state") ?? ""
                guard state.count == 1 else { throw t.error("state must be exactly 1 character, got \"\(state)\"") }
                trackers.append(.state(state))
            case "gtid":
                trackers.append(.gtid(try t.optionalString("gtid") ?? ""))
            case "trx_characteristics":
                trackers.append(.transactionCharacteristics(try t.optionalString("trx_stmt") ?? ""))
            case "trx_state":
                let state = try t.optionalString("state") ?? ""
                guard state.count == 8 else { throw t.error("trx_state must be exactly 8 characters, got \"\(state)\"") }
                trackers.append(.transactionState(state))
            default:
                throw t.error("unknown session_tracker.type = \(type)")
            }
        }
        return trackers
    }

    /// `handshake` (reference spec §3.8).
    static func handshake(_ node: TraceNode) throws(TraceError) -> HandshakeScript {
        guard case .object = node.value else {
            throw node.error("handshake must be an object, if set. Is \(node.value.typeName)")
        }
        var script = HandshakeScript()
        if let g = node.member("greeting") {
            try g.requireObject()
            script.greeting.serverVersion = try g.optionalString("server_version")
            script.greeting.connectionID = try g.optionalUnsigned("connection_id")
            script.greeting.capabilities = try g.optionalUnsigned("capabilities")
            script.greeting.statusFlags = try g.optionalUnsigned("status_flags")
            script.greeting.characterSet = try g.optionalUnsigned("character_set")
            script.greeting.authMethod = try g.optionalString("auth_method")
            if let nonce = try g.optionalString("nonce") {
                var bytes = Array(nonce.utf8)
                if bytes.count == 21 || bytes.last == 0 { bytes.removeLast() }
                script.greeting.nonce = bytes
            }
            if let e = g.member("exec_time") {
                switch e.value {
                case .int, .uint, .double, .decimal: script.greeting.execTime = try e.milliseconds()
                default: throw e.error("exec_time must be a number, if set. Is \(e.value.typeName)")
                }
            }
        }
        if let a = node.member("auth") {
            script.auth = try auth(a, defaults: HandshakeScript.Auth())
            if let users = a.member("users") {
                guard case .object(let members) = users.value else {
                    throw users.error("expected 'users' to be an object of user names, got \(users.value.typeName)")
                }
                var accounts: [String: HandshakeScript.Auth] = [:]
                for name in members.keys.sorted() {
                    guard let user = users.child(name) else { continue }
                    var defaults = script.auth
                    defaults.username = name
                    var account = try auth(user, defaults: defaults)
                    if account.username != name {
                        throw user.error("'username' is the key (\"\(name)\"); leave it out or make it equal")
                    }
                    account.users = nil
                    accounts[name] = account
                }
                script.auth.users = accounts
            }
        }
        if let e = node.member("error") { script.error = try error(e) }
        if let f = try node.optionalString("fault") {
            guard let fault = HandshakeFault(rawValue: f) else {
                throw node.error("unknown handshake fault \"\(f)\": expected one of "
                                 + HandshakeFault.allCases.map(\.rawValue).joined(separator: ", "))
            }
            script.fault = fault
        }
        return script
    }

    /// One account of `handshake.auth` (the top level, or one of its `users`): the fields it gives
    /// over `defaults`.
    static func auth(_ a: TraceNode, defaults: HandshakeScript.Auth) throws(TraceError) -> HandshakeScript.Auth {
        try a.requireObject()
        var auth = defaults
        if let username = try a.optionalString("username") { auth.username = username }
        if let password = try a.optionalString("password") { auth.password = password }
        if let certificate = a.member("certificate") {
            try certificate.requireObject()
            auth.certificate = HandshakeScript.CertificateRequirement(
                subject: try certificate.optionalString("subject"), issuer: try certificate.optionalString("issuer"))
        }
        if let cache = try a.optionalString("cache") {
            guard cache == "hit" || cache == "miss" else {
                throw a.error("cache must be \"hit\" or \"miss\", got \"\(cache)\"")
            }
            auth.cacheMiss = cache == "miss"
        }
        if let method = try a.optionalString("method_name") {
            auth.methodName = method
        } else if let method = try a.optionalString("auth_method_name") {
            auth.methodName = method
        }
        if let locked = try a.member("locked")?.bool() { auth.locked = locked }
        if let expired = try a.member("password_expired")?.bool() { auth.passwordExpired = expired }
        return auth
    }

    /// `notices`: `[{send_offset, type, scope, payload}]` (types 1–5).
    static func notices(_ node: TraceNode) throws(TraceError) -> [NoticeSpec] {
        var result: [NoticeSpec] = []
        for n in try node.elements() {
            try n.requireObject()
            let offset = try n.member("send_offset")?.milliseconds() ?? .zero
            let scope: NoticeSpec.Scope
            switch try n.optionalString("scope") ?? "LOCAL" {
            case "GLOBAL": scope = .global
            case "LOCAL", "": scope = .local
            case let other: throw n.error("scope must be \"GLOBAL\" or \"LOCAL\", got \"\(other)\"")
            }
            guard let typeNode = n.member("type") else { throw n.error("missing field \"type\"") }
            let payload = n.member("payload")
            func field(_ key: String) throws(TraceError) -> String? { try payload?.optionalString(key) }
            func number(_ key: String) throws(TraceError) -> UInt32? { try payload?.optionalUnsigned(key) }
            let kind: NoticeSpec.Kind
            switch try typeNode.unsigned(UInt32.self) {
            case 1: kind = .warning(level: try number("level") ?? 2, code: try number("code") ?? 0, message: try field("msg") ?? "")
            case 2: kind = .sessionVariableChanged(name: try field("param") ?? "", value: try field("value") ?? "")
            case 3: kind = .sessionStateChanged(parameter: try number("param") ?? 0, value: try field("value") ?? "")
            case 4: kind = .groupReplicationStateChanged(type: try number("type") ?? 0, viewID: try field("view-id"))
            case 5: kind = .serverHello
            case let other: throw typeNode.error("Unsupported notice id \(other)")
            }
            result.append(NoticeSpec(sendOffset: offset, scope: scope, kind: kind))
        }
        return result
    }
}

extension Fault {
    /// A fault as a trace or a REST body gives it (`"close"`, `{"after_rows": 2, "then": "stall"}`);
    /// the error names what was expected.
    public init(json: JSONValue) throws(TraceError) {
        self = try ResponseDecoder.fault(TraceNode(value: json, path: "fault", file: "request"))
    }
}
