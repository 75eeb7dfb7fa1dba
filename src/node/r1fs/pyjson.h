#ifndef R1_NODE_R1FS_PYJSON_H
#define R1_NODE_R1FS_PYJSON_H
/*
 * JSON as the reference's Python writes it for R1FS: json.dumps with
 * sort_keys=True, separators (',', ':') and the default ensure_ascii (every
 * non-ASCII character as \uXXXX, surrogate pairs above U+FFFF).  The
 * reference serializes add_json data that way, and the file-name metadata
 * of every encrypted file with ensure_ascii too, so the bytes we encrypt
 * must be the bytes Python would have produced.
 *
 * The tree keeps what Python keeps: integers as their exact digits (any
 * size), floats re-printed as Python's repr (shortest round trip), strings
 * as code points (stored WTF-8, so the lone surrogates Python accepts
 * survive), duplicate keys resolved to the last value.  Parsing accepts
 * Python's json.loads language: strict JSON plus NaN, Infinity, -Infinity.
 * This is not the canonical form used for signatures (core/wire owns that).
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"

/* Nesting deeper than this is refused (Python's own limit is near 1000). */
#define PYJSON_MAX_DEPTH 512

enum pyjson_type {
	PYJSON_NULL,
	PYJSON_FALSE,
	PYJSON_TRUE,
	PYJSON_INT,
	PYJSON_FLOAT,
	PYJSON_STRING,
	PYJSON_ARRAY,
	PYJSON_OBJECT,
};

struct pyjson_member;

struct pyjson {
	enum pyjson_type type;
	char *text; /* INT: digits; FLOAT: the token; STRING: WTF-8 (NUL-terminated) */
	size_t len;
	struct pyjson *items;          /* ARRAY */
	struct pyjson_member *members; /* OBJECT: sorted by key, duplicates removed */
	size_t n;
};

struct pyjson_member {
	char *key; /* WTF-8, NUL-terminated */
	size_t key_len;
	struct pyjson value;
};

/*
 * Parse a document.  *out is r1_malloc'd; free with pyjson_free.
 * R1_ERR_INVAL (with the byte offset) for malformed input or nesting deeper
 * than PYJSON_MAX_DEPTH, R1_ERR_NOMEM.
 */
enum r1_err pyjson_parse(const char *text, size_t len, struct pyjson **out, char **why);
void pyjson_free(struct pyjson **v);
/* Free what an embedded value owns and zero it (for trees built by hand, as yaml.c does). */
void pyjson_release(struct pyjson *v);
/*
 * Put an OBJECT's members in dump order: sorted by key, the last of equal
 * keys kept (the others released).  The parser does this itself; builders
 * call it once they have added every member.  R1_ERR_NOMEM.
 */
enum r1_err pyjson_object_finish(struct pyjson *obj, char **why);

/* Append json.dumps(v, sort_keys=True, separators=(',', ':')) to out (check buf_ok). */
void pyjson_dump(const struct pyjson *v, struct buf *out);

/*
 * Append a JSON string literal, ASCII-escaped as Python does, for `len`
 * bytes of UTF-8 (lone surrogates in WTF-8 are allowed).  False, with
 * nothing appended, if the bytes are not UTF-8.
 */
bool pyjson_add_string(struct buf *out, const char *s, size_t len);

/* Python's repr(float) for a finite double ("1.5", "1e+16", "-0.0"); returns the length. */
size_t pyjson_float_repr(double x, char out[32]);

/* The value of a FLOAT node (strtod of the token; NaN/Infinity included). */
double pyjson_float_value(const struct pyjson *v);

/*
 * Decode one UTF-8 (or WTF-8) sequence at s[0..len): the code point, or -1
 * when malformed; *used gets its length.
 */
long pyjson_utf8_next(const char *s, size_t len, size_t *used);

#endif
