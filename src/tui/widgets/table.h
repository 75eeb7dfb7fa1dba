#ifndef R1_TUI_WIDGETS_TABLE_H
#define R1_TUI_WIDGETS_TABLE_H
/*
 * A table over somebody else's rows.
 *
 * The table never copies the model: it asks a struct table_source for the
 * row count, a row's stable key, a cell's text (written into a scratch
 * buffer or pointing into the model), and, for sorting, a number or a
 * comparison.  What it owns is one array of row indices in display order
 * (4 bytes a row), rebuilt by table_refresh(): filter, then sort (a stable
 * radix sort for number columns, O(n log n) comparisons for the others)
 * with no allocation per row.  Drawing touches only the rows on screen.
 *
 * The selection follows the row's key, not its position, so it stays on the
 * same node when rows are re-sorted, filtered or refreshed; if that row is
 * gone it stays at the same position.  Rows can be marked (Space) for bulk
 * actions; marks are keys too.
 *
 * Columns have a minimum and maximum width and a flex share of the spare
 * width; when the minimums do not fit (80 columns), the columns with the
 * highest `hide` number go first.  So one column list serves a narrow and a
 * wide terminal.
 *
 * Optional grouping (the Apps view): rows with the same group key are kept
 * together, sorted inside their group, under a heading row drawn from
 * group_title().  Headings can be selected.
 *
 * Streams (payloads, notifications) append rows: table_rows_appended() adds
 * them without a full rebuild when the table is in model order, `follow`
 * keeps the selection on the newest row, and table_freeze() pauses the
 * display while the model keeps growing (row indices must stay valid, i.e.
 * the source only appends while frozen; rows past the count are skipped).
 *
 * Keys: Up/k, Down/j, PgUp/^B, PgDn/^F, Home/g, End/G move; Space marks the
 * row and moves down; '<' and '>' sort by the previous/next sortable column,
 * 'I' inverts the order; Enter gives TUI_ACTION with action TABLE_ACTION_OPEN.
 * Mouse: see table_mouse().
 */
#include "core/common.h"
#include "core/err.h"
#include "tui/grid.h"
#include "tui/keys.h"

#define TABLE_MAX_COLUMNS 32
#define TABLE_CELL_MAX 512 /* scratch bytes for one cell's text */
#define TABLE_MAX_ROWS 0x7FFFFFFFu
/* Bytes a row takes in the temporary sort records of table_refresh() (twice
 * that while a number column is radix-sorted). */
#define TABLE_SORT_BYTES_PER_ROW 32

enum table_sort {
	TABLE_SORT_NONE,   /* not sortable */
	TABLE_SORT_TEXT,   /* by the cell text, byte order, ASCII case ignored */
	TABLE_SORT_NUMBER, /* by source.number() (NaN last) */
	TABLE_SORT_CUSTOM, /* by source.compare() */
};

struct table_column {
	const char *title;   /* column heading, already translated */
	const char *key;     /* name for filters and settings ("cpu"); may be NULL */
	int min, max;	     /* width bounds; max 0 = no bound */
	int flex;	     /* share of the spare width; 0 = stays at min */
	int hide;	     /* 0 = always shown; else narrow screens hide highest first */
	unsigned align;	     /* GRID_ALIGN_* | GRID_TRUNC_* (grid.h) */
	enum table_sort sort;
};

struct table_source {
	void *ctx;
	size_t (*count)(void *ctx);
	/* A key that stays with the row across refreshes (address hash, id). */
	uint64_t (*key)(void *ctx, size_t row);
	/*
	 * The cell's text, sanitized: a string owned by the model or `scratch`
	 * (size TABLE_CELL_MAX) after writing into it.  NULL shows nothing.
	 */
	const char *(*text)(void *ctx, size_t row, int col, char *scratch, size_t size);
	/* For TABLE_SORT_NUMBER columns. */
	double (*number)(void *ctx, size_t row, int col);
	/* For TABLE_SORT_CUSTOM columns: <0, 0, >0 like strcmp. */
	int (*compare)(void *ctx, size_t a, size_t b, int col);
	/* A cell's role (status colours); 0 = the row's normal role.  Optional. */
	uint16_t (*role)(void *ctx, size_t row, int col);
	/* Grouping, optional: rows with equal keys form a group, groups in key order. */
	uint64_t (*group)(void *ctx, size_t row);
	/* The heading of the group whose first shown row is `row`. */
	const char *(*group_title)(void *ctx, size_t row, char *scratch, size_t size);
};

