#ifndef R1_NODE_NODEPRIV_H
#define R1_NODE_NODEPRIV_H
/*
 * The inside of struct node, shared by the node's own files (node.c,
 * pipelines.c, commands.c, outbox.c, receive.c, beat.c) and the admin
 * plugins.  Nothing outside src/node includes this; the console uses
 * node.h.
 *
 * Division of work:
 *   node.c       directory, key, database, timers, lifecycle, public API
 *   pipelines.c  running pipelines: restore, apply, persist, archive,
 *                the admin pipeline, inputs of NetworkListener pipelines
 *   commands.c   command acceptance and the ACTION handlers
 *   outbox.c     outgoing messages: envelope, encryption, signature, topics
 *   receive.c    incoming messages: verify, de-duplicate, decrypt, route
 *   beat.c       heartbeats (status, v2 encoding, timer)
 */
#include "node/lib.h"
#include "node/node.h"
#include "node/allowlist.h"
#include "node/netwatch.h"
#include "node/notif.h"
#include "node/pipestore.h"
#include "node/pluginhost.h"
#include "node/sysinfo.h"
#include "core/identity.h"
#include "core/timefmt.h"

#include <jansson.h>
#include <sqlite3.h>

struct loop_timer;
struct cipher_keycache;
struct xchg_gate;
struct rfm;

/* The reference's communicators; COMM_STATS reports each. */
enum node_chan {
	CHAN_DEFAULT,        /* payloads */
	CHAN_HEARTBEATS,     /* sends heartbeats, receives commands */
	CHAN_COMMANDCONTROL, /* receives heartbeats (oracles), sends commands */
	CHAN_NOTIFICATIONS,
	CHAN__COUNT
};

struct chan_stats {
	uint64_t sent, received, fails;
	uint64_t bytes_out, bytes_in;
	int64_t last_activity_us;
	int64_t last_error_us;
	char last_error[160];
};

/* A running pipeline: its config as persisted and its instances. */
struct pipeline_rt {
	char *name;
	json_t *config;
	bool admin;
	bool listener;
	struct plugin_instance **inst;
	size_t n, cap;
	struct pipeline_rt *next;
};

/* A control-plane session opened for a plugin (node_open_session). */
struct node_session {
	struct node_session *next;
	struct bus *bus; /* a sibling of the node's endpoint */
	struct netmap *nm;
	struct session *sess;
};

/* A message that came in, after verification and decryption. */
struct node_inbound {
	const char *topic;
	json_t *msg;        /* decrypted fields merged in when it was encrypted */
	const char *sender; /* EE_SENDER as "0xai_...", NULL when it had none */
	bool signature_ok;
	const char *verdict; /* why the signature failed ("" when it did not) */
	bool encrypted;      /* EE_IS_ENCRYPTED was true */
	bool decrypted;      /* ... and decryption worked */
	const char *decrypt_error;
};

struct node {
	/* configuration (owned copies) */
	char *alias, *dir, *root, *comm_relay;
	bool oracle, secured, eth;
	unsigned heartbeat_ms, online_timeout_s, netmon_send_ms, allowlist_check_ms;
	uint64_t exception_delay_ms;
	char **oracles;
	size_t n_oracles;
	struct epoch_params epochs;
	int epoch_net; /* enum epoch_network */
	int cstore_port, cstore_min_confirmations;
	char *cstore_bind; /* NULL = 127.0.0.1 */
	/* set by CHAIN_STORE_BASE (node/cstore/chain_store_base.c) while it runs */
	struct cstore *cstore;
	unsigned cstore_http_port;

	struct loop *loop;
	struct bus *bus;
	struct r1_log *log;
	struct r1_identity id;
	char ee_tz[TIMEFMT_ZONE_SIZE];

	char *path_pem, *path_allow, *path_cmdwl, *path_db;
	struct allowlist *allow;
	json_t *cmd_templates;
	sqlite3 *db;
	struct pipestore *store;
	struct pluginhost *host;
	struct compute *compute; /* node/compute: BLAS jobs on their own worker thread */
	struct r1fs *r1fs;       /* NULL when the store could not be opened */
	sqlite3 *r1fs_db;        /* R1FS's own connection to node.db */
	/* R1FS config; the gate is the store's fetch hook (built-in store only) */
	int r1fs_port;
	char *r1fs_bind, *ipfs_api;
	uint64_t r1fs_quota;
	unsigned r1fs_fetch_timeout_s;
	struct xchg_gate *r1fs_gate;
	/* set by R1FS_MANAGER (node/r1fs/r1fs_manager.c) while it runs */
	struct rfm *r1fsm;
	unsigned r1fs_http_port;
	char *r1fs_id; /* the heartbeat's R1FS_ID (an IPFS peer ID), or NULL */
	bool r1fs_online;
	struct pipeline_rt *pipes;
	struct netwatch *watch;
	struct cipher_keycache *keys;
	struct ingest *ingest;
	struct node_session *sessions; /* node_open_session, newest first */
	struct workers *ingest_pool;   /* borrowed (node_config), for those sessions too */

	/* topics */
	char *t_config, *t_ctrl, *t_notif, *t_payloads, *t_payloads_own;

	/* timers */
	struct loop_timer *host_timer, *beat_timer, *house_timer;
	bool host_wake_pending;

	/* outgoing counters */
	uint64_t seq[CHAN__COUNT];
	uint64_t total_messages;
	struct chan_stats chans[CHAN__COUNT];

	struct sysinfo_cpu cpu;
	node_resources_fn resources; /* demo figures, or NULL */
	void *resources_ctx;
	json_t *tags;
	int64_t start_us;
	uint64_t start_ms;
	double loop_avg_s;

