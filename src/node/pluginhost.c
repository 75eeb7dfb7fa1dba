/*
 * The plugin host (see pluginhost.h and plugin.h): registry, instance
 * lifecycle and the scheduler that replaces the reference's thread per
 * instance with one due time per instance on the owner's loop.  This file
 * decides when a plugin runs and what the network hears about it; it does
 * not know about pipelines, buses or signatures of messages.
 */
#include "node/lib.h"
#include "node/pluginhost.h"
#include "node/notif.h"
#include "node/nodetime.h"
#include "node/workhours.h"
#include "core/proto.h"

#include <strings.h>

/* base_plugin_biz.py::_CONFIG, the keys this host implements. */
static const char base_defaults_text[] =
    "{\"PROCESS_DELAY\": 0, \"ALLOW_EMPTY_INPUTS\": false, \"MAX_INPUTS_QUEUE_SIZE\": 1,"
    " \"PLUGIN_LOOP_RESOLUTION\": 20, \"INSTANCE_COMMAND\": {}, \"ENCRYPT_PAYLOAD\": false,"
    " \"USE_LOCAL_COMMS_ONLY\": false, \"FORCED_PAUSE\": false, \"DISABLED\": false,"
    " \"WORKING_HOURS\": [], \"WORKING_HOURS_TIMEZONE\": null,"
    " \"IGNORE_WORKING_HOURS\": false, \"RUNS_ONLY_ON_SUPERVISOR_NODE\": false,"
    " \"TAGS\": \"\", \"ID_TAGS\": [], \"CHAINSTORE_PEERS\": [],"
    " \"CHAINSTORE_RESPONSE_KEY\": null}";

#define MAX_QUEUE_SIZE       4096
#define MAX_PENDING_COMMANDS 64

struct registered {
	const struct plugin_ops *ops;
	struct registered *next;
};

struct pluginhost {
	struct host_sink sink;
	struct host_clock clock;
	struct host_settings set;
	struct r1_log *log;
	struct node *node;
	json_t *base_defaults;
	struct registered *extra;
	struct plugin_instance *head;
	size_t count;
	uint64_t payloads_since;
};

struct plugin_instance {
	struct pluginhost *host;
	struct plugin_instance *next;
	const struct plugin_ops *ops;
	char *stream, *signature, *instance_id, *module;
	json_t *upstream; /* instance config as the pipeline holds it, minus the command keys */
	json_t *config;   /* base defaults + plugin defaults + upstream */
	char *initiator_id, *initiator_addr, *modified_by_id, *modified_by_addr, *session_id;
	void *state;
	bool initialized;

	uint64_t next_due;
	uint64_t last_process_ms;
	bool have_last_process;
	uint64_t exec_iter, process_iter, exec_after_config, payloads, errors;
	unsigned consecutive_errors;
	double avg_lap_ms; /* for FREQUENCY */

	bool was_stopped, shift_started, outside_hours;

	json_t **queue;
	size_t qhead, qlen, qcap;
	json_t *commands; /* FIFO of pending INSTANCE_COMMAND values */
	/* The last command queued and not yet run: the pipeline config holds it
	 * until it is archived, and re-applying that config must not queue it
	 * again. */
	json_t *last_queued;

	int64_t init_wall, exec_wall, last_config_wall, first_error_wall, last_error_wall;
	int64_t last_payload_wall;
};

/* ---- small helpers ------------------------------------------------------ */

static char *dup_or_null(const char *s)
{
	return s ? r1_strdup(s) : NULL;
}

static uint64_t now_ms(const struct pluginhost *h)
{
	return h->clock.now_ms(h->clock.ctx);
}

static int64_t wall_us(const struct pluginhost *h)
{
	return h->clock.wall_us(h->clock.ctx);
}

static json_t *time_text(int64_t wall)
{
	if (!wall)
		return json_null();
	char t[NODETIME_TEXT_SIZE];
	nodetime_format(wall, t);
	return json_string(t);
}

/* "ECHO_01" -> "Echo01Plugin", the reference's class name for MODULE. */
static char *module_name(const char *sig)
{
	struct buf b = BUF_INIT;
	bool up = true;
	for (const char *p = sig; *p; p++) {
		if (*p == '_') {
			up = true;
			continue;
		}
		char c = *p;
		if (up && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!up && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		buf_addc(&b, c);
		up = false;
	}
	buf_adds(&b, "Plugin");
	size_t n;
	return buf_detach(&b, &n);
}

static bool is_empty_command(const json_t *v)
{
	if (!v || json_is_null(v))
		return true;
	if (json_is_string(v))
		return json_string_length(v) == 0;
	if (json_is_array(v))
		return json_array_size(v) == 0;
	if (json_is_object(v))
		return json_object_size(v) == 0;
	return false;
}

static json_t *cfg(const struct plugin_instance *pi, const char *key)
{
	return json_object_get(pi->config, key);
}

static double cfg_number(const struct plugin_instance *pi, const char *key, double dflt)
{
	const json_t *v = cfg(pi, key);
	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_boolean(v))
		return json_is_true(v) ? 1 : 0;
	return dflt;
}

static bool cfg_truthy(const struct plugin_instance *pi, const char *key)
{
	const json_t *v = cfg(pi, key);
	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_number(v))
		return json_number_value(v) != 0;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	return v && !json_is_null(v) && (json_is_array(v) ? json_array_size(v) : 1);
}

/* ---- registry ----------------------------------------------------------- */

