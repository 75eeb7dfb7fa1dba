/*
 * jdoc: the JSON parser for hostile input.  Degenerate documents first, then
 * what the tree keeps (wire order, last duplicate wins, NUL in strings,
 * number tokens), every refusal with its offset, the limits, invalid UTF-8,
 * truncation of every vector wire at every length, memory reuse and fault
 * injection, and the conversion to jansson.
 */
#include "core/lib.h"
#include "core/jdoc.h"
#include "tests/tap.h"

#include <math.h>

static struct jdoc *doc;

static enum r1_err parse(const char *text, char **why)
{
	return jdoc_parse(doc, text, strlen(text), NULL, why);
}

static void test_degenerate(void)
{
	char *why = NULL;
	is_int(jdoc_parse(doc, "", 0, NULL, &why), R1_ERR_PROTO, "empty input refused");
	is_str(why, "json: unexpected end of input, expected a value at byte 0", "empty: reason");
	ok(jdoc_root(doc) == NULL, "no root after an error");
	is_int(parse("  \n\t ", &why), R1_ERR_PROTO, "whitespace only refused");
	is_int(jdoc_error_offset(doc), 5, "whitespace only: offset at the end");

	is_int(parse("null", NULL), R1_OK, "null at top level");
	is_int(jdoc_type(jdoc_root(doc)), JDOC_NULL, "null type");
	is_int(parse(" true ", NULL), R1_OK, "true with whitespace");
	is_int(jdoc_type(jdoc_root(doc)), JDOC_TRUE, "true type");
	is_int(parse("false", NULL), R1_OK, "false");
	is_int(jdoc_type(jdoc_root(doc)), JDOC_FALSE, "false type");
	is_int(parse("0", NULL), R1_OK, "0 at top level");
	is_str(jdoc_str(jdoc_root(doc)), "0", "0 token");
	is_int(parse("\"\"", NULL), R1_OK, "empty string");
	is_int(jdoc_len(jdoc_root(doc)), 0, "empty string length");
	is_int(parse("{}", NULL), R1_OK, "empty object");
	is_int(jdoc_type(jdoc_root(doc)), JDOC_OBJECT, "object type");
	is_int(jdoc_len(jdoc_root(doc)), 0, "empty object has no members");
	is_int(jdoc_depth(doc), 1, "depth of {}");
	is_int(parse("[ ]", NULL), R1_OK, "empty array with space");
	is_int(jdoc_len(jdoc_root(doc)), 0, "empty array has no elements");
	ok(jdoc_obj_get(jdoc_root(doc), "a") == NULL, "get on an array is NULL");
	r1_free(why);
}

static void test_objects(void)
{
	is_int(parse("{\"b\":1,\"a\":[true,null],\"b\":\"last\",\"c\":{\"d\":-2}}", NULL), R1_OK,
	       "object with a duplicate parses");
	const struct jdoc_node *r = jdoc_root(doc);
	is_int(jdoc_len(r), 4, "four members in wire order, duplicate included");
	is_str(jdoc_str(jdoc_obj_key(r, 0)), "b", "member 0 key");
	is_str(jdoc_str(jdoc_obj_val(r, 0)), "1", "member 0 value token");
	is_str(jdoc_str(jdoc_obj_key(r, 2)), "b", "member 2 is the duplicate");
	const struct jdoc_node *b = jdoc_obj_get(r, "b");
	ok(b && jdoc_type(b) == JDOC_STRING, "lookup finds a string");
	is_str(b ? jdoc_str(b) : "", "last", "the last duplicate wins");
	const struct jdoc_node *a = jdoc_obj_get(r, "a");
	ok(a && jdoc_type(a) == JDOC_ARRAY && jdoc_len(a) == 2, "array member");
	is_int(jdoc_type(jdoc_array_at(a, 0)), JDOC_TRUE, "array element 0");
	is_int(jdoc_type(jdoc_array_at(a, 1)), JDOC_NULL, "array element 1");
	const struct jdoc_node *d = jdoc_obj_get(jdoc_obj_get(r, "c"), "d");
	is_str(d ? jdoc_str(d) : "", "-2", "nested lookup");
	ok(jdoc_obj_get(r, "z") == NULL, "absent key");
	ok(jdoc_obj_getn(r, "bb", 1) != NULL, "getn uses the length");
	is_int(jdoc_depth(doc), 2, "depth 2");
}

