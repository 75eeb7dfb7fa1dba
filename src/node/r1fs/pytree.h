#ifndef R1_NODE_R1FS_PYTREE_H
#define R1_NODE_R1FS_PYTREE_H
/*
 * Python values as R1FS's reference holds them: the tree that add_json and
 * get_json read JSON into and write back as json.dumps(sort_keys=True,
 * separators=(',', ':')) with the default ensure_ascii, and that the YAML
 * subset (yaml.h) reads into and writes from.  The reference serializes
 * add_json data that way, so the bytes we encrypt must be the bytes Python
 * would have produced; the text itself is pyjson.h's (core), this file
 * owns the tree, its parser and its sorted walk.
 *
 * Why a tree of our own and not jdoc's: it keeps what Python keeps, which
 * the signature parser deliberately refuses or cannot hold.  Strings are
 * code points stored as WTF-8, so the lone surrogates Python accepts
 * survive ("\ud800" in add_json data; the "\udcff" that os.fsdecode makes
 * of a file name that is not UTF-8, in the encrypted file's metadata);
 * integers keep their exact digits (any size); floats are re-printed as
 * Python's repr; duplicate keys resolve to the last value; and yaml.c
 * builds trees by hand.  Parsing accepts Python's json.loads language:
 * strict JSON plus NaN, Infinity, -Infinity.  This is not the canonical
 * form used for signatures (core/canon.h owns that).
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"

/* Nesting deeper than this is refused (Python's own limit is near 1000). */
#define PYTREE_MAX_DEPTH 512

enum pytree_type {
	PYTREE_NULL,
	PYTREE_FALSE,
	PYTREE_TRUE,
	PYTREE_INT,
	PYTREE_FLOAT,
	PYTREE_STRING,
	PYTREE_ARRAY,
	PYTREE_OBJECT,
};

struct pytree_member;

struct pytree {
	enum pytree_type type;
	char *text; /* INT: digits; FLOAT: the token; STRING: WTF-8 (NUL-terminated) */
	size_t len;
	struct pytree *items;          /* ARRAY */
	struct pytree_member *members; /* OBJECT: sorted by key, duplicates removed */
	size_t n;
};

struct pytree_member {
	char *key; /* WTF-8, NUL-terminated */
	size_t key_len;
	struct pytree value;
};

/*
 * Parse a document.  *out is r1_malloc'd; free with pytree_free.
 * R1_ERR_INVAL (with the byte offset) for malformed input or nesting deeper
 * than PYTREE_MAX_DEPTH, R1_ERR_NOMEM.
 */
enum r1_err pytree_parse(const char *text, size_t len, struct pytree **out, char **why);
void pytree_free(struct pytree **v);
/* Free what an embedded value owns and zero it (for trees built by hand, as yaml.c does). */
void pytree_release(struct pytree *v);
/*
 * Put an OBJECT's members in dump order: sorted by key, the last of equal
 * keys kept (the others released).  The parser does this itself; builders
 * call it once they have added every member.  R1_ERR_NOMEM.
 */
enum r1_err pytree_object_finish(struct pytree *obj, char **why);

/* Append json.dumps(v, sort_keys=True, separators=(',', ':')) to out (check buf_ok). */
void pytree_dump(const struct pytree *v, struct buf *out);

/*
 * The value of a FLOAT node: the token read as Python's float() reads it,
 * NaN and the infinities included.  Trees built by hand (yaml.c) must keep
 * FLOAT text to the JSON number grammar or those three words.
 */
double pytree_float_value(const struct pytree *v);

#endif
