#ifndef R1_CORE_LOOP_H
#define R1_CORE_LOOP_H
/*
 * The single-threaded poll() loop that owns all state (DESIGN.md, "One thread
 * owns the model").  It offers fd watchers, monotonic timers, deferred calls,
 * signals delivered through a self-pipe, and hooks that run just before each
 * poll().  Every callback runs on the thread that calls loop_run or
 * loop_run_once; the one function another thread may call is loop_post().
 *
 * Objects handed out by the loop (watches, timers, hooks) are owned by the
 * caller, who removes or frees them; loop_free releases whatever is left.
 * Removing, stopping or freeing any of them is safe from inside any callback,
 * including its own.  A callback must not call loop_free, loop_run or
 * loop_run_once (the loop is not re-entrant).
 *
 * Time is a cached monotonic clock in milliseconds (loop_now), refreshed once
 * per iteration.  loop_set_speed makes it run faster than real time so tests
 * and demos can run a 10 s heartbeat every 100 ms with no other change.
 */
#include "core/common.h"
#include "core/err.h"

struct loop;
struct loop_watch;
struct loop_timer;
struct loop_hook;

/* fd interest and readiness.  LOOP_ERROR is reported, never requested. */
enum {
	LOOP_READ = 1u << 0,
	LOOP_WRITE = 1u << 1,
	LOOP_ERROR = 1u << 2, /* POLLERR, POLLHUP or POLLNVAL */
};

typedef void (*loop_fd_fn)(void *ctx, int fd, unsigned revents);
typedef void (*loop_timer_fn)(void *ctx, struct loop_timer *timer);
typedef void (*loop_call_fn)(void *ctx);
typedef void (*loop_signal_fn)(void *ctx, int signo);

/*
 * A deferred call the caller embeds in its own struct: scheduling it never
 * allocates and never fails, and it is pending at most once.  Fields are
 * private to loop.c.
 */
struct loop_call {
	struct loop_call *prev, *next;
	loop_call_fn fn;
	void *ctx;
	uint64_t batch; /* the iteration it was scheduled in */
	bool pending;
	bool owned; /* allocated by loop_defer, freed after it runs */
};

/* New loop.  Errors: R1_ERR_NOMEM, R1_ERR_IO (eventfd or pipe). */
enum r1_err loop_new(struct loop **out, char **why);
/* Frees the loop and every watch, timer, hook and pending call left in it,
 * and restores the signal dispositions it changed.  NULLs *loop. */
void loop_free(struct loop **loop);

/*
 * Run until loop_stop.  Returns R1_OK after a stop, or R1_ERR_IO when poll()
 * fails for a reason other than EINTR.
 */
enum r1_err loop_run(struct loop *loop, char **why);
/*
 * One iteration: due timers, deferred calls, before-poll hooks, then poll()
 * for at most timeout_ms (-1 = until something happens; 0 = do not wait;
 * never longer than the next timer; not at all when calls are pending or a
 * timer or call ran in this iteration), then fd callbacks.  Returns the number of callbacks it ran,
 * or -1 with errno set when poll() failed.
 */
int loop_run_once(struct loop *loop, int timeout_ms);
/* Make loop_run return after the current iteration. */
void loop_stop(struct loop *loop);

/* The cached clock, in (scaled) milliseconds since an arbitrary origin. */
uint64_t loop_now(const struct loop *loop);
/* Refresh the cached clock now (for callbacks that ran a long time). */
uint64_t loop_now_update(struct loop *loop);
/*
 * Run the clock `factor` times faster than real time (1 = real time).
 * Timers, their periods and loop_now all follow; poll() timeouts are divided.
 */
void loop_set_speed(struct loop *loop, unsigned factor);

/* ---- fd watchers */

/* Watch fd for `events` (LOOP_READ | LOOP_WRITE, may be 0).  The loop never
 * closes fd.  Returns NULL on out of memory or fd < 0. */
struct loop_watch *loop_watch_add(struct loop *loop, int fd, unsigned events, loop_fd_fn fn,
                                  void *ctx);
void loop_watch_set(struct loop_watch *w, unsigned events);
unsigned loop_watch_events(const struct loop_watch *w);
/* Stop watching; no callback for it runs after this returns.  NULLs *w. */
void loop_watch_remove(struct loop *loop, struct loop_watch **w);

/* ---- timers: a binary heap ordered by (due time, start order) */

/* A stopped timer.  Returns NULL on out of memory. */
struct loop_timer *loop_timer_new(struct loop *loop, loop_timer_fn fn, void *ctx);
/*
 * (Re)arm: first fire after `after_ms`, then every `period_ms` (0 = once).
 * Timers due at the same moment fire in the order they were started.  A
 * repeating timer that fell behind skips the periods it missed.
 */
void loop_timer_start(struct loop_timer *t, uint64_t after_ms, uint64_t period_ms);
void loop_timer_stop(struct loop_timer *t);
bool loop_timer_active(const struct loop_timer *t);
/* Stop and free; NULLs *t. */
void loop_timer_free(struct loop_timer **t);

/* ---- deferred calls: FIFO, run on the next iteration */

void loop_call_init(struct loop_call *c, loop_call_fn fn, void *ctx);
/* Schedule c (no-op if already pending). */
void loop_call_schedule(struct loop *loop, struct loop_call *c);
/* Unschedule c (no-op if not pending). */
void loop_call_cancel(struct loop *loop, struct loop_call *c);
static inline bool loop_call_pending(const struct loop_call *c)
{
	return c->pending;
}
/* Fire-and-forget form of the above.  Errors: R1_ERR_NOMEM. */
enum r1_err loop_defer(struct loop *loop, loop_call_fn fn, void *ctx);

/* ---- hooks run before every poll() (libmosquitto's want_write check) */

struct loop_hook *loop_hook_add(struct loop *loop, loop_call_fn fn, void *ctx);
void loop_hook_remove(struct loop *loop, struct loop_hook **h);

/* ---- signals, delivered on the loop thread through a self-pipe */

/*
 * Call fn on the loop thread whenever signo arrives (one callback per signal
 * number; a second registration replaces the first).  Signal dispositions
 * are process-wide, so only one loop per process may take signals.  Errors:
 * R1_ERR_INVAL (signo out of range), R1_ERR_STATE (another loop owns the
 * signals), R1_ERR_IO (sigaction failed).
 */
enum r1_err loop_signal(struct loop *loop, int signo, loop_signal_fn fn, void *ctx, char **why);

/* ---- the one thread-safe entry point */

/*
 * From any thread: run fn(ctx) on the loop thread soon, and wake the loop
 * (fn may be NULL to only wake it).  Calls posted by one thread run in order.
 * Calls still unrun when the loop is freed are dropped.  Errors: R1_ERR_NOMEM.
 */
enum r1_err loop_post(struct loop *loop, loop_call_fn fn, void *ctx);

#endif
