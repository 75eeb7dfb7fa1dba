/*
 * Unit tests of form fields and the form container, on a deployment-like
 * page: every field kind, focus movement, built-in and custom checks with
 * their messages, submit and cancel, scrolling, and the page drawn at 80x24
 * and 200x50.
 */
#include "tui/lib.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "tui/widgets/form.h"
#include "tests/tap.h"
#include "tests/unit/tui/tui_check.h"

#include <math.h>

static const char *const images[] = {"ubuntu:24.04", "postgres:17", "redis:7", "nginx:1.27"};
static const char *const targets[] = {"node-01", "node-02", "node-03", "oracle-a", "edge-de"};

static bool no_spaces(void *ctx, struct field *f, struct buf *msg)
{
	int *calls = ctx;
	(*calls)++;
	if (strchr(field_text(f), ' ')) {
		buf_adds(msg, "no spaces in an alias");
		return false;
	}
	return true;
}

static struct form *make_form(int *calls)
{
	struct form *f = form_new();
	if (!f)
		tap_bail("form_new");
	struct field *alias = form_add_text(f, "alias", "Alias", "", 32);
	alias->required = true;
	field_set_check(alias, no_spaces, calls);
	form_add_number(f, "cpu", "CPU cores", 2, 1, 64, true);
	form_add_number(f, "mem", "Memory (GiB)", 1.5, 0.5, 512, false);
	form_add_checkbox(f, "gpu", "Needs a GPU", false);
	form_add_select(f, "image", "Image", images, R1_ARRAY_LEN(images), 1);
	struct field *t = form_add_multi(f, "targets", "Target nodes", targets,
					 R1_ARRAY_LEN(targets), 3);
	t->required = true;
	struct field *tok = form_add_text(f, "token", "Registry token", "s3cret", 0);
	tok->edit.masked = true;
	return f;
}

static void type(struct form *f, const char *s)
{
	for (; *s; s++)
		form_key(f, (unsigned char)*s);
}

