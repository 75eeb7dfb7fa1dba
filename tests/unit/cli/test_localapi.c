/*
 * Where the CLI finds a local node's HTTP API (cli/localapi): --port, a
 * hosted node's port file, the environment's API URL, the default; and
 * the URL forms the TypeScript client takes.
 */
#include "core/lib.h"
#include "cli/localapi.h"
#include "tests/tap.h"

#include <sys/stat.h>

static const struct localapi_service svc = {
    "cstore-api.port", {"CSTORE_API_URL", "EE_CHAINSTORE_API_URL"}, 31234};

static void found(long long port, const char *node, const char *host, unsigned want_port,
                  bool remote, const char *name)
{
	struct localapi a;
	char *why = NULL;
	is_int(localapi_find(&svc, port, node, &a, &why), R1_OK, "%s: found (%s)", name,
	       why ? why : "ok");
	is_str(a.host, host, "%s: host", name);
	is_int(a.port, want_port, "%s: port", name);
	is_int(a.remote, remote, "%s: %s", name, remote ? "over the network" : "local");
	r1_free(why);
}

static void refused(long long port, const char *name, const char *reason)
{
	struct localapi a;
	char *why = NULL;
	is_int(localapi_find(&svc, port, NULL, &a, &why), R1_ERR_INVAL, "%s: refused", name);
	ok(why && strstr(why, reason), "%s: the reason says so: %s", name, why ? why : "");
	r1_free(why);
}

static void url_is(const char *url, bool want_ok, const char *host, unsigned port)
{
	char h[64] = "";
	uint16_t p = 0;
	is_int(localapi_parse_url(url, h, sizeof(h), &p), want_ok, "'%s' %s", url,
	       want_ok ? "reads" : "is refused");
	if (want_ok) {
		is_str(h, host, "'%s': host", url);
		is_int(p, port, "'%s': port", url);
	}
}

int main(void)
{
	unsetenv("CSTORE_API_URL");
	unsetenv("EE_CHAINSTORE_API_URL");
	const char *tmp = tap_tmpdir();
	setenv("XDG_DATA_HOME", tmp, 1);

	found(0, NULL, "127.0.0.1", 31234, false, "nothing given: the default");
	found(8080, NULL, "127.0.0.1", 8080, false, "--port");
	refused(70000, "--port 70000", "bad port");
	refused(-1, "--port -1", "bad port");

	/* a node hosted here recorded its port in its directory */
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/r1console", tmp);
	mkdir(path.data, 0700);
	buf_adds(&path, "/nodes");
	mkdir(path.data, 0700);
	buf_adds(&path, "/n1");
	mkdir(path.data, 0700);
	buf_adds(&path, "/cstore-api.port");
	FILE *f = fopen(path.data, "w");
	if (!f)
		tap_bail("cannot write %s", path.data);
	fputs("4321\n", f);
	fclose(f);
	buf_release(&path);
	found(0, "n1", "127.0.0.1", 4321, false, "--node of a hosted node");
	found(0, "n2", "127.0.0.1", 0, true, "--node of a node not hosted here");
	found(0, "../n1", "127.0.0.1", 0, true, "--node that is no plain alias never reads a file");
	found(9000, "n1", "127.0.0.1", 9000, false, "--port wins over --node");

	setenv("EE_CHAINSTORE_API_URL", "http://localhost:5555/", 1);
	found(0, NULL, "127.0.0.1", 5555, false, "the second variable, localhost as 127.0.0.1");
	setenv("CSTORE_API_URL", "10.0.0.2:1234", 1);
	found(0, NULL, "10.0.0.2", 1234, false, "the first variable wins, scheme optional");
	found(0, "n1", "127.0.0.1", 4321, false, "--node wins over the environment");
	setenv("CSTORE_API_URL", "nonsense", 1);
	refused(0, "a URL without a port", "nonsense");
	unsetenv("CSTORE_API_URL");
	unsetenv("EE_CHAINSTORE_API_URL");

	url_is("http://h:80", true, "h", 80);
	url_is("h:00080/", true, "h", 80);
	url_is("https://a.b:65535/x/y", true, "a.b", 65535);
	url_is("h:0", false, NULL, 0);
	url_is("h:65536", false, NULL, 0);
	url_is(":80", false, NULL, 0);
	url_is("h:", false, NULL, 0);
	url_is("h:8a", false, NULL, 0);
	url_is("http://h", false, NULL, 0);

	return tap_done();
}
