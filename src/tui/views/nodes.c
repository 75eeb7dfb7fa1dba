/*
 * The Network view (":nodes"), the explorer: every node the netmap knows,
 * one row each, sortable by any column and filtered with '/'.  The table
 * reads the netmap through callbacks and keeps only its display order, so
 * 100,000 nodes cost 4 bytes each here.  The view does not re-sort on
 * every heartbeat: new rows show at once, changed values at the next
 * frame, and the order catches up at most once a second.
 */
#include "tui/lib.h"
#include "tui/fmt.h"
#include "tui/theme.h"
#include "tui/views/views.h"
#include "tui/widgets/filter.h"
#include "tui/widgets/table.h"
#include "core/netmap.h"
#include "core/sanitize.h"

#include <math.h>

#define RESORT_MS 1000 /* re-sort for changed values at most this often */

enum {
	C_ALIAS,
	C_ADDR,
	C_STATUS,
	C_ORACLE,
	C_PEERED,
	C_VERSION,
	C_CPU,
	C_MEM,
	C_DISK,
	C_GPU,
	C_GFLOPS,
	C_UPTIME,
	C_SEEN,
	C_AVAIL,
	C_LAST,
	C_PIPES,
	C__COUNT
};

struct nodes_view {
	struct view v;
	struct table *t;
	struct table_column cols[C__COUNT];
	struct filter f;
	bool rows_changed;   /* nodes were added: refresh at the next draw */
	bool values_changed; /* values moved: re-sort within RESORT_MS */
	int64_t refreshed_ms;
	size_t online_shown;
	int64_t epoch; /* the current epoch at the last draw */
};

static const struct nm_node *node_at(struct nodes_view *nv, size_t row)
{
	return netmap_at(app_model(nv->v.app)->nm, row);
}

static int64_t now_ms(struct nodes_view *nv)
{
	return app_now(nv->v.app);
}

static int64_t current_epoch(struct nodes_view *nv)
{
	struct tui_model *m = app_model(nv->v.app);
	return epoch_id_at(&m->epochs, m->now_ms * 1000);
}

/* ------------------------------------------------------------ the source */

static size_t s_count(void *ctx)
{
	struct nodes_view *nv = ctx;
	return netmap_count(app_model(nv->v.app)->nm);
}

static uint64_t s_key(void *ctx, size_t row)
{
	return view_node_key(node_at(ctx, row));
}

static double used_pct(double total, double avail)
{
	return total > 0 ? (total - avail) * 100.0 / total : NAN;
}

static double seen_ms(struct nodes_view *nv, const struct nm_node *n)
{
	return n->info.last_seen_ms ? (double)(now_ms(nv) - n->info.last_seen_ms) : NAN;
}

static int avail_of(struct nodes_view *nv, const struct nm_node *n, int64_t epoch)
{
	return view_node_avail(nv->v.app, n, epoch);
}

static const char *status_text(const struct nm_node *n)
{
	if (n->stale)
		return _("stale");
	return n->online ? _("online") : _("offline");
}

static const char *yes_no(bool b)
{
	return b ? _("yes") : _("no");
}

/* The node's measured dgemm GFLOP/s (BLAS_BENCH_01, from its heartbeats); NAN if unknown. */
static double gflops_of(struct nodes_view *nv, const struct nm_node *n)
{
	const struct nodefig *g = nodefigs_get(&app_model(nv->v.app)->figs, n->index);
	return g && g->peer.gflops_f64 > 0 ? g->peer.gflops_f64 : NAN;
}

static const char *s_text(void *ctx, size_t row, int col, char *scratch, size_t size)
{
	struct nodes_view *nv = ctx;
	const struct nm_node *n = node_at(nv, row);
	const struct nm_node_info *in = &n->info;
	switch (col) {
	case C_ALIAS:
		return in->alias[0] ? in->alias : "-";
	case C_ADDR:
		return in->addr;
	case C_STATUS:
		return status_text(n);
	case C_ORACLE:
		return in->oracle ? _("yes") : "";
	case C_PEERED:
		return yes_no(n->peered);
	case C_VERSION:
		return in->version[0] ? in->version : "-";
	case C_CPU:
		return n->have_heartbeat ? fmt_percent(scratch, size, in->cpu_used) : "-";
	case C_MEM:
		return fmt_used_of(scratch, size, in->mem_total - in->mem_avail, in->mem_total);
	case C_DISK:
		return fmt_used_of(scratch, size, in->disk_total - in->disk_avail, in->disk_total);
	case C_GPU:
		if (!in->gpu_count)
			return "-";
		if (in->gpu_count > 1) {
			snprintf(scratch, size, "%ux %s", in->gpu_count, in->gpu_name);
			return scratch;
		}
		return in->gpu_name[0] ? in->gpu_name : "GPU";
	case C_GFLOPS:
		return fmt_gflops(scratch, size, gflops_of(nv, n));
	case C_UPTIME:
		return n->have_heartbeat ? fmt_duration(scratch, size, in->uptime_s) : "-";
	case C_SEEN:
		return in->last_seen_ms ? fmt_ago(scratch, size, now_ms(nv) - in->last_seen_ms)
		                        : "-";
	case C_AVAIL:
		return fmt_avail(scratch, size, avail_of(nv, n, nv->epoch));
	case C_LAST:
		return fmt_avail(scratch, size, avail_of(nv, n, nv->epoch - 1));
	case C_PIPES:
		if (!n->pipelines_ms)
			return "-";
		snprintf(scratch, size, "%u", n->n_pipelines);
		return scratch;
	}
	return NULL;
}