static void test_strings(void)
{
	is_int(parse("\"a\\u0000b\\n\\t\\\"\\\\\\/\\b\\f\\r\"", NULL), R1_OK, "escapes");
	const struct jdoc_node *s = jdoc_root(doc);
	is_mem(jdoc_str(s), jdoc_len(s), "a\0b\n\t\"\\/\b\f\r", 11, "escapes decoded, NUL kept");
	is_int(parse("\"\\u00e9\\u0219\\u4e2d\\ud83d\\ude00\\uD83D\\uDE80\"", NULL), R1_OK,
	       "BMP and surrogate pair escapes");
	s = jdoc_root(doc);
	is_str(jdoc_str(s), "\xc3\xa9\xc8\x99\xe4\xb8\xad\xf0\x9f\x98\x80\xf0\x9f\x9a\x80",
	       "decoded to UTF-8 (upper and lower case hex)");
	is_int(parse("\"\xc8\x9b\xe4\xb8\xad\xf0\x9f\x98\x80\x7f\"", NULL), R1_OK,
	       "raw UTF-8 and DEL");
	is_int(jdoc_len(jdoc_root(doc)), 10, "raw UTF-8 length");
	is_int(parse("{\"k\\u0000\":1}", NULL), R1_OK, "NUL inside a key");
	ok(jdoc_obj_getn(jdoc_root(doc), "k\0", 2) != NULL, "key with NUL found by length");
	ok(jdoc_obj_get(jdoc_root(doc), "k") == NULL, "shorter key does not match");
}