static void test_fields(void)
{
	int calls = 0;
	struct form *f = make_form(&calls);
	is_int(f->n, 7, "seven fields");
	struct field *cpu = form_find(f, "cpu"), *mem = form_find(f, "mem");
	ok(form_find(f, "nosuch") == NULL, "find: unknown id");
	is_str(field_text(cpu), "2", "integer initial value");
	is_str(field_text(mem), "1.5", "decimal initial value");
	is_str(field_choice(form_find(f, "image")), "postgres:17", "select initial choice");
	is_int(f->focus, 0, "focus starts on the first field");

	type(f, "web 1");
	is_str(field_text(form_find(f, "alias")), "web 1", "typing goes to the focused field");
	is_int(form_key(f, TUI_KEY_TAB), TUI_CONSUMED | TUI_REDRAW, "Tab moves on");
	is_int(f->focus, 1, "focus on cpu");
	is_str(form_find(f, "alias")->error, "no spaces in an alias",
	       "leaving a field checks it (custom check)");
	is_int(calls, 1, "custom check called once");
	form_key(f, TUI_KEY_BTAB);
	is_int(f->focus, 0, "Shift-Tab moves back");
	form_key(f, TUI_KEY_BACKSPACE);
	ok(form_find(f, "alias")->error != NULL, "editing re-checks: 'web ' still bad");
	form_key(f, TUI_KEY_BACKSPACE);
	ok(form_find(f, "alias")->error == NULL, "fixed while typing: the message goes");
	type(f, "-1");
	is_str(field_text(form_find(f, "alias")), "web-1", "alias fixed");

	form_key(f, TUI_KEY_DOWN);
	is_int(f->focus, 1, "Down moves to the next field");
	type(f, "x.9");
	is_str(field_text(cpu), "29", "integer field refuses '.' and letters");
	type(f, "9");
	form_key(f, TUI_KEY_TAB);
	is_str(cpu->error, "must be between 1 and 64", "range check");
	form_key(f, TUI_KEY_UP);
	form_key(f, TUI_KEY_BACKSPACE);
	form_key(f, TUI_KEY_TAB);
	ok(cpu->error == NULL, "29 is in range");
	double v;
	ok(field_number(cpu, &v) && v == 29, "field_number reads 29");

	lineedit_set(&mem->edit, "abc");
	is_str(field_text(mem), "", "number field drops letters on set as well");
	lineedit_set(&mem->edit, "1e");
	ok(!field_validate(mem), "'1e' is not a number");
	is_str(mem->error, "not a number", "message for a malformed number");
	lineedit_set(&cpu->edit, "");
	ok(!field_validate(cpu), "an empty number is refused (required by default)");
	is_str(cpu->error, "a value is required", "required message");
	lineedit_set(&cpu->edit, "1e2");
	is_str(field_text(cpu), "12", "integer field drops 'e'");
	lineedit_set(&mem->edit, "0.25");
	ok(!field_validate(mem), "below the minimum");
	is_str(mem->error, "must be between 0.5 and 512", "decimal range message");
	lineedit_set(&mem->edit, "2.5");
	ok(field_validate(mem), "2.5 GiB is fine");
	mem->integer = true;
	ok(!field_validate(mem), "a whole number is wanted");
	is_str(mem->error, "must be a whole number", "whole number message");
	mem->integer = false;
	field_validate(mem);

	/* checkbox */
	form_focus(f, 3);
	struct field *gpu = form_find(f, "gpu");
	is_int(form_key(f, TUI_KEY_SPACE), TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED,
	       "Space toggles a checkbox");
	ok(gpu->checked, "checked");
	is_int(form_key(f, 'x'), TUI_IGNORED, "other keys are not a checkbox's");

	/* select */
	form_key(f, TUI_KEY_TAB);
	struct field *img = form_find(f, "image");
	form_key(f, TUI_KEY_RIGHT);
	is_str(field_choice(img), "redis:7", "Right: next option");
	form_key(f, TUI_KEY_SPACE);
	form_key(f, TUI_KEY_SPACE);
	is_str(field_choice(img), "ubuntu:24.04", "Space steps and wraps");
	form_key(f, TUI_KEY_LEFT);
	is_str(field_choice(img), "nginx:1.27", "Left wraps back");
	form_key(f, 'p');
	is_str(field_choice(img), "postgres:17", "a letter jumps to an option");
	is_int(form_key(f, 'z'), TUI_CONSUMED, "a letter with no option: nothing");

	/* multi */
	form_key(f, TUI_KEY_TAB);
	struct field *tg = form_find(f, "targets");
	form_key(f, TUI_KEY_DOWN);
	form_key(f, TUI_KEY_SPACE);
	form_key(f, TUI_KEY_DOWN);
	form_key(f, TUI_KEY_DOWN);
	form_key(f, TUI_KEY_SPACE);
	ok(!tg->chosen[0] && tg->chosen[1] && !tg->chosen[2] && tg->chosen[3],
	   "Down moves in the list, Space toggles");
	is_int(f->focus, 5, "Down inside the list stays in the field");
	form_key(f, TUI_KEY_DOWN);
	form_key(f, TUI_KEY_DOWN);
	is_int(f->focus, 6, "Down past the list's end: the next field");
	form_key(f, TUI_KEY_UP);
	is_int(f->focus, 5, "Up from the next field comes back to the list");
	is_int(tg->selected, 4, "... where it was");
	form_key(f, TUI_KEY_SPACE);
	form_key(f, TUI_KEY_SPACE);

	is_int(form_key(f, TUI_KEY_ENTER), TUI_CONSUMED | TUI_SUBMIT, "all valid: Enter submits");
	tg->chosen[1] = tg->chosen[3] = false;
	lineedit_set(&cpu->edit, "");
	is_int(form_key(f, TUI_KEY_ENTER), TUI_CONSUMED | TUI_REDRAW, "invalid: Enter does not submit");
	is_int(f->focus, 1, "focus on the first bad field");
	is_str(tg->error, "choose at least one", "required multi-select message");
	is_int(form_key(f, TUI_KEY_ESC), TUI_CONSUMED | TUI_CANCEL, "Esc cancels");
	form_focus(f, 99);
	is_int(f->focus, 6, "focus clamped");
	form_key(f, TUI_KEY_TAB);
	is_int(f->focus, 0, "Tab wraps to the first field");
	form_free(&f);
	ok(f == NULL, "free NULLs");

	struct form *e = form_new();
	is_int(form_key(e, TUI_KEY_TAB), TUI_IGNORED, "empty form ignores Tab");
	is_int(form_key(e, TUI_KEY_ESC), TUI_CONSUMED | TUI_CANCEL, "empty form cancels");
	ok(form_validate(e), "empty form is valid");
	r1_alloc_fail_after(0);
	struct field *none = form_add_text(e, "a", "A", "x", 0);
	r1_alloc_fail_after(-1);
	ok(none == NULL, "allocation failure: no field");
	is_int(e->n, 0, "... and the form unchanged");
	r1_alloc_fail_after(4);
	none = form_add_select(e, "s", "S", images, 4, 0);
	r1_alloc_fail_after(-1);
	ok(none == NULL, "failure while copying options: no field");
	is_int(e->n, 0, "... and the form unchanged");
	form_free(&e);
}

