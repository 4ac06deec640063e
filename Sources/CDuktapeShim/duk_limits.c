// Limits for JavaScript traces: a memory limit per heap and a time limit per call.
//
// Duktape as Debian builds it has no interrupt counter, so a script in `while (true) {}` cannot be
// asked to stop. Instead:
//
// - Every block of a heap is allocated here, with a header that links it into the heap's list and
//   counts its size. An allocation past the heap's limit is refused (Duktape then throws a
//   RangeError into the script), and a heap can be freed block by block without running any of
//   its code (`shim_heap_discard`), even when it was left in the middle of an operation.
// - A guarded call records its deadline in a per-thread slot. A watchdog thread looks at the slots
//   every few milliseconds and sends a signal to a thread whose call is late. The handler jumps
//   (siglongjmp) back to the guarded call only when the thread was interrupted inside Duktape's own
//   code: never in libc (which may hold a lock), in this allocator, or in a Swift native function
//   (whose frames must not be skipped). Elsewhere it returns and the watchdog signals again, and a
//   script is never more than a few instructions away from Duktape's interpreter loop.
//
// A heap left by a jump is in an unknown state: the caller must discard it and never touch its
// context again.
#define _GNU_SOURCE
#include "duk_shim.h"

#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

// MARK: - Heaps with a memory limit

/// 32 bytes, so that the memory after it keeps malloc's 16-byte alignment.
typedef struct block {
    struct block *prev, *next;
    size_t size;
    size_t unused;
} block;

struct shim_heap {
    duk_context *ctx;
    block head;          // sentinel of a circular list of every live block
    size_t used;
    size_t limit;        // 0: none
    int refused;         // an allocation was refused since shim_heap_take_refusal
};

static void link_block(shim_heap *h, block *b) {
    b->next = h->head.next;
    b->prev = &h->head;
    h->head.next->prev = b;
    h->head.next = b;
}

static void unlink_block(block *b) {
    b->prev->next = b->next;
    b->next->prev = b->prev;
}

static void *heap_alloc(void *udata, duk_size_t size) {
    shim_heap *h = udata;
    if (h->limit && size > h->limit - h->used) {
        h->refused = 1;
        return NULL;
    }
    block *b = malloc(sizeof(block) + size);
    if (!b) return NULL;
    b->size = size;
    link_block(h, b);
    h->used += size;
    return b + 1;
}

static void heap_free(void *udata, void *ptr) {
    shim_heap *h = udata;
    if (!ptr) return;
    block *b = (block *) ptr - 1;
    unlink_block(b);
    h->used -= b->size;
    free(b);
}

static void *heap_realloc(void *udata, void *ptr, duk_size_t size) {
    shim_heap *h = udata;
    if (!ptr) return heap_alloc(udata, size);
    if (size == 0) {
        heap_free(udata, ptr);
        return NULL;
    }
    block *b = (block *) ptr - 1;
    size_t old = b->size;
    if (h->limit && size > old && size - old > h->limit - h->used) {
        h->refused = 1;
        return NULL;
    }
    unlink_block(b);
    block *moved = realloc(b, sizeof(block) + size);
    if (!moved) {
        link_block(h, b);
        return NULL;
    }
    moved->size = size;
    link_block(h, moved);
    h->used = h->used - old + size;
    return moved + 1;
}

static void fatal_handler(void *udata, const char *msg);

shim_heap *shim_heap_create(size_t memory_limit) {
    shim_heap *h = calloc(1, sizeof(shim_heap));
    if (!h) return NULL;
    h->head.next = h->head.prev = &h->head;
    h->limit = memory_limit;
    h->ctx = duk_create_heap(heap_alloc, heap_realloc, heap_free, h, fatal_handler);
    if (!h->ctx) {
        shim_heap_discard(h);
        return NULL;
    }
    return h;
}

duk_context *shim_heap_context(shim_heap *h) { return h->ctx; }

size_t shim_heap_bytes(shim_heap *h) { return h->used; }

int shim_heap_take_refusal(shim_heap *h) {
    int refused = h->refused;
    h->refused = 0;
    return refused;
}

void shim_heap_discard(shim_heap *h) {
    block *b = h->head.next;
    while (b != &h->head) {
        block *next = b->next;
        free(b);
        b = next;
    }
    free(h);
    // A heap is discarded after a limit (or at a reload): give the pages back to the system
    // instead of keeping the process at its high-water mark.
    malloc_trim(0);
}

