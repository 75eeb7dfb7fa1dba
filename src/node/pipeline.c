/*
 * Pipeline config checks and NetworkListener filters (see pipeline.h).
 */
#include "node/lib.h"
#include "node/pipeline.h"
#include "node/cmdwhitelist.h"
#include "node/pluginhost.h"
#include "core/proto.h"

#include <strings.h>

static const char *const supported_types[] = {
    PIPELINE_TYPE_VOID,
    PIPELINE_TYPE_NETWORK_LISTENER,
    "IotQueueListener",
};

bool pipeline_type_supported(const char *type)
{
	for (size_t i = 0; type && i < R1_ARRAY_LEN(supported_types); i++)
		if (strcasecmp(type, supported_types[i]) == 0)
			return true;
	return false;
}

bool pipeline_type_is_listener(const char *type)
{
	return type && (strcasecmp(type, PIPELINE_TYPE_NETWORK_LISTENER) == 0 ||
	                strcasecmp(type, "IotQueueListener") == 0);
}

/* Signatures of the reference we know and refuse, and why. */
static const struct {
	const char *signature;
	const char *reason;
} unsupported[] = {
    {"CUSTOM_EXEC_01", "executes Python; not supported by this node"},
    {"REST_CUSTOM_EXEC_01", "executes Python; not supported by this node"},
    {"CODE_EXECUTOR", "executes Python; not supported by this node"},
    {"CUSTOM_CODE_FASTAPI_01", "executes Python; not supported by this node"},
    {"FAST_API_WEB_APP", "serves a Python FastAPI app; not supported by this node"},
    {"GENERIC_WEB_APP", "serves a Python web app; not supported by this node"},
    {"CONTAINER_APP_RUNNER", "runs containers; not supported by this node"},
    {"WORKER_APP_RUNNER", "runs containers; not supported by this node"},
    {"ADMIN_CONTAINER_APP_RUNNER", "runs containers; not supported by this node"},
    {"NODE_JS_WEB_APP", "runs Node.js; not supported by this node"},
    {"LLM_INFERENCE_API", "needs a Python model server; not supported by this node"},
};

const char *pipeline_unsupported_reason(const char *signature)
{
	for (size_t i = 0; signature && i < R1_ARRAY_LEN(unsupported); i++)
		if (strcasecmp(signature, unsupported[i].signature) == 0)
			return unsupported[i].reason;
	return NULL;
}

static void warn(json_t *warnings, const char *fmt, ...) R1_PRINTF(2, 3);
static void warn(json_t *warnings, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(warnings, json_string(msg));
}

static bool in_string_list(const json_t *list, const char *s)
{
	size_t i;
	const json_t *v;
	json_array_foreach(list, i, v) if (json_is_string(v) &&
	                                   strcasecmp(json_string_value(v), s) == 0) return true;
	return false;
}

