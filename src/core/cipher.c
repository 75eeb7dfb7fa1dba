/*
 * ECDH + HKDF + AES-GCM payload encryption in the SDK's two formats (see
 * cipher.h).  AES-GCM comes from OpenSSL's EVP interface rather than
 * libsodium's crypto_aead_aes256gcm: OpenSSL runs on every CPU (libsodium's
 * AES-GCM exists only where the CPU has AES-NI and PCLMUL, and would need a
 * second code path elsewhere), uses AES-NI/VAES where present, and takes
 * what the SDK's decrypt takes: nonces of any length and 128/192/256-bit
 * keys.  Decryption is on the receive path of every encrypted message, so
 * it bounds every size before it allocates and wipes keys after use.  This
 * file knows nothing of envelopes: callers pass the EE_ENCRYPTED_DATA text
 * and the EE_SENDER address.
 */
#include "core/lib.h"
#include "core/cipher.h"
#include "core/codec.h"
#include "core/hash.h"
#include "core/utf8.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <zlib.h>

/* ------------------------------------------------------------ key cache */

#define KEYCACHE_SLOTS 64

struct keycache_slot {
	uint8_t own[R1_PUB_LEN], peer[R1_PUB_LEN];
	uint8_t key[CIPHER_KEY_LEN];
	uint64_t used; /* 0 = empty */
};

struct cipher_keycache {
	struct keycache_slot slot[KEYCACHE_SLOTS];
	uint64_t tick;
};

struct cipher_keycache *cipher_keycache_new(void)
{
	return r1_calloc(1, sizeof(struct cipher_keycache));
}

void cipher_keycache_free(struct cipher_keycache **cache)
{
	if (!cache || !*cache)
		return;
	OPENSSL_cleanse(*cache, sizeof(**cache));
	r1_free(*cache);
	*cache = NULL;
}

enum r1_err cipher_shared_key(const struct r1_identity *own, const uint8_t peer[R1_PUB_LEN],
                              struct cipher_keycache *cache, uint8_t key[CIPHER_KEY_LEN],
                              char **why)
{
	struct keycache_slot *victim = NULL;
	if (cache) {
		for (size_t i = 0; i < KEYCACHE_SLOTS; i++) {
			struct keycache_slot *s = &cache->slot[i];
			if (s->used && memcmp(s->peer, peer, R1_PUB_LEN) == 0 &&
			    memcmp(s->own, own->pub, R1_PUB_LEN) == 0) {
				s->used = ++cache->tick;
				memcpy(key, s->key, CIPHER_KEY_LEN);
				return R1_OK;
			}
			if (!victim || s->used < victim->used)
				victim = s;
		}
	}
	uint8_t x[32];
	enum r1_err e = ecdh_shared_x(own, peer, x, why);
	if (e)
		return e;
	bool ok = hkdf_sha256(NULL, 0, x, sizeof(x), CIPHER_INFO, strlen(CIPHER_INFO), key,
	                      CIPHER_KEY_LEN);
	OPENSSL_cleanse(x, sizeof(x));
	if (!ok)
		return r1_fail(why, R1_ERR_CRYPTO, "cipher: key derivation failed");
	if (victim) {
		memcpy(victim->own, own->pub, R1_PUB_LEN);
		memcpy(victim->peer, peer, R1_PUB_LEN);
		memcpy(victim->key, key, CIPHER_KEY_LEN);
		victim->used = ++cache->tick;
	}
	return R1_OK;
}

/* ------------------------------------------------------------ AES-GCM */

static const EVP_CIPHER *gcm_for_key(size_t key_len)
{
	switch (key_len) {
	case 16:
		return EVP_aes_128_gcm();
	case 24:
		return EVP_aes_192_gcm();
	case 32:
		return EVP_aes_256_gcm();
	}
	return NULL;
}

