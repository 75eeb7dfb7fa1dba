/*
 * canon and pyfloat: CPython's float text (a table recorded from CPython
 * 3.11 plus a property test over random doubles), the JSON number reader,
 * Python's string escaping, the canonical rules one by one, and then every
 * canonical text the SDK recorded in the vectors (canon_sign.jsonl,
 * heartbeat.jsonl, commands.jsonl), from the wire through jdoc and from the
 * recorded message through jansson, with its SHA-256.
 */
#include "core/lib.h"
#include "core/canon.h"
#include "core/pyjson.h"
#include "core/hash.h"
#include "core/jdoc.h"
#include "core/pyfloat.h"
#include "tests/tap.h"

#include <math.h>

struct fcase {
	double x;
	const char *repr;
	const char *legacy;
};

/* repr(x) and the legacy encoder's final text, printed by CPython 3.11. */
static const struct fcase fcases[] = {
    {0x1.999999999999ap-4, "0.1", "0.1"},
    {0x1.3333333333334p-2, "0.30000000000000004", "0.30000000000000004"},
    {0x1.0000000000000p+0, "1.0", "1"},
    {-0x1.0000000000000p+0, "-1.0", "-1"},
    {0x1.0000000000000p-1, "0.5", "0.5"},
    {0x1.9000000000000p+6, "100.0", "100"},
    {0x1.1c37937e08000p+53, "1e+16", "1e+16"},
    {0x1.c6bf526340000p+49, "1000000000000000.0", "1000000000000000"},
    {0x1.1c37937e07fffp+53, "9999999999999998.0", "9999999999999998"},
    {0x1.b69b4ba630f35p+56, "1.2345678901234568e+17", "1.2345678901234568e+17"},
    {0x1.a36e2eb1c432dp-14, "0.0001", "0.0001"},
    {0x1.4f8b588e368f1p-17, "1e-05", "1e-05"},
    {0x1.f75104d551d69p-17, "1.5e-05", "1.5e-05"},
    {0x0.0000000000001p-1022, "5e-324", "5e-324"},
    {0x0.0000000000002p-1022, "1e-323", "1e-323"},
    {0x1.0000000000000p-1022, "2.2250738585072014e-308", "2.2250738585072014e-308"},
    {0x0.fffffffffffffp-1022, "2.225073858507201e-308", "2.225073858507201e-308"},
    {0x1.fffffffffffffp+1023, "1.7976931348623157e+308", "1.7976931348623157e+308"},
    {0x1.aa535d3d0c000p+53, "1.5e+16", "1.5e+16"},
    {0x1.0f0cf064dd592p+73, "1e+22", "1e+22"},
    {0x1.b1ae4d6e2ef50p+69, "1e+21", "1e+21"},
    {0x1.52d02c7e14af6p+76, "1e+23", "1e+23"},
    {0x1.0000000000000p+63, "9.223372036854776e+18", "9.223372036854776e+18"},
    {0x1.ac9a7b3b7302fp-996, "2.5e-300", "0.0025"},
    {0x1.486de8697abecp+166, "1.2e+50", "120000"},
    {0x1.921f9f01b866ep+1, "3.14159", "3.14159"},
    {0x1.d6f34547df3b6p+26, "123456789.123", "123456789.123"},
    {0x1.8420c49ba5e35p+3, "12.129", "12.129"},
    {0x1.5000000000000p+4, "21.0", "21"},
    {0x1.8000000000000p-1, "0.75", "0.75"},
    {0x1.421f5f40d8376p-23, "1.5e-07", "1.5e-07"},
    {0x1.0000000000000p+53, "9007199254740992.0", "9007199254740992"},
    {0x0.0000000000003p-1022, "1.5e-323", "1.5e-323"},
    {0x1.1666666666666p+2, "4.35", "4.35"},
    {0x1.3333333333333p-2, "0.3", "0.3"},
    {0x1.5555555555555p-1, "0.6666666666666666", "0.6666666666666666"},
    {0x1.7e43c8800759cp+996, "1e+300", "1e+300"},
    {0x1.0624dd2f1a9fcp-10, "0.001", "0.001"},
    {0x1.2d68700000000p+20, "1234567.0", "1234567"},
    {0x1.56a95319d63e1p+63, "1.2345678901234567e+19", "1.2345678901234567e+19"},
    {-0x1.4000000000000p+1, "-2.5", "-2.5"},
    {0x1.a36e2eb1c432dp-15, "5e-05", "5e-05"},
    {0x1.249ad2594c37dp+332, "1e+100", "1e+100"},
    {0x1.5555555555555p+1022, "5.992310449541053e+307", "5.992310449541053e+307"},
    {0x0.8000000000000p-1022, "1.1125369292536007e-308", "1.1125369292536007e-308"},
    {0x1.0000000000000p+1023, "8.98846567431158e+307", "8.98846567431158e+307"},
    {0x0.0000000000010p-1022, "8e-323", "8e-323"},
    {0x1.ad7f29abcaf48p-24, "1e-07", "1e-07"},
    {0x1.6b082c2148b8ep-60, "1.23e-18", "1.23e-18"},
    {0x1.01f31f46ed246p-13, "0.000123", "0.000123"},
    {0x1.6345785d8a000p+56, "1e+17", "1e+17"},
    {0x1.6345785d89fffp+56, "9.999999999999998e+16", "9.999999999999998e+16"},
    {0.0, "0.0", "0"},
    {-0.0, "-0.0", "0"},
};

