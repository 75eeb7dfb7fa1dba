#ifndef R1_TUI_CONSNET_H
#define R1_TUI_CONSNET_H
/*
 * The network the console shows, set up from the resolved settings:
 *
 *  - the embedded local network (the "local" broker, the default): an
 *    oracle and a local node hosted in this process on an in-process bus,
 *    their directories under XDG data (nodes/oracle, nodes/local), as
 *    the CLI's netctx starts it;
 *  - a demo network (demo > 0): N nodes in this process, the first of them
 *    an oracle, each with its own machine figures (cores, memory, disk, a
 *    GPU on some), country tags, and a few running pipelines (ECHO_01,
 *    SYSTEM_HEALTH_MONITOR_01) deployed by the console itself, so every
 *    view has something real to show; one node (of four or more) does not
 *    allow the console, to show what that looks like;
 *  - a broker (mqtt[s]://...): the console joins it, and with host_node
 *    also runs a node of its own on the same broker.
 *
 * Either way the console gets its own bus endpoint, and its own receive
 * path: every message is verified and decrypted (ingest.h), heartbeats,
 * maps and NetConfig replies go to the session (which feeds the netmap),
 * payloads and notifications to the model's streams, unverified ones
 * included but marked (they never reach the netmap or the transactions).
 *
 * Everything runs on `loop`; the loop, settings, paths and identity are
 * borrowed and must outlive the consnet.  The model is filled (netmap,
 * session, cache, logs, texts) and must also outlive it.
 */
#include "core/common.h"
#include "core/config.h"
#include "core/err.h"
#include "core/identity.h"
#include "core/paths.h"
#include "tui/model.h"

struct loop;
struct consnet;

#define CONSNET_DEMO_MAX 64

struct consnet_options {
	const struct r1_settings *set; /* broker, root, oracles, alias, timeouts */
	const struct r1_paths *paths;
	const struct r1_identity *id; /* the console's */
	unsigned demo;                /* > 0: a demo network of this many nodes */
	bool host_node;               /* on a broker: run a node here too */
	const char *node_alias;       /* the hosted node's alias; NULL = "r1c-<host>" */
	unsigned heartbeat_ms;        /* hosted nodes; 0 = 10 s (demo: 5 s) */
	unsigned speed;               /* the loop's speed factor (already set on it); 0 = 1 */
	int64_t epoch_s;              /* epoch length for the console's counts; 0 = the
	                                 network's (demo: 600 s) */
	bool no_cache;                /* work without the cache */
	struct r1_log *log;           /* the console's log (borrowed); may be NULL */
	struct r1_log *node_log;      /* the hosted nodes' log (borrowed); may be NULL */
};

/*
 * Set up and start the network on `loop` and fill `model`.  Errors (with
 * *why, translated): R1_ERR_INVAL (bad options), R1_ERR_IO, R1_ERR_DB,
 * R1_ERR_NOMEM and those of node_new, bus_mqtt_new, netmap_new,
 * session_new.  A cache that cannot be opened is a warning in the log, not
 * an error.
 */
enum r1_err consnet_open(struct loop *loop, const struct consnet_options *o,
                         struct tui_model *model, struct consnet **out, char **why);
/* Stop the hosted nodes (a last heartbeat each), close everything; NULLs *cn. */
void consnet_close(struct consnet **cn);

/* The hosted nodes' count. */
size_t consnet_nodes(const struct consnet *cn);

#endif
