/*
 * MATMUL_JOB_01: C = ALPHA op(A) op(B) + BETA C on this node's compute
 * engine.  Operands are R1FS CIDs of R1MX matrix files (fetched on the
 * worker, within the job's memory limit) or small inline rows of numbers;
 * the product goes to R1FS (its CID published) or inline when small.  The
 * config's product runs when the instance starts (RUN_AT_START); the
 * MATMUL command runs another with the given keys over the config's, CANCEL
 * stops the running one.  One product at a time per instance.
 *
 * Every outcome is a payload: JOB_STATE RUNNING (with PROGRESS while it
 * runs), then DONE, FAILED or CANCELLED.  A failure (bad dimensions, a
 * missing CID, a damaged matrix file, the memory limit) also sends an
 * EXCEPTION notification with the reason, so a console sees it without
 * subscribing to payloads.  Keys: data/plugins/matmul_job_01.json.
 */
#include "node/lib.h"
#include "node/plugin.h"
#include "node/node.h"
#include "node/compute/compute.h"
#include "node/compute/mxjson.h"
#include "core/proto.h"

#include <math.h>
#include <strings.h>

#define INLINE_DEFAULT 4096

struct matmul {
	struct plugin_instance *pi;
	uint64_t job;       /* 0 = none */
	char request[65];   /* REQUEST_ID of the running product */
	bool inline_result; /* put C in the payload */
	bool started_once;
	double last_progress;
	uint64_t last_progress_ms;
};

static const char defaults[] =
    "{\"PROCESS_DELAY\": 1, \"ALLOW_EMPTY_INPUTS\": true, \"A_CID\": null, \"B_CID\": null,"
    " \"C_CID\": null, \"A\": null, \"B\": null, \"C\": null, \"TRANS_A\": false,"
    " \"TRANS_B\": false, \"ALPHA\": 1.0, \"BETA\": 0.0, \"DTYPE\": \"float64\","
    " \"RESULT\": \"auto\", \"INLINE_MAX_ELEMENTS\": 4096, \"RUN_AT_START\": true,"
    " \"MAX_MEMORY_MB\": 0}";

static struct compute *engine_of(struct plugin_instance *pi)
{
	struct node *n = plugin_node(pi);
	return n ? node_compute(n) : NULL;
}

/*
 * A key from the command's params (lower-cased by the host) or, when
 * absent, from the instance config.
 */
