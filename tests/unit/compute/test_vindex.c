/*
 * Embedding index and top-k cosine search: argument checks with reasons,
 * normalisation (in place for owned float32, converted otherwise; zero rows
 * stay zero), a hand-computed ranking with ties and a NaN row, k larger
 * than the index, cancel, and random data over several score panels
 * checked against a brute-force double-precision search.
 */
#include "node/lib.h"
#include "node/compute/vindex.h"
#include "tests/tap.h"
#include "tests/unit/compute/refblas.h"

#include <math.h>

static struct vindex *build_from(const double *rows, size_t n, size_t d, enum mx_dtype dt)
{
	struct matrix m;
	matrix_alloc(&m, dt, n, d, false, NULL);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < d; j++)
			matrix_set(&m, i, j, rows[i * d + j]);
	struct vindex *ix = NULL;
	char *why = NULL;
	if (vindex_build(&m, NULL, &ix, &why) != R1_OK)
		tap_bail("vindex_build: %s", why ? why : "?");
	return ix;
}

static void test_degenerate(void)
{
	struct matrix m = {0};
	struct vindex *ix = (struct vindex *)1;
	char *why = NULL;
	is_int(vindex_build(&m, NULL, &ix, &why), R1_ERR_INVAL, "empty matrix refused");
	ok(ix == NULL, "no index");
	is_str(why, "vindex: empty embedding matrix", "reason");
	vindex_unref(&ix);

	static const double rows[] = {1, 0, 0, 1};
	ix = build_from(rows, 2, 2, MX_F32);
	struct matrix q;
	struct vsearch_hit hits[4];
	matrix_alloc(&q, MX_F32, 1, 3, true, NULL);
	is_int(vindex_search(ix, &q, 1, NULL, hits, &why), R1_ERR_INVAL, "dimension mismatch");
	is_str(why, "vsearch: queries have dimension 3, the index has 2", "reason");
	matrix_release(&q);
	matrix_alloc(&q, MX_F32, 1, 2, true, NULL);
	is_int(vindex_search(ix, &q, 0, NULL, hits, &why), R1_ERR_INVAL, "k = 0 refused");
	is_str(why, "vsearch: k must be at least 1", "reason");
	struct matrix none = {0};
	is_int(vindex_search(ix, &none, 1, NULL, hits, &why), R1_ERR_INVAL, "no queries refused");
	matrix_release(&q);
	r1_free(why);

	is_int(vindex_rows(ix), 2, "2 rows");
	is_int(vindex_dim(ix), 2, "dimension 2");
	struct vindex *second = vindex_ref(ix);
	ok(second == ix, "ref returns the index");
	vindex_unref(&second);
	ok(second == NULL && vindex_rows(ix) == 2, "still alive after one unref");
	vindex_unref(&ix);
	ok(ix == NULL, "unref NULLs the pointer");
}

static void test_normalise(void)
{
	static const double rows[] = {3, 4, 0, 0, 0, 0, -2, 0, 0};
	for (int dt = MX_F32; dt <= MX_F64; dt++) {
		struct vindex *ix = build_from(rows, 3, 3, (enum mx_dtype)dt);
		const struct matrix *m = vindex_matrix(ix);
		is_int(m->dtype, MX_F32, "%s input: index is float32", mx_dtype_name(dt));
		ok(fabs(matrix_get(m, 0, 0) - 0.6) < 1e-7 && fabs(matrix_get(m, 0, 1) - 0.8) < 1e-7,
		   "(3,4,0) -> (0.6,0.8,0)");
		ok(matrix_get(m, 1, 0) == 0 && matrix_get(m, 1, 1) == 0 && matrix_get(m, 1, 2) == 0,
		   "zero row stays zero");
		ok(matrix_get(m, 2, 0) == -1.0f, "(-2,0,0) -> (-1,0,0)");
		is_int(vindex_bytes(ix) >= 36, 1, "bytes count the rows");
		vindex_unref(&ix);
	}
	/* An owned float32 matrix is normalised in place, not copied. */
	struct matrix m;
	matrix_alloc(&m, MX_F32, 1, 2, false, NULL);
	matrix_set(&m, 0, 0, 0);
	matrix_set(&m, 0, 1, 5);
	void *data = m.data;
	struct vindex *ix = NULL;
	is_int(vindex_build(&m, NULL, &ix, NULL), R1_OK, "built");
	ok(vindex_matrix(ix)->data == data && matrix_is_empty(&m), "owned float32 taken in place");
	vindex_unref(&ix);
}

