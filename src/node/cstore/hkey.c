/*
 * Composed keys of CStore hashes (see hkey.h): the one formula the
 * reference's chainstore_hset/hget/hgetall agree on, so that a field set on
 * a Python node is the same record here.  Nothing else lives here.
 */
#include "node/lib.h"
#include "node/cstore/hkey.h"
#include "core/codec.h"
#include "core/hash.h"
#include "core/utf8.h"

enum r1_err hkey_prefix(const char *hkey, size_t len, char out[HKEY_PREFIX_LEN + 1], char **why)
{
	if (!r1_utf8_valid(hkey, len))
		return r1_fail(why, R1_ERR_INVAL, "hkey: not UTF-8");
	uint8_t d[SHA256_LEN];
	sha256(hkey, len, d);
	memcpy(out, "hs:", 3);
	hex_format(out + 3, d, 5);
	out[13] = ':';
	out[14] = '\0';
	return R1_OK;
}

enum r1_err hkey_compose(const char *hkey, size_t hkey_len, const char *field, size_t field_len,
                         struct buf *out, char **why)
{
	char prefix[HKEY_PREFIX_LEN + 1];
	enum r1_err e = hkey_prefix(hkey, hkey_len, prefix, why);
	if (e)
		return e;
	if (!r1_utf8_valid(field, field_len))
		return r1_fail(why, R1_ERR_INVAL, "hash field: not UTF-8");
	buf_add(out, prefix, HKEY_PREFIX_LEN);
	base64_encode(out, field, field_len, B64_URL);
	if (!buf_ok(out))
		return r1_fail(why, R1_ERR_NOMEM, "hash key: out of memory");
	return R1_OK;
}

bool hkey_is_composed(const char *key, size_t len)
{
	if (len < HKEY_PREFIX_LEN || memcmp(key, "hs:", 3) != 0 || key[13] != ':')
		return false;
	for (int i = 3; i < 13; i++)
		if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f')))
			return false;
	return true;
}

enum r1_err hkey_field(const char *key, size_t len, struct buf *out, char **why)
{
	if (!hkey_is_composed(key, len))
		return r1_fail(why, R1_ERR_INVAL, "not a hash key");
	uint8_t *raw = NULL;
	size_t n = 0;
	enum r1_err e =
	    base64_decode(key + HKEY_PREFIX_LEN, len - HKEY_PREFIX_LEN, B64_URL, &raw, &n, why);
	if (e)
		return e;
	if (!r1_utf8_valid(raw, n)) {
		r1_free(raw);
		return r1_fail(why, R1_ERR_INVAL, "hash field: not UTF-8");
	}
	buf_add(out, raw, n);
	r1_free(raw);
	if (!buf_ok(out))
		return r1_fail(why, R1_ERR_NOMEM, "hash field: out of memory");
	return R1_OK;
}
