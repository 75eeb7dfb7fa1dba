#ifndef R1_NODE_COMPUTE_BLAS_H
#define R1_NODE_COMPUTE_BLAS_H
/*
 * The OpenBLAS this process runs on: what it is (core kernel, build
 * configuration, the OPENBLAS_CORETYPE the environment forces) and how
 * many threads a job may give it.
 *
 * The environment is only read, never changed: machines here set
 * OPENBLAS_CORETYPE (a Haswell kernel on newer CPUs costs a large share of
 * GEMM speed), and every figure we publish says which core type produced
 * it so that nobody compares figures across core types.
 */
#include "core/common.h"

#include <jansson.h>

struct blas_info {
	char corename[32];     /* openblas_get_corename(): the kernel in use */
	char config[192];      /* openblas_get_config() */
	char coretype_env[32]; /* $OPENBLAS_CORETYPE; "" when unset */
	char l2_env[32];       /* $OPENBLAS_L2_SIZE; "" when unset */
	int ncores;            /* online CPUs */
};

/* Fill *out.  Never fails (unknown fields are ""). */
void blas_info_get(struct blas_info *out);

/*
 * The BLAS thread count of a job.  configured > 0 is taken as is (capped at
 * ncores); 0 means automatic: every core, minus one for the poll loop when
 * `loop_shares` and there is more than one core.  Never below 1.
 */
int blas_pick_threads(int configured, int ncores, bool loop_shares);

/* openblas_set_num_threads / openblas_get_num_threads. */
void blas_set_threads(int n);
int blas_get_threads(void);

/*
 * What a heartbeat (and a bench payload) says about this BLAS: a new object
 * {"OPENBLAS_CORE", "OPENBLAS_CORETYPE", "OPENBLAS_CONFIG", "CPU_CORES",
 * "BLAS_THREADS"} (OPENBLAS_CORETYPE null when unset).  NULL on OOM.
 */
json_t *blas_info_json(const struct blas_info *bi, int threads);

#endif
