/*
 * UnixFS Data messages and the dag-pb nodes built from them (see unixfs.h).
 * The writers mirror go-unixfs as kubo runs it: a leaf is {Type File, Data,
 * filesize}, an inner file node is {Type File, filesize, blocksizes...} with
 * one unnamed link per child, a directory is {Type Directory} with named
 * links.  This file knows nothing of chunking or tree shape (dagbuilder.c).
 */
#include "node/lib.h"
#include "node/r1fs/unixfs.h"

#include "node/r1fs/dagpb.h"
#include "node/r1fs/pb.h"

void unixfs_leaf_frame(size_t len, uint8_t hdr[UNIXFS_LEAF_HDR_MAX], size_t *hdr_len,
                       uint8_t trl[UNIXFS_LEAF_TRL_MAX], size_t *trl_len)
{
	/* UnixFS: 08 02 [12 len data] 18 len; an empty leaf has no Data field. */
	size_t inner = 2 + (len ? 1 + pb_varint_len(len) + len : 0) + 1 + pb_varint_len(len);
	uint8_t tmp[UNIXFS_LEAF_HDR_MAX];
	size_t n = 0;
	tmp[n++] = 0x0a; /* PBNode.Data */
	n += pb_put_varint(tmp + n, inner);
	tmp[n++] = 0x08; /* Type */
	tmp[n++] = UNIXFS_FILE;
	if (len) {
		tmp[n++] = 0x12; /* Data */
		n += pb_put_varint(tmp + n, len);
	}
	memcpy(hdr + UNIXFS_LEAF_HDR_MAX - n, tmp, n);
	*hdr_len = n;
	size_t t = 0;
	trl[t++] = 0x18; /* filesize */
	t += pb_put_varint(trl + t, len);
	*trl_len = t;
}

void unixfs_encode_file_node(const struct r1fs_cid *cids, const uint64_t *tsizes,
                             const uint64_t *filesizes, size_t n, struct buf *out)
{
	struct buf data = BUF_INIT;
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += filesizes[i];
	pb_add_uint(&data, 1, UNIXFS_FILE);
	pb_add_uint(&data, 3, total);
	for (size_t i = 0; i < n; i++)
		pb_add_uint(&data, 4, filesizes[i]);
	if (!buf_ok(&data)) {
		out->oom = true;
		buf_release(&data);
		return;
	}
	dagpb_encode(cids, NULL, tsizes, n, (const uint8_t *)data.data, data.len, out);
	buf_release(&data);
}

void unixfs_encode_dir(const struct r1fs_cid *cids, const char *const *names,
                       const uint64_t *tsizes, size_t n, struct buf *out)
{
	static const uint8_t dir_data[] = {0x08, UNIXFS_DIRECTORY};
	dagpb_encode(cids, names, tsizes, n, dir_data, sizeof(dir_data), out);
}

enum r1_err unixfs_parse(const uint8_t *msg, size_t len, struct unixfs_data *out, char **why)
{
	memset(out, 0, sizeof(*out));
	out->msg = msg;
	out->msg_len = len;
	const uint8_t *p = msg, *end = msg + len;
	bool has_type = false;
	while (p < end) {
		unsigned field;
		enum pb_wire wire;
		uint64_t value = 0;
		const uint8_t *data = NULL;
		size_t n = 0;
		if (!pb_next_field(&p, end, &field, &wire, &value, &data, &n))
			return r1_fail(why, R1_ERR_PROTO, "unixfs: malformed data");
		if (field == 1 && wire == PB_VARINT) {
			if (value > UNIXFS_HAMTSHARD)
				return r1_fail(why, R1_ERR_PROTO, "unixfs: unknown type %" PRIu64,
				               value);
			out->type = (enum unixfs_type)value;
			has_type = true;
		} else if (field == 2 && wire == PB_LEN) {
			out->data = data ? data : msg;
			out->data_len = n;
		} else if (field == 3 && wire == PB_VARINT) {
			out->filesize = value;
			out->has_filesize = true;
		} else if (field == 4 && wire == PB_VARINT) {
			out->nblocksizes++;
		} else if (field == 4 && wire == PB_LEN) {
			const uint8_t *q = data, *qend = data + n;
			while (q < qend) {
				uint64_t v;
				if (!pb_get_varint(&q, qend, &v))
					return r1_fail(why, R1_ERR_PROTO,
					               "unixfs: malformed packed blocksizes");
				out->nblocksizes++;
			}
		}
		/* Other fields (hashType, fanout, mode, mtime) are not ours to judge. */
	}
	if (!has_type)
		return r1_fail(why, R1_ERR_PROTO, "unixfs: data without a type");
	return R1_OK;
}

size_t unixfs_get_blocksizes(const struct unixfs_data *u, uint64_t *out, size_t max)
{
	const uint8_t *p = u->msg, *end = u->msg + u->msg_len;
	size_t count = 0;
	while (p < end && count < max) {
		unsigned field;
		enum pb_wire wire;
		uint64_t value = 0;
		const uint8_t *data = NULL;
		size_t n = 0;
		if (!pb_next_field(&p, end, &field, &wire, &value, &data, &n))
			break;
		if (field != 4)
			continue;
		if (wire == PB_VARINT) {
			out[count++] = value;
		} else if (wire == PB_LEN) {
			const uint8_t *q = data, *qend = data + n;
			while (q < qend && count < max && pb_get_varint(&q, qend, &out[count]))
				count++;
		}
	}
	return count;
}
