/*
 * Unit tests of tui/grid: cells, wide and combining characters, clipping,
 * fields with truncation, lines and boxes (UTF-8 and ASCII), areas and
 * splits, and the text dumps, ending with a whole-screen layout at 80x24
 * and 200x50.
 */
#include "tui/lib.h"
#include "tui/grid.h"
#include "tui/theme.h"
#include "tests/tap.h"
#include "tests/unit/tui/tui_check.h"

static void test_degenerate(void)
{
	struct grid g;
	is_int(grid_init(&g, -1, 5, false), R1_ERR_INVAL, "negative width refused");
	is_int(grid_init(&g, 5, GRID_MAX_DIM + 1, false), R1_ERR_INVAL, "huge height refused");
	is_int(grid_init(&g, 0, 0, false), R1_OK, "0x0 grid is fine");
	is_screen(&g, "", "0x0 dumps to nothing");
	ok(grid_cell_at(&g, 0, 0) == NULL, "no cell in a 0x0 grid");
	struct grid_area a = grid_whole(&g);
	is_int(grid_text(a, 0, 0, "abc", 0, 0), 0, "drawing into 0x0 does nothing");
	grid_release(&g);

	tui_grid(&g, 4, 2, false);
	is_screen(&g, "\n\n", "blank grid dumps to empty lines");
	a = grid_whole(&g);
	is_int(grid_text(a, 0, 5, "x", 0, 0), 0, "row outside: nothing drawn");
	is_int(grid_text(a, 0, -1, "x", 0, 0), 0, "negative row: nothing drawn");
	grid_text(a, 0, 0, NULL, 0, 0);
	is_screen(&g, "\n\n", "NULL text draws nothing");
	ok(grid_cell_at(&g, 4, 0) == NULL && grid_cell_at(&g, -1, 0) == NULL,
	   "cell_at outside is NULL");
	is_int(grid_resize(&g, -3, 3), R1_ERR_INVAL, "bad resize refused");
	is_int(g.w, 4, "bad resize leaves the grid as it was");
	grid_release(&g);
}

static void test_text(void)
{
	struct grid g;
	tui_grid(&g, 10, 3, false);
	struct grid_area a = grid_whole(&g);
	is_int(grid_text(a, 0, 0, "hello", 0, 0), 5, "text returns the next x");
	is_int(grid_text(a, 7, 1, "clipped", 0, 0), 10, "text clips at the right edge");
	is_int(grid_text(a, -2, 2, "abcdef", 0, 0), 4, "negative x: the start is clipped");
	is_screen(&g, "hello\n       cli\ncdef\n", "text and clipping");

	grid_clear(&g, 0);
	is_int(grid_text(a, 0, 0, "a\xE4\xB8\xAD" "b", 0, 0), 4, "wide character takes two columns");
	is_int(grid_cell_at(&g, 2, 0)->cp, GRID_CP_CONT, "second half is a continuation");
	is_int(grid_text(a, 9, 1, "\xE4\xB8\xAD", 0, 0), 10, "a wide character cut at the edge");
	is_int(grid_cell_at(&g, 9, 1)->cp, ' ', "... shows as a blank, never half");
	grid_text(a, 0, 2, "e\xCC\x81t\xC3\xA9", 0, 0);
	is_int(grid_cell_at(&g, 0, 2)->mark, 0x301, "combining mark joins its base cell");
	is_int(grid_cell_at(&g, 1, 2)->cp, 't', "and takes no column");
	is_screen(&g, "a\xE4\xB8\xAD" "b\n\ne\xCC\x81t\xC3\xA9\n", "wide and combining dump");

	/* overwriting half of a wide character blanks the other half */
	grid_clear(&g, 0);
	grid_text(a, 0, 0, "\xE4\xB8\xAD\xE6\x96\x87", 0, 0);
	grid_text(a, 1, 0, "x", 0, 0);
	is_screen(&g, " x\xE6\x96\x87\n\n\n", "writing on a right half breaks the character");
	grid_text(a, 2, 0, "y", 0, 0);
	is_screen(&g, " xy\n\n\n", "writing on a left half breaks the character");
	grid_text(a, 3, 1, "\xE4\xB8\xAD", 0, 0);
	grid_text(a, 2, 1, "\xE6\x96\x87", 0, 0);
	is_screen(&g, " xy\n  \xE6\x96\x87\n\n", "a wide character over another's right half");

	/* controls never land in a cell */
	grid_clear(&g, 0);
	grid_text(a, 0, 0, "a\x1b[2Jb", 0, 0);
	is_screen(&g, "a\xEF\xBF\xBD[2Jb\n\n\n", "controls show as U+FFFD");
	grid_release(&g);

	tui_grid(&g, 10, 1, true);
	a = grid_whole(&g);
	grid_text(a, 0, 0, "a\x1b\xE4\xB8\xAD" "e\xCC\x81z", 0, 0);
	is_screen(&g, "a???ez\n", "ASCII mode: control and wide characters as question marks, mark dropped");
	grid_release(&g);
}

