/*
 * r1console keys: the user's identity or a node's (placeholder until the
 * identity module lands).
 */
#include "cli/cli.h"

static int cmd_keys(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error(_("keys: not implemented yet"));
	return EXIT_FAIL;
}

const struct cmd_entry cmd_keys_entries[] = {
	{"keys", N_("keys new|show|import FILE [--data DIR]"),
	 N_("create, show or import an identity"), cmd_keys},
	{NULL, NULL, NULL, NULL},
};
