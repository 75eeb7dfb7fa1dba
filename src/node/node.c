/*
 * One edge node: its directory, key and database, its timers, and the
 * public API of node.h.  The work itself is in the files nodepriv.h lists;
 * this file wires them to the loop and the bus and decides the order of
 * start and stop.
 */
#include "node/nodepriv.h"
#include "node/cmdwhitelist.h"
#include "node/heartbeat.h"
#include "node/httpapi.h"
#include "node/nodetime.h"
#include "node/compute/compute.h"
#include "node/r1fs/r1fs.h"
#include "node/r1fs/r1fs_manager.h"
#include "node/r1fs/xchg.h"
#include "core/bus.h"
#include "core/bus_mqtt.h"
#include "core/cipher.h"
#include "core/db.h"
#include "core/ingest.h"
#include "core/loop.h"
#include "core/netmap.h"
#include "core/proto.h"
#include "core/session.h"
#include "core/topics.h"
#include "core/clock.h"
#include "core/paths.h"

extern char **environ;

#define DEFAULT_HEARTBEAT_MS       10000u
#define DEFAULT_ALLOWLIST_CHECK_MS 2000u

/* ---- the plugin host's sink and clock ----------------------------------- */

static void sink_payload(void *ctx, struct plugin_instance *pi, json_t *payload)
{
	node_send(ctx, CHAN_DEFAULT, EVENT_PAYLOAD, payload);
}

static void sink_notification(void *ctx, json_t *notif)
{
	node_send(ctx, CHAN_NOTIFICATIONS, EVENT_NOTIFICATION, notif);
}

static void sink_save(void *ctx, const char *stream, const char *sig, const char *iid,
                      const json_t *kv)
{
	node_pipeline_save_instance(ctx, stream, sig, iid, kv);
}

static void arm_host(struct node *n, uint64_t due)
{
	if (!n->host_timer || !n->started || n->stopped)
		return;
	if (due == UINT64_MAX) {
		loop_timer_stop(n->host_timer);
		return;
	}
	uint64_t now = loop_now(n->loop);
	loop_timer_start(n->host_timer, due > now ? due - now : 0, 0);
}

static void sink_wake(void *ctx)
{
	struct node *n = ctx;
	arm_host(n, pluginhost_next_due(n->host));
}

static uint64_t clock_now(void *ctx)
{
	return loop_now(((struct node *)ctx)->loop);
}

static int64_t clock_wall(void *ctx)
{
	return r1_wall_us();
}

static void clock_local(void *ctx, int64_t wall, int *weekday, int *minute)
{
	nodetime_local(wall, weekday, minute);
}

/* ---- timers ----------------------------------------------------------- */

static void on_host_timer(void *ctx, struct loop_timer *t)
{
	struct node *n = ctx;
	uint64_t t0 = r1_mono_ms();
	uint64_t due = pluginhost_run_due(n->host);
	double took = (double)(r1_mono_ms() - t0) / 1000.0;
	n->loop_avg_s = n->loop_avg_s * 0.95 + took * 0.05;
	arm_host(n, due);
}

static void on_beat_timer(void *ctx, struct loop_timer *t)
{
	node_heartbeat_send(ctx, NULL, false, false, NULL, NULL);
}

static void on_house_timer(void *ctx, struct loop_timer *t)
{
	struct node *n = ctx;
	bool changed = false;
	char *why = NULL;
	if (allowlist_refresh(n->allow, &changed, &why)) {
		LOG_W(n->log, "node", "%s: authorized_addrs: %s", n->alias, why ? why : "?");
		r1_free(why);
	} else if (changed) {
		LOG_I(n->log, "node", "%s: authorized_addrs changed: %zu addresses", n->alias,
		      allowlist_count(n->allow));
	}
	if (n->watch)
		netwatch_tick(n->watch, r1_wall_us());
	for (struct node_session *ns = n->sessions; ns; ns = ns->next)
		netmap_tick(ns->nm, r1_wall_us() / 1000);
}

