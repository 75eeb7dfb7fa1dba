/*
 * The plugin host's scheduling semantics on a fake clock: PROCESS_DELAY,
 * ALLOW_EMPTY_INPUTS and the input queue, INSTANCE_COMMAND (params
 * lower-cased, archived to INSTANCE_COMMAND_LAST, 101/-101), FORCED_PAUSE
 * and DISABLED (110/111), WORKING_HOURS (112/113 and no runs outside),
 * PLUGIN_CONFIG_OK after the first good exec following a (re)config, and
 * exponential backoff with PLUGIN_DELAYED for failing init and process.
 */
#include "node/lib.h"
#include "node/pluginhost.h"
#include "node/workhours.h"
#include "core/proto.h"
#include "tests/tap.h"

#include <jansson.h>

/* ---- fake clock and capturing sink ------------------------------------- */

struct world {
	uint64_t now;
	int64_t wall;
	int weekday, minute;
	json_t *payloads;
	json_t *notifs;
	json_t *saved;
	int wakes;
};

static uint64_t w_now(void *ctx)
{
	return ((struct world *)ctx)->now;
}
static int64_t w_wall(void *ctx)
{
	struct world *w = ctx;
	return w->wall + (int64_t)w->now * 1000;
}
static void w_local(void *ctx, int64_t wall, int *wd, int *min)
{
	struct world *w = ctx;
	*wd = w->weekday;
	*min = w->minute;
}
static void w_payload(void *ctx, struct plugin_instance *pi, json_t *p)
{
	json_array_append_new(((struct world *)ctx)->payloads, p);
}
static void w_notif(void *ctx, json_t *n)
{
	json_array_append_new(((struct world *)ctx)->notifs, n);
}
static void w_save(void *ctx, const char *stream, const char *sig, const char *iid,
                   const json_t *kv)
{
	json_array_append_new(((struct world *)ctx)->saved, json_deep_copy((json_t *)kv));
}
static void w_wake(void *ctx)
{
	((struct world *)ctx)->wakes++;
}

static struct world W;

static struct pluginhost *new_host(uint64_t exc_delay)
{
	memset(&W, 0, sizeof(W));
	W.wall = 1700000000LL * 1000000;
	W.payloads = json_array();
	W.notifs = json_array();
	W.saved = json_array();
	W.minute = 12 * 60;
	struct host_sink sink = {&W, w_payload, w_notif, w_save, w_wake};
	struct host_clock clock = {&W, w_now, w_wall, w_local};
	struct host_settings set = {.exception_delay_ms = exc_delay,
	                            .exception_delay_max_ms = exc_delay * 8,
	                            .idle_recheck_ms = 1000};
	return pluginhost_new(&sink, &clock, &set, NULL, NULL);
}

static void end_world(struct pluginhost **h)
{
	pluginhost_free(h);
	json_decref(W.payloads);
	json_decref(W.notifs);
	json_decref(W.saved);
}

static void reset_capture(void)
{
	json_array_clear(W.payloads);
	json_array_clear(W.notifs);
	json_array_clear(W.saved);
}

/* notifications with this code so far */
static int count_code(int code)
{
	int n = 0;
	size_t i;
	json_t *v;
	json_array_foreach(W.notifs, i,
	                   v) if (json_integer_value(json_object_get(v, K_NOTIFICATION_CODE)) ==
	                              code &&
	                          json_is_integer(json_object_get(v, K_NOTIFICATION_CODE))) n++;
	return n;
}

static json_t *last_code(int code)
{
	json_t *found = NULL;
	size_t i;
	json_t *v;
	json_array_foreach(
	    W.notifs, i, v) if (json_is_integer(json_object_get(v, K_NOTIFICATION_CODE)) &&
	                        json_integer_value(json_object_get(v, K_NOTIFICATION_CODE)) == code)
	    found = v;
	return found;
}

static void run_at(struct pluginhost *h, uint64_t t)
{
	W.now = t;
	pluginhost_run_due(h);
}

static json_t *J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	if (!v)
		tap_bail("bad test JSON %s: %s", text, e.text);
	return v;
}

/* ---- a test plugin that can fail on demand ------------------------------ */

