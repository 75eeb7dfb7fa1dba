/*
 * Terminal-width tables for the CLI (see table.h): measuring UTF-8 in
 * columns, cleaning cells, shrinking and dropping columns to fit, and the
 * rendering itself.  It formats; it does not decide what the columns are.
 */
#include "core/lib.h"
#include "cli/table.h"
#include "core/sanitize.h"

#include <langinfo.h>
#include <sys/ioctl.h>
#include <wchar.h>

#define GAP 2

struct table {
	struct table_column *cols;
	size_t n_cols;
	char **cells; /* rows * n_cols */
	size_t n_rows, cap_rows;
};

static bool utf8_locale(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

/* One character of s: its byte length and display width (1 for anything odd). */
static size_t next_char(const char *s, unsigned *cols)
{
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	wchar_t wc;
	size_t n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*cols = 1;
		return 1;
	}
	int w = wcwidth(wc);
	*cols = w < 0 ? 1 : (unsigned)w;
	return n;
}

unsigned cli_table_text_width(const char *s)
{
	unsigned total = 0;
	while (s && *s) {
		unsigned w;
		s += next_char(s, &w);
		total += w;
	}
	return total;
}

/* A copy of s safe for a terminal (sanitize.h). */
static char *clean(const char *s)
{
	return r1_sanitize(s ? s : "", s ? strlen(s) : 0, 0);
}

struct table *cli_table_new(const struct table_column *cols, size_t n)
{
	struct table *t = r1_calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cols = r1_memdup(cols, n * sizeof(*cols));
	t->n_cols = n;
	if (!t->cols) {
		r1_free(t);
		return NULL;
	}
	return t;
}

void cli_table_free(struct table **pt)
{
	struct table *t = *pt;
	if (!t)
		return;
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		r1_free(t->cells[i]);
	r1_free(t->cells);
	r1_free(t->cols);
	r1_free(t);
	*pt = NULL;
}

bool cli_table_add(struct table *t, const char *const *cells)
{
	if (t->n_rows == t->cap_rows) {
		size_t nc = t->cap_rows ? t->cap_rows * 2 : 16;
		char **g = r1_reallocarray(t->cells, nc * t->n_cols, sizeof(*g));
		if (!g)
			return false;
		t->cells = g;
		t->cap_rows = nc;
	}
	char **row = t->cells + t->n_rows * t->n_cols;
	for (size_t i = 0; i < t->n_cols; i++) {
		row[i] = clean(cells[i]);
		if (!row[i]) {
			for (size_t j = 0; j < i; j++)
				r1_free(row[j]);
			return false;
		}
	}
	t->n_rows++;
	return true;
}

size_t cli_table_rows(const struct table *t)
{
	return t->n_rows;
}

/* Append the first characters of s that fit in `cols` columns; returns columns used. */
static unsigned add_prefix(struct buf *out, const char *s, unsigned cols)
{
	unsigned used = 0;
	while (*s) {
		unsigned w;
		size_t n = next_char(s, &w);
		if (used + w > cols)
			break;
		buf_add(out, s, n);
		used += w;
		s += n;
	}
	return used;
}

/* Append the last characters of s that fit in `cols` columns. */
static unsigned add_suffix(struct buf *out, const char *s, unsigned cols)
{
	/* walk forward, remembering where each character starts */
	size_t len = strlen(s);
	size_t *starts = r1_calloc(len + 1, sizeof(*starts));
	unsigned *widths = r1_calloc(len + 1, sizeof(*widths));
	if (!starts || !widths) {
		r1_free(starts);
		r1_free(widths);
		return 0;
	}
	size_t k = 0;
	for (size_t p = 0; p < len; k++) {
		starts[k] = p;
		p += next_char(s + p, &widths[k]);
	}
	unsigned used = 0;
	size_t from = k;
	while (from > 0 && used + widths[from - 1] <= cols) {
		used += widths[from - 1];
		from--;
	}
	buf_adds(out, s + (from < k ? starts[from] : len));
	r1_free(starts);
	r1_free(widths);
	return used;
}

static void add_spaces(struct buf *out, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		buf_addc(out, ' ');
}

