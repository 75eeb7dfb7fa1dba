/*
 * Unit tests of tui/theme: the file parser (good lines, inheritance, every
 * kind of bad line and its message), the shipped themes, and the colour
 * fallback from 256 to 16 to 8 to monochrome.
 */
#include "tui/lib.h"
#include "tui/theme.h"
#include "tui/grid.h"
#include "tests/tap.h"

#define THEMES R1_SRCDIR "/data/themes"

static enum r1_err parse(struct theme *t, const char *name, const char *text, char **why)
{
	return theme_parse(t, name, text, strlen(text), why);
}

/* The parse error message for text (checked to fail with R1_ERR_INVAL). */
static void bad(const char *text, const char *want, const char *name)
{
	struct theme t;
	char *why = NULL;
	is_int(parse(&t, "light.theme", text, &why), R1_ERR_INVAL, "%s: refused", name);
	is_str(why, want, "%s: message", name);
	r1_free(why);
}

static void test_parse(void)
{
	struct theme t;
	char *why = NULL;
	is_int(parse(&t, "empty.theme", "", &why), R1_OK, "empty theme parses");
	is_str(t.name, "empty", "name comes from the file name without .theme");
	is_int(t.colours, 0, "empty theme needs no colours");
	is_int(t.style[TUI_ROLE_ROW].fg, THEME_COLOUR_DEFAULT, "unset role: default fg");
	is_int(t.style[TUI_ROLE_ROW].attr, 0, "unset role: no attributes");

	const char *text = "# a comment\n"
			   "\n"
			   "   row = white blue   # trailing comment\r\n"
			   "row_selected=black cyan bold,underline\n"
			   "header = colour200 color17 reverse\n"
			   "status_warn = 255\n"
			   "status_error = bright-red default blink\n"
			   "border = grey\n"
			   "fallback = 16color\n"
			   "title = default bold";
	is_int(parse(&t, "/some/dir/dark.theme", text, &why), R1_OK, "a full theme parses");
	is_str(t.name, "dark", "name without directory");
	is_str(t.fallback, "16color", "fallback read");
	is_int(t.style[TUI_ROLE_ROW].fg, 7, "white is 7");
	is_int(t.style[TUI_ROLE_ROW].bg, 4, "blue is 4");
	is_int(t.style[TUI_ROLE_ROW_SELECTED].attr, GRID_BOLD | GRID_UNDERLINE,
	       "attributes separated by a comma");
	is_int(t.style[TUI_ROLE_HEADER].fg, 200, "colourN");
	is_int(t.style[TUI_ROLE_HEADER].bg, 17, "colorN");
	is_int(t.style[TUI_ROLE_HEADER].attr, GRID_REVERSE, "attribute after two colours");
	is_int(t.style[TUI_ROLE_STATUS_WARN].fg, 255, "bare number");
	is_int(t.style[TUI_ROLE_STATUS_WARN].bg, THEME_COLOUR_DEFAULT, "bg may be left out");
	is_int(t.style[TUI_ROLE_STATUS_ERROR].fg, 9, "bright-red is 9");
	is_int(t.style[TUI_ROLE_STATUS_ERROR].attr, GRID_BLINK, "blink");
	is_int(t.style[TUI_ROLE_BORDER].fg, 8, "grey is 8");
	is_int(t.style[TUI_ROLE_TITLE].attr, GRID_BOLD, "attribute right after the fg");
	is_int(t.colours, 256, "colours above 15 need 256");
	/* inheritance */
	is_int(t.style[TUI_ROLE_ROW_ALT].bg, 4, "row_alt inherits row");
	is_int(t.style[TUI_ROLE_ROW_DIM].fg, 7, "row_dim inherits row");
	is_int(t.style[TUI_ROLE_HEADER_LABEL].fg, 200, "header_label inherits header");
	is_int(t.style[TUI_ROLE_HEADER_LABEL].attr, GRID_REVERSE, "... attributes too");
	is_int(t.style[TUI_ROLE_INPUT_ERROR].fg, 9, "input_error inherits status_error");
	is_int(t.style[TUI_ROLE_PANE_TITLE_FOCUS].fg, 8, "grandchild inherits through its parent");

	is_int(parse(&t, "x.theme", "row = red\nheader = bright-blue\n", &why), R1_OK, "16 parse");
	is_int(t.colours, 16, "colours 8-15 need 16");
	is_int(parse(&t, "x.theme", "row = red green\n", &why), R1_OK, "8 parse");
	is_int(t.colours, 8, "colours 0-7 need 8");
	ok(why == NULL, "no message on success");
}