static void test_numbers(void)
{
	char *why = NULL;
	is_int(
	    parse("[0,-0,12,-12,1.5,1E2,1e-5,-0.0,2.5e-300,123456789012345678901234567890]", NULL),
	    R1_OK, "numbers");
	const struct jdoc_node *r = jdoc_root(doc);
	static const struct {
		const char *tok;
		enum jdoc_type type;
	} want[] = {{"0", JDOC_INT},          {"-0", JDOC_INT},
	            {"12", JDOC_INT},         {"-12", JDOC_INT},
	            {"1.5", JDOC_FLOAT},      {"1E2", JDOC_FLOAT},
	            {"1e-5", JDOC_FLOAT},     {"-0.0", JDOC_FLOAT},
	            {"2.5e-300", JDOC_FLOAT}, {"123456789012345678901234567890", JDOC_INT}};
	for (size_t i = 0; i < R1_ARRAY_LEN(want); i++) {
		is_str(jdoc_str(jdoc_array_at(r, i)), want[i].tok, "token %zu kept", i);
		is_int(jdoc_type(jdoc_array_at(r, i)), want[i].type, "token %s type", want[i].tok);
	}
	int64_t v = 1;
	is_int(jdoc_int64(jdoc_array_at(r, 1), &v, NULL), R1_OK, "-0 as int64");
	is_int(v, 0, "-0 is 0");
	is_int(jdoc_int64(jdoc_array_at(r, 9), &v, &why), R1_ERR_TOOBIG, "huge int out of range");
	is_str(why, "json: integer 123456789012345678901234567890 out of 64-bit range",
	       "range reason");
	is_int(jdoc_int64(jdoc_array_at(r, 4), &v, NULL), R1_ERR_INVAL, "float is not an int64");
	double x;
	is_int(jdoc_double(jdoc_array_at(r, 5), &x, NULL), R1_OK, "1E2 as double");
	ok(x == 100.0, "1E2 is 100.0");
	is_int(jdoc_double(jdoc_array_at(r, 9), &x, NULL), R1_OK, "huge int as double");
	ok(x == 1.2345678901234568e+29, "huge int rounds to nearest");
	is_int(jdoc_double(jdoc_array_at(r, 7), &x, NULL), R1_OK, "-0.0 as double");
	ok(x == 0 && signbit(x), "-0.0 keeps its sign");

	is_int(parse("[9223372036854775807,-9223372036854775808,9223372036854775808,"
	             "-9223372036854775809]",
	             NULL),
	       R1_OK, "int64 edges");
	r = jdoc_root(doc);
	is_int(jdoc_int64(jdoc_array_at(r, 0), &v, NULL), R1_OK, "INT64_MAX fits");
	ok(v == INT64_MAX, "INT64_MAX value");
	is_int(jdoc_int64(jdoc_array_at(r, 1), &v, NULL), R1_OK, "INT64_MIN fits");
	ok(v == INT64_MIN, "INT64_MIN value");
	is_int(jdoc_int64(jdoc_array_at(r, 2), &v, NULL), R1_ERR_TOOBIG, "INT64_MAX+1 does not");
	is_int(jdoc_int64(jdoc_array_at(r, 3), &v, NULL), R1_ERR_TOOBIG, "INT64_MIN-1 does not");

	is_int(parse("{\"x\": NaN, \"y\": Infinity, \"z\": -Infinity, \"o\": 1e400, \"u\": -1e400}",
	             NULL),
	       R1_OK, "Python's non-standard tokens");
	r = jdoc_root(doc);
	const struct jdoc_node *n = jdoc_obj_get(r, "x");
	ok(jdoc_type(n) == JDOC_FLOAT && jdoc_is_nonfinite_token(n), "NaN is a non-finite float");
	jdoc_double(n, &x, NULL);
	ok(isnan(x), "NaN value");
	jdoc_double(jdoc_obj_get(r, "y"), &x, NULL);
	ok(isinf(x) && x > 0, "Infinity value");
	jdoc_double(jdoc_obj_get(r, "z"), &x, NULL);
	ok(isinf(x) && x < 0, "-Infinity value");
	ok(!jdoc_is_nonfinite_token(jdoc_obj_get(r, "o")), "1e400 is an ordinary token");
	jdoc_double(jdoc_obj_get(r, "o"), &x, NULL);
	ok(isinf(x) && x > 0, "1e400 overflows to inf as in Python");
	jdoc_double(jdoc_obj_get(r, "u"), &x, NULL);
	ok(isinf(x) && x < 0, "-1e400 overflows to -inf");
	is_int(jdoc_double(jdoc_obj_get(r, "x") - 1, &x, NULL), R1_ERR_INVAL,
	       "a key is not a number");
	r1_free(why);
}

struct bad {
	const char *text;
	size_t len; /* 0: strlen */
	enum r1_err err;
	size_t off;
	const char *reason;
};

