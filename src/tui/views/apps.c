/*
 * The Apps view (":apps"), r1ctl's `get apps` as a live table: every plugin
 * instance of every pipeline on every node we can see into (from their
 * NetConfig replies), grouped by app (the pipeline's name), with the
 * instance's state, last run and payload count.  Enter shows the
 * instance's config as JSON; 'p' its payload stream.  The nodes' own
 * admin pipelines are hidden unless asked for ('a').
 *
 * Rows index the netmap's pipeline arrays, which a NetConfig reply
 * replaces: they are rebuilt at once on every pipeline change.
 */
#include "tui/lib.h"
#include "tui/fmt.h"
#include "tui/theme.h"
#include "tui/views/views.h"
#include "tui/widgets/filter.h"
#include "tui/widgets/table.h"
#include "core/netmap.h"
#include "core/proto.h"
#include "core/sanitize.h"

enum { C_NODE, C_OWNER, C_PLUGIN, C_INSTANCE, C_STATE, C_EXEC, C_PAYLOADS, C__COUNT };

struct arow {
	uint32_t node;
	uint16_t pipe, inst; /* inst == UINT16_MAX: a pipeline without instances */
};

struct apps_view {
	struct view v;
	struct table *t;
	struct table_column cols[C__COUNT];
	struct filter f;
	struct arow *rows;
	size_t nrows, cap;
	bool admin; /* show the admin pipelines */
	size_t nodes_seen;
};

static const struct nm_node *node_of(struct apps_view *av, size_t row)
{
	return netmap_at(app_model(av->v.app)->nm, av->rows[row].node);
}

static const struct nm_pipeline *pipe_of(struct apps_view *av, size_t row)
{
	static const struct nm_pipeline none = {.name = "?"};
	const struct nm_node *n = row < av->nrows ? node_of(av, row) : NULL;
	if (!n || av->rows[row].pipe >= n->n_pipelines)
		return &none;
	return &n->pipelines[av->rows[row].pipe];
}

static const struct nm_instance *inst_of(struct apps_view *av, size_t row)
{
	if (row >= av->nrows)
		return NULL;
	const struct nm_pipeline *p = pipe_of(av, row);
	uint16_t i = av->rows[row].inst;
	return i == UINT16_MAX || i >= p->n_instances ? NULL : &p->instances[i];
}

static bool push_row(struct apps_view *av, struct arow r)
{
	if (av->nrows == av->cap) {
		size_t cap = av->cap ? av->cap * 2 : 256;
		struct arow *p = r1_reallocarray(av->rows, cap, sizeof(*p));
		if (!p)
			return false;
		av->rows = p;
		av->cap = cap;
	}
	av->rows[av->nrows++] = r;
	return true;
}

static void build_rows(struct apps_view *av)
{
	struct netmap *nm = app_model(av->v.app)->nm;
	av->nrows = 0;
	size_t count = netmap_count(nm);
	av->nodes_seen = 0;
	for (size_t i = 0; i < count; i++) {
		const struct nm_node *n = netmap_at(nm, i);
		if (n->pipelines_ms)
			av->nodes_seen++;
		for (uint16_t p = 0; p < n->n_pipelines; p++) {
			const struct nm_pipeline *pl = &n->pipelines[p];
			if (!av->admin && strcmp(pl->name, ADMIN_PIPELINE) == 0)
				continue;
			if (!pl->n_instances &&
			    !push_row(av, (struct arow){(uint32_t)i, p, UINT16_MAX}))
				return;
			for (size_t k = 0; k < pl->n_instances; k++)
				if (!push_row(av, (struct arow){(uint32_t)i, p, (uint16_t)k}))
					return;
		}
	}
}

static void rebuild(struct apps_view *av)
{
	build_rows(av);
	table_refresh(av->t);
}

/* ------------------------------------------------------------ the source */

static size_t s_count(void *ctx)
{
	return ((struct apps_view *)ctx)->nrows;
}

