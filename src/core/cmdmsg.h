#ifndef R1_CORE_CMDMSG_H
#define R1_CORE_CMDMSG_H
/*
 * The messages a control-plane client sends, built exactly as the Python
 * SDK builds them (base/generic_session.py: __prepare_message and the
 * _send_command_* helpers; protocol reference 4.1 and 4.3), so that a node
 * cannot tell us from the SDK.  Pure construction: no clock (the caller
 * passes the time), no signing, no transport.  The results are unsigned
 * jansson objects for envelope_sign.
 *
 * A command to a node, published on <root>/<node address>/config:
 *
 *   encrypted: {EE_IS_ENCRYPTED: true, EE_ENCRYPTED_DATA: <ACTION+PAYLOAD
 *              encrypted to the node>, EE_DEST: <node address>, EE_ID: <node
 *              address>, SESSION_ID, INITIATOR_ID: <our name>, EE_SENDER:
 *              <our address>, TIME: "%Y-%m-%d %H:%M:%S.%f" local}
 *   in clear:  {ACTION, PAYLOAD, EE_IS_ENCRYPTED: false, EE_DEST, EE_ID, ...}
 *
 * An encrypted payload (the NetConfig GET_CONFIG request), published on
 * <root>/<dest>/payloads for each destination: {EE_IS_ENCRYPTED: true,
 * EE_ENCRYPTED_DATA: <payload encrypted for every destination (the multi
 * form, EE_DEST being a list)>, EE_DEST: [...], EE_ID: null, SESSION_ID,
 * INITIATOR_ID, EE_SENDER, TIME, EE_PAYLOAD_PATH: [our address,
 * "admin_pipeline", "NET_CONFIG_MONITOR", null]}.
 *
 * All returned objects are new references owned by the caller.
 */
#include "core/common.h"
#include "core/err.h"
#include "core/identity.h"

#include <jansson.h>

struct cipher_keycache;

struct cmdmsg_ctx {
	const struct r1_identity *id; /* our key: EE_SENDER */
	const char *name;             /* INITIATOR_ID and SESSION_ID */
	bool encrypt;                 /* commands encrypted to the node (SDK default) */
	struct cipher_keycache *keys; /* may be NULL */
};

/* ---- PAYLOAD shapes ----------------------------------------------------- */

/* A copy of an object with its keys upper-cased (ASCII), as the SDK's k.upper().  NULL on OOM. */
json_t *cmdmsg_upper_keys(const json_t *obj);

/*
 * UPDATE_PIPELINE_INSTANCE: {NAME, SIGNATURE, INSTANCE_ID, INSTANCE_CONFIG}
 * with the config's keys upper-cased, as _send_command_update_instance_config.
 * NULL on OOM or a config that is not an object.
 */
json_t *cmdmsg_instance_config(const char *pipeline, const char *signature, const char *instance_id,
                               const json_t *config);

/*
 * An instance command as _send_command_instance_command builds it: a string
 * command becomes COMMAND_PARAMS[command] = true with an empty command
 * object; an object command is used as it is; `payload` (object or NULL) is
 * merged into it; COMMAND_PARAMS is `params` (object or NULL = {}).  The
 * result is the UPDATE_PIPELINE_INSTANCE payload with INSTANCE_CONFIG =
 * {INSTANCE_COMMAND: ...}.  Give exactly one of command_str, command_obj.
 */
json_t *cmdmsg_instance_command(const char *pipeline, const char *signature,
                                const char *instance_id, const char *command_str,
                                const json_t *command_obj, const json_t *payload,
                                const json_t *params);

/*
 * PIPELINE_COMMAND: {NAME, PIPELINE_COMMAND: {<command>: true | <object>,
 * ...payload, COMMAND_PARAMS: params (only when given)}}.
 */
json_t *cmdmsg_pipeline_command(const char *pipeline, const char *command_str,
                                const json_t *command_obj, const json_t *payload,
                                const json_t *params);

/* {NET_CONFIG_DATA: {OP: "GET_CONFIG", DEST: [dests...]}} */
json_t *cmdmsg_netconfig_request(const char *const *dests, size_t n);

/* ---- envelopes ---------------------------------------------------------- */

/*
 * A command for the node at `node_addr` (any prefix; written as "0xai_...").
 * `payload` may be NULL (JSON null, as RESTART sends).  `now_utc_us` gives
 * TIME in the local zone.  Errors: R1_ERR_INVAL (bad address or action),
 * R1_ERR_CRYPTO, R1_ERR_NOMEM.
 */
enum r1_err cmdmsg_command(const struct cmdmsg_ctx *c, const char *action, const json_t *payload,
                           const char *node_addr, int64_t now_utc_us, json_t **out, char **why);

/*
 * A payload encrypted for `dests` (n >= 1), with `path` as EE_PAYLOAD_PATH
 * (NULL: no path).  Errors as above.
 */
enum r1_err cmdmsg_encrypted_payload(const struct cmdmsg_ctx *c, const json_t *payload,
                                     const char *const *dests, size_t n, const json_t *path,
                                     int64_t now_utc_us, json_t **out, char **why);

/*
 * The same in clear, for one destination (published on <root>/<dest>/payloads):
 * the payload's fields with EE_IS_ENCRYPTED false, EE_DEST, EE_ID null,
 * SESSION_ID, INITIATOR_ID, EE_SENDER, TIME and `path`.  For what needs no
 * secrecy, or is sealed already (R1FS blocks).  Errors as above.
 */
enum r1_err cmdmsg_clear_payload(const struct cmdmsg_ctx *c, const json_t *payload,
                                 const char *dest, const json_t *path, int64_t now_utc_us,
                                 json_t **out, char **why);

/* The NetConfig request of the SDK for `dests`, with its EE_PAYLOAD_PATH. */
enum r1_err cmdmsg_netconfig_get(const struct cmdmsg_ctx *c, const char *const *dests, size_t n,
                                 int64_t now_utc_us, json_t **out, char **why);

#endif
