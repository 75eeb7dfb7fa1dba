#ifndef R1_NODE_R1FS_XMSG_H
#define R1_NODE_R1FS_XMSG_H
/*
 * The R1FS_DATA object of R1FS_MANAGER payloads: how nodes move R1FS
 * blocks over the bus.  The protocol is ours (the reference's nodes move
 * blocks with IPFS and ignore these payloads):
 *
 *   {"op": "R1FS_ANNOUNCE", "v": 1, ...}                 broadcast in clear;
 *       what a node holds (announce.h has the fields)
 *   {"op": "R1FS_WANT", "xfer": <32 hex>, "key": <64 hex>, "root": CID,
 *    "cids": [CID, ...]}                                  encrypted to the provider
 *   {"op": "R1FS_BLOCK", "xfer", "cid", "data": base64(nonce(12) ||
 *    AES-256-GCM(key, block, aad) || tag(16))}             in clear, to the requester
 *   {"op": "R1FS_NONE", "xfer", "cids": [...], "reason"}  in clear, to the requester
 *   {"op": "R1FS_REQ", "request_id", "cmd", "args": {...}} encrypted, client to node
 *   {"op": "R1FS_RESP", "request_id", "ok", "result", "reason"}  encrypted, node to client
 *
 * A transfer ("xfer", 16 random bytes) is one requester fetching one DAG;
 * its session key travels only inside WANTs, which the node's envelope
 * encrypts to the provider, so blocks need no second envelope encryption
 * (and no zlib pass over incompressible data): each is sealed with the
 * session key, its associated data binding it to the transfer and the CID
 * (a block replayed into another transfer or under another CID does not
 * open).  The receiver still hashes every block against its CID.
 *
 * Parsers take a received object and fill a plain struct (borrowing
 * strings from it); they refuse unknown ops, wrong types, malformed CIDs,
 * hex of the wrong length and anything over the bounds below, with
 * R1_ERR_PROTO and a reason.  Builders return new objects (NULL on OOM).
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "node/r1fs/cid.h"

#include <jansson.h>

#define XMSG_XFER_LEN 16
#define XMSG_KEY_LEN  32
/* CIDs one WANT or NONE may name. */
#define XMSG_CIDS_MAX 64
/*
 * The largest block the exchange carries: its base64 must fit a 2 MB
 * message with room for the envelope (kubo's own blocks stay under 1 MiB).
 */
#define XMSG_BLOCK_MAX (1024u * 1024u + 4096u)
/* Sealing adds the nonce and the tag. */
#define XMSG_SEAL_OVERHEAD  (12u + 16u)
#define XMSG_REASON_MAX     512
#define XMSG_CMD_MAX        32
#define XMSG_REQUEST_ID_MAX 64

enum xmsg_op { XOP_ANNOUNCE, XOP_WANT, XOP_BLOCK, XOP_NONE, XOP_REQ, XOP_RESP };

struct xmsg {
	enum xmsg_op op;
	uint8_t xfer[XMSG_XFER_LEN];         /* WANT, BLOCK, NONE */
	uint8_t key[XMSG_KEY_LEN];           /* WANT */
	struct r1fs_cid root;                /* WANT */
	struct r1fs_cid cid;                 /* BLOCK */
	struct r1fs_cid cids[XMSG_CIDS_MAX]; /* WANT, NONE */
	size_t ncids;
	const char *data; /* BLOCK: base64 text, borrowed */
	size_t data_len;
	const char *reason; /* NONE, RESP: borrowed, may be NULL */
	/* REQ, RESP */
	const char *request_id;
	const char *cmd;
	const json_t *args; /* an object (REQ); NULL when absent */
	bool ok;
	const json_t *result; /* RESP; NULL when absent */
};

/* The op as the wire spells it. */
const char *xmsg_op_name(enum xmsg_op op);

/* Parse an R1FS_DATA object.  R1_ERR_PROTO with the reason. */
enum r1_err xmsg_parse(const json_t *data, struct xmsg *out, char **why);

/* Lowercase hex of a transfer id (33 bytes with the NUL). */
void xmsg_xfer_hex(const uint8_t xfer[XMSG_XFER_LEN], char out[2 * XMSG_XFER_LEN + 1]);

json_t *xmsg_want(const uint8_t xfer[XMSG_XFER_LEN], const uint8_t key[XMSG_KEY_LEN],
                  const struct r1fs_cid *root, const struct r1fs_cid *cids, size_t n);
/* data: the sealed block's base64 (copied).  Any thread: the object is the caller's. */
json_t *xmsg_block(const uint8_t xfer[XMSG_XFER_LEN], const struct r1fs_cid *cid, const char *data,
                   size_t data_len);
json_t *xmsg_none(const uint8_t xfer[XMSG_XFER_LEN], const struct r1fs_cid *cids, size_t n,
                  const char *reason);
/* args (may be NULL) and result (may be NULL = null) are borrowed and referenced. */
json_t *xmsg_req(const char *request_id, const char *cmd, const json_t *args);
json_t *xmsg_resp(const char *request_id, bool ok, const json_t *result, const char *reason);

/*
 * Seal a block for a transfer: base64 of nonce || ciphertext || tag, with
 * the transfer id and the CID as associated data, appended to out.
 * R1_ERR_TOOBIG above XMSG_BLOCK_MAX, R1_ERR_CRYPTO, R1_ERR_NOMEM.
 */
enum r1_err xmsg_seal_block(const uint8_t key[XMSG_KEY_LEN], const uint8_t xfer[XMSG_XFER_LEN],
                            const struct r1fs_cid *cid, const uint8_t *block, size_t len,
                            struct buf *out, char **why);
/*
 * Open what xmsg_seal_block made: the block replaces out's contents.  It
 * is authentic (it came from the holder of the key, for this transfer and
 * CID) but not yet checked against the CID: the caller hashes it.
 * R1_ERR_PROTO (not base64, too short, too long), R1_ERR_CRYPTO (the tag
 * does not match: another key, transfer or CID, or altered), R1_ERR_NOMEM.
 */
enum r1_err xmsg_open_block(const uint8_t key[XMSG_KEY_LEN], const uint8_t xfer[XMSG_XFER_LEN],
                            const struct r1fs_cid *cid, const char *b64, size_t b64_len,
                            struct buf *out, char **why);

#endif
