/*
 * A scrollable text view: an instance's config as pretty JSON, a message in
 * full, a node's allow-list.  Opened by drill-down only (hidden class).
 * The textview sanitizes what it is given, so network text is safe here.
 */
#include "tui/lib.h"
#include "tui/theme.h"
#include "tui/views/views.h"
#include "tui/widgets/textview.h"

struct text_view {
	struct view v;
	struct textview tv;
};

static void v_draw(struct view *v, struct grid_area a)
{
	textview_draw(&((struct text_view *)v)->tv, a, TUI_ROLE_DEFAULT);
}

static unsigned v_key(struct view *v, int key)
{
	return textview_key(&((struct text_view *)v)->tv, key);
}

static void v_status(struct view *v, struct buf *out)
{
	struct text_view *t = (struct text_view *)v;
	size_t lines = textview_lines(&t->tv);
	buf_addf(out, ngettext("%zu line", "%zu lines", lines), lines);
	buf_addf(out, "  %s", t->tv.wrap ? _("(w: no wrap)") : _("(w: wrap)"));
}

static unsigned v_mouse(struct view *v, const struct tui_mouse *m)
{
	struct text_view *t = (struct text_view *)v;
	if (m->kind == TUI_MOUSE_WHEEL_UP || m->kind == TUI_MOUSE_WHEEL_DOWN) {
		for (int i = 0; i < 3; i++)
			textview_key(&t->tv,
			             m->kind == TUI_MOUSE_WHEEL_UP ? TUI_KEY_UP : TUI_KEY_DOWN);
		return TUI_CONSUMED | TUI_REDRAW;
	}
	return TUI_IGNORED;
}

static void v_free(struct view *v)
{
	struct text_view *t = (struct text_view *)v;
	textview_release(&t->tv);
	r1_free(t);
}

static const struct view_ops ops = {
    .free = v_free,
    .draw = v_draw,
    .key = v_key,
    .mouse = v_mouse,
    .status = v_status,
};

struct view *view_text_new(struct app *app, const char *crumb, const char *text)
{
	struct text_view *t = r1_calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	view_init(&t->v, &view_text_class, &ops, app, crumb);
	textview_init(&t->tv);
	t->tv.follow = false;
	if (textview_set(&t->tv, text ? text : "", text ? strlen(text) : 0) != R1_OK) {
		v_free(&t->v);
		return NULL;
	}
	return &t->v;
}

static enum r1_err v_open(struct app *app, const char *arg, struct view **out, char **why)
{
	*out = view_text_new(app, NULL, arg);
	return *out ? R1_OK : r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
}

const struct view_class view_text_class = {
    .name = "text",
    .title = N_("Text"),
    .hidden = true,
    .open = v_open,
};
