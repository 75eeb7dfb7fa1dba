/*
 * Reading and checking a deploy job file (see deployfile.h).  Parse only:
 * nothing here talks to the network.
 */
#include "core/lib.h"
#include "cli/deployfile.h"
#include "core/identity.h"
#include "core/paths.h"
#include "core/proto.h"

void deploy_job_release(struct deploy_job *job)
{
	r1_free(job->name);
	json_decref(job->config);
	for (size_t i = 0; i < job->n_targets; i++)
		r1_free(job->targets[i]);
	r1_free(job->targets);
	memset(job, 0, sizeof(*job));
}

bool deploy_target_is_address(const char *t)
{
	return strncmp(t, R1_ADDR_PREFIX, 5) == 0 || strncmp(t, R1_ADDR_PREFIX_LEGACY, 5) == 0 ||
	       (strncmp(t, "0x", 2) == 0 && strlen(t) == R1_ETH_ADDR_LEN);
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '/' || s[i] == 0x7f)
			return false;
	return true;
}

static enum r1_err check_plugins(const json_t *plugins, const char *origin, char **why)
{
	if (!plugins)
		return r1_fail(why, R1_ERR_INVAL,
		               "%s: missing PLUGINS (a list of "
		               "{\"SIGNATURE\", \"INSTANCES\"})",
		               origin);
	if (!json_is_array(plugins) || json_array_size(plugins) == 0)
		return r1_fail(why, R1_ERR_INVAL, "%s: PLUGINS must be a non-empty list", origin);
	size_t i, j;
	const json_t *pl, *in;
	json_array_foreach(plugins, i, pl)
	{
		if (!json_is_object(pl))
			return r1_fail(why, R1_ERR_INVAL, "%s: PLUGINS[%zu] must be an object",
			               origin, i);
		const json_t *sig = json_object_get(pl, K_SIGNATURE);
		if (!json_is_string(sig) || !name_ok(json_string_value(sig)))
			return r1_fail(why, R1_ERR_INVAL, "%s: PLUGINS[%zu]: missing SIGNATURE",
			               origin, i);
		const json_t *insts = json_object_get(pl, K_INSTANCES);
		if (!json_is_array(insts) || json_array_size(insts) == 0)
			return r1_fail(why, R1_ERR_INVAL,
			               "%s: PLUGINS[%zu]: INSTANCES must be a non-empty list",
			               origin, i);
		json_array_foreach(insts, j, in)
		{
			const json_t *iid = json_object_get(in, K_INSTANCE_ID);
			if (!json_is_object(in))
				return r1_fail(why, R1_ERR_INVAL,
				               "%s: PLUGINS[%zu].INSTANCES[%zu] must be an object",
				               origin, i, j);
			if (!json_is_string(iid) || !name_ok(json_string_value(iid)))
				return r1_fail(
				    why, R1_ERR_INVAL,
				    "%s: PLUGINS[%zu].INSTANCES[%zu]: missing INSTANCE_ID", origin,
				    i, j);
		}
	}
	return R1_OK;
}

enum r1_err deploy_job_parse(const char *text, size_t len, const char *origin,
                             struct deploy_job *out, char **why)
{
	memset(out, 0, sizeof(*out));
	json_error_t err;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		return r1_fail(why, R1_ERR_INVAL, "%s:%d:%d: invalid JSON: %s", origin, err.line,
		               err.column, err.text);
	enum r1_err e = R1_OK;
	if (!json_is_object(root)) {
		e = r1_fail(why, R1_ERR_INVAL, "%s: the job must be a JSON object", origin);
		goto fail;
	}
	const json_t *name = json_object_get(root, K_NAME);
	if (!json_is_string(name) || !name_ok(json_string_value(name))) {
		e = r1_fail(why, R1_ERR_INVAL,
		            "%s: missing NAME (the pipeline's name, 1-64 characters, no '/')",
		            origin);
		goto fail;
	}
	const json_t *type = json_object_get(root, K_TYPE);
	if (!json_is_string(type) || !json_string_length(type)) {
		e = r1_fail(why, R1_ERR_INVAL, "%s: missing TYPE (the data source, e.g. \"Void\")",
		            origin);
		goto fail;
	}
	if ((e = check_plugins(json_object_get(root, K_PLUGINS), origin, why)))
		goto fail;
	const json_t *targets = json_object_get(root, "TARGETS");
	if (!json_is_array(targets) || json_array_size(targets) == 0) {
		e = r1_fail(why, R1_ERR_INVAL,
		            "%s: missing TARGETS (a list of node aliases or addresses)", origin);
		goto fail;
	}
	if (json_array_size(targets) > DEPLOY_TARGETS_MAX) {
		e = r1_fail(why, R1_ERR_INVAL, "%s: more than %d TARGETS", origin,
		            DEPLOY_TARGETS_MAX);
		goto fail;
	}
	out->targets = r1_calloc(json_array_size(targets), sizeof(char *));
	out->name = r1_strdup(json_string_value(name));
	if (!out->targets || !out->name) {
		e = r1_fail(why, R1_ERR_NOMEM, "out of memory");
		goto fail;
	}
	size_t i;
	const json_t *t;
	json_array_foreach(targets, i, t)
	{
		const char *s = json_is_string(t) ? json_string_value(t) : NULL;
		if (!s || !*s) {
			e = r1_fail(why, R1_ERR_INVAL,
			            "%s: TARGETS[%zu] must be a node alias or address", origin, i);
			goto fail;
		}
		uint8_t pub[R1_PUB_LEN];
		if (strncmp(s, R1_ADDR_PREFIX, 5) == 0 ||
		    strncmp(s, R1_ADDR_PREFIX_LEGACY, 5) == 0) {
			char *r = NULL;
			if (addr_parse(s, strlen(s), pub, &r)) {
				e = r1_fail(
				    why, R1_ERR_INVAL,
				    "%s: TARGETS[%zu]: '%s' is not a valid node address (%s)",
				    origin, i, s, r ? r : "");
				r1_free(r);
				goto fail;
			}
		} else if (!name_ok(s)) {
			e = r1_fail(why, R1_ERR_INVAL, "%s: TARGETS[%zu]: '%s' is not a node alias",
			            origin, i, s);
			goto fail;
		}
		for (size_t k = 0; k < out->n_targets; k++)
			if (strcmp(out->targets[k], s) == 0) {
				e = r1_fail(why, R1_ERR_INVAL,
				            "%s: TARGETS[%zu]: '%s' is listed twice", origin, i, s);
				goto fail;
			}
		if (!(out->targets[out->n_targets] = r1_strdup(s))) {
			e = r1_fail(why, R1_ERR_NOMEM, "out of memory");
			goto fail;
		}
		out->n_targets++;
	}
	if (json_object_del(root, "TARGETS")) {
		e = r1_fail(why, R1_ERR_NOMEM, "out of memory");
		goto fail;
	}
	out->config = root;
	return R1_OK;
fail:
	json_decref(root);
	deploy_job_release(out);
	return e;
}

enum r1_err deploy_job_load(const char *path, struct deploy_job *out, char **why)
{
	memset(out, 0, sizeof(*out));
	char *text = NULL;
	size_t len = 0;
	enum r1_err e = paths_read_file(path, DEPLOY_FILE_MAX, &text, &len, why);
	if (e)
		return e;
	e = deploy_job_parse(text, len, path, out, why);
	r1_free(text);
	return e;
}
