/*
 * The panelled gemm kernel: shape checks with their reasons, the panel
 * size rule, every combination of transposes, alpha/beta and dtype on odd
 * shapes with panels forced small (each checked against the naive long
 * double product), progress counting, cancel, and a product large enough
 * to be split by the default rule compared with one direct CBLAS call on
 * the same data (equal within k eps, normwise).
 */
#include "node/lib.h"
#include "node/compute/gemm.h"
#include "tests/tap.h"
#include "tests/unit/compute/refblas.h"

#include <cblas.h>

static void test_degenerate(void)
{
	struct gemm_spec s;
	struct gemm_shape sh = {0};
	char *why = NULL;
	gemm_spec_default(&s);
	ok(!s.trans_a && !s.trans_b && s.alpha == 1.0 && s.beta == 0.0 && s.dtype == MX_F64,
	   "default spec: NN, alpha 1, beta 0, float64");
	is_int(gemm_shape_of(&s, 2, 3, 4, 5, &sh, &why), R1_ERR_INVAL, "3 != 4 refused");
	is_str(why,
	       "gemm: non-conforming dimensions: op(A) is 2 x 3, op(B) is 4 x 5 (inner 3 != 4)",
	       "reason names both shapes");
	s.trans_a = true;
	is_int(gemm_shape_of(&s, 3, 2, 4, 5, &sh, &why), R1_ERR_INVAL, "At: 2x3 vs 4x5 refused");
	is_str(why,
	       "gemm: non-conforming dimensions: op(A) is 2 x 3 (A transposed), op(B) is 4 x 5 "
	       "(inner 3 != 4)",
	       "reason says A is transposed");
	is_int(gemm_shape_of(&s, 4, 2, 4, 5, &sh, &why), R1_OK, "At: 2x4 by 4x5 conforms");
	ok(sh.m == 2 && sh.k == 4 && sh.n == 5, "shape 2x4x5");
	s.trans_b = true;
	is_int(gemm_shape_of(&s, 4, 2, 5, 4, &sh, &why), R1_OK, "AtBt: 2x4 by 4x5 conforms");
	ok(sh.m == 2 && sh.k == 4 && sh.n == 5, "shape 2x4x5 with both transposed");
	r1_free(why);
	why = NULL;

	struct matrix a, b, c, c2;
	gemm_spec_default(&s);
	matrix_alloc(&a, MX_F64, 2, 3, true, NULL);
	matrix_alloc(&b, MX_F32, 3, 2, true, NULL);
	matrix_alloc(&c, MX_F64, 2, 2, true, NULL);
	matrix_alloc(&c2, MX_F64, 3, 2, true, NULL);
	is_int(gemm_run(&s, &a, &b, &c, 0, NULL, &why), R1_ERR_INVAL, "mixed dtypes refused");
	is_str(why, "gemm: operands are float64, float32, float64; the job is float64",
	       "reason lists the dtypes");
	matrix_release(&b);
	matrix_alloc(&b, MX_F64, 3, 2, true, NULL);
	is_int(gemm_run(&s, &a, &b, &c2, 0, NULL, &why), R1_ERR_INVAL, "C of the wrong shape");
	is_str(why, "gemm: C is 3 x 2, the product is 2 x 2", "reason gives both shapes");
	is_int(gemm_run(&s, &a, &b, &c, 0, NULL, &why), R1_OK, "zero matrices multiply");
	ok(matrix_get(&c, 1, 1) == 0.0, "zero product");
	r1_free(why);
	matrix_release(&a);
	matrix_release(&b);
	matrix_release(&c);
	matrix_release(&c2);
}

