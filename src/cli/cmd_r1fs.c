/*
 * r1console r1fs: the node's file store from the command line.  `cid`
 * prints the CID `ipfs add --only-hash` gives a plain file (no encryption,
 * nothing stored); `add` and `get` store and fetch an encrypted file the
 * reference's way, either in a node directory's built-in store
 * (--node-dir) or through an IPFS node's RPC API (--ipfs-api); `pin`,
 * `unpin` and `pins` manage the pins of either, `cat` and `ls` read the
 * stored (encrypted) DAGs as `ipfs cat`/`ipfs ls` would, `id` names the
 * IPFS node.  gc, stat and the rest come with the node runtime.
 */
#include "cli/cli.h"

#include "core/db.h"
#include "node/r1fs/r1fs.h"

/* Options shared by add and get. */
struct store_args {
	const char *node_dir;
	const char *ipfs_api;
	const char *secret;
	const char *out_dir;
	const char *nonce;
	const char *timeout;
	bool v1, no_pin;
	const char *positional;
};

/* What a subcommand takes besides the store. */
enum arg_kind { ARG_FILE, ARG_CID, ARG_NONE };

/* argv after the subcommand; false (message printed) on a usage error. */
static bool parse_store_args(const char *cmd, int argc, char **argv, enum arg_kind kind,
                             struct store_args *a)
{
	bool is_add = kind == ARG_FILE;
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		const char **value = strcmp(opt, "--node-dir") == 0          ? &a->node_dir
		                     : strcmp(opt, "--ipfs-api") == 0        ? &a->ipfs_api
		                     : strcmp(opt, "--secret") == 0          ? &a->secret
		                     : strcmp(opt, "--ipfs-timeout") == 0    ? &a->timeout
		                     : !is_add && strcmp(opt, "--out") == 0  ? &a->out_dir
		                     : is_add && strcmp(opt, "--nonce") == 0 ? &a->nonce
		                                                             : NULL;
		if (value) {
			if (i + 1 >= argc) {
				cli_error(_("r1fs %s: %s needs a value"), cmd, opt);
				return false;
			}
			*value = argv[++i];
		} else if (is_add && strcmp(opt, "--v1") == 0) {
			a->v1 = true;
		} else if (strcmp(opt, "--no-pin") == 0) {
			a->no_pin = true;
		} else if (opt[0] == '-' && opt[1] != '\0') {
			cli_error(_("r1fs %s: unknown option '%s'"), cmd, opt);
			return false;
		} else if (!a->positional) {
			a->positional = opt;
		} else {
			cli_error(_("r1fs %s: too many arguments"), cmd);
			return false;
		}
	}
	if ((kind == ARG_NONE) != !a->positional || (!a->node_dir) == (!a->ipfs_api)) {
		cli_error(_("r1fs %s: give %s exactly one of --node-dir DIR or --ipfs-api URL"),
		          cmd,
		          kind == ARG_FILE  ? "FILE and"
		          : kind == ARG_CID ? "CID and"
		                            : "");
		return false;
	}
	return true;
}

/* The store the arguments name; *db is set for a node directory. */
static bool open_store(const struct store_args *a, sqlite3 **db, struct r1fs **fs)
{
	struct r1fs_options opt = R1FS_OPTIONS_INIT;
	char *why = NULL;
	enum r1_err e = R1_OK;
	*db = NULL;
	if (a->ipfs_api) {
		opt.ipfs_api = a->ipfs_api;
		if (a->timeout) {
			char *end = NULL;
			long s = strtol(a->timeout, &end, 10);
			if (*end || s < 1 || s > 86400) {
				cli_error(_("r1fs: --ipfs-timeout wants seconds (1 to 86400)"));
				return false;
			}
			opt.ipfs_timeout_ms = (int)s * 1000;
		}
	} else {
		struct buf path = BUF_INIT;
		buf_addf(&path, "%s/node.db", a->node_dir);
		e = buf_ok(&path) ? db_open(path.data, db, &why) : R1_ERR_NOMEM;
		buf_release(&path);
	}
	if (!e)
		e = r1fs_open(a->node_dir, *db, &opt, fs, &why);
	if (e) {
		cli_error("%s", why ? why : _("cannot open the file store"));
		r1_free(why);
		db_close(db);
		return false;
	}
	return true;
}

