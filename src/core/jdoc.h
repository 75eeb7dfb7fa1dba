#ifndef R1_CORE_JDOC_H
#define R1_CORE_JDOC_H
/*
 * A JSON document parsed from hostile network input into a read-only tree.
 *
 * What it keeps, and why: the signature of a Ratio1 message covers Python's
 * view of it, so the tree keeps what Python would see and nothing less.
 * Objects keep their members in wire order and look keys up with the LAST
 * duplicate winning (a Python dict); strings are decoded UTF-8 with a length
 * (they may contain NUL); numbers keep their exact source token, so integers
 * of any size survive; the non-standard tokens NaN, Infinity and -Infinity
 * that Python senders emit are accepted as floats.
 *
 * It is stricter than Python where Python would accept something that the
 * reference can never verify: invalid UTF-8 (overlong forms, UTF-8-encoded
 * surrogates, truncated sequences, bytes 0xF5..0xFF) and escaped lone
 * surrogates ("\ud800") are refused.  Python decodes a lone surrogate, but
 * the SDK then fails to UTF-8-encode the canonical text and rejects the
 * message, and the tree could not hand such a string to UTF-8 consumers.
 * Integers longer than 4300 digits are refused as CPython's int() refuses
 * them.  Every limit hit is an error with the byte offset.
 *
 * Memory: a jdoc owns one arena (a list of blocks that is coalesced into one
 * on the next parse) holding a copy of the input, the decoded strings and
 * the nodes, about two to three times the input; a jdoc parsed again and
 * again, as the receive path does, stops allocating once it has seen its
 * largest message (and keeps that much).  Nodes and strings live until the
 * next jdoc_parse() or jdoc_free().
 */
#include "core/common.h"
#include "core/err.h"

#include <jansson.h>

enum jdoc_type {
	JDOC_NULL,
	JDOC_FALSE,
	JDOC_TRUE,
	JDOC_INT,   /* token without '.', 'e' or 'E'; any size */
	JDOC_FLOAT, /* token with '.', 'e' or 'E', or NaN / Infinity / -Infinity */
	JDOC_STRING,
	JDOC_ARRAY,
	JDOC_OBJECT,
};

/*
 * One value.  Read it through the accessors below; the layout is public only
 * so they can be inline.
 */
struct jdoc_node {
	uint8_t type;  /* enum jdoc_type */
	uint8_t flags; /* JDOC_F_* */
	uint32_t len;  /* string bytes, token bytes, array elements or object members */
	union {
		const char *str;              /* strings and number tokens, NUL-terminated */
		const struct jdoc_node *kids; /* arrays: len elements; objects: 2 * len
		                                 nodes, key (a string) then value */
	} u;
};

/* Limits; zero in a field means its default. */
struct jdoc_limits {
	size_t max_input;      /* bytes of input; default R1_MAX_MESSAGE_LEN (2 MB) */
	unsigned max_depth;    /* nesting of arrays and objects; default 512, at most 1024 */
	size_t max_string;     /* decoded bytes of one string or key; default max_input */
	size_t max_members;    /* elements of one array or members of one object;
	                          default 1 << 20 */
	size_t max_number_len; /* bytes of one number token; default 4301 (sign and
	                          the 4300 digits CPython's int() accepts) */
};

/* A string none of whose bytes needs escaping in JSON (no byte below 0x20,
 * no '"', no '\\'): writers may copy it as it is. */
#define JDOC_F_PLAIN 0x01

#define JDOC_DEPTH_DEFAULT 512u
#define JDOC_DEPTH_MAX     1024u

struct jdoc;

/* An empty document (no root).  NULL on OOM.  Free with jdoc_free(). */
struct jdoc *jdoc_new(void);
void jdoc_free(struct jdoc **doc);

/*
 * Parse `len` bytes of `text` (which need not be NUL-terminated and is not
 * referenced afterwards) into `doc`, replacing what it held.  `lim` may be
 * NULL for the defaults.  Errors: R1_ERR_PROTO for malformed JSON or
 * invalid UTF-8, R1_ERR_TOOBIG when a limit is exceeded, R1_ERR_NOMEM; the
 * reason names the byte offset, which jdoc_error_offset() also returns.
 * After an error the document has no root.
 */
