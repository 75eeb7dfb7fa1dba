/*
 * Unit tests of the table widget over a small in-test node list: column
 * layout narrow and wide, drawing at 80x24 and 200x50, sorting (text,
 * number with NaN, custom), the selection kept by key across re-sorts,
 * filters and model changes, marks, keys and scrolling, grouped rows,
 * appended rows (follow, freeze), and the no-copy contract with 100,000
 * rows (only visible rows drawn, a fixed number of allocations to sort).
 */
#include "tui/lib.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "tui/widgets/table.h"
#include "tests/tap.h"
#include "tests/unit/tui/tui_check.h"

#include <math.h>

struct node {
	const char *alias;
	const char *addr;
	bool online;
	double cpu;
	double mem;
	const char *version;
	double seen;
	const char *app; /* for grouping */
};

static const struct node base_nodes[] = {
	{"node-03", "0xai_AhnbAzpLDqTqQ4pWh5tXjdgfB4qzQ9kM0n7nN3hPVC8W", true, 12.5, 2048, "2.9.140",
	 3, "llm"},
	{"oracle-a", "0xai_A2pPf0lxZSZkGNAfSTqW1R8hP1eWsTcUkJVmvq4jwPd8", true, 95, 16384, "2.9.141",
	 1, "monitor"},
	{"node-01", "0xai_Bq2rNqTfZ0hYUL5c8kZ2XvBtBV7kaQbN9VqfTrgbwk1c", false, 0, 1024, "2.8.977",
	 3600, "llm"},
	{"edge-\xE4\xB8\xAD", "0xai_Cy7bKcV1jzBsbBx8QjvXNRaxmA5GfY6Sox0LT2Bp1xQd", true, NAN, 512,
	 "2.9.140", 12, "web"},
	{"node-02", "0xai_DbLq1J6Xbj0zUwUgxgC6hD8Jqe3YQm9PAhcVZb2jX0Ka", true, 80, 4096, "2.9.141", 7,
	 "llm"},
};

/* The model: a list of pointers, so tests can insert and remove rows. */
struct model {
	const struct node *rows[64];
	size_t n;
	size_t text_calls; /* how many cells were asked for */
	bool show_offline;
};

static size_t m_count(void *ctx)
{
	return ((struct model *)ctx)->n;
}

