import Hummingbird
import MockModel
import MockScript
import MockServer
import NIOCore

/// Why a request body was refused: `415 Unsupported Media Type` without `Content-Type:
/// application/json`, `422 Unprocessable Content` when the JSON does not parse or has the wrong
/// shape. The message names the problem (for a parse error: line and column).
package struct AdminBodyError: Error, Equatable, Sendable {
    package var status: HTTPResponse.Status
    package var message: String

    package init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// Request bodies of the admin API, decoded without I/O (so they can be fuzzed on their own).
package enum AdminRequestBody {
    /// A body as JSON: `contentType` must be `application/json` (parameters such as `charset` are
    /// ignored); the text must parse.
    package static func json(contentType: String?, body: ByteBuffer) -> Result<JSONValue, AdminBodyError> {
        let type = contentType?.split(separator: ";").first.map { $0.trimmingASCIISpaces } ?? ""
        guard type.lowercased() == "application/json" else {
            return .failure(AdminBodyError(.unsupportedMediaType, "Content-Type must be application/json"))
        }
        let text = String(decoding: body.readableBytesView, as: UTF8.self)
        do {
            return .success(try JSONValue(parsing: text))
        } catch {
            return .failure(AdminBodyError(.unprocessableContent, error.message))
        }
    }

    /// A body that must be a JSON object (globals, journal wait).
    package static func object(contentType: String?, body: ByteBuffer) -> Result<[String: JSONValue], AdminBodyError> {
        switch json(contentType: contentType, body: body) {
        case .success(.object(let members)):
            return .success(members)
        case .success(let other):
            return .failure(AdminBodyError(.unprocessableContent, "expected a JSON object, got \(other.typeName)"))
        case .failure(let error):
            return .failure(error)
        }
    }
}

/// `POST /api/v1/mock_server/journal/wait`: `{"stmt": "…"}` or `{"stmt_regex": "…"}`, optional
/// `"count"` (≥ 1, default 1) and `"timeout_ms"` (≥ 0, default 5000).
/// `POST /faults`: `{"fault": …, "count": n, "stmt" | "stmt_regex": …, "connection": id}`.
package struct ArmFaultRequest: Sendable {
    package var armed: FaultArmory.Armed

    package init(members: [String: JSONValue]) throws(AdminBodyError) {
        guard let value = members["fault"] else { throw AdminBodyError(.unprocessableContent, "missing \"fault\"") }
        let fault: Fault
        do {
            fault = try Fault(json: value)
        } catch {
            throw AdminBodyError(.unprocessableContent, error.message)
        }
        var count = 1
        switch members["count"] {
        case nil: break
        case .int(let n)? where n >= 1 && n <= Int64(Int32.max): count = Int(n)
        default: throw AdminBodyError(.unprocessableContent, "count must be a whole number from 1 to \(Int32.max)")
        }
        var connection: UInt32?
        switch members["connection"] {
        case nil: break
        case .int(let n)? where n >= 0 && n <= Int64(UInt32.max): connection = UInt32(n)
        default: throw AdminBodyError(.unprocessableContent, "connection must be a connection id (a whole number)")
        }
        var filter: String?
        var matches: (@Sendable (String) -> Bool)?
        if members["stmt"] != nil || members["stmt_regex"] != nil {
            let wait = try JournalWaitRequest(members: ["stmt": members["stmt"], "stmt_regex": members["stmt_regex"]]
                .compactMapValues { $0 })
            matches = wait.matches
            filter = members["stmt"].map { "stmt: \($0.jsonText)" } ?? members["stmt_regex"].map { "stmt_regex: \($0.jsonText)" }
        }
        let known: Set = ["fault", "count", "connection", "stmt", "stmt_regex"]
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw AdminBodyError(.unprocessableContent, "unknown member \"\(unknown)\": expected fault, count, connection, stmt or stmt_regex")
        }
        armed = FaultArmory.Armed(fault: fault, count: count, connectionID: connection, filterDescription: filter,
                                  matches: matches)
    }
}

/// `PUT /api/v1/mock_server/scenarios/{name}`: `{"state": "…"}`, with `"connection": id` for a
/// scenario kept per connection or `"user": "name"` for one kept per user.
package struct MoveScenarioRequest: Sendable, Equatable {
    package var state: String
    package var connection: UInt32?
    package var user: String?

    package init(members: [String: JSONValue]) throws(AdminBodyError) {
        guard case .string(let state)? = members["state"] else {
            throw AdminBodyError(.unprocessableContent, "expected \"state\" (a string)")
        }
        self.state = state
        switch members["connection"] {
        case nil: break
        case .int(let n)? where n >= 0 && n <= Int64(UInt32.max): connection = UInt32(n)
        default: throw AdminBodyError(.unprocessableContent, "connection must be a connection id (a whole number)")
        }
        switch members["user"] {
        case nil: break
        case .string(let name)?: user = name
        default: throw AdminBodyError(.unprocessableContent, "user must be a user name (a string)")
        }
        let known: Set = ["state", "connection", "user"]
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw AdminBodyError(.unprocessableContent, "unknown member \"\(unknown)\": expected state, connection or user")
        }
    }
}

package struct JournalWaitRequest: Sendable {
    package var matches: @Sendable (String) -> Bool
    package var count: Int
    package var timeoutMilliseconds: Int64

    package init(members: [String: JSONValue]) throws(AdminBodyError) {
        switch (members["stmt"], members["stmt_regex"]) {
        case (.string(let text)?, nil):
            matches = { $0 == text }
        case (nil, .string(let pattern)?):
            let regex: BoundedRegex
            do {
                regex = try BoundedRegex(pattern)
            } catch {
                throw AdminBodyError(.unprocessableContent, "stmt_regex is not a valid regular expression: \(pattern): \(error)")
            }
            // Bounded like a trace's regex; a statement it gives up on does not count.
            matches = { regex.wholeMatch($0) == .match }
        default:
            throw AdminBodyError(.unprocessableContent, "expected exactly one of \"stmt\" or \"stmt_regex\" (a string)")
        }
        switch members["count"] {
        case nil: count = 1
        case .int(let n)? where n >= 1 && n <= Int64(Int32.max): count = Int(n)
        default: throw AdminBodyError(.unprocessableContent, "count must be a whole number from 1 to \(Int32.max)")
        }
        switch members["timeout_ms"] {
        case nil: timeoutMilliseconds = 5000
        case .int(let n)? where n >= 0 && n <= 86_400_000: timeoutMilliseconds = n
        default: throw AdminBodyError(.unprocessableContent, "timeout_ms must be a whole number from 0 to 86400000")
        }
    }
}

/// `PUT` replaces all globals, `PATCH` merges (reference spec §7: values are stored as JSON text).
package enum GlobalsUpdate {
    package static func apply(_ members: [String: JSONValue], replacingAll: Bool, to globals: GlobalStore) {
        let texts = members.mapValues(\.jsonText)
        if replacingAll {
            globals.replaceAll(with: texts)
        } else {
            for (key, value) in texts { globals.set(key, json: value) }
        }
    }
}

extension Substring {
    var trimmingASCIISpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
