/*
 * Unit tests of core/utf8 and core/sanitize: decoding malformed UTF-8,
 * widths, and every escape form the sanitizer must remove from text that
 * came from the network.
 */
#include "core/lib.h"
#include "core/sanitize.h"
#include "core/utf8.h"
#include "tests/tap.h"

#include <locale.h>

/* Sanitize s (with explicit length) and compare with want. */
static void check(const char *s, size_t len, unsigned flags, const char *want, const char *name)
{
	char *got = r1_sanitize(s, len, flags);
	is_str(got, want, "%s", name);
	ok(r1_sanitize_needed(s, len, flags) == (strcmp(want, s) != 0 || strlen(s) != len),
	   "%s: sanitize_needed agrees", name);
	r1_free(got);
}

#define CHECK(s, want, name) check((s), sizeof(s) - 1, 0, (want), (name))

static void test_decode(void)
{
	uint32_t cp;
	is_int(r1_utf8_decode("", 0, &cp), 0, "decode: empty input consumes nothing");
	is_int(cp, 0, "decode: empty input gives 0");
	is_int(r1_utf8_decode("A", 1, &cp), 1, "decode: ASCII is one byte");
	is_int(cp, 'A', "decode: ASCII value");
	is_int(r1_utf8_decode("\xC3\xA9", 2, &cp), 2, "decode: 2-byte length");
	is_int(cp, 0xE9, "decode: e acute");
	is_int(r1_utf8_decode("\xE2\x82\xAC", 3, &cp), 3, "decode: 3-byte length");
	is_int(cp, 0x20AC, "decode: euro sign");
	is_int(r1_utf8_decode("\xF0\x9F\x98\x80", 4, &cp), 4, "decode: 4-byte length");
	is_int(cp, 0x1F600, "decode: emoji");
	is_int(r1_utf8_decode("\xC0\xAF", 2, &cp), 1, "decode: overlong C0 is one bad byte");
	is_int(cp, R1_UTF8_REPLACEMENT, "decode: overlong gives U+FFFD");
	is_int(r1_utf8_decode("\xE0\x80\x80", 3, &cp), 1, "decode: overlong E0 80 stops at 1");
	is_int(r1_utf8_decode("\xED\xA0\x80", 3, &cp), 1, "decode: surrogate rejected at byte 2");
	is_int(cp, R1_UTF8_REPLACEMENT, "decode: surrogate gives U+FFFD");
	is_int(r1_utf8_decode("\xF4\x90\x80\x80", 4, &cp), 1, "decode: above U+10FFFF rejected");
	is_int(r1_utf8_decode("\xE2\x82", 2, &cp), 2, "decode: truncated sequence is one subpart");
	is_int(cp, R1_UTF8_REPLACEMENT, "decode: truncated gives U+FFFD");
	is_int(r1_utf8_decode("\xE2\x82" "A", 3, &cp), 2, "decode: bad continuation stops before it");
	is_int(r1_utf8_decode("\x80", 1, &cp), 1, "decode: lone continuation byte");
	is_int(r1_utf8_decode("\xFF", 1, &cp), 1, "decode: 0xFF");
	is_int(cp, R1_UTF8_REPLACEMENT, "decode: 0xFF gives U+FFFD");

	char out[4];
	is_int(r1_utf8_encode(0x20AC, out), 3, "encode: euro is 3 bytes");
	is_mem(out, 3, "\xE2\x82\xAC", 3, "encode: euro bytes");
	is_int(r1_utf8_encode(0xD800, out), 3, "encode: surrogate becomes U+FFFD");
	is_mem(out, 3, "\xEF\xBF\xBD", 3, "encode: U+FFFD bytes");
	is_int(r1_utf8_encode(0x10FFFF, out), 4, "encode: U+10FFFF is 4 bytes");
	ok(r1_utf8_valid("caf\xC3\xA9 \xEF\xBF\xBD", 9), "valid: real U+FFFD is valid");
	ok(!r1_utf8_valid("a\xC3", 2), "valid: truncated is invalid");
	ok(r1_utf8_valid("", 0), "valid: empty");
	ok(r1_utf8_valid("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10), "valid: 1 to 4 bytes");
	ok(!r1_utf8_valid("\xe2\x82", 2) && !r1_utf8_valid("\x9c", 1) &&
	       !r1_utf8_valid("\xe0\x80\xaf", 3) && !r1_utf8_valid("\xc0\xaf", 2),
	   "valid: truncation, a stray continuation and overlongs are not");
	ok(r1_utf8_valid("a\0b", 3), "valid: NUL is allowed");
	ok(!r1_utf8_valid("\xED\xA0\x80", 3), "valid: an encoded surrogate is not");
	ok(!r1_utf8_valid("\xC0\x80", 2), "valid: overlong NUL is not");
	ok(!r1_utf8_valid("\xF4\x90\x80\x80", 4), "valid: above U+10FFFF is not");
	ok(r1_utf8_valid("\xF4\x8F\xBF\xBF", 4), "valid: U+10FFFF is");
	is_int(r1_utf8_seq_len((const unsigned char *)"\xE2\x82\xAC", 3), 3, "seq_len: euro");
	is_int(r1_utf8_seq_len((const unsigned char *)"\xE2\x82\xAC", 2), 0,
	       "seq_len: not enough bytes available");
	is_int(r1_utf8_seq_len((const unsigned char *)"\x80", 1), 0, "seq_len: continuation");
}

static void test_wtf8(void)
{
	size_t used = 99;
	is_int(r1_wtf8_decode("", 0, &used), -1, "wtf8: empty input is malformed");
	is_int(used, 99, "wtf8: and *used is untouched");
	is_int(r1_wtf8_decode("A", 1, &used), 'A', "wtf8: ASCII");
	is_int(used, 1, "wtf8: one byte");
	is_int(r1_wtf8_decode("\xF0\x9F\x98\x80", 4, &used), 0x1F600, "wtf8: emoji");
	is_int(used, 4, "wtf8: four bytes");
	is_int(r1_wtf8_decode("\xED\xA0\x80", 3, &used), 0xD800, "wtf8: a lone high surrogate");
	is_int(used, 3, "wtf8: three bytes");
	is_int(r1_wtf8_decode("\xED\xBF\xBF", 3, &used), 0xDFFF, "wtf8: the last low surrogate");
	is_int(r1_wtf8_decode("\xED\x9F\xBF", 3, &used), 0xD7FF, "wtf8: U+D7FF as UTF-8 has it");
	is_int(r1_wtf8_decode("\xED\xA0", 2, &used), -1, "wtf8: truncated surrogate");
	is_int(r1_wtf8_decode("\xC0\x80", 2, &used), -1, "wtf8: overlong refused");
	is_int(r1_wtf8_decode("\xF4\x90\x80\x80", 4, &used), -1, "wtf8: above U+10FFFF refused");
	is_int(r1_wtf8_decode("\xFF", 1, &used), -1, "wtf8: 0xFF refused");

	char out[4];
	is_int(r1_wtf8_encode(0xDC80, out), 3, "wtf8 encode: a surrogate is 3 bytes");
	is_mem(out, 3, "\xED\xB2\x80", 3, "wtf8 encode: U+DC80 bytes");
	is_int(r1_wtf8_encode(0x41, out), 1, "wtf8 encode: ASCII");
	is_int(r1_wtf8_encode(0x110000, out), 3, "wtf8 encode: past U+10FFFF becomes U+FFFD");
	is_mem(out, 3, "\xEF\xBF\xBD", 3, "wtf8 encode: U+FFFD bytes");
}

static void test_width(void)
{
	is_int(r1_cp_width('a'), 1, "width: ASCII");
	is_int(r1_cp_width(0x1B), -1, "width: ESC is a control");
	is_int(r1_cp_width(0x9B), -1, "width: C1 CSI is a control");
	is_int(r1_cp_width(0x7F), -1, "width: DEL is a control");
	is_int(r1_cp_width(0x4E2D), 2, "width: CJK is wide");
	is_int(r1_cp_width(0x0301), 0, "width: combining acute is 0");
	is_int(r1_utf8_width("abc", 3), 3, "width: plain string");
	is_int(r1_str_width("\xE4\xB8\xAD\xE6\x96\x87"), 4, "width: two CJK characters");
	is_int(r1_str_width("e\xCC\x81"), 1, "width: e + combining acute");
	is_int(r1_str_width("a\xFF" "b"), 3, "width: malformed byte counts one");
	is_int(r1_str_width("a\x1b" "b"), 2, "width: control counts zero");
	is_int(r1_str_width(NULL), 0, "width: NULL");
}

static void test_sanitize(void)
{
	CHECK("", "", "empty string");
	CHECK("node-01 \xE4\xB8\xAD caf\xC3\xA9", "node-01 \xE4\xB8\xAD caf\xC3\xA9",
	      "clean UTF-8 is unchanged");
	CHECK("\x1b]0;pwned\x07" "evil\x1b[2J", "evil", "the alias of the brief becomes 'evil'");
	CHECK("a\x1b[31mred\x1b[0m", "ared", "CSI colour sequences removed");
	CHECK("a\x1b[?1049h" "b", "ab", "CSI private mode removed");
	CHECK("a\x1b[1;2;3;4;5;6;7;8;9;10;11;12mb", "ab", "CSI with many parameters removed");
	CHECK("a\x1b[ q" "b", "ab", "CSI with an intermediate byte removed");
	CHECK("a\x1b]0;title\x1b\\b", "ab", "OSC ended by ST (ESC \\) removed");
	CHECK("a\x1b]8;;http://x\x07link\x1b]8;;\x07" "b", "alinkb", "OSC 8 hyperlink removed");
	CHECK("a\x1b]52;c;ZXZpbA==\x07" "b", "ab", "OSC 52 clipboard write removed");
	CHECK("a\x1b]0;never ends", "a", "unterminated OSC runs to the end");
	CHECK("a\x1bPq#0;2;0;0;0\x1b\\b", "ab", "DCS (sixel) removed");
	CHECK("a\x1b_apc\x1b\\b", "ab", "APC removed");
	CHECK("a\x1b^pm\x07" "b", "ab", "PM removed");
	CHECK("a\x1bXsos\x1b\\b", "ab", "SOS removed");
	CHECK("a\x1b]0;x\x1b[2Jb", "ab", "ESC inside OSC ends it and is removed too");
	CHECK("a\x1b" "7b\x1b" "8c", "abc", "two-byte ESC 7 / ESC 8 removed");
	CHECK("a\x1b" "cb", "ab", "ESC c (reset) removed");
	CHECK("a\x1b(Bb", "ab", "ESC ( B charset designation removed");
	CHECK("a\x1b#8b", "ab", "ESC # 8 (screen alignment) removed");
	CHECK("ab\x1b", "ab", "trailing lone ESC removed");
	CHECK("a\x1b\x1b[2Jb", "ab", "ESC ESC [ removed");
	CHECK("a\xC2\x9B" "2Jb", "ab", "8-bit CSI (U+009B) with its sequence removed");
	CHECK("a\xC2\x9D" "0;t\xC2\x9C" "b", "ab", "8-bit OSC ended by 8-bit ST removed");
	CHECK("a\xC2\x85" "b\xC2\x9F", "ab", "C1 NEL and APC introducer removed");
	CHECK("a\x07" "b\x08" "c\x00" "d\x7f" "e", "abcde", "BEL, BS, NUL, DEL removed");
	CHECK("a\tb\nc\rd\ve\ff", "a b c d e f", "whitespace controls become spaces");
	CHECK("x\xE2\x80\xAE" "abc\xE2\x80\xAC" "y", "xabcy", "RLO and PDF removed");
	CHECK("\xE2\x80\xAA\xE2\x80\xAB\xE2\x80\xAD" "z", "z", "LRE, RLE, LRO removed");
	CHECK("\xE2\x81\xA6" "a\xE2\x81\xA7" "b\xE2\x81\xA8" "c\xE2\x81\xA9", "abc",
	      "LRI, RLI, FSI, PDI removed");
	CHECK("a\xE2\x80\xA8" "b\xE2\x80\xA9" "c", "a b c", "line and paragraph separators become spaces");
	CHECK("a\xFF" "b", "a\xEF\xBF\xBD" "b", "invalid byte becomes U+FFFD");
	CHECK("a\xE2\x82" "b", "a\xEF\xBF\xBD" "b", "truncated sequence becomes one U+FFFD");
	CHECK("\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD",
	      "encoded surrogate becomes three U+FFFD");
	CHECK("\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD", "overlong slash becomes two U+FFFD");
	CHECK("e\xCC\x81", "e\xCC\x81", "combining mark kept");

	check("a\nb\tc", 5, R1_SANITIZE_KEEP_NEWLINES, "a\nb c", "newline kept on request");
	check("a\nb\tc", 5, R1_SANITIZE_KEEP_TABS, "a b\tc", "tab kept on request");
	check("a\0b", 3, 0, "ab", "embedded NUL removed (length given)");

	/* nothing that reaches a terminal can start a sequence */
	const char evil[] = "\x1b]0;pwned\x07" "evil\x1b[2J\xC2\x9B" "1m\x9b\x1b";
	char *out = r1_sanitize(evil, sizeof(evil) - 1, 0);
	bool clean = out != NULL;
	for (const unsigned char *p = (const unsigned char *)out; clean && *p; p++)
		clean = *p >= 0x20 && *p != 0x7F && !(p[0] == 0xC2 && p[1] >= 0x80 && p[1] < 0xA0);
	ok(clean, "no control byte or C1 code point survives");
	is_str(out, "evil\xEF\xBF\xBD", "mixed attack: the visible rest only");
	r1_free(out);
}

static void test_into(void)
{
	char small[6];
	is_int(r1_sanitize_into(small, sizeof(small), "abcdefgh", 8, 0), 5, "into: cut to fit");
	is_str(small, "abcde", "into: ASCII cut anywhere");
	is_int(r1_sanitize_into(small, sizeof(small), "ab\xE4\xB8\xAD\xE4\xB8\xAD", 8, 0), 5,
	       "into: one wide character fits");
	is_str(small, "ab\xE4\xB8\xAD", "into: never splits a character");
	is_int(r1_sanitize_into(small, sizeof(small), "\x1b[2Jxy", 6, 0), 2, "into: escapes removed");
	is_str(small, "xy", "into: escapes removed text");
	is_int(r1_sanitize_into(small, 0, "abc", 3, 0), 0, "into: zero-size buffer");
	is_int(r1_sanitize_into(small, 1, "abc", 3, 0), 0, "into: one byte holds the NUL");
	is_str(small, "", "into: empty result");

	struct buf b = BUF_INIT;
	buf_adds(&b, "alias=");
	r1_sanitize_append(&b, "x\x1b[1my", 6, 0);
	is_str(buf_cstr(&b), "alias=xy", "append: onto an existing buffer");
	buf_release(&b);

	r1_alloc_fail_after(0);
	char *s = r1_sanitize("abc", 3, 0);
	r1_alloc_fail_after(-1);
	ok(s == NULL, "sanitize: NULL when allocation fails");
}

int main(void)
{
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		tap_bail("the C.UTF-8 locale is missing");
	test_decode();
	test_wtf8();
	test_width();
	test_sanitize();
	test_into();
	return tap_done();
}
