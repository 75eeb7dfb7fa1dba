/*
 * Key names for key bars and help screens (see keys.h).  Names a person
 * reads go through gettext; the table order follows enum tui_key.
 */
#include "tui/lib.h"
#include "tui/keys.h"
#include "core/utf8.h"

static const char *const special_names[] = {
	/* TRANSLATORS: names of keys, shown in the key bar and help screen */
	N_("Up"),     N_("Down"),   N_("Left"),	    N_("Right"),     N_("Home"),
	N_("End"),    N_("PgUp"),   N_("PgDn"),	    N_("Ins"),	     N_("Del"),
	N_("Bksp"),   N_("S-Tab"),  N_("Resize"),
};

bool tui_key_printable(int key)
{
	if (key < 0x20 || key == 0x7F || (key >= 0x80 && key < 0xA0) || key > 0x10FFFF)
		return false;
	return !(key >= 0xD800 && key <= 0xDFFF);
}

const char *tui_key_label(int key, char *buf, size_t size)
{
	if (size == 0)
		return buf;
	const char *name = NULL;
	if (key == TUI_KEY_ENTER)
		name = _("Enter");
	else if (key == TUI_KEY_ESC)
		name = _("Esc");
	else if (key == TUI_KEY_TAB)
		name = _("Tab");
	else if (key == TUI_KEY_SPACE)
		name = _("Space");
	else if (key >= TUI_KEY_UP && key < TUI_KEY_UP + (int)R1_ARRAY_LEN(special_names))
		name = _(special_names[key - TUI_KEY_UP]);
	if (name) {
		snprintf(buf, size, "%s", name);
	} else if (key >= TUI_KEY_F1 && key <= TUI_KEY_F12) {
		snprintf(buf, size, "F%d", key - TUI_KEY_F1 + 1);
	} else if (key > 0 && key < 0x20) {
		snprintf(buf, size, "^%c", key + '@');
	} else if (tui_key_printable(key)) {
		char u[5];
		u[r1_utf8_encode((uint32_t)key, u)] = '\0';
		snprintf(buf, size, "%s", u);
	} else {
		snprintf(buf, size, "?");
	}
	return buf;
}
