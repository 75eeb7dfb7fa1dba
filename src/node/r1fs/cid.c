/*
 * CIDs of R1FS blocks (see cid.h): SHA2-256 multihashes, CIDv0 in base58btc
 * and CIDv1 in base32.  This is not a general multiformats library: other
 * hash functions, codecs and bases are refused, because R1FS never makes
 * them and a peer that sends them is not talking to an R1FS store.
 */
#include "node/lib.h"
#include "node/r1fs/cid.h"

#include "core/hash.h"
#include "core/codec.h"

static const char b58_alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char b32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

void r1fs_cid_of_block(unsigned version, uint8_t codec, const void *block, size_t len,
                       struct r1fs_cid *out)
{
	out->version = version ? 1 : 0;
	out->codec = out->version ? codec : R1FS_CODEC_DAGPB;
	sha256(block, len, out->digest);
}

bool r1fs_cid_equal(const struct r1fs_cid *a, const struct r1fs_cid *b)
{
	return a->version == b->version && a->codec == b->codec &&
	       memcmp(a->digest, b->digest, R1FS_DIGEST_LEN) == 0;
}

size_t r1fs_cid_to_bytes(const struct r1fs_cid *cid, uint8_t out[R1FS_CID_BIN_MAX])
{
	size_t n = 0;
	if (cid->version == 1) {
		out[n++] = 0x01;
		out[n++] = cid->codec; /* both codecs are below 0x80: one varint byte */
	}
	out[n++] = R1FS_MH_SHA2_256;
	out[n++] = R1FS_DIGEST_LEN;
	memcpy(out + n, cid->digest, R1FS_DIGEST_LEN);
	return n + R1FS_DIGEST_LEN;
}

enum r1_err r1fs_cid_from_bytes(const uint8_t *p, size_t len, struct r1fs_cid *out, char **why)
{
	struct r1fs_cid c = {0};
	size_t at = 0;
	if (len == 34 && p[0] == R1FS_MH_SHA2_256) {
		c.version = 0;
		c.codec = R1FS_CODEC_DAGPB;
	} else if (len >= 2 && p[0] == 0x01) {
		c.version = 1;
		if (p[1] != R1FS_CODEC_DAGPB && p[1] != R1FS_CODEC_RAW)
			return r1_fail(why, R1_ERR_INVAL,
			               "cid: codec 0x%02x is not supported (only dag-pb and raw)",
			               p[1]);
		c.codec = p[1];
		at = 2;
	} else if (len >= 1 && p[0] == 0x01) {
		return r1_fail(why, R1_ERR_INVAL, "cid: truncated");
	} else {
		return r1_fail(why, R1_ERR_INVAL,
		               "cid: unknown version or hash (first byte 0x%02x)", len ? p[0] : 0);
	}
	if (len - at != 2 + R1FS_DIGEST_LEN || p[at] != R1FS_MH_SHA2_256 ||
	    p[at + 1] != R1FS_DIGEST_LEN)
		return r1_fail(why, R1_ERR_INVAL,
		               "cid: only 32-byte sha2-256 multihashes are supported");
	memcpy(c.digest, p + at + 2, R1FS_DIGEST_LEN);
	*out = c;
	return R1_OK;
}

/* Base58btc of a short byte string (the classic quadratic conversion). */
static size_t b58_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	uint8_t digits[64] = {0}; /* base-58 digits, least significant first */
	size_t ndigits = 0, zeros = 0;
	while (zeros < len && in[zeros] == 0)
		zeros++;
	for (size_t i = zeros; i < len; i++) {
		unsigned carry = in[i];
		for (size_t j = 0; j < ndigits; j++) {
			carry += (unsigned)digits[j] << 8;
			digits[j] = (uint8_t)(carry % 58);
			carry /= 58;
		}
		while (carry) {
			digits[ndigits++] = (uint8_t)(carry % 58);
			carry /= 58;
		}
	}
	size_t n = 0;
	for (size_t i = 0; i < zeros && n + 1 < cap; i++)
		out[n++] = '1';
	for (size_t i = ndigits; i > 0 && n + 1 < cap; i--)
		out[n++] = b58_alphabet[digits[i - 1]];
	out[n] = '\0';
	return n;
}

