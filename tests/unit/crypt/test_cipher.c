/*
 * Payload encryption: every row of encrypt.jsonl (each recorded decryptor,
 * must-fail rows with their reasons, the mixed row), key derivation against
 * the recorded HKDF keys, our own single and multi-recipient ciphertexts
 * (layout, who can and cannot read them, every byte flipped, truncations),
 * hand-built packages and blobs covering the SDK's edge cases (flag 0,
 * "M": 1, "c" spellings, nonce and key lengths, malformed "k" entries, zlib
 * bombs, non-UTF-8), empty and 1 MB plaintexts, the key cache, and
 * allocation failures.
 */
#include "core/lib.h"
#include "core/cipher.h"
#include "core/codec.h"
#include "core/hash.h"
#include "core/identity.h"
#include "tests/tap.h"

#include <jansson.h>
#include <openssl/evp.h>

#define MB (1024u * 1024u)

static struct r1_identity ids[3]; /* k0, k1, k2 */

static void load_keys(void)
{
	char *path = tap_vector_path("keys.json");
	json_t *keys = json_load_file(path, 0, NULL);
	if (!keys)
		tap_bail("cannot read %s", path);
	free(path);
	size_t i;
	json_t *k;
	json_array_foreach(json_object_get(keys, "keys"), i, k)
	{
		const char *name = json_string_value(json_object_get(k, "name"));
		const char *pem = json_string_value(json_object_get(k, "private_key_pem_pkcs8"));
		int idx = name[1] - '0';
		if (name[0] != 'k' || idx < 0 || idx > 2 ||
		    identity_from_pem(&ids[idx], pem, strlen(pem), NULL))
			tap_bail("bad key %s", name);
	}
	json_decref(keys);
}

static const struct r1_identity *id_named(const char *name)
{
	if (!name || name[0] != 'k' || name[1] < '0' || name[1] > '2')
		tap_bail("unknown key %s", name ? name : "(null)");
	return &ids[name[1] - '0'];
}

/* Decrypt text; returns the error, fills *plain (malloc'd, NUL-terminated) on success. */
static enum r1_err dec(const struct r1_identity *me, const char *sender, const char *b64,
                       size_t max_plain, struct cipher_keycache *cache, char **plain, char **why)
{
	struct buf out = BUF_INIT;
	enum r1_err e = cipher_decrypt(me, sender, b64, strlen(b64), max_plain, cache, &out, why);
	if (plain)
		*plain = e ? NULL : r1_strdup(buf_cstr(&out));
	if (e && out.len != 0)
		tap_diag("output not restored after a failure (%zu bytes)", out.len);
	buf_release(&out);
	return e;
}

static void b64_of(const void *p, size_t n, struct buf *out)
{
	buf_reset(out);
	base64_encode(out, p, n, B64_STD);
}

/* ------------------------------------------------------------ vectors */