struct pluginhost *pluginhost_new(const struct host_sink *sink, const struct host_clock *clock,
                                  const struct host_settings *settings, struct r1_log *log,
                                  struct node *node)
{
	struct pluginhost *h = r1_calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->sink = *sink;
	h->clock = *clock;
	h->set.exception_delay_ms = 10000;
	h->set.exception_delay_max_ms = 300000;
	h->set.idle_recheck_ms = 1000;
	if (settings) {
		h->set = *settings;
		if (!h->set.exception_delay_ms)
			h->set.exception_delay_ms = 10000;
		if (h->set.exception_delay_max_ms < h->set.exception_delay_ms)
			h->set.exception_delay_max_ms = h->set.exception_delay_ms * 30;
		if (!h->set.idle_recheck_ms)
			h->set.idle_recheck_ms = 1000;
	}
	h->log = log;
	h->node = node;
	json_error_t jerr;
	h->base_defaults = json_loads(base_defaults_text, 0, &jerr);
	if (!h->base_defaults) {
		r1_free(h);
		return NULL;
	}
	return h;
}

static void instance_free(struct plugin_instance *pi);

void pluginhost_free(struct pluginhost **hp)
{
	struct pluginhost *h = *hp;
	if (!h)
		return;
	while (h->head) {
		struct plugin_instance *pi = h->head;
		pluginhost_stop(h, &pi);
	}
	for (struct registered *r = h->extra, *n; r; r = n) {
		n = r->next;
		r1_free(r);
	}
	json_decref(h->base_defaults);
	r1_free(h);
	*hp = NULL;
}

void pluginhost_set_supervisor(struct pluginhost *h, bool is_supervisor)
{
	h->set.is_supervisor = is_supervisor;
}

static json_t *parse_defaults(const struct plugin_ops *ops)
{
	if (!ops->defaults)
		return json_object();
	json_error_t jerr;
	json_t *d = json_loads(ops->defaults, 0, &jerr);
	if (!json_is_object(d)) {
		json_decref(d);
		return NULL;
	}
	return d;
}

enum r1_err pluginhost_register(struct pluginhost *h, const struct plugin_ops *ops, char **why)
{
	for (struct registered *r = h->extra; r; r = r->next)
		if (strcasecmp(r->ops->signature, ops->signature) == 0)
			return r1_fail(why, R1_ERR_EXISTS, "plugin %s already registered",
			               ops->signature);
	json_t *d = parse_defaults(ops);
	if (!d)
		return r1_fail(why, R1_ERR_INVAL, "plugin %s: defaults are not a JSON object",
		               ops->signature);
	json_decref(d);
	struct registered *r = r1_calloc(1, sizeof(*r));
	if (!r)
		return r1_fail(why, R1_ERR_NOMEM, "plugin %s: out of memory", ops->signature);
	r->ops = ops;
	r->next = h->extra;
	h->extra = r;
	return R1_OK;
}

const struct plugin_ops *pluginhost_find(const struct pluginhost *h, const char *signature)
{
	if (!signature)
		return NULL;
	for (struct registered *r = h->extra; r; r = r->next)
		if (strcasecmp(r->ops->signature, signature) == 0)
			return r->ops;
	for (const struct plugin_ops *const *p = plugin_builtins; *p; p++)
		if (strcasecmp((*p)->signature, signature) == 0)
			return *p;
	return NULL;
}

json_t *pluginhost_signatures(const struct pluginhost *h)
{
	json_t *a = json_array();
	for (struct registered *r = h->extra; a && r; r = r->next)
		json_array_append_new(a, json_string(r->ops->signature));
	for (const struct plugin_ops *const *p = plugin_builtins; a && *p; p++)
		if (pluginhost_find(h, (*p)->signature) == *p)
			json_array_append_new(a, json_string((*p)->signature));
	return a;
}

/* ---- notifications and payloads ---------------------------------------- */

static void notify(struct plugin_instance *pi, const char *type, int code, const char *msg,
                   const char *info, json_t *extra)
{
	struct pluginhost *h = pi->host;
	char ts[NODETIME_TEXT_SIZE];
	nodetime_format(wall_us(h), ts);
	struct notif_spec s = {
	    .module = pi->module,
	    .type = type,
	    .msg = msg,
	    .code = code,
	    .info = info,
	    .stream = pi->stream,
	    .signature = pi->signature,
	    .instance_id = pi->instance_id,
	    .initiator_id = pi->initiator_id,
	    .session_id = pi->session_id,
	    .with_ids = true,
	    .displayed = true,
	};
	json_t *n = notif_build(&s, ts, extra);
	if (n) {
		if (json_object_get(pi->config, K_USE_LOCAL_COMMS_ONLY))
			json_object_set(n, K_USE_LOCAL_COMMS_ONLY, cfg(pi, K_USE_LOCAL_COMMS_ONLY));
		h->sink.notification(h->sink.ctx, n);
	} else {
		LOG_E(h->log, "plugins", "%s/%s: cannot build a notification (out of memory)",
		      pi->stream, pi->instance_id);
	}
}

