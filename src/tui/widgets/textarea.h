#ifndef R1_TUI_WIDGETS_TEXTAREA_H
#define R1_TUI_WIDGETS_TEXTAREA_H
/*
 * Multi-line editable text: the JSON editor of an instance's config and
 * the multi-line form field.  Like the lineedit it keeps code points, so
 * the cursor moves by characters; lines are not wrapped (JSON reads better
 * cut and scrolled sideways), and the view scrolls to keep the cursor in
 * sight.
 *
 * Keys: printable characters insert; Enter inserts a newline and repeats
 * the indentation of the line it splits; Tab inserts spaces to the next
 * multiple of the indent width (2); Left, Right, Up, Down (keeping the
 * column it was aimed at), Home/^A and End/^E (of the line), PgUp, PgDn,
 * Backspace, Delete/^D, ^K (delete to the end of the line, or the newline
 * at its end), ^U (delete to the start of the line).  Anything else (Esc,
 * Shift-Tab, ^S...) is TUI_IGNORED, for the owner.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "tui/grid.h"

#define TEXTAREA_INDENT 2

struct textarea {
	uint32_t *cps; /* the text, '\n' between lines */
	size_t len, cap;
	size_t cursor;   /* 0..len */
	size_t max;      /* longest text accepted, in code points */
	size_t goal_col; /* column Up/Down aim at; SIZE_MAX = the cursor's */
	size_t top;      /* first line shown */
	size_t left;     /* first column shown */
	int page;        /* lines shown at the last draw */
	struct buf utf8; /* textarea_text()'s cache */
	bool utf8_stale;
};

/* An empty text of at most max code points (0 = 256 Ki). */
void textarea_init(struct textarea *ta, size_t max);
void textarea_release(struct textarea *ta);
/*
 * Replace the text (control characters other than newline dropped, tabs
 * become spaces, cut at max); the cursor goes to the start.  R1_ERR_NOMEM
 * leaves it empty.
 */
enum r1_err textarea_set(struct textarea *ta, const char *text);
/* The text as UTF-8, owned by ta and valid until the next change; never NULL. */
const char *textarea_text(struct textarea *ta);
/* The cursor's line and column (0-based, in code points). */
void textarea_cursor(const struct textarea *ta, size_t *line, size_t *col);
/* Put the cursor on line, col (clamped), e.g. where a JSON error was found. */
void textarea_goto(struct textarea *ta, size_t line, size_t col);

unsigned textarea_key(struct textarea *ta, int key);
/* The text in a, scrolled to the cursor, in `role`; with `focused` the cursor shows. */
void textarea_draw(struct textarea *ta, struct grid_area a, uint16_t role, bool focused);

#endif
