#ifndef R1_TUI_WIDGETS_HELP_H
#define R1_TUI_WIDGETS_HELP_H
/*
 * The help overlay ('?'): the keys of the current view and the global ones,
 * as a table of key and description per section, drawn from the keymap
 * tables that run them (so help cannot drift from behaviour).  On a wide
 * screen the lines flow into several columns; when they do not fit, Up,
 * Down, PgUp and PgDn scroll.  Esc, '?', 'q' and Enter close it
 * (TUI_CANCEL).
 */
#include "core/common.h"
#include "tui/grid.h"
#include "tui/keymap.h"

#define HELP_MAX_SECTIONS 8

struct help_section {
	const char *title; /* translated */
	const struct keymap_entry *map;
	size_t n;
};

struct help {
	const char *title; /* translated */
	struct help_section sections[HELP_MAX_SECTIONS];
	size_t nsections;
	bool readonly;	   /* leave out the entries that write */
	int scroll;	   /* first line shown */
	int page;	   /* lines per column at the last draw */
};

void help_init(struct help *h, const char *title, bool readonly);
/* Add a section (false when HELP_MAX_SECTIONS are in use); map is not copied. */
bool help_add_section(struct help *h, const char *title, const struct keymap_entry *map,
		      size_t n);
unsigned help_key(struct help *h, int key);
/* A framed overlay filling a (leave a margin around it if wanted). */
void help_draw(struct help *h, struct grid_area a);

#endif
