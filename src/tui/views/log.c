/*
 * The Log view (":log"): the console's own log, or (Tab) the log of the
 * nodes this process hosts, as a following text view.  Lines come from the
 * logs' rings (core/log.h); new ones are appended as they are kept.  '/'
 * keeps the lines holding some text, or of a level (level:warn).
 */
#include "tui/lib.h"
#include "tui/fmt.h"
#include "tui/theme.h"
#include "tui/views/views.h"
#include "tui/widgets/filter.h"
#include "tui/widgets/textview.h"
#include "core/log.h"

#define LOG_BATCH 512

struct log_view {
	struct view v;
	struct textview tv;
	bool nodes; /* showing the hosted nodes' log */
	uint64_t last_seq;
	struct filter f;
	size_t shown;
};

static struct r1_log *source(struct log_view *lv)
{
	struct tui_model *m = app_model(lv->v.app);
	return lv->nodes ? m->node_log : m->log;
}

static const char *f_text(void *ctx, size_t i, char *scratch, size_t size)
{
	(void)scratch;
	(void)size;
	const struct r1_log_line *l = ctx;
	return i == 0 ? l->text : NULL;
}

static bool f_field(void *ctx, const struct filter_term *t)
{
	const struct r1_log_line *l = ctx;
	if (strcmp(t->key, "level") == 0) {
		enum r1_log_level want;
		if (!r1_log_level_parse(t->value, &want))
			return false;
		return l->level <= want;
	}
	return false;
}

/* Append the lines newer than last_seq. */
static bool pull(struct log_view *lv)
{
	struct r1_log *lg = source(lv);
	if (!lg)
		return false;
	struct r1_log_line *lines = r1_calloc(LOG_BATCH, sizeof(*lines));
	if (!lines)
		return false;
	uint64_t last = lv->last_seq;
	size_t n = r1_log_recent(lg, lines, LOG_BATCH, lv->last_seq, &last);
	lv->last_seq = last;
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		struct filter_row fr = {&lines[i], f_text, f_field};
		if (!filter_match(&lv->f, &fr))
			continue;
		char clock[16];
		int64_t ms = (int64_t)lines[i].when.tv_sec * 1000 + lines[i].when.tv_nsec / 1000000;
		buf_addf(&b, "%s %-5s %s\n", fmt_clock(clock, sizeof(clock), ms),
		         r1_log_level_name(lines[i].level), lines[i].text);
		lv->shown++;
	}
	bool any = b.len > 0;
	if (any && buf_ok(&b))
		textview_append(&lv->tv, b.data, b.len);
	buf_release(&b);
	r1_free(lines);
	return any;
}

static void refill(struct log_view *lv)
{
	lv->last_seq = 0;
	lv->shown = 0;
	textview_set(&lv->tv, "", 0);
	lv->tv.follow = true;
	pull(lv);
}

static void v_draw(struct view *v, struct grid_area a)
{
	struct log_view *lv = (struct log_view *)v;
	if (!source(lv)) {
		grid_field(a, 0, a.h / 2, a.w, GRID_ALIGN_CENTER,
		           lv->nodes ? _("this console hosts no node") : _("no log"),
		           TUI_ROLE_ROW_DIM, 0);
		return;
	}
	textview_draw(&lv->tv, a, TUI_ROLE_DEFAULT);
}

static unsigned v_key(struct view *v, int key)
{
	return textview_key(&((struct log_view *)v)->tv, key);
}

static bool v_log(struct view *v)
{
	return pull((struct log_view *)v);
}

static enum r1_err v_filter(struct view *v, const char *text, char **why)
{
	static const char *const keys[] = {"level"};
	struct log_view *lv = (struct log_view *)v;
	enum r1_err e = filter_set(&lv->f, text, keys, R1_ARRAY_LEN(keys), why);
	if (e)
		return e;
	refill(lv);
	return R1_OK;
}

static unsigned k_switch(void *ctx)
{
	struct log_view *lv = ctx;
	lv->nodes = !lv->nodes;
	snprintf(lv->v.crumb, sizeof(lv->v.crumb), "%s",
	         lv->nodes ? _("Log (hosted nodes)") : _("Log (console)"));
	refill(lv);
	return TUI_CONSUMED | TUI_REDRAW;
}

static const struct keymap_entry keys[] = {
    {TUI_KEY_TAB, N_("switch"), N_("the console's log or the hosted nodes' log"), KEYMAP_BAR,
     k_switch},
};

static void v_status(struct view *v, struct buf *out)
{
	struct log_view *lv = (struct log_view *)v;
	buf_addf(out, ngettext("%zu line", "%zu lines", lv->shown), lv->shown);
	if (!lv->tv.follow)
		buf_addf(out, "  %s", _("(End: follow)"));
}

static void v_free(struct view *v)
{
	struct log_view *lv = (struct log_view *)v;
	textview_release(&lv->tv);
	filter_release(&lv->f);
	r1_free(lv);
}

static const struct view_ops ops = {
    .free = v_free,
    .draw = v_draw,
    .key = v_key,
    .filter = v_filter,
    .log = v_log,
    .status = v_status,
};

static enum r1_err v_open(struct app *app, const char *arg, struct view **out, char **why)
{
	struct log_view *lv = r1_calloc(1, sizeof(*lv));
	if (!lv)
		return r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	view_init(&lv->v, &view_log_class, &ops, app, _("Log (console)"));
	lv->v.keys = keys;
	lv->v.nkeys = R1_ARRAY_LEN(keys);
	textview_init(&lv->tv);
	filter_init(&lv->f);
	if (arg && (strcmp(arg, "nodes") == 0 || strcmp(arg, "node") == 0)) {
		lv->nodes = true;
		snprintf(lv->v.crumb, sizeof(lv->v.crumb), "%s", _("Log (hosted nodes)"));
	}
	refill(lv);
	*out = &lv->v;
	return R1_OK;
}

const struct view_class view_log_class = {
    .name = "log",
    .title = N_("Log"),
    .help = N_("the console's log (Tab: the hosted nodes')"),
    .open = v_open,
};
