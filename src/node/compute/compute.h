#ifndef R1_NODE_COMPUTE_COMPUTE_H
#define R1_NODE_COMPUTE_COMPUTE_H
/*
 * The compute engine of a node: a queue of BLAS jobs (matrix products,
 * embedding indexes, top-k searches, benchmarks) run one at a time on the
 * worker pool, so that OpenBLAS's threads never oversubscribe the machine
 * and the poll loop keeps its core.
 *
 * Threads.  Everything in this header is called on the loop thread.  A job
 * runs on a worker (through `struct compute_runner`) with the OpenBLAS
 * thread count the engine chose (blas_pick_threads: by default every core
 * but one when the loop shares the machine); only one job runs at a time,
 * the others wait in FIFO order.  The worker touches nothing but its job;
 * the loop reads the job's progress and sets its cancel flag through
 * atomics (ctl.h).  The result comes back on the loop through the done
 * callback given at submit.
 *
 * Limits.  Each job's memory (the inputs it holds, converted copies, its
 * output and scratch) is computed from dimensions and checked against the
 * per-job limit at submit, before anything is allocated; the queue has a
 * maximum length.  A refused job fails with a reason a person can read.
 *
 * Cancel.  A queued job is dropped at once; a running one stops between
 * panels (a few hundred ms at most for large products).
 *
 * Views.  compute_list() gives the console's :compute view every job with
 * its state, progress and figures, newest finished ones included.
 */
#include "core/common.h"
#include "core/err.h"
#include "core/log.h"
#include "node/compute/blas.h"
#include "node/compute/gemm.h"
#include "node/compute/matrix.h"
#include "node/compute/vindex.h"
#include "node/r1fs/r1fs.h"

#include <jansson.h>

struct compute;

/*
 * Where jobs run.  submit() runs work(arg) on another thread and then
 * done(arg) on the loop thread, each exactly once and in that order, even
 * when the runner shuts down (it must drain).  R1_ERR_AGAIN when it cannot
 * take the job now.  A NULL runner means "inline": work and done run
 * synchronously inside the submit call (the CLI and simple tests).
 */
struct compute_runner {
	void *ctx;
	enum r1_err (*submit)(void *ctx, void (*work)(void *arg), void (*done)(void *arg),
	                      void *arg, char **why);
};

struct compute_config {
	int threads;            /* OpenBLAS threads per job; 0 = automatic */
	bool loop_shares_cores; /* automatic leaves one core to the loop */
	uint64_t job_mem_limit; /* bytes per job; 0 = default (half the RAM, at most 8 GiB) */
	size_t panel_min_rows;  /* gemm panel floor; 0 = gemm's default */
	unsigned max_queued;    /* jobs waiting; 0 = 16 */
	unsigned history;       /* finished jobs remembered for views; 0 = 32 */
};

void compute_config_defaults(struct compute_config *cfg);

enum compute_kind {
	COMPUTE_GEMM,
	COMPUTE_INDEX,
	COMPUTE_SEARCH,
	COMPUTE_BENCH,
	COMPUTE_SPLIT,    /* cut a matrix into row blocks stored in R1FS */
	COMPUTE_ASSEMBLE, /* stack row blocks from R1FS into one matrix */
	COMPUTE_LOAD,     /* fetch one matrix from R1FS (its shape, or the matrix) */
};

enum compute_state {
	COMPUTE_QUEUED,
	COMPUTE_RUNNING,
	COMPUTE_DONE,
	COMPUTE_FAILED,
	COMPUTE_CANCELLED,
};

const char *compute_kind_name(enum compute_kind k);   /* "gemm", "index", ... */
const char *compute_state_name(enum compute_state s); /* "queued", "running", ... */

/* Who asked, for views and logs (both may be NULL or ""). */
struct compute_meta {
	const char *owner; /* "<stream>/<instance>", "cli", ... */
	const char *label; /* "" = made from the kind and the shape */
};

/* A benchmark's figures (also kept as the node's last measure). */
struct compute_bench {
	size_t n;                        /* square size */
	unsigned reps;                   /* products timed per dtype (best one kept) */
	double gflops_f64, gflops_f32;   /* 0 = not measured */
	double seconds_f64, seconds_f32; /* of the best product */
	int threads;
	int64_t when_ms; /* wall clock ms when it finished */
};

/*
 * What a finished job hands back, on the loop thread.  The callback may
 * take (move out) c, index and hits; whatever it leaves is freed after it
 * returns.  why is borrowed for the call.
 */
