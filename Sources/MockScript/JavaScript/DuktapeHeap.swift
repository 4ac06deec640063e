import CDuktape
import CDuktapeShim

/// `duk_is_error` is a macro; this is its function form.
func duk_is_error_shim(_ ctx: OpaquePointer, _ index: Int32) -> Bool {
    duk_get_error_code(ctx, index) != 0
}

/// One Duktape heap and its value stack, used from one thread at a time.
///
/// Only protected entry points are called (errors come back as return codes), so a JavaScript
/// error never unwinds through a Swift frame.
final class DuktapeHeap {
    let ctx: OpaquePointer

    /// An error raised by JavaScript, as `<file>:<line>: <Error: message>` and its stack.
    struct ScriptError: Error, CustomStringConvertible {
        var message: String
        var stack: String
        var description: String { message }
    }

    init() {
        DuktapeHeap.installDispatcher
        guard let ctx = shim_create_heap() else {
            // Allocation of a fresh heap failed: nothing sensible is left to do.
            preconditionFailure("mysql_server_mock: could not allocate a JavaScript heap")
        }
        self.ctx = ctx
    }

    deinit {
        duk_destroy_heap(ctx)
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

    /// The string at `index` (ToString without throwing).
    func string(at index: Int32) -> String {
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
        if duk_pcall(ctx, arguments) != 0 { throw popError() }
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
        let base = top
        defer { setTop(base) }
        _ = duk_get_global_string(ctx, name)
        for argument in arguments { push(argument) }
        try call(arguments: Int32(arguments.count))
        return duk_is_undefined(ctx, -1) != 0 ? nil : string(at: -1)
    }

    /// Pops the error on top of the stack and describes it with `__mock_error_text` when the
    /// bootstrap is loaded (else with ToString).
    /// `file` names the source when the error does not (compile errors outside any function).
    func popError(file: String? = nil) -> ScriptError {
        let message = describeError(using: "__mock_error_text") ?? locatedErrorText(file: file)
        let stack = describeError(using: "__mock_error_stack") ?? message
        pop()
        return ScriptError(message: message, stack: stack)
    }

    /// `<fileName>:<lineNumber>: <ToString(error)>` for an Error on top of the stack, read without
    /// the bootstrap (errors from compiling a trace happen before it exists).
    private func locatedErrorText(file defaultFile: String?) -> String {
        let text = string(at: -1)
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
        let base = top
        defer { setTop(base) }
        guard duk_get_global_string(ctx, helper) != 0, duk_is_function(ctx, -1) != 0 else { return nil }
        duk_dup(ctx, base - 1)
        guard duk_pcall(ctx, 1) == 0 else { return nil }
        return string(at: -1)
    }
}
