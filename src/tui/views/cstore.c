/*
 * The CStore view (":cstore"): a placeholder until its owner builds it (this
 * file is theirs to replace; the registry line in views.def stays).
 */
#include "tui/lib.h"
#include "tui/views/views.h"

static enum r1_err v_open(struct app *app, const char *arg, struct view **out, char **why)
{
	(void)arg;
	return view_placeholder_open(app, &view_cstore_class,
	                             N_("CStore: the network's key-value store, hash by hash"), out,
	                             why);
}

const struct view_class view_cstore_class = {
    .name = "cstore",
    .title = N_("CStore"),
    .help = N_("the key-value store (not built yet)"),
    .open = v_open,
};
