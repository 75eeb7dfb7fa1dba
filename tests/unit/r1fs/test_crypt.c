/*
 * The reference's R1FS file encryption: Python's Mersenne Twister nonces,
 * the metadata bytes json.dumps makes of a file name, and every case of
 * ../shared/vectors/r1fs.jsonl decrypted (in pieces of every size) and
 * re-encrypted byte for byte; then hostile files (bad lengths, bad
 * metadata, names that would be paths) that must be refused with a reason.
 */
#include "node/lib.h"
#include "node/r1fs/pytree.h"
#include "node/r1fs/pyrandom.h"
#include "node/r1fs/seal.h"
#include "node/r1fs/unseal.h"
#include "tests/tap.h"

#include "core/hash.h"

#include <jansson.h>
#include <openssl/evp.h>

static char *hex(const uint8_t *p, size_t n)
{
	struct buf b = BUF_INIT;
	buf_addhex(&b, p, n);
	return buf_detach(&b, NULL);
}

static void test_pyrandom(void)
{
	/* Values from CPython 3.11: random.Random(n).randbytes(k).hex(). */
	static const struct {
		uint32_t words[4];
		size_t nwords;
		size_t k;
		const char *want;
	} cases[] = {
	    {{0}, 0, 12, "cd072cd8be6f9f62ac4c09c2"}, /* 0 */
	    {{42}, 1, 12, "9d79b1a37f31801cd11a6706"},
	    {{42}, 1, 5, "9d79b1a31c"}, /* partial last word */
	    {{42}, 1, 1, "a3"},
	    {{0, 1}, 2, 12, "d731ed1cbc8bef5906d5f66a"},    /* 2**32 */
	    {{5, 0, 1}, 3, 12, "b343b5826088e5b7fbdc37e1"}, /* 2**64 + 5 */
	    {{0x4e3f0ad2, 0xc373e0ee, 0x8ee90ff6, 1},
	     4,
	     12,
	     "97fe3dba543273389e55d628"}, /* 123456789012345678901234567890 */
	    {{7}, 1, 33, "38b4e652e44da7f2370d9e260e27136550a4a3a6d07f5c0c332f8b1224083fd289"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(cases); i++) {
		struct pyrandom r;
		pyrandom_seed_words(&r, cases[i].words, cases[i].nwords);
		uint8_t out[64];
		pyrandom_randbytes(&r, out, cases[i].k);
		char *got = hex(out, cases[i].k);
		is_str(got, cases[i].want, "Python Random randbytes case %zu", i);
		r1_free(got);
	}
	uint8_t n[12];
	r1fs_nonce_from_int(4294967296ull, n);
	char *got = hex(n, 12);
	is_str(got, "d731ed1cbc8bef5906d5f66a", "r1fs_nonce_from_int(2**32)");
	r1_free(got);
	r1fs_nonce_from_int(0, n);
	got = hex(n, 12);
	is_str(got, "cd072cd8be6f9f62ac4c09c2", "r1fs_nonce_from_int(0)");
	r1_free(got);
}

static void test_meta(void)
{
	static const struct {
		const char *name;
		const char *want;
	} cases[] = {
	    {"hello.txt", "{\"filename\": \"hello.txt\"}"},
	    {"\xc8\x99.txt", "{\"filename\": \"\\u0219.txt\"}"},
	    {"\xf0\x9f\x98\x80", "{\"filename\": \"\\ud83d\\ude00\"}"},
	    {"a\"b\\c", "{\"filename\": \"a\\\"b\\\\c\"}"},
	    {"line\nbreak\t\x01\x7f", "{\"filename\": \"line\\nbreak\\t\\u0001\\u007f\"}"},
	    {"bad\xffname", "{\"filename\": \"bad\\udcffname\"}"}, /* os.fsdecode */
	    {"a..b", "{\"filename\": \"a..b\"}"},
	    {"..a", "{\"filename\": \"..a\"}"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(cases); i++) {
		char *meta = NULL, *why = NULL;
		size_t len = 0;
		is_int(r1fs_meta_encode(cases[i].name, &meta, &len, &why), R1_OK,
		       "meta of name %zu", i);
		is_str(meta, cases[i].want, "metadata bytes as json.dumps, name %zu", i);
		r1_free(meta);
		r1_free(why);
	}
	static const char *const refused[] = {"", ".", "..", "a/b", "/abs"};
	for (size_t i = 0; i < R1_ARRAY_LEN(refused); i++) {
		char *meta = NULL, *why = NULL;
		size_t len = 0;
		enum r1_err e = r1fs_meta_encode(refused[i], &meta, &len, &why);
		is_int(e, R1_ERR_INVAL, "name '%s' refused (%s)", refused[i], why ? why : "");
		r1_free(why);
	}
	uint8_t key[32];
	r1fs_key_from_secret(NULL, key);
	uint8_t def[32];
	sha256("ratio1", 6, def);
	is_mem(key, 32, def, 32, "NULL secret means 'ratio1'");
	r1fs_key_from_secret("", key);
	is_mem(key, 32, def, 32, "empty secret means 'ratio1'");
}

/* Decrypt `file` in pieces of `step` bytes (0 = all at once). */
static enum r1_err unseal_all(const uint8_t key[32], const uint8_t *file, size_t len, size_t step,
                              struct buf *content, char **name, char **why)
{
	struct r1fs_unseal *u = NULL;
	enum r1_err e = r1fs_unseal_new(key, &u, why);
	uint8_t *out = malloc(len + 64);
	buf_reset(content);
	for (size_t at = 0; !e && at < len;) {
		size_t n = step ? R1_MIN(step, len - at) : len;
		size_t got = 0;
		e = r1fs_unseal_update(u, file + at, n, out, &got, why);
		buf_add(content, out, got);
		at += n;
	}
	if (!e)
		e = r1fs_unseal_final(u, why);
	if (!e && name)
		*name = r1_strdup(r1fs_unseal_name(u));
	r1fs_unseal_free(&u);
	free(out);
	return e;
}

static uint8_t *seal_all(const uint8_t key[32], const uint8_t nonce[12], const char *name,
                         const uint8_t *data, size_t len, size_t *out_len)
{
	struct r1fs_seal *s = NULL;
	char *why = NULL;
	if (r1fs_seal_new(key, nonce, name, &s, &why) != R1_OK)
		tap_bail("seal_new: %s", why);
	size_t hl;
	const uint8_t *h = r1fs_seal_header(s, &hl);
	uint8_t *out = malloc(hl + len + 16);
	memcpy(out, h, hl);
	/* Two updates, to show the stream does not care where it is cut. */
	size_t half = len / 3;
	r1fs_seal_update(s, data, half, out + hl, &why);
	r1fs_seal_update(s, data + half, len - half, out + hl + half, &why);
	r1fs_seal_final(s, out + hl + len, &why);
	r1fs_seal_free(&s);
	*out_len = hl + len + 16;
	return out;
}

static void test_vectors(void)
{
	char *path = tap_vector_path("r1fs.jsonl");
	size_t count = 0;
	char **lines = tap_read_lines(path, &count);
	is_int(count, 8, "r1fs.jsonl has 8 cases");
	size_t decrypt_ok = 0, must_fail = 0;
	for (size_t i = 0; i < count; i++) {
		json_t *row = json_loads(lines[i], 0, NULL);
		const char *id = json_string_value(json_object_get(row, "id"));
		json_t *args = json_object_get(row, "arguments");
		json_t *layout = json_object_get(row, "layout");
		const char *secret = json_string_value(json_object_get(args, "secret"));
		const char *dsecret = json_string_value(json_object_get(row, "decrypt_secret"));
		size_t flen = 0, nlen = 0;
		uint8_t *file =
		    tap_unhex(json_string_value(json_object_get(row, "encrypted_file_hex")), &flen);
		uint8_t *nonce =
		    tap_unhex(json_string_value(json_object_get(layout, "nonce_hex")), &nlen);
		uint8_t key[32], dkey[32];
		r1fs_key_from_secret(secret, key);
		r1fs_key_from_secret(dsecret, dkey);
		char *key_hex = hex(key, 32);
		is_str(key_hex, json_string_value(json_object_get(row, "key_hex")), "%s: key", id);
		r1_free(key_hex);
		json_t *jn = json_object_get(args, "nonce");
		if (json_is_integer(jn)) {
			uint8_t mine[12];
			r1fs_nonce_from_int((uint64_t)json_integer_value(jn), mine);
			is_mem(mine, 12, nonce, nlen, "%s: nonce of Random(%lld)", id,
			       (long long)json_integer_value(jn));
		}
		bool want_ok = json_is_true(json_object_get(row, "decrypt_ok"));
		struct buf content = BUF_INIT;
		static const size_t steps[] = {0, 1, 5, 16, 17, 29};
		for (size_t s = 0; s < R1_ARRAY_LEN(steps); s++) {
			char *name = NULL, *why = NULL;
			enum r1_err e =
			    unseal_all(dkey, file, flen, steps[s], &content, &name, &why);
			if (want_ok) {
				size_t clen = 0;
				uint8_t *want = tap_unhex(
				    json_string_value(json_object_get(row, "restored_content_hex")),
				    &clen);
				is_int(e, R1_OK, "%s: decrypts (pieces of %zu)", id, steps[s]);
				is_mem(content.data, content.len, want, clen,
				       "%s: content (pieces of %zu)", id, steps[s]);
				is_str(name,
				       json_string_value(json_object_get(row, "restored_filename")),
				       "%s: restored name (pieces of %zu)", id, steps[s]);
				free(want);
			} else {
				is_int(e, R1_ERR_CRYPTO, "%s: refused (pieces of %zu): %s", id,
				       steps[s], why ? why : "");
				ok(why && strstr(why, "wrong secret or corrupted"),
				   "%s: the reason says why", id);
				ok(name == NULL, "%s: no name for a refused file", id);
			}
			r1_free(name);
			r1_free(why);
		}
		want_ok ? decrypt_ok++ : must_fail++;

		/* Encrypt the same plaintext, name and nonce: the same bytes. */
		const char *fname;
		size_t plen = 0;
		uint8_t *plain;
		const char *sdk = json_string_value(json_object_get(row, "sdk_function"));
		if (strcmp(sdk, "add_json") == 0) {
			fname = json_string_value(json_object_get(row, "restored_filename"));
			plain = tap_unhex(
			    json_string_value(json_object_get(row, "restored_content_hex")), &plen);
			/* and the JSON text is what json.dumps(sort_keys, compact) makes */
			char *jtext = json_dumps(json_object_get(args, "data"), JSON_ENCODE_ANY);
			struct pytree *v = NULL;
			struct buf dumped = BUF_INIT;
			is_int(pytree_parse(jtext, strlen(jtext), &v, NULL), R1_OK,
			       "%s: data parses", id);
			pytree_dump(v, &dumped);
			is_mem(dumped.data, dumped.len, plain, plen,
			       "%s: data serialized as the reference does", id);
			pytree_free(&v);
			buf_release(&dumped);
			free(jtext);
		} else {
			fname = json_string_value(json_object_get(args, "filename"));
			plain = tap_unhex(json_string_value(json_object_get(row, "plaintext_hex")),
			                  &plen);
		}
		size_t mlen = 0;
		uint8_t *mine = seal_all(key, nonce, fname, plain, plen, &mlen);
		const char *tampered = json_string_value(json_object_get(row, "tampered"));
		if (tampered && strcmp(tampered, "tag") == 0) {
			is_mem(mine, mlen - 16, file, flen - 16,
			       "%s: our encryption equals the file up to the tampered tag", id);
			ok(memcmp(mine + mlen - 16, file + flen - 16, 16) != 0,
			   "%s: and our tag is the untampered one", id);
		} else {
			is_mem(mine, mlen, file, flen, "%s: our encryption is byte-identical", id);
		}
		free(mine);
		free(plain);
		buf_release(&content);
		free(file);
		free(nonce);
		json_decref(row);
	}
	is_int(decrypt_ok, 6, "six decrypt cases");
	is_int(must_fail, 2, "two must-fail cases");
	tap_free_lines(lines);
	free(path);
}

/* A file in the format with any metadata bytes (for hostile metadata). */
static uint8_t *craft(const uint8_t key[32], const char *meta, const char *content, size_t *len)
{
	uint8_t nonce[12] = {1, 2, 3};
	size_t ml = strlen(meta), cl = strlen(content);
	uint8_t *out = malloc(16 + ml + cl + 16);
	memcpy(out, nonce, 12);
	out[12] = (uint8_t)(ml >> 24);
	out[13] = (uint8_t)(ml >> 16);
	out[14] = (uint8_t)(ml >> 8);
	out[15] = (uint8_t)ml;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;
	EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce);
	EVP_EncryptUpdate(c, out + 16, &n, (const uint8_t *)meta, (int)ml);
	EVP_EncryptUpdate(c, out + 16 + ml, &n, (const uint8_t *)content, (int)cl);
	EVP_EncryptFinal_ex(c, out + 16 + ml + cl, &n);
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + 16 + ml + cl);
	EVP_CIPHER_CTX_free(c);
	*len = 16 + ml + cl + 16;
	return out;
}