static void test_draw(void)
{
	int calls = 0;
	struct form *f = make_form(&calls);
	type(f, "web 1");
	form_key(f, TUI_KEY_TAB);
	form_find(f, "targets")->chosen[2] = true;
	struct grid g;
	tui_grid(&g, 80, 24, false);
	form_draw(f, grid_whole(&g));
	is_screen(&g,
		  "  Alias           web 1\n"
		  "                  no spaces in an alias\n"
		  "\xE2\x96\xB8 CPU cores       2\n"
		  "  Memory (GiB)    1.5\n"
		  "  Needs a GPU     [ ]\n"
		  "  Image           < postgres:17  >\n"
		  "  Target nodes    [ ] node-01\n"
		  "                  [ ] node-02\n"
		  "                  [x] node-03\n"
		  "  Registry token  ******\n"
		  "\n\n\n\n\n\n\n\n\n\n\n\n\n\n",
		  "80x24: labels, values, the error under its field, the focus marker");
	ok(g.cursor_on && g.cursor_x == 19 && g.cursor_y == 2, "cursor in the focused field");
	char legend[TUI_ROLE__COUNT + 1];
	memset(legend, '.', TUI_ROLE__COUNT);
	legend[TUI_ROLE__COUNT] = '\0';
	legend[TUI_ROLE_LABEL] = 'l';
	legend[TUI_ROLE_LABEL_FOCUS] = 'L';
	legend[TUI_ROLE_INPUT] = 'i';
	legend[TUI_ROLE_INPUT_FOCUS] = 'I';
	legend[TUI_ROLE_INPUT_ERROR] = 'e';
	struct buf roles = BUF_INIT;
	grid_dump_roles(&g, &roles, legend);
	const char *r = buf_cstr(&roles);
	ok(strncmp(r, "..llllllllllllll..iiiiiiiiiiiiiiiiiii", 36) == 0,
	   "label and input roles (input padded to the value width)");
	const char *r1 = strchr(r, '\n') + 1;
	ok(strncmp(r1, "..................eeeeeeeeeeeeeeeeeeeee", 39) == 0, "error line role");
	const char *r2 = strchr(r1, '\n') + 1;
	ok(strncmp(r2, "L.LLLLLLLLLLLLLL..IIII", 22) == 0, "focused label and input roles");
	buf_release(&roles);
	grid_release(&g);

	tui_grid(&g, 200, 50, false);
	form_focus(f, 5);
	form_draw(f, grid_whole(&g));
	is_screen(&g,
		  "  Alias           web 1\n"
		  "                  no spaces in an alias\n"
		  "  CPU cores       2\n"
		  "  Memory (GiB)    1.5\n"
		  "  Needs a GPU     [ ]\n"
		  "  Image           < postgres:17  >\n"
		  "\xE2\x96\xB8 Target nodes    [ ] node-01\n"
		  "                  [ ] node-02\n"
		  "                  [x] node-03\n"
		  "  Registry token  ******\n"
		  "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n",
		  "200x50: the same page (values capped at 60 columns)");
	ok(g.cursor_x == 19 && g.cursor_y == 6, "cursor on the list's current option");
	is_int(grid_cell_at(&g, 18 + 59, 0)->role, TUI_ROLE_INPUT, "input field ends at column 77");
	is_int(grid_cell_at(&g, 18 + 60, 0)->role, TUI_ROLE_DEFAULT, "... not beyond");
	grid_release(&g);

	/* a short area: the form scrolls to keep the focused field whole */
	tui_grid(&g, 40, 4, false);
	form_focus(f, 5);
	form_find(f, "targets")->selected = 4;
	form_draw(f, grid_whole(&g));
	is_screen(&g,
		  "  Image          < postgres:17  >\n"
		  "\xE2\x96\xB8 Target nodes   [x] node-03\n"
		  "                 [ ] oracle-a\n"
		  "                 [ ] edge-de\n",
		  "short area: scrolled just enough, the list scrolled to its cursor");
	form_focus(f, 6);
	grid_clear(&g, 0);
	form_draw(f, grid_whole(&g));
	is_str(tui_row(&g, 3), "\xE2\x96\xB8 Registry tok\xE2\x80\xA6  ******",
	       "labels cut at a third of the width");
	grid_release(&g);
	form_free(&f);
}

