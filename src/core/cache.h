#ifndef R1_CORE_CACHE_H
#define R1_CORE_CACHE_H
/*
 * The console cache: what the console remembers of the network between
 * runs, in SQLite at $XDG_STATE_HOME/r1console/cache.db (WAL, user_version
 * migrations, bound parameters only).  It holds nodes, heartbeat samples
 * (full resolution for 24 h, 1-minute averages for 30 days), pipelines and
 * instances, a ring of recent payloads and notifications, per-epoch
 * availability, an audit row for every command sent and its outcome, and the
 * tables the fleet, deployment and alert views will fill (owned nodes,
 * groups, tags, notes; drafts and jobs; alert rules and events).
 *
 * Writes never block the loop: calls on the loop thread only append plain
 * row structs to an in-memory batch; a batch is handed to a writer thread
 * (its own SQLite connection) when it reaches `flush_rows` rows or when
 * cache_tick finds it older than `flush_ms`, and the writer commits it in
 * one transaction.  A crash or kill -9 loses at most the batches not yet
 * committed; the file stays consistent (WAL).  The writer never sees the
 * netmap: it gets copies.
 *
 * Reads (restore, availability, audit) run on the caller's thread through
 * a second connection; WAL lets them proceed while the writer commits.
 *
 * Everything but the writer's internals is called from one thread (the
 * loop's).  Two processes may share the file (a TUI and a CLI): SQLite's
 * locking and a 5 s busy timeout take turns, node ids are derived from the
 * node key so they agree, and audit rows are matched by a random key.
 */
#include "core/common.h"
#include "core/err.h"
#include "core/netmap.h"

struct cache;

struct cache_options {
	const char *network;      /* the profile whose nodes these are; NULL = "local" */
	uint32_t flush_ms;        /* 0 = 200 */
	uint32_t flush_rows;      /* 0 = 5000 */
	uint32_t sample_every_ms; /* min spacing of a node's samples; 0 = every heartbeat */
	uint32_t full_res_hours;  /* 0 = 24 */
	uint32_t minute_days;     /* 0 = 30 */
	uint32_t messages_max;    /* payload + notification ring; 0 = 10000 */
	uint32_t prune_every_s;   /* retention pass period; 0 = 600 */
	uint32_t node_rewrite_s;  /* a node whose only change is last_seen is rewritten at
	                             most this often; 0 = 60 */
	size_t max_pending_rows;  /* rows queued for the writer before new samples and
	                             messages are dropped; 0 = 1,000,000 */
	bool no_thread;           /* commit on the caller's thread (tools and tests) */
};

struct cache_stats {
	uint64_t rows_queued;
	uint64_t rows_written;
	uint64_t batches_written;
	uint64_t rows_dropped; /* refused because the writer fell behind */
	uint64_t write_errors; /* batches that failed (rolled back) */
	uint64_t pruned_rows;
	char last_error[160];
};

/*
 * Open (creating and migrating) the cache at `path` and start the writer.
 * R1_ERR_DB (with SQLite's message), R1_ERR_STATE (a newer schema),
 * R1_ERR_IO (thread), R1_ERR_NOMEM.
 */
enum r1_err cache_open(const char *path, const struct cache_options *opt, struct cache **out,
                       char **why);
/* Commit what is pending, stop the writer, close.  NULLs *c. */
void cache_close(struct cache **c);

/*
 * Put every cached node of this network into `nm` (marked stale by
 * netmap_restore), before cache_attach.  Returns
 * R1_OK and the count in *restored.  R1_ERR_DB.
 */
enum r1_err cache_restore(struct cache *c, struct netmap *nm, size_t *restored, char **why);

/*
 * Follow `nm`: new and changed nodes, heartbeat samples, closed epochs and
 * pipeline changes become rows.  One netmap per cache.  R1_ERR_TOOBIG when
 * the netmap has no room for another observer.
 */
enum r1_err cache_attach(struct cache *c, struct netmap *nm);
void cache_detach(struct cache *c);

/* Hand the batch to the writer if it is older than flush_ms.  Call often. */
void cache_tick(struct cache *c, int64_t now_ms);
/* Hand the batch over now and wait until everything queued is committed. */
enum r1_err cache_sync(struct cache *c, char **why);

