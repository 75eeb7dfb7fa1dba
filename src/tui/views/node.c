/*
 * The Node view (":node ALIAS", or Enter on a node): one node in full.  Top:
 * what it is (status, identity, version, uptime, tags, allow-list), its
 * resources with sparklines from the cache (1 h or 24 h), and its
 * availability in the last epochs.  Then its pipelines and their plugin
 * instances (from its last NetConfig reply), with each instance's status.
 * At the bottom, when there is room, its latest payloads and
 * notifications.  The facts flow into as many lines as the width needs, so
 * one layout serves 80 and 200 columns.
 *
 * The node pointer is the netmap's (nodes are never removed from it).
 */
#include "tui/lib.h"
#include "tui/fmt.h"
#include "tui/theme.h"
#include "tui/views/views.h"
#include "tui/widgets/heatmap.h"
#include "tui/widgets/sparkline.h"
#include "tui/widgets/table.h"
#include "core/cache.h"
#include "core/netmap.h"
#include "core/proto.h"
#include "core/sanitize.h"
#include "core/session.h"

#include <math.h>

#define SPARK_POINTS      120
#define HISTORY_RELOAD_MS 15000
#define RECENT_MAX        64
#define EPOCHS_SHOWN      12

enum { C_PLUGIN, C_INSTANCE, C_STATE, C_EXEC, C_ERROR, C_PAYLOADS, C__COUNT };

struct irow {
	uint16_t pipe, inst; /* inst == UINT16_MAX: a pipeline without instances */
};

struct node_view {
	struct view v;
	const struct nm_node *n;
	struct table *t;
	struct table_column cols[C__COUNT];
	struct irow *rows;
	size_t nrows, cap;
	int64_t pipelines_ms; /* of the rows built */
	bool day;             /* sparklines over 24 h instead of 1 h */
	double cpu[SPARK_POINTS], mem[SPARK_POINTS], disk[SPARK_POINTS];
	int64_t history_ms; /* when the sparklines were loaded; 0 = never */
	bool asked;         /* asked the node for its pipelines */
};

/* ------------------------------------------------------------- instances */

/* Rows are rebuilt on every pipeline change (v_event); the checks are a second guard. */
static const struct nm_pipeline *pipe_of(struct node_view *nv, size_t row)
{
	static const struct nm_pipeline none = {.name = "?"};
	if (row >= nv->nrows || nv->rows[row].pipe >= nv->n->n_pipelines)
		return &none;
	return &nv->n->pipelines[nv->rows[row].pipe];
}

static const struct nm_instance *inst_of(struct node_view *nv, size_t row)
{
	if (row >= nv->nrows)
		return NULL;
	const struct irow *r = &nv->rows[row];
	if (r->inst == UINT16_MAX || r->pipe >= nv->n->n_pipelines ||
	    r->inst >= nv->n->pipelines[r->pipe].n_instances)
		return NULL;
	return &nv->n->pipelines[r->pipe].instances[r->inst];
}

static void build_rows(struct node_view *nv)
{
	const struct nm_node *n = nv->n;
	size_t need = 0;
	for (size_t p = 0; p < n->n_pipelines; p++)
		need += R1_MAX(n->pipelines[p].n_instances, (size_t)1);
	nv->nrows = 0;
	if (need > nv->cap) {
		struct irow *r = r1_reallocarray(nv->rows, need, sizeof(*r));
		if (!r)
			return;
		nv->rows = r;
		nv->cap = need;
	}
	for (size_t p = 0; p < n->n_pipelines; p++) {
		size_t ni = n->pipelines[p].n_instances;
		if (!ni)
			nv->rows[nv->nrows++] = (struct irow){(uint16_t)p, UINT16_MAX};
		for (size_t i = 0; i < ni; i++)
			nv->rows[nv->nrows++] = (struct irow){(uint16_t)p, (uint16_t)i};
	}
	nv->pipelines_ms = n->pipelines_ms;
}

static size_t s_count(void *ctx)
{
	return ((struct node_view *)ctx)->nrows;
}

