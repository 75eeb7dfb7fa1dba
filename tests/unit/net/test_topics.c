/*
 * Unit tests of core/topics: the layout, EE_DEST fan-out, name and filter
 * validity, and a table of MQTT matching cases (degenerate ones first).
 */
#include "core/lib.h"
#include "core/topics.h"
#include "tests/tap.h"

struct match_case {
	const char *filter, *topic;
	bool want;
};

static const struct match_case match_cases[] = {
    /* degenerate */
    {"#", "a", true},
    {"#", "/", true},
    {"+", "a", true},
    {"+", "/", false},
    {"+/+", "/", true},
    {"/+", "/", true},
    {"+/", "/", true},
    {"+", "a/b", false},
    /* exact */
    {"a", "a", true},
    {"a", "b", false},
    {"a", "ab", false},
    {"ab", "a", false},
    {"a/b", "a/b", true},
    {"a/b", "a/b/", false},
    {"a/b/", "a/b/", true},
    {"A", "a", false},
    /* empty levels */
    {"a//b", "a//b", true},
    {"a/+/b", "a//b", true},
    {"a/+/b", "a/b", false},
    {"//", "//", true},
    {"+/+/+", "//", true},
    {"/#", "/", true},
    {"/#", "/a/b", true},
    {"/#", "a", false},
    /* single level */
    {"a/+", "a/b", true},
    {"a/+", "a/b/c", false},
    {"a/+", "a", false},
    {"a/+", "a/", true},
    {"+/b", "a/b", true},
    {"+/+", "a/b", true},
    {"+/+", "a/b/c", false},
    /* multi level */
    {"a/#", "a", true},
    {"a/#", "a/", true},
    {"a/#", "a/b/c/d", true},
    {"a/#", "ab", false},
    {"a/#", "b/a", false},
    {"a/+/#", "a/b", true},
    {"a/+/#", "a", false},
    {"+/#", "a", true},
    /* $ topics at the root */
    {"#", "$SYS", false},
    {"#", "$SYS/broker/load", false},
    {"+/broker/load", "$SYS/broker/load", false},
    {"+", "$SYS", false},
    {"$SYS/#", "$SYS/broker/load", true},
    {"$SYS/+/load", "$SYS/broker/load", true},
    {"a/#", "a/$b", true},
    {"a/+", "a/$b", true},
    /* the reference layout */
    {"naeural/ctrl", "naeural/ctrl", true},
    {"naeural/+/config", "naeural/0xai_AbC/config", true},
    {"naeural/+/payloads", "naeural/payloads", false},
    {"naeural/#", "naeural/0xai_AbC/payloads", true},
};

static void test_match_table(void)
{
	for (size_t i = 0; i < R1_ARRAY_LEN(match_cases); i++) {
		const struct match_case *c = &match_cases[i];
		ok(topic_filter_valid(c->filter) && topic_name_valid(c->topic),
		   "case %zu is valid input (%s | %s)", i, c->filter, c->topic);
		is_int(topic_matches(c->filter, c->topic), c->want, "\"%s\" %s \"%s\"", c->filter,
		       c->want ? "matches" : "does not match", c->topic);
	}
}

static void test_validity(void)
{
	ok(!topic_name_valid(NULL), "NULL topic invalid");
	ok(!topic_name_valid(""), "empty topic invalid");
	ok(topic_name_valid("/"), "\"/\" is a valid topic");
	ok(!topic_name_valid("a/+"), "wildcard + in a topic name");
	ok(!topic_name_valid("#"), "wildcard # in a topic name");
	ok(!topic_name_valid("a\xff"), "invalid UTF-8");
	ok(!topic_name_valid("a\xc0\x80"), "overlong UTF-8");
	ok(!topic_name_valid("\xed\xa0\x80"), "UTF-16 surrogate");
	ok(topic_name_valid("na\xc3\xafve/\xe2\x82\xac/\xf0\x9f\x98\x80"), "valid multibyte UTF-8");
	ok(!topic_name_valid("\xe2\x82"), "truncated UTF-8");
	char *big = malloc(TOPIC_MAX_LEN + 2);
	memset(big, 'a', TOPIC_MAX_LEN + 1);
	big[TOPIC_MAX_LEN + 1] = '\0';
	ok(!topic_name_valid(big), "topic of 65536 bytes invalid");
	big[TOPIC_MAX_LEN] = '\0';
	ok(topic_name_valid(big), "topic of 65535 bytes valid");
	free(big);

	ok(!topic_filter_valid(""), "empty filter invalid");
	ok(topic_filter_valid("#"), "\"#\" alone valid");
	ok(topic_filter_valid("+"), "\"+\" alone valid");
	ok(!topic_filter_valid("a#"), "# not a whole level");
	ok(!topic_filter_valid("#/a"), "# not last");
	ok(!topic_filter_valid("a/#/"), "# followed by an empty level");
	ok(!topic_filter_valid("a+/b"), "+ not a whole level");
	ok(!topic_filter_valid("a/+b"), "+ prefix of a level");
	ok(topic_filter_valid("+/+/#"), "+/+/# valid");
	ok(topic_filter_valid("//"), "empty levels valid in a filter");
}

