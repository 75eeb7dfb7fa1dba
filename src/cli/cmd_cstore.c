/*
 * r1console cstore: a node's CStore from the command line, through the
 * node's own HTTP API on loopback (the routes apps use, port 31234 by
 * default), so what the command shows is what an app on that node sees.
 *
 *   get KEY | set KEY VALUE | del KEY | hget HKEY FIELD | hset HKEY FIELD VALUE
 *   hgetall HKEY | hkeys HKEY | hsync HKEY
 *
 * VALUE (and --token T) is JSON text; anything that does not parse as JSON
 * is taken as a string.  --readonly and --token are the reference's
 * chainstore_set arguments, which the node's HTTP API takes as extensions.  Which node: --port N,
 * else CSTORE_API_URL / EE_CHAINSTORE_API_URL (as the TypeScript client reads them), else --node
 * ALIAS for a node hosted on this machine (the port it recorded in its directory), else 31234.
 * Reaching a remote node over the bus is not here yet.
 */
#include "cli/cli.h"

#include "core/proto.h"
#include "node/cstore/jvalue.h"
#include "node/httpclient.h"

#include <jansson.h>

struct opts {
	const char *host;
	uint16_t port;
	const char *node;
	bool json;
	bool readonly;
	const char *token; /* JSON text (else a string) */
	int timeout_s;
	const char *peers[32];
	size_t npeers;
	const char *args[4];
	int nargs;
};

static bool parse_port(const char *s, uint16_t *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 1 || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

/* "http://host:port[/]" as the TypeScript client takes it (scheme optional). */
static bool parse_url(const char *url, char *host, size_t hostsz, uint16_t *port)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	const char *colon = strrchr(p, ':');
	if (!colon)
		return false;
	char portbuf[8];
	size_t plen = strcspn(colon + 1, "/");
	if (plen == 0 || plen >= sizeof(portbuf))
		return false;
	memcpy(portbuf, colon + 1, plen);
	portbuf[plen] = '\0';
	if (!parse_port(portbuf, port))
		return false;
	size_t hlen = (size_t)(colon - p);
	if (hlen == 0 || hlen >= hostsz)
		return false;
	memcpy(host, p, hlen);
	host[hlen] = '\0';
	if (strcmp(host, "localhost") == 0)
		snprintf(host, hostsz, "127.0.0.1");
	return true;
}

/* The port a node hosted here recorded in its directory, 0 when none. */
static uint16_t local_node_port(const char *alias)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char path[1024];
	if (xdg && *xdg)
		snprintf(path, sizeof(path), "%s/r1console/nodes/%s/cstore-api.port", xdg, alias);
	else if (home)
		snprintf(path, sizeof(path), "%s/.local/share/r1console/nodes/%s/cstore-api.port",
		         home, alias);
	else
		return 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[16] = "";
	uint16_t port = 0;
	if (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!parse_port(line, &port))
			port = 0;
	}
	fclose(f);
	return port;
}

