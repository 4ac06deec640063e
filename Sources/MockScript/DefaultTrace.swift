import MockModel

/// `builtin:default`: what a server looks like to a person poking at it and to connectors that ask
/// questions on connect. It answers
///
/// - `SELECT` lists of system variables (`@@version_comment`, `@@session.auto_increment_increment
///   AS auto_increment_increment`, …), literals and the functions `DATABASE()`, `SCHEMA()`,
///   `USER()`, `CURRENT_USER()`, `VERSION()`, `CONNECTION_ID()`, `NOW()`, and `LAST_INSERT_ID()`,
///   `ROW_COUNT()`, `FOUND_ROWS()` from what the connection's earlier statements were answered
///   (also by a JSON trace's entries when this is its `fallback`), with an optional `LIMIT` /
///   `FROM DUAL`;
/// - `SHOW [SESSION|GLOBAL] VARIABLES|STATUS [LIKE '…']`, `SHOW DATABASES`, `SHOW TABLES`,
///   `SHOW WARNINGS`, `SHOW ERRORS`, `SHOW COLLATION`, `SHOW CHARACTER SET`, `SHOW ENGINES`;
/// - `SET …`, `USE …`, `BEGIN`, `START TRANSACTION`, `COMMIT`, `ROLLBACK` with OK.
///
/// Anything else gets ERR 1064 naming the statement.
public struct DefaultTrace: Trace {
    public let name = "builtin:default"

    public init() {}

    public func makeResponder(for session: SessionInfo) -> any StatementResponder {
        DefaultTraceResponder(session: session)
    }
}

final class DefaultTraceResponder: StatementResponder {
    var session: SessionInfo
    var questions = 0
    /// The statement being answered is not one this trace knows (journal: unmatched).
    private var missed = false
    /// `LAST_INSERT_ID()`: the last non-zero last insert id an OK carried on this connection.
    private(set) var lastInsertID: UInt64 = 0
    /// `ROW_COUNT()`: the previous statement's affected rows; -1 after a result set or an error.
    private(set) var rowCount: Int64 = -1
    /// `FOUND_ROWS()`: the rows of the last result set.
    private(set) var foundRows = 0

    init(session: SessionInfo) { self.session = session }

    func handshake(_ phase: HandshakePhase) -> HandshakeScript { HandshakeScript() }

    func sessionChanged(_ session: SessionInfo) { self.session = session }

    static let version = "8.0.23-mock"

    /// System variables with plausible values of a MySQL 8.0 server.
    var variables: [(String, String)] {
        [
            ("auto_increment_increment", "1"), ("auto_increment_offset", "1"), ("autocommit", "1"),
            ("character_set_client", "utf8mb4"), ("character_set_connection", "utf8mb4"),
            ("character_set_database", "utf8mb4"), ("character_set_filesystem", "binary"),
            ("character_set_results", "utf8mb4"), ("character_set_server", "utf8mb4"),
            ("character_set_system", "utf8mb3"), ("collation_connection", "utf8mb4_0900_ai_ci"),
            ("collation_database", "utf8mb4_0900_ai_ci"), ("collation_server", "utf8mb4_0900_ai_ci"),
            ("default_authentication_plugin", "caching_sha2_password"), ("default_storage_engine", "InnoDB"),
            ("hostname", "localhost"), ("init_connect", ""), ("interactive_timeout", "28800"),
            ("license", "GPL"), ("lower_case_table_names", "0"), ("max_allowed_packet", "67108864"),
            ("max_connections", "10000"), ("net_buffer_length", "16384"), ("net_write_timeout", "60"),
            ("performance_schema", "1"), ("port", String(session.port)), ("query_cache_size", "0"),
            ("query_cache_type", "OFF"), ("read_only", "0"), ("server_id", "1"),
            ("sql_mode", "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
                + "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"),
            ("sql_select_limit", "18446744073709551615"), ("super_read_only", "0"),
            ("system_time_zone", "UTC"), ("time_zone", "SYSTEM"), ("transaction_isolation", "REPEATABLE-READ"),
            ("transaction_read_only", "0"), ("tx_isolation", "REPEATABLE-READ"), ("tx_read_only", "0"),
            ("version", Self.version), ("version_comment", "mysql-server-mock"),
            ("version_compile_machine", "x86_64"), ("version_compile_os", "Linux"), ("wait_timeout", "28800"),
        ]
    }

