#ifndef R1_TUI_WRAP_H
#define R1_TUI_WRAP_H
/*
 * Word wrapping by display width, for dialogs, help text and detail panes.
 * The result is a list of byte spans into the caller's string, so nothing
 * is copied and nothing is allocated.
 */
#include "core/common.h"

struct wrap_line {
	size_t off, len; /* bytes of the source string */
	int width;	 /* columns those bytes take */
};

/*
 * Break s into lines of at most `width` columns: at '\n', and at spaces
 * when a line is full (a word longer than a line is cut).  Spaces at a
 * wrap point are dropped.  Stores up to `max` lines in out (which may be
 * NULL when max is 0) and returns how many lines the text needs, so a
 * caller can size a dialog first.  width < 1 is treated as 1.
 */
size_t text_wrap(const char *s, int width, struct wrap_line *out, size_t max);

#endif
