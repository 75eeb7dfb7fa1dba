#ifndef R1_TUI_KEYMAP_H
#define R1_TUI_KEYMAP_H
/*
 * A view's single-key actions as a table (htop's key -> action table).  The
 * same table drives the key press, the key bar and the help overlay, so
 * what the screen says a key does is what it does.  In read-only mode every
 * entry flagged KEYMAP_WRITES disappears from all three.
 */
#include "core/common.h"

enum keymap_flags {
	KEYMAP_BAR = 1 << 0,	/* show in the key bar */
	KEYMAP_WRITES = 1 << 1, /* changes a node: hidden and refused in read-only mode */
	KEYMAP_NO_HELP = 1 << 2, /* an alias: not listed in the help overlay */
};

struct keymap_entry {
	int key;	    /* enum tui_key or a code point */
	const char *label;  /* short key-bar label, N_() marked; NULL = none */
	const char *help;   /* help-overlay line, N_() marked */
	unsigned flags;	    /* enum keymap_flags */
	/* The action; returns enum tui_reaction flags.  ctx is the view's. */
	unsigned (*run)(void *ctx);
};

/*
 * The entry for `key` among n entries, or NULL.  In read-only mode entries
 * flagged KEYMAP_WRITES are not found.
 */
const struct keymap_entry *keymap_find(const struct keymap_entry *map, size_t n, int key,
				       bool readonly);

/*
 * Run the entry for `key`: its reaction flags, or TUI_IGNORED when there is
 * none (or it has no run function).
 */
unsigned keymap_dispatch(const struct keymap_entry *map, size_t n, int key, bool readonly,
			 void *ctx);

/* Whether an entry is shown (read-only mode hides the writing ones). */
bool keymap_visible(const struct keymap_entry *e, bool readonly);

#endif
