/// A trace that cannot be used: where (file and JSON path, e.g. `stmts[3].result.columns[0].type`)
/// and what was expected there.
public struct TraceError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// JSON path of the offending value; empty for whole-file problems.
    public var path: String
    public var message: String

    public init(file: String, path: String, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    public var description: String {
        path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)"
    }
}