/* Append s fitted to exactly `w` columns (padded unless `last`). */
static void add_cell(struct buf *out, const char *s, unsigned w, const struct table_column *c,
                     bool last, const char *ell, unsigned ell_w)
{
	unsigned sw = cli_table_text_width(s);
	struct buf cell = BUF_INIT;
	unsigned used;
	if (sw <= w) {
		buf_adds(&cell, s);
		used = sw;
	} else if (w <= ell_w) {
		used = add_prefix(&cell, s, w);
	} else if (c->middle) {
		unsigned room = w - ell_w;
		unsigned head = (room + 1) / 2;
		used = add_prefix(&cell, s, head);
		buf_adds(&cell, ell);
		used += ell_w;
		used += add_suffix(&cell, s, room - head);
	} else {
		used = add_prefix(&cell, s, w - ell_w);
		buf_adds(&cell, ell);
		used += ell_w;
	}
	if (c->align == TABLE_RIGHT)
		add_spaces(out, w - used);
	buf_add(out, buf_cstr(&cell), cell.len);
	if (c->align == TABLE_LEFT && !last)
		add_spaces(out, w - used);
	buf_release(&cell);
}

void cli_table_render(const struct table *t, unsigned width, struct buf *out)
{
	size_t nc = t->n_cols;
	unsigned *w = r1_calloc(nc, sizeof(*w));
	unsigned *natural = r1_calloc(nc, sizeof(*natural));
	unsigned *mn = r1_calloc(nc, sizeof(*mn));
	bool *shown = r1_calloc(nc, sizeof(*shown));
	if (!w || !natural || !mn || !shown) {
		out->oom = true;
		goto done;
	}
	bool utf8 = utf8_locale();
	const char *ell = utf8 ? "\xe2\x80\xa6" : "~";
	unsigned ell_w = 1;
	for (size_t i = 0; i < nc; i++) {
		shown[i] = true;
		w[i] = cli_table_text_width(t->cols[i].title);
		for (size_t r = 0; r < t->n_rows; r++)
			w[i] = R1_MAX(w[i], cli_table_text_width(t->cells[r * nc + i]));
		mn[i] = t->cols[i].min ? t->cols[i].min : cli_table_text_width(t->cols[i].title);
		mn[i] = R1_MAX(mn[i], 1u);
		mn[i] = R1_MIN(mn[i], w[i]);
		natural[i] = w[i];
	}
	/*
	 * Fit: first addresses and ids lose their middle, then optional
	 * columns go (highest `drop` first, and the others get their room
	 * back), and only then does text lose its end.
	 */
	for (;;) {
		unsigned total = 0, visible = 0;
		for (size_t i = 0; i < nc; i++)
			if (shown[i]) {
				total += w[i];
				visible++;
			}
		total += visible ? GAP * (visible - 1) : 0;
		if (!width || total <= width)
			break;
		unsigned excess = total - width;
		size_t best = nc;
		for (int pass = 0; pass < 2 && best == nc; pass++)
			for (size_t i = 0; i < nc; i++)
				if (shown[i] && (pass || t->cols[i].middle) && w[i] > mn[i] &&
				    (best == nc || w[i] - mn[i] > w[best] - mn[best]))
					best = i;
		bool middle = best < nc && t->cols[best].middle;
		size_t drop = nc;
		for (size_t i = 0; !middle && i < nc; i++)
			if (shown[i] && t->cols[i].drop > 0 &&
			    (drop == nc || t->cols[i].drop > t->cols[drop].drop))
				drop = i;
		if (drop < nc) {
			shown[drop] = false;
			for (size_t i = 0; i < nc; i++)
				w[i] = natural[i];
			continue;
		}
		if (best == nc)
			break; /* too narrow even so: let it overflow */
		w[best] -= R1_MIN(excess, w[best] - mn[best]);
	}
	size_t last = 0;
	for (size_t i = 0; i < nc; i++)
		if (shown[i])
			last = i;
	for (size_t r = 0; r <= t->n_rows; r++) {
		size_t line_start = out->len;
		bool first = true;
		for (size_t i = 0; i < nc; i++) {
			if (!shown[i])
				continue;
			if (!first)
				add_spaces(out, GAP);
			first = false;
			const char *s = r == 0 ? t->cols[i].title : t->cells[(r - 1) * nc + i];
			add_cell(out, s, w[i], &t->cols[i], i == last, ell, ell_w);
		}
		while (out->len > line_start && out->data[out->len - 1] == ' ')
			out->data[--out->len] = '\0';
		buf_addc(out, '\n');
	}
done:
	r1_free(w);
	r1_free(natural);
	r1_free(mn);
	r1_free(shown);
}

unsigned cli_table_width(int fd)
{
	struct winsize ws;
	if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *cols = getenv("COLUMNS");
	if (cols && *cols) {
		char *end = NULL;
		long v = strtol(cols, &end, 10);
		if (!*end && v > 0 && v < 10000)
			return (unsigned)v;
	}
	return 80;
}
