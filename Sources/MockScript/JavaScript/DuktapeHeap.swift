import CDuktape
import CDuktapeShim

/// `duk_is_error` is a macro; this is its function form.
func duk_is_error_shim(_ ctx: OpaquePointer, _ index: Int32) -> Bool {
    duk_get_error_code(ctx, index) != 0
}

/// One Duktape heap and its value stack, used from one thread at a time.
///
/// Only protected entry points are called (errors come back as return codes), so a JavaScript
/// error never unwinds through a Swift frame. Every call that may run script code runs under the
/// heap's `ScriptLimits`: past the time limit the call is stopped and the heap discarded (it may
/// be in the middle of anything; see duk_limits.c), and an allocation past the memory limit is
/// refused (the script gets a RangeError; the heap is discarded too, since whatever holds the
/// memory may be global).
final class DuktapeHeap {
    private let heap: OpaquePointer
    let ctx: OpaquePointer
    let limits: ScriptLimits
    /// The heap was freed after a limit: nothing may touch `ctx` any more.
    private(set) var isDiscarded = false

    /// An error raised by JavaScript, as `<file>:<line>: <Error: message>` and its stack.
    struct ScriptError: Error, CustomStringConvertible {
        var message: String
        var stack: String
        /// Set when a limit stopped the script (the heap is gone).
        var limit: ScriptLimits.Kind?
        var description: String { message }

        init(message: String, stack: String, limit: ScriptLimits.Kind? = nil) {
            self.message = message
            self.stack = stack
            self.limit = limit
        }
    }

    init(limits: ScriptLimits = ScriptLimits()) {
        DuktapeHeap.installDispatcher
        guard let heap = shim_heap_create(size_t(max(0, limits.memoryBytes))), let ctx = shim_heap_context(heap) else {
            // Allocation of a fresh heap failed: nothing sensible is left to do.
            preconditionFailure("mysql_server_mock: could not allocate a JavaScript heap")
        }
        self.heap = heap
        self.ctx = ctx
        self.limits = limits
    }

    deinit {
        if !isDiscarded { shim_heap_destroy(heap, limits.milliseconds) }
    }

    /// Bytes the heap holds.
    var bytes: Int { isDiscarded ? 0 : shim_heap_bytes(heap) }

    /// Frees the heap without running any of its code.
    private func discard() {
        guard !isDiscarded else { return }
        isDiscarded = true
        shim_heap_discard(heap)
    }

    private var timeLimitError: ScriptError {
        ScriptError(message: "the script ran past its time limit of \(limits.milliseconds) ms (--js-timeout)",
                    stack: "", limit: .time)
    }

    private var discardedError: ScriptError {
        ScriptError(message: "the JavaScript heap was discarded after a limit", stack: "", limit: .discarded)
    }

    /// Installs the C-to-Swift dispatcher once per process.
    static let installDispatcher: Void = {
        shim_set_dispatch { ctx, magic in
            guard let ctx, let raw = shim_get_host(ctx) else { return SHIM_RET_THROW }
            let host = Unmanaged<JavaScriptHost>.fromOpaque(raw).takeUnretainedValue()
            return host.callNative(magic, ctx: ctx)
        }
    }()

    var top: Int32 { duk_get_top(ctx) }

    func pop(_ n: Int32 = 1) { duk_pop_n(ctx, n) }

    func setTop(_ index: Int32) { duk_set_top(ctx, index) }

