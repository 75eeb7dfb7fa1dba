#ifndef R1_NODE_R1FS_IPFS_H
#define R1_NODE_R1FS_IPFS_H
/*
 * An IPFS node's HTTP RPC API (kubo's, which js-ipfs 0.66 also serves),
 * for R1FS's IPFS backend: add with a wrapping directory, cat, block/get,
 * pin add/rm/ls and id.  Each call is one HTTP request (httpc.h) with the
 * backend's timeout, sent also as the API's own `timeout` argument so the
 * node gives up on blocks it cannot find instead of waiting forever.
 * Answers are bounded and parsed defensively; the differences between
 * kubo and js-ipfs that matter (Size as a string or a number, CIDv1 text
 * in base58btc unless asked for base32, a Content-Type in every multipart
 * part, errors in an X-Stream-Error trailer) are handled here.
 *
 * What a block or a file's bytes are is checked by the callers against
 * their CIDs (r1fs.c); block_get checks the block it returns.
 *
 * Strings returned are r1_malloc'd (caller frees).  Thread safe: the
 * object is read-only after creation.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "node/r1fs/cid.h"
#include "node/httpc.h"

struct r1fs_ipfs;

/*
 * "http://host:port" of the API.  timeout_ms bounds each wait (0 = 60 s).
 * R1_ERR_INVAL (bad URL), R1_ERR_NOMEM.  Nothing is contacted yet.
 */
enum r1_err r1fs_ipfs_new(const char *url, int timeout_ms, struct r1fs_ipfs **out, char **why);
void r1fs_ipfs_free(struct r1fs_ipfs **ipfs);

/* The node's peer ID and agent ("js-ipfs/0.18.1", "kubo/0.35.0").  Errors: see ipfs_call_error. */
enum r1_err r1fs_ipfs_id(struct r1fs_ipfs *ipfs, char **peer_id, char **agent, char **why);

struct r1fs_ipfs_added {
	char wrapper[R1FS_CID_TEXT_MAX]; /* the directory (what the reference returns) */
	char file[R1FS_CID_TEXT_MAX];    /* the file inside it */
	uint64_t wrapper_size;           /* the directory's cumulative size, as the node says */
};

/*
 * Upload one file named `name` (no '/', no '"') of exactly `size` bytes,
 * produced by body, wrapped in a directory (add -w), as CIDv0 or CIDv1
 * (raw leaves), pinned or not.  Errors: R1_ERR_IO/R1_ERR_TIMEOUT (the
 * connection), R1_ERR_PROTO (an answer without the two CIDs), the node's
 * own refusal (see ipfs_call_error), the body's errors.
 */
enum r1_err r1fs_ipfs_add(struct r1fs_ipfs *ipfs, const char *name, uint64_t size,
                          httpc_body_fn body, void *body_ctx, unsigned cid_version, bool pin,
                          struct r1fs_ipfs_added *out, char **why);

/* Stream the bytes of the file at `path` (a CID or CID/name) to `write`. */
typedef enum r1_err (*r1fs_ipfs_write_fn)(void *ctx, const uint8_t *data, size_t len, char **why);
enum r1_err r1fs_ipfs_cat(struct r1fs_ipfs *ipfs, const char *path, r1fs_ipfs_write_fn write,
                          void *ctx, char **why);

/* A block, checked against the CID (R1_ERR_CRYPTO when the node sends other bytes). */
enum r1_err r1fs_ipfs_block_get(struct r1fs_ipfs *ipfs, const struct r1fs_cid *cid, struct buf *out,
                                char **why);

/*
 * repo/stat: the repo's size in bytes, its number of blocks and its
 * configured maximum (0 when the node gives none).  Errors: see call errors
 * above; R1_ERR_PROTO for an answer without RepoSize or NumObjects.
 */
struct r1fs_ipfs_repo {
	uint64_t size, objects, max;
};
enum r1_err r1fs_ipfs_repo_stat(struct r1fs_ipfs *ipfs, struct r1fs_ipfs_repo *out, char **why);

/* Recursive pins.  pin_rm of a CID not pinned: R1_ERR_NOTFOUND. */
enum r1_err r1fs_ipfs_pin_add(struct r1fs_ipfs *ipfs, const char *cid, char **why);
enum r1_err r1fs_ipfs_pin_rm(struct r1fs_ipfs *ipfs, const char *cid, char **why);
/* The recursive pins as r1fs_cid_format writes them (*cids: array of n strings, each and the array
 * r1_free'd). */
enum r1_err r1fs_ipfs_pin_ls(struct r1fs_ipfs *ipfs, char ***cids, size_t *n, char **why);

#endif
