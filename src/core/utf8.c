/*
 * UTF-8 decoding, encoding and display widths (see utf8.h).  This is the one
 * place that knows the byte rules of UTF-8; the sanitizer, the grid and the
 * CLI's column output all go through it.  It does not sanitize: deciding
 * which code points may reach a terminal is sanitize.c's job.
 */
#include "core/lib.h"
#include "core/utf8.h"

#include <wchar.h>

/*
 * Second-byte bounds for each lead byte (Unicode table 3-7): they exclude
 * overlong forms (E0, F0), surrogates (ED) and code points past U+10FFFF
 * (F4) without special cases in the loop.
 */
static void lead_info(uint8_t b, int *need, uint8_t *lo, uint8_t *hi, uint32_t *acc)
{
	*lo = 0x80;
	*hi = 0xBF;
	if (b >= 0xC2 && b <= 0xDF) {
		*need = 1;
		*acc = b & 0x1F;
	} else if (b >= 0xE0 && b <= 0xEF) {
		*need = 2;
		*acc = b & 0x0F;
		if (b == 0xE0)
			*lo = 0xA0;
		else if (b == 0xED)
			*hi = 0x9F;
	} else if (b >= 0xF0 && b <= 0xF4) {
		*need = 3;
		*acc = b & 0x07;
		if (b == 0xF0)
			*lo = 0x90;
		else if (b == 0xF4)
			*hi = 0x8F;
	} else {
		*need = -1;
		*acc = 0;
	}
}

size_t r1_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	if (len == 0) {
		*cp = 0;
		return 0;
	}
	const uint8_t *p = (const uint8_t *)s;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	int need;
	uint8_t lo, hi;
	uint32_t acc;
	lead_info(p[0], &need, &lo, &hi, &acc);
	if (need < 0) {
		*cp = R1_UTF8_REPLACEMENT;
		return 1;
	}
	size_t i = 1;
	for (int k = 0; k < need; k++, i++) {
		uint8_t l = k == 0 ? lo : 0x80, h = k == 0 ? hi : 0xBF;
		if (i >= len || p[i] < l || p[i] > h) {
			/* maximal subpart: the valid prefix is one U+FFFD */
			*cp = R1_UTF8_REPLACEMENT;
			return i;
		}
		acc = (acc << 6) | (p[i] & 0x3F);
	}
	*cp = acc;
	return i;
}

size_t r1_wtf8_encode(uint32_t cp, char *out)
{
	uint8_t *o = (uint8_t *)out;
	if (cp > R1_UTF8_MAX)
		cp = R1_UTF8_REPLACEMENT;
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xC0 | (cp >> 6));
		o[1] = (uint8_t)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xE0 | (cp >> 12));
		o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (uint8_t)(0xF0 | (cp >> 18));
	o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}

size_t r1_utf8_encode(uint32_t cp, char *out)
{
	if (cp >= 0xD800 && cp <= 0xDFFF)
		cp = R1_UTF8_REPLACEMENT;
	return r1_wtf8_encode(cp, out);
}

long r1_wtf8_decode(const char *s, size_t len, size_t *used)
{
	const uint8_t *p = (const uint8_t *)s;
	if (len == 0)
		return -1;
	if (p[0] < 0x80) {
		*used = 1;
		return p[0];
	}
	size_t n = r1_utf8_seq_len(p, len);
	/* a surrogate: ED A0..BF xx, which strict UTF-8 refuses */
	if (!n && p[0] == 0xED && len >= 3 && p[1] >= 0xA0 && p[1] <= 0xBF && (p[2] & 0xC0) == 0x80)
		n = 3;
	if (!n)
		return -1;
	long cp = p[0] & (0x7F >> n);
	for (size_t i = 1; i < n; i++)
		cp = (cp << 6) | (p[i] & 0x3F);
	*used = n;
	return cp;
}

bool r1_utf8_valid(const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t i = 0;
	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		size_t n = r1_utf8_seq_len(p + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

int r1_cp_width(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
		return -1;
	if (cp < 0x7F)
		return 1;
	int w = wcwidth((wchar_t)cp);
	if (w < 0)
		return 1;
	return w > 2 ? 2 : w;
}

size_t r1_utf8_width(const char *s, size_t len)
{
	size_t cols = 0, i = 0;
	while (i < len) {
		uint8_t b = (uint8_t)s[i];
		if (b >= 0x20 && b < 0x7F) {
			cols++;
			i++;
			continue;
		}
		uint32_t cp;
		i += r1_utf8_decode(s + i, len - i, &cp);
		int w = r1_cp_width(cp);
		if (w > 0)
			cols += (size_t)w;
	}
	return cols;
}

size_t r1_str_width(const char *s)
{
	return s ? r1_utf8_width(s, strlen(s)) : 0;
}
