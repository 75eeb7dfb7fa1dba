/*
 * Matrices through R1FS: mxstore put/get round trips (zero-copy adoption),
 * the size cap before and after a fetch, a CID that is not there, a file
 * that is not R1MX; then the engine's R1FS jobs on a real store in a
 * temporary directory: a product of two CIDs stored as a CID (checked
 * against the naive product), a missing operand, the memory limit hit by
 * fetched operands, split into row blocks (plain and transposed) and
 * assemble back, an index and a search from CIDs, and jobs refused on an
 * engine without R1FS.
 */
#include "node/lib.h"
#include "core/db.h"
#include "node/compute/compute.h"
#include "node/compute/mxstore.h"
#include "tests/tap.h"
#include "tests/unit/compute/refblas.h"

#include <sys/stat.h>

static sqlite3 *db;
static struct r1fs *fs;

static void store_open(void)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/node", tap_tmpdir());
	mkdir(p.data, 0755);
	struct buf dbp = BUF_INIT;
	buf_addf(&dbp, "%s/node.db", p.data);
	char *why = NULL;
	if (db_open(dbp.data, &db, &why) != R1_OK)
		tap_bail("db_open: %s", why);
	struct r1fs_options opt = R1FS_OPTIONS_INIT;
	opt.sync = R1FS_SYNC_NONE;
	if (r1fs_open(p.data, db, &opt, &fs, &why) != R1_OK)
		tap_bail("r1fs_open: %s", why);
	buf_release(&p);
	buf_release(&dbp);
}

static void filled(struct matrix *m, enum mx_dtype dt, size_t r, size_t c, uint32_t seed)
{
	if (matrix_alloc(m, dt, r, c, false, NULL))
		tap_bail("alloc");
	ref_fill(m, seed);
}

static void put(struct matrix *m, const char *name, char cid[R1FS_CID_TEXT_MAX])
{
	char *why = NULL;
	if (mxstore_put(fs, m, name, NULL, cid, &why) != R1_OK)
		tap_bail("mxstore_put: %s", why);
}

static void test_mxstore(void)
{
	struct matrix m, back;
	char cid[R1FS_CID_TEXT_MAX], *why = NULL;
	filled(&m, MX_F64, 5, 7, 1);
	is_int(mxstore_put(fs, &m, "m.r1mx", NULL, cid, &why), R1_OK, "matrix added to R1FS");
	ok(strncmp(cid, "Qm", 2) == 0, "a CIDv0 as the reference returns: %s", cid);
	is_int(mxstore_get(fs, cid, NULL, "M", 0, &back, &why), R1_OK, "fetched back");
	ok(back.rows == 5 && back.cols == 7 && back.dtype == MX_F64, "same shape");
	is_mem(back.data, 280, m.data, 280, "same elements");
	ok(back.block && (uint8_t *)back.data == (uint8_t *)back.block + 32,
	   "the decrypted file adopted, no copy");
	matrix_release(&back);

	/* A borrowed matrix (no header room) is encoded with a copy: same file, same CID. */
	struct matrix view = {.dtype = MX_F64, .rows = 5, .cols = 7, .data = m.data};
	char cid2[R1FS_CID_TEXT_MAX];
	is_int(mxstore_put(fs, &view, "m.r1mx", NULL, cid2, &why), R1_OK, "borrowed matrix added");
	is_int(mxstore_get(fs, cid2, NULL, "M", 0, &back, &why), R1_OK, "and fetched");
	is_mem(back.data, 280, m.data, 280, "same elements");
	matrix_release(&back);

	is_int(mxstore_get(fs, cid, NULL, "M", 279, &back, &why), R1_ERR_TOOBIG,
	       "a cap below the data refused");
	ok(why && strstr(why, "M (") && strstr(why, "above"), "reason: %s", why ? why : "");
	is_int(mxstore_get(fs, cid, NULL, "M", 280, &back, &why), R1_OK, "the exact size fits");
	matrix_release(&back);

	/* A CID that R1FS does not hold. */
	struct r1fs_add_opts only = R1FS_ADD_OPTS_INIT;
	only.only_hash = true;
	struct r1fs_added ghost;
	r1fs_add_bytes(fs, "not stored", 10, "x.r1mx", &only, &ghost, NULL);
	is_int(mxstore_get(fs, ghost.cid, NULL, "A", 0, &back, &why), R1_ERR_NOTFOUND,
	       "a CID not in R1FS");
	ok(why && strstr(why, "A (") && strstr(why, ghost.cid) && strstr(why, "not in R1FS"),
	   "reason names the operand and the CID: %s", why ? why : "");
	is_int(mxstore_get(fs, "not-a-cid", NULL, "A", 0, &back, &why), R1_ERR_INVAL,
	       "a malformed CID");

	/* A file that is not a matrix. */
	struct r1fs_add_opts ao2 = R1FS_ADD_OPTS_INIT;
	struct r1fs_added txt;
	static const char text[] = "hello, this text file is not a matrix at all";
	r1fs_add_bytes(fs, text, sizeof(text) - 1, "x.txt", &ao2, &txt, NULL);
	is_int(mxstore_get(fs, txt.cid, NULL, "B", 0, &back, &why), R1_ERR_INVAL,
	       "a file that is not R1MX");
	ok(why && strstr(why, "not an R1MX file"), "reason: %s", why ? why : "");
	is_int(mxstore_get(fs, "", NULL, "B", 0, &back, &why), R1_ERR_INVAL, "no CID");
	ok(matrix_is_empty(&back), "nothing left on failure");
	r1_free(why);
	matrix_release(&m);
}

