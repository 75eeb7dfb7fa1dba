/*
 * Growable byte buffer with a sticky out-of-memory flag (see buf.h).
 */
#include "core/buf.h"
#include "core/codec.h"
#include "core/xalloc.h"

void buf_init(struct buf *b)
{
	*b = (struct buf)BUF_INIT;
}

void buf_init_max(struct buf *b, size_t max)
{
	buf_init(b);
	b->max = max;
}

void buf_release(struct buf *b)
{
	r1_free(b->data);
	size_t max = b->max;
	buf_init(b);
	b->max = max;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->data)
		b->data[0] = '\0';
}

bool buf_reserve(struct buf *b, size_t extra)
{
	if (b->oom)
		return false;
	if (extra > SIZE_MAX - b->len - 1) {
		b->oom = true;
		return false;
	}
	size_t need = b->len + extra + 1;
	if (b->max && need > b->max + 1) {
		b->oom = true;
		return false;
	}
	if (need <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *p = r1_realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	b->data[b->len] = '\0';
	return true;
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_addc(struct buf *b, char c)
{
	if (b->len + 1 < b->cap && !b->oom) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return;
	}
	buf_add(b, &c, 1);
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	if (b->oom)
		return;
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if (!buf_reserve(b, (size_t)n))
		return;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_addhex(struct buf *b, const void *p, size_t n)
{
	if (n > SIZE_MAX / 2 || !buf_reserve(b, 2 * n))
		return;
	hex_format(b->data + b->len, p, n);
	b->len += 2 * n;
}

const char *buf_cstr(const struct buf *b)
{
	return b->data ? b->data : "";
}

char *buf_detach(struct buf *b, size_t *len)
{
	if (b->oom) {
		buf_release(b);
		if (len)
			*len = 0;
		return NULL;
	}
	char *p = b->data;
	if (!p)
		p = r1_strdup("");
	if (len)
		*len = b->len;
	size_t max = b->max;
	buf_init(b);
	b->max = max;
	return p;
}