static void test_refusals(void)
{
	static const struct bad cases[] = {
	    {"{", 0, R1_ERR_PROTO, 1, "unexpected end of input, expected a key"},
	    {"[", 0, R1_ERR_PROTO, 1, "unexpected end of input, expected a value"},
	    {"[1", 0, R1_ERR_PROTO, 2, "unexpected end of input"},
	    {"[1,]", 0, R1_ERR_PROTO, 3, "expected a value"},
	    {"{\"a\":1,}", 0, R1_ERR_PROTO, 7, "expected a string key"},
	    {"{\"a\" 1}", 0, R1_ERR_PROTO, 5, "expected ':' after key"},
	    {"{\"a\":1 \"b\":2}", 0, R1_ERR_PROTO, 7, "expected ',' or '}'"},
	    {"[1 2]", 0, R1_ERR_PROTO, 3, "expected ',' or ']'"},
	    {"[1}", 0, R1_ERR_PROTO, 2, "expected ',' or ']'"},
	    {"{1:2}", 0, R1_ERR_PROTO, 1, "expected a string key"},
	    {"{'a':2}", 0, R1_ERR_PROTO, 1, "expected a string key"},
	    {"01", 0, R1_ERR_PROTO, 1, "extra data after the document"},
	    {"1.", 0, R1_ERR_PROTO, 2, "invalid number: no digit after '.'"},
	    {".5", 0, R1_ERR_PROTO, 0, "expected a value"},
	    {"-", 0, R1_ERR_PROTO, 0, "invalid number"},
	    {"+1", 0, R1_ERR_PROTO, 0, "expected a value"},
	    {"1e", 0, R1_ERR_PROTO, 2, "invalid number: no digit in exponent"},
	    {"1e+", 0, R1_ERR_PROTO, 3, "invalid number: no digit in exponent"},
	    {"-NaN", 0, R1_ERR_PROTO, 0, "invalid number"},
	    {"-Inf", 0, R1_ERR_PROTO, 0, "invalid literal"},
	    {"nan", 0, R1_ERR_PROTO, 0, "expected a value"},
	    {"infinity", 0, R1_ERR_PROTO, 0, "expected a value"},
	    {"tru", 0, R1_ERR_PROTO, 0, "expected a value"},
	    {"nullx", 0, R1_ERR_PROTO, 4, "extra data after the document"},
	    {"{} {}", 0, R1_ERR_PROTO, 3, "extra data after the document"},
	    {"\"abc", 0, R1_ERR_PROTO, 0, "unterminated string"},
	    {"\"abc\\", 0, R1_ERR_PROTO, 0, "unterminated string"},
	    {"\"a\\x\"", 0, R1_ERR_PROTO, 2, "invalid escape in string"},
	    {"\"\\u12\"", 0, R1_ERR_PROTO, 1, "invalid \\u escape in string"},
	    {"\"\\u12g4\"", 0, R1_ERR_PROTO, 1, "invalid \\u escape in string"},
	    {"\"a\tb\"", 0, R1_ERR_PROTO, 2, "control character in string"},
	    {"\"a\nb\"", 0, R1_ERR_PROTO, 2, "control character in string"},
	    {"\"\\ud800\"", 0, R1_ERR_PROTO, 1, "lone high surrogate escape in string"},
	    {"\"\\ud800x\"", 0, R1_ERR_PROTO, 1, "lone high surrogate escape in string"},
	    {"\"\\ud800\\u0041\"", 0, R1_ERR_PROTO, 1, "lone high surrogate escape in string"},
	    {"\"\\ud800\\ud800\"", 0, R1_ERR_PROTO, 1, "lone high surrogate escape in string"},
	    {"\"\\udc00\\ud800\"", 0, R1_ERR_PROTO, 1, "lone low surrogate escape in string"},
	    {"\"\\uDFFF\"", 0, R1_ERR_PROTO, 1, "lone low surrogate escape in string"},
	    {"\"x\xc0\x80\"", 0, R1_ERR_PROTO, 2, "invalid UTF-8 in string"},
	    {"\"\xc1\xbf\"", 0, R1_ERR_PROTO, 1, "invalid UTF-8 in string"},
	    {"\"\xe0\x80\x80\"", 0, R1_ERR_PROTO, 1, "invalid UTF-8 in string"},
	    {"\"\xe0\x9f\xbf\"", 0, R1_ERR_PROTO, 1, "invalid UTF-8 in string"},
	    {"\"\xf0\x80\x80\x80\"", 0, R1_ERR_PROTO, 1, "invalid UTF-8 in string"},
	    {"\"\xf0\x8f\xbf\xbf\"", 0, R1_ERR_PROTO, 1, "invalid UTF-8 in string"},
	    {"\"\xed\xa0\x80\"", 0, R1_ERR_PROTO, 1, "invalid UTF-8 in string"},
	    {"\"\xed\xbf\xbf\"", 0, R1_ERR_PROTO, 1, "invalid UTF-8 in string"},
	    {"\"\xf4\x90\x80\x80\"", 0, R1_ERR_PROTO, 1, "invalid UTF-8 in string"},
	    {"\"\xf5\x80\x80\x80\"", 0, R1_ERR_PROTO, 1, "invalid UTF-8 in string"},
	    {"\"\xff\"", 0, R1_ERR_PROTO, 1, "invalid UTF-8 in string"},
	    {"\"\xfe\"", 0, R1_ERR_PROTO, 1, "invalid UTF-8 in string"},
	    {"\"\x80\"", 0, R1_ERR_PROTO, 1, "invalid UTF-8 in string"},
	    {"\"ab\xe2\x82\"", 0, R1_ERR_PROTO, 3, "invalid UTF-8 in string"},
	    {"\"ab\xf0\x9f\x98\"", 0, R1_ERR_PROTO, 3, "invalid UTF-8 in string"},
	    {"\"\xc3\"", 0, R1_ERR_PROTO, 1, "invalid UTF-8 in string"},
	    {"\"\xc3\x28\"", 0, R1_ERR_PROTO, 1, "invalid UTF-8 in string"},
	    {"\xef\xbb\xbf{}", 0, R1_ERR_PROTO, 0, "expected a value"},
	    {"[\xc3\xa9]", 0, R1_ERR_PROTO, 1, "expected a value"},
	    {"\"a\0b\"", 5, R1_ERR_PROTO, 2, "control character in string"},
	    {"[1]\0", 4, R1_ERR_PROTO, 3, "extra data after the document"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(cases); i++) {
		const struct bad *c = &cases[i];
		char *why = NULL;
		size_t len = c->len ? c->len : strlen(c->text);
		enum r1_err err = jdoc_parse(doc, c->text, len, NULL, &why);
		char want[160];
		snprintf(want, sizeof(want), "json: %s at byte %zu", c->reason, c->off);
		is_int(err, c->err, "case %zu refused", i);
		is_str(why, want, "case %zu reason", i);
		is_int(jdoc_error_offset(doc), c->off, "case %zu offset", i);
		ok(jdoc_root(doc) == NULL, "case %zu leaves no root", i);
		r1_free(why);
	}
	/* every valid sequence boundary is accepted */
	is_int(parse("\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf"
	             "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"",
	             NULL),
	       R1_OK, "boundary code points U+0080..U+10FFFF accepted");
}

static char *repeat(const char *unit, size_t n, const char *head, const char *tail)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, head);
	for (size_t i = 0; i < n; i++)
		buf_adds(&b, unit);
	buf_adds(&b, tail);
	return buf_detach(&b, NULL);
}

