/*
 * The compute engine: thread policy, submit-time refusals (memory limit,
 * shapes, empty operands, queue length) with their reasons and no leaks,
 * results checked against the naive product, FIFO order with one job at a
 * time, cancel of queued and running jobs, forget, freeing the engine with
 * a job still on a worker, the view list and history, benchmarks and the
 * heartbeat fields (the environment's OPENBLAS_CORETYPE is reported and
 * left alone).  Two runners: a manual one the test steps by hand (work and
 * done when the test says), and a thread runner that runs work on a real
 * thread and hands done back through a pipe, as the worker pool does.
 */
#include "node/lib.h"
#include "node/compute/compute.h"
#include "tests/tap.h"
#include "tests/unit/compute/refblas.h"
#include "core/loop.h"

#include <pthread.h>

/* ---- a runner stepped by the test */

struct manual {
	struct {
		void (*work)(void *);
		void (*done)(void *);
		void *arg;
	} q[8];
	size_t n;
	bool refuse;
};

static enum r1_err manual_submit(void *ctx, void (*work)(void *), void (*done)(void *), void *arg,
                                 char **why)
{
	struct manual *m = ctx;
	if (m->refuse || m->n == R1_ARRAY_LEN(m->q))
		return r1_fail(why, R1_ERR_AGAIN, "manual runner full");
	m->q[m->n].work = work;
	m->q[m->n].done = done;
	m->q[m->n].arg = arg;
	m->n++;
	return R1_OK;
}

/* Run the oldest submitted job's work and done. */
static void manual_step(struct manual *m)
{
	if (!m->n)
		tap_bail("manual runner: nothing submitted");
	void (*work)(void *) = m->q[0].work, (*done)(void *) = m->q[0].done;
	void *arg = m->q[0].arg;
	memmove(&m->q[0], &m->q[1], (m->n - 1) * sizeof(m->q[0]));
	m->n--;
	work(arg);
	done(arg);
}

/* ---- a runner with a real thread and a pipe back to "the loop" */

struct threaded {
	int fds[2];
};

struct tjob {
	void (*work)(void *);
	void (*done)(void *);
	void *arg;
	int wfd;
};

static void *tjob_main(void *p)
{
	struct tjob *t = p;
	t->work(t->arg);
	if (write(t->wfd, &t, sizeof(t)) != (ssize_t)sizeof(t))
		abort();
	return NULL;
}

static enum r1_err threaded_submit(void *ctx, void (*work)(void *), void (*done)(void *), void *arg,
                                   char **why)
{
	struct threaded *th = ctx;
	struct tjob *t = malloc(sizeof(*t));
	*t = (struct tjob){work, done, arg, th->fds[1]};
	pthread_t tid;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&tid, &at, tjob_main, t);
	pthread_attr_destroy(&at);
	if (rc) {
		free(t);
		return r1_fail(why, R1_ERR_AGAIN, "pthread_create: %s", strerror(rc));
	}
	return R1_OK;
}

/* Block until a job's work is over, then run its done ("the loop"). */
static void threaded_pump(struct threaded *th)
{
	struct tjob *t;
	if (read(th->fds[0], &t, sizeof(t)) != (ssize_t)sizeof(t))
		tap_bail("threaded runner: read failed");
	t->done(t->arg);
	free(t);
}

/* ---- what done callbacks record */

struct seen {
	int calls;
	uint64_t id;
	enum compute_state state;
	enum r1_err err;
	char why[200];
	struct matrix c;
	struct vindex *index;
	struct vsearch_hit *hits;
	size_t nq, k;
	struct compute_bench bench;
	uint64_t order[8];
};

static void on_done(void *ctx, struct compute_result *r)
{
	struct seen *s = ctx;
	if ((size_t)s->calls < R1_ARRAY_LEN(s->order))
		s->order[s->calls] = r->id;
	s->calls++;
	s->id = r->id;
	s->state = r->state;
	s->err = r->err;
	snprintf(s->why, sizeof(s->why), "%s", r->why ? r->why : "");
	matrix_move(&s->c, &r->c); /* take the product */
	if (r->index) {
		vindex_unref(&s->index);
		s->index = r->index;
		r->index = NULL;
	}
	r1_free(s->hits);
	s->hits = r->hits;
	r->hits = NULL;
	s->nq = r->nq;
	s->k = r->k;
	s->bench = r->bench;
}

