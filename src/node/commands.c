/*
 * Command acceptance and the ACTION handlers (reference 4.2 and 4.3;
 * communication_manager.py::process_command_message, command_handlers.py,
 * config_manager_commands.py).  Acceptance, in the reference's order:
 * EE_ID names this node (alias, address or ETH address), the signature
 * verifies (on an unsecured node a bad one is accepted with VALIDATED
 * false), the command decrypts, and the sender is allowed (authorized_addrs
 * or ourselves) or the command matches a whitelisted template.  Refusals
 * after the EE_ID check are told with COMM_RECEIVED_BAD_COMMAND (-5000);
 * nothing in the node changes.  Every handler reports its outcome as the
 * reference does, with the codes SDK transactions wait for.
 */
#include "node/nodepriv.h"
#include "node/cmdwhitelist.h"
#include "node/delta.h"
#include "node/pipeline.h"
#include "core/proto.h"

#include <strings.h>

#define MOD_CONFIG "ConfigManager"
#define MOD_COMM   "CommunicationManager"
#define MOD_MAIN   "Orchestrator"

/* One accepted command, as the handlers see it. */
struct cmd {
	const char *action;
	json_t *payload;          /* owned; sender/initiator/session/VALIDATED injected */
	const char *sender;       /* EE_SENDER */
	const char *initiator_id; /* the message's INITIATOR_ID */
	const char *session_id;
	bool validated;
};

bool node_is_allowed(const struct node *n, const char *addr)
{
	if (!addr)
		return false;
	return addr_same(addr, n->id.addr) || allowlist_contains(n->allow, addr);
}

static void say(struct node *n, const char *module, const char *type, int code, const char *msg,
                const char *info, const char *stream, const struct cmd *c, json_t *extra)
{
	struct notif_spec s = {
	    .module = module,
	    .type = type,
	    .msg = msg,
	    .code = code,
	    .info = info,
	    .stream = stream,
	    .initiator_id = c ? c->initiator_id : NULL,
	    .session_id = c ? c->session_id : NULL,
	    .with_ids = true,
	    .displayed = true,
	};
	node_notify(n, &s, extra);
}

static void pipeline_event(struct node *n, const char *name)
{
	struct node_event ev = {.type = NODE_EV_PIPELINE, .pipeline = name};
	node_emit_event(n, &ev);
}

static bool is_admin(const char *name)
{
	return name && strcasecmp(name, ADMIN_PIPELINE) == 0;
}

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- UPDATE_CONFIG ------------------------------------------------------ */

static void report_warnings(struct node *n, const char *name, const struct cmd *c, json_t *w)
{
	size_t i;
	json_t *m;
	json_array_foreach(w, i, m)
	    say(n, MOD_CONFIG, NOTIF_TYPE_EXCEPTION, 0, json_string_value(m), NULL, name, c, NULL);
}

