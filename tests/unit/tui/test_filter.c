/*
 * Unit tests of the '/' filter language: the parser on its own (terms,
 * keys, values holding ':', quotes, negation, comparisons, every error),
 * then matching a small node list through the row callbacks.
 */
#include "tui/lib.h"
#include "tui/widgets/filter.h"
#include "tests/tap.h"

#include <math.h>

static void test_parse(void)
{
	struct filter f;
	char *why = NULL;
	filter_init(&f);
	is_int(filter_parse(&f, "", &why), R1_OK, "empty filter parses");
	is_int(f.n, 0, "empty filter has no terms");
	is_int(filter_parse(&f, "   \t ", &why), R1_OK, "blank filter parses");
	is_int(f.n, 0, "blank filter has no terms");
	is_int(filter_parse(&f, NULL, &why), R1_OK, "NULL filter parses");

	is_int(filter_parse(&f, "node", &why), R1_OK, "plain term");
	is_int(f.n, 1, "one term");
	ok(f.terms[0].key == NULL, "plain term has no key");
	is_str(f.terms[0].value, "node", "plain term value");
	ok(!f.terms[0].negate, "not negated");

	is_int(filter_parse(&f, "online:no", &why), R1_OK, "key:value");
	is_str(f.terms[0].key, "online", "key");
	is_str(f.terms[0].value, "no", "value");
	is_int(f.terms[0].op, FILTER_OP_HAS, "op ':'");

	is_int(filter_parse(&f, "tag:CT:RO", &why), R1_OK, "value holding ':'");
	is_str(f.terms[0].key, "tag", "key before the first ':'");
	is_str(f.terms[0].value, "CT:RO", "the rest is the value");

	is_int(filter_parse(&f, "Tag:ct:ro", &why), R1_OK, "key case");
	is_str(f.terms[0].key, "tag", "keys are lower-cased");
	is_str(f.terms[0].value, "ct:ro", "values keep their case");

	is_int(filter_parse(&f, " node-0  online:yes\ttag:CT:RO !oracle:yes ", &why), R1_OK,
	       "several terms");
	is_int(f.n, 4, "four terms");
	is_str(f.terms[0].value, "node-0", "first term");
	is_str(f.terms[2].key, "tag", "third key");
	ok(f.terms[3].negate, "'!' negates");
	is_str(f.terms[3].key, "oracle", "negated key");

	is_int(filter_parse(&f, "\"two words\" alias:\"my node\" \"a\\\"b\\\\c\"", &why), R1_OK,
	       "quoted values");
	is_int(f.n, 3, "three quoted terms");
	is_str(f.terms[0].value, "two words", "quotes keep spaces");
	is_str(f.terms[1].key, "alias", "key with a quoted value");
	is_str(f.terms[1].value, "my node", "quoted value");
	is_str(f.terms[2].value, "a\"b\\c", "escaped quote and backslash");

	is_int(filter_parse(&f, "\"tag:CT:RO\"", &why), R1_OK, "quoted key:value is plain");
	ok(f.terms[0].key == NULL, "... no key");

	is_int(filter_parse(&f, "cpu>80 mem<=2048 disk>=12.5% gpu<1", &why), R1_OK, "comparisons");
	is_int(f.terms[0].op, FILTER_OP_GT, ">");
	ok(f.terms[0].has_number && f.terms[0].number == 80, "number 80");
	is_int(f.terms[1].op, FILTER_OP_LE, "<=");
	is_int(f.terms[2].op, FILTER_OP_GE, ">=");
	ok(f.terms[2].number == 12.5, "percent sign ignored");
	is_int(f.terms[3].op, FILTER_OP_LT, "<");

	is_int(filter_parse(&f, "0xai_Abc", &why), R1_OK, "address-like text");
	ok(f.terms[0].key == NULL, "starts with a digit: plain text");
	is_int(filter_parse(&f, "a:b:c", &why), R1_OK, "a:b:c");
	is_str(f.terms[0].value, "b:c", "a:b:c value");
	is_int(filter_parse(&f, ":x", &why), R1_OK, "leading colon");
	ok(f.terms[0].key == NULL, "leading colon: plain text");
	is_int(filter_parse(&f, "uptime:3", &why), R1_OK, "number after ':'");
	ok(f.terms[0].has_number && f.terms[0].number == 3, "':' values are parsed as numbers too");
	ok(why == NULL, "no message on success");
	filter_release(&f);
	ok(f.terms == NULL && f.n == 0, "release empties");
}

