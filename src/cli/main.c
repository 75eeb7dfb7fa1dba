/*
 * r1console's entry point: locale set-up, then argv to a command from the
 * tables of the cmd_*.c files.  With no command it starts the console.
 */
#include "cli/cli.h"

#include <locale.h>
#include <unistd.h>

static const struct cmd_entry *const cmd_tables[] = {
#define CLI_COMMANDS(table) table,
#include "cli/commands.def"
#undef CLI_COMMANDS
};

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("r1console: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

bool cli_confirm(bool yes, const char *fmt, ...)
{
	if (yes || !isatty(STDIN_FILENO))
		return true;
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(_(" [y/N] "));
	fflush(stdout);
	char line[16];
	if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y')) {
		printf(_("Nothing sent.\n"));
		return false;
	}
	return true;
}

void cli_usage(const struct cmd_entry *e, FILE *out)
{
	fprintf(out, _("usage: r1console %s\n"), _(e->usage));
	fprintf(out, "  %s\n", _(e->summary));
}

bool cli_wants_help(const struct cmd_entry *e, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_usage(e, stdout);
			return true;
		}
	}
	return false;
}

static void usage(FILE *out)
{
	fprintf(out, _("usage: r1console [COMMAND [ARGS...]]\n\n"
		       "With no command, starts the console.\n\nCommands:\n"));
	for (size_t t = 0; t < R1_ARRAY_LEN(cmd_tables); t++)
		for (const struct cmd_entry *e = cmd_tables[t]; e->name; e++)
			fprintf(out, "  %-10s %s\n", e->name, _(e->summary));
	fprintf(out, _("\nRun 'r1console COMMAND --help' for a command's options.\n"));
}

static const struct cmd_entry *find_command(const char *name)
{
	for (size_t t = 0; t < R1_ARRAY_LEN(cmd_tables); t++)
		for (const struct cmd_entry *e = cmd_tables[t]; e->name; e++)
			if (strcmp(e->name, name) == 0)
				return e;
	return NULL;
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	/* Numbers on the wire and in files are always C-locale text. */
	setlocale(LC_NUMERIC, "C");
#if ENABLE_NLS
	bindtextdomain(PACKAGE, LOCALEDIR);
	textdomain(PACKAGE);
#endif
	r1_alloc_setup_jansson();

	/* no command, or only flags: the console */
	if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "--help") != 0 &&
			 strcmp(argv[1], "-h") != 0 && strcmp(argv[1], "--version") != 0)) {
		char *cargv[256];
		int cargc = 0;
		cargv[cargc++] = (char *)"console";
		for (int i = 1; i < argc && cargc < (int)R1_ARRAY_LEN(cargv) - 1; i++)
			cargv[cargc++] = argv[i];
		cargv[cargc] = NULL;
		return cmd_console_entries[0].exec(cargc, cargv);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("r1console %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	const struct cmd_entry *e = find_command(argv[1]);
	if (!e) {
		cli_error(_("unknown command '%s'; see 'r1console --help'"), argv[1]);
		return EXIT_USAGE;
	}
	return e->exec(argc - 1, argv + 1);
}