    /// Status variables; the `Ssl_*` ones are this connection's TLS session, as a server reports
    /// them (empty without TLS).
    var status: [(String, String)] {
        let cipher = session.tlsCipher ?? ""
        // TLS 1.3 suites are the only ones named TLS_… in OpenSSL's naming.
        let version = cipher.isEmpty ? "" : (cipher.hasPrefix("TLS_") ? "TLSv1.3" : "TLSv1.2")
        return [
            ("Questions", String(questions)), ("Ssl_cipher", cipher),
            ("Ssl_session_cache_hits", String(session.sslSessionCacheHits)), ("Ssl_version", version),
            ("Threads_connected", "1"), ("Uptime", "1"),
        ]
    }

    func respond(to statement: String) -> StatementResponse {
        missed = false
        var response = answer(statement)
        response.answeredBy = missed ? nil : "builtin:default"
        observe(response)
        return response
    }

    /// Notes what a statement was answered, as a server's session remembers it.
    func observe(_ response: StatementResponse) {
        switch response.kind {
        case .ok(let ok):
            if ok.lastInsertID != 0 { lastInsertID = ok.lastInsertID }
            rowCount = Int64(clamping: ok.affectedRows)
        case .result(let result):
            rowCount = -1
            foundRows = result.rows.count
        default:
            rowCount = -1
        }
    }

    private func answer(_ statement: String) -> StatementResponse {
        questions += 1
        let text = Self.stripComments(statement)
        // The first few words are all any answer looks at (the last piece is the rest): only the
        // start of a long statement is lowercased.
        let head = String(decoding: text.utf8.prefix(Self.maxShowBytes), as: UTF8.self).lowercased()
        let words = head.utf8.split(maxSplits: 3, omittingEmptySubsequences: true, whereSeparator: Self.isSpace)
            .map { String(decoding: $0, as: UTF8.self) }
        guard let first = words.first else { return unknown(statement) }
        switch first {
        case "set", "begin", "commit", "rollback":
            return .ok()
        case "start" where words.dropFirst().first == "transaction":
            return .ok()
        case "use":
            if words.count > 1 { session.schema = String(text.split(separator: " ").last ?? "").trimmingQuotes() }
            return .ok()
        case "show" where text.utf8.count <= Self.maxShowBytes:
            return show(words: Array(words.dropFirst()), text: String(text)) ?? unknown(statement)
        case "select":
            return select(text.dropFirst(6)) ?? unknown(statement)
        default:
            return unknown(statement)
        }
    }

    /// A `SHOW` longer than this is not one the built-in trace knows.
    static let maxShowBytes = 4096

    /// SQL's white space between words (ASCII).
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    private func unknown(_ statement: String) -> StatementResponse {
        missed = true
        return .error(ErrorResponse(code: 1064, sqlState: "42000",
                                    message: "Unknown statement: \(TraceCursor.quoted(statement)) (builtin:default does not answer it)"))
    }

    // MARK: SHOW

