/*
 * r1console r1fs: the node's file store from the command line.  For now
 * only `cid`, which prints the CID `ipfs add --only-hash` gives a plain
 * file (no encryption, nothing stored); add, get, cat, ls, pin and the rest
 * come with the node runtime.
 */
#include "cli/cli.h"

#include "node/r1fs/r1fs.h"

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

static const struct cmd_entry r1fs_subcommands[] = {
    {"cid", N_("r1fs cid FILE [--v1]"),
     N_("print the CID 'ipfs add --only-hash' gives FILE (--v1: CIDv1, raw leaves)"), r1fs_cid_cmd},
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
    {"r1fs", N_("r1fs cid FILE [--v1]"), N_("R1FS file store (for now: compute a file's CID)"),
     cmd_r1fs},
    {NULL, NULL, NULL, NULL},
};
