#ifndef R1_TUI_VIEWS_CSVIEW_H
#define R1_TUI_VIEWS_CSVIEW_H
/*
 * What the two CStore views share (views/cstore.c: a hosted node's
 * records, keys and hashes; views/cstore_key.c: one record in full): how a
 * record reads to a person (its hash and field, its owner, the nodes it
 * names), how another node's copy compares with it, and the writes (edit,
 * new, delete), each asked for with a form and confirmed before it goes to
 * the hosted node's CStore engine.  A write's outcome shows in the status
 * bar when the engine decides (at once, or when the deciding confirmation
 * arrives); a write still waiting when the console closes is cancelled.
 *
 * Every text here is sanitized: keys, values and owners come from peers.
 */
#include "core/common.h"
#include "core/buf.h"
#include "tui/app.h"
#include "node/cstore/cstore.h"
#include "node/cstore/hkey.h"

/*
 * Whether `key` is a hash field: then its namespace prefix ("hs:<10 hex>:")
 * into prefix, the hash's name (borrowed from replica r, NULL when the node
 * never learned it) and the field's name (decoded, sanitized) into field.
 * For a plain key: false, and field gets the key (sanitized).
 */
bool csv_split_key(const struct replica *r, const char *key, char prefix[HKEY_PREFIX_LEN + 1],
                   const char **hname, struct buf *field);
/*
 * The name of the hash with this prefix as replica r knows it, else as
 * another hosted node's replica does (names travel only with local
 * writes), else NULL.  Borrowed from that replica.
 */
const char *csv_hash_name(struct app *app, const struct replica *r, const char *prefix);

/*
 * An owner instance path (JSON text ["node", "pipeline", "SIGNATURE",
 * "instance"]) as a person reads it: "node (CHAIN_STORE_BASE)" for a
 * node's own writes, "node/SIGNATURE/instance" for other admin plugins,
 * "node/pipeline/SIGNATURE/instance" for apps, nodes (and CSTORE_REQ
 * clients) by alias when their address is known; other text as it is.
 * Appended, sanitized.
 */
void csv_owner_text(struct app *app, const char *owner, struct buf *out);

/* A node by its hosted or netmap alias, else its address cut short (sanitized). */
void csv_node_name(struct app *app, const char *addr, char *out, size_t size);

enum csv_copy {
	CSV_SAME,    /* the same value (Python's ==) and owner */
	CSV_DIFFERS, /* another value or owner */
	CSV_ABSENT,  /* the node holds no such key */
	CSV_UNKNOWN, /* the node's store is not running */
};

/* How hosted node h's copy of rec->key compares with rec. */
enum csv_copy csv_compare_host(struct tui_host *h, const struct replica_record *rec);
/*
 * The same for a record of a peer's snapshot ({"value", "owner", ...}; NULL
 * = absent); without "owner" (a CSTORE_REQ answer) the value alone decides.
 */
enum csv_copy csv_compare_snapshot(const json_t *peer_rec, const struct replica_record *rec);
/* "same", "differs", ... (translated). */
const char *csv_copy_text(enum csv_copy c);

/* ---- writes (hidden in read-only mode by the views' keymaps) */

/* Edit the value of `key` on h (a form with its value, then the confirmation). */
void csv_edit(struct app *app, struct tui_host *h, const char *key);
/* A new key or hash field on h; hkey (may be NULL) fills the form's hash. */
void csv_new(struct app *app, struct tui_host *h, const char *hkey);
/* Delete `key` on h (confirmed; the delete goes to the peers without waiting). */
void csv_delete(struct app *app, struct tui_host *h, const char *key);

#endif