    private func show(words: [String], text: String) -> StatementResponse? {
        var rest = words
        if let scope = rest.first, ["session", "global", "local", "full"].contains(scope) { rest.removeFirst() }
        guard let what = rest.first else { return nil }
        let pattern = Self.likePattern(text)
        switch what {
        case "variables":
            return Self.table(["Variable_name", "Value"], variables.filter { pattern.map($0.0.matchesLike) ?? true })
        case "status":
            return Self.table(["Variable_name", "Value"], status.filter { pattern.map($0.0.matchesLike) ?? true })
        case "databases", "schemas":
            let names = ["information_schema", "mock", "mysql", "performance_schema", "sys"]
            return Self.table(["Database"], names.filter { pattern.map($0.matchesLike) ?? true }.map { ($0, nil) })
        case "tables":
            return Self.table(["Tables_in_\(session.schema ?? "mock")"], [(String, String)]())
        case "warnings", "errors":
            return .result(ResultSet(columns: [
                Column(name: "Level", type: 253), Column(name: "Code", type: 3), Column(name: "Message", type: 253),
            ]))
        case "collation":
            return .result(ResultSet(
                columns: ["Collation", "Charset", "Id", "Default", "Compiled", "Sortlen", "Pad_attribute"].map {
                    Column(name: $0, type: $0 == "Id" || $0 == "Sortlen" ? 8 : 253)
                },
                rows: [
                    ["utf8mb4_0900_ai_ci", "utf8mb4", "255", "Yes", "Yes", "0", "NO PAD"],
                    ["utf8mb4_general_ci", "utf8mb4", "45", "", "Yes", "1", "PAD SPACE"],
                    ["utf8mb4_bin", "utf8mb4", "46", "", "Yes", "1", "PAD SPACE"],
                    ["latin1_swedish_ci", "latin1", "8", "Yes", "Yes", "1", "PAD SPACE"],
                    ["binary", "binary", "63", "Yes", "Yes", "1", "NO PAD"],
                ].filter { row in pattern.map { (row[0]?.text ?? "").matchesLike($0) } ?? true }))
        case "character", "charset":
            return .result(ResultSet(
                columns: ["Charset", "Description", "Default collation", "Maxlen"].map {
                    Column(name: $0, type: $0 == "Maxlen" ? 8 : 253)
                },
                rows: [
                    ["utf8mb4", "UTF-8 Unicode", "utf8mb4_0900_ai_ci", "4"],
                    ["latin1", "cp1252 West European", "latin1_swedish_ci", "1"],
                    ["binary", "Binary pseudo charset", "binary", "1"],
                ]))
        case "engines":
            return .result(ResultSet(
                columns: ["Engine", "Support", "Comment", "Transactions", "XA", "Savepoints"].map {
                    Column(name: $0, type: 253)
                },
                rows: [["InnoDB", "DEFAULT", "Supports transactions, row-level locking, and foreign keys",
                        "YES", "YES", "YES"]]))
        default:
            return nil
        }
    }

