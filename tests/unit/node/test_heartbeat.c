/*
 * Heartbeat status objects: our status, encoded v2 and decoded again, has
 * exactly the key set of the SDK's decoded_status (heartbeat.jsonl
 * A-hb-001), with real figures of this machine; node tags from the
 * environment; and the pipeline checks and NetworkListener filters.
 */
#include "node/lib.h"
#include "node/heartbeat.h"
#include "node/pipeline.h"
#include "node/pluginhost.h"
#include "node/sysinfo.h"
#include "core/hbcodec.h"
#include "core/proto.h"
#include "tests/tap.h"

#include <jansson.h>

static json_t *J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
	if (!v)
		tap_bail("bad test JSON %s: %s", text, e.text);
	return v;
}

static json_t *vector_status(void)
{
	char *path = tap_vector_path("heartbeat.jsonl");
	size_t n = 0;
	char **lines = tap_read_lines(path, &n);
	json_t *status = NULL;
	for (size_t i = 0; i < n && !status; i++) {
		json_t *r = json_loads(lines[i], 0, NULL);
		if (r && strcmp(json_string_value(json_object_get(r, "id")), "A-hb-001") == 0)
			status = json_incref(json_object_get(r, "decoded_status"));
		json_decref(r);
	}
	tap_free_lines(lines);
	free(path);
	if (!status)
		tap_bail("A-hb-001 not found");
	return status;
}

static void test_sysinfo(void)
{
	struct sysinfo s;
	struct sysinfo_cpu cpu = {0};
	sysinfo_sample(&s, &cpu, tap_tmpdir());
	ok(s.cpu_cores >= 1, "cores: %d", s.cpu_cores);
	ok(s.mem_total_gb > 0.1, "memory: %.3f GB", s.mem_total_gb);
	ok(s.mem_avail_gb > 0 && s.mem_avail_gb <= s.mem_total_gb, "available memory: %.3f GB",
	   s.mem_avail_gb);
	ok(s.proc_mem_gb > 0 && s.proc_mem_gb < s.mem_total_gb, "process memory: %.4f GB",
	   s.proc_mem_gb);
	ok(s.disk_total_gb > 0 && s.disk_avail_gb <= s.disk_total_gb, "disk %.1f / %.1f GB",
	   s.disk_avail_gb, s.disk_total_gb);
	ok(s.cpu_used >= 0 && s.cpu_used <= 100, "cpu since boot %.1f%%", s.cpu_used);
	ok(cpu.have, "cpu counters kept");
	/* burn a little CPU, then a second sample measures the delta */
	volatile double x = 0;
	for (int i = 0; i < 2000000; i++)
		x += i * 0.5;
	sysinfo_sample(&s, &cpu, tap_tmpdir());
	ok(s.cpu_used >= 0 && s.cpu_used <= 100, "cpu delta %.1f%%", s.cpu_used);
	ok(strlen(s.machine) > 0, "machine %s", s.machine);
	ok(strstr(s.platform, "with-glibc") != NULL, "platform %s", s.platform);
	ok(strlen(s.ip) >= 7, "ip %s", s.ip);
	is_str(s.platform[0] ? "x" : "", "x", "platform filled");
	ok(sysinfo_round(1.23456, 3) == 1.235, "round to 3 decimals");
}