/* out (len + 16 bytes) = ciphertext || tag, with a 32-byte key and 12-byte nonce. */
static enum r1_err gcm_seal(const uint8_t key[CIPHER_KEY_LEN],
                            const uint8_t nonce[CIPHER_NONCE_LEN], const uint8_t *in, size_t len,
                            uint8_t *out, char **why)
{
	if (len > INT_MAX)
		return r1_fail(why, R1_ERR_TOOBIG, "cipher: %zu bytes is too much for one message",
		               len);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return r1_fail(why, R1_ERR_NOMEM, "cipher: out of memory");
	int n = 0, fin = 0;
	bool ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	          EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CIPHER_NONCE_LEN, NULL) == 1 &&
	          EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
	          EVP_EncryptUpdate(ctx, out, &n, in, (int)len) == 1 &&
	          EVP_EncryptFinal_ex(ctx, out + n, &fin) == 1 &&
	          EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CIPHER_TAG_LEN, out + len) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		return r1_fail(why, R1_ERR_CRYPTO, "cipher: AES-GCM encryption failed");
	return R1_OK;
}

/*
 * Open ciphertext || tag (in_len >= 16) into out (in_len - 16 bytes).
 * R1_ERR_CRYPTO on a tag mismatch; `what` names the part for the reason.
 */
static enum r1_err gcm_open(const uint8_t *key, size_t key_len, const uint8_t *nonce,
                            size_t nonce_len, const uint8_t *in, size_t in_len, uint8_t *out,
                            const char *what, char **why)
{
	const EVP_CIPHER *alg = gcm_for_key(key_len);
	if (!alg)
		return r1_fail(why, R1_ERR_INVAL, "cipher: %s: a %zu-byte AES key", what, key_len);
	if (nonce_len < 8 || nonce_len > 128)
		return r1_fail(why, R1_ERR_INVAL,
		               "cipher: %s: nonce of %zu bytes (8 to 128 allowed)", what,
		               nonce_len);
	if (in_len < CIPHER_TAG_LEN)
		return r1_fail(why, R1_ERR_INVAL, "cipher: %s: %zu bytes, shorter than the GCM tag",
		               what, in_len);
	size_t ct_len = in_len - CIPHER_TAG_LEN;
	if (ct_len > INT_MAX)
		return r1_fail(why, R1_ERR_TOOBIG, "cipher: %s: %zu bytes", what, ct_len);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return r1_fail(why, R1_ERR_NOMEM, "cipher: out of memory");
	uint8_t tag[CIPHER_TAG_LEN];
	memcpy(tag, in + ct_len, CIPHER_TAG_LEN);
	int n = 0, fin = 0;
	bool setup = EVP_DecryptInit_ex(ctx, alg, NULL, NULL, NULL) == 1 &&
	             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)nonce_len, NULL) == 1 &&
	             EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
	             EVP_DecryptUpdate(ctx, out, &n, in, (int)ct_len) == 1 &&
	             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CIPHER_TAG_LEN, tag) == 1;
	bool ok = setup && EVP_DecryptFinal_ex(ctx, out + n, &fin) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!setup)
		return r1_fail(why, R1_ERR_CRYPTO, "cipher: %s: AES-GCM setup failed", what);
	if (!ok) {
		OPENSSL_cleanse(out, ct_len);
		return r1_fail(
		    why, R1_ERR_CRYPTO,
		    "cipher: %s: authentication tag mismatch (wrong key, wrong sender or "
		    "altered data)",
		    what);
	}
	return R1_OK;
}

/* ------------------------------------------------------------ encrypt */

static enum r1_err parse_recipient(const char *addr, uint8_t pub[R1_PUB_LEN], char **why)
{
	if (!addr)
		return r1_fail(why, R1_ERR_INVAL, "cipher: no recipient address");
	enum r1_err e = addr_parse(addr, strlen(addr), pub, why);
	if (e)
		r1_why_prefix(why, "cipher: recipient");
	return e;
}

