/*
 * r1console cstore: a node's CStore from the command line.
 *
 *   get KEY | set KEY VALUE | del KEY | hget HKEY FIELD | hset HKEY FIELD VALUE
 *   hgetall HKEY | hkeys HKEY | hsync HKEY
 *
 * Two ways to reach a node, one request model for both:
 *  - a node on this machine, through its own HTTP API on loopback (the
 *    routes apps use, so what the command shows is what an app sees): the
 *    port from --port, else CSTORE_API_URL / EE_CHAINSTORE_API_URL (as the
 *    TypeScript client reads them), else --node ALIAS when that node is
 *    hosted here (the port it recorded in its directory), else 31234;
 *  - any other node named by --node, over the network of the settings
 *    (--broker, --profile, ...): an encrypted, signed CSTORE_REQ to its
 *    CHAIN_STORE_BASE and its CSTORE_RESP back (the node must allow us, as
 *    for commands).
 * VALUE (and --token T) is JSON text; anything that does not parse as JSON
 * is taken as a string.  --readonly and --token are the reference's
 * chainstore_set arguments.  Exit: 0, 1 (refused, or a missing key for
 * get/hget), 2 usage, 3 timeout.
 */
#include "cli/cli.h"
#include "cli/args.h"
#include "cli/localapi.h"
#include "cli/netctx.h"

#include "core/proto.h"
#include "core/session.h"
#include "node/cstore/jvalue.h"
#include "node/cstore/msg.h"
#include "node/httpclient.h"

#include <jansson.h>
#include <stddef.h>

struct cs_flags {
	long long port;
	const char *node;
	bool readonly;
	const char *token;
	const char *peer; /* ADDR[,ADDR...] */
};

static const struct cli_flag cs_flag_table[] = {
    {"port", CLI_INT, offsetof(struct cs_flags, port)},
    {"node", CLI_STR, offsetof(struct cs_flags, node)},
    {"readonly", CLI_BOOL, offsetof(struct cs_flags, readonly)},
    {"token", CLI_STR, offsetof(struct cs_flags, token)},
    {"peer", CLI_STR, offsetof(struct cs_flags, peer)},
    CLI_FLAGS_END,
};

/* One operation, whatever carries it. */
struct op {
	const char *cmd; /* get set del hget hset hgetall hkeys hsync */
	const char *hkey, *key;
	json_t *value; /* owned; writes */
	json_t *token; /* owned; may be NULL */
	bool readonly;
	json_t *peers; /* owned array */
};

struct target {
	struct cli_global g;
	struct cs_flags f;
	struct localapi api;
	unsigned timeout_ms;
};

/* ---- arguments */

static const struct localapi_service cstore_api = {
    "cstore-api.port", {"CSTORE_API_URL", "EE_CHAINSTORE_API_URL"}, CSTORE_DEFAULT_HTTP_PORT};

/* VALUE as JSON, or as a JSON string when it is not JSON. */
static json_t *value_arg(const char *text)
{
	json_t *v = NULL;
	if (jvalue_parse(text, strlen(text), &v, NULL) == R1_OK)
		return v;
	return json_string(text);
}

