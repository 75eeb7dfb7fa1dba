/*
 * CHAIN_DIST_WORKER_01: one part of a ChainDist job, on the node the master
 * chose, in the pipeline it deployed (<JOB_ID>_w<part>_<attempt>, TYPE Void).
 * MATMUL: its rows of op(A) (A_CID, cut by the master) times B (B_CID),
 * stored in R1FS; SEARCH: its batch of queries (QUERY_CID) against the
 * index (INDEX_CID), hits returned inline.  Its inputs are first brought
 * from its MASTER through the R1FS exchange (the master cut them moments
 * ago, so they are in nobody's announcement yet); what the master lacks is
 * fetched from the other peers when the job reads it.  It reports as the reference's
 * workers do: payloads with PROGRESS while it runs, then PROGRESS 100 and
 * DATA (the result), or an EXCEPTION notification and a payload with ERROR
 * when the part fails; the master reads both.  Keys and payload:
 * data/plugins/chain_dist_worker_01.json.
 */
#include "node/lib.h"
#include "node/plugin.h"
#include "node/node.h"
#include "node/compute/compute.h"
#include "node/compute/mxjson.h"
#include "node/r1fs/r1fs_manager.h"
#include "core/proto.h"

#include <math.h>
#include <strings.h>

/* An input brought from the master before the job starts. */
struct fetch {
	struct worker *w;
	uint64_t id;
	bool pending;
};

struct worker {
	struct plugin_instance *pi;
	uint64_t job;
	bool started, finished;
	struct fetch fetches[2]; /* the inputs from the master (A and B, or index and queries) */
	uint64_t fetch_from_ms, fetch_to_ms; /* monotonic: how long bringing them took */
	double last_progress;
	struct vindex *index; /* SEARCH: loaded first */
};

static const char defaults[] =
    "{\"PROCESS_DELAY\": 1, \"ALLOW_EMPTY_INPUTS\": true, \"KIND\": \"MATMUL\","
    " \"JOB_ID\": null, \"PART\": 0, \"MASTER\": null, \"A_CID\": null, \"B_CID\": null,"
    " \"TRANS_B\": false, \"ALPHA\": 1.0, \"DTYPE\": \"float64\", \"INDEX_CID\": null,"
    " \"QUERY_CID\": null, \"K\": 10, \"MAX_MEMORY_MB\": 0, \"PREFETCH_FROM_MASTER\": true}";

static struct compute *engine_of(struct plugin_instance *pi)
{
	struct node *n = plugin_node(pi);
	return n ? node_compute(n) : NULL;
}

/* JOB_ID and PART, in every payload so the master can match it. */
static json_t *fields(struct plugin_instance *pi, double progress)
{
	const char *job = plugin_cfg_str(pi, "JOB_ID", NULL);
	return json_pack("{s:s?,s:I,s:f}", "JOB_ID", job, "PART",
	                 (json_int_t)plugin_cfg_int(pi, "PART", 0), "PROGRESS", progress);
}

static void fail(struct worker *w, const char *why)
{
	w->finished = true;
	json_t *f = fields(w->pi, w->last_progress < 0 ? 0 : w->last_progress);
	if (f)
		json_object_set_new(f, "ERROR", json_string(why));
	plugin_emit(w->pi, f, NULL);
	char msg[400];
	snprintf(msg, sizeof(msg), "CHAIN_DIST_WORKER_01: part %d failed: %s",
	         (int)plugin_cfg_int(w->pi, "PART", 0), why);
	plugin_notify(w->pi, NOTIF_TYPE_EXCEPTION, 0, msg, why, NULL);
}

static uint64_t mem_limit(struct plugin_instance *pi)
{
	json_int_t mb = plugin_cfg_int(pi, "MAX_MEMORY_MB", 0);
	return mb > 0 ? (uint64_t)mb << 20 : 0;
}

static void on_product(void *ctx, struct compute_result *r)
{
	struct worker *w = ctx;
	w->job = 0;
	if (r->state != COMPUTE_DONE) {
		fail(w, r->why ? r->why : r1_strerror(r->err));
		return;
	}
	w->finished = true;
	json_t *f = fields(w->pi, 100.0);
	if (f)
		json_object_set_new(
		    f, "DATA",
		    json_pack("{s:I,s:s,s:f,s:f,s:f,s:f}", "PART",
		              (json_int_t)plugin_cfg_int(w->pi, "PART", 0), "RESULT_CID",
		              r->result_cid, "SECONDS", r->seconds, "GFLOPS",
		              round(r->gflops * 100) / 100, "R1FS_SECONDS", r->io_seconds,
		              "FETCH_SECONDS",
		              (double)(w->fetch_to_ms - w->fetch_from_ms) / 1000.0));
	plugin_emit(w->pi, f, NULL);
}

