/*
 * Multi-line text editing (see textarea.h): the text as one array of code
 * points with '\n' between lines, so every edit is an insert or delete at
 * the cursor and lines are found by scanning.  Configs edited here are
 * kilobytes, so a scan per key costs nothing; it keeps the code small and
 * the cursor arithmetic obvious.  What the text means (JSON) is the
 * owner's business.
 */
#include "tui/lib.h"
#include "tui/widgets/textarea.h"
#include "tui/keys.h"
#include "core/utf8.h"

#define TEXTAREA_DEFAULT_MAX (256u * 1024u)

void textarea_init(struct textarea *ta, size_t max)
{
	memset(ta, 0, sizeof(*ta));
	ta->max = max ? max : TEXTAREA_DEFAULT_MAX;
	ta->goal_col = SIZE_MAX;
	buf_init(&ta->utf8);
	ta->utf8_stale = true;
}

void textarea_release(struct textarea *ta)
{
	r1_free(ta->cps);
	buf_release(&ta->utf8);
	memset(ta, 0, sizeof(*ta));
}

static bool reserve(struct textarea *ta, size_t n)
{
	if (n <= ta->cap)
		return true;
	size_t cap = ta->cap ? ta->cap : 256;
	while (cap < n)
		cap *= 2;
	uint32_t *p = r1_reallocarray(ta->cps, cap, sizeof(*p));
	if (!p)
		return false;
	ta->cps = p;
	ta->cap = cap;
	return true;
}

static bool insert_cps(struct textarea *ta, const uint32_t *cps, size_t n)
{
	n = R1_MIN(n, ta->max - R1_MIN(ta->len, ta->max));
	if (n == 0 || !reserve(ta, ta->len + n))
		return false;
	memmove(ta->cps + ta->cursor + n, ta->cps + ta->cursor,
	        (ta->len - ta->cursor) * sizeof(*ta->cps));
	memcpy(ta->cps + ta->cursor, cps, n * sizeof(*cps));
	ta->len += n;
	ta->cursor += n;
	ta->utf8_stale = true;
	return true;
}

static void delete_range(struct textarea *ta, size_t from, size_t to)
{
	to = R1_MIN(to, ta->len);
	if (from >= to)
		return;
	memmove(ta->cps + from, ta->cps + to, (ta->len - to) * sizeof(*ta->cps));
	ta->len -= to - from;
	ta->cursor = from;
	ta->utf8_stale = true;
}

enum r1_err textarea_set(struct textarea *ta, const char *text)
{
	ta->len = ta->cursor = ta->top = ta->left = 0;
	ta->goal_col = SIZE_MAX;
	ta->utf8_stale = true;
	size_t len = text ? strlen(text) : 0, i = 0;
	while (i < len && ta->len < ta->max) {
		uint32_t cp;
		i += r1_utf8_decode(text + i, len - i, &cp);
		if (cp == '\t') {
			cp = ' ';
		} else if (cp != '\n' && !tui_key_printable((int)cp)) {
			continue;
		}
		if (!reserve(ta, ta->len + 1)) {
			ta->len = 0;
			return R1_ERR_NOMEM;
		}
		ta->cps[ta->len++] = cp;
	}
	return R1_OK;
}

const char *textarea_text(struct textarea *ta)
{
	if (!ta->utf8_stale)
		return buf_cstr(&ta->utf8);
	buf_reset(&ta->utf8);
	for (size_t i = 0; i < ta->len; i++) {
		char enc[4];
		buf_add(&ta->utf8, enc, r1_utf8_encode(ta->cps[i], enc));
	}
	if (!buf_ok(&ta->utf8)) {
		buf_reset(&ta->utf8);
		return "";
	}
	ta->utf8_stale = false;
	return buf_cstr(&ta->utf8);
}

/* ------------------------------------------------------------ positions */

static size_t line_start(const struct textarea *ta, size_t at)
{
	while (at > 0 && ta->cps[at - 1] != '\n')
		at--;
	return at;
}

static size_t line_end(const struct textarea *ta, size_t at)
{
	while (at < ta->len && ta->cps[at] != '\n')
		at++;
	return at;
}

void textarea_cursor(const struct textarea *ta, size_t *line, size_t *col)
{
	size_t l = 0;
	for (size_t i = 0; i < ta->cursor; i++)
		l += ta->cps[i] == '\n';
	*line = l;
	*col = ta->cursor - line_start(ta, ta->cursor);
}

/* The offset of column col (clamped) on the line starting at `start`. */
static size_t at_col(const struct textarea *ta, size_t start, size_t col)
{
	size_t end = line_end(ta, start);
	return start + R1_MIN(col, end - start);
}

void textarea_goto(struct textarea *ta, size_t line, size_t col)
{
	size_t at = 0;
	for (size_t l = 0; l < line; l++) {
		size_t end = line_end(ta, at);
		if (end >= ta->len)
			break;
		at = end + 1;
	}
	ta->cursor = at_col(ta, at, col);
	ta->goal_col = SIZE_MAX;
}

/* Move `lines` lines up (< 0) or down, aiming at the goal column. */
static void move_lines(struct textarea *ta, long lines)
{
	size_t start = line_start(ta, ta->cursor);
	if (ta->goal_col == SIZE_MAX)
		ta->goal_col = ta->cursor - start;
	for (; lines < 0 && start > 0; lines++)
		start = line_start(ta, start - 1);
	for (; lines > 0; lines--) {
		size_t end = line_end(ta, start);
		if (end >= ta->len)
			break;
		start = end + 1;
	}
	ta->cursor = at_col(ta, start, ta->goal_col);
}

