/*
 * CHAIN_STORE_DATA encode and decode (see msg.h).  Parsing produces a plain
 * struct and has no side effects; what to do with a message is cstore.c's
 * business.  Field names come from proto.h, spelled as the wire spells them.
 */
#include "node/lib.h"
#include "node/cstore/msg.h"
#include "core/proto.h"

#include <math.h>

static const struct {
	const char *name;
	enum cstore_op op;
} ops[] = {
    {CS_OP_STORE, CSOP_STORE},
    {CS_OP_CONFIRM, CSOP_CONFIRM},
    {CS_OP_HSYNC_REQ, CSOP_HSYNC_REQ},
    {CS_OP_HSYNC_RESP, CSOP_HSYNC_RESP},
    {CS_OP_REQ, CSOP_REQ},
    {CS_OP_RESP, CSOP_RESP},
};

const char *cstore_op_name(enum cstore_op op)
{
	for (size_t i = 0; i < R1_ARRAY_LEN(ops); i++)
		if (ops[i].op == op)
			return ops[i].name;
	return "?";
}

bool cstore_owner_valid(const json_t *owner)
{
	if (!json_is_array(owner) || json_array_size(owner) != 4)
		return false;
	for (size_t i = 0; i < 4; i++) {
		const json_t *part = json_array_get(owner, i);
		if (!json_is_string(part) && !json_is_null(part))
			return false;
		if (json_is_string(part) &&
		    strlen(json_string_value(part)) != json_string_length(part))
			return false;
	}
	return true;
}

/* A required non-empty string field without NUL bytes. */
static enum r1_err need_string(const json_t *data, const char *field, size_t max, const char **out,
                               char **why)
{
	const json_t *v = json_object_get(data, field);
	if (!json_is_string(v))
		return r1_fail(why, R1_ERR_PROTO, "CHAIN_STORE_DATA: \"%s\" is not a string",
		               field);
	size_t len = json_string_length(v);
	if (len == 0)
		return r1_fail(why, R1_ERR_PROTO, "CHAIN_STORE_DATA: \"%s\" is empty", field);
	if (strlen(json_string_value(v)) != len)
		return r1_fail(why, R1_ERR_PROTO, "CHAIN_STORE_DATA: \"%s\" holds a NUL byte",
		               field);
	if (max && len > max)
		return r1_fail(why, R1_ERR_PROTO, "CHAIN_STORE_DATA: \"%s\" longer than %zu bytes",
		               field, max);
	*out = json_string_value(v);
	return R1_OK;
}

/* key, value and owner of SSTORE and SCONFIRM. */
static enum r1_err parse_record_fields(const json_t *data, struct cstore_msg *m, char **why)
{
	enum r1_err e = need_string(data, CS_K_KEY, 0, &m->key, why);
	if (e)
		return e;
	m->value = json_object_get(data, CS_K_VALUE);
	if (!m->value)
		m->value = json_null();
	m->owner = json_object_get(data, CS_K_OWNER);
	if (!cstore_owner_valid(m->owner))
		return r1_fail(why, R1_ERR_PROTO,
		               "CHAIN_STORE_DATA: \"owner\" is not an instance path");
	return R1_OK;
}

static enum r1_err parse_store(const json_t *data, struct cstore_msg *m, char **why)
{
	enum r1_err e = parse_record_fields(data, m, why);
	if (e)
		return e;
	m->token = json_object_get(data, CS_K_TOKEN);
	if (json_is_null(m->token))
		m->token = NULL;
	const json_t *ro = json_object_get(data, CS_K_READONLY);
	if (ro && !json_is_boolean(ro) && !json_is_null(ro))
		return r1_fail(why, R1_ERR_PROTO,
		               "CHAIN_STORE_DATA: \"readonly\" is not a boolean");
	m->readonly = json_is_true(ro);
	return R1_OK;
}

static enum r1_err parse_confirm(const json_t *data, struct cstore_msg *m, char **why)
{
	enum r1_err e = parse_record_fields(data, m, why);
	if (e)
		return e;
	m->confirm_by = json_object_get(data, CS_K_CONFIRM_BY);
	const json_t *addr = json_object_get(data, CS_K_CONFIRM_BY_ADDR);
	if (addr && !json_is_null(addr)) {
		if (!json_is_string(addr))
			return r1_fail(why, R1_ERR_PROTO,
			               "CHAIN_STORE_DATA: \"confirm_by_addr\" is not a string");
		m->confirm_by_addr = json_string_value(addr);
	}
	return R1_OK;
}

static enum r1_err parse_hsync(const json_t *data, struct cstore_msg *m, char **why)
{
	enum r1_err e =
	    need_string(data, CS_K_REQUEST_ID, CSTORE_REQUEST_ID_MAX, &m->request_id, why);
	if (!e)
		e = need_string(data, CS_K_HKEY, 0, &m->hkey, why);
	if (e || m->op != CSOP_HSYNC_RESP)
		return e;
	m->snapshot = json_object_get(data, CS_K_SNAPSHOT);
	if (!m->snapshot || json_is_null(m->snapshot)) {
		m->snapshot = NULL; /* the reference reads an absent snapshot as {} */
		return R1_OK;
	}
	if (!json_is_object(m->snapshot))
		return r1_fail(why, R1_ERR_PROTO,
		               "CHAIN_STORE_DATA: \"snapshot\" is not an object");
	return R1_OK;
}

