/*
 * Unit tests of the line editor and the ':' command line: editing keys,
 * limits, sideways scrolling, history, Tab completion (fixed list and by
 * word position), the inline hint, and the prompt drawn at 80x24 and
 * 200x50.
 */
#include "tui/lib.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "tui/widgets/cmdline.h"
#include "tui/widgets/lineedit.h"
#include "tests/tap.h"
#include "tests/unit/tui/tui_check.h"

static void type(struct lineedit *le, const char *s)
{
	for (; *s; s++)
		lineedit_key(le, (unsigned char)*s);
}

static void ctype(struct cmdline *cl, const char *s)
{
	for (; *s; s++)
		cmdline_key(cl, (unsigned char)*s);
}

static void test_lineedit(void)
{
	struct lineedit le;
	lineedit_init(&le, 0);
	is_str(lineedit_text(&le), "", "starts empty");
	is_int(lineedit_key(&le, TUI_KEY_BACKSPACE), TUI_CONSUMED, "backspace on empty: nothing");
	is_int(lineedit_key(&le, TUI_KEY_DELETE), TUI_CONSUMED, "delete on empty: nothing");
	is_int(lineedit_key(&le, TUI_KEY_LEFT), TUI_CONSUMED | TUI_REDRAW, "left on empty");
	is_int(le.cursor, 0, "cursor stays at 0");
	is_int(lineedit_key(&le, TUI_KEY_ENTER), TUI_IGNORED, "Enter is not the editor's");
	is_int(lineedit_key(&le, TUI_KEY_UP), TUI_IGNORED, "Up is not the editor's");

	is_int(lineedit_key(&le, 'a'), TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED, "typing changes");
	type(&le, "bc def");
	is_str(lineedit_text(&le), "abc def", "typed text");
	lineedit_key(&le, TUI_KEY_LEFT);
	lineedit_key(&le, TUI_KEY_LEFT);
	lineedit_key(&le, 'X');
	is_str(lineedit_text(&le), "abc dXef", "insert in the middle");
	lineedit_key(&le, TUI_KEY_HOME);
	lineedit_key(&le, '>');
	is_str(lineedit_text(&le), ">abc dXef", "Home then insert");
	lineedit_key(&le, TUI_KEY_CTRL('e'));
	lineedit_key(&le, '<');
	is_str(lineedit_text(&le), ">abc dXef<", "^E then insert");
	lineedit_key(&le, TUI_KEY_CTRL('a'));
	lineedit_key(&le, TUI_KEY_DELETE);
	is_str(lineedit_text(&le), "abc dXef<", "^A then Delete");
	lineedit_key(&le, TUI_KEY_RIGHT);
	lineedit_key(&le, TUI_KEY_BACKSPACE);
	is_str(lineedit_text(&le), "bc dXef<", "Backspace");
	lineedit_key(&le, TUI_KEY_CTRL('d'));
	is_str(lineedit_text(&le), "c dXef<", "^D deletes forward");
	lineedit_key(&le, TUI_KEY_END);
	lineedit_key(&le, TUI_KEY_RIGHT);
	is_int(le.cursor, 7, "Right stops at the end");
	lineedit_key(&le, TUI_KEY_CTRL('h'));
	is_str(lineedit_text(&le), "c dXef", "^H is backspace");

	lineedit_set(&le, "one two   three");
	lineedit_key(&le, TUI_KEY_CTRL('w'));
	is_str(lineedit_text(&le), "one two   ", "^W deletes the last word");
	lineedit_key(&le, TUI_KEY_CTRL('w'));
	is_str(lineedit_text(&le), "one ", "^W deletes spaces then a word");
	lineedit_set(&le, "keep this");
	lineedit_key(&le, TUI_KEY_LEFT);
	lineedit_key(&le, TUI_KEY_LEFT);
	lineedit_key(&le, TUI_KEY_CTRL('k'));
	is_str(lineedit_text(&le), "keep th", "^K deletes to the end");
	lineedit_key(&le, TUI_KEY_LEFT);
	lineedit_key(&le, TUI_KEY_CTRL('u'));
	is_str(lineedit_text(&le), "h", "^U deletes to the start");
	is_int(le.cursor, 0, "^U leaves the cursor at 0");

	is_int(lineedit_key(&le, 0x1B), TUI_IGNORED, "Esc is not inserted");
	is_int(lineedit_key(&le, 0x9B), TUI_IGNORED, "C1 code is not inserted");
	lineedit_set(&le, "a\x1b[2Jb");
	is_str(lineedit_text(&le), "a[2Jb", "set drops control characters");
	lineedit_set(&le, "\xE4\xB8\xAD\xE6\x96\x87");
	is_int(le.len, 2, "two code points");
	lineedit_key(&le, TUI_KEY_BACKSPACE);
	is_str(lineedit_text(&le), "\xE4\xB8\xAD", "backspace removes a whole character");
	lineedit_key(&le, 0xE9);
	is_str(lineedit_text(&le), "\xE4\xB8\xAD\xC3\xA9", "typing a non-ASCII key");
	lineedit_release(&le);

	lineedit_init(&le, 5);
	type(&le, "abcdefgh");
	is_str(lineedit_text(&le), "abcde", "max length holds");
	is_int(lineedit_key(&le, 'z'), TUI_CONSUMED, "typing past the max: consumed, no change");
	lineedit_set(&le, "123456789");
	is_str(lineedit_text(&le), "12345", "set cuts at max");
	lineedit_release(&le);
}

