#ifndef R1_NODE_R1FS_PREFETCH_H
#define R1_NODE_R1FS_PREFETCH_H
/*
 * Read-ahead for a dag_reader: a thread walks the same DAG in the order
 * the reader will ask for its blocks (depth first, children in link order)
 * and keeps a few of them ready, fetched and verified by the same getter,
 * so that reading and hashing blocks overlaps the reader's decryption and
 * writing.  dag_prefetch_get is the dag_get_fn to give the reader: it
 * hands over the next ready block when it is the one asked for, and
 * otherwise (the walk stopped, failed, or went another way) fetches the
 * block itself, so the reader always sees exactly what the getter would
 * give; errors are found and reported by the reader, never by the walk.
 *
 * The getter is called from the walk's thread: it must be thread safe.
 */
#include "core/common.h"
#include "core/err.h"
#include "node/r1fs/dagreader.h"

/* Blocks kept ready ahead of the reader (8 x 256 KiB). */
#define DAG_PREFETCH_AHEAD 8

struct dag_prefetch;

/* Start the walk at root.  NULL when out of memory or no thread could start. */
struct dag_prefetch *dag_prefetch_new(dag_get_fn get, void *ctx, const struct r1fs_cid *root);
/* Stops the walk (waiting for the getter call under way) and frees everything. */
void dag_prefetch_free(struct dag_prefetch **p);

/* The dag_get_fn for the reader; ctx is the struct dag_prefetch. */
enum r1_err dag_prefetch_get(void *ctx, const struct r1fs_cid *cid, struct buf *out, char **why);

#endif