/* Decode base58btc into out[cap]; returns the length or 0 on bad input. */
static size_t b58_decode(const char *in, uint8_t *out, size_t cap)
{
	uint8_t bytes[64] = {0}; /* least significant first */
	size_t nbytes = 0, zeros = 0, len = strlen(in);
	if (len == 0 || len > 80)
		return 0;
	while (zeros < len && in[zeros] == '1')
		zeros++;
	for (size_t i = zeros; i < len; i++) {
		const char *pos = strchr(b58_alphabet, in[i]);
		if (!pos || !in[i])
			return 0;
		unsigned carry = (unsigned)(pos - b58_alphabet);
		for (size_t j = 0; j < nbytes; j++) {
			carry += (unsigned)bytes[j] * 58;
			bytes[j] = (uint8_t)(carry & 0xff);
			carry >>= 8;
		}
		while (carry) {
			if (nbytes == sizeof(bytes))
				return 0;
			bytes[nbytes++] = (uint8_t)(carry & 0xff);
			carry >>= 8;
		}
	}
	if (zeros + nbytes > cap)
		return 0;
	memset(out, 0, zeros);
	for (size_t i = 0; i < nbytes; i++)
		out[zeros + i] = bytes[nbytes - 1 - i];
	return zeros + nbytes;
}

/* RFC 4648 base32, lower case, no padding. */
static size_t b32_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t n = 0;
	unsigned acc = 0, bits = 0;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5 && n + 1 < cap) {
			out[n++] = b32_alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0 && n + 1 < cap)
		out[n++] = b32_alphabet[(acc << (5 - bits)) & 31];
	out[n] = '\0';
	return n;
}

static size_t b32_decode(const char *in, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned acc = 0, bits = 0;
	for (const char *p = in; *p; p++) {
		const char *pos = strchr(b32_alphabet, *p);
		if (!pos)
			return 0;
		acc = (acc << 5) | (unsigned)(pos - b32_alphabet);
		bits += 5;
		if (bits >= 8) {
			if (n == cap)
				return 0;
			out[n++] = (uint8_t)((acc >> (bits - 8)) & 0xff);
			bits -= 8;
		}
	}
	/* Leftover bits must be zero padding, fewer than a whole byte. */
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
		return 0;
	return n;
}

size_t r1fs_cid_format(const struct r1fs_cid *cid, char out[R1FS_CID_TEXT_MAX])
{
	uint8_t bin[R1FS_CID_BIN_MAX];
	size_t n = r1fs_cid_to_bytes(cid, bin);
	if (cid->version == 0)
		return b58_encode(bin, n, out, R1FS_CID_TEXT_MAX);
	out[0] = 'b';
	return 1 + b32_encode(bin, n, out + 1, R1FS_CID_TEXT_MAX - 1);
}

enum r1_err r1fs_cid_parse(const char *text, struct r1fs_cid *out, char **why)
{
	uint8_t bin[48];
	size_t n = 0, len = text ? strlen(text) : 0;
	if (len == 46 && text[0] == 'Q' && text[1] == 'm') {
		n = b58_decode(text, bin, sizeof(bin));
		if (n != 34)
			return r1_fail(why, R1_ERR_INVAL, "cid: '%.64s' is not valid base58", text);
		return r1fs_cid_from_bytes(bin, n, out, why);
	}
	if (len < 2 || len > R1FS_CID_TEXT_MAX)
		return r1_fail(why, R1_ERR_INVAL, "cid: '%.64s' is not a CID", text ? text : "");
	if (text[0] == 'b')
		n = b32_decode(text + 1, bin, sizeof(bin));
	else if (text[0] == 'z')
		n = b58_decode(text + 1, bin, sizeof(bin));
	else
		return r1_fail(why, R1_ERR_INVAL,
		               "cid: '%.64s' is not a CIDv0 or a base32/base58btc CIDv1", text);
	if (n == 0)
		return r1_fail(why, R1_ERR_INVAL, "cid: '%.64s' has a bad multibase encoding",
		               text);
	if (bin[0] != 0x01)
		return r1_fail(why, R1_ERR_INVAL, "cid: '%.64s' is not a version 1 CID", text);
	return r1fs_cid_from_bytes(bin, n, out, why);
}

void r1fs_digest_hex(const uint8_t digest[R1FS_DIGEST_LEN], char out[2 * R1FS_DIGEST_LEN + 1])
{
	hex_format(out, digest, R1FS_DIGEST_LEN);
}
