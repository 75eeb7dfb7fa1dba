/*
 * base64 (libsodium), hex and zlib with output caps (see codec.h).  These
 * sit on the receive path of every message: no recursion, no unbounded
 * allocation, every length checked before use.
 */
#include "core/codec.h"
#include "core/xalloc.h"

#include <sodium.h>
#include <zlib.h>

static int sodium_variant(enum b64_alphabet alpha)
{
	return alpha == B64_URL ? sodium_base64_VARIANT_URLSAFE : sodium_base64_VARIANT_ORIGINAL;
}

void base64_encode(struct buf *out, const void *data, size_t n, enum b64_alphabet alpha)
{
	int variant = sodium_variant(alpha);
	if (n > (SIZE_MAX - 8) / 4 * 3) {
		out->oom = true;
		return;
	}
	size_t need = sodium_base64_encoded_len(n, variant); /* includes the NUL */
	if (!buf_reserve(out, need))
		return;
	sodium_bin2base64(out->data + out->len, need, data, n, variant);
	out->len += need - 1;
}

enum r1_err base64_decode_into(const char *text, size_t len, enum b64_alphabet alpha,
			       uint8_t *out, size_t cap, size_t *out_len, char **why)
{
	if (len % 4 != 0)
		return r1_fail(why, R1_ERR_INVAL, "base64: length %zu is not a multiple of 4", len);
	size_t pad = 0;
	while (pad < 2 && pad < len && text[len - 1 - pad] == '=')
		pad++;
	size_t exact = len / 4 * 3 - pad;
	if (exact > cap)
		return r1_fail(why, R1_ERR_TOOBIG, "base64: %zu bytes do not fit %zu", exact, cap);
	size_t got = 0;
	const char *end = NULL;
	if (sodium_base642bin(out, cap, text, len, NULL, &got, &end, sodium_variant(alpha)) != 0 ||
	    end != text + len) {
		size_t at = end ? (size_t)(end - text) : 0;
		return r1_fail(why, R1_ERR_INVAL, "base64: invalid %s character or padding at %zu",
			       alpha == B64_URL ? "URL-safe" : "standard", at);
	}
	*out_len = got;
	return R1_OK;
}

enum r1_err base64_decode(const char *text, size_t len, enum b64_alphabet alpha, uint8_t **out,
			  size_t *out_len, char **why)
{
	size_t cap = base64_decoded_max(len);
	uint8_t *p = r1_malloc(cap + 1);
	if (!p)
		return r1_fail(why, R1_ERR_NOMEM, "base64: out of memory");
	size_t got = 0;
	enum r1_err e = base64_decode_into(text, len, alpha, p, cap, &got, why);
	if (e) {
		r1_free(p);
		return e;
	}
	p[got] = '\0';
	*out = p;
	*out_len = got;
	return R1_OK;
}

static const char *b64_digits(enum b64_alphabet alpha)
{
	return alpha == B64_URL
	           ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	           : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

size_t base64_encode_vartime(char *out, const void *data, size_t n, enum b64_alphabet alpha)
{
	const char *d = b64_digits(alpha);
	const uint8_t *p = data;
	char *o = out;
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = d[v >> 18];
		*o++ = d[(v >> 12) & 63];
		*o++ = d[(v >> 6) & 63];
		*o++ = d[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		*o++ = d[v >> 18];
		*o++ = d[(v >> 12) & 63];
		*o++ = i + 1 < n ? d[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return (size_t)(o - out);
}

bool base64_decode_vartime(const char *text, size_t len, enum b64_alphabet alpha, uint8_t *out,
                           size_t cap, size_t *out_len)
{
	uint8_t table[256]; /* 0..63 for a digit, 64 for anything else */
	memset(table, 64, sizeof(table));
	const char *d = b64_digits(alpha);
	for (uint8_t v = 0; v < 64; v++)
		table[(unsigned char)d[v]] = v;
	if (len % 4)
		return false;
	size_t pad =
	    len >= 1 && text[len - 1] == '=' ? (len >= 2 && text[len - 2] == '=' ? 2 : 1) : 0;
	if (len / 4 * 3 - pad > cap)
		return false;
	size_t body = len - pad, o = 0, i = 0;
	for (; i + 4 <= body; i += 4) {
		uint8_t a = table[(unsigned char)text[i]], b = table[(unsigned char)text[i + 1]],
		        c = table[(unsigned char)text[i + 2]],
		        e = table[(unsigned char)text[i + 3]];
		if ((a | b | c | e) & 64)
			return false;
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | e;
		out[o++] = (uint8_t)(v >> 16);
		out[o++] = (uint8_t)(v >> 8);
		out[o++] = (uint8_t)v;
	}
	if (pad) {
		uint8_t a = table[(unsigned char)text[i]], b = table[(unsigned char)text[i + 1]];
		uint8_t c = pad == 1 ? table[(unsigned char)text[i + 2]] : 0;
		if ((a | b | c) & 64 || (pad == 2 && (b & 15)) || (pad == 1 && (c & 3)))
			return false; /* non-canonical bits before the padding */
		out[o++] = (uint8_t)(a << 2 | b >> 4);
		if (pad == 1)
			out[o++] = (uint8_t)(b << 4 | c >> 2);
	}
	*out_len = o;
	return true;
}

void hex_format(char *out, const void *data, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *in = data;
	for (size_t i = 0; i < n; i++) {
		*out++ = digits[in[i] >> 4];
		*out++ = digits[in[i] & 15];
	}
	*out = '\0';
}

enum r1_err hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t n, char **why)
{
	if (hex_len != 2 * n)
		return r1_fail(why, R1_ERR_INVAL, "hex: expected %zu characters, got %zu", 2 * n,
			       hex_len);
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return r1_fail(why, R1_ERR_INVAL, "hex: invalid character at %zu",
				       2 * i + (hi < 0 ? 0 : 1));
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return R1_OK;
}

void pct_encode(struct buf *out, const char *s, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			buf_addc(out, (char)c);
		} else {
			char e[3] = {'%', digits[c >> 4], digits[c & 15]};
			buf_add(out, e, sizeof(e));
		}
	}
}