static void test_field(void)
{
	struct grid g;
	tui_grid(&g, 12, 12, false);
	struct grid_area a = grid_whole(&g);
	grid_field(a, 0, 0, 8, GRID_ALIGN_LEFT, "ab", 0, 0);
	grid_field(a, 0, 1, 8, GRID_ALIGN_RIGHT, "ab", 0, 0);
	grid_field(a, 0, 2, 8, GRID_ALIGN_CENTER, "ab", 0, 0);
	grid_field(a, 0, 3, 8, GRID_TRUNC_END, "abcdefghij", 0, 0);
	grid_field(a, 0, 4, 8, GRID_TRUNC_START, "abcdefghij", 0, 0);
	grid_field(a, 0, 5, 8, GRID_TRUNC_MIDDLE, "0xai_AbCdEfGh", 0, 0);
	grid_field(a, 0, 6, 5, GRID_TRUNC_END, "\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD", 0, 0);
	grid_field(a, 0, 7, 5, GRID_TRUNC_START, "\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD", 0, 0);
	grid_field(a, 0, 8, 1, GRID_TRUNC_END, "abc", 0, 0);
	grid_field(a, 0, 9, 8, GRID_ALIGN_RIGHT, "abcdefgh", 0, 0);
	grid_field(a, 0, 10, 0, GRID_ALIGN_LEFT, "zzz", 0, 0);
	grid_field(a, 0, 11, 4, GRID_TRUNC_MIDDLE, "e\xCC\x81" "abcde\xCC\x81", 0, 0);
	is_screen(&g,
		  "ab\n"
		  "      ab\n"
		  "   ab\n"
		  "abcdefg\xE2\x80\xA6\n"
		  "\xE2\x80\xA6" "defghij\n"
		  "0xai\xE2\x80\xA6" "fGh\n"
		  "\xE4\xB8\xAD\xE4\xB8\xAD\xE2\x80\xA6\n"
		  "\xE2\x80\xA6\xE4\xB8\xAD\xE4\xB8\xAD\n"
		  "\xE2\x80\xA6\n"
		  "abcdefgh\n"
		  "\n"
		  "e\xCC\x81" "a\xE2\x80\xA6" "e\xCC\x81\n",
		  "fields: alignment and the three truncations");
	/* a field pads in its role: the whole width is painted */
	grid_clear(&g, 0);
	grid_field(a, 1, 0, 4, GRID_ALIGN_LEFT, "x", 2, 0);
	is_roles(&g, ".ab", ".bbbb\n\n\n\n\n\n\n\n\n\n\n\n", "field paints its width");
	grid_release(&g);

	tui_grid(&g, 12, 2, true);
	a = grid_whole(&g);
	grid_field(a, 0, 0, 6, GRID_TRUNC_END, "abcdefghij", 0, 0);
	grid_field(a, 0, 1, 6, GRID_TRUNC_MIDDLE, "abcdefghij", 0, 0);
	is_screen(&g, "abcde~\nabc~ij\n", "ASCII mode: '~' for the ellipsis");
	grid_release(&g);

	is_int(grid_text_width("a\xE4\xB8\xAD" "e\xCC\x81"), 4, "text width: wide + combining");
	int used;
	is_int(grid_text_fit("a\xE4\xB8\xAD" "b", 5, 2, &used), 1, "fit stops before a wide char");
	is_int(used, 1, "fit reports the columns used");
}