static void test_vectors(void)
{
	char *path = tap_vector_path("encrypt.jsonl");
	size_t count = 0;
	char **lines = tap_read_lines(path, &count);
	free(path);
	ok(count == 18, "encrypt.jsonl has 18 rows (%zu)", count);
	int must_fail = 0, decrypt_rows = 0, mixed = 0;
	for (size_t i = 0; i < count; i++) {
		json_t *row = json_loads(lines[i], 0, NULL);
		if (!row)
			tap_bail("row %zu is not JSON", i);
		const char *rid = json_string_value(json_object_get(row, "id"));
		const char *ct = json_string_value(json_object_get(row, "ciphertext"));
		const char *pt = json_string_value(json_object_get(row, "plaintext"));
		const char *outcome = json_string_value(json_object_get(row, "outcome"));
		const char *kind = json_string_value(json_object_get(row, "kind"));
		if (strcmp(outcome, "decrypts") == 0)
			decrypt_rows++;
		else if (strcmp(outcome, "fails") == 0)
			must_fail++;
		else
			mixed++;

		size_t j;
		json_t *d;
		int row_ok = 0, row_fail = 0;
		json_array_foreach(json_object_get(row, "decryptions"), j, d)
		{
			const struct r1_identity *me =
			    id_named(json_string_value(json_object_get(d, "decryptor")));
			const char *sender =
			    json_string_value(json_object_get(d, "sender_address_used"));
			bool want_ok = json_is_true(json_object_get(d, "ok"));
			is_str(me->addr, json_string_value(json_object_get(d, "decryptor_address")),
			       "%s/%zu: decryptor address", rid, j);
			char *plain = NULL, *why = NULL;
			enum r1_err e = dec(me, sender, ct, 4 * MB, NULL, &plain, &why);
			if (want_ok) {
				is_int(e, R1_OK, "%s/%zu: decrypts (%s)", rid, j, why ? why : "");
				is_str(plain, pt, "%s/%zu: to the recorded plaintext", rid, j);
				ok(strcmp(outcome, "fails") != 0, "%s/%zu: success matches outcome",
				   rid, j);
				row_ok++;
			} else {
				ok(e != R1_OK, "%s/%zu: must fail", rid, j);
				ok(why && *why, "%s/%zu: reason: %s", rid, j, why ? why : "(none)");
				ok(strcmp(outcome, "decrypts") != 0,
				   "%s/%zu: failure matches outcome", rid, j);
				row_fail++;
			}
			r1_free(plain);
			r1_free(why);
		}
		if (strcmp(outcome, "decrypts") != 0 && strcmp(outcome, "fails") != 0)
			ok(row_ok > 0 && row_fail > 0, "%s: mixed row: %d succeed, %d fail", rid,
			   row_ok, row_fail);

		/* Key derivation, both directions. */
		json_t *kdf;
		json_array_foreach(json_object_get(row, "kdf"), j, kdf)
		{
			const struct r1_identity *own =
			    id_named(json_string_value(json_object_get(kdf, "own")));
			const struct r1_identity *peer =
			    id_named(json_string_value(json_object_get(kdf, "peer")));
			uint8_t k1[32], k2[32];
			size_t wl;
			uint8_t *want = tap_unhex(
			    json_string_value(json_object_get(kdf, "hkdf_sha256_key_hex")), &wl);
			is_int(cipher_shared_key(own, peer->pub, NULL, k1, NULL), R1_OK,
			       "%s: kdf %zu", rid, j);
			is_mem(k1, 32, want, wl, "%s: kdf %zu equals the SDK's key", rid, j);
			cipher_shared_key(peer, own->pub, NULL, k2, NULL);
			is_mem(k2, 32, k1, 32, "%s: kdf %zu is symmetric", rid, j);
			free(want);
		}

		/* Layout of single-recipient blobs. */
		if (strcmp(kind, "single") == 0) {
			json_t *lay = json_object_get(row, "layout");
			uint8_t *blob = NULL;
			size_t n = 0;
			is_int(base64_decode(ct, strlen(ct), B64_STD, &blob, &n, NULL), R1_OK,
			       "%s: standard base64", rid);
			is_int(n, json_integer_value(json_object_get(lay, "total_len")),
			       "%s: length", rid);
			size_t nl;
			uint8_t *nonce =
			    tap_unhex(json_string_value(json_object_get(lay, "nonce_hex")), &nl);
			is_mem(blob, 12, nonce, nl, "%s: nonce first", rid);
			is_int(blob[12],
			       json_integer_value(json_object_get(lay, "compressed_flag")),
			       "%s: flag byte", rid);
			free(nonce);
			r1_free(blob);
		}
		json_decref(row);
	}
	is_int(decrypt_rows, 10, "10 rows decrypt");
	is_int(must_fail, 7, "7 rows must fail");
	is_int(mixed, 1, "1 mixed row");
	tap_free_lines(lines);

	/* The specific reasons of some must-fail rows. */
	path = tap_vector_path("encrypt.jsonl");
	lines = tap_read_lines(path, &count);
	free(path);
	static const struct {
		const char *id, *decryptor;
		enum r1_err err;
		const char *reason;
	} reasons[] = {
	    {"A-enc-011", "k2", R1_ERR_CRYPTO, "authentication tag mismatch"},
	    {"A-enc-013", "k1", R1_ERR_CRYPTO, "authentication tag mismatch"},
	    {"A-enc-016", "k2", R1_ERR_NOTFOUND,
	     "not addressed to 0xai_A-4c9iEg0NInyQDnMeifin2zlWtlIAb8cTjc3bnyjs_r"},
	    {"A-enc-017", "k1", R1_ERR_CRYPTO, "package data: authentication tag mismatch"},
	    {"A-enc-018", "k1", R1_ERR_CRYPTO, "our wrapped key: authentication tag mismatch"},
	};
	for (size_t r = 0; r < R1_ARRAY_LEN(reasons); r++) {
		for (size_t i = 0; i < count; i++) {
			json_t *row = json_loads(lines[i], 0, NULL);
			if (strcmp(json_string_value(json_object_get(row, "id")), reasons[r].id) ==
			    0) {
				char *why = NULL;
				const char *ct =
				    json_string_value(json_object_get(row, "ciphertext"));
				const char *sender =
				    json_string_value(json_object_get(row, "sender_address"));
				is_int(dec(id_named(reasons[r].decryptor), sender, ct, MB, NULL,
				           NULL, &why),
				       reasons[r].err, "%s: error code", reasons[r].id);
				ok(why && strstr(why, reasons[r].reason), "%s: reason '%s'",
				   reasons[r].id, why ? why : "(none)");
				r1_free(why);
			}
			json_decref(row);
		}
	}
	tap_free_lines(lines);
}

/* ------------------------------------------------------------ our own */

static void test_degenerate(void)
{
	char *why = NULL;
	struct buf out = BUF_INIT;
	is_int(dec(&ids[1], ids[0].addr, "", MB, NULL, NULL, &why), R1_ERR_INVAL, "empty text");
	ok(why && strstr(why, "truncated"), "empty: %s", why ? why : "(none)");
	is_int(dec(&ids[1], ids[0].addr, "!!!!", MB, NULL, NULL, &why), R1_ERR_INVAL, "not base64");
	ok(why && strstr(why, "not base64"), "reason: %s", why ? why : "(none)");
	is_int(dec(&ids[1], ids[0].addr, "AAA", MB, NULL, NULL, &why), R1_ERR_INVAL,
	       "base64 of a bad length");
	is_int(dec(&ids[1], ids[0].addr, "AXWd rmMP", MB, NULL, NULL, &why), R1_ERR_INVAL,
	       "base64 with a stray space (strict)");
	is_int(cipher_decrypt(&ids[1], NULL, "AAAA", 4, MB, NULL, &out, &why), R1_ERR_INVAL,
	       "no sender");
	is_int(dec(&ids[1], "0xai_notanaddress", "AAAA", MB, NULL, NULL, &why), R1_ERR_INVAL,
	       "bad sender address");
	ok(why && strstr(why, "sender"), "reason: %s", why ? why : "(none)");
	is_int(cipher_encrypt_single(&ids[0], "0xai_bad", "x", 1, NULL, &out, &why), R1_ERR_INVAL,
	       "encrypt to a bad address");
	is_int(cipher_encrypt_single(&ids[0], NULL, "x", 1, NULL, &out, &why), R1_ERR_INVAL,
	       "encrypt to no address");
	is_int(cipher_encrypt_multi(&ids[0], NULL, 0, "x", 1, NULL, &out, &why), R1_ERR_INVAL,
	       "multi with no recipients");
	const char *bad[] = {ids[1].addr, "0xai_AAAA"};
	is_int(cipher_encrypt_multi(&ids[0], bad, 2, "x", 1, NULL, &out, &why), R1_ERR_INVAL,
	       "multi with a bad second address");
	ok(why && strstr(why, "recipient 1"), "names the recipient: %s", why ? why : "(none)");
	is_int(out.len, 0, "nothing appended by failed calls");
	struct cipher_keycache *c = NULL;
	cipher_keycache_free(&c);
	ok(c == NULL, "freeing a NULL cache");
	buf_release(&out);
	r1_free(why);
}

