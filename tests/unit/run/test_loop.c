/*
 * Unit tests of core/loop: timers (order, ties, cancel, repeat, reset and
 * free from callbacks, 100k timers), deferred calls (FIFO, next iteration,
 * cancel), fd watchers (read, write, interest changes, removal from inside
 * callbacks), hooks, signals through the self-pipe, loop_post from another
 * thread, and the clock speed-up.  Assertions are about order and counts,
 * never about how long something took.
 */
#include "core/lib.h"
#include "core/loop.h"
#include "tests/tap.h"

#include <pthread.h>
#include <signal.h>

static struct loop *new_loop(void)
{
	struct loop *loop = NULL;
	char *why = NULL;
	if (loop_new(&loop, &why))
		tap_bail("loop_new: %s", why);
	return loop;
}

/* ---- timers */

struct trace {
	char log[256];
	size_t n;
	struct loop *loop;
	struct loop_timer *other;
	int fires;
	int stop_after;
};

static void trace_add(struct trace *t, char c)
{
	if (t->n + 1 < sizeof(t->log))
		t->log[t->n++] = c;
	t->log[t->n] = '\0';
}

struct tagged {
	struct trace *trace;
	char tag;
};

static void on_tagged(void *ctx, struct loop_timer *timer)
{
	struct tagged *tg = ctx;
	(void)timer;
	trace_add(tg->trace, tg->tag);
}

static void test_timer_order(void)
{
	struct loop *loop = new_loop();
	struct trace tr = {.loop = loop};
	struct tagged tags[5];
	struct loop_timer *t[5];
	const uint64_t after[5] = {30, 10, 20, 10, 0};
	for (int i = 0; i < 5; i++) {
		tags[i] = (struct tagged){&tr, (char)('a' + i)};
		t[i] = loop_timer_new(loop, on_tagged, &tags[i]);
		ok(t[i] && !loop_timer_active(t[i]), "timer %d created stopped", i);
	}
	for (int i = 0; i < 5; i++)
		loop_timer_start(t[i], after[i], 0);
	ok(loop_timer_active(t[0]), "started timer is active");
	for (int i = 0; i < 100 && tr.n < 5; i++)
		loop_run_once(loop, 50);
	is_str(tr.log, "ebdca", "fire in due order; ties in start order");
	ok(!loop_timer_active(t[0]), "one-shot timer is inactive after firing");

	/* cancel and restart */
	tr.n = 0;
	tr.log[0] = '\0';
	loop_timer_start(t[0], 5, 0);
	loop_timer_start(t[1], 10, 0);
	loop_timer_stop(t[0]);
	loop_timer_stop(t[0]); /* twice is fine */
	loop_timer_start(t[2], 1, 0);
	loop_timer_start(t[2], 15, 0); /* restart moves it */
	for (int i = 0; i < 100 && tr.n < 2; i++)
		loop_run_once(loop, 50);
	is_str(tr.log, "bc", "stopped timer never fires; restarted one fires at its new time");
	for (int i = 0; i < 5; i++)
		loop_timer_free(&t[i]);
	ok(t[0] == NULL, "free NULLs");
	loop_free(&loop);
}

static void on_repeat(void *ctx, struct loop_timer *timer)
{
	struct trace *tr = ctx;
	tr->fires++;
	if (tr->fires == tr->stop_after)
		loop_timer_stop(timer);
}

static void on_free_self(void *ctx, struct loop_timer *timer)
{
	struct trace *tr = ctx;
	struct loop_timer *self = timer;
	tr->fires++;
	loop_timer_free(&self); /* freeing itself from its own callback */
}

static void on_stop_other(void *ctx, struct loop_timer *timer)
{
	struct trace *tr = ctx;
	(void)timer;
	trace_add(tr, 'S');
	loop_timer_free(&tr->other);
}

static void test_timer_repeat(void)
{
	struct loop *loop = new_loop();
	struct trace tr = {.loop = loop, .stop_after = 5};
	struct loop_timer *t = loop_timer_new(loop, on_repeat, &tr);
	loop_timer_start(t, 0, 1);
	for (int i = 0; i < 1000 && loop_timer_active(t); i++)
		loop_run_once(loop, 10);
	is_int(tr.fires, 5, "repeating timer fired until it stopped itself");
	ok(!loop_timer_active(t), "stopped from its callback");
	loop_timer_free(&t);

	struct trace tr2 = {.loop = loop};
	struct loop_timer *self = loop_timer_new(loop, on_free_self, &tr2);
	loop_timer_start(self, 0, 1);
	for (int i = 0; i < 20; i++)
		loop_run_once(loop, 2);
	is_int(tr2.fires, 1, "a repeating timer that freed itself fires once");

	/* One timer frees another that is due in the same iteration. */
	struct trace tr3 = {.loop = loop};
	struct tagged other_tag = {&tr3, 'X'};
	struct loop_timer *killer = loop_timer_new(loop, on_stop_other, &tr3);
	tr3.other = loop_timer_new(loop, on_tagged, &other_tag);
	loop_timer_start(killer, 0, 0);
	loop_timer_start(tr3.other, 0, 0);
	for (int i = 0; i < 5; i++)
		loop_run_once(loop, 1);
	is_str(tr3.log, "S", "a timer freed by an earlier one in the same batch never fires");
	loop_timer_free(&killer);
	loop_free(&loop);
}

