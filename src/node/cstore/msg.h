#ifndef R1_NODE_CSTORE_MSG_H
#define R1_NODE_CSTORE_MSG_H
/*
 * The CHAIN_STORE_DATA object of CHAIN_STORE_BASE payloads (protocol
 * reference section 8), field for field as the reference's
 * chain_store_base.py builds and reads it:
 *
 *   {"op": "SSTORE", "key", "value", "owner", "token", "readonly",
 *    "PEERS", "INCLUDE_DEFAULT_PEERS", "TIMEOUT", "MAX_RETRIES"}
 *   {"op": "SCONFIRM", "key", "value", "owner", "confirm_by", "confirm_by_addr"}
 *   {"op": "SHSYNC_REQ", "request_id", "hkey"}
 *   {"op": "SHSYNC_RESP", "request_id", "hkey", "snapshot": {key: record}}
 *
 * and two ops of ours, for clients that reach a node's store over the bus
 * (the reference's nodes ignore unknown ops):
 *
 *   {"op": "CSTORE_REQ", "request_id", "cmd": "get"|"set"|"del"|"hget"|"hset"|
 *    "hgetall"|"hkeys"|"hsync", "key", "hkey", "value", "token", "readonly",
 *    "PEERS"}
 *   {"op": "CSTORE_RESP", "request_id", "ok": bool, "result", "reason"}
 *
 * The parser turns a received object into a plain struct of borrowed
 * pointers and does nothing else.  It reads fields the way the reference
 * does (absent value, token and readonly mean None, None and False), and
 * refuses what the reference would choke on or what cannot be a record:
 * an unknown op, an empty or non-string key, an owner that is not an
 * instance path (an array of four strings or nulls), a non-boolean
 * readonly, a snapshot that is not an object.
 */
#include "core/common.h"
#include "core/err.h"

#include <jansson.h>

enum cstore_op {
	CSOP_STORE,
	CSOP_CONFIRM,
	CSOP_HSYNC_REQ,
	CSOP_HSYNC_RESP,
	CSOP_REQ,  /* ours: a client asks a node to run one operation */
	CSOP_RESP, /* ours: the node's answer */
};

/* Longest request_id accepted (the reference sends a 36-character uuid4). */
#define CSTORE_REQUEST_ID_MAX 128

struct cstore_msg {
	enum cstore_op op;
	/* SSTORE, SCONFIRM */
	const char *key;
	const json_t *value; /* never NULL: json null when absent (a delete) */
	const json_t *owner;
	/* SSTORE */
	const json_t *token; /* NULL = None */
	bool readonly;
	/* SCONFIRM */
	const json_t *confirm_by;    /* NULL when absent */
	const char *confirm_by_addr; /* NULL when absent */
	/* SHSYNC_REQ, SHSYNC_RESP */
	const char *request_id;
	const char *hkey;
	const json_t *snapshot; /* SHSYNC_RESP: an object; NULL when absent ({}) */
	/* CSTORE_REQ (key, hkey, value, token, readonly above as they apply) */
	const char *cmd;
	const json_t *peers; /* an array of strings, or NULL */
	/* CSTORE_RESP */
	bool ok;
	const json_t *result; /* NULL when absent */
	const char *reason;   /* NULL when absent */
};

/* Name of an op as the wire spells it. */
const char *cstore_op_name(enum cstore_op op);

/*
 * Parse a CHAIN_STORE_DATA object (borrowed; `out` points into it).
 * R1_ERR_PROTO with the reason.
 */
enum r1_err cstore_msg_parse(const json_t *data, struct cstore_msg *out, char **why);

/* An instance path the reference would write: a JSON array of 4 strings/nulls. */
bool cstore_owner_valid(const json_t *owner);

/*
 * Builders: new objects in the reference's key order (the caller owns
 * them; values are borrowed and referenced).  NULL on OOM.  A NULL token
 * or peers is written as null.  timeout_s is written as an integer when it
 * is one, as the reference's default 10 is.
 */
json_t *cstore_msg_store(const char *key, const json_t *value, const json_t *owner,
                         const json_t *token, bool readonly, const json_t *peers,
                         bool include_default_peers, double timeout_s, int max_retries);
json_t *cstore_msg_confirm(const char *key, const json_t *value, const json_t *owner,
                           const json_t *confirm_by, const char *confirm_by_addr);
json_t *cstore_msg_hsync_req(const char *request_id, const char *hkey);
json_t *cstore_msg_hsync_resp(const char *request_id, const char *hkey, const json_t *snapshot);

/* Ours: a request (fields NULL when unused) and an answer (result borrowed). */
json_t *cstore_msg_req(const char *request_id, const char *cmd, const char *hkey, const char *key,
                       const json_t *value, const json_t *token, bool readonly,
                       const json_t *peers);
json_t *cstore_msg_resp(const char *request_id, bool ok, const json_t *result, const char *reason);

/*
 * One record of a snapshot as the reference exports it: {"key", "value",
 * "owner", "readonly", "token", "confirms", "min_confirms"}.  NULL on OOM.
 */
json_t *cstore_msg_record(const char *key, const json_t *value, const json_t *owner, bool readonly,
                          const json_t *token, int confirms, int min_confirms);

#endif
