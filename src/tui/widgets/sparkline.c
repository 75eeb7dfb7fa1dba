/*
 * Sparklines and progress bars (see sparkline.h): numbers to block glyphs.
 * Scaling is the only logic here; series and their history belong to the
 * model and the cache.
 */
#include "tui/lib.h"
#include "tui/widgets/sparkline.h"
#include "tui/theme.h"

#include <math.h>

static const char spark_ascii[] = "_.-:=+*#";

int sparkline_level(double v, double lo, double hi)
{
	if (isnan(v))
		return -1;
	if (!(hi > lo))
		return 0;
	double f = (v - lo) / (hi - lo);
	if (f <= 0)
		return 0;
	if (f >= 1)
		return 7;
	return (int)lround(f * 7.0);
}

void sparkline_draw(struct grid_area a, int x, int y, int width, const double *values, size_t n,
		    double lo, double hi, uint16_t role)
{
	if (width <= 0)
		return;
	grid_fill(a, x, y, width, 1, ' ', role, 0);
	size_t shown = R1_MIN(n, (size_t)width);
	const double *v = values + (n - shown);
	if (isnan(lo) || isnan(hi)) {
		double mn = NAN, mx = NAN;
		for (size_t i = 0; i < shown; i++) {
			if (isnan(v[i]))
				continue;
			mn = isnan(mn) || v[i] < mn ? v[i] : mn;
			mx = isnan(mx) || v[i] > mx ? v[i] : mx;
		}
		lo = isnan(lo) ? mn : lo;
		hi = isnan(hi) ? mx : hi;
	}
	int x0 = x + width - (int)shown;
	for (size_t i = 0; i < shown; i++) {
		int level = sparkline_level(v[i], lo, hi);
		if (level < 0)
			continue;
		uint32_t glyph = grid_glyph(a.g, 0x2581 + (uint32_t)level, spark_ascii[level]);
		grid_put(a, x0 + (int)i, y, glyph, role, 0);
	}
}

void progress_draw(struct grid_area a, int x, int y, int width, double fraction,
		   const char *text)
{
	if (width <= 0)
		return;
	if (isnan(fraction) || fraction < 0)
		fraction = 0;
	if (fraction > 1)
		fraction = 1;
	char pct[16];
	if (!text) {
		snprintf(pct, sizeof(pct), "%3d%%", (int)floor(fraction * 100.0));
		text = pct;
	}
	int tw = grid_text_width(text);
	int bar = width;
	if (width >= tw + 6) {
		bar = width - tw - 1;
		grid_put(a, x + bar, y, ' ', TUI_ROLE_DEFAULT, 0);
		grid_text(a, x + bar + 1, y, text, TUI_ROLE_DEFAULT, 0);
	}
	if (a.g->ascii) {
		/* [####----] */
		if (bar < 3) {
			grid_fill(a, x, y, bar, 1, '#', TUI_ROLE_PROGRESS_DONE, 0);
			return;
		}
		int inner = bar - 2, done = (int)floor(fraction * inner + 1e-9);
		grid_put(a, x, y, '[', TUI_ROLE_DEFAULT, 0);
		grid_fill(a, x + 1, y, done, 1, '#', TUI_ROLE_PROGRESS_DONE, 0);
		grid_fill(a, x + 1 + done, y, inner - done, 1, '-', TUI_ROLE_PROGRESS_TODO, 0);
		grid_put(a, x + bar - 1, y, ']', TUI_ROLE_DEFAULT, 0);
		return;
	}
	long eighths = (long)floor(fraction * bar * 8 + 1e-9);
	int full = (int)(eighths / 8), part = (int)(eighths % 8);
	grid_fill(a, x, y, full, 1, 0x2588, TUI_ROLE_PROGRESS_DONE, 0);
	int rest = bar - full;
	if (part && rest > 0) {
		grid_put(a, x + full, y, 0x2590 - (uint32_t)part, TUI_ROLE_PROGRESS_DONE, 0);
		rest--;
		full++;
	}
	grid_fill(a, x + full, y, rest, 1, 0x2591, TUI_ROLE_PROGRESS_TODO, 0);
}
