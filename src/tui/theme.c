/*
 * Themes: the role table, the theme file parser, the built-in monochrome
 * theme and the colour fallback (see theme.h for the file format).  This is
 * data and parsing only; turning a theme into curses colour pairs is
 * screen_curses.c's business, so all of this is tested without a terminal.
 */
#include "tui/lib.h"
#include "tui/theme.h"
#include "tui/grid.h"

#define THEME_MAX_LINE 1024
#define THEME_MAX_FALLBACKS 8

/* Every role: its name in theme files, the role it looks like when unset. */
static const struct role_info {
	const char *name;
	enum tui_role parent;
} roles[TUI_ROLE__COUNT] = {
	[TUI_ROLE_DEFAULT] = {"default", TUI_ROLE_DEFAULT},
	[TUI_ROLE_TITLE] = {"title", TUI_ROLE_DEFAULT},
	[TUI_ROLE_HEADER] = {"header", TUI_ROLE_DEFAULT},
	[TUI_ROLE_HEADER_LABEL] = {"header_label", TUI_ROLE_HEADER},
	[TUI_ROLE_HEADER_VALUE] = {"header_value", TUI_ROLE_HEADER},
	[TUI_ROLE_BORDER] = {"border", TUI_ROLE_DEFAULT},
	[TUI_ROLE_PANE_TITLE] = {"pane_title", TUI_ROLE_BORDER},
	[TUI_ROLE_PANE_TITLE_FOCUS] = {"pane_title_focus", TUI_ROLE_PANE_TITLE},
	[TUI_ROLE_TABLE_HEADER] = {"table_header", TUI_ROLE_DEFAULT},
	[TUI_ROLE_TABLE_HEADER_SORT] = {"table_header_sort", TUI_ROLE_TABLE_HEADER},
	[TUI_ROLE_ROW] = {"row", TUI_ROLE_DEFAULT},
	[TUI_ROLE_ROW_ALT] = {"row_alt", TUI_ROLE_ROW},
	[TUI_ROLE_ROW_SELECTED] = {"row_selected", TUI_ROLE_ROW},
	[TUI_ROLE_ROW_MARKED] = {"row_marked", TUI_ROLE_ROW},
	[TUI_ROLE_ROW_DIM] = {"row_dim", TUI_ROLE_ROW},
	[TUI_ROLE_GROUP] = {"group", TUI_ROLE_ROW},
	[TUI_ROLE_STATUS_OK] = {"status_ok", TUI_ROLE_DEFAULT},
	[TUI_ROLE_STATUS_WARN] = {"status_warn", TUI_ROLE_DEFAULT},
	[TUI_ROLE_STATUS_ERROR] = {"status_error", TUI_ROLE_DEFAULT},
	[TUI_ROLE_STATUS_STALE] = {"status_stale", TUI_ROLE_DEFAULT},
	[TUI_ROLE_STATUS_INFO] = {"status_info", TUI_ROLE_DEFAULT},
	[TUI_ROLE_STATUSBAR] = {"statusbar", TUI_ROLE_DEFAULT},
	[TUI_ROLE_KEYBAR] = {"keybar", TUI_ROLE_DEFAULT},
	[TUI_ROLE_KEYBAR_KEY] = {"keybar_key", TUI_ROLE_KEYBAR},
	[TUI_ROLE_KEYBAR_LABEL] = {"keybar_label", TUI_ROLE_KEYBAR},
	[TUI_ROLE_PROMPT] = {"prompt", TUI_ROLE_DEFAULT},
	[TUI_ROLE_PROMPT_HINT] = {"prompt_hint", TUI_ROLE_PROMPT},
	[TUI_ROLE_LABEL] = {"label", TUI_ROLE_DEFAULT},
	[TUI_ROLE_LABEL_FOCUS] = {"label_focus", TUI_ROLE_LABEL},
	[TUI_ROLE_INPUT] = {"input", TUI_ROLE_DEFAULT},
	[TUI_ROLE_INPUT_FOCUS] = {"input_focus", TUI_ROLE_INPUT},
	[TUI_ROLE_INPUT_ERROR] = {"input_error", TUI_ROLE_STATUS_ERROR},
	[TUI_ROLE_DIALOG] = {"dialog", TUI_ROLE_DEFAULT},
	[TUI_ROLE_DIALOG_TITLE] = {"dialog_title", TUI_ROLE_DIALOG},
	[TUI_ROLE_DIALOG_BUTTON] = {"dialog_button", TUI_ROLE_DIALOG},
	[TUI_ROLE_DIALOG_BUTTON_FOCUS] = {"dialog_button_focus", TUI_ROLE_DIALOG_BUTTON},
	[TUI_ROLE_HELP_KEY] = {"help_key", TUI_ROLE_DEFAULT},
	[TUI_ROLE_HELP_TEXT] = {"help_text", TUI_ROLE_DEFAULT},
	[TUI_ROLE_SPARKLINE] = {"sparkline", TUI_ROLE_DEFAULT},
	[TUI_ROLE_PROGRESS_DONE] = {"progress_done", TUI_ROLE_DEFAULT},
	[TUI_ROLE_PROGRESS_TODO] = {"progress_todo", TUI_ROLE_DEFAULT},
	[TUI_ROLE_HEAT_NONE] = {"heat_none", TUI_ROLE_DEFAULT},
	[TUI_ROLE_HEAT_0] = {"heat_0", TUI_ROLE_DEFAULT},
	[TUI_ROLE_HEAT_1] = {"heat_1", TUI_ROLE_DEFAULT},
	[TUI_ROLE_HEAT_2] = {"heat_2", TUI_ROLE_DEFAULT},
	[TUI_ROLE_HEAT_3] = {"heat_3", TUI_ROLE_DEFAULT},
	[TUI_ROLE_HEAT_4] = {"heat_4", TUI_ROLE_DEFAULT},
};