struct compute_result {
	uint64_t id;
	enum compute_kind kind;
	enum compute_state state; /* DONE, FAILED or CANCELLED */
	enum r1_err err;
	const char *why;          /* reason when not DONE */
	double seconds;           /* kernel time */
	double gflops;            /* flops / seconds (0 when not a product) */
	struct matrix c;          /* GEMM: the product */
	struct vindex *index;     /* INDEX: the built index (one reference) */
	struct vsearch_hit *hits; /* SEARCH: nq * k hits, free with r1_free */
	size_t nq, k;
	struct compute_bench bench;         /* BENCH */
	char result_cid[R1FS_CID_TEXT_MAX]; /* GEMM stored, ASSEMBLE: the result in R1FS */
	char (*cids)[R1FS_CID_TEXT_MAX];    /* SPLIT: one CID per part; free with r1_free */
	size_t ncids;
	double io_seconds; /* fetching operands and storing results */
	size_t rows, cols; /* GEMM: the product's shape (handed back or not) */
	enum mx_dtype dtype;
};

typedef void (*compute_done_fn)(void *ctx, struct compute_result *res);

/*
 * A new engine.  runner NULL = inline.  log may be NULL.  Errors:
 * R1_ERR_NOMEM.
 */
enum r1_err compute_new(const struct compute_config *cfg, const struct compute_runner *runner,
                        struct r1_log *log, struct compute **out, char **why);
/*
 * A new engine with its own one-thread worker pool (core/workers.h) on
 * `loop`: what a node uses.  Jobs are handed back on the loop through the
 * pool's eventfd.  Errors: R1_ERR_IO (the pool), R1_ERR_NOMEM.
 */
struct loop;
enum r1_err compute_new_on_loop(struct loop *loop, const struct compute_config *cfg,
                                struct r1_log *log, struct compute **out, char **why);

/*
 * Cancel every job and free the engine; NULLs *c.  With its own pool
 * (compute_new_on_loop) this waits for the running job to stop (between
 * panels: well under a second).  Queued jobs are dropped
 * without their callbacks.  If a job is still on a worker, the engine is
 * freed when the runner hands it back (the runner must drain).
 */
void compute_free(struct compute **c);

/*
 * Submit C = alpha op(A) op(B) + beta C.  a, b and (when beta != 0) c_in
 * are taken in every case (released on failure).  Operands of another dtype
 * than spec->dtype are converted on the worker.  Errors, all before any
 * allocation: R1_ERR_INVAL (empty operand, non-conforming dimensions, C of
 * the wrong shape, beta != 0 without C), R1_ERR_TOOBIG (above the job memory
 * limit), R1_ERR_AGAIN (queue full), R1_ERR_NOMEM.  *id (may be NULL) gets
 * the job id.  With the inline runner, done has been called when this
 * returns R1_OK.
 */
enum r1_err compute_submit_gemm(struct compute *c, const struct compute_meta *meta,
                                const struct gemm_spec *spec, struct matrix *a, struct matrix *b,
                                struct matrix *c_in, compute_done_fn done, void *ctx, uint64_t *id,
                                char **why);

/*
 * An input: a matrix in memory, or an R1MX file in the engine's R1FS
 * (compute_set_r1fs), fetched on the worker.  `m` is taken by the submit
 * whatever happens; `cid` (used when m is empty) is copied.
 */
struct compute_operand {
	struct matrix m;
	const char *cid;
};

/*
 * The R1FS that CID operands come from and results go to, with its secret
 * (NULL = the reference's default).  Borrowed: it must outlive the engine.
 */
void compute_set_r1fs(struct compute *c, struct r1fs *fs, const char *secret);

/*
 * A product with operands in memory or in R1FS.  With CIDs the memory
 * limit is checked on the worker: each fetch is capped by what is left of
 * it, and the product's memory before C is allocated.  `store_as` (a file
 * name) puts C in R1FS (result_cid); the product is also handed back in
 * memory only with keep_result.  mem_limit (0 = the engine's) can only
 * lower the engine's.  Errors at submit as compute_submit_gemm's (shapes
 * only when both operands are in memory), R1_ERR_STATE (a CID without
 * R1FS); on the worker also R1FS's (a missing CID is R1_ERR_NOTFOUND).
 */
struct compute_gemm_req {
	struct gemm_spec spec;
	struct compute_operand a, b, c;
	const char *store_as;
	bool keep_result;
	uint64_t mem_limit;
};
enum r1_err compute_submit_gemm_req(struct compute *c, const struct compute_meta *meta,
                                    struct compute_gemm_req *req, compute_done_fn done, void *ctx,
                                    uint64_t *id, char **why);

