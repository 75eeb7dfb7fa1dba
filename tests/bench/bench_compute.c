/*
 * bench_compute: OpenBLAS GEMM through the compute engine beside direct
 * cblas_dgemm/cblas_sgemm on the same matrices, in the same run.
 *
 *   bench_compute [--reps N] [--threads N] [--no-r1fs] [--no-chaindist]
 *                 [--cd-size N] [SIZE...]        (default sizes 1024 2048 4096)
 *
 * 1. Job path, inline operands.  For each size and dtype: a warm-up of each
 *    path, then N rounds alternating direct and job runs (a neighbour's load
 *    hits both alike); best and median GFLOP/s of each, their ratio, and the
 *    job's product against the direct one (max relative difference).  The
 *    job path is the whole round trip: submit, hand-off to a worker thread
 *    that lives across jobs (as the pool's do), output allocation, panelled
 *    CBLAS calls with cancel and progress checks, hand-back to the loop.
 *    Operands are borrowed (as from an adopted R1FS file): no input copy.
 *    Direct runs use the jobs' BLAS thread count; a last line gives direct
 *    with every core, the price of leaving one core to the loop.
 * 2. Job path through R1FS: A and B as CIDs in a node's store, C stored
 *    back; kernel GFLOP/s and the R1FS time (fetch, decrypt, verify, add)
 *    reported apart.
 * 3. ChainDist in process: the master state machine (chaindist.c) splits
 *    the product over 2 and 4 in-process nodes, each with its own R1FS
 *    store (blocks move between stores through the fetch hook, as the
 *    exchange would bring them), engine and worker thread, beside one node
 *    alone; the time of each phase is printed.
 *
 * The header records OPENBLAS_CORETYPE, the core OpenBLAS runs and the load
 * average: figures are only comparable under the same core type on a quiet
 * machine.
 */
#include "node/lib.h"
#include "core/db.h"
#include "node/compute/chaindist.h"
#include "node/compute/compute.h"
#include "node/compute/mxstore.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <sys/stat.h>

/* ---- runners: one worker thread each, all handing back through one pipe */

static int done_pipe[2];

struct runner {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	void (*work)(void *);
	void (*done)(void *);
	void *arg;
	bool has_job, stop;
	pthread_t tid;
};

