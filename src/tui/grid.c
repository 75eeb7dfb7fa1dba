/*
 * The plain-data screen model and its drawing primitives (see grid.h).  The
 * rules that keep a grid flushable are enforced here and nowhere else: no
 * control character ever lands in a cell, a wide character always has its
 * continuation cell, and nothing is written outside the area drawn into.
 * This file does no layout of its own beyond clipping and splitting; widgets
 * decide what goes where.
 */
#include "tui/lib.h"
#include "tui/grid.h"
#include "core/utf8.h"

static const struct grid_cell blank_cell = {' ', 0, 0, 0};

enum r1_err grid_init(struct grid *g, int w, int h, bool ascii)
{
	memset(g, 0, sizeof(*g));
	g->ascii = ascii;
	return grid_resize(g, w, h);
}

void grid_release(struct grid *g)
{
	r1_free(g->cells);
	memset(g, 0, sizeof(*g));
}

enum r1_err grid_resize(struct grid *g, int w, int h)
{
	if (w < 0 || h < 0 || w > GRID_MAX_DIM || h > GRID_MAX_DIM)
		return R1_ERR_INVAL;
	struct grid_cell *cells = r1_reallocarray(NULL, (size_t)w * (size_t)h + 1, sizeof(*cells));
	if (!cells)
		return R1_ERR_NOMEM;
	r1_free(g->cells);
	g->cells = cells;
	g->w = w;
	g->h = h;
	grid_clear(g, 0);
	return R1_OK;
}

void grid_clear(struct grid *g, uint16_t role)
{
	struct grid_cell c = blank_cell;
	c.role = role;
	for (size_t i = 0, n = (size_t)g->w * (size_t)g->h; i < n; i++)
		g->cells[i] = c;
	g->cursor_on = false;
}

const struct grid_cell *grid_cell_at(const struct grid *g, int x, int y)
{
	if (x < 0 || y < 0 || x >= g->w || y >= g->h)
		return NULL;
	return &g->cells[(size_t)y * (size_t)g->w + (size_t)x];
}

static struct grid_cell *cell(struct grid *g, int x, int y)
{
	return &g->cells[(size_t)y * (size_t)g->w + (size_t)x];
}

/* ----------------------------------------------------------------- areas */

struct grid_area grid_whole(struct grid *g)
{
	struct grid_area a = {g, 0, 0, g->w, g->h};
	return a;
}

struct grid_area grid_sub(struct grid_area a, int x, int y, int w, int h)
{
	struct grid_area r = {a.g, a.x, a.y, 0, 0};
	if (w < 0)
		w = a.w - x;
	if (h < 0)
		h = a.h - y;
	int x0 = R1_MAX(x, 0), y0 = R1_MAX(y, 0);
	int x1 = R1_MIN(x + w, a.w), y1 = R1_MIN(y + h, a.h);
	r.x = a.x + R1_MIN(x0, a.w);
	r.y = a.y + R1_MIN(y0, a.h);
	r.w = x1 > x0 ? x1 - x0 : 0;
	r.h = y1 > y0 ? y1 - y0 : 0;
	return r;
}

void grid_split(struct grid_area a, bool horizontal, const int *sizes, int n,
		struct grid_area *out)
{
	int total = horizontal ? a.w : a.h, fixed = 0, flex = 0;
	for (int i = 0; i < n; i++) {
		if (sizes[i] > 0)
			fixed += sizes[i];
		else
			flex++;
	}
	int spare = total > fixed ? total - fixed : 0;
	int pos = 0, flex_seen = 0;
	for (int i = 0; i < n; i++) {
		int len = sizes[i];
		if (len <= 0) {
			len = flex ? spare / flex + (flex_seen < spare % flex ? 1 : 0) : 0;
			flex_seen++;
		}
		len = R1_MIN(len, total - pos);
		if (len < 0)
			len = 0;
		out[i] = horizontal ? grid_sub(a, pos, 0, len, a.h) : grid_sub(a, 0, pos, a.w, len);
		pos += len;
	}
}

void grid_cursor(struct grid_area a, int x, int y)
{
	if (x < 0 || y < 0 || x >= a.w || y >= a.h)
		return;
	a.g->cursor_on = true;
	a.g->cursor_x = a.x + x;
	a.g->cursor_y = a.y + y;
}