/* One plugin entry, cleaned; NULL (with a warning) when it is dropped. */
static json_t *clean_plugin(const json_t *plugin, const char *name, const char *seed,
                            json_t *warnings, size_t pos)
{
	const char *sig = json_string_value(json_object_get(plugin, K_SIGNATURE));
	if (!json_is_object(plugin) || !sig || !*sig) {
		warn(warnings,
		     "WARNING! 'SIGNATURE' not configured for plugin %zu in pipeline `%s`. "
		     "Dropping plugin",
		     pos, name);
		return NULL;
	}
	json_t *insts = json_object_get(plugin, K_INSTANCES);
	json_t *kept = json_array();
	json_t *out = json_deep_copy((json_t *)plugin);
	if (!kept || !out) {
		json_decref(kept);
		json_decref(out);
		return NULL;
	}
	size_t i;
	json_t *inst;
	json_array_foreach(insts, i, inst)
	{
		if (!json_is_object(inst)) {
			warn(warnings,
			     "WARNING! instance %zu of `%s` in `%s` is not an object. Dropping", i,
			     sig, name);
			continue;
		}
		json_t *c = json_deep_copy(inst);
		if (!c)
			continue;
		const char *iid = json_string_value(json_object_get(c, K_INSTANCE_ID));
		if (!iid || !*iid) {
			char gen[96];
			snprintf(gen, sizeof(gen), "%s_%zu", seed, i);
			json_object_set_new(c, K_INSTANCE_ID, json_string(gen));
			iid = json_string_value(json_object_get(c, K_INSTANCE_ID));
		}
		bool dup = false;
		size_t j;
		json_t *k;
		json_array_foreach(
		    kept, j, k) if (strcmp(json_string_value(json_object_get(k, K_INSTANCE_ID)),
		                           iid) == 0) dup = true;
		if (dup) {
			warn(warnings,
			     "WARNING! Instance id %s already existing for plugin `%s` pipeline "
			     "`%s`. "
			     "Keeping just the first one",
			     iid, sig, name);
			json_decref(c);
			continue;
		}
		json_array_append_new(kept, c);
	}
	if (json_array_size(kept) == 0) {
		warn(warnings,
		     "WARNING! 'INSTANCES' not configured for plugin `%s` in pipeline `%s`. "
		     "Dropping plugin",
		     sig, name);
		json_decref(kept);
		json_decref(out);
		return NULL;
	}
	json_object_set_new(out, K_INSTANCES, kept);
	return out;
}

enum r1_err pipeline_clean(const json_t *config, const struct pluginhost *host,
                           const char *instance_id_seed, json_t **cleaned, json_t **warnings,
                           char **why)
{
	if (!json_is_object(config))
		return r1_fail(why, R1_ERR_INVAL, "pipeline config is not an object");
	const char *name = json_string_value(json_object_get(config, K_NAME));
	if (!name || !*name)
		return r1_fail(why, R1_ERR_INVAL, "pipeline config without a NAME");
	const char *type = json_string_value(json_object_get(config, K_TYPE));
	if (!type)
		return r1_fail(why, R1_ERR_INVAL,
		               "'TYPE' not configured for pipeline `%s`. Dropping pipeline", name);
	if (!pipeline_type_supported(type))
		return r1_fail(why, R1_ERR_INVAL,
		               "pipeline `%s`: TYPE '%s' is not supported by this node (Void, "
		               "NetworkListener)",
		               name, type);
	json_t *plugins = json_object_get(config, K_PLUGINS);
	if (plugins && !json_is_array(plugins) && !json_is_null(plugins))
		return r1_fail(why, R1_ERR_INVAL, "pipeline `%s`: PLUGINS is not a list", name);
	json_t *allowed = json_object_get(config, "ALLOWED_PLUGINS");
	bool restrict_plugins = json_is_array(allowed) && json_array_size(allowed) > 0;

	json_t *w = json_array();
	json_t *out = json_deep_copy((json_t *)config);
	json_t *kept = json_array();
	if (!w || !out || !kept)
		goto nomem;
	size_t i;
	json_t *plugin;
	json_array_foreach(plugins, i, plugin)
	{
		json_t *p = clean_plugin(plugin, name, instance_id_seed, w, i);
		if (!p)
			continue;
		const char *sig = json_string_value(json_object_get(p, K_SIGNATURE));
		if (restrict_plugins && !in_string_list(allowed, sig)) {
			warn(w,
			     "WARNING! plugin `%s` not allowed for pipeline `%s` (%s). Dropping "
			     "plugin",
			     sig, name, type);
			json_decref(p);
			continue;
		}
		bool dup = false;
		size_t j;
		json_t *k;
		json_array_foreach(
		    kept, j, k) if (strcasecmp(json_string_value(json_object_get(k, K_SIGNATURE)),
		                               sig) == 0) dup = true;
		if (dup) {
			warn(w,
			     "WARNING! plugin `%s` already exists for pipeline `%s`. Keeping just "
			     "the first one",
			     sig, name);
			json_decref(p);
			continue;
		}
		if (!pluginhost_find(host, sig)) {
			const char *reason = pipeline_unsupported_reason(sig);
			enum r1_err e;
			if (reason)
				e = r1_fail(why, R1_ERR_INVAL, "pipeline `%s`: plugin %s %s", name,
				            sig, reason);
			else
				e = r1_fail(
				    why, R1_ERR_INVAL,
				    "pipeline `%s`: no plugin with signature %s on this node", name,
				    sig);
			json_decref(p);
			json_decref(w);
			json_decref(out);
			json_decref(kept);
			return e;
		}
		json_array_append_new(kept, p);
	}
	json_object_set_new(out, K_PLUGINS, kept);
	*cleaned = out;
	*warnings = w;
	return R1_OK;
nomem:
	json_decref(w);
	json_decref(out);
	json_decref(kept);
	return r1_fail(why, R1_ERR_NOMEM, "out of memory");
}