static const struct {
	const char *name;
	uint16_t attr;
} attr_names[] = {
	{"bold", GRID_BOLD},	     {"dim", GRID_DIM},	      {"underline", GRID_UNDERLINE},
	{"reverse", GRID_REVERSE}, {"italic", GRID_ITALIC}, {"blink", GRID_BLINK},
};

static const char *const colour_names[16] = {
	"black",	"red",		  "green",	 "yellow",
	"blue",		"magenta",	  "cyan",	 "white",
	"bright-black", "bright-red",	  "bright-green", "bright-yellow",
	"bright-blue",	"bright-magenta", "bright-cyan",  "bright-white",
};

/* The monochrome theme: attributes carry everything colours would. */
static const struct {
	enum tui_role role;
	uint16_t attr;
} mono_attrs[] = {
	{TUI_ROLE_TITLE, GRID_BOLD},
	{TUI_ROLE_HEADER, GRID_REVERSE},
	{TUI_ROLE_HEADER_VALUE, GRID_REVERSE | GRID_BOLD},
	{TUI_ROLE_PANE_TITLE_FOCUS, GRID_BOLD},
	{TUI_ROLE_TABLE_HEADER, GRID_UNDERLINE},
	{TUI_ROLE_TABLE_HEADER_SORT, GRID_UNDERLINE | GRID_BOLD},
	{TUI_ROLE_ROW_SELECTED, GRID_REVERSE},
	{TUI_ROLE_ROW_MARKED, GRID_BOLD},
	{TUI_ROLE_ROW_DIM, GRID_DIM},
	{TUI_ROLE_GROUP, GRID_BOLD},
	{TUI_ROLE_STATUS_WARN, GRID_BOLD},
	{TUI_ROLE_STATUS_ERROR, GRID_BOLD | GRID_UNDERLINE},
	{TUI_ROLE_STATUS_STALE, GRID_DIM},
	{TUI_ROLE_STATUSBAR, GRID_REVERSE},
	{TUI_ROLE_KEYBAR_KEY, GRID_REVERSE},
	{TUI_ROLE_PROMPT_HINT, GRID_DIM},
	{TUI_ROLE_LABEL_FOCUS, GRID_BOLD},
	{TUI_ROLE_INPUT, GRID_UNDERLINE},
	{TUI_ROLE_INPUT_FOCUS, GRID_REVERSE},
	{TUI_ROLE_INPUT_ERROR, GRID_BOLD},
	{TUI_ROLE_DIALOG_TITLE, GRID_BOLD},
	{TUI_ROLE_DIALOG_BUTTON_FOCUS, GRID_REVERSE},
	{TUI_ROLE_HELP_KEY, GRID_BOLD},
	{TUI_ROLE_PROGRESS_DONE, GRID_REVERSE},
	{TUI_ROLE_HEAT_NONE, GRID_DIM},
	{TUI_ROLE_HEAT_0, GRID_BOLD},
	{TUI_ROLE_HEAT_4, GRID_REVERSE},
};