struct probe {
	int fail_init;    /* fail the next N inits */
	int fail_process; /* fail the next N process calls */
	int inits, processes, closes, commands;
	json_t *last_input, *last_data, *last_params;
};
static struct probe P;

static enum r1_err probe_init(struct plugin_instance *pi, void **state, char **why)
{
	P.inits++;
	if (P.fail_init > 0) {
		P.fail_init--;
		return r1_fail(why, R1_ERR_STATE, "probe init refuses");
	}
	*state = &P;
	return R1_OK;
}
static enum r1_err probe_process(struct plugin_instance *pi, void *state, const json_t *input,
                                 char **why)
{
	P.processes++;
	json_decref(P.last_input);
	P.last_input = input ? json_incref((json_t *)input) : NULL;
	if (P.fail_process > 0) {
		P.fail_process--;
		return r1_fail(why, R1_ERR_STATE, "probe process refuses");
	}
	return plugin_emit(pi, json_pack("{s:I}", "n", (json_int_t)plugin_process_iteration(pi)),
	                   why);
}
static enum r1_err probe_command(struct plugin_instance *pi, void *state, const json_t *data,
                                 const json_t *params, char **why)
{
	P.commands++;
	json_decref(P.last_data);
	json_decref(P.last_params);
	P.last_data = json_deep_copy((json_t *)data);
	P.last_params = json_deep_copy((json_t *)params);
	if (json_is_string(data) && strcmp(json_string_value(data), "BOOM") == 0)
		return r1_fail(why, R1_ERR_INVAL, "boom");
	return R1_OK;
}
static void probe_close(struct plugin_instance *pi, void *state)
{
	P.closes++;
}

static const struct plugin_ops probe_ops = {
    .signature = "PROBE_01",
    .version = "0.1",
    .defaults = "{\"ALLOW_EMPTY_INPUTS\": true, \"PROCESS_DELAY\": 1}",
    .init = probe_init,
    .process = probe_process,
    .command = probe_command,
    .close = probe_close,
};

static void reset_probe(void)
{
	json_decref(P.last_input);
	json_decref(P.last_data);
	json_decref(P.last_params);
	memset(&P, 0, sizeof(P));
}

static struct plugin_instance *start(struct pluginhost *h, const char *config)
{
	json_t *c = J(config);
	struct plugin_instance *pi = NULL;
	struct provenance prov = {
	    .initiator_id = "sdk", .initiator_addr = "0xai_init", .session_id = "sess"};
	char *why = NULL;
	enum r1_err e =
	    pluginhost_start(h, pluginhost_find(h, "PROBE_01"), "pipe", c, &prov, &pi, &why);
	if (e)
		tap_bail("start failed: %s", why);
	json_decref(c);
	return pi;
}

static void update(struct pluginhost *h, struct plugin_instance *pi, const char *config)
{
	json_t *c = J(config);
	struct provenance prov = {
	    .initiator_id = "sdk", .initiator_addr = "0xai_init", .session_id = "sess"};
	pluginhost_update(h, pi, c, &prov);
	json_decref(c);
}

/* ---- tests -------------------------------------------------------------- */

static void test_registry(void)
{
	struct pluginhost *h = new_host(1000);
	ok(pluginhost_find(h, "ECHO_01") != NULL, "ECHO_01 is built in");
	ok(pluginhost_find(h, "echo_01") != NULL, "signatures are case-insensitive");
	ok(pluginhost_find(h, "CUSTOM_EXEC_01") == NULL, "CUSTOM_EXEC_01 is not");
	is_int(pluginhost_register(h, &probe_ops, NULL), R1_OK, "register a plugin");
	is_int(pluginhost_register(h, &probe_ops, NULL), R1_ERR_EXISTS, "twice is refused");
	static const struct plugin_ops bad = {.signature = "BAD_01", .defaults = "[1]"};
	is_int(pluginhost_register(h, &bad, NULL), R1_ERR_INVAL, "non-object defaults refused");
	json_t *sigs = pluginhost_signatures(h);
	ok(json_array_size(sigs) >= 2, "signatures listed");
	json_decref(sigs);
	json_t *noid = J("{\"X\":1}");
	char *why = NULL;
	is_int(pluginhost_start(h, &probe_ops, "p", noid, NULL, NULL, &why), R1_ERR_INVAL,
	       "an instance needs INSTANCE_ID");
	r1_free(why);
	json_decref(noid);
	end_world(&h);
}

