/*
 * The console's network (see consnet.h): the embedded local network, a
 * demo network, or a broker, with the console's own bus endpoint, receive
 * path, netmap, cache and session, and the demo's machine figures and
 * pipelines.  It builds what the model points at; it draws nothing.
 */
#include "tui/lib.h"
#include "tui/consnet.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/bus_mqtt.h"
#include "core/cache.h"
#include "core/cmdmsg.h"
#include "core/envelope.h"
#include "core/hash.h"
#include "core/hbcodec.h"
#include "core/ingest.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/netmap.h"
#include "core/pipespec.h"
#include "core/proto.h"
#include "core/session.h"
#include "core/timefmt.h"
#include "core/topics.h"
#include "core/workers.h"
#include "node/node.h"
#include "node/compute/matrix.h"
#include "node/compute/mxstore.h"
#include "node/cstore/cstore.h"
#include "node/r1fs/r1fs.h"
#include "node/r1fs/r1fs_manager.h"

#include <ctype.h>

#define TICK_MS            1000u
#define LOCAL_NETMON_MS    1000u /* the hosted oracle's map period */
#define DEMO_HEARTBEAT_MS  5000u
#define DEMO_EPOCH_S       600
#define DEMO_NETCONFIG_MS  15000u
#define LOCAL_NETCONFIG_MS 30000u
#define DEMO_BENCH_N       512
#define DEMO_CONTENT_MS    3000u /* the nodes are online in the oracle's map by then */
#define DEMO_CONTENT_TRIES 10

/* A demo node's machine: fixed sizes, figures that wander. */
struct demo_machine {
	int cores;
	double mem_total, disk_total;
	const char *gpu;
	double gpu_mem;
	const char *country;
	double cpu, mem_used, disk_used, gpu_used; /* the wandering part */
	uint64_t rng;
};

struct consnet {
	struct loop *loop;
	struct tui_model *m;
	struct consnet_options o;
	bool local; /* in-process: embedded or demo */
	struct bus_hub *hub;
	struct bus *bus; /* the console's endpoint */
	struct bus *node_bus[CONSNET_DEMO_MAX];
	struct node *nodes[CONSNET_DEMO_MAX];
	struct demo_machine machines[CONSNET_DEMO_MAX];
	size_t n_nodes;
	struct netmap *nm;
	struct cache *cache;
	struct session *sess;
	struct ingest *ig;
	struct workers *pool; /* signature checks of a backlog (ours and the hosted nodes') */
	struct loop_timer *tick;
	struct loop_timer *content; /* the demo's CStore keys, R1FS files, ChainDist job */
	unsigned content_tries;
	bool keys_done, fetch_started, chaindist_started;
	char weights_cid[R1FS_CID_TEXT_MAX]; /* demo-01's file that demo-03 fetches */
	uint64_t fetch_id;
	bool fetching;
	struct pipespec *specs[CONSNET_DEMO_MAX * 2];
	size_t n_specs;
	char *oracle_addr; /* the hosted oracle's, trusted */
};

static int64_t wall_ms(void)
{
	return tui_wall_ms();
}

/* ------------------------------------------------------------ demo figures */

static const struct demo_machine demo_profiles[] = {
    {16, 64, 1000, NULL, 0, "RO", 0, 0, 0, 0, 0},
    {32, 128, 2000, "NVIDIA RTX 4090", 24, "DE", 0, 0, 0, 0, 0},
    {8, 32, 500, NULL, 0, "US", 0, 0, 0, 0, 0},
    {64, 256, 4000, "NVIDIA A100 80GB", 80, "SG", 0, 0, 0, 0, 0},
    {4, 16, 256, NULL, 0, "FR", 0, 0, 0, 0, 0},
    {24, 96, 2000, "NVIDIA L4", 24, "NL", 0, 0, 0, 0, 0},
    {12, 48, 1000, NULL, 0, "JP", 0, 0, 0, 0, 0},
    {48, 192, 8000, "NVIDIA H100", 80, "US", 0, 0, 0, 0, 0},
};

/* xorshift64*: a demo's figures need variety, not secrecy */
static double rnd(struct demo_machine *d)
{
	d->rng ^= d->rng >> 12;
	d->rng ^= d->rng << 25;
	d->rng ^= d->rng >> 27;
	return (double)((d->rng * 2685821657736338717ull) >> 11) / (double)(1ull << 53);
}

static double wander(struct demo_machine *d, double v, double step, double lo, double hi)
{
	v += (rnd(d) * 2 - 1) * step;
	return v < lo ? lo : v > hi ? hi : v;
}