static void *worker_main(void *p)
{
	struct runner *r = p;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (!r->has_job && !r->stop)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->stop)
			break;
		void (*work)(void *) = r->work;
		void *arg = r->arg;
		pthread_mutex_unlock(&r->mu);
		work(arg);
		pthread_mutex_lock(&r->mu);
		r->has_job = false;
		if (write(done_pipe[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			abort();
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static enum r1_err thread_submit(void *ctx, void (*work)(void *), void (*done)(void *), void *arg,
                                 char **why)
{
	struct runner *r = ctx;
	pthread_mutex_lock(&r->mu);
	if (r->has_job) {
		pthread_mutex_unlock(&r->mu);
		return r1_fail(why, R1_ERR_AGAIN, "bench: worker busy");
	}
	r->work = work;
	r->done = done;
	r->arg = arg;
	r->has_job = true;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return R1_OK;
}

/* "The loop": wait for one finished job and run its done. */
static void pump(void)
{
	struct runner *r;
	if (read(done_pipe[0], &r, sizeof(r)) != (ssize_t)sizeof(r))
		abort();
	r->done(r->arg);
}

static void runner_start(struct runner *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if (pthread_create(&r->tid, NULL, worker_main, r) != 0)
		abort();
}

static void runner_stop(struct runner *r)
{
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->tid, NULL);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
}

/* ---- in-process nodes: engine + worker thread + R1FS store */

#define MAX_NODES 5

struct bnode {
	char name[16];
	struct runner run;
	struct compute *eng;
	sqlite3 *db;
	struct r1fs *fs;
};

static struct bnode nodes[MAX_NODES];
static char tmpdir[256];

/* Blocks a store lacks come from the other nodes' stores (the exchange). */
static enum r1_err fetch_elsewhere(void *ctx, const struct r1fs_cid *root,
                                   const struct r1fs_cid *cid, struct buf *out, char **why)
{
	struct bnode *self = ctx;
	for (int i = 0; i < MAX_NODES; i++) {
		if (&nodes[i] == self || !nodes[i].fs)
			continue;
		buf_reset(out);
		if (r1fs_get_block(nodes[i].fs, cid, out, NULL) == R1_OK)
			return R1_OK;
	}
	return r1_fail(why, R1_ERR_NOTFOUND, "bench: no node has the block");
}

static void node_open(struct bnode *n, int i, int threads)
{
	snprintf(n->name, sizeof(n->name), "node%d", i);
	char dir[512], dbp[600];
	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, n->name);
	mkdir(dir, 0700);
	snprintf(dbp, sizeof(dbp), "%s/node.db", dir);
	char *why = NULL;
	struct r1fs_options opt = R1FS_OPTIONS_INIT;
	opt.sync = R1FS_SYNC_NONE;
	if (db_open(dbp, &n->db, &why) || r1fs_open(dir, n->db, &opt, &n->fs, &why)) {
		fprintf(stderr, "bench_compute: %s\n", why ? why : "r1fs");
		exit(1);
	}
	r1fs_set_fetcher(n->fs, fetch_elsewhere, n);
	runner_start(&n->run);
	struct compute_runner runner = {.ctx = &n->run, .submit = thread_submit};
	struct compute_config cfg;
	compute_config_defaults(&cfg);
	cfg.threads = threads;
	cfg.job_mem_limit = UINT64_C(16) << 30;
	if (compute_new(&cfg, &runner, NULL, &n->eng, &why)) {
		fprintf(stderr, "bench_compute: %s\n", why ? why : "engine");
		exit(1);
	}
	compute_set_r1fs(n->eng, n->fs, NULL);
}

static void node_close(struct bnode *n)
{
	compute_free(&n->eng);
	runner_stop(&n->run);
	r1fs_free(&n->fs);
	db_close(&n->db);
}

/* ---- helpers */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void fill(struct matrix *m, uint64_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15u + 7;
	size_t n = m->rows * m->cols;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		double v = (double)(x >> 11) / 9007199254740992.0 * 2.0 - 1.0;
		if (m->dtype == MX_F64)
			((double *)m->data)[i] = v;
		else
			((float *)m->data)[i] = (float)v;
	}
}

struct got {
	bool finished;
	struct matrix c;
	enum compute_state state;
	char why[300];
	char cid[R1FS_CID_TEXT_MAX];
	char (*cids)[R1FS_CID_TEXT_MAX];
	double seconds, gflops, io;
};

static void on_done(void *ctx, struct compute_result *r)
{
	struct got *g = ctx;
	g->finished = true;
	g->state = r->state;
	snprintf(g->why, sizeof(g->why), "%s", r->why ? r->why : "");
	matrix_move(&g->c, &r->c);
	memcpy(g->cid, r->result_cid, sizeof(g->cid));
	g->cids = r->cids;
	r->cids = NULL;
	g->seconds = r->seconds;
	g->gflops = r->gflops;
	g->io = r->io_seconds;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void direct(enum mx_dtype dt, const struct matrix *a, const struct matrix *b,
                   struct matrix *c)
{
	int n = (int)a->rows;
	if (dt == MX_F64)
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a->data, n,
		            b->data, n, 0.0, c->data, n);
	else
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a->data, n,
		            b->data, n, 0.0f, c->data, n);
}

/* Submit, then pump until this job is back. */
static bool wait_for(struct got *g)
{
	while (!g->finished)
		pump();
	if (g->state != COMPUTE_DONE)
		fprintf(stderr, "bench_compute: job failed: %s\n", g->why);
	return g->state == COMPUTE_DONE;
}

