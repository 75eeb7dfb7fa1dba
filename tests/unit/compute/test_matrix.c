/*
 * The R1MX matrix format: header bytes exactly as documented, every way a
 * file can be wrong (short, bad magic, version, dtype, order, reserved
 * bytes, zero and oversized dimensions, size overflow, truncated data,
 * trailing bytes) refused with its reason, round trips through memory and
 * files, zero-copy borrowing and adoption, dtype conversion, the memory cap
 * on reading and allocation failures.
 */
#include "node/lib.h"
#include "node/compute/matrix.h"
#include "tests/tap.h"

#include <sys/stat.h>

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* A valid 2x3 float64 file: 32 + 48 bytes, values 1..6. */
static uint8_t *valid_file(size_t *len)
{
	*len = MATRIX_HEADER_LEN + 6 * 8;
	uint8_t *f = r1_calloc(1, *len);
	memcpy(f, "R1MX", 4);
	f[4] = 1;
	f[6] = 2;
	put_le64(f + 8, 2);
	put_le64(f + 16, 3);
	for (int i = 0; i < 6; i++) {
		double v = i + 1;
		memcpy(f + 32 + 8 * i, &v, 8);
	}
	return f;
}

static void expect_refusal(const uint8_t *f, size_t avail, uint64_t file_len, enum r1_err want,
                           const char *needle, const char *name)
{
	struct matrix_header h;
	char *why = NULL;
	enum r1_err err = matrix_header_parse(f, avail, file_len, &h, &why);
	is_int(err, want, "%s: refused", name);
	ok(why && strstr(why, needle), "%s: reason '%s' mentions '%s'", name, why ? why : "(none)",
	   needle);
	r1_free(why);
}

static void test_degenerate(void)
{
	struct matrix_header h;
	char *why = NULL;
	is_int(matrix_header_parse("", 0, 0, &h, &why), R1_ERR_INVAL, "empty input refused");
	ok(why && strstr(why, "truncated header"), "reason: %s", why ? why : "(none)");
	r1_free(why);

	struct matrix m = {0};
	ok(matrix_is_empty(&m), "a zeroed matrix is empty");
	is_int(matrix_data_len(&m), 0, "empty matrix has no data");
	matrix_release(&m);
	matrix_release(NULL);
	struct buf b = BUF_INIT;
	why = NULL;
	is_int(matrix_encode(&m, &b, &why), R1_ERR_INVAL, "encoding an empty matrix refused");
	is_int(b.len, 0, "nothing appended");
	r1_free(why);
	why = NULL;
	is_int(matrix_alloc(&m, MX_F64, 0, 4, false, &why), R1_ERR_INVAL, "0 rows refused");
	ok(why && strstr(why, "empty matrix (0 x 4)"), "reason: %s", why ? why : "(none)");
	r1_free(why);
	why = NULL;
	is_int(matrix_alloc(&m, (enum mx_dtype)3, 2, 2, false, &why), R1_ERR_INVAL,
	       "dtype 3 refused");
	ok(why && strstr(why, "unknown dtype 3"), "reason: %s", why ? why : "(none)");
	r1_free(why);
	why = NULL;
	is_int(matrix_alloc(&m, MX_F32, (size_t)MATRIX_DIM_MAX + 1, 1, false, &why), R1_ERR_INVAL,
	       "2^31 rows refused");
	ok(why && strstr(why, "largest dimension 2147483647"), "reason: %s", why ? why : "(none)");
	r1_free(why);
	ok(matrix_is_empty(&m), "failed allocation leaves an empty matrix");
}

static void test_dtypes(void)
{
	enum mx_dtype t = 0;
	is_int(mx_dtype_size(MX_F32), 4, "float32 is 4 bytes");
	is_int(mx_dtype_size(MX_F64), 8, "float64 is 8 bytes");
	is_int(mx_dtype_size((enum mx_dtype)0), 0, "dtype 0 has no size");
	is_str(mx_dtype_name(MX_F32), "float32", "float32 name");
	is_str(mx_dtype_name((enum mx_dtype)9), "?", "unknown dtype name");
	ok(mx_dtype_parse("F64", &t) && t == MX_F64, "F64 parses (any case)");
	ok(mx_dtype_parse("float32", &t) && t == MX_F32, "float32 parses");
	ok(mx_dtype_parse("double", &t) && t == MX_F64, "double parses");
	ok(!mx_dtype_parse("f16", &t), "f16 is not a dtype");
	ok(!mx_dtype_parse(NULL, &t), "NULL is not a dtype");
}