enum r1_err pct_decode(const char *s, size_t n, char **out, char **why)
{
	char *d = r1_malloc(n + 1);
	if (!d)
		return r1_fail(why, R1_ERR_NOMEM, "url: out of memory");
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			d[o++] = s[i];
			continue;
		}
		int hi = i + 1 < n ? hex_digit((unsigned char)s[i + 1]) : -1;
		int lo = i + 2 < n ? hex_digit((unsigned char)s[i + 2]) : -1;
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			r1_free(d);
			return r1_fail(why, R1_ERR_INVAL, "url: bad %%-escape at %zu", i);
		}
		d[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	d[o] = '\0';
	*out = d;
	return R1_OK;
}

enum r1_err zlib_compress(struct buf *out, const void *data, size_t n, int level, char **why)
{
	if (n > UINT32_MAX)
		return r1_fail(why, R1_ERR_TOOBIG, "zlib: input of %zu bytes too large", n);
	uLong bound = compressBound((uLong)n);
	if (!buf_reserve(out, bound))
		return r1_fail(why, R1_ERR_NOMEM, "zlib: out of memory");
	uLongf dest_len = bound;
	int rc = compress2((Bytef *)out->data + out->len, &dest_len, data, (uLong)n, level);
	if (rc != Z_OK)
		return r1_fail(why, R1_ERR_INVAL, "zlib: compress failed (%d)", rc);
	out->len += dest_len;
	out->data[out->len] = '\0';
	return R1_OK;
}

enum r1_err zlib_inflate(struct buf *out, const void *data, size_t n, size_t max_out,
			 char **why)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return r1_fail(why, R1_ERR_NOMEM, "zlib: cannot initialise");
	zs.next_in = (Bytef *)(uintptr_t)data;
	size_t start = out->len, in_left = n;
	enum r1_err err = R1_OK;
	int rc = Z_OK;
	while (rc != Z_STREAM_END) {
		if (zs.avail_in == 0) {
			if (in_left == 0) {
				err = r1_fail(why, R1_ERR_INVAL, "zlib: truncated stream");
				break;
			}
			zs.avail_in = (uInt)R1_MIN(in_left, (size_t)UINT32_MAX);
			in_left -= zs.avail_in;
		}
		size_t produced = out->len - start;
		if (produced >= max_out) {
			/* Output is full: only an immediate end of stream is acceptable. */
			uint8_t probe;
			zs.next_out = &probe;
			zs.avail_out = 1;
			rc = inflate(&zs, Z_NO_FLUSH);
			if (rc == Z_STREAM_END && zs.avail_out == 1)
				break;
			err = r1_fail(why, R1_ERR_TOOBIG, "zlib: inflated data exceeds %zu bytes",
				      max_out);
			break;
		}
		size_t chunk = R1_MIN(max_out - produced, (size_t)65536);
		if (!buf_reserve(out, chunk)) {
			err = r1_fail(why, R1_ERR_NOMEM, "zlib: out of memory");
			break;
		}
		zs.next_out = (Bytef *)out->data + out->len;
		zs.avail_out = (uInt)chunk;
		rc = inflate(&zs, Z_NO_FLUSH);
		out->len += chunk - zs.avail_out;
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			err = r1_fail(why, R1_ERR_INVAL, "zlib: corrupt data at input byte %lu (%s)",
				      zs.total_in, zs.msg ? zs.msg : "error");
			break;
		}
		if (rc == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0) {
			err = r1_fail(why, R1_ERR_INVAL, "zlib: truncated stream");
			break;
		}
	}
	if (!err && (zs.avail_in != 0 || in_left != 0))
		err = r1_fail(why, R1_ERR_INVAL, "zlib: %zu trailing bytes after the stream",
			      (size_t)zs.avail_in + in_left);
	inflateEnd(&zs);
	if (err) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
		return err;
	}
	if (out->data)
		out->data[out->len] = '\0';
	return R1_OK;
}

enum r1_err compress_text(struct buf *out, const char *text, size_t len, char **why)
{
	struct buf z = BUF_INIT;
	enum r1_err e = zlib_compress(&z, text, len, 9, why);
	if (!e) {
		base64_encode(out, z.data, z.len, B64_STD);
		if (!buf_ok(out))
			e = r1_fail(why, R1_ERR_NOMEM, "compress_text: out of memory");
	}
	buf_release(&z);
	return e;
}

enum r1_err decompress_text(struct buf *out, const char *b64, size_t len, size_t max_out,
			    char **why)
{
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	enum r1_err e = base64_decode(b64, len, B64_STD, &raw, &raw_len, why);
	if (!e)
		e = zlib_inflate(out, raw, raw_len, max_out, why);
	r1_free(raw);
	if (e)
		r1_why_prefix(why, "decompress_text");
	return e;
}
