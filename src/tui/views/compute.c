/*
 * The Compute view (":compute"): a placeholder until its owner builds it (this
 * file is theirs to replace; the registry line in views.def stays).
 */
#include "tui/lib.h"
#include "tui/views/views.h"

static enum r1_err v_open(struct app *app, const char *arg, struct view **out, char **why)
{
	(void)arg;
	return view_placeholder_open(app, &view_compute_class,
	                             N_("Compute: jobs running on the nodes"), out, why);
}

const struct view_class view_compute_class = {
    .name = "compute",
    .title = N_("Compute"),
    .help = N_("compute jobs (not built yet)"),
    .open = v_open,
};