static uint64_t s_key(void *ctx, size_t row)
{
	struct apps_view *av = ctx;
	const struct nm_instance *in = inst_of(av, row);
	uint64_t h = view_node_key(node_of(av, row));
	h = view_hash_str(h, pipe_of(av, row)->name);
	if (in)
		h = view_hash_str(view_hash_str(h, in->signature), in->instance_id);
	return h;
}

static uint64_t s_group(void *ctx, size_t row)
{
	struct apps_view *av = ctx;
	return view_pipeline_group_key(pipe_of(av, row)->name);
}

static const char *s_group_title(void *ctx, size_t row, char *scratch, size_t size)
{
	struct apps_view *av = ctx;
	char name[NM_NAME_MAX + 1];
	view_clean(pipe_of(av, row)->name, name, sizeof(name));
	/* this app's instances and nodes (a node's rows are contiguous) */
	size_t inst = 0, nodes = 0;
	uint32_t last_node = UINT32_MAX;
	const char *want = pipe_of(av, row)->name;
	for (size_t r = 0; r < av->nrows; r++) {
		if (strcmp(pipe_of(av, r)->name, want) != 0)
			continue;
		inst += inst_of(av, r) != NULL;
		if (av->rows[r].node != last_node) {
			nodes++;
			last_node = av->rows[r].node;
		}
	}
	snprintf(scratch, size,
	         ngettext("%s  (%zu instance on %zu node(s))", "%s  (%zu instances on %zu node(s))",
	                  inst),
	         name, inst, nodes);
	return scratch;
}

static const char *jstatus(const struct nm_instance *in, const char *key)
{
	return in && in->status ? json_string_value(json_object_get(in->status, key)) : NULL;
}

static const char *s_text(void *ctx, size_t row, int col, char *scratch, size_t size)
{
	struct apps_view *av = ctx;
	const struct nm_instance *in = inst_of(av, row);
	const struct nm_pipeline *p = pipe_of(av, row);
	switch (col) {
	case C_NODE:
		return view_clean(node_of(av, row)->info.alias, scratch, size);
	case C_OWNER:
		return view_clean(p->owner_alias[0] ? p->owner_alias : "-", scratch, size);
	case C_PLUGIN:
		return in ? view_clean(in->signature, scratch, size) : _("(no instances)");
	case C_INSTANCE:
		return in ? view_clean(in->instance_id, scratch, size) : "";
	case C_STATE:
		if (!in || !in->status)
			return "-";
		return jstatus(in, "LAST_ERROR_TIME") ? _("error") : _("ok");
	case C_EXEC: {
		const char *t = jstatus(in, "EXEC_TIMESTAMP");
		if (!t)
			return "-";
		const char *sp = strchr(t, ' ');
		const char *from = sp ? sp + 1 : t;
		r1_sanitize_into(scratch, size, from, R1_MIN(strcspn(from, "."), (size_t)8), 0);
		return scratch;
	}
	case C_PAYLOADS: {
		const json_t *c =
		    in && in->status ? json_object_get(in->status, "TOTAL_PAYLOAD_COUNT") : NULL;
		if (!json_is_integer(c))
			return "-";
		snprintf(scratch, size, "%" JSON_INTEGER_FORMAT, json_integer_value(c));
		return scratch;
	}
	}
	return NULL;
}

static double s_number(void *ctx, size_t row, int col)
{
	(void)col;
	const struct nm_instance *in = inst_of(ctx, row);
	const json_t *c =
	    in && in->status ? json_object_get(in->status, "TOTAL_PAYLOAD_COUNT") : NULL;
	return json_is_integer(c) ? (double)json_integer_value(c) : -1;
}

static uint16_t s_role(void *ctx, size_t row, int col)
{
	struct apps_view *av = ctx;
	const struct nm_instance *in = inst_of(av, row);
	if (!node_of(av, row)->online)
		return TUI_ROLE_ROW_DIM;
	if (col == C_STATE && in && in->status)
		return jstatus(in, "LAST_ERROR_TIME") ? TUI_ROLE_STATUS_ERROR : TUI_ROLE_STATUS_OK;
	return 0;
}

