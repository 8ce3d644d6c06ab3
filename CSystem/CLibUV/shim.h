// libuv, as Swift sees it. Only LiveRuntime imports this module.
#include <uv.h>

// uv_handle_t "subclasses" are C structs Swift cannot upcast; these casts are the shim's only job.
static inline uv_handle_t *cuv_handle(void *h) { return (uv_handle_t *)h; }
static inline uv_stream_t *cuv_stream(void *h) { return (uv_stream_t *)h; }

// glibc's malloc_trim: hands freed arena memory back to the kernel after a large transient job
// on a thread-pool thread (snapshot saves and restores).
#include <malloc.h>
