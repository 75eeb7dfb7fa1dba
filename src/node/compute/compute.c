/*
 * The compute engine (see compute.h): a FIFO of jobs, one on a worker at a
 * time, each checked against the memory limit when submitted, with its
 * progress and cancel flag shared through atomics and its result handed
 * back on the loop.  The kernels are gemm.c and vindex.c; this file only
 * decides what runs when, converts operands, allocates outputs on the
 * worker, times the kernel and keeps the history the console shows.  It
 * does not read R1FS, parse configs or talk to the network: plugins do.
 */
#include "node/lib.h"
#include "node/compute/compute.h"

#include <math.h>

#define DEFAULT_MAX_QUEUED 16
#define DEFAULT_HISTORY    32
#define DEFAULT_MEM_CAP    (UINT64_C(8) << 30)

struct job {
	struct compute *eng;
	struct job *next; /* queue link */
	uint64_t id;
	enum compute_kind kind;
	enum compute_state state;
	struct compute_ctl ctl;
	compute_done_fn done;
	void *ctx;
	char owner[64];
	char label[80];
	uint64_t mem_bytes;
	int64_t submitted_ms, started_ms, finished_ms;
	/* copied from the engine for the worker */
	int threads;
	size_t panel_min_rows;
	/* inputs */
	struct gemm_spec spec;
	struct matrix a, b, c; /* GEMM (c: input C, then the product) */
	struct matrix q;       /* SEARCH queries, INDEX embeddings */
	struct vindex *ix;     /* SEARCH */
	size_t k;
	size_t bench_n;
	unsigned bench_reps;
	bool bench_f64, bench_f32;
	/* outputs, written by the worker */
	enum r1_err err;
	char *why;
	double seconds, gflops;
	struct vindex *built;
	struct vsearch_hit *hits;
	struct compute_bench bench;
};

struct compute {
	struct compute_config cfg;
	struct compute_runner runner;
	bool inline_run;
	struct r1_log *log;
	struct blas_info blas;
	int threads;
	uint64_t next_id;
	struct job *running;
	struct job *head, *tail;
	size_t nqueued;
	struct compute_job_info *hist; /* ring of cfg.history */
	size_t hist_len, hist_next;
	struct compute_bench last_bench;
	bool have_bench;
	bool closing; /* freed while a job was on a worker */
};

static const char *const kind_names[] = {
    [COMPUTE_GEMM] = "gemm",
    [COMPUTE_INDEX] = "index",
    [COMPUTE_SEARCH] = "search",
    [COMPUTE_BENCH] = "bench",
};

static const char *const state_names[] = {
    [COMPUTE_QUEUED] = "queued", [COMPUTE_RUNNING] = "running",     [COMPUTE_DONE] = "done",
    [COMPUTE_FAILED] = "failed", [COMPUTE_CANCELLED] = "cancelled",
};

const char *compute_kind_name(enum compute_kind k)
{
	return (unsigned)k < R1_ARRAY_LEN(kind_names) ? kind_names[k] : "?";
}

const char *compute_state_name(enum compute_state s)
{
	return (unsigned)s < R1_ARRAY_LEN(state_names) ? state_names[s] : "?";
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static uint64_t default_mem_limit(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || psz <= 0)
		return UINT64_C(1) << 30;
	uint64_t half = (uint64_t)pages * (uint64_t)psz / 2;
	return half < DEFAULT_MEM_CAP ? half : DEFAULT_MEM_CAP;
}

void compute_config_defaults(struct compute_config *cfg)
{
	*cfg = (struct compute_config){.loop_shares_cores = true};
}

/* ---- jobs */

static void job_free(struct job *j)
{
	if (!j)
		return;
	matrix_release(&j->a);
	matrix_release(&j->b);
	matrix_release(&j->c);
	matrix_release(&j->q);
	vindex_unref(&j->ix);
	vindex_unref(&j->built);
	r1_free(j->hits);
	r1_free(j->why);
	r1_free(j);
}

