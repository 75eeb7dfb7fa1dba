/*
 * Depth-first walk of a UnixFS file DAG (see dagreader.h).  One frame per
 * level holds that level's block and where the walk is in its links; the
 * frames and their buffers are reused, so a long file costs no allocation
 * per block.  A frame's content is its own inline data followed by its
 * children's, as UnixFS defines it.
 */
#include "node/lib.h"
#include "node/r1fs/dagreader.h"

#include "node/r1fs/dagpb.h"
#include "node/r1fs/unixfs.h"

struct dag_frame {
	struct buf block;
	struct dagpb_node node;
	uint64_t *blocksizes; /* node.nlinks entries, or NULL for a leaf */
	const uint8_t *data;  /* inline content (into block) */
	size_t data_len;
	bool data_done;
	size_t next;       /* next link to follow */
	size_t index;      /* which link of the parent this is */
	uint64_t expected; /* the size this node declares */
	uint64_t produced; /* content bytes returned under this node so far */
};

struct dag_reader {
	dag_get_fn get;
	void *ctx;
	struct dag_frame frames[DAG_READER_MAX_DEPTH];
	size_t depth;
	uint64_t size;
};

static void frame_clear(struct dag_frame *f)
{
	dagpb_node_release(&f->node);
	r1_free(f->blocksizes);
	f->blocksizes = NULL;
	f->data = NULL;
	f->data_len = 0;
	f->data_done = false;
	f->next = 0;
	f->produced = 0;
	f->expected = 0;
}

/* Fetch and parse one node of a file DAG into f. */
static enum r1_err frame_load(struct dag_reader *rd, struct dag_frame *f,
                              const struct r1fs_cid *cid, bool is_root, char **why)
{
	frame_clear(f);
	enum r1_err e = rd->get(rd->ctx, cid, &f->block, why);
	if (e)
		return e;
	const uint8_t *block = (const uint8_t *)f->block.data;
	if (cid->codec == R1FS_CODEC_RAW) {
		f->data = block;
		f->data_len = f->block.len;
		f->expected = f->block.len;
		return R1_OK;
	}
	e = dagpb_decode(block, f->block.len, &f->node, why);
	if (e)
		return e;
	struct unixfs_data u;
	if (!f->node.data)
		return r1_fail(why, R1_ERR_PROTO, "r1fs: dag-pb node without UnixFS data");
	e = unixfs_parse(f->node.data, f->node.data_len, &u, why);
	if (e)
		return e;
	if (u.type != UNIXFS_FILE && u.type != UNIXFS_RAW)
		return r1_fail(why, is_root ? R1_ERR_INVAL : R1_ERR_PROTO,
		               is_root ? "r1fs: not a file (UnixFS type %d)"
		                       : "r1fs: a file DAG links to a non-file node (type %d)",
		               (int)u.type);
	f->data = u.data;
	f->data_len = u.data ? u.data_len : 0;
	if (f->node.nlinks > 0) {
		if (u.nblocksizes != f->node.nlinks)
			return r1_fail(why, R1_ERR_PROTO,
			               "r1fs: file node with %zu links but %zu blocksizes",
			               f->node.nlinks, u.nblocksizes);
		f->blocksizes = r1_calloc(f->node.nlinks, sizeof(*f->blocksizes));
		if (!f->blocksizes)
			return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
		unixfs_get_blocksizes(&u, f->blocksizes, f->node.nlinks);
	}
	f->expected = u.has_filesize ? u.filesize : f->data_len;
	return R1_OK;
}

enum r1_err dag_reader_new(dag_get_fn get, void *ctx, const struct r1fs_cid *root,
                           struct dag_reader **out, char **why)
{
	struct dag_reader *rd = r1_calloc(1, sizeof(*rd));
	if (!rd)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	rd->get = get;
	rd->ctx = ctx;
	for (size_t i = 0; i < DAG_READER_MAX_DEPTH; i++)
		buf_init(&rd->frames[i].block);
	enum r1_err e = frame_load(rd, &rd->frames[0], root, true, why);
	if (e) {
		dag_reader_free(&rd);
		return e;
	}
	rd->depth = 1;
	rd->size = rd->frames[0].expected;
	*out = rd;
	return R1_OK;
}

void dag_reader_free(struct dag_reader **rdp)
{
	struct dag_reader *rd = *rdp;
	if (!rd)
		return;
	for (size_t i = 0; i < DAG_READER_MAX_DEPTH; i++) {
		frame_clear(&rd->frames[i]);
		buf_release(&rd->frames[i].block);
	}
	r1_free(rd);
	*rdp = NULL;
}

uint64_t dag_reader_size(const struct dag_reader *rd)
{
	return rd->size;
}

enum r1_err dag_reader_read(struct dag_reader *rd, const uint8_t **data, size_t *len, char **why)
{
	*len = 0;
	while (rd->depth > 0) {
		struct dag_frame *f = &rd->frames[rd->depth - 1];
		if (!f->data_done) {
			f->data_done = true;
			if (f->data_len > 0) {
				f->produced += f->data_len;
				*data = f->data;
				*len = f->data_len;
				return R1_OK;
			}
		}
		if (f->next < f->node.nlinks) {
			if (rd->depth == DAG_READER_MAX_DEPTH)
				return r1_fail(why, R1_ERR_PROTO,
				               "r1fs: file DAG deeper than %d levels",
				               DAG_READER_MAX_DEPTH);
			size_t idx = f->next++;
			struct dag_frame *child = &rd->frames[rd->depth];
			enum r1_err e = frame_load(rd, child, &f->node.links[idx].cid, false, why);
			if (e)
				return e;
			child->index = idx;
			rd->depth++;
			continue;
		}
		/* This node is done: its sizes must be what it and its parent said. */
		if (f->produced != f->expected)
			return r1_fail(why, R1_ERR_PROTO,
			               "r1fs: file node declares %" PRIu64
			               " bytes but holds %" PRIu64,
			               f->expected, f->produced);
		if (rd->depth > 1) {
			struct dag_frame *parent = &rd->frames[rd->depth - 2];
			if (parent->blocksizes[f->index] != f->produced)
				return r1_fail(why, R1_ERR_PROTO,
				               "r1fs: child %zu holds %" PRIu64
				               " bytes, its parent says %" PRIu64,
				               f->index, f->produced, parent->blocksizes[f->index]);
			parent->produced += f->produced;
		}
		frame_clear(f);
		rd->depth--;
	}
	return R1_OK;
}