/* --------------------------------------------------------------- drawing */

uint32_t grid_glyph(const struct grid *g, uint32_t utf, char ascii)
{
	return g->ascii ? (uint32_t)(unsigned char)ascii : utf;
}

/*
 * Write one cell at absolute x, y, first breaking any wide character the
 * write would cut in half.
 */
static void set_cell(struct grid *g, int x, int y, uint32_t cp, uint16_t role, uint16_t attr)
{
	struct grid_cell *c = cell(g, x, y);
	if (c->cp == GRID_CP_CONT && x > 0)
		cell(g, x - 1, y)->cp = ' ';
	if (x + 1 < g->w && cell(g, x + 1, y)->cp == GRID_CP_CONT && cp != GRID_CP_CONT)
		cell(g, x + 1, y)->cp = ' ';
	c->cp = cp;
	c->mark = 0;
	c->role = role;
	c->attr = attr;
}

/* Width a code point takes in this grid, after the control substitution. */
static int cp_cols(const struct grid *g, uint32_t *cp)
{
	int w = r1_cp_width(*cp);
	if (w < 0 || *cp > R1_UTF8_MAX) {
		*cp = g->ascii ? '?' : R1_UTF8_REPLACEMENT;
		return 1;
	}
	if (g->ascii && *cp >= 0x80) {
		*cp = '?';
		return w; /* 0 (dropped mark), 1 or 2 question marks */
	}
	return w;
}

int grid_put(struct grid_area a, int x, int y, uint32_t cp, uint16_t role, uint16_t attr)
{
	if (y < 0 || y >= a.h || x > a.w)
		return 0;
	struct grid *g = a.g;
	int w = cp_cols(g, &cp);
	if (w == 0) {
		/* a combining mark joins the cell before it, if that is ours */
		if (g->ascii || x <= 0)
			return 0;
		int px = a.x + x - 1;
		struct grid_cell *c = cell(g, px, a.y + y);
		if (c->cp == GRID_CP_CONT && px > 0)
			c = cell(g, px - 1, a.y + y);
		if (c->mark == 0)
			c->mark = cp;
		return 0;
	}
	if (x < 0 || x >= a.w)
		return 0;
	if (w == 2 && g->ascii) {
		set_cell(g, a.x + x, a.y + y, '?', role, attr);
		if (x + 1 < a.w)
			set_cell(g, a.x + x + 1, a.y + y, '?', role, attr);
		return R1_MIN(2, a.w - x);
	}
	if (w == 2 && x + 1 >= a.w) {
		/* half a wide character would show: blank instead */
		set_cell(g, a.x + x, a.y + y, ' ', role, attr);
		return 1;
	}
	set_cell(g, a.x + x, a.y + y, cp, role, attr);
	if (w == 2) {
		int x2 = a.x + x + 1;
		if (x2 + 1 < g->w && cell(g, x2 + 1, a.y + y)->cp == GRID_CP_CONT)
			cell(g, x2 + 1, a.y + y)->cp = ' ';
		set_cell(g, x2, a.y + y, GRID_CP_CONT, role, attr);
	}
	return w;
}

int grid_textn(struct grid_area a, int x, int y, const char *s, size_t len, uint16_t role,
	       uint16_t attr)
{
	if (!s || y < 0 || y >= a.h)
		return x;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		i += r1_utf8_decode(s + i, len - i, &cp);
		if (cp == 0)
			break;
		uint32_t shown = cp;
		int w = cp_cols(a.g, &shown);
		if (w > 0 && x >= a.w)
			break;
		if (w > 0 && x + w <= 0) {
			x += w;
			continue;
		}
		grid_put(a, x, y, cp, role, attr);
		x += w;
	}
	return R1_MIN(x, a.w);
}

int grid_text(struct grid_area a, int x, int y, const char *s, uint16_t role, uint16_t attr)
{
	return s ? grid_textn(a, x, y, s, strlen(s), role, attr) : x;
}

/* Columns of one code point as the grid draws it (controls show as one). */
static int draw_cols(uint32_t cp)
{
	int w = r1_cp_width(cp);
	return w < 0 ? 1 : w;
}