static void job_info(const struct job *j, struct compute_job_info *out)
{
	memset(out, 0, sizeof(*out));
	out->id = j->id;
	out->kind = j->kind;
	out->state = j->state;
	copy_text(out->owner, sizeof(out->owner), j->owner);
	copy_text(out->label, sizeof(out->label), j->label);
	out->progress = j->state == COMPUTE_DONE ? 1.0
	                : j->state == COMPUTE_QUEUED
	                    ? 0.0
	                    : compute_ctl_progress((struct compute_ctl *)&j->ctl);
	out->mem_bytes = j->mem_bytes;
	out->submitted_ms = j->submitted_ms;
	out->started_ms = j->started_ms;
	out->finished_ms = j->finished_ms;
	out->seconds = j->seconds;
	out->gflops = j->gflops;
	copy_text(out->why, sizeof(out->why), j->why);
}

static void remember(struct compute *c, const struct job *j)
{
	if (!c->hist)
		return;
	job_info(j, &c->hist[c->hist_next]);
	c->hist_next = (c->hist_next + 1) % c->cfg.history;
	if (c->hist_len < c->cfg.history)
		c->hist_len++;
}

static void set_why(struct job *j, enum r1_err err, char *why)
{
	j->err = err;
	r1_free(j->why);
	j->why = why;
}

/* ---- worker side: runs on the worker thread, touches only its job */

static enum r1_err to_dtype(struct matrix *m, enum mx_dtype dtype, char **why)
{
	if (matrix_is_empty(m) || m->dtype == dtype)
		return R1_OK;
	struct matrix t = {0};
	enum r1_err err = matrix_convert(m, dtype, &t, why);
	if (!err)
		matrix_move(m, &t);
	return err;
}

static enum r1_err work_gemm(struct job *j, char **why)
{
	enum mx_dtype dt = j->spec.dtype;
	enum r1_err err = to_dtype(&j->a, dt, why);
	if (!err)
		err = to_dtype(&j->b, dt, why);
	if (!err && !matrix_is_empty(&j->c) && (j->c.dtype != dt || !j->c.block)) {
		/* A borrowed C would be written in place: work on an owned copy. */
		struct matrix t = {0};
		err = matrix_convert(&j->c, dt, &t, why);
		if (!err)
			matrix_move(&j->c, &t);
	}
	if (err)
		return err;
	struct gemm_shape sh;
	err = gemm_shape_of(&j->spec, j->a.rows, j->a.cols, j->b.rows, j->b.cols, &sh, why);
	if (err)
		return err;
	if (matrix_is_empty(&j->c)) {
		err = matrix_alloc(&j->c, dt, sh.m, sh.n, false, why);
		if (err)
			return err;
	}
	double t0 = mono_s();
	err = gemm_run(&j->spec, &j->a, &j->b, &j->c, gemm_panel_rows(&sh, j->panel_min_rows),
	               &j->ctl, why);
	j->seconds = mono_s() - t0;
	if (!err && j->seconds > 0)
		j->gflops = gemm_flops(&sh) / j->seconds / 1e9;
	/* The operands are no longer needed: give their memory back now. */
	matrix_release(&j->a);
	matrix_release(&j->b);
	return err;
}

static enum r1_err work_index(struct job *j, char **why)
{
	double t0 = mono_s();
	enum r1_err err = vindex_build(&j->q, &j->ctl, &j->built, why);
	j->seconds = mono_s() - t0;
	return err;
}

static enum r1_err work_search(struct job *j, char **why)
{
	size_t nq = j->q.rows;
	j->hits = r1_calloc(nq * j->k, sizeof(*j->hits));
	if (!j->hits)
		return r1_fail(why, R1_ERR_NOMEM, "search: out of memory for %zu x %zu hits", nq,
		               j->k);
	double t0 = mono_s();
	enum r1_err err = vindex_search(j->ix, &j->q, j->k, &j->ctl, j->hits, why);
	j->seconds = mono_s() - t0;
	if (!err && j->seconds > 0)
		j->gflops = 2.0 * (double)nq * (double)vindex_rows(j->ix) *
		            (double)vindex_dim(j->ix) / j->seconds / 1e9;
	return err;
}

