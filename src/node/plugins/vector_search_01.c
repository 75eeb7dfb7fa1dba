/*
 * VECTOR_SEARCH_01: an embedding index held in memory (loaded from R1FS by
 * INDEX_CID, or inline INDEX rows; rows normalised once by an index job)
 * answering top-k cosine-similarity SEARCH commands, each batch of queries
 * one sgemm panel after another on the compute engine.  Searches queue in
 * the engine behind other jobs; each answer is a payload with the
 * command's REQUEST_ID.  RELOAD loads the index again.  A failed load or
 * search is a payload with ERROR and an EXCEPTION notification.  Keys:
 * data/plugins/vector_search_01.json.
 */
#include "node/lib.h"
#include "node/plugin.h"
#include "node/node.h"
#include "node/compute/compute.h"
#include "node/compute/mxjson.h"
#include "core/proto.h"

#include <strings.h>

#define MAX_PENDING 16

struct vsearch;

/* One SEARCH on its way through the engine. */
struct pending {
	struct vsearch *owner;
	uint64_t job;
	char request[65];
};

struct vsearch {
	struct plugin_instance *pi;
	struct vindex *index;
	uint64_t load_job;
	bool load_asked, failed;
	struct pending pend[MAX_PENDING];
};

static const char defaults[] = "{\"PROCESS_DELAY\": 0.5, \"ALLOW_EMPTY_INPUTS\": true,"
                               " \"INDEX_CID\": null, \"INDEX\": null, \"K\": 10,"
                               " \"MAX_QUERIES\": 1024, \"MAX_MEMORY_MB\": 0}";

static struct compute *engine_of(struct plugin_instance *pi)
{
	struct node *n = plugin_node(pi);
	return n ? node_compute(n) : NULL;
}

static uint64_t mem_limit(struct plugin_instance *pi)
{
	json_int_t mb = plugin_cfg_int(pi, "MAX_MEMORY_MB", 0);
	return mb > 0 ? (uint64_t)mb << 20 : 0;
}

static void failure(struct vsearch *v, const char *request, const char *what, const char *why)
{
	plugin_emit(v->pi,
	            json_pack("{s:s?,s:s?,s:s}", "REQUEST_ID",
	                      request && request[0] ? request : NULL, "INDEX_STATE",
	                      v->index    ? "READY"
	                      : v->failed ? "FAILED"
	                                  : "LOADING",
	                      "ERROR", why),
	            NULL);
	char msg[400];
	snprintf(msg, sizeof(msg), "VECTOR_SEARCH_01: %s: %s", what, why);
	plugin_notify(v->pi, NOTIF_TYPE_EXCEPTION, 0, msg, why, NULL);
}

static void on_index(void *ctx, struct compute_result *r)
{
	struct vsearch *v = ctx;
	v->load_job = 0;
	if (r->state != COMPUTE_DONE) {
		v->failed = true;
		failure(v, NULL, "loading the index failed", r->why ? r->why : "?");
		return;
	}
	vindex_unref(&v->index);
	v->index = r->index;
	r->index = NULL;
	v->failed = false;
	plugin_emit(v->pi,
	            json_pack("{s:s,s:I,s:I,s:f}", "INDEX_STATE", "READY", "INDEX_ROWS",
	                      (json_int_t)vindex_rows(v->index), "DIM",
	                      (json_int_t)vindex_dim(v->index), "SECONDS", r->seconds),
	            NULL);
}

static enum r1_err load(struct plugin_instance *pi, struct vsearch *v, char **why)
{
	struct compute *c = engine_of(pi);
	v->load_asked = true;
	const char *cid = plugin_cfg_str(pi, "INDEX_CID", NULL);
	const json_t *rows = json_object_get(plugin_config(pi), "INDEX");
	struct compute_operand op = {0};
	if (cid && cid[0]) {
		op.cid = cid;
	} else if (json_is_array(rows)) {
		enum r1_err err = mxjson_parse(rows, MX_F32, 1u << 20, false, "INDEX", &op.m, why);
		if (err)
			return err;
	} else {
		return r1_fail(why, R1_ERR_INVAL, "no index: give INDEX_CID or INDEX");
	}
	char owner[160];
	snprintf(owner, sizeof(owner), "%s/%s", plugin_stream(pi), plugin_instance_id(pi));
	struct compute_meta meta = {.owner = owner};
	return compute_submit_index_op(c, &meta, &op, mem_limit(pi), on_index, v, &v->load_job,
	                               why);
}

static void load_or_report(struct plugin_instance *pi, struct vsearch *v)
{
	char *why = NULL;
	enum r1_err err = load(pi, v, &why);
	if (err) {
		v->failed = true;
		failure(v, NULL, "loading the index failed", why ? why : r1_strerror(err));
	}
	r1_free(why);
}

static void on_search(void *ctx, struct compute_result *r)
{
	struct pending *p = ctx;
	struct vsearch *v = p->owner;
	char request[65];
	snprintf(request, sizeof(request), "%s", p->request);
	p->job = 0;
	if (r->state != COMPUTE_DONE) {
		failure(v, request, "search failed", r->why ? r->why : "?");
		return;
	}
	plugin_emit(v->pi,
	            json_pack("{s:s?,s:o,s:I,s:f,s:s}", "REQUEST_ID", request[0] ? request : NULL,
	                      "RESULTS", mxjson_hits(r->hits, r->nq, r->k), "K", (json_int_t)r->k,
	                      "SECONDS", r->seconds, "INDEX_STATE", "READY"),
	            NULL);
}