static void cmd_update_config(struct node *n, struct cmd *c)
{
	char msg[512];
	const char *name = str_of(c->payload, K_NAME);
	if (!json_is_object(c->payload) || !name || !*name) {
		say(n, MOD_CONFIG, NOTIF_TYPE_ABNORMAL, NC_PIPELINE_FAILED,
		    "Received UPDATE_CONFIG without a pipeline NAME. Command dropped.", NULL, NULL,
		    c, NULL);
		return;
	}
	char *pname = r1_strdup(name);
	json_t *delta = json_deep_copy(c->payload);
	json_t *sender_addr = json_incref(json_object_get(delta, K_EE_SENDER));
	json_object_del(delta, K_EE_SENDER);
	json_t *sender_id = json_incref(json_object_get(delta, K_INITIATOR_ID));
	json_object_del(delta, K_INITIATOR_ID);
	const char *sid = json_string_value(sender_id);
	bool same = (sid && c->initiator_id && strcmp(sid, c->initiator_id) == 0) ||
	            ((!sender_id || json_is_null(sender_id)) && !c->initiator_id);
	if (!same) {
		snprintf(
		    msg, sizeof(msg),
		    "ERROR: Received initiator inconsistent with the command for pipeline '%s'. "
		    "Initiator: %s vs Sender: %s",
		    pname, c->initiator_id ? c->initiator_id : "None", sid ? sid : "None");
		say(n, MOD_CONFIG, NOTIF_TYPE_ABNORMAL, NC_PIPELINE_FAILED, msg, NULL, pname, c,
		    NULL);
		goto out;
	}
	if (is_admin(pname)) {
		say(n, MOD_CONFIG, NOTIF_TYPE_ABNORMAL, NC_PIPELINE_DCT_CONFIG_FAILED,
		    "WARNING: Attempted detected to modify whole administration pipeline. You can "
		    "only use update_pipeline_instance to modify individual plugins.",
		    NULL, pname, c, NULL);
		goto out;
	}
	struct pipeline_rt *p = node_pipeline_find(n, pname);
	bool is_new = p == NULL;
	snprintf(msg, sizeof(msg), "Received %s command %s pipeline '%s' from %s:%s",
	         c->validated ? "VALIDATED" : "NON-VALIDATED",
	         is_new ? "for new" : "to update for existing", pname,
	         c->initiator_id ? c->initiator_id : "None",
	         c->session_id ? c->session_id : "None");
	say(n, MOD_CONFIG, NOTIF_TYPE_NORMAL, 0, msg, NULL, NULL, c, NULL);
	json_t *addr = sender_addr ? json_incref(sender_addr) : json_null();
	json_t *iid = c->initiator_id ? json_string(c->initiator_id) : json_null();
	if (is_new) {
		json_object_set(delta, K_INITIATOR_ADDR, addr);
		json_object_set(delta, K_INITIATOR_ID, iid);
	}
	json_object_set(delta, K_MODIFIED_BY_ADDR, addr);
	json_object_set(delta, K_MODIFIED_BY_ID, iid);
	json_decref(addr);
	json_decref(iid);

	json_t *base = is_new ? json_object() : json_incref(p->config);
	json_t *merged = NULL, *cleaned = NULL, *warnings = NULL;
	char *why = NULL;
	enum r1_err e = delta_apply(base, delta, NULL, &merged, &why);
	json_decref(base);
	if (!e) {
		char seed[64];
		snprintf(seed, sizeof(seed), "%s_%lld", pname, (long long)time(NULL));
		e = pipeline_clean(merged, n->host, seed, &cleaned, &warnings, &why);
	}
	json_decref(merged);
	if (!e) {
		report_warnings(n, pname, c, warnings);
		e = node_pipeline_set(n, cleaned, &why); /* steals cleaned */
		cleaned = NULL;
	}
	json_decref(warnings);
	json_decref(cleaned);
	if (e) {
		snprintf(msg, sizeof(msg), "Failed to %s pipeline '%s': %s",
		         is_new ? "create" : "update", pname, why ? why : r1_strerror(e));
		say(n, MOD_CONFIG, NOTIF_TYPE_ABNORMAL, NC_PIPELINE_FAILED, msg, why, pname, c,
		    NULL);
		r1_free(why);
		goto out;
	}
	snprintf(msg, sizeof(msg),
	         "Successfully updated %s configuration for pipeline '%s' initiated by '%s'",
	         is_new ? "new" : "existing", pname, c->initiator_id ? c->initiator_id : "None");
	say(n, MOD_CONFIG, NOTIF_TYPE_NORMAL, NC_PIPELINE_OK, msg, NULL, pname, c, NULL);
	pipeline_event(n, pname);
out:
	json_decref(sender_addr);
	json_decref(sender_id);
	json_decref(delta);
	r1_free(pname);
}

/* ---- UPDATE_PIPELINE_INSTANCE and the batch ---------------------------- */