/* ---- rows the owner adds directly (nodes, samples, epochs and pipelines
 * come from the netmap attachment) */

enum cache_msg_kind { CACHE_MSG_PAYLOAD, CACHE_MSG_NOTIFICATION };
struct cache_message {
	enum cache_msg_kind kind;
	int64_t t_ms;
	const char *sender;  /* 0xai_ address */
	const char *path[4]; /* EE_PAYLOAD_PATH, NULLs allowed */
	int code;            /* NOTIFICATION_CODE, 0 for payloads */
	bool has_code;
	const char *text; /* NOTIFICATION or a short summary, may be NULL */
	const char *body; /* the JSON body, may be NULL; truncated at 64 KiB */
};
void cache_add_message(struct cache *c, const struct cache_message *m);

/* An availability value 0..255 of a node for an epoch (e.g. from an oracle). */
void cache_add_epoch(struct cache *c, const uint8_t pub[R1_PUB_LEN], int64_t epoch, int avail);

/* ---- the audit log: one row per command sent, updated with its outcome */

struct cache_audit {
	int64_t t_ms;
	const char *node_addr;
	const char *node_alias;
	const char *action;   /* ACTION */
	const char *pipeline; /* may be NULL */
	const char *signature;
	const char *instance_id;
	const char *payload; /* the PAYLOAD as JSON text (clear), may be NULL */
	const char *session; /* SESSION_ID */
};
/* Queue an audit row; returns its key for cache_audit_end (never 0). */
uint64_t cache_audit_begin(struct cache *c, const struct cache_audit *a);
/* outcome: "ok", "failed", "timeout", "sent" (nothing to wait for). */
void cache_audit_end(struct cache *c, uint64_t key, const char *outcome, const char *reason,
                     int64_t t_ms);

/* ---- reads */

struct cache_avail_row {
	int64_t epoch;
	int avail; /* 0..255 */
};
/*
 * Availability of `addr` for epochs [from, to] (from <= to), ascending, at
 * most `max` rows into out.  *n gets the count.  R1_ERR_DB, R1_ERR_INVAL.
 */
enum r1_err cache_avail(struct cache *c, const char *addr, int64_t from, int64_t to,
                        struct cache_avail_row *out, size_t max, size_t *n, char **why);

struct cache_sample {
	int64_t t_ms; /* the start of its bucket */
	double cpu;   /* percent */
	double mem_avail, disk_avail; /* GB */
	uint32_t n;   /* samples averaged */
};
/*
 * Heartbeat samples of `addr` in [from_ms, to_ms], averaged into buckets of
 * bucket_ms (> 0), oldest first, at most `max` (empty buckets are left
 * out).  For the console's sparklines.  R1_ERR_INVAL, R1_ERR_DB.
 */
enum r1_err cache_samples(struct cache *c, const char *addr, int64_t from_ms, int64_t to_ms,
                          int64_t bucket_ms, struct cache_sample *out, size_t max, size_t *n,
                          char **why);

struct cache_audit_row {
	int64_t id;
	int64_t t_ms;
	char node_addr[R1_ADDR_LEN + 1];
	char action[40];
	char pipeline[NM_NAME_MAX + 1];
	char outcome[16];
	char reason[160];
	int64_t done_ms;
};
/* The newest `max` audit rows, newest first.  R1_ERR_DB. */
enum r1_err cache_audit_recent(struct cache *c, struct cache_audit_row *out, size_t max, size_t *n,
                               char **why);

/* Count rows of a table by name (tests and diagnostics; the name is checked). */
enum r1_err cache_count(struct cache *c, const char *table, int64_t *count, char **why);

/* The node id used in the tables for a key (stable across processes). */
int64_t cache_node_id(const uint8_t pub[R1_PUB_LEN]);

void cache_get_stats(struct cache *c, struct cache_stats *out);

/* Run the retention pass now with `now_ms` as the clock (tests). */
enum r1_err cache_prune(struct cache *c, int64_t now_ms, char **why);

#endif