const char *theme_role_name(enum tui_role role)
{
	return (unsigned)role < TUI_ROLE__COUNT ? roles[role].name : NULL;
}

bool theme_role_lookup(const char *name, enum tui_role *out)
{
	for (int i = 0; i < TUI_ROLE__COUNT; i++)
		if (strcmp(roles[i].name, name) == 0) {
			*out = (enum tui_role)i;
			return true;
		}
	return false;
}

static void theme_blank(struct theme *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < TUI_ROLE__COUNT; i++) {
		t->style[i].fg = THEME_COLOUR_DEFAULT;
		t->style[i].bg = THEME_COLOUR_DEFAULT;
	}
}

/* Roles not set look like their parents (parents come first in the table). */
static void inherit(struct theme *t, const bool *set)
{
	for (int i = 1; i < TUI_ROLE__COUNT; i++)
		if (!set[i])
			t->style[i] = t->style[roles[i].parent];
}

void theme_init_mono(struct theme *t)
{
	bool set[TUI_ROLE__COUNT] = {false};
	theme_blank(t);
	snprintf(t->name, sizeof(t->name), "mono");
	for (size_t i = 0; i < R1_ARRAY_LEN(mono_attrs); i++) {
		t->style[mono_attrs[i].role].attr = mono_attrs[i].attr;
		set[mono_attrs[i].role] = true;
	}
	inherit(t, set);
}

/* ---------------------------------------------------------------- parser */

static bool parse_colour(const char *tok, int16_t *out)
{
	if (strcmp(tok, "default") == 0) {
		*out = THEME_COLOUR_DEFAULT;
		return true;
	}
	for (int i = 0; i < 16; i++)
		if (strcmp(tok, colour_names[i]) == 0) {
			*out = (int16_t)i;
			return true;
		}
	if (strcmp(tok, "grey") == 0 || strcmp(tok, "gray") == 0) {
		*out = 8;
		return true;
	}
	const char *num = tok;
	if (strncmp(tok, "colour", 6) == 0)
		num = tok + 6;
	else if (strncmp(tok, "color", 5) == 0)
		num = tok + 5;
	if (*num < '0' || *num > '9' || strlen(num) > 3)
		return false;
	int v = 0;
	for (const char *p = num; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
	}
	if (v > 255)
		return false;
	*out = (int16_t)v;
	return true;
}

static bool parse_attr(const char *tok, uint16_t *attr)
{
	for (size_t i = 0; i < R1_ARRAY_LEN(attr_names); i++)
		if (strcmp(tok, attr_names[i].name) == 0) {
			*attr |= attr_names[i].attr;
			return true;
		}
	return false;
}

static int needed_colours(int16_t c)
{
	if (c < 0)
		return 0;
	return c < 8 ? 8 : c < 16 ? 16 : 256;
}