/* Returns true when the instance was updated (for the batch summary). */
static bool update_instance(struct node *n, struct cmd *c, const json_t *data)
{
	char msg[512], info[512] = "";
	const char *name = str_of(data, K_NAME);
	const char *sig = str_of(data, K_SIGNATURE);
	const char *iid = str_of(data, K_INSTANCE_ID);
	json_t *upd = json_object_get(data, K_INSTANCE_CONFIG);
	if (!json_is_object(upd) || json_object_size(upd) == 0)
		upd = NULL;
	struct pipeline_rt *p = name ? node_pipeline_find(n, name) : NULL;
	bool incomplete = !name || !sig || !iid || !upd;
	if (incomplete || !p) {
		snprintf(msg, sizeof(msg),
		         "Received invalid 'UPDATE_PIPELINE_INSTANCE' command for %s:%s:%s. "
		         "Incomplete request: %s, Non existant stream: %s",
		         name ? name : "None", sig ? sig : "None", iid ? iid : "None",
		         incomplete ? "True" : "False", (name && !p) ? "True" : "False");
		snprintf(info, sizeof(info),
		         "Command should contain NAME, SIGNATURE, INSTANCE_ID as well as "
		         "INSTANCE_CONFIG 'delta' object and MUST address a existing pipeline.");
		struct notif_spec s = {.module = MOD_CONFIG,
		                       .type = NOTIF_TYPE_EXCEPTION,
		                       .msg = msg,
		                       .code = NC_PIPELINE_FAILED,
		                       .info = info,
		                       .stream = name,
		                       .signature = sig,
		                       .instance_id = iid,
		                       .initiator_id = c->initiator_id,
		                       .session_id = c->session_id,
		                       .with_ids = true,
		                       .displayed = true};
		node_notify(n, &s, NULL);
		return false;
	}
	json_t *config = json_deep_copy(p->config);
	const char *session = c->session_id;
	if (session)
		json_object_set_new(config, K_SESSION_ID, json_string(session));
	if (c->initiator_id)
		json_object_set_new(config, K_MODIFIED_BY_ID, json_string(c->initiator_id));
	json_t *sender = json_object_get(data, K_EE_SENDER);
	json_object_set_new(config, K_MODIFIED_BY_ADDR,
	                    json_is_string(sender)
	                        ? json_incref(sender)
	                        : (c->sender ? json_string(c->sender) : json_null()));
	json_t *inst = pipeline_find_instance(config, sig, iid);
	struct notif_spec s = {.module = MOD_CONFIG,
	                       .stream = name,
	                       .signature = sig,
	                       .instance_id = iid,
	                       .initiator_id = c->initiator_id,
	                       .session_id = session,
	                       .with_ids = true,
	                       .displayed = true};
	if (!inst) {
		snprintf(msg, sizeof(msg), "Cannot find instance '%s' in pipeline/plugin <%s:%s>",
		         iid, name, sig);
		s.type = NOTIF_TYPE_EXCEPTION;
		s.code = NC_PIPELINE_FAILED;
		s.msg = msg;
		node_notify(n, &s, NULL);
		json_decref(config);
		return false;
	}
	static const char *const ignore[] = {K_INSTANCE_ID, NULL};
	json_t *updated = NULL;
	char *why = NULL;
	enum r1_err e = delta_apply(inst, upd, ignore, &updated, &why);
	if (!e) {
		json_object_clear(inst);
		json_object_update(inst, updated);
		e = node_pipeline_set(n, config, &why); /* steals config */
		config = NULL;
	}
	json_decref(updated);
	json_decref(config);
	if (e) {
		snprintf(msg, sizeof(msg), "Failed to update %s:%s:%s: %s", iid, name, sig,
		         why ? why : r1_strerror(e));
		s.type = NOTIF_TYPE_EXCEPTION;
		s.code = NC_PIPELINE_FAILED;
		s.msg = msg;
		s.info = why;
		node_notify(n, &s, NULL);
		r1_free(why);
		return false;
	}
	snprintf(msg, sizeof(msg), "Successfully updated with %s command %s:%s:%s",
	         c->validated ? "VALIDATED" : "NON-VALIDATED (sign/hash issue)", iid, name, sig);
	s.type = NOTIF_TYPE_NORMAL;
	s.code = NC_PIPELINE_OK;
	s.msg = msg;
	s.info = "";
	node_notify(n, &s, NULL);
	pipeline_event(n, name);
	return true;
}