static void keys(struct textarea *ta, const char *s)
{
	for (; *s; s++)
		textarea_key(ta, *s == '\n' ? TUI_KEY_ENTER : (unsigned char)*s);
}

static void test_textarea(void)
{
	struct textarea ta;
	textarea_init(&ta, 0);
	is_str(textarea_text(&ta), "", "empty textarea");
	is_int(textarea_key(&ta, TUI_KEY_BACKSPACE), TUI_CONSUMED, "backspace at 0: nothing");
	is_int(textarea_set(&ta, "{\n  \"A\": 1\x1b[2J\t\n}"), R1_OK, "set");
	is_str(textarea_text(&ta), "{\n  \"A\": 1[2J \n}",
	       "escape dropped, tab as a space, newlines kept");
	size_t l, c;
	textarea_cursor(&ta, &l, &c);
	ok(l == 0 && c == 0, "cursor at the start after set");
	textarea_goto(&ta, 1, 8);
	textarea_cursor(&ta, &l, &c);
	ok(l == 1 && c == 8, "goto line 1 col 8");
	textarea_key(&ta, TUI_KEY_CTRL('k'));
	is_str(textarea_text(&ta), "{\n  \"A\": 1\n}", "^K deletes to the end of the line");
	textarea_key(&ta, TUI_KEY_CTRL('k'));
	is_str(textarea_text(&ta), "{\n  \"A\": 1}", "^K at the end joins the next line");
	textarea_key(&ta, ',');
	keys(&ta, "\n\"B\": 2\n");
	is_str(textarea_text(&ta), "{\n  \"A\": 1,\n  \"B\": 2\n  }",
	       "Enter repeats the indentation");
	textarea_key(&ta, TUI_KEY_CTRL('u'));
	is_str(textarea_text(&ta), "{\n  \"A\": 1,\n  \"B\": 2\n}", "^U deletes to the line start");
	/* Up and Down keep the column they aimed at across a short line */
	textarea_set(&ta, "abcdef\nab\nabcdef");
	textarea_goto(&ta, 0, 5);
	textarea_key(&ta, TUI_KEY_DOWN);
	textarea_cursor(&ta, &l, &c);
	ok(l == 1 && c == 2, "down to a short line: its end");
	textarea_key(&ta, TUI_KEY_DOWN);
	textarea_cursor(&ta, &l, &c);
	ok(l == 2 && c == 5, "down again: back at the aimed column");
	textarea_key(&ta, TUI_KEY_END);
	textarea_key(&ta, TUI_KEY_DELETE);
	is_str(textarea_text(&ta), "abcdef\nab\nabcdef", "delete at the very end: nothing");
	textarea_key(&ta, TUI_KEY_HOME);
	textarea_key(&ta, TUI_KEY_BACKSPACE);
	is_str(textarea_text(&ta), "abcdef\nababcdef", "backspace at a line start joins");
	is_int(textarea_key(&ta, TUI_KEY_ESC), TUI_IGNORED, "Esc is the owner's");

	/* drawing: scrolled to the cursor, long lines cut and scrolled sideways */
	struct grid g;
	tui_grid(&g, 8, 2, false);
	textarea_set(&ta, "l0\nl1\nl2 is long\nl3");
	textarea_goto(&ta, 2, 9);
	textarea_draw(&ta, grid_whole(&g), TUI_ROLE_INPUT, true);
	is_screen(&g, "\nis long\n", "scrolled down and sideways to the cursor");
	ok(g.cursor_on && g.cursor_y == 1 && g.cursor_x == 6, "cursor shown where it is");
	textarea_goto(&ta, 0, 0);
	textarea_draw(&ta, grid_whole(&g), TUI_ROLE_INPUT, true);
	is_screen(&g, "l0\nl1\n", "back at the top");
	grid_release(&g);
	textarea_release(&ta);
}