static int text_cols(const char *s, size_t len)
{
	size_t i = 0;
	int w = 0;
	while (i < len) {
		uint32_t cp;
		i += r1_utf8_decode(s + i, len - i, &cp);
		if (cp == 0)
			break;
		if (w < INT_MAX - 2)
			w += draw_cols(cp);
	}
	return w;
}

int grid_text_width(const char *s)
{
	return s ? text_cols(s, strlen(s)) : 0;
}

size_t grid_text_fit(const char *s, size_t len, int cols, int *used)
{
	size_t i = 0;
	int w = 0;
	while (i < len) {
		uint32_t cp;
		size_t n = r1_utf8_decode(s + i, len - i, &cp);
		if (cp == 0)
			break;
		int cw = draw_cols(cp);
		if (w + cw > cols)
			break;
		w += cw;
		i += n;
	}
	if (used)
		*used = w;
	return i;
}

/*
 * Byte offset in s where the last `cols` columns (at most) begin, without
 * splitting a character; *used gets their width.
 */
static size_t text_fit_tail(const char *s, size_t len, int cols, int *used)
{
	int rem = text_cols(s, len);
	size_t i = 0;
	while (i < len && rem > cols) {
		uint32_t cp;
		i += r1_utf8_decode(s + i, len - i, &cp);
		rem -= draw_cols(cp);
	}
	/* combining marks must not start the tail without their base */
	while (i < len) {
		uint32_t cp;
		size_t n = r1_utf8_decode(s + i, len - i, &cp);
		if (draw_cols(cp) != 0)
			break;
		i += n;
	}
	if (used)
		*used = rem;
	return i;
}

int grid_field(struct grid_area a, int x, int y, int width, unsigned flags, const char *s,
	       uint16_t role, uint16_t attr)
{
	if (width <= 0)
		return x;
	if (!s)
		s = "";
	size_t len = strlen(s);
	int tw = grid_text_width(s);
	grid_fill(a, x, y, width, 1, ' ', role, attr);
	if (tw <= width) {
		int pad = width - tw, off = 0;
		if ((flags & GRID_ALIGN_MASK) == GRID_ALIGN_RIGHT)
			off = pad;
		else if ((flags & GRID_ALIGN_MASK) == GRID_ALIGN_CENTER)
			off = pad / 2;
		grid_textn(a, x + off, y, s, len, role, attr);
		return x + width;
	}
	uint32_t ell = grid_glyph(a.g, 0x2026, '~');
	int room = width - 1, used;
	switch (flags & GRID_TRUNC_MASK) {
	case GRID_TRUNC_START: {
		size_t from = text_fit_tail(s, len, room, &used);
		grid_put(a, x, y, ell, role, attr);
		grid_textn(a, x + 1 + (room - used), y, s + from, len - from, role, attr);
		break;
	}
	case GRID_TRUNC_MIDDLE: {
		int head_cols = (room + 1) / 2, tail_cols = room - head_cols, hu, tu;
		size_t head = grid_text_fit(s, len, head_cols, &hu);
		size_t from = text_fit_tail(s, len, tail_cols + (head_cols - hu), &tu);
		grid_textn(a, x, y, s, head, role, attr);
		grid_put(a, x + hu, y, ell, role, attr);
		grid_textn(a, x + width - tu, y, s + from, len - from, role, attr);
		break;
	}
	default: {
		size_t head = grid_text_fit(s, len, room, &used);
		grid_textn(a, x, y, s, head, role, attr);
		grid_put(a, x + used, y, ell, role, attr);
		break;
	}
	}
	return x + width;
}

void grid_fill(struct grid_area a, int x, int y, int w, int h, uint32_t cp, uint16_t role,
	       uint16_t attr)
{
	struct grid_area r = grid_sub(a, x, y, w, h);
	for (int j = 0; j < r.h; j++)
		for (int i = 0; i < r.w; i++)
			grid_put(r, i, j, cp, role, attr);
}

void grid_paint(struct grid_area a, int x, int y, int w, int h, uint16_t role, uint16_t attr)
{
	struct grid_area r = grid_sub(a, x, y, w, h);
	for (int j = 0; j < r.h; j++)
		for (int i = 0; i < r.w; i++) {
			struct grid_cell *c = cell(r.g, r.x + i, r.y + j);
			c->role = role;
			c->attr = attr;
		}
}

