#ifndef R1_CORE_HBCODEC_H
#define R1_CORE_HBCODEC_H
/*
 * Heartbeat wire codec shared by the node (encode) and the console (decode).
 *
 * A heartbeat's status is a JSON object (3.1 of the reference).  Version v1
 * carries it at top level with HEARTBEAT_VERSION "v1"; version v2 replaces
 * it with ENCODED_DATA = compress_text(json.dumps(status)) plus the NR_*
 * counters and HEARTBEAT_VERSION "v2".  Receivers see {**msg, **decoded}
 * (the SDK's view: decoded keys win).  The json.dumps text is pyjson.h's,
 * identical to Python's because the encoded bytes are what gets hashed and
 * what the vectors record.
 */
#include "core/common.h"
#include "core/err.h"

#include <jansson.h>

#define HB_V1 "v1"
#define HB_V2 "v2"
/* Inflated heartbeat status larger than this is refused. */
#define HB_MAX_INFLATED (8u * 1024u * 1024u)

/*
 * The v2 wire fields of a status object: {ENCODED_DATA, NR_INFERENCES,
 * NR_PAYLOADS, NR_STREAMS_DATA, HEARTBEAT_VERSION: "v2"} (the NR_* values
 * are copied from the status; missing ones become 0).  *out is a new
 * reference.  Errors as pyjson_dump, R1_ERR_INVAL if status is not an
 * object.
 */
enum r1_err hb_encode_v2(const json_t *status, json_t **out, char **why);
/* v1: a copy of the status with HEARTBEAT_VERSION "v1". */
enum r1_err hb_encode_v1(const json_t *status, json_t **out, char **why);

/*
 * What a receiver sees: for a v2 message {**msg, **json(decompress(
 * ENCODED_DATA))}, otherwise a copy of msg.  *out is a new reference.
 * Errors: R1_ERR_INVAL (not an object, ENCODED_DATA missing or not a
 * string, corrupt base64/zlib, decoded text not a JSON object),
 * R1_ERR_TOOBIG (inflates past HB_MAX_INFLATED), R1_ERR_NOMEM.
 */
enum r1_err hb_decode(const json_t *msg, json_t **out, char **why);

/* The status object of a decoded heartbeat is the message itself; this says
 * whether msg is a v2 one (HEARTBEAT_VERSION == "v2"). */
bool hb_is_v2(const json_t *msg);

#endif
