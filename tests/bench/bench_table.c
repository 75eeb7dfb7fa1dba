/*
 * Benchmark of the table widget over a 100,000-row node model (not a test:
 * it prints figures, it does not judge them).  Each figure is printed beside
 * an anchor measured in the same run on the same data, so a busy machine
 * shifts both:
 *
 *   frame     table_draw of one screen (80x24 and 200x50)   vs  filling the grid
 *   sort      table_sort_by a number and a text column      vs  plain qsort of the keys
 *   filter    table_refresh with a '/' filter               vs  a strstr loop over the aliases
 *   memory    bytes a row costs the table beyond the model (measured with mallinfo2)
 *
 * Budget from DESIGN.md: a frame under 10 ms, filter and sort under 50 ms.
 *
 *   bench_table [ROWS]      (default 100000)
 */
#include "tui/lib.h"
#include "tui/grid.h"
#include "tui/widgets/filter.h"
#include "tui/widgets/table.h"

#include <locale.h>
#include <malloc.h>
#include <math.h>

#define REPEAT 7

struct node {
	char alias[24];
	char addr[52];
	char version[12];
	bool online;
	double cpu, mem, disk;
	int pipelines;
	int64_t seen;
};

struct model {
	struct node *rows;
	size_t n;
	struct filter filter;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* ----------------------------------------------------------- the model */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void model_fill(struct model *m, size_t n)
{
	static const char b58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
	m->n = n;
	m->rows = r1_calloc(n, sizeof(*m->rows));
	if (!m->rows) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		struct node *r = &m->rows[i];
		snprintf(r->alias, sizeof(r->alias), "node-%06zu", (size_t)(rng() % 1000000));
		memcpy(r->addr, "0xai_", 5);
		for (int k = 5; k < 49; k++)
			r->addr[k] = b58[rng() % (sizeof(b58) - 1)];
		r->addr[49] = '\0';
		snprintf(r->version, sizeof(r->version), "2.9.%u", (unsigned)(rng() % 200));
		r->online = rng() % 10 != 0;
		r->cpu = (double)(rng() % 10000) / 100.0;
		r->mem = (double)(rng() % 65536);
		r->disk = (double)(rng() % 2000);
		r->pipelines = (int)(rng() % 12);
		r->seen = (int64_t)(rng() % 86400);
	}
	filter_init(&m->filter);
}

enum { C_ALIAS, C_ADDR, C_STATUS, C_CPU, C_MEM, C_DISK, C_VERSION, C_PIPES, C_SEEN, C__COUNT };

