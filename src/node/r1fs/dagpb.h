#ifndef R1_NODE_R1FS_DAGPB_H
#define R1_NODE_R1FS_DAGPB_H
/*
 * dag-pb, the IPLD codec of IPFS's UnixFS blocks: a PBNode is a list of
 * links (hash, name, cumulative size) followed by opaque data (a UnixFS
 * message, see unixfs.h).  Encoding follows kubo byte for byte (links
 * first, every link with its Name even when empty, then Data), which is
 * what makes our CIDs equal kubo's.  Decoding takes hostile input.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "node/r1fs/cid.h"

/* Largest block R1FS accepts from anywhere (bitswap's limit is 2 MiB). */
#define R1FS_BLOCK_MAX (2u * 1024u * 1024u)
/* Longest link name we accept in a decoded node (UnixFS names are file names). */
#define DAGPB_NAME_MAX 4096

struct dagpb_link {
	struct r1fs_cid cid;
	const char *name; /* points into the block (not NUL-terminated); NULL = absent */
	size_t name_len;
	uint64_t tsize; /* cumulative size of the target DAG */
	bool has_tsize;
};

struct dagpb_node {
	struct dagpb_link *links; /* r1_malloc'd, nlinks entries; released by dagpb_node_release */
	size_t nlinks;
	const uint8_t *data; /* points into the block; NULL = absent */
	size_t data_len;
};

/*
 * Append the encoding of a node to `out` (check buf_ok).  `names` may be
 * NULL (every link gets the empty name); data NULL = no Data field.
 */
void dagpb_encode(const struct r1fs_cid *cids, const char *const *names, const uint64_t *tsizes,
                  size_t nlinks, const uint8_t *data, size_t data_len, struct buf *out);

/*
 * Decode a block.  Links and data point into `block`, which must outlive
 * the node.  R1_ERR_PROTO for malformed protobuf, a bad link CID or an
 * oversized name; R1_ERR_NOMEM.
 */
enum r1_err dagpb_decode(const uint8_t *block, size_t len, struct dagpb_node *out, char **why);
void dagpb_node_release(struct dagpb_node *node);

#endif
