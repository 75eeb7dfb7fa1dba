#ifndef R1_NODE_COMPUTE_MXJSON_H
#define R1_NODE_COMPUTE_MXJSON_H
/*
 * Small matrices and search results as JSON, for instance configs,
 * commands and payloads: rows of numbers ([[1, 2], [3, 4]]) to a matrix
 * and back, and top-k hits to [[{"ROW": r, "SCORE": s}, ...], ...].  Input
 * comes from the network: sizes are bounded and every refusal says where.
 */
#include "core/common.h"
#include "core/err.h"
#include "node/compute/matrix.h"
#include "node/compute/vindex.h"

#include <jansson.h>

/*
 * A matrix of `dtype` from rows of numbers (a lone array of numbers is one
 * row when `vector_ok`).  At most max_elems elements.  `what` names the
 * value in reasons ("A").  Errors: R1_ERR_INVAL (not rows of numbers, ragged
 * rows, empty, a non-finite number), R1_ERR_TOOBIG (above max_elems),
 * R1_ERR_NOMEM.
 */
enum r1_err mxjson_parse(const json_t *v, enum mx_dtype dtype, size_t max_elems, bool vector_ok,
                         const char *what, struct matrix *out, char **why);

/* Rows of numbers (non-finite values as null): a new array, NULL on OOM. */
json_t *mxjson_rows(const struct matrix *m);

/* nq lists of at most k {"ROW", "SCORE"} (padding rows left out): a new array. */
json_t *mxjson_hits(const struct vsearch_hit *hits, size_t nq, size_t k);

#endif
