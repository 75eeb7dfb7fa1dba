/*
 * Encrypting files in the reference's R1FS format (see seal.h).  The only
 * subtle part is the metadata: its bytes are authenticated and their length
 * is in the header, so they must be exactly what Python's json.dumps makes
 * of the name, escapes included.
 */
#include "node/lib.h"
#include "node/r1fs/seal.h"

#include "core/hash.h"
#include "core/pyjson.h"
#include "core/utf8.h"
#include "node/r1fs/pyrandom.h"

#include <openssl/evp.h>

struct r1fs_seal {
	EVP_CIPHER_CTX *ctx;
	struct buf header;
	bool finished;
};

void r1fs_key_from_secret(const char *secret, uint8_t key[R1FS_KEY_LEN])
{
	if (!secret || !*secret)
		secret = R1FS_DEFAULT_SECRET;
	sha256(secret, strlen(secret), key);
}

void r1fs_nonce_from_int(uint64_t seed, uint8_t nonce[R1FS_NONCE_LEN])
{
	struct pyrandom r;
	pyrandom_seed(&r, seed);
	pyrandom_randbytes(&r, nonce, R1FS_NONCE_LEN);
}

bool r1fs_name_is_safe(const char *name, size_t len)
{
	if (len == 0 || (len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	return !memchr(name, '/', len) && !memchr(name, '\0', len);
}

enum r1_err r1fs_meta_encode(const char *name, char **meta, size_t *meta_len, char **why)
{
	size_t len = strlen(name);
	if (!r1fs_name_is_safe(name, len))
		return r1_fail(why, R1_ERR_INVAL, "r1fs: '%s' is not a file name", name);
	/* os.fsdecode: bytes that are not UTF-8 become U+DC80..U+DCFF. */
	struct buf wtf8 = BUF_INIT;
	for (size_t i = 0, used; i < len; i += used) {
		long cp = r1_wtf8_decode(name + i, len - i, &used);
		if (cp >= 0 && !(cp >= 0xd800 && cp < 0xe000)) {
			buf_add(&wtf8, name + i, used);
			continue;
		}
		char esc[4];
		buf_add(&wtf8, esc, r1_wtf8_encode(0xdc00u + (uint8_t)name[i], esc));
		used = 1;
	}
	struct buf out = BUF_INIT;
	buf_adds(&out, "{\"filename\": ");
	pyjson_put_string(&out, buf_cstr(&wtf8), wtf8.len, true);
	buf_addc(&out, '}');
	bool ok = buf_ok(&wtf8) && buf_ok(&out);
	buf_release(&wtf8);
	if (!ok || out.len > R1FS_META_MAX) {
		buf_release(&out);
		return ok ? r1_fail(why, R1_ERR_TOOBIG, "r1fs: file name too long")
		          : r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	}
	*meta = buf_detach(&out, meta_len);
	return R1_OK;
}

static enum r1_err cipher_fail(char **why, const char *what)
{
	return r1_fail(why, R1_ERR_CRYPTO, "r1fs: AES-GCM %s failed", what);
}

enum r1_err r1fs_seal_new(const uint8_t key[R1FS_KEY_LEN], const uint8_t nonce[R1FS_NONCE_LEN],
                          const char *name, struct r1fs_seal **out, char **why)
{
	char *meta = NULL;
	size_t meta_len = 0;
	enum r1_err e = r1fs_meta_encode(name, &meta, &meta_len, why);
	if (e)
		return e;
	struct r1fs_seal *s = r1_calloc(1, sizeof(*s));
	if (!s) {
		r1_free(meta);
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	}
	buf_init(&s->header);
	s->ctx = EVP_CIPHER_CTX_new();
	if (!s->ctx || !EVP_EncryptInit_ex(s->ctx, EVP_aes_256_gcm(), NULL, key, nonce)) {
		e = cipher_fail(why, "set-up");
		goto fail;
	}
	uint8_t len_be[4] = {(uint8_t)(meta_len >> 24), (uint8_t)(meta_len >> 16),
	                     (uint8_t)(meta_len >> 8), (uint8_t)meta_len};
	buf_add(&s->header, nonce, R1FS_NONCE_LEN);
	buf_add(&s->header, len_be, 4);
	if (!buf_reserve(&s->header, meta_len)) {
		e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
		goto fail;
	}
	int n = 0;
	if (!EVP_EncryptUpdate(s->ctx, (uint8_t *)s->header.data + s->header.len, &n,
	                       (const uint8_t *)meta, (int)meta_len) ||
	    (size_t)n != meta_len) {
		e = cipher_fail(why, "update");
		goto fail;
	}
	s->header.len += meta_len;
	r1_free(meta);
	*out = s;
	return R1_OK;
fail:
	r1_free(meta);
	r1fs_seal_free(&s);
	return e;
}

void r1fs_seal_free(struct r1fs_seal **sp)
{
	struct r1fs_seal *s = *sp;
	if (!s)
		return;
	EVP_CIPHER_CTX_free(s->ctx);
	buf_release(&s->header);
	r1_free(s);
	*sp = NULL;
}

const uint8_t *r1fs_seal_header(const struct r1fs_seal *s, size_t *len)
{
	*len = s->header.len;
	return (const uint8_t *)s->header.data;
}

enum r1_err r1fs_seal_update(struct r1fs_seal *s, const uint8_t *in, size_t len, uint8_t *out,
                             char **why)
{
	while (len > 0) {
		int piece = (int)R1_MIN(len, (size_t)1 << 30), n = 0;
		if (s->finished || !EVP_EncryptUpdate(s->ctx, out, &n, in, piece) || n != piece)
			return cipher_fail(why, "update");
		in += piece;
		out += piece;
		len -= (size_t)piece;
	}
	return R1_OK;
}

enum r1_err r1fs_seal_final(struct r1fs_seal *s, uint8_t tag[R1FS_TAG_LEN], char **why)
{
	uint8_t rest[16];
	int n = 0;
	if (s->finished || !EVP_EncryptFinal_ex(s->ctx, rest, &n) || n != 0 ||
	    !EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_GET_TAG, R1FS_TAG_LEN, tag))
		return cipher_fail(why, "final");
	s->finished = true;
	return R1_OK;
}