// MARK: - Time limits

/// The signal the watchdog sends (a real-time one that neither glibc, NIO nor Swift's runtime uses).
static int watch_signal(void) { return SIGRTMAX - 3; }

typedef struct watch {
    pthread_t thread;
    _Atomic uint64_t deadline;     // CLOCK_MONOTONIC ns; 0 when no guarded call is running
    _Atomic uint64_t generation;   // counts guarded calls
    _Atomic uint64_t fire;         // the generation the watchdog wants stopped
    volatile sig_atomic_t armed;   // `jump` is valid
    volatile sig_atomic_t native_depth;
    sigjmp_buf jump;
    struct watch *next;
} watch;

static __thread watch *current_watch __attribute__((tls_model("initial-exec")));
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static watch *registry;
static pthread_key_t watch_key;
static pthread_once_t watch_once = PTHREAD_ONCE_INIT;
static int watch_ready;

/// Where Duktape's code is mapped: the executable segments of the shared object that holds
/// `duk_pcall`. Written once before the handler is installed, read-only afterwards.
static struct { uintptr_t start, end; } duktape_text[4];
static int duktape_text_count;

static uint64_t monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static int find_duktape(struct dl_phdr_info *info, size_t size, void *data) {
    (void) size;
    uintptr_t target = (uintptr_t) data;
    int found = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
        if (target >= start && target < end) found = 1;
    }
    // Only a shared object of Duktape's own: had it been linked into the executable, its range
    // would hold Swift code too, and a jump out of that is never safe.
    if (!found || !info->dlpi_name || !strstr(info->dlpi_name, "duktape")) return 0;
    for (int i = 0; i < info->dlpi_phnum && duktape_text_count < 4; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        duktape_text[duktape_text_count].start = info->dlpi_addr + ph->p_vaddr;
        duktape_text[duktape_text_count].end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
        duktape_text_count++;
    }
    return 1;
}

static int in_duktape(uintptr_t pc) {
    for (int i = 0; i < duktape_text_count; i++) {
        if (pc >= duktape_text[i].start && pc < duktape_text[i].end) return 1;
    }
    return 0;
}

static uintptr_t interrupted_pc(void *context) {
    ucontext_t *uc = context;
#if defined(__x86_64__)
    return (uintptr_t) uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t) uc->uc_mcontext.pc;
#else
    (void) uc;
    return 0;
#endif
}

static void on_watch_signal(int sig, siginfo_t *info, void *context) {
    (void) sig;
    (void) info;
    watch *w = current_watch;
    if (!w || !w->armed || w->native_depth > 0) return;
    if (atomic_load(&w->fire) != atomic_load(&w->generation)) return;
    if (!in_duktape(interrupted_pc(context))) return;
    w->armed = 0;
    siglongjmp(w->jump, 1);
}

static void forget_watch(void *value) {
    watch *w = value;
    pthread_mutex_lock(&registry_lock);
    for (watch **p = &registry; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            break;
        }
    }
    pthread_mutex_unlock(&registry_lock);
    current_watch = NULL;
    free(w);
}

static void *watchdog(void *unused) {
    (void) unused;
    const struct timespec tick = {0, 5 * 1000 * 1000};
    for (;;) {
        nanosleep(&tick, NULL);
        uint64_t now = monotonic_ns();
        pthread_mutex_lock(&registry_lock);
        for (watch *w = registry; w; w = w->next) {
            uint64_t deadline = atomic_load(&w->deadline);
            if (deadline == 0 || now < deadline) continue;
            atomic_store(&w->fire, atomic_load(&w->generation));
            pthread_kill(w->thread, watch_signal());
        }
        pthread_mutex_unlock(&registry_lock);
    }
    return NULL;
}

static void start_watching(void) {
#if !defined(__x86_64__) && !defined(__aarch64__)
    return;  // the interrupted instruction's address is read for these two only
#endif
    dl_iterate_phdr(find_duktape, (void *) (uintptr_t) &duk_pcall);
    if (duktape_text_count == 0) return;
    if (pthread_key_create(&watch_key, forget_watch) != 0) return;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_watch_signal;
    // SA_NODEFER: the signal stays unblocked after a jump out of the handler (sigsetjmp without
    // saving the mask costs no system call per guarded call).
    action.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    if (sigaction(watch_signal(), &action, NULL) != 0) return;
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    // The watchdog must not take the signal it sends.
    sigset_t blocked, previous;
    sigemptyset(&blocked);
    sigaddset(&blocked, watch_signal());
    pthread_sigmask(SIG_BLOCK, &blocked, &previous);
    int rc = pthread_create(&thread, &attributes, watchdog, NULL);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    pthread_attr_destroy(&attributes);
    if (rc == 0) watch_ready = 1;
}

