import FoundationEssentials
import Logging
import MockModel

/// Loads the trace a `--filename` names: `builtin:<name>`, a JSON file (`.json`, or text starting
/// with `{`), or a JavaScript file (anything else).
public enum TraceLoader {
    /// - Parameters:
    ///   - modulePrefixes: where JavaScript `require()` looks (`<prefix>/local_modules`,
    ///     `<prefix>/npm/node_modules`); the working directory when empty.
    ///   - globals: the process-wide `mysqld.global` store.
    ///   - scriptLimits: time per call and memory per heap for a JavaScript trace.
    public static func load(
        _ filename: String, modulePrefixes: [String] = [], globals: GlobalStore = GlobalStore(),
        logger: Logger = Logger(label: "mock_server"), scriptLimits: ScriptLimits = ScriptLimits()
    ) throws(TraceError) -> any Trace {
        if filename.hasPrefix("builtin:") {
            guard let trace = BuiltinTraces.named(filename) else {
                throw TraceError(file: filename, path: "",
                                 message: "no such built-in trace; known: \(BuiltinTraces.names.joined(separator: ", "))")
            }
            return trace
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: filename))
        } catch {
            throw TraceError(file: filename, path: "", message: "cannot read the trace file: \(describe(error))")
        }
        let text = String(decoding: data, as: UTF8.self)
        if filename.hasSuffix(".json") || text.drop(while: { $0.isWhitespace }).first == "{" {
            return try JSONTrace(json: text, name: filename, globals: globals)
        }
        let prefixes = modulePrefixes.isEmpty ? [FileManager.default.currentDirectoryPath] : modulePrefixes
        return JavaScriptTrace(source: text, file: filename, modulePrefixes: prefixes, globals: globals, logger: logger,
                               limits: scriptLimits)
    }

    private static func describe(_ error: any Error) -> String {
        if let cocoa = error as? CocoaError, cocoa.code == .fileReadNoSuchFile { return "no such file" }
        if let cocoa = error as? CocoaError, cocoa.code == .fileReadNoPermission { return "permission denied" }
        return "\(error)"
    }
}
