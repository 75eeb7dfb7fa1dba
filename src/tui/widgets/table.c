/*
 * The table widget (see table.h): display order, selection by key, marks,
 * column layout and drawing over a row source it never copies.  It does not
 * know what a row is; views give it callbacks.  The one rule that keeps it
 * fast with 100,000 rows: only table_refresh() walks every row (filter and
 * sort, O(n log n), one temporary array), and drawing reads only the rows
 * on screen.
 */
#include "tui/lib.h"
#include "tui/widgets/table.h"
#include "tui/keys.h"
#include "tui/theme.h"

/*
 * One row while sorting: its group, its sort key, its index.  Text keys
 * carry their first 16 bytes (case-folded, big-endian), which decides most
 * comparisons without asking the source for the text again ("node-001234"
 * style aliases share 5 bytes, addresses 5 more).
 */
#define SORT_PREFIX 16
struct sort_rec {
	uint64_t group;
	union {
		double num;
		uint64_t prefix[2];
	} k;
	uint32_t row;
};
_Static_assert(sizeof(struct sort_rec) == TABLE_SORT_BYTES_PER_ROW, "see table.h");

struct sort_ctx {
	struct table *t;
	enum table_sort kind;
	int col;
	bool desc;
};

struct table *table_new(const struct table_column *cols, int ncols,
			const struct table_source *src)
{
	if (!cols || ncols <= 0 || ncols > TABLE_MAX_COLUMNS || !src || !src->count ||
	    !src->key || !src->text)
		return NULL;
	struct table *t = r1_calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cols = cols;
	t->ncols = ncols;
	t->src = *src;
	t->sort_col = -1;
	t->show_header = true;
	return t;
}

void table_free(struct table **tp)
{
	struct table *t = *tp;
	if (!t)
		return;
	r1_free(t->order);
	r1_free(t->marks);
	r1_free(t);
	*tp = NULL;
}

void table_set_filter(struct table *t, table_filter_fn fn, void *ctx)
{
	t->filter = fn;
	t->filter_ctx = ctx;
}

static size_t entry_row(uint32_t e)
{
	return e & ~TABLE_GROUP_BIT;
}

static bool entry_is_group(uint32_t e)
{
	return (e & TABLE_GROUP_BIT) != 0;
}

/* The key that identifies entry i for the selection. */
static uint64_t entry_key(const struct table *t, size_t i)
{
	uint32_t e = t->order[i];
	if (entry_is_group(e))
		return t->src.group(t->src.ctx, entry_row(e));
	return t->src.key(t->src.ctx, entry_row(e));
}

static void remember_selection(struct table *t)
{
	if (t->n == 0)
		return;
	t->sel_key = entry_key(t, t->sel);
	t->sel_group = entry_is_group(t->order[t->sel]);
}

/* Put the selection back on its key after a rebuild; else keep its position. */
static void restore_selection(struct table *t, bool had)
{
	if (t->n == 0) {
		t->sel = t->top = 0;
		return;
	}
	if (had && t->sel < t->n && entry_is_group(t->order[t->sel]) == t->sel_group &&
	    entry_key(t, t->sel) == t->sel_key)
		return; /* still where it was: the common case of a refresh */
	if (had) {
		for (size_t i = 0; i < t->n; i++) {
			if (entry_is_group(t->order[i]) != t->sel_group)
				continue;
			if (entry_key(t, i) == t->sel_key) {
				t->sel = i;
				return;
			}
		}
	}
	if (t->sel >= t->n)
		t->sel = t->n - 1;
	remember_selection(t);
}

static bool reserve_order(struct table *t, size_t n)
{
	if (n <= t->cap)
		return true;
	size_t cap = t->cap ? t->cap : 256;
	while (cap < n)
		cap = cap > SIZE_MAX / 4 ? n : cap * 2;
	uint32_t *o = r1_reallocarray(t->order, cap, sizeof(*o));
	if (!o)
		return false;
	t->order = o;
	t->cap = cap;
	return true;
}

