/*
 * Building control-plane messages as the SDK builds them (see cmdmsg.h):
 * the PAYLOAD shapes of its _send_command_* helpers and the envelope of its
 * __prepare_message, with the ACTION/PAYLOAD pair encrypted to the node.
 * Signing and sending are the session's.
 */
#include "core/lib.h"
#include "core/cmdmsg.h"
#include "core/cipher.h"
#include "core/proto.h"
#include "core/timefmt.h"

#include <ctype.h>

json_t *cmdmsg_upper_keys(const json_t *o)
{
	json_t *out = json_is_object(o) ? json_object() : NULL;
	const char *k;
	json_t *v;
	if (!out)
		return NULL;
	json_object_foreach((json_t *)o, k, v)
	{
		char *u = r1_strdup(k);
		if (!u) {
			json_decref(out);
			return NULL;
		}
		for (char *c = u; *c; c++)
			if ((unsigned char)*c < 0x80)
				*c = (char)toupper((unsigned char)*c);
		int rc = json_object_set(out, u, v);
		r1_free(u);
		if (rc) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

json_t *cmdmsg_instance_config(const char *pipeline, const char *signature, const char *instance_id,
                               const json_t *config)
{
	if (!json_is_object(config) || !pipeline || !signature || !instance_id)
		return NULL;
	json_t *cfg = cmdmsg_upper_keys(config);
	if (!cfg)
		return NULL;
	return json_pack("{s:s,s:s,s:s,s:o}", K_NAME, pipeline, K_SIGNATURE, signature,
	                 K_INSTANCE_ID, instance_id, K_INSTANCE_CONFIG, cfg);
}

/* Merge the members of `from` into `into` (later keys win, as Python's dict update). */
static bool merge(json_t *into, const json_t *from)
{
	if (!from)
		return true;
	if (!json_is_object(from))
		return false;
	return json_object_update((json_t *)into, (json_t *)from) == 0;
}

json_t *cmdmsg_instance_command(const char *pipeline, const char *signature,
                                const char *instance_id, const char *command_str,
                                const json_t *command_obj, const json_t *payload,
                                const json_t *params)
{
	if ((!command_str) == (!command_obj) || (command_obj && !json_is_object(command_obj)) ||
	    (params && !json_is_object(params)))
		return NULL;
	/* command_params = params or {}; a string command is a flag in it */
	json_t *cp = params ? json_deep_copy(params) : json_object();
	json_t *cmd = command_obj ? json_deep_copy(command_obj) : json_object();
	json_t *inst = NULL, *out = NULL;
	if (!cp || !cmd)
		goto done;
	if (command_str && json_object_set_new(cp, command_str, json_true()))
		goto done;
	if (!merge(cmd, payload))
		goto done;
	if (json_object_set(cmd, K_COMMAND_PARAMS, cp))
		goto done;
	inst = json_pack("{s:O}", K_INSTANCE_COMMAND, cmd);
	if (inst)
		out = cmdmsg_instance_config(pipeline, signature, instance_id, inst);
done:
	json_decref(inst);
	json_decref(cmd);
	json_decref(cp);
	return out;
}

json_t *cmdmsg_pipeline_command(const char *pipeline, const char *command_str,
                                const json_t *command_obj, const json_t *payload,
                                const json_t *params)
{
	if ((!command_str) == (!command_obj) || !pipeline || (params && !json_is_object(params)))
		return NULL;
	json_t *cmd = command_obj ? json_deep_copy(command_obj) : json_object();
	if (!cmd || (command_str && json_object_set_new(cmd, command_str, json_true())) ||
	    !merge(cmd, payload) ||
	    (params && json_object_set(cmd, K_COMMAND_PARAMS, (json_t *)params))) {
		json_decref(cmd);
		return NULL;
	}
	return json_pack("{s:s,s:o}", K_NAME, pipeline, K_PIPELINE_COMMAND, cmd);
}

json_t *cmdmsg_netconfig_request(const char *const *dests, size_t n)
{
	json_t *list = json_array();
	for (size_t i = 0; list && i < n; i++)
		if (json_array_append_new(list, json_string(dests[i]))) {
			json_decref(list);
			return NULL;
		}
	if (!list)
		return NULL;
	return json_pack("{s:{s:s,s:o}}", K_NET_CONFIG_DATA, K_OP, NET_CONFIG_GET, K_DEST, list);
}

/* TIME as the SDK writes it: dt.now(), the local wall time. */
static enum r1_err local_time(int64_t utc_us, char out[TIMEFMT_TEXT_SIZE], char **why)
{
	int32_t off = 0;
	enum r1_err e = timefmt_local_offset(utc_us, &off, why);
	if (!e)
		e = timefmt_format(utc_us + (int64_t)off * TIMEFMT_US_PER_S, TIMEFMT_FULL, out,
		                   why);
	return e;
}

/* JSON text of what gets encrypted (the SDK's json.dumps: default separators, ASCII). */
#define PLAIN_TEXT_FLAGS (JSON_ENSURE_ASCII | JSON_ENCODE_ANY)

/* The fields every message ends with, after the data (dict order as the SDK's). */
static enum r1_err add_tail(const struct cmdmsg_ctx *c, json_t *m, json_t *dest, json_t *ee_id,
                            int64_t now_utc_us, char **why)
{
	char when[TIMEFMT_TEXT_SIZE];
	enum r1_err e = local_time(now_utc_us, when, why);
	if (e) {
		json_decref(dest);
		json_decref(ee_id);
		return e;
	}
	if (json_object_set_new(m, K_EE_DEST, dest) || json_object_set_new(m, K_EE_ID, ee_id) ||
	    json_object_set_new(m, K_SESSION_ID, json_string(c->name)) ||
	    json_object_set_new(m, K_INITIATOR_ID, json_string(c->name)) ||
	    json_object_set_new(m, K_EE_SENDER, json_string(c->id->addr)) ||
	    json_object_set_new(m, K_TIME, json_string(when)))
		return r1_fail(why, R1_ERR_NOMEM, "cmdmsg: out of memory");
	return R1_OK;
}

static enum r1_err check_name(const struct cmdmsg_ctx *c, char **why)
{
	if (!c->id || !c->name || !*c->name)
		return r1_fail(why, R1_ERR_INVAL, "cmdmsg: a session needs an identity and a name");
	return R1_OK;
}

enum r1_err cmdmsg_command(const struct cmdmsg_ctx *c, const char *action, const json_t *payload,
                           const char *node_addr, int64_t now_utc_us, json_t **out, char **why)
{
	*out = NULL;
	enum r1_err e = check_name(c, why);
	if (e)
		return e;
	uint8_t pub[R1_PUB_LEN];
	if (!action || !*action)
		return r1_fail(why, R1_ERR_INVAL, "cmdmsg: empty ACTION");
	if (!node_addr || addr_parse(node_addr, strlen(node_addr), pub, why))
		return r1_fail(why, R1_ERR_INVAL, "cmdmsg: '%s' is not a node address",
		               node_addr ? node_addr : "");
	char addr[R1_ADDR_LEN + 1];
	addr_format(pub, addr);
	json_t *data = json_pack("{s:s,s:O?}", K_ACTION, action, K_PAYLOAD, (json_t *)payload);
	json_t *m = json_object();
	if (!data || !m) {
		json_decref(data);
		json_decref(m);
		return r1_fail(why, R1_ERR_NOMEM, "cmdmsg: out of memory");
	}
	if (c->encrypt) {
		char *plain = r1_json_dumps(data, PLAIN_TEXT_FLAGS);
		struct buf enc = BUF_INIT;
		e = plain ? cipher_encrypt_single(c->id, addr, plain, strlen(plain), c->keys, &enc,
		                                  why)
		          : r1_fail(why, R1_ERR_NOMEM, "cmdmsg: out of memory");
		r1_free(plain);
		if (!e && (json_object_set_new(m, K_EE_IS_ENCRYPTED, json_true()) ||
		           json_object_set_new(m, K_EE_ENCRYPTED_DATA,
		                               json_stringn(enc.data ? enc.data : "", enc.len))))
			e = r1_fail(why, R1_ERR_NOMEM, "cmdmsg: out of memory");
		buf_release(&enc);
	} else if (json_object_update(m, data) ||
	           json_object_set_new(m, K_EE_IS_ENCRYPTED, json_false())) {
		e = r1_fail(why, R1_ERR_NOMEM, "cmdmsg: out of memory");
	}
	json_decref(data);
	if (!e)
		e = add_tail(c, m, json_string(addr), json_string(addr), now_utc_us, why);
	if (e) {
		json_decref(m);
		return e;
	}
	*out = m;
	return R1_OK;
}

enum r1_err cmdmsg_encrypted_payload(const struct cmdmsg_ctx *c, const json_t *payload,
                                     const char *const *dests, size_t n, const json_t *path,
                                     int64_t now_utc_us, json_t **out, char **why)
{
	*out = NULL;
	enum r1_err e = check_name(c, why);
	if (e)
		return e;
	if (!n || !json_is_object(payload))
		return r1_fail(why, R1_ERR_INVAL,
		               "cmdmsg: an encrypted payload needs an object and "
		               "at least one destination");
	json_t *dest = json_array();
	char **addrs = r1_calloc(n, sizeof(*addrs));
	if (!dest || !addrs) {
		e = r1_fail(why, R1_ERR_NOMEM, "cmdmsg: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t pub[R1_PUB_LEN];
		if (!dests[i] || addr_parse(dests[i], strlen(dests[i]), pub, NULL)) {
			e = r1_fail(why, R1_ERR_INVAL, "cmdmsg: '%s' is not a node address",
			            dests[i] ? dests[i] : "");
			goto out;
		}
		char a[R1_ADDR_LEN + 1];
		addr_format(pub, a);
		if (!(addrs[i] = r1_strdup(a)) || json_array_append_new(dest, json_string(a))) {
			e = r1_fail(why, R1_ERR_NOMEM, "cmdmsg: out of memory");
			goto out;
		}
	}
	char *plain = r1_json_dumps(payload, PLAIN_TEXT_FLAGS);
	struct buf enc = BUF_INIT;
	e = plain ? cipher_encrypt_multi(c->id, (const char *const *)addrs, n, plain, strlen(plain),
	                                 c->keys, &enc, why)
	          : r1_fail(why, R1_ERR_NOMEM, "cmdmsg: out of memory");
	r1_free(plain);
	json_t *m = NULL;
	if (!e) {
		m = json_pack("{s:b,s:s%}", K_EE_IS_ENCRYPTED, 1, K_EE_ENCRYPTED_DATA,
		              enc.data ? enc.data : "", enc.len);
		if (!m)
			e = r1_fail(why, R1_ERR_NOMEM, "cmdmsg: out of memory");
	}
	buf_release(&enc);
	if (!e) {
		e = add_tail(c, m, dest, json_null(), now_utc_us, why);
		dest = NULL;
	}
	if (!e && path && json_object_set(m, K_EE_PAYLOAD_PATH, (json_t *)path))
		e = r1_fail(why, R1_ERR_NOMEM, "cmdmsg: out of memory");
	if (e)
		json_decref(m);
	else
		*out = m;
out:
	json_decref(dest);
	for (size_t i = 0; addrs && i < n; i++)
		r1_free(addrs[i]);
	r1_free(addrs);
	return e;
}

enum r1_err cmdmsg_clear_payload(const struct cmdmsg_ctx *c, const json_t *payload,
                                 const char *dest, const json_t *path, int64_t now_utc_us,
                                 json_t **out, char **why)
{
	*out = NULL;
	enum r1_err e = check_name(c, why);
	if (e)
		return e;
	uint8_t pub[R1_PUB_LEN];
	if (!json_is_object(payload) || !dest || addr_parse(dest, strlen(dest), pub, NULL))
		return r1_fail(why, R1_ERR_INVAL,
		               "cmdmsg: a payload needs an object and a node address");
	char a[R1_ADDR_LEN + 1];
	addr_format(pub, a);
	json_t *m = json_deep_copy(payload);
	if (!m || json_object_set_new(m, K_EE_IS_ENCRYPTED, json_false())) {
		json_decref(m);
		return r1_fail(why, R1_ERR_NOMEM, "cmdmsg: out of memory");
	}
	e = add_tail(c, m, json_string(a), json_null(), now_utc_us, why);
	if (!e && path && json_object_set(m, K_EE_PAYLOAD_PATH, (json_t *)path))
		e = r1_fail(why, R1_ERR_NOMEM, "cmdmsg: out of memory");
	if (e)
		json_decref(m);
	else
		*out = m;
	return e;
}

enum r1_err cmdmsg_netconfig_get(const struct cmdmsg_ctx *c, const char *const *dests, size_t n,
                                 int64_t now_utc_us, json_t **out, char **why)
{
	*out = NULL;
	if (check_name(c, why))
		return R1_ERR_INVAL;
	json_t *payload = cmdmsg_netconfig_request(dests, n);
	json_t *path = json_pack("[s,s,s,n]", c->id->addr, ADMIN_PIPELINE, SIG_NET_CONFIG_MONITOR);
	enum r1_err e = payload && path ? cmdmsg_encrypted_payload(c, payload, dests, n, path,
	                                                           now_utc_us, out, why)
	                                : r1_fail(why, R1_ERR_NOMEM, "cmdmsg: out of memory");
	json_decref(payload);
	json_decref(path);
	return e;
}
