/*
 * The CStore replica (see replica.h): records in an open-addressing hash
 * table for reads at memory speed, hash namespaces on intrusive lists, and
 * write-through to node.db.  A change is prepared in memory first (so an
 * allocation failure leaves everything as it was), then written to SQLite,
 * then linked in.  No rules live here.
 */
#include "node/lib.h"
#include "node/cstore/replica.h"
#include "node/cstore/hkey.h"
#include "core/db.h"

struct replica_group {
	char prefix[HKEY_PREFIX_LEN + 1];
	char *name; /* the hkey, when known */
	struct replica_record *first, *last;
	size_t count;
	uint64_t hash;
};

/*
 * An open-addressing table of pointers with linear probing and
 * backward-shift deletion (no tombstones).  Entries carry their own hash
 * and key; `key_of` reads them.
 */
struct slot {
	uint64_t hash; /* compared before the entry is touched: one cache miss less */
	void *e;
};

struct ptab {
	struct slot *slot;
	size_t cap; /* power of two, or 0 */
	size_t n;
	uint64_t (*hash_of)(const void *e);
	const char *(*key_of)(const void *e, size_t *len);
};

struct replica {
	sqlite3 *db;
	sqlite3_stmt *st_put, *st_del, *st_confirms, *st_name;
	struct ptab records;
	struct ptab groups;
	bool in_batch;
};

/* ---- hashing: 8 bytes at a time, multiply-xorshift mixing */

static inline uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ (n * UINT64_C(0x100000001b3));
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ mix(w)) * UINT64_C(0x9fb21c651e98df25);
		p += 8;
		n -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, p, n);
	h = (h ^ mix(w ^ n)) * UINT64_C(0x9fb21c651e98df25);
	return mix(h);
}

static uint64_t rec_hash(const void *e)
{
	return ((const struct replica_record *)e)->hash;
}
static const char *rec_key(const void *e, size_t *len)
{
	const struct replica_record *r = e;
	*len = r->key_len;
	return r->key;
}
static uint64_t group_hash(const void *e)
{
	return ((const struct replica_group *)e)->hash;
}
static const char *group_key(const void *e, size_t *len)
{
	*len = HKEY_PREFIX_LEN;
	return ((const struct replica_group *)e)->prefix;
}

static void *ptab_find(const struct ptab *t, const char *key, size_t len, uint64_t h, size_t *pos)
{
	if (!t->cap)
		return NULL;
	size_t mask = t->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		const struct slot *sl = &t->slot[i];
		if (!sl->e)
			return NULL;
		if (sl->hash != h)
			continue;
		size_t elen;
		const char *ekey = t->key_of(sl->e, &elen);
		if (elen == len && memcmp(ekey, key, len) == 0) {
			if (pos)
				*pos = i;
			return sl->e;
		}
	}
}

static bool ptab_grow(struct ptab *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 64;
	struct slot *ns = r1_calloc(ncap, sizeof(*ns));
	if (!ns)
		return false;
	for (size_t i = 0; i < t->cap; i++) {
		struct slot sl = t->slot[i];
		if (!sl.e)
			continue;
		size_t j = sl.hash & (ncap - 1);
		while (ns[j].e)
			j = (j + 1) & (ncap - 1);
		ns[j] = sl;
	}
	r1_free(t->slot);
	t->slot = ns;
	t->cap = ncap;
	return true;
}

/* Room for one more entry (load factor at most 1/2). */
static bool ptab_reserve(struct ptab *t)
{
	return (t->n + 1) * 2 <= t->cap || ptab_grow(t);
}

/* Insert an entry whose key is absent (call ptab_reserve first). */
static void ptab_insert(struct ptab *t, void *e)
{
	size_t mask = t->cap - 1;
	uint64_t h = t->hash_of(e);
	size_t i = h & mask;
	while (t->slot[i].e)
		i = (i + 1) & mask;
	t->slot[i].hash = h;
	t->slot[i].e = e;
	t->n++;
}

/* Put `e` where the entry at `pos` was (same key, same hash). */
static void ptab_replace_at(struct ptab *t, size_t pos, void *e)
{
	t->slot[pos].e = e;
}

