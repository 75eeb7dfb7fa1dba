#ifndef R1_TUI_WIDGETS_DIALOG_H
#define R1_TUI_WIDGETS_DIALOG_H
/*
 * A modal dialog: a title, a wrapped message and a row of buttons, centred
 * over whatever is behind it.  Confirmations of actions that change a node
 * use it to say what will be sent to whom.
 *
 * Keys: Left/Right and Tab/Shift-Tab move between buttons; Enter chooses
 * the focused one (TUI_SUBMIT); Esc chooses the cancel button (TUI_CANCEL);
 * a button's first letter chooses it directly; Up/Down scroll a message
 * that does not fit.  The choice is in `chosen`.
 */
#include "core/common.h"
#include "tui/grid.h"

#define DIALOG_MAX_BUTTONS 6

struct dialog {
	char *title;	/* owned copies */
	char *message;
	char *buttons[DIALOG_MAX_BUTTONS];
	size_t nbuttons;
	size_t focus;
	size_t cancel;	/* chosen by Esc; SIZE_MAX = Esc closes with no choice */
	size_t chosen;	/* set on TUI_SUBMIT or TUI_CANCEL */
	bool danger;	/* the title shows in the warning role */
	int scroll;	/* first message line shown */
	int max_width;	/* widest the box grows (default 72) */
};

/*
 * A dialog with n (1..DIALOG_MAX_BUTTONS) buttons, focus on `def`, Esc
 * choosing `cancel`.  Strings are copied (already translated).  NULL on
 * R1_ERR_NOMEM or a bad button count.
 */
struct dialog *dialog_new(const char *title, const char *message, const char *const *buttons,
			  size_t n, size_t def, size_t cancel);
/* A Yes/No question with the focus on No (index 1, also Esc's choice). */
struct dialog *dialog_confirm(const char *title, const char *message, bool danger);
void dialog_free(struct dialog **d);

unsigned dialog_key(struct dialog *d, int key);
/* The box centred in a. */
void dialog_draw(struct dialog *d, struct grid_area a);

#endif
