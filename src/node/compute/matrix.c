/*
 * Dense matrices and the R1MX file format (see matrix.h for the layout).
 * Everything a file says is checked before anything is allocated from it:
 * a hostile or damaged file costs a refusal with its reason, never a large
 * allocation or a read past its end.  This module knows nothing of BLAS,
 * jobs or R1FS.
 */
#include "node/lib.h"
#include "node/compute/matrix.h"

#include <fcntl.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* Data must start at an address aligned for the element type to be borrowed. */
#define BORROW_ALIGN 8

/*
 * Large matrices ask for transparent huge pages.  A fresh 32 MiB output
 * otherwise costs 8192 page faults inside the first BLAS call that writes
 * it (measured: 4-5% of a 2048 x 2048 dgemm here); with 2 MiB pages it is
 * 16.  Advice only: where THP is off this does nothing.
 */
#define HUGE_ADVICE_MIN (4u << 20)
#define HUGE_PAGE       (2u << 20)

static void advise_huge(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
	uintptr_t start = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~(uintptr_t)(HUGE_PAGE - 1);
	if (end > start)
		(void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
	(void)p;
	(void)len;
#endif
}

static uint64_t rd_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void wr_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

size_t mx_dtype_size(enum mx_dtype t)
{
	return t == MX_F32 ? 4 : t == MX_F64 ? 8 : 0;
}

const char *mx_dtype_name(enum mx_dtype t)
{
	return t == MX_F32 ? "float32" : t == MX_F64 ? "float64" : "?";
}

static const struct {
	const char *name;
	enum mx_dtype dtype;
} dtype_names[] = {
    {"float32", MX_F32}, {"f32", MX_F32}, {"float", MX_F32},  {"single", MX_F32},
    {"float64", MX_F64}, {"f64", MX_F64}, {"double", MX_F64},
};

bool mx_dtype_parse(const char *s, enum mx_dtype *out)
{
	for (size_t i = 0; s && i < R1_ARRAY_LEN(dtype_names); i++)
		if (strcasecmp(s, dtype_names[i].name) == 0) {
			*out = dtype_names[i].dtype;
			return true;
		}
	return false;
}

enum r1_err matrix_bytes(enum mx_dtype dtype, uint64_t rows, uint64_t cols, uint64_t *bytes,
                         char **why)
{
	size_t es = mx_dtype_size(dtype);
	if (!es)
		return r1_fail(why, R1_ERR_INVAL,
		               "matrix: unknown dtype %d (1 = float32, 2 = float64)", (int)dtype);
	if (rows == 0 || cols == 0)
		return r1_fail(why, R1_ERR_INVAL,
		               "matrix: empty matrix (%" PRIu64 " x %" PRIu64 ")", rows, cols);
	if (rows > MATRIX_DIM_MAX || cols > MATRIX_DIM_MAX)
		return r1_fail(why, R1_ERR_INVAL,
		               "matrix: %" PRIu64 " x %" PRIu64
		               " exceeds the largest dimension %" PRIu64,
		               rows, cols, MATRIX_DIM_MAX);
	uint64_t n;
	if (__builtin_mul_overflow(rows, cols, &n) || __builtin_mul_overflow(n, (uint64_t)es, &n) ||
	    n > SIZE_MAX - MATRIX_HEADER_LEN)
		return r1_fail(why, R1_ERR_TOOBIG,
		               "matrix: %" PRIu64 " x %" PRIu64 " %s does not fit in memory", rows,
		               cols, mx_dtype_name(dtype));
	*bytes = n;
	return R1_OK;
}

enum r1_err matrix_header_parse(const void *p, size_t avail, uint64_t file_len,
                                struct matrix_header *h, char **why)
{
	const uint8_t *b = p;
	if (avail < MATRIX_HEADER_LEN || file_len < MATRIX_HEADER_LEN)
		return r1_fail(why, R1_ERR_INVAL,
		               "matrix: truncated header (%" PRIu64 " bytes, the header has %d)",
		               (uint64_t)R1_MIN((uint64_t)avail, file_len), MATRIX_HEADER_LEN);
	if (memcmp(b, MATRIX_MAGIC, 4) != 0)
		return r1_fail(why, R1_ERR_INVAL, "matrix: not an R1MX file (bad magic)");
	uint16_t version = (uint16_t)(b[4] | b[5] << 8);
	if (version != MATRIX_VERSION)
		return r1_fail(why, R1_ERR_INVAL,
		               "matrix: R1MX version %u is not supported (only %d)", version,
		               MATRIX_VERSION);
	if (b[6] != MX_F32 && b[6] != MX_F64)
		return r1_fail(why, R1_ERR_INVAL,
		               "matrix: unknown dtype %u (1 = float32, 2 = float64)", b[6]);
	if (b[7] != 0)
		return r1_fail(why, R1_ERR_INVAL, "matrix: unknown order %u (0 = row-major)", b[7]);
	for (int i = 24; i < 32; i++)
		if (b[i])
			return r1_fail(why, R1_ERR_INVAL,
			               "matrix: reserved header bytes are not zero");
	struct matrix_header out = {
	    .version = version,
	    .dtype = (enum mx_dtype)b[6],
	    .rows = rd_le64(b + 8),
	    .cols = rd_le64(b + 16),
	};
	enum r1_err err = matrix_bytes(out.dtype, out.rows, out.cols, &out.data_len, why);
	if (err)
		return err;
	uint64_t want = MATRIX_HEADER_LEN + out.data_len;
	if (file_len < want)
		return r1_fail(why, R1_ERR_INVAL,
		               "matrix: truncated file: %" PRIu64 " x %" PRIu64 " %s needs %" PRIu64
		               " bytes, the file has %" PRIu64,
		               out.rows, out.cols, mx_dtype_name(out.dtype), want, file_len);
	if (file_len > want)
		return r1_fail(why, R1_ERR_INVAL,
		               "matrix: %" PRIu64 " trailing bytes after %" PRIu64 " x %" PRIu64
		               " %s data",
		               file_len - want, out.rows, out.cols, mx_dtype_name(out.dtype));
	*h = out;
	return R1_OK;
}

void matrix_header_encode(enum mx_dtype dtype, uint64_t rows, uint64_t cols,
                          uint8_t out[MATRIX_HEADER_LEN])
{
	memset(out, 0, MATRIX_HEADER_LEN);
	memcpy(out, MATRIX_MAGIC, 4);
	out[4] = MATRIX_VERSION & 0xff;
	out[5] = MATRIX_VERSION >> 8;
	out[6] = (uint8_t)dtype;
	out[7] = 0;
	wr_le64(out + 8, rows);
	wr_le64(out + 16, cols);
}

enum r1_err matrix_alloc(struct matrix *m, enum mx_dtype dtype, size_t rows, size_t cols, bool zero,
                         char **why)
{
	*m = (struct matrix){0};
	uint64_t bytes;
	enum r1_err err = matrix_bytes(dtype, rows, cols, &bytes, why);
	if (err)
		return err;
	size_t total = (size_t)bytes + MATRIX_HEADER_LEN;
	void *p = zero ? r1_calloc(1, total) : r1_malloc(total);
	if (!p)
		return r1_fail(why, R1_ERR_NOMEM,
		               "matrix: out of memory for %zu x %zu %s (%" PRIu64 " bytes)", rows,
		               cols, mx_dtype_name(dtype), bytes);
	if (bytes >= HUGE_ADVICE_MIN)
		advise_huge(p, total);
	*m = (struct matrix){.dtype = dtype,
	                     .rows = rows,
	                     .cols = cols,
	                     .data = (uint8_t *)p + MATRIX_HEADER_LEN,
	                     .block = p};
	return R1_OK;
}

bool matrix_in_block(struct matrix *m, void *block, size_t cap, enum mx_dtype dtype, size_t rows,
                     size_t cols)
{
	uint64_t bytes;
	if (!block || matrix_bytes(dtype, rows, cols, &bytes, NULL) != R1_OK ||
	    cap < bytes + MATRIX_HEADER_LEN)
		return false;
	*m = (struct matrix){.dtype = dtype,
	                     .rows = rows,
	                     .cols = cols,
	                     .data = (uint8_t *)block + MATRIX_HEADER_LEN,
	                     .block = block};
	return true;
}

size_t matrix_block_len(const struct matrix *m)
{
	if (matrix_is_empty(m) || !m->block ||
	    (uint8_t *)m->data - (uint8_t *)m->block != MATRIX_HEADER_LEN)
		return 0;
	return MATRIX_HEADER_LEN + matrix_data_len(m);
}

void matrix_release(struct matrix *m)
{
	if (!m)
		return;
	r1_free(m->block);
	*m = (struct matrix){0};
}

void matrix_move(struct matrix *dst, struct matrix *src)
{
	if (dst == src)
		return;
	matrix_release(dst);
	*dst = *src;
	*src = (struct matrix){0};
}

size_t matrix_data_len(const struct matrix *m)
{
	return matrix_is_empty(m) ? 0 : m->rows * m->cols * mx_dtype_size(m->dtype);
}

double matrix_get(const struct matrix *m, size_t i, size_t j)
{
	size_t k = i * m->cols + j;
	return m->dtype == MX_F32 ? ((const float *)m->data)[k] : ((const double *)m->data)[k];
}

void matrix_set(struct matrix *m, size_t i, size_t j, double v)
{
	size_t k = i * m->cols + j;
	if (m->dtype == MX_F32)
		((float *)m->data)[k] = (float)v;
	else
		((double *)m->data)[k] = v;
}

enum r1_err matrix_decode(const void *file, size_t len, bool borrow, struct matrix *out, char **why)
{
	struct matrix_header h;
	*out = (struct matrix){0};
	enum r1_err err = matrix_header_parse(file, len, len, &h, why);
	if (err)
		return err;
	const uint8_t *data = (const uint8_t *)file + MATRIX_HEADER_LEN;
	if (borrow && (uintptr_t)data % BORROW_ALIGN == 0) {
		*out = (struct matrix){.dtype = h.dtype,
		                       .rows = (size_t)h.rows,
		                       .cols = (size_t)h.cols,
		                       .data = (void *)(uintptr_t)data};
		return R1_OK;
	}
	err = matrix_alloc(out, h.dtype, (size_t)h.rows, (size_t)h.cols, false, why);
	if (err)
		return err;
	memcpy(out->data, data, (size_t)h.data_len);
	return R1_OK;
}

enum r1_err matrix_adopt_file(void *file, size_t len, struct matrix *out, char **why)
{
	enum r1_err err = matrix_decode(file, len, true, out, why);
	if (err)
		return err;
	if (out->block) {
		/* Misaligned data was copied: the copy is owned, the file not needed. */
		r1_free(file);
		return R1_OK;
	}
	out->block = file;
	return R1_OK;
}

bool matrix_file_view(struct matrix *m, const void **file, size_t *len)
{
	if (matrix_is_empty(m) || !m->block ||
	    (uint8_t *)m->data - (uint8_t *)m->block != MATRIX_HEADER_LEN)
		return false;
	matrix_header_encode(m->dtype, m->rows, m->cols, m->block);
	*file = m->block;
	*len = MATRIX_HEADER_LEN + matrix_data_len(m);
	return true;
}

enum r1_err matrix_encode(const struct matrix *m, struct buf *out, char **why)
{
	if (matrix_is_empty(m))
		return r1_fail(why, R1_ERR_INVAL, "matrix: cannot encode an empty matrix");
	uint8_t hdr[MATRIX_HEADER_LEN];
	matrix_header_encode(m->dtype, m->rows, m->cols, hdr);
	buf_add(out, hdr, sizeof(hdr));
	buf_add(out, m->data, matrix_data_len(m));
	if (!buf_ok(out))
		return r1_fail(why, R1_ERR_NOMEM, "matrix: out of memory encoding %zu x %zu %s",
		               m->rows, m->cols, mx_dtype_name(m->dtype));
	return R1_OK;
}

static enum r1_err read_full(int fd, void *p, size_t n, const char *path, char **why)
{
	uint8_t *b = p;
	while (n) {
		ssize_t r = read(fd, b, n > (1u << 30) ? (1u << 30) : n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return r1_fail(why, R1_ERR_IO, "matrix: reading %s: %s", path,
			               strerror(errno));
		if (r == 0)
			return r1_fail(why, R1_ERR_INVAL,
			               "matrix: %s: truncated file (changed while read)", path);
		b += r;
		n -= (size_t)r;
	}
	return R1_OK;
}

enum r1_err matrix_read_file(const char *path, uint64_t max_bytes, struct matrix *out, char **why)
{
	*out = (struct matrix){0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return r1_fail(why, R1_ERR_IO, "matrix: cannot open %s: %s", path, strerror(errno));
	enum r1_err err;
	struct stat st;
	uint8_t hdr[MATRIX_HEADER_LEN];
	struct matrix_header h;
	if (fstat(fd, &st) != 0) {
		err = r1_fail(why, R1_ERR_IO, "matrix: stat %s: %s", path, strerror(errno));
		goto done;
	}
	size_t got = 0;
	while (got < sizeof(hdr) && (uint64_t)got < (uint64_t)st.st_size) {
		ssize_t r = read(fd, hdr + got, sizeof(hdr) - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = r1_fail(why, R1_ERR_IO, "matrix: reading %s: %s", path,
			              strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	err = matrix_header_parse(hdr, got, (uint64_t)st.st_size, &h, why);
	if (err) {
		r1_why_prefix(why, "%s", path);
		goto done;
	}
	if (max_bytes && h.data_len > max_bytes) {
		err = r1_fail(why, R1_ERR_TOOBIG,
		              "matrix: %s: %" PRIu64 " x %" PRIu64 " %s needs %" PRIu64
		              " bytes, above the limit of %" PRIu64,
		              path, h.rows, h.cols, mx_dtype_name(h.dtype), h.data_len, max_bytes);
		goto done;
	}
	err = matrix_alloc(out, h.dtype, (size_t)h.rows, (size_t)h.cols, false, why);
	if (err)
		goto done;
	err = read_full(fd, out->data, (size_t)h.data_len, path, why);
	if (err)
		matrix_release(out);
done:
	close(fd);
	return err;
}

static enum r1_err write_full(int fd, const void *p, size_t n, const char *path, char **why)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t w = write(fd, b, n > (1u << 30) ? (1u << 30) : n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return r1_fail(why, R1_ERR_IO, "matrix: writing %s: %s", path,
			               strerror(errno));
		b += w;
		n -= (size_t)w;
	}
	return R1_OK;
}

enum r1_err matrix_write_file(const char *path, const struct matrix *m, char **why)
{
	if (matrix_is_empty(m))
		return r1_fail(why, R1_ERR_INVAL, "matrix: cannot write an empty matrix");
	struct buf tmp = BUF_INIT;
	buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	if (!buf_ok(&tmp))
		return r1_fail(why, R1_ERR_NOMEM, "matrix: out of memory");
	const char *tpath = buf_cstr(&tmp);
	enum r1_err err = R1_OK;
	int fd = open(tpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err =
		    r1_fail(why, R1_ERR_IO, "matrix: cannot create %s: %s", tpath, strerror(errno));
		goto out;
	}
	uint8_t hdr[MATRIX_HEADER_LEN];
	matrix_header_encode(m->dtype, m->rows, m->cols, hdr);
	err = write_full(fd, hdr, sizeof(hdr), tpath, why);
	if (!err)
		err = write_full(fd, m->data, matrix_data_len(m), tpath, why);
	if (!err && fsync(fd) != 0)
		err = r1_fail(why, R1_ERR_IO, "matrix: fsync %s: %s", tpath, strerror(errno));
	if (close(fd) != 0 && !err)
		err = r1_fail(why, R1_ERR_IO, "matrix: close %s: %s", tpath, strerror(errno));
	if (!err && rename(tpath, path) != 0)
		err = r1_fail(why, R1_ERR_IO, "matrix: rename to %s: %s", path, strerror(errno));
	if (err)
		unlink(tpath);
out:
	buf_release(&tmp);
	return err;
}

enum r1_err matrix_convert(const struct matrix *m, enum mx_dtype dtype, struct matrix *out,
                           char **why)
{
	struct matrix tmp;
	enum r1_err err = matrix_alloc(&tmp, dtype, m->rows, m->cols, false, why);
	if (err)
		return err;
	size_t n = m->rows * m->cols;
	if (m->dtype == dtype) {
		memcpy(tmp.data, m->data, matrix_data_len(m));
	} else if (dtype == MX_F32) {
		const double *s = m->data;
		float *d = tmp.data;
		for (size_t i = 0; i < n; i++)
			d[i] = (float)s[i];
	} else {
		const float *s = m->data;
		double *d = tmp.data;
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	}
	*out = tmp;
	return R1_OK;
}