static void test_process_delay(void)
{
	reset_probe();
	struct pluginhost *h = new_host(1000);
	pluginhost_register(h, &probe_ops, NULL);
	struct plugin_instance *pi = start(h, "{\"INSTANCE_ID\":\"i1\",\"PROCESS_DELAY\":2}");
	ok(W.wakes > 0, "a new instance wakes the owner");
	is_int(pluginhost_next_due(h), 0, "due at once");
	run_at(h, 0);
	is_int(P.inits, 1, "init ran");
	is_int(P.processes, 1, "first process at once");
	is_int(json_array_size(W.payloads), 1, "one payload");
	is_int(count_code(NC_PLUGIN_CONFIG_OK), 1, "PLUGIN_CONFIG_OK after the first exec");
	json_t *ok100 = last_code(NC_PLUGIN_CONFIG_OK);
	ok(json_is_true(json_object_get(ok100, K_PLUGIN_RUNNING)), "with PLUGIN_RUNNING true");
	is_str(json_string_value(json_object_get(ok100, K_NOTIFICATION_TAG)), "PLUGIN_CONFIG_OK",
	       "tagged");
	is_str(json_string_value(json_object_get(ok100, K_SIGNATURE)), "PROBE_01", "signature set");
	is_str(json_string_value(json_object_get(ok100, K_INSTANCE_ID)), "i1", "instance set");
	is_str(json_string_value(json_object_get(ok100, K_STREAM_NAME)), "pipe", "stream set");
	is_str(json_string_value(json_object_get(ok100, K_INITIATOR_ID)), "sdk", "initiator set");
	is_int(pluginhost_next_due(h), 2000, "next run after PROCESS_DELAY");
	run_at(h, 1999);
	is_int(P.processes, 1, "not before the delay");
	run_at(h, 2000);
	is_int(P.processes, 2, "at the delay");
	is_int(count_code(NC_PLUGIN_CONFIG_OK), 1, "PLUGIN_CONFIG_OK only once");

	json_t *p = json_array_get(W.payloads, 1);
	is_int(json_integer_value(json_object_get(p, K_ID)), 2, "payload ID is the iteration");
	is_int(json_integer_value(json_object_get(p, "N")), 2, "plugin fields upper-cased");
	is_str(json_string_value(json_object_get(p, K_STREAM_NAME)), "pipe", "STREAM_NAME");
	is_str(json_string_value(json_object_get(p, K_SIGNATURE)), "PROBE_01", "SIGNATURE");
	is_str(json_string_value(json_object_get(p, K_INSTANCE_ID)), "i1", "INSTANCE_ID");
	is_str(json_string_value(json_object_get(p, K_INITIATOR_ADDR)), "0xai_init",
	       "INITIATOR_ADDR");
	is_str(json_string_value(json_object_get(p, K_SESSION_ID)), "sess", "SESSION_ID");
	ok(json_is_null(json_object_get(p, K_MODIFIED_BY_ID)), "MODIFIED_BY_ID null");
	is_str(json_string_value(json_object_get(p, K_PLUGIN_CATEGORY)), "general",
	       "PLUGIN_CATEGORY");
	ok(json_is_string(json_object_get(p, K_TAGS)), "TAGS");
	ok(json_is_array(json_object_get(p, K_ID_TAGS)), "ID_TAGS");
	ok(json_is_string(json_object_get(p, K_TIMESTAMP_EXECUTION)), "TIMESTAMP_EXECUTION");
	ok(json_is_false(json_object_get(p, K_EE_IS_ENCRYPTED)), "not encrypted by default");

	/* a config change: process at once (the new delay), CONFIG_OK again */
	update(h, pi, "{\"INSTANCE_ID\":\"i1\",\"PROCESS_DELAY\":0.5}");
	is_int(pluginhost_next_due(h), 2000, "reconfigure makes it due");
	run_at(h, 2400);
	is_int(P.processes, 2, "delay still counts from the last process");
	run_at(h, 2500);
	is_int(P.processes, 3, "runs with the new delay");
	is_int(count_code(NC_PLUGIN_CONFIG_OK), 2, "PLUGIN_CONFIG_OK after a reconfig");
	/* the same config again is no change */
	update(h, pi,
	       "{\"INSTANCE_ID\":\"i1\",\"PROCESS_DELAY\":0.5,\"INSTANCE_COMMAND_LAST\":{}}");
	run_at(h, 3000);
	is_int(count_code(NC_PLUGIN_CONFIG_OK), 2, "INSTANCE_COMMAND_LAST is not a change");

	struct plugin_stats st;
	plugin_get_stats(pi, &st);
	is_int(st.process_iterations, 4, "stats: process iterations");
	is_int(st.payloads, 4, "stats: payloads");
	is_int(pluginhost_take_payload_count(h), 4, "payload counter for NR_PAYLOADS");
	is_int(pluginhost_take_payload_count(h), 0, "taken means reset");

	json_t *ap = pluginhost_active_plugins(h);
	json_t *e = json_array_get(ap, 0);
	static const char *const keys[] = {"STREAM_ID",
	                                   "SIGNATURE",
	                                   "INSTANCE_ID",
	                                   "PROCESS_DELAY",
	                                   "FREQUENCY",
	                                   "INIT_TIMESTAMP",
	                                   "EXEC_TIMESTAMP",
	                                   "LAST_CONFIG_TIMESTAMP",
	                                   "FIRST_ERROR_TIME",
	                                   "LAST_ERROR_TIME",
	                                   "OUTSIDE_WORKING_HOURS",
	                                   "CURRENT_PROCESS_ITERATION",
	                                   "CURRENT_EXEC_ITERATION",
	                                   "LAST_PAYLOAD_TIME",
	                                   "TOTAL_PAYLOAD_COUNT",
	                                   "INFO"};
	is_int(json_object_size(e), R1_ARRAY_LEN(keys), "ACTIVE_PLUGINS entry has 16 fields");
	for (size_t i = 0; i < R1_ARRAY_LEN(keys); i++)
		ok(json_object_get(e, keys[i]) != NULL, "ACTIVE_PLUGINS has %s", keys[i]);
	is_int(json_integer_value(json_object_get(e, "TOTAL_PAYLOAD_COUNT")), 4, "payload count");
	json_decref(ap);

	pluginhost_stop(h, &pi);
	ok(pi == NULL, "stop NULLs the pointer");
	is_int(P.closes, 1, "close ran");
	is_int(pluginhost_count(h), 0, "no instances");
	is_int(pluginhost_next_due(h), UINT64_MAX, "nothing due");
	end_world(&h);
}

