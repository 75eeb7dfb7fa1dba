/*
 * The compute plugins on a real node (in-process bus, its own compute
 * engine and R1FS store), pipelines set through the node's pipeline API,
 * payloads and notifications read from the node's events:
 *  - BLAS_BENCH_01 measures at start and on RUN, reports the OpenBLAS core
 *    and OPENBLAS_CORETYPE, and its figure reaches the heartbeat;
 *  - MATMUL_JOB_01 multiplies inline operands (result inline and in R1FS)
 *    and R1FS operands (checked against the naive product), and each bad
 *    input fails with its reason in a FAILED payload and an EXCEPTION
 *    notification: non-conforming dimensions, a missing CID, a truncated
 *    matrix file, a job above the memory limit; a bad MATMUL command is
 *    refused with the reason in PLUGIN_INSTANCE_COMMAND_FAILED;
 *  - VECTOR_SEARCH_01 loads an inline index and answers SEARCH commands;
 *  - CHAIN_DIST_WORKER_01 multiplies its part and reports PROGRESS and DATA.
 */
#include "node/lib.h"
#include "node/nodepriv.h"
#include "node/fsutil.h"
#include "node/compute/compute.h"
#include "node/compute/mxstore.h"
#include "node/r1fs/r1fs.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/hbcodec.h"
#include "core/loop.h"
#include "core/proto.h"
#include "tests/tap.h"
#include "tests/unit/compute/refblas.h"

#include <jansson.h>

struct world {
	struct loop *loop;
	struct bus_hub *hub;
	struct bus *nbus;
	struct node *node;
	char *dir;
	json_t *payloads; /* payload messages, in order */
	json_t *notifs;   /* notification messages */
	json_t *beats;    /* heartbeat status views */
};

static struct world W;

static void on_event(void *ctx, struct node *n, const struct node_event *ev)
{
	struct world *w = ctx;
	if (ev->type == NODE_EV_PAYLOAD && ev->message)
		json_array_append(w->payloads, (json_t *)ev->message);
	else if (ev->type == NODE_EV_NOTIFICATION && ev->message)
		json_array_append(w->notifs, (json_t *)ev->message);
	else if (ev->type == NODE_EV_HEARTBEAT && ev->message)
		json_array_append(w->beats, (json_t *)ev->message);
}

static void world_up(void)
{
	memset(&W, 0, sizeof(W));
	W.payloads = json_array();
	W.notifs = json_array();
	W.beats = json_array();
	W.dir = fs_join(tap_tmpdir(), "node");
	char *why = NULL;
	struct node_config cfg = {.alias = "compute-node",
	                          .data_dir = W.dir,
	                          .heartbeat_ms = 600000,
	                          .exception_delay_ms = 1000};
	if (loop_new(&W.loop, &why) || bus_hub_new(W.loop, 0, NULL, &W.hub, &why) ||
	    bus_local_new(W.hub, "node", &W.nbus, &why) ||
	    node_new(W.loop, W.nbus, &cfg, NULL, &W.node, &why))
		tap_bail("world: %s", why);
	node_set_observer(W.node, on_event, &W);
	if (node_start(W.node, &why))
		tap_bail("node_start: %s", why);
	if (!node_r1fs(W.node))
		tap_bail("the node has no R1FS");
}

static void world_down(void)
{
	node_free(&W.node);
	bus_free(&W.nbus);
	bus_hub_free(&W.hub);
	loop_free(&W.loop);
	json_decref(W.payloads);
	json_decref(W.notifs);
	json_decref(W.beats);
	r1_free(W.dir);
}

/* A payload of `stream` whose `key` is `value` (NULL: any value), from index `from`. */
static json_t *find(json_t *list, size_t from, const char *stream, const char *key,
                    const char *value)
{
	for (size_t i = from; i < json_array_size(list); i++) {
		json_t *m = json_array_get(list, i);
		const char *s = json_string_value(json_object_get(m, K_STREAM_NAME));
		const json_t *v = json_object_get(m, key);
		if (s && strcmp(s, stream) == 0 && v &&
		    (!value || (json_is_string(v) && strcmp(json_string_value(v), value) == 0)))
			return m;
	}
	return NULL;
}

