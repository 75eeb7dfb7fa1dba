#ifndef R1_NODE_NODE_H
#define R1_NODE_NODE_H
/*
 * One Ratio1 edge node: the public face of libr1node, for the headless
 * daemon (`r1console node`) and for the console, which can host several
 * nodes on its own loop, each with its own bus endpoint.
 *
 * A node owns its directory (e2.pem, authorized_addrs,
 * whitelist_commands.json, node.db), its pipelines and plugin instances
 * (the admin_pipeline with its system plugins among them), heartbeats on
 * <root>/ctrl, and the command acceptance of the reference: EE_ID, then
 * signature, then decryption, then allow-list, then dispatch, each outcome
 * told on <root>/notif with the reference's codes.  With `oracle` it also
 * receives every heartbeat, keeps the availability of every node per epoch
 * and broadcasts the NET_MON_01 network map.
 *
 * Everything runs on the loop thread given to node_new.  The node uses the
 * bus endpoint's delivery callback (it calls bus_set_delivery); the bus,
 * loop and log are borrowed and must outlive the node.
 */
#include "core/common.h"
#include "core/err.h"
#include "core/log.h"

#include <jansson.h>

struct loop;
struct bus;
struct node;

/*
 * The machine figures a node reports in its heartbeats and health payloads
 * (GB and percent).  A node measures its machine; a demo network (the
 * console's --demo) gives each hosted node figures of its own through
 * node_config.resources, so one machine can show a varied network.
 */
struct node_resources {
	double cpu_used; /* percent 0..100 */
	int cpu_cores;
	double mem_total_gb, mem_avail_gb;
	double disk_total_gb, disk_avail_gb;
	char gpu_name[64]; /* "" = no GPU (the reference's "not available" text) */
	double gpu_mem_total_gb, gpu_mem_avail_gb;
	double gpu_used; /* percent */
};

/* Called with the measured figures before each report; may change them. */
typedef void (*node_resources_fn)(void *ctx, const struct node *node, struct node_resources *r);

struct node_config {
	const char *alias;         /* EE_ID, 1..20 characters; required */
	const char *data_dir;      /* the node directory (created); required */
	const char *root_topic;    /* NULL = "naeural" */
	bool oracle;               /* a supervisor: NET_MON_01, epochs, all heartbeats */
	bool secured;              /* SECURED: commands with bad signatures are dropped */
	unsigned heartbeat_ms;     /* 0 = 10000 (the reference's 10 s) */
	unsigned online_timeout_s; /* 0 = 60: older than this is "LOST STATUS" */
	/* NET_MON_01 period; 0 = the reference's 25 + rand(1..24) s */
	unsigned netmon_send_ms;
	/* Addresses added to authorized_addrs when the node starts. */
	const char *const *allow;
	size_t n_allow;
	/* Oracles whose NET_MON_01 this node trusts (it always trusts itself). */
	const char *const *oracles;
	size_t n_oracles;
	const char *comm_relay;      /* COMM_RELAY: the broker host, "" if local */
	const char *epoch_network;   /* "mainnet" (default), "testnet", "devnet" */
	uint64_t exception_delay_ms; /* plugin backoff base; 0 = 10 s */
	/*
	 * The reference's EE_ETH_ENABLED off: EE_ETH_SENDER/EE_ETH_SIGN are
	 * neither added nor excluded from hashes, and NET_MON_01 sends whole
	 * whitelists instead of WHITELIST_MAP indexes.  Production runs with
	 * ETH on; an SDK run with EE_VPN_IMPL turns it off and then cannot read
	 * indexed whitelists.
	 */
	bool eth_disabled;
	unsigned allowlist_check_ms; /* how often authorized_addrs is checked; 0 = 2 s */
	/* Demo figures (see struct node_resources); NULL = this machine's. */
	node_resources_fn resources;
	void *resources_ctx;
	/*
	 * Node tags ({"EE_NT_CT": "RO", ...}) added over those of the
	 * environment's EE_NT_* variables; copied.  NULL = none.
	 */
	const json_t *tags;
	/*
	 * CStore (CHAIN_STORE_BASE): the app-facing HTTP API's port (0 = no
	 * HTTP API; the daemon's default is 31234) and bind address (NULL =
	 * 127.0.0.1), and MIN_CONFIRMATIONS when the instance config does not
	 * set it (0 = the reference's 1).
	 */
	int cstore_port;
	const char *cstore_bind;
	int cstore_min_confirmations;
	/*
	 * The compute engine (node/compute/compute.h): OpenBLAS threads per job
	 * (0 = every core but one, for the loop) and the memory one job may use
	 * in MiB (0 = half the RAM, at most 8 GiB).
	 */
	int compute_threads;
	unsigned compute_mem_limit_mb;
	/*
	 * R1FS (R1FS_MANAGER): the app-facing HTTP API's port (0 = none; the
	 * daemon's default is 31235) and bind address (NULL = 127.0.0.1); a
	 * kubo-compatible RPC API to keep the files in ("http://host:port";
	 * NULL = the built-in store, with the exchange over the bus); the
	 * storage quota in bytes (0 = none); how long a fetch from peers may
	 * go without a block before it fails (0 = 90 s).
	 */
	int r1fs_port;
	const char *r1fs_bind;
	const char *ipfs_api;
	uint64_t r1fs_quota;
	unsigned r1fs_fetch_timeout_s;
	/*
	 * A worker pool (core/workers.h) for the receive path: when messages
	 * come faster than one thread verifies them, their signature checks
	 * run there (ingest's parallel mode) and the bus is paused while the
	 * pool is saturated; commands still reach the node in arrival order.
	 * Borrowed: free the node first.  NULL: all on the loop thread.
	 */
	struct workers *ingest_pool;
};

