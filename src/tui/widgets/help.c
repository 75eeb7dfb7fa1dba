/*
 * The help overlay (see help.h): turns keymap tables into lines of "key
 * description" grouped by section, and lays them out in as many columns as
 * the screen holds.
 */
#include "tui/lib.h"
#include "tui/widgets/help.h"
#include "tui/keys.h"
#include "tui/theme.h"

#define HELP_COLUMN_MIN 38 /* narrowest column worth splitting into */
#define HELP_KEY_MAX 10

void help_init(struct help *h, const char *title, bool readonly)
{
	memset(h, 0, sizeof(*h));
	h->title = title;
	h->readonly = readonly;
}

bool help_add_section(struct help *h, const char *title, const struct keymap_entry *map, size_t n)
{
	if (h->nsections == HELP_MAX_SECTIONS)
		return false;
	struct help_section *s = &h->sections[h->nsections++];
	s->title = title;
	s->map = map;
	s->n = n;
	return true;
}

static bool listed(const struct help *h, const struct keymap_entry *e)
{
	return e->help && !(e->flags & KEYMAP_NO_HELP) && keymap_visible(e, h->readonly);
}

/*
 * Walk the lines: a section title, its entries, a blank line between
 * sections.  Calls fn for line number i (e == NULL for a title, whose text
 * is `title`; both NULL for a blank line).
 */
static int walk(const struct help *h,
		void (*fn)(void *ctx, int i, const char *title, const struct keymap_entry *e),
		void *ctx)
{
	int i = 0;
	for (size_t s = 0; s < h->nsections; s++) {
		const struct help_section *sec = &h->sections[s];
		if (i > 0 && fn)
			fn(ctx, i, NULL, NULL);
		i += i > 0;
		if (fn)
			fn(ctx, i, sec->title, NULL);
		i++;
		for (size_t k = 0; k < sec->n; k++)
			if (listed(h, &sec->map[k])) {
				if (fn)
					fn(ctx, i, NULL, &sec->map[k]);
				i++;
			}
	}
	return i;
}

struct layout {
	struct grid_area in;
	int first, rows, cols, col_w, key_w;
};

static void measure_key(void *ctx, int i, const char *title, const struct keymap_entry *e)
{
	struct layout *l = ctx;
	if (!e)
		return;
	char key[32];
	l->key_w = R1_MAX(l->key_w, grid_text_width(tui_key_label(e->key, key, sizeof(key))));
}

static void draw_line(void *ctx, int i, const char *title, const struct keymap_entry *e)
{
	struct layout *l = ctx;
	int k = i - l->first;
	if (k < 0 || k >= l->rows * l->cols)
		return;
	int x = (k / l->rows) * l->col_w + 1, y = k % l->rows, w = l->col_w - 2;
	if (title) {
		grid_field(l->in, x, y, w, GRID_ALIGN_LEFT, title, TUI_ROLE_TITLE, GRID_BOLD);
		return;
	}
	if (!e)
		return;
	char key[32];
	tui_key_label(e->key, key, sizeof(key));
	grid_field(l->in, x, y, l->key_w, GRID_ALIGN_LEFT, key, TUI_ROLE_HELP_KEY, 0);
	grid_field(l->in, x + l->key_w + 2, y, w - l->key_w - 2, GRID_ALIGN_LEFT, _(e->help),
		   TUI_ROLE_HELP_TEXT, 0);
}

unsigned help_key(struct help *h, int key)
{
	int page = h->page > 1 ? h->page : 1;
	switch (key) {
	case TUI_KEY_UP:
	case 'k':
		h->scroll--;
		break;
	case TUI_KEY_DOWN:
	case 'j':
		h->scroll++;
		break;
	case TUI_KEY_PGUP:
		h->scroll -= page;
		break;
	case TUI_KEY_PGDN:
	case TUI_KEY_SPACE:
		h->scroll += page;
		break;
	case TUI_KEY_HOME:
		h->scroll = 0;
		break;
	case TUI_KEY_ESC:
	case TUI_KEY_ENTER:
	case '?':
	case 'q':
		return TUI_CONSUMED | TUI_CANCEL;
	default:
		return TUI_CONSUMED; /* an overlay: keys do not fall through */
	}
	if (h->scroll < 0)
		h->scroll = 0;
	return TUI_CONSUMED | TUI_REDRAW;
}

void help_draw(struct help *h, struct grid_area a)
{
	if (a.w < 10 || a.h < 4)
		return;
	grid_fill(a, 0, 0, a.w, a.h, ' ', TUI_ROLE_DIALOG, 0);
	struct layout l = {0};
	l.in = grid_frame(a, h->title, GRID_LINE_LIGHT, TUI_ROLE_BORDER, TUI_ROLE_DIALOG_TITLE);
	int total = walk(h, NULL, NULL);
	walk(h, measure_key, &l);
	l.key_w = R1_MIN(l.key_w, HELP_KEY_MAX);
	l.rows = R1_MAX(l.in.h, 1);
	int max_cols = R1_MAX(l.in.w / HELP_COLUMN_MIN, 1);
	l.cols = R1_MIN(max_cols, (total + l.rows - 1) / l.rows);
	l.cols = R1_MAX(l.cols, 1);
	l.col_w = l.in.w / l.cols;
	/* scrolling only happens when one screenful of columns is not enough */
	int fits = l.rows * l.cols;
	int max_scroll = total > fits ? total - fits : 0;
	if (l.cols == 1)
		max_scroll = total > l.rows ? total - l.rows : 0;
	if (h->scroll > max_scroll)
		h->scroll = max_scroll;
	l.first = h->scroll;
	h->page = l.rows;
	walk(h, draw_line, &l);
}
