/*
 * Python's json.dumps text (core/pyjson): the two separator styles and
 * ensure_ascii on and off over jansson values, the escapes (one table for
 * every writer), WTF-8 lone surrogates, floats as repr() and the
 * non-finite words, the depth limit, and that a failed dump leaves the
 * buffer as it was.  Expected strings are CPython 3.11's output for the
 * same data.
 */
#include "core/lib.h"
#include "core/pyjson.h"
#include "tests/tap.h"

#include <jansson.h>
#include <math.h>

static void dump_is(json_t *v, const struct pyjson_opts *o, const char *want, const char *name)
{
	struct buf b = BUF_INIT;
	char *why = NULL;
	enum r1_err e = pyjson_dump(&b, v, o, &why);
	is_int(e, R1_OK, "%s: dumps (%s)", name, why ? why : "ok");
	is_str(buf_cstr(&b), want, "%s", name);
	buf_release(&b);
	r1_free(why);
	json_decref(v);
}

static void string_is(const char *s, size_t len, bool ascii, const char *want, const char *name)
{
	struct buf b = BUF_INIT;
	pyjson_put_string(&b, s, len, ascii);
	ok(buf_ok(&b), "%s: no allocation failure", name);
	is_str(buf_cstr(&b), want, "%s", name);
	buf_release(&b);
}

static void float_is(double x, const char *want)
{
	struct buf b = BUF_INIT;
	pyjson_put_float(&b, x);
	is_str(buf_cstr(&b), want, "json.dumps(%.17g)", x);
	buf_release(&b);
}

static void test_strings(void)
{
	string_is("", 0, true, "\"\"", "empty string");
	string_is("", 0, false, "\"\"", "empty string, ensure_ascii=False");
	string_is("plain text", 10, true, "\"plain text\"", "nothing to escape");
	string_is("\"\\\n\r\t\b\f/", 8, true, "\"\\\"\\\\\\n\\r\\t\\b\\f/\"",
	          "short escapes; '/' as it is");
	string_is("\x01\x1f", 2, false, "\"\\u0001\\u001f\"", "other controls as \\u00xx");
	string_is("a\0b", 3, true, "\"a\\u0000b\"", "NUL inside a string");
	string_is("\x7f", 1, true, "\"\\u007f\"", "DEL escaped with ensure_ascii");
	string_is("\x7f", 1, false, "\"\x7f\"", "DEL raw without it");
	string_is("t\xc4\x83 \xe2\x80\xa8", 7, true, "\"t\\u0103 \\u2028\"",
	          "BMP characters as lowercase \\uxxxx");
	string_is("t\xc4\x83 \xe2\x80\xa8", 7, false, "\"t\xc4\x83 \xe2\x80\xa8\"",
	          "raw UTF-8 without ensure_ascii (U+2028 too)");
	string_is("\xf0\x9f\x98\x80", 4, true, "\"\\ud83d\\ude00\"",
	          "above U+FFFF as a surrogate pair");
	string_is("\xed\xa0\x80"
	          "x\xed\xb3\xbf",
	          7, true, "\"\\ud800x\\udcff\"", "WTF-8 lone surrogates as Python writes them");
	string_is("a\xff"
	          "b\xc0\x80",
	          5, true, "\"a\\ufffdb\\ufffd\\ufffd\"",
	          "bytes that start no sequence become \\ufffd, one each");
	string_is("\xe2\x82", 2, true, "\"\\ufffd\\ufffd\"", "a truncated sequence");
}

/*
 * The writer skips plain text 8 bytes at a time: each piece that needs an
 * escape (or is non-ASCII) at every offset of a run of plain bytes, across
 * the 8-byte steps, is written as it is alone (checked above against
 * CPython) with the plain bytes around it as they are.
 */
static void test_string_offsets(void)
{
	static const struct {
		const char *s;
		size_t len;
	} pieces[] = {{"\"", 1},      {"\\", 1},         {"\n", 1},
	              {"\x01", 1},     {"\x1f", 1},         {"\x7f", 1},
	              {"\xc4\x83", 2}, {"\xe2\x80\xa8", 3}, {"\xf0\x9f\x98\x80", 4},
	              {"\xff", 1},     {"\0", 1}};
	size_t bad = 0, checked = 0;
	for (size_t k = 0; k < R1_ARRAY_LEN(pieces); k++)
		for (int ascii = 0; ascii < 2; ascii++) {
			struct buf alone = BUF_INIT;
			pyjson_put_string(&alone, pieces[k].s, pieces[k].len, ascii);
			for (size_t before = 0; before < 18; before++)
				for (size_t after = 0; after < 10; after++) {
					char in[40];
					memset(in, 'a', sizeof(in));
					memcpy(in + before, pieces[k].s, pieces[k].len);
					size_t len = before + pieces[k].len + after;
					struct buf want = BUF_INIT, got = BUF_INIT;
					buf_addc(&want, '"');
					buf_add(&want, in, before);
					buf_add(&want, alone.data + 1, alone.len - 2);
					buf_add(&want, in + before + pieces[k].len, after);
					buf_addc(&want, '"');
					pyjson_put_string(&got, in, len, ascii);
					checked++;
					if (strcmp(buf_cstr(&got), buf_cstr(&want)) != 0 && bad++ < 3)
						tap_diag("piece %zu at %zu+%zu ascii=%d: got %s want %s", k,
						         before, after, ascii, buf_cstr(&got), buf_cstr(&want));
					buf_release(&want);
					buf_release(&got);
				}
			buf_release(&alone);
		}
	is_int((long long)bad, 0, "every piece at every offset across the 8-byte steps (%zu strings)",
	       checked);
	/* a long plain run (an R1FS block's base64) comes out whole */
	size_t n = 1000003;
	char *big = r1_malloc(n);
	memset(big, 'Q', n);
	big[n - 2] = '\n';
	struct buf b = BUF_INIT;
	pyjson_put_string(&b, big, n, true);
	ok(b.len == n + 3 && b.data[n - 1] == '\\' && b.data[n] == 'n' && b.data[n + 1] == 'Q',
	   "a 1 MB plain string with one escape near its end");
	buf_release(&b);
	r1_free(big);
}

