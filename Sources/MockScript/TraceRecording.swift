import MockModel

/// What a recorder saw of a real server, as a JSON trace the mock replays (issue 19): the
/// greeting's facts, the user (never a password, scramble or auth response, unless one is given
/// explicitly), and each statement with its answers.
///
/// A statement is written once, at the place it was first seen. When every answer it got was the
/// same, the entry has that answer; when its answers differed, the entry has all of them in
/// `answers`, in the order they came, so replay gives them in the same order.
package struct TraceRecording: Sendable {
    /// The greeting as the server sent it.
    package struct Greeting: Sendable, Equatable {
        package var serverVersion: String
        package var capabilities: UInt32
        package var statusFlags: UInt16
        package var characterSet: UInt8
        package var authMethod: String

        package init(serverVersion: String, capabilities: UInt32, statusFlags: UInt16, characterSet: UInt8,
                     authMethod: String) {
            (self.serverVersion, self.capabilities, self.statusFlags) = (serverVersion, capabilities, statusFlags)
            (self.characterSet, self.authMethod) = (characterSet, authMethod)
        }
    }

    package var greeting: Greeting?
    /// The user the trace accepts (`handshake.auth.username`).
    package var user: String?
    /// A password for `handshake.auth`, only when one was given on purpose.
    package var password: String?
    /// Statements in the order first seen, with the answers each got (as trace JSON) as runs of
    /// the same answer: a statement asked a million times with one answer costs one.
    private var order: [String] = []
    private var answers: [String: [(answer: JSONValue, count: Int)]] = [:]

    package init() {}

    /// Statements recorded so far.
    package var statementCount: Int { order.count }

    /// Notes that `statement` was answered with `answer` (its results in order).
    package mutating func record(_ statement: String, _ answer: [StatementResponse]) {
        guard !answer.isEmpty else { return }
        record(statement, json: TraceEncoder.answer(answer))
    }

    /// Notes that `statement` got the same answer as the last time it was recorded; `false` (and
    /// nothing noted) if it was never recorded.
    package mutating func repeatLast(_ statement: String) -> Bool {
        guard var runs = answers.removeValue(forKey: statement) else { return false }
        if let last = runs.indices.last { runs[last].count += 1 }
        answers[statement] = runs
        return true
    }

    /// The same with the answer already as trace JSON.
    package mutating func record(_ statement: String, json: JSONValue) {
        var runs = answers.removeValue(forKey: statement) ?? []
        if runs.isEmpty { order.append(statement) }
        if let last = runs.indices.last, runs[last].answer == json {
            runs[last].count += 1
        } else {
            runs.append((json, 1))
        }
        answers[statement] = runs
    }

    /// Forgets the statements (the greeting and user stay).
    package mutating func reset() {
        order.removeAll()
        answers.removeAll()
    }

    /// The trace: `handshake` (greeting facts, user) and `stmts`.
    package var trace: JSONValue {
        var handshake: [String: JSONValue] = [:]
        if let greeting {
            handshake["greeting"] = .object([
                "server_version": .string(greeting.serverVersion),
                "capabilities": .uint(UInt64(greeting.capabilities)),
                "status_flags": .uint(UInt64(greeting.statusFlags)),
                "character_set": .uint(UInt64(greeting.characterSet)),
                "auth_method": .string(greeting.authMethod),
            ])
        }
        var auth: [String: JSONValue] = [:]
        if let user { auth["username"] = .string(user) }
        if let password { auth["password"] = .string(password) }
        if !auth.isEmpty { handshake["auth"] = .object(auth) }
        let stmts: [JSONValue] = order.map { statement in
            let runs = answers[statement] ?? []
            var entry: [String: JSONValue]
            if runs.count == 1, case .object(let object) = runs[0].answer {
                entry = object
            } else {
                // Every answer in order; the last run once, as replay repeats the last answer.
                var seen: [JSONValue] = []
                for (index, run) in runs.enumerated() {
                    seen += repeatElement(run.answer, count: index == runs.count - 1 ? 1 : run.count)
                }
                entry = ["answers": .array(seen)]
            }
            entry["stmt"] = .string(statement)
            return .object(entry)
        }
        var document: [String: JSONValue] = ["stmts": .array(stmts)]
        if !handshake.isEmpty { document["handshake"] = .object(handshake) }
        return .object(document)
    }

    /// The trace as text a person can read and edit: the handshake on one line, then one line per
    /// statement with `stmt` first.
    package var text: String {
        guard case .object(var document) = trace, case .array(let stmts)? = document.removeValue(forKey: "stmts") else {
            return trace.jsonText
        }
        var out = "{\n"
        if let handshake = document["handshake"] { out += "  \"handshake\": \(handshake.jsonText),\n" }
        out += "  \"stmts\": ["
        for (index, entry) in stmts.enumerated() {
            out += index == 0 ? "\n    " : ",\n    "
            guard case .object(var members) = entry, let stmt = members.removeValue(forKey: "stmt") else {
                out += entry.jsonText
                continue
            }
            out += "{\"stmt\": \(stmt.jsonText)"
            for (key, value) in members.sorted(by: { $0.key < $1.key }) {
                out += ", \(JSONValue.string(key).jsonText): \(value.jsonText)"
            }
            out += "}"
        }
        out += stmts.isEmpty ? "]\n}\n" : "\n  ]\n}\n"
        return out
    }
}