void plugin_notify(struct plugin_instance *pi, const char *type, int code, const char *msg,
                   const char *info, json_t *extra)
{
	notify(pi, type, code, msg, info, extra);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* GeneralPayload._pre_process_object, then the plugin's fields, upper-cased. */
static json_t *build_payload(struct plugin_instance *pi, json_t *fields)
{
	struct pluginhost *h = pi->host;
	int64_t wall = wall_us(h);
	char ts[NODETIME_TEXT_SIZE];
	nodetime_format(wall, ts);
	json_t *p = json_object();
	if (!p)
		return NULL;
	double alive_min = pi->init_wall ? (double)(wall - pi->init_wall) / 60e6 : 0;
	int rc = 0;
	rc |= json_object_set_new(p, K_TIMESTAMP_EXECUTION, json_string(ts));
	rc |= json_object_set_new(p, "STREAM", json_string(pi->stream));
	rc |= json_object_set_new(p, "PIPELINE", json_string(pi->stream));
	rc |= json_object_set_new(p, "IS_ALERT", json_false());
	rc |= json_object_set_new(p, "IS_NEW_RAISE", json_false());
	rc |= json_object_set_new(p, "IS_NEW_LOWER", json_false());
	rc |= json_object_set_new(p, "IS_ALERT_NEW_RAISE", json_false());
	rc |= json_object_set_new(p, "IS_ALERT_NEW_LOWER", json_false());
	rc |= json_object_set_new(p, "LAST_ALERT_DURATION", json_null());
	rc |= json_object_set_new(p, "IS_ALERT_STATUS_CHANGED", json_false());
	rc |= json_object_set_new(p, "_P_ALIVE_TIME_MINS",
	                          json_real((double)(int64_t)(alive_min * 100 + 0.5) / 100));
	rc |= json_object_set_new(
	    p, "_P_PLUGIN_REAL_RESOLUTION",
	    pi->avg_lap_ms > 0 ? json_real((double)(int64_t)(10000.0 / pi->avg_lap_ms + 0.5) / 10)
	                       : json_null());
	rc |= json_object_set(p, "_P_PLUGIN_LOOP_RESOLUTION", cfg(pi, "PLUGIN_LOOP_RESOLUTION"));
	rc |= json_object_set_new(p, K_STREAM_NAME, json_string(pi->stream));
	rc |= json_object_set_new(p, K_SIGNATURE, json_string(pi->signature));
	rc |= json_object_set_new(p, K_INSTANCE_ID, json_string(pi->instance_id));
	rc |= json_object_set_new(p, K_INITIATOR_ID, str_or_null(pi->initiator_id));
	rc |= json_object_set_new(p, K_INITIATOR_ADDR, str_or_null(pi->initiator_addr));
	rc |= json_object_set_new(p, K_MODIFIED_BY_ID, str_or_null(pi->modified_by_id));
	rc |= json_object_set_new(p, K_MODIFIED_BY_ADDR, str_or_null(pi->modified_by_addr));
	rc |= json_object_set_new(p, K_SESSION_ID, str_or_null(pi->session_id));
	/* both always present: they are base defaults */
	rc |= json_object_set(p, K_TAGS, cfg(pi, K_TAGS));
	rc |= json_object_set(p, K_ID_TAGS, cfg(pi, K_ID_TAGS));
	rc |= json_object_set_new(p, K_ID, json_integer((json_int_t)pi->process_iter));
	rc |= json_object_set(p, "_P_PROCESS_DELAY", cfg(pi, K_PROCESS_DELAY));
	rc |= json_object_set_new(p, "_P_VERSION",
	                          json_string(pi->ops->version ? pi->ops->version : "0.0.0"));
	rc |= json_object_set_new(p, K_USE_LOCAL_COMMS_ONLY,
	                          json_boolean(cfg_truthy(pi, K_USE_LOCAL_COMMS_ONLY)));
	const char *key;
	json_t *v;
	json_object_foreach(fields, key, v)
	{
		char up[128];
		if (key_upper(key, up, sizeof(up)))
			rc |= json_object_set(p, up, v);
	}
	if (!json_object_get(p, K_PLUGIN_CATEGORY))
		rc |= json_object_set_new(p, K_PLUGIN_CATEGORY, json_string("general"));
	if (!json_object_get(p, K_EE_IS_ENCRYPTED))
		rc |= json_object_set_new(p, K_EE_IS_ENCRYPTED,
		                          json_boolean(cfg_truthy(pi, K_ENCRYPT_PAYLOAD)));
	if (rc) {
		json_decref(p);
		return NULL;
	}
	return p;
}

enum r1_err plugin_emit_with(struct plugin_instance *pi, json_t *fields,
                             json_t *(*finish)(json_t *payload), char **why)
{
	if (!json_is_object(fields)) {
		json_decref(fields);
		return r1_fail(why, R1_ERR_INVAL, "%s: a payload must be an object", pi->signature);
	}
	json_t *p = build_payload(pi, fields);
	json_decref(fields);
	if (!p)
		return r1_fail(why, R1_ERR_NOMEM, "%s: out of memory building a payload",
		               pi->signature);
	if (finish && !(p = finish(p)))
		return r1_fail(why, R1_ERR_INVAL, "%s: payload dropped by its encoder",
		               pi->signature);
	pi->payloads++;
	pi->host->payloads_since++;
	pi->last_payload_wall = wall_us(pi->host);
	pi->host->sink.payload(pi->host->sink.ctx, pi, p);
	return R1_OK;
}

enum r1_err plugin_emit(struct plugin_instance *pi, json_t *fields, char **why)
{
	return plugin_emit_with(pi, fields, NULL, why);
}

enum r1_err plugin_emit_encrypted(struct plugin_instance *pi, const json_t *dest, json_t *fields,
                                  char **why)
{
	if (!json_is_object(fields) || !(json_is_string(dest) || json_is_array(dest))) {
		json_decref(fields);
		return r1_fail(why, R1_ERR_INVAL, "%s: encrypted payload needs fields and a dest",
		               pi->signature);
	}
	if (json_object_set_new(fields, K_EE_IS_ENCRYPTED, json_true()) ||
	    json_object_set(fields, K_EE_DEST, (json_t *)dest)) {
		json_decref(fields);
		return r1_fail(why, R1_ERR_NOMEM, "%s: out of memory", pi->signature);
	}
	return plugin_emit(pi, fields, why);
}

void plugin_save_config(struct plugin_instance *pi, const json_t *kv)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)kv, key, v)
	{
		json_object_set(pi->config, key, v);
		if (strcmp(key, K_INSTANCE_COMMAND) != 0 &&
		    strcmp(key, K_INSTANCE_COMMAND_LAST) != 0)
			json_object_set(pi->upstream, key, v);
	}
	if (pi->host->sink.save_config)
		pi->host->sink.save_config(pi->host->sink.ctx, pi->stream, pi->signature,
		                           pi->instance_id, kv);
}

