/*
 * r1console config show|addr|alias|network|broker: the settings a command
 * would run with, the client address, and the few changes a person makes
 * often (alias, default profile, a profile's broker), written back into the
 * config file without disturbing the rest of it.  Names follow r1ctl.
 */
#include "cli/cli.h"
#include "cli/args.h"
#include "cli/netctx.h"

#include <jansson.h>

struct config_opts {
	const char *set;
};

static const struct cli_flag config_flags[] = {
    {"set", CLI_STR, offsetof(struct config_opts, set)},
    {"new", CLI_STR, offsetof(struct config_opts, set)}, /* r1ctl's spelling for network */
    CLI_FLAGS_END,
};

static int show(struct netctx_env *env, bool json)
{
	const struct r1_settings *s = &env->set;
	char *url = config_broker_url(&s->broker, false);
	struct r1_identity id;
	bool have_id = identity_load(&id, s->identity, NULL) == R1_OK;
	bool file_exists = access(env->config_path, F_OK) == 0;
	if (json) {
		json_t *o = json_pack(
		    "{s:s,s:b,s:s,s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:b,s:[],s:[],s:[]}", "config_file",
		    env->config_path, "config_file_exists", file_exists, "profile", s->profile,
		    "broker", url ? url : "", "broker_from", s->broker_from, "root", s->root,
		    "identity", s->identity, "alias", s->alias, "timeout", s->timeout_ms / 1000.0,
		    "online_timeout", s->online_timeout_ms / 1000.0, "encrypt", s->encrypt,
		    "oracles", "profiles", "errors");
		if (have_id)
			json_object_set_new(o, "address", json_string(id.addr));
		for (size_t i = 0; i < s->n_oracles; i++)
			json_array_append_new(json_object_get(o, "oracles"),
			                      json_string(s->oracles[i]));
		for (size_t i = 0; i < env->file.n_profiles; i++)
			json_array_append_new(json_object_get(o, "profiles"),
			                      json_string(env->file.profiles[i].name));
		for (size_t i = 0; i < env->file.n_errors; i++)
			json_array_append_new(json_object_get(o, "errors"),
			                      json_string(env->file.errors[i]));
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
		fputc('\n', stdout);
		json_decref(o);
	} else {
		printf(_("config file:    %s%s\n"), env->config_path,
		       file_exists ? "" : _(" (not created yet)"));
		printf(_("profile:        %s\n"), s->profile);
		printf(_("broker:         %s%s (from %s)\n"), url ? url : "",
		       s->broker.local ? _(" = the embedded local network") : "", s->broker_from);
		printf(_("root topic:     %s\n"), s->root);
		printf(_("oracles:        "));
		if (!s->n_oracles)
			printf(_("none configured%s\n"),
			       s->broker.local ? _(" (the embedded oracle is trusted)")
			                       : _(" (maps from any supervisor are accepted)"));
		for (size_t i = 0; i < s->n_oracles; i++)
			printf("%s%s", i ? ", " : "", s->oracles[i]);
		if (s->n_oracles)
			putchar('\n');
		printf(_("identity:       %s\n"), s->identity);
		printf(_("address:        %s\n"), have_id ? id.addr : _("(no identity yet)"));
		printf(_("alias:          %s\n"), s->alias);
		printf(_("timeout:        %.1f s\n"), s->timeout_ms / 1000.0);
		printf(_("online timeout: %.1f s\n"), s->online_timeout_ms / 1000.0);
		printf(_("encrypt:        %s\n"), s->encrypt ? _("yes") : _("no"));
		if (env->file.n_profiles) {
			printf(_("profiles:       "));
			for (size_t i = 0; i < env->file.n_profiles; i++)
				printf("%s%s", i ? ", " : "", env->file.profiles[i].name);
			putchar('\n');
		}
	}
	if (have_id)
		identity_wipe(&id);
	r1_free(url);
	return env->file.n_errors ? EXIT_USAGE : EXIT_OK;
}