static const json_t *key(struct plugin_instance *pi, const json_t *params, const char *upper)
{
	char lower[32];
	size_t i = 0;
	for (; upper[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)(upper[i] >= 'A' && upper[i] <= 'Z' ? upper[i] + 32 : upper[i]);
	lower[i] = '\0';
	const json_t *v = params ? json_object_get(params, lower) : NULL;
	return v ? v : json_object_get(plugin_config(pi), upper);
}

static bool key_bool(struct plugin_instance *pi, const json_t *params, const char *k, bool dflt)
{
	const json_t *v = key(pi, params, k);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static double key_real(struct plugin_instance *pi, const json_t *params, const char *k, double dflt)
{
	const json_t *v = key(pi, params, k);
	return json_is_number(v) ? json_number_value(v) : dflt;
}

static const char *key_str(struct plugin_instance *pi, const json_t *params, const char *k)
{
	const json_t *v = key(pi, params, k);
	return json_is_string(v) && json_string_length(v) ? json_string_value(v) : NULL;
}

/*
 * The failure: a FAILED payload and (notify) an EXCEPTION notification,
 * both with the reason.  A refused command needs no notification of ours:
 * the host's PLUGIN_INSTANCE_COMMAND_FAILED carries the reason.
 */
static void report_failure(struct matmul *m, const char *state, const char *why, bool notify)
{
	plugin_emit(m->pi,
	            json_pack("{s:s,s:s?,s:s}", "JOB_STATE", state, "REQUEST_ID",
	                      m->request[0] ? m->request : NULL, "ERROR", why),
	            NULL);
	if (notify && strcmp(state, "FAILED") == 0) {
		char msg[400];
		snprintf(msg, sizeof(msg), "MATMUL_JOB_01: %s", why);
		plugin_notify(m->pi, NOTIF_TYPE_EXCEPTION, 0, msg, why, NULL);
	}
}

/* The product's memory goes back to the engine for the next one. */
static void recycle(struct matmul *m, struct matrix *c)
{
	struct compute *eng = engine_of(m->pi);
	if (eng)
		compute_recycle(eng, c);
}

static void on_product(void *ctx, struct compute_result *r)
{
	struct matmul *m = ctx;
	m->job = 0;
	if (r->state != COMPUTE_DONE) {
		report_failure(m, r->state == COMPUTE_CANCELLED ? "CANCELLED" : "FAILED",
		               r->why ? r->why : r1_strerror(r->err), true);
		return;
	}
	json_t *f =
	    json_pack("{s:s,s:s?,s:f,s:f,s:f,s:f}", "JOB_STATE", "DONE", "REQUEST_ID",
	              m->request[0] ? m->request : NULL, "PROGRESS", 100.0, "SECONDS", r->seconds,
	              "GFLOPS", round(r->gflops * 100) / 100, "R1FS_SECONDS", r->io_seconds);
	if (!f)
		return;
	if (r->result_cid[0])
		json_object_set_new(f, "RESULT_CID", json_string(r->result_cid));
	json_object_set_new(f, "ROWS", json_integer((json_int_t)r->rows));
	json_object_set_new(f, "COLS", json_integer((json_int_t)r->cols));
	json_object_set_new(f, "DTYPE", json_string(mx_dtype_name(r->dtype)));
	if (!matrix_is_empty(&r->c)) {
		size_t limit = (size_t)plugin_cfg_int(m->pi, "INLINE_MAX_ELEMENTS", INLINE_DEFAULT);
		if (m->inline_result && r->c.rows * r->c.cols <= limit)
			json_object_set_new(f, "RESULT", mxjson_rows(&r->c));
		else if (!r->result_cid[0]) {
			json_decref(f);
			char why[200];
			snprintf(why, sizeof(why),
			         "the product has %zu x %zu elements, above INLINE_MAX_ELEMENTS "
			         "(%zu), and no R1FS to store it",
			         r->c.rows, r->c.cols, limit);
			report_failure(m, "FAILED", why, true);
			recycle(m, &r->c);
			return;
		}
		recycle(m, &r->c);
	}
	plugin_emit(m->pi, f, NULL);
}

/* One operand: a CID, or inline rows; `required` when the product needs it. */
static enum r1_err operand(struct plugin_instance *pi, const json_t *params, const char *name,
                           enum mx_dtype dt, size_t max_inline, bool required,
                           struct compute_operand *op, char **why)
{
	char cidkey[16];
	snprintf(cidkey, sizeof(cidkey), "%s_CID", name);
	const char *cid = key_str(pi, params, cidkey);
	const json_t *rows = key(pi, params, name);
	if (cid && json_is_array(rows))
		return r1_fail(why, R1_ERR_INVAL, "give %s or %s, not both", cidkey, name);
	if (cid) {
		op->cid = cid;
		return R1_OK;
	}
	if (json_is_array(rows)) {
		return mxjson_parse(rows, dt, max_inline, false, name, &op->m, why);
	}
	if (required)
		return r1_fail(why, R1_ERR_INVAL, "no %s: give %s or %s inline", name, cidkey,
		               name);
	return R1_OK;
}

/* Start a product from the config, overridden by a command's params (may be NULL). */
static enum r1_err start(struct plugin_instance *pi, struct matmul *m, const json_t *params,
                         char **why)
{
	struct compute *c = engine_of(pi);
	if (!c)
		return r1_fail(why, R1_ERR_STATE, "not running on a node");
	if (m->job)
		return r1_fail(why, R1_ERR_AGAIN,
		               "a product is already running%s%s; CANCEL it first",
		               m->request[0] ? " as " : "", m->request);
	const char *req = key_str(pi, params, "REQUEST_ID");
	snprintf(m->request, sizeof(m->request), "%s", params && req ? req : "");
	struct compute_gemm_req g = {0};
	g.spec.trans_a = key_bool(pi, params, "TRANS_A", false);
	g.spec.trans_b = key_bool(pi, params, "TRANS_B", false);
	g.spec.alpha = key_real(pi, params, "ALPHA", 1.0);
	g.spec.beta = key_real(pi, params, "BETA", 0.0);
	const char *dt = key_str(pi, params, "DTYPE");
	if (!dt)
		dt = "float64";
	if (!mx_dtype_parse(dt, &g.spec.dtype))
		return r1_fail(why, R1_ERR_INVAL, "DTYPE '%.20s' (float32 or float64)", dt);
	const char *result = key_str(pi, params, "RESULT");
	if (!result)
		result = "auto";
	bool to_r1fs = strcasecmp(result, "r1fs") == 0,
	     to_inline = strcasecmp(result, "inline") == 0;
	if (!to_r1fs && !to_inline && strcasecmp(result, "auto") != 0)
		return r1_fail(why, R1_ERR_INVAL, "RESULT '%.20s' (auto, r1fs, inline)", result);
	struct r1fs *fs = node_r1fs(plugin_node(pi));
	if (to_r1fs && !fs)
		return r1_fail(why, R1_ERR_STATE, "RESULT r1fs but this node has no R1FS");
	json_int_t max_inline = plugin_cfg_int(pi, "INLINE_MAX_ELEMENTS", INLINE_DEFAULT);
	if (max_inline < 1)
		max_inline = 1;
	enum r1_err err =
	    operand(pi, params, "A", g.spec.dtype, (size_t)max_inline, true, &g.a, why);
	if (!err)
		err = operand(pi, params, "B", g.spec.dtype, (size_t)max_inline, true, &g.b, why);
	if (!err)
		err = operand(pi, params, "C", g.spec.dtype, (size_t)max_inline, g.spec.beta != 0,
		              &g.c, why);
	if (err) {
		matrix_release(&g.a.m);
		matrix_release(&g.b.m);
		matrix_release(&g.c.m);
		return err;
	}
	m->inline_result = !to_r1fs;
	if (!to_inline && fs) {
		g.store_as = "c.r1mx";
		g.keep_result = !to_r1fs;
	}
	json_int_t mb = plugin_cfg_int(pi, "MAX_MEMORY_MB", 0);
	g.mem_limit = mb > 0 ? (uint64_t)mb << 20 : 0;
	char owner[160];
	snprintf(owner, sizeof(owner), "%s/%s", plugin_stream(pi), plugin_instance_id(pi));
	struct compute_meta meta = {.owner = owner};
	m->started_once = true;
	m->last_progress = -1;
	err = compute_submit_gemm_req(c, &meta, &g, on_product, m, &m->job, why);
	if (err)
		return err;
	if (m->job)
		plugin_emit(pi,
		            json_pack("{s:s,s:s?,s:f}", "JOB_STATE", "RUNNING", "REQUEST_ID",
		                      m->request[0] ? m->request : NULL, "PROGRESS", 0.0),
		            NULL);
	return R1_OK;
}

static enum r1_err matmul_init(struct plugin_instance *pi, void **state, char **why)
{
	if (!engine_of(pi))
		return r1_fail(why, R1_ERR_STATE, "not running on a node");
	struct matmul *m = r1_calloc(1, sizeof(*m));
	if (!m)
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	m->pi = pi;
	*state = m;
	return R1_OK;
}

/*
 * A product that cannot start is not an exception of the plugin (the
 * reference would slow the instance down for it): it is reported like a
 * failed product and the instance stays well.
 */
static void start_or_report(struct plugin_instance *pi, struct matmul *m, const json_t *params)
{
	char *why = NULL;
	enum r1_err err = start(pi, m, params, &why);
	if (err)
		report_failure(m, "FAILED", why ? why : r1_strerror(err), true);
	r1_free(why);
}

static enum r1_err matmul_process(struct plugin_instance *pi, void *state, const json_t *input,
                                  char **why)
{
	struct matmul *m = state;
	if (!m->started_once && plugin_cfg_bool(pi, "RUN_AT_START", true) &&
	    (key_str(pi, NULL, "A_CID") || json_is_array(key(pi, NULL, "A")))) {
		m->started_once = true;
		start_or_report(pi, m, NULL);
		return R1_OK;
	}
	if (!m->job)
		return R1_OK;
	struct compute_job_info info;
	struct compute *c = engine_of(pi);
	if (c && compute_job_get(c, m->job, &info) && info.state == COMPUTE_RUNNING) {
		double p = round(info.progress * 1000.0) / 10.0;
		if (p != m->last_progress) {
			m->last_progress = p;
			return plugin_emit(
			    pi,
			    json_pack("{s:s,s:s?,s:f}", "JOB_STATE", "RUNNING", "REQUEST_ID",
			              m->request[0] ? m->request : NULL, "PROGRESS", p),
			    why);
		}
	}
	return R1_OK;
}

static bool is_command(const json_t *data, const char *name)
{
	if (json_is_string(data))
		return strcasecmp(json_string_value(data), name) == 0;
	return json_is_object(data) && json_object_get(data, name);
}

static enum r1_err matmul_command(struct plugin_instance *pi, void *state, const json_t *data,
                                  const json_t *params, char **why)
{
	struct matmul *m = state;
	if (is_command(data, "CANCEL")) {
		if (!m->job)
			return r1_fail(why, R1_ERR_STATE, "no product is running");
		return compute_cancel(engine_of(pi), m->job, why);
	}
	if (!is_command(data, "MATMUL"))
		return r1_fail(why, R1_ERR_INVAL, "unknown command; the ones it takes are MATMUL and CANCEL");
	/* {"MATMUL": {...keys...}} carries the keys inside; else COMMAND_PARAMS. */
	const json_t *inner = json_is_object(data) ? json_object_get(data, "MATMUL") : NULL;
	json_t *lowered = NULL;
	if (json_is_object(inner)) {
		lowered = json_object();
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)inner, k, v)
		{
			char low[64];
			size_t i = 0;
			for (; k[i] && i < sizeof(low) - 1; i++)
				low[i] = (char)(k[i] >= 'A' && k[i] <= 'Z' ? k[i] + 32 : k[i]);
			low[i] = '\0';
			json_object_set(lowered, low, v);
		}
		params = lowered;
	}
	m->started_once = true;
	enum r1_err err = start(pi, m, params, why);
	if (err && err != R1_ERR_AGAIN && why && *why)
		report_failure(m, "FAILED", *why, false);
	json_decref(lowered);
	return err;
}

static void matmul_close(struct plugin_instance *pi, void *state)
{
	struct matmul *m = state;
	struct compute *c = engine_of(pi);
	if (m->job && c)
		compute_forget(c, m->job);
	r1_free(m);
}

const struct plugin_ops plugin_matmul_job_01 = {
    .signature = "MATMUL_JOB_01",
    .version = "1.0.0",
    .defaults = defaults,
    .schema = "matmul_job_01.json",
    .init = matmul_init,
    .process = matmul_process,
    .command = matmul_command,
    .close = matmul_close,
};
