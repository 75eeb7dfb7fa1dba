#ifndef R1_NODE_R1FS_R1FS_H
#define R1_NODE_R1FS_R1FS_H
/*
 * R1FS, the node's file store: the reference's encrypted files kept as
 * IPFS UnixFS DAGs whose CIDs are the ones `ipfs add` gives, in a block
 * store on disk with its index and pins in node.db.
 *
 * What the reference's engine does with `ipfs add -w` this does in-process:
 * add_file encrypts the file (seal.h), chunks the ciphertext into a DAG
 * (dagbuilder.h), wraps it in a directory with one entry and returns the
 * directory's CID, pinned; get_file walks the DAG back (dagreader.h),
 * decrypts (unseal.h) and restores the original name.  Blocks are reachable
 * one by one (has/get/put_block) for the exchange between nodes, and a
 * fetch hook lets that exchange supply blocks the store lacks.
 *
 * With an IPFS backend (r1fs_options.ipfs_api) the same add/get/pin calls
 * go to an IPFS node's RPC API instead (ipfs.h): the add sends the same
 * encrypted bytes under the same name, so the CIDs are the built-in
 * store's; get checks the bytes the node returns against the CID before
 * anything is decrypted into place.
 *
 * Threads: every function may be called from any thread, and the long ones
 * (add_*, get_*, cat, pin, gc) are meant for a worker: they hold no loop
 * state and report progress through a callback on the calling thread.  A
 * read-write lock keeps gc out while adds, gets, pins and block puts run
 * (so a sweep never sees a block file before its index row).  The sqlite3
 * handle given to r1fs_open must be r1fs's alone (open a second connection
 * to node.db for it; WAL lets the two coexist).
 *
 * Strings returned through `char **` are r1_malloc'd; the caller frees
 * them with r1_free.  Errors: every function returns enum r1_err and, when
 * asked, a reason in *why (core/err.h).
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "node/r1fs/blockstore.h"
#include "node/r1fs/cid.h"

#include <sqlite3.h>

/* The reference refuses files above 5 GiB. */
#define R1FS_MAX_FILE_SIZE (5ull * 1024 * 1024 * 1024)
/* add_json/get_json/add_yaml/get_yaml and r1fs_get_bytes hold data in memory up to this. */
#define R1FS_MAX_MEMORY_FILE (64u * 1024 * 1024)
/* A random nonce (the reference's nonce=None). */
#define R1FS_NONCE_RANDOM (-1)
/* The reference's default file name for add_json. */
#define R1FS_DEFAULT_JSON_NAME "data.json"

struct r1fs;

struct r1fs_options {
	uint64_t quota_bytes; /* 0 = no quota */
	enum r1fs_sync sync;  /* R1FS_SYNC_BATCH is the safe default */
	struct r1_log *log;   /* may be NULL; not owned */
	uint64_t pack_bytes;  /* size at which a pack is closed; 0 = BLOCKSTORE_PACK_MAX */
	/*
	 * The IPFS backend: "http://host:port" of a kubo-compatible RPC API
	 * (NULL = the built-in store).  Files are then added, pinned and
	 * fetched through that node, node_dir and db are not used (may be
	 * NULL); cat, ls and stat walk the DAG block by block (block/get,
	 * each block checked); what only the built-in store does (put_block,
	 * gc, quota, store_stat, locate_block) fails with R1_ERR_STATE.
	 */
	const char *ipfs_api;
	int ipfs_timeout_ms; /* bound on each wait for the node; 0 = 60 s */
};
#define R1FS_OPTIONS_INIT                                                                          \
	{                                                                                          \
		0, R1FS_SYNC_BATCH, NULL, 0, NULL, 0                                               \
	}

/*
 * Progress of a long operation: bytes done out of total, called on the
 * operation's thread after every block or so.  Return false to cancel: the
 * operation then fails with R1_ERR_CANCELLED and leaves nothing half-made.
 */
typedef bool (*r1fs_progress_fn)(void *ctx, uint64_t done, uint64_t total);

