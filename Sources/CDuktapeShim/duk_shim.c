#include "duk_shim.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static shim_dispatch_fn dispatch = NULL;

void shim_set_dispatch(shim_dispatch_fn fn) { dispatch = fn; }

void shim_report_fatal(const char *msg) {
    fprintf(stderr, "mysql_server_mock: fatal JavaScript engine error: %s\n", msg ? msg : "(no message)");
    fflush(stderr);
    abort();
}


static duk_ret_t trampoline(duk_context *ctx) {
    int magic = (int) duk_get_current_magic(ctx);
    // Swift frames are on the stack from here: a time limit must not jump over them.
    shim_native_enter();
    int rc = dispatch ? dispatch(ctx, magic) : SHIM_RET_THROW;
    shim_native_leave();
    if (rc == SHIM_RET_THROW) {
        if (duk_get_top(ctx) == 0) duk_push_error_object(ctx, DUK_ERR_ERROR, "native function failed");
        return duk_throw(ctx);
    }
    return (duk_ret_t) rc;
}

void shim_push_native(duk_context *ctx, int magic, int nargs) {
    duk_push_c_function(ctx, trampoline, nargs < 0 ? DUK_VARARGS : nargs);
    duk_set_magic(ctx, -1, magic);
}

void shim_set_host(duk_context *ctx, void *host) {
    duk_push_heap_stash(ctx);
    duk_push_pointer(ctx, host);
    duk_put_prop_string(ctx, -2, "\xff" "host");
    duk_pop(ctx);
}

void *shim_get_host(duk_context *ctx) {
    void *host;
    duk_push_heap_stash(ctx);
    duk_get_prop_string(ctx, -1, "\xff" "host");
    host = duk_get_pointer(ctx, -1);
    duk_pop_2(ctx);
    return host;
}

duk_int_t shim_pcompile(duk_context *ctx, const char *src, size_t len, const char *filename, int as_function) {
    duk_push_string(ctx, filename);
    return duk_pcompile_lstring_filename(ctx, as_function ? DUK_COMPILE_FUNCTION : DUK_COMPILE_EVAL, src, len);
}

static duk_ret_t dump_unsafe(duk_context *ctx, void *udata) {
    (void) udata;
    duk_dump_function(ctx);
    return 1;
}

duk_int_t shim_pdump(duk_context *ctx) {
    return duk_safe_call(ctx, dump_unsafe, NULL, 1, 1);
}

static duk_ret_t load_unsafe(duk_context *ctx, void *udata) {
    (void) udata;
    duk_load_function(ctx);
    return 1;
}

duk_int_t shim_pload(duk_context *ctx, const void *data, size_t len) {
    void *buf = duk_push_fixed_buffer(ctx, len);
    if (len > 0) memcpy(buf, data, len);
    return duk_safe_call(ctx, load_unsafe, NULL, 1, 1);
}

const char *shim_safe_to_lstring(duk_context *ctx, duk_idx_t idx, size_t *len) {
    duk_size_t n = 0;
    const char *s = duk_safe_to_lstring(ctx, idx, &n);
    if (len) *len = (size_t) n;
    return s;
}

void shim_push_error(duk_context *ctx, const char *message) {
    duk_push_error_object(ctx, DUK_ERR_ERROR, "%s", message);
}
