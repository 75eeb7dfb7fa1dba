/*
 * Unit tests of core/base: err, xalloc, buf, log.
 */
#include "core/lib.h"
#include "core/clock.h"
#include "tests/tap.h"

#include <jansson.h>

static void test_err(void)
{
	char *why = NULL;
	is_int(r1_fail(NULL, R1_ERR_INVAL, "x"), R1_ERR_INVAL, "r1_fail without why returns the code");
	is_int(r1_fail(&why, R1_ERR_IO, "open %s: %d", "f", 3), R1_ERR_IO, "r1_fail returns code");
	is_str(why, "open f: 3", "r1_fail formats the reason");
	r1_why_prefix(&why, "load %s", "cfg");
	is_str(why, "load cfg: open f: 3", "r1_why_prefix prefixes");
	r1_fail(&why, R1_ERR_INVAL, "second");
	is_str(why, "second", "a later reason replaces the earlier one");
	r1_free(why);
	is_str(r1_strerror(R1_ERR_NOMEM), "out of memory", "strerror names codes");
	is_str(r1_strerror((enum r1_err)999), "unknown error", "strerror of an unknown code");
}

static void test_xalloc(void)
{
	r1_alloc_fail_after(1);
	void *a = r1_malloc(8);
	void *b = r1_malloc(8);
	void *c = r1_strdup("x");
	long refused = r1_alloc_fail_after(-1);
	ok(a != NULL, "first allocation succeeds");
	ok(b == NULL && c == NULL, "allocations after the countdown fail");
	is_int(refused, 2, "refused allocations are counted");
	void *d = r1_malloc(8);
	ok(d != NULL, "fault injection switched off");
	r1_free(a);
	r1_free(d);
	ok(r1_reallocarray(NULL, SIZE_MAX / 2, 4) == NULL, "reallocarray catches overflow");
	char *s = r1_strndup("abcdef", 3);
	is_str(s, "abc", "strndup cuts");
	r1_free(s);

	ok(r1_json_dumps(NULL, 0) == NULL, "json_dumps of NULL is NULL");
	json_t *j = json_pack("{s:[i,s]}", "k", 1, "\xc3\xa9");
	s = r1_json_dumps(j, JSON_COMPACT);
	is_str(s, "{\"k\":[1,\"\xc3\xa9\"]}", "json_dumps text, as jansson writes it");
	r1_free(s);
	s = r1_json_dumps(json_object_get(j, "k"), JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
	is_str(s, "[1, \"\\u00E9\"]", "with its flags (uppercase \\u: jansson's, not Python's)");
	r1_free(s);
	r1_alloc_fail_after(0);
	s = r1_json_dumps(j, JSON_COMPACT);
	r1_alloc_fail_after(-1);
	ok(s == NULL, "NULL when the copy cannot be allocated");
	json_decref(j);
}

/* The clocks agree on their units (not a timing test: generous bounds). */
static void test_clock(void)
{
	int64_t us = r1_wall_us(), ms = r1_wall_ms();
	ok(us > INT64_C(1600000000) * 1000000, "wall_us counts microseconds since 1970");
	ok(ms >= us / 1000 && ms - us / 1000 < 60000, "wall_ms is the same clock in ms");
	uint64_t m1 = r1_mono_ms(), n = r1_mono_ns(), m2 = r1_mono_ms();
	ok(m2 >= m1, "mono_ms does not go back");
	ok(n / 1000000 >= m1 && n / 1000000 <= m2, "mono_ns is the same clock in ns");
}

static void test_buf(void)
{
	struct buf b = BUF_INIT;
	is_str(buf_cstr(&b), "", "empty buffer is the empty string");
	buf_adds(&b, "ab");
	buf_addc(&b, 'c');
	buf_addf(&b, "-%d-", 42);
	buf_addhex(&b, "\x01\xff", 2);
	is_str(buf_cstr(&b), "abc-42-01ff", "appends compose");
	is_int(b.len, 11, "length tracks");
	buf_reset(&b);
	is_int(b.len, 0, "reset empties");
	for (int i = 0; i < 10000; i++)
		buf_addc(&b, 'x');
	is_int(b.len, 10000, "grows");
	size_t len;
	char *p = buf_detach(&b, &len);
	is_int(len, 10000, "detach hands over length");
	ok(b.data == NULL && b.len == 0, "detach resets");
	r1_free(p);

	struct buf capped;
	buf_init_max(&capped, 4);
	buf_adds(&capped, "abcd");
	ok(buf_ok(&capped), "up to the cap is fine");
	buf_adds(&capped, "e");
	ok(!buf_ok(&capped), "past the cap sets oom");
	ok(buf_detach(&capped, &len) == NULL, "detach of an oom buffer is NULL");
	buf_release(&capped);

	struct buf o = BUF_INIT;
	r1_alloc_fail_after(0);
	buf_adds(&o, "hello");
	r1_alloc_fail_after(-1);
	ok(!buf_ok(&o), "allocation failure is sticky");
	buf_adds(&o, "more");
	ok(!buf_ok(&o) && o.len == 0, "appends after oom are ignored");
	buf_release(&o);
}

static void test_log(void)
{
	struct r1_log *lg = r1_log_new(4);
	ok(lg != NULL, "log created");
	r1_log_set_level(lg, R1_LOG_INFO);
	for (int i = 0; i < 6; i++)
		LOG_I(lg, "t", "line %d", i);
	LOG_D(lg, "t", "hidden");
	struct r1_log_line lines[8];
	uint64_t last = 0;
	size_t n = r1_log_recent(lg, lines, 8, 0, &last);
	is_int(n, 4, "ring keeps its capacity");
	is_str(lines[0].text, "t: line 2", "oldest kept line first");
	is_str(lines[3].text, "t: line 5", "newest last");
	is_int(last, 6, "sequence counts kept lines only");
	n = r1_log_recent(lg, lines, 8, 5, &last);
	is_int(n, 1, "since_seq returns newer lines only");
	enum r1_log_level lv;
	ok(r1_log_level_parse("warn", &lv) && lv == R1_LOG_WARN, "level names parse");
	ok(!r1_log_level_parse("loud", &lv), "unknown level refused");
	r1_log_free(&lg);
	ok(lg == NULL, "free NULLs the pointer");
	r1_log(NULL, R1_LOG_ERROR, "t", "no log is fine");
}

int main(void)
{
	test_err();
	test_xalloc();
	test_clock();
	test_buf();
	test_log();
	return tap_done();
}