static void test_lineedit_draw(void)
{
	struct grid g;
	tui_grid(&g, 12, 3, false);
	struct grid_area a = grid_whole(&g);
	struct lineedit le;
	lineedit_init(&le, 0);
	lineedit_set(&le, "abcdefghijklmnop");
	lineedit_draw(&le, a, 1, 0, 8, 1, true);
	is_str(tui_row(&g, 0), " jklmnop", "cursor at the end: the tail shows, one column left");
	ok(g.cursor_on && g.cursor_x == 8 && g.cursor_y == 0, "cursor after the text");
	lineedit_key(&le, TUI_KEY_HOME);
	lineedit_draw(&le, a, 1, 1, 8, 1, true);
	is_str(tui_row(&g, 1), " abcdefgh", "Home scrolls back");
	ok(g.cursor_x == 1 && g.cursor_y == 1, "cursor at the start");
	le.masked = true;
	lineedit_draw(&le, a, 1, 2, 8, 1, false);
	is_str(tui_row(&g, 2), " ********", "masked text");
	lineedit_release(&le);

	grid_clear(&g, 0);
	lineedit_init(&le, 0);
	lineedit_set(&le, "\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD");
	lineedit_draw(&le, a, 0, 0, 7, 1, true);
	is_str(tui_row(&g, 0), "\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD", "wide text scrolls by characters");
	is_int(g.cursor_x, 6, "cursor after three wide characters");
	lineedit_release(&le);
	grid_release(&g);
}

static void test_history(void)
{
	struct cmdline cl;
	cmdline_init(&cl, ":", 3);
	cmdline_open(&cl, NULL);
	ctype(&cl, "nodes");
	is_int(cmdline_key(&cl, TUI_KEY_ENTER), TUI_CONSUMED | TUI_SUBMIT, "Enter submits");
	is_str(cmdline_text(&cl), "nodes", "text kept after submit");
	cmdline_open(&cl, NULL);
	ctype(&cl, "apps");
	cmdline_key(&cl, TUI_KEY_ENTER);
	cmdline_open(&cl, NULL);
	ctype(&cl, "apps");
	cmdline_key(&cl, TUI_KEY_ENTER);
	is_int(cl.nhistory, 2, "a repeat of the newest line is not added");
	cmdline_open(&cl, NULL);
	cmdline_key(&cl, TUI_KEY_ENTER);
	is_int(cl.nhistory, 2, "an empty line is not added");

	cmdline_open(&cl, NULL);
	ctype(&cl, "ep");
	cmdline_key(&cl, TUI_KEY_UP);
	is_str(cmdline_text(&cl), "apps", "Up: newest line");
	cmdline_key(&cl, TUI_KEY_CTRL('p'));
	is_str(cmdline_text(&cl), "nodes", "^P: older");
	is_int(cmdline_key(&cl, TUI_KEY_UP), TUI_CONSUMED, "Up at the oldest: nothing");
	is_str(cmdline_text(&cl), "nodes", "still the oldest");
	cmdline_key(&cl, TUI_KEY_DOWN);
	is_str(cmdline_text(&cl), "apps", "Down: newer");
	cmdline_key(&cl, TUI_KEY_CTRL('n'));
	is_str(cmdline_text(&cl), "ep", "Down past the newest: the draft comes back");
	is_int(cmdline_key(&cl, TUI_KEY_DOWN), TUI_CONSUMED, "Down at the draft: nothing");

	for (int i = 0; i < 5; i++) {
		char line[16];
		snprintf(line, sizeof(line), "l%d", i);
		cmdline_history_add(&cl, line);
	}
	is_int(cl.nhistory, 3, "history keeps history_max lines");
	is_str(cl.history[0], "l2", "the oldest were dropped");
	is_int(cmdline_key(&cl, TUI_KEY_ESC), TUI_CONSUMED | TUI_CANCEL, "Esc cancels");
	is_int(cmdline_key(&cl, TUI_KEY_CTRL('c')), TUI_CONSUMED | TUI_CANCEL, "^C cancels");
	cmdline_release(&cl);
}

