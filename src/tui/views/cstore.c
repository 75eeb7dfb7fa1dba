/*
 * The CStore view (":cstore [NODE]"): the replica of one node this console
 * hosts, keys and hashes, read straight from its CStore engine.  Plain keys
 * come first, then one group per hash (its name when the node learned it,
 * else its hashed prefix), each row with the value (compact JSON), the
 * owner, the confirmations of a write made here ("peer" for one applied
 * from a peer), and how the other hosted nodes' copies compare ("2/3": two
 * of the three others hold this very version; fewer is highlighted).
 * Enter opens the record in full; e, n and d edit, add and delete, each
 * confirmed first.  Tab and [ ] move to the next or previous hosted node.
 *
 * The rows point at the replica's records, which a change may free: the
 * model's observer counts the engine's changes, and every entry point
 * (draw, keys, mouse, status, filter) rebuilds the rows first when the
 * count moved.  Nothing here keeps a record across loop iterations
 * otherwise.
 */
#include "tui/lib.h"
#include "tui/fmt.h"
#include "tui/theme.h"
#include "tui/views/csview.h"
#include "tui/views/views.h"
#include "tui/widgets/filter.h"
#include "tui/widgets/table.h"
#include "core/sanitize.h"

#include <math.h>

enum { C_KEY, C_VALUE, C_OWNER, C_CONF, C_RO, C_COPIES, C_UPDATED, C_WRITER, C__COUNT };

struct csrow {
	const struct replica_record *rec;
	uint64_t group; /* 0: plain keys; 1 + the hash's rank by name */
};

struct cstore_view {
	struct view v;
	struct table *t;
	struct table_column cols[C__COUNT];
	struct filter f;
	size_t host;       /* index in the model's hosts */
	struct cstore *cs; /* the engine the rows were built from */
	uint64_t changes;  /* its change count then */
	struct csrow *rows;
	size_t nrows, cap;
	size_t nhashes;
};

static struct tui_host *host_of(struct cstore_view *cv)
{
	return view_host(cv->v.app, cv->host);
}

/* ------------------------------------------------------------ rows */

struct collect {
	struct cstore_view *cv;
	bool oom;
};

static bool collect_one(void *ctx, const struct replica_record *rec)
{
	struct collect *c = ctx;
	struct cstore_view *cv = c->cv;
	if (cv->nrows == cv->cap) {
		size_t cap = cv->cap ? cv->cap * 2 : 64;
		struct csrow *r = r1_reallocarray(cv->rows, cap, sizeof(*r));
		if (!r) {
			c->oom = true;
			return false;
		}
		cv->rows = r;
		cv->cap = cap;
	}
	cv->rows[cv->nrows++] = (struct csrow){rec, 0};
	return true;
}

/* By group, then by key (groups numbered in display order by build_rows). */
static int row_cmp(const void *pa, const void *pb)
{
	const struct csrow *a = pa, *b = pb;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	return strcmp(a->rec->key, b->rec->key);
}

static int key_cmp(const void *pa, const void *pb)
{
	return strcmp(((const struct csrow *)pa)->rec->key, ((const struct csrow *)pb)->rec->key);
}

struct hashname {
	const char *key;  /* the first field's key: its first HKEY_PREFIX_LEN bytes */
	const char *name; /* or NULL (then the prefix stands for it) */
	uint64_t group;
};

static int name_cmp(const void *pa, const void *pb)
{
	const struct hashname *a = pa, *b = pb;
	int c = strcmp(a->name ? a->name : a->key, b->name ? b->name : b->key);
	return c ? c : strncmp(a->key, b->key, HKEY_PREFIX_LEN);
}

/*
 * Plain keys first (group 0), then one group per hash in the order of the
 * hashes' names (a name another hosted node knows counts), fields by key.
 */
