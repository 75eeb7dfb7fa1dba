/*
 * r1console node: the headless edge node daemon, and two helpers for its
 * directory (`node address` prints the node's address, `node allow` adds a
 * sender to its authorized_addrs; a running node picks the change up within
 * seconds).  The daemon runs one node on a poll loop over an MQTT broker
 * (--broker) or, for tests only, an in-process bus nobody else can reach.
 *
 * Exit status: 0 after SIGTERM/SIGINT or a STOP command, 10 after a RESTART
 * command (the reference's code, so a supervisor restarts the node), 1 when
 * the node cannot start, 2 on a usage error.
 */
#include "cli/cli.h"
#include "node/node.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/bus_mqtt.h"
#include "core/identity.h"
#include "core/loop.h"
#include "core/proto.h"
#include "core/workers.h"

#include <signal.h>
#include <sys/stat.h>

#define EXIT_RESTART 10
#define MAX_LIST     64

struct node_opts {
	const char *alias, *broker, *root, *data, *log_file, *log_level, *epoch_network;
	const char *comm_relay;
	const char *cstore_bind;
	long cstore_port, cstore_min_confirms;
	const char *r1fs_bind, *ipfs_api;
	long r1fs_port;
	uint64_t r1fs_quota;
	double r1fs_fetch_timeout_s;
	double heartbeat_s, netmon_s, online_timeout_s;
	bool oracle, secured, no_eth;
	const char *allow[MAX_LIST];
	size_t n_allow;
	const char *oracles[MAX_LIST];
	size_t n_oracles;
};

struct daemon {
	struct loop *loop;
	struct workers *pool; /* the receive path's signature checks under load */
	struct node *node;
	struct r1_log *log;
	struct loop_timer *exit_timer;
	int exit_code;
};

/* $XDG_DATA_HOME/r1console/nodes/<alias> (or ~/.local/share/...). */
static char *default_dir(const char *alias)
{
	struct buf b = BUF_INIT;
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg)
		buf_addf(&b, "%s/r1console/nodes/%s", xdg, alias);
	else
		buf_addf(&b, "%s/.local/share/r1console/nodes/%s", home ? home : ".", alias);
	size_t n;
	return buf_detach(&b, &n);
}

static void default_alias(char out[R1_ALIAS_MAX + 1])
{
	char host[256] = "node";
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	host[R1_ALIAS_MAX - 4] = '\0';
	snprintf(out, R1_ALIAS_MAX + 1, "r1c-%.16s", host);
	for (char *p = out; *p; p++)
		if (*p == '/' || *p == '+' || *p == '#' || *p == '.' || *p == ' ')
			*p = '-';
}

static bool take(int *i, int argc, char **argv, const char **out)
{
	if (*i + 1 >= argc) {
		cli_error(_("option %s needs a value"), argv[*i]);
		return false;
	}
	*out = argv[++*i];
	return true;
}

static bool take_seconds(int *i, int argc, char **argv, double *out)
{
	const char *v;
	if (!take(i, argc, argv, &v))
		return false;
	char *end = NULL;
	double d = strtod(v, &end);
	if (!end || *end || d <= 0 || d > 86400) {
		cli_error(_("%s: '%s' is not a number of seconds"), argv[*i - 1], v);
		return false;
	}
	*out = d;
	return true;
}

/* A size in bytes: digits with an optional K, M, G or T (powers of 1024). */
static bool take_size(int *i, int argc, char **argv, uint64_t *out)
{
	const char *v;
	if (!take(i, argc, argv, &v))
		return false;
	char *end = NULL;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	static const char units[] = "KMGT";
	unsigned shift = 0;
	if (end && *end) {
		const char *u = strchr(units, *end >= 'a' ? *end - 32 : *end);
		if (!u || (end[1] && strcmp(end + 1, "iB") != 0 && strcmp(end + 1, "B") != 0))
			end = NULL;
		else
			shift = 10u * (unsigned)(u - units + 1);
	}
	if (!*v || *v == '-' || !end || errno || (shift && n > (UINT64_MAX >> shift))) {
		cli_error(_("%s: '%s' is not a size (bytes, or a number with K, M, G or T)"),
		          argv[*i - 1], v);
		return false;
	}
	*out = (uint64_t)n << shift;
	return true;
}

static bool take_int(int *i, int argc, char **argv, long lo, long hi, long *out)
{
	const char *v;
	if (!take(i, argc, argv, &v))
		return false;
	char *end = NULL;
	long n = strtol(v, &end, 10);
	if (!*v || !end || *end || n < lo || n > hi) {
		cli_error(_("%s: '%s' is not a number from %ld to %ld"), argv[*i - 1], v, lo, hi);
		return false;
	}
	*out = n;
	return true;
}

