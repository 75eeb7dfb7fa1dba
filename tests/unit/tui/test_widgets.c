/*
 * Unit tests of the smaller widgets and helpers: word wrap, key names and
 * keymaps, sparkline and progress bar, dialog, status bar, key bar, help
 * overlay and heatmap, each drawn into a grid and compared as text (at
 * 80x24 and 200x50 where it has a layout of its own).
 */
#include "tui/lib.h"
#include "tui/keymap.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "tui/wrap.h"
#include "tui/widgets/bars.h"
#include "tui/widgets/dialog.h"
#include "tui/widgets/heatmap.h"
#include "tui/widgets/help.h"
#include "tui/widgets/sparkline.h"
#include "tui/widgets/textview.h"
#include "tests/tap.h"
#include "tests/unit/tui/tui_check.h"

#include <math.h>

static char *wrapped(const char *s, int width)
{
	struct wrap_line lines[32];
	size_t n = text_wrap(s, width, lines, 32);
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n && i < 32; i++)
		buf_addf(&b, "%.*s|", (int)lines[i].len, s + lines[i].off);
	return buf_detach(&b, NULL);
}

static void check_wrap(const char *s, int width, const char *want, const char *name)
{
	char *got = wrapped(s, width);
	is_str(got, want, "wrap: %s", name);
	r1_free(got);
}

static void test_wrap(void)
{
	check_wrap("", 10, "|", "empty text is one empty line");
	check_wrap(NULL, 10, "|", "NULL text is one empty line");
	check_wrap("short", 10, "short|", "fits");
	check_wrap("one two three four", 9, "one two|three|four|", "breaks at spaces");
	check_wrap("one two three four", 13, "one two three|four|", "spaces at the break are dropped");
	check_wrap("abcdefghijkl", 5, "abcde|fghij|kl|", "a long word is cut");
	check_wrap("a\nb\n\nc", 10, "a|b||c|", "newlines break, blank lines stay");
	check_wrap("\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD", 4, "\xE4\xB8\xAD\xE4\xB8\xAD|\xE4\xB8\xAD|",
		   "wide characters measured by width");
	check_wrap("x", 0, "x|", "width 0 is treated as 1");
	struct wrap_line one;
	is_int(text_wrap("aa bb cc dd", 2, &one, 1), 4, "the line count is returned even when out is short");
	is_int(one.width, 2, "line width in columns");
}

static unsigned act_quit(void *ctx)
{
	(*(int *)ctx) |= 1;
	return TUI_QUIT;
}

static unsigned act_restart(void *ctx)
{
	(*(int *)ctx) |= 2;
	return TUI_REDRAW;
}

static const struct keymap_entry view_keys[] = {
	{TUI_KEY_ENTER, N_("Open"), N_("Open the selected node"), KEYMAP_BAR, NULL},
	{'r', N_("Restart"), N_("Restart the selected node"), KEYMAP_BAR | KEYMAP_WRITES, act_restart},
	{'/', N_("Filter"), N_("Filter the rows"), KEYMAP_BAR, NULL},
	{TUI_KEY_CTRL('d'), N_("Delete"), N_("Close the pipeline"), KEYMAP_WRITES, NULL},
	{'l', NULL, N_("Show the node's log"), 0, NULL},
	{TUI_KEY_F(5), N_("Refresh"), N_("Request a full heartbeat"), KEYMAP_BAR, NULL},
};
static const struct keymap_entry global_keys[] = {
	{':', N_("Command"), N_("Open the command line"), KEYMAP_BAR, NULL},
	{'?', N_("Help"), N_("Show this help"), KEYMAP_BAR, NULL},
	{'q', N_("Quit"), N_("Quit r1console"), KEYMAP_BAR, act_quit},
	{TUI_KEY_CTRL('c'), NULL, N_("Quit r1console"), KEYMAP_NO_HELP, act_quit},
	{TUI_KEY_ESC, N_("Back"), N_("Go back"), 0, NULL},
};