    /// The pattern of a `LIKE '…'` clause, if any.
    static func likePattern(_ text: String) -> String? {
        guard let match = text.firstMatch(of: #/(?i)\slike\s+(?:'([^']*)'|"([^"]*)")/#) else { return nil }
        return String(match.output.1 ?? match.output.2 ?? "")
    }

    static func table(_ names: [String], _ rows: [(String, String?)]) -> StatementResponse {
        .result(ResultSet(columns: names.map { Column(name: $0, type: 253) },
                          rows: rows.map { names.count == 1 ? [Cell($0.0)] : [Cell($0.0), $0.1.map(Cell.text)] }))
    }

    static func table(_ names: [String], _ rows: [(String, String)]) -> StatementResponse {
        table(names, rows.map { ($0.0, Optional($0.1)) })
    }

    // MARK: SELECT

    /// Answers `SELECT item, … [FROM DUAL] [LIMIT n]` when every item is a literal, a system
    /// variable or a known function; `nil` otherwise.
    private func select(_ list: Substring) -> StatementResponse? {
        var body = list.trimmedSubstring()
        if let (rest, _) = Self.splitTrailing(body, "limit", { !$0.isEmpty && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }) {
            body = rest
        }
        if let (rest, _) = Self.splitTrailing(body, "from", { $0.lowercased() == "dual" }) {
            body = rest
        }
        var columns: [Column] = []
        var row: [Cell?] = []
        for item in Self.splitTopLevel(body) {
            var expression = item.trimmedSubstring()
            var alias: String?
            if let (rest, name) = Self.splitTrailing(expression, "as", { !$0.isEmpty }), !rest.isEmpty {
                alias = String(name).trimmingQuotes()
                expression = rest
            }
            guard let (value, type) = evaluate(expression) else { return nil }
            columns.append(Column(name: alias ?? String(expression), type: type))
            row.append(value.map(Cell.text))
        }
        guard !columns.isEmpty else { return nil }
        return .result(ResultSet(columns: columns, rows: [row]))
    }

    /// `text` as `<rest> <keyword> <last>` (white space between, `keyword` in any case, `last` a
    /// word that `accept` takes): the rest and the last word; `nil` when it does not end so. Only
    /// the end of `text` is read.
    static func splitTrailing(_ text: Substring, _ keyword: String,
                              _ accept: (Substring) -> Bool) -> (rest: Substring, last: Substring)? {
        let bytes = text.utf8
        var end = bytes.endIndex
        while end > bytes.startIndex, isSpace(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        var start = end
        while start > bytes.startIndex, !isSpace(bytes[bytes.index(before: start)]) { start = bytes.index(before: start) }
        var keywordEnd = start
        while keywordEnd > bytes.startIndex, isSpace(bytes[bytes.index(before: keywordEnd)]) {
            keywordEnd = bytes.index(before: keywordEnd)
        }
        guard keywordEnd < start, start < end else { return nil }
        var keywordStart = keywordEnd
        while keywordStart > bytes.startIndex, !isSpace(bytes[bytes.index(before: keywordStart)]) {
            keywordStart = bytes.index(before: keywordStart)
        }
        var restEnd = keywordStart
        while restEnd > bytes.startIndex, isSpace(bytes[bytes.index(before: restEnd)]) { restEnd = bytes.index(before: restEnd) }
        // The keyword is a word of its own, after something.
        guard restEnd < keywordStart,
              String(decoding: bytes[keywordStart..<keywordEnd], as: UTF8.self).lowercased() == keyword
        else { return nil }
        let last = Substring(bytes[start..<end])
        guard accept(last) else { return nil }
        return (Substring(bytes[bytes.startIndex..<restEnd]), last)
    }

    private func evaluate(_ expression: Substring) -> (String?, UInt8)? {
        let e = expression.trimmedSubstring()
        if let quote = e.first, quote == "'" || quote == "\"", e.utf8.count >= 2, e.last == quote {
            return (String(e.dropFirst().dropLast()), 253)
        }
        // Variables, NULL, numbers and the functions below are short; a long expression is none
        // of them (and is not lowercased).
        guard e.utf8.count <= 256 else { return nil }
        let lower = e.lowercased()
        if lower.hasPrefix("@@") {
            var name = String(lower.dropFirst(2))
            for scope in ["session.", "global.", "local."] where name.hasPrefix(scope) {
                name = String(name.dropFirst(scope.count))
            }
            guard let value = variables.first(where: { $0.0 == name })?.1 else { return nil }
            return (value, Int64(value) != nil ? 8 : 253)
        }
        if lower == "null" { return (nil, 6) }
        if Int64(e) != nil { return (String(e), 8) }
        if Double(e) != nil { return (String(e), 246) }
        // The functions below are short; a long expression is none of them.
        guard e.utf8.count <= 64 else { return nil }
        switch lower.filter({ $0 != " " }) {
        case "database()", "schema()": return (session.schema, 253)
        case "user()", "current_user()", "session_user()", "system_user()":
            return ("\(session.user ?? "")@localhost", 253)
        case "version()": return (Self.version, 253)
        case "connection_id()": return (String(session.connectionID), 8)
        case "last_insert_id()": return (String(lastInsertID), 8)
        case "row_count()": return (String(rowCount), 8)
        case "found_rows()": return (String(foundRows), 8)
        case "now()", "current_timestamp()", "current_timestamp", "sysdate()":
            return ("2026-01-01 00:00:00", 12)
        default: return nil
        }
    }

    /// Splits on commas outside parentheses and quotes.
    static func splitTopLevel(_ text: Substring) -> [Substring] {
        var copy = text
        // No comma at all (found at memchr's speed): one item.
        guard copy.containsUTF8Byte(UInt8(ascii: ",")) else { return copy.trimmedSubstring().isEmpty ? [] : [text] }
        // The commas' byte offsets, read from contiguous bytes (indexing a substring's UTF-8 view
        // one byte at a time costs several times more).
        let commas: [Int] = copy.withUTF8 { bytes in
            var commas: [Int] = []
            var depth = 0
            var quote: UInt8?
            for (i, byte) in bytes.enumerated() {
                if let q = quote {
                    if byte == q { quote = nil }
                } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "`") {
                    quote = byte
                } else if byte == UInt8(ascii: "(") {
                    depth += 1
                } else if byte == UInt8(ascii: ")") {
                    depth -= 1
                } else if byte == UInt8(ascii: ","), depth == 0 {
                    commas.append(i)
                }
            }
            return commas
        }
        let utf8 = text.utf8
        var parts: [Substring] = []
        var start = utf8.startIndex
        for offset in commas {
            let comma = utf8.index(utf8.startIndex, offsetBy: offset)
            parts.append(Substring(utf8[start..<comma]))
            start = utf8.index(after: comma)
        }
        let last = Substring(utf8[start...])
        if !last.trimmedSubstring().isEmpty { parts.append(last) }
        return parts
    }

    /// Removes `/* … */` comments (an unclosed one, to the end) and trailing `;`, and trims.
    static func stripComments(_ statement: String) -> Substring {
        guard statement.containsUTF8Byte(UInt8(ascii: "/")) else { return trimmedStatement(Substring(statement)) }
        let bytes = Array(statement.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "/"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "*") {
                var j = i + 2
                while j + 1 < bytes.count, !(bytes[j] == UInt8(ascii: "*") && bytes[j + 1] == UInt8(ascii: "/")) { j += 1 }
                guard j + 1 < bytes.count else { break }
                i = j + 2
                continue
            }
            out.append(bytes[i])
            i += 1
        }
        return trimmedStatement(Substring(String(decoding: out, as: UTF8.self)))
    }