/* zlib.compress(plaintext) then AES-GCM: out gets ciphertext || tag. */
static enum r1_err seal_compressed(const uint8_t key[CIPHER_KEY_LEN],
                                   const uint8_t nonce[CIPHER_NONCE_LEN], const void *plain,
                                   size_t len, struct buf *out, char **why)
{
	if (len > CIPHER_MAX_PLAIN)
		return r1_fail(why, R1_ERR_TOOBIG, "cipher: plaintext of %zu bytes exceeds %u", len,
		               CIPHER_MAX_PLAIN);
	struct buf z = BUF_INIT;
	/* Python's zlib.compress default, level 6. */
	enum r1_err e = zlib_compress(&z, plain, len, Z_DEFAULT_COMPRESSION, why);
	if (!e && !buf_reserve(out, z.len + CIPHER_TAG_LEN))
		e = r1_fail(why, R1_ERR_NOMEM, "cipher: out of memory");
	if (!e) {
		e = gcm_seal(key, nonce, (const uint8_t *)z.data, z.len,
		             (uint8_t *)out->data + out->len, why);
		if (!e) {
			out->len += z.len + CIPHER_TAG_LEN;
			out->data[out->len] = '\0';
		}
	}
	buf_release(&z);
	return e;
}

enum r1_err cipher_encrypt_single(const struct r1_identity *sender, const char *recipient,
                                  const void *plain, size_t len, struct cipher_keycache *cache,
                                  struct buf *out, char **why)
{
	uint8_t pub[R1_PUB_LEN], key[CIPHER_KEY_LEN];
	enum r1_err e = parse_recipient(recipient, pub, why);
	if (e)
		return e;
	e = cipher_shared_key(sender, pub, cache, key, why);
	if (e)
		return e;
	struct buf blob = BUF_INIT;
	uint8_t head[CIPHER_NONCE_LEN + 1];
	random_bytes(head, CIPHER_NONCE_LEN);
	head[CIPHER_NONCE_LEN] = 0x01; /* compressed */
	buf_add(&blob, head, sizeof(head));
	e = seal_compressed(key, head, plain, len, &blob, why);
	OPENSSL_cleanse(key, sizeof(key));
	if (!e) {
		base64_encode(out, blob.data, blob.len, B64_STD);
		if (!buf_ok(&blob) || !buf_ok(out))
			e = r1_fail(why, R1_ERR_NOMEM, "cipher: out of memory");
	}
	buf_release(&blob);
	return e;
}

