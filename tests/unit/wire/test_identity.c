/*
 * Identities against keys.json (PEM → scalar, public keys, 0xai_ and ETH
 * addresses, and our PEM byte for byte), address parsing, signatures (the
 * SDK's high-S signatures from canon_sign.jsonl verify), ECDH against
 * encrypt.jsonl, key files on disk.
 */
#include "core/lib.h"
#include "core/codec.h"
#include "core/hash.h"
#include "core/identity.h"
#include "tests/tap.h"

#include <jansson.h>
#include <sys/stat.h>

static json_t *keys;

static json_t *key_named(const char *name)
{
	size_t i;
	json_t *k;
	json_array_foreach(json_object_get(keys, "keys"), i, k)
		if (strcmp(json_string_value(json_object_get(k, "name")), name) == 0)
			return k;
	tap_bail("key %s not in keys.json", name);
}

static const char *kstr(json_t *k, const char *field)
{
	return json_string_value(json_object_get(k, field));
}

static void hex_of(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void test_keys_json(void)
{
	size_t i;
	json_t *k;
	json_array_foreach(json_object_get(keys, "keys"), i, k)
	{
		const char *name = kstr(k, "name");
		const char *pem = kstr(k, "private_key_pem_pkcs8");
		struct r1_identity id;
		char *why = NULL;
		is_int(identity_from_pem(&id, pem, strlen(pem), &why), R1_OK, "%s: PEM loads", name);
		char hex[140];
		hex_of(id.secret, 32, hex);
		is_str(hex, kstr(k, "private_key_hex"), "%s: same scalar", name);
		hex_of(id.pub, 33, hex);
		is_str(hex, kstr(k, "public_key_compressed_hex"), "%s: compressed key", name);
		hex_of(id.pub_full, 65, hex);
		is_str(hex, kstr(k, "public_key_uncompressed_hex"), "%s: uncompressed key", name);
		is_str(id.addr, kstr(k, "address"), "%s: 0xai_ address", name);
		is_str(addr_strip_prefix(id.addr), kstr(k, "address_no_prefix"), "%s: address without prefix", name);
		is_str(id.eth, kstr(k, "eth_address"), "%s: EIP-55 ETH address", name);

		struct buf out = BUF_INIT;
		identity_to_pem(&id, &out);
		is_str(buf_cstr(&out), pem, "%s: our PEM is the SDK's, byte for byte", name);
		buf_release(&out);

		uint8_t pub[33];
		const char *addr = kstr(k, "address");
		is_int(addr_parse(addr, strlen(addr), pub, &why), R1_OK, "%s: parse with prefix", name);
		is_mem(pub, 33, id.pub, 33, "%s: parsed key", name);
		const char *bare = kstr(k, "address_no_prefix");
		is_int(addr_parse(bare, strlen(bare), pub, &why), R1_OK, "%s: parse without prefix", name);
		char legacy[64];
		snprintf(legacy, sizeof(legacy), "aixp_%s", bare);
		is_int(addr_parse(legacy, strlen(legacy), pub, &why), R1_OK, "%s: parse aixp_ prefix", name);
		char eth[43];
		is_int(eth_address_from_pub(pub, eth, &why), R1_OK, "%s: eth from key", name);
		is_str(eth, kstr(k, "eth_address"), "%s: eth from parsed address", name);
		r1_free(why);
	}
}

static void test_addr_errors(void)
{
	uint8_t pub[33];
	char *why = NULL;
	is_int(addr_parse("", 0, pub, &why), R1_ERR_INVAL, "empty address refused");
	is_int(addr_parse("0xai_", 5, pub, &why), R1_ERR_INVAL, "bare prefix refused");
	ok(why && strstr(why, "44 characters"), "reason: %s", why);
	const char *bad_chars = "0xai_AmksBiCPRN2OWfzT0kL22yii+tOqLCcJKLICQnVsSqF8";
	is_int(addr_parse(bad_chars, strlen(bad_chars), pub, &why), R1_ERR_INVAL, "'+' refused");
	/* 0x04 prefix byte: base64url of 04 || 32 bytes */
	const char *uncompressed_tag = "0xai_BGksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8";
	is_int(addr_parse(uncompressed_tag, strlen(uncompressed_tag), pub, &why), R1_ERR_INVAL,
	       "wrong key type byte refused");
	/* x = 0 is not on the curve (0^3 + 7 = 7 is not a square mod p) */
	const char *off_curve = "0xai_AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	is_int(addr_parse(off_curve, strlen(off_curve), pub, &why), R1_ERR_INVAL, "point off the curve refused");
	ok(why && strstr(why, "point on secp256k1"), "reason: %s", why);
	ok(addr_same("0xai_AmksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8",
		     "AmksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8"),
	   "addr_same ignores the prefix");
	ok(!addr_same("0xai_AmksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8",
		      "0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN"),
	   "addr_same tells keys apart");
	r1_free(why);
}

static void test_pem_errors(void)
{
	struct r1_identity id;
	char *why = NULL;
	is_int(identity_from_pem(&id, "hello", 5, &why), R1_ERR_INVAL, "no PEM block");
	const char *enc = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
	is_int(identity_from_pem(&id, enc, strlen(enc), &why), R1_ERR_INVAL, "encrypted PEM refused");
	ok(why && strstr(why, "password"), "reason: %s", why);
	/* k0's PEM with the secp256k1 OID's last byte changed (0x0a → 0x07: secp256r1's arc) */
	const char *pem = kstr(key_named("k0"), "private_key_pem_pkcs8");
	const char *b = strstr(pem, "\n") + 1;
	const char *e = strstr(pem, "-----END");
	char body[400];
	size_t n = 0;
	for (const char *p = b; p < e; p++)
		if (*p != '\n')
			body[n++] = *p;
	uint8_t der[300];
	size_t dl;
	is_int(base64_decode_into(body, n, B64_STD, der, sizeof(der), &dl, &why), R1_OK, "vector DER decodes");
	der[23] = 0x07;
	struct buf t = BUF_INIT;
	buf_adds(&t, "-----BEGIN PRIVATE KEY-----\n");
	base64_encode(&t, der, dl, B64_STD);
	buf_adds(&t, "\n-----END PRIVATE KEY-----\n");
	is_int(identity_from_pem(&id, t.data, t.len, &why), R1_ERR_INVAL, "other curve refused");
	ok(why && strstr(why, "secp256k1"), "reason: %s", why);
	buf_reset(&t);
	buf_adds(&t, "-----BEGIN PRIVATE KEY-----\n");
	base64_encode(&t, der, 20, B64_STD);
	buf_adds(&t, "\n-----END PRIVATE KEY-----\n");
	is_int(identity_from_pem(&id, t.data, t.len, &why), R1_ERR_INVAL, "truncated DER refused");
	buf_release(&t);
	uint8_t zero[32] = {0};
	is_int(identity_from_secret(&id, zero, &why), R1_ERR_CRYPTO, "zero secret refused");
	r1_free(why);
}

static void test_signatures(void)
{
	struct r1_identity id;
	char *why = NULL;
	ok(identity_generate(&id, &why) == R1_OK, "generate");
	uint8_t digest[32], der[72];
	size_t dl;
	sha256("message", 7, digest);
	is_int(identity_sign_digest(&id, digest, der, &dl, &why), R1_OK, "sign");
	ok(!sig_is_high_s(der, dl), "our signatures are low-S");
	struct r1_pubkey pk;
	is_int(pubkey_parse(&pk, id.pub, &why), R1_OK, "parse our key");
	is_int(sig_verify_digest(&pk, digest, der, dl, &why), R1_OK, "our signature verifies");
	digest[0] ^= 1;
	is_int(sig_verify_digest(&pk, digest, der, dl, &why), R1_ERR_CRYPTO, "other digest refused");
	is_int(sig_verify_digest(&pk, digest, der, dl - 1, &why), R1_ERR_INVAL, "truncated DER refused");

	/* The SDK's signatures: ECDSA-SHA256 over the 32 raw EE_HASH bytes. */
	char *path = tap_vector_path("canon_sign.jsonl");
	size_t n;
	char **lines = tap_read_lines(path, &n);
	int verified = 0, high = 0, rows = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *row = json_loads(lines[i], 0, NULL);
		json_t *exp = json_object_get(row, "expected");
		const char *hash = json_string_value(json_object_get(row, "ee_hash"));
		json_t *si = json_object_get(row, "signature_info");
		const char *sender = json_string_value(json_object_get(row, "signer_address"));
		if (json_is_true(json_object_get(exp, "valid")) && hash && json_is_object(si) && sender) {
			rows++;
			size_t hl, sl;
			uint8_t *hb = tap_unhex(hash, &hl);
			uint8_t *sig = tap_unhex(json_string_value(json_object_get(si, "der_hex")), &sl);
			uint8_t d[32], pub[33];
			sha256(hb, hl, d);
			if (addr_parse(sender, strlen(sender), pub, NULL) == R1_OK &&
			    pubkey_parse(&pk, pub, NULL) == R1_OK &&
			    sig_verify_digest(&pk, d, sig, sl, NULL) == R1_OK)
				verified++;
			if (json_is_true(json_object_get(si, "s_is_high"))) {
				high++;
				if (!sig_is_high_s(sig, sl))
					tap_diag("%s: high S not detected", json_string_value(json_object_get(row, "id")));
			}
			free(hb);
			free(sig);
		}
		json_decref(row);
	}
	ok(rows > 60, "valid rows with EE_HASH found (%d)", rows);
	is_int(verified, rows, "every valid SDK signature verifies (%d with high S)", high);
	ok(high > 10, "the set includes high-S signatures (%d)", high);
	tap_free_lines(lines);
	free(path);
	r1_free(why);
}

