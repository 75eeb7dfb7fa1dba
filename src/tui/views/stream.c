/*
 * The Payloads and Notifications views (":payloads", ":notif"): the live
 * streams as tables, newest at the bottom, the selection following the
 * newest until the reader moves away, with a detail pane showing the
 * selected message decoded and its verification verdict.  Space (or 'p')
 * pauses: the rows stay as they are while the stream runs on underneath.
 *
 * Rows are stream sequence numbers: row i is record first_seq + i.  While
 * running, first_seq follows the ring's oldest record; while paused it
 * stays, and a record the ring has dropped shows as such.
 */
#include "tui/lib.h"
#include "tui/fmt.h"
#include "tui/theme.h"
#include "tui/views/views.h"
#include "tui/widgets/filter.h"
#include "tui/widgets/table.h"
#include "tui/widgets/textview.h"
#include "core/netmap.h"
#include "core/sanitize.h"

#include <math.h>

enum {
	C_TIME,
	C_NODE,
	C_TYPE,
	C_CODE,
	C_PIPELINE,
	C_PLUGIN,
	C_INSTANCE,
	C_VERIFIED,
	C_TEXT,
	C__COUNT
};

struct stream_view {
	struct view v;
	enum stream_kind k;
	struct table *t;
	struct table_column cols[C__COUNT];
	int col_map[C__COUNT]; /* table column -> C_* */
	int ncols;
	struct filter f;
	bool paused;
	uint64_t first_seq; /* row 0 */
	size_t count;       /* rows the table sees */
	bool stale;         /* records arrived: refresh at the next draw */
	struct textview detail;
	uint64_t detail_seq; /* shown in the detail pane; 0 = none */
	bool zoomed_detail;  /* the pane takes the whole view */
};

static struct stream *the_stream(struct stream_view *sv)
{
	return &app_model(sv->v.app)->streams[sv->k];
}

static const struct stream_entry *entry(struct stream_view *sv, size_t row)
{
	return stream_find(the_stream(sv), sv->first_seq + row);
}

/* ------------------------------------------------------------ the source */

static size_t s_count(void *ctx)
{
	return ((struct stream_view *)ctx)->count;
}

static uint64_t s_key(void *ctx, size_t row)
{
	return ((struct stream_view *)ctx)->first_seq + row;
}

static const char *alias_of(struct stream_view *sv, const struct stream_entry *e, char *scratch,
                            size_t size)
{
	if (e->node[0])
		return e->node;
	const struct nm_node *n =
	    e->sender[0] ? netmap_find_addr(app_model(sv->v.app)->nm, e->sender) : NULL;
	if (n) {
		r1_sanitize_into(scratch, size, n->info.alias, strlen(n->info.alias), 0);
		return scratch;
	}
	return e->sender[0] ? e->sender : "?";
}

static const char *s_text(void *ctx, size_t row, int col, char *scratch, size_t size)
{
	struct stream_view *sv = ctx;
	const struct stream_entry *e = entry(sv, row);
	int c = sv->col_map[col];
	if (!e)
		return c == C_TEXT ? _("(dropped from the buffer)") : "";
	switch (c) {
	case C_TIME:
		return fmt_clock(scratch, size, e->t_ms);
	case C_NODE:
		return alias_of(sv, e, scratch, size);
	case C_TYPE:
		return e->ntype[0] ? e->ntype : "-";
	case C_CODE:
		if (!e->has_code)
			return "-";
		snprintf(scratch, size, "%d", e->code);
		return scratch;
	case C_PIPELINE:
		return e->pipeline[0] ? e->pipeline : "-";
	case C_PLUGIN:
		return e->signature[0] ? e->signature : "-";
	case C_INSTANCE:
		return e->instance[0] ? e->instance : "-";
	case C_VERIFIED:
		return e->verified ? _("yes") : _("NO");
	case C_TEXT:
		return e->text;
	}
	return NULL;
}

