#ifndef R1_CORE_CODEC_H
#define R1_CORE_CODEC_H
/*
 * Byte codecs of the wire: base64 (standard and URL-safe alphabets, both
 * with '=' padding, as Python's base64 module writes them), hex, and zlib
 * with a hard cap on the inflated size, plus the reference's
 * compress_text/decompress_text (zlib level 9, then standard base64) that
 * v2 heartbeats and NET_MON_01 payloads carry in ENCODED_DATA.
 *
 * Decoders are strict: wrong alphabet, bad padding, odd hex, truncated or
 * corrupt zlib, and output beyond the cap all fail with a reason.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"

enum b64_alphabet { B64_STD, B64_URL };

/* Append the base64 text of n bytes to out. */
void base64_encode(struct buf *out, const void *data, size_t n, enum b64_alphabet alpha);
/*
 * Decode len characters (NUL not required).  *out is malloc'd (free with
 * r1_free), NUL-terminated for convenience; *out_len excludes the NUL.
 * R1_ERR_INVAL on bad input, R1_ERR_NOMEM.
 */
enum r1_err base64_decode(const char *text, size_t len, enum b64_alphabet alpha, uint8_t **out,
			  size_t *out_len, char **why);
/* Decode into a caller buffer of `cap` bytes (fails with R1_ERR_TOOBIG if short). */
enum r1_err base64_decode_into(const char *text, size_t len, enum b64_alphabet alpha,
			       uint8_t *out, size_t cap, size_t *out_len, char **why);
/*
 * The same base64 by table lookup, for data that is not secret (ciphertext,
 * names): several times faster, but its timing follows the data, which
 * libsodium's codec above avoids.  base64_encode_vartime writes the
 * 4 * ceil(n / 3) characters and a NUL at out and returns their count;
 * base64_decode_vartime is as strict as base64_decode_into and decodes
 * into out[cap]: false for anything malformed or a short buffer.
 */
size_t base64_encode_vartime(char *out, const void *data, size_t n, enum b64_alphabet alpha);
bool base64_decode_vartime(const char *text, size_t len, enum b64_alphabet alpha, uint8_t *out,
                           size_t cap, size_t *out_len);
/* Upper bound of the decoded size of len base64 characters. */
static inline size_t base64_decoded_max(size_t len)
{
	return len / 4 * 3 + 3;
}

/*
 * Lowercase hex of n bytes into out: 2n characters and a NUL, so out has
 * room for 2n + 1.  (buf_addhex appends the same text to a buffer.)
 */
void hex_format(char *out, const void *data, size_t n);
/* The value of one hex digit of either case, or -1. */
static inline int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
/* Four hex digits at s (a JSON \u escape) as 0..0xFFFF, or -1. */
static inline long hex_quad(const char *s)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int d = hex_digit((unsigned char)s[i]);
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}
/* Hex (either case) of exactly 2*n characters into out[n].  R1_ERR_INVAL. */
enum r1_err hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t n, char **why);

/*
 * URL percent-encoding (RFC 3986).  pct_encode appends s[0..n) with the
 * unreserved characters (letters, digits, - . _ ~) as they are and every
 * other byte as %XX.  pct_decode makes a new string (free with r1_free) of
 * s[0..n); a '%' not followed by two hex digits, and "%00" (it would cut
 * the string), are R1_ERR_INVAL; R1_ERR_NOMEM.
 */
void pct_encode(struct buf *out, const char *s, size_t n);
enum r1_err pct_decode(const char *s, size_t n, char **out, char **why);

/* Default cap on inflated data from the network (the message cap times 8). */
#define ZLIB_DEFAULT_MAX_OUT (16u * 1024u * 1024u)

/* zlib format (RFC 1950), `level` 0..9, appended to out. */
enum r1_err zlib_compress(struct buf *out, const void *data, size_t n, int level, char **why);
/*
 * Inflate zlib-format data, refusing (R1_ERR_TOOBIG) output above max_out
 * bytes: a zlib bomb costs at most max_out of memory.  Trailing bytes after
 * the zlib stream are refused too.  Appends to out.
 */
enum r1_err zlib_inflate(struct buf *out, const void *data, size_t n, size_t max_out,
			 char **why);

/* compress_text: base64std(zlib level 9 of the text), appended to out. */
enum r1_err compress_text(struct buf *out, const char *text, size_t len, char **why);
/* decompress_text: the inverse, at most max_out bytes of text. */
enum r1_err decompress_text(struct buf *out, const char *b64, size_t len, size_t max_out,
			    char **why);

#endif
