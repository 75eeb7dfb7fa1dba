/*
 * The plugin config schemas in data/plugins/ follow the format of
 * data/plugins/README.md: each file parses, names its signature after its
 * file, has every required top-level key, and every property (and every
 * command parameter) has a known type, a title, a description and a
 * default that satisfies its own type, range, enum, length and item rules.
 * A broken schema would give the deployment wizard a form it cannot fill.
 */
#include "node/lib.h"
#include "node/plugins/plugins.h"
#include "tests/tap.h"

#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>

static const char *const known_types[] = {"string", "integer", "number", "boolean",
                                          "array",  "object",  "null"};

static bool known_type(const char *t)
{
	for (size_t i = 0; i < R1_ARRAY_LEN(known_types); i++)
		if (strcmp(t, known_types[i]) == 0)
			return true;
	return false;
}

/* Does v have JSON type t (integer counts as number)? */
static bool has_type(const json_t *v, const char *t)
{
	if (strcmp(t, "string") == 0)
		return json_is_string(v);
	if (strcmp(t, "integer") == 0)
		return json_is_integer(v);
	if (strcmp(t, "number") == 0)
		return json_is_number(v);
	if (strcmp(t, "boolean") == 0)
		return json_is_boolean(v);
	if (strcmp(t, "array") == 0)
		return json_is_array(v);
	if (strcmp(t, "object") == 0)
		return json_is_object(v);
	return strcmp(t, "null") == 0 && json_is_null(v);
}

/* Check one value against a property's rules; a message on failure. */
static bool value_ok(const json_t *prop, const json_t *v, char *msg, size_t cap)
{
	const json_t *type = json_object_get(prop, "type");
	bool typed = false;
	if (json_is_string(type))
		typed = has_type(v, json_string_value(type));
	for (size_t i = 0; json_is_array(type) && i < json_array_size(type); i++)
		typed |= has_type(v, json_string_value(json_array_get(type, i)));
	if (!typed) {
		snprintf(msg, cap, "default has the wrong type");
		return false;
	}
	if (json_is_null(v))
		return true;
	const json_t *min = json_object_get(prop, "minimum"),
	             *max = json_object_get(prop, "maximum");
	const json_t *xmin = json_object_get(prop, "exclusiveMinimum");
	if (json_is_number(v)) {
		double d = json_number_value(v);
		if ((min && d < json_number_value(min)) || (max && d > json_number_value(max)) ||
		    (xmin && d <= json_number_value(xmin))) {
			snprintf(msg, cap, "default %g outside its range", d);
			return false;
		}
	}
	const json_t *en = json_object_get(prop, "enum");
	if (en) {
		bool found = false;
		for (size_t i = 0; i < json_array_size(en); i++)
			found |= json_equal(json_array_get(en, i), (json_t *)v);
		if (!found) {
			snprintf(msg, cap, "default not in enum");
			return false;
		}
	}
	const json_t *ml = json_object_get(prop, "maxLength");
	if (ml && json_is_string(v) &&
	    (json_int_t)strlen(json_string_value(v)) > json_integer_value(ml)) {
		snprintf(msg, cap, "default longer than maxLength");
		return false;
	}
	const json_t *mi = json_object_get(prop, "maxItems");
	if (mi && json_is_array(v) && (json_int_t)json_array_size(v) > json_integer_value(mi)) {
		snprintf(msg, cap, "default has more than maxItems");
		return false;
	}
	const json_t *items = json_object_get(prop, "items");
	for (size_t i = 0; items && json_is_array(v) && i < json_array_size(v); i++) {
		const json_t *it = json_object_get(items, "type");
		if (!json_is_string(it) || !has_type(json_array_get(v, i), json_string_value(it))) {
			snprintf(msg, cap, "default item %zu has the wrong type", i);
			return false;
		}
	}
	return true;
}

/* Every rule of README.md for one property; returns the number of problems. */
static int check_property(const char *where, const char *key, const json_t *prop)
{
	char msg[200] = "";
	int bad = 0;
	for (const char *c = key; *c; c++)
		if (islower((unsigned char)*c))
			bad++;
	const json_t *type = json_object_get(prop, "type");
	bool type_ok = json_is_string(type) && known_type(json_string_value(type));
	if (json_is_array(type)) {
		type_ok = json_array_size(type) == 2;
		for (size_t i = 0; i < json_array_size(type); i++)
			type_ok &= json_is_string(json_array_get(type, i)) &&
			           known_type(json_string_value(json_array_get(type, i)));
	}
	const json_t *title = json_object_get(prop, "title"),
	             *desc = json_object_get(prop, "description");
	bool texts = json_is_string(title) && json_string_length(title) > 0 &&
	             json_is_string(desc) && json_string_length(desc) > 0;
	const json_t *dflt = json_object_get(prop, "default");
	bool has_default = dflt != NULL;
	bool v = type_ok && has_default && value_ok(prop, dflt, msg, sizeof(msg));
	const json_t *items = json_object_get(prop, "items");
	bool arrays = true;
	if (json_is_string(type) && strcmp(json_string_value(type), "array") == 0)
		arrays = json_is_object(items);
	bad += !type_ok + !texts + !has_default + !v + !arrays;
	ok(bad == 0, "%s %s: upper-case key, type, title, description, valid default%s%s", where,
	   key, msg[0] ? ": " : "", msg);
	return bad;
}