static const char *const views[] = {"nodes", "node", "notif", "apps", "epochs", "quit"};
static const char *const aliases[] = {"node-01", "node-02", "oracle-a"};

static size_t complete_by_word(void *ctx, const char *line, size_t word_index,
			       const char *const **out)
{
	int *calls = ctx;
	(*calls)++;
	if (word_index == 0) {
		*out = views;
		return R1_ARRAY_LEN(views);
	}
	if (word_index == 1 && strncmp(line, "node ", 5) == 0) {
		*out = aliases;
		return R1_ARRAY_LEN(aliases);
	}
	return 0;
}

static void test_completion(void)
{
	struct cmdline cl;
	cmdline_init(&cl, ":", 0);
	cmdline_set_words(&cl, views, R1_ARRAY_LEN(views));
	cmdline_open(&cl, "a");
	is_int(cmdline_key(&cl, TUI_KEY_TAB), TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED,
	       "Tab completes");
	is_str(cmdline_text(&cl), "apps ", "one match: completed with a space");
	cmdline_open(&cl, "n");
	cmdline_key(&cl, TUI_KEY_TAB);
	is_str(cmdline_text(&cl), "no", "several matches: their common prefix");
	cmdline_key(&cl, TUI_KEY_TAB);
	is_str(cmdline_text(&cl), "nodes", "nothing to extend: the first match");
	cmdline_key(&cl, TUI_KEY_TAB);
	is_str(cmdline_text(&cl), "node", "Tab again: the next");
	cmdline_key(&cl, TUI_KEY_TAB);
	is_str(cmdline_text(&cl), "notif", "and the next");
	cmdline_key(&cl, TUI_KEY_TAB);
	is_str(cmdline_text(&cl), "nodes", "cycling wraps");
	cmdline_key(&cl, TUI_KEY_BTAB);
	is_str(cmdline_text(&cl), "notif", "Shift-Tab goes back");
	cmdline_key(&cl, ' ');
	is_str(cmdline_text(&cl), "notif ", "typing ends the cycle");
	cmdline_open(&cl, "EP");
	cmdline_key(&cl, TUI_KEY_TAB);
	is_str(cmdline_text(&cl), "epochs ", "case ignored when matching");
	cmdline_open(&cl, "zz");
	is_int(cmdline_key(&cl, TUI_KEY_TAB), TUI_CONSUMED, "no match: nothing happens");
	is_str(cmdline_text(&cl), "zz", "text unchanged");
	cmdline_open(&cl, "qu and more");
	lineedit_key(&cl.edit, TUI_KEY_HOME);
	lineedit_key(&cl.edit, TUI_KEY_RIGHT);
	lineedit_key(&cl.edit, TUI_KEY_RIGHT);
	cmdline_key(&cl, TUI_KEY_TAB);
	is_str(cmdline_text(&cl), "quit and more", "completes the word at the cursor");

	const char *const *m;
	cmdline_open(&cl, "no");
	is_int(cmdline_matches(&cl, &m), 3, "three matches for 'no'");
	is_str(m[2], "notif", "matches in the source's order");

	int calls = 0;
	cmdline_set_completion(&cl, complete_by_word, &calls);
	cmdline_open(&cl, "node o");
	cmdline_key(&cl, TUI_KEY_TAB);
	is_str(cmdline_text(&cl), "node oracle-a ", "second word completes from aliases");
	cmdline_open(&cl, "node n");
	cmdline_key(&cl, TUI_KEY_TAB);
	is_str(cmdline_text(&cl), "node node-0", "aliases' common prefix");
	cmdline_open(&cl, "apps x");
	cmdline_key(&cl, TUI_KEY_TAB);
	is_str(cmdline_text(&cl), "apps x", "no candidates for that position");
	ok(calls >= 3, "the callback was asked");
	cmdline_open(&cl, "node ");
	is_int(cmdline_matches(&cl, &m), 3, "empty word: every candidate");
	cmdline_release(&cl);
}