static void seen_release(struct seen *s)
{
	matrix_release(&s->c);
	vindex_unref(&s->index);
	r1_free(s->hits);
	memset(s, 0, sizeof(*s));
}

static void filled(struct matrix *m, enum mx_dtype dt, size_t r, size_t c, uint32_t seed)
{
	if (matrix_alloc(m, dt, r, c, false, NULL))
		tap_bail("alloc");
	ref_fill(m, seed);
}

static void test_threads_policy(void)
{
	is_int(blas_pick_threads(0, 2, true), 1, "2 cores shared with the loop: 1 BLAS thread");
	is_int(blas_pick_threads(0, 2, false), 2, "2 cores, loop elsewhere: 2");
	is_int(blas_pick_threads(0, 1, true), 1, "1 core: 1 (never 0)");
	is_int(blas_pick_threads(0, 8, true), 7, "8 cores shared: 7");
	is_int(blas_pick_threads(3, 2, true), 2, "configured 3 on 2 cores: capped at 2");
	is_int(blas_pick_threads(1, 8, true), 1, "configured 1: 1");
	is_int(blas_pick_threads(0, 0, false), 1, "unknown core count: 1");
}

static void test_refusals(void)
{
	struct compute_config cfg;
	compute_config_defaults(&cfg);
	cfg.job_mem_limit = 1000;
	struct compute *c = NULL;
	char *why = NULL;
	is_int(compute_new(&cfg, NULL, NULL, &c, &why), R1_OK, "inline engine");
	is_int(compute_mem_limit(c), 1000, "memory limit as configured");

	struct gemm_spec s;
	gemm_spec_default(&s);
	struct matrix a, b, cin;
	struct seen seen = {0};
	filled(&a, MX_F64, 10, 10, 1);
	filled(&b, MX_F64, 10, 10, 2);
	is_int(compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &seen, NULL, &why),
	       R1_ERR_TOOBIG, "2400 bytes above a 1000-byte limit");
	is_str(why,
	       "gemm 10x10x10 float64: the job needs 2400 bytes, above the per-job memory limit of "
	       "1000 bytes",
	       "reason");
	ok(matrix_is_empty(&a) && matrix_is_empty(&b), "operands taken (and freed) on refusal");
	is_int(seen.calls, 0, "no callback for a refused job");

	uint64_t bytes = 0;
	is_int(compute_gemm_bytes(&s, MX_F64, 10, 10, MX_F32, 10, 10, false, &bytes, &why), R1_OK,
	       "estimate");
	is_int(bytes, 800 + 400 + 800 + 800, "A + B (float32) + B converted + C");
	is_int(compute_gemm_bytes(&s, MX_F64, 10, 9, MX_F64, 10, 10, false, &bytes, &why),
	       R1_ERR_INVAL, "estimate refuses non-conforming shapes");
	compute_free(&c);

	cfg.job_mem_limit = 0;
	is_int(compute_new(&cfg, NULL, NULL, &c, &why), R1_OK, "engine with the default limit");
	ok(compute_mem_limit(c) >= (UINT64_C(64) << 20), "default limit is sizeable (%" PRIu64 ")",
	   compute_mem_limit(c));
	filled(&a, MX_F64, 4, 3, 1);
	filled(&b, MX_F64, 4, 3, 2);
	is_int(compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &seen, NULL, &why),
	       R1_ERR_INVAL, "4x3 by 4x3 refused");
	is_str(why,
	       "gemm: non-conforming dimensions: op(A) is 4 x 3, op(B) is 4 x 3 (inner 3 != 4)",
	       "reason");
	ok(matrix_is_empty(&a) && matrix_is_empty(&b), "operands freed");

	filled(&a, MX_F64, 4, 3, 1);
	filled(&b, MX_F64, 3, 2, 2);
	s.beta = 0.5;
	is_int(compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &seen, NULL, &why),
	       R1_ERR_INVAL, "beta without C refused");
	is_str(why, "gemm: beta is 0.5 but no C was given", "reason");

	filled(&a, MX_F64, 4, 3, 1);
	filled(&b, MX_F64, 3, 2, 2);
	filled(&cin, MX_F64, 2, 4, 3);
	is_int(compute_submit_gemm(c, NULL, &s, &a, &b, &cin, on_done, &seen, NULL, &why),
	       R1_ERR_INVAL, "C of the wrong shape refused");
	is_str(why, "gemm: C is 2 x 4, the product is 4 x 2", "reason");
	ok(matrix_is_empty(&cin), "C freed too");

	struct matrix empty = {0};
	filled(&b, MX_F64, 3, 2, 2);
	is_int(compute_submit_gemm(c, NULL, &s, &empty, &b, NULL, on_done, &seen, NULL, &why),
	       R1_ERR_INVAL, "empty A refused");
	is_str(why, "gemm: operand A is empty", "reason");

	s.beta = 0;
	s.alpha = NAN;
	filled(&a, MX_F64, 4, 3, 1);
	filled(&b, MX_F64, 3, 2, 2);
	is_int(compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &seen, NULL, &why),
	       R1_ERR_INVAL, "NaN alpha refused");

	is_int(compute_submit_search(c, NULL, NULL, &empty, 3, on_done, &seen, NULL, &why),
	       R1_ERR_STATE, "search without an index");
	is_str(why, "search: no index loaded", "reason");
	is_int(compute_submit_bench(c, NULL, 64, 1, false, false, on_done, &seen, NULL, &why),
	       R1_ERR_INVAL, "bench of nothing refused");
	is_int(compute_submit_bench(c, NULL, 0, 1, true, false, on_done, &seen, NULL, &why),
	       R1_ERR_INVAL, "bench of size 0 refused");
	is_int(compute_submit_index(c, NULL, &empty, on_done, &seen, NULL, &why), R1_ERR_INVAL,
	       "index of nothing refused");
	is_int(seen.calls, 0, "still no callback");
	size_t nlist = compute_list(c, (struct compute_job_info[4]){0}, 4);
	is_int(nlist, 0, "refused jobs are not listed");
	r1_free(why);
	compute_free(&c);
	ok(c == NULL, "free NULLs the pointer");
	compute_free(&c);
}

