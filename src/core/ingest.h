#ifndef R1_CORE_INGEST_H
#define R1_CORE_INGEST_H
/*
 * The receive path shared by nodes and the console: bytes from the bus
 * become a typed, verified, decrypted message, or are dropped with a counted
 * reason.  In order:
 *
 *   size gate (2 MB) → parse (jdoc, hostile-input limits) → de-duplicate by
 *   EE_HASH (bounded window) → verify the envelope → decrypt when EE_DEST
 *   names us → classify (heartbeat, payload, notification, command) → a
 *   jansson body merged as the SDK merges it: {**decrypted, **outer}.
 *
 * A hash enters the de-duplication window only once its message has passed
 * verification, so a forged message cannot poison the window against the
 * real one.  A command whose EE_ID names someone else, and an encrypted
 * payload addressed to others, are "not for us".
 *
 * This module does not interpret content (heartbeat v2 ENCODED_DATA,
 * NET_MON_01 maps, notification codes): owners do, from the body.
 *
 * Two ways in.  ingest_receive() runs the whole path on the caller's thread
 * and returns the result.  ingest_submit() hands the outcome (message or
 * drop) to a delivery callback, always in submission order; after
 * ingest_use_pool() the CPU-heavy part (parse, canonicalize, hash, verify,
 * decrypt, build the body) runs on a worker pool while the loop thread keeps
 * everything stateful: the size gate, the de-duplication window (checked
 * and filled in submission order as results come back, so the outcome is
 * exactly what the synchronous path gives for the same sequence; a
 * duplicate may cost a wasted verification), the counters and delivery.
 * Each worker thread has its own scratch (envelope context, document,
 * cipher key cache); nothing of it is shared.  When nothing is waiting, a
 * message is processed at once on the loop thread (the lowest latency);
 * from the second message of a burst on (more than one in the same loop
 * iteration, or any while others are outstanding) it goes to the pool, in
 * batches of up to 8 spread over the pool's threads and handed over when
 * full or when the loop iteration ends.
 */
#include "core/common.h"
#include "core/dedup.h"
#include "core/envelope.h"
#include "core/err.h"
#include "core/identity.h"

#include <jansson.h>

enum msg_kind { MSG_HEARTBEAT, MSG_PAYLOAD, MSG_NOTIFICATION, MSG_COMMAND };

struct ingest_config {
	const struct r1_identity *me; /* decrypts what names it; NULL: decrypt nothing */
	const char *alias;	      /* our EE_ID for commands; NULL: address/ETH only */
	bool eth_enabled;	      /* the verifier's ETH flag (the reference: on) */
	size_t dedup_window;	      /* hashes remembered; 0 = 8192 */
	size_t max_plain;	      /* decrypted plaintext cap; 0 = 8 MiB */
	/*
	 * Deliver messages whose signature fails, marked unverified, instead
	 * of dropping them (an unsecured node's commands, per the reference).
	 * They are still counted under INGEST_DROP_BAD_SIGNATURE's sibling
	 * counter `unverified`.
	 */
	bool accept_unverified;
	/* Deliver encrypted payloads addressed to others, undecrypted (observers). */
	bool keep_foreign;
};

struct r1_msg {
	enum msg_kind kind;
	json_t *body;		  /* owned; the merged message */
	const char *topic;	  /* the caller's topic, valid during delivery only */
	size_t wire_len;
	char sender[R1_ADDR_LEN + 1];	/* EE_SENDER as 0xai_..., "" if unverified and bad */
	const char *alias;	  /* EE_ID, inside body, or NULL */
	const char *path[4];	  /* EE_PAYLOAD_PATH strings inside body (NULL for null) */
	bool verified;
	enum envelope_canon canon;
	bool encrypted;		  /* arrived encrypted */
	bool decrypted;		  /* and we decrypted it */
	bool to_us;		  /* EE_DEST names us */
	bool has_hash;
	uint8_t hash[32];	  /* EE_HASH */
	char reason[ENVELOPE_REASON_MAX]; /* why unverified, when accepted unverified */
};

struct ingest_stats {
	uint64_t received;
	uint64_t delivered;
	uint64_t unverified;	  /* delivered although the signature failed */
	struct ingest_drops drops;
	/* the parallel mode (ingest_use_pool) */
	uint64_t pooled;	  /* processed on a worker thread */
	uint64_t batches;	  /* pool jobs, each a batch of pooled messages */
	uint64_t inline_idle;	  /* on the loop thread: nothing else was waiting */
	uint64_t inline_full;	  /* on the loop thread: the pool was saturated */
	uint64_t reordered;	  /* finished before an earlier message and waited for it */
	uint64_t pauses;	  /* times the flow callback was asked to pause */
};