/* Filter hook: whether a row is shown. */
typedef bool (*table_filter_fn)(void *ctx, size_t row);

enum table_action { TABLE_ACTION_NONE, TABLE_ACTION_OPEN };

struct table {
	const struct table_column *cols; /* the caller's, kept alive by it */
	int ncols;
	struct table_source src;
	table_filter_fn filter;
	void *filter_ctx;
	uint32_t *order;      /* shown entries: a row, or TABLE_GROUP_BIT | first row */
	size_t n, cap;	      /* entries in order */
	size_t model_count;   /* source count at the last rebuild */
	size_t filtered_out;  /* rows the filter hid at the last rebuild */
	int sort_col;	      /* -1 = model order */
	bool sort_desc;
	size_t sel;	      /* selected entry (when n > 0) */
	uint64_t sel_key;     /* its row key (or group key) */
	bool sel_group;	      /* the selection is a group heading */
	size_t top;	      /* first entry on screen */
	int page;	      /* rows on screen at the last draw */
	int widths[TABLE_MAX_COLUMNS]; /* the last layout; 0 = hidden */
	uint64_t *marks;      /* marked row keys, sorted */
	size_t nmarks, marks_cap;
	bool show_header;     /* default true */
	bool zebra;	      /* odd rows in row_alt */
	bool follow;	      /* appended rows pull the selection to the end */
	bool frozen, stale;   /* paused; a rebuild is owed */
	const char *empty_text; /* shown with no rows; NULL = a default */
	enum table_action action; /* what the last TUI_ACTION meant */
	char scratch[2][TABLE_CELL_MAX];
};

#define TABLE_GROUP_BIT 0x80000000u

/*
 * A table of ncols columns (at most TABLE_MAX_COLUMNS) over src.  cols is
 * not copied.  Returns NULL on R1_ERR_NOMEM or bad arguments.  Call
 * table_refresh() before the first draw.
 */
struct table *table_new(const struct table_column *cols, int ncols,
			const struct table_source *src);
void table_free(struct table **t);

/* Install or clear (fn NULL) the filter hook; takes effect at the next refresh. */
void table_set_filter(struct table *t, table_filter_fn fn, void *ctx);

/*
 * Rebuild the display order from the source: filter, sort, group, then put
 * the selection back on its key.  R1_ERR_NOMEM keeps the previous order;
 * R1_ERR_TOOBIG past TABLE_MAX_ROWS rows.  While frozen it only notes that
 * a rebuild is owed.
 */
enum r1_err table_refresh(struct table *t);
/*
 * Rows were added at the end of the source: show them.  Cheap (only the new
 * rows) in model order without groups, else a full refresh.
 */
enum r1_err table_rows_appended(struct table *t);
/* Pause or resume; resuming refreshes from the model as it is now. */
enum r1_err table_freeze(struct table *t, bool frozen);

/* Sort by column col (-1: model order), then refresh.  Unsortable: R1_ERR_INVAL. */
enum r1_err table_sort_by(struct table *t, int col, bool desc);

/* Entries shown (rows plus group headings). */
size_t table_count(const struct table *t);
/*
 * The selected model row (for a heading, the group's first shown row) and
 * whether it is a heading; false when the table is empty.
 */
bool table_selected(const struct table *t, size_t *row, bool *is_group);
/* Select the row with this key; false (selection unchanged) when not shown. */
bool table_select_key(struct table *t, uint64_t key);
/* Select entry i (clamped). */
void table_select_index(struct table *t, size_t i);

/* Marks: toggle the selected row's, test a key, all shown rows, none. */
void table_mark_toggle(struct table *t);
bool table_is_marked(const struct table *t, uint64_t key);
void table_mark_all(struct table *t);
void table_mark_clear(struct table *t);
/* The marked keys (sorted, owned by the table) and their number. */
const uint64_t *table_marks(const struct table *t, size_t *n);

unsigned table_key(struct table *t, int key);
/*
 * A mouse event at m->x, m->y relative to the area of the last draw: a
 * click on a column title sorts by it (again: the other way), a click on a
 * row selects it, a double click also gives TUI_ACTION (open), the wheel
 * moves the selection by three rows.
 */
unsigned table_mouse(struct table *t, const struct tui_mouse *m);
/* The column drawn at x by the last layout, or -1. */
int table_column_at(const struct table *t, int x);

/* Column widths for `width` columns into t->widths (table_draw calls it). */
void table_layout(struct table *t, int width);
/* Header (if shown) and the visible rows into a. */
void table_draw(struct table *t, struct grid_area a);

#endif