void node_sample(struct node *n, struct sysinfo *s, struct sysinfo_cpu *cpu)
{
	sysinfo_sample(s, cpu, n->dir);
	if (!n->resources)
		return;
	struct node_resources r = {
	    .cpu_used = s->cpu_used,
	    .cpu_cores = s->cpu_cores,
	    .mem_total_gb = s->mem_total_gb,
	    .mem_avail_gb = s->mem_avail_gb,
	    .disk_total_gb = s->disk_total_gb,
	    .disk_avail_gb = s->disk_avail_gb,
	};
	n->resources(n->resources_ctx, n, &r);
	s->cpu_used = R1_MIN(R1_MAX(r.cpu_used, 0.0), 100.0);
	s->cpu_cores = R1_MAX(r.cpu_cores, 1);
	s->mem_total_gb = R1_MAX(r.mem_total_gb, 0.0);
	s->mem_avail_gb = R1_MIN(R1_MAX(r.mem_avail_gb, 0.0), s->mem_total_gb);
	s->disk_total_gb = R1_MAX(r.disk_total_gb, 0.0);
	s->disk_avail_gb = R1_MIN(R1_MAX(r.disk_avail_gb, 0.0), s->disk_total_gb);
	r.gpu_name[sizeof(r.gpu_name) - 1] = '\0';
	snprintf(s->gpu_name, sizeof(s->gpu_name), "%s", r.gpu_name);
	s->gpu_mem_total_gb = R1_MAX(r.gpu_mem_total_gb, 0.0);
	s->gpu_mem_avail_gb = R1_MIN(R1_MAX(r.gpu_mem_avail_gb, 0.0), s->gpu_mem_total_gb);
	s->gpu_used = R1_MIN(R1_MAX(r.gpu_used, 0.0), 100.0);
}

/* ---- construction ------------------------------------------------------ */

static bool alias_ok(const char *a)
{
	size_t len = a ? strlen(a) : 0;
	if (len == 0 || len > R1_ALIAS_MAX)
		return false;
	for (const char *p = a; *p; p++)
		if (*p == '/' || *p == '+' || *p == '#' || (unsigned char)*p < 0x20)
			return false;
	return true;
}

static enum r1_err load_or_create_key(struct node *n, char **why)
{
	if (access(n->path_pem, F_OK) == 0)
		return identity_load(&n->id, n->path_pem, why); /* never replace a key */
	enum r1_err e = identity_generate(&n->id, why);
	if (!e)
		e = identity_save(&n->id, n->path_pem, false, why);
	if (!e)
		LOG_I(n->log, "node", "%s: new key %s in %s", n->alias, n->id.addr, n->path_pem);
	return e;
}

static enum r1_err make_topics(struct node *n, char **why)
{
	enum r1_err e = topic_make(n->root, TOPIC_CONFIG, n->id.addr, &n->t_config, why);
	if (!e)
		e = topic_make(n->root, TOPIC_CTRL, NULL, &n->t_ctrl, why);
	if (!e)
		e = topic_make(n->root, TOPIC_NOTIF, NULL, &n->t_notif, why);
	if (!e)
		e = topic_make(n->root, TOPIC_PAYLOADS, NULL, &n->t_payloads, why);
	if (!e)
		e = topic_make(n->root, TOPIC_PAYLOADS_TO, n->id.addr, &n->t_payloads_own, why);
	return e;
}

static char **copy_list(const char *const *v, size_t n)
{
	char **out = r1_calloc(n + 1, sizeof(*out));
	for (size_t i = 0; out && i < n; i++)
		out[i] = r1_strdup(v[i]);
	return out;
}

/*
 * The services plugins use: the compute engine (required) and the R1FS
 * store on a second connection to node.db (optional: a node without it
 * still runs, its R1FS-based jobs are refused with a reason).
 */