static char *make_text(size_t n, unsigned seed)
{
	char *t = r1_malloc(n + 1);
	uint32_t x = seed * 2654435761u + 1;
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789 {}\":,";
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		t[i] = alphabet[x % (sizeof(alphabet) - 1)];
	}
	t[n] = '\0';
	return t;
}

static void check_single_layout(const char *b64, const char *plain, const char *name)
{
	uint8_t *blob = NULL;
	size_t n = 0;
	is_int(base64_decode(b64, strlen(b64), B64_STD, &blob, &n, NULL), R1_OK, "%s: base64",
	       name);
	is_int(blob[12], 1, "%s: compressed flag", name);
	struct buf z = BUF_INIT;
	zlib_compress(&z, plain, strlen(plain), 6, NULL);
	is_int(n, 12 + 1 + z.len + 16, "%s: nonce, flag, zlib level 6 data, tag", name);
	buf_release(&z);
	r1_free(blob);
}

static void test_round_trips(void)
{
	const char *texts[] = {"", "hello ratio1",
	                       "to everybody \xc4\x83\xc3\xae\xc8\x99 \xf0\x9f\x98\x80",
	                       "{\"ACTION\": \"UPDATE_CONFIG\", \"PAYLOAD\": {}}"};
	for (size_t i = 0; i < R1_ARRAY_LEN(texts); i++) {
		struct buf ct = BUF_INIT;
		char *plain = NULL, *why = NULL;
		is_int(cipher_encrypt_single(&ids[0], ids[1].addr, texts[i], strlen(texts[i]), NULL,
		                             &ct, &why),
		       R1_OK, "single %zu: encrypt", i);
		check_single_layout(buf_cstr(&ct), texts[i], "single");
		is_int(dec(&ids[1], ids[0].addr, buf_cstr(&ct), MB, NULL, &plain, &why), R1_OK,
		       "single %zu: recipient decrypts", i);
		is_str(plain, texts[i], "single %zu: plaintext", i);
		r1_free(plain);
		is_int(dec(&ids[0], ids[1].addr, buf_cstr(&ct), MB, NULL, &plain, &why), R1_OK,
		       "single %zu: sender decrypts its own message", i);
		r1_free(plain);
		is_int(dec(&ids[2], ids[0].addr, buf_cstr(&ct), MB, NULL, NULL, &why),
		       R1_ERR_CRYPTO, "single %zu: k2 cannot", i);
		is_int(dec(&ids[1], ids[2].addr, buf_cstr(&ct), MB, NULL, NULL, &why),
		       R1_ERR_CRYPTO, "single %zu: wrong sender address", i);

		buf_reset(&ct);
		const char *to[] = {ids[1].addr, addr_strip_prefix(ids[2].addr)};
		is_int(cipher_encrypt_multi(&ids[0], to, 2, texts[i], strlen(texts[i]), NULL, &ct,
		                            &why),
		       R1_OK, "multi %zu: encrypt", i);
		for (int k = 1; k <= 2; k++) {
			is_int(dec(&ids[k], ids[0].addr, buf_cstr(&ct), MB, NULL, &plain, &why),
			       R1_OK, "multi %zu: k%d decrypts (%s)", i, k, why ? why : "");
			is_str(plain, texts[i], "multi %zu: k%d plaintext", i, k);
			r1_free(plain);
		}
		is_int(dec(&ids[0], ids[0].addr, buf_cstr(&ct), MB, NULL, NULL, &why),
		       R1_ERR_NOTFOUND, "multi %zu: the sender is not a recipient", i);
		ok(why && strstr(why, ids[0].addr), "multi %zu: reason names the address", i);
		buf_release(&ct);
		r1_free(why);
	}

	/* 1 MB, compressible and less so, both forms; the cap at exactly the size. */
	for (unsigned seed = 0; seed < 2; seed++) {
		char *big = make_text(MB, seed);
		if (seed == 1)
			memset(big, 'a', MB / 2);
		struct buf ct = BUF_INIT, out = BUF_INIT;
		char *why = NULL;
		is_int(cipher_encrypt_single(&ids[1], ids[0].addr, big, MB, NULL, &ct, &why), R1_OK,
		       "1 MB single (seed %u)", seed);
		is_int(cipher_decrypt(&ids[0], ids[1].addr, ct.data, ct.len, MB, NULL, &out, &why),
		       R1_OK, "1 MB single decrypts with the cap at exactly 1 MB");
		ok(out.len == MB && memcmp(out.data, big, MB) == 0, "1 MB single: same bytes");
		buf_reset(&out);
		is_int(
		    cipher_decrypt(&ids[0], ids[1].addr, ct.data, ct.len, MB - 1, NULL, &out, &why),
		    R1_ERR_TOOBIG, "1 MB single over a cap of 1 MB - 1");
		ok(why && strstr(why, "exceeds"), "reason: %s", why ? why : "(none)");
		buf_reset(&ct);
		const char *to[] = {ids[0].addr, ids[2].addr, ids[1].addr};
		is_int(cipher_encrypt_multi(&ids[1], to, 3, big, MB, NULL, &ct, &why), R1_OK,
		       "1 MB multi to three, sender included");
		buf_reset(&out);
		is_int(cipher_decrypt(&ids[1], ids[1].addr, ct.data, ct.len, MB, NULL, &out, &why),
		       R1_OK, "1 MB multi: the sender reads its own entry");
		ok(out.len == MB && memcmp(out.data, big, MB) == 0, "1 MB multi: same bytes");
		buf_reset(&out);
		is_int(
		    cipher_decrypt(&ids[2], ids[1].addr, ct.data, ct.len, MB / 2, NULL, &out, &why),
		    R1_ERR_TOOBIG, "1 MB multi over a cap of 512 KB");
		buf_release(&ct);
		buf_release(&out);
		r1_free(big);
		r1_free(why);
	}
}