static void demo_resources(void *ctx, const struct node *node, struct node_resources *r)
{
	(void)node;
	struct demo_machine *d = ctx;
	d->cpu = wander(d, d->cpu, 9, 1, 99);
	d->mem_used =
	    wander(d, d->mem_used, d->mem_total * 0.03, d->mem_total * 0.05, d->mem_total * 0.97);
	d->disk_used = wander(d, d->disk_used, d->disk_total * 0.002, d->disk_total * 0.02,
	                      d->disk_total * 0.98);
	r->cpu_used = d->cpu;
	r->cpu_cores = d->cores;
	r->mem_total_gb = d->mem_total;
	r->mem_avail_gb = d->mem_total - d->mem_used;
	r->disk_total_gb = d->disk_total;
	r->disk_avail_gb = d->disk_total - d->disk_used;
	if (d->gpu) {
		d->gpu_used = wander(d, d->gpu_used, 12, 0, 100);
		snprintf(r->gpu_name, sizeof(r->gpu_name), "%s", d->gpu);
		r->gpu_mem_total_gb = d->gpu_mem;
		r->gpu_mem_avail_gb = d->gpu_mem * (1 - d->gpu_used / 100 * 0.9);
		r->gpu_used = d->gpu_used;
	}
}

static void demo_machine_init(struct demo_machine *d, size_t i)
{
	*d = demo_profiles[i % R1_ARRAY_LEN(demo_profiles)];
	d->rng = 0x9E3779B97F4A7C15ull * (i + 1);
	d->cpu = 10 + rnd(d) * 60;
	d->mem_used = d->mem_total * (0.2 + rnd(d) * 0.5);
	d->disk_used = d->disk_total * (0.1 + rnd(d) * 0.6);
	d->gpu_used = rnd(d) * 50;
}

/* ------------------------------------------------------------ the receive path */

/* Routine admin payloads the session consumes but nobody watches. */
static bool admin_chatter(const json_t *msg)
{
	const json_t *path = json_object_get(msg, K_EE_PAYLOAD_PATH);
	const char *pipe = json_string_value(json_array_get(path, 1));
	const char *sig = json_string_value(json_array_get(path, 2));
	if (!pipe || !sig || strcasecmp(pipe, ADMIN_PIPELINE) != 0)
		return false;
	return strcasecmp(sig, SIG_NET_MON_01) == 0 || strcasecmp(sig, SIG_NET_CONFIG_MONITOR) == 0;
}

/*
 * A verified heartbeat: decoded once here (v2), then the session feeds the
 * netmap with the decoded view and the model keeps its compute figures.
 */
static void heartbeat(struct consnet *cn, const char *sender, const json_t *msg)
{
	json_t *view = NULL;
	if (hb_is_v2(msg) && json_object_get(msg, K_ENCODED_DATA)) {
		char *why = NULL;
		if (hb_decode(msg, &view, &why)) {
			LOG_D(cn->o.log, "console", "heartbeat from %s: %s", sender, why ? why : "");
			r1_free(why);
			return;
		}
		msg = view;
	}
	session_deliver(cn->sess, SESSION_MSG_HEARTBEAT, sender, msg);
	tui_model_node_status(cn->m, sender, msg, wall_ms());
	json_decref(view);
}

static void on_message(void *ctx, struct bus *bus, const char *topic, const uint8_t *payload,
                       size_t len, int qos)
{
	(void)bus;
	(void)qos;
	struct consnet *cn = ctx;
	ingest_submit(cn->ig, topic, payload, len); /* on to on_ingested, in arrival order */
}

/* The receive path saturated its workers: stop reading until it catches up. */
static void on_flow(void *ctx, bool pause)
{
	struct consnet *cn = ctx;
	bus_pause(cn->bus, pause);
}

static void on_ingested(void *ctx, struct ingest *ig, const struct ingest_outcome *o)
{
	struct consnet *cn = ctx;
	(void)ig;
	if (!o->msg)
		return;
	const struct r1_msg m = *o->msg; /* borrowed for the call */
	bool trusted = m.verified && (!m.encrypted || m.decrypted);
	static const struct {
		enum msg_kind kind;
		enum session_msg to;
		int stream; /* -1: none */
	} route[] = {
	    {MSG_HEARTBEAT, SESSION_MSG_HEARTBEAT, -1},
	    {MSG_PAYLOAD, SESSION_MSG_PAYLOAD, STREAM_PAYLOADS},
	    {MSG_NOTIFICATION, SESSION_MSG_NOTIFICATION, STREAM_NOTIFICATIONS},
	};
	if (trusted && m.kind == MSG_HEARTBEAT) {
		heartbeat(cn, m.sender, m.body);
		return;
	}
	for (size_t i = 0; i < R1_ARRAY_LEN(route); i++) {
		if (route[i].kind != m.kind)
			continue;
		if (trusted)
			session_deliver(cn->sess, route[i].to, m.sender, m.body);
		if (route[i].stream >= 0 && !admin_chatter(m.body)) {
			struct stream_msg sm = {
			    .body = m.body,
			    .sender = m.sender,
			    .wire_len = m.wire_len,
			    .verified = m.verified,
			    .encrypted = m.encrypted,
			    .decrypted = m.decrypted,
			    .reason = m.reason,
			};
			tui_model_add(cn->m, (enum stream_kind)route[i].stream, &sm, wall_ms());
		}
	}
}