/* Parse the options shared by the subcommands; returns the index of the first non-option. */
static int parse_opts(int argc, char **argv, int start, struct node_opts *o)
{
	o->secured = true;
	o->cstore_port = CSTORE_DEFAULT_HTTP_PORT;
	o->r1fs_port = R1FS_DEFAULT_HTTP_PORT;
	for (int i = start; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--alias") == 0) {
			if (!take(&i, argc, argv, &o->alias))
				return -1;
		} else if (strcmp(a, "--broker") == 0) {
			if (!take(&i, argc, argv, &o->broker))
				return -1;
		} else if (strcmp(a, "--root") == 0) {
			if (!take(&i, argc, argv, &o->root))
				return -1;
		} else if (strcmp(a, "--data") == 0) {
			if (!take(&i, argc, argv, &o->data))
				return -1;
		} else if (strcmp(a, "--log") == 0) {
			if (!take(&i, argc, argv, &o->log_file))
				return -1;
		} else if (strcmp(a, "--log-level") == 0) {
			if (!take(&i, argc, argv, &o->log_level))
				return -1;
		} else if (strcmp(a, "--epoch-network") == 0) {
			if (!take(&i, argc, argv, &o->epoch_network))
				return -1;
		} else if (strcmp(a, "--comm-relay") == 0) {
			if (!take(&i, argc, argv, &o->comm_relay))
				return -1;
		} else if (strcmp(a, "--heartbeat-period") == 0) {
			if (!take_seconds(&i, argc, argv, &o->heartbeat_s))
				return -1;
		} else if (strcmp(a, "--online-timeout") == 0) {
			if (!take_seconds(&i, argc, argv, &o->online_timeout_s))
				return -1;
		} else if (strcmp(a, "--netmon-period") == 0) {
			if (!take_seconds(&i, argc, argv, &o->netmon_s))
				return -1;
		} else if (strcmp(a, "--cstore-port") == 0) {
			if (!take_int(&i, argc, argv, 0, 65535, &o->cstore_port))
				return -1;
		} else if (strcmp(a, "--cstore-bind") == 0) {
			if (!take(&i, argc, argv, &o->cstore_bind))
				return -1;
		} else if (strcmp(a, "--cstore-min-confirms") == 0) {
			if (!take_int(&i, argc, argv, 0, 1000, &o->cstore_min_confirms))
				return -1;
		} else if (strcmp(a, "--r1fs-port") == 0) {
			if (!take_int(&i, argc, argv, 0, 65535, &o->r1fs_port))
				return -1;
		} else if (strcmp(a, "--r1fs-bind") == 0) {
			if (!take(&i, argc, argv, &o->r1fs_bind))
				return -1;
		} else if (strcmp(a, "--ipfs-api") == 0) {
			if (!take(&i, argc, argv, &o->ipfs_api))
				return -1;
		} else if (strcmp(a, "--r1fs-quota") == 0) {
			if (!take_size(&i, argc, argv, &o->r1fs_quota))
				return -1;
		} else if (strcmp(a, "--r1fs-fetch-timeout") == 0) {
			if (!take_seconds(&i, argc, argv, &o->r1fs_fetch_timeout_s))
				return -1;
		} else if (strcmp(a, "--no-eth") == 0) {
			o->no_eth = true;
		} else if (strcmp(a, "--oracle") == 0) {
			o->oracle = true;
		} else if (strcmp(a, "--secured") == 0) {
			o->secured = true;
		} else if (strcmp(a, "--unsecured") == 0) {
			o->secured = false;
		} else if (strcmp(a, "--allow") == 0 || strcmp(a, "--trust-oracle") == 0) {
			bool allow = strcmp(a, "--allow") == 0;
			size_t *n = allow ? &o->n_allow : &o->n_oracles;
			const char **v = allow ? o->allow : o->oracles;
			if (*n == MAX_LIST) {
				cli_error(_("too many %s options"), a);
				return -1;
			}
			if (!take(&i, argc, argv, &v[*n]))
				return -1;
			(*n)++;
		} else if (strcmp(a, "--") == 0) {
			return i + 1;
		} else if (a[0] == '-' && a[1]) {
			cli_error(_("unknown option %s"), a);
			return -1;
		} else {
			return i;
		}
	}
	return argc;
}

/* ---- the daemon ---------------------------------------------------------- */

static void on_exit_timer(void *ctx, struct loop_timer *t)
{
	struct daemon *d = ctx;
	loop_stop(d->loop);
}

static void on_node_event(void *ctx, struct node *node, const struct node_event *ev)
{
	struct daemon *d = ctx;
	if (ev->type != NODE_EV_EXIT_REQUEST)
		return;
	d->exit_code = ev->exit == NODE_EXIT_RESTART ? EXIT_RESTART : EXIT_OK;
	/* let the notification leave before the loop ends */
	loop_timer_start(d->exit_timer, 300, 0);
}