static void test_inputs(void)
{
	reset_probe();
	struct pluginhost *h = new_host(1000);
	pluginhost_register(h, &probe_ops, NULL);
	struct plugin_instance *pi =
	    start(h, "{\"INSTANCE_ID\":\"i\",\"ALLOW_EMPTY_INPUTS\":false,\"PROCESS_DELAY\":0,"
	             "\"MAX_INPUTS_QUEUE_SIZE\":2}");
	run_at(h, 0);
	is_int(P.inits, 1, "init");
	is_int(P.processes, 0, "no input, no empty runs: no process");
	is_int(count_code(NC_PLUGIN_CONFIG_OK), 1, "PLUGIN_CONFIG_OK even without input");
	ok(pluginhost_next_due(h) >= 1000, "idle until an input comes");
	json_t *a = J("{\"X\":1}"), *b = J("{\"X\":2}"), *c = J("{\"X\":3}");
	W.now = 10;
	pluginhost_push_input(h, pi, a);
	pluginhost_push_input(h, pi, b);
	pluginhost_push_input(h, pi, c);
	is_int(pluginhost_next_due(h), 10, "an input makes it due");
	struct plugin_stats st;
	plugin_get_stats(pi, &st);
	is_int(st.queued_inputs, 2, "queue bounded by MAX_INPUTS_QUEUE_SIZE");
	run_at(h, 10);
	is_int(P.processes, 1, "one input per exec");
	is_int(json_integer_value(json_object_get(P.last_input, "X")), 2, "the oldest was dropped");
	run_at(h, pluginhost_next_due(h));
	is_int(P.processes, 2, "second input");
	is_int(json_integer_value(json_object_get(P.last_input, "X")), 3, "in order");
	json_decref(a);
	json_decref(b);
	json_decref(c);
	end_world(&h);
}