static void test_inline_results(void)
{
	struct compute *c = NULL;
	struct compute_meta meta = {.owner = "test/inline"};
	is_int(compute_new(NULL, NULL, NULL, &c, NULL), R1_OK, "inline engine with defaults");
	for (int dt = MX_F32; dt <= MX_F64; dt++) {
		struct gemm_spec s = {
		    .trans_a = true, .alpha = 2, .beta = -1, .dtype = (enum mx_dtype)dt};
		struct matrix a, b, cin, a0, b0, c0;
		/* Operands in the other dtype: converted by the job. */
		enum mx_dtype other = dt == MX_F64 ? MX_F32 : MX_F64;
		filled(&a, other, 7, 5, 1); /* op(A) = A^T is 5 x 7 */
		filled(&b, other, 7, 3, 2);
		filled(&cin, (enum mx_dtype)dt, 5, 3, 3);
		matrix_convert(&a, (enum mx_dtype)dt, &a0, NULL);
		matrix_convert(&b, (enum mx_dtype)dt, &b0, NULL);
		matrix_convert(&cin, (enum mx_dtype)dt, &c0, NULL);
		double ref[15], scale[15];
		ref_gemm(&s, &a0, &b0, &c0, ref, scale);
		struct seen seen = {0};
		uint64_t id = 0;
		is_int(compute_submit_gemm(c, &meta, &s, &a, &b, &cin, on_done, &seen, &id, NULL),
		       R1_OK, "%s job submitted", mx_dtype_name(dt));
		is_int(seen.calls, 1, "inline: done already called");
		ok(seen.id == id && id > 0, "callback for job %" PRIu64, id);
		is_int(seen.state, COMPUTE_DONE, "done");
		ok(seen.c.rows == 5 && seen.c.cols == 3 && seen.c.dtype == (enum mx_dtype)dt,
		   "product is 5x3 %s", mx_dtype_name(dt));
		double e = ref_max_err(&seen.c, ref, scale);
		ok(e < (dt == MX_F64 ? 1e-14 : 1e-5), "max error %.3g against the naive product",
		   e);
		struct compute_job_info info;
		ok(compute_job_get(c, id, &info), "job remembered");
		is_str(info.label, dt == MX_F64 ? "gemm 5x7x3 float64 At" : "gemm 5x7x3 float32 At",
		       "label");
		is_str(info.owner, "test/inline", "owner");
		is_int(info.state, COMPUTE_DONE, "state in history");
		ok(info.progress == 1.0, "progress 1");
		is_int(info.mem_bytes,
		       dt == MX_F64 ? 35 * 4 + 21 * 4 + 15 * 8 + 35 * 8 + 21 * 8 + 15 * 8
		                    : 35 * 8 + 21 * 8 + 15 * 4 + 35 * 4 + 21 * 4 + 15 * 4,
		       "memory: A, B, C in, converted A and B, product");
		seen_release(&seen);
		matrix_release(&a0);
		matrix_release(&b0);
		matrix_release(&c0);
	}
	compute_free(&c);
}