/* Index: 0 horizontal, 1 vertical, 2..5 corners tl tr bl br. */
static const uint32_t line_glyphs[3][6] = {
	{0x2500, 0x2502, 0x250C, 0x2510, 0x2514, 0x2518},
	{0x2501, 0x2503, 0x250F, 0x2513, 0x2517, 0x251B},
	{0x2550, 0x2551, 0x2554, 0x2557, 0x255A, 0x255D},
};
static const char line_ascii[6] = {'-', '|', '+', '+', '+', '+'};

static uint32_t line_glyph(const struct grid *g, enum grid_line_style style, int which)
{
	if ((unsigned)style > GRID_LINE_DOUBLE)
		style = GRID_LINE_LIGHT;
	return grid_glyph(g, line_glyphs[style][which], line_ascii[which]);
}

void grid_hline(struct grid_area a, int x, int y, int len, uint16_t role)
{
	grid_fill(a, x, y, len, 1, line_glyph(a.g, GRID_LINE_LIGHT, 0), role, 0);
}

void grid_vline(struct grid_area a, int x, int y, int len, uint16_t role)
{
	grid_fill(a, x, y, 1, len, line_glyph(a.g, GRID_LINE_LIGHT, 1), role, 0);
}

void grid_box(struct grid_area a, int x, int y, int w, int h, enum grid_line_style style,
	      uint16_t role)
{
	if (w < 2 || h < 2)
		return;
	uint32_t hz = line_glyph(a.g, style, 0), vt = line_glyph(a.g, style, 1);
	grid_fill(a, x + 1, y, w - 2, 1, hz, role, 0);
	grid_fill(a, x + 1, y + h - 1, w - 2, 1, hz, role, 0);
	grid_fill(a, x, y + 1, 1, h - 2, vt, role, 0);
	grid_fill(a, x + w - 1, y + 1, 1, h - 2, vt, role, 0);
	grid_put(a, x, y, line_glyph(a.g, style, 2), role, 0);
	grid_put(a, x + w - 1, y, line_glyph(a.g, style, 3), role, 0);
	grid_put(a, x, y + h - 1, line_glyph(a.g, style, 4), role, 0);
	grid_put(a, x + w - 1, y + h - 1, line_glyph(a.g, style, 5), role, 0);
}

struct grid_area grid_frame(struct grid_area a, const char *title, enum grid_line_style style,
			    uint16_t role, uint16_t title_role)
{
	grid_box(a, 0, 0, a.w, a.h, style, role);
	if (title && *title && a.w > 6) {
		int tw = R1_MIN(grid_text_width(title), a.w - 6);
		grid_put(a, 2, 0, ' ', title_role, 0);
		grid_field(a, 3, 0, tw, GRID_ALIGN_LEFT, title, title_role, 0);
		grid_put(a, 3 + tw, 0, ' ', title_role, 0);
	}
	return grid_sub(a, 1, 1, a.w - 2, a.h - 2);
}

/* ----------------------------------------------------------------- dumps */

static void trim_line(struct buf *out, size_t line_start, char pad)
{
	while (out->len > line_start && out->data[out->len - 1] == pad)
		out->len--;
	if (out->data)
		out->data[out->len] = '\0';
}

void grid_dump(const struct grid *g, struct buf *out)
{
	for (int y = 0; y < g->h; y++) {
		size_t start = out->len;
		for (int x = 0; x < g->w; x++) {
			const struct grid_cell *c = grid_cell_at(g, x, y);
			char u[4];
			if (c->cp == GRID_CP_CONT)
				continue;
			buf_add(out, u, r1_utf8_encode(c->cp, u));
			if (c->mark)
				buf_add(out, u, r1_utf8_encode(c->mark, u));
		}
		trim_line(out, start, ' ');
		buf_addc(out, '\n');
	}
}

void grid_dump_roles(const struct grid *g, struct buf *out, const char *legend)
{
	size_t n = strlen(legend);
	for (int y = 0; y < g->h; y++) {
		size_t start = out->len;
		for (int x = 0; x < g->w; x++) {
			uint16_t r = grid_cell_at(g, x, y)->role;
			buf_addc(out, r < n ? legend[r] : '?');
		}
		trim_line(out, start, n ? legend[0] : ' ');
		buf_addc(out, '\n');
	}
}