static void on_signal(void *ctx, int signo)
{
	struct daemon *d = ctx;
	if (signo == SIGHUP) {
		char *why = NULL;
		if (node_reload(d->node, &why)) {
			LOG_E(d->log, "daemon", "reload failed: %s", why ? why : "?");
			r1_free(why);
		}
		return;
	}
	LOG_I(d->log, "daemon", "signal %d: stopping", signo);
	loop_stop(d->loop);
}

/* Give queued messages (the last heartbeat) up to a second to leave. */
static void drain(struct loop *loop, struct bus *bus)
{
	for (int i = 0; i < 100; i++) {
		struct bus_stats st;
		bus_get_stats(bus, &st);
		if (st.queued == 0 || bus_state(bus, NULL) != BUS_CONNECTED)
			break;
		loop_run_once(loop, 10);
	}
}

static int run_daemon(struct node_opts *o)
{
	char alias_buf[R1_ALIAS_MAX + 1];
	if (!o->alias) {
		default_alias(alias_buf);
		o->alias = alias_buf;
	}
	char *dir = o->data ? r1_strdup(o->data) : default_dir(o->alias);
	struct daemon d = {.exit_code = EXIT_OK};
	struct bus_hub *hub = NULL;
	struct bus *bus = NULL;
	char *why = NULL;
	int rc = EXIT_FAIL;
	FILE *logf = NULL;

	d.log = r1_log_new(0);
	if (!d.log || !dir) {
		cli_error(_("out of memory"));
		goto out;
	}
	enum r1_log_level lvl = R1_LOG_INFO;
	if (o->log_level && !r1_log_level_parse(o->log_level, &lvl)) {
		cli_error(_("unknown log level '%s' (error, warn, info, debug)"), o->log_level);
		rc = EXIT_USAGE;
		goto out;
	}
	r1_log_set_level(d.log, lvl);
	if (o->log_file) {
		logf = fopen(o->log_file, "ae");
		if (!logf) {
			cli_error(_("cannot open log file %s: %s"), o->log_file, strerror(errno));
			goto out;
		}
		setvbuf(logf, NULL, _IOLBF, 0);
		r1_log_set_file(d.log, logf);
	} else {
		r1_log_set_file(d.log, stderr);
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (loop_new(&d.loop, &why) ||
	    workers_new(d.loop, (unsigned)R1_MIN(R1_MAX(ncpu, 1), 8), 0, &d.pool, &why))
		goto fail;
	if (o->broker) {
		char *cid = NULL;
		if (bus_mqtt_client_id(o->alias, "NODE", NULL, &cid, &why))
			goto fail;
		struct bus_mqtt_opts mo = {.url = o->broker, .client_id = cid, .log = d.log};
		enum r1_err e = bus_mqtt_new(d.loop, &mo, &bus, &why);
		r1_free(cid);
		if (e)
			goto fail;
	} else {
		if (bus_hub_new(d.loop, 0, d.log, &hub, &why) ||
		    bus_local_new(hub, o->alias, &bus, &why))
			goto fail;
	}
	struct node_config cfg = {
	    .alias = o->alias,
	    .data_dir = dir,
	    .root_topic = o->root,
	    .oracle = o->oracle,
	    .secured = o->secured,
	    .heartbeat_ms = (unsigned)(o->heartbeat_s * 1000),
	    .netmon_send_ms = (unsigned)(o->netmon_s * 1000),
	    .online_timeout_s = (unsigned)o->online_timeout_s,
	    .allow = o->allow,
	    .n_allow = o->n_allow,
	    .oracles = o->oracles,
	    .n_oracles = o->n_oracles,
	    .comm_relay = o->comm_relay,
	    .epoch_network = o->epoch_network,
	    .eth_disabled = o->no_eth,
	    .cstore_port = (int)o->cstore_port,
	    .cstore_bind = o->cstore_bind,
	    .cstore_min_confirmations = (int)o->cstore_min_confirms,
	    .r1fs_port = (int)o->r1fs_port,
	    .r1fs_bind = o->r1fs_bind,
	    .ipfs_api = o->ipfs_api,
	    .r1fs_quota = o->r1fs_quota,
	    .r1fs_fetch_timeout_s = (unsigned)(o->r1fs_fetch_timeout_s + 0.5),
	    .ingest_pool = d.pool,
	};
	if (node_new(d.loop, bus, &cfg, d.log, &d.node, &why))
		goto fail;
	d.exit_timer = loop_timer_new(d.loop, on_exit_timer, &d);
	node_set_observer(d.node, on_node_event, &d);
	if (!d.exit_timer || loop_signal(d.loop, SIGTERM, on_signal, &d, &why) ||
	    loop_signal(d.loop, SIGINT, on_signal, &d, &why) ||
	    loop_signal(d.loop, SIGHUP, on_signal, &d, &why))
		goto fail;
	if (node_start(d.node, &why))
		goto fail;
	LOG_I(d.log, "daemon", "node %s (%s) running on %s", node_alias(d.node),
	      node_address(d.node), o->broker ? o->broker : "an in-process bus");
	if (loop_run(d.loop, &why))
		goto fail;
	node_stop(d.node);
	drain(d.loop, bus);
	rc = d.exit_code;
	goto out;
fail:
	cli_error("%s", why ? why : _("the node could not start"));
out:
	r1_free(why);
	node_free(&d.node);
	workers_free(&d.pool); /* after the node, whose receive path used it */
	loop_timer_free(&d.exit_timer);
	bus_free(&bus);
	bus_hub_free(&hub);
	loop_free(&d.loop);
	r1_log_free(&d.log);
	if (logf)
		fclose(logf);
	r1_free(dir);
	return rc;
}

/* ---- node address / node allow ------------------------------------------ */

static char *dir_of(struct node_opts *o)
{
	if (o->data)
		return r1_strdup(o->data);
	char alias_buf[R1_ALIAS_MAX + 1];
	if (!o->alias) {
		default_alias(alias_buf);
		return default_dir(alias_buf);
	}
	return default_dir(o->alias);
}

static int run_address(struct node_opts *o)
{
	char *dir = dir_of(o);
	struct buf pem = BUF_INIT;
	buf_addf(&pem, "%s/e2.pem", dir ? dir : ".");
	struct r1_identity id;
	char *why = NULL;
	int rc = EXIT_OK;
	if (identity_load(&id, buf_cstr(&pem), &why)) {
		cli_error("%s", why ? why : _("no key"));
		rc = EXIT_FAIL;
	} else {
		printf("%s\n", id.addr);
		identity_wipe(&id);
	}
	r1_free(why);
	buf_release(&pem);
	r1_free(dir);
	return rc;
}

#include "node/allowlist.h"

static int run_allow(struct node_opts *o, int argc, char **argv, int first)
{
	if (first >= argc) {
		cli_error(_("node allow: which address?"));
		return EXIT_USAGE;
	}
	char *dir = dir_of(o);
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/authorized_addrs", dir ? dir : ".");
	mkdir(dir, 0700);
	char *why = NULL;
	int rc = EXIT_OK;
	struct allowlist *al = allowlist_open(buf_cstr(&path), &why);
	bool added = false;
	if (!al ||
	    allowlist_add(al, argv[first], first + 1 < argc ? argv[first + 1] : "", &added, &why)) {
		cli_error("%s", why ? why : _("cannot update authorized_addrs"));
		rc = EXIT_FAIL;
	} else {
		printf(added ? _("%s added to %s\n") : _("%s was already in %s\n"), argv[first],
		       buf_cstr(&path));
	}
	allowlist_free(&al);
	r1_free(why);
	buf_release(&path);
	r1_free(dir);
	return rc;
}

static int cmd_node(int argc, char **argv)
{
	if (cli_wants_help(&cmd_node_entries[0], argc, argv))
		return EXIT_OK;
	struct node_opts o = {0};
	const char *sub = NULL;
	int first = 1;
	if (argc > 1 && argv[1][0] != '-') {
		sub = argv[1];
		first = 2;
	}
	int rest = parse_opts(argc, argv, first, &o);
	if (rest < 0)
		return EXIT_USAGE;
	if (!sub) {
		if (rest < argc) {
			cli_error(_("node: unexpected argument '%s'"), argv[rest]);
			return EXIT_USAGE;
		}
		return run_daemon(&o);
	}
	if (strcmp(sub, "address") == 0)
		return run_address(&o);
	if (strcmp(sub, "allow") == 0)
		return run_allow(&o, argc, argv, rest);
	cli_error(_("node: unknown subcommand '%s'; see 'r1console node --help'"), sub);
	return EXIT_USAGE;
}

const struct cmd_entry cmd_node_entries[] = {
    {"node",
     N_("node [--alias A] [--oracle] [--broker URL] [--root R] [--data DIR] [--log FILE] "
        "[--log-level L] [--heartbeat-period S] [--secured|--unsecured] [--allow ADDR]... "
        "[--trust-oracle ADDR]... [--netmon-period S] [--online-timeout S] [--no-eth] "
        "[--cstore-port N (0: off)] [--cstore-bind ADDR] [--cstore-min-confirms N] "
        "[--r1fs-port N (0: off)] [--r1fs-bind ADDR] [--ipfs-api URL] [--r1fs-quota SIZE] "
        "[--r1fs-fetch-timeout S] "
        "| node address [--data DIR] | node allow [--data DIR] ADDR [ALIAS]"),
     N_("run a headless edge node (or show its address, or allow a sender)"), cmd_node},
    {NULL, NULL, NULL, NULL},
};