static void test_limits(void)
{
	char *why = NULL;
	/* 1,000-deep nesting, arrays and objects: refused by the default 512 */
	struct buf b = BUF_INIT;
	for (int i = 0; i < 1000; i++)
		buf_addc(&b, '[');
	for (int i = 0; i < 1000; i++)
		buf_addc(&b, ']');
	is_int(jdoc_parse(doc, b.data, b.len, NULL, &why), R1_ERR_TOOBIG,
	       "1000-deep arrays refused");
	is_str(why, "json: nesting deeper than the limit at byte 512", "deep arrays: reason");
	buf_reset(&b);
	for (int i = 0; i < 1000; i++)
		buf_adds(&b, "{\"a\":");
	buf_adds(&b, "1");
	for (int i = 0; i < 1000; i++)
		buf_addc(&b, '}');
	is_int(jdoc_parse(doc, b.data, b.len, NULL, &why), R1_ERR_TOOBIG,
	       "1000-deep objects refused");
	is_str(why, "json: nesting deeper than the limit at byte 2560", "deep objects: reason");
	struct jdoc_limits lim = {.max_depth = 1000};
	is_int(jdoc_parse(doc, b.data, b.len, &lim, NULL), R1_OK, "1000 deep allowed by a limit");
	is_int(jdoc_depth(doc), 1000, "depth 1000 recorded");
	lim.max_depth = 5000;
	buf_release(&b);
	char *deep = repeat("[", 1100, "", "");
	is_int(jdoc_parse(doc, deep, strlen(deep), &lim, &why), R1_ERR_TOOBIG,
	       "the depth limit is capped at JDOC_DEPTH_MAX");
	is_str(why, "json: nesting deeper than the limit at byte 1024", "cap reason");
	r1_free(deep);
	deep = repeat("[", 512, "", "");
	char *deep2 = repeat("]", 512, deep, "");
	is_int(jdoc_parse(doc, deep2, strlen(deep2), NULL, NULL), R1_OK,
	       "exactly 512 deep accepted");
	r1_free(deep);
	r1_free(deep2);

	/* a 10 MB string: over the 2 MB input limit, then over a string limit */
	size_t big = 10u * 1024 * 1024;
	char *s = r1_malloc(big + 2);
	s[0] = '"';
	memset(s + 1, 'x', big);
	s[big + 1] = '"';
	is_int(jdoc_parse(doc, s, big + 2, NULL, &why), R1_ERR_TOOBIG, "10 MB input refused");
	is_str(why, "json: input of 10485762 bytes is over the limit of 2097152", "10 MB: reason");
	is_int(jdoc_error_offset(doc), 2097152, "10 MB: offset is the limit");
	lim = (struct jdoc_limits){.max_input = 16u * 1024 * 1024, .max_string = 1u << 20};
	is_int(jdoc_parse(doc, s, big + 2, &lim, &why), R1_ERR_TOOBIG,
	       "10 MB string over a 1 MB string limit");
	is_str(why, "json: string longer than the limit at byte 0", "string limit reason");
	lim.max_string = 0;
	is_int(jdoc_parse(doc, s, big + 2, &lim, NULL), R1_OK, "10 MB string under a 16 MB input");
	is_int(jdoc_len(jdoc_root(doc)), big, "10 MB string length");
	r1_free(s);

	lim = (struct jdoc_limits){.max_members = 3};
	is_int(parse("[1,2,3]", NULL), R1_OK, "three elements");
	is_int(jdoc_parse(doc, "[1,2,3]", 7, &lim, NULL), R1_OK, "three elements at a limit of 3");
	is_int(jdoc_parse(doc, "[1,2,3,4]", 9, &lim, &why), R1_ERR_TOOBIG, "four elements refused");
	is_str(why, "json: more members than the limit at byte 7", "members reason");
	is_int(jdoc_parse(doc, "{\"a\":1,\"b\":2,\"c\":3,\"a\":4}", 25, &lim, &why), R1_ERR_TOOBIG,
	       "four members refused (duplicates count)");
	lim = (struct jdoc_limits){.max_number_len = 5};
	is_int(jdoc_parse(doc, "[12345]", 7, &lim, NULL), R1_OK, "5-byte number at limit 5");
	is_int(jdoc_parse(doc, "[-12345]", 8, &lim, &why), R1_ERR_TOOBIG, "6-byte number refused");
	is_str(why, "json: number longer than the limit at byte 1", "number limit reason");

	/* CPython refuses integers of more than 4300 digits */
	char *d4300 = repeat("7", 4300, "[-", "]");
	is_int(parse(d4300, NULL), R1_OK, "-4300 digits accepted");
	char *d4301 = repeat("7", 4301, "[", "]");
	is_int(parse(d4301, &why), R1_ERR_TOOBIG, "4301 digits refused");
	is_str(why, "json: integer with more than 4300 digits at byte 1", "4301 digits reason");
	r1_free(d4300);
	r1_free(d4301);
	char *f = repeat("1", 5000, "[0.", "]");
	is_int(parse(f, &why), R1_ERR_TOOBIG, "5002-byte float refused by the number length limit");
	r1_free(f);
	r1_free(why);
}

