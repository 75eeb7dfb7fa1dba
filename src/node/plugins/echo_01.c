/*
 * ECHO_01: a small user plugin for tests and demos.  Every process() counts
 * an iteration and, every EMIT_EACH iterations (0 = never), sends a payload
 * with the COUNTER; an input (in a NetworkListener pipeline) is echoed with
 * its EE_PAYLOAD_PATH.  An INSTANCE_COMMAND is sent back as a payload
 * (ECHO = the command, COMMAND_PARAMS = its lower-cased parameters,
 * COUNTER); the command "RAISE" (or {"RAISE": ...}) fails on purpose, so a
 * client can see PLUGIN_INSTANCE_COMMAND_FAILED.
 */
#include "node/lib.h"
#include "node/plugin.h"
#include "core/proto.h"

struct echo {
	uint64_t commands;
};

static const char defaults[] = "{\"PROCESS_DELAY\": 1, \"ALLOW_EMPTY_INPUTS\": true,"
                               " \"EMIT_EACH\": 1, \"MESSAGE\": \"echo\"}";

static const char schema[] =
    "{\"type\": \"object\", \"title\": \"ECHO_01\","
    " \"properties\": {"
    "  \"PROCESS_DELAY\": {\"type\": \"number\", \"minimum\": 0, \"default\": 1,"
    "   \"description\": \"Seconds between two iterations\"},"
    "  \"EMIT_EACH\": {\"type\": \"integer\", \"minimum\": 0, \"default\": 1,"
    "   \"description\": \"Send a payload every N iterations (0: only command replies)\"},"
    "  \"MESSAGE\": {\"type\": \"string\", \"default\": \"echo\","
    "   \"description\": \"Text carried by every payload\"}"
    " }}";

static enum r1_err echo_init(struct plugin_instance *pi, void **state, char **why)
{
	struct echo *e = r1_calloc(1, sizeof(*e));
	if (!e)
		return r1_fail(why, R1_ERR_NOMEM, "ECHO_01: out of memory");
	*state = e;
	return R1_OK;
}

static enum r1_err echo_process(struct plugin_instance *pi, void *state, const json_t *input,
                                char **why)
{
	uint64_t n = plugin_process_iteration(pi);
	const char *msg = plugin_cfg_str(pi, "MESSAGE", "echo");
	if (input) {
		json_t *path = json_object_get(input, K_EE_PAYLOAD_PATH);
		return plugin_emit(pi,
		                   json_pack("{s:s,s:I,s:O,s:O}", "message", msg, "counter",
		                             (json_int_t)n, "input_path", path ? path : json_null(),
		                             "input_sender",
		                             json_object_get(input, K_EE_SENDER)
		                                 ? json_object_get(input, K_EE_SENDER)
		                                 : json_null()),
		                   why);
	}
	json_int_t each = plugin_cfg_int(pi, "EMIT_EACH", 1);
	if (each <= 0 || n % (uint64_t)each != 0)
		return R1_OK;
	return plugin_emit(pi, json_pack("{s:s,s:I}", "message", msg, "counter", (json_int_t)n),
	                   why);
}

static bool is_raise(const json_t *data)
{
	if (json_is_string(data))
		return strcmp(json_string_value(data), "RAISE") == 0;
	return json_is_object(data) && json_object_get(data, "RAISE") != NULL;
}

static enum r1_err echo_command(struct plugin_instance *pi, void *state, const json_t *data,
                                const json_t *params, char **why)
{
	struct echo *e = state;
	e->commands++;
	if (is_raise(data))
		return r1_fail(why, R1_ERR_INVAL, "ECHO_01: RAISE requested");
	return plugin_emit(pi,
	                   json_pack("{s:O,s:O,s:I,s:I}", "echo", data, "command_params", params,
	                             "counter", (json_int_t)plugin_process_iteration(pi),
	                             "commands_received", (json_int_t)e->commands),
	                   why);
}

static void echo_close(struct plugin_instance *pi, void *state)
{
	r1_free(state);
}

const struct plugin_ops plugin_echo_01 = {
    .signature = "ECHO_01",
    .version = "1.0.0",
    .defaults = defaults,
    .schema = schema,
    .init = echo_init,
    .process = echo_process,
    .command = echo_command,
    .close = echo_close,
};
