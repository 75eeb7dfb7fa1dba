#ifndef R1_CLI_CLI_H
#define R1_CLI_CLI_H
/*
 * The command line: one struct cmd_entry per command (tmux's table), one
 * file per command group (cmd_keys.c, cmd_get.c, ...).  A command gets argv
 * starting at its own name and returns the process exit status:
 *   0 success, 1 failure (the operation failed or a verdict was negative),
 *   2 usage error (bad flags or arguments), 3 timeout waiting on the network.
 */
#include "core/lib.h"
#include "core/i18n.h"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_TIMEOUT = 3,
};

struct cmd_entry {
	const char *name;	/* "keys", "get", ... */
	const char *usage;	/* one line, translatable */
	const char *summary;	/* one line, translatable */
	int (*exec)(int argc, char **argv);
};

/* Command tables contributed by each group (see commands.def). */
#define CLI_COMMANDS(table) extern const struct cmd_entry table[];
#include "cli/commands.def"
#undef CLI_COMMANDS

/* Print "r1console: <message>" to stderr. */
void cli_error(const char *fmt, ...) R1_PRINTF(1, 2);
/*
 * Before changing a node: on a terminal, print the question and read y/N;
 * true to go on.  True without asking when `yes` (--yes) or when stdin is
 * not a terminal (scripts say what they mean).
 */
bool cli_confirm(bool yes, const char *fmt, ...) R1_PRINTF(2, 3);
/* True if argv has --help or -h; prints usage of `e`. */
bool cli_wants_help(const struct cmd_entry *e, int argc, char **argv);
void cli_usage(const struct cmd_entry *e, FILE *out);

#endif
