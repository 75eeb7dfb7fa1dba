/*
 * The worker pool (see workers.h).  One mutex guards two intrusive FIFO
 * lists, jobs waiting to start and jobs finished; a condition variable wakes
 * idle workers; an eventfd watched by the loop says "something finished".
 * The loop thread alone calls done callbacks, so owners never lock anything.
 * Worker threads block every signal: signals belong to the loop's self-pipe.
 */
#include "core/lib.h"
#include "core/workers.h"
#include "core/loop.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/eventfd.h>

#define WORKERS_MAX_THREADS 64

struct worker_job {
	struct worker_job *next;
	worker_run_fn run;
	worker_done_fn done;
	void *arg;
	atomic_bool cancel;
	bool started;    /* under the lock */
	unsigned thread; /* the worker running it, set before run */
};

struct job_list {
	struct worker_job *head, *tail;
	size_t count;
};

struct workers {
	struct loop *loop;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job_list queued, finished;
	size_t max_queued;
	size_t pending; /* loop thread only: submitted minus done */
	bool stopping;
	int event_fd;
	struct loop_watch *watch;
	unsigned nthreads;
	struct worker_thread {
		struct workers *pool;
		unsigned index;
		pthread_t tid;
		struct worker_job *current; /* under the lock */
	} threads[WORKERS_MAX_THREADS];
};

static void list_push(struct job_list *l, struct worker_job *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->count++;
}

static struct worker_job *list_pop(struct job_list *l)
{
	struct worker_job *j = l->head;
	if (j) {
		l->head = j->next;
		if (!l->head)
			l->tail = NULL;
		l->count--;
	}
	return j;
}

static void signal_finished(struct workers *w)
{
	uint64_t one = 1;
	(void)!write(w->event_fd, &one, sizeof(one));
}

static void *worker_main(void *arg)
{
	struct worker_thread *self = arg;
	struct workers *w = self->pool;
	pthread_setname_np(pthread_self(), "r1-worker"); /* for top and perf */
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->queued.head && !w->stopping)
			pthread_cond_wait(&w->wake, &w->lock);
		struct worker_job *j = list_pop(&w->queued);
		if (!j)
			break; /* stopping and nothing left */
		j->started = true;
		j->thread = self->index;
		self->current = j;
		pthread_mutex_unlock(&w->lock);
		if (!atomic_load(&j->cancel))
			j->run(j, j->arg);
		pthread_mutex_lock(&w->lock);
		self->current = NULL;
		/* One wake-up per batch: the loop reads the eventfd before it
		 * takes the list, so a job added to a non-empty list is reaped
		 * with the ones already signalled. */
		bool was_empty = !w->finished.head;
		list_push(&w->finished, j);
		if (was_empty)
			signal_finished(w);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Loop thread: run the done callbacks of everything finished so far. */
static void reap(struct workers *w)
{
	pthread_mutex_lock(&w->lock);
	struct job_list done = w->finished;
	w->finished = (struct job_list){0};
	pthread_mutex_unlock(&w->lock);
	struct worker_job *j;
	while ((j = list_pop(&done))) {
		w->pending--;
		j->done(j->arg, atomic_load(&j->cancel) ? R1_ERR_CANCELLED : R1_OK);
		r1_free(j);
	}
}

static void on_event(void *ctx, int fd, unsigned revents)
{
	uint64_t count;
	(void)revents;
	(void)!read(fd, &count, sizeof(count));
	reap(ctx);
}