static int set_key(struct netctx_env *env, const char *section, const char *key, const char *value)
{
	char *why = NULL;
	if (config_file_set(env->config_path, section, key, value, &why)) {
		cli_error("%s", why ? why : _("cannot write the configuration"));
		r1_free(why);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int cmd_config(int argc, char **argv)
{
	if (cli_wants_help(&cmd_config_entries[0], argc, argv))
		return EXIT_OK;
	struct config_opts o = {0};
	struct cli_global g = {0};
	struct cli_args a;
	char *err = NULL;
	if (!cli_parse(argc, argv, config_flags, &o, &g, &a, &err)) {
		cli_error("config: %s", err);
		r1_free(err);
		return EXIT_USAGE;
	}
	static const char *const subs[] = {"show", "addr", "alias", "network", "broker"};
	const char *sub = a.n_pos == 1 ? a.pos[0] : NULL;
	bool known = false;
	for (size_t i = 0; sub && i < R1_ARRAY_LEN(subs); i++)
		known |= strcmp(sub, subs[i]) == 0;
	if (!known) {
		cli_error(_("usage: r1console %s"), _(cmd_config_entries[0].usage));
		return EXIT_USAGE;
	}
	if (o.set && (!strcmp(sub, "show") || !strcmp(sub, "addr"))) {
		cli_error(_("config %s takes no --set"), sub);
		return EXIT_USAGE;
	}
	/* `config broker --profile NEW --set URL` makes the profile: do not resolve it */
	const char *target_profile = g.cfg.profile;
	if (o.set && strcmp(sub, "broker") == 0)
		g.cfg.profile = NULL;
	struct netctx_env env;
	int rc = netctx_env_load(&env, &g, strcmp(sub, "show") == 0);
	if (rc)
		return rc;
	if (strcmp(sub, "show") == 0) {
		rc = show(&env, g.json);
	} else if (strcmp(sub, "addr") == 0) {
		struct r1_identity id;
		if (!(rc = netctx_identity(&env, &id, true))) {
			if (g.json) {
				json_t *j = json_pack("{s:s,s:s}", "address", id.addr,
				                      "eth_address", id.eth);
				json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
				fputc('\n', stdout);
				json_decref(j);
			} else {
				printf("%s\n", id.addr);
			}
			identity_wipe(&id);
		}
	} else if (strcmp(sub, "alias") == 0) {
		if (o.set)
			rc = set_key(&env, NULL, "alias", o.set);
		else
			printf("%s\n", env.set.alias);
	} else if (strcmp(sub, "network") == 0) {
		if (o.set) {
			if (strcmp(o.set, "local") != 0 && !config_file_profile(&env.file, o.set)) {
				cli_error(
				    _("no profile '%s' in %s; add a [profile %s] section first "
				      "(r1console config broker --profile %s --set URL)"),
				    o.set, env.config_path, o.set, o.set);
				rc = EXIT_USAGE;
			} else {
				rc = set_key(&env, NULL, "profile", o.set);
			}
		} else {
			printf("%s\n", env.set.profile);
		}
	} else { /* broker */
		if (o.set) {
			const char *prof = target_profile ? target_profile : env.set.profile;
			if (strcmp(prof, "local") == 0 && strcmp(o.set, "local") != 0) {
				cli_error(
				    _("the 'local' profile is the embedded network; name another "
				      "one: r1console config broker --profile NAME --set URL"));
				rc = EXIT_USAGE;
			} else {
				rc = set_key(&env, prof, "broker", o.set);
			}
		} else {
			char *url = config_broker_url(&env.set.broker, false);
			printf("%s\n", url ? url : "");
			r1_free(url);
		}
	}
	netctx_env_release(&env);
	return rc;
}

const struct cmd_entry cmd_config_entries[] = {
    {"config", N_("config show|addr|alias|network|broker [--set VALUE]"),
     N_("show the settings, the client address; set alias, profile or broker"), cmd_config},
    {NULL, NULL, NULL, NULL},
};
