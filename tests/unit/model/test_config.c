/*
 * paths (XDG directories, atomic writes) and config (the profile file, the
 * EE_* environment, flags, and the precedence between them).
 */
#include "core/lib.h"
#include "core/config.h"
#include "core/paths.h"
#include "tests/tap.h"

#include <sys/stat.h>

/* An environment given as NULL-terminated name/value pairs. */
static const char *fake_env(void *ctx, const char *name)
{
	const char *const *kv = ctx;
	for (; kv[0]; kv += 2)
		if (strcmp(kv[0], name) == 0)
			return kv[1];
	return NULL;
}

static const char *const k1_addr = "0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN";
static const char *const k2_addr = "0xai_AmksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8";

static void test_paths(void)
{
	const char *env_xdg[] = {"HOME",    "/home/u",       "XDG_CONFIG_HOME",
	                         "/x/cfg/", "XDG_DATA_HOME", "relative/ignored",
	                         NULL};
	struct r1_paths p;
	char *why = NULL;
	is_int(paths_init(&p, fake_env, env_xdg, &why), R1_OK, "paths from XDG and HOME");
	is_str(p.config_dir, "/x/cfg/r1console", "absolute XDG_CONFIG_HOME used, slash trimmed");
	is_str(p.data_dir, "/home/u/.local/share/r1console", "relative XDG_DATA_HOME ignored");
	is_str(p.state_dir, "/home/u/.local/state/r1console", "state falls back to HOME");
	char *s = paths_config_file(&p);
	is_str(s, "/x/cfg/r1console/config", "config file");
	r1_free(s);
	s = paths_cache_db(&p);
	is_str(s, "/home/u/.local/state/r1console/cache.db", "cache db");
	r1_free(s);
	s = paths_user_identity(&p);
	is_str(s, "/home/u/.local/share/r1console/client/e2.pem", "user identity");
	r1_free(s);
	char *nd = NULL;
	is_int(paths_node_dir(&p, "edge-1", &nd, &why), R1_OK, "node dir of a good alias");
	is_str(nd, "/home/u/.local/share/r1console/nodes/edge-1", "node dir path");
	r1_free(nd);
	nd = NULL;
	is_int(paths_node_dir(&p, "../etc", &nd, &why), R1_ERR_INVAL, "alias with a slash refused");
	ok(nd == NULL, "nothing returned for a bad alias");
	is_int(paths_node_dir(&p, ".hidden", &nd, &why), R1_ERR_INVAL, "alias starting with '.'");
	is_int(paths_node_dir(&p, "", &nd, &why), R1_ERR_INVAL, "empty alias refused");
	paths_release(&p);

	const char *env_none[] = {"HOME", "relative", NULL};
	is_int(paths_init(&p, fake_env, env_none, &why), R1_ERR_NOTFOUND, "no usable HOME");
	ok(why && strstr(why, "HOME"), "reason names HOME: %s", why);

	/* real files */
	char dir[512], file[600];
	snprintf(dir, sizeof(dir), "%s/a/b/c", tap_tmpdir());
	is_int(paths_mkdir_p(dir, 0700, &why), R1_OK, "mkdir -p");
	is_int(paths_mkdir_p(dir, 0700, &why), R1_OK, "mkdir -p again");
	snprintf(file, sizeof(file), "%s/f.txt", dir);
	is_int(paths_write_atomic(file, "hello", 5, 0600, &why), R1_OK, "atomic write");
	struct stat st;
	ok(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600, "mode 0600");
	char *text = NULL;
	size_t len = 0;
	is_int(paths_read_file(file, 100, &text, &len, &why), R1_OK, "read back");
	is_mem(text, len, "hello", 5, "same bytes");
	r1_free(text);
	is_int(paths_read_file(file, 4, &text, &len, &why), R1_ERR_TOOBIG, "read cap enforced");
	snprintf(file, sizeof(file), "%s/missing", dir);
	is_int(paths_read_file(file, 4, &text, &len, &why), R1_ERR_NOTFOUND, "missing file");
	snprintf(file, sizeof(file), "%s/f.txt/x", dir);
	is_int(paths_mkdir_parent(file, 0700, &why), R1_ERR_IO, "mkdir over a file fails");
	r1_free(why);

	char *j = paths_join("/a", "b");
	is_str(j, "/a/b", "join");
	r1_free(j);
	j = paths_join("/a/", "b");
	is_str(j, "/a/b", "join: no double slash");
	r1_free(j);

	/* rm -rf of a tree with a link out of it: the link goes, its target stays */
	snprintf(dir, sizeof(dir), "%s/a", tap_tmpdir());
	snprintf(file, sizeof(file), "%s/outside", tap_tmpdir());
	paths_write_atomic(file, "keep", 4, 0600, NULL);
	char link[600];
	snprintf(link, sizeof(link), "%s/a/b/link", tap_tmpdir());
	ok(symlink(file, link) == 0, "a symbolic link in the tree");
	paths_remove_tree(dir);
	ok(lstat(dir, &st) != 0 && errno == ENOENT, "remove_tree: the tree is gone");
	ok(stat(file, &st) == 0, "remove_tree: what a link pointed to is not");
	paths_remove_tree(dir); /* a missing path is nothing to do */
}

