#ifndef R1_NODE_R1FS_OPS_H
#define R1_NODE_R1FS_OPS_H
/*
 * The store's bookkeeping operations with JSON results, one vocabulary for
 * the HTTP API's own routes, remote requests (R1FS_REQ) and the CLI, so a
 * result reads the same whichever way it came:
 *
 *   pins                  [{"cid", "size", "created", "name" (null if unknown)}]
 *   store_stat            {"used", "quota", "blocks", "pins", "packs", "disk"}
 *   stat  {cid}           {"cid", "type", "filesize", "cumulative", "block_size",
 *                          "links", "pinned"}
 *   ls    {cid}           [{"name", "cid", "size"}]
 *   pin   {cid, name?}    {"cid", "pinned": true}   (fetches what is missing;
 *                          name: what the client calls the file, kept when the
 *                          pin has no name, see r1fs_pin_named)
 *   unpin {cid}           {"cid", "pinned": false}
 *   gc    {grace}         {"blocks_removed", "bytes_removed", "packs_compacted",
 *                          "packs_deleted", "disk_freed"}
 *
 * They may take long (pin fetches, gc compacts): run them on a worker.
 */
#include "core/common.h"
#include "core/err.h"

#include <jansson.h>

struct r1fs;

/* What gc spares when no grace is given: blocks stored in the last 5 minutes. */
#define R1FS_OP_GC_GRACE_S 300

/* Is cmd one of the above; *needs_cid (may be NULL) says whether args.cid is required. */
bool r1fs_op_known(const char *cmd, bool *needs_cid);

/*
 * Run cmd with args (an object, may be NULL): *result a new value;
 * *changed (may be NULL) set when pins changed.  R1_ERR_INVAL (unknown
 * command, missing or malformed argument), and the store's errors.
 */
enum r1_err r1fs_op_run(struct r1fs *fs, const char *cmd, const json_t *args, json_t **result,
                        bool *changed, char **why);

#endif
