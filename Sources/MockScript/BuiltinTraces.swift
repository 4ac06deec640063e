import MockModel

/// Traces built into the binary, loadable as `--filename builtin:<name>`.
public enum BuiltinTraces {
    public static let names = ["builtin:default"]

    /// The built-in trace called `name` (with or without the `builtin:` prefix).
    public static func named(_ name: String) -> (any Trace)? {
        switch name {
        case "builtin:default", "default": DefaultTrace()
        default: nil
        }
    }
}
