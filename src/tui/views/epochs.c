/*
 * The Epochs view (":epochs"): availability as a heatmap, one row per node
 * (by alias), one column per epoch, the running epoch on the right.  The
 * recent epochs come from the netmap's own count (what this console saw);
 * older ones, when there is a cache, from the cache, read only for the rows
 * on screen.  '/' filters the rows by alias or address.
 */
#include "tui/lib.h"
#include "tui/fmt.h"
#include "tui/theme.h"
#include "tui/views/views.h"
#include "tui/widgets/filter.h"
#include "tui/widgets/heatmap.h"
#include "core/cache.h"
#include "core/netmap.h"
#include "core/sanitize.h"

#define EPOCHS_WITH_CACHE 48

struct older {
	bool loaded;
	int16_t v[EPOCHS_WITH_CACHE]; /* -1 = unknown */
};

struct epochs_view {
	struct view v;
	struct heatmap hm;
	struct filter f;
	uint32_t *rows; /* netmap indexes, by alias */
	size_t nrows, cap;
	size_t known; /* netmap count at the last build */
	int64_t cur;  /* the running epoch at the last build */
	size_t ncols;
	struct older *older; /* per netmap index, from the cache; NULL = no cache */
	size_t older_n;
};

static struct netmap *nm_of(struct epochs_view *ev)
{
	return app_model(ev->v.app)->nm;
}

static int cmp_alias(const void *a, const void *b, void *ctx)
{
	struct netmap *nm = ctx;
	const struct nm_node *x = netmap_at(nm, *(const uint32_t *)a);
	const struct nm_node *y = netmap_at(nm, *(const uint32_t *)b);
	int c = strcasecmp(x->info.alias, y->info.alias);
	return c ? c : strcmp(x->info.addr, y->info.addr);
}

static bool shown(struct epochs_view *ev, const struct nm_node *n);

static void build(struct epochs_view *ev)
{
	struct tui_model *m = app_model(ev->v.app);
	size_t count = netmap_count(m->nm);
	ev->known = count;
	ev->cur = epoch_id_at(&m->epochs, m->now_ms * 1000);
	if (count > ev->cap) {
		uint32_t *r = r1_reallocarray(ev->rows, count, sizeof(*r));
		if (!r)
			return;
		ev->rows = r;
		ev->cap = count;
	}
	ev->nrows = 0;
	for (size_t i = 0; i < count; i++)
		if (shown(ev, netmap_at(m->nm, i)))
			ev->rows[ev->nrows++] = (uint32_t)i;
	qsort_r(ev->rows, ev->nrows, sizeof(*ev->rows), cmp_alias, m->nm);
	if (m->cache && count > ev->older_n) {
		struct older *o = r1_reallocarray(ev->older, count, sizeof(*o));
		if (o) {
			memset(o + ev->older_n, 0, (count - ev->older_n) * sizeof(*o));
			ev->older = o;
			ev->older_n = count;
		}
	}
	for (size_t i = 0; i < ev->older_n; i++)
		ev->older[i].loaded = false;
}

/* ------------------------------------------------------------- source */

static size_t h_rows(void *ctx)
{
	return ((struct epochs_view *)ctx)->nrows;
}

static size_t h_cols(void *ctx)
{
	return ((struct epochs_view *)ctx)->ncols;
}

static int64_t col_epoch(struct epochs_view *ev, size_t col)
{
	return ev->cur - (int64_t)(ev->ncols - 1 - col);
}

static const char *h_row_label(void *ctx, size_t row, char *scratch, size_t size)
{
	struct epochs_view *ev = ctx;
	const struct nm_node *n = netmap_at(nm_of(ev), ev->rows[row]);
	const char *s = n->info.alias[0] ? n->info.alias : n->info.addr;
	r1_sanitize_into(scratch, size, s, strlen(s), 0);
	return scratch;
}

static const char *h_col_label(void *ctx, size_t col, char *scratch, size_t size)
{
	struct epochs_view *ev = ctx;
	snprintf(scratch, size, "%" PRId64, col_epoch(ev, col));
	return scratch;
}