/* Options and positional arguments; EXIT_OK or EXIT_USAGE. */
static int parse(int argc, char **argv, int want, struct opts *o, char *hostbuf, size_t hostsz)
{
	memset(o, 0, sizeof(*o));
	o->timeout_s = 60;
	bool have_port = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "--readonly") == 0) {
			o->readonly = true;
		} else if (strcmp(a, "--token") == 0 && next) {
			o->token = next;
			i++;
		} else if (strcmp(a, "--port") == 0 && next) {
			if (!parse_port(next, &o->port)) {
				cli_error(_("cstore: bad port '%s'"), next);
				return EXIT_USAGE;
			}
			have_port = true;
			i++;
		} else if (strcmp(a, "--node") == 0 && next) {
			o->node = next;
			i++;
		} else if (strcmp(a, "--peer") == 0 && next) {
			if (o->npeers == R1_ARRAY_LEN(o->peers)) {
				cli_error(_("cstore: too many peers"));
				return EXIT_USAGE;
			}
			o->peers[o->npeers++] = next;
			i++;
		} else if (strcmp(a, "--timeout") == 0 && next) {
			o->timeout_s = atoi(next);
			if (o->timeout_s <= 0) {
				cli_error(_("cstore: bad timeout '%s'"), next);
				return EXIT_USAGE;
			}
			i++;
		} else if (strcmp(a, "--") == 0) {
			for (i++; i < argc && o->nargs < 4; i++)
				o->args[o->nargs++] = argv[i];
			break;
		} else if (a[0] == '-' && a[1] == '-') {
			cli_error(_("cstore: unknown option '%s'"), a);
			return EXIT_USAGE;
		} else if (o->nargs < 4) {
			o->args[o->nargs++] = a;
		} else {
			o->nargs++;
		}
	}
	if (o->nargs != want) {
		cli_error(_("cstore %s: expected %d argument(s)"), argv[0], want);
		return EXIT_USAGE;
	}
	snprintf(hostbuf, hostsz, "127.0.0.1");
	o->host = hostbuf;
	if (have_port)
		return EXIT_OK;
	const char *url = getenv("CSTORE_API_URL");
	if (!url || !*url)
		url = getenv("EE_CHAINSTORE_API_URL");
	if (o->node) {
		o->port = local_node_port(o->node);
		if (!o->port) {
			cli_error(
			    _("cstore: node '%s' is not hosted on this machine (no "
			      "cstore-api.port in its directory); reaching a remote node over "
			      "the bus is not available yet"),
			    o->node);
			return EXIT_USAGE;
		}
	} else if (url && *url) {
		if (!parse_url(url, hostbuf, hostsz, &o->port)) {
			cli_error(_("cstore: cannot read the API address '%s'"), url);
			return EXIT_USAGE;
		}
	} else {
		o->port = CSTORE_DEFAULT_HTTP_PORT;
	}
	return EXIT_OK;
}

/* One request; on success *body is the parsed response (caller decrefs). */
static int call(const struct opts *o, const char *method, const char *target, json_t *req,
                json_t **body, struct buf *raw)
{
	char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	struct httpclient_resp resp;
	char *why = NULL;
	enum r1_err e = httpclient_request(o->host, o->port, method, target, "application/json",
	                                   text, text ? strlen(text) : 0, o->timeout_s * 1000,
	                                   64u << 20, &resp, &why);
	free(text);
	if (e) {
		cli_error(_("cstore: cannot reach the CStore API at %s:%u: %s"), o->host, o->port,
		          why ? why : r1_strerror(e));
		r1_free(why);
		return e == R1_ERR_TIMEOUT ? EXIT_TIMEOUT : EXIT_FAIL;
	}
	json_error_t jerr;
	*body = json_loadb(buf_cstr(&resp.body), resp.body.len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
	                   &jerr);
	if (raw)
		buf_add(raw, buf_cstr(&resp.body), resp.body.len);
	int status = resp.status;
	httpclient_resp_release(&resp);
	if (!*body) {
		cli_error(_("cstore: the API answered %d with something that is not JSON"), status);
		return EXIT_FAIL;
	}
	if (status != 200) {
		const json_t *d = json_object_get(*body, "detail");
		const json_t *msg = json_object_get(d, "error");
		if (!msg && json_is_array(d))
			msg = json_object_get(json_array_get(d, 0), "msg");
		if (!msg)
			msg = d;
		char *t = msg && json_is_string(msg) ? NULL : json_dumps(msg, JSON_ENCODE_ANY);
		cli_error(_("cstore: the API refused the request (%d): %s"), status,
		          t ? t : json_string_value(msg));
		free(t);
		json_decref(*body);
		*body = NULL;
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* The result as the node stored it: Python's spelling (0.1, not 0.10000000000000001). */
static void print_value(const json_t *v)
{
	struct buf b = BUF_INIT;
	if (jvalue_dump(v, &b, NULL) == R1_OK) {
		puts(buf_cstr(&b));
	} else {
		char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		puts(t ? t : "null");
		free(t);
	}
	buf_release(&b);
}

static int print_json_body(json_t *body)
{
	char *t = json_dumps(body, JSON_INDENT(2) | JSON_ENCODE_ANY);
	puts(t ? t : "");
	free(t);
	return EXIT_OK;
}

/* VALUE as JSON, or as a JSON string when it is not JSON. */
static json_t *value_arg(const char *text)
{
	json_t *v = NULL;
	if (jvalue_parse(text, strlen(text), &v, NULL) == R1_OK)
		return v;
	return json_string(text);
}

/* --token as JSON text for a query (a plain word becomes a JSON string). */
static char *token_text(const struct opts *o)
{
	if (!o->token)
		return NULL;
	json_t *v = value_arg(o->token);
	char *t = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(v);
	return t;
}

static json_t *peers_json(const struct opts *o)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < o->npeers; i++)
		json_array_append_new(a, json_string(o->peers[i]));
	return a;
}

