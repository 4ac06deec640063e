import MockModel
import MockScript

/// The input is a trace file's text. The JSON parser must never trap, and what it parses must
/// print as JSON that parses back to the same value; a trace that loads must answer its handshake
/// phases and statements (the one it was fed and a few fixed ones) without trapping.
enum JSONTraceFuzzTarget {
    static let statements = ["select 1", "SELECT @@version_comment LIMIT 1", "", "show databases"]

    @Sendable
    static func run(_ data: [UInt8]) throws(FuzzFailure) {
        let text = String(decoding: data, as: UTF8.self)
        if let value = try? JSONValue(parsing: text) {
            let printed = value.jsonText
            let again: JSONValue
            do {
                again = try JSONValue(parsing: printed)
            } catch {
                throw FuzzFailure("\(value) prints as \(printed), which does not parse: \(error.message)")
            }
            guard again.isEquivalent(to: value) else {
                throw FuzzFailure("\(value) prints as \(printed), which parses to \(again)")
            }
        }
        guard let trace = try? JSONTrace(json: text, name: "fuzz.json") else { return }
        let responder = trace.makeResponder(for: SessionInfo(connectionID: 1, port: 3306, peer: "fuzz"))
        _ = responder.handshake(.greeting)
        _ = responder.handshake(.auth)
        _ = responder.notices()
        for statement in statements + [String(text.prefix(64))] {
            _ = responder.prepare(statement)
            _ = responder.respond(to: statement)
        }
        responder.sessionClosed()
    }
}

extension JSONValue {
    /// Equal as JSON numbers compare: integral doubles print without a fraction, as JavaScript
    /// prints them (`2.0` → `2`), so they read back as integers on purpose.
    func isEquivalent(to other: JSONValue) -> Bool {
        switch (self, other) {
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.isEquivalent(to: $1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { value.isEquivalent(to: $0) } ?? false }
        case (.int, .int), (.uint, .uint), (.double, .double), (.decimal, .decimal):
            return self == other
        default:
            if let x = numberValue, let y = other.numberValue { return x == y }
            return self == other
        }
    }

    var numberValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .uint(let u): return Double(u)
        case .double(let d): return d
        case .decimal(let text): return Double(text)
        default: return nil
        }
    }
}