/* The model's send_payload: signed, encrypted to the node, on its payload topic. */
static enum r1_err send_payload(void *ctx, const char *addr, const char *signature,
                                const json_t *fields, char **why)
{
	struct consnet *cn = ctx;
	json_t *path = json_pack("[s,s,s,n]", cn->o.id->addr, ADMIN_PIPELINE, signature);
	struct cmdmsg_ctx c = {.id = cn->o.id, .name = session_name(cn->sess), .encrypt = true};
	const char *dest[1] = {addr};
	json_t *msg = NULL;
	enum r1_err e = path ? cmdmsg_encrypted_payload(&c, fields, dest, 1, path,
	                                                wall_ms() * 1000, &msg, why)
	                     : r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	json_decref(path);
	struct buf wire = BUF_INIT;
	char *topic = NULL;
	if (!e)
		e = envelope_sign(msg, cn->o.id, true, &wire, NULL, why);
	if (!e)
		e = topic_make(cn->o.set->root, TOPIC_PAYLOADS_TO, addr, &topic, why);
	if (!e)
		e = bus_publish(cn->bus, topic, wire.data, wire.len, 1, why);
	r1_free(topic);
	buf_release(&wire);
	json_decref(msg);
	return e;
}

static void on_tick(void *ctx, struct loop_timer *t)
{
	(void)t;
	struct consnet *cn = ctx;
	int64_t now = wall_ms();
	netmap_tick(cn->nm, now);
	if (cn->cache)
		cache_tick(cn->cache, now);
}

/* ------------------------------------------------------------ hosted nodes */

static unsigned speed(const struct consnet *cn)
{
	return cn->o.speed ? cn->o.speed : 1;
}

static enum r1_err host_node(struct consnet *cn, const char *alias, bool oracle, bool allow_us,
                             struct bus *bus, struct demo_machine *demo, char **why)
{
	char *dir = NULL;
	enum r1_err e = paths_node_dir(cn->o.paths, alias, &dir, why);
	if (e)
		return e;
	const char *allow[] = {cn->o.id->addr};
	const char *trust = cn->oracle_addr;
	const struct r1_settings *s = cn->o.set;
	json_t *tags = demo ? json_pack("{s:s,s:s}", "EE_NT_CT", demo->country, "EE_NT_DC",
	                                demo->gpu ? "gpu-rack" : "edge")
	                    : NULL;
	unsigned hb = cn->o.heartbeat_ms ? cn->o.heartbeat_ms : cn->o.demo ? DEMO_HEARTBEAT_MS : 0;
	struct node_config cfg = {
	    .alias = alias,
	    .data_dir = dir,
	    .root_topic = s->root,
	    .oracle = oracle,
	    .secured = true,
	    .heartbeat_ms = hb,
	    .online_timeout_s = (s->online_timeout_ms + 999) / 1000,
	    .netmon_send_ms = cn->local ? LOCAL_NETMON_MS : 0,
	    .allow = allow_us ? allow : NULL,
	    .n_allow = allow_us ? 1 : 0,
	    .oracles = trust && !oracle ? &trust : (const char *const *)s->oracles,
	    .n_oracles = trust && !oracle ? 1 : s->n_oracles,
	    .comm_relay = "",
	    .resources = demo ? demo_resources : NULL,
	    .resources_ctx = demo,
	    .tags = tags,
	    .ingest_pool = cn->pool,
	};
	size_t i = cn->n_nodes;
	e = node_new(cn->loop, bus, &cfg, cn->o.node_log, &cn->nodes[i], why);
	json_decref(tags);
	r1_free(dir);
	if (e)
		return e;
	cn->node_bus[i] = bus;
	cn->n_nodes++;
	if (oracle && !cn->oracle_addr)
		cn->oracle_addr = r1_strdup(node_address(cn->nodes[i]));
	return R1_OK;
}

/* The demo's node that keeps the console out (and stays out of the others' CStore). */
static bool outsider(const struct consnet *cn, size_t i)
{
	return cn->o.demo >= 4 && i == cn->n_nodes - 1;
}

/*
 * In-process networks: the hosted nodes allow each other, so their CStores
 * replicate to each other (a write needs online peers in the allow-list).
 */
static enum r1_err allow_each_other(struct consnet *cn, char **why)
{
	for (size_t i = 0; i < cn->n_nodes; i++)
		for (size_t k = 0; k < cn->n_nodes; k++) {
			if (i == k || outsider(cn, i) || outsider(cn, k))
				continue;
			enum r1_err e = node_allow(cn->nodes[i], node_address(cn->nodes[k]),
			                           node_alias(cn->nodes[k]), why);
			if (e)
				return e;
		}
	return R1_OK;
}

static enum r1_err local_bus(struct consnet *cn, const char *name, struct bus **out, char **why)
{
	return bus_local_new(cn->hub, name, out, why);
}