enum r1_err cipher_encrypt_multi(const struct r1_identity *sender, const char *const *recipients,
                                 size_t n, const void *plain, size_t len,
                                 struct cipher_keycache *cache, struct buf *out, char **why)
{
	if (n == 0)
		return r1_fail(why, R1_ERR_INVAL,
		               "cipher: a multi-recipient message needs recipients");
	uint8_t sym[CIPHER_KEY_LEN], nonce[CIPHER_NONCE_LEN];
	random_bytes(sym, sizeof(sym));
	random_bytes(nonce, sizeof(nonce));
	struct buf ct = BUF_INIT, pkg = BUF_INIT, z = BUF_INIT;
	enum r1_err e = seal_compressed(sym, nonce, plain, len, &ct, why);
	if (!e) {
		/* json.dumps layout: ", " and ": " separators, keys in insertion order. */
		buf_adds(&pkg, "{\"M\": true, \"c\": \"01\", \"n\": \"");
		buf_addhex(&pkg, nonce, sizeof(nonce));
		buf_adds(&pkg, "\", \"d\": \"");
		buf_addhex(&pkg, ct.data, ct.len);
		buf_adds(&pkg, "\", \"k\": [");
	}
	for (size_t i = 0; !e && i < n; i++) {
		uint8_t pub[R1_PUB_LEN], key[CIPHER_KEY_LEN];
		uint8_t wrapped[CIPHER_NONCE_LEN + CIPHER_KEY_LEN + CIPHER_TAG_LEN];
		char addr[R1_ADDR_LEN + 1];
		e = parse_recipient(recipients[i], pub, why);
		if (!e)
			e = cipher_shared_key(sender, pub, cache, key, why);
		if (!e) {
			random_bytes(wrapped, CIPHER_NONCE_LEN);
			e = gcm_seal(key, wrapped, sym, sizeof(sym), wrapped + CIPHER_NONCE_LEN,
			             why);
			OPENSSL_cleanse(key, sizeof(key));
		}
		if (e) {
			r1_why_prefix(why, "recipient %zu", i);
			break;
		}
		addr_format(pub, addr);
		buf_adds(&pkg, i ? ", {\"a\": \"" : "{\"a\": \"");
		buf_adds(&pkg, addr);
		buf_adds(&pkg, "\", \"k\": \"");
		buf_addhex(&pkg, wrapped, sizeof(wrapped));
		buf_adds(&pkg, "\"}");
	}
	OPENSSL_cleanse(sym, sizeof(sym));
	if (!e) {
		buf_adds(&pkg, "]}");
		if (!buf_ok(&pkg) || !buf_ok(&ct))
			e = r1_fail(why, R1_ERR_NOMEM, "cipher: out of memory");
	}
	if (!e)
		e = zlib_compress(&z, pkg.data, pkg.len, Z_DEFAULT_COMPRESSION, why);
	if (!e) {
		base64_encode(out, z.data, z.len, B64_STD);
		if (!buf_ok(out))
			e = r1_fail(why, R1_ERR_NOMEM, "cipher: out of memory");
	}
	buf_release(&ct);
	buf_release(&pkg);
	buf_release(&z);
	return e;
}

/* ------------------------------------------------------------ decrypt */

/*
 * Inflate (when compressed) or copy the GCM plaintext into out, at most
 * max_plain bytes, and check that it is text.
 */
static enum r1_err finish_plain(const uint8_t *p, size_t n, bool compressed, size_t max_plain,
                                struct buf *out, char **why)
{
	size_t start = out->len;
	enum r1_err e;
	if (compressed) {
		e = zlib_inflate(out, p, n, max_plain, why);
		if (e) {
			r1_why_prefix(why, "cipher: plaintext");
			return e;
		}
	} else {
		if (n > max_plain)
			return r1_fail(why, R1_ERR_TOOBIG,
			               "cipher: plaintext of %zu bytes exceeds %zu", n, max_plain);
		buf_add(out, p, n);
		if (!buf_ok(out))
			return r1_fail(why, R1_ERR_NOMEM, "cipher: out of memory");
	}
	if (!r1_utf8_valid(out->data + start, out->len - start)) {
		out->len = start;
		out->data[start] = '\0';
		return r1_fail(why, R1_ERR_INVAL, "cipher: plaintext is not valid UTF-8");
	}
	return R1_OK;
}

static enum r1_err decrypt_single(const struct r1_identity *me, const uint8_t sender[R1_PUB_LEN],
                                  const uint8_t *blob, size_t len, size_t max_plain,
                                  struct cipher_keycache *cache, struct buf *out, char **why)
{
	const size_t head = CIPHER_NONCE_LEN + 1;
	if (len < head + CIPHER_TAG_LEN)
		return r1_fail(why, R1_ERR_INVAL,
		               "cipher: truncated: %zu bytes, a single-recipient message has at "
		               "least %zu",
		               len, head + CIPHER_TAG_LEN);
	bool compressed = blob[CIPHER_NONCE_LEN] != 0; /* the SDK: `if compressed_flag` */
	size_t ct_len = len - head - CIPHER_TAG_LEN;
	if (!compressed && ct_len > max_plain)
		return r1_fail(why, R1_ERR_TOOBIG, "cipher: plaintext of %zu bytes exceeds %zu",
		               ct_len, max_plain);
	uint8_t key[CIPHER_KEY_LEN];
	enum r1_err e = cipher_shared_key(me, sender, cache, key, why);
	if (e)
		return e;
	uint8_t *plain = r1_malloc(ct_len + 1);
	if (!plain) {
		OPENSSL_cleanse(key, sizeof(key));
		return r1_fail(why, R1_ERR_NOMEM, "cipher: out of memory");
	}
	e = gcm_open(key, sizeof(key), blob, CIPHER_NONCE_LEN, blob + head, len - head, plain,
	             "single-recipient message", why);
	OPENSSL_cleanse(key, sizeof(key));
	if (!e)
		e = finish_plain(plain, ct_len, compressed, max_plain, out, why);
	r1_free(plain);
	return e;
}

