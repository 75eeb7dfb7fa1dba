/*
 * CHAIN_STORE_BASE: the admin plugin that runs a node's CStore (the
 * reference's chain_store_base.py, admin_pipeline, instance
 * CHAIN_STORE_BASE_INST).  It ties the engine (cstore.c) to the node:
 *
 *  - replica in node.db; messages out as encrypted multi-recipient payloads
 *    of this instance (plugin_emit_encrypted: EE_DEST = the peers, one
 *    publish per peer on <root>/<peer>/payloads); messages in from the
 *    admin pipeline's NetworkListener (PATH_FILTER lets CHAIN_STORE_BASE
 *    through), already verified and decrypted by the node's ingest;
 *  - default peers = authorized_addrs entries that are online: on an oracle
 *    by its own heartbeat registry, elsewhere by the NET_MON_01 maps of the
 *    oracles this node trusts (the reference's
 *    network_node_is_online_for_control); trusted senders = authorized_addrs;
 *  - MIN_CONFIRMATIONS from the instance config (else the node's
 *    --cstore-min-confirms, else the reference's 1);
 *  - the app-facing HTTP API (cstore_http.c) on the node's CStore port, its
 *    port recorded in <node dir>/cstore-api.port for `r1console cstore`;
 *  - one loop timer for the engine's timeouts and retries.
 *
 * It does not implement the reference's 60 s peer refresh: the peer set is
 * computed at each write from the live allow-list and online view.  Unlike
 * the reference, writes and hsync requests are taken only from senders in
 * authorized_addrs unless ACCEPT_UNTRUSTED is set.
 */
#include "node/lib.h"
#include "node/nodepriv.h"
#include "node/plugin.h"
#include "node/plugins/plugins.h"
#include "node/cstore/cstore.h"
#include "node/cstore/cstore_http.h"
#include "core/loop.h"
#include "core/netmon.h"
#include "core/proto.h"
#include "core/timefmt.h"
#include "core/clock.h"

#include <strings.h>

#define LOGMOD    "cstore"
#define PEERS_MAX 1024

struct csb {
	struct plugin_instance *pi;
	struct node *n;
	struct cstore *cs;
	struct cstore_http *http;
	struct loop_timer *timer;
	char *port_file;
	/* addresses (no prefix) the trusted oracles last reported ONLINE */
	json_t *online;
	int64_t online_us; /* when that map was last refreshed */
	/* default peers handed to the engine: owned strings */
	char *peers[PEERS_MAX];
	size_t npeers;
};

/*
 * The reference's CHAIN_STORE_BASE config: no delay, a deep input queue,
 * not its own messages; MIN_CONFIRMATIONS is deliberately absent so the
 * node's default applies when the pipeline does not set it.
 */
static const char defaults[] = "{\"PROCESS_DELAY\": 0, \"ALLOW_EMPTY_INPUTS\": false,"
                               " \"MAX_INPUTS_QUEUE_SIZE\": 1024, \"PLUGIN_LOOP_RESOLUTION\": 1000,"
                               " \"ACCEPT_SELF\": false, \"CHAIN_PEERS_REFRESH_INTERVAL\": 60,"
                               " \"CHAIN_STORE_DEBUG\": false}";

static const char schema[] =
    "{\"type\": \"object\", \"title\": \"CHAIN_STORE_BASE\","
    " \"properties\": {"
    "  \"MIN_CONFIRMATIONS\": {\"type\": \"integer\", \"minimum\": 0,"
    "   \"description\": \"Peer confirmations a write waits for (0: a majority)\"}"
    " }}";

/* ---- the engine's environment */

static void free_peers(struct csb *s)
{
	for (size_t i = 0; i < s->npeers; i++)
		r1_free(s->peers[i]);
	s->npeers = 0;
}

static bool is_online(struct csb *s, const char *addr)
{
	struct node *n = s->n;
	if (n->watch) {
		const char *w = netwatch_working(n->watch, addr, r1_wall_us());
		if (w && strcmp(w, NETMON_WORKING_ONLINE) == 0)
			return true;
	}
	const json_t *e = json_object_get(s->online, addr_strip_prefix(addr));
	return json_is_true(e);
}

static size_t env_default_peers(void *ctx, const char *const **out)
{
	struct csb *s = ctx;
	free_peers(s);
	size_t n = allowlist_count(s->n->allow);
	for (size_t i = 0; i < n && s->npeers < PEERS_MAX; i++) {
		const struct allow_entry *e = allowlist_entry(s->n->allow, i);
		if (!e || addr_same(e->addr, s->n->id.addr) || !is_online(s, e->addr))
			continue;
		char *copy = r1_strdup(e->addr);
		if (copy)
			s->peers[s->npeers++] = copy;
	}
	*out = (const char *const *)s->peers;
	return s->npeers;
}