/* Flags and positionals; *nargs positionals into args.  EXIT_OK or EXIT_USAGE. */
static int parse(int argc, char **argv, size_t want, struct target *t, const char **args)
{
	memset(t, 0, sizeof(*t));
	struct cli_args a;
	char *err = NULL;
	if (!cli_parse(argc, argv, cs_flag_table, &t->f, &t->g, &a, &err)) {
		cli_error("cstore %s: %s", argv[0], err ? err : "");
		r1_free(err);
		return EXIT_USAGE;
	}
	if (a.n_pos != want) {
		cli_error(_("cstore %s: expected %zu argument(s)"), argv[0], want);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < want; i++)
		args[i] = a.pos[i];
	t->timeout_ms = t->g.cfg.timeout_s > 0 ? (unsigned)(t->g.cfg.timeout_s * 1000) : 60000;
	char *why = NULL;
	if (localapi_find(&cstore_api, t->f.port, t->f.node, &t->api, &why)) {
		cli_error("cstore: %s", why);
		r1_free(why);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static void op_release(struct op *op)
{
	json_decref(op->value);
	json_decref(op->token);
	json_decref(op->peers);
}

/* The common fields of an op from the flags. */
static void op_flags(const struct target *t, struct op *op)
{
	op->readonly = t->f.readonly;
	op->token = t->f.token ? value_arg(t->f.token) : NULL;
	op->peers = json_array();
	const char *p = t->f.peer;
	while (p && *p && op->peers) {
		size_t n = strcspn(p, ",");
		if (n)
			json_array_append_new(op->peers, json_stringn(p, n));
		p += n + (p[n] == ',');
	}
}

/* ---- over HTTP */

/* One request; on success *body is the parsed response (caller decrefs). */
static int http_call(const struct target *t, const char *method, const char *path,
                     const struct buf *query, json_t *req, json_t **body)
{
	struct buf target = BUF_INIT;
	buf_adds(&target, path);
	if (query && query->len)
		buf_addf(&target, "?%s", buf_cstr(query));
	char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	struct httpclient_resp resp;
	char *why = NULL;
	enum r1_err e = httpclient_request(t->api.host, t->api.port, method, buf_cstr(&target),
	                                   "application/json", text, text ? strlen(text) : 0,
	                                   (int)t->timeout_ms, 64u << 20, &resp, &why);
	free(text);
	buf_release(&target);
	if (e) {
		cli_error(_("cstore: cannot reach the CStore API at %s:%u: %s"), t->api.host,
		          t->api.port, why ? why : r1_strerror(e));
		r1_free(why);
		return e == R1_ERR_TIMEOUT ? EXIT_TIMEOUT : EXIT_FAIL;
	}
	*body =
	    json_loadb(buf_cstr(&resp.body), resp.body.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
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
		char *s = msg && json_is_string(msg) ? NULL : json_dumps(msg, JSON_ENCODE_ANY);
		cli_error(_("cstore: the API refused the request (%d): %s"), status,
		          s ? s : json_string_value(msg));
		free(s);
		json_decref(*body);
		*body = NULL;
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int run_http(const struct target *t, const struct op *op, json_t **body)
{
	struct buf q = BUF_INIT;
	const char *get = NULL, *post = NULL;
	json_t *req = NULL;
	if (strcmp(op->cmd, "get") == 0 || strcmp(op->cmd, "hget") == 0 ||
	    strcmp(op->cmd, "hgetall") == 0 || strcmp(op->cmd, "hkeys") == 0) {
		get = op->cmd;
		if (op->hkey)
			httpclient_query_add(&q, "hkey", op->hkey);
		if (op->key)
			httpclient_query_add(&q, "key", op->key);
		if (op->token) {
			char *tok = json_dumps(op->token, JSON_COMPACT | JSON_ENCODE_ANY);
			if (tok)
				httpclient_query_add(&q, "token", tok);
			free(tok);
		}
	} else {
		post = strcmp(op->cmd, "del") == 0 ? "set" : op->cmd;
		req = json_pack("{s:O}", "chainstore_peers", op->peers);
		if (op->hkey)
			json_object_set_new(req, "hkey", json_string(op->hkey));
		if (op->key)
			json_object_set_new(req, "key", json_string(op->key));
		if (strcmp(op->cmd, "hsync") != 0)
			json_object_set(req, "value", op->value ? op->value : json_null());
		if (op->readonly)
			json_object_set_new(req, "readonly", json_true());
		if (op->token)
			json_object_set(req, "token", op->token);
	}
	char path[32];
	snprintf(path, sizeof(path), "/%s", get ? get : post);
	int rc = http_call(t, get ? "GET" : "POST", path, &q, req, body);
	json_decref(req);
	buf_release(&q);
	return rc;
}

/* ---- over the network: CSTORE_REQ / CSTORE_RESP */

struct remote_wait {
	char request_id[NETCTX_REQUEST_ID_SIZE];
	char node[R1_ADDR_LEN + 1];
	json_t *resp; /* the CHAIN_STORE_DATA answer */
};

static void on_payload(void *ctx, struct session *s, enum session_msg kind, const char *sender,
                       const json_t *msg)
{
	struct remote_wait *w = ctx;
	if (kind != SESSION_MSG_PAYLOAD)
		return;
	const json_t *data = json_object_get(msg, K_CHAIN_STORE_DATA);
	struct cstore_msg m;
	if (w->resp || !data || !addr_same(sender, w->node) ||
	    cstore_msg_parse(data, &m, NULL) != R1_OK || m.op != CSOP_RESP ||
	    strcmp(m.request_id, w->request_id) != 0)
		return;
	w->resp = json_incref((json_t *)data);
}

static bool answered(void *ctx)
{
	return ((struct remote_wait *)ctx)->resp != NULL;
}

static int run_remote(const struct target *t, const struct op *op, json_t **body)
{
	struct netctx nc;
	const struct nm_node *n = NULL;
	int rc = netctx_open_node(&nc, &t->g, NETCTX_NO_CACHE, t->f.node, t->timeout_ms, &n);
	if (rc)
		return rc;
	struct remote_wait w = {0};
	snprintf(w.node, sizeof(w.node), "%s", n->info.addr);
	netctx_request_id(w.request_id);
	session_set_observer(nc.sess, on_payload, &w);
	bool write = strcmp(op->cmd, "set") == 0 || strcmp(op->cmd, "hset") == 0;
	json_t *data =
	    cstore_msg_req(w.request_id, op->cmd, op->hkey, op->key, write ? op->value : NULL,
	                   op->token, op->readonly, json_array_size(op->peers) ? op->peers : NULL);
	char *why = NULL;
	enum r1_err e = data ? netctx_send_payload(&nc, n->info.addr, SIG_CHAIN_STORE_BASE,
	                                           K_CHAIN_STORE_DATA, data, true, &why)
	                     : r1_fail(&why, R1_ERR_NOMEM, "out of memory");
	json_decref(data);
	if (e) {
		cli_error(_("cstore: cannot send the request to %s: %s"), n->info.alias,
		          why ? why : "");
		r1_free(why);
		session_set_observer(nc.sess, NULL, NULL);
		netctx_close(&nc);
		return EXIT_FAIL;
	}
	if (!netctx_run_until(&nc, answered, &w, t->timeout_ms)) {
		/* TRANSLATORS: %s is a node's alias */
		cli_error(_("cstore: no answer from %s (is it online, and does it allow us?)"),
		          n->info.alias);
		rc = EXIT_TIMEOUT;
	} else {
		struct cstore_msg m;
		cstore_msg_parse(w.resp, &m, NULL);
		bool is_write = write || strcmp(op->cmd, "del") == 0;
		if (!m.ok && !is_write) {
			cli_error(_("cstore %s: %s"), op->cmd, m.reason ? m.reason : "refused");
			rc = EXIT_FAIL;
		} else {
			/* the HTTP API's shape: writes answer a boolean, reads the value */
			*body = is_write ? json_pack("{s:b}", "result", m.ok)
			                 : json_pack("{s:O}", "result",
			                             m.result ? (json_t *)m.result : json_null());
			if (!m.ok && m.reason)
				json_object_set_new(*body, "reason", json_string(m.reason));
		}
	}
	session_set_observer(nc.sess, NULL, NULL);
	json_decref(w.resp);
	netctx_close(&nc);
	return rc;
}

/* ---- output */

/* The result as the node stored it: Python's spelling (0.1, not 0.10000000000000001). */
static void print_value(const json_t *v)
{
	struct buf b = BUF_INIT;
	if (jvalue_dump(v, &b, NULL) == R1_OK) {
		puts(buf_cstr(&b));
	} else {
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		puts(s ? s : "null");
		free(s);
	}
	buf_release(&b);
}

static void print_json_body(const json_t *body)
{
	char *s = json_dumps(body, JSON_INDENT(2) | JSON_ENCODE_ANY);
	puts(s ? s : "");
	free(s);
}

static int run_and_print(const struct target *t, struct op *op)
{
	json_t *body = NULL;
	int rc = t->api.remote ? run_remote(t, op, &body) : run_http(t, op, &body);
	op_release(op);
	if (rc)
		return rc;
	const json_t *res = json_object_get(body, "result");
	const char *cmd = op->cmd;
	bool write = strcmp(cmd, "set") == 0 || strcmp(cmd, "hset") == 0 || strcmp(cmd, "del") == 0;
	if (t->g.json) {
		print_json_body(body);
		if (write ? !json_is_true(res) : (!res || json_is_null(res)))
			rc = EXIT_FAIL;
	} else if (write) {
		if (json_is_true(res)) {
			puts("OK");
		} else {
			const char *reason = json_string_value(json_object_get(body, "reason"));
			/* TRANSLATORS: %s is "set", "del" or "hset"; the reason is a code word. */
			cli_error(_("cstore %s: not stored (%s)"), cmd, reason ? reason : "false");
			rc = EXIT_FAIL;
		}
	} else if (strcmp(cmd, "hgetall") == 0) {
		const char *field;
		json_t *v;
		json_object_foreach((json_t *)res, field, v)
		{
			printf("%s\t", field);
			print_value(v);
		}
	} else if (strcmp(cmd, "hkeys") == 0) {
		size_t i;
		json_t *v;
		json_array_foreach(res, i, v) puts(json_string_value(v));
	} else if (strcmp(cmd, "hsync") == 0) {
		const char *src = json_string_value(json_object_get(res, "source_peer"));
		json_int_t n = json_integer_value(json_object_get(res, "merged_fields"));
		const char *hkey = json_string_value(json_object_get(res, "hkey"));
		/* TRANSLATORS: merged N field(s) of HKEY from PEER */
		printf(_("merged %" JSON_INTEGER_FORMAT " field(s) of %s from %s\n"), n,
		       hkey ? hkey : "?", src ? src : "?");
	} else if (!res || json_is_null(res)) {
		rc = EXIT_FAIL; /* no such key: nothing printed, as `git config` does */
	} else {
		print_value(res);
	}
	json_decref(body);
	return rc;
}

/* ---- the subcommands */

static int cs_get(int argc, char **argv)
{
	struct target t;
	const char *a[1];
	int rc = parse(argc, argv, 1, &t, a);
	if (rc)
		return rc;
	struct op op = {.cmd = "get", .key = a[0]};
	op_flags(&t, &op);
	return run_and_print(&t, &op);
}

static int cs_hget(int argc, char **argv)
{
	struct target t;
	const char *a[2];
	int rc = parse(argc, argv, 2, &t, a);
	if (rc)
		return rc;
	struct op op = {.cmd = "hget", .hkey = a[0], .key = a[1]};
	op_flags(&t, &op);
	return run_and_print(&t, &op);
}

static int cs_set(int argc, char **argv)
{
	struct target t;
	const char *a[2];
	int rc = parse(argc, argv, 2, &t, a);
	if (rc)
		return rc;
	struct op op = {.cmd = "set", .key = a[0], .value = value_arg(a[1])};
	op_flags(&t, &op);
	return run_and_print(&t, &op);
}

static int cs_del(int argc, char **argv)
{
	struct target t;
	const char *a[1];
	int rc = parse(argc, argv, 1, &t, a);
	if (rc)
		return rc;
	struct op op = {.cmd = "del", .key = a[0]};
	op_flags(&t, &op);
	return run_and_print(&t, &op);
}

static int cs_hset(int argc, char **argv)
{
	struct target t;
	const char *a[3];
	int rc = parse(argc, argv, 3, &t, a);
	if (rc)
		return rc;
	struct op op = {.cmd = "hset", .hkey = a[0], .key = a[1], .value = value_arg(a[2])};
	op_flags(&t, &op);
	return run_and_print(&t, &op);
}

static int cs_hash(int argc, char **argv, const char *cmd)
{
	struct target t;
	const char *a[1];
	int rc = parse(argc, argv, 1, &t, a);
	if (rc)
		return rc;
	struct op op = {.cmd = cmd, .hkey = a[0]};
	op_flags(&t, &op);
	return run_and_print(&t, &op);
}

static int cs_hgetall(int argc, char **argv)
{
	return cs_hash(argc, argv, "hgetall");
}

static int cs_hkeys(int argc, char **argv)
{
	return cs_hash(argc, argv, "hkeys");
}

static int cs_hsync(int argc, char **argv)
{
	return cs_hash(argc, argv, "hsync");
}

static const struct cmd_entry cstore_subcommands[] = {
    {"get", N_("cstore get KEY [--token T] [--node NODE|--port N] [--json]"),
     N_("print the value of KEY (exit 1 when it is missing)"), cs_get},
    {"set", N_("cstore set KEY VALUE [--readonly] [--token T] [--peer ADDR,...] [--json]"),
     N_("store VALUE (JSON, else a string) and wait for the peers' confirmations"), cs_set},
    {"del", N_("cstore del KEY [--token T] [--peer ADDR,...]"),
     N_("delete KEY on the node and its peers"), cs_del},
    {"hget", N_("cstore hget HKEY FIELD [--token T] [--json]"), N_("print one field of hash HKEY"),
     cs_hget},
    {"hset", N_("cstore hset HKEY FIELD VALUE [--readonly] [--token T] [--peer ADDR,...]"),
     N_("store one field of hash HKEY and wait for the confirmations"), cs_hset},
    {"hgetall", N_("cstore hgetall HKEY [--token T] [--json]"),
     N_("print every field of hash HKEY, one per line"), cs_hgetall},
    {"hkeys", N_("cstore hkeys HKEY [--json]"), N_("print the field names of hash HKEY"), cs_hkeys},
    {"hsync", N_("cstore hsync HKEY [--peer ADDR,...] [--json]"),
     N_("repair hash HKEY from the first peer that answers (merge only)"), cs_hsync},
    {NULL, NULL, NULL, NULL},
};

static int cmd_cstore(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		FILE *out = argc < 2 ? stderr : stdout;
		for (const struct cmd_entry *e = cstore_subcommands; e->name; e++)
			cli_usage(e, out);
		fprintf(out, _("  NODE: a node hosted here (its HTTP API), or any node of the "
		               "network (--broker, --profile) that allows us\n"));
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
     N_("read and write a node's CStore (its HTTP API here, or over the network)"), cmd_cstore},
    {NULL, NULL, NULL, NULL},
};
