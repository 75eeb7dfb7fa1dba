/*
 * R1FS's block store (see blockstore.h): pack files of hash-named records,
 * an index in SQLite, and the ordering between the two that makes a crash
 * harmless.  Writing: reserve a range at the end of the current pack, write
 * the record there, sync the pack (per policy), then index it; removing:
 * the index row goes first and the record becomes dead bytes.  So the index
 * never names a record that is not on disk.  An async batch does its
 * writes, syncs and index transactions on a thread of its own, fed through
 * a few slots, so that an add's encryption and hashing overlap its I/O.
 * Not here: what a block means (r1fs.c, dagpb.c) or which blocks are live
 * (the caller marks them).
 */
#include "node/lib.h"
#include "node/r1fs/blockstore.h"

#include "core/hash.h"
#include "node/r1fs/dagpb.h"
#include "core/paths.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define PACK_HDR        32
#define PACK_MAGIC      "R1FSPACK"
#define PACK_VERSION    1
#define PACK_NAME_LEN   13 /* 8 hex digits + ".pack" */
#define PACK_MIN        (1ull << 20)
#define RECORD_MAGIC    0x4b423152u /* "R1BK" read as little-endian */
#define PACK_FDS_MAX    64          /* open pack files kept beyond those in use */
#define BATCH_SLOTS     16          /* blocks an async batch holds between caller and writer */
#define KICK_BYTES      (8u << 20)  /* start writeback every so many bytes (SYNC_BATCH) */
#define RECENT_MAX      (BLOCKSTORE_BATCH_MAX + BATCH_SLOTS + 8)
#define TOUCH_MAX       8  /* packs written between two syncs */
#define COMPACT_PERCENT 50 /* compact a pack whose live bytes are below this share */

struct pack {
	uint32_t id;
	int fd;
	unsigned refs;
	bool dead;     /* unlinked: closed when the last reference goes */
	uint64_t used; /* LRU stamp */
};

struct blockstore {
	char *dir;
	char *packs_dir;
	int lock_fd;
	int packs_fd; /* the packs directory, for openat and its fsync */
	sqlite3 *db;
	enum r1fs_sync sync;
	struct r1_log *log;
	pthread_mutex_t mu; /* guards db, the statements, the counters and the pack table */
	sqlite3_stmt *st_has;
	sqlite3_stmt *st_loc;
	sqlite3_stmt *st_insert;
	uint64_t quota;
	uint64_t indexed_bytes;
	uint64_t pending_bytes;
	struct pack **open; /* open packs (stable pointers) */
	size_t nopen, capopen;
	uint64_t clock;
	uint32_t cur_id; /* the pack appends go to; 0 = start a new one */
	uint64_t cur_end;
	uint32_t next_id;
	uint64_t pack_max;
};

/* Packs written since the last sync, with how far writeback was started. */
struct appender {
	struct {
		struct pack *p;
		uint64_t kicked, end;
	} t[TOUCH_MAX];
	size_t n;
};

/* ------------------------------------------------------------ helpers */

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static enum r1_err ensure_dir(const char *path, char **why)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return R1_OK;
	return r1_fail(why, R1_ERR_IO, "r1fs: mkdir %s: %s", path, strerror(errno));
}

static enum r1_err db_error(struct blockstore *bs, char **why, const char *what)
{
	return r1_fail(why, R1_ERR_DB, "r1fs: %s: %s", what, sqlite3_errmsg(bs->db));
}

static void pack_name(uint32_t id, char name[PACK_NAME_LEN + 1])
{
	snprintf(name, PACK_NAME_LEN + 1, "%08" PRIx32 ".pack", id);
}

