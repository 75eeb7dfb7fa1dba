/*
 * r1console pipeline close NODE NAME: ARCHIVE_CONFIG, confirmed by
 * PIPELINE_ARCHIVE_OK (the SDK's Pipeline.close()).
 * r1console instance command NODE PIPELINE SIGNATURE INSTANCE COMMAND
 * [--params JSON] [--payload JSON]: an instance command as
 * Instance.send_instance_command sends it (COMMAND a word, or a JSON object),
 * confirmed by PIPELINE_OK and PLUGIN_INSTANCE_COMMAND_OK.
 */
#include "cli/cli.h"
#include "cli/args.h"
#include "cli/netctx.h"
#include "cli/txnwait.h"
#include "core/session.h"

#include <jansson.h>

struct close_opts {
	bool yes;
};

static const struct cli_flag close_flags[] = {
    {"yes", CLI_BOOL, offsetof(struct close_opts, yes)},
    CLI_FLAGS_END,
};

struct instance_opts {
	const char *params;
	const char *payload;
};

static const struct cli_flag instance_flags[] = {
    {"params", CLI_STR, offsetof(struct instance_opts, params)},
    {"payload", CLI_STR, offsetof(struct instance_opts, payload)},
    CLI_FLAGS_END,
};

/* Parse a --flag JSON object; prints one line and returns false when it is not one. */
static bool json_flag(const char *flag, const char *text, json_t **out)
{
	*out = NULL;
	if (!text)
		return true;
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);
	if (!j) {
		cli_error(_("%s%s: invalid JSON at %d:%d: %s"), flag[0] == 'C' ? "" : "--", flag,
		          err.line, err.column, err.text);
		return false;
	}
	if (!json_is_object(j)) {
		cli_error(_("%s%s must be a JSON object"), flag[0] == 'C' ? "" : "--", flag);
		json_decref(j);
		return false;
	}
	*out = j;
	return true;
}

/* Open the network, find the node, warn; EXIT_OK to go on. */
static int start(struct netctx *nc, const struct cli_global *g, const char *node,
                 const struct nm_node **n)
{
	int rc = netctx_open_node(nc, g, 0, node, 0, n);
	if (rc)
		return rc;
	txnwait_warn(nc, *n);
	return EXIT_OK;
}

static int cmd_pipeline(int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_pipeline_entries[0];
	if (cli_wants_help(self, argc, argv))
		return EXIT_OK;
	struct close_opts o = {0};
	struct cli_global g = {0};
	struct cli_args a;
	char *err = NULL;
	if (!cli_parse(argc, argv, close_flags, &o, &g, &a, &err) || a.n_pos != 3 ||
	    strcmp(a.pos[0], "close") != 0) {
		cli_error("%s", err ? err : _("usage: r1console pipeline close NODE NAME [--yes]"));
		r1_free(err);
		return EXIT_USAGE;
	}
	struct netctx nc;
	const struct nm_node *n = NULL;
	int rc = start(&nc, &g, a.pos[1], &n);
	if (rc)
		return rc;
	if (!cli_confirm(o.yes, _("Close pipeline '%s' on node '%s' (ARCHIVE_CONFIG)?"), a.pos[2],
	                 n->info.alias)) {
		netctx_close(&nc);
		return EXIT_FAIL;
	}
	struct buf what = BUF_INIT;
	buf_addf(&what, _("close %s"), a.pos[2]);
	struct txnwait w;
	txnwait_init(&w, &nc, n, buf_cstr(&what));
	buf_release(&what);
	struct session_call call = {.done = txnwait_done, .ctx = &w};
	char *why = NULL;
	if (session_close_pipeline(nc.sess, n->info.addr, a.pos[2], &call, NULL, &why)) {
		cli_error(_("cannot send ARCHIVE_CONFIG to %s: %s"), n->info.alias, why ? why : "");
		r1_free(why);
		netctx_close(&nc);
		return EXIT_FAIL;
	}
	rc = txnwait_run(&w, g.json);
	netctx_close(&nc);
	return rc;
}

static int cmd_instance(int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_pipeline_entries[1];
	if (cli_wants_help(self, argc, argv))
		return EXIT_OK;
	struct instance_opts o = {0};
	struct cli_global g = {0};
	struct cli_args a;
	char *err = NULL;
	if (!cli_parse(argc, argv, instance_flags, &o, &g, &a, &err) || a.n_pos != 6 ||
	    strcmp(a.pos[0], "command") != 0) {
		cli_error("%s", err ? err
		                    : _("usage: r1console instance command NODE PIPELINE SIGNATURE "
		                        "INSTANCE COMMAND [--params JSON]"));
		r1_free(err);
		return EXIT_USAGE;
	}
	/* COMMAND is a word ("RESTART_PROCESS": a flag in COMMAND_PARAMS, as the SDK
	 * sends a string command) or a JSON object sent as it is */
	json_t *params = NULL, *payload = NULL, *cmd_obj = NULL;
	const char *cmd = a.pos[5];
	if ((cmd[0] == '{' && !json_flag("COMMAND", cmd, &cmd_obj)) ||
	    !json_flag("params", o.params, &params) || !json_flag("payload", o.payload, &payload)) {
		json_decref(params);
		json_decref(cmd_obj);
		return EXIT_USAGE;
	}
	struct netctx nc;
	const struct nm_node *n = NULL;
	int rc = start(&nc, &g, a.pos[1], &n);
	if (rc) {
		json_decref(params);
		json_decref(payload);
		json_decref(cmd_obj);
		return rc;
	}
	struct buf what = BUF_INIT;
	buf_addf(&what, _("command %s on %s/%s"), a.pos[5], a.pos[2], a.pos[4]);
	struct txnwait w;
	txnwait_init(&w, &nc, n, buf_cstr(&what));
	buf_release(&what);
	struct session_call call = {.done = txnwait_done, .ctx = &w};
	char *why = NULL;
	enum r1_err e = session_instance_command(nc.sess, n->info.addr, a.pos[2], a.pos[3],
	                                         a.pos[4], cmd_obj ? NULL : cmd, cmd_obj, payload,
	                                         params, &call, NULL, &why);
	json_decref(params);
	json_decref(payload);
	json_decref(cmd_obj);
	if (e) {
		cli_error(_("cannot send the command to %s: %s"), n->info.alias, why ? why : "");
		r1_free(why);
		netctx_close(&nc);
		return EXIT_FAIL;
	}
	rc = txnwait_run(&w, g.json);
	netctx_close(&nc);
	return rc;
}

const struct cmd_entry cmd_pipeline_entries[] = {
    {"pipeline", N_("pipeline close NODE NAME [--yes]"),
     N_("close (archive) a pipeline and wait for PIPELINE_ARCHIVE_OK"), cmd_pipeline},
    {"instance", N_("instance command NODE PIPELINE SIGNATURE INSTANCE COMMAND [--params JSON]"),
     N_("send a command to a plugin instance and wait for its confirmation"), cmd_instance},
    {NULL, NULL, NULL, NULL},
};