static void test_commands(void)
{
	reset_probe();
	struct pluginhost *h = new_host(1000);
	pluginhost_register(h, &probe_ops, NULL);
	struct plugin_instance *pi = start(h, "{\"INSTANCE_ID\":\"i\",\"PROCESS_DELAY\":5}");
	run_at(h, 0);
	reset_capture();
	update(h, pi,
	       "{\"INSTANCE_ID\":\"i\",\"PROCESS_DELAY\":5,\"INSTANCE_COMMAND\":"
	       "{\"SET\":42,\"COMMAND_PARAMS\":{\"Reason\":\"x\",\"FORCE\":true}}}");
	is_int(pluginhost_next_due(h), 0, "a command makes the instance due");
	/* the pipeline re-applies the same config before the command ran */
	update(h, pi,
	       "{\"INSTANCE_ID\":\"i\",\"PROCESS_DELAY\":5,\"INSTANCE_COMMAND\":"
	       "{\"SET\":42,\"COMMAND_PARAMS\":{\"Reason\":\"x\",\"FORCE\":true}}}");
	run_at(h, 100);
	is_int(P.commands, 1, "command ran before PROCESS_DELAY is over");
	is_int(P.processes, 1, "process did not");
	json_t *want_data = J("{\"SET\":42}");
	json_t *want_params = J("{\"reason\":\"x\",\"force\":true}");
	ok(json_equal(P.last_data, want_data), "COMMAND_PARAMS removed from the data");
	ok(json_equal(P.last_params, want_params), "params with lower-case keys");
	json_decref(want_data);
	json_decref(want_params);
	is_int(count_code(NC_PLUGIN_INSTANCE_COMMAND_OK), 1, "PLUGIN_INSTANCE_COMMAND_OK");
	is_int(count_code(NC_PLUGIN_CONFIG_OK), 0, "a command is not a reconfig");
	json_t *saved = json_array_get(W.saved, 0);
	ok(json_is_object(json_object_get(saved, K_INSTANCE_COMMAND)) &&
	       json_object_size(json_object_get(saved, K_INSTANCE_COMMAND)) == 0,
	   "INSTANCE_COMMAND reset to {}");
	is_int(json_integer_value(
	           json_object_get(json_object_get(saved, K_INSTANCE_COMMAND_LAST), "SET")),
	       42, "archived to INSTANCE_COMMAND_LAST");
	/* the pipeline then hands the archived config back: no change */
	update(h, pi,
	       "{\"INSTANCE_ID\":\"i\",\"PROCESS_DELAY\":5,\"INSTANCE_COMMAND\":{},"
	       "\"INSTANCE_COMMAND_LAST\":{\"SET\":42}}");
	run_at(h, 5000);
	is_int(P.commands, 1, "no second command");
	is_int(count_code(NC_PLUGIN_CONFIG_OK), 0, "no reconfig from the archive");

	/* string command, failing */
	update(h, pi, "{\"INSTANCE_ID\":\"i\",\"PROCESS_DELAY\":5,\"INSTANCE_COMMAND\":\"BOOM\"}");
	run_at(h, 5100);
	is_int(count_code(NC_PLUGIN_INSTANCE_COMMAND_FAILED), 1, "PLUGIN_INSTANCE_COMMAND_FAILED");
	json_t *f = last_code(NC_PLUGIN_INSTANCE_COMMAND_FAILED);
	is_int(json_integer_value(json_object_get(f, K_ERROR_CODE)), -101, "ERROR_CODE -101");
	ok(strstr(json_string_value(json_object_get(f, K_INFO)), "boom") != NULL,
	   "the reason is in INFO");
	ok(json_is_object(P.last_params) && json_object_size(P.last_params) == 0,
	   "a string command has empty params");
	end_world(&h);
	reset_probe();
}

