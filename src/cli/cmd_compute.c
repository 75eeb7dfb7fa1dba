/*
 * r1console compute: OpenBLAS jobs from the command line, here or on a node.
 *
 *   compute bench (NODE | --local) [--size N] [--reps N] [--threads N] [--json]
 *   compute matmul --local A.r1mx B.r1mx -o C.r1mx [--ta] [--tb] [--alpha X]
 *                  [--beta X --c C0.r1mx] [--dtype f32|f64] [--mem-limit BYTES]
 *   compute matmul NODE --a CID --b CID [--c CID --beta X] [...]
 *   compute matmul [NODE] --a CID --b CID --nodes N [--allow-self]
 *                  [--node-timeout S] [...]
 *   compute search --local --index E.r1mx --query Q.r1mx [-k 10] [--json]
 *   compute search NODE --index CID --query Q.r1mx [-k 10] [--json]
 *
 * --local runs one job through the same engine a node uses (compute.h) in
 * this process, on R1MX files (matrix.h).  With a NODE (address or alias,
 * on the configured network or the embedded one) the command deploys the
 * plugin (BLAS_BENCH_01, MATMUL_JOB_01, VECTOR_SEARCH_01) in a pipeline of
 * its own, waits for its answer payload (or the failure's reason), prints
 * it and closes the pipeline.  With --nodes N the product is a ChainDist
 * job: CHAIN_DIST_MASTER_01 is deployed on NODE (on the embedded network
 * by default its local node), splits the rows of A over N peered worker
 * nodes, and the command follows its progress payloads on stderr, then
 * prints the result's CID and where the time went.  This file is argv and
 * printing; the work and every refusal's reason are the engine's and the
 * plugins'.
 */
#include "cli/cli.h"
#include "cli/args.h"
#include "cli/netctx.h"
#include "core/clock.h"
#include "core/loop.h"
#include "core/pipespec.h"
#include "core/proto.h"
#include "core/session.h"
#include "node/compute/compute.h"
#include "node/compute/mxjson.h"
#include "node/node.h"
#include "core/netmap.h"
#include "core/hash.h"

#include <jansson.h>
#include <math.h>

struct opts {
	bool local, json, ta, tb, allow_self;
	long nodes;          /* ChainDist workers; 0 = one node's MATMUL_JOB_01 */
	double node_timeout; /* ChainDist NODE_TIMEOUT in seconds; 0 = the master's default */
	const char *a, *b, *c0, *out, *index, *query, *node;
	size_t size;
	unsigned reps;
	int threads;
	long k;
	double alpha, beta;
	bool have_beta;
	enum mx_dtype dtype;
	bool have_dtype;
	uint64_t mem_limit;
	struct cli_global g;
};

/* The flags as cli_parse reads them; checked into struct opts by parse(). */
struct raw_opts {
	bool local, ta, tb, allow_self;
	const char *a, *b, *c, *out, *index, *query, *alpha, *beta, *dtype, *mem_limit;
	const char *node_timeout;
	long long size, reps, threads, k, nodes;
};

static const struct cli_flag compute_flags[] = {
    {"local", CLI_BOOL, offsetof(struct raw_opts, local)},
    {"ta", CLI_BOOL, offsetof(struct raw_opts, ta)},
    {"tb", CLI_BOOL, offsetof(struct raw_opts, tb)},
    {"a", CLI_STR, offsetof(struct raw_opts, a)},
    {"b", CLI_STR, offsetof(struct raw_opts, b)},
    {"c", CLI_STR, offsetof(struct raw_opts, c)},
    {"out", CLI_STR, offsetof(struct raw_opts, out)},
    {"index", CLI_STR, offsetof(struct raw_opts, index)},
    {"query", CLI_STR, offsetof(struct raw_opts, query)},
    {"alpha", CLI_STR, offsetof(struct raw_opts, alpha)},
    {"beta", CLI_STR, offsetof(struct raw_opts, beta)},
    {"dtype", CLI_STR, offsetof(struct raw_opts, dtype)},
    {"mem-limit", CLI_STR, offsetof(struct raw_opts, mem_limit)},
    {"size", CLI_INT, offsetof(struct raw_opts, size)},
    {"reps", CLI_INT, offsetof(struct raw_opts, reps)},
    {"threads", CLI_INT, offsetof(struct raw_opts, threads)},
    {"k", CLI_INT, offsetof(struct raw_opts, k)},
    {"nodes", CLI_INT, offsetof(struct raw_opts, nodes)},
    {"allow-self", CLI_BOOL, offsetof(struct raw_opts, allow_self)},
    {"node-timeout", CLI_STR, offsetof(struct raw_opts, node_timeout)},
    CLI_FLAGS_END,
};

/* "1048576", "512K", "64M", "2G" (powers of 1024). */
static bool parse_bytes(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return false;
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	else if (*end)
		return false;
	if (shift && end[1])
		return false;
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return *out > 0;
}

