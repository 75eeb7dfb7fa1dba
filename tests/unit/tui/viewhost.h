#ifndef R1_TESTS_TUI_VIEWHOST_H
#define R1_TESTS_TUI_VIEWHOST_H
/*
 * The fixed network's hosted nodes (viewfix.h): node-02 and node-01 run
 * "in this console" with real engines, so the CStore, Compute and R1FS
 * views draw real data at fixed times:
 *
 *  - CStore: three engines (memory replicas, a fixed clock) whose messages
 *    a pump delivers to each other: node-02's and node-01's, hosted, and
 *    oracle-a's, a peer outside the console (what hsync peeks ask): keys
 *    and hashes written on both hosted ones, one key whose newest write
 *    node-01 missed and one hash field oracle-a missed (differences), one
 *    readonly key, one with a hostile key;
 *  - compute: node-02's engine on a runner that holds its job (one bench
 *    running, one queued, one cancelled), node-01 without compute;
 *  - R1FS: node-02's real store in a temporary directory with two files
 *    (fixed nonces: fixed CIDs); node-01's R1FS view a fixed object with
 *    names, holders, transfers and peers' stores;
 *  - payloads: a ChainDist job in progress (three parts, one re-assigned)
 *    and a finished one, both from node-01's CHAIN_DIST_MASTER_01, and
 *    node-05's MATMUL_JOB_01 products (running, failed).
 */
#include "core/common.h"

struct viewfix;
struct viewhost;

/* Build them into f's model (bails out on failure). */
void viewhost_init(struct viewfix *f);
void viewhost_release(struct viewfix *f);

/* Deliver the CStore messages queued between the hosted engines; how many. */
int viewhost_pump(struct viewfix *f);
/* Whether viewfix node `node` (0, 1 or 2) takes CStore messages (false: dropped). */
void viewhost_set_online(struct viewfix *f, int node, bool online);

#endif
