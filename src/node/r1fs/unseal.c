/*
 * Decrypting R1FS files (see unseal.h): a small state machine over the
 * header, the metadata and the content, holding back the trailing tag.
 * The file name that comes out is always a single path component; turning
 * metadata into a path is exactly the hole this refuses to open.
 */
#include "node/lib.h"
#include "node/r1fs/unseal.h"

#include "node/r1fs/pytree.h"
#include "core/utf8.h"

#include <openssl/evp.h>

enum unseal_state { UNSEAL_HEAD, UNSEAL_META, UNSEAL_BODY, UNSEAL_DONE };

struct r1fs_unseal {
	EVP_CIPHER_CTX *ctx;
	uint8_t key[R1FS_KEY_LEN];
	enum unseal_state state;
	uint8_t head[R1FS_NONCE_LEN + 4];
	size_t head_len;
	uint8_t *meta; /* decrypted metadata, meta_len bytes */
	size_t meta_len, meta_got;
	uint8_t hold[R1FS_TAG_LEN]; /* the last bytes seen: the tag, at the end */
	size_t hold_len;
	uint64_t content_len;
	char *name;
};

enum r1_err r1fs_unseal_new(const uint8_t key[R1FS_KEY_LEN], struct r1fs_unseal **out, char **why)
{
	struct r1fs_unseal *u = r1_calloc(1, sizeof(*u));
	if (!u)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	u->ctx = EVP_CIPHER_CTX_new();
	if (!u->ctx) {
		r1_free(u);
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	}
	memcpy(u->key, key, R1FS_KEY_LEN);
	*out = u;
	return R1_OK;
}

void r1fs_unseal_free(struct r1fs_unseal **up)
{
	struct r1fs_unseal *u = *up;
	if (!u)
		return;
	EVP_CIPHER_CTX_free(u->ctx);
	OPENSSL_cleanse(u->key, sizeof(u->key));
	r1_free(u->meta);
	r1_free(u->name);
	r1_free(u);
	*up = NULL;
}

static enum r1_err decrypt(struct r1fs_unseal *u, const uint8_t *in, size_t len, uint8_t *out,
                           char **why)
{
	while (len > 0) {
		int piece = (int)R1_MIN(len, (size_t)1 << 30), n = 0;
		if (!EVP_DecryptUpdate(u->ctx, out, &n, in, piece) || n != piece)
			return r1_fail(why, R1_ERR_CRYPTO, "r1fs: AES-GCM update failed");
		in += piece;
		out += piece;
		len -= (size_t)piece;
	}
	return R1_OK;
}

/* Content bytes: release all but the last 16 of (hold || in). */
static enum r1_err body(struct r1fs_unseal *u, const uint8_t *in, size_t len, uint8_t *out,
                        size_t *out_len, char **why)
{
	size_t total = u->hold_len + len;
	if (total <= R1FS_TAG_LEN) {
		memcpy(u->hold + u->hold_len, in, len);
		u->hold_len = total;
		return R1_OK;
	}
	size_t release = total - R1FS_TAG_LEN;
	size_t from_hold = R1_MIN(u->hold_len, release);
	enum r1_err e = decrypt(u, u->hold, from_hold, out, why);
	if (e)
		return e;
	size_t from_in = release - from_hold;
	e = decrypt(u, in, from_in, out + from_hold, why);
	if (e)
		return e;
	uint8_t next[R1FS_TAG_LEN];
	size_t kept = u->hold_len - from_hold;
	memcpy(next, u->hold + from_hold, kept);
	memcpy(next + kept, in + from_in, len - from_in);
	memcpy(u->hold, next, R1FS_TAG_LEN);
	u->hold_len = R1FS_TAG_LEN;
	*out_len += release;
	u->content_len += release;
	return R1_OK;
}

enum r1_err r1fs_unseal_update(struct r1fs_unseal *u, const uint8_t *in, size_t len, uint8_t *out,
                               size_t *out_len, char **why)
{
	*out_len = 0;
	while (len > 0) {
		if (u->state == UNSEAL_HEAD) {
			size_t take = R1_MIN(len, sizeof(u->head) - u->head_len);
			memcpy(u->head + u->head_len, in, take);
			u->head_len += take;
			in += take;
			len -= take;
			if (u->head_len < sizeof(u->head))
				continue;
			const uint8_t *l = u->head + R1FS_NONCE_LEN;
			u->meta_len =
			    (size_t)l[0] << 24 | (size_t)l[1] << 16 | (size_t)l[2] << 8 | l[3];
			if (u->meta_len > R1FS_META_MAX)
				return r1_fail(why, R1_ERR_PROTO,
				               "r1fs: metadata of %zu bytes (the limit is %u)",
				               u->meta_len, R1FS_META_MAX);
			u->meta = r1_malloc(u->meta_len + 1);
			if (!u->meta)
				return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
			if (!EVP_DecryptInit_ex(u->ctx, EVP_aes_256_gcm(), NULL, u->key, u->head))
				return r1_fail(why, R1_ERR_CRYPTO, "r1fs: AES-GCM set-up failed");
			u->state = UNSEAL_META;
		} else if (u->state == UNSEAL_META) {
			size_t take = R1_MIN(len, u->meta_len - u->meta_got);
			enum r1_err e = decrypt(u, in, take, u->meta + u->meta_got, why);
			if (e)
				return e;
			u->meta_got += take;
			in += take;
			len -= take;
			if (u->meta_got == u->meta_len)
				u->state = UNSEAL_BODY;
		} else if (u->state == UNSEAL_BODY) {
			return body(u, in, len, out, out_len, why);
		} else {
			return r1_fail(why, R1_ERR_STATE, "r1fs: data after the end of the file");
		}
	}
	/* A zero-length metadata moves to the body without a byte of it. */
	if (u->state == UNSEAL_META && u->meta_got == u->meta_len)
		u->state = UNSEAL_BODY;
	return R1_OK;
}