/* Deterministic fill in [-1, 1) (xorshift), so bench runs compare like with like. */
static void fill_pseudo(struct matrix *m, uint64_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15u + 1;
	size_t n = m->rows * m->cols;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		double v = (double)(x >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
		if (m->dtype == MX_F32)
			((float *)m->data)[i] = (float)v;
		else
			((double *)m->data)[i] = v;
	}
}

static enum r1_err bench_one(struct job *j, enum mx_dtype dt, double *gflops, double *secs,
                             char **why)
{
	size_t n = j->bench_n;
	struct matrix a = {0}, b = {0}, c = {0};
	enum r1_err err = matrix_alloc(&a, dt, n, n, false, why);
	if (!err)
		err = matrix_alloc(&b, dt, n, n, false, why);
	if (!err)
		err = matrix_alloc(&c, dt, n, n, true, why);
	if (err)
		goto out;
	fill_pseudo(&a, 1);
	fill_pseudo(&b, 2);
	struct gemm_spec s;
	gemm_spec_default(&s);
	s.dtype = dt;
	struct gemm_shape sh = {n, n, n};
	size_t pr = gemm_panel_rows(&sh, j->panel_min_rows);
	double best = INFINITY;
	for (unsigned r = 0; r <= j->bench_reps; r++) {
		double t0 = mono_s();
		err = gemm_run(&s, &a, &b, &c, pr, &j->ctl, why);
		double t = mono_s() - t0;
		if (err)
			goto out;
		if (r > 0 && t < best) /* run 0 warms up */
			best = t;
	}
	*secs = best;
	*gflops = best > 0 ? gemm_flops(&sh) / best / 1e9 : 0;
out:
	matrix_release(&a);
	matrix_release(&b);
	matrix_release(&c);
	return err;
}

static enum r1_err work_bench(struct job *j, char **why)
{
	j->bench =
	    (struct compute_bench){.n = j->bench_n, .reps = j->bench_reps, .threads = j->threads};
	double t0 = mono_s();
	enum r1_err err = R1_OK;
	if (j->bench_f64)
		err = bench_one(j, MX_F64, &j->bench.gflops_f64, &j->bench.seconds_f64, why);
	if (!err && j->bench_f32)
		err = bench_one(j, MX_F32, &j->bench.gflops_f32, &j->bench.seconds_f32, why);
	j->seconds = mono_s() - t0;
	j->gflops = j->bench_f64 ? j->bench.gflops_f64 : j->bench.gflops_f32;
	return err;
}

static enum r1_err (*const workers_by_kind[])(struct job *, char **) = {
    [COMPUTE_GEMM] = work_gemm,
    [COMPUTE_INDEX] = work_index,
    [COMPUTE_SEARCH] = work_search,
    [COMPUTE_BENCH] = work_bench,
};

static void job_work(void *arg)
{
	struct job *j = arg;
	char *why = NULL;
	blas_set_threads(j->threads);
	enum r1_err err = compute_ctl_cancelled(&j->ctl)
	                      ? r1_fail(&why, R1_ERR_CANCELLED, "%s: cancelled before it started",
	                                kind_names[j->kind])
	                      : workers_by_kind[j->kind](j, &why);
	set_why(j, err, err ? why : NULL);
	if (!err)
		r1_free(why);
}

/* ---- loop side */

static void start_next(struct compute *c);