struct seen {
	enum compute_state state;
	char why[300];
	char cid[R1FS_CID_TEXT_MAX];
	char (*cids)[R1FS_CID_TEXT_MAX];
	size_t ncids;
	struct matrix c;
	struct vindex *index;
	struct vsearch_hit *hits;
	size_t k;
	double io;
};

static void on_done(void *ctx, struct compute_result *r)
{
	struct seen *s = ctx;
	s->state = r->state;
	snprintf(s->why, sizeof(s->why), "%s", r->why ? r->why : "");
	memcpy(s->cid, r->result_cid, sizeof(s->cid));
	r1_free(s->cids);
	s->cids = r->cids;
	s->ncids = r->ncids;
	r->cids = NULL;
	matrix_release(&s->c);
	matrix_move(&s->c, &r->c);
	if (r->index) {
		vindex_unref(&s->index);
		s->index = r->index;
		r->index = NULL;
	}
	r1_free(s->hits);
	s->hits = r->hits;
	r->hits = NULL;
	s->k = r->k;
	s->io = r->io_seconds;
}

static void seen_release(struct seen *s)
{
	r1_free(s->cids);
	matrix_release(&s->c);
	vindex_unref(&s->index);
	r1_free(s->hits);
	memset(s, 0, sizeof(*s));
}

