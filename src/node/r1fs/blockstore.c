/*
 * R1FS's block store (see blockstore.h): files named by hash under a
 * sharded directory, an index in SQLite, and the ordering between the two
 * that makes a crash harmless.  The order is always: file to tmp/, rename
 * into blocks/, sync (per policy), then the index row; and for removal:
 * index row first, then the file.  So the index never names a block that
 * is not on disk; the reverse (a file nobody indexed) is garbage, collected
 * by the sweep.
 */
#include "node/lib.h"
#include "node/r1fs/blockstore.h"

#include "core/hash.h"
#include "node/r1fs/dagpb.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>

struct blockstore {
	char *dir;
	char *blocks_dir;
	char *tmp_dir;
	int lock_fd;
	int blocks_fd; /* for syncfs */
	sqlite3 *db;
	enum r1fs_sync sync;
	pthread_mutex_t mu; /* guards db, the statements and the counters */
	sqlite3_stmt *st_has;
	sqlite3_stmt *st_insert;
	uint64_t quota;
	uint64_t indexed_bytes;
	uint64_t pending_bytes;
	uint64_t
	    shards_made[4]; /* bit per blocks/xx known to exist (atomic; saves a mkdir per block) */
};

struct pending_row {
	uint8_t digest[R1FS_DIGEST_LEN];
	uint64_t size;
	int links;
	bool counted; /* new to the store: part of pending_bytes */
};

struct blockstore_batch {
	struct blockstore *bs;
	struct pending_row rows[BLOCKSTORE_BATCH_MAX];
	size_t n;
};

/* ------------------------------------------------------------ helpers */

static char *path_join(const char *a, const char *b)
{
	struct buf p = BUF_INIT;
	buf_adds(&p, a);
	buf_addc(&p, '/');
	buf_adds(&p, b);
	return buf_detach(&p, NULL);
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

char *blockstore_path(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN])
{
	char hex[2 * R1FS_DIGEST_LEN + 1];
	r1fs_digest_hex(digest, hex);
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/%.2s/%s", bs->blocks_dir, hex, hex);
	return buf_detach(&p, NULL);
}

