#ifndef R1_NODE_FSUTIL_H
#define R1_NODE_FSUTIL_H
/*
 * Paths in the node directory.  Reading, writing and creating files and
 * directories is core/paths.h's (paths_read_file, paths_write_atomic,
 * paths_mkdir_p), for the node as for everything else.
 */
#include "core/common.h"

/* "dir/name" in a new string (r1_free), NULL on OOM. */
char *fs_join(const char *dir, const char *name);

#endif
