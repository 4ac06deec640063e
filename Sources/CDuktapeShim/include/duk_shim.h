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

/// Reports a fatal engine error on stderr and aborts.
void shim_report_fatal(const char *msg);

// MARK: - Limits (duk_limits.c)

/// A Duktape heap whose memory the shim allocates and counts.
typedef struct shim_heap shim_heap;

/// A heap refusing allocations past `memory_limit` bytes in all (0: no limit); NULL on failure.
shim_heap *shim_heap_create(size_t memory_limit);
duk_context *shim_heap_context(shim_heap *heap);
/// Bytes the heap holds now.
size_t shim_heap_bytes(shim_heap *heap);
/// 1 if an allocation was refused for the limit since the last call (and resets it).
int shim_heap_take_refusal(shim_heap *heap);
/// Destroys the heap (its finalizers run, under `limit_ms`), then frees whatever is left.
void shim_heap_destroy(shim_heap *heap, unsigned limit_ms);
/// Frees every block of the heap without running any code: for a heap a time limit stopped.
void shim_heap_discard(shim_heap *heap);

/// Returned by the guarded calls when the time limit stopped the script: the heap is in an
/// unknown state and must be discarded with `shim_heap_discard`, its context never used again.
#define SHIM_EXEC_TIMEOUT 2

/// Whether time limits work in this process (Duktape is a shared library of its own and the
/// CPU is x86-64 or ARM64); starts the watchdog on first call.
int shim_time_limits_supported(void);

/// `duk_pcall` stopped after `limit_ms` (0: no limit): DUK_EXEC_SUCCESS, DUK_EXEC_ERROR or
/// SHIM_EXEC_TIMEOUT.
duk_int_t shim_guarded_pcall(duk_context *ctx, duk_idx_t nargs, unsigned limit_ms);

/// `duk_safe_to_lstring` (which may run a script's toString) stopped after `limit_ms`; NULL and
/// `*timed_out` = 1 when stopped.
const char *shim_guarded_to_lstring(duk_context *ctx, duk_idx_t idx, size_t *len, unsigned limit_ms, int *timed_out);

/// Called around every Swift native function: no jump while Swift frames are on the stack.
void shim_native_enter(void);
void shim_native_leave(void);

#endif