static void test_keys(void)
{
	char b[32];
	is_str(tui_key_label(TUI_KEY_ENTER, b, sizeof(b)), "Enter", "Enter");
	is_str(tui_key_label(TUI_KEY_ESC, b, sizeof(b)), "Esc", "Esc");
	is_str(tui_key_label(TUI_KEY_TAB, b, sizeof(b)), "Tab", "Tab");
	is_str(tui_key_label(' ', b, sizeof(b)), "Space", "Space");
	is_str(tui_key_label(TUI_KEY_CTRL('u'), b, sizeof(b)), "^U", "Ctrl-U");
	is_str(tui_key_label(TUI_KEY_F(5), b, sizeof(b)), "F5", "F5");
	is_str(tui_key_label(TUI_KEY_PGDN, b, sizeof(b)), "PgDn", "PgDn");
	is_str(tui_key_label(TUI_KEY_BTAB, b, sizeof(b)), "S-Tab", "Shift-Tab");
	is_str(tui_key_label('q', b, sizeof(b)), "q", "a letter");
	is_str(tui_key_label(0x00E9, b, sizeof(b)), "\xC3\xA9", "a non-ASCII letter");
	is_str(tui_key_label(0x9B, b, sizeof(b)), "?", "a C1 control has no name");
	is_str(tui_key_label(TUI_KEY_ENTER, b, 3), "En", "cut to the buffer");
	ok(tui_key_printable('a') && !tui_key_printable(27) && !tui_key_printable(0x85) &&
		   !tui_key_printable(TUI_KEY_UP) && !tui_key_printable(0xD800),
	   "printable keys");

	int hit = 0;
	size_t n = R1_ARRAY_LEN(view_keys);
	ok(keymap_find(view_keys, n, 'r', false) == &view_keys[1], "find a key");
	ok(keymap_find(view_keys, n, 'r', true) == NULL, "read-only mode hides writing keys");
	ok(keymap_find(view_keys, n, 'z', false) == NULL, "unknown key");
	is_int(keymap_dispatch(view_keys, n, 'r', false, &hit), TUI_REDRAW | TUI_CONSUMED,
	       "dispatch runs the action");
	is_int(hit, 2, "the action got the context");
	hit = 0;
	is_int(keymap_dispatch(view_keys, n, 'r', true, &hit), TUI_IGNORED,
	       "read-only: a writing action is refused");
	is_int(hit, 0, "... and not run");
	is_int(keymap_dispatch(view_keys, n, '/', false, &hit), TUI_IGNORED,
	       "an entry without a function is not handled here");
}

