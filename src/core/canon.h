#ifndef R1_CORE_CANON_H
#define R1_CORE_CANON_H
/*
 * The canonical JSON text that Ratio1 hashes and signs: what the reference
 * SDK's _dict_to_json produces, i.e. json.dumps(sort_keys=True,
 * separators=(',', ':'), ensure_ascii=False) of Python's view of the data,
 * after one dump/load round trip:
 *  - object keys sorted by code point (UTF-8 byte order is the same order),
 *    a repeated key written once with its last value (a Python dict);
 *  - no whitespace; strings in raw UTF-8 with Python's escaping (\" \\ \n \r
 *    \t \b \f, other bytes below 0x20 as \u00xx; '/', DEL, U+2028 and U+2029
 *    as they are);
 *  - integers digit for digit from the token, any size ("-0" becomes "0");
 *  - floats as CPython repr() of the double (CANON_FLOATS_REPR, the v2 and
 *    unversioned encoder) or through the SDK's legacy encoder, applied on
 *    both dumps (CANON_FLOATS_LEGACY, the v1 encoder); see pyfloat.h;
 *  - NaN, Infinity and floats that overflow to infinity as null, in every
 *    position (both SDK encoders write null for them, replace_nan_inf or not).
 * The same writer, unsorted, gives compact wire text for messages we build.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/jdoc.h"

#include <jansson.h>

enum canon_floats {
	CANON_FLOATS_REPR,   /* repr(): "1.0", "1e-05", "1e+16" */
	CANON_FLOATS_LEGACY, /* legacy: 1.0 -> "1", 2.5e-300 -> "0.0025" */
};

struct canon_opts {
	enum canon_floats floats;
	bool unsorted;              /* members in their own order (wire text, not a hash) */
	const char *const *exclude; /* top-level keys left out, NULL-terminated; NULL: none */
};

/*
 * Reusable working memory for the key sort, so a receive path that
 * canonicalizes message after message does not allocate.  Also reports how
 * many floats the last call wrote (the legacy and repr encoders only differ
 * when there is at least one).
 */
struct canon_member;
struct canon_scratch {
	struct canon_member *v;
	size_t len, cap;
	size_t floats; /* floats written (null included) by the last call */
};

void canon_scratch_init(struct canon_scratch *s);
void canon_scratch_release(struct canon_scratch *s);

/*
 * Append the canonical text of `root` to `out`.  `opts` NULL means sorted,
 * repr floats, nothing excluded; `scratch` NULL means a temporary one.
 * Errors: R1_ERR_NOMEM (out is then in its oom state or the sort space
 * could not grow).
 */
enum r1_err canon_jdoc(struct buf *out, const struct jdoc_node *root, const struct canon_opts *opts,
                       struct canon_scratch *scratch, char **why);

/*
 * The same for a jansson value (messages we build): integers are int64,
 * reals are printed as repr() of the double.  Errors: R1_ERR_NOMEM,
 * R1_ERR_TOOBIG when nested deeper than JDOC_DEPTH_MAX.
 */
enum r1_err canon_json(struct buf *out, const json_t *root, const struct canon_opts *opts,
                       struct canon_scratch *scratch, char **why);

#endif
