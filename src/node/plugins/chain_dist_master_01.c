/*
 * CHAIN_DIST_MASTER_01: one cooperative job split over several nodes, the
 * glue between the ChainDist state machine (compute/chaindist.h, which
 * decides everything) and the node:
 *
 *  - the control plane: a session inside the node (node_open_session: the
 *    node's identity on an endpoint of its own) deploys a
 *    CHAIN_DIST_WORKER_01 pipeline "<JOB_ID>_w<part>_<attempt>" per part
 *    and waits for its confirmations, closes it when the part is over, and
 *    hears what the workers say (payloads with JOB_ID and PART, EXCEPTION
 *    notifications) and every heartbeat (a node's measured GFLOP/s, shared
 *    among the BLAS jobs it already runs, its free memory and cores rank
 *    it; a SHUTDOWN heartbeat loses it at once); the session's
 *    netmap says who is online and peered, and loses a node after the
 *    online timeout;
 *  - R1FS through the node's compute engine: A (or the queries) is loaded
 *    and B's shape read first (dimensions are refused here, not on every
 *    worker), the input is cut into one R1MX file per part, workers fetch
 *    their part and B and store their rows of C; the master stacks them
 *    into the result (SEARCH: merges the workers' hits into a JSON file);
 *  - CStore: hash "chaindist:<JOB_ID>", fields "job" (state, progress,
 *    result), "part:<i>" (each part's state, node, attempt, result) and
 *    "inputs" (the plan and the cut inputs), for the console and for a
 *    restarted master, which picks the job up from there (RESUME): a
 *    finished job's final payload is sent again, an unfinished one keeps
 *    its done parts and runs the others again;
 *  - payloads: the machine's progress payloads and its final ("golden")
 *    one, with the reference's state names, plus TIMINGS in the final one.
 *
 * The machine is stepped on every event (a worker payload, a confirmation,
 * a compute job back) and at every process() for its timeouts.  Before the
 * first step the master waits until it knows enough workers (heartbeats
 * with compute figures) or DISCOVERY_TIME has passed, since a session just
 * opened has heard nobody yet.  Keys: data/plugins/chain_dist_master_01.json.
 */
#include "node/lib.h"
#include "node/plugin.h"
#include "node/node.h"
#include "node/compute/chaindist.h"
#include "node/compute/compute.h"
#include "node/cstore/cstore.h"
#include "node/r1fs/r1fs.h"
#include "node/r1fs/r1fs_manager.h"
#include "core/netmap.h"
#include "core/pipespec.h"
#include "core/proto.h"
#include "core/session.h"

#include <math.h>
#include <strings.h>

#define LOGMOD              "chaindist"
#define CANDIDATES_EVERY_MS 1000
#define PEERS_MAX           4096
#define JOB_ID_MAX          44 /* leaves room for "_w<part>_<attempt>" in 64 */
#define GIB                 (1024.0 * 1024.0 * 1024.0)

enum stage {
	ST_NEW,     /* nothing asked yet */
	ST_LOADING, /* reading the inputs' shapes */
	ST_WAITING, /* the machine exists; waiting to know enough workers */
	ST_RUNNING, /* the machine runs */
	ST_DONE,    /* the final payload went out */
};

struct master;

/* A part's result brought from its worker ahead of the assembly. */
enum prefetch_state { PF_NONE, PF_PENDING, PF_DONE, PF_FAILED };
struct prefetch {
	struct master *m;
	uint64_t id;
	enum prefetch_state state;
};

/* What the master keeps of each part beyond the machine's view. */
struct mpart {
	struct prefetch pf;             /* first: on_prefetched finds its part from it */
	char pipeline[NM_NAME_MAX + 1]; /* the current attempt's pipeline */
	char node[R1_ADDR_LEN + 1];     /* where it was deployed */
	struct pipespec *spec;          /* the deploy in flight */
	uint64_t txn;
	json_t *hits; /* SEARCH: the worker's RESULTS */
	double kernel_s, io_s, fetch_s, gflops;
};

/* A node's compute figures from its last heartbeat. */
struct peer {
	char addr[R1_ADDR_LEN + 1];
	struct compute_peer cp;
	bool shutdown;
};

struct master {
	struct plugin_instance *pi;
	struct node *node;
	struct compute *eng;
	struct session *sess;
	struct netmap *nm;
	struct chaindist *cd;
	enum stage stage;
	char job_id[JOB_ID_MAX + 1];
	char hkey[JOB_ID_MAX + 16]; /* "chaindist:<job>" */
	char *owner;                /* this instance's path, JSON text (CStore owner) */
	/* the job */
	enum cd_kind kind;
	enum mx_dtype dtype;
	bool trans_a, trans_b;
	double alpha;
	size_t k;
	char in_cid[R1FS_CID_TEXT_MAX];  /* A, or the queries: what is cut */
	char aux_cid[R1FS_CID_TEXT_MAX]; /* B, or the index: what every worker reads */
	uint64_t rows, inner, cols;      /* op(A) is rows x inner, op(B) inner x cols */
	uint64_t b_inner;                /* op(B)'s rows, checked against inner */
	uint64_t aux_bytes;
	struct matrix src; /* the loaded input, until the split takes it */
	unsigned loads_pending;
	bool load_failed;
	uint64_t jobs[3]; /* compute jobs in flight (loads, split, assemble); 0 = none */
	char (*inputs)[R1FS_CID_TEXT_MAX];
	size_t ninputs;
	struct mpart parts[CD_MAX_PARTS];
	struct peer *peers;
	size_t npeers;
	struct cd_node *cands;
	size_t ncands;
	uint64_t cands_ms;
	bool nodes_changed;
	uint64_t waiting_payload_ms; /* ST_WAITING: the last progress payload */
	bool agg_waiting;            /* the machine asked to assemble; prefetches still run */
	/* times (monotonic ms) for TIMINGS */
	uint64_t t_open, t_start, t_loaded, t_running, t_split, t_distributed, t_done;
	bool resumed;
};

static const char defaults[] =
    "{\"PROCESS_DELAY\": 1, \"ALLOW_EMPTY_INPUTS\": true, \"JOB_ID\": null,"
    " \"KIND\": \"MATMUL\", \"A_CID\": null, \"B_CID\": null, \"TRANS_A\": false,"
    " \"TRANS_B\": false, \"ALPHA\": 1.0, \"DTYPE\": \"float64\", \"INDEX_CID\": null,"
    " \"QUERY_CID\": null, \"K\": 10, \"NR_REMOTE_NODES\": null, \"NODES\": [],"
    " \"NODE_TIMEOUT\": 150, \"START_TIMEOUT\": 0, \"WAIT_NODES\": 0,"
    " \"DISCOVERY_TIME\": 12, \"PING_SEND_PERIOD_MIN\": 2, \"PING_SEND_PERIOD_MAX\": 10,"
    " \"CANCEL_ALL_JOBS_ON_EXCEPTION\": false, \"SPLIT_BY_GFLOPS\": true,"
    " \"MAX_ATTEMPTS\": 3, \"ALLOW_SELF\": false, \"RESUME\": true, \"MAX_MEMORY_MB\": 0,"
    " \"NODE_SIGNATURE\": \"CHAIN_DIST_WORKER_01\","
    " \"NODE_DEFAULT_INSTANCE_ID\": \"Default\", \"NODE_PIPELINE_CONFIG\": {},"
    " \"NODE_PLUGIN_CONFIG\": {}}";