/* Every proper prefix of every vector wire is refused with a reason; none crashes. */
static void test_truncation(void)
{
	char *path = tap_vector_path("canon_sign.jsonl");
	size_t n;
	char **lines = tap_read_lines(path, &n);
	size_t wires = 0, prefixes = 0, refused = 0, with_reason = 0, offset_ok = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *row = json_loads(lines[i], JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, NULL);
		const char *wire = json_string_value(json_object_get(row, "wire"));
		size_t wlen = json_string_length(json_object_get(row, "wire"));
		if (!wire) {
			json_decref(row);
			continue;
		}
		wires++;
		for (size_t len = 0; len < wlen; len++) {
			char *why = NULL;
			char *copy = r1_memdup(wire, len ? len : 1); /* exact size for ASan */
			enum r1_err err = jdoc_parse(doc, copy, len, NULL, &why);
			prefixes++;
			refused += err == R1_ERR_PROTO;
			with_reason += why && strstr(why, " at byte ");
			offset_ok += jdoc_error_offset(doc) <= len;
			r1_free(why);
			r1_free(copy);
		}
		ok(jdoc_parse(doc, wire, wlen, NULL, NULL) == R1_OK, "full wire of %s parses",
		   json_string_value(json_object_get(row, "id")));
		json_decref(row);
	}
	tap_free_lines(lines);
	free(path);
	is_int(wires, 90, "90 vector wires");
	ok(prefixes > 30000, "%zu prefixes tried", prefixes);
	is_int(refused, prefixes, "every proper prefix refused as malformed");
	is_int(with_reason, prefixes, "every refusal has a reason with an offset");
	is_int(offset_ok, prefixes, "every offset lies within the prefix");
}

