/// A value inside a trace document together with its JSON path, so that every type check can say
/// exactly where it failed.
struct TraceNode {
    var value: JSONValue
    var path: String
    var file: String

    func error(_ message: String) -> TraceError {
        TraceError(file: file, path: path, message: message)
    }

    func child(_ key: String) -> TraceNode? {
        guard case .object(let members) = value, let v = members[key] else { return nil }
        let p = path.isEmpty ? key : "\(path).\(key)"
        return TraceNode(value: v, path: p, file: file)
    }

    /// A member that is present and not `null`.
    func member(_ key: String) -> TraceNode? {
        guard let c = child(key), c.value != .null else { return nil }
        return c
    }

    func has(_ key: String) -> Bool { member(key) != nil }

    func elements() throws(TraceError) -> [TraceNode] {
        guard case .array(let items) = value else { throw error("expected an array, got \(value.typeName)") }
        return items.enumerated().map { TraceNode(value: $1, path: "\(path)[\($0)]", file: file) }
    }

    func requireObject() throws(TraceError) {
        guard case .object = value else { throw error("expected an object, got \(value.typeName)") }
    }

    func string() throws(TraceError) -> String {
        guard case .string(let s) = value else { throw error("expected a string, got \(value.typeName)") }
        return s
    }

    func bool() throws(TraceError) -> Bool {
        guard case .bool(let b) = value else { throw error("expected true or false, got \(value.typeName)") }
        return b
    }

    /// The last component of the path (`decimals` in `stmts[0].result.columns[1].decimals`).
    var fieldName: String {
        String(path.split(separator: ".").last ?? Substring(path))
    }

    /// An unsigned integer that fits `T`; fractions are truncated, as the reference does.
    func unsigned<T: FixedWidthInteger & UnsignedInteger>(_: T.Type = T.self) throws(TraceError) -> T {
        let outOfRange = error("value out-of-range for field \"\(fieldName)\", expected 0…\(T.max)")
        switch value {
        case .int(let i):
            guard i >= 0, let v = T(exactly: i) else { throw outOfRange }
            return v
        case .uint(let u):
            guard let v = T(exactly: u) else { throw outOfRange }
            return v
        case .double, .decimal:
            let d = value.doubleValue ?? .nan
            guard d.isFinite, d >= 0, d < 18_446_744_073_709_551_616.0 else { throw outOfRange }
            guard let v = T(exactly: UInt64(d)) else { throw outOfRange }
            return v
        default:
            throw error("wrong type for field \"\(fieldName)\", expected unsigned number, got \(value.typeName)")
        }
    }

    func number() throws(TraceError) -> Double {
        switch value {
        case .int(let i): return Double(i)
        case .uint(let u): return Double(u)
        case .double(let d): return d
        case .decimal(let text): return Double(text) ?? .nan
        default: throw error("expected a number, got \(value.typeName)")
        }
    }

    static let maxMilliseconds = 9e12

    /// A delay in milliseconds (fractions allowed), not negative.
    func milliseconds() throws(TraceError) -> Duration {
        let ms = try number()
        guard ms.isFinite, ms >= 0 else { throw error("exec_time must be a non-negative number of milliseconds") }
        // Int64 microseconds end near 9.2e15 ms; anything near that trapped (found by the fuzzer).
        guard ms <= Self.maxMilliseconds else {
            throw error("exec_time must be at most \(Int64(Self.maxMilliseconds)) ms (about 285 years), got \(JSONValue.format(ms))")
        }
        return .microseconds(Int64(ms * 1000))
    }

    func optionalString(_ key: String) throws(TraceError) -> String? { try member(key)?.string() }

    func optionalUnsigned<T: FixedWidthInteger & UnsignedInteger>(_ key: String, _: T.Type = T.self)
        throws(TraceError) -> T?
    {
        try member(key)?.unsigned(T.self)
    }
}
