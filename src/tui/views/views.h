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
/* One CStore record of hosted node h in full (key copied).  NULL on R1_ERR_NOMEM. */
struct tui_host;
struct view *view_cstore_key_new(struct app *app, struct tui_host *h, const char *key);
/* A scrollable text (pretty JSON, a decoded message), copied and sanitized. */
struct view *view_text_new(struct app *app, const char *crumb, const char *text);

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
/*
 * A node action (act_restart, act_stop, ...) on node n, for a view's key:
 * returns TUI_CONSUMED | TUI_REDRAW, or TUI_CONSUMED alone when n is NULL
 * (nothing selected).
 */
unsigned act_on_node(struct app *app, const struct nm_node *n,
                     void (*act)(struct app *, const struct act_target *));

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

/* Row keys are FNV-1a hashes: start from VIEW_HASH_SEED, mix in bytes. */
#define VIEW_HASH_SEED 1469598103934665603ull
uint64_t view_hash_bytes(uint64_t h, const void *p, size_t n);
/* A string (NULL as empty) and a separator, so ("ab","c") and ("a","bc") differ. */
uint64_t view_hash_str(uint64_t h, const char *s);
/* The 64-bit key of a node's row: its public key hashed. */
uint64_t view_node_key(const struct nm_node *n);
/*
 * The group key of a pipeline's rows: the name's first six bytes on top
 * (so apps are in name order), a hash of the whole name below (so names
 * sharing a prefix stay apart); the admin pipeline last.
 */
uint64_t view_pipeline_group_key(const char *name);
/* s sanitized for a cell into scratch ("-" for NULL); returns scratch. */
const char *view_clean(const char *s, char *scratch, size_t size);
/*
 * A reason (a node's error text) for a cell: sanitized, with each CID in it
 * cut to its first 10 characters and "…", so that what went wrong fits
 * ("A (QmPZ9gcCEp…): not in R1FS").
 */
const char *view_clean_reason(const char *s, char *scratch, size_t size);
/*
 * Views of one node this console hosts (:cstore, :r1fs), by its index in
 * the model's hosts.  view_host_find: the host arg names (alias or
 * address; 0 when arg is empty), false when no hosted node has that name.
 * view_host: host i, NULL once it is gone.  view_host_crumb: "TITLE alias"
 * in v->crumb.  view_host_step: the next (step > 0) or previous host after
 * i, round the list.  view_host_aliases: their aliases, for completion.
 */
bool view_host_find(struct app *app, const char *arg, size_t *out);
struct tui_host *view_host(struct app *app, size_t i);
void view_host_crumb(struct view *v, size_t i, const char *title);
size_t view_host_step(struct app *app, size_t i, int step);
size_t view_host_aliases(struct app *app, const char *const **out);
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
/*
 * A node's name for a cell: its hosted or netmap alias, else its address
 * cut short; sanitized.
 */
void view_node_name(struct app *app, const char *addr, char *out, size_t size);
/* A node as a person names it (alias, address, ETH address); NULL and *why if none. */
const struct nm_node *view_resolve_node(struct app *app, const char *name, char **why);

#endif