static int r1fs_add_cmd(int argc, char **argv)
{
	struct store_args a;
	if (!parse_store_args("add", argc, argv, ARG_FILE, &a))
		return EXIT_USAGE;
	struct r1fs_add_opts o = R1FS_ADD_OPTS_INIT;
	o.secret = a.secret;
	o.cid_version = a.v1 ? 1 : 0;
	o.no_pin = a.no_pin;
	if (a.nonce) {
		char *end = NULL;
		errno = 0;
		long long n = strtoll(a.nonce, &end, 10);
		if (errno || !*a.nonce || *end || n == R1FS_NONCE_RANDOM) {
			cli_error(_("r1fs add: --nonce wants an integer other than -1"));
			return EXIT_USAGE;
		}
		o.nonce = n;
	}
	sqlite3 *db = NULL;
	struct r1fs *fs = NULL;
	if (!open_store(&a, &db, &fs))
		return EXIT_FAIL;
	struct r1fs_added added;
	char *why = NULL;
	int rc = EXIT_OK;
	if (r1fs_add_file(fs, a.positional, &o, &added, &why) != R1_OK) {
		cli_error("%s", why ? why : _("r1fs add failed"));
		rc = EXIT_FAIL;
	} else {
		printf("%s\n", added.cid);
	}
	r1_free(why);
	r1fs_free(&fs);
	db_close(&db);
	return rc;
}

static int r1fs_get_cmd(int argc, char **argv)
{
	struct store_args a;
	if (!parse_store_args("get", argc, argv, ARG_CID, &a))
		return EXIT_USAGE;
	struct r1fs_get_opts o = R1FS_GET_OPTS_INIT;
	o.secret = a.secret;
	o.pin = !a.no_pin;
	sqlite3 *db = NULL;
	struct r1fs *fs = NULL;
	if (!open_store(&a, &db, &fs))
		return EXIT_FAIL;
	char *path = NULL, *why = NULL;
	int rc = EXIT_OK;
	if (r1fs_get_file(fs, a.positional, a.out_dir ? a.out_dir : ".", &o, &path, &why) !=
	    R1_OK) {
		cli_error("%s", why ? why : _("r1fs get failed"));
		rc = EXIT_FAIL;
	} else {
		printf("%s\n", path);
	}
	r1_free(path);
	r1_free(why);
	r1fs_free(&fs);
	db_close(&db);
	return rc;
}

static int r1fs_cid_cmd(int argc, char **argv)
{
	const char *file = NULL;
	unsigned version = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--v1") == 0)
			version = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			cli_error(_("r1fs cid: unknown option '%s'"), argv[i]);
			return EXIT_USAGE;
		} else if (!file) {
			file = argv[i];
		} else {
			cli_error(_("r1fs cid: one FILE only"));
			return EXIT_USAGE;
		}
	}
	if (!file) {
		cli_error(_("usage: r1console r1fs cid FILE [--v1]"));
		return EXIT_USAGE;
	}
	char cid[R1FS_CID_TEXT_MAX];
	char *why = NULL;
	if (r1fs_plain_cid(file, version, cid, &why) != R1_OK) {
		cli_error("%s", why ? why : _("r1fs cid failed"));
		r1_free(why);
		return EXIT_FAIL;
	}
	printf("%s\n", cid);
	return EXIT_OK;
}