static void on_count(void *ctx, struct loop_timer *timer)
{
	(void)timer;
	(*(int *)ctx)++;
}

static void test_timer_speed(void)
{
	struct loop *loop = new_loop();
	int count = 0;
	loop_set_speed(loop, 1000);
	uint64_t start = loop_now(loop);
	struct loop_timer *t = loop_timer_new(loop, on_count, &count);
	loop_timer_start(t, 10000, 0); /* 10 s of loop time */
	for (int i = 0; i < 500 && !count; i++)
		loop_run_once(loop, 1000);
	is_int(count, 1, "a 10 s timer fires at speed 1000");
	ok(loop_now(loop) - start >= 10000, "loop time advanced by at least 10 s (%" PRIu64 ")",
	   loop_now(loop) - start);
	loop_timer_free(&t);
	loop_set_speed(loop, 0);
	uint64_t a = loop_now_update(loop), b = loop_now_update(loop);
	ok(b >= a, "clock is monotonic after resetting the speed");
	loop_free(&loop);
}

struct many {
	int fired, out_of_order;
	uint64_t last_due;
	int last_idx;
};

struct many_ctx {
	struct many *m;
	uint64_t due;
	int idx;
};

static void on_many(void *ctx, struct loop_timer *timer)
{
	struct many_ctx *c = ctx;
	struct many *m = c->m;
	(void)timer;
	/* Due times never go backwards; equal ones keep start order. */
	if (m->fired && (c->due < m->last_due || (c->due == m->last_due && c->idx < m->last_idx)))
		m->out_of_order++;
	m->last_due = c->due;
	m->last_idx = c->idx;
	m->fired++;
}

static void test_many_timers(void)
{
	enum { N = 100000 };
	struct loop *loop = new_loop();
	struct loop_timer **ts = malloc(N * sizeof(*ts));
	struct many_ctx *ctx = malloc(N * sizeof(*ctx));
	struct many m = {0};
	bool created = true;
	for (int i = 0; i < N; i++) {
		ctx[i] = (struct many_ctx){&m, 0, i};
		ts[i] = loop_timer_new(loop, on_many, &ctx[i]);
		created = created && ts[i];
	}
	ok(created, "100000 timers created");
	/* Pseudo-random due times in 0..49 ms, all started at one loop time;
	 * then every third one stopped. */
	loop_now_update(loop);
	uint32_t x = 12345;
	for (int i = 0; i < N; i++) {
		x = x * 1103515245u + 12345u;
		ctx[i].due = (x >> 16) % 50;
		loop_timer_start(ts[i], ctx[i].due, 0);
	}
	int stopped = 0;
	for (int i = 0; i < N; i += 3, stopped++)
		loop_timer_stop(ts[i]);
	/* One long wait so that everything is due in a single batch, then run. */
	usleep(60 * 1000);
	for (int i = 0; i < 1000 && m.fired < N - stopped; i++)
		loop_run_once(loop, 10);
	is_int(m.fired, N - stopped, "every timer not stopped fired exactly once");
	is_int(m.out_of_order, 0, "in (due, start) order");
	int active = 0;
	for (int i = 0; i < N; i++)
		active += loop_timer_active(ts[i]);
	is_int(active, 0, "none left active");
	/* Leave half of them for loop_free to release. */
	for (int i = 0; i < N / 2; i++)
		loop_timer_free(&ts[i]);
	free(ts);
	loop_free(&loop);
	free(ctx);
	ok(loop == NULL, "loop_free releases the remaining timers");
}

/* ---- deferred calls */

struct calls {
	struct trace tr;
	struct loop_call a, b, c;
};

static void call_a(void *ctx)
{
	struct calls *cs = ctx;
	trace_add(&cs->tr, 'a');
	loop_call_schedule(cs->tr.loop, &cs->c); /* runs next iteration */
	loop_call_cancel(cs->tr.loop, &cs->b);   /* b was due after a: never runs */
}

static void call_b(void *ctx)
{
	trace_add(&((struct calls *)ctx)->tr, 'b');
}

static void call_c(void *ctx)
{
	trace_add(&((struct calls *)ctx)->tr, 'c');
}

static void call_deferred(void *ctx)
{
	trace_add(ctx, 'd');
}

