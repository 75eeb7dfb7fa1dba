/*
 * Panelled CBLAS matrix product (see gemm.h).  Row-major throughout: a
 * panel of rows i0..i1 of C needs rows i0..i1 of op(A), which are rows of
 * A (pointer A + i0 * lda) or, when A is transposed, columns of A (pointer
 * A + i0, same lda); op(B) is passed whole.
 */
#include "node/lib.h"
#include "node/compute/gemm.h"

#include <cblas.h>

#define PANEL_MIN_ROWS     512
#define PANEL_MAX_COUNT    64
#define SINGLE_PANEL_FLOPS 256e6

void gemm_spec_default(struct gemm_spec *s)
{
	*s = (struct gemm_spec){.alpha = 1.0, .beta = 0.0, .dtype = MX_F64};
}

enum r1_err gemm_shape_of(const struct gemm_spec *s, size_t a_rows, size_t a_cols, size_t b_rows,
                          size_t b_cols, struct gemm_shape *out, char **why)
{
	size_t m = s->trans_a ? a_cols : a_rows, ka = s->trans_a ? a_rows : a_cols;
	size_t kb = s->trans_b ? b_cols : b_rows, n = s->trans_b ? b_rows : b_cols;
	if (ka != kb)
		return r1_fail(why, R1_ERR_INVAL,
		               "gemm: non-conforming dimensions: op(A) is %zu x %zu%s, op(B) is "
		               "%zu x %zu%s (inner %zu != %zu)",
		               m, ka, s->trans_a ? " (A transposed)" : "", kb, n,
		               s->trans_b ? " (B transposed)" : "", ka, kb);
	*out = (struct gemm_shape){.m = m, .n = n, .k = ka};
	return R1_OK;
}

double gemm_flops(const struct gemm_shape *sh)
{
	return 2.0 * (double)sh->m * (double)sh->n * (double)sh->k;
}

size_t gemm_panel_rows(const struct gemm_shape *sh, size_t min_rows)
{
	if (!min_rows)
		min_rows = PANEL_MIN_ROWS;
	if (sh->m == 0 || gemm_flops(sh) < SINGLE_PANEL_FLOPS)
		return sh->m ? sh->m : 1;
	size_t rows = (sh->m + PANEL_MAX_COUNT - 1) / PANEL_MAX_COUNT;
	if (rows < min_rows)
		rows = min_rows;
	return rows < sh->m ? rows : sh->m;
}

static bool fits_int(size_t v)
{
	return v <= (size_t)INT_MAX;
}

enum r1_err gemm_run(const struct gemm_spec *s, const struct matrix *a, const struct matrix *b,
                     struct matrix *c, size_t panel_rows, struct compute_ctl *ctl, char **why)
{
	if (a->dtype != s->dtype || b->dtype != s->dtype || c->dtype != s->dtype)
		return r1_fail(why, R1_ERR_INVAL, "gemm: operands are %s, %s, %s; the job is %s",
		               mx_dtype_name(a->dtype), mx_dtype_name(b->dtype),
		               mx_dtype_name(c->dtype), mx_dtype_name(s->dtype));
	struct gemm_shape sh;
	enum r1_err err = gemm_shape_of(s, a->rows, a->cols, b->rows, b->cols, &sh, why);
	if (err)
		return err;
	if (c->rows != sh.m || c->cols != sh.n)
		return r1_fail(why, R1_ERR_INVAL, "gemm: C is %zu x %zu, the product is %zu x %zu",
		               c->rows, c->cols, sh.m, sh.n);
	if (!fits_int(sh.m) || !fits_int(sh.n) || !fits_int(sh.k) || !fits_int(a->cols) ||
	    !fits_int(b->cols))
		return r1_fail(why, R1_ERR_INVAL, "gemm: a dimension exceeds %d", INT_MAX);
	if (panel_rows == 0 || panel_rows > sh.m)
		panel_rows = sh.m;

	enum CBLAS_TRANSPOSE ta = s->trans_a ? CblasTrans : CblasNoTrans;
	enum CBLAS_TRANSPOSE tb = s->trans_b ? CblasTrans : CblasNoTrans;
	int lda = (int)a->cols, ldb = (int)b->cols, ldc = (int)c->cols;
	int n = (int)sh.n, k = (int)sh.k;
	/* Elements between the starts of two consecutive rows of op(A). */
	size_t a_row_step = s->trans_a ? 1 : a->cols;

	compute_ctl_start(ctl, sh.m);
	for (size_t i0 = 0; i0 < sh.m; i0 += panel_rows) {
		if (compute_ctl_cancelled(ctl))
			return r1_fail(why, R1_ERR_CANCELLED,
			               "gemm: cancelled after %zu of %zu rows", i0, sh.m);
		int rows = (int)(sh.m - i0 < panel_rows ? sh.m - i0 : panel_rows);
		if (s->dtype == MX_F64)
			cblas_dgemm(CblasRowMajor, ta, tb, rows, n, k, s->alpha,
			            (const double *)a->data + i0 * a_row_step, lda,
			            (const double *)b->data, ldb, s->beta,
			            (double *)c->data + i0 * c->cols, ldc);
		else
			cblas_sgemm(CblasRowMajor, ta, tb, rows, n, k, (float)s->alpha,
			            (const float *)a->data + i0 * a_row_step, lda,
			            (const float *)b->data, ldb, (float)s->beta,
			            (float *)c->data + i0 * c->cols, ldc);
		compute_ctl_advance(ctl, (uint64_t)rows);
	}
	return R1_OK;
}
