/*
 * The R1FS view (":r1fs [NODE]"): the file store of a node this console
 * hosts.  Top, its pinned files: the name (known when the node added the
 * file or fetched it with its secret; the rest is ciphertext to it), the
 * CID, the size, how long ago it was pinned, and the peers that hold it
 * (the other hosted nodes that pin it, and the peers whose R1FS
 * announcements list it).  Below, when there are any, the transfers under
 * way or just ended (a progress bar each, the peers serving it) and the
 * peers' stores as their announcements describe them.  Tab and [ ] move to
 * the next or previous hosted node; Enter shows a file in full.
 *
 * The data is the node's view object (tui_host_r1fs_view), taken again
 * every second and when the view comes back on top; the tables index it.
 */
#include "tui/lib.h"
#include "tui/fmt.h"
#include "tui/theme.h"
#include "tui/views/views.h"
#include "tui/widgets/sparkline.h"
#include "tui/widgets/table.h"
#include "core/identity.h"
#include "core/sanitize.h"
#include "node/r1fs/r1fs.h"

#include <math.h>

enum { F_NAME, F_CID, F_SIZE, F_PINNED, F_PEERS, F__COUNT };
enum { T_CID, T_STATE, T_PROGRESS, T_BYTES, T_PEERS, T_TIME, T_ERROR, T__COUNT };
enum { P_NODE, P_STORE, P_PINS, P_USED, P_SEEN, P__COUNT };

struct r1fs_view {
	struct view v;
	size_t host;
	json_t *data; /* the host's view object */
	/* per file: who holds it, as shown ("2: demo-02, demo-03") */
	char **holders;
	size_t *nholders;
	size_t nfiles;
	struct table *files, *xfers, *peers;
	struct table_column fcols[F__COUNT], tcols[T__COUNT], pcols[P__COUNT];
	int focus;            /* 0 files, 1 transfers, 2 peers */
	int xfers_y, peers_y; /* where they were drawn (mouse); 0 = not shown */
};

static struct tui_host *host_of(struct r1fs_view *rv)
{
	return view_host(rv->v.app, rv->host);
}

static const json_t *arr(struct r1fs_view *rv, const char *k)
{
	const json_t *a = json_object_get(rv->data, k);
	return json_is_array(a) ? a : NULL;
}

