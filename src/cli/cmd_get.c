/*
 * The read commands, named as r1ctl names them:
 *   get nodes [--all|--online|--peered] [--supervisor ADDR] [--alias S] [--wide] [--eth]
 *   get supervisors [--wide] [--eth]
 *   get apps [--node N] [--full] [--owner ADDR] [--app S] [--wide]
 *   get avail NODE [--start E] [--end E]
 *   inspect NODE [--wide]
 * Every one takes --json.  They wait for the network's map (the oracles'
 * NET_MON_01), then print from the netmap (render.h).
 */
#include "cli/cli.h"
#include "cli/args.h"
#include "cli/netctx.h"
#include "cli/render.h"
#include "cli/table.h"
#include "core/cache.h"
#include "core/session.h"
#include "core/clock.h"

#include <jansson.h>

struct get_opts {
	bool all, online, peered, wide, eth, full;
	const char *supervisor, *alias, *node, *owner, *app;
	long long start, end;
	bool has_start, has_end;
};

static const struct cli_flag get_flags[] = {
    {"all", CLI_BOOL, offsetof(struct get_opts, all)},
    {"online", CLI_BOOL, offsetof(struct get_opts, online)},
    {"peered", CLI_BOOL, offsetof(struct get_opts, peered)},
    {"wide", CLI_BOOL, offsetof(struct get_opts, wide)},
    {"eth", CLI_BOOL, offsetof(struct get_opts, eth)},
    {"full", CLI_BOOL, offsetof(struct get_opts, full)},
    {"supervisor", CLI_STR, offsetof(struct get_opts, supervisor)},
    {"node", CLI_STR, offsetof(struct get_opts, node)},
    {"owner", CLI_STR, offsetof(struct get_opts, owner)},
    {"app", CLI_STR, offsetof(struct get_opts, app)},
    {"start", CLI_INT, offsetof(struct get_opts, start)},
    {"end", CLI_INT, offsetof(struct get_opts, end)},
    CLI_FLAGS_END,
};

/* --alias is global (our own alias) elsewhere; for get it filters nodes. */
static void print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
	fputc('\n', stdout);
	json_decref(j);
}

static void print_buf(struct buf *b)
{
	fputs(buf_cstr(b), stdout);
	buf_release(b);
}

/* The header r1ctl prints above its node tables. */
static void header(struct netctx *nc, const char *what)
{
	const struct nm_oracle *best = NULL;
	size_t seen = 0;
	for (size_t i = 0; i < netmap_oracle_count(nc->nm); i++) {
		const struct nm_oracle *o = netmap_oracle_at(nc->nm, i);
		if (!o->trusted || !o->reports)
			continue;
		seen++;
		if (!best || o->nodes_reported > best->nodes_reported)
			best = o;
	}
	double elapsed = (double)(r1_wall_ms() - nc->started_ms) / 1000.0;
	printf(_("r1console %s: %s\n"), PACKAGE_VERSION, nc->id.addr);
	if (best)
		printf(_("%s on '%s' reported by <%s> '%s' in %.1fs (%zu supervisors seen):\n"),
		       what, netctx_network_name(nc), best->addr, best->alias, elapsed, seen);
	else
		printf(_("%s on '%s' in %.1fs:\n"), what, netctx_network_name(nc), elapsed);
}

static int get_nodes(struct netctx *nc, const struct get_opts *o, const struct cli_global *g,
                     bool supervisors)
{
	int rc = netctx_wait_map(nc, nc->env.set.timeout_ms);
	if (rc)
		return rc;
	struct render_nodes_opts ro = {.all = o->all && !o->online,
	                               .peered = o->peered,
	                               .oracles_only = supervisors,
	                               .wide = o->wide,
	                               .eth = o->eth,
	                               .supervisor = o->supervisor,
	                               .alias = o->alias};
	const struct nm_node **v = NULL;
	size_t n = render_nodes_select(nc->nm, &ro, &v);
	int64_t now = r1_wall_ms();
	if (g->json) {
		print_json(render_nodes_json(nc->nm, v, n, now));
	} else {
		header(nc, supervisors ? _("Supervisors")
		           : ro.all    ? _("Nodes")
		                       : _("Online nodes"));
		struct buf b = BUF_INIT;
		render_nodes_table(nc->nm, &ro, v, n, now, cli_table_width(STDOUT_FILENO), &b);
		print_buf(&b);
	}
	r1_free(v);
	return EXIT_OK;
}

struct apps_wait {
	const struct nm_node **nodes;
	size_t n;
	int64_t asked_ms;
};

static bool apps_arrived(void *ctx)
{
	struct apps_wait *w = ctx;
	for (size_t i = 0; i < w->n; i++)
		if (w->nodes[i]->pipelines_ms < w->asked_ms)
			return false;
	return true;
}

