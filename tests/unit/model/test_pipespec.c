/*
 * pipespec: the SDK's choice between UPDATE_CONFIG and
 * BATCH_UPDATE_PIPELINE_INSTANCE and the payloads it sends, checked against
 * commands.jsonl (A-cmd-001: a new Void pipeline with two instances;
 * A-cmd-003: one instance changed through a deploy), the confirmations each
 * deploy waits for, staging and settling, attach, removal, and bad input.
 */
#include "core/lib.h"
#include "core/pipespec.h"
#include "core/proto.h"
#include "tests/tap.h"

static const char *const K1 = "0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN";

static json_t *vector_payload(const char *id)
{
	char *path = tap_vector_path("commands.jsonl");
	size_t n = 0;
	char **lines = tap_read_lines(path, &n);
	json_t *out = NULL;
	for (size_t i = 0; i < n && !out; i++) {
		json_t *r = json_loads(lines[i], 0, NULL);
		if (r && strcmp(json_string_value(json_object_get(r, "id")), id) == 0)
			out = json_incref(json_object_get(r, "payload"));
		json_decref(r);
	}
	tap_free_lines(lines);
	free(path);
	if (!out)
		tap_bail("no %s", id);
	return out;
}

static char *keys_of(const json_t *o)
{
	struct buf b = BUF_INIT;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) buf_addf(&b, "%s%s", b.len ? "," : "", k);
	return buf_detach(&b, NULL);
}

static void same(const json_t *got, const json_t *want, const char *what)
{
	bool eq = got && want && json_equal((json_t *)got, (json_t *)want);
	ok(eq, "%s", what);
	if (!eq && got) {
		char *s = json_dumps(got, JSON_COMPACT);
		tap_diag("got %s", s);
		free(s);
	}
}

