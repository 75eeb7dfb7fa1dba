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
#include "node/compute/mxstore.h"
#include "core/clock.h"
#include "core/workers.h"

#include <math.h>

#define DEFAULT_MAX_QUEUED 16
#define DEFAULT_HISTORY    32
#define DEFAULT_MEM_CAP    (UINT64_C(8) << 30)
#define MAX_SPLIT_PARTS    1024

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
	uint64_t mem_limit;
	struct r1fs *fs;
	char *secret;
	/* inputs */
	struct gemm_spec spec;
	struct matrix a, b, c;               /* GEMM (c: input C, then the product) */
	struct matrix q;                     /* SEARCH queries, INDEX embeddings, SPLIT source */
	char *a_cid, *b_cid, *c_cid, *q_cid; /* operands still in R1FS */
	struct vindex *ix;                   /* SEARCH */
	size_t k;
	char *store_as;              /* GEMM, ASSEMBLE: file name of the result in R1FS */
	bool keep_result;            /* GEMM: hand C back too */
	bool trans;                  /* SPLIT */
	size_t nparts;               /* SPLIT, ASSEMBLE */
	uint64_t *row0, *rows;       /* SPLIT */
	char *prefix;                /* SPLIT */
	char **part_cids;            /* ASSEMBLE inputs */
	uint64_t out_rows, out_cols; /* ASSEMBLE */
	enum mx_dtype out_dtype;     /* ASSEMBLE */
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
	char result_cid[R1FS_CID_TEXT_MAX];
	char (*cids)[R1FS_CID_TEXT_MAX];
	double io_seconds;
	uint64_t mem_needed; /* known on the worker once CID operands are fetched */
	bool ran;            /* the worker ran it (a pool may cancel a job before it starts) */
	/* the engine's spare output block, lent to the job and given back */
	void *spare;
	size_t spare_len;
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
	struct r1fs *fs;
	char *secret;
	struct workers *pool; /* compute_new_on_loop: our own one-thread pool */
	bool draining;        /* compute_free is shutting the pool down */
	/*
	 * One output block kept from a finished product (compute_recycle), so
	 * that the next product of up to its size writes into pages already
	 * mapped: a fresh 32 MiB output costs thousands of page faults inside
	 * the first CBLAS call.  Freed by compute_trim and compute_free.
	 */
	void *spare;
	size_t spare_len;
	/* ChainDist machines mastered here (borrowed), for views */
	struct chaindist **cds;
	size_t ncds;
};

