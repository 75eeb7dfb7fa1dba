/*
 * Python-compatible JSON (the bytes add_json encrypts) and the YAML subset
 * of add_yaml/get_yaml.  Expected strings come from CPython 3.11's
 * json.dumps(sort_keys=True, separators=(',', ':')) and PyYAML 6.0's
 * yaml.dump on the same data.
 */
#include "node/lib.h"
#include "node/r1fs/pytree.h"
#include "node/r1fs/yaml.h"
#include "tests/tap.h"

static char *dump(const char *json, enum r1_err *err)
{
	struct pytree *v = NULL;
	char *why = NULL;
	*err = pytree_parse(json, strlen(json), &v, &why);
	r1_free(why);
	if (*err)
		return NULL;
	struct buf b = BUF_INIT;
	pytree_dump(v, &b);
	pytree_free(&v);
	return buf_detach(&b, NULL);
}

static void test_json(void)
{
	static const char *const refused[] = {
	    "",         "   ",          "nul",     "[1,]",      "{\"a\" 1}",
	    "01",       "1.",           ".5",      "-",         "1e",
	    "[",        "{\"a\":1",     "\"\\x\"", "\"\\u12\"", "\"tab\there\"",
	    "\"\xff\"", "\"\xc0\x80\"", "[1] [2]", "{1:2}",     "'single'",
	    "nan",      "inf",
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(refused); i++) {
		struct pytree *v = NULL;
		char *why = NULL;
		enum r1_err pe = pytree_parse(refused[i], strlen(refused[i]), &v, &why);
		is_int(pe, R1_ERR_INVAL, "refused: %s (%s)", refused[i], why ? why : "");
		ok(v == NULL, "nothing returned for %s", refused[i]);
		r1_free(why);
	}
	static const struct {
		const char *in, *want;
	} cases[] = {
	    /* The r1fs.jsonl add_json case. */
	    {"{\"b\": 1, \"a\": [1.5, \"\xc8\x99\"], \"z\": null}",
	     "{\"a\":[1.5,\"\\u0219\"],\"b\":1,\"z\":null}"},
	    {"[1.0, 1e16, 1.5e-5, 0.0001, 123456789012345680000.0, -0.0, 1E400, NaN, 0.1, 100.0, "
	     "1e15, 2.5e-300, 5e-324, 1.7976931348623157e308, -Infinity, 1e22, 0.3, "
	     "2.0000000000000004, 9007199254740993.0]",
	     "[1.0,1e+16,1.5e-05,0.0001,1.2345678901234568e+20,-0.0,Infinity,NaN,0.1,100.0,"
	     "1000000000000000.0,2.5e-300,5e-324,1.7976931348623157e+308,-Infinity,1e+22,0.3,"
	     "2.0000000000000004,9007199254740992.0]"},
	    {"{\"b\":1,\"a\":1,\"\\u00e9\":1,\"Z\":1,\"\\ud83d\\ude00\":1,\"\\uffff\":1,"
	     "\"\\ud800\":2}",
	     "{\"Z\":1,\"a\":1,\"b\":1,\"\\u00e9\":1,\"\\ud800\":2,\"\\uffff\":1,"
	     "\"\\ud83d\\ude00\":1}"},
	    {"[123456789012345678901234567890, -0, 0, -5]",
	     "[123456789012345678901234567890,0,0,-5]"},
	    {"\"\\u007f\\/\\b\\f\\n\\r\\t\\u0000\\u001f \\\"\\\\\"",
	     "\"\\u007f/\\b\\f\\n\\r\\t\\u0000\\u001f \\\"\\\\\""},
	    {"{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}"}, /* the last duplicate wins */
	    {" \t\n[ ]\r\n", "[]"},
	    {"{}", "{}"},
	    {"true", "true"},
	    {"\"\xf0\x9f\x98\x80\"", "\"\\ud83d\\ude00\""},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(cases); i++) {
		enum r1_err e;
		char *got = dump(cases[i].in, &e);
		is_int(e, R1_OK, "parses: case %zu", i);
		is_str(got, cases[i].want, "json.dumps equivalent: case %zu", i);
		r1_free(got);
	}

	/* Depth: PYTREE_MAX_DEPTH levels pass, one more is refused. */
	struct buf deep = BUF_INIT;
	for (int i = 0; i < PYTREE_MAX_DEPTH; i++)
		buf_addc(&deep, '[');
	for (int i = 0; i < PYTREE_MAX_DEPTH; i++)
		buf_addc(&deep, ']');
	enum r1_err e;
	char *got = dump(deep.data, &e);
	is_int(e, R1_OK, "%d levels of nesting accepted", PYTREE_MAX_DEPTH);
	r1_free(got);
	buf_reset(&deep);
	for (int i = 0; i < PYTREE_MAX_DEPTH + 2; i++)
		buf_addc(&deep, '[');
	got = dump(deep.data, &e);
	is_int(e, R1_ERR_INVAL, "%d levels refused", PYTREE_MAX_DEPTH + 2);
	buf_release(&deep);

	/* Allocation failures surface as R1_ERR_NOMEM, never a crash or a leak. */
	const char *doc = "{\"k\":[1,2.5,\"s\",{\"x\":null,\"y\":[true,false]}],\"a\":\"\\u00e9\"}";
	bool all_nomem = true;
	for (long n = 0; n < 40; n++) {
		struct pytree *v = NULL;
		r1_alloc_fail_after(n);
		enum r1_err pe = pytree_parse(doc, strlen(doc), &v, NULL);
		r1_alloc_fail_after(-1);
		if (pe != R1_OK && pe != R1_ERR_NOMEM)
			all_nomem = false;
		pytree_free(&v);
	}
	ok(all_nomem, "every allocation failure while parsing is R1_ERR_NOMEM");
}

