/*
 * r1console r1fs: R1FS from the command line.
 *
 *   cid FILE                   the CID `ipfs add --only-hash` gives FILE (nothing stored)
 *   add FILE                   encrypt, store, print the wrapping directory's CID
 *   get CID                    fetch, verify, decrypt under the original name
 *   cat CID[/NAME]             the stored (still encrypted) bytes, as `ipfs cat`
 *   ls CID[/NAME] | stat [CID] | pins | pin CID | unpin CID | gc
 *   id                         the IPFS node's peer ID (--ipfs-api)
 *
 * Four ways to reach a store, one set of results (node/r1fs/ops.h):
 *  - --node-dir DIR: a node's directory, while that node does not run (a
 *    running node holds its store's lock);
 *  - --ipfs-api URL: an IPFS node's RPC API;
 *  - a node running on this machine, through its HTTP API (the routes apps
 *    use): --port N, else R1FS_API_URL / EE_R1FS_API_URL, else --node
 *    ALIAS when that node is hosted here (the port it recorded), else 31235;
 *  - any other node named by --node, over the network of the settings: an
 *    encrypted R1FS_REQ to its R1FS_MANAGER for the bookkeeping, and the
 *    exchange itself for data: `get` and `cat` fetch the DAG from the node
 *    into a temporary store here, `add` adds into one and asks the node to
 *    fetch it from us.  The node must allow us (authorized_addrs).
 *
 * Long transfers show their progress on stderr when it is a terminal.
 * --json prints results as JSON.  Exit: 0, 1 failure, 2 usage, 3 timeout.
 */
#include "cli/cli.h"
#include "cli/args.h"
#include "cli/localapi.h"
#include "cli/netctx.h"

#include "core/db.h"
#include "core/hash.h"
#include "core/loop.h"
#include "core/proto.h"
#include "core/session.h"
#include "core/codec.h"
#include "node/httpc.h"
#include "node/r1fs/ops.h"
#include "node/r1fs/unseal.h"
#include "node/r1fs/r1fs.h"
#include "node/r1fs/xchg.h"
#include "node/r1fs/xmsg.h"
#include "core/clock.h"

#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

#define IO_CHUNK (1u << 20)

struct r1fs_flags {
	const char *node_dir, *ipfs_api, *node, *secret, *out, *nonce;
	double ipfs_timeout;
	long long port, grace;
	bool v1, no_pin;
};

static const struct cli_flag flag_table[] = {
    {"node-dir", CLI_STR, offsetof(struct r1fs_flags, node_dir)},
    {"ipfs-api", CLI_STR, offsetof(struct r1fs_flags, ipfs_api)},
    {"ipfs-timeout", CLI_SECONDS, offsetof(struct r1fs_flags, ipfs_timeout)},
    {"node", CLI_STR, offsetof(struct r1fs_flags, node)},
    {"port", CLI_INT, offsetof(struct r1fs_flags, port)},
    {"secret", CLI_STR, offsetof(struct r1fs_flags, secret)},
    {"out", CLI_STR, offsetof(struct r1fs_flags, out)},
    {"nonce", CLI_STR, offsetof(struct r1fs_flags, nonce)},
    {"grace", CLI_INT, offsetof(struct r1fs_flags, grace)},
    {"v1", CLI_BOOL, offsetof(struct r1fs_flags, v1)},
    {"no-pin", CLI_BOOL, offsetof(struct r1fs_flags, no_pin)},
    CLI_FLAGS_END,
};

enum via { VIA_DIR, VIA_IPFS, VIA_HTTP, VIA_BUS };

struct target {
	const char *cmd;
	struct cli_global g;
	struct r1fs_flags f;
	enum via via;
	struct localapi api; /* VIA_HTTP */
	unsigned timeout_ms;
	const char *arg; /* FILE or CID, when the subcommand takes one */
	int64_t nonce;
};

/* ---- progress on stderr */

struct progress {
	bool on;
	const char *what;
	uint64_t t0, last;
	uint64_t done, total;
	bool shown;
};

static void progress_start(struct progress *p, const char *what)
{
	memset(p, 0, sizeof(*p));
	p->on = isatty(STDERR_FILENO);
	p->what = what;
	p->t0 = r1_mono_ms();
}

