#ifndef R1_NODE_R1FS_R1FS_MANAGER_H
#define R1_NODE_R1FS_R1FS_MANAGER_H
/*
 * R1FS_MANAGER, the admin plugin of a node's R1FS (r1fs_manager.c; its
 * vtable is plugin_r1fs_manager in plugins/plugins.h).  What the node asks
 * of it from outside the plugin host is here.
 */
#include "core/common.h"

#include <jansson.h>

struct node;

/*
 * The console's :r1fs view of a node: a new object {"files": [{cid, size,
 * created, name (null when unknown), peers: [{addr, alias}] (whose
 * announcement lists it)}], "store": {used, quota, blocks, pins},
 * "running", "http_port", "transfers": [...], "peers": [...]}; the last two
 * are empty while R1FS_MANAGER does not run.  Reads the pins from the
 * store (a query per call).  NULL on OOM.  Loop thread.
 */
json_t *r1fs_manager_view(struct node *n);

/*
 * Bring every block of the DAG at `cid` this store lacks from `peer` (an
 * address; NULL = the peers the exchange would choose), for callers that
 * know who has a file (a ChainDist master fetching a worker's result, a
 * worker its master's input): the gate's fetches choose among peers that
 * announced it, and a file made moments ago is in nobody's announcement
 * yet.  done(ctx, err, why) runs later on the loop thread, exactly once
 * unless forgotten, also when R1FS_MANAGER stops first (R1_ERR_STATE).
 * *id (may be NULL) names it for r1fs_manager_forget.  Errors: R1_ERR_STATE
 * (R1FS_MANAGER does not run, or runs without an exchange: IPFS backend),
 * R1_ERR_INVAL (a bad CID), R1_ERR_NOMEM.  Loop thread.
 */
enum r1_err r1fs_manager_fetch(struct node *n, const char *cid, const char *peer,
                               void (*done)(void *ctx, enum r1_err err, const char *why),
                               void *ctx, uint64_t *id, char **why);
/* Drop a fetch's done callback (its owner goes away); the transfer goes on. */
void r1fs_manager_forget(struct node *n, uint64_t id);

#endif
