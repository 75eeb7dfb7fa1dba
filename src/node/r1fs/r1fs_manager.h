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

#endif
