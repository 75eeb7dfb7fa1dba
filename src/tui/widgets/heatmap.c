/*
 * The availability heatmap (see heatmap.h): value levels, scrolling in two
 * directions, and drawing only the visible cells.  Epoch arithmetic and
 * where the values come from belong to the model.
 */
#include "tui/lib.h"
#include "tui/widgets/heatmap.h"
#include "tui/keys.h"
#include "tui/theme.h"

static const uint32_t level_glyph[5] = {0x00B7, 0x2591, 0x2592, 0x2593, 0x2588};
static const char level_ascii[5] = {'.', ':', '-', '+', '#'};

void heatmap_init(struct heatmap *hm, const struct heatmap_source *src)
{
	memset(hm, 0, sizeof(*hm));
	hm->src = *src;
	hm->label_w = 16;
	hm->cell_w = 2;
}

int heatmap_level(int value)
{
	if (value < 0)
		return -1;
	if (value > 255)
		value = 255;
	return value * 5 / 256;
}

bool heatmap_selected(const struct heatmap *hm, size_t *row, size_t *col)
{
	size_t nr = hm->src.rows(hm->src.ctx), nc = hm->src.cols(hm->src.ctx);
	if (nr == 0 || nc == 0)
		return false;
	*row = R1_MIN(hm->sel_row, nr - 1);
	*col = R1_MIN(hm->sel_col, nc - 1);
	return true;
}

static size_t step(size_t v, long long d, size_t n)
{
	if (n == 0)
		return 0;
	long long r = (long long)v + d;
	if (r < 0)
		return 0;
	return (unsigned long long)r >= n ? n - 1 : (size_t)r;
}

unsigned heatmap_key(struct heatmap *hm, int key)
{
	size_t nr = hm->src.rows(hm->src.ctx), nc = hm->src.cols(hm->src.ctx);
	long long page = hm->page_rows > 1 ? hm->page_rows : 1;
	size_t r = hm->sel_row, c = hm->sel_col;
	switch (key) {
	case TUI_KEY_UP:
	case 'k':
		r = step(r, -1, nr);
		break;
	case TUI_KEY_DOWN:
	case 'j':
		r = step(r, 1, nr);
		break;
	case TUI_KEY_LEFT:
	case 'h':
		c = step(c, -1, nc);
		break;
	case TUI_KEY_RIGHT:
	case 'l':
		c = step(c, 1, nc);
		break;
	case TUI_KEY_PGUP:
		r = step(r, -page, nr);
		break;
	case TUI_KEY_PGDN:
		r = step(r, page, nr);
		break;
	case TUI_KEY_HOME:
		c = 0;
		break;
	case TUI_KEY_END:
		c = nc ? nc - 1 : 0;
		break;
	default:
		return TUI_IGNORED;
	}
	if (r == hm->sel_row && c == hm->sel_col)
		return TUI_CONSUMED;
	hm->sel_row = r;
	hm->sel_col = c;
	return TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED;
}

/* Keep v in [first, first + page) by moving first. */
static size_t follow(size_t first, size_t v, int page)
{
	size_t p = page > 0 ? (size_t)page : 1;
	if (v < first)
		return v;
	if (v >= first + p)
		return v - p + 1;
	return first;
}

void heatmap_draw(struct heatmap *hm, struct grid_area a)
{
	grid_fill(a, 0, 0, a.w, a.h, ' ', TUI_ROLE_DEFAULT, 0);
	size_t nr = hm->src.rows(hm->src.ctx), nc = hm->src.cols(hm->src.ctx);
	int label_w = R1_MIN(hm->label_w, a.w / 2), cw = R1_MAX(hm->cell_w, 1);
	int x0 = label_w + 1;
	hm->page_rows = R1_MAX(a.h - 1, 0);
	hm->page_cols = R1_MAX((a.w - x0) / cw, 0);
	if (nr == 0 || nc == 0 || hm->page_rows == 0 || hm->page_cols == 0)
		return;
	if (!hm->started) {
		hm->sel_col = nc - 1;
		hm->started = true;
	}
	hm->sel_row = R1_MIN(hm->sel_row, nr - 1);
	hm->sel_col = R1_MIN(hm->sel_col, nc - 1);
	hm->top = follow(hm->top, hm->sel_row, hm->page_rows);
	hm->left = follow(hm->left, hm->sel_col, hm->page_cols);
	if (hm->left + (size_t)hm->page_cols > nc)
		hm->left = nc > (size_t)hm->page_cols ? nc - (size_t)hm->page_cols : 0;
	if (hm->top + (size_t)hm->page_rows > nr)
		hm->top = nr > (size_t)hm->page_rows ? nr - (size_t)hm->page_rows : 0;

	/* column labels where they fit, one space apart */
	int next_free = x0;
	for (int k = 0; k < hm->page_cols && hm->left + (size_t)k < nc; k++) {
		int x = x0 + k * cw;
		if (x < next_free)
			continue;
		const char *lab = hm->src.col_label(hm->src.ctx, hm->left + (size_t)k, hm->scratch,
						    sizeof(hm->scratch));
		int lw = grid_text_width(lab);
		if (x + lw > a.w)
			break;
		grid_text(a, x, 0, lab, TUI_ROLE_TABLE_HEADER, 0);
		next_free = x + lw + 1;
	}
	for (int j = 0; j < hm->page_rows && hm->top + (size_t)j < nr; j++) {
		size_t row = hm->top + (size_t)j;
		bool sel_row = row == hm->sel_row;
		const char *lab =
			hm->src.row_label(hm->src.ctx, row, hm->scratch, sizeof(hm->scratch));
		grid_field(a, 0, 1 + j, label_w, GRID_ALIGN_LEFT, lab,
			   sel_row ? TUI_ROLE_ROW_SELECTED : TUI_ROLE_ROW, 0);
		for (int k = 0; k < hm->page_cols && hm->left + (size_t)k < nc; k++) {
			size_t col = hm->left + (size_t)k;
			int level = heatmap_level(hm->src.value(hm->src.ctx, row, col));
			uint16_t role = level < 0 ? TUI_ROLE_HEAT_NONE
						  : (uint16_t)(TUI_ROLE_HEAT_0 + level);
			uint32_t g = level < 0 ? ' '
					       : grid_glyph(a.g, level_glyph[level], level_ascii[level]);
			uint16_t attr = sel_row && col == hm->sel_col ? GRID_REVERSE : 0;
			grid_fill(a, x0 + k * cw, 1 + j, cw, 1, g, role, attr);
		}
	}
}