static void cmd_update_pipeline_instance(struct node *n, struct cmd *c)
{
	update_instance(n, c, c->payload);
}

static void cmd_batch_update_pipeline_instance(struct node *n, struct cmd *c)
{
	char msg[300];
	if (!json_is_array(c->payload) || json_array_size(c->payload) == 0) {
		char *text = json_dumps(c->payload, JSON_COMPACT | JSON_ENCODE_ANY);
		char info[300];
		snprintf(info, sizeof(info), "Full received payload: %.200s", text ? text : "?");
		free(text);
		say(n, MOD_CONFIG, NOTIF_TYPE_EXCEPTION, 0,
		    "Received invalid 'BATCH_UPDATE_PIPELINE_INSTANCE' command. Command should "
		    "contain a list of pipeline updates",
		    info, NULL, c, NULL);
		return;
	}
	json_t *results = json_array();
	size_t i;
	json_t *item;
	json_array_foreach(c->payload, i, item)
	{
		if (!json_is_object(item))
			continue;
		json_t *copy = json_deep_copy(item);
		if (c->sender && !json_object_get(copy, K_EE_SENDER))
			json_object_set_new(copy, K_EE_SENDER, json_string(c->sender));
		if (update_instance(n, c, copy))
			json_array_append_new(results,
			                      json_pack("[O,O,O]", json_object_get(copy, K_NAME),
			                                json_object_get(copy, K_SIGNATURE),
			                                json_object_get(copy, K_INSTANCE_ID)));
		json_decref(copy);
	}
	snprintf(msg, sizeof(msg),
	         "Successfully updated %zu pipelines with `batch_update_pipeline_instance`",
	         json_array_size(c->payload));
	say(n, MOD_CONFIG, NOTIF_TYPE_NORMAL, 0, msg, NULL, NULL, c,
	    json_pack("{s:o}", ACT_BATCH_UPDATE_PIPELINE_INSTANCE, results));
}

/* ---- PIPELINE_COMMAND --------------------------------------------------- */

static void cmd_pipeline_command(struct node *n, struct cmd *c)
{
	char msg[300];
	const char *name = str_of(c->payload, K_NAME);
	struct pipeline_rt *p = name ? node_pipeline_find(n, name) : NULL;
	if (!p) {
		snprintf(
		    msg, sizeof(msg),
		    "Received invalid data for commanding pipeline '%s'. Pipeline does not exist",
		    name ? name : "None");
		say(n, MOD_CONFIG, NOTIF_TYPE_EXCEPTION, 0, msg, "", name, c, NULL);
		return;
	}
	json_t *config = json_deep_copy(p->config);
	if (c->initiator_id) {
		json_object_set_new(config, K_MODIFIED_BY_ID, json_string(c->initiator_id));
		json_object_set_new(config, K_MODIFIED_BY_ADDR,
		                    c->sender ? json_string(c->sender) : json_null());
	}
	json_t *pc = json_object_get(c->payload, K_PIPELINE_COMMAND);
	json_object_set(config, K_PIPELINE_COMMAND, pc ? pc : json_null());
	char *why = NULL;
	if (node_pipeline_set(n, config, &why)) {
		snprintf(msg, sizeof(msg), "Failed to store the pipeline command for '%s': %s",
		         name, why ? why : "?");
		say(n, MOD_CONFIG, NOTIF_TYPE_EXCEPTION, 0, msg, why, name, c, NULL);
		r1_free(why);
		return;
	}
	snprintf(msg, sizeof(msg), "Prepared pipeline command for pipeline '%s'", name);
	say(n, MOD_CONFIG, NOTIF_TYPE_NORMAL, 0, msg, "", name, c, NULL);
	pipeline_event(n, name);
}