static void clean_tmp(const char *tmp_dir)
{
	DIR *d = opendir(tmp_dir);
	if (!d)
		return;
	int fd = dirfd(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			unlinkat(fd, de->d_name, 0);
	closedir(d);
}

/* ------------------------------------------------------------ open/close */

enum r1_err blockstore_open(const char *dir, sqlite3 *db, enum r1fs_sync sync,
                            struct blockstore **out, char **why)
{
	struct blockstore *bs = r1_calloc(1, sizeof(*bs));
	if (!bs)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	bs->lock_fd = -1;
	bs->blocks_fd = -1;
	bs->db = db;
	bs->sync = sync;
	pthread_mutex_init(&bs->mu, NULL);
	enum r1_err e;
	bs->dir = r1_strdup(dir);
	bs->blocks_dir = path_join(dir, "blocks");
	bs->tmp_dir = path_join(dir, "tmp");
	char *lock_path = path_join(dir, "LOCK");
	if (!bs->dir || !bs->blocks_dir || !bs->tmp_dir || !lock_path) {
		e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
		goto fail;
	}
	if ((e = ensure_dir(dir, why)) || (e = ensure_dir(bs->blocks_dir, why)) ||
	    (e = ensure_dir(bs->tmp_dir, why)))
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
	bs->blocks_fd = open(bs->blocks_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bs->blocks_fd < 0) {
		e = r1_fail(why, R1_ERR_IO, "r1fs: open %s: %s", bs->blocks_dir, strerror(errno));
		goto fail;
	}
	clean_tmp(bs->tmp_dir);
	if (sqlite3_prepare_v2(db, "SELECT links FROM r1fs_blocks WHERE digest = ?1", -1,
	                       &bs->st_has, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "INSERT OR IGNORE INTO r1fs_blocks(digest, size, links, added)"
	                       " VALUES (?1, ?2, ?3, ?4)",
	                       -1, &bs->st_insert, NULL) != SQLITE_OK) {
		e = db_error(bs, why, "prepare");
		goto fail;
	}
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
	sqlite3_finalize(bs->st_insert);
	if (bs->blocks_fd >= 0)
		close(bs->blocks_fd);
	if (bs->lock_fd >= 0)
		close(bs->lock_fd); /* releases the flock */
	pthread_mutex_destroy(&bs->mu);
	r1_free(bs->dir);
	r1_free(bs->blocks_dir);
	r1_free(bs->tmp_dir);
	r1_free(bs);
	*bsp = NULL;
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

enum r1_err blockstore_get(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                           struct buf *out, char **why)
{
	char hex[2 * R1FS_DIGEST_LEN + 1];
	r1fs_digest_hex(digest, hex);
	char *path = blockstore_path(bs, digest);
	if (!path)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	r1_free(path);
	if (fd < 0)
		return errno == ENOENT
		           ? r1_fail(why, R1_ERR_NOTFOUND, "r1fs: block %.16s... not found", hex)
		           : r1_fail(why, R1_ERR_IO, "r1fs: reading block %.16s...: %s", hex,
		                     strerror(errno));
	struct stat st;
	enum r1_err e = R1_OK;
	if (fstat(fd, &st) != 0 || st.st_size < 0 || (uint64_t)st.st_size > R1FS_BLOCK_MAX) {
		e = r1_fail(why, R1_ERR_CRYPTO, "r1fs: block %.16s... has an impossible size", hex);
		goto done;
	}
	size_t size = (size_t)st.st_size;
	buf_reset(out);
	if (!buf_reserve(out, size)) {
		e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
		goto done;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, out->data + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = r1_fail(why, R1_ERR_IO, "r1fs: reading block %.16s...: %s", hex,
			            n < 0 ? strerror(errno) : "file shrank");
			goto done;
		}
		got += (size_t)n;
	}
	out->len = size;
	out->data[size] = '\0';
	uint8_t check[SHA256_LEN];
	sha256(out->data, size, check);
	if (memcmp(check, digest, SHA256_LEN) != 0)
		e = r1_fail(why, R1_ERR_CRYPTO,
		            "r1fs: block %.16s... is corrupted on disk (its hash does not match)",
		            hex);
done:
	close(fd);
	return e;
}

/* ------------------------------------------------------------ writing */

static enum r1_err write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return R1_ERR_IO;
		p += n;
		len -= (size_t)n;
	}
	return R1_OK;
}

static enum r1_err fsync_dir(const char *path, char **why)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		enum r1_err e =
		    r1_fail(why, R1_ERR_IO, "r1fs: fsync %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return e;
	}
	close(fd);
	return R1_OK;
}

/* The file part of a put: tmp file, (sync), rename into its shard. */
static enum r1_err write_block_file(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                                    const uint8_t *data, size_t len, char **why)
{
	char *final = blockstore_path(bs, digest);
	struct buf tmp = BUF_INIT;
	buf_addf(&tmp, "%s/blk-XXXXXX", bs->tmp_dir);
	if (!final || !buf_ok(&tmp)) {
		r1_free(final);
		buf_release(&tmp);
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	}
	enum r1_err e = R1_OK;
	int fd = mkostemp(tmp.data, O_CLOEXEC);
	if (fd < 0) {
		e = r1_fail(why, R1_ERR_IO, "r1fs: creating %s: %s", tmp.data, strerror(errno));
		goto done;
	}
	if (write_all(fd, data, len) != R1_OK ||
	    (bs->sync == R1FS_SYNC_EACH && fdatasync(fd) != 0)) {
		e = r1_fail(why, errno == ENOSPC ? R1_ERR_TOOBIG : R1_ERR_IO,
		            "r1fs: writing a block: %s", strerror(errno));
		close(fd);
		unlink(tmp.data);
		goto done;
	}
	close(fd);
	/* The shard directory: blocks/xx, made on first use. */
	char *slash = strrchr(final, '/');
	unsigned shard = digest[0];
	uint64_t bit = 1ull << (shard & 63);
	if (!(__atomic_load_n(&bs->shards_made[shard >> 6], __ATOMIC_ACQUIRE) & bit)) {
		*slash = '\0';
		e = ensure_dir(final, why);
		*slash = '/';
		if (!e)
			__atomic_fetch_or(&bs->shards_made[shard >> 6], bit, __ATOMIC_RELEASE);
	}
	if (!e && rename(tmp.data, final) != 0)
		e = r1_fail(why, R1_ERR_IO, "r1fs: rename into %s: %s", final, strerror(errno));
	if (e) {
		unlink(tmp.data);
		goto done;
	}
	if (bs->sync == R1FS_SYNC_EACH) {
		*slash = '\0';
		e = fsync_dir(final, why);
		*slash = '/';
	}
done:
	r1_free(final);
	buf_release(&tmp);
	return e;
}

