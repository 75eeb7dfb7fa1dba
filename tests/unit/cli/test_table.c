/*
 * CLI tables (natural widths, shrinking in the middle or at the end,
 * dropping optional columns, UTF-8 widths, control characters) and the flag
 * parser.
 */
#include "core/lib.h"
#include "cli/args.h"
#include "cli/table.h"
#include "tests/tap.h"

#include <locale.h>

static char *render(struct table *t, unsigned width)
{
	struct buf b = BUF_INIT;
	cli_table_render(t, width, &b);
	return buf_detach(&b, NULL);
}

static void test_tables(void)
{
	static const struct table_column cols[] = {
	    {"Address", TABLE_LEFT, 12, true, 0},
	    {"Alias", TABLE_LEFT, 0, false, 0},
	    {"Cores", TABLE_RIGHT, 0, false, 0},
	    {"Relay", TABLE_LEFT, 0, false, 1},
	};
	struct table *t = cli_table_new(cols, 4);
	ok(t != NULL, "table_new");
	char *s = render(t, 80);
	is_str(s, "Address  Alias  Cores  Relay\n", "empty table prints its header");
	r1_free(s);
	const char *r1[] = {"0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN", "node-a", "8",
	                    "127.0.0.1"};
	const char *r2[] = {"0xai_A-4c9iEg0NInyQDnMeifin2zlWtlIAb8cTjc3bnyjs_r",
	                    "oracle\x1b[2J-long-alias", "16", NULL};
	ok(cli_table_add(t, r1) && cli_table_add(t, r2), "rows added");
	is_int(cli_table_rows(t), 2, "two rows");
	s = render(t, 0);
	is_str(
	    s,
	    "Address                                            Alias              Cores  Relay\n"
	    "0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN  node-a                 8"
	    "  127.0.0.1\n"
	    "0xai_A-4c9iEg0NInyQDnMeifin2zlWtlIAb8cTjc3bnyjs_r  oracle-long-alias     16\n",
	    "natural widths; escape sequences removed; numbers right; no trailing spaces");
	r1_free(s);
	s = render(t, 60);
	is_str(s,
	       "Address                  Alias              Cores  Relay\n"
	       "0xai_AvVm7r\xe2\x80\xa6"
	       "-jciRmXgHcN  node-a                 8  127.0.0.1\n"
	       "0xai_A-4c9i\xe2\x80\xa6"
	       "Tjc3bnyjs_r  oracle-long-alias     16\n",
	       "60 columns: the address loses its middle");
	r1_free(s);
	for (char *line = s = render(t, 60); *line;) {
		char *nl = strchr(line, '\n');
		*nl = '\0';
		ok(cli_table_text_width(line) <= 60, "line fits in 60: %u", cli_table_text_width(line));
		line = nl + 1;
	}
	r1_free(s);
	s = render(t, 36);
	is_str(
	    s,
	    "Address       Alias            Cores\n"
	    "0xai_A\xe2\x80\xa6"
	    "XgHcN  node-a               8\n"
	    "0xai_A\xe2\x80\xa6"
	    "yjs_r  oracle-long-al\xe2\x80\xa6     16\n",
	    "36 columns: addresses to their minimum, the optional column dropped, then text cut");
	r1_free(s);
	s = render(t, 24);
	is_str(s,
	       "Address       Alias  Cores\n"
	       "0xai_A\xe2\x80\xa6"
	       "XgHcN  node\xe2\x80\xa6      8\n"
	       "0xai_A\xe2\x80\xa6"
	       "yjs_r  orac\xe2\x80\xa6     16\n",
	       "24 columns: text is cut to its minimum, then the table overflows");
	r1_free(s);
	cli_table_free(&t);
	ok(t == NULL, "free NULLs");

	/* UTF-8 aliases are measured in columns, not bytes */
	static const struct table_column c2[] = {{"A", TABLE_LEFT, 0, false, 0},
	                                         {"B", TABLE_LEFT, 0, false, 0}};
	t = cli_table_new(c2, 2);
	const char *u[] = {"\xc8\x99\xc8\x9b", "x"}; /* "șț": 2 columns, 4 bytes */
	cli_table_add(t, u);
	s = render(t, 80);
	is_str(s, "A   B\n\xc8\x99\xc8\x9b  x\n", "UTF-8 width");
	r1_free(s);
	is_int(cli_table_text_width("\xc8\x99\xc8\x9b"), 2, "text width of two letters");
	cli_table_free(&t);
}

struct opts {
	bool wide;
	const char *node;
	long long n;
	double secs;
};

/* argv is char **: copy string literals into a writable vector. */
static char **mkargv(const char *const *src, size_t n)
{
	char **v = r1_calloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = r1_strdup(src[i]);
	return v;
}

static void freeargv(char **v)
{
	for (size_t i = 0; v[i]; i++)
		r1_free(v[i]);
	r1_free(v);
}

static void test_args(void)
{
	static const struct cli_flag flags[] = {
	    {"wide", CLI_BOOL, offsetof(struct opts, wide)},
	    {"node", CLI_STR, offsetof(struct opts, node)},
	    {"n", CLI_INT, offsetof(struct opts, n)},
	    {"wait", CLI_SECONDS, offsetof(struct opts, secs)},
	    CLI_FLAGS_END,
	};
	static const char *const args[] = {
	    "get",       "nodes", "--wide", "--node=x", "--json", "--broker", "mqtt://127.0.0.1:1",
	    "--timeout", "2.5",   "--n",    "-3",       "--",     "--wide"};
	char **argv = mkargv(args, R1_ARRAY_LEN(args));
	struct opts o = {0};
	struct cli_global g = {0};
	struct cli_args a;
	char *err = NULL;
	ok(cli_parse((int)R1_ARRAY_LEN(args), argv, flags, &o, &g, &a, &err), "parse");
	ok(o.wide && strcmp(o.node, "x") == 0 && o.n == -3, "command flags");
	ok(g.json && strcmp(g.cfg.broker, "mqtt://127.0.0.1:1") == 0 && g.cfg.timeout_s == 2.5,
	   "global flags");
	is_int(a.n_pos, 2, "positionals (after -- too)");
	is_str(a.pos[1], "--wide", "'--' ends the flags");
	freeargv(argv);

	static const struct {
		const char *arg, *want;
	} bad[] = {
	    {"--nope", "unknown option '--nope'"},
	    {"-x", "unknown option '-x'"},
	    {"--node", "--node needs a value"},
	    {"--wide=1", "--wide takes no value"},
	    {"--timeout=0", "--timeout '0': expected a number of seconds"},
	    {"--n=zz", "--n 'zz': expected a whole number"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(bad); i++) {
		const char *const src[] = {"cmd", bad[i].arg};
		char **av = mkargv(src, 2);
		ok(!cli_parse(2, av, flags, &o, &g, &a, &err), "refused: %s", bad[i].arg);
		freeargv(av);
		ok(err && strncmp(err, bad[i].want, strlen(bad[i].want)) == 0, "message: %s", err);
	}
	r1_free(err);
}

int main(void)
{
	if (!setlocale(LC_ALL, "C.UTF-8"))
		tap_bail("no C.UTF-8 locale");
	test_tables();
	test_args();
	return tap_done();
}