/* One product through the engine, operands borrowed; seconds, or -1. */
static double via_job(struct compute *eng, enum mx_dtype dt, const struct matrix *a,
                      const struct matrix *b, struct matrix *out)
{
	struct gemm_spec s;
	gemm_spec_default(&s);
	s.dtype = dt;
	struct matrix va = {.dtype = dt, .rows = a->rows, .cols = a->cols, .data = a->data};
	struct matrix vb = {.dtype = dt, .rows = b->rows, .cols = b->cols, .data = b->data};
	struct got g = {0};
	char *why = NULL;
	struct compute_meta meta = {.owner = "bench"};
	double t0 = now_s();
	if (compute_submit_gemm(eng, &meta, &s, &va, &vb, NULL, on_done, &g, NULL, &why)) {
		fprintf(stderr, "bench_compute: submit: %s\n", why ? why : "?");
		r1_free(why);
		return -1;
	}
	bool okd = wait_for(&g);
	double t = now_s() - t0;
	/* The previous product goes back to the engine, as a plugin does once sent. */
	compute_recycle(eng, out);
	matrix_move(out, &g.c);
	return okd ? t : -1;
}

static double max_rel_diff(const struct matrix *x, const struct matrix *y)
{
	double worst = 0, scale = 0;
	size_t n = x->rows * x->cols;
	for (size_t i = 0; i < n; i++) {
		double u = x->dtype == MX_F64 ? ((double *)x->data)[i] : ((float *)x->data)[i];
		double v = y->dtype == MX_F64 ? ((double *)y->data)[i] : ((float *)y->data)[i];
		scale = fmax(scale, fabs(v));
		worst = fmax(worst, fabs(u - v));
	}
	return scale > 0 ? worst / scale : worst;
}

static const char *gemm_name(enum mx_dtype dt)
{
	return dt == MX_F64 ? "dgemm" : "sgemm";
}

/* ---- 1 and 2: one node */

static void bench_size(struct bnode *nd, size_t n, int reps, int threads, int ncores, bool r1fs)
{
	for (int dti = 0; dti < 2; dti++) {
		enum mx_dtype dt = dti == 0 ? MX_F64 : MX_F32;
		struct matrix a, b, cd, cj = {0};
		if (matrix_alloc(&a, dt, n, n, false, NULL) ||
		    matrix_alloc(&b, dt, n, n, false, NULL) ||
		    matrix_alloc(&cd, dt, n, n, true, NULL)) {
			fprintf(stderr, "bench_compute: n=%zu: out of memory\n", n);
			return;
		}
		fill(&a, 1);
		fill(&b, 2);
		double flops = 2.0 * (double)n * (double)n * (double)n;
		double *td = calloc((size_t)reps, sizeof(double));
		double *tj = calloc((size_t)reps, sizeof(double));
		blas_set_threads(threads);
		direct(dt, &a, &b, &cd); /* warm-up */
		if (via_job(nd->eng, dt, &a, &b, &cj) < 0)
			goto out;
		for (int i = 0; i < reps; i++) {
			double t0 = now_s();
			blas_set_threads(threads);
			direct(dt, &a, &b, &cd);
			td[i] = now_s() - t0;
			tj[i] = via_job(nd->eng, dt, &a, &b, &cj);
			if (tj[i] < 0)
				goto out;
		}
		double diff = max_rel_diff(&cj, &cd);
		double bd = td[0], bj = tj[0];
		for (int i = 1; i < reps; i++) {
			bd = fmin(bd, td[i]);
			bj = fmin(bj, tj[i]);
		}
		double md = median(td, reps), mj = median(tj, reps);
		printf("%s n=%-5zu threads=%d  direct %7.2f GFLOP/s (median %7.2f)  job %7.2f "
		       "(median %7.2f)  job/direct %5.1f%% (median %5.1f%%)  max rel diff %.2g\n",
		       gemm_name(dt), n, threads, flops / bd / 1e9, flops / md / 1e9,
		       flops / bj / 1e9, flops / mj / 1e9, 100.0 * bd / bj, 100.0 * md / mj, diff);
		if (threads < ncores) {
			blas_set_threads(ncores);
			double best = INFINITY;
			for (int i = 0; i < reps; i++) {
				double t0 = now_s();
				direct(dt, &a, &b, &cd);
				best = fmin(best, now_s() - t0);
			}
			printf(
			    "%s n=%-5zu threads=%d  direct %7.2f GFLOP/s (every core; jobs leave "
			    "one to the loop)\n",
			    gemm_name(dt), n, ncores, flops / best / 1e9);
			blas_set_threads(threads);
		}
		if (r1fs) {
			char ca[R1FS_CID_TEXT_MAX], cb[R1FS_CID_TEXT_MAX];
			char *why = NULL;
			double t0 = now_s();
			if (mxstore_put(nd->fs, &a, "a.r1mx", NULL, ca, &why) ||
			    mxstore_put(nd->fs, &b, "b.r1mx", NULL, cb, &why)) {
				fprintf(stderr, "bench_compute: %s\n", why ? why : "r1fs");
				r1_free(why);
				goto out;
			}
			double tput = now_s() - t0;
			struct compute_gemm_req req = {.spec = {.alpha = 1, .dtype = dt},
			                               .store_as = "c.r1mx"};
			req.a.cid = ca;
			req.b.cid = cb;
			struct got g = {0};
			t0 = now_s();
			compute_submit_gemm_req(nd->eng, NULL, &req, on_done, &g, NULL, NULL);
			if (!wait_for(&g))
				goto out;
			double total = now_s() - t0;
			struct matrix back;
			double rd = -1;
			if (mxstore_get(nd->fs, g.cid, NULL, "C", 0, &back, NULL) == R1_OK) {
				rd = max_rel_diff(&back, &cd);
				matrix_release(&back);
			}
			printf(
			    "%s n=%-5zu via R1FS: kernel %7.2f GFLOP/s (%5.1f%% of direct); R1FS "
			    "fetch A,B + store C %.3f s (%.0f MB/s); job total %.3f s; adding A,B "
			    "%.3f s; max rel diff %.2g\n",
			    gemm_name(dt), n, g.gflops, 100.0 * g.gflops / (flops / bd / 1e9), g.io,
			    3.0 * (double)matrix_data_len(&a) / g.io / 1e6, total, tput, rd);
		}
		fflush(stdout);
	out:
		free(td);
		free(tj);
		matrix_release(&a);
		matrix_release(&b);
		matrix_release(&cd);
		matrix_release(&cj);
	}
}

