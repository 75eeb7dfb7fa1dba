#ifndef R1_CORE_PYJSON_H
#define R1_CORE_PYJSON_H
/*
 * JSON text as Python's json.dumps writes it, byte for byte, for every place
 * whose bytes a Python peer compares, hashes or decrypts: heartbeat and
 * NET_MON_01 ENCODED_DATA, encrypted payloads, CStore values, R1FS add_json
 * data and encrypted-file metadata.  The one home of Python's string
 * escapes (\" \\ \n \r \t \b \f, other bytes below 0x20 as \u00xx, and with
 * ensure_ascii everything from DEL up as lowercase \uxxxx, surrogate pairs
 * above U+FFFF) and of its float text (repr(), see pyfloat.h).
 *
 * pyjson_dump writes a jansson value: members in insertion order, as a
 * Python dict keeps them, separators and ensure_ascii as asked.  It does
 * not sort: the signature's sorted form is canon.h's (it has its own
 * writer over the received tree, which must stay fast), and R1FS's sorted
 * tree is kept sorted by r1fs/pytree.c, which writes it with the pieces
 * below.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"

#include <jansson.h>

/* Nesting the writer accepts when the options do not say (the value's root is depth 0). */
#define PYJSON_DEPTH_DEFAULT 256u

/* Zero (or NULL options) is json.dumps(v) with its defaults. */
struct pyjson_opts {
	bool compact;       /* separators=(",", ":") instead of (", ", ": ") */
	bool utf8;          /* ensure_ascii=False: non-ASCII (and DEL) written raw */
	unsigned max_depth; /* a value deeper than this is refused; 0: PYJSON_DEPTH_DEFAULT */
};

/*
 * Append the json.dumps text of v to out.  On error out is left as it was.
 * Errors: R1_ERR_TOOBIG (a value deeper than max_depth), R1_ERR_INVAL (a
 * non-finite real, which jansson does not make but a caller could force),
 * R1_ERR_NOMEM.
 */
enum r1_err pyjson_dump(struct buf *out, const json_t *v, const struct pyjson_opts *opts,
                        char **why);

/*
 * Append a JSON string literal for len bytes of s.  With ensure_ascii the
 * bytes are read as WTF-8 (lone surrogates come out as Python writes them,
 * "\ud800"); a byte that starts no sequence becomes \ufffd.  Without it
 * the bytes are copied as they are, only the escapes above applied.  Never
 * fails (check buf_ok).
 */
void pyjson_put_string(struct buf *out, const char *s, size_t len, bool ensure_ascii);

/*
 * Append a float as json.dumps writes it with allow_nan=True: repr() when
 * finite, else NaN, Infinity or -Infinity.
 */
void pyjson_put_float(struct buf *out, double x);

#endif
