/*
 * r1console compute: the node's OpenBLAS engine from the command line.
 *
 *   compute bench --local [--size N] [--reps N] [--threads N] [--json]
 *   compute matmul --local A.r1mx B.r1mx -o C.r1mx [--ta] [--tb] [--alpha X]
 *                  [--beta X --c C0.r1mx] [--dtype f32|f64] [--mem-limit BYTES]
 *   compute search --local --index E.r1mx --query Q.r1mx [-k 10] [--json]
 *
 * Each runs one job through the same engine a node uses (compute.h), on
 * this machine, with R1MX files (matrix.h) instead of R1FS CIDs; the forms
 * that name a NODE or CIDs need the control plane and come with it.  This
 * file is argv and printing; the work and every refusal's reason are the
 * engine's.
 */
#include "cli/cli.h"
#include "node/compute/compute.h"

#include <jansson.h>
#include <math.h>

struct opts {
	bool local, json, ta, tb;
	const char *a, *b, *c0, *out, *index, *query;
	size_t size;
	unsigned reps;
	int threads;
	long k;
	double alpha, beta;
	bool have_beta;
	enum mx_dtype dtype;
	bool have_dtype;
	uint64_t mem_limit;
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

static bool parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
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

/* Flags shared by the subcommands; positional arguments go to a then b. */
static int parse(const struct cmd_entry *e, int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = 2048;
	o->reps = 3;
	o->k = 10;
	o->alpha = 1.0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		long n;
		bool takes = true;
		if (strcmp(arg, "--local") == 0) {
			o->local = true;
			takes = false;
		} else if (strcmp(arg, "--json") == 0) {
			o->json = true;
			takes = false;
		} else if (strcmp(arg, "--ta") == 0) {
			o->ta = true;
			takes = false;
		} else if (strcmp(arg, "--tb") == 0) {
			o->tb = true;
			takes = false;
		} else if (!val && arg[0] == '-' && arg[1]) {
			cli_error(_("%s needs an argument"), arg);
			return EXIT_USAGE;
		} else if (strcmp(arg, "--size") == 0) {
			if (!parse_long(val, 16, 16384, &n)) {
				cli_error(_("--size: a number from 16 to 16384"));
				return EXIT_USAGE;
			}
			o->size = (size_t)n;
		} else if (strcmp(arg, "--reps") == 0) {
			if (!parse_long(val, 1, 100, &n)) {
				cli_error(_("--reps: a number from 1 to 100"));
				return EXIT_USAGE;
			}
			o->reps = (unsigned)n;
		} else if (strcmp(arg, "--threads") == 0) {
			if (!parse_long(val, 0, 1024, &n)) {
				cli_error(_("--threads: a number from 0 (automatic) to 1024"));
				return EXIT_USAGE;
			}
			o->threads = (int)n;
		} else if (strcmp(arg, "-k") == 0) {
			if (!parse_long(val, 1, 100000, &o->k)) {
				cli_error(_("-k: a number from 1 to 100000"));
				return EXIT_USAGE;
			}
		} else if (strcmp(arg, "--alpha") == 0 || strcmp(arg, "--beta") == 0) {
			double *d = arg[2] == 'a' ? &o->alpha : &o->beta;
			if (!parse_real(val, d)) {
				cli_error(_("%s: a finite number"), arg);
				return EXIT_USAGE;
			}
			if (arg[2] == 'b')
				o->have_beta = true;
		} else if (strcmp(arg, "--dtype") == 0) {
			if (!mx_dtype_parse(val, &o->dtype)) {
				cli_error(_("--dtype: f32 or f64"));
				return EXIT_USAGE;
			}
			o->have_dtype = true;
		} else if (strcmp(arg, "--mem-limit") == 0) {
			if (!parse_bytes(val, &o->mem_limit)) {
				cli_error(_("--mem-limit: bytes, optionally with K, M or G"));
				return EXIT_USAGE;
			}
		} else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--out") == 0) {
			o->out = val;
		} else if (strcmp(arg, "--c") == 0) {
			o->c0 = val;
		} else if (strcmp(arg, "--a") == 0) {
			o->a = val;
		} else if (strcmp(arg, "--b") == 0) {
			o->b = val;
		} else if (strcmp(arg, "--index") == 0) {
			o->index = val;
		} else if (strcmp(arg, "--query") == 0) {
			o->query = val;
		} else if (arg[0] == '-' && arg[1]) {
			cli_error(_("unknown option '%s'"), arg);
			cli_usage(e, stderr);
			return EXIT_USAGE;
		} else {
			takes = false;
			if (!o->a)
				o->a = arg;
			else if (!o->b)
				o->b = arg;
			else {
				cli_error(_("unexpected argument '%s'"), arg);
				cli_usage(e, stderr);
				return EXIT_USAGE;
			}
		}
		if (takes)
			i++;
	}
	if (!o->local) {
		cli_error(_("only --local works for now: running on another node needs the "
		            "control plane"));
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

static int bench_cmd(int argc, char **argv);
static int matmul_cmd(int argc, char **argv);
static int search_cmd(int argc, char **argv);

static const struct cmd_entry compute_subcommands[] = {
    {"bench", N_("compute bench --local [--size N] [--reps N] [--threads N] [--json]"),
     N_("dgemm and sgemm GFLOP/s of this machine (n=2048), with the OpenBLAS core type"),
     bench_cmd},
    {"matmul",
     N_("compute matmul --local A.r1mx B.r1mx -o C.r1mx [--ta] [--tb] [--alpha X] "
        "[--beta X --c C0.r1mx] [--dtype f32|f64] [--mem-limit BYTES]"),
     N_("C = alpha op(A) op(B) + beta C0 on R1MX matrix files"), matmul_cmd},
    {"search",
     N_("compute search --local --index E.r1mx --query Q.r1mx [-k 10] [--json] "
        "[--mem-limit BYTES]"),
     N_("top-k cosine similarity of each query row against the index rows"), search_cmd},
    {NULL, NULL, NULL, NULL},
};

static int bench_cmd(int argc, char **argv)
{
	struct opts o;
	int rc = parse(&compute_subcommands[0], argc, argv, &o);
	if (rc)
		return rc;
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
    {"compute", N_("compute bench|matmul|search --local ..."),
     N_("OpenBLAS jobs: benchmark, matrix product, vector search"), cmd_compute},
    {NULL, NULL, NULL, NULL},
};
