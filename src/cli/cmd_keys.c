/*
 * r1console keys new|show|import FILE [--data DIR] [--force]: the user's
 * identity (the key file of the settings, $XDG_DATA_HOME/r1console/client/
 * e2.pem unless a profile or --identity says otherwise) or, with --data, a
 * node's (DIR/e2.pem).  Key files are PKCS#8 PEM as the Python SDK writes
 * them, so either side can use the other's.
 */
#include "cli/cli.h"
#include "cli/args.h"
#include "cli/netctx.h"

#include <jansson.h>

struct keys_opts {
	const char *data;
	bool force;
};

static const struct cli_flag keys_flags[] = {
    {"data", CLI_STR, offsetof(struct keys_opts, data)},
    {"force", CLI_BOOL, offsetof(struct keys_opts, force)},
    CLI_FLAGS_END,
};

static void print_identity(const struct r1_identity *id, const char *path, bool json)
{
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:s}", "address", id->addr, "eth_address", id->eth,
		                      "file", path);
		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
		fputc('\n', stdout);
		json_decref(o);
		return;
	}
	printf(_("address:     %s\n"), id->addr);
	printf(_("ETH address: %s\n"), id->eth);
	printf(_("file:        %s\n"), path);
}

static int keys_save(const struct r1_identity *id, const char *path, bool force)
{
	char *why = NULL;
	enum r1_err e = paths_mkdir_parent(path, 0700, &why);
	if (!e)
		e = identity_save(id, path, force, &why);
	if (e == R1_ERR_EXISTS) {
		cli_error(_("%s already exists; use --force to replace it"), path);
		r1_free(why);
		return EXIT_FAIL;
	}
	if (e) {
		cli_error("%s", why ? why : r1_strerror(e));
		r1_free(why);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int cmd_keys(int argc, char **argv)
{
	if (cli_wants_help(&cmd_keys_entries[0], argc, argv))
		return EXIT_OK;
	struct keys_opts o = {0};
	struct cli_global g = {0};
	struct cli_args a;
	char *err = NULL;
	if (!cli_parse(argc, argv, keys_flags, &o, &g, &a, &err)) {
		cli_error("keys: %s", err);
		r1_free(err);
		return EXIT_USAGE;
	}
	const char *sub = a.n_pos ? a.pos[0] : NULL;
	bool is_import = sub && strcmp(sub, "import") == 0;
	if (!sub || (strcmp(sub, "new") && strcmp(sub, "show") && !is_import) ||
	    a.n_pos != (is_import ? 2u : 1u)) {
		cli_error(_("usage: r1console keys new|show|import FILE [--data DIR] [--force]"));
		return EXIT_USAGE;
	}
	struct netctx_env env;
	int rc = netctx_env_load(&env, &g, false);
	if (rc)
		return rc;
	struct buf path = BUF_INIT;
	if (o.data)
		buf_addf(&path, "%s/e2.pem", o.data);
	else
		buf_adds(&path, env.set.identity);
	struct r1_identity id;
	char *why = NULL;
	if (strcmp(sub, "show") == 0) {
		if (identity_load(&id, buf_cstr(&path), &why)) {
			cli_error("%s", why ? why : buf_cstr(&path));
			rc = EXIT_FAIL;
		} else {
			print_identity(&id, buf_cstr(&path), g.json);
		}
	} else if (strcmp(sub, "new") == 0) {
		if (identity_generate(&id, &why)) {
			cli_error("%s", why);
			rc = EXIT_FAIL;
		} else if (!(rc = keys_save(&id, buf_cstr(&path), o.force))) {
			print_identity(&id, buf_cstr(&path), g.json);
		}
	} else {
		if (identity_load(&id, a.pos[1], &why)) {
			cli_error(_("cannot import %s: %s"), a.pos[1], why ? why : "");
			rc = EXIT_FAIL;
		} else if (!(rc = keys_save(&id, buf_cstr(&path), o.force))) {
			print_identity(&id, buf_cstr(&path), g.json);
		}
	}
	identity_wipe(&id);
	r1_free(why);
	buf_release(&path);
	netctx_env_release(&env);
	return rc;
}

const struct cmd_entry cmd_keys_entries[] = {
    {"keys", N_("keys new|show|import FILE [--data DIR] [--force]"),
     N_("create, show or import an identity (yours, or a node's with --data)"), cmd_keys},
    {NULL, NULL, NULL, NULL},
};