static void test_queue_and_cancel(void)
{
	struct manual m = {0};
	struct compute_runner runner = {.ctx = &m, .submit = manual_submit};
	struct compute *c = NULL;
	struct compute_config cfg;
	compute_config_defaults(&cfg);
	cfg.max_queued = 2;
	cfg.history = 3;
	is_int(compute_new(&cfg, &runner, NULL, &c, NULL), R1_OK, "engine on a manual runner");
	struct gemm_spec s;
	gemm_spec_default(&s);
	struct seen seen = {0}, other = {0};
	uint64_t id[5] = {0};
	struct matrix a, b;
	char *why = NULL;
	for (int i = 0; i < 3; i++) {
		filled(&a, MX_F64, 2, 2, 1);
		filled(&b, MX_F64, 2, 2, 2);
		is_int(compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done,
		                           i == 1 ? &other : &seen, &id[i], &why),
		       R1_OK, "job %d submitted", i);
	}
	is_int(m.n, 1, "one job on the runner at a time");
	ok(compute_busy(c), "busy");
	is_int(compute_queued(c), 2, "two waiting");
	filled(&a, MX_F64, 2, 2, 1);
	filled(&b, MX_F64, 2, 2, 2);
	is_int(compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &seen, NULL, &why),
	       R1_ERR_AGAIN, "queue of 2 full");
	is_str(why, "compute: 2 jobs already wait; try later", "reason");

	struct compute_job_info list[8];
	size_t n = compute_list(c, list, 8);
	is_int(n, 3, "3 jobs listed");
	ok(list[0].id == id[0] && list[0].state == COMPUTE_RUNNING, "running first");
	ok(list[1].id == id[1] && list[1].state == COMPUTE_QUEUED && list[2].id == id[2],
	   "then the queue in order");
	ok(list[0].started_ms > 0 && list[1].started_ms == 0, "start times");

	/* Cancel the queued middle job: its callback runs now. */
	is_int(compute_cancel(c, id[1], &why), R1_OK, "cancel queued job");
	is_int(other.calls, 1, "its callback ran");
	is_int(other.state, COMPUTE_CANCELLED, "cancelled");
	is_str(other.why, "gemm: cancelled while queued", "reason");
	is_int(compute_queued(c), 1, "one waiting");

	/* Cancel the running job before its work runs: it stops at once. */
	is_int(compute_cancel(c, id[0], &why), R1_OK, "cancel running job");
	is_int(seen.calls, 0, "callback waits for the worker");
	manual_step(&m);
	is_int(seen.calls, 1, "callback after the worker");
	is_int(seen.state, COMPUTE_CANCELLED, "running job cancelled");
	is_str(seen.why, "gemm: cancelled before it started", "reason");
	ok(matrix_is_empty(&seen.c), "no product");
	is_int(m.n, 1, "the next job went to the runner");

	/* Forget the running one: no callback, ever. */
	compute_forget(c, id[2]);
	manual_step(&m);
	is_int(seen.calls, 1, "forgotten job: no callback");
	ok(!compute_busy(c) && compute_queued(c) == 0, "idle");
	is_int(compute_cancel(c, id[2], &why), R1_ERR_NOTFOUND, "finished job cannot be cancelled");
	is_str(why, "compute: no queued or running job 3", "reason");

	/* Normal completion through the runner. */
	filled(&a, MX_F64, 2, 2, 1);
	filled(&b, MX_F64, 2, 2, 2);
	is_int(compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &seen, &id[3], NULL), R1_OK,
	       "another job");
	manual_step(&m);
	is_int(seen.state, COMPUTE_DONE, "done");
	ok(seen.c.rows == 2 && seen.c.cols == 2, "2x2 product");

	n = compute_list(c, list, 8);
	is_int(n, 3, "history keeps 3");
	ok(list[0].id == id[3] && list[1].id == id[2] && list[2].id == id[0],
	   "newest first: %" PRIu64 ", %" PRIu64 ", %" PRIu64, list[0].id, list[1].id, list[2].id);
	ok(list[0].finished_ms >= list[0].started_ms && list[0].seconds >= 0, "times recorded");
	struct compute_job_info info;
	ok(!compute_job_get(c, id[1], &info), "the oldest fell out of the history");

	/* A runner that refuses: the job fails with the runner's reason. */
	m.refuse = true;
	filled(&a, MX_F64, 2, 2, 1);
	filled(&b, MX_F64, 2, 2, 2);
	is_int(compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &other, &id[4], NULL), R1_OK,
	       "submitted while the runner refuses");
	is_int(other.calls, 2, "callback ran");
	is_int(other.state, COMPUTE_FAILED, "failed");
	is_str(other.why, "compute: the worker pool refused the job: manual runner full", "reason");
	m.refuse = false;

	/* Free with a job on the worker: the engine goes when the runner hands it back. */
	filled(&a, MX_F64, 2, 2, 1);
	filled(&b, MX_F64, 2, 2, 2);
	compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &other, NULL, NULL);
	filled(&a, MX_F64, 2, 2, 1);
	filled(&b, MX_F64, 2, 2, 2);
	compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &other, NULL, NULL);
	compute_free(&c);
	ok(c == NULL, "freed (pending)");
	manual_step(&m); /* runs work (cancelled) and the deferred free */
	is_int(other.calls, 2, "no callbacks after free");
	r1_free(why);
	seen_release(&seen);
	seen_release(&other);
}