/* bytes.fromhex of a JSON string member into a fresh buffer. */
static enum r1_err hex_member(json_t *obj, const char *name, const char *where, uint8_t **bytes,
                              size_t *n, char **why)
{
	json_t *v = json_object_get(obj, name);
	if (!json_is_string(v))
		return r1_fail(why, R1_ERR_INVAL,
		               "cipher: package: %s\"%s\" is %s, not a hex string", where, name,
		               v ? "not a string" : "missing");
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (len % 2)
		return r1_fail(why, R1_ERR_INVAL,
		               "cipher: package: %s\"%s\" has odd hex length %zu", where, name,
		               len);
	*bytes = r1_malloc(len / 2 + 1);
	if (!*bytes)
		return r1_fail(why, R1_ERR_NOMEM, "cipher: out of memory");
	enum r1_err e = hex_decode(s, len, *bytes, len / 2, why);
	if (e) {
		r1_free(*bytes);
		*bytes = NULL;
		r1_why_prefix(why, "cipher: package: %s\"%s\"", where, name);
		return e;
	}
	*n = len / 2;
	return R1_OK;
}

/* int(c, 16) == 1, accepting what Python's int() accepts; false if not a number. */
static bool parse_flag_hex(const char *s, bool *is_one)
{
	size_t a = 0, b = strlen(s);
	while (a < b && (s[a] == ' ' || (s[a] >= '\t' && s[a] <= '\r')))
		a++;
	while (b > a && (s[b - 1] == ' ' || (s[b - 1] >= '\t' && s[b - 1] <= '\r')))
		b--;
	bool neg = false;
	if (a < b && (s[a] == '+' || s[a] == '-'))
		neg = s[a++] == '-';
	bool prefixed = false;
	if (b - a >= 2 && s[a] == '0' && (s[a + 1] == 'x' || s[a + 1] == 'X')) {
		a += 2;
		prefixed = true;
	}
	uint64_t v = 0;
	bool big = false, prev_digit = prefixed;
	size_t digits = 0;
	for (size_t i = a; i < b; i++) {
		char c = s[i];
		int d = (c >= '0' && c <= '9')   ? c - '0'
		        : (c >= 'a' && c <= 'f') ? c - 'a' + 10
		        : (c >= 'A' && c <= 'F') ? c - 'A' + 10
		                                 : -1;
		if (c == '_' && prev_digit && i + 1 < b) {
			prev_digit = false;
			continue;
		}
		if (d < 0)
			return false;
		if (v > UINT64_MAX / 16)
			big = true;
		v = v * 16 + (uint64_t)d;
		digits++;
		prev_digit = true;
	}
	if (!digits || !prev_digit)
		return false;
	*is_one = !neg && !big && v == 1;
	return true;
}

/* "M" == True in Python: true, 1 or 1.0. */
static bool py_is_true(json_t *v)
{
	return json_is_true(v) || (json_is_integer(v) && json_integer_value(v) == 1) ||
	       (json_is_real(v) && json_real_value(v) == 1.0);
}

