#ifndef R1_TUI_WIDGETS_SPARKLINE_H
#define R1_TUI_WIDGETS_SPARKLINE_H
/*
 * Sparklines (▁▂▃▄▅▆▇█, or _.-:=+*# in ASCII mode) and progress bars.
 * Both are drawn from plain numbers the caller owns; neither keeps state,
 * so a "widget" here is one drawing function.
 */
#include "core/common.h"
#include "tui/grid.h"

/*
 * The newest `width` of values[0..n) (oldest first) as a sparkline at x, y,
 * right-aligned, in `role`.  The scale runs from lo to hi; pass NAN for
 * either to take it from the values shown.  NAN values are gaps (blank).
 * A flat series shows at the lowest level.
 */
void sparkline_draw(struct grid_area a, int x, int y, int width, const double *values, size_t n,
		    double lo, double hi, uint16_t role);

/* The level 0..7 of v on [lo, hi] (what sparkline_draw shows), -1 for NAN. */
int sparkline_level(double v, double lo, double hi);

/*
 * A progress bar of `width` columns at x, y for fraction 0..1 (clamped),
 * with eighth-block precision, followed by `text` (or "NN%" when text is
 * NULL) when the width leaves room for it.
 */
void progress_draw(struct grid_area a, int x, int y, int width, double fraction,
		   const char *text);

#endif