struct want {
	json_t *list;
	size_t from;
	const char *stream, *key, *value;
};

static bool seen(void *arg)
{
	struct want *w = arg;
	return find(w->list, w->from, w->stream, w->key, w->value) != NULL;
}

/* Run the loop until a matching message arrives (at most max_ms of real time). */
static json_t *wait_for(json_t *list, size_t from, const char *stream, const char *key,
                        const char *value, int max_ms)
{
	struct want w = {list, from, stream, key, value};
	for (int i = 0; i < max_ms / 5 && !seen(&w); i++)
		loop_run_once(W.loop, 5);
	return find(list, from, stream, key, value);
}

static void pipeline(const char *name, const char *signature, json_t *instance)
{
	json_object_set_new(instance, K_INSTANCE_ID, json_string("i1"));
	json_t *cfg = json_pack("{s:s,s:s,s:[{s:s,s:[o]}]}", K_NAME, name, K_TYPE, "Void",
	                        K_PLUGINS, K_SIGNATURE, signature, K_INSTANCES, instance);
	char *why = NULL;
	if (node_pipeline_set(W.node, cfg, &why))
		tap_bail("pipeline %s: %s", name, why);
}

/* Send an INSTANCE_COMMAND to instance i1 of `name` (the pipeline's config with it set). */
static void command(const char *name, const char *signature, json_t *instance, json_t *cmd)
{
	json_object_set_new(instance, K_INSTANCE_COMMAND, cmd);
	pipeline(name, signature, instance);
}

static const char *str(const json_t *m, const char *k)
{
	const char *s = json_string_value(json_object_get(m, k));
	return s ? s : "";
}

/* A notification of `stream` whose NOTIFICATION or INFO mentions `needle`. */
static json_t *notif_with(size_t from, const char *stream, const char *needle)
{
	for (size_t i = from; i < json_array_size(W.notifs); i++) {
		json_t *m = json_array_get(W.notifs, i);
		if (strcmp(str(m, K_STREAM_NAME), stream) == 0 &&
		    (strstr(str(m, K_NOTIFICATION), needle) || strstr(str(m, K_INFO), needle)))
			return m;
	}
	return NULL;
}

static void test_bench(void)
{
	size_t p0 = json_array_size(W.payloads);
	pipeline(
	    "bench", "BLAS_BENCH_01",
	    json_pack("{s:i,s:i,s:f}", "BENCH_SIZE", 64, "BENCH_REPS", 1, K_PROCESS_DELAY, 0.1));
	json_t *m = wait_for(W.payloads, p0, "bench", "GFLOPS_F64", NULL, 20000);
	ok(m != NULL, "BLAS_BENCH_01 published a measure at start");
	ok(m && json_real_value(json_object_get(m, "GFLOPS_F64")) > 0 &&
	       json_real_value(json_object_get(m, "GFLOPS_F32")) > 0,
	   "dgemm and sgemm GFLOP/s: %.2f, %.2f", json_real_value(json_object_get(m, "GFLOPS_F64")),
	   json_real_value(json_object_get(m, "GFLOPS_F32")));
	is_int(json_integer_value(json_object_get(m, "N")), 64, "N = BENCH_SIZE");
	ok(m && json_string_length(json_object_get(m, "OPENBLAS_CORE")) > 0, "core: %s",
	   str(m, "OPENBLAS_CORE"));
	const char *env = getenv("OPENBLAS_CORETYPE");
	if (env)
		is_str(str(m, "OPENBLAS_CORETYPE"), env, "OPENBLAS_CORETYPE of the environment");
	else
		ok(json_is_null(json_object_get(m, "OPENBLAS_CORETYPE")), "OPENBLAS_CORETYPE null");

	/* The heartbeat carries the figure. */
	size_t b0 = json_array_size(W.beats);
	node_send_heartbeat(W.node, false);
	loop_run_once(W.loop, 0);
	json_t *hb = json_array_get(W.beats, b0), *st = NULL;
	ok(hb && hb_decode(hb, &st, NULL) == R1_OK, "heartbeat sent and decoded");
	ok(st && json_real_value(json_object_get(st, "COMPUTE_GFLOPS_F64")) > 0 &&
	       json_integer_value(json_object_get(st, "COMPUTE_BENCH_N")) == 64 &&
	       json_string_length(json_object_get(st, "OPENBLAS_CORE")) > 0,
	   "heartbeat has the compute fields (GFLOP/s of the last measure, core)");
	json_decref(st);

	/* RUN with a size of its own. */
	size_t p1 = json_array_size(W.payloads);
	command("bench", "BLAS_BENCH_01",
	        json_pack("{s:i,s:i,s:f}", "BENCH_SIZE", 64, "BENCH_REPS", 1, K_PROCESS_DELAY, 0.1),
	        json_pack("{s:{s:i}}", "RUN", "SIZE", 96));
	m = wait_for(W.payloads, p1, "bench", "GFLOPS_F64", NULL, 20000);
	is_int(m ? json_integer_value(json_object_get(m, "N")) : 0, 96, "RUN SIZE=96 measured");
	char *why = NULL;
	node_pipeline_remove(W.node, "bench", false, &why);
	r1_free(why);
}