static void test_multi_layout(void)
{
	struct buf ct = BUF_INIT, z = BUF_INIT;
	char legacy[64];
	snprintf(legacy, sizeof(legacy), "aixp_%s", addr_strip_prefix(ids[2].addr));
	const char *to[] = {addr_strip_prefix(ids[1].addr), legacy};
	is_int(cipher_encrypt_multi(&ids[0], to, 2, "layout", 6, NULL, &ct, NULL), R1_OK,
	       "multi to unprefixed and aixp_ addresses");
	uint8_t *blob = NULL;
	size_t n = 0;
	is_int(base64_decode(ct.data, ct.len, B64_STD, &blob, &n, NULL), R1_OK, "multi: base64");
	is_int(zlib_inflate(&z, blob, n, MB, NULL), R1_OK, "multi: zlib");
	const char *t = buf_cstr(&z);
	ok(strncmp(t, "{\"M\": true, \"c\": \"01\", \"n\": \"", 29) == 0,
	   "json.dumps layout: %.40s", t);
	ok(strstr(t, "\", \"d\": \"") && strstr(t, "\", \"k\": [{\"a\": \""),
	   "json.dumps separators");
	json_t *pkg = json_loads(t, 0, NULL);
	ok(json_is_object(pkg), "the package is JSON");
	is_int(json_object_size(pkg), 5, "five keys");
	is_int(json_string_length(json_object_get(pkg, "n")), 24, "12-byte nonce in hex");
	struct buf zl = BUF_INIT;
	zlib_compress(&zl, "layout", 6, 6, NULL);
	is_int(json_string_length(json_object_get(pkg, "d")), 2 * (zl.len + 16),
	       "data: hex of zlib level 6 and the tag");
	buf_release(&zl);
	json_t *k = json_object_get(pkg, "k");
	is_int(json_array_size(k), 2, "two entries");
	is_str(json_string_value(json_object_get(json_array_get(k, 0), "a")), ids[1].addr,
	       "\"a\" written with 0xai_ whatever the caller gave");
	is_str(json_string_value(json_object_get(json_array_get(k, 1), "a")), ids[2].addr,
	       "aixp_ rewritten to 0xai_");
	is_int(json_string_length(json_object_get(json_array_get(k, 0), "k")), 2 * (12 + 32 + 16),
	       "wrapped key: nonce, key, tag");
	json_decref(pkg);
	r1_free(blob);
	buf_release(&z);
	buf_release(&ct);
}

static void flip_and_check(const uint8_t *blob, size_t n, size_t pos, uint8_t mask,
                           const struct r1_identity *me, const char *sender, bool want_ok,
                           const char *what)
{
	uint8_t *copy = r1_memdup(blob, n);
	copy[pos] ^= mask;
	struct buf b64 = BUF_INIT;
	b64_of(copy, n, &b64);
	char *why = NULL;
	enum r1_err e = dec(me, sender, buf_cstr(&b64), MB, NULL, NULL, &why);
	if (want_ok)
		is_int(e, R1_OK, "%s: byte %zu ^ %#x still decrypts (%s)", what, pos, mask,
		       why ? why : "");
	else
		ok(e != R1_OK && why, "%s: byte %zu ^ %#x fails: %s", what, pos, mask,
		   why ? why : "(no reason)");
	buf_release(&b64);
	r1_free(copy);
	r1_free(why);
}

