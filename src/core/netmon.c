/*
 * NET_MON_01 v2 encoding, decoding and whitelist index conversion, as the
 * SDK's PAYLOAD_DATA helpers do them (see netmon.h).  Where the Python code
 * would raise on a malformed payload (a non-object CURRENT_NETWORK, say),
 * these leave the payload untouched instead.
 */
#include "core/lib.h"
#include "core/netmon.h"
#include "core/codec.h"
#include "core/jdoc.h"
#include "core/pyfloat.h"
#include "core/pyjson.h"
#include "core/proto.h"

/* NETMON_TOP_LEVEL_KEEP_KEYS of the SDK; every "EE_"-prefixed key stays too. */
static const char *const top_level_keep[] = {
    K_STREAM_NAME,  K_SIGNATURE,      K_INSTANCE_ID,          K_SESSION_ID,
    K_INITIATOR_ID, K_INITIATOR_ADDR, K_MODIFIED_BY_ID,       K_MODIFIED_BY_ADDR,
    K_TAGS,         K_ID_TAGS,        K_USE_LOCAL_COMMS_ONLY, K_PLUGIN_CATEGORY,
};

static bool stays_on_top(const char *key)
{
	if (strncmp(key, "EE_", 3) == 0)
		return true;
	for (size_t i = 0; i < R1_ARRAY_LEN(top_level_keep); i++)
		if (strcmp(key, top_level_keep[i]) == 0)
			return true;
	return false;
}

static bool is_v2(const json_t *payload)
{
	const char *v = json_string_value(json_object_get(payload, K_NETMON_VERSION));
	return v && strcmp(v, NETMON_V2) == 0;
}

enum r1_err netmon_maybe_encode(json_t *payload, json_t **out, char **why)
{
	if (!json_is_object(payload) ||
	    (is_v2(payload) && json_object_get(payload, K_ENCODED_DATA))) {
		*out = json_incref(payload);
		return R1_OK;
	}
	json_t *top = json_object(), *body = json_object();
	if (!top || !body)
		goto nomem;
	const char *key;
	json_t *value;
	json_object_foreach(payload, key, value)
	{
		json_t *dst = stays_on_top(key) ? top : body;
		if (json_object_set(dst, key, value))
			goto nomem;
	}
	if (json_object_size(body) == 0) {
		json_decref(top);
		json_decref(body);
		*out = json_incref(payload);
		return R1_OK;
	}
	struct buf text = BUF_INIT, enc = BUF_INIT;
	enum r1_err e = pyjson_dump(&text, body, &(struct pyjson_opts){.compact = true}, why);
	if (!e)
		e = compress_text(&enc, buf_cstr(&text), text.len, why);
	buf_release(&text);
	json_decref(body);
	if (e) {
		buf_release(&enc);
		json_decref(top);
		r1_why_prefix(why, "NET_MON_01 encode");
		return e;
	}
	if (json_object_set_new(top, K_NETMON_VERSION, json_string(NETMON_V2)) ||
	    json_object_set_new(top, K_ENCODED_DATA, json_stringn(enc.data, enc.len))) {
		buf_release(&enc);
		json_decref(top);
		return r1_fail(why, R1_ERR_NOMEM, "NET_MON_01 encode: out of memory");
	}
	buf_release(&enc);
	*out = top;
	return R1_OK;
nomem:
	json_decref(top);
	json_decref(body);
	return r1_fail(why, R1_ERR_NOMEM, "NET_MON_01 encode: out of memory");
}

void netmon_maybe_decode(json_t *payload)
{
	if (!json_is_object(payload))
		return;
	if (json_is_object(json_object_get(payload, K_CURRENT_NETWORK)))
		return;
	if (!is_v2(payload))
		return;
	json_t *enc = json_object_get(payload, K_ENCODED_DATA);
	if (!json_is_string(enc) || json_string_length(enc) == 0)
		return;
	struct buf text = BUF_INIT;
	if (decompress_text(&text, json_string_value(enc), json_string_length(enc),
	                    NETMON_MAX_INFLATED, NULL) ||
	    text.len == 0) {
		buf_release(&text);
		return;
	}
	json_t *body = NULL;
	jdoc_load_jansson(text.data, text.len,
	                  &(struct jdoc_limits){.max_input = NETMON_MAX_INFLATED}, &body, NULL);
	buf_release(&text);
	if (json_is_object(body))
		json_object_update(payload, body);
	json_decref(body);
}