static void check_file(const char *dir, const char *name)
{
	char path[2048];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	json_error_t err;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	ok(doc != NULL, "%s parses%s%s", name, doc ? "" : ": ", doc ? "" : err.text);
	if (!doc)
		return;
	const char *sig = json_string_value(json_object_get(doc, "signature"));
	char want[128];
	snprintf(want, sizeof(want), "%s", name);
	want[strcspn(want, ".")] = '\0';
	for (char *c = want; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	is_str(sig, want, "%s: signature matches the file name", name);
	ok(json_is_string(json_object_get(doc, "version")) &&
	       json_is_string(json_object_get(doc, "title")) &&
	       json_string_length(json_object_get(doc, "description")) > 20,
	   "%s: version, title, description", name);
	is_str(json_string_value(json_object_get(doc, "type")), "object", "%s: type object", name);
	const json_t *props = json_object_get(doc, "properties");
	ok(json_is_object(props) && json_object_size(props) > 0, "%s: has properties", name);
	const char *key;
	const json_t *prop;
	json_object_foreach((json_t *)props, key, prop) check_property(name, key, prop);
	const json_t *req = json_object_get(doc, "required");
	for (size_t i = 0; req && i < json_array_size(req); i++)
		ok(json_object_get(props, json_string_value(json_array_get(req, i))) != NULL,
		   "%s: required key %s is a property", name,
		   json_string_value(json_array_get(req, i)));
	const json_t *cmds = json_object_get(doc, "x-commands"), *cmd;
	json_object_foreach((json_t *)cmds, key, cmd)
	{
		char where[160];
		snprintf(where, sizeof(where), "%s command %s", name, key);
		ok(json_string_length(json_object_get(cmd, "description")) > 0 &&
		       json_is_object(json_object_get(cmd, "params")),
		   "%s: description and params", where);
		const char *pk;
		const json_t *pp;
		json_object_foreach(json_object_get(cmd, "params"), pk, pp)
		    check_property(where, pk, pp);
	}
	json_decref(doc);
}

/* The plugins whose schemas live here, to compare defaults. */
static const struct plugin_ops *const compute_plugins[] = {
    &plugin_blas_bench_01,
    &plugin_matmul_job_01,
    &plugin_vector_search_01,
    &plugin_chain_dist_worker_01,
    &plugin_chain_dist_master_01,
};

/*
 * Every key of the plugin's built-in defaults is a property whose schema
 * default is the same value, and every property has a built-in default.
 */
static void check_defaults(const char *dir, const struct plugin_ops *ops)
{
	char path[2048], name[64];
	snprintf(name, sizeof(name), "%s", ops->schema);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	json_t *doc = json_load_file(path, 0, NULL);
	json_t *dflt = json_loads(ops->defaults, 0, NULL);
	ok(doc && dflt, "%s: schema %s and defaults parse", ops->signature, ops->schema);
	const json_t *props = json_object_get(doc, "properties");
	const char *k;
	json_t *v;
	int bad = 0;
	json_object_foreach(dflt, k, v)
	{
		const json_t *sd = json_object_get(json_object_get(props, k), "default");
		bool same =
		    sd && (json_equal(sd, v) || (json_is_number(sd) && json_is_number(v) &&
		                                 json_number_value(sd) == json_number_value(v)));
		if (!same) {
			tap_diag("%s: default of %s differs from the schema's", ops->signature, k);
			bad++;
		}
	}
	json_object_foreach((json_t *)props, k, v) if (!json_object_get(dflt, k))
	{
		tap_diag("%s: schema key %s has no built-in default", ops->signature, k);
		bad++;
	}
	is_int(bad, 0, "%s: built-in defaults equal the schema's", ops->signature);
	json_decref(doc);
	json_decref(dflt);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	const char *src = getenv("R1_SRCDIR");
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/data/plugins", src ? src : R1_SRCDIR);
	DIR *d = opendir(dir);
	if (!d)
		tap_bail("cannot open %s", dir);
	char *names[64];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < R1_ARRAY_LEN(names)) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	static const char *const expected[] = {"blas_bench_01.json", "chain_dist_master_01.json",
	                                       "chain_dist_worker_01.json", "matmul_job_01.json",
	                                       "vector_search_01.json"};
	for (size_t i = 0; i < R1_ARRAY_LEN(expected); i++) {
		bool found = false;
		for (size_t j = 0; j < n; j++)
			found |= strcmp(names[j], expected[i]) == 0;
		ok(found, "schema %s present", expected[i]);
	}
	for (size_t i = 0; i < n; i++) {
		check_file(dir, names[i]);
		free(names[i]);
	}
	for (size_t i = 0; i < R1_ARRAY_LEN(compute_plugins); i++)
		check_defaults(dir, compute_plugins[i]);
	return tap_done();
}
