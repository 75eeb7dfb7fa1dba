#ifndef R1_TUI_KEYS_H
#define R1_TUI_KEYS_H
/*
 * Keys and reactions: the vocabulary between the input glue and every
 * widget and view.
 *
 * A key is an int: a Unicode code point for a printable character, its C0
 * code for a control key (TUI_KEY_CTRL('u') is Ctrl-U), or one of the
 * TUI_KEY_* values above the Unicode range for the rest.  Tab is '\t',
 * Enter is TUI_KEY_ENTER ('\r'), Esc is 27; the input glue maps curses'
 * KEY_* codes and the Backspace variants (8, 127, KEY_BACKSPACE) here, so
 * no widget sees a curses constant.
 *
 * A widget's key handler returns reaction flags (htop's Htop_Reaction):
 * whether it used the key and what the caller should do next.
 */
#include "core/common.h"

#define TUI_KEY_CTRL(c) ((c) & 0x1f)

enum tui_key {
	TUI_KEY_NONE = 0,
	TUI_KEY_TAB = '\t',
	TUI_KEY_ENTER = '\r',
	TUI_KEY_ESC = 27,
	TUI_KEY_SPACE = ' ',
	TUI_KEY_SPECIAL = 0x200000,
	TUI_KEY_UP = TUI_KEY_SPECIAL,
	TUI_KEY_DOWN,
	TUI_KEY_LEFT,
	TUI_KEY_RIGHT,
	TUI_KEY_HOME,
	TUI_KEY_END,
	TUI_KEY_PGUP,
	TUI_KEY_PGDN,
	TUI_KEY_INSERT,
	TUI_KEY_DELETE,
	TUI_KEY_BACKSPACE,
	TUI_KEY_BTAB, /* Shift-Tab */
	TUI_KEY_RESIZE,
	TUI_KEY_MOUSE, /* a mouse event: read it with screen_mouse() */
	TUI_KEY_F1,
	TUI_KEY_F12 = TUI_KEY_F1 + 11,
};
#define TUI_KEY_F(n) (TUI_KEY_F1 + (n) - 1)

/* A mouse event, in screen cells. */
enum tui_mouse_kind {
	TUI_MOUSE_CLICK,  /* button 1 pressed and released */
	TUI_MOUSE_DOUBLE, /* button 1 double-clicked */
	TUI_MOUSE_WHEEL_UP,
	TUI_MOUSE_WHEEL_DOWN,
};

struct tui_mouse {
	enum tui_mouse_kind kind;
	int x, y;
};

enum tui_reaction {
	TUI_IGNORED = 0,	 /* not handled: offer the key to someone else */
	TUI_CONSUMED = 1 << 0,	 /* handled */
	TUI_REDRAW = 1 << 1,	 /* something visible changed */
	TUI_CHANGED = 1 << 2,	 /* the value or the selection changed */
	TUI_SUBMIT = 1 << 3,	 /* Enter: accepted (prompt, form, dialog) */
	TUI_CANCEL = 1 << 4,	 /* Esc: dismissed */
	TUI_ACTION = 1 << 5,	 /* a widget-specific action; see the widget */
	TUI_RECALC = 1 << 6,	 /* the rows must be filtered or sorted again */
	TUI_QUIT = 1 << 7,
};

/* A printable key (a code point a text field would insert). */
bool tui_key_printable(int key);

/*
 * A short name a person reads for `key` ("Enter", "Esc", "^U", "F5", "q"),
 * written into buf (NUL-terminated, cut to fit).  Returns buf.
 */
const char *tui_key_label(int key, char *buf, size_t size);

#endif
