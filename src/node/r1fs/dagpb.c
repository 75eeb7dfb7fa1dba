/*
 * dag-pb nodes (see dagpb.h).  The encoder exists to reproduce kubo's bytes
 * exactly; the decoder exists to read blocks that came from disk or from a
 * peer, so it trusts nothing: every length is checked against the block,
 * links must carry a CID we support, and unknown fields are refused (the
 * dag-pb spec allows only Links = 2 and Data = 1).
 */
#include "node/lib.h"
#include "node/r1fs/dagpb.h"

#include "node/r1fs/pb.h"

void dagpb_encode(const struct r1fs_cid *cids, const char *const *names, const uint64_t *tsizes,
                  size_t nlinks, const uint8_t *data, size_t data_len, struct buf *out)
{
	for (size_t i = 0; i < nlinks; i++) {
		uint8_t cid[R1FS_CID_BIN_MAX];
		size_t cid_len = r1fs_cid_to_bytes(&cids[i], cid);
		const char *name = names && names[i] ? names[i] : "";
		size_t name_len = strlen(name);
		size_t inner = 1 + pb_varint_len(cid_len) + cid_len + 1 + pb_varint_len(name_len) +
		               name_len + 1 + pb_varint_len(tsizes[i]);
		pb_add_key(out, 2, PB_LEN);
		pb_add_varint(out, inner);
		pb_add_bytes(out, 1, cid, cid_len);
		pb_add_bytes(out, 2, name, name_len);
		pb_add_uint(out, 3, tsizes[i]);
	}
	if (data)
		pb_add_bytes(out, 1, data, data_len);
}

static enum r1_err decode_link(const uint8_t *p, size_t len, struct dagpb_link *link, char **why)
{
	const uint8_t *end = p + len;
	bool has_hash = false;
	memset(link, 0, sizeof(*link));
	while (p < end) {
		unsigned field;
		enum pb_wire wire;
		uint64_t value = 0;
		const uint8_t *data = NULL;
		size_t n = 0;
		if (!pb_next_field(&p, end, &field, &wire, &value, &data, &n))
			return r1_fail(why, R1_ERR_PROTO, "dag-pb: malformed link");
		if (field == 1 && wire == PB_LEN && !has_hash) {
			enum r1_err e = r1fs_cid_from_bytes(data, n, &link->cid, why);
			if (e) {
				r1_why_prefix(why, "dag-pb: link");
				return R1_ERR_PROTO;
			}
			has_hash = true;
		} else if (field == 2 && wire == PB_LEN && !link->name) {
			if (n > DAGPB_NAME_MAX)
				return r1_fail(why, R1_ERR_PROTO, "dag-pb: link name of %zu bytes",
				               n);
			link->name = (const char *)data;
			link->name_len = n;
		} else if (field == 3 && wire == PB_VARINT && !link->has_tsize) {
			link->tsize = value;
			link->has_tsize = true;
		} else {
			return r1_fail(why, R1_ERR_PROTO, "dag-pb: unexpected field %u in a link",
			               field);
		}
	}
	if (!has_hash)
		return r1_fail(why, R1_ERR_PROTO, "dag-pb: link without a hash");
	return R1_OK;
}

enum r1_err dagpb_decode(const uint8_t *block, size_t len, struct dagpb_node *out, char **why)
{
	memset(out, 0, sizeof(*out));
	if (len > R1FS_BLOCK_MAX)
		return r1_fail(why, R1_ERR_PROTO, "dag-pb: block of %zu bytes is too large", len);
	const uint8_t *p = block, *end = block + len;
	/* First pass: count links so the array is allocated once. */
	size_t count = 0;
	while (p < end) {
		unsigned field;
		enum pb_wire wire;
		uint64_t value;
		const uint8_t *data;
		size_t n;
		if (!pb_next_field(&p, end, &field, &wire, &value, &data, &n))
			return r1_fail(why, R1_ERR_PROTO, "dag-pb: malformed node");
		if (field == 2 && wire == PB_LEN)
			count++;
		else if (!(field == 1 && wire == PB_LEN))
			return r1_fail(why, R1_ERR_PROTO, "dag-pb: unexpected field %u in a node",
			               field);
	}
	if (count) {
		out->links = r1_calloc(count, sizeof(*out->links));
		if (!out->links)
			return r1_fail(why, R1_ERR_NOMEM, "dag-pb: out of memory");
	}
	bool has_data = false;
	p = block;
	while (p < end) {
		unsigned field;
		enum pb_wire wire;
		uint64_t value;
		const uint8_t *data = NULL;
		size_t n = 0;
		if (!pb_next_field(&p, end, &field, &wire, &value, &data, &n))
			break; /* cannot happen: the first pass read the same fields */
		if (field == 2) {
			if (has_data) {
				dagpb_node_release(out);
				return r1_fail(why, R1_ERR_PROTO, "dag-pb: a link after the data");
			}
			enum r1_err e = decode_link(data, n, &out->links[out->nlinks], why);
			if (e) {
				dagpb_node_release(out);
				return e;
			}
			out->nlinks++;
		} else {
			if (has_data) {
				dagpb_node_release(out);
				return r1_fail(why, R1_ERR_PROTO, "dag-pb: two data fields");
			}
			has_data = true;
			out->data = data ? data : block; /* zero-length data is still present */
			out->data_len = n;
		}
	}
	return R1_OK;
}

void dagpb_node_release(struct dagpb_node *node)
{
	r1_free(node->links);
	memset(node, 0, sizeof(*node));
}
