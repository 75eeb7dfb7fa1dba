#ifndef R1_NODE_R1FS_SCHEMA_H
#define R1_NODE_R1FS_SCHEMA_H
/*
 * R1FS's tables in node.db, migrated as component "r1fs" (see core/db.h):
 *   r1fs_blocks(digest, size, links, added): every block on disk (blockstore.c)
 *   r1fs_pins(cid, size, created): recursively pinned roots (r1fs.c)
 */
#include "core/common.h"
#include "core/err.h"

#include <sqlite3.h>

/* Create or upgrade the tables.  R1_ERR_DB, R1_ERR_STATE (newer schema). */
enum r1_err r1fs_schema_migrate(sqlite3 *db, char **why);

#endif
