// A small C layer between Swift and Duktape 2.7.
//
// Duktape reports errors with longjmp, which must never unwind through a Swift frame. Everything
// here is either a protected entry point (errors come back as a return code with the error on the
// value stack) or cannot throw. Swift native functions are registered through one C trampoline:
// Swift returns SHIM_RET_THROW with an error value on the stack, and the C frame throws it.
#ifndef DUK_SHIM_H
#define DUK_SHIM_H

#include <duktape.h>
#include <stddef.h>

/// Return this from a Swift native function to throw the value on top of the stack.
#define SHIM_RET_THROW (-1000)

/// The Swift function that implements every native function; `magic` says which one.
typedef int (*shim_dispatch_fn)(duk_context *ctx, int magic);

/// Installs the dispatcher (once, before any heap runs code).
void shim_set_dispatch(shim_dispatch_fn fn);

/// A heap whose fatal errors are reported on stderr before aborting.
duk_context *shim_create_heap(void);

/// Pushes a native function (`nargs` < 0 means variadic) that calls the dispatcher with `magic`.
void shim_push_native(duk_context *ctx, int magic, int nargs);

/// Stores / reads a host pointer in the heap stash.
void shim_set_host(duk_context *ctx, void *host);
void *shim_get_host(duk_context *ctx);

/// Compiles `src` (with `filename` for error messages) as eval code (`as_function` = 0) or as a
/// function expression (1). Pushes the compiled function, or the error; returns 0 on success.
duk_int_t shim_pcompile(duk_context *ctx, const char *src, size_t len, const char *filename, int as_function);

/// Replaces the function on top of the stack with its bytecode (a buffer). Returns 0 on success.
duk_int_t shim_pdump(duk_context *ctx);

/// Pushes a function loaded from bytecode. Returns 0 on success (else the error is pushed).
duk_int_t shim_pload(duk_context *ctx, const void *data, size_t len);

/// ToString of the value at `idx` without throwing (falls back to a fixed text).
const char *shim_safe_to_lstring(duk_context *ctx, duk_idx_t idx, size_t *len);

/// Pushes an Error object with `message` (no throw).
void shim_push_error(duk_context *ctx, const char *message);

#endif
