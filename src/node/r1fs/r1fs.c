/*
 * The R1FS store of one node (see r1fs.h): the reference's add/get of
 * encrypted files, IPFS-style cat/ls/stat, blocks for the exchange, pins,
 * garbage collection and the quota, over the block store.  The pieces it
 * joins live in their own files (cid, dagpb, unixfs, dagbuilder, dagreader,
 * seal, unseal, pytree, yaml, blockstore, prefetch, ipfs); what is here is
 * the order in which they run, for the built-in store and for an IPFS
 * backend, and the locking that makes the long operations safe on a worker
 * thread.  Not here: the network exchange, the HTTP API, the admin plugin
 * (they use the block interface and the fetch hook).
 */
#include "node/lib.h"
#include "node/r1fs/r1fs.h"

#include "core/hash.h"
#include "node/r1fs/dagbuilder.h"
#include "node/r1fs/dagpb.h"
#include "node/r1fs/dagreader.h"
#include "node/r1fs/ipfs.h"
#include "node/r1fs/prefetch.h"
#include "node/r1fs/pytree.h"
#include "node/r1fs/schema.h"
#include "node/r1fs/seal.h"
#include "node/r1fs/unixfs.h"
#include "node/r1fs/unseal.h"
#include "node/r1fs/yaml.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <sys/stat.h>

#define IO_CHUNK (1024u * 1024u)

struct r1fs {
	char *dir; /* <node_dir>/r1fs */
	sqlite3 *db;
	struct blockstore *bs;
	struct r1_log *log;
	enum r1fs_sync sync;
	pthread_rwlock_t
	    gc_lock; /* shared: everything that reads or stores blocks; exclusive: gc */
	r1fs_fetch_fn fetch;
	void *fetch_ctx;
	struct r1fs_ipfs *ipfs; /* the IPFS backend; then bs is NULL */
};

/* What the built-in store does and an IPFS backend does not. */
static enum r1_err no_store(const char *what, char **why)
{
	return r1_fail(why, R1_ERR_STATE, "r1fs: %s is not available with an IPFS backend", what);
}

/* ------------------------------------------------------------ open/close */

enum r1_err r1fs_open(const char *node_dir, sqlite3 *db, const struct r1fs_options *opt,
                      struct r1fs **out, char **why)
{
	static const struct r1fs_options defaults = R1FS_OPTIONS_INIT;
	if (!opt)
		opt = &defaults;
	if (opt->ipfs_api && *opt->ipfs_api) {
		struct r1fs *r = r1_calloc(1, sizeof(*r));
		if (!r)
			return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
		r->log = opt->log;
		r->sync = opt->sync;
		pthread_rwlock_init(&r->gc_lock, NULL);
		enum r1_err e = r1fs_ipfs_new(opt->ipfs_api, opt->ipfs_timeout_ms, &r->ipfs, why);
		if (e) {
			r1fs_free(&r);
			return e;
		}
		*out = r;
		return R1_OK;
	}
	enum r1_err e = r1fs_schema_migrate(db, why);
	if (e)
		return e;
	struct r1fs *r = r1_calloc(1, sizeof(*r));
	if (!r)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	struct buf dir = BUF_INIT;
	buf_addf(&dir, "%s/r1fs", node_dir);
	r->dir = buf_detach(&dir, NULL);
	if (!r->dir) {
		r1_free(r);
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	}
	r->db = db;
	r->log = opt->log;
	r->sync = opt->sync;
	pthread_rwlock_init(&r->gc_lock, NULL);
	e = blockstore_open(r->dir, db, opt->sync, opt->log, &r->bs, why);
	if (e) {
		r1fs_free(&r);
		return e;
	}
	blockstore_set_quota(r->bs, opt->quota_bytes);
	blockstore_set_pack_max(r->bs, opt->pack_bytes);
	*out = r;
	return R1_OK;
}

void r1fs_free(struct r1fs **rp)
{
	struct r1fs *r = *rp;
	if (!r)
		return;
	blockstore_free(&r->bs);
	r1fs_ipfs_free(&r->ipfs);
	pthread_rwlock_destroy(&r->gc_lock);
	r1_free(r->dir);
	r1_free(r);
	*rp = NULL;
}

void r1fs_set_fetcher(struct r1fs *r, r1fs_fetch_fn fn, void *ctx)
{
	r->fetch = fn;
	r->fetch_ctx = ctx;
}

void r1fs_set_quota(struct r1fs *r, uint64_t bytes)
{
	if (r->bs)
		blockstore_set_quota(r->bs, bytes);
}

/* ------------------------------------------------------------ blocks */

bool r1fs_has_block(struct r1fs *r, const struct r1fs_cid *cid)
{
	return r->bs && blockstore_has(r->bs, cid->digest);
}

/* The links of a decoded dag-pb node into a plain array. */
static enum r1_err links_copy(const struct dagpb_node *node, struct r1fs_links *out, char **why)
{
	memset(out, 0, sizeof(*out));
	if (node->nlinks == 0)
		return R1_OK;
	out->items = r1_calloc(node->nlinks, sizeof(*out->items));
	if (!out->items)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	for (size_t i = 0; i < node->nlinks; i++) {
		out->items[i].cid = node->links[i].cid;
		out->items[i].tsize = node->links[i].tsize;
	}
	out->n = node->nlinks;
	return R1_OK;
}

/* put_block without the gc lock, for callers that already hold it. */
static enum r1_err store_block_how(struct r1fs *r, const struct r1fs_cid *cid, const uint8_t *data,
                                   size_t len, bool unsynced, struct r1fs_links *children,
                                   char **why)
{
	char text[R1FS_CID_TEXT_MAX];
	r1fs_cid_format(cid, text);
	if (len > R1FS_BLOCK_MAX)
		return r1_fail(why, R1_ERR_TOOBIG, "r1fs: block %s of %zu bytes is too large", text,
		               len);
	uint8_t digest[SHA256_LEN];
	sha256(data, len, digest);
	if (memcmp(digest, cid->digest, SHA256_LEN) != 0)
		return r1_fail(why, R1_ERR_CRYPTO, "r1fs: block does not match its CID %s", text);
	int links = -1;
	if (cid->codec == R1FS_CODEC_DAGPB) {
		struct dagpb_node node;
		enum r1_err e = dagpb_decode(data, len, &node, why);
		if (e) {
			r1_why_prefix(why, "r1fs: block %s", text);
			return e;
		}
		links = (int)node.nlinks;
		e = children ? links_copy(&node, children, why) : R1_OK;
		dagpb_node_release(&node);
		if (e)
			return e;
	}
	return unsynced ? blockstore_put_unsynced(r->bs, cid->digest, data, len, links, why)
	                : blockstore_put(r->bs, cid->digest, data, len, links, why);
}

static enum r1_err store_block(struct r1fs *r, const struct r1fs_cid *cid, const uint8_t *data,
                               size_t len, char **why)
{
	return store_block_how(r, cid, data, len, false, NULL, why);
}

enum r1_err r1fs_put_fetched(struct r1fs *r, const struct r1fs_cid *cid, const uint8_t *data,
                             size_t len, struct r1fs_links *children, char **why)
{
	if (!r->bs)
		return no_store("put_block", why);
	pthread_rwlock_rdlock(&r->gc_lock);
	enum r1_err e = store_block_how(r, cid, data, len, true, children, why);
	pthread_rwlock_unlock(&r->gc_lock);
	return e;
}

enum r1_err r1fs_block_links(struct r1fs *r, const struct r1fs_cid *cid, int *links, char **why)
{
	if (!r->bs)
		return no_store("block_links", why);
	return blockstore_links(r->bs, cid->digest, links, why);
}

enum r1_err r1fs_read_links(const struct r1fs_cid *cid, const uint8_t *data, size_t len,
                            struct r1fs_links *out, char **why)
{
	memset(out, 0, sizeof(*out));
	if (cid->codec != R1FS_CODEC_DAGPB)
		return R1_OK;
	struct dagpb_node node;
	enum r1_err e = dagpb_decode(data, len, &node, why);
	if (e)
		return e;
	e = links_copy(&node, out, why);
	dagpb_node_release(&node);
	return e;
}

void r1fs_links_release(struct r1fs_links *l)
{
	r1_free(l->items);
	memset(l, 0, sizeof(*l));
}

enum r1_err r1fs_put_block(struct r1fs *r, const struct r1fs_cid *cid, const uint8_t *data,
                           size_t len, char **why)
{
	if (!r->bs)
		return no_store("put_block", why);
	/* Under the gc lock: a sweep must not see the file before its index row. */
	pthread_rwlock_rdlock(&r->gc_lock);
	enum r1_err e = store_block(r, cid, data, len, why);
	pthread_rwlock_unlock(&r->gc_lock);
	return e;
}