static void ptab_remove_at(struct ptab *t, size_t pos)
{
	size_t mask = t->cap - 1;
	size_t hole = pos;
	t->slot[hole].e = NULL;
	for (size_t i = (hole + 1) & mask; t->slot[i].e; i = (i + 1) & mask) {
		size_t home = t->slot[i].hash & mask;
		/* Move the entry back if its home is not between the hole and i. */
		bool between = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
		if (!between) {
			t->slot[hole] = t->slot[i];
			t->slot[i].e = NULL;
			hole = i;
		}
	}
	t->n--;
}

/* ---- records */

static void record_free(struct replica_record *rec)
{
	if (!rec)
		return;
	r1_free(rec->value);
	r1_free(rec->owner);
	r1_free(rec->token);
	r1_free(rec->writer);
	r1_free(rec->peers);
	r1_free(rec);
}

static struct replica_record *record_new(const struct replica_put *in)
{
	size_t key_len = strlen(in->key);
	/* the key lives right after the record: a lookup touches one allocation */
	struct replica_record *rec = r1_calloc(1, sizeof(*rec) + key_len + 1);
	if (!rec)
		return NULL;
	rec->key_len = key_len;
	rec->key = (char *)(rec + 1);
	memcpy(rec->key, in->key, key_len + 1);
	rec->value_len = strlen(in->value);
	rec->value = r1_memdup(in->value, rec->value_len + 1);
	rec->owner = r1_strdup(in->owner ? in->owner : "null");
	rec->token = in->token ? r1_strdup(in->token) : NULL;
	rec->writer = in->writer ? r1_strdup(in->writer) : NULL;
	if (!rec->value || !rec->owner || (in->token && !rec->token) ||
	    (in->writer && !rec->writer)) {
		record_free(rec);
		return NULL;
	}
	rec->readonly = in->readonly;
	rec->confirms = in->confirms;
	rec->min_confirms = in->min_confirms;
	rec->updated_us = in->updated_us;
	rec->stamp_us = in->stamp_us;
	rec->hash = hash_bytes(rec->key, rec->key_len);
	return rec;
}

/* ---- groups */

static struct replica_group *group_find(const struct replica *r, const char *prefix)
{
	return ptab_find(&r->groups, prefix, HKEY_PREFIX_LEN, hash_bytes(prefix, HKEY_PREFIX_LEN),
	                 NULL);
}

/* The group of a composed key, created when missing; NULL on OOM. */
static struct replica_group *group_get(struct replica *r, const char *key)
{
	struct replica_group *g = group_find(r, key);
	if (g)
		return g;
	if (!ptab_reserve(&r->groups))
		return NULL;
	g = r1_calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	memcpy(g->prefix, key, HKEY_PREFIX_LEN);
	g->hash = hash_bytes(g->prefix, HKEY_PREFIX_LEN);
	ptab_insert(&r->groups, g);
	return g;
}

static void group_link(struct replica_group *g, struct replica_record *rec)
{
	rec->group = g;
	rec->gnext = NULL;
	rec->gprev = g->last;
	if (g->last)
		g->last->gnext = rec;
	else
		g->first = rec;
	g->last = rec;
	g->count++;
}

static void group_unlink(struct replica_record *rec)
{
	struct replica_group *g = rec->group;
	if (!g)
		return;
	if (rec->gprev)
		rec->gprev->gnext = rec->gnext;
	else
		g->first = rec->gnext;
	if (rec->gnext)
		rec->gnext->gprev = rec->gprev;
	else
		g->last = rec->gprev;
	g->count--;
	rec->group = NULL;
	rec->gprev = rec->gnext = NULL;
}

/* ---- SQLite */

static const struct db_migration migrations[] = {
    {1, "CREATE TABLE cstore_records("
        " key TEXT PRIMARY KEY NOT NULL,"
        " value TEXT NOT NULL,"
        " owner TEXT NOT NULL,"
        " readonly INTEGER NOT NULL DEFAULT 0,"
        " token TEXT,"
        " confirms INTEGER NOT NULL DEFAULT 0,"
        " min_confirms INTEGER NOT NULL DEFAULT 0,"
        " updated_us INTEGER NOT NULL DEFAULT 0,"
        " writer TEXT,"
        " stamp_us INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
        "CREATE TABLE cstore_hashes("
        " prefix TEXT PRIMARY KEY NOT NULL,"
        " hkey TEXT NOT NULL) WITHOUT ROWID;"},
};