static void test_errors(void)
{
	bad("# 1\n# 2\n# 3\n# 4\n# 5\n# 6\n# 7\n# 8\n# 9\n# 10\nrow = red\nrow_selected = pinkish\n",
	    "theme light.theme:12: unknown colour 'pinkish'", "unknown colour, line 12");
	bad("rows = red\n", "theme light.theme:1: unknown role 'rows'", "unknown role");
	bad("row = red blue shiny\n", "theme light.theme:1: unknown attribute 'shiny'",
	    "unknown attribute");
	bad("row = red shiny\n", "theme light.theme:1: unknown colour or attribute 'shiny'",
	    "unknown second word");
	bad("row = 256\n", "theme light.theme:1: unknown colour '256'", "colour 256");
	bad("row = colour1000\n", "theme light.theme:1: unknown colour 'colour1000'",
	    "colour1000");
	bad("row = -1\n", "theme light.theme:1: unknown colour '-1'", "negative colour");
	bad("row red\n", "theme light.theme:1: expected 'role = colour [colour] [attributes]'",
	    "missing '='");
	bad("row =\n", "theme light.theme:1: role 'row' has no colour", "no colour");
	bad("\nrow = red\nrow = blue\n", "theme light.theme:3: role 'row' is set twice",
	    "role set twice");
	bad("row = red blue bold bold bold bold bold bold bold\n",
	    "theme light.theme:1: too many words for role 'row'", "too many words");
	bad("fallback = ../etc/x\n", "theme light.theme:1: bad fallback theme name '../etc/x'",
	    "fallback with a path");

	struct buf big = BUF_INIT;
	buf_adds(&big, "row = red ");
	for (int i = 0; i < 1100; i++)
		buf_addc(&big, ' ');
	buf_adds(&big, "\n");
	bad(buf_cstr(&big), "theme light.theme:1: line too long", "line too long");
	buf_release(&big);

	struct theme t;
	char *why = NULL;
	static const char nul[] = "row = red\0 blue\n";
	is_int(theme_parse(&t, "light.theme", nul, sizeof(nul) - 1, &why), R1_ERR_INVAL,
	       "NUL in a line: refused");
	is_str(why, "theme light.theme:1: NUL byte", "NUL in a line: message");
	r1_free(why);
	why = NULL;
	is_int(theme_load(&t, "/nonexistent/x.theme", &why), R1_ERR_IO, "missing file: IO");
	ok(why && strstr(why, "/nonexistent/x.theme") != NULL, "missing file: message names it");
	r1_free(why);
}

static void test_shipped(void)
{
	static const struct {
		const char *name;
		int colours;
		const char *fallback;
	} shipped[] = {
		{"default", 256, "16color"}, {"light", 256, "16color"}, {"16color", 16, ""},
		{"high-contrast", 16, ""},   {"mono", 0, ""},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(shipped); i++) {
		struct theme t;
		char *why = NULL;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s.theme", THEMES, shipped[i].name);
		is_int(theme_load(&t, path, &why), R1_OK, "shipped %s parses", shipped[i].name);
		if (why)
			tap_diag("%s", why);
		r1_free(why);
		is_int(t.colours, shipped[i].colours, "%s needs %d colours", shipped[i].name,
		       shipped[i].colours);
		is_str(t.fallback, shipped[i].fallback, "%s falls back to '%s'", shipped[i].name,
		       shipped[i].fallback);
		is_str(t.name, shipped[i].name, "%s is named after its file", shipped[i].name);
		if (shipped[i].colours == 0)
			continue;
		ok(t.style[TUI_ROLE_ROW_SELECTED].bg != t.style[TUI_ROLE_ROW].bg ||
			   (t.style[TUI_ROLE_ROW_SELECTED].attr & GRID_REVERSE),
		   "%s: the selection stands out", shipped[i].name);
		bool heat_distinct = true;
		for (int h = TUI_ROLE_HEAT_0; h < TUI_ROLE_HEAT_4; h++)
			heat_distinct &= t.style[h].fg != t.style[h + 1].fg;
		ok(heat_distinct, "%s: heat levels have distinct colours", shipped[i].name);
	}

	struct theme file, builtin;
	char *why = NULL;
	is_int(theme_load(&file, THEMES "/mono.theme", &why), R1_OK, "mono.theme loads");
	theme_init_mono(&builtin);
	ok(memcmp(file.style, builtin.style, sizeof(file.style)) == 0,
	   "mono.theme is the same as the built-in monochrome theme");
	for (int r = 0; r < TUI_ROLE__COUNT; r++)
		if (file.style[r].attr != builtin.style[r].attr)
			tap_diag("role %s: file %u built-in %u", theme_role_name(r),
				 file.style[r].attr, builtin.style[r].attr);
	ok(builtin.style[TUI_ROLE_ROW_SELECTED].attr & GRID_REVERSE,
	   "monochrome selection is reverse video");
}