    /// The string at `index` (ToString without throwing, under the time limit: an object's
    /// `toString` is script code).
    func string(at index: Int32) -> String {
        guard !isDiscarded else { return "" }
        var length = 0
        var timedOut: Int32 = 0
        guard let pointer = shim_guarded_to_lstring(ctx, index, &length, limits.milliseconds, &timedOut) else {
            if timedOut != 0 { discard() }
            return ""
        }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    /// The string at `index` for a native function: a string as it is, a primitive converted
    /// (which runs no script code), an object as `[object]` (its `toString` could run forever with
    /// Swift frames on the stack, where no time limit can stop it).
    func nativeString(at index: Int32) -> String {
        if let s = stringIfString(at: index) { return s }
        if duk_check_type_mask(ctx, index, UInt32(DUK_TYPE_MASK_OBJECT | DUK_TYPE_MASK_BUFFER | DUK_TYPE_MASK_LIGHTFUNC)) != 0 {
            return "[object]"
        }
        var length = 0
        guard let pointer = shim_safe_to_lstring(ctx, index, &length) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    /// The string at `index` if it is one.
    func stringIfString(at index: Int32) -> String? {
        guard duk_is_string(ctx, index) != 0 else { return nil }
        var length = 0
        guard let pointer = duk_get_lstring(ctx, index, &length) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    func push(_ string: String) {
        var s = string
        s.withUTF8 { bytes in
            _ = bytes.withMemoryRebound(to: CChar.self) { duk_push_lstring(ctx, $0.baseAddress, $0.count) }
        }
    }

    /// Compiles `source` and leaves the function on the stack; on failure pops the error and throws.
    func compile(_ source: String, filename: String, asFunction: Bool = false) throws(ScriptError) {
        var src = source
        let rc = src.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { shim_pcompile(ctx, $0.baseAddress, $0.count, filename, asFunction ? 1 : 0) }
        }
        if rc != 0 { throw popError(file: filename) }
    }

    /// Dumps the function on top of the stack to bytecode (the function is popped).
    func dump() throws(ScriptError) -> [UInt8] {
        guard shim_pdump(ctx) == 0 else { throw popError() }
        var size = 0
        let pointer = duk_get_buffer(ctx, -1, &size)
        let bytes = pointer.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
        pop()
        return bytes
    }

    /// Pushes a function loaded from `bytecode`.
    func load(_ bytecode: [UInt8]) throws(ScriptError) {
        let rc = bytecode.withUnsafeBytes { shim_pload(ctx, $0.baseAddress, $0.count) }
        if rc != 0 { throw popError() }
    }

    /// Calls the function below `arguments` values on the stack with `this` = the global object;
    /// leaves the result. On failure pops the error and throws.
    func call(arguments: Int32) throws(ScriptError) {
        guard !isDiscarded else { throw discardedError }
        let rc = shim_guarded_pcall(ctx, arguments, limits.milliseconds)
        let refused = shim_heap_take_refusal(heap) != 0
        if rc == SHIM_EXEC_TIMEOUT {
            discard()
            throw timeLimitError
        }
        guard rc != 0 else { return }
        let error = popError()
        guard refused else { throw error }
        discard()
        throw ScriptError(message: "the script's heap reached its memory limit of \(limits.memoryBytes) bytes"
                              + " (--js-heap-limit): \(error.message)",
                          stack: error.stack, limit: .memory)
    }

    /// Pops the value on top of the stack into the global `name`.
    func putGlobal(_ name: String) {
        _ = duk_put_global_string(ctx, name)
    }

    /// Pushes the global `name` (undefined if absent); `true` if it exists.
    @discardableResult
    func pushGlobal(_ name: String) -> Bool {
        duk_get_global_string(ctx, name) != 0
    }

    /// Calls the global function `name` with string arguments; returns its result as a string
    /// (`nil` for undefined) and leaves the stack as it was.
    func callGlobal(_ name: String, _ arguments: [String] = []) throws(ScriptError) -> String? {
        guard !isDiscarded else { throw discardedError }
        let base = top
        defer { if !isDiscarded { setTop(base) } }
        _ = duk_get_global_string(ctx, name)
        for argument in arguments { push(argument) }
        try call(arguments: Int32(arguments.count))
        return duk_is_undefined(ctx, -1) != 0 ? nil : string(at: -1)
    }

    /// Pops the error on top of the stack and describes it with `__mock_error_text` when the
    /// bootstrap is loaded (else with ToString).
    /// `file` names the source when the error does not (compile errors outside any function).
    func popError(file: String? = nil) -> ScriptError {
        guard !isDiscarded else { return discardedError }
        // Describing the error runs script code too (its toString): it may be what runs away.
        let described = describeError(using: "__mock_error_text")
        guard !isDiscarded else { return timeLimitError }
        let message = described ?? locatedErrorText(file: file)
        let stack = describeError(using: "__mock_error_stack") ?? message
        guard !isDiscarded else { return timeLimitError }
        pop()
        return ScriptError(message: message, stack: stack)
    }

    /// `<fileName>:<lineNumber>: <ToString(error)>` for an Error on top of the stack, read without
    /// the bootstrap (errors from compiling a trace happen before it exists).
    private func locatedErrorText(file defaultFile: String?) -> String {
        let text = string(at: -1)
        guard !isDiscarded else { return text }
        guard duk_is_error_shim(ctx, -1) else {
            // Compile errors outside any function come as a bare string: "… (line 2, end of input)".
            guard let file = defaultFile, let line = text.firstMatch(of: #/\(line (\d+)/#)?.output.1 else { return text }
            return "\(file):\(line): \(text)"
        }
        _ = duk_get_prop_string(ctx, -1, "fileName")
        let file = stringIfString(at: -1)
        pop()
        _ = duk_get_prop_string(ctx, -1, "lineNumber")
        let line = duk_get_int(ctx, -1)
        pop()
        guard let file = file ?? defaultFile else { return text }
        return "\(file):\(line): \(text)"
    }

    private func describeError(using helper: String) -> String? {
        guard !isDiscarded else { return nil }
        let base = top
        defer { if !isDiscarded { setTop(base) } }
        guard duk_get_global_string(ctx, helper) != 0, duk_is_function(ctx, -1) != 0 else { return nil }
        duk_dup(ctx, base - 1)
        let rc = shim_guarded_pcall(ctx, 1, limits.milliseconds)
        if rc == SHIM_EXEC_TIMEOUT { discard() }
        guard rc == 0 else { return nil }
        return string(at: -1)
    }
}
