/*
 * Greedy word wrapping by display width (see wrap.h).  Not a typesetter:
 * no hyphenation and no justification, just the break rules a terminal
 * message needs, applied one paragraph at a time.
 */
#include "tui/lib.h"
#include "tui/wrap.h"
#include "core/utf8.h"

static void emit(struct wrap_line *out, size_t max, size_t *n, const char *s, size_t off,
		 size_t end)
{
	while (end > off && s[end - 1] == ' ')
		end--;
	if (*n < max) {
		out[*n].off = off;
		out[*n].len = end - off;
		out[*n].width = (int)R1_MIN(r1_utf8_width(s + off, end - off), (size_t)INT_MAX);
	}
	(*n)++;
}

size_t text_wrap(const char *s, int width, struct wrap_line *out, size_t max)
{
	if (width < 1)
		width = 1;
	if (!s)
		s = "";
	size_t n = 0, len = strlen(s);
	size_t para = 0;
	do {
		const char *nl = memchr(s + para, '\n', len - para);
		size_t para_end = nl ? (size_t)(nl - s) : len;
		size_t start = para, i = para, brk = SIZE_MAX;
		int cols = 0;
		while (i < para_end) {
			uint32_t cp;
			size_t cl = r1_utf8_decode(s + i, para_end - i, &cp);
			int w = r1_cp_width(cp);
			if (w < 0)
				w = 1;
			if (cp == ' ')
				brk = i;
			if (cols + w > width && cp != ' ' && i > start) {
				size_t cut = brk != SIZE_MAX && brk > start ? brk : i;
				emit(out, max, &n, s, start, cut);
				start = cut;
				while (start < para_end && s[start] == ' ')
					start++;
				i = start;
				cols = 0;
				brk = SIZE_MAX;
				continue;
			}
			cols += w;
			i += cl;
		}
		emit(out, max, &n, s, start, para_end);
		para = para_end + 1;
	} while (para <= len && memchr(s + para - 1, '\n', 1));
	return n;
}
