/*
 * The shared set-up of CLI commands (see netctx.h): settings and identity,
 * and the network a command talks to.  It prints its own failures; the
 * commands print their results.
 */
#include "core/lib.h"
#include "cli/netctx.h"
#include "cli/cli.h"

int netctx_env_load(struct netctx_env *env, const struct cli_global *g, bool tolerate_bad_file)
{
	memset(env, 0, sizeof(*env));
	char *why = NULL;
	if (paths_init(&env->paths, NULL, NULL, &why)) {
		cli_error("%s", why);
		r1_free(why);
		return EXIT_FAIL;
	}
	env->config_path = paths_config_file(&env->paths);
	if (!env->config_path || config_file_load(env->config_path, &env->file, &why)) {
		cli_error("%s", why ? why : _("out of memory"));
		r1_free(why);
		netctx_env_release(env);
		return EXIT_FAIL;
	}
	if (env->file.n_errors) {
		for (size_t i = 0; i < env->file.n_errors; i++)
			fprintf(stderr, "r1console: %s\n", env->file.errors[i]);
		if (!tolerate_bad_file) {
			netctx_env_release(env);
			return EXIT_USAGE;
		}
	}
	if (config_resolve(&env->file, &g->cfg, NULL, NULL, &env->paths, &env->set, &why)) {
		cli_error("%s", why);
		r1_free(why);
		netctx_env_release(env);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

void netctx_env_release(struct netctx_env *env)
{
	config_settings_release(&env->set);
	config_file_release(&env->file);
	r1_free(env->config_path);
	paths_release(&env->paths);
	memset(env, 0, sizeof(*env));
}

int netctx_identity(const struct netctx_env *env, struct r1_identity *id, bool create)
{
	char *why = NULL;
	const char *path = env->set.identity;
	enum r1_err e = identity_load(id, path, &why);
	if (e == R1_OK)
		return EXIT_OK;
	if (access(path, F_OK) == 0 || !create) {
		cli_error(_("cannot read the identity %s: %s"), path, why ? why : "");
		if (!create)
			fprintf(stderr, _("  (create one with 'r1console keys new')\n"));
		r1_free(why);
		return EXIT_FAIL;
	}
	r1_free(why);
	why = NULL;
	if ((e = identity_generate(id, &why)) || (e = paths_mkdir_parent(path, 0700, &why)) ||
	    (e = identity_save(id, path, false, &why))) {
		cli_error(_("cannot create an identity at %s: %s"), path, why ? why : "");
		r1_free(why);
		return EXIT_FAIL;
	}
	fprintf(stderr, _("r1console: created a new identity %s in %s\n"), id->addr, path);
	return EXIT_OK;
}