    /// Without leading white space and trailing `;` and white space.
    static func trimmedStatement(_ statement: Substring) -> Substring {
        var text = statement.trimmedSubstring()
        while let last = text.last, last == ";" || last.isWhitespace { text.removeLast() }
        return text
    }
}

extension String {
    /// SQL `LIKE` with `%` and `_` (`\` makes the next character literal), case-insensitive: the
    /// classic table of (text prefix, pattern prefix) matches, a row at a time, in time
    /// proportional to the two lengths' product and memory to the pattern's.
    func matchesLike(_ pattern: String) -> Bool {
        enum Token: Equatable { case any, one, character(Character) }
        var tokens: [Token] = []
        var escaping = false
        for c in pattern.lowercased() {
            if escaping {
                tokens.append(.character(c))
                escaping = false
            } else if c == "\\" {
                escaping = true
            } else {
                tokens.append(c == "%" ? .any : c == "_" ? .one : .character(c))
            }
        }
        if escaping { tokens.append(.character("\\")) }
        // row[k]: the text read so far matches the first k tokens.
        var row = [Bool](repeating: false, count: tokens.count + 1)
        row[0] = true
        for k in tokens.indices where tokens[k] == .any { row[k + 1] = row[k] }
        for c in lowercased() {
            var next = [Bool](repeating: false, count: tokens.count + 1)
            for k in tokens.indices {
                switch tokens[k] {
                case .any: next[k + 1] = next[k] || row[k + 1]
                case .one: next[k + 1] = row[k]
                case .character(let wanted): next[k + 1] = row[k] && c == wanted
                }
            }
            row = next
        }
        return row[tokens.count]
    }

    /// Without leading and trailing white space.
    func trimmed() -> String {
        String(Substring(self).trimmedSubstring())
    }

    func trimmingQuotes() -> String {
        guard let first, ["`", "'", "\""].contains(first), count >= 2, last == first else { return self }
        return String(dropFirst().dropLast())
    }
}

extension Substring {
    /// Without leading and trailing white space, without a copy.
    func trimmedSubstring() -> Substring {
        var text = self
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
