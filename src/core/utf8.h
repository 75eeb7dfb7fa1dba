#ifndef R1_CORE_UTF8_H
#define R1_CORE_UTF8_H
/*
 * UTF-8 decoding and encoding, and display widths, shared by the console and
 * the CLI.  Nothing here allocates or fails: malformed input decodes to
 * U+FFFD, one maximal ill-formed subpart at a time (the Unicode
 * recommendation, so a stray byte never swallows the valid text after it).
 *
 * Widths follow the C library's wcwidth() for the current LC_CTYPE, because
 * ncursesw measures cells with the same function: if we disagreed with it,
 * the terminal and our grid would drift apart.  The program must therefore
 * call setlocale(LC_CTYPE, ...) first (tests use "C.UTF-8").  A printable
 * code point that wcwidth() does not know (unassigned, or a non-UTF-8
 * locale) counts as one column.
 */
#include "core/common.h"

#define R1_UTF8_REPLACEMENT 0xFFFDu
#define R1_UTF8_MAX 0x10FFFFu

/*
 * Decode one code point from s[0..len) into *cp.  Returns the number of bytes
 * consumed: 1..4 when len > 0, 0 when len == 0 (then *cp is 0).  Invalid,
 * overlong, surrogate and out-of-range sequences give *cp = U+FFFD.
 */
size_t r1_utf8_decode(const char *s, size_t len, uint32_t *cp);

/*
 * Encode cp into out (at least 4 bytes, not NUL-terminated); returns 1..4.
 * Surrogates and values above U+10FFFF are encoded as U+FFFD.
 */
size_t r1_utf8_encode(uint32_t cp, char *out);

/*
 * True when s[0..len) is well-formed UTF-8 (NUL bytes allowed): Python's
 * strict decoder, no overlong forms, surrogates or code points above
 * U+10FFFF.
 */
bool r1_utf8_valid(const void *s, size_t len);

/*
 * Length (2..4) of the well-formed UTF-8 sequence whose lead byte s[0] is
 * 0x80 or above, with `avail` bytes readable from s; 0 when it is not one.
 * Inline because parsers call it for every non-ASCII character.
 */
static inline size_t r1_utf8_seq_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF; /* range of the second byte */
	size_t n;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
	else
		return 0;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

/*
 * WTF-8: UTF-8 that may also hold lone surrogates (U+D800..U+DFFF encoded
 * as three bytes), which is how a Python str that holds them (json.loads of
 * "\ud800", os.fsdecode of a name that is not UTF-8) is kept as bytes.
 * Only for such Python-side text; the wire and the screen take strict UTF-8.
 *
 * r1_wtf8_decode: the code point of the sequence at s[0..len), *used its
 * length; -1 (and *used untouched) when malformed or len is 0.
 * r1_wtf8_encode: cp (at most U+10FFFF, surrogates allowed) into out (room
 * for 4 bytes, not NUL-terminated); returns 1..4.
 */
long r1_wtf8_decode(const char *s, size_t len, size_t *used);
size_t r1_wtf8_encode(uint32_t cp, char *out);

/*
 * Columns a code point takes on a terminal: 0 for combining and zero-width
 * marks, 2 for wide (CJK, most emoji), 1 otherwise; -1 for C0/C1 controls
 * and DEL, which must never reach a terminal (see sanitize.h).
 */
int r1_cp_width(uint32_t cp);

/*
 * Columns of the UTF-8 text s[0..len): the sum of r1_cp_width() with
 * controls counted as 0 and malformed bytes as 1 (they show as U+FFFD).
 */
size_t r1_utf8_width(const char *s, size_t len);

/* r1_utf8_width() of a NUL-terminated string; 0 for NULL. */
size_t r1_str_width(const char *s);

#endif