static void test_ranking(void)
{
	/* rows: 0 (1,0)  1 (0,1)  2 (1,1)  3 (-1,0)  4 (0,0)  5 (2,0) = row 0's direction */
	static const double rows[] = {1, 0, 0, 1, 1, 1, -1, 0, 0, 0, 2, 0};
	struct vindex *ix = build_from(rows, 6, 2, MX_F64);
	struct matrix q;
	matrix_alloc(&q, MX_F64, 2, 2, false, NULL);
	matrix_set(&q, 0, 0, 10); /* query 0: (10, 0) */
	matrix_set(&q, 0, 1, 0);
	matrix_set(&q, 1, 0, 0); /* query 1: (0, -3) */
	matrix_set(&q, 1, 1, -3);
	struct vsearch_hit hits[2 * 8];
	char *why = NULL;
	is_int(vindex_search(ix, &q, 8, NULL, hits, &why), R1_OK, "searched");
	/* query 0: rows 0 and 5 score 1 (tie: 0 first), 2 scores 0.7071, 1 and 4 score 0
	 * (tie: 1 first), 3 scores -1; then two empty slots. */
	static const int64_t want0[] = {0, 5, 2, 1, 4, 3, -1, -1};
	static const double score0[] = {1, 1, 0.70710678, 0, 0, -1};
	bool rows_ok = true, scores_ok = true;
	for (int i = 0; i < 8; i++) {
		rows_ok &= hits[i].row == want0[i];
		if (i < 6)
			scores_ok &= fabs(hits[i].score - score0[i]) < 1e-6;
	}
	ok(rows_ok,
	   "query 0 ranking 0,5,2,1,4,3 then -1 padding (got %lld,%lld,%lld,%lld,%lld,%lld)",
	   (long long)hits[0].row, (long long)hits[1].row, (long long)hits[2].row,
	   (long long)hits[3].row, (long long)hits[4].row, (long long)hits[5].row);
	ok(scores_ok, "query 0 scores 1,1,0.7071,0,0,-1");
	ok(isinf(hits[6].score) && hits[6].score < 0, "padding scores -inf");
	/* query 1 (0,-1): row 1 scores -1, row 2 -0.7071, rows 0,3,4,5 score 0. */
	static const int64_t want1[] = {0, 3, 4, 5, 2, 1};
	rows_ok = true;
	for (int i = 0; i < 6; i++)
		rows_ok &= hits[8 + i].row == want1[i];
	ok(rows_ok, "query 1 ranking 0,3,4,5,2,1");

	/* k = 2 keeps the two best. */
	is_int(vindex_search(ix, &q, 2, NULL, hits, &why), R1_OK, "k = 2");
	ok(hits[0].row == 0 && hits[1].row == 5 && hits[2].row == 0 && hits[3].row == 3,
	   "top-2 of each query");
	matrix_release(&q);

	/* A zero query scores 0 everywhere: ranking by row. */
	matrix_alloc(&q, MX_F32, 1, 2, true, NULL);
	is_int(vindex_search(ix, &q, 3, NULL, hits, &why), R1_OK, "zero query");
	ok(hits[0].row == 0 && hits[1].row == 1 && hits[2].row == 2 && hits[0].score == 0,
	   "zero query: rows 0,1,2 with score 0");
	matrix_release(&q);
	r1_free(why);
	vindex_unref(&ix);

	/* A NaN row ranks below everything, even -1. */
	static const double nanrows[] = {NAN, 1, -1, 0};
	ix = build_from(nanrows, 2, 2, MX_F32);
	matrix_alloc(&q, MX_F32, 1, 2, false, NULL);
	matrix_set(&q, 0, 0, 1);
	matrix_set(&q, 0, 1, 0);
	is_int(vindex_search(ix, &q, 2, NULL, hits, NULL), R1_OK, "NaN row searched");
	ok(hits[0].row == 1 && hits[1].row == 0 && isinf(hits[1].score),
	   "NaN row ranked last with -inf");
	matrix_release(&q);
	vindex_unref(&ix);
}