static uint64_t s_key(void *ctx, size_t row)
{
	struct node_view *nv = ctx;
	const struct nm_instance *in = inst_of(nv, row);
	uint64_t h = view_hash_str(VIEW_HASH_SEED, pipe_of(nv, row)->name);
	if (in)
		h = view_hash_str(view_hash_str(h, in->signature), in->instance_id);
	return h;
}

static uint64_t s_group(void *ctx, size_t row)
{
	struct node_view *nv = ctx;
	return view_pipeline_group_key(pipe_of(nv, row)->name);
}

static const char *s_group_title(void *ctx, size_t row, char *scratch, size_t size)
{
	struct node_view *nv = ctx;
	const struct nm_pipeline *p = pipe_of(nv, row);
	char name[NM_NAME_MAX + 1], owner[NM_ALIAS_MAX + 1], type[NM_NAME_MAX + 1];
	view_clean(p->name, name, sizeof(name));
	view_clean(p->owner_alias[0] ? p->owner_alias : "-", owner, sizeof(owner));
	view_clean(p->type[0] ? p->type : "-", type, sizeof(type));
	snprintf(scratch, size,
	         ngettext("%s  (type %s, owner %s, %zu instance)",
	                  "%s  (type %s, owner %s, %zu instances)", p->n_instances),
	         name, type, owner, p->n_instances);
	return scratch;
}

static const char *jstatus(const struct nm_instance *in, const char *key)
{
	return in && in->status ? json_string_value(json_object_get(in->status, key)) : NULL;
}

/* "2026-11-27 14:03:27.123456" -> "14:03:27" */
static const char *clock_part(const char *t, char *scratch, size_t size)
{
	if (!t)
		return "-";
	const char *sp = strchr(t, ' ');
	const char *from = sp ? sp + 1 : t;
	size_t n = strcspn(from, ".");
	r1_sanitize_into(scratch, size, from, R1_MIN(n, (size_t)8), 0);
	return scratch;
}

static const char *s_text(void *ctx, size_t row, int col, char *scratch, size_t size)
{
	struct node_view *nv = ctx;
	const struct nm_instance *in = inst_of(nv, row);
	if (!in)
		return col == C_PLUGIN ? _("(no instances)") : "";
	switch (col) {
	case C_PLUGIN:
		return view_clean(in->signature, scratch, size);
	case C_INSTANCE:
		return view_clean(in->instance_id, scratch, size);
	case C_STATE:
		if (!in->status)
			return "-";
		return jstatus(in, "LAST_ERROR_TIME") ? _("error") : _("ok");
	case C_EXEC:
		return clock_part(jstatus(in, "EXEC_TIMESTAMP"), scratch, size);
	case C_ERROR:
		return clock_part(jstatus(in, "LAST_ERROR_TIME"), scratch, size);
	case C_PAYLOADS: {
		const json_t *c =
		    in->status ? json_object_get(in->status, "TOTAL_PAYLOAD_COUNT") : NULL;
		if (!json_is_integer(c))
			return "-";
		snprintf(scratch, size, "%" JSON_INTEGER_FORMAT, json_integer_value(c));
		return scratch;
	}
	}
	return NULL;
}

static uint16_t s_role(void *ctx, size_t row, int col)
{
	const struct nm_instance *in = inst_of(ctx, row);
	if (col == C_STATE && in && in->status)
		return jstatus(in, "LAST_ERROR_TIME") ? TUI_ROLE_STATUS_ERROR : TUI_ROLE_STATUS_OK;
	if (!in)
		return TUI_ROLE_ROW_DIM;
	return 0;
}

/* ------------------------------------------------------------- history */

