/*
 * Allocation wrappers with fault injection (see xalloc.h).  The countdown is
 * an atomic so worker threads may allocate while a test arms it.
 */
#include "core/xalloc.h"

#include <jansson.h>
#include <stdatomic.h>

static atomic_long fail_countdown = -1; /* -1: off; 0: failing */
static atomic_long refused;

static bool should_fail(void)
{
	long v = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
	if (v < 0)
		return false;
	while (v > 0) {
		if (atomic_compare_exchange_weak(&fail_countdown, &v, v - 1))
			return false;
		if (v < 0)
			return false;
	}
	atomic_fetch_add(&refused, 1);
	return true;
}

long r1_alloc_fail_after(long n)
{
	atomic_store(&fail_countdown, n < 0 ? -1 : n);
	return atomic_exchange(&refused, 0);
}

void *r1_malloc(size_t size)
{
	if (should_fail())
		return NULL;
	return malloc(size ? size : 1);
}

void *r1_calloc(size_t n, size_t size)
{
	if (should_fail())
		return NULL;
	if (n == 0 || size == 0)
		n = size = 1;
	return calloc(n, size);
}

void *r1_realloc(void *p, size_t size)
{
	if (should_fail())
		return NULL;
	return realloc(p, size ? size : 1);
}

void *r1_reallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return r1_realloc(p, n * size);
}

char *r1_strdup(const char *s)
{
	return r1_memdup(s, strlen(s) + 1);
}

char *r1_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = r1_malloc(len + 1);
	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

void *r1_memdup(const void *p, size_t n)
{
	void *d = r1_malloc(n);
	if (d && n)
		memcpy(d, p, n);
	return d;
}

void r1_free(void *p)
{
	free(p);
}

void r1_alloc_setup_jansson(void)
{
	json_set_alloc_funcs(r1_malloc, r1_free);
}

char *r1_json_dumps(const json_t *j, size_t flags)
{
	char *s = j ? json_dumps(j, flags) : NULL;
	char *d = s ? r1_strdup(s) : NULL;
	free(s); /* jansson's own allocation, whichever it is */
	return d;
}
