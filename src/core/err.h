#ifndef R1_CORE_ERR_H
#define R1_CORE_ERR_H
/*
 * Error codes of core and node, and the `why` convention.
 *
 * A fallible function returns enum r1_err and takes an optional `char **why`
 * as its last argument.  On failure it stores there a malloc'd, one-line
 * message a person can read ("canon: nesting deeper than 512 at byte 1032"),
 * which the caller frees with r1_free(); a previous message is replaced.
 * NULL means the caller does not want one.  On success *why is untouched.
 */
#include "core/common.h"

enum r1_err {
	R1_OK = 0,
	R1_ERR_NOMEM,	/* an allocation failed */
	R1_ERR_INVAL,	/* bad argument or malformed input */
	R1_ERR_IO,	/* file or socket error (errno in the message) */
	R1_ERR_PROTO,	/* a peer broke the wire protocol */
	R1_ERR_CRYPTO,	/* key, signature or cipher failure */
	R1_ERR_DB,	/* SQLite error */
	R1_ERR_AUTH,	/* not allowed: allow-list, token, readonly, password */
	R1_ERR_NOTFOUND,
	R1_ERR_EXISTS,
	R1_ERR_TOOBIG,	/* a size limit was hit */
	R1_ERR_TIMEOUT,
	R1_ERR_AGAIN,	/* try later: queue full, not connected */
	R1_ERR_STATE,	/* the object is not in a state that allows this */
	R1_ERR_CANCELLED,
	R1_ERR__COUNT
};

/* Short constant name of a code ("invalid input"); never NULL. */
const char *r1_strerror(enum r1_err err);

/*
 * Set *why (when why is not NULL) to the formatted message and return err,
 * so that failure paths read `return r1_fail(why, R1_ERR_INVAL, "...", ...)`.
 */
enum r1_err r1_fail(char **why, enum r1_err err, const char *fmt, ...) R1_PRINTF(3, 4);

/* Prefix an existing *why with "prefix: " (no-op when why or *why is NULL). */
void r1_why_prefix(char **why, const char *fmt, ...) R1_PRINTF(2, 3);

#endif