/* Split s (modified in place) at spaces, tabs and commas; at most max tokens. */
static int tokenize(char *s, char **tok, int max)
{
	int n = 0;
	char *save = NULL;
	for (char *p = strtok_r(s, " \t,", &save); p; p = strtok_r(NULL, " \t,", &save)) {
		if (n == max)
			return max + 1;
		tok[n++] = p;
	}
	return n;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* One "key = value" line; `line` is modified. */
static enum r1_err parse_line(struct theme *t, bool *set, const char *file, int lineno, char *line,
			      char **why)
{
	char *eq = strchr(line, '=');
	if (!eq)
		return r1_fail(why, R1_ERR_INVAL,
			       _("theme %s:%d: expected 'role = colour [colour] [attributes]'"), file,
			       lineno);
	*eq = '\0';
	char *key = trim(line), *value = trim(eq + 1);
	if (strcmp(key, "fallback") == 0) {
		if (!*value || strlen(value) >= sizeof(t->fallback) || strchr(value, '/'))
			return r1_fail(why, R1_ERR_INVAL,
				       _("theme %s:%d: bad fallback theme name '%s'"), file, lineno,
				       value);
		snprintf(t->fallback, sizeof(t->fallback), "%s", value);
		return R1_OK;
	}
	enum tui_role role;
	if (!theme_role_lookup(key, &role))
		return r1_fail(why, R1_ERR_INVAL, _("theme %s:%d: unknown role '%s'"), file, lineno,
			       key);
	if (set[role])
		return r1_fail(why, R1_ERR_INVAL, _("theme %s:%d: role '%s' is set twice"), file,
			       lineno, key);
	char *tok[10];
	int n = tokenize(value, tok, 8);
	if (n == 0)
		return r1_fail(why, R1_ERR_INVAL, _("theme %s:%d: role '%s' has no colour"), file,
			       lineno, key);
	if (n > 8)
		return r1_fail(why, R1_ERR_INVAL, _("theme %s:%d: too many words for role '%s'"),
			       file, lineno, key);
	struct theme_style st = {THEME_COLOUR_DEFAULT, THEME_COLOUR_DEFAULT, 0};
	if (!parse_colour(tok[0], &st.fg))
		return r1_fail(why, R1_ERR_INVAL, _("theme %s:%d: unknown colour '%s'"), file,
			       lineno, tok[0]);
	int i = 1;
	if (n > 1 && !parse_attr(tok[1], &st.attr)) {
		if (!parse_colour(tok[1], &st.bg))
			return r1_fail(why, R1_ERR_INVAL,
				       _("theme %s:%d: unknown colour or attribute '%s'"), file,
				       lineno, tok[1]);
	}
	for (i = 2; i < n; i++)
		if (!parse_attr(tok[i], &st.attr))
			return r1_fail(why, R1_ERR_INVAL, _("theme %s:%d: unknown attribute '%s'"),
				       file, lineno, tok[i]);
	t->style[role] = st;
	set[role] = true;
	return R1_OK;
}

enum r1_err theme_parse(struct theme *t, const char *name, const char *text, size_t len,
			char **why)
{
	theme_blank(t);
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	snprintf(t->name, sizeof(t->name), "%s", base);
	size_t nl = strlen(t->name);
	if (nl > 6 && strcmp(t->name + nl - 6, ".theme") == 0)
		t->name[nl - 6] = '\0';

	bool set[TUI_ROLE__COUNT] = {false};
	char line[THEME_MAX_LINE + 1];
	int lineno = 0;
	size_t pos = 0;
	while (pos < len) {
		lineno++;
		const char *start = text + pos;
		const char *end = memchr(start, '\n', len - pos);
		size_t n = end ? (size_t)(end - start) : len - pos;
		pos += n + (end ? 1 : 0);
		if (n > THEME_MAX_LINE)
			return r1_fail(why, R1_ERR_INVAL, _("theme %s:%d: line too long"), base,
				       lineno);
		if (memchr(start, '\0', n))
			return r1_fail(why, R1_ERR_INVAL, _("theme %s:%d: NUL byte"), base,
				       lineno);
		memcpy(line, start, n);
		line[n] = '\0';
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *l = trim(line);
		if (!*l)
			continue;
		enum r1_err err = parse_line(t, set, base, lineno, l, why);
		if (err)
			return err;
	}
	inherit(t, set);
	t->colours = 0;
	for (int i = 0; i < TUI_ROLE__COUNT; i++) {
		t->colours = R1_MAX(t->colours, needed_colours(t->style[i].fg));
		t->colours = R1_MAX(t->colours, needed_colours(t->style[i].bg));
	}
	return R1_OK;
}

enum r1_err theme_load(struct theme *t, const char *path, char **why)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return r1_fail(why, R1_ERR_IO, _("theme %s: %s"), path, strerror(errno));
	struct buf b = BUF_INIT;
	buf_init_max(&b, 256 * 1024);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	bool read_error = ferror(f);
	fclose(f);
	enum r1_err err;
	if (read_error)
		err = r1_fail(why, R1_ERR_IO, _("theme %s: read error"), path);
	else if (!buf_ok(&b))
		err = r1_fail(why, R1_ERR_TOOBIG, _("theme %s: file too large"), path);
	else
		err = theme_parse(t, path, buf_cstr(&b), b.len, why);
	buf_release(&b);
	return err;
}