/*
 * Cut op(src) (src, or its transpose with `trans`) into row blocks
 * [row0[i], row0[i] + rows[i]) stored in R1FS as "<prefix>_<i>.r1mx";
 * result cids[i].  Ranges are checked against the matrix on the worker
 * (R1_ERR_INVAL).  Errors: R1_ERR_INVAL (no parts, more than 1024, an
 * empty range), R1_ERR_STATE (no R1FS).
 */
struct compute_split_req {
	struct compute_operand src;
	bool trans;
	size_t nparts;
	const uint64_t *row0, *rows; /* copied */
	const char *prefix;          /* NULL = "part" */
	uint64_t mem_limit;
};
enum r1_err compute_submit_split(struct compute *c, const struct compute_meta *meta,
                                 struct compute_split_req *req, compute_done_fn done, void *ctx,
                                 uint64_t *id, char **why);

/*
 * Stack the row blocks stored under cids (in order) into one rows x cols
 * matrix of dtype, stored in R1FS as `store_as` (result_cid).  A block of
 * another width or dtype, or rows that do not add up, fail the job
 * (R1_ERR_INVAL) with the block named.  Errors at submit: R1_ERR_INVAL,
 * R1_ERR_TOOBIG (the result above the limit), R1_ERR_STATE (no R1FS).
 */
struct compute_assemble_req {
	const char *const *cids; /* copied */
	size_t nparts;
	uint64_t rows, cols;
	enum mx_dtype dtype;
	const char *store_as; /* NULL = "result.r1mx" */
	uint64_t mem_limit;
};
enum r1_err compute_submit_assemble(struct compute *c, const struct compute_meta *meta,
                                    const struct compute_assemble_req *req, compute_done_fn done,
                                    void *ctx, uint64_t *id, char **why);

/*
 * Fetch the R1MX matrix stored under `cid` on the worker: its shape and
 * dtype come back in the result's rows, cols and dtype, the matrix itself
 * in c only with `keep`.  `what` ("A") names it in reasons and views.
 * Errors: R1_ERR_INVAL (no CID), R1_ERR_NOMEM; on the worker R1FS's and
 * R1_ERR_TOOBIG above the memory limit.
 */
enum r1_err compute_submit_load(struct compute *c, const struct compute_meta *meta, const char *cid,
                                const char *what, bool keep, uint64_t mem_limit,
                                compute_done_fn done, void *ctx, uint64_t *id, char **why);

/* Build an embedding index from `emb` (taken).  Errors as above. */
enum r1_err compute_submit_index(struct compute *c, const struct compute_meta *meta,
                                 struct matrix *emb, compute_done_fn done, void *ctx, uint64_t *id,
                                 char **why);

/* The same from an operand (an embedding matrix in R1FS, fetched on the worker). */
enum r1_err compute_submit_index_op(struct compute *c, const struct compute_meta *meta,
                                    struct compute_operand *emb, uint64_t mem_limit,
                                    compute_done_fn done, void *ctx, uint64_t *id, char **why);

/*
 * Search `ix` (a reference is taken for the job) for the top k rows of
 * each query (queries taken); a k above the index's row count is lowered
 * to it (the result's k says).  Errors as above; R1_ERR_STATE without an
 * index, R1_ERR_INVAL for a dimension mismatch or k == 0.
 */
enum r1_err compute_submit_search(struct compute *c, const struct compute_meta *meta,
                                  struct vindex *ix, struct matrix *queries, size_t k,
                                  compute_done_fn done, void *ctx, uint64_t *id, char **why);

/* The same with the queries in memory or in R1FS (fetched on the worker). */
enum r1_err compute_submit_search_op(struct compute *c, const struct compute_meta *meta,
                                     struct vindex *ix, struct compute_operand *queries, size_t k,
                                     uint64_t mem_limit, compute_done_fn done, void *ctx,
                                     uint64_t *id, char **why);

/*
 * Benchmark n x n products through the job path: float64 when do_f64,
 * float32 when do_f32, `reps` timed runs of each after one warm-up (best
 * kept).  Errors as above.
 */
enum r1_err compute_submit_bench(struct compute *c, const struct compute_meta *meta, size_t n,
                                 unsigned reps, bool do_f64, bool do_f32, compute_done_fn done,
                                 void *ctx, uint64_t *id, char **why);