static enum r1_err open_services(struct node *n, const struct node_config *cfg, char **why)
{
	struct compute_config cc;
	compute_config_defaults(&cc);
	cc.threads = cfg->compute_threads;
	cc.job_mem_limit = (uint64_t)cfg->compute_mem_limit_mb << 20;
	enum r1_err e = compute_new_on_loop(n->loop, &cc, n->log, &n->compute, why);
	if (e)
		return e;
	/* one store per node: compute reads it, R1FS_MANAGER serves and fills it */
	char *rwhy = NULL;
	struct r1fs_options ro = R1FS_OPTIONS_INIT;
	ro.log = n->log;
	ro.quota_bytes = n->r1fs_quota;
	ro.ipfs_api = n->ipfs_api;
	if ((!n->ipfs_api && db_open(n->path_db, &n->r1fs_db, &rwhy)) ||
	    r1fs_open(n->dir, n->r1fs_db, &ro, &n->r1fs, &rwhy)) {
		LOG_W(n->log, "node", "%s: no R1FS: %s", n->alias, rwhy ? rwhy : "?");
		db_close(&n->r1fs_db);
	} else {
		/* blocks the store lacks come from peers, through R1FS_MANAGER's exchange */
		if (!n->ipfs_api && (n->r1fs_gate = xchg_gate_new(n->loop)) != NULL)
			r1fs_set_fetcher(n->r1fs, xchg_gate_fetch, n->r1fs_gate);
		compute_set_r1fs(n->compute, n->r1fs, NULL);
	}
	r1_free(rwhy);
	return R1_OK;
}

struct compute *node_compute(const struct node *n)
{
	return n->compute;
}

struct r1fs *node_r1fs(const struct node *n)
{
	return n->r1fs;
}

json_t *node_r1fs_view(struct node *n)
{
	return r1fs_manager_view(n);
}

enum r1_err node_new(struct loop *loop, struct bus *bus, const struct node_config *cfg,
                     struct r1_log *log, struct node **out, char **why)
{
	if (!cfg || !alias_ok(cfg->alias))
		return r1_fail(why, R1_ERR_INVAL,
		               "node: alias must be 1 to %d characters without '/', '+', '#'",
		               R1_ALIAS_MAX);
	if (!cfg->data_dir || !*cfg->data_dir)
		return r1_fail(why, R1_ERR_INVAL, "node: no data directory");
	struct node *n = r1_calloc(1, sizeof(*n));
	if (!n)
		return r1_fail(why, R1_ERR_NOMEM, "node: out of memory");
	n->loop = loop;
	n->bus = bus;
	n->log = log;
	n->alias = r1_strdup(cfg->alias);
	n->dir = r1_strdup(cfg->data_dir);
	n->root = r1_strdup(cfg->root_topic ? cfg->root_topic : R1_DEFAULT_ROOT_TOPIC);
	n->comm_relay = r1_strdup(cfg->comm_relay ? cfg->comm_relay : "");
	n->oracle = cfg->oracle;
	n->secured = cfg->secured;
	n->eth = !cfg->eth_disabled;
	n->heartbeat_ms = cfg->heartbeat_ms ? cfg->heartbeat_ms : DEFAULT_HEARTBEAT_MS;
	n->online_timeout_s = cfg->online_timeout_s ? cfg->online_timeout_s : R1_ONLINE_TIMEOUT_S;
	n->netmon_send_ms = cfg->netmon_send_ms;
	n->allowlist_check_ms =
	    cfg->allowlist_check_ms ? cfg->allowlist_check_ms : DEFAULT_ALLOWLIST_CHECK_MS;
	n->exception_delay_ms = cfg->exception_delay_ms;
	n->cstore_port = cfg->cstore_port;
	n->cstore_min_confirmations = cfg->cstore_min_confirmations;
	n->cstore_bind = cfg->cstore_bind ? r1_strdup(cfg->cstore_bind) : NULL;
	n->r1fs_port = cfg->r1fs_port;
	n->r1fs_bind = cfg->r1fs_bind ? r1_strdup(cfg->r1fs_bind) : NULL;
	n->ipfs_api = cfg->ipfs_api && *cfg->ipfs_api ? r1_strdup(cfg->ipfs_api) : NULL;
	n->r1fs_quota = cfg->r1fs_quota;
	n->r1fs_fetch_timeout_s = cfg->r1fs_fetch_timeout_s;
	n->oracles = copy_list(cfg->oracles, cfg->n_oracles);
	n->n_oracles = cfg->n_oracles;
	n->start_us = r1_wall_us();
	n->start_ms = loop_now(loop);
	n->tags = hb_env_tags(environ);
	if (n->tags && json_is_object(cfg->tags))
		json_object_update(n->tags, (json_t *)cfg->tags);
	n->resources = cfg->resources;
	n->resources_ctx = cfg->resources_ctx;
	timefmt_zone_name(getenv("TZ"), "/", n->ee_tz);
	n->path_pem = paths_join(n->dir, "e2.pem");
	n->path_allow = paths_join(n->dir, "authorized_addrs");
	n->path_cmdwl = paths_join(n->dir, CMDWHITELIST_FILE);
	n->path_db = paths_join(n->dir, "node.db");
	enum r1_err e = R1_OK;
	if (!n->alias || !n->dir || !n->root || !n->comm_relay || !n->oracles || !n->tags ||
	    !n->path_pem || !n->path_allow || !n->path_cmdwl || !n->path_db) {
		e = r1_fail(why, R1_ERR_NOMEM, "node: out of memory");
		goto fail;
	}
	enum epoch_network net = EPOCH_NET_MAINNET;
	if (cfg->epoch_network && (e = epoch_network_parse(cfg->epoch_network, &net, why)))
		goto fail;
	epoch_params_for(&n->epochs, net);
	n->epoch_net = (int)net;
	epoch_params_set_heartbeat(&n->epochs, 10 * TIMEFMT_US_PER_S);

