/*
 * OpenBLAS identification and thread policy (see blas.h).  The only module
 * besides the kernels that calls OpenBLAS's own (non-CBLAS) functions.
 */
#include "node/lib.h"
#include "node/compute/blas.h"

#include <cblas.h>

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
	/* OpenBLAS ends its config string with a space; drop trailing blanks. */
	while (n && dst[n - 1] == ' ')
		dst[--n] = '\0';
}

void blas_info_get(struct blas_info *out)
{
	memset(out, 0, sizeof(*out));
	copy_str(out->corename, sizeof(out->corename), openblas_get_corename());
	copy_str(out->config, sizeof(out->config), openblas_get_config());
	copy_str(out->coretype_env, sizeof(out->coretype_env), getenv("OPENBLAS_CORETYPE"));
	copy_str(out->l2_env, sizeof(out->l2_env), getenv("OPENBLAS_L2_SIZE"));
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	out->ncores = n > 0 && n < 4096 ? (int)n : 1;
}

int blas_pick_threads(int configured, int ncores, bool loop_shares)
{
	if (ncores < 1)
		ncores = 1;
	if (configured > 0)
		return configured < ncores ? configured : ncores;
	int n = loop_shares && ncores > 1 ? ncores - 1 : ncores;
	return n < 1 ? 1 : n;
}

void blas_set_threads(int n)
{
	openblas_set_num_threads(n < 1 ? 1 : n);
}

int blas_get_threads(void)
{
	return openblas_get_num_threads();
}

json_t *blas_info_json(const struct blas_info *bi, int threads)
{
	return json_pack("{s:s,s:s?,s:s,s:i,s:i}", "OPENBLAS_CORE", bi->corename,
	                 "OPENBLAS_CORETYPE", bi->coretype_env[0] ? bi->coretype_env : NULL,
	                 "OPENBLAS_CONFIG", bi->config, "CPU_CORES", bi->ncores, "BLAS_THREADS",
	                 threads);
}
