/*
 * UPDATE_MONITOR_01 (update_monitor_01.py): on this node only its instance
 * commands matter.  {"COMMAND": "GET_CONFIG"} answers with CONFIG_STARTUP
 * (compress_text of this node's settings), "GET_WHITELIST" with
 * EE_WHITELIST, "GET_PIPELINES" with EE_PIPELINES encrypted to whoever
 * created or last modified the admin pipeline, "UPDATE_CHECK" with the
 * version.  "SAVE_CONFIG" is refused: this node's settings come from its
 * command line.
 */
#include "node/lib.h"
#include "node/nodepriv.h"
#include "node/plugin.h"
#include "core/codec.h"
#include "core/proto.h"

#include <strings.h>

static const char defaults[] = "{\"PROCESS_DELAY\": 300, \"ALLOW_EMPTY_INPUTS\": false}";

static enum r1_err um_process(struct plugin_instance *pi, void *state, const json_t *input,
                              char **why)
{
	return R1_OK;
}

static json_t *config_startup(const struct node *n)
{
	json_t *cfg = json_pack("{s:s,s:s,s:b,s:b,s:i,s:s,s:s}", "EE_ID", n->alias, "ROOT_TOPIC",
	                        n->root, "SUPERVISOR", n->oracle, "SECURED", n->secured,
	                        "SECONDS_HEARTBEAT", (int)(n->heartbeat_ms / 1000), "APP_VERSION",
	                        PACKAGE_VERSION, "DATA_DIR", n->dir);
	char *text = cfg ? json_dumps(cfg, JSON_COMPACT) : NULL;
	json_decref(cfg);
	if (!text)
		return NULL;
	struct buf b = BUF_INIT;
	json_t *out = NULL;
	if (compress_text(&b, text, strlen(text), NULL) == R1_OK)
		out = json_stringn(b.data, b.len);
	buf_release(&b);
	free(text);
	return out;
}

static enum r1_err um_command(struct plugin_instance *pi, void *state, const json_t *data,
                              const json_t *params, char **why)
{
	struct node *n = plugin_node(pi);
	const char *cmd = "UPDATE_CHECK";
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)data, k, v) if (strcasecmp(k, "COMMAND") == 0 &&
	                                              json_is_string(v)) cmd = json_string_value(v);
	if (strcasecmp(cmd, "GET_CONFIG") == 0) {
		json_t *cs = config_startup(n);
		if (!cs)
			return r1_fail(why, R1_ERR_NOMEM, "UPDATE_MONITOR_01: out of memory");
		return plugin_emit(pi, json_pack("{s:o}", "config_startup", cs), why);
	}
	if (strcasecmp(cmd, "GET_WHITELIST") == 0)
		return plugin_emit(pi, json_pack("{s:o}", "ee_whitelist", node_whitelist(n)), why);
	if (strcasecmp(cmd, "GET_PIPELINES") == 0)
		return plugin_emit(pi,
		                   json_pack("{s:o,s:b}", "ee_pipelines", node_pipeline_configs(n),
		                             "ee_is_encrypted", 1),
		                   why);
	if (strcasecmp(cmd, "UPDATE_CHECK") == 0)
		return plugin_emit(pi,
		                   json_pack("{s:s,s:s}", "version", PACKAGE_VERSION, "status",
		                             "update checks are not done by this node"),
		                   why);
	return r1_fail(why, R1_ERR_INVAL, "UPDATE_MONITOR_01: command %s not supported", cmd);
}

const struct plugin_ops plugin_update_monitor_01 = {
    .signature = SIG_UPDATE_MONITOR_01,
    .version = "1.0.0",
    .defaults = defaults,
    .flags = PLUGIN_F_ADMIN,
    .process = um_process,
    .command = um_command,
};