/* A second parse of a document no larger than the first allocates nothing. */
static void test_reuse_and_faults(void)
{
	const char *msg = "{\"EE_ID\":\"n\",\"vals\":[1.5,2,3,{\"k\":\"\\u0219\"}],\"s\":\"abc\"}";
	struct jdoc *d = jdoc_new();
	is_int(jdoc_parse(d, msg, strlen(msg), NULL, NULL), R1_OK, "first parse");
	r1_alloc_fail_after(0);
	enum r1_err err = jdoc_parse(d, msg, strlen(msg), NULL, NULL);
	long refused = r1_alloc_fail_after(-1);
	is_int(err, R1_OK, "second parse with every allocation failing");
	is_int(refused, 0, "second parse made no allocation");
	jdoc_free(&d);
	ok(d == NULL, "jdoc_free NULLs the pointer");
	jdoc_free(&d);

	/* a tree that needs several arena blocks coalesces into one */
	d = jdoc_new();
	char *many = repeat("\"abcdefghijklmnop\",", 20000, "[", "1]");
	is_int(jdoc_parse(d, "[]", 2, NULL, NULL), R1_OK, "small parse");
	is_int(jdoc_parse(d, many, strlen(many), NULL, NULL), R1_OK, "big parse grows the arena");
	is_int(jdoc_len(jdoc_root(d)), 20001, "20001 elements");
	is_int(jdoc_parse(d, many, strlen(many), NULL, NULL), R1_OK, "big parse again");
	r1_alloc_fail_after(0);
	err = jdoc_parse(d, many, strlen(many), NULL, NULL);
	refused = r1_alloc_fail_after(-1);
	is_int(err, R1_OK, "third big parse allocation-free");
	is_int(refused, 0, "no allocation after coalescing");
	jdoc_free(&d);
	r1_free(many);

	/* fail each allocation in turn: NOMEM with a reason, never a crash or leak */
	size_t nomem = 0, steps = 0;
	for (long k = 0; k < 40; k++) {
		d = jdoc_new();
		if (!d)
			continue;
		char *why = NULL;
		r1_alloc_fail_after(k);
		err = jdoc_parse(d, msg, strlen(msg), NULL, &why);
		r1_alloc_fail_after(-1);
		steps++;
		if (err == R1_ERR_NOMEM)
			nomem++;
		else if (err != R1_OK)
			ok(false, "unexpected error %d under fault injection", err);
		r1_free(why);
		jdoc_free(&d);
	}
	ok(nomem >= 2 && steps == 40, "allocation failures reported as NOMEM (%zu of %zu)", nomem,
	   steps);
	d = jdoc_new();
	ok(d != NULL, "allocations work again");
	jdoc_free(&d);
}

