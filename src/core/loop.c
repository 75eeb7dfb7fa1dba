/*
 * The poll() loop (see loop.h).  One iteration runs, in this order: timers
 * that were due when it started, deferred calls scheduled before it started,
 * the before-poll hooks, poll(), and the fd callbacks.  Work a callback adds
 * (a timer started with 0 ms, a call scheduled) waits for the next iteration,
 * so no callback can starve the fds.  Removal from inside callbacks is made
 * safe by marking watches and hooks dead and compacting them only between
 * iterations; timers leave the heap before their callback runs.
 *
 * This is not a framework: no priorities, no fd ownership, no threads other
 * than loop_post's eventfd.  Signals need the one process-wide variable in
 * this project (the self-pipe's write end, which a signal handler can only
 * find through a global).
 */
#include "core/lib.h"
#include "core/loop.h"
#include "core/clock.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>

struct loop_watch {
	int fd;
	unsigned events;
	loop_fd_fn fn;
	void *ctx;
	bool dead;
};

struct loop_timer {
	struct loop *loop;
	struct loop_timer *prev, *next; /* every timer of the loop, for loop_free */
	loop_timer_fn fn;
	void *ctx;
	uint64_t due, period, seq;
	size_t idx; /* position in the heap; SIZE_MAX when stopped */
};

struct loop_hook {
	loop_call_fn fn;
	void *ctx;
	bool dead;
};

struct posted {
	loop_call_fn fn;
	void *ctx;
};

struct signal_slot {
	loop_signal_fn fn;
	void *ctx;
	bool installed;
	struct sigaction old;
};

struct loop {
	struct loop_watch **watches;
	size_t nwatches, watches_cap;
	struct pollfd *pfds;
	size_t pfds_cap;

	struct loop_timer **heap;
	size_t nheap, heap_cap;
	struct loop_timer *timers; /* list of all timers */
	size_t ntimers;
	uint64_t timer_seq;

	struct loop_call *calls_head, *calls_tail;
	uint64_t batch;

	struct loop_hook **hooks;
	size_t nhooks, hooks_cap;

	uint64_t now, vbase, mbase;
	unsigned speed;
	bool stop;

	int wake_fd;
	struct loop_watch *wake_watch;
	pthread_mutex_t post_lock;
	struct posted *posts, *posts_spare;
	size_t nposts, posts_cap, spare_cap;

	int sig_pipe[2];
	struct loop_watch *sig_watch;
	struct signal_slot sig[NSIG];
};

/* The self-pipe's write end, for the signal handler (see the file comment). */
static volatile int signal_write_fd = -1;
static struct loop *signal_owner;

uint64_t loop_now_update(struct loop *loop)
{
	loop->now = loop->vbase + (r1_mono_ms() - loop->mbase) * loop->speed;
	return loop->now;
}

uint64_t loop_now(const struct loop *loop)
{
	return loop->now;
}

void loop_set_speed(struct loop *loop, unsigned factor)
{
	loop->vbase = loop_now_update(loop);
	loop->mbase = r1_mono_ms();
	loop->speed = factor ? factor : 1;
}