static char *to_yaml(const char *json)
{
	struct pytree *v = NULL;
	if (pytree_parse(json, strlen(json), &v, NULL) != R1_OK)
		tap_bail("bad test JSON: %s", json);
	struct buf b = BUF_INIT;
	if (r1fs_yaml_emit(v, &b, NULL) != R1_OK)
		tap_bail("yaml emit failed");
	pytree_free(&v);
	return buf_detach(&b, NULL);
}

static char *yaml_to_json(const char *yaml, enum r1_err *e, char **why)
{
	struct pytree *v = NULL;
	*e = r1fs_yaml_parse(yaml, strlen(yaml), &v, why);
	if (*e)
		return NULL;
	struct buf b = BUF_INIT;
	pytree_dump(v, &b);
	pytree_free(&v);
	return buf_detach(&b, NULL);
}

static void test_yaml(void)
{
	/* yaml.dump of the same data, from PyYAML 6.0. */
	const char *json =
	    "{\"b\":1,\"a\":[1,\"x\",{\"k\":\"v\",\"j\":[]},[1,[2,3]],[],{}],"
	    "\"c\":{\"d\":null,\"e\":true,\"f\":false},\"s\":\"hello world\",\"q\":\"123\","
	    "\"u\":\"\xc8\x99\",\"e\":{},\"fl\":[1.5,1e16,Infinity,-0.0,0.1],\"quote\":\"it's\","
	    "\"colon\":\"a: b\",\"hash\":\"a #b\",\"yes\":\"yes\",\"empty\":\"\",\"lead\":\" x\","
	    "\"emoji\":\"\xf0\x9f\x98\x80\",\"dash\":\"-x\",\"tilde\":\"~\",\"nul\":\"null\","
	    "\"dot\":\".5\",\"under\":\"a_b\",\"path\":\"/usr/bin\"}";
	const char *pyyaml =
	    "a:\n- 1\n- x\n- j: []\n  k: v\n- - 1\n  - - 2\n    - 3\n- []\n- {}\nb: 1\nc:\n"
	    "  d: null\n  e: true\n  f: false\ncolon: 'a: b'\ndash: -x\ndot: '.5'\ne: {}\n"
	    "emoji: \"\\U0001F600\"\nempty: ''\nfl:\n- 1.5\n- 1.0e+16\n- .inf\n- -0.0\n- 0.1\n"
	    "hash: 'a #b'\nlead: ' x'\nnul: 'null'\npath: /usr/bin\nq: '123'\nquote: it's\n"
	    "s: hello world\ntilde: '~'\nu: \"\\u0219\"\nunder: a_b\n'yes': 'yes'\n";
	char *got = to_yaml(json);
	is_str(got, pyyaml, "yaml.dump's output, byte for byte");
	r1_free(got);

	static const struct {
		const char *json, *want;
	} scalars[] = {
	    {"5", "5\n...\n"}, {"\"abc\"", "abc\n...\n"}, {"[]", "[]\n"},
	    {"{}", "{}\n"},    {"null", "null\n...\n"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(scalars); i++) {
		got = to_yaml(scalars[i].json);
		is_str(got, scalars[i].want, "yaml.dump(%s)", scalars[i].json);
		r1_free(got);
	}

	/* Read back: what we write, and what PyYAML writes, is the same data. */
	enum r1_err e;
	char *why = NULL;
	char *back = yaml_to_json(pyyaml, &e, &why);
	is_int(e, R1_OK, "PyYAML's text parses (%s)", why ? why : "ok");
	char *want = NULL;
	{
		struct pytree *v = NULL;
		pytree_parse(json, strlen(json), &v, NULL);
		struct buf b = BUF_INIT;
		pytree_dump(v, &b);
		pytree_free(&v);
		want = buf_detach(&b, NULL);
	}
	is_str(back, want, "and gives back the original data");
	r1_free(back);
	r1_free(want);

	static const struct {
		const char *yaml, *json;
	} reads[] = {
	    {"# a comment\n---\nkey: value # trailing\nlist:\n  - 1\n  - two\n...\nignored: x\n",
	     "{\"key\":\"value\",\"list\":[1,\"two\"]}"},
	    {"a: [1, 2.5, 'x', \"y\\n\", {b: c}, []]\n",
	     "{\"a\":[1,2.5,\"x\",\"y\\n\",{\"b\":\"c\"},[]]}"},
	    {"t: [yes, No, ON, off, True, FALSE]\nn: [~, null, Null, NULL, ]\n",
	     "{\"n\":[null,null,null,null],\"t\":[true,false,true,false,true,false]}"},
	    {"i: [+5, -0, 007, 0x1F, 1e5, 1_000, 1.5e+3, .5, -.inf, .NaN]\n",
	     "{\"i\":[5,0,\"007\",\"0x1F\",\"1e5\",\"1_000\",1500.0,0.5,-Infinity,NaN]}"},
	    {"f: [+.5, 5., 007.25e+3, -00.5, 0.10]\n", "{\"f\":[0.5,5.0,7250.0,-0.5,0.1]}"},
	    {"'quoted key': 'it''s'\n\"dq\": \"\\t\\x41\\u0219\\U0001F600\"\n",
	     "{\"dq\":\"\\tA\\u0219\\ud83d\\ude00\",\"quoted key\":\"it's\"}"},
	    {"- a: 1\n  b:\n  - x\n- - 2\n  - 3\n-\n- c\n",
	     "[{\"a\":1,\"b\":[\"x\"]},[2,3],null,\"c\"]"},
	    {"empty:\nnext: 1\n", "{\"empty\":null,\"next\":1}"},
	    {"url: http://x.y/z\nk: a:b\n", "{\"k\":\"a:b\",\"url\":\"http://x.y/z\"}"},
	    {"", "null"},
	    {"plain text\n", "\"plain text\""},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(reads); i++) {
		got = yaml_to_json(reads[i].yaml, &e, &why);
		is_int(e, R1_OK, "reads case %zu (%s)", i, e ? why : "ok");
		is_str(got, reads[i].json, "read case %zu", i);
		r1_free(got);
	}

	static const char *const refused[] = {
	    "a: &x 1\n",   "a: *x\n",           "a: !!str 1\n", "a: |\n  text\n",  "a: >\n  text\n",
	    "? complex\n", "a: 1\n---\nb: 2\n", "a:\n\t- 1\n",  "a: 1\n   b: 2\n", "a: 'open\n",
	    "- 1\nb: 2\n", "a: [1, 2\n",        "a: \"\\q\"\n", "a: 1\nb\n",
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(refused); i++) {
		got = yaml_to_json(refused[i], &e, &why);
		is_int(e, R1_ERR_INVAL, "refused: %s", refused[i]);
		ok(why && strstr(why, "line"), "with the line: %s", why);
		r1_free(got);
	}
	r1_free(why);

	/* A deep flow nesting stops at the limit instead of recursing on. */
	struct buf deep = BUF_INIT;
	buf_adds(&deep, "a: ");
	for (int i = 0; i < 2000; i++)
		buf_addc(&deep, '[');
	why = NULL;
	got = yaml_to_json(deep.data, &e, &why);
	is_int(e, R1_ERR_INVAL, "2000 nested flow sequences refused (%s)", why);
	buf_release(&deep);
	r1_free(why);
}

int main(void)
{
	test_json();
	test_yaml();
	return tap_done();
}