/* pin, unpin: one CID. */
static int pin_cmd(const char *cmd, int argc, char **argv, bool pin)
{
	struct store_args a;
	if (!parse_store_args(cmd, argc, argv, ARG_CID, &a))
		return EXIT_USAGE;
	sqlite3 *db = NULL;
	struct r1fs *fs = NULL;
	if (!open_store(&a, &db, &fs))
		return EXIT_FAIL;
	char *why = NULL;
	enum r1_err e = pin ? r1fs_pin(fs, a.positional, &why) : r1fs_unpin(fs, a.positional, &why);
	if (e)
		cli_error("%s", why ? why : _("failed"));
	r1_free(why);
	r1fs_free(&fs);
	db_close(&db);
	return e ? EXIT_FAIL : EXIT_OK;
}

static int r1fs_pin_cmd(int argc, char **argv)
{
	return pin_cmd("pin", argc, argv, true);
}

static int r1fs_unpin_cmd(int argc, char **argv)
{
	return pin_cmd("unpin", argc, argv, false);
}

static int r1fs_pins_cmd(int argc, char **argv)
{
	struct store_args a;
	if (!parse_store_args("pins", argc, argv, ARG_NONE, &a))
		return EXIT_USAGE;
	sqlite3 *db = NULL;
	struct r1fs *fs = NULL;
	if (!open_store(&a, &db, &fs))
		return EXIT_FAIL;
	struct r1fs_pin *pins = NULL;
	size_t n = 0;
	char *why = NULL;
	enum r1_err e = r1fs_list_pins(fs, &pins, &n, &why);
	if (e)
		cli_error("%s", why ? why : _("failed"));
	for (size_t i = 0; i < n; i++)
		printf("%s\n", pins[i].cid);
	r1fs_pins_free(pins, n);
	r1_free(why);
	r1fs_free(&fs);
	db_close(&db);
	return e ? EXIT_FAIL : EXIT_OK;
}

static enum r1_err stdout_write(void *ctx, const uint8_t *data, size_t len, char **why)
{
	(void)ctx;
	if (fwrite(data, 1, len, stdout) != len)
		return r1_fail(why, R1_ERR_IO, "r1fs cat: writing to stdout: %s", strerror(errno));
	return R1_OK;
}

static int r1fs_cat_cmd(int argc, char **argv)
{
	struct store_args a;
	if (!parse_store_args("cat", argc, argv, ARG_CID, &a))
		return EXIT_USAGE;
	sqlite3 *db = NULL;
	struct r1fs *fs = NULL;
	if (!open_store(&a, &db, &fs))
		return EXIT_FAIL;
	char *why = NULL;
	enum r1_err e = r1fs_cat(fs, a.positional, 0, 0, stdout_write, NULL, &why);
	if (!e && fflush(stdout) != 0)
		e = r1_fail(&why, R1_ERR_IO, "r1fs cat: writing to stdout: %s", strerror(errno));
	if (e)
		cli_error("%s", why ? why : _("failed"));
	r1_free(why);
	r1fs_free(&fs);
	db_close(&db);
	return e ? EXIT_FAIL : EXIT_OK;
}

static int r1fs_ls_cmd(int argc, char **argv)
{
	struct store_args a;
	if (!parse_store_args("ls", argc, argv, ARG_CID, &a))
		return EXIT_USAGE;
	sqlite3 *db = NULL;
	struct r1fs *fs = NULL;
	if (!open_store(&a, &db, &fs))
		return EXIT_FAIL;
	struct r1fs_entry *ents = NULL;
	size_t n = 0;
	char *why = NULL;
	enum r1_err e = r1fs_ls(fs, a.positional, &ents, &n, &why);
	if (e)
		cli_error("%s", why ? why : _("failed"));
	for (size_t i = 0; i < n; i++)
		printf("%s %" PRIu64 " %s\n", ents[i].cid, ents[i].size, ents[i].name);
	r1fs_entries_free(ents, n);
	r1_free(why);
	r1fs_free(&fs);
	db_close(&db);
	return e ? EXIT_FAIL : EXIT_OK;
}