static void finish(struct compute *c, struct job *j)
{
	j->finished_ms = wall_ms();
	j->state = j->err == R1_OK              ? COMPUTE_DONE
	           : j->err == R1_ERR_CANCELLED ? COMPUTE_CANCELLED
	                                        : COMPUTE_FAILED;
	if (j->state == COMPUTE_DONE && j->kind == COMPUTE_BENCH) {
		c->last_bench = j->bench;
		c->last_bench.when_ms = j->finished_ms;
		c->have_bench = true;
	}
	if (j->state == COMPUTE_DONE)
		LOG_I(c->log, "compute", "job %" PRIu64 " %s done in %.3f s (%.2f GFLOP/s)", j->id,
		      j->label, j->seconds, j->gflops);
	else
		LOG_W(c->log, "compute", "job %" PRIu64 " %s %s: %s", j->id, j->label,
		      state_names[j->state], j->why ? j->why : r1_strerror(j->err));
	remember(c, j);
	if (j->done) {
		struct compute_result r = {
		    .id = j->id,
		    .kind = j->kind,
		    .state = j->state,
		    .err = j->err,
		    .why = j->why,
		    .seconds = j->seconds,
		    .gflops = j->gflops,
		    .bench = j->bench,
		};
		if (j->state == COMPUTE_DONE) {
			matrix_move(&r.c, &j->c);
			r.index = j->built;
			j->built = NULL;
			r.hits = j->hits;
			j->hits = NULL;
			r.nq = j->q.rows;
			r.k = j->k;
		}
		j->done(j->ctx, &r);
		matrix_release(&r.c);
		vindex_unref(&r.index);
		r1_free(r.hits);
	}
	job_free(j);
}

static void engine_destroy(struct compute *c);

static void job_done(void *arg)
{
	struct job *j = arg;
	struct compute *c = j->eng;
	c->running = NULL;
	if (c->closing) {
		job_free(j);
		engine_destroy(c);
		return;
	}
	finish(c, j);
	start_next(c);
}

static void start_next(struct compute *c)
{
	while (!c->running && c->head) {
		struct job *j = c->head;
		c->head = j->next;
		if (!c->head)
			c->tail = NULL;
		c->nqueued--;
		j->next = NULL;
		j->state = COMPUTE_RUNNING;
		j->started_ms = wall_ms();
		j->threads = c->threads;
		j->panel_min_rows = c->cfg.panel_min_rows;
		c->running = j;
		if (c->inline_run) {
			job_work(j);
			job_done(j);
			continue;
		}
		char *why = NULL;
		enum r1_err err = c->runner.submit(c->runner.ctx, job_work, job_done, j, &why);
		if (err) {
			c->running = NULL;
			r1_why_prefix(&why, "compute: the worker pool refused the job");
			set_why(j, err, why);
			finish(c, j);
		}
	}
}

/* "2400 bytes", "12.5 MiB", "3.0 GiB". */
static void fmt_bytes(char *out, size_t cap, uint64_t n)
{
	if (n < 1024 * 1024)
		snprintf(out, cap, "%" PRIu64 " bytes", n);
	else if (n < (UINT64_C(1) << 30))
		snprintf(out, cap, "%.1f MiB", (double)n / 1048576.0);
	else
		snprintf(out, cap, "%.1f GiB", (double)n / 1073741824.0);
}

static enum r1_err enqueue(struct compute *c, struct job *j, const struct compute_meta *meta,
                           uint64_t *id, char **why)
{
	if (j->mem_bytes > c->cfg.job_mem_limit) {
		char need[32], lim[32];
		fmt_bytes(need, sizeof(need), j->mem_bytes);
		fmt_bytes(lim, sizeof(lim), c->cfg.job_mem_limit);
		enum r1_err err =
		    r1_fail(why, R1_ERR_TOOBIG,
		            "%s: the job needs %s, above the per-job memory limit of %s", j->label,
		            need, lim);
		job_free(j);
		return err;
	}
	if (c->nqueued >= c->cfg.max_queued) {
		job_free(j);
		return r1_fail(why, R1_ERR_AGAIN, "compute: %zu jobs already wait; try later",
		               c->nqueued);
	}
	j->eng = c;
	j->id = ++c->next_id;
	j->state = COMPUTE_QUEUED;
	j->submitted_ms = wall_ms();
	copy_text(j->owner, sizeof(j->owner), meta && meta->owner ? meta->owner : "");
	if (meta && meta->label && meta->label[0])
		copy_text(j->label, sizeof(j->label), meta->label);
	if (c->tail)
		c->tail->next = j;
	else
		c->head = j;
	c->tail = j;
	c->nqueued++;
	if (id)
		*id = j->id;
	start_next(c);
	return R1_OK;
}

