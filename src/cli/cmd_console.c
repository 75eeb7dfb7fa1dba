/*
 * r1console [console] [flags]: the console.  Settings come as for every
 * command (config file, EE_* environment, --profile/--broker/...); with no
 * profile it shows the embedded local network (an oracle and a local node
 * in this process), with --demo N a demo network of N nodes, with a broker
 * the network behind it (--node also hosts a node there).
 *
 * The terminal is the app's (tui/app.h); this file only turns flags into
 * options, starts the network (tui/consnet.h) and runs the loop until the
 * user quits.  Exit status: 0 after a quit, 1 when the console cannot start,
 * 2 on a usage error.
 */
#include "cli/cli.h"
#include "cli/args.h"
#include "cli/netctx.h"
#include "core/log.h"
#include "core/loop.h"
#include "tui/app.h"
#include "tui/consnet.h"
#include "tui/model.h"
#include "core/clock.h"

#include <time.h>

struct console_opts {
	long long demo;
	bool node, readonly, no_colour, no_color, ascii, no_mouse, no_cache;
	const char *node_alias, *theme, *theme_dir, *view, *log_file;
	double heartbeat_s, epoch_s;
	long long speed, frame_ms;
};

static const struct cli_flag console_flags[] = {
    {"demo", CLI_INT, offsetof(struct console_opts, demo)},
    {"node", CLI_BOOL, offsetof(struct console_opts, node)},
    {"node-alias", CLI_STR, offsetof(struct console_opts, node_alias)},
    {"readonly", CLI_BOOL, offsetof(struct console_opts, readonly)},
    {"read-only", CLI_BOOL, offsetof(struct console_opts, readonly)},
    {"theme", CLI_STR, offsetof(struct console_opts, theme)},
    {"theme-dir", CLI_STR, offsetof(struct console_opts, theme_dir)},
    {"no-colour", CLI_BOOL, offsetof(struct console_opts, no_colour)},
    {"no-color", CLI_BOOL, offsetof(struct console_opts, no_color)},
    {"ascii", CLI_BOOL, offsetof(struct console_opts, ascii)},
    {"no-mouse", CLI_BOOL, offsetof(struct console_opts, no_mouse)},
    {"no-cache", CLI_BOOL, offsetof(struct console_opts, no_cache)},
    {"view", CLI_STR, offsetof(struct console_opts, view)},
    {"log", CLI_STR, offsetof(struct console_opts, log_file)},
    {"heartbeat-period", CLI_SECONDS, offsetof(struct console_opts, heartbeat_s)},
    {"epoch-length", CLI_SECONDS, offsetof(struct console_opts, epoch_s)},
    {"speed", CLI_INT, offsetof(struct console_opts, speed)},
    {"frame-ms", CLI_INT, offsetof(struct console_opts, frame_ms)},
    CLI_FLAGS_END,
};

struct console {
	struct loop *loop;
	struct app *app;
	struct r1_log *log, *node_log;
	uint64_t started_ns;
	bool first_frame_logged;
	struct loop_hook *hook;
};

static void on_quit(void *ctx)
{
	struct console *c = ctx;
	loop_stop(c->loop);
}

/* Log how long the first frame took to show (the start-up budget is 200 ms). */
static void before_poll(void *ctx)
{
	struct console *c = ctx;
	if (c->first_frame_logged || app_frames(c->app) == 0)
		return;
	c->first_frame_logged = true;
	LOG_I(c->log, "console", "first frame %.1f ms after start",
	      (double)(r1_mono_ns() - c->started_ns) / 1e6);
	loop_hook_remove(c->loop, &c->hook);
}

static bool check_opts(const struct console_opts *o)
{
	if (o->demo < 0 || o->demo > CONSNET_DEMO_MAX) {
		cli_error(_("--demo: between 1 and %d nodes"), CONSNET_DEMO_MAX);
		return false;
	}
	if (o->speed < 0 || o->speed > 1000) {
		cli_error("%s", _("--speed: a factor between 1 and 1000"));
		return false;
	}
	if (o->frame_ms < 0 || o->frame_ms > 10000) {
		cli_error("%s", _("--frame-ms: between 1 and 10000"));
		return false;
	}
	return true;
}