/* ---- accessors ---------------------------------------------------------- */

const char *plugin_signature(const struct plugin_instance *pi)
{
	return pi->signature;
}
const char *plugin_instance_id(const struct plugin_instance *pi)
{
	return pi->instance_id;
}
const char *plugin_stream(const struct plugin_instance *pi)
{
	return pi->stream;
}
const json_t *plugin_config(const struct plugin_instance *pi)
{
	return pi->config;
}
json_int_t plugin_cfg_int(const struct plugin_instance *pi, const char *key, json_int_t dflt)
{
	const json_t *v = cfg(pi, key);
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (json_int_t)json_real_value(v);
	return dflt;
}
double plugin_cfg_real(const struct plugin_instance *pi, const char *key, double dflt)
{
	return cfg_number(pi, key, dflt);
}
bool plugin_cfg_bool(const struct plugin_instance *pi, const char *key, bool dflt)
{
	const json_t *v = cfg(pi, key);
	if (!v || json_is_null(v))
		return dflt;
	return cfg_truthy(pi, key);
}
const char *plugin_cfg_str(const struct plugin_instance *pi, const char *key, const char *dflt)
{
	const char *s = json_string_value(cfg(pi, key));
	return s ? s : dflt;
}
uint64_t plugin_process_iteration(const struct plugin_instance *pi)
{
	return pi->process_iter;
}
const char *plugin_initiator_addr(const struct plugin_instance *pi)
{
	return pi->initiator_addr;
}
const char *plugin_modified_by_addr(const struct plugin_instance *pi)
{
	return pi->modified_by_addr;
}
struct node *plugin_node(const struct plugin_instance *pi)
{
	return pi->host->node;
}
struct r1_log *plugin_log(const struct plugin_instance *pi)
{
	return pi->host->log;
}
uint64_t plugin_now_ms(const struct plugin_instance *pi)
{
	return now_ms(pi->host);
}
int64_t plugin_wall_us(const struct plugin_instance *pi)
{
	return wall_us(pi->host);
}

/* ---- instances ---------------------------------------------------------- */

static void set_provenance(struct plugin_instance *pi, const struct provenance *prov)
{
	struct provenance none = {0};
	if (!prov)
		prov = &none;
	r1_free(pi->initiator_id);
	r1_free(pi->initiator_addr);
	r1_free(pi->modified_by_id);
	r1_free(pi->modified_by_addr);
	r1_free(pi->session_id);
	pi->initiator_id = dup_or_null(prov->initiator_id);
	pi->initiator_addr = dup_or_null(prov->initiator_addr);
	pi->modified_by_id = dup_or_null(prov->modified_by_id);
	pi->modified_by_addr = dup_or_null(prov->modified_by_addr);
	pi->session_id = dup_or_null(prov->session_id);
}

/* upstream without the command keys; NULL on OOM */
static json_t *strip_command(const json_t *config)
{
	json_t *u = json_deep_copy((json_t *)config);
	if (u) {
		json_object_del(u, K_INSTANCE_COMMAND);
		json_object_del(u, K_INSTANCE_COMMAND_LAST);
	}
	return u;
}

/* base defaults + plugin defaults + upstream */
static json_t *merge_config(const struct pluginhost *h, const struct plugin_ops *ops,
                            const json_t *upstream)
{
	json_t *c = json_deep_copy(h->base_defaults);
	json_t *d = parse_defaults(ops);
	json_t *u = json_deep_copy((json_t *)upstream);
	if (!c || !d || !u || json_object_update(c, d) || json_object_update(c, u)) {
		json_decref(c);
		c = NULL;
	}
	json_decref(d);
	json_decref(u);
	return c;
}

static void queue_command(struct plugin_instance *pi, const json_t *cmd)
{
	if (json_array_size(pi->commands) >= MAX_PENDING_COMMANDS) {
		LOG_W(pi->host->log, "plugins", "%s/%s: too many pending commands, oldest dropped",
		      pi->stream, pi->instance_id);
		json_array_remove(pi->commands, 0);
	}
	json_array_append_new(pi->commands, json_deep_copy((json_t *)cmd));
	json_decref(pi->last_queued);
	pi->last_queued = json_deep_copy((json_t *)cmd);
}

static void wake(struct pluginhost *h)
{
	if (h->sink.wake)
		h->sink.wake(h->sink.ctx);
}

