/*
 * Python's json.dumps text (see pyjson.h): the string escapes, the float
 * text and the writer of jansson values.  The string writer copies runs of
 * bytes that need no escape in one append, because the signature writer
 * (canon.c) sends every string of a received message that is not plain
 * through it.  Not a parser, and not the canonical form.
 */
#include "core/lib.h"
#include "core/pyjson.h"
#include "core/pyfloat.h"
#include "core/utf8.h"

#include <math.h>

/* The letter after '\' of Python's short escapes; 0 means \u00xx (below 0x20, DEL in ASCII). */
static const char short_escape[128] = {
    ['"'] = '"',  ['\\'] = '\\', ['\b'] = 'b', ['\f'] = 'f',
    ['\n'] = 'n', ['\r'] = 'r',  ['\t'] = 't',
};

static const char hex_digits[] = "0123456789abcdef";

static void put_u_escape(struct buf *out, uint32_t u)
{
	char six[6] = {'\\', 'u'};
	for (int k = 0; k < 4; k++)
		six[2 + k] = hex_digits[(u >> (12 - 4 * k)) & 15];
	buf_put(out, six, sizeof(six));
}

/* An ASCII byte that needs an escape: a short one or \u00xx. */
static void put_ascii_escape(struct buf *out, unsigned char c)
{
	char e = short_escape[c];
	if (e) {
		char two[2] = {'\\', e};
		buf_put(out, two, sizeof(two));
	} else {
		put_u_escape(out, c);
	}
}

/* A character from U+0080 up as ensure_ascii writes it; returns the bytes read. */
static size_t put_non_ascii(struct buf *out, const char *s, size_t len)
{
	size_t used = 1;
	long cp = r1_wtf8_decode(s, len, &used);
	if (cp < 0) {
		put_u_escape(out, R1_UTF8_REPLACEMENT);
		return 1;
	}
	if (cp >= 0x10000) {
		cp -= 0x10000;
		put_u_escape(out, 0xD800 | (uint32_t)(cp >> 10));
		put_u_escape(out, 0xDC00 | (uint32_t)(cp & 0x3FF));
	} else {
		put_u_escape(out, (uint32_t)cp);
	}
	return used;
}

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/*
 * Whether any of 8 bytes needs an escape: below 0x20, '"', '\\', and with
 * `ascii` also 0x7F and up.  Exact (the SWAR "has less than" and "has zero
 * byte" tests have no false positives for bytes below 0x80, and bytes from
 * 0x80 up only matter when ascii).
 */
static R1_ALWAYS_INLINE bool escape_in8(uint64_t x, const bool ascii)
{
	uint64_t low = (x - ONES * 0x20) & ~x;
	uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');
	uint64_t hit = low | ((q - ONES) & ~q) | ((b - ONES) & ~b);
	if (ascii) {
		uint64_t d = x ^ (ONES * 0x7F);
		hit |= x | ((d - ONES) & ~d);
	}
	return (hit & HIGHS) != 0;
}

static R1_ALWAYS_INLINE bool plain_byte(unsigned char c, const bool ascii)
{
	return c >= 0x20 && c != '"' && c != '\\' && (!ascii || c < 0x7F);
}

/*
 * The string writer, inlined twice with `ascii` a constant so that the
 * raw UTF-8 loop the signature writer runs tests no more than it needs;
 * plain text is skipped 8 bytes at a time (a 256 KiB R1FS block travels
 * as one base64 string).
 */
static R1_ALWAYS_INLINE void put_string(struct buf *out, const char *s, size_t len,
                                        const bool ascii)
{
	buf_reserve(out, len + 2);
	buf_putc(out, '"');
	size_t run = 0, i = 0;
	while (i < len) {
		uint64_t x;
		while (i + 8 <= len && (memcpy(&x, s + i, 8), !escape_in8(x, ascii)))
			i += 8;
		if (i >= len)
			break;
		unsigned char c = (unsigned char)s[i];
		if (plain_byte(c, ascii)) {
			i++;
			continue;
		}
		buf_put(out, s + run, i - run);
		if (c < 0x80)
			put_ascii_escape(out, c);
		else
			i += put_non_ascii(out, s + i, len - i) - 1;
		run = ++i;
	}
	buf_put(out, s + run, len - run);
	buf_putc(out, '"');
}

void pyjson_put_string(struct buf *out, const char *s, size_t len, bool ensure_ascii)
{
	if (ensure_ascii)
		put_string(out, s, len, true);
	else
		put_string(out, s, len, false);
}

void pyjson_put_float(struct buf *out, double x)
{
	if (isnan(x)) {
		buf_adds(out, "NaN");
	} else if (isinf(x)) {
		buf_adds(out, x > 0 ? "Infinity" : "-Infinity");
	} else {
		char t[PYFLOAT_REPR_MAX];
		buf_add(out, t, pyfloat_repr(x, 0, t));
	}
}

/* ---- jansson values ------------------------------------------------------ */

struct dumper {
	struct buf *out;
	const char *item_sep, *key_sep;
	bool ascii;
	unsigned max_depth;
	char **why;
};

static enum r1_err dump_value(struct dumper *d, const json_t *v, unsigned depth)
{
	if (depth > d->max_depth)
		return r1_fail(d->why, R1_ERR_TOOBIG, "json: nesting deeper than %u", d->max_depth);
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
	case JSON_REAL:
		if (!isfinite(json_real_value(v)))
			return r1_fail(d->why, R1_ERR_INVAL, "json: NaN or infinity");
		pyjson_put_float(d->out, json_real_value(v));
		return R1_OK;
	case JSON_STRING:
		pyjson_put_string(d->out, json_string_value(v), json_string_length(v), d->ascii);
		return R1_OK;
	case JSON_ARRAY:
		buf_addc(d->out, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				buf_adds(d->out, d->item_sep);
			enum r1_err e = dump_value(d, json_array_get(v, i), depth + 1);
			if (e)
				return e;
		}
		buf_addc(d->out, ']');
		return R1_OK;
	case JSON_OBJECT: {
		buf_addc(d->out, '{');
		bool first = true;
		for (void *it = json_object_iter((json_t *)v); it;
		     it = json_object_iter_next((json_t *)v, it)) {
			if (!first)
				buf_adds(d->out, d->item_sep);
			first = false;
			pyjson_put_string(d->out, json_object_iter_key(it),
			                  json_object_iter_key_len(it), d->ascii);
			buf_adds(d->out, d->key_sep);
			enum r1_err e = dump_value(d, json_object_iter_value(it), depth + 1);
			if (e)
				return e;
		}
		buf_addc(d->out, '}');
		return R1_OK;
	}
	}
	return r1_fail(d->why, R1_ERR_INVAL, "json: unknown value type");
}

enum r1_err pyjson_dump(struct buf *out, const json_t *v, const struct pyjson_opts *opts,
                        char **why)
{
	static const struct pyjson_opts defaults = {0};
	if (!opts)
		opts = &defaults;
	struct dumper d = {
	    .out = out,
	    .item_sep = opts->compact ? "," : ", ",
	    .key_sep = opts->compact ? ":" : ": ",
	    .ascii = !opts->utf8,
	    .max_depth = opts->max_depth ? opts->max_depth : PYJSON_DEPTH_DEFAULT,
	    .why = why,
	};
	size_t mark = out->len;
	enum r1_err e = dump_value(&d, v, 0);
	if (!e && !buf_ok(out))
		e = r1_fail(why, R1_ERR_NOMEM, "json: out of memory");
	if (e && out->data && !out->oom) {
		out->len = mark;
		out->data[mark] = '\0';
	}
	return e;
}