static int r1fs_id_cmd(int argc, char **argv)
{
	struct store_args a;
	if (!parse_store_args("id", argc, argv, ARG_NONE, &a))
		return EXIT_USAGE;
	if (!a.ipfs_api) {
		cli_error(_("r1fs id: only for an IPFS node (--ipfs-api URL)"));
		return EXIT_USAGE;
	}
	sqlite3 *db = NULL;
	struct r1fs *fs = NULL;
	if (!open_store(&a, &db, &fs))
		return EXIT_FAIL;
	char *id = NULL, *agent = NULL, *why = NULL;
	enum r1_err e = r1fs_backend_id(fs, &id, &agent, &why);
	if (e)
		cli_error("%s", why ? why : _("failed"));
	else
		printf("%s %s\n", id, agent);
	r1_free(id);
	r1_free(agent);
	r1_free(why);
	r1fs_free(&fs);
	db_close(&db);
	return e ? EXIT_FAIL : EXIT_OK;
}

static const struct cmd_entry r1fs_subcommands[] = {
    {"cid", N_("r1fs cid FILE [--v1]"),
     N_("print the CID 'ipfs add --only-hash' gives FILE (--v1: CIDv1, raw leaves)"), r1fs_cid_cmd},
    {"add",
     N_("r1fs add FILE (--node-dir DIR | --ipfs-api URL) [--secret S] [--nonce N] [--v1]"
        " [--no-pin]"),
     N_("encrypt FILE, store it wrapped in a directory and print that directory's CID"),
     r1fs_add_cmd},
    {"get",
     N_("r1fs get CID (--node-dir DIR | --ipfs-api URL [--ipfs-timeout S]) [--secret S]"
        " [--out DIR] [--no-pin]"),
     N_("fetch, verify and decrypt a file under its original name; print its path"), r1fs_get_cmd},
    {"pin", N_("r1fs pin CID (--node-dir DIR | --ipfs-api URL)"),
     N_("pin a DAG (every block must be present or fetchable)"), r1fs_pin_cmd},
    {"unpin", N_("r1fs unpin CID (--node-dir DIR | --ipfs-api URL)"), N_("remove a pin"),
     r1fs_unpin_cmd},
    {"pins", N_("r1fs pins (--node-dir DIR | --ipfs-api URL)"), N_("list the pinned CIDs"),
     r1fs_pins_cmd},
    {"cat", N_("r1fs cat CID[/NAME...] (--node-dir DIR | --ipfs-api URL)"),
     N_("write a stored file's bytes (still encrypted) to stdout, as 'ipfs cat'"), r1fs_cat_cmd},
    {"ls", N_("r1fs ls CID[/NAME...] (--node-dir DIR | --ipfs-api URL)"),
     N_("list a directory: CID, cumulative size and name of each entry"), r1fs_ls_cmd},
    {"id", N_("r1fs id --ipfs-api URL"), N_("print the IPFS node's peer ID and agent"),
     r1fs_id_cmd},
    {NULL, NULL, NULL, NULL},
};

static int cmd_r1fs(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		FILE *out = argc < 2 ? stderr : stdout;
		for (const struct cmd_entry *e = r1fs_subcommands; e->name; e++)
			cli_usage(e, out);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	for (const struct cmd_entry *e = r1fs_subcommands; e->name; e++) {
		if (strcmp(e->name, argv[1]) != 0)
			continue;
		if (cli_wants_help(e, argc - 1, argv + 1))
			return EXIT_OK;
		return e->exec(argc - 1, argv + 1);
	}
	cli_error(_("r1fs: unknown subcommand '%s'; see 'r1console r1fs --help'"), argv[1]);
	return EXIT_USAGE;
}

const struct cmd_entry cmd_r1fs_entries[] = {
    {"r1fs", N_("r1fs cid|add|get|pin|unpin|pins|cat|ls|id ..."),
     N_("R1FS file store: CIDs, encrypted add and get, pins"), cmd_r1fs},
    {NULL, NULL, NULL, NULL},
};
