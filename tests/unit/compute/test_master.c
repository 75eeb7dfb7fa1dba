/*
 * CHAIN_DIST_MASTER_01 for real, in one process: an oracle, the master's
 * node and three worker nodes, each a full node (its own bus endpoint on
 * one hub, compute engine, R1FS store, CStore), all allowing each other.
 * Blocks a store lacks come through the R1FS exchange between the nodes
 * (R1FS_MANAGER over the hub), behind a test gate in the store's fetch
 * hook that can hold a node's fetches, so a worker is caught mid-part for
 * certain.
 *
 *  - bad inputs fail the job with the reason in the final payload and an
 *    EXCEPTION notification: non-conforming dimensions, a missing CID;
 *  - a 3-part product: every part deployed through the master's in-node
 *    session and running; the worker of part 1 is killed (node_free) while
 *    its part is held at the gate; the part moves to another node (attempt
 *    2) and the job completes; C equals cblas_dgemm on the same operands
 *    and the naive product (max relative error stated); the payloads
 *    carry the reference's state names; CStore holds the job and every
 *    part (part 1: attempt 2, not on the killed node); the workers'
 *    pipelines are all closed; TIMINGS are in the final payload; the
 *    console's registry lists the machine while the master lives;
 *  - a master deployed again for the finished job sends its result again
 *    from CStore without deploying anything (RESUMED);
 *  - a worker gone silent (its instance paused: no payload) loses its part
 *    after NODE_TIMEOUT, and the other worker runs it;
 *  - a master removed mid-job (one part done, one held) and deployed again
 *    resumes from CStore: the done part is kept (attempt 1), the other
 *    runs again elsewhere, and C is still right;
 *  - a vector search split by query batches over two workers: the merged
 *    hits (a JSON file in the master's R1FS) equal one search over all
 *    queries at once.
 */
#include "node/lib.h"
#include "node/fsutil.h"
#include "node/nodepriv.h"
#include "node/compute/chaindist.h"
#include "node/compute/compute.h"
#include "node/compute/mxjson.h"
#include "node/compute/mxstore.h"
#include "node/compute/vindex.h"
#include "node/cstore/cstore.h"
#include "node/r1fs/r1fs.h"
#include "node/r1fs/xchg.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/loop.h"
#include "core/proto.h"
#include "tests/tap.h"
#include "tests/unit/compute/refblas.h"

#include <cblas.h>
#include <jansson.h>
#include <pthread.h>

enum { ORACLE, MASTER, W1, W2, W3, NNODES };

static const char *const aliases[NNODES] = {"cd-oracle", "cd-master", "cd-w1", "cd-w2", "cd-w3"};

static struct loop *L;
static struct bus_hub *H;
static struct bus *buses[NNODES];
static struct node *nodes[NNODES];
static char addrs[NNODES][R1_ADDR_LEN + 1];
static json_t *payloads; /* the master node's payloads */
static json_t *notifs;   /* its notifications */

/* ---- a gate before the exchange (touched by worker threads) */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct r1fs *stores[NNODES];      /* NULL once the node is gone */
static struct xchg_gate *xgates[NNODES]; /* the node's own fetch hook: the exchange */
static bool held[NNODES];                /* fetches of node i wait while set */

static bool is_held(int i)
{
	pthread_mutex_lock(&mu);
	bool h = held[i] && stores[i];
	pthread_mutex_unlock(&mu);
	return h;
}

static enum r1_err fetch_elsewhere(void *ctx, const struct r1fs_cid *root,
                                   const struct r1fs_cid *cid, struct buf *out, char **why)
{
	int self = (int)(intptr_t)ctx;
	while (is_held(self))
		usleep(2000);
	pthread_mutex_lock(&mu);
	bool gone = !stores[self];
	pthread_mutex_unlock(&mu);
	if (gone)
		return r1_fail(why, R1_ERR_NOTFOUND, "the node is gone");
	return xchg_gate_fetch(xgates[self], root, cid, out, why);
}

static void hold(int i, bool h)
{
	pthread_mutex_lock(&mu);
	held[i] = h;
	pthread_mutex_unlock(&mu);
}

static void on_event(void *ctx, struct node *n, const struct node_event *ev)
{
	if (ev->type == NODE_EV_PAYLOAD && ev->message)
		json_array_append(payloads, (json_t *)ev->message);
	else if (ev->type == NODE_EV_NOTIFICATION && ev->message)
		json_array_append(notifs, (json_t *)ev->message);
}

