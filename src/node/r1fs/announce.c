/*
 * R1FS_ANNOUNCE (see announce.h): the bloom filter of a node's pins and the
 * parse and build of the message.  Policy (when to announce, whom to ask)
 * is the plugin's.
 */
#include "node/lib.h"
#include "node/r1fs/announce.h"

#include "core/codec.h"
#include "core/proto.h"
#include "node/r1fs/r1fs.h"

#define BITS_PER_PIN 10u

size_t announce_bloom_size(uint64_t n)
{
	uint64_t want = (n * BITS_PER_PIN + 7) / 8;
	size_t len = ANNOUNCE_BLOOM_MIN;
	while (len < want && len < ANNOUNCE_BLOOM_MAX)
		len *= 2;
	return len;
}

/*
 * The k positions of a CID: double hashing over its digest, which is
 * already SHA-256, so no further hashing is needed.  The digest (not the
 * CID's text) is the key: v0 and v1 names of a dag-pb block match.
 */
static uint64_t position(const struct r1fs_cid *cid, unsigned i, size_t len)
{
	uint64_t h1 = 0, h2 = 0;
	for (int b = 0; b < 8; b++) {
		h1 = h1 << 8 | cid->digest[b];
		h2 = h2 << 8 | cid->digest[8 + b];
	}
	return (h1 + (uint64_t)i * (h2 | 1)) % ((uint64_t)len * 8);
}

void announce_bloom_add(uint8_t *bloom, size_t len, unsigned k, const struct r1fs_cid *cid)
{
	for (unsigned i = 0; i < k; i++) {
		uint64_t p = position(cid, i, len);
		bloom[p / 8] |= (uint8_t)(1u << (p % 8));
	}
}

bool announce_bloom_has(const uint8_t *bloom, size_t len, unsigned k, const struct r1fs_cid *cid)
{
	if (!bloom || !len)
		return false;
	for (unsigned i = 0; i < k; i++) {
		uint64_t p = position(cid, i, len);
		if (!(bloom[p / 8] & (1u << (p % 8))))
			return false;
	}
	return true;
}

bool announce_has(const struct announce *a, const struct r1fs_cid *cid)
{
	return announce_bloom_has(a->bloom, a->bloom_len, a->bloom_k, cid);
}

void announce_release(struct announce *a)
{
	r1_free(a->bloom);
	memset(a, 0, sizeof(*a));
}

