#ifndef R1_NODE_CSTORE_CSTORE_H
#define R1_NODE_CSTORE_CSTORE_H
/*
 * CStore: the replicated key-value store of a node (the reference's
 * CHAIN_STORE_BASE, protocol reference section 8), as an engine that does
 * not know how messages travel.
 *
 * Semantics are the reference's (chain_store_base.py, v0.8.1):
 *  - a record is {key, value, owner, readonly, token, confirms,
 *    min_confirms}; the owner is the writer's instance path;
 *  - a write with a token other than the stored one is refused; a readonly
 *    key cannot be changed by another owner; the same value succeeds at
 *    once without a broadcast; a null value deletes (always allowed when
 *    the token matches; broadcast without waiting); last writer wins;
 *  - a local write needs at least one target peer (default peers, i.e.
 *    whitelisted and online, plus explicit ones, minus ourselves), is
 *    stored, then sent as SSTORE; it succeeds when MIN_CONFIRMATIONS
 *    (configured, else len(targets) / 2 + 1) peers sent SCONFIRM, and
 *    fails after the timeout and max_retries rebroadcasts;
 *  - hash fields live under composed keys (hkey.h); hsync asks the target
 *    peers for one namespace and merges the first valid answer.
 *
 * Differences, all on the safe side: completion is event-driven (the
 * moment the deciding SCONFIRM arrives, not on the next 100 ms poll); a
 * confirmation counts only from a peer the write was sent to (once per
 * peer, with confirm_by_addr equal to its sender); SSTORE and SHSYNC_REQ
 * are taken only encrypted and, unless accept_untrusted, only from
 * trusted senders; an SSTORE whose owner is not its sender's (by address
 * or alias), a replayed message (EE_HASH seen recently, or older than the
 * replay window) and a write older than the stored one from the same
 * writer are refused.  Every refusal is counted (cstore_counter) and
 * leaves the replica unchanged.
 *
 * Ours on top: a trusted client (authorized_addrs) may send CSTORE_REQ to
 * run one operation here (msg.h); the answer, CSTORE_RESP, goes back to it
 * when the operation ends.  Writes made so are owned by the client: [our
 * address, "admin_pipeline", "CSTORE_REQ", client address] (the first
 * element is the node that sends the SSTORE, as peers check).
 *
 * Threading: everything runs on the node's loop thread.  Time-driven work
 * (timeouts, retries) runs when the owner calls cstore_run_due() at the
 * time cstore_next_due() gives; env.wake asks for a re-arm.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "node/cstore/replica.h"

#include <jansson.h>
#include <sqlite3.h>

struct cstore;

struct cstore_config {
	const char *addr;          /* own "0xai_" address (required) */
	const char *alias;         /* own EE_ID (required) */
	int min_confirmations;     /* MIN_CONFIRMATIONS; <= 0: majority of the targets */
	unsigned timeout_ms;       /* per attempt; 0 = 10 s */
	int max_retries;           /* rebroadcasts after a timeout; < 0 = 2 */
	unsigned hsync_timeout_ms; /* 0 = 10 s */
	size_t max_value;          /* bytes of normalized value text; 0 = 512 KiB */
	size_t max_key;            /* bytes of a key; 0 = 4096 */
	bool accept_untrusted;     /* apply SSTORE / answer SHSYNC_REQ from anyone */
	int64_t replay_window_us;  /* 0 = 75 min (see below); < 0 = no time checks */
};

/*
 * SSTOREs sent further than this from our clock are refused as replays.
 * Wide on purpose: the reference writes EE_TIMEZONE in whole hours, so a
 * node in UTC+5:45 reads 45 minutes off; within the window the EE_HASH
 * memory and the per-writer order catch replays.
 */
#define CSTORE_REPLAY_WINDOW_DEFAULT_US (INT64_C(75) * 60 * 1000000)

#define CSTORE_MAX_VALUE_DEFAULT (512u * 1024u)
#define CSTORE_MAX_KEY_DEFAULT   4096u

