import FoundationEssentials
import MockScript

/// A cluster of mock servers in one process (`--cluster <file>`), as a JSON document:
///
/// ```json
/// {"bind_address": "127.0.0.1", "http_port": 8080,
///  "globals": {"gr_id": "uuid-group"},
///  "nodes": [
///    {"name": "a", "port": 3310, "xport": 33100, "filename": "metadata.js", "role": "PRIMARY",
///     "globals": {"gr_pos": 0}},
///    {"name": "b", "port": 3320, "filename": "metadata.js", "role": "SECONDARY"}
///  ]}
/// ```
///
/// `globals` at the top are shared by every node; a node's own `globals` are read first. A port of
/// 0 (or none) picks a free one; `xport` is optional. File names are relative to the
/// configuration file's folder.
public struct ClusterConfiguration: Sendable {
    public struct Node: Sendable {
        public var name: String
        public var port: Int
        public var xport: Int?
        public var filename: String
        public var role: String
        public var globals: [String: String]

        public init(name: String, port: Int = 0, xport: Int? = nil, filename: String = "builtin:default",
                    role: String = "", globals: [String: String] = [:]) {
            (self.name, self.port, self.xport, self.filename) = (name, port, xport, filename)
            (self.role, self.globals) = (role, globals)
        }
    }

    public var bindAddress: String
    public var httpPort: Int?
    /// Shared by every node (JSON text per key).
    public var globals: [String: String]
    public var nodes: [Node]

    public init(bindAddress: String = "127.0.0.1", httpPort: Int? = nil, globals: [String: String] = [:], nodes: [Node]) {
        (self.bindAddress, self.httpPort, self.globals, self.nodes) = (bindAddress, httpPort, globals, nodes)
    }

    /// A configuration problem: where (the JSON path) and what.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ file: String, _ path: String, _ message: String) {
            description = path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)"
        }
    }

    /// Reads and checks the file at `path`.
    public static func load(_ path: String) throws(Problem) -> ClusterConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem(path, "", "cannot read the cluster configuration")
        }
        let root: JSONValue
        do {
            root = try JSONValue(parsing: String(decoding: data, as: UTF8.self))
        } catch {
            throw Problem(path, "", "not JSON: \(error)")
        }
        let folder = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
        return try parse(root, file: path, folder: folder)
    }

    static func parse(_ root: JSONValue, file: String, folder: String) throws(Problem) -> ClusterConfiguration {
        guard case .object(let top) = root else { throw Problem(file, "", "expected a JSON object") }
        try known(top, ["bind_address", "http_port", "globals", "nodes"], file: file, path: "")
        let bind = try string(top["bind_address"], file: file, path: "bind_address") ?? "127.0.0.1"
        let http = try port(top["http_port"], file: file, path: "http_port", allowZero: false)
        let globals = try globalsObject(top["globals"], file: file, path: "globals")
        guard case .array(let list)? = top["nodes"], !list.isEmpty else {
            throw Problem(file, "nodes", "expected a non-empty array of nodes")
        }
        var nodes: [Node] = []
        for (index, item) in list.enumerated() {
            let path = "nodes[\(index)]"
            guard case .object(let node) = item else { throw Problem(file, path, "expected an object") }
            try known(node, ["name", "port", "xport", "filename", "role", "globals"], file: file, path: path)
            let name = try string(node["name"], file: file, path: "\(path).name") ?? "node\(index + 1)"
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
                throw Problem(file, "\(path).name", "a node name is letters, digits, '-', '_' and '.'")
            }
            guard !nodes.contains(where: { $0.name == name }) else { throw Problem(file, "\(path).name", "\"\(name)\" is used twice") }
            var filename = try string(node["filename"], file: file, path: "\(path).filename") ?? "builtin:default"
            if !filename.hasPrefix("/"), !filename.hasPrefix("builtin:") { filename = "\(folder)/\(filename)" }
            nodes.append(Node(
                name: name, port: try port(node["port"], file: file, path: "\(path).port") ?? 0,
                xport: try port(node["xport"], file: file, path: "\(path).xport"), filename: filename,
                role: try string(node["role"], file: file, path: "\(path).role") ?? "",
                globals: try globalsObject(node["globals"], file: file, path: "\(path).globals")))
        }
        let fixed = nodes.flatMap { [$0.port, $0.xport ?? 0] }.filter { $0 != 0 } + (http.map { [$0] } ?? [])
        if let twice = fixed.first(where: { port in fixed.filter { $0 == port }.count > 1 }) {
            throw Problem(file, "nodes", "port \(twice) is given twice")
        }
        return ClusterConfiguration(bindAddress: bind, httpPort: http, globals: globals, nodes: nodes)
    }

    private static func known(_ object: [String: JSONValue], _ names: [String], file: String, path: String) throws(Problem) {
        if let unknown = object.keys.sorted().first(where: { !names.contains($0) }) {
            throw Problem(file, path, "unknown member \"\(unknown)\"; expected \(names.joined(separator: ", "))")
        }
    }

    private static func string(_ value: JSONValue?, file: String, path: String) throws(Problem) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let other?: throw Problem(file, path, "expected a string, got \(other.typeName)")
        }
    }

    private static func port(_ value: JSONValue?, file: String, path: String, allowZero: Bool = true) throws(Problem) -> Int? {
        switch value {
        case nil, .null?: return nil
        case .int(let n)? where n >= (allowZero ? 0 : 1) && n <= 65535: return Int(n)
        case .uint(let n)? where n <= 65535: return Int(n)
        case let other?: throw Problem(file, path, "expected a port number \(allowZero ? 0 : 1)–65535, got \(other.jsonText)")
        }
    }

    private static func globalsObject(_ value: JSONValue?, file: String, path: String) throws(Problem) -> [String: String] {
        switch value {
        case nil, .null?: return [:]
        case .object(let members)?: return members.mapValues(\.jsonText)
        case let other?: throw Problem(file, path, "expected an object of globals, got \(other.typeName)")
        }
    }
}