/* A version as one number that sorts part by part: 2.10.3 after 2.9.140. */
static double version_key(const char *v)
{
	double key = 0;
	for (int part = 0; part < 3; part++) {
		char *end;
		unsigned long x = strtoul(v, &end, 10);
		if (end == v)
			return part ? key : NAN;
		key = key * 1e5 + (double)R1_MIN(x, 99999ul);
		v = *end == '.' ? end + 1 : end;
	}
	return key;
}

static double s_number(void *ctx, size_t row, int col)
{
	struct nodes_view *nv = ctx;
	const struct nm_node *n = node_at(nv, row);
	const struct nm_node_info *in = &n->info;
	switch (col) {
	case C_CPU:
		return n->have_heartbeat ? in->cpu_used : NAN;
	case C_MEM:
		return used_pct(in->mem_total, in->mem_avail);
	case C_DISK:
		return used_pct(in->disk_total, in->disk_avail);
	case C_UPTIME:
		return n->have_heartbeat ? in->uptime_s : NAN;
	case C_GFLOPS:
		return gflops_of(nv, n);
	case C_SEEN:
		return seen_ms(nv, n);
	case C_AVAIL:
	case C_LAST: {
		int a = avail_of(nv, n, col == C_AVAIL ? nv->epoch : nv->epoch - 1);
		return a < 0 ? NAN : a;
	}
	case C_PIPES:
		return n->pipelines_ms ? n->n_pipelines : NAN;
	case C_VERSION:
		return version_key(in->version);
	case C_STATUS:
		return n->online ? 0 : n->stale ? 2 : 1;
	case C_ORACLE:
		return in->oracle ? 0 : 1;
	case C_PEERED:
		return n->peered ? 0 : 1;
	}
	return NAN;
}

static uint16_t s_role(void *ctx, size_t row, int col)
{
	struct nodes_view *nv = ctx;
	const struct nm_node *n = node_at(nv, row);
	if (col == C_STATUS)
		return n->stale    ? TUI_ROLE_STATUS_STALE
		       : n->online ? TUI_ROLE_STATUS_OK
		                   : TUI_ROLE_STATUS_ERROR;
	if (!n->online)
		return TUI_ROLE_ROW_DIM;
	if (col == C_CPU && n->info.cpu_used >= 90)
		return TUI_ROLE_STATUS_WARN;
	if (col == C_PEERED && !n->peered)
		return TUI_ROLE_ROW_DIM;
	if (col == C_AVAIL || col == C_LAST) {
		int a = avail_of(nv, n, col == C_AVAIL ? nv->epoch : nv->epoch - 1);
		if (a >= 0 && a < 100)
			return TUI_ROLE_STATUS_WARN;
	}
	return 0;
}

/* -------------------------------------------------------------- filter */

static const char *const filter_keys[] = {
    "alias", "addr",  "status", "online", "oracle", "peered",  "version",
    "cpu",   "mem",   "disk",   "gpu",    "uptime", "seen",    "avail",
    "last",  "pipes", "tag",    "stale",  "eth",    "secured", "self",   "gflops",
};

struct frow {
	struct nodes_view *nv;
	const struct nm_node *n;
};

static const char *f_text(void *ctx, size_t i, char *scratch, size_t size)
{
	(void)scratch;
	(void)size;
	const struct frow *r = ctx;
	const struct nm_node_info *in = &r->n->info;
	const char *fields[] = {in->alias, in->addr, in->version, in->tags, in->gpu_name, in->eth};
	return i < R1_ARRAY_LEN(fields) ? fields[i] : NULL;
}

