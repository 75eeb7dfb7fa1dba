/*
 * Cosine top-k search over a normalised float32 embedding matrix (see
 * vindex.h).  Scores are computed one panel of index rows at a time with
 * cblas_sgemm (Q * E_panel^T), so memory for scores stays bounded and a
 * cancel is seen between panels; each query keeps its k best rows in a
 * min-heap whose top is the worst kept hit.
 */
#include "node/lib.h"
#include "node/compute/vindex.h"

#include <cblas.h>
#include <math.h>

/* Score buffer: at most this many floats (16 MB) per panel. */
#define SCORE_ELEMS    (4u << 20)
#define PANEL_MIN_ROWS 256

struct vindex {
	struct matrix rows; /* owned float32, unit rows */
	unsigned refs;
};

/* Scale each of n rows of x (dim d) to unit length; zero rows stay zero. */
static void normalize_rows(float *x, size_t n, size_t d)
{
	for (size_t i = 0; i < n; i++) {
		float *r = x + i * d;
		double s = 0;
		for (size_t j = 0; j < d; j++)
			s += (double)r[j] * r[j];
		if (s > 0) {
			float inv = (float)(1.0 / sqrt(s));
			for (size_t j = 0; j < d; j++)
				r[j] *= inv;
		}
	}
}

enum r1_err vindex_build(struct matrix *emb, struct compute_ctl *ctl, struct vindex **out,
                         char **why)
{
	*out = NULL;
	if (matrix_is_empty(emb)) {
		matrix_release(emb);
		return r1_fail(why, R1_ERR_INVAL, "vindex: empty embedding matrix");
	}
	struct vindex *ix = r1_calloc(1, sizeof(*ix));
	if (!ix) {
		matrix_release(emb);
		return r1_fail(why, R1_ERR_NOMEM, "vindex: out of memory");
	}
	enum r1_err err = R1_OK;
	if (emb->dtype == MX_F32 && emb->block)
		matrix_move(&ix->rows, emb);
	else
		err = matrix_convert(emb, MX_F32, &ix->rows, why);
	matrix_release(emb);
	if (err) {
		r1_free(ix);
		return err;
	}
	size_t n = ix->rows.rows, d = ix->rows.cols;
	const size_t step = 4096;
	compute_ctl_start(ctl, n);
	for (size_t i = 0; i < n; i += step) {
		if (compute_ctl_cancelled(ctl)) {
			matrix_release(&ix->rows);
			r1_free(ix);
			return r1_fail(why, R1_ERR_CANCELLED, "vindex: cancelled while building");
		}
		size_t rows = R1_MIN(step, n - i);
		normalize_rows((float *)ix->rows.data + i * d, rows, d);
		compute_ctl_advance(ctl, rows);
	}
	ix->refs = 1;
	*out = ix;
	return R1_OK;
}

struct vindex *vindex_ref(struct vindex *ix)
{
	if (ix)
		ix->refs++;
	return ix;
}

void vindex_unref(struct vindex **ixp)
{
	struct vindex *ix = *ixp;
	*ixp = NULL;
	if (!ix || --ix->refs > 0)
		return;
	matrix_release(&ix->rows);
	r1_free(ix);
}

size_t vindex_rows(const struct vindex *ix)
{
	return ix->rows.rows;
}

size_t vindex_dim(const struct vindex *ix)
{
	return ix->rows.cols;
}

uint64_t vindex_bytes(const struct vindex *ix)
{
	return matrix_data_len(&ix->rows) + sizeof(*ix);
}

const struct matrix *vindex_matrix(const struct vindex *ix)
{
	return &ix->rows;
}

static size_t panel_rows_for(const struct vindex *ix, size_t nq)
{
	size_t pr = SCORE_ELEMS / (nq ? nq : 1);
	if (pr < PANEL_MIN_ROWS)
		pr = PANEL_MIN_ROWS;
	return R1_MIN(pr, ix->rows.rows);
}

uint64_t vindex_search_bytes(const struct vindex *ix, size_t nq, size_t k)
{
	uint64_t q = (uint64_t)nq * ix->rows.cols * sizeof(float);
	uint64_t s = (uint64_t)nq * panel_rows_for(ix, nq) * sizeof(float);
	uint64_t h = (uint64_t)nq * k * sizeof(struct vsearch_hit);
	return q + s + h;
}