/* Grow an array of pointers to hold one more element. */
static bool grow(void *arrayp, size_t n, size_t *cap, size_t elem)
{
	void **array = arrayp;
	if (n < *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : 8;
	void *p = r1_reallocarray(*array, ncap, elem);
	if (!p)
		return false;
	*array = p;
	*cap = ncap;
	return true;
}

/* ---- watches */

struct loop_watch *loop_watch_add(struct loop *loop, int fd, unsigned events, loop_fd_fn fn,
                                  void *ctx)
{
	if (fd < 0 || !fn)
		return NULL;
	if (!grow(&loop->watches, loop->nwatches, &loop->watches_cap, sizeof(*loop->watches)))
		return NULL;
	struct loop_watch *w = r1_calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	*w = (struct loop_watch){.fd = fd, .events = events, .fn = fn, .ctx = ctx};
	loop->watches[loop->nwatches++] = w;
	return w;
}

void loop_watch_set(struct loop_watch *w, unsigned events)
{
	w->events = events & (LOOP_READ | LOOP_WRITE);
}

unsigned loop_watch_events(const struct loop_watch *w)
{
	return w->events;
}

void loop_watch_remove(struct loop *loop, struct loop_watch **wp)
{
	(void)loop;
	if (!*wp)
		return;
	(*wp)->dead = true; /* freed by compact_watches between iterations */
	*wp = NULL;
}

static void compact_watches(struct loop *loop)
{
	size_t j = 0;
	for (size_t i = 0; i < loop->nwatches; i++) {
		if (loop->watches[i]->dead)
			r1_free(loop->watches[i]);
		else
			loop->watches[j++] = loop->watches[i];
	}
	loop->nwatches = j;
}

/* ---- timers */

static bool timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_place(struct loop *loop, size_t i, struct loop_timer *t)
{
	loop->heap[i] = t;
	t->idx = i;
}

static void heap_up(struct loop *loop, size_t i)
{
	struct loop_timer *t = loop->heap[i];
	while (i > 0 && timer_before(t, loop->heap[(i - 1) / 2])) {
		heap_place(loop, i, loop->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_place(loop, i, t);
}

static void heap_down(struct loop *loop, size_t i)
{
	struct loop_timer *t = loop->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= loop->nheap)
			break;
		if (c + 1 < loop->nheap && timer_before(loop->heap[c + 1], loop->heap[c]))
			c++;
		if (!timer_before(loop->heap[c], t))
			break;
		heap_place(loop, i, loop->heap[c]);
		i = c;
	}
	heap_place(loop, i, t);
}

static void heap_remove(struct loop *loop, struct loop_timer *t)
{
	size_t i = t->idx;
	struct loop_timer *last = loop->heap[--loop->nheap];
	t->idx = SIZE_MAX;
	if (last == t)
		return;
	heap_place(loop, i, last);
	heap_down(loop, i);
	heap_up(loop, last->idx);
}

struct loop_timer *loop_timer_new(struct loop *loop, loop_timer_fn fn, void *ctx)
{
	/* Reserve the heap slot now so that starting a timer never fails. */
	if (!fn || !grow(&loop->heap, loop->ntimers, &loop->heap_cap, sizeof(*loop->heap)))
		return NULL;
	struct loop_timer *t = r1_calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	*t = (struct loop_timer){.loop = loop, .fn = fn, .ctx = ctx, .idx = SIZE_MAX};
	t->next = loop->timers;
	if (loop->timers)
		loop->timers->prev = t;
	loop->timers = t;
	loop->ntimers++;
	return t;
}

void loop_timer_stop(struct loop_timer *t)
{
	if (t->idx != SIZE_MAX)
		heap_remove(t->loop, t);
}

void loop_timer_start(struct loop_timer *t, uint64_t after_ms, uint64_t period_ms)
{
	struct loop *loop = t->loop;
	loop_timer_stop(t);
	t->due = loop->now + after_ms;
	t->period = period_ms;
	t->seq = ++loop->timer_seq;
	t->idx = loop->nheap++;
	loop->heap[t->idx] = t;
	heap_up(loop, t->idx);
}

bool loop_timer_active(const struct loop_timer *t)
{
	return t->idx != SIZE_MAX;
}

void loop_timer_free(struct loop_timer **tp)
{
	struct loop_timer *t = *tp;
	if (!t)
		return;
	struct loop *loop = t->loop;
	loop_timer_stop(t);
	if (t->prev)
		t->prev->next = t->next;
	else
		loop->timers = t->next;
	if (t->next)
		t->next->prev = t->prev;
	loop->ntimers--;
	r1_free(t);
	*tp = NULL;
}

/* Fire the timers that were due when this ran; returns how many fired. */
static int run_timers(struct loop *loop)
{
	uint64_t seq_limit = loop->timer_seq;
	int n = 0;
	while (loop->nheap && loop->heap[0]->due <= loop->now && loop->heap[0]->seq <= seq_limit) {
		struct loop_timer *t = loop->heap[0];
		heap_remove(loop, t);
		if (t->period) {
			/* Re-arm before the callback, which may stop or free t. */
			uint64_t due = t->due + t->period;
			t->due = due > loop->now ? due : loop->now + t->period;
			t->seq = ++loop->timer_seq;
			t->idx = loop->nheap++;
			loop->heap[t->idx] = t;
			heap_up(loop, t->idx);
		}
		t->fn(t->ctx, t);
		n++;
	}
	return n;
}

/* ---- deferred calls */

void loop_call_init(struct loop_call *c, loop_call_fn fn, void *ctx)
{
	*c = (struct loop_call){.fn = fn, .ctx = ctx};
}

void loop_call_schedule(struct loop *loop, struct loop_call *c)
{
	if (c->pending)
		return;
	c->pending = true;
	c->batch = loop->batch;
	c->next = NULL;
	c->prev = loop->calls_tail;
	if (loop->calls_tail)
		loop->calls_tail->next = c;
	else
		loop->calls_head = c;
	loop->calls_tail = c;
}

void loop_call_cancel(struct loop *loop, struct loop_call *c)
{
	if (!c->pending)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		loop->calls_head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		loop->calls_tail = c->prev;
	c->prev = c->next = NULL;
	c->pending = false;
	if (c->owned)
		r1_free(c);
}

enum r1_err loop_defer(struct loop *loop, loop_call_fn fn, void *ctx)
{
	struct loop_call *c = r1_malloc(sizeof(*c));
	if (!c)
		return R1_ERR_NOMEM;
	loop_call_init(c, fn, ctx);
	c->owned = true;
	loop_call_schedule(loop, c);
	return R1_OK;
}

/* Run the calls scheduled before this iteration, in order. */
static int run_calls(struct loop *loop)
{
	uint64_t batch = loop->batch++;
	int n = 0;
	while (loop->calls_head && loop->calls_head->batch <= batch) {
		struct loop_call *c = loop->calls_head;
		bool owned = c->owned;
		c->owned = false; /* so that cancel does not free it */
		loop_call_cancel(loop, c);
		c->fn(c->ctx);
		if (owned)
			r1_free(c);
		n++;
	}
	return n;
}

/* ---- hooks */

struct loop_hook *loop_hook_add(struct loop *loop, loop_call_fn fn, void *ctx)
{
	if (!fn || !grow(&loop->hooks, loop->nhooks, &loop->hooks_cap, sizeof(*loop->hooks)))
		return NULL;
	struct loop_hook *h = r1_calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	*h = (struct loop_hook){.fn = fn, .ctx = ctx};
	loop->hooks[loop->nhooks++] = h;
	return h;
}

void loop_hook_remove(struct loop *loop, struct loop_hook **hp)
{
	(void)loop;
	if (*hp)
		(*hp)->dead = true;
	*hp = NULL;
}

static void run_hooks(struct loop *loop)
{
	size_t n = loop->nhooks; /* hooks added by a hook start next time */
	for (size_t i = 0; i < n; i++)
		if (!loop->hooks[i]->dead)
			loop->hooks[i]->fn(loop->hooks[i]->ctx);
	size_t j = 0;
	for (size_t i = 0; i < loop->nhooks; i++) {
		if (loop->hooks[i]->dead)
			r1_free(loop->hooks[i]);
		else
			loop->hooks[j++] = loop->hooks[i];
	}
	loop->nhooks = j;
}

/* ---- posts and wake-ups from other threads */

enum r1_err loop_post(struct loop *loop, loop_call_fn fn, void *ctx)
{
	pthread_mutex_lock(&loop->post_lock);
	bool room = !fn || grow(&loop->posts, loop->nposts, &loop->posts_cap, sizeof(*loop->posts));
	if (room && fn)
		loop->posts[loop->nposts++] = (struct posted){fn, ctx};
	pthread_mutex_unlock(&loop->post_lock);
	if (!room)
		return R1_ERR_NOMEM;
	uint64_t one = 1;
	/* EAGAIN means the counter is saturated: the loop is awake anyway. */
	(void)!write(loop->wake_fd, &one, sizeof(one));
	return R1_OK;
}

static void on_wake(void *ctx, int fd, unsigned revents)
{
	struct loop *loop = ctx;
	uint64_t count;
	(void)revents;
	(void)!read(fd, &count, sizeof(count));
	/* Swap the queue with a spare so posters never wait on our callbacks. */
	pthread_mutex_lock(&loop->post_lock);
	struct posted *batch = loop->posts;
	size_t n = loop->nposts, cap = loop->posts_cap;
	loop->posts = loop->posts_spare;
	loop->posts_cap = loop->spare_cap;
	loop->nposts = 0;
	pthread_mutex_unlock(&loop->post_lock);
	for (size_t i = 0; i < n; i++)
		batch[i].fn(batch[i].ctx);
	pthread_mutex_lock(&loop->post_lock);
	loop->posts_spare = batch;
	loop->spare_cap = cap;
	pthread_mutex_unlock(&loop->post_lock);
}

/* ---- signals */

static void signal_handler(int signo)
{
	int saved = errno;
	unsigned char b = (unsigned char)signo;
	if (signal_write_fd >= 0)
		(void)!write(signal_write_fd, &b, 1);
	errno = saved;
}

static void on_signal_pipe(void *ctx, int fd, unsigned revents)
{
	struct loop *loop = ctx;
	unsigned char buf[64];
	ssize_t n;
	(void)revents;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			struct signal_slot *s = &loop->sig[buf[i] % NSIG];
			if (s->fn)
				s->fn(s->ctx, buf[i]);
		}
	}
}