/* ----------------------------------------------------------------- keys */

static unsigned newline(struct textarea *ta)
{
	size_t start = line_start(ta, ta->cursor), indent = 0;
	while (start + indent < ta->cursor && ta->cps[start + indent] == ' ')
		indent++;
	uint32_t cps[1 + 64];
	cps[0] = '\n';
	indent = R1_MIN(indent, (size_t)64);
	for (size_t i = 0; i < indent; i++)
		cps[1 + i] = ' ';
	return insert_cps(ta, cps, 1 + indent) ? TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED
	                                       : TUI_CONSUMED;
}

static unsigned tab(struct textarea *ta)
{
	size_t col = ta->cursor - line_start(ta, ta->cursor);
	size_t n = TEXTAREA_INDENT - col % TEXTAREA_INDENT;
	uint32_t sp[TEXTAREA_INDENT];
	for (size_t i = 0; i < n; i++)
		sp[i] = ' ';
	return insert_cps(ta, sp, n) ? TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED : TUI_CONSUMED;
}

unsigned textarea_key(struct textarea *ta, int key)
{
	const unsigned moved = TUI_CONSUMED | TUI_REDRAW;
	const unsigned edited = TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED;
	size_t start = line_start(ta, ta->cursor);
	bool keep_goal = false;
	unsigned r;
	switch (key) {
	case TUI_KEY_LEFT:
		if (ta->cursor > 0)
			ta->cursor--;
		r = moved;
		break;
	case TUI_KEY_RIGHT:
		if (ta->cursor < ta->len)
			ta->cursor++;
		r = moved;
		break;
	case TUI_KEY_UP:
	case TUI_KEY_DOWN:
		move_lines(ta, key == TUI_KEY_UP ? -1 : 1);
		keep_goal = true;
		r = moved;
		break;
	case TUI_KEY_PGUP:
	case TUI_KEY_PGDN: {
		long page = R1_MAX(ta->page - 1, 1);
		move_lines(ta, key == TUI_KEY_PGUP ? -page : page);
		keep_goal = true;
		r = moved;
		break;
	}
	case TUI_KEY_HOME:
	case TUI_KEY_CTRL('a'):
		ta->cursor = start;
		r = moved;
		break;
	case TUI_KEY_END:
	case TUI_KEY_CTRL('e'):
		ta->cursor = line_end(ta, ta->cursor);
		r = moved;
		break;
	case TUI_KEY_BACKSPACE:
	case TUI_KEY_CTRL('h'):
		if (ta->cursor == 0)
			return TUI_CONSUMED;
		delete_range(ta, ta->cursor - 1, ta->cursor);
		r = edited;
		break;
	case TUI_KEY_DELETE:
	case TUI_KEY_CTRL('d'):
		if (ta->cursor >= ta->len)
			return TUI_CONSUMED;
		delete_range(ta, ta->cursor, ta->cursor + 1);
		r = edited;
		break;
	case TUI_KEY_CTRL('k'): {
		size_t end = line_end(ta, ta->cursor);
		delete_range(ta, ta->cursor, end > ta->cursor ? end : end + 1);
		r = edited;
		break;
	}
	case TUI_KEY_CTRL('u'):
		delete_range(ta, start, ta->cursor);
		r = edited;
		break;
	case TUI_KEY_ENTER:
		r = newline(ta);
		break;
	case TUI_KEY_TAB:
		r = tab(ta);
		break;
	default:
		if (!tui_key_printable(key))
			return TUI_IGNORED;
		{
			uint32_t cp = (uint32_t)key;
			r = insert_cps(ta, &cp, 1) ? edited : TUI_CONSUMED;
		}
		break;
	}
	if (!keep_goal)
		ta->goal_col = SIZE_MAX;
	return r;
}

/* --------------------------------------------------------------- drawing */

void textarea_draw(struct textarea *ta, struct grid_area a, uint16_t role, bool focused)
{
	grid_fill(a, 0, 0, a.w, a.h, ' ', role, 0);
	if (a.w <= 0 || a.h <= 0)
		return;
	ta->page = a.h;
	size_t line, col;
	textarea_cursor(ta, &line, &col);
	if (line < ta->top)
		ta->top = line;
	if (line >= ta->top + (size_t)a.h)
		ta->top = line - (size_t)a.h + 1;
	/* sideways by code points; the cursor's column stays in view */
	size_t margin = (size_t)R1_MAX(a.w / 4, 1);
	if (col < ta->left)
		ta->left = col > margin ? col - margin : 0;
	if (col >= ta->left + (size_t)a.w)
		ta->left = col - (size_t)a.w + margin;

	size_t at = 0;
	for (size_t l = 0; l < ta->top && at <= ta->len; l++) {
		size_t end = line_end(ta, at);
		at = end + 1;
	}
	for (int y = 0; y < a.h && at <= ta->len; y++) {
		size_t end = line_end(ta, at);
		int x = 0;
		for (size_t i = at + ta->left; i < end && x < a.w; i++) {
			if (focused && i == ta->cursor)
				grid_cursor(a, x, y);
			x += grid_put(a, x, y, ta->cps[i], role, 0);
		}
		if (focused && ta->cursor >= at + ta->left && ta->cursor == end &&
		    (size_t)ta->top + (size_t)y == line)
			grid_cursor(a, x, y);
		if (end >= ta->len)
			break;
		at = end + 1;
	}
}
