/*
 * base64, hex, zlib and compress_text: known answers, the SDK's own
 * compress_text outputs from heartbeat.jsonl, and hostile inputs.
 */
#include "core/lib.h"
#include "core/codec.h"
#include "tests/tap.h"

#include <jansson.h>

static void test_base64(void)
{
	struct buf b = BUF_INIT;
	base64_encode(&b, "", 0, B64_STD);
	is_str(buf_cstr(&b), "", "base64 of nothing");
	buf_reset(&b);
	base64_encode(&b, "foobar", 6, B64_STD);
	is_str(buf_cstr(&b), "Zm9vYmFy", "base64 foobar");
	buf_reset(&b);
	base64_encode(&b, "fo", 2, B64_STD);
	is_str(buf_cstr(&b), "Zm8=", "base64 pads");
	buf_reset(&b);
	base64_encode(&b, "\xfb\xff\xfe", 3, B64_STD);
	is_str(buf_cstr(&b), "+//+", "standard alphabet");
	buf_reset(&b);
	base64_encode(&b, "\xfb\xff\xfe", 3, B64_URL);
	is_str(buf_cstr(&b), "-__-", "URL-safe alphabet");
	buf_release(&b);

	uint8_t *out = NULL;
	size_t n = 0;
	char *why = NULL;
	is_int(base64_decode("Zm8=", 4, B64_STD, &out, &n, &why), R1_OK, "decode padded");
	is_mem(out, n, "fo", 2, "decoded bytes");
	r1_free(out);
	is_int(base64_decode("", 0, B64_STD, &out, &n, &why), R1_OK, "decode empty");
	is_int(n, 0, "empty decodes to nothing");
	r1_free(out);
	is_int(base64_decode("Zm8", 3, B64_STD, &out, &n, &why), R1_ERR_INVAL, "missing padding refused");
	ok(why && strstr(why, "multiple of 4"), "reason: %s", why);
	is_int(base64_decode("-__-", 4, B64_STD, &out, &n, &why), R1_ERR_INVAL,
	       "URL-safe characters refused by the standard decoder");
	is_int(base64_decode("+//+", 4, B64_URL, &out, &n, &why), R1_ERR_INVAL,
	       "standard characters refused by the URL-safe decoder");
	is_int(base64_decode("Zm9v!mFy", 8, B64_STD, &out, &n, &why), R1_ERR_INVAL, "junk refused");
	ok(why && strstr(why, "at 4"), "reason gives the position: %s", why);
	uint8_t small[2];
	is_int(base64_decode_into("Zm9vYmFy", 8, B64_STD, small, sizeof(small), &n, &why),
	       R1_ERR_TOOBIG, "decode_into refuses a short buffer");
	r1_free(why);
}

/* The table codec gives libsodium's text and refuses what it refuses. */
static void test_base64_vartime(void)
{
	uint8_t data[300], back[300];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + 7);
	bool same_text = true, round_trip = true;
	for (int a = 0; a < 2; a++) {
		enum b64_alphabet alpha = a ? B64_URL : B64_STD;
		for (size_t n = 0; n <= sizeof(data); n++) {
			struct buf ref = BUF_INIT;
			base64_encode(&ref, data, n, alpha);
			char text[4 * sizeof(data) / 3 + 8];
			size_t len = base64_encode_vartime(text, data, n, alpha);
			same_text &= len == ref.len && strcmp(text, buf_cstr(&ref)) == 0;
			size_t got = 0;
			round_trip &= base64_decode_vartime(text, len, alpha, back, n, &got) &&
			              got == n && memcmp(back, data, n) == 0;
			buf_release(&ref);
		}
	}
	ok(same_text, "vartime: the same text as libsodium, 0..300 bytes, both alphabets");
	ok(round_trip, "vartime: and it decodes back into a buffer of the exact size");
	static const char *const texts[] = {
	    "",     "Zg==", "Zm8=", "Zm9v", "Zh==", "Zm9=", "Zg",    "Zg=",  "Z===",
	    "====", "Zg=A", "Z-8=", "Z_8=", "Z+8=", "Z/8=", "Zm9v!", "Zm 9", "=Zm9",
	};
	bool agree = true;
	for (int a = 0; a < 2; a++) {
		enum b64_alphabet alpha = a ? B64_URL : B64_STD;
		for (size_t i = 0; i < R1_ARRAY_LEN(texts); i++) {
			uint8_t x[16], y[16];
			size_t nx = 0, ny = 0;
			bool sodium = base64_decode_into(texts[i], strlen(texts[i]), alpha, x,
			                                 sizeof(x), &nx, NULL) == R1_OK;
			bool table = base64_decode_vartime(texts[i], strlen(texts[i]), alpha, y,
			                                   sizeof(y), &ny);
			if (sodium != table || (sodium && (nx != ny || memcmp(x, y, nx) != 0))) {
				tap_diag("vartime and libsodium disagree on '%s' (%s)", texts[i],
				         a ? "url" : "std");
				agree = false;
			}
		}
	}
	ok(agree, "vartime: accepts and refuses what libsodium does (padding, bits, alphabet)");
	size_t got = 0;
	ok(!base64_decode_vartime("Zm9vYmFy", 8, B64_STD, back, 5, &got),
	   "vartime: a short buffer is refused");
}