struct r1fs_add_opts {
	const char *secret;   /* NULL or "" = "ratio1" */
	int64_t nonce;        /* R1FS_NONCE_RANDOM, or an integer n: Python's Random(|n|) nonce */
	unsigned cid_version; /* 0 (the reference: CIDv0, dag-pb leaves) or 1 (raw leaves) */
	bool only_hash;       /* compute the CIDs and store nothing (ipfs add --only-hash) */
	bool no_pin;          /* store without pinning (gc may then remove it) */
	r1fs_progress_fn progress;
	void *progress_ctx;
};
#define R1FS_ADD_OPTS_INIT                                                                         \
	{                                                                                          \
		NULL, R1FS_NONCE_RANDOM, 0, false, false, NULL, NULL                               \
	}

struct r1fs_added {
	char cid[R1FS_CID_TEXT_MAX];      /* the wrapping directory: what the reference returns */
	char file_cid[R1FS_CID_TEXT_MAX]; /* the encrypted file inside it */
	char link_name[48];               /* the file's name in the directory: <32 hex>.bin */
	uint64_t size;                    /* cumulative size of the directory's DAG */
	uint64_t encrypted_size;          /* bytes of the encrypted file */
};

struct r1fs_get_opts {
	const char *secret; /* NULL or "" = "ratio1" */
	bool pin;           /* pin the CID once it was read whole (the reference's default) */
	r1fs_progress_fn progress;
	void *progress_ctx;
};
#define R1FS_GET_OPTS_INIT                                                                         \
	{                                                                                          \
		NULL, true, NULL, NULL                                                             \
	}

/*
 * Open the store of a node: blocks under <node_dir>/r1fs/, index and pins
 * in db (migrated as component "r1fs").  opt may be NULL (defaults).
 * Errors: R1_ERR_IO (directory, or in use by another process), R1_ERR_DB,
 * R1_ERR_STATE (node.db from a newer r1console), R1_ERR_NOMEM.
 */
enum r1_err r1fs_open(const char *node_dir, sqlite3 *db, const struct r1fs_options *opt,
                      struct r1fs **out, char **why);
void r1fs_free(struct r1fs **r);

/* ---- files (the reference's engine API) ---- */

/*
 * Encrypt a regular file and add it (see the header comment).  The name in
 * the metadata is the path's last component.  Errors: R1_ERR_IO, R1_ERR_INVAL
 * (not a regular file, bad name), R1_ERR_TOOBIG (above 5 GiB, or the quota:
 * the reason says how much is used and needed), R1_ERR_CANCELLED, R1_ERR_DB,
 * R1_ERR_CRYPTO, R1_ERR_NOMEM.
 */
enum r1_err r1fs_add_file(struct r1fs *r, const char *path, const struct r1fs_add_opts *o,
                          struct r1fs_added *out, char **why);
/* The same, stored under `name` (NULL = the path's last component): an upload. */
enum r1_err r1fs_add_file_named(struct r1fs *r, const char *path, const char *name,
                                const struct r1fs_add_opts *o, struct r1fs_added *out,
                                char **why);
/* The same for bytes in memory stored under the file name `name`. */
enum r1_err r1fs_add_bytes(struct r1fs *r, const void *data, size_t len, const char *name,
                           const struct r1fs_add_opts *o, struct r1fs_added *out, char **why);
/*
 * add_json: `json` is any JSON document (Python's json.loads language); it
 * is stored as json.dumps(data, sort_keys=True, separators=(',', ':')) in a
 * file named fn (NULL = "data.json").  R1_ERR_INVAL for malformed JSON.
 */
enum r1_err r1fs_add_json(struct r1fs *r, const char *json, size_t len, const char *fn,
                          const struct r1fs_add_opts *o, struct r1fs_added *out, char **why);
/*
 * add_yaml: the JSON document is stored as YAML (yaml.h has the dialect) in
 * a file named fn + ".yaml" (unless fn already ends so), or when fn is NULL
 * or has a directory part, "r1fs_<8 hex>.yaml", as the reference names it.
 */