/* WTF-8 name from the metadata back to the bytes Python would have used. */
static enum r1_err restore_name(struct r1fs_unseal *u, const char *s, size_t len, char **why)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0, used; i < len; i += used) {
		long cp = r1_wtf8_decode(s + i, len - i, &used);
		if (cp >= 0xdc80 && cp <= 0xdcff) {
			buf_addc(&b, (char)(cp - 0xdc00)); /* surrogateescape */
		} else if (cp >= 0xd800 && cp < 0xe000) {
			buf_release(&b);
			return r1_fail(why, R1_ERR_INVAL,
			               "r1fs: the file name in the metadata is not encodable");
		} else {
			buf_add(&b, s + i, used);
		}
	}
	buf_addc(&b, '\0');
	if (!buf_ok(&b)) {
		buf_release(&b);
		return r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	}
	size_t n;
	char *name = buf_detach(&b, &n);
	n--;
	if (!r1fs_name_is_safe(name, n)) {
		enum r1_err e = r1_fail(why, R1_ERR_INVAL,
		                        "r1fs: refusing file name '%.*s' from the metadata: not a "
		                        "plain file name",
		                        (int)strnlen(name, R1_MIN(n, (size_t)200)), name);
		r1_free(name);
		return e;
	}
	u->name = name;
	return R1_OK;
}

static enum r1_err parse_meta(struct r1fs_unseal *u, char **why)
{
	struct pytree *meta = NULL;
	enum r1_err e = pytree_parse((const char *)u->meta, u->meta_len, &meta, why);
	if (e) {
		r1_why_prefix(why, "r1fs: metadata");
		return e == R1_ERR_NOMEM ? e : R1_ERR_PROTO;
	}
	if (meta->type != PYTREE_OBJECT) {
		pytree_free(&meta);
		return r1_fail(why, R1_ERR_PROTO, "r1fs: metadata is not a JSON object");
	}
	const struct pytree *fn = NULL;
	for (size_t i = 0; i < meta->n; i++)
		if (strcmp(meta->members[i].key, "filename") == 0 &&
		    meta->members[i].key_len == strlen("filename"))
			fn = &meta->members[i].value;
	if (!fn)
		e = restore_name(u, R1FS_DEFAULT_RESTORED_NAME, strlen(R1FS_DEFAULT_RESTORED_NAME),
		                 why);
	else if (fn->type != PYTREE_STRING)
		e = r1_fail(why, R1_ERR_PROTO, "r1fs: metadata filename is not a string");
	else
		e = restore_name(u, fn->text, fn->len, why);
	pytree_free(&meta);
	return e;
}

enum r1_err r1fs_unseal_final(struct r1fs_unseal *u, char **why)
{
	if (u->state == UNSEAL_DONE)
		return r1_fail(why, R1_ERR_STATE, "r1fs: decryption finished twice");
	if (u->state != UNSEAL_BODY || u->hold_len < R1FS_TAG_LEN)
		return r1_fail(why, R1_ERR_PROTO,
		               "r1fs: encrypted file is truncated (shorter than its header says)");
	u->state = UNSEAL_DONE;
	uint8_t rest[16];
	int n = 0;
	if (!EVP_CIPHER_CTX_ctrl(u->ctx, EVP_CTRL_GCM_SET_TAG, R1FS_TAG_LEN, u->hold) ||
	    EVP_DecryptFinal_ex(u->ctx, rest, &n) <= 0)
		return r1_fail(why, R1_ERR_CRYPTO,
		               "r1fs: authentication failed: wrong secret or corrupted file");
	return parse_meta(u, why);
}

const char *r1fs_unseal_name(const struct r1fs_unseal *u)
{
	return u->name;
}

uint64_t r1fs_unseal_content_len(const struct r1fs_unseal *u)
{
	return u->content_len;
}