static uint64_t mono(const struct master *m)
{
	return plugin_now_ms(m->pi);
}

static int64_t wall_ms(const struct master *m)
{
	return plugin_wall_us(m->pi) / 1000;
}

static uint64_t mem_limit(const struct master *m)
{
	json_int_t mb = plugin_cfg_int(m->pi, "MAX_MEMORY_MB", 0);
	return mb > 0 ? (uint64_t)mb << 20 : 0;
}

static uint64_t cfg_ms(const struct master *m, const char *key, double dflt_s)
{
	double s = plugin_cfg_real(m->pi, key, dflt_s);
	return s > 0 && isfinite(s) ? (uint64_t)(s * 1000.0) : 0;
}

static void copy_text(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* ---- CStore ---------------------------------------------------------------- */

static void store_field(struct master *m, const char *field, const json_t *value)
{
	struct cstore *cs = node_cstore(m->node);
	if (!cs)
		return;
	char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!text)
		return;
	const char *old = cstore_hget(cs, m->hkey, field, NULL);
	/*
	 * Besides the node's default peers (whitelisted and online by the
	 * oracles' maps, which a node just started may not have yet), the
	 * workers we know replicate the job: a write needs one peer to be
	 * stored at all.
	 */
	const char *peers[16];
	size_t np = 0;
	for (size_t i = 0; i < m->ncands && np < R1_ARRAY_LEN(peers); i++)
		if (m->cands[i].online && m->cands[i].peered &&
		    strcmp(m->cands[i].addr, node_address(m->node)) != 0)
			peers[np++] = m->cands[i].addr;
	struct cstore_write w = CSTORE_WRITE_INIT;
	w.owner = m->owner;
	w.peers = peers;
	w.npeers = np;
	enum cstore_outcome oc;
	char *why = NULL;
	/* the same value again is a local no-op in the engine, but skip the formatting */
	json_t *same = old ? json_loads(old, JSON_DECODE_ANY, NULL) : NULL;
	if (!same || !json_equal(same, (json_t *)value)) {
		if (cstore_hset(cs, m->hkey, field, text, &w, NULL, NULL, &oc, NULL, &why))
			LOG_W(plugin_log(m->pi), LOGMOD, "%s: CStore %s/%s: %s", m->job_id, m->hkey,
			      field, why ? why : "?");
		else if (oc != CSTORE_OK && oc != CSTORE_PENDING)
			LOG_D(plugin_log(m->pi), LOGMOD, "%s: CStore %s/%s: %s", m->job_id, m->hkey,
			      field, cstore_outcome_name(oc));
	}
	json_decref(same);
	r1_free(why);
	free(text);
}

/* A field of our hash as JSON (new reference), or NULL. */
static json_t *load_field(struct master *m, const char *field)
{
	struct cstore *cs = node_cstore(m->node);
	const char *v = cs ? cstore_hget(cs, m->hkey, field, NULL) : NULL;
	return v ? json_loads(v, JSON_DECODE_ANY, NULL) : NULL;
}

/* ---- failing before the machine exists -------------------------------------- */

static void finish_early(struct master *m, const char *why)
{
	m->stage = ST_DONE;
	m->t_done = mono(m);
	json_t *job = json_pack("{s:s,s:f,s:i,s:n,s:s}", "STATE", cd_state_name(CD_FINISHED),
	                        "PROGRESS", 0.0, "NR_PARTS", 0, "RESULT", "ERROR", why);
	if (job)
		store_field(m, "job", job);
	json_decref(job);
	json_t *f = json_pack("{s:s,s:s,s:f,s:b,s:s}", "STATE", cd_state_name(CD_FINISHED),
	                      "JOB_ID", m->job_id, "PROGRESS", 0.0, "SUCCESS", 0, "ERROR", why);
	plugin_emit(m->pi, f, NULL);
	char msg[400];
	snprintf(msg, sizeof(msg), "CHAIN_DIST_MASTER_01: job %s failed: %s", m->job_id, why);
	plugin_notify(m->pi, NOTIF_TYPE_EXCEPTION, 0, msg, why, NULL);
	LOG_W(plugin_log(m->pi), LOGMOD, "%s", msg);
}

/* ---- workers and candidates ---------------------------------------------------- */

static struct peer *peer_of(struct master *m, const char *addr, bool create)
{
	for (size_t i = 0; i < m->npeers; i++)
		if (strcmp(m->peers[i].addr, addr) == 0)
			return &m->peers[i];
	if (!create || m->npeers >= PEERS_MAX)
		return NULL;
	struct peer *v = r1_reallocarray(m->peers, m->npeers + 1, sizeof(*v));
	if (!v)
		return NULL;
	m->peers = v;
	struct peer *p = &v[m->npeers++];
	memset(p, 0, sizeof(*p));
	copy_text(p->addr, sizeof(p->addr), addr);
	return p;
}

/* Candidates from the netmap and the heartbeats: nodes that run our compute plugins. */
static void refresh_candidates(struct master *m)
{
	size_t n = netmap_count(m->nm), k = 0;
	struct cd_node *v = r1_reallocarray(NULL, n + 1, sizeof(*v));
	if (!v)
		return;
	/*
	 * This node, when it may work: known now from its own engine, not a
	 * heartbeat period later from its own heartbeat.
	 */
	bool self_known = false;
	if (plugin_cfg_bool(m->pi, "ALLOW_SELF", false)) {
		struct cd_node *c = &v[k++];
		memset(c, 0, sizeof(*c));
		copy_text(c->addr, sizeof(c->addr), node_address(m->node));
		copy_text(c->alias, sizeof(c->alias), node_alias(m->node));
		struct compute_bench b;
		double g = 0;
		if (compute_last_bench(m->eng, &b))
			g = m->dtype == MX_F32 ? b.gflops_f32 : b.gflops_f64;
		c->gflops = g / (1.0 + compute_busy(m->eng) + compute_queued(m->eng));
		c->cpu_cores = (unsigned)compute_blas(m->eng)->ncores;
		c->online = c->peered = true;
		self_known = true;
	}
	for (size_t i = 0; i < n; i++) {
		const struct nm_node *x = netmap_at(m->nm, i);
		if (self_known && x->self)
			continue;
		struct peer *p = peer_of(m, x->info.addr, false);
		if (!p)
			continue; /* no compute figures heard: not one of ours */
		struct cd_node *c = &v[k++];
		memset(c, 0, sizeof(*c));
		copy_text(c->addr, sizeof(c->addr), x->info.addr);
		copy_text(c->alias, sizeof(c->alias), x->info.alias);
		/* a node busy with other BLAS jobs gives each a share of its speed */
		double g = m->dtype == MX_F32 ? p->cp.gflops_f32 : p->cp.gflops_f64;
		c->gflops = g / (1.0 + p->cp.jobs_running + p->cp.jobs_queued);
		c->mem_avail = x->info.mem_avail > 0 ? (uint64_t)(x->info.mem_avail * GIB) : 0;
		c->cpu_cores = x->info.cpu_cores;
		c->online = x->online && !p->shutdown;
		c->peered = x->peered;
	}
	r1_free(m->cands);
	m->cands = v;
	m->ncands = k;
	m->cands_ms = mono(m);
	m->nodes_changed = false;
	if (m->cd)
		chaindist_set_candidates(m->cd, v, k, NULL);
}