enum node_exit {
	NODE_EXIT_NONE,
	NODE_EXIT_STOP,    /* STOP: the reference exits with 0 */
	NODE_EXIT_RESTART, /* RESTART: the reference exits with 10 */
};

enum node_event_type {
	NODE_EV_STARTED,
	NODE_EV_STOPPED,
	NODE_EV_COMMAND,         /* accepted: action, payload, sender */
	NODE_EV_COMMAND_REFUSED, /* refused: action (may be NULL), sender, reason */
	NODE_EV_PIPELINE,        /* a pipeline was created, changed or removed: pipeline */
	NODE_EV_NOTIFICATION,    /* sent: message, code */
	NODE_EV_PAYLOAD,         /* sent: message */
	NODE_EV_HEARTBEAT,       /* sent: message (the decoded status view) */
	NODE_EV_EXIT_REQUEST,    /* STOP or RESTART accepted: exit */
};

/* Everything is borrowed for the duration of the call. */
struct node_event {
	enum node_event_type type;
	const char *action;
	const json_t *payload;
	const char *sender;
	const char *pipeline;
	const char *reason;
	const json_t *message;
	int code;
	enum node_exit exit;
};

typedef void (*node_event_fn)(void *ctx, struct node *node, const struct node_event *ev);

struct node_stats {
	uint64_t heartbeats_sent, payloads_sent, notifications_sent;
	uint64_t commands_accepted, commands_refused;
	uint64_t messages_in, messages_dropped;
	uint64_t send_failures;
	size_t pipelines, instances;
	size_t known_nodes; /* oracle: nodes whose heartbeats it has */
};

/*
 * A node on `loop`, talking through `bus`.  Creates the directory, the key
 * (e2.pem) on first use, authorized_addrs, whitelist_commands.json and
 * node.db; restores the persisted pipelines (not started yet).  Errors:
 * R1_ERR_INVAL (bad config), R1_ERR_IO, R1_ERR_DB, R1_ERR_CRYPTO,
 * R1_ERR_NOMEM.
 */
enum r1_err node_new(struct loop *loop, struct bus *bus, const struct node_config *cfg,
                     struct r1_log *log, struct node **out, char **why);
/*
 * Subscribe, repair the admin pipeline, start every pipeline and the
 * timers, send the first heartbeat.  Errors: bus errors, R1_ERR_DB,
 * R1_ERR_STATE (already started).
 */
enum r1_err node_start(struct node *n, char **why);
/*
 * Stop: a last heartbeat with DEVICE_STATUS "SHUTDOWN", instances closed,
 * timers stopped, subscriptions dropped.  Pipelines are already persisted
 * (every change is).  Safe to call twice.
 */
void node_stop(struct node *n);
/* Stop if needed and free; NULLs *n. */
void node_free(struct node **n);

void node_set_observer(struct node *n, node_event_fn fn, void *ctx);

struct cstore;
/*
 * The node's CStore engine (node/cstore/cstore.h: C API for plugins and the
 * console), or NULL before CHAIN_STORE_BASE started or after it stopped.
 * Borrowed.
 */
