#ifndef R1_TUI_VIEWS_VIEWS_H
#define R1_TUI_VIEWS_VIEWS_H
/*
 * What the console's own views offer each other: drill-down constructors
 * (a view opens another with app_push) and the actions that send commands
 * to nodes, shared by the Network, Node and Apps views.  Every action asks
 * for confirmation naming what will be sent to whom, and its outcome shows
 * in the status bar when the node's notification arrives or the wait ends.
 */
#include "core/common.h"
#include "tui/app.h"
#include "tui/view.h"
#include "core/netmap.h"

#include <jansson.h>

/* ---- drill-down */

/* The Node view of node n.  NULL on R1_ERR_NOMEM. */
struct view *view_node_new(struct app *app, const struct nm_node *n);
/*
 * A stream view (payloads or notifications) opened with a filter in force
 * ("node:demo-02 pipeline:echo sig:ECHO_01 instance:echo-1") and a crumb.
 */
struct view *view_stream_new(struct app *app, enum stream_kind k, const char *filter,
                             const char *crumb);
/* A scrollable text (pretty JSON, a decoded message), copied and sanitized. */
struct view *view_text_new(struct app *app, const char *crumb, const char *text);

/*
 * A view that only says what will be there (`what`, N_() marked): for
 * the views other modules have not built yet.
 */
enum r1_err view_placeholder_open(struct app *app, const struct view_class *c, const char *what,
                                  struct view **out, char **why);

/* ---- actions on nodes (all but refresh hidden in read-only mode) */

struct act_target {
	char addr[R1_ADDR_LEN + 1];
	char alias[NM_ALIAS_MAX + 1];
	bool peered; /* false: the node will refuse (we are not in its allow-list) */
	char pipeline[NM_NAME_MAX + 1];
	char signature[NM_NAME_MAX + 1];
	char instance[NM_NAME_MAX + 1];
};

/* Fill the node part of a target from the model. */
void act_target_node(struct act_target *t, const struct nm_node *n);

void act_restart(struct app *app, const struct act_target *t);
void act_stop(struct app *app, const struct act_target *t);
void act_heartbeat(struct app *app, const struct act_target *t);
void act_close_pipeline(struct app *app, const struct act_target *t);
/* A form (command, parameters as JSON), then the confirmation, then the send. */
void act_instance_command(struct app *app, const struct act_target *t);
/* The instance's config in a JSON editor; the changed keys are sent. */
void act_edit_config(struct app *app, const struct act_target *t, const json_t *config);
/* Ask the node for its pipelines now (NetConfig GET_CONFIG; changes nothing). */
void act_refresh(struct app *app, const struct act_target *t);

/* ---- helpers for views */

/* The 64-bit key of a node's row: its public key hashed (FNV-1a). */
uint64_t view_node_key(const struct nm_node *n);
/* Aliases of the known nodes, for completion (in app_words' storage). */
size_t view_node_aliases(struct app *app, const char *const **out);
/*
 * Availability 0..255 of node n in `epoch`, -1 when not seen: a finished
 * epoch as the netmap recorded it; the running one "so far" (the share of
 * the time since the epoch began), as the reference's oracles report it.
 */
int view_node_avail(struct app *app, const struct nm_node *n, int64_t epoch);
/* The running epoch now. */
int64_t view_current_epoch(struct app *app);

/* Append ` key:"value"` (quoted, escaped) to a filter text. */
void view_filter_term(struct buf *b, const char *key, const char *value);
/* A node as a person names it (alias, address, ETH address); NULL and *why if none. */
const struct nm_node *view_resolve_node(struct app *app, const char *name, char **why);

#endif