static struct job *job_new(enum compute_kind kind, compute_done_fn done, void *ctx)
{
	struct job *j = r1_calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->kind = kind;
	j->done = done;
	j->ctx = ctx;
	compute_ctl_init(&j->ctl);
	return j;
}

static uint64_t held(const struct matrix *m)
{
	return matrix_data_len(m);
}

/* Bytes of a copy of m converted to dtype (0 when no conversion happens). */
static uint64_t conv_bytes(const struct matrix *m, enum mx_dtype dtype)
{
	if (matrix_is_empty(m) || m->dtype == dtype)
		return 0;
	return (uint64_t)m->rows * m->cols * mx_dtype_size(dtype);
}

enum r1_err compute_gemm_bytes(const struct gemm_spec *spec, enum mx_dtype a_dtype, size_t a_rows,
                               size_t a_cols, enum mx_dtype b_dtype, size_t b_rows, size_t b_cols,
                               bool with_c, uint64_t *bytes, char **why)
{
	struct gemm_shape sh;
	uint64_t ab, bb, cb;
	enum r1_err err = gemm_shape_of(spec, a_rows, a_cols, b_rows, b_cols, &sh, why);
	if (!err)
		err = matrix_bytes(a_dtype, a_rows, a_cols, &ab, why);
	if (!err)
		err = matrix_bytes(b_dtype, b_rows, b_cols, &bb, why);
	if (!err)
		err = matrix_bytes(spec->dtype, sh.m, sh.n, &cb, why);
	if (err)
		return err;
	uint64_t es = mx_dtype_size(spec->dtype);
	uint64_t total = ab + bb + cb;
	if (a_dtype != spec->dtype)
		total += (uint64_t)a_rows * a_cols * es;
	if (b_dtype != spec->dtype)
		total += (uint64_t)b_rows * b_cols * es;
	if (with_c)
		total += cb; /* the caller's C and the job's own copy */
	*bytes = total;
	return R1_OK;
}

enum r1_err compute_submit_gemm(struct compute *c, const struct compute_meta *meta,
                                const struct gemm_spec *spec, struct matrix *a, struct matrix *b,
                                struct matrix *c_in, compute_done_fn done, void *ctx, uint64_t *id,
                                char **why)
{
	struct matrix empty = {0};
	if (!c_in)
		c_in = &empty;
	struct job *j = job_new(COMPUTE_GEMM, done, ctx);
	if (!j) {
		matrix_release(a);
		matrix_release(b);
		matrix_release(c_in);
		return r1_fail(why, R1_ERR_NOMEM, "compute: out of memory");
	}
	j->spec = *spec;
	matrix_move(&j->a, a);
	matrix_move(&j->b, b);
	matrix_move(&j->c, c_in);
	enum r1_err err = R1_OK;
	struct gemm_shape sh = {0};
	if (spec->dtype != MX_F32 && spec->dtype != MX_F64)
		err = r1_fail(why, R1_ERR_INVAL, "gemm: unknown dtype %d", (int)spec->dtype);
	else if (matrix_is_empty(&j->a) || matrix_is_empty(&j->b))
		err = r1_fail(why, R1_ERR_INVAL, "gemm: operand %s is empty",
		              matrix_is_empty(&j->a) ? "A" : "B");
	else if (!isfinite(spec->alpha) || !isfinite(spec->beta))
		err = r1_fail(why, R1_ERR_INVAL, "gemm: alpha and beta must be finite numbers");
	else
		err = gemm_shape_of(spec, j->a.rows, j->a.cols, j->b.rows, j->b.cols, &sh, why);
	if (!err && spec->beta != 0 && matrix_is_empty(&j->c))
		err = r1_fail(why, R1_ERR_INVAL, "gemm: beta is %g but no C was given", spec->beta);
	if (!err && !matrix_is_empty(&j->c) && (j->c.rows != sh.m || j->c.cols != sh.n))
		err = r1_fail(why, R1_ERR_INVAL, "gemm: C is %zu x %zu, the product is %zu x %zu",
		              j->c.rows, j->c.cols, sh.m, sh.n);
	if (!err && spec->beta == 0)
		matrix_release(&j->c); /* not read: do not hold it */
	if (err) {
		job_free(j);
		return err;
	}
	uint64_t out_bytes = (uint64_t)sh.m * sh.n * mx_dtype_size(spec->dtype);
	j->mem_bytes = held(&j->a) + held(&j->b) + held(&j->c) + conv_bytes(&j->a, spec->dtype) +
	               conv_bytes(&j->b, spec->dtype) + out_bytes;
	snprintf(j->label, sizeof(j->label), "gemm %zux%zux%zu %s%s%s", sh.m, sh.k, sh.n,
	         mx_dtype_name(spec->dtype), spec->trans_a ? " At" : "",
	         spec->trans_b ? " Bt" : "");
	return enqueue(c, j, meta, id, why);
}

