/*
 * The exchange's R1FS_DATA messages (see xmsg.h): a strict parser, the
 * builders, and the sealing of blocks with a transfer's session key.  No
 * state and no policy: what a well-formed message means is the exchange's
 * business (xchg.c).
 */
#include "node/lib.h"
#include "node/r1fs/xmsg.h"

#include "core/codec.h"
#include "core/hash.h"
#include "core/proto.h"

#include <openssl/evp.h>

#define NONCE_LEN 12
#define TAG_LEN   16
/* What makes a sealed block's associated data: a label, the transfer, the CID. */
#define AAD_LABEL "r1fs-xchg-v1"

static const struct {
	enum xmsg_op op;
	const char *name;
} op_names[] = {
    {XOP_ANNOUNCE, R1FS_OP_ANNOUNCE}, {XOP_WANT, R1FS_OP_WANT}, {XOP_BLOCK, R1FS_OP_BLOCK},
    {XOP_NONE, R1FS_OP_NONE},         {XOP_REQ, R1FS_OP_REQ},   {XOP_RESP, R1FS_OP_RESP},
};

const char *xmsg_op_name(enum xmsg_op op)
{
	for (size_t i = 0; i < R1_ARRAY_LEN(op_names); i++)
		if (op_names[i].op == op)
			return op_names[i].name;
	return "?";
}

void xmsg_xfer_hex(const uint8_t xfer[XMSG_XFER_LEN], char out[2 * XMSG_XFER_LEN + 1])
{
	hex_format(out, xfer, XMSG_XFER_LEN);
}

/* ---- parsing */

static enum r1_err bad(char **why, const char *op, const char *what)
{
	return r1_fail(why, R1_ERR_PROTO, "r1fs exchange: %s: %s", op, what);
}

/* A string field of at most max bytes, without NULs; NULL when absent and optional. */
static enum r1_err get_str(const json_t *data, const char *op, const char *key, size_t max,
                           bool required, const char **out, char **why)
{
	const json_t *v = json_object_get(data, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (!required)
			return R1_OK;
		return r1_fail(why, R1_ERR_PROTO, "r1fs exchange: %s: no \"%s\"", op, key);
	}
	if (!json_is_string(v))
		return r1_fail(why, R1_ERR_PROTO, "r1fs exchange: %s: \"%s\" is not a string", op,
		               key);
	size_t len = json_string_length(v);
	if (len > max || strlen(json_string_value(v)) != len)
		return r1_fail(why, R1_ERR_PROTO,
		               "r1fs exchange: %s: \"%s\" is longer than %zu bytes or holds a NUL",
		               op, key, max);
	*out = json_string_value(v);
	return R1_OK;
}

static enum r1_err get_hex(const json_t *data, const char *op, const char *key, uint8_t *out,
                           size_t n, char **why)
{
	const char *s;
	enum r1_err e = get_str(data, op, key, 2 * n, true, &s, why);
	if (e)
		return e;
	if (strlen(s) != 2 * n || hex_decode(s, 2 * n, out, n, NULL) != R1_OK)
		return r1_fail(why, R1_ERR_PROTO, "r1fs exchange: %s: \"%s\" is not %zu hex bytes",
		               op, key, n);
	return R1_OK;
}

static enum r1_err get_cid(const json_t *data, const char *op, const char *key,
                           struct r1fs_cid *out, char **why)
{
	const char *s;
	enum r1_err e = get_str(data, op, key, R1FS_CID_TEXT_MAX, true, &s, why);
	if (!e && r1fs_cid_parse(s, out, NULL) != R1_OK)
		e = r1_fail(why, R1_ERR_PROTO, "r1fs exchange: %s: \"%s\" is not a CID", op, key);
	return e;
}

static enum r1_err get_cids(const json_t *data, const char *op, struct xmsg *m, char **why)
{
	const json_t *v = json_object_get(data, R1FS_K_CIDS);
	if (!json_is_array(v))
		return bad(why, op, "\"cids\" is not an array");
	size_t n = json_array_size(v);
	if (n == 0 || n > XMSG_CIDS_MAX)
		return r1_fail(why, R1_ERR_PROTO, "r1fs exchange: %s: %zu CIDs (1 to %d)", op, n,
		               XMSG_CIDS_MAX);
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_array_get(v, i);
		const char *s = json_string_value(c);
		if (!s || json_string_length(c) > R1FS_CID_TEXT_MAX ||
		    r1fs_cid_parse(s, &m->cids[i], NULL) != R1_OK)
			return r1_fail(why, R1_ERR_PROTO, "r1fs exchange: %s: CID %zu is malformed",
			               op, i);
	}
	m->ncids = n;
	return R1_OK;
}

