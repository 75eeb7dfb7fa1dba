/*
 * A tiny program for tests/tui/test_screen.sh: draws a console-like frame
 * through the real curses backend so the script can read the terminal back
 * with tmux and compare it with the grid the program drew.
 *
 *   test_screen_prog STATE_DIR THEME
 *
 * After every flush it writes STATE_DIR/frameN.txt (grid_dump of what it
 * drew) and then STATE_DIR/state ("frame N cells C colours K utf8 U"), both
 * by write-then-rename so the script never reads half a file.  Keys: 'n'
 * draws the next frame (only the frame number changes), 'a' aborts (to
 * test the restore on a fatal signal), 'q' quits; after quitting it waits
 * for one line on the restored terminal (STATE_DIR/echoed).  A terminal
 * resize redraws at the new size.
 */
#include "tui/lib.h"
#include "core/sanitize.h"
#include "tui/grid.h"
#include "tui/keys.h"
#include "tui/screen_curses.h"
#include "tui/theme.h"
#include "tui/widgets/bars.h"
#include "tui/widgets/sparkline.h"
#include "tui/widgets/table.h"

#include <locale.h>
#include <math.h>

static const char hostile[] = "\x1b]0;pwned\x07" "evil\x1b[2J";

static const struct {
	const char *alias, *status, *cpu;
} rows[] = {
	{"node-01", "online", "12.5"},
	{"oracle-a", "online", "95.0"},
	{"edge-\xE4\xB8\xAD\xE6\x96\x87", "offline", "-"},
};

static size_t src_count(void *ctx)
{
	return R1_ARRAY_LEN(rows);
}

static uint64_t src_key(void *ctx, size_t row)
{
	return row + 1;
}

static const char *src_text(void *ctx, size_t row, int col, char *scratch, size_t size)
{
	return col == 0 ? rows[row].alias : col == 1 ? rows[row].status : rows[row].cpu;
}

static uint16_t src_role(void *ctx, size_t row, int col)
{
	if (col != 1)
		return 0;
	return rows[row].status[1] == 'n' ? TUI_ROLE_STATUS_OK : TUI_ROLE_STATUS_ERROR;
}

static const struct table_column columns[3] = {
	{"ALIAS", NULL, 12, 0, 1, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	{"STATUS", NULL, 8, 0, 0, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	{"CPU%", NULL, 5, 0, 0, 0, GRID_ALIGN_RIGHT, TABLE_SORT_NONE},
};

static void draw(struct grid *g, struct table *t, int frame)
{
	grid_clear(g, TUI_ROLE_DEFAULT);
	struct grid_area a = grid_whole(g);
	char head[64];
	snprintf(head, sizeof(head), " r1console screen test   frame %d", frame);
	grid_field(a, 0, 0, a.w, GRID_ALIGN_LEFT, head, TUI_ROLE_HEADER, 0);

	struct grid_area box = grid_sub(a, 0, 1, a.w, 6);
	struct grid_area in = grid_frame(box, "Nodes", GRID_LINE_LIGHT, TUI_ROLE_BORDER,
					 TUI_ROLE_PANE_TITLE_FOCUS);
	table_draw(t, in);

	char *clean = r1_sanitize(hostile, sizeof(hostile) - 1, 0);
	grid_text(a, 1, 8, "sanitized alias: ", TUI_ROLE_DEFAULT, 0);
	grid_text(a, 18, 8, clean ? clean : "", TUI_ROLE_STATUS_WARN, 0);
	r1_free(clean);
	grid_text(a, 1, 9, "raw alias into the grid: ", TUI_ROLE_DEFAULT, 0);
	grid_text(a, 26, 9, hostile, TUI_ROLE_STATUS_WARN, 0);
	grid_text(a, 1, 10, "wide: \xE4\xB8\xAD\xE6\x96\x87  accent: e\xCC\x81  box: \xE2\x94\x8C\xE2\x94\x80\xE2\x94\x90",
		  TUI_ROLE_DEFAULT, 0);
	double load[16];
	for (int i = 0; i < 16; i++)
		load[i] = sin(i / 2.5) + 1;
	grid_text(a, 1, 11, "load ", TUI_ROLE_DEFAULT, 0);
	sparkline_draw(a, 6, 11, 16, load, 16, NAN, NAN, TUI_ROLE_SPARKLINE);
	grid_text(a, 1, 12, "sync ", TUI_ROLE_DEFAULT, 0);
	progress_draw(a, 6, 12, 24, 0.625, NULL);

	struct statusbar sb;
	statusbar_init(&sb);
	statusbar_set(&sb, "3 nodes", "epoch 412");
	statusbar_draw(&sb, a, a.h - 2, 0);
	grid_field(a, 0, a.h - 1, a.w, GRID_ALIGN_LEFT, "n next  a abort  q quit",
		   TUI_ROLE_KEYBAR_LABEL, 0);
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char tmp[512], path[512];
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	fputs(text, f);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test_screen_prog STATE_DIR THEME\n");
		return 2;
	}
	const char *dir = argv[1];
	setlocale(LC_ALL, "");
	struct screen *s;
	char *why = NULL;
	if (screen_open(&s, NULL, &why) != R1_OK) {
		fprintf(stderr, "screen_open: %s\n", why ? why : "?");
		r1_free(why);
		return 1;
	}
	struct theme th;
	if (theme_pick(&th, R1_SRCDIR "/data/themes", argv[2], screen_colours(s), &why) != R1_OK) {
		write_file(dir, "error", why ? why : "theme");
		r1_free(why);
		why = NULL;
	}
	screen_apply_theme(s, &th);

	struct table_source src = {.count = src_count, .key = src_key, .text = src_text,
				   .role = src_role};
	struct table *t = table_new(columns, 3, &src);
	table_refresh(t);
	table_select_index(t, 1);

	struct grid g;
	int w, h;
	screen_size(s, &w, &h);
	grid_init(&g, w, h, !screen_utf8(s));
	int frame = 1;
	for (;;) {
		screen_size(s, &w, &h);
		if (w != g.w || h != g.h)
			grid_resize(&g, w, h);
		draw(&g, t, frame);
		screen_flush(s, &g);
		struct buf b = BUF_INIT;
		grid_dump(&g, &b);
		char name[32];
		snprintf(name, sizeof(name), "frame%d-%dx%d.txt", frame, w, h);
		write_file(dir, name, buf_cstr(&b));
		buf_reset(&b);
		buf_addf(&b, "frame %d size %dx%d cells %zu colours %d utf8 %d theme %s\n", frame, w, h,
			 screen_last_flush_cells(s), screen_colours(s), screen_utf8(s), th.name);
		write_file(dir, "state", buf_cstr(&b));
		buf_release(&b);

		int key = screen_read_key(s, -1);
		if (key == 'q')
			break;
		if (key == 'a')
			abort();
		if (key == 'n')
			frame++;
	}
	grid_release(&g);
	table_free(&t);
	screen_close(&s);
	write_file(dir, "state", "closed\n");
	/* wait for a line, so the script can look at the restored terminal
	 * (echo on, cursor shown) while the program is still alive */
	char line[64];
	if (fgets(line, sizeof(line), stdin))
		write_file(dir, "echoed", line);
	return 0;
}
