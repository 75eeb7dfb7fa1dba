#ifndef R1_CORE_WORKERS_H
#define R1_CORE_WORKERS_H
/*
 * A small pool of threads for CPU-heavy work (BLAS jobs, hashing and
 * encrypting big files, bulk signature checks).  A job is a function run on a
 * worker thread plus a function run afterwards on the loop thread; results
 * come back through an eventfd the loop watches.  Worker code must touch
 * nothing but its own argument: never the model, the screen or the loop.
 *
 * Every submitted job gets exactly one done call, on the loop thread:
 * status R1_OK when it ran to the end without a cancel request, or
 * R1_ERR_CANCELLED when it was cancelled (before it started, in which case
 * run was never called, or while it ran) or the pool shut down first.
 */
#include "core/common.h"
#include "core/err.h"

struct loop;
struct workers;
struct worker_job;

/* Runs on a worker thread.  Long jobs poll worker_job_cancelled(job). */
typedef void (*worker_run_fn)(struct worker_job *job, void *arg);
/* Runs on the loop thread once the job is over; usually frees arg. */
typedef void (*worker_done_fn)(void *arg, enum r1_err status);

/*
 * A pool of `threads` threads (1..64) with at most `max_queued` jobs waiting
 * to start (0 = 1024).  Errors: R1_ERR_INVAL, R1_ERR_NOMEM, R1_ERR_IO
 * (eventfd or thread creation).
 */
enum r1_err workers_new(struct loop *loop, unsigned threads, size_t max_queued,
                        struct workers **out, char **why);
/*
 * Shut down: jobs not yet started are cancelled, running jobs see their
 * cancel flag, the threads are joined, then every outstanding done callback
 * runs (on the calling thread, which must be the loop thread).  NULLs *w.
 */
void workers_free(struct workers **w);

/*
 * Queue a job.  *job (when job is not NULL) gets a handle for
 * workers_cancel, valid until done has run.  Errors: R1_ERR_AGAIN (queue
 * full), R1_ERR_STATE (shutting down), R1_ERR_NOMEM.  On error neither
 * function is ever called.
 */
enum r1_err workers_submit(struct workers *w, worker_run_fn run, worker_done_fn done, void *arg,
                           struct worker_job **job, char **why);
/* Ask a job to stop (loop thread only).  A job that has not started never will. */
void workers_cancel(struct workers *w, struct worker_job *job);
/* For the job itself, on its worker thread. */
bool worker_job_cancelled(const struct worker_job *job);
/*
 * For the job itself: the index (0 .. workers_threads() - 1) of the thread
 * running it, so that a job can use per-thread scratch memory that no other
 * thread touches while it runs.
 */
unsigned worker_job_thread(const struct worker_job *job);
/* The pool's thread count. */
unsigned workers_threads(const struct workers *w);
/* Jobs submitted whose done has not run yet. */
size_t workers_pending(const struct workers *w);

#endif