static enum r1_err search(struct plugin_instance *pi, struct vsearch *v, const json_t *params,
                          char **why)
{
	struct pending *p = NULL;
	for (size_t i = 0; i < MAX_PENDING && !p; i++)
		if (!v->pend[i].job)
			p = &v->pend[i];
	if (!p)
		return r1_fail(why, R1_ERR_AGAIN, "%d searches already wait", MAX_PENDING);
	if (!v->index)
		return r1_fail(why, R1_ERR_STATE, "the index is %s",
		               v->failed ? "not loaded (the load failed; RELOAD)"
		                         : "still loading");
	const json_t *q = json_object_get(params, "query");
	const json_t *qcid = json_object_get(params, "query_cid");
	const json_t *k = json_object_get(params, "k");
	const json_t *req = json_object_get(params, "request_id");
	json_int_t kk = json_is_integer(k) ? json_integer_value(k) : plugin_cfg_int(pi, "K", 10);
	if (kk < 1 || kk > 1000)
		return r1_fail(why, R1_ERR_INVAL, "K must be 1..1000");
	struct compute_operand op = {0};
	if (json_is_string(qcid) && json_string_length(qcid)) {
		op.cid = json_string_value(qcid);
	} else if (json_is_array(q)) {
		json_int_t maxq = plugin_cfg_int(pi, "MAX_QUERIES", 1024);
		size_t max_elems = (size_t)(maxq > 0 ? maxq : 1) * vindex_dim(v->index);
		enum r1_err err = mxjson_parse(q, MX_F32, max_elems, true, "QUERY", &op.m, why);
		if (err)
			return err;
	} else {
		return r1_fail(why, R1_ERR_INVAL, "SEARCH needs QUERY or QUERY_CID");
	}
	p->owner = v;
	snprintf(p->request, sizeof(p->request), "%s",
	         json_is_string(req) ? json_string_value(req) : "");
	char owner[160];
	snprintf(owner, sizeof(owner), "%s/%s", plugin_stream(pi), plugin_instance_id(pi));
	struct compute_meta meta = {.owner = owner};
	return compute_submit_search_op(engine_of(pi), &meta, v->index, &op, (size_t)kk,
	                                mem_limit(pi), on_search, p, &p->job, why);
}

static enum r1_err vs_init(struct plugin_instance *pi, void **state, char **why)
{
	if (!engine_of(pi))
		return r1_fail(why, R1_ERR_STATE, "not running on a node");
	struct vsearch *v = r1_calloc(1, sizeof(*v));
	if (!v)
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	v->pi = pi;
	*state = v;
	return R1_OK;
}

static enum r1_err vs_process(struct plugin_instance *pi, void *state, const json_t *input,
                              char **why)
{
	struct vsearch *v = state;
	if (!v->load_asked)
		load_or_report(pi, v);
	return R1_OK;
}

static bool is_command(const json_t *data, const char *name)
{
	if (json_is_string(data))
		return strcasecmp(json_string_value(data), name) == 0;
	return json_is_object(data) && json_object_get(data, name);
}

/* {"SEARCH": {...}} carries its keys inside: lower-case them like COMMAND_PARAMS. */
static json_t *inner_params(const json_t *data, const char *name, const json_t *params)
{
	const json_t *inner = json_is_object(data) ? json_object_get(data, name) : NULL;
	json_t *out = json_deep_copy(params);
	const char *k;
	json_t *val;
	if (out && json_is_object(inner))
		json_object_foreach((json_t *)inner, k, val)
		{
			char low[64];
			size_t i = 0;
			for (; k[i] && i < sizeof(low) - 1; i++)
				low[i] = (char)(k[i] >= 'A' && k[i] <= 'Z' ? k[i] + 32 : k[i]);
			low[i] = '\0';
			json_object_set(out, low, val);
		}
	return out;
}

static enum r1_err vs_command(struct plugin_instance *pi, void *state, const json_t *data,
                              const json_t *params, char **why)
{
	struct vsearch *v = state;
	if (is_command(data, "RELOAD")) {
		if (v->load_job)
			return r1_fail(why, R1_ERR_AGAIN, "the index is loading");
		load_or_report(pi, v);
		return R1_OK;
	}
	if (!is_command(data, "SEARCH"))
		return r1_fail(why, R1_ERR_INVAL, "unknown command; the ones it takes are SEARCH and RELOAD");
	json_t *p = inner_params(data, "SEARCH", params);
	if (!p)
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	enum r1_err err = search(pi, v, p, why);
	json_decref(p);
	return err;
}

static void vs_close(struct plugin_instance *pi, void *state)
{
	struct vsearch *v = state;
	struct compute *c = engine_of(pi);
	if (c) {
		if (v->load_job)
			compute_forget(c, v->load_job);
		for (size_t i = 0; i < MAX_PENDING; i++)
			if (v->pend[i].job)
				compute_forget(c, v->pend[i].job);
	}
	vindex_unref(&v->index); /* searches still running keep their own reference */
	r1_free(v);
}

const struct plugin_ops plugin_vector_search_01 = {
    .signature = "VECTOR_SEARCH_01",
    .version = "1.0.0",
    .defaults = defaults,
    .schema = "vector_search_01.json",
    .init = vs_init,
    .process = vs_process,
    .command = vs_command,
    .close = vs_close,
};
