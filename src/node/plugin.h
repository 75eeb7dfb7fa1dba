#ifndef R1_NODE_PLUGIN_H
#define R1_NODE_PLUGIN_H
/*
 * What a business plugin is, as seen by its author: a vtable registered by
 * signature (one file per signature under src/node/plugins/, one line in
 * plugins/registry.c), and the calls it makes on its instance.
 *
 * Life of an instance (the reference's plugin loop, on our poll loop):
 * init() once (and again after a failure, with backoff); then, at most every
 * PROCESS_DELAY seconds and never faster than PLUGIN_LOOP_RESOLUTION Hz,
 * process() with the next input (a payload a NetworkListener pipeline
 * matched) or, when the queue is empty and ALLOW_EMPTY_INPUTS is true, with
 * NULL; command() for each INSTANCE_COMMAND, with COMMAND_PARAMS' keys
 * lower-cased; close() when the instance goes away.  Nothing runs while
 * FORCED_PAUSE or DISABLED is true or outside WORKING_HOURS.
 *
 * A callback that returns an error is an exception in reference terms: the
 * node reports it (EXCEPTION notification), slows the instance down
 * exponentially with PLUGIN_DELAYED (-999) notifications, and carries on.
 * Callbacks run on the loop thread and must not block; heavy work goes to
 * the worker pool.
 *
 * Configuration: the base defaults of every plugin (PROCESS_DELAY 0,
 * ALLOW_EMPTY_INPUTS false, ...), then the plugin's `defaults`, then the
 * instance's config from its pipeline; keys are upper case.
 */
#include "core/common.h"
#include "core/err.h"
#include "core/log.h"

#include <jansson.h>

struct plugin_instance;
struct node;

enum plugin_flag {
	PLUGIN_F_ADMIN = 1u << 0, /* lives in admin_pipeline */
	PLUGIN_F_SUPERVISOR_ONLY = 1u
	                           << 1, /* runs only on oracles (RUNS_ONLY_ON_SUPERVISOR_NODE) */
	/*
	 * A listener pipeline hands this plugin's own payloads (its signature
	 * in EE_PAYLOAD_PATH) to its instances only: the other admin plugins
	 * would queue, and hold, bulk they never read (R1FS blocks).
	 */
	PLUGIN_F_OWN_INPUTS = 1u << 2,
};

struct plugin_ops {
	const char *signature; /* "ECHO_01", upper case */
	const char *version;   /* "1.0.0" */
	const char *defaults;  /* JSON object text; NULL = {} */
	/* A JSON schema of the instance config (inline text starting with '{')
	 * or a path under data/plugins/; the deploy wizard builds its form
	 * from it.  NULL = none. */
	const char *schema;
	unsigned flags;
	/* *state may be set to anything the plugin wants back; NULL is fine. */
	enum r1_err (*init)(struct plugin_instance *pi, void **state, char **why);
	/* input: a borrowed payload, or NULL for an empty-input run. */
	enum r1_err (*process)(struct plugin_instance *pi, void *state, const json_t *input,
	                       char **why);
	/*
	 * data: the INSTANCE_COMMAND value (a string, or an object without
	 * COMMAND_PARAMS); params: COMMAND_PARAMS with keys lower-cased (an
	 * object, maybe empty).  Both borrowed.  NULL = commands refused.
	 */
	enum r1_err (*command)(struct plugin_instance *pi, void *state, const json_t *data,
	                       const json_t *params, char **why);
	/* Release the state.  NULL = nothing to release. */
	void (*close)(struct plugin_instance *pi, void *state);
};

/* ---- the instance, as its plugin sees it */

const char *plugin_signature(const struct plugin_instance *pi);
const char *plugin_instance_id(const struct plugin_instance *pi);
const char *plugin_stream(const struct plugin_instance *pi);
/* The merged config (borrowed; valid until the instance is reconfigured). */
const json_t *plugin_config(const struct plugin_instance *pi);
json_int_t plugin_cfg_int(const struct plugin_instance *pi, const char *key, json_int_t dflt);
double plugin_cfg_real(const struct plugin_instance *pi, const char *key, double dflt);
bool plugin_cfg_bool(const struct plugin_instance *pi, const char *key, bool dflt);
const char *plugin_cfg_str(const struct plugin_instance *pi, const char *key, const char *dflt);
/* process() calls so far (the payload ID). */
uint64_t plugin_process_iteration(const struct plugin_instance *pi);
/* Who created and who last modified the pipeline (NULL when unknown). */
const char *plugin_initiator_addr(const struct plugin_instance *pi);
const char *plugin_modified_by_addr(const struct plugin_instance *pi);

/*
 * Send a payload with these fields (an object; stolen).  Keys are
 * upper-cased; the standard fields (STREAM_NAME, SIGNATURE, INSTANCE_ID,
 * INITIATOR_*, MODIFIED_BY_*, SESSION_ID, TAGS, ID_TAGS, ID,
 * TIMESTAMP_EXECUTION, PLUGIN_CATEGORY, ...) are added.  With
 * EE_IS_ENCRYPTED true (or the instance's ENCRYPT_PAYLOAD) the payload is
 * encrypted to EE_DEST, or when absent to the pipeline's INITIATOR_ADDR,
 * then MODIFIED_BY_ADDR.  Errors: R1_ERR_INVAL (not an object), NOMEM.
 */
enum r1_err plugin_emit(struct plugin_instance *pi, json_t *fields, char **why);
/*
 * As plugin_emit, then `finish` turns the complete payload (stolen) into
 * what is sent (NET_MON_01's v2 encoding); returning NULL drops it.
 */
enum r1_err plugin_emit_with(struct plugin_instance *pi, json_t *fields,
                             json_t *(*finish)(json_t *payload), char **why);
/*
 * Encrypted payload to one address or a list (dest: a string or an array of
 * strings; borrowed).  Published on <root>/<addr>/payloads for each.
 */
enum r1_err plugin_emit_encrypted(struct plugin_instance *pi, const json_t *dest, json_t *fields,
                                  char **why);
/*
 * A notification from this instance (STREAM_NAME, SIGNATURE, INSTANCE_ID,
 * INITIATOR_ID and SESSION_ID filled in).  code 0 = none; extra (stolen,
 * may be NULL) adds upper-cased fields.
 */
void plugin_notify(struct plugin_instance *pi, const char *type, int code, const char *msg,
                   const char *info, json_t *extra);
/*
 * Store config keys of this instance in its pipeline (persisted), as the
 * reference's save_config_keys; kv is borrowed.  The instance is not
 * reconfigured by it.
 */
void plugin_save_config(struct plugin_instance *pi, const json_t *kv);

/* The node (admin plugins reach its internals through node/nodepriv.h). */
struct node *plugin_node(const struct plugin_instance *pi);
struct r1_log *plugin_log(const struct plugin_instance *pi);
/* The host's clocks: monotonic milliseconds and UTC microseconds. */
uint64_t plugin_now_ms(const struct plugin_instance *pi);
int64_t plugin_wall_us(const struct plugin_instance *pi);

#endif