static void world_up(void)
{
	char *why = NULL;
	payloads = json_array();
	notifs = json_array();
	if (loop_new(&L, &why) || bus_hub_new(L, 0, NULL, &H, &why))
		tap_bail("%s", why);
	for (int i = 0; i < NNODES; i++) {
		char *dir = fs_join(tap_tmpdir(), aliases[i]);
		const char *oracle = i ? addrs[ORACLE] : NULL;
		struct node_config cfg = {
		    .alias = aliases[i],
		    .data_dir = dir,
		    .oracle = i == ORACLE,
		    .secured = true,
		    .heartbeat_ms = 300,
		    .netmon_send_ms = 300,
		    .online_timeout_s = 5,
		    .oracles = oracle ? &oracle : NULL,
		    .n_oracles = oracle ? 1 : 0,
		    .exception_delay_ms = 500,
		    .compute_threads = 1,
		};
		if (bus_local_new(H, aliases[i], &buses[i], &why) ||
		    node_new(L, buses[i], &cfg, NULL, &nodes[i], &why))
			tap_bail("%s: %s", aliases[i], why);
		r1_free(dir);
		snprintf(addrs[i], sizeof(addrs[i]), "%s", node_address(nodes[i]));
		stores[i] = node_r1fs(nodes[i]);
		xgates[i] = nodes[i]->r1fs_gate;
		if (!stores[i] || !xgates[i])
			tap_bail("%s has no R1FS exchange", aliases[i]);
		r1fs_set_fetcher(stores[i], fetch_elsewhere, (void *)(intptr_t)i);
	}
	for (int i = 0; i < NNODES; i++)
		for (int j = 0; j < NNODES; j++)
			if (i != j && node_allow(nodes[i], addrs[j], aliases[j], &why))
				tap_bail("allow: %s", why);
	node_set_observer(nodes[MASTER], on_event, NULL);
	for (int i = 0; i < NNODES; i++)
		if (node_start(nodes[i], &why))
			tap_bail("start %s: %s", aliases[i], why);
}

static void kill_node(int i)
{
	pthread_mutex_lock(&mu);
	stores[i] = NULL; /* its held fetches give up */
	pthread_mutex_unlock(&mu);
	node_free(&nodes[i]);
	bus_free(&buses[i]);
}

static void world_down(void)
{
	for (int i = NNODES - 1; i >= 0; i--)
		if (nodes[i])
			kill_node(i);
	bus_hub_free(&H);
	loop_free(&L);
	json_decref(payloads);
	json_decref(notifs);
}

/* ---- helpers */

static const char *str(const json_t *m, const char *k)
{
	const char *s = json_string_value(json_object_get(m, k));
	return s ? s : "";
}

static int node_index(const char *addr)
{
	for (int i = 0; i < NNODES; i++)
		if (strcmp(addrs[i], addr) == 0)
			return i;
	return -1;
}

static void put(struct node *n, const struct matrix *m, const char *name,
                char cid[R1FS_CID_TEXT_MAX])
{
	struct matrix copy;
	char *why = NULL;
	if (matrix_convert(m, m->dtype, &copy, &why) ||
	    mxstore_put(node_r1fs(n), &copy, name, NULL, cid, &why))
		tap_bail("put: %s", why);
	matrix_release(&copy);
}

/*
 * Workers bring their inputs from the master before their job starts
 * (PREFETCH_FROM_MASTER), on the loop, past the test's gate; the tests that
 * catch a worker at the gate turn that off so that the job's own fetches
 * (through the gate) bring them.
 */
static bool gated;

static void deploy_master(const char *pipeline, json_t *inst)
{
	json_t *dflt =
	    json_pack("{s:s,s:f,s:f,s:f,s:f,s:f,s:{s:f,s:b}}", K_INSTANCE_ID, "m1", K_PROCESS_DELAY,
	              0.1, "NODE_TIMEOUT", 4.0, "DISCOVERY_TIME", 3.0, "PING_SEND_PERIOD_MIN", 0.2,
	              "PING_SEND_PERIOD_MAX", 1.0, "NODE_PLUGIN_CONFIG", K_PROCESS_DELAY, 0.2,
	              "PREFETCH_FROM_MASTER", !gated);
	json_object_update_missing(inst, dflt);
	json_decref(dflt);
	json_t *cfg = json_pack("{s:s,s:s,s:[{s:s,s:[o]}]}", K_NAME, pipeline, K_TYPE, "Void",
	                        K_PLUGINS, K_SIGNATURE, "CHAIN_DIST_MASTER_01", K_INSTANCES, inst);
	char *why = NULL;
	if (node_pipeline_set(nodes[MASTER], cfg, &why))
		tap_bail("pipeline %s: %s", pipeline, why);
}