/* ---- DELETE_CONFIG / ARCHIVE_CONFIG (+ _ALL) ---------------------------- */

static void delete_one(struct node *n, struct cmd *c, const char *name, bool verbose)
{
	char msg[300];
	if (!name || !node_pipeline_find(n, name)) {
		snprintf(msg, sizeof(msg), "Attempted to delete pipeline '%s' that does not exist.",
		         name ? name : "None");
		say(n, MOD_CONFIG, NOTIF_TYPE_ABNORMAL, 0, msg, NULL, name, c, NULL);
		return;
	}
	if (is_admin(name)) {
		say(n, MOD_CONFIG, NOTIF_TYPE_NORMAL, NC_PIPELINE_ARCHIVE_FAILED,
		    "WARNING: Attempted detected to delete administration pipeline", NULL, NULL, c,
		    NULL);
		return;
	}
	char *why = NULL;
	if (node_pipeline_remove(n, name, false, &why)) {
		snprintf(msg, sizeof(msg), "Failed to delete pipeline %s: %s", name,
		         why ? why : "?");
		say(n, MOD_CONFIG, NOTIF_TYPE_EXCEPTION, 0, msg, why, name, c, NULL);
		r1_free(why);
		return;
	}
	snprintf(msg, sizeof(msg), "Successfully deleted pipeline %s", name);
	if (verbose)
		say(n, MOD_CONFIG, NOTIF_TYPE_NORMAL, 0, msg, NULL, name, c, NULL);
	pipeline_event(n, name);
}