static void put(const struct matrix *m, char cid[R1FS_CID_TEXT_MAX])
{
	struct matrix copy;
	matrix_convert(m, m->dtype, &copy, NULL);
	char *why = NULL;
	if (mxstore_put(node_r1fs(W.node), &copy, "m.r1mx", NULL, cid, &why))
		tap_bail("put: %s", why);
	matrix_release(&copy);
}

static void test_matmul(void)
{
	/* Inline operands, result inline and in R1FS. */
	size_t p0 = json_array_size(W.payloads);
	pipeline("mm1", "MATMUL_JOB_01",
	         json_pack("{s:[[i,i],[i,i]],s:[[i,i],[i,i]],s:f}", "A", 1, 2, 3, 4, "B", 5, 6, 7,
	                   8, K_PROCESS_DELAY, 0.1));
	json_t *m = wait_for(W.payloads, p0, "mm1", "JOB_STATE", "DONE", 20000);
	ok(m != NULL, "inline product done");
	char *res = m ? json_dumps(json_object_get(m, "RESULT"), JSON_COMPACT) : NULL;
	is_str(res, "[[19.0,22.0],[43.0,50.0]]", "RESULT inline");
	free(res);
	ok(find(W.payloads, p0, "mm1", "JOB_STATE", "RUNNING") != NULL, "a RUNNING payload first");
	struct matrix back = {0};
	ok(m &&
	       mxstore_get(node_r1fs(W.node), str(m, "RESULT_CID"), NULL, "C", 0, &back, NULL) ==
	           R1_OK &&
	       matrix_get(&back, 1, 0) == 43.0,
	   "RESULT_CID holds the product in R1FS");
	matrix_release(&back);

	/* R1FS operands, transposed A, float32. */
	struct matrix a, b;
	matrix_alloc(&a, MX_F32, 40, 30, false, NULL);
	matrix_alloc(&b, MX_F32, 40, 20, false, NULL);
	ref_fill(&a, 1);
	ref_fill(&b, 2);
	char ca[R1FS_CID_TEXT_MAX], cb[R1FS_CID_TEXT_MAX];
	put(&a, ca);
	put(&b, cb);
	struct gemm_spec s = {.trans_a = true, .alpha = 1.5, .dtype = MX_F32};
	double ref[600], scale[600];
	ref_gemm(&s, &a, &b, NULL, ref, scale);
	p0 = json_array_size(W.payloads);
	pipeline("mm2", "MATMUL_JOB_01",
	         json_pack("{s:s,s:s,s:b,s:f,s:s,s:s,s:f}", "A_CID", ca, "B_CID", cb, "TRANS_A", 1,
	                   "ALPHA", 1.5, "DTYPE", "float32", "RESULT", "r1fs", K_PROCESS_DELAY,
	                   0.1));
	m = wait_for(W.payloads, p0, "mm2", "JOB_STATE", "DONE", 20000);
	ok(m && !json_object_get(m, "RESULT") &&
	       json_integer_value(json_object_get(m, "ROWS")) == 30,
	   "30 x 20 product in R1FS only (RESULT r1fs)");
	double e = INFINITY;
	if (m && mxstore_get(node_r1fs(W.node), str(m, "RESULT_CID"), NULL, "C", 0, &back, NULL) ==
	             R1_OK) {
		e = ref_max_err(&back, ref, scale);
		matrix_release(&back);
	}
	ok(e < 1e-5, "equals the naive product (max error %.3g)", e);
	ok(m && json_real_value(json_object_get(m, "R1FS_SECONDS")) > 0,
	   "R1FS time reported apart from the kernel's");

	/* Bad inputs. */
	struct {
		const char *name;
		json_t *inst;
		const char *reason;
	} bad[] = {
	    {"bad_dims", json_pack("{s:[[i,i,i]],s:[[i,i,i]]}", "A", 1, 2, 3, "B", 4, 5, 6),
	     "non-conforming dimensions: op(A) is 1 x 3, op(B) is 1 x 3"},
	    {"bad_ragged", json_pack("{s:[[i,i],[i]],s:[[i]]}", "A", 1, 2, 3, "B", 4),
	     "A: row 1 has 1 numbers, row 0 has 2"},
	    {"bad_cid", NULL, "not in R1FS"},
	    {"bad_trunc", NULL, "truncated file"},
	    {"bad_mem", NULL, "per-job memory limit of 1.0 MiB"},
	};
	struct r1fs_add_opts only = R1FS_ADD_OPTS_INIT;
	only.only_hash = true;
	struct r1fs_added ghost, trunc;
	r1fs_add_bytes(node_r1fs(W.node), "x", 1, "g.r1mx", &only, &ghost, NULL);
	uint8_t hdr[40];
	matrix_header_encode(MX_F64, 2, 2, hdr); /* 2 x 2 float64 needs 64 data bytes */
	memset(hdr + 32, 0, 8);
	struct r1fs_add_opts ao = R1FS_ADD_OPTS_INIT;
	r1fs_add_bytes(node_r1fs(W.node), hdr, sizeof(hdr), "t.r1mx", &ao, &trunc, NULL);
	struct matrix big;
	matrix_alloc(&big, MX_F64, 300, 300, true, NULL);
	char cbig[R1FS_CID_TEXT_MAX];
	put(&big, cbig);
	matrix_release(&big);
	bad[2].inst = json_pack("{s:s,s:s}", "A_CID", ca, "B_CID", ghost.cid);
	bad[3].inst = json_pack("{s:s,s:s}", "A_CID", trunc.cid, "B_CID", cb);
	bad[4].inst = json_pack("{s:s,s:s,s:i}", "A_CID", cbig, "B_CID", cbig, "MAX_MEMORY_MB", 1);
	for (size_t i = 0; i < R1_ARRAY_LEN(bad); i++) {
		p0 = json_array_size(W.payloads);
		size_t n0 = json_array_size(W.notifs);
		json_object_set_new(bad[i].inst, K_PROCESS_DELAY, json_real(0.1));
		pipeline(bad[i].name, "MATMUL_JOB_01", bad[i].inst);
		m = wait_for(W.payloads, p0, bad[i].name, "JOB_STATE", "FAILED", 20000);
		ok(m && strstr(str(m, "ERROR"), bad[i].reason), "%s: FAILED payload: %s",
		   bad[i].name, m ? str(m, "ERROR") : "(none)");
		json_t *nt = notif_with(n0, bad[i].name, bad[i].reason);
		ok(nt && strcmp(str(nt, K_NOTIFICATION_TYPE), NOTIF_TYPE_EXCEPTION) == 0,
		   "%s: EXCEPTION notification with the reason", bad[i].name);
	}

	/* A bad MATMUL command: refused, the reason in PLUGIN_INSTANCE_COMMAND_FAILED. */
	size_t n0 = json_array_size(W.notifs);
	command("mm1", "MATMUL_JOB_01",
	        json_pack("{s:[[i,i],[i,i]],s:[[i,i],[i,i]],s:f}", "A", 1, 2, 3, 4, "B", 5, 6, 7, 8,
	                  K_PROCESS_DELAY, 0.1),
	        json_pack("{s:{s:[[i,i,i]],s:s}}", "MATMUL", "A", 1, 2, 3, "REQUEST_ID", "r-7"));
	for (int i = 0; i < 2000 && !notif_with(n0, "mm1", "non-conforming"); i++)
		loop_run_once(W.loop, 5);
	json_t *nt = notif_with(n0, "mm1", "non-conforming");
	ok(nt != NULL, "command refusal notified with the reason: %s", nt ? str(nt, K_INFO) : "");
	ok(nt && json_integer_value(json_object_get(nt, K_NOTIFICATION_CODE)) == -101,
	   "as PLUGIN_INSTANCE_COMMAND_FAILED (-101)");

	/* A good MATMUL command with a REQUEST_ID. */
	p0 = json_array_size(W.payloads);
	command("mm1", "MATMUL_JOB_01",
	        json_pack("{s:[[i,i],[i,i]],s:[[i,i],[i,i]],s:f}", "A", 1, 2, 3, 4, "B", 5, 6, 7, 8,
	                  K_PROCESS_DELAY, 0.1),
	        json_pack("{s:{s:[[i,i],[i,i]],s:s,s:s}}", "MATMUL", "B", 1, 0, 0, 1, "REQUEST_ID",
	                  "r-8", "RESULT", "inline"));
	m = wait_for(W.payloads, p0, "mm1", "REQUEST_ID", "r-8", 20000);
	for (int i = 0; i < 2000 && !find(W.payloads, p0, "mm1", "JOB_STATE", "DONE"); i++)
		loop_run_once(W.loop, 5);
	m = find(W.payloads, p0, "mm1", "JOB_STATE", "DONE");
	res = m ? json_dumps(json_object_get(m, "RESULT"), JSON_COMPACT) : NULL;
	ok(m && strcmp(str(m, "REQUEST_ID"), "r-8") == 0 && res &&
	       strcmp(res, "[[1.0,2.0],[3.0,4.0]]") == 0 && !json_object_get(m, "RESULT_CID"),
	   "MATMUL command: A times the identity, inline only, REQUEST_ID echoed (%s)",
	   res ? res : "");
	free(res);
	matrix_release(&a);
	matrix_release(&b);
}