static enum r1_err db_err(struct replica *r, const char *what, char **why)
{
	return r1_fail(why, R1_ERR_DB, "cstore: %s: %s", what, sqlite3_errmsg(r->db));
}

static enum r1_err prepare(struct replica *r, const char *sql, sqlite3_stmt **st, char **why)
{
	if (sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return db_err(r, "prepare", why);
	return R1_OK;
}

static enum r1_err step_done(struct replica *r, sqlite3_stmt *st, const char *what, char **why)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return db_err(r, what, why);
	return R1_OK;
}

static void bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static enum r1_err db_put(struct replica *r, const struct replica_record *rec, char **why)
{
	if (!r->db)
		return R1_OK;
	sqlite3_stmt *st = r->st_put;
	sqlite3_bind_text(st, 1, rec->key, (int)rec->key_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rec->value, (int)rec->value_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, rec->owner, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, rec->readonly);
	bind_opt_text(st, 5, rec->token);
	sqlite3_bind_int(st, 6, rec->confirms);
	sqlite3_bind_int(st, 7, rec->min_confirms);
	sqlite3_bind_int64(st, 8, rec->updated_us);
	bind_opt_text(st, 9, rec->writer);
	sqlite3_bind_int64(st, 10, rec->stamp_us);
	return step_done(r, st, "store record", why);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Link a new record (its key absent) into the tables.  NOMEM. */
static bool link_record(struct replica *r, struct replica_record *rec)
{
	struct replica_group *g = NULL;
	if (hkey_is_composed(rec->key, rec->key_len)) {
		g = group_get(r, rec->key);
		if (!g)
			return false;
	}
	if (!ptab_reserve(&r->records))
		return false;
	ptab_insert(&r->records, rec);
	if (g)
		group_link(g, rec);
	return true;
}

static enum r1_err load(struct replica *r, char **why)
{
	sqlite3_stmt *st = NULL;
	enum r1_err e = prepare(r,
	                        "SELECT key, value, owner, readonly, token, confirms, min_confirms,"
	                        " updated_us, writer, stamp_us FROM cstore_records",
	                        &st, why);
	if (e)
		return e;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct replica_put in = {
		    .key = col_text(st, 0),
		    .value = col_text(st, 1),
		    .owner = col_text(st, 2),
		    .readonly = sqlite3_column_int(st, 3) != 0,
		    .token = col_text(st, 4),
		    .confirms = sqlite3_column_int(st, 5),
		    .min_confirms = sqlite3_column_int(st, 6),
		    .updated_us = sqlite3_column_int64(st, 7),
		    .writer = col_text(st, 8),
		    .stamp_us = sqlite3_column_int64(st, 9),
		};
		if (!in.key || !in.value)
			continue;
		struct replica_record *rec = record_new(&in);
		if (!rec || !link_record(r, rec)) {
			record_free(rec);
			sqlite3_finalize(st);
			return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory loading records");
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(r, "load records", why);

	e = prepare(r, "SELECT prefix, hkey FROM cstore_hashes", &st, why);
	if (e)
		return e;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *prefix = col_text(st, 0), *name = col_text(st, 1);
		if (!prefix || !name || strlen(prefix) != HKEY_PREFIX_LEN ||
		    !hkey_is_composed(prefix, HKEY_PREFIX_LEN))
			continue;
		struct replica_group *g = group_get(r, prefix);
		char *copy = r1_strdup(name);
		if (!g || !copy) {
			r1_free(copy);
			sqlite3_finalize(st);
			return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory loading hashes");
		}
		r1_free(g->name);
		g->name = copy;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(r, "load hashes", why);
	return R1_OK;
}

enum r1_err replica_open(sqlite3 *db, struct replica **out, char **why)
{
	struct replica *r = r1_calloc(1, sizeof(*r));
	if (!r)
		return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	r->db = db;
	r->records.hash_of = rec_hash;
	r->records.key_of = rec_key;
	r->groups.hash_of = group_hash;
	r->groups.key_of = group_key;
	enum r1_err e = R1_OK;
	if (db) {
		e = db_migrate(db, "cstore", migrations, R1_ARRAY_LEN(migrations), why);
		if (!e)
			e = prepare(r,
			            "INSERT OR REPLACE INTO cstore_records(key, value, owner,"
			            " readonly, token, confirms, min_confirms, updated_us, writer,"
			            " stamp_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
			            &r->st_put, why);
		if (!e)
			e = prepare(r, "DELETE FROM cstore_records WHERE key = ?1", &r->st_del,
			            why);
		if (!e)
			e = prepare(r, "UPDATE cstore_records SET confirms = ?2 WHERE key = ?1",
			            &r->st_confirms, why);
		if (!e)
			e = prepare(r,
			            "INSERT OR REPLACE INTO cstore_hashes(prefix, hkey)"
			            " VALUES (?1, ?2)",
			            &r->st_name, why);
		if (!e)
			e = load(r, why);
	}
	if (e) {
		replica_free(&r);
		return e;
	}
	*out = r;
	return R1_OK;
}

static void clear_memory(struct replica *r)
{
	for (size_t i = 0; i < r->records.cap; i++)
		record_free(r->records.slot[i].e);
	for (size_t i = 0; i < r->groups.cap; i++) {
		struct replica_group *g = r->groups.slot[i].e;
		if (g) {
			r1_free(g->name);
			r1_free(g);
		}
	}
	r1_free(r->records.slot);
	r1_free(r->groups.slot);
	r->records.slot = NULL;
	r->groups.slot = NULL;
	r->records.cap = r->records.n = 0;
	r->groups.cap = r->groups.n = 0;
}

void replica_free(struct replica **rp)
{
	struct replica *r = *rp;
	if (!r)
		return;
	if (r->in_batch)
		replica_rollback(r);
	clear_memory(r);
	sqlite3_finalize(r->st_put);
	sqlite3_finalize(r->st_del);
	sqlite3_finalize(r->st_confirms);
	sqlite3_finalize(r->st_name);
	r1_free(r);
	*rp = NULL;
}

const struct replica_record *replica_get(const struct replica *r, const char *key)
{
	size_t len = strlen(key);
	return ptab_find(&r->records, key, len, hash_bytes(key, len), NULL);
}

struct replica_record *replica_get_mut(struct replica *r, const char *key)
{
	size_t len = strlen(key);
	return ptab_find(&r->records, key, len, hash_bytes(key, len), NULL);
}

size_t replica_count(const struct replica *r)
{
	return r->records.n;
}

enum r1_err replica_put(struct replica *r, const struct replica_put *in,
                        struct replica_record **out, char **why)
{
	if (!in->key || !in->value)
		return r1_fail(why, R1_ERR_INVAL, "cstore: record without key or value");
	struct replica_record *rec = record_new(in);
	if (!rec)
		return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	size_t pos = 0;
	struct replica_record *old =
	    ptab_find(&r->records, rec->key, rec->key_len, rec->hash, &pos);
	struct replica_group *g = NULL;
	/* Reserve everything before touching the disk, so failure changes nothing. */
	if (!old && hkey_is_composed(rec->key, rec->key_len) && !(g = group_get(r, rec->key))) {
		record_free(rec);
		return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	}
	if (!old && !ptab_reserve(&r->records)) {
		record_free(rec);
		return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	}
	enum r1_err e = db_put(r, rec, why);
	if (e) {
		record_free(rec);
		return e;
	}
	if (old) {
		g = old->group;
		group_unlink(old);
		ptab_replace_at(&r->records, pos, rec);
		record_free(old);
	} else {
		ptab_insert(&r->records, rec);
	}
	if (g)
		group_link(g, rec);
	if (out)
		*out = rec;
	return R1_OK;
}

enum r1_err replica_delete(struct replica *r, const char *key, char **why)
{
	size_t len = strlen(key), pos = 0;
	struct replica_record *old = ptab_find(&r->records, key, len, hash_bytes(key, len), &pos);
	if (!old)
		return R1_OK;
	if (r->db) {
		sqlite3_bind_text(r->st_del, 1, key, (int)len, SQLITE_STATIC);
		enum r1_err e = step_done(r, r->st_del, "delete record", why);
		if (e)
			return e;
	}
	group_unlink(old);
	ptab_remove_at(&r->records, pos);
	record_free(old);
	return R1_OK;
}

enum r1_err replica_save_confirms(struct replica *r, struct replica_record *rec, char **why)
{
	if (!r->db)
		return R1_OK;
	sqlite3_bind_text(r->st_confirms, 1, rec->key, (int)rec->key_len, SQLITE_STATIC);
	sqlite3_bind_int(r->st_confirms, 2, rec->confirms);
	return step_done(r, r->st_confirms, "store confirmations", why);
}

enum r1_err replica_set_peers(struct replica_record *rec, const char *const *addrs, size_t n,
                              char **why)
{
	struct replica_peer *p = NULL;
	if (n) {
		p = r1_calloc(n, sizeof(*p));
		if (!p)
			return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
		for (size_t i = 0; i < n; i++)
			snprintf(p[i].addr, sizeof(p[i].addr), "%s", addrs[i]);
	}
	r1_free(rec->peers);
	rec->peers = p;
	rec->npeers = n;
	return R1_OK;
}

enum r1_err replica_begin(struct replica *r, char **why)
{
	if (!r->db || r->in_batch)
		return R1_OK;
	enum r1_err e = db_exec(r->db, "BEGIN IMMEDIATE", why);
	if (!e)
		r->in_batch = true;
	return e;
}

enum r1_err replica_commit(struct replica *r, char **why)
{
	if (!r->db || !r->in_batch)
		return R1_OK;
	r->in_batch = false;
	enum r1_err e = db_exec(r->db, "COMMIT", why);
	if (e)
		db_exec(r->db, "ROLLBACK", NULL);
	return e;
}

void replica_rollback(struct replica *r)
{
	if (!r->db || !r->in_batch)
		return;
	r->in_batch = false;
	db_exec(r->db, "ROLLBACK", NULL);
}

enum r1_err replica_reload(struct replica *r, char **why)
{
	clear_memory(r);
	if (!r->db)
		return R1_OK;
	enum r1_err e = load(r, why);
	if (e)
		clear_memory(r);
	return e;
}

const struct replica_record *replica_group_first(const struct replica *r, const char *prefix)
{
	const struct replica_group *g = group_find(r, prefix);
	return g ? g->first : NULL;
}

size_t replica_group_count(const struct replica *r, const char *prefix)
{
	const struct replica_group *g = group_find(r, prefix);
	return g ? g->count : 0;
}

void replica_foreach(const struct replica *r, const char *prefix,
                     bool (*fn)(void *ctx, const struct replica_record *rec), void *ctx)
{
	size_t plen = prefix ? strlen(prefix) : 0;
	for (size_t i = 0; i < r->records.cap; i++) {
		const struct replica_record *rec = r->records.slot[i].e;
		if (!rec || (plen && (rec->key_len < plen || memcmp(rec->key, prefix, plen) != 0)))
			continue;
		if (!fn(ctx, rec))
			return;
	}
}

enum r1_err replica_name_hash(struct replica *r, const char *prefix, const char *hkey, char **why)
{
	if (strlen(prefix) != HKEY_PREFIX_LEN || !hkey_is_composed(prefix, HKEY_PREFIX_LEN))
		return r1_fail(why, R1_ERR_INVAL, "cstore: not a hash prefix");
	struct replica_group *g = group_get(r, prefix);
	if (!g)
		return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	if (g->name && strcmp(g->name, hkey) == 0)
		return R1_OK;
	char *copy = r1_strdup(hkey);
	if (!copy)
		return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	if (r->db) {
		sqlite3_bind_text(r->st_name, 1, prefix, -1, SQLITE_STATIC);
		sqlite3_bind_text(r->st_name, 2, hkey, -1, SQLITE_STATIC);
		enum r1_err e = step_done(r, r->st_name, "store hash name", why);
		if (e) {
			r1_free(copy);
			return e;
		}
	}
	r1_free(g->name);
	g->name = copy;
	return R1_OK;
}

const char *replica_hash_name(const struct replica *r, const char *prefix)
{
	if (strlen(prefix) < HKEY_PREFIX_LEN)
		return NULL;
	const struct replica_group *g = group_find(r, prefix);
	return g ? g->name : NULL;
}
