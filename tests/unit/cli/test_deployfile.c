/*
 * Deploy job files: a good one, and every kind of bad one giving one line
 * that says what and where.
 */
#include "core/lib.h"
#include "cli/deployfile.h"
#include "tests/tap.h"

static void bad(const char *text, const char *want, const char *name)
{
	struct deploy_job job;
	char *why = NULL;
	is_int(deploy_job_parse(text, strlen(text), "job.json", &job, &why), R1_ERR_INVAL, "%s",
	       name);
	ok(why && strcmp(why, want) == 0, "%s: '%s'", name, why ? why : "(none)");
	if (why && strcmp(why, want) != 0)
		tap_diag("want '%s'", want);
	ok(why && !strchr(why, '\n'), "%s: one line", name);
	r1_free(why);
}

int main(void)
{
	r1_alloc_setup_jansson();
	const char *good = "{\"NAME\": \"echo-job\", \"TYPE\": \"Void\",\n"
	                   " \"PLUGINS\": [{\"SIGNATURE\": \"ECHO_01\", \"INSTANCES\": "
	                   "[{\"INSTANCE_ID\": \"e1\", \"PROCESS_DELAY\": 5}]}],\n"
	                   " \"TARGETS\": [\"node-a\", "
	                   "\"0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN\"]}";
	struct deploy_job job;
	char *why = NULL;
	is_int(deploy_job_parse(good, strlen(good), "job.json", &job, &why), R1_OK, "good job");
	is_str(job.name, "echo-job", "name");
	is_int(job.n_targets, 2, "two targets");
	is_str(job.targets[0], "node-a", "alias target");
	ok(json_object_get(job.config, "TARGETS") == NULL, "TARGETS not in the pipeline config");
	ok(json_object_get(job.config, "PLUGINS") != NULL, "PLUGINS kept");
	ok(!deploy_target_is_address(job.targets[0]) && deploy_target_is_address(job.targets[1]),
	   "alias vs address");
	deploy_job_release(&job);

	bad("{\"NAME\": \"x\",\n  \"TYPE\": }",
	    "job.json:2:11: invalid JSON: unexpected token near '}'",
	    "invalid JSON, with line and column");
	bad("[1]", "job.json: the job must be a JSON object", "not an object");
	bad("{\"TYPE\": \"Void\"}",
	    "job.json: missing NAME (the pipeline's name, 1-64 characters, no '/')", "no NAME");
	bad("{\"NAME\": \"a\"}", "job.json: missing TYPE (the data source, e.g. \"Void\")",
	    "no TYPE");
	bad("{\"NAME\": \"a\", \"TYPE\": \"Void\"}",
	    "job.json: missing PLUGINS (a list of {\"SIGNATURE\", \"INSTANCES\"})", "no PLUGINS");
	bad("{\"NAME\": \"a\", \"TYPE\": \"Void\", \"PLUGINS\": []}",
	    "job.json: PLUGINS must be a non-empty list", "empty PLUGINS");
	bad("{\"NAME\": \"a\", \"TYPE\": \"Void\", \"PLUGINS\": [{\"INSTANCES\": []}]}",
	    "job.json: PLUGINS[0]: missing SIGNATURE", "no SIGNATURE");
	bad("{\"NAME\": \"a\", \"TYPE\": \"Void\", \"PLUGINS\": [{\"SIGNATURE\": \"S\", "
	    "\"INSTANCES\": [{\"INSTANCE_ID\": \"i\"}, {\"X\": 1}]}]}",
	    "job.json: PLUGINS[0].INSTANCES[1]: missing INSTANCE_ID", "no INSTANCE_ID");
	bad("{\"NAME\": \"a\", \"TYPE\": \"Void\", \"PLUGINS\": [{\"SIGNATURE\": \"S\", "
	    "\"INSTANCES\": [{\"INSTANCE_ID\": \"i\"}]}]}",
	    "job.json: missing TARGETS (a list of node aliases or addresses)", "no TARGETS");
	bad("{\"NAME\": \"a\", \"TYPE\": \"Void\", \"PLUGINS\": [{\"SIGNATURE\": \"S\", "
	    "\"INSTANCES\": [{\"INSTANCE_ID\": \"i\"}]}], \"TARGETS\": [\"n\", \"0xai_bad\"]}",
	    "job.json: TARGETS[1]: '0xai_bad' is not a valid node address (address must have 44 "
	    "characters after the prefix, not 3)",
	    "invalid address");
	bad("{\"NAME\": \"a\", \"TYPE\": \"Void\", \"PLUGINS\": [{\"SIGNATURE\": \"S\", "
	    "\"INSTANCES\": [{\"INSTANCE_ID\": \"i\"}]}], \"TARGETS\": [\"n\", \"n\"]}",
	    "job.json: TARGETS[1]: 'n' is listed twice", "duplicate target");
	bad("{\"NAME\": \"a\", \"NAME\": \"b\"}",
	    "job.json:1:20: invalid JSON: duplicate object key near '\"NAME\"'", "duplicate key");

	char path[600];
	snprintf(path, sizeof(path), "%s/none.json", tap_tmpdir());
	is_int(deploy_job_load(path, &job, &why), R1_ERR_NOTFOUND, "missing file");
	r1_free(why);
	return tap_done();
}