static int get_apps(struct netctx *nc, const struct get_opts *o, const struct cli_global *g)
{
	int rc = netctx_wait_map(nc, nc->env.set.timeout_ms);
	if (rc && !o->node)
		return rc;
	const struct nm_node **nodes = NULL;
	size_t n = 0;
	if (o->node) {
		const struct nm_node *x = NULL;
		if ((rc = netctx_wait_node(nc, o->node, nc->env.set.timeout_ms, &x)))
			return rc;
		if (!x->peered) {
			cli_error(_("node '%s' <%s> does not allow this client (%s): it will not "
			            "share its apps"),
			          x->info.alias, x->info.addr, nc->id.addr);
			return EXIT_FAIL;
		}
		nodes = r1_calloc(1, sizeof(*nodes));
		if (!nodes)
			return EXIT_FAIL;
		nodes[n++] = x;
	} else {
		struct render_nodes_opts ro = {.peered = true};
		n = render_nodes_select(nc->nm, &ro, &nodes);
	}
	struct apps_wait w = {nodes, n, r1_wall_ms()};
	const char **addrs = r1_calloc(n ? n : 1, sizeof(*addrs));
	for (size_t i = 0; addrs && i < n; i++)
		addrs[i] = nodes[i]->info.addr;
	char *why = NULL;
	if (n && addrs && session_request_netconfig(nc->sess, addrs, n, &why)) {
		cli_error(_("cannot ask for the apps: %s"), why ? why : "");
		r1_free(why);
	}
	r1_free(addrs);
	bool all = netctx_run_until(nc, apps_arrived, &w, nc->env.set.timeout_ms);
	if (!all)
		for (size_t i = 0; i < n; i++)
			if (nodes[i]->pipelines_ms < w.asked_ms)
				fprintf(stderr,
				        _("r1console: warning: no apps from '%s' <%s> within "
				          "%.1f s\n"),
				        nodes[i]->info.alias, nodes[i]->info.addr,
				        nc->env.set.timeout_ms / 1000.0);
	struct render_apps_opts ao = {
	    .full = o->full, .wide = o->wide, .owner = o->owner, .app = o->app};
	if (g->json) {
		print_json(render_apps_json(nodes, n, &ao));
	} else {
		struct buf b = BUF_INIT;
		size_t rows = 0;
		render_apps_table(nodes, n, &ao, cli_table_width(STDOUT_FILENO), &b, &rows);
		if (o->node)
			printf(_("Apps on <%s> '%s' (%s) [Status: %s]:\n"), nodes[0]->info.addr,
			       nodes[0]->info.alias, netctx_network_name(nc),
			       nodes[0]->online ? _("Online") : _("Offline"));
		else
			printf(_("Apps on %zu peered node(s) of '%s':\n"), n,
			       netctx_network_name(nc));
		if (rows)
			print_buf(&b);
		else {
			buf_release(&b);
			printf(_("(no user apps)\n"));
		}
	}
	r1_free(nodes);
	return all || !n ? EXIT_OK : EXIT_TIMEOUT;
}

static int get_avail(struct netctx *nc, const struct get_opts *o, const struct cli_global *g,
                     const char *name)
{
	const struct nm_node *x = NULL;
	int rc = netctx_wait_node(nc, name, nc->env.set.timeout_ms, &x);
	if (rc)
		return rc;
	int64_t current = netmap_epoch_of(nc->nm, r1_wall_ms() * 1000);
	int64_t end = o->has_end ? o->end : current;
	int64_t start = o->has_start ? o->start : end - 9;
	if (start < 0)
		start = 0;
	if (start > end) {
		cli_error(_("--start %lld is after --end %lld"), (long long)start, (long long)end);
		return EXIT_USAGE;
	}
	if (end - start > 10000) {
		cli_error(_("at most 10000 epochs at a time"));
		return EXIT_USAGE;
	}
	size_t max = (size_t)(end - start + 1), n = 0;
	struct cache_avail_row *rows = r1_calloc(max, sizeof(*rows));
	char *why = NULL;
	if (!rows) {
		cli_error(_("out of memory"));
		return EXIT_FAIL;
	}
	if (nc->cache && cache_avail(nc->cache, x->info.addr, start, end, rows, max, &n, &why)) {
		cli_error("%s", why ? why : "");
		r1_free(why);
	}
	/* the epoch being counted comes from the live model */
	int live = netmap_node_avail(nc->nm, x, current);
	json_t *epochs = json_array(), *avails = json_array();
	struct buf b = BUF_INIT;
	if (!g->json)
		buf_addf(&b, _("Availability of '%s' <%s> (epochs %lld-%lld, 255 = always on):\n"),
		         x->info.alias, x->info.eth, (long long)start, (long long)end);
	size_t shown = 0;
	for (int64_t e = start; e <= end; e++) {
		int v = -1;
		for (size_t i = 0; i < n; i++)
			if (rows[i].epoch == e)
				v = rows[i].avail;
		if (e == current && live >= 0)
			v = live;
		if (v < 0)
			v = netmap_node_avail(nc->nm, x, e);
		if (v < 0)
			continue;
		json_array_append_new(epochs, json_integer(e));
		json_array_append_new(avails, json_integer(v));
		if (!g->json)
			buf_addf(&b, "  %-8lld %3d  %5.1f%%%s\n", (long long)e, v, v * 100.0 / 255,
			         e == current ? _("  (running)") : "");
		shown++;
	}
	r1_free(rows);
	if (g->json) {
		print_json(json_pack("{s:s,s:s,s:s,s:I,s:I,s:o,s:o}", "node", x->info.addr,
		                     "eth_address", x->info.eth, "alias", x->info.alias, "start",
		                     (json_int_t)start, "end", (json_int_t)end, "epochs", epochs,
		                     "avails", avails));
		buf_release(&b);
	} else {
		json_decref(epochs);
		json_decref(avails);
		if (!shown)
			buf_addf(&b,
			         _("  (nothing recorded: the console records availability while "
			           "it watches the network)\n"));
		print_buf(&b);
	}
	return EXIT_OK;
}

