#ifndef R1_TUI_GRID_H
#define R1_TUI_GRID_H
/*
 * The grid: a plain-data picture of the screen that views and widgets draw
 * into.  Nothing here knows curses; screen_curses.c flushes a grid to the
 * terminal, and tests dump it to text (grid_dump) and compare.  That split
 * is what makes every layout testable without a terminal (tmux's
 * struct screen, NeoMutt's windows).
 *
 * A cell holds one code point (plus at most one combining mark), a style
 * role (enum tui_role, theme.h) and extra attributes.  A wide character
 * takes two cells: the code point in the first, GRID_CP_CONT in the second.
 * Drawing keeps that invariant: overwriting either half of a wide character
 * blanks the other half.
 *
 * Drawing goes through a struct grid_area, a rectangle of the grid that
 * clips everything drawn through it; coordinates are relative to the area.
 * Text passed in must already be sanitized (core/sanitize.h); as a second
 * line of defence the grid shows any control character as U+FFFD ('?').
 *
 * In ASCII mode (a terminal or locale without UTF-8) lines, boxes, the
 * ellipsis and the widgets' glyphs use ASCII, and non-ASCII text shows as
 * one '?' per column.
 *
 * Widths come from core/utf8.h (wcwidth of the current locale), so the
 * program and the tests must set LC_CTYPE to a UTF-8 locale.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"

#define GRID_CP_CONT 0x110000u /* right half of a wide character */
#define GRID_MAX_DIM 4096      /* refuse grids beyond 4096 x 4096 */

enum grid_attr {
	GRID_BOLD = 1 << 0,
	GRID_DIM = 1 << 1,
	GRID_UNDERLINE = 1 << 2,
	GRID_REVERSE = 1 << 3,
	GRID_ITALIC = 1 << 4,
	GRID_BLINK = 1 << 5,
};

struct grid_cell {
	uint32_t cp;   /* code point, ' ' when blank, GRID_CP_CONT */
	uint32_t mark; /* one combining mark shown on cp; 0 = none */
	uint16_t role; /* style role, enum tui_role */
	uint16_t attr; /* enum grid_attr, added to the role's own */
};

struct grid {
	int w, h;
	struct grid_cell *cells; /* h rows of w cells, row-major */
	bool ascii;		 /* ASCII-only glyphs (see above) */
	bool cursor_on;		 /* show the terminal cursor at cursor_x, cursor_y */
	int cursor_x, cursor_y;
};

/* A clipping rectangle of a grid; w or h of 0 draws nothing. */
struct grid_area {
	struct grid *g;
	int x, y, w, h;
};

/* Field flags for grid_field(): one alignment, one truncation side. */
enum grid_field_flags {
	GRID_ALIGN_LEFT = 0,
	GRID_ALIGN_RIGHT = 1,
	GRID_ALIGN_CENTER = 2,
	GRID_ALIGN_MASK = 3,
	GRID_TRUNC_END = 0,		/* "abcdefgh" -> "abcd…" */
	GRID_TRUNC_MIDDLE = 1 << 2, /* "0xai_AbCdEf" -> "0xai…Ef" (addresses) */
	GRID_TRUNC_START = 2 << 2,	/* "abcdefgh" -> "…efgh" (paths) */
	GRID_TRUNC_MASK = 3 << 2,
};

/* Box and line glyph sets. */
enum grid_line_style { GRID_LINE_LIGHT, GRID_LINE_HEAVY, GRID_LINE_DOUBLE };

/*
 * A w x h grid of blank cells in role 0.  Returns R1_ERR_INVAL when a size
 * is negative or above GRID_MAX_DIM, R1_ERR_NOMEM.  0 x 0 is valid.
 */
enum r1_err grid_init(struct grid *g, int w, int h, bool ascii);
void grid_release(struct grid *g);
/* New size, every cell blank; same errors as grid_init (g unchanged on error). */
enum r1_err grid_resize(struct grid *g, int w, int h);
/* Every cell blank in `role`; the cursor is hidden. */
void grid_clear(struct grid *g, uint16_t role);
/* The cell at x, y, or NULL outside the grid. */
const struct grid_cell *grid_cell_at(const struct grid *g, int x, int y);

