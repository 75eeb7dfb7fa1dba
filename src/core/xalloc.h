#ifndef R1_CORE_XALLOC_H
#define R1_CORE_XALLOC_H
/*
 * The one allocation wrapper of core and node.  These never abort: they
 * return NULL and the caller reports R1_ERR_NOMEM.  Tests call
 * r1_alloc_fail_after(n) to make the (n+1)th allocation from now fail, which
 * is how every error path that follows an allocation gets exercised (SQLite's
 * fault-injection idea).  Memory from these functions is released with
 * r1_free().
 */
#include "core/common.h"

void *r1_malloc(size_t size);
void *r1_calloc(size_t n, size_t size);
void *r1_realloc(void *p, size_t size);
/* realloc of n*size with overflow check. */
void *r1_reallocarray(void *p, size_t n, size_t size);
char *r1_strdup(const char *s);
char *r1_strndup(const char *s, size_t n);
void *r1_memdup(const void *p, size_t n);
void r1_free(void *p);

/*
 * Fault injection: after `n` more successful allocations, every allocation
 * fails until r1_alloc_fail_after(-1) turns this off.  Returns how many
 * allocations were refused since the previous call.
 */
long r1_alloc_fail_after(long n);

/* Route jansson's allocations through these wrappers (call once at start). */
void r1_alloc_setup_jansson(void);

/*
 * jansson's json_dumps(j, flags) copied into memory from r1_malloc, whichever
 * allocator jansson was given, so that the caller frees it with r1_free and
 * fault injection reaches it.  NULL when j is NULL, when jansson fails, or
 * on OOM.  (For text a Python peer compares byte for byte, use pyjson.h.)
 */
struct json_t;
char *r1_json_dumps(const struct json_t *j, size_t flags);

#endif