enum r1_err r1fs_add_yaml(struct r1fs *r, const char *json, size_t len, const char *fn,
                          const struct r1fs_add_opts *o, struct r1fs_added *out, char **why);

/*
 * Fetch, verify, decrypt and write the file under its original name in
 * out_dir (an existing directory); *path gets out_dir/<name>.  `cid` is the
 * wrapping directory (exactly one entry) or the encrypted file itself.
 * Nothing appears under the final name unless the whole file decrypted and
 * authenticated.  Errors: R1_ERR_INVAL (bad CID, not one file, unsafe name
 * in the metadata), R1_ERR_NOTFOUND (a block is missing and no fetcher
 * supplied it), R1_ERR_CRYPTO (wrong secret, altered file, corrupted
 * block), R1_ERR_PROTO (malformed DAG or file), R1_ERR_IO,
 * R1_ERR_CANCELLED, R1_ERR_NOMEM.
 */
enum r1_err r1fs_get_file(struct r1fs *r, const char *cid, const char *out_dir,
                          const struct r1fs_get_opts *o, char **path, char **why);
/*
 * The same into memory (at most `max` content bytes, else R1_ERR_TOOBIG):
 * *data (NUL-terminated, *len bytes) and, when name is not NULL, the
 * restored file name.
 */
enum r1_err r1fs_get_bytes(struct r1fs *r, const char *cid, const struct r1fs_get_opts *o,
                           size_t max, uint8_t **data, size_t *len, char **name, char **why);
/* get_json: the data as compact JSON (sorted keys).  R1_ERR_INVAL when the file is not JSON. */
enum r1_err r1fs_get_json(struct r1fs *r, const char *cid, const struct r1fs_get_opts *o,
                          char **json, char **why);
/* get_yaml: the YAML file's data as compact JSON.  R1_ERR_INVAL outside the YAML subset. */
enum r1_err r1fs_get_yaml(struct r1fs *r, const char *cid, const struct r1fs_get_opts *o,
                          char **json, char **why);

/* ---- IPFS-style access to the stored DAGs (not decrypted) ---- */

enum r1fs_entry_type { R1FS_ENTRY_FILE, R1FS_ENTRY_DIRECTORY, R1FS_ENTRY_RAW, R1FS_ENTRY_OTHER };

struct r1fs_entry {
	char *name; /* r1_malloc'd, NUL-terminated (may be empty) */
	char cid[R1FS_CID_TEXT_MAX];
	uint64_t size; /* the link's cumulative size */
};

struct r1fs_stat {
	char cid[R1FS_CID_TEXT_MAX];
	enum r1fs_entry_type type;
	uint64_t filesize;   /* content bytes of a file (0 for a directory) */
	uint64_t cumulative; /* the block plus its links' cumulative sizes */
	uint64_t block_size;
	size_t nlinks;
	bool pinned;
};

/* Writes cat output; a non-zero return stops the cat with that error. */
typedef enum r1_err (*r1fs_write_fn)(void *ctx, const uint8_t *data, size_t len, char **why);

/*
 * `path` is a CID optionally followed by /name/... through directories.
 * cat writes the file's bytes from offset, at most length bytes (0 = to the
 * end).  R1_ERR_INVAL for a directory or a bad path, R1_ERR_NOTFOUND, and
 * the errors of get_file.
 */
enum r1_err r1fs_cat(struct r1fs *r, const char *path, uint64_t offset, uint64_t length,
                     r1fs_write_fn write, void *ctx, char **why);
/* Entries of a directory (*entries freed with r1fs_entries_free). */
enum r1_err r1fs_ls(struct r1fs *r, const char *path, struct r1fs_entry **entries, size_t *n,
                    char **why);
void r1fs_entries_free(struct r1fs_entry *entries, size_t n);
enum r1_err r1fs_stat(struct r1fs *r, const char *path, struct r1fs_stat *out, char **why);

/* ---- blocks, for the exchange between nodes ---- */

