#ifndef R1_TESTS_UNIT_COMPUTE_REFBLAS_H
#define R1_TESTS_UNIT_COMPUTE_REFBLAS_H
/*
 * Naive reference kernels for the compute tests: the textbook triple loop
 * in long double, and the error measure the tests assert on.  The error of
 * one element is |got - ref| divided by the scale of its exact forward
 * error bound, |alpha| sum_k |a_ik b_kj| + |beta c_ij|, so cancellation in
 * a sum near zero does not make a correct result look wrong.
 */
#include "node/compute/gemm.h"
#include "node/compute/matrix.h"

#include <math.h>

static inline double ref_op(const struct matrix *x, bool trans, size_t i, size_t j)
{
	return trans ? matrix_get(x, j, i) : matrix_get(x, i, j);
}

/*
 * out (m x n, double, caller-allocated) = alpha op(A) op(B) + beta C;
 * scale (may be NULL) gets the error-bound scale of each element.
 */
static inline void ref_gemm(const struct gemm_spec *s, const struct matrix *a,
                            const struct matrix *b, const struct matrix *c, double *out,
                            double *scale)
{
	size_t m = s->trans_a ? a->cols : a->rows, k = s->trans_a ? a->rows : a->cols;
	size_t n = s->trans_b ? b->rows : b->cols;
	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < n; j++) {
			long double acc = 0, mag = 0;
			for (size_t p = 0; p < k; p++) {
				long double t = (long double)ref_op(a, s->trans_a, i, p) *
				                ref_op(b, s->trans_b, p, j);
				acc += t;
				mag += fabsl(t);
			}
			long double cv = c && s->beta != 0 ? matrix_get(c, i, j) : 0;
			out[i * n + j] = (double)(s->alpha * acc + s->beta * cv);
			if (scale)
				scale[i * n + j] =
				    (double)(fabsl(s->alpha) * mag + fabsl(s->beta * cv));
		}
}

/* Largest element error of `got` against ref/scale (see above). */
static inline double ref_max_err(const struct matrix *got, const double *ref, const double *scale)
{
	double worst = 0;
	for (size_t i = 0; i < got->rows; i++)
		for (size_t j = 0; j < got->cols; j++) {
			size_t at = i * got->cols + j;
			double d = fabs(matrix_get(got, i, j) - ref[at]);
			double sc = scale[at] > 0 ? scale[at] : 1.0;
			if (d / sc > worst || isnan(d))
				worst = isnan(d) ? INFINITY : d / sc;
		}
	return worst;
}

/* Deterministic values in [-1, 1): a small LCG so every run sees the same data. */
static inline void ref_fill(struct matrix *m, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 12345u;
	for (size_t i = 0; i < m->rows; i++)
		for (size_t j = 0; j < m->cols; j++) {
			x = x * 1664525u + 1013904223u;
			matrix_set(m, i, j, (double)(x >> 8) / 8388608.0 - 1.0);
		}
}

#endif