/* ---- 3: ChainDist across in-process nodes */

struct cdrun {
	struct chaindist *cd;
	int nworkers;
	char a_cid[R1FS_CID_TEXT_MAX], b_cid[R1FS_CID_TEXT_MAX];
	char (*part_cids)[R1FS_CID_TEXT_MAX];
	size_t n, nparts_done;
	enum mx_dtype dt;
	/* pending answers, applied on "the loop" */
	struct got split, assemble, part[CD_MAX_PARTS];
	int part_node[CD_MAX_PARTS];
	bool split_pending, assemble_pending, part_pending[CD_MAX_PARTS];
	double t_split, t_dist, t_asm, t0;
	double part_kernel[CD_MAX_PARTS], part_io[CD_MAX_PARTS];
};

static int node_index(const char *addr)
{
	for (int i = 0; i < MAX_NODES; i++)
		if (strcmp(nodes[i].name, addr) == 0)
			return i;
	return -1;
}

static int64_t ms_now(void);

static enum r1_err fx_deploy(void *ctx, struct chaindist *cd, const struct cd_part *p, char **why)
{
	struct cdrun *r = ctx;
	int ni = node_index(p->node);
	if (ni < 0)
		return r1_fail(why, R1_ERR_NOTFOUND, "bench: unknown node %s", p->node);
	struct compute_gemm_req req = {.spec = {.alpha = 1, .dtype = r->dt},
	                               .store_as = "cpart.r1mx"};
	req.a.cid = r->part_cids[p->index];
	req.b.cid = r->b_cid;
	memset(&r->part[p->index], 0, sizeof(r->part[0]));
	r->part_node[p->index] = ni;
	r->part_pending[p->index] = true;
	enum r1_err err = compute_submit_gemm_req(nodes[ni].eng, NULL, &req, on_done,
	                                          &r->part[p->index], NULL, why);
	if (!err)
		chaindist_part_started(cd, p->index, true, NULL, ms_now());
	return err;
}

