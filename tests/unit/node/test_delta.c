/*
 * Config deltas (a table of cases: top-level replacement, PLUGINS replaced
 * whole, dotted keys, ignored keys, refusals that leave the config alone)
 * and pipeline persistence in node.db (put, replace, delete, archive,
 * reload, unreadable rows skipped).
 */
#include "node/lib.h"
#include "node/delta.h"
#include "node/pipestore.h"
#include "core/db.h"
#include "tests/tap.h"
#include "core/paths.h"

#include <jansson.h>

static json_t *J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
	if (!v)
		tap_bail("bad test JSON %s: %s", text, e.text);
	return v;
}

struct delta_case {
	const char *name;
	const char *config;
	const char *delta;
	const char *want; /* NULL: refused */
};

static const struct delta_case cases[] = {
    {"empty delta", "{\"A\":1}", "{}", "{\"A\":1}"},
    {"new key", "{\"A\":1}", "{\"B\":2}", "{\"A\":1,\"B\":2}"},
    {"top-level key replaced", "{\"A\":{\"X\":1,\"Y\":2}}", "{\"A\":{\"X\":3}}",
     "{\"A\":{\"X\":3}}"},
    {"PLUGINS replaces the whole list",
     "{\"NAME\":\"p\",\"PLUGINS\":[{\"SIGNATURE\":\"A\",\"INSTANCES\":[{\"INSTANCE_ID\":\"a\"}]},"
     "{\"SIGNATURE\":\"B\",\"INSTANCES\":[]}]}",
     "{\"PLUGINS\":[{\"SIGNATURE\":\"C\",\"INSTANCES\":[{\"INSTANCE_ID\":\"c\"}]}]}",
     "{\"NAME\":\"p\",\"PLUGINS\":[{\"SIGNATURE\":\"C\",\"INSTANCES\":[{\"INSTANCE_ID\":\"c\"}]}]"
     "}"},
    {"dotted key sets a nested value", "{\"A\":{\"B\":1,\"C\":2}}", "{\"A.B\":5}",
     "{\"A\":{\"B\":5,\"C\":2}}"},
    {"dotted key creates objects", "{}", "{\"A.B.C\":true}", "{\"A\":{\"B\":{\"C\":true}}}"},
    {"dotted key, three levels, existing", "{\"A\":{\"B\":{\"C\":1,\"D\":2}}}", "{\"A.B.C\":[1,2]}",
     "{\"A\":{\"B\":{\"C\":[1,2],\"D\":2}}}"},
    {"dotted and plain keys together", "{\"A\":{\"B\":1},\"X\":0}", "{\"X\":1,\"A.C\":2}",
     "{\"A\":{\"B\":1,\"C\":2},\"X\":1}"},
    {"null is a value", "{\"A\":1}", "{\"A\":null}", "{\"A\":null}"},
    {"INSTANCE_ID ignored", "{\"INSTANCE_ID\":\"keep\",\"T\":1}",
     "{\"INSTANCE_ID\":\"other\",\"T\":2}", "{\"INSTANCE_ID\":\"keep\",\"T\":2}"},
    {"dotted key through a string refused", "{\"A\":\"text\"}", "{\"A.B\":1}", NULL},
    {"dotted key through a list refused", "{\"A\":[1]}", "{\"B\":1,\"A.B\":1}", NULL},
    {"empty path segment refused", "{}", "{\"A..B\":1}", NULL},
    {"leading dot refused", "{}", "{\".A\":1}", NULL},
    {"trailing dot refused", "{}", "{\"A.\":1}", NULL},
    {"delta not an object refused", "{}", "[1]", NULL},
};

static void test_delta(void)
{
	static const char *const ignore[] = {"INSTANCE_ID", NULL};
	for (size_t i = 0; i < R1_ARRAY_LEN(cases); i++) {
		const struct delta_case *c = &cases[i];
		json_t *config = J(c->config), *delta = J(c->delta);
		json_t *before = json_deep_copy(config);
		json_t *out = NULL;
		char *why = NULL;
		enum r1_err e = delta_apply(config, delta, ignore, &out, &why);
		if (c->want) {
			json_t *want = J(c->want);
			is_int(e, R1_OK, "%s: applies (%s)", c->name, why ? why : "");
			ok(json_equal(out, want), "%s: result", c->name);
			json_decref(want);
			/* the result shares nothing with the delta */
			json_object_set_new(delta, "EXTRA", json_true());
			ok(!json_object_get(out, "EXTRA"), "%s: independent of the delta", c->name);
		} else {
			ok(e == R1_ERR_INVAL, "%s: refused (%s)", c->name, why ? why : "");
			ok(out == NULL, "%s: no result", c->name);
		}
		ok(json_equal(config, before), "%s: the original config is untouched", c->name);
		json_decref(out);
		json_decref(before);
		json_decref(config);
		json_decref(delta);
		r1_free(why);
	}
}