static const char *const kind_names[] = {
    [COMPUTE_GEMM] = "gemm",   [COMPUTE_INDEX] = "index", [COMPUTE_SEARCH] = "search",
    [COMPUTE_BENCH] = "bench", [COMPUTE_SPLIT] = "split", [COMPUTE_ASSEMBLE] = "assemble",
    [COMPUTE_LOAD] = "load",
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

static double mono_s(void)
{
	return (double)r1_mono_ns() * 1e-9;
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
	r1_free(j->secret);
	r1_free(j->a_cid);
	r1_free(j->b_cid);
	r1_free(j->c_cid);
	r1_free(j->q_cid);
	r1_free(j->store_as);
	r1_free(j->row0);
	r1_free(j->rows);
	r1_free(j->prefix);
	for (size_t i = 0; j->part_cids && i < j->nparts; i++)
		r1_free(j->part_cids[i]);
	r1_free(j->part_cids);
	r1_free(j->cids);
	r1_free(j->spare);
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
	/* What the worker writes is read only once it has handed the job back. */
	if (j->state != COMPUTE_RUNNING) {
		out->seconds = j->seconds;
		out->gflops = j->gflops;
		copy_text(out->why, sizeof(out->why), j->why);
	}
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

static enum r1_err over_limit(const char *label, uint64_t need, uint64_t limit, char **why)
{
	char a[32], b[32];
	fmt_bytes(a, sizeof(a), need);
	fmt_bytes(b, sizeof(b), limit);
	return r1_fail(why, R1_ERR_TOOBIG,
	               "%s: the job needs %s, above the per-job memory limit of %s", label, a, b);
}

/* Fetch an operand still in R1FS, within what is left of the job's memory. */
static enum r1_err fetch(struct job *j, char **cid, struct matrix *m, const char *what,
                         uint64_t *used, char **why)
{
	if (!*cid)
		return R1_OK;
	uint64_t left = j->mem_limit > *used ? j->mem_limit - *used : 1;
	double t0 = mono_s();
	enum r1_err err = mxstore_get(j->fs, *cid, j->secret, what, left, m, why);
	j->io_seconds += mono_s() - t0;
	if (err == R1_ERR_TOOBIG) {
		char lim[32], have[32];
		fmt_bytes(lim, sizeof(lim), j->mem_limit);
		fmt_bytes(have, sizeof(have), *used);
		err = r1_fail(why, R1_ERR_TOOBIG,
		              "%s: %s (%s) does not fit in the per-job memory limit of %s (%s "
		              "already held)",
		              j->label, what, *cid, lim, have);
	}
	if (!err)
		*used += matrix_data_len(m);
	return err;
}

static uint64_t conv_bytes(const struct matrix *m, enum mx_dtype dtype);

/* Keep m's block for the engine's spare (the bigger of two), free the rest. */
static void keep_block(struct job *j, struct matrix *m)
{
	size_t len = matrix_block_len(m);
	if (len > j->spare_len) {
		r1_free(j->spare);
		j->spare = m->block;
		j->spare_len = len;
		*m = (struct matrix){0};
	}
	matrix_release(m);
}

static enum r1_err work_gemm(struct job *j, char **why)
{
	enum mx_dtype dt = j->spec.dtype;
	uint64_t used = matrix_data_len(&j->a) + matrix_data_len(&j->b) + matrix_data_len(&j->c);
	enum r1_err err = fetch(j, &j->a_cid, &j->a, "A", &used, why);
	if (!err)
		err = fetch(j, &j->b_cid, &j->b, "B", &used, why);
	if (!err)
		err = fetch(j, &j->c_cid, &j->c, "C", &used, why);
	if (err)
		return err;
	struct gemm_shape sh;
	err = gemm_shape_of(&j->spec, j->a.rows, j->a.cols, j->b.rows, j->b.cols, &sh, why);
	if (err)
		return err;
	if (!matrix_is_empty(&j->c) && (j->c.rows != sh.m || j->c.cols != sh.n))
		return r1_fail(why, R1_ERR_INVAL, "gemm: C is %zu x %zu, the product is %zu x %zu",
		               j->c.rows, j->c.cols, sh.m, sh.n);
	if (j->spec.beta == 0)
		matrix_release(&j->c);
	j->mem_needed = matrix_data_len(&j->a) + matrix_data_len(&j->b) + matrix_data_len(&j->c) +
	                conv_bytes(&j->a, dt) + conv_bytes(&j->b, dt) +
	                (uint64_t)sh.m * sh.n * mx_dtype_size(dt);
	if (j->mem_needed > j->mem_limit)
		return over_limit(j->label, j->mem_needed, j->mem_limit, why);
	err = to_dtype(&j->a, dt, why);
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
	if (matrix_is_empty(&j->c)) {
		uint64_t need = (uint64_t)sh.m * sh.n * mx_dtype_size(dt) + MATRIX_HEADER_LEN;
		/* The spare serves outputs from half its size up, so it is not wasted. */
		if (j->spare && j->spare_len / 2 <= need &&
		    matrix_in_block(&j->c, j->spare, j->spare_len, dt, sh.m, sh.n)) {
			j->spare = NULL;
			j->spare_len = 0;
		} else {
			err = matrix_alloc(&j->c, dt, sh.m, sh.n, false, why);
			if (err)
				return err;
		}
	}
	double t0 = mono_s();
	err = gemm_run(&j->spec, &j->a, &j->b, &j->c, gemm_panel_rows(&sh, j->panel_min_rows),
	               &j->ctl, why);
	j->seconds = mono_s() - t0;
	if (!err && j->seconds > 0)
		j->gflops = gemm_flops(&sh) / j->seconds / 1e9;
	j->out_rows = sh.m;
	j->out_cols = sh.n;
	j->out_dtype = dt;
	/* The operands are no longer needed: give their memory back now. */
	matrix_release(&j->a);
	matrix_release(&j->b);
	if (!err && j->store_as) {
		t0 = mono_s();
		err = mxstore_put(j->fs, &j->c, j->store_as, j->secret, j->result_cid, why);
		j->io_seconds += mono_s() - t0;
		if (!j->keep_result)
			keep_block(j, &j->c);
	}
	return err;
}

/* Row i of op(src) into dst (cols elements of the same dtype). */
static void copy_op_row(const struct matrix *src, bool trans, size_t i, void *dst)
{
	size_t es = mx_dtype_size(src->dtype);
	if (!trans) {
		memcpy(dst, (const uint8_t *)src->data + i * src->cols * es, src->cols * es);
		return;
	}
	const uint8_t *col = (const uint8_t *)src->data + i * es;
	uint8_t *d = dst;
	for (size_t r = 0; r < src->rows; r++)
		memcpy(d + r * es, col + r * src->cols * es, es);
}

static enum r1_err work_split(struct job *j, char **why)
{
	uint64_t used = matrix_data_len(&j->q);
	enum r1_err err = fetch(j, &j->q_cid, &j->q, "the matrix to split", &used, why);
	if (err)
		return err;
	size_t m = j->trans ? j->q.cols : j->q.rows, k = j->trans ? j->q.rows : j->q.cols;
	uint64_t biggest = 0;
	for (size_t p = 0; p < j->nparts; p++) {
		if (j->row0[p] > m || j->rows[p] > m - j->row0[p])
			return r1_fail(why, R1_ERR_INVAL,
			               "split: part %zu (rows %" PRIu64 "..%" PRIu64
			               ") is outside the %zu rows",
			               p, j->row0[p], j->row0[p] + j->rows[p], m);
		biggest = R1_MAX(biggest, j->rows[p]);
	}
	j->mem_needed = used + biggest * k * mx_dtype_size(j->q.dtype);
	if (j->mem_needed > j->mem_limit)
		return over_limit(j->label, j->mem_needed, j->mem_limit, why);
	j->cids = r1_calloc(j->nparts, sizeof(*j->cids));
	if (!j->cids)
		return r1_fail(why, R1_ERR_NOMEM, "split: out of memory");
	compute_ctl_start(&j->ctl, j->nparts);
	double t0 = mono_s();
	for (size_t p = 0; p < j->nparts && !err; p++) {
		if (compute_ctl_cancelled(&j->ctl))
			return r1_fail(why, R1_ERR_CANCELLED,
			               "split: cancelled after %zu of %zu parts", p, j->nparts);
		struct matrix part;
		err = matrix_alloc(&part, j->q.dtype, (size_t)j->rows[p], k, false, why);
		if (err)
			break;
		size_t es = mx_dtype_size(j->q.dtype);
		for (size_t r = 0; r < part.rows; r++)
			copy_op_row(&j->q, j->trans, (size_t)j->row0[p] + r,
			            (uint8_t *)part.data + r * k * es);
		char name[96];
		snprintf(name, sizeof(name), "%.64s_%zu.r1mx", j->prefix ? j->prefix : "part", p);
		err = mxstore_put(j->fs, &part, name, j->secret, j->cids[p], why);
		matrix_release(&part);
		compute_ctl_advance(&j->ctl, 1);
	}
	j->io_seconds = mono_s() - t0;
	return err;
}

static enum r1_err work_assemble(struct job *j, char **why)
{
	size_t es = mx_dtype_size(j->out_dtype);
	uint64_t out_bytes = j->out_rows * j->out_cols * es;
	enum r1_err err =
	    matrix_alloc(&j->c, j->out_dtype, (size_t)j->out_rows, (size_t)j->out_cols, false, why);
	if (err)
		return err;
	compute_ctl_start(&j->ctl, j->nparts);
	double t0 = mono_s();
	uint64_t row = 0;
	for (size_t p = 0; p < j->nparts && !err; p++) {
		if (compute_ctl_cancelled(&j->ctl)) {
			err = r1_fail(why, R1_ERR_CANCELLED,
			              "assemble: cancelled after %zu of %zu parts", p, j->nparts);
			break;
		}
		struct matrix part = {0};
		char what[32];
		snprintf(what, sizeof(what), "part %zu", p);
		uint64_t left = j->mem_limit > out_bytes ? j->mem_limit - out_bytes : 1;
		err = mxstore_get(j->fs, j->part_cids[p], j->secret, what, left, &part, why);
		if (!err && (part.cols != j->out_cols || part.dtype != j->out_dtype ||
		             part.rows > j->out_rows - row))
			err = r1_fail(why, R1_ERR_INVAL,
			              "assemble: part %zu (%s) is %zu x %zu %s; expected %" PRIu64
			              " columns of %s within %" PRIu64 " rows",
			              p, j->part_cids[p], part.rows, part.cols,
			              mx_dtype_name(part.dtype), j->out_cols,
			              mx_dtype_name(j->out_dtype), j->out_rows - row);
		if (!err) {
			memcpy((uint8_t *)j->c.data + row * j->out_cols * es, part.data,
			       matrix_data_len(&part));
			row += part.rows;
		}
		matrix_release(&part);
		compute_ctl_advance(&j->ctl, 1);
	}
	if (!err && row != j->out_rows)
		err = r1_fail(why, R1_ERR_INVAL,
		              "assemble: the parts have %" PRIu64 " rows, the result %" PRIu64, row,
		              j->out_rows);
	if (!err)
		err = mxstore_put(j->fs, &j->c, j->store_as ? j->store_as : "result.r1mx",
		                  j->secret, j->result_cid, why);
	j->io_seconds = mono_s() - t0;
	matrix_release(&j->c);
	return err;
}

static enum r1_err work_index(struct job *j, char **why)
{
	uint64_t used = matrix_data_len(&j->q);
	enum r1_err ferr = fetch(j, &j->q_cid, &j->q, "the embeddings", &used, why);
	if (ferr)
		return ferr;
	j->mem_needed = used + (j->q.dtype == MX_F32 && j->q.block
	                            ? 0
	                            : (uint64_t)j->q.rows * j->q.cols * sizeof(float));
	if (j->mem_needed > j->mem_limit)
		return over_limit(j->label, j->mem_needed, j->mem_limit, why);
	double t0 = mono_s();
	enum r1_err err = vindex_build(&j->q, &j->ctl, &j->built, why);
	j->seconds = mono_s() - t0;
	return err;
}

static enum r1_err work_search(struct job *j, char **why)
{
	uint64_t used = matrix_data_len(&j->q);
	enum r1_err ferr = fetch(j, &j->q_cid, &j->q, "the queries", &used, why);
	if (ferr)
		return ferr;
	if (j->q.cols != vindex_dim(j->ix))
		return r1_fail(why, R1_ERR_INVAL,
		               "search: queries have dimension %zu, the index has %zu", j->q.cols,
		               vindex_dim(j->ix));
	j->mem_needed = used + vindex_search_bytes(j->ix, j->q.rows, j->k);
	if (j->mem_needed > j->mem_limit)
		return over_limit(j->label, j->mem_needed, j->mem_limit, why);
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

/* LOAD: fetch one matrix; its shape always comes back, the matrix only when kept. */
static enum r1_err work_load(struct job *j, char **why)
{
	uint64_t used = 0;
	enum r1_err err = fetch(j, &j->q_cid, &j->c, j->prefix, &used, why);
	if (err)
		return err;
	j->out_rows = j->c.rows;
	j->out_cols = j->c.cols;
	j->out_dtype = j->c.dtype;
	j->mem_needed = used;
	if (!j->keep_result)
		matrix_release(&j->c);
	return R1_OK;
}

static enum r1_err (*const workers_by_kind[])(struct job *, char **) = {
    [COMPUTE_GEMM] = work_gemm,   [COMPUTE_INDEX] = work_index, [COMPUTE_SEARCH] = work_search,
    [COMPUTE_BENCH] = work_bench, [COMPUTE_SPLIT] = work_split, [COMPUTE_ASSEMBLE] = work_assemble,
    [COMPUTE_LOAD] = work_load,
};

static void job_work(void *arg)
{
	struct job *j = arg;
	char *why = NULL;
	j->ran = true;
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

static void take_spare(struct compute *c, void *block, size_t len)
{
	if (len > c->spare_len && len <= c->cfg.job_mem_limit) {
		r1_free(c->spare);
		c->spare = block;
		c->spare_len = len;
	} else {
		r1_free(block);
	}
}

static void finish(struct compute *c, struct job *j)
{
	if (j->spare) {
		take_spare(c, j->spare, j->spare_len);
		j->spare = NULL;
		j->spare_len = 0;
	}
	j->finished_ms = r1_wall_ms();
	j->state = j->err == R1_OK              ? COMPUTE_DONE
	           : j->err == R1_ERR_CANCELLED ? COMPUTE_CANCELLED
	                                        : COMPUTE_FAILED;
	if (j->mem_needed > j->mem_bytes)
		j->mem_bytes = j->mem_needed;
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
		    .io_seconds = j->io_seconds,
		};
		if (j->state == COMPUTE_DONE) {
			matrix_move(&r.c, &j->c);
			r.index = j->built;
			j->built = NULL;
			r.hits = j->hits;
			j->hits = NULL;
			r.nq = j->q.rows;
			r.k = j->k;
			memcpy(r.result_cid, j->result_cid, sizeof(r.result_cid));
			r.rows = (size_t)j->out_rows;
			r.cols = (size_t)j->out_cols;
			r.dtype = j->out_dtype;
			r.cids = j->cids;
			r.ncids = r.cids ? j->nparts : 0;
			j->cids = NULL;
		}
		j->done(j->ctx, &r);
		matrix_release(&r.c);
		vindex_unref(&r.index);
		r1_free(r.hits);
		r1_free(r.cids);
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
		if (!c->draining)
			engine_destroy(c);
		return;
	}
	if (!j->ran) {
		char *why = NULL;
		r1_fail(&why, R1_ERR_CANCELLED, "%s: cancelled before it started",
		        kind_names[j->kind]);
		set_why(j, R1_ERR_CANCELLED, why);
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
		j->started_ms = r1_wall_ms();
		j->threads = c->threads;
		j->panel_min_rows = c->cfg.panel_min_rows;
		if (j->kind == COMPUTE_GEMM && c->spare) {
			j->spare = c->spare;
			j->spare_len = c->spare_len;
			c->spare = NULL;
			c->spare_len = 0;
		}
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

static enum r1_err enqueue(struct compute *c, struct job *j, const struct compute_meta *meta,
                           uint64_t *id, char **why)
{
	if (!j->mem_limit || j->mem_limit > c->cfg.job_mem_limit)
		j->mem_limit = c->cfg.job_mem_limit;
	if (j->mem_bytes > j->mem_limit) {
		enum r1_err err = over_limit(j->label, j->mem_bytes, j->mem_limit, why);
		job_free(j);
		return err;
	}
	if ((j->a_cid || j->b_cid || j->c_cid || j->q_cid || j->store_as || j->part_cids ||
	     j->kind == COMPUTE_SPLIT) &&
	    !c->fs) {
		enum r1_err err =
		    r1_fail(why, R1_ERR_STATE, "%s: this node has no R1FS", kind_names[j->kind]);
		job_free(j);
		return err;
	}
	j->fs = c->fs;
	if (c->secret && !(j->secret = r1_strdup(c->secret))) {
		job_free(j);
		return r1_fail(why, R1_ERR_NOMEM, "compute: out of memory");
	}
	if (c->nqueued >= c->cfg.max_queued) {
		job_free(j);
		return r1_fail(why, R1_ERR_AGAIN, "compute: %zu jobs already wait; try later",
		               c->nqueued);
	}
	j->eng = c;
	j->id = ++c->next_id;
	j->state = COMPUTE_QUEUED;
	j->submitted_ms = r1_wall_ms();
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
	struct compute_gemm_req req = {.spec = *spec};
	matrix_move(&req.a.m, a);
	matrix_move(&req.b.m, b);
	if (c_in)
		matrix_move(&req.c.m, c_in);
	return compute_submit_gemm_req(c, meta, &req, done, ctx, id, why);
}

/* Take an operand into the job: its matrix (moved) or a copy of its CID. */
static bool take_operand(struct compute_operand *op, struct matrix *m, char **cid)
{
	if (!op)
		return true;
	matrix_move(m, &op->m);
	if (matrix_is_empty(m) && op->cid && op->cid[0])
		return (*cid = r1_strdup(op->cid)) != NULL;
	return true;
}

static bool has_operand(const struct matrix *m, const char *cid)
{
	return !matrix_is_empty(m) || cid;
}

enum r1_err compute_submit_gemm_req(struct compute *c, const struct compute_meta *meta,
                                    struct compute_gemm_req *req, compute_done_fn done, void *ctx,
                                    uint64_t *id, char **why)
{
	const struct gemm_spec *spec = &req->spec;
	struct job *j = job_new(COMPUTE_GEMM, done, ctx);
	bool ok = j && take_operand(&req->a, &j->a, &j->a_cid) &&
	          take_operand(&req->b, &j->b, &j->b_cid) &&
	          take_operand(&req->c, &j->c, &j->c_cid) &&
	          (!req->store_as || (j->store_as = r1_strdup(req->store_as)));
	matrix_release(&req->a.m);
	matrix_release(&req->b.m);
	matrix_release(&req->c.m);
	if (!ok) {
		job_free(j);
		return r1_fail(why, R1_ERR_NOMEM, "compute: out of memory");
	}
	j->spec = *spec;
	j->keep_result = req->keep_result || !req->store_as;
	j->mem_limit = req->mem_limit;
	enum r1_err err = R1_OK;
	bool in_memory = !j->a_cid && !j->b_cid;
	struct gemm_shape sh = {0};
	if (spec->dtype != MX_F32 && spec->dtype != MX_F64)
		err = r1_fail(why, R1_ERR_INVAL, "gemm: unknown dtype %d", (int)spec->dtype);
	else if (!has_operand(&j->a, j->a_cid) || !has_operand(&j->b, j->b_cid))
		err = r1_fail(why, R1_ERR_INVAL, "gemm: operand %s is empty",
		              has_operand(&j->a, j->a_cid) ? "B" : "A");
	else if (!isfinite(spec->alpha) || !isfinite(spec->beta))
		err = r1_fail(why, R1_ERR_INVAL, "gemm: alpha and beta must be finite numbers");
	else if (in_memory)
		err = gemm_shape_of(spec, j->a.rows, j->a.cols, j->b.rows, j->b.cols, &sh, why);
	if (!err && spec->beta != 0 && !has_operand(&j->c, j->c_cid))
		err = r1_fail(why, R1_ERR_INVAL, "gemm: beta is %g but no C was given", spec->beta);
	if (!err && in_memory && !matrix_is_empty(&j->c) &&
	    (j->c.rows != sh.m || j->c.cols != sh.n))
		err = r1_fail(why, R1_ERR_INVAL, "gemm: C is %zu x %zu, the product is %zu x %zu",
		              j->c.rows, j->c.cols, sh.m, sh.n);
	if (!err && spec->beta == 0) {
		matrix_release(&j->c); /* not read: do not hold it */
		r1_free(j->c_cid);
		j->c_cid = NULL;
	}
	if (err) {
		job_free(j);
		return err;
	}
	const char *tr = spec->trans_a   ? (spec->trans_b ? " AtBt" : " At")
	                 : spec->trans_b ? " Bt"
	                                 : "";
	if (in_memory) {
		uint64_t out_bytes = (uint64_t)sh.m * sh.n * mx_dtype_size(spec->dtype);
		j->mem_bytes = held(&j->a) + held(&j->b) + held(&j->c) +
		               conv_bytes(&j->a, spec->dtype) + conv_bytes(&j->b, spec->dtype) +
		               out_bytes;
		snprintf(j->label, sizeof(j->label), "gemm %zux%zux%zu %s%s", sh.m, sh.k, sh.n,
		         mx_dtype_name(spec->dtype), tr);
	} else {
		j->mem_bytes = held(&j->a) + held(&j->b) + held(&j->c);
		snprintf(j->label, sizeof(j->label), "gemm %.24s x %.24s %s%s",
		         j->a_cid ? j->a_cid : "A", j->b_cid ? j->b_cid : "B",
		         mx_dtype_name(spec->dtype), tr);
	}
	return enqueue(c, j, meta, id, why);
}

enum r1_err compute_submit_split(struct compute *c, const struct compute_meta *meta,
                                 struct compute_split_req *req, compute_done_fn done, void *ctx,
                                 uint64_t *id, char **why)
{
	struct job *j = job_new(COMPUTE_SPLIT, done, ctx);
	bool ok = j && take_operand(&req->src, &j->q, &j->q_cid);
	matrix_release(&req->src.m);
	enum r1_err err = R1_OK;
	if (!ok)
		err = r1_fail(why, R1_ERR_NOMEM, "compute: out of memory");
	else if (!has_operand(&j->q, j->q_cid))
		err = r1_fail(why, R1_ERR_INVAL, "split: nothing to split");
	else if (req->nparts == 0 || req->nparts > MAX_SPLIT_PARTS)
		err = r1_fail(why, R1_ERR_INVAL, "split: %zu parts (1 to %d)", req->nparts,
		              MAX_SPLIT_PARTS);
	for (size_t p = 0; !err && p < req->nparts; p++)
		if (req->rows[p] == 0)
			err = r1_fail(why, R1_ERR_INVAL, "split: part %zu is empty", p);
	if (!err) {
		j->nparts = req->nparts;
		j->row0 = r1_memdup(req->row0, req->nparts * sizeof(uint64_t));
		j->rows = r1_memdup(req->rows, req->nparts * sizeof(uint64_t));
		if (!j->row0 || !j->rows || (req->prefix && !(j->prefix = r1_strdup(req->prefix))))
			err = r1_fail(why, R1_ERR_NOMEM, "compute: out of memory");
	}
	if (err) {
		job_free(j);
		return err;
	}
	j->trans = req->trans;
	j->mem_limit = req->mem_limit;
	j->mem_bytes = held(&j->q);
	snprintf(j->label, sizeof(j->label), "split %.24s into %zu parts",
	         j->q_cid ? j->q_cid : "matrix", j->nparts);
	return enqueue(c, j, meta, id, why);
}

enum r1_err compute_submit_load(struct compute *c, const struct compute_meta *meta, const char *cid,
                                const char *what, bool keep, uint64_t mem_limit,
                                compute_done_fn done, void *ctx, uint64_t *id, char **why)
{
	if (!cid || !cid[0])
		return r1_fail(why, R1_ERR_INVAL, "load: no CID");
	struct job *j = job_new(COMPUTE_LOAD, done, ctx);
	what = what && what[0] ? what : "matrix";
	if (!j || !(j->q_cid = r1_strdup(cid)) || !(j->prefix = r1_strdup(what))) {
		job_free(j);
		return r1_fail(why, R1_ERR_NOMEM, "compute: out of memory");
	}
	j->keep_result = keep;
	j->mem_limit = mem_limit;
	snprintf(j->label, sizeof(j->label), "load %.24s (%.24s)", what, cid);
	return enqueue(c, j, meta, id, why);
}

enum r1_err compute_submit_assemble(struct compute *c, const struct compute_meta *meta,
                                    const struct compute_assemble_req *req, compute_done_fn done,
                                    void *ctx, uint64_t *id, char **why)
{
	uint64_t bytes = 0;
	enum r1_err err = R1_OK;
	if (req->nparts == 0 || req->nparts > MAX_SPLIT_PARTS)
		return r1_fail(why, R1_ERR_INVAL, "assemble: %zu parts (1 to %d)", req->nparts,
		               MAX_SPLIT_PARTS);
	err = matrix_bytes(req->dtype, req->rows, req->cols, &bytes, why);
	if (err)
		return err;
	struct job *j = job_new(COMPUTE_ASSEMBLE, done, ctx);
	if (!j || !(j->part_cids = r1_calloc(req->nparts, sizeof(char *))))
		goto oom;
	j->nparts = req->nparts;
	for (size_t p = 0; p < req->nparts; p++) {
		if (!req->cids[p] || !req->cids[p][0]) {
			job_free(j);
			return r1_fail(why, R1_ERR_INVAL, "assemble: part %zu has no CID", p);
		}
		if (!(j->part_cids[p] = r1_strdup(req->cids[p])))
			goto oom;
	}
	if (req->store_as && !(j->store_as = r1_strdup(req->store_as)))
		goto oom;
	j->out_rows = req->rows;
	j->out_cols = req->cols;
	j->out_dtype = req->dtype;
	j->mem_limit = req->mem_limit;
	j->mem_bytes = bytes;
	snprintf(j->label, sizeof(j->label), "assemble %" PRIu64 "x%" PRIu64 " %s from %zu parts",
	         req->rows, req->cols, mx_dtype_name(req->dtype), req->nparts);
	return enqueue(c, j, meta, id, why);
oom:
	job_free(j);
	return r1_fail(why, R1_ERR_NOMEM, "compute: out of memory");
}

enum r1_err compute_submit_index_op(struct compute *c, const struct compute_meta *meta,
                                    struct compute_operand *emb, uint64_t mem_limit,
                                    compute_done_fn done, void *ctx, uint64_t *id, char **why)
{
	struct job *j = job_new(COMPUTE_INDEX, done, ctx);
	bool ok = j && take_operand(emb, &j->q, &j->q_cid);
	matrix_release(&emb->m);
	if (!ok) {
		job_free(j);
		return r1_fail(why, R1_ERR_NOMEM, "compute: out of memory");
	}
	if (!has_operand(&j->q, j->q_cid)) {
		job_free(j);
		return r1_fail(why, R1_ERR_INVAL, "index: empty embedding matrix");
	}
	j->mem_limit = mem_limit;
	j->mem_bytes = held(&j->q) + ((j->q.dtype == MX_F32 && j->q.block) || j->q_cid
	                                  ? 0
	                                  : (uint64_t)j->q.rows * j->q.cols * sizeof(float));
	if (j->q_cid)
		snprintf(j->label, sizeof(j->label), "index %.40s", j->q_cid);
	else
		snprintf(j->label, sizeof(j->label), "index %zux%zu %s", j->q.rows, j->q.cols,
		         mx_dtype_name(j->q.dtype));
	return enqueue(c, j, meta, id, why);
}

enum r1_err compute_submit_index(struct compute *c, const struct compute_meta *meta,
                                 struct matrix *emb, compute_done_fn done, void *ctx, uint64_t *id,
                                 char **why)
{
	struct compute_operand op = {0};
	matrix_move(&op.m, emb);
	return compute_submit_index_op(c, meta, &op, 0, done, ctx, id, why);
}

enum r1_err compute_submit_search_op(struct compute *c, const struct compute_meta *meta,
                                     struct vindex *ix, struct compute_operand *queries, size_t k,
                                     uint64_t mem_limit, compute_done_fn done, void *ctx,
                                     uint64_t *id, char **why)
{
	struct job *j = job_new(COMPUTE_SEARCH, done, ctx);
	bool ok = j && take_operand(queries, &j->q, &j->q_cid);
	matrix_release(&queries->m);
	enum r1_err err = R1_OK;
	if (!ok)
		err = r1_fail(why, R1_ERR_NOMEM, "compute: out of memory");
	else if (!ix)
		err = r1_fail(why, R1_ERR_STATE, "search: no index loaded");
	else if (!has_operand(&j->q, j->q_cid))
		err = r1_fail(why, R1_ERR_INVAL, "search: no queries");
	else if (!j->q_cid && j->q.cols != vindex_dim(ix))
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
	j->mem_limit = mem_limit;
	j->mem_bytes = held(&j->q) + (j->q_cid ? 0 : vindex_search_bytes(ix, j->q.rows, j->k));
	if (j->q_cid)
		snprintf(j->label, sizeof(j->label), "search %.24s k=%zu over %zux%zu", j->q_cid,
		         j->k, vindex_rows(ix), vindex_dim(ix));
	else
		snprintf(j->label, sizeof(j->label), "search %zu queries k=%zu over %zux%zu",
		         j->q.rows, j->k, vindex_rows(ix), vindex_dim(ix));
	return enqueue(c, j, meta, id, why);
}

enum r1_err compute_submit_search(struct compute *c, const struct compute_meta *meta,
                                  struct vindex *ix, struct matrix *queries, size_t k,
                                  compute_done_fn done, void *ctx, uint64_t *id, char **why)
{
	struct compute_operand op = {0};
	matrix_move(&op.m, queries);
	return compute_submit_search_op(c, meta, ix, &op, k, 0, done, ctx, id, why);
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

/* ---- the worker pool of core/workers.h as a runner */

static void pool_run(struct worker_job *wj, void *arg)
{
	(void)wj; /* cancel goes through the job's own flag, read between panels */
	job_work(arg);
}

static void pool_done(void *arg, enum r1_err status)
{
	(void)status; /* a job the pool cancelled unstarted has ran == false */
	job_done(arg);
}

static enum r1_err pool_submit(void *ctx, void (*work)(void *), void (*done)(void *), void *arg,
                               char **why)
{
	struct compute *c = ctx;
	(void)work;
	(void)done;
	return workers_submit(c->pool, pool_run, pool_done, arg, NULL, why);
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

void compute_set_r1fs(struct compute *c, struct r1fs *fs, const char *secret)
{
	c->fs = fs;
	r1_free(c->secret);
	c->secret = secret && secret[0] ? r1_strdup(secret) : NULL;
}

void compute_recycle(struct compute *c, struct matrix *m)
{
	size_t len = matrix_block_len(m);
	if (len) {
		void *block = m->block;
		*m = (struct matrix){0};
		take_spare(c, block, len);
	}
	matrix_release(m);
}

void compute_trim(struct compute *c)
{
	r1_free(c->spare);
	c->spare = NULL;
	c->spare_len = 0;
}

static void engine_destroy(struct compute *c)
{
	r1_free(c->cds);
	r1_free(c->spare);
	r1_free(c->secret);
	r1_free(c->hist);
	r1_free(c);
}

enum r1_err compute_new_on_loop(struct loop *loop, const struct compute_config *cfg,
                                struct r1_log *log, struct compute **out, char **why)
{
	struct compute *c = NULL;
	struct workers *pool = NULL;
	enum r1_err err = workers_new(loop, 1, 0, &pool, why);
	if (err) {
		r1_why_prefix(why, "compute");
		return err;
	}
	struct compute_runner runner = {.ctx = NULL, .submit = pool_submit};
	if ((err = compute_new(cfg, &runner, log, &c, why))) {
		workers_free(&pool);
		return err;
	}
	c->runner.ctx = c;
	c->pool = pool;
	*out = c;
	return R1_OK;
}

void compute_free(struct compute **cp)
{
	struct compute *c = *cp;
	*cp = NULL;
	if (!c)
		return;
	if (c->pool) {
		/* Our own pool: cancel, join, let it hand the running job back, then go. */
		while (c->head) {
			struct job *j = c->head;
			c->head = j->next;
			job_free(j);
		}
		c->nqueued = 0;
		c->closing = c->draining = true;
		if (c->running) {
			c->running->done = NULL;
			compute_ctl_cancel(&c->running->ctl);
		}
		workers_free(&c->pool);
		engine_destroy(c);
		return;
	}
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

static void peer_str(char *dst, size_t cap, const json_t *v)
{
	copy_text(dst, cap, json_is_string(v) ? json_string_value(v) : "");
}

static unsigned peer_uint(const json_t *v)
{
	json_int_t i = json_is_integer(v) ? json_integer_value(v) : 0;
	return i > 0 && i < INT32_MAX ? (unsigned)i : 0;
}

static double peer_real(const json_t *v)
{
	double d = json_is_number(v) ? json_number_value(v) : 0;
	return isfinite(d) && d > 0 ? d : 0;
}

bool compute_peer_from_status(const json_t *st, struct compute_peer *out)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(st) || !json_object_get(st, "OPENBLAS_CORE"))
		return false;
	peer_str(out->core, sizeof(out->core), json_object_get(st, "OPENBLAS_CORE"));
	peer_str(out->coretype, sizeof(out->coretype), json_object_get(st, "OPENBLAS_CORETYPE"));
	out->cpu_cores = (int)peer_uint(json_object_get(st, "CPU_CORES"));
	out->blas_threads = (int)peer_uint(json_object_get(st, "BLAS_THREADS"));
	out->gflops_f64 = peer_real(json_object_get(st, "COMPUTE_GFLOPS_F64"));
	out->gflops_f32 = peer_real(json_object_get(st, "COMPUTE_GFLOPS_F32"));
	out->bench_n = peer_uint(json_object_get(st, "COMPUTE_BENCH_N"));
	out->jobs_running = peer_uint(json_object_get(st, "COMPUTE_JOBS_RUNNING"));
	out->jobs_queued = peer_uint(json_object_get(st, "COMPUTE_JOBS_QUEUED"));
	return true;
}

/* ---- ChainDist jobs mastered here */

enum r1_err compute_add_chaindist(struct compute *c, struct chaindist *cd, char **why)
{
	for (size_t i = 0; i < c->ncds; i++)
		if (c->cds[i] == cd)
			return R1_OK;
	struct chaindist **v = r1_reallocarray(c->cds, c->ncds + 1, sizeof(*v));
	if (!v)
		return r1_fail(why, R1_ERR_NOMEM, "compute: out of memory");
	c->cds = v;
	c->cds[c->ncds++] = cd;
	return R1_OK;
}

void compute_remove_chaindist(struct compute *c, const struct chaindist *cd)
{
	for (size_t i = 0; i < c->ncds; i++)
		if (c->cds[i] == cd) {
			memmove(&c->cds[i], &c->cds[i + 1], (c->ncds - i - 1) * sizeof(*c->cds));
			c->ncds--;
			return;
		}
}

size_t compute_chaindists(const struct compute *c, const struct chaindist **out, size_t max)
{
	size_t n = c->ncds < max ? c->ncds : max;
	for (size_t i = 0; i < n; i++)
		out[i] = c->cds[i];
	return n;
}