enum r1_err pluginhost_start(struct pluginhost *h, const struct plugin_ops *ops, const char *stream,
                             const json_t *config, const struct provenance *prov,
                             struct plugin_instance **out, char **why)
{
	if (!json_is_object(config))
		return r1_fail(why, R1_ERR_INVAL, "%s: instance config is not an object",
		               ops->signature);
	const char *iid = json_string_value(json_object_get(config, K_INSTANCE_ID));
	if (!iid || !*iid)
		return r1_fail(why, R1_ERR_INVAL, "%s: instance without INSTANCE_ID",
		               ops->signature);
	if (pluginhost_get(h, stream, ops->signature, iid))
		return r1_fail(why, R1_ERR_EXISTS, "%s/%s/%s already running", stream,
		               ops->signature, iid);
	struct plugin_instance *pi = r1_calloc(1, sizeof(*pi));
	if (!pi)
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	pi->host = h;
	pi->ops = ops;
	pi->stream = r1_strdup(stream);
	pi->signature = r1_strdup(ops->signature);
	pi->instance_id = r1_strdup(iid);
	pi->module = module_name(ops->signature);
	pi->upstream = strip_command(config);
	pi->commands = json_array();
	pi->config = pi->upstream ? merge_config(h, ops, pi->upstream) : NULL;
	if (!pi->stream || !pi->signature || !pi->instance_id || !pi->module || !pi->upstream ||
	    !pi->commands || !pi->config) {
		instance_free(pi);
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	}
	set_provenance(pi, prov);
	const json_t *cmd = json_object_get(config, K_INSTANCE_COMMAND);
	if (!is_empty_command(cmd))
		queue_command(pi, cmd);
	pi->last_config_wall = wall_us(h);
	pi->next_due = now_ms(h);
	pi->next = h->head;
	h->head = pi;
	h->count++;
	wake(h);
	if (out)
		*out = pi;
	return R1_OK;
}

void pluginhost_update(struct pluginhost *h, struct plugin_instance *pi, const json_t *config,
                       const struct provenance *prov)
{
	if (!json_is_object(config))
		return;
	set_provenance(pi, prov);
	const json_t *cmd = json_object_get(config, K_INSTANCE_COMMAND);
	if (!is_empty_command(cmd) &&
	    !(pi->last_queued && json_equal((json_t *)cmd, pi->last_queued))) {
		queue_command(pi, cmd);
		pi->next_due = now_ms(h);
		wake(h);
	}
	json_t *u = strip_command(config);
	if (!u)
		return;
	if (json_equal(u, pi->upstream)) {
		json_decref(u);
		return;
	}
	json_t *merged = merge_config(h, pi->ops, u);
	if (!merged) {
		json_decref(u);
		LOG_E(h->log, "plugins", "%s/%s: reconfigure failed (out of memory)", pi->stream,
		      pi->instance_id);
		return;
	}
	json_decref(pi->upstream);
	json_decref(pi->config);
	pi->upstream = u;
	pi->config = merged;
	pi->exec_after_config = 0;
	pi->last_config_wall = wall_us(h);
	pi->next_due = now_ms(h);
	LOG_I(h->log, "plugins", "%s/%s/%s reconfigured", pi->stream, pi->signature,
	      pi->instance_id);
	wake(h);
}

static void instance_free(struct plugin_instance *pi)
{
	for (size_t i = 0; i < pi->qlen; i++)
		json_decref(pi->queue[(pi->qhead + i) % pi->qcap]);
	r1_free(pi->queue);
	json_decref(pi->commands);
	json_decref(pi->last_queued);
	json_decref(pi->upstream);
	json_decref(pi->config);
	r1_free(pi->stream);
	r1_free(pi->signature);
	r1_free(pi->instance_id);
	r1_free(pi->module);
	r1_free(pi->initiator_id);
	r1_free(pi->initiator_addr);
	r1_free(pi->modified_by_id);
	r1_free(pi->modified_by_addr);
	r1_free(pi->session_id);
	r1_free(pi);
}

void pluginhost_stop(struct pluginhost *h, struct plugin_instance **pip)
{
	struct plugin_instance *pi = *pip;
	if (!pi)
		return;
	for (struct plugin_instance **pp = &h->head; *pp; pp = &(*pp)->next) {
		if (*pp == pi) {
			*pp = pi->next;
			h->count--;
			break;
		}
	}
	if (pi->initialized && pi->ops->close)
		pi->ops->close(pi, pi->state);
	instance_free(pi);
	*pip = NULL;
}

struct plugin_instance *pluginhost_get(const struct pluginhost *h, const char *stream,
                                       const char *signature, const char *instance_id)
{
	for (struct plugin_instance *pi = h->head; pi; pi = pi->next)
		if (strcmp(pi->stream, stream) == 0 && strcasecmp(pi->signature, signature) == 0 &&
		    strcmp(pi->instance_id, instance_id) == 0)
			return pi;
	return NULL;
}