static void test_to_jansson(void)
{
	const char *text =
	    "{\"i\":-42,\"big\":123456789012345678901234567890,\"f\":0.1,"
	    "\"n\":NaN,\"inf\":-Infinity,\"s\":\"a\\u0000b\",\"t\":true,\"z\":null,"
	    "\"a\":[1,[2,{}]],\"d\":1,\"d\":2,\"k\\u0000\":\"nul key\",\"huge\":1"
	    "0000000000000000000000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000}";
	is_int(parse(text, NULL), R1_OK, "parse for conversion");
	json_t *j = NULL;
	is_int(jdoc_to_jansson(jdoc_root(doc), &j, NULL), R1_OK, "converted");
	ok(json_is_integer(json_object_get(j, "i")) &&
	       json_integer_value(json_object_get(j, "i")) == -42,
	   "int stays an integer");
	ok(json_is_real(json_object_get(j, "big")) &&
	       json_real_value(json_object_get(j, "big")) == 1.2345678901234568e+29,
	   "integer beyond int64 becomes a real");
	ok(json_real_value(json_object_get(j, "f")) == 0.1, "float");
	ok(json_is_null(json_object_get(j, "n")), "NaN becomes null");
	ok(json_is_null(json_object_get(j, "inf")), "-Infinity becomes null");
	ok(json_is_null(json_object_get(j, "huge")), "integer beyond a double becomes null");
	json_t *s = json_object_get(j, "s");
	is_mem(json_string_value(s), json_string_length(s), "a\0b", 3, "string with NUL");
	ok(json_is_true(json_object_get(j, "t")), "true");
	ok(json_is_null(json_object_get(j, "z")), "null");
	ok(json_integer_value(json_object_get(j, "d")) == 2, "duplicate: last wins");
	is_int(json_object_size(j), 12, "twelve distinct keys");
	json_t *nk = json_object_getn(j, "k\0", 2);
	is_str(json_string_value(nk), "nul key", "key with NUL kept by length");
	json_t *a = json_object_get(j, "a");
	ok(json_array_size(a) == 2 && json_is_object(json_array_get(json_array_get(a, 1), 1)),
	   "nested array and object");
	json_decref(j);

	/* OOM during conversion: NOMEM, nothing leaked */
	size_t nomem = 0;
	for (long k = 0; k < 30; k++) {
		r1_alloc_fail_after(k);
		enum r1_err err = jdoc_to_jansson(jdoc_root(doc), &j, NULL);
		r1_alloc_fail_after(-1);
		if (err == R1_OK)
			json_decref(j);
		else
			nomem += err == R1_ERR_NOMEM && j == NULL;
	}
	ok(nomem > 5, "conversion reports NOMEM under fault injection (%zu)", nomem);
}

/* Every vector message: our tree, converted, equals jansson's reading of `message`. */
static void test_vector_messages(void)
{
	char *path = tap_vector_path("canon_sign.jsonl");
	size_t n;
	char **lines = tap_read_lines(path, &n);
	size_t same = 0, compared = 0, bigint_rows = 0, nonstrict = 0;
	for (size_t i = 0; i < n; i++) {
		json_error_t jerr;
		json_t *row = json_loads(lines[i], JSON_ALLOW_NUL, &jerr);
		if (!row) {
			/* jansson cannot read integers beyond int64 (A-v2-019/020) */
			bigint_rows += strstr(jerr.text, "too big") != NULL;
			continue;
		}
		json_t *msg = json_object_get(row, "message");
		json_t *wire = json_object_get(row, "wire");
		if (json_is_null(msg)) {
			nonstrict++;
			json_decref(row);
			continue;
		}
		json_t *ours = NULL;
		if (jdoc_parse(doc, json_string_value(wire), json_string_length(wire), NULL,
		               NULL) == R1_OK &&
		    jdoc_to_jansson(jdoc_root(doc), &ours, NULL) == R1_OK) {
			compared++;
			same += json_equal(ours, msg);
		}
		json_decref(ours);
		json_decref(row);
	}
	tap_free_lines(lines);
	free(path);
	is_int(bigint_rows, 2, "two rows hold integers beyond jansson");
	is_int(nonstrict, 3, "three rows carry NaN/Infinity wires");
	is_int(compared, 85, "85 messages compared");
	is_int(same, compared, "every parsed wire equals the recorded message");
}

int main(void)
{
	r1_alloc_setup_jansson();
	doc = jdoc_new();
	if (!doc)
		tap_bail("jdoc_new");
	test_degenerate();
	test_objects();
	test_strings();
	test_numbers();
	test_refusals();
	test_limits();
	test_truncation();
	test_reuse_and_faults();
	test_to_jansson();
	test_vector_messages();
	jdoc_free(&doc);
	return tap_done();
}
