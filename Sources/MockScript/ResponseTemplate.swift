import MockModel

/// What the values in a trace entry's response may stand for, filled in when the entry answers:
///
/// - `{"$global": "name", "default": value}`: the global's current value (REST, `mysqld.global`);
/// - `{"$match": 1}`, `{"$match": "name"}`: the text of a group of the entry's `stmt.regex` as
///   it matched this statement (`0`: the whole statement; also on `stmt` entries);
/// - `{"$session": "connection_id" | "user" | "schema" | "port"}`: the client's session.
///
/// A text that is a whole number in canonical form (`42`, `-7`, not `007`) becomes a number, so it
/// can fill `affected_rows` or `last_insert_id`; a cell prints the same either way. A group that
/// took no part in the match, a session without a user or schema, and a global that is not set
/// give `default`, else `null`.
struct TemplateValues {
    var global: (String) -> String? = { _ in nil }
    /// The groups of the match (`BoundedRegex.captures`), and the pattern's group names.
    var captures: [Substring?] = []
    var groupNames: [String: Int] = [:]
    var session: SessionInfo?

    static let sessionFields = ["connection_id", "user", "schema", "port"]

    func value(of reference: Reference) -> JSONValue? {
        switch reference {
        case .global(let name):
            return global(name).flatMap { try? JSONValue(parsing: $0) }
        case .match(let group):
            let index: Int?
            switch group {
            case .int(let n): index = Int(exactly: n)
            case .string(let name): index = groupNames[name]
            default: index = nil
            }
            guard let index, captures.indices.contains(index), let text = captures[index] else { return nil }
            return Self.numberOrText(String(text))
        case .session(let field):
            guard let session else { return nil }
            switch field {
            case "connection_id": return .int(Int64(session.connectionID))
            case "user": return session.user.map(JSONValue.string)
            case "schema": return session.schema.map(JSONValue.string)
            case "port": return .int(Int64(session.port))
            default: return nil
            }
        }
    }

    /// `42` → 42, `-7` → -7, `18446744073709551615` → that number; anything else stays text.
    static func numberOrText(_ text: String) -> JSONValue {
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        let canonical = !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber } && (digits == "0" || digits.first != "0")
        if canonical, text != "-0" {
            if let n = Int64(text) { return .int(n) }
            if let n = UInt64(text) { return .uint(n) }
        }
        return .string(text)
    }

    /// One template object: which value, and its `default`.
    enum Reference {
        case global(String)
        case match(JSONValue)
        case session(String)
    }

    static func reference(_ members: [String: JSONValue]) -> Reference? {
        if case .string(let name)? = members["$global"] { return .global(name) }
        if let group = members["$match"] { return .match(group) }
        if case .string(let field)? = members["$session"] { return .session(field) }
        return nil
    }
}

extension JSONValue {
    /// Whether the value holds a template (`$global`, `$match`, `$session`) anywhere.
    var isTemplate: Bool {
        switch self {
        case .object(let members):
            if TemplateValues.reference(members) != nil { return true }
            return members.values.contains { $0.isTemplate }
        case .array(let items):
            return items.contains { $0.isTemplate }
        default:
            return false
        }
    }

    /// Whether the value takes a group of the statement's match anywhere (`$match`).
    var usesMatch: Bool {
        switch self {
        case .object(let members):
            if case .match? = TemplateValues.reference(members) { return true }
            return members.values.contains { $0.usesMatch }
        case .array(let items):
            return items.contains { $0.usesMatch }
        default:
            return false
        }
    }

    /// Every template replaced by what it stands for (or its `default`, or `null`).
    func substituting(_ values: TemplateValues) -> JSONValue {
        switch self {
        case .object(let members):
            if let reference = TemplateValues.reference(members) {
                return values.value(of: reference) ?? members["default"] ?? .null
            }
            return .object(members.mapValues { $0.substituting(values) })
        case .array(let items):
            return .array(items.map { $0.substituting(values) })
        default:
            return self
        }
    }

    /// Only the globals filled in (a handshake, which has no statement).
    func substitutingGlobals(_ lookup: @escaping (String) -> String?) -> JSONValue {
        substituting(TemplateValues(global: lookup))
    }
}

extension TraceNode {
    /// Checks the `$match` and `$session` templates of an entry at load: a group the entry's
    /// matcher has (a number up to its group count, or one of its names; only 0 without a regex),
    /// and a session field that exists.
    func checkTemplates(matcher: StatementMatcher?) throws(TraceError) {
        switch value {
        case .object(let members):
            switch TemplateValues.reference(members) {
            case .match(let group)?:
                let regex: BoundedRegex? = if case .regex(let r)? = matcher { r } else { nil }
                let groups = regex?.captureCount ?? 0
                switch group {
                case .int(let n):
                    guard n >= 0, n <= groups else {
                        throw error("no group \(n) to take: " + (regex.map { "\"\($0.pattern)\" has \(groups) group\(groups == 1 ? "" : "s")" }
                            ?? "only 0 (the whole statement) without 'stmt.regex'"))
                    }
                case .string(let name):
                    let names = regex?.groupNames ?? [:]
                    guard names[name] != nil else {
                        throw error("no group named \"\(name)\" to take; "
                            + (names.isEmpty ? "the entry's regex names none" : "named: " + names.keys.sorted().joined(separator: ", ")))
                    }
                default:
                    throw error("expected '$match' to be a group number or name, got \(group.typeName)")
                }
            case .session(let field)?:
                guard TemplateValues.sessionFields.contains(field) else {
                    throw error("unknown session field \"\(field)\"; known: " + TemplateValues.sessionFields.joined(separator: ", "))
                }
            case .global?: break
            case nil:
                if let field = members["$session"] {
                    throw error("expected '$session' to be a field name (a string), got \(field.typeName)")
                }
                for key in members.keys.sorted() {
                    try child(key)?.checkTemplates(matcher: matcher)
                }
            }
        case .array:
            for item in try elements() { try item.checkTemplates(matcher: matcher) }
        default:
            break
        }
    }
}