static void test_floats(void)
{
	float_is(0.0, "0.0");
	float_is(-0.0, "-0.0");
	float_is(1.0, "1.0");
	float_is(0.1, "0.1");
	float_is(100.0, "100.0");
	float_is(0.0001, "0.0001");
	float_is(1e-05, "1e-05");
	float_is(1e16, "1e+16");
	float_is(1234567890123456.0, "1234567890123456.0");
	float_is(123456789012345678.0, "1.2345678901234568e+17");
	float_is(5e-324, "5e-324");
	float_is(1.7976931348623157e308, "1.7976931348623157e+308");
	float_is(0.30000000000000004, "0.30000000000000004");
	float_is(NAN, "NaN");
	float_is(INFINITY, "Infinity");
	float_is(-INFINITY, "-Infinity");
}

static void test_values(void)
{
	const struct pyjson_opts compact = {.compact = true};
	const struct pyjson_opts compact_utf8 = {.compact = true, .utf8 = true};
	dump_is(json_object(), NULL, "{}", "empty object");
	dump_is(json_array(), NULL, "[]", "empty array");
	dump_is(json_null(), NULL, "null", "a scalar at the top");
	dump_is(json_pack("{s:i,s:[i,n,b]}", "b", 1, "a", 2, 1), NULL,
	        "{\"b\": 1, \"a\": [2, null, true]}", "insertion order, default separators");
	dump_is(json_pack("{s:i,s:[i,n,b]}", "b", 1, "a", 2, 0), &compact,
	        "{\"b\":1,\"a\":[2,null,false]}", "compact separators");
	dump_is(json_pack("{s:s}", "k\xc3\xa9", "v\xc3\xa9\x7f"), &compact,
	        "{\"k\\u00e9\":\"v\\u00e9\\u007f\"}", "keys and values escaped alike");
	dump_is(json_pack("{s:s}", "k\xc3\xa9", "v\xc3\xa9\x7f"), &compact_utf8,
	        "{\"k\xc3\xa9\":\"v\xc3\xa9\x7f\"}", "ensure_ascii=False keeps UTF-8 and DEL");
	dump_is(json_pack("{s:f,s:f,s:I}", "x", 250.0, "y", 1e-5, "z", (json_int_t)INT64_MIN), NULL,
	        "{\"x\": 250.0, \"y\": 1e-05, \"z\": -9223372036854775808}",
	        "floats as repr, integers exactly");
	dump_is(json_stringn("a\0b", 3), NULL, "\"a\\u0000b\"", "a string holding NUL");
}

/* An array nested n deep around an empty one: depth n for the innermost. */
static json_t *nested(unsigned n)
{
	json_t *root = json_array(), *cur = root;
	for (unsigned i = 0; i < n; i++) {
		json_t *next = json_array();
		json_array_append_new(cur, next);
		cur = next;
	}
	return root;
}

static void test_limits(void)
{
	struct buf b = BUF_INIT;
	char *why = NULL;
	json_t *v = nested(PYJSON_DEPTH_DEFAULT);
	is_int(pyjson_dump(&b, v, NULL, NULL), R1_OK, "a value at the default depth is written");
	json_decref(v);

	buf_reset(&b);
	buf_adds(&b, "kept");
	v = nested(PYJSON_DEPTH_DEFAULT + 1);
	is_int(pyjson_dump(&b, v, NULL, &why), R1_ERR_TOOBIG, "one level deeper is refused");
	ok(why && strstr(why, "deeper"), "with the reason: %s", why ? why : "(none)");
	is_str(buf_cstr(&b), "kept", "and the buffer is left as it was");
	json_decref(v);
	r1_free(why);
	why = NULL;

	v = nested(3);
	is_int(pyjson_dump(&b, v, &(struct pyjson_opts){.max_depth = 2}, NULL), R1_ERR_TOOBIG,
	       "max_depth is the caller's");
	is_int(pyjson_dump(&b, v, &(struct pyjson_opts){.max_depth = 3}, NULL), R1_OK,
	       "and reaching it is fine");
	json_decref(v);

	/* Allocation failures are R1_ERR_NOMEM, never a partial text. */
	v = json_pack("{s:[s,f,i],s:{s:s}}", "a", "x\xc3\xa9", 1.5, 7, "b", "c", "d");
	bool all_nomem = true;
	for (long n = 0; n < 8; n++) {
		struct buf f = BUF_INIT;
		r1_alloc_fail_after(n);
		enum r1_err e = pyjson_dump(&f, v, NULL, NULL);
		r1_alloc_fail_after(-1);
		if (e != R1_OK && e != R1_ERR_NOMEM)
			all_nomem = false;
		if (e == R1_OK && strcmp(buf_cstr(&f), "{\"a\": [\"x\\u00e9\", 1.5, 7], "
		                                       "\"b\": {\"c\": \"d\"}}") != 0)
			all_nomem = false;
		buf_release(&f);
	}
	ok(all_nomem, "every allocation failure is R1_ERR_NOMEM, every success the whole text");
	json_decref(v);
	buf_release(&b);
}

int main(void)
{
	test_strings();
	test_string_offsets();
	test_floats();
	test_values();
	test_limits();
	return tap_done();
}