static int cmd_get(int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_get_entries[0];
	if (cli_wants_help(self, argc, argv))
		return EXIT_OK;
	struct get_opts o = {0};
	struct cli_global g = {0};
	struct cli_args a;
	char *err = NULL;
	if (!cli_parse(argc, argv, get_flags, &o, &g, &a, &err)) {
		cli_error("get: %s", err);
		r1_free(err);
		return EXIT_USAGE;
	}
	/* for get, --alias filters nodes by alias (as r1ctl); it does not rename us */
	o.alias = g.cfg.alias;
	g.cfg.alias = NULL;
	for (int i = 1; i < argc; i++) {
		o.has_start |= strncmp(argv[i], "--start", 7) == 0;
		o.has_end |= strncmp(argv[i], "--end", 5) == 0;
	}
	static const char *const subs[] = {"nodes", "supervisors", "apps", "avail"};
	const char *sub = a.n_pos ? a.pos[0] : "";
	size_t k = 0;
	while (k < R1_ARRAY_LEN(subs) && strcmp(sub, subs[k]) != 0)
		k++;
	if (k == R1_ARRAY_LEN(subs) && a.n_pos) {
		cli_error(_("get: no list called '%s'; the lists are nodes, supervisors, apps and "
		            "avail"),
		          sub);
		return EXIT_USAGE;
	}
	if (k == R1_ARRAY_LEN(subs) || a.n_pos != (k == 3 ? 2u : 1u)) {
		cli_error(_("usage: r1console %s"), _(self->usage));
		return EXIT_USAGE;
	}
	if ((o.has_start && o.start < 0) || (o.has_end && o.end < 0)) {
		cli_error(_("epochs are 0 or more"));
		return EXIT_USAGE;
	}
	struct netctx nc;
	int rc = netctx_open(&nc, &g, 0);
	if (rc)
		return rc;
	switch (k) {
	case 0:
	case 1:
		rc = get_nodes(&nc, &o, &g, k == 1);
		break;
	case 2:
		rc = get_apps(&nc, &o, &g);
		break;
	default:
		rc = get_avail(&nc, &o, &g, a.pos[1]);
		break;
	}
	netctx_close(&nc);
	return rc;
}

static int cmd_inspect(int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_get_entries[1];
	if (cli_wants_help(self, argc, argv))
		return EXIT_OK;
	struct get_opts o = {0};
	struct cli_global g = {0};
	struct cli_args a;
	char *err = NULL;
	if (!cli_parse(argc, argv, get_flags, &o, &g, &a, &err) || a.n_pos != 1) {
		cli_error("%s", err ? err : _("usage: r1console inspect NODE [--wide]"));
		r1_free(err);
		return EXIT_USAGE;
	}
	struct netctx nc;
	const struct nm_node *x = NULL;
	int rc = netctx_open_node(&nc, &g, 0, a.pos[0], 0, &x);
	if (rc)
		return rc;
	/* its pipelines, when it shares them */
	if (x->peered && x->online) {
		struct apps_wait w = {&x, 1, r1_wall_ms()};
		const char *addr = x->info.addr;
		if (session_request_netconfig(nc.sess, &addr, 1, NULL) == R1_OK)
			netctx_run_until(&nc, apps_arrived, &w, nc.env.set.timeout_ms);
	}
	int64_t now = r1_wall_ms();
	if (g.json) {
		json_t *j = render_node_json(nc.nm, x, now);
		struct render_apps_opts ao = {.full = true};
		json_t *apps = render_apps_json(&x, 1, &ao);
		json_object_set(j, "apps", json_object_get(json_array_get(apps, 0), "apps"));
		json_decref(apps);
		print_json(j);
	} else {
		struct buf b = BUF_INIT;
		render_inspect(nc.nm, x, now, o.wide, &b);
		print_buf(&b);
	}
	netctx_close(&nc);
	return EXIT_OK;
}

const struct cmd_entry cmd_get_entries[] = {
    {"get",
     N_("get nodes|supervisors|apps|avail [NODE] [--all|--online|--peered] [--wide] [--eth] "
        "[--node N] [--full] [--start E --end E]"),
     N_("list nodes, supervisors, apps, or a node's availability per epoch"), cmd_get},
    {"inspect", N_("inspect NODE [--wide]"),
     N_("show what is known of one node: resources, state, pipelines"), cmd_inspect},
    {NULL, NULL, NULL, NULL},
};