	if ((e = paths_mkdir_p(n->dir, 0700, why)) || (e = load_or_create_key(n, why)))
		goto fail;
	if (!(n->allow = allowlist_open(n->path_allow, why))) {
		e = R1_ERR_IO;
		goto fail;
	}
	for (size_t i = 0; i < cfg->n_allow; i++) {
		bool added;
		if ((e = allowlist_add(n->allow, cfg->allow[i], "", &added, why))) {
			r1_why_prefix(why, "--allow %s", cfg->allow[i]);
			goto fail;
		}
	}
	if ((e = cmdwhitelist_load(n->path_cmdwl, &n->cmd_templates, why)))
		goto fail;
	if ((e = db_open(n->path_db, &n->db, why)))
		goto fail;
	if (!(n->store = pipestore_open(n->db, why))) {
		e = R1_ERR_DB;
		goto fail;
	}
	struct host_sink sink = {n, sink_payload, sink_notification, sink_save, sink_wake};
	struct host_clock clock = {n, clock_now, clock_wall, clock_local};
	struct host_settings set = {.exception_delay_ms = n->exception_delay_ms,
	                            .is_supervisor = n->oracle};
	n->host = pluginhost_new(&sink, &clock, &set, log, n);
	n->keys = cipher_keycache_new();
	if (!n->host || !n->keys) {
		e = r1_fail(why, R1_ERR_NOMEM, "node: out of memory");
		goto fail;
	}
	struct ingest_config ic = {
	    .me = &n->id,
	    .alias = n->alias,
	    .eth_enabled = n->eth,
	    .accept_unverified = true,
	};
	if ((e = ingest_new(&ic, &n->ingest, why)))
		goto fail;
	ingest_set_delivery(n->ingest, node_on_ingested, n);
	n->ingest_pool = cfg->ingest_pool;
	if (cfg->ingest_pool) {
		struct ingest_parallel par = {.loop = loop,
		                              .pool = cfg->ingest_pool,
		                              .flow = node_ingest_flow,
		                              .flow_ctx = n};
		if ((e = ingest_use_pool(n->ingest, &par, why)))
			goto fail;
	}
	if (n->oracle && !(n->watch = netwatch_new(&n->epochs, n->online_timeout_s))) {
		e = r1_fail(why, R1_ERR_NOMEM, "node: out of memory");
		goto fail;
	}
	if ((e = make_topics(n, why)) || (e = open_services(n, cfg, why)))
		goto fail;
	n->host_timer = loop_timer_new(loop, on_host_timer, n);
	n->beat_timer = loop_timer_new(loop, on_beat_timer, n);
	n->house_timer = loop_timer_new(loop, on_house_timer, n);
	if (!n->host_timer || !n->beat_timer || !n->house_timer) {
		e = r1_fail(why, R1_ERR_NOMEM, "node: out of memory");
		goto fail;
	}
	if ((e = node_pipelines_restore(n, why)))
		goto fail;
	LOG_I(log, "node", "%s: node %s in %s (%s, %s)", n->alias, n->id.addr, n->dir,
	      n->oracle ? "oracle" : "edge node", n->secured ? "secured" : "unsecured");
	*out = n;
	return R1_OK;
fail:
	r1_why_prefix(why, "node %s", cfg->alias);
	node_free(&n);
	return e;
}