static void test_sparkline(void)
{
	struct grid g;
	tui_grid(&g, 20, 8, false);
	struct grid_area a = grid_whole(&g);
	double ramp[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	sparkline_draw(a, 0, 0, 8, ramp, 8, 0, 7, 0);
	sparkline_draw(a, 0, 1, 12, ramp, 8, NAN, NAN, 0);
	double gaps[5] = {1, NAN, 3, NAN, 5};
	sparkline_draw(a, 0, 2, 5, gaps, 5, 0, 5, 0);
	double flat[4] = {4, 4, 4, 4};
	sparkline_draw(a, 0, 3, 4, flat, 4, NAN, NAN, 0);
	sparkline_draw(a, 0, 4, 3, ramp, 8, 0, 7, 0);
	sparkline_draw(a, 0, 5, 4, ramp, 0, 0, 7, 0);
	double clipped[3] = {-5, 50, 200};
	sparkline_draw(a, 0, 6, 3, clipped, 3, 0, 100, 0);
	is_screen(&g,
		  "▁▂▃▄▅▆▇█\n"
		  "    ▁▂▃▄▅▆▇█\n"
		  "▂ ▅ █\n"
		  "▁▁▁▁\n"
		  "▆▇█\n"
		  "\n"
		  "▁▅█\n"
		  "\n",
		  "sparklines: ramp, right-aligned, gaps, flat, newest only, empty, clamped");
	is_int(sparkline_level(NAN, 0, 1), -1, "NaN has no level");
	is_int(sparkline_level(0.5, 0, 1), 4, "middle level");
	grid_release(&g);

	tui_grid(&g, 20, 1, true);
	a = grid_whole(&g);
	sparkline_draw(a, 0, 0, 8, ramp, 8, 0, 7, 0);
	is_screen(&g, "_.-:=+*#\n", "ASCII sparkline");
	grid_release(&g);

	tui_grid(&g, 20, 6, false);
	a = grid_whole(&g);
	progress_draw(a, 0, 0, 20, 0.5, NULL);
	progress_draw(a, 0, 1, 20, 0, NULL);
	progress_draw(a, 0, 2, 20, 1, NULL);
	progress_draw(a, 0, 3, 20, 0.1, "3/30");
	progress_draw(a, 0, 4, 6, 2.0, NULL);
	progress_draw(a, 0, 5, 20, NAN, NULL);
	is_screen(&g,
		  "███████▌░░░░░░░  50%\n"
		  "░░░░░░░░░░░░░░░   0%\n"
		  "███████████████ 100%\n"
		  "█▌░░░░░░░░░░░░░ 3/30\n"
		  "██████\n"
		  "░░░░░░░░░░░░░░░   0%\n",
		  "progress bars: half, empty, full, own text, no room for text, NaN");
	is_int(grid_cell_at(&g, 0, 0)->role, TUI_ROLE_PROGRESS_DONE, "done part role");
	is_int(grid_cell_at(&g, 10, 0)->role, TUI_ROLE_PROGRESS_TODO, "remaining part role");
	grid_release(&g);

	tui_grid(&g, 20, 2, true);
	a = grid_whole(&g);
	progress_draw(a, 0, 0, 20, 0.5, NULL);
	progress_draw(a, 0, 1, 2, 0.5, NULL);
	is_screen(&g, "[######-------]  50%\n##\n", "ASCII progress bars");
	grid_release(&g);
}

static const char restart_msg[] =
	"Send RESTART to node-07 (0xai_AhnbAzpLDqTqQ4pWh5tXjdgfB4qzQ9kM0n7nN3hPVC8W)? "
	"The node stops its pipelines and is unavailable for about a minute.";

static void test_dialog(void)
{
	struct dialog *d = dialog_confirm("Restart node-07", restart_msg, true);
	struct grid g;
	tui_grid(&g, 80, 24, false);
	dialog_draw(d, grid_whole(&g));
	is_screen(&g,
		  "\n\n\n\n\n\n\n"
		  "    ┌─ Restart node-07 ────────────────────────────────────────────────────┐\n"
		  "    │                                                                      │\n"
		  "    │ Send RESTART to node-07                                              │\n"
		  "    │ (0xai_AhnbAzpLDqTqQ4pWh5tXjdgfB4qzQ9kM0n7nN3hPVC8W)? The node stops  │\n"
		  "    │ its pipelines and is unavailable for about a minute.                 │\n"
		  "    │                                                                      │\n"
		  "    │                           [ Yes ]  [ No ]                            │\n"
		  "    │                                                                      │\n"
		  "    └──────────────────────────────────────────────────────────────────────┘\n"
		  "\n\n\n\n\n\n\n\n",
		  "80x24: a confirmation, centred, 72 wide, wrapped message");
	is_int(grid_cell_at(&g, 7, 7)->role, TUI_ROLE_STATUS_WARN, "a dangerous title in the warning role");
	is_int(grid_cell_at(&g, 41, 13)->role, TUI_ROLE_DIALOG_BUTTON_FOCUS, "No has the focus");
	grid_release(&g);

	tui_grid(&g, 200, 50, false);
	dialog_draw(d, grid_whole(&g));
	is_str(tui_row(&g, 19), "", "200x50: nothing above the box");
	ok(strncmp(tui_row(&g, 20), "                                                                "
				    "┌─ Restart node-07 ─", 64 + 21) == 0,
	   "200x50: box centred (x 64, y 20)");
	is_str(tui_row(&g, 24) + 64,
	       "│ its pipelines and is unavailable for about a minute.                 │",
	       "200x50: the same 72-wide box");
	is_str(tui_row(&g, 29), "", "200x50: nothing below the box");
	grid_release(&g);

	is_int(dialog_key(d, TUI_KEY_LEFT), TUI_CONSUMED | TUI_REDRAW, "Left moves the focus");
	is_int(d->focus, 0, "focus on Yes");
	is_int(dialog_key(d, TUI_KEY_ENTER), TUI_CONSUMED | TUI_SUBMIT, "Enter chooses");
	is_int(d->chosen, 0, "Yes chosen");
	is_int(dialog_key(d, TUI_KEY_ESC), TUI_CONSUMED | TUI_CANCEL, "Esc cancels");
	is_int(d->chosen, 1, "Esc chose No");
	is_int(dialog_key(d, 'y'), TUI_CONSUMED | TUI_SUBMIT, "first letter chooses");
	is_int(d->chosen, 0, "'y' chose Yes");
	is_int(dialog_key(d, 'N'), TUI_CONSUMED | TUI_CANCEL, "the cancel button by letter cancels");
	is_int(dialog_key(d, 'z'), TUI_CONSUMED, "other keys are swallowed (modal)");
	dialog_key(d, TUI_KEY_TAB);
	dialog_key(d, TUI_KEY_TAB);
	is_int(d->focus, 1, "Tab wraps");
	dialog_free(&d);
	ok(d == NULL, "free NULLs");

	const char *three[] = {"Apply", "Apply all", "Cancel"};
	ok(dialog_new("t", "m", three, 0, 0, 0) == NULL, "no buttons refused");
	d = dialog_new("Config", "Short.", three, 3, 2, 2);
	tui_grid(&g, 40, 8, false);
	dialog_draw(d, grid_whole(&g));
	is_screen(&g,
		  " ┌─ Config ───────────────────────────┐\n"
		  " │                                    │\n"
		  " │ Short.                             │\n"
		  " │                                    │\n"
		  " │[ Apply ]  [ Apply all ]  [ Cancel ]│\n"
		  " │                                    │\n"
		  " └────────────────────────────────────┘\n"
		  "\n",
		  "a short message: the box fits its buttons, within the screen");
	grid_release(&g);

	/* a long message on a small screen scrolls */
	tui_grid(&g, 40, 9, false);
	dialog_draw(d, grid_whole(&g));
	dialog_free(&d);
	d = dialog_confirm("Long", restart_msg, false);
	grid_clear(&g, 0);
	dialog_draw(d, grid_whole(&g));
	is_str(tui_row(&g, 2), " │ Send RESTART to node-07            │",
	       "small screen: three message lines fit");
	is_str(tui_row(&g, 4), " │ Q9kM0n7nN3hPVC8W)? The node stops \xE2\x80\xA6│",
	       "small screen: a marker says there is more");
	dialog_key(d, TUI_KEY_DOWN);
	dialog_key(d, TUI_KEY_DOWN);
	dialog_key(d, TUI_KEY_DOWN);
	grid_clear(&g, 0);
	dialog_draw(d, grid_whole(&g));
	is_str(tui_row(&g, 2), " │ Q9kM0n7nN3hPVC8W)? The node stops  │",
	       "Down scrolls to the end (and no further)");
	is_str(tui_row(&g, 4), " │ for about a minute.                │", "the end: no marker");
	grid_release(&g);
	dialog_free(&d);
}

static void test_bars(void)
{
	struct grid g;
	tui_grid(&g, 80, 24, false);
	struct grid_area a = grid_whole(&g);
	struct statusbar sb;
	statusbar_init(&sb);
	statusbar_set(&sb, "nodes 12/15 online", "mqtt://broker:1883  epoch 412  4h12m left");
	statusbar_draw(&sb, a, 22, 1000);
	keybar_draw(a, 23, (const struct keymap_entry *[]){view_keys, global_keys},
		    (const size_t[]){R1_ARRAY_LEN(view_keys), R1_ARRAY_LEN(global_keys)}, 2, false);
	is_str(tui_row(&g, 22),
	       "nodes 12/15 online                      mqtt://broker:1883  epoch 412  4h12m le\xE2\x80\xA6",
	       "80x24: status bar, the right part gets at most half the width");
	is_str(tui_row(&g, 23), "Enter Open  r Restart  / Filter  F5 Refresh  : Command  ? Help  q Quit",
	       "80x24: key bar from the keymaps, bar entries only");
	is_int(grid_cell_at(&g, 0, 23)->role, TUI_ROLE_KEYBAR_KEY, "keys in the key role");
	is_int(grid_cell_at(&g, 6, 23)->role, TUI_ROLE_KEYBAR_LABEL, "labels in the label role");
	is_int(grid_cell_at(&g, 79, 23)->role, TUI_ROLE_KEYBAR, "the rest of the bar");

	statusbar_message(&sb, TUI_ROLE_STATUS_OK, "restart sent to node-07", 5000);
	ok(statusbar_has_message(&sb, 4999), "message showing before its deadline");
	ok(!statusbar_has_message(&sb, 5000), "... gone at it");
	statusbar_draw(&sb, a, 22, 2000);
	is_str(tui_row(&g, 22),
	       "restart sent to node-07                 mqtt://broker:1883  epoch 412  4h12m le\xE2\x80\xA6",
	       "a message replaces the left text");
	is_int(grid_cell_at(&g, 0, 22)->role, TUI_ROLE_STATUS_OK, "in its role");
	statusbar_draw(&sb, a, 22, 6000);
	ok(strncmp(tui_row(&g, 22), "nodes 12/15", 11) == 0, "expired: the left text is back");
	statusbar_message(&sb, TUI_ROLE_STATUS_ERROR, "broker unreachable", 0);
	ok(statusbar_has_message(&sb, INT64_MAX), "deadline 0: until replaced");
	statusbar_message(&sb, 0, NULL, 0);
	ok(!statusbar_has_message(&sb, 0), "NULL clears");

	keybar_draw(a, 23, (const struct keymap_entry *[]){view_keys, global_keys},
		    (const size_t[]){R1_ARRAY_LEN(view_keys), R1_ARRAY_LEN(global_keys)}, 2, true);
	is_str(tui_row(&g, 23), "Enter Open  / Filter  F5 Refresh  : Command  ? Help  q Quit",
	       "read-only: writing actions leave the key bar");
	struct grid_area narrow = grid_sub(a, 0, 0, 30, 24);
	keybar_draw(narrow, 0, (const struct keymap_entry *[]){view_keys},
		    (const size_t[]){R1_ARRAY_LEN(view_keys)}, 1, false);
	is_str(tui_row(&g, 0), "Enter Open  r Restart", "what does not fit is left out");
	grid_release(&g);

	tui_grid(&g, 200, 50, false);
	a = grid_whole(&g);
	statusbar_set(&sb, "a very long left text that would otherwise run into the right part", NULL);
	statusbar_draw(&sb, a, 48, 0);
	char want[256];
	snprintf(want, sizeof(want), "%s%*s%s",
		 "a very long left text that would otherwise run into the right part", 200 - 66 - 41,
		 "", "mqtt://broker:1883  epoch 412  4h12m left");
	is_str(tui_row(&g, 48), want, "200x50: both texts whole");
	grid_release(&g);

	tui_grid(&g, 40, 1, false);
	statusbar_draw(&sb, grid_whole(&g), 0, 0);
	is_str(tui_row(&g, 0), "a very long left t\xE2\x80\xA6 mqtt://broker:1883 \xE2\x80\xA6",
	       "narrow: the right part takes at most half, both cut");
	grid_release(&g);
}

static void test_help(void)
{
	struct help h;
	help_init(&h, "Keys: Network", false);
	help_add_section(&h, "Network", view_keys, R1_ARRAY_LEN(view_keys));
	help_add_section(&h, "Everywhere", global_keys, R1_ARRAY_LEN(global_keys));
	struct grid g;
	tui_grid(&g, 80, 24, false);
	help_draw(&h, grid_sub(grid_whole(&g), 2, 1, 76, 22));
	is_screen(&g,
		  "\n"
		  "  ┌─ Keys: Network ──────────────────────────────────────────────────────────┐\n"
		  "  │ Network                                                                  │\n"
		  "  │ Enter  Open the selected node                                            │\n"
		  "  │ r      Restart the selected node                                         │\n"
		  "  │ /      Filter the rows                                                   │\n"
		  "  │ ^D     Close the pipeline                                                │\n"
		  "  │ l      Show the node's log                                               │\n"
		  "  │ F5     Request a full heartbeat                                          │\n"
		  "  │                                                                          │\n"
		  "  │ Everywhere                                                               │\n"
		  "  │ :      Open the command line                                             │\n"
		  "  │ ?      Show this help                                                    │\n"
		  "  │ q      Quit r1console                                                    │\n"
		  "  │ Esc    Go back                                                           │\n"
		  "  │                                                                          │\n"
		  "  │                                                                          │\n"
		  "  │                                                                          │\n"
		  "  │                                                                          │\n"
		  "  │                                                                          │\n"
		  "  │                                                                          │\n"
		  "  │                                                                          │\n"
		  "  └──────────────────────────────────────────────────────────────────────────┘\n"
		  "\n",
		  "80x24: one column, sections, aliases (KEYMAP_NO_HELP) left out");
	grid_release(&g);

	h.readonly = true;
	tui_grid(&g, 200, 50, false);
	struct grid_area box = grid_sub(grid_whole(&g), 20, 10, 160, 8);
	help_draw(&h, box);
	static const char *const lines[6][2] = {
		{"Network", "Everywhere"},
		{"Enter  Open the selected node", ":      Open the command line"},
		{"/      Filter the rows", "?      Show this help"},
		{"l      Show the node's log", "q      Quit r1console"},
		{"F5     Request a full heartbeat", "Esc    Go back"},
		{"", ""},
	};
	struct buf want = BUF_INIT;
	for (int i = 0; i < 10; i++)
		buf_adds(&want, "\n");
	buf_addf(&want, "%20s┌─ Keys: Network ", "");
	for (int i = 0; i < 160 - 18; i++)
		buf_adds(&want, "─");
	buf_adds(&want, "┐\n");
	for (int i = 0; i < 6; i++)
		buf_addf(&want, "%20s│ %-78s %-78s│\n", "", lines[i][0], lines[i][1]);
	buf_addf(&want, "%20s└", "");
	for (int i = 0; i < 158; i++)
		buf_adds(&want, "─");
	buf_adds(&want, "┘\n");
	for (int i = 18; i < 50; i++)
		buf_adds(&want, "\n");
	is_screen(&g, buf_cstr(&want),
		  "200x50: lines flow into columns; read-only hides the writing keys");
	buf_release(&want);
	grid_release(&g);

	/* scrolling in a small box */
	h.readonly = false;
	tui_grid(&g, 40, 6, false);
	help_draw(&h, grid_whole(&g));
	is_str(tui_row(&g, 1), "│ Network                              │", "small: first line");
	is_int(help_key(&h, TUI_KEY_DOWN), TUI_CONSUMED | TUI_REDRAW, "Down scrolls");
	is_int(help_key(&h, TUI_KEY_PGDN), TUI_CONSUMED | TUI_REDRAW, "PgDn scrolls a page");
	help_draw(&h, grid_whole(&g));
	is_str(tui_row(&g, 1), "│ l      Show the node's log           │", "scrolled by 1 + 4 lines");
	for (int i = 0; i < 20; i++)
		help_key(&h, TUI_KEY_DOWN);
	help_draw(&h, grid_whole(&g));
	is_str(tui_row(&g, 4), "│ Esc    Go back                       │", "scrolling stops at the end");
	help_key(&h, TUI_KEY_HOME);
	is_int(h.scroll, 0, "Home: back to the top");
	is_int(help_key(&h, 'q'), TUI_CONSUMED | TUI_CANCEL, "q closes");
	is_int(help_key(&h, '?'), TUI_CONSUMED | TUI_CANCEL, "? closes");
	is_int(help_key(&h, 'x'), TUI_CONSUMED, "other keys are swallowed");
	grid_release(&g);
	for (int i = 2; i < HELP_MAX_SECTIONS; i++)
		help_add_section(&h, "x", global_keys, 1);
	ok(!help_add_section(&h, "one too many", global_keys, 1), "section limit");
}

/* Heatmap data: 6 nodes, 40 epochs, values in a pattern; node 2 has gaps. */
static size_t hm_rows(void *ctx)
{
	return 6;
}

static size_t hm_cols(void *ctx)
{
	return 40;
}

static const char *hm_row_label(void *ctx, size_t row, char *scratch, size_t size)
{
	snprintf(scratch, size, row == 5 ? "a-rather-long-node-alias" : "node-%02zu", row);
	return scratch;
}

static const char *hm_col_label(void *ctx, size_t col, char *scratch, size_t size)
{
	snprintf(scratch, size, "%zu", 400 + col);
	return scratch;
}

static int hm_value(void *ctx, size_t row, size_t col)
{
	if (row == 2 && col % 3 == 0)
		return -1;
	return (int)((row * 51 + col * 13) % 256);
}

static void test_heatmap(void)
{
	is_int(heatmap_level(-1), -1, "no data");
	is_int(heatmap_level(0), 0, "0 is level 0");
	is_int(heatmap_level(51), 0, "51 is level 0");
	is_int(heatmap_level(52), 1, "52 is level 1");
	is_int(heatmap_level(255), 4, "255 is level 4");
	is_int(heatmap_level(999), 4, "clamped");

	struct heatmap_source src = {NULL, hm_rows, hm_cols, hm_row_label, hm_col_label, hm_value};
	struct heatmap hm;
	heatmap_init(&hm, &src);
	struct grid g;
	tui_grid(&g, 80, 24, false);
	heatmap_draw(&hm, grid_whole(&g));
	size_t r, c;
	ok(heatmap_selected(&hm, &r, &c) && r == 0 && c == 39, "opens on the newest epoch");
	is_int(hm.left, 9, "scrolled so the newest column is the last shown");
	is_str(tui_row(&g, 0), "                 409 411 413 415 417 419 421 423 425 427 429 431 433 435 437 439",
	       "80x24: epoch labels where they fit");
	is_str(tui_row(&g, 1), "node-00          ▒▒▒▒▒▒▓▓▓▓▓▓▓▓████████········░░░░░░░░▒▒▒▒▒▒▒▒▓▓▓▓▓▓▓▓████████",
	       "80x24: a row of cells, two columns each (epoch 409 = 117: level 2)");
	is_str(tui_row(&g, 3), "node-02            ████  ····  ░░░░  ░░▒▒  ▒▒▒▒  ▓▓▓▓  ████  ██··  ····  ░░░░",
	       "80x24: gaps where there is no data");
	is_str(tui_row(&g, 6), "a-rather-long-n… ▒▒▒▒▒▒▓▓▓▓▓▓▓▓████████········░░░░░░░░▒▒▒▒▒▒▒▒▓▓▓▓▓▓▓▓████████",
	       "80x24: long labels cut");
	is_int(grid_cell_at(&g, 78, 1)->attr, GRID_REVERSE, "the selected cell is reversed");
	is_int(grid_cell_at(&g, 78, 1)->role, TUI_ROLE_HEAT_4, "... in its level's role (251: 4)");
	is_int(grid_cell_at(&g, 17, 3)->role, TUI_ROLE_HEAT_NONE, "a gap in the no-data role");
	is_int(grid_cell_at(&g, 0, 1)->role, TUI_ROLE_ROW_SELECTED, "the selected row's label");
	is_str(tui_row(&g, 7), "", "nothing below the last node");
	grid_release(&g);

	is_int(heatmap_key(&hm, TUI_KEY_RIGHT), TUI_CONSUMED, "Right at the newest: nothing");
	is_int(heatmap_key(&hm, 'h'), TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED, "h moves left");
	heatmap_key(&hm, TUI_KEY_DOWN);
	heatmap_key(&hm, 'j');
	heatmap_key(&hm, TUI_KEY_PGDN);
	ok(heatmap_selected(&hm, &r, &c) && r == 5 && c == 38, "moves: row 5, epoch 438");
	heatmap_key(&hm, TUI_KEY_HOME);
	heatmap_key(&hm, 'k');
	tui_grid(&g, 200, 50, false);
	heatmap_draw(&hm, grid_whole(&g));
	ok(heatmap_selected(&hm, &r, &c) && r == 4 && c == 0, "Home: the oldest epoch");
	is_int(hm.left, 0, "200x50: every epoch fits");
	is_str(tui_row(&g, 0),
	       "                 400 402 404 406 408 410 412 414 416 418 420 422 424 426 428 430 432 434 436 438",
	       "200x50: all the labels");
	ok(strncmp(tui_row(&g, 5), "node-04          ", 17) == 0, "200x50: selected row label");
	is_int(grid_cell_at(&g, 17, 5)->attr, GRID_REVERSE, "200x50: selection on the first cell");
	is_str(tui_row(&g, 7), "", "200x50: nothing below");
	is_int(heatmap_key(&hm, 'x'), TUI_IGNORED, "other keys are the view's");
	grid_release(&g);

	tui_grid(&g, 30, 3, true);
	struct heatmap small;
	heatmap_init(&small, &src);
	heatmap_draw(&small, grid_whole(&g));
	is_str(tui_row(&g, 1), "node-00         ++++++########", "ASCII: level glyphs");
	grid_release(&g);
}

static const char config_json[] =
	"{\n"
	"  \"NAME\": \"llm-inference\",\n"
	"  \"TYPE\": \"Void\",\n"
	"  \"PLUGINS\": [\n"
	"    {\"SIGNATURE\": \"CUSTOM_EXEC_01\", \"INSTANCES\": [{\"INSTANCE_ID\": \"inst-1\", "
	"\"PROCESS_DELAY\": 5, \"NOTE\": \"\x1b]0;pwned\x07" "evil\x1b[2J\"}]}\n"
	"  ]\n"
	"}\n";

static void test_textview(void)
{
	struct textview tv;
	textview_init(&tv);
	is_int(textview_set(&tv, config_json, sizeof(config_json) - 1), R1_OK, "set text");
	struct grid g;
	tui_grid(&g, 80, 24, false);
	textview_draw(&tv, grid_whole(&g), 0);
	is_screen(&g,
		  "{\n"
		  "  \"NAME\": \"llm-inference\",\n"
		  "  \"TYPE\": \"Void\",\n"
		  "  \"PLUGINS\": [\n"
		  "    {\"SIGNATURE\": \"CUSTOM_EXEC_01\", \"INSTANCES\": [{\"INSTANCE_ID\": \"inst-1\",\n"
		  "\"PROCESS_DELAY\": 5, \"NOTE\": \"evil\"}]}\n"
		  "  ]\n"
		  "}\n"
		  "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n",
		  "80x24: wrapped, escapes removed, indentation kept");
	is_int(textview_lines(&tv), 8, "eight lines (the final newline opens none)");
	is_int(textview_key(&tv, 'w'), TUI_CONSUMED | TUI_REDRAW, "w: no wrap");
	textview_draw(&tv, grid_whole(&g), 0);
	is_str(tui_row(&g, 4),
	       "    {\"SIGNATURE\": \"CUSTOM_EXEC_01\", \"INSTANCES\": [{\"INSTANCE_ID\": \"inst-1\", \"PRO",
	       "no wrap: the long line is cut");
	is_int(textview_lines(&tv), 7, "seven lines unwrapped");
	textview_key(&tv, TUI_KEY_RIGHT);
	textview_key(&tv, 'l');
	textview_draw(&tv, grid_whole(&g), 0);
	is_str(tui_row(&g, 4),
	       ": \"CUSTOM_EXEC_01\", \"INSTANCES\": [{\"INSTANCE_ID\": \"inst-1\", \"PROCESS_DELAY\": 5,",
	       "Right scrolls sideways by 8 columns a step");
	is_str(tui_row(&g, 0), "", "a short line scrolled out of view");
	is_str(tui_row(&g, 1), "nference\",", "the rest of a longer one");
	textview_key(&tv, TUI_KEY_LEFT);
	textview_key(&tv, TUI_KEY_LEFT);
	textview_key(&tv, TUI_KEY_LEFT);
	is_int(tv.left, 0, "Left stops at 0");
	grid_release(&g);

	tui_grid(&g, 200, 50, false);
	textview_key(&tv, 'w');
	textview_draw(&tv, grid_whole(&g), 0);
	is_str(tui_row(&g, 4),
	       "    {\"SIGNATURE\": \"CUSTOM_EXEC_01\", \"INSTANCES\": [{\"INSTANCE_ID\": \"inst-1\", "
	       "\"PROCESS_DELAY\": 5, \"NOTE\": \"evil\"}]}",
	       "200x50: the long line fits whole");
	is_str(tui_row(&g, 7), "", "200x50: seven lines");
	grid_release(&g);

	/* a log: scrolling, the end, following appended text */
	textview_set(&tv, "", 0);
	for (int i = 0; i < 30; i++) {
		char line[32];
		int n = snprintf(line, sizeof(line), "line %02d\n", i);
		textview_append(&tv, line, (size_t)n);
	}
	tui_grid(&g, 20, 10, false);
	textview_draw(&tv, grid_whole(&g), 0);
	is_str(tui_row(&g, 0), "line 00", "a log opens at the top");
	is_int(textview_key(&tv, TUI_KEY_UP), TUI_CONSUMED, "Up at the top: nothing");
	textview_key(&tv, TUI_KEY_PGDN);
	textview_draw(&tv, grid_whole(&g), 0);
	is_str(tui_row(&g, 0), "line 09", "PgDn keeps one line of context");
	textview_key(&tv, 'G');
	ok(tv.follow, "End: following");
	textview_draw(&tv, grid_whole(&g), 0);
	is_str(tui_row(&g, 9), "line 29", "End shows the last line at the bottom");
	textview_append(&tv, "line 30\nline 31\n", 16);
	textview_draw(&tv, grid_whole(&g), 0);
	is_str(tui_row(&g, 9), "line 31", "following: new lines scroll in");
	textview_key(&tv, 'k');
	ok(!tv.follow, "scrolling up stops following");
	textview_append(&tv, "line 32\n", 8);
	textview_draw(&tv, grid_whole(&g), 0);
	is_str(tui_row(&g, 9), "line 30", "not following: the view stays");
	textview_key(&tv, 'j');
	textview_key(&tv, 'j');
	ok(tv.follow, "back at the end: following again");
	textview_key(&tv, 'g');
	textview_draw(&tv, grid_whole(&g), 0);
	is_str(tui_row(&g, 0), "line 00", "Home: the top");
	is_int(textview_key(&tv, 'x'), TUI_IGNORED, "other keys are the view's");
	grid_release(&g);
	textview_release(&tv);
}

int main(void)
{
	tui_check_locale();
	test_wrap();
	test_keys();
	test_sparkline();
	test_dialog();
	test_bars();
	test_help();
	test_heatmap();
	test_textview();
	return tap_done();
}