	node_event_fn observer;
	void *observer_ctx;
	struct node_stats stats;
	bool started, stopped;
	enum node_exit exit;
	bool in_command; /* a handler is running: exit requests wait for it */
};

/* ---- node.c */

/* This machine's figures for a report, or the demo figures when configured. */
void node_sample(struct node *n, struct sysinfo *s, struct sysinfo_cpu *cpu);

/* ---- outbox.c */

/*
 * Send a message on a channel: the envelope (EE_ADDR, EE_ID, EE_EVENT_TYPE,
 * EE_VERSION, times, counters, EE_PAYLOAD_PATH from STREAM_NAME/SIGNATURE/
 * INSTANCE_ID), encryption when the body asks for it (EE_IS_ENCRYPTED) to
 * EE_DEST, else INITIATOR_ADDR, else MODIFIED_BY_ADDR, the signature, then
 * the topic(s): a payload with EE_DEST goes to <root>/<dest>/payloads for
 * each destination.  `body` is stolen.  Failures are counted and logged.
 */
void node_send(struct node *n, enum node_chan chan, const char *event_type, json_t *body);
/* A notification from the node itself (not a plugin). extra is stolen. */
void node_notify(struct node *n, const struct notif_spec *spec, json_t *extra);
/* COMM_STATS of a heartbeat and the IN_KB/OUT_KB totals. */
json_t *node_comm_stats(struct node *n, double *in_kb, double *out_kb);
/* Tell the observer. */
void node_emit_event(struct node *n, const struct node_event *ev);
/* The node's local time text now ("%Y-%m-%d %H:%M:%S.%f"). */
void node_now_text(char out[32]);

/* ---- receive.c */

/* The bus delivery callback. */
void node_on_message(void *ctx, struct bus *bus, const char *topic, const uint8_t *payload,
                     size_t len, int qos);
/* The receive path's outcomes (core/ingest.h), in arrival order. */
struct ingest_outcome;
void node_on_ingested(void *ctx, struct ingest *ig, const struct ingest_outcome *o);
void node_ingest_flow(void *ctx, bool pause);

/* ---- commands.c */

/* A message on <root>/<own addr>/config. */
void node_handle_command(struct node *n, const struct node_inbound *in);
/* Is this address allowed (authorized_addrs or ourselves)? */
bool node_is_allowed(const struct node *n, const char *addr);
/* Refuse a command: count, log, tell the observer and say -5000 on <root>/notif. */
void node_refuse_command(struct node *n, const struct node_inbound *in, const char *action,
                         const char *reason);

/* ---- pipelines.c */

enum r1_err node_pipelines_restore(struct node *n, char **why);
/* Create or repair admin_pipeline (persisted). */
enum r1_err node_admin_setup(struct node *n, char **why);
struct pipeline_rt *node_pipeline_find(const struct node *n, const char *name);
/*
 * Replace (or create) a pipeline with a cleaned config: persist first, then
 * start, update and stop instances to match.  The config is stolen.
 */
enum r1_err node_pipeline_set(struct node *n, json_t *config, char **why);
/* Stop and delete (archive = keep a copy in the archive table). */
enum r1_err node_pipeline_remove(struct node *n, const char *name, bool archive, char **why);
/* Start every instance of every pipeline (node_start). */
void node_pipelines_start(struct node *n);
/* Stop every instance (node_stop); configs stay. */
void node_pipelines_stop(struct node *n);
void node_pipelines_free(struct node *n);
/* Feed a received payload to the NetworkListener pipelines it matches. */
void node_pipelines_feed(struct node *n, json_t *payload);
/* The host's save_config sink: write instance keys into the pipeline and persist. */
void node_pipeline_save_instance(struct node *n, const char *stream, const char *signature,
                                 const char *instance_id, const json_t *kv);
json_t *node_pipeline_configs(const struct node *n);
/* The provenance (INITIATOR_*, MODIFIED_BY_*, SESSION_ID) of a pipeline config. */
void node_pipeline_provenance(const json_t *config, struct provenance *prov);

/* ---- beat.c */

/*
 * Build and send a heartbeat: status NULL = "ONLINE"; full_info adds the
 * timers text, send_log the logs (FULL_HEARTBEAT); initiator is the
 * requester of a forced one.
 */
void node_heartbeat_send(struct node *n, const char *status, bool full_info, bool send_log,
                         const char *initiator, const char *session);
/* Restart the periodic timer (a forced heartbeat resets the period, as in the reference). */
void node_heartbeat_rearm(struct node *n);

/* ---- for the admin plugins (src/node/plugins) */

/* The oracle's netwatch, or NULL on a node that is not an oracle. */
static inline struct netwatch *node_netwatch(struct node *n)
{
	return n->watch;
}
/* Do we trust NET_MON_01 summaries from this address? (configured oracles and ourselves) */
bool node_trusts_oracle(const struct node *n, const char *addr);
/* Who the node is, for its HTTP APIs' envelope (strings borrowed from n). */
struct httpapi_identity;
void node_http_identity(const struct node *n, struct httpapi_identity *out);
/*
 * Record the port of one of the node's HTTP APIs in its directory as
 * "<port>\n" (file `name`, e.g. "cstore-api.port", which `r1console
 * cstore --node` reads).  Returns the path for node_remove_port_file, or
 * NULL when the file could not be written (a warning on log, module mod).
 */
char *node_write_port_file(const struct node *n, const char *name, unsigned port,
                           struct r1_log *log, const char *mod);
/* Remove the file and free the path (NULL is fine); NULLs *path. */
void node_remove_port_file(char **path);

#endif
