/*
 * A placeholder view for the views other modules own (":cstore", ":r1fs",
 * ":compute"): the command works and says what will be there.  Each of
 * those classes lives in its own small file (views/cstore.c, ...), which
 * its owner replaces with the real view; its line in views.def stays.
 */
#include "tui/lib.h"
#include "tui/theme.h"
#include "tui/views/views.h"

struct placeholder {
	struct view v;
	const char *what; /* N_() */
};

static void v_draw(struct view *v, struct grid_area a)
{
	struct placeholder *p = (struct placeholder *)v;
	grid_field(a, 0, a.h / 2 - 1, a.w, GRID_ALIGN_CENTER, _(p->what), TUI_ROLE_TITLE, 0);
	grid_field(a, 0, a.h / 2 + 1, a.w, GRID_ALIGN_CENTER,
	           _("This view is not built yet. Esc goes back."), TUI_ROLE_ROW_DIM, 0);
}

static void v_free(struct view *v)
{
	r1_free(v);
}

static const struct view_ops ops = {.free = v_free, .draw = v_draw};

enum r1_err view_placeholder_open(struct app *app, const struct view_class *c, const char *what,
                                  struct view **out, char **why)
{
	struct placeholder *p = r1_calloc(1, sizeof(*p));
	if (!p)
		return r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	view_init(&p->v, c, &ops, app, NULL);
	p->what = what;
	*out = &p->v;
	return R1_OK;
}
