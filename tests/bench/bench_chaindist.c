/*
 * bench_chaindist: a ChainDist matrix product through the real plugin path
 * (CHAIN_DIST_MASTER_01 deploying CHAIN_DIST_WORKER_01 pipelines through its
 * in-node session, CStore tracking, R1FS split and assembly) over 1, 2 and
 * 4 in-process worker nodes, beside one node alone (MATMUL_JOB_01 on the
 * master's node, operands local) and direct cblas_dgemm, in the same run.
 *
 *   bench_chaindist [--reps N] [--heartbeat S] [--copy-blocks] [SIZE]
 *                                                   (default 2048, 3 reps)
 *
 * The network: an oracle, the master's node and four workers, full nodes on
 * one in-process hub, one BLAS thread each.  Blocks a store lacks travel
 * through the R1FS exchange (R1FS_MANAGER payloads over the hub: sealed,
 * base64, verified), as between processes minus the broker; with
 * --copy-blocks the workers' inputs are copied from the other stores
 * through the fetch hook instead (a memcpy plus the hash check; the
 * results still come to the master through the exchange), which shows
 * what the exchange itself costs.  Every worker forgets the blocks it fetched before
 * each run, so every run pays its transfers.  For each run: the time from the deploy to the
 * final payload, and the master's TIMINGS: load (A read and B's shape
 * checked), wait for workers (a new master's session must hear their
 * heartbeats: up to one heartbeat period), split (cut A into R1FS),
 * distribute (deploy, fetch, kernel, store, payload back), assemble;
 * per part the time its worker took to bring its inputs from the master
 * (the exchange), its kernel and its R1FS seconds (reading them, storing
 * its rows of C).  "control plane" is what distribute spent beyond its
 * slowest part's transfers + kernel + store (deploy, confirmations,
 * payloads, the master's polling).
 *
 * This machine has 2 cores for everything: the nodes' loops, the
 * workers' BLAS threads and the OS share them, so 4 workers cannot beat 2;
 * the header records the core type and the load average.
 */
#include "node/lib.h"
#include "node/fsutil.h"
#include "node/nodepriv.h"
#include "node/compute/compute.h"
#include "node/compute/mxstore.h"
#include "node/r1fs/r1fs.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/loop.h"
#include "core/proto.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <sys/stat.h>

enum { ORACLE, MASTER, W1, NNODES = W1 + 4 };

static struct loop *L;
static struct bus_hub *H;
static struct bus *buses[NNODES];
static struct node *nodes[NNODES];
static char addrs[NNODES][R1_ADDR_LEN + 1];
static json_t *payloads;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct r1fs *stores[NNODES];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum r1_err fetch_elsewhere(void *ctx, const struct r1fs_cid *root,
                                   const struct r1fs_cid *cid, struct buf *out, char **why)
{
	int self = (int)(intptr_t)ctx;
	enum r1_err e = R1_ERR_NOTFOUND;
	pthread_mutex_lock(&mu);
	for (int i = 0; i < NNODES && e; i++) {
		if (i == self || !stores[i])
			continue;
		buf_reset(out);
		e = r1fs_get_block(stores[i], cid, out, NULL);
	}
	pthread_mutex_unlock(&mu);
	return e ? r1_fail(why, R1_ERR_NOTFOUND, "no node has the block") : R1_OK;
}

static void on_event(void *ctx, struct node *n, const struct node_event *ev)
{
	if (ev->type == NODE_EV_PAYLOAD && ev->message)
		json_array_append(payloads, (json_t *)ev->message);
}