struct blockstore_batch *blockstore_batch_new(struct blockstore *bs)
{
	struct blockstore_batch *b = r1_calloc(1, sizeof(*b));
	if (b)
		b->bs = bs;
	return b;
}

static void forget_pending(struct blockstore_batch *b)
{
	uint64_t bytes = 0;
	for (size_t i = 0; i < b->n; i++)
		if (b->rows[i].counted)
			bytes += b->rows[i].size;
	pthread_mutex_lock(&b->bs->mu);
	b->bs->pending_bytes -= bytes;
	pthread_mutex_unlock(&b->bs->mu);
	b->n = 0;
}

void blockstore_batch_free(struct blockstore_batch **bp)
{
	struct blockstore_batch *b = *bp;
	if (!b)
		return;
	forget_pending(b);
	r1_free(b);
	*bp = NULL;
}

enum r1_err blockstore_batch_commit(struct blockstore_batch *b, char **why)
{
	struct blockstore *bs = b->bs;
	if (b->n == 0)
		return R1_OK;
	if (bs->sync == R1FS_SYNC_BATCH && syncfs(bs->blocks_fd) != 0)
		return r1_fail(why, R1_ERR_IO, "r1fs: syncfs: %s", strerror(errno));
	int64_t now = (int64_t)time(NULL);
	uint64_t added = 0;
	enum r1_err e = R1_OK;
	pthread_mutex_lock(&bs->mu);
	if (sqlite3_exec(bs->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		e = db_error(bs, why, "begin");
		goto out;
	}
	for (size_t i = 0; i < b->n && !e; i++) {
		sqlite3_reset(bs->st_insert);
		sqlite3_bind_blob(bs->st_insert, 1, b->rows[i].digest, R1FS_DIGEST_LEN,
		                  SQLITE_STATIC);
		sqlite3_bind_int64(bs->st_insert, 2, (sqlite3_int64)b->rows[i].size);
		sqlite3_bind_int(bs->st_insert, 3, b->rows[i].links);
		sqlite3_bind_int64(bs->st_insert, 4, now);
		if (sqlite3_step(bs->st_insert) != SQLITE_DONE)
			e = db_error(bs, why, "indexing a block");
		else if (sqlite3_changes(bs->db) > 0)
			added += b->rows[i].size;
	}
	sqlite3_reset(bs->st_insert);
	if (!e && sqlite3_exec(bs->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		e = db_error(bs, why, "commit");
	if (e) {
		sqlite3_exec(bs->db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	bs->indexed_bytes += added;
out:
	pthread_mutex_unlock(&bs->mu);
	if (!e)
		forget_pending(b);
	return e;
}

enum r1_err blockstore_batch_put(struct blockstore_batch *b, const uint8_t digest[R1FS_DIGEST_LEN],
                                 const uint8_t *data, size_t len, int links, char **why)
{
	struct blockstore *bs = b->bs;
	if (len > R1FS_BLOCK_MAX)
		return r1_fail(why, R1_ERR_TOOBIG, "r1fs: block of %zu bytes is too large", len);
	for (size_t i = 0; i < b->n; i++)
		if (memcmp(b->rows[i].digest, digest, R1FS_DIGEST_LEN) == 0)
			return R1_OK; /* the same block twice in one batch (e.g. zero chunks) */
	pthread_mutex_lock(&bs->mu);
	int found = lookup_locked(bs, digest, NULL);
	bool over = false;
	if (found == 0) {
		over = bs->quota && bs->indexed_bytes + bs->pending_bytes + len > bs->quota;
		if (!over)
			bs->pending_bytes += len;
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
	struct pending_row *row = &b->rows[b->n++];
	memcpy(row->digest, digest, R1FS_DIGEST_LEN);
	row->size = len;
	row->links = links;
	row->counted = true;
	/* Not indexed: write it even if a file is there (a crash's left-over,
	 * which nothing has verified); the rename replaces it whole. */
	enum r1_err e = write_block_file(bs, digest, data, len, why);
	if (e) {
		b->n--;
		pthread_mutex_lock(&bs->mu);
		bs->pending_bytes -= len;
		pthread_mutex_unlock(&bs->mu);
		return e;
	}
	if (b->n == BLOCKSTORE_BATCH_MAX)
		return blockstore_batch_commit(b, why);
	return R1_OK;
}

enum r1_err blockstore_put(struct blockstore *bs, const uint8_t digest[R1FS_DIGEST_LEN],
                           const uint8_t *data, size_t len, int links, char **why)
{
	struct blockstore_batch *b = blockstore_batch_new(bs);
	if (!b)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	enum r1_err e = blockstore_batch_put(b, digest, data, len, links, why);
	if (!e)
		e = blockstore_batch_commit(b, why);
	blockstore_batch_free(&b);
	return e;
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
	if (e)
		return e;
	/* The row is gone; now the file may go. */
	char *path = blockstore_path(bs, digest);
	if (!path)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	if (unlink(path) != 0 && errno != ENOENT)
		e = r1_fail(why, R1_ERR_IO, "r1fs: removing %s: %s", path, strerror(errno));
	r1_free(path);
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

/* Remove up to BLOCKSTORE_BATCH_MAX unmarked rows; *n gets how many. */
static enum r1_err sweep_some(struct blockstore *bs, int64_t cutoff, size_t *n, uint64_t *bytes,
                              char **why)
{
	uint8_t(*victims)[R1FS_DIGEST_LEN] = r1_calloc(BLOCKSTORE_BATCH_MAX, R1FS_DIGEST_LEN);
	if (!victims)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	sqlite3_stmt *sel = NULL, *del = NULL;
	enum r1_err e = R1_OK;
	uint64_t freed = 0;
	*n = 0;
	pthread_mutex_lock(&bs->mu);
	if (sqlite3_prepare_v2(bs->db,
	                       "SELECT digest, size FROM r1fs_blocks WHERE added <= ?1 AND digest"
	                       " NOT IN (SELECT digest FROM temp.r1fs_live) LIMIT ?2",
	                       -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(bs->db, "DELETE FROM r1fs_blocks WHERE digest = ?1", -1, &del,
	                       NULL) != SQLITE_OK) {
		e = db_error(bs, why, "gc sweep");
		goto out;
	}
	sqlite3_bind_int64(sel, 1, cutoff);
	sqlite3_bind_int(sel, 2, BLOCKSTORE_BATCH_MAX);
	int rc;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(sel, 0) != R1FS_DIGEST_LEN)
			continue;
		memcpy(victims[*n], sqlite3_column_blob(sel, 0), R1FS_DIGEST_LEN);
		freed += (uint64_t)sqlite3_column_int64(sel, 1);
		(*n)++;
	}
	if (rc != SQLITE_DONE) {
		e = db_error(bs, why, "gc sweep");
		goto out;
	}
	if (*n == 0)
		goto out;
	if (sqlite3_exec(bs->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		e = db_error(bs, why, "gc begin");
		goto out;
	}
	for (size_t i = 0; i < *n && !e; i++) {
		sqlite3_reset(del);
		sqlite3_bind_blob(del, 1, victims[i], R1FS_DIGEST_LEN, SQLITE_STATIC);
		if (sqlite3_step(del) != SQLITE_DONE)
			e = db_error(bs, why, "gc delete");
	}
	if (!e && sqlite3_exec(bs->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		e = db_error(bs, why, "gc commit");
	if (e) {
		sqlite3_exec(bs->db, "ROLLBACK", NULL, NULL, NULL);
		*n = 0;
		goto out;
	}
	bs->indexed_bytes -= R1_MIN(freed, bs->indexed_bytes);
	*bytes += freed;
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(del);
	pthread_mutex_unlock(&bs->mu);
	/* Index rows are gone; now the files may go. */
	for (size_t i = 0; i < *n; i++) {
		char *path = blockstore_path(bs, victims[i]);
		if (path)
			unlink(path);
		r1_free(path);
	}
	r1_free(victims);
	return e;
}

static bool parse_hex_name(const char *name, uint8_t digest[R1FS_DIGEST_LEN])
{
	if (strlen(name) != 2 * R1FS_DIGEST_LEN)
		return false;
	for (size_t i = 0; i < R1FS_DIGEST_LEN; i++) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char c = name[2 * i + (size_t)k];
			int d = c >= '0' && c <= '9'   ? c - '0'
			        : c >= 'a' && c <= 'f' ? c - 'a' + 10
			                               : -1;
			if (d < 0)
				return false;
			v = v * 16 + (unsigned)d;
		}
		digest[i] = (uint8_t)v;
	}
	return true;
}

/* Files on disk that no index row names (crash left-overs), older than cutoff. */
static void sweep_orphans(struct blockstore *bs, int64_t cutoff, uint64_t *blocks, uint64_t *bytes)
{
	DIR *top = opendir(bs->blocks_dir);
	if (!top)
		return;
	struct dirent *shard;
	while ((shard = readdir(top)) != NULL) {
		if (strlen(shard->d_name) != 2 || shard->d_name[0] == '.')
			continue;
		char *shard_path = path_join(bs->blocks_dir, shard->d_name);
		DIR *d = shard_path ? opendir(shard_path) : NULL;
		struct dirent *de;
		while (d && (de = readdir(d)) != NULL) {
			uint8_t digest[R1FS_DIGEST_LEN];
			struct stat st;
			if (!parse_hex_name(de->d_name, digest) ||
			    fstatat(dirfd(d), de->d_name, &st, 0) != 0 ||
			    (int64_t)st.st_mtime > cutoff)
				continue;
			pthread_mutex_lock(&bs->mu);
			int found = lookup_locked(bs, digest, NULL);
			pthread_mutex_unlock(&bs->mu);
			if (found == 0 && unlinkat(dirfd(d), de->d_name, 0) == 0) {
				(*blocks)++;
				*bytes += (uint64_t)st.st_size;
			}
		}
		if (d)
			closedir(d);
		r1_free(shard_path);
	}
	closedir(top);
}

enum r1_err blockstore_gc_sweep(struct blockstore *bs, int64_t cutoff, uint64_t *blocks,
                                uint64_t *bytes, char **why)
{
	*blocks = 0;
	*bytes = 0;
	for (;;) {
		size_t n = 0;
		enum r1_err e = sweep_some(bs, cutoff, &n, bytes, why);
		if (e)
			return e;
		*blocks += n;
		if (n < BLOCKSTORE_BATCH_MAX)
			break;
	}
	sweep_orphans(bs, cutoff, blocks, bytes);
	return R1_OK;
}
