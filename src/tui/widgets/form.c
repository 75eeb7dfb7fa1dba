/*
 * Form fields and the form container (see form.h).  General on purpose:
 * wizards and config editors build forms from data, so nothing here knows a
 * plugin or a deployment; a field knows its kind, its value, its checks.
 */
#include "tui/lib.h"
#include "tui/widgets/form.h"
#include "tui/keys.h"
#include "tui/theme.h"

#include <math.h>

#define FORM_LABEL_MAX 24
#define FORM_VALUE_MAX 60

struct form *form_new(void)
{
	struct form *f = r1_calloc(1, sizeof(*f));
	if (f)
		f->label_max = FORM_LABEL_MAX;
	return f;
}

static void field_free(struct field *fl)
{
	if (!fl)
		return;
	lineedit_release(&fl->edit);
	textarea_release(&fl->area);
	for (size_t i = 0; i < fl->n_options; i++)
		r1_free(fl->options[i]);
	r1_free(fl->options);
	r1_free(fl->chosen);
	r1_free(fl->id);
	r1_free(fl->label);
	r1_free(fl->error);
	r1_free(fl);
}

void form_free(struct form **fp)
{
	struct form *f = *fp;
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		field_free(f->fields[i]);
	r1_free(f->fields);
	r1_free(f);
	*fp = NULL;
}

static struct field *add_field(struct form *f, enum field_kind kind, const char *id,
			       const char *label)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct field **p = r1_reallocarray(f->fields, cap, sizeof(*p));
		if (!p)
			return NULL;
		f->fields = p;
		f->cap = cap;
	}
	struct field *fl = r1_calloc(1, sizeof(*fl));
	if (!fl)
		return NULL;
	fl->kind = kind;
	lineedit_init(&fl->edit, 0);
	textarea_init(&fl->area, 0);
	fl->id = r1_strdup(id ? id : "");
	fl->label = r1_strdup(label ? label : "");
	if (!fl->id || !fl->label) {
		field_free(fl);
		return NULL;
	}
	f->fields[f->n++] = fl;
	return fl;
}

/* Undo the last add_field() when a later step of building it failed. */
static struct field *drop_last(struct form *f)
{
	field_free(f->fields[--f->n]);
	return NULL;
}

struct field *form_add_text(struct form *f, const char *id, const char *label,
			    const char *initial, size_t max_len)
{
	struct field *fl = add_field(f, FIELD_TEXT, id, label);
	if (!fl)
		return NULL;
	fl->edit.max = max_len ? max_len : fl->edit.max;
	if (lineedit_set(&fl->edit, initial) != R1_OK)
		return drop_last(f);
	return fl;
}

static bool number_char(uint32_t cp)
{
	return (cp >= '0' && cp <= '9') || cp == '-' || cp == '+' || cp == '.' || cp == 'e' ||
	       cp == 'E';
}

static bool integer_char(uint32_t cp)
{
	return (cp >= '0' && cp <= '9') || cp == '-' || cp == '+';
}

struct field *form_add_number(struct form *f, const char *id, const char *label, double initial,
			      double min, double max, bool integer)
{
	struct field *fl = add_field(f, FIELD_NUMBER, id, label);
	if (!fl)
		return NULL;
	fl->min = min;
	fl->max = max;
	fl->integer = integer;
	fl->required = true;
	fl->edit.max = 32;
	fl->edit.accept = integer ? integer_char : number_char;
	char text[64] = "";
	if (!isnan(initial))
		snprintf(text, sizeof(text), integer ? "%.0f" : "%g", initial);
	if (lineedit_set(&fl->edit, text) != R1_OK)
		return drop_last(f);
	return fl;
}

struct field *form_add_checkbox(struct form *f, const char *id, const char *label, bool initial)
{
	struct field *fl = add_field(f, FIELD_CHECKBOX, id, label);
	if (fl)
		fl->checked = initial;
	return fl;
}

static bool copy_options(struct field *fl, const char *const *options, size_t n)
{
	fl->options = r1_calloc(n ? n : 1, sizeof(*fl->options));
	fl->chosen = r1_calloc(n ? n : 1, sizeof(*fl->chosen));
	if (!fl->options || !fl->chosen)
		return false;
	for (size_t i = 0; i < n; i++) {
		fl->options[i] = r1_strdup(options[i] ? options[i] : "");
		if (!fl->options[i])
			return false;
		fl->n_options = i + 1;
	}
	return true;
}