static void remove_pipeline(const char *name)
{
	char *why = NULL;
	if (node_pipeline_remove(nodes[MASTER], name, false, &why))
		tap_bail("remove %s: %s", name, why);
}

/* The master's final payload of `stream` after index `from`, waiting up to max_ms. */
static json_t *final_of(const char *stream, size_t from, int max_ms)
{
	for (int t = 0; t <= max_ms / 5; t++) {
		for (size_t i = from; i < json_array_size(payloads); i++) {
			json_t *m = json_array_get(payloads, i);
			if (strcmp(str(m, K_STREAM_NAME), stream) == 0 &&
			    json_object_get(m, "SUCCESS"))
				return m;
		}
		loop_run_once(L, 5);
	}
	return NULL;
}

static bool saw_state(const char *stream, size_t from, const char *state)
{
	for (size_t i = from; i < json_array_size(payloads); i++) {
		json_t *m = json_array_get(payloads, i);
		if (strcmp(str(m, K_STREAM_NAME), stream) == 0 &&
		    strcmp(str(m, "STATE"), state) == 0)
			return true;
	}
	return false;
}

static const struct chaindist *the_machine(void)
{
	const struct chaindist *v[4];
	size_t n = compute_chaindists(node_compute(nodes[MASTER]), v, 4);
	return n ? v[n - 1] : NULL;
}

/* Run until every part of the master's machine is in `state` (or done). */
static bool parts_in(enum cd_part_state state, size_t nparts, int max_ms)
{
	for (int t = 0; t <= max_ms / 5; t++) {
		const struct chaindist *cd = the_machine();
		size_t k = 0;
		for (size_t i = 0; cd && i < chaindist_nparts(cd); i++)
			k += chaindist_part(cd, i)->state == state;
		if (cd && chaindist_nparts(cd) == nparts && k == nparts)
			return true;
		loop_run_once(L, 5);
	}
	return false;
}

static json_t *cstore_field(const char *job, const char *field)
{
	struct cstore *cs = node_cstore(nodes[MASTER]);
	char hkey[96];
	snprintf(hkey, sizeof(hkey), "chaindist:%s", job);
	const char *v = cs ? cstore_hget(cs, hkey, field, NULL) : NULL;
	return v ? json_loads(v, JSON_DECODE_ANY, NULL) : NULL;
}

/* Worker pipelines of `job` still on live nodes. */
static int worker_pipelines_left(const char *job)
{
	int n = 0;
	for (int i = W1; i <= W3; i++) {
		if (!nodes[i])
			continue;
		json_t *pipes = node_pipelines(nodes[i]);
		size_t k;
		json_t *p;
		json_array_foreach(pipes, k, p) n += strncmp(str(p, K_NAME), job, strlen(job)) == 0;
		json_decref(pipes);
	}
	return n;
}

static bool no_worker_pipelines(const char *job, int max_ms)
{
	for (int t = 0; t <= max_ms / 5; t++) {
		if (worker_pipelines_left(job) == 0)
			return true;
		loop_run_once(L, 5);
	}
	return false;
}

/* The product in the master's R1FS against cblas_dgemm and the naive one. */
static void check_product(const char *cid, const struct matrix *a, const struct matrix *b,
                          const char *what)
{
	struct matrix c = {0};
	char *why = NULL;
	if (mxstore_get(node_r1fs(nodes[MASTER]), cid, NULL, "C", 0, &c, &why)) {
		ok(0, "%s: the result %s is readable: %s", what, cid, why);
		r1_free(why);
		return;
	}
	size_t m = a->rows, k = a->cols, n = b->cols;
	is_int((int)c.rows * 10000 + (int)c.cols, (int)m * 10000 + (int)n, "%s: C is %zu x %zu",
	       what, m, n);
	double *direct = r1_calloc(m * n, sizeof(double));
	double *ref = r1_calloc(m * n, sizeof(double)), *scale = r1_calloc(m * n, sizeof(double));
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0, a->data,
	            (int)k, b->data, (int)n, 0.0, direct, (int)n);
	struct gemm_spec s = {.alpha = 1.0, .dtype = MX_F64};
	ref_gemm(&s, a, b, NULL, ref, scale);
	double rel = 0;
	for (size_t i = 0; c.rows == m && c.cols == n && i < m * n; i++) {
		double d = fabs(((const double *)c.data)[i] - direct[i]);
		double r = d / (fabs(direct[i]) > 1e-300 ? fabs(direct[i]) : 1.0);
		rel = r > rel || isnan(d) ? (isnan(d) ? INFINITY : r) : rel;
	}
	double e = c.rows == m && c.cols == n ? ref_max_err(&c, ref, scale) : INFINITY;
	ok(rel <= 1e-12, "%s: C equals cblas_dgemm (max relative error %.3g)", what, rel);
	ok(e <= 1e-14, "%s: and the naive product (max error %.3g of the bound)", what, e);
	r1_free(direct);
	r1_free(ref);
	r1_free(scale);
	matrix_release(&c);
}

