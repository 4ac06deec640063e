import Logging
import MockModel

/// A trace written in JavaScript, as MySQL Router's tests write them: the file's last expression
/// is the trace object (`({stmts: …, handshake: …})`). The file is compiled once; every connection
/// gets its own heap that runs it, so top-level state is per connection and `mysqld.global` is
/// shared.
public struct JavaScriptTrace: Trace {
    public let name: String
    /// The compiled trace, or why it does not compile (then every connection gets that error).
    let compiled: Result<[UInt8], DuktapeHeap.ScriptError>
    let modulePaths: [String]
    let globals: GlobalStore
    let logger: Logger

    /// The bootstrap's bytecode, compiled once per process.
    static let bootstrap: Result<[UInt8], DuktapeHeap.ScriptError> = compile(
        JavaScriptBootstrap.source, filename: "mysql_server_mock:bootstrap.js")

    public init(source: String, file: String, modulePrefixes: [String], globals: GlobalStore, logger: Logger) {
        self.name = file
        self.compiled = Self.compile(source, filename: file)
        self.modulePaths = ModuleResolver.searchPaths(prefixes: modulePrefixes)
        self.globals = globals
        self.logger = logger
        if case .failure(let error) = compiled {
            logger.warning("\(file): \(error.message)")
        }
    }

    static func compile(_ source: String, filename: String) -> Result<[UInt8], DuktapeHeap.ScriptError> {
        let heap = DuktapeHeap()
        do {
            try heap.compile(source, filename: filename)
            return .success(try heap.dump())
        } catch {
            return .failure(error)
        }
    }

    public func makeResponder(for session: SessionInfo) -> any StatementResponder {
        JavaScriptResponder(trace: self, session: session)
    }
}
