/*
 * bench_compute: OpenBLAS GEMM through the compute engine's job path beside
 * direct cblas_dgemm/cblas_sgemm on the same matrices, in the same run.
 *
 *   bench_compute [--reps N] [--threads N] [SIZE...]    (default sizes 1024 2048 4096)
 *
 * For each size and dtype: one warm-up of each path, then N rounds that
 * alternate direct and job runs (so a neighbour's load hits both alike);
 * the best and median GFLOP/s of each path are printed with their ratio,
 * and the job's product is compared with the direct one (max relative
 * difference).  The job path is the whole round trip: submit, hand-off to
 * a worker thread (one that lives across jobs, as the pool's do), output allocation, panelled CBLAS
 * calls with cancel and progress checks, hand-back to the loop; the operands are borrowed (as from
 * an adopted R1FS file), so no input copy.  Direct runs use the same BLAS thread count as jobs; a
 * last line gives direct with every core, the price of leaving one core to the loop.
 *
 * The header records OPENBLAS_CORETYPE, the core OpenBLAS runs and the load
 * average: figures are only comparable under the same core type on a quiet
 * machine.
 */
#include "node/lib.h"
#include "node/compute/compute.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>

/*
 * A one-thread worker pool, as the node's: the thread lives across jobs
 * (OpenBLAS keeps per-thread buffers), takes jobs from a one-slot mailbox
 * and hands them back through a pipe that "the loop" (main) reads.
 */
struct runner {
	int fds[2];
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
		char c = 1;
		if (write(r->fds[1], &c, 1) != 1)
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

static void pump(struct runner *r)
{
	char c;
	if (read(r->fds[0], &c, 1) != 1)
		abort();
	r->done(r->arg);
}

static bool runner_start(struct runner *r)
{
	memset(r, 0, sizeof(*r));
	if (pipe(r->fds) != 0)
		return false;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	return pthread_create(&r->tid, NULL, worker_main, r) == 0;
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
	close(r->fds[0]);
	close(r->fds[1]);
}

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
		matrix_set(m, i / m->cols, i % m->cols, v);
	}
}

struct got {
	struct matrix c;
	enum compute_state state;
	char why[200];
};