static bool parse_real(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

static bool in_range(long long v, long long lo, long long hi)
{
	return v >= lo && v <= hi;
}

/*
 * Flags (the compute ones and the global ones: --broker, --timeout, --json,
 * ...); -k and -o are accepted as --k and --out.  Positional arguments:
 * A and B of a local matmul, or the NODE of the networked forms.
 */
static int parse(const struct cmd_entry *e, int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = 2048;
	o->reps = 3;
	o->k = 10;
	o->alpha = 1.0;
	char **args = r1_calloc((size_t)argc + 1, sizeof(char *));
	if (!args) {
		cli_error(_("out of memory"));
		return EXIT_FAIL;
	}
	for (int i = 0; i < argc; i++)
		args[i] = strcmp(argv[i], "-k") == 0   ? (char *)"--k"
		          : strcmp(argv[i], "-o") == 0 ? (char *)"--out"
		                                       : argv[i];
	struct raw_opts r = {.size = -1, .reps = -1, .threads = -1, .k = -1, .nodes = -1};
	struct cli_args a;
	char *err = NULL;
	bool good = cli_parse(argc, args, compute_flags, &r, &o->g, &a, &err);
	r1_free(args);
	if (!good) {
		cli_error("%s", err ? err : _("bad arguments"));
		r1_free(err);
		cli_usage(e, stderr);
		return EXIT_USAGE;
	}
	o->local = r.local;
	o->json = o->g.json;
	o->ta = r.ta;
	o->tb = r.tb;
	o->a = r.a;
	o->b = r.b;
	o->c0 = r.c;
	o->out = r.out;
	o->index = r.index;
	o->query = r.query;
	if (r.size != -1 && !in_range(r.size, 16, 16384)) {
		cli_error(_("--size: a number from 16 to 16384"));
		return EXIT_USAGE;
	}
	if (r.reps != -1 && !in_range(r.reps, 1, 100)) {
		cli_error(_("--reps: a number from 1 to 100"));
		return EXIT_USAGE;
	}
	if (r.threads != -1 && !in_range(r.threads, 0, 1024)) {
		cli_error(_("--threads: a number from 0 (automatic) to 1024"));
		return EXIT_USAGE;
	}
	if (r.k != -1 && !in_range(r.k, 1, 100000)) {
		cli_error(_("-k: a number from 1 to 100000"));
		return EXIT_USAGE;
	}
	if (r.nodes != -1 && !in_range(r.nodes, 1, 64)) {
		cli_error(_("--nodes: a number from 1 to 64"));
		return EXIT_USAGE;
	}
	o->nodes = r.nodes == -1 ? 0 : (long)r.nodes;
	if (r.node_timeout &&
	    (!parse_real(r.node_timeout, &o->node_timeout) || o->node_timeout <= 0)) {
		cli_error(_("--node-timeout: seconds, above 0"));
		return EXIT_USAGE;
	}
	o->allow_self = r.allow_self;
	if (r.size != -1)
		o->size = (size_t)r.size;
	if (r.reps != -1)
		o->reps = (unsigned)r.reps;
	if (r.threads != -1)
		o->threads = (int)r.threads;
	if (r.k != -1)
		o->k = (long)r.k;
	if ((r.alpha && !parse_real(r.alpha, &o->alpha)) ||
	    (r.beta && !parse_real(r.beta, &o->beta))) {
		cli_error(_("--alpha and --beta: finite numbers"));
		return EXIT_USAGE;
	}
	o->have_beta = r.beta != NULL;
	if (r.dtype && !mx_dtype_parse(r.dtype, &o->dtype)) {
		cli_error(_("--dtype: f32 or f64"));
		return EXIT_USAGE;
	}
	o->have_dtype = r.dtype != NULL;
	if (r.mem_limit && !parse_bytes(r.mem_limit, &o->mem_limit)) {
		cli_error(_("--mem-limit: bytes, optionally with K, M or G"));
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < a.n_pos; i++) {
		const char **slot = o->local ? (!o->a   ? &o->a
		                                : !o->b ? &o->b
		                                        : NULL)
		                             : (!o->node ? &o->node : NULL);
		if (!slot) {
			cli_error(_("unexpected argument '%s'"), a.pos[i]);
			cli_usage(e, stderr);
			return EXIT_USAGE;
		}
		*slot = a.pos[i];
	}
	if (o->nodes && o->local) {
		cli_error(
		    _("--nodes splits a product over the network; it cannot go with --local"));
		return EXIT_USAGE;
	}
	if (!o->local && !o->node && !o->nodes) {
		cli_error(_("name a NODE, or give --local to run here"));
		cli_usage(e, stderr);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static struct compute *engine(const struct opts *o)
{
	struct compute_config cfg;
	compute_config_defaults(&cfg);
	cfg.threads = o->threads;
	cfg.job_mem_limit = o->mem_limit;
	struct compute *c = NULL;
	char *why = NULL;
	if (compute_new(&cfg, NULL, NULL, &c, &why) != R1_OK) {
		cli_error("%s", why ? why : _("out of memory"));
		r1_free(why);
	}
	return c;
}

/* What a done callback leaves for the command. */
struct outcome {
	struct compute_result r; /* copy of the figures; pointers taken below */
	char why[512];
	struct matrix c;
	struct vindex *index;
	struct vsearch_hit *hits;
};

static void on_done(void *ctx, struct compute_result *res)
{
	struct outcome *o = ctx;
	o->r = *res;
	o->r.why = NULL;
	o->r.c = (struct matrix){0};
	o->r.index = NULL;
	o->r.hits = NULL;
	snprintf(o->why, sizeof(o->why), "%s", res->why ? res->why : "");
	matrix_move(&o->c, &res->c);
	o->index = res->index;
	res->index = NULL;
	o->hits = res->hits;
	res->hits = NULL;
}

static int failed(const char *what, enum r1_err err, const char *why)
{
	cli_error(_("%s failed: %s"), what, why && why[0] ? why : r1_strerror(err));
	return EXIT_FAIL;
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
	if (s) {
		puts(s);
		free(s);
	}
	json_decref(j);
}

static int load(const char *path, uint64_t cap, struct matrix *m);

/* ---- the networked forms: a pipeline on NODE, its answer in a payload */

struct remote {
	struct netctx nc;
	bool open;
	const struct nm_node *node;
	char addr[R1_ADDR_LEN + 1];
	const char *pipeline, *signature, *instance;
	const char *match; /* a payload key that is the answer */
	json_t *answer;    /* that payload, or {"ERROR": ...} */
	bool deployed, deploy_failed;
	char why[300];
	struct pipespec *spec;
	/* told of the instance's payloads before the answer (progress); may be NULL */
	void (*progress)(struct remote *r, const json_t *msg);
	int64_t started_ms;
};

static const char *path_at(const json_t *msg, size_t i)
{
	return json_string_value(json_array_get(json_object_get(msg, K_EE_PAYLOAD_PATH), i));
}

static void on_remote(void *ctx, struct session *s, enum session_msg kind, const char *sender,
                      const json_t *msg)
{
	struct remote *r = ctx;
	(void)s;
	const char *pipe = path_at(msg, 1), *inst = path_at(msg, 3);
	if (r->answer || strcmp(sender, r->addr) != 0 || !pipe || strcmp(pipe, r->pipeline) != 0)
		return;
	if (kind == SESSION_MSG_PAYLOAD && inst && strcmp(inst, r->instance) == 0) {
		const char *state = json_string_value(json_object_get(msg, "JOB_STATE"));
		if (json_object_get(msg, r->match) || json_object_get(msg, "ERROR") ||
		    (state && strcmp(state, "RUNNING") != 0))
			r->answer = json_deep_copy(msg);
		else if (r->progress)
			r->progress(r, msg);
	} else if (kind == SESSION_MSG_NOTIFICATION) {
		const char *type = json_string_value(json_object_get(msg, K_NOTIFICATION_TYPE));
		int code = (int)json_integer_value(json_object_get(msg, K_NOTIFICATION_CODE));
		const char *info = json_string_value(json_object_get(msg, K_INFO));
		const char *text = json_string_value(json_object_get(msg, K_NOTIFICATION));
		if ((type && strcmp(type, NOTIF_TYPE_EXCEPTION) == 0) || code < 0)
			r->answer = json_pack("{s:s}", "ERROR",
			                      info && *info ? info
			                      : text        ? text
			                                    : "failed");
	}
}

static void on_deployed(void *ctx, struct session *s, const struct txn *t)
{
	struct remote *r = ctx;
	(void)s;
	r->deployed = true;
	if (t->state != TXN_OK) {
		r->deploy_failed = true;
		snprintf(r->why, sizeof(r->why), "%s", t->reason ? t->reason : "not confirmed");
	}
}

static bool remote_settled(void *ctx)
{
	struct remote *r = ctx;
	return r->answer || r->deploy_failed;
}

/*
 * Deploy `signature` as instance `instance` of pipeline `pipeline` on the
 * NODE of the options, with `config`, and run until its answer (a payload
 * with `match`, or a failure).  EXIT_OK with r->answer set; otherwise
 * prints why.
 */
static int remote_run(struct remote *r, const struct opts *o, const char *pipeline,
                      const char *signature, const char *instance, json_t *config,
                      const char *match, uint32_t extra_ms)
{
	r->pipeline = pipeline;
	r->signature = signature;
	r->instance = instance;
	r->match = match;
	int rc = netctx_open(&r->nc, &o->g, NETCTX_NO_CACHE);
	if (rc)
		return rc;
	r->open = true;
	r->started_ms = r1_wall_ms();
	const char *name = o->node;
	if (!name && r->nc.local)
		name = node_alias(r->nc.nodes[NETCTX_LOCAL_NODES - 1]);
	if (!name) {
		cli_error(_("name the NODE that runs it (on the embedded network, its local node "
		            "is the default)"));
		return EXIT_USAGE;
	}
	if ((rc = netctx_wait_node(&r->nc, name, r->nc.env.set.timeout_ms, &r->node)))
		return rc;
	snprintf(r->addr, sizeof(r->addr), "%s", r->node->info.addr);
	char *why = NULL;
	json_t *pcfg = json_pack("{s:s}", K_TYPE, "Void");
	if (pipespec_new(r->addr, pipeline, pcfg, &r->spec, &why) ||
	    pipespec_add_instance(r->spec, signature, instance, config, &why)) {
		json_decref(pcfg);
		cli_error("%s", why ? why : _("out of memory"));
		r1_free(why);
		return EXIT_FAIL;
	}
	json_decref(pcfg);
	session_set_observer(r->nc.sess, on_remote, r);
	struct session_call call = {.done = on_deployed, .ctx = r};
	if (session_deploy(r->nc.sess, r->spec, &call, NULL, &why)) {
		cli_error(_("cannot send the deploy to %s: %s"), name, why ? why : "");
		r1_free(why);
		return EXIT_FAIL;
	}
	uint32_t wait = r->nc.env.set.timeout_ms + extra_ms;
	if (!netctx_run_until(&r->nc, remote_settled, r, wait)) {
		cli_error(_("%s: no answer from %s within %u s"), signature, name, wait / 1000);
		return EXIT_TIMEOUT;
	}
	if (r->deploy_failed) {
		cli_error(_("%s: the deploy failed: %s"), name, r->why);
		return EXIT_FAIL;
	}
	const char *err = json_string_value(json_object_get(r->answer, "ERROR"));
	if (err) {
		cli_error(_("%s on %s failed: %s"), signature, name, err);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static bool remote_closed(void *ctx)
{
	return *(bool *)ctx;
}

static void on_closed(void *ctx, struct session *s, const struct txn *t)
{
	(void)s;
	(void)t;
	*(bool *)ctx = true;
}

/* Close the pipeline (the answer is in), forget everything. */
static void remote_close(struct remote *r)
{
	if (r->open && r->node && r->spec) {
		bool closed = false;
		struct session_call call = {.done = on_closed, .ctx = &closed, .timeout_ms = 5000};
		if (session_close_pipeline(r->nc.sess, r->addr, r->pipeline, &call, NULL, NULL) ==
		    R1_OK)
			netctx_run_until(&r->nc, remote_closed, &closed, 6000);
	}
	if (r->open)
		session_set_observer(r->nc.sess, NULL, NULL);
	pipespec_free(&r->spec);
	json_decref(r->answer);
	r->answer = NULL;
	if (r->open)
		netctx_close(&r->nc);
	r->open = false;
}

static double jreal(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static int bench_remote(const struct opts *o)
{
	struct remote r = {0};
	json_t *cfg = json_pack("{s:I,s:i,s:b}", "BENCH_SIZE", (json_int_t)o->size, "BENCH_REPS",
	                        (int)o->reps, "RUN_AT_START", 1);
	/* A generous wait: 4 products of each precision at a slow 1 GFLOP/s. */
	double flops = 2.0 * (double)o->size * (double)o->size * (double)o->size;
	uint32_t extra = (uint32_t)R1_MIN(600000.0, 8.0 * (o->reps + 1) * flops / 1e9 * 1000.0);
	int rc =
	    remote_run(&r, o, "compute_bench", "BLAS_BENCH_01", "bench", cfg, "GFLOPS_F64", extra);
	json_decref(cfg);
	if (rc == EXIT_OK) {
		json_t *a = r.answer;
		const char *alias = r.node->info.alias[0] ? r.node->info.alias : o->node;
		if (o->json) {
			json_t *j =
			    json_pack("{s:s,s:s,s:O?,s:O?,s:O?,s:O?,s:O?,s:O?,s:O?,s:O?}", "NODE",
			              alias, "ADDRESS", r.addr, "N", json_object_get(a, "N"),
			              "REPS", json_object_get(a, "REPS"), "GFLOPS_F64",
			              json_object_get(a, "GFLOPS_F64"), "GFLOPS_F32",
			              json_object_get(a, "GFLOPS_F32"), "OPENBLAS_CORE",
			              json_object_get(a, "OPENBLAS_CORE"), "OPENBLAS_CORETYPE",
			              json_object_get(a, "OPENBLAS_CORETYPE"), "BLAS_THREADS",
			              json_object_get(a, "BLAS_THREADS"), "CPU_CORES",
			              json_object_get(a, "CPU_CORES"));
			print_json(j);
		} else {
			const char *ct = json_string_value(json_object_get(a, "OPENBLAS_CORETYPE"));
			int threads = (int)json_integer_value(json_object_get(a, "BLAS_THREADS"));
			printf(_("%s: OpenBLAS core %s (OPENBLAS_CORETYPE=%s), %d cores, "), alias,
			       json_string_value(json_object_get(a, "OPENBLAS_CORE")),
			       ct ? ct : _("unset"),
			       (int)json_integer_value(json_object_get(a, "CPU_CORES")));
			printf(ngettext("%d BLAS thread\n", "%d BLAS threads\n",
			                (unsigned long)threads),
			       threads);
			printf(_("dgemm n=%zu: %.2f GFLOP/s\n"), o->size, jreal(a, "GFLOPS_F64"));
			printf(_("sgemm n=%zu: %.2f GFLOP/s\n"), o->size, jreal(a, "GFLOPS_F32"));
		}
	}
	remote_close(&r);
	return rc;
}

/* A worker's alias when the netmap knows it, else its address. */
static const char *who(struct remote *r, const char *addr)
{
	const struct nm_node *n = addr ? netmap_find_addr(r->nc.nm, addr) : NULL;
	return n && n->info.alias[0] ? n->info.alias : addr ? addr : "-";
}

/* One line per progress payload of the master, on stderr. */
static void print_progress(struct remote *r, const json_t *msg)
{
	double t = (double)(r1_wall_ms() - r->started_ms) / 1000.0;
	fprintf(stderr, "[%7.1f s] %s %5.1f%%", t, json_string_value(json_object_get(msg, "STATE")),
	        json_number_value(json_object_get(msg, "PROGRESS")));
	const json_t *w = json_object_get(msg, "WAITING_FOR_NODES");
	if (w)
		fprintf(stderr, _(" waiting for workers: %d of %d known"),
		        (int)json_integer_value(json_object_get(w, "KNOWN")),
		        (int)json_integer_value(json_object_get(w, "WANTED")));
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(msg, "PARTS"), i, p)
	{
		fprintf(stderr, "%s %d:%s", i ? "," : " ",
		        (int)json_integer_value(json_object_get(p, "PART")),
		        json_string_value(json_object_get(p, "STATE")));
		const char *node = json_string_value(json_object_get(p, "NODE"));
		if (node)
			fprintf(stderr, "@%s %.0f%%", who(r, node),
			        json_number_value(json_object_get(p, "PROGRESS")));
	}
	fputc('\n', stderr);
}

/* compute matmul --nodes N: a ChainDist job mastered by NODE. */
static int matmul_chaindist(const struct opts *o)
{
	if (o->have_beta && o->beta != 0) {
		cli_error(_("--beta is not supported with --nodes"));
		return EXIT_USAGE;
	}
	uint8_t rnd[4];
	random_bytes(rnd, sizeof(rnd));
	char job[32], pipeline[48];
	snprintf(job, sizeof(job), "cli-%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	snprintf(pipeline, sizeof(pipeline), "chaindist_%s", job + 4);
	json_t *cfg = json_pack(
	    "{s:s,s:s,s:s,s:b,s:b,s:f,s:s,s:i,s:b,s:f,s:f}", "JOB_ID", job, "A_CID", o->a, "B_CID",
	    o->b, "TRANS_A", o->ta, "TRANS_B", o->tb, "ALPHA", o->alpha, "DTYPE",
	    mx_dtype_name(o->have_dtype ? o->dtype : MX_F64), "NR_REMOTE_NODES", (int)o->nodes,
	    "ALLOW_SELF", o->allow_self, "PING_SEND_PERIOD_MIN", 1.0, K_PROCESS_DELAY, 0.5);
	if (o->mem_limit)
		json_object_set_new(
		    cfg, "MAX_MEMORY_MB",
		    json_integer((json_int_t)((o->mem_limit + (1 << 20) - 1) >> 20)));
	if (o->node_timeout > 0)
		json_object_set_new(cfg, "NODE_TIMEOUT", json_real(o->node_timeout));
	struct remote r = {.progress = print_progress};
	/* the master's own timeouts end a stuck job; this is only a last resort */
	int rc = remote_run(&r, o, pipeline, "CHAIN_DIST_MASTER_01", "master", cfg, "SUCCESS",
	                    24u * 3600u * 1000u);
	json_decref(cfg);
	if (rc == EXIT_OK && !json_is_true(json_object_get(r.answer, "SUCCESS"))) {
		cli_error(_("the ChainDist job failed: %s"),
		          json_string_value(json_object_get(r.answer, "ERROR")));
		rc = EXIT_FAIL;
	}
	if (rc == EXIT_OK) {
		const json_t *data = json_object_get(r.answer, "DATA");
		const json_t *tm = json_object_get(r.answer, "TIMINGS");
		if (o->json) {
			print_json(json_pack("{s:O?,s:O?,s:O?,s:O?,s:O?,s:O?}", "RESULT_CID",
			                     json_object_get(data, "RESULT"), "ROWS",
			                     json_object_get(data, "ROWS"), "COLS",
			                     json_object_get(data, "COLS"), "DTYPE",
			                     json_object_get(data, "DTYPE"), "PART_RESULTS",
			                     json_object_get(data, "PART_RESULTS"), "TIMINGS", tm));
		} else {
			const json_t *parts = json_object_get(r.answer, "PARTS");
			size_t np = json_array_size(parts);
			printf(ngettext("%s: %d x %d %s in %zu part in %.3f s\n",
			                "%s: %d x %d %s in %zu parts in %.3f s\n",
			                (unsigned long)np),
			       json_string_value(json_object_get(data, "RESULT")),
			       (int)json_integer_value(json_object_get(data, "ROWS")),
			       (int)json_integer_value(json_object_get(data, "COLS")),
			       json_string_value(json_object_get(data, "DTYPE")), np,
			       jreal(tm, "TOTAL_SECONDS"));
			printf(_("  load %.3f s, wait for workers %.3f s, split %.3f s, distribute "
			         "%.3f "
			         "s, assemble %.3f s\n"),
			       jreal(tm, "LOAD_SECONDS"), jreal(tm, "WAIT_NODES_SECONDS"),
			       jreal(tm, "SPLIT_SECONDS"), jreal(tm, "DISTRIBUTE_SECONDS"),
			       jreal(tm, "AGGREGATE_SECONDS"));
			size_t i;
			json_t *p;
			json_array_foreach(json_object_get(tm, "PARTS"), i, p)
			{
				const json_t *pp = json_array_get(parts, i);
				printf(_("  part %d: rows %d+%d on %s (attempt %d): kernel %.3f s "
				         "(%.2f GFLOP/s), R1FS %.3f s\n"),
				       (int)json_integer_value(json_object_get(p, "PART")),
				       (int)json_integer_value(json_object_get(pp, "ROW0")),
				       (int)json_integer_value(json_object_get(p, "ROWS")),
				       who(&r, json_string_value(json_object_get(p, "NODE"))),
				       (int)json_integer_value(json_object_get(pp, "ATTEMPT")),
				       jreal(p, "KERNEL_SECONDS"), jreal(p, "GFLOPS"),
				       jreal(p, "R1FS_SECONDS"));
			}
		}
	}
	remote_close(&r);
	return rc;
}

static int matmul_remote(const struct opts *o)
{
	if (!o->a || !o->b) {
		cli_error(_("matmul NODE needs --a CID and --b CID"));
		return EXIT_USAGE;
	}
	if (o->nodes)
		return matmul_chaindist(o);
	if (o->have_beta && o->beta != 0 && !o->c0) {
		cli_error(_("--beta needs --c CID"));
		return EXIT_USAGE;
	}
	json_t *cfg = json_pack("{s:s,s:s,s:s?,s:b,s:b,s:f,s:f,s:s,s:s}", "A_CID", o->a, "B_CID",
	                        o->b, "C_CID", o->c0, "TRANS_A", o->ta, "TRANS_B", o->tb, "ALPHA",
	                        o->alpha, "BETA", o->beta, "DTYPE",
	                        mx_dtype_name(o->have_dtype ? o->dtype : MX_F64), "RESULT", "r1fs");
	if (o->mem_limit)
		json_object_set_new(
		    cfg, "MAX_MEMORY_MB",
		    json_integer((json_int_t)((o->mem_limit + (1 << 20) - 1) >> 20)));
	struct remote r = {0};
	int rc = remote_run(&r, o, "compute_matmul", "MATMUL_JOB_01", "matmul", cfg, "RESULT_CID",
	                    600000);
	json_decref(cfg);
	if (rc == EXIT_OK) {
		json_t *a = r.answer;
		if (o->json)
			print_json(json_pack(
			    "{s:O?,s:O?,s:O?,s:O?,s:O?,s:O?,s:O?}", "RESULT_CID",
			    json_object_get(a, "RESULT_CID"), "ROWS", json_object_get(a, "ROWS"),
			    "COLS", json_object_get(a, "COLS"), "DTYPE",
			    json_object_get(a, "DTYPE"), "SECONDS", json_object_get(a, "SECONDS"),
			    "GFLOPS", json_object_get(a, "GFLOPS"), "R1FS_SECONDS",
			    json_object_get(a, "R1FS_SECONDS")));
		else
			printf(_("%s: %d x %d %s in %.3f s (%.2f GFLOP/s; R1FS %.3f s)\n"),
			       json_string_value(json_object_get(a, "RESULT_CID")),
			       (int)json_integer_value(json_object_get(a, "ROWS")),
			       (int)json_integer_value(json_object_get(a, "COLS")),
			       json_string_value(json_object_get(a, "DTYPE")), jreal(a, "SECONDS"),
			       jreal(a, "GFLOPS"), jreal(a, "R1FS_SECONDS"));
	}
	remote_close(&r);
	return rc;
}

static bool search_answered(void *ctx)
{
	struct remote *r = ctx;
	return r->answer != NULL;
}

static int search_remote(const struct opts *o)
{
	if (!o->index || !o->query) {
		cli_error(_("search NODE needs --index CID and --query FILE"));
		return EXIT_USAGE;
	}
	struct matrix q = {0};
	int rc = load(o->query, 64u << 20, &q);
	if (rc)
		return rc;
	json_t *rows = mxjson_rows(&q);
	matrix_release(&q);
	json_t *cfg = json_pack("{s:s,s:i}", "INDEX_CID", o->index, "K", (int)o->k);
	struct remote r = {0};
	rc = remote_run(&r, o, "compute_search", "VECTOR_SEARCH_01", "search", cfg, "INDEX_STATE",
	                120000);
	json_decref(cfg);
	if (rc == EXIT_OK) {
		json_decref(r.answer);
		r.answer = NULL;
		r.match = "RESULTS";
		char *why = NULL;
		json_t *params =
		    json_pack("{s:O,s:i,s:s}", "QUERY", rows, "K", (int)o->k, "REQUEST_ID", "cli");
		if (session_instance_command(r.nc.sess, r.addr, r.pipeline, r.signature, r.instance,
		                             "SEARCH", NULL, NULL, params, NULL, NULL, &why)) {
			cli_error("%s", why ? why : _("cannot send the search"));
			rc = EXIT_FAIL;
		} else if (!netctx_run_until(&r.nc, search_answered, &r,
		                             r.nc.env.set.timeout_ms + 60000)) {
			cli_error(_("search: no answer from %s"), o->node);
			rc = EXIT_TIMEOUT;
		} else if (json_object_get(r.answer, "ERROR")) {
			cli_error(_("search on %s failed: %s"), o->node,
			          json_string_value(json_object_get(r.answer, "ERROR")));
			rc = EXIT_FAIL;
		} else if (o->json) {
			print_json(json_incref(json_object_get(r.answer, "RESULTS")));
		} else {
			json_t *res = json_object_get(r.answer, "RESULTS"), *list;
			size_t qi;
			json_array_foreach(res, qi, list)
			{
				printf(_("query %zu:"), qi);
				size_t j;
				json_t *h;
				json_array_foreach(list, j, h)
				    printf(" %" JSON_INTEGER_FORMAT " (%.4f)",
				           json_integer_value(json_object_get(h, "ROW")),
				           json_number_value(json_object_get(h, "SCORE")) + 0.0);
				putchar('\n');
			}
		}
		json_decref(params);
		r1_free(why);
	}
	json_decref(rows);
	remote_close(&r);
	return rc;
}

static int bench_cmd(int argc, char **argv);
static int matmul_cmd(int argc, char **argv);
static int search_cmd(int argc, char **argv);

static const struct cmd_entry compute_subcommands[] = {
    {"bench", N_("compute bench (NODE|--local) [--size N] [--reps N] [--threads N] [--json]"),
     N_("dgemm and sgemm GFLOP/s (n=2048) of a node or this machine, with the OpenBLAS core "
        "type"),
     bench_cmd},
    {"matmul",
     N_("compute matmul (--local A.r1mx B.r1mx -o C.r1mx | NODE --a CID --b CID | [NODE] --a "
        "CID --b CID --nodes N [--allow-self] [--node-timeout S]) [--ta] [--tb] [--alpha X] "
        "[--beta X --c C0] "
        "[--dtype f32|f64] [--mem-limit BYTES]"),
     N_("C = alpha op(A) op(B) + beta C0 on R1MX files here, on R1FS CIDs on a node, or split "
        "over N nodes (ChainDist, mastered by NODE)"),
     matmul_cmd},
    {"search",
     N_("compute search (--local --index E.r1mx | NODE --index CID) --query Q.r1mx [-k 10] "
        "[--json] [--mem-limit BYTES]"),
     N_("top-k cosine similarity of each query row against the index rows"), search_cmd},
    {NULL, NULL, NULL, NULL},
};

static int bench_cmd(int argc, char **argv)
{
	struct opts o;
	int rc = parse(&compute_subcommands[0], argc, argv, &o);
	if (rc)
		return rc;
	if (!o.local)
		return bench_remote(&o);
	struct compute *c = engine(&o);
	if (!c)
		return EXIT_FAIL;
	struct outcome out = {0};
	char *why = NULL;
	struct compute_meta meta = {.owner = "cli"};
	enum r1_err err =
	    compute_submit_bench(c, &meta, o.size, o.reps, true, true, on_done, &out, NULL, &why);
	if (err || out.r.state != COMPUTE_DONE) {
		rc = failed("bench", err ? err : out.r.err, err ? why : out.why);
		goto done;
	}
	const struct blas_info *bi = compute_blas(c);
	const struct compute_bench *b = &out.r.bench;
	if (o.json) {
		json_t *j = blas_info_json(bi, b->threads);
		json_object_set_new(j, "NODE", json_string("local"));
		json_object_set_new(j, "N", json_integer((json_int_t)b->n));
		json_object_set_new(j, "REPS", json_integer(b->reps));
		json_object_set_new(j, "GFLOPS_F64", json_real(round(b->gflops_f64 * 100) / 100));
		json_object_set_new(j, "GFLOPS_F32", json_real(round(b->gflops_f32 * 100) / 100));
		print_json(j);
	} else {
		printf(_("OpenBLAS core %s (OPENBLAS_CORETYPE=%s), %d cores, "), bi->corename,
		       bi->coretype_env[0] ? bi->coretype_env : _("unset"), bi->ncores);
		printf(ngettext("%d BLAS thread\n", "%d BLAS threads\n", (unsigned long)b->threads),
		       b->threads);
		printf(_("dgemm n=%zu: %.2f GFLOP/s\n"), b->n, b->gflops_f64);
		printf(_("sgemm n=%zu: %.2f GFLOP/s\n"), b->n, b->gflops_f32);
	}
done:
	r1_free(why);
	compute_free(&c);
	return rc;
}

static int load(const char *path, uint64_t cap, struct matrix *m)
{
	char *why = NULL;
	if (matrix_read_file(path, cap, m, &why) != R1_OK) {
		cli_error("%s", why ? why : _("cannot read the matrix"));
		r1_free(why);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int matmul_cmd(int argc, char **argv)
{
	struct opts o;
	int rc = parse(&compute_subcommands[1], argc, argv, &o);
	if (rc)
		return rc;
	if (!o.local)
		return matmul_remote(&o);
	if (!o.a || !o.b || !o.out) {
		cli_error(_("matmul needs A, B and -o OUT"));
		cli_usage(&compute_subcommands[1], stderr);
		return EXIT_USAGE;
	}
	if (o.have_beta && o.beta != 0 && !o.c0) {
		cli_error(_("--beta needs --c C0.r1mx"));
		return EXIT_USAGE;
	}
	struct compute *c = engine(&o);
	if (!c)
		return EXIT_FAIL;
	uint64_t cap = compute_mem_limit(c);
	struct matrix a = {0}, b = {0}, c0 = {0};
	if ((rc = load(o.a, cap, &a)) || (rc = load(o.b, cap, &b)) ||
	    (o.c0 && (rc = load(o.c0, cap, &c0)))) {
		matrix_release(&a);
		matrix_release(&b);
		compute_free(&c);
		return rc;
	}
	struct gemm_spec s;
	gemm_spec_default(&s);
	s.trans_a = o.ta;
	s.trans_b = o.tb;
	s.alpha = o.alpha;
	s.beta = o.beta;
	s.dtype = o.have_dtype ? o.dtype : a.dtype;
	struct outcome out = {0};
	char *why = NULL;
	struct compute_meta meta = {.owner = "cli"};
	enum r1_err err =
	    compute_submit_gemm(c, &meta, &s, &a, &b, o.c0 ? &c0 : NULL, on_done, &out, NULL, &why);
	if (err || out.r.state != COMPUTE_DONE) {
		rc = failed("matmul", err ? err : out.r.err, err ? why : out.why);
		goto done;
	}
	r1_free(why);
	why = NULL;
	if (matrix_write_file(o.out, &out.c, &why) != R1_OK) {
		rc = failed("matmul", R1_ERR_IO, why);
		goto done;
	}
	if (o.json) {
		print_json(json_pack("{s:s,s:I,s:I,s:s,s:f,s:f}", "OUT", o.out, "ROWS",
		                     (json_int_t)out.c.rows, "COLS", (json_int_t)out.c.cols,
		                     "DTYPE", mx_dtype_name(out.c.dtype), "SECONDS", out.r.seconds,
		                     "GFLOPS", out.r.gflops));
	} else {
		printf(_("%s: %zu x %zu %s in %.3f s (%.2f GFLOP/s)\n"), o.out, out.c.rows,
		       out.c.cols, mx_dtype_name(out.c.dtype), out.r.seconds, out.r.gflops);
	}
done:
	r1_free(why);
	matrix_release(&c0);
	matrix_release(&out.c);
	compute_free(&c);
	return rc;
}

static int search_cmd(int argc, char **argv)
{
	struct opts o;
	int rc = parse(&compute_subcommands[2], argc, argv, &o);
	if (rc)
		return rc;
	if (!o.local)
		return search_remote(&o);
	if (!o.index || !o.query) {
		cli_error(_("search needs --index and --query"));
		cli_usage(&compute_subcommands[2], stderr);
		return EXIT_USAGE;
	}
	struct compute *c = engine(&o);
	if (!c)
		return EXIT_FAIL;
	uint64_t cap = compute_mem_limit(c);
	struct matrix e = {0}, q = {0};
	struct outcome built = {0}, out = {0};
	char *why = NULL;
	struct vindex *ix = NULL;
	if ((rc = load(o.index, cap, &e)) || (rc = load(o.query, cap, &q)))
		goto done;
	struct compute_meta meta = {.owner = "cli"};
	enum r1_err err = compute_submit_index(c, &meta, &e, on_done, &built, NULL, &why);
	if (err || built.r.state != COMPUTE_DONE) {
		rc = failed("search", err ? err : built.r.err, err ? why : built.why);
		goto done;
	}
	ix = built.index;
	built.index = NULL;
	err = compute_submit_search(c, &meta, ix, &q, (size_t)o.k, on_done, &out, NULL, &why);
	if (err || out.r.state != COMPUTE_DONE) {
		rc = failed("search", err ? err : out.r.err, err ? why : out.why);
		goto done;
	}
	size_t k = out.r.k;
	if (o.json) {
		json_t *all = json_array();
		for (size_t qi = 0; qi < out.r.nq; qi++) {
			json_t *hits = json_array();
			for (size_t j = 0; j < k; j++) {
				const struct vsearch_hit *h = &out.hits[qi * k + j];
				if (h->row >= 0)
					json_array_append_new(
					    hits,
					    json_pack("{s:I,s:f}", "ROW", (json_int_t)h->row,
					              "SCORE",
					              isfinite(h->score) ? h->score + 0.0 : -1.0));
			}
			json_array_append_new(
			    all, json_pack("{s:I,s:o}", "QUERY", (json_int_t)qi, "HITS", hits));
		}
		print_json(all);
	} else {
		for (size_t qi = 0; qi < out.r.nq; qi++) {
			printf(_("query %zu:"), qi);
			for (size_t j = 0; j < k; j++) {
				const struct vsearch_hit *h = &out.hits[qi * k + j];
				if (h->row >= 0)
					printf(" %" PRId64 " (%.4f)", h->row,
					       (double)h->score + 0.0);
			}
			putchar('\n');
		}
	}
	rc = EXIT_OK;
done:
	r1_free(why);
	vindex_unref(&ix);
	matrix_release(&e);
	matrix_release(&q);
	r1_free(out.hits);
	compute_free(&c);
	return rc;
}

static int cmd_compute(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		FILE *out = argc < 2 ? stderr : stdout;
		for (const struct cmd_entry *e = compute_subcommands; e->name; e++)
			cli_usage(e, out);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	for (const struct cmd_entry *e = compute_subcommands; e->name; e++) {
		if (strcmp(e->name, argv[1]) != 0)
			continue;
		if (cli_wants_help(e, argc - 1, argv + 1))
			return EXIT_OK;
		return e->exec(argc - 1, argv + 1);
	}
	cli_error(_("compute: unknown subcommand '%s'; see 'r1console compute --help'"), argv[1]);
	return EXIT_USAGE;
}

const struct cmd_entry cmd_compute_entries[] = {
    {"compute", N_("compute bench|matmul|search (NODE|--local) ..."),
     N_("OpenBLAS jobs: benchmark, matrix product, vector search"), cmd_compute},
    {NULL, NULL, NULL, NULL},
};