static bool env_trusted(void *ctx, const char *addr)
{
	struct csb *s = ctx;
	return allowlist_contains(s->n->allow, addr);
}

static enum r1_err env_send(void *ctx, const char *const *peers, size_t n, const json_t *data,
                            char **why)
{
	struct csb *s = ctx;
	json_t *dest = json_array();
	for (size_t i = 0; dest && i < n; i++)
		if (json_array_append_new(dest, json_string(peers[i]))) {
			json_decref(dest);
			dest = NULL;
		}
	json_t *fields = json_pack("{s:O}", K_CHAIN_STORE_DATA, data);
	if (!dest || !fields) {
		json_decref(dest);
		json_decref(fields);
		return r1_fail(why, R1_ERR_NOMEM, "CHAIN_STORE_BASE: out of memory");
	}
	enum r1_err e = plugin_emit_encrypted(s->pi, dest, fields, why);
	json_decref(dest);
	return e;
}

static uint64_t env_now_ms(void *ctx)
{
	struct csb *s = ctx;
	return loop_now(s->n->loop);
}

static int64_t env_wall_us(void *ctx)
{
	return r1_wall_us();
}

static void rearm(struct csb *s)
{
	if (!s->timer || !s->cs)
		return;
	uint64_t due = cstore_next_due(s->cs), now = loop_now(s->n->loop);
	if (due == UINT64_MAX)
		loop_timer_stop(s->timer);
	else
		loop_timer_start(s->timer, due > now ? due - now : 0, 0);
}

static void env_wake(void *ctx)
{
	rearm(ctx);
}

static void on_timer(void *ctx, struct loop_timer *t)
{
	struct csb *s = ctx;
	cstore_run_due(s->cs);
	rearm(s);
}

/* ---- input */

static const char *path_signature(const json_t *payload)
{
	return json_string_value(json_array_get(json_object_get(payload, K_EE_PAYLOAD_PATH), 2));
}

static void handle_chain_store(struct csb *s, const json_t *in)
{
	const json_t *data = json_object_get(in, K_CHAIN_STORE_DATA);
	if (!data)
		return;
	const char *ts = json_string_value(json_object_get(in, K_EE_TIMESTAMP));
	int64_t sent = CSTORE_TIME_UNKNOWN;
	if (!ts || timefmt_heartbeat_utc(ts, strlen(ts),
	                                 json_string_value(json_object_get(in, K_EE_TIMEZONE)),
	                                 &sent, NULL))
		sent = CSTORE_TIME_UNKNOWN;
	struct cstore_meta meta = {
	    .sender = json_string_value(json_object_get(in, K_EE_SENDER)),
	    .alias = json_string_value(json_object_get(in, K_EE_ID)),
	    .hash = json_string_value(json_object_get(in, K_EE_HASH)),
	    .sent_us = sent,
	    /* the node feeds encrypted payloads only once they decrypted for us */
	    .encrypted = json_is_true(json_object_get(in, K_EE_IS_ENCRYPTED)),
	};
	char *why = NULL;
	if (cstore_receive(s->cs, &meta, data, &why))
		LOG_D(plugin_log(s->pi), LOGMOD, "%s: %s", s->n->alias, why ? why : "refused");
	r1_free(why);
	rearm(s);
}

/* A trusted oracle's map: who is ONLINE now (the reference's control liveness). */
static void handle_netmon(struct csb *s, const json_t *in)
{
	const char *sender = json_string_value(json_object_get(in, K_EE_SENDER));
	if (!sender || !node_trusts_oracle(s->n, sender)) {
		LOG_D(plugin_log(s->pi), LOGMOD, "%s: NET_MON_01 from %s not trusted", s->n->alias,
		      sender ? sender : "?");
		return;
	}
	json_t *p = json_deep_copy(in);
	if (!p)
		return;
	netmon_maybe_decode(p);
	const json_t *net = json_object_get(p, K_CURRENT_NETWORK);
	json_t *online = json_is_object(net) ? json_object() : NULL;
	const char *k;
	json_t *v;
	if (online) {
		json_object_foreach((json_t *)net, k, v)
		{
			const char *w = json_string_value(json_object_get(v, NM_WORKING));
			const char *addr = json_string_value(json_object_get(v, NM_ADDRESS));
			json_object_set_new(
			    online, addr_strip_prefix(addr ? addr : k),
			    json_boolean(w && strcmp(w, NETMON_WORKING_ONLINE) == 0));
		}
		json_decref(s->online);
		s->online = online;
		s->online_us = r1_wall_us();
		LOG_D(plugin_log(s->pi), LOGMOD, "%s: %zu node(s) in %s's map", s->n->alias,
		      json_object_size(online), sender);
	}
	json_decref(p);
}