static void load_history(struct node_view *nv)
{
	for (size_t i = 0; i < SPARK_POINTS; i++)
		nv->cpu[i] = nv->mem[i] = nv->disk[i] = NAN;
	struct tui_model *m = app_model(nv->v.app);
	nv->history_ms = m->now_ms;
	if (!m->cache)
		return;
	int64_t span = nv->day ? 86400000 : 3600000, bucket = span / SPARK_POINTS;
	int64_t to = m->now_ms, from = to - span;
	struct cache_sample *s = r1_calloc(SPARK_POINTS + 1, sizeof(*s));
	size_t n = 0;
	if (s && cache_samples(m->cache, nv->n->info.addr, from, to, bucket, s, SPARK_POINTS + 1,
	                       &n, NULL) == R1_OK) {
		for (size_t i = 0; i < n; i++) {
			int64_t k = (s[i].t_ms - from) / bucket;
			if (k < 0 || k >= SPARK_POINTS)
				continue;
			nv->cpu[k] = s[i].cpu;
			nv->mem[k] = nv->n->info.mem_total - s[i].mem_avail;
			nv->disk[k] = nv->n->info.disk_total - s[i].disk_avail;
		}
	}
	r1_free(s);
}

/* --------------------------------------------------------------- drawing */

struct flow {
	struct grid_area a;
	int x, y;
};

/* One "label value" item, on the next line when it does not fit. */
static void item(struct flow *f, const char *label, const char *value, uint16_t role)
{
	if (!value || !*value)
		return;
	int w = (label ? grid_text_width(label) + 1 : 0) + grid_text_width(value);
	if (f->x > 0 && f->x + w > f->a.w) {
		f->x = 0;
		f->y++;
	}
	if (label) {
		f->x = grid_text(f->a, f->x, f->y, label, TUI_ROLE_LABEL, 0) + 1;
	}
	f->x = grid_text(f->a, f->x, f->y, value, role, 0) + 2;
}

static void newline(struct flow *f)
{
	if (f->x > 0) {
		f->x = 0;
		f->y++;
	}
}

static void resource_line(struct flow *f, const char *label, const char *value,
                          const double *series, double lo, double hi, const char *span)
{
	newline(f);
	int x = grid_text(f->a, 0, f->y, label, TUI_ROLE_LABEL, 0);
	x = R1_MAX(x + 1, 5);
	x = grid_text(f->a, x, f->y, value, TUI_ROLE_DEFAULT, 0) + 1;
	x = R1_MAX(x, 22);
	int sw = f->a.w - x - 5;
	if (series && sw >= 8) {
		sparkline_draw(f->a, x, f->y, sw, series, SPARK_POINTS, lo, hi, TUI_ROLE_SPARKLINE);
		grid_text(f->a, x + sw + 1, f->y, span, TUI_ROLE_LABEL, 0);
	}
	f->y++;
}

