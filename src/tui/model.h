#ifndef R1_TUI_MODEL_H
#define R1_TUI_MODEL_H
/*
 * What the console's views read: the network model (netmap), the control
 * session that sends commands, the cache, the live streams and the logs,
 * the compute figures other nodes' heartbeats carry, the engines of the
 * nodes this process hosts (CStore, R1FS, compute), and a few facts about
 * where we are (network, broker, identity), all in one plain struct the
 * owner fills.  The views never reach further (no bus, no node object
 * beyond the hosts' engine accessors): that is what lets the layout tests
 * and the benchmark build a model by feeding the netmap, and hand it
 * engines of their own, and drive every view without a network.
 *
 * Ownership: the netmap, session, cache, logs, nodes and engines are
 * borrowed (the owner frees them after the app, calling
 * tui_model_forget_hosts before the nodes and engines go); the streams
 * and the figures are the model's own.
 */
#include "core/common.h"
#include "core/epochs.h"
#include "core/err.h"
#include "core/identity.h"
#include "tui/netjobs.h"
#include "tui/nodefigs.h"
#include "tui/stream.h"

struct netmap;
struct session;
struct cache;
struct r1_log;
struct node;
struct cstore;
struct compute;
struct r1fs;

#define TUI_MODEL_TEXT_MAX 128
#define TUI_HOSTS_MAX      64

/*
 * A node this process runs.  With `node` set, its engines are asked of the
 * node each time (CHAIN_STORE_BASE may start late, stop, or restart with a
 * new engine); without it (tests, benchmarks) the engine pointers below
 * are used as they are.  Any engine may be missing (NULL).
 */
struct tui_host {
	char alias[TUI_MODEL_TEXT_MAX];
	char addr[R1_ADDR_LEN + 1];
	struct node *node;
	struct cstore *cstore;
	struct compute *compute;
	struct r1fs *r1fs;
	/*
	 * Tests: what tui_host_r1fs_view returns when there is no node (a new
	 * object in node_r1fs_view's shape); NULL = built from `r1fs`.
	 */
	json_t *(*r1fs_view)(void *ctx);
	void *r1fs_view_ctx;
	/* model.c's: the engine our observer is on, and its changes so far */
	struct cstore *observed;
	uint64_t cstore_changes;
	struct tui_model *m;
};

struct tui_model {
	struct netmap *nm;       /* required */
	struct session *sess;    /* NULL: no commands can be sent */
	struct cache *cache;     /* NULL: no history (sparklines, older epochs) */
	struct r1_log *log;      /* the console's own log; may be NULL */
	struct r1_log *node_log; /* the hosted nodes' log; NULL when none is hosted */
	struct stream streams[STREAM__COUNT];
	struct epoch_params epochs;       /* as the netmap counts them */
	char network[TUI_MODEL_TEXT_MAX]; /* "local (embedded)", a profile name */
	char broker[TUI_MODEL_TEXT_MAX];  /* as shown: no password */
	char self_addr[R1_ADDR_LEN + 1];
	char self_alias[TUI_MODEL_TEXT_MAX];
	struct tui_host hosts[TUI_HOSTS_MAX]; /* the nodes this process runs */
	size_t n_hosts;
	struct nodefigs figs; /* compute figures from heartbeats, by netmap index */
	struct netjobs jobs;  /* compute jobs from payloads (ChainDist, MATMUL_JOB_01) */
	/*
	 * Wall-clock milliseconds of the frame being drawn.  The app sets it
	 * before each frame unless clock_fixed (tests and benchmarks).
	 */
	int64_t now_ms;
	bool clock_fixed;
	/* Told after tui_model_add added a record (the app listens here). */
	void (*on_stream)(void *ctx, enum stream_kind k, const struct stream_entry *e);
	void *on_stream_ctx;
	/*
	 * Send `fields` (borrowed) to node `addr` as an encrypted payload of
	 * ours, from [our address, "admin_pipeline", signature, null], on
	 * <root>/<addr>/payloads: the remote path of CStore (CSTORE_REQ, whose
	 * CSTORE_RESP comes back as a payload).  NULL without a network (tests
	 * set their own).  Errors with *why: R1_ERR_INVAL, R1_ERR_CRYPTO, the
	 * bus's, R1_ERR_NOMEM.
	 */
	enum r1_err (*send_payload)(void *ctx, const char *addr, const char *signature,
	                            const json_t *fields, char **why);
	void *send_ctx;
	/* Told after a hosted node's CStore changed (the app listens here). */
	void (*on_host)(void *ctx, struct tui_host *h);
	void *on_host_ctx;
};

/* Streams ready, epochs of mainnet, texts empty.  R1_ERR_NOMEM. */
enum r1_err tui_model_init(struct tui_model *m);
void tui_model_release(struct tui_model *m);

/*
 * Add a record to stream k at now_ms and tell on_stream.  A verified
 * payload of a compute job also updates `jobs`.  NULL if not added.
 */
const struct stream_entry *tui_model_add(struct tui_model *m, enum stream_kind k,
                                         const struct stream_msg *msg, int64_t now_ms);

/*
 * Add a hosted node (fields copied; m set).  NULL when TUI_HOSTS_MAX are
 * there already.
 */
struct tui_host *tui_model_add_host(struct tui_model *m, const struct tui_host *h);
/* The host whose address is addr (any prefix form), or NULL. */
struct tui_host *tui_model_host(struct tui_model *m, const char *addr);
/*
 * A host's engines now, or NULL.  tui_host_cstore also puts the model's
 * observer on an engine it has not seen before (its changes count in
 * cstore_changes and call on_host).
 */
struct cstore *tui_host_cstore(struct tui_host *h);
struct compute *tui_host_compute(const struct tui_host *h);
struct r1fs *tui_host_r1fs(const struct tui_host *h);
/*
 * What the R1FS view shows of a host (a new object, NULL on OOM): the
 * node's node_r1fs_view (its R1FS_MANAGER's view, exchange included), or
 * for tests the r1fs_view hook's, else one built from `r1fs` alone:
 *   {"files": [{"cid", "size", "created", "name" (null when unknown),
 *               "peers": [{"addr", "alias"}]}],
 *    "store": {"used", "quota", "blocks", "pins"} (absent without a store),
 *    "running", "http_port", "transfers": [{"cid", "state", "peers",
 *    "bytes_done", "bytes_total", "blocks_done", "blocks_fetched",
 *    "inflight", "seconds", "error"}], "peers": [{"addr", "alias",
 *    "seen_us", "store", "pins", "used", "quota", "recent"}]}
 * Queries the store: call it when the view refreshes, not per frame.
 */
json_t *tui_host_r1fs_view(struct tui_host *h);
/*
 * Take the observer off every host's engine and forget the hosts: the
 * owner calls it before it stops or frees the nodes or engines.
 */
void tui_model_forget_hosts(struct tui_model *m);

/*
 * A node's status (the decoded heartbeat the netmap was just fed, or a
 * health payload): its compute figures go to `figs` under the netmap's
 * index of `addr`.  True when they changed.
 */
bool tui_model_node_status(struct tui_model *m, const char *addr, const json_t *status,
                           int64_t now_ms);

/* Wall-clock milliseconds now. */
int64_t tui_wall_ms(void);

#endif