static double s_number(void *ctx, size_t row, int col)
{
	struct stream_view *sv = ctx;
	const struct stream_entry *e = entry(sv, row);
	if (!e)
		return NAN;
	switch (sv->col_map[col]) {
	case C_TIME:
		return (double)e->seq;
	case C_CODE:
		return e->has_code ? e->code : NAN;
	}
	return NAN;
}

static uint16_t s_role(void *ctx, size_t row, int col)
{
	struct stream_view *sv = ctx;
	const struct stream_entry *e = entry(sv, row);
	if (!e)
		return TUI_ROLE_ROW_DIM;
	int c = sv->col_map[col];
	if (c == C_VERIFIED)
		return e->verified ? 0 : TUI_ROLE_STATUS_ERROR;
	if ((c == C_CODE || c == C_TYPE) && e->has_code) {
		if (e->code < 0 || strcmp(e->ntype, "EXCEPTION") == 0 ||
		    strcmp(e->ntype, "ABNORMAL FUNCTIONING") == 0)
			return TUI_ROLE_STATUS_ERROR;
		return TUI_ROLE_STATUS_OK;
	}
	return 0;
}

/* --------------------------------------------------------------- filter */

static const char *const filter_keys[] = {"node",   "sender",   "pipeline", "sig",  "signature",
                                          "plugin", "instance", "inst",     "code", "type",
                                          "text",   "verified", "encrypted"};

static const char *f_text(void *ctx, size_t i, char *scratch, size_t size)
{
	(void)scratch;
	(void)size;
	const struct stream_entry *e = ctx;
	const char *fields[] = {e->node, e->pipeline, e->signature, e->instance,
	                        e->text, e->ntype,    e->sender};
	return i < R1_ARRAY_LEN(fields) ? fields[i] : NULL;
}

static bool f_field(void *ctx, const struct filter_term *t)
{
	const struct stream_entry *e = ctx;
	const char *k = t->key;
	static const struct {
		const char *key;
		size_t off;
	} texts[] = {
	    {"node", offsetof(struct stream_entry, node)},
	    {"sender", offsetof(struct stream_entry, sender)},
	    {"pipeline", offsetof(struct stream_entry, pipeline)},
	    {"sig", offsetof(struct stream_entry, signature)},
	    {"signature", offsetof(struct stream_entry, signature)},
	    {"plugin", offsetof(struct stream_entry, signature)},
	    {"instance", offsetof(struct stream_entry, instance)},
	    {"inst", offsetof(struct stream_entry, instance)},
	    {"type", offsetof(struct stream_entry, ntype)},
	    {"text", offsetof(struct stream_entry, text)},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(texts); i++)
		if (strcmp(k, texts[i].key) == 0)
			return filter_text_matches(t, (const char *)e + texts[i].off);
	if (strcmp(k, "code") == 0)
		return filter_number_matches(t, e->has_code ? e->code : NAN);
	if (strcmp(k, "verified") == 0)
		return filter_bool_matches(t, e->verified);
	if (strcmp(k, "encrypted") == 0)
		return filter_bool_matches(t, e->encrypted);
	return false;
}

static bool row_shown(void *ctx, size_t row)
{
	struct stream_view *sv = ctx;
	const struct stream_entry *e = entry(sv, row);
	if (!e)
		return false;
	struct filter_row fr = {(void *)e, f_text, f_field};
	return filter_match(&sv->f, &fr);
}

/* ------------------------------------------------------------- refresh */

static void sync_rows(struct stream_view *sv)
{
	struct stream *s = the_stream(sv);
	struct table *t = sv->t;
	bool at_end = t->n == 0 || t->sel + 1 >= t->n;
	if (!sv->paused) {
		uint64_t first = stream_first_seq(s);
		size_t count = stream_count(s);
		if (first == sv->first_seq && count >= sv->count) {
			sv->count = count;
			table_rows_appended(t);
		} else {
			sv->first_seq = first;
			sv->count = count;
			table_refresh(t);
		}
		if (at_end && t->n)
			table_select_index(t, t->n - 1);
	}
	sv->stale = false;
}