static int get_like(const struct opts *o, const char *path, const char *k1, const char *v1,
                    const char *k2, const char *v2)
{
	struct buf q = BUF_INIT;
	httpclient_query_add(&q, k1, v1);
	if (k2)
		httpclient_query_add(&q, k2, v2);
	char *tok = token_text(o);
	if (tok)
		httpclient_query_add(&q, "token", tok);
	free(tok);
	struct buf target = BUF_INIT;
	buf_addf(&target, "%s?%s", path, buf_cstr(&q));
	buf_release(&q);
	json_t *body = NULL;
	int rc = call(o, "GET", buf_cstr(&target), NULL, &body, NULL);
	buf_release(&target);
	if (rc)
		return rc;
	const json_t *res = json_object_get(body, "result");
	if (o->json)
		rc = print_json_body(body);
	else if (!res || json_is_null(res))
		rc = EXIT_FAIL; /* no such key: nothing printed, as `git config` does */
	else
		print_value(res);
	if (o->json && (!res || json_is_null(res)))
		rc = EXIT_FAIL;
	json_decref(body);
	return rc;
}

static int write_like(const struct opts *o, const char *path, json_t *req, const char *what)
{
	json_object_set_new(req, "chainstore_peers", peers_json(o));
	if (o->readonly)
		json_object_set_new(req, "readonly", json_true());
	if (o->token)
		json_object_set_new(req, "token", value_arg(o->token));
	json_t *body = NULL;
	int rc = call(o, "POST", path, req, &body, NULL);
	json_decref(req);
	if (rc)
		return rc;
	bool ok = json_is_true(json_object_get(body, "result"));
	if (o->json) {
		print_json_body(body);
	} else if (ok) {
		puts("OK");
	} else {
		const char *reason = json_string_value(json_object_get(body, "reason"));
		/* TRANSLATORS: %s is "set", "del" or "hset"; the reason is a code word. */
		cli_error(_("cstore %s: not stored (%s)"), what, reason ? reason : "false");
	}
	json_decref(body);
	return ok ? EXIT_OK : EXIT_FAIL;
}

#define PARSE(n)                                                                                   \
	struct opts o;                                                                             \
	char hostbuf[256];                                                                         \
	int prc = parse(argc, argv, (n), &o, hostbuf, sizeof(hostbuf));                            \
	if (prc)                                                                                   \
	return prc

static int cs_get(int argc, char **argv)
{
	PARSE(1);
	return get_like(&o, "/get", "key", o.args[0], NULL, NULL);
}

static int cs_hget(int argc, char **argv)
{
	PARSE(2);
	return get_like(&o, "/hget", "hkey", o.args[0], "key", o.args[1]);
}

static int cs_set(int argc, char **argv)
{
	PARSE(2);
	json_t *req = json_pack("{s:s,s:o}", "key", o.args[0], "value", value_arg(o.args[1]));
	return write_like(&o, "/set", req, "set");
}

static int cs_del(int argc, char **argv)
{
	PARSE(1);
	json_t *req = json_pack("{s:s,s:n}", "key", o.args[0], "value");
	return write_like(&o, "/set", req, "del");
}

static int cs_hset(int argc, char **argv)
{
	PARSE(3);
	json_t *req = json_pack("{s:s,s:s,s:o}", "hkey", o.args[0], "key", o.args[1], "value",
	                        value_arg(o.args[2]));
	return write_like(&o, "/hset", req, "hset");
}

static int cs_hgetall(int argc, char **argv)
{
	PARSE(1);
	struct buf q = BUF_INIT;
	httpclient_query_add(&q, "hkey", o.args[0]);
	char *tok = token_text(&o);
	if (tok)
		httpclient_query_add(&q, "token", tok);
	free(tok);
	struct buf target = BUF_INIT;
	buf_addf(&target, "/hgetall?%s", buf_cstr(&q));
	buf_release(&q);
	json_t *body = NULL;
	int rc = call(&o, "GET", buf_cstr(&target), NULL, &body, NULL);
	buf_release(&target);
	if (rc)
		return rc;
	if (o.json) {
		print_json_body(body);
	} else {
		const char *field;
		json_t *v;
		json_object_foreach(json_object_get(body, "result"), field, v)
		{
			printf("%s\t", field);
			print_value(v);
		}
	}
	json_decref(body);
	return EXIT_OK;
}

