#ifndef R1_CORE_BUF_H
#define R1_CORE_BUF_H
/*
 * A growable byte buffer, always NUL-terminated after `len` bytes.
 *
 * Appending never returns an error: the first failed allocation sets `oom`
 * and every later append is ignored, so a builder appends freely and checks
 * buf_ok() once at the end (SQLite's StrAccum does the same).  A buffer may
 * also carry a cap: growing past `max` sets `oom` too (see buf_init_max).
 */
#include "core/common.h"

struct buf {
	char *data;	/* NULL until the first append; "" via buf_cstr() */
	size_t len;
	size_t cap;
	size_t max;	/* 0 = no cap */
	bool oom;	/* an append failed or would pass `max` */
};

#define BUF_INIT {NULL, 0, 0, 0, false}

void buf_init(struct buf *b);
void buf_init_max(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);		/* len = 0, keeps memory, clears oom */
bool buf_reserve(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_addc(struct buf *b, char c);
void buf_adds(struct buf *b, const char *s);
void buf_addf(struct buf *b, const char *fmt, ...) R1_PRINTF(2, 3);
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Append lowercase hex of n bytes. */
void buf_addhex(struct buf *b, const void *p, size_t n);
static inline bool buf_ok(const struct buf *b)
{
	return !b->oom;
}
/*
 * buf_add and buf_addc for hot loops (writers that run on every message):
 * the same effect, without a call while the buffer has room.
 */
static inline void buf_put(struct buf *b, const void *p, size_t n)
{
	if (!b->oom && n < b->cap - b->len) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return;
	}
	buf_add(b, p, n);
}
static inline void buf_putc(struct buf *b, char c)
{
	if (!b->oom && b->len + 1 < b->cap) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return;
	}
	buf_add(b, &c, 1);
}
/* The contents as a C string; "" when empty. */
const char *buf_cstr(const struct buf *b);
/*
 * Hand the memory to the caller (free with r1_free) and reset the buffer.
 * Returns NULL if the buffer is in the oom state; *len gets the length.
 */
char *buf_detach(struct buf *b, size_t *len);

#endif