static void test_tampering(void)
{
	struct buf ct = BUF_INIT;
	const char *text = "{\"ACTION\": \"RESTART\", \"PAYLOAD\": {\"why\": \"tamper test\"}}";
	cipher_encrypt_single(&ids[0], ids[1].addr, text, strlen(text), NULL, &ct, NULL);
	uint8_t *blob = NULL;
	size_t n = 0;
	base64_decode(ct.data, ct.len, B64_STD, &blob, &n, NULL);
	/* Every byte, low and high bit: nonce, flag, ciphertext, tag. */
	int failures = 0, total = 0;
	for (size_t pos = 0; pos < n; pos++) {
		for (int m = 0; m < 2; m++) {
			uint8_t mask = m ? 0x80 : 0x01;
			uint8_t *copy = r1_memdup(blob, n);
			copy[pos] ^= mask;
			struct buf b64 = BUF_INIT;
			b64_of(copy, n, &b64);
			enum r1_err e =
			    dec(&ids[1], ids[0].addr, buf_cstr(&b64), MB, NULL, NULL, NULL);
			bool flag_still_set = pos == 12 && mask == 0x80;
			if (!flag_still_set) {
				total++;
				if (e != R1_OK)
					failures++;
				else
					tap_diag("byte %zu ^ %#x decrypted", pos, mask);
			}
			buf_release(&b64);
			r1_free(copy);
		}
	}
	is_int(failures, total, "single: each of %d one-bit flips (nonce, ciphertext, tag) fails",
	       total);
	/* The flag byte is outside GCM: the SDK reads any non-zero flag as "compressed". */
	flip_and_check(blob, n, 12, 0x80, &ids[1], ids[0].addr, true,
	               "flag 0x01 -> 0x81 (as the SDK)");
	flip_and_check(blob, n, 12, 0x01, &ids[1], ids[0].addr, false,
	               "flag 0x01 -> 0x00 (zlib bytes are not UTF-8)");
	flip_and_check(blob, n, 0, 0x01, &ids[1], ids[0].addr, false, "nonce");
	flip_and_check(blob, n, 13, 0x01, &ids[1], ids[0].addr, false, "ciphertext");
	flip_and_check(blob, n, n - 16, 0x01, &ids[1], ids[0].addr, false, "tag");
	flip_and_check(blob, n, n - 1, 0x80, &ids[1], ids[0].addr, false, "tag end");

	/* Truncations. */
	size_t cuts[] = {0, 1, 12, 13, 28, 29, n - 16, n - 1};
	for (size_t i = 0; i < R1_ARRAY_LEN(cuts); i++) {
		struct buf b64 = BUF_INIT;
		b64_of(blob, cuts[i], &b64);
		char *why = NULL;
		enum r1_err e = dec(&ids[1], ids[0].addr, buf_cstr(&b64), MB, NULL, NULL, &why);
		ok(e != R1_OK && why, "single truncated to %zu bytes fails: %s", cuts[i],
		   why ? why : "(none)");
		if (cuts[i] < 29)
			ok(e == R1_ERR_INVAL && strstr(why, "truncated"), "  as truncated");
		buf_release(&b64);
		r1_free(why);
	}
	r1_free(blob);

	/* Multi: the decoded blob's zlib header and trailer, then the text cut short. */
	buf_reset(&ct);
	const char *to[] = {ids[1].addr, ids[2].addr};
	cipher_encrypt_multi(&ids[0], to, 2, text, strlen(text), NULL, &ct, NULL);
	base64_decode(ct.data, ct.len, B64_STD, &blob, &n, NULL);
	size_t mpos[] = {0, 1, n - 4, n - 3, n - 2, n - 1};
	for (size_t i = 0; i < R1_ARRAY_LEN(mpos); i++)
		flip_and_check(blob, n, mpos[i], 0x01, &ids[1], ids[0].addr, false,
		               "multi zlib framing");
	for (size_t cut = 4; cut < ct.len; cut += ct.len / 7 + 4) {
		char *why = NULL;
		char *t = r1_strndup(ct.data, cut & ~(size_t)3);
		ok(dec(&ids[1], ids[0].addr, t, MB, NULL, NULL, &why) != R1_OK,
		   "multi text cut to %zu characters fails", cut & ~(size_t)3);
		r1_free(t);
		r1_free(why);
	}
	r1_free(blob);
	buf_release(&ct);
}

/* ------------------------------------------------------------ hand-built packages */

static void gcm(const uint8_t *key, size_t klen, const uint8_t *nonce, size_t nlen, const void *pt,
                size_t n, struct buf *out)
{
	const EVP_CIPHER *alg = klen == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int l = 0;
	buf_reserve(out, n + 16);
	uint8_t *o = (uint8_t *)out->data + out->len;
	if (EVP_EncryptInit_ex(ctx, alg, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)nlen, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, o, &l, pt, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(ctx, o + l, &l) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, o + n) != 1)
		tap_bail("test AES-GCM failed");
	EVP_CIPHER_CTX_free(ctx);
	out->len += n + 16;
}

/* A single-form blob from k0 to k1 with any flag and body. */
static void craft_single(uint8_t flag, const void *body, size_t n, struct buf *b64)
{
	uint8_t key[32], nonce[12];
	cipher_shared_key(&ids[0], ids[1].pub, NULL, key, NULL);
	random_bytes(nonce, 12);
	struct buf blob = BUF_INIT;
	buf_add(&blob, nonce, 12);
	buf_addc(&blob, (char)flag);
	gcm(key, 32, nonce, 12, body, n, &blob);
	b64_of(blob.data, blob.len, b64);
	buf_release(&blob);
}

struct craft {
	const char *M; /* JSON of "M" */
	const char *c; /* JSON of "c" */
	size_t nonce_len, sym_len;
	bool compress;
	const void *plain;
	size_t plain_len;
	const char *k_before, *k_after; /* raw JSON entries around ours, or NULL */
	const char *our_k;              /* replace our wrapped key's JSON value */
	const char *pad;                /* extra whitespace-like text inside the object */
};

