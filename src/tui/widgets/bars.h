#ifndef R1_TUI_WIDGETS_BARS_H
#define R1_TUI_WIDGETS_BARS_H
/*
 * The one-line bars around a view: the status bar (where we are, how fresh
 * the data is, and short-lived messages such as "restart sent to node-07")
 * and the key bar (the single-key actions of the current view, from the
 * same keymap tables that run them).
 */
#include "core/common.h"
#include "tui/grid.h"
#include "tui/keymap.h"

#define STATUSBAR_TEXT_MAX 256

struct statusbar {
	char left[STATUSBAR_TEXT_MAX];	  /* e.g. breadcrumbs, row count */
	char right[STATUSBAR_TEXT_MAX];	  /* e.g. broker, epoch, data age */
	char message[STATUSBAR_TEXT_MAX]; /* shown instead of `left` while current */
	uint16_t message_role;
	int64_t message_until_ms;	  /* 0 = until replaced or cleared */
};

void statusbar_init(struct statusbar *sb);
/* Set the steady texts (NULL leaves one as it is); copied, cut to fit. */
void statusbar_set(struct statusbar *sb, const char *left, const char *right);
/*
 * Show a message in `role` (TUI_ROLE_STATUS_OK/WARN/ERROR/INFO) until
 * until_ms on the caller's clock (0 = until replaced); NULL clears it.
 */
void statusbar_message(struct statusbar *sb, uint16_t role, const char *text, int64_t until_ms);
/* Whether a message is showing at now_ms (the loop uses it to plan a redraw). */
bool statusbar_has_message(const struct statusbar *sb, int64_t now_ms);
/* Row y of a: message or left text, and the right text right-aligned. */
void statusbar_draw(const struct statusbar *sb, struct grid_area a, int y, int64_t now_ms);

/*
 * The key bar on row y of a: "key label" for each entry flagged KEYMAP_BAR
 * in maps[0..nmaps) (counts[i] entries each), in order, as many as fit;
 * entries that write are left out in read-only mode.
 */
void keybar_draw(struct grid_area a, int y, const struct keymap_entry *const *maps,
		 const size_t *counts, size_t nmaps, bool readonly);

#endif