static void test_search(void)
{
	size_t p0 = json_array_size(W.payloads);
	json_t *inst = json_pack("{s:[[i,i,i],[i,i,i],[i,i,i],[i,i,i]],s:i,s:f}", "INDEX", 1, 0, 0,
	                         0, 1, 0, 1, 1, 0, 0, 0, 1, "K", 2, K_PROCESS_DELAY, 0.1);
	pipeline("vs", "VECTOR_SEARCH_01", json_deep_copy(inst));
	json_t *m = wait_for(W.payloads, p0, "vs", "INDEX_STATE", "READY", 20000);
	ok(m && json_integer_value(json_object_get(m, "INDEX_ROWS")) == 4, "index of 4 rows ready");
	p0 = json_array_size(W.payloads);
	command("vs", "VECTOR_SEARCH_01", json_deep_copy(inst),
	        json_pack("{s:{s:[[i,i,i],[i,i,i]],s:s}}", "SEARCH", "QUERY", 5, 5, 0, -1, 0, 0,
	                  "REQUEST_ID", "q1"));
	m = wait_for(W.payloads, p0, "vs", "RESULTS", NULL, 20000);
	json_t *r = m ? json_object_get(m, "RESULTS") : NULL;
	ok(r && json_array_size(r) == 2 &&
	       json_integer_value(
	           json_object_get(json_array_get(json_array_get(r, 0), 0), "ROW")) == 2 &&
	       json_integer_value(
	           json_object_get(json_array_get(json_array_get(r, 0), 1), "ROW")) == 0 &&
	       json_integer_value(
	           json_object_get(json_array_get(json_array_get(r, 1), 0), "ROW")) == 1,
	   "top-2 rows per query (2,0 and 1,...)");
	is_str(m ? str(m, "REQUEST_ID") : "", "q1", "REQUEST_ID echoed");
	size_t n0 = json_array_size(W.notifs);
	command("vs", "VECTOR_SEARCH_01", inst,
	        json_pack("{s:{s:[i,i]}}", "SEARCH", "QUERY", 1, 1));
	for (int i = 0; i < 2000 && !notif_with(n0, "vs", "dimension 2, the index has 3"); i++)
		loop_run_once(W.loop, 5);
	ok(notif_with(n0, "vs", "dimension 2, the index has 3") != NULL,
	   "a query of the wrong dimension is refused with the reason");
}