static void test_keyset(void)
{
	char e0[] = "PATH=/bin", e1[] = "EE_NT_REG=EU", e2[] = "EE_NT_CT=RO",
	     e3[] = "EE_NT_IS_KYB=true", e4[] = "EE_NT_DC=0", e5[] = "EE_NT_EMPTY=";
	char *env[] = {e0, e1, e2, e3, e4, e5, NULL};
	json_t *tags = hb_env_tags(env);
	is_int(json_object_size(tags), 4, "four tags (empty one skipped)");
	ok(json_is_true(json_object_get(tags, "EE_NT_IS_KYB")), "\"true\" becomes true");
	ok(json_is_false(json_object_get(tags, "EE_NT_DC")), "\"0\" becomes false");
	is_str(json_string_value(json_object_get(tags, "EE_NT_REG")), "EU", "text kept");
	json_object_del(tags, "EE_NT_IS_KYB");
	json_object_del(tags, "EE_NT_DC");

	struct sysinfo s;
	struct sysinfo_cpu cpu = {0};
	sysinfo_sample(&s, &cpu, tap_tmpdir());
	json_t *wl = J("[\"AmksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8\"]");
	json_t *ap = J("[]");
	json_t *cs = J("{\"HEARTBEATS\":{\"SVR\":true}}");
	struct hb_inputs in = {
	    .now_wall = 1700000000000000LL,
	    .addr = "0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN",
	    .whitelist = wl,
	    .secured = true,
	    .period_s = 10,
	    .sys = &s,
	    .uptime_s = 12.5,
	    .active_plugins = ap,
	    .comm_stats = cs,
	    .in_kb = 1.5,
	    .out_kb = 2.25,
	    .nr_payloads = 3,
	    .tags = tags,
	};
	json_t *status = hb_status_build(&in);
	ok(status != NULL, "status built");
	json_t *wire = NULL;
	is_int(hb_encode_v2(status, &wire, NULL), R1_OK, "encode v2");
	json_t *decoded = NULL;
	is_int(hb_decode(wire, &decoded, NULL), R1_OK, "decode our own heartbeat");
	json_t *want = vector_status();
	/* every key of the SDK's status is in ours, and nothing else beyond the
	 * wire fields that the decoded view adds */
	const char *k;
	json_t *v;
	int missing = 0, extra = 0;
	json_object_foreach(want, k, v)
	{
		if (!json_object_get(decoded, k)) {
			missing++;
			tap_diag("missing %s", k);
		}
	}
	json_object_foreach(decoded, k, v)
	{
		if (!json_object_get(want, k) && strcmp(k, K_ENCODED_DATA) != 0 &&
		    strcmp(k, K_HEARTBEAT_VERSION) != 0) {
			extra++;
			tap_diag("extra %s", k);
		}
	}
	is_int(missing, 0, "no key of the SDK's decoded_status is missing");
	is_int(extra, 0, "no key the SDK's decoded_status does not have");
	is_int(json_object_size(status), json_object_size(want), "same number of status fields");
	/* types of a few fields the SDK and console read */
	ok(json_is_real(json_object_get(status, K_MACHINE_MEMORY)), "MACHINE_MEMORY a float");
	ok(json_is_integer(json_object_get(status, K_CPU_NR_CORES)), "CPU_NR_CORES an int");
	ok(json_is_array(json_object_get(status, K_EE_WHITELIST)), "EE_WHITELIST a list");
	ok(json_is_string(json_object_get(status, K_GPUS)), "GPUS the no-GPU string");
	ok(strstr(json_string_value(json_object_get(status, K_VERSION)), " | ") != NULL &&
	       strstr(json_string_value(json_object_get(status, K_VERSION)), " L-") != NULL,
	   "VERSION in the reference's shape: %s",
	   json_string_value(json_object_get(status, K_VERSION)));
	is_str(json_string_value(json_object_get(status, K_DEVICE_STATUS)), "ONLINE", "ONLINE");
	is_int(json_integer_value(json_object_get(wire, K_NR_PAYLOADS)), 3, "NR_PAYLOADS on top");
	is_str(json_string_value(json_object_get(status, K_DEVICE_LOG)), HB_DEVICE_LOG_NA,
	       "logs only on request");
	json_decref(want);
	json_decref(decoded);
	json_decref(wire);
	json_decref(status);

	json_t *logs = J("[\"line 1\",\"line 2\"]");
	in.device_log = logs;
	in.device_status = "SHUTDOWN";
	status = hb_status_build(&in);
	is_int(json_array_size(json_object_get(status, K_DEVICE_LOG)), 2, "FULL: the log lines");
	is_str(json_string_value(json_object_get(status, K_DEVICE_STATUS)), "SHUTDOWN",
	       "a status other than ONLINE");
	json_decref(status);
	json_decref(logs);
	json_decref(wl);
	json_decref(ap);
	json_decref(cs);
	json_decref(tags);
}

