#ifndef R1_CLI_ARGS_H
#define R1_CLI_ARGS_H
/*
 * Command-line flags, table-driven: each command lists its own flags, and
 * every command also takes the global ones (--broker URL, --root R,
 * --profile NAME, --timeout S, --online-timeout S, --identity FILE,
 * --alias NAME, --json).  Flags may come anywhere after the command name,
 * as `--name value` or `--name=value`; `--` ends them.  Anything else is a
 * positional argument.
 *
 * Parsing prints nothing and changes nothing but the option structs: a bad
 * flag gives a message for the caller to print (usage error, exit 2).
 */
#include "core/lib.h"
#include "core/config.h"

enum cli_flag_type {
	CLI_BOOL,    /* --flag            -> bool */
	CLI_STR,     /* --flag VALUE      -> const char * (points into argv) */
	CLI_SECONDS, /* --flag SECONDS    -> double, > 0 */
	CLI_INT,     /* --flag N          -> long long */
};

struct cli_flag {
	const char *name; /* without the dashes: "wide" */
	enum cli_flag_type type;
	size_t offset; /* into the command's option struct */
};

#define CLI_FLAGS_END                                                                              \
	{                                                                                          \
		NULL, CLI_BOOL, 0                                                                  \
	}

/* The flags every command takes. */
struct cli_global {
	struct config_flags cfg; /* --profile --broker --root --identity --alias --timeout */
	bool json;
};

#define CLI_POS_MAX 16

struct cli_args {
	char *pos[CLI_POS_MAX];
	size_t n_pos;
};

/*
 * Parse argv[1..argc) (argv[0] is the command or subcommand name).  Flags
 * in `flags` (may be NULL) write into `opts`.  Returns true, or false with
 * a message in *err (malloc'd: free with r1_free) naming the flag.
 */
bool cli_parse(int argc, char **argv, const struct cli_flag *flags, void *opts,
               struct cli_global *g, struct cli_args *out, char **err);

#endif
