#ifndef R1_CLI_TABLE_H
#define R1_CLI_TABLE_H
/*
 * Aligned text tables for the CLI, fitted to the terminal: columns take their
 * natural width; when the whole is wider than the terminal, the columns with
 * room to give shrink first (addresses lose their middle: "0xai_AvVm7r…gHcN",
 * text loses its end: "long-alia…"), and only then are optional columns
 * dropped, highest `drop` first.  Cells are cleaned of control characters
 * (they often come from the network) and measured in terminal columns, so
 * UTF-8 aliases line up.  --json output never goes through here.
 */
#include "core/lib.h"

enum table_align { TABLE_LEFT, TABLE_RIGHT };

struct table_column {
	const char *title;
	enum table_align align;
	unsigned min; /* narrowest it may shrink to; 0 = the title's width */
	bool middle;  /* cut in the middle (addresses, ids) rather than at the end */
	int drop;     /* 0 = always shown; >0 may be dropped, higher first */
};

struct table;

/* The columns are copied.  NULL on OOM. */
struct table *cli_table_new(const struct table_column *cols, size_t n);
void cli_table_free(struct table **t);
/* Add a row of n cells (NULL cells print empty).  False on OOM. */
bool cli_table_add(struct table *t, const char *const *cells);
size_t cli_table_rows(const struct table *t);

/* Render to `out` for a terminal `width` columns wide (0 = no limit). */
void cli_table_render(const struct table *t, unsigned width, struct buf *out);

/*
 * The width to fit: the terminal's when `fd` is a tty, else $COLUMNS when
 * set to a number, else 80.
 */
unsigned cli_table_width(int fd);

/* Display width of a UTF-8 string in terminal columns (control chars count 1). */
unsigned cli_table_text_width(const char *s);

#endif