/* Python's str() of a JSON scalar, for matching whitelist indexes. */
static bool py_str(const json_t *v, char *out, size_t cap)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		if (json_string_length(v) >= cap)
			return false;
		memcpy(out, json_string_value(v), json_string_length(v) + 1);
		return true;
	case JSON_INTEGER:
		snprintf(out, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return true;
	case JSON_REAL: {
		char tmp[PYFLOAT_REPR_MAX];
		pyfloat_repr(json_real_value(v), 0, tmp);
		snprintf(out, cap, "%s", tmp);
		return true;
	}
	case JSON_TRUE:
		snprintf(out, cap, "True");
		return true;
	case JSON_FALSE:
		snprintf(out, cap, "False");
		return true;
	case JSON_NULL:
		snprintf(out, cap, "None");
		return true;
	default:
		return false;
	}
}

void netmon_maybe_convert_whitelist(json_t *payload)
{
	json_t *map = json_object_get(payload, K_WHITELIST_MAP);
	if (!json_is_object(map) || json_object_size(map) == 0)
		return;
	json_t *network = json_object_get(payload, K_CURRENT_NETWORK);
	if (!json_is_object(network))
		return;
	/* index text -> address; later duplicates win, as in the dict comprehension */
	json_t *by_index = json_object();
	if (!by_index)
		return;
	const char *addr;
	json_t *idx;
	json_object_foreach(map, addr, idx)
	{
		char key[64];
		if (py_str(idx, key, sizeof(key)))
			json_object_set_new(by_index, key, json_string(addr));
	}
	const char *node;
	json_t *info;
	json_object_foreach(network, node, info)
	{
		if (!json_is_object(info))
			continue;
		json_t *indexes = json_object_get(info, NM_WHITELIST);
		json_t *full = json_array();
		if (!full)
			break;
		if (json_is_array(indexes)) {
			size_t i;
			json_t *item;
			json_array_foreach(indexes, i, item)
			{
				char key[64];
				json_t *a = py_str(item, key, sizeof(key))
				                ? json_object_get(by_index, key)
				                : NULL;
				if (a)
					json_array_append(full, a);
			}
		}
		json_object_set_new(info, NM_WHITELIST, full);
	}
	json_decref(by_index);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

enum r1_err netmon_compress_whitelists(json_t *current_network, json_t **map, char **why)
{
	json_t *set = json_object(); /* the union, as keys */
	json_t *out = json_object();
	const char **sorted = NULL;
	if (!set || !out)
		goto nomem;
	const char *node;
	json_t *info;
	json_object_foreach(current_network, node, info)
	{
		json_t *wl = json_object_get(info, NM_WHITELIST);
		size_t i;
		json_t *a;
		json_array_foreach(wl, i, a)
		{
			if (json_is_string(a) &&
			    json_object_set_new(set, json_string_value(a), json_null()))
				goto nomem;
		}
	}
	size_t n = json_object_size(set);
	sorted = r1_calloc(n ? n : 1, sizeof(*sorted));
	if (!sorted)
		goto nomem;
	size_t k = 0;
	const char *key;
	json_t *unused;
	json_object_foreach(set, key, unused) sorted[k++] = key;
	qsort(sorted, n, sizeof(*sorted), cmp_str);
	for (size_t i = 0; i < n; i++)
		if (json_object_set_new(out, sorted[i], json_integer((json_int_t)i)))
			goto nomem;
	json_object_foreach(current_network, node, info)
	{
		json_t *wl = json_object_get(info, NM_WHITELIST);
		if (!json_is_object(info))
			continue;
		json_t *idxs = json_array();
		if (!idxs)
			goto nomem;
		size_t i;
		json_t *a;
		json_array_foreach(wl, i, a)
		{
			json_t *ix =
			    json_is_string(a) ? json_object_get(out, json_string_value(a)) : NULL;
			if (ix)
				json_array_append(idxs, ix);
		}
		json_object_set_new(info, NM_WHITELIST, idxs);
	}
	r1_free(sorted);
	json_decref(set);
	*map = out;
	return R1_OK;
nomem:
	r1_free(sorted);
	json_decref(set);
	json_decref(out);
	return r1_fail(why, R1_ERR_NOMEM, "NET_MON_01 whitelists: out of memory");
}
