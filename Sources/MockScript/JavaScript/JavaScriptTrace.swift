import Logging
import MockModel

#if canImport(Glibc)
import Glibc
#endif

/// A trace written in JavaScript, as MySQL Router's tests write them: the file's last expression
/// is the trace object (`({stmts: …, handshake: …})`).
///
/// Every connection runs the file anew in a function scope of its own, so its top-level variables
/// are its own; the connections of one event-loop thread share a Duktape heap (built-ins,
/// `require()`d modules), which keeps a connection down to a few KiB.
public struct JavaScriptTrace: Trace {
    public let name: String
    let engine: JavaScriptEngine

    /// The bootstrap's bytecode, compiled once per process.
    static let bootstrap: Result<[UInt8], DuktapeHeap.ScriptError> = {
        let heap = DuktapeHeap()
        do throws(DuktapeHeap.ScriptError) {
            try heap.compile(JavaScriptBootstrap.source, filename: "mysql_server_mock:bootstrap.js")
            return .success(try heap.dump())
        } catch {
            return .failure(error)
        }
    }()

    public init(source: String, file: String, modulePrefixes: [String], globals: GlobalStore, logger: Logger,
                limits: ScriptLimits = ScriptLimits()) {
        self.name = file
        self.engine = JavaScriptEngine(source: source, file: file,
                                       modulePaths: ModuleResolver.searchPaths(prefixes: modulePrefixes),
                                       globals: globals, logger: logger, limits: limits)
    }

    public func makeResponder(for session: SessionInfo) -> any StatementResponder {
        JavaScriptResponder(trace: self, session: session)
    }
}

/// What a `JavaScriptTrace` shares between threads: its source and one `JavaScriptHost` per thread.
final class JavaScriptEngine: @unchecked Sendable {
    let source: String
    let file: String
    let modulePaths: [String]
    let globals: GlobalStore
    let logger: Logger
    let limits: ScriptLimits
    /// Why the file does not compile, found once at start (connections then get this error).
    let compileError: DuktapeHeap.ScriptError?
    private let hosts = LockedValue<[UInt: JavaScriptHost]>([:])
    /// `require()`d files, read once for every thread's heap.
    private let modules = ModuleFiles()

    init(source: String, file: String, modulePaths: [String], globals: GlobalStore, logger: Logger,
         limits: ScriptLimits) {
        self.limits = limits
        self.source = source
        self.file = file
        self.modulePaths = modulePaths
        self.globals = globals
        self.logger = logger
        let heap = DuktapeHeap()
        do throws(DuktapeHeap.ScriptError) {
            try heap.compile(source, filename: file)
            compileError = nil
        } catch {
            compileError = error
            logger.warning("\(file): \(error.message)")
        }
    }

    /// The current thread's host, made on first use, and made anew when a limit discarded the
    /// heap of the previous one.
    func host() throws(DuktapeHeap.ScriptError) -> JavaScriptHost {
        if let compileError { throw compileError }
        let thread = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(bitPattern: UInt(pthread_self()))))
        if let host = hosts.withLock({ $0[thread] }), !host.heap.isDiscarded { return host }
        let host = try JavaScriptHost(globals: globals, traceFile: file, source: source, modulePaths: modulePaths,
                                      modules: modules, limits: limits)
        hosts.withLock { $0[thread] = host }
        return host
    }
}