static void test_lines(void)
{
	struct grid g;
	tui_grid(&g, 12, 6, false);
	struct grid_area a = grid_whole(&g);
	grid_box(a, 0, 0, 6, 3, GRID_LINE_LIGHT, 0);
	grid_box(a, 6, 0, 6, 3, GRID_LINE_DOUBLE, 0);
	grid_hline(a, 0, 3, 12, 0);
	grid_vline(a, 0, 4, 2, 0);
	grid_box(a, 3, 4, 1, 2, GRID_LINE_HEAVY, 0);
	is_screen(&g,
		  "┌────┐╔════╗\n"
		  "│    │║    ║\n"
		  "└────┘╚════╝\n"
		  "────────────\n"
		  "│\n"
		  "│\n",
		  "boxes, lines; a box under 2x2 draws nothing");
	grid_release(&g);

	tui_grid(&g, 12, 4, true);
	a = grid_whole(&g);
	struct grid_area in = grid_frame(a, "Title that is long", GRID_LINE_DOUBLE, 0, 0);
	grid_text(in, 0, 0, "inside-the-frame", 0, 0);
	is_screen(&g,
		  "+- Title~ -+\n"
		  "|inside-the|\n"
		  "|          |\n"
		  "+----------+\n",
		  "ASCII frame with a truncated title; text clipped to the inside");
	is_int(in.x, 1, "frame inside x");
	is_int(in.w, 10, "frame inside width");
	grid_release(&g);
}

static void test_areas(void)
{
	struct grid g;
	tui_grid(&g, 20, 5, false);
	struct grid_area a = grid_whole(&g);
	struct grid_area s = grid_sub(a, 15, 3, 10, 10);
	is_int(s.x, 15, "sub x");
	is_int(s.w, 5, "sub clipped width");
	is_int(s.h, 2, "sub clipped height");
	s = grid_sub(a, 2, 1, -1, -1);
	is_int(s.w, 18, "negative width means to the edge");
	is_int(s.h, 4, "negative height means to the edge");
	s = grid_sub(a, 25, 0, 3, 3);
	is_int(s.w, 0, "sub outside is empty");

	struct grid_area parts[4];
	int sizes[4] = {3, 0, 4, 0};
	grid_split(a, true, sizes, 4, parts);
	is_int(parts[0].w, 3, "split: fixed part");
	is_int(parts[1].w, 7, "split: first flex part gets the odd column");
	is_int(parts[1].x, 3, "split: parts are side by side");
	is_int(parts[2].w, 4, "split: second fixed part");
	is_int(parts[3].w, 6, "split: second flex part");
	is_int(parts[3].x, 14, "split: last part x");
	int rows[3] = {2, 2, 2};
	grid_split(a, false, rows, 3, parts);
	is_int(parts[2].h, 1, "split: what does not fit shrinks");

	/* drawing through an area is clipped to it */
	struct grid_area mid = grid_sub(a, 5, 1, 4, 2);
	grid_fill(mid, -1, -1, 10, 10, '#', 1, 0);
	grid_text(mid, 2, 1, "xyz", 1, 0);
	grid_cursor(mid, 1, 1);
	ok(g.cursor_on && g.cursor_x == 6 && g.cursor_y == 2, "cursor placed in grid coordinates");
	grid_cursor(mid, 9, 9);
	ok(g.cursor_x == 6, "cursor outside the area is ignored");
	is_screen(&g, "\n     ####\n     ##xy\n\n\n", "fill and text clipped to the area");
	grid_paint(a, 0, 1, 7, 1, 2, GRID_BOLD);
	is_roles(&g, ".ab", "\nbbbbbbbaa\n.....aaaa\n\n\n", "paint changes roles only");
	is_screen(&g, "\n     ####\n     ##xy\n\n\n", "paint keeps characters");
	grid_clear(&g, 0);
	ok(!g.cursor_on, "clear hides the cursor");
	grid_release(&g);
}