/* An optional string field without NUL; NULL when absent or null. */
static enum r1_err opt_string(const json_t *data, const char *field, const char **out, char **why)
{
	const json_t *v = json_object_get(data, field);
	*out = NULL;
	if (!v || json_is_null(v))
		return R1_OK;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return r1_fail(why, R1_ERR_PROTO, "CHAIN_STORE_DATA: \"%s\" is not a string",
		               field);
	*out = json_string_value(v);
	return R1_OK;
}

static enum r1_err parse_req(const json_t *data, struct cstore_msg *m, char **why)
{
	enum r1_err e =
	    need_string(data, CS_K_REQUEST_ID, CSTORE_REQUEST_ID_MAX, &m->request_id, why);
	if (!e)
		e = need_string(data, CS_K_CMD, 16, &m->cmd, why);
	if (!e)
		e = opt_string(data, CS_K_KEY, &m->key, why);
	if (!e)
		e = opt_string(data, CS_K_HKEY, &m->hkey, why);
	if (e)
		return e;
	m->value = json_object_get(data, CS_K_VALUE);
	if (!m->value)
		m->value = json_null();
	m->token = json_object_get(data, CS_K_TOKEN);
	if (json_is_null(m->token))
		m->token = NULL;
	const json_t *ro = json_object_get(data, CS_K_READONLY);
	if (ro && !json_is_boolean(ro) && !json_is_null(ro))
		return r1_fail(why, R1_ERR_PROTO,
		               "CHAIN_STORE_DATA: \"readonly\" is not a boolean");
	m->readonly = json_is_true(ro);
	m->peers = json_object_get(data, CS_K_PEERS);
	if (json_is_null(m->peers))
		m->peers = NULL;
	if (m->peers && !json_is_array(m->peers))
		return r1_fail(why, R1_ERR_PROTO, "CHAIN_STORE_DATA: \"PEERS\" is not a list");
	return R1_OK;
}

static enum r1_err parse_resp(const json_t *data, struct cstore_msg *m, char **why)
{
	enum r1_err e =
	    need_string(data, CS_K_REQUEST_ID, CSTORE_REQUEST_ID_MAX, &m->request_id, why);
	if (!e)
		e = opt_string(data, CS_K_REASON, &m->reason, why);
	if (e)
		return e;
	const json_t *ok = json_object_get(data, CS_K_OK);
	if (!json_is_boolean(ok))
		return r1_fail(why, R1_ERR_PROTO, "CHAIN_STORE_DATA: \"ok\" is not a boolean");
	m->ok = json_is_true(ok);
	m->result = json_object_get(data, CS_K_RESULT);
	return R1_OK;
}

enum r1_err cstore_msg_parse(const json_t *data, struct cstore_msg *out, char **why)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(data))
		return r1_fail(why, R1_ERR_PROTO, "CHAIN_STORE_DATA is not an object");
	const json_t *op = json_object_get(data, CS_K_OP);
	if (!json_is_string(op))
		return r1_fail(why, R1_ERR_PROTO, "CHAIN_STORE_DATA without an op");
	size_t i;
	for (i = 0; i < R1_ARRAY_LEN(ops); i++)
		if (strcmp(json_string_value(op), ops[i].name) == 0)
			break;
	if (i == R1_ARRAY_LEN(ops))
		return r1_fail(why, R1_ERR_PROTO, "CHAIN_STORE_DATA: unknown op \"%.40s\"",
		               json_string_value(op));
	out->op = ops[i].op;
	switch (out->op) {
	case CSOP_STORE:
		return parse_store(data, out, why);
	case CSOP_CONFIRM:
		return parse_confirm(data, out, why);
	case CSOP_HSYNC_REQ:
	case CSOP_HSYNC_RESP:
		return parse_hsync(data, out, why);
	case CSOP_REQ:
		return parse_req(data, out, why);
	case CSOP_RESP:
		return parse_resp(data, out, why);
	}
	return r1_fail(why, R1_ERR_PROTO, "CHAIN_STORE_DATA: unknown op");
}

/* ---- builders */

/* Set a member to a borrowed value (null for NULL); false on OOM. */
static bool put(json_t *obj, const char *key, const json_t *v)
{
	return json_object_set(obj, key, v ? (json_t *)v : json_null()) == 0;
}

static bool put_new(json_t *obj, const char *key, json_t *v)
{
	return v && json_object_set_new(obj, key, v) == 0;
}