static enum r1_err v_filter(struct view *v, const char *text, char **why)
{
	struct stream_view *sv = (struct stream_view *)v;
	enum r1_err e = filter_set(&sv->f, text, filter_keys, R1_ARRAY_LEN(filter_keys), why);
	if (e)
		return e;
	table_set_filter(sv->t, sv->f.n ? row_shown : NULL, sv);
	table_refresh(sv->t);
	if (sv->t->n)
		table_select_index(sv->t, sv->t->n - 1);
	return R1_OK;
}

/* --------------------------------------------------------------- detail */

static const struct stream_entry *selected(struct stream_view *sv)
{
	size_t row;
	if (!table_selected(sv->t, &row, NULL))
		return NULL;
	return entry(sv, row);
}

static void describe(struct stream_view *sv, const struct stream_entry *e, struct buf *b)
{
	char tbuf[32], abuf[64];
	buf_addf(b, "%s  %s %s (%s)\n", fmt_datetime(tbuf, sizeof(tbuf), e->t_ms), _("from"),
	         alias_of(sv, e, abuf, sizeof(abuf)), e->sender[0] ? e->sender : "?");
	if (e->verified)
		buf_addf(b, "%s", _("signature: verified"));
	else
		buf_addf(b, _("signature: NOT VERIFIED (%s)"), e->reason[0] ? e->reason : "?");
	if (e->encrypted)
		buf_addf(b, "  %s",
		         e->decrypted ? _("encrypted to us, decrypted")
		                      : _("encrypted to someone else"));
	buf_addf(b, "  %s %u B\n", _("size"), e->wire_len);
	buf_addf(b, "%s: %s / %s / %s / %s\n", _("path"), e->node[0] ? e->node : "-",
	         e->pipeline[0] ? e->pipeline : "-", e->signature[0] ? e->signature : "-",
	         e->instance[0] ? e->instance : "-");
	if (e->has_code)
		buf_addf(b, "%s %s %d: %s\n", _("notification"), e->ntype, e->code, e->text);
	buf_adds(b, "\n");
	if (e->body)
		buf_add(b, e->body, e->body_len);
	else
		buf_adds(b, _("(no body)"));
}

static void update_detail(struct stream_view *sv)
{
	const struct stream_entry *e = selected(sv);
	uint64_t seq = e ? e->seq : 0;
	if (seq == sv->detail_seq)
		return;
	sv->detail_seq = seq;
	struct buf b = BUF_INIT;
	if (e)
		describe(sv, e, &b);
	textview_set(&sv->detail, b.data ? b.data : "", b.len);
	sv->detail.top = 0;
	buf_release(&b);
}

/* --------------------------------------------------------------- drawing */

static void v_draw(struct view *v, struct grid_area a)
{
	struct stream_view *sv = (struct stream_view *)v;
	if (sv->stale)
		sync_rows(sv);
	update_detail(sv);
	if (sv->zoomed_detail) {
		textview_draw(&sv->detail, a, TUI_ROLE_DEFAULT);
		return;
	}
	int detail_h = a.h >= 14 ? a.h * 2 / 5 : 0;
	table_draw(sv->t, grid_sub(a, 0, 0, a.w, a.h - detail_h));
	if (detail_h) {
		struct grid_area d = grid_sub(a, 0, a.h - detail_h, a.w, detail_h);
		struct grid_area in = grid_frame(d, _("message"), GRID_LINE_LIGHT, TUI_ROLE_BORDER,
		                                 TUI_ROLE_PANE_TITLE);
		if (sv->detail_seq)
			textview_draw(&sv->detail, in, TUI_ROLE_DEFAULT);
		else
			grid_text(in, 0, 0, _("select a message to see it here"), TUI_ROLE_ROW_DIM,
			          0);
	}
}

/* ------------------------------------------------------------------ keys */

