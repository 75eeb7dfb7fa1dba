/*
 * r1console deploy FILE.json [--yes]: a pipeline config plus TARGETS,
 * deployed on every target as the SDK deploys a new pipeline (UPDATE_CONFIG
 * with the whole config), waiting for PIPELINE_OK and every instance's
 * PLUGIN_CONFIG_OK.  Everything that can be wrong is checked before the
 * first byte leaves: the file (deployfile.h), then every target against the
 * network (an unknown alias stops everything).  With stdin a terminal it
 * asks first, unless --yes.  One result line per node.
 */
#include "cli/cli.h"
#include "cli/args.h"
#include "cli/deployfile.h"
#include "cli/netctx.h"
#include "cli/txnwait.h"
#include "core/pipespec.h"
#include "core/proto.h"
#include "core/session.h"

#include <jansson.h>

struct deploy_opts {
	bool yes;
};

static const struct cli_flag deploy_flags[] = {
    {"yes", CLI_BOOL, offsetof(struct deploy_opts, yes)},
    CLI_FLAGS_END,
};

static size_t count_instances(const json_t *config)
{
	size_t n = 0, i;
	const json_t *pl;
	json_array_foreach(json_object_get(config, K_PLUGINS), i, pl) n +=
	    json_array_size(json_object_get(pl, K_INSTANCES));
	return n;
}

/* Ask on the terminal; true to go on. */
static bool confirm(const struct deploy_job *job, const struct nm_node *const *nodes)
{
	printf(_("Deploy '%s' (%s, %zu plugin instances) to %zu node(s):\n"), job->name,
	       json_string_value(json_object_get(job->config, K_TYPE)),
	       count_instances(job->config), job->n_targets);
	for (size_t i = 0; i < job->n_targets; i++)
		printf("  %s <%s>%s\n", nodes[i]->info.alias, nodes[i]->info.addr,
		       nodes[i]->online ? "" : _(" (offline)"));
	return cli_confirm(false, _("Proceed?"));
}

static int cmd_deploy(int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_deploy_entries[0];
	if (cli_wants_help(self, argc, argv))
		return EXIT_OK;
	struct deploy_opts o = {0};
	struct cli_global g = {0};
	struct cli_args a;
	char *err = NULL;
	if (!cli_parse(argc, argv, deploy_flags, &o, &g, &a, &err) || a.n_pos != 1) {
		cli_error("%s", err ? err : _("usage: r1console deploy FILE.json [--yes]"));
		r1_free(err);
		return EXIT_USAGE;
	}
	struct deploy_job job;
	char *why = NULL;
	if (deploy_job_load(a.pos[0], &job, &why)) {
		cli_error("%s", why ? why : a.pos[0]);
		r1_free(why);
		return EXIT_USAGE;
	}
	struct netctx nc;
	int rc = netctx_open(&nc, &g, 0);
	if (rc) {
		deploy_job_release(&job);
		return rc;
	}
	const struct nm_node **nodes = r1_calloc(job.n_targets, sizeof(*nodes));
	struct pipespec **specs = r1_calloc(job.n_targets, sizeof(*specs));
	struct txnwait *waits = r1_calloc(job.n_targets, sizeof(*waits));
	size_t sent = 0;
	if (!nodes || !specs || !waits) {
		cli_error(_("out of memory"));
		rc = EXIT_FAIL;
		goto out;
	}
	/* every target must name a node before anything is sent */
	for (size_t i = 0; i < job.n_targets; i++)
		if ((rc = netctx_wait_node(&nc, job.targets[i], nc.env.set.timeout_ms, &nodes[i])))
			goto out;
	for (size_t i = 0; i < job.n_targets; i++)
		for (size_t k = 0; k < i; k++)
			if (nodes[k] == nodes[i]) {
				cli_error(_("%s: TARGETS '%s' and '%s' are the same node"),
				          a.pos[0], job.targets[k], job.targets[i]);
				rc = EXIT_USAGE;
				goto out;
			}
	for (size_t i = 0; i < job.n_targets; i++)
		if (pipespec_new(nodes[i]->info.addr, job.name, job.config, &specs[i], &why)) {
			cli_error("%s: %s", a.pos[0], why ? why : "");
			rc = EXIT_USAGE;
			goto out;
		}
	if (!o.yes && isatty(STDIN_FILENO) && !confirm(&job, nodes)) {
		rc = EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < job.n_targets; i++)
		txnwait_warn(&nc, nodes[i]);
	for (size_t i = 0; i < job.n_targets; i++) {
		struct buf what = BUF_INIT;
		buf_addf(&what, _("deploy %s"), job.name);
		txnwait_init(&waits[i], &nc, nodes[i], buf_cstr(&what));
		buf_release(&what);
		struct session_call call = {.done = txnwait_done, .ctx = &waits[i]};
		if (session_deploy(nc.sess, specs[i], &call, NULL, &why)) {
			cli_error(_("cannot send the deploy to %s: %s"), nodes[i]->info.alias,
			          why ? why : "");
			waits[i].done = true;
			waits[i].state = TXN_FAILED;
			waits[i].reason = r1_strdup(why ? why : _("not sent"));
		}
		sent++;
	}
	if (!g.json)
		printf(_("Deploying '%s' to %zu node(s)...\n"), job.name, sent);
	rc = txnwait_run_all(waits, sent, g.json);
out:
	for (size_t i = 0; specs && i < job.n_targets; i++)
		pipespec_free(&specs[i]);
	r1_free(specs);
	r1_free(nodes);
	r1_free(waits);
	r1_free(why);
	deploy_job_release(&job);
	netctx_close(&nc);
	return rc;
}

const struct cmd_entry cmd_deploy_entries[] = {
    {"deploy", N_("deploy FILE.json [--yes]"),
     N_("deploy a pipeline to the nodes in its TARGETS and wait for their confirmations"),
     cmd_deploy},
    {NULL, NULL, NULL, NULL},
};
