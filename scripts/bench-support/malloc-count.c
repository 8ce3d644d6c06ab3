/* LD_PRELOAD shim for scripts/bench-dns.sh: counts heap allocations (malloc, calloc, realloc,
 * posix_memalign, aligned_alloc, memalign) in the process it is loaded into. On SIGUSR2 it
 * writes the running total, in decimal, to the file named by $MALLOC_COUNT_FILE (truncating
 * it), so the bench can read the count before and after a dnsperf run and divide by the number
 * of queries. Forwards to glibc's __libc_* entry points, so there is no dlsym bootstrap problem. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static atomic_ulong count;
static const char *path;

void *malloc(size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_realloc(p, n); }
void *memalign(size_t al, size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_memalign(al, n); }
void *aligned_alloc(size_t al, size_t n) { return memalign(al, n); }
int posix_memalign(void **out, size_t al, size_t n) {
    void *p = memalign(al, n);
    if (!p) return 12; /* ENOMEM */
    *out = p;
    return 0;
}

static void report(int sig) {
    (void)sig;
    if (!path) return;
    char buf[32];
    int i = sizeof buf;
    unsigned long v = atomic_load(&count);
    buf[--i] = '\n';
    do { buf[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    ssize_t ignored = write(fd, buf + i, sizeof buf - i);
    (void)ignored;
    close(fd);
}

__attribute__((constructor)) static void install(void) {
    path = getenv("MALLOC_COUNT_FILE");
    if (path) signal(SIGUSR2, report);
}