enum multi_state {
	MULTI_NOT_ZLIB,    /* not zlib data at all: a single-recipient message */
	MULTI_NOT_PACKAGE, /* zlib, but not a JSON object with "M": true */
	MULTI_FAILED,      /* a package (or a zlib bomb) that did not decrypt */
	MULTI_OK,
};

static enum r1_err open_package(const struct r1_identity *me, const uint8_t sender[R1_PUB_LEN],
                                json_t *pkg, size_t max_plain, struct cipher_keycache *cache,
                                struct buf *out, char **why)
{
	json_t *c = json_object_get(pkg, "c");
	bool compressed = false;
	if (!json_is_string(c) || !parse_flag_hex(json_string_value(c), &compressed))
		return r1_fail(why, R1_ERR_INVAL, "cipher: package: \"c\" is not a hex number");
	uint8_t *nonce = NULL, *data = NULL, *wrapped = NULL, *plain = NULL;
	size_t nonce_len = 0, data_len = 0, wrapped_len = 0;
	enum r1_err e = hex_member(pkg, "n", "", &nonce, &nonce_len, why);
	if (!e)
		e = hex_member(pkg, "d", "", &data, &data_len, why);
	json_t *keys = json_object_get(pkg, "k"), *mine = NULL;
	if (!e && !json_is_array(keys))
		e = r1_fail(why, R1_ERR_INVAL, "cipher: package: \"k\" is not a list");
	/* The SDK walks the list up to its own entry; a broken entry before it is fatal. */
	for (size_t i = 0; !e && i < json_array_size(keys); i++) {
		json_t *entry = json_array_get(keys, i);
		json_t *a = json_object_get(entry, "a");
		if (!json_is_object(entry) || !a) {
			e = r1_fail(
			    why, R1_ERR_INVAL,
			    "cipher: package: recipient entry %zu is not an object with \"a\"", i);
			break;
		}
		if (json_is_string(a) && strcmp(json_string_value(a), me->addr) == 0) {
			mine = entry;
			break;
		}
	}
	if (!e && !mine)
		e = r1_fail(why, R1_ERR_NOTFOUND,
		            "cipher: not addressed to %s (the package lists %zu other recipients)",
		            me->addr, json_array_size(keys));
	if (!e)
		e = hex_member(mine, "k", "our entry's ", &wrapped, &wrapped_len, why);
	uint8_t sym[CIPHER_KEY_LEN + 8], key[CIPHER_KEY_LEN];
	size_t sym_len = 0;
	if (!e) {
		/* nonce2 = k[:12], the rest is the wrapped key and its tag. */
		size_t n2 = R1_MIN(wrapped_len, (size_t)CIPHER_NONCE_LEN);
		sym_len =
		    wrapped_len - n2 >= CIPHER_TAG_LEN ? wrapped_len - n2 - CIPHER_TAG_LEN : 0;
		if (wrapped_len - n2 > sizeof(sym) + CIPHER_TAG_LEN)
			e = r1_fail(why, R1_ERR_INVAL, "cipher: package: wrapped key of %zu bytes",
			            wrapped_len - n2);
		if (!e)
			e = cipher_shared_key(me, sender, cache, key, why);
		if (!e) {
			e = gcm_open(key, sizeof(key), wrapped, n2, wrapped + n2, wrapped_len - n2,
			             sym, "our wrapped key", why);
			OPENSSL_cleanse(key, sizeof(key));
		}
	}
	if (!e && data_len >= CIPHER_TAG_LEN && !compressed &&
	    data_len - CIPHER_TAG_LEN > max_plain)
		e = r1_fail(why, R1_ERR_TOOBIG, "cipher: plaintext of %zu bytes exceeds %zu",
		            data_len - CIPHER_TAG_LEN, max_plain);
	if (!e) {
		plain = r1_malloc(data_len + 1);
		if (!plain)
			e = r1_fail(why, R1_ERR_NOMEM, "cipher: out of memory");
	}
	if (!e)
		e = gcm_open(sym, sym_len, nonce, nonce_len, data, data_len, plain, "package data",
		             why);
	OPENSSL_cleanse(sym, sizeof(sym));
	if (!e)
		e = finish_plain(plain, data_len - CIPHER_TAG_LEN, compressed, max_plain, out, why);
	r1_free(nonce);
	r1_free(data);
	r1_free(wrapped);
	r1_free(plain);
	return e;
}

