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
};

struct ingest;

/* Errors: R1_ERR_NOMEM, R1_ERR_INVAL (bad window). */
enum r1_err ingest_new(const struct ingest_config *cfg, struct ingest **out, char **why);
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

const struct ingest_stats *ingest_get_stats(const struct ingest *ig);
/* The detail of the last drop ("bad-signature: hash mismatch: ..."); "" if none. */
const char *ingest_last_reason(const struct ingest *ig);
/* Forget every remembered hash (tests, or a deliberate replay window reset). */
void ingest_reset_dedup(struct ingest *ig);

const char *msg_kind_name(enum msg_kind kind);

#endif