static void order_rows(struct cstore_view *cv, const struct replica *r)
{
	if (!cv->nrows)
		return;
	qsort(cv->rows, cv->nrows, sizeof(*cv->rows), key_cmp);
	size_t nh = 0;
	for (size_t i = 0; i < cv->nrows; i++) {
		const char *k = cv->rows[i].rec->key;
		bool composed = hkey_is_composed(k, strlen(k));
		if (composed &&
		    (!nh || strncmp(cv->rows[i - 1].rec->key, k, HKEY_PREFIX_LEN) != 0 ||
		     cv->rows[i - 1].group == 0))
			nh++;
		cv->rows[i].group = composed ? nh : 0;
	}
	cv->nhashes = nh;
	struct hashname *h = nh ? r1_calloc(nh, sizeof(*h)) : NULL;
	if (nh && !h)
		return; /* key order, groups by prefix: still right, less friendly */
	for (size_t i = 0; i < cv->nrows; i++) {
		uint64_t g = cv->rows[i].group;
		if (!g || h[g - 1].key)
			continue;
		char prefix[HKEY_PREFIX_LEN + 1];
		memcpy(prefix, cv->rows[i].rec->key, HKEY_PREFIX_LEN);
		prefix[HKEY_PREFIX_LEN] = '\0';
		h[g - 1] =
		    (struct hashname){cv->rows[i].rec->key, csv_hash_name(cv->v.app, r, prefix), g};
	}
	qsort(h, nh, sizeof(*h), name_cmp);
	uint64_t *rank = r1_calloc(nh + 1, sizeof(*rank));
	if (rank) {
		for (size_t k = 0; k < nh; k++)
			rank[h[k].group] = k + 1;
		for (size_t i = 0; i < cv->nrows; i++)
			cv->rows[i].group = rank[cv->rows[i].group];
		qsort(cv->rows, cv->nrows, sizeof(*cv->rows), row_cmp);
	}
	r1_free(rank);
	r1_free(h);
}

static void build_rows(struct cstore_view *cv)
{
	struct tui_host *h = host_of(cv);
	struct cstore *cs = h ? tui_host_cstore(h) : NULL;
	cv->nrows = 0;
	cv->nhashes = 0;
	cv->cs = cs;
	cv->changes = h ? h->cstore_changes : 0;
	if (!cs)
		return;
	struct collect c = {cv, false};
	replica_foreach(cstore_replica(cs), NULL, collect_one, &c);
	if (c.oom)
		cv->nrows = 0;
	else
		order_rows(cv, cstore_replica(cs));
}

/* The rows again if the engine changed since they were built. */
static void sync_rows(struct cstore_view *cv)
{
	struct tui_host *h = host_of(cv);
	struct cstore *cs = h ? tui_host_cstore(h) : NULL;
	if (cs == cv->cs && (!h || h->cstore_changes == cv->changes))
		return;
	build_rows(cv);
	table_refresh(cv->t);
}

static const struct replica_record *rec_at(struct cstore_view *cv, size_t row)
{
	return row < cv->nrows ? cv->rows[row].rec : NULL;
}

/* ------------------------------------------------------------ the source */

static size_t s_count(void *ctx)
{
	return ((struct cstore_view *)ctx)->nrows;
}

static uint64_t s_key(void *ctx, size_t row)
{
	const struct replica_record *r = rec_at(ctx, row);
	return r ? view_hash_str(VIEW_HASH_SEED, r->key) : 0;
}

/* Other hosted nodes holding this version, and how many others there are. */
static void copies(struct cstore_view *cv, const struct replica_record *rec, size_t *same,
                   size_t *others)
{
	struct tui_model *m = app_model(cv->v.app);
	*same = *others = 0;
	for (size_t i = 0; i < m->n_hosts; i++) {
		if (i == cv->host)
			continue;
		enum csv_copy c = csv_compare_host(&m->hosts[i], rec);
		if (c == CSV_UNKNOWN)
			continue;
		(*others)++;
		*same += c == CSV_SAME;
	}
}

