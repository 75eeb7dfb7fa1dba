#ifndef R1_NODE_CSTORE_REPLICA_H
#define R1_NODE_CSTORE_REPLICA_H
/*
 * The local CStore replica: every record this node holds, in memory for
 * reads and in node.db (component "cstore") for restarts.
 *
 * Reads never touch SQLite: an open-addressing hash table maps keys to
 * records, and each hash namespace ("hs:<10 hex>:") keeps its fields on a
 * list so hgetall/hkeys visit only their own records.  Every change is
 * written through to SQLite before it is visible (one statement, or one
 * transaction for a batch between replica_begin and replica_commit), so
 * what a get returned survives kill -9.
 *
 * This file knows no rules (tokens, readonly, replication): cstore.c
 * decides, the replica stores.  Records are owned by the replica; pointers
 * to them stay valid until the record is replaced or deleted.
 */
#include "core/common.h"
#include "core/err.h"
#include "core/identity.h"

#include <sqlite3.h>

/* One peer a locally originated write was sent to, and whether it confirmed. */
struct replica_peer {
	char addr[R1_ADDR_LEN + 1];
	bool confirmed;
};

struct replica_group;

struct replica_record {
	char *key; /* NUL-free UTF-8, stored right after the record */
	size_t key_len;
	char *value; /* normalized JSON text (jvalue.h), never "null" */
	size_t value_len;
	char *owner; /* normalized JSON text of the owner instance path */
	char *token; /* normalized JSON text, or NULL for None */
	bool readonly;
	int confirms;       /* confirmations received; -1 = applied from a peer */
	int min_confirms;   /* required when written here; 0 for peer records */
	int64_t updated_us; /* local UTC time of the last change */
	char *writer;       /* address of the node whose write this is; may be NULL */
	int64_t stamp_us;   /* the writer's time of that write (UTC us), 0 unknown */
	/* in memory only: the peers of the current version, for the console */
	struct replica_peer *peers;
	size_t npeers;
	void *pending; /* the write waiting on this version (cstore.c's) */
	/* private */
	uint64_t hash;
	struct replica_group *group;
	struct replica_record *gprev, *gnext;
};

/* What a put stores (all borrowed; copied). */
struct replica_put {
	const char *key;
	const char *value; /* normalized text */
	const char *owner;
	const char *token; /* NULL = None */
	bool readonly;
	int confirms;
	int min_confirms;
	int64_t updated_us;
	const char *writer;
	int64_t stamp_us;
};

struct replica;

/*
 * A replica over `db` (borrowed, may be NULL for a memory-only replica):
 * migrates the "cstore" tables and loads every record.  R1_ERR_DB (with
 * SQLite's message), R1_ERR_STATE (database from a newer r1console), NOMEM.
 */
enum r1_err replica_open(sqlite3 *db, struct replica **out, char **why);
void replica_free(struct replica **r);

/* The record of a key (NUL-terminated), or NULL. */
const struct replica_record *replica_get(const struct replica *r, const char *key);
struct replica_record *replica_get_mut(struct replica *r, const char *key);
size_t replica_count(const struct replica *r);

/*
 * Insert or replace; the new record is returned in *out (may be NULL).  The
 * peer list of a replaced record is dropped.  R1_ERR_DB, NOMEM; on error
 * memory and disk are unchanged.
 */
enum r1_err replica_put(struct replica *r, const struct replica_put *in,
                        struct replica_record **out, char **why);
/* Delete (absent is fine).  R1_ERR_DB. */
enum r1_err replica_delete(struct replica *r, const char *key, char **why);
/* Store the confirmation count of a record.  R1_ERR_DB. */
enum r1_err replica_save_confirms(struct replica *r, struct replica_record *rec, char **why);
/* Replace the peer list of a record (copied).  NOMEM. */
enum r1_err replica_set_peers(struct replica_record *rec, const char *const *addrs, size_t n,
                              char **why);

/*
 * Group several changes in one SQLite transaction.  R1_ERR_DB.  When the
 * commit fails (or after a rollback) the disk kept its old state and
 * memory does not: the caller drops every pointer to records and calls
 * replica_reload.
 */
enum r1_err replica_begin(struct replica *r, char **why);
enum r1_err replica_commit(struct replica *r, char **why);
void replica_rollback(struct replica *r);
/* Drop memory and load it again from the database.  R1_ERR_DB, NOMEM. */
enum r1_err replica_reload(struct replica *r, char **why);

/*
 * The records of one hash namespace (prefix "hs:xxxxxxxxxx:"), most recently
 * inserted last; NULL when the namespace is empty.  Walk with ->gnext.
 */
const struct replica_record *replica_group_first(const struct replica *r, const char *prefix);
size_t replica_group_count(const struct replica *r, const char *prefix);

/*
 * Visit records in no particular order, those whose key starts with
 * `prefix` (NULL = all); stop when fn returns false.  fn must not change
 * the replica.
 */
void replica_foreach(const struct replica *r, const char *prefix,
                     bool (*fn)(void *ctx, const struct replica_record *rec), void *ctx);

/*
 * Remember the name of a hash namespace (for listings: records only carry
 * the hashed prefix).  R1_ERR_DB, NOMEM.  The name is NULL when unknown.
 */
enum r1_err replica_name_hash(struct replica *r, const char *prefix, const char *hkey, char **why);
const char *replica_hash_name(const struct replica *r, const char *prefix);

#endif