static void test_pipestore(void)
{
	char *path = paths_join(tap_tmpdir(), "node.db");
	sqlite3 *db = NULL;
	char *why = NULL;
	is_int(db_open(path, &db, &why), R1_OK, "open node.db");
	struct pipestore *ps = pipestore_open(db, &why);
	ok(ps != NULL, "pipestore opens (%s)", why ? why : "");
	is_int(db_schema_version(db, "pipelines"), 1, "schema version 1");

	json_t *all = NULL;
	is_int(pipestore_load_all(ps, &all, NULL, &why), R1_OK, "load from empty");
	is_int(json_array_size(all), 0, "nothing stored");
	json_decref(all);

	json_t *a = J("{\"NAME\":\"a\",\"TYPE\":\"Void\",\"PLUGINS\":[],\"X\":\"\\u0103\"}");
	json_t *b = J("{\"NAME\":\"b\",\"TYPE\":\"Void\",\"PLUGINS\":[]}");
	is_int(pipestore_put(ps, a, &why), R1_OK, "put a");
	is_int(pipestore_put(ps, b, &why), R1_OK, "put b");
	json_object_set_new(a, "X", json_integer(2));
	is_int(pipestore_put(ps, a, &why), R1_OK, "replace a");
	json_t *nameless = J("{\"TYPE\":\"Void\"}");
	is_int(pipestore_put(ps, nameless, &why), R1_ERR_INVAL, "a config without NAME refused");
	json_decref(nameless);

	json_t *got = NULL;
	is_int(pipestore_get(ps, "a", &got, &why), R1_OK, "get a");
	ok(json_equal(got, a), "a reads back as written");
	json_decref(got);
	is_int(pipestore_get(ps, "zz", &got, &why), R1_ERR_NOTFOUND, "missing pipeline");

	is_int(pipestore_archive(ps, a, &why), R1_OK, "archive a");
	is_int(pipestore_get(ps, "a", &got, &why), R1_ERR_NOTFOUND, "a gone after archive");
	json_t *arch = NULL;
	is_int(pipestore_archived(ps, &arch, &why), R1_OK, "list archive");
	is_int(json_array_size(arch), 1, "one archived");
	ok(json_equal(json_object_get(json_array_get(arch, 0), "CONFIG"), a),
	   "archived config kept whole");
	json_decref(arch);

	json_t *c = J("{\"NAME\":\"c\",\"TYPE\":\"Void\"}");
	json_t *bad = J("{\"TYPE\":\"Void\"}");
	json_t *batch[] = {c, bad};
	is_int(pipestore_put_many(ps, batch, 2, &why), R1_ERR_INVAL,
	       "a batch with a bad item fails");
	is_int(pipestore_get(ps, "c", &got, &why), R1_ERR_NOTFOUND, "... and writes none of it");
	is_int(pipestore_put_many(ps, batch, 1, &why), R1_OK, "a good batch");

	/* a row whose text is not a config is skipped on load */
	db_exec(db, "INSERT INTO pipelines(name, config, updated_at) VALUES ('junk', '[1,', 0)",
	        NULL);
	size_t nbad = 0;
	is_int(pipestore_load_all(ps, &all, &nbad, &why), R1_OK, "load all");
	is_int(json_array_size(all), 2, "b and c");
	is_int(nbad, 1, "the junk row counted");
	is_str(json_string_value(json_object_get(json_array_get(all, 0), "NAME")), "b",
	       "ordered by name");
	json_decref(all);

	is_int(pipestore_delete(ps, "b", &why), R1_OK, "delete b");
	is_int(pipestore_delete(ps, "b", &why), R1_OK, "deleting again is fine");
	pipestore_free(&ps);
	db_close(&db);

	/* reopen: state survives */
	is_int(db_open(path, &db, &why), R1_OK, "reopen");
	ps = pipestore_open(db, &why);
	is_int(pipestore_get(ps, "c", &got, &why), R1_OK, "c survives a reopen");
	json_decref(got);
	pipestore_free(&ps);
	db_close(&db);

	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(bad);
	r1_free(path);
	r1_free(why);
}

int main(void)
{
	r1_alloc_setup_jansson();
	test_delta();
	test_pipestore();
	return tap_done();
}
