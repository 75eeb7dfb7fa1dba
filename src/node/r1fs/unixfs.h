#ifndef R1_NODE_R1FS_UNIXFS_H
#define R1_NODE_R1FS_UNIXFS_H
/*
 * UnixFS, the file-system layer IPFS puts in a dag-pb node's Data: a type
 * (file, directory, ...), inline file bytes, the file size and the sizes of
 * the children.  The writers produce kubo's bytes exactly (fields in number
 * order; blocksizes unpacked; an empty Data field omitted); the reader
 * takes hostile input.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "node/r1fs/cid.h"

enum unixfs_type {
	UNIXFS_RAW = 0,
	UNIXFS_DIRECTORY = 1,
	UNIXFS_FILE = 2,
	UNIXFS_METADATA = 3,
	UNIXFS_SYMLINK = 4,
	UNIXFS_HAMTSHARD = 5,
};

struct unixfs_data {
	enum unixfs_type type;
	const uint8_t *data; /* inline file bytes, into the parsed buffer; NULL = none */
	size_t data_len;
	uint64_t filesize;
	bool has_filesize;
	size_t nblocksizes;
	const uint8_t *msg; /* the parsed message, for unixfs_get_blocksizes */
	size_t msg_len;
};

/*
 * Header of a dag-pb file leaf holding `len` bytes of data: the bytes that
 * go before the data (written at the end of `hdr`, returned as a pointer
 * into it with *hdr_len) and after it (trailer, *trl_len).  Lets a caller
 * keep the chunk where it is and frame it in place.
 */
#define UNIXFS_LEAF_HDR_MAX 24
#define UNIXFS_LEAF_TRL_MAX 11
void unixfs_leaf_frame(size_t len, uint8_t hdr[UNIXFS_LEAF_HDR_MAX], size_t *hdr_len,
                       uint8_t trl[UNIXFS_LEAF_TRL_MAX], size_t *trl_len);

/*
 * A file node over children: dag-pb links (empty names, cumulative sizes)
 * and UnixFS data {File, filesize = sum, blocksizes}.  Appends to out.
 */
void unixfs_encode_file_node(const struct r1fs_cid *cids, const uint64_t *tsizes,
                             const uint64_t *filesizes, size_t n, struct buf *out);

/* A directory node: named links and UnixFS data {Directory}.  Appends to out. */
void unixfs_encode_dir(const struct r1fs_cid *cids, const char *const *names,
                       const uint64_t *tsizes, size_t n, struct buf *out);

/* Parse a UnixFS Data message.  R1_ERR_PROTO when malformed. */
enum r1_err unixfs_parse(const uint8_t *p, size_t len, struct unixfs_data *out, char **why);
/* Copy up to `max` blocksizes into out (packed or not); returns how many. */
size_t unixfs_get_blocksizes(const struct unixfs_data *u, uint64_t *out, size_t max);

#endif