enum r1_err xmsg_parse(const json_t *data, struct xmsg *out, char **why)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(data))
		return r1_fail(why, R1_ERR_PROTO, "r1fs exchange: R1FS_DATA is not an object");
	const char *name = json_string_value(json_object_get(data, R1FS_K_OP));
	size_t i = 0;
	while (i < R1_ARRAY_LEN(op_names) && (!name || strcmp(name, op_names[i].name) != 0))
		i++;
	if (i == R1_ARRAY_LEN(op_names))
		return r1_fail(why, R1_ERR_PROTO, "r1fs exchange: unknown op %.40s",
		               name ? name : "(none)");
	out->op = op_names[i].op;
	const char *op = op_names[i].name;
	enum r1_err e = R1_OK;
	switch (out->op) {
	case XOP_ANNOUNCE:
		break; /* announce.h reads the rest */
	case XOP_WANT:
		if (!(e = get_hex(data, op, R1FS_K_XFER, out->xfer, XMSG_XFER_LEN, why)) &&
		    !(e = get_hex(data, op, R1FS_K_KEY, out->key, XMSG_KEY_LEN, why)) &&
		    !(e = get_cid(data, op, R1FS_K_ROOT, &out->root, why)))
			e = get_cids(data, op, out, why);
		break;
	case XOP_BLOCK: {
		const size_t max_b64 = (XMSG_BLOCK_MAX + XMSG_SEAL_OVERHEAD + 2) / 3 * 4;
		if (!(e = get_hex(data, op, R1FS_K_XFER, out->xfer, XMSG_XFER_LEN, why)) &&
		    !(e = get_cid(data, op, R1FS_K_CID, &out->cid, why)) &&
		    !(e = get_str(data, op, R1FS_K_DATA, max_b64, true, &out->data, why)))
			out->data_len = strlen(out->data);
		break;
	}
	case XOP_NONE:
		if (!(e = get_hex(data, op, R1FS_K_XFER, out->xfer, XMSG_XFER_LEN, why)) &&
		    !(e = get_cids(data, op, out, why)))
			e = get_str(data, op, R1FS_K_REASON, XMSG_REASON_MAX, false, &out->reason,
			            why);
		break;
	case XOP_REQ:
		if (!(e = get_str(data, op, R1FS_K_REQUEST_ID, XMSG_REQUEST_ID_MAX, true,
		                  &out->request_id, why)) &&
		    !(e = get_str(data, op, R1FS_K_CMD, XMSG_CMD_MAX, true, &out->cmd, why))) {
			out->args = json_object_get(data, R1FS_K_ARGS);
			if (out->args && json_is_null(out->args))
				out->args = NULL;
			if (out->args && !json_is_object(out->args))
				e = bad(why, op, "\"args\" is not an object");
		}
		break;
	case XOP_RESP: {
		const json_t *ok = json_object_get(data, R1FS_K_OK);
		if (!(e = get_str(data, op, R1FS_K_REQUEST_ID, XMSG_REQUEST_ID_MAX, true,
		                  &out->request_id, why)) &&
		    !(e = get_str(data, op, R1FS_K_REASON, XMSG_REASON_MAX, false, &out->reason,
		                  why))) {
			if (!json_is_boolean(ok))
				e = bad(why, op, "\"ok\" is not a boolean");
			out->ok = json_is_true(ok);
			out->result = json_object_get(data, R1FS_K_RESULT);
		}
		break;
	}
	}
	return e;
}

/* ---- building */

static json_t *hex_string(const uint8_t *p, size_t n)
{
	struct buf b = BUF_INIT;
	buf_addhex(&b, p, n);
	json_t *s = buf_ok(&b) ? json_stringn(b.data, b.len) : NULL;
	buf_release(&b);
	return s;
}

static json_t *cid_string(const struct r1fs_cid *cid)
{
	char text[R1FS_CID_TEXT_MAX];
	r1fs_cid_format(cid, text);
	return json_string(text);
}