/* A multi package from k0 with our entry for k1, zlib'd and base64'd into b64. */
static void craft_multi(const struct craft *c, struct buf *b64)
{
	uint8_t sym[32], nonce[128], shared[32], n2[12];
	random_bytes(sym, sizeof(sym));
	random_bytes(nonce, sizeof(nonce));
	random_bytes(n2, sizeof(n2));
	struct buf body = BUF_INIT, data = BUF_INIT, wrapped = BUF_INIT, pkg = BUF_INIT,
	           z = BUF_INIT;
	if (c->compress)
		zlib_compress(&body, c->plain, c->plain_len, 6, NULL);
	else
		buf_add(&body, c->plain, c->plain_len);
	gcm(sym, c->sym_len == 16 ? 16 : 32, nonce, c->nonce_len, body.data, body.len, &data);
	cipher_shared_key(&ids[0], ids[1].pub, NULL, shared, NULL);
	buf_add(&wrapped, n2, 12);
	gcm(shared, 32, n2, 12, sym, c->sym_len, &wrapped);
	buf_addf(&pkg, "{\"M\": %s, \"c\": %s, \"n\": \"", c->M, c->c);
	buf_addhex(&pkg, nonce, c->nonce_len);
	buf_adds(&pkg, "\", \"d\": \"");
	buf_addhex(&pkg, data.data, data.len);
	buf_addf(&pkg, "\"%s, \"k\": [", c->pad ? c->pad : "");
	if (c->k_before)
		buf_addf(&pkg, "%s, ", c->k_before);
	buf_addf(&pkg, "{\"a\": \"%s\", \"k\": ", ids[1].addr);
	if (c->our_k) {
		buf_adds(&pkg, c->our_k);
	} else {
		buf_addc(&pkg, '"');
		buf_addhex(&pkg, wrapped.data, wrapped.len);
		buf_addc(&pkg, '"');
	}
	buf_addc(&pkg, '}');
	if (c->k_after)
		buf_addf(&pkg, ", %s", c->k_after);
	buf_adds(&pkg, "]}");
	zlib_compress(&z, pkg.data, pkg.len, 9, NULL);
	b64_of(z.data, z.len, b64);
	buf_release(&body);
	buf_release(&data);
	buf_release(&wrapped);
	buf_release(&pkg);
	buf_release(&z);
}