/* How many workers the job wants, as the machine decides it. */
static unsigned wanted_nodes(const struct master *m)
{
	json_int_t nr = plugin_cfg_int(m->pi, "NR_REMOTE_NODES", 0);
	size_t listed = json_array_size(json_object_get(plugin_config(m->pi), "NODES"));
	unsigned want = nr > 0 ? (unsigned)nr : listed ? (unsigned)listed : 4;
	if (want > CD_MAX_PARTS)
		want = CD_MAX_PARTS;
	return (uint64_t)want > m->rows ? (unsigned)m->rows : want;
}

static unsigned usable_nodes(const struct master *m)
{
	bool self_ok = plugin_cfg_bool(m->pi, "ALLOW_SELF", false);
	unsigned n = 0;
	for (size_t i = 0; i < m->ncands; i++)
		n += m->cands[i].online && m->cands[i].peered &&
		     (self_ok || strcmp(m->cands[i].addr, node_address(m->node)) != 0);
	return n;
}

/* ---- the machine's effects ------------------------------------------------------- */

static void forget_deploy(struct master *m, struct mpart *mp)
{
	if (mp->txn)
		session_cancel(m->sess, mp->txn);
	mp->txn = 0;
	pipespec_free(&mp->spec);
}

static void on_deployed(void *ctx, struct session *s, const struct txn *t);

static json_t *worker_config(struct master *m, const struct cd_part *p)
{
	const json_t *extra = json_object_get(plugin_config(m->pi), "NODE_PLUGIN_CONFIG");
	json_t *c = json_is_object(extra) ? json_deep_copy(extra) : json_object();
	if (!c)
		return NULL;
	int rc =
	    json_object_set_new(c, "KIND", json_string(m->kind == CD_MATMUL ? "MATMUL" : "SEARCH"));
	rc |= json_object_set_new(c, "JOB_ID", json_string(m->job_id));
	rc |= json_object_set_new(c, "PART", json_integer(p->index));
	rc |= json_object_set_new(c, "MASTER", json_string(node_address(m->node)));
	rc |= json_object_set_new(c, "DTYPE", json_string(mx_dtype_name(m->dtype)));
	const char *input = p->index < m->ninputs ? m->inputs[p->index] : "";
	if (m->kind == CD_MATMUL) {
		rc |= json_object_set_new(c, "A_CID", json_string(input));
		rc |= json_object_set_new(c, "B_CID", json_string(m->aux_cid));
		rc |= json_object_set_new(c, "TRANS_B", json_boolean(m->trans_b));
		rc |= json_object_set_new(c, "ALPHA", json_real(m->alpha));
	} else {
		rc |= json_object_set_new(c, "QUERY_CID", json_string(input));
		rc |= json_object_set_new(c, "INDEX_CID", json_string(m->aux_cid));
		rc |= json_object_set_new(c, "K", json_integer((json_int_t)m->k));
	}
	if (rc) {
		json_decref(c);
		return NULL;
	}
	return c;
}

static enum r1_err fx_deploy(void *ctx, struct chaindist *cd, const struct cd_part *p, char **why)
{
	struct master *m = ctx;
	struct mpart *mp = &m->parts[p->index];
	forget_deploy(m, mp);
	snprintf(mp->pipeline, sizeof(mp->pipeline), "%s_w%u_%u", m->job_id, p->index, p->attempts);
	copy_text(mp->node, sizeof(mp->node), p->node);
	json_decref(mp->hits);
	mp->hits = NULL;
	mp->kernel_s = mp->io_s = mp->fetch_s = mp->gflops = 0;
	const json_t *pextra = json_object_get(plugin_config(m->pi), "NODE_PIPELINE_CONFIG");
	json_t *pcfg = json_is_object(pextra) ? json_deep_copy(pextra) : json_object();
	json_t *icfg = worker_config(m, p);
	enum r1_err e = R1_OK;
	if (!pcfg || !icfg || json_object_set_new(pcfg, K_TYPE, json_string("Void")))
		e = r1_fail(why, R1_ERR_NOMEM, "out of memory");
	if (!e)
		e = pipespec_new(p->node, mp->pipeline, pcfg, &mp->spec, why);
	if (!e)
		e = pipespec_add_instance(
		    mp->spec, plugin_cfg_str(m->pi, "NODE_SIGNATURE", "CHAIN_DIST_WORKER_01"),
		    plugin_cfg_str(m->pi, "NODE_DEFAULT_INSTANCE_ID", "Default"), icfg, why);
	json_decref(pcfg);
	json_decref(icfg);
	uint64_t timeout = cfg_ms(m, "START_TIMEOUT", 0);
	if (!timeout)
		timeout = cfg_ms(m, "NODE_TIMEOUT", 150);
	struct session_call call = {
	    .timeout_ms = (uint32_t)R1_MIN(timeout, (uint64_t)UINT32_MAX),
	    .done = on_deployed,
	    .ctx = m,
	};
	if (!e)
		e = session_deploy(m->sess, mp->spec, &call, &mp->txn, why);
	if (e) {
		pipespec_free(&mp->spec);
		mp->txn = 0;
	} else {
		LOG_I(plugin_log(m->pi), LOGMOD,
		      "%s: part %u (rows %" PRIu64 "+%" PRIu64
		      ") deployed on %s as %s (attempt %u)",
		      m->job_id, p->index, p->row0, p->rows, p->node, mp->pipeline, p->attempts);
	}
	return e;
}

static void fx_close(void *ctx, struct chaindist *cd, const struct cd_part *p)
{
	struct master *m = ctx;
	struct mpart *mp = &m->parts[p->index];
	forget_deploy(m, mp);
	if (!mp->pipeline[0] || !mp->node[0])
		return;
	char *why = NULL;
	struct session_call call = {.timeout_ms = 10000};
	if (session_close_pipeline(m->sess, mp->node, mp->pipeline, &call, NULL, &why))
		LOG_W(plugin_log(m->pi), LOGMOD, "%s: closing %s on %s: %s", m->job_id,
		      mp->pipeline, mp->node, why ? why : "?");
	r1_free(why);
}

static void fx_track(void *ctx, struct chaindist *cd, int part, const json_t *value)
{
	struct master *m = ctx;
	char field[24];
	if (part < 0)
		snprintf(field, sizeof(field), "job");
	else
		snprintf(field, sizeof(field), "part:%d", part);
	store_field(m, field, value);
}

static double secs(uint64_t from, uint64_t to)
{
	return from && to >= from ? (double)(to - from) / 1000.0 : 0.0;
}

/* TIMINGS of the final payload: where the time went. */
static json_t *timings(struct master *m)
{
	json_t *parts = json_array();
	for (size_t i = 0; parts && i < chaindist_nparts(m->cd); i++) {
		const struct cd_part *p = chaindist_part(m->cd, i);
		const struct mpart *mp = &m->parts[i];
		json_array_append_new(
		    parts, json_pack("{s:i,s:s,s:I,s:f,s:f,s:f,s:f}", "PART", (int)i, "NODE",
		                     p->node, "ROWS", (json_int_t)p->rows, "KERNEL_SECONDS",
		                     mp->kernel_s, "R1FS_SECONDS", mp->io_s, "FETCH_SECONDS",
		                     mp->fetch_s, "GFLOPS", mp->gflops));
	}
	return json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:b,s:o*}", "LOAD_SECONDS",
	                 secs(m->t_start, m->t_loaded), "WAIT_NODES_SECONDS",
	                 secs(m->t_loaded, m->t_running), "SPLIT_SECONDS",
	                 secs(m->t_running, m->t_split), "DISTRIBUTE_SECONDS",
	                 secs(m->t_split, m->t_distributed), "AGGREGATE_SECONDS",
	                 secs(m->t_distributed, m->t_done), "TOTAL_SECONDS",
	                 secs(m->t_start, m->t_done), "RESUMED", m->resumed, "PARTS", parts);
}

