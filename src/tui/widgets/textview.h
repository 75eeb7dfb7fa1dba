#ifndef R1_TUI_WIDGETS_TEXTVIEW_H
#define R1_TUI_WIDGETS_TEXTVIEW_H
/*
 * A scrollable block of text: a node's config as pretty JSON, a decoded
 * payload, a log.  The text is copied and sanitized on the way in (newlines
 * kept), so callers may hand it bytes straight from the network.  Long
 * lines wrap at the width of the area (or, with wrapping off, are cut and
 * scroll sideways).  For logs, `follow` keeps the end in view as text is
 * appended, until the reader scrolls up.
 *
 * Keys: Up/k, Down/j, PgUp/^B, PgDn/^F/Space, Home/g, End/G; Left/h and
 * Right/l scroll sideways when not wrapping; 'w' turns wrapping on or off.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "tui/grid.h"
#include "tui/wrap.h"

#define TEXTVIEW_MAX_BYTES (4u * 1024u * 1024u) /* older text is dropped past this */

struct textview {
	struct buf text;	 /* sanitized, owned */
	struct wrap_line *lines; /* laid out for `laid_width` */
	size_t nlines, cap;
	int laid_width;		 /* -1 = lay out again at the next draw */
	bool wrap;		 /* default true */
	bool follow;		 /* stay at the end while text comes in; on when
				    scrolled to the end, off when scrolled away */
	size_t top;		 /* first line shown */
	int left;		 /* columns scrolled sideways (no wrap) */
	int page;		 /* lines shown at the last draw */
};

void textview_init(struct textview *tv);
void textview_release(struct textview *tv);
/*
 * Replace the text with a sanitized copy of text[0..len) (cut to the last
 * TEXTVIEW_MAX_BYTES).  The scroll position is kept where it still exists.
 * R1_ERR_NOMEM leaves the view empty.
 */
enum r1_err textview_set(struct textview *tv, const char *text, size_t len);
/* Append (sanitized); the oldest text goes past TEXTVIEW_MAX_BYTES. */
enum r1_err textview_append(struct textview *tv, const char *text, size_t len);
/* Lines at the last layout (0 before the first draw). */
size_t textview_lines(const struct textview *tv);

unsigned textview_key(struct textview *tv, int key);
void textview_draw(struct textview *tv, struct grid_area a, uint16_t role);

#endif