static void test_pause(void)
{
	reset_probe();
	struct pluginhost *h = new_host(1000);
	pluginhost_register(h, &probe_ops, NULL);
	struct plugin_instance *pi = start(h, "{\"INSTANCE_ID\":\"i\",\"PROCESS_DELAY\":0}");
	run_at(h, 0);
	int before = P.processes;
	update(h, pi, "{\"INSTANCE_ID\":\"i\",\"PROCESS_DELAY\":0,\"FORCED_PAUSE\":true}");
	run_at(h, 100);
	is_int(count_code(NC_PLUGIN_PAUSE_OK), 1, "PLUGIN_PAUSE_OK on pause");
	is_int(P.processes, before, "no process while paused");
	run_at(h, 1100);
	run_at(h, 2100);
	is_int(P.processes, before, "still none");
	is_int(count_code(NC_PLUGIN_PAUSE_OK), 1, "the pause is announced once");
	update(h, pi, "{\"INSTANCE_ID\":\"i\",\"PROCESS_DELAY\":0,\"FORCED_PAUSE\":false}");
	run_at(h, 2200);
	is_int(count_code(NC_PLUGIN_RESUME_OK), 1, "PLUGIN_RESUME_OK on resume");
	is_int(P.processes, before + 1, "processing again");
	end_world(&h);

	/* DISABLED from the start: not even initialised until enabled */
	reset_probe();
	h = new_host(1000);
	pluginhost_register(h, &probe_ops, NULL);
	pi = start(h, "{\"INSTANCE_ID\":\"i\",\"DISABLED\":true}");
	run_at(h, 0);
	is_int(P.inits, 0, "a disabled instance is not initialised");
	is_int(P.processes, 0, "nor run");
	is_int(count_code(NC_PLUGIN_PAUSE_OK), 1, "announced as paused");
	update(h, pi, "{\"INSTANCE_ID\":\"i\",\"INSTANCE_COMMAND\":\"X\",\"DISABLED\":true}");
	run_at(h, 50);
	is_int(count_code(NC_PLUGIN_INSTANCE_COMMAND_FAILED), 1,
	       "a command to a never-started instance fails");
	update(h, pi, "{\"INSTANCE_ID\":\"i\",\"DISABLED\":false}");
	run_at(h, 100);
	is_int(count_code(NC_PLUGIN_RESUME_OK), 1, "resumed");
	is_int(P.inits, 1, "initialised once enabled");
	is_int(P.processes, 1, "and running");
	end_world(&h);
	reset_probe();
}