enum r1_err node_start(struct node *n, char **why)
{
	if (n->started)
		return r1_fail(why, R1_ERR_STATE, "node %s already started", n->alias);
	bus_set_delivery(n->bus, node_on_message, n);
	enum r1_err e = bus_subscribe(n->bus, n->t_config, topic_default_qos(TOPIC_CONFIG), why);
	if (!e)
		e = bus_subscribe(n->bus, n->t_payloads, topic_default_qos(TOPIC_PAYLOADS), why);
	if (!e)
		e = bus_subscribe(n->bus, n->t_payloads_own, topic_default_qos(TOPIC_PAYLOADS_TO),
		                  why);
	if (!e && n->oracle)
		e = bus_subscribe(n->bus, n->t_ctrl, topic_default_qos(TOPIC_CTRL), why);
	if (e) {
		r1_why_prefix(why, "node %s", n->alias);
		return e;
	}
	n->started = true;
	if ((e = node_admin_setup(n, why))) {
		r1_why_prefix(why, "node %s: admin pipeline", n->alias);
		n->started = false;
		return e;
	}
	node_pipelines_start(n);
	arm_host(n, pluginhost_next_due(n->host));
	loop_timer_start(n->beat_timer, 0, n->heartbeat_ms);
	loop_timer_start(n->house_timer, n->allowlist_check_ms, n->allowlist_check_ms);
	struct node_event ev = {.type = NODE_EV_STARTED};
	node_emit_event(n, &ev);
	return R1_OK;
}

void node_stop(struct node *n)
{
	if (!n || !n->started || n->stopped)
		return;
	node_heartbeat_send(n, "SHUTDOWN", false, false, NULL, NULL);
	node_pipelines_stop(n);
	loop_timer_stop(n->host_timer);
	loop_timer_stop(n->beat_timer);
	loop_timer_stop(n->house_timer);
	const char *topics[] = {n->t_config, n->t_payloads, n->t_payloads_own,
	                        n->oracle ? n->t_ctrl : NULL};
	for (size_t i = 0; i < R1_ARRAY_LEN(topics); i++)
		if (topics[i])
			bus_unsubscribe(n->bus, topics[i], NULL);
	bus_set_delivery(n->bus, NULL, NULL);
	n->stopped = true;
	LOG_I(n->log, "node", "%s: stopped", n->alias);
	struct node_event ev = {.type = NODE_EV_STOPPED};
	node_emit_event(n, &ev);
}

static void session_free_one(struct node_session *ns)
{
	session_free(&ns->sess);
	netmap_free(&ns->nm);
	bus_free(&ns->bus);
	r1_free(ns);
}