static void test_threaded_cancel(void)
{
	struct threaded th;
	if (pipe(th.fds) != 0)
		tap_bail("pipe");
	struct compute_runner runner = {.ctx = &th, .submit = threaded_submit};
	struct compute_config cfg;
	compute_config_defaults(&cfg);
	cfg.panel_min_rows = 64;
	struct compute *c = NULL;
	is_int(compute_new(&cfg, &runner, NULL, &c, NULL), R1_OK, "engine on a thread runner");

	/* Small job, full path: result correct. */
	struct gemm_spec s;
	gemm_spec_default(&s);
	s.trans_b = true;
	struct matrix a, b;
	filled(&a, MX_F64, 30, 20, 7);
	filled(&b, MX_F64, 10, 20, 8);
	double ref[300], scale[300];
	ref_gemm(&s, &a, &b, NULL, ref, scale);
	struct seen seen = {0};
	is_int(compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &seen, NULL, NULL), R1_OK,
	       "small job");
	threaded_pump(&th);
	is_int(seen.state, COMPUTE_DONE, "done on a worker thread");
	double e = seen.c.rows == 30 ? ref_max_err(&seen.c, ref, scale) : INFINITY;
	ok(e < 1e-14, "30x10 product, max error %.3g", e);
	seen_release(&seen);

	/* A long job (64 panels of 128 rows), cancelled once it has made progress. */
	s.trans_b = false;
	s.dtype = MX_F32;
	filled(&a, MX_F32, 8192, 1024, 1);
	filled(&b, MX_F32, 1024, 1024, 2);
	uint64_t id;
	is_int(compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &seen, &id, NULL), R1_OK,
	       "long job");
	struct compute_job_info info = {0};
	for (int i = 0; i < 100000; i++) {
		compute_job_get(c, id, &info);
		if (info.progress > 0)
			break;
		usleep(100);
	}
	ok(info.state == COMPUTE_RUNNING && info.progress > 0 && info.progress < 1,
	   "running, progress %.3f visible from the loop", info.progress);
	is_int(compute_cancel(c, id, NULL), R1_OK, "cancel while it runs");
	threaded_pump(&th);
	is_int(seen.state, COMPUTE_CANCELLED, "cancelled between panels");
	ok(strstr(seen.why, "gemm: cancelled after ") && strstr(seen.why, " of 8192 rows") &&
	       !strstr(seen.why, "after 0 of"),
	   "reason: %s", seen.why);
	ok(matrix_is_empty(&seen.c), "no product handed back");
	seen_release(&seen);
	compute_free(&c);
	close(th.fds[0]);
	close(th.fds[1]);
}

