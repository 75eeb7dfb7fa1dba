/*
 * The R1FS view (":r1fs"): a placeholder until its owner builds it (this
 * file is theirs to replace; the registry line in views.def stays).
 */
#include "tui/lib.h"
#include "tui/views/views.h"

static enum r1_err v_open(struct app *app, const char *arg, struct view **out, char **why)
{
	(void)arg;
	return view_placeholder_open(app, &view_r1fs_class, N_("R1FS: files shared on the network"),
	                             out, why);
}

const struct view_class view_r1fs_class = {
    .name = "r1fs",
    .title = N_("R1FS"),
    .help = N_("shared files (not built yet)"),
    .open = v_open,
};
