/*
 * The shared set-up of CLI commands (see netctx.h): settings and identity,
 * and the network a command talks to.  It prints its own failures; the
 * commands print their results.
 */
#include "core/lib.h"
#include "cli/netctx.h"
#include "cli/cli.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/bus_mqtt.h"
#include "core/cache.h"
#include "core/clock.h"
#include "core/cmdmsg.h"
#include "core/codec.h"
#include "core/envelope.h"
#include "core/hash.h"
#include "core/ingest.h"
#include "core/loop.h"
#include "core/proto.h"
#include "core/session.h"
#include "core/topics.h"
#include "core/workers.h"
#include "node/node.h"

int netctx_env_load(struct netctx_env *env, const struct cli_global *g, bool tolerate_bad_file)
{
	memset(env, 0, sizeof(*env));
	char *why = NULL;
	if (paths_init(&env->paths, NULL, NULL, &why)) {
		cli_error("%s", why);
		r1_free(why);
		return EXIT_FAIL;
	}
	env->config_path = paths_config_file(&env->paths);
	if (!env->config_path || config_file_load(env->config_path, &env->file, &why)) {
		cli_error("%s", why ? why : _("out of memory"));
		r1_free(why);
		netctx_env_release(env);
		return EXIT_FAIL;
	}
	if (env->file.n_errors) {
		for (size_t i = 0; i < env->file.n_errors; i++)
			fprintf(stderr, "r1console: %s\n", env->file.errors[i]);
		if (!tolerate_bad_file) {
			netctx_env_release(env);
			return EXIT_USAGE;
		}
	}
	if (config_resolve(&env->file, &g->cfg, NULL, NULL, &env->paths, &env->set, &why)) {
		cli_error("%s", why);
		r1_free(why);
		netctx_env_release(env);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

void netctx_env_release(struct netctx_env *env)
{
	config_settings_release(&env->set);
	config_file_release(&env->file);
	r1_free(env->config_path);
	paths_release(&env->paths);
	memset(env, 0, sizeof(*env));
}

int netctx_identity(const struct netctx_env *env, struct r1_identity *id, bool create)
{
	char *why = NULL;
	const char *path = env->set.identity;
	enum r1_err e = identity_load(id, path, &why);
	if (e == R1_OK)
		return EXIT_OK;
	if (access(path, F_OK) == 0 || !create) {
		cli_error(_("cannot read the identity %s: %s"), path, why ? why : "");
		if (!create)
			fprintf(stderr, _("  (create one with 'r1console keys new')\n"));
		r1_free(why);
		return EXIT_FAIL;
	}
	r1_free(why);
	why = NULL;
	if ((e = identity_generate(id, &why)) || (e = paths_mkdir_parent(path, 0700, &why)) ||
	    (e = identity_save(id, path, false, &why))) {
		cli_error(_("cannot create an identity at %s: %s"), path, why ? why : "");
		r1_free(why);
		return EXIT_FAIL;
	}
	fprintf(stderr, _("r1console: created a new identity %s in %s\n"), id->addr, path);
	return EXIT_OK;
}

/* ---- the network ------------------------------------------------------------ */


#define TICK_MS 500u
/* The embedded oracle maps the network this often (the reference: 25-49 s). */
#define LOCAL_NETMON_MS 1000u

static const char *const local_aliases[NETCTX_LOCAL_NODES] = {"oracle", "local"};

int netctx_open_node(struct netctx *nc, const struct cli_global *g, unsigned flags,
                     const char *name, uint32_t timeout_ms, const struct nm_node **out)
{
	int rc = netctx_open(nc, g, flags);
	if (rc)
		return rc;
	rc = netctx_wait_node(nc, name, timeout_ms ? timeout_ms : nc->env.set.timeout_ms, out);
	if (rc)
		netctx_close(nc);
	return rc;
}

const char *netctx_network_name(const struct netctx *nc)
{
	return nc->local ? _("local (embedded)") : nc->env.set.profile;
}

static void on_tick(void *ctx, struct loop_timer *t)
{
	(void)t;
	struct netctx *nc = ctx;
	int64_t now = r1_wall_ms();
	netmap_tick(nc->nm, now);
	if (nc->cache)
		cache_tick(nc->cache, now);
}

static void on_bus_state(void *ctx, struct bus *bus, enum bus_state state, const char *reason)
{
	(void)bus;
	struct netctx *nc = ctx;
	if (state == BUS_AUTH_REFUSED) {
		nc->bus_failed = true;
		r1_free(nc->bus_reason);
		nc->bus_reason = r1_strdup(reason ? reason : "");
	}
}

/* The embedded network: an oracle and the local node on an in-process hub. */
static int start_local(struct netctx *nc)
{
	char *why = NULL;
	enum r1_err e = bus_hub_new(nc->loop, 0, nc->log, &nc->hub, &why);
	for (int i = 0; !e && i < NETCTX_LOCAL_NODES; i++) {
		char *dir = NULL;
		e = paths_node_dir(&nc->env.paths, local_aliases[i], &dir, &why);
		if (!e)
			e = bus_local_new(nc->hub, local_aliases[i], &nc->node_bus[i], &why);
		const char *allow[] = {nc->id.addr};
		const char *oracle = i ? node_address(nc->nodes[0]) : NULL;
		struct node_config cfg = {
		    .alias = local_aliases[i],
		    .data_dir = dir,
		    .root_topic = nc->env.set.root,
		    .oracle = i == 0,
		    .secured = true,
		    .netmon_send_ms = LOCAL_NETMON_MS,
		    .online_timeout_s = (nc->env.set.online_timeout_ms + 999) / 1000,
		    .allow = allow,
		    .n_allow = 1,
		    .oracles = oracle ? &oracle : NULL,
		    .n_oracles = oracle ? 1 : 0,
		    .comm_relay = "",
		    .ingest_pool = nc->pool,
		};
		if (!e)
			e = node_new(nc->loop, nc->node_bus[i], &cfg, nc->log, &nc->nodes[i], &why);
		r1_free(dir);
	}
	for (int i = 0; !e && i < NETCTX_LOCAL_NODES; i++)
		e = node_start(nc->nodes[i], &why);
	if (e) {
		cli_error(_("cannot start the embedded network: %s"), why ? why : r1_strerror(e));
		r1_free(why);
		return EXIT_FAIL;
	}
	char id[48];
	uint8_t rnd[4];
	random_bytes(rnd, sizeof(rnd));
	snprintf(id, sizeof(id), "r1console-%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	if (bus_local_new(nc->hub, id, &nc->bus, &why)) {
		cli_error("%s", why ? why : "");
		r1_free(why);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static bool bus_ready(void *ctx)
{
	struct netctx *nc = ctx;
	return nc->bus_failed || bus_state(nc->bus, NULL) == BUS_CONNECTED;
}

static int start_mqtt(struct netctx *nc)
{
	const struct r1_settings *s = &nc->env.set;
	char *why = NULL, *client_id = NULL;
	char *url = config_broker_url(&s->broker, true);
	enum r1_err e =
	    url ? bus_mqtt_client_id(s->alias, "CLI", NULL, &client_id, &why) : R1_ERR_NOMEM;
	struct bus_mqtt_opts o = {
	    .url = url, .ca_file = s->broker.cafile, .client_id = client_id, .log = nc->log};
	if (!e)
		e = bus_mqtt_new(nc->loop, &o, &nc->bus, &why);
	r1_free(client_id);
	if (url)
		memset(url, 0, strlen(url));
	r1_free(url);
	if (e) {
		cli_error(_("cannot use the broker: %s"), why ? why : r1_strerror(e));
		r1_free(why);
		return EXIT_FAIL;
	}
	bus_set_state_cb(nc->bus, on_bus_state, nc);
	char *shown = config_broker_url(&s->broker, false);
	int rc = EXIT_OK;
	if (!netctx_run_until(nc, bus_ready, nc, s->timeout_ms)) {
		const char *reason = NULL;
		bus_state(nc->bus, &reason);
		cli_error(_("no connection to %s within %.1f s%s%s"), shown ? shown : "",
		          s->timeout_ms / 1000.0, reason && *reason ? ": " : "",
		          reason ? reason : "");
		rc = EXIT_TIMEOUT;
	} else if (nc->bus_failed) {
		cli_error(_("the broker %s refused us: %s"), shown ? shown : "",
		          nc->bus_reason ? nc->bus_reason : "");
		rc = EXIT_FAIL;
	}
	r1_free(shown);
	return rc;
}

int netctx_open(struct netctx *nc, const struct cli_global *g, unsigned flags)
{
	memset(nc, 0, sizeof(*nc));
	nc->started_ms = r1_wall_ms();
	int rc = netctx_env_load(&nc->env, g, false);
	if (rc)
		return rc;
	if ((rc = netctx_identity(&nc->env, &nc->id, true))) {
		netctx_env_release(&nc->env);
		return rc;
	}
	const struct r1_settings *s = &nc->env.set;
	nc->local = s->broker.local;
	char *why = NULL;
	nc->log = r1_log_new(0);
	if (nc->log) {
		r1_log_set_level(nc->log, getenv("R1_DEBUG") ? R1_LOG_DEBUG : R1_LOG_WARN);
		r1_log_set_file(nc->log, stderr);
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (loop_new(&nc->loop, &why) ||
	    workers_new(nc->loop, (unsigned)R1_MIN(R1_MAX(ncpu, 1), 8), 0, &nc->pool, &why)) {
		cli_error("%s", why ? why : "");
		r1_free(why);
		netctx_close(nc);
		return EXIT_FAIL;
	}
	if ((rc = nc->local ? start_local(nc) : start_mqtt(nc))) {
		netctx_close(nc);
		return rc;
	}
	/* the oracles we trust: the configured ones, or the embedded one */
	const char *local_oracle = nc->local ? node_address(nc->nodes[0]) : NULL;
	struct netmap_options no = {
	    .self_addr = nc->id.addr,
	    .oracles = nc->local ? &local_oracle : (const char *const *)s->oracles,
	    .n_oracles = nc->local ? 1 : s->n_oracles,
	    .trust_any_oracle = !nc->local && !s->n_oracles,
	    .online_timeout_ms = s->online_timeout_ms,
	};
	if (netmap_new(&no, &nc->nm, &why)) {
		cli_error("%s", why ? why : "");
		r1_free(why);
		netctx_close(nc);
		return EXIT_FAIL;
	}
	if (!(flags & NETCTX_NO_CACHE)) {
		char *path = paths_cache_db(&nc->env.paths);
		struct cache_options co = {.network = s->profile};
		size_t restored = 0;
		if (!path || paths_mkdir_parent(path, 0700, &why) ||
		    cache_open(path, &co, &nc->cache, &why) ||
		    cache_restore(nc->cache, nc->nm, &restored, &why) ||
		    cache_attach(nc->cache, nc->nm)) {
			fprintf(stderr, _("r1console: warning: working without the cache: %s\n"),
			        why ? why : "");
			cache_close(&nc->cache);
		}
		r1_free(why);
		why = NULL;
		r1_free(path);
	}
	struct session_options so = {
	    .name = s->alias,
	    .root = s->root,
	    .clear_commands = !s->encrypt,
	    .command_qos = s->command_qos,
	    .timeout_ms = s->timeout_ms,
	    .ingest_pool = nc->pool,
	};
	if (session_new(nc->loop, nc->bus, &nc->id, nc->nm, nc->cache, nc->log, &so, &nc->sess,
	                &why) ||
	    session_listen(nc->sess, &why)) {
		cli_error("%s", why ? why : "");
		r1_free(why);
		netctx_close(nc);
		return EXIT_FAIL;
	}
	nc->tick = loop_timer_new(nc->loop, on_tick, nc);
	if (nc->tick)
		loop_timer_start(nc->tick, TICK_MS, TICK_MS);
	return EXIT_OK;
}

void netctx_close(struct netctx *nc)
{
	if (nc->sess) {
		const struct ingest_stats *st = session_ingest_stats(nc->sess);
		LOG_D(nc->log, "cli", "received %" PRIu64 " messages, delivered %" PRIu64,
		      st->received, st->delivered);
	}
	if (nc->nm) {
		const struct netmap_stats *ns = netmap_get_stats(nc->nm);
		LOG_D(nc->log, "cli",
		      "netmap: %" PRIu64 " heartbeats, %" PRIu64 " maps (%" PRIu64
		      " untrusted), %" PRIu64 " NetConfig, %" PRIu64 " rejected",
		      ns->heartbeats, ns->netmons, ns->netmons_untrusted, ns->netconfigs,
		      ns->rejected);
	}
	loop_timer_free(&nc->tick);
	session_free(&nc->sess);
	if (nc->cache) {
		cache_detach(nc->cache);
		cache_close(&nc->cache);
	}
	for (int i = NETCTX_LOCAL_NODES - 1; i >= 0; i--)
		node_free(&nc->nodes[i]);
	workers_free(&nc->pool); /* after the receive paths that used it */
	for (int i = 0; i < NETCTX_LOCAL_NODES; i++)
		bus_free(&nc->node_bus[i]);
	bus_free(&nc->bus);
	bus_hub_free(&nc->hub);
	netmap_free(&nc->nm);
	loop_free(&nc->loop);
	r1_log_free(&nc->log);
	r1_free(nc->bus_reason);
	identity_wipe(&nc->id);
	netctx_env_release(&nc->env);
	memset(nc, 0, sizeof(*nc));
}

bool netctx_run_until(struct netctx *nc, bool (*cond)(void *ctx), void *ctx, uint32_t timeout_ms)
{
	int64_t deadline = r1_wall_ms() + timeout_ms;
	while (!(cond && cond(ctx))) {
		int64_t left = deadline - r1_wall_ms();
		if (left <= 0)
			return false;
		if (loop_run_once(nc->loop, (int)R1_MIN(left, 100)) < 0 && errno != EINTR)
			return false;
	}
	return true;
}

void netctx_run_for(struct netctx *nc, uint32_t ms)
{
	netctx_run_until(nc, NULL, NULL, ms);
}

/*
 * The embedded oracle is in this process: once it has heard both nodes, its
 * map is taken from it directly rather than waiting for its next broadcast
 * (NET_MON_01 broadcasts every PROCESS_DELAY, 10 s).  It goes through the
 * same netmap_on_netmon as a map from the wire.
 */
static bool local_map(struct netctx *nc)
{
	struct node_stats st;
	node_get_stats(nc->nodes[0], &st);
	if (st.known_nodes < NETCTX_LOCAL_NODES)
		return false;
	json_t *net = node_network(nc->nodes[0]);
	json_t *payload = net ? json_pack("{s:o,s:b,s:s}", "CURRENT_NETWORK", net,
					  "IS_SUPERVISOR", 1, "EE_ID", node_alias(nc->nodes[0]))
			      : NULL;
	bool applied = payload && netmap_on_netmon(nc->nm, node_address(nc->nodes[0]), payload,
	                                           r1_wall_ms(), NULL) == R1_OK;
	json_decref(payload);
	return applied;
}

/*
 * A map from a trusted oracle that lists nodes (an oracle that just started
 * sends empty ones); on the embedded network, one that lists both of its
 * nodes.
 */
static bool have_map(void *ctx)
{
	struct netctx *nc = ctx;
	uint32_t want = nc->local ? NETCTX_LOCAL_NODES : 1;
	if (nc->local && local_map(nc))
		return true;
	for (size_t i = 0; i < netmap_oracle_count(nc->nm); i++) {
		const struct nm_oracle *o = netmap_oracle_at(nc->nm, i);
		if (o->trusted && o->reports && o->nodes_reported >= want)
			return true;
	}
	return false;
}

int netctx_wait_map(struct netctx *nc, uint32_t timeout_ms)
{
	if (netctx_run_until(nc, have_map, nc, timeout_ms))
		return EXIT_OK;
	const struct r1_settings *s = &nc->env.set;
	if (!nc->local && s->n_oracles)
		cli_error(_("no network map from the configured oracles within %.1f s (is the "
		            "network up, and are the oracles of profile '%s' right?)"),
		          timeout_ms / 1000.0, s->profile);
	else
		cli_error(_("no network map from any oracle within %.1f s"), timeout_ms / 1000.0);
	return EXIT_TIMEOUT;
}

struct node_wait {
	struct netctx *nc;
	const char *name;
	bool found;
};

static bool node_known(void *ctx)
{
	struct node_wait *w = ctx;
	const struct nm_node *n = NULL;
	enum r1_err e = netmap_resolve(w->nc->nm, w->name, &n, NULL);
	w->found = e == R1_OK || e == R1_ERR_EXISTS;
	/* a heartbeat may come before the map; the map settles ambiguity */
	return (e == R1_OK && (n->online || have_map(w->nc))) || have_map(w->nc);
}

int netctx_wait_node(struct netctx *nc, const char *name, uint32_t timeout_ms,
                     const struct nm_node **out)
{
	*out = NULL;
	uint8_t pub[R1_PUB_LEN];
	if ((strncmp(name, R1_ADDR_PREFIX, 5) == 0 ||
	     strncmp(name, R1_ADDR_PREFIX_LEGACY, 5) == 0)) {
		char *r = NULL;
		if (addr_parse(name, strlen(name), pub, &r)) {
			cli_error(_("'%s' is not a valid node address: %s"), name, r ? r : "");
			r1_free(r);
			return EXIT_USAGE;
		}
	}
	struct node_wait w = {nc, name, false};
	netctx_run_until(nc, node_known, &w, timeout_ms);
	char *why = NULL;
	enum r1_err e = netmap_resolve(nc->nm, name, out, &why);
	if (e) {
		if (e == R1_ERR_NOTFOUND)
			cli_error(
			    _("no node '%s' on '%s': not an address, ETH address or alias seen "
			      "on the network"),
			    name, netctx_network_name(nc));
		else
			cli_error("%s", why ? why : name);
		r1_free(why);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

enum r1_err netctx_send_payload(struct netctx *nc, const char *peer, const char *signature,
                                const char *key, const json_t *data, bool encrypt, char **why)
{
	json_t *fields = json_pack("{s:O}", key, (json_t *)data);
	json_t *path = json_pack("[s,s,s,n]", nc->id.addr, ADMIN_PIPELINE, signature);
	struct cmdmsg_ctx c = {.id = &nc->id, .name = session_name(nc->sess), .encrypt = encrypt};
	json_t *msg = NULL;
	enum r1_err e = R1_OK;
	if (!fields || !path)
		e = r1_fail(why, R1_ERR_NOMEM, "out of memory");
	else if (encrypt)
		e = cmdmsg_encrypted_payload(&c, fields, &peer, 1, path, r1_wall_us(), &msg, why);
	else
		e = cmdmsg_clear_payload(&c, fields, peer, path, r1_wall_us(), &msg, why);
	json_decref(fields);
	json_decref(path);
	struct buf wire = BUF_INIT;
	char *topic = NULL;
	if (!e)
		e = envelope_sign(msg, &nc->id, true, &wire, NULL, why);
	if (!e)
		e = topic_make(nc->env.set.root, TOPIC_PAYLOADS_TO, peer, &topic, why);
	if (!e)
		e = bus_publish(nc->bus, topic, wire.data, wire.len, 1, why);
	r1_free(topic);
	buf_release(&wire);
	json_decref(msg);
	return e;
}

void netctx_request_id(char out[NETCTX_REQUEST_ID_SIZE])
{
	uint8_t b[12];
	random_bytes(b, sizeof(b));
	memcpy(out, "cli-", 4);
	hex_format(out + 4, b, sizeof(b));
}