enum r1_err compute_submit_index(struct compute *c, const struct compute_meta *meta,
                                 struct matrix *emb, compute_done_fn done, void *ctx, uint64_t *id,
                                 char **why)
{
	struct job *j = job_new(COMPUTE_INDEX, done, ctx);
	if (!j) {
		matrix_release(emb);
		return r1_fail(why, R1_ERR_NOMEM, "compute: out of memory");
	}
	matrix_move(&j->q, emb);
	if (matrix_is_empty(&j->q)) {
		job_free(j);
		return r1_fail(why, R1_ERR_INVAL, "index: empty embedding matrix");
	}
	j->mem_bytes = held(&j->q) + ((j->q.dtype == MX_F32 && j->q.block)
	                                  ? 0
	                                  : (uint64_t)j->q.rows * j->q.cols * sizeof(float));
	snprintf(j->label, sizeof(j->label), "index %zux%zu %s", j->q.rows, j->q.cols,
	         mx_dtype_name(j->q.dtype));
	return enqueue(c, j, meta, id, why);
}

enum r1_err compute_submit_search(struct compute *c, const struct compute_meta *meta,
                                  struct vindex *ix, struct matrix *queries, size_t k,
                                  compute_done_fn done, void *ctx, uint64_t *id, char **why)
{
	struct job *j = job_new(COMPUTE_SEARCH, done, ctx);
	if (!j) {
		matrix_release(queries);
		return r1_fail(why, R1_ERR_NOMEM, "compute: out of memory");
	}
	matrix_move(&j->q, queries);
	enum r1_err err = R1_OK;
	if (!ix)
		err = r1_fail(why, R1_ERR_STATE, "search: no index loaded");
	else if (matrix_is_empty(&j->q))
		err = r1_fail(why, R1_ERR_INVAL, "search: no queries");
	else if (j->q.cols != vindex_dim(ix))
		err = r1_fail(why, R1_ERR_INVAL,
		              "search: queries have dimension %zu, the index has %zu", j->q.cols,
		              vindex_dim(ix));
	else if (k == 0)
		err = r1_fail(why, R1_ERR_INVAL, "search: k must be at least 1");
	if (err) {
		job_free(j);
		return err;
	}
	j->ix = vindex_ref(ix);
	j->k = R1_MIN(k, vindex_rows(ix)); /* more hits than rows would only be padding */
	j->mem_bytes = held(&j->q) + vindex_search_bytes(ix, j->q.rows, j->k);
	snprintf(j->label, sizeof(j->label), "search %zu queries k=%zu over %zux%zu", j->q.rows,
	         j->k, vindex_rows(ix), vindex_dim(ix));
	return enqueue(c, j, meta, id, why);
}