/* a ranks below b: lower score, or the same score on a later row. */
static bool worse(const struct vsearch_hit *a, const struct vsearch_hit *b)
{
	return a->score < b->score || (a->score == b->score && a->row > b->row);
}

static void sift_down(struct vsearch_hit *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && worse(&h[l], &h[m]))
			m = l;
		if (r < n && worse(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		struct vsearch_hit t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void sift_up(struct vsearch_hit *h, size_t i)
{
	while (i) {
		size_t p = (i - 1) / 2;
		if (!worse(&h[i], &h[p]))
			return;
		struct vsearch_hit t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

/* Offer one candidate to a heap of `*n` hits with room for k. */
static void offer(struct vsearch_hit *h, size_t *n, size_t k, int64_t row, float score)
{
	struct vsearch_hit c = {.row = row, .score = isnan(score) ? -INFINITY : score};
	if (*n < k) {
		h[*n] = c;
		sift_up(h, (*n)++);
	} else if (worse(&h[0], &c)) {
		h[0] = c;
		sift_down(h, k, 0);
	}
}

/* Heap to best-first order (heap sort: repeatedly move the worst to the end). */
static void heap_to_sorted(struct vsearch_hit *h, size_t n)
{
	for (size_t end = n; end > 1; end--) {
		struct vsearch_hit t = h[0];
		h[0] = h[end - 1];
		h[end - 1] = t;
		sift_down(h, end - 1, 0);
	}
}

enum r1_err vindex_search(const struct vindex *ix, const struct matrix *queries, size_t k,
                          struct compute_ctl *ctl, struct vsearch_hit *hits, char **why)
{
	size_t d = ix->rows.cols, n = ix->rows.rows;
	if (matrix_is_empty(queries))
		return r1_fail(why, R1_ERR_INVAL, "vsearch: no queries");
	if (queries->cols != d)
		return r1_fail(why, R1_ERR_INVAL,
		               "vsearch: queries have dimension %zu, the index has %zu",
		               queries->cols, d);
	if (k == 0)
		return r1_fail(why, R1_ERR_INVAL, "vsearch: k must be at least 1");
	if (d > (size_t)INT_MAX || queries->rows > (size_t)INT_MAX)
		return r1_fail(why, R1_ERR_INVAL, "vsearch: a dimension exceeds %d", INT_MAX);
	size_t nq = queries->rows, pr = panel_rows_for(ix, nq);
	struct matrix q = {0};
	enum r1_err err = matrix_convert(queries, MX_F32, &q, why);
	if (err)
		return err;
	normalize_rows(q.data, nq, d);
	float *scores = r1_malloc(nq * pr * sizeof(float));
	size_t *fill = r1_calloc(nq, sizeof(size_t));
	if (!scores || !fill) {
		err = r1_fail(why, R1_ERR_NOMEM, "vsearch: out of memory for %zu queries", nq);
		goto out;
	}
	compute_ctl_start(ctl, n);
	for (size_t r0 = 0; r0 < n; r0 += pr) {
		if (compute_ctl_cancelled(ctl)) {
			err = r1_fail(why, R1_ERR_CANCELLED,
			              "vsearch: cancelled after %zu of %zu rows", r0, n);
			goto out;
		}
		size_t rows = R1_MIN(pr, n - r0);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nq, (int)rows, (int)d,
		            1.0f, q.data, (int)d, (const float *)ix->rows.data + r0 * d, (int)d,
		            0.0f, scores, (int)rows);
		for (size_t qi = 0; qi < nq; qi++) {
			const float *s = scores + qi * rows;
			for (size_t j = 0; j < rows; j++)
				offer(hits + qi * k, &fill[qi], k, (int64_t)(r0 + j), s[j]);
		}
		compute_ctl_advance(ctl, rows);
	}
	for (size_t qi = 0; qi < nq; qi++) {
		struct vsearch_hit *h = hits + qi * k;
		heap_to_sorted(h, fill[qi]);
		for (size_t j = fill[qi]; j < k; j++)
			h[j] = (struct vsearch_hit){.row = -1, .score = -INFINITY};
	}
out:
	r1_free(fill);
	r1_free(scores);
	matrix_release(&q);
	return err;
}
