#ifndef R1_TUI_WIDGETS_LINEEDIT_H
#define R1_TUI_WIDGETS_LINEEDIT_H
/*
 * One line of editable text: the part shared by the ':' command line, the
 * '/' filter prompt and the text and number fields of forms.  The text is
 * kept as code points so the cursor moves by characters; a line scrolls
 * sideways to keep the cursor in view when it is wider than its field.
 *
 * Keys: printable characters insert; Left, Right, Home (^A), End (^E),
 * Backspace (^H), Delete (^D), ^U (delete to the start), ^K (delete to
 * the end), ^W (delete the word before the cursor).  Anything else is
 * TUI_IGNORED, for the owner to handle (Enter, Esc, Tab, Up, Down...).
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "tui/grid.h"

struct lineedit {
	uint32_t *cps;	/* the text, len code points */
	size_t len, cap;
	size_t cursor;	/* 0..len */
	size_t max;	/* longest text accepted, in code points */
	size_t scroll;	/* first code point shown */
	bool masked;	/* draw '*' instead of the text (secrets) */
	bool (*accept)(uint32_t cp); /* which characters may be typed; NULL = printable */
	struct buf utf8; /* lineedit_text()'s cache */
	bool utf8_stale;
};

/* An empty line that takes up to max code points (0 = 1024). */
void lineedit_init(struct lineedit *le, size_t max);
void lineedit_release(struct lineedit *le);

/*
 * Replace the text (cut at `max`; control characters dropped); the cursor
 * goes to the end.  R1_ERR_NOMEM leaves the line empty.
 */
enum r1_err lineedit_set(struct lineedit *le, const char *text);
/*
 * The text as UTF-8, owned by le and valid until the next change; "" (never
 * NULL) if memory ran out.
 */
const char *lineedit_text(struct lineedit *le);
/*
 * Insert UTF-8 text at the cursor (what fits under `max`).  Returns false
 * when nothing could be inserted.
 */
bool lineedit_insert(struct lineedit *le, const char *text);
/* Delete code points [from, to) and put the cursor at `from`. */
void lineedit_delete(struct lineedit *le, size_t from, size_t to);

/* Handle an editing key (see above): enum tui_reaction flags. */
unsigned lineedit_key(struct lineedit *le, int key);

/*
 * Draw the line in `width` columns at x, y of a, scrolled so the cursor
 * shows, padded in `role`; with `focused` the terminal cursor is placed on
 * it.  Returns the column just after the last character drawn (for hints).
 */
int lineedit_draw(struct lineedit *le, struct grid_area a, int x, int y, int width,
		  uint16_t role, bool focused);

#endif
