#ifndef R1_CORE_HBCODEC_H
#define R1_CORE_HBCODEC_H
/*
 * Heartbeat wire codec shared by the node (encode) and the console (decode),
 * and the Python-compatible JSON writer both it and netmon.c need.
 *
 * A heartbeat's status is a JSON object (3.1 of the reference).  Version v1
 * carries it at top level with HEARTBEAT_VERSION "v1"; version v2 replaces
 * it with ENCODED_DATA = compress_text(json.dumps(status)) plus the NR_*
 * counters and HEARTBEAT_VERSION "v2".  Receivers see {**msg, **decoded}
 * (the SDK's view: decoded keys win).
 *
 * The JSON writer reproduces Python's json.dumps byte for byte for what
 * jansson can hold: keys in insertion order, Python's escapes (lowercase
 * \u hex, surrogate pairs), floats as repr(), and the two separator styles
 * the reference uses.  Identical text matters because the encoded bytes are
 * what gets hashed and what the vectors record.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"

#include <jansson.h>

enum hbjson_style {
	HBJSON_DEFAULT,       /* json.dumps(v): ", " and ": ", ensure_ascii */
	HBJSON_COMPACT_ASCII, /* separators=(",", ":"), ensure_ascii */
	HBJSON_COMPACT_UTF8,  /* separators=(",", ":"), ensure_ascii=False */
};

/* Nesting deeper than this is refused (R1_ERR_TOOBIG). */
#define HBJSON_MAX_DEPTH 256

/*
 * Append Python's json.dumps text of v to out.  Errors: R1_ERR_TOOBIG (too
 * deep), R1_ERR_INVAL (a non-finite real), R1_ERR_NOMEM.
 */
enum r1_err hbjson_dumps(const json_t *v, enum hbjson_style style, struct buf *out, char **why);

/* Python repr() of a finite double into out (NUL-terminated); returns the length. */
size_t hbjson_float_repr(double x, char out[32]);

#define HB_V1 "v1"
#define HB_V2 "v2"
/* Inflated heartbeat status larger than this is refused. */
#define HB_MAX_INFLATED (8u * 1024u * 1024u)

/*
 * The v2 wire fields of a status object: {ENCODED_DATA, NR_INFERENCES,
 * NR_PAYLOADS, NR_STREAMS_DATA, HEARTBEAT_VERSION: "v2"} (the NR_* values
 * are copied from the status; missing ones become 0).  *out is a new
 * reference.  Errors as hbjson_dumps, R1_ERR_INVAL if status is not an
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

/*
 * Parse JSON text from a Python sender into jansson: jdoc's hostile-input
 * parser (bounded by max_input bytes and the default depth), so NaN and
 * Infinity, which Python writes, are accepted (they become null) and
 * integers beyond 64 bits become reals.  *out is a new reference.  Errors:
 * R1_ERR_PROTO (not JSON), R1_ERR_TOOBIG, R1_ERR_NOMEM.
 */
enum r1_err hb_parse_python_json(const char *text, size_t len, size_t max_input, json_t **out,
                                 char **why);

/* The status object of a decoded heartbeat is the message itself; this says
 * whether msg is a v2 one (HEARTBEAT_VERSION == "v2"). */
bool hb_is_v2(const json_t *msg);

#endif