struct cstore *node_cstore(const struct node *n);
/* The port of the node's CStore HTTP API, 0 when it does not serve one. */
unsigned node_cstore_port(const struct node *n);

struct compute;
struct r1fs;
/* The node's compute engine (BLAS jobs, on its own worker thread).  Borrowed; never NULL. */
struct compute *node_compute(const struct node *n);
/*
 * The node's R1FS store (blocks under <data_dir>/r1fs), or NULL when it
 * could not be opened (the reason is in the log).  Borrowed.
 */
struct r1fs *node_r1fs(const struct node *n);
/* The port of the node's R1FS HTTP API, 0 when it does not serve one. */
unsigned node_r1fs_port(const struct node *n);
/*
 * What the console's :r1fs view shows of this node: a new object (see
 * node/r1fs/r1fs_manager.h: pinned files with size, name and the peers
 * that announce them; transfers with progress; peers' announcements), or
 * NULL on OOM.  Queries the store: call it when the view refreshes.
 */
json_t *node_r1fs_view(struct node *n);

struct session;
struct netmap;
/*
 * A control-plane session inside the node, for plugins that command other
 * nodes (the reference's ChainDist master "creates an in-node SDK Session
 * that shares the node's blockchain engine and comm config"): the node's
 * identity, root topic and ETH setting on an endpoint of its own, opened
 * next to the node's (bus_open_sibling: another endpoint of the same local
 * hub, or another connection to the same broker with the same credentials
 * and a client id "<alias>_SESSION_<random>"), already listening
 * (session_listen), with a netmap of its own that trusts the node's oracles
 * and the node itself, has the node's online timeout and is ticked by the
 * node.  Its receive path uses the node's ingest pool when it has one.
 * Payloads are not received twice: its endpoint subscribes to <root>/ctrl
 * and <root>/notif only, and the node hands it the payloads it received on
 * <root>/payloads and <root>/<address>/payloads, verified and decrypted.
 * `name` is its INITIATOR_ID / SESSION_ID.  Commands go at the config
 * channel's QoS (2, kept while the endpoint reconnects).  It asks no
 * NetConfig on its own (netconfig_every_ms is "never";
 * session_request_netconfig works).  The node owns it: close it with
 * node_close_session (node_free closes those left).  Errors: R1_ERR_INVAL (no name), R1_ERR_STATE
 * (the node was stopped, or its bus cannot open siblings), R1_ERR_NOMEM, bus errors.
 */
enum r1_err node_open_session(struct node *n, const char *name, struct session **out, char **why);
/* The netmap of a session from node_open_session (NULL for any other). Borrowed. */
struct netmap *node_session_netmap(const struct node *n, const struct session *s);
/*
 * Close it: pending transactions are dropped without callbacks, its
 * endpoint disconnects.  Never from inside a callback of any of the
 * node's sessions (observers, transaction callbacks).  NULLs *s; a session
 * the node did not
 * open is left alone.
 */
void node_close_session(struct node *n, struct session **s);

const char *node_alias(const struct node *n);
const char *node_address(const struct node *n);     /* "0xai_..." */
const char *node_eth_address(const struct node *n); /* "0x..." */
const char *node_dir(const struct node *n);
bool node_is_oracle(const struct node *n);
/* Every running pipeline's config (admin_pipeline included): a new array. */
json_t *node_pipelines(const struct node *n);
/* The addresses of authorized_addrs, without prefix: a new array. */
json_t *node_whitelist(const struct node *n);
void node_get_stats(const struct node *n, struct node_stats *out);
struct ingest_stats;
/* The receive path's counters (core/ingest.h), borrowed. */
const struct ingest_stats *node_ingest_stats(const struct node *n);
/* What STOP/RESTART asked for (NODE_EXIT_NONE if nothing). */
enum node_exit node_exit_request(const struct node *n);

/* SIGHUP: re-read authorized_addrs, whitelist_commands.json and the pipelines. */
enum r1_err node_reload(struct node *n, char **why);
/* Add an address to authorized_addrs.  R1_ERR_INVAL, R1_ERR_IO. */
enum r1_err node_allow(struct node *n, const char *addr, const char *alias, char **why);
/* Send a heartbeat now (full = with logs), as FULL_HEARTBEAT does. */
void node_send_heartbeat(struct node *n, bool full);

/*
 * The oracle's network view: the CURRENT_NETWORK it would send now (a new
 * object keyed by address without prefix), or an empty object on a node
 * that is not an oracle.
 */
json_t *node_network(const struct node *n);

#endif
