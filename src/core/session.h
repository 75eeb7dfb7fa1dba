#ifndef R1_CORE_SESSION_H
#define R1_CORE_SESSION_H
/*
 * The control-plane session, modelled on the Python SDK's Session: one
 * identity and a name (our INITIATOR_ID and SESSION_ID) on a bus, sending
 * commands to nodes and waiting for what confirms them.
 *
 *  - Commands are built as the SDK builds them (cmdmsg.h), encrypted to the
 *    node by default, signed (envelope.h) and published on
 *    <root>/<node address>/config.
 *  - Every call that expects an answer returns a transaction id; the
 *    transaction (txn.h) completes, fails or times out from notifications
 *    exactly as the SDK's responses match them, and its callback runs on
 *    the loop.  Deadlines are a loop timer, never polling.
 *  - Pipelines follow the SDK's rules for what a deploy sends
 *    (pipespec.h): UPDATE_CONFIG or BATCH_UPDATE_PIPELINE_INSTANCE.
 *  - NetConfig: GET_CONFIG requests are encrypted payloads to
 *    <root>/<node>/payloads, as the SDK sends them.
 *  - With a cache, every command sent gets an audit row with its outcome.
 *
 * The session reads the netmap to turn aliases into addresses and to know
 * a node's alias for matching; it never changes it.  Notifications reach it
 * through session_on_notification (the receive path calls it).
 *
 * Everything runs on the loop thread.  Borrowed: loop, bus, identity,
 * netmap, cache, log; they must outlive the session.
 */
#include "core/common.h"
#include "core/err.h"
#include "core/identity.h"
#include "core/pipespec.h"
#include "core/txn.h"

#include <jansson.h>

struct loop;
struct bus;
struct netmap;
struct cache;
struct r1_log;
struct session;

struct session_options {
	const char *name;            /* INITIATOR_ID / SESSION_ID; required */
	const char *root;            /* topic root; NULL = "naeural" */
	bool clear_commands;         /* send commands unencrypted (SDK encrypt_comms=False) */
	int command_qos;             /* 0..2 */
	uint32_t timeout_ms;         /* default transaction timeout; 0 = 10 s */
	bool eth_disabled;           /* sign with the ETH flag off (the SDK's is on) */
	uint32_t netconfig_every_ms; /* passive NetConfig requests per node; 0 = 300 s;
	                                UINT32_MAX = never */
	/*
	 * A worker pool (core/workers.h) for the receive path: when a backlog
	 * builds (a busy network's heartbeats), signatures are checked there
	 * and the bus is paused while the pool is saturated; messages are
	 * still handled in arrival order.  Borrowed: free the session first.
	 * NULL: all on the loop thread.
	 */
	struct workers *ingest_pool;
	/*
	 * The owner already receives <root>/payloads and <root>/<our
	 * address>/payloads (a session inside a node, which shares the node's
	 * address) and hands this session what arrives there through
	 * session_deliver: session_listen leaves both topics out, so nothing is
	 * received and verified twice.
	 */
	bool payloads_from_owner;
};

/* Called once when a transaction ends (state ok, failed or timeout). */
typedef void (*session_done_fn)(void *ctx, struct session *s, const struct txn *t);

struct session_call {
	uint32_t timeout_ms;  /* 0 = the session's default */
	session_done_fn done; /* may be NULL */
	void *ctx;
};

/* R1_ERR_INVAL (no name, no identity), R1_ERR_NOMEM. */
enum r1_err session_new(struct loop *loop, struct bus *bus, const struct r1_identity *id,
                        struct netmap *nm, struct cache *cache, struct r1_log *log,
                        const struct session_options *opt, struct session **out, char **why);
/* Pending transactions are dropped without callbacks.  NULLs *s. */
void session_free(struct session **s);

const char *session_name(const struct session *s);
const struct r1_identity *session_identity(const struct session *s);

/*
 * A notification as received (the merged message, with EE_SENDER and
 * EE_PAYLOAD_PATH): offered to every pending transaction.
 */
void session_on_notification(struct session *s, const json_t *notif);

/*
 * Subscribe the bus to what a client listens to (as the SDK: <root>/ctrl,
 * <root>/notif and, unless payloads_from_owner, <root>/payloads and
 * <root>/<our address>/payloads) and take
 * its delivery callback: every message goes through the receive path
 * (ingest.h: verified, de-duplicated, decrypted when addressed to us, merged
 * as the SDK merges it) and on to session_deliver by its kind.  Errors:
 * R1_ERR_NOMEM, those of bus_subscribe.
 */
enum r1_err session_listen(struct session *s, char **why);

struct ingest_stats;
/* The receive path's counters (all zero before session_listen). */
const struct ingest_stats *session_ingest_stats(const struct session *s);

enum session_msg { SESSION_MSG_HEARTBEAT, SESSION_MSG_PAYLOAD, SESSION_MSG_NOTIFICATION };

