import FoundationEssentials
import MockModel

/// Loads the trace a `--filename` names: `builtin:<name>`, a JSON file, or (later) JavaScript.
public enum TraceLoader {
    public static func load(_ filename: String) throws(TraceError) -> any Trace {
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
            return try JSONTrace(json: text, name: filename)
        }
        throw TraceError(file: filename, path: "",
                         message: "not a JSON trace (JavaScript traces are not supported by this build yet)")
    }

    private static func describe(_ error: any Error) -> String {
        if let cocoa = error as? CocoaError, cocoa.code == .fileReadNoSuchFile { return "no such file" }
        if let cocoa = error as? CocoaError, cocoa.code == .fileReadNoPermission { return "permission denied" }
        return "\(error)"
    }
}
