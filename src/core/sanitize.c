/*
 * The sanitizer for text from the network (rules in sanitize.h).  One
 * scanner walks the input and hands clean pieces to a sink; the sink is a
 * struct buf, a fixed buffer, or a "would anything change?" probe.  It knows
 * terminal escape syntax only well enough to find where a sequence ends (the
 * ECMA-48 byte classes); it never interprets one.
 */
#include "core/lib.h"
#include "core/sanitize.h"
#include "core/utf8.h"

#define ESC 0x1B
#define BEL 0x07
#define CAN 0x18
#define SUB 0x1A

struct sink {
	struct buf *buf; /* append here, or */
	char *dst;	 /* into this fixed buffer of `size` bytes */
	size_t size;
	size_t used;
	bool full;	 /* the fixed buffer ran out: stop */
	bool probe;	 /* only find out whether anything changes */
	bool changed;
};

/* `splittable`: the piece is plain ASCII and may be cut anywhere. */
static void emit(struct sink *k, const char *p, size_t n, bool splittable)
{
	if (k->buf) {
		buf_add(k->buf, p, n);
		return;
	}
	if (!k->dst || k->full)
		return;
	size_t room = k->size - 1 - k->used;
	if (n > room) {
		k->full = true;
		if (!splittable)
			return;
		n = room;
	}
	memcpy(k->dst + k->used, p, n);
	k->used += n;
}

static bool stop(const struct sink *k)
{
	return k->full || (k->probe && k->changed);
}

/* After "ESC [" (or U+009B): parameter and intermediate bytes, then one final byte. */
static size_t skip_csi(const uint8_t *s, size_t len, size_t j)
{
	while (j < len && s[j] >= 0x20 && s[j] <= 0x3F)
		j++;
	if (j < len && s[j] >= 0x40 && s[j] <= 0x7E)
		j++;
	return j;
}

/*
 * After "ESC ]" (or ESC P, X, ^, _ and their 8-bit forms): a string that
 * ends at BEL, ST (ESC \ or U+009C), or is cancelled by CAN or SUB.  A
 * different ESC ends it without being consumed: it starts the next
 * sequence, which the scanner removes in its turn.
 */
static size_t skip_string(const uint8_t *s, size_t len, size_t j)
{
	while (j < len) {
		uint8_t c = s[j];
		if (c == BEL || c == CAN || c == SUB)
			return j + 1;
		if (c == ESC)
			return (j + 1 < len && s[j + 1] == '\\') ? j + 2 : j;
		if (c == 0xC2 && j + 1 < len && s[j + 1] == 0x9C)
			return j + 2;
		j++;
	}
	return len;
}

/* At an ESC: the index just past the whole sequence it starts. */
static size_t skip_escape(const uint8_t *s, size_t len, size_t i)
{
	size_t j = i + 1;
	if (j >= len)
		return j;
	uint8_t c = s[j];
	if (c == '[')
		return skip_csi(s, len, j + 1);
	if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_')
		return skip_string(s, len, j + 1);
	if (c >= 0x20 && c <= 0x2F) {
		while (j < len && s[j] >= 0x20 && s[j] <= 0x2F)
			j++;
		if (j < len && s[j] >= 0x30 && s[j] <= 0x7E)
			j++;
		return j;
	}
	if (c >= 0x30 && c <= 0x7E)
		return j + 1;
	return j; /* a lone ESC: only it goes */
}

static bool is_bidi_control(uint32_t cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static void scan(struct sink *k, const char *text, size_t len, unsigned flags)
{
	const uint8_t *s = (const uint8_t *)text;
	size_t i = 0;
	while (i < len && !stop(k)) {
		uint8_t b = s[i];
		if (b >= 0x20 && b < 0x7F) {
			size_t j = i + 1;
			while (j < len && s[j] >= 0x20 && s[j] < 0x7F)
				j++;
			emit(k, text + i, j - i, true);
			i = j;
			continue;
		}
		if (b < 0x80) {
			if (b == ESC) {
				i = skip_escape(s, len, i);
			} else if (b == '\n' && (flags & R1_SANITIZE_KEEP_NEWLINES)) {
				emit(k, "\n", 1, true);
				i++;
				continue;
			} else if (b == '\t' && (flags & R1_SANITIZE_KEEP_TABS)) {
				emit(k, "\t", 1, true);
				i++;
				continue;
			} else if (b == '\t' || b == '\n' || b == '\v' || b == '\f' || b == '\r') {
				emit(k, " ", 1, true);
				i++;
			} else {
				i++; /* other C0 controls and DEL */
			}
			k->changed = true;
			continue;
		}
		uint32_t cp;
		size_t n = r1_utf8_decode(text + i, len - i, &cp);
		bool genuine = n == 3 && memcmp(s + i, "\xEF\xBF\xBD", 3) == 0;
		if (cp == R1_UTF8_REPLACEMENT && !genuine) {
			emit(k, "\xEF\xBF\xBD", 3, false);
			k->changed = true;
		} else if (cp >= 0x80 && cp <= 0x9F) {
			k->changed = true;
			if (cp == 0x9B) {
				i = skip_csi(s, len, i + n);
				continue;
			}
			if (cp == 0x90 || cp == 0x98 || cp == 0x9D || cp == 0x9E || cp == 0x9F) {
				i = skip_string(s, len, i + n);
				continue;
			}
		} else if (is_bidi_control(cp)) {
			k->changed = true;
		} else if (cp == 0x2028 || cp == 0x2029) {
			emit(k, " ", 1, true);
			k->changed = true;
		} else {
			emit(k, text + i, n, false);
		}
		i += n;
	}
}

void r1_sanitize_append(struct buf *out, const char *s, size_t len, unsigned flags)
{
	struct sink k = {.buf = out};
	scan(&k, s, len, flags);
}

char *r1_sanitize(const char *s, size_t len, unsigned flags)
{
	struct buf b = BUF_INIT;
	r1_sanitize_append(&b, s, len, flags);
	return buf_detach(&b, NULL); /* NULL when an append failed */
}

size_t r1_sanitize_into(char *dst, size_t size, const char *s, size_t len, unsigned flags)
{
	if (size == 0)
		return 0;
	struct sink k = {.dst = dst, .size = size};
	scan(&k, s, len, flags);
	dst[k.used] = '\0';
	return k.used;
}

bool r1_sanitize_needed(const char *s, size_t len, unsigned flags)
{
	struct sink k = {.probe = true};
	scan(&k, s, len, flags);
	return k.changed;
}