static void test_crafted(void)
{
	const char *hello = "crafted hello";
	size_t hl = strlen(hello);
	struct buf b64 = BUF_INIT;
	char *plain = NULL, *why = NULL;

	/* Single form. */
	craft_single(0x00, hello, hl, &b64);
	is_int(dec(&ids[1], ids[0].addr, buf_cstr(&b64), MB, NULL, &plain, &why), R1_OK,
	       "single, flag 0: taken uncompressed, as the SDK does");
	is_str(plain, hello, "flag 0 plaintext");
	r1_free(plain);
	is_int(dec(&ids[1], ids[0].addr, buf_cstr(&b64), hl - 1, NULL, NULL, &why), R1_ERR_TOOBIG,
	       "flag 0 over the cap");
	craft_single(0x01, "not zlib at all", 15, &b64);
	is_int(dec(&ids[1], ids[0].addr, buf_cstr(&b64), MB, NULL, NULL, &why), R1_ERR_INVAL,
	       "single, flag 1, body not zlib");
	ok(why && strstr(why, "zlib"), "reason: %s", why ? why : "(none)");
	craft_single(0x00, "\xff\xfe bytes", 8, &b64);
	is_int(dec(&ids[1], ids[0].addr, buf_cstr(&b64), MB, NULL, NULL, &why), R1_ERR_INVAL,
	       "single, plaintext not UTF-8");
	ok(why && strstr(why, "UTF-8"), "reason: %s", why ? why : "(none)");
	{
		/* A zlib bomb inside: 64 MB of zeros in ~64 KB. */
		size_t big = 64 * MB;
		char *zeros = r1_calloc(1, big);
		struct buf z = BUF_INIT;
		zlib_compress(&z, zeros, big, 9, NULL);
		r1_free(zeros);
		craft_single(0x01, z.data, z.len, &b64);
		is_int(dec(&ids[1], ids[0].addr, buf_cstr(&b64), MB, NULL, NULL, &why),
		       R1_ERR_TOOBIG, "single: a zlib bomb (%zu -> 64 MB) stops at the cap", z.len);
		/* "c" 01 over data compressed beforehand: decryption inflates the bomb. */
		struct craft c = {"true", "\"01\"", 12,   32,   false, z.data,
		                  z.len,  NULL,     NULL, NULL, NULL};
		craft_multi(&c, &b64);
		is_int(dec(&ids[1], ids[0].addr, buf_cstr(&b64), MB, NULL, NULL, &why),
		       R1_ERR_TOOBIG, "multi: a zlib bomb in the data stops at the cap");
		buf_release(&z);
	}

	/* Multi form: the SDK's acceptance, case by case. */
	static const struct {
		struct craft c;
		enum r1_err want;
		const char *reason;
		const char *name;
	} cases[] = {
	    {{"true", "\"01\"", 12, 32, true, NULL, 0, NULL, NULL, NULL, NULL},
	     R1_OK,
	     NULL,
	     "plain package"},
	    {{"1", "\"01\"", 12, 32, true, NULL, 0, NULL, NULL, NULL, NULL},
	     R1_OK,
	     NULL,
	     "\"M\": 1 counts as True"},
	    {{"1.0", "\"01\"", 12, 32, true, NULL, 0, NULL, NULL, NULL, NULL},
	     R1_OK,
	     NULL,
	     "\"M\": 1.0 counts as True"},
	    {{"true", "\"00\"", 12, 32, false, NULL, 0, NULL, NULL, NULL, NULL},
	     R1_OK,
	     NULL,
	     "\"c\": \"00\" means not compressed"},
	    {{"true", "\"0x1\"", 12, 32, true, NULL, 0, NULL, NULL, NULL, NULL},
	     R1_OK,
	     NULL,
	     "\"c\": \"0x1\" is int(.., 16) == 1"},
	    {{"true", "\" 1 \"", 12, 32, true, NULL, 0, NULL, NULL, NULL, NULL},
	     R1_OK,
	     NULL,
	     "\"c\": \" 1 \" is 1 too"},
	    {{"true", "\"0_1\"", 12, 32, true, NULL, 0, NULL, NULL, NULL, NULL},
	     R1_OK,
	     NULL,
	     "\"c\": \"0_1\" is 1 too"},
	    {{"true", "\"02\"", 12, 32, false, NULL, 0, NULL, NULL, NULL, NULL},
	     R1_OK,
	     NULL,
	     "\"c\": \"02\" is not 1: raw"},
	    {{"true", "1", 12, 32, true, NULL, 0, NULL, NULL, NULL, NULL},
	     R1_ERR_INVAL,
	     "\"c\"",
	     "\"c\" not a string"},
	    {{"true", "\"zz\"", 12, 32, true, NULL, 0, NULL, NULL, NULL, NULL},
	     R1_ERR_INVAL,
	     "\"c\"",
	     "\"c\" not hex"},
	    {{"true", "\"01\"", 8, 32, true, NULL, 0, NULL, NULL, NULL, NULL},
	     R1_OK,
	     NULL,
	     "8-byte nonce accepted (cryptography allows 8..128)"},
	    {{"true", "\"01\"", 128, 32, true, NULL, 0, NULL, NULL, NULL, NULL},
	     R1_OK,
	     NULL,
	     "128-byte nonce accepted"},
	    {{"true", "\"01\"", 7, 32, true, NULL, 0, NULL, NULL, NULL, NULL},
	     R1_ERR_INVAL,
	     "nonce",
	     "7-byte nonce refused"},
	    {{"true", "\"01\"", 12, 16, true, NULL, 0, NULL, NULL, NULL, NULL},
	     R1_OK,
	     NULL,
	     "16-byte random key (AES-128) accepted"},
	    {{"true", "\"01\"", 12, 20, true, NULL, 0, NULL, NULL, NULL, NULL},
	     R1_ERR_INVAL,
	     "20-byte AES key",
	     "20-byte random key refused"},
	    {{"true", "\"01\"", 12, 32, true, NULL, 0, "5", NULL, NULL, NULL},
	     R1_ERR_INVAL,
	     "entry 0",
	     "a number before our entry"},
	    {{"true", "\"01\"", 12, 32, true, NULL, 0, "{\"x\": 1}", NULL, NULL, NULL},
	     R1_ERR_INVAL,
	     "entry 0",
	     "an entry without \"a\" before ours"},
	    {{"true", "\"01\"", 12, 32, true, NULL, 0, "[\"a\"]", NULL, NULL, NULL},
	     R1_ERR_INVAL,
	     "entry 0",
	     "a list before our entry"},
	    {{"true", "\"01\"", 12, 32, true, NULL, 0, "{\"a\": 5, \"k\": \"00\"}", NULL, NULL,
	      NULL},
	     R1_OK,
	     NULL,
	     "a non-string \"a\" is skipped"},
	    {{"true", "\"01\"", 12, 32, true, NULL, 0, "{\"a\": \"0xai_other\", \"k\": 7}", NULL,
	      NULL, NULL},
	     R1_OK,
	     NULL,
	     "another recipient's broken \"k\" does not matter"},
	    {{"true", "\"01\"", 12, 32, true, NULL, 0, NULL, "42", NULL, NULL},
	     R1_OK,
	     NULL,
	     "a broken entry after ours is never read"},
	    {{"true", "\"01\"", 12, 32, true, NULL, 0, NULL, NULL, "7", NULL},
	     R1_ERR_INVAL,
	     "our entry's \"k\"",
	     "our \"k\" not a string"},
	    {{"true", "\"01\"", 12, 32, true, NULL, 0, NULL, NULL, "\"00\"", NULL},
	     R1_ERR_INVAL,
	     "nonce",
	     "our \"k\" of one byte"},
	    {{"true", "\"01\"", 12, 32, true, NULL, 0, NULL, NULL, "\"0g\"", NULL},
	     R1_ERR_INVAL,
	     "hex",
	     "our \"k\" not hex"},
	    {{"true", "\"01\"", 12, 32, true, NULL, 0, NULL, NULL,
	      "\"000000000000000000000000000000000000000000000000000000000000"
	      "000000000000000000000000000000000000000000000000000000000000\"",
	      NULL},
	     R1_ERR_CRYPTO,
	     "tag mismatch",
	     "our \"k\" of zeros"},
	    {{"true", "\"01\"", 12, 32, true, NULL, 0, NULL, NULL, NULL, ", \"x\": [1, 2, 3]"},
	     R1_OK,
	     NULL,
	     "unknown keys are ignored"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(cases); i++) {
		struct craft c = cases[i].c;
		c.plain = hello;
		c.plain_len = hl;
		craft_multi(&c, &b64);
		plain = NULL;
		enum r1_err e = dec(&ids[1], ids[0].addr, buf_cstr(&b64), MB, NULL, &plain, &why);
		is_int(e, cases[i].want, "crafted: %s (%s)", cases[i].name, e ? why : "ok");
		if (cases[i].want == R1_OK)
			is_str(plain, hello, "crafted: %s: plaintext", cases[i].name);
		else
			ok(why && strstr(why, cases[i].reason), "crafted: %s: reason mentions %s",
			   cases[i].name, cases[i].reason);
		r1_free(plain);
	}

	/* Packages that are not packages fall back to the single form, as the SDK does. */
	struct craft notpkg = {"false", "\"01\"", 12, 32, true, hello, hl, NULL, NULL, NULL, NULL};
	craft_multi(&notpkg, &b64);
	is_int(dec(&ids[1], ids[0].addr, buf_cstr(&b64), MB, NULL, NULL, &why), R1_ERR_CRYPTO,
	       "\"M\": false is tried as a single-recipient blob, which fails");
	struct buf z = BUF_INIT;
	zlib_compress(&z, "[1, 2, 3]", 9, 6, NULL);
	b64_of(z.data, z.len, &b64);
	is_int(dec(&ids[1], ids[0].addr, buf_cstr(&b64), MB, NULL, NULL, &why), R1_ERR_INVAL,
	       "zlib of a JSON list: not a package, and too short for the single form");
	/* A bomb of a package: 32 MB of spaces inside the object. */
	{
		size_t pad = 32 * MB;
		char *spaces = r1_malloc(pad + 1);
		memset(spaces, ' ', pad);
		spaces[pad] = '\0';
		struct craft c = {"true", "\"01\"", 12,   32,   true,  hello,
		                  hl,     NULL,     NULL, NULL, spaces};
		craft_multi(&c, &b64);
		r1_free(spaces);
		is_int(dec(&ids[1], ids[0].addr, buf_cstr(&b64), MB, NULL, NULL, &why),
		       R1_ERR_TOOBIG, "a package inflating 32 MB from %zu characters is refused",
		       b64.len);
		ok(why && strstr(why, "package inflates beyond"), "reason: %s",
		   why ? why : "(none)");
	}
	buf_release(&z);
	buf_release(&b64);
	r1_free(why);
}

/* ------------------------------------------------------------ cache, faults */

static void test_cache(void)
{
	struct cipher_keycache *cache = cipher_keycache_new();
	ok(cache != NULL, "cache created");
	enum { PEERS = 70 };
	static struct r1_identity peers[PEERS];
	int bad = 0;
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < PEERS; i++) {
			if (round == 0 && identity_generate(&peers[i], NULL))
				tap_bail("identity_generate");
			struct buf ct = BUF_INIT;
			char *plain = NULL;
			if (cipher_encrypt_single(&peers[i], ids[1].addr, "cached", 6, cache, &ct,
			                          NULL) ||
			    dec(&ids[1], peers[i].addr, buf_cstr(&ct), 64, cache, &plain, NULL) ||
			    strcmp(plain, "cached") != 0)
				bad++;
			uint8_t k1[32], k2[32];
			cipher_shared_key(&ids[1], peers[i].pub, cache, k1, NULL);
			cipher_shared_key(&ids[1], peers[i].pub, NULL, k2, NULL);
			if (memcmp(k1, k2, 32) != 0)
				bad++;
			r1_free(plain);
			buf_release(&ct);
		}
	}
	is_int(bad, 0, "70 peers through a 64-slot cache, twice: keys and messages correct");
	/* Same peer, different own key: not confused. */
	uint8_t a[32], b[32];
	cipher_shared_key(&ids[0], ids[2].pub, cache, a, NULL);
	cipher_shared_key(&ids[1], ids[2].pub, cache, b, NULL);
	ok(memcmp(a, b, 32) != 0, "the cache keys on both identities");
	cipher_keycache_free(&cache);
	ok(cache == NULL, "cache freed and NULLed");
}