bool r1fs_has_block(struct r1fs *r, const struct r1fs_cid *cid);
/* The block's bytes, verified against the CID.  Errors as blockstore_get. */
enum r1_err r1fs_get_block(struct r1fs *r, const struct r1fs_cid *cid, struct buf *out, char **why);
/*
 * Where a stored block's bytes are on disk: its pack file (*pack_path,
 * caller frees), the offset of the block in it and its length.  For tests
 * and diagnostics.  R1_ERR_NOTFOUND, R1_ERR_DB, R1_ERR_NOMEM.
 */
enum r1_err r1fs_locate_block(struct r1fs *r, const struct r1fs_cid *cid, char **pack_path,
                              uint64_t *offset, size_t *len, char **why);
/*
 * Store a block that arrived from elsewhere: its hash must match the CID
 * (R1_ERR_CRYPTO) and a dag-pb block must decode (R1_ERR_PROTO).
 * R1_ERR_TOOBIG for the quota or a block above R1FS_BLOCK_MAX.
 */
enum r1_err r1fs_put_block(struct r1fs *r, const struct r1fs_cid *cid, const uint8_t *data,
                           size_t len, char **why);

/*
 * The stored bytes of a block as they are on disk, for serving it to a
 * peer: the record is checked against the index but the bytes are not
 * hashed (the receiver hashes them, as kubo serves without HashOnRead).
 * R1_ERR_NOTFOUND, R1_ERR_CRYPTO (the record does not match the index),
 * R1_ERR_IO, R1_ERR_STATE (IPFS backend), R1_ERR_NOMEM.
 */
enum r1_err r1fs_serve_block(struct r1fs *r, const struct r1fs_cid *cid, struct buf *out,
                             char **why);

/* The links of a dag-pb block, for walking a DAG from outside (the exchange). */
struct r1fs_link {
	struct r1fs_cid cid;
	uint64_t tsize; /* the link's cumulative size */
};
struct r1fs_links {
	struct r1fs_link *items; /* r1_malloc'd */
	size_t n;
};
void r1fs_links_release(struct r1fs_links *l);

/*
 * Store a block a peer sent: checked as put_block, not synced to the disk
 * first (a peer can send it again; see blockstore_put_unsynced), and,
 * when children is not NULL, the block's links returned (none for a raw
 * block).  Errors as put_block.
 */
enum r1_err r1fs_put_fetched(struct r1fs *r, const struct r1fs_cid *cid, const uint8_t *data,
                             size_t len, struct r1fs_links *children, char **why);
/*
 * Links of a stored block by the index: >= 0 for dag-pb, -1 for raw.
 * R1_ERR_NOTFOUND, R1_ERR_STATE (IPFS backend).
 */
enum r1_err r1fs_block_links(struct r1fs *r, const struct r1fs_cid *cid, int *links, char **why);
/* Decode a block's links (none for a raw CID).  R1_ERR_PROTO, R1_ERR_NOMEM. */
enum r1_err r1fs_read_links(const struct r1fs_cid *cid, const uint8_t *data, size_t len,
                            struct r1fs_links *out, char **why);

/*
 * A source of blocks this store lacks (the network exchange).  get, cat,
 * ls, stat and pin call it for a missing block, on the thread that runs
 * them, with the root of the DAG being walked (the CID the caller named;
 * a hint for fetching the rest ahead); what it returns is checked against
 * the CID and stored before use.  fn NULL removes it.  Set it before other
 * threads use the store.
 */
typedef enum r1_err (*r1fs_fetch_fn)(void *ctx, const struct r1fs_cid *root,
                                     const struct r1fs_cid *cid, struct buf *out, char **why);
void r1fs_set_fetcher(struct r1fs *r, r1fs_fetch_fn fn, void *ctx);

/* ---- pins, garbage collection, quota ---- */

struct r1fs_pin {
	char cid[R1FS_CID_TEXT_MAX];
	uint64_t size;   /* cumulative size */
	int64_t created; /* unix seconds */
	/*
	 * The decrypted file's name when this node knew it (it added the file,
	 * or got it with its secret), else the name a client gave with the pin
	 * (r1fs_pin_named), else NULL; r1_malloc'd, raw bytes.
	 */
	char *name;
};

