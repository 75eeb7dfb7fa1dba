/*
 * Modal dialogs (see dialog.h): layout of a wrapped message and buttons in a
 * centred box, and the keys that pick a button.  What a choice does is the
 * caller's affair.
 */
#include "tui/lib.h"
#include "tui/widgets/dialog.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "tui/wrap.h"

#define DIALOG_DEFAULT_WIDTH 72
#define DIALOG_MAX_LINES 200

struct dialog *dialog_new(const char *title, const char *message, const char *const *buttons,
			  size_t n, size_t def, size_t cancel)
{
	if (n == 0 || n > DIALOG_MAX_BUTTONS)
		return NULL;
	struct dialog *d = r1_calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->title = r1_strdup(title ? title : "");
	d->message = r1_strdup(message ? message : "");
	bool good = d->title && d->message;
	for (size_t i = 0; i < n && good; i++) {
		d->buttons[i] = r1_strdup(buttons[i] ? buttons[i] : "");
		good = d->buttons[i] != NULL;
		d->nbuttons = i + 1;
	}
	if (!good) {
		dialog_free(&d);
		return NULL;
	}
	d->focus = def < n ? def : 0;
	d->cancel = cancel < n ? cancel : SIZE_MAX;
	d->chosen = SIZE_MAX;
	d->max_width = DIALOG_DEFAULT_WIDTH;
	return d;
}

struct dialog *dialog_confirm(const char *title, const char *message, bool danger)
{
	const char *buttons[2] = {_("Yes"), _("No")};
	struct dialog *d = dialog_new(title, message, buttons, 2, 1, 1);
	if (d)
		d->danger = danger;
	return d;
}

void dialog_free(struct dialog **dp)
{
	struct dialog *d = *dp;
	if (!d)
		return;
	r1_free(d->title);
	r1_free(d->message);
	for (size_t i = 0; i < d->nbuttons; i++)
		r1_free(d->buttons[i]);
	r1_free(d);
	*dp = NULL;
}

static int fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

unsigned dialog_key(struct dialog *d, int key)
{
	size_t n = d->nbuttons;
	switch (key) {
	case TUI_KEY_LEFT:
	case TUI_KEY_BTAB:
		d->focus = (d->focus + n - 1) % n;
		return TUI_CONSUMED | TUI_REDRAW;
	case TUI_KEY_RIGHT:
	case TUI_KEY_TAB:
		d->focus = (d->focus + 1) % n;
		return TUI_CONSUMED | TUI_REDRAW;
	case TUI_KEY_UP:
		d->scroll = d->scroll > 0 ? d->scroll - 1 : 0;
		return TUI_CONSUMED | TUI_REDRAW;
	case TUI_KEY_DOWN:
		d->scroll++; /* clamped when drawn */
		return TUI_CONSUMED | TUI_REDRAW;
	case TUI_KEY_ENTER:
		d->chosen = d->focus;
		return TUI_CONSUMED | TUI_SUBMIT;
	case TUI_KEY_ESC:
		d->chosen = d->cancel;
		return TUI_CONSUMED | TUI_CANCEL;
	default:
		break;
	}
	if (key > ' ' && key < 0x7F)
		for (size_t i = 0; i < n; i++)
			if (fold((unsigned char)d->buttons[i][0]) == fold(key)) {
				d->focus = d->chosen = i;
				return TUI_CONSUMED | (i == d->cancel ? TUI_CANCEL : TUI_SUBMIT);
			}
	return TUI_CONSUMED; /* modal: nothing leaks through */
}

static int buttons_width(const struct dialog *d)
{
	int w = 0;
	for (size_t i = 0; i < d->nbuttons; i++)
		w += grid_text_width(d->buttons[i]) + 4 + (i ? 2 : 0);
	return w;
}

void dialog_draw(struct dialog *d, struct grid_area a)
{
	if (a.w < 8 || a.h < 5)
		return;
	int bw = buttons_width(d);
	int width = R1_MAX(R1_MAX(bw, grid_text_width(d->title) + 6), 30) + 4;
	/* as wide as the message wants, within max_width and the screen */
	struct wrap_line probe[1];
	int cap = R1_MIN(d->max_width, a.w - 2);
	size_t one = text_wrap(d->message, cap - 4, probe, 1);
	if (one == 1)
		width = R1_MAX(width, probe[0].width + 4);
	else
		width = cap;
	width = R1_MIN(width, a.w - 2);

	struct wrap_line lines[DIALOG_MAX_LINES];
	size_t nl = R1_MIN(text_wrap(d->message, width - 4, lines, DIALOG_MAX_LINES),
			   (size_t)DIALOG_MAX_LINES);
	int room = a.h - 6; /* borders, three blank lines, buttons */
	int shown = (int)R1_MIN(nl, (size_t)R1_MAX(room, 1));
	if (d->scroll > (int)nl - shown)
		d->scroll = (int)nl - shown;
	if (d->scroll < 0)
		d->scroll = 0;
	int height = shown + 6;
	height = R1_MIN(height, a.h);
	struct grid_area box = grid_sub(a, (a.w - width) / 2, (a.h - height) / 2, width, height);

	grid_fill(box, 0, 0, box.w, box.h, ' ', TUI_ROLE_DIALOG, 0);
	uint16_t trole = d->danger ? TUI_ROLE_STATUS_WARN : TUI_ROLE_DIALOG_TITLE;
	struct grid_area in = grid_frame(box, d->title, GRID_LINE_LIGHT, TUI_ROLE_DIALOG, trole);
	for (int i = 0; i < shown; i++) {
		const struct wrap_line *l = &lines[d->scroll + i];
		grid_textn(in, 1, 1 + i, d->message + l->off, l->len, TUI_ROLE_DIALOG, 0);
	}
	if ((int)nl > shown) {
		uint32_t more = grid_glyph(a.g, 0x2026, '~');
		if (d->scroll + shown < (int)nl)
			grid_put(in, in.w - 1, shown, more, TUI_ROLE_DIALOG, 0);
	}
	int x = (in.w - bw) / 2, y = in.h - 2;
	for (size_t i = 0; i < d->nbuttons; i++) {
		bool f = i == d->focus;
		uint16_t role = f ? TUI_ROLE_DIALOG_BUTTON_FOCUS : TUI_ROLE_DIALOG_BUTTON;
		x = grid_text(in, x, y, "[ ", role, 0);
		x = grid_text(in, x, y, d->buttons[i], role, f ? GRID_BOLD : 0);
		x = grid_text(in, x, y, " ]", role, 0);
		x += 2;
	}
}