static int draw_info(struct node_view *nv, struct grid_area a)
{
	const struct nm_node *n = nv->n;
	const struct nm_node_info *in = &n->info;
	struct tui_model *m = app_model(nv->v.app);
	struct flow f = {a, 0, 0};
	char b1[128], b2[256];
	grid_text(a, 0, 0, view_clean(in->alias[0] ? in->alias : "-", b1, sizeof(b1)), TUI_ROLE_TITLE,
	          GRID_BOLD);
	f.x = grid_text_width(b1) + 2;
	item(&f, NULL,
	     n->stale    ? _("stale")
	     : n->online ? _("online")
	                 : _("offline"),
	     n->stale    ? TUI_ROLE_STATUS_STALE
	     : n->online ? TUI_ROLE_STATUS_OK
	                 : TUI_ROLE_STATUS_ERROR);
	if (in->oracle)
		item(&f, NULL, _("oracle"), TUI_ROLE_STATUS_INFO);
	item(&f, NULL, n->peered ? _("peered") : _("not peered"),
	     n->peered ? TUI_ROLE_STATUS_OK : TUI_ROLE_STATUS_WARN);
	if (n->self)
		item(&f, NULL, _("this console"), TUI_ROLE_STATUS_INFO);
	item(&f, _("version"), view_clean(in->version[0] ? in->version : "-", b1, sizeof(b1)),
	     TUI_ROLE_DEFAULT);
	item(&f, _("uptime"), n->have_heartbeat ? fmt_duration(b1, sizeof(b1), in->uptime_s) : "-",
	     TUI_ROLE_DEFAULT);
	item(&f, _("seen"),
	     in->last_seen_ms ? fmt_ago(b1, sizeof(b1), m->now_ms - in->last_seen_ms) : "-",
	     TUI_ROLE_DEFAULT);
	item(&f, _("zone"), view_clean(in->zone, b1, sizeof(b1)), TUI_ROLE_DEFAULT);
	item(&f, _("tags"), view_clean(in->tags, b1, sizeof(b1)), TUI_ROLE_DEFAULT);
	newline(&f);
	item(&f, _("address"), in->addr, TUI_ROLE_DEFAULT);
	item(&f, _("eth"), in->eth, TUI_ROLE_DEFAULT);
	snprintf(b1, sizeof(b1), ngettext("%u address", "%u addresses", n->n_whitelist),
	         n->n_whitelist);
	item(&f, _("allow-list"), b1, TUI_ROLE_DEFAULT);
	item(&f, NULL, n->peered ? _("(we are in it)") : _("(we are not in it)"), TUI_ROLE_LABEL);

	const char *span = nv->day ? _("24h") : _("1h");
	fmt_percent(b1, sizeof(b1), n->have_heartbeat ? in->cpu_used : NAN);
	snprintf(b2, sizeof(b2), "%s %u %s", b1, in->cpu_cores, _("cores"));
	resource_line(&f, _("CPU"), b2, nv->cpu, 0, 100, span);
	resource_line(&f, _("MEM"),
	              fmt_used_of(b1, sizeof(b1), in->mem_total - in->mem_avail, in->mem_total),
	              nv->mem, 0, in->mem_total, span);
	resource_line(&f, _("DISK"),
	              fmt_used_of(b1, sizeof(b1), in->disk_total - in->disk_avail, in->disk_total),
	              nv->disk, 0, in->disk_total, span);
	if (in->gpu_count) {
		char name[NM_GPU_NAME_MAX + 1];
		snprintf(b2, sizeof(b2), "%ux %s", in->gpu_count,
		         view_clean(in->gpu_name, name, sizeof(name)));
		resource_line(&f, _("GPU"), b2, NULL, 0, 0, "");
	}

	/* availability of the last epochs, oldest first, the running one last */
	newline(&f);
	int64_t cur = epoch_id_at(&m->epochs, m->now_ms * 1000);
	int x = grid_text(a, 0, f.y, _("epochs"), TUI_ROLE_LABEL, 0) + 1;
	for (int64_t e = cur - EPOCHS_SHOWN + 1; e <= cur && x < a.w; e++) {
		int v = view_node_avail(nv->v.app, n, e);
		int level = heatmap_level(v);
		static const uint32_t glyphs[] = {0x00B7, 0x2591, 0x2592, 0x2593, 0x2588};
		static const char ascii[] = ".:-+#";
		uint32_t g = level < 0 ? ' ' : grid_glyph(a.g, glyphs[level], ascii[level]);
		uint16_t role =
		    level < 0 ? TUI_ROLE_HEAT_NONE : (uint16_t)(TUI_ROLE_HEAT_0 + level);
		x += grid_put(a, x, f.y, g, role, 0);
	}
	int last = view_node_avail(nv->v.app, n, cur - 1), now = view_node_avail(nv->v.app, n, cur);
	snprintf(b2, sizeof(b2), _("  last %s  now %s  (epoch %" PRId64 ")"),
	         fmt_avail(b1, sizeof(b1), last), fmt_avail(b1 + 64, 64, now), cur);
	grid_text(a, x, f.y, b2, TUI_ROLE_DEFAULT, 0);
	return f.y + 1;
}