/*
 * What a walk reads blocks for: the store, and the root of the DAG the
 * caller named, which the fetch hook gets as a hint (the exchange fetches
 * the rest of that DAG ahead).
 */
struct walk {
	struct r1fs *r;
	struct r1fs_cid root;
};

/*
 * The block getter of every walk (ctx: struct walk): local store first,
 * then the fetch hook.  With a fetcher, a local copy found corrupted is
 * dropped and fetched again; without one the corruption is the answer.
 * The reasons of the local misses stay here: on success *why is untouched.
 */
static enum r1_err block_get(void *ctx, const struct r1fs_cid *cid, struct buf *out, char **why)
{
	struct walk *w = ctx;
	struct r1fs *r = w->r;
	if (r->ipfs) /* checked against the CID there */
		return r1fs_ipfs_block_get(r->ipfs, cid, out, why);
	char *local = NULL;
	enum r1_err e = blockstore_get(r->bs, cid->digest, out, &local);
	if (e == R1_ERR_CRYPTO && r->fetch) {
		char text[R1FS_CID_TEXT_MAX];
		r1fs_cid_format(cid, text);
		LOG_W(r->log, "r1fs", "block %s is corrupted on disk; fetching it again", text);
		e = blockstore_remove(r->bs, cid->digest, &local);
		if (!e)
			e = R1_ERR_NOTFOUND;
	}
	if (e != R1_ERR_NOTFOUND || !r->fetch) {
		if (e && why) {
			r1_free(*why);
			*why = local;
			local = NULL;
		}
		r1_free(local);
		return e;
	}
	r1_free(local);
	e = r->fetch(r->fetch_ctx, &w->root, cid, out, why);
	if (e)
		return e;
	return store_block(r, cid, (const uint8_t *)out->data, out->len, why);
}

enum r1_err r1fs_get_block(struct r1fs *r, const struct r1fs_cid *cid, struct buf *out, char **why)
{
	if (r->ipfs)
		return r1fs_ipfs_block_get(r->ipfs, cid, out, why);
	return blockstore_get(r->bs, cid->digest, out, why);
}

enum r1_err r1fs_serve_block(struct r1fs *r, const struct r1fs_cid *cid, struct buf *out,
                             char **why)
{
	if (!r->bs)
		return no_store("serve_block", why);
	return blockstore_get_unchecked(r->bs, cid->digest, out, why);
}

enum r1_err r1fs_locate_block(struct r1fs *r, const struct r1fs_cid *cid, char **pack_path,
                              uint64_t *offset, size_t *len, char **why)
{
	if (!r->bs)
		return no_store("locate_block", why);
	return blockstore_locate(r->bs, cid->digest, pack_path, offset, len, why);
}

/* ------------------------------------------------------------ pins (rows) */

/* Pin a CID; name (may be NULL) is the decrypted file's name when known. */
/*
 * Insert or keep the pin row.  A name the node decrypted (`hint` false)
 * replaces the one it had; a client's (`hint` true) only fills a gap.
 */
static enum r1_err pin_row(struct r1fs *r, const char *cid, uint64_t size, const char *name,
                           bool hint, char **why)
{
	static const char *const sql[2] = {
	    "INSERT INTO r1fs_pins(cid, size, created, name) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT(cid) DO UPDATE SET name = COALESCE(excluded.name, name)",
	    "INSERT INTO r1fs_pins(cid, size, created, name) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT(cid) DO UPDATE SET name = COALESCE(name, excluded.name)",
	};
	sqlite3_stmt *st = NULL;
	enum r1_err e = R1_OK;
	blockstore_db_lock(r->bs);
	if (sqlite3_prepare_v2(r->db, sql[hint], -1, &st, NULL) != SQLITE_OK) {
		e = r1_fail(why, R1_ERR_DB, "r1fs: pin: %s", sqlite3_errmsg(r->db));
	} else {
		sqlite3_bind_text(st, 1, cid, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
		if (name)
			sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 4);
		if (sqlite3_step(st) != SQLITE_DONE)
			e = r1_fail(why, R1_ERR_DB, "r1fs: pin: %s", sqlite3_errmsg(r->db));
	}
	sqlite3_finalize(st);
	blockstore_db_unlock(r->bs);
	return e;
}

