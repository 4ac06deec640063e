import CDuktape
import CDuktapeShim
import FoundationEssentials
import MockModel
import Synchronization

/// A value behind a lock, for state that several threads reach (the value itself may be of a
/// non-Sendable type that is only used on one thread at a time).
final class LockedValue<Value>: @unchecked Sendable {
    private let mutex = Mutex<Void>(())
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) -> R) -> R {
        mutex.withLock { _ in body(&value) }
    }
}

/// The modules a trace `require()`s, resolved and read once per loaded trace and then shared by
/// every thread's heap: a module file deleted or changed while the server runs does not break (or
/// change) new connections; reloading the trace (SIGHUP) reads them again.
final class ModuleFiles: Sendable {
    private let resolved = LockedValue<[String: String]>([:])
    private let sources = LockedValue<[String: String]>([:])

    init() {}

    /// The path `resolve` finds for `key`, remembered after the first successful resolution.
    func path(for key: String, resolve: () -> String?) -> String? {
        if let known = resolved.withLock({ $0[key] }) { return known }
        guard let path = resolve() else { return nil }
        resolved.withLock { $0[key] = path }
        return path
    }

    /// The text of the file at `path`, read on first use.
    func source(at path: String) -> String? {
        if let known = sources.withLock({ $0[path] }) { return known }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        sources.withLock { $0[path] = text }
        return text
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The native functions the bootstrap script calls (`__mock_native.<name>`); the raw value is
/// the Duktape "magic" that routes a call through the C trampoline to `JavaScriptHost`.
enum NativeFunction: Int32, CaseIterable {
    case globalGet, globalSet, globalDelete, globalKeys, getenv, print, resolve, readFile, compileModule, cwd,
         realpath, modulePaths

    var arity: Int32 {
        switch self {
        case .globalKeys, .cwd, .modulePaths: 0
        case .globalGet, .globalDelete, .getenv, .readFile, .realpath: 1
        case .globalSet, .print, .compileModule: 2
        case .resolve: 3
        }
    }
}

/// The JavaScript heap of one event-loop thread for one trace, with the bootstrap and the trace's
/// source loaded; every connection of that thread runs its trace in it (see `JavaScriptResponder`).
/// Also what the native functions reach: the process-wide globals, the module search paths and the
/// trace file.
final class JavaScriptHost {
    let heap: DuktapeHeap
    let globals: GlobalStore
    let traceFile: String
    let modulePaths: [String]
    let modules: ModuleFiles
    /// The thread that owns the heap.
    let owner = pthread_self()
    private var nextConnection = 0
    /// Responses decoded from the JSON text `stmts` returned, shared by the thread's connections:
    /// traces mostly return the same few objects, and decoding is most of a statement's cost.
    var decodedResponses: [String: [StatementResponse]] = [:]
    /// Texts longer than this are decoded each time; past this many, the table starts again.
    static let decodedResponseBytes = 16 << 10
    static let decodedResponseCount = 256
    /// Connections whose responder went away on another thread, to forget on the next call.
    private let departed = LockedValue<[Int]>([])

    init(globals: GlobalStore, traceFile: String, source: String, modulePaths: [String],
         modules: ModuleFiles = ModuleFiles(), limits: ScriptLimits = ScriptLimits()) throws(DuktapeHeap.ScriptError) {
        self.heap = DuktapeHeap(limits: limits)
        self.globals = globals
        self.traceFile = traceFile
        self.modulePaths = modulePaths
        self.modules = modules
        shim_set_host(heap.ctx, Unmanaged.passUnretained(self).toOpaque())
        installNatives()
        try heap.load(try JavaScriptTrace.bootstrap.get())
        try heap.call(arguments: 0)
        heap.pop()
        heap.push(source)
        heap.putGlobal("__mock_source")
        heap.push(traceFile)
        heap.putGlobal("__mock_file")
    }

    var isOnOwnerThread: Bool { pthread_equal(owner, pthread_self()) != 0 }

    /// Runs the trace for a new connection; returns its id and, when `stmts` is an array, the
    /// array as JSON text.
    func connect(sessionJSON: String) throws(DuktapeHeap.ScriptError) -> (id: Int, array: String?) {
        forgetDeparted()
        nextConnection += 1
        let id = nextConnection
        let array = try heap.callGlobal("__mock_connect", [String(id), sessionJSON])
        return (id, array.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// Calls `__mock_<name>(id, arguments…)` for a connection.
    func call(_ name: String, connection id: Int, _ arguments: [String] = []) throws(DuktapeHeap.ScriptError) -> String? {
        forgetDeparted()
        return try heap.callGlobal(name, [String(id)] + arguments)
    }

    /// Forgets a connection (from any thread).
    func disconnect(_ id: Int) {
        if isOnOwnerThread {
            _ = try? heap.callGlobal("__mock_disconnect", [String(id)])
        } else {
            departed.withLock { $0.append(id) }
        }
    }

    private func forgetDeparted() {
        let ids = departed.withLock { list -> [Int] in
            defer { list.removeAll() }
            return list
        }
        for id in ids { _ = try? heap.callGlobal("__mock_disconnect", [String(id)]) }
    }

    deinit {
        if !heap.isDiscarded { shim_set_host(heap.ctx, nil) }
    }

    private func installNatives() {
        let ctx = heap.ctx
        duk_push_object(ctx)
        for function in NativeFunction.allCases {
            shim_push_native(ctx, function.rawValue, function.arity)
            _ = duk_put_prop_string(ctx, -2, "\(function)")
        }
        _ = duk_put_global_string(ctx, "__mock_native")
    }

    /// Runs native function `magic`; arguments are at stack indices 0…. Returns how many values it
    /// left (0 or 1), or `SHIM_RET_THROW` with an error on top of the stack. Calls only Duktape
    /// functions that cannot throw.
    func callNative(_ magic: Int32, ctx: OpaquePointer) -> Int32 {
        guard let function = NativeFunction(rawValue: magic) else { return fail("unknown native function \(magic)") }
        let arg = { (i: Int32) in self.heap.nativeString(at: i) }
        switch function {
        case .globalGet:
            guard let json = globals.get(arg(0)) else { return 0 }
            heap.push(json)
            return 1
        case .globalSet:
            globals.set(arg(0), json: arg(1))
            return 0
        case .globalDelete:
            duk_push_number(ctx, Double(globals.remove(arg(0))))
            return 1
        case .globalKeys:
            heap.push(JSONValue.array(globals.keys().map(JSONValue.string)).jsonText)
            return 1
        case .getenv:
            guard let value = Glibc.getenv(arg(0)) else { return 0 }
            heap.push(String(cString: value))
            return 1
        case .print:
            let fd = duk_get_int(ctx, 0) == 2 ? Int32(2) : Int32(1)
            var text = arg(1)
            text.withUTF8 { bytes in
                var offset = 0
                while offset < bytes.count, let base = bytes.baseAddress {
                    let n = Glibc.write(fd, base + offset, bytes.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
            return 0
        case .resolve:
            let id = arg(0)
            let parent = arg(1).isEmpty ? traceFile : arg(1)
            var paths = modulePaths
            if case .array(let items)? = try? JSONDocument.parse(arg(2), file: "module.paths") {
                paths = items.compactMap { if case .string(let s) = $0 { s } else { nil } }
            }
            let key = ([id, parent] + paths).joined(separator: "\u{0}")
            // "" when nothing is found: the bootstrap throws, naming the line that called require().
            heap.push(modules.path(for: key, resolve: { ModuleResolver.resolve(id: id, parent: parent, paths: paths) }) ?? "")
            return 1
        case .readFile:
            guard let text = modules.source(at: arg(0)) else {
                return fail("cannot read \(arg(0))")
            }
            heap.push(text)
            return 1
        case .compileModule:
            let wrapped = "function (exports, require, module, __filename, __dirname) {" + arg(0) + "\n}"
            var source = wrapped
            let rc = source.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) {
                    shim_pcompile(ctx, $0.baseAddress, $0.count, arg(1), 1)
                }
            }
            return rc == 0 ? 1 : SHIM_RET_THROW
        case .cwd:
            heap.push(FileManager.default.currentDirectoryPath)
            return 1
        case .realpath:
            heap.push(ModuleResolver.realpath(arg(0)))
            return 1
        case .modulePaths:
            heap.push(JSONValue.array(modulePaths.map(JSONValue.string)).jsonText)
            return 1
        }
    }

    private func fail(_ message: String) -> Int32 {
        shim_push_error(heap.ctx, message)
        return SHIM_RET_THROW
    }
}
