/*
 * Status bar and key bar (see bars.h).  Both are drawn from what the view
 * holds; the status bar keeps only its texts and a message deadline, and
 * the caller passes the clock so drawing stays a pure function of state.
 */
#include "tui/lib.h"
#include "tui/widgets/bars.h"
#include "tui/keys.h"
#include "tui/theme.h"

void statusbar_init(struct statusbar *sb)
{
	memset(sb, 0, sizeof(*sb));
}

void statusbar_set(struct statusbar *sb, const char *left, const char *right)
{
	if (left)
		snprintf(sb->left, sizeof(sb->left), "%s", left);
	if (right)
		snprintf(sb->right, sizeof(sb->right), "%s", right);
}

void statusbar_message(struct statusbar *sb, uint16_t role, const char *text, int64_t until_ms)
{
	snprintf(sb->message, sizeof(sb->message), "%s", text ? text : "");
	sb->message_role = role;
	sb->message_until_ms = until_ms;
}

bool statusbar_has_message(const struct statusbar *sb, int64_t now_ms)
{
	return sb->message[0] && (sb->message_until_ms == 0 || now_ms < sb->message_until_ms);
}

void statusbar_draw(const struct statusbar *sb, struct grid_area a, int y, int64_t now_ms)
{
	grid_fill(a, 0, y, a.w, 1, ' ', TUI_ROLE_STATUSBAR, 0);
	int rw = R1_MIN(grid_text_width(sb->right), a.w / 2);
	if (rw > 0)
		grid_field(a, a.w - rw, y, rw, GRID_ALIGN_RIGHT, sb->right, TUI_ROLE_STATUSBAR, 0);
	int lw = a.w - rw - (rw > 0 ? 1 : 0);
	if (statusbar_has_message(sb, now_ms))
		grid_field(a, 0, y, lw, GRID_ALIGN_LEFT, sb->message, sb->message_role, GRID_BOLD);
	else
		grid_field(a, 0, y, lw, GRID_ALIGN_LEFT, sb->left, TUI_ROLE_STATUSBAR, 0);
}

void keybar_draw(struct grid_area a, int y, const struct keymap_entry *const *maps,
		 const size_t *counts, size_t nmaps, bool readonly)
{
	grid_fill(a, 0, y, a.w, 1, ' ', TUI_ROLE_KEYBAR, 0);
	int x = 0;
	for (size_t m = 0; m < nmaps; m++)
		for (size_t i = 0; i < counts[m]; i++) {
			const struct keymap_entry *e = &maps[m][i];
			if (!(e->flags & KEYMAP_BAR) || !e->label || !keymap_visible(e, readonly))
				continue;
			char key[32];
			tui_key_label(e->key, key, sizeof(key));
			const char *label = _(e->label);
			int need = grid_text_width(key) + 1 + grid_text_width(label);
			if (x + need > a.w)
				return;
			x = grid_text(a, x, y, key, TUI_ROLE_KEYBAR_KEY, 0);
			x = grid_text(a, x + 1, y, label, TUI_ROLE_KEYBAR_LABEL, 0);
			x += 2;
		}
}