static enum r1_err start_local(struct consnet *cn, char **why)
{
	enum r1_err e = bus_hub_new(cn->loop, 0, cn->o.log, &cn->hub, why);
	if (e)
		return e;
	size_t n = cn->o.demo ? R1_MIN(cn->o.demo, (size_t)CONSNET_DEMO_MAX) : 2;
	for (size_t i = 0; i < n && !e; i++) {
		char alias[32];
		struct bus *bus = NULL;
		if (cn->o.demo)
			snprintf(alias, sizeof(alias), "demo-%02zu", i + 1);
		else
			snprintf(alias, sizeof(alias), "%s", i == 0 ? "oracle" : "local");
		bool allow_us = !(cn->o.demo >= 4 && i == n - 1); /* outsider(): keeps us out */
		struct demo_machine *d = NULL;
		if (cn->o.demo) {
			d = &cn->machines[i];
			demo_machine_init(d, i);
		}
		e = local_bus(cn, alias, &bus, why);
		if (!e) {
			e = host_node(cn, alias, i == 0, allow_us, bus, d, why);
			if (e)
				bus_free(&bus);
		}
	}
	if (!e)
		e = allow_each_other(cn, why);
	for (size_t i = 0; i < cn->n_nodes && !e; i++)
		e = node_start(cn->nodes[i], why);
	if (e)
		return e;
	char id[48];
	uint8_t r[4];
	random_bytes(r, sizeof(r));
	snprintf(id, sizeof(id), "r1console-%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
	return local_bus(cn, id, &cn->bus, why);
}

static char *hostname_alias(void)
{
	char host[64] = "host";
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	char alias[R1_ALIAS_MAX + 1];
	snprintf(alias, sizeof(alias), "r1c-%.16s", host);
	for (char *p = alias; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			*p = '-';
	return r1_strdup(alias);
}

static enum r1_err mqtt_bus(struct consnet *cn, const char *name, const char *kind,
                            struct bus **out, char **why)
{
	const struct r1_settings *s = cn->o.set;
	char *url = config_broker_url(&s->broker, true), *cid = NULL;
	enum r1_err e = url ? bus_mqtt_client_id(name, kind, NULL, &cid, why) : R1_ERR_NOMEM;
	struct bus_mqtt_opts mo = {
	    .url = url, .ca_file = s->broker.cafile, .client_id = cid, .log = cn->o.log};
	if (!e)
		e = bus_mqtt_new(cn->loop, &mo, out, why);
	if (url)
		memset(url, 0, strlen(url));
	r1_free(url);
	r1_free(cid);
	return e;
}

static enum r1_err start_mqtt(struct consnet *cn, char **why)
{
	enum r1_err e = mqtt_bus(cn, cn->o.set->alias, "TUI", &cn->bus, why);
	if (e || !cn->o.host_node)
		return e;
	char *alias = cn->o.node_alias ? r1_strdup(cn->o.node_alias) : hostname_alias();
	struct bus *bus = NULL;
	e = alias ? mqtt_bus(cn, alias, "NODE", &bus, why) : R1_ERR_NOMEM;
	if (!e) {
		e = host_node(cn, alias, false, true, bus, NULL, why);
		if (e)
			bus_free(&bus);
	}
	if (!e)
		e = node_start(cn->nodes[0], why);
	r1_free(alias);
	return e;
}

/* ------------------------------------------------------------ demo pipelines */

static void on_deployed(void *ctx, struct session *s, const struct txn *t)
{
	struct consnet *cn = ctx;
	if (t->state != TXN_OK) {
		LOG_W(cn->o.log, "demo", "%s: %s", t->label ? t->label : "deploy",
		      t->reason ? t->reason : txn_state_name(t->state));
		return;
	}
	const char *addrs[] = {t->node_addr};
	session_request_netconfig(s, addrs, 1, NULL);
}

static bool has_pipeline(struct node *n, const char *name)
{
	json_t *all = node_pipelines(n);
	size_t i;
	json_t *p;
	bool found = false;
	json_array_foreach(all, i, p)
	{
		const char *nm = json_string_value(json_object_get(p, K_NAME));
		found |= nm && strcmp(nm, name) == 0;
	}
	json_decref(all);
	return found;
}

static void deploy(struct consnet *cn, size_t i, const char *name, json_t *cfg)
{
	struct node *n = cn->nodes[i];
	if (!cfg || cn->n_specs == R1_ARRAY_LEN(cn->specs) || has_pipeline(n, name)) {
		json_decref(cfg);
		return;
	}
	struct pipespec *p = NULL;
	char *why = NULL;
	struct session_call c = {.done = on_deployed, .ctx = cn};
	if (pipespec_new(node_address(n), name, cfg, &p, &why) ||
	    session_deploy(cn->sess, p, &c, NULL, &why)) {
		LOG_W(cn->o.log, "demo", "deploy %s on %s: %s", name, node_alias(n),
		      why ? why : "?");
		pipespec_free(&p);
	} else {
		cn->specs[cn->n_specs++] = p;
	}
	r1_free(why);
	json_decref(cfg);
}

/* Every node the console may command gets an echo app; every other one a health monitor. */
static void demo_pipelines(struct consnet *cn)
{
	for (size_t i = 0; i < cn->n_nodes; i++) {
		if (cn->o.demo >= 4 && i == cn->n_nodes - 1)
			continue; /* the node that keeps us out */
		deploy(cn, i, "demo-echo",
		       json_pack("{s:s,s:[{s:s,s:[{s:s,s:i,s:i,s:s}]}]}", K_TYPE, "Void", "PLUGINS",
		                 "SIGNATURE", "ECHO_01", "INSTANCES", "INSTANCE_ID", "echo-1",
		                 "PROCESS_DELAY", 2, "EMIT_EACH", 1, "MESSAGE",
		                 "hello from the demo"));
		/* a small measure, so the Network and Compute views have figures */
		deploy(cn, i, "speed", /* after the echo app in name order */
		       json_pack("{s:s,s:[{s:s,s:[{s:s,s:i,s:i}]}]}", K_TYPE, "Void", "PLUGINS",
		                 "SIGNATURE", "BLAS_BENCH_01", "INSTANCES", "INSTANCE_ID", "bench-1",
		                 "BENCH_SIZE", DEMO_BENCH_N, "BENCH_REPS", 2));
		if (i % 2 == 1)
			deploy(cn, i, "health",
			       json_pack("{s:s,s:[{s:s,s:[{s:s,s:i}]}]}", K_TYPE, "Void", "PLUGINS",
			                 "SIGNATURE", "SYSTEM_HEALTH_MONITOR_01", "INSTANCES",
			                 "INSTANCE_ID", "health-1", "PROCESS_DELAY", 15));
	}
}

/* ------------------------------------------------------------ demo content */

static void on_demo_write(void *ctx, enum cstore_outcome o)
{
	struct consnet *cn = ctx;
	LOG_I(cn->o.log, "demo", "CStore write: %s", cstore_outcome_name(o));
}

/* A write of the demo's; false when the node has no peers yet (try again later). */
static bool demo_write(struct consnet *cn, size_t i, const char *hkey, const char *key,
                       const char *value, bool readonly)
{
	struct cstore *cs = i < cn->n_nodes ? node_cstore(cn->nodes[i]) : NULL;
	if (!cs)
		return false;
	struct cstore_write w = CSTORE_WRITE_INIT;
	w.readonly = readonly;
	enum cstore_outcome o = CSTORE_CANCELLED;
	char *why = NULL;
	enum r1_err e = hkey ? cstore_hset(cs, hkey, key, value, &w, on_demo_write, cn, &o, NULL,
	                                   &why)
	                     : cstore_set(cs, key, value, &w, on_demo_write, cn, &o, NULL, &why);
	if (e)
		LOG_W(cn->o.log, "demo", "CStore %s: %s", key, why ? why : "?");
	r1_free(why);
	return e || o != CSTORE_NO_PEERS;
}

static bool demo_keys(struct consnet *cn)
{
	static const struct {
		size_t node;
		const char *hkey, *key, *value;
		bool readonly;
	} w[] = {
	    {0, NULL, "demo:ready", "true", false},
	    {0, "demo:config", "model", "\"resnet50\"", false},
	    {0, "demo:config", "batch", "32", false},
	    {0, "demo:config", "lr", "0.001", false},
	    {1, NULL, "jobs:mm-1:status",
	     "{\"state\": \"RUNNING\", \"progress\": 0.42, \"parts\": [\"demo-02\", "
	     "\"demo-03\"]}",
	     false},
	    {1, "jobs", "mm-1", "{\"owner\": \"demo-02\", \"rows\": 2048, \"parts\": 2}",
	     false},
	    {2, NULL, "demo:greeting", "\"hello from demo-03\"", true},
	};
	bool done = true;
	for (size_t k = 0; k < R1_ARRAY_LEN(w); k++)
		if (w[k].node < cn->n_nodes && !outsider(cn, w[k].node))
			done &= demo_write(cn, w[k].node, w[k].hkey, w[k].key, w[k].value,
			                   w[k].readonly);
	return done;
}

/* A few files in the nodes' R1FS, with fixed nonces (the same CIDs every run). */
static void demo_files(struct consnet *cn)
{
	static const struct {
		size_t node;
		const char *name;
		size_t size;
		int64_t nonce;
	} f[] = {
	    {0, "model-card.md", 2300, 11},
	    {0, "weights.bin", 700 * 1024, 12},
	    {1, "dataset.csv", 96 * 1024, 21},
	};
	for (size_t k = 0; k < R1_ARRAY_LEN(f); k++) {
		struct r1fs *fs = f[k].node < cn->n_nodes ? node_r1fs(cn->nodes[f[k].node]) : NULL;
		uint8_t *data = fs ? r1_malloc(f[k].size) : NULL;
		if (!data)
			continue;
		/* text-like bytes that do not compress away: a demo needs no more */
		uint64_t x = 0x9E3779B97F4A7C15ull * (k + 1);
		for (size_t b = 0; b < f[k].size; b++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			data[b] = (uint8_t)(' ' + x % 95);
		}
		struct r1fs_add_opts o = R1FS_ADD_OPTS_INIT;
		o.nonce = f[k].nonce;
		struct r1fs_added out;
		char *why = NULL;
		if (r1fs_add_bytes(fs, data, f[k].size, f[k].name, &o, &out, &why))
			LOG_W(cn->o.log, "demo", "R1FS %s: %s", f[k].name, why ? why : "?");
		else if (k == 1)
			snprintf(cn->weights_cid, sizeof(cn->weights_cid), "%s", out.cid);
		r1_free(why);
		r1_free(data);
	}
}

/* demo-03's copy of demo-01's weights is here: pin it (the blocks are local now). */
static void on_fetched(void *ctx, enum r1_err err, const char *why)
{
	struct consnet *cn = ctx;
	cn->fetching = false;
	struct r1fs *fs = cn->n_nodes > 2 ? node_r1fs(cn->nodes[2]) : NULL;
	char *pwhy = NULL;
	if (err || !fs || r1fs_pin(fs, cn->weights_cid, &pwhy))
		LOG_W(cn->o.log, "demo", "R1FS fetch of %s: %s", cn->weights_cid,
		      err ? (why ? why : r1_strerror(err)) : pwhy ? pwhy : "no store");
	r1_free(pwhy);
}

/* demo-03 brings demo-01's weights over the R1FS exchange (a transfer to watch). */
static void demo_fetch(struct consnet *cn)
{
	if (cn->n_nodes < 3 || outsider(cn, 2) || !cn->weights_cid[0])
		return;
	struct r1fs *fs = node_r1fs(cn->nodes[2]);
	if (fs && r1fs_is_pinned(fs, cn->weights_cid))
		return;
	char *why = NULL;
	if (r1fs_manager_fetch(cn->nodes[2], cn->weights_cid, node_address(cn->nodes[0]), on_fetched,
	                       cn, &cn->fetch_id, &why))
		LOG_W(cn->o.log, "demo", "R1FS fetch: %s", why ? why : "?");
	else
		cn->fetching = true;
	r1_free(why);
}

/* A small matrix with values a person can check: a[i][j] = (i + 2j) mod 7 - 3. */
static enum r1_err demo_matrix(struct r1fs *fs, size_t rows, size_t cols, const char *name,
                               char cid[R1FS_CID_TEXT_MAX], char **why)
{
	struct matrix m;
	enum r1_err e = matrix_alloc(&m, MX_F64, rows, cols, false, why);
	if (e)
		return e;
	for (size_t i = 0; i < rows; i++)
		for (size_t j = 0; j < cols; j++)
			matrix_set(&m, i, j, (double)((i + 2 * j) % 7) - 3);
	e = mxstore_put(fs, &m, name, NULL, cid, why);
	matrix_release(&m);
	return e;
}

/*
 * A ChainDist job: demo-01 masters a product whose rows its peers compute
 * (the workers that allow it: the outsider does not), so the Compute view
 * has parts, nodes and progress to show.  Small: it ends in seconds.
 */
static void demo_chaindist(struct consnet *cn)
{
	size_t workers = 0;
	for (size_t i = 1; i < cn->n_nodes; i++)
		workers += !outsider(cn, i);
	struct r1fs *fs = cn->n_nodes ? node_r1fs(cn->nodes[0]) : NULL;
	if (!workers || !fs || has_pipeline(cn->nodes[0], "chaindist-demo"))
		return; /* a master from a run before resumes its job on its own */
	char a[R1FS_CID_TEXT_MAX], b[R1FS_CID_TEXT_MAX];
	char *why = NULL;
	if (demo_matrix(fs, 1536, 512, "demo-a.r1mx", a, &why) ||
	    demo_matrix(fs, 512, 512, "demo-b.r1mx", b, &why)) {
		LOG_W(cn->o.log, "demo", "ChainDist inputs: %s", why ? why : "?");
		r1_free(why);
		return;
	}
	deploy(cn, 0, "chaindist-demo",
	       json_pack("{s:s,s:[{s:s,s:[{s:s,s:s,s:s,s:s,s:i,s:f,s:f,s:f}]}]}", K_TYPE, "Void",
	                 "PLUGINS", "SIGNATURE", "CHAIN_DIST_MASTER_01", "INSTANCES",
	                 "INSTANCE_ID", "master-1", "JOB_ID", "demo-mm", "A_CID", a, "B_CID", b,
	                 "NR_REMOTE_NODES", (int)R1_MIN(workers, (size_t)3), "DISCOVERY_TIME",
	                 3.0, "PING_SEND_PERIOD_MIN", 1.0, K_PROCESS_DELAY, 0.5));
}

static void on_content(void *ctx, struct loop_timer *t)
{
	struct consnet *cn = ctx;
	if (cn->content_tries++ == 0)
		demo_files(cn);
	if (!cn->keys_done)
		cn->keys_done = demo_keys(cn);
	if (cn->content_tries >= 2 && !cn->fetch_started) {
		/* a turn later: the peers' R1FS exchanges have met */
		cn->fetch_started = true;
		demo_fetch(cn);
	}
	if (cn->content_tries >= 2 && !cn->chaindist_started) {
		cn->chaindist_started = true;
		demo_chaindist(cn);
	}
	if ((cn->keys_done && cn->fetch_started && cn->chaindist_started) ||
	    cn->content_tries >= DEMO_CONTENT_TRIES)
		loop_timer_stop(t);
}

/* ------------------------------------------------------------ set-up */

/* Today's midnight UTC as the reference writes a genesis date. */
static void demo_genesis(char out[TIMEFMT_TEXT_SIZE])
{
	int64_t day_us = (int64_t)86400 * 1000000;
	int64_t midnight = wall_ms() * 1000 / day_us * day_us;
	if (timefmt_format(midnight, TIMEFMT_SHORT, out, NULL))
		snprintf(out, TIMEFMT_TEXT_SIZE, "2025-05-23 16:00:00");
}

static enum r1_err set_epochs(struct consnet *cn, char **why)
{
	struct tui_model *m = cn->m;
	int64_t len = cn->o.epoch_s ? cn->o.epoch_s : cn->o.demo ? DEMO_EPOCH_S : 0;
	if (len) {
		char genesis[TIMEFMT_TEXT_SIZE];
		demo_genesis(genesis);
		enum r1_err e = epoch_params_custom(&m->epochs, genesis, 1, len, why);
		if (e)
			return e;
	} else {
		epoch_params_for(&m->epochs, EPOCH_NET_MAINNET);
	}
	unsigned hb = cn->o.heartbeat_ms ? cn->o.heartbeat_ms : cn->o.demo ? DEMO_HEARTBEAT_MS : 0;
	if (hb)
		epoch_params_set_heartbeat(&m->epochs, (int64_t)hb * 1000);
	return R1_OK;
}

static void open_cache(struct consnet *cn, const char *network)
{
	char *path = paths_cache_db(cn->o.paths), *why = NULL;
	struct cache_options co = {.network = network};
	size_t restored = 0;
	if (!path || paths_mkdir_parent(path, 0700, &why) ||
	    cache_open(path, &co, &cn->cache, &why) ||
	    cache_restore(cn->cache, cn->nm, &restored, &why) || cache_attach(cn->cache, cn->nm)) {
		LOG_W(cn->o.log, "console", "working without the cache: %s", why ? why : "?");
		cache_close(&cn->cache);
	} else {
		LOG_I(cn->o.log, "console", "cache %s: %zu nodes restored", path, restored);
	}
	r1_free(why);
	r1_free(path);
}

static void describe(struct consnet *cn)
{
	struct tui_model *m = cn->m;
	const struct r1_settings *s = cn->o.set;
	if (cn->o.demo)
		snprintf(m->network, sizeof(m->network), _("demo (%zu nodes)"), cn->n_nodes);
	else if (cn->local)
		snprintf(m->network, sizeof(m->network), "%s", _("local (embedded)"));
	else
		snprintf(m->network, sizeof(m->network), "%s", s->profile ? s->profile : "-");
	if (cn->local) {
		snprintf(m->broker, sizeof(m->broker), "%s", _("in-process"));
	} else {
		char *url = config_broker_url(&s->broker, false);
		snprintf(m->broker, sizeof(m->broker), "%s", url ? url : "?");
		r1_free(url);
	}
	snprintf(m->self_addr, sizeof(m->self_addr), "%s", cn->o.id->addr);
	snprintf(m->self_alias, sizeof(m->self_alias), "%s", s->alias ? s->alias : "-");
	for (size_t i = 0; i < cn->n_nodes; i++) {
		struct tui_host h = {.node = cn->nodes[i]};
		snprintf(h.alias, sizeof(h.alias), "%s", node_alias(cn->nodes[i]));
		snprintf(h.addr, sizeof(h.addr), "%s", node_address(cn->nodes[i]));
		tui_model_add_host(m, &h);
	}
}

enum r1_err consnet_open(struct loop *loop, const struct consnet_options *o,
                         struct tui_model *model, struct consnet **out, char **why)
{
	*out = NULL;
	if (!o || !o->set || !o->paths || !o->id)
		return r1_fail(why, R1_ERR_INVAL, "consnet: missing options");
	if (o->demo > CONSNET_DEMO_MAX)
		return r1_fail(why, R1_ERR_INVAL, _("a demo network has at most %d nodes"),
		               CONSNET_DEMO_MAX);
	struct consnet *cn = r1_calloc(1, sizeof(*cn));
	if (!cn)
		return r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	cn->loop = loop;
	cn->m = model;
	cn->o = *o;
	cn->local = o->demo > 0 || o->set->broker.local;
	const struct r1_settings *s = o->set;
	enum r1_err e = set_epochs(cn, why);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (!e)
		e = workers_new(loop, (unsigned)R1_MIN(R1_MAX(ncpu, 1), 8), 0, &cn->pool, why);
	if (!e)
		e = cn->local ? start_local(cn, why) : start_mqtt(cn, why);
	if (!e) {
		const char *local_oracle = cn->oracle_addr;
		struct netmap_options no = {
		    .self_addr = o->id->addr,
		    .oracles = local_oracle ? &local_oracle : (const char *const *)s->oracles,
		    .n_oracles = local_oracle ? 1 : s->n_oracles,
		    .trust_any_oracle = !local_oracle && !s->n_oracles,
		    .online_timeout_ms = s->online_timeout_ms,
		    .epochs = &model->epochs,
		};
		e = netmap_new(&no, &cn->nm, why);
	}
	if (!e && !o->no_cache)
		open_cache(cn, o->demo ? "demo" : s->profile);
	if (!e) {
		struct session_options so = {
		    .name = s->alias,
		    .root = s->root,
		    .clear_commands = !s->encrypt,
		    .command_qos = s->command_qos,
		    .timeout_ms = s->timeout_ms,
		    .netconfig_every_ms = o->demo     ? DEMO_NETCONFIG_MS
		                          : cn->local ? LOCAL_NETCONFIG_MS
		                                      : 0,
		};
		e = session_new(loop, cn->bus, o->id, cn->nm, cn->cache, o->log, &so, &cn->sess,
		                why);
	}
	if (!e)
		e = session_listen(cn->sess, why);
	if (!e) {
		struct ingest_config ic = {
		    .me = o->id,
		    .eth_enabled = true,
		    .accept_unverified = true,
		    .keep_foreign = true,
		};
		e = ingest_new(&ic, &cn->ig, why);
		struct ingest_parallel par = {
		    .loop = loop, .pool = cn->pool, .flow = on_flow, .flow_ctx = cn};
		if (!e)
			e = ingest_use_pool(cn->ig, &par, why);
		if (!e)
			ingest_set_delivery(cn->ig, on_ingested, cn);
	}
	if (!e) {
		/* the session subscribed; the receive path is ours (streams, verdicts) */
		bus_set_delivery(cn->bus, on_message, cn);
		cn->tick = loop_timer_new(loop, on_tick, cn);
		if (!cn->tick)
			e = r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	}
	if (e) {
		consnet_close(&cn);
		return e;
	}
	loop_timer_start(cn->tick, (uint64_t)TICK_MS * speed(cn), (uint64_t)TICK_MS * speed(cn));
	model->nm = cn->nm;
	model->sess = cn->sess;
	model->cache = cn->cache;
	model->send_payload = send_payload;
	model->send_ctx = cn;
	model->log = o->log;
	model->node_log = cn->n_nodes ? o->node_log : NULL;
	describe(cn);
	if (o->demo) {
		demo_pipelines(cn);
		cn->content = loop_timer_new(loop, on_content, cn);
		if (cn->content)
			loop_timer_start(cn->content, (uint64_t)DEMO_CONTENT_MS * speed(cn),
			                 (uint64_t)DEMO_CONTENT_MS * speed(cn));
	}
	*out = cn;
	return R1_OK;
}

size_t consnet_nodes(const struct consnet *cn)
{
	return cn->n_nodes;
}

/* Let the hosted nodes' last heartbeats leave (a second at most). */
static void drain(struct consnet *cn)
{
	for (int i = 0; i < 100; i++) {
		bool queued = false;
		for (size_t k = 0; k < cn->n_nodes; k++) {
			struct bus_stats st;
			bus_get_stats(cn->node_bus[k], &st);
			queued |=
			    st.queued > 0 && bus_state(cn->node_bus[k], NULL) == BUS_CONNECTED;
		}
		if (!queued)
			break;
		loop_run_once(cn->loop, 10);
	}
}

void consnet_close(struct consnet **cp)
{
	struct consnet *cn = *cp;
	if (!cn)
		return;
	if (cn->m)
		tui_model_forget_hosts(cn->m);
	if (cn->fetching && cn->n_nodes > 2)
		r1fs_manager_forget(cn->nodes[2], cn->fetch_id);
	for (size_t i = 0; i < cn->n_nodes; i++)
		node_stop(cn->nodes[i]);
	if (cn->n_nodes && cn->bus)
		drain(cn);
	loop_timer_free(&cn->tick);
	loop_timer_free(&cn->content);
	session_free(&cn->sess);
	ingest_free(&cn->ig); /* before the bus it may have paused */
	for (size_t i = 0; i < cn->n_specs; i++)
		pipespec_free(&cn->specs[i]);
	if (cn->cache) {
		cache_detach(cn->cache);
		cache_close(&cn->cache);
	}
	for (size_t i = cn->n_nodes; i-- > 0;)
		node_free(&cn->nodes[i]);
	workers_free(&cn->pool); /* after every receive path that used it */
	for (size_t i = 0; i < cn->n_nodes; i++)
		bus_free(&cn->node_bus[i]);
	bus_free(&cn->bus);
	bus_hub_free(&cn->hub);
	netmap_free(&cn->nm);
	r1_free(cn->oracle_addr);
	if (cn->m) {
		cn->m->nm = NULL;
		cn->m->sess = NULL;
		cn->m->cache = NULL;
		cn->m->send_payload = NULL;
		cn->m->send_ctx = NULL;
	}
	r1_free(cn);
	*cp = NULL;
}