struct field *form_add_select(struct form *f, const char *id, const char *label,
			      const char *const *options, size_t n, size_t initial)
{
	struct field *fl = add_field(f, FIELD_SELECT, id, label);
	if (!fl)
		return NULL;
	if (!copy_options(fl, options, n))
		return drop_last(f);
	fl->selected = initial < n ? initial : 0;
	return fl;
}

struct field *form_add_multi(struct form *f, const char *id, const char *label,
			     const char *const *options, size_t n, int rows)
{
	struct field *fl = add_field(f, FIELD_MULTI, id, label);
	if (!fl)
		return NULL;
	if (!copy_options(fl, options, n))
		return drop_last(f);
	fl->rows = rows > 0 ? rows : (int)R1_MIN(n ? n : 1, (size_t)8);
	return fl;
}

struct field *form_add_textarea(struct form *f, const char *id, const char *label,
				const char *initial, int rows, size_t max_len)
{
	struct field *fl = add_field(f, FIELD_TEXTAREA, id, label);
	if (!fl)
		return NULL;
	if (max_len)
		fl->area.max = max_len;
	fl->rows = rows > 0 ? rows : 10;
	if (textarea_set(&fl->area, initial) != R1_OK)
		return drop_last(f);
	return fl;
}

void field_set_check(struct field *fl, field_check_fn fn, void *ctx)
{
	fl->check = fn;
	fl->check_ctx = ctx;
}

struct field *form_find(const struct form *f, const char *id)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->fields[i]->id, id) == 0)
			return f->fields[i];
	return NULL;
}

const char *field_text(struct field *fl)
{
	if (fl->kind == FIELD_TEXTAREA)
		return textarea_text(&fl->area);
	return lineedit_text(&fl->edit);
}

bool field_number(struct field *fl, double *out)
{
	const char *s = field_text(fl);
	if (!*s)
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*end || errno == ERANGE || !isfinite(v))
		return false;
	*out = v;
	return true;
}

const char *field_choice(const struct field *fl)
{
	if (fl->kind != FIELD_SELECT || fl->selected >= fl->n_options)
		return "";
	return fl->options[fl->selected];
}

/* ------------------------------------------------------------ validation */

static void set_error(struct field *fl, const char *msg)
{
	r1_free(fl->error);
	fl->error = msg ? r1_strdup(msg) : NULL;
}

static bool builtin_check(struct field *fl, struct buf *msg)
{
	if (fl->kind == FIELD_TEXT || fl->kind == FIELD_NUMBER || fl->kind == FIELD_TEXTAREA) {
		if (!*field_text(fl)) {
			if (fl->required)
				buf_adds(msg, _("a value is required"));
			return !fl->required;
		}
	}
	if (fl->kind == FIELD_NUMBER) {
		double v;
		if (!field_number(fl, &v)) {
			buf_adds(msg, _("not a number"));
			return false;
		}
		if (fl->integer && v != floor(v)) {
			buf_adds(msg, _("must be a whole number"));
			return false;
		}
		if (v < fl->min || v > fl->max) {
			buf_addf(msg, _("must be between %g and %g"), fl->min, fl->max);
			return false;
		}
	}
	if (fl->kind == FIELD_MULTI && fl->required) {
		for (size_t i = 0; i < fl->n_options; i++)
			if (fl->chosen[i])
				return true;
		buf_adds(msg, _("choose at least one"));
		return false;
	}
	return true;
}

bool field_validate(struct field *fl)
{
	struct buf msg = BUF_INIT;
	bool good = builtin_check(fl, &msg);
	if (good && fl->check)
		good = fl->check(fl->check_ctx, fl, &msg);
	if (good)
		set_error(fl, NULL);
	else
		set_error(fl, msg.len ? buf_cstr(&msg) : _("not valid"));
	buf_release(&msg);
	return good;
}

bool form_validate(struct form *f)
{
	size_t first_bad = SIZE_MAX;
	for (size_t i = 0; i < f->n; i++)
		if (!field_validate(f->fields[i]) && first_bad == SIZE_MAX)
			first_bad = i;
	if (first_bad != SIZE_MAX)
		f->focus = first_bad;
	return first_bad == SIZE_MAX;
}

void form_focus(struct form *f, size_t i)
{
	if (f->n)
		f->focus = i < f->n ? i : f->n - 1;
}

/* ------------------------------------------------------------------ keys */