static void clean_case(struct pluginhost *h, const char *name, const char *config,
                       const char *want_reason_part, size_t want_plugins, size_t want_warnings)
{
	json_t *c = J(config), *out = NULL, *w = NULL;
	char *why = NULL;
	enum r1_err e = pipeline_clean(c, h, "seed", &out, &w, &why);
	if (want_reason_part) {
		is_int(e, R1_ERR_INVAL, "%s: refused", name);
		ok(why && strstr(why, want_reason_part), "%s: reason: %s", name, why ? why : "");
	} else {
		is_int(e, R1_OK, "%s: accepted (%s)", name, why ? why : "");
		is_int(json_array_size(json_object_get(out, K_PLUGINS)), want_plugins,
		       "%s: %zu plugins kept", name, want_plugins);
		is_int(json_array_size(w), want_warnings, "%s: %zu warnings", name, want_warnings);
	}
	json_decref(out);
	json_decref(w);
	json_decref(c);
	r1_free(why);
}

static uint64_t z_now(void *c)
{
	return 0;
}
static int64_t z_wall(void *c)
{
	return 0;
}
static void z_local(void *c, int64_t w, int *d, int *m)
{
	*d = 0;
	*m = 0;
}

static void test_pipeline_checks(void)
{
	struct host_sink sink = {0};
	struct host_clock clock = {NULL, z_now, z_wall, z_local};
	struct pluginhost *h = pluginhost_new(&sink, &clock, NULL, NULL, NULL);
	clean_case(h, "empty Void", "{\"NAME\":\"p\",\"TYPE\":\"Void\"}", NULL, 0, 0);
	clean_case(h, "no NAME", "{\"TYPE\":\"Void\"}", "NAME", 0, 0);
	clean_case(h, "no TYPE", "{\"NAME\":\"p\"}", "TYPE", 0, 0);
	clean_case(h, "unsupported TYPE", "{\"NAME\":\"p\",\"TYPE\":\"VideoStream\"}",
	           "not supported", 0, 0);
	clean_case(
	    h, "CUSTOM_EXEC_01",
	    "{\"NAME\":\"p\",\"TYPE\":\"Void\",\"PLUGINS\":[{\"SIGNATURE\":\"CUSTOM_EXEC_01\","
	    "\"INSTANCES\":[{\"INSTANCE_ID\":\"c\"}]}]}",
	    "CUSTOM_EXEC_01 executes Python; not supported by this node", 0, 0);
	clean_case(
	    h, "unknown signature",
	    "{\"NAME\":\"p\",\"TYPE\":\"Void\",\"PLUGINS\":[{\"SIGNATURE\":\"VEC_PLUGIN_01\","
	    "\"INSTANCES\":[{\"INSTANCE_ID\":\"c\"}]}]}",
	    "no plugin with signature VEC_PLUGIN_01", 0, 0);
	clean_case(h, "two ECHO instances",
	           "{\"NAME\":\"p\",\"TYPE\":\"void\",\"PLUGINS\":[{\"SIGNATURE\":\"ECHO_01\","
	           "\"INSTANCES\":[{\"INSTANCE_ID\":\"a\"},{\"INSTANCE_ID\":\"b\"}]}]}",
	           NULL, 1, 0);
	clean_case(h, "cleaning",
	           "{\"NAME\":\"p\",\"TYPE\":\"Void\",\"PLUGINS\":["
	           "{\"INSTANCES\":[{}]},"
	           "{\"SIGNATURE\":\"ECHO_01\",\"INSTANCES\":[]},"
	           "{\"SIGNATURE\":\"ECHO_01\",\"INSTANCES\":[{\"INSTANCE_ID\":\"a\"},"
	           "{\"INSTANCE_ID\":\"a\"},{}]},"
	           "{\"SIGNATURE\":\"echo_01\",\"INSTANCES\":[{\"INSTANCE_ID\":\"z\"}]}]}",
	           NULL, 1, 4);
	clean_case(h, "ALLOWED_PLUGINS",
	           "{\"NAME\":\"p\",\"TYPE\":\"Void\",\"ALLOWED_PLUGINS\":[\"OTHER\"],\"PLUGINS\":["
	           "{\"SIGNATURE\":\"ECHO_01\",\"INSTANCES\":[{\"INSTANCE_ID\":\"a\"}]}]}",
	           NULL, 0, 1);
	clean_case(h, "PLUGINS not a list", "{\"NAME\":\"p\",\"TYPE\":\"Void\",\"PLUGINS\":{}}",
	           "not a list", 0, 0);

	json_t *c = J("{\"NAME\":\"p\",\"TYPE\":\"Void\",\"PLUGINS\":[{\"SIGNATURE\":\"ECHO_01\","
	              "\"INSTANCES\":[{\"X\":1}]}]}");
	json_t *out = NULL, *w = NULL;
	pipeline_clean(c, h, "seed", &out, &w, NULL);
	ok(pipeline_find_instance(out, "echo_01", "seed_0") != NULL,
	   "a missing INSTANCE_ID is generated");
	ok(pipeline_find_instance(out, "ECHO_01", "nope") == NULL, "find a missing instance");
	json_decref(out);
	json_decref(w);
	json_decref(c);
	pluginhost_free(&h);

	ok(pipeline_type_is_listener("networklistener"), "NetworkListener is a listener");
	ok(!pipeline_type_is_listener("Void"), "Void is not");

	/* PATH_FILTER */
	json_t *admin = J("[null,null,[\"UPDATE_MONITOR_01\",\"NET_MON_01\",\"NET_CONFIG_MONITOR\","
	                  "\"CHAIN_STORE_BASE\",\"ORACLE_SYNC_01\"],null]");
	json_t *p1 = J("[\"n\",\"admin_pipeline\",\"net_mon_01\",\"NET_MON_01_INST\"]");
	json_t *p2 = J("[\"n\",\"x\",\"ECHO_01\",\"i\"]");
	json_t *p3 = J("[\"0xai_x\",\"admin_pipeline\",\"NET_CONFIG_MONITOR\",null]");
	json_t *p4 = J("[\"n\"]");
	ok(pipeline_path_matches(admin, p1), "admin filter takes NET_MON_01 (any case)");
	ok(!pipeline_path_matches(admin, p2), "admin filter drops ECHO_01");
	ok(pipeline_path_matches(admin, p3), "admin filter takes a GET_CONFIG request");
	ok(!pipeline_path_matches(admin, p4), "a short path has no signature");
	json_t *f2 = J("[\"N\",\"X\",null,null]");
	ok(pipeline_path_matches(f2, p2), "string filters, case-insensitive");
	ok(!pipeline_path_matches(f2, p1), "other pipeline");
	json_t *none = J("null");
	ok(pipeline_path_matches(none, p1), "no filter takes everything");

	json_t *pc =
	    J("{\"PATH_FILTER\":[null,null,\"ECHO_01\",null],\"FILTER_BY_DESTINATION\":true,"
	      "\"MESSAGE_FILTER\":{\"KIND\":\"x\"}}");
	json_t *m1 = J("{\"EE_PAYLOAD_PATH\":[\"n\",\"x\",\"ECHO_01\",\"i\"],\"KIND\":\"x\"}");
	json_t *m2 = J("{\"EE_PAYLOAD_PATH\":[\"n\",\"x\",\"ECHO_01\",\"i\"],\"KIND\":\"y\"}");
	json_t *m3 = J("{\"EE_PAYLOAD_PATH\":[\"n\",\"x\",\"ECHO_01\",\"i\"],\"KIND\":\"x\","
	               "\"EE_DEST\":[\"0xai_OTHER\"]}");
	json_t *m4 = J("{\"EE_PAYLOAD_PATH\":[\"n\",\"x\",\"ECHO_01\",\"i\"],\"KIND\":\"x\","
	               "\"EE_DEST\":\"0XAI_ME\"}");
	ok(pipeline_listener_accepts(pc, m1, "0xai_me"), "listener accepts a match");
	ok(!pipeline_listener_accepts(pc, m2, "0xai_me"), "MESSAGE_FILTER drops");
	ok(!pipeline_listener_accepts(pc, m3, "0xai_me"), "FILTER_BY_DESTINATION drops others'");
	ok(pipeline_listener_accepts(pc, m4, "0xai_me"), "FILTER_BY_DESTINATION keeps ours");
	json_t *all[] = {admin, p1, p2, p3, p4, f2, none, pc, m1, m2, m3, m4};
	for (size_t i = 0; i < R1_ARRAY_LEN(all); i++)
		json_decref(all[i]);
}

int main(void)
{
	r1_alloc_setup_jansson();
	test_sysinfo();
	test_keyset();
	test_pipeline_checks();
	return tap_done();
}