static const struct table_column columns[C__COUNT] = {
	{"ALIAS", "alias", 10, 24, 2, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	{"ADDRESS", "addr", 14, 49, 3, 5, GRID_TRUNC_MIDDLE, TABLE_SORT_TEXT},
	{"STATUS", "online", 7, 0, 0, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	{"CPU%", "cpu", 5, 0, 0, 0, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	{"MEM", "mem", 8, 0, 0, 2, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	{"DISK", "disk", 7, 0, 0, 3, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	{"VERSION", "version", 8, 12, 1, 4, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	{"PIPES", "pipelines", 5, 0, 0, 6, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	{"SEEN", "seen", 6, 0, 0, 1, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
};

static size_t m_count(void *ctx)
{
	return ((struct model *)ctx)->n;
}

static uint64_t m_key(void *ctx, size_t row)
{
	return row;
}

static const char *m_text(void *ctx, size_t row, int col, char *scratch, size_t size)
{
	const struct node *r = &((struct model *)ctx)->rows[row];
	switch (col) {
	case C_ALIAS:
		return r->alias;
	case C_ADDR:
		return r->addr;
	case C_STATUS:
		return r->online ? "online" : "offline";
	case C_CPU:
		snprintf(scratch, size, "%.1f", r->cpu);
		return scratch;
	case C_MEM:
		snprintf(scratch, size, "%.0fM", r->mem);
		return scratch;
	case C_DISK:
		snprintf(scratch, size, "%.0fG", r->disk);
		return scratch;
	case C_VERSION:
		return r->version;
	case C_PIPES:
		snprintf(scratch, size, "%d", r->pipelines);
		return scratch;
	default:
		snprintf(scratch, size, "%" PRId64 "s", r->seen);
		return scratch;
	}
}

static double m_number(void *ctx, size_t row, int col)
{
	const struct node *r = &((struct model *)ctx)->rows[row];
	switch (col) {
	case C_CPU:
		return r->cpu;
	case C_MEM:
		return r->mem;
	case C_DISK:
		return r->disk;
	case C_PIPES:
		return r->pipelines;
	default:
		return (double)r->seen;
	}
}

/* The filter hook: the '/' language through filter_match. */
struct row_ref {
	const struct node *r;
};

static const char *f_text(void *ctx, size_t i, char *scratch, size_t size)
{
	const struct node *r = ((struct row_ref *)ctx)->r;
	return i == 0 ? r->alias : i == 1 ? r->addr : i == 2 ? r->version : NULL;
}

static bool f_field(void *ctx, const struct filter_term *t)
{
	const struct node *r = ((struct row_ref *)ctx)->r;
	if (strcmp(t->key, "online") == 0)
		return filter_bool_matches(t, r->online);
	if (strcmp(t->key, "cpu") == 0)
		return filter_number_matches(t, r->cpu);
	if (strcmp(t->key, "alias") == 0)
		return filter_text_matches(t, r->alias);
	return false;
}

static bool m_filter(void *ctx, size_t row)
{
	struct model *m = ctx;
	struct row_ref ref = {&m->rows[row]};
	struct filter_row fr = {&ref, f_text, f_field};
	return filter_match(&m->filter, &fr);
}

/* --------------------------------------------------------------- figures */

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

static void bench_frames(struct table *t, int w, int h)
{
	struct grid g;
	if (grid_init(&g, w, h, false) != R1_OK)
		exit(1);
	double draw[REPEAT * 4], fill[REPEAT * 4];
	struct grid_area a = grid_whole(&g);
	for (int i = 0; i < REPEAT * 4; i++) {
		table_select_index(t, (size_t)(rng() % table_count(t)));
		double t0 = now_ms();
		grid_clear(&g, 0);
		table_draw(t, a);
		double t1 = now_ms();
		grid_clear(&g, 0);
		for (int y = 0; y < h; y++)
			grid_fill(a, 0, y, w, 1, 'x', 1, 0);
		double t2 = now_ms();
		draw[i] = t1 - t0;
		fill[i] = t2 - t1;
	}
	printf("  frame %3dx%-3d  table_draw %8.3f ms   | anchor: filling every cell %8.3f ms"
	       "   (budget 10 ms)\n",
	       w, h, median(draw, REPEAT * 4), median(fill, REPEAT * 4));
	grid_release(&g);
}

static void bench_sort(struct table *t, struct model *m)
{
	double num[REPEAT], text[REPEAT], qnum[REPEAT], qtext[REPEAT];
	double *keys = r1_reallocarray(NULL, m->n, sizeof(*keys));
	const char **strs = r1_reallocarray(NULL, m->n, sizeof(*strs));
	if (!keys || !strs)
		exit(1);
	for (int i = 0; i < REPEAT; i++) {
		double t0 = now_ms();
		table_sort_by(t, C_CPU, i & 1);
		double t1 = now_ms();
		table_sort_by(t, C_ALIAS, i & 1);
		double t2 = now_ms();
		for (size_t k = 0; k < m->n; k++)
			keys[k] = m->rows[k].cpu;
		qsort(keys, m->n, sizeof(*keys), cmp_double);
		double t3 = now_ms();
		for (size_t k = 0; k < m->n; k++)
			strs[k] = m->rows[k].alias;
		qsort(strs, m->n, sizeof(*strs), cmp_str);
		double t4 = now_ms();
		num[i] = t1 - t0;
		text[i] = t2 - t1;
		qnum[i] = t3 - t2;
		qtext[i] = t4 - t3;
	}
	printf("  sort by number  table_sort_by %8.3f ms   | anchor: qsort of the doubles  %8.3f ms"
	       "   (budget 50 ms)\n",
	       median(num, REPEAT), median(qnum, REPEAT));
	printf("  sort by text    table_sort_by %8.3f ms   | anchor: qsort+strcmp of aliases %6.3f ms"
	       "   (budget 50 ms)\n",
	       median(text, REPEAT), median(qtext, REPEAT));
	r1_free(keys);
	r1_free(strs);
}

static void bench_filter(struct table *t, struct model *m, const char *text)
{
	double fl[REPEAT], raw[REPEAT];
	size_t shown = 0, hits = 0;
	if (filter_parse(&m->filter, text, NULL) != R1_OK)
		exit(1);
	table_set_filter(t, m_filter, m);
	for (int i = 0; i < REPEAT; i++) {
		double t0 = now_ms();
		table_refresh(t);
		double t1 = now_ms();
		hits = 0;
		for (size_t k = 0; k < m->n; k++)
			hits += strstr(m->rows[k].alias, "node-01") != NULL;
		double t2 = now_ms();
		fl[i] = t1 - t0;
		raw[i] = t2 - t1;
		shown = table_count(t);
	}
	printf("  filter %-22s %8.3f ms (%6zu rows) | anchor: strstr over aliases %8.3f ms"
	       " (%zu hits)   (budget 50 ms)\n",
	       text, median(fl, REPEAT), shown, median(raw, REPEAT), hits);
	table_set_filter(t, NULL, NULL);
	filter_release(&m->filter);
}

int main(int argc, char **argv)
{
	setlocale(LC_CTYPE, "C.UTF-8");
	size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 100000;
	if (n == 0 || n > TABLE_MAX_ROWS)
		n = 100000;
	printf("bench_table: %zu rows, %d columns, median of %d runs\n", n, C__COUNT, REPEAT);
#if defined(__SANITIZE_ADDRESS__)
	printf("  (built with AddressSanitizer: the figures are not meaningful)\n");
#endif
	struct model m;
	model_fill(&m, n);
	struct table_source src = {
		.ctx = &m, .count = m_count, .key = m_key, .text = m_text, .number = m_number};

	size_t before = heap_in_use();
	struct table *t = table_new(columns, C__COUNT, &src);
	if (!t || table_refresh(t) != R1_OK)
		return 1;
	table_sort_by(t, C_CPU, true);
	size_t after = heap_in_use();
	printf("  memory: %.1f bytes a row beyond the model in steady state (table of %zu bytes;"
	       " the model is %zu bytes a row)\n",
	       (double)(after - before) / (double)n, after - before, sizeof(struct node));
	printf("          while sorting: + %d bytes a row of sort records (and qsort's own buffer"
	       " of the same size), freed afterwards\n",
	       TABLE_SORT_BYTES_PER_ROW);

	bench_frames(t, 80, 24);
	bench_frames(t, 200, 50);
	bench_sort(t, &m);
	bench_filter(t, &m, "node-01");
	bench_filter(t, &m, "online:no cpu>50");
	bench_filter(t, &m, "!node-0 alias:9");

	table_free(&t);
	r1_free(m.rows);
	return 0;
}
