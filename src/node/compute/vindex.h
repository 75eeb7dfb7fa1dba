#ifndef R1_NODE_COMPUTE_VINDEX_H
#define R1_NODE_COMPUTE_VINDEX_H
/*
 * An embedding index for top-k cosine-similarity search: the rows of an
 * embedding matrix, converted to float32 and normalised to unit length once
 * when the index is built, so that a batch of queries is one sgemm
 * (scores = Q * E^T) per panel of index rows followed by a top-k merge.
 *
 * An index is immutable once built, so a search job on a worker thread may
 * read it while the loop holds it.  Its lifetime is a reference count that
 * only the loop thread touches (vindex_ref / vindex_unref): a plugin that
 * goes away while a search runs drops its reference and the job drops the
 * last one when its result comes back.
 *
 * Scores: the cosine of the angle between the query and the row, as float.
 * A zero row (or a zero query) scores 0 against everything; a NaN score
 * (NaN in the data) ranks below every number.  Ties rank the lower row
 * first, so results are deterministic.
 */
#include "core/common.h"
#include "core/err.h"
#include "node/compute/ctl.h"
#include "node/compute/matrix.h"

struct vindex;

struct vsearch_hit {
	int64_t row; /* index row; -1 when the index has fewer than k rows */
	float score;
};

/*
 * Build an index from `emb` (rows = items, cols = dimension), which is
 * taken in every case: an owned float32 matrix is normalised in place, any
 * other is converted into a new float32 copy and released.  `ctl` (may be
 * NULL) sees rows as work units and can cancel.  Errors: R1_ERR_INVAL (an
 * empty matrix), R1_ERR_NOMEM, R1_ERR_CANCELLED.
 */
enum r1_err vindex_build(struct matrix *emb, struct compute_ctl *ctl, struct vindex **out,
                         char **why);

/* Reference counting (loop thread only).  unref NULLs *ix and frees at zero. */
struct vindex *vindex_ref(struct vindex *ix);
void vindex_unref(struct vindex **ix);

size_t vindex_rows(const struct vindex *ix);
size_t vindex_dim(const struct vindex *ix);
/* Bytes the index holds. */
uint64_t vindex_bytes(const struct vindex *ix);
/* The normalised float32 rows (for tests and persistence). */
const struct matrix *vindex_matrix(const struct vindex *ix);

/* Scratch bytes a search of nq queries for k hits needs (queries copy, scores, heaps). */
uint64_t vindex_search_bytes(const struct vindex *ix, size_t nq, size_t k);

/*
 * Top-k rows for each of the nq = queries->rows queries (float32 or
 * float64, queries->cols must equal the dimension).  `hits` has room for
 * nq * k entries; row q's hits are hits[q*k .. q*k+k-1], best first.
 * `ctl` sees index rows as work units.  Errors: R1_ERR_INVAL (dimension
 * mismatch, k == 0, empty queries), R1_ERR_NOMEM, R1_ERR_CANCELLED.
 */
enum r1_err vindex_search(const struct vindex *ix, const struct matrix *queries, size_t k,
                          struct compute_ctl *ctl, struct vsearch_hit *hits, char **why);

#endif