int main(void)
{
	r1_alloc_setup_jansson();
	struct pipespec *p = NULL;
	char *why = NULL;

	/* degenerate */
	is_int(pipespec_new(K1, "", NULL, &p, &why), R1_ERR_INVAL, "no name");
	is_int(pipespec_new("0xai_x", "a", NULL, &p, &why), R1_ERR_INVAL, "bad node address");
	json_t *bad = json_pack("{s:[{s:s}]}", "PLUGINS", "SIGNATURE", "X");
	is_int(pipespec_new(K1, "a", bad, &p, &why), R1_ERR_INVAL, "plugin without INSTANCES");
	is_str(why, "PLUGINS[0]: INSTANCES must be a list", "reason says where");
	json_decref(bad);
	bad =
	    json_pack("{s:[{s:s,s:[{s:s}]}]}", "PLUGINS", "SIGNATURE", "X", "INSTANCES", "A", "b");
	is_int(pipespec_new(K1, "a", bad, &p, &why), R1_ERR_INVAL, "instance without INSTANCE_ID");
	is_str(why, "PLUGINS[0].INSTANCES[0]: missing INSTANCE_ID", "reason says where");
	json_decref(bad);
	ok(p == NULL, "nothing made");

	/* A-cmd-001: create_pipeline(config={CAP_RESOLUTION: 1}, TYPE Void) + two instances */
	json_t *cfg = json_pack("{s:i,s:s}", "CAP_RESOLUTION", 1, "TYPE", "Void");
	is_int(pipespec_new(K1, "vec_a_enc", cfg, &p, &why), R1_OK, "new pipeline");
	json_decref(cfg);
	json_t *i1 = json_loads("{\"PROCESS_DELAY\": 5, \"THRESHOLD\": 0.5, \"LABEL\": "
	                        "\"\\u0103\\u00ee\\u0219\", \"LIMITS\": [1, 2.5, null]}",
	                        0, NULL);
	json_t *i2 = json_pack(
	    "{s:s,s:i}", "CODE",
	    "eNpLSU1TyMnPL4gvKMpPTi0uzsxL1yjIKU3PzNO04lJQKEotLs0pUbBVgIjpZeaVxCcnJmekRqvnqcdiEdd"
	    "LTy3RAMrpKBhoKmgrGILNKCktylOoBopaQQ3UUVDPLU4HctWLE3NKSxSONB9ed2Kmei0XAOdIMQw=",
	    "PROCESS_DELAY", 10);
	is_int(pipespec_add_instance(p, "vec_plugin_01", "vec_inst_enc", i1, &why), R1_OK,
	       "instance one (signature upper-cased)");
	is_int(pipespec_add_instance(p, "CUSTOM_EXEC_01", "vec_code_enc", i2, &why), R1_OK,
	       "instance two");
	is_int(pipespec_add_instance(p, "CUSTOM_EXEC_01", "vec_code_enc", i2, &why), R1_ERR_EXISTS,
	       "the same instance twice");
	json_decref(i1);
	json_decref(i2);
	struct pipespec_plan plan;
	is_int(pipespec_plan_deploy(p, &plan, &why), R1_OK, "plan the first deploy");
	is_str(plan.action, "UPDATE_CONFIG", "a new pipeline is an UPDATE_CONFIG");
	json_t *want = vector_payload("A-cmd-001");
	same(plan.payload, want, "A-cmd-001: the same pipeline config as the SDK sent");
	char *a = keys_of(plan.payload), *b = keys_of(want);
	is_str(a, b, "same key order");
	r1_free(a);
	r1_free(b);
	json_decref(want);
	is_int(plan.n_expect, 3, "PIPELINE_OK + two PLUGIN_CONFIG_OK");
	ok(!plan.expect[0].instance && plan.expect[0].ok_code == NC_PIPELINE_OK, "pipeline first");
	ok(plan.expect[1].instance && plan.expect[1].ok_code == NC_PLUGIN_CONFIG_OK &&
	       strcmp(plan.expect[1].signature, "VEC_PLUGIN_01") == 0 &&
	       strcmp(plan.expect[1].instance_id, "vec_inst_enc") == 0,
	   "PLUGIN_CONFIG_OK for instance one");
	ok(plan.expect[2].fail_code == NC_PLUGIN_CONFIG_FAILED, "with its failure code");
	pipespec_plan_release(&plan);
	is_int(pipespec_plan_deploy(p, &plan, &why), R1_ERR_STATE,
	       "no second deploy while the first awaits confirmation");
	pipespec_settle(p, true);
	is_int(pipespec_plan_deploy(p, &plan, &why), R1_ERR_NOTFOUND, "nothing left to deploy");

	/* A-cmd-003: update one instance, then deploy: the batch form */
	json_t *delta =
	    json_pack("{s:f,s:s,s:i}", "threshold", 0.9, "LABEL", "changed", "PROCESS_DELAY", 5);
	is_int(pipespec_update_instance(p, "VEC_PLUGIN_01", "vec_inst_enc", delta, &why), R1_OK,
	       "update instance");
	json_decref(delta);
	is_int(json_object_size(pipespec_find(p, "VEC_PLUGIN_01", "vec_inst_enc")->proposed), 2,
	       "an unchanged key (PROCESS_DELAY 5) is no change");
	is_int(pipespec_plan_deploy(p, &plan, &why), R1_OK, "plan");
	is_str(plan.action, "BATCH_UPDATE_PIPELINE_INSTANCE", "only an instance changed: batch");
	want = vector_payload("A-cmd-003");
	same(plan.payload, want, "A-cmd-003: the same batch as the SDK sent");
	json_decref(want);
	is_int(plan.n_expect, 2, "PIPELINE_OK + PLUGIN_CONFIG_OK");
	pipespec_plan_release(&plan);
	pipespec_settle(p, false);
	ok(json_real_value(json_object_get(
	       pipespec_find(p, "VEC_PLUGIN_01", "vec_inst_enc")->config, "THRESHOLD")) == 0.5,
	   "a failed deploy leaves the confirmed config");

	/* removal: UPDATE_CONFIG without the instance, PIPELINE_OK only */
	is_int(pipespec_remove_instance(p, "custom_exec_01", "vec_code_enc", &why), R1_OK,
	       "remove");
	is_int(pipespec_remove_instance(p, "custom_exec_01", "vec_code_enc", &why), R1_ERR_NOTFOUND,
	       "remove twice");
	is_int(pipespec_plan_deploy(p, &plan, &why), R1_OK, "plan removal");
	is_str(plan.action, "UPDATE_CONFIG", "removal is an UPDATE_CONFIG");
	is_int(json_array_size(json_object_get(plan.payload, "PLUGINS")), 1, "one plugin left");
	is_int(plan.n_expect, 1, "PIPELINE_OK only");
	pipespec_plan_release(&plan);
	pipespec_settle(p, true);
	is_int(p->n_inst, 1, "instance gone after confirmation");

	/* pipeline keys */
	json_t *pk = json_pack("{s:i}", "cap_resolution", 5);
	is_int(pipespec_update_config(p, pk, &why), R1_OK, "pipeline change");
	json_decref(pk);
	is_int(pipespec_plan_deploy(p, &plan, &why), R1_OK, "plan");
	is_int(json_integer_value(json_object_get(plan.payload, "CAP_RESOLUTION")), 5,
	       "changed key in the full config");
	is_int(plan.n_expect, 1, "PIPELINE_OK");
	pipespec_plan_release(&plan);
	pipespec_free(&p);
	ok(p == NULL, "free NULLs");

	/* attach to what NetConfig says a node runs */
	json_t *existing = vector_payload("A-cmd-010");
	is_int(pipespec_attach(K1, existing, &p, &why), R1_OK, "attach");
	is_int(pipespec_plan_deploy(p, &plan, &why), R1_ERR_NOTFOUND, "attached: nothing proposed");
	is_int(p->n_inst, 1, "instances from PLUGINS");
	json_t *full = pipespec_full_config(p);
	same(full, existing, "the full config of an attached pipeline is what the node runs");
	json_decref(full);
	is_int(pipespec_update_instance(p, "VEC_PLUGIN_01", "nope", existing, &why),
	       R1_ERR_NOTFOUND, "update an unknown instance");
	json_decref(existing);
	pipespec_free(&p);
	r1_free(why);
	return tap_done();
}
