#ifndef R1_NODE_R1FS_DAGBUILDER_H
#define R1_NODE_R1FS_DAGBUILDER_H
/*
 * Turns a byte stream into a UnixFS file DAG exactly as `ipfs add` does
 * with kubo's defaults: fixed-size chunks, the balanced layout (every leaf
 * at the same depth, at most max_links children per node, the tree as
 * shallow as the leaf count allows), dag-pb leaves for CIDv0 and raw leaves
 * for CIDv1.  The stream goes through in bounded memory: one chunk plus
 * max_links entries per tree level.  Every finished block is handed to a
 * sink (the block store, or nothing when only the CID is wanted), leaves
 * first and each parent after its children, so a sink that stores blocks
 * in order never stores a node whose children are missing.
 */
#include "core/common.h"
#include "core/err.h"
#include "node/r1fs/cid.h"

struct dag_layout {
	unsigned cid_version; /* 0 or 1 */
	bool raw_leaves;      /* leaves as raw blocks (requires CIDv1) */
	size_t chunk_size;    /* bytes per leaf */
	unsigned max_links;   /* children per inner node */
};

#define DAG_KUBO_CHUNK     262144
#define DAG_KUBO_MAX_LINKS 174

/* kubo's defaults for `ipfs add --cid-version=V` (V = 1 implies raw leaves). */
void dag_layout_kubo(struct dag_layout *layout, unsigned cid_version);

/*
 * Called for every block.  nlinks is the number of links of a dag-pb block
 * and -1 for a raw block.  A non-zero return aborts the build.
 */
typedef enum r1_err (*dag_sink_fn)(void *ctx, const struct r1fs_cid *cid, const uint8_t *block,
                                   size_t len, int nlinks, char **why);

struct dag_result {
	struct r1fs_cid root;
	uint64_t tsize;    /* cumulative size: every block of the DAG (the link Tsize) */
	uint64_t filesize; /* content bytes */
	uint64_t nblocks;
};

struct dag_builder;

/* sink may be NULL.  Returns NULL on OOM or a layout it cannot build. */
struct dag_builder *dag_builder_new(const struct dag_layout *layout, dag_sink_fn sink, void *ctx);
void dag_builder_free(struct dag_builder **b);

/* Feed content.  Errors come from the sink, or R1_ERR_NOMEM. */
enum r1_err dag_builder_write(struct dag_builder *b, const void *data, size_t len, char **why);

/* End of content: emit the last blocks and report the root.  Call once. */
enum r1_err dag_builder_finish(struct dag_builder *b, struct dag_result *out, char **why);

#endif
