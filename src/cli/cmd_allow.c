/*
 * r1console allow add|rm|ls [ADDR] [--data DIR | --node ALIAS] [--name ALIAS]:
 * the allow list of a node's data directory, the `authorized_addrs` file in
 * the reference's format ("<address>  <alias> # <eth address>" per line,
 * '#' lines are comments).  Changes are written atomically (temporary file
 * and rename), keep every other line as it was, and are picked up by a
 * running node without a restart (the node watches the file).
 */
#include "cli/cli.h"
#include "cli/args.h"
#include "cli/netctx.h"
#include "cli/table.h"

#include <dirent.h>
#include <jansson.h>
#include <sys/stat.h>

#define ALLOW_FILE     "authorized_addrs"
#define ALLOW_FILE_MAX (4u * 1024u * 1024u)

struct allow_opts {
	const char *data;
	const char *node;
	const char *name;
};

static const struct cli_flag allow_flags[] = {
    {"data", CLI_STR, offsetof(struct allow_opts, data)},
    {"node", CLI_STR, offsetof(struct allow_opts, node)},
    {"name", CLI_STR, offsetof(struct allow_opts, name)},
    CLI_FLAGS_END,
};

/* One line of the file: an entry (with its key) or anything else, kept verbatim. */
struct allow_line {
	char *text;
	bool entry;
	uint8_t pub[R1_PUB_LEN];
	char alias[64];
};

struct allow_file {
	struct allow_line *lines;
	size_t n;
};

static void allow_release(struct allow_file *f)
{
	for (size_t i = 0; i < f->n; i++)
		r1_free(f->lines[i].text);
	r1_free(f->lines);
	memset(f, 0, sizeof(*f));
}