static bool parse_pack_name(const char *name, uint32_t *id)
{
	if (strlen(name) != PACK_NAME_LEN || strcmp(name + 8, ".pack") != 0)
		return false;
	uint32_t v = 0;
	for (int i = 0; i < 8; i++) {
		char c = name[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*id = v;
	return v != 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The pack files on disk, sorted by id. */
static enum r1_err list_packs(struct blockstore *bs, uint32_t **ids, size_t *n, char **why)
{
	*ids = NULL;
	*n = 0;
	DIR *d = opendir(bs->packs_dir);
	if (!d)
		return r1_fail(why, R1_ERR_IO, "r1fs: opendir %s: %s", bs->packs_dir,
		               strerror(errno));
	size_t cap = 0;
	struct dirent *de;
	enum r1_err e = R1_OK;
	while ((de = readdir(d)) != NULL) {
		uint32_t id;
		if (!parse_pack_name(de->d_name, &id))
			continue;
		if (*n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			uint32_t *l = r1_reallocarray(*ids, ncap, sizeof(*l));
			if (!l) {
				e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
				break;
			}
			*ids = l;
			cap = ncap;
		}
		(*ids)[(*n)++] = id;
	}
	closedir(d);
	if (e) {
		r1_free(*ids);
		*ids = NULL;
		*n = 0;
		return e;
	}
	if (*n)
		qsort(*ids, *n, sizeof(**ids), cmp_u32);
	return R1_OK;
}

static int64_t pack_file_size(struct blockstore *bs, uint32_t id)
{
	char name[PACK_NAME_LEN + 1];
	pack_name(id, name);
	struct stat st;
	return fstatat(bs->packs_fd, name, &st, 0) == 0 ? (int64_t)st.st_size : -1;
}

/* Full positioned transfers (preadv/pwritev may stop short). */
static ssize_t xfer_full(int fd, struct iovec *iov, int n, uint64_t off, bool write)
{
	size_t total = 0;
	while (n > 0) {
		ssize_t k =
		    write ? pwritev(fd, iov, n, (off_t)off) : preadv(fd, iov, n, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break; /* end of file */
		total += (size_t)k;
		off += (uint64_t)k;
		size_t left = (size_t)k;
		while (n > 0 && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + left;
			iov->iov_len -= left;
		}
	}
	return (ssize_t)total;
}

/* ------------------------------------------------------------ the pack table */

static void pack_close_at(struct blockstore *bs, size_t i)
{
	close(bs->open[i]->fd);
	r1_free(bs->open[i]);
	bs->open[i] = bs->open[--bs->nopen];
}

/* Register an open fd as pack `id` (no reference taken).  Under bs->mu. */
static struct pack *pack_add_locked(struct blockstore *bs, uint32_t id, int fd)
{
	if (bs->nopen >= PACK_FDS_MAX) {
		size_t victim = SIZE_MAX;
		for (size_t i = 0; i < bs->nopen; i++)
			if (bs->open[i]->refs == 0 &&
			    (victim == SIZE_MAX || bs->open[i]->used < bs->open[victim]->used))
				victim = i;
		if (victim != SIZE_MAX)
			pack_close_at(bs, victim);
	}
	if (bs->nopen == bs->capopen) {
		size_t ncap = bs->capopen ? 2 * bs->capopen : 16;
		struct pack **l = r1_reallocarray(bs->open, ncap, sizeof(*l));
		if (!l)
			return NULL;
		bs->open = l;
		bs->capopen = ncap;
	}
	struct pack *p = r1_calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->id = id;
	p->fd = fd;
	p->used = ++bs->clock;
	bs->open[bs->nopen++] = p;
	return p;
}

/* A reference to pack `id`, opened if needed.  Under bs->mu. */
static enum r1_err pack_acquire_locked(struct blockstore *bs, uint32_t id, struct pack **out,
                                       char **why)
{
	for (size_t i = 0; i < bs->nopen; i++) {
		struct pack *p = bs->open[i];
		if (p->id == id && !p->dead) {
			p->refs++;
			p->used = ++bs->clock;
			*out = p;
			return R1_OK;
		}
	}
	char name[PACK_NAME_LEN + 1];
	pack_name(id, name);
	int fd = openat(bs->packs_fd, name, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return r1_fail(why, errno == ENOENT ? R1_ERR_CRYPTO : R1_ERR_IO,
		               "r1fs: pack %s: %s", name, strerror(errno));
	struct pack *p = pack_add_locked(bs, id, fd);
	if (!p) {
		close(fd);
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	}
	p->refs = 1;
	*out = p;
	return R1_OK;
}

static void pack_release_locked(struct blockstore *bs, struct pack *p)
{
	p->refs--;
	if (p->dead && p->refs == 0)
		for (size_t i = 0; i < bs->nopen; i++)
			if (bs->open[i] == p) {
				pack_close_at(bs, i);
				break;
			}
}

static void pack_release(struct blockstore *bs, struct pack *p)
{
	pthread_mutex_lock(&bs->mu);
	pack_release_locked(bs, p);
	pthread_mutex_unlock(&bs->mu);
}

/* Delete pack `id`'s file; an fd still in use stays readable until released.  Under bs->mu. */
static void pack_unlink_locked(struct blockstore *bs, uint32_t id)
{
	char name[PACK_NAME_LEN + 1];
	pack_name(id, name);
	unlinkat(bs->packs_fd, name, 0);
	for (size_t i = 0; i < bs->nopen; i++) {
		struct pack *p = bs->open[i];
		if (p->id == id && !p->dead) {
			p->dead = true;
			if (p->refs == 0)
				pack_close_at(bs, i);
			break;
		}
	}
	if (bs->cur_id == id)
		bs->cur_id = 0;
}

/* Start a new current pack.  Under bs->mu. */
static enum r1_err pack_create_locked(struct blockstore *bs, char **why)
{
	for (int tries = 0; tries < 16; tries++) {
		uint32_t id = bs->next_id++;
		if (id == 0)
			return r1_fail(why, R1_ERR_TOOBIG, "r1fs: out of pack numbers");
		char name[PACK_NAME_LEN + 1];
		pack_name(id, name);
		int fd = openat(bs->packs_fd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return r1_fail(why, R1_ERR_IO, "r1fs: creating pack %s: %s", name,
			               strerror(errno));
		uint8_t hdr[PACK_HDR] = {0};
		memcpy(hdr, PACK_MAGIC, 8);
		put_le32(hdr + 8, PACK_VERSION);
		put_le32(hdr + 16, id);
		struct iovec iov = {hdr, sizeof(hdr)};
		/* The directory entry must be durable before an index row names the pack. */
		if (xfer_full(fd, &iov, 1, 0, true) != PACK_HDR ||
		    (bs->sync != R1FS_SYNC_NONE && fsync(bs->packs_fd) != 0)) {
			enum r1_err e =
			    r1_fail(why, errno == ENOSPC ? R1_ERR_TOOBIG : R1_ERR_IO,
			            "r1fs: creating pack %s: %s", name, strerror(errno));
			close(fd);
			unlinkat(bs->packs_fd, name, 0);
			return e;
		}
		if (!pack_add_locked(bs, id, fd)) {
			close(fd);
			unlinkat(bs->packs_fd, name, 0);
			return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
		}
		bs->cur_id = id;
		bs->cur_end = PACK_HDR;
		return R1_OK;
	}
	return r1_fail(why, R1_ERR_IO, "r1fs: cannot find a free pack name");
}

/* Room for a record of `len` block bytes at the end of the current pack.  Under bs->mu. */
static enum r1_err reserve_locked(struct blockstore *bs, size_t len, struct pack **p, uint64_t *off,
                                  char **why)
{
	uint64_t need = BLOCKSTORE_RECORD_HDR + (uint64_t)len;
	if (bs->cur_id == 0 || (bs->cur_end + need > bs->pack_max && bs->cur_end > PACK_HDR)) {
		enum r1_err e = pack_create_locked(bs, why);
		if (e)
			return e;
	}
	enum r1_err e = pack_acquire_locked(bs, bs->cur_id, p, why);
	if (e)
		return e;
	*off = bs->cur_end;
	bs->cur_end += need;
	return R1_OK;
}

/* ------------------------------------------------------------ records */

static void record_header(uint8_t h[BLOCKSTORE_RECORD_HDR], const uint8_t digest[R1FS_DIGEST_LEN],
                          size_t len, int links)
{
	put_le32(h, RECORD_MAGIC);
	put_le32(h + 4, (uint32_t)len);
	put_le32(h + 8, (uint32_t)links);
	put_le32(h + 12, 0);
	memcpy(h + 16, digest, R1FS_DIGEST_LEN);
}

static enum r1_err write_record(struct pack *p, uint64_t off, const uint8_t digest[R1FS_DIGEST_LEN],
                                const uint8_t *data, size_t len, int links, char **why)
{
	uint8_t h[BLOCKSTORE_RECORD_HDR];
	record_header(h, digest, len, links);
	struct iovec iov[2] = {{h, sizeof(h)}, {(void *)data, len}};
	if (xfer_full(p->fd, iov, len ? 2 : 1, off, true) != (ssize_t)(sizeof(h) + len))
		return r1_fail(why, errno == ENOSPC ? R1_ERR_TOOBIG : R1_ERR_IO,
		               "r1fs: writing a block to pack %08" PRIx32 ": %s", p->id,
		               errno == ENOSPC ? "the disk is full" : strerror(errno));
	return R1_OK;
}

/* Read the record at `off` into out and check it against the index and the hash. */
static enum r1_err read_record(struct pack *p, uint64_t off, const uint8_t digest[R1FS_DIGEST_LEN],
                               size_t size, bool check_hash, struct buf *out, char **why)
{
	char hex[2 * R1FS_DIGEST_LEN + 1];
	r1fs_digest_hex(digest, hex);
	if (size > R1FS_BLOCK_MAX)
		return r1_fail(why, R1_ERR_CRYPTO, "r1fs: block %.16s... has an impossible size",
		               hex);
	buf_reset(out);
	if (!buf_reserve(out, size))
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	uint8_t h[BLOCKSTORE_RECORD_HDR];
	struct iovec iov[2] = {{h, sizeof(h)}, {out->data, size}};
	ssize_t got = xfer_full(p->fd, iov, size ? 2 : 1, off, false);
	if (got < 0)
		return r1_fail(why, R1_ERR_IO, "r1fs: reading block %.16s...: %s", hex,
		               strerror(errno));
	if ((size_t)got != sizeof(h) + size || get_le32(h) != RECORD_MAGIC ||
	    get_le32(h + 4) != size || memcmp(h + 16, digest, R1FS_DIGEST_LEN) != 0)
		return r1_fail(why, R1_ERR_CRYPTO,
		               "r1fs: block %.16s... is corrupted on disk (its pack record does "
		               "not match the index)",
		               hex);
	out->len = size;
	out->data[size] = '\0';
	if (!check_hash)
		return R1_OK;
	uint8_t check[SHA256_LEN];
	sha256(out->data, size, check);
	if (memcmp(check, digest, SHA256_LEN) != 0)
		return r1_fail(
		    why, R1_ERR_CRYPTO,
		    "r1fs: block %.16s... is corrupted on disk (its hash does not match)", hex);
	return R1_OK;
}

/* ------------------------------------------------------------ appending */

/* Reserve, write, and remember the pack for the next sync.  Call only when !appender_full. */
static enum r1_err appender_write(struct blockstore *bs, struct appender *a,
                                  const uint8_t digest[R1FS_DIGEST_LEN], const uint8_t *data,
                                  size_t len, int links, uint32_t *pack, uint64_t *off, char **why)
{
	struct pack *p = NULL;
	pthread_mutex_lock(&bs->mu);
	enum r1_err e = reserve_locked(bs, len, &p, off, why);
	pthread_mutex_unlock(&bs->mu);
	if (e)
		return e;
	e = write_record(p, *off, digest, data, len, links, why);
	if (!e && bs->sync == R1FS_SYNC_EACH && fdatasync(p->fd) != 0)
		e = r1_fail(why, R1_ERR_IO, "r1fs: fdatasync: %s", strerror(errno));
	if (e) {
		pack_release(bs, p);
		return e;
	}
	*pack = p->id;
	uint64_t end = *off + BLOCKSTORE_RECORD_HDR + len;
	size_t i = 0;
	while (i < a->n && a->t[i].p != p)
		i++;
	if (i < a->n) {
		pack_release(bs, p); /* the appender holds one reference per pack */
	} else {
		a->t[i].p = p;
		a->t[i].kicked = *off;
		a->t[i].end = 0;
		a->n++;
	}
	if (end > a->t[i].end)
		a->t[i].end = end;
	/* Start the writeback now so that the sync before the index has little left. */
	if (bs->sync == R1FS_SYNC_BATCH && a->t[i].end - a->t[i].kicked >= KICK_BYTES) {
#ifdef SYNC_FILE_RANGE_WRITE
		sync_file_range(p->fd, (off_t)a->t[i].kicked, (off_t)(a->t[i].end - a->t[i].kicked),
		                SYNC_FILE_RANGE_WRITE);
#endif
		a->t[i].kicked = a->t[i].end;
	}
	return R1_OK;
}

static bool appender_full(const struct appender *a)
{
	return a->n == TOUCH_MAX;
}

static enum r1_err appender_sync(struct blockstore *bs, struct appender *a, char **why)
{
	if (bs->sync != R1FS_SYNC_BATCH)
		return R1_OK; /* NONE: never; EACH: done record by record */
	for (size_t i = 0; i < a->n; i++)
		if (fdatasync(a->t[i].p->fd) != 0)
			return r1_fail(why, R1_ERR_IO, "r1fs: fdatasync pack %08" PRIx32 ": %s",
			               a->t[i].p->id, strerror(errno));
	return R1_OK;
}

static void appender_release(struct blockstore *bs, struct appender *a)
{
	if (a->n == 0)
		return;
	pthread_mutex_lock(&bs->mu);
	for (size_t i = 0; i < a->n; i++)
		pack_release_locked(bs, a->t[i].p);
	pthread_mutex_unlock(&bs->mu);
	a->n = 0;
}

/* ------------------------------------------------------------ recovery */

/* Truncate unindexed tails, delete unindexed packs, drop rows whose record is gone. */
static enum r1_err recover_packs(struct blockstore *bs, char **why)
{
	uint32_t *ids = NULL;
	size_t n = 0;
	enum r1_err e = list_packs(bs, &ids, &n, why);
	if (e)
		return e;
	sqlite3_stmt *st = NULL, *del = NULL, *distinct = NULL;
	if (sqlite3_prepare_v2(bs->db,
	                       "SELECT COUNT(*), COALESCE(MAX(off + ?2 + size), 0) FROM r1fs_blocks"
	                       " WHERE pack = ?1",
	                       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(bs->db,
	                       "DELETE FROM r1fs_blocks WHERE pack = ?1 AND off + ?2 + size > ?3",
	                       -1, &del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(bs->db,
	                       "SELECT DISTINCT pack FROM r1fs_blocks WHERE pack IS NOT NULL", -1,
	                       &distinct, NULL) != SQLITE_OK) {
		e = db_error(bs, why, "pack recovery");
		goto out;
	}
	int64_t last_size = -1;
	for (size_t i = 0; i < n && !e; i++) {
		char name[PACK_NAME_LEN + 1];
		pack_name(ids[i], name);
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int(st, 2, BLOCKSTORE_RECORD_HDR);
		if (sqlite3_step(st) != SQLITE_ROW) {
			e = db_error(bs, why, "pack recovery");
			break;
		}
		int64_t rows = sqlite3_column_int64(st, 0), end = sqlite3_column_int64(st, 1);
		int64_t size = pack_file_size(bs, ids[i]);
		last_size = size;
		if (rows == 0) {
			unlinkat(bs->packs_fd, name, 0);
			last_size = -1;
			continue;
		}
		if (size > end) {
			int fd = openat(bs->packs_fd, name, O_RDWR | O_CLOEXEC);
			if (fd < 0 || ftruncate(fd, end) != 0)
				e = r1_fail(why, R1_ERR_IO, "r1fs: truncating pack %s: %s", name,
				            strerror(errno));
			if (fd >= 0)
				close(fd);
			last_size = end;
		} else if (size < end) {
			sqlite3_reset(del);
			sqlite3_bind_int64(del, 1, ids[i]);
			sqlite3_bind_int(del, 2, BLOCKSTORE_RECORD_HDR);
			sqlite3_bind_int64(del, 3, size);
			if (sqlite3_step(del) != SQLITE_DONE)
				e = db_error(bs, why, "pack recovery");
			else
				LOG_W(bs->log, "r1fs",
				      "pack %s is shorter than its index says: %d blocks lost",
				      name, sqlite3_changes(bs->db));
		}
	}
	/* Rows naming a pack file that is not there. */
	while (!e) {
		int rc = sqlite3_step(distinct);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			e = db_error(bs, why, "pack recovery");
			break;
		}
		uint32_t id = (uint32_t)sqlite3_column_int64(distinct, 0);
		if (n && bsearch(&id, ids, n, sizeof(*ids), cmp_u32))
			continue;
		sqlite3_reset(distinct);
		char sql[96];
		snprintf(sql, sizeof(sql), "DELETE FROM r1fs_blocks WHERE pack = %" PRIu32, id);
		if (sqlite3_exec(bs->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			e = db_error(bs, why, "pack recovery");
			break;
		}
		LOG_W(bs->log, "r1fs", "pack %08" PRIx32 " is missing: %d blocks lost", id,
		      sqlite3_changes(bs->db));
	}
	if (!e) {
		bs->next_id = n ? ids[n - 1] + 1 : 1;
		/* Keep appending to the newest pack while it has room. */
		if (n && last_size >= PACK_HDR && (uint64_t)last_size < bs->pack_max) {
			bs->cur_id = ids[n - 1];
			bs->cur_end = (uint64_t)last_size;
		}
	}
out:
	sqlite3_finalize(st);
	sqlite3_finalize(del);
	sqlite3_finalize(distinct);
	r1_free(ids);
	return e;
}

/* Read a block file of the first layout (blocks/xx/<hex>); false when absent or not whole. */
static bool read_legacy(const char *blocks_dir, const uint8_t digest[R1FS_DIGEST_LEN],
                        struct buf *out)
{
	char hex[2 * R1FS_DIGEST_LEN + 1];
	r1fs_digest_hex(digest, hex);
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/%.2s/%s", blocks_dir, hex, hex);
	int fd = buf_ok(&path) ? open(path.data, O_RDONLY | O_CLOEXEC) : -1;
	buf_release(&path);
	if (fd < 0)
		return false;
	buf_reset(out);
	bool good = buf_reserve(out, R1FS_BLOCK_MAX + 1);
	size_t got = 0;
	while (good && got <= R1FS_BLOCK_MAX) {
		ssize_t k = read(fd, out->data + got, R1FS_BLOCK_MAX + 1 - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			good = k == 0;
			break;
		}
		got += (size_t)k;
	}
	close(fd);
	if (!good || got > R1FS_BLOCK_MAX)
		return false;
	out->len = got;
	uint8_t check[SHA256_LEN];
	sha256(out->data, got, check);
	return memcmp(check, digest, SHA256_LEN) == 0;
}

/*
 * The first layout kept one file per block under blocks/ and index rows
 * without a pack.  Move every indexed, intact block into packs (rows
 * updated only after the packs are synced), drop rows whose file is gone,
 * then delete blocks/ and tmp/.  A crash part-way resumes on the next open.
 */
static enum r1_err import_legacy(struct blockstore *bs, char **why)
{
	char *blocks_dir = paths_join(bs->dir, "blocks"), *tmp_dir = paths_join(bs->dir, "tmp");
	if (!blocks_dir || !tmp_dir) {
		r1_free(blocks_dir);
		r1_free(tmp_dir);
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	}
	enum r1_err e = R1_OK;
	struct stat st;
	sqlite3_stmt *sel = NULL, *upd = NULL, *del = NULL;
	struct buf block = BUF_INIT;
	struct appender a = {0};
	uint64_t moved = 0, lost = 0;
	if (stat(blocks_dir, &st) != 0)
		goto done;
	if (sqlite3_prepare_v2(bs->db,
	                       "SELECT digest, links FROM r1fs_blocks WHERE pack IS NULL LIMIT 64",
	                       -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(bs->db,
	                       "UPDATE r1fs_blocks SET pack = ?2, off = ?3 WHERE digest = ?1", -1,
	                       &upd, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(bs->db, "DELETE FROM r1fs_blocks WHERE digest = ?1", -1, &del,
	                       NULL) != SQLITE_OK) {
		e = db_error(bs, why, "importing blocks/");
		goto done;
	}
	struct moved_row {
		uint8_t digest[R1FS_DIGEST_LEN];
		int links;
		uint32_t pack; /* 0: missing or damaged, its row is dropped */
		uint64_t off;
	} rows[64];
	for (;;) {
		size_t n = 0;
		int rc;
		while ((rc = sqlite3_step(sel)) == SQLITE_ROW && n < 64) {
			struct moved_row *r = &rows[n++];
			memset(r, 0, sizeof(*r));
			if (sqlite3_column_bytes(sel, 0) == R1FS_DIGEST_LEN)
				memcpy(r->digest, sqlite3_column_blob(sel, 0), R1FS_DIGEST_LEN);
			r->links = sqlite3_column_int(sel, 1);
		}
		sqlite3_reset(sel);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			e = db_error(bs, why, "importing blocks/");
		if (e || n == 0)
			break;
		size_t i;
		for (i = 0; i < n && !e && !appender_full(&a); i++)
			if (read_legacy(blocks_dir, rows[i].digest, &block))
				e = appender_write(bs, &a, rows[i].digest,
				                   (const uint8_t *)block.data, block.len,
				                   rows[i].links, &rows[i].pack, &rows[i].off, why);
		n = i; /* the rest waits for the next round */
		if (!e)
			e = appender_sync(bs, &a, why);
		if (!e && sqlite3_exec(bs->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			e = db_error(bs, why, "importing blocks/");
		for (i = 0; i < n && !e; i++) {
			sqlite3_stmt *s = rows[i].pack ? upd : del;
			sqlite3_reset(s);
			sqlite3_bind_blob(s, 1, rows[i].digest, R1FS_DIGEST_LEN, SQLITE_STATIC);
			if (rows[i].pack) {
				sqlite3_bind_int64(s, 2, rows[i].pack);
				sqlite3_bind_int64(s, 3, (sqlite3_int64)rows[i].off);
				moved++;
			} else {
				lost++;
			}
			if (sqlite3_step(s) != SQLITE_DONE)
				e = db_error(bs, why, "importing blocks/");
		}
		if (!e && sqlite3_exec(bs->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			e = db_error(bs, why, "importing blocks/");
		if (e)
			sqlite3_exec(bs->db, "ROLLBACK", NULL, NULL, NULL);
		appender_release(bs, &a);
		if (e)
			break;
	}
	if (!e) {
		paths_remove_tree(blocks_dir);
		LOG_I(bs->log, "r1fs",
		      "moved %" PRIu64 " blocks of the one-file-per-block layout into packs"
		      " (%" PRIu64 " missing or damaged, dropped)",
		      moved, lost);
	}
done:
	if (!e)
		paths_remove_tree(tmp_dir);
	appender_release(bs, &a);
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	sqlite3_finalize(del);
	buf_release(&block);
	r1_free(blocks_dir);
	r1_free(tmp_dir);
	return e;
}

/* ------------------------------------------------------------ open/close */

enum r1_err blockstore_open(const char *dir, sqlite3 *db, enum r1fs_sync sync, struct r1_log *log,
                            struct blockstore **out, char **why)
{
	struct blockstore *bs = r1_calloc(1, sizeof(*bs));
	if (!bs)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	bs->lock_fd = -1;
	bs->packs_fd = -1;
	bs->db = db;
	bs->sync = sync;
	bs->log = log;
	bs->pack_max = BLOCKSTORE_PACK_MAX;
	pthread_mutex_init(&bs->mu, NULL);
	enum r1_err e;
	bs->dir = r1_strdup(dir);
	bs->packs_dir = paths_join(dir, "packs");
	char *lock_path = paths_join(dir, "LOCK");
	if (!bs->dir || !bs->packs_dir || !lock_path) {
		e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
		goto fail;
	}
	if ((e = ensure_dir(dir, why)) || (e = ensure_dir(bs->packs_dir, why)))
		goto fail;
	bs->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (bs->lock_fd < 0) {
		e = r1_fail(why, R1_ERR_IO, "r1fs: open %s: %s", lock_path, strerror(errno));
		goto fail;
	}
	if (flock(bs->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		e = r1_fail(why, R1_ERR_IO, "r1fs: %s is in use by another process", dir);
		goto fail;
	}
	bs->packs_fd = open(bs->packs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bs->packs_fd < 0) {
		e = r1_fail(why, R1_ERR_IO, "r1fs: open %s: %s", bs->packs_dir, strerror(errno));
		goto fail;
	}
	if (sqlite3_prepare_v2(db, "SELECT links FROM r1fs_blocks WHERE digest = ?1", -1,
	                       &bs->st_has, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT size, pack, off FROM r1fs_blocks WHERE digest = ?1", -1,
	                       &bs->st_loc, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "INSERT OR IGNORE INTO r1fs_blocks(digest, size, links, added, pack,"
	                       " off) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	                       -1, &bs->st_insert, NULL) != SQLITE_OK) {
		e = db_error(bs, why, "prepare");
		goto fail;
	}
	if ((e = recover_packs(bs, why)) || (e = import_legacy(bs, why)))
		goto fail;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT COALESCE(SUM(size), 0) FROM r1fs_blocks", -1, &st,
	                       NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		e = db_error(bs, why, "reading the index size");
		goto fail;
	}
	bs->indexed_bytes = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	r1_free(lock_path);
	*out = bs;
	return R1_OK;
fail:
	r1_free(lock_path);
	blockstore_free(&bs);
	return e;
}

void blockstore_free(struct blockstore **bsp)
{
	struct blockstore *bs = *bsp;
	if (!bs)
		return;
	sqlite3_finalize(bs->st_has);
	sqlite3_finalize(bs->st_loc);
	sqlite3_finalize(bs->st_insert);
	while (bs->nopen > 0)
		pack_close_at(bs, bs->nopen - 1);
	r1_free(bs->open);
	if (bs->packs_fd >= 0)
		close(bs->packs_fd);
	if (bs->lock_fd >= 0)
		close(bs->lock_fd); /* releases the flock */
	pthread_mutex_destroy(&bs->mu);
	r1_free(bs->dir);
	r1_free(bs->packs_dir);
	r1_free(bs);
	*bsp = NULL;
}

void blockstore_set_pack_max(struct blockstore *bs, uint64_t bytes)
{
	pthread_mutex_lock(&bs->mu);
	bs->pack_max = bytes == 0 ? BLOCKSTORE_PACK_MAX : R1_MAX(bytes, PACK_MIN);
	pthread_mutex_unlock(&bs->mu);
}

/* ------------------------------------------------------------ counters */

void blockstore_db_lock(struct blockstore *bs)
{
	pthread_mutex_lock(&bs->mu);
}

void blockstore_db_unlock(struct blockstore *bs)
{
	pthread_mutex_unlock(&bs->mu);
}

void blockstore_set_quota(struct blockstore *bs, uint64_t bytes)
{
	pthread_mutex_lock(&bs->mu);
	bs->quota = bytes;
	pthread_mutex_unlock(&bs->mu);
}

uint64_t blockstore_quota(struct blockstore *bs)
{
	pthread_mutex_lock(&bs->mu);
	uint64_t q = bs->quota;
	pthread_mutex_unlock(&bs->mu);
	return q;
}

uint64_t blockstore_used(struct blockstore *bs)
{
	pthread_mutex_lock(&bs->mu);
	uint64_t u = bs->indexed_bytes + bs->pending_bytes;
	pthread_mutex_unlock(&bs->mu);
	return u;
}

int64_t blockstore_count(struct blockstore *bs)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;
	pthread_mutex_lock(&bs->mu);
	if (sqlite3_prepare_v2(bs->db, "SELECT COUNT(*) FROM r1fs_blocks", -1, &st, NULL) ==
	        SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&bs->mu);
	return n;
}

enum r1_err blockstore_disk_usage(struct blockstore *bs, uint64_t *packs, uint64_t *bytes,
                                  char **why)
{
	uint32_t *ids = NULL;
	size_t n = 0;
	*packs = 0;
	*bytes = 0;
	enum r1_err e = list_packs(bs, &ids, &n, why);
	for (size_t i = 0; !e && i < n; i++) {
		int64_t size = pack_file_size(bs, ids[i]);
		if (size >= 0) {
			(*packs)++;
			*bytes += (uint64_t)size;
		}
	}
	r1_free(ids);
	return e;
}

/* ------------------------------------------------------------ lookups */

/* Under bs->mu: 1 indexed (links set), 0 not, -1 database error. */
static int lookup_locked(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN], int *links)
{
	sqlite3_reset(bs->st_has);
	sqlite3_bind_blob(bs->st_has, 1, digest, R1FS_DIGEST_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(bs->st_has);
	int found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
	if (found == 1 && links)
		*links = sqlite3_column_int(bs->st_has, 0);
	sqlite3_reset(bs->st_has);
	return found;
}

/* Under bs->mu: where the block's record is.  R1_ERR_NOTFOUND, R1_ERR_DB. */
static enum r1_err locate_locked(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                                 uint64_t *size, uint32_t *pack, uint64_t *off, char **why)
{
	sqlite3_reset(bs->st_loc);
	sqlite3_bind_blob(bs->st_loc, 1, digest, R1FS_DIGEST_LEN, SQLITE_STATIC);
	int rc = sqlite3_step(bs->st_loc);
	enum r1_err e = R1_OK;
	if (rc == SQLITE_ROW && sqlite3_column_type(bs->st_loc, 1) != SQLITE_NULL) {
		*size = (uint64_t)sqlite3_column_int64(bs->st_loc, 0);
		*pack = (uint32_t)sqlite3_column_int64(bs->st_loc, 1);
		*off = (uint64_t)sqlite3_column_int64(bs->st_loc, 2);
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		char hex[2 * R1FS_DIGEST_LEN + 1];
		r1fs_digest_hex(digest, hex);
		e = r1_fail(why, R1_ERR_NOTFOUND, "r1fs: block %.16s... not found", hex);
	} else {
		e = db_error(bs, why, "index lookup");
	}
	sqlite3_reset(bs->st_loc);
	return e;
}

bool blockstore_has(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN])
{
	pthread_mutex_lock(&bs->mu);
	int found = lookup_locked(bs, digest, NULL);
	pthread_mutex_unlock(&bs->mu);
	return found == 1;
}

enum r1_err blockstore_links(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                             int *links, char **why)
{
	pthread_mutex_lock(&bs->mu);
	int found = lookup_locked(bs, digest, links);
	enum r1_err e = found == 1   ? R1_OK
	                : found == 0 ? r1_fail(why, R1_ERR_NOTFOUND, "r1fs: block not indexed")
	                             : db_error(bs, why, "index lookup");
	pthread_mutex_unlock(&bs->mu);
	return e;
}

static enum r1_err get_block(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                             bool check_hash, struct buf *out, char **why)
{
	uint64_t size = 0, off = 0;
	uint32_t id = 0;
	struct pack *p = NULL;
	pthread_mutex_lock(&bs->mu);
	enum r1_err e = locate_locked(bs, digest, &size, &id, &off, why);
	if (!e)
		e = pack_acquire_locked(bs, id, &p, why);
	pthread_mutex_unlock(&bs->mu);
	if (e)
		return e;
	e = read_record(p, off, digest, (size_t)R1_MIN(size, (uint64_t)R1FS_BLOCK_MAX + 1),
	                check_hash, out, why);
	pack_release(bs, p);
	return e;
}

enum r1_err blockstore_get(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                           struct buf *out, char **why)
{
	return get_block(bs, digest, true, out, why);
}

enum r1_err blockstore_get_unchecked(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                                     struct buf *out, char **why)
{
	return get_block(bs, digest, false, out, why);
}

enum r1_err blockstore_locate(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                              char **pack_path, uint64_t *offset, size_t *len, char **why)
{
	uint64_t size = 0, off = 0;
	uint32_t id = 0;
	pthread_mutex_lock(&bs->mu);
	enum r1_err e = locate_locked(bs, digest, &size, &id, &off, why);
	pthread_mutex_unlock(&bs->mu);
	if (e)
		return e;
	char name[PACK_NAME_LEN + 1];
	pack_name(id, name);
	*pack_path = paths_join(bs->packs_dir, name);
	if (!*pack_path)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	*offset = off + BLOCKSTORE_RECORD_HDR;
	*len = (size_t)size;
	return R1_OK;
}

/* ------------------------------------------------------------ batches */

struct slot {
	struct buf data;
	uint8_t digest[R1FS_DIGEST_LEN];
	int links;
	bool commit; /* a commit marker, not a block */
};

struct row {
	uint8_t digest[R1FS_DIGEST_LEN];
	uint64_t size;
	uint64_t off;
	uint32_t pack;
	int links;
};

struct blockstore_batch {
	struct blockstore *bs;
	bool async;
	bool unsynced; /* never fsync, whatever the store's policy (blocks peers can resend) */
	/* Caller's side: the digests queued lately, so a block repeated within
	 * the batch (zero chunks) is written once even before its row commits. */
	uint8_t recent[RECENT_MAX][R1FS_DIGEST_LEN];
	size_t recent_n, recent_next;
	uint64_t counted; /* bytes added to bs->pending_bytes and not yet released (bs->mu) */
	/* Writer's side: written, not yet indexed. */
	struct row rows[BLOCKSTORE_BATCH_MAX];
	size_t nrows;
	struct appender app;
	/* Shared, under m. */
	pthread_mutex_t m;
	pthread_cond_t cv;
	struct slot slots[BATCH_SLOTS];
	size_t head, count;
	uint64_t commits_asked, commits_done;
	enum r1_err err; /* sticky: the first failure */
	char *err_why;
	bool stop;
	bool have_thread;
	pthread_t thread;
};

/* Sync the packs, then index the written rows in one transaction.  Writer's side. */
static enum r1_err do_commit(struct blockstore_batch *b, char **why)
{
	struct blockstore *bs = b->bs;
	enum r1_err e = b->unsynced ? R1_OK : appender_sync(bs, &b->app, why);
	if (e || b->nrows == 0) {
		appender_release(bs, &b->app);
		return e;
	}
	int64_t now = (int64_t)time(NULL);
	uint64_t added = 0, done = 0;
	pthread_mutex_lock(&bs->mu);
	if (sqlite3_exec(bs->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		e = db_error(bs, why, "begin");
	for (size_t i = 0; i < b->nrows && !e; i++) {
		const struct row *r = &b->rows[i];
		sqlite3_stmt *st = bs->st_insert;
		sqlite3_reset(st);
		sqlite3_bind_blob(st, 1, r->digest, R1FS_DIGEST_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)r->size);
		sqlite3_bind_int(st, 3, r->links);
		sqlite3_bind_int64(st, 4, now);
		sqlite3_bind_int64(st, 5, r->pack);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)r->off);
		if (sqlite3_step(st) != SQLITE_DONE)
			e = db_error(bs, why, "indexing a block");
		else if (sqlite3_changes(bs->db) > 0)
			added += r->size;
		done += r->size;
	}
	sqlite3_reset(bs->st_insert);
	if (!e && sqlite3_exec(bs->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		e = db_error(bs, why, "commit");
	if (e) {
		sqlite3_exec(bs->db, "ROLLBACK", NULL, NULL, NULL);
	} else {
		bs->indexed_bytes += added;
		bs->pending_bytes -= R1_MIN(done, bs->pending_bytes);
		b->counted -= R1_MIN(done, b->counted);
	}
	pthread_mutex_unlock(&bs->mu);
	b->nrows = 0;
	appender_release(bs, &b->app);
	return e;
}

/* Write one block and queue its row.  Writer's side. */
static enum r1_err process_block(struct blockstore_batch *b, const uint8_t digest[R1FS_DIGEST_LEN],
                                 const uint8_t *data, size_t len, int links, char **why)
{
	enum r1_err e = appender_full(&b->app) ? do_commit(b, why) : R1_OK;
	struct row *r = &b->rows[b->nrows];
	if (!e)
		e = appender_write(b->bs, &b->app, digest, data, len, links, &r->pack, &r->off,
		                   why);
	if (e)
		return e;
	memcpy(r->digest, digest, R1FS_DIGEST_LEN);
	r->size = len;
	r->links = links;
	if (++b->nrows == BLOCKSTORE_BATCH_MAX)
		return do_commit(b, why);
	return R1_OK;
}

static void set_error(struct blockstore_batch *b, enum r1_err e, char **why)
{
	if (e && !b->err) {
		b->err = e;
		b->err_why = *why;
		*why = NULL;
	}
	r1_free(*why);
	*why = NULL;
}

static void *writer_main(void *arg)
{
	struct blockstore_batch *b = arg;
	char *why = NULL;
	pthread_mutex_lock(&b->m);
	for (;;) {
		while (b->count == 0 && !b->stop)
			pthread_cond_wait(&b->cv, &b->m);
		if (b->count == 0)
			break;
		struct slot *s = &b->slots[b->head];
		bool failed = b->err != R1_OK || b->stop; /* stopping: drop what is queued */
		pthread_mutex_unlock(&b->m);
		enum r1_err e = R1_OK;
		if (!failed)
			e = s->commit ? do_commit(b, &why)
			              : process_block(b, s->digest, (const uint8_t *)s->data.data,
			                              s->data.len, s->links, &why);
		pthread_mutex_lock(&b->m);
		set_error(b, e, &why);
		if (s->commit)
			b->commits_done++;
		b->head = (b->head + 1) % BATCH_SLOTS;
		b->count--;
		pthread_cond_broadcast(&b->cv);
	}
	pthread_mutex_unlock(&b->m);
	return NULL;
}

struct blockstore_batch *blockstore_batch_new(struct blockstore *bs, bool async)
{
	struct blockstore_batch *b = r1_calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->bs = bs;
	pthread_mutex_init(&b->m, NULL);
	pthread_cond_init(&b->cv, NULL);
	for (size_t i = 0; i < BATCH_SLOTS; i++)
		buf_init(&b->slots[i].data);
	/* Without a thread the batch still works, synchronously. */
	if (async && pthread_create(&b->thread, NULL, writer_main, b) == 0) {
		b->async = true;
		b->have_thread = true;
	}
	return b;
}

void blockstore_batch_free(struct blockstore_batch **bp)
{
	struct blockstore_batch *b = *bp;
	if (!b)
		return;
	if (b->have_thread) {
		pthread_mutex_lock(&b->m);
		b->stop = true;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->m);
		pthread_join(b->thread, NULL);
	}
	appender_release(b->bs, &b->app);
	pthread_mutex_lock(&b->bs->mu);
	b->bs->pending_bytes -= R1_MIN(b->counted, b->bs->pending_bytes);
	pthread_mutex_unlock(&b->bs->mu);
	for (size_t i = 0; i < BATCH_SLOTS; i++)
		buf_release(&b->slots[i].data);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->m);
	r1_free(b->err_why);
	r1_free(b);
	*bp = NULL;
}

static enum r1_err sticky(struct blockstore_batch *b)
{
	pthread_mutex_lock(&b->m);
	enum r1_err e = b->err;
	pthread_mutex_unlock(&b->m);
	return e;
}

/* The sticky error, with its reason copied for the caller. */
static enum r1_err batch_error(struct blockstore_batch *b, char **why)
{
	return r1_fail(why, b->err, "%s", b->err_why ? b->err_why : "r1fs: a block write failed");
}

/* Wait for a free slot (async).  Returns with b->m held and R1_OK, or the sticky error. */
static enum r1_err wait_slot_locked(struct blockstore_batch *b)
{
	while (b->count == BATCH_SLOTS && !b->err)
		pthread_cond_wait(&b->cv, &b->m);
	return b->err;
}

static bool recent_has(const struct blockstore_batch *b, const uint8_t digest[R1FS_DIGEST_LEN])
{
	for (size_t i = 0; i < b->recent_n; i++)
		if (memcmp(b->recent[i], digest, R1FS_DIGEST_LEN) == 0)
			return true;
	return false;
}

enum r1_err blockstore_batch_put(struct blockstore_batch *b, const uint8_t digest[R1FS_DIGEST_LEN],
                                 const uint8_t *data, size_t len, int links, char **why)
{
	struct blockstore *bs = b->bs;
	if (len > R1FS_BLOCK_MAX)
		return r1_fail(why, R1_ERR_TOOBIG, "r1fs: block of %zu bytes is too large", len);
	if (sticky(b))
		return batch_error(b, why);
	if (recent_has(b, digest))
		return R1_OK;
	pthread_mutex_lock(&bs->mu);
	int found = lookup_locked(bs, digest, NULL);
	bool over = false;
	if (found == 0) {
		over = bs->quota && bs->indexed_bytes + bs->pending_bytes + len > bs->quota;
		if (!over) {
			bs->pending_bytes += len;
			b->counted += len;
		}
	}
	uint64_t used = bs->indexed_bytes + bs->pending_bytes, quota = bs->quota;
	pthread_mutex_unlock(&bs->mu);
	if (found < 0)
		return db_error(bs, why, "index lookup");
	if (found == 1)
		return R1_OK;
	if (over)
		return r1_fail(why, R1_ERR_TOOBIG,
		               "r1fs: storage quota exceeded (%" PRIu64 " of %" PRIu64
		               " bytes used, a block needs %zu more)",
		               used, quota, len);
	memcpy(b->recent[b->recent_next], digest, R1FS_DIGEST_LEN);
	b->recent_next = (b->recent_next + 1) % RECENT_MAX;
	if (b->recent_n < RECENT_MAX)
		b->recent_n++;
	if (!b->async) {
		enum r1_err e = process_block(b, digest, data, len, links, why);
		if (e) {
			b->err = e;
			b->err_why = why && *why ? r1_strdup(*why) : NULL;
		}
		return e;
	}
	pthread_mutex_lock(&b->m);
	enum r1_err e = wait_slot_locked(b);
	/* The slot past the queue's end is the caller's until count covers it
	 * (head + count does not move while only the writer runs). */
	struct slot *s = &b->slots[(b->head + b->count) % BATCH_SLOTS];
	pthread_mutex_unlock(&b->m);
	if (e)
		return batch_error(b, why);
	buf_reset(&s->data);
	buf_add(&s->data, data, len);
	if (!buf_ok(&s->data))
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	memcpy(s->digest, digest, R1FS_DIGEST_LEN);
	s->links = links;
	s->commit = false;
	pthread_mutex_lock(&b->m);
	b->count++;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->m);
	return R1_OK;
}

enum r1_err blockstore_batch_commit(struct blockstore_batch *b, char **why)
{
	if (sticky(b))
		return batch_error(b, why);
	if (!b->async) {
		enum r1_err e = do_commit(b, why);
		if (e) {
			b->err = e;
			b->err_why = why && *why ? r1_strdup(*why) : NULL;
		}
		return e;
	}
	pthread_mutex_lock(&b->m);
	enum r1_err e = wait_slot_locked(b);
	if (!e) {
		b->slots[(b->head + b->count) % BATCH_SLOTS].commit = true;
		b->count++;
		uint64_t target = ++b->commits_asked;
		pthread_cond_broadcast(&b->cv);
		while (b->commits_done < target && !b->err)
			pthread_cond_wait(&b->cv, &b->m);
		e = b->err;
	}
	pthread_mutex_unlock(&b->m);
	return e ? batch_error(b, why) : R1_OK;
}

static enum r1_err put_one(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                           const uint8_t *data, size_t len, int links, bool unsynced, char **why)
{
	struct blockstore_batch *b = blockstore_batch_new(bs, false);
	if (!b)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	b->unsynced = unsynced;
	enum r1_err e = blockstore_batch_put(b, digest, data, len, links, why);
	if (!e)
		e = blockstore_batch_commit(b, why);
	blockstore_batch_free(&b);
	return e;
}

enum r1_err blockstore_put(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                           const uint8_t *data, size_t len, int links, char **why)
{
	return put_one(bs, digest, data, len, links, false, why);
}

enum r1_err blockstore_put_unsynced(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                                   const uint8_t *data, size_t len, int links, char **why)
{
	return put_one(bs, digest, data, len, links, true, why);
}

enum r1_err blockstore_remove(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                              char **why)
{
	sqlite3_stmt *st = NULL;
	enum r1_err e = R1_OK;
	pthread_mutex_lock(&bs->mu);
	if (sqlite3_prepare_v2(bs->db, "DELETE FROM r1fs_blocks WHERE digest = ?1 RETURNING size",
	                       -1, &st, NULL) != SQLITE_OK) {
		e = db_error(bs, why, "remove");
	} else {
		sqlite3_bind_blob(st, 1, digest, R1FS_DIGEST_LEN, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			uint64_t size = (uint64_t)sqlite3_column_int64(st, 0);
			bs->indexed_bytes -= R1_MIN(size, bs->indexed_bytes);
			rc = sqlite3_step(st);
		}
		if (rc != SQLITE_DONE)
			e = db_error(bs, why, "remove");
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&bs->mu);
	return e;
}

/* ------------------------------------------------------------ gc */

enum r1_err blockstore_gc_begin(struct blockstore *bs, char **why)
{
	pthread_mutex_lock(&bs->mu);
	enum r1_err e = R1_OK;
	if (sqlite3_exec(bs->db,
	                 "CREATE TEMP TABLE IF NOT EXISTS r1fs_live(digest BLOB PRIMARY KEY)"
	                 " WITHOUT ROWID;"
	                 "DELETE FROM temp.r1fs_live;",
	                 NULL, NULL, NULL) != SQLITE_OK)
		e = db_error(bs, why, "gc");
	pthread_mutex_unlock(&bs->mu);
	return e;
}

enum r1_err blockstore_gc_mark(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                               bool *already, char **why)
{
	sqlite3_stmt *st = NULL;
	enum r1_err e = R1_OK;
	pthread_mutex_lock(&bs->mu);
	if (sqlite3_prepare_v2(bs->db, "INSERT OR IGNORE INTO temp.r1fs_live(digest) VALUES (?1)",
	                       -1, &st, NULL) != SQLITE_OK) {
		e = db_error(bs, why, "gc mark");
	} else {
		sqlite3_bind_blob(st, 1, digest, R1FS_DIGEST_LEN, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			e = db_error(bs, why, "gc mark");
		else
			*already = sqlite3_changes(bs->db) == 0;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&bs->mu);
	return e;
}

/* Remove every unmarked row added at or before cutoff, in one transaction. */
static enum r1_err sweep_rows(struct blockstore *bs, int64_t cutoff,
                              struct blockstore_gc_stats *stats, char **why)
{
	sqlite3_stmt *st = NULL;
	enum r1_err e = R1_OK;
	pthread_mutex_lock(&bs->mu);
	if (sqlite3_exec(bs->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		e = db_error(bs, why, "gc begin");
		goto out;
	}
	if (sqlite3_prepare_v2(bs->db,
	                       "DELETE FROM r1fs_blocks WHERE added <= ?1 AND digest NOT IN"
	                       " (SELECT digest FROM temp.r1fs_live) RETURNING size",
	                       -1, &st, NULL) != SQLITE_OK) {
		e = db_error(bs, why, "gc sweep");
	} else {
		sqlite3_bind_int64(st, 1, cutoff);
		int rc;
		uint64_t n = 0, bytes = 0;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			n++;
			bytes += (uint64_t)sqlite3_column_int64(st, 0);
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			e = db_error(bs, why, "gc sweep");
		} else if (sqlite3_exec(bs->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			e = db_error(bs, why, "gc commit");
		} else {
			stats->blocks_removed += n;
			stats->bytes_removed += bytes;
			bs->indexed_bytes -= R1_MIN(bytes, bs->indexed_bytes);
		}
	}
	if (e)
		sqlite3_exec(bs->db, "ROLLBACK", NULL, NULL, NULL);
out:
	pthread_mutex_unlock(&bs->mu);
	return e;
}

struct move_row {
	uint8_t digest[R1FS_DIGEST_LEN];
	uint64_t size, off, new_off;
	uint32_t new_pack; /* 0: corrupted, its row is dropped */
	int links;
};

#define MOVE_CHUNK 64

/*
 * Move the live records of pack `id` to the current pack, MOVE_CHUNK at a
 * time: copy (verifying each block), sync, then one transaction re-points
 * the rows.  *finished when the pack has no row left.
 */
static enum r1_err move_pack(struct blockstore *bs, uint32_t id, blockstore_progress_fn progress,
                             void *ctx, uint64_t *done, uint64_t total,
                             struct blockstore_gc_stats *stats, bool *finished, char **why)
{
	struct move_row *rows = r1_calloc(MOVE_CHUNK, sizeof(*rows));
	struct buf block = BUF_INIT;
	struct appender a = {0};
	struct pack *src = NULL;
	sqlite3_stmt *sel = NULL, *upd = NULL, *del = NULL;
	enum r1_err e = rows ? R1_OK : r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	*finished = false;
	pthread_mutex_lock(&bs->mu);
	if (!e)
		e = pack_acquire_locked(bs, id, &src, why);
	if (!e &&
	    (sqlite3_prepare_v2(bs->db,
	                        "SELECT digest, size, links, off FROM r1fs_blocks WHERE pack = ?1"
	                        " ORDER BY off LIMIT ?2",
	                        -1, &sel, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(bs->db,
	                        "UPDATE r1fs_blocks SET pack = ?2, off = ?3"
	                        " WHERE digest = ?1 AND pack = ?4 AND off = ?5",
	                        -1, &upd, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(bs->db, "DELETE FROM r1fs_blocks WHERE digest = ?1 AND pack = ?2",
	                        -1, &del, NULL) != SQLITE_OK))
		e = db_error(bs, why, "compaction");
	pthread_mutex_unlock(&bs->mu);
	bool go_on = true;
	while (!e && go_on) {
		size_t n = 0;
		int rc;
		pthread_mutex_lock(&bs->mu);
		sqlite3_reset(sel);
		sqlite3_bind_int64(sel, 1, id);
		sqlite3_bind_int(sel, 2, MOVE_CHUNK);
		while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
			struct move_row *r = &rows[n++];
			memset(r, 0, sizeof(*r));
			if (sqlite3_column_bytes(sel, 0) == R1FS_DIGEST_LEN)
				memcpy(r->digest, sqlite3_column_blob(sel, 0), R1FS_DIGEST_LEN);
			r->size = (uint64_t)sqlite3_column_int64(sel, 1);
			r->links = sqlite3_column_int(sel, 2);
			r->off = (uint64_t)sqlite3_column_int64(sel, 3);
		}
		sqlite3_reset(sel);
		pthread_mutex_unlock(&bs->mu);
		if (rc != SQLITE_DONE) {
			e = db_error(bs, why, "compaction");
			break;
		}
		if (n == 0) {
			*finished = true;
			break;
		}
		size_t i;
		for (i = 0; i < n && !e && go_on && !appender_full(&a); i++) {
			struct move_row *r = &rows[i];
			char *bad = NULL;
			enum r1_err re =
			    read_record(src, r->off, r->digest, (size_t)r->size, true, &block, &bad);
			if (re == R1_ERR_CRYPTO) {
				LOG_W(bs->log, "r1fs", "compaction drops a block: %s", bad);
			} else if (re) {
				e = r1_fail(why, re, "%s", bad ? bad : "r1fs: compaction failed");
			} else {
				e = appender_write(bs, &a, r->digest, (const uint8_t *)block.data,
				                   block.len, r->links, &r->new_pack, &r->new_off,
				                   why);
			}
			r1_free(bad);
			*done += BLOCKSTORE_RECORD_HDR + r->size;
			if (progress && !progress(ctx, *done, total))
				go_on = false;
		}
		n = i; /* rows not copied (the appender filled up) wait for the next round */
		if (!e)
			e = appender_sync(bs, &a, why);
		pthread_mutex_lock(&bs->mu);
		if (!e && sqlite3_exec(bs->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			e = db_error(bs, why, "compaction");
		uint64_t dropped = 0, dropped_bytes = 0;
		for (i = 0; i < n && !e; i++) {
			struct move_row *r = &rows[i];
			sqlite3_stmt *s = r->new_pack ? upd : del;
			sqlite3_reset(s);
			sqlite3_bind_blob(s, 1, r->digest, R1FS_DIGEST_LEN, SQLITE_STATIC);
			sqlite3_bind_int64(s, 2, r->new_pack ? r->new_pack : id);
			if (r->new_pack) {
				sqlite3_bind_int64(s, 3, (sqlite3_int64)r->new_off);
				sqlite3_bind_int64(s, 4, id);
				sqlite3_bind_int64(s, 5, (sqlite3_int64)r->off);
			} else {
				dropped++;
				dropped_bytes += r->size;
			}
			if (sqlite3_step(s) != SQLITE_DONE)
				e = db_error(bs, why, "compaction");
		}
		if (!e && sqlite3_exec(bs->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			e = db_error(bs, why, "compaction");
		if (e) {
			sqlite3_exec(bs->db, "ROLLBACK", NULL, NULL, NULL);
		} else {
			stats->blocks_removed += dropped;
			stats->bytes_removed += dropped_bytes;
			bs->indexed_bytes -= R1_MIN(dropped_bytes, bs->indexed_bytes);
		}
		pthread_mutex_unlock(&bs->mu);
		appender_release(bs, &a);
	}
	appender_release(bs, &a);
	pthread_mutex_lock(&bs->mu);
	if (src)
		pack_release_locked(bs, src);
	pthread_mutex_unlock(&bs->mu);
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	sqlite3_finalize(del);
	buf_release(&block);
	r1_free(rows);
	return e;
}

struct pack_use {
	uint32_t id;
	uint64_t live; /* record bytes the index names */
	uint64_t size; /* file bytes */
};

/* Delete packs nothing indexes; move the live records out of sparse ones. */
static enum r1_err compact(struct blockstore *bs, blockstore_progress_fn progress, void *ctx,
                           struct blockstore_gc_stats *stats, char **why)
{
	uint32_t *ids = NULL;
	size_t n = 0, nc = 0;
	enum r1_err e = list_packs(bs, &ids, &n, why);
	struct pack_use *cand = n ? r1_calloc(n, sizeof(*cand)) : NULL;
	sqlite3_stmt *st = NULL;
	if (!e && n && !cand)
		e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	pthread_mutex_lock(&bs->mu);
	if (!e && sqlite3_prepare_v2(bs->db,
	                             "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM r1fs_blocks"
	                             " WHERE pack = ?1",
	                             -1, &st, NULL) != SQLITE_OK)
		e = db_error(bs, why, "compaction");
	uint64_t total = 0;
	for (size_t i = 0; i < n && !e; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, ids[i]);
		if (sqlite3_step(st) != SQLITE_ROW) {
			e = db_error(bs, why, "compaction");
			break;
		}
		uint64_t rows = (uint64_t)sqlite3_column_int64(st, 0);
		uint64_t live =
		    (uint64_t)sqlite3_column_int64(st, 1) + rows * BLOCKSTORE_RECORD_HDR;
		int64_t size = pack_file_size(bs, ids[i]);
		if (size < 0)
			continue;
		if (rows == 0) {
			pack_unlink_locked(bs, ids[i]);
			stats->packs_deleted++;
			stats->disk_freed += (uint64_t)size;
		} else if (ids[i] != bs->cur_id &&
		           (live + PACK_HDR) * 100 < (uint64_t)size * COMPACT_PERCENT) {
			cand[nc++] = (struct pack_use){ids[i], live, (uint64_t)size};
			total += live;
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&bs->mu);
	uint64_t done = 0;
	for (size_t i = 0; i < nc && !e; i++) {
		bool finished = false;
		e = move_pack(bs, cand[i].id, progress, ctx, &done, total, stats, &finished, why);
		if (e || !finished)
			break;
		pthread_mutex_lock(&bs->mu);
		pack_unlink_locked(bs, cand[i].id);
		pthread_mutex_unlock(&bs->mu);
		stats->packs_compacted++;
		stats->packs_deleted++;
		stats->disk_freed += cand[i].size;
	}
	r1_free(cand);
	r1_free(ids);
	return e;
}

enum r1_err blockstore_gc_sweep(struct blockstore *bs, int64_t cutoff,
                                blockstore_progress_fn progress, void *ctx,
                                struct blockstore_gc_stats *stats, char **why)
{
	memset(stats, 0, sizeof(*stats));
	enum r1_err e = sweep_rows(bs, cutoff, stats, why);
	if (!e)
		e = compact(bs, progress, ctx, stats, why);
	return e;
}
