import CPCRE2

/// A regular expression in PCRE2's dialect (Perl-compatible, a superset of the ECMAScript
/// syntax MySQL Router's traces use), compiled once and matched against a whole statement with a
/// bounded amount of work, so that no statement (or REST filter) can keep an event loop busy.
///
/// PCRE2 backtracks, but every match runs under a match limit (backtracking steps), a depth limit
/// and a heap limit; the JIT compiler is used where the CPU has one. A match that reaches a limit
/// gives up (`Outcome.gaveUp`) instead of running on: with `matchLimit` that is about a millisecond
/// on a 2020s core, whatever the pattern and the statement.
///
/// Matching is thread-safe: the compiled pattern and the match context are read-only after `init`
/// (PCRE2: "a compiled pattern can be used by several threads at once"), and each match makes its
/// own match data.
public final class BoundedRegex: @unchecked Sendable {
    /// The pattern as written.
    public let pattern: String
    /// The capturing groups of the pattern (group 0, the whole match, not counted).
    public let captureCount: Int
    /// The named groups: name → group number (`(?<id>\d+)`, `(?P<id>…)`, `(?'id'…)`).
    public let groupNames: [String: Int]
    private let code: OpaquePointer
    private let context: OpaquePointer?

    /// Backtracking steps one match may take (PCRE2 `match_limit`; its default is 10,000,000).
    public static let matchLimit: UInt32 = 100_000
    /// Nested backtracking frames one match may hold (PCRE2 `depth_limit`).
    public static let depthLimit: UInt32 = 10_000
    /// KiB of heap one (non-JIT) match may use for its backtracking frames (PCRE2 `heap_limit`).
    public static let heapLimitKiB: UInt32 = 8 * 1024

    public enum Outcome: Equatable, Sendable {
        case match
        case noMatch
        /// A limit was reached (or the JIT stack ran out); PCRE2's error code.
        case gaveUp(Int32)
    }

    /// A pattern PCRE2 refuses, with its message and the byte offset it stopped at.
    public struct CompileError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var offset: Int
        public var description: String { "\(message) at offset \(offset)" }
    }

    /// Compiles `pattern` to match a whole UTF-8 statement (anchored at both ends).
    public init(_ pattern: String) throws(CompileError) {
        self.pattern = pattern
        var errorCode: Int32 = 0
        var errorOffset = 0
        let options = UInt32(PCRE2_ANCHORED) | UInt32(PCRE2_ENDANCHORED) | UInt32(PCRE2_UTF)
        let compiled = Self.withBytes(pattern) { pcre2_compile_8($0, $1, options, &errorCode, &errorOffset, nil) }
        guard let compiled else {
            throw CompileError(message: Self.message(for: errorCode), offset: errorOffset)
        }
        code = compiled
        captureCount = Self.captureCount(compiled)
        groupNames = Self.groupNames(compiled)
        // The JIT is an optimisation: without it (no JIT for this CPU) the interpreter runs with
        // the same limits.
        _ = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))
        context = pcre2_match_context_create_8(nil)
        if let context {
            pcre2_set_match_limit_8(context, Self.matchLimit)
            pcre2_set_depth_limit_8(context, Self.depthLimit)
            pcre2_set_heap_limit_8(context, Self.heapLimitKiB)
        }
    }

    deinit {
        pcre2_match_context_free_8(context)
        pcre2_code_free_8(code)
    }

    /// Whether the whole of `statement` matches.
    public func wholeMatch(_ statement: String) -> Outcome {
        // Without a match context the limits would be PCRE2's defaults: refuse to match at all.
        guard let context, let data = pcre2_match_data_create_8(1, nil) else { return .gaveUp(PCRE2_ERROR_NOMEMORY) }
        defer { pcre2_match_data_free_8(data) }
        // A Swift String is valid UTF-8, so PCRE2's own check (a pass over the whole subject) is
        // skipped.
        let rc = Self.withBytes(statement) { pcre2_match_8(code, $0, $1, 0, UInt32(PCRE2_NO_UTF_CHECK), data, context) }
        if rc >= 0 { return .match }
        if rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_PARTIAL { return .noMatch }
        return .gaveUp(rc)
    }

    private static func captureCount(_ code: OpaquePointer) -> Int {
        var count: UInt32 = 0
        return pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_CAPTURECOUNT), &count) == 0 ? Int(count) : 0
    }

    private static func groupNames(_ code: OpaquePointer) -> [String: Int] {
        var count: UInt32 = 0
        var entrySize: UInt32 = 0
        var table: UnsafePointer<UInt8>?
        guard pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMECOUNT), &count) == 0,
              pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMEENTRYSIZE), &entrySize) == 0,
              pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMETABLE), &table) == 0, let table, entrySize >= 3
        else { return [:] }
        var names: [String: Int] = [:]
        for entry in 0..<Int(count) {
            // Each entry: the group number (2 bytes, most significant first), then the name and a
            // zero byte, padded to the entry size.
            let base = table + entry * Int(entrySize)
            let group = Int(base[0]) << 8 | Int(base[1])
            let nameBytes = UnsafeBufferPointer(start: base + 2, count: Int(entrySize) - 2)
            let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
            names[name] = group
        }
        return names
    }

    /// The text of each group (0: the whole statement, even after a `\K`) when the whole of `statement` matches; a
    /// group that took no part in the match is `nil`. `nil` when it does not match or gives up.
    public func captures(_ statement: String) -> [Substring?]? {
        let groups = captureCount + 1
        guard let context, let data = pcre2_match_data_create_8(UInt32(groups), nil) else { return nil }
        defer { pcre2_match_data_free_8(data) }
        let rc = Self.withBytes(statement) { pcre2_match_8(code, $0, $1, 0, UInt32(PCRE2_NO_UTF_CHECK), data, context) }
        guard rc >= 0, let ovector = pcre2_get_ovector_pointer_8(data) else { return nil }
        let utf8 = statement.utf8
        return (0..<groups).map { group in
            // Anchored at both ends, a match is the whole statement, whatever `\K` says of its start.
            if group == 0 { return statement[...] }
            let (start, end) = (Int(truncatingIfNeeded: ovector[2 * group]), Int(truncatingIfNeeded: ovector[2 * group + 1]))
            // PCRE2_UNSET (all ones) reads as -1; offsets of a UTF-8 match fall on character boundaries.
            guard start >= 0, end >= start, end <= utf8.count else { return nil }
            let lower = utf8.index(utf8.startIndex, offsetBy: start)
            let upper = utf8.index(lower, offsetBy: end - start)
            return statement[lower..<upper]
        }
    }

    /// PCRE2's text for an error code.
    public static func message(for code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = pcre2_get_error_message_8(code, &buffer, buffer.count)
        guard n > 0 else { return "PCRE2 error \(code)" }
        return String(decoding: buffer.prefix(Int(n)), as: UTF8.self)
    }

    /// The UTF-8 bytes of `text`, never through a null pointer (PCRE2 10.42 refuses NULL even
    /// with length 0, and an empty String may give one).
    private static func withBytes<R>(_ text: String, _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
        var text = text
        return text.withUTF8 { bytes in
            if let base = bytes.baseAddress { return body(base, bytes.count) }
            var zero: UInt8 = 0
            return withUnsafePointer(to: &zero) { body($0, 0) }
        }
    }
}