static void bad(const char *text, enum r1_err err, const char *want, const char *name)
{
	struct filter f;
	char *why = NULL;
	filter_init(&f);
	filter_parse(&f, "keep me", NULL);
	is_int(filter_parse(&f, text, &why), err, "%s: refused", name);
	is_str(why, want, "%s: message", name);
	is_int(f.n, 0, "%s: the filter is left empty", name);
	r1_free(why);
	filter_release(&f);
}

static void test_errors(void)
{
	bad("alias:\"open", R1_ERR_INVAL, "unterminated quote", "unterminated quote");
	bad("\"ab\"cd", R1_ERR_INVAL, "a space must follow a closing quote", "text after a quote");
	bad("a ! b", R1_ERR_INVAL, "'!' must be followed by a term", "lone '!'");
	bad("!", R1_ERR_INVAL, "'!' must be followed by a term", "only '!'");
	bad("tag:", R1_ERR_INVAL, "empty value for 'tag:'", "empty value");
	bad("tag:\"\"", R1_ERR_INVAL, "empty value for 'tag:'", "empty quoted value");
	bad("cpu>lots", R1_ERR_INVAL, "expected a number after 'cpu>'", "non-number comparison");
	bad("cpu<=", R1_ERR_INVAL, "empty value for 'cpu<='", "empty comparison");

	struct buf many = BUF_INIT;
	for (int i = 0; i <= FILTER_MAX_TERMS; i++)
		buf_addf(&many, "t%d ", i);
	bad(buf_cstr(&many), R1_ERR_TOOBIG, "more than 32 filter terms", "too many terms");
	buf_reset(&many);
	for (int i = 0; i <= FILTER_MAX_TEXT; i++)
		buf_addc(&many, 'x');
	bad(buf_cstr(&many), R1_ERR_TOOBIG, "filter longer than 1024 bytes", "too long");
	buf_release(&many);

	struct filter f;
	filter_init(&f);
	r1_alloc_fail_after(1);
	enum r1_err err = filter_parse(&f, "a b c", NULL);
	r1_alloc_fail_after(-1);
	is_int(err, R1_ERR_NOMEM, "allocation failure reported");
	is_int(f.n, 0, "allocation failure leaves the filter empty");
	filter_release(&f);

	static const char *const keys[] = {"alias", "online", "tag", "cpu"};
	char *why = NULL;
	filter_parse(&f, "node online:no tag:CT:RO cpu>5", NULL);
	is_int(filter_check_keys(&f, keys, 4, &why), R1_OK, "known keys pass");
	filter_parse(&f, "online:no colour:red", NULL);
	is_int(filter_check_keys(&f, keys, 4, &why), R1_ERR_INVAL, "unknown key refused");
	is_str(why, "unknown filter key 'colour'", "unknown key message");
	r1_free(why);
	filter_release(&f);
}

/* A small node list to match against. */
static const struct node {
	const char *alias;
	const char *addr;
	bool online;
	const char *tags[3];
	double cpu;
} nodes[] = {
	{"node-01", "0xai_AhnbAzp", true, {"CT:RO", "DC:Bucharest", NULL}, 12.5},
	{"node-02", "0xai_BqqLz9", false, {"CT:DE", NULL, NULL}, 80},
	{"Oracle-A", "0xai_CxZZ", true, {"CT:RO", "IS_KYB", NULL}, 95},
	{"edge-de", "0xai_Dnope", true, {NULL, NULL, NULL}, NAN},
};

static const char *node_text(void *ctx, size_t i, char *scratch, size_t size)
{
	const struct node *n = ctx;
	if (i == 0)
		return n->alias;
	if (i == 1)
		return n->addr;
	if (i == 2) {
		snprintf(scratch, size, "%.1f", n->cpu);
		return scratch;
	}
	return NULL;
}

