#ifndef R1_TUI_SCREEN_CURSES_H
#define R1_TUI_SCREEN_CURSES_H
/*
 * The terminal: the thin backend that flushes a struct grid to ncursesw.
 *
 * It is the only file (with the input glue to come) that includes curses.
 * It owns the terminal from screen_open() to screen_close(): it switches
 * to the alternate screen, maps style roles to colour pairs from a theme,
 * writes only the cells that changed since the last flush, reads keys as
 * enum tui_key values, and puts the terminal back on close, at exit(),
 * and on a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT:
 * the handler restores the terminal, then hands the signal to whatever
 * handler was there before, so core dumps and sanitizer reports still
 * happen).  SIGINT, SIGTERM and SIGHUP are the event loop's to turn into a
 * clean shutdown, which ends in screen_close().
 *
 * Only one screen can be open at a time (the signal handler needs to find
 * it); a second screen_open() fails with R1_ERR_STATE.
 */
#include "core/common.h"
#include "core/err.h"
#include "tui/grid.h"
#include "tui/theme.h"

#include "tui/keys.h"

struct screen;

struct screen_opts {
	FILE *in, *out;	 /* the terminal; NULL = stdin, stdout */
	bool no_colour;	 /* NO_COLOR, --no-colour: ignore the terminal's colours */
	bool ascii;	 /* force ASCII glyphs even in a UTF-8 locale */
	bool mouse;	 /* report clicks and the wheel (TUI_KEY_MOUSE) */
};

/*
 * Take over the terminal.  Errors: R1_ERR_STATE (a screen is already open),
 * R1_ERR_IO (not a terminal, or unknown $TERM; *why says which).  The
 * locale must already be set (setlocale(LC_ALL, "")).
 */
enum r1_err screen_open(struct screen **out, const struct screen_opts *opts, char **why);
/* Give the terminal back as it was; NULLs *s.  Safe on NULL. */
void screen_close(struct screen **s);

/* Colours the terminal offers: 0 (none or no_colour), 8, 16, 256. */
int screen_colours(const struct screen *s);
/* Whether to draw with UTF-8 glyphs (a UTF-8 locale and not opts.ascii). */
bool screen_utf8(const struct screen *s);
/* The terminal size now. */
void screen_size(const struct screen *s, int *w, int *h);
/* The fd to poll for input. */
int screen_input_fd(const struct screen *s);

/*
 * Colour pairs and attributes for every role from t (copied).  The next
 * flush repaints everything.
 */
void screen_apply_theme(struct screen *s, const struct theme *t);
/* Repaint everything at the next flush (Ctrl-L, after a resize). */
void screen_invalidate(struct screen *s);

/*
 * Show g: write the cells that differ from the last flush, place the
 * cursor, refresh.  A grid of another size than the last repaints fully.
 * R1_ERR_NOMEM when the copy of the last frame cannot be resized.
 */
enum r1_err screen_flush(struct screen *s, const struct grid *g);
/* Cells written by the last flush (tests and benchmarks). */
size_t screen_last_flush_cells(const struct screen *s);

/*
 * The next key, waiting up to timeout_ms (0 = do not wait, < 0 = forever):
 * an enum tui_key value, or TUI_KEY_NONE when none came.  A terminal resize
 * gives TUI_KEY_RESIZE (and invalidates the screen).  ncurses catches
 * SIGWINCH itself unless the program installed a handler first; an event
 * loop that owns SIGWINCH calls screen_resized() instead.
 */
int screen_read_key(struct screen *s, int timeout_ms);

/*
 * The mouse event that the last TUI_KEY_MOUSE from screen_read_key stands
 * for.  false when there is none (or the mouse is off).
 */
bool screen_mouse(struct screen *s, struct tui_mouse *out);

/*
 * Tell curses the terminal changed size (asks the terminal, resizes curses'
 * screens, invalidates); for a loop that handles SIGWINCH itself.
 */
void screen_resized(struct screen *s);

#endif