static int run(struct console_opts *o, struct cli_global *g)
{
	struct console c = {.started_ns = r1_mono_ns()};
	struct netctx_env env;
	struct r1_identity id;
	struct tui_model model;
	struct consnet *cn = NULL;
	FILE *logf = NULL;
	char *why = NULL;
	int rc = netctx_env_load(&env, g, false);
	if (rc)
		return rc;
	if ((rc = netctx_identity(&env, &id, true))) {
		netctx_env_release(&env);
		return rc;
	}
	rc = EXIT_FAIL;
	if (tui_model_init(&model)) {
		cli_error("%s", _("out of memory"));
		goto out;
	}
	c.log = r1_log_new(0);
	c.node_log = r1_log_new(0);
	if (!c.log || !c.node_log) {
		cli_error("%s", _("out of memory"));
		goto out;
	}
	r1_log_set_level(c.log, getenv("R1_DEBUG") ? R1_LOG_DEBUG : R1_LOG_INFO);
	r1_log_set_level(c.node_log, R1_LOG_INFO);
	if (o->log_file) {
		logf = fopen(o->log_file, "ae");
		if (!logf) {
			cli_error(_("cannot open log file %s: %s"), o->log_file, strerror(errno));
			goto out;
		}
		setvbuf(logf, NULL, _IOLBF, 0);
		r1_log_set_file(c.log, logf);
	}
	if (loop_new(&c.loop, &why))
		goto fail;
	if (o->speed > 1)
		loop_set_speed(c.loop, (unsigned)o->speed);
	struct consnet_options co = {
	    .set = &env.set,
	    .paths = &env.paths,
	    .id = &id,
	    .demo = (unsigned)o->demo,
	    .host_node = o->node,
	    .node_alias = o->node_alias,
	    .heartbeat_ms = (unsigned)(o->heartbeat_s * 1000),
	    .speed = (unsigned)o->speed,
	    .epoch_s = (int64_t)o->epoch_s,
	    .no_cache = o->no_cache,
	    .log = c.log,
	    .node_log = c.node_log,
	};
	if (o->node && env.set.broker.local && !o->demo)
		LOG_W(c.log, "console", "--node: the embedded network already hosts its nodes");
	if (consnet_open(c.loop, &co, &model, &cn, &why))
		goto fail;
	const char *nc = getenv("NO_COLOR");
	const char *theme_dir = o->theme_dir ? o->theme_dir : getenv("R1CONSOLE_THEME_DIR");
	struct app_options ao = {
	    .readonly = o->readonly,
	    .theme = o->theme ? o->theme : env.file.theme,
	    .theme_dir = theme_dir,
	    .no_colour = o->no_colour || o->no_color || (nc && *nc),
	    .ascii = o->ascii,
	    .no_mouse = o->no_mouse,
	    .frame_ms = (unsigned)o->frame_ms,
	    .speed = (unsigned)o->speed,
	    .start = o->view,
	    .dump_path = getenv("R1CONSOLE_SCREEN_DUMP"),
	};
	if (app_new(c.loop, &model, &ao, &c.app, &why))
		goto fail;
	app_on_quit(c.app, on_quit, &c);
	c.hook = loop_hook_add(c.loop, before_poll, &c);
	if (app_start(c.app, &why))
		goto fail;
	LOG_I(c.log, "console", "network %s, %zu hosted nodes, identity %s", model.network,
	      consnet_nodes(cn), id.addr);
	if (loop_run(c.loop, &why))
		goto fail;
	rc = EXIT_OK;
	goto out;
fail:
	/* the terminal is back before the message */
	app_free(&c.app);
	cli_error("%s", why ? why : _("the console could not start"));
out:
	r1_free(why);
	loop_hook_remove(c.loop, &c.hook);
	app_free(&c.app);
	consnet_close(&cn);
	tui_model_release(&model);
	loop_free(&c.loop);
	r1_log_free(&c.node_log);
	r1_log_free(&c.log);
	if (logf)
		fclose(logf);
	identity_wipe(&id);
	netctx_env_release(&env);
	return rc;
}

static int cmd_console(int argc, char **argv)
{
	if (cli_wants_help(&cmd_console_entries[0], argc, argv))
		return EXIT_OK;
	struct console_opts o = {0};
	struct cli_global g = {0};
	struct cli_args a;
	char *err = NULL;
	if (!cli_parse(argc, argv, console_flags, &o, &g, &a, &err)) {
		cli_error("%s", err ? err : _("bad arguments"));
		r1_free(err);
		return EXIT_USAGE;
	}
	if (a.n_pos) {
		cli_error(_("console: unexpected argument '%s'"), a.pos[0]);
		return EXIT_USAGE;
	}
	if (!check_opts(&o))
		return EXIT_USAGE;
	return run(&o, &g);
}

const struct cmd_entry cmd_console_entries[] = {
    {"console",
     N_("console [--demo N] [--broker URL [--node] [--node-alias A]] [--profile P] [--readonly] "
        "[--theme NAME] [--no-colour] [--ascii] [--no-mouse] [--view CMD] [--heartbeat-period S] "
        "[--epoch-length S] [--speed N] [--no-cache] [--log FILE]"),
     N_("the console (also what r1console does with no command)"), cmd_console},
    {NULL, NULL, NULL, NULL},
};