static void test_repr_table(void)
{
	char out[PYFLOAT_REPR_MAX];
	for (size_t i = 0; i < R1_ARRAY_LEN(fcases); i++) {
		const struct fcase *c = &fcases[i];
		pyfloat_repr(c->x, 0, out);
		is_str(out, c->repr, "repr(%a)", c->x);
		double back;
		unsigned sig;
		ok(pyfloat_parse(c->repr, strlen(c->repr), &back, &sig) &&
		       memcmp(&back, &c->x, sizeof(back)) == 0,
		   "%s reads back bit for bit", c->repr);
		pyfloat_repr(c->x, sig, out);
		is_str(out, c->repr, "repr(%s) with its token's digit count as hint", c->repr);
		pyfloat_repr(c->x, 1, out);
		is_str(out, c->repr, "repr(%s) with a too small hint", c->repr);
		pyfloat_repr_legacy(c->x, out);
		is_str(out, c->legacy, "legacy(%s)", c->repr);
	}
	is_int(pyfloat_repr(NAN, 0, out), 3, "nan length");
	is_str(out, "nan", "repr(nan)");
	pyfloat_repr(-INFINITY, 0, out);
	is_str(out, "-inf", "repr(-inf)");
	pyfloat_repr_legacy(INFINITY, out);
	is_str(out, "null", "legacy(inf) is null");
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_repr_token(void)
{
	static const struct {
		const char *tok, *want; /* want "" when the fast path must decline */
	} cases[] = {
	    {"0.1", "0.1"},
	    {"1E2", "100.0"},
	    {"1e16", "1e+16"},
	    {"1e15", "1000000000000000.0"},
	    {"1.0e-1", "0.1"},
	    {"1.000", "1.0"},
	    {"25E-301", "2.5e-300"},
	    {"-0.000e0", "-0.0"},
	    {"0e999999", "0.0"},
	    {"-0.0e-99999999999", "-0.0"},
	    {"0.0001", "0.0001"},
	    {"0.00001", "1e-05"},
	    {"100000000000000000000", "1e+20"},
	    {"123456789012345", "123456789012345.0"},
	    {"1234567890123456", ""},
	    {"0.30000000000000004", ""},
	    {"1.05", "1.05"},
	    {"-12.50e+1", "-125.0"},
	    {"1e-307", "1e-307"},
	    {"1e-308", ""},
	    {"4.9e-324", ""},
	    {"1e308", ""},
	    {"9.99e307", "9.99e+307"},
	    {"1e309", ""},
	    {"1e123456", ""},
	    {"1.000000000000000000000000000001", ""},
	};
	char out[PYFLOAT_REPR_MAX];
	for (size_t i = 0; i < R1_ARRAY_LEN(cases); i++) {
		size_t n = pyfloat_repr_token(cases[i].tok, strlen(cases[i].tok), out);
		if (!cases[i].want[0])
			is_int(n, 0, "token fast path declines %s", cases[i].tok);
		else
			is_str(n ? out : "(declined)", cases[i].want, "token fast path: %s",
			       cases[i].tok);
	}
	/* random tokens of up to 15 digits: the fast path equals parse + repr */
	size_t tried = 0, taken = 0, same = 0;
	for (int i = 0; i < 50000; i++) {
		char tok[64];
		int digits = 1 + (int)(rng() % 15), o = 0;
		if (rng() % 2)
			tok[o++] = '-';
		tok[o++] = (char)('1' + rng() % 9);
		tok[o++] = '.';
		for (int d = 1; d < digits; d++)
			tok[o++] = (char)('0' + rng() % 10);
		if (digits == 1)
			tok[o++] = '0';
		snprintf(tok + o, sizeof(tok) - (size_t)o, "e%d", (int)(rng() % 640) - 320);
		double x;
		unsigned sig;
		if (!pyfloat_parse(tok, strlen(tok), &x, &sig))
			continue;
		tried++;
		size_t n = pyfloat_repr_token(tok, strlen(tok), out);
		if (!n)
			continue;
		taken++;
		char slow[PYFLOAT_REPR_MAX];
		pyfloat_repr(x, 0, slow);
		same += strcmp(slow, out) == 0;
	}
	ok(tried == 50000 && taken > 45000, "random tokens: %zu of %zu on the fast path", taken,
	   tried);
	is_int(same, taken, "fast path equals parse + repr on every one");
	pyfloat_legacy_of_repr("2.5e-300", 8, out);
	is_str(out, "0.0025", "legacy of a repr text");
}

/* Shortest "%.{p}e" that reads back: the textbook oracle (differs from the
 * exact answer only when a neighbour of the nearest decimal is shorter). */
static int oracle_digits(double x, char *digits)
{
	char t[64];
	for (int p = 1; p <= 17; p++) {
		snprintf(t, sizeof(t), "%.*e", p - 1, x);
		if (strtod(t, NULL) == x) {
			int n = 0;
			for (const char *s = t; *s && *s != 'e'; s++)
				if (*s >= '0' && *s <= '9')
					digits[n++] = *s;
			digits[n] = '\0';
			return p;
		}
	}
	return 17;
}

static void test_repr_random(void)
{
	size_t n = 0, roundtrip = 0, not_longer = 0, same_when_equal = 0, equal_len = 0;
	for (int i = 0; i < 100000; i++) {
		uint64_t bits = rng();
		double x;
		if (i % 4 == 0)
			x = (double)(int64_t)(rng() % 2000000001) / 1000.0 - 1e6;
		else if (i % 4 == 1)
			x = ldexp((double)(rng() >> 11), (int)(rng() % 2100) - 1100);
		else
			memcpy(&x, &bits, sizeof(x));
		if (!isfinite(x) || x == 0)
			continue;
		n++;
		char out[PYFLOAT_REPR_MAX], want[32], got[32];
		size_t len = pyfloat_repr(x, 0, out);
		double back;
		roundtrip += pyfloat_parse(out, len, &back, NULL) && back == x;
		int p = oracle_digits(fabs(x), want);
		int g = 0;
		for (const char *s = out; *s && *s != 'e'; s++)
			if (*s >= '0' && *s <= '9' && (g || *s != '0'))
				got[g++] = *s;
		while (g > 1 && got[g - 1] == '0' && !strchr(out, 'e'))
			g--; /* trailing zeros of the positional form */
		got[g] = '\0';
		not_longer += g <= p;
		if (g == p) {
			equal_len++;
			same_when_equal += strcmp(got, want) == 0;
		}
	}
	ok(n > 90000, "%zu random doubles", n);
	is_int(roundtrip, n, "every repr reads back as the same double");
	is_int(not_longer, n, "no repr is longer than the textbook shortest");
	is_int(same_when_equal, equal_len, "same digits as the textbook when as long");
}

static void test_parse(void)
{
	static const char *const bad[] = {"",   "-",   "+1",   "01",  "1.",       ".5",
	                                  "1e", "1e+", "1.5x", "NaN", "Infinity", "0x10",
	                                  " 1", "1 ",  "--1",  "1.e5"};
	double x;
	for (size_t i = 0; i < R1_ARRAY_LEN(bad); i++)
		ok(!pyfloat_parse(bad[i], strlen(bad[i]), &x, NULL), "'%s' is not a JSON number",
		   bad[i]);
	unsigned sig;
	ok(pyfloat_parse("-0.000e0", 8, &x, &sig) && x == 0 && signbit(x), "-0.000e0 is -0.0");
	is_int(sig, 0, "zero has no significant digits");
	ok(pyfloat_parse("100.000", 7, &x, &sig) && x == 100.0, "100.000");
	is_int(sig, 1, "100.000 has one significant digit");
	ok(pyfloat_parse("0.00123400", 10, &x, &sig) && x == 0.001234, "0.00123400");
	is_int(sig, 4, "0.00123400 has four");
	ok(pyfloat_parse("1e99999999999999999999", 22, &x, NULL) && isinf(x), "huge exponent: inf");
	ok(pyfloat_parse("-1e400", 6, &x, NULL) && isinf(x) && x < 0, "-1e400: -inf");
	ok(pyfloat_parse("1e-99999999999999", 17, &x, NULL) && x == 0, "tiny exponent: 0");
	ok(pyfloat_parse("25E-301", 7, &x, NULL) && x == 2.5e-300, "25E-301");
	/* exactly halfway between 1 and the next double: ties to even */
	const char *half = "1.00000000000000011102230246251565404236316680908203125";
	ok(pyfloat_parse(half, strlen(half), &x, NULL) && x == 1.0, "halfway rounds to even");
	/* the same plus a 1 at digit 1000: past halfway, rounds up (sticky digit) */
	struct buf b = BUF_INIT;
	buf_adds(&b, half);
	for (int i = 0; i < 950; i++)
		buf_addc(&b, '0');
	buf_addc(&b, '1');
	ok(pyfloat_parse(b.data, b.len, &x, NULL) && x == 0x1.0000000000001p+0,
	   "digit 1000 decides the rounding");
	buf_reset(&b);
	buf_adds(&b, "0.");
	for (int i = 0; i < 2000; i++)
		buf_addc(&b, '0');
	buf_adds(&b, "1e2000");
	ok(pyfloat_parse(b.data, b.len, &x, &sig) && x == 0.1, "2000 leading zeros then 1e2000");
	is_int(sig, 1, "leading zeros are not significant");
	buf_release(&b);
	const char *exact01 = "0.1000000000000000055511151231257827021181583404541015625";
	ok(pyfloat_parse(exact01, strlen(exact01), &x, &sig) && x == 0.1, "exact value of 0.1");
	char out[PYFLOAT_REPR_MAX];
	pyfloat_repr(x, sig, out);
	is_str(out, "0.1", "a long token still prints shortest");
}

/* canonical text of a JSON text through jdoc */
static char *canon_text(const char *json, const struct canon_opts *o)
{
	struct jdoc *d = jdoc_new();
	char *why = NULL;
	if (jdoc_parse(d, json, strlen(json), NULL, &why)) {
		tap_diag("parse failed: %s", why);
		r1_free(why);
		jdoc_free(&d);
		return r1_strdup("<parse error>");
	}
	struct buf b = BUF_INIT;
	if (canon_jdoc(&b, jdoc_root(d), o, NULL, NULL))
		buf_adds(&b, "<canon error>");
	jdoc_free(&d);
	return buf_detach(&b, NULL);
}

static void canon_is(const char *json, const struct canon_opts *o, const char *want,
                     const char *name)
{
	char *got = canon_text(json, o);
	is_str(got, want, "%s", name);
	r1_free(got);
}

static void test_rules(void)
{
	static const struct canon_opts legacy = {CANON_FLOATS_LEGACY, false, NULL};
	static const char *const excl[] = {"EE_SIGN", "EE_HASH", NULL};
	static const struct canon_opts ex = {CANON_FLOATS_REPR, false, excl};

	canon_is("{}", NULL, "{}", "empty object");
	canon_is("[]", NULL, "[]", "empty array");
	canon_is("\"\"", NULL, "\"\"", "empty string");
	canon_is(" { \"b\" : 1 , \"a\" : [ 1 , 2 ] } ", NULL, "{\"a\":[1,2],\"b\":1}",
	         "sorted and compact");
	canon_is("{\"b\":1,\"a\":2,\"b\":3,\"a\":4,\"c\":5}", NULL, "{\"a\":4,\"b\":3,\"c\":5}",
	         "a repeated key is written once, with its last value");
	canon_is("{\"a\":{\"z\":1,\"y\":{\"x\":2,\"w\":3}}}", NULL,
	         "{\"a\":{\"y\":{\"w\":3,\"x\":2},\"z\":1}}", "sorted at every level");
	canon_is("{\"\\u00e9\":1,\"z\":2,\"\\ud83d\\ude00\":3,\"\\u4e2d\":4,\"\\u0103\":5,\"\":6}",
	         NULL,
	         "{\"\":6,\"z\":2,\"\xc3\xa9\":1,\"\xc4\x83\":5,\"\xe4\xb8\xad\":4,"
	         "\"\xf0\x9f\x98\x80\":3}",
	         "keys sorted by code point, raw UTF-8");
	canon_is("{\"ab\":1,\"a\":2,\"a\\u0000\":3}", NULL, "{\"a\":2,\"a\\u0000\":3,\"ab\":1}",
	         "prefix sorts first; NUL in a key");
	canon_is("[0,-0,-1,123456789012345678901234567890123456789012345678901234567890"
	         "1234567890123456789012345678901234567890]",
	         NULL,
	         "[0,0,-1,123456789012345678901234567890123456789012345678901234567890"
	         "1234567890123456789012345678901234567890]",
	         "integers digit for digit, -0 is 0, 100 digits exact");
	canon_is("[1.0,1E2,1e-5,0.0001,-0.0,0.000e0,1e16,25E-301,1.000,1.0e-1]", NULL,
	         "[1.0,100.0,1e-05,0.0001,-0.0,0.0,1e+16,2.5e-300,1.0,0.1]",
	         "floats as Python repr");
	canon_is("{\"x\":NaN,\"l\":[Infinity,-Infinity,[NaN]],\"o\":1e400,\"n\":{\"m\":-1e999}}",
	         NULL, "{\"l\":[null,null,[null]],\"n\":{\"m\":null},\"o\":null,\"x\":null}",
	         "NaN, Infinity and overflowing floats are null everywhere");
	canon_is("NaN", NULL, "null", "NaN at top level");
	canon_is("[1.0,-0.0,2.5e-300,1.2e+50,1e-05,1e16,0.5,100.0,1.5e16,7]", &legacy,
	         "[1,0,0.0025,120000,1e-05,1e+16,0.5,100,1.5e+16,7]", "legacy float encoder");
	canon_is("{\"EE_SIGN\":1,\"a\":{\"EE_SIGN\":2,\"EE_HASH\":3},\"EE_HASH\":4,\"EE_X\":5}",
	         &ex, "{\"EE_X\":5,\"a\":{\"EE_HASH\":3,\"EE_SIGN\":2}}",
	         "exclusion applies to top-level keys only");
	canon_is("{\"EE_SIGN\":1,\"EE_SIGN\":2}", &ex, "{}", "excluded duplicates all go");
	canon_is("[\"EE_SIGN\"]", &ex, "[\"EE_SIGN\"]", "exclusion ignores non-objects");

	/* Python's escaping of every ASCII byte, and what it leaves alone */
	struct buf in = BUF_INIT, want = BUF_INIT;
	buf_addc(&in, '"');
	buf_addc(&want, '"');
	for (int c = 1; c < 128; c++) {
		static const char *const named[32] = {
		    [8] = "\\b", [9] = "\\t", [10] = "\\n", [12] = "\\f", [13] = "\\r"};
		if (c < 0x20) {
			buf_addf(&in, "\\u%04x", c);
			if (named[c])
				buf_adds(&want, named[c]);
			else
				buf_addf(&want, "\\u%04x", c);
		} else if (c == '"' || c == '\\') {
			buf_addf(&in, "\\%c", c);
			buf_addf(&want, "\\%c", c);
		} else {
			buf_addc(&in, (char)c);
			buf_addc(&want, (char)c);
		}
	}
	buf_adds(&in, "\\u0000\\u2028\\u2029\\u0080\\u00ff\\/\"");
	buf_adds(&want, "\\u0000\xe2\x80\xa8\xe2\x80\xa9\xc2\x80\xc3\xbf/\"");
	canon_is(in.data, NULL, want.data,
	         "escaping: \\b \\t \\n \\f \\r, \\u00xx lowercase, / DEL U+2028 raw");
	buf_release(&in);
	buf_release(&want);
	struct buf b = BUF_INIT;
	pyjson_put_string(&b, "A\x1f\x7f", 3, false);
	is_str(b.data, "\"A\\u001f\x7f\"", "the raw UTF-8 escapes canon takes from pyjson");
	buf_release(&b);
}

static void test_jansson_writer(void)
{
	json_t *j =
	    json_pack("{s:i, s:f, s:s, s:[f, f, f, b, n], s:{s:i, s:f}}", "z", -7, "a", 0.1, "m",
	              "ș\n", "l", 1.0, 1e-5, 1e16, 1, "EE_SIGN", "y", 1, "x", 2.5e-300);
	struct buf b = BUF_INIT;
	is_int(canon_json(&b, j, NULL, NULL, NULL), R1_OK, "jansson value written");
	is_str(b.data,
	       "{\"EE_SIGN\":{\"x\":2.5e-300,\"y\":1},\"a\":0.1,\"l\":[1.0,1e-05,1e+16,true,null],"
	       "\"m\":\"\xc8\x99\\n\",\"z\":-7}",
	       "sorted, repr reals, raw UTF-8");
	buf_reset(&b);
	struct canon_opts o = {CANON_FLOATS_REPR, true, NULL};
	is_int(canon_json(&b, j, &o, NULL, NULL), R1_OK, "unsorted");
	is_str(b.data,
	       "{\"z\":-7,\"a\":0.1,\"m\":\"\xc8\x99\\n\",\"l\":[1.0,1e-05,1e+16,true,null],"
	       "\"EE_SIGN\":{\"y\":1,\"x\":2.5e-300}}",
	       "unsorted keeps insertion order");
	buf_reset(&b);
	static const char *const excl[] = {"EE_SIGN", "z", NULL};
	o = (struct canon_opts){CANON_FLOATS_LEGACY, false, excl};
	is_int(canon_json(&b, j, &o, NULL, NULL), R1_OK, "legacy with exclusions");
	is_str(b.data, "{\"a\":0.1,\"l\":[1,1e-05,1e+16,true,null],\"m\":\"\xc8\x99\\n\"}",
	       "legacy floats, top-level exclusions");
	json_decref(j);

	j = json_integer(INT64_MIN);
	buf_reset(&b);
	canon_json(&b, j, NULL, NULL, NULL);
	is_str(b.data, "-9223372036854775808", "INT64_MIN");
	json_decref(j);

	json_t *deep = json_array(), *cur = deep;
	for (int i = 0; i < 1100; i++) {
		json_t *next = json_array();
		json_array_append_new(cur, next);
		cur = next;
	}
	char *why = NULL;
	buf_reset(&b);
	is_int(canon_json(&b, deep, NULL, NULL, &why), R1_ERR_TOOBIG, "1100-deep jansson refused");
	is_str(why, "canon: nesting too deep", "deep jansson reason");
	r1_free(why);
	json_decref(deep);
	buf_release(&b);
}

static void test_memory(void)
{
	const char *msg =
	    "{\"z\":[1,{\"d\":1,\"c\":2,\"b\":3,\"a\":4}],\"y\":0.5,\"x\":{\"k\":{}}}";
	struct jdoc *d = jdoc_new();
	jdoc_parse(d, msg, strlen(msg), NULL, NULL);
	struct canon_scratch s;
	canon_scratch_init(&s);
	struct buf b = BUF_INIT;
	is_int(canon_jdoc(&b, jdoc_root(d), NULL, &s, NULL), R1_OK, "first canon");
	is_int(s.floats, 1, "one float written");
	char *first = r1_strdup(b.data);
	buf_reset(&b);
	r1_alloc_fail_after(0);
	enum r1_err err = canon_jdoc(&b, jdoc_root(d), NULL, &s, NULL);
	long refused = r1_alloc_fail_after(-1);
	is_int(err, R1_OK, "second canon with allocations failing");
	is_int(refused, 0, "reused scratch and buffer: no allocation");
	is_str(b.data, first, "same text");
	r1_free(first);

	size_t nomem = 0;
	for (long k = 0; k < 6; k++) {
		struct canon_scratch s2;
		canon_scratch_init(&s2);
		struct buf b2 = BUF_INIT;
		char *why = NULL;
		r1_alloc_fail_after(k);
		err = canon_jdoc(&b2, jdoc_root(d), NULL, &s2, &why);
		r1_alloc_fail_after(-1);
		nomem += err == R1_ERR_NOMEM;
		r1_free(why);
		buf_release(&b2);
		canon_scratch_release(&s2);
	}
	ok(nomem >= 2, "NOMEM reported under fault injection (%zu)", nomem);
	buf_release(&b);
	canon_scratch_release(&s);
	jdoc_free(&d);
}

/* ------------------------------------------------------------- vectors */

static const char *const EXCL_V2_ETH[] = {"EE_SIGN",     "EE_SENDER",     "EE_HASH",
                                          "EE_ETH_SIGN", "EE_ETH_SENDER", NULL};
static const char *const EXCL_V2[] = {"EE_SIGN", "EE_SENDER", "EE_HASH", NULL};
static const char *const EXCL_OLD_ETH[] = {
    "EE_SIGN", "EE_SENDER", "EE_HASH", "SIGN_CANON_V", "EE_ETH_SIGN", "EE_ETH_SENDER", NULL};
static const char *const EXCL_OLD[] = {"EE_SIGN", "EE_SENDER", "EE_HASH", "SIGN_CANON_V", NULL};

static void hash_hex(const char *s, size_t n, char out[65])
{
	uint8_t h[32];
	sha256(s, n, h);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void test_canon_sign_vectors(void)
{
	char *path = tap_vector_path("canon_sign.jsonl");
	size_t n;
	char **lines = tap_read_lines(path, &n);
	struct jdoc *d = jdoc_new();
	struct canon_scratch s;
	canon_scratch_init(&s);
	struct buf b = BUF_INIT;
	size_t with_canonical = 0, text_ok = 0, hex_ok = 0, hash_ok = 0, hashes = 0;
	size_t via_jansson = 0, jansson_ok = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *row = json_loads(lines[i], JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, NULL);
		const char *id = json_string_value(json_object_get(row, "id"));
		json_t *canonical = json_object_get(row, "canonical");
		if (!json_is_string(canonical)) {
			json_decref(row);
			continue;
		}
		with_canonical++;
		const char *cpath = json_string_value(
		    json_object_get(json_object_get(row, "expected"), "canon_path"));
		bool eth = json_is_true(json_object_get(row, "signer_eth_enabled"));
		struct canon_opts o = {CANON_FLOATS_REPR, false, NULL};
		if (cpath && strcmp(cpath, "v2") == 0)
			o.exclude = eth ? EXCL_V2_ETH : EXCL_V2;
		else
			o.exclude = eth ? EXCL_OLD_ETH : EXCL_OLD; /* unversioned, v1, sdk_quirk */
		if (cpath && strcmp(cpath, "v1") == 0)
			o.floats = CANON_FLOATS_LEGACY;

		json_t *wire = json_object_get(row, "wire");
		char *why = NULL;
		if (jdoc_parse(d, json_string_value(wire), json_string_length(wire), NULL, &why)) {
			ok(false, "%s: wire parses: %s", id, why);
			r1_free(why);
			json_decref(row);
			continue;
		}
		buf_reset(&b);
		canon_jdoc(&b, jdoc_root(d), &o, &s, NULL);
		text_ok += tap_is_mem(b.data, b.len, json_string_value(canonical),
		                      json_string_length(canonical), __FILE__, __LINE__,
		                      "%s: canonical text (%s)", id, cpath ? cpath : "quirk");
		size_t hlen;
		uint8_t *hex =
		    tap_unhex(json_string_value(json_object_get(row, "canonical_hex")), &hlen);
		hex_ok += hlen == b.len && memcmp(hex, b.data, hlen) == 0;
		free(hex);
		const char *ee_hash = json_string_value(json_object_get(row, "ee_hash"));
		if (ee_hash) {
			char h[65];
			hash_hex(b.data, b.len, h);
			hashes++;
			hash_ok += strcmp(h, ee_hash) == 0;
		}

		/* the same from the recorded message through jansson, where it loads */
		json_t *strict = json_loads(lines[i], JSON_ALLOW_NUL, NULL);
		json_t *msg = json_object_get(strict, "message");
		if (json_is_object(msg)) {
			buf_reset(&b);
			via_jansson++;
			canon_json(&b, msg, &o, &s, NULL);
			jansson_ok += b.len == json_string_length(canonical) &&
			              memcmp(b.data, json_string_value(canonical), b.len) == 0;
		}
		json_decref(strict);
		json_decref(row);
	}
	is_int(with_canonical, 76, "76 rows carry a canonical text (all but the 14 tampered)");
	is_int(text_ok, with_canonical, "every canonical text matches byte for byte");
	is_int(hex_ok, with_canonical, "and its canonical_hex");
	is_int(hashes, 73, "73 rows carry an EE_HASH");
	is_int(hash_ok, hashes, "every SHA-256 equals EE_HASH");
	is_int(via_jansson, 71, "71 recorded messages load into jansson");
	is_int(jansson_ok, via_jansson, "canon_json of each equals the canonical text");
	tap_free_lines(lines);
	free(path);
	buf_release(&b);
	canon_scratch_release(&s);
	jdoc_free(&d);
}

static void test_signature_check_vectors(const char *file, size_t want_rows)
{
	char *path = tap_vector_path(file);
	size_t n;
	char **lines = tap_read_lines(path, &n);
	struct jdoc *d = jdoc_new();
	struct buf b = BUF_INIT;
	size_t rows = 0, same = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *row = json_loads(lines[i], JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, NULL);
		json_t *canonical =
		    json_object_get(json_object_get(row, "signature_check"), "canonical");
		json_t *wire = json_object_get(row, "wire");
		if (!json_is_string(canonical)) {
			json_decref(row);
			continue;
		}
		rows++;
		struct canon_opts o = {CANON_FLOATS_REPR, false, EXCL_V2_ETH};
		buf_reset(&b);
		if (jdoc_parse(d, json_string_value(wire), json_string_length(wire), NULL, NULL) ==
		    R1_OK)
			canon_jdoc(&b, jdoc_root(d), &o, NULL, NULL);
		same += tap_is_mem(b.data, b.len, json_string_value(canonical),
		                   json_string_length(canonical), __FILE__, __LINE__,
		                   "%s %s: canonical", file,
		                   json_string_value(json_object_get(row, "id")));
		json_decref(row);
	}
	is_int(rows, want_rows, "%s: %zu rows with a signature check", file, want_rows);
	is_int(same, rows, "%s: all canonical texts match", file);
	tap_free_lines(lines);
	free(path);
	buf_release(&b);
	jdoc_free(&d);
}

int main(void)
{
	r1_alloc_setup_jansson();
	test_repr_table();
	test_repr_random();
	test_repr_token();
	test_parse();
	test_rules();
	test_jansson_writer();
	test_memory();
	test_canon_sign_vectors();
	test_signature_check_vectors("heartbeat.jsonl", 5);
	test_signature_check_vectors("commands.jsonl", 19);
	return tap_done();
}