/* "CT=RO,REG=EU" holds the tag a person writes as CT:RO or CT=RO. */
static bool tag_matches(const char *tags, const char *want)
{
	char w[NM_TAGS_MAX + 1];
	snprintf(w, sizeof(w), "%s", want);
	for (char *p = w; *p; p++)
		if (*p == ':')
			*p = '=';
	return filter_contains(tags, w);
}

static bool f_field(void *ctx, const struct filter_term *t)
{
	const struct frow *r = ctx;
	const struct nm_node *n = r->n;
	const struct nm_node_info *in = &n->info;
	struct nodes_view *nv = r->nv;
	const char *k = t->key;
	if (strcmp(k, "alias") == 0)
		return filter_text_matches(t, in->alias);
	if (strcmp(k, "addr") == 0)
		return filter_text_matches(t, in->addr);
	if (strcmp(k, "eth") == 0)
		return filter_text_matches(t, in->eth);
	if (strcmp(k, "status") == 0)
		return filter_text_matches(t, status_text(n));
	if (strcmp(k, "online") == 0)
		return filter_bool_matches(t, n->online);
	if (strcmp(k, "stale") == 0)
		return filter_bool_matches(t, n->stale);
	if (strcmp(k, "oracle") == 0)
		return filter_bool_matches(t, in->oracle);
	if (strcmp(k, "peered") == 0)
		return filter_bool_matches(t, n->peered);
	if (strcmp(k, "secured") == 0)
		return filter_bool_matches(t, in->secured);
	if (strcmp(k, "self") == 0)
		return filter_bool_matches(t, n->self);
	if (strcmp(k, "version") == 0)
		return filter_text_matches(t, in->version);
	if (strcmp(k, "gpu") == 0)
		return filter_text_matches(t, in->gpu_name);
	if (strcmp(k, "tag") == 0)
		return t->op == FILTER_OP_HAS ? tag_matches(in->tags, t->value)
		                              : filter_text_matches(t, in->tags);
	static const struct {
		const char *key;
		int col;
		double scale;
	} numeric[] = {
	    {"cpu", C_CPU, 1},       {"mem", C_MEM, 1},       {"disk", C_DISK, 1},
	    {"uptime", C_UPTIME, 1}, {"seen", C_SEEN, 0.001}, {"pipes", C_PIPES, 1},
	    {"gflops", C_GFLOPS, 1},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(numeric); i++)
		if (strcmp(k, numeric[i].key) == 0)
			return filter_number_matches(
			    t, s_number(nv, (size_t)n->index, numeric[i].col) * numeric[i].scale);
	if (strcmp(k, "avail") == 0 || strcmp(k, "last") == 0) {
		int a = avail_of(nv, n, k[0] == 'a' ? nv->epoch : nv->epoch - 1);
		return filter_number_matches(t, a < 0 ? NAN : a * 100.0 / 255.0);
	}
	return false;
}

static bool row_shown(void *ctx, size_t row)
{
	struct nodes_view *nv = ctx;
	struct frow r = {nv, node_at(nv, row)};
	struct filter_row fr = {&r, f_text, f_field};
	return filter_match(&nv->f, &fr);
}

static enum r1_err v_filter(struct view *v, const char *text, char **why)
{
	struct nodes_view *nv = (struct nodes_view *)v;
	enum r1_err e = filter_set(&nv->f, text, filter_keys, R1_ARRAY_LEN(filter_keys), why);
	if (e)
		return e;
	table_set_filter(nv->t, nv->f.n ? row_shown : NULL, nv);
	nv->epoch = current_epoch(nv);
	table_refresh(nv->t);
	nv->refreshed_ms = now_ms(nv);
	return R1_OK;
}

/* --------------------------------------------------------------- actions */

static const struct nm_node *selected(struct nodes_view *nv)
{
	size_t row;
	bool group;
	if (!table_selected(nv->t, &row, &group) || row >= s_count(nv))
		return NULL;
	return node_at(nv, row);
}