static unsigned move_focus(struct form *f, int dir)
{
	if (f->n == 0)
		return TUI_CONSUMED;
	field_validate(f->fields[f->focus]);
	f->focus = (f->focus + f->n + (size_t)(long)dir) % f->n;
	return TUI_CONSUMED | TUI_REDRAW;
}

static int fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static unsigned select_key(struct field *fl, int key)
{
	size_t n = fl->n_options;
	if (n == 0)
		return TUI_IGNORED;
	if (key == TUI_KEY_LEFT)
		fl->selected = (fl->selected + n - 1) % n;
	else if (key == TUI_KEY_RIGHT || key == TUI_KEY_SPACE)
		fl->selected = (fl->selected + 1) % n;
	else if (key > ' ' && key < 0x7F) {
		size_t i = fl->selected;
		for (size_t k = 1; k <= n; k++) {
			size_t j = (i + k) % n;
			if (fold((unsigned char)fl->options[j][0]) == fold(key)) {
				fl->selected = j;
				return TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED;
			}
		}
		return TUI_CONSUMED;
	} else {
		return TUI_IGNORED;
	}
	return TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED;
}

static unsigned field_key(struct field *fl, int key)
{
	switch (fl->kind) {
	case FIELD_TEXT:
	case FIELD_NUMBER:
		return lineedit_key(&fl->edit, key);
	case FIELD_CHECKBOX:
		if (key != TUI_KEY_SPACE)
			return TUI_IGNORED;
		fl->checked = !fl->checked;
		return TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED;
	case FIELD_SELECT:
		return select_key(fl, key);
	case FIELD_MULTI:
		if (key != TUI_KEY_SPACE || fl->n_options == 0)
			return TUI_IGNORED;
		fl->chosen[fl->selected] = !fl->chosen[fl->selected];
		return TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED;
	case FIELD_TEXTAREA:
		return textarea_key(&fl->area, key);
	}
	return TUI_IGNORED;
}

unsigned form_key(struct form *f, int key)
{
	if (f->n == 0)
		return key == TUI_KEY_ESC ? TUI_CONSUMED | TUI_CANCEL : TUI_IGNORED;
	struct field *fl = f->fields[f->focus];
	bool in_list = fl->kind == FIELD_MULTI;
	if (fl->kind == FIELD_TEXTAREA && key != TUI_KEY_TAB && key != TUI_KEY_BTAB &&
	    key != TUI_KEY_ESC && key != TUI_KEY_CTRL('s')) {
		unsigned r = field_key(fl, key);
		if ((r & TUI_CHANGED) && fl->error)
			field_validate(fl);
		return r;
	}
	switch (key) {
	case TUI_KEY_TAB:
		return move_focus(f, 1);
	case TUI_KEY_BTAB:
		return move_focus(f, -1);
	case TUI_KEY_UP:
		if (in_list && fl->selected > 0) {
			fl->selected--;
			return TUI_CONSUMED | TUI_REDRAW;
		}
		return move_focus(f, -1);
	case TUI_KEY_DOWN:
		if (in_list && fl->selected + 1 < fl->n_options) {
			fl->selected++;
			return TUI_CONSUMED | TUI_REDRAW;
		}
		return move_focus(f, 1);
	case TUI_KEY_ENTER:
	case TUI_KEY_CTRL('s'):
		if (form_validate(f))
			return TUI_CONSUMED | TUI_SUBMIT;
		return TUI_CONSUMED | TUI_REDRAW;
	case TUI_KEY_ESC:
		return TUI_CONSUMED | TUI_CANCEL;
	default:
		break;
	}
	unsigned r = field_key(fl, key);
	if ((r & TUI_CHANGED) && fl->error)
		field_validate(fl); /* a shown message follows the edits */
	return r;
}

/* ---------------------------------------------------------------- drawing */

static int field_rows(const struct field *fl)
{
	int body = fl->kind == FIELD_MULTI ? fl->rows : fl->kind == FIELD_TEXTAREA ? 1 + fl->rows : 1;
	return body + (fl->error ? 1 : 0);
}