/* Parse: entries are lines whose first word is a valid address. */
static bool allow_parse(const char *text, struct allow_file *f)
{
	memset(f, 0, sizeof(*f));
	const char *p = text;
	while (*p) {
		size_t len = strcspn(p, "\n");
		struct allow_line *g = r1_reallocarray(f->lines, f->n + 1, sizeof(*g));
		if (!g)
			return false;
		f->lines = g;
		struct allow_line *l = &f->lines[f->n];
		memset(l, 0, sizeof(*l));
		if (!(l->text = r1_strndup(p, len)))
			return false;
		f->n++;
		const char *w = l->text;
		while (*w == ' ' || *w == '\t')
			w++;
		size_t wl = strcspn(w, " \t#");
		if (*w != '#' && wl && addr_parse(w, wl, l->pub, NULL) == R1_OK) {
			l->entry = true;
			const char *a = w + wl;
			while (*a == ' ' || *a == '\t')
				a++;
			size_t al = *a == '#' ? 0 : strcspn(a, " \t#");
			snprintf(l->alias, sizeof(l->alias), "%.*s", (int)R1_MIN(al, 63u), a);
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return true;
}

static enum r1_err allow_write(const char *path, const struct allow_file *f, char **why)
{
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < f->n; i++) {
		if (!f->lines[i].text)
			continue;
		buf_adds(&out, f->lines[i].text);
		buf_addc(&out, '\n');
	}
	if (!buf_ok(&out)) {
		buf_release(&out);
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	}
	enum r1_err e = paths_write_atomic(path, out.data ? out.data : "", out.len, 0600, why);
	buf_release(&out);
	return e;
}

/* The node directory: --data, --node, or the only one there is. */
static int node_dir(const struct netctx_env *env, const struct allow_opts *o, char **out)
{
	char *why = NULL;
	if (o->data) {
		*out = r1_strdup(o->data);
		return *out ? EXIT_OK : EXIT_FAIL;
	}
	if (o->node) {
		if (paths_node_dir(&env->paths, o->node, out, &why)) {
			cli_error("%s", why);
			r1_free(why);
			return EXIT_USAGE;
		}
		return EXIT_OK;
	}
	char *nodes = paths_nodes_dir(&env->paths);
	DIR *d = nodes ? opendir(nodes) : NULL;
	char *only = NULL;
	int count = 0;
	for (struct dirent *de; d && (de = readdir(d));) {
		if (de->d_name[0] == '.' || !paths_alias_ok(de->d_name))
			continue;
		count++;
		r1_free(only);
		only = r1_strdup(de->d_name);
	}
	if (d)
		closedir(d);
	int rc = EXIT_OK;
	if (count == 1) {
		if (paths_node_dir(&env->paths, only, out, NULL))
			rc = EXIT_FAIL;
	} else if (count == 0) {
		cli_error(_("no node directory in %s; say which with --data DIR"),
		          nodes ? nodes : "");
		rc = EXIT_USAGE;
	} else {
		cli_error(_("there are %d nodes in %s; say which with --node ALIAS or --data DIR"),
		          count, nodes ? nodes : "");
		rc = EXIT_USAGE;
	}
	r1_free(only);
	r1_free(nodes);
	return rc;
}

static void list(const struct allow_file *f, bool json)
{
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < f->n; i++) {
			const struct allow_line *l = &f->lines[i];
			if (!l->entry)
				continue;
			char addr[R1_ADDR_LEN + 1], eth[R1_ETH_ADDR_LEN + 1] = "";
			addr_format(l->pub, addr);
			eth_address_from_pub(l->pub, eth, NULL);
			json_array_append_new(arr,
			                      json_pack("{s:s,s:s,s:s}", "address", addr, "alias",
			                                l->alias, "eth_address", eth));
		}
		json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
		fputc('\n', stdout);
		json_decref(arr);
		return;
	}
	static const struct table_column cols[] = {
	    {N_("Address"), TABLE_LEFT, 16, true, 0},
	    {N_("Alias"), TABLE_LEFT, 0, false, 0},
	    {N_("ETH Address"), TABLE_LEFT, 14, true, 1},
	};
	struct table_column tc[R1_ARRAY_LEN(cols)];
	for (size_t i = 0; i < R1_ARRAY_LEN(cols); i++) {
		tc[i] = cols[i];
		tc[i].title = _(cols[i].title);
	}
	struct table *t = cli_table_new(tc, R1_ARRAY_LEN(tc));
	for (size_t i = 0; t && i < f->n; i++) {
		const struct allow_line *l = &f->lines[i];
		if (!l->entry)
			continue;
		char addr[R1_ADDR_LEN + 1], eth[R1_ETH_ADDR_LEN + 1] = "";
		addr_format(l->pub, addr);
		eth_address_from_pub(l->pub, eth, NULL);
		const char *cells[] = {addr, l->alias, eth};
		cli_table_add(t, cells);
	}
	if (t && cli_table_rows(t)) {
		struct buf out = BUF_INIT;
		cli_table_render(t, cli_table_width(STDOUT_FILENO), &out);
		fputs(buf_cstr(&out), stdout);
		buf_release(&out);
	} else if (t) {
		printf(_("(no address is allowed)\n"));
	}
	cli_table_free(&t);
}