static void test_calls(void)
{
	struct loop *loop = new_loop();
	struct calls cs = {.tr = {.loop = loop}};
	loop_call_init(&cs.a, call_a, &cs);
	loop_call_init(&cs.b, call_b, &cs);
	loop_call_init(&cs.c, call_c, &cs);
	ok(!loop_call_pending(&cs.a), "fresh call not pending");
	loop_call_schedule(loop, &cs.a);
	loop_call_schedule(loop, &cs.a); /* no-op */
	loop_call_schedule(loop, &cs.b);
	is_int(loop_defer(loop, call_deferred, &cs.tr), R1_OK, "loop_defer");
	ok(loop_call_pending(&cs.a), "scheduled call pending");
	is_int(loop_run_once(loop, -1), 2, "first iteration ran a and the deferred call");
	is_str(cs.tr.log, "ad", "FIFO; b cancelled from a; c waits for the next iteration");
	ok(loop_call_pending(&cs.c), "c is pending");
	loop_run_once(loop, -1);
	is_str(cs.tr.log, "adc", "c ran on the next iteration");
	loop_call_schedule(loop, &cs.b);
	loop_call_cancel(loop, &cs.b);
	loop_call_cancel(loop, &cs.b);
	loop_run_once(loop, 0);
	is_str(cs.tr.log, "adc", "cancelled call does not run");

	r1_alloc_fail_after(0);
	is_int(loop_defer(loop, call_deferred, &cs.tr), R1_ERR_NOMEM, "loop_defer out of memory");
	r1_alloc_fail_after(-1);
	/* Left pending for loop_free to release. */
	loop_defer(loop, call_deferred, &cs.tr);
	loop_call_schedule(loop, &cs.a);
	loop_free(&loop);
	ok(!cs.a.pending, "loop_free unschedules embedded calls");
}

/* ---- fd watchers and hooks */

struct pipes {
	struct loop *loop;
	int fds[2];
	struct loop_watch *rw, *ww, *victim;
	char got[64];
	size_t ngot;
	int writes, victim_calls, hook_calls;
	unsigned last_revents;
};

static void on_readable(void *ctx, int fd, unsigned revents)
{
	struct pipes *p = ctx;
	p->last_revents = revents;
	ssize_t n = read(fd, p->got + p->ngot, sizeof(p->got) - 1 - p->ngot);
	if (n > 0)
		p->ngot += (size_t)n;
	p->got[p->ngot] = '\0';
	if (n == 0) /* EOF: remove ourselves from inside the callback */
		loop_watch_remove(p->loop, &p->rw);
}

static void on_writable(void *ctx, int fd, unsigned revents)
{
	struct pipes *p = ctx;
	(void)revents;
	(void)!write(fd, "w", 1);
	if (++p->writes == 3)
		loop_watch_set(p->ww, 0); /* lose interest */
}

static void on_victim(void *ctx, int fd, unsigned revents)
{
	(void)fd;
	(void)revents;
	((struct pipes *)ctx)->victim_calls++;
}

static void on_killer(void *ctx, int fd, unsigned revents)
{
	struct pipes *p = ctx;
	char c;
	(void)revents;
	(void)!read(fd, &c, 1);
	loop_watch_remove(p->loop, &p->victim);
}

static void hook(void *ctx)
{
	((struct pipes *)ctx)->hook_calls++;
}

static void test_watchers(void)
{
	struct loop *loop = new_loop();
	struct pipes p = {.loop = loop};
	if (pipe(p.fds))
		tap_bail("pipe");
	ok(loop_watch_add(loop, -1, LOOP_READ, on_readable, &p) == NULL, "fd -1 refused");
	p.rw = loop_watch_add(loop, p.fds[0], LOOP_READ, on_readable, &p);
	p.ww = loop_watch_add(loop, p.fds[1], LOOP_WRITE, on_writable, &p);
	ok(p.rw && p.ww, "watches added");
	is_int(loop_watch_events(p.ww), LOOP_WRITE, "interest reported");
	struct loop_hook *h = loop_hook_add(loop, hook, &p);
	for (int i = 0; i < 10; i++)
		loop_run_once(loop, 10);
	is_int(p.writes, 3, "writable callback until interest dropped");
	is_str(p.got, "www", "reader saw what the writer wrote");
	ok(p.last_revents & LOOP_READ, "readiness reported as LOOP_READ");
	ok(p.hook_calls >= 10, "the hook ran before every poll (%d)", p.hook_calls);
	loop_hook_remove(loop, &h);
	ok(h == NULL, "hook remove NULLs");
	int calls = p.hook_calls;
	loop_run_once(loop, 0);
	is_int(p.hook_calls, calls, "removed hook does not run");

	loop_watch_remove(loop, &p.ww);
	close(p.fds[1]);
	for (int i = 0; i < 10 && p.rw; i++)
		loop_run_once(loop, 10);
	ok(p.rw == NULL, "reader removed itself on EOF from inside its callback");
	close(p.fds[0]);

	/* A watch removed by an earlier callback of the same poll round is not called. */
	int a[2], b[2];
	if (pipe(a) || pipe(b))
		tap_bail("pipe");
	struct loop_watch *killer = loop_watch_add(loop, a[0], LOOP_READ, on_killer, &p);
	p.victim = loop_watch_add(loop, b[0], LOOP_READ, on_victim, &p);
	(void)!write(a[1], "x", 1);
	(void)!write(b[1], "x", 1);
	loop_run_once(loop, 100);
	is_int(p.victim_calls, 0, "victim removed in the same round is never called");
	loop_watch_remove(loop, &killer);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
	loop_free(&loop);
}