struct ingest;

/*
 * The configuration is copied (the identity and alias too: worker threads
 * may still be using them after the owner let go of its own).
 * Errors: R1_ERR_NOMEM, R1_ERR_INVAL (bad window).
 */
enum r1_err ingest_new(const struct ingest_config *cfg, struct ingest **out, char **why);
/*
 * Free (loop thread; also from inside the delivery callback).  Messages not
 * yet delivered are dropped without a callback; a paused flow is resumed
 * first.  Jobs still on the pool are cancelled when they have not started;
 * the memory they use is released when their done calls run (the loop's
 * next turn, or workers_free), so the pool must be freed or its loop run
 * afterwards.  NULLs *ig.
 */
void ingest_free(struct ingest **ig);

/*
 * Run one message through the path.  true: *msg is filled and owned by the
 * caller (r1_msg_release).  false: dropped; *drop says why (may be NULL) and
 * ingest_last_reason() has the detail.  Never fails otherwise: out of
 * memory drops the message as malformed with that reason.
 */
bool ingest_receive(struct ingest *ig, const char *topic, const void *data, size_t len,
		    struct r1_msg *msg, enum ingest_drop *drop);
void r1_msg_release(struct r1_msg *msg);

/* ---- submission with a delivery callback, and the parallel mode */

struct loop;
struct workers;

/*
 * One message's outcome, in submission order.  Borrowed for the call:
 * topic, reason and msg (released when the callback returns; keep the body
 * with json_incref).
 */
struct ingest_outcome {
	const char *topic;	/* as submitted */
	size_t wire_len;
	struct r1_msg *msg;	/* the message; NULL when dropped */
	enum ingest_drop drop;	/* why, when msg is NULL */
	const char *reason;	/* the drop's detail, as ingest_last_reason(); "" if delivered */
};

/*
 * Called on the loop thread for every submitted message.  It may submit
 * more messages (they are delivered after it returns) and may free the
 * ingest.
 */
typedef void (*ingest_deliver_fn)(void *ctx, struct ingest *ig, const struct ingest_outcome *o);
/* Stop (pause true) or restart the flow of messages: usually bus_pause(). */
typedef void (*ingest_flow_fn)(void *ctx, bool pause);

void ingest_set_delivery(struct ingest *ig, ingest_deliver_fn fn, void *ctx);

struct ingest_parallel {
	struct loop *loop;	/* the loop the pool reports to; required */
	struct workers *pool;	/* required; must outlive the ingest */
	/*
	 * Messages submitted and not yet delivered at which the flow is asked
	 * to pause (0 = 64).  Messages that arrive anyway (the owner has no
	 * flow callback, or the bus had already read them) are processed on
	 * the loop thread, which is slower but keeps memory bounded and the
	 * order intact.
	 */
	size_t max_inflight;
	size_t resume_at;	/* resume when this few are left (0 = max_inflight / 4) */
	bool always;		/* never process on the loop thread when idle (measurements) */
	ingest_flow_fn flow;	/* may be NULL */
	void *flow_ctx;
};

/*
 * Switch to the parallel mode: scratch memory for each of the pool's
 * threads, and a hook on the loop that notices bursts.  Call it before the
 * first ingest_submit.  Errors: R1_ERR_INVAL (no loop or pool),
 * R1_ERR_STATE (already in parallel mode), R1_ERR_NOMEM.
 */
enum r1_err ingest_use_pool(struct ingest *ig, const struct ingest_parallel *p, char **why);

/*
 * Take one message (copied when it has to wait) and deliver its outcome
 * through the callback, now or later, in submission order.  Without a pool
 * the outcome is delivered before this returns.  Counts as ingest_receive
 * does.  Do not mix with ingest_receive on one ingest while messages are
 * outstanding: that one returns at once, ahead of earlier submissions.
 */
void ingest_submit(struct ingest *ig, const char *topic, const void *data, size_t len);
/* Messages submitted and not yet delivered. */
size_t ingest_pending(const struct ingest *ig);

const struct ingest_stats *ingest_get_stats(const struct ingest *ig);
/* The detail of the last drop ("bad-signature: hash mismatch: ..."); "" if none. */
const char *ingest_last_reason(const struct ingest *ig);
/* Forget every remembered hash (tests, or a deliberate replay window reset). */
void ingest_reset_dedup(struct ingest *ig);

const char *msg_kind_name(enum msg_kind kind);

#endif
