/*
 * r1console restart NODE / shutdown NODE: RESTART and STOP, as r1ctl sends
 * them, waiting for the node's acknowledgement (the NORMAL notification
 * "Running 'RESTART' command ... received from '<us>'") up to the timeout.
 * A node that is offline or does not allow us is warned about first; the
 * command is still sent, and the wait then ends in a timeout that says why.
 */
#include "cli/cli.h"
#include "cli/args.h"
#include "cli/netctx.h"
#include "cli/txnwait.h"
#include "core/proto.h"
#include "core/session.h"

struct node_op_opts {
	bool yes;
};

static const struct cli_flag node_op_flags[] = {
    {"yes", CLI_BOOL, offsetof(struct node_op_opts, yes)},
    CLI_FLAGS_END,
};

static int node_op(int argc, char **argv, const struct cmd_entry *self, const char *action)
{
	if (cli_wants_help(self, argc, argv))
		return EXIT_OK;
	struct node_op_opts o = {0};
	struct cli_global g = {0};
	struct cli_args a;
	char *err = NULL;
	if (!cli_parse(argc, argv, node_op_flags, &o, &g, &a, &err) || a.n_pos != 1) {
		cli_error("%s: %s", self->name, err ? err : _("give exactly one NODE"));
		r1_free(err);
		return EXIT_USAGE;
	}
	struct netctx nc;
	const struct nm_node *n = NULL;
	int rc = netctx_open_node(&nc, &g, 0, a.pos[0], 0, &n);
	if (rc)
		return rc;
	uint32_t timeout = nc.env.set.timeout_ms;
	txnwait_warn(&nc, n);
	if (!cli_confirm(o.yes, _("Send %s to node '%s' <%s>?"), action, n->info.alias,
	                 n->info.addr)) {
		netctx_close(&nc);
		return EXIT_FAIL;
	}
	struct txnwait w;
	txnwait_init(&w, &nc, n, action);
	struct session_call call = {.timeout_ms = timeout, .done = txnwait_done, .ctx = &w};
	uint64_t id = 0;
	char *why = NULL;
	enum r1_err e = strcmp(action, ACT_RESTART) == 0
	                    ? session_restart(nc.sess, n->info.addr, &call, &id, &why)
	                    : session_stop(nc.sess, n->info.addr, &call, &id, &why);
	if (e) {
		cli_error(_("cannot send %s to %s: %s"), action, n->info.alias, why ? why : "");
		r1_free(why);
		netctx_close(&nc);
		return EXIT_FAIL;
	}
	if (!g.json)
		printf(_("Sending '%s' to node '%s' <%s>\n"), action, n->info.alias, n->info.addr);
	rc = txnwait_run(&w, g.json);
	netctx_close(&nc);
	return rc;
}

static int cmd_restart(int argc, char **argv)
{
	return node_op(argc, argv, &cmd_node_ops_entries[0], ACT_RESTART);
}

static int cmd_shutdown(int argc, char **argv)
{
	return node_op(argc, argv, &cmd_node_ops_entries[1], ACT_STOP);
}

const struct cmd_entry cmd_node_ops_entries[] = {
    {"restart", N_("restart NODE [--yes]"), N_("restart a node (RESTART) and wait for it to confirm"),
     cmd_restart},
    {"shutdown", N_("shutdown NODE [--yes]"), N_("stop a node (STOP) and wait for it to confirm"),
     cmd_shutdown},
    {NULL, NULL, NULL, NULL},
};