static bool node_field(void *ctx, const struct filter_term *t)
{
	const struct node *n = ctx;
	if (strcmp(t->key, "alias") == 0)
		return filter_text_matches(t, n->alias);
	if (strcmp(t->key, "online") == 0)
		return filter_bool_matches(t, n->online);
	if (strcmp(t->key, "cpu") == 0)
		return filter_number_matches(t, n->cpu);
	if (strcmp(t->key, "tag") == 0) {
		for (int i = 0; i < 3 && n->tags[i]; i++)
			if (filter_text_matches(t, n->tags[i]))
				return true;
		return false;
	}
	return false;
}

/* Which nodes match, as a string of their indices ("013"). */
static const char *matching(const char *text)
{
	static char out[8];
	struct filter f;
	filter_init(&f);
	if (filter_parse(&f, text, NULL) != R1_OK) {
		snprintf(out, sizeof(out), "error");
		return out;
	}
	size_t k = 0;
	for (size_t i = 0; i < R1_ARRAY_LEN(nodes); i++) {
		struct filter_row row = {(void *)&nodes[i], node_text, node_field};
		if (filter_match(&f, &row))
			out[k++] = (char)('0' + i);
	}
	out[k] = '\0';
	filter_release(&f);
	return out;
}

static void test_match(void)
{
	is_str(matching(""), "0123", "empty filter matches all");
	is_str(matching("node"), "01", "substring of the alias");
	is_str(matching("NODE-0"), "01", "case ignored");
	is_str(matching("oracle"), "2", "case ignored the other way");
	is_str(matching("0xai_c"), "2", "substring of another field");
	is_str(matching("95.0"), "2", "formatted field from scratch");
	is_str(matching("online:no"), "1", "online:no");
	is_str(matching("online:yes"), "023", "online:yes");
	is_str(matching("online:TRUE"), "023", "online:TRUE");
	is_str(matching("online:n"), "1", "online:n");
	is_str(matching("tag:CT:RO"), "02", "tag:CT:RO");
	is_str(matching("tag:ct:de"), "1", "tag value case ignored");
	is_str(matching("tag:dc:"), "0", "tag prefix");
	is_str(matching("tag:CT:RO online:yes node"), "0", "terms are ANDed");
	is_str(matching("!tag:CT:RO"), "13", "negated key term");
	is_str(matching("!node"), "23", "negated plain term");
	is_str(matching("cpu>50"), "12", "cpu>50");
	is_str(matching("cpu<=12.5"), "0", "cpu<=12.5");
	is_str(matching("cpu>=0"), "012", "NaN never matches a comparison");
	is_str(matching("cpu:80"), "1", "':' on a number is equality");
	is_str(matching("alias:edge"), "3", "alias:edge");
	is_str(matching("nothing-like-this"), "", "no match");
	is_str(matching("colour:red"), "", "a key the view does not know matches nothing");

	ok(filter_contains("abc", ""), "empty value is contained everywhere");
	ok(!filter_contains(NULL, "a"), "NULL text contains nothing");
	ok(filter_contains("xxABCxx", "abc"), "contains, case ignored");
	ok(!filter_contains("ab", "abc"), "longer value not contained");
}

/* filter_set: what a view's '/' does; a refused text leaves the old filter in force. */
static void test_set(void)
{
	static const char *const keys[] = {"online", "cpu"};
	struct filter f;
	filter_init(&f);
	char *why = NULL;
	is_int(filter_set(&f, "node online:no", keys, 2, &why), R1_OK, "set: accepted");
	is_int(f.n, 2, "set: two terms");
	is_int(filter_set(&f, "cpu>5 bogus:1", keys, 2, &why), R1_ERR_INVAL, "set: unknown key");
	is_str(why, "unknown filter key 'bogus'", "set: the reason names the key");
	is_int(f.n, 2, "set: the old filter stays after a refused key");
	is_str(f.terms[1].key, "online", "set: ... term for term");
	is_int(filter_set(&f, "\"open", keys, 2, &why), R1_ERR_INVAL, "set: a parse error");
	is_int(f.n, 2, "set: the old filter stays after a parse error");
	is_int(filter_set(&f, "", keys, 2, &why), R1_OK, "set: empty text");
	is_int(f.n, 0, "set: empty text clears the filter");
	r1_free(why);
	filter_release(&f);
}

int main(void)
{
	test_set();
	test_parse();
	test_errors();
	test_match();
	return tap_done();
}
