/*
 * The UnixFS importer (see dagbuilder.h).  go-unixfs builds its balanced
 * tree top-down, growing a new root each time the old one is full; we build
 * the same tree bottom-up while the bytes stream in.  Level k collects the
 * entries that will become children of one depth-(k+1) node; a level that
 * reaches max_links becomes a node at once and moves up.  At the end the
 * partial levels are closed from the bottom, each into the level above,
 * and the topmost level is the root, except that a lone entry there is the
 * root itself (kubo only adds a level when more data follows).
 */
#include "node/lib.h"
#include "node/r1fs/dagbuilder.h"

#include "core/hash.h"
#include "node/r1fs/unixfs.h"

#define DAG_MAX_LEVELS 16 /* 174^15 chunks is far beyond any file */

struct dag_level {
	size_t n;
	struct r1fs_cid *cids;
	uint64_t *tsizes;
	uint64_t *filesizes;
};

struct dag_builder {
	struct dag_layout layout;
	dag_sink_fn sink;
	void *ctx;
	uint8_t *frame;   /* UNIXFS_LEAF_HDR_MAX + chunk_size + UNIXFS_LEAF_TRL_MAX */
	size_t chunk_len; /* bytes waiting in the chunk */
	uint64_t leaves;
	uint64_t nblocks;
	struct buf node; /* scratch for inner nodes */
	struct dag_level levels[DAG_MAX_LEVELS];
	bool finished;
};

void dag_layout_kubo(struct dag_layout *layout, unsigned cid_version)
{
	layout->cid_version = cid_version ? 1 : 0;
	layout->raw_leaves = cid_version != 0;
	layout->chunk_size = DAG_KUBO_CHUNK;
	layout->max_links = DAG_KUBO_MAX_LINKS;
}

struct dag_builder *dag_builder_new(const struct dag_layout *layout, dag_sink_fn sink, void *ctx)
{
	if (layout->chunk_size == 0 || layout->chunk_size > 1024 * 1024 || layout->max_links < 2 ||
	    layout->max_links > 4096 || (layout->raw_leaves && layout->cid_version == 0))
		return NULL;
	struct dag_builder *b = r1_calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->layout = *layout;
	b->sink = sink;
	b->ctx = ctx;
	buf_init(&b->node);
	b->frame = r1_malloc(UNIXFS_LEAF_HDR_MAX + layout->chunk_size + UNIXFS_LEAF_TRL_MAX);
	if (!b->frame) {
		r1_free(b);
		return NULL;
	}
	return b;
}

static void level_release(struct dag_level *lv)
{
	r1_free(lv->cids);
	r1_free(lv->tsizes);
	r1_free(lv->filesizes);
	memset(lv, 0, sizeof(*lv));
}

void dag_builder_free(struct dag_builder **bp)
{
	struct dag_builder *b = *bp;
	if (!b)
		return;
	for (size_t i = 0; i < DAG_MAX_LEVELS; i++)
		level_release(&b->levels[i]);
	buf_release(&b->node);
	r1_free(b->frame);
	r1_free(b);
	*bp = NULL;
}

static enum r1_err emit(struct dag_builder *b, const struct r1fs_cid *cid, const uint8_t *block,
                        size_t len, int nlinks, char **why)
{
	b->nblocks++;
	return b->sink ? b->sink(b->ctx, cid, block, len, nlinks, why) : R1_OK;
}

static enum r1_err push(struct dag_builder *b, size_t k, const struct r1fs_cid *cid, uint64_t tsize,
                        uint64_t filesize, char **why);

/* Turn level k into one file node and push it into level k + 1. */
static enum r1_err close_level(struct dag_builder *b, size_t k, char **why)
{
	struct dag_level *lv = &b->levels[k];
	buf_reset(&b->node);
	unixfs_encode_file_node(lv->cids, lv->tsizes, lv->filesizes, lv->n, &b->node);
	if (!buf_ok(&b->node))
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory building a DAG node");
	struct r1fs_cid cid;
	r1fs_cid_of_block(b->layout.cid_version, R1FS_CODEC_DAGPB, b->node.data, b->node.len, &cid);
	uint64_t tsize = b->node.len, filesize = 0;
	for (size_t i = 0; i < lv->n; i++) {
		tsize += lv->tsizes[i];
		filesize += lv->filesizes[i];
	}
	enum r1_err e = emit(b, &cid, (const uint8_t *)b->node.data, b->node.len, (int)lv->n, why);
	if (e)
		return e;
	lv->n = 0;
	return push(b, k + 1, &cid, tsize, filesize, why);
}