/* --------------------------------------------------------------- filter */

static const char *const filter_keys[] = {"node",   "owner",    "app",   "pipeline", "sig",
                                          "plugin", "instance", "state", "online"};

struct frow {
	struct apps_view *av;
	size_t row;
};

static const char *f_text(void *ctx, size_t i, char *scratch, size_t size)
{
	const struct frow *r = ctx;
	static const int cols[] = {C_NODE, C_OWNER, C_PLUGIN, C_INSTANCE};
	if (i == R1_ARRAY_LEN(cols))
		return view_clean(pipe_of(r->av, r->row)->name, scratch, size);
	if (i > R1_ARRAY_LEN(cols))
		return NULL;
	return s_text(r->av, r->row, cols[i], scratch, size);
}

static bool f_field(void *ctx, const struct filter_term *t)
{
	const struct frow *r = ctx;
	char scratch[TABLE_CELL_MAX];
	const char *k = t->key;
	if (strcmp(k, "node") == 0)
		return filter_text_matches(t,
		                           s_text(r->av, r->row, C_NODE, scratch, sizeof(scratch)));
	if (strcmp(k, "owner") == 0)
		return filter_text_matches(
		    t, s_text(r->av, r->row, C_OWNER, scratch, sizeof(scratch)));
	if (strcmp(k, "app") == 0 || strcmp(k, "pipeline") == 0)
		return filter_text_matches(t, pipe_of(r->av, r->row)->name);
	if (strcmp(k, "sig") == 0 || strcmp(k, "plugin") == 0)
		return filter_text_matches(
		    t, s_text(r->av, r->row, C_PLUGIN, scratch, sizeof(scratch)));
	if (strcmp(k, "instance") == 0)
		return filter_text_matches(
		    t, s_text(r->av, r->row, C_INSTANCE, scratch, sizeof(scratch)));
	if (strcmp(k, "state") == 0)
		return filter_text_matches(
		    t, s_text(r->av, r->row, C_STATE, scratch, sizeof(scratch)));
	if (strcmp(k, "online") == 0)
		return filter_bool_matches(t, node_of(r->av, r->row)->online);
	return false;
}

static bool row_shown(void *ctx, size_t row)
{
	struct frow r = {ctx, row};
	struct filter_row fr = {&r, f_text, f_field};
	return filter_match(&((struct apps_view *)ctx)->f, &fr);
}

static enum r1_err v_filter(struct view *v, const char *text, char **why)
{
	struct apps_view *av = (struct apps_view *)v;
	enum r1_err e = filter_set(&av->f, text, filter_keys, R1_ARRAY_LEN(filter_keys), why);
	if (e)
		return e;
	table_set_filter(av->t, av->f.n ? row_shown : NULL, av);
	table_refresh(av->t);
	return R1_OK;
}

/* --------------------------------------------------------------- actions */

static bool target(struct apps_view *av, struct act_target *t, bool need_instance, size_t *row_out)
{
	size_t row;
	bool group;
	if (!table_selected(av->t, &row, &group) || row >= av->nrows)
		return false;
	if (group && need_instance) {
		app_message(av->v.app, TUI_ROLE_STATUS_INFO, "%s",
		            _("select a plugin instance first"));
		return false;
	}
	act_target_node(t, node_of(av, row));
	const struct nm_pipeline *p = pipe_of(av, row);
	r1_sanitize_into(t->pipeline, sizeof(t->pipeline), p->name, strlen(p->name), 0);
	const struct nm_instance *in = group ? NULL : inst_of(av, row);
	if (in) {
		snprintf(t->signature, sizeof(t->signature), "%s", in->signature);
		snprintf(t->instance, sizeof(t->instance), "%s", in->instance_id);
	} else if (need_instance) {
		app_message(av->v.app, TUI_ROLE_STATUS_INFO, "%s",
		            _("this pipeline has no instances"));
		return false;
	}
	if (row_out)
		*row_out = row;
	return true;
}