static void test_cancel(void)
{
	static const double rows[] = {1, 0, 0, 1};
	struct vindex *ix = build_from(rows, 2, 2, MX_F32);
	struct matrix q;
	matrix_alloc(&q, MX_F32, 1, 2, true, NULL);
	struct compute_ctl ctl;
	compute_ctl_init(&ctl);
	compute_ctl_cancel(&ctl);
	struct vsearch_hit hits[2];
	char *why = NULL;
	is_int(vindex_search(ix, &q, 2, &ctl, hits, &why), R1_ERR_CANCELLED, "search cancelled");
	is_str(why, "vsearch: cancelled after 0 of 2 rows", "reason");
	matrix_release(&q);
	vindex_unref(&ix);

	struct matrix m;
	matrix_alloc(&m, MX_F32, 3, 2, true, NULL);
	is_int(vindex_build(&m, &ctl, &ix, &why), R1_ERR_CANCELLED, "build cancelled");
	ok(ix == NULL && matrix_is_empty(&m), "nothing left behind");
	r1_free(why);
}

/* Many queries make several score panels (panel rows = 4M / queries, at least 256). */
static void test_random_panels(void)
{
	size_t n = 700, d = 5, nq = 17000, k = 4;
	struct matrix e, q;
	matrix_alloc(&e, MX_F64, n, d, false, NULL);
	matrix_alloc(&q, MX_F32, nq, d, false, NULL);
	ref_fill(&e, 11);
	ref_fill(&q, 12);
	double *en = r1_malloc(n * d * sizeof(double));
	for (size_t i = 0; i < n; i++) {
		double s = 0;
		for (size_t j = 0; j < d; j++)
			s += matrix_get(&e, i, j) * matrix_get(&e, i, j);
		for (size_t j = 0; j < d; j++)
			en[i * d + j] = matrix_get(&e, i, j) / sqrt(s);
	}
	struct vindex *ix = NULL;
	is_int(vindex_build(&e, NULL, &ix, NULL), R1_OK, "700 x 5 index");
	struct vsearch_hit *hits = r1_malloc(nq * k * sizeof(*hits));
	struct compute_ctl ctl;
	compute_ctl_init(&ctl);
	is_int(vindex_search(ix, &q, k, &ctl, hits, NULL), R1_OK, "17000 queries");
	is_int(atomic_load(&ctl.done), 700, "progress counted every index row");
	size_t bad = 0, worst_q = 0;
	double worst = 0;
	for (size_t qi = 0; qi < nq; qi++) {
		double qn = 0, sc[700];
		for (size_t j = 0; j < d; j++)
			qn += matrix_get(&q, qi, j) * matrix_get(&q, qi, j);
		qn = sqrt(qn);
		for (size_t i = 0; i < n; i++) {
			double s = 0;
			for (size_t j = 0; j < d; j++)
				s += matrix_get(&q, qi, j) * en[i * d + j];
			sc[i] = s / qn;
		}
		for (size_t r = 0; r < k; r++) {
			size_t best = 0;
			for (size_t i = 1; i < n; i++)
				if (sc[i] > sc[best])
					best = i;
			const struct vsearch_hit *h = &hits[qi * k + r];
			double diff = fabs(h->score - sc[best]);
			/* float32 may swap two rows whose scores differ by less than its error */
			if (h->row != (int64_t)best && fabs(sc[h->row] - sc[best]) > 1e-5)
				bad++;
			if (diff > worst) {
				worst = diff;
				worst_q = qi;
			}
			sc[best] = -INFINITY;
		}
	}
	is_int(bad, 0, "every query's top-4 equals brute force (within float32 ties)");
	ok(worst < 1e-5, "largest score error %.3g (query %zu) below 1e-5", worst, worst_q);
	r1_free(hits);
	r1_free(en);
	matrix_release(&q);
	vindex_unref(&ix);
}

int main(void)
{
	test_degenerate();
	test_normalise();
	test_ranking();
	test_cancel();
	test_random_panels();
	return tap_done();
}
