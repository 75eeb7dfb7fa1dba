#ifndef R1_NODE_PIPELINE_H
#define R1_NODE_PIPELINE_H
/*
 * Pipeline configs: checking and cleaning one before it runs (the
 * reference's keep_good_stream), and the NetworkListener filters.  Pure
 * functions: the node decides what to do with the verdict.
 *
 * Cleaning follows the reference: a plugin without SIGNATURE or without
 * INSTANCES is dropped, an instance without INSTANCE_ID gets one, a repeated
 * INSTANCE_ID or SIGNATURE keeps its first occurrence, ALLOWED_PLUGINS (when
 * set) drops the others; each drop is a warning.  Refusals (the whole
 * pipeline fails, PIPELINE_FAILED) are ours: no NAME, no TYPE, a TYPE this
 * node has no data source for, or a SIGNATURE it has no plugin for -- the
 * reference would accept the config and fail later, less visibly.
 */
#include "core/common.h"
#include "core/err.h"

#include <jansson.h>

struct pluginhost;

/* Pipeline TYPEs this node can run (case-insensitive). */
bool pipeline_type_supported(const char *type);
/* Is this TYPE a NetworkListener (payloads from the bus as inputs)? */
bool pipeline_type_is_listener(const char *type);

/*
 * Check and clean `config`.  On success *cleaned is a new object and
 * *warnings a new array of strings (maybe empty).  On refusal returns
 * R1_ERR_INVAL with the reason in *why (e.g. "plugin CUSTOM_EXEC_01
 * executes Python; not supported by this node").  `instance_id_seed` names
 * instances that come without an id.  R1_ERR_NOMEM.
 */
enum r1_err pipeline_clean(const json_t *config, const struct pluginhost *host,
                           const char *instance_id_seed, json_t **cleaned, json_t **warnings,
                           char **why);

/* Why a known-but-unsupported signature is refused, or NULL. */
const char *pipeline_unsupported_reason(const char *signature);

/*
 * PATH_FILTER: a list of up to four entries matched against EE_PAYLOAD_PATH
 * [node, pipeline, signature, instance]; null matches anything, a string or
 * a list of strings must contain the path element (case-insensitive).  A
 * filter that is not a list matches everything.
 */
bool pipeline_path_matches(const json_t *filter, const json_t *path);

/*
 * The NetworkListener decision for one payload: FILTER_BY_DESTINATION (then
 * EE_DEST must name own_addr, case-insensitive; no EE_DEST passes),
 * PATH_FILTER, MESSAGE_FILTER (an object every key of which the payload has
 * with the same value, recursively).
 */
bool pipeline_listener_accepts(const json_t *pipeline_config, const json_t *payload,
                               const char *own_addr);

/* The instance config of (signature, instance_id) in a pipeline config, borrowed. */
json_t *pipeline_find_instance(const json_t *config, const char *signature,
                               const char *instance_id);

#endif
