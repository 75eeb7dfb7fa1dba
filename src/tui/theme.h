#ifndef R1_TUI_THEME_H
#define R1_TUI_THEME_H
/*
 * Style roles and themes.
 *
 * Widgets and views never name colours: they draw in a role ("selected
 * row", "status: stale", "heat level 3") and the theme says what a role
 * looks like.  The curses backend turns each role into a colour pair.
 *
 * Theme files live in data/themes/NAME.theme:
 *
 *     # a comment, to the end of the line
 *     fallback = 16color            theme to use on a terminal with fewer
 *                                   colours than this one uses
 *     ROLE = FG [BG] [ATTR...]      e.g.  row_selected = black cyan bold
 *
 * FG and BG: default, black, red, green, yellow, blue, magenta, cyan, white,
 * bright-black (or grey) .. bright-white (colours 8-15), colourN / colorN or
 * a bare N for 0..255.  ATTR: bold, dim, underline, reverse, italic, blink
 * (separated by spaces or commas).  A role not set in the file looks like
 * its parent role (row_alt like row, row like default, ...); the role table
 * in theme.c names each parent.  Setting a role twice is an error, and so is
 * anything unknown: the parser reports the first bad line as
 * "theme light.theme:12: unknown colour 'pinkish'".
 *
 * The colours a theme needs (0, 8, 16 or 256) follow from the highest colour
 * number it uses.  theme_pick() walks the fallback chain until the theme fits
 * the terminal, then maps what is left down (256 -> 16 by nearest colour,
 * bright colours -> their normal ones in bold), and uses the built-in
 * monochrome theme on a terminal without colour.
 */
#include "core/common.h"
#include "core/err.h"

enum tui_role {
	TUI_ROLE_DEFAULT = 0,	  /* normal text and background */
	TUI_ROLE_TITLE,		  /* view title and breadcrumbs */
	TUI_ROLE_HEADER,	  /* the header bar at the top */
	TUI_ROLE_HEADER_LABEL,	  /* "online", "epoch" in the header */
	TUI_ROLE_HEADER_VALUE,	  /* the figures beside them */
	TUI_ROLE_BORDER,	  /* lines and boxes */
	TUI_ROLE_PANE_TITLE,	  /* a pane's title in its top edge */
	TUI_ROLE_PANE_TITLE_FOCUS, /* ... of the pane with the focus */
	TUI_ROLE_TABLE_HEADER,	  /* column titles */
	TUI_ROLE_TABLE_HEADER_SORT, /* the title of the sort column */
	TUI_ROLE_ROW,		  /* a table row */
	TUI_ROLE_ROW_ALT,	  /* every other row, when a theme stripes */
	TUI_ROLE_ROW_SELECTED,	  /* the selection bar */
	TUI_ROLE_ROW_MARKED,	  /* rows marked for a bulk action */
	TUI_ROLE_ROW_DIM,	  /* rows of lesser interest (offline nodes) */
	TUI_ROLE_GROUP,		  /* group heading rows (apps by app) */
	TUI_ROLE_STATUS_OK,
	TUI_ROLE_STATUS_WARN,
	TUI_ROLE_STATUS_ERROR,
	TUI_ROLE_STATUS_STALE,	  /* data older than it should be */
	TUI_ROLE_STATUS_INFO,
	TUI_ROLE_STATUSBAR,	  /* the status line */
	TUI_ROLE_KEYBAR,	  /* the key bar at the bottom */
	TUI_ROLE_KEYBAR_KEY,	  /* a key in it */
	TUI_ROLE_KEYBAR_LABEL,	  /* what the key does */
	TUI_ROLE_PROMPT,	  /* the ':' and '/' prompt line */
	TUI_ROLE_PROMPT_HINT,	  /* inline completion hint */
	TUI_ROLE_LABEL,		  /* form field labels */
	TUI_ROLE_LABEL_FOCUS,
	TUI_ROLE_INPUT,		  /* form field values */
	TUI_ROLE_INPUT_FOCUS,
	TUI_ROLE_INPUT_ERROR,	  /* a field's validation message */
	TUI_ROLE_DIALOG,
	TUI_ROLE_DIALOG_TITLE,
	TUI_ROLE_DIALOG_BUTTON,
	TUI_ROLE_DIALOG_BUTTON_FOCUS,
	TUI_ROLE_HELP_KEY,
	TUI_ROLE_HELP_TEXT,
	TUI_ROLE_SPARKLINE,
	TUI_ROLE_PROGRESS_DONE,
	TUI_ROLE_PROGRESS_TODO,
	TUI_ROLE_HEAT_NONE,	  /* no data for that epoch */
	TUI_ROLE_HEAT_0,	  /* availability 0 .. 20 % */
	TUI_ROLE_HEAT_1,
	TUI_ROLE_HEAT_2,
	TUI_ROLE_HEAT_3,
	TUI_ROLE_HEAT_4,	  /* availability 80 .. 100 % */
	TUI_ROLE__COUNT
};

#define THEME_COLOUR_DEFAULT (-1)

/* How one role looks. */
struct theme_style {
	int16_t fg, bg;	/* 0..255, or THEME_COLOUR_DEFAULT */
	uint16_t attr;	/* enum grid_attr */
};

struct theme {
	char name[64];
	char fallback[64];  /* "" = none */
	int colours;	    /* colours it needs: 0, 8, 16 or 256 */
	struct theme_style style[TUI_ROLE__COUNT];
};

/* The built-in monochrome theme (no colours, attributes only); never fails. */
void theme_init_mono(struct theme *t);

/*
 * Parse a theme file's text into *t.  `name` is the file's name for
 * messages and becomes t->name without a ".theme" ending.  Returns R1_OK,
 * or R1_ERR_INVAL with *why set to one line naming the first bad line
 * (t is then unspecified).
 */
enum r1_err theme_parse(struct theme *t, const char *name, const char *text, size_t len,
			char **why);

/* theme_parse() of a file; R1_ERR_IO (with the path and errno) if unreadable. */
enum r1_err theme_load(struct theme *t, const char *path, char **why);

/*
 * The theme `name` from directory `dir` made to fit a terminal with
 * `term_colours` colours (0 = none; pass 0 for NO_COLOR), following
 * fallbacks as described above.  `name` is a plain name ("light"), or a path
 * when it contains a '/'.  Errors are theme_load()'s for `name` itself and
 * R1_ERR_INVAL for an unsafe name; a broken fallback file is also reported.
 * On error *t holds the monochrome theme, so the caller can go on.
 */
enum r1_err theme_pick(struct theme *t, const char *dir, const char *name, int term_colours,
		       char **why);

/* Map colours down so that the theme needs at most `colours` (8, 16 or 256). */
void theme_reduce(struct theme *t, int colours);

/* The role's name in theme files ("row_selected"), NULL when out of range. */
const char *theme_role_name(enum tui_role role);
/* Look a role up by its file name; false when unknown. */
bool theme_role_lookup(const char *name, enum tui_role *out);

#endif