static void fx_payload(void *ctx, struct chaindist *cd, json_t *fields)
{
	struct master *m = ctx;
	if (json_object_get(fields, "SUCCESS")) {
		m->t_done = mono(m);
		m->stage = ST_DONE;
		json_object_set_new(fields, "TIMINGS", timings(m));
		json_t *data = json_object_get(fields, "DATA");
		if (json_is_object(data) && m->kind == CD_MATMUL) {
			json_object_set_new(data, "ROWS", json_integer((json_int_t)m->rows));
			json_object_set_new(data, "COLS", json_integer((json_int_t)m->cols));
			json_object_set_new(data, "DTYPE", json_string(mx_dtype_name(m->dtype)));
		}
		/* what a restarted master sends again instead of running the job twice */
		json_t *keep = json_deep_copy(fields);
		if (keep) {
			json_object_del(keep, "PARTS");
			json_object_del(keep, "PROGRESS_BY_NODE");
			store_field(m, "final", keep);
		}
		json_decref(keep);
		bool okd = chaindist_succeeded(cd);
		LOG_I(plugin_log(m->pi), LOGMOD, "%s: %s%s%s", m->job_id,
		      okd ? "done: " : "failed: ", okd ? chaindist_result(cd) : "",
		      okd ? "" : chaindist_why(cd));
		if (!okd) {
			char msg[400];
			snprintf(msg, sizeof(msg), "CHAIN_DIST_MASTER_01: job %s failed: %s",
			         m->job_id, chaindist_why(cd));
			plugin_notify(m->pi, NOTIF_TYPE_EXCEPTION, 0, msg, chaindist_why(cd), NULL);
		}
	}
	plugin_emit(m->pi, fields, NULL);
}

static void on_split(void *ctx, struct compute_result *r);
static void on_assembled(void *ctx, struct compute_result *r);

static struct compute_meta meta_of(struct master *m, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s", plugin_stream(m->pi), plugin_instance_id(m->pi));
	return (struct compute_meta){.owner = buf};
}

static enum r1_err fx_split(void *ctx, struct chaindist *cd, char **why)
{
	struct master *m = ctx;
	size_t np = chaindist_nparts(cd);
	uint64_t row0[CD_MAX_PARTS], rows[CD_MAX_PARTS];
	for (size_t i = 0; i < np; i++) {
		row0[i] = chaindist_part(cd, i)->row0;
		rows[i] = chaindist_part(cd, i)->rows;
	}
	struct compute_split_req sp = {
	    .trans = m->kind == CD_MATMUL && m->trans_a,
	    .nparts = np,
	    .row0 = row0,
	    .rows = rows,
	    .prefix = m->job_id,
	    .mem_limit = mem_limit(m),
	};
	matrix_move(&sp.src.m, &m->src);
	if (matrix_is_empty(&sp.src.m))
		sp.src.cid = m->in_cid;
	char owner[160];
	struct compute_meta meta = meta_of(m, owner, sizeof(owner));
	return compute_submit_split(m->eng, &meta, &sp, on_split, m, &m->jobs[1], why);
}

static void on_split(void *ctx, struct compute_result *r)
{
	struct master *m = ctx;
	m->jobs[1] = 0;
	m->t_split = mono(m);
	bool ok = r->state == COMPUTE_DONE && r->ncids == chaindist_nparts(m->cd);
	if (ok) {
		r1_free(m->inputs);
		m->inputs = r->cids;
		m->ninputs = r->ncids;
		r->cids = NULL;
		/* the plan and the cut inputs, for a restarted master */
		json_t *pi = json_array(), *parts = json_array();
		for (size_t i = 0; pi && parts && i < m->ninputs; i++) {
			const struct cd_part *p = chaindist_part(m->cd, i);
			json_array_append_new(pi, json_string(m->inputs[i]));
			json_array_append_new(parts,
			                      json_pack("{s:I,s:I}", "ROW0", (json_int_t)p->row0,
			                                "ROWS", (json_int_t)p->rows));
		}
		json_t *in =
		    json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:s,s:o*,s:o*}", "KIND",
		              m->kind == CD_MATMUL ? "MATMUL" : "SEARCH", "IN_CID", m->in_cid,
		              "AUX_CID", m->aux_cid, "ROWS", (json_int_t)m->rows, "INNER",
		              (json_int_t)m->inner, "COLS", (json_int_t)m->cols, "DTYPE",
		              mx_dtype_name(m->dtype), "PART_INPUTS", pi, "PARTS", parts);
		if (in)
			store_field(m, "inputs", in);
		json_decref(in);
	}
	chaindist_split_done(m->cd, ok, r->why ? r->why : "the split gave no parts", wall_ms(m));
	chaindist_step(m->cd, wall_ms(m));
}

/* SEARCH: the workers' hits, in query order, as one JSON file in R1FS. */
static enum r1_err merge_hits(struct master *m, char cid[R1FS_CID_TEXT_MAX], char **why)
{
	struct r1fs *fs = node_r1fs(m->node);
	if (!fs)
		return r1_fail(why, R1_ERR_STATE, "this node has no R1FS");
	json_t *all = json_array();
	for (size_t i = 0; all && i < chaindist_nparts(m->cd); i++)
		json_array_extend(all, m->parts[i].hits);
	json_t *doc =
	    json_pack("{s:s,s:I,s:o*}", "JOB_ID", m->job_id, "K", (json_int_t)m->k, "RESULTS", all);
	char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	if (!text)
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	char name[JOB_ID_MAX + 16];
	snprintf(name, sizeof(name), "%s.json", m->job_id);
	struct r1fs_added added;
	enum r1_err e = r1fs_add_json(fs, text, strlen(text), name, NULL, &added, why);
	free(text);
	if (!e)
		copy_text(cid, R1FS_CID_TEXT_MAX, added.cid);
	return e;
}

static enum r1_err submit_assemble(struct master *m, char **why)
{
	size_t np = chaindist_nparts(m->cd);
	const char *cids[CD_MAX_PARTS];
	for (size_t i = 0; i < np; i++)
		cids[i] = chaindist_part(m->cd, i)->result;
	char name[JOB_ID_MAX + 16];
	snprintf(name, sizeof(name), "%s.r1mx", m->job_id);
	struct compute_assemble_req as = {
	    .cids = cids,
	    .nparts = np,
	    .rows = m->rows,
	    .cols = m->cols,
	    .dtype = m->dtype,
	    .store_as = name,
	    .mem_limit = mem_limit(m),
	};
	char owner[160];
	struct compute_meta meta = meta_of(m, owner, sizeof(owner));
	return compute_submit_assemble(m->eng, &meta, &as, on_assembled, m, &m->jobs[2], why);
}

static bool prefetches_pending(const struct master *m)
{
	for (size_t i = 0; m->cd && i < chaindist_nparts(m->cd); i++)
		if (m->parts[i].pf.state == PF_PENDING)
			return true;
	return false;
}

/* The results are here (or will come through the store's own fetches): assemble. */
static void assemble_now(struct master *m)
{
	m->agg_waiting = false;
	char *why = NULL;
	enum r1_err e = submit_assemble(m, &why);
	if (e) {
		chaindist_aggregated(m->cd, false, NULL, why ? why : r1_strerror(e), wall_ms(m));
		chaindist_step(m->cd, wall_ms(m));
	}
	r1_free(why);
}