static void test_working_hours(void)
{
	/* the evaluator on its own */
	json_t *wh = J("{\"x\":[[\"09:00\",\"17:00\"],[\"22:30\",\"02:00\"]]}");
	json_t *list = json_object_get(wh, "x");
	int idx = 7;
	ok(!workhours_inside(list, false, 0, 8 * 60 + 59, &idx), "08:59 outside");
	ok(workhours_inside(list, false, 0, 9 * 60, &idx), "09:00 inside");
	is_int(idx, 0, "first interval");
	ok(!workhours_inside(list, false, 0, 17 * 60, &idx), "17:00 outside (end excluded)");
	ok(workhours_inside(list, false, 0, 23 * 60, &idx), "23:00 inside the wrapping interval");
	is_int(idx, 1, "second interval");
	ok(workhours_inside(list, false, 0, 60, &idx), "01:00 inside the wrapping interval");
	ok(!workhours_inside(list, false, 0, 2 * 60, &idx), "02:00 outside");
	ok(workhours_inside(list, true, 0, 2 * 60, &idx), "IGNORE_WORKING_HOURS");
	json_decref(wh);
	json_t *empty = J("{\"x\":[]}");
	ok(workhours_inside(json_object_get(empty, "x"), false, 3, 0, &idx), "[] is non-stop");
	is_int(idx, -1, "all day");
	ok(workhours_inside(NULL, false, 3, 0, &idx), "absent is non-stop");
	json_decref(empty);
	json_t *single = J("{\"x\":[\"10:00\",\"11:00\"]}");
	ok(workhours_inside(json_object_get(single, "x"), false, 0, 10 * 60 + 30, &idx),
	   "a single interval without the outer list");
	json_decref(single);
	json_t *days = J("{\"x\":{\"mon\":[[\"10:00\",\"11:00\"]],\"SAT\":[]}}");
	json_t *d = json_object_get(days, "x");
	ok(workhours_inside(d, false, 0, 10 * 60, &idx), "Monday 10:00 inside");
	ok(!workhours_inside(d, false, 1, 10 * 60, &idx), "Tuesday not listed: outside");
	ok(workhours_inside(d, false, 5, 3, &idx), "Saturday [] all day");
	json_decref(days);
	json_t *bad = J("{\"x\":[[\"25:00\",\"26:00\"],[\"9\",\"10:00\"]],\"n\":null}");
	ok(!workhours_inside(json_object_get(bad, "x"), false, 0, 9 * 60 + 30, &idx),
	   "malformed intervals never match");
	ok(!workhours_inside(json_object_get(bad, "n"), false, 0, 0, &idx), "null is outside");
	json_decref(bad);

	/* in the host */
	reset_probe();
	struct pluginhost *h = new_host(1000);
	pluginhost_register(h, &probe_ops, NULL);
	W.minute = 8 * 60;
	start(h, "{\"INSTANCE_ID\":\"i\",\"PROCESS_DELAY\":0,"
	         "\"WORKING_HOURS\":[[\"09:00\",\"17:00\"]]}");
	run_at(h, 0);
	is_int(P.inits, 1, "initialised outside hours");
	is_int(P.processes, 0, "but not run");
	is_int(count_code(NC_PLUGIN_WORKING_HOURS_SHIFT_START), 0, "no shift yet");
	W.minute = 9 * 60;
	run_at(h, 1000);
	is_int(count_code(NC_PLUGIN_WORKING_HOURS_SHIFT_START), 1, "shift start notification");
	is_int(P.processes, 1, "runs in the shift");
	W.minute = 17 * 60;
	run_at(h, pluginhost_next_due(h));
	is_int(count_code(NC_PLUGIN_WORKING_HOURS_SHIFT_END), 1, "shift end notification");
	int n = P.processes;
	run_at(h, 5000);
	is_int(P.processes, n, "no runs after the shift");
	json_t *ap = pluginhost_active_plugins(h);
	ok(json_is_true(json_object_get(json_array_get(ap, 0), "OUTSIDE_WORKING_HOURS")),
	   "ACTIVE_PLUGINS says outside working hours");
	json_decref(ap);
	end_world(&h);
	reset_probe();
}