void pluginhost_push_input(struct pluginhost *h, struct plugin_instance *pi, json_t *input)
{
	json_int_t max = plugin_cfg_int(pi, "MAX_INPUTS_QUEUE_SIZE", 1);
	size_t cap = max < 1 ? 1 : (max > MAX_QUEUE_SIZE ? MAX_QUEUE_SIZE : (size_t)max);
	if (pi->qcap < cap) {
		json_t **q = r1_calloc(cap, sizeof(*q));
		if (!q)
			return;
		for (size_t i = 0; i < pi->qlen; i++)
			q[i] = pi->queue[(pi->qhead + i) % pi->qcap];
		r1_free(pi->queue);
		pi->queue = q;
		pi->qhead = 0;
		pi->qcap = cap;
	}
	while (pi->qlen >= cap) { /* drop the oldest */
		json_decref(pi->queue[pi->qhead]);
		pi->qhead = (pi->qhead + 1) % pi->qcap;
		pi->qlen--;
	}
	pi->queue[(pi->qhead + pi->qlen) % pi->qcap] = json_incref(input);
	pi->qlen++;
	uint64_t now = now_ms(h);
	if (pi->next_due > now) {
		/* an input wakes the instance unless PROCESS_DELAY holds it back */
		uint64_t delay = (uint64_t)(cfg_number(pi, K_PROCESS_DELAY, 0) * 1000);
		uint64_t when = pi->have_last_process ? pi->last_process_ms + delay : now;
		if (pi->consecutive_errors == 0 && when < pi->next_due)
			pi->next_due = when < now ? now : when;
	}
	wake(h);
}

static json_t *pop_input(struct plugin_instance *pi)
{
	if (!pi->qlen)
		return NULL;
	json_t *v = pi->queue[pi->qhead];
	pi->qhead = (pi->qhead + 1) % pi->qcap;
	pi->qlen--;
	return v;
}

/* ---- the step ----------------------------------------------------------- */

static uint64_t backoff_ms(const struct pluginhost *h, unsigned n)
{
	uint64_t d = h->set.exception_delay_ms;
	for (unsigned i = 1; i < n && d < h->set.exception_delay_max_ms; i++)
		d *= 2;
	return d > h->set.exception_delay_max_ms ? h->set.exception_delay_max_ms : d;
}

/* An exception in init or process: report, count, and back off. */
static void failed(struct plugin_instance *pi, const char *where, const char *why, uint64_t now)
{
	struct pluginhost *h = pi->host;
	int64_t wall = wall_us(h);
	pi->errors++;
	pi->consecutive_errors++;
	if (!pi->first_error_wall)
		pi->first_error_wall = wall;
	pi->last_error_wall = wall;
	char msg[512];
	snprintf(msg, sizeof(msg), "CRITICAL ERROR in business plugin %s: %s", where,
	         why ? why : "unknown error");
	LOG_W(h->log, "plugins", "%s/%s/%s: %s", pi->stream, pi->signature, pi->instance_id, msg);
	notify(pi, NOTIF_TYPE_EXCEPTION, 0, msg, why, NULL);
	uint64_t delay = backoff_ms(h, pi->consecutive_errors);
	snprintf(msg, sizeof(msg), "Forcing plugin loop delay to %.1fs due to %s exception nr. %u.",
	         (double)delay / 1000.0, where, pi->consecutive_errors);
	notify(pi, NOTIF_TYPE_EXCEPTION, NC_PLUGIN_DELAYED, msg, why, NULL);
	pi->next_due = now + delay;
}

static void run_commands(struct plugin_instance *pi)
{
	if (json_array_size(pi->commands) == 0)
		return;
	json_decref(pi->last_queued);
	pi->last_queued = NULL;
	while (json_array_size(pi->commands) > 0) {
		json_t *cmd = json_incref(json_array_get(pi->commands, 0));
		json_array_remove(pi->commands, 0);
		/* archive_config_keys(['INSTANCE_COMMAND']): LAST keeps it, the key empties */
		json_t *kv =
		    json_pack("{s:{},s:O}", K_INSTANCE_COMMAND, K_INSTANCE_COMMAND_LAST, cmd);
		if (kv) {
			plugin_save_config(pi, kv);
			json_decref(kv);
		}
		json_t *data = json_deep_copy(cmd);
		json_t *params = json_object();
		if (json_is_object(data)) {
			json_t *cp = json_object_get(data, K_COMMAND_PARAMS);
			const char *key;
			json_t *v;
			json_object_foreach(cp, key, v)
			{
				char low[128];
				size_t n = strlen(key);
				if (n + 1 > sizeof(low))
					continue;
				for (size_t i = 0; i <= n; i++)
					low[i] = (char)((key[i] >= 'A' && key[i] <= 'Z')
					                    ? key[i] - 'A' + 'a'
					                    : key[i]);
				json_object_set(params, low, v);
			}
			json_object_del(data, K_COMMAND_PARAMS);
		}
		char *text = json_dumps(cmd, JSON_COMPACT | JSON_ENCODE_ANY);
		char msg[300];
		char *why = NULL;
		enum r1_err e = R1_OK;
		if (!pi->ops->command)
			e = r1_fail(&why, R1_ERR_INVAL, "%s does not take commands", pi->signature);
		else if (!pi->initialized)
			e = r1_fail(&why, R1_ERR_STATE, "instance is not running (disabled?)");
		else
			e = pi->ops->command(pi, pi->state, data, params, &why);
		if (e) {
			snprintf(msg, sizeof(msg), "Command %.200s failed.", text ? text : "?");
			notify(pi, NOTIF_TYPE_EXCEPTION, NC_PLUGIN_INSTANCE_COMMAND_FAILED, msg,
			       why ? why : r1_strerror(e), NULL);
		} else {
			snprintf(msg, sizeof(msg), "Command %.200s executed.", text ? text : "?");
			notify(pi, NOTIF_TYPE_NORMAL, NC_PLUGIN_INSTANCE_COMMAND_OK, msg, "", NULL);
		}
		free(text);
		r1_free(why);
		json_decref(params);
		json_decref(data);
		json_decref(cmd);
	}
}