/* What the node provides.  Every callback but send may be NULL. */
struct cstore_env {
	void *ctx;
	/*
	 * Publish CHAIN_STORE_DATA (borrowed) to these peers ("0xai_"
	 * addresses) as one encrypted multi-recipient payload from
	 * [alias, "admin_pipeline", "CHAIN_STORE_BASE", "CHAIN_STORE_BASE_INST"],
	 * once per peer on <root>/<peer>/payloads.  A failure is logged and the
	 * write's timeout decides.
	 */
	enum r1_err (*send)(void *ctx, const char *const *peers, size_t n, const json_t *data,
	                    char **why);
	/* The default peers (whitelisted and online); borrowed until the next call. */
	size_t (*default_peers)(void *ctx, const char *const **out);
	/* Is this sender on our allow-list?  NULL = nobody is. */
	bool (*trusted)(void *ctx, const char *addr);
	uint64_t (*now_ms)(void *ctx);               /* monotonic; NULL = CLOCK_MONOTONIC */
	int64_t (*wall_us)(void *ctx);               /* UTC; NULL = CLOCK_REALTIME */
	void (*wake)(void *ctx);                     /* cstore_next_due() moved earlier */
	void (*changed)(void *ctx, const char *key); /* a record changed */
};

/*
 * An engine over `db` (borrowed; NULL = memory only) with its replica
 * loaded.  Config and env are copied (strings too).  R1_ERR_INVAL (no
 * address/alias/send), R1_ERR_DB, R1_ERR_STATE, NOMEM.
 */
enum r1_err cstore_new(const struct cstore_config *cfg, const struct cstore_env *env, sqlite3 *db,
                       struct r1_log *log, struct cstore **out, char **why);
/* Pending operations end with CSTORE_CANCELLED / R1_ERR_CANCELLED first; NULLs *cs. */
void cstore_free(struct cstore **cs);

/* Change MIN_CONFIRMATIONS (config reload). */
void cstore_set_min_confirmations(struct cstore *cs, int n);

/* ---- writes */

enum cstore_outcome {
	CSTORE_OK,         /* stored and confirmed, or nothing to wait for */
	CSTORE_PENDING,    /* waiting for confirmations: done() tells */
	CSTORE_TOKEN,      /* refused: the key has another token */
	CSTORE_READONLY,   /* refused: readonly key of another owner */
	CSTORE_NO_PEERS,   /* refused: no peer to replicate to */
	CSTORE_TIMEOUT,    /* not enough confirmations after every retry */
	CSTORE_SUPERSEDED, /* a newer write replaced the value first */
	CSTORE_CANCELLED,  /* the store is closing */
};
/* "ok", "token", ... (not translated: log lines and JSON). */
const char *cstore_outcome_name(enum cstore_outcome o);

struct cstore_write {
	const char *owner; /* instance path as JSON text; NULL = our CHAIN_STORE_BASE */
	const char *token; /* JSON text; NULL = None */
	bool readonly;
	const char *const *peers; /* explicit peers (extra_peers / chainstore_peers) */
	size_t npeers;
	bool no_default_peers; /* include_default_peers = False */
	unsigned timeout_ms;   /* 0 = config */
	int max_retries;       /* < 0 = config; use CSTORE_WRITE_INIT */
};
#define CSTORE_WRITE_INIT                                                                          \
	{                                                                                          \
		NULL, NULL, false, NULL, 0, false, 0, -1                                           \
	}

/* The end of a pending write (called on the loop, never from inside cstore_set). */
typedef void (*cstore_write_fn)(void *arg, enum cstore_outcome outcome);

/*
 * Set key to `value` (JSON text; NULL or "null" deletes).  On R1_OK,
 * *outcome says what happened; only CSTORE_PENDING means done(arg, ...)
 * will be called (exactly once, unless cancelled), and *op_id (may be
 * NULL) names the operation for cstore_cancel.  Errors (nothing changed):
 * R1_ERR_INVAL (empty/NUL/non-UTF-8 key, value or token not JSON, owner
 * not an instance path), R1_ERR_TOOBIG (key or value over the limit),
 * R1_ERR_DB, NOMEM.
 */