/* ---- signals and posts */

struct sigs {
	int hup, term, winch;
	struct loop *loop;
};

static void on_sig(void *ctx, int signo)
{
	struct sigs *s = ctx;
	if (signo == SIGHUP)
		s->hup++;
	else if (signo == SIGTERM)
		s->term++;
	else if (signo == SIGWINCH)
		s->winch++;
	if (signo == SIGTERM)
		loop_stop(s->loop);
}

static void test_signals(void)
{
	struct loop *loop = new_loop(), *other = new_loop();
	struct sigs s = {.loop = loop};
	char *why = NULL;
	is_int(loop_signal(loop, 0, on_sig, &s, &why), R1_ERR_INVAL, "signal 0 refused");
	is_int(loop_signal(loop, SIGHUP, on_sig, &s, &why), R1_OK, "SIGHUP registered");
	is_int(loop_signal(loop, SIGTERM, on_sig, &s, &why), R1_OK, "SIGTERM registered");
	is_int(loop_signal(loop, SIGWINCH, on_sig, &s, &why), R1_OK, "SIGWINCH registered");
	is_int(loop_signal(other, SIGINT, on_sig, &s, &why), R1_ERR_STATE,
	       "a second loop cannot take signals");
	r1_free(why);
	raise(SIGHUP);
	raise(SIGWINCH);
	raise(SIGHUP);
	raise(SIGTERM);
	char *err = NULL;
	is_int(loop_run(loop, &err), R1_OK, "loop_run returns after SIGTERM's loop_stop");
	is_int(s.hup, 2, "two SIGHUPs delivered on the loop thread");
	is_int(s.winch, 1, "SIGWINCH delivered");
	is_int(s.term, 1, "SIGTERM delivered");
	loop_free(&loop);
	struct sigaction sa;
	sigaction(SIGHUP, NULL, &sa);
	ok(sa.sa_handler == SIG_DFL, "loop_free restored SIGHUP's disposition");
	struct sigs s2 = {.loop = other};
	is_int(loop_signal(other, SIGHUP, on_sig, &s2, NULL), R1_OK,
	       "signals free again once the owner is gone");
	raise(SIGHUP);
	for (int i = 0; i < 10 && !s2.hup; i++)
		loop_run_once(other, 10);
	is_int(s2.hup, 1, "the new owner gets them");
	loop_free(&other);
}

struct poster {
	struct loop *loop;
	int received;
	int order_ok;
	int next;
};

struct post_item {
	struct poster *p;
	int seq;
};

static void on_post(void *ctx)
{
	struct post_item *it = ctx;
	if (it->seq == it->p->next)
		it->p->order_ok++;
	it->p->next = it->seq + 1;
	it->p->received++;
	free(it);
}

static void *post_thread(void *arg)
{
	struct poster *p = arg;
	for (int i = 0; i < 1000; i++) {
		struct post_item *it = malloc(sizeof(*it));
		*it = (struct post_item){p, i};
		while (loop_post(p->loop, on_post, it) != R1_OK)
			;
	}
	loop_post(p->loop, NULL, NULL); /* a bare wake-up */
	return NULL;
}

static void test_post(void)
{
	struct loop *loop = new_loop();
	struct poster p = {.loop = loop};
	pthread_t th;
	pthread_create(&th, NULL, post_thread, &p);
	for (int i = 0; i < 10000 && p.received < 1000; i++)
		loop_run_once(loop, 100);
	pthread_join(th, NULL);
	loop_run_once(loop, 0);
	is_int(p.received, 1000, "all posts from another thread ran on the loop");
	is_int(p.order_ok, 1000, "in the order they were posted");
	loop_free(&loop);
}

int main(void)
{
	test_timer_order();
	test_timer_repeat();
	test_timer_speed();
	test_many_timers();
	test_calls();
	test_watchers();
	test_signals();
	test_post();
	return tap_done();
}