static void pause_transition(struct plugin_instance *pi, bool stopped)
{
	char msg[200];
	bool forced = cfg_truthy(pi, K_FORCED_PAUSE), disabled = cfg_truthy(pi, K_DISABLED);
	snprintf(msg, sizeof(msg), "WARNING: Plugin will now %s. `FORCED_PAUSE`=%s, `DISABLED`=%s",
	         stopped ? "STOP" : "RESUME", forced ? "True" : "False",
	         disabled ? "True" : "False");
	const char *status = stopped ? "PAUSING" : "RESUMING";
	int code = stopped ? NC_PLUGIN_PAUSE_OK : NC_PLUGIN_RESUME_OK;
	notify(pi, NOTIF_TYPE_NORMAL, code, msg, NULL,
	       json_pack("{s:b,s:b,s:s}", "forced_pause", forced, "disabled", disabled, "status",
	                 status));
	plugin_emit(pi,
	            json_pack("{s:s,s:b,s:b,s:s,s:i}", "info", msg, "forced_pause", forced,
	                      "disabled", disabled, "status", status, "notif_code", code),
	            NULL);
}

static bool has_schedule(const json_t *wh)
{
	return (json_is_array(wh) && json_array_size(wh) > 0) ||
	       (json_is_object(wh) && json_object_size(wh) > 0);
}

static void shift_transition(struct plugin_instance *pi, bool start)
{
	const json_t *wh = cfg(pi, K_WORKING_HOURS);
	char *sched = json_dumps(wh, JSON_COMPACT | JSON_ENCODE_ANY);
	char msg[300];
	if (start)
		snprintf(msg, sizeof(msg), "Starting new working hours shift %.200s",
		         sched ? sched : "");
	else
		snprintf(msg, sizeof(msg),
		         "Ended current working hours shift. The full schedule is: %.200s",
		         sched ? sched : "");
	free(sched);
	notify(pi, NOTIF_TYPE_NORMAL,
	       start ? NC_PLUGIN_WORKING_HOURS_SHIFT_START : NC_PLUGIN_WORKING_HOURS_SHIFT_END, msg,
	       NULL, NULL);
	plugin_emit(pi,
	            json_pack("{s:s,s:O,s:b}", "status",
	                      start ? "Working hours shift STARTED" : "Working hours shift ENDED",
	                      "working_hours", wh, "forced_pause", cfg_truthy(pi, K_FORCED_PAUSE)),
	            NULL);
}

static void step(struct plugin_instance *pi, uint64_t now)
{
	struct pluginhost *h = pi->host;
	uint64_t recheck = h->set.idle_recheck_ms;
	bool disabled = cfg_truthy(pi, K_DISABLED);
	bool supervisor_only = (pi->ops->flags & PLUGIN_F_SUPERVISOR_ONLY) ||
	                       cfg_truthy(pi, "RUNS_ONLY_ON_SUPERVISOR_NODE");
	if (supervisor_only && !h->set.is_supervisor) {
		pi->next_due = now + recheck * 10;
		return;
	}
	if (!pi->initialized && !disabled) {
		char *why = NULL;
		void *state = NULL;
		enum r1_err e = pi->ops->init ? pi->ops->init(pi, &state, &why) : R1_OK;
		if (e) {
			failed(pi, "INIT", why ? why : r1_strerror(e), now);
			r1_free(why);
			return;
		}
		pi->state = state;
		pi->initialized = true;
		pi->init_wall = wall_us(h);
	}

	run_commands(pi);

	double delay_s = cfg_number(pi, K_PROCESS_DELAY, 0);
	uint64_t delay = delay_s > 0 ? (uint64_t)(delay_s * 1000.0) : 0;
	if (pi->process_iter > 0 && pi->have_last_process && now < pi->last_process_ms + delay) {
		pi->next_due = pi->last_process_ms + delay;
		return;
	}

	bool stopped = cfg_truthy(pi, K_FORCED_PAUSE) || disabled;
	if (stopped != pi->was_stopped) {
		pi->was_stopped = stopped;
		pause_transition(pi, stopped);
		if (!stopped && !pi->initialized) {
			pi->next_due = now; /* initialise on the next step */
			return;
		}
	}
	if (stopped) {
		pi->next_due = now + recheck;
		return;
	}

	const json_t *wh = json_object_get(pi->config, K_WORKING_HOURS);
	int weekday = 0, minute = 0;
	h->clock.local_time(h->clock.ctx, wall_us(h), &weekday, &minute);
	bool inside =
	    workhours_inside(wh, cfg_truthy(pi, "IGNORE_WORKING_HOURS"), weekday, minute, NULL);
	if (inside && !pi->shift_started) {
		pi->shift_started = true;
		if (has_schedule(wh))
			shift_transition(pi, true);
	} else if (!inside && pi->shift_started) {
		pi->shift_started = false;
		if (has_schedule(wh))
			shift_transition(pi, false);
	}
	pi->outside_hours = !inside;
	if (!inside) {
		pi->next_due = now + recheck;
		return;
	}

	/* exec */
	pi->exec_iter++;
	pi->exec_wall = wall_us(h);
	bool allow_empty = cfg_truthy(pi, K_ALLOW_EMPTY_INPUTS);
	json_t *input = pop_input(pi);
	bool ok = true;
	if (input || allow_empty) {
		if (pi->have_last_process) {
			double lap = (double)(now - pi->last_process_ms);
			pi->avg_lap_ms =
			    pi->avg_lap_ms > 0 ? pi->avg_lap_ms * 0.9 + lap * 0.1 : lap;
		}
		pi->process_iter++;
		char *why = NULL;
		enum r1_err e =
		    pi->ops->process ? pi->ops->process(pi, pi->state, input, &why) : R1_OK;
		if (e) {
			ok = false;
			failed(pi, "EXECUTE", why ? why : r1_strerror(e), now);
		}
		r1_free(why);
	}
	json_decref(input);
	pi->last_process_ms = now;
	pi->have_last_process = true;
	if (!ok)
		return; /* failed() set the backoff */
	pi->consecutive_errors = 0;
	pi->exec_after_config++;
	if (pi->exec_after_config == 1) {
		char msg[200];
		snprintf(msg, sizeof(msg),
		         " >>>>>>> Instance %s exec ok post config (itr %" PRIu64 "). <<<<<<<",
		         pi->instance_id, pi->exec_iter);
		notify(pi, NOTIF_TYPE_NORMAL, NC_PLUGIN_CONFIG_OK, msg, NULL,
		       json_pack("{s:b}", "plugin_running", 1));
	}
	double res = cfg_number(pi, "PLUGIN_LOOP_RESOLUTION", 20);
	uint64_t tick = res > 0 ? (uint64_t)(1000.0 / res) : 50;
	if (tick < 1)
		tick = 1;
	uint64_t next = now + tick;
	if (delay && pi->last_process_ms + delay > next)
		next = pi->last_process_ms + delay;
	if (!allow_empty && pi->qlen == 0 && json_array_size(pi->commands) == 0) {
		/* nothing to do until an input or a command arrives (both wake us);
		 * look again now and then for pause and shift transitions */
		uint64_t idle = now + recheck;
		if (idle > next)
			next = idle;
	}
	pi->next_due = next;
}