static void human(uint64_t n, char out[32])
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	size_t u = 0;
	while (v >= 1024 && u + 1 < R1_ARRAY_LEN(units)) {
		v /= 1024;
		u++;
	}
	snprintf(out, 32, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void progress_show(struct progress *p, uint64_t done, uint64_t total, bool force)
{
	p->done = done;
	p->total = total;
	uint64_t now = r1_mono_ms();
	if (!p->on || (!force && now - p->last < 200) || now - p->t0 < 500)
		return;
	p->last = now;
	char d[32], t[32], r[32];
	human(done, d);
	human(total, t);
	double secs = (double)(now - p->t0) / 1000.0;
	human(secs > 0 ? (uint64_t)((double)done / secs) : 0, r);
	if (total)
		fprintf(stderr, "\r%s: %3u%% %s / %s, %s/s   ", p->what,
		        (unsigned)(done * 100 / (total ? total : 1)), d, t, r);
	else
		fprintf(stderr, "\r%s: %s, %s/s   ", p->what, d, r);
	p->shown = true;
}

static void progress_end(struct progress *p)
{
	if (p->shown) {
		progress_show(p, p->done, p->total, true);
		fputc('\n', stderr);
	}
}

static bool on_progress(void *ctx, uint64_t done, uint64_t total)
{
	progress_show(ctx, done, total, false);
	return true;
}

/* ---- arguments */

static const struct localapi_service r1fs_api = {
    "r1fs-api.port", {"R1FS_API_URL", "EE_R1FS_API_URL"}, R1FS_DEFAULT_HTTP_PORT};

/* Flags, the one positional when `takes` says so, and where the store is. */
static int parse(int argc, char **argv, int takes, struct target *t)
{
	memset(t, 0, sizeof(*t));
	t->cmd = argv[0];
	t->f.grace = -1; /* not given */
	struct cli_args a;
	char *err = NULL;
	if (!cli_parse(argc, argv, flag_table, &t->f, &t->g, &a, &err)) {
		cli_error("r1fs %s: %s", t->cmd, err ? err : "");
		r1_free(err);
		return EXIT_USAGE;
	}
	/* takes: 0 none, 1 one, -1 one or none */
	if ((takes == 0 && a.n_pos) || (takes == 1 && a.n_pos != 1) || a.n_pos > 1) {
		cli_error(_("r1fs %s: expected %s"), t->cmd,
		          takes == 0 ? _("no argument") : _("one argument"));
		return EXIT_USAGE;
	}
	t->arg = a.n_pos ? a.pos[0] : NULL;
	t->nonce = R1FS_NONCE_RANDOM;
	if (t->f.nonce) {
		char *end = NULL;
		errno = 0;
		long long n = strtoll(t->f.nonce, &end, 10);
		if (errno || !*t->f.nonce || *end || n == R1FS_NONCE_RANDOM) {
			cli_error(_("r1fs %s: --nonce wants an integer other than -1"), t->cmd);
			return EXIT_USAGE;
		}
		t->nonce = n;
	}
	if (t->f.grace < -1) {
		cli_error(_("r1fs gc: --grace wants seconds, 0 or more"));
		return EXIT_USAGE;
	}
	int ways = !!t->f.node_dir + !!t->f.ipfs_api + !!(t->f.port || t->f.node);
	if (ways > 1 || (t->f.port && t->f.node)) {
		cli_error(_("r1fs %s: give one of --node-dir, --ipfs-api, --port or --node"),
		          t->cmd);
		return EXIT_USAGE;
	}
	t->timeout_ms = t->g.cfg.timeout_s > 0 ? (unsigned)(t->g.cfg.timeout_s * 1000) : 600000;
	if (t->f.node_dir) {
		t->via = VIA_DIR;
	} else if (t->f.ipfs_api) {
		t->via = VIA_IPFS;
	} else {
		char *why = NULL;
		if (localapi_find(&r1fs_api, t->f.port, t->f.node, &t->api, &why)) {
			cli_error("r1fs: %s", why);
			r1_free(why);
			return EXIT_USAGE;
		}
		t->via = t->api.remote ? VIA_BUS : VIA_HTTP;
	}
	return EXIT_OK;
}

static int fail(enum r1_err e, const char *why, const char *fallback)
{
	cli_error("%s", why ? why : fallback);
	return e == R1_ERR_TIMEOUT ? EXIT_TIMEOUT : EXIT_FAIL;
}

/* ---- output, whatever carried the result */

static void print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
	puts(s ? s : "null");
	free(s);
}