static void test_index_search_bench(void)
{
	const char *env_before = getenv("OPENBLAS_CORETYPE");
	char saved[64] = "";
	if (env_before)
		snprintf(saved, sizeof(saved), "%s", env_before);

	struct compute *c = NULL;
	is_int(compute_new(NULL, NULL, NULL, &c, NULL), R1_OK, "inline engine");
	struct matrix e, q;
	filled(&e, MX_F64, 50, 8, 21);
	struct seen seen = {0};
	is_int(compute_submit_index(c, NULL, &e, on_done, &seen, NULL, NULL), R1_OK, "index job");
	ok(seen.state == COMPUTE_DONE && seen.index && vindex_rows(seen.index) == 50,
	   "index of 50 rows built");
	struct vindex *ix = seen.index;
	seen.index = NULL;

	/* Query = row 17 of the index itself: it must come first with score 1. */
	const struct matrix *im = vindex_matrix(ix);
	matrix_alloc(&q, MX_F32, 2, 8, false, NULL);
	for (size_t j = 0; j < 8; j++) {
		matrix_set(&q, 0, j, 3.0 * matrix_get(im, 17, j));
		matrix_set(&q, 1, j, -matrix_get(im, 4, j));
	}
	is_int(compute_submit_search(c, NULL, ix, &q, 500, on_done, &seen, NULL, NULL), R1_OK,
	       "search job with k above the rows");
	is_int(seen.state, COMPUTE_DONE, "done");
	ok(seen.nq == 2 && seen.k == 50, "k lowered to the 50 rows (nq %zu, k %zu)", seen.nq,
	   seen.k);
	ok(seen.hits && seen.hits[0].row == 17 && fabsf(seen.hits[0].score - 1.0f) < 1e-6f,
	   "query 0 finds row 17 with score 1");
	ok(seen.hits && seen.hits[50 + 49].row == 4 && fabsf(seen.hits[99].score + 1.0f) < 1e-6f,
	   "query 1 (row 4 negated) ranks row 4 last with score -1");

	/* The plugin drops its index while jobs still hold it: the job's reference keeps it. */
	struct manual m = {0};
	struct compute_runner runner = {.ctx = &m, .submit = manual_submit};
	struct compute *c2 = NULL;
	compute_new(NULL, &runner, NULL, &c2, NULL);
	matrix_alloc(&q, MX_F32, 1, 8, true, NULL);
	struct seen s2 = {0};
	compute_submit_search(c2, NULL, ix, &q, 3, on_done, &s2, NULL, NULL);
	vindex_unref(&ix);
	manual_step(&m);
	is_int(s2.state, COMPUTE_DONE, "search ran on an index its owner released");
	seen_release(&s2);
	compute_free(&c2);

	struct compute_bench bench;
	ok(!compute_last_bench(c, &bench) && bench.n == 0, "no bench yet");
	json_t *hb = compute_heartbeat_json(c);
	ok(hb && json_is_null(json_object_get(hb, "COMPUTE_GFLOPS_F64")),
	   "heartbeat: GFLOP/s null before a bench");
	json_decref(hb);
	is_int(compute_submit_bench(c, NULL, 96, 2, true, true, on_done, &seen, NULL, NULL), R1_OK,
	       "bench n=96");
	ok(seen.state == COMPUTE_DONE && seen.bench.gflops_f64 > 0 && seen.bench.gflops_f32 > 0,
	   "bench measured f64 %.2f and f32 %.2f GFLOP/s", seen.bench.gflops_f64,
	   seen.bench.gflops_f32);
	is_int(seen.bench.threads, compute_threads(c), "with the engine's thread count");
	ok(compute_last_bench(c, &bench) && bench.n == 96 && bench.when_ms > 0, "kept as the last");
	hb = compute_heartbeat_json(c);
	ok(hb && json_is_real(json_object_get(hb, "COMPUTE_GFLOPS_F64")) &&
	       json_integer_value(json_object_get(hb, "COMPUTE_BENCH_N")) == 96,
	   "heartbeat: GFLOP/s and size after a bench");
	const struct blas_info *bi = compute_blas(c);
	ok(bi->corename[0] != '\0', "core name known: %s", bi->corename);
	json_t *ct = hb ? json_object_get(hb, "OPENBLAS_CORETYPE") : NULL;
	if (saved[0])
		ok(json_is_string(ct) && strcmp(json_string_value(ct), saved) == 0,
		   "heartbeat reports OPENBLAS_CORETYPE=%s", saved);
	else
		ok(json_is_null(ct), "heartbeat: OPENBLAS_CORETYPE null when unset");
	ok(hb && json_integer_value(json_object_get(hb, "BLAS_THREADS")) == compute_threads(c) &&
	       json_integer_value(json_object_get(hb, "CPU_CORES")) == bi->ncores,
	   "heartbeat: threads and cores");
	json_decref(hb);
	/* Read back as another node would see it in a heartbeat. */
	struct compute_peer peer;
	hb = compute_heartbeat_json(c);
	ok(compute_peer_from_status(hb, &peer) && peer.bench_n == 96 && peer.gflops_f64 > 0 &&
	       peer.gflops_f32 > 0 && peer.blas_threads == compute_threads(c) &&
	       strcmp(peer.core, bi->corename) == 0 && strcmp(peer.coretype, saved) == 0,
	   "a heartbeat's compute fields read back (%s, %.2f GFLOP/s)", peer.core, peer.gflops_f64);
	json_decref(hb);
	json_t *none = json_pack("{s:s,s:i}", "EE_ID", "old-node", "CPU_CORES", 4);
	ok(!compute_peer_from_status(none, &peer) && peer.gflops_f64 == 0,
	   "a heartbeat without compute fields: not a compute peer");
	json_decref(none);
	json_t *odd = json_pack("{s:i,s:s,s:f,s:s}", "OPENBLAS_CORE", 5, "COMPUTE_GFLOPS_F64", "x",
	                        "COMPUTE_GFLOPS_F32", -3.0, "COMPUTE_BENCH_N", "2048");
	ok(compute_peer_from_status(odd, &peer) && peer.core[0] == 0 && peer.gflops_f64 == 0 &&
	       peer.gflops_f32 == 0 && peer.bench_n == 0,
	   "hostile field types read as empty, never trusted");
	json_decref(odd);
	const char *env_after = getenv("OPENBLAS_CORETYPE");
	ok((!env_before && !env_after) || (env_after && strcmp(env_after, saved) == 0),
	   "OPENBLAS_CORETYPE left as it was");
	seen_release(&seen);
	compute_free(&c);
}

