#ifndef R1_NODE_R1FS_BLOCKSTORE_H
#define R1_NODE_R1FS_BLOCKSTORE_H
/*
 * Content-addressed blocks on disk, with their index in node.db.
 *
 * Blocks are appended to pack files, <dir>/packs/<8 hex digits>.pack, each
 * record a header (magic, length, links, the block's SHA-256) followed by
 * the block.  The index (table r1fs_blocks: digest, size, links, added,
 * pack, off) maps a digest to its record; looking a block up by its hash
 * is the index's primary key, which is what the design's "sharded by hash"
 * directories were for.  Packs replace one file per block because a file
 * per 256 KiB block cost an inode allocation, a rename and a directory
 * entry each, which held a stored add to 15% of the SHA-256 rate; appends
 * to one open file cost a write.
 *
 * The ordering that makes a crash (kill -9, or a power cut under the
 * syncing policies) harmless: records are written first, the packs are
 * synced (per the policy), then one transaction indexes them, so no index
 * row ever names a record that is not on disk.  A crash leaves at most
 * records nobody indexed: the unindexed tail of a pack is truncated when
 * the store is opened, a pack with no index row is deleted, and unindexed
 * records inside a pack are dead bytes that compaction reclaims.  Reads
 * check the record header against the index and the block against its
 * hash.
 *
 * Garbage collection removes the index rows of unreachable blocks, then
 * compacts: a pack whose live bytes fall below half of its size has its
 * live records copied to the current pack, synced, re-indexed in one
 * transaction per batch, and is then deleted.
 *
 * The store keeps the byte count for the quota (indexed block bytes, not
 * pack bytes): a put that would take them past the quota is refused.
 *
 * Thread safety: every function may be called from any thread; a mutex
 * serializes the use of the SQLite handle, which must not be used by
 * anyone else concurrently (give R1FS its own connection to node.db).
 * Garbage collection must not run while batches are open (r1fs.c's gc
 * lock sees to it).
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "node/r1fs/cid.h"

#include <sqlite3.h>

/* When pack records reach the disk, relative to the index rows naming them. */
enum r1fs_sync {
	R1FS_SYNC_NONE,  /* never fsync: survives kill -9, not a power cut */
	R1FS_SYNC_BATCH, /* fdatasync the packs before each index transaction (default) */
	R1FS_SYNC_EACH,  /* fdatasync after every record */
};

/* Index rows collected before one transaction (64 MiB of 256 KiB blocks). */
#define BLOCKSTORE_BATCH_MAX 256
/* A pack is closed for appends past this size (tests may set a smaller one). */
#define BLOCKSTORE_PACK_MAX (256ull << 20)
/* Bytes of a record before the block. */
#define BLOCKSTORE_RECORD_HDR 48

struct blockstore;
struct blockstore_batch;

/*
 * Open the store in `dir` (created if needed, with packs/), take its lock
 * file, and recover from a crash: truncate unindexed pack tails, delete
 * packs nothing indexes, drop index rows whose record is gone (logged:
 * only a lost disk write or a hand-deleted file causes that), and move a
 * store of the older one-file-per-block layout (blocks/) into packs.  The
 * r1fs tables must exist in db (r1fs_schema_migrate).  log may be NULL.
 * Errors: R1_ERR_IO (including "in use by another process"), R1_ERR_DB,
 * R1_ERR_NOMEM.
 */
enum r1_err blockstore_open(const char *dir, sqlite3 *db, enum r1fs_sync sync, struct r1_log *log,
                            struct blockstore **out, char **why);
void blockstore_free(struct blockstore **bs);

/* Packs started after this call close at `bytes` (at least 1 MiB; 0 = the default). */
void blockstore_set_pack_max(struct blockstore *bs, uint64_t bytes);

/* 0 = no quota. */
void blockstore_set_quota(struct blockstore *bs, uint64_t bytes);
uint64_t blockstore_quota(struct blockstore *bs);
/* Bytes of indexed blocks plus blocks of batches not yet committed. */
uint64_t blockstore_used(struct blockstore *bs);
/* Number of indexed blocks (-1 on a database error). */
int64_t blockstore_count(struct blockstore *bs);
/* Pack files and their bytes on disk (live and dead records). */
enum r1_err blockstore_disk_usage(struct blockstore *bs, uint64_t *packs, uint64_t *bytes,
                                  char **why);

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
 * the digest.  R1_ERR_NOTFOUND (no such block), R1_ERR_CRYPTO (the record
 * does not match the index or the hash: corrupted), R1_ERR_IO, R1_ERR_NOMEM.
 */