static enum r1_err push(struct dag_builder *b, size_t k, const struct r1fs_cid *cid, uint64_t tsize,
                        uint64_t filesize, char **why)
{
	if (k >= DAG_MAX_LEVELS)
		return r1_fail(why, R1_ERR_TOOBIG, "r1fs: file too large for the DAG builder");
	struct dag_level *lv = &b->levels[k];
	if (!lv->cids) {
		size_t m = b->layout.max_links;
		lv->cids = r1_calloc(m, sizeof(*lv->cids));
		lv->tsizes = r1_calloc(m, sizeof(*lv->tsizes));
		lv->filesizes = r1_calloc(m, sizeof(*lv->filesizes));
		if (!lv->cids || !lv->tsizes || !lv->filesizes) {
			level_release(lv);
			return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory building a DAG");
		}
	}
	lv->cids[lv->n] = *cid;
	lv->tsizes[lv->n] = tsize;
	lv->filesizes[lv->n] = filesize;
	lv->n++;
	if (lv->n == b->layout.max_links)
		return close_level(b, k, why);
	return R1_OK;
}

/* The chunk in b->frame becomes a leaf. */
static enum r1_err flush_leaf(struct dag_builder *b, char **why)
{
	uint8_t *chunk = b->frame + UNIXFS_LEAF_HDR_MAX;
	size_t len = b->chunk_len;
	struct r1fs_cid cid;
	enum r1_err e;
	uint64_t tsize;
	if (b->layout.raw_leaves) {
		r1fs_cid_of_block(1, R1FS_CODEC_RAW, chunk, len, &cid);
		e = emit(b, &cid, chunk, len, -1, why);
		tsize = len;
	} else {
		uint8_t hdr[UNIXFS_LEAF_HDR_MAX], trl[UNIXFS_LEAF_TRL_MAX];
		size_t hdr_len, trl_len;
		unixfs_leaf_frame(len, hdr, &hdr_len, trl, &trl_len);
		uint8_t *start = chunk - hdr_len;
		memcpy(start, hdr + UNIXFS_LEAF_HDR_MAX - hdr_len, hdr_len);
		memcpy(chunk + len, trl, trl_len);
		size_t block_len = hdr_len + len + trl_len;
		r1fs_cid_of_block(b->layout.cid_version, R1FS_CODEC_DAGPB, start, block_len, &cid);
		e = emit(b, &cid, start, block_len, 0, why);
		tsize = block_len;
	}
	if (e)
		return e;
	b->chunk_len = 0;
	b->leaves++;
	return push(b, 0, &cid, tsize, len, why);
}

enum r1_err dag_builder_write(struct dag_builder *b, const void *data, size_t len, char **why)
{
	const uint8_t *p = data;
	if (b->finished)
		return r1_fail(why, R1_ERR_STATE, "r1fs: write after the DAG was finished");
	while (len > 0) {
		size_t room = b->layout.chunk_size - b->chunk_len;
		size_t take = R1_MIN(room, len);
		memcpy(b->frame + UNIXFS_LEAF_HDR_MAX + b->chunk_len, p, take);
		b->chunk_len += take;
		p += take;
		len -= take;
		if (b->chunk_len == b->layout.chunk_size) {
			enum r1_err e = flush_leaf(b, why);
			if (e)
				return e;
		}
	}
	return R1_OK;
}

static size_t top_level(const struct dag_builder *b)
{
	size_t top = 0;
	for (size_t k = 0; k < DAG_MAX_LEVELS; k++)
		if (b->levels[k].n > 0)
			top = k;
	return top;
}

enum r1_err dag_builder_finish(struct dag_builder *b, struct dag_result *out, char **why)
{
	if (b->finished)
		return r1_fail(why, R1_ERR_STATE, "r1fs: DAG finished twice");
	b->finished = true;
	enum r1_err e;
	/* A partial chunk is a leaf; so is the empty chunk of an empty file. */
	if (b->chunk_len > 0 || b->leaves == 0) {
		e = flush_leaf(b, why);
		if (e)
			return e;
	}
	for (size_t k = 0; k < top_level(b); k++) {
		if (b->levels[k].n > 0) {
			e = close_level(b, k, why);
			if (e)
				return e;
		}
	}
	size_t top = top_level(b);
	struct dag_level *lv = &b->levels[top];
	if (lv->n > 1) {
		e = close_level(b, top, why);
		if (e)
			return e;
		lv = &b->levels[top + 1];
	}
	out->root = lv->cids[0];
	out->tsize = lv->tsizes[0];
	out->filesize = lv->filesizes[0];
	out->nblocks = b->nblocks;
	return R1_OK;
}
