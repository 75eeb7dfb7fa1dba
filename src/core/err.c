/*
 * Error codes and the one-line reasons that travel with them (see err.h).
 * Formatting a reason must not itself fail loudly: when memory runs out the
 * reason is simply dropped and the code still returned.
 */
#include "core/err.h"
#include "core/xalloc.h"

static const char *const err_names[R1_ERR__COUNT] = {
	[R1_OK] = "success",
	[R1_ERR_NOMEM] = "out of memory",
	[R1_ERR_INVAL] = "invalid input",
	[R1_ERR_IO] = "input/output error",
	[R1_ERR_PROTO] = "protocol error",
	[R1_ERR_CRYPTO] = "cryptographic failure",
	[R1_ERR_DB] = "database error",
	[R1_ERR_AUTH] = "not authorized",
	[R1_ERR_NOTFOUND] = "not found",
	[R1_ERR_EXISTS] = "already exists",
	[R1_ERR_TOOBIG] = "too large",
	[R1_ERR_TIMEOUT] = "timed out",
	[R1_ERR_AGAIN] = "temporarily unavailable",
	[R1_ERR_STATE] = "not possible in the current state",
	[R1_ERR_CANCELLED] = "cancelled",
};

const char *r1_strerror(enum r1_err err)
{
	if ((unsigned)err >= R1_ERR__COUNT)
		return "unknown error";
	return err_names[err];
}

static char *vformat(const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return NULL;
	char *s = r1_malloc((size_t)n + 1);
	if (s)
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

enum r1_err r1_fail(char **why, enum r1_err err, const char *fmt, ...)
{
	if (!why)
		return err;
	va_list ap;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	r1_free(*why);
	*why = msg;
	return err;
}

void r1_why_prefix(char **why, const char *fmt, ...)
{
	if (!why || !*why)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *prefix = vformat(fmt, ap);
	va_end(ap);
	if (!prefix)
		return;
	size_t a = strlen(prefix), b = strlen(*why);
	char *joined = r1_malloc(a + 2 + b + 1);
	if (joined) {
		memcpy(joined, prefix, a);
		memcpy(joined + a, ": ", 2);
		memcpy(joined + a + 2, *why, b + 1);
		r1_free(*why);
		*why = joined;
	}
	r1_free(prefix);
}
