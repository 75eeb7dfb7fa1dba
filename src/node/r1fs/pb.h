#ifndef R1_NODE_R1FS_PB_H
#define R1_NODE_R1FS_PB_H
/*
 * The few protobuf wire primitives that dag-pb and UnixFS need: varints,
 * field keys and length-delimited fields.  Readers are bounds-checked and
 * take hostile input; they never read past `end`.
 */
#include "core/common.h"
#include "core/buf.h"

enum pb_wire { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

static inline size_t pb_varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Write v at p (room for 10 bytes); returns the number of bytes. */
static inline size_t pb_put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static inline void pb_add_varint(struct buf *b, uint64_t v)
{
	uint8_t tmp[10];
	buf_add(b, tmp, pb_put_varint(tmp, v));
}

static inline void pb_add_key(struct buf *b, unsigned field, enum pb_wire wire)
{
	pb_add_varint(b, ((uint64_t)field << 3) | (unsigned)wire);
}

static inline void pb_add_bytes(struct buf *b, unsigned field, const void *p, size_t n)
{
	pb_add_key(b, field, PB_LEN);
	pb_add_varint(b, n);
	buf_add(b, p, n);
}

static inline void pb_add_uint(struct buf *b, unsigned field, uint64_t v)
{
	pb_add_key(b, field, PB_VARINT);
	pb_add_varint(b, v);
}

/* Read a varint at *p; false on truncation or more than 10 bytes. */
static inline bool pb_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 70; shift += 7) {
		if (*p >= end)
			return false;
		uint8_t byte = *(*p)++;
		if (shift == 63 && byte > 1)
			return false;
		v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/*
 * Read one field: its number and wire type, and for PB_LEN the payload
 * (*data, *len) or for PB_VARINT the value (*value).  Fixed-width fields are
 * skipped over (data points at them).  False on malformed input.
 */
static inline bool pb_next_field(const uint8_t **p, const uint8_t *end, unsigned *field,
                                 enum pb_wire *wire, uint64_t *value, const uint8_t **data,
                                 size_t *len)
{
	uint64_t key;
	if (!pb_get_varint(p, end, &key) || (key >> 3) == 0 || (key >> 3) > UINT32_MAX)
		return false;
	*field = (unsigned)(key >> 3);
	*wire = (enum pb_wire)(key & 7);
	switch (*wire) {
	case PB_VARINT:
		return pb_get_varint(p, end, value);
	case PB_LEN: {
		uint64_t n;
		if (!pb_get_varint(p, end, &n) || n > (uint64_t)(end - *p))
			return false;
		*data = *p;
		*len = (size_t)n;
		*p += n;
		return true;
	}
	case PB_I64:
	case PB_I32: {
		size_t n = *wire == PB_I64 ? 8 : 4;
		if ((size_t)(end - *p) < n)
			return false;
		*data = *p;
		*len = n;
		*p += n;
		return true;
	}
	}
	return false;
}

#endif