/*
 * Pin a DAG recursively; every block must be present (or fetchable):
 * R1_ERR_NOTFOUND names the first one missing.  Pinning twice is fine.
 */
enum r1_err r1fs_pin(struct r1fs *r, const char *cid, char **why);
/*
 * The same, recording `name` (NULL = none) as the pin's name when it has
 * none yet: what a client that added the file says it is called, for a
 * node that cannot decrypt it.  A name the node decrypts later replaces
 * it; it never replaces one.  The caller checks the name (r1fs_pin_name_ok).
 * An IPFS backend keeps no names: it is dropped there.
 */
enum r1_err r1fs_pin_named(struct r1fs *r, const char *cid, const char *name, char **why);
/* A name fit for r1fs_pin_named: 1 to 255 bytes, no '/', no control characters. */
bool r1fs_pin_name_ok(const char *name, size_t len);
/* R1_ERR_NOTFOUND when the CID was not pinned. */
enum r1_err r1fs_unpin(struct r1fs *r, const char *cid, char **why);
bool r1fs_is_pinned(struct r1fs *r, const char *cid);
/* All pins, oldest first (*pins freed with r1fs_pins_free). */
enum r1_err r1fs_list_pins(struct r1fs *r, struct r1fs_pin **pins, size_t *n, char **why);
void r1fs_pins_free(struct r1fs_pin *pins, size_t n);

/* What a collection did. */
struct r1fs_gc_stats {
	uint64_t blocks_removed;  /* unreachable (or found corrupted) blocks dropped */
	uint64_t bytes_removed;   /* their bytes */
	uint64_t packs_compacted; /* sparse packs whose live blocks were moved */
	uint64_t packs_deleted;   /* pack files deleted (compacted or empty) */
	uint64_t disk_freed;      /* pack bytes given back to the filesystem */
};

/*
 * Remove every block no pin reaches, among those stored more than `grace`
 * seconds ago (blocks of a transfer still under way are unpinned; a grace
 * period protects them; 0 removes everything unpinned).
 */
enum r1_err r1fs_gc(struct r1fs *r, int64_t grace, struct r1fs_gc_stats *out, char **why);
/*
 * The same, reporting the compaction's progress (bytes of records moved
 * out of sparse packs, of the total to move); returning false stops the
 * compaction between two of its transactions, leaving the store whole.
 */
enum r1_err r1fs_gc_with_progress(struct r1fs *r, int64_t grace, r1fs_progress_fn progress,
                                  void *ctx, struct r1fs_gc_stats *out, char **why);

/*
 * The store's counters.  With an IPFS backend they are the node's repo
 * (repo/stat: used = disk = RepoSize, quota = StorageMax, blocks =
 * NumObjects) and its recursive pins; packs is 0.  Errors: R1_ERR_DB, or
 * the node's (ipfs.h).
 */
struct r1fs_store_stat {
	uint64_t used_bytes;  /* indexed block bytes: what the quota counts */
	uint64_t quota_bytes; /* 0 = none */
	int64_t blocks;
	int64_t pins;
	uint64_t packs;      /* pack files */
	uint64_t disk_bytes; /* their size, dead records included */
};

void r1fs_set_quota(struct r1fs *r, uint64_t bytes);
enum r1_err r1fs_store_stat(struct r1fs *r, struct r1fs_store_stat *out, char **why);

/*
 * The IPFS node's peer ID and agent (the heartbeat's R1FS_ID); both caller
 * freed.  R1_ERR_STATE with the built-in store; the node's errors otherwise.
 */
enum r1_err r1fs_backend_id(struct r1fs *r, char **peer_id, char **agent, char **why);

/* The CID `ipfs add --only-hash [--cid-version=1]` prints for a plain file (no encryption). */
enum r1_err r1fs_plain_cid(const char *path, unsigned cid_version, char out[R1FS_CID_TEXT_MAX],
                           char **why);

#endif