uint64_t pluginhost_run_due(struct pluginhost *h)
{
	uint64_t now = now_ms(h);
	/* Collect first: a step may stop instances of its own pipeline (never its
	 * own instance), so walk a snapshot and check each is still there. */
	size_t n = 0;
	for (struct plugin_instance *pi = h->head; pi; pi = pi->next)
		if (pi->next_due <= now)
			n++;
	if (n) {
		struct plugin_instance **due = r1_calloc(n, sizeof(*due));
		if (due) {
			size_t k = 0;
			for (struct plugin_instance *pi = h->head; pi && k < n; pi = pi->next)
				if (pi->next_due <= now)
					due[k++] = pi;
			for (size_t i = 0; i < k; i++) {
				bool alive = false;
				for (struct plugin_instance *pi = h->head; pi; pi = pi->next)
					if (pi == due[i])
						alive = true;
				if (alive)
					step(due[i], now);
			}
			r1_free(due);
		}
	}
	return pluginhost_next_due(h);
}

uint64_t pluginhost_next_due(const struct pluginhost *h)
{
	uint64_t next = UINT64_MAX;
	for (struct plugin_instance *pi = h->head; pi; pi = pi->next)
		if (pi->next_due < next)
			next = pi->next_due;
	return next;
}

json_t *pluginhost_active_plugins(const struct pluginhost *h)
{
	json_t *a = json_array();
	for (struct plugin_instance *pi = h->head; a && pi; pi = pi->next) {
		json_t *freq =
		    pi->avg_lap_ms > 0
		        ? json_real((double)(int64_t)(10000.0 / pi->avg_lap_ms + 0.5) / 10)
		        : json_null();
		json_t *last_payload = time_text(pi->last_payload_wall);
		json_t *e = json_pack(
		    "{s:s,s:s,s:s,s:O,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:I,s:I,s:o,s:I,s:n}",
		    "STREAM_ID", pi->stream, "SIGNATURE", pi->signature, "INSTANCE_ID",
		    pi->instance_id, "PROCESS_DELAY", cfg(pi, K_PROCESS_DELAY), "FREQUENCY", freq,
		    "INIT_TIMESTAMP", time_text(pi->init_wall), "EXEC_TIMESTAMP",
		    time_text(pi->exec_wall), "LAST_CONFIG_TIMESTAMP",
		    time_text(pi->last_config_wall), "FIRST_ERROR_TIME",
		    time_text(pi->first_error_wall), "LAST_ERROR_TIME",
		    time_text(pi->last_error_wall), "OUTSIDE_WORKING_HOURS", pi->outside_hours,
		    "CURRENT_PROCESS_ITERATION", (json_int_t)pi->process_iter,
		    "CURRENT_EXEC_ITERATION", (json_int_t)pi->exec_iter, "LAST_PAYLOAD_TIME",
		    last_payload, "TOTAL_PAYLOAD_COUNT", (json_int_t)pi->payloads, "INFO");
		if (e)
			json_array_append_new(a, e);
	}
	return a;
}

uint64_t pluginhost_take_payload_count(struct pluginhost *h)
{
	uint64_t n = h->payloads_since;
	h->payloads_since = 0;
	return n;
}

size_t pluginhost_count(const struct pluginhost *h)
{
	return h->count;
}

void plugin_get_stats(const struct plugin_instance *pi, struct plugin_stats *out)
{
	out->exec_iterations = pi->exec_iter;
	out->process_iterations = pi->process_iter;
	out->payloads = pi->payloads;
	out->errors = pi->errors;
	out->consecutive_errors = pi->consecutive_errors;
	out->initialized = pi->initialized;
	out->stopped = pi->was_stopped;
	out->outside_hours = pi->outside_hours;
	out->queued_inputs = pi->qlen;
	out->next_due_ms = pi->next_due;
}