static const json_t *item(struct r1fs_view *rv, const char *k, size_t i)
{
	return json_array_get(arr(rv, k), i);
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static double jnum(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static uint64_t ju64(const json_t *o, const char *k)
{
	double d = jnum(o, k);
	return isnan(d) || d < 0 ? 0 : (uint64_t)d;
}

/* ------------------------------------------------------------ data */

static void free_holders(struct r1fs_view *rv)
{
	for (size_t i = 0; i < rv->nfiles; i++)
		r1_free(rv->holders[i]);
	r1_free(rv->holders);
	r1_free(rv->nholders);
	rv->holders = NULL;
	rv->nholders = NULL;
	rv->nfiles = 0;
}

static bool listed(const char *const *addrs, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (addr_same(addrs[i], addr))
			return true;
	return false;
}

/* Who holds file i: other hosted nodes that pin it, then the announcing peers. */
static char *holders_of(struct r1fs_view *rv, const json_t *f, size_t *count)
{
	struct tui_model *m = app_model(rv->v.app);
	const char *cid = jstr(f, "cid");
	const char *seen[TUI_HOSTS_MAX + 64];
	size_t n = 0;
	struct buf b = BUF_INIT;
	for (size_t i = 0; cid && i < m->n_hosts && n < R1_ARRAY_LEN(seen); i++) {
		struct tui_host *o = &m->hosts[i];
		struct r1fs *fs = i == rv->host ? NULL : tui_host_r1fs(o);
		if (fs && r1fs_is_pinned(fs, cid))
			seen[n++] = o->addr;
	}
	const json_t *peers = json_object_get(f, "peers");
	size_t k;
	const json_t *p;
	json_array_foreach(peers, k, p)
	{
		const char *a = jstr(p, "addr");
		if (a && n < R1_ARRAY_LEN(seen) && !listed(seen, n, a))
			seen[n++] = a;
	}
	*count = n;
	if (n)
		buf_addf(&b, "%zu: ", n);
	for (size_t i = 0; i < n; i++) {
		char name[64];
		view_node_name(rv->v.app, seen[i], name, sizeof(name));
		buf_addf(&b, "%s%s", i ? ", " : "", name);
	}
	if (!n)
		buf_adds(&b, "-");
	return buf_detach(&b, NULL);
}

static void load(struct r1fs_view *rv)
{
	free_holders(rv);
	json_decref(rv->data);
	struct tui_host *h = host_of(rv);
	rv->data = h ? tui_host_r1fs_view(h) : NULL;
	size_t n = json_array_size(arr(rv, "files"));
	rv->holders = n ? r1_calloc(n, sizeof(*rv->holders)) : NULL;
	rv->nholders = n ? r1_calloc(n, sizeof(*rv->nholders)) : NULL;
	if (n && (!rv->holders || !rv->nholders)) {
		free_holders(rv);
		return;
	}
	rv->nfiles = n;
	for (size_t i = 0; i < n; i++)
		rv->holders[i] = holders_of(rv, item(rv, "files", i), &rv->nholders[i]);
}

static void refresh(struct r1fs_view *rv)
{
	load(rv);
	table_refresh(rv->files);
	table_refresh(rv->xfers);
	table_refresh(rv->peers);
}

static const char *age(struct r1fs_view *rv, double unix_s, char *scratch, size_t size)
{
	if (isnan(unix_s) || unix_s <= 0)
		return "-";
	return fmt_ago(scratch, size, app_now(rv->v.app) - (int64_t)(unix_s * 1000));
}

/* ------------------------------------------------------------ files */

static size_t f_count(void *ctx)
{
	return ((struct r1fs_view *)ctx)->nfiles;
}

static uint64_t f_key(void *ctx, size_t row)
{
	return view_hash_str(VIEW_HASH_SEED, jstr(item(ctx, "files", row), "cid"));
}

static const char *f_text(void *ctx, size_t row, int col, char *scratch, size_t size)
{
	struct r1fs_view *rv = ctx;
	const json_t *f = item(rv, "files", row);
	switch (col) {
	case F_NAME:
		return jstr(f, "name") ? view_clean(jstr(f, "name"), scratch, size)
		                       : _("(name not known here)");
	case F_CID:
		return view_clean(jstr(f, "cid"), scratch, size);
	case F_SIZE:
		return fmt_bytes(scratch, size, ju64(f, "size"));
	case F_PINNED:
		return age(rv, jnum(f, "created"), scratch, size);
	case F_PEERS:
		return row < rv->nfiles ? rv->holders[row] : "-";
	}
	return NULL;
}

static double f_number(void *ctx, size_t row, int col)
{
	struct r1fs_view *rv = ctx;
	const json_t *f = item(rv, "files", row);
	switch (col) {
	case F_SIZE:
		return jnum(f, "size");
	case F_PINNED:
		return -jnum(f, "created");
	case F_PEERS:
		return row < rv->nfiles ? (double)rv->nholders[row] : NAN;
	}
	return NAN;
}

static uint16_t f_role(void *ctx, size_t row, int col)
{
	struct r1fs_view *rv = ctx;
	const json_t *f = item(rv, "files", row);
	if (col == F_NAME && !jstr(f, "name"))
		return TUI_ROLE_ROW_DIM;
	if (col == F_PEERS && row < rv->nfiles && !rv->nholders[row])
		return TUI_ROLE_STATUS_WARN; /* this node's copy is the only one known */
	return 0;
}

/* ------------------------------------------------------------ transfers */

static size_t t_count(void *ctx)
{
	return json_array_size(arr(ctx, "transfers"));
}

static uint64_t t_key(void *ctx, size_t row)
{
	return view_hash_str(VIEW_HASH_SEED, jstr(item(ctx, "transfers", row), "cid"));
}

static double t_fraction(const json_t *t)
{
	double done = jnum(t, "bytes_done"), total = jnum(t, "bytes_total");
	if (jstr(t, "state") && strcmp(jstr(t, "state"), "done") == 0)
		return 1;
	return total > 0 && !isnan(done) ? done / total : NAN;
}

static void peer_names(struct r1fs_view *rv, const json_t *peers, char *out, size_t size)
{
	struct buf b = BUF_INIT;
	size_t k;
	const json_t *p;
	json_array_foreach(peers, k, p)
	{
		char name[64];
		const char *a = jstr(p, "addr");
		view_node_name(rv->v.app, a ? a : "?", name, sizeof(name));
		buf_addf(&b, "%s%s", k ? ", " : "", name);
	}
	snprintf(out, size, "%s", buf_ok(&b) && b.len ? buf_cstr(&b) : "-");
	buf_release(&b);
}

static const char *t_text(void *ctx, size_t row, int col, char *scratch, size_t size)
{
	struct r1fs_view *rv = ctx;
	const json_t *t = item(rv, "transfers", row);
	switch (col) {
	case T_CID:
		return view_clean(jstr(t, "cid"), scratch, size);
	case T_STATE:
		return view_clean(jstr(t, "state"), scratch, size);
	case T_PROGRESS: {
		double f = t_fraction(t);
		return isnan(f) ? "-" : fmt_percent(scratch, size, f * 100);
	}
	case T_BYTES: {
		char a[24], b[24];
		fmt_bytes(a, sizeof(a), ju64(t, "bytes_done"));
		fmt_bytes(b, sizeof(b), ju64(t, "bytes_total"));
		snprintf(scratch, size, "%s / %s", a, b);
		return scratch;
	}
	case T_PEERS:
		peer_names(rv, json_object_get(t, "peers"), scratch, size);
		return scratch;
	case T_TIME:
		return fmt_duration(scratch, size, jnum(t, "seconds"));
	case T_ERROR:
		return jstr(t, "error") ? view_clean(jstr(t, "error"), scratch, size) : "";
	}
	return NULL;
}

static double t_number(void *ctx, size_t row, int col)
{
	const json_t *t = item(ctx, "transfers", row);
	if (col == T_PROGRESS)
		return t_fraction(t);
	if (col == T_TIME)
		return jnum(t, "seconds");
	return NAN;
}

static uint16_t t_role(void *ctx, size_t row, int col)
{
	const json_t *t = item(ctx, "transfers", row);
	const char *st = jstr(t, "state");
	if (col == T_STATE || col == T_ERROR)
		return !st                          ? 0
		       : strcmp(st, "failed") == 0  ? TUI_ROLE_STATUS_ERROR
		       : strcmp(st, "done") == 0    ? TUI_ROLE_STATUS_OK
		       : strcmp(st, "running") == 0 ? TUI_ROLE_STATUS_INFO
		                                    : 0;
	return 0;
}

/* ------------------------------------------------------------ peers */

static size_t p_count(void *ctx)
{
	return json_array_size(arr(ctx, "peers"));
}

static uint64_t p_key(void *ctx, size_t row)
{
	return view_hash_str(VIEW_HASH_SEED, jstr(item(ctx, "peers", row), "addr"));
}

static const char *p_text(void *ctx, size_t row, int col, char *scratch, size_t size)
{
	struct r1fs_view *rv = ctx;
	const json_t *p = item(rv, "peers", row);
	switch (col) {
	case P_NODE: {
		const char *a = jstr(p, "addr");
		view_node_name(rv->v.app, a ? a : "?", scratch, size);
		return scratch;
	}
	case P_STORE:
		return view_clean(jstr(p, "store"), scratch, size);
	case P_PINS:
		snprintf(scratch, size, "%" PRIu64, ju64(p, "pins"));
		return scratch;
	case P_USED: {
		char u[24], q[24];
		fmt_bytes(u, sizeof(u), ju64(p, "used"));
		if (ju64(p, "quota"))
			snprintf(scratch, size, _("%s of %s"), u,
			         fmt_bytes(q, sizeof(q), ju64(p, "quota")));
		else
			snprintf(scratch, size, "%s", u);
		return scratch;
	}
	case P_SEEN: {
		double us = jnum(p, "seen_us");
		return isnan(us)
		           ? "-"
		           : fmt_ago(scratch, size, app_now(rv->v.app) - (int64_t)(us / 1000));
	}
	}
	return NULL;
}

static double p_number(void *ctx, size_t row, int col)
{
	const json_t *p = item(ctx, "peers", row);
	if (col == P_PINS)
		return jnum(p, "pins");
	if (col == P_USED)
		return jnum(p, "used");
	return NAN;
}

/* ------------------------------------------------------------ actions */

static struct table *focused(struct r1fs_view *rv)
{
	struct table *t[] = {rv->files, rv->xfers, rv->peers};
	return t[rv->focus];
}

static unsigned open_file(struct r1fs_view *rv)
{
	size_t row;
	bool group;
	if (rv->focus != 0 || !table_selected(rv->files, &row, &group))
		return TUI_CONSUMED;
	const json_t *f = item(rv, "files", row);
	const char *cid = jstr(f, "cid");
	struct buf b = BUF_INIT;
	char tmp[128];
	buf_addf(&b, "%-10s %s\n", _("name"), f_text(rv, row, F_NAME, tmp, sizeof(tmp)));
	buf_addf(&b, "%-10s %s\n", _("cid"), cid ? cid : "-");
	buf_addf(&b, "%-10s %s (%" PRIu64 " bytes)\n", _("size"),
	         fmt_bytes(tmp, sizeof(tmp), ju64(f, "size")), ju64(f, "size"));
	double created = jnum(f, "created");
	if (!isnan(created) && created > 0)
		buf_addf(&b, "%-10s %s\n", _("pinned"),
		         fmt_datetime(tmp, sizeof(tmp), (int64_t)(created * 1000)));
	buf_addf(&b, "%-10s %s\n", _("held by"), row < rv->nfiles ? rv->holders[row] : "-");
	struct tui_host *h = host_of(rv);
	struct r1fs *fs = h ? tui_host_r1fs(h) : NULL;
	struct r1fs_stat st;
	if (fs && cid && r1fs_stat(fs, cid, &st, NULL) == R1_OK) {
		static const char *const types[] = {"file", "directory", "raw", "other"};
		buf_addf(&b,
		         "\n%-10s %s, %zu links, block %" PRIu64 " bytes, DAG %" PRIu64 " bytes\n",
		         _("stored as"), types[st.type], st.nlinks, st.block_size, st.cumulative);
		struct r1fs_entry *e = NULL;
		size_t ne = 0;
		if (st.type == R1FS_ENTRY_DIRECTORY && r1fs_ls(fs, cid, &e, &ne, NULL) == R1_OK) {
			for (size_t i = 0; i < ne; i++)
				buf_addf(&b, "  %s  %s  %" PRIu64 " bytes\n", e[i].name, e[i].cid,
				         e[i].size);
			r1fs_entries_free(e, ne);
		}
	}
	if (buf_ok(&b))
		app_push(rv->v.app,
		         view_text_new(rv->v.app, f_text(rv, row, F_NAME, tmp, sizeof(tmp)),
		                       buf_cstr(&b)));
	buf_release(&b);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_open(void *ctx)
{
	return open_file(ctx);
}

static void switch_host(struct r1fs_view *rv, int step)
{
	size_t next = view_host_step(rv->v.app, rv->host, step);
	if (next == rv->host)
		return;
	rv->host = next;
	view_host_crumb(&rv->v, rv->host, _("R1FS"));
	refresh(rv);
	table_select_index(rv->files, 0);
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

static unsigned k_focus(void *ctx)
{
	struct r1fs_view *rv = ctx;
	for (int i = 1; i <= 3; i++) {
		int f = (rv->focus + i) % 3;
		if (f == 0 || (f == 1 && rv->xfers_y) || (f == 2 && rv->peers_y)) {
			rv->focus = f;
			break;
		}
	}
	return TUI_CONSUMED | TUI_REDRAW;
}

static const struct keymap_entry keys[] = {
    {TUI_KEY_ENTER, N_("open"), N_("the file in full (how it is stored)"), KEYMAP_BAR, k_open},
    {TUI_KEY_TAB, N_("node"), N_("the next hosted node"), KEYMAP_BAR, k_next},
    {']', NULL, N_("the next hosted node"), KEYMAP_NO_HELP, k_next},
    {'[', NULL, N_("the previous hosted node"), 0, k_prev},
    {'t', N_("tables"), N_("move between files, transfers and peers"), KEYMAP_BAR, k_focus},
};

/* ------------------------------------------------------------------ view */

static void draw_summary(struct r1fs_view *rv, struct grid_area a)
{
	struct tui_model *m = app_model(rv->v.app);
	struct tui_host *h = host_of(rv);
	const json_t *st = json_object_get(rv->data, "store");
	struct buf b = BUF_INIT;
	char name[64], used[24], quota[24];
	view_node_name(rv->v.app, h->addr, name, sizeof(name));
	buf_addf(&b, _("store of %s"), name);
	if (m->n_hosts > 1)
		buf_addf(&b, " (%zu/%zu)", rv->host + 1, m->n_hosts);
	if (st) {
		fmt_bytes(used, sizeof(used), ju64(st, "used"));
		buf_addf(&b, "  %s", used);
		if (ju64(st, "quota"))
			buf_addf(&b, _(" of %s"),
			         fmt_bytes(quota, sizeof(quota), ju64(st, "quota")));
		buf_addf(&b, _(", %" PRIu64 " pins, %" PRIu64 " blocks"), ju64(st, "pins"),
		         ju64(st, "blocks"));
	} else {
		buf_adds(&b, _("  (no store: it could not be opened; see the node log)"));
	}
	bool running = json_is_true(json_object_get(rv->data, "running"));
	buf_addf(&b, "  %s", running ? _("exchange running") : _("no exchange (R1FS_MANAGER)"));
	if (ju64(rv->data, "http_port"))
		buf_addf(&b, _(", HTTP :%" PRIu64), ju64(rv->data, "http_port"));
	grid_field(a, 0, 0, a.w, GRID_ALIGN_LEFT, buf_ok(&b) ? buf_cstr(&b) : "", TUI_ROLE_ROW_DIM,
	           0);
	buf_release(&b);
}

static void draw_bars(struct r1fs_view *rv, struct grid_area a)
{
	struct table *t = rv->xfers;
	int x = table_column_x(t, T_PROGRESS);
	int w = t->widths[T_PROGRESS];
	if (x < 0 || w <= 0)
		return;
	for (int k = 0; k < t->page && t->top + (size_t)k < t->n; k++) {
		uint32_t e = t->order[t->top + (size_t)k];
		double f = t_fraction(item(rv, "transfers", e));
		if (!isnan(f))
			progress_draw(a, x, 1 + k, w, f, NULL);
	}
}

static void section(struct r1fs_view *rv, struct grid_area a, int y, int h, const char *title,
                    int which, struct table *t)
{
	grid_field(a, 0, y, a.w, GRID_ALIGN_LEFT, title,
	           rv->focus == which ? TUI_ROLE_PANE_TITLE_FOCUS : TUI_ROLE_PANE_TITLE, 0);
	struct grid_area ta = grid_sub(a, 0, y + 1, a.w, h - 1);
	table_draw(t, ta);
	if (t == rv->xfers)
		draw_bars(rv, ta);
}

static void v_draw(struct view *v, struct grid_area a)
{
	struct r1fs_view *rv = (struct r1fs_view *)v;
	struct tui_model *m = app_model(v->app);
	if (!m->n_hosts) {
		grid_field(a, 0, a.h / 2 - 1, a.w, GRID_ALIGN_CENTER,
		           _("This console hosts no node, so it has no R1FS store to show."),
		           TUI_ROLE_TITLE, 0);
		grid_field(a, 0, a.h / 2 + 1, a.w, GRID_ALIGN_CENTER,
		           _("Start it with --node (or the embedded or demo network); for another "
		             "node: r1console r1fs ls --node ALIAS."),
		           TUI_ROLE_ROW_DIM, 0);
		return;
	}
	draw_summary(rv, grid_sub(a, 0, 0, a.w, 1));
	size_t nx = t_count(rv), np = p_count(rv);
	int rest = a.h - 1;
	int xh = nx ? (int)R1_MIN(nx + 2, (size_t)R1_MAX(4, rest / 3)) : 0;
	int ph = np ? (int)R1_MIN(np + 2, (size_t)R1_MAX(4, rest / 4)) : 0;
	if (xh + ph + 4 > rest)
		xh = ph = 0; /* too small: the files alone */
	int fh = rest - xh - ph;
	table_draw(rv->files, grid_sub(a, 0, 1, a.w, fh));
	rv->xfers_y = rv->peers_y = 0;
	if (xh) {
		rv->xfers_y = 1 + fh;
		section(rv, a, rv->xfers_y, xh, _("Transfers"), 1, rv->xfers);
	}
	if (ph) {
		rv->peers_y = 1 + fh + xh;
		section(rv, a, rv->peers_y, ph, _("Peers' stores (from their R1FS announcements)"),
		        2, rv->peers);
	}
	if ((rv->focus == 1 && !xh) || (rv->focus == 2 && !ph))
		rv->focus = 0;
}

static unsigned v_key(struct view *v, int key)
{
	struct r1fs_view *rv = (struct r1fs_view *)v;
	struct table *t = focused(rv);
	unsigned r = table_key(t, key);
	if ((r & TUI_ACTION) && t->action == TABLE_ACTION_OPEN)
		return open_file(rv);
	return r;
}

static unsigned v_mouse(struct view *v, const struct tui_mouse *m)
{
	struct r1fs_view *rv = (struct r1fs_view *)v;
	struct tui_mouse mm = *m;
	if (rv->peers_y && m->y > rv->peers_y) {
		rv->focus = 2;
		mm.y -= rv->peers_y + 1;
	} else if (rv->xfers_y && m->y > rv->xfers_y) {
		rv->focus = 1;
		mm.y -= rv->xfers_y + 1;
	} else {
		rv->focus = 0;
		mm.y -= 1;
	}
	struct table *t = focused(rv);
	unsigned r = table_mouse(t, &mm);
	if ((r & TUI_ACTION) && t->action == TABLE_ACTION_OPEN)
		return open_file(rv);
	return r;
}

static void v_status(struct view *v, struct buf *out)
{
	struct r1fs_view *rv = (struct r1fs_view *)v;
	size_t nx = t_count(rv);
	buf_addf(out, ngettext("%zu pinned file", "%zu pinned files", rv->nfiles), rv->nfiles);
	if (nx)
		buf_addf(out, ngettext(", %zu transfer", ", %zu transfers", nx), nx);
}

static bool v_tick(struct view *v)
{
	refresh((struct r1fs_view *)v);
	return true;
}

static void v_resume(struct view *v)
{
	refresh((struct r1fs_view *)v);
}

static void v_free(struct view *v)
{
	struct r1fs_view *rv = (struct r1fs_view *)v;
	table_free(&rv->files);
	table_free(&rv->xfers);
	table_free(&rv->peers);
	free_holders(rv);
	json_decref(rv->data);
	r1_free(rv);
}

static const struct view_ops ops = {
    .free = v_free,
    .draw = v_draw,
    .key = v_key,
    .mouse = v_mouse,
    .status = v_status,
    .resume = v_resume,
    .tick = v_tick,
};

static enum r1_err v_open(struct app *app, const char *arg, struct view **out, char **why)
{
	struct tui_model *m = app_model(app);
	size_t host;
	if (!view_host_find(app, arg, &host))
		return r1_fail(why, R1_ERR_NOTFOUND,
		               _("%s is not hosted by this console: its files are listed with "
		                 "r1console r1fs ls --node %s"),
		               arg, arg);
	struct r1fs_view *rv = r1_calloc(1, sizeof(*rv));
	if (!rv)
		return r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	view_init(&rv->v, &view_r1fs_class, &ops, app, NULL);
	rv->v.keys = keys;
	rv->v.nkeys = R1_ARRAY_LEN(keys);
	rv->host = host;
	if (m->n_hosts)
		view_host_crumb(&rv->v, host, _("R1FS"));
	const struct table_column fcols[F__COUNT] = {
	    [F_NAME] = {_("NAME"), "name", 14, 48, 2, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [F_CID] = {_("CID"), "cid", 14, 59, 1, 0, GRID_TRUNC_MIDDLE, TABLE_SORT_TEXT},
	    [F_SIZE] = {_("SIZE"), "size", 9, 0, 0, 0, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [F_PINNED] = {_("PINNED"), "pinned", 6, 0, 0, 2, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [F_PEERS] = {_("HELD BY"), "peers", 10, 0, 2, 1, GRID_ALIGN_LEFT, TABLE_SORT_NUMBER},
	};
	const struct table_column tcols[T__COUNT] = {
	    [T_CID] = {_("CID"), "cid", 14, 59, 1, 0, GRID_TRUNC_MIDDLE, TABLE_SORT_TEXT},
	    [T_STATE] = {_("STATE"), "state", 7, 0, 0, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [T_PROGRESS] = {_("PROGRESS"), "progress", 12, 40, 2, 0, GRID_ALIGN_RIGHT,
	                    TABLE_SORT_NUMBER},
	    [T_BYTES] = {_("BYTES"), "bytes", 19, 0, 0, 2, GRID_ALIGN_RIGHT, TABLE_SORT_NONE},
	    [T_PEERS] = {_("FROM"), "from", 8, 40, 1, 1, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [T_TIME] = {_("TIME"), "time", 6, 0, 0, 3, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [T_ERROR] = {_("ERROR"), "error", 8, 0, 1, 4, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	};
	const struct table_column pcols[P__COUNT] = {
	    [P_NODE] = {_("NODE"), "node", 10, 22, 1, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [P_STORE] = {_("STORE"), "store", 7, 0, 0, 1, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [P_PINS] = {_("PINS"), "pins", 5, 0, 0, 0, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [P_USED] = {_("USED"), "used", 10, 24, 0, 0, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [P_SEEN] = {_("SEEN"), "seen", 5, 0, 0, 2, GRID_ALIGN_RIGHT, TABLE_SORT_NONE},
	};
	memcpy(rv->fcols, fcols, sizeof(fcols));
	memcpy(rv->tcols, tcols, sizeof(tcols));
	memcpy(rv->pcols, pcols, sizeof(pcols));
	struct table_source fs = {.ctx = rv,
	                          .count = f_count,
	                          .key = f_key,
	                          .text = f_text,
	                          .number = f_number,
	                          .role = f_role};
	struct table_source ts = {.ctx = rv,
	                          .count = t_count,
	                          .key = t_key,
	                          .text = t_text,
	                          .number = t_number,
	                          .role = t_role};
	struct table_source ps = {
	    .ctx = rv, .count = p_count, .key = p_key, .text = p_text, .number = p_number};
	rv->files = table_new(rv->fcols, F__COUNT, &fs);
	rv->xfers = table_new(rv->tcols, T__COUNT, &ts);
	rv->peers = table_new(rv->pcols, P__COUNT, &ps);
	if (!rv->files || !rv->xfers || !rv->peers) {
		v_free(&rv->v);
		return r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	}
	rv->files->empty_text = _("no pinned files on this node");
	refresh(rv);
	*out = &rv->v;
	return R1_OK;
}

const struct view_class view_r1fs_class = {
    .name = "r1fs",
    .title = N_("R1FS"),
    .arg = N_("NODE"),
    .arg_optional = true,
    .help = N_("a hosted node's R1FS: pinned files, who holds them, transfers"),
    .open = v_open,
    .complete = view_host_aliases,
};