static void test_hostile(void)
{
	uint8_t key[32];
	r1fs_key_from_secret("k", key);
	static const struct {
		const char *meta;
		enum r1_err want;
		const char *name; /* expected restored name when accepted */
	} cases[] = {
	    {"{\"filename\": \"ok.txt\"}", R1_OK, "ok.txt"},
	    {"{}", R1_OK, "restored_file.bin"},               /* the reference's default */
	    {"{\"filename\": \"\\udcffx\"}", R1_OK, "\xffx"}, /* surrogateescape back to a byte */
	    {"{\"filename\": \"../evil\"}", R1_ERR_INVAL, NULL},
	    {"{\"filename\": \"a/b\"}", R1_ERR_INVAL, NULL},
	    {"{\"filename\": \"..\"}", R1_ERR_INVAL, NULL},
	    {"{\"filename\": \"\"}", R1_ERR_INVAL, NULL},
	    {"{\"filename\": \"x\\u0000y\"}", R1_ERR_INVAL, NULL},
	    {"{\"filename\": \"\\ud800\"}", R1_ERR_INVAL, NULL},
	    {"{\"filename\": 5}", R1_ERR_PROTO, NULL},
	    {"[\"filename\"]", R1_ERR_PROTO, NULL},
	    {"not json", R1_ERR_PROTO, NULL},
	    {"", R1_ERR_PROTO, NULL},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(cases); i++) {
		size_t len;
		uint8_t *file = craft(key, cases[i].meta, "body", &len);
		struct buf content = BUF_INIT;
		char *name = NULL, *why = NULL;
		enum r1_err e = unseal_all(key, file, len, 3, &content, &name, &why);
		is_int(e, cases[i].want, "metadata %s -> %s (%s)", cases[i].meta, r1_strerror(e),
		       why ? why : "ok");
		if (cases[i].name)
			is_str(name, cases[i].name, "restored name for %s", cases[i].meta);
		else
			ok(name == NULL && why != NULL, "no name, and a reason, for %s",
			   cases[i].meta);
		r1_free(name);
		r1_free(why);
		buf_release(&content);
		free(file);
	}

	/* Truncations and absurd lengths. */
	size_t len;
	uint8_t *file = craft(key, "{\"filename\": \"t\"}", "content", &len);
	for (size_t cut = 0; cut < len; cut += 5) {
		struct buf content = BUF_INIT;
		char *why = NULL;
		enum r1_err e = unseal_all(key, file, cut, 0, &content, NULL, &why);
		ok(e == R1_ERR_PROTO || e == R1_ERR_CRYPTO, "file cut at %zu of %zu refused (%s)",
		   cut, len, why ? why : "");
		r1_free(why);
		buf_release(&content);
	}
	file[12] = 0x7f; /* meta_len about 2 GB */
	struct buf content = BUF_INIT;
	char *why = NULL;
	is_int(unseal_all(key, file, len, 0, &content, NULL, &why), R1_ERR_PROTO,
	       "metadata length above the limit refused");
	ok(why && strstr(why, "metadata"), "reason: %s", why);
	r1_free(why);
	free(file);

	/* One flipped bit anywhere after the header fails authentication. */
	file = craft(key, "{\"filename\": \"t\"}", "some content here", &len);
	bool all = true;
	for (size_t i = 16; i < len; i++) {
		file[i] ^= 0x04;
		enum r1_err e = unseal_all(key, file, len, 7, &content, NULL, NULL);
		if (e == R1_OK)
			all = false;
		file[i] ^= 0x04;
	}
	ok(all, "a flipped bit in metadata, content or tag is always refused");
	file[3] ^= 1; /* the nonce */
	is_int(unseal_all(key, file, len, 0, &content, NULL, NULL), R1_ERR_CRYPTO,
	       "a changed nonce is refused");
	free(file);
	buf_release(&content);
}