static void test_layout(void)
{
	char *t = NULL, *why = NULL;
	is_int(topic_default_qos(TOPIC_CONFIG), 2, "config QoS 2");
	is_int(topic_default_qos(TOPIC_CTRL), 1, "ctrl QoS 1");
	is_int(topic_default_qos(TOPIC_NOTIF), 2, "notif QoS 2");
	is_int(topic_default_qos(TOPIC_PAYLOADS), 2, "payloads QoS 2");
	is_int(topic_default_qos(TOPIC_PAYLOADS_TO), 2, "addressed payloads QoS 2");
	is_int(topic_default_qos((enum topic_channel)99), 0, "unknown channel QoS 0");
	ok(topic_channel_def((enum topic_channel) - 1) == NULL, "no def for a bad channel");
	is_str(topic_channel_def(TOPIC_CONFIG)->name, "CONFIG_CHANNEL", "reference channel name");

	is_int(topic_make(NULL, TOPIC_CTRL, NULL, &t, NULL), R1_OK, "ctrl under default root");
	is_str(t, "naeural/ctrl", "default root is naeural");
	r1_free(t);
	is_int(topic_make("naeural_test", TOPIC_NOTIF, NULL, &t, NULL), R1_OK, "notif");
	is_str(t, "naeural_test/notif", "configurable root");
	r1_free(t);
	is_int(topic_make(NULL, TOPIC_PAYLOADS, NULL, &t, NULL), R1_OK, "payloads");
	is_str(t, "naeural/payloads", "broadcast payloads topic");
	r1_free(t);
	is_int(topic_make(NULL, TOPIC_CONFIG, "0xai_AbC-_1", &t, NULL), R1_OK, "config");
	is_str(t, "naeural/0xai_AbC-_1/config", "per-node config topic");
	r1_free(t);
	is_int(topic_make("a/b", TOPIC_PAYLOADS_TO, "0xai_X", &t, NULL), R1_OK, "nested root");
	is_str(t, "a/b/0xai_X/payloads", "addressed payloads topic under a nested root");
	r1_free(t);

	t = NULL;
	is_int(topic_make(NULL, TOPIC_CONFIG, NULL, &t, &why), R1_ERR_INVAL, "config needs addr");
	is_str(why, "topics: empty address", "reason names the address");
	ok(t == NULL, "no topic on error");
	is_int(topic_make(NULL, TOPIC_CONFIG, "a/b", &t, &why), R1_ERR_INVAL, "addr with /");
	is_int(topic_make(NULL, TOPIC_CONFIG, "+", &t, &why), R1_ERR_INVAL, "addr with +");
	is_int(topic_make(NULL, TOPIC_CTRL, "0xai_X", &t, &why), R1_ERR_INVAL,
	       "ctrl takes no address");
	is_int(topic_make("", TOPIC_CTRL, NULL, &t, &why), R1_ERR_INVAL, "empty root");
	is_int(topic_make("a/#", TOPIC_CTRL, NULL, &t, &why), R1_ERR_INVAL, "wildcard root");
	is_int(topic_make("a/", TOPIC_CTRL, NULL, &t, &why), R1_ERR_INVAL, "root ending in /");
	is_int(topic_make((const char *)"x", (enum topic_channel)42, NULL, &t, &why), R1_ERR_INVAL,
	       "unknown channel");
	r1_free(why);

	r1_alloc_fail_after(0);
	is_int(topic_make(NULL, TOPIC_CTRL, NULL, &t, NULL), R1_ERR_NOMEM, "out of memory");
	r1_alloc_fail_after(-1);
}

static void test_fanout(void)
{
	struct topic_list l;
	char *why = NULL;
	is_int(topic_fanout(NULL, NULL, 0, &l, &why), R1_ERR_INVAL, "no destinations");
	is_int((long long)l.count, 0, "empty list on error");

	const char *one[] = {"0xai_A"};
	is_int(topic_fanout(NULL, one, 1, &l, NULL), R1_OK, "one destination");
	is_int((long long)l.count, 1, "one topic");
	is_str(l.topics[0], "naeural/0xai_A/payloads", "addressed topic");
	topic_list_release(&l);

	const char *many[] = {"0xai_A", "B", "0xai_A", "0xai_C", "0xai_B"};
	is_int(topic_fanout("r", many, 5, &l, NULL), R1_OK, "several destinations");
	is_int((long long)l.count, 3, "repeats removed (with and without prefix)");
	is_str(l.topics[0], "r/0xai_A/payloads", "first in order");
	is_str(l.topics[1], "r/0xai_B/payloads", "prefix added");
	is_str(l.topics[2], "r/0xai_C/payloads", "third");
	topic_list_release(&l);
	is_int((long long)l.count, 0, "release empties");

	const char *bad[] = {"0xai_A", "x/y"};
	is_int(topic_fanout(NULL, bad, 2, &l, &why), R1_ERR_INVAL, "destination with /");
	is_int((long long)l.count, 0, "nothing left behind on error");
	const char *empty[] = {""};
	is_int(topic_fanout(NULL, empty, 1, &l, &why), R1_ERR_INVAL, "empty destination");
	const char *nul[] = {NULL};
	is_int(topic_fanout(NULL, nul, 1, &l, &why), R1_ERR_INVAL, "NULL destination");
	r1_free(why);

	for (long n = 0; n < 8; n++) {
		r1_alloc_fail_after(n);
		enum r1_err err = topic_fanout(NULL, many, 5, &l, NULL);
		r1_alloc_fail_after(-1);
		if (err == R1_OK) {
			ok(l.count == 3, "fan-out succeeds once allocations allow (%ld)", n);
			topic_list_release(&l);
			break;
		}
		is_int(err, R1_ERR_NOMEM, "allocation %ld failing gives NOMEM", n);
	}
}

int main(void)
{
	test_validity();
	test_match_table();
	test_layout();
	test_fanout();
	return tap_done();
}