static unsigned open_node(struct nodes_view *nv)
{
	const struct nm_node *n = selected(nv);
	if (n)
		app_push(nv->v.app, view_node_new(nv->v.app, n));
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_open(void *ctx)
{
	return open_node(ctx);
}

static unsigned with_target(void *ctx, void (*act)(struct app *, const struct act_target *))
{
	struct nodes_view *nv = ctx;
	return act_on_node(nv->v.app, selected(nv), act);
}

static unsigned k_restart(void *ctx)
{
	return with_target(ctx, act_restart);
}

static unsigned k_stop(void *ctx)
{
	return with_target(ctx, act_stop);
}

static unsigned k_heartbeat(void *ctx)
{
	return with_target(ctx, act_heartbeat);
}

static unsigned k_refresh(void *ctx)
{
	return with_target(ctx, act_refresh);
}

static unsigned open_stream(struct nodes_view *nv, enum stream_kind k)
{
	const struct nm_node *n = selected(nv);
	if (!n)
		return TUI_CONSUMED;
	char alias[NM_ALIAS_MAX + 1], crumb[96];
	struct buf filter = BUF_INIT;
	view_clean(n->info.alias, alias, sizeof(alias));
	view_filter_term(&filter, "sender", n->info.addr);
	snprintf(crumb, sizeof(crumb), "%s %s", alias,
	         k == STREAM_PAYLOADS ? _("payloads") : _("notifications"));
	if (buf_ok(&filter))
		app_push(nv->v.app, view_stream_new(nv->v.app, k, buf_cstr(&filter), crumb));
	buf_release(&filter);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_payloads(void *ctx)
{
	return open_stream(ctx, STREAM_PAYLOADS);
}

static unsigned k_notifs(void *ctx)
{
	return open_stream(ctx, STREAM_NOTIFICATIONS);
}

static const struct keymap_entry keys[] = {
    {TUI_KEY_ENTER, N_("open"), N_("open the node"), KEYMAP_BAR, k_open},
    {'p', N_("payloads"), N_("the node's payloads"), KEYMAP_BAR, k_payloads},
    {'n', N_("notifs"), N_("the node's notifications"), KEYMAP_BAR, k_notifs},
    {'r', NULL, N_("ask the node for its pipelines"), 0, k_refresh},
    {'h', N_("heartbeat"), N_("ask for a full heartbeat (FULL_HEARTBEAT)"),
     KEYMAP_BAR | KEYMAP_WRITES, k_heartbeat},
    {'R', N_("restart"), N_("restart the node (RESTART)"), KEYMAP_BAR | KEYMAP_WRITES, k_restart},
    {'S', NULL, N_("stop the node (STOP)"), KEYMAP_WRITES, k_stop},
};

/* ------------------------------------------------------------------ view */

static void refresh(struct nodes_view *nv)
{
	nv->epoch = current_epoch(nv);
	table_refresh(nv->t);
	nv->rows_changed = nv->values_changed = false;
	nv->refreshed_ms = now_ms(nv);
}

static void v_draw(struct view *v, struct grid_area a)
{
	struct nodes_view *nv = (struct nodes_view *)v;
	int64_t epoch = current_epoch(nv);
	bool resort = nv->values_changed && (nv->t->sort_col >= 0 || nv->f.n) &&
	              now_ms(nv) - nv->refreshed_ms >= RESORT_MS;
	if (nv->rows_changed || resort || epoch != nv->epoch)
		refresh(nv);
	table_draw(nv->t, a);
}

/* Is node n on screen now (worth a frame)? */
static bool on_screen(struct nodes_view *nv, const struct nm_node *n)
{
	struct table *t = nv->t;
	size_t end = R1_MIN(t->n, t->top + (size_t)R1_MAX(t->page, 1));
	for (size_t i = t->top; i < end; i++)
		if (!(t->order[i] & TABLE_GROUP_BIT) && t->order[i] == n->index)
			return true;
	return false;
}

static bool v_event(struct view *v, const struct nm_event *ev)
{
	struct nodes_view *nv = (struct nodes_view *)v;
	switch (ev->type) {
	case NM_EV_NODE_NEW:
		nv->rows_changed = true;
		return true;
	case NM_EV_NODE_ONLINE:
	case NM_EV_NODE_LOST:
	case NM_EV_NODE_CHANGED:
	case NM_EV_PIPELINES_CHANGED:
	case NM_EV_EPOCH_CLOSED:
	case NM_EV_HEARTBEAT:
		nv->values_changed = true;
		if (nv->f.n && ev->type != NM_EV_HEARTBEAT)
			nv->rows_changed = true; /* it may enter or leave the filter */
		return ev->node ? on_screen(nv, ev->node) || nv->rows_changed : true;
	case NM_EV_ORACLE_REPORT:
		return false;
	}
	return false;
}

static unsigned v_key(struct view *v, int key)
{
	struct nodes_view *nv = (struct nodes_view *)v;
	unsigned r = table_key(nv->t, key);
	if ((r & TUI_ACTION) && nv->t->action == TABLE_ACTION_OPEN)
		return open_node(nv);
	return r;
}

static unsigned v_mouse(struct view *v, const struct tui_mouse *m)
{
	struct nodes_view *nv = (struct nodes_view *)v;
	unsigned r = table_mouse(nv->t, m);
	if ((r & TUI_ACTION) && nv->t->action == TABLE_ACTION_OPEN)
		return open_node(nv);
	return r;
}

static void v_status(struct view *v, struct buf *out)
{
	struct nodes_view *nv = (struct nodes_view *)v;
	size_t total = s_count(nv);
	if (nv->f.n)
		buf_addf(out, _("%zu of %zu nodes match"), table_count(nv->t), total);
	else
		buf_addf(out, ngettext("%zu node", "%zu nodes", total), total);
	if (nv->t->sort_col >= 0)
		buf_addf(out, _(", sorted by %s"), nv->cols[nv->t->sort_col].title);
}

static bool v_tick(struct view *v)
{
	(void)v;
	return true; /* "seen" ages move */
}

static void v_resume(struct view *v)
{
	refresh((struct nodes_view *)v);
}

static void v_free(struct view *v)
{
	struct nodes_view *nv = (struct nodes_view *)v;
	table_free(&nv->t);
	filter_release(&nv->f);
	r1_free(nv);
}

static const struct view_ops ops = {
    .free = v_free,
    .draw = v_draw,
    .key = v_key,
    .filter = v_filter,
    .event = v_event,
    .mouse = v_mouse,
    .status = v_status,
    .resume = v_resume,
    .tick = v_tick,
};

static enum r1_err v_open(struct app *app, const char *arg, struct view **out, char **why)
{
	struct nodes_view *nv = r1_calloc(1, sizeof(*nv));
	if (!nv)
		return r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	view_init(&nv->v, &view_nodes_class, &ops, app, NULL);
	nv->v.keys = keys;
	nv->v.nkeys = R1_ARRAY_LEN(keys);
	filter_init(&nv->f);
	const struct table_column cols[C__COUNT] = {
	    [C_ALIAS] = {_("ALIAS"), "alias", 10, 22, 3, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_ADDR] = {_("ADDRESS"), "addr", 14, 49, 2, 6, GRID_TRUNC_MIDDLE, TABLE_SORT_TEXT},
	    [C_STATUS] = {_("STATUS"), "status", 7, 0, 0, 0, GRID_ALIGN_LEFT, TABLE_SORT_NUMBER},
	    [C_ORACLE] = {_("ORACLE"), "oracle", 6, 0, 0, 5, GRID_ALIGN_LEFT, TABLE_SORT_NUMBER},
	    [C_PEERED] = {_("PEERED"), "peered", 6, 0, 0, 4, GRID_ALIGN_LEFT, TABLE_SORT_NUMBER},
	    [C_VERSION] = {_("VERSION"), "version", 8, 12, 1, 7, GRID_ALIGN_LEFT,
	                   TABLE_SORT_NUMBER},
	    [C_CPU] = {_("CPU%"), "cpu", 5, 0, 0, 0, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [C_MEM] = {_("MEM"), "mem", 10, 14, 1, 0, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [C_DISK] = {_("DISK"), "disk", 10, 14, 1, 3, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [C_GPU] = {_("GPU"), "gpu", 4, 20, 1, 9, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_GFLOPS] = {_("GFLOP/S"), "gflops", 7, 0, 0, 9, GRID_ALIGN_RIGHT,
	                  TABLE_SORT_NUMBER},
	    [C_UPTIME] = {_("UPTIME"), "uptime", 7, 0, 0, 8, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [C_SEEN] = {_("SEEN"), "seen", 5, 0, 0, 0, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [C_AVAIL] = {_("AVAIL"), "avail", 5, 0, 0, 2, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [C_LAST] = {_("LAST"), "last", 5, 0, 0, 2, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [C_PIPES] = {_("PIPES"), "pipes", 5, 0, 0, 1, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	};
	memcpy(nv->cols, cols, sizeof(cols));
	struct table_source src = {
	    .ctx = nv,
	    .count = s_count,
	    .key = s_key,
	    .text = s_text,
	    .number = s_number,
	    .role = s_role,
	};
	nv->t = table_new(nv->cols, C__COUNT, &src);
	if (!nv->t) {
		v_free(&nv->v);
		return r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	}
	nv->t->empty_text = _("no nodes yet: waiting for heartbeats and network maps");
	refresh(nv);
	if (arg && *arg) {
		enum r1_err e = v_filter(&nv->v, arg, why);
		if (e) {
			v_free(&nv->v);
			return e;
		}
		snprintf(nv->v.filter, sizeof(nv->v.filter), "%s", arg);
	}
	*out = &nv->v;
	return R1_OK;
}

const struct view_class view_nodes_class = {
    .name = "nodes",
    .alias = "no",
    .title = N_("Network"),
    .help = N_("every node: status, resources, availability"),
    .open = v_open,
};