enum r1_err compute_submit_bench(struct compute *c, const struct compute_meta *meta, size_t n,
                                 unsigned reps, bool do_f64, bool do_f32, compute_done_fn done,
                                 void *ctx, uint64_t *id, char **why)
{
	uint64_t bytes;
	if (!do_f64 && !do_f32)
		return r1_fail(why, R1_ERR_INVAL, "bench: neither float64 nor float32 asked for");
	enum r1_err err = matrix_bytes(do_f64 ? MX_F64 : MX_F32, n, n, &bytes, why);
	if (err)
		return err;
	struct job *j = job_new(COMPUTE_BENCH, done, ctx);
	if (!j)
		return r1_fail(why, R1_ERR_NOMEM, "compute: out of memory");
	j->bench_n = n;
	j->bench_reps = reps ? reps : 1;
	j->bench_f64 = do_f64;
	j->bench_f32 = do_f32;
	j->mem_bytes = 3 * bytes;
	snprintf(j->label, sizeof(j->label), "bench n=%zu%s%s", n, do_f64 ? " f64" : "",
	         do_f32 ? " f32" : "");
	return enqueue(c, j, meta, id, why);
}

/* ---- engine */

enum r1_err compute_new(const struct compute_config *cfg, const struct compute_runner *runner,
                        struct r1_log *log, struct compute **out, char **why)
{
	*out = NULL;
	struct compute *c = r1_calloc(1, sizeof(*c));
	if (!c)
		return r1_fail(why, R1_ERR_NOMEM, "compute: out of memory");
	if (cfg)
		c->cfg = *cfg;
	else
		compute_config_defaults(&c->cfg);
	if (!c->cfg.job_mem_limit)
		c->cfg.job_mem_limit = default_mem_limit();
	if (!c->cfg.max_queued)
		c->cfg.max_queued = DEFAULT_MAX_QUEUED;
	if (!c->cfg.history)
		c->cfg.history = DEFAULT_HISTORY;
	c->hist = r1_calloc(c->cfg.history, sizeof(*c->hist));
	if (!c->hist) {
		r1_free(c);
		return r1_fail(why, R1_ERR_NOMEM, "compute: out of memory");
	}
	if (runner && runner->submit)
		c->runner = *runner;
	else
		c->inline_run = true;
	c->log = log;
	blas_info_get(&c->blas);
	c->threads = blas_pick_threads(c->cfg.threads, c->blas.ncores, c->cfg.loop_shares_cores);
	LOG_I(log, "compute",
	      "OpenBLAS core %s (OPENBLAS_CORETYPE=%s), %d cores, %d BLAS threads per job, "
	      "job memory limit %.0f MiB",
	      c->blas.corename, c->blas.coretype_env[0] ? c->blas.coretype_env : "unset",
	      c->blas.ncores, c->threads, (double)c->cfg.job_mem_limit / 1048576.0);
	*out = c;
	return R1_OK;
}

static void engine_destroy(struct compute *c)
{
	r1_free(c->hist);
	r1_free(c);
}

void compute_free(struct compute **cp)
{
	struct compute *c = *cp;
	*cp = NULL;
	if (!c)
		return;
	while (c->head) {
		struct job *j = c->head;
		c->head = j->next;
		job_free(j);
	}
	c->tail = NULL;
	c->nqueued = 0;
	if (c->running) {
		c->closing = true;
		c->running->done = NULL;
		compute_ctl_cancel(&c->running->ctl);
		return;
	}
	engine_destroy(c);
}

/* Unlink a queued job; NULL if not queued. */
static struct job *unqueue(struct compute *c, uint64_t id)
{
	struct job *prev = NULL;
	for (struct job *j = c->head; j; prev = j, j = j->next) {
		if (j->id != id)
			continue;
		if (prev)
			prev->next = j->next;
		else
			c->head = j->next;
		if (c->tail == j)
			c->tail = prev;
		c->nqueued--;
		j->next = NULL;
		return j;
	}
	return NULL;
}