static void draw_value(struct field *fl, struct grid_area a, int x, int y, int width,
		       bool focused)
{
	uint16_t role = focused ? TUI_ROLE_INPUT_FOCUS : TUI_ROLE_INPUT;
	switch (fl->kind) {
	case FIELD_TEXT:
	case FIELD_NUMBER:
		lineedit_draw(&fl->edit, a, x, y, width, role, focused);
		break;
	case FIELD_CHECKBOX:
		grid_text(a, x, y, fl->checked ? "[x]" : "[ ]", role, 0);
		if (focused)
			grid_cursor(a, x + 1, y);
		break;
	case FIELD_SELECT: {
		int ow = 0;
		for (size_t i = 0; i < fl->n_options; i++)
			ow = R1_MAX(ow, grid_text_width(fl->options[i]));
		ow = R1_MIN(ow, width - 4);
		grid_text(a, x, y, "<", role, 0);
		grid_field(a, x + 1, y, ow + 2, GRID_ALIGN_CENTER, field_choice(fl), role, 0);
		grid_text(a, x + ow + 3, y, ">", role, 0);
		break;
	}
	case FIELD_MULTI:
		if (fl->selected < fl->top)
			fl->top = fl->selected;
		if (fl->selected >= fl->top + (size_t)fl->rows)
			fl->top = fl->selected - (size_t)fl->rows + 1;
		for (int r = 0; r < fl->rows && fl->top + (size_t)r < fl->n_options; r++) {
			size_t i = fl->top + (size_t)r;
			bool here = focused && i == fl->selected;
			uint16_t rr = here ? TUI_ROLE_INPUT_FOCUS : TUI_ROLE_INPUT;
			grid_text(a, x, y + r, fl->chosen[i] ? "[x] " : "[ ] ", rr, 0);
			grid_field(a, x + 4, y + r, width - 4, GRID_ALIGN_LEFT, fl->options[i], rr,
				   0);
			if (here)
				grid_cursor(a, x + 1, y + r);
		}
		break;
	case FIELD_TEXTAREA:
		/* drawn by form_draw across the whole width */
		break;
	}
}

void form_draw(struct form *f, struct grid_area a)
{
	grid_fill(a, 0, 0, a.w, a.h, ' ', TUI_ROLE_DEFAULT, 0);
	if (f->n == 0 || a.w <= 0 || a.h <= 0)
		return;
	int label_w = 1;
	for (size_t i = 0; i < f->n; i++)
		if (f->fields[i]->kind != FIELD_TEXTAREA)
			label_w = R1_MAX(label_w, grid_text_width(f->fields[i]->label));
	label_w = R1_MIN(label_w, R1_MIN(f->label_max, R1_MAX(a.w / 3, 1)));
	int vx = 2 + label_w + 2;
	int vw = R1_MIN(a.w - vx, FORM_VALUE_MAX);

	/* scroll so the focused field is whole on screen */
	int row = 0, focus_row = 0, focus_h = 1;
	for (size_t i = 0; i < f->n; i++) {
		if (i == f->focus) {
			focus_row = row;
			focus_h = field_rows(f->fields[i]);
		}
		row += field_rows(f->fields[i]);
	}
	if (focus_row < f->scroll)
		f->scroll = focus_row;
	if (focus_row + focus_h > f->scroll + a.h)
		f->scroll = focus_row + focus_h - a.h;
	if (f->scroll < 0)
		f->scroll = 0;

	row = -f->scroll;
	for (size_t i = 0; i < f->n && row < a.h; i++) {
		struct field *fl = f->fields[i];
		bool focused = i == f->focus;
		int h = field_rows(fl);
		if (row + h > 0) {
			struct grid_area r = grid_sub(a, 0, row, a.w, h);
			int y = row < 0 ? row : 0;
			uint16_t lrole = focused ? TUI_ROLE_LABEL_FOCUS : TUI_ROLE_LABEL;
			if (focused)
				grid_put(r, 0, y, grid_glyph(a.g, 0x25B8, '>'), lrole, 0);
			if (fl->kind == FIELD_TEXTAREA) {
				grid_field(r, 2, y, a.w - 2, GRID_ALIGN_LEFT, fl->label, lrole, 0);
				if (y + 1 >= 0) /* only when its top is on screen */
					textarea_draw(&fl->area, grid_sub(r, 2, y + 1, a.w - 2, fl->rows),
						      focused ? TUI_ROLE_INPUT_FOCUS : TUI_ROLE_INPUT,
						      focused);
			} else {
				grid_field(r, 2, y, label_w, GRID_ALIGN_LEFT, fl->label, lrole, 0);
				draw_value(fl, r, vx, y, vw, focused);
			}
			int ex = fl->kind == FIELD_TEXTAREA ? 2 : vx;
			if (fl->error)
				grid_field(r, ex, y + h - 1, a.w - ex, GRID_ALIGN_LEFT, fl->error,
					   TUI_ROLE_INPUT_ERROR, 0);
		}
		row += h;
	}
}
