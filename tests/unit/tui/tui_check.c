/*
 * Layout-test helpers (see tui_check.h).
 */
#include "tests/unit/tui/tui_check.h"
#include "core/buf.h"
#include "tests/tap.h"

#include <locale.h>

void tui_check_locale(void)
{
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		tap_bail("the C.UTF-8 locale is missing");
}

void tui_grid(struct grid *g, int w, int h, bool ascii)
{
	if (grid_init(g, w, h, ascii) != R1_OK)
		tap_bail("grid_init %dx%d failed", w, h);
}

static void show(const char *label, const char *text)
{
	printf("#   %s:\n", label);
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		printf("#   |%.*s|\n", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
}

static bool compare(const char *got, const char *want, const char *file, int line,
		    const char *name)
{
	bool same = strcmp(got, want) == 0;
	tap_ok(same, file, line, "%s", name);
	if (!same) {
		show("got", got);
		show("expected", want);
	}
	return same;
}

bool tui_is_screen(const struct grid *g, const char *want, const char *file, int line,
		   const char *name)
{
	struct buf b = BUF_INIT;
	grid_dump(g, &b);
	bool r = compare(buf_cstr(&b), want, file, line, name);
	buf_release(&b);
	return r;
}

bool tui_is_roles(const struct grid *g, const char *legend, const char *want, const char *file,
		  int line, const char *name)
{
	struct buf b = BUF_INIT;
	grid_dump_roles(g, &b, legend);
	bool r = compare(buf_cstr(&b), want, file, line, name);
	buf_release(&b);
	return r;
}

const char *tui_row(const struct grid *g, int y)
{
	static char row[4 * GRID_MAX_DIM + 1];
	struct grid copy = *g;
	copy.h = 1;
	copy.cells = g->cells + (size_t)y * (size_t)g->w;
	struct buf b = BUF_INIT;
	grid_dump(&copy, &b);
	snprintf(row, sizeof(row), "%s", buf_cstr(&b));
	size_t n = strlen(row);
	if (n && row[n - 1] == '\n')
		row[n - 1] = '\0';
	buf_release(&b);
	return row;
}