enum r1_err cstore_set(struct cstore *cs, const char *key, const char *value,
                       const struct cstore_write *w, cstore_write_fn done, void *arg,
                       enum cstore_outcome *outcome, uint64_t *op_id, char **why);
/* The same for field `field` of hash `hkey` (also remembers the hash's name). */
enum r1_err cstore_hset(struct cstore *cs, const char *hkey, const char *field, const char *value,
                        const struct cstore_write *w, cstore_write_fn done, void *arg,
                        enum cstore_outcome *outcome, uint64_t *op_id, char **why);

/* Forget a pending write or hsync: its callback will not be called. */
void cstore_cancel(struct cstore *cs, uint64_t op_id);

/* ---- reads (local, never block) */

/*
 * The value of key as normalized JSON text, or NULL when absent or when
 * `token` (JSON text, NULL = None) differs from the record's, as the
 * reference's chainstore_get.  Borrowed: valid until the store changes.
 */
const char *cstore_get(const struct cstore *cs, const char *key, const char *token);
/* The value of a hash field (same rules); NULL also for a non-UTF-8 name. */
const char *cstore_hget(const struct cstore *cs, const char *hkey, const char *field,
                        const char *token);
/*
 * hgetall: a JSON object {field: value} appended to out (a field whose
 * token differs has null, as the reference's hgetall gives).  hkeys: a
 * JSON array of field names.  R1_ERR_INVAL (hkey not UTF-8), NOMEM.
 */
enum r1_err cstore_hgetall(const struct cstore *cs, const char *hkey, const char *token,
                           struct buf *out, char **why);
enum r1_err cstore_hkeys(const struct cstore *cs, const char *hkey, struct buf *out, char **why);

/*
 * One observer told after every change of a record (key NULL: many, after
 * an hsync merge), for the console's view; fn NULL removes it.  Called on
 * the loop thread, possibly from inside cstore calls: mark dirty, do not
 * write from it.
 */
void cstore_set_observer(struct cstore *cs, void (*fn)(void *ctx, const char *key), void *ctx);

/* The record itself (console and tests); borrowed, NULL when absent. */
const struct replica_record *cstore_record(const struct cstore *cs, const char *key);
/* The replica (console listings: replica_foreach, replica_hash_name). */
const struct replica *cstore_replica(const struct cstore *cs);
size_t cstore_pending(const struct cstore *cs);

/* ---- hsync */

struct cstore_hsync_opts {
	const char *const *peers;
	size_t npeers;
	bool no_default_peers;
	unsigned timeout_ms; /* 0 = config */
	bool peek;           /* fetch the first snapshot without merging (console) */
};

struct cstore_hsync_result {
	const char *hkey;
	const char *source_peer;
	size_t merged_fields;
	const json_t *snapshot; /* the accepted snapshot (borrowed, for peek) */
};

/* err is R1_OK (res set), R1_ERR_TIMEOUT or R1_ERR_CANCELLED (res NULL, why set). */
typedef void (*cstore_hsync_fn)(void *arg, enum r1_err err, const struct cstore_hsync_result *res,
                                const char *why);

/*
 * Ask the target peers for hash `hkey` (SHSYNC_REQ) and merge the first
 * valid answer; done() is always called later (never from inside this
 * call).  Errors (no request sent): R1_ERR_INVAL (empty or non-UTF-8
 * hkey), R1_ERR_STATE ("no target peers"), NOMEM.
 */
enum r1_err cstore_hsync(struct cstore *cs, const char *hkey, const struct cstore_hsync_opts *o,
                         cstore_hsync_fn done, void *arg, uint64_t *op_id, char **why);

/* ---- messages from peers */

#define CSTORE_TIME_UNKNOWN INT64_MIN