static const char *s_text(void *ctx, size_t row, int col, char *scratch, size_t size)
{
	struct cstore_view *cv = ctx;
	const struct replica_record *r = rec_at(cv, row);
	if (!r)
		return NULL;
	struct buf b = BUF_INIT;
	switch (col) {
	case C_KEY: {
		char prefix[HKEY_PREFIX_LEN + 1];
		const char *hname;
		csv_split_key(cstore_replica(cv->cs), r->key, prefix, &hname, &b);
		break;
	}
	case C_VALUE:
		r1_sanitize_append(&b, r->value, R1_MIN(r->value_len, (size_t)TABLE_CELL_MAX), 0);
		break;
	case C_OWNER:
		csv_owner_text(cv->v.app, r->owner, &b);
		break;
	case C_CONF:
		if (r->confirms < 0)
			return _("peer");
		snprintf(scratch, size, "%d/%zu", r->confirms, r->npeers);
		return scratch;
	case C_RO:
		return r->readonly ? _("ro") : "";
	case C_COPIES: {
		size_t same, others;
		copies(cv, r, &same, &others);
		if (!others)
			return "-";
		snprintf(scratch, size, "%zu/%zu", same, others);
		return scratch;
	}
	case C_UPDATED:
		return fmt_ago(scratch, size, app_now(cv->v.app) - r->updated_us / 1000);
	case C_WRITER:
		if (!r->writer)
			return "-";
		csv_node_name(cv->v.app, r->writer, scratch, size);
		return scratch;
	}
	snprintf(scratch, size, "%s", buf_ok(&b) ? buf_cstr(&b) : "");
	buf_release(&b);
	return scratch;
}

static double s_number(void *ctx, size_t row, int col)
{
	struct cstore_view *cv = ctx;
	const struct replica_record *r = rec_at(cv, row);
	if (!r)
		return NAN;
	switch (col) {
	case C_CONF:
		return r->confirms < 0 ? NAN : r->confirms;
	case C_RO:
		return r->readonly;
	case C_COPIES: {
		size_t same, others;
		copies(cv, r, &same, &others);
		return others ? (double)same / (double)others : NAN;
	}
	case C_UPDATED:
		return (double)(app_now(cv->v.app) - r->updated_us / 1000);
	}
	return NAN;
}

static uint16_t s_role(void *ctx, size_t row, int col)
{
	struct cstore_view *cv = ctx;
	const struct replica_record *r = rec_at(cv, row);
	if (!r)
		return 0;
	if (col == C_CONF && r->confirms >= 0 && r->confirms < r->min_confirms)
		return r->pending ? TUI_ROLE_STATUS_STALE : TUI_ROLE_STATUS_WARN;
	if (col == C_COPIES) {
		size_t same, others;
		copies(cv, r, &same, &others);
		return same < others ? TUI_ROLE_STATUS_WARN : 0;
	}
	if (col == C_RO && r->readonly)
		return TUI_ROLE_ROW_DIM;
	return 0;
}

static uint64_t s_group(void *ctx, size_t row)
{
	struct cstore_view *cv = ctx;
	return row < cv->nrows ? cv->rows[row].group : 0;
}