static json_t *cid_array(const struct r1fs_cid *cids, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, cid_string(&cids[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* Set every field or give up: a builder returns a whole message or NULL. */
static json_t *finish(json_t *o, bool ok)
{
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static bool set(json_t *o, const char *key, json_t *v)
{
	return o && v && json_object_set_new(o, key, v) == 0;
}

json_t *xmsg_want(const uint8_t xfer[XMSG_XFER_LEN], const uint8_t key[XMSG_KEY_LEN],
                  const struct r1fs_cid *root, const struct r1fs_cid *cids, size_t n)
{
	json_t *o = json_object();
	bool ok = set(o, R1FS_K_OP, json_string(R1FS_OP_WANT)) &&
	          set(o, R1FS_K_XFER, hex_string(xfer, XMSG_XFER_LEN)) &&
	          set(o, R1FS_K_KEY, hex_string(key, XMSG_KEY_LEN)) &&
	          set(o, R1FS_K_ROOT, cid_string(root)) && set(o, R1FS_K_CIDS, cid_array(cids, n));
	return finish(o, ok);
}

/* Is the text ASCII (hence UTF-8)?  One pass the compiler vectorizes. */
static bool is_ascii(const char *s, size_t n)
{
	unsigned char acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= (unsigned char)s[i];
	return acc < 0x80;
}

json_t *xmsg_block(const uint8_t xfer[XMSG_XFER_LEN], const struct r1fs_cid *cid, const char *data,
                   size_t data_len)
{
	/*
	 * jansson checks a string's UTF-8 byte by byte: for a 256 KiB block's
	 * base64 that was a quarter of a serving node's loop time.  Base64 is
	 * ASCII; anything else still goes through the check (and fails it).
	 */
	json_t *text = is_ascii(data, data_len) ? json_stringn_nocheck(data, data_len)
	                                        : json_stringn(data, data_len);
	json_t *o = json_object();
	bool ok = set(o, R1FS_K_OP, json_string(R1FS_OP_BLOCK)) &&
	          set(o, R1FS_K_XFER, hex_string(xfer, XMSG_XFER_LEN)) &&
	          set(o, R1FS_K_CID, cid_string(cid));
	/* jansson takes text in every case (with no object it frees it) */
	if (json_object_set_new(ok ? o : NULL, R1FS_K_DATA, text))
		ok = false;
	return finish(o, ok);
}

json_t *xmsg_none(const uint8_t xfer[XMSG_XFER_LEN], const struct r1fs_cid *cids, size_t n,
                  const char *reason)
{
	json_t *o = json_object();
	bool ok = set(o, R1FS_K_OP, json_string(R1FS_OP_NONE)) &&
	          set(o, R1FS_K_XFER, hex_string(xfer, XMSG_XFER_LEN)) &&
	          set(o, R1FS_K_CIDS, cid_array(cids, n)) &&
	          set(o, R1FS_K_REASON, reason ? json_string(reason) : json_null());
	return finish(o, ok);
}

json_t *xmsg_req(const char *request_id, const char *cmd, const json_t *args)
{
	json_t *o = json_object();
	bool ok = set(o, R1FS_K_OP, json_string(R1FS_OP_REQ)) &&
	          set(o, R1FS_K_REQUEST_ID, json_string(request_id)) &&
	          set(o, R1FS_K_CMD, json_string(cmd)) &&
	          set(o, R1FS_K_ARGS, args ? json_incref((json_t *)args) : json_object());
	return finish(o, ok);
}

json_t *xmsg_resp(const char *request_id, bool ok_, const json_t *result, const char *reason)
{
	json_t *o = json_object();
	bool ok = set(o, R1FS_K_OP, json_string(R1FS_OP_RESP)) &&
	          set(o, R1FS_K_REQUEST_ID, json_string(request_id)) &&
	          set(o, R1FS_K_OK, json_boolean(ok_)) &&
	          set(o, R1FS_K_RESULT, result ? json_incref((json_t *)result) : json_null()) &&
	          set(o, R1FS_K_REASON, reason ? json_string(reason) : json_null());
	return finish(o, ok);
}

/* ---- sealing */

static size_t make_aad(const uint8_t xfer[XMSG_XFER_LEN], const struct r1fs_cid *cid,
                       uint8_t out[sizeof(AAD_LABEL) + XMSG_XFER_LEN + R1FS_CID_BIN_MAX])
{
	memcpy(out, AAD_LABEL, sizeof(AAD_LABEL)); /* with its NUL: a separator */
	memcpy(out + sizeof(AAD_LABEL), xfer, XMSG_XFER_LEN);
	return sizeof(AAD_LABEL) + XMSG_XFER_LEN +
	       r1fs_cid_to_bytes(cid, out + sizeof(AAD_LABEL) + XMSG_XFER_LEN);
}

/* One AES-256-GCM pass; `in` and `out` may not overlap. */
static bool gcm(bool encrypt, const uint8_t key[XMSG_KEY_LEN], const uint8_t nonce[NONCE_LEN],
                const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                uint8_t tag[TAG_LEN])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0;
	bool ok = c && (encrypt ? EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce)
	                        : EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce));
	if (ok && aad_len)
		ok = encrypt ? EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len)
		             : EVP_DecryptUpdate(c, NULL, &n, aad, (int)aad_len);
	if (ok && len) {
		ok = encrypt ? EVP_EncryptUpdate(c, out, &n, in, (int)len)
		             : EVP_DecryptUpdate(c, out, &n, in, (int)len);
		ok = ok && (size_t)n == len;
	}
	if (ok && !encrypt)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1;
	if (ok)
		ok = encrypt ? EVP_EncryptFinal_ex(c, out + len, &n) == 1 && n == 0
		             : EVP_DecryptFinal_ex(c, out + len, &n) == 1 && n == 0;
	if (ok && encrypt)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

enum r1_err xmsg_seal_block(const uint8_t key[XMSG_KEY_LEN], const uint8_t xfer[XMSG_XFER_LEN],
                            const struct r1fs_cid *cid, const uint8_t *block, size_t len,
                            struct buf *out, char **why)
{
	if (len > XMSG_BLOCK_MAX)
		return r1_fail(
		    why, R1_ERR_TOOBIG,
		    "r1fs exchange: a block of %zu bytes is above the %u the bus carries", len,
		    XMSG_BLOCK_MAX);
	uint8_t aad[sizeof(AAD_LABEL) + XMSG_XFER_LEN + R1FS_CID_BIN_MAX];
	size_t aad_len = make_aad(xfer, cid, aad);
	uint8_t *sealed = r1_malloc(len + XMSG_SEAL_OVERHEAD + 1);
	if (!sealed)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs exchange: out of memory");
	random_bytes(sealed, NONCE_LEN);
	bool ok = gcm(true, key, sealed, aad, aad_len, block, len, sealed + NONCE_LEN,
	              sealed + NONCE_LEN + len);
	enum r1_err e = R1_OK;
	if (!ok) {
		e = r1_fail(why, R1_ERR_CRYPTO, "r1fs exchange: sealing a block failed");
	} else {
		/* ciphertext needs no constant-time codec, and libsodium's was a
		 * fifth of the speed: the exchange's largest cost */
		size_t b64_len = (len + XMSG_SEAL_OVERHEAD + 2) / 3 * 4;
		if (buf_reserve(out, b64_len))
			out->len += base64_encode_vartime(out->data + out->len, sealed,
			                                  len + XMSG_SEAL_OVERHEAD, B64_STD);
		if (!buf_ok(out))
			e = r1_fail(why, R1_ERR_NOMEM, "r1fs exchange: out of memory");
	}
	r1_free(sealed);
	return e;
}

enum r1_err xmsg_open_block(const uint8_t key[XMSG_KEY_LEN], const uint8_t xfer[XMSG_XFER_LEN],
                            const struct r1fs_cid *cid, const char *b64, size_t b64_len,
                            struct buf *out, char **why)
{
	if (base64_decoded_max(b64_len) > XMSG_BLOCK_MAX + XMSG_SEAL_OVERHEAD + 3)
		return r1_fail(why, R1_ERR_PROTO, "r1fs exchange: a sealed block is too long");
	size_t n = 0;
	uint8_t *sealed = r1_malloc(b64_len / 4 * 3 + 1);
	if (!sealed)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs exchange: out of memory");
	if (!base64_decode_vartime(b64, b64_len, B64_STD, sealed, b64_len / 4 * 3, &n)) {
		r1_free(sealed);
		return r1_fail(why, R1_ERR_PROTO, "r1fs exchange: a sealed block is not base64");
	}
	enum r1_err e = R1_OK;
	if (n < XMSG_SEAL_OVERHEAD || n - XMSG_SEAL_OVERHEAD > XMSG_BLOCK_MAX) {
		e = r1_fail(why, R1_ERR_PROTO, "r1fs exchange: a sealed block of %zu bytes", n);
		goto out;
	}
	size_t len = n - XMSG_SEAL_OVERHEAD;
	buf_reset(out);
	if (!buf_reserve(out, len + 1)) {
		e = r1_fail(why, R1_ERR_NOMEM, "r1fs exchange: out of memory");
		goto out;
	}
	uint8_t aad[sizeof(AAD_LABEL) + XMSG_XFER_LEN + R1FS_CID_BIN_MAX];
	size_t aad_len = make_aad(xfer, cid, aad);
	uint8_t tag[TAG_LEN];
	memcpy(tag, sealed + NONCE_LEN + len, TAG_LEN);
	if (!gcm(false, key, sealed, aad, aad_len, sealed + NONCE_LEN, len, (uint8_t *)out->data,
	         tag)) {
		e = r1_fail(why, R1_ERR_CRYPTO,
		            "r1fs exchange: a block does not open with the transfer's key (forged,"
		            " altered, or sent for another transfer or CID)");
		goto out;
	}
	out->len = len;
	out->data[len] = '\0';
out:
	r1_free(sealed);
	return e;
}