/* ---------------------------------------------------------------- sorting */

static int fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static void text_prefix(const char *s, uint64_t out[2])
{
	uint64_t p[2] = {0, 0};
	int i = 0;
	for (; s && i < SORT_PREFIX && s[i]; i++)
		p[i / 8] = (p[i / 8] << 8) | (uint8_t)fold((unsigned char)s[i]);
	for (; i < SORT_PREFIX; i++)
		p[i / 8] <<= 8;
	out[0] = p[0];
	out[1] = p[1];
}

static int text_cmp(const char *a, const char *b)
{
	a = a ? a : "";
	b = b ? b : "";
	for (;; a++, b++) {
		int ca = fold((unsigned char)*a), cb = fold((unsigned char)*b);
		if (ca != cb || !ca)
			return ca - cb;
	}
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int rec_cmp(const void *pa, const void *pb, void *pctx)
{
	const struct sort_rec *a = pa, *b = pb;
	const struct sort_ctx *c = pctx;
	int r = cmp_u64(a->group, b->group);
	if (r)
		return r;
	switch (c->kind) {
	case TABLE_SORT_NUMBER: {
		bool na = a->k.num != a->k.num, nb = b->k.num != b->k.num;
		if (na || nb) {
			r = na - nb; /* NaN last, whichever the direction */
			break;
		}
		r = a->k.num < b->k.num ? -1 : a->k.num > b->k.num;
		if (c->desc)
			r = -r;
		break;
	}
	case TABLE_SORT_TEXT:
		r = cmp_u64(a->k.prefix[0], b->k.prefix[0]);
		if (r == 0)
			r = cmp_u64(a->k.prefix[1], b->k.prefix[1]);
		if (r == 0 && (a->k.prefix[1] & 0xFF) != 0) {
			/* the same first 16 bytes and both go on: read the texts */
			struct table *t = c->t;
			const char *sa = t->src.text(t->src.ctx, a->row, c->col, t->scratch[0],
						     TABLE_CELL_MAX);
			const char *sb = t->src.text(t->src.ctx, b->row, c->col, t->scratch[1],
						     TABLE_CELL_MAX);
			r = text_cmp(sa, sb);
		}
		if (c->desc)
			r = -r;
		break;
	case TABLE_SORT_CUSTOM:
		r = c->t->src.compare(c->t->src.ctx, a->row, b->row, c->col);
		r = r < 0 ? -1 : r > 0;
		if (c->desc)
			r = -r;
		break;
	default:
		break;
	}
	return r ? r : (a->row < b->row ? -1 : a->row > b->row);
}

/*
 * A number as a 64-bit key with the same order (NaN last in either
 * direction), for the radix sort below.
 */
static uint64_t number_key(double v, bool desc)
{
	if (v != v)
		return UINT64_MAX;
	uint64_t u;
	memcpy(&u, &v, sizeof(u));
	u = (u >> 63) ? ~u : u | 0x8000000000000000ull;
	if (desc)
		u = ~u;
	return u == UINT64_MAX ? u - 1 : u;
}

/*
 * Sort numeric records (ungrouped) by a stable LSD radix sort on
 * number_key, a byte at a time, skipping bytes every key shares: ties keep
 * their row order, as rec_cmp's tie-break does, at a fraction of the cost
 * of a comparison sort (100,000 rows is the budget case).  false on OOM.
 */
static bool radix_sort(struct sort_rec *recs, size_t m, bool desc)
{
	struct sort_rec *tmp = r1_reallocarray(NULL, m ? m : 1, sizeof(*tmp));
	if (!tmp)
		return false;
	for (size_t i = 0; i < m; i++)
		recs[i].group = number_key(recs[i].k.num, desc);
	struct sort_rec *src = recs, *dst = tmp;
	for (int shift = 0; shift < 64; shift += 8) {
		size_t count[256] = {0};
		for (size_t i = 0; i < m; i++)
			count[(src[i].group >> shift) & 0xFF]++;
		if (m && count[(src[0].group >> shift) & 0xFF] == m)
			continue; /* every key has this byte */
		size_t at = 0;
		for (int b = 0; b < 256; b++) {
			size_t c = count[b];
			count[b] = at;
			at += c;
		}
		for (size_t i = 0; i < m; i++)
			dst[count[(src[i].group >> shift) & 0xFF]++] = src[i];
		struct sort_rec *x = src;
		src = dst;
		dst = x;
	}
	if (src != recs)
		memcpy(recs, src, m * sizeof(*recs));
	for (size_t i = 0; i < m; i++)
		recs[i].group = 0;
	r1_free(tmp);
	return true;
}

static enum table_sort sort_kind(const struct table *t)
{
	if (t->sort_col < 0 || t->sort_col >= t->ncols)
		return TABLE_SORT_NONE;
	enum table_sort k = t->cols[t->sort_col].sort;
	if ((k == TABLE_SORT_NUMBER && !t->src.number) ||
	    (k == TABLE_SORT_CUSTOM && !t->src.compare))
		return TABLE_SORT_NONE;
	return k;
}

enum r1_err table_refresh(struct table *t)
{
	if (t->frozen) {
		t->stale = true;
		return R1_OK;
	}
	size_t count = t->src.count(t->src.ctx);
	if (count > TABLE_MAX_ROWS)
		return R1_ERR_TOOBIG;
	bool grouped = t->src.group && t->src.group_title;
	enum table_sort kind = sort_kind(t);
	/* sel_key was recorded when the selection was made: the model may
	 * have changed under the old order since, so it cannot be read now */
	bool had = t->n > 0;

	struct sort_rec *recs = NULL;
	if (count && (kind != TABLE_SORT_NONE || grouped)) {
		recs = r1_reallocarray(NULL, count, sizeof(*recs));
		if (!recs)
			return R1_ERR_NOMEM;
	}
	/* filter into recs (or straight into the order when no sort is needed) */
	size_t m = 0;
	if (!recs && !reserve_order(t, count ? count : 1))
		return R1_ERR_NOMEM;
	for (size_t r = 0; r < count; r++) {
		if (t->filter && !t->filter(t->filter_ctx, r))
			continue;
		if (!recs) {
			t->order[m++] = (uint32_t)r;
			continue;
		}
		struct sort_rec *s = &recs[m++];
		s->row = (uint32_t)r;
		s->group = grouped ? t->src.group(t->src.ctx, r) : 0;
		if (kind == TABLE_SORT_NUMBER)
			s->k.num = t->src.number(t->src.ctx, r, t->sort_col);
		else if (kind == TABLE_SORT_TEXT)
			text_prefix(t->src.text(t->src.ctx, r, t->sort_col, t->scratch[0],
						TABLE_CELL_MAX),
				    s->k.prefix);
		else
			s->k.prefix[0] = s->k.prefix[1] = 0;
	}
	t->filtered_out = count - m;
	if (recs) {
		struct sort_ctx c = {t, kind, t->sort_col, t->sort_desc};
		if (kind != TABLE_SORT_NUMBER || grouped || !radix_sort(recs, m, t->sort_desc))
			qsort_r(recs, m, sizeof(*recs), rec_cmp, &c);
		/* count headings so the order array is sized once */
		size_t groups = 0;
		for (size_t i = 0; grouped && i < m; i++)
			groups += i == 0 || recs[i].group != recs[i - 1].group;
		if (!reserve_order(t, R1_MAX(m + groups, (size_t)1))) {
			r1_free(recs);
			return R1_ERR_NOMEM;
		}
		size_t o = 0;
		for (size_t i = 0; i < m; i++) {
			if (grouped && (i == 0 || recs[i].group != recs[i - 1].group))
				t->order[o++] = TABLE_GROUP_BIT | recs[i].row;
			t->order[o++] = recs[i].row;
		}
		m = o;
		r1_free(recs);
	}
	t->n = m;
	t->model_count = count;
	t->stale = false;
	restore_selection(t, had);
	return R1_OK;
}

enum r1_err table_rows_appended(struct table *t)
{
	if (t->frozen) {
		t->stale = true;
		return R1_OK;
	}
	size_t count = t->src.count(t->src.ctx);
	if (sort_kind(t) != TABLE_SORT_NONE || (t->src.group && t->src.group_title) ||
	    count < t->model_count)
		return table_refresh(t);
	if (count > TABLE_MAX_ROWS)
		return R1_ERR_TOOBIG;
	bool at_end = t->n == 0 || t->sel + 1 == t->n;
	if (!reserve_order(t, t->n + (count - t->model_count) + 1))
		return R1_ERR_NOMEM;
	for (size_t r = t->model_count; r < count; r++) {
		if (t->filter && !t->filter(t->filter_ctx, r)) {
			t->filtered_out++;
			continue;
		}
		t->order[t->n++] = (uint32_t)r;
	}
	t->model_count = count;
	if (t->follow && at_end && t->n)
		t->sel = t->n - 1;
	if (t->n)
		remember_selection(t);
	return R1_OK;
}

enum r1_err table_freeze(struct table *t, bool frozen)
{
	t->frozen = frozen;
	return frozen ? R1_OK : table_refresh(t);
}

enum r1_err table_sort_by(struct table *t, int col, bool desc)
{
	if (col >= t->ncols || (col >= 0 && t->cols[col].sort == TABLE_SORT_NONE))
		return R1_ERR_INVAL;
	t->sort_col = col < 0 ? -1 : col;
	t->sort_desc = desc;
	return table_refresh(t);
}

/* -------------------------------------------------------------- selection */

size_t table_count(const struct table *t)
{
	return t->n;
}

bool table_selected(const struct table *t, size_t *row, bool *is_group)
{
	if (t->n == 0)
		return false;
	uint32_t e = t->order[t->sel];
	if (row)
		*row = entry_row(e);
	if (is_group)
		*is_group = entry_is_group(e);
	return true;
}

bool table_select_key(struct table *t, uint64_t key)
{
	for (size_t i = 0; i < t->n; i++)
		if (!entry_is_group(t->order[i]) && entry_key(t, i) == key) {
			t->sel = i;
			remember_selection(t);
			return true;
		}
	return false;
}

void table_select_index(struct table *t, size_t i)
{
	if (t->n == 0)
		return;
	t->sel = i >= t->n ? t->n - 1 : i;
	remember_selection(t);
}

/* ------------------------------------------------------------------ marks */

static size_t mark_pos(const struct table *t, uint64_t key, bool *found)
{
	size_t lo = 0, hi = t->nmarks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->marks[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < t->nmarks && t->marks[lo] == key;
	return lo;
}

static bool mark_set(struct table *t, uint64_t key, bool on)
{
	bool found;
	size_t i = mark_pos(t, key, &found);
	if (found == on)
		return true;
	if (!on) {
		memmove(t->marks + i, t->marks + i + 1, (t->nmarks - i - 1) * sizeof(*t->marks));
		t->nmarks--;
		return true;
	}
	if (t->nmarks == t->marks_cap) {
		size_t cap = t->marks_cap ? t->marks_cap * 2 : 16;
		uint64_t *m = r1_reallocarray(t->marks, cap, sizeof(*m));
		if (!m)
			return false;
		t->marks = m;
		t->marks_cap = cap;
	}
	memmove(t->marks + i + 1, t->marks + i, (t->nmarks - i) * sizeof(*t->marks));
	t->marks[i] = key;
	t->nmarks++;
	return true;
}

bool table_is_marked(const struct table *t, uint64_t key)
{
	bool found;
	mark_pos(t, key, &found);
	return found;
}

void table_mark_toggle(struct table *t)
{
	if (t->n == 0 || entry_is_group(t->order[t->sel]))
		return;
	uint64_t key = entry_key(t, t->sel);
	mark_set(t, key, !table_is_marked(t, key));
}

void table_mark_all(struct table *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (!entry_is_group(t->order[i]) && !mark_set(t, entry_key(t, i), true))
			return;
}

void table_mark_clear(struct table *t)
{
	t->nmarks = 0;
}

const uint64_t *table_marks(const struct table *t, size_t *n)
{
	*n = t->nmarks;
	return t->marks;
}

/* ------------------------------------------------------------------- keys */

static unsigned move_to(struct table *t, long long target)
{
	if (t->n == 0)
		return TUI_CONSUMED;
	if (target < 0)
		target = 0;
	if ((unsigned long long)target >= t->n)
		target = (long long)t->n - 1;
	if ((size_t)target == t->sel)
		return TUI_CONSUMED;
	t->sel = (size_t)target;
	remember_selection(t);
	return TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED;
}

/* Sort by the next sortable column that is on screen (any, before a draw). */
static unsigned sort_step(struct table *t, int dir)
{
	bool laid_out = false;
	for (int c = 0; c < t->ncols; c++)
		laid_out |= t->widths[c] > 0;
	int c = t->sort_col;
	for (int i = 0; i < t->ncols; i++) {
		c = c < 0 ? (dir > 0 ? 0 : t->ncols - 1) : (c + dir + t->ncols) % t->ncols;
		if (t->cols[c].sort != TABLE_SORT_NONE && (!laid_out || t->widths[c] > 0)) {
			table_sort_by(t, c, false);
			return TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED;
		}
	}
	return TUI_CONSUMED;
}

unsigned table_key(struct table *t, int key)
{
	long long sel = (long long)t->sel, page = t->page > 1 ? t->page : 1;
	t->action = TABLE_ACTION_NONE;
	switch (key) {
	case TUI_KEY_UP:
	case 'k':
		return move_to(t, sel - 1);
	case TUI_KEY_DOWN:
	case 'j':
		return move_to(t, sel + 1);
	case TUI_KEY_PGUP:
	case TUI_KEY_CTRL('b'):
		return move_to(t, sel - page);
	case TUI_KEY_PGDN:
	case TUI_KEY_CTRL('f'):
		return move_to(t, sel + page);
	case TUI_KEY_HOME:
	case 'g':
		return move_to(t, 0);
	case TUI_KEY_END:
	case 'G':
		return move_to(t, (long long)t->n - 1);
	case TUI_KEY_SPACE:
		table_mark_toggle(t);
		return move_to(t, sel + 1) | TUI_REDRAW | TUI_CHANGED;
	case TUI_KEY_ENTER:
		if (t->n == 0)
			return TUI_CONSUMED;
		t->action = TABLE_ACTION_OPEN;
		return TUI_CONSUMED | TUI_ACTION;
	case '<':
		return sort_step(t, -1);
	case '>':
		return sort_step(t, 1);
	case 'I':
		if (t->sort_col < 0)
			return TUI_CONSUMED;
		table_sort_by(t, t->sort_col, !t->sort_desc);
		return TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED;
	default:
		return TUI_IGNORED;
	}
}

int table_column_at(const struct table *t, int x)
{
	int left = 0;
	for (int c = 0; c < t->ncols; c++) {
		int w = t->widths[c];
		if (!w)
			continue;
		if (x >= left && x < left + w)
			return c;
		left += w + 1;
	}
	return -1;
}

unsigned table_mouse(struct table *t, const struct tui_mouse *m)
{
	t->action = TABLE_ACTION_NONE;
	if (m->kind == TUI_MOUSE_WHEEL_UP || m->kind == TUI_MOUSE_WHEEL_DOWN)
		return move_to(t, (long long)t->sel + (m->kind == TUI_MOUSE_WHEEL_UP ? -3 : 3));
	int y0 = t->show_header ? 1 : 0;
	if (m->y < 0 || m->x < 0)
		return TUI_IGNORED;
	if (m->y < y0) {
		int c = table_column_at(t, m->x);
		if (c < 0 || t->cols[c].sort == TABLE_SORT_NONE)
			return TUI_CONSUMED;
		table_sort_by(t, c, c == t->sort_col ? !t->sort_desc : false);
		return TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED;
	}
	size_t i = t->top + (size_t)(m->y - y0);
	if (i >= t->n || m->y - y0 >= t->page)
		return TUI_CONSUMED;
	unsigned r = move_to(t, (long long)i) | TUI_REDRAW;
	if (m->kind == TUI_MOUSE_DOUBLE) {
		t->action = TABLE_ACTION_OPEN;
		r |= TUI_ACTION;
	}
	return r;
}

/* ----------------------------------------------------------------- layout */

void table_layout(struct table *t, int width)
{
	bool shown[TABLE_MAX_COLUMNS];
	int total = -1, visible = 0;
	for (int c = 0; c < t->ncols; c++) {
		shown[c] = true;
		total += R1_MAX(t->cols[c].min, 1) + 1;
		visible++;
	}
	/* hide the highest `hide` numbers until the minimums fit */
	while (total > width && visible > 1) {
		int worst = -1;
		for (int c = 0; c < t->ncols; c++)
			if (shown[c] && t->cols[c].hide > 0 &&
			    (worst < 0 || t->cols[c].hide >= t->cols[worst].hide))
				worst = c;
		if (worst < 0)
			break;
		shown[worst] = false;
		total -= R1_MAX(t->cols[worst].min, 1) + 1;
		visible--;
	}
	for (int c = 0; c < t->ncols; c++)
		t->widths[c] = shown[c] ? R1_MAX(t->cols[c].min, 1) : 0;
	/* hand out the spare columns by flex share, up to each max */
	int spare = width - total;
	while (spare > 0) {
		int flex = 0;
		for (int c = 0; c < t->ncols; c++)
			if (t->widths[c] && t->cols[c].flex > 0 &&
			    (t->cols[c].max == 0 || t->widths[c] < t->cols[c].max))
				flex += t->cols[c].flex;
		if (flex == 0)
			break;
		int given = 0, left = spare;
		for (int c = 0; c < t->ncols && left > 0; c++) {
			const struct table_column *col = &t->cols[c];
			if (!t->widths[c] || col->flex <= 0 ||
			    (col->max && t->widths[c] >= col->max))
				continue;
			int add = (int)((long long)spare * col->flex / flex);
			if (add == 0)
				add = 1;
			add = R1_MIN(add, left);
			if (col->max)
				add = R1_MIN(add, col->max - t->widths[c]);
			t->widths[c] += add;
			given += add;
			left -= add;
		}
		if (given == 0)
			break;
		spare -= given;
	}
	/* one column wider than the screen: clip it */
	if (total > width)
		for (int c = 0; c < t->ncols; c++)
			if (t->widths[c])
				t->widths[c] = R1_MAX(R1_MIN(t->widths[c], width), 0);
}

/* ---------------------------------------------------------------- drawing */

static void draw_header(struct table *t, struct grid_area a)
{
	grid_fill(a, 0, 0, a.w, 1, ' ', TUI_ROLE_TABLE_HEADER, 0);
	int x = 0;
	for (int c = 0; c < t->ncols && x < a.w; c++) {
		int w = t->widths[c];
		if (!w)
			continue;
		bool sorted = c == t->sort_col;
		uint16_t role = sorted ? TUI_ROLE_TABLE_HEADER_SORT : TUI_ROLE_TABLE_HEADER;
		unsigned align = t->cols[c].align & GRID_ALIGN_MASK;
		if (sorted && w >= 2) {
			uint32_t arrow = t->sort_desc ? grid_glyph(a.g, 0x2193, 'v')
						      : grid_glyph(a.g, 0x2191, '^');
			int tw = R1_MIN(grid_text_width(t->cols[c].title), w - 1);
			int tx = align == GRID_ALIGN_RIGHT ? x + w - 1 - tw : x;
			grid_field(a, tx, 0, tw, GRID_ALIGN_LEFT, t->cols[c].title, role, 0);
			grid_put(a, tx + tw, 0, arrow, role, 0);
		} else {
			grid_field(a, x, 0, w, align, t->cols[c].title, role, 0);
		}
		x += w + 1;
	}
}

static void draw_row(struct table *t, struct grid_area a, int y, size_t i)
{
	uint32_t e = t->order[i];
	size_t row = entry_row(e);
	bool selected = i == t->sel;
	if (entry_is_group(e)) {
		uint16_t role = selected ? TUI_ROLE_ROW_SELECTED : TUI_ROLE_GROUP;
		const char *title = t->src.group_title(t->src.ctx, row, t->scratch[0],
						       TABLE_CELL_MAX);
		grid_field(a, 0, y, a.w, GRID_ALIGN_LEFT, title, role, 0);
		return;
	}
	uint16_t base = TUI_ROLE_ROW;
	if (t->zebra && (i & 1))
		base = TUI_ROLE_ROW_ALT;
	if (t->nmarks && table_is_marked(t, t->src.key(t->src.ctx, row)))
		base = TUI_ROLE_ROW_MARKED;
	if (selected)
		base = TUI_ROLE_ROW_SELECTED;
	grid_fill(a, 0, y, a.w, 1, ' ', base, 0);
	int x = 0;
	for (int c = 0; c < t->ncols && x < a.w; c++) {
		int w = t->widths[c];
		if (!w)
			continue;
		uint16_t role = base;
		if (!selected && t->src.role) {
			uint16_t r = t->src.role(t->src.ctx, row, c);
			if (r)
				role = r;
		}
		const char *s = t->src.text(t->src.ctx, row, c, t->scratch[0], TABLE_CELL_MAX);
		grid_field(a, x, y, w, t->cols[c].align, s, role, 0);
		x += w + 1;
	}
}

void table_draw(struct table *t, struct grid_area a)
{
	if (a.w <= 0 || a.h <= 0)
		return;
	table_layout(t, a.w);
	int y0 = 0;
	if (t->show_header) {
		draw_header(t, a);
		y0 = 1;
	}
	struct grid_area body = grid_sub(a, 0, y0, a.w, a.h - y0);
	grid_fill(body, 0, 0, body.w, body.h, ' ', TUI_ROLE_ROW, 0);
	t->page = body.h;
	if (body.h <= 0)
		return;
	if (t->n == 0) {
		const char *msg = t->empty_text ? t->empty_text
			       : t->filtered_out ? _("no rows match the filter")
						 : _("no rows");
		grid_field(body, 0, body.h / 2, body.w, GRID_ALIGN_CENTER, msg, TUI_ROLE_ROW_DIM,
			   0);
		return;
	}
	size_t rows = (size_t)body.h;
	if (t->sel < t->top)
		t->top = t->sel;
	if (t->sel >= t->top + rows)
		t->top = t->sel - rows + 1;
	if (t->top + rows > t->n)
		t->top = t->n > rows ? t->n - rows : 0;
	size_t count = t->src.count(t->src.ctx);
	for (size_t k = 0; k < rows && t->top + k < t->n; k++) {
		size_t i = t->top + k;
		if (entry_row(t->order[i]) >= count)
			continue; /* frozen while the model shrank */
		draw_row(t, body, (int)k, i);
	}
}