enum r1_err workers_new(struct loop *loop, unsigned threads, size_t max_queued,
                        struct workers **out, char **why)
{
	if (threads < 1 || threads > WORKERS_MAX_THREADS)
		return r1_fail(why, R1_ERR_INVAL, "workers: %u threads (want 1..%d)", threads,
		               WORKERS_MAX_THREADS);
	struct workers *w = r1_calloc(1, sizeof(*w));
	if (!w)
		return r1_fail(why, R1_ERR_NOMEM, "workers: out of memory");
	w->loop = loop;
	w->max_queued = max_queued ? max_queued : 1024;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	w->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->event_fd < 0) {
		enum r1_err err = r1_fail(why, R1_ERR_IO, "workers: eventfd: %s", strerror(errno));
		workers_free(&w);
		return err;
	}
	w->watch = loop_watch_add(loop, w->event_fd, LOOP_READ, on_event, w);
	if (!w->watch) {
		workers_free(&w);
		return r1_fail(why, R1_ERR_NOMEM, "workers: out of memory");
	}
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < threads; i++) {
		w->threads[i].pool = w;
		w->threads[i].index = i;
		int rc = pthread_create(&w->threads[i].tid, NULL, worker_main, &w->threads[i]);
		if (rc) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			workers_free(&w);
			return r1_fail(why, R1_ERR_IO, "workers: pthread_create: %s", strerror(rc));
		}
		w->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	*out = w;
	return R1_OK;
}

void workers_free(struct workers **wp)
{
	struct workers *w = *wp;
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	struct worker_job *j;
	while ((j = list_pop(&w->queued))) {
		atomic_store(&j->cancel, true);
		list_push(&w->finished, j);
	}
	for (unsigned i = 0; i < w->nthreads; i++)
		if (w->threads[i].current)
			atomic_store(&w->threads[i].current->cancel, true);
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	for (unsigned i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i].tid, NULL);
	reap(w);
	loop_watch_remove(w->loop, &w->watch);
	if (w->event_fd >= 0)
		close(w->event_fd);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	r1_free(w);
	*wp = NULL;
}

enum r1_err workers_submit(struct workers *w, worker_run_fn run, worker_done_fn done, void *arg,
                           struct worker_job **jobp, char **why)
{
	if (!run || !done)
		return r1_fail(why, R1_ERR_INVAL, "workers: job without run or done function");
	struct worker_job *j = r1_calloc(1, sizeof(*j));
	if (!j)
		return r1_fail(why, R1_ERR_NOMEM, "workers: out of memory");
	j->run = run;
	j->done = done;
	j->arg = arg;
	atomic_init(&j->cancel, false);
	enum r1_err err = R1_OK;
	pthread_mutex_lock(&w->lock);
	if (w->stopping)
		err = R1_ERR_STATE;
	else if (w->queued.count >= w->max_queued)
		err = R1_ERR_AGAIN;
	else {
		list_push(&w->queued, j);
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
	if (err) {
		r1_free(j);
		return r1_fail(why, err,
		               err == R1_ERR_AGAIN ? "workers: queue full (%zu jobs)"
		                                   : "workers: shutting down (%zu jobs)",
		               w->max_queued);
	}
	w->pending++;
	if (jobp)
		*jobp = j;
	return R1_OK;
}

void workers_cancel(struct workers *w, struct worker_job *job)
{
	pthread_mutex_lock(&w->lock);
	atomic_store(&job->cancel, true);
	if (!job->started) {
		/* Still queued: unlink it and report it finished. */
		struct worker_job **pp = &w->queued.head, *prev = NULL;
		while (*pp && *pp != job) {
			prev = *pp;
			pp = &(*pp)->next;
		}
		if (*pp) {
			*pp = job->next;
			if (w->queued.tail == job)
				w->queued.tail = prev;
			w->queued.count--;
			list_push(&w->finished, job);
			signal_finished(w);
		}
	}
	pthread_mutex_unlock(&w->lock);
}

bool worker_job_cancelled(const struct worker_job *job)
{
	return atomic_load(&((struct worker_job *)job)->cancel);
}

unsigned worker_job_thread(const struct worker_job *job)
{
	return job->thread;
}

unsigned workers_threads(const struct workers *w)
{
	return w->nthreads;
}

size_t workers_pending(const struct workers *w)
{
	return w->pending;
}