static void test_broker_urls(void)
{
	struct r1_broker b;
	char *why = NULL;
	is_int(config_broker_parse("local", &b, &why), R1_OK, "local");
	ok(b.local, "local flag");
	config_broker_release(&b);

	is_int(config_broker_parse("mqtt://127.0.0.1:1999", &b, &why), R1_OK, "mqtt with port");
	ok(!b.local && !b.tls && b.port == 1999 && strcmp(b.host, "127.0.0.1") == 0 && !b.user,
	   "fields of mqtt://127.0.0.1:1999");
	config_broker_release(&b);

	is_int(config_broker_parse("mqtts://us%40er:p%3Ass@host.example/", &b, &why), R1_OK,
	       "mqtts with user and password");
	ok(b.tls && b.port == 8883, "mqtts default port 8883");
	is_str(b.user, "us@er", "user %%-decoded");
	is_str(b.pass, "p:ss", "password %%-decoded");
	char *url = config_broker_url(&b, false);
	is_str(url, "mqtts://us%40er:***@host.example:8883", "URL hides the password");
	r1_free(url);
	url = config_broker_url(&b, true);
	is_str(url, "mqtts://us%40er:p%3Ass@host.example:8883", "URL with the password");
	r1_free(url);
	config_broker_release(&b);

	is_int(config_broker_parse("broker:1884", &b, &why), R1_OK, "host:port without scheme");
	ok(b.port == 1884 && !b.tls, "plain host:port");
	config_broker_release(&b);
	is_int(config_broker_parse("[::1]:1885", &b, &why), R1_OK, "IPv6 literal");
	is_str(b.host, "::1", "IPv6 host");
	config_broker_release(&b);

	static const struct {
		const char *url, *reason;
	} bad[] = {
	    {"", "empty"},
	    {"http://x", "unknown scheme"},
	    {"mqtt://", "no host"},
	    {"mqtt://h:0", "port"},
	    {"mqtt://h:70000", "port"},
	    {"mqtt://h:12a", "port"},
	    {"mqtt://h/path", "no path"},
	    {"mqtt://u%zz@h", "escape"},
	    {"mqtt://h o", "bad character"},
	    {"mqtt://[::1", "unclosed"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(bad); i++) {
		is_int(config_broker_parse(bad[i].url, &b, &why), R1_ERR_INVAL, "bad URL '%s'",
		       bad[i].url);
		ok(why && strstr(why, bad[i].reason), "reason for '%s' says '%s': %s", bad[i].url,
		   bad[i].reason, why);
	}
	r1_free(why);
}

static void test_parse(void)
{
	char text[2048];
	snprintf(text, sizeof(text),
	         "# r1console\n"
	         "alias = ops-1\n"
	         "profile = lab\n"
	         "\n"
	         "[profile lab]\n"
	         "broker = mqtt://127.0.0.1:1883\n"
	         "root = naeural_test\n"
	         "oracles = %s, %s\n"
	         "identity = \"~/keys/e2.pem\"\n"
	         "timeout = 2.5\n"
	         "online-timeout = 5\n"
	         "encrypt = no\r\n"
	         "[profile  main ]\n"
	         "broker = mqtts://u:p@h\n",
	         k1_addr, k2_addr + 5);
	struct config_file cf;
	char *why = NULL;
	is_int(config_file_parse(text, strlen(text), "cfg", &cf, &why), R1_OK, "parse a good file");
	is_int(cf.n_errors, 0, "no errors");
	for (size_t i = 0; i < cf.n_errors; i++)
		tap_diag("%s", cf.errors[i]);
	is_str(cf.alias, "ops-1", "alias");
	is_str(cf.default_profile, "lab", "default profile");
	is_int(cf.n_profiles, 2, "two profiles");
	const struct config_profile *p = config_file_profile(&cf, "lab");
	ok(p != NULL, "profile lab found");
	is_str(p->root, "naeural_test", "root");
	is_int(p->n_oracles, 2, "two oracles");
	is_str(p->oracles[1], k2_addr, "oracle without prefix normalised to 0xai_");
	is_str(p->identity, "~/keys/e2.pem", "quotes removed");
	ok(p->timeout_s == 2.5 && p->online_timeout_s == 5, "timeouts");
	is_int(p->encrypt, 0, "encrypt no (CRLF tolerated)");
	ok(config_file_profile(&cf, "main") != NULL, "section name trimmed");

	const char *env_none[] = {NULL};
	char pc[] = "/c", pd[] = "/d", ps[] = "/s";
	struct r1_paths paths = {pc, pd, ps};
	struct r1_settings s;
	const char *env_home[] = {"HOME", "/home/u", NULL};
	is_int(config_resolve(&cf, NULL, fake_env, env_home, &paths, &s, &why), R1_OK,
	       "resolve the default profile");
	is_str(s.profile, "lab", "profile lab used");
	ok(!s.broker.local && s.broker.port == 1883, "broker from the profile");
	is_str(s.broker_from, "profile lab", "broker source");
	is_str(s.root, "naeural_test", "root from profile");
	is_str(s.identity, "/home/u/keys/e2.pem", "~ expanded");
	is_int(s.timeout_ms, 2500, "timeout in ms");
	is_int(s.online_timeout_ms, 5000, "online timeout in ms");
	ok(!s.encrypt, "encrypt off");
	is_str(s.alias, "ops-1", "alias from the file");
	is_int(s.command_qos, 2, "command QoS default 2");
	config_settings_release(&s);

	/* environment beats the profile */
	const char *env_ee[] = {"EE_MQTT_HOST",
	                        "10.0.0.5",
	                        "EE_MQTT_PORT",
	                        "8883",
	                        "EE_MQTT_USER",
	                        "alice",
	                        "EE_MQTT",
	                        "secret",
	                        "EE_SECURED",
	                        "true",
	                        "EE_ROOT_TOPIC",
	                        "deeploy_testbed",
	                        "EE_SDK_ALIAS",
	                        "sdk-x",
	                        "EE_MQTT_COMMAND_QOS",
	                        "1",
	                        NULL};
	is_int(config_resolve(&cf, NULL, fake_env, env_ee, &paths, &s, &why), R1_OK,
	       "resolve with EE_* environment");
	ok(s.broker.tls && s.broker.port == 8883 && strcmp(s.broker.host, "10.0.0.5") == 0,
	   "EE_MQTT_HOST/PORT/SECURED");
	is_str(s.broker.user, "alice", "EE_MQTT_USER");
	is_str(s.broker.pass, "secret", "EE_MQTT is the password");
	is_str(s.broker_from, "environment", "broker source is the environment");
	is_str(s.root, "deeploy_testbed", "EE_ROOT_TOPIC");
	is_str(s.alias, "sdk-x", "EE_SDK_ALIAS");
	is_int(s.command_qos, 1, "EE_MQTT_COMMAND_QOS");
	is_str(s.identity, "~/keys/e2.pem", "~ kept when HOME is unknown");
	config_settings_release(&s);

	/* flags beat the environment */
	struct config_flags fl = {.broker = "local", .root = "r2", .timeout_s = 1, .alias = "f"};
	is_int(config_resolve(&cf, &fl, fake_env, env_ee, &paths, &s, &why), R1_OK,
	       "resolve with flags");
	ok(s.broker.local, "--broker local wins");
	is_str(s.broker_from, "flag", "broker source is the flag");
	is_str(s.root, "r2", "--root wins");
	is_int(s.timeout_ms, 1000, "--timeout wins");
	is_str(s.alias, "f", "alias flag");
	config_settings_release(&s);

	fl = (struct config_flags){.profile = "nope"};
	is_int(config_resolve(&cf, &fl, fake_env, env_none, &paths, &s, &why), R1_ERR_INVAL,
	       "unknown --profile");
	ok(why && strstr(why, "no profile 'nope' in cfg"), "reason: %s", why);
	fl = (struct config_flags){.broker = "ftp://x"};
	is_int(config_resolve(&cf, &fl, fake_env, env_none, &paths, &s, &why), R1_ERR_INVAL,
	       "bad --broker");
	ok(why && strstr(why, "--broker"), "reason names the flag: %s", why);
	const char *env_bad[] = {"EE_SECURED", "maybe", NULL};
	is_int(config_resolve(&cf, NULL, fake_env, env_bad, &paths, &s, &why), R1_ERR_INVAL,
	       "bad EE_SECURED");
	ok(why && strstr(why, "EE_SECURED"), "reason names the variable: %s", why);
	config_file_release(&cf);

	/* no file at all: the embedded local network with the reference defaults */
	is_int(config_resolve(NULL, NULL, fake_env, env_none, &paths, &s, &why), R1_OK,
	       "resolve with no file");
	is_str(s.identity, "/d/client/e2.pem", "identity defaults under the data dir");
	ok(s.broker.local, "default broker is local");
	is_str(s.profile, "local", "default profile name");
	is_str(s.root, "naeural", "default root");
	is_int(s.timeout_ms, 10000, "default timeout 10 s");
	is_int(s.online_timeout_ms, 60000, "default online timeout 60 s");
	ok(s.encrypt, "commands encrypted by default");
	config_settings_release(&s);
	r1_free(why);
}

static void test_bad_lines(void)
{
	const char *text = "profile = zz\n"
	                   "broker = local\n"
	                   "what is this\n"
	                   "[network x]\n"
	                   "root = skipped-in-bad-section\n"
	                   "[profile a]\n"
	                   "brokr = local\n"
	                   "timeout = -1\n"
	                   "oracles = 0xai_notanaddress\n"
	                   "encrypt = maybe\n"
	                   "root = a/b\n"
	                   "[profile a]\n"
	                   "[profile b\n"
	                   "= value\n"
	                   "timeout = 1\n";
	struct config_file cf;
	char *why = NULL;
	is_int(config_file_parse(text, strlen(text), "f", &cf, &why), R1_OK,
	       "a bad file still parses");
	static const char *const want[] = {
	    "f:2: 'broker' belongs in a [profile NAME] section",
	    "f:3: expected 'key = value' or '[profile NAME]'",
	    "f:4: unknown section [network x] (expected [profile NAME])",
	    "f:7: unknown key 'brokr' in [profile a]",
	    "f:8: timeout '-1' must be a number of seconds",
	    "f:9: '0xai_notanaddress' is not a node address",
	    "f:10: encrypt 'maybe' must be yes or no",
	    "f:11: root 'a/b' must be",
	    "f:12: profile 'a' is defined twice",
	    "f:13: section header must end with ']'",
	    "f:14: missing key before '='",
	    "f:0: profile 'zz' is chosen but no [profile zz] section exists",
	};
	is_int(cf.n_errors, R1_ARRAY_LEN(want), "one message per bad line");
	for (size_t i = 0; i < R1_ARRAY_LEN(want) && i < cf.n_errors; i++)
		ok(strncmp(cf.errors[i], want[i], strlen(want[i])) == 0, "message %zu: %s", i,
		   cf.errors[i]);
	ok(config_file_profile(&cf, "a")->timeout_s == 0,
	   "keys after a bad section header do not reach the profile before it");
	config_file_release(&cf);

	char big[100];
	memset(big, 'a', sizeof(big));
	is_int(config_file_parse(big, CONFIG_FILE_MAX + 1, "f", &cf, &why), R1_ERR_TOOBIG,
	       "oversized file refused");
	r1_free(why);
}

static void test_set(void)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/cfgdir/config", tap_tmpdir());
	char *why = NULL;
	is_int(config_file_set(path, NULL, "alias", "me", &why), R1_OK, "set in a new file");
	is_int(config_file_set(path, "lab", "broker", "mqtt://127.0.0.1:1", &why), R1_OK,
	       "new profile section");
	is_int(config_file_set(path, "lab", "root", "r", &why), R1_OK, "second key in section");
	is_int(config_file_set(path, NULL, "profile", "lab", &why), R1_OK,
	       "top-level key goes before the sections");
	is_int(config_file_set(path, "lab", "broker", "mqtt://127.0.0.1:2", &why), R1_OK,
	       "replace a key");
	is_int(config_file_set(path, "lab", "broker", "bogus://", &why), R1_ERR_INVAL,
	       "a bad value is refused");
	ok(why && strstr(why, "unknown scheme"), "and explained: %s", why);
	is_int(config_file_set(path, "lab", "root", NULL, &why), R1_OK, "remove a key");
	char *text = NULL;
	is_int(paths_read_file(path, 10000, &text, NULL, &why), R1_OK, "read the result");
	is_str(text,
	       "alias = me\n"
	       "profile = lab\n"
	       "\n"
	       "[profile lab]\n"
	       "broker = mqtt://127.0.0.1:2\n",
	       "file content keeps order");
	r1_free(text);
	struct stat st;
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "config written 0600");

	/* comments and unknown lines survive an edit */
	const char *orig = "# keep me\n[profile a]\n# and me\nbroker = local\n";
	is_int(paths_write_atomic(path, orig, strlen(orig), 0600, &why), R1_OK, "seed a file");
	is_int(config_file_set(path, "a", "timeout", "3", &why), R1_OK, "add to a section");
	is_int(paths_read_file(path, 10000, &text, NULL, &why), R1_OK, "read again");
	is_str(text, "# keep me\n[profile a]\n# and me\nbroker = local\ntimeout = 3\n",
	       "comments kept, key appended after the last key");
	r1_free(text);
	struct config_file cf;
	is_int(config_file_load(path, &cf, &why), R1_OK, "load the edited file");
	is_int(cf.n_errors, 0, "edited file is clean");
	config_file_release(&cf);
	snprintf(path, sizeof(path), "%s/none/config", tap_tmpdir());
	is_int(config_file_load(path, &cf, &why), R1_OK, "a missing file is an empty config");
	is_int(cf.n_profiles, 0, "no profiles");
	config_file_release(&cf);
	r1_free(why);
}

/* The example shipped in data/ parses without a single bad line. */
static void test_example(void)
{
	char path[1024];
	const char *src = getenv("R1_SRCDIR");
	snprintf(path, sizeof(path), "%s/data/config.example", src ? src : R1_SRCDIR);
	struct config_file cf;
	char *why = NULL;
	is_int(config_file_load(path, &cf, &why), R1_OK, "data/config.example loads");
	is_int(cf.n_errors, 0, "and has no bad line");
	for (size_t i = 0; i < cf.n_errors; i++)
		tap_diag("%s", cf.errors[i]);
	is_int(cf.n_profiles, 3, "three profiles");
	ok(config_file_profile(&cf, "production") && config_file_profile(&cf, "production")->cafile,
	   "the production profile has its CA file");
	config_file_release(&cf);
	r1_free(why);
}

int main(void)
{
	test_example();
	test_paths();
	test_broker_urls();
	test_parse();
	test_bad_lines();
	test_set();
	return tap_done();
}