static void load_older(struct epochs_view *ev, uint32_t idx)
{
	struct older *o = &ev->older[idx];
	o->loaded = true;
	for (size_t i = 0; i < EPOCHS_WITH_CACHE; i++)
		o->v[i] = -1;
	struct tui_model *m = app_model(ev->v.app);
	struct cache_avail_row rows[EPOCHS_WITH_CACHE];
	size_t n = 0;
	int64_t from = ev->cur - EPOCHS_WITH_CACHE + 1;
	if (cache_avail(m->cache, netmap_at(m->nm, idx)->info.addr, from, ev->cur, rows,
	                EPOCHS_WITH_CACHE, &n, NULL) != R1_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		int64_t k = rows[i].epoch - from;
		if (k >= 0 && k < EPOCHS_WITH_CACHE)
			o->v[k] = (int16_t)rows[i].avail;
	}
}

static int h_value(void *ctx, size_t row, size_t col)
{
	struct epochs_view *ev = ctx;
	uint32_t idx = ev->rows[row];
	int64_t e = col_epoch(ev, col);
	int v = view_node_avail(ev->v.app, netmap_at(nm_of(ev), idx), e);
	if (v >= 0 || !ev->older || idx >= ev->older_n)
		return v;
	if (!ev->older[idx].loaded)
		load_older(ev, idx);
	int64_t k = e - (ev->cur - EPOCHS_WITH_CACHE + 1);
	return k >= 0 && k < EPOCHS_WITH_CACHE ? ev->older[idx].v[k] : -1;
}

/* --------------------------------------------------------------- filter */

static const char *f_text(void *ctx, size_t i, char *scratch, size_t size)
{
	(void)scratch;
	(void)size;
	const struct nm_node *n = ctx;
	return i == 0 ? n->info.alias : i == 1 ? n->info.addr : NULL;
}

static bool f_field(void *ctx, const struct filter_term *t)
{
	const struct nm_node *n = ctx;
	if (strcmp(t->key, "alias") == 0)
		return filter_text_matches(t, n->info.alias);
	if (strcmp(t->key, "online") == 0)
		return filter_bool_matches(t, n->online);
	if (strcmp(t->key, "oracle") == 0)
		return filter_bool_matches(t, n->info.oracle);
	return false;
}

static bool shown(struct epochs_view *ev, const struct nm_node *n)
{
	struct filter_row fr = {(void *)n, f_text, f_field};
	return filter_match(&ev->f, &fr);
}

static enum r1_err v_filter(struct view *v, const char *text, char **why)
{
	static const char *const keys[] = {"alias", "online", "oracle"};
	struct epochs_view *ev = (struct epochs_view *)v;
	enum r1_err e = filter_set(&ev->f, text, keys, R1_ARRAY_LEN(keys), why);
	if (e)
		return e;
	build(ev);
	ev->hm.sel_row = 0;
	return R1_OK;
}

/* ------------------------------------------------------------------ view */

static void v_draw(struct view *v, struct grid_area a)
{
	struct epochs_view *ev = (struct epochs_view *)v;
	struct tui_model *m = app_model(v->app);
	if (netmap_count(m->nm) != ev->known ||
	    epoch_id_at(&m->epochs, m->now_ms * 1000) != ev->cur)
		build(ev);
	int label = 0;
	for (size_t i = 0; i < ev->nrows && i < 4096; i++) {
		char s[64];
		label = R1_MAX(label, grid_text_width(h_row_label(ev, i, s, sizeof(s))));
	}
	ev->hm.label_w = R1_MIN(R1_MAX(label, 6), 20);
	struct grid_area map = grid_sub(a, 0, 0, a.w, a.h - 2);
	heatmap_draw(&ev->hm, map);
	size_t row, col;
	char text[256], pct[16], alias[64];
	if (heatmap_selected(&ev->hm, &row, &col)) {
		int val = h_value(ev, row, col);
		h_row_label(ev, row, alias, sizeof(alias));
		if (val >= 0)
			snprintf(text, sizeof(text),
			         _("%s, epoch %" PRId64 ": %s available (%d/255)%s"), alias,
			         col_epoch(ev, col), fmt_avail(pct, sizeof(pct), val), val,
			         col_epoch(ev, col) == ev->cur ? _(", so far") : "");
		else
			snprintf(text, sizeof(text), _("%s, epoch %" PRId64 ": not seen"), alias,
			         col_epoch(ev, col));
		grid_field(a, 0, a.h - 1, a.w, GRID_ALIGN_LEFT, text, TUI_ROLE_DEFAULT, 0);
	} else {
		grid_text(a, 0, 0, _("no nodes yet"), TUI_ROLE_ROW_DIM, 0);
	}
	/* the legend, in the heatmap's own glyphs and colours */
	static const uint32_t glyphs[] = {0x00B7, 0x2591, 0x2592, 0x2593, 0x2588};
	static const char ascii[] = ".:-+#";
	static const char *const ranges[] = {"0-19%", "20-39%", "40-59%", "60-79%", "80-100%"};
	int x = grid_text(a, 0, a.h - 2, _("availability"), TUI_ROLE_LABEL, 0) + 1;
	for (int i = 0; i < 5; i++) {
		x += grid_put(a, x, a.h - 2, grid_glyph(a.g, glyphs[i], ascii[i]),
		              (uint16_t)(TUI_ROLE_HEAT_0 + i), 0);
		x = grid_text(a, x + 1, a.h - 2, ranges[i], TUI_ROLE_LABEL, 0) + 2;
	}
	grid_text(a, x, a.h - 2, _("blank: not seen"), TUI_ROLE_LABEL, 0);
}