static bool get_u64(const json_t *v, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

enum r1_err announce_parse(const json_t *data, struct announce *out, char **why)
{
	memset(out, 0, sizeof(*out));
	const char *op = json_string_value(json_object_get(data, R1FS_K_OP));
	if (!op || strcmp(op, R1FS_OP_ANNOUNCE) != 0)
		return r1_fail(why, R1_ERR_PROTO, "r1fs announce: not an R1FS_ANNOUNCE");
	const json_t *v = json_object_get(data, R1FS_K_VERSION);
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return r1_fail(why, R1_ERR_PROTO, "r1fs announce: no version");
	out->version = (int)R1_MIN(json_integer_value(v), (json_int_t)INT_MAX);
	const char *store = json_string_value(json_object_get(data, R1FS_K_STORE));
	snprintf(out->store, sizeof(out->store), "%s", store ? store : "");
	if (!get_u64(json_object_get(data, R1FS_K_PINS), &out->pins) ||
	    !get_u64(json_object_get(data, R1FS_K_USED), &out->used) ||
	    !get_u64(json_object_get(data, R1FS_K_QUOTA), &out->quota))
		return r1_fail(why, R1_ERR_PROTO, "r1fs announce: pins, used or quota malformed");
	const json_t *bloom = json_object_get(data, R1FS_K_BLOOM);
	if (bloom && !json_is_null(bloom)) {
		const json_t *k = json_object_get(data, R1FS_K_BLOOM_K);
		size_t b64 = json_string_length(bloom);
		if (!json_is_string(bloom) || b64 > (ANNOUNCE_BLOOM_MAX + 2) / 3 * 4)
			return r1_fail(why, R1_ERR_PROTO, "r1fs announce: bloom malformed");
		if (!json_is_integer(k) || json_integer_value(k) < 1 ||
		    json_integer_value(k) > ANNOUNCE_BLOOM_K_MAX)
			return r1_fail(why, R1_ERR_PROTO, "r1fs announce: bloom_k out of range");
		if (base64_decode(json_string_value(bloom), b64, B64_STD, &out->bloom,
		                  &out->bloom_len, NULL) != R1_OK)
			return r1_fail(why, R1_ERR_PROTO, "r1fs announce: bloom is not base64");
		size_t len = out->bloom_len;
		if (len < ANNOUNCE_BLOOM_MIN || len > ANNOUNCE_BLOOM_MAX || (len & (len - 1))) {
			announce_release(out);
			return r1_fail(why, R1_ERR_PROTO, "r1fs announce: a bloom of %zu bytes",
			               len);
		}
		out->bloom_k = (unsigned)json_integer_value(k);
	}
	out->hello = json_is_true(json_object_get(data, R1FS_K_HELLO));
	const json_t *recent = json_object_get(data, R1FS_K_RECENT);
	size_t i;
	const json_t *e;
	json_array_foreach(recent, i, e)
	{
		if (out->nrecent == ANNOUNCE_RECENT_MAX)
			break;
		const char *cid = json_string_value(json_array_get(e, 0));
		struct announce_pin *p = &out->recent[out->nrecent];
		struct r1fs_cid parsed;
		if (!json_is_array(e) || !cid || r1fs_cid_parse(cid, &parsed, NULL) != R1_OK ||
		    !get_u64(json_array_get(e, 1), &p->size) ||
		    !json_is_integer(json_array_get(e, 2))) {
			announce_release(out);
			return r1_fail(why, R1_ERR_PROTO,
			               "r1fs announce: recent entry %zu malformed", i);
		}
		r1fs_cid_format(&parsed, p->cid);
		p->created = (int64_t)json_integer_value(json_array_get(e, 2));
		out->nrecent++;
	}
	return R1_OK;
}

json_t *announce_build(const char *store, const struct r1fs_pin *pins, size_t npins, uint64_t used,
                       uint64_t quota, bool hello)
{
	size_t len = announce_bloom_size(npins);
	uint8_t *bloom = r1_calloc(1, len);
	json_t *recent = json_array();
	struct buf b64 = BUF_INIT;
	json_t *o = NULL;
	if (!bloom || !recent)
		goto out;
	for (size_t i = 0; i < npins; i++) {
		struct r1fs_cid cid;
		if (r1fs_cid_parse(pins[i].cid, &cid, NULL) == R1_OK)
			announce_bloom_add(bloom, len, ANNOUNCE_BLOOM_K, &cid);
	}
	for (size_t i = npins > ANNOUNCE_RECENT_MAX ? npins - ANNOUNCE_RECENT_MAX : 0; i < npins;
	     i++)
		json_array_append_new(recent,
		                      json_pack("[s,I,I]", pins[i].cid, (json_int_t)pins[i].size,
		                                (json_int_t)pins[i].created));
	base64_encode(&b64, bloom, len, B64_STD);
	if (!buf_ok(&b64))
		goto out;
	o = json_pack("{s:s,s:i,s:s,s:I,s:I,s:I,s:s%,s:i,s:O}", R1FS_K_OP, R1FS_OP_ANNOUNCE,
	              R1FS_K_VERSION, 1, R1FS_K_STORE, store, R1FS_K_PINS, (json_int_t)npins,
	              R1FS_K_USED, (json_int_t)used, R1FS_K_QUOTA, (json_int_t)quota, R1FS_K_BLOOM,
	              b64.data, b64.len, R1FS_K_BLOOM_K, (int)ANNOUNCE_BLOOM_K, R1FS_K_RECENT,
	              recent);
	if (o && hello)
		json_object_set_new(o, R1FS_K_HELLO, json_true());
out:
	json_decref(recent);
	buf_release(&b64);
	r1_free(bloom);
	return o;
}