static void test_fallback(void)
{
	struct theme t;
	char *why = NULL;
	is_int(theme_pick(&t, THEMES, "default", 256, &why), R1_OK, "pick default on 256");
	is_str(t.name, "default", "256 colours: default itself");
	is_int(t.colours, 256, "... with 256 colours");

	is_int(theme_pick(&t, THEMES, "default", 16, &why), R1_OK, "pick default on 16");
	is_str(t.name, "16color", "16 colours: the fallback file");
	is_int(t.colours, 16, "... with 16 colours");

	is_int(theme_pick(&t, THEMES, "default", 8, &why), R1_OK, "pick default on 8");
	is_str(t.name, "16color", "8 colours: the fallback file, reduced");
	is_int(t.colours, 8, "... to 8 colours");
	is_int(t.style[TUI_ROLE_TITLE].fg, 6, "bright-cyan became cyan");
	ok(t.style[TUI_ROLE_TITLE].attr & GRID_BOLD, "... in bold");
	int maxc = 0;
	for (int r = 0; r < TUI_ROLE__COUNT; r++)
		maxc = R1_MAX(maxc, R1_MAX(t.style[r].fg, t.style[r].bg));
	ok(maxc < 8, "no colour above 7 is left");

	is_int(theme_pick(&t, THEMES, "high-contrast", 8, &why), R1_OK, "high-contrast on 8");
	is_str(t.name, "high-contrast", "high-contrast has no fallback: reduced in place");
	is_int(t.style[TUI_ROLE_ROW_SELECTED].bg, 3, "bright-yellow selection became yellow");

	is_int(theme_pick(&t, THEMES, "light", 0, &why), R1_OK, "no colours");
	is_str(t.name, "mono", "no colours: monochrome");

	is_int(theme_pick(&t, THEMES, "nosuch", 256, &why), R1_ERR_IO, "missing theme: error");
	is_str(t.name, "mono", "missing theme: monochrome to go on with");
	r1_free(why);
	why = NULL;
	is_int(theme_pick(&t, THEMES, "bad name", 256, &why), R1_ERR_INVAL, "unsafe name refused");
	is_str(why, "theme name 'bad name' is not valid", "unsafe name message");
	r1_free(why);
	why = NULL;
	is_int(theme_pick(&t, THEMES, THEMES "/light.theme", 256, &why), R1_OK, "a path works");
	is_str(t.name, "light", "... and loads that file");

	/* direct reduction of 256-colour values */
	is_int(parse(&t, "x.theme", "row = 196 81\nheader = 244\n", &why), R1_OK, "256 parse");
	theme_reduce(&t, 16);
	is_int(t.style[TUI_ROLE_ROW].fg, 9, "196 (pure red) becomes bright red");
	is_int(t.style[TUI_ROLE_ROW].bg, 14, "81 (light blue) becomes bright cyan");
	is_int(t.style[TUI_ROLE_HEADER].fg, 8, "244 (grey) becomes bright black");
	is_int(t.colours, 16, "now needs 16");
	theme_reduce(&t, 8);
	is_int(t.style[TUI_ROLE_ROW].fg, 1, "then red");
	is_int(t.style[TUI_ROLE_ROW].bg, 6, "and cyan background");
	is_int(t.style[TUI_ROLE_ROW].attr, GRID_BOLD, "bright fg becomes bold");
}

static void test_roles(void)
{
	bool all = true;
	for (int r = 0; r < TUI_ROLE__COUNT; r++) {
		enum tui_role back;
		const char *name = theme_role_name(r);
		all &= name && theme_role_lookup(name, &back) && back == (enum tui_role)r;
	}
	ok(all, "every role has a name that looks it up");
	ok(theme_role_name(TUI_ROLE__COUNT) == NULL, "no name past the last role");
	enum tui_role r;
	ok(!theme_role_lookup("nonsense", &r), "unknown name");
}

int main(void)
{
	test_parse();
	test_errors();
	test_shipped();
	test_fallback();
	test_roles();
	return tap_done();
}
