#ifndef R1_NODE_COMPUTE_CTL_H
#define R1_NODE_COMPUTE_CTL_H
/*
 * What a running kernel and the loop share: a cancel flag the loop sets and
 * the kernel reads between blocks, and a progress counter the kernel
 * advances and the loop reads.  Both are atomics, so neither side takes a
 * lock; nothing else of a job is touched by both threads while it runs.
 */
#include "core/common.h"

#include <stdatomic.h>

struct compute_ctl {
	atomic_bool cancel;
	atomic_uint_fast64_t done;  /* work units finished (kernel-defined: rows) */
	atomic_uint_fast64_t total; /* work units in all; 0 until the kernel knows */
};

static inline void compute_ctl_init(struct compute_ctl *c)
{
	atomic_init(&c->cancel, false);
	atomic_init(&c->done, 0);
	atomic_init(&c->total, 0);
}

static inline bool compute_ctl_cancelled(struct compute_ctl *c)
{
	return c && atomic_load_explicit(&c->cancel, memory_order_relaxed);
}

static inline void compute_ctl_cancel(struct compute_ctl *c)
{
	atomic_store(&c->cancel, true);
}

static inline void compute_ctl_start(struct compute_ctl *c, uint64_t total)
{
	if (c) {
		atomic_store(&c->done, 0);
		atomic_store(&c->total, total);
	}
}

static inline void compute_ctl_advance(struct compute_ctl *c, uint64_t units)
{
	if (c)
		atomic_fetch_add_explicit(&c->done, units, memory_order_relaxed);
}

/* Progress in [0, 1]; 0 before the kernel has started. */
static inline double compute_ctl_progress(struct compute_ctl *c)
{
	uint64_t t = atomic_load(&c->total), d = atomic_load(&c->done);
	return t ? (d >= t ? 1.0 : (double)d / (double)t) : 0.0;
}

#endif
