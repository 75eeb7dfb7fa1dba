/*
 * Unit tests of core/workers: jobs round-trip to the loop thread, the queue
 * bound, cancel before and during a run, and shutdown with jobs queued and
 * running.  Run under TSan too (configure --enable-tsan).
 */
#include "core/lib.h"
#include "core/loop.h"
#include "core/workers.h"
#include "tests/tap.h"

#include <pthread.h>
#include <stdatomic.h>

struct job {
	pthread_t loop_thread;
	pthread_t run_thread;
	long input, output;
	bool ran, done_on_loop;
	enum r1_err status;
	int *done_count;
	/* for the blocking jobs */
	atomic_int *gate; /* 0: wait; 1: go */
	atomic_int *started;
	bool saw_cancel;
};

static void run_square(struct worker_job *wj, void *arg)
{
	struct job *j = arg;
	(void)wj;
	j->run_thread = pthread_self();
	j->output = j->input * j->input;
	j->ran = true;
}

static void run_blocking(struct worker_job *wj, void *arg)
{
	struct job *j = arg;
	j->ran = true;
	atomic_fetch_add(j->started, 1);
	/* Wait for the gate, or for a cancel request. */
	while (!atomic_load(j->gate)) {
		if (worker_job_cancelled(wj)) {
			j->saw_cancel = true;
			return;
		}
		usleep(1000);
	}
}

static void on_done(void *arg, enum r1_err status)
{
	struct job *j = arg;
	j->done_on_loop = pthread_equal(pthread_self(), j->loop_thread);
	j->status = status;
	(*j->done_count)++;
}

static struct loop *new_loop(void)
{
	struct loop *loop = NULL;
	if (loop_new(&loop, NULL))
		tap_bail("loop_new");
	return loop;
}

static void test_errors(void)
{
	struct loop *loop = new_loop();
	struct workers *w = NULL;
	char *why = NULL;
	is_int(workers_new(loop, 0, 0, &w, &why), R1_ERR_INVAL, "0 threads refused");
	ok(why && strstr(why, "0 threads"), "reason names the count");
	is_int(workers_new(loop, 65, 0, &w, &why), R1_ERR_INVAL, "65 threads refused");
	ok(w == NULL, "nothing created");
	is_int(workers_new(loop, 1, 0, &w, &why), R1_OK, "one thread");
	is_int(workers_submit(w, NULL, on_done, NULL, NULL, &why), R1_ERR_INVAL, "no run fn");
	r1_alloc_fail_after(0);
	is_int(workers_submit(w, run_square, on_done, NULL, NULL, NULL), R1_ERR_NOMEM,
	       "submit out of memory");
	r1_alloc_fail_after(-1);
	is_int((long long)workers_pending(w), 0, "nothing pending after failures");
	r1_free(why);
	workers_free(&w);
	ok(w == NULL, "free NULLs");
	loop_free(&loop);
}

static void test_round_trip(void)
{
	enum { N = 200 };
	struct loop *loop = new_loop();
	struct workers *w = NULL;
	is_int(workers_new(loop, 3, N, &w, NULL), R1_OK, "three threads");
	static struct job jobs[N];
	int done = 0;
	bool submitted = true;
	for (int i = 0; i < N; i++) {
		jobs[i] =
		    (struct job){.loop_thread = pthread_self(), .input = i, .done_count = &done};
		submitted = submitted &&
		            workers_submit(w, run_square, on_done, &jobs[i], NULL, NULL) == R1_OK;
	}
	ok(submitted, "%d jobs submitted", N);
	is_int((long long)workers_pending(w), N, "all pending");
	for (int i = 0; i < 10000 && done < N; i++)
		loop_run_once(loop, 100);
	is_int(done, N, "every done callback ran");
	int right = 0, on_loop = 0, off_loop = 0, ok_status = 0;
	for (int i = 0; i < N; i++) {
		right += jobs[i].output == (long)i * i;
		on_loop += jobs[i].done_on_loop;
		off_loop += !pthread_equal(jobs[i].run_thread, pthread_self());
		ok_status += jobs[i].status == R1_OK;
	}
	is_int(right, N, "results computed");
	is_int(on_loop, N, "done ran on the loop thread");
	is_int(off_loop, N, "run ran on worker threads");
	is_int(ok_status, N, "status R1_OK");
	is_int((long long)workers_pending(w), 0, "nothing pending");
	workers_free(&w);
	loop_free(&loop);
}

