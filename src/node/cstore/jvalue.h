#ifndef R1_NODE_CSTORE_JVALUE_H
#define R1_NODE_CSTORE_JVALUE_H
/*
 * CStore values, tokens and owners as the reference sees them: JSON values
 * that went through json.loads(json.dumps(v)) on a Python node, compared
 * with Python's ==.
 *
 * A value is kept as normalized text: compact JSON, object members in their
 * original order (Python dicts keep it, and clients get their value back as
 * they sent it), strings in raw UTF-8 with Python's escapes, integers as
 * digits and floats as Python's repr ("0.1", "1e-05", "1e+16", "100.0").
 * Two texts are equal when the values are equal in Python: objects whatever
 * their member order, 1 == 1.0, true == 1, false == 0.
 *
 * Limits (the input is hostile): nesting deeper than JVALUE_MAX_DEPTH is
 * refused, and so are what Python would accept but jansson cannot hold
 * (integers beyond 64 bits, NaN and the infinities): R1_ERR_INVAL with the
 * reason, never a silently different value.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"

#include <jansson.h>

#define JVALUE_MAX_DEPTH 128

/*
 * Parse `len` bytes of JSON text (any value, not only objects; strings may
 * hold NUL) into a new jansson value the caller owns.  R1_ERR_INVAL with
 * the reason (offset included) for anything that is not one JSON value,
 * R1_ERR_NOMEM.
 */
enum r1_err jvalue_parse(const char *text, size_t len, json_t **out, char **why);

/*
 * Append the normalized text of `v` to out.  R1_ERR_INVAL for nesting
 * deeper than the limit or a non-finite real, R1_ERR_NOMEM.
 */
enum r1_err jvalue_dump(const json_t *v, struct buf *out, char **why);

/* Parse and dump: the normalized text of JSON text. */
enum r1_err jvalue_normalize(const char *text, size_t len, struct buf *out, char **why);

/* Python's a == b for two JSON values (NULL counts as JSON null). */
bool jvalue_equal(const json_t *a, const json_t *b);

/*
 * Python equality of two normalized texts; NULL means None.  Equal texts
 * are equal values; otherwise both are parsed and compared (text that does
 * not parse equals nothing).
 */
bool jvalue_text_equal(const char *a, const char *b);

/* Equality of a normalized text (NULL = None) and a value (NULL = null). */
bool jvalue_text_equal_value(const char *text, const json_t *v);

/* Nesting depth of a value (0 for a scalar), stopping at limit + 1. */
unsigned jvalue_depth(const json_t *v, unsigned limit);

#endif