static void world_up(const char *dir, unsigned heartbeat_ms, bool copy_blocks)
{
	char *why = NULL;
	static const char *const names[NNODES] = {"oracle", "master", "w1", "w2", "w3", "w4"};
	if (loop_new(&L, &why) || bus_hub_new(L, 0, NULL, &H, &why))
		goto fail;
	for (int i = 0; i < NNODES; i++) {
		char *d = fs_join(dir, names[i]);
		const char *oracle = i ? addrs[ORACLE] : NULL;
		struct node_config cfg = {
		    .alias = names[i],
		    .data_dir = d,
		    .oracle = i == ORACLE,
		    .secured = true,
		    .heartbeat_ms = heartbeat_ms,
		    .netmon_send_ms = heartbeat_ms,
		    .oracles = oracle ? &oracle : NULL,
		    .n_oracles = oracle ? 1 : 0,
		    .compute_threads = 1,
		};
		enum r1_err e = bus_local_new(H, names[i], &buses[i], &why);
		if (!e)
			e = node_new(L, buses[i], &cfg, NULL, &nodes[i], &why);
		r1_free(d);
		if (e)
			goto fail;
		snprintf(addrs[i], sizeof(addrs[i]), "%s", node_address(nodes[i]));
		stores[i] = node_r1fs(nodes[i]);
		if (!stores[i]) {
			why = r1_strdup("no R1FS");
			goto fail;
		}
		if (copy_blocks)
			r1fs_set_fetcher(stores[i], fetch_elsewhere, (void *)(intptr_t)i);
	}
	for (int i = 0; i < NNODES; i++)
		for (int j = 0; j < NNODES; j++)
			if (i != j && node_allow(nodes[i], addrs[j], names[j], &why))
				goto fail;
	node_set_observer(nodes[MASTER], on_event, NULL);
	for (int i = 0; i < NNODES; i++)
		if (node_start(nodes[i], &why))
			goto fail;
	return;
fail:
	fprintf(stderr, "bench_chaindist: %s\n", why ? why : "?");
	exit(1);
}

static void world_down(void)
{
	for (int i = NNODES - 1; i >= 0; i--) {
		pthread_mutex_lock(&mu);
		stores[i] = NULL;
		pthread_mutex_unlock(&mu);
		node_free(&nodes[i]);
		bus_free(&buses[i]);
	}
	bus_hub_free(&H);
	loop_free(&L);
}

static void spin(double seconds)
{
	double end = now_s() + seconds;
	while (now_s() < end)
		loop_run_once(L, 5);
}

/* Workers forget what they fetched: each run pays its transfers. */
static void drop_fetched(void)
{
	struct r1fs_gc_stats st;
	for (int i = W1; i < NNODES; i++)
		r1fs_gc(stores[i], 0, &st, NULL);
}

static void set_pipeline(const char *name, const char *signature, json_t *inst)
{
	json_t *cfg = json_pack("{s:s,s:s,s:[{s:s,s:[o]}]}", K_NAME, name, K_TYPE, "Void",
	                        K_PLUGINS, K_SIGNATURE, signature, K_INSTANCES, inst);
	char *why = NULL;
	if (node_pipeline_set(nodes[MASTER], cfg, &why)) {
		fprintf(stderr, "bench_chaindist: %s: %s\n", name, why ? why : "?");
		exit(1);
	}
}

static void remove_pipeline(const char *name)
{
	char *why = NULL;
	node_pipeline_remove(nodes[MASTER], name, false, &why);
	r1_free(why);
}

/* The first payload of `stream` from index `from` with `key` (waiting up to max_s). */
static json_t *wait_payload(const char *stream, size_t from, const char *key, double max_s)
{
	double end = now_s() + max_s;
	while (now_s() < end) {
		for (size_t i = from; i < json_array_size(payloads); i++) {
			json_t *m = json_array_get(payloads, i);
			const char *s = json_string_value(json_object_get(m, K_STREAM_NAME));
			if (s && strcmp(s, stream) == 0 && json_object_get(m, key))
				return m;
		}
		loop_run_once(L, 2);
	}
	return NULL;
}

