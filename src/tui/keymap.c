/*
 * Key tables (see keymap.h): lookup and dispatch.  The tables themselves
 * belong to the views; this file only knows how to search one and what
 * read-only mode hides.
 */
#include "tui/lib.h"
#include "tui/keymap.h"
#include "tui/keys.h"

bool keymap_visible(const struct keymap_entry *e, bool readonly)
{
	return !(readonly && (e->flags & KEYMAP_WRITES));
}

const struct keymap_entry *keymap_find(const struct keymap_entry *map, size_t n, int key,
				       bool readonly)
{
	for (size_t i = 0; i < n; i++)
		if (map[i].key == key && keymap_visible(&map[i], readonly))
			return &map[i];
	return NULL;
}

unsigned keymap_dispatch(const struct keymap_entry *map, size_t n, int key, bool readonly,
			 void *ctx)
{
	const struct keymap_entry *e = keymap_find(map, n, key, readonly);
	if (!e || !e->run)
		return TUI_IGNORED;
	return e->run(ctx) | TUI_CONSUMED;
}