static void on_search(void *ctx, struct compute_result *r)
{
	struct worker *w = ctx;
	w->job = 0;
	if (r->state != COMPUTE_DONE) {
		fail(w, r->why ? r->why : r1_strerror(r->err));
		return;
	}
	w->finished = true;
	json_t *f = fields(w->pi, 100.0);
	if (f)
		json_object_set_new(f, "DATA",
		                    json_pack("{s:I,s:o,s:I,s:f}", "PART",
		                              (json_int_t)plugin_cfg_int(w->pi, "PART", 0),
		                              "RESULTS", mxjson_hits(r->hits, r->nq, r->k), "K",
		                              (json_int_t)r->k, "SECONDS", r->seconds));
	plugin_emit(w->pi, f, NULL);
}

static enum r1_err start_search(struct worker *w, char **why);

static void on_index(void *ctx, struct compute_result *r)
{
	struct worker *w = ctx;
	w->job = 0;
	if (r->state != COMPUTE_DONE) {
		fail(w, r->why ? r->why : r1_strerror(r->err));
		return;
	}
	w->index = r->index;
	r->index = NULL;
	char *why = NULL;
	if (start_search(w, &why))
		fail(w, why ? why : "search not started");
	r1_free(why);
}

static struct compute_meta meta_of(struct plugin_instance *pi, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s", plugin_stream(pi), plugin_instance_id(pi));
	return (struct compute_meta){.owner = buf};
}

static enum r1_err start_search(struct worker *w, char **why)
{
	struct plugin_instance *pi = w->pi;
	struct compute_operand q = {.cid = plugin_cfg_str(pi, "QUERY_CID", NULL)};
	if (!q.cid)
		return r1_fail(why, R1_ERR_INVAL, "SEARCH needs QUERY_CID");
	char owner[160];
	struct compute_meta meta = meta_of(pi, owner, sizeof(owner));
	json_int_t k = plugin_cfg_int(pi, "K", 10);
	return compute_submit_search_op(engine_of(pi), &meta, w->index, &q, (size_t)(k > 0 ? k : 1),
	                                mem_limit(pi), on_search, w, &w->job, why);
}

static enum r1_err start(struct plugin_instance *pi, struct worker *w, char **why)
{
	struct compute *c = engine_of(pi);
	const char *kind = plugin_cfg_str(pi, "KIND", "MATMUL");
	char owner[160];
	struct compute_meta meta = meta_of(pi, owner, sizeof(owner));
	if (strcasecmp(kind, "SEARCH") == 0) {
		struct compute_operand e = {.cid = plugin_cfg_str(pi, "INDEX_CID", NULL)};
		if (!e.cid)
			return r1_fail(why, R1_ERR_INVAL, "SEARCH needs INDEX_CID");
		return compute_submit_index_op(c, &meta, &e, mem_limit(pi), on_index, w, &w->job,
		                               why);
	}
	if (strcasecmp(kind, "MATMUL") != 0)
		return r1_fail(why, R1_ERR_INVAL, "KIND '%.20s' (MATMUL, SEARCH)", kind);
	struct compute_gemm_req g = {0};
	g.a.cid = plugin_cfg_str(pi, "A_CID", NULL);
	g.b.cid = plugin_cfg_str(pi, "B_CID", NULL);
	if (!g.a.cid || !g.b.cid)
		return r1_fail(why, R1_ERR_INVAL, "MATMUL needs A_CID and B_CID");
	g.spec.trans_b = plugin_cfg_bool(pi, "TRANS_B", false);
	g.spec.alpha = plugin_cfg_real(pi, "ALPHA", 1.0);
	if (!mx_dtype_parse(plugin_cfg_str(pi, "DTYPE", "float64"), &g.spec.dtype))
		return r1_fail(why, R1_ERR_INVAL, "DTYPE (float32, float64)");
	char name[48];
	snprintf(name, sizeof(name), "cpart_%d.r1mx", (int)plugin_cfg_int(pi, "PART", 0));
	g.store_as = name;
	g.mem_limit = mem_limit(pi);
	return compute_submit_gemm_req(c, &meta, &g, on_product, w, &w->job, why);
}