static enum r1_err fx_split(void *ctx, struct chaindist *cd, char **why)
{
	struct cdrun *r = ctx;
	size_t np = chaindist_nparts(cd);
	uint64_t row0[CD_MAX_PARTS], rows[CD_MAX_PARTS];
	for (size_t i = 0; i < np; i++) {
		row0[i] = chaindist_part(cd, i)->row0;
		rows[i] = chaindist_part(cd, i)->rows;
	}
	struct compute_split_req sp = {.nparts = np, .row0 = row0, .rows = rows};
	sp.src.cid = r->a_cid;
	r->split_pending = true;
	r->t0 = now_s();
	return compute_submit_split(nodes[0].eng, NULL, &sp, on_done, &r->split, NULL, why);
}

static enum r1_err fx_aggregate(void *ctx, struct chaindist *cd, char **why)
{
	struct cdrun *r = ctx;
	size_t np = chaindist_nparts(cd);
	const char *cids[CD_MAX_PARTS];
	for (size_t i = 0; i < np; i++)
		cids[i] = chaindist_part(cd, i)->result;
	struct compute_assemble_req as = {.cids = cids,
	                                  .nparts = np,
	                                  .rows = r->n,
	                                  .cols = r->n,
	                                  .dtype = r->dt,
	                                  .store_as = "c.r1mx"};
	r->assemble_pending = true;
	r->t_dist = now_s() - r->t0;
	r->t0 = now_s();
	return compute_submit_assemble(nodes[0].eng, NULL, &as, on_done, &r->assemble, NULL, why);
}

static int64_t ms_now(void)
{
	return (int64_t)(now_s() * 1000.0);
}

/* Apply what came back to the machine. */
static void apply(struct cdrun *r)
{
	int64_t now = ms_now();
	if (r->split_pending && r->split.finished) {
		r->split_pending = false;
		r->t_split = now_s() - r->t0;
		r->t0 = now_s();
		r->part_cids = r->split.cids;
		r->split.cids = NULL;
		chaindist_split_done(r->cd, r->split.state == COMPUTE_DONE, r->split.why, now);
	}
	for (size_t i = 0; i < chaindist_nparts(r->cd); i++) {
		struct got *g = &r->part[i];
		if (!r->part_pending[i] || !g->finished)
			continue;
		r->part_pending[i] = false;
		r->part_kernel[i] = g->seconds;
		r->part_io[i] = g->io;
		const char *node = nodes[r->part_node[i]].name;
		if (g->state == COMPUTE_DONE)
			chaindist_part_done(r->cd, (unsigned)i, node, g->cid, now);
		else
			chaindist_part_failed(r->cd, (unsigned)i, node, g->why, now);
	}
	if (r->assemble_pending && r->assemble.finished) {
		r->assemble_pending = false;
		r->t_asm = now_s() - r->t0;
		chaindist_aggregated(r->cd, r->assemble.state == COMPUTE_DONE, r->assemble.cid,
		                     r->assemble.why, now);
	}
	chaindist_step(r->cd, now);
}

/* Every node forgets the blocks it fetched (unpinned), so each run pays its transfers. */
static void drop_cached_blocks(void)
{
	struct r1fs_gc_stats st;
	for (int i = 0; i < MAX_NODES; i++)
		if (nodes[i].fs)
			r1fs_gc(nodes[i].fs, 0, &st, NULL);
}