/* ---- the tests */

static struct matrix A, B;
static char ca[R1FS_CID_TEXT_MAX], cb[R1FS_CID_TEXT_MAX];

static void test_bad_inputs(void)
{
	struct matrix b2;
	matrix_alloc(&b2, MX_F64, 50, 40, false, NULL); /* A is 300 x 200: 200 != 50 */
	ref_fill(&b2, 9);
	char cb2[R1FS_CID_TEXT_MAX];
	put(nodes[MASTER], &b2, "b2.r1mx", cb2);
	matrix_release(&b2);
	struct r1fs_add_opts only = R1FS_ADD_OPTS_INIT;
	only.only_hash = true;
	struct r1fs_added ghost;
	r1fs_add_bytes(node_r1fs(nodes[MASTER]), "nowhere", 7, "g.r1mx", &only, &ghost, NULL);
	struct {
		const char *pipeline;
		json_t *inst;
		const char *reason;
	} bad[] = {
	    {"cd_bad_dims", json_pack("{s:s,s:s}", "A_CID", ca, "B_CID", cb2),
	     "non-conforming dimensions: op(A) is 300 x 200, op(B) is 50 x 40"},
	    {"cd_bad_cid", json_pack("{s:s,s:s}", "A_CID", ghost.cid, "B_CID", cb), "not in R1FS"},
	    {"cd_bad_kind", json_pack("{s:s,s:s,s:s}", "KIND", "FFT", "A_CID", ca, "B_CID", cb),
	     "KIND 'FFT' (MATMUL, SEARCH)"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(bad); i++) {
		size_t p0 = json_array_size(payloads), n0 = json_array_size(notifs);
		deploy_master(bad[i].pipeline, bad[i].inst);
		json_t *f = final_of(bad[i].pipeline, p0, 20000);
		ok(f && json_is_false(json_object_get(f, "SUCCESS")) &&
		       strstr(str(f, "ERROR"), bad[i].reason) &&
		       strcmp(str(f, "STATE"), "FINISHED") == 0,
		   "%s: FINISHED without success: %s", bad[i].pipeline, f ? str(f, "ERROR") : "-");
		bool notified = false;
		for (size_t j = n0; j < json_array_size(notifs); j++) {
			json_t *nt = json_array_get(notifs, j);
			notified |=
			    strcmp(str(nt, K_STREAM_NAME), bad[i].pipeline) == 0 &&
			    strcmp(str(nt, K_NOTIFICATION_TYPE), NOTIF_TYPE_EXCEPTION) == 0 &&
			    strstr(str(nt, K_INFO), bad[i].reason);
		}
		ok(notified, "%s: EXCEPTION notification with the reason", bad[i].pipeline);
		remove_pipeline(bad[i].pipeline);
	}
}

static void test_killed_worker(void)
{
	gated = true;
	const char *job = "cdjob-kill";
	for (int i = W1; i <= W3; i++)
		hold(i, true);
	uint64_t w0 = cstore_counter(node_cstore(nodes[MASTER]), CSC_WRITES);
	size_t p0 = json_array_size(payloads);
	deploy_master("cd_kill",
	              json_pack("{s:s,s:s,s:s,s:i,s:b,s:[s,s,s]}", "JOB_ID", job, "A_CID", ca,
	                        "B_CID", cb, "NR_REMOTE_NODES", 3, "SPLIT_BY_GFLOPS", 0, "NODES",
	                        addrs[W1], addrs[W2], addrs[W3]));
	ok(parts_in(CD_JOB_PROGRESS, 3, 30000), "3 parts deployed and running (held at the gate)");
	const struct chaindist *cd = the_machine();
	ok(cd && strcmp(chaindist_job_id(cd), job) == 0, "the console's registry lists the job");
	int on[3] = {-1, -1, -1};
	for (size_t i = 0; cd && i < 3; i++)
		on[i] = node_index(chaindist_part(cd, i)->node);
	ok(on[0] >= W1 && on[1] >= W1 && on[2] >= W1 && on[0] != on[1] && on[1] != on[2] &&
	       on[0] != on[2],
	   "one part per worker node");
	is_int(worker_pipelines_left(job), 3, "three worker pipelines");
	ok(cd && chaindist_part(cd, 0)->rows + chaindist_part(cd, 1)->rows +
	                 chaindist_part(cd, 2)->rows ==
	             300,
	   "the parts cover the 300 rows");
	int victim = on[1];
	tap_diag("killing %s (part 1)", victim > 0 ? aliases[victim] : "?");
	if (victim > 0)
		kill_node(victim);
	for (int i = W1; i <= W3; i++)
		hold(i, false);
	json_t *f = final_of("cd_kill", p0, 60000);
	ok(f && json_is_true(json_object_get(f, "SUCCESS")), "the job completed: %s",
	   f ? str(f, "ERROR") : "no final payload");
	const char *result = f ? str(json_object_get(f, "DATA"), "RESULT") : "";
	ok(result[0] != '\0', "DATA.RESULT is the result's CID (%s)", result);
	check_product(result, &A, &B, "after a killed worker");
	const json_t *parts = json_object_get(f, "PARTS");
	const json_t *p1 = json_array_get(parts, 1);
	ok(json_integer_value(json_object_get(p1, "ATTEMPT")) == 2 && victim > 0 &&
	       strcmp(str(p1, "NODE"), addrs[victim]) != 0,
	   "part 1 ran again elsewhere (attempt %d on %s)",
	   (int)json_integer_value(json_object_get(p1, "ATTEMPT")), str(p1, "NODE"));
	ok(saw_state("cd_kill", p0, "DISTRIBUTE_JOBS") && strcmp(str(f, "STATE"), "FINISHED") == 0,
	   "payloads with the reference's states (DISTRIBUTE_JOBS ... FINISHED)");
	const json_t *tm = json_object_get(f, "TIMINGS");
	ok(json_real_value(json_object_get(tm, "TOTAL_SECONDS")) > 0 &&
	       json_array_size(json_object_get(tm, "PARTS")) == 3,
	   "TIMINGS: total %.3f s, load %.3f, wait for nodes %.3f, split %.3f, distribute %.3f, "
	   "aggregate %.3f",
	   json_real_value(json_object_get(tm, "TOTAL_SECONDS")),
	   json_real_value(json_object_get(tm, "LOAD_SECONDS")),
	   json_real_value(json_object_get(tm, "WAIT_NODES_SECONDS")),
	   json_real_value(json_object_get(tm, "SPLIT_SECONDS")),
	   json_real_value(json_object_get(tm, "DISTRIBUTE_SECONDS")),
	   json_real_value(json_object_get(tm, "AGGREGATE_SECONDS")));

	json_t *jobrec = cstore_field(job, "job"), *p1rec = cstore_field(job, "part:1");
	char *dj = json_dumps(jobrec, JSON_COMPACT), *dp = json_dumps(p1rec, JSON_COMPACT);
	tap_diag("job %s part:1 %s", dj ? dj : "-", dp ? dp : "-");
	free(dj);
	free(dp);
	ok(jobrec && strcmp(str(jobrec, "STATE"), "FINISHED") == 0 &&
	       strcmp(str(jobrec, "RESULT"), result) == 0,
	   "CStore chaindist:%s job: FINISHED with the result", job);
	ok(p1rec && strcmp(str(p1rec, "STATE"), "CLOSED_JOB") == 0 &&
	       json_integer_value(json_object_get(p1rec, "ATTEMPT")) == 2 && victim > 0 &&
	       strcmp(str(p1rec, "NODE"), addrs[victim]) != 0,
	   "CStore part:1: CLOSED_JOB, attempt 2, on a live node");
	json_decref(jobrec);
	json_decref(p1rec);
	/* replicated: a surviving worker's CStore has the job too */
	int other = on[0] > 0 ? on[0] : W1;
	char hkey[96];
	snprintf(hkey, sizeof(hkey), "chaindist:%s", job);
	const char *rep = NULL;
	for (int t = 0; t < 2000 && !rep; t++) {
		struct cstore *cs = node_cstore(nodes[other]);
		const char *v = cs ? cstore_hget(cs, hkey, "job", NULL) : NULL;
		if (v && strstr(v, "FINISHED") && strstr(v, result))
			rep = v;
		else
			loop_run_once(L, 5);
	}
	ok(rep != NULL, "%s's CStore has the finished job (replicated)", aliases[other]);
	ok(no_worker_pipelines(job, 10000), "every worker pipeline was closed");
	tap_diag("CStore writes by the master for this job: %" PRIu64,
	         cstore_counter(node_cstore(nodes[MASTER]), CSC_WRITES) - w0);
}

/* A worker that goes silent (its instance paused: no payload) loses its part after NODE_TIMEOUT. */
static void test_silent_worker(void)
{
	gated = true;
	const char *job = "cdjob-silent";
	int live[2], nl = 0;
	for (int i = W1; i <= W3; i++)
		if (nodes[i])
			live[nl++] = i;
	for (int i = 0; i < nl; i++)
		hold(live[i], true);
	size_t p0 = json_array_size(payloads);
	deploy_master("cd_silent",
	              json_pack("{s:s,s:s,s:s,s:i,s:b,s:[s,s],s:f}", "JOB_ID", job, "A_CID", ca,
	                        "B_CID", cb, "NR_REMOTE_NODES", 2, "SPLIT_BY_GFLOPS", 0, "NODES",
	                        addrs[live[0]], addrs[live[1]], "NODE_TIMEOUT", 2.0));
	ok(parts_in(CD_JOB_PROGRESS, 2, 30000), "2 parts running");
	const struct chaindist *cd = the_machine();
	int n0 = cd ? node_index(chaindist_part(cd, 0)->node) : -1;
	int n1 = cd ? node_index(chaindist_part(cd, 1)->node) : -1;
	if (n0 < 0 || n1 < 0)
		tap_bail("parts not placed");
	/* part 1's worker goes quiet: its instance is paused */
	char pname[64];
	snprintf(pname, sizeof(pname), "%s_w1_1", job);
	json_t *pipes = node_pipelines(nodes[n1]), *conf = NULL;
	size_t k;
	json_t *p;
	json_array_foreach(pipes, k, p) if (strcmp(str(p, K_NAME), pname) == 0) conf =
	    json_deep_copy(p);
	json_decref(pipes);
	json_t *inst = json_array_get(
	    json_object_get(json_array_get(json_object_get(conf, K_PLUGINS), 0), K_INSTANCES), 0);
	ok(inst != NULL, "part 1's pipeline %s is on %s", pname, aliases[n1]);
	json_object_set_new(inst, K_FORCED_PAUSE, json_true());
	char *why = NULL;
	if (!conf || node_pipeline_set(nodes[n1], conf, &why))
		tap_bail("pause: %s", why);
	hold(n0, false);
	json_t *f = final_of("cd_silent", p0, 60000);
	ok(f && json_is_true(json_object_get(f, "SUCCESS")), "the job completed: %s",
	   f ? str(f, "ERROR") : "no final payload");
	json_t *r1 = cstore_field(job, "part:1");
	ok(json_integer_value(json_object_get(r1, "ATTEMPT")) == 2 &&
	       strcmp(str(r1, "NODE"), addrs[n0]) == 0 &&
	       strstr(str(r1, "ERROR"), "no payload from"),
	   "part 1 moved after NODE_TIMEOUT (attempt %d on %s: %s)",
	   (int)json_integer_value(json_object_get(r1, "ATTEMPT")),
	   node_index(str(r1, "NODE")) > 0 ? aliases[node_index(str(r1, "NODE"))] : "?",
	   str(r1, "ERROR"));
	json_decref(r1);
	check_product(f ? str(json_object_get(f, "DATA"), "RESULT") : "", &A, &B, "silent worker");
	hold(n1, false);
	ok(no_worker_pipelines(job, 10000), "every worker pipeline was closed");
	remove_pipeline("cd_silent");
}

static void test_resend_finished(void)
{
	size_t p0 = json_array_size(payloads);
	remove_pipeline("cd_kill");
	ok(the_machine() == NULL, "a closed master leaves the registry");
	deploy_master("cd_again", json_pack("{s:s,s:s,s:s,s:i}", "JOB_ID", "cdjob-kill", "A_CID",
	                                    ca, "B_CID", cb, "NR_REMOTE_NODES", 3));
	json_t *f = final_of("cd_again", p0, 10000);
	ok(f && json_is_true(json_object_get(f, "SUCCESS")) &&
	       json_is_true(json_object_get(f, "RESUMED")),
	   "a master for the finished job sends its result again (RESUMED)");
	json_t *old = cstore_field("cdjob-kill", "job");
	is_str(f ? str(json_object_get(f, "DATA"), "RESULT") : "", str(old, "RESULT"),
	       "the same result");
	json_decref(old);
	is_int(worker_pipelines_left("cdjob-kill"), 0, "nothing deployed");
	remove_pipeline("cd_again");
}

static void test_resume_unfinished(void)
{
	gated = true;
	const char *job = "cdjob-resume";
	int live[2], nl = 0;
	for (int i = W1; i <= W3; i++)
		if (nodes[i])
			live[nl++] = i;
	if (nl != 2)
		tap_bail("expected two live workers, have %d", nl);
	for (int i = 0; i < nl; i++)
		hold(live[i], true);
	size_t p0 = json_array_size(payloads);
	json_t *inst = json_pack("{s:s,s:s,s:s,s:i,s:b,s:[s,s]}", "JOB_ID", job, "A_CID", ca,
	                         "B_CID", cb, "NR_REMOTE_NODES", 2, "SPLIT_BY_GFLOPS", 0, "NODES",
	                         addrs[live[0]], addrs[live[1]]);
	deploy_master("cd_r1", json_deep_copy(inst));
	ok(parts_in(CD_JOB_PROGRESS, 2, 30000), "2 parts running");
	const struct chaindist *cd = the_machine();
	int n0 = cd ? node_index(chaindist_part(cd, 0)->node) : -1;
	int n1 = cd ? node_index(chaindist_part(cd, 1)->node) : -1;
	if (n0 < 0 || n1 < 0)
		tap_bail("parts not placed");
	hold(n0, false); /* part 0 finishes, part 1 stays held */
	bool done0 = false;
	for (int t = 0; t < 6000 && !done0; t++) {
		json_t *r = cstore_field(job, "part:0");
		done0 = r && strcmp(str(r, "STATE"), "CLOSED_JOB") == 0 && str(r, "RESULT")[0];
		json_decref(r);
		if (!done0)
			loop_run_once(L, 5);
	}
	ok(done0, "part 0 done and recorded in CStore");
	remove_pipeline("cd_r1"); /* the master goes away mid-job */
	json_t *jr = cstore_field(job, "job");
	ok(jr && strcmp(str(jr, "STATE"), "FINISHED") != 0, "CStore: the job is not finished (%s)",
	   str(jr, "STATE"));
	json_decref(jr);
	hold(n1, false);
	ok(no_worker_pipelines(job, 10000), "its workers were closed with it");

	deploy_master("cd_r2", inst);
	json_t *f = final_of("cd_r2", p0, 60000);
	ok(f && json_is_true(json_object_get(f, "SUCCESS")) &&
	       json_is_true(json_object_get(json_object_get(f, "TIMINGS"), "RESUMED")),
	   "the master deployed again resumed the job and completed it: %s",
	   f ? str(f, "ERROR") : "no final payload");
	json_t *r0 = cstore_field(job, "part:0"), *r1 = cstore_field(job, "part:1");
	is_int(json_integer_value(json_object_get(r0, "ATTEMPT")), 1,
	       "part 0 was kept (attempt 1)");
	ok(json_integer_value(json_object_get(r1, "ATTEMPT")) == 2 &&
	       strcmp(str(r1, "NODE"), addrs[n1]) != 0,
	   "part 1 ran again on the other node (attempt 2)");
	json_decref(r0);
	json_decref(r1);
	check_product(f ? str(json_object_get(f, "DATA"), "RESULT") : "", &A, &B, "resumed");
	ok(no_worker_pipelines(job, 10000), "every worker pipeline was closed");
	remove_pipeline("cd_r2");
}

static void test_search(void)
{
	gated = false; /* the workers bring their inputs from the master first */
	int live[2], nl = 0;
	for (int i = W1; i <= W3; i++)
		if (nodes[i])
			live[nl++] = i;
	struct matrix emb, q;
	matrix_alloc(&emb, MX_F32, 200, 32, false, NULL);
	matrix_alloc(&q, MX_F32, 45, 32, false, NULL);
	ref_fill(&emb, 5);
	ref_fill(&q, 6);
	char ce[R1FS_CID_TEXT_MAX], cq[R1FS_CID_TEXT_MAX];
	put(nodes[MASTER], &emb, "emb.r1mx", ce);
	put(nodes[MASTER], &q, "q.r1mx", cq);
	/* the answer: one search of every query on one index */
	struct vindex *ix = NULL;
	struct vsearch_hit hits[45 * 5];
	if (vindex_build(&emb, NULL, &ix, NULL) || vindex_search(ix, &q, 5, NULL, hits, NULL))
		tap_bail("direct search");
	json_t *want = mxjson_hits(hits, 45, 5);
	vindex_unref(&ix);
	matrix_release(&q);

	size_t p0 = json_array_size(payloads);
	deploy_master("cd_search",
	              json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:[s,s]}", "JOB_ID", "cdjob-search",
	                        "KIND", "SEARCH", "INDEX_CID", ce, "QUERY_CID", cq, "K", 5,
	                        "NR_REMOTE_NODES", 2, "NODES", addrs[live[0]], addrs[live[1]]));
	json_t *f = final_of("cd_search", p0, 60000);
	ok(f && json_is_true(json_object_get(f, "SUCCESS")), "the search job completed: %s",
	   f ? str(f, "ERROR") : "no final payload");
	ok(json_array_size(json_object_get(f, "PARTS")) == 2, "in two batches of queries");
	char *text = NULL;
	json_t *got = NULL;
	const char *cid = f ? str(json_object_get(f, "DATA"), "RESULT") : "";
	if (cid[0] && r1fs_get_json(node_r1fs(nodes[MASTER]), cid, NULL, &text, NULL) == R1_OK)
		got = json_loads(text, 0, NULL);
	free(text);
	const json_t *res = json_object_get(got, "RESULTS");
	is_int(json_array_size(res), 45, "45 lists of hits in R1FS (%s)", cid);
	int same_rows = 0;
	double worst = 0;
	for (size_t i = 0; i < json_array_size(res); i++) {
		const json_t *g = json_array_get(res, i), *w = json_array_get(want, i);
		bool same = json_array_size(g) == json_array_size(w);
		for (size_t j = 0; same && j < json_array_size(g); j++) {
			const json_t *gh = json_array_get(g, j), *wh = json_array_get(w, j);
			same = json_integer_value(json_object_get(gh, "ROW")) ==
			       json_integer_value(json_object_get(wh, "ROW"));
			double d = fabs(json_number_value(json_object_get(gh, "SCORE")) -
			                json_number_value(json_object_get(wh, "SCORE")));
			worst = d > worst ? d : worst;
		}
		same_rows += same;
	}
	is_int(same_rows, 45, "every query's top 5 rows equal one search over all queries");
	ok(worst <= 1e-6, "and their scores (max difference %.3g)", worst);
	json_decref(got);
	json_decref(want);
	ok(no_worker_pipelines("cdjob-search", 10000), "every worker pipeline was closed");
	remove_pipeline("cd_search");
}