static void test_ecdh(void)
{
	char *path = tap_vector_path("encrypt.jsonl");
	size_t n;
	char **lines = tap_read_lines(path, &n);
	int pairs = 0, same = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *row = json_loads(lines[i], 0, NULL);
		size_t j;
		json_t *kd;
		json_array_foreach(json_object_get(row, "kdf"), j, kd)
		{
			struct r1_identity own;
			const char *pem = kstr(key_named(kstr(kd, "own")), "private_key_pem_pkcs8");
			identity_from_pem(&own, pem, strlen(pem), NULL);
			const char *peer_addr = kstr(key_named(kstr(kd, "peer")), "address");
			uint8_t peer[33], x[32];
			addr_parse(peer_addr, strlen(peer_addr), peer, NULL);
			char hex[65];
			if (ecdh_shared_x(&own, peer, x, NULL) == R1_OK) {
				hex_of(x, 32, hex);
				same += strcmp(hex, kstr(kd, "ecdh_shared_x_hex")) == 0;
			}
			pairs++;
		}
		json_decref(row);
	}
	ok(pairs >= 18, "ECDH pairs in encrypt.jsonl (%d)", pairs);
	is_int(same, pairs, "ECDH shared X equals the SDK's for every pair");
	tap_free_lines(lines);
	free(path);
}

static void test_files(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/e2.pem", tap_tmpdir());
	struct r1_identity id, back;
	char *why = NULL;
	identity_generate(&id, NULL);
	is_int(identity_save(&id, path, false, &why), R1_OK, "save");
	struct stat st;
	stat(path, &st);
	is_int(st.st_mode & 0777, 0600, "key file is private");
	is_int(identity_save(&id, path, false, &why), R1_ERR_EXISTS, "no silent overwrite");
	is_int(identity_load(&back, path, &why), R1_OK, "load");
	is_str(back.addr, id.addr, "loaded key has the same address");
	is_int(identity_load(&back, "/nonexistent/e2.pem", &why), R1_ERR_IO, "missing file");
	ok(why && strstr(why, "/nonexistent/e2.pem"), "reason names the file: %s", why);
	r1_free(why);
}

int main(void)
{
	char *path = tap_vector_path("keys.json");
	keys = json_load_file(path, 0, NULL);
	free(path);
	if (!keys)
		tap_bail("keys.json does not parse");
	test_keys_json();
	test_addr_errors();
	test_pem_errors();
	test_signatures();
	test_ecdh();
	test_files();
	json_decref(keys);
	return tap_done();
}