static void test_bound_and_cancel(void)
{
	struct loop *loop = new_loop();
	struct workers *w = NULL;
	atomic_int gate = 0, started = 0;
	int done = 0;
	char *why = NULL;
	is_int(workers_new(loop, 1, 2, &w, NULL), R1_OK, "one thread, two queued at most");
	struct job blocker = {
	    .loop_thread = pthread_self(), .done_count = &done, .gate = &gate, .started = &started};
	struct job q1 = blocker, q2 = blocker, q3 = blocker;
	struct worker_job *h_blocker = NULL, *h_q1 = NULL;
	is_int(workers_submit(w, run_blocking, on_done, &blocker, &h_blocker, NULL), R1_OK,
	       "blocker submitted");
	while (!atomic_load(&started))
		usleep(1000); /* the blocker now occupies the only thread */
	is_int(workers_submit(w, run_blocking, on_done, &q1, &h_q1, NULL), R1_OK, "q1 queued");
	is_int(workers_submit(w, run_blocking, on_done, &q2, NULL, NULL), R1_OK, "q2 queued");
	is_int(workers_submit(w, run_blocking, on_done, &q3, NULL, &why), R1_ERR_AGAIN,
	       "a third queued job is refused");
	ok(why && strstr(why, "queue full"), "reason says the queue is full");
	r1_free(why);

	workers_cancel(w, h_q1);
	for (int i = 0; i < 100 && done < 1; i++)
		loop_run_once(loop, 10);
	is_int(done, 1, "cancelled queued job reported at once");
	ok(!q1.ran, "a job cancelled before it started never runs");
	is_int(q1.status, R1_ERR_CANCELLED, "with status cancelled");

	workers_cancel(w, h_blocker);
	for (int i = 0; i < 1000 && done < 2; i++)
		loop_run_once(loop, 10);
	ok(blocker.saw_cancel, "the running job saw its cancel flag");
	is_int(blocker.status, R1_ERR_CANCELLED, "and was reported cancelled");

	atomic_store(&gate, 1);
	for (int i = 0; i < 1000 && done < 3; i++)
		loop_run_once(loop, 10);
	ok(q2.ran, "q2 ran after the blocker stopped");
	is_int(q2.status, R1_OK, "q2 finished normally");
	is_int(done, 3, "three done callbacks in all");
	workers_free(&w);
	loop_free(&loop);
}

static void test_shutdown(void)
{
	struct loop *loop = new_loop();
	struct workers *w = NULL;
	atomic_int gate = 0, started = 0;
	int done = 0;
	is_int(workers_new(loop, 2, 0, &w, NULL), R1_OK, "two threads");
	struct job jobs[6];
	for (int i = 0; i < 6; i++) {
		jobs[i] = (struct job){.loop_thread = pthread_self(),
		                       .done_count = &done,
		                       .gate = &gate,
		                       .started = &started};
		workers_submit(w, run_blocking, on_done, &jobs[i], NULL, NULL);
	}
	while (atomic_load(&started) < 2)
		usleep(1000);
	workers_free(&w); /* two running (they see cancel), four never started */
	is_int(done, 6, "shutdown ran every done callback");
	int cancelled = 0, ran = 0;
	for (int i = 0; i < 6; i++) {
		cancelled += jobs[i].status == R1_ERR_CANCELLED;
		ran += jobs[i].ran;
	}
	is_int(cancelled, 6, "all reported cancelled");
	is_int(ran, 2, "only the two running ones ever started");
	loop_free(&loop);
}

int main(void)
{
	test_errors();
	test_round_trip();
	test_bound_and_cancel();
	test_shutdown();
	return tap_done();
}