static int cs_hkeys(int argc, char **argv)
{
	PARSE(1);
	struct buf q = BUF_INIT;
	httpclient_query_add(&q, "hkey", o.args[0]);
	struct buf target = BUF_INIT;
	buf_addf(&target, "/hkeys?%s", buf_cstr(&q));
	buf_release(&q);
	json_t *body = NULL;
	int rc = call(&o, "GET", buf_cstr(&target), NULL, &body, NULL);
	buf_release(&target);
	if (rc)
		return rc;
	if (o.json) {
		print_json_body(body);
	} else {
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(body, "result"), i, v)
		    puts(json_string_value(v));
	}
	json_decref(body);
	return EXIT_OK;
}

static int cs_hsync(int argc, char **argv)
{
	PARSE(1);
	json_t *req = json_pack("{s:s,s:o}", "hkey", o.args[0], "chainstore_peers", peers_json(&o));
	json_t *body = NULL;
	int rc = call(&o, "POST", "/hsync", req, &body, NULL);
	json_decref(req);
	if (rc)
		return rc;
	const json_t *res = json_object_get(body, "result");
	if (o.json) {
		print_json_body(body);
	} else {
		const char *src = json_string_value(json_object_get(res, "source_peer"));
		json_int_t n = json_integer_value(json_object_get(res, "merged_fields"));
		/* TRANSLATORS: merged N field(s) of HKEY from PEER */
		printf(_("merged %" JSON_INTEGER_FORMAT " field(s) of %s from %s\n"), n, o.args[0],
		       src ? src : "?");
	}
	json_decref(body);
	return EXIT_OK;
}

static const struct cmd_entry cstore_subcommands[] = {
    {"get", N_("cstore get KEY [--token T] [--node ALIAS|--port N] [--json]"),
     N_("print the value of KEY (exit 1 when it is missing)"), cs_get},
    {"set", N_("cstore set KEY VALUE [--readonly] [--token T] [--peer ADDR]... [--json]"),
     N_("store VALUE (JSON, else a string) and wait for the peers' confirmations"), cs_set},
    {"del", N_("cstore del KEY [--peer ADDR]..."), N_("delete KEY on this node and its peers"),
     cs_del},
    {"hget", N_("cstore hget HKEY FIELD [--token T] [--json]"), N_("print one field of hash HKEY"),
     cs_hget},
    {"hset", N_("cstore hset HKEY FIELD VALUE [--readonly] [--token T] [--peer ADDR]..."),
     N_("store one field of hash HKEY and wait for the confirmations"), cs_hset},
    {"hgetall", N_("cstore hgetall HKEY [--json]"),
     N_("print every field of hash HKEY, one per line"), cs_hgetall},
    {"hkeys", N_("cstore hkeys HKEY [--json]"), N_("print the field names of hash HKEY"), cs_hkeys},
    {"hsync", N_("cstore hsync HKEY [--peer ADDR]... [--json]"),
     N_("repair hash HKEY from the first peer that answers (merge only)"), cs_hsync},
    {NULL, NULL, NULL, NULL},
};

static int cmd_cstore(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		FILE *out = argc < 2 ? stderr : stdout;
		for (const struct cmd_entry *e = cstore_subcommands; e->name; e++)
			cli_usage(e, out);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	for (const struct cmd_entry *e = cstore_subcommands; e->name; e++) {
		if (strcmp(e->name, argv[1]) != 0)
			continue;
		if (cli_wants_help(e, argc - 1, argv + 1))
			return EXIT_OK;
		return e->exec(argc - 1, argv + 1);
	}
	cli_error(_("cstore: unknown subcommand '%s'; see 'r1console cstore --help'"), argv[1]);
	return EXIT_USAGE;
}

const struct cmd_entry cmd_cstore_entries[] = {
    {"cstore", N_("cstore get|set|del|hget|hset|hgetall|hkeys|hsync ..."),
     N_("read and write a node's CStore through its HTTP API"), cmd_cstore},
    {NULL, NULL, NULL, NULL},
};