static void on_done(void *ctx, struct compute_result *r)
{
	struct got *g = ctx;
	g->state = r->state;
	snprintf(g->why, sizeof(g->why), "%s", r->why ? r->why : "");
	matrix_move(&g->c, &r->c);
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

/* One product through the engine; seconds, or -1 on failure (reason printed). */
static double via_job(struct compute *eng, struct runner *r, enum mx_dtype dt,
                      const struct matrix *a, const struct matrix *b, struct matrix *out)
{
	struct gemm_spec s;
	gemm_spec_default(&s);
	s.dtype = dt;
	/* Borrowed views: the job releases nothing of the caller's. */
	struct matrix va = {.dtype = dt, .rows = a->rows, .cols = a->cols, .data = a->data};
	struct matrix vb = {.dtype = dt, .rows = b->rows, .cols = b->cols, .data = b->data};
	struct got g = {0};
	char *why = NULL;
	struct compute_meta meta = {.owner = "bench"};
	double t0 = now_s();
	enum r1_err err =
	    compute_submit_gemm(eng, &meta, &s, &va, &vb, NULL, on_done, &g, NULL, &why);
	if (err) {
		fprintf(stderr, "bench_compute: submit: %s\n", why ? why : r1_strerror(err));
		r1_free(why);
		return -1;
	}
	pump(r);
	double t = now_s() - t0;
	if (g.state != COMPUTE_DONE) {
		fprintf(stderr, "bench_compute: job failed: %s\n", g.why);
		matrix_release(&g.c);
		return -1;
	}
	matrix_move(out, &g.c);
	return t;
}

static double max_rel_diff(const struct matrix *x, const struct matrix *y)
{
	double worst = 0, scale = 0;
	size_t n = x->rows * x->cols;
	for (size_t i = 0; i < n; i++) {
		double v = y->dtype == MX_F64 ? ((double *)y->data)[i] : ((float *)y->data)[i];
		scale = fmax(scale, fabs(v));
	}
	for (size_t i = 0; i < n; i++) {
		double u = x->dtype == MX_F64 ? ((double *)x->data)[i] : ((float *)x->data)[i];
		double v = y->dtype == MX_F64 ? ((double *)y->data)[i] : ((float *)y->data)[i];
		worst = fmax(worst, fabs(u - v));
	}
	return scale > 0 ? worst / scale : worst;
}

static void bench_size(struct compute *eng, struct runner *r, size_t n, int reps, int threads,
                       int ncores)
{
	for (int dti = 0; dti < 2; dti++) {
		enum mx_dtype dt = dti == 0 ? MX_F64 : MX_F32;
		struct matrix a, b, cd, cj = {0};
		char *why = NULL;
		if (matrix_alloc(&a, dt, n, n, false, &why) ||
		    matrix_alloc(&b, dt, n, n, false, &why) ||
		    matrix_alloc(&cd, dt, n, n, true, &why)) {
			fprintf(stderr, "bench_compute: n=%zu: %s\n", n, why ? why : "?");
			r1_free(why);
			return;
		}
		fill(&a, 1);
		fill(&b, 2);
		double flops = 2.0 * (double)n * (double)n * (double)n;
		double *td = calloc((size_t)reps, sizeof(double));
		double *tj = calloc((size_t)reps, sizeof(double));
		blas_set_threads(threads);
		direct(dt, &a, &b, &cd); /* warm-up */
		if (via_job(eng, r, dt, &a, &b, &cj) < 0)
			goto out;
		for (int i = 0; i < reps; i++) {
			double t0 = now_s();
			blas_set_threads(threads);
			direct(dt, &a, &b, &cd);
			td[i] = now_s() - t0;
			matrix_release(&cj);
			tj[i] = via_job(eng, r, dt, &a, &b, &cj);
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
		const char *name = dt == MX_F64 ? "dgemm" : "sgemm";
		printf("%s n=%-5zu threads=%d  direct %8.2f GFLOP/s (median %8.2f)   "
		       "job %8.2f GFLOP/s (median %8.2f)   job/direct %5.1f%% (median %5.1f%%)   "
		       "max rel diff %.2g\n",
		       name, n, threads, flops / bd / 1e9, flops / md / 1e9, flops / bj / 1e9,
		       flops / mj / 1e9, 100.0 * bd / bj, 100.0 * md / mj, diff);
		if (threads < ncores) {
			blas_set_threads(ncores);
			double best = INFINITY;
			for (int i = 0; i < reps; i++) {
				double t0 = now_s();
				direct(dt, &a, &b, &cd);
				best = fmin(best, now_s() - t0);
			}
			printf(
			    "%s n=%-5zu threads=%d  direct %8.2f GFLOP/s (every core; jobs leave "
			    "one to the loop)\n",
			    name, n, ncores, flops / best / 1e9);
			blas_set_threads(threads);
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

int main(int argc, char **argv)
{
	int reps = 3, threads = 0;
	size_t sizes[16];
	int nsizes = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (argv[i][0] != '-' && nsizes < 16)
			sizes[nsizes++] = (size_t)strtoul(argv[i], NULL, 10);
		else {
			fprintf(stderr,
			        "usage: bench_compute [--reps N] [--threads N] [SIZE...]\n");
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
	struct runner r;
	if (!runner_start(&r))
		return 1;
	struct compute_runner runner = {.ctx = &r, .submit = thread_submit};
	struct compute_config cfg;
	compute_config_defaults(&cfg);
	cfg.threads = threads;
	cfg.job_mem_limit = UINT64_C(16) << 30;
	struct compute *eng = NULL;
	char *why = NULL;
	if (compute_new(&cfg, &runner, NULL, &eng, &why)) {
		fprintf(stderr, "bench_compute: %s\n", why ? why : "?");
		return 1;
	}
	const struct blas_info *bi = compute_blas(eng);
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
	       compute_threads(eng), reps, load);
	for (int i = 0; i < nsizes; i++)
		bench_size(eng, &r, sizes[i], reps, compute_threads(eng), bi->ncores);
	compute_free(&eng);
	runner_stop(&r);
	return 0;
}
