#ifndef R1_NODE_COMPUTE_MATRIX_H
#define R1_NODE_COMPUTE_MATRIX_H
/*
 * Dense matrices for the compute engine, and the R1MX file format in which
 * they travel through R1FS and sit on disk.
 *
 * R1MX, version 1: a 32-byte header, then the elements, nothing else.
 *
 *   offset  size  field
 *        0     4  magic "R1MX"
 *        4     2  version, little-endian u16: 1
 *        6     1  dtype: 1 = float32, 2 = float64 (IEEE-754, little-endian)
 *        7     1  order: 0 = row-major (the only order)
 *        8     8  rows, little-endian u64, 1 .. 2^31-1
 *       16     8  cols, little-endian u64, 1 .. 2^31-1
 *       24     8  reserved, all zero
 *       32     .  rows * cols elements, row after row
 *
 * A file is valid only when its length is exactly 32 + rows * cols * size
 * of dtype: a shorter file is truncated, a longer one has trailing bytes,
 * and both are refused, as are an unknown version, dtype or order, a zero
 * or oversized dimension, and nonzero reserved bytes.  Dimensions stop at
 * 2^31-1 because CBLAS takes int.  Element values are not checked (NaN and
 * infinities are numbers a product may legitimately carry).
 *
 * This module is host-endian on little-endian machines only (checked at
 * build time); it does not read R1FS or allocate outside xalloc.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "R1MX matrices are little-endian; this host is not"
#endif

#define MATRIX_MAGIC      "R1MX"
#define MATRIX_VERSION    1
#define MATRIX_HEADER_LEN 32
#define MATRIX_DIM_MAX    ((uint64_t)INT32_MAX)

enum mx_dtype {
	MX_F32 = 1,
	MX_F64 = 2,
};

/* 4 or 8; 0 for a value that is not a dtype. */
size_t mx_dtype_size(enum mx_dtype t);
/* "float32", "float64"; "?" otherwise. */
const char *mx_dtype_name(enum mx_dtype t);
/* "float32"/"f32"/"float"/"single" and "float64"/"f64"/"double" (any case). */
bool mx_dtype_parse(const char *s, enum mx_dtype *out);

/* What a header says.  Plain values: parsing has no side effects. */
struct matrix_header {
	uint16_t version;
	enum mx_dtype dtype;
	uint64_t rows, cols;
	uint64_t data_len; /* rows * cols * element size */
};

/*
 * A row-major, contiguous matrix.  `data` points at rows*cols elements of
 * `dtype`.  When `block` is not NULL the matrix owns that allocation (data
 * lies inside it) and matrix_release frees it; when NULL the data is
 * borrowed and must outlive the matrix.  A zeroed struct is the empty
 * matrix (rows = cols = 0, nothing owned).
 *
 * Matrices this module allocates (and adopted files) keep MATRIX_HEADER_LEN
 * bytes in front of their data, so that matrix_file_view can hand the whole
 * R1MX file to R1FS without copying the elements.
 */
struct matrix {
	enum mx_dtype dtype;
	size_t rows, cols;
	void *data;
	void *block;
};

/*
 * Bytes of a rows x cols matrix of dtype, with the format's limits:
 * R1_ERR_INVAL for a zero dimension, a dimension above MATRIX_DIM_MAX or a
 * bad dtype; R1_ERR_TOOBIG when the size overflows.
 */
enum r1_err matrix_bytes(enum mx_dtype dtype, uint64_t rows, uint64_t cols, uint64_t *bytes,
                         char **why);

/*
 * Parse a header from the first `avail` bytes of a file whose total length
 * is `file_len`.  Checks everything the header alone can tell plus that
 * file_len is exactly header + data.  Errors (with the reason): R1_ERR_INVAL
 * (short header, magic, version, dtype, order, reserved bytes, dimensions,
 * truncated data, trailing bytes), R1_ERR_TOOBIG (size overflow).
 */
enum r1_err matrix_header_parse(const void *p, size_t avail, uint64_t file_len,
                                struct matrix_header *h, char **why);