static void archive_one(struct node *n, struct cmd *c, const json_t *name_v)
{
	char msg[300];
	const char *name = json_string_value(name_v);
	if (!name) {
		char *text = json_dumps(name_v, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(msg, sizeof(msg),
		         "Attempt to archive a pipeline with no/wrong pipeline name/information: "
		         "%.100s.",
		         text ? text : "None");
		free(text);
		say(n, MOD_CONFIG, NOTIF_TYPE_ABNORMAL, NC_PIPELINE_ARCHIVE_FAILED, msg, NULL, NULL,
		    c, NULL);
		return;
	}
	if (!node_pipeline_find(n, name)) {
		snprintf(msg, sizeof(msg),
		         "Attempted to archive pipeline '%s' that does not exist.", name);
		say(n, MOD_CONFIG, NOTIF_TYPE_ABNORMAL, NC_PIPELINE_ARCHIVE_FAILED, msg, NULL, name,
		    c, NULL);
		return;
	}
	if (is_admin(name)) {
		say(n, MOD_CONFIG, NOTIF_TYPE_NORMAL, NC_PIPELINE_ARCHIVE_FAILED,
		    "WARNING: Attempted detected to archive administration pipeline", NULL, NULL, c,
		    NULL);
		return;
	}
	char *why = NULL;
	if (node_pipeline_remove(n, name, true, &why)) {
		snprintf(msg, sizeof(msg), "Failed to archive pipeline '%s': %s", name,
		         why ? why : "?");
		say(n, MOD_CONFIG, NOTIF_TYPE_ABNORMAL, NC_PIPELINE_ARCHIVE_FAILED, msg, why, name,
		    c, NULL);
		r1_free(why);
		return;
	}
	size_t count = 0;
	for (struct pipeline_rt *p = n->pipes; p; p = p->next)
		count++;
	snprintf(msg, sizeof(msg),
	         "Successfully archived (and deleted) pipeline '%s' (currently %zu active "
	         "pipelines)",
	         name, count);
	say(n, MOD_CONFIG, NOTIF_TYPE_NORMAL, NC_PIPELINE_ARCHIVE_OK, msg, NULL, name, c, NULL);
	pipeline_event(n, name);
}

static void cmd_delete_config(struct node *n, struct cmd *c)
{
	delete_one(n, c, json_string_value(c->payload), true);
}

static void cmd_archive_config(struct node *n, struct cmd *c)
{
	archive_one(n, c, c->payload);
}

static json_t *pipeline_names(const struct node *n)
{
	json_t *names = json_array();
	for (struct pipeline_rt *p = n->pipes; names && p; p = p->next)
		json_array_append_new(names, json_string(p->name));
	return names;
}

static void cmd_delete_config_all(struct node *n, struct cmd *c)
{
	say(n, MOD_MAIN, NOTIF_TYPE_NORMAL, 0,
	    "  Running 'DELETE_CONFIG_ALL' command in main loop received", NULL, NULL, c, NULL);
	json_t *names = pipeline_names(n);
	size_t i;
	json_t *v;
	json_array_foreach(names, i, v) delete_one(n, c, json_string_value(v), true);
	json_decref(names);
}

static void cmd_archive_config_all(struct node *n, struct cmd *c)
{
	say(n, MOD_MAIN, NOTIF_TYPE_NORMAL, 0,
	    "  Running 'ARCHIVE_CONFIG_ALL' command in main loop received", NULL, NULL, c, NULL);
	json_t *names = pipeline_names(n);
	size_t i;
	json_t *v;
	json_array_foreach(names, i, v) archive_one(n, c, v);
	json_decref(names);
}

/* ---- node-level commands ------------------------------------------------ */

static void request_exit(struct node *n, struct cmd *c, enum node_exit what, const char *action)
{
	char msg[200];
	snprintf(msg, sizeof(msg), "  Running '%s' command in main loop received from '%s'", action,
	         c->initiator_id ? c->initiator_id : "None");
	say(n, MOD_MAIN, NOTIF_TYPE_NORMAL, 0, msg, NULL, NULL, c, NULL);
	n->exit = what;
	struct node_event ev = {
	    .type = NODE_EV_EXIT_REQUEST, .exit = what, .action = action, .sender = c->sender};
	node_emit_event(n, &ev);
}

static void cmd_restart(struct node *n, struct cmd *c)
{
	request_exit(n, c, NODE_EXIT_RESTART, ACT_RESTART);
}

static void cmd_stop(struct node *n, struct cmd *c)
{
	request_exit(n, c, NODE_EXIT_STOP, ACT_STOP);
}

static void cmd_full_heartbeat(struct node *n, struct cmd *c)
{
	node_heartbeat_send(n, NULL, true, true, c->initiator_id, c->session_id);
}

static void cmd_timers_only_heartbeat(struct node *n, struct cmd *c)
{
	node_heartbeat_send(n, NULL, true, false, c->initiator_id, c->session_id);
}

static void cmd_simple_heartbeat(struct node *n, struct cmd *c)
{
	node_heartbeat_send(n, NULL, false, false, c->initiator_id, c->session_id);
}

static void cmd_reload_config_from_disk(struct node *n, struct cmd *c)
{
	say(n, MOD_MAIN, NOTIF_TYPE_NORMAL, 0,
	    "  Running 'RELOAD_CONFIG_FROM_DISK' command in main loop received", NULL, NULL, c,
	    NULL);
	char *why = NULL;
	if (node_reload(n, &why)) {
		say(n, MOD_MAIN, NOTIF_TYPE_EXCEPTION, 0, "Reloading the configuration failed", why,
		    NULL, c, NULL);
		r1_free(why);
	}
}

static void cmd_reset_whitelist(struct node *n, struct cmd *c)
{
	char *why = NULL;
	json_t *t = NULL;
	if (cmdwhitelist_reset(n->path_cmdwl, &why) || cmdwhitelist_load(n->path_cmdwl, &t, &why)) {
		say(n, MOD_COMM, NOTIF_TYPE_EXCEPTION, 0, "Resetting whitelist_commands failed",
		    why, NULL, c, NULL);
		r1_free(why);
		return;
	}
	json_decref(n->cmd_templates);
	n->cmd_templates = t;
}

static const struct {
	const char *action;
	void (*fn)(struct node *n, struct cmd *c);
} handlers[] = {
    {ACT_UPDATE_CONFIG, cmd_update_config},
    {ACT_DELETE_CONFIG, cmd_delete_config},
    {ACT_ARCHIVE_CONFIG, cmd_archive_config},
    {ACT_DELETE_CONFIG_ALL, cmd_delete_config_all},
    {ACT_ARCHIVE_CONFIG_ALL, cmd_archive_config_all},
    {ACT_UPDATE_PIPELINE_INSTANCE, cmd_update_pipeline_instance},
    {ACT_BATCH_UPDATE_PIPELINE_INSTANCE, cmd_batch_update_pipeline_instance},
    {ACT_PIPELINE_COMMAND, cmd_pipeline_command},
    {ACT_RESTART, cmd_restart},
    {ACT_STOP, cmd_stop},
    {ACT_FULL_HEARTBEAT, cmd_full_heartbeat},
    {ACT_TIMERS_ONLY_HEARTBEAT, cmd_timers_only_heartbeat},
    {ACT_SIMPLE_HEARTBEAT, cmd_simple_heartbeat},
    {ACT_RELOAD_CONFIG_FROM_DISK, cmd_reload_config_from_disk},
    {ACT_RESET_WHITELIST_COMMANDS_TO_TEMPLATE, cmd_reset_whitelist},
};

/* ---- acceptance ---------------------------------------------------------- */

static const char *msg_str(const struct node_inbound *in, const char *key)
{
	return in->msg ? json_string_value(json_object_get(in->msg, key)) : NULL;
}

static void refuse(struct node *n, const struct node_inbound *in, const char *action,
                   const char *reason, bool notify)
{
	n->stats.commands_refused++;
	LOG_W(n->log, "node", "%s: command %s from %s refused: %s", n->alias,
	      action ? action : "(none)", in->sender ? in->sender : "(no sender)", reason);
	if (notify) {
		char msg[400];
		snprintf(msg, sizeof(msg),
		         "INCOMING: Received invalid command from %s(%s) due to "
		         "'%s'. Command will be DROPPED.",
		         msg_str(in, K_INITIATOR_ID) ? msg_str(in, K_INITIATOR_ID) : "None",
		         in->sender ? in->sender : "None", reason);
		struct notif_spec s = {.module = MOD_COMM,
		                       .type = NOTIF_TYPE_ABNORMAL,
		                       .msg = msg,
		                       .code = NC_COMM_RECEIVED_BAD_COMMAND,
		                       .session_id = msg_str(in, K_SESSION_ID),
		                       .displayed = false};
		node_notify(n, &s, NULL);
	}
	struct node_event ev = {.type = NODE_EV_COMMAND_REFUSED,
	                        .action = action,
	                        .sender = in->sender,
	                        .reason = reason};
	node_emit_event(n, &ev);
}

void node_refuse_command(struct node *n, const struct node_inbound *in, const char *action,
                         const char *reason)
{
	refuse(n, in, action, reason, true);
}

static bool names_this_node(const struct node *n, const char *device_id)
{
	return device_id &&
	       (strcmp(device_id, n->alias) == 0 || strcmp(device_id, n->id.addr) == 0 ||
	        strcmp(device_id, n->id.eth) == 0);
}

void node_handle_command(struct node *n, const struct node_inbound *in)
{
	json_t *msg = in->msg;
	const char *device_id = str_of(msg, K_EE_ID);
	const char *action_v = str_of(msg, K_ACTION);
	if (!names_this_node(n, device_id)) {
		refuse(n, in, action_v, "not for this node (EE_ID)", false);
		return;
	}
	if (!in->signature_ok) {
		char reason[300];
		snprintf(reason, sizeof(reason), "signature: %s",
		         in->verdict && *in->verdict ? in->verdict : "invalid");
		if (n->secured) {
			refuse(n, in, action_v, reason, true);
			return;
		}
		char note[400];
		snprintf(note, sizeof(note),
		         "INCOMING: Received invalid command from %s due to '%s'. Command is "
		         "accepted due to UNSECURED node.",
		         in->sender ? in->sender : "None", reason);
		struct notif_spec s = {.module = MOD_COMM,
		                       .type = NOTIF_TYPE_ABNORMAL,
		                       .msg = note,
		                       .displayed = false};
		node_notify(n, &s, NULL);
	}
	if (in->encrypted && !in->decrypted) {
		char reason[300];
		snprintf(reason, sizeof(reason), "decryption failed: %s",
		         in->decrypt_error && *in->decrypt_error ? in->decrypt_error : "?");
		refuse(n, in, NULL, reason, true);
		return;
	}
	if (!node_is_allowed(n, in->sender) && !cmdwhitelist_any(n->cmd_templates, msg)) {
		refuse(n, in, action_v, "Sender is not authorized.", true);
		return;
	}
	action_v = str_of(msg, K_ACTION);
	if (!action_v) {
		refuse(n, in, NULL, "message does not contain an ACTION", true);
		return;
	}
	char action[64];
	if (!key_upper(action_v, action, sizeof(action))) {
		refuse(n, in, NULL, "ACTION too long", true);
		return;
	}
	json_t *payload = json_object_get(msg, K_PAYLOAD);
	struct node_event ev = {
	    .type = NODE_EV_COMMAND, .action = action, .payload = payload, .sender = in->sender};
	const char *initiator = str_of(msg, K_INITIATOR_ID);
	const char *session = str_of(msg, K_SESSION_ID);
	struct cmd c = {
	    .action = action,
	    .payload =
	        (payload && !json_is_null(payload)) ? json_deep_copy(payload) : json_object(),
	    .sender = in->sender,
	    .initiator_id = initiator,
	    .session_id = session,
	    .validated = in->signature_ok,
	};
	if (json_is_object(c.payload)) {
		json_object_set_new(c.payload, K_EE_SENDER,
		                    in->sender ? json_string(in->sender) : json_null());
		json_t *pi = json_object_get(c.payload, K_INITIATOR_ID);
		if (!pi || json_is_null(pi) || initiator)
			json_object_set_new(c.payload, K_INITIATOR_ID,
			                    initiator ? json_string(initiator) : json_null());
		json_t *ps = json_object_get(c.payload, K_SESSION_ID);
		if (!ps || json_is_null(ps) || session)
			json_object_set_new(c.payload, K_SESSION_ID,
			                    session ? json_string(session) : json_null());
		json_object_set_new(c.payload, K_VALIDATED, json_boolean(c.validated));
	}
	size_t i;
	for (i = 0; i < R1_ARRAY_LEN(handlers); i++)
		if (strcmp(handlers[i].action, action) == 0)
			break;
	if (i == R1_ARRAY_LEN(handlers)) {
		LOG_W(n->log, "node", "%s: '%s' - command unknown", n->alias, action);
		ev.type = NODE_EV_COMMAND_REFUSED;
		ev.reason = "command unknown";
		n->stats.commands_refused++;
		node_emit_event(n, &ev);
		json_decref(c.payload);
		return;
	}
	n->stats.commands_accepted++;
	LOG_I(n->log, "node", "%s: %s from %s (%s)", n->alias, action,
	      in->sender ? in->sender : "?", in->signature_ok ? "signed" : "NOT validated");
	node_emit_event(n, &ev);
	n->in_command = true;
	handlers[i].fn(n, &c);
	n->in_command = false;
	json_decref(c.payload);
}
