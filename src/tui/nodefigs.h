#ifndef R1_TUI_NODEFIGS_H
#define R1_TUI_NODEFIGS_H
/*
 * What nodes' heartbeats say beyond what the netmap keeps: their compute
 * figures (OpenBLAS core, threads, measured GFLOP/s, jobs running and
 * queued: node/compute/compute.h's struct compute_peer), by the netmap's
 * node index, for the Network and Compute views.
 *
 * Nodes without compute (the reference's) cost nothing; the others cost a
 * slot index each (4 bytes per node up to the highest index that reported)
 * and one record.  Loop thread only.
 */
#include "core/common.h"
#include "node/compute/compute.h"

#include <jansson.h>

struct nodefig {
	uint32_t index; /* the node's in the netmap */
	struct compute_peer peer;
	int64_t when_ms; /* when the figures last arrived */
};

struct nodefigs {
	uint32_t *slot; /* by netmap index: 1 + the record's position, 0 = none */
	size_t nslot;
	struct nodefig *figs;
	size_t n, cap;
};

void nodefigs_init(struct nodefigs *f);
void nodefigs_release(struct nodefigs *f);

/*
 * Node `index`'s status (a decoded heartbeat): its compute fields, if it
 * has any, replace what was kept.  True when a figure changed.  Out of
 * memory keeps the old figures (false).
 */
bool nodefigs_update(struct nodefigs *f, uint32_t index, const json_t *status, int64_t now_ms);
/* Node `index`'s figures, or NULL when it never reported any. */
const struct nodefig *nodefigs_get(const struct nodefigs *f, uint32_t index);
/* Nodes with figures, and the i-th of them (in the order they first reported). */
size_t nodefigs_count(const struct nodefigs *f);
const struct nodefig *nodefigs_at(const struct nodefigs *f, size_t i);

#endif