/* A recycled product's block holds the next product of a similar size. */
static void test_recycle(void)
{
	struct compute *c = NULL;
	compute_new(NULL, NULL, NULL, &c, NULL);
	struct gemm_spec s;
	gemm_spec_default(&s);
	struct matrix a, b;
	struct seen seen = {0};
	filled(&a, MX_F64, 40, 30, 1);
	filled(&b, MX_F64, 30, 50, 2);
	compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &seen, NULL, NULL);
	void *first = seen.c.data;
	struct matrix out = {0};
	matrix_move(&out, &seen.c);
	compute_recycle(c, &out);
	ok(matrix_is_empty(&out), "recycled product emptied");

	double ref[40 * 50], scale[40 * 50];
	filled(&a, MX_F64, 40, 30, 3);
	filled(&b, MX_F64, 30, 50, 4);
	ref_gemm(&s, &a, &b, NULL, ref, scale);
	compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &seen, NULL, NULL);
	ok(seen.c.data == first, "the next product of the same size lands in the same block");
	ok(ref_max_err(&seen.c, ref, scale) < 1e-14, "and is right");
	matrix_move(&out, &seen.c);
	compute_recycle(c, &out);

	/* A much smaller product does not take a block twice its size. */
	filled(&a, MX_F64, 4, 3, 1);
	filled(&b, MX_F64, 3, 5, 2);
	compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &seen, NULL, NULL);
	ok(seen.c.data != first, "a small product gets its own block");
	seen_release(&seen);

	/* A borrowed matrix cannot be recycled; it is only forgotten. */
	double local[4] = {0};
	struct matrix view = {.dtype = MX_F64, .rows = 2, .cols = 2, .data = local};
	compute_recycle(c, &view);
	ok(matrix_is_empty(&view) && local[0] == 0, "borrowed matrix left alone");
	compute_trim(c);
	compute_trim(c);
	filled(&a, MX_F64, 40, 30, 1);
	filled(&b, MX_F64, 30, 50, 2);
	compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &seen, NULL, NULL);
	ok(seen.state == COMPUTE_DONE, "products still run after a trim");
	seen_release(&seen);
	compute_free(&c);
}

