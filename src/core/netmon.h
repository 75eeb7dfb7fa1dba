#ifndef R1_CORE_NETMON_H
#define R1_CORE_NETMON_H
/*
 * NET_MON_01 payload codec, shared by the oracle (encode) and the console
 * (decode).  These are the SDK's PAYLOAD_DATA helpers, behaviour for
 * behaviour (the "function" rows of heartbeat.jsonl are their vectors):
 *
 *  - netmon_maybe_encode: EE_* keys and the routing keys stay on top, the
 *    rest goes into ENCODED_DATA = compress_text(json.dumps(body,
 *    ensure_ascii=True, separators=(",", ":"))) with NETMON_VERSION "v2";
 *    already-encoded payloads and payloads with no body come back as they are;
 *  - netmon_maybe_decode: merges the decoded body into the payload, fail
 *    closed (corrupt data, a non-object body, or a CURRENT_NETWORK that is
 *    already an object leave the payload untouched);
 *  - netmon_maybe_convert_whitelist: turns each node's whitelist of indexes
 *    into WHITELIST_MAP addresses;
 *  - netmon_compress_whitelists: the oracle side of that (NET_MON_01's
 *    process_whitelists): a sorted union of all whitelists, each replaced by
 *    indexes into it.
 */
#include "core/common.h"
#include "core/err.h"

#include <jansson.h>

#define NETMON_V2 "v2"
/* Decoded NET_MON_01 bodies larger than this are ignored. */
#define NETMON_MAX_INFLATED (64u * 1024u * 1024u)

/*
 * The wire form of a NET_MON_01 payload.  Returns a new reference: the
 * encoded payload, or (when there is nothing to encode) a new reference to
 * `payload` itself.  Errors: R1_ERR_NOMEM, R1_ERR_INVAL (a body value the
 * JSON writer refuses: a non-finite number, nesting too deep).
 */
enum r1_err netmon_maybe_encode(json_t *payload, json_t **out, char **why);

/* In place; never fails (a payload it cannot decode is left as it is). */
void netmon_maybe_decode(json_t *payload);

/* In place; never fails. */
void netmon_maybe_convert_whitelist(json_t *payload);

/*
 * Replace every node's "whitelist" in current_network (an object of node
 * objects) with indexes into a sorted union; *map gets the new
 * {address: index} object (a new reference).  Errors: R1_ERR_NOMEM.
 */
enum r1_err netmon_compress_whitelists(json_t *current_network, json_t **map, char **why);

#endif
