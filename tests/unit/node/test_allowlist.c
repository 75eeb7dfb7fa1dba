/*
 * authorized_addrs: parsing and rewriting as the SDK loader does (comments
 * kept, invalid addresses commented out, ETH comments appended), adding,
 * change detection, and the whitelist_commands.json templates.
 */
#include "node/lib.h"
#include "node/allowlist.h"
#include "node/cmdwhitelist.h"
#include "core/proto.h"
#include "tests/tap.h"
#include "core/paths.h"

#include <jansson.h>
#include <sys/stat.h>

/* keys.json k0, k1, k2 */
#define K0      "0xai_AmksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8"
#define K0_BODY "AmksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8"
#define K0_ETH  "0x1559F767410E36eAd0ced095667539A9Aa48f6D2"
#define K1      "0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN"
#define K2_BODY "A-4c9iEg0NInyQDnMeifin2zlWtlIAb8cTjc3bnyjs_r"
#define K2_ETH  "0xD532Fa03DAFa79E97dd24Ac9CfEe3D3D6606f068"

static void parse_case(const char *name, const char *text, size_t want_n, const char *want_rw,
                       bool want_needs)
{
	struct allow_entry *v = NULL;
	size_t n = 99;
	struct buf rw = BUF_INIT;
	bool needs = !want_needs;
	is_int(allowlist_parse(text, strlen(text), &v, &n, &rw, &needs, NULL), R1_OK, "%s: parses",
	       name);
	is_int(n, want_n, "%s: %zu entries", name, want_n);
	if (strstr(want_rw, "INVALID"))
		ok(strncmp(buf_cstr(&rw), want_rw, strlen(want_rw)) == 0 &&
		       buf_cstr(&rw)[rw.len - 1] == '\n',
		   "%s: rewritten text starts with %s", name, want_rw);
	else
		is_str(buf_cstr(&rw), want_rw, "%s: rewritten text", name);
	is_int(needs, want_needs, "%s: needs rewrite = %d", name, want_needs);
	buf_release(&rw);
	r1_free(v);
}

static void test_parse(void)
{
	parse_case("empty", "", 0, "", false);
	parse_case("blank lines", "\n\n  \n", 0, "", false);
	parse_case("comment only", "# hello\n", 0, "# hello\n", false);
	parse_case("complete line kept", K0 "  sdk  # " K0_ETH "\n", 1, K0 "  sdk  # " K0_ETH "\n",
	           false);
	parse_case("eth comment appended", K0 "  sdk\n", 1, K0 "  sdk # " K0_ETH "\n", true);
	parse_case("no prefix, no alias", K2_BODY "\n", 1, K2_BODY " # " K2_ETH "\n", true);
	parse_case("invalid commented out", "0xai_notanaddress  bad\n", 0,
	           "# 0xai_notanaddress  bad # INVALID: ", true);
	parse_case("duplicates counted once", K0 " a # x\n" K0_BODY " b # y\n", 1,
	           K0 " a # x\n" K0_BODY " b # y\n", false);

	/* details of one parse */
	const char *text = "# the team\n   " K0_BODY "\tci-sdk   # " K0_ETH "  \n" K1 "\n";
	struct allow_entry *v = NULL;
	size_t n = 0;
	is_int(allowlist_parse(text, strlen(text), &v, &n, NULL, NULL, NULL), R1_OK, "parse");
	is_int(n, 2, "two entries");
	is_str(v[0].addr, K0, "prefix added to a bare address");
	is_str(v[0].alias, "ci-sdk", "alias is the second word");
	is_str(v[1].addr, K1, "second entry");
	is_str(v[1].alias, "", "no alias");
	r1_free(v);

	/* "addr # eth" has three words; the '#' is not an alias */
	text = K0 " # " K0_ETH "\n";
	is_int(allowlist_parse(text, strlen(text), &v, &n, NULL, NULL, NULL), R1_OK, "parse");
	is_str(v[0].alias, "", "a comment is not an alias");
	r1_free(v);
}

static void test_file(void)
{
	char *path = paths_join(tap_tmpdir(), "authorized_addrs");
	char *why = NULL;
	struct allowlist *al = allowlist_open(path, &why);
	ok(al != NULL, "open creates a missing file (%s)", why ? why : "");
	struct stat st;
	is_int(stat(path, &st), 0, "file exists");
	is_int(allowlist_count(al), 0, "empty");
	ok(!allowlist_contains(al, K0), "k0 not allowed yet");

	bool added = false;
	is_int(allowlist_add(al, K0_BODY, "sdk client", &added, &why), R1_OK, "add k0");
	ok(added, "added");
	ok(allowlist_contains(al, K0), "k0 allowed (prefixed form)");
	ok(allowlist_contains(al, K0_BODY), "k0 allowed (bare form)");
	is_int(allowlist_add(al, K0, NULL, &added, &why), R1_OK, "add k0 again");
	ok(!added, "not added twice");
	is_int(allowlist_add(al, "0xai_garbage", NULL, &added, &why), R1_ERR_INVAL,
	       "an invalid address is refused");

	char *text = NULL;
	size_t len = 0;
	paths_read_file(path, 1 << 20, &text, &len, NULL);
	is_str(text, K0 "  sdk_client # " K0_ETH "\n", "file line in the reference format");
	r1_free(text);

	/* an edit by another process is picked up by refresh */
	bool changed = false;
	is_int(allowlist_refresh(al, &changed, &why), R1_OK, "refresh without change");
	ok(!changed, "no change reported");
	FILE *f = fopen(path, "a");
	fprintf(f, "%s ops\nnot-an-address\n", K2_BODY);
	fclose(f);
	is_int(allowlist_refresh(al, &changed, &why), R1_OK, "refresh after edit");
	ok(changed, "change reported");
	is_int(allowlist_count(al), 2, "two entries now");
	ok(allowlist_contains(al, "0xai_" K2_BODY), "k2 allowed");
	paths_read_file(path, 1 << 20, &text, &len, NULL);
	ok(strstr(text, K2_BODY " ops # " K2_ETH "\n") != NULL, "eth comment added on reload");
	ok(strstr(text, "# not-an-address # INVALID: ") != NULL, "invalid line commented out");
	r1_free(text);

	/* a second open sees the same list (the file is the state) */
	struct allowlist *al2 = allowlist_open(path, &why);
	is_int(allowlist_count(al2), 2, "reopened list");
	is_str(allowlist_entry(al2, 0)->alias, "sdk_client", "alias survives");
	ok(allowlist_entry(al2, 5) == NULL, "out of range entry is NULL");
	allowlist_free(&al2);

	unlink(path);
	is_int(allowlist_refresh(al, &changed, &why), R1_OK, "refresh after removal");
	ok(changed, "removal is a change");
	is_int(allowlist_count(al), 0, "removed file means an empty list");
	allowlist_free(&al);
	ok(al == NULL, "free NULLs the pointer");
	allowlist_free(&al);
	r1_free(path);
	r1_free(why);
}