static void bench_chaindist(size_t n, int reps)
{
	enum mx_dtype dt = MX_F64;
	double flops = 2.0 * (double)n * (double)n * (double)n;
	struct matrix a, b, ref = {0};
	if (matrix_alloc(&a, dt, n, n, false, NULL) || matrix_alloc(&b, dt, n, n, false, NULL))
		return;
	fill(&a, 3);
	fill(&b, 4);
	char ca[R1FS_CID_TEXT_MAX], cb[R1FS_CID_TEXT_MAX];
	if (mxstore_put(nodes[0].fs, &a, "a.r1mx", NULL, ca, NULL) ||
	    mxstore_put(nodes[0].fs, &b, "b.r1mx", NULL, cb, NULL))
		return;
	printf("# ChainDist dgemm n=%zu, A and B in the master's R1FS, each node 1 BLAS thread, "
	       "fetched blocks dropped before each run; best of %d\n",
	       n, reps);

	/* One node alone, where the data is: the product from its own store, result stored. */
	double alone = INFINITY, alone_kernel = 0, alone_io = 0;
	for (int rep = 0; rep < reps; rep++) {
		drop_cached_blocks();
		struct compute_gemm_req req = {.spec = {.alpha = 1, .dtype = dt},
		                               .store_as = "c.r1mx"};
		req.a.cid = ca;
		req.b.cid = cb;
		struct got g = {0};
		double t0 = now_s();
		compute_submit_gemm_req(nodes[0].eng, NULL, &req, on_done, &g, NULL, NULL);
		if (!wait_for(&g))
			return;
		double t = now_s() - t0;
		if (t < alone) {
			alone = t;
			alone_kernel = g.seconds;
			alone_io = g.io;
		}
		if (rep == 0)
			mxstore_get(nodes[0].fs, g.cid, NULL, "C", 0, &ref, NULL);
	}
	printf("cd n=%zu 1 node (the master, data local): total %.3f s (%.2f GFLOP/s end to end; "
	       "kernel %.3f s, R1FS "
	       "%.3f s)\n",
	       n, alone, flops / alone / 1e9, alone_kernel, alone_io);

	for (int nw = 2; nw <= 4; nw += 2) {
		double best = INFINITY;
		struct cdrun keep = {0};
		for (int rep = 0; rep < reps; rep++) {
			drop_cached_blocks();
			struct cdrun *r = calloc(1, sizeof(*r));
			r->nworkers = nw;
			r->n = n;
			r->dt = dt;
			memcpy(r->a_cid, ca, sizeof(ca));
			memcpy(r->b_cid, cb, sizeof(cb));
			struct cd_config cfg = {.nr_remote_nodes = (unsigned)nw,
			                        .self_addr = nodes[0].name};
			struct cd_job job = {.kind = CD_MATMUL,
			                     .job_id = "bench",
			                     .rows = n,
			                     .bytes_per_row = 2 * n * 8,
			                     .fixed_bytes = n * n * 8};
			struct cd_effects fx = {.ctx = r,
			                        .deploy = fx_deploy,
			                        .split = fx_split,
			                        .aggregate = fx_aggregate};
			struct cd_node cands[MAX_NODES];
			for (int i = 0; i < nw; i++) {
				memset(&cands[i], 0, sizeof(cands[i]));
				snprintf(cands[i].addr, sizeof(cands[i].addr), "%s",
				         nodes[1 + i].name);
				cands[i].online = cands[i].peered = true;
				cands[i].gflops = 1;
			}
			double t0 = now_s();
			chaindist_new(&cfg, &job, &fx, ms_now(), &r->cd, NULL);
			chaindist_set_candidates(r->cd, cands, (size_t)nw, NULL);
			chaindist_step(r->cd, ms_now());
			while (chaindist_state(r->cd) != CD_FINISHED) {
				if (getenv("BENCH_DEBUG")) {
					json_t *st = chaindist_status_json(r->cd, ms_now());
					char *t = json_dumps(st, JSON_COMPACT);
					fprintf(stderr, "%s\n", t);
					free(t);
					json_decref(st);
				}
				pump();
				apply(r);
			}
			double t = now_s() - t0;
			if (!chaindist_succeeded(r->cd)) {
				printf("cd n=%zu %d nodes: FAILED: %s\n", n, nw,
				       chaindist_why(r->cd));
			} else if (t < best) {
				best = t;
				keep = *r;
				if (rep == 0) {
					struct matrix c;
					if (mxstore_get(nodes[0].fs, chaindist_result(r->cd), NULL,
					                "C", 0, &c, NULL) == R1_OK) {
						printf("cd n=%zu %d nodes: result equals one "
						       "node's: max rel "
						       "diff %.2g\n",
						       n, nw, max_rel_diff(&c, &ref));
						matrix_release(&c);
					}
				}
			}
			chaindist_free(&r->cd);
			r1_free(r->part_cids);
			free(r);
		}
		double kmax = 0, iomax = 0;
		for (int i = 0; i < nw; i++) {
			kmax = fmax(kmax, keep.part_kernel[i]);
			iomax = fmax(iomax, keep.part_io[i]);
		}
		printf(
		    "cd n=%zu %d nodes: total %.3f s (%.2f GFLOP/s end to end, %.0f%% of one "
		    "node's time)  split %.3f s | parts in parallel %.3f s (slowest part: kernel "
		    "%.3f s, R1FS %.3f s) | assemble %.3f s\n",
		    n, nw, best, flops / best / 1e9, 100.0 * best / alone, keep.t_split,
		    keep.t_dist, kmax, iomax, keep.t_asm);
		fflush(stdout);
	}
	matrix_release(&ref);
	matrix_release(&a);
	matrix_release(&b);
}