/* A console-like layout: header, framed body with two panes, status line. */
static void draw_layout(struct grid *g)
{
	struct grid_area a = grid_whole(g);
	struct grid_area rows[3];
	int sizes[3] = {1, 0, 1};
	grid_split(a, false, sizes, 3, rows);
	grid_fill(rows[0], 0, 0, rows[0].w, 1, ' ', TUI_ROLE_HEADER, 0);
	grid_text(rows[0], 1, 0, "r1console", TUI_ROLE_HEADER, GRID_BOLD);
	grid_field(rows[0], rows[0].w - 13, 0, 12, GRID_ALIGN_RIGHT, "epoch 412", TUI_ROLE_HEADER,
		   0);
	struct grid_area panes[2];
	int cols[2] = {0, 0};
	grid_split(rows[1], true, cols, 2, panes);
	struct grid_area left = grid_frame(panes[0], "Nodes", GRID_LINE_LIGHT, TUI_ROLE_BORDER,
					   TUI_ROLE_PANE_TITLE_FOCUS);
	struct grid_area right = grid_frame(panes[1], "Detail", GRID_LINE_LIGHT, TUI_ROLE_BORDER,
					    TUI_ROLE_PANE_TITLE);
	grid_field(left, 0, 0, left.w, GRID_TRUNC_MIDDLE,
		   "0xai_AhnbAzpLDqTqQ4pWh5tXjdgfB4qzQ9kM0n7nN3hPVC8W", TUI_ROLE_ROW, 0);
	grid_text(right, 0, 0, "alias: node-\xE4\xB8\xAD", TUI_ROLE_DEFAULT, 0);
	grid_field(rows[2], 0, 0, rows[2].w, GRID_ALIGN_LEFT, "ready", TUI_ROLE_STATUSBAR, 0);
}

static void test_layouts(void)
{
	struct grid g;
	tui_grid(&g, 80, 24, false);
	draw_layout(&g);
	is_screen(&g,
		  " r1console                                                            epoch 412\n"
		  "┌─ Nodes ──────────────────────────────┐┌─ Detail ─────────────────────────────┐\n"
		  "│0xai_AhnbAzpLDqTqQ4…qzQ9kM0n7nN3hPVC8W││alias: node-中                        │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "│                                      ││                                      │\n"
		  "└──────────────────────────────────────┘└──────────────────────────────────────┘\n"
		  "ready\n",
		  "layout at 80x24");
	grid_release(&g);

	tui_grid(&g, 200, 50, false);
	draw_layout(&g);
	struct buf want = BUF_INIT;
	buf_addf(&want, " r1console%*s\n", 189, "epoch 412");
	buf_adds(&want, "┌─ Nodes ");
	for (int i = 0; i < 90; i++)
		buf_adds(&want, "─");
	buf_adds(&want, "┐┌─ Detail ");
	for (int i = 0; i < 89; i++)
		buf_adds(&want, "─");
	buf_adds(&want, "┐\n│0xai_AhnbAzpLDqTqQ4pWh5tXjdgfB4qzQ9kM0n7nN3hPVC8W");
	buf_addf(&want, "%*s││alias: node-中%*s│\n", 49, "", 84, "");
	for (int r = 0; r < 45; r++)
		buf_addf(&want, "│%*s││%*s│\n", 98, "", 98, "");
	buf_adds(&want, "└");
	for (int i = 0; i < 98; i++)
		buf_adds(&want, "─");
	buf_adds(&want, "┘└");
	for (int i = 0; i < 98; i++)
		buf_adds(&want, "─");
	buf_adds(&want, "┘\nready\n");
	is_screen(&g, buf_cstr(&want), "layout at 200x50");
	buf_release(&want);
	/* roles: header row, frame, status */
	struct buf roles = BUF_INIT;
	grid_dump_roles(&g, &roles, "..H");
	ok(strncmp(buf_cstr(&roles), "HHHHHHHHHH", 10) == 0, "header row is in the header role");
	buf_release(&roles);
	grid_release(&g);
}

int main(void)
{
	tui_check_locale();
	test_degenerate();
	test_text();
	test_field();
	test_lines();
	test_areas();
	test_layouts();
	return tap_done();
}