static int draw_recent(struct node_view *nv, struct grid_area a)
{
	struct tui_model *m = app_model(nv->v.app);
	const struct stream_entry *pick[RECENT_MAX];
	size_t n = 0, want = (size_t)R1_MAX(a.h, 0);
	want = R1_MIN(want, (size_t)RECENT_MAX);
	/* the newest of both streams, merged by time */
	size_t i[STREAM__COUNT];
	for (int k = 0; k < STREAM__COUNT; k++)
		i[k] = stream_count(&m->streams[k]);
	while (n < want) {
		const struct stream_entry *best = NULL;
		int bk = -1;
		for (int k = 0; k < STREAM__COUNT; k++) {
			while (i[k] > 0) {
				const struct stream_entry *e = stream_at(&m->streams[k], i[k] - 1);
				if (strcmp(e->sender, nv->n->info.addr) == 0)
					break;
				i[k]--;
			}
			if (i[k] == 0)
				continue;
			const struct stream_entry *e = stream_at(&m->streams[k], i[k] - 1);
			if (!best || e->t_ms > best->t_ms) {
				best = e;
				bk = k;
			}
		}
		if (!best)
			break;
		i[bk]--;
		pick[n++] = best;
	}
	if (n == 0) {
		grid_text(a, 0, 0, _("no payloads or notifications from this node yet"),
		          TUI_ROLE_ROW_DIM, 0);
		return 1;
	}
	for (size_t k = 0; k < n; k++) {
		const struct stream_entry *e = pick[k];
		char clock[16], what[160];
		int x = grid_text(a, 0, (int)k, fmt_clock(clock, sizeof(clock), e->t_ms),
		                  TUI_ROLE_LABEL, 0) +
		        1;
		if (e->has_code) {
			snprintf(what, sizeof(what), "%s %d", e->ntype[0] ? e->ntype : "NOTIF",
			         e->code);
			x = grid_text(a, x, (int)k, what,
			              e->code < 0 ? TUI_ROLE_STATUS_ERROR : TUI_ROLE_STATUS_INFO,
			              0) +
			    1;
		}
		snprintf(what, sizeof(what), "%s/%s", e->pipeline[0] ? e->pipeline : "-",
		         e->signature[0] ? e->signature : "-");
		x = grid_text(a, x, (int)k, what, TUI_ROLE_DEFAULT, GRID_BOLD) + 1;
		grid_field(a, x, (int)k, a.w - x, GRID_ALIGN_LEFT, e->text, TUI_ROLE_DEFAULT, 0);
	}
	return (int)n;
}

static void v_draw(struct view *v, struct grid_area a)
{
	struct node_view *nv = (struct node_view *)v;
	struct tui_model *m = app_model(v->app);
	if (nv->n->pipelines_ms != nv->pipelines_ms) {
		build_rows(nv);
		table_refresh(nv->t);
	}
	if (!nv->history_ms || m->now_ms - nv->history_ms >= HISTORY_RELOAD_MS)
		load_history(nv);
	int used = draw_info(nv, a);
	struct grid_area rest = grid_sub(a, 0, used, a.w, a.h - used);
	bool recent = rest.h >= 14;
	int recent_h = recent ? R1_MIN(rest.h / 3, 12) : 0;
	struct grid_area pipes = grid_sub(rest, 0, 0, a.w, rest.h - recent_h);
	struct grid_area in =
	    grid_frame(pipes, _("pipelines and plugin instances"), GRID_LINE_LIGHT, TUI_ROLE_BORDER,
	               TUI_ROLE_PANE_TITLE_FOCUS);
	if (!nv->n->pipelines_ms)
		nv->t->empty_text = nv->n->peered ? _("asking the node for its pipelines...")
		                                  : _("the node does not let us see its pipelines "
		                                      "(we are not in its allow-list)");
	table_draw(nv->t, in);
	if (recent) {
		struct grid_area r = grid_sub(rest, 0, rest.h - recent_h, a.w, recent_h);
		struct grid_area ri =
		    grid_frame(r, _("latest payloads and notifications"), GRID_LINE_LIGHT,
		               TUI_ROLE_BORDER, TUI_ROLE_PANE_TITLE);
		draw_recent(nv, ri);
	}
}

/* --------------------------------------------------------------- actions */

static bool selection(struct node_view *nv, size_t *row, bool *group)
{
	return table_selected(nv->t, row, group) && *row < nv->nrows;
}

