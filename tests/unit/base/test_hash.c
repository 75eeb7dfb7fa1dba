/*
 * SHA-256, HMAC, HKDF and Keccak-256 against published vectors, and HKDF
 * against the key derivations the Python SDK recorded in encrypt.jsonl.
 */
#include "core/lib.h"
#include "core/hash.h"
#include "tests/tap.h"

#include <jansson.h>

static void hex_is(const uint8_t *got, size_t n, const char *want_hex, const char *name)
{
	size_t wlen;
	uint8_t *want = tap_unhex(want_hex, &wlen);
	is_mem(got, n, want, wlen, "%s", name);
	free(want);
}

static void test_sha256(void)
{
	uint8_t d[32];
	sha256("", 0, d);
	hex_is(d, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "sha256 of empty input");
	sha256("abc", 3, d);
	hex_is(d, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "sha256 of abc");

	struct sha256_stream *s = sha256_stream_new();
	ok(s != NULL, "stream created");
	const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	for (const char *p = msg; *p; p++)
		sha256_stream_update(s, p, 1);
	sha256_stream_final(s, d);
	hex_is(d, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	       "streaming sha256 byte by byte");
	sha256_stream_update(s, "abc", 3);
	sha256_stream_final(s, d);
	hex_is(d, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "stream resets after final");
	sha256_stream_free(&s);
	ok(s == NULL, "stream free NULLs the pointer");
}

static void test_hmac_hkdf(void)
{
	uint8_t key[20], d[32];
	memset(key, 0x0b, sizeof(key));
	hmac_sha256(key, sizeof(key), "Hi There", 8, d);
	hex_is(d, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	       "HMAC-SHA256 RFC 4231 case 1");

	/* RFC 5869 test case 1 */
	uint8_t ikm[22], salt[13], info[10], okm[42];
	memset(ikm, 0x0b, sizeof(ikm));
	for (int i = 0; i < 13; i++)
		salt[i] = (uint8_t)i;
	for (int i = 0; i < 10; i++)
		info[i] = (uint8_t)(0xf0 + i);
	ok(hkdf_sha256(salt, sizeof(salt), ikm, sizeof(ikm), info, sizeof(info), okm, 42),
	   "hkdf runs");
	hex_is(okm, 42,
	       "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
	       "HKDF-SHA256 RFC 5869 case 1");
	uint8_t big[1];
	ok(!hkdf_sha256(NULL, 0, ikm, 1, NULL, 0, big, 255 * 32 + 1), "hkdf refuses too long output");

	/* The SDK's derivation: salt None, info "0xai handshake data". */
	char *path = tap_vector_path("encrypt.jsonl");
	size_t n;
	char **lines = tap_read_lines(path, &n);
	int checked = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *row = json_loads(lines[i], 0, NULL);
		json_t *kdf = json_object_get(row, "kdf");
		size_t k;
		json_t *pair;
		json_array_foreach(kdf, k, pair)
		{
			const char *x = json_string_value(json_object_get(pair, "ecdh_shared_x_hex"));
			const char *want = json_string_value(json_object_get(pair, "hkdf_sha256_key_hex"));
			const char *inf = json_string_value(json_object_get(pair, "hkdf_info"));
			if (!x || !want || !inf)
				continue;
			size_t xl;
			uint8_t *xb = tap_unhex(x, &xl);
			uint8_t out[32];
			hkdf_sha256(NULL, 0, xb, xl, inf, strlen(inf), out, 32);
			size_t wl;
			uint8_t *wb = tap_unhex(want, &wl);
			if (wl == 32 && memcmp(out, wb, 32) == 0)
				checked++;
			else
				tap_diag("hkdf mismatch in %s pair %zu", json_string_value(json_object_get(row, "id")), k);
			free(xb);
			free(wb);
		}
		json_decref(row);
	}
	ok(checked >= 18, "HKDF keys of encrypt.jsonl match (%d pairs)", checked);
	tap_free_lines(lines);
	free(path);
}

static void test_keccak(void)
{
	uint8_t d[32];
	keccak256("", 0, d);
	hex_is(d, 32, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
	       "keccak256 of empty input");
	keccak256("abc", 3, d);
	hex_is(d, 32, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
	       "keccak256 of abc");
	uint8_t block[200];
	memset(block, 'a', sizeof(block));
	keccak256(block, 136, d); /* exactly one rate block: padding goes to a second block */
	uint8_t d2[32];
	keccak256(block, 135, d2);
	ok(memcmp(d, d2, 32) != 0, "keccak256 block-boundary inputs differ");
}

static void test_random(void)
{
	uint8_t a[32] = {0}, b[32] = {0};
	random_bytes(a, sizeof(a));
	random_bytes(b, sizeof(b));
	ok(memcmp(a, b, 32) != 0, "random bytes differ between calls");
	uint32_t hits[4] = {0};
	for (int i = 0; i < 4000; i++)
		hits[random_uniform(4)]++;
	ok(hits[0] && hits[1] && hits[2] && hits[3], "random_uniform covers its range");
}

int main(void)
{
	test_sha256();
	test_hmac_hkdf();
	test_keccak();
	test_random();
	return tap_done();
}
