/*
 * BLAS_BENCH_01: measures this node's dense matrix product speed through
 * its compute engine (dgemm and sgemm GFLOP/s on BENCH_SIZE x BENCH_SIZE
 * matrices, best of BENCH_REPS after a warm-up) at start, every RUN_EVERY
 * seconds and on the RUN command, and publishes it with the OpenBLAS core
 * type.  The engine keeps the figure for the heartbeat; deployments rank
 * nodes by it.  The measure is a compute job like any other: it waits for
 * the jobs before it and never runs on the loop.  Keys and payload:
 * data/plugins/blas_bench_01.json.
 */
#include "node/lib.h"
#include "node/plugin.h"
#include "node/node.h"
#include "node/compute/compute.h"
#include "core/proto.h"

#include <math.h>
#include <strings.h>

struct bench {
	struct plugin_instance *pi;
	uint64_t job;     /* 0 = none running */
	bool ran_once;    /* a measure was started at least once */
	uint64_t last_ms; /* when the last measure started */
};

static const char defaults[] = "{\"PROCESS_DELAY\": 1, \"ALLOW_EMPTY_INPUTS\": true,"
                               " \"BENCH_SIZE\": 2048, \"BENCH_REPS\": 3, \"BENCH_F64\": true,"
                               " \"BENCH_F32\": true, \"RUN_AT_START\": true, \"RUN_EVERY\": 0}";

static struct compute *engine_of(struct plugin_instance *pi)
{
	struct node *n = plugin_node(pi);
	return n ? node_compute(n) : NULL;
}

static json_t *gflops(double g)
{
	return g > 0 ? json_real(round(g * 100.0) / 100.0) : json_null();
}

static void on_bench(void *ctx, struct compute_result *r)
{
	struct bench *b = ctx;
	b->job = 0;
	struct compute *c = engine_of(b->pi);
	if (r->state != COMPUTE_DONE) {
		plugin_notify(b->pi, NOTIF_TYPE_EXCEPTION, 0, "BLAS_BENCH_01: benchmark failed",
		              r->why, NULL);
		plugin_emit(b->pi, json_pack("{s:s}", "ERROR", r->why ? r->why : "failed"), NULL);
		return;
	}
	json_t *f = c ? blas_info_json(compute_blas(c), r->bench.threads) : json_object();
	if (!f)
		return;
	json_object_set_new(f, "GFLOPS_F64", gflops(r->bench.gflops_f64));
	json_object_set_new(f, "GFLOPS_F32", gflops(r->bench.gflops_f32));
	json_object_set_new(f, "SECONDS_F64", json_real(r->bench.seconds_f64));
	json_object_set_new(f, "SECONDS_F32", json_real(r->bench.seconds_f32));
	json_object_set_new(f, "N", json_integer((json_int_t)r->bench.n));
	json_object_set_new(f, "REPS", json_integer((json_int_t)r->bench.reps));
	plugin_emit(b->pi, f, NULL);
}

/* Start a measure unless one runs.  size/reps 0 = the config's. */
static enum r1_err start(struct plugin_instance *pi, struct bench *b, json_int_t size,
                         json_int_t reps, char **why)
{
	struct compute *c = engine_of(pi);
	if (!c)
		return r1_fail(why, R1_ERR_STATE, "BLAS_BENCH_01: not running on a node");
	if (b->job)
		return r1_fail(why, R1_ERR_AGAIN, "BLAS_BENCH_01: a measure is already running");
	if (!size)
		size = plugin_cfg_int(pi, "BENCH_SIZE", 2048);
	if (!reps)
		reps = plugin_cfg_int(pi, "BENCH_REPS", 3);
	if (size < 64 || size > 8192 || reps < 1 || reps > 20)
		return r1_fail(why, R1_ERR_INVAL,
		               "BLAS_BENCH_01: BENCH_SIZE must be 64..8192 and BENCH_REPS 1..20");
	char owner[160];
	snprintf(owner, sizeof(owner), "%s/%s", plugin_stream(pi), plugin_instance_id(pi));
	struct compute_meta meta = {.owner = owner};
	b->ran_once = true;
	b->last_ms = plugin_now_ms(pi);
	return compute_submit_bench(
	    c, &meta, (size_t)size, (unsigned)reps, plugin_cfg_bool(pi, "BENCH_F64", true),
	    plugin_cfg_bool(pi, "BENCH_F32", true), on_bench, b, &b->job, why);
}

static enum r1_err bench_init(struct plugin_instance *pi, void **state, char **why)
{
	if (!engine_of(pi))
		return r1_fail(why, R1_ERR_STATE, "BLAS_BENCH_01: not running on a node");
	struct bench *b = r1_calloc(1, sizeof(*b));
	if (!b)
		return r1_fail(why, R1_ERR_NOMEM, "BLAS_BENCH_01: out of memory");
	b->pi = pi;
	*state = b;
	return R1_OK;
}

static enum r1_err bench_process(struct plugin_instance *pi, void *state, const json_t *input,
                                 char **why)
{
	struct bench *b = state;
	if (b->job)
		return R1_OK;
	double every = plugin_cfg_real(pi, "RUN_EVERY", 0);
	bool due = (!b->ran_once && plugin_cfg_bool(pi, "RUN_AT_START", true)) ||
	           (every > 0 && b->ran_once &&
	            plugin_now_ms(pi) - b->last_ms >= (uint64_t)(every * 1000.0));
	return due ? start(pi, b, 0, 0, why) : R1_OK;
}

static bool is_run(const json_t *data)
{
	if (json_is_string(data))
		return strcasecmp(json_string_value(data), "RUN") == 0;
	return json_is_object(data) && json_object_get(data, "RUN");
}

static json_int_t param_int(const json_t *params, const json_t *data, const char *lower,
                            const char *upper)
{
	const json_t *v = json_object_get(params, lower);
	if (!v && json_is_object(json_object_get(data, "RUN")))
		v = json_object_get(json_object_get(data, "RUN"), upper);
	return json_is_integer(v) ? json_integer_value(v) : 0;
}

static enum r1_err bench_command(struct plugin_instance *pi, void *state, const json_t *data,
                                 const json_t *params, char **why)
{
	if (!is_run(data))
		return r1_fail(why, R1_ERR_INVAL, "BLAS_BENCH_01: unknown command; the one it takes is RUN");
	return start(pi, state, param_int(params, data, "size", "SIZE"),
	             param_int(params, data, "reps", "REPS"), why);
}

static void bench_close(struct plugin_instance *pi, void *state)
{
	struct bench *b = state;
	struct compute *c = engine_of(pi);
	if (b->job && c)
		compute_forget(c, b->job);
	r1_free(b);
}

const struct plugin_ops plugin_blas_bench_01 = {
    .signature = "BLAS_BENCH_01",
    .version = "1.0.0",
    .defaults = defaults,
    .schema = "blas_bench_01.json",
    .init = bench_init,
    .process = bench_process,
    .command = bench_command,
    .close = bench_close,
};