/* ---- the plugin */

static void csb_free(struct csb *s)
{
	if (!s)
		return;
	cstore_http_free(&s->http);
	node_remove_port_file(&s->port_file);
	if (s->n && s->n->cstore == s->cs) {
		s->n->cstore = NULL;
		s->n->cstore_http_port = 0;
	}
	cstore_free(&s->cs);
	loop_timer_free(&s->timer);
	free_peers(s);
	json_decref(s->online);
	r1_free(s);
}

static enum r1_err csb_init(struct plugin_instance *pi, void **state, char **why)
{
	struct node *n = plugin_node(pi);
	if (!n)
		return r1_fail(why, R1_ERR_STATE, "CHAIN_STORE_BASE: needs a node");
	struct csb *s = r1_calloc(1, sizeof(*s));
	if (!s)
		return r1_fail(why, R1_ERR_NOMEM, "CHAIN_STORE_BASE: out of memory");
	s->pi = pi;
	s->n = n;
	s->timer = loop_timer_new(n->loop, on_timer, s);
	if (!s->timer) {
		csb_free(s);
		return r1_fail(why, R1_ERR_NOMEM, "CHAIN_STORE_BASE: out of memory");
	}
	int fallback = n->cstore_min_confirmations > 0 ? n->cstore_min_confirmations
	                                               : CSTORE_DEFAULT_MIN_CONFIRMATIONS;
	struct cstore_config cfg = {
	    .addr = n->id.addr,
	    .alias = n->alias,
	    .min_confirmations = (int)plugin_cfg_int(pi, K_MIN_CONFIRMATIONS, fallback),
	    .max_retries = -1,
	};
	struct cstore_env env = {
	    .ctx = s,
	    .send = env_send,
	    .default_peers = env_default_peers,
	    .trusted = env_trusted,
	    .now_ms = env_now_ms,
	    .wall_us = env_wall_us,
	    .wake = env_wake,
	};
	enum r1_err e = cstore_new(&cfg, &env, n->db, plugin_log(pi), &s->cs, why);
	if (!e && n->cstore_port > 0) {
		struct httpapi_config hc = {
		    .loop = n->loop,
		    .bind = n->cstore_bind,
		    .port = (uint16_t)n->cstore_port,
		};
		struct httpapi_identity id;
		node_http_identity(n, &id);
		/* The store works without its HTTP API (the reference runs them as two
		 * plugins): a port in use is logged, not fatal. */
		char *herr = NULL;
		if (cstore_http_new(s->cs, &hc, &id, plugin_log(pi), &s->http, &herr) == R1_OK) {
			n->cstore_http_port = httpapi_port(cstore_http_server(s->http));
			s->port_file = node_write_port_file(
			    n, "cstore-api.port", n->cstore_http_port, plugin_log(pi), LOGMOD);
		} else {
			LOG_E(plugin_log(pi), LOGMOD, "%s: no CStore HTTP API: %s", n->alias,
			      herr ? herr : "?");
		}
		r1_free(herr);
	}
	if (e) {
		csb_free(s);
		return e;
	}
	n->cstore = s->cs;
	LOG_I(plugin_log(pi), LOGMOD, "%s: CStore with %zu record(s), MIN_CONFIRMATIONS %d%s",
	      n->alias, replica_count(cstore_replica(s->cs)), cfg.min_confirmations,
	      s->http ? "" : ", no HTTP API");
	*state = s;
	return R1_OK;
}

static enum r1_err csb_process(struct plugin_instance *pi, void *state, const json_t *input,
                               char **why)
{
	struct csb *s = state;
	if (!input)
		return R1_OK;
	const char *sig = path_signature(input);
	if (sig && strcasecmp(sig, SIG_CHAIN_STORE_BASE) == 0)
		handle_chain_store(s, input);
	else if (sig && strcasecmp(sig, SIG_NET_MON_01) == 0)
		handle_netmon(s, input);
	return R1_OK;
}

static void csb_close(struct plugin_instance *pi, void *state)
{
	csb_free(state);
}

const struct plugin_ops plugin_chain_store_base = {
    .signature = SIG_CHAIN_STORE_BASE,
    .version = "0.8.1",
    .defaults = defaults,
    .schema = schema,
    .flags = PLUGIN_F_ADMIN,
    .init = csb_init,
    .process = csb_process,
    .command = NULL,
    .close = csb_close,
};

struct cstore *node_cstore(const struct node *n)
{
	return n->cstore;
}

unsigned node_cstore_port(const struct node *n)
{
	return n->cstore_http_port;
}