static void test_engine_r1fs(void)
{
	struct compute *c = NULL;
	char *why = NULL;
	compute_new(NULL, NULL, NULL, &c, NULL);
	compute_set_r1fs(c, fs, NULL);

	struct matrix a, b;
	char ca[R1FS_CID_TEXT_MAX], cb[R1FS_CID_TEXT_MAX];
	filled(&a, MX_F32, 9, 6, 3);
	filled(&b, MX_F32, 4, 6, 4); /* used transposed: op(B) is 6 x 4 */
	put(&a, "a.r1mx", ca);
	put(&b, "b.r1mx", cb);
	struct gemm_spec s = {.trans_b = true, .alpha = 2, .dtype = MX_F64};
	double ref[36], scale[36];
	ref_gemm(&s, &a, &b, NULL, ref, scale);

	struct seen seen = {0};
	struct compute_gemm_req req = {.spec = s, .store_as = "c.r1mx"};
	req.a.cid = ca;
	req.b.cid = cb;
	is_int(compute_submit_gemm_req(c, NULL, &req, on_done, &seen, NULL, &why), R1_OK,
	       "product of two CIDs submitted");
	is_int(seen.state, COMPUTE_DONE, "done: %s", seen.why);
	ok(strncmp(seen.cid, "Qm", 2) == 0, "result stored: %s", seen.cid);
	ok(matrix_is_empty(&seen.c), "not handed back without keep_result");
	ok(seen.io > 0, "R1FS time reported separately (%.4f s)", seen.io);
	struct matrix got;
	is_int(mxstore_get(fs, seen.cid, NULL, "C", 0, &got, &why), R1_OK, "result fetched");
	ok(got.rows == 9 && got.cols == 4 && got.dtype == MX_F64, "9 x 4 float64 (converted)");
	double e = got.rows == 9 ? ref_max_err(&got, ref, scale) : INFINITY;
	ok(e < 1e-14, "equals the naive product (max error %.3g)", e);
	matrix_release(&got);

	/* keep_result hands the product back too; a mixed in-memory + CID product. */
	matrix_release(&a);
	filled(&a, MX_F32, 9, 6, 3);
	struct compute_gemm_req req2 = {.spec = s, .store_as = "c2.r1mx", .keep_result = true};
	matrix_move(&req2.a.m, &a);
	req2.b.cid = cb;
	compute_submit_gemm_req(c, NULL, &req2, on_done, &seen, NULL, &why);
	ok(seen.state == COMPUTE_DONE && seen.c.rows == 9 && seen.cid[0], "kept and stored");

	/* A missing operand. */
	struct r1fs_add_opts only = R1FS_ADD_OPTS_INIT;
	only.only_hash = true;
	struct r1fs_added ghost;
	r1fs_add_bytes(fs, "gone", 4, "g.r1mx", &only, &ghost, NULL);
	struct compute_gemm_req req3 = {.spec = s};
	req3.a.cid = ca;
	req3.b.cid = ghost.cid;
	compute_submit_gemm_req(c, NULL, &req3, on_done, &seen, NULL, &why);
	is_int(seen.state, COMPUTE_FAILED, "missing B fails the job");
	ok(strstr(seen.why, "B (") && strstr(seen.why, "not in R1FS"), "reason: %s", seen.why);

	/* Non-conforming CID operands are found on the worker. */
	struct compute_gemm_req req4 = {.spec = {.alpha = 1, .dtype = MX_F32}};
	req4.a.cid = ca;
	req4.b.cid = cb;
	compute_submit_gemm_req(c, NULL, &req4, on_done, &seen, NULL, &why);
	is_int(seen.state, COMPUTE_FAILED, "9x6 by 4x6 fails");
	is_str(seen.why,
	       "gemm: non-conforming dimensions: op(A) is 9 x 6, op(B) is 4 x 6 (inner 6 != 4)",
	       "with the shapes");

	/* The memory limit, checked once the operands' sizes are known. */
	struct compute_gemm_req req5 = {.spec = s, .mem_limit = 216 + 96 + 216 + 96 + 100};
	req5.a.cid = ca;
	req5.b.cid = cb;
	compute_submit_gemm_req(c, NULL, &req5, on_done, &seen, NULL, &why);
	is_int(seen.state, COMPUTE_FAILED, "a product above the job's limit fails");
	ok(strstr(seen.why,
	          "the job needs 1224 bytes, above the per-job memory limit of 724 bytes"),
	   "before C is allocated: %s", seen.why);
	struct compute_gemm_req req6 = {.spec = s, .mem_limit = 100};
	req6.a.cid = ca;
	req6.b.cid = cb;
	compute_submit_gemm_req(c, NULL, &req6, on_done, &seen, NULL, &why);
	ok(seen.state == COMPUTE_FAILED &&
	       strstr(seen.why, "does not fit in the per-job memory limit of 100 bytes") &&
	       strstr(seen.why, "A ("),
	   "an operand above the limit is not fetched: %s", seen.why);

	/* Split and assemble. */
	filled(&a, MX_F64, 10, 4, 7);
	char csrc[R1FS_CID_TEXT_MAX];
	put(&a, "src.r1mx", csrc);
	uint64_t row0[] = {0, 3, 7}, rows[] = {3, 4, 3};
	struct compute_split_req sp = {.nparts = 3, .row0 = row0, .rows = rows, .prefix = "blk"};
	sp.src.cid = csrc;
	is_int(compute_submit_split(c, NULL, &sp, on_done, &seen, NULL, &why), R1_OK, "split");
	ok(seen.state == COMPUTE_DONE && seen.ncids == 3, "3 blocks: %s", seen.why);
	bool blocks_ok = seen.ncids == 3;
	for (size_t p = 0; blocks_ok && p < 3; p++) {
		struct matrix blk;
		blocks_ok = mxstore_get(fs, seen.cids[p], NULL, "blk", 0, &blk, NULL) == R1_OK &&
		            blk.rows == rows[p] && blk.cols == 4 &&
		            memcmp(blk.data, (double *)a.data + row0[p] * 4, rows[p] * 32) == 0;
		matrix_release(&blk);
	}
	ok(blocks_ok, "each block holds its rows");
	const char *parts[3];
	char(*kept)[R1FS_CID_TEXT_MAX] = seen.cids;
	seen.cids = NULL;
	for (int p = 0; p < 3; p++)
		parts[p] = kept[p];
	struct compute_assemble_req as = {.cids = parts,
	                                  .nparts = 3,
	                                  .rows = 10,
	                                  .cols = 4,
	                                  .dtype = MX_F64,
	                                  .store_as = "whole.r1mx"};
	is_int(compute_submit_assemble(c, NULL, &as, on_done, &seen, NULL, &why), R1_OK,
	       "assemble");
	is_int(seen.state, COMPUTE_DONE, "assembled: %s", seen.why);
	struct matrix whole;
	ok(mxstore_get(fs, seen.cid, NULL, "whole", 0, &whole, NULL) == R1_OK && whole.rows == 10 &&
	       memcmp(whole.data, a.data, 320) == 0,
	   "split then assemble gives the matrix back");
	matrix_release(&whole);
	as.rows = 11;
	compute_submit_assemble(c, NULL, &as, on_done, &seen, NULL, &why);
	ok(seen.state == COMPUTE_FAILED &&
	       strstr(seen.why, "the parts have 10 rows, the result 11"),
	   "rows that do not add up: %s", seen.why);
	as.rows = 10;
	as.cols = 5;
	compute_submit_assemble(c, NULL, &as, on_done, &seen, NULL, &why);
	ok(seen.state == COMPUTE_FAILED && strstr(seen.why, "part 0 (") &&
	       strstr(seen.why, "is 3 x 4 float64; expected 5 columns"),
	   "a block of the wrong width: %s", seen.why);
	r1_free(kept);

	/* Transposed split: blocks of op(A) = A^T (4 x 10). */
	uint64_t t0[] = {0, 1}, tr[] = {1, 3};
	struct compute_split_req spt = {.trans = true, .nparts = 2, .row0 = t0, .rows = tr};
	matrix_move(&spt.src.m, &a);
	filled(&a, MX_F64, 10, 4, 7);
	compute_submit_split(c, NULL, &spt, on_done, &seen, NULL, &why);
	struct matrix blk;
	ok(seen.state == COMPUTE_DONE &&
	       mxstore_get(fs, seen.cids[1], NULL, "blk", 0, &blk, NULL) == R1_OK &&
	       blk.rows == 3 && blk.cols == 10 && matrix_get(&blk, 0, 9) == matrix_get(&a, 9, 1) &&
	       matrix_get(&blk, 2, 0) == matrix_get(&a, 0, 3),
	   "a transposed block holds columns of A");
	matrix_release(&blk);
	uint64_t bad0[] = {8}, badr[] = {3};
	struct compute_split_req spb = {.nparts = 1, .row0 = bad0, .rows = badr};
	spb.src.cid = csrc;
	compute_submit_split(c, NULL, &spb, on_done, &seen, NULL, &why);
	ok(seen.state == COMPUTE_FAILED &&
	       strstr(seen.why, "part 0 (rows 8..11) is outside the 10 rows"),
	   "a range past the end: %s", seen.why);
	uint64_t zr[] = {0};
	spb.rows = zr;
	is_int(compute_submit_split(c, NULL, &spb, on_done, &seen, NULL, &why), R1_ERR_INVAL,
	       "an empty part is refused at submit");

	/* Index and search from CIDs. */
	struct compute_operand emb = {.cid = csrc};
	is_int(compute_submit_index_op(c, NULL, &emb, 0, on_done, &seen, NULL, &why), R1_OK,
	       "index from a CID");
	ok(seen.state == COMPUTE_DONE && seen.index && vindex_rows(seen.index) == 10,
	   "10-row index");
	struct vindex *ix = seen.index;
	seen.index = NULL;
	struct compute_operand qs = {.cid = csrc};
	is_int(compute_submit_search_op(c, NULL, ix, &qs, 1, 0, on_done, &seen, NULL, &why), R1_OK,
	       "search with queries from a CID");
	bool self_first = seen.state == COMPUTE_DONE && seen.hits;
	for (int qi = 0; self_first && qi < 10; qi++)
		self_first = seen.hits[qi].row == qi;
	ok(self_first, "each row's best match is itself");
	struct compute_operand qbad = {.cid = ca}; /* 6 columns, the index has 4 */
	compute_submit_search_op(c, NULL, ix, &qbad, 1, 0, on_done, &seen, NULL, &why);
	ok(seen.state == COMPUTE_FAILED && strstr(seen.why, "dimension 6, the index has 4"),
	   "a query matrix of the wrong width: %s", seen.why);
	vindex_unref(&ix);

	/* Without R1FS, CID jobs are refused. */
	struct compute *bare = NULL;
	compute_new(NULL, NULL, NULL, &bare, NULL);
	struct compute_gemm_req req7 = {.spec = s};
	req7.a.cid = ca;
	req7.b.cid = cb;
	is_int(compute_submit_gemm_req(bare, NULL, &req7, on_done, &seen, NULL, &why), R1_ERR_STATE,
	       "no R1FS: refused");
	is_str(why, "gemm: this node has no R1FS", "reason");
	compute_free(&bare);

	r1_free(why);
	matrix_release(&a);
	matrix_release(&b);
	seen_release(&seen);
	compute_free(&c);
}

int main(void)
{
	store_open();
	test_mxstore();
	test_engine_r1fs();
	r1fs_free(&fs);
	db_close(&db);
	return tap_done();
}