static unsigned k_pause(void *ctx)
{
	struct stream_view *sv = ctx;
	sv->paused = !sv->paused;
	if (!sv->paused)
		sync_rows(sv);
	app_message(sv->v.app, TUI_ROLE_STATUS_INFO, "%s",
	            sv->paused ? _("paused: the stream goes on underneath (Space resumes)")
	                       : _("resumed"));
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_zoom(void *ctx)
{
	struct stream_view *sv = ctx;
	sv->zoomed_detail = !sv->zoomed_detail;
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_end(void *ctx)
{
	struct stream_view *sv = ctx;
	if (sv->t->n)
		table_select_index(sv->t, sv->t->n - 1);
	return TUI_CONSUMED | TUI_REDRAW;
}

static const struct keymap_entry keys[] = {
    {TUI_KEY_SPACE, N_("pause"), N_("pause or resume the stream"), KEYMAP_BAR, k_pause},
    {'p', NULL, N_("pause or resume the stream"), KEYMAP_NO_HELP, k_pause},
    {TUI_KEY_ENTER, N_("detail"), N_("the selected message on the whole screen (again: back)"),
     KEYMAP_BAR, k_zoom},
    {'f', N_("follow"), N_("jump to the newest message and follow the stream"), KEYMAP_BAR, k_end},
};

static unsigned v_key(struct view *v, int key)
{
	struct stream_view *sv = (struct stream_view *)v;
	if (sv->zoomed_detail) {
		if (key == TUI_KEY_ESC) {
			sv->zoomed_detail = false;
			return TUI_CONSUMED | TUI_REDRAW;
		}
		return textview_key(&sv->detail, key);
	}
	/* PgUp/PgDn scroll the table; Shift-arrows are not portable: use the zoom */
	return table_key(sv->t, key) & ~(unsigned)TUI_ACTION;
}

static unsigned v_mouse(struct view *v, const struct tui_mouse *m)
{
	struct stream_view *sv = (struct stream_view *)v;
	if (sv->zoomed_detail)
		return TUI_IGNORED;
	unsigned r = table_mouse(sv->t, m);
	if (r & TUI_ACTION)
		return k_zoom(sv);
	return r;
}

static bool v_message(struct view *v, enum stream_kind k, const struct stream_entry *e)
{
	(void)e;
	struct stream_view *sv = (struct stream_view *)v;
	if (k != sv->k || sv->paused)
		return false;
	sv->stale = true;
	return true;
}

static void v_status(struct view *v, struct buf *out)
{
	struct stream_view *sv = (struct stream_view *)v;
	struct stream *s = the_stream(sv);
	if (sv->f.n)
		buf_addf(out, _("%zu of %zu messages match"), table_count(sv->t), sv->count);
	else
		buf_addf(out, ngettext("%zu message", "%zu messages", sv->count), sv->count);
	buf_addf(out, _(" (%" PRIu64 " received)"), s->total);
	if (sv->paused)
		buf_addf(out, "  %s", _("PAUSED"));
}

static void v_resume(struct view *v)
{
	struct stream_view *sv = (struct stream_view *)v;
	sv->stale = true;
}

static void v_free(struct view *v)
{
	struct stream_view *sv = (struct stream_view *)v;
	table_free(&sv->t);
	filter_release(&sv->f);
	textview_release(&sv->detail);
	r1_free(sv);
}

static const struct view_ops ops = {
    .free = v_free,
    .draw = v_draw,
    .key = v_key,
    .filter = v_filter,
    .message = v_message,
    .mouse = v_mouse,
    .status = v_status,
    .resume = v_resume,
};

static const struct view_class *class_of(enum stream_kind k);

struct view *view_stream_new(struct app *app, enum stream_kind k, const char *filter,
                             const char *crumb)
{
	struct stream_view *sv = r1_calloc(1, sizeof(*sv));
	if (!sv)
		return NULL;
	view_init(&sv->v, class_of(k), &ops, app, crumb);
	sv->v.keys = keys;
	sv->v.nkeys = R1_ARRAY_LEN(keys);
	sv->k = k;
	filter_init(&sv->f);
	textview_init(&sv->detail);
	const struct table_column all[C__COUNT] = {
	    [C_TIME] = {_("TIME"), "time", 8, 0, 0, 0, GRID_ALIGN_LEFT, TABLE_SORT_NUMBER},
	    [C_NODE] = {_("NODE"), "node", 8, 20, 1, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_TYPE] = {_("TYPE"), "type", 6, 12, 1, 3, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_CODE] = {_("CODE"), "code", 5, 0, 0, 0, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [C_PIPELINE] = {_("PIPELINE"), "pipeline", 8, 24, 1, 0, GRID_ALIGN_LEFT,
	                    TABLE_SORT_TEXT},
	    [C_PLUGIN] = {_("PLUGIN"), "sig", 8, 28, 1, 1, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_INSTANCE] = {_("INSTANCE"), "instance", 8, 24, 1, 2, GRID_ALIGN_LEFT,
	                    TABLE_SORT_TEXT},
	    [C_VERIFIED] = {_("SIGNED"), "verified", 6, 0, 0, 4, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [C_TEXT] = {k == STREAM_PAYLOADS ? _("DATA") : _("NOTIFICATION"), "text", 12, 0, 4, 0,
	                GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	};
	for (int c = 0; c < C__COUNT; c++) {
		if (k == STREAM_PAYLOADS && (c == C_TYPE || c == C_CODE))
			continue;
		sv->col_map[sv->ncols] = c;
		sv->cols[sv->ncols++] = all[c];
	}
	struct table_source src = {
	    .ctx = sv,
	    .count = s_count,
	    .key = s_key,
	    .text = s_text,
	    .number = s_number,
	    .role = s_role,
	};
	sv->t = table_new(sv->cols, sv->ncols, &src);
	if (!sv->t) {
		v_free(&sv->v);
		return NULL;
	}
	sv->t->follow = true;
	sv->t->empty_text = k == STREAM_PAYLOADS ? _("no payloads yet") : _("no notifications yet");
	struct stream *s = the_stream(sv);
	sv->first_seq = stream_first_seq(s);
	sv->count = stream_count(s);
	if (filter && *filter && v_filter(&sv->v, filter, NULL) == R1_OK) {
		snprintf(sv->v.filter, sizeof(sv->v.filter), "%s", filter);
		snprintf(sv->v.preset, sizeof(sv->v.preset), "%s", filter);
	}
	table_refresh(sv->t);
	if (sv->t->n)
		table_select_index(sv->t, sv->t->n - 1);
	return &sv->v;
}

static enum r1_err open_kind(struct app *app, enum stream_kind k, const char *arg,
                             struct view **out, char **why)
{
	*out = view_stream_new(app, k, NULL, NULL);
	if (!*out)
		return r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	if (arg && *arg) {
		enum r1_err e = v_filter(*out, arg, why);
		if (e) {
			v_free(*out);
			*out = NULL;
			return e;
		}
		snprintf((*out)->filter, sizeof((*out)->filter), "%s", arg);
	}
	return R1_OK;
}

static enum r1_err open_payloads(struct app *app, const char *arg, struct view **out, char **why)
{
	return open_kind(app, STREAM_PAYLOADS, arg, out, why);
}

static enum r1_err open_notif(struct app *app, const char *arg, struct view **out, char **why)
{
	return open_kind(app, STREAM_NOTIFICATIONS, arg, out, why);
}

const struct view_class view_payloads_class = {
    .name = "payloads",
    .alias = "pl",
    .title = N_("Payloads"),
    .help = N_("the live payload stream"),
    .open = open_payloads,
};

const struct view_class view_notif_class = {
    .name = "notif",
    .alias = "notifications",
    .title = N_("Notifications"),
    .help = N_("the live notification stream"),
    .open = open_notif,
};

static const struct view_class *class_of(enum stream_kind k)
{
	return k == STREAM_PAYLOADS ? &view_payloads_class : &view_notif_class;
}