enum r1_err loop_signal(struct loop *loop, int signo, loop_signal_fn fn, void *ctx, char **why)
{
	if (signo <= 0 || signo >= NSIG || signo > UCHAR_MAX)
		return r1_fail(why, R1_ERR_INVAL, "loop: signal number %d out of range", signo);
	if (signal_owner && signal_owner != loop)
		return r1_fail(why, R1_ERR_STATE, "loop: signals belong to another loop");
	struct signal_slot *s = &loop->sig[signo];
	if (!s->installed) {
		if (loop->sig_pipe[0] < 0) {
			if (pipe2(loop->sig_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
				return r1_fail(why, R1_ERR_IO, "loop: pipe: %s", strerror(errno));
			loop->sig_watch = loop_watch_add(loop, loop->sig_pipe[0], LOOP_READ,
			                                 on_signal_pipe, loop);
			if (!loop->sig_watch)
				return r1_fail(why, R1_ERR_NOMEM, "loop: out of memory");
		}
		signal_owner = loop;
		signal_write_fd = loop->sig_pipe[1];
		struct sigaction sa = {.sa_handler = signal_handler, .sa_flags = SA_RESTART};
		sigemptyset(&sa.sa_mask);
		if (sigaction(signo, &sa, &s->old) < 0)
			return r1_fail(why, R1_ERR_IO, "loop: sigaction(%d): %s", signo,
			               strerror(errno));
		s->installed = true;
	}
	s->fn = fn;
	s->ctx = ctx;
	return R1_OK;
}

/* ---- life cycle */

enum r1_err loop_new(struct loop **out, char **why)
{
	struct loop *loop = r1_calloc(1, sizeof(*loop));
	if (!loop)
		return r1_fail(why, R1_ERR_NOMEM, "loop: out of memory");
	loop->wake_fd = -1;
	loop->sig_pipe[0] = loop->sig_pipe[1] = -1;
	loop->speed = 1;
	loop->mbase = r1_mono_ms();
	loop->vbase = loop->now = 0;
	pthread_mutex_init(&loop->post_lock, NULL);
	loop->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (loop->wake_fd < 0) {
		enum r1_err err = r1_fail(why, R1_ERR_IO, "loop: eventfd: %s", strerror(errno));
		loop_free(&loop);
		return err;
	}
	loop->wake_watch = loop_watch_add(loop, loop->wake_fd, LOOP_READ, on_wake, loop);
	if (!loop->wake_watch) {
		loop_free(&loop);
		return r1_fail(why, R1_ERR_NOMEM, "loop: out of memory");
	}
	*out = loop;
	return R1_OK;
}

void loop_free(struct loop **lp)
{
	struct loop *loop = *lp;
	if (!loop)
		return;
	for (int i = 1; i < NSIG; i++)
		if (loop->sig[i].installed)
			sigaction(i, &loop->sig[i].old, NULL);
	if (signal_owner == loop) {
		signal_write_fd = -1;
		signal_owner = NULL;
	}
	for (int i = 0; i < 2; i++)
		if (loop->sig_pipe[i] >= 0)
			close(loop->sig_pipe[i]);
	if (loop->wake_fd >= 0)
		close(loop->wake_fd);
	for (size_t i = 0; i < loop->nwatches; i++)
		r1_free(loop->watches[i]);
	for (size_t i = 0; i < loop->nhooks; i++)
		r1_free(loop->hooks[i]);
	while (loop->timers) {
		struct loop_timer *t = loop->timers;
		loop_timer_free(&t);
	}
	while (loop->calls_head)
		loop_call_cancel(loop, loop->calls_head);
	pthread_mutex_destroy(&loop->post_lock);
	r1_free(loop->watches);
	r1_free(loop->pfds);
	r1_free(loop->heap);
	r1_free(loop->hooks);
	r1_free(loop->posts);
	r1_free(loop->posts_spare);
	r1_free(loop);
	*lp = NULL;
}

void loop_stop(struct loop *loop)
{
	loop->stop = true;
}

/* How long poll() may sleep, in real milliseconds. */
static int poll_timeout(const struct loop *loop, int timeout_ms)
{
	if (loop->calls_head || loop->stop)
		return 0;
	if (!loop->nheap)
		return timeout_ms;
	uint64_t due = loop->heap[0]->due;
	uint64_t wait = due > loop->now ? (due - loop->now + loop->speed - 1) / loop->speed : 0;
	if (wait > INT_MAX)
		wait = INT_MAX;
	return timeout_ms < 0 || (uint64_t)timeout_ms > wait ? (int)wait : timeout_ms;
}

int loop_run_once(struct loop *loop, int timeout_ms)
{
	loop_now_update(loop);
	int ran = run_timers(loop);
	ran += run_calls(loop);
	run_hooks(loop);
	compact_watches(loop);

	size_t n = loop->nwatches;
	if (n > loop->pfds_cap) {
		struct pollfd *p = r1_reallocarray(loop->pfds, n, sizeof(*p));
		if (!p) {
			errno = ENOMEM;
			return -1;
		}
		loop->pfds = p;
		loop->pfds_cap = n;
	}
	for (size_t i = 0; i < n; i++) {
		const struct loop_watch *w = loop->watches[i];
		short ev = (short)(((w->events & LOOP_READ) ? POLLIN : 0) |
		                   ((w->events & LOOP_WRITE) ? POLLOUT : 0));
		loop->pfds[i] = (struct pollfd){.fd = ev ? w->fd : -1, .events = ev};
	}
	/* Do not sleep after running callbacks: the caller may want to look. */
	int rc = poll(loop->pfds, n, ran ? 0 : poll_timeout(loop, timeout_ms));
	loop_now_update(loop);
	if (rc < 0)
		return errno == EINTR ? ran : -1;
	for (size_t i = 0; i < n && rc > 0; i++) {
		short re = loop->pfds[i].revents;
		struct loop_watch *w = loop->watches[i];
		if (!re)
			continue;
		rc--;
		if (w->dead)
			continue;
		unsigned revents = ((re & POLLIN) ? LOOP_READ : 0) |
		                   ((re & POLLOUT) ? LOOP_WRITE : 0) |
		                   ((re & (POLLERR | POLLHUP | POLLNVAL)) ? LOOP_ERROR : 0);
		w->fn(w->ctx, w->fd, revents);
		ran++;
	}
	return ran;
}

enum r1_err loop_run(struct loop *loop, char **why)
{
	enum r1_err err = R1_OK;
	while (!loop->stop) {
		if (loop_run_once(loop, -1) < 0) {
			err = r1_fail(why, R1_ERR_IO, "loop: poll: %s", strerror(errno));
			break;
		}
	}
	loop->stop = false;
	return err;
}