static void test_backoff(void)
{
	reset_probe();
	struct pluginhost *h = new_host(1000);
	pluginhost_register(h, &probe_ops, NULL);
	P.fail_process = 3;
	start(h, "{\"INSTANCE_ID\":\"i\",\"PROCESS_DELAY\":0}");
	run_at(h, 0);
	is_int(P.processes, 1, "first process (fails)");
	is_int(count_code(NC_PLUGIN_DELAYED), 1, "PLUGIN_DELAYED after the failure");
	json_t *d = last_code(NC_PLUGIN_DELAYED);
	is_str(json_string_value(json_object_get(d, K_NOTIFICATION_TAG)), "PLUGIN_DELAYED", "tag");
	is_int(json_integer_value(json_object_get(d, K_ERROR_CODE)), -999, "ERROR_CODE -999");
	is_int(count_code(NC_PLUGIN_CONFIG_OK), 0, "no PLUGIN_CONFIG_OK after a failure");
	is_int(pluginhost_next_due(h), 1000, "backoff 1 s");
	run_at(h, 999);
	is_int(P.processes, 1, "nothing during the backoff");
	run_at(h, 1000);
	is_int(pluginhost_next_due(h), 3000, "backoff 2 s after the second failure");
	run_at(h, 3000);
	is_int(pluginhost_next_due(h), 7000, "backoff 4 s after the third");
	is_int(count_code(NC_PLUGIN_DELAYED), 3, "one PLUGIN_DELAYED per failure");
	run_at(h, 7000);
	is_int(P.processes, 4, "fourth attempt succeeds");
	is_int(count_code(NC_PLUGIN_CONFIG_OK), 1, "PLUGIN_CONFIG_OK after the first good exec");
	is_int(pluginhost_next_due(h), 7050, "back to the loop resolution (20 Hz)");
	struct plugin_stats st;
	struct plugin_instance *pi = pluginhost_get(h, "pipe", "probe_01", "i");
	ok(pi != NULL, "find the instance (case-insensitive signature)");
	plugin_get_stats(pi, &st);
	is_int(st.errors, 3, "three errors counted");
	is_int(st.consecutive_errors, 0, "cleared by the success");
	json_t *ap = pluginhost_active_plugins(h);
	ok(json_is_string(json_object_get(json_array_get(ap, 0), "FIRST_ERROR_TIME")),
	   "FIRST_ERROR_TIME set");
	json_decref(ap);
	end_world(&h);

	/* the cap */
	reset_probe();
	h = new_host(1000);
	pluginhost_register(h, &probe_ops, NULL);
	P.fail_init = 100;
	start(h, "{\"INSTANCE_ID\":\"i\"}");
	uint64_t t = 0;
	for (int i = 0; i < 6; i++) {
		run_at(h, t);
		t = pluginhost_next_due(h);
	}
	is_int(P.inits, 6, "init retried after each backoff");
	is_int(t - W.now, 8000, "backoff capped (8 s here)");
	is_int(P.processes, 0, "never processed while init fails");
	P.fail_init = 0;
	run_at(h, t);
	is_int(P.inits, 7, "init succeeds");
	is_int(P.processes, 1, "and the instance runs");
	end_world(&h);
	reset_probe();
}

static void test_echo(void)
{
	struct pluginhost *h = new_host(1000);
	json_t *c = J("{\"INSTANCE_ID\":\"e1\",\"PROCESS_DELAY\":1,\"EMIT_EACH\":2}");
	struct plugin_instance *pi = NULL;
	is_int(pluginhost_start(h, pluginhost_find(h, "ECHO_01"), "demo", c, NULL, &pi, NULL),
	       R1_OK, "start ECHO_01");
	json_decref(c);
	run_at(h, 0);
	is_int(json_array_size(W.payloads), 0, "iteration 1: no payload with EMIT_EACH 2");
	run_at(h, 1000);
	is_int(json_array_size(W.payloads), 1, "iteration 2: a payload");
	is_int(json_integer_value(json_object_get(json_array_get(W.payloads, 0), "COUNTER")), 2,
	       "COUNTER 2");
	json_t *u = J("{\"INSTANCE_ID\":\"e1\",\"PROCESS_DELAY\":1,\"EMIT_EACH\":2,"
	              "\"INSTANCE_COMMAND\":{\"PING\":7,\"COMMAND_PARAMS\":{\"A\":1}}}");
	pluginhost_update(h, pi, u, NULL);
	json_decref(u);
	run_at(h, 1100);
	json_t *reply = json_array_get(W.payloads, 1);
	is_int(json_integer_value(json_object_get(json_object_get(reply, "ECHO"), "PING")), 7,
	       "the command echoed back");
	is_int(json_integer_value(json_object_get(json_object_get(reply, "COMMAND_PARAMS"), "a")),
	       1, "with its params lower-cased");
	is_int(count_code(NC_PLUGIN_INSTANCE_COMMAND_OK), 1, "command OK");
	u = J("{\"INSTANCE_ID\":\"e1\",\"INSTANCE_COMMAND\":\"RAISE\"}");
	pluginhost_update(h, pi, u, NULL);
	json_decref(u);
	run_at(h, 1200);
	is_int(count_code(NC_PLUGIN_INSTANCE_COMMAND_FAILED), 1, "RAISE fails on purpose");
	end_world(&h);
}

int main(void)
{
	r1_alloc_setup_jansson();
	test_registry();
	test_process_delay();
	test_inputs();
	test_commands();
	test_pause();
	test_working_hours();
	test_backoff();
	test_echo();
	return tap_done();
}