static void on_prefetched(void *ctx, enum r1_err err, const char *why)
{
	struct prefetch *pf = ctx;
	struct master *m = pf->m;
	pf->id = 0;
	pf->state = err ? PF_FAILED : PF_DONE;
	if (err) /* the assembly's own fetches try the other peers */
		LOG_W(plugin_log(m->pi), LOGMOD, "%s: bringing part %td's result failed: %s",
		      m->job_id, (struct mpart *)pf - m->parts, why ? why : r1_strerror(err));
	if (m->agg_waiting && !prefetches_pending(m))
		assemble_now(m);
}

/*
 * Bring part i's result from the node that made it, now: the assembly
 * would otherwise look for it among the peers that announced it, and a
 * file stored moments ago is in nobody's announcement yet.
 */
static void prefetch(struct master *m, size_t i, const char *cid, const char *peer)
{
	struct prefetch *pf = &m->parts[i].pf;
	if (pf->state == PF_PENDING)
		r1fs_manager_forget(m->node, pf->id);
	pf->m = m;
	pf->id = 0;
	pf->state = PF_PENDING;
	char *why = NULL;
	if (r1fs_manager_fetch(m->node, cid, peer && peer[0] ? peer : NULL, on_prefetched, pf,
	                       &pf->id, &why)) {
		pf->state = PF_FAILED;
		LOG_D(plugin_log(m->pi), LOGMOD, "%s: part %zu's result: %s", m->job_id, i,
		      why ? why : "?");
	}
	r1_free(why);
}

static enum r1_err fx_aggregate(void *ctx, struct chaindist *cd, char **why)
{
	struct master *m = ctx;
	m->t_distributed = mono(m);
	if (m->kind == CD_SEARCH) {
		char cid[R1FS_CID_TEXT_MAX];
		enum r1_err e = merge_hits(m, cid, why);
		if (!e)
			chaindist_aggregated(cd, true, cid, NULL, wall_ms(m));
		return e;
	}
	/* parts a restarted master kept were not brought yet */
	for (size_t i = 0; i < chaindist_nparts(cd); i++) {
		const struct cd_part *p = chaindist_part(cd, i);
		if (m->parts[i].pf.state == PF_NONE)
			prefetch(m, i, p->result, p->node);
	}
	if (prefetches_pending(m)) {
		m->agg_waiting = true; /* answered when the last one ends */
		return R1_OK;
	}
	return submit_assemble(m, why);
}

static void on_assembled(void *ctx, struct compute_result *r)
{
	struct master *m = ctx;
	m->jobs[2] = 0;
	chaindist_aggregated(m->cd, r->state == COMPUTE_DONE, r->result_cid,
	                     r->why ? r->why : r1_strerror(r->err), wall_ms(m));
	chaindist_step(m->cd, wall_ms(m));
}

/* ---- what the session hears ------------------------------------------------------ */

static int part_of_pipeline(const struct master *m, const char *pipeline, const char *sender)
{
	if (!m->cd || !pipeline || !sender)
		return -1;
	for (size_t i = 0; i < chaindist_nparts(m->cd); i++)
		if (strcmp(m->parts[i].pipeline, pipeline) == 0 &&
		    strcmp(m->parts[i].node, sender) == 0)
			return (int)i;
	return -1;
}

static const char *path_at(const json_t *msg, size_t i)
{
	return json_string_value(json_array_get(json_object_get(msg, K_EE_PAYLOAD_PATH), i));
}

static void on_deployed(void *ctx, struct session *s, const struct txn *t)
{
	struct master *m = ctx;
	for (size_t i = 0; m->cd && i < chaindist_nparts(m->cd); i++) {
		struct mpart *mp = &m->parts[i];
		if (mp->txn != t->id)
			continue;
		mp->txn = 0;
		pipespec_free(&mp->spec);
		chaindist_part_started(m->cd, (unsigned)i, t->state == TXN_OK, t->reason,
		                       wall_ms(m));
		chaindist_step(m->cd, wall_ms(m));
		return;
	}
}

static void worker_payload(struct master *m, const char *sender, const json_t *msg)
{
	const char *job = json_string_value(json_object_get(msg, "JOB_ID"));
	if (!job || strcmp(job, m->job_id) != 0)
		return;
	int i = part_of_pipeline(m, path_at(msg, 1), sender);
	if (i < 0 || json_integer_value(json_object_get(msg, "PART")) != i)
		return; /* an earlier attempt, or not ours */
	int64_t now = wall_ms(m);
	const char *err = json_string_value(json_object_get(msg, "ERROR"));
	const json_t *data = json_object_get(msg, "DATA");
	struct mpart *mp = &m->parts[i];
	if (err) {
		chaindist_part_failed(m->cd, (unsigned)i, sender, err, now);
	} else if (json_is_object(data)) {
		mp->kernel_s = json_number_value(json_object_get(data, "SECONDS"));
		mp->io_s = json_number_value(json_object_get(data, "R1FS_SECONDS"));
		mp->fetch_s = json_number_value(json_object_get(data, "FETCH_SECONDS"));
		mp->gflops = json_number_value(json_object_get(data, "GFLOPS"));
		const char *cid = json_string_value(json_object_get(data, "RESULT_CID"));
		const json_t *hits = json_object_get(data, "RESULTS");
		if (m->kind == CD_SEARCH && json_is_array(hits)) {
			json_decref(mp->hits);
			mp->hits = json_incref((json_t *)hits);
			chaindist_part_done(m->cd, (unsigned)i, sender, "inline", now);
		} else if (m->kind == CD_MATMUL && cid && cid[0]) {
			chaindist_part_done(m->cd, (unsigned)i, sender, cid, now);
			if (mp->pf.state == PF_NONE && chaindist_part(m->cd, (size_t)i)->done)
				prefetch(m, (size_t)i, cid, sender);
		} else {
			chaindist_part_failed(m->cd, (unsigned)i, sender,
			                      "the worker's DATA has no result", now);
		}
	} else {
		chaindist_part_progress(m->cd, (unsigned)i, sender,
		                        json_number_value(json_object_get(msg, "PROGRESS")), now);
	}
}

static void worker_notification(struct master *m, const char *sender, const json_t *msg)
{
	const char *type = json_string_value(json_object_get(msg, K_NOTIFICATION_TYPE));
	if (!type || strcmp(type, NOTIF_TYPE_EXCEPTION) != 0)
		return;
	int i = part_of_pipeline(m, path_at(msg, 1), sender);
	if (i < 0)
		return;
	const char *info = json_string_value(json_object_get(msg, K_INFO));
	const char *text = json_string_value(json_object_get(msg, K_NOTIFICATION));
	chaindist_part_failed(m->cd, (unsigned)i, sender,
	                      info && *info ? info
	                      : text        ? text
	                                    : "worker exception",
	                      wall_ms(m));
}

static void heartbeat(struct master *m, const char *sender, const json_t *msg)
{
	struct compute_peer cp;
	bool has = compute_peer_from_status(msg, &cp);
	struct peer *p = peer_of(m, sender, has);
	if (!p)
		return;
	if (has)
		p->cp = cp;
	const char *st = json_string_value(json_object_get(msg, K_DEVICE_STATUS));
	bool down = st && strcmp(st, "SHUTDOWN") == 0;
	if (down != p->shutdown)
		m->nodes_changed = true;
	p->shutdown = down;
	if (down && m->cd)
		chaindist_node_lost(m->cd, sender, wall_ms(m));
}