static bool target(struct node_view *nv, struct act_target *t, bool need_instance)
{
	act_target_node(t, nv->n);
	size_t row;
	bool group;
	if (!selection(nv, &row, &group))
		return !need_instance;
	const struct nm_pipeline *p = pipe_of(nv, row);
	r1_sanitize_into(t->pipeline, sizeof(t->pipeline), p->name, strlen(p->name), 0);
	const struct nm_instance *in = group ? NULL : inst_of(nv, row);
	if (in) {
		snprintf(t->signature, sizeof(t->signature), "%s", in->signature);
		snprintf(t->instance, sizeof(t->instance), "%s", in->instance_id);
	}
	if (need_instance && !in) {
		app_message(nv->v.app, TUI_ROLE_STATUS_INFO, "%s",
		            _("select a plugin instance first"));
		return false;
	}
	return true;
}

static unsigned node_act(void *ctx, void (*act)(struct app *, const struct act_target *))
{
	struct node_view *nv = ctx;
	return act_on_node(nv->v.app, nv->n, act);
}

static unsigned k_restart(void *ctx)
{
	return node_act(ctx, act_restart);
}

static unsigned k_stop(void *ctx)
{
	return node_act(ctx, act_stop);
}

static unsigned k_heartbeat(void *ctx)
{
	return node_act(ctx, act_heartbeat);
}

static unsigned k_refresh(void *ctx)
{
	return node_act(ctx, act_refresh);
}

