/*
 * Scrollable text (see textview.h): a sanitized copy of the text, its
 * layout into lines for the current width, and the scroll position.  It
 * does not format anything (JSON pretty-printing belongs to whoever makes
 * the text); it wraps, scrolls and clips.
 */
#include "tui/lib.h"
#include "tui/widgets/textview.h"
#include "core/sanitize.h"
#include "tui/keys.h"

void textview_init(struct textview *tv)
{
	memset(tv, 0, sizeof(*tv));
	buf_init(&tv->text);
	tv->wrap = true;
	tv->laid_width = -1;
}

void textview_release(struct textview *tv)
{
	buf_release(&tv->text);
	r1_free(tv->lines);
	memset(tv, 0, sizeof(*tv));
}

/* Keep the newest TEXTVIEW_MAX_BYTES, cut at a line (or character) start. */
static void trim_front(struct textview *tv)
{
	if (tv->text.len <= TEXTVIEW_MAX_BYTES)
		return;
	size_t cut = tv->text.len - TEXTVIEW_MAX_BYTES;
	const char *nl = memchr(tv->text.data + cut, '\n', tv->text.len - cut);
	if (nl)
		cut = (size_t)(nl - tv->text.data) + 1;
	while (cut < tv->text.len && ((uint8_t)tv->text.data[cut] & 0xC0) == 0x80)
		cut++;
	memmove(tv->text.data, tv->text.data + cut, tv->text.len - cut + 1);
	tv->text.len -= cut;
}

enum r1_err textview_append(struct textview *tv, const char *text, size_t len)
{
	r1_sanitize_append(&tv->text, text, len, R1_SANITIZE_KEEP_NEWLINES);
	if (!buf_ok(&tv->text)) {
		buf_release(&tv->text);
		buf_init(&tv->text);
		tv->laid_width = -1;
		return R1_ERR_NOMEM;
	}
	trim_front(tv);
	tv->laid_width = -1;
	return R1_OK;
}

enum r1_err textview_set(struct textview *tv, const char *text, size_t len)
{
	buf_reset(&tv->text);
	return textview_append(tv, text, len);
}

size_t textview_lines(const struct textview *tv)
{
	return tv->nlines;
}

static bool layout(struct textview *tv, int width)
{
	if (tv->laid_width == width)
		return true;
	int w = tv->wrap ? width : INT_MAX / 4;
	const char *s = buf_cstr(&tv->text);
	size_t n = text_wrap(s, w, NULL, 0);
	if (n > tv->cap) {
		struct wrap_line *l = r1_reallocarray(tv->lines, n, sizeof(*l));
		if (!l)
			return false;
		tv->lines = l;
		tv->cap = n;
	}
	tv->nlines = text_wrap(s, w, tv->lines, tv->cap);
	/* a final newline ends the last line; it does not start an empty one */
	if (tv->nlines > 1 && tv->lines[tv->nlines - 1].len == 0 && tv->text.len &&
	    tv->text.data[tv->text.len - 1] == '\n')
		tv->nlines--;
	tv->laid_width = width;
	return true;
}

static size_t max_top(const struct textview *tv)
{
	size_t page = tv->page > 0 ? (size_t)tv->page : 1;
	return tv->nlines > page ? tv->nlines - page : 0;
}

/* Scroll; being at the end (again) turns `follow` on, leaving it off. */
static unsigned scroll_to(struct textview *tv, long long top)
{
	if (top < 0)
		top = 0;
	if ((unsigned long long)top > max_top(tv))
		top = (long long)max_top(tv);
	bool moved = (size_t)top != tv->top;
	tv->top = (size_t)top;
	tv->follow = tv->top == max_top(tv);
	return moved ? TUI_CONSUMED | TUI_REDRAW : TUI_CONSUMED;
}

unsigned textview_key(struct textview *tv, int key)
{
	long long top = (long long)tv->top, page = tv->page > 1 ? tv->page - 1 : 1;
	switch (key) {
	case TUI_KEY_UP:
	case 'k':
		return scroll_to(tv, top - 1);
	case TUI_KEY_DOWN:
	case 'j':
		return scroll_to(tv, top + 1);
	case TUI_KEY_PGUP:
	case TUI_KEY_CTRL('b'):
		return scroll_to(tv, top - page);
	case TUI_KEY_PGDN:
	case TUI_KEY_CTRL('f'):
	case TUI_KEY_SPACE:
		return scroll_to(tv, top + page);
	case TUI_KEY_HOME:
	case 'g':
		return scroll_to(tv, 0);
	case TUI_KEY_END:
	case 'G':
		return scroll_to(tv, (long long)max_top(tv));
	case TUI_KEY_LEFT:
	case 'h':
		if (tv->wrap || tv->left == 0)
			return TUI_CONSUMED;
		tv->left = R1_MAX(tv->left - 8, 0);
		return TUI_CONSUMED | TUI_REDRAW;
	case TUI_KEY_RIGHT:
	case 'l':
		if (tv->wrap)
			return TUI_CONSUMED;
		tv->left += 8;
		return TUI_CONSUMED | TUI_REDRAW;
	case 'w':
		tv->wrap = !tv->wrap;
		tv->left = 0;
		tv->laid_width = -1;
		return TUI_CONSUMED | TUI_REDRAW;
	default:
		return TUI_IGNORED;
	}
}

void textview_draw(struct textview *tv, struct grid_area a, uint16_t role)
{
	grid_fill(a, 0, 0, a.w, a.h, ' ', role, 0);
	if (a.w <= 0 || a.h <= 0 || !layout(tv, a.w))
		return;
	tv->page = a.h;
	if (tv->follow || tv->top > max_top(tv))
		tv->top = max_top(tv);
	const char *s = buf_cstr(&tv->text);
	for (int y = 0; y < a.h && tv->top + (size_t)y < tv->nlines; y++) {
		const struct wrap_line *l = &tv->lines[tv->top + (size_t)y];
		grid_textn(a, -tv->left, y, s + l->off, l->len, role, 0);
	}
}