static json_int_t num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* Text a node sent (file names) is stripped of control characters before it reaches a terminal. */
static void put_clean(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static void print_result(const struct target *t, const char *op, const json_t *res)
{
	if (t->g.json) {
		print_json(res);
		return;
	}
	size_t i;
	const json_t *e;
	if (strcmp(op, "pins") == 0) {
		json_array_foreach(res, i, e)
		{
			printf("%s %" JSON_INTEGER_FORMAT " ", str(e, "cid"), num(e, "size"));
			const char *name = json_string_value(json_object_get(e, "name"));
			put_clean(name ? name : "-");
			putchar('\n');
		}
	} else if (strcmp(op, "ls") == 0) {
		json_array_foreach(res, i, e)
		{
			printf("%s %" JSON_INTEGER_FORMAT " ", str(e, "cid"), num(e, "size"));
			put_clean(str(e, "name"));
			putchar('\n');
		}
	} else if (strcmp(op, "stat") == 0) {
		printf("%s\n", str(res, "cid"));
		printf(_("type: %s\n"), str(res, "type"));
		printf(_("file size: %" JSON_INTEGER_FORMAT "\n"), num(res, "filesize"));
		printf(_("cumulative size: %" JSON_INTEGER_FORMAT "\n"), num(res, "cumulative"));
		printf(_("block size: %" JSON_INTEGER_FORMAT "\n"), num(res, "block_size"));
		printf(_("links: %" JSON_INTEGER_FORMAT "\n"), num(res, "links"));
		printf(_("pinned: %s\n"),
		       json_is_true(json_object_get(res, "pinned")) ? _("yes") : _("no"));
	} else if (strcmp(op, "store_stat") == 0) {
		char used[32], quota[32], disk[32];
		human((uint64_t)num(res, "used"), used);
		human((uint64_t)num(res, "quota"), quota);
		human((uint64_t)num(res, "disk"), disk);
		printf(_("used: %s (quota: %s)\n"), used, num(res, "quota") ? quota : _("none"));
		printf(_("blocks: %" JSON_INTEGER_FORMAT ", pins: %" JSON_INTEGER_FORMAT "\n"),
		       num(res, "blocks"), num(res, "pins"));
		printf(_("packs: %" JSON_INTEGER_FORMAT ", %s on disk\n"), num(res, "packs"), disk);
	} else if (strcmp(op, "gc") == 0) {
		char b[32], d[32];
		human((uint64_t)num(res, "bytes_removed"), b);
		human((uint64_t)num(res, "disk_freed"), d);
		printf(_("removed %" JSON_INTEGER_FORMAT " block(s) (%s), freed %s on disk\n"),
		       num(res, "blocks_removed"), b, d);
	} else if (strcmp(op, "add") == 0) {
		puts(str(res, "cid"));
	} else if (strcmp(op, "get") == 0) {
		put_clean(str(res, "path"));
		putchar('\n');
	}
	/* pin, unpin: the exit status says it */
}

/* The ops.h operation a subcommand runs, with its arguments. */
static const char *op_of(const struct target *t, json_t **args)
{
	const char *op = strcmp(t->cmd, "stat") == 0 && !t->arg ? "store_stat" : t->cmd;
	*args = json_object();
	if (t->arg)
		json_object_set_new(*args, "cid", json_string(t->arg));
	if (strcmp(op, "gc") == 0)
		json_object_set_new(
		    *args, "grace",
		    json_integer(t->f.grace >= 0 ? t->f.grace : R1FS_OP_GC_GRACE_S));
	return op;
}

/* ---- a store here: --node-dir or --ipfs-api */

struct store {
	sqlite3 *db;
	struct r1fs *fs;
};

static int store_open(const struct target *t, struct store *s)
{
	struct r1fs_options opt = R1FS_OPTIONS_INIT;
	char *why = NULL;
	enum r1_err e = R1_OK;
	memset(s, 0, sizeof(*s));
	if (t->via == VIA_IPFS) {
		opt.ipfs_api = t->f.ipfs_api;
		if (t->f.ipfs_timeout > 0)
			opt.ipfs_timeout_ms = (int)(t->f.ipfs_timeout * 1000);
	} else {
		struct buf path = BUF_INIT;
		buf_addf(&path, "%s/node.db", t->f.node_dir);
		e = buf_ok(&path) ? db_open(path.data, &s->db, &why) : R1_ERR_NOMEM;
		buf_release(&path);
	}
	if (!e)
		e = r1fs_open(t->f.node_dir, s->db, &opt, &s->fs, &why);
	if (e) {
		cli_error("%s", why ? why : _("cannot open the file store"));
		r1_free(why);
		db_close(&s->db);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static void store_close(struct store *s)
{
	r1fs_free(&s->fs);
	db_close(&s->db);
}

static int store_add(struct target *t, struct r1fs *fs, json_t **res)
{
	struct progress p;
	progress_start(&p, _("adding"));
	struct r1fs_add_opts o = R1FS_ADD_OPTS_INIT;
	o.secret = t->f.secret;
	o.cid_version = t->f.v1 ? 1 : 0;
	o.no_pin = t->f.no_pin;
	o.nonce = t->nonce;
	o.progress = on_progress;
	o.progress_ctx = &p;
	struct r1fs_added added;
	char *why = NULL;
	enum r1_err e = r1fs_add_file(fs, t->arg, &o, &added, &why);
	progress_end(&p);
	if (e) {
		int rc = fail(e, why, _("r1fs add failed"));
		r1_free(why);
		return rc;
	}
	*res = json_pack("{s:s,s:s,s:I}", "cid", added.cid, "file_cid", added.file_cid, "size",
	                 (json_int_t)added.size);
	return EXIT_OK;
}

static int store_get(struct target *t, struct r1fs *fs, json_t **res)
{
	struct progress p;
	progress_start(&p, _("getting"));
	struct r1fs_get_opts o = R1FS_GET_OPTS_INIT;
	o.secret = t->f.secret;
	o.pin = !t->f.no_pin;
	o.progress = on_progress;
	o.progress_ctx = &p;
	char *path = NULL, *why = NULL;
	enum r1_err e = r1fs_get_file(fs, t->arg, t->f.out ? t->f.out : ".", &o, &path, &why);
	progress_end(&p);
	if (e) {
		int rc = fail(e, why, _("r1fs get failed"));
		r1_free(why);
		return rc;
	}
	*res = json_pack("{s:s,s:s}", "cid", t->arg, "path", path);
	r1_free(path);
	return EXIT_OK;
}

static enum r1_err stdout_write(void *ctx, const uint8_t *data, size_t len, char **why)
{
	if (fwrite(data, 1, len, stdout) != len)
		return r1_fail(why, R1_ERR_IO, "r1fs cat: writing to stdout: %s", strerror(errno));
	return R1_OK;
}

static int store_cat(struct target *t, struct r1fs *fs)
{
	char *why = NULL;
	enum r1_err e = r1fs_cat(fs, t->arg, 0, 0, stdout_write, NULL, &why);
	if (!e && fflush(stdout) != 0)
		e = r1_fail(&why, R1_ERR_IO, "r1fs cat: writing to stdout: %s", strerror(errno));
	int rc = e ? fail(e, why, _("r1fs cat failed")) : EXIT_OK;
	r1_free(why);
	return rc;
}

static int run_store(struct target *t)
{
	struct store s;
	int rc = store_open(t, &s);
	if (rc)
		return rc;
	json_t *res = NULL;
	if (strcmp(t->cmd, "add") == 0) {
		rc = store_add(t, s.fs, &res);
	} else if (strcmp(t->cmd, "get") == 0) {
		rc = store_get(t, s.fs, &res);
	} else if (strcmp(t->cmd, "cat") == 0) {
		rc = store_cat(t, s.fs);
	} else if (strcmp(t->cmd, "id") == 0) {
		char *id = NULL, *agent = NULL, *why = NULL;
		enum r1_err e = r1fs_backend_id(s.fs, &id, &agent, &why);
		if (e)
			rc = fail(e, why, _("r1fs id failed"));
		else
			res = json_pack("{s:s,s:s}", "ID", id, "AgentVersion", agent ? agent : "");
		r1_free(id);
		r1_free(agent);
		r1_free(why);
	} else {
		json_t *args = NULL;
		const char *op = op_of(t, &args);
		char *why = NULL;
		enum r1_err e = r1fs_op_run(s.fs, op, args, &res, NULL, &why);
		json_decref(args);
		if (e)
			rc = fail(e, why, _("failed"));
		r1_free(why);
		if (!rc)
			print_result(t, op, res);
		json_decref(res);
		res = NULL;
	}
	if (!rc && res) {
		if (strcmp(t->cmd, "id") == 0 && !t->g.json)
			printf("%s %s\n", str(res, "ID"), str(res, "AgentVersion"));
		else
			print_result(t, t->cmd, res);
	}
	json_decref(res);
	store_close(&s);
	return rc;
}

/* ---- a node on this machine: its HTTP API */

static int http_open(const struct target *t, struct httpc_url *url)
{
	struct buf u = BUF_INIT;
	buf_addf(&u, "http://%s:%u", t->api.host, t->api.port);
	char *why = NULL;
	enum r1_err e = buf_ok(&u) ? httpc_url_parse(buf_cstr(&u), url, &why) : R1_ERR_NOMEM;
	buf_release(&u);
	if (e) {
		cli_error("%s", why ? why : _("out of memory"));
		r1_free(why);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int http_unreachable(const struct target *t, enum r1_err e, const char *why)
{
	cli_error(_("r1fs: cannot reach the R1FS API at %s:%u: %s"), t->api.host, t->api.port,
	          why ? why : r1_strerror(e));
	return e == R1_ERR_TIMEOUT ? EXIT_TIMEOUT : EXIT_FAIL;
}

/* A FastAPI error body's message: detail.error, detail.detail, detail[0].msg or detail. */
static void http_refused(int status, const json_t *body)
{
	const json_t *d = json_object_get(body, "detail");
	const json_t *m = json_object_get(d, "error");
	if (!m)
		m = json_object_get(d, "detail");
	if (!m && json_is_array(d))
		m = json_object_get(json_array_get(d, 0), "msg");
	if (!m)
		m = d;
	char *s = m && !json_is_string(m) ? json_dumps(m, JSON_ENCODE_ANY) : NULL;
	cli_error(_("r1fs: the node refused the request (%d): %s"), status,
	          s                      ? s
	          : json_string_value(m) ? json_string_value(m)
	                                 : "?");
	free(s);
}

/* The reply of a JSON route: *result (the envelope's "result") on success. */
static int http_json_reply(const struct target *t, struct httpc_response *r, json_t **result)
{
	struct buf body = BUF_INIT;
	char *why = NULL;
	enum r1_err e = httpc_read_all(r, 256u << 20, &body, &why);
	int status = httpc_status(r);
	int rc = EXIT_OK;
	json_t *doc = e ? NULL : json_loadb(body.data ? body.data : "", body.len, 0, NULL);
	if (e) {
		rc = http_unreachable(t, e, why);
	} else if (!doc) {
		cli_error(_("r1fs: the API answered %d with something that is not JSON"), status);
		rc = EXIT_FAIL;
	} else if (status != 200) {
		http_refused(status, doc);
		rc = EXIT_FAIL;
	} else {
		*result = json_incref(json_object_get(doc, "result"));
		if (!*result)
			*result = json_null();
	}
	json_decref(doc);
	buf_release(&body);
	r1_free(why);
	return rc;
}

static int http_call(const struct target *t, const char *method, const char *target,
                     const json_t *req, json_t **result)
{
	struct httpc_url url;
	int rc = http_open(t, &url);
	if (rc)
		return rc;
	char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	struct httpc_request hr = {
	    .method = method,
	    .target = target,
	    .content_type = text ? "application/json" : NULL,
	    .content_length = text ? strlen(text) : 0,
	    .data = text,
	    .timeout_ms = (int)t->timeout_ms,
	};
	struct httpc_response *r = NULL;
	char *why = NULL;
	enum r1_err e = httpc_send(&url, &hr, &r, &why);
	rc = e ? http_unreachable(t, e, why) : http_json_reply(t, r, result);
	httpc_response_free(&r);
	free(text);
	r1_free(why);
	httpc_url_release(&url);
	return rc;
}

/* The multipart body of /add_file, produced as it is sent: head, the file, tail. */
struct upload {
	struct buf head, tail;
	size_t head_at, tail_at;
	int fd;
	uint64_t size, sent;
	struct progress *p;
};

static enum r1_err upload_read(void *ctx, uint8_t *out, size_t cap, size_t *n, char **why)
{
	struct upload *u = ctx;
	*n = 0;
	if (u->head_at < u->head.len) {
		*n = R1_MIN(cap, u->head.len - u->head_at);
		memcpy(out, u->head.data + u->head_at, *n);
		u->head_at += *n;
		return R1_OK;
	}
	if (u->sent < u->size) {
		ssize_t k;
		do
			k = read(u->fd, out, (size_t)R1_MIN((uint64_t)cap, u->size - u->sent));
		while (k < 0 && errno == EINTR);
		if (k <= 0)
			return r1_fail(why, R1_ERR_IO, "r1fs add: reading the file: %s",
			               k < 0 ? strerror(errno) : "it shrank");
		u->sent += (uint64_t)k;
		*n = (size_t)k;
		progress_show(u->p, u->sent, u->size, false);
		return R1_OK;
	}
	*n = R1_MIN(cap, u->tail.len - u->tail_at);
	memcpy(out, u->tail.data + u->tail_at, *n);
	u->tail_at += *n;
	return R1_OK;
}

static int http_add(struct target *t, json_t **res)
{
	int fd = open(t->arg, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		cli_error(_("r1fs add: %s: %s"), t->arg,
		          fd < 0 ? strerror(errno) : _("not a regular file"));
		if (fd >= 0)
			close(fd);
		return EXIT_FAIL;
	}
	uint8_t rnd[12];
	random_bytes(rnd, sizeof(rnd));
	struct buf boundary = BUF_INIT, ctype = BUF_INIT;
	buf_adds(&boundary, "r1console-");
	buf_addhex(&boundary, rnd, sizeof(rnd));
	const char *slash = strrchr(t->arg, '/');
	json_t *meta = json_pack("{s:s}", "filename", slash ? slash + 1 : t->arg);
	if (t->f.secret)
		json_object_set_new(meta, "secret", json_string(t->f.secret));
	if (t->nonce != R1FS_NONCE_RANDOM)
		json_object_set_new(meta, "nonce", json_integer(t->nonce));
	char *meta_text = json_dumps(meta, JSON_COMPACT);
	json_decref(meta);
	struct progress p;
	progress_start(&p, _("uploading"));
	struct upload u = {BUF_INIT, BUF_INIT, 0, 0, fd, (uint64_t)st.st_size, 0, &p};
	/* the file part's name: quotes and line ends cannot appear in it */
	struct buf fname = BUF_INIT;
	for (const char *c = slash ? slash + 1 : t->arg; *c; c++)
		buf_addc(&fname, *c == '"' || *c == '\r' || *c == '\n' ? '_' : *c);
	buf_addf(&u.head,
	         "--%s\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n%s\r\n"
	         "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
	         "Content-Type: application/octet-stream\r\n\r\n",
	         buf_cstr(&boundary), meta_text ? meta_text : "{}", buf_cstr(&boundary),
	         buf_cstr(&fname));
	buf_addf(&u.tail, "\r\n--%s--\r\n", buf_cstr(&boundary));
	buf_addf(&ctype, "multipart/form-data; boundary=%s", buf_cstr(&boundary));
	free(meta_text);
	buf_release(&fname);
	struct httpc_url url;
	int rc = http_open(t, &url);
	if (!rc && (!buf_ok(&u.head) || !buf_ok(&u.tail) || !buf_ok(&ctype))) {
		cli_error(_("out of memory"));
		rc = EXIT_FAIL;
	}
	if (!rc) {
		struct httpc_request hr = {
		    .method = "POST",
		    .target = "/add_file",
		    .content_type = buf_cstr(&ctype),
		    .content_length = u.head.len + u.size + u.tail.len,
		    .body = upload_read,
		    .body_ctx = &u,
		    .timeout_ms = (int)t->timeout_ms,
		};
		struct httpc_response *r = NULL;
		char *why = NULL;
		enum r1_err e = httpc_send(&url, &hr, &r, &why);
		progress_end(&p);
		rc = e ? http_unreachable(t, e, why) : http_json_reply(t, r, res);
		httpc_response_free(&r);
		r1_free(why);
		httpc_url_release(&url);
	}
	close(fd);
	buf_release(&u.head);
	buf_release(&u.tail);
	buf_release(&boundary);
	buf_release(&ctype);
	return rc;
}

/* A name the node sent for a file we write: one plain path component, or NULL. */
static bool safe_name(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0 && strlen(name) < 256;
}

/* A request whose answer may take long to start (the node fetches from peers first). */
struct waiting {
	const struct httpc_url *url;
	const struct httpc_request *hr;
	struct httpc_response *r;
	enum r1_err e;
	char *why;
	int done; /* atomic */
};

static void *waiting_main(void *arg)
{
	struct waiting *w = arg;
	w->e = httpc_send(w->url, w->hr, &w->r, &w->why);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The node's fetch of `cid` from its peers, as its /transfers shows it. */
static void show_node_fetch(const struct target *t, const char *cid, struct progress *p)
{
	struct httpc_url url;
	if (http_open(t, &url))
		return;
	struct httpc_request hr = {.method = "GET", .target = "/transfers", .timeout_ms = 2000};
	struct httpc_response *r = NULL;
	struct buf body = BUF_INIT;
	if (httpc_send(&url, &hr, &r, NULL) == R1_OK && httpc_status(r) == 200 &&
	    httpc_read_all(r, 1u << 20, &body, NULL) == R1_OK) {
		json_t *doc = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
		size_t i;
		json_t *x;
		json_array_foreach(json_object_get(doc, "result"), i, x)
		{
			if (strcmp(str(x, "cid"), cid) == 0 &&
			    strcmp(str(x, "state"), "running") == 0) {
				progress_show(p, (uint64_t)num(x, "bytes_done"),
				              (uint64_t)num(x, "bytes_total"), false);
				break;
			}
		}
		json_decref(doc);
	}
	buf_release(&body);
	httpc_response_free(&r);
	httpc_url_release(&url);
}

/*
 * Send a GET whose headers come when the node has the whole file: on a
 * terminal, the node's fetch from its peers is shown meanwhile.
 */
static enum r1_err send_watching(const struct target *t, const struct httpc_url *url,
                                 const struct httpc_request *hr, const char *cid,
                                 struct httpc_response **r, char **why)
{
	struct progress p;
	progress_start(&p, _("the node fetches"));
	pthread_t th;
	struct waiting w = {.url = url, .hr = hr};
	if (!p.on || pthread_create(&th, NULL, waiting_main, &w) != 0)
		return httpc_send(url, hr, r, why);
	while (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE)) {
		usleep(300000);
		if (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE))
			show_node_fetch(t, cid, &p);
	}
	pthread_join(th, NULL);
	progress_end(&p);
	*r = w.r;
	if (w.e && why) {
		r1_free(*why);
		*why = w.why;
	} else {
		r1_free(w.why);
	}
	return w.e;
}

static int http_get(struct target *t, json_t **res)
{
	struct buf q = BUF_INIT;
	buf_adds(&q, "/get_file?cid=");
	pct_encode(&q, t->arg, strlen(t->arg));
	if (t->f.secret) {
		buf_adds(&q, "&secret=");
		pct_encode(&q, t->f.secret, strlen(t->f.secret));
	}
	struct httpc_url url;
	int rc = http_open(t, &url);
	if (rc) {
		buf_release(&q);
		return rc;
	}
	const char *dir = t->f.out ? t->f.out : ".";
	struct httpc_request hr = {
	    .method = "GET", .target = buf_cstr(&q), .timeout_ms = (int)t->timeout_ms};
	struct httpc_response *r = NULL;
	char *why = NULL;
	char root[R1FS_CID_TEXT_MAX + 1];
	snprintf(root, sizeof(root), "%.*s", (int)strcspn(t->arg, "/"), t->arg);
	enum r1_err e = send_watching(t, &url, &hr, root, &r, &why);
	if (e) {
		rc = http_unreachable(t, e, why);
		goto out;
	}
	if (httpc_status(r) != 200) {
		json_t *ignored = NULL;
		rc = http_json_reply(t, r, &ignored);
		json_decref(ignored);
		rc = rc ? rc : EXIT_FAIL;
		goto out;
	}
	const char *meta = httpc_header(r, "x-meta");
	json_t *m = meta ? json_loads(meta, 0, NULL) : NULL;
	const char *name = json_string_value(json_object_get(m, "filename"));
	struct buf tmp = BUF_INIT, final = BUF_INIT;
	buf_addf(&tmp, "%s/.r1fs-XXXXXX.part", dir);
	buf_addf(&final, "%s/%s", dir, safe_name(name) ? name : R1FS_DEFAULT_RESTORED_NAME);
	json_decref(m);
	int fd = buf_ok(&tmp) ? mkostemps(tmp.data, 5, O_CLOEXEC) : -1;
	if (fd < 0) {
		cli_error(_("r1fs get: cannot create a file in %s: %s"), dir, strerror(errno));
		rc = EXIT_FAIL;
	} else {
		const char *cl = httpc_header(r, "Content-Length");
		uint64_t total = cl ? strtoull(cl, NULL, 10) : 0, got = 0;
		struct progress p;
		progress_start(&p, _("downloading"));
		uint8_t *chunk = r1_malloc(IO_CHUNK);
		for (;;) {
			size_t n = 0;
			e = chunk ? httpc_read(r, chunk, IO_CHUNK, &n, &why)
			          : r1_fail(&why, R1_ERR_NOMEM, "out of memory");
			if (e || n == 0)
				break;
			if (write(fd, chunk, n) != (ssize_t)n) {
				e = r1_fail(&why, R1_ERR_IO, "r1fs get: writing: %s",
				            strerror(errno));
				break;
			}
			got += n;
			progress_show(&p, got, total, false);
		}
		progress_end(&p);
		r1_free(chunk);
		if (close(fd) != 0 && !e)
			e = r1_fail(&why, R1_ERR_IO, "r1fs get: %s", strerror(errno));
		if (!e && total && got != total)
			e = r1_fail(&why, R1_ERR_IO, "r1fs get: the download was cut short");
		if (!e && rename(tmp.data, final.data) != 0)
			e = r1_fail(&why, R1_ERR_IO, "r1fs get: rename to %s: %s", final.data,
			            strerror(errno));
		if (e) {
			unlink(tmp.data);
			rc = fail(e, why, _("r1fs get failed"));
		} else {
			*res = json_pack("{s:s,s:s}", "cid", t->arg, "path", final.data);
		}
	}
	buf_release(&tmp);
	buf_release(&final);
out:
	httpc_response_free(&r);
	httpc_url_release(&url);
	buf_release(&q);
	r1_free(why);
	return rc;
}

static int http_cat(struct target *t)
{
	struct buf q = BUF_INIT;
	buf_adds(&q, "/cat?cid=");
	pct_encode(&q, t->arg, strlen(t->arg));
	struct httpc_url url;
	int rc = http_open(t, &url);
	if (rc) {
		buf_release(&q);
		return rc;
	}
	struct httpc_request hr = {
	    .method = "GET", .target = buf_cstr(&q), .timeout_ms = (int)t->timeout_ms};
	struct httpc_response *r = NULL;
	char *why = NULL;
	enum r1_err e = httpc_send(&url, &hr, &r, &why);
	if (e) {
		rc = http_unreachable(t, e, why);
	} else if (httpc_status(r) != 200) {
		json_t *ignored = NULL;
		rc = http_json_reply(t, r, &ignored);
		json_decref(ignored);
		rc = rc ? rc : EXIT_FAIL;
	} else {
		uint8_t *chunk = r1_malloc(IO_CHUNK);
		for (;;) {
			size_t n = 0;
			e = chunk ? httpc_read(r, chunk, IO_CHUNK, &n, &why) : R1_ERR_NOMEM;
			if (e || n == 0 || fwrite(chunk, 1, n, stdout) != n)
				break;
		}
		r1_free(chunk);
		if (e || fflush(stdout) != 0)
			rc = fail(e ? e : R1_ERR_IO, why, _("r1fs cat failed"));
	}
	httpc_response_free(&r);
	httpc_url_release(&url);
	buf_release(&q);
	r1_free(why);
	return rc;
}

/* The HTTP route of an ops.h operation. */
static const struct {
	const char *op, *method, *path;
} op_routes[] = {
    {"pins", "GET", "/list_pins"}, {"store_stat", "GET", "/store_stat"},
    {"stat", "GET", "/stat"},      {"ls", "GET", "/ls"},
    {"pin", "POST", "/pin"},       {"unpin", "POST", "/unpin"},
    {"gc", "POST", "/gc"},
};

static int run_http(struct target *t)
{
	json_t *res = NULL;
	int rc = EXIT_OK;
	const char *op = t->cmd;
	if (strcmp(t->cmd, "add") == 0) {
		rc = http_add(t, &res);
	} else if (strcmp(t->cmd, "get") == 0) {
		rc = http_get(t, &res);
	} else if (strcmp(t->cmd, "cat") == 0) {
		return http_cat(t);
	} else if (strcmp(t->cmd, "id") == 0) {
		cli_error(_("r1fs id: only for an IPFS node (--ipfs-api URL)"));
		return EXIT_USAGE;
	} else {
		json_t *args = NULL;
		op = op_of(t, &args);
		size_t i = 0;
		while (i < R1_ARRAY_LEN(op_routes) && strcmp(op_routes[i].op, op) != 0)
			i++;
		struct buf target = BUF_INIT;
		buf_adds(&target, op_routes[i].path);
		bool get = strcmp(op_routes[i].method, "GET") == 0;
		if (get && t->arg) {
			buf_adds(&target, "?cid=");
			pct_encode(&target, t->arg, strlen(t->arg));
		}
		rc = buf_ok(&target) ? http_call(t, op_routes[i].method, buf_cstr(&target),
		                                 get ? NULL : args, &res)
		                     : EXIT_FAIL;
		buf_release(&target);
		json_decref(args);
	}
	if (!rc)
		print_result(t, op, res);
	json_decref(res);
	return rc;
}

/* ---- any node: over the network */

struct remote {
	struct target *t;
	struct netctx nc;
	char node[R1_ADDR_LEN + 1];
	char alias[64];
	char request_id[NETCTX_REQUEST_ID_SIZE];
	json_t *resp; /* the R1FS_RESP */
	/* the exchange, for add, get and cat: a store of our own, for this run */
	char *dir;
	sqlite3 *db;
	struct r1fs *fs;
	struct xchg *x;
	bool fetched;
	enum r1_err fetch_err;
	char *fetch_why;
	struct progress p;
};

static enum r1_err env_send(void *ctx, const char *peer, const json_t *data, bool encrypt,
                            char **why)
{
	struct remote *rm = ctx;
	return netctx_send_payload(&rm->nc, peer, SIG_R1FS_MANAGER, K_R1FS_DATA, data, encrypt,
	                           why);
}

static bool env_trusted(void *ctx, const char *addr)
{
	return addr_same(addr, ((struct remote *)ctx)->node);
}

static size_t env_candidates(void *ctx, const struct r1fs_cid *root, xchg_addr *out, size_t max)
{
	snprintf(out[0], sizeof(out[0]), "%s", ((struct remote *)ctx)->node);
	return 1;
}

static void on_payload(void *ctx, struct session *s, enum session_msg kind, const char *sender,
                       const json_t *msg)
{
	struct remote *rm = ctx;
	const json_t *data = json_object_get(msg, K_R1FS_DATA);
	struct xmsg m;
	if (kind != SESSION_MSG_PAYLOAD || !data || !sender || !addr_same(sender, rm->node) ||
	    xmsg_parse(data, &m, NULL) != R1_OK)
		return;
	if (m.op == XOP_RESP) {
		if (!rm->resp && strcmp(m.request_id, rm->request_id) == 0)
			rm->resp = json_incref((json_t *)data);
	} else if (rm->x) {
		xchg_receive(rm->x, sender, &m,
		             json_is_true(json_object_get(msg, K_EE_IS_ENCRYPTED)));
	}
}

static int remote_open(struct remote *rm, struct target *t)
{
	memset(rm, 0, sizeof(*rm));
	rm->t = t;
	const struct nm_node *n = NULL;
	int rc = netctx_open_node(&rm->nc, &t->g, NETCTX_NO_CACHE, t->f.node, 30000, &n);
	if (rc)
		return rc;
	snprintf(rm->node, sizeof(rm->node), "%s", n->info.addr);
	snprintf(rm->alias, sizeof(rm->alias), "%s", n->info.alias);
	session_set_observer(rm->nc.sess, on_payload, rm);
	return EXIT_OK;
}

/* The temporary store and the exchange (add, get, cat). */
static int remote_store(struct remote *rm)
{
	struct buf dir = BUF_INIT;
	const char *base = getenv("TMPDIR");
	buf_addf(&dir, "%s/r1fs-cli-XXXXXX", base && *base ? base : "/tmp");
	char *why = NULL;
	enum r1_err e = R1_OK;
	if (!buf_ok(&dir) || !mkdtemp(dir.data))
		e = r1_fail(&why, R1_ERR_IO, "a temporary directory: %s", strerror(errno));
	rm->dir = buf_detach(&dir, NULL);
	struct buf db = BUF_INIT;
	buf_addf(&db, "%s/node.db", rm->dir ? rm->dir : "");
	if (!e)
		e = db_open(buf_cstr(&db), &rm->db, &why);
	buf_release(&db);
	struct r1fs_options o = R1FS_OPTIONS_INIT;
	o.sync = R1FS_SYNC_NONE; /* a scratch store */
	if (!e)
		e = r1fs_open(rm->dir, rm->db, &o, &rm->fs, &why);
	struct xchg_config xc = {.addr = rm->nc.id.addr,
	                         .timeout_ms = rm->t->g.cfg.timeout_s > 0
	                                           ? (unsigned)(rm->t->g.cfg.timeout_s * 1000)
	                                           : 90000};
	struct xchg_env xe = {
	    .ctx = rm, .send = env_send, .trusted = env_trusted, .candidates = env_candidates};
	if (!e)
		e = xchg_new(rm->nc.loop, rm->fs, &xc, &xe, NULL, &rm->x, &why);
	if (e) {
		cli_error("%s", why ? why : _("cannot make a temporary store"));
		r1_free(why);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static void remote_close(struct remote *rm)
{
	session_set_observer(rm->nc.sess, NULL, NULL);
	xchg_free(&rm->x);
	r1fs_free(&rm->fs);
	db_close(&rm->db);
	if (rm->dir) {
		paths_remove_tree(rm->dir);
		r1_free(rm->dir);
	}
	json_decref(rm->resp);
	r1_free(rm->fetch_why);
	netctx_close(&rm->nc);
}

static bool answered(void *ctx)
{
	return ((struct remote *)ctx)->resp != NULL;
}

/* Send an R1FS_REQ and wait for its R1FS_RESP: *result on success. */
static int remote_req(struct remote *rm, const char *cmd, const json_t *args, unsigned wait_ms,
                      json_t **result)
{
	netctx_request_id(rm->request_id);
	json_t *req = xmsg_req(rm->request_id, cmd, args);
	char *why = NULL;
	enum r1_err e = req ? netctx_send_payload(&rm->nc, rm->node, SIG_R1FS_MANAGER, K_R1FS_DATA,
	                                          req, true, &why)
	                    : r1_fail(&why, R1_ERR_NOMEM, "out of memory");
	json_decref(req);
	if (e) {
		cli_error(_("r1fs: cannot send the request to %s: %s"), rm->alias, why ? why : "");
		r1_free(why);
		return EXIT_FAIL;
	}
	if (!netctx_run_until(&rm->nc, answered, rm, wait_ms)) {
		/* TRANSLATORS: %s is a node's alias */
		cli_error(_("r1fs: no answer from %s (is it online, and does it allow us?)"),
		          rm->alias);
		return EXIT_TIMEOUT;
	}
	struct xmsg m;
	xmsg_parse(rm->resp, &m, NULL);
	if (!m.ok) {
		cli_error(_("r1fs %s on %s: %s"), cmd, rm->alias, m.reason ? m.reason : "refused");
		return EXIT_FAIL;
	}
	*result = json_incref((json_t *)(m.result ? m.result : json_null()));
	return EXIT_OK;
}

static void on_fetched(void *ctx, enum r1_err err, const char *why)
{
	struct remote *rm = ctx;
	rm->fetched = true;
	rm->fetch_err = err;
	rm->fetch_why = why ? r1_strdup(why) : NULL;
}

/* Checked after every loop iteration: the fetch's progress, and whether it ended. */
static bool fetch_over(void *ctx)
{
	struct remote *rm = ctx;
	struct xchg_transfer tr;
	if (xchg_transfers(rm->x, &tr, 1) == 1)
		progress_show(&rm->p, tr.bytes_done, tr.bytes_total, false);
	return rm->fetched;
}

/* Fetch the DAG at the target CID from the node into the temporary store. */
static int remote_fetch(struct remote *rm)
{
	struct r1fs_cid root;
	char *why = NULL;
	const char *path = rm->t->arg;
	char first[R1FS_CID_TEXT_MAX + 1];
	size_t n = strcspn(strncmp(path, "/ipfs/", 6) == 0 ? path + 6 : path, "/");
	snprintf(first, sizeof(first), "%.*s", (int)R1_MIN(n, (size_t)R1FS_CID_TEXT_MAX),
	         strncmp(path, "/ipfs/", 6) == 0 ? path + 6 : path);
	if (r1fs_cid_parse(first, &root, &why) ||
	    xchg_fetch(rm->x, &root, rm->node, on_fetched, rm, NULL, &why)) {
		int rc = fail(R1_ERR_INVAL, why, _("bad CID"));
		r1_free(why);
		return rc;
	}
	progress_start(&rm->p, _("fetching"));
	netctx_run_until(&rm->nc, fetch_over, rm, UINT32_MAX);
	progress_end(&rm->p);
	if (rm->fetch_err)
		return fail(rm->fetch_err, rm->fetch_why, _("the fetch failed"));
	return EXIT_OK;
}

/* add: into our store, then the node fetches it from us and pins it. */
static int remote_add(struct remote *rm, json_t **res)
{
	int rc = store_add(rm->t, rm->fs, res);
	if (rc)
		return rc;
	json_t *args = json_pack("{s:s}", "cid", str(*res, "cid"));
	/*
	 * The name the file was sealed under, which the node cannot read: its
	 * pin's name there.  One the node would refuse (or not UTF-8) is left out.
	 */
	const char *slash = strrchr(rm->t->arg, '/');
	const char *name = slash ? slash + 1 : rm->t->arg;
	if (args && r1fs_pin_name_ok(name, strlen(name)))
		json_object_set_new(args, "name", json_string(name));
	json_t *ans = NULL;
	/* the node's fetch has its own timeout; this wait only ends a silent node */
	unsigned wait =
	    rm->t->g.cfg.timeout_s > 0 ? (unsigned)(rm->t->g.cfg.timeout_s * 1000) : 3600000u;
	rc = remote_req(rm, "fetch", args, wait, &ans);
	json_decref(args);
	json_decref(ans);
	if (rc) {
		json_decref(*res);
		*res = NULL;
	}
	return rc;
}

static int run_bus(struct target *t)
{
	if (strcmp(t->cmd, "id") == 0) {
		cli_error(_("r1fs id: only for an IPFS node (--ipfs-api URL)"));
		return EXIT_USAGE;
	}
	struct remote rm;
	int rc = remote_open(&rm, t);
	if (rc)
		return rc;
	bool data =
	    strcmp(t->cmd, "add") == 0 || strcmp(t->cmd, "get") == 0 || strcmp(t->cmd, "cat") == 0;
	json_t *res = NULL;
	const char *op = t->cmd;
	if (data && (rc = remote_store(&rm)))
		goto out;
	if (strcmp(t->cmd, "add") == 0) {
		rc = remote_add(&rm, &res);
	} else if (strcmp(t->cmd, "get") == 0) {
		if (!(rc = remote_fetch(&rm)))
			rc = store_get(t, rm.fs, &res);
	} else if (strcmp(t->cmd, "cat") == 0) {
		if (!(rc = remote_fetch(&rm)))
			rc = store_cat(t, rm.fs);
	} else {
		json_t *args = NULL;
		op = op_of(t, &args);
		rc = remote_req(
		    &rm, op, args,
		    t->g.cfg.timeout_s > 0 ? (unsigned)(t->g.cfg.timeout_s * 1000) : 60000u, &res);
		json_decref(args);
	}
	if (!rc && res)
		print_result(t, op, res);
out:
	json_decref(res);
	remote_close(&rm);
	return rc;
}

/* ---- subcommands */

static int run(int argc, char **argv, int takes)
{
	struct target t;
	int rc = parse(argc, argv, takes, &t);
	if (rc)
		return rc;
	switch (t.via) {
	case VIA_DIR:
	case VIA_IPFS:
		if (strcmp(t.cmd, "id") == 0 && t.via != VIA_IPFS) {
			cli_error(_("r1fs id: only for an IPFS node (--ipfs-api URL)"));
			return EXIT_USAGE;
		}
		return run_store(&t);
	case VIA_HTTP:
		return run_http(&t);
	case VIA_BUS:
		return run_bus(&t);
	}
	return EXIT_FAIL;
}

static int r1fs_add_cmd(int argc, char **argv)
{
	return run(argc, argv, 1);
}

static int r1fs_cid_arg_cmd(int argc, char **argv)
{
	return run(argc, argv, 1);
}

static int r1fs_no_arg_cmd(int argc, char **argv)
{
	return run(argc, argv, 0);
}

static int r1fs_stat_cmd(int argc, char **argv)
{
	return run(argc, argv, -1);
}

static int r1fs_cid_cmd(int argc, char **argv)
{
	struct target t;
	memset(&t, 0, sizeof(t));
	struct cli_args a;
	char *err = NULL;
	if (!cli_parse(argc, argv, flag_table, &t.f, &t.g, &a, &err) || a.n_pos != 1) {
		cli_error("%s", err ? err : _("usage: r1console r1fs cid FILE [--v1]"));
		r1_free(err);
		return EXIT_USAGE;
	}
	char cid[R1FS_CID_TEXT_MAX];
	char *why = NULL;
	if (r1fs_plain_cid(a.pos[0], t.f.v1 ? 1 : 0, cid, &why) != R1_OK) {
		int rc = fail(R1_ERR_IO, why, _("r1fs cid failed"));
		r1_free(why);
		return rc;
	}
	printf("%s\n", cid);
	return EXIT_OK;
}

#define WHERE "[--node-dir DIR | --ipfs-api URL | --port N | --node NODE]"

static const struct cmd_entry r1fs_subcommands[] = {
    {"cid", N_("r1fs cid FILE [--v1]"),
     N_("print the CID 'ipfs add --only-hash' gives FILE (--v1: CIDv1, raw leaves)"), r1fs_cid_cmd},
    {"add", N_("r1fs add FILE " WHERE " [--secret S] [--nonce N] [--v1] [--no-pin]"),
     N_("encrypt FILE, store it wrapped in a directory and print that directory's CID"),
     r1fs_add_cmd},
    {"get", N_("r1fs get CID " WHERE " [--secret S] [--out DIR] [--no-pin]"),
     N_("fetch, verify and decrypt a file under its original name; print its path"),
     r1fs_cid_arg_cmd},
    {"cat", N_("r1fs cat CID[/NAME...] " WHERE),
     N_("write a stored file's bytes (still encrypted) to stdout, as 'ipfs cat'"),
     r1fs_cid_arg_cmd},
    {"ls", N_("r1fs ls CID[/NAME...] " WHERE),
     N_("list a directory: CID, cumulative size and name of each entry"), r1fs_cid_arg_cmd},
    {"stat", N_("r1fs stat [CID] " WHERE),
     N_("a DAG's type, sizes and pin; without a CID, the store's use and quota"), r1fs_stat_cmd},
    {"pins", N_("r1fs pins " WHERE),
     N_("list the pinned CIDs with their size and, when known, the file's name"), r1fs_no_arg_cmd},
    {"pin", N_("r1fs pin CID " WHERE), N_("pin a DAG (fetching what the store lacks)"),
     r1fs_cid_arg_cmd},
    {"unpin", N_("r1fs unpin CID " WHERE), N_("remove a pin"), r1fs_cid_arg_cmd},
    {"gc", N_("r1fs gc " WHERE " [--grace S]"),
     N_("remove unpinned blocks older than the grace period (300 s)"), r1fs_no_arg_cmd},
    {"id", N_("r1fs id --ipfs-api URL"), N_("print the IPFS node's peer ID and agent"),
     r1fs_no_arg_cmd},
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
    {"r1fs", N_("r1fs cid|add|get|cat|ls|stat|pins|pin|unpin|gc|id ..."),
     N_("R1FS file store: CIDs, encrypted add and get, pins, on a node here or anywhere"),
     cmd_r1fs},
    {NULL, NULL, NULL, NULL},
};