static void test_alloc_failures(void)
{
	const char *to[] = {ids[1].addr, ids[2].addr};
	struct buf ct_multi = BUF_INIT, ct_single = BUF_INIT;
	cipher_encrypt_multi(&ids[0], to, 2, "fault", 5, NULL, &ct_multi, NULL);
	cipher_encrypt_single(&ids[0], ids[1].addr, "fault", 5, NULL, &ct_single, NULL);
	int nomem = 0, wrong = 0;
	bool done_m = false, done_s = false, done_e = false;
	for (long n = 0; n < 200 && !(done_m && done_s && done_e); n++) {
		struct buf out = BUF_INIT;
		r1_alloc_fail_after(n);
		enum r1_err em = cipher_decrypt(&ids[1], ids[0].addr, ct_multi.data, ct_multi.len,
		                                64, NULL, &out, NULL);
		r1_alloc_fail_after(-1);
		if (em == R1_OK)
			done_m = true, wrong += strcmp(buf_cstr(&out), "fault") != 0;
		else if (em == R1_ERR_NOMEM)
			nomem++;
		else
			wrong++;
		buf_release(&out);
		r1_alloc_fail_after(n);
		enum r1_err es = cipher_decrypt(&ids[1], ids[0].addr, ct_single.data, ct_single.len,
		                                64, NULL, &out, NULL);
		r1_alloc_fail_after(-1);
		if (es == R1_OK)
			done_s = true;
		else if (es == R1_ERR_NOMEM)
			nomem++;
		else
			wrong++;
		buf_release(&out);
		r1_alloc_fail_after(n);
		enum r1_err ee = cipher_encrypt_multi(&ids[0], to, 2, "fault", 5, NULL, &out, NULL);
		r1_alloc_fail_after(-1);
		if (ee == R1_OK)
			done_e = true;
		else if (ee != R1_ERR_NOMEM)
			wrong++;
		buf_release(&out);
	}
	ok(done_m && done_s && done_e, "every call eventually succeeds as allocations are allowed");
	ok(nomem > 0, "allocation failures were hit (%d)", nomem);
	is_int(wrong, 0, "a failed allocation is reported as R1_ERR_NOMEM, never as bad data");
	buf_release(&ct_multi);
	buf_release(&ct_single);
}

int main(void)
{
	r1_alloc_setup_jansson();
	load_keys();
	test_degenerate();
	test_vectors();
	test_round_trips();
	test_multi_layout();
	test_tampering();
	test_crafted();
	test_cache();
	test_alloc_failures();
	return tap_done();
}