static bool json_ok(void *ctx, struct field *f, struct buf *msg)
{
	(void)ctx;
	const char *t = field_text(f);
	if (t[0] != '{') {
		buf_adds(msg, "not an object");
		return false;
	}
	return true;
}

static void test_form_textarea(void)
{
	struct form *f = form_new();
	form_add_text(f, "cmd", "Command", "RUN", 0);
	struct field *cfg = form_add_textarea(f, "config", "Config (JSON)", "{\n}", 3, 0);
	field_set_check(cfg, json_ok, NULL);
	is_int(cfg->kind, FIELD_TEXTAREA, "a textarea field");
	form_focus(f, 1);
	is_int(form_key(f, TUI_KEY_ENTER) & TUI_SUBMIT, 0, "Enter in a textarea edits, no submit");
	is_str(field_text(cfg), "\n{\n}", "... a newline went in");
	is_int(form_key(f, TUI_KEY_CTRL('s')) & TUI_SUBMIT, 0, "^S with a bad value: no submit");
	is_str(cfg->error, "not an object", "the check's message");
	form_key(f, TUI_KEY_BACKSPACE);
	ok(form_key(f, TUI_KEY_CTRL('s')) & TUI_SUBMIT, "^S with good values submits");
	is_int(form_key(f, TUI_KEY_UP) & TUI_CONSUMED, TUI_CONSUMED, "Up moves inside the text");
	is_int(f->focus, 1, "... not the focus");
	form_key(f, TUI_KEY_BTAB);
	is_int(f->focus, 0, "Shift-Tab leaves the textarea");

	struct grid g;
	tui_grid(&g, 30, 6, false);
	form_draw(f, grid_whole(&g));
	is_screen(&g,
		  "\xE2\x96\xB8 Command  RUN\n"
		  "  Config (JSON)\n"
		  "  {\n"
		  "  }\n"
		  "\n"
		  "\n",
		  "textarea label on its own row, text below it");
	grid_release(&g);
	form_free(&f);
}

int main(void)
{
	tui_check_locale();
	test_fields();
	test_draw();
	test_textarea();
	test_form_textarea();
	return tap_done();
}
