#ifndef R1_TUI_WIDGETS_HEATMAP_H
#define R1_TUI_WIDGETS_HEATMAP_H
/*
 * A heatmap: one row per node, one column per epoch, each cell coloured by
 * a value 0..255 (the oracle's availability byte) in five levels,
 * heat_0..heat_4, or heat_none where there is no data.  Cells carry a
 * glyph of their level as well (·░▒▓█, or .:-+# in ASCII), so the map
 * reads on a monochrome terminal too.
 *
 * Like the table, it reads its data through callbacks and draws only what
 * is on screen.  Rows have labels on the left; columns have labels on top,
 * written where they fit.  The newest column is on the right; the map
 * opens scrolled to it.
 *
 * Keys: arrows and h/j/k/l move the selected cell, PgUp/PgDn by a page of
 * rows, Home/End to the first/last column.
 */
#include "core/common.h"
#include "tui/grid.h"

struct heatmap_source {
	void *ctx;
	size_t (*rows)(void *ctx);
	size_t (*cols)(void *ctx);
	/* Row label (node alias), sanitized; scratch as in the table. */
	const char *(*row_label)(void *ctx, size_t row, char *scratch, size_t size);
	/* Column label (epoch number). */
	const char *(*col_label)(void *ctx, size_t col, char *scratch, size_t size);
	/* The value 0..255, or -1 for no data. */
	int (*value)(void *ctx, size_t row, size_t col);
};

struct heatmap {
	struct heatmap_source src;
	size_t sel_row, sel_col;
	size_t top, left;   /* first row and column on screen */
	int label_w;	    /* row label column (default 16) */
	int cell_w;	    /* columns per cell (default 2) */
	int page_rows, page_cols; /* what fit at the last draw */
	bool started;	    /* the first draw has scrolled to the newest column */
	char scratch[128];
};

void heatmap_init(struct heatmap *hm, const struct heatmap_source *src);
/* The level 0..4 of a value, -1 for no data. */
int heatmap_level(int value);
/* The selected cell; false when the map is empty. */
bool heatmap_selected(const struct heatmap *hm, size_t *row, size_t *col);
unsigned heatmap_key(struct heatmap *hm, int key);
void heatmap_draw(struct heatmap *hm, struct grid_area a);

#endif
