#ifndef R1_NODE_FSUTIL_H
#define R1_NODE_FSUTIL_H
/*
 * Small file helpers for the node directory: read a whole file with a size
 * cap, write one atomically (temp file in the same directory, fsync,
 * rename, so readers and a crash see the old or the new content, never a
 * mix), and create a directory path.
 */
#include "core/common.h"
#include "core/err.h"

/*
 * Read `path` (at most `max` bytes) into *out (r1_malloc'd, NUL-terminated,
 * *len excludes the NUL).  Errors: R1_ERR_NOTFOUND (no such file),
 * R1_ERR_IO, R1_ERR_TOOBIG, R1_ERR_NOMEM.
 */
enum r1_err fs_read_file(const char *path, size_t max, char **out, size_t *len, char **why);

/* Replace `path` with `len` bytes, mode `mode`.  Errors: R1_ERR_IO, R1_ERR_NOMEM. */
enum r1_err fs_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
                            char **why);

/* mkdir -p with `mode` for the directories it creates.  Errors: R1_ERR_IO. */
enum r1_err fs_mkdir_p(const char *path, unsigned mode, char **why);

/* "dir/name" in a new string (r1_free), NULL on OOM. */
char *fs_join(const char *dir, const char *name);

#endif
