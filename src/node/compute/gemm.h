#ifndef R1_NODE_COMPUTE_GEMM_H
#define R1_NODE_COMPUTE_GEMM_H
/*
 * The matrix product kernel of the compute engine:
 *     C = alpha * op(A) * op(B) + beta * C,   op(X) = X or X^T,
 * in float32 or float64, row-major, through cblas_sgemm/cblas_dgemm.
 *
 * The product is cut into panels of rows of C, each one CBLAS call on
 * pointers into the operands (no copies), so that a cancel request is
 * honoured and progress advances between panels.  Panels are kept large
 * (gemm_panel_rows): each call re-packs op(B), and below a few hundred rows
 * that cost shows (measured here at n = 2048: 1% at 512 rows, 10% at 128).
 *
 * This file does not choose thread counts, check memory limits or convert
 * dtypes: the job does (job.c).
 */
#include "core/common.h"
#include "core/err.h"
#include "node/compute/ctl.h"
#include "node/compute/matrix.h"

struct gemm_spec {
	bool trans_a, trans_b;
	double alpha, beta;
	enum mx_dtype dtype; /* computation and result precision */
};

/* op(A) is m x k, op(B) is k x n, C is m x n. */
struct gemm_shape {
	size_t m, n, k;
};

/* Default: no transposes, alpha 1, beta 0, float64. */
void gemm_spec_default(struct gemm_spec *s);

/*
 * The shape of a product from its operands' dimensions.  R1_ERR_INVAL when
 * op(A) and op(B) do not conform, with both shapes in the reason.
 */
enum r1_err gemm_shape_of(const struct gemm_spec *s, size_t a_rows, size_t a_cols, size_t b_rows,
                          size_t b_cols, struct gemm_shape *out, char **why);

/* 2 m n k. */
double gemm_flops(const struct gemm_shape *sh);

/*
 * Rows of C per CBLAS call: at least min_rows (0 = 512), at most 64 panels
 * unless that breaks the minimum, and a single panel when the whole
 * product is small (under 256 MFLOP).
 */
size_t gemm_panel_rows(const struct gemm_shape *sh, size_t min_rows);

/*
 * Run the product.  a, b and c must all be of s->dtype; c must be m x n
 * and holds the input C when beta != 0 (it is not read when beta == 0).
 * `ctl` may be NULL; when set, total = m is announced and done advances by
 * the rows of each panel.  Errors: R1_ERR_INVAL (dtype or shape mismatch,
 * a dimension beyond CBLAS's int), R1_ERR_CANCELLED (c is then partly
 * computed).
 */
enum r1_err gemm_run(const struct gemm_spec *s, const struct matrix *a, const struct matrix *b,
                     struct matrix *c, size_t panel_rows, struct compute_ctl *ctl, char **why);

#endif
