#ifndef R1_NODE_R1FS_BLOCKSTORE_H
#define R1_NODE_R1FS_BLOCKSTORE_H
/*
 * Content-addressed blocks on disk, with their index in node.db.
 *
 * A block lives in <dir>/blocks/<first two hex digits>/<64 hex digits of
 * its SHA-256>, named by digest alone (a raw block and a dag-pb block with
 * the same bytes are the same file).  Every file is written under
 * <dir>/tmp/ and renamed into place, so a block is either whole or absent.
 * The index (table r1fs_blocks: digest, size, links, added) is written only
 * after the files it names are in place (and synced, per the policy), in
 * one transaction per batch, so no index row ever names a missing block.
 * A crash can leave files without index rows; garbage collection removes
 * them.  Reads verify the hash.
 *
 * The store also keeps the byte count for the quota: a put that would take
 * the indexed bytes past the quota is refused.
 *
 * Thread safety: every function may be called from any thread; a mutex
 * serializes the use of the SQLite handle, which must not be used by
 * anyone else concurrently (give R1FS its own connection to node.db).
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "node/r1fs/cid.h"

#include <sqlite3.h>

/* When block files reach the disk, relative to the index rows naming them. */
enum r1fs_sync {
	R1FS_SYNC_NONE,  /* never fsync: survives kill -9, not a power cut */
	R1FS_SYNC_BATCH, /* syncfs() once before each index transaction (default) */
	R1FS_SYNC_EACH,  /* fdatasync every block and its directory before the rename */
};

/* Index rows collected before one transaction (64 MiB of 256 KiB blocks). */
#define BLOCKSTORE_BATCH_MAX 256

struct blockstore;
struct blockstore_batch;

/*
 * Open the store in `dir` (created if needed, with blocks/ and tmp/), take
 * its lock file, and empty tmp/ (left-overs of a crash).  The r1fs tables
 * must exist in db (r1fs_schema_migrate).  Errors: R1_ERR_IO (including
 * "locked by another process"), R1_ERR_DB, R1_ERR_NOMEM.
 */
enum r1_err blockstore_open(const char *dir, sqlite3 *db, enum r1fs_sync sync,
                            struct blockstore **out, char **why);
void blockstore_free(struct blockstore **bs);

/* 0 = no quota. */
void blockstore_set_quota(struct blockstore *bs, uint64_t bytes);
uint64_t blockstore_quota(struct blockstore *bs);
/* Bytes of indexed blocks plus blocks written by batches not yet committed. */
uint64_t blockstore_used(struct blockstore *bs);
/* Number of indexed blocks (-1 on a database error). */
int64_t blockstore_count(struct blockstore *bs);

/* Whether the index has the block. */
bool blockstore_has(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN]);
/*
 * Links of an indexed block: >= 0 for a block stored as dag-pb, -1 for a
 * raw block; R1_ERR_NOTFOUND when not indexed.
 */
enum r1_err blockstore_links(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                             int *links, char **why);

/*
 * Read a block into `out` (replacing its contents) and check it against
 * the digest.  R1_ERR_NOTFOUND (no such block), R1_ERR_CRYPTO (the file's
 * hash does not match: corrupted), R1_ERR_IO, R1_ERR_NOMEM.
 */
enum r1_err blockstore_get(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                           struct buf *out, char **why);

/*
 * Store one block and index it at once.  The caller has checked that the
 * digest is the data's SHA-256.  links as in blockstore_links.
 * R1_ERR_TOOBIG (quota), R1_ERR_IO, R1_ERR_DB.
 */
enum r1_err blockstore_put(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                           const uint8_t *data, size_t len, int links, char **why);

/*
 * Forget a block: its index row, then its file (absent is fine).
 * R1_ERR_DB, R1_ERR_IO.
 */
enum r1_err blockstore_remove(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                              char **why);

/* A batch of puts whose index rows are committed together.  NULL on OOM. */
struct blockstore_batch *blockstore_batch_new(struct blockstore *bs);
/*
 * Write the block file now (unless the block is already there) and queue
 * its index row; a full queue is committed on the spot.  Errors as
 * blockstore_put.
 */
enum r1_err blockstore_batch_put(struct blockstore_batch *b, const uint8_t digest[R1FS_DIGEST_LEN],
                                 const uint8_t *data, size_t len, int links, char **why);
/* Sync per the policy, then index every queued block in one transaction. */
enum r1_err blockstore_batch_commit(struct blockstore_batch *b, char **why);
/* Drop the batch; rows not committed are forgotten (their files are orphans for gc). */
void blockstore_batch_free(struct blockstore_batch **b);

/*
 * Garbage collection, driven by the owner of the pins: begin, mark every
 * reachable block (mark tells whether it was already marked, so shared
 * subtrees are walked once), then sweep: every indexed block not marked
 * and added at or before `cutoff` (unix seconds) loses its index row and
 * then its file; files with no index row and older than cutoff go too.
 * The marks live in a temporary table, not in memory.
 */
enum r1_err blockstore_gc_begin(struct blockstore *bs, char **why);
enum r1_err blockstore_gc_mark(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                               bool *already, char **why);
enum r1_err blockstore_gc_sweep(struct blockstore *bs, int64_t cutoff, uint64_t *blocks,
                                uint64_t *bytes, char **why);

/*
 * The mutex that serializes every use of the SQLite handle.  Code that
 * shares the handle with the store (r1fs.c's pins) holds it around its
 * own statements.
 */
void blockstore_db_lock(struct blockstore *bs);
void blockstore_db_unlock(struct blockstore *bs);

/* The path of a block's file (for tests and diagnostics); caller frees. */
char *blockstore_path(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN]);

#endif