static int cmd_allow(int argc, char **argv)
{
	if (cli_wants_help(&cmd_allow_entries[0], argc, argv))
		return EXIT_OK;
	struct allow_opts o = {0};
	struct cli_global g = {0};
	struct cli_args a;
	char *err = NULL;
	if (!cli_parse(argc, argv, allow_flags, &o, &g, &a, &err)) {
		cli_error("allow: %s", err);
		r1_free(err);
		return EXIT_USAGE;
	}
	const char *sub = a.n_pos ? a.pos[0] : "";
	bool is_ls = strcmp(sub, "ls") == 0;
	bool is_add = strcmp(sub, "add") == 0, is_rm = strcmp(sub, "rm") == 0;
	if ((!is_ls && !is_add && !is_rm) || a.n_pos != (is_ls ? 1u : 2u)) {
		cli_error(_("usage: r1console %s"), _(cmd_allow_entries[0].usage));
		return EXIT_USAGE;
	}
	uint8_t pub[R1_PUB_LEN];
	char *why = NULL;
	if (!is_ls && addr_parse(a.pos[1], strlen(a.pos[1]), pub, &why)) {
		cli_error(_("'%s' is not a valid node address: %s"), a.pos[1], why ? why : "");
		r1_free(why);
		return EXIT_USAGE;
	}
	if (o.name && (strpbrk(o.name, " \t#\n\r") || !*o.name || strlen(o.name) > 63)) {
		cli_error(_("--name '%s' must be one word of at most 63 bytes, without '#'"),
		          o.name);
		return EXIT_USAGE;
	}
	struct netctx_env env;
	int rc = netctx_env_load(&env, &g, false);
	if (rc)
		return rc;
	char *dir = NULL;
	struct buf path = BUF_INIT;
	struct allow_file f = {0};
	char *text = NULL;
	if ((rc = node_dir(&env, &o, &dir)))
		goto out;
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cli_error(_("%s is not a node directory"), dir);
		rc = EXIT_FAIL;
		goto out;
	}
	buf_addf(&path, "%s/%s", dir, ALLOW_FILE);
	enum r1_err e = paths_read_file(buf_cstr(&path), ALLOW_FILE_MAX, &text, NULL, &why);
	if (e && e != R1_ERR_NOTFOUND) {
		cli_error("%s", why);
		rc = EXIT_FAIL;
		goto out;
	}
	if (!allow_parse(text ? text : "", &f)) {
		cli_error(_("out of memory"));
		rc = EXIT_FAIL;
		goto out;
	}
	if (is_ls) {
		list(&f, g.json);
		goto out;
	}
	char addr[R1_ADDR_LEN + 1];
	addr_format(pub, addr);
	size_t hits = 0;
	for (size_t i = 0; i < f.n; i++)
		if (f.lines[i].entry && memcmp(f.lines[i].pub, pub, R1_PUB_LEN) == 0) {
			hits++;
			if (is_rm) {
				r1_free(f.lines[i].text);
				f.lines[i].text = NULL;
			}
		}
	if (is_add && hits) {
		printf(_("%s is already allowed in %s\n"), addr, buf_cstr(&path));
		goto out;
	}
	if (is_rm && !hits) {
		cli_error(_("%s is not in %s"), addr, buf_cstr(&path));
		rc = EXIT_FAIL;
		goto out;
	}
	if (is_add) {
		char eth[R1_ETH_ADDR_LEN + 1] = "";
		eth_address_from_pub(pub, eth, NULL);
		struct buf line = BUF_INIT;
		buf_addf(&line, "%s  %s # %s", addr, o.name ? o.name : "", eth);
		struct allow_line *gl = r1_reallocarray(f.lines, f.n + 1, sizeof(*gl));
		if (!gl || !buf_ok(&line)) {
			buf_release(&line);
			cli_error(_("out of memory"));
			rc = EXIT_FAIL;
			goto out;
		}
		f.lines = gl;
		memset(&f.lines[f.n], 0, sizeof(f.lines[0]));
		f.lines[f.n++].text = buf_detach(&line, NULL);
	}
	if (allow_write(buf_cstr(&path), &f, &why)) {
		cli_error("%s", why ? why : "");
		rc = EXIT_FAIL;
		goto out;
	}
	printf(is_add ? _("allowed %s in %s\n") : _("removed %s from %s\n"), addr, buf_cstr(&path));
out:
	allow_release(&f);
	r1_free(text);
	r1_free(why);
	r1_free(dir);
	buf_release(&path);
	netctx_env_release(&env);
	return rc;
}

const struct cmd_entry cmd_allow_entries[] = {
    {"allow", N_("allow add|rm ADDR | allow ls [--data DIR | --node ALIAS] [--name ALIAS]"),
     N_("edit the allow list (authorized_addrs) of a node's data directory"), cmd_allow},
    {NULL, NULL, NULL, NULL},
};