/*
 * Cancel a job.  A queued job is dropped and its done callback runs now
 * with COMPUTE_CANCELLED; a running one is told to stop and its callback
 * comes when it has.  R1_ERR_NOTFOUND when no such job is queued or
 * running.
 */
enum r1_err compute_cancel(struct compute *c, uint64_t id, char **why);

/*
 * Detach a job from its caller (the caller is going away): it is cancelled
 * and its callback will never be called.  No-op for unknown ids.
 */
void compute_forget(struct compute *c, uint64_t id);

/*
 * Give a product back once its owner is done with it (written to R1FS,
 * sent): the engine keeps one such block and lays the next product of a
 * similar size in it, in pages already mapped.  *m is emptied.  The spare
 * is outside every job's memory count; compute_trim frees it (call it when
 * the node is idle for long, or short of memory).
 */
void compute_recycle(struct compute *c, struct matrix *m);
void compute_trim(struct compute *c);

/* ---- views and heartbeats */

struct compute_job_info {
	uint64_t id;
	enum compute_kind kind;
	enum compute_state state;
	char owner[64];
	char label[80];
	double progress;                               /* 0..1 */
	uint64_t mem_bytes;                            /* what the limit check counted */
	int64_t submitted_ms, started_ms, finished_ms; /* wall clock; 0 = not yet */
	double seconds, gflops;                        /* once finished */
	char why[160];                                 /* reason of a failure */
};

/*
 * Copy up to `max` jobs into `out`: the running one, the queued ones in
 * order, then finished ones newest first.  Returns how many were copied.
 */
size_t compute_list(const struct compute *c, struct compute_job_info *out, size_t max);
/* One job by id (queued, running or remembered); false if unknown. */
bool compute_job_get(const struct compute *c, uint64_t id, struct compute_job_info *out);

size_t compute_queued(const struct compute *c); /* waiting, not running */
bool compute_busy(const struct compute *c);     /* a job is on a worker */

/* The BLAS thread count jobs get, and the limits in force. */
int compute_threads(const struct compute *c);
uint64_t compute_mem_limit(const struct compute *c);
const struct blas_info *compute_blas(const struct compute *c);

/* The newest benchmark (zeroed if none yet); false if none. */
bool compute_last_bench(const struct compute *c, struct compute_bench *out);

/*
 * Fields for this node's heartbeat: a new object with blas_info_json's
 * keys plus "COMPUTE_GFLOPS_F64", "COMPUTE_GFLOPS_F32" and "COMPUTE_BENCH_N"
 * (null until a bench has run), "COMPUTE_JOBS_RUNNING" and
 * "COMPUTE_JOBS_QUEUED".  NULL on OOM.
 */
json_t *compute_heartbeat_json(const struct compute *c);

/*
 * What another node's heartbeat says of its compute (the fields of
 * compute_heartbeat_json), for the console's :compute view and for ranking
 * ChainDist workers.  Missing or null fields read as 0 / "".
 */
struct compute_peer {
	char core[32];     /* OPENBLAS_CORE */
	char coretype[32]; /* OPENBLAS_CORETYPE; "" when unset */
	int cpu_cores, blas_threads;
	double gflops_f64, gflops_f32; /* 0 = not measured */
	unsigned bench_n;
	unsigned jobs_running, jobs_queued;
};
/* False when the status has none of the compute fields (a node without compute). */
bool compute_peer_from_status(const json_t *status, struct compute_peer *out);

/*
 * The ChainDist jobs this node masters (CHAIN_DIST_MASTER_01 instances add
 * theirs while they live), for the console's :compute view: per-part state,
 * node and progress through chaindist.h's readers.  The machines are
 * borrowed and valid until the next loop iteration.  Adding one already
 * there, or removing one not there, does nothing; add fails only on OOM.
 */
struct chaindist;
enum r1_err compute_add_chaindist(struct compute *c, struct chaindist *cd, char **why);
void compute_remove_chaindist(struct compute *c, const struct chaindist *cd);
/* Up to max of them, oldest first; returns how many. */
size_t compute_chaindists(const struct compute *c, const struct chaindist **out, size_t max);

/*
 * The memory a job would need, as compute_submit_* counts it; for callers
 * that want to refuse before fetching inputs (e.g. from R1FS sizes).
 * Errors as compute_submit_gemm's dimension checks.
 */
enum r1_err compute_gemm_bytes(const struct gemm_spec *spec, enum mx_dtype a_dtype, size_t a_rows,
                               size_t a_cols, enum mx_dtype b_dtype, size_t b_rows, size_t b_cols,
                               bool with_c, uint64_t *bytes, char **why);

#endif
