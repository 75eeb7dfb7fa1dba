/*
 * CStore values: normalization (what Python's json.loads/json.dumps makes
 * of them, expected texts produced by CPython) and Python equality.
 */
#include "node/lib.h"
#include "node/cstore/jvalue.h"
#include "tests/tap.h"

static void norm_is(const char *in, const char *want)
{
	struct buf b = BUF_INIT;
	char *why = NULL;
	enum r1_err e = jvalue_normalize(in, strlen(in), &b, &why);
	is_int(e, R1_OK, "normalize %s%s%s", in, why ? ": " : "", why ? why : "");
	is_str(buf_cstr(&b), want, "normal form of %s", in);
	buf_release(&b);
	r1_free(why);
}

static void refused(const char *in, const char *name)
{
	struct buf b = BUF_INIT;
	char *why = NULL;
	is_int(jvalue_normalize(in, strlen(in), &b, &why), R1_ERR_INVAL, "%s is refused", name);
	ok(why != NULL, "with a reason: %s", why ? why : "(none)");
	is_int((int)b.len, 0, "nothing appended");
	buf_release(&b);
	r1_free(why);
}

static void eq(const char *a, const char *b, bool want)
{
	is_int(jvalue_text_equal(a, b), want, "%s %s %s", a ? a : "None",
	       want ? "==" : "!=", b ? b : "None");
}

int main(void)
{
	/* degenerate inputs */
	refused("", "empty text");
	refused("   ", "whitespace only");
	refused("1 2", "two values");
	refused("{\"a\":}", "a truncated object");
	refused("NaN", "NaN (Python accepts it, we cannot hold it)");
	refused("-Infinity", "-Infinity");
	refused("123456789012345678901234567890", "an integer beyond 64 bits");
	refused("\"\xff\"", "a string that is not UTF-8");
	struct buf deep = BUF_INIT;
	for (int i = 0; i < JVALUE_MAX_DEPTH + 1; i++)
		buf_addc(&deep, '[');
	for (int i = 0; i < JVALUE_MAX_DEPTH + 1; i++)
		buf_addc(&deep, ']');
	refused(buf_cstr(&deep), "nesting deeper than the limit");
	buf_reset(&deep);
	for (int i = 0; i < JVALUE_MAX_DEPTH; i++)
		buf_addc(&deep, '[');
	for (int i = 0; i < JVALUE_MAX_DEPTH; i++)
		buf_addc(&deep, ']');
	struct buf out = BUF_INIT;
	is_int(jvalue_normalize(deep.data, deep.len, &out, NULL), R1_OK,
	       "nesting at the limit is fine");
	buf_release(&out);
	buf_release(&deep);

	/* scalars */
	norm_is("null", "null");
	norm_is(" true ", "true");
	norm_is("false", "false");
	norm_is("0", "0");
	norm_is("-12", "-12");
	norm_is("9223372036854775807", "9223372036854775807");
	norm_is("\"\"", "\"\"");

	/* floats as Python's repr */
	norm_is("0.1", "0.1");
	norm_is("1e16", "1e+16");
	norm_is("1E15", "1000000000000000.0");
	norm_is("0.0001", "0.0001");
	norm_is("0.00001", "1e-05");
	norm_is("1.5e-7", "1.5e-07");
	norm_is("123456789012345678.0", "1.2345678901234568e+17");
	norm_is("2.50", "2.5");
	norm_is("0.3333333333333333", "0.3333333333333333");
	norm_is("-1e-300", "-1e-300");
	norm_is("5e-324", "5e-324");
	norm_is("1.7976931348623157e308", "1.7976931348623157e+308");
	norm_is("-0.0", "-0.0");
	norm_is("100.0", "100.0");
	norm_is("1e22", "1e+22");
	norm_is("9999999999999998.0", "9999999999999998.0");

	/* strings: Python's escapes, raw UTF-8, NUL kept */
	norm_is("\"\\u00e9\\u0000\\u0001\\\"\\\\\\n\\u2028\\u007f\"",
	        "\"\xc3\xa9\\u0000\\u0001\\\"\\\\\\n\xe2\x80\xa8\x7f\"");
	norm_is("\"a\\/b\\tc\\r\\b\\f\"", "\"a/b\\tc\\r\\b\\f\"");

	/* containers: compact, member order kept, last duplicate wins */
	norm_is(" { \"b\" : 1 , \"a\" : [ 1 , 2.0 , true , null ] } ",
	        "{\"b\":1,\"a\":[1,2.0,true,null]}");
	norm_is("{\"k\":1,\"k\":2}", "{\"k\":2}");
	norm_is("[]", "[]");
	norm_is("{}", "{}");

	/* equality as Python's == */
	eq(NULL, NULL, true);
	eq(NULL, "null", true);
	eq("null", "0", false);
	eq("1", "1.0", true);
	eq("true", "1", true);
	eq("false", "0.0", true);
	eq("true", "2", false);
	eq("\"1\"", "1", false);
	eq("9007199254740993", "9007199254740992.0", false);
	eq("9007199254740992", "9007199254740992.0", true);
	eq("0.1", "0.10000000000000001", true);
	eq("{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}", true);
	eq("{\"a\":1}", "{\"a\":1,\"b\":2}", false);
	eq("[1,2]", "[2,1]", false);
	eq("[1,[true]]", "[1.0,[1]]", true);
	eq("\"a\\u0000b\"", "\"a\\u0000c\"", false);
	eq("\"x\"", "not json", false);

	json_t *one = json_integer(1);
	ok(jvalue_text_equal_value("1.0", one), "text 1.0 equals value 1");
	ok(!jvalue_text_equal_value(NULL, one), "None differs from 1");
	ok(jvalue_text_equal_value(NULL, json_null()), "None equals null");
	ok(jvalue_text_equal_value(NULL, NULL), "None equals a missing value");
	ok(jvalue_equal(NULL, json_null()), "a NULL value counts as null");
	json_decref(one);

	/* a real with no finite value cannot be written */
	struct buf b = BUF_INIT;
	is_int(jvalue_depth(json_null(), 5), 0, "a scalar has depth 0");
	buf_release(&b);
	return tap_done();
}
