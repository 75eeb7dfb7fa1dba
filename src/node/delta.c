/*
 * Config deltas (see delta.h).  The reference walks "A.B" paths in place on
 * a deep copy; where it would raise (a path through a string), we refuse
 * the delta with the key in the reason.
 */
#include "node/lib.h"
#include "node/delta.h"

static bool ignored(const char *key, const char *const *ignore)
{
	for (; ignore && *ignore; ignore++)
		if (strcmp(key, *ignore) == 0)
			return true;
	return false;
}

static enum r1_err set_nested(json_t *config, const char *path, json_t *value, char **why)
{
	json_t *cur = config;
	const char *seg = path;
	for (;;) {
		const char *dot = strchr(seg, '.');
		size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
		char *key = r1_strndup(seg, len);
		if (!key)
			return r1_fail(why, R1_ERR_NOMEM, "delta: out of memory");
		if (!dot) {
			int rc = json_object_set(cur, key, value);
			r1_free(key);
			return rc ? r1_fail(why, R1_ERR_NOMEM, "delta: out of memory") : R1_OK;
		}
		json_t *next = json_object_get(cur, key);
		if (!next) {
			next = json_object();
			if (!next || json_object_set_new(cur, key, next)) {
				r1_free(key);
				return r1_fail(why, R1_ERR_NOMEM, "delta: out of memory");
			}
		} else if (!json_is_object(next)) {
			r1_free(key);
			return r1_fail(why, R1_ERR_INVAL,
			               "delta: key '%s' goes through a value that is not an object",
			               path);
		}
		r1_free(key);
		cur = next;
		seg = dot + 1;
	}
}

enum r1_err delta_apply(const json_t *config, const json_t *delta, const char *const *ignore,
                        json_t **out, char **why)
{
	if (!json_is_object(config) || !json_is_object(delta))
		return r1_fail(why, R1_ERR_INVAL, "delta: config and delta must be objects");
	json_t *proposed = json_deep_copy((json_t *)config);
	if (!proposed)
		return r1_fail(why, R1_ERR_NOMEM, "delta: out of memory");
	const char *key;
	json_t *value;
	json_object_foreach((json_t *)delta, key, value)
	{
		if (ignored(key, ignore))
			continue;
		enum r1_err e;
		if (!strchr(key, '.')) {
			e = json_object_set(proposed, key, value)
			        ? r1_fail(why, R1_ERR_NOMEM, "delta: out of memory")
			        : R1_OK;
		} else {
			const char *p = key;
			bool empty_seg = key[0] == '.';
			for (; *p; p++)
				if (*p == '.' && (p[1] == '.' || p[1] == '\0'))
					empty_seg = true;
			e = empty_seg ? r1_fail(why, R1_ERR_INVAL,
			                        "delta: key '%s' has an empty path segment", key)
			              : set_nested(proposed, key, value, why);
		}
		if (e) {
			json_decref(proposed);
			return e;
		}
	}
	/* the values set above are shared with the delta: copy them apart */
	json_t *result = json_deep_copy(proposed);
	json_decref(proposed);
	if (!result)
		return r1_fail(why, R1_ERR_NOMEM, "delta: out of memory");
	*out = result;
	return R1_OK;
}