static double jnum(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static double max_rel_diff(const struct matrix *a, const struct matrix *b)
{
	if (a->rows != b->rows || a->cols != b->cols)
		return INFINITY;
	double worst = 0;
	for (size_t i = 0; i < a->rows * a->cols; i++) {
		double x = ((const double *)a->data)[i], y = ((const double *)b->data)[i];
		double d = fabs(x - y) / (fabs(y) > 1e-300 ? fabs(y) : 1.0);
		worst = d > worst || isnan(d) ? d : worst;
	}
	return worst;
}

static void fill(struct matrix *m, unsigned seed)
{
	uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
	double *d = m->data;
	for (size_t i = 0; i < m->rows * m->cols; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		d[i] = (double)(s >> 11) / (double)(1ull << 53) - 0.5;
	}
}

int main(int argc, char **argv)
{
	int reps = 3;
	size_t n = 2048;
	double hb = 1.0;
	bool copy_blocks = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (strcmp(argv[i], "--heartbeat") == 0 && i + 1 < argc)
			hb = atof(argv[++i]);
		else if (strcmp(argv[i], "--copy-blocks") == 0)
			copy_blocks = true;
		else if (argv[i][0] != '-')
			n = (size_t)strtoul(argv[i], NULL, 10);
		else {
			fprintf(stderr,
			        "usage: bench_chaindist [--reps N] [--heartbeat S] [--copy-blocks] "
			        "[SIZE]\n");
			return 2;
		}
	}
	if (reps < 1)
		reps = 1;
	if (n < 64)
		n = 64;
	if (hb < 0.2)
		hb = 0.2;
	const char *td = getenv("TMPDIR");
	char tmpdir[256];
	snprintf(tmpdir, sizeof(tmpdir), "%s/bench_chaindist.XXXXXX", td ? td : "/tmp");
	if (!mkdtemp(tmpdir))
		return 1;
	payloads = json_array();
	world_up(tmpdir, (unsigned)(hb * 1000), copy_blocks);
	const struct blas_info *bi = compute_blas(node_compute(nodes[MASTER]));
	char load[64] = "?";
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (!fgets(load, sizeof(load), f))
			snprintf(load, sizeof(load), "?");
		load[strcspn(load, "\n")] = '\0';
		fclose(f);
	}
	double flops = 2.0 * (double)n * (double)n * (double)n;
	printf("# bench_chaindist: OPENBLAS_CORETYPE=%s  core=%s  cores=%d  loadavg: %s\n",
	       bi->coretype_env[0] ? bi->coretype_env : "(unset)", bi->corename, bi->ncores, load);
	printf("# dgemm n=%zu through the plugins: oracle + master + 4 workers in one process, "
	       "1 BLAS thread per node, heartbeats every %.1f s, blocks %s, best of %d\n",
	       n, hb, copy_blocks ? "copied between stores" : "through the R1FS exchange", reps);

	struct matrix a, b, ref;
	if (matrix_alloc(&a, MX_F64, n, n, false, NULL) ||
	    matrix_alloc(&b, MX_F64, n, n, false, NULL) ||
	    matrix_alloc(&ref, MX_F64, n, n, false, NULL))
		return 1;
	fill(&a, 3);
	fill(&b, 4);
	char ca[R1FS_CID_TEXT_MAX], cb[R1FS_CID_TEXT_MAX];
	{
		struct matrix t1, t2;
		matrix_convert(&a, MX_F64, &t1, NULL);
		matrix_convert(&b, MX_F64, &t2, NULL);
		if (mxstore_put(stores[MASTER], &t1, "a.r1mx", NULL, ca, NULL) ||
		    mxstore_put(stores[MASTER], &t2, "b.r1mx", NULL, cb, NULL))
			return 1;
		matrix_release(&t1);
		matrix_release(&t2);
	}
	/* anchor: direct cblas_dgemm on the same matrices, 1 thread then every core */
	for (int threads = 1; threads <= bi->ncores; threads = threads == 1 ? bi->ncores : 99) {
		blas_set_threads(threads);
		double best = INFINITY;
		for (int r = 0; r < reps; r++) {
			double t0 = now_s();
			cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n,
			            (int)n, 1.0, a.data, (int)n, b.data, (int)n, 0.0, ref.data,
			            (int)n);
			best = fmin(best, now_s() - t0);
		}
		printf("direct cblas_dgemm, %d thread%s: %.3f s (%.2f GFLOP/s)\n", threads,
		       threads > 1 ? "s" : "", best, flops / best / 1e9);
		if (threads == bi->ncores)
			break;
	}
	spin(2.5 * hb); /* every node has heard the others */

	/* one node alone: MATMUL_JOB_01 on the master's node, operands in its own store */
	double alone = INFINITY, a_kernel = 0, a_io = 0;
	for (int r = 0; r < reps; r++) {
		size_t p0 = json_array_size(payloads);
		char name[32];
		snprintf(name, sizeof(name), "alone%d", r);
		double t0 = now_s();
		set_pipeline(name, "MATMUL_JOB_01",
		             json_pack("{s:s,s:s,s:s,s:s,s:f}", K_INSTANCE_ID, "m", "A_CID", ca,
		                       "B_CID", cb, "RESULT", "r1fs", K_PROCESS_DELAY, 0.05));
		json_t *m = wait_payload(name, p0, "RESULT_CID", 600);
		double t = now_s() - t0;
		if (!m) {
			printf("one node: no result\n");
			return 1;
		}
		if (t < alone) {
			alone = t;
			a_kernel = jnum(m, "SECONDS");
			a_io = jnum(m, "R1FS_SECONDS");
		}
		remove_pipeline(name);
	}
	printf("1 node alone (MATMUL_JOB_01, data local): %.3f s end to end (%.2f GFLOP/s), "
	       "kernel %.3f s, R1FS %.3f s\n",
	       alone, flops / alone / 1e9, a_kernel, a_io);
	fflush(stdout);

	int counts[] = {1, 2, 4};
	for (size_t ci = 0; ci < R1_ARRAY_LEN(counts); ci++) {
		int nw = counts[ci];
		double best = INFINITY;
		json_t *keep = NULL;
		for (int r = 0; r < reps; r++) {
			drop_fetched();
			size_t p0 = json_array_size(payloads);
			char name[32], job[32];
			snprintf(name, sizeof(name), "cd%d_%d", nw, r);
			snprintf(job, sizeof(job), "bench-%d-%d", nw, r);
			json_t *list = json_array();
			for (int w = 0; w < nw; w++)
				json_array_append_new(list, json_string(addrs[W1 + w]));
			double t0 = now_s();
			set_pipeline(name, "CHAIN_DIST_MASTER_01",
			             json_pack("{s:s,s:s,s:s,s:s,s:i,s:o,s:b,s:f,s:f,s:{s:b}}",
			                       K_INSTANCE_ID, "m", "JOB_ID", job, "A_CID", ca,
			                       "B_CID", cb, "NR_REMOTE_NODES", nw, "NODES", list,
			                       "SPLIT_BY_GFLOPS", 0, "DISCOVERY_TIME", 3 * hb,
			                       K_PROCESS_DELAY, 0.2, "NODE_PLUGIN_CONFIG",
			                       "PREFETCH_FROM_MASTER", !copy_blocks));
			json_t *m = wait_payload(name, p0, "SUCCESS", 900);
			double t = now_s() - t0;
			if (!m || !json_is_true(json_object_get(m, "SUCCESS"))) {
				printf("%d workers: FAILED: %s\n", nw,
				       m ? json_string_value(json_object_get(m, "ERROR"))
				         : "timeout");
				return 1;
			}
			if (r == 0) {
				struct matrix c;
				const char *cid = json_string_value(
				    json_object_get(json_object_get(m, "DATA"), "RESULT"));
				if (mxstore_get(stores[MASTER], cid, NULL, "C", 0, &c, NULL) ==
				    R1_OK) {
					printf("%d worker%s: C against direct dgemm: max rel diff "
					       "%.2g\n",
					       nw, nw > 1 ? "s" : "", max_rel_diff(&c, &ref));
					matrix_release(&c);
				}
			}
			if (t < best) {
				best = t;
				json_decref(keep);
				keep = json_incref(m);
			}
			remove_pipeline(name);
			spin(0.3); /* the closes reach the workers */
		}
		const json_t *tm = json_object_get(keep, "TIMINGS");
		double kmax = 0, iomax = 0, fmax_s = 0, slow = 0;
		size_t i;
		json_t *p;
		json_array_foreach(json_object_get(tm, "PARTS"), i, p)
		{
			kmax = fmax(kmax, jnum(p, "KERNEL_SECONDS"));
			iomax = fmax(iomax, jnum(p, "R1FS_SECONDS"));
			fmax_s = fmax(fmax_s, jnum(p, "FETCH_SECONDS"));
			slow = fmax(slow, jnum(p, "FETCH_SECONDS") + jnum(p, "KERNEL_SECONDS") +
			                      jnum(p, "R1FS_SECONDS"));
		}
		double wait = jnum(tm, "WAIT_NODES_SECONDS");
		printf("%d worker%s: %.3f s end to end (%.2f GFLOP/s, %.0f%% of one node's time); "
		       "without the wait for workers %.3f s (%.0f%%)\n",
		       nw, nw > 1 ? "s" : "", best, flops / best / 1e9, 100.0 * best / alone,
		       best - wait, 100.0 * (best - wait) / alone);
		printf("   load %.3f | wait for workers %.3f | split %.3f | distribute %.3f "
		       "(slowest part: inputs from the master %.3f + kernel %.3f + R1FS %.3f; "
		       "control plane %.3f) | assemble %.3f\n",
		       jnum(tm, "LOAD_SECONDS"), wait, jnum(tm, "SPLIT_SECONDS"),
		       jnum(tm, "DISTRIBUTE_SECONDS"), fmax_s, kmax, iomax,
		       jnum(tm, "DISTRIBUTE_SECONDS") - slow, jnum(tm, "AGGREGATE_SECONDS"));
		fflush(stdout);
		json_decref(keep);
	}
	matrix_release(&a);
	matrix_release(&b);
	matrix_release(&ref);
	world_down();
	json_decref(payloads);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_chaindist: could not remove %s\n", tmpdir);
	return 0;
}