enum r1_err blockstore_get(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                           struct buf *out, char **why);

/* The same without hashing the block (the record header is still checked). */
enum r1_err blockstore_get_unchecked(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                                     struct buf *out, char **why);

/*
 * Where a block's bytes are: the pack's path (caller frees), the offset of
 * the block (after its record header) and its length.  For tests and
 * diagnostics.  R1_ERR_NOTFOUND, R1_ERR_DB, R1_ERR_NOMEM.
 */
enum r1_err blockstore_locate(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                              char **pack_path, uint64_t *offset, size_t *len, char **why);

/*
 * Store one block and index it at once.  The caller has checked that the
 * digest is the data's SHA-256.  links as in blockstore_links.
 * R1_ERR_TOOBIG (quota, or a full disk), R1_ERR_IO, R1_ERR_DB.
 */
enum r1_err blockstore_put(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                           const uint8_t *data, size_t len, int links, char **why);

/*
 * The same without syncing the pack first, whatever the policy: for blocks
 * a peer can send again.  A power cut may then lose the record under its
 * index row, which the next open finds and drops (see the header comment);
 * kill -9 loses nothing.
 */
enum r1_err blockstore_put_unsynced(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                                   const uint8_t *data, size_t len, int links, char **why);

/*
 * Forget a block: its index row goes, its record becomes dead bytes for
 * compaction.  R1_ERR_DB.
 */
enum r1_err blockstore_remove(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                              char **why);

/*
 * A batch of puts whose index rows are committed together, every
 * BLOCKSTORE_BATCH_MAX blocks and at blockstore_batch_commit.  An `async`
 * batch writes and commits on its own thread: batch_put copies the block
 * into one of a few slots and returns, so the caller's hashing overlaps
 * the writes and syncs; an error on that thread is returned by the next
 * batch_put or batch_commit.  NULL on OOM.
 */
struct blockstore_batch *blockstore_batch_new(struct blockstore *bs, bool async);
/*
 * Queue a block unless the store or this batch already has it.  Errors as
 * blockstore_put (a quota error is immediate).
 */
enum r1_err blockstore_batch_put(struct blockstore_batch *b, const uint8_t digest[R1FS_DIGEST_LEN],
                                 const uint8_t *data, size_t len, int links, char **why);
/* Write everything queued, sync per the policy, and index it; waits. */
enum r1_err blockstore_batch_commit(struct blockstore_batch *b, char **why);
/* Drop the batch; rows not committed are forgotten (their records are dead bytes). */
void blockstore_batch_free(struct blockstore_batch **b);

/*
 * Garbage collection, driven by the owner of the pins: begin, mark every
 * reachable block (mark tells whether it was already marked, so shared
 * subtrees are walked once), then sweep: every indexed block not marked
 * and added at or before `cutoff` (unix seconds) loses its index row, and
 * packs are compacted as the header comment says.  The marks live in a
 * temporary table, not in memory.  progress (may be NULL) is called after
 * every record compaction moves, with bytes moved and bytes to move;
 * returning false stops the compaction between two transactions.
 */
struct blockstore_gc_stats {
	uint64_t blocks_removed;  /* index rows removed (unreachable, or found corrupted) */
	uint64_t bytes_removed;   /* their block bytes */
	uint64_t packs_compacted; /* packs whose live records were moved */
	uint64_t packs_deleted;   /* pack files deleted (compacted or empty) */
	uint64_t disk_freed;      /* pack bytes given back to the filesystem */
};
typedef bool (*blockstore_progress_fn)(void *ctx, uint64_t done, uint64_t total);

enum r1_err blockstore_gc_begin(struct blockstore *bs, char **why);
enum r1_err blockstore_gc_mark(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                               bool *already, char **why);
enum r1_err blockstore_gc_sweep(struct blockstore *bs, int64_t cutoff,
                                blockstore_progress_fn progress, void *ctx,
                                struct blockstore_gc_stats *stats, char **why);

/*
 * The mutex that serializes every use of the SQLite handle.  Code that
 * shares the handle with the store (r1fs.c's pins) holds it around its
 * own statements.
 */
void blockstore_db_lock(struct blockstore *bs);
void blockstore_db_unlock(struct blockstore *bs);

#endif
