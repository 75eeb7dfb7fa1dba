/*
 * Single-line text editing (see lineedit.h).  Owns the text and the cursor,
 * and nothing about what the text means: prompts, history, completion and
 * validation belong to cmdline.c and field.c, which wrap this.
 */
#include "tui/lib.h"
#include "tui/widgets/lineedit.h"
#include "tui/keys.h"
#include "core/utf8.h"

#define LINEEDIT_DEFAULT_MAX 1024

void lineedit_init(struct lineedit *le, size_t max)
{
	memset(le, 0, sizeof(*le));
	le->max = max ? max : LINEEDIT_DEFAULT_MAX;
	buf_init(&le->utf8);
	le->utf8_stale = true;
}

void lineedit_release(struct lineedit *le)
{
	r1_free(le->cps);
	buf_release(&le->utf8);
	memset(le, 0, sizeof(*le));
}

static bool reserve(struct lineedit *le, size_t n)
{
	if (n <= le->cap)
		return true;
	size_t cap = le->cap ? le->cap : 32;
	while (cap < n)
		cap *= 2;
	uint32_t *p = r1_reallocarray(le->cps, cap, sizeof(*p));
	if (!p)
		return false;
	le->cps = p;
	le->cap = cap;
	return true;
}

static bool accepts(const struct lineedit *le, uint32_t cp)
{
	if (!tui_key_printable((int)cp))
		return false;
	return le->accept ? le->accept(cp) : true;
}

/* Insert what fits; *oom is set when memory ran out on the way. */
static bool insert_text(struct lineedit *le, const char *text, bool *oom)
{
	size_t len = strlen(text), i = 0;
	bool any = false;
	while (i < len && le->len < le->max) {
		uint32_t cp;
		i += r1_utf8_decode(text + i, len - i, &cp);
		if (!accepts(le, cp))
			continue;
		if (!reserve(le, le->len + 1)) {
			*oom = true;
			break;
		}
		memmove(le->cps + le->cursor + 1, le->cps + le->cursor,
			(le->len - le->cursor) * sizeof(*le->cps));
		le->cps[le->cursor++] = cp;
		le->len++;
		any = true;
	}
	if (any)
		le->utf8_stale = true;
	return any;
}

bool lineedit_insert(struct lineedit *le, const char *text)
{
	bool oom = false;
	return insert_text(le, text, &oom);
}

enum r1_err lineedit_set(struct lineedit *le, const char *text)
{
	bool oom = false;
	le->len = le->cursor = le->scroll = 0;
	le->utf8_stale = true;
	insert_text(le, text ? text : "", &oom);
	if (oom) {
		le->len = le->cursor = 0;
		return R1_ERR_NOMEM;
	}
	return R1_OK;
}

const char *lineedit_text(struct lineedit *le)
{
	if (le->utf8_stale) {
		buf_reset(&le->utf8);
		for (size_t i = 0; i < le->len; i++) {
			char u[4];
			buf_add(&le->utf8, u, r1_utf8_encode(le->cps[i], u));
		}
		le->utf8_stale = !buf_ok(&le->utf8);
		if (le->utf8_stale)
			return "";
	}
	return buf_cstr(&le->utf8);
}

void lineedit_delete(struct lineedit *le, size_t from, size_t to)
{
	to = R1_MIN(to, le->len);
	if (from >= to)
		return;
	memmove(le->cps + from, le->cps + to, (le->len - to) * sizeof(*le->cps));
	le->len -= to - from;
	le->cursor = from;
	le->utf8_stale = true;
}

static bool is_space(uint32_t cp)
{
	return cp == ' ' || cp == '\t';
}

unsigned lineedit_key(struct lineedit *le, int key)
{
	const unsigned moved = TUI_CONSUMED | TUI_REDRAW;
	const unsigned edited = moved | TUI_CHANGED;
	size_t c = le->cursor;
	switch (key) {
	case TUI_KEY_LEFT:
		le->cursor = c ? c - 1 : 0;
		return moved;
	case TUI_KEY_RIGHT:
		le->cursor = c < le->len ? c + 1 : c;
		return moved;
	case TUI_KEY_HOME:
	case TUI_KEY_CTRL('a'):
		le->cursor = 0;
		return moved;
	case TUI_KEY_END:
	case TUI_KEY_CTRL('e'):
		le->cursor = le->len;
		return moved;
	case TUI_KEY_BACKSPACE:
	case TUI_KEY_CTRL('h'):
		if (c == 0)
			return TUI_CONSUMED;
		lineedit_delete(le, c - 1, c);
		return edited;
	case TUI_KEY_DELETE:
	case TUI_KEY_CTRL('d'):
		if (c == le->len)
			return TUI_CONSUMED;
		lineedit_delete(le, c, c + 1);
		return edited;
	case TUI_KEY_CTRL('u'):
		lineedit_delete(le, 0, c);
		return edited;
	case TUI_KEY_CTRL('k'):
		lineedit_delete(le, c, le->len);
		return edited;
	case TUI_KEY_CTRL('w'): {
		size_t from = c;
		while (from > 0 && is_space(le->cps[from - 1]))
			from--;
		while (from > 0 && !is_space(le->cps[from - 1]))
			from--;
		lineedit_delete(le, from, c);
		return edited;
	}
	default:
		break;
	}
	if (key > 0 && key < TUI_KEY_SPECIAL && tui_key_printable(key)) {
		char u[5];
		u[r1_utf8_encode((uint32_t)key, u)] = '\0';
		return lineedit_insert(le, u) ? edited : TUI_CONSUMED;
	}
	return TUI_IGNORED;
}

static int cp_cols(const struct lineedit *le, uint32_t cp)
{
	if (le->masked)
		return 1;
	int w = r1_cp_width(cp);
	return w < 0 ? 1 : w;
}

int lineedit_draw(struct lineedit *le, struct grid_area a, int x, int y, int width,
		  uint16_t role, bool focused)
{
	if (width <= 0)
		return x;
	grid_fill(a, x, y, width, 1, ' ', role, 0);
	if (le->scroll > le->cursor)
		le->scroll = le->cursor;
	/* keep one column for the cursor after the text */
	for (;;) {
		int w = 0;
		for (size_t i = le->scroll; i < le->cursor; i++)
			w += cp_cols(le, le->cps[i]);
		if (w < width || le->scroll >= le->cursor)
			break;
		le->scroll++;
	}
	int col = 0, cursor_col = -1;
	for (size_t i = le->scroll; i <= le->len; i++) {
		if (i == le->cursor)
			cursor_col = col;
		if (i == le->len)
			break;
		uint32_t cp = le->masked ? '*' : le->cps[i];
		int w = cp_cols(le, cp);
		if (col + w > width)
			break;
		grid_put(a, x + col, y, cp, role, 0);
		col += w;
	}
	if (focused && cursor_col >= 0)
		grid_cursor(a, x + R1_MIN(cursor_col, width - 1), y);
	return x + col;
}