static unsigned k_command(void *ctx)
{
	struct node_view *nv = ctx;
	struct act_target t;
	if (target(nv, &t, true))
		act_instance_command(nv->v.app, &t);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_edit(void *ctx)
{
	struct node_view *nv = ctx;
	struct act_target t;
	size_t row;
	bool group;
	if (target(nv, &t, true) && selection(nv, &row, &group))
		act_edit_config(nv->v.app, &t, inst_of(nv, row)->config);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_close(void *ctx)
{
	struct node_view *nv = ctx;
	struct act_target t;
	if (target(nv, &t, false) && t.pipeline[0])
		act_close_pipeline(nv->v.app, &t);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_view(void *ctx)
{
	struct node_view *nv = ctx;
	size_t row;
	bool group;
	if (!selection(nv, &row, &group))
		return TUI_CONSUMED;
	const struct nm_instance *in = group ? NULL : inst_of(nv, row);
	const json_t *cfg = in ? in->config : pipe_of(nv, row)->config;
	char *text =
	    cfg ? json_dumps(cfg, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15))
	        : NULL;
	char crumb[96];
	snprintf(crumb, sizeof(crumb), "%s %s", in ? in->instance_id : pipe_of(nv, row)->name,
	         _("config"));
	app_push(nv->v.app, view_text_new(nv->v.app, crumb, text ? text : "null"));
	r1_free(text);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned open_stream(struct node_view *nv, enum stream_kind k, bool instance)
{
	struct buf filter = BUF_INIT;
	char crumb[160];
	const char *what = k == STREAM_PAYLOADS ? _("payloads") : _("notifications");
	view_filter_term(&filter, "sender", nv->n->info.addr);
	snprintf(crumb, sizeof(crumb), "%s", what);
	size_t row;
	bool group;
	if (instance && selection(nv, &row, &group)) {
		const struct nm_instance *in = group ? NULL : inst_of(nv, row);
		view_filter_term(&filter, "pipeline", pipe_of(nv, row)->name);
		if (in) {
			view_filter_term(&filter, "sig", in->signature);
			view_filter_term(&filter, "instance", in->instance_id);
			snprintf(crumb, sizeof(crumb), "%s/%s %s", in->signature, in->instance_id,
			         what);
		}
	}
	if (buf_ok(&filter))
		app_push(nv->v.app, view_stream_new(nv->v.app, k, buf_cstr(&filter), crumb));
	buf_release(&filter);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_open(void *ctx)
{
	return open_stream(ctx, STREAM_PAYLOADS, true);
}

static unsigned k_payloads(void *ctx)
{
	return open_stream(ctx, STREAM_PAYLOADS, false);
}

static unsigned k_notifs(void *ctx)
{
	return open_stream(ctx, STREAM_NOTIFICATIONS, false);
}

static unsigned k_allow(void *ctx)
{
	struct node_view *nv = ctx;
	struct netmap *nm = app_model(nv->v.app)->nm;
	struct buf b = BUF_INIT;
	buf_addf(&b, _("Addresses node %s accepts commands from (%u):\n\n"), nv->n->info.alias,
	         nv->n->n_whitelist);
	for (size_t i = 0; i < nv->n->n_whitelist; i++) {
		char addr[R1_ADDR_LEN + 1];
		addr_format(nv->n->whitelist[i], addr);
		const struct nm_node *who = netmap_find_pub(nm, nv->n->whitelist[i]);
		buf_addf(&b, "%s  %s\n", addr, who ? who->info.alias : "");
	}
	app_push(nv->v.app,
	         view_text_new(nv->v.app, _("allow-list"), buf_ok(&b) ? buf_cstr(&b) : ""));
	buf_release(&b);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_span(void *ctx)
{
	struct node_view *nv = ctx;
	nv->day = !nv->day;
	load_history(nv);
	return TUI_CONSUMED | TUI_REDRAW;
}

static const struct keymap_entry keys[] = {
    {TUI_KEY_ENTER, N_("payloads"), N_("the selected instance's payload stream"), KEYMAP_BAR,
     k_open},
    {'v', N_("config"), N_("the selected instance's (or pipeline's) config"), KEYMAP_BAR, k_view},
    {'c', N_("command"), N_("send the instance a command"), KEYMAP_BAR | KEYMAP_WRITES, k_command},
    {'e', N_("edit"), N_("edit the instance's config (JSON)"), KEYMAP_BAR | KEYMAP_WRITES, k_edit},
    {'x', NULL, N_("close the selected pipeline"), KEYMAP_WRITES, k_close},
    {'p', NULL, N_("all the node's payloads"), 0, k_payloads},
    {'n', N_("notifs"), N_("the node's notifications"), KEYMAP_BAR, k_notifs},
    {'w', NULL, N_("the node's allow-list"), 0, k_allow},
    {'t', NULL, N_("sparklines over 1 h or 24 h"), 0, k_span},
    {'r', NULL, N_("ask the node for its pipelines"), 0, k_refresh},
    {'h', NULL, N_("ask for a full heartbeat (FULL_HEARTBEAT)"), KEYMAP_WRITES, k_heartbeat},
    {'R', NULL, N_("restart the node (RESTART)"), KEYMAP_WRITES, k_restart},
    {'S', NULL, N_("stop the node (STOP)"), KEYMAP_WRITES, k_stop},
};

/* ------------------------------------------------------------------ view */

static unsigned v_key(struct view *v, int key)
{
	struct node_view *nv = (struct node_view *)v;
	return table_key(nv->t, key) & ~(unsigned)TUI_ACTION;
}

static unsigned v_mouse(struct view *v, const struct tui_mouse *m)
{
	struct node_view *nv = (struct node_view *)v;
	unsigned r = table_mouse(nv->t, m);
	if (r & TUI_ACTION)
		return k_open(nv);
	return r;
}

static bool v_event(struct view *v, const struct nm_event *ev)
{
	struct node_view *nv = (struct node_view *)v;
	if (ev->node != nv->n)
		return false;
	if (ev->type == NM_EV_PIPELINES_CHANGED) {
		build_rows(nv);
		table_refresh(nv->t);
	}
	if (ev->type == NM_EV_HEARTBEAT && !nv->asked && nv->n->peered && !nv->n->pipelines_ms) {
		/* a node we may see into: ask for its pipelines once */
		nv->asked = true;
		struct tui_model *m = app_model(v->app);
		const char *addrs[] = {nv->n->info.addr};
		if (m->sess)
			session_request_netconfig(m->sess, addrs, 1, NULL);
	}
	return true;
}

static bool v_message(struct view *v, enum stream_kind k, const struct stream_entry *e)
{
	(void)k;
	struct node_view *nv = (struct node_view *)v;
	return strcmp(e->sender, nv->n->info.addr) == 0;
}

static void v_status(struct view *v, struct buf *out)
{
	struct node_view *nv = (struct node_view *)v;
	buf_addf(out, _("%u pipelines"), nv->n->n_pipelines);
	if (nv->n->pipelines_ms) {
		char ago[16];
		buf_addf(out, _(", listed %s ago"),
		         fmt_ago(ago, sizeof(ago), app_now(v->app) - nv->n->pipelines_ms));
	}
}

static bool v_tick(struct view *v)
{
	(void)v;
	return true;
}

static void v_free(struct view *v)
{
	struct node_view *nv = (struct node_view *)v;
	table_free(&nv->t);
	r1_free(nv->rows);
	r1_free(nv);
}

static const struct view_ops ops = {
    .free = v_free,
    .draw = v_draw,
    .key = v_key,
    .event = v_event,
    .message = v_message,
    .mouse = v_mouse,
    .status = v_status,
    .tick = v_tick,
};

struct view *view_node_new(struct app *app, const struct nm_node *n)
{
	struct node_view *nv = r1_calloc(1, sizeof(*nv));
	if (!nv || !n) {
		r1_free(nv);
		return NULL;
	}
	char crumb[NM_ALIAS_MAX + 1];
	view_init(&nv->v, &view_node_class, &ops, app,
	          view_clean(n->info.alias[0] ? n->info.alias : n->info.addr, crumb, sizeof(crumb)));
	nv->v.keys = keys;
	nv->v.nkeys = R1_ARRAY_LEN(keys);
	nv->n = n;
	const struct table_column cols[C__COUNT] = {
	    [C_PLUGIN] = {_("PLUGIN"), "sig", 12, 32, 2, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_INSTANCE] = {_("INSTANCE"), "instance", 10, 32, 2, 0, GRID_ALIGN_LEFT,
	                    TABLE_SORT_TEXT},
	    [C_STATE] = {_("STATE"), "state", 5, 0, 0, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_EXEC] = {_("LAST EXEC"), "exec", 9, 0, 0, 1, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_ERROR] = {_("LAST ERROR"), "error", 10, 0, 0, 2, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_PAYLOADS] = {_("PAYLOADS"), "payloads", 8, 0, 0, 0, GRID_ALIGN_RIGHT,
	                    TABLE_SORT_TEXT},
	};
	memcpy(nv->cols, cols, sizeof(cols));
	struct table_source src = {
	    .ctx = nv,
	    .count = s_count,
	    .key = s_key,
	    .text = s_text,
	    .role = s_role,
	    .group = s_group,
	    .group_title = s_group_title,
	};
	nv->t = table_new(nv->cols, C__COUNT, &src);
	if (!nv->t) {
		v_free(&nv->v);
		return NULL;
	}
	build_rows(nv);
	table_refresh(nv->t);
	/* start on the first instance, not its pipeline's heading */
	if (table_count(nv->t) > 1)
		table_select_index(nv->t, 1);
	struct tui_model *m = app_model(app);
	if (m->sess && n->peered && n->online && !n->self) {
		const char *addrs[] = {n->info.addr};
		nv->asked = session_request_netconfig(m->sess, addrs, 1, NULL) == R1_OK;
	}
	return &nv->v;
}

static enum r1_err v_open(struct app *app, const char *arg, struct view **out, char **why)
{
	const struct nm_node *n = view_resolve_node(app, arg ? arg : "", why);
	if (!n)
		return R1_ERR_NOTFOUND;
	*out = view_node_new(app, n);
	return *out ? R1_OK : r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
}

const struct view_class view_node_class = {
    .name = "node",
    .title = N_("Node"),
    .arg = N_("ALIAS"),
    .help = N_("one node: resources, pipelines, latest messages"),
    .open = v_open,
    .complete = view_node_aliases,
};
