#ifndef R1_CLI_RENDER_H
#define R1_CLI_RENDER_H
/*
 * What the read commands print, from the netmap: tables that fit the
 * terminal (columns named as r1ctl names them) and the --json documents.
 * Pure functions of the model and the time, so they are tested without a
 * network; the commands only choose and print.
 */
#include "core/lib.h"
#include "core/netmap.h"

#include <jansson.h>

struct render_nodes_opts {
	bool all;               /* offline and stale nodes too */
	bool peered;            /* only nodes that allow us */
	bool oracles_only;      /* get supervisors */
	bool wide;              /* ETH address, zone, R1FS id, resources */
	bool eth;               /* show the ETH address in the Address column */
	const char *supervisor; /* only nodes this oracle reported */
	const char *alias;      /* alias substring, case-insensitive */
};

/* The selected nodes in netmap order, into a new array (*out, r1_free); the count. */
size_t render_nodes_select(const struct netmap *nm, const struct render_nodes_opts *o,
                           const struct nm_node ***out);

void render_nodes_table(const struct netmap *nm, const struct render_nodes_opts *o,
                        const struct nm_node *const *nodes, size_t n, int64_t now_ms,
                        unsigned width, struct buf *out);
/* A JSON array of node objects (a new reference; NULL on OOM). */
json_t *render_nodes_json(const struct netmap *nm, const struct nm_node *const *nodes, size_t n,
                          int64_t now_ms);
/* One node as a JSON object (what get nodes --json lists). */
json_t *render_node_json(const struct netmap *nm, const struct nm_node *n, int64_t now_ms);

struct render_apps_opts {
	bool full; /* admin_pipeline too */
	bool wide;
	const char *owner; /* only pipelines started by this address */
	const char *app;   /* app or plugin substring, case-insensitive */
};

/* One row per plugin instance of the nodes' pipelines (from NetConfig). */
void render_apps_table(const struct nm_node *const *nodes, size_t n,
                       const struct render_apps_opts *o, unsigned width, struct buf *out,
                       size_t *rows);
/* [{"node", "alias", "apps": {name: full config}}] */
json_t *render_apps_json(const struct nm_node *const *nodes, size_t n,
                         const struct render_apps_opts *o);

/* The inspect text of one node. */
void render_inspect(const struct netmap *nm, const struct nm_node *n, int64_t now_ms, bool wide,
                    struct buf *out);

/* "HH:MM:SS" of a duration (hours grow past 24; "-" for unknown). */
void render_duration(double seconds, char out[32]);

#endif