static unsigned k_config(void *ctx)
{
	struct apps_view *av = ctx;
	size_t row;
	bool group;
	if (!table_selected(av->t, &row, &group) || row >= av->nrows)
		return TUI_CONSUMED;
	const struct nm_instance *in = group ? NULL : inst_of(av, row);
	const json_t *cfg = in ? in->config : pipe_of(av, row)->config;
	char *text =
	    cfg ? json_dumps(cfg, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15))
	        : NULL;
	char crumb[160];
	snprintf(crumb, sizeof(crumb), "%s %s", in ? in->instance_id : pipe_of(av, row)->name,
	         _("config"));
	app_push(av->v.app, view_text_new(av->v.app, crumb, text ? text : "null"));
	r1_free(text);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned open_stream(struct apps_view *av, enum stream_kind k)
{
	struct act_target t;
	if (!target(av, &t, false, NULL))
		return TUI_CONSUMED;
	struct buf f = BUF_INIT;
	view_filter_term(&f, "sender", t.addr);
	view_filter_term(&f, "pipeline", t.pipeline);
	if (t.instance[0]) {
		view_filter_term(&f, "sig", t.signature);
		view_filter_term(&f, "instance", t.instance);
	}
	char crumb[160];
	snprintf(crumb, sizeof(crumb), "%s/%s %s", t.pipeline, t.instance[0] ? t.instance : "*",
	         k == STREAM_PAYLOADS ? _("payloads") : _("notifications"));
	if (buf_ok(&f))
		app_push(av->v.app, view_stream_new(av->v.app, k, buf_cstr(&f), crumb));
	buf_release(&f);
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

static unsigned k_command(void *ctx)
{
	struct act_target t;
	if (target(ctx, &t, true, NULL))
		act_instance_command(((struct apps_view *)ctx)->v.app, &t);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_edit(void *ctx)
{
	struct apps_view *av = ctx;
	struct act_target t;
	size_t row;
	if (target(av, &t, true, &row))
		act_edit_config(av->v.app, &t, inst_of(av, row)->config);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_close(void *ctx)
{
	struct act_target t;
	if (target(ctx, &t, false, NULL))
		act_close_pipeline(((struct apps_view *)ctx)->v.app, &t);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_node(void *ctx)
{
	struct apps_view *av = ctx;
	size_t row;
	bool group;
	if (table_selected(av->t, &row, &group) && row < av->nrows)
		app_push(av->v.app, view_node_new(av->v.app, node_of(av, row)));
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_admin(void *ctx)
{
	struct apps_view *av = ctx;
	av->admin = !av->admin;
	rebuild(av);
	return TUI_CONSUMED | TUI_REDRAW;
}

static const struct keymap_entry keys[] = {
    {TUI_KEY_ENTER, N_("config"), N_("the instance's config as JSON"), KEYMAP_BAR, k_config},
    {'p', N_("payloads"), N_("the instance's payload stream"), KEYMAP_BAR, k_payloads},
    {'n', NULL, N_("the instance's notifications"), 0, k_notifs},
    {'o', N_("node"), N_("open the instance's node"), KEYMAP_BAR, k_node},
    {'c', N_("command"), N_("send the instance a command"), KEYMAP_BAR | KEYMAP_WRITES, k_command},
    {'e', NULL, N_("edit the instance's config (JSON)"), KEYMAP_WRITES, k_edit},
    {'x', NULL, N_("close the pipeline on that node"), KEYMAP_WRITES, k_close},
    {'a', NULL, N_("show or hide the nodes' admin pipelines"), 0, k_admin},
};

/* ------------------------------------------------------------------ view */

static void v_draw(struct view *v, struct grid_area a)
{
	struct apps_view *av = (struct apps_view *)v;
	if (av->nrows == 0 && av->nodes_seen == 0)
		av->t->empty_text = _("no apps known yet: nodes that allow us are asked for their "
		                      "pipelines");
	table_draw(av->t, a);
}

static bool v_event(struct view *v, const struct nm_event *ev)
{
	struct apps_view *av = (struct apps_view *)v;
	if (ev->type == NM_EV_PIPELINES_CHANGED) {
		rebuild(av);
		return true;
	}
	return ev->type == NM_EV_NODE_LOST || ev->type == NM_EV_NODE_ONLINE;
}

static unsigned v_key(struct view *v, int key)
{
	struct apps_view *av = (struct apps_view *)v;
	unsigned r = table_key(av->t, key);
	if (r & TUI_ACTION)
		return k_config(av);
	return r;
}

static unsigned v_mouse(struct view *v, const struct tui_mouse *m)
{
	struct apps_view *av = (struct apps_view *)v;
	unsigned r = table_mouse(av->t, m);
	if (r & TUI_ACTION)
		return k_config(av);
	return r;
}

static void v_status(struct view *v, struct buf *out)
{
	struct apps_view *av = (struct apps_view *)v;
	buf_addf(out, _("%zu instances, from %zu nodes that listed their pipelines"), av->nrows,
	         av->nodes_seen);
	if (!av->admin)
		buf_addf(out, "  %s", _("(admin pipelines hidden: a)"));
}

static void v_resume(struct view *v)
{
	rebuild((struct apps_view *)v);
}

static void v_free(struct view *v)
{
	struct apps_view *av = (struct apps_view *)v;
	table_free(&av->t);
	filter_release(&av->f);
	r1_free(av->rows);
	r1_free(av);
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
};

static enum r1_err v_open(struct app *app, const char *arg, struct view **out, char **why)
{
	struct apps_view *av = r1_calloc(1, sizeof(*av));
	if (!av)
		return r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	view_init(&av->v, &view_apps_class, &ops, app, NULL);
	av->v.keys = keys;
	av->v.nkeys = R1_ARRAY_LEN(keys);
	filter_init(&av->f);
	const struct table_column cols[C__COUNT] = {
	    [C_NODE] = {_("NODE"), "node", 10, 20, 2, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_OWNER] = {_("OWNER"), "owner", 8, 20, 1, 2, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_PLUGIN] = {_("PLUGIN"), "sig", 12, 30, 2, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_INSTANCE] = {_("INSTANCE"), "instance", 10, 30, 2, 0, GRID_ALIGN_LEFT,
	                    TABLE_SORT_TEXT},
	    [C_STATE] = {_("STATE"), "state", 5, 0, 0, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_EXEC] = {_("LAST EXEC"), "exec", 9, 0, 0, 1, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_PAYLOADS] = {_("PAYLOADS"), "payloads", 8, 0, 0, 0, GRID_ALIGN_RIGHT,
	                    TABLE_SORT_NUMBER},
	};
	memcpy(av->cols, cols, sizeof(cols));
	struct table_source src = {
	    .ctx = av,
	    .count = s_count,
	    .key = s_key,
	    .text = s_text,
	    .number = s_number,
	    .role = s_role,
	    .group = s_group,
	    .group_title = s_group_title,
	};
	av->t = table_new(av->cols, C__COUNT, &src);
	if (!av->t) {
		v_free(&av->v);
		return r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	}
	rebuild(av);
	if (table_count(av->t) > 1)
		table_select_index(av->t, 1);
	if (arg && *arg) {
		enum r1_err e = v_filter(&av->v, arg, why);
		if (e) {
			v_free(&av->v);
			return e;
		}
		snprintf(av->v.filter, sizeof(av->v.filter), "%s", arg);
	}
	*out = &av->v;
	return R1_OK;
}

const struct view_class view_apps_class = {
    .name = "apps",
    .alias = "ap",
    .title = N_("Apps"),
    .help = N_("every pipeline and plugin instance, by app"),
    .open = v_open,
};
