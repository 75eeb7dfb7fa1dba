#ifndef R1_TUI_VIEW_H
#define R1_TUI_VIEW_H
/*
 * Views: what fills the console between the header and the status bar.
 *
 * A view class is one row of the registry (views/views.def, one line per
 * class): the command word that opens it (":nodes"), its title, whether it
 * takes an argument (":node ALIAS"), and a constructor.  Modules add a view
 * by writing a class and adding one TUI_VIEW line; the app builds its
 * command table, completion and help from the registry.
 *
 * A view instance is a struct that starts with struct view and points at
 * its ops.  The app owns the stack of instances: Enter pushes (a view calls
 * app_push with a view it made), Esc pops and frees.  Views draw into the
 * area the app gives them, take the keys the app does not keep (":", "/",
 * "?", Esc, ^C), and learn about model changes through `event` and
 * `message`, answering whether what they show changed; the app then draws
 * at most one frame per loop iteration, and not more often than its frame
 * cap.  Drawing reads the model; it never changes it.
 *
 * Single-key actions are a keymap table (keymap.h) in the instance: the
 * same table runs the key, fills the key bar and the help, and in
 * read-only mode its KEYMAP_WRITES entries disappear from all three.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "tui/grid.h"
#include "tui/keymap.h"
#include "tui/keys.h"
#include "tui/stream.h"

struct app;
struct view;
struct nm_event;

struct view_class {
	const char *name;  /* the command word: "nodes" */
	const char *alias; /* a second word for it ("no"), or NULL */
	const char *title; /* N_("Network") */
	const char *arg;   /* N_("ALIAS") when it takes an argument, else NULL */
	const char *help;  /* N_() one line for the command list */
	bool hidden;       /* opened by drill-down only: not a ':' command */
	/*
	 * A new instance; arg may be NULL.  Errors with *why (translated, for
	 * the status bar): R1_ERR_NOTFOUND, R1_ERR_INVAL, R1_ERR_NOMEM.
	 */
	enum r1_err (*open)(struct app *app, const char *arg, struct view **out, char **why);
	/*
	 * Candidates for the argument (node aliases for ":node"), pointers
	 * valid until the next call; NULL = no completion.
	 */
	size_t (*complete)(struct app *app, const char *const **out);
};

struct view_ops {
	void (*free)(struct view *v);
	void (*draw)(struct view *v, struct grid_area a);
	/* Keys not in the keymap (movement in a table...).  Optional. */
	unsigned (*key)(struct view *v, int key);
	/*
	 * Apply the '/' filter text ("" clears it).  NULL: the view has no
	 * filter.  Errors (R1_ERR_INVAL) with *why for the status bar.
	 */
	enum r1_err (*filter)(struct view *v, const char *text, char **why);
	/* A network model event: true if what the view shows changed.  Optional. */
	bool (*event)(struct view *v, const struct nm_event *ev);
	/* A stream record arrived: true if the view shows it.  Optional. */
	bool (*message)(struct view *v, enum stream_kind k, const struct stream_entry *e);
	/* New log lines: true if the view shows them.  Optional. */
	bool (*log)(struct view *v);
	/* A mouse event in the view's area (coordinates relative to it).  Optional. */
	unsigned (*mouse)(struct view *v, const struct tui_mouse *m);
	/* The left of the status bar ("12 of 40 nodes").  Optional. */
	void (*status)(struct view *v, struct buf *out);
	/* On top again after the view above it closed.  Optional. */
	void (*resume)(struct view *v);
	/* Once a second while on top (ages, countdowns): true to redraw.  Optional. */
	bool (*tick)(struct view *v);
};

struct view {
	const struct view_class *cls;
	const struct view_ops *ops;
	struct app *app;
	const struct keymap_entry *keys; /* single-key actions; ctx is the view */
	size_t nkeys;
	char crumb[96];   /* this view's part of the breadcrumbs (sanitized) */
	char filter[256]; /* the '/' text in force, "" = none */
	char preset[256]; /* the filter it was opened with: Esc goes back to it, then back */
};

/* Fill the common part (crumb copied and sanitized). */
void view_init(struct view *v, const struct view_class *cls, const struct view_ops *ops,
               struct app *app, const char *crumb);

/* Every registered class (views/views.def). */
#define TUI_VIEW(c) extern const struct view_class c;
#include "tui/views/views.def"
#undef TUI_VIEW

/* The registry (views/views.def), in order. */
size_t view_classes(const struct view_class *const **out);
/* The class whose name or alias is `word`, or NULL. */
const struct view_class *view_class_find(const char *word);

#endif