static const char *s_group_title(void *ctx, size_t row, char *scratch, size_t size)
{
	struct cstore_view *cv = ctx;
	const struct replica_record *r = rec_at(cv, row);
	if (!r)
		return NULL;
	uint64_t g = cv->rows[row].group;
	size_t n = 0;
	for (size_t i = row; i < cv->nrows && cv->rows[i].group == g; i++)
		n++;
	for (size_t i = row; i-- > 0 && cv->rows[i].group == g;)
		n++;
	if (!g) {
		snprintf(scratch, size, ngettext("%zu key", "%zu keys", n), n);
		return scratch;
	}
	char prefix[HKEY_PREFIX_LEN + 1];
	const char *hname = NULL;
	struct buf field = BUF_INIT, name = BUF_INIT;
	csv_split_key(cstore_replica(cv->cs), r->key, prefix, &hname, &field);
	bool here = hname != NULL;
	hname = csv_hash_name(cv->v.app, cstore_replica(cv->cs), prefix);
	if (hname)
		r1_sanitize_append(&name, hname, strlen(hname), 0);
	else
		buf_adds(&name, prefix);
	/* TRANSLATORS: a CStore hash and its field count: "hash jobs (3 fields)" */
	int len =
	    snprintf(scratch, size, ngettext("hash %s (%zu field)", "hash %s (%zu fields)", n),
	             buf_ok(&name) ? buf_cstr(&name) : "?", n);
	if (!here && len > 0 && (size_t)len < size)
		snprintf(scratch + len, size - (size_t)len, "  %s",
		         hname ? _("(name learned from another hosted node)")
		               : _("(its name is not known here)"));
	buf_release(&field);
	buf_release(&name);
	return scratch;
}

/* -------------------------------------------------------------- filter */

static const char *const filter_keys[] = {"key", "hash", "value", "owner", "ro", "conf", "writer"};

struct frow {
	struct cstore_view *cv;
	size_t row;
};

static const char *f_text(void *ctx, size_t i, char *scratch, size_t size)
{
	const struct frow *r = ctx;
	static const int cols[] = {C_KEY, C_VALUE, C_OWNER};
	if (i == R1_ARRAY_LEN(cols)) {
		/* the hash's name */
		const struct replica_record *rec = rec_at(r->cv, r->row);
		char prefix[HKEY_PREFIX_LEN + 1];
		const char *hname = NULL;
		struct buf f = BUF_INIT;
		if (csv_split_key(cstore_replica(r->cv->cs), rec->key, prefix, &hname, &f))
			hname = csv_hash_name(r->cv->v.app, cstore_replica(r->cv->cs), prefix);
		buf_release(&f);
		r1_sanitize_into(scratch, size, hname ? hname : "", hname ? strlen(hname) : 0, 0);
		return scratch;
	}
	return i < R1_ARRAY_LEN(cols) ? s_text(r->cv, r->row, cols[i], scratch, size) : NULL;
}

static bool f_field(void *ctx, const struct filter_term *t)
{
	const struct frow *r = ctx;
	char scratch[TABLE_CELL_MAX];
	static const struct {
		const char *key;
		int col;
	} text_cols[] = {
	    {"key", C_KEY},
	    {"value", C_VALUE},
	    {"owner", C_OWNER},
	    {"writer", C_WRITER},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(text_cols); i++)
		if (strcmp(t->key, text_cols[i].key) == 0)
			return filter_text_matches(
			    t, s_text(r->cv, r->row, text_cols[i].col, scratch, sizeof(scratch)));
	if (strcmp(t->key, "hash") == 0)
		return filter_text_matches(t, f_text(ctx, 3, scratch, sizeof(scratch)));
	const struct replica_record *rec = rec_at(r->cv, r->row);
	if (strcmp(t->key, "ro") == 0)
		return filter_bool_matches(t, rec->readonly);
	if (strcmp(t->key, "conf") == 0)
		return filter_number_matches(t, rec->confirms < 0 ? NAN : rec->confirms);
	return false;
}

static bool row_shown(void *ctx, size_t row)
{
	struct cstore_view *cv = ctx;
	struct frow r = {cv, row};
	struct filter_row fr = {&r, f_text, f_field};
	return filter_match(&cv->f, &fr);
}

static enum r1_err v_filter(struct view *v, const char *text, char **why)
{
	struct cstore_view *cv = (struct cstore_view *)v;
	enum r1_err e = filter_set(&cv->f, text, filter_keys, R1_ARRAY_LEN(filter_keys), why);
	if (e)
		return e;
	sync_rows(cv);
	table_set_filter(cv->t, cv->f.n ? row_shown : NULL, cv);
	table_refresh(cv->t);
	return R1_OK;
}

/* --------------------------------------------------------------- actions */

