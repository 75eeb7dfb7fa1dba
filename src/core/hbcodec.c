/*
 * Heartbeat v1/v2 encoding and decoding, and the Python-compatible JSON
 * writer (see hbcodec.h).  The writer exists because the reference compresses
 * json.dumps() text: to produce the same ENCODED_DATA as a Python node the
 * text must be the same, which jansson's own dumper does not give (uppercase
 * \u escapes, %.17g floats).  It is not a canonicalizer: keys keep their
 * insertion order, as Python dicts do.
 */
#include "core/lib.h"
#include "core/hbcodec.h"
#include "core/codec.h"
#include "core/proto.h"

#include "core/jdoc.h"
#include "core/pyfloat.h"

#include <math.h>

/* ---- floats as Python's repr() ------------------------------------------ */

size_t hbjson_float_repr(double x, char out[32])
{
	return pyfloat_repr(x, 0, out);
}

/* ---- strings ------------------------------------------------------------- */

/* Decode one UTF-8 sequence; returns its length, or 0 (and U+FFFD) if invalid. */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t need;
	uint32_t v;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		need = 2;
		v = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		need = 3;
		v = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		need = 4;
		v = c & 0x07;
	} else {
		*cp = 0xfffd;
		return 0;
	}
	if (need > len) {
		*cp = 0xfffd;
		return 0;
	}
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 0;
		}
		v = (v << 6) | (s[i] & 0x3f);
	}
	*cp = v;
	return need;
}

static void add_u_escape(struct buf *out, uint32_t u)
{
	buf_addf(out, "\\u%04x", (unsigned)u);
}

static void dump_string(struct buf *out, const char *s, size_t len, bool ascii)
{
	const unsigned char *p = (const unsigned char *)s;
	buf_addc(out, '"');
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		switch (c) {
		case '"':
			buf_adds(out, "\\\"");
			i++;
			continue;
		case '\\':
			buf_adds(out, "\\\\");
			i++;
			continue;
		case '\n':
			buf_adds(out, "\\n");
			i++;
			continue;
		case '\r':
			buf_adds(out, "\\r");
			i++;
			continue;
		case '\t':
			buf_adds(out, "\\t");
			i++;
			continue;
		case '\b':
			buf_adds(out, "\\b");
			i++;
			continue;
		case '\f':
			buf_adds(out, "\\f");
			i++;
			continue;
		default:
			break;
		}
		if (c < 0x20) {
			add_u_escape(out, c);
			i++;
			continue;
		}
		if (c < 0x7f) {
			buf_addc(out, (char)c);
			i++;
			continue;
		}
		if (!ascii) {
			/* ensure_ascii=False writes everything else raw */
			buf_addc(out, (char)c);
			i++;
			continue;
		}
		if (c == 0x7f) {
			add_u_escape(out, c);
			i++;
			continue;
		}
		uint32_t cp;
		size_t n = utf8_next(p + i, len - i, &cp);
		i += n ? n : 1;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			add_u_escape(out, 0xd800 | (cp >> 10));
			add_u_escape(out, 0xdc00 | (cp & 0x3ff));
		} else {
			add_u_escape(out, cp);
		}
	}
	buf_addc(out, '"');
}

/* ---- values -------------------------------------------------------------- */

struct dumper {
	struct buf *out;
	const char *item_sep;
	const char *key_sep;
	bool ascii;
};

static enum r1_err dump_value(struct dumper *d, const json_t *v, int depth, char **why)
{
	if (depth > HBJSON_MAX_DEPTH)
		return r1_fail(why, R1_ERR_TOOBIG, "hbjson: nesting deeper than %d",
		               HBJSON_MAX_DEPTH);
	switch (json_typeof(v)) {
	case JSON_NULL:
		buf_adds(d->out, "null");
		return R1_OK;
	case JSON_TRUE:
		buf_adds(d->out, "true");
		return R1_OK;
	case JSON_FALSE:
		buf_adds(d->out, "false");
		return R1_OK;
	case JSON_INTEGER:
		buf_addf(d->out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return R1_OK;
	case JSON_REAL: {
		double x = json_real_value(v);
		if (!isfinite(x))
			return r1_fail(why, R1_ERR_INVAL, "hbjson: non-finite number");
		char tmp[PYFLOAT_REPR_MAX];
		pyfloat_repr(x, 0, tmp);
		buf_adds(d->out, tmp);
		return R1_OK;
	}
	case JSON_STRING:
		dump_string(d->out, json_string_value(v), json_string_length(v), d->ascii);
		return R1_OK;
	case JSON_ARRAY: {
		buf_addc(d->out, '[');
		size_t i;
		const json_t *item;
		json_array_foreach(v, i, item)
		{
			if (i)
				buf_adds(d->out, d->item_sep);
			enum r1_err e = dump_value(d, item, depth + 1, why);
			if (e)
				return e;
		}
		buf_addc(d->out, ']');
		return R1_OK;
	}
	case JSON_OBJECT: {
		buf_addc(d->out, '{');
		const char *key;
		const json_t *item;
		bool first = true;
		void *it = json_object_iter((json_t *)v);
		for (; it; it = json_object_iter_next((json_t *)v, it)) {
			key = json_object_iter_key(it);
			item = json_object_iter_value(it);
			if (!first)
				buf_adds(d->out, d->item_sep);
			first = false;
			dump_string(d->out, key, json_object_iter_key_len(it), d->ascii);
			buf_adds(d->out, d->key_sep);
			enum r1_err e = dump_value(d, item, depth + 1, why);
			if (e)
				return e;
		}
		buf_addc(d->out, '}');
		return R1_OK;
	}
	}
	return r1_fail(why, R1_ERR_INVAL, "hbjson: unknown value type");
}

enum r1_err hbjson_dumps(const json_t *v, enum hbjson_style style, struct buf *out, char **why)
{
	struct dumper d = {
	    .out = out,
	    .item_sep = style == HBJSON_DEFAULT ? ", " : ",",
	    .key_sep = style == HBJSON_DEFAULT ? ": " : ":",
	    .ascii = style != HBJSON_COMPACT_UTF8,
	};
	enum r1_err e = dump_value(&d, v, 0, why);
	if (e)
		return e;
	if (!buf_ok(out))
		return r1_fail(why, R1_ERR_NOMEM, "hbjson: out of memory");
	return R1_OK;
}

/* ---- heartbeats ---------------------------------------------------------- */

enum r1_err hb_parse_python_json(const char *text, size_t len, size_t max_input, json_t **out,
                                 char **why)
{
	struct jdoc *doc = jdoc_new();
	if (!doc)
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	struct jdoc_limits lim = {.max_input = max_input};
	enum r1_err e = jdoc_parse(doc, text, len, &lim, why);
	if (!e)
		e = jdoc_to_jansson(jdoc_root(doc), out, why);
	jdoc_free(&doc);
	return e;
}

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
	enum r1_err e = hbjson_dumps(status, HBJSON_DEFAULT, &text, why);
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
	hb_parse_python_json(text.data ? text.data : "", text.len, HB_MAX_INFLATED, &status, NULL);
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