/* The node's arrangement: the engine on its own worker pool, results back on the loop. */
static void test_pool(void)
{
	struct loop *loop = NULL;
	char *why = NULL;
	if (loop_new(&loop, &why))
		tap_bail("loop_new: %s", why);
	struct compute_config cfg;
	compute_config_defaults(&cfg);
	cfg.panel_min_rows = 64;
	struct compute *c = NULL;
	is_int(compute_new_on_loop(loop, &cfg, NULL, &c, &why), R1_OK, "engine on a loop's pool");
	struct gemm_spec s;
	gemm_spec_default(&s);
	struct matrix a, b;
	filled(&a, MX_F64, 20, 10, 1);
	filled(&b, MX_F64, 10, 30, 2);
	double ref[600], scale[600];
	ref_gemm(&s, &a, &b, NULL, ref, scale);
	struct seen seen = {0};
	is_int(compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &seen, NULL, &why), R1_OK,
	       "submitted");
	is_int(seen.calls, 0, "not done inside submit");
	for (int i = 0; i < 2000 && !seen.calls; i++)
		loop_run_once(loop, 5);
	is_int(seen.calls, 1, "done came back through the loop");
	ok(seen.state == COMPUTE_DONE && ref_max_err(&seen.c, ref, scale) < 1e-14,
	   "and the product is right");
	seen_release(&seen);

	/* A long job cancelled from the loop. */
	s.dtype = MX_F32;
	filled(&a, MX_F32, 8192, 1024, 1);
	filled(&b, MX_F32, 1024, 1024, 2);
	uint64_t id = 0;
	compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &seen, &id, NULL);
	struct compute_job_info info = {0};
	for (int i = 0; i < 20000; i++) {
		loop_run_once(loop, 0);
		compute_job_get(c, id, &info);
		if (info.progress > 0)
			break;
		usleep(100);
	}
	compute_cancel(c, id, NULL);
	for (int i = 0; i < 2000 && !seen.calls; i++)
		loop_run_once(loop, 5);
	is_int(seen.state, COMPUTE_CANCELLED, "cancelled on the pool");
	seen_release(&seen);

	/* Freed while a job runs: the pool is drained, no callback, no leak. */
	filled(&a, MX_F32, 8192, 1024, 1);
	filled(&b, MX_F32, 1024, 1024, 2);
	compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &seen, NULL, NULL);
	filled(&a, MX_F64, 2, 2, 1);
	filled(&b, MX_F64, 2, 2, 2);
	compute_submit_gemm(c, NULL, &s, &a, &b, NULL, on_done, &seen, NULL, NULL);
	compute_free(&c);
	loop_run_once(loop, 0);
	is_int(seen.calls, 0, "no callbacks after free");
	loop_free(&loop);
	r1_free(why);
}

int main(void)
{
	test_threads_policy();
	test_pool();
	test_recycle();
	test_refusals();
	test_inline_results();
	test_queue_and_cancel();
	test_threaded_cancel();
	test_index_search_bench();
	return tap_done();
}