static void test_hex(void)
{
	struct buf b = BUF_INIT;
	buf_addhex(&b, "\x00\xab\xff", 3);
	is_str(buf_cstr(&b), "00abff", "hex encode");
	buf_release(&b);
	uint8_t out[3];
	char *why = NULL;
	is_int(hex_decode("00ABff", 6, out, 3, &why), R1_OK, "hex decode mixed case");
	is_mem(out, 3, "\x00\xab\xff", 3, "hex bytes");
	is_int(hex_decode("00ab", 4, out, 3, &why), R1_ERR_INVAL, "hex length checked");
	is_int(hex_decode("00ag00", 6, out, 3, &why), R1_ERR_INVAL, "hex characters checked");
	ok(why && strstr(why, "at 3"), "reason gives position: %s", why);
	r1_free(why);

	char text[8] = "xxxxxxx";
	hex_format(text, "\x00\xab\xff", 3);
	is_mem(text, 7, "00abff\0", 7, "hex_format writes the digits and a NUL");
	hex_format(text, "", 0);
	is_str(text, "", "hex_format of nothing is the empty string");
	is_int(hex_digit('0'), 0, "digit 0");
	is_int(hex_digit('f'), 15, "digit f");
	is_int(hex_digit('F'), 15, "digit F");
	is_int(hex_digit('g'), -1, "not a digit: g");
	is_int(hex_digit('/'), -1, "not a digit: /");
	is_int(hex_quad("00e9"), 0xe9, "a \\u escape's four digits");
	is_int(hex_quad("FFFF"), 0xffff, "the largest");
	is_int(hex_quad("12x4"), -1, "a bad digit anywhere");
}

static void test_pct(void)
{
	struct buf q = BUF_INIT;
	pct_encode(&q, "", 0);
	is_str(buf_cstr(&q), "", "pct: nothing");
	pct_encode(&q, "/ipfs/Qm x&y=z~._-\xc8\x99", 20);
	is_str(buf_cstr(&q), "%2Fipfs%2FQm%20x%26y%3Dz~._-%C8%99",
	       "pct: RFC 3986 unreserved kept, the rest %%XX uppercase");
	buf_release(&q);
	char *s = NULL, *why = NULL;
	is_int(pct_decode("us%40er%3a", 10, &s, &why), R1_OK, "pct: decode");
	is_str(s, "us@er:", "pct: escapes of either case");
	r1_free(s);
	is_int(pct_decode("", 0, &s, &why), R1_OK, "pct: decode nothing");
	is_str(s, "", "pct: to the empty string");
	r1_free(s);
	s = NULL;
	static const char *const bad[] = {"%", "%4", "a%4g", "%00", "x%zz"};
	for (size_t i = 0; i < R1_ARRAY_LEN(bad); i++) {
		is_int(pct_decode(bad[i], strlen(bad[i]), &s, &why), R1_ERR_INVAL,
		       "pct: '%s' refused", bad[i]);
		ok(s == NULL, "pct: and nothing returned for '%s'", bad[i]);
	}
	ok(why && strstr(why, "%-escape"), "pct: the reason says so: %s", why ? why : "");
	r1_free(why);
	r1_alloc_fail_after(0);
	is_int(pct_decode("abc", 3, &s, NULL), R1_ERR_NOMEM, "pct: out of memory");
	r1_alloc_fail_after(-1);
}

