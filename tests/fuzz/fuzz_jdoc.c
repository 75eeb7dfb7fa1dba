/*
 * libFuzzer target: jdoc and canon on arbitrary bytes.  Besides "never
 * crash", it checks that canonical text is a fixed point: parsing it and
 * canonicalizing again gives the same bytes (both float encoders), and that
 * the jansson copy of a document canonicalizes without error.
 * Build: make fuzz (needs CC=clang); run: tests/fuzz/fuzz_jdoc CORPUS_DIR
 */
#include "core/lib.h"
#include "core/canon.h"
#include "core/jdoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fixed_point(struct jdoc *d, enum canon_floats floats)
{
	struct canon_opts o = {floats, false, NULL};
	struct buf a = BUF_INIT, b = BUF_INIT;
	if (canon_jdoc(&a, jdoc_root(d), &o, NULL, NULL) == R1_OK) {
		struct jdoc *d2 = jdoc_new();
		struct jdoc_limits lim = {.max_input = a.len + 1, .max_depth = JDOC_DEPTH_MAX};
		if (!d2 || jdoc_parse(d2, a.data, a.len, &lim, NULL) != R1_OK)
			abort(); /* canonical text must parse */
		if (canon_jdoc(&b, jdoc_root(d2), &o, NULL, NULL) != R1_OK || a.len != b.len ||
		    memcmp(a.data, b.data, a.len) != 0)
			abort(); /* and be its own canonical form */
		jdoc_free(&d2);
	}
	buf_release(&a);
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jdoc *d = jdoc_new();
	struct jdoc_limits lim = {.max_input = 1u << 20, .max_depth = 64};
	if (d && jdoc_parse(d, (const char *)data, size, &lim, NULL) == R1_OK) {
		fixed_point(d, CANON_FLOATS_REPR);
		fixed_point(d, CANON_FLOATS_LEGACY);
		json_t *j = NULL;
		if (jdoc_to_jansson(jdoc_root(d), &j, NULL) == R1_OK) {
			struct buf c = BUF_INIT;
			if (canon_json(&c, j, NULL, NULL, NULL) != R1_OK)
				abort();
			buf_release(&c);
			json_decref(j);
		}
	}
	jdoc_free(&d);
	return 0;
}