/*
 * Everything the receive path accepted (verified, decrypted when it was for
 * us, merged as the SDK merges it), from `sender`: heartbeats feed the
 * netmap (v2 bodies are decoded here when still encoded), NET_MON_01
 * payloads are decoded and fed to the netmap, SET_CONFIG replies addressed
 * to us fill the netmap's pipelines, notifications go to the transactions;
 * payloads and notifications also go to the cache's ring.  After a map, the
 * peered online nodes not asked within netconfig_every_ms are asked for
 * their pipelines, as the SDK does.
 */
void session_deliver(struct session *s, enum session_msg kind, const char *sender,
                     const json_t *msg);

/*
 * Told of every payload and notification the session is delivered (before
 * its own handling), for commands and plugins that wait for a node's
 * answer in a payload (compute bench, ChainDist), and of every heartbeat
 * as its decoded status view (before the netmap takes it: a node's compute
 * figures, its DEVICE_STATUS).  One observer; fn NULL removes it.  msg and
 * sender are borrowed for the call.
 */
typedef void (*session_observer_fn)(void *ctx, struct session *s, enum session_msg kind,
                                    const char *sender, const json_t *msg);
void session_set_observer(struct session *s, session_observer_fn fn, void *ctx);

/*
 * Which node a person meant: an address (known or not), an ETH address or
 * an alias the netmap knows.  Fills the address ("0xai_...") and the alias
 * ("" if unknown).  R1_ERR_NOTFOUND / R1_ERR_EXISTS (ambiguous alias) with
 * a reason, R1_ERR_INVAL.
 */
enum r1_err session_resolve(struct session *s, const char *node, char addr[R1_ADDR_LEN + 1],
                            char alias[TXN_NAME_MAX + 1], char **why);

/* ---- commands with a transaction (ids are never 0) */

/* RESTART / STOP, confirmed by the node's NORMAL acknowledgement. */
enum r1_err session_restart(struct session *s, const char *node, const struct session_call *c,
                            uint64_t *txn_id, char **why);
enum r1_err session_stop(struct session *s, const char *node, const struct session_call *c,
                         uint64_t *txn_id, char **why);
/* ARCHIVE_CONFIG, confirmed by PIPELINE_ARCHIVE_OK (Pipeline.close()). */
enum r1_err session_close_pipeline(struct session *s, const char *node, const char *pipeline,
                                   const struct session_call *c, uint64_t *txn_id, char **why);
/*
 * An instance command (string or object command, optional payload and
 * COMMAND_PARAMS), confirmed by PIPELINE_OK + PLUGIN_INSTANCE_COMMAND_OK.
 */
enum r1_err session_instance_command(struct session *s, const char *node, const char *pipeline,
                                     const char *signature, const char *instance_id,
                                     const char *command, const json_t *command_obj,
                                     const json_t *payload, const json_t *params,
                                     const struct session_call *c, uint64_t *txn_id, char **why);
/* UPDATE_PIPELINE_INSTANCE, confirmed by PIPELINE_OK + PLUGIN_CONFIG_OK. */
enum r1_err session_update_instance(struct session *s, const char *node, const char *pipeline,
                                    const char *signature, const char *instance_id,
                                    const json_t *config, const struct session_call *c,
                                    uint64_t *txn_id, char **why);
/*
 * Deploy a pipeline's proposals (pipespec_plan_deploy) and wait for their
 * confirmations; when the transaction ends the pipespec is settled (staged
 * changes applied or dropped) before the callback runs.  The pipespec must
 * outlive the transaction.  R1_ERR_NOTFOUND when there is nothing to deploy.
 */
enum r1_err session_deploy(struct session *s, struct pipespec *p, const struct session_call *c,
                           uint64_t *txn_id, char **why);

/*
 * The pipeline `name` as `node` runs it, from the netmap's last NetConfig
 * reply (the SDK's attach_to_pipeline): a new pipespec, owned by the caller,
 * to change and deploy.  R1_ERR_NOTFOUND when the node or the pipeline is
 * unknown (ask with session_request_netconfig first), R1_ERR_NOMEM.
 */
enum r1_err session_attach_pipeline(struct session *s, const char *node, const char *name,
                                    struct pipespec **out, char **why);

/* Forget a pending transaction (no callback; its audit row says "cancelled"). */
bool session_cancel(struct session *s, uint64_t txn_id);
/* The pending transaction with this id, or NULL. */
const struct txn *session_txn(const struct session *s, uint64_t txn_id);
size_t session_pending(const struct session *s);

/* ---- without a transaction (the SDK waits for nothing either) */

/* PIPELINE_COMMAND (the SDK registers no transaction for it). */
enum r1_err session_pipeline_command(struct session *s, const char *node, const char *pipeline,
                                     const char *command, const json_t *command_obj,
                                     const json_t *payload, const json_t *params, char **why);
/* Any ACTION with any PAYLOAD (NULL = null), e.g. FULL_HEARTBEAT. */
enum r1_err session_send_command(struct session *s, const char *node, const char *action,
                                 const json_t *payload, char **why);
/* An encrypted NetConfig GET_CONFIG to these nodes (addresses or aliases). */
enum r1_err session_request_netconfig(struct session *s, const char *const *nodes, size_t n,
                                      char **why);

#endif