int main(int argc, char **argv)
{
	int reps = 3, threads = 0;
	bool r1fs = true, cd = true;
	size_t sizes[16], cd_size = 0;
	int nsizes = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (strcmp(argv[i], "--cd-size") == 0 && i + 1 < argc)
			cd_size = (size_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--no-r1fs") == 0)
			r1fs = false;
		else if (strcmp(argv[i], "--no-chaindist") == 0)
			cd = false;
		else if (argv[i][0] != '-' && nsizes < 16)
			sizes[nsizes++] = (size_t)strtoul(argv[i], NULL, 10);
		else {
			fprintf(stderr, "usage: bench_compute [--reps N] [--threads N] [--no-r1fs] "
			                "[--no-chaindist] [--cd-size N] [SIZE...]\n");
			return 2;
		}
	}
	if (reps < 1)
		reps = 1;
	if (!nsizes) {
		sizes[0] = 1024;
		sizes[1] = 2048;
		sizes[2] = 4096;
		nsizes = 3;
	}
	if (!cd_size)
		cd_size = sizes[0] < 2048 && nsizes == 1 ? sizes[0] : 2048;
	const char *td = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/bench_compute.XXXXXX", td ? td : "/tmp");
	if (!mkdtemp(tmpdir) || pipe(done_pipe) != 0)
		return 1;
	node_open(&nodes[0], 0, threads);
	const struct blas_info *bi = compute_blas(nodes[0].eng);
	char load[64] = "?";
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (!fgets(load, sizeof(load), f))
			snprintf(load, sizeof(load), "?");
		load[strcspn(load, "\n")] = '\0';
		fclose(f);
	}
	printf("# bench_compute: OPENBLAS_CORETYPE=%s  core=%s  OPENBLAS_L2_SIZE=%s\n",
	       bi->coretype_env[0] ? bi->coretype_env : "(unset)", bi->corename,
	       bi->l2_env[0] ? bi->l2_env : "(unset)");
	printf("# config: %s\n", bi->config);
	printf("# cores=%d  job BLAS threads=%d  reps=%d  loadavg: %s\n", bi->ncores,
	       compute_threads(nodes[0].eng), reps, load);
	for (int i = 0; i < nsizes; i++)
		bench_size(&nodes[0], sizes[i], reps, compute_threads(nodes[0].eng), bi->ncores,
		           r1fs);
	if (cd) {
		for (int i = 1; i < MAX_NODES; i++)
			node_open(&nodes[i], i, 1);
		bench_chaindist(cd_size, reps);
		for (int i = 1; i < MAX_NODES; i++)
			node_close(&nodes[i]);
	}
	node_close(&nodes[0]);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_compute: could not remove %s\n", tmpdir);
	return 0;
}