static unsigned v_key(struct view *v, int key)
{
	return heatmap_key(&((struct epochs_view *)v)->hm, key);
}

static unsigned k_open(void *ctx)
{
	struct epochs_view *ev = ctx;
	size_t row, col;
	if (heatmap_selected(&ev->hm, &row, &col))
		app_push(ev->v.app, view_node_new(ev->v.app, netmap_at(nm_of(ev), ev->rows[row])));
	return TUI_CONSUMED | TUI_REDRAW;
}

static const struct keymap_entry keys[] = {
    {TUI_KEY_ENTER, N_("open"), N_("open the selected node"), KEYMAP_BAR, k_open},
};

static bool v_event(struct view *v, const struct nm_event *e)
{
	(void)v;
	return e->type == NM_EV_NODE_NEW || e->type == NM_EV_EPOCH_CLOSED ||
	       e->type == NM_EV_HEARTBEAT;
}

static void v_status(struct view *v, struct buf *out)
{
	struct epochs_view *ev = (struct epochs_view *)v;
	buf_addf(out, _("%zu nodes, epochs %" PRId64 " to %" PRId64), ev->nrows, col_epoch(ev, 0),
	         ev->cur);
}

static void v_free(struct view *v)
{
	struct epochs_view *ev = (struct epochs_view *)v;
	filter_release(&ev->f);
	r1_free(ev->rows);
	r1_free(ev->older);
	r1_free(ev);
}

static const struct view_ops ops = {
    .free = v_free,
    .draw = v_draw,
    .key = v_key,
    .filter = v_filter,
    .event = v_event,
    .status = v_status,
};

static enum r1_err v_open(struct app *app, const char *arg, struct view **out, char **why)
{
	struct epochs_view *ev = r1_calloc(1, sizeof(*ev));
	if (!ev)
		return r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	view_init(&ev->v, &view_epochs_class, &ops, app, NULL);
	ev->v.keys = keys;
	ev->v.nkeys = R1_ARRAY_LEN(keys);
	filter_init(&ev->f);
	ev->ncols = app_model(app)->cache ? EPOCHS_WITH_CACHE : NM_AVAIL_HISTORY + 1;
	struct heatmap_source src = {ev, h_rows, h_cols, h_row_label, h_col_label, h_value};
	heatmap_init(&ev->hm, &src);
	ev->hm.cell_w = 2;
	build(ev);
	if (arg && *arg) {
		enum r1_err e = v_filter(&ev->v, arg, why);
		if (e) {
			v_free(&ev->v);
			return e;
		}
		snprintf(ev->v.filter, sizeof(ev->v.filter), "%s", arg);
	}
	*out = &ev->v;
	return R1_OK;
}

const struct view_class view_epochs_class = {
    .name = "epochs",
    .alias = "ep",
    .title = N_("Epochs"),
    .help = N_("availability per node per epoch"),
    .open = v_open,
};
