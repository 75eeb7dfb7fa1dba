#ifndef R1_CORE_SANITIZE_H
#define R1_CORE_SANITIZE_H
/*
 * Make text that came from the network safe to draw or print.
 *
 * Everything a node sends is hostile: an alias such as
 * "\e]0;pwned\a" + "evil" + "\e[2J" would retitle the operator's terminal and
 * clear it if it were printed as is.  Every string from the network passes
 * through here before it reaches the console's grid or the CLI's stdout.
 *
 * What is removed:
 *  - whole escape sequences, with their payload: CSI (ESC [ params final),
 *    the string commands OSC, DCS, SOS, PM, APC (ESC ] P X ^ _ ... up to BEL,
 *    ESC \ or ST), and two-byte forms ESC x (with intermediates, ESC ( B);
 *    the 8-bit introducers U+009B, U+009D, U+0090, U+0098, U+009E, U+009F
 *    are treated the same way; an unterminated string command runs to the
 *    end of the input, as it would on a terminal;
 *  - C0 controls, DEL and C1 controls (U+0080..U+009F);
 *  - bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069),
 *    which can make text display in an order other than the one it has.
 * What is replaced:
 *  - malformed UTF-8, by U+FFFD (one per maximal ill-formed subpart);
 *  - TAB, LF, VT, FF, CR, U+2028 and U+2029 by one space each, unless the
 *    flags keep newlines or tabs (for multi-line text such as messages).
 * Everything else, including combining marks and wide characters, is kept.
 */
#include "core/common.h"
#include "core/buf.h"

enum r1_sanitize_flags {
	R1_SANITIZE_KEEP_NEWLINES = 1 << 0, /* keep '\n' (CR still becomes a space) */
	R1_SANITIZE_KEEP_TABS = 1 << 1,	    /* keep '\t' */
};

/*
 * Append the sanitized form of s[0..len) to out.  Never fails by itself;
 * check buf_ok(out) for allocation failure, as with any buf append.
 */
void r1_sanitize_append(struct buf *out, const char *s, size_t len, unsigned flags);

/*
 * The sanitized form of s[0..len) as a new NUL-terminated string, which the
 * caller frees with r1_free().  Returns NULL only when allocation fails.
 */
char *r1_sanitize(const char *s, size_t len, unsigned flags);

/*
 * Sanitize into a fixed buffer: writes at most size-1 bytes, cut at a
 * code-point boundary, and a NUL (when size > 0).  Returns the length
 * written.  Used where a table cell or a log line has a fixed budget.
 */
size_t r1_sanitize_into(char *dst, size_t size, const char *s, size_t len, unsigned flags);

/*
 * True when r1_sanitize() would change s[0..len); lets a caller that keeps
 * strings (the model) skip a copy for the common clean case.
 */
bool r1_sanitize_needed(const char *s, size_t len, unsigned flags);

#endif