static bool element_matches(const json_t *filter, const json_t *value)
{
	if (!filter || json_is_null(filter))
		return true;
	const char *v = json_string_value(value);
	if (json_is_string(filter))
		return v && strcasecmp(json_string_value(filter), v) == 0;
	if (json_is_array(filter)) {
		size_t i;
		const json_t *f;
		json_array_foreach(filter, i, f)
		{
			if (json_is_string(f) && v && strcasecmp(json_string_value(f), v) == 0)
				return true;
			if (json_is_null(f) && (!value || json_is_null(value)))
				return true;
		}
		return false;
	}
	/* a number or a bool in a filter: Python compares it to the element */
	return json_equal((json_t *)filter, (json_t *)value);
}

bool pipeline_path_matches(const json_t *filter, const json_t *path)
{
	if (!json_is_array(filter))
		return true;
	for (size_t i = 0; i < 4; i++) {
		const json_t *f = json_array_get(filter, i);
		const json_t *v = json_is_array(path) ? json_array_get(path, i) : NULL;
		if (!element_matches(f, v))
			return false;
	}
	return true;
}

bool pipeline_listener_accepts(const json_t *pipeline_config, const json_t *payload,
                               const char *own_addr)
{
	if (json_is_true(json_object_get(pipeline_config, "FILTER_BY_DESTINATION"))) {
		const json_t *dest = json_object_get(payload, K_EE_DEST);
		bool named = false, any = false;
		if (json_is_string(dest)) {
			any = json_string_length(dest) > 0;
			named = strcasecmp(json_string_value(dest), own_addr) == 0;
		} else if (json_is_array(dest)) {
			size_t i;
			const json_t *d;
			json_array_foreach(dest, i, d)
			{
				any = true;
				if (json_is_string(d) &&
				    strcasecmp(json_string_value(d), own_addr) == 0)
					named = true;
			}
		}
		if (any && !named)
			return false;
	}
	if (!pipeline_path_matches(json_object_get(pipeline_config, K_PATH_FILTER),
	                           json_object_get(payload, K_EE_PAYLOAD_PATH)))
		return false;
	const json_t *mf = json_object_get(pipeline_config, K_MESSAGE_FILTER);
	if (json_is_object(mf) && json_object_size(mf) > 0 && !cmdwhitelist_match(payload, mf))
		return false;
	return true;
}

json_t *pipeline_find_instance(const json_t *config, const char *signature, const char *instance_id)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(config, K_PLUGINS), i, p)
	{
		const char *sig = json_string_value(json_object_get(p, K_SIGNATURE));
		if (!sig || strcasecmp(sig, signature) != 0)
			continue;
		size_t j;
		json_t *inst;
		json_array_foreach(json_object_get(p, K_INSTANCES), j, inst)
		{
			const char *iid = json_string_value(json_object_get(inst, K_INSTANCE_ID));
			if (iid && strcmp(iid, instance_id) == 0)
				return inst;
		}
	}
	return NULL;
}