/* ------------------------------------------------------------- fallbacks */

/* RGB of xterm colour c (0..255). */
static void xterm_rgb(int c, int rgb[3])
{
	static const int ansi[16][3] = {
		{0, 0, 0},	 {205, 0, 0},	{0, 205, 0},   {205, 205, 0},
		{0, 0, 238},	 {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
		{127, 127, 127}, {255, 0, 0},	{0, 255, 0},   {255, 255, 0},
		{92, 92, 255},	 {255, 0, 255}, {0, 255, 255}, {255, 255, 255},
	};
	if (c < 16) {
		memcpy(rgb, ansi[c], sizeof(ansi[c]));
	} else if (c < 232) {
		static const int level[6] = {0, 95, 135, 175, 215, 255};
		c -= 16;
		rgb[0] = level[c / 36];
		rgb[1] = level[(c / 6) % 6];
		rgb[2] = level[c % 6];
	} else {
		rgb[0] = rgb[1] = rgb[2] = 8 + (c - 232) * 10;
	}
}

static int16_t nearest16(int16_t c)
{
	if (c < 16)
		return c;
	int rgb[3], best = 0;
	long best_d = LONG_MAX;
	xterm_rgb(c, rgb);
	for (int i = 0; i < 16; i++) {
		int o[3];
		xterm_rgb(i, o);
		long d = 0;
		for (int k = 0; k < 3; k++)
			d += (long)(rgb[k] - o[k]) * (rgb[k] - o[k]);
		if (d < best_d) {
			best_d = d;
			best = i;
		}
	}
	return (int16_t)best;
}

void theme_reduce(struct theme *t, int colours)
{
	if (t->colours <= colours)
		return;
	for (int i = 0; i < TUI_ROLE__COUNT; i++) {
		struct theme_style *s = &t->style[i];
		if (colours < 256) {
			s->fg = s->fg >= 0 ? nearest16(s->fg) : s->fg;
			s->bg = s->bg >= 0 ? nearest16(s->bg) : s->bg;
		}
		if (colours < 16) {
			if (s->fg >= 8) {
				s->fg -= 8;
				s->attr |= GRID_BOLD;
			}
			if (s->bg >= 8)
				s->bg -= 8;
		}
	}
	t->colours = colours < 16 ? 8 : colours < 256 ? 16 : 256;
}

static bool safe_name(const char *name)
{
	if (!*name || strlen(name) > 48)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return false;
	return name[0] != '.';
}

static enum r1_err load_named(struct theme *t, const char *dir, const char *name, char **why)
{
	if (strchr(name, '/'))
		return theme_load(t, name, why);
	if (!safe_name(name))
		return r1_fail(why, R1_ERR_INVAL, _("theme name '%s' is not valid"), name);
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s.theme", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return r1_fail(why, R1_ERR_INVAL, _("theme directory path too long"));
	return theme_load(t, path, why);
}

enum r1_err theme_pick(struct theme *t, const char *dir, const char *name, int term_colours,
		       char **why)
{
	if (term_colours < 8) {
		theme_init_mono(t);
		return R1_OK;
	}
	enum r1_err err = load_named(t, dir, name, why);
	for (int depth = 0; !err && t->colours > term_colours && t->fallback[0]; depth++) {
		if (depth == THEME_MAX_FALLBACKS) {
			err = r1_fail(why, R1_ERR_INVAL, _("theme %s: fallback chain too long"),
				      name);
			break;
		}
		char next[sizeof(t->fallback)];
		snprintf(next, sizeof(next), "%s", t->fallback);
		err = load_named(t, dir, next, why);
	}
	if (err) {
		theme_init_mono(t);
		return err;
	}
	theme_reduce(t, term_colours);
	return R1_OK;
}
