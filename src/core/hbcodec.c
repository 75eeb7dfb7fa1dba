/*
 * Heartbeat v1/v2 encoding and decoding (see hbcodec.h).  The reference
 * compresses json.dumps() text: to produce the same ENCODED_DATA as a Python
 * node the text must be the same, which jansson's own dumper does not give
 * (uppercase \u escapes, %.17g floats), so it goes through pyjson.h.
 */
#include "core/lib.h"
#include "core/hbcodec.h"
#include "core/codec.h"
#include "core/proto.h"

#include "core/jdoc.h"
#include "core/pyjson.h"

/* ---- heartbeats ---------------------------------------------------------- */

bool hb_is_v2(const json_t *msg)
{
	const char *v = json_string_value(json_object_get(msg, K_HEARTBEAT_VERSION));
	return v && strcmp(v, HB_V2) == 0;
}

static json_t *counter_or_zero(const json_t *status, const char *key)
{
	json_t *v = json_object_get(status, key);
	if (json_is_integer(v))
		return json_integer(json_integer_value(v));
	return json_integer(0);
}

enum r1_err hb_encode_v2(const json_t *status, json_t **out, char **why)
{
	if (!json_is_object(status))
		return r1_fail(why, R1_ERR_INVAL, "heartbeat: status is not an object");
	struct buf text = BUF_INIT, enc = BUF_INIT;
	enum r1_err e = pyjson_dump(&text, status, NULL, why);
	if (!e)
		e = compress_text(&enc, buf_cstr(&text), text.len, why);
	buf_release(&text);
	if (e) {
		buf_release(&enc);
		return e;
	}
	json_t *o = json_object();
	if (!o || json_object_set_new(o, K_ENCODED_DATA, json_stringn(enc.data, enc.len)) ||
	    json_object_set_new(o, K_NR_INFERENCES, counter_or_zero(status, K_NR_INFERENCES)) ||
	    json_object_set_new(o, K_NR_PAYLOADS, counter_or_zero(status, K_NR_PAYLOADS)) ||
	    json_object_set_new(o, K_NR_STREAMS_DATA, counter_or_zero(status, K_NR_STREAMS_DATA)) ||
	    json_object_set_new(o, K_HEARTBEAT_VERSION, json_string(HB_V2))) {
		json_decref(o);
		buf_release(&enc);
		return r1_fail(why, R1_ERR_NOMEM, "heartbeat: out of memory");
	}
	buf_release(&enc);
	*out = o;
	return R1_OK;
}

enum r1_err hb_encode_v1(const json_t *status, json_t **out, char **why)
{
	if (!json_is_object(status))
		return r1_fail(why, R1_ERR_INVAL, "heartbeat: status is not an object");
	json_t *o = json_deep_copy(status);
	if (!o || json_object_set_new(o, K_HEARTBEAT_VERSION, json_string(HB_V1))) {
		json_decref(o);
		return r1_fail(why, R1_ERR_NOMEM, "heartbeat: out of memory");
	}
	*out = o;
	return R1_OK;
}

enum r1_err hb_decode(const json_t *msg, json_t **out, char **why)
{
	if (!json_is_object(msg))
		return r1_fail(why, R1_ERR_INVAL, "heartbeat: message is not an object");
	json_t *o = json_deep_copy(msg);
	if (!o)
		return r1_fail(why, R1_ERR_NOMEM, "heartbeat: out of memory");
	if (!hb_is_v2(msg)) {
		*out = o;
		return R1_OK;
	}
	json_t *enc = json_object_get(msg, K_ENCODED_DATA);
	if (!json_is_string(enc)) {
		json_decref(o);
		return r1_fail(why, R1_ERR_INVAL, "heartbeat: v2 without a string ENCODED_DATA");
	}
	struct buf text = BUF_INIT;
	enum r1_err e = decompress_text(&text, json_string_value(enc), json_string_length(enc),
	                                HB_MAX_INFLATED, why);
	if (e) {
		buf_release(&text);
		json_decref(o);
		r1_why_prefix(why, "heartbeat ENCODED_DATA");
		return e;
	}
	json_t *status = NULL;
	jdoc_load_jansson(text.data ? text.data : "", text.len,
	                  &(struct jdoc_limits){.max_input = HB_MAX_INFLATED}, &status, NULL);
	buf_release(&text);
	if (!json_is_object(status)) {
		json_decref(status);
		json_decref(o);
		return r1_fail(why, R1_ERR_INVAL, "heartbeat: decoded status is not a JSON object");
	}
	if (json_object_update(o, status)) {
		json_decref(status);
		json_decref(o);
		return r1_fail(why, R1_ERR_NOMEM, "heartbeat: out of memory");
	}
	json_decref(status);
	*out = o;
	return R1_OK;
}
