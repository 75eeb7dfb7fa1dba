#ifndef R1_TESTS_TUI_CHECK_H
#define R1_TESTS_TUI_CHECK_H
/*
 * Helpers for the console's layout tests: set a UTF-8 locale (widths come
 * from wcwidth), make grids, and compare a grid's text dump with the
 * expected screen, printing both as TAP comments when they differ.
 */
#include "core/common.h"
#include "tui/grid.h"

/* Set LC_CTYPE to C.UTF-8 or bail out (widths would be wrong otherwise). */
void tui_check_locale(void);
/* A w x h grid (bails on failure). */
void tui_grid(struct grid *g, int w, int h, bool ascii);
/* grid_dump(g) compared with want. */
bool tui_is_screen(const struct grid *g, const char *want, const char *file, int line,
		   const char *name);
/* grid_dump_roles(g, legend) compared with want. */
bool tui_is_roles(const struct grid *g, const char *legend, const char *want, const char *file,
		  int line, const char *name);
/* The text of row y, trailing spaces removed (static buffer). */
const char *tui_row(const struct grid *g, int y);

#define is_screen(g, want, name) tui_is_screen((g), (want), __FILE__, __LINE__, (name))
#define is_roles(g, legend, want, name) \
	tui_is_roles((g), (legend), (want), __FILE__, __LINE__, (name))

#endif