static void on_session_msg(void *ctx, struct session *s, enum session_msg kind, const char *sender,
                           const json_t *msg)
{
	struct master *m = ctx;
	if (kind == SESSION_MSG_HEARTBEAT) {
		heartbeat(m, sender, msg);
	} else if (m->cd && m->stage == ST_RUNNING) {
		if (kind == SESSION_MSG_PAYLOAD)
			worker_payload(m, sender, msg);
		else
			worker_notification(m, sender, msg);
	}
	if (m->cd && m->stage == ST_RUNNING) {
		if (m->nodes_changed)
			refresh_candidates(m);
		chaindist_step(m->cd, wall_ms(m));
	}
}

/* Netmap events come from inside netmap calls: record, act at the next step. */
static void on_netmap(void *ctx, const struct nm_event *ev)
{
	struct master *m = ctx;
	if (!ev->node)
		return;
	if (ev->type == NM_EV_NODE_LOST && m->cd)
		chaindist_node_lost(m->cd, ev->node->info.addr, wall_ms(m));
	if (ev->type == NM_EV_NODE_LOST || ev->type == NM_EV_NODE_ONLINE ||
	    (ev->type == NM_EV_NODE_CHANGED && (ev->changed & ~NM_CHG_SEEN)))
		m->nodes_changed = true;
}

/* ---- the job ------------------------------------------------------------------------ */

static enum r1_err make_machine(struct master *m, char **why)
{
	struct plugin_instance *pi = m->pi;
	const json_t *nodes = json_object_get(plugin_config(pi), "NODES");
	const char *list[CD_MAX_PARTS];
	size_t nl = 0;
	for (size_t i = 0; i < json_array_size(nodes) && nl < CD_MAX_PARTS; i++) {
		const char *a = json_string_value(json_array_get(nodes, i));
		if (a && *a)
			list[nl++] = a;
	}
	json_int_t nr = plugin_cfg_int(pi, "NR_REMOTE_NODES", 0);
	struct cd_config cfg = {
	    .nr_remote_nodes = nr > 0 ? (unsigned)R1_MIN(nr, CD_MAX_PARTS) : 0,
	    .nodes = list,
	    .n_nodes = nl,
	    .node_timeout_ms = cfg_ms(m, "NODE_TIMEOUT", 150),
	    .start_timeout_ms = cfg_ms(m, "START_TIMEOUT", 0),
	    .wait_nodes_ms = cfg_ms(m, "WAIT_NODES", 0),
	    .ping_min_ms = cfg_ms(m, "PING_SEND_PERIOD_MIN", 2),
	    .ping_max_ms = cfg_ms(m, "PING_SEND_PERIOD_MAX", 10),
	    .max_attempts = (unsigned)R1_MAX(1, plugin_cfg_int(pi, "MAX_ATTEMPTS", 3)),
	    .split_by_gflops = plugin_cfg_bool(pi, "SPLIT_BY_GFLOPS", true),
	    .cancel_all_on_exception = plugin_cfg_bool(pi, "CANCEL_ALL_JOBS_ON_EXCEPTION", false),
	    .self_addr = node_address(m->node),
	    .allow_self = plugin_cfg_bool(pi, "ALLOW_SELF", false),
	};
	size_t es = mx_dtype_size(m->dtype);
	struct cd_job job = {
	    .kind = m->kind,
	    .job_id = m->job_id,
	    .rows = m->rows,
	    .bytes_per_row = m->kind == CD_MATMUL ? (m->inner + m->cols) * es
	                                          : m->inner * sizeof(float) + m->k * 16,
	    .fixed_bytes = m->aux_bytes,
	    .flops_per_row = 2.0 * (double)m->inner * (double)(m->kind == CD_MATMUL ? m->cols : 1),
	};
	struct cd_effects fx = {
	    .ctx = m,
	    .deploy = fx_deploy,
	    .close = fx_close,
	    .track = fx_track,
	    .payload = fx_payload,
	    .split = fx_split,
	    .aggregate = fx_aggregate,
	};
	enum r1_err e = chaindist_new(&cfg, &job, &fx, wall_ms(m), &m->cd, why);
	if (!e && (e = compute_add_chaindist(m->eng, m->cd, why)))
		chaindist_free(&m->cd);
	return e;
}

/*
 * ST_WAITING: run the machine once enough workers are known (or
 * DISCOVERY_TIME passed); until then say what it waits for, as often as the
 * machine would.
 */
static void try_run(struct master *m)
{
	refresh_candidates(m);
	uint64_t waited = mono(m) - m->t_open;
	if (usable_nodes(m) < wanted_nodes(m) && waited < cfg_ms(m, "DISCOVERY_TIME", 12)) {
		uint64_t every = cfg_ms(m, "PING_SEND_PERIOD_MAX", 10);
		if (!m->waiting_payload_ms || mono(m) - m->waiting_payload_ms >= every) {
			m->waiting_payload_ms = mono(m);
			json_t *f = chaindist_status_json(m->cd, wall_ms(m));
			if (f)
				json_object_set_new(f, "WAITING_FOR_NODES",
				                    json_pack("{s:i,s:i}", "KNOWN",
				                              (int)usable_nodes(m), "WANTED",
				                              (int)wanted_nodes(m)));
			plugin_emit(m->pi, f, NULL);
		}
		return;
	}
	LOG_I(plugin_log(m->pi), LOGMOD,
	      "%s: %" PRIu64 " rows over %u of %u wanted workers (%zu candidates)", m->job_id,
	      m->rows, R1_MIN(usable_nodes(m), wanted_nodes(m)), wanted_nodes(m), m->ncands);
	m->stage = ST_RUNNING;
	m->t_running = mono(m);
	if (m->resumed)
		m->t_split = m->t_running;
	chaindist_step(m->cd, wall_ms(m));
}

/* The machine exists: wait for workers, then run. */
static void start_machine(struct master *m)
{
	m->stage = ST_WAITING;
	try_run(m);
}

/* Both shapes known: check them, make the machine. */
static void loads_done(struct master *m)
{
	if (m->loads_pending || m->load_failed)
		return;
	m->t_loaded = mono(m);
	if (m->kind == CD_MATMUL && m->inner != m->b_inner) {
		char why[200];
		snprintf(why, sizeof(why),
		         "non-conforming dimensions: op(A) is %" PRIu64 " x %" PRIu64
		         ", op(B) is %" PRIu64 " x %" PRIu64,
		         m->rows, m->inner, m->b_inner, m->cols);
		matrix_release(&m->src);
		finish_early(m, why);
		return;
	}
	char *why = NULL;
	if (make_machine(m, &why)) {
		finish_early(m, why ? why : "out of memory");
		r1_free(why);
		return;
	}
	start_machine(m);
}

static bool load_ok(struct master *m, const struct compute_result *r)
{
	m->loads_pending--;
	if (r->state == COMPUTE_DONE)
		return true;
	if (!m->load_failed)
		finish_early(m, r->why ? r->why : r1_strerror(r->err));
	m->load_failed = true;
	return false;
}

static void on_loaded_in(void *ctx, struct compute_result *r)
{
	struct master *m = ctx;
	m->jobs[0] = 0;
	if (!load_ok(m, r))
		return;
	matrix_move(&m->src, &r->c);
	bool t = m->kind == CD_MATMUL && m->trans_a;
	m->rows = t ? r->cols : r->rows;
	m->inner = t ? r->rows : r->cols;
	loads_done(m);
}