/* ----------------------------------------------------------------- areas */

struct grid_area grid_whole(struct grid *g);
/*
 * The part of `a` at x, y (relative to a) of size w x h, clipped to a.  A
 * negative w or h means "up to the edge of a".
 */
struct grid_area grid_sub(struct grid_area a, int x, int y, int w, int h);
/*
 * Split `a` into n parts side by side (`horizontal`) or stacked.  sizes[i] >
 * 0 is a fixed size; 0 shares what is left equally among the 0 entries (the
 * first ones get the odd columns).  When the fixed sizes do not fit, later
 * parts shrink to 0.
 */
void grid_split(struct grid_area a, bool horizontal, const int *sizes, int n,
		struct grid_area *out);
/* Place the terminal cursor at x, y of a (only if inside it). */
void grid_cursor(struct grid_area a, int x, int y);

/* --------------------------------------------------------------- drawing */

/*
 * One code point at x, y.  Returns the columns it took (0 when clipped, or
 * for a combining mark, which joins the cell at x - 1).
 */
int grid_put(struct grid_area a, int x, int y, uint32_t cp, uint16_t role, uint16_t attr);
/*
 * UTF-8 text from x, y, clipped at the area's right edge (no ellipsis).
 * Returns the x after the last column drawn.  grid_textn takes a length.
 */
int grid_text(struct grid_area a, int x, int y, const char *s, uint16_t role, uint16_t attr);
int grid_textn(struct grid_area a, int x, int y, const char *s, size_t len, uint16_t role,
	       uint16_t attr);
/*
 * s in a field of `width` columns at x, y: aligned and padded with spaces
 * in `role`, or, when too wide, truncated with an ellipsis ("…", "~" in
 * ASCII mode) at the side the flags name.  Returns x + width.
 */
int grid_field(struct grid_area a, int x, int y, int width, unsigned flags, const char *s,
	       uint16_t role, uint16_t attr);
/* Fill a rectangle (relative to a) with cp. */
void grid_fill(struct grid_area a, int x, int y, int w, int h, uint32_t cp, uint16_t role,
	       uint16_t attr);
/* Set role and attr of a rectangle, keeping its characters (selection bars). */
void grid_paint(struct grid_area a, int x, int y, int w, int h, uint16_t role, uint16_t attr);
void grid_hline(struct grid_area a, int x, int y, int len, uint16_t role);
void grid_vline(struct grid_area a, int x, int y, int len, uint16_t role);
/* A box outline of w x h at x, y; nothing when w or h < 2. */
void grid_box(struct grid_area a, int x, int y, int w, int h, enum grid_line_style style,
	      uint16_t role);
/*
 * A box around the whole of `a` with an optional title in its top edge
 * (" title ", truncated), and the area inside it.
 */
struct grid_area grid_frame(struct grid_area a, const char *title, enum grid_line_style style,
			    uint16_t role, uint16_t title_role);

/* The glyph to use in this grid: its UTF-8 form, or `ascii` in ASCII mode. */
uint32_t grid_glyph(const struct grid *g, uint32_t utf, char ascii);

/* ------------------------------------------------------------------ text */

/* Columns s takes on screen (core/utf8.h); NULL is 0. */
int grid_text_width(const char *s);
/*
 * Bytes of s that fit in `cols` columns without splitting a character;
 * *used gets their width (may be NULL).
 */
size_t grid_text_fit(const char *s, size_t len, int cols, int *used);

/* ----------------------------------------------------------------- dumps */

/*
 * The grid as text, one line per row with trailing spaces removed, each
 * ending in '\n'.  Used by layout tests and for text screenshots.
 */
void grid_dump(const struct grid *g, struct buf *out);
/*
 * The roles as text: one character per cell, legend[role] (or '?' when the
 * role is past the legend), for tests that check highlighting.  Trailing
 * characters equal to legend[0] are removed.
 */
void grid_dump_roles(const struct grid *g, struct buf *out, const char *legend);

#endif