static uint64_t m_key(void *ctx, size_t row)
{
	/* a stable key: the address's bytes hashed (FNV-1a) */
	const char *s = ((struct model *)ctx)->rows[row]->addr;
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

enum { C_ALIAS, C_ADDR, C_STATUS, C_CPU, C_MEM, C_VERSION, C_SEEN, C__COUNT };

static const char *m_text(void *ctx, size_t row, int col, char *scratch, size_t size)
{
	struct model *m = ctx;
	const struct node *n = m->rows[row];
	m->text_calls++;
	switch (col) {
	case C_ALIAS:
		return n->alias;
	case C_ADDR:
		return n->addr;
	case C_STATUS:
		return n->online ? "online" : "offline";
	case C_CPU:
		if (isnan(n->cpu))
			return "-";
		snprintf(scratch, size, "%.1f", n->cpu);
		return scratch;
	case C_MEM:
		snprintf(scratch, size, "%.0fM", n->mem);
		return scratch;
	case C_VERSION:
		return n->version;
	case C_SEEN:
		snprintf(scratch, size, "%.0fs", n->seen);
		return scratch;
	}
	return NULL;
}

static double m_number(void *ctx, size_t row, int col)
{
	const struct node *n = ((struct model *)ctx)->rows[row];
	return col == C_CPU ? n->cpu : col == C_MEM ? n->mem : n->seen;
}

/* Versions compared part by part (2.9.140 > 2.8.977). */
static int m_compare(void *ctx, size_t a, size_t b, int col)
{
	struct model *m = ctx;
	unsigned va[3] = {0}, vb[3] = {0};
	sscanf(m->rows[a]->version, "%u.%u.%u", &va[0], &va[1], &va[2]);
	sscanf(m->rows[b]->version, "%u.%u.%u", &vb[0], &vb[1], &vb[2]);
	for (int i = 0; i < 3; i++)
		if (va[i] != vb[i])
			return va[i] < vb[i] ? -1 : 1;
	return 0;
}

static uint16_t m_role(void *ctx, size_t row, int col)
{
	const struct node *n = ((struct model *)ctx)->rows[row];
	if (col == C_STATUS)
		return n->online ? TUI_ROLE_STATUS_OK : TUI_ROLE_STATUS_ERROR;
	return n->online ? 0 : TUI_ROLE_ROW_DIM;
}

static bool m_online_only(void *ctx, size_t row)
{
	return ((struct model *)ctx)->rows[row]->online;
}

static const struct table_column columns[C__COUNT] = {
	{"ALIAS", "alias", 10, 24, 2, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	{"ADDRESS", "addr", 14, 49, 3, 3, GRID_TRUNC_MIDDLE, TABLE_SORT_TEXT},
	{"STATUS", "online", 7, 0, 0, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	{"CPU%", "cpu", 5, 0, 0, 0, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	{"MEM", "mem", 8, 0, 0, 2, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	{"VERSION", "version", 8, 20, 1, 4, GRID_ALIGN_LEFT, TABLE_SORT_CUSTOM},
	{"SEEN", "seen", 6, 0, 0, 1, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
};

static void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < R1_ARRAY_LEN(base_nodes); i++)
		m->rows[m->n++] = &base_nodes[i];
}

static struct table *make_table(struct model *m)
{
	struct table_source src = {
		.ctx = m,
		.count = m_count,
		.key = m_key,
		.text = m_text,
		.number = m_number,
		.compare = m_compare,
		.role = m_role,
	};
	struct table *t = table_new(columns, C__COUNT, &src);
	if (!t)
		tap_bail("table_new failed");
	table_refresh(t);
	return t;
}

/* The aliases in display order, space separated; '*' marks the selection. */
static const char *order(struct table *t)
{
	static char out[512];
	struct model *m = t->src.ctx;
	size_t k = 0;
	out[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		uint32_t e = t->order[i];
		const char *name = (e & TABLE_GROUP_BIT) ? m->rows[e & ~TABLE_GROUP_BIT]->app
							 : m->rows[e]->alias;
		k += (size_t)snprintf(out + k, sizeof(out) - k, "%s%s%s%s", i ? " " : "",
				      (e & TABLE_GROUP_BIT) ? "[" : "", name,
				      (e & TABLE_GROUP_BIT) ? "]" : "");
		if (i == t->sel)
			k += (size_t)snprintf(out + k, sizeof(out) - k, "*");
	}
	return out;
}

static const char *selected_alias(struct table *t)
{
	size_t row;
	struct model *m = t->src.ctx;
	return table_selected(t, &row, NULL) ? m->rows[row]->alias : "(none)";
}

static void test_mouse(void)
{
	struct model m;
	model_init(&m);
	struct table *t = make_table(&m);
	struct grid g;
	tui_grid(&g, 80, 6, false);
	table_draw(t, grid_whole(&g));
	/* columns at 80: ALIAS from 0; find where CPU% starts from the layout */
	int x_cpu = 0;
	for (int c = 0; c < C_CPU; c++)
		x_cpu += t->widths[c] ? t->widths[c] + 1 : 0;
	is_int(table_column_at(t, 0), C_ALIAS, "column at x 0: ALIAS");
	is_int(table_column_at(t, x_cpu), C_CPU, "column at its start: CPU%%");
	is_int(table_column_at(t, t->widths[C_ALIAS]), -1, "the gap between columns: none");
	struct tui_mouse click = {TUI_MOUSE_CLICK, x_cpu + 1, 0};
	ok(table_mouse(t, &click) & TUI_REDRAW, "a click on a title sorts");
	ok(t->sort_col == C_CPU && !t->sort_desc, "... by that column, ascending");
	table_mouse(t, &click);
	ok(t->sort_col == C_CPU && t->sort_desc, "a second click: descending");
	table_sort_by(t, -1, false);
	struct tui_mouse row = {TUI_MOUSE_CLICK, 3, 3};
	table_mouse(t, &row);
	is_str(selected_alias(t), "node-01", "a click on the third row selects it");
	is_int(t->action, TABLE_ACTION_NONE, "... and does not open it");
	row.kind = TUI_MOUSE_DOUBLE;
	row.y = 2;
	ok(table_mouse(t, &row) & TUI_ACTION, "a double click opens");
	is_str(selected_alias(t), "oracle-a", "... the row clicked");
	struct tui_mouse below = {TUI_MOUSE_CLICK, 3, 5 + 10};
	table_mouse(t, &below);
	is_str(selected_alias(t), "oracle-a", "a click below the rows changes nothing");
	struct tui_mouse wheel = {TUI_MOUSE_WHEEL_DOWN, 0, 0};
	table_mouse(t, &wheel);
	is_str(selected_alias(t), "node-02", "the wheel moves three rows");
	grid_release(&g);
	table_free(&t);
}

static void test_layout(void)
{
	struct model m;
	model_init(&m);
	struct table *t = make_table(&m);
	table_layout(t, 80);
	int w80[C__COUNT] = {16, 22, 7, 5, 8, 10, 6};
	bool same = true;
	for (int c = 0; c < C__COUNT; c++)
		same &= t->widths[c] == w80[c];
	ok(same, "80 columns: every column, spare width by flex share");
	for (int c = 0; c < C__COUNT && !same; c++)
		tap_diag("col %d: %d", c, t->widths[c]);
	int sum = C__COUNT - 1;
	for (int c = 0; c < C__COUNT; c++)
		sum += t->widths[c];
	is_int(sum, 80, "80 columns: widths and gaps fill the width exactly");

	table_layout(t, 200);
	is_int(t->widths[C_ALIAS], 24, "200 columns: alias stops at its max");
	is_int(t->widths[C_ADDR], 49, "200 columns: the whole address");
	is_int(t->widths[C_VERSION], 20, "200 columns: version at its max");
	is_int(t->widths[C_STATUS], 7, "200 columns: non-flex columns stay at min");

	table_layout(t, 50);
	is_int(t->widths[C_VERSION], 0, "50 columns: version (hide 4) goes first");
	is_int(t->widths[C_ADDR], 0, "50 columns: then the address (hide 3)");
	ok(t->widths[C_MEM] > 0 && t->widths[C_SEEN] > 0, "50 columns: mem and seen stay");
	table_layout(t, 30);
	ok(t->widths[C_MEM] == 0 && t->widths[C_SEEN] == 0, "30 columns: mem and seen hidden too");
	ok(t->widths[C_ALIAS] && t->widths[C_STATUS] && t->widths[C_CPU],
	   "30 columns: the never-hidden columns remain");
	table_layout(t, 8);
	is_int(t->widths[C_ALIAS], 8, "8 columns: a column is clipped to the screen");
	table_free(&t);
	ok(t == NULL, "free NULLs the pointer");
	table_free(&t);
}

static void test_draw(void)
{
	struct model m;
	model_init(&m);
	struct table *t = make_table(&m);
	struct grid g;
	tui_grid(&g, 80, 24, false);
	table_draw(t, grid_whole(&g));
	is_str(tui_row(&g, 0), "ALIAS            ADDRESS                STATUS   CPU%      MEM VERSION      SEEN",
	       "80x24: header row");
	is_str(tui_row(&g, 1), "node-03          0xai_AhnbAz\xE2\x80\xA6" "7nN3hPVC8W online   12.5    2048M 2.9.140        3s",
	       "80x24: first row, address truncated in the middle");
	is_screen(&g,
		  "ALIAS            ADDRESS                STATUS   CPU%      MEM VERSION      SEEN\n"
		  "node-03          0xai_AhnbAz\xE2\x80\xA6" "7nN3hPVC8W online   12.5    2048M 2.9.140        3s\n"
		  "oracle-a         0xai_A2pPf0\xE2\x80\xA6Vmvq4jwPd8 online   95.0   16384M 2.9.141        1s\n"
		  "node-01          0xai_Bq2rNq\xE2\x80\xA6qfTrgbwk1c offline   0.0    1024M 2.8.977     3600s\n"
		  "edge-\xE4\xB8\xAD          0xai_Cy7bKc\xE2\x80\xA6" "0LT2Bp1xQd online      -     512M 2.9.140       12s\n"
		  "node-02          0xai_DbLq1J\xE2\x80\xA6" "cVZb2jX0Ka online   80.0    4096M 2.9.141        7s\n"
		  "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n",
		  "80x24: the table in model order");

	/* roles: header, selected row, dim offline row with its red status */
	char legend[TUI_ROLE__COUNT + 1];
	memset(legend, '?', TUI_ROLE__COUNT);
	legend[TUI_ROLE__COUNT] = '\0';
	legend[TUI_ROLE_DEFAULT] = '.';
	legend[TUI_ROLE_TABLE_HEADER] = 'h';
	legend[TUI_ROLE_ROW] = 'r';
	legend[TUI_ROLE_ROW_SELECTED] = 'S';
	legend[TUI_ROLE_ROW_DIM] = 'd';
	legend[TUI_ROLE_STATUS_OK] = 'g';
	legend[TUI_ROLE_STATUS_ERROR] = 'e';
	legend[TUI_ROLE_ROW_MARKED] = 'm';
	struct buf roles = BUF_INIT;
	grid_dump_roles(&g, &roles, legend);
	const char *r = buf_cstr(&roles);
	ok(strncmp(r, "hhhhhhhhhh", 10) == 0, "header in the header role");
	const char *row1 = strchr(r, '\n') + 1;
	ok(strncmp(row1, "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS", 80) == 0,
	   "the selected row is one bar over the whole width");
	const char *row2 = strchr(row1, '\n') + 1;
	ok(strncmp(row2 + 40, "ggggggg", 7) == 0, "online status in the ok role");
	const char *row3 = strchr(row2, '\n') + 1;
	ok(strncmp(row3, "ddddddddddddddddrddddddddddddddddddddddreeeeeeerdddddrddddddddrddddddddddrdddddd\n",
		   81) == 0,
	   "offline row dimmed cell by cell, gaps in the row role, status in the error role");
	ok(strncmp(row3 + 40, "eeeeeee", 7) == 0, "offline status in the error role");
	buf_release(&roles);

	/* sorted by cpu, descending: arrow in the header, NaN last */
	table_sort_by(t, C_CPU, true);
	grid_clear(&g, 0);
	table_draw(t, grid_whole(&g));
	is_str(tui_row(&g, 0), "ALIAS            ADDRESS                STATUS  CPU%\xE2\x86\x93      MEM VERSION      SEEN",
	       "80x24: the sort column shows its direction");
	is_str(order(t), "oracle-a node-02 node-03* node-01 edge-\xE4\xB8\xAD",
	       "cpu descending, NaN last, selection still on node-03");
	grid_release(&g);

	tui_grid(&g, 200, 50, false);
	table_sort_by(t, -1, false);
	table_draw(t, grid_whole(&g));
	struct buf wide = BUF_INIT;
	buf_addf(&wide, "%-24s %-49s %-7s %5s %8s %-20s %6s\n", "ALIAS", "ADDRESS", "STATUS", "CPU%",
		 "MEM", "VERSION", "SEEN");
	for (size_t i = 0; i < R1_ARRAY_LEN(base_nodes); i++) {
		const struct node *n = &base_nodes[i];
		char cpu[16], mem[16], seen[16];
		snprintf(cpu, sizeof(cpu), isnan(n->cpu) ? "-" : "%.1f", n->cpu);
		snprintf(mem, sizeof(mem), "%.0fM", n->mem);
		snprintf(seen, sizeof(seen), "%.0fs", n->seen);
		int pad = 24 - grid_text_width(n->alias);
		buf_addf(&wide, "%s%*s %s %-7s %5s %8s %-20s %6s\n", n->alias, pad, "", n->addr,
			 n->online ? "online" : "offline", cpu, mem, n->version, seen);
	}
	for (int i = 6; i < 50; i++)
		buf_adds(&wide, "\n");
	is_screen(&g, buf_cstr(&wide), "200x50: every column at full width");
	buf_release(&wide);
	grid_release(&g);

	/* narrow: hidden columns */
	tui_grid(&g, 40, 4, false);
	table_draw(t, grid_whole(&g));
	is_screen(&g,
		  "ALIAS      STATUS   CPU%      MEM   SEEN\n"
		  "node-03    online   12.5    2048M     3s\n"
		  "oracle-a   online   95.0   16384M     1s\n"
		  "node-01    offline   0.0    1024M  3600s\n",
		  "40 columns: version and address (highest hide numbers) hidden");
	grid_release(&g);
	table_free(&t);
}

static void test_sort_and_selection(void)
{
	struct model m;
	model_init(&m);
	struct table *t = make_table(&m);
	is_str(order(t), "node-03* oracle-a node-01 edge-\xE4\xB8\xAD node-02", "model order");
	table_select_index(t, 4);
	is_str(selected_alias(t), "node-02", "select by index");

	is_int(table_sort_by(t, C_ALIAS, false), R1_OK, "sort by alias");
	is_str(order(t), "edge-\xE4\xB8\xAD node-01 node-02* node-03 oracle-a",
	       "alias ascending; selection follows node-02");
	table_sort_by(t, C_ALIAS, true);
	is_str(order(t), "oracle-a node-03 node-02* node-01 edge-\xE4\xB8\xAD", "alias descending");
	table_sort_by(t, C_CPU, false);
	is_str(order(t), "node-01 node-03 node-02* oracle-a edge-\xE4\xB8\xAD",
	       "cpu ascending, NaN last");
	table_sort_by(t, C_VERSION, false);
	is_str(order(t), "node-01 node-03 edge-\xE4\xB8\xAD oracle-a node-02*",
	       "custom compare (versions), ties in model order");
	table_sort_by(t, C_VERSION, true);
	is_str(order(t), "oracle-a node-02* node-03 edge-\xE4\xB8\xAD node-01",
	       "custom compare descending, ties still in model order");
	table_sort_by(t, C_ADDR, false);
	is_str(order(t), "oracle-a node-03 node-01 edge-\xE4\xB8\xAD node-02*",
	       "long texts with the same 8-byte prefix compare in full");
	is_int(table_sort_by(t, C__COUNT, false), R1_ERR_INVAL, "no such column");
	table_sort_by(t, -1, false);
	is_str(order(t), "node-03 oracle-a node-01 edge-\xE4\xB8\xAD node-02*", "back to model order");

	/* filter: hide node-01 (offline); selection stays on node-02 */
	table_set_filter(t, m_online_only, &m);
	table_refresh(t);
	is_str(order(t), "node-03 oracle-a edge-\xE4\xB8\xAD node-02*", "filter hides offline rows");
	is_int(t->filtered_out, 1, "one row filtered out");
	/* the selected row itself disappears: the selection keeps its position */
	table_select_key(t, m_key(&m, 1));
	is_str(selected_alias(t), "oracle-a", "select by key");
	m.rows[1] = &base_nodes[2]; /* oracle-a replaced by the offline node-01 */
	table_refresh(t);
	is_str(order(t), "node-03 edge-\xE4\xB8\xAD* node-02",
	       "selected row gone: the row now at its position is selected");
	table_set_filter(t, NULL, NULL);
	model_init(&m);
	table_refresh(t);
	is_str(order(t), "node-03 oracle-a node-01 edge-\xE4\xB8\xAD* node-02",
	       "filter removed: the selection stays on its row");

	/* rows inserted before the selection: the selection follows the key */
	memmove(&m.rows[2], &m.rows[0], m.n * sizeof(m.rows[0]));
	m.rows[0] = &base_nodes[4];
	m.rows[1] = &base_nodes[1];
	m.n += 2;
	table_refresh(t);
	is_str(selected_alias(t), "edge-\xE4\xB8\xAD", "rows added in front: selection kept");
	is_int(t->sel, 5, "... at its new index");

	/* re-sort many times: the selection never moves to another row */
	bool kept = true;
	for (int c = 0; c < C__COUNT; c++)
		for (int d = 0; d < 2; d++) {
			table_sort_by(t, c, d);
			kept &= strcmp(selected_alias(t), "edge-\xE4\xB8\xAD") == 0;
		}
	ok(kept, "selection kept across every column and direction");
	table_free(&t);
}

static void test_keys_and_marks(void)
{
	struct model m;
	model_init(&m);
	struct table *t = make_table(&m);
	t->page = 2;
	is_int(table_key(t, TUI_KEY_UP), TUI_CONSUMED, "Up at the top: nothing");
	is_int(table_key(t, TUI_KEY_DOWN), TUI_CONSUMED | TUI_REDRAW | TUI_CHANGED, "Down moves");
	is_str(selected_alias(t), "oracle-a", "second row");
	table_key(t, 'j');
	is_str(selected_alias(t), "node-01", "j moves down");
	table_key(t, 'k');
	is_str(selected_alias(t), "oracle-a", "k moves up");
	table_key(t, TUI_KEY_PGDN);
	is_str(selected_alias(t), "edge-\xE4\xB8\xAD", "PgDn moves a page");
	table_key(t, TUI_KEY_PGDN);
	is_str(selected_alias(t), "node-02", "PgDn stops at the end");
	table_key(t, 'g');
	is_str(selected_alias(t), "node-03", "g: first row");
	table_key(t, 'G');
	is_str(selected_alias(t), "node-02", "G: last row");
	table_key(t, TUI_KEY_HOME);
	is_int(table_key(t, TUI_KEY_ENTER), TUI_CONSUMED | TUI_ACTION, "Enter is an action");
	is_int(t->action, TABLE_ACTION_OPEN, "... to open the row");
	is_int(table_key(t, 'x'), TUI_IGNORED, "unknown key ignored");

	table_key(t, '>');
	is_int(t->sort_col, C_ALIAS, "'>' sorts by the first sortable column");
	table_key(t, '>');
	is_int(t->sort_col, C_ADDR, "'>' again: the next one");
	table_key(t, '<');
	table_key(t, '<');
	is_int(t->sort_col, C_SEEN, "'<' wraps to the last column");
	table_key(t, 'I');
	ok(t->sort_desc, "'I' inverts");

	table_sort_by(t, -1, false);
	table_select_index(t, 0);
	table_key(t, TUI_KEY_SPACE);
	is_str(selected_alias(t), "oracle-a", "Space marks and moves down");
	table_key(t, TUI_KEY_SPACE);
	size_t n;
	const uint64_t *marks = table_marks(t, &n);
	is_int(n, 2, "two rows marked");
	ok(marks[0] < marks[1], "marks are kept sorted");
	ok(table_is_marked(t, m_key(&m, 0)) && table_is_marked(t, m_key(&m, 1)),
	   "node-03 and oracle-a marked");
	table_sort_by(t, C_CPU, true);
	ok(table_is_marked(t, m_key(&m, 0)), "marks survive a re-sort (they are keys)");
	table_select_key(t, m_key(&m, 0));
	table_mark_toggle(t);
	table_marks(t, &n);
	is_int(n, 1, "toggling a marked row unmarks it");
	table_mark_all(t);
	table_marks(t, &n);
	is_int(n, 5, "mark all marks every shown row");
	table_set_filter(t, m_online_only, &m);
	table_refresh(t);
	table_mark_clear(t);
	table_mark_all(t);
	table_marks(t, &n);
	is_int(n, 4, "mark all marks only the rows the filter shows");

	struct grid g;
	tui_grid(&g, 30, 3, false);
	table_select_index(t, 0);
	table_mark_toggle(t);
	table_draw(t, grid_whole(&g));
	const struct grid_cell *c = grid_cell_at(&g, 0, 2);
	is_int(c->role, TUI_ROLE_ROW_MARKED, "a marked row (not selected) is in the marked role");
	grid_release(&g);
	table_free(&t);
}

static uint64_t index_key(void *ctx, size_t row)
{
	return row;
}

static void test_scroll(void)
{
	struct model m;
	memset(&m, 0, sizeof(m));
	for (int i = 0; i < 60; i++)
		m.rows[m.n++] = &base_nodes[i % 5];
	/* the rows repeat, so the key is the index */
	struct table_source src = {.ctx = &m, .count = m_count, .text = m_text};
	src.key = NULL;
	struct table *t = table_new(columns, C__COUNT, &src);
	ok(t == NULL, "a source without a key function is refused");
	src.key = index_key;
	t = table_new(columns, 0, &src);
	ok(t == NULL, "no columns is refused");
	t = table_new(columns, C__COUNT, &src);
	table_refresh(t);
	struct grid g;
	tui_grid(&g, 80, 11, false);
	t->show_header = true;
	table_draw(t, grid_whole(&g));
	is_int(t->page, 10, "ten rows under the header");
	table_select_index(t, 25);
	table_draw(t, grid_whole(&g));
	is_int(t->top, 16, "selection below the page: scrolled so it is the last row shown");
	ok(strncmp(tui_row(&g, 10), "node-03", 7) == 0, "row 25 (node-03) on the last line");
	table_select_index(t, 3);
	table_draw(t, grid_whole(&g));
	is_int(t->top, 3, "selection above the page: it becomes the first row");
	table_select_index(t, 59);
	table_draw(t, grid_whole(&g));
	is_int(t->top, 50, "end: last page");
	m.n = 55;
	table_refresh(t);
	table_draw(t, grid_whole(&g));
	is_int(t->sel, 54, "rows removed: selection clamped");
	is_int(t->top, 45, "no blank space left at the bottom");
	m.n = 0;
	table_refresh(t);
	grid_clear(&g, 0);
	table_draw(t, grid_whole(&g));
	char want[128];
	snprintf(want, sizeof(want), "%*sno rows", (80 - 7) / 2, "");
	is_str(tui_row(&g, 6), want, "empty table says so, in the middle");
	ok(!table_selected(t, NULL, NULL), "empty: no selection");
	is_int(table_key(t, TUI_KEY_ENTER), TUI_CONSUMED, "Enter on an empty table: no action");
	m.n = 5;
	table_set_filter(t, m_online_only, &m);
	m.rows[0] = m.rows[2]; /* offline */
	m.rows[1] = m.rows[2];
	m.rows[3] = m.rows[2];
	m.rows[4] = m.rows[2];
	table_refresh(t);
	grid_clear(&g, 0);
	table_draw(t, grid_whole(&g));
	snprintf(want, sizeof(want), "%*sno rows match the filter", (80 - 24) / 2, "");
	is_str(tui_row(&g, 6), want, "everything filtered out says so");
	grid_release(&g);
	table_free(&t);
}

/* ------------------------------------------------------------- grouping */

static uint64_t m_group(void *ctx, size_t row)
{
	/* groups in name order: llm < monitor < web */
	const char *app = ((struct model *)ctx)->rows[row]->app;
	return (uint64_t)(uint8_t)app[0] << 8 | (uint8_t)app[1];
}

static const char *m_group_title(void *ctx, size_t row, char *scratch, size_t size)
{
	struct model *m = ctx;
	snprintf(scratch, size, "%s", m->rows[row]->app);
	return scratch;
}

static void test_groups(void)
{
	struct model m;
	model_init(&m);
	struct table_source src = {
		.ctx = &m,
		.count = m_count,
		.key = m_key,
		.text = m_text,
		.number = m_number,
		.group = m_group,
		.group_title = m_group_title,
	};
	struct table *t = table_new(columns, C__COUNT, &src);
	table_refresh(t);
	is_str(order(t), "[llm]* node-03 node-01 node-02 [monitor] oracle-a [web] edge-\xE4\xB8\xAD",
	       "groups with headings, rows in model order inside them");
	bool is_group;
	size_t row;
	ok(table_selected(t, &row, &is_group) && is_group, "a heading can be selected");
	is_int(row, 0, "a heading's row is its group's first row");
	table_sort_by(t, C_CPU, true);
	is_str(order(t), "[llm]* node-02 node-03 node-01 [monitor] oracle-a [web] edge-\xE4\xB8\xAD",
	       "sorted inside each group; the heading stays selected");
	table_key(t, TUI_KEY_DOWN);
	table_key(t, TUI_KEY_DOWN);
	is_str(selected_alias(t), "node-03", "moving through a group");
	table_sort_by(t, C_CPU, false);
	is_str(order(t), "[llm] node-01 node-03* node-02 [monitor] oracle-a [web] edge-\xE4\xB8\xAD",
	       "re-sorted: the selection follows node-03");
	table_set_filter(t, m_online_only, &m);
	table_refresh(t);
	is_str(order(t), "[llm] node-03* node-02 [monitor] oracle-a [web] edge-\xE4\xB8\xAD",
	       "filtered: the heading moves to the first shown row");
	table_key(t, TUI_KEY_SPACE);
	table_key(t, TUI_KEY_UP);
	table_key(t, TUI_KEY_UP);
	table_mark_toggle(t);
	size_t n;
	table_marks(t, &n);
	is_int(n, 1, "headings cannot be marked");

	struct grid g;
	tui_grid(&g, 80, 24, false);
	table_draw(t, grid_whole(&g));
	is_str(tui_row(&g, 1), "llm", "80x24: heading row");
	is_int(grid_cell_at(&g, 0, 1)->role, TUI_ROLE_ROW_SELECTED, "selected heading");
	is_int(grid_cell_at(&g, 0, 4)->role, TUI_ROLE_GROUP, "other headings in the group role");
	ok(strncmp(tui_row(&g, 2), "node-03", 7) == 0, "rows under their heading");
	grid_release(&g);
	table_free(&t);
}

/* -------------------------------------------------------------- streams */

static void test_stream(void)
{
	struct model m;
	memset(&m, 0, sizeof(m));
	struct table_source src = {.ctx = &m, .count = m_count, .key = m_key, .text = m_text};
	struct table *t = table_new(columns, C__COUNT, &src);
	t->follow = true;
	table_refresh(t);
	m.rows[m.n++] = &base_nodes[0];
	m.rows[m.n++] = &base_nodes[1];
	is_int(table_rows_appended(t), R1_OK, "append");
	is_str(order(t), "node-03 oracle-a*", "follow: the newest row is selected");
	m.rows[m.n++] = &base_nodes[2];
	table_rows_appended(t);
	is_str(order(t), "node-03 oracle-a node-01*", "follow keeps up");
	table_select_index(t, 0);
	m.rows[m.n++] = &base_nodes[3];
	table_rows_appended(t);
	is_str(order(t), "node-03* oracle-a node-01 edge-\xE4\xB8\xAD",
	       "selection moved away from the end: it stays");

	table_set_filter(t, m_online_only, &m);
	table_refresh(t);
	m.rows[m.n++] = &base_nodes[2]; /* offline */
	m.rows[m.n++] = &base_nodes[4];
	table_rows_appended(t);
	is_str(order(t), "node-03* oracle-a edge-\xE4\xB8\xAD node-02",
	       "appended rows go through the filter");

	is_int(table_freeze(t, true), R1_OK, "pause");
	m.rows[m.n++] = &base_nodes[1];
	table_rows_appended(t);
	table_refresh(t);
	is_str(order(t), "node-03* oracle-a edge-\xE4\xB8\xAD node-02", "paused: nothing changes");
	ok(t->stale, "... but a refresh is owed");
	table_freeze(t, false);
	is_str(order(t), "node-03* oracle-a edge-\xE4\xB8\xAD node-02 oracle-a",
	       "resumed: the owed rows appear");

	/* paused while the model shrank: rows past the end are not drawn */
	table_freeze(t, true);
	m.n = 2;
	struct grid g;
	tui_grid(&g, 80, 8, false);
	table_draw(t, grid_whole(&g));
	is_str(tui_row(&g, 3), "", "a vanished row is skipped, not read");
	grid_release(&g);
	table_freeze(t, false);
	is_int(table_count(t), 2, "resumed: the table matches the model again");

	/* appending while sorted falls back to a full refresh */
	table_set_filter(t, NULL, NULL);
	table_sort_by(t, C_ALIAS, false);
	m.rows[m.n++] = &base_nodes[4];
	table_rows_appended(t);
	is_str(order(t), "node-02 node-03* oracle-a", "sorted table: appended rows sorted in");
	table_free(&t);
}

/* ---------------------------------------------------- 100,000 rows, no copy */

struct big {
	size_t n;
	size_t text_calls, key_calls;
};

static size_t big_count(void *ctx)
{
	return ((struct big *)ctx)->n;
}

static uint64_t big_key(void *ctx, size_t row)
{
	((struct big *)ctx)->key_calls++;
	return row * 2654435761u;
}

/* Aliases are a permutation of node-000000..node-099999 (7919 is prime). */
static const char *big_text(void *ctx, size_t row, int col, char *scratch, size_t size)
{
	((struct big *)ctx)->text_calls++;
	if (col == 0)
		snprintf(scratch, size, "node-%06zu", (row * 7919) % 100000);
	else if (col == 1)
		snprintf(scratch, size, "%zu", (row * 104729) % 1000);
	else
		return "x";
	return scratch;
}

static double big_number(void *ctx, size_t row, int col)
{
	return (double)((row * 104729) % 1000);
}

static void test_big(void)
{
	static const struct table_column cols[3] = {
		{"ALIAS", NULL, 12, 0, 1, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
		{"CPU", NULL, 5, 0, 0, 0, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
		{"X", NULL, 5, 0, 0, 0, GRID_ALIGN_RIGHT, TABLE_SORT_NONE},
	};
	struct big b = {100000, 0, 0};
	struct table_source src = {.ctx = &b,
				   .count = big_count,
				   .key = big_key,
				   .text = big_text,
				   .number = big_number};
	struct table *t = table_new(cols, 3, &src);
	r1_alloc_fail_after(1);
	enum r1_err err = table_refresh(t);
	long refused = r1_alloc_fail_after(-1);
	is_int(err, R1_OK, "100,000 rows in model order: one allocation is enough");
	is_int(refused, 0, "... none refused");
	is_int(table_count(t), 100000, "all rows shown");

	r1_alloc_fail_after(1);
	err = table_sort_by(t, 1, true);
	refused = r1_alloc_fail_after(-1);
	is_int(err, R1_OK, "sorting 100,000 rows by number: one allocation (no per-row ones)");
	r1_alloc_fail_after(1);
	err = table_sort_by(t, 0, false);
	refused = r1_alloc_fail_after(-1);
	is_int(err, R1_OK, "sorting 100,000 rows by text: one allocation");
	bool sorted = true;
	char a[32], c[32];
	for (size_t i = 1; i < t->n && sorted; i++) {
		big_text(&b, t->order[i - 1], 0, a, sizeof(a));
		big_text(&b, t->order[i], 0, c, sizeof(c));
		sorted = strcmp(a, c) <= 0;
	}
	ok(sorted, "text order holds over all 100,000 rows");

	struct grid g;
	tui_grid(&g, 80, 24, false);
	table_select_index(t, 50000);
	b.text_calls = b.key_calls = 0;
	table_draw(t, grid_whole(&g));
	ok(b.text_calls <= 23 * 3, "drawing reads only the visible cells (%zu calls)", b.text_calls);
	ok(b.key_calls <= 23, "... and only their keys (%zu calls)", b.key_calls);
	ok(strncmp(tui_row(&g, 23), "node-050000 ", 12) == 0,
	   "the selection (the 50,000th alias) is on the last line");
	is_int(grid_cell_at(&g, 0, 23)->role, TUI_ROLE_ROW_SELECTED, "... highlighted");
	ok(strncmp(tui_row(&g, 1), "node-049978 ", 12) == 0, "the page above it in order");

	/* an allocation failure keeps the previous order */
	size_t before = t->order[10];
	r1_alloc_fail_after(0);
	err = table_sort_by(t, 1, false);
	r1_alloc_fail_after(-1);
	is_int(err, R1_ERR_NOMEM, "sort without memory fails");
	is_int(t->order[10], before, "... and leaves the order as it was");
	grid_release(&g);
	table_free(&t);
}

int main(void)
{
	tui_check_locale();
	test_layout();
	test_mouse();
	test_draw();
	test_sort_and_selection();
	test_keys_and_marks();
	test_scroll();
	test_groups();
	test_stream();
	test_big();
	return tap_done();
}