static const struct replica_record *selected(struct cstore_view *cv)
{
	size_t row;
	bool group;
	sync_rows(cv);
	if (!table_selected(cv->t, &row, &group))
		return NULL;
	return rec_at(cv, row);
}

static unsigned open_record(struct cstore_view *cv)
{
	const struct replica_record *r = selected(cv);
	struct tui_host *h = host_of(cv);
	if (r && h)
		app_push(cv->v.app, view_cstore_key_new(cv->v.app, h, r->key));
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_open(void *ctx)
{
	return open_record(ctx);
}

static unsigned k_edit(void *ctx)
{
	struct cstore_view *cv = ctx;
	const struct replica_record *r = selected(cv);
	if (r)
		csv_edit(cv->v.app, host_of(cv), r->key);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_new(void *ctx)
{
	struct cstore_view *cv = ctx;
	struct tui_host *h = host_of(cv);
	if (!h)
		return TUI_CONSUMED;
	/* on a hash's row: a new field of that hash */
	const struct replica_record *r = selected(cv);
	char prefix[HKEY_PREFIX_LEN + 1];
	const char *hname = NULL;
	struct buf f = BUF_INIT;
	if (r && csv_split_key(cstore_replica(cv->cs), r->key, prefix, &hname, &f))
		hname = csv_hash_name(cv->v.app, cstore_replica(cv->cs), prefix);
	buf_release(&f);
	csv_new(cv->v.app, h, hname);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_delete(void *ctx)
{
	struct cstore_view *cv = ctx;
	const struct replica_record *r = selected(cv);
	if (r)
		csv_delete(cv->v.app, host_of(cv), r->key);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_value(void *ctx)
{
	struct cstore_view *cv = ctx;
	const struct replica_record *r = selected(cv);
	if (!r)
		return TUI_CONSUMED;
	struct buf b = BUF_INIT;
	fmt_json_pretty(r->value, r->value_len, 2, &b);
	struct buf crumb = BUF_INIT;
	char prefix[HKEY_PREFIX_LEN + 1];
	const char *hname = NULL;
	csv_split_key(cstore_replica(cv->cs), r->key, prefix, &hname, &crumb);
	if (buf_ok(&b) && buf_ok(&crumb))
		app_push(cv->v.app, view_text_new(cv->v.app, buf_cstr(&crumb), buf_cstr(&b)));
	buf_release(&b);
	buf_release(&crumb);
	return TUI_CONSUMED | TUI_REDRAW;
}

static void switch_host(struct cstore_view *cv, int step)
{
	size_t next = view_host_step(cv->v.app, cv->host, step);
	if (next == cv->host)
		return;
	cv->host = next;
	view_host_crumb(&cv->v, cv->host, _("CStore"));
	build_rows(cv);
	table_refresh(cv->t);
	table_select_index(cv->t, 0);
}

static unsigned k_next(void *ctx)
{
	switch_host(ctx, 1);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_prev(void *ctx)
{
	switch_host(ctx, -1);
	return TUI_CONSUMED | TUI_REDRAW;
}

static const struct keymap_entry keys[] = {
    {TUI_KEY_ENTER, N_("open"), N_("the record in full, with its copies"), KEYMAP_BAR, k_open},
    {'v', N_("value"), N_("the value alone, pretty-printed"), KEYMAP_BAR, k_value},
    {'e', N_("edit"), N_("edit the value (confirmed before it is written)"),
     KEYMAP_BAR | KEYMAP_WRITES, k_edit},
    {'n', N_("new"), N_("a new key, or a new field of the hash"), KEYMAP_BAR | KEYMAP_WRITES,
     k_new},
    {'d', N_("delete"), N_("delete the key (confirmed)"), KEYMAP_BAR | KEYMAP_WRITES, k_delete},
    {TUI_KEY_TAB, N_("node"), N_("the next hosted node"), KEYMAP_BAR, k_next},
    {']', NULL, N_("the next hosted node"), KEYMAP_NO_HELP, k_next},
    {'[', NULL, N_("the previous hosted node"), 0, k_prev},
};

/* ------------------------------------------------------------------ view */

static void draw_summary(struct cstore_view *cv, struct grid_area a)
{
	struct tui_model *m = app_model(cv->v.app);
	struct tui_host *h = host_of(cv);
	struct buf b = BUF_INIT;
	char name[64];
	csv_node_name(cv->v.app, h->addr, name, sizeof(name));
	buf_addf(&b, _("replica of %s"), name);
	if (m->n_hosts > 1)
		buf_addf(&b, " (%zu/%zu)", cv->host + 1, m->n_hosts);
	if (cv->cs) {
		size_t plain = 0;
		for (size_t i = 0; i < cv->nrows; i++)
			plain += cv->rows[i].group == 0;
		buf_adds(&b, "  ");
		buf_addf(&b, ngettext("%zu key", "%zu keys", plain), plain);
		buf_adds(&b, ", ");
		buf_addf(&b, ngettext("%zu hash", "%zu hashes", cv->nhashes), cv->nhashes);
		buf_addf(&b, _("  waiting %zu  refused %" PRIu64), cstore_pending(cv->cs),
		         cstore_refusals(cv->cs));
	}
	grid_field(a, 0, 0, a.w, GRID_ALIGN_LEFT, buf_ok(&b) ? buf_cstr(&b) : "", TUI_ROLE_ROW_DIM,
	           0);
	buf_release(&b);
}

static void v_draw(struct view *v, struct grid_area a)
{
	struct cstore_view *cv = (struct cstore_view *)v;
	struct tui_model *m = app_model(v->app);
	if (!m->n_hosts) {
		grid_field(a, 0, a.h / 2 - 1, a.w, GRID_ALIGN_CENTER,
		           _("This console hosts no node, so it has no CStore replica to show."),
		           TUI_ROLE_TITLE, 0);
		grid_field(a, 0, a.h / 2 + 1, a.w, GRID_ALIGN_CENTER,
		           _("Start it with --node (or the embedded or demo network); for another "
		             "node: r1console cstore --node ALIAS."),
		           TUI_ROLE_ROW_DIM, 0);
		return;
	}
	sync_rows(cv);
	draw_summary(cv, grid_sub(a, 0, 0, a.w, 1));
	if (!cv->cs) {
		grid_field(a, 0, a.h / 2, a.w, GRID_ALIGN_CENTER,
		           _("The node's CStore (CHAIN_STORE_BASE) is not running."),
		           TUI_ROLE_ROW_DIM, 0);
		return;
	}
	table_draw(cv->t, grid_sub(a, 0, 1, a.w, a.h - 1));
}

static bool v_host(struct view *v, struct tui_host *h)
{
	(void)v;
	(void)h;
	return true; /* its own rows, or another node's copies */
}

static unsigned v_key(struct view *v, int key)
{
	struct cstore_view *cv = (struct cstore_view *)v;
	sync_rows(cv);
	unsigned r = table_key(cv->t, key);
	if ((r & TUI_ACTION) && cv->t->action == TABLE_ACTION_OPEN)
		return open_record(cv);
	return r;
}

static unsigned v_mouse(struct view *v, const struct tui_mouse *m)
{
	struct cstore_view *cv = (struct cstore_view *)v;
	sync_rows(cv);
	struct tui_mouse mm = *m;
	mm.y -= 1; /* the summary line */
	unsigned r = table_mouse(cv->t, &mm);
	if ((r & TUI_ACTION) && cv->t->action == TABLE_ACTION_OPEN)
		return open_record(cv);
	return r;
}

static void v_status(struct view *v, struct buf *out)
{
	struct cstore_view *cv = (struct cstore_view *)v;
	sync_rows(cv);
	size_t shown = 0;
	for (size_t i = 0; i < cv->t->n; i++)
		shown += !(cv->t->order[i] & TABLE_GROUP_BIT);
	if (cv->f.n)
		buf_addf(out, _("%zu of %zu records match"), shown, cv->nrows);
	else
		buf_addf(out, ngettext("%zu record", "%zu records", cv->nrows), cv->nrows);
	if (cv->t->sort_col >= 0)
		buf_addf(out, _(", sorted by %s"), cv->cols[cv->t->sort_col].title);
}

static bool v_tick(struct view *v)
{
	(void)v;
	return true; /* ages, and confirmations that count in place */
}

static void v_resume(struct view *v)
{
	struct cstore_view *cv = (struct cstore_view *)v;
	build_rows(cv);
	table_refresh(cv->t);
}

static void v_free(struct view *v)
{
	struct cstore_view *cv = (struct cstore_view *)v;
	table_free(&cv->t);
	filter_release(&cv->f);
	r1_free(cv->rows);
	r1_free(cv);
}

static const struct view_ops ops = {
    .free = v_free,
    .draw = v_draw,
    .key = v_key,
    .filter = v_filter,
    .host = v_host,
    .mouse = v_mouse,
    .status = v_status,
    .resume = v_resume,
    .tick = v_tick,
};

/* The host named by `arg` (alias or address), or the first. */
static enum r1_err v_open(struct app *app, const char *arg, struct view **out, char **why)
{
	size_t host;
	if (!view_host_find(app, arg, &host))
		return r1_fail(why, R1_ERR_NOTFOUND,
		               _("%s is not hosted by this console: its CStore is read with "
		                 "r1console cstore --node %s"),
		               arg, arg);
	struct cstore_view *cv = r1_calloc(1, sizeof(*cv));
	if (!cv)
		return r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	struct tui_model *m = app_model(app);
	view_init(&cv->v, &view_cstore_class, &ops, app, NULL);
	cv->v.keys = keys;
	cv->v.nkeys = R1_ARRAY_LEN(keys);
	cv->host = host;
	if (m->n_hosts)
		view_host_crumb(&cv->v, host, _("CStore"));
	filter_init(&cv->f);
	const struct table_column cols[C__COUNT] = {
	    [C_KEY] = {_("KEY"), "key", 12, 40, 2, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_VALUE] = {_("VALUE"), "value", 12, 0, 4, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_OWNER] = {_("OWNER"), "owner", 14, 56, 1, 3, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_CONF] = {_("CONF"), "conf", 5, 0, 0, 0, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [C_RO] = {_("RO"), "ro", 2, 0, 0, 4, GRID_ALIGN_LEFT, TABLE_SORT_NUMBER},
	    [C_COPIES] = {_("COPIES"), "copies", 6, 0, 0, 1, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [C_UPDATED] = {_("UPDATED"), "updated", 7, 0, 0, 2, GRID_ALIGN_RIGHT,
	                   TABLE_SORT_NUMBER},
	    [C_WRITER] = {_("WRITER"), "writer", 8, 22, 0, 5, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	};
	memcpy(cv->cols, cols, sizeof(cols));
	struct table_source src = {
	    .ctx = cv,
	    .count = s_count,
	    .key = s_key,
	    .text = s_text,
	    .number = s_number,
	    .role = s_role,
	    .group = s_group,
	    .group_title = s_group_title,
	};
	cv->t = table_new(cv->cols, C__COUNT, &src);
	if (!cv->t) {
		v_free(&cv->v);
		return r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	}
	cv->t->empty_text = _("no keys on this node yet");
	build_rows(cv);
	table_refresh(cv->t);
	*out = &cv->v;
	return R1_OK;
}

const struct view_class view_cstore_class = {
    .name = "cstore",
    .title = N_("CStore"),
    .arg = N_("NODE"),
    .arg_optional = true,
    .help = N_("a hosted node's CStore: keys, hashes, copies; edit with confirmation"),
    .open = v_open,
    .complete = view_host_aliases,
};