int shim_time_limits_supported(void) {
    pthread_once(&watch_once, start_watching);
    return watch_ready;
}

/// This thread's slot, registered on first use; NULL when time limits are not supported.
static watch *this_thread_watch(void) {
    if (current_watch) return current_watch;
    if (!shim_time_limits_supported()) return NULL;
    watch *w = calloc(1, sizeof(watch));
    if (!w) return NULL;
    w->thread = pthread_self();
    pthread_mutex_lock(&registry_lock);
    w->next = registry;
    registry = w;
    pthread_mutex_unlock(&registry_lock);
    pthread_setspecific(watch_key, w);
    // Some threads block every signal (libdispatch's workers do): let the watchdog's through.
    sigset_t mine;
    sigemptyset(&mine);
    sigaddset(&mine, watch_signal());
    pthread_sigmask(SIG_UNBLOCK, &mine, NULL);
    current_watch = w;
    return w;
}

/// Runs `body(ctx, arg)` with a deadline `limit_ms` from now (0: none). Returns 0, or
/// SHIM_EXEC_TIMEOUT when the call was stopped (the heap must then be discarded).
static int run_guarded(unsigned limit_ms, void (*body)(void *), void *arg) {
    watch *w = limit_ms ? this_thread_watch() : NULL;
    // Nested (a native function calling back into a script) or unsupported: the outer call's
    // guard, if any, covers it.
    if (!w || w->armed || w->native_depth > 0) {
        body(arg);
        return 0;
    }
    atomic_fetch_add(&w->generation, 1);
    if (sigsetjmp(w->jump, 0) != 0) {
        atomic_store(&w->deadline, 0);
        w->native_depth = 0;
        return SHIM_EXEC_TIMEOUT;
    }
    atomic_store(&w->deadline, monotonic_ns() + (uint64_t) limit_ms * 1000000u);
    w->armed = 1;
    body(arg);
    w->armed = 0;
    atomic_store(&w->deadline, 0);
    return 0;
}

void shim_native_enter(void) {
    if (current_watch) current_watch->native_depth++;
}

void shim_native_leave(void) {
    if (current_watch) current_watch->native_depth--;
}

struct pcall_args {
    duk_context *ctx;
    duk_idx_t nargs;
    duk_int_t rc;
};

static void pcall_body(void *arg) {
    struct pcall_args *a = arg;
    a->rc = duk_pcall(a->ctx, a->nargs);
}

duk_int_t shim_guarded_pcall(duk_context *ctx, duk_idx_t nargs, unsigned limit_ms) {
    struct pcall_args a = {ctx, nargs, DUK_EXEC_ERROR};
    if (run_guarded(limit_ms, pcall_body, &a) != 0) return SHIM_EXEC_TIMEOUT;
    return a.rc;
}

struct to_string_args {
    duk_context *ctx;
    duk_idx_t idx;
    const char *s;
    duk_size_t n;
};

static void to_string_body(void *arg) {
    struct to_string_args *a = arg;
    a->s = duk_safe_to_lstring(a->ctx, a->idx, &a->n);
}

const char *shim_guarded_to_lstring(duk_context *ctx, duk_idx_t idx, size_t *len, unsigned limit_ms, int *timed_out) {
    struct to_string_args a = {ctx, idx, NULL, 0};
    int rc = run_guarded(limit_ms, to_string_body, &a);
    if (timed_out) *timed_out = rc != 0;
    if (rc != 0) return NULL;
    if (len) *len = (size_t) a.n;
    return a.s;
}

static void destroy_body(void *arg) {
    shim_heap *h = arg;
    duk_destroy_heap(h->ctx);
    h->ctx = NULL;
}

void shim_heap_destroy(shim_heap *h, unsigned limit_ms) {
    // Finalizers run during the destruction: they are script code too.
    (void) run_guarded(limit_ms, destroy_body, h);
    shim_heap_discard(h);
}

static void fatal_handler(void *udata, const char *msg) {
    (void) udata;
    shim_report_fatal(msg);
}