static void on_loaded_aux(void *ctx, struct compute_result *r)
{
	struct master *m = ctx;
	m->jobs[1] = 0;
	if (!load_ok(m, r))
		return;
	m->cols = m->trans_b ? r->rows : r->cols;
	m->b_inner = m->trans_b ? r->cols : r->rows;
	m->aux_bytes = (uint64_t)r->rows * r->cols * mx_dtype_size(m->dtype);
	loads_done(m);
}

/* Read the config into the job; a reason on a bad one. */
static bool read_job(struct master *m, char *why, size_t cap)
{
	struct plugin_instance *pi = m->pi;
	const char *kind = plugin_cfg_str(pi, "KIND", "MATMUL");
	if (strcasecmp(kind, "MATMUL") == 0)
		m->kind = CD_MATMUL;
	else if (strcasecmp(kind, "SEARCH") == 0)
		m->kind = CD_SEARCH;
	else
		return snprintf(why, cap, "KIND '%.20s' (MATMUL, SEARCH)", kind), false;
	if (!mx_dtype_parse(plugin_cfg_str(pi, "DTYPE", "float64"), &m->dtype))
		return snprintf(why, cap, "DTYPE (float32, float64)"), false;
	const char *in = plugin_cfg_str(pi, m->kind == CD_MATMUL ? "A_CID" : "QUERY_CID", NULL);
	const char *aux = plugin_cfg_str(pi, m->kind == CD_MATMUL ? "B_CID" : "INDEX_CID", NULL);
	if (!in || !*in || !aux || !*aux)
		return snprintf(why, cap, "%s needs %s", kind,
		                m->kind == CD_MATMUL ? "A_CID and B_CID"
		                                     : "QUERY_CID and INDEX_CID"),
		       false;
	if (strlen(in) >= sizeof(m->in_cid) || strlen(aux) >= sizeof(m->aux_cid))
		return snprintf(why, cap, "a CID is too long"), false;
	copy_text(m->in_cid, sizeof(m->in_cid), in);
	copy_text(m->aux_cid, sizeof(m->aux_cid), aux);
	m->trans_a = plugin_cfg_bool(pi, "TRANS_A", false);
	m->trans_b = plugin_cfg_bool(pi, "TRANS_B", false);
	m->alpha = plugin_cfg_real(pi, "ALPHA", 1.0);
	json_int_t k = plugin_cfg_int(pi, "K", 10);
	m->k = m->kind == CD_SEARCH ? (size_t)(k > 0 ? k : 1) : 0;
	if (m->kind == CD_SEARCH)
		m->dtype = MX_F32; /* the index is float32 */
	return true;
}

static void start_loads(struct master *m)
{
	char owner[160], *why = NULL;
	struct compute_meta meta = meta_of(m, owner, sizeof(owner));
	m->stage = ST_LOADING;
	m->t_start = mono(m);
	m->loads_pending = m->kind == CD_MATMUL ? 2 : 1;
	enum r1_err e = compute_submit_load(m->eng, &meta, m->in_cid,
	                                    m->kind == CD_MATMUL ? "A" : "the queries", true,
	                                    mem_limit(m), on_loaded_in, m, &m->jobs[0], &why);
	if (!e && m->kind == CD_MATMUL)
		e = compute_submit_load(m->eng, &meta, m->aux_cid, "B", false, mem_limit(m),
		                        on_loaded_aux, m, &m->jobs[1], &why);
	if (e && !m->load_failed) {
		m->load_failed = true;
		finish_early(m, why ? why : r1_strerror(e));
	}
	r1_free(why);
}

/* ---- a restarted master ---------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/*
 * What CStore holds of this job, when it is the same job: true when the
 * master took it up from there (finished: the final payload again;
 * unfinished: its plan, done parts kept).
 */
static bool resume(struct master *m)
{
	json_t *job = load_field(m, "job");
	json_t *fin = load_field(m, "final");
	json_t *in = load_field(m, "inputs");
	bool took = false;
	bool same = in && strcmp(jstr(in, "IN_CID"), m->in_cid) == 0 &&
	            strcmp(jstr(in, "AUX_CID"), m->aux_cid) == 0 &&
	            strcmp(jstr(in, "DTYPE"), mx_dtype_name(m->dtype)) == 0;
	if (!job || !same)
		goto out;
	if (strcmp(jstr(job, "STATE"), cd_state_name(CD_FINISHED)) == 0) {
		if (!json_is_true(json_object_get(fin, "SUCCESS")))
			goto out; /* a failed job runs again */
		json_t *f = json_deep_copy(fin);
		if (f) {
			json_object_set_new(f, "RESUMED", json_true());
			plugin_emit(m->pi, f, NULL);
		}
		m->stage = ST_DONE;
		took = true;
		LOG_I(plugin_log(m->pi), LOGMOD, "%s: finished before (%s): result sent again",
		      m->job_id, jstr(job, "RESULT"));
		goto out;
	}
	const json_t *pin = json_object_get(in, "PART_INPUTS"), *pp = json_object_get(in, "PARTS");
	size_t n = json_array_size(pin);
	if (!n || n > CD_MAX_PARTS || json_array_size(pp) != n)
		goto out;
	m->rows = (uint64_t)json_integer_value(json_object_get(in, "ROWS"));
	m->inner = (uint64_t)json_integer_value(json_object_get(in, "INNER"));
	m->cols = (uint64_t)json_integer_value(json_object_get(in, "COLS"));
	m->inputs = r1_calloc(n, sizeof(*m->inputs));
	if (!m->inputs)
		goto out;
	m->ninputs = n;
	struct cd_restored_part rp[CD_MAX_PARTS];
	json_t *recs[CD_MAX_PARTS] = {0};
	for (size_t i = 0; i < n; i++) {
		copy_text(m->inputs[i], sizeof(m->inputs[i]),
		          json_string_value(json_array_get(pin, i)));
		char field[24];
		snprintf(field, sizeof(field), "part:%zu", i);
		recs[i] = load_field(m, field);
		const json_t *q = json_array_get(pp, i);
		rp[i] = (struct cd_restored_part){
		    .row0 = (uint64_t)json_integer_value(json_object_get(q, "ROW0")),
		    .rows = (uint64_t)json_integer_value(json_object_get(q, "ROWS")),
		    .node = json_string_value(json_object_get(recs[i], "NODE")),
		    .attempts = (unsigned)json_integer_value(json_object_get(recs[i], "ATTEMPT")),
		};
		/* SEARCH hits are not kept in CStore: those parts run again */
		if (m->kind == CD_MATMUL && strcmp(jstr(recs[i], "STATE"), "CLOSED_JOB") == 0)
			rp[i].result = json_string_value(json_object_get(recs[i], "RESULT"));
	}
	char *why = NULL;
	if (!make_machine(m, &why)) {
		if (chaindist_restore(m->cd, rp, n, wall_ms(m), &why)) {
			compute_remove_chaindist(m->eng, m->cd);
			chaindist_free(&m->cd);
		} else {
			took = true;
		}
	}
	if (took) {
		m->resumed = true;
		m->t_start = m->t_loaded = mono(m);
		/* close what the previous run left on the workers */
		for (size_t i = 0; i < n; i++) {
			if (rp[i].result || !rp[i].node || !rp[i].node[0] || !rp[i].attempts)
				continue;
			char pipe[NM_NAME_MAX + 1];
			snprintf(pipe, sizeof(pipe), "%s_w%zu_%u", m->job_id, i, rp[i].attempts);
			session_close_pipeline(m->sess, rp[i].node, pipe, NULL, NULL, NULL);
		}
		size_t done = 0;
		for (size_t i = 0; i < n; i++)
			done += rp[i].result != NULL;
		LOG_I(plugin_log(m->pi), LOGMOD, "%s: resumed from CStore, %zu of %zu parts done",
		      m->job_id, done, n);
		start_machine(m);
	} else {
		r1_free(m->inputs);
		m->inputs = NULL;
		m->ninputs = 0;
		LOG_W(plugin_log(m->pi), LOGMOD, "%s: cannot resume: %s", m->job_id,
		      why ? why : "?");
	}
	r1_free(why);
	for (size_t i = 0; i < n; i++)
		json_decref(recs[i]);
out:
	json_decref(job);
	json_decref(fin);
	json_decref(in);
	return took;
}