static void test_header_bytes(void)
{
	uint8_t h[MATRIX_HEADER_LEN];
	matrix_header_encode(MX_F32, 0x0102030405ull, 7, h);
	static const uint8_t want[MATRIX_HEADER_LEN] = {
	    'R', '1', 'M', 'X', 1, 0, 1, 0, 5, 4, 3, 2, 1, 0, 0, 0,
	    7,   0,   0,   0,   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	is_mem(h, sizeof(h), want, sizeof(want), "header bytes as documented");

	size_t len;
	uint8_t *f = valid_file(&len);
	struct matrix_header hd;
	char *why = NULL;
	is_int(matrix_header_parse(f, len, len, &hd, &why), R1_OK, "valid header parses");
	is_int(hd.version, 1, "version");
	is_int(hd.dtype, MX_F64, "dtype");
	is_int(hd.rows, 2, "rows");
	is_int(hd.cols, 3, "cols");
	is_int(hd.data_len, 48, "data length");
	is_int(matrix_header_parse(f, MATRIX_HEADER_LEN, len, &hd, &why), R1_OK,
	       "header alone with the right file length parses");
	r1_free(f);
}

static void test_refusals(void)
{
	size_t len;
	uint8_t *f = valid_file(&len);
	uint8_t g[128];

	expect_refusal(f, 31, 31, R1_ERR_INVAL, "truncated header (31 bytes", "31-byte file");
	memcpy(g, f, len);
	g[0] = 'X';
	expect_refusal(g, len, len, R1_ERR_INVAL, "bad magic", "magic");
	memcpy(g, f, len);
	g[4] = 2;
	expect_refusal(g, len, len, R1_ERR_INVAL, "version 2 is not supported", "version 2");
	memcpy(g, f, len);
	g[5] = 1;
	expect_refusal(g, len, len, R1_ERR_INVAL, "version 257", "version high byte");
	memcpy(g, f, len);
	g[6] = 0;
	expect_refusal(g, len, len, R1_ERR_INVAL, "unknown dtype 0", "dtype 0");
	memcpy(g, f, len);
	g[6] = 3;
	expect_refusal(g, len, len, R1_ERR_INVAL, "unknown dtype 3", "dtype 3");
	memcpy(g, f, len);
	g[7] = 1;
	expect_refusal(g, len, len, R1_ERR_INVAL, "unknown order 1", "column-major");
	memcpy(g, f, len);
	g[31] = 1;
	expect_refusal(g, len, len, R1_ERR_INVAL, "reserved header bytes", "reserved byte");
	memcpy(g, f, len);
	put_le64(g + 8, 0);
	expect_refusal(g, len, len, R1_ERR_INVAL, "empty matrix (0 x 3)", "zero rows");
	memcpy(g, f, len);
	put_le64(g + 16, 0);
	expect_refusal(g, len, len, R1_ERR_INVAL, "empty matrix (2 x 0)", "zero cols");
	memcpy(g, f, len);
	put_le64(g + 8, UINT64_C(1) << 31);
	expect_refusal(g, len, len, R1_ERR_INVAL, "exceeds the largest dimension", "2^31 rows");
	memcpy(g, f, len);
	put_le64(g + 8, UINT64_MAX);
	expect_refusal(g, len, len, R1_ERR_INVAL, "exceeds the largest dimension", "2^64-1 rows");
	memcpy(g, f, len);
	put_le64(g + 8, MATRIX_DIM_MAX);
	put_le64(g + 16, MATRIX_DIM_MAX);
	/* (2^31-1)^2 * 8 bytes is above 2^64. */
	expect_refusal(g, len, len, R1_ERR_TOOBIG, "does not fit in memory", "size overflow");
	memcpy(g, f, len);
	put_le64(g + 8, UINT64_C(1) << 20);
	put_le64(g + 16, UINT64_C(1) << 20);
	expect_refusal(g, len, len, R1_ERR_INVAL, "needs 8796093022240 bytes, the file has 80",
	               "huge but representable: refused for its length");

	expect_refusal(f, len, len - 1, R1_ERR_INVAL,
	               "truncated file: 2 x 3 float64 needs 80 bytes, the file has 79",
	               "one byte short");
	expect_refusal(f, len, 32, R1_ERR_INVAL, "the file has 32", "header only");
	expect_refusal(f, len, len + 5, R1_ERR_INVAL, "5 trailing bytes after 2 x 3 float64",
	               "trailing bytes");
	memcpy(g, f, len);
	g[6] = 1; /* float32: 24 data bytes, the file has 48 */
	expect_refusal(g, len, len, R1_ERR_INVAL, "24 trailing bytes",
	               "dtype inconsistent with size");
	memcpy(g, f, len);
	put_le64(g + 16, 4); /* 2 x 4 float64 needs 64 bytes */
	expect_refusal(g, len, len, R1_ERR_INVAL, "needs 96 bytes, the file has 80",
	               "shape inconsistent with size");

	struct matrix m;
	char *why = NULL;
	is_int(matrix_decode(f, len - 8, true, &m, &why), R1_ERR_INVAL, "decode of a cut file");
	ok(matrix_is_empty(&m), "nothing decoded");
	r1_free(why);
	r1_free(f);
}

static void test_round_trip(void)
{
	struct matrix m;
	char *why = NULL;
	is_int(matrix_alloc(&m, MX_F32, 3, 2, true, &why), R1_OK, "3x2 float32 allocated");
	for (size_t i = 0; i < 3; i++)
		for (size_t j = 0; j < 2; j++)
			matrix_set(&m, i, j, (double)i * 10 + (double)j + 0.5);
	ok(matrix_get(&m, 2, 1) == 21.5, "element (2,1) = 21.5");
	is_int(matrix_data_len(&m), 24, "24 data bytes");

	struct buf b = BUF_INIT;
	is_int(matrix_encode(&m, &b, &why), R1_OK, "encoded");
	is_int(b.len, 56, "32 + 24 bytes");

	/* buf data is malloc'd: the data after the 32-byte header is aligned. */
	struct matrix v;
	is_int(matrix_decode(b.data, b.len, true, &v, &why), R1_OK, "decoded, borrowing");
	ok(v.block == NULL && (uint8_t *)v.data == (uint8_t *)b.data + 32, "borrowed: no copy");
	is_mem(v.data, 24, m.data, 24, "same elements");
	matrix_release(&v);

	is_int(matrix_decode(b.data, b.len, false, &v, &why), R1_OK, "decoded, copying");
	ok(v.block != NULL && v.data != (void *)((uint8_t *)b.data + 32), "copied");
	is_mem(v.data, 24, m.data, 24, "same elements in the copy");
	matrix_release(&v);

	/* Misaligned input: borrowing falls back to a copy. */
	uint8_t *odd = r1_malloc(b.len + 1);
	memcpy(odd + 1, b.data, b.len);
	is_int(matrix_decode(odd + 1, b.len, true, &v, &why), R1_OK, "misaligned decode");
	ok(v.block != NULL, "misaligned data copied rather than borrowed");
	ok(matrix_get(&v, 1, 1) == 11.5, "element (1,1) = 11.5");
	matrix_release(&v);
	r1_free(odd);

	/* In-place file view of an allocated matrix: same bytes as the encoding. */
	const void *view;
	size_t vlen;
	ok(matrix_file_view(&m, &view, &vlen), "allocated matrices have room for the header");
	is_mem(view, vlen, b.data, b.len, "file view equals the encoding");
	ok((const uint8_t *)view + 32 == (const uint8_t *)m.data,
	   "no copy: header right before data");
	struct matrix borrowed = {.dtype = MX_F32, .rows = 3, .cols = 2, .data = m.data};
	ok(!matrix_file_view(&borrowed, &view, &vlen), "a borrowed matrix has no file view");

	/* A matrix laid in a given block. */
	void *blk = r1_malloc(32 + 48);
	struct matrix in;
	ok(!matrix_in_block(&in, blk, 32 + 47, MX_F64, 2, 3), "a block too small is refused");
	ok(matrix_in_block(&in, blk, 32 + 48, MX_F64, 2, 3), "2x3 float64 laid in 80 bytes");
	ok(in.block == blk && (uint8_t *)in.data == (uint8_t *)blk + 32, "after header room");
	is_int(matrix_block_len(&in), 80, "block length");
	is_int(matrix_block_len(&borrowed), 0, "a borrowed matrix has no block");
	matrix_release(&in);

	size_t len = b.len;
	char *file = buf_detach(&b, &len);
	is_int(matrix_adopt_file(file, len, &v, &why), R1_OK, "adopted");
	ok(v.block == file && (uint8_t *)v.data == (uint8_t *)file + 32, "adopted without a copy");
	ok(matrix_get(&v, 0, 1) == 1.5, "element (0,1) = 1.5");
	matrix_release(&v); /* frees the file */

	struct matrix d;
	is_int(matrix_convert(&m, MX_F64, &d, &why), R1_OK, "converted to float64");
	is_int(d.dtype, MX_F64, "dtype float64");
	ok(matrix_get(&d, 2, 0) == 20.5, "element (2,0) = 20.5");
	struct matrix back = {0};
	is_int(matrix_convert(&d, MX_F32, &back, &why), R1_OK, "and back");
	is_mem(back.data, 24, m.data, 24, "float32 -> float64 -> float32 is exact");
	matrix_release(&back);
	matrix_move(&back, &d);
	ok(matrix_is_empty(&d) && back.dtype == MX_F64, "move empties the source");
	matrix_release(&back);
	matrix_release(&m);
}

static void test_files(void)
{
	const char *dir = tap_tmpdir();
	char path[512], bad[512];
	snprintf(path, sizeof(path), "%s/m.r1mx", dir);
	snprintf(bad, sizeof(bad), "%s/bad.r1mx", dir);
	struct matrix m, r;
	char *why = NULL;
	is_int(matrix_alloc(&m, MX_F64, 4, 5, false, &why), R1_OK, "4x5 float64");
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < 5; j++)
			matrix_set(&m, i, j, (double)(i * 5 + j) / 3.0);
	is_int(matrix_write_file(path, &m, &why), R1_OK, "written");
	struct stat st;
	ok(stat(path, &st) == 0 && st.st_size == 32 + 160, "file is 192 bytes");
	is_int(matrix_read_file(path, 0, &r, &why), R1_OK, "read back");
	ok(r.rows == 4 && r.cols == 5 && r.dtype == MX_F64, "same shape and dtype");
	is_mem(r.data, 160, m.data, 160, "same elements");
	matrix_release(&r);

	is_int(matrix_read_file(path, 159, &r, &why), R1_ERR_TOOBIG, "above the cap refused");
	ok(why && strstr(why, "needs 160 bytes, above the limit of 159"), "reason: %s",
	   why ? why : "(none)");
	ok(matrix_is_empty(&r), "nothing allocated");
	is_int(matrix_read_file(path, 160, &r, &why), R1_OK, "exactly at the cap accepted");
	matrix_release(&r);

	/* Truncate: copy all but the last 3 bytes. */
	size_t len;
	char *bytes = tap_read_file(path, &len);
	FILE *f = fopen(bad, "wb");
	fwrite(bytes, 1, len - 3, f);
	fclose(f);
	r1_free(why);
	why = NULL;
	is_int(matrix_read_file(bad, 0, &r, &why), R1_ERR_INVAL, "truncated file refused");
	ok(why && strstr(why, "bad.r1mx") && strstr(why, "truncated file"), "reason: %s",
	   why ? why : "(none)");
	f = fopen(bad, "wb");
	fwrite(bytes, 1, len, f);
	fwrite("xx", 1, 2, f);
	fclose(f);
	is_int(matrix_read_file(bad, 0, &r, &why), R1_ERR_INVAL, "oversized file refused");
	ok(why && strstr(why, "2 trailing bytes"), "reason: %s", why ? why : "(none)");
	f = fopen(bad, "wb");
	fwrite(bytes, 1, 10, f);
	fclose(f);
	is_int(matrix_read_file(bad, 0, &r, &why), R1_ERR_INVAL, "10-byte file refused");
	ok(why && strstr(why, "truncated header"), "reason: %s", why ? why : "(none)");
	free(bytes);

	snprintf(bad, sizeof(bad), "%s/missing.r1mx", dir);
	is_int(matrix_read_file(bad, 0, &r, &why), R1_ERR_IO, "missing file");
	ok(why && strstr(why, "cannot open") && strstr(why, "No such file"), "reason: %s",
	   why ? why : "(none)");
	snprintf(bad, sizeof(bad), "%s/nodir/x.r1mx", dir);
	is_int(matrix_write_file(bad, &m, &why), R1_ERR_IO, "write into a missing directory");
	r1_free(why);
	matrix_release(&m);
}

static void test_alloc_failures(void)
{
	struct matrix m;
	char *why = NULL;
	r1_alloc_fail_after(0);
	is_int(matrix_alloc(&m, MX_F64, 2, 2, false, &why), R1_ERR_NOMEM, "allocation failure");
	r1_alloc_fail_after(-1);
	ok(matrix_is_empty(&m), "empty after NOMEM");
	r1_free(why);
	why = NULL;

	size_t len;
	uint8_t *f = valid_file(&len);
	r1_alloc_fail_after(0);
	is_int(matrix_decode(f, len, false, &m, &why), R1_ERR_NOMEM,
	       "copying decode fails cleanly");
	r1_alloc_fail_after(-1);
	r1_free(why);
	r1_free(f);
}

int main(void)
{
	test_degenerate();
	test_dtypes();
	test_header_bytes();
	test_refusals();
	test_round_trip();
	test_files();
	test_alloc_failures();
	return tap_done();
}