static void test_zlib(void)
{
	char *why = NULL;
	struct buf z = BUF_INIT, back = BUF_INIT;
	const char *text = "hello hello hello hello";
	is_int(zlib_compress(&z, text, strlen(text), 9, &why), R1_OK, "compress");
	is_int(zlib_inflate(&back, z.data, z.len, 1000, &why), R1_OK, "inflate");
	is_str(buf_cstr(&back), text, "round trip");
	buf_reset(&back);
	is_int(zlib_inflate(&back, z.data, z.len, 10, &why), R1_ERR_TOOBIG, "cap enforced");
	is_int(back.len, 0, "nothing appended on failure");
	is_int(zlib_inflate(&back, z.data, z.len, strlen(text), &why), R1_OK, "cap equal to size is fine");
	buf_reset(&back);
	is_int(zlib_inflate(&back, z.data, z.len - 3, 1000, &why), R1_ERR_INVAL, "truncated stream refused");
	ok(why && strstr(why, "truncated"), "reason: %s", why);
	struct buf trail = BUF_INIT;
	buf_add(&trail, z.data, z.len);
	buf_adds(&trail, "XX");
	is_int(zlib_inflate(&back, trail.data, trail.len, 1000, &why), R1_ERR_INVAL, "trailing bytes refused");
	buf_release(&trail);
	is_int(zlib_inflate(&back, "garbage!", 8, 1000, &why), R1_ERR_INVAL, "garbage refused");
	is_int(zlib_inflate(&back, "", 0, 1000, &why), R1_ERR_INVAL, "empty input refused");

	/* A bomb: 64 MiB of zeros compresses to ~64 KiB; the cap stops it at 1 MiB. */
	size_t big = 64u << 20;
	char *zeros = calloc(1, big);
	struct buf bomb = BUF_INIT;
	is_int(zlib_compress(&bomb, zeros, big, 9, &why), R1_OK, "bomb built");
	free(zeros);
	ok(bomb.len < 100000, "bomb is small (%zu bytes)", bomb.len);
	buf_reset(&back);
	is_int(zlib_inflate(&back, bomb.data, bomb.len, 1u << 20, &why), R1_ERR_TOOBIG, "bomb refused");
	ok(back.cap <= (1u << 21), "bomb cost bounded memory (%zu bytes)", back.cap);
	buf_release(&bomb);
	buf_release(&z);
	buf_release(&back);
	r1_free(why);
}

static void test_compress_text_vectors(void)
{
	char *path = tap_vector_path("heartbeat.jsonl");
	size_t n;
	char **lines = tap_read_lines(path, &n);
	int rows = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *row = json_loads(lines[i], 0, NULL);
		const char *fn = json_string_value(json_object_get(row, "function"));
		const char *id = json_string_value(json_object_get(row, "id"));
		json_t *in = json_object_get(row, "input"), *outv = json_object_get(row, "output");
		if (fn && strcmp(fn, "compress_text") == 0) {
			struct buf b = BUF_INIT;
			const char *s = json_string_value(in);
			is_int(compress_text(&b, s, strlen(s), NULL), R1_OK, "%s: compress_text runs", id);
			is_str(buf_cstr(&b), json_string_value(outv), "%s: compress_text equals the SDK's", id);
			struct buf d = BUF_INIT;
			is_int(decompress_text(&d, b.data, b.len, 1 << 20, NULL), R1_OK, "%s: decompresses", id);
			is_str(buf_cstr(&d), s, "%s: round trip", id);
			buf_release(&b);
			buf_release(&d);
			rows++;
		} else if (fn && strcmp(fn, "decompress_text") == 0) {
			struct buf d = BUF_INIT;
			const char *s = json_string_value(in);
			enum r1_err e = decompress_text(&d, s, strlen(s), 1 << 20, NULL);
			if (json_is_null(outv))
				ok(e != R1_OK, "%s: decompress_text of garbage fails (SDK returns null)", id);
			else
				is_str(buf_cstr(&d), json_string_value(outv), "%s: decompress_text", id);
			buf_release(&d);
			rows++;
		}
		json_decref(row);
	}
	is_int(rows, 3, "all compress_text/decompress_text rows checked");
	tap_free_lines(lines);
	free(path);
}

int main(void)
{
	test_base64();
	test_base64_vartime();
	test_hex();
	test_pct();
	test_zlib();
	test_compress_text_vectors();
	return tap_done();
}
