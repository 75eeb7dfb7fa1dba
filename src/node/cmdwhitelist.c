/*
 * whitelist_commands.json and the SDK's template matching (see
 * cmdwhitelist.h).  The matcher walks with an explicit depth limit instead
 * of the Python code's stack of pairs; the answers are the same for any
 * input of sane depth.
 */
#include "node/lib.h"
#include "node/cmdwhitelist.h"
#include "core/proto.h"
#include "core/paths.h"

#define CMDWL_MAX_FILE  (1u * 1024u * 1024u)
#define CMDWL_MAX_DEPTH 64

json_t *cmdwhitelist_default(void)
{
	return json_pack("[{s:s},{s:s}]", K_ACTION, ACT_FULL_HEARTBEAT, K_ACTION,
	                 ACT_TIMERS_ONLY_HEARTBEAT);
}

static enum r1_err write_default(const char *path, char **why)
{
	json_t *d = cmdwhitelist_default();
	char *text = d ? json_dumps(d, JSON_INDENT(2)) : NULL;
	json_decref(d);
	if (!text)
		return r1_fail(why, R1_ERR_NOMEM, "%s: out of memory", path);
	enum r1_err e = paths_write_atomic(path, text, strlen(text), 0644, why);
	free(text);
	return e;
}

enum r1_err cmdwhitelist_reset(const char *path, char **why)
{
	return write_default(path, why);
}

enum r1_err cmdwhitelist_load(const char *path, json_t **out, char **why)
{
	char *text = NULL;
	size_t len = 0;
	char *err = NULL;
	enum r1_err e = paths_read_file(path, CMDWL_MAX_FILE, &text, &len, &err);
	if (e && e != R1_ERR_NOTFOUND && why) {
		r1_free(*why);
		*why = err;
		err = NULL;
	}
	r1_free(err);
	if (e == R1_ERR_NOTFOUND) {
		e = write_default(path, why);
		if (e)
			return e;
		*out = cmdwhitelist_default();
		return *out ? R1_OK : r1_fail(why, R1_ERR_NOMEM, "%s: out of memory", path);
	}
	if (e)
		return e;
	json_error_t jerr;
	json_t *v = json_loadb(text, len, 0, &jerr);
	r1_free(text);
	if (!json_is_array(v)) {
		json_decref(v);
		return r1_fail(why, R1_ERR_INVAL, "%s: not a JSON list (%s)", path,
		               v ? "other type" : jerr.text);
	}
	size_t i;
	json_t *t;
	json_array_foreach(v, i, t)
	{
		if (!json_is_object(t)) {
			json_decref(v);
			return r1_fail(why, R1_ERR_INVAL, "%s: item %zu is not an object", path, i);
		}
	}
	*out = v;
	return R1_OK;
}

static bool match_value(const json_t *data, const json_t *tmpl, int depth);

/* Python's == for JSON values: numbers (and booleans, which are 0 and 1 in
 * Python) compare by value; everything else as jansson does. */
static bool as_number(const json_t *v, double *x)
{
	if (json_is_integer(v))
		*x = (double)json_integer_value(v);
	else if (json_is_real(v))
		*x = json_real_value(v);
	else if (json_is_true(v))
		*x = 1;
	else if (json_is_false(v))
		*x = 0;
	else
		return false;
	return true;
}

static bool py_equal(const json_t *a, const json_t *b)
{
	double x, y;
	if (as_number(a, &x) && as_number(b, &y)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		return x == y;
	}
	return json_equal((json_t *)a, (json_t *)b);
}

static bool match_list(const json_t *data, const json_t *tmpl, int depth)
{
	size_t i;
	const json_t *ti;
	json_array_foreach(tmpl, i, ti)
	{
		bool matched = false;
		size_t j;
		const json_t *di;
		json_array_foreach(data, j, di)
		{
			/* The SDK pairs a template dict (or list) with the first data
			 * item of the same kind and checks it later, without trying
			 * the others; do the same. */
			if ((json_is_object(ti) && json_is_object(di)) ||
			    (json_is_array(ti) && json_is_array(di))) {
				if (!match_value(di, ti, depth + 1))
					return false;
				matched = true;
				break;
			}
			if (py_equal(ti, di)) {
				matched = true;
				break;
			}
		}
		if (!matched)
			return false;
	}
	return true;
}

static bool match_object(const json_t *data, const json_t *tmpl, int depth)
{
	const char *key;
	const json_t *tv;
	json_object_foreach((json_t *)tmpl, key, tv)
	{
		const json_t *dv = json_object_get(data, key);
		if (!dv)
			return false;
		if (json_is_object(tv)) {
			if (!json_is_object(dv) || !match_object(dv, tv, depth + 1))
				return false;
		} else if (json_is_array(tv)) {
			if (!json_is_array(dv) || !match_list(dv, tv, depth + 1))
				return false;
		} else if (!py_equal(dv, tv)) {
			return false;
		}
	}
	return true;
}

static bool match_value(const json_t *data, const json_t *tmpl, int depth)
{
	if (depth > CMDWL_MAX_DEPTH)
		return false;
	if (json_is_object(tmpl))
		return json_is_object(data) && match_object(data, tmpl, depth);
	if (json_is_array(tmpl))
		return json_is_array(data) && match_list(data, tmpl, depth);
	return py_equal(data, tmpl);
}

bool cmdwhitelist_match(const json_t *command, const json_t *tmpl)
{
	return match_value(command, tmpl, 0);
}

bool cmdwhitelist_any(const json_t *templates, const json_t *command)
{
	size_t i;
	const json_t *t;
	json_array_foreach(templates, i, t) if (cmdwhitelist_match(command, t)) return true;
	return false;
}
