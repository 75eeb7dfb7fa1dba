/*
 * JSON forms of small matrices and search hits (see mxjson.h).  Checks run
 * before the allocation: the element count is known from the outer arrays.
 */
#include "node/lib.h"
#include "node/compute/mxjson.h"

#include <math.h>

enum r1_err mxjson_parse(const json_t *v, enum mx_dtype dtype, size_t max_elems, bool vector_ok,
                         const char *what, struct matrix *out, char **why)
{
	*out = (struct matrix){0};
	if (!json_is_array(v) || json_array_size(v) == 0)
		return r1_fail(why, R1_ERR_INVAL, "%s: expected rows of numbers", what);
	bool vector = !json_is_array(json_array_get(v, 0));
	if (vector && !vector_ok)
		return r1_fail(why, R1_ERR_INVAL, "%s: expected rows of numbers ([[...], ...])",
		               what);
	size_t rows = vector ? 1 : json_array_size(v);
	size_t cols = vector ? json_array_size(v) : json_array_size(json_array_get(v, 0));
	if (cols == 0)
		return r1_fail(why, R1_ERR_INVAL, "%s: row 0 is empty", what);
	if (rows > max_elems || cols > max_elems / rows)
		return r1_fail(why, R1_ERR_TOOBIG,
		               "%s: %zu x %zu numbers inline, above the limit of %zu; use a CID",
		               what, rows, cols, max_elems);
	for (size_t i = 0; !vector && i < rows; i++) {
		const json_t *row = json_array_get(v, i);
		if (!json_is_array(row))
			return r1_fail(why, R1_ERR_INVAL, "%s: row %zu is not a list", what, i);
		if (json_array_size(row) != cols)
			return r1_fail(why, R1_ERR_INVAL,
			               "%s: row %zu has %zu numbers, row 0 has %zu", what, i,
			               json_array_size(row), cols);
	}
	enum r1_err err = matrix_alloc(out, dtype, rows, cols, false, why);
	if (err)
		return err;
	for (size_t i = 0; i < rows; i++) {
		const json_t *row = vector ? v : json_array_get(v, i);
		for (size_t j = 0; j < cols; j++) {
			const json_t *x = json_array_get(row, j);
			double d = json_number_value(x);
			if (!json_is_number(x) || !isfinite(d)) {
				matrix_release(out);
				return r1_fail(why, R1_ERR_INVAL,
				               "%s: element (%zu, %zu) is not a finite number",
				               what, i, j);
			}
			matrix_set(out, i, j, d);
		}
	}
	return R1_OK;
}

static json_t *number(double d)
{
	return isfinite(d) ? json_real(d) : json_null();
}

json_t *mxjson_rows(const struct matrix *m)
{
	json_t *rows = json_array();
	for (size_t i = 0; rows && i < m->rows; i++) {
		json_t *row = json_array();
		for (size_t j = 0; row && j < m->cols; j++)
			if (json_array_append_new(row, number(matrix_get(m, i, j)))) {
				json_decref(row);
				row = NULL;
			}
		if (!row || json_array_append_new(rows, row)) {
			json_decref(rows);
			return NULL;
		}
	}
	return rows;
}

json_t *mxjson_hits(const struct vsearch_hit *hits, size_t nq, size_t k)
{
	json_t *all = json_array();
	for (size_t q = 0; all && q < nq; q++) {
		json_t *list = json_array();
		for (size_t j = 0; list && j < k; j++) {
			const struct vsearch_hit *h = &hits[q * k + j];
			if (h->row < 0)
				continue;
			json_t *o = json_pack("{s:I,s:o}", "ROW", (json_int_t)h->row, "SCORE",
			                      number((double)h->score + 0.0));
			if (!o || json_array_append_new(list, o)) {
				json_decref(list);
				list = NULL;
			}
		}
		if (!list || json_array_append_new(all, list)) {
			json_decref(all);
			return NULL;
		}
	}
	return all;
}