static void test_panel_rule(void)
{
	struct gemm_shape tiny = {3, 4, 5}, n2048 = {2048, 2048, 2048};
	struct gemm_shape tall = {100000, 1000, 1000}, thin = {100000, 10, 10};
	is_int(gemm_panel_rows(&tiny, 0), 3, "a tiny product is one panel");
	is_int(gemm_panel_rows(&n2048, 0), 512, "n=2048: 4 panels of 512 rows");
	is_int(gemm_panel_rows(&n2048, 1024), 1024, "n=2048 with a 1024 floor: 2 panels");
	is_int(gemm_panel_rows(&tall, 0), 1563, "100000 rows: 64 panels");
	is_int(gemm_panel_rows(&thin, 0), 100000, "a cheap product is one panel whatever its rows");
	struct gemm_shape zero = {0, 4, 4};
	is_int(gemm_panel_rows(&zero, 0), 1, "no rows: 1 (never 0)");
}

static void check_case(enum mx_dtype dt, bool ta, bool tb, double alpha, double beta, size_t m,
                       size_t k, size_t n, size_t panel)
{
	struct gemm_spec s = {
	    .trans_a = ta, .trans_b = tb, .alpha = alpha, .beta = beta, .dtype = dt};
	struct matrix a, b, c, c0;
	matrix_alloc(&a, dt, ta ? k : m, ta ? m : k, false, NULL);
	matrix_alloc(&b, dt, tb ? n : k, tb ? k : n, false, NULL);
	matrix_alloc(&c, dt, m, n, false, NULL);
	ref_fill(&a, (uint32_t)(m * 7 + k));
	ref_fill(&b, (uint32_t)(n * 3 + k));
	ref_fill(&c, 99);
	matrix_convert(&c, dt, &c0, NULL); /* the input C, kept for the reference */
	double *ref = r1_malloc(m * n * sizeof(double)), *scale = r1_malloc(m * n * sizeof(double));
	ref_gemm(&s, &a, &b, &c0, ref, scale);
	struct compute_ctl ctl;
	compute_ctl_init(&ctl);
	char *why = NULL;
	enum r1_err err = gemm_run(&s, &a, &b, &c, panel, &ctl, &why);
	double e = ref_max_err(&c, ref, scale);
	double tol = dt == MX_F64 ? 1e-14 : 1e-5;
	ok(err == R1_OK && e < tol,
	   "%s %s%s alpha=%g beta=%g %zux%zux%zu panel %zu: max error %.3g < %g", mx_dtype_name(dt),
	   ta ? "T" : "N", tb ? "T" : "N", alpha, beta, m, k, n, panel, e, tol);
	ok(atomic_load(&ctl.done) == m && atomic_load(&ctl.total) == m,
	   "progress %" PRIuFAST64 "/%" PRIuFAST64 " rows", atomic_load(&ctl.done),
	   atomic_load(&ctl.total));
	r1_free(why);
	r1_free(ref);
	r1_free(scale);
	matrix_release(&a);
	matrix_release(&b);
	matrix_release(&c);
	matrix_release(&c0);
}

static void test_against_naive(void)
{
	static const struct {
		size_t m, k, n, panel;
	} shapes[] = {
	    {1, 1, 1, 0},   {3, 5, 7, 2},  {17, 31, 13, 5},
	    {64, 1, 64, 7}, {1, 64, 1, 1}, {33, 9, 2, 32},
	};
	static const double ab[][2] = {{1, 0}, {-2.5, 0}, {0.5, 1}, {1, -3}, {0, 2}};
	for (int dt = MX_F32; dt <= MX_F64; dt++)
		for (int t = 0; t < 4; t++)
			for (size_t si = 0; si < R1_ARRAY_LEN(shapes); si++) {
				size_t v = (si + (size_t)t) % R1_ARRAY_LEN(ab);
				check_case((enum mx_dtype)dt, t & 1, t & 2, ab[v][0], ab[v][1],
				           shapes[si].m, shapes[si].k, shapes[si].n,
				           shapes[si].panel);
			}
}