/* ---- the plugin ------------------------------------------------------------------ */

static void master_free(struct master *m)
{
	if (!m)
		return;
	if (m->cd) {
		/*
		 * Closed before the end (pipeline removed, node stopping): the
		 * workers are told to stop (best effort), and CStore keeps the job
		 * as it stands so that a master deployed again resumes it.
		 */
		if (chaindist_state(m->cd) != CD_FINISHED && m->sess) {
			for (size_t i = 0; i < chaindist_nparts(m->cd); i++) {
				const struct cd_part *p = chaindist_part(m->cd, i);
				if (p->state == CD_WAITING_START_CONFIMATION ||
				    p->state == CD_JOB_PROGRESS)
					fx_close(m, m->cd, p);
			}
			json_t *job = json_pack("{s:s,s:f,s:i,s:n,s:s}", "STATE",
			                        cd_state_name(chaindist_state(m->cd)), "PROGRESS",
			                        chaindist_progress(m->cd), "NR_PARTS",
			                        (int)chaindist_nparts(m->cd), "RESULT", "ERROR",
			                        "the master was closed before the job finished");
			if (job)
				store_field(m, "job", job);
			json_decref(job);
		}
		compute_remove_chaindist(m->eng, m->cd);
	}
	for (size_t i = 0; i < R1_ARRAY_LEN(m->jobs); i++)
		if (m->jobs[i])
			compute_forget(m->eng, m->jobs[i]);
	for (size_t i = 0; i < CD_MAX_PARTS; i++) {
		if (m->parts[i].pf.state == PF_PENDING)
			r1fs_manager_forget(m->node, m->parts[i].pf.id);
		pipespec_free(&m->parts[i].spec);
		json_decref(m->parts[i].hits);
	}
	if (m->nm)
		netmap_unobserve(m->nm, on_netmap, m);
	if (m->sess)
		node_close_session(m->node, &m->sess);
	chaindist_free(&m->cd);
	matrix_release(&m->src);
	r1_free(m->inputs);
	r1_free(m->peers);
	r1_free(m->cands);
	r1_free(m->owner);
	r1_free(m);
}

static enum r1_err master_init(struct plugin_instance *pi, void **state, char **why)
{
	struct node *n = plugin_node(pi);
	if (!n || !node_compute(n))
		return r1_fail(why, R1_ERR_STATE, "not running on a node");
	struct master *m = r1_calloc(1, sizeof(*m));
	if (!m)
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	m->pi = pi;
	m->node = n;
	m->eng = node_compute(n);
	const char *id = plugin_cfg_str(pi, "JOB_ID", NULL);
	if (id && *id)
		snprintf(m->job_id, sizeof(m->job_id), "%s", id);
	else /* unique enough across masters deploying on the same workers */
		snprintf(m->job_id, sizeof(m->job_id), "%.30s_%.6s", plugin_stream(pi),
		         node_address(n) + strlen(R1_ADDR_PREFIX));
	for (char *p = m->job_id; *p; p++)
		if (*p == '/' || *p == '+' || *p == '#' || (unsigned char)*p < 0x20)
			*p = '_';
	snprintf(m->hkey, sizeof(m->hkey), "chaindist:%s", m->job_id);
	json_t *path = json_pack("[s,s,s,s]", node_alias(n), plugin_stream(pi),
	                         plugin_signature(pi), plugin_instance_id(pi));
	m->owner = path ? json_dumps(path, JSON_COMPACT) : NULL;
	json_decref(path);
	enum r1_err e = m->owner ? node_open_session(n, node_alias(n), &m->sess, why)
	                         : r1_fail(why, R1_ERR_NOMEM, "out of memory");
	if (!e) {
		m->nm = node_session_netmap(n, m->sess);
		if (!m->nm || netmap_observe(m->nm, on_netmap, m))
			e = r1_fail(why, R1_ERR_NOMEM, "out of memory");
	}
	if (e) {
		master_free(m);
		return e;
	}
	session_set_observer(m->sess, on_session_msg, m);
	m->t_open = mono(m);
	*state = m;
	return R1_OK;
}

static enum r1_err master_process(struct plugin_instance *pi, void *state, const json_t *input,
                                  char **why)
{
	struct master *m = state;
	switch (m->stage) {
	case ST_NEW: {
		char reason[300];
		if (!read_job(m, reason, sizeof(reason))) {
			finish_early(m, reason);
			return R1_OK;
		}
		if (!node_r1fs(m->node)) {
			finish_early(m, "this node has no R1FS");
			return R1_OK;
		}
		if (!(plugin_cfg_bool(pi, "RESUME", true) && resume(m)))
			start_loads(m);
		return R1_OK;
	}
	case ST_LOADING:
	case ST_DONE:
		return R1_OK;
	case ST_WAITING:
		try_run(m);
		return R1_OK;
	case ST_RUNNING:
		if (m->nodes_changed || mono(m) - m->cands_ms >= CANDIDATES_EVERY_MS)
			refresh_candidates(m);
		chaindist_step(m->cd, wall_ms(m));
		return R1_OK;
	}
	return R1_OK;
}

static enum r1_err master_command(struct plugin_instance *pi, void *state, const json_t *data,
                                  const json_t *params, char **why)
{
	struct master *m = state;
	const char *cmd = json_is_string(data)
	                      ? json_string_value(data)
	                      : json_string_value(json_object_get(data, "COMMAND"));
	if (!cmd || strcasecmp(cmd, "CANCEL") != 0)
		return r1_fail(why, R1_ERR_INVAL, "unknown command; the one it takes is CANCEL");
	if (m->stage == ST_DONE)
		return R1_OK;
	if (!m->cd) {
		for (size_t i = 0; i < R1_ARRAY_LEN(m->jobs); i++)
			if (m->jobs[i])
				compute_forget(m->eng, m->jobs[i]);
		memset(m->jobs, 0, sizeof(m->jobs));
		m->load_failed = true;
		finish_early(m, "cancelled: CANCEL command");
		return R1_OK;
	}
	m->stage = ST_RUNNING;
	chaindist_cancel(m->cd, "CANCEL command", wall_ms(m));
	return R1_OK;
}

static void master_close(struct plugin_instance *pi, void *state)
{
	master_free(state);
}

const struct plugin_ops plugin_chain_dist_master_01 = {
    .signature = "CHAIN_DIST_MASTER_01",
    .version = "1.0.0",
    .defaults = defaults,
    .schema = "chain_dist_master_01.json",
    .init = master_init,
    .process = master_process,
    .command = master_command,
    .close = master_close,
};