json_t *cstore_msg_store(const char *key, const json_t *value, const json_t *owner,
                         const json_t *token, bool readonly, const json_t *peers,
                         bool include_default_peers, double timeout_s, int max_retries)
{
	json_t *m = json_object();
	if (!m || !put_new(m, CS_K_OP, json_string(CS_OP_STORE)) ||
	    !put_new(m, CS_K_KEY, json_string(key)) || !put(m, CS_K_VALUE, value) ||
	    !put(m, CS_K_OWNER, owner) || !put(m, CS_K_TOKEN, token) ||
	    !put_new(m, CS_K_READONLY, json_boolean(readonly)) || !put(m, CS_K_PEERS, peers) ||
	    !put_new(m, CS_K_INCLUDE_DEFAULT_PEERS, json_boolean(include_default_peers)) ||
	    !put_new(m, CS_K_TIMEOUT,
	             timeout_s == floor(timeout_s) && fabs(timeout_s) < 1e15
	                 ? json_integer((json_int_t)timeout_s)
	                 : json_real(timeout_s)) ||
	    !put_new(m, CS_K_MAX_RETRIES, json_integer(max_retries))) {
		json_decref(m);
		return NULL;
	}
	return m;
}

json_t *cstore_msg_confirm(const char *key, const json_t *value, const json_t *owner,
                           const json_t *confirm_by, const char *confirm_by_addr)
{
	json_t *m = json_object();
	if (!m || !put_new(m, CS_K_OP, json_string(CS_OP_CONFIRM)) ||
	    !put_new(m, CS_K_KEY, json_string(key)) || !put(m, CS_K_VALUE, value) ||
	    !put(m, CS_K_OWNER, owner) || !put(m, CS_K_CONFIRM_BY, confirm_by) ||
	    !put_new(m, CS_K_CONFIRM_BY_ADDR,
	             confirm_by_addr ? json_string(confirm_by_addr) : json_null())) {
		json_decref(m);
		return NULL;
	}
	return m;
}

json_t *cstore_msg_hsync_req(const char *request_id, const char *hkey)
{
	json_t *m = json_object();
	if (!m || !put_new(m, CS_K_OP, json_string(CS_OP_HSYNC_REQ)) ||
	    !put_new(m, CS_K_REQUEST_ID, json_string(request_id)) ||
	    !put_new(m, CS_K_HKEY, json_string(hkey))) {
		json_decref(m);
		return NULL;
	}
	return m;
}

json_t *cstore_msg_hsync_resp(const char *request_id, const char *hkey, const json_t *snapshot)
{
	json_t *m = json_object();
	if (!m || !put_new(m, CS_K_OP, json_string(CS_OP_HSYNC_RESP)) ||
	    !put_new(m, CS_K_REQUEST_ID, json_string(request_id)) ||
	    !put_new(m, CS_K_HKEY, json_string(hkey)) ||
	    !(snapshot ? put(m, CS_K_SNAPSHOT, snapshot)
	               : put_new(m, CS_K_SNAPSHOT, json_object()))) {
		json_decref(m);
		return NULL;
	}
	return m;
}

json_t *cstore_msg_req(const char *request_id, const char *cmd, const char *hkey, const char *key,
                       const json_t *value, const json_t *token, bool readonly, const json_t *peers)
{
	json_t *m = json_object();
	if (!m || !put_new(m, CS_K_OP, json_string(CS_OP_REQ)) ||
	    !put_new(m, CS_K_REQUEST_ID, json_string(request_id)) ||
	    !put_new(m, CS_K_CMD, json_string(cmd)) ||
	    (hkey && !put_new(m, CS_K_HKEY, json_string(hkey))) ||
	    (key && !put_new(m, CS_K_KEY, json_string(key))) ||
	    (value && !put(m, CS_K_VALUE, value)) || (token && !put(m, CS_K_TOKEN, token)) ||
	    (readonly && !put_new(m, CS_K_READONLY, json_true())) ||
	    (peers && !put(m, CS_K_PEERS, peers))) {
		json_decref(m);
		return NULL;
	}
	return m;
}

json_t *cstore_msg_resp(const char *request_id, bool ok, const json_t *result, const char *reason)
{
	json_t *m = json_object();
	if (!m || !put_new(m, CS_K_OP, json_string(CS_OP_RESP)) ||
	    !put_new(m, CS_K_REQUEST_ID, json_string(request_id)) ||
	    !put_new(m, CS_K_OK, json_boolean(ok)) || !put(m, CS_K_RESULT, result) ||
	    (reason && !put_new(m, CS_K_REASON, json_string(reason)))) {
		json_decref(m);
		return NULL;
	}
	return m;
}

json_t *cstore_msg_record(const char *key, const json_t *value, const json_t *owner, bool readonly,
                          const json_t *token, int confirms, int min_confirms)
{
	json_t *m = json_object();
	if (!m || !put_new(m, CS_K_KEY, json_string(key)) || !put(m, CS_K_VALUE, value) ||
	    !put(m, CS_K_OWNER, owner) || !put_new(m, CS_K_READONLY, json_boolean(readonly)) ||
	    !put(m, CS_K_TOKEN, token) || !put_new(m, CS_K_CONFIRMS, json_integer(confirms)) ||
	    !put_new(m, CS_K_MIN_CONFIRMS, json_integer(min_confirms))) {
		json_decref(m);
		return NULL;
	}
	return m;
}