bool r1fs_is_pinned(struct r1fs *r, const char *cid)
{
	if (r->ipfs) {
		struct r1fs_pin *pins = NULL;
		size_t n = 0;
		bool pinned = false;
		if (r1fs_list_pins(r, &pins, &n, NULL) == R1_OK)
			for (size_t i = 0; i < n && !pinned; i++)
				pinned = strcmp(pins[i].cid, cid) == 0;
		r1fs_pins_free(pins, n);
		return pinned;
	}
	sqlite3_stmt *st = NULL;
	bool pinned = false;
	blockstore_db_lock(r->bs);
	if (sqlite3_prepare_v2(r->db, "SELECT 1 FROM r1fs_pins WHERE cid = ?1", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, cid, -1, SQLITE_STATIC);
		pinned = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	blockstore_db_unlock(r->bs);
	return pinned;
}

enum r1_err r1fs_unpin(struct r1fs *r, const char *cid, char **why)
{
	if (r->ipfs)
		return r1fs_ipfs_pin_rm(r->ipfs, cid, why);
	sqlite3_stmt *st = NULL;
	enum r1_err e = R1_OK;
	blockstore_db_lock(r->bs);
	if (sqlite3_prepare_v2(r->db, "DELETE FROM r1fs_pins WHERE cid = ?1", -1, &st, NULL) !=
	    SQLITE_OK) {
		e = r1_fail(why, R1_ERR_DB, "r1fs: unpin: %s", sqlite3_errmsg(r->db));
	} else {
		sqlite3_bind_text(st, 1, cid, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			e = r1_fail(why, R1_ERR_DB, "r1fs: unpin: %s", sqlite3_errmsg(r->db));
		else if (sqlite3_changes(r->db) == 0)
			e = r1_fail(why, R1_ERR_NOTFOUND, "r1fs: %s is not pinned", cid);
	}
	sqlite3_finalize(st);
	blockstore_db_unlock(r->bs);
	return e;
}

enum r1_err r1fs_list_pins(struct r1fs *r, struct r1fs_pin **pins, size_t *n, char **why)
{
	sqlite3_stmt *st = NULL;
	enum r1_err e = R1_OK;
	struct r1fs_pin *list = NULL;
	size_t count = 0, cap = 0;
	*pins = NULL;
	*n = 0;
	if (r->ipfs) { /* the node knows neither sizes nor times */
		char **cids = NULL;
		e = r1fs_ipfs_pin_ls(r->ipfs, &cids, &count, why);
		if (!e && count && !(list = r1_calloc(count, sizeof(*list))))
			e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
		for (size_t i = 0; i < count; i++) {
			if (list)
				snprintf(list[i].cid, sizeof(list[i].cid), "%s", cids[i]);
			r1_free(cids[i]);
		}
		r1_free(cids);
		if (!e) {
			*pins = list;
			*n = count;
		}
		return e;
	}
	blockstore_db_lock(r->bs);
	if (sqlite3_prepare_v2(r->db,
	                       "SELECT cid, size, created, name FROM r1fs_pins ORDER BY created, cid",
	                       -1, &st, NULL) != SQLITE_OK) {
		e = r1_fail(why, R1_ERR_DB, "r1fs: list pins: %s", sqlite3_errmsg(r->db));
		goto out;
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct r1fs_pin *l = r1_reallocarray(list, ncap, sizeof(*l));
			if (!l) {
				e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
				goto out;
			}
			list = l;
			cap = ncap;
		}
		struct r1fs_pin *p = &list[count++];
		memset(p, 0, sizeof(*p));
		const char *cid = (const char *)sqlite3_column_text(st, 0);
		snprintf(p->cid, sizeof(p->cid), "%s", cid ? cid : "");
		p->size = (uint64_t)sqlite3_column_int64(st, 1);
		p->created = sqlite3_column_int64(st, 2);
		const char *name = (const char *)sqlite3_column_text(st, 3);
		if (name && !(p->name = r1_strdup(name))) {
			e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		e = r1_fail(why, R1_ERR_DB, "r1fs: list pins: %s", sqlite3_errmsg(r->db));
out:
	sqlite3_finalize(st);
	blockstore_db_unlock(r->bs);
	if (e) {
		r1fs_pins_free(list, count);
		return e;
	}
	*pins = list;
	*n = count;
	return R1_OK;
}

void r1fs_pins_free(struct r1fs_pin *pins, size_t n)
{
	for (size_t i = 0; pins && i < n; i++)
		r1_free(pins[i].name);
	r1_free(pins);
}

enum r1_err r1fs_store_stat(struct r1fs *r, struct r1fs_store_stat *out, char **why)
{
	memset(out, 0, sizeof(*out));
	if (r->ipfs) { /* the repo as the node counts it; no packs of ours */
		struct r1fs_ipfs_repo repo;
		char **cids = NULL;
		size_t count = 0;
		enum r1_err e = r1fs_ipfs_repo_stat(r->ipfs, &repo, why);
		if (!e)
			e = r1fs_ipfs_pin_ls(r->ipfs, &cids, &count, why);
		for (size_t i = 0; i < count; i++)
			r1_free(cids[i]);
		r1_free(cids);
		if (e)
			return e;
		if (repo.objects > INT64_MAX || count > INT64_MAX)
			return r1_fail(why, R1_ERR_PROTO,
			               "r1fs: the IPFS node's counts are absurd");
		out->used_bytes = out->disk_bytes = repo.size;
		out->quota_bytes = repo.max;
		out->blocks = (int64_t)repo.objects;
		out->pins = (int64_t)count;
		return R1_OK;
	}
	out->used_bytes = blockstore_used(r->bs);
	out->quota_bytes = blockstore_quota(r->bs);
	out->blocks = blockstore_count(r->bs);
	enum r1_err e = blockstore_disk_usage(r->bs, &out->packs, &out->disk_bytes, why);
	if (e)
		return e;
	sqlite3_stmt *st = NULL;
	out->pins = -1;
	blockstore_db_lock(r->bs);
	if (sqlite3_prepare_v2(r->db, "SELECT COUNT(*) FROM r1fs_pins", -1, &st, NULL) ==
	        SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		out->pins = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	blockstore_db_unlock(r->bs);
	if (out->blocks < 0 || out->pins < 0)
		return r1_fail(why, R1_ERR_DB, "r1fs: reading the store's counters failed");
	return R1_OK;
}

/* ------------------------------------------------------------ DAG walks */

/* A stack of CIDs still to visit (pin and gc walk whole DAGs). */
struct cid_stack {
	struct r1fs_cid *items;
	size_t n, cap;
};

static bool cid_push(struct cid_stack *s, const struct r1fs_cid *cid)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? 2 * s->cap : 64;
		struct r1fs_cid *items = r1_reallocarray(s->items, ncap, sizeof(*items));
		if (!items)
			return false;
		s->items = items;
		s->cap = ncap;
	}
	s->items[s->n++] = *cid;
	return true;
}

/*
 * Visit every block of the DAG at root.  `mark` (gc) records each block
 * and skips subtrees seen before; without it (pin) every block must be
 * present or fetchable.  Leaves are checked through the index, not read.
 */
static enum r1_err walk_dag(struct r1fs *r, const struct r1fs_cid *root, bool mark, char **why)
{
	struct walk w = {r, *root};
	struct cid_stack stack = {0};
	struct buf block = BUF_INIT;
	enum r1_err e = R1_OK;
	if (!cid_push(&stack, root))
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	while (stack.n > 0 && !e) {
		struct r1fs_cid cid = stack.items[--stack.n];
		char text[R1FS_CID_TEXT_MAX];
		r1fs_cid_format(&cid, text);
		if (mark) {
			bool already = false;
			e = blockstore_gc_mark(r->bs, cid.digest, &already, why);
			if (e || already)
				continue;
		}
		int links = 0;
		enum r1_err le = blockstore_links(r->bs, cid.digest, &links, NULL);
		if (le == R1_ERR_NOTFOUND) {
			if (mark)
				continue; /* nothing to keep below a block we do not have */
			e = block_get(&w, &cid, &block, why);
			if (e) {
				if (e == R1_ERR_NOTFOUND)
					e = r1_fail(why, R1_ERR_NOTFOUND,
					            "r1fs: block %s is missing", text);
				break;
			}
			links = cid.codec == R1FS_CODEC_RAW ? -1 : 1;
		} else if (le) {
			e = r1_fail(why, le, "r1fs: index lookup failed for %s", text);
			break;
		}
		if (cid.codec == R1FS_CODEC_RAW || links <= 0)
			continue;
		e = block_get(&w, &cid, &block, why);
		if (e)
			break;
		struct dagpb_node node;
		e = dagpb_decode((const uint8_t *)block.data, block.len, &node, why);
		if (e)
			break;
		for (size_t i = node.nlinks; i > 0 && !e; i--)
			if (!cid_push(&stack, &node.links[i - 1].cid))
				e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
		dagpb_node_release(&node);
	}
	r1_free(stack.items);
	buf_release(&block);
	return e;
}

/* Cumulative size of the DAG at cid: its block plus its links' sizes. */
static enum r1_err dag_cumulative(struct r1fs *r, const struct r1fs_cid *cid, uint64_t *size,
                                  char **why)
{
	struct walk w = {r, *cid};
	struct buf block = BUF_INIT;
	enum r1_err e = block_get(&w, cid, &block, why);
	if (!e) {
		*size = block.len;
		if (cid->codec == R1FS_CODEC_DAGPB) {
			struct dagpb_node node;
			e = dagpb_decode((const uint8_t *)block.data, block.len, &node, why);
			for (size_t i = 0; !e && i < node.nlinks; i++)
				*size += node.links[i].tsize;
			if (!e)
				dagpb_node_release(&node);
		}
	}
	buf_release(&block);
	return e;
}

bool r1fs_pin_name_ok(const char *name, size_t len)
{
	if (!name || len == 0 || len > 255 || strlen(name) != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f || c == '/')
			return false;
	}
	return true;
}

enum r1_err r1fs_pin(struct r1fs *r, const char *cid_text, char **why)
{
	return r1fs_pin_named(r, cid_text, NULL, why);
}

enum r1_err r1fs_pin_named(struct r1fs *r, const char *cid_text, const char *name, char **why)
{
	struct r1fs_cid cid;
	enum r1_err e = r1fs_cid_parse(cid_text, &cid, why);
	if (e)
		return e;
	char canon[R1FS_CID_TEXT_MAX];
	r1fs_cid_format(&cid, canon);
	if (r->ipfs)
		return r1fs_ipfs_pin_add(r->ipfs, canon, why);
	pthread_rwlock_rdlock(&r->gc_lock);
	uint64_t size = 0;
	e = walk_dag(r, &cid, false, why);
	if (!e)
		e = dag_cumulative(r, &cid, &size, why);
	if (!e)
		e = pin_row(r, canon, size, name, true, why);
	pthread_rwlock_unlock(&r->gc_lock);
	return e;
}

enum r1_err r1fs_gc(struct r1fs *r, int64_t grace, struct r1fs_gc_stats *out, char **why)
{
	return r1fs_gc_with_progress(r, grace, NULL, NULL, out, why);
}

enum r1_err r1fs_gc_with_progress(struct r1fs *r, int64_t grace, r1fs_progress_fn progress,
                                  void *ctx, struct r1fs_gc_stats *out, char **why)
{
	memset(out, 0, sizeof(*out));
	if (!r->bs)
		return no_store("gc (the IPFS node collects its own garbage)", why);
	struct r1fs_pin *pins = NULL;
	size_t n = 0;
	pthread_rwlock_wrlock(&r->gc_lock);
	enum r1_err e = r1fs_list_pins(r, &pins, &n, why);
	if (!e)
		e = blockstore_gc_begin(r->bs, why);
	for (size_t i = 0; i < n && !e; i++) {
		struct r1fs_cid cid;
		if (r1fs_cid_parse(pins[i].cid, &cid, NULL) != R1_OK)
			continue;
		e = walk_dag(r, &cid, true, why);
	}
	struct blockstore_gc_stats gs = {0};
	if (!e)
		e = blockstore_gc_sweep(r->bs, (int64_t)time(NULL) - grace, progress, ctx, &gs,
		                        why);
	*out = (struct r1fs_gc_stats){gs.blocks_removed, gs.bytes_removed, gs.packs_compacted,
	                              gs.packs_deleted, gs.disk_freed};
	pthread_rwlock_unlock(&r->gc_lock);
	r1fs_pins_free(pins, n);
	if (!e)
		LOG_I(r->log, "r1fs",
		      "gc removed %" PRIu64 " blocks (%" PRIu64 " bytes), compacted %" PRIu64
		      " packs, freed %" PRIu64 " bytes on disk",
		      out->blocks_removed, out->bytes_removed, out->packs_compacted,
		      out->disk_freed);
	return e;
}

/* ------------------------------------------------------------ adding */

/* Where an add's plain bytes come from: read (0 at the end), and start over. */
struct source {
	enum r1_err (*read)(void *ctx, uint8_t *buf, size_t cap, size_t *got, char **why);
	enum r1_err (*rewind)(void *ctx, char **why);
	void *ctx;
};

struct fd_source {
	int fd;
	const char *path;
};

static enum r1_err fd_read(void *ctx, uint8_t *buf, size_t cap, size_t *got, char **why)
{
	struct fd_source *s = ctx;
	size_t n = 0;
	while (n < cap) {
		ssize_t k = read(s->fd, buf + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return r1_fail(why, R1_ERR_IO, "r1fs: reading %s: %s", s->path,
			               strerror(errno));
		if (k == 0)
			break;
		n += (size_t)k;
	}
	*got = n;
	return R1_OK;
}

static enum r1_err fd_rewind(void *ctx, char **why)
{
	struct fd_source *s = ctx;
	if (lseek(s->fd, 0, SEEK_SET) != 0)
		return r1_fail(why, R1_ERR_IO, "r1fs: rewinding %s: %s", s->path, strerror(errno));
	return R1_OK;
}

struct mem_source {
	const uint8_t *data;
	size_t len, at;
};

static enum r1_err mem_read(void *ctx, uint8_t *buf, size_t cap, size_t *got, char **why)
{
	struct mem_source *s = ctx;
	size_t n = R1_MIN(cap, s->len - s->at);
	if (n)
		memcpy(buf, s->data + s->at, n);
	s->at += n;
	*got = n;
	return R1_OK;
}

static enum r1_err mem_rewind(void *ctx, char **why)
{
	((struct mem_source *)ctx)->at = 0;
	return R1_OK;
}

static enum r1_err sink_store(void *ctx, const struct r1fs_cid *cid, const uint8_t *block,
                              size_t len, int nlinks, char **why)
{
	return blockstore_batch_put(ctx, cid->digest, block, len, nlinks, why);
}

/* An upper bound of the bytes a DAG over `bytes` of content occupies. */
static uint64_t dag_estimate(uint64_t bytes)
{
	uint64_t leaves = bytes / DAG_KUBO_CHUNK + 1;
	uint64_t inner = leaves / (DAG_KUBO_MAX_LINKS - 1) + 2;
	return bytes + leaves * 16 + inner * (DAG_KUBO_MAX_LINKS * 48 + 64) + 512;
}

static void nonce_for(int64_t nonce, uint8_t out[R1FS_NONCE_LEN])
{
	if (nonce == R1FS_NONCE_RANDOM) {
		random_bytes(out, R1FS_NONCE_LEN);
		return;
	}
	/* Python seeds with |n|; written so that INT64_MIN does not overflow. */
	uint64_t seed = nonce < 0 ? (uint64_t)(-(nonce + 1)) + 1 : (uint64_t)nonce;
	r1fs_nonce_from_int(seed, out);
}

/*
 * The reference's encrypted file, produced on demand from a source:
 * header, encrypted content, tag.  Every byte produced also goes to `dag`
 * (the DAG builder that names it), so an upload is hashed as it is sent.
 */
struct sealed {
	struct source *src;
	uint64_t size, done;
	const char *name;
	struct r1fs_seal *seal;
	const uint8_t *header;
	size_t header_len, header_at;
	uint8_t tag[R1FS_TAG_LEN];
	size_t tag_at;
	bool tagged;
	uint8_t *in; /* IO_CHUNK */
	struct dag_builder *dag;
	const struct r1fs_add_opts *o; /* progress, when report */
	bool report;
};

static enum r1_err sealed_open(struct sealed *s, struct source *src, uint64_t size,
                               const char *name, const uint8_t key[R1FS_KEY_LEN],
                               const uint8_t nonce[R1FS_NONCE_LEN], struct dag_builder *dag,
                               const struct r1fs_add_opts *o, bool report, char **why)
{
	memset(s, 0, sizeof(*s));
	s->src = src;
	s->size = size;
	s->name = name;
	s->dag = dag;
	s->o = o;
	s->report = report;
	s->in = r1_malloc(IO_CHUNK);
	if (!s->in)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	enum r1_err e = r1fs_seal_new(key, nonce, name, &s->seal, why);
	if (!e)
		s->header = r1fs_seal_header(s->seal, &s->header_len);
	return e;
}

static void sealed_close(struct sealed *s)
{
	r1fs_seal_free(&s->seal);
	r1_free(s->in);
	s->in = NULL;
}

/* Bytes of the encrypted file. */
static uint64_t sealed_size(const struct sealed *s)
{
	return s->header_len + s->size + R1FS_TAG_LEN;
}

static enum r1_err sealed_emit(struct sealed *s, const uint8_t *p, size_t n, char **why)
{
	return s->dag && n ? dag_builder_write(s->dag, p, n, why) : R1_OK;
}

/* A httpc_body_fn as well: up to cap (at least R1FS_TAG_LEN) bytes, *n = 0 at the end. */
static enum r1_err sealed_read(void *ctx, uint8_t *out, size_t cap, size_t *n, char **why)
{
	struct sealed *s = ctx;
	*n = 0;
	if (s->header_at < s->header_len) {
		*n = R1_MIN(cap, s->header_len - s->header_at);
		memcpy(out, s->header + s->header_at, *n);
		s->header_at += *n;
		return sealed_emit(s, out, *n, why);
	}
	while (!s->tagged) {
		size_t got = 0;
		enum r1_err e =
		    s->src->read(s->src->ctx, s->in, R1_MIN(cap, (size_t)IO_CHUNK), &got, why);
		if (e)
			return e;
		if (got == 0) {
			if (s->done != s->size)
				return r1_fail(why, R1_ERR_IO,
				               "r1fs: %s shrank while it was being added", s->name);
			if ((e = r1fs_seal_final(s->seal, s->tag, why)))
				return e;
			s->tagged = true;
			break;
		}
		if (s->done + got > s->size)
			return r1_fail(why, R1_ERR_IO, "r1fs: %s grew while it was being added",
			               s->name);
		if ((e = r1fs_seal_update(s->seal, s->in, got, out, why)))
			return e;
		s->done += got;
		*n = got;
		if (s->report && s->o->progress &&
		    !s->o->progress(s->o->progress_ctx, s->done, s->size))
			return r1_fail(why, R1_ERR_CANCELLED, "r1fs: adding %s was cancelled",
			               s->name);
		return sealed_emit(s, out, got, why);
	}
	*n = R1_MIN(cap, R1FS_TAG_LEN - s->tag_at);
	memcpy(out, s->tag + s->tag_at, *n);
	s->tag_at += *n;
	return sealed_emit(s, out, *n, why);
}

/* Run a sealed stream to its end into its DAG builder (the local add, or a hashing pass). */
static enum r1_err sealed_drain(struct sealed *s, uint8_t *buf, char **why)
{
	for (;;) {
		size_t n = 0;
		enum r1_err e = sealed_read(s, buf, IO_CHUNK, &n, why);
		if (e || n == 0)
			return e;
	}
}

/* The directory `ipfs add -w` makes around the file, with a name of ours. */
static enum r1_err add_wrapper(const struct dag_result *file, unsigned cid_version,
                               struct blockstore_batch *batch, struct r1fs_added *out, char **why)
{
	uint8_t bin[R1FS_CID_BIN_MAX], h[SHA256_LEN];
	sha256(bin, r1fs_cid_to_bytes(&file->root, bin), h);
	char hex[2 * SHA256_LEN + 1];
	r1fs_digest_hex(h, hex);
	snprintf(out->link_name, sizeof(out->link_name), "%.32s.bin", hex);
	const char *names[1] = {out->link_name};
	struct buf node = BUF_INIT;
	unixfs_encode_dir(&file->root, names, &file->tsize, 1, &node);
	if (!buf_ok(&node)) {
		buf_release(&node);
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	}
	struct r1fs_cid dir;
	r1fs_cid_of_block(cid_version, R1FS_CODEC_DAGPB, node.data, node.len, &dir);
	enum r1_err e = batch ? blockstore_batch_put(batch, dir.digest, (const uint8_t *)node.data,
	                                             node.len, 1, why)
	                      : R1_OK;
	out->size = node.len + file->tsize;
	r1fs_cid_format(&dir, out->cid);
	r1fs_cid_format(&file->root, out->file_cid);
	buf_release(&node);
	return e;
}

/*
 * The whole add of one sealed stream into this store (or, only_hash,
 * nowhere): DAG, wrapper, one batch of blocks, the pin.
 */
static enum r1_err add_local(struct r1fs *r, struct source *src, uint64_t size, const char *name,
                             const struct r1fs_add_opts *o, const uint8_t key[R1FS_KEY_LEN],
                             const uint8_t nonce[R1FS_NONCE_LEN], bool report,
                             struct r1fs_added *out, char **why)
{
	bool store = !o->only_hash && r->bs;
	struct blockstore_batch *batch = NULL;
	struct dag_builder *dag = NULL;
	struct sealed s = {0};
	uint8_t *enc = r1_malloc(IO_CHUNK);
	struct dag_layout layout;
	dag_layout_kubo(&layout, o->cid_version);
	if (store)
		pthread_rwlock_rdlock(&r->gc_lock);
	if (store)
		batch = blockstore_batch_new(r->bs, true); /* writes overlap the hashing */
	dag = dag_builder_new(&layout, batch ? sink_store : NULL, batch);
	enum r1_err e = enc && dag && (!store || batch)
	                    ? sealed_open(&s, src, size, name, key, nonce, dag, o, report, why)
	                    : r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	if (!e) {
		out->encrypted_size = sealed_size(&s);
		e = sealed_drain(&s, enc, why);
	}
	struct dag_result res;
	if (!e)
		e = dag_builder_finish(dag, &res, why);
	if (!e)
		e = add_wrapper(&res, o->cid_version, batch, out, why);
	if (!e && batch)
		e = blockstore_batch_commit(batch, why);
	if (!e && store && !o->no_pin)
		e = pin_row(r, out->cid, out->size, name, false, why);
	if (store)
		pthread_rwlock_unlock(&r->gc_lock);
	blockstore_batch_free(&batch);
	dag_builder_free(&dag);
	sealed_close(&s);
	r1_free(enc);
	return e;
}

/*
 * The add through an IPFS node.  The name inside the wrapping directory
 * derives from the encrypted file's CID, as in the built-in store, so a
 * first pass encrypts and hashes without sending; the second pass sends
 * the same bytes (same key and nonce), hashing them again: a source that
 * changed in between is caught.  What is returned is what the node
 * reports; a node that chunks differently (so its CIDs differ from ours)
 * is logged.
 */
static enum r1_err add_ipfs(struct r1fs *r, struct source *src, uint64_t size, const char *name,
                            const struct r1fs_add_opts *o, const uint8_t key[R1FS_KEY_LEN],
                            const uint8_t nonce[R1FS_NONCE_LEN], struct r1fs_added *out, char **why)
{
	struct r1fs_added local;
	memset(&local, 0, sizeof(local));
	enum r1_err e = add_local(r, src, size, name, o, key, nonce, false, &local, why);
	if (e || o->only_hash) {
		*out = local;
		return e;
	}
	struct dag_layout layout;
	dag_layout_kubo(&layout, o->cid_version);
	struct dag_builder *dag = dag_builder_new(&layout, NULL, NULL);
	struct sealed s = {0};
	struct r1fs_ipfs_added added;
	e = dag ? src->rewind(src->ctx, why) : r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	if (!e)
		e = sealed_open(&s, src, size, name, key, nonce, dag, o, true, why);
	if (!e)
		e = r1fs_ipfs_add(r->ipfs, local.link_name, sealed_size(&s), sealed_read, &s,
		                  o->cid_version, !o->no_pin, &added, why);
	struct dag_result res;
	if (!e)
		e = dag_builder_finish(dag, &res, why);
	char sent[R1FS_CID_TEXT_MAX];
	if (!e) {
		r1fs_cid_format(&res.root, sent);
		if (strcmp(sent, local.file_cid) != 0)
			e = r1_fail(why, R1_ERR_IO,
			            "r1fs: %s changed while it was being added (the node has %s)",
			            name, added.wrapper);
	}
	if (!e) {
		if (strcmp(added.file, local.file_cid) != 0 ||
		    strcmp(added.wrapper, local.cid) != 0)
			LOG_W(
			    r->log, "r1fs",
			    "the IPFS node names %s %s (directory %s) where kubo's defaults give %s"
			    " (%s): it chunks differently",
			    name, added.file, added.wrapper, local.file_cid, local.cid);
		*out = local;
		snprintf(out->cid, sizeof(out->cid), "%s", added.wrapper);
		snprintf(out->file_cid, sizeof(out->file_cid), "%s", added.file);
		if (added.wrapper_size)
			out->size = added.wrapper_size;
	}
	sealed_close(&s);
	dag_builder_free(&dag);
	return e;
}

static enum r1_err add_stream(struct r1fs *r, struct source *src, uint64_t size, const char *name,
                              const struct r1fs_add_opts *o, struct r1fs_added *out, char **why)
{
	static const struct r1fs_add_opts defaults = R1FS_ADD_OPTS_INIT;
	if (!o)
		o = &defaults;
	memset(out, 0, sizeof(*out));
	if (o->cid_version > 1)
		return r1_fail(why, R1_ERR_INVAL, "r1fs: CID version %u (0 or 1)", o->cid_version);
	if (size > R1FS_MAX_FILE_SIZE)
		return r1_fail(why, R1_ERR_TOOBIG,
		               "r1fs: %s is %" PRIu64 " bytes; the limit is 5 GiB", name, size);
	if (!o->only_hash && r->bs) {
		uint64_t used = blockstore_used(r->bs), quota = blockstore_quota(r->bs);
		uint64_t need = dag_estimate(size + 4096 + 6 * strlen(name)); /* + header, tag */
		if (quota && used + need > quota)
			return r1_fail(
			    why, R1_ERR_TOOBIG,
			    "r1fs: storage quota exceeded: adding %s needs up to %" PRIu64
			    " bytes but only %" PRIu64 " of the %" PRIu64 "-byte quota are free",
			    name, need, used < quota ? quota - used : 0, quota);
	}
	uint8_t key[R1FS_KEY_LEN], nonce[R1FS_NONCE_LEN];
	r1fs_key_from_secret(o->secret, key);
	nonce_for(o->nonce, nonce);
	enum r1_err e = r->ipfs ? add_ipfs(r, src, size, name, o, key, nonce, out, why)
	                        : add_local(r, src, size, name, o, key, nonce, true, out, why);
	OPENSSL_cleanse(key, sizeof(key));
	if (e) {
		memset(out, 0, sizeof(*out));
		return e;
	}
	LOG_I(r->log, "r1fs", "%s %s (%" PRIu64 " bytes) as %s", o->only_hash ? "hashed" : "added",
	      name, size, out->cid);
	return R1_OK;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

enum r1_err r1fs_add_file(struct r1fs *r, const char *path, const struct r1fs_add_opts *o,
                          struct r1fs_added *out, char **why)
{
	return r1fs_add_file_named(r, path, NULL, o, out, why);
}

enum r1_err r1fs_add_file_named(struct r1fs *r, const char *path, const char *name,
                                const struct r1fs_add_opts *o, struct r1fs_added *out,
                                char **why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return r1_fail(why, R1_ERR_IO, "r1fs: open %s: %s", path, strerror(errno));
	struct stat st;
	enum r1_err e;
	if (fstat(fd, &st) != 0)
		e = r1_fail(why, R1_ERR_IO, "r1fs: stat %s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		e = r1_fail(why, R1_ERR_INVAL, "r1fs: %s is not a regular file", path);
	else {
		struct fd_source fs = {fd, path};
		struct source src = {fd_read, fd_rewind, &fs};
		e = add_stream(r, &src, (uint64_t)st.st_size, name ? name : base_name(path), o,
		               out, why);
	}
	close(fd);
	return e;
}

enum r1_err r1fs_add_bytes(struct r1fs *r, const void *data, size_t len, const char *name,
                           const struct r1fs_add_opts *o, struct r1fs_added *out, char **why)
{
	struct mem_source ms = {data, len, 0};
	struct source src = {mem_read, mem_rewind, &ms};
	return add_stream(r, &src, len, name, o, out, why);
}

enum r1_err r1fs_add_json(struct r1fs *r, const char *json, size_t len, const char *fn,
                          const struct r1fs_add_opts *o, struct r1fs_added *out, char **why)
{
	struct pytree *v = NULL;
	enum r1_err e = pytree_parse(json, len, &v, why);
	if (e)
		return e;
	struct buf text = BUF_INIT;
	pytree_dump(v, &text);
	pytree_free(&v);
	if (!buf_ok(&text))
		e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	else
		e = r1fs_add_bytes(r, text.data, text.len, fn ? fn : R1FS_DEFAULT_JSON_NAME, o, out,
		                   why);
	buf_release(&text);
	return e;
}

enum r1_err r1fs_add_yaml(struct r1fs *r, const char *json, size_t len, const char *fn,
                          const struct r1fs_add_opts *o, struct r1fs_added *out, char **why)
{
	struct pytree *v = NULL;
	enum r1_err e = pytree_parse(json, len, &v, why);
	if (e)
		return e;
	struct buf text = BUF_INIT, name = BUF_INIT;
	e = r1fs_yaml_emit(v, &text, why);
	pytree_free(&v);
	/* The reference's _get_unique_or_complete_upload_name(fn, suffix=".yaml"). */
	size_t fl = fn ? strlen(fn) : 0;
	if (fn && !strchr(fn, '/') && fl > 0) {
		buf_adds(&name, fn);
		if (fl < 5 || strcmp(fn + fl - 5, ".yaml") != 0)
			buf_adds(&name, ".yaml");
	} else {
		uint8_t rnd[4];
		random_bytes(rnd, sizeof(rnd));
		buf_adds(&name, "r1fs_");
		buf_addhex(&name, rnd, sizeof(rnd));
		buf_adds(&name, ".yaml");
	}
	if (!e && (!buf_ok(&name) || !buf_ok(&text)))
		e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	if (!e)
		e = r1fs_add_bytes(r, text.data, text.len, buf_cstr(&name), o, out, why);
	buf_release(&text);
	buf_release(&name);
	return e;
}

/* ------------------------------------------------------------ resolving */

/* Load and decode a dag-pb block with its UnixFS data (u may be NULL). */
struct loaded {
	struct buf block;
	struct dagpb_node node;
	struct unixfs_data u;
	bool has_u;
};

static void loaded_release(struct loaded *l)
{
	dagpb_node_release(&l->node);
	buf_release(&l->block);
}

static enum r1_err load(struct walk *w, const struct r1fs_cid *cid, struct loaded *l, char **why)
{
	memset(l, 0, sizeof(*l));
	buf_init(&l->block);
	enum r1_err e = block_get(w, cid, &l->block, why);
	if (e || cid->codec == R1FS_CODEC_RAW)
		return e;
	e = dagpb_decode((const uint8_t *)l->block.data, l->block.len, &l->node, why);
	if (!e && l->node.data) {
		e = unixfs_parse(l->node.data, l->node.data_len, &l->u, why);
		l->has_u = !e;
	}
	return e;
}

/*
 * "CID[/name...]" (with an optional "/ipfs/" prefix) to the CID it names;
 * w->root becomes the path's first CID, the walk's root from then on.
 */
static enum r1_err resolve_path(struct walk *w, const char *path, struct r1fs_cid *out, char **why)
{
	if (strncmp(path, "/ipfs/", 6) == 0)
		path += 6;
	const char *slash = strchr(path, '/');
	size_t first = slash ? (size_t)(slash - path) : strlen(path);
	char text[R1FS_CID_TEXT_MAX + 1];
	if (first > R1FS_CID_TEXT_MAX)
		return r1_fail(why, R1_ERR_INVAL, "r1fs: '%.80s' does not start with a CID", path);
	memcpy(text, path, first);
	text[first] = '\0';
	enum r1_err e = r1fs_cid_parse(text, out, why);
	if (!e)
		w->root = *out;
	while (!e && slash) {
		const char *name = slash + 1;
		slash = strchr(name, '/');
		size_t nl = slash ? (size_t)(slash - name) : strlen(name);
		if (nl == 0)
			continue;
		struct loaded l;
		e = load(w, out, &l, why);
		if (!e && (!l.has_u || l.u.type != UNIXFS_DIRECTORY))
			e = r1_fail(why, R1_ERR_INVAL, "r1fs: '%.*s': a parent is not a directory",
			            (int)nl, name);
		bool found = false;
		for (size_t i = 0; !e && i < l.node.nlinks && !found; i++) {
			const struct dagpb_link *k = &l.node.links[i];
			if (k->name && k->name_len == nl && memcmp(k->name, name, nl) == 0) {
				*out = k->cid;
				found = true;
			}
		}
		if (!e && !found)
			e = r1_fail(why, R1_ERR_NOTFOUND, "r1fs: no entry '%.*s'", (int)nl, name);
		loaded_release(&l);
	}
	return e;
}

/* The encrypted file of a get: the root itself or the one entry of its directory. */
static enum r1_err resolve_file(struct walk *w, const char *path, struct r1fs_cid *file,
                                char **why)
{
	enum r1_err e = resolve_path(w, path, file, why);
	if (e || file->codec == R1FS_CODEC_RAW)
		return e;
	struct loaded l;
	e = load(w, file, &l, why);
	if (!e && l.has_u && l.u.type == UNIXFS_DIRECTORY) {
		if (l.node.nlinks != 1)
			e = r1_fail(why, R1_ERR_INVAL,
			            "r1fs: expected one file in the directory, found %zu",
			            l.node.nlinks);
		else
			*file = l.node.links[0].cid;
	}
	loaded_release(&l);
	return e;
}

/* ------------------------------------------------------------ getting */

typedef enum r1_err (*sink_fn)(void *ctx, const uint8_t *data, size_t len, char **why);

static bool report_get(const struct r1fs_get_opts *o, uint64_t done, uint64_t total)
{
	return !o->progress || o->progress(o->progress_ctx, done, total);
}

/* A get through an IPFS node: the stream cat returns, checked and decrypted on the way. */
struct ipfs_get {
	struct dag_builder *dag; /* names the bytes received, to compare with the CID asked for */
	struct r1fs_unseal *u;
	uint8_t *plain;
	sink_fn sink;
	void *sink_ctx;
	const struct r1fs_get_opts *o;
	const char *cid;
	uint64_t done, total;
};

static enum r1_err ipfs_piece(void *ctx, const uint8_t *data, size_t len, char **why)
{
	struct ipfs_get *g = ctx;
	enum r1_err e = dag_builder_write(g->dag, data, len, why);
	for (size_t at = 0; at < len && !e;) {
		size_t take = R1_MIN(len - at, (size_t)DAG_KUBO_CHUNK), out_len = 0;
		e = r1fs_unseal_update(g->u, data + at, take, g->plain, &out_len, why);
		if (!e && out_len)
			e = g->sink(g->sink_ctx, g->plain, out_len, why);
		at += take;
	}
	g->done += len;
	if (!e && !report_get(g->o, g->done, g->total))
		e = r1_fail(why, R1_ERR_CANCELLED, "r1fs: get %s was cancelled", g->cid);
	return e;
}

/* A verified block from the node, decoded (dag-pb with UnixFS data). */
static enum r1_err ipfs_load(struct r1fs *r, const struct r1fs_cid *cid, struct loaded *l,
                             char **why)
{
	memset(l, 0, sizeof(*l));
	buf_init(&l->block);
	enum r1_err e = r1fs_ipfs_block_get(r->ipfs, cid, &l->block, why);
	if (e || cid->codec == R1FS_CODEC_RAW)
		return e;
	e = dagpb_decode((const uint8_t *)l->block.data, l->block.len, &l->node, why);
	if (!e && l->node.data) {
		e = unixfs_parse(l->node.data, l->node.data_len, &l->u, why);
		l->has_u = !e;
	}
	return e;
}

/*
 * The wrapping directory and the file's root come by block/get (checked
 * against their CIDs), the file's bytes by one cat; those bytes are
 * chunked and hashed as they arrive, and the file is good only if that
 * gives the file's CID, which holds for any file laid out with kubo's
 * defaults (what `ipfs add` and this store make).  Decrypted bytes reach
 * the sink before that check, so the sinks keep them out of sight until
 * get returns R1_OK.
 */
static enum r1_err get_stream_ipfs(struct r1fs *r, const char *cid_text,
                                   const struct r1fs_get_opts *o, sink_fn sink, void *sink_ctx,
                                   char **name, char **why)
{
	struct r1fs_cid root, file;
	struct loaded l;
	enum r1_err e =
	    r1fs_cid_parse(strncmp(cid_text, "/ipfs/", 6) ? cid_text : cid_text + 6, &root, why);
	if (e)
		return e;
	file = root;
	e = ipfs_load(r, &root, &l, why);
	if (!e && l.has_u && l.u.type == UNIXFS_DIRECTORY) {
		if (l.node.nlinks != 1)
			e = r1_fail(why, R1_ERR_INVAL,
			            "r1fs: expected one file in the directory, found %zu",
			            l.node.nlinks);
		else
			file = l.node.links[0].cid;
		loaded_release(&l);
		if (!e)
			e = ipfs_load(r, &file, &l, why);
	}
	uint64_t total = 0;
	if (!e)
		total = file.codec == R1FS_CODEC_RAW  ? l.block.len
		        : l.has_u && l.u.has_filesize ? l.u.filesize
		                                      : 0;
	loaded_release(&l);
	uint8_t key[R1FS_KEY_LEN];
	r1fs_key_from_secret(o->secret, key);
	struct dag_layout layout;
	dag_layout_kubo(&layout, file.version);
	struct ipfs_get g = {dag_builder_new(&layout, NULL, NULL),
	                     NULL,
	                     r1_malloc(DAG_KUBO_CHUNK + R1FS_TAG_LEN),
	                     sink,
	                     sink_ctx,
	                     o,
	                     cid_text,
	                     0,
	                     total};
	if (!e && (!g.dag || !g.plain))
		e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	if (!e)
		e = r1fs_unseal_new(key, &g.u, why);
	char file_text[R1FS_CID_TEXT_MAX];
	r1fs_cid_format(&file, file_text);
	if (!e)
		e = r1fs_ipfs_cat(r->ipfs, file_text, ipfs_piece, &g, why);
	struct dag_result res;
	if (!e)
		e = dag_builder_finish(g.dag, &res, why);
	if (!e && !r1fs_cid_equal(&res.root, &file))
		e = r1_fail(
		    why, R1_ERR_CRYPTO,
		    "r1fs: the IPFS node's bytes for %s do not hash to that CID (altered, or"
		    " not laid out with kubo's defaults)",
		    file_text);
	if (!e)
		e = r1fs_unseal_final(g.u, why);
	if (!e && name && !(*name = r1_strdup(r1fs_unseal_name(g.u))))
		e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	if (!e && o->pin) {
		char canon[R1FS_CID_TEXT_MAX];
		r1fs_cid_format(&root, canon);
		e = r1fs_ipfs_pin_add(r->ipfs, canon, why);
		if (e && name) {
			r1_free(*name);
			*name = NULL;
		}
	}
	dag_builder_free(&g.dag);
	r1fs_unseal_free(&g.u);
	r1_free(g.plain);
	OPENSSL_cleanse(key, sizeof(key));
	return e;
}

/* Read, decrypt and hand the content to `sink`; *name gets the restored name. */
static enum r1_err get_stream(struct r1fs *r, const char *cid, const struct r1fs_get_opts *o,
                              sink_fn sink, void *sink_ctx, char **name, char **why)
{
	if (r->ipfs)
		return get_stream_ipfs(r, cid, o, sink, sink_ctx, name, why);
	uint8_t key[R1FS_KEY_LEN];
	r1fs_key_from_secret(o->secret, key);
	struct r1fs_cid root, file;
	struct walk w = {r, {0}};
	struct dag_reader *rd = NULL;
	struct dag_prefetch *ahead = NULL;
	struct r1fs_unseal *u = NULL;
	uint8_t *plain = r1_malloc(DAG_KUBO_CHUNK + R1FS_TAG_LEN);
	enum r1_err e = plain ? R1_OK : r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	pthread_rwlock_rdlock(&r->gc_lock);
	if (!e)
		e = resolve_path(&w, cid, &root, why);
	if (!e)
		e = resolve_file(&w, cid, &file, why);
	if (!e && (ahead = dag_prefetch_new(block_get, &w, &file)) != NULL)
		e = dag_reader_new(dag_prefetch_get, ahead, &file, &rd, why);
	else if (!e)
		e = dag_reader_new(block_get, &w, &file, &rd, why);
	if (!e)
		e = r1fs_unseal_new(key, &u, why);
	uint64_t done = 0, total = rd ? dag_reader_size(rd) : 0;
	while (!e) {
		const uint8_t *piece;
		size_t len;
		e = dag_reader_read(rd, &piece, &len, why);
		if (e || len == 0)
			break;
		for (size_t at = 0; at < len && !e;) {
			size_t take = R1_MIN(len - at, (size_t)DAG_KUBO_CHUNK), out_len = 0;
			e = r1fs_unseal_update(u, piece + at, take, plain, &out_len, why);
			if (!e && out_len)
				e = sink(sink_ctx, plain, out_len, why);
			at += take;
		}
		done += len;
		if (!e && !report_get(o, done, total))
			e = r1_fail(why, R1_ERR_CANCELLED, "r1fs: get %s was cancelled", cid);
	}
	if (!e)
		e = r1fs_unseal_final(u, why);
	if (!e && name) {
		*name = r1_strdup(r1fs_unseal_name(u));
		if (!*name)
			e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	}
	if (!e && o->pin) {
		char canon[R1FS_CID_TEXT_MAX];
		uint64_t size = 0;
		r1fs_cid_format(&root, canon);
		e = dag_cumulative(r, &root, &size, why);
		if (!e)
			e = pin_row(r, canon, size, r1fs_unseal_name(u), false, why);
		if (e && name) {
			r1_free(*name);
			*name = NULL;
		}
	}
	dag_prefetch_free(&ahead); /* before the lock goes: the walk reads blocks */
	pthread_rwlock_unlock(&r->gc_lock);
	dag_reader_free(&rd);
	r1fs_unseal_free(&u);
	r1_free(plain);
	OPENSSL_cleanse(key, sizeof(key));
	return e;
}

/* Start writing back a restored file every so many bytes. */
#define WRITEBACK_KICK (8u << 20)

struct fd_out {
	int fd;
	uint64_t written, kicked;
};

/*
 * The restored file's bytes.  Writeback is started as they stream in (not
 * waited for): a large file then reaches the disk at the disk's pace
 * instead of piling up dirty pages until the kernel stalls the writer.
 */
static enum r1_err fd_sink(void *ctx, const uint8_t *data, size_t len, char **why)
{
	struct fd_out *out = ctx;
	int fd = out->fd;
	out->written += len;
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return r1_fail(why, errno == ENOSPC ? R1_ERR_TOOBIG : R1_ERR_IO,
			               "r1fs: writing the restored file: %s", strerror(errno));
		data += n;
		len -= (size_t)n;
	}
	if (out->written - out->kicked >= WRITEBACK_KICK) {
#ifdef SYNC_FILE_RANGE_WRITE
		sync_file_range(fd, (off_t)out->kicked, (off_t)(out->written - out->kicked),
		                SYNC_FILE_RANGE_WRITE);
#endif
		out->kicked = out->written;
	}
	return R1_OK;
}

enum r1_err r1fs_get_file(struct r1fs *r, const char *cid, const char *out_dir,
                          const struct r1fs_get_opts *o, char **path, char **why)
{
	static const struct r1fs_get_opts defaults = R1FS_GET_OPTS_INIT;
	if (!o)
		o = &defaults;
	*path = NULL;
	struct buf tmp = BUF_INIT, final = BUF_INIT;
	buf_addf(&tmp, "%s/.r1fs-XXXXXX.part", out_dir);
	if (!buf_ok(&tmp))
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	int fd = mkostemps(tmp.data, 5, O_CLOEXEC);
	if (fd < 0) {
		enum r1_err e = r1_fail(why, R1_ERR_IO, "r1fs: creating a file in %s: %s", out_dir,
		                        strerror(errno));
		buf_release(&tmp);
		return e;
	}
	char *name = NULL;
	struct fd_out out = {fd, 0, 0};
	enum r1_err e = get_stream(r, cid, o, fd_sink, &out, &name, why);
	/* The rename below makes the file appear whole or not at all; flushing
	 * it to the disk too is only asked for by the strictest policy. */
	if (!e && r->sync == R1FS_SYNC_EACH && fdatasync(fd) != 0)
		e = r1_fail(why, R1_ERR_IO, "r1fs: fdatasync: %s", strerror(errno));
	close(fd);
	if (!e) {
		buf_addf(&final, "%s/%s", out_dir, name);
		if (!buf_ok(&final))
			e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
		else if (rename(tmp.data, final.data) != 0)
			e = r1_fail(why, R1_ERR_IO, "r1fs: rename to %s: %s", final.data,
			            strerror(errno));
	}
	if (e) {
		unlink(tmp.data);
		buf_release(&final);
	} else {
		*path = buf_detach(&final, NULL);
		LOG_I(r->log, "r1fs", "restored %s as %s", cid, *path);
	}
	r1_free(name);
	buf_release(&tmp);
	return e;
}

struct mem_sink {
	struct buf *out;
	size_t max;
};

static enum r1_err mem_sink(void *ctx, const uint8_t *data, size_t len, char **why)
{
	struct mem_sink *m = ctx;
	if (m->out->len + len > m->max)
		return r1_fail(why, R1_ERR_TOOBIG, "r1fs: the file is larger than %zu bytes",
		               m->max);
	buf_add(m->out, data, len);
	return buf_ok(m->out) ? R1_OK : r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
}

enum r1_err r1fs_get_bytes(struct r1fs *r, const char *cid, const struct r1fs_get_opts *o,
                           size_t max, uint8_t **data, size_t *len, char **name, char **why)
{
	static const struct r1fs_get_opts defaults = R1FS_GET_OPTS_INIT;
	if (!o)
		o = &defaults;
	struct buf out = BUF_INIT;
	struct mem_sink m = {&out, max};
	char *restored = NULL;
	enum r1_err e = get_stream(r, cid, o, mem_sink, &m, &restored, why);
	buf_addc(&out, '\0');
	if (!e && !buf_ok(&out))
		e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	if (e) {
		buf_release(&out);
		r1_free(restored);
		return e;
	}
	*data = (uint8_t *)buf_detach(&out, len);
	(*len)--;
	if (name)
		*name = restored;
	else
		r1_free(restored);
	return R1_OK;
}

/* Shared end of get_json/get_yaml: the parsed tree as compact JSON. */
static enum r1_err tree_to_json(struct pytree *v, char **json, char **why)
{
	struct buf out = BUF_INIT;
	pytree_dump(v, &out);
	pytree_free(&v);
	if (!buf_ok(&out)) {
		buf_release(&out);
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	}
	*json = buf_detach(&out, NULL);
	return R1_OK;
}

/* A stored file parsed as JSON or YAML, as the reference's get_json/get_yaml. */
static enum r1_err get_parsed(struct r1fs *r, const char *cid, const struct r1fs_get_opts *o,
                              enum r1_err (*parse)(const char *, size_t, struct pytree **,
                                                   char **),
                              char **json, char **why)
{
	uint8_t *data = NULL;
	size_t len = 0;
	enum r1_err e = r1fs_get_bytes(r, cid, o, R1FS_MAX_MEMORY_FILE, &data, &len, NULL, why);
	if (e)
		return e;
	struct pytree *v = NULL;
	e = parse((const char *)data, len, &v, why);
	r1_free(data);
	return e ? e : tree_to_json(v, json, why);
}

enum r1_err r1fs_get_json(struct r1fs *r, const char *cid, const struct r1fs_get_opts *o,
                          char **json, char **why)
{
	return get_parsed(r, cid, o, pytree_parse, json, why);
}

enum r1_err r1fs_get_yaml(struct r1fs *r, const char *cid, const struct r1fs_get_opts *o,
                          char **json, char **why)
{
	return get_parsed(r, cid, o, r1fs_yaml_parse, json, why);
}

/* ------------------------------------------------------------ cat, ls, stat */

enum r1_err r1fs_cat(struct r1fs *r, const char *path, uint64_t offset, uint64_t length,
                     r1fs_write_fn write, void *ctx, char **why)
{
	struct r1fs_cid cid;
	struct walk w = {r, {0}};
	struct dag_reader *rd = NULL;
	struct dag_prefetch *ahead = NULL;
	pthread_rwlock_rdlock(&r->gc_lock);
	enum r1_err e = resolve_path(&w, path, &cid, why);
	if (!e) {
		ahead = dag_prefetch_new(block_get, &w, &cid);
		e = ahead ? dag_reader_new(dag_prefetch_get, ahead, &cid, &rd, why)
		          : dag_reader_new(block_get, &w, &cid, &rd, why);
		if (e == R1_ERR_INVAL)
			r1_fail(why, e, "r1fs: %s is not a file (a directory?)", path);
	}
	uint64_t pos = 0, left = length ? length : UINT64_MAX;
	while (!e && left > 0) {
		const uint8_t *piece;
		size_t len;
		e = dag_reader_read(rd, &piece, &len, why);
		if (e || len == 0)
			break;
		uint64_t start = pos < offset ? R1_MIN(offset - pos, (uint64_t)len) : 0;
		pos += len;
		size_t take = (size_t)R1_MIN((uint64_t)len - start, left);
		if (take) {
			e = write(ctx, piece + start, take, why);
			left -= take;
		}
	}
	dag_prefetch_free(&ahead);
	pthread_rwlock_unlock(&r->gc_lock);
	dag_reader_free(&rd);
	return e;
}

static enum r1fs_entry_type entry_type(const struct r1fs_cid *cid, const struct loaded *l)
{
	if (cid->codec == R1FS_CODEC_RAW)
		return R1FS_ENTRY_RAW;
	if (!l->has_u)
		return R1FS_ENTRY_OTHER;
	if (l->u.type == UNIXFS_DIRECTORY)
		return R1FS_ENTRY_DIRECTORY;
	if (l->u.type == UNIXFS_FILE || l->u.type == UNIXFS_RAW)
		return R1FS_ENTRY_FILE;
	return R1FS_ENTRY_OTHER;
}

void r1fs_entries_free(struct r1fs_entry *entries, size_t n)
{
	for (size_t i = 0; entries && i < n; i++)
		r1_free(entries[i].name);
	r1_free(entries);
}

enum r1_err r1fs_ls(struct r1fs *r, const char *path, struct r1fs_entry **entries, size_t *n,
                    char **why)
{
	*entries = NULL;
	*n = 0;
	struct r1fs_cid cid;
	struct walk w = {r, {0}};
	struct loaded l;
	pthread_rwlock_rdlock(&r->gc_lock); /* a fetcher may store blocks */
	enum r1_err e = resolve_path(&w, path, &cid, why);
	if (e) {
		pthread_rwlock_unlock(&r->gc_lock);
		return e;
	}
	e = load(&w, &cid, &l, why);
	pthread_rwlock_unlock(&r->gc_lock);
	size_t count = l.node.nlinks;
	struct r1fs_entry *list = NULL;
	if (!e && count) {
		list = r1_calloc(count, sizeof(*list));
		if (!list)
			e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	}
	for (size_t i = 0; !e && i < count; i++) {
		const struct dagpb_link *k = &l.node.links[i];
		list[i].name = r1_strndup(k->name ? k->name : "", k->name ? k->name_len : 0);
		if (!list[i].name)
			e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
		r1fs_cid_format(&k->cid, list[i].cid);
		list[i].size = k->tsize;
	}
	loaded_release(&l);
	if (e) {
		r1fs_entries_free(list, count);
		return e;
	}
	*entries = list;
	*n = count;
	return R1_OK;
}

enum r1_err r1fs_stat(struct r1fs *r, const char *path, struct r1fs_stat *out, char **why)
{
	memset(out, 0, sizeof(*out));
	struct r1fs_cid cid;
	struct walk w = {r, {0}};
	struct loaded l;
	pthread_rwlock_rdlock(&r->gc_lock); /* a fetcher may store blocks */
	enum r1_err e = resolve_path(&w, path, &cid, why);
	if (e) {
		pthread_rwlock_unlock(&r->gc_lock);
		return e;
	}
	e = load(&w, &cid, &l, why);
	pthread_rwlock_unlock(&r->gc_lock);
	if (!e) {
		r1fs_cid_format(&cid, out->cid);
		out->type = entry_type(&cid, &l);
		out->block_size = l.block.len;
		out->cumulative = l.block.len;
		out->nlinks = l.node.nlinks;
		for (size_t i = 0; i < l.node.nlinks; i++)
			out->cumulative += l.node.links[i].tsize;
		if (out->type == R1FS_ENTRY_RAW)
			out->filesize = l.block.len;
		else if (out->type == R1FS_ENTRY_FILE)
			out->filesize = l.u.has_filesize ? l.u.filesize : l.u.data_len;
		out->pinned = r1fs_is_pinned(r, out->cid);
	}
	loaded_release(&l);
	return e;
}

enum r1_err r1fs_backend_id(struct r1fs *r, char **peer_id, char **agent, char **why)
{
	if (!r->ipfs)
		return r1_fail(why, R1_ERR_STATE, "r1fs: the built-in store has no IPFS peer ID");
	return r1fs_ipfs_id(r->ipfs, peer_id, agent, why);
}

/* ------------------------------------------------------------ plain CIDs */

enum r1_err r1fs_plain_cid(const char *path, unsigned cid_version, char out[R1FS_CID_TEXT_MAX],
                           char **why)
{
	if (cid_version > 1)
		return r1_fail(why, R1_ERR_INVAL, "r1fs: CID version %u (0 or 1)", cid_version);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return r1_fail(why, R1_ERR_IO, "r1fs: open %s: %s", path, strerror(errno));
	struct dag_layout layout;
	dag_layout_kubo(&layout, cid_version);
	struct dag_builder *dag = dag_builder_new(&layout, NULL, NULL);
	uint8_t *in = r1_malloc(IO_CHUNK);
	enum r1_err e = dag && in ? R1_OK : r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	struct fd_source src = {fd, path};
	while (!e) {
		size_t got = 0;
		e = fd_read(&src, in, IO_CHUNK, &got, why);
		if (e || got == 0)
			break;
		e = dag_builder_write(dag, in, got, why);
	}
	struct dag_result res;
	if (!e)
		e = dag_builder_finish(dag, &res, why);
	if (!e)
		r1fs_cid_format(&res.root, out);
	dag_builder_free(&dag);
	r1_free(in);
	close(fd);
	return e;
}