static enum multi_state decrypt_multi(const struct r1_identity *me,
                                      const uint8_t sender[R1_PUB_LEN], const uint8_t *blob,
                                      size_t len, size_t max_plain, struct cipher_keycache *cache,
                                      struct buf *out, enum r1_err *err, char **why)
{
	/*
	 * A genuine package inflates to about twice its compressed size (it is
	 * mostly hex of random bytes); anything far beyond is a bomb.
	 */
	size_t cap = len > (SIZE_MAX - 65536) / 16 ? SIZE_MAX : 16 * len + 65536;
	struct buf text = BUF_INIT;
	enum r1_err e = zlib_inflate(&text, blob, len, cap, NULL);
	if (e == R1_ERR_TOOBIG) {
		buf_release(&text);
		*err = r1_fail(why, R1_ERR_TOOBIG,
		               "cipher: multi-recipient package inflates beyond %zu bytes", cap);
		return MULTI_FAILED;
	}
	if (e == R1_ERR_NOMEM) {
		buf_release(&text);
		*err = r1_fail(why, R1_ERR_NOMEM, "cipher: out of memory");
		return MULTI_FAILED;
	}
	if (e) {
		buf_release(&text);
		return MULTI_NOT_ZLIB;
	}
	json_t *pkg = json_loadb(text.data ? text.data : "", text.len, 0, NULL);
	buf_release(&text);
	if (!json_is_object(pkg) || !py_is_true(json_object_get(pkg, "M"))) {
		json_decref(pkg);
		return MULTI_NOT_PACKAGE;
	}
	*err = open_package(me, sender, pkg, max_plain, cache, out, why);
	json_decref(pkg);
	return *err ? MULTI_FAILED : MULTI_OK;
}

enum r1_err cipher_decrypt(const struct r1_identity *recipient, const char *sender, const char *b64,
                           size_t b64_len, size_t max_plain, struct cipher_keycache *cache,
                           struct buf *out, char **why)
{
	uint8_t spub[R1_PUB_LEN];
	if (!sender)
		return r1_fail(why, R1_ERR_INVAL, "cipher: no sender address");
	enum r1_err e = addr_parse(sender, strlen(sender), spub, why);
	if (e) {
		r1_why_prefix(why, "cipher: sender");
		return e;
	}
	uint8_t *blob = NULL;
	size_t len = 0;
	e = base64_decode(b64, b64_len, B64_STD, &blob, &len, why);
	if (e) {
		r1_why_prefix(why, "cipher: not base64");
		return e;
	}
	size_t start = out->len;
	char *multi_why = NULL;
	enum r1_err multi_err = R1_OK;
	enum multi_state ms = decrypt_multi(recipient, spub, blob, len, max_plain, cache, out,
	                                    &multi_err, why ? &multi_why : NULL);
	if (ms == MULTI_OK) {
		r1_free(blob);
		return R1_OK;
	}
	/* The SDK falls back to the single form whatever went wrong. */
	e = decrypt_single(recipient, spub, blob, len, max_plain, cache, out, why);
	r1_free(blob);
	if (!e) {
		r1_free(multi_why);
		return R1_OK;
	}
	out->len = start;
	if (out->data)
		out->data[start] = '\0';
	if (ms == MULTI_FAILED) {
		/* It was a package: its failure says more than the single form's. */
		e = multi_err;
		if (why) {
			r1_free(*why);
			*why = multi_why;
			multi_why = NULL;
		}
	}
	r1_free(multi_why);
	return e;
}
