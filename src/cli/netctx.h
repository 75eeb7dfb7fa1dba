#ifndef R1_CLI_NETCTX_H
#define R1_CLI_NETCTX_H
/*
 * What the commands share: the settings (XDG paths, the config file, the
 * EE_* environment, the global flags), the user's identity, and, for the
 * commands that talk to a network, a running one: either the embedded local
 * network (an oracle node and the local node from src/node, in this
 * process, on an in-process bus) or a broker joined over MQTT, with the
 * netmap fed and the first map or heartbeats awaited.
 *
 * Functions here print what goes wrong (one line each, on stderr) and
 * return the exit status the command should end with.
 */
#include "core/lib.h"
#include "core/config.h"
#include "core/identity.h"
#include "core/paths.h"
#include "cli/args.h"
#include "core/netmap.h"

#include <jansson.h>

struct netctx_env {
	struct r1_paths paths;
	char *config_path;
	struct config_file file;
	struct r1_settings set;
};

/*
 * Paths, config file and settings from the global flags.  A config file
 * with bad lines fails with EXIT_USAGE after printing every bad line
 * (unless `tolerate_bad_file`, for `config show`).
 */
int netctx_env_load(struct netctx_env *env, const struct cli_global *g, bool tolerate_bad_file);
void netctx_env_release(struct netctx_env *env);

/*
 * The user's identity from the settings' key file.  When the file does not
 * exist and `create` is set, a new key is made there (as the SDK does on
 * first use) and a note goes to stderr.  EXIT_OK or EXIT_FAIL.
 */
int netctx_identity(const struct netctx_env *env, struct r1_identity *id, bool create);

/* ---- a running network ---------------------------------------------------- */

struct loop;
struct bus;
struct bus_hub;
struct node;
struct netmap;
struct cache;
struct session;
struct r1_log;
struct loop_timer;

#define NETCTX_LOCAL_NODES 2 /* the embedded network: an oracle and the local node */

struct netctx {
	struct netctx_env env;
	struct r1_identity id;
	struct r1_log *log;
	struct loop *loop;
	struct workers *pool; /* signature checks of a backlog (session and local nodes) */
	bool local;          /* the embedded network */
	struct bus_hub *hub; /* local: the in-process broker */
	struct bus *bus;     /* our endpoint */
	struct bus *node_bus[NETCTX_LOCAL_NODES];
	struct node *nodes[NETCTX_LOCAL_NODES]; /* local: oracle, node */
	struct netmap *nm;
	struct cache *cache; /* may be NULL (could not be opened) */
	struct session *sess;
	struct loop_timer *tick; /* netmap and cache ticks */
	int64_t started_ms;      /* wall clock */
	bool bus_failed;         /* the broker refused us */
	char *bus_reason;
};

enum {
	NETCTX_NO_CACHE = 1u << 0, /* do not open the cache (commands that send) */
};

/*
 * Settings, identity (created on first use), the network (embedded or the
 * broker of the settings), the netmap fed from it, the session, the cache
 * restored.  Prints what fails; returns the exit status (EXIT_OK to go on).
 */
int netctx_open(struct netctx *nc, const struct cli_global *g, unsigned flags);
void netctx_close(struct netctx *nc);

/*
 * Run the loop until cond(ctx) holds (checked after every iteration) or
 * timeout_ms passes.  Returns whether cond held.
 */
bool netctx_run_until(struct netctx *nc, bool (*cond)(void *ctx), void *ctx, uint32_t timeout_ms);
/* Run the loop for ms milliseconds. */
void netctx_run_for(struct netctx *nc, uint32_t ms);

/*
 * Wait for the network's view: a NET_MON_01 map from a trusted oracle (with
 * no oracle configured: from any supervisor).  EXIT_OK, or EXIT_TIMEOUT
 * after printing why.
 */
int netctx_wait_map(struct netctx *nc, uint32_t timeout_ms);

/*
 * Wait until `name` (address, ETH address or alias) names a node heard of
 * (a map or its own heartbeat).  EXIT_OK with *out set; EXIT_FAIL for an
 * unknown or ambiguous name, after printing one line saying so.
 */
int netctx_wait_node(struct netctx *nc, const char *name, uint32_t timeout_ms,
                     const struct nm_node **out);

/*
 * netctx_open, then netctx_wait_node for `name` (timeout_ms 0: the
 * settings' timeout); on failure the network is closed again.  EXIT_OK
 * with *out set and the network open, or the exit status to end with.
 */
int netctx_open_node(struct netctx *nc, const struct cli_global *g, unsigned flags,
                     const char *name, uint32_t timeout_ms, const struct nm_node **out);

/* The name of the network for headers: the profile, or "local (embedded)". */
const char *netctx_network_name(const struct netctx *nc);

/*
 * Send `data` as the SDK sends a payload to a node's admin plugin: the
 * fields {key: data} from the path [us, admin_pipeline, signature, null],
 * encrypted to `peer` (or in clear when !encrypt), signed, published on the
 * peer's payloads topic.  Prints nothing.  Errors of cmdmsg_*_payload,
 * envelope_sign and bus_publish (R1_ERR_INVAL, R1_ERR_NOMEM, ...).
 */
enum r1_err netctx_send_payload(struct netctx *nc, const char *peer, const char *signature,
                                const char *key, const json_t *data, bool encrypt, char **why);

/* "cli-" and 24 random hex digits, with the NUL. */
#define NETCTX_REQUEST_ID_SIZE 29
/* A fresh REQUEST_ID for a request the CLI waits on the answer of. */
void netctx_request_id(char out[NETCTX_REQUEST_ID_SIZE]);

#endif