static void begin(struct worker *w)
{
	char *why = NULL;
	enum r1_err err = start(w->pi, w, &why);
	if (err)
		fail(w, why ? why : r1_strerror(err));
	r1_free(why);
}

static void on_fetched(void *ctx, enum r1_err err, const char *why)
{
	struct fetch *f = ctx;
	struct worker *w = f->w;
	f->pending = false;
	f->id = 0;
	if (err) /* the job's own fetches try the other peers */
		LOG_D(plugin_log(w->pi), "compute", "%s: an input from the master: %s",
		      plugin_stream(w->pi), why ? why : r1_strerror(err));
	for (size_t i = 0; i < R1_ARRAY_LEN(w->fetches); i++)
		if (w->fetches[i].pending)
			return;
	w->fetch_to_ms = plugin_now_ms(w->pi);
	begin(w);
}

/* Bring the inputs from the master; false when there is nothing to wait for. */
static bool fetch_inputs(struct worker *w)
{
	struct plugin_instance *pi = w->pi;
	const char *master = plugin_cfg_str(pi, "MASTER", NULL);
	bool search = strcasecmp(plugin_cfg_str(pi, "KIND", "MATMUL"), "SEARCH") == 0;
	const char *cids[2] = {plugin_cfg_str(pi, search ? "INDEX_CID" : "A_CID", NULL),
	                       plugin_cfg_str(pi, search ? "QUERY_CID" : "B_CID", NULL)};
	if (!master || !*master || !plugin_cfg_bool(pi, "PREFETCH_FROM_MASTER", true))
		return false;
	w->fetch_from_ms = w->fetch_to_ms = plugin_now_ms(pi);
	bool any = false;
	for (size_t i = 0; i < R1_ARRAY_LEN(cids); i++) {
		struct fetch *f = &w->fetches[i];
		f->w = w;
		f->pending = cids[i] && r1fs_manager_fetch(plugin_node(pi), cids[i], master,
		                                           on_fetched, f, &f->id, NULL) == R1_OK;
		any |= f->pending;
	}
	return any;
}

static enum r1_err worker_init(struct plugin_instance *pi, void **state, char **why)
{
	if (!engine_of(pi))
		return r1_fail(why, R1_ERR_STATE, "not running on a node");
	struct worker *w = r1_calloc(1, sizeof(*w));
	if (!w)
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	w->pi = pi;
	w->last_progress = -1;
	*state = w;
	return R1_OK;
}

static enum r1_err worker_process(struct plugin_instance *pi, void *state, const json_t *input,
                                  char **why)
{
	struct worker *w = state;
	if (!w->started) {
		w->started = true;
		if (!fetch_inputs(w))
			begin(w);
		return w->finished ? R1_OK : plugin_emit(pi, fields(pi, 0.0), why);
	}
	if (w->finished)
		return R1_OK;
	if (!w->job) /* bringing the inputs: still alive */
		return plugin_emit(pi, fields(pi, 0.0), why);
	/* A payload each period: progress for the view, and a sign of life for the master. */
	struct compute_job_info info;
	double p = w->last_progress < 0 ? 0 : w->last_progress;
	if (compute_job_get(engine_of(pi), w->job, &info) && info.state == COMPUTE_RUNNING)
		p = round(info.progress * 990.0) / 10.0; /* 100 only with the result */
	w->last_progress = p;
	return plugin_emit(pi, fields(pi, p), why);
}

static void worker_close(struct plugin_instance *pi, void *state)
{
	struct worker *w = state;
	struct compute *c = engine_of(pi);
	for (size_t i = 0; i < R1_ARRAY_LEN(w->fetches); i++)
		if (w->fetches[i].pending)
			r1fs_manager_forget(plugin_node(pi), w->fetches[i].id);
	if (w->job && c)
		compute_forget(c, w->job);
	vindex_unref(&w->index);
	r1_free(w);
}

const struct plugin_ops plugin_chain_dist_worker_01 = {
    .signature = "CHAIN_DIST_WORKER_01",
    .version = "1.0.0",
    .defaults = defaults,
    .schema = "chain_dist_worker_01.json",
    .init = worker_init,
    .process = worker_process,
    .close = worker_close,
};
