#ifndef R1_NODE_R1FS_DAGREADER_H
#define R1_NODE_R1FS_DAGREADER_H
/*
 * Reads a UnixFS file back out of its DAG, in order, one block at a time:
 * memory is one block per tree level.  Blocks come from a callback (the
 * local store now; the network exchange later), which must return them
 * verified against their CID.  The DAG itself is checked as it is read:
 * only file nodes, sizes that add up (each child's bytes equal its
 * blocksize, each node's bytes its filesize) and a depth limit, so a
 * hostile DAG cannot make us return the wrong number of bytes or recurse
 * without end.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "node/r1fs/cid.h"

/* Deeper file DAGs are refused (174^8 chunks of 256 KiB is over 10^17 bytes). */
#define DAG_READER_MAX_DEPTH 8

/* Fill `out` with the block's bytes, verified.  Errors are passed through. */
typedef enum r1_err (*dag_get_fn)(void *ctx, const struct r1fs_cid *cid, struct buf *out,
                                  char **why);

struct dag_reader;

/*
 * Start reading the file at `root`.  R1_ERR_INVAL when root is not a file
 * (a directory, say), R1_ERR_PROTO for a malformed block, the callback's
 * errors, R1_ERR_NOMEM.
 */
enum r1_err dag_reader_new(dag_get_fn get, void *ctx, const struct r1fs_cid *root,
                           struct dag_reader **out, char **why);
void dag_reader_free(struct dag_reader **rd);

/* The file size the root declares. */
uint64_t dag_reader_size(const struct dag_reader *rd);

/*
 * The next piece of content: *data (valid until the next call) and *len;
 * *len == 0 at the end of the file.  Errors as dag_reader_new.
 */
enum r1_err dag_reader_read(struct dag_reader *rd, const uint8_t **data, size_t *len, char **why);

#endif