/* What the receive path learned about a CHAIN_STORE_BASE payload. */
struct cstore_meta {
	const char *sender; /* EE_SENDER, signature verified */
	const char *alias;  /* EE_ID; may be NULL */
	const char *hash;   /* EE_HASH; NULL = not deduplicated */
	int64_t sent_us;    /* EE_TIMESTAMP + EE_TIMEZONE as UTC, or CSTORE_TIME_UNKNOWN */
	bool encrypted;     /* CHAIN_STORE_DATA came out of EE_ENCRYPTED_DATA for us */
};

/*
 * Handle CHAIN_STORE_DATA (borrowed).  R1_OK when applied, answered or
 * harmlessly ignored (our own message, a late duplicate confirmation);
 * otherwise the refusal, counted, with the reason: R1_ERR_PROTO
 * (malformed), R1_ERR_AUTH (untrusted, unencrypted, forged owner or
 * confirmation, token, readonly), R1_ERR_EXISTS (replay), R1_ERR_STATE
 * (stale write, unexpected answer), R1_ERR_TOOBIG, R1_ERR_INVAL (value
 * Python could hold but we cannot), R1_ERR_DB, NOMEM.
 */
enum r1_err cstore_receive(struct cstore *cs, const struct cstore_meta *meta, const json_t *data,
                           char **why);

/* ---- time */

/* Monotonic ms of the next timeout or retry; UINT64_MAX when none. */
uint64_t cstore_next_due(const struct cstore *cs);
/* Run what is due now. */
void cstore_run_due(struct cstore *cs);

/* ---- counters */

enum cstore_counter {
	CSC_WRITES,           /* local writes started (set/hset/delete) */
	CSC_WRITES_CONFIRMED, /* ... that reached their confirmations */
	CSC_WRITES_SAME,      /* ... that found the same value */
	CSC_WRITES_FAILED,    /* ... refused (token, readonly, no peers) */
	CSC_WRITES_TIMEOUT,   /* ... that ran out of retries */
	CSC_WRITES_SUPERSEDED,
	CSC_RETRIES, /* SSTORE rebroadcasts */
	CSC_SENT,    /* CHAIN_STORE_DATA messages sent */
	CSC_SEND_ERRORS,
	CSC_STORES_APPLIED, /* peer SSTOREs applied (or same value) and confirmed */
	CSC_CONFIRMS_COUNTED,
	CSC_CONFIRMS_LATE, /* duplicate, or for an older version: ignored */
	CSC_HSYNC_SERVED,
	CSC_HSYNC_DONE,
	CSC_HSYNC_TIMEOUT,
	CSC_FIELDS_MERGED,
	CSC_IGNORED_SELF,    /* our own payloads (ACCEPT_SELF false) */
	CSC_REMOTE_REQUESTS, /* CSTORE_REQ run for a client */
	/* refusals: the replica is unchanged */
	CSC_REFUSED_MALFORMED,
	CSC_REFUSED_UNENCRYPTED,
	CSC_REFUSED_UNTRUSTED,
	CSC_REFUSED_REPLAY,
	CSC_REFUSED_STALE,
	CSC_REFUSED_TOO_BIG,
	CSC_REFUSED_BAD_VALUE,
	CSC_REFUSED_TOKEN,
	CSC_REFUSED_READONLY,
	CSC_REFUSED_FORGED_OWNER,
	CSC_REFUSED_FORGED_CONFIRM,
	CSC_REFUSED_UNEXPECTED, /* answer to nothing we asked, or from a peer we did not ask */
	CSC__COUNT
};
#define CSC_FIRST_REFUSAL CSC_REFUSED_MALFORMED

/* "writes", "refused_replay", ... */
const char *cstore_counter_name(enum cstore_counter c);
uint64_t cstore_counter(const struct cstore *cs, enum cstore_counter c);
/* Sum of the refusal counters. */
uint64_t cstore_refusals(const struct cstore *cs);

#endif
