#ifndef R1_CORE_TXN_H
#define R1_CORE_TXN_H
/*
 * A transaction: what we wait for after sending a command, and how it
 * ended.  There is no delivery acknowledgement in the protocol; as in the
 * SDK (base/transaction.py, base/responses.py), a transaction holds a list
 * of expected responses, each solved by a notification:
 *
 *  - pipeline responses match EE_PAYLOAD_PATH[0] (the node's alias) and
 *    [1] (the pipeline): PIPELINE_OK / PIPELINE_FAILED for a deploy,
 *    PIPELINE_ARCHIVE_OK / _FAILED for a close;
 *  - instance responses also match [2] (the signature, compared upper-case)
 *    and [3] (the instance id): PLUGIN_CONFIG_OK / _FAILED after a create
 *    or update, PLUGIN_INSTANCE_COMMAND_OK / _FAILED after a command.
 *
 * A response is good on its success code and bad on its failure code (the
 * reason is NOTIFICATION for pipelines and INFO for instances, as the SDK
 * takes them); other notifications are ignored.  SESSION_ID is not
 * compared, as in the SDK.  The transaction ends when every response is
 * solved (ok when all are good) or when its deadline passes ("Transaction
 * timeout (10s). Responses not received: ...").
 *
 * Two things go beyond the SDK, both stricter: when the notification's
 * EE_SENDER and the node's address are both known they must be the same key
 * (an alias can be claimed by anyone; EE_SENDER is verified), and a
 * COMM_RECEIVED_BAD_COMMAND (-5000) from the node fails every response of
 * the transaction.  And a node acknowledgement response (for RESTART and
 * STOP, which the SDK sends without waiting) is solved by the node's NORMAL
 * notification "Running 'RESTART' command ... received from '<us>'".
 *
 * A txn is plain data with no clock: the owner (session) feeds it
 * notifications and the current time.
 */
#include "core/common.h"
#include "core/err.h"
#include "core/identity.h"

#include <jansson.h>

#define TXN_NAME_MAX 64

enum txn_state { TXN_PENDING, TXN_OK, TXN_FAILED, TXN_TIMEOUT };

enum txn_resp_kind {
	TXN_RESP_PIPELINE, /* node + pipeline */
	TXN_RESP_INSTANCE, /* node + pipeline + signature + instance */
	TXN_RESP_NODE_ACK, /* node + the action named in its NORMAL notification */
};

struct txn_response {
	enum txn_resp_kind kind;
	char pipeline[TXN_NAME_MAX + 1];
	char signature[TXN_NAME_MAX + 1]; /* upper-case */
	char instance_id[TXN_NAME_MAX + 1];
	char action[32]; /* NODE_ACK */
	int ok_code, fail_code;
	bool solved, good;
	char *reason; /* when bad */
};

struct txn {
	uint64_t id;
	char node_addr[R1_ADDR_LEN + 1];   /* "" when unknown */
	char node_alias[TXN_NAME_MAX + 1]; /* "" when unknown */
	char initiator[TXN_NAME_MAX + 1];  /* our INITIATOR_ID, for NODE_ACK */
	char *label;                       /* what it is, for messages */
	struct txn_response *resp;
	size_t n_resp;
	int64_t started_ms, deadline_ms; /* the owner's clock */
	uint32_t timeout_ms;
	enum txn_state state;
	char *reason;       /* FAILED / TIMEOUT: why */
	uint64_t audit_key; /* the cache's audit row, 0 = none */
	void *owner;        /* for the session's list */
	struct txn *next;
};

/*
 * A pending transaction for the node (addr and/or alias may be NULL when
 * unknown, not both).  NULL on OOM or when both are missing.
 */
struct txn *txn_new(const char *node_addr, const char *node_alias, const char *initiator,
                    const char *label, int64_t now_ms, uint32_t timeout_ms);
void txn_free(struct txn **t);

/* Expected responses.  False on OOM. */
bool txn_expect_pipeline(struct txn *t, const char *pipeline, int ok_code, int fail_code);
bool txn_expect_instance(struct txn *t, const char *pipeline, const char *signature,
                         const char *instance_id, int ok_code, int fail_code);
bool txn_expect_ack(struct txn *t, const char *action);

/*
 * Give a notification (the merged message as received, with EE_SENDER and
 * EE_PAYLOAD_PATH) to a pending transaction.  Returns true when this ended
 * it (state is then TXN_OK or TXN_FAILED).
 */
bool txn_feed(struct txn *t, const json_t *notif);

/* End it with TXN_TIMEOUT when now_ms passed the deadline; true if it did. */
bool txn_check_deadline(struct txn *t, int64_t now_ms);
/* End it now as failed (e.g. it could not be sent). */
void txn_fail(struct txn *t, const char *reason);

const char *txn_state_name(enum txn_state s); /* "pending", "ok", "failed", "timeout" */

#endif