static void test_cancel(void)
{
	struct gemm_spec s;
	gemm_spec_default(&s);
	struct matrix a, b, c;
	matrix_alloc(&a, MX_F64, 10, 4, true, NULL);
	matrix_alloc(&b, MX_F64, 4, 3, true, NULL);
	matrix_alloc(&c, MX_F64, 10, 3, true, NULL);
	struct compute_ctl ctl;
	compute_ctl_init(&ctl);
	compute_ctl_cancel(&ctl);
	char *why = NULL;
	is_int(gemm_run(&s, &a, &b, &c, 3, &ctl, &why), R1_ERR_CANCELLED,
	       "cancelled before a panel");
	is_str(why, "gemm: cancelled after 0 of 10 rows", "reason counts the rows done");
	is_int(atomic_load(&ctl.done), 0, "no rows done");
	ok(compute_ctl_progress(&ctl) == 0.0, "progress 0");
	r1_free(why);
	matrix_release(&a);
	matrix_release(&b);
	matrix_release(&c);
}

/* Split by the default rule versus one CBLAS call, same data: the same sums. */
static void test_against_direct(void)
{
	for (int dt = MX_F32; dt <= MX_F64; dt++) {
		size_t m = 1100, k = 300, n = 500;
		struct gemm_spec s;
		gemm_spec_default(&s);
		s.dtype = (enum mx_dtype)dt;
		s.trans_b = dt == MX_F64;
		struct matrix a, b, c, d;
		matrix_alloc(&a, s.dtype, m, k, false, NULL);
		matrix_alloc(&b, s.dtype, s.trans_b ? n : k, s.trans_b ? k : n, false, NULL);
		matrix_alloc(&c, s.dtype, m, n, false, NULL);
		matrix_alloc(&d, s.dtype, m, n, true, NULL);
		ref_fill(&a, 5);
		ref_fill(&b, 6);
		struct gemm_shape sh = {m, n, k};
		size_t pr = gemm_panel_rows(&sh, 0);
		is_int(pr, 512, "%s: split into panels of 512 rows", mx_dtype_name(s.dtype));
		char *why = NULL;
		is_int(gemm_run(&s, &a, &b, &c, pr, NULL, &why), R1_OK, "panelled product");
		enum CBLAS_TRANSPOSE tb = s.trans_b ? CblasTrans : CblasNoTrans;
		if (dt == MX_F64)
			cblas_dgemm(CblasRowMajor, CblasNoTrans, tb, (int)m, (int)n, (int)k, 1.0,
			            a.data, (int)a.cols, b.data, (int)b.cols, 0.0, d.data, (int)n);
		else
			cblas_sgemm(CblasRowMajor, CblasNoTrans, tb, (int)m, (int)n, (int)k, 1.0f,
			            a.data, (int)a.cols, b.data, (int)b.cols, 0.0f, d.data, (int)n);
		/* Normwise: max |panelled - direct| / max |direct|.  Not bitwise: the
		 * float32 kernel sums the tail rows of a call (below its unroll)
		 * in another order, so rows at panel edges differ in the last bits. */
		double worst = 0, big = 0;
		for (size_t i = 0; i < m; i++)
			for (size_t j = 0; j < n; j++) {
				double x = matrix_get(&c, i, j), y = matrix_get(&d, i, j);
				worst = fmax(worst, fabs(x - y));
				big = fmax(big, fabs(y));
			}
		double rel = worst / big, eps = dt == MX_F64 ? 0x1p-52 : 0x1p-23;
		ok(rel <= (double)k * eps,
		   "%s: panelled vs direct CBLAS, max relative difference %.3g <= k eps = %.3g",
		   mx_dtype_name(s.dtype), rel, (double)k * eps);
		r1_free(why);
		matrix_release(&a);
		matrix_release(&b);
		matrix_release(&c);
		matrix_release(&d);
	}
}

int main(void)
{
	test_degenerate();
	test_panel_rule();
	test_against_naive();
	test_cancel();
	test_against_direct();
	return tap_done();
}