enum r1_err compute_cancel(struct compute *c, uint64_t id, char **why)
{
	if (c->running && c->running->id == id) {
		compute_ctl_cancel(&c->running->ctl);
		return R1_OK;
	}
	struct job *j = unqueue(c, id);
	if (!j)
		return r1_fail(why, R1_ERR_NOTFOUND, "compute: no queued or running job %" PRIu64,
		               id);
	char *jwhy = NULL;
	r1_fail(&jwhy, R1_ERR_CANCELLED, "%s: cancelled while queued", kind_names[j->kind]);
	set_why(j, R1_ERR_CANCELLED, jwhy);
	finish(c, j);
	return R1_OK;
}

void compute_forget(struct compute *c, uint64_t id)
{
	if (c->running && c->running->id == id) {
		c->running->done = NULL;
		compute_ctl_cancel(&c->running->ctl);
		return;
	}
	struct job *j = unqueue(c, id);
	if (j) {
		j->done = NULL;
		char *jwhy = NULL;
		r1_fail(&jwhy, R1_ERR_CANCELLED, "%s: cancelled while queued", kind_names[j->kind]);
		set_why(j, R1_ERR_CANCELLED, jwhy);
		finish(c, j);
	}
}

size_t compute_list(const struct compute *c, struct compute_job_info *out, size_t max)
{
	size_t n = 0;
	if (c->running && n < max)
		job_info(c->running, &out[n++]);
	for (const struct job *j = c->head; j && n < max; j = j->next)
		job_info(j, &out[n++]);
	for (size_t i = 0; i < c->hist_len && n < max; i++) {
		size_t at = (c->hist_next + c->cfg.history - 1 - i) % c->cfg.history;
		out[n++] = c->hist[at];
	}
	return n;
}

bool compute_job_get(const struct compute *c, uint64_t id, struct compute_job_info *out)
{
	if (c->running && c->running->id == id) {
		job_info(c->running, out);
		return true;
	}
	for (const struct job *j = c->head; j; j = j->next)
		if (j->id == id) {
			job_info(j, out);
			return true;
		}
	for (size_t i = 0; i < c->hist_len; i++)
		if (c->hist[i].id == id) {
			*out = c->hist[i];
			return true;
		}
	return false;
}

size_t compute_queued(const struct compute *c)
{
	return c->nqueued;
}

bool compute_busy(const struct compute *c)
{
	return c->running != NULL;
}

int compute_threads(const struct compute *c)
{
	return c->threads;
}

uint64_t compute_mem_limit(const struct compute *c)
{
	return c->cfg.job_mem_limit;
}

const struct blas_info *compute_blas(const struct compute *c)
{
	return &c->blas;
}

bool compute_last_bench(const struct compute *c, struct compute_bench *out)
{
	if (!c->have_bench) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	*out = c->last_bench;
	return true;
}

static json_t *gflops_json(double g)
{
	/* Two decimals, as a JSON number. */
	return g > 0 ? json_real(round(g * 100.0) / 100.0) : json_null();
}

json_t *compute_heartbeat_json(const struct compute *c)
{
	json_t *o = blas_info_json(&c->blas, c->threads);
	if (!o)
		return NULL;
	const struct compute_bench *b = &c->last_bench;
	int bad = 0;
	bad |= json_object_set_new(o, "COMPUTE_GFLOPS_F64",
	                           c->have_bench ? gflops_json(b->gflops_f64) : json_null());
	bad |= json_object_set_new(o, "COMPUTE_GFLOPS_F32",
	                           c->have_bench ? gflops_json(b->gflops_f32) : json_null());
	bad |= json_object_set_new(o, "COMPUTE_BENCH_N",
	                           c->have_bench ? json_integer((json_int_t)b->n) : json_null());
	bad |= json_object_set_new(o, "COMPUTE_JOBS_RUNNING", json_integer(c->running ? 1 : 0));
	bad |= json_object_set_new(o, "COMPUTE_JOBS_QUEUED", json_integer((json_int_t)c->nqueued));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