static void test_roundtrip(void)
{
	uint8_t key[32], nonce[12];
	r1fs_key_from_secret("round trip", key);
	bool all = true;
	static const size_t sizes[] = {0, 1, 15, 16, 17, 4096, 262144 + 7, 1000003};
	for (size_t i = 0; i < R1_ARRAY_LEN(sizes); i++) {
		uint8_t *data = malloc(sizes[i] + 1);
		random_bytes(data, sizes[i]);
		random_bytes(nonce, 12);
		size_t flen;
		uint8_t *file = seal_all(key, nonce, "rt.bin", data, sizes[i], &flen);
		struct buf content = BUF_INIT;
		char *name = NULL;
		enum r1_err e = unseal_all(key, file, flen, 1 + i * 997, &content, &name, NULL);
		if (e || content.len != sizes[i] ||
		    memcmp(content.data ? content.data : "", data, sizes[i]) != 0 || !name ||
		    strcmp(name, "rt.bin") != 0)
			all = false;
		is_int(flen, R1FS_SEAL_OVERHEAD(22) + sizes[i], "sealed size of %zu bytes",
		       sizes[i]);
		r1_free(name);
		buf_release(&content);
		free(file);
		free(data);
	}
	ok(all, "seal then unseal restores content and name at every size");
}

int main(void)
{
	test_pyrandom();
	test_meta();
	test_vectors();
	test_hostile();
	test_roundtrip();
	return tap_done();
}