/* Nodes freed while a job runs (the master last): nothing leaks, nothing is used after free. */
static void test_teardown_mid_job(void)
{
	gated = true;
	int live[2], nl = 0;
	for (int i = W1; i <= W3; i++)
		if (nodes[i])
			live[nl++] = i;
	for (int i = 0; i < nl; i++)
		hold(live[i], true);
	deploy_master("cd_end", json_pack("{s:s,s:s,s:s,s:i,s:[s,s]}", "JOB_ID", "cdjob-end",
	                                  "A_CID", ca, "B_CID", cb, "NR_REMOTE_NODES", 2, "NODES",
	                                  addrs[live[0]], addrs[live[1]]));
	ok(parts_in(CD_JOB_PROGRESS, 2, 30000), "a last job running when the nodes stop");
}

int main(void)
{
	world_up();
	matrix_alloc(&A, MX_F64, 300, 200, false, NULL);
	matrix_alloc(&B, MX_F64, 200, 150, false, NULL);
	ref_fill(&A, 1);
	ref_fill(&B, 2);
	put(nodes[MASTER], &A, "a.r1mx", ca);
	put(nodes[MASTER], &B, "b.r1mx", cb);

	test_bad_inputs();
	test_killed_worker();
	test_resend_finished();
	test_silent_worker();
	test_resume_unfinished();
	test_search();
	test_teardown_mid_job();

	matrix_release(&A);
	matrix_release(&B);
	world_down();
	return tap_done();
}