static void draw_prompt(struct grid *g, const char *text, bool move_home)
{
	struct cmdline cl;
	cmdline_init(&cl, ":", 0);
	cmdline_set_words(&cl, views, R1_ARRAY_LEN(views));
	cmdline_open(&cl, text);
	if (move_home)
		lineedit_key(&cl.edit, TUI_KEY_HOME);
	cmdline_draw(&cl, grid_whole(g), g->h - 1);
	cmdline_release(&cl);
}

static void test_draw(void)
{
	struct grid g;
	tui_grid(&g, 80, 24, false);
	draw_prompt(&g, "no", false);
	is_str(tui_row(&g, 23), ":nodes", "80x24: prompt, text and hint on the last row");
	is_int(g.cursor_x, 3, "cursor after the typed text, before the hint");
	/* roles: prompt ':' and "no" in prompt, "des" in the hint role, rest prompt */
	char legend[TUI_ROLE__COUNT + 1];
	memset(legend, '.', TUI_ROLE__COUNT);
	legend[TUI_ROLE__COUNT] = '\0';
	legend[TUI_ROLE_PROMPT] = 'p';
	legend[TUI_ROLE_PROMPT_HINT] = 'h';
	struct buf want = BUF_INIT;
	for (int i = 0; i < 23; i++)
		buf_adds(&want, "\n");
	buf_adds(&want, "pppppp");
	for (int i = 6; i < 80; i++)
		buf_addc(&want, 'p');
	buf_adds(&want, "\n");
	/* the hint cells */
	want.data[want.len - 81 + 3] = 'h';
	want.data[want.len - 81 + 4] = 'h';
	want.data[want.len - 81 + 5] = 'h';
	is_roles(&g, legend, buf_cstr(&want), "80x24: the hint is in the hint role");
	buf_release(&want);

	grid_clear(&g, 0);
	struct buf longline = BUF_INIT;
	for (int i = 0; i < 12; i++)
		buf_addf(&longline, "word%02d ", i);
	draw_prompt(&g, buf_cstr(&longline), false);
	is_str(tui_row(&g, 23), ": word01 word02 word03 word04 word05 word06 word07 word08 word09 word10 word11",
	       "80x24: a long line scrolls to show the cursor");
	is_int(g.cursor_x, 79, "cursor on the last column");
	grid_clear(&g, 0);
	draw_prompt(&g, buf_cstr(&longline), true);
	is_str(tui_row(&g, 23), ":word00 word01 word02 word03 word04 word05 word06 word07 word08 word09 word10 wo",
	       "80x24: Home shows the start");
	grid_release(&g);

	tui_grid(&g, 200, 50, false);
	draw_prompt(&g, buf_cstr(&longline), false);
	is_str(tui_row(&g, 49),
	       ":word00 word01 word02 word03 word04 word05 word06 word07 word08 word09 word10 word11",
	       "200x50: the whole line fits");
	is_int(g.cursor_x, 85, "200x50: cursor after the text");
	struct buf screen = BUF_INIT;
	for (int i = 0; i < 49; i++)
		buf_adds(&screen, "\n");
	buf_addf(&screen, ":%s\n", buf_cstr(&longline));
	screen.len--; /* the trailing space of the line is trimmed */
	screen.data[screen.len - 1] = '\n';
	screen.data[screen.len] = '\0';
	is_screen(&g, buf_cstr(&screen), "200x50: nothing else drawn");
	buf_release(&screen);
	buf_release(&longline);
	grid_release(&g);
}

int main(void)
{
	tui_check_locale();
	test_lineedit();
	test_lineedit_draw();
	test_history();
	test_completion();
	test_draw();
	return tap_done();
}