/* The 32 header bytes of a matrix of these dimensions (valid ones assumed). */
void matrix_header_encode(enum mx_dtype dtype, uint64_t rows, uint64_t cols,
                          uint8_t out[MATRIX_HEADER_LEN]);

/*
 * Allocate an uninitialised (zeroed with `zero`) rows x cols matrix.
 * Errors: as matrix_bytes, R1_ERR_NOMEM.  On error *m is the empty matrix.
 */
enum r1_err matrix_alloc(struct matrix *m, enum mx_dtype dtype, size_t rows, size_t cols, bool zero,
                         char **why);
/*
 * Lay a rows x cols matrix of dtype in `block` (r1_malloc'd, `cap` bytes,
 * taken on success) with header room in front.  False (block untouched)
 * when it is too small or the dimensions are invalid.
 */
bool matrix_in_block(struct matrix *m, void *block, size_t cap, enum mx_dtype dtype, size_t rows,
                     size_t cols);
/* Bytes of the block an owned matrix with header room holds (0 otherwise). */
size_t matrix_block_len(const struct matrix *m);

/* Free what the matrix owns and make it empty.  NULL-safe. */
void matrix_release(struct matrix *m);
/* Move: *dst (released first) takes *src, which becomes empty. */
void matrix_move(struct matrix *dst, struct matrix *src);
/* Bytes of the elements (0 for the empty matrix). */
size_t matrix_data_len(const struct matrix *m);
static inline bool matrix_is_empty(const struct matrix *m)
{
	return m->rows == 0 || m->cols == 0 || !m->data;
}

/* Element (i, j) as a double, and setting it (rounded for float32). */
double matrix_get(const struct matrix *m, size_t i, size_t j);
void matrix_set(struct matrix *m, size_t i, size_t j, double v);

/*
 * A matrix from a whole R1MX file in memory.  With `borrow` the matrix
 * points into `file` when the data is suitably aligned (no copy; `file`
 * must outlive it); otherwise, or without `borrow`, the data is copied.
 * Errors: as matrix_header_parse, R1_ERR_NOMEM.
 */
enum r1_err matrix_decode(const void *file, size_t len, bool borrow, struct matrix *out,
                          char **why);

/*
 * Like matrix_decode with borrowing, but the matrix takes ownership of
 * `file` (an r1_malloc'd block holding a whole R1MX file): no copy, and
 * matrix_release frees the block.  On error `file` stays the caller's.
 */
enum r1_err matrix_adopt_file(void *file, size_t len, struct matrix *out, char **why);

/*
 * The R1MX file of `m` in place, without a copy: writes the header into the
 * room in front of the data and points *file at it (*len bytes, valid while
 * m is).  False when m has no such room (borrowed, or built elsewhere):
 * use matrix_encode then.
 */
bool matrix_file_view(struct matrix *m, const void **file, size_t *len);

/* Append the R1MX file of `m` to `out` (check buf_ok).  R1_ERR_INVAL for the empty matrix. */
enum r1_err matrix_encode(const struct matrix *m, struct buf *out, char **why);

/*
 * Read an R1MX file.  The header and the file size are checked before any
 * allocation, and a file whose data is above `max_bytes` (0 = no cap) is
 * refused with R1_ERR_TOOBIG without reading it.  Errors: R1_ERR_IO (open,
 * read; errno in the reason), those of matrix_header_parse, R1_ERR_NOMEM.
 */
enum r1_err matrix_read_file(const char *path, uint64_t max_bytes, struct matrix *out, char **why);

/*
 * Write `m` to `path` (a temporary file in the same directory, fsync,
 * rename: a reader never sees half a matrix).  R1_ERR_IO, R1_ERR_INVAL.
 */
enum r1_err matrix_write_file(const char *path, const struct matrix *m, char **why);

/*
 * Convert to another dtype into a new owned matrix written to *out (which
 * is overwritten, not released: pass an empty or uninitialised one).
 * R1_ERR_NOMEM (*out untouched).  Same dtype is a copy.
 */
enum r1_err matrix_convert(const struct matrix *m, enum mx_dtype dtype, struct matrix *out,
                           char **why);

#endif