enum r1_err jdoc_parse(struct jdoc *doc, const char *text, size_t len,
                       const struct jdoc_limits *lim, char **why);

/* The root value, or NULL when the last parse failed or none was made. */
const struct jdoc_node *jdoc_root(const struct jdoc *doc);
/* Byte offset of the last parse error (0 when there was none). */
size_t jdoc_error_offset(const struct jdoc *doc);
/* Deepest nesting seen by the last successful parse (0 for a scalar). */
unsigned jdoc_depth(const struct jdoc *doc);

static inline enum jdoc_type jdoc_type(const struct jdoc_node *n)
{
	return (enum jdoc_type)n->type;
}
/* String bytes, token bytes, elements or members, depending on the type. */
static inline size_t jdoc_len(const struct jdoc_node *n)
{
	return n->len;
}
/* Decoded string (JDOC_STRING) or number token (JDOC_INT/JDOC_FLOAT). */
static inline const char *jdoc_str(const struct jdoc_node *n)
{
	return n->u.str;
}
static inline const struct jdoc_node *jdoc_array_at(const struct jdoc_node *arr, size_t i)
{
	return &arr->u.kids[i];
}
/* Member i in wire order (duplicates included). */
static inline const struct jdoc_node *jdoc_obj_key(const struct jdoc_node *obj, size_t i)
{
	return &obj->u.kids[2 * i];
}
static inline const struct jdoc_node *jdoc_obj_val(const struct jdoc_node *obj, size_t i)
{
	return &obj->u.kids[2 * i + 1];
}
/* True if the string node holds exactly these bytes. */
bool jdoc_str_eq(const struct jdoc_node *n, const char *s, size_t len);

/*
 * The value of `key` in `obj` (the last one when the key is repeated, as a
 * Python dict keeps it), or NULL when absent or when obj is not an object.
 * A linear scan: fine for the few envelope keys; build a map for more.
 */
const struct jdoc_node *jdoc_obj_getn(const struct jdoc_node *obj, const char *key, size_t len);
static inline const struct jdoc_node *jdoc_obj_get(const struct jdoc_node *obj, const char *key)
{
	return jdoc_obj_getn(obj, key, strlen(key));
}

/* Is the token NaN, Infinity or -Infinity? */
bool jdoc_is_nonfinite_token(const struct jdoc_node *n);

/*
 * Integer value of a JDOC_INT.  R1_ERR_INVAL if the node is not an integer,
 * R1_ERR_TOOBIG when it does not fit in int64_t (the reason says so).
 */
enum r1_err jdoc_int64(const struct jdoc_node *n, int64_t *out, char **why);
/*
 * Value of any number as a double, as Python's float() reads the token:
 * integers round to nearest, overflow gives +-inf, NaN/Infinity tokens give
 * NaN/+-inf.  R1_ERR_INVAL if the node is not a number.
 */
enum r1_err jdoc_double(const struct jdoc_node *n, double *out, char **why);

/*
 * Copy a subtree into a new jansson value (the caller owns the reference).
 * Conversions forced by jansson, which has only int64 integers, finite
 * doubles and unique keys: integers outside int64 become reals (rounded to
 * the nearest double; null beyond 1.8e308, where a double ends), NaN and
 * Infinity become null (as the reference hashes them), a repeated key keeps
 * its last value.  Use this after verification;
 * the signature is about the tree, not this copy.  R1_ERR_NOMEM only.
 */
enum r1_err jdoc_to_jansson(const struct jdoc_node *n, json_t **out, char **why);

/*
 * Parse text straight into a new jansson value (jdoc_parse under `lim`,
 * NULL for the defaults, then jdoc_to_jansson): for JSON from a Python peer
 * that no signature covers, such as decoded ENCODED_DATA, where NaN and
 * Infinity become null and integers beyond 64 bits reals.  Errors as
 * jdoc_parse.
 */
enum r1_err jdoc_load_jansson(const char *text, size_t len, const struct jdoc_limits *lim,
                              json_t **out, char **why);

#endif
