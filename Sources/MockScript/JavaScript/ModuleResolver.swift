import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Node-style `require()` resolution over the module search paths (reference spec §4.4).
enum ModuleResolver {
    /// The search paths for module prefixes: `<prefix>/local_modules`, `<prefix>/npm/node_modules`.
    static func searchPaths(prefixes: [String]) -> [String] {
        prefixes.flatMap { ["\($0)/local_modules", "\($0)/npm/node_modules"] }
    }

    /// The canonical path of module `id` required from `parent` (a file path), or `nil`.
    static func resolve(id: String, parent: String, paths: [String]) -> String? {
        if id.hasPrefix("/") { return candidate(base: id) }
        if id.hasPrefix("./") || id.hasPrefix("../") || id == "." || id == ".." {
            let dir = parent.isEmpty ? "." : directory(of: parent)
            return candidate(base: "\(dir)/\(id)")
        }
        for dir in paths {
            if let found = candidate(base: "\(dir)/\(id)") { return found }
        }
        return nil
    }

    /// `base`, `base.js`, `base/package.json`'s `main`, `base/index.js`.
    private static func candidate(base: String) -> String? {
        if isFile(base) { return realpath(base) }
        if isFile(base + ".js") { return realpath(base + ".js") }
        if let main = packageMain(base) {
            for path in ["\(base)/\(main)", "\(base)/\(main).js", "\(base)/\(main)/index.js"] where isFile(path) {
                return realpath(path)
            }
        }
        if isFile("\(base)/index.js") { return realpath("\(base)/index.js") }
        return nil
    }

    private static func packageMain(_ dir: String) -> String? {
        guard let data = FileManager.default.contents(atPath: "\(dir)/package.json"),
              case .object(let members)? = try? JSONDocument.parse(String(decoding: data, as: UTF8.self), file: dir),
              case .string(let main)? = members["main"]
        else { return nil }
        return main
    }

    static func isFile(_ path: String) -> Bool {
        var isDirectory = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The canonical absolute path (symbolic links resolved), or `path` itself if that fails.
    static func realpath(_ path: String) -> String {
        guard let resolved = Glibc.realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