static void test_worker(void)
{
	struct matrix a, b;
	matrix_alloc(&a, MX_F64, 16, 12, false, NULL);
	matrix_alloc(&b, MX_F64, 12, 9, false, NULL);
	ref_fill(&a, 5);
	ref_fill(&b, 6);
	char ca[R1FS_CID_TEXT_MAX], cb[R1FS_CID_TEXT_MAX];
	put(&a, ca);
	put(&b, cb);
	struct gemm_spec s;
	gemm_spec_default(&s);
	double ref[16 * 9], scale[16 * 9];
	ref_gemm(&s, &a, &b, NULL, ref, scale);
	size_t p0 = json_array_size(W.payloads);
	pipeline("job7_w_1", "CHAIN_DIST_WORKER_01",
	         json_pack("{s:s,s:i,s:s,s:s,s:f}", "JOB_ID", "job7", "PART", 1, "A_CID", ca,
	                   "B_CID", cb, K_PROCESS_DELAY, 0.1));
	json_t *m = wait_for(W.payloads, p0, "job7_w_1", "DATA", NULL, 20000);
	json_t *d = m ? json_object_get(m, "DATA") : NULL;
	ok(d && json_integer_value(json_object_get(d, "PART")) == 1 &&
	       json_real_value(json_object_get(m, "PROGRESS")) == 100.0 &&
	       strcmp(str(m, "JOB_ID"), "job7") == 0,
	   "worker: PROGRESS 100 and DATA for part 1 of job7");
	ok(find(W.payloads, p0, "job7_w_1", "PROGRESS", NULL) != NULL, "progress payloads before");
	struct matrix back = {0};
	double e = INFINITY;
	if (d && mxstore_get(node_r1fs(W.node), str(d, "RESULT_CID"), NULL, "C", 0, &back, NULL) ==
	             R1_OK) {
		e = ref_max_err(&back, ref, scale);
		matrix_release(&back);
	}
	ok(e < 1e-14, "its RESULT_CID holds the part's product (max error %.3g)", e);
	size_t n0 = json_array_size(W.notifs);
	pipeline("job7_w_2", "CHAIN_DIST_WORKER_01",
	         json_pack("{s:s,s:i,s:s,s:f}", "JOB_ID", "job7", "PART", 2, "A_CID", ca,
	                   K_PROCESS_DELAY, 0.1));
	for (int i = 0; i < 2000 && !notif_with(n0, "job7_w_2", "needs A_CID and B_CID"); i++)
		loop_run_once(W.loop, 5);
	ok(notif_with(n0, "job7_w_2", "needs A_CID and B_CID") != NULL,
	   "a worker without B fails with an EXCEPTION notification");
	matrix_release(&a);
	matrix_release(&b);
}

int main(void)
{
	r1_alloc_setup_jansson();
	world_up();
	test_bench();
	test_matmul();
	test_search();
	test_worker();
	world_down();
	return tap_done();
}