enum r1_err node_open_session(struct node *n, const char *name, struct session **out, char **why)
{
	*out = NULL;
	if (!name || !*name)
		return r1_fail(why, R1_ERR_INVAL, "node %s: a session needs a name", n->alias);
	if (n->stopped)
		return r1_fail(why, R1_ERR_STATE, "node %s: stopped", n->alias);
	struct node_session *ns = r1_calloc(1, sizeof(*ns));
	const char **oracles = r1_calloc(n->n_oracles + 1, sizeof(*oracles));
	char *cid = NULL;
	enum r1_err e = R1_OK;
	if (!ns || !oracles) {
		e = r1_fail(why, R1_ERR_NOMEM, "node: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n->n_oracles; i++)
		oracles[i] = n->oracles[i];
	oracles[n->n_oracles] = n->id.addr; /* the node trusts its own maps */
	struct netmap_options no = {
	    .self_addr = n->id.addr,
	    .oracles = oracles,
	    .n_oracles = n->n_oracles + 1,
	    .online_timeout_ms = n->online_timeout_s * 1000u,
	    .epochs = &n->epochs,
	};
	struct session_options so = {
	    .name = name,
	    .root = n->root,
	    .eth_disabled = !n->eth,
	    .command_qos = topic_default_qos(TOPIC_CONFIG),
	    .netconfig_every_ms = UINT32_MAX,
	    .ingest_pool = n->ingest_pool,
	    .payloads_from_owner = true, /* receive.c hands them over */
	};
	if ((e = bus_mqtt_client_id(n->alias, "SESSION", NULL, &cid, why)) ||
	    (e = bus_open_sibling(n->bus, cid, &ns->bus, why)) ||
	    (e = netmap_new(&no, &ns->nm, why)) ||
	    (e = session_new(n->loop, ns->bus, &n->id, ns->nm, NULL, n->log, &so, &ns->sess,
	                     why)) ||
	    (e = session_listen(ns->sess, why)))
		goto out;
	ns->next = n->sessions;
	n->sessions = ns;
	LOG_I(n->log, "node", "%s: session %s opened on %s endpoint %s", n->alias, name,
	      bus_kind(ns->bus), cid);
	*out = ns->sess;
	ns = NULL;
out:
	if (e)
		r1_why_prefix(why, "node %s: session %s", n->alias, name);
	if (ns)
		session_free_one(ns);
	r1_free(oracles);
	r1_free(cid);
	return e;
}

struct netmap *node_session_netmap(const struct node *n, const struct session *s)
{
	for (const struct node_session *ns = n->sessions; s && ns; ns = ns->next)
		if (ns->sess == s)
			return ns->nm;
	return NULL;
}

void node_close_session(struct node *n, struct session **s)
{
	for (struct node_session **pp = &n->sessions; *s && *pp; pp = &(*pp)->next) {
		struct node_session *ns = *pp;
		if (ns->sess != *s)
			continue;
		*pp = ns->next;
		session_free_one(ns);
		*s = NULL;
		return;
	}
}

void node_free(struct node **np)
{
	struct node *n = *np;
	if (!n)
		return;
	node_stop(n);
	node_pipelines_free(n);
	while (n->sessions) {
		struct node_session *ns = n->sessions;
		n->sessions = ns->next;
		session_free_one(ns);
	}
	pluginhost_free(&n->host);
	compute_free(&n->compute); /* after the plugins: they forget their jobs on close */
	r1fs_free(&n->r1fs);
	xchg_gate_free(&n->r1fs_gate); /* after the store: nothing can fetch through it now */
	db_close(&n->r1fs_db);
	loop_timer_free(&n->host_timer);
	loop_timer_free(&n->beat_timer);
	loop_timer_free(&n->house_timer);
	netwatch_free(&n->watch);
	ingest_free(&n->ingest);
	cipher_keycache_free(&n->keys);
	pipestore_free(&n->store);
	db_close(&n->db);
	allowlist_free(&n->allow);
	json_decref(n->cmd_templates);
	json_decref(n->tags);
	for (size_t i = 0; n->oracles && n->oracles[i]; i++)
		r1_free(n->oracles[i]);
	r1_free(n->oracles);
	r1_free(n->cstore_bind);
	r1_free(n->r1fs_bind);
	r1_free(n->ipfs_api);
	r1_free(n->r1fs_id);
	char *strings[] = {n->alias,         n->dir,        n->root,       n->comm_relay,
	                   n->path_pem,      n->path_allow, n->path_cmdwl, n->path_db,
	                   n->t_config,      n->t_ctrl,     n->t_notif,    n->t_payloads,
	                   n->t_payloads_own};
	for (size_t i = 0; i < R1_ARRAY_LEN(strings); i++)
		r1_free(strings[i]);
	identity_wipe(&n->id);
	r1_free(n);
	*np = NULL;
}

/* ---- public accessors --------------------------------------------------- */

void node_set_observer(struct node *n, node_event_fn fn, void *ctx)
{
	n->observer = fn;
	n->observer_ctx = ctx;
}

const char *node_alias(const struct node *n)
{
	return n->alias;
}
const char *node_address(const struct node *n)
{
	return n->id.addr;
}
const char *node_eth_address(const struct node *n)
{
	return n->id.eth;
}
const char *node_dir(const struct node *n)
{
	return n->dir;
}
bool node_is_oracle(const struct node *n)
{
	return n->oracle;
}

json_t *node_pipelines(const struct node *n)
{
	return node_pipeline_configs(n);
}

json_t *node_whitelist(const struct node *n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < allowlist_count(n->allow); i++)
		json_array_append_new(
		    a, json_string(addr_strip_prefix(allowlist_entry(n->allow, i)->addr)));
	return a;
}

void node_get_stats(const struct node *n, struct node_stats *out)
{
	*out = n->stats;
	out->pipelines = 0;
	for (struct pipeline_rt *p = n->pipes; p; p = p->next)
		out->pipelines++;
	out->instances = pluginhost_count(n->host);
	out->known_nodes = n->watch ? netwatch_count(n->watch) : 0;
}

const struct ingest_stats *node_ingest_stats(const struct node *n)
{
	return ingest_get_stats(n->ingest);
}

enum node_exit node_exit_request(const struct node *n)
{
	return n->exit;
}

enum r1_err node_reload(struct node *n, char **why)
{
	enum r1_err e = allowlist_reload(n->allow, why);
	if (e)
		return e;
	json_t *t = NULL;
	if ((e = cmdwhitelist_load(n->path_cmdwl, &t, why)))
		return e;
	json_decref(n->cmd_templates);
	n->cmd_templates = t;
	/* pipelines: what node.db holds now becomes what runs */
	node_pipelines_free(n);
	if ((e = node_pipelines_restore(n, why)))
		return e;
	if (n->started && !n->stopped) {
		if ((e = node_admin_setup(n, why)))
			return e;
		node_pipelines_start(n);
	}
	LOG_I(n->log, "node", "%s: configuration reloaded", n->alias);
	return R1_OK;
}

enum r1_err node_allow(struct node *n, const char *addr, const char *alias, char **why)
{
	bool added = false;
	return allowlist_add(n->allow, addr, alias, &added, why);
}

void node_send_heartbeat(struct node *n, bool full)
{
	node_heartbeat_send(n, NULL, full, full, NULL, NULL);
}

void node_http_identity(const struct node *n, struct httpapi_identity *out)
{
	*out = (struct httpapi_identity){
	    .addr = n->id.addr,
	    .alias = n->alias,
	    .eth_addr = n->id.eth,
	    .evm_network = epoch_network_name((enum epoch_network)n->epoch_net),
	    .version = R1_APP_VERSION,
	};
}

char *node_write_port_file(const struct node *n, const char *name, unsigned port,
                           struct r1_log *log, const char *mod)
{
	char *path = paths_join(n->dir, name);
	FILE *f = path ? fopen(path, "we") : NULL;
	if (!f) {
		LOG_W(log, mod, "cannot write %s: %s", path ? path : name, strerror(errno));
		r1_free(path);
		return NULL;
	}
	fprintf(f, "%u\n", port);
	fclose(f);
	return path;
}

void node_remove_port_file(char **path)
{
	if (*path)
		unlink(*path);
	r1_free(*path);
	*path = NULL;
}

bool node_trusts_oracle(const struct node *n, const char *addr)
{
	if (!addr)
		return false;
	if (addr_same(addr, n->id.addr))
		return true;
	for (size_t i = 0; i < n->n_oracles; i++)
		if (addr_same(addr, n->oracles[i]))
			return true;
	return false;
}

static bool allowed_cb(void *ctx, const char *addr)
{
	return node_is_allowed(ctx, addr);
}

json_t *node_network(const struct node *n)
{
	if (!n->watch)
		return json_object();
	return netwatch_current_network(n->watch, r1_wall_us(), false, allowed_cb, (void *)n);
}