static json_t *J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
	if (!v)
		tap_bail("bad test JSON %s: %s", text, e.text);
	return v;
}

static void match_case(const char *cmd, const char *tmpl, bool want)
{
	json_t *c = J(cmd), *t = J(tmpl);
	is_int(cmdwhitelist_match(c, t), want, "match %s against %s", tmpl, cmd);
	json_decref(c);
	json_decref(t);
}

static void test_templates(void)
{
	match_case("{\"ACTION\":\"FULL_HEARTBEAT\",\"PAYLOAD\":null}",
	           "{\"ACTION\":\"FULL_HEARTBEAT\"}", true);
	match_case("{\"ACTION\":\"RESTART\"}", "{\"ACTION\":\"FULL_HEARTBEAT\"}", false);
	match_case("{}", "{\"ACTION\":\"FULL_HEARTBEAT\"}", false);
	match_case("{\"A\":{\"B\":1,\"C\":2}}", "{\"A\":{\"B\":1}}", true);
	match_case("{\"A\":{\"B\":2}}", "{\"A\":{\"B\":1}}", false);
	match_case("{\"A\":\"x\"}", "{\"A\":{\"B\":1}}", false);
	match_case("{\"A\":[1,2,3]}", "{\"A\":[3,1]}", true);
	match_case("{\"A\":[1,2]}", "{\"A\":[4]}", false);
	match_case("{\"A\":[{\"x\":1},{\"y\":2}]}", "{\"A\":[{\"y\":2}]}", false);
	match_case("{\"A\":[{\"y\":2,\"z\":1}]}", "{\"A\":[{\"y\":2}]}", true);
	match_case("{\"A\":1}", "{\"A\":1.0}", true);
	match_case("{\"A\":true}", "{\"A\":1}", true);
	match_case("{\"A\":\"1\"}", "{\"A\":1}", false);
	match_case("{\"ACTION\":\"X\"}", "{}", true);

	char *path = paths_join(tap_tmpdir(), CMDWHITELIST_FILE);
	json_t *t = NULL;
	char *why = NULL;
	is_int(cmdwhitelist_load(path, &t, &why), R1_OK, "load creates the defaults");
	is_int(json_array_size(t), 2, "two default templates");
	json_t *full = J("{\"ACTION\":\"FULL_HEARTBEAT\",\"EE_SENDER\":\"x\"}");
	json_t *timers = J("{\"ACTION\":\"TIMERS_ONLY_HEARTBEAT\"}");
	json_t *restart = J("{\"ACTION\":\"RESTART\"}");
	ok(cmdwhitelist_any(t, full), "FULL_HEARTBEAT whitelisted");
	ok(cmdwhitelist_any(t, timers), "TIMERS_ONLY_HEARTBEAT whitelisted");
	ok(!cmdwhitelist_any(t, restart), "RESTART not whitelisted");
	json_decref(t);
	json_t *again = NULL;
	is_int(cmdwhitelist_load(path, &again, &why), R1_OK, "reload from the written file");
	json_t *def = cmdwhitelist_default();
	ok(json_equal(again, def), "written file holds the defaults");
	json_decref(again);
	json_decref(def);

	paths_write_atomic(path, "[{\"ACTION\":\"RESTART\"}]", 22, 0644, NULL);
	is_int(cmdwhitelist_load(path, &t, &why), R1_OK, "operator's templates load");
	ok(cmdwhitelist_any(t, restart), "RESTART now whitelisted");
	ok(!cmdwhitelist_any(t, full), "FULL_HEARTBEAT no longer");
	json_decref(t);
	paths_write_atomic(path, "{\"not\":\"a list\"}", 16, 0644, NULL);
	is_int(cmdwhitelist_load(path, &t, &why), R1_ERR_INVAL, "a non-list file refused");
	paths_write_atomic(path, "[1]", 3, 0644, NULL);
	is_int(cmdwhitelist_load(path, &t, &why), R1_ERR_INVAL, "a non-object template refused");
	is_int(cmdwhitelist_reset(path, &why), R1_OK, "reset to the defaults");
	is_int(cmdwhitelist_load(path, &t, &why), R1_OK, "load after reset");
	ok(cmdwhitelist_any(t, full), "defaults back");
	json_decref(t);
	json_decref(full);
	json_decref(timers);
	json_decref(restart);
	r1_free(path);
	r1_free(why);
}

int main(void)
{
	r1_alloc_setup_jansson();
	test_parse();
	test_file();
	test_templates();
	return tap_done();
}
