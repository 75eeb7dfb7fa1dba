/*
 * R1MX matrices in and out of R1FS (see mxstore.h).  The size check before
 * a fetch uses what R1FS can tell without decrypting (the cumulative size
 * of the stored DAG, a little above the plain file); the exact check is the
 * header's, after the fetch, which r1fs_get_bytes bounds anyway.
 */
#include "node/lib.h"
#include "node/compute/mxstore.h"

enum r1_err mxstore_get(struct r1fs *fs, const char *cid, const char *secret, const char *what,
                        uint64_t max_bytes, struct matrix *out, char **why)
{
	*out = (struct matrix){0};
	if (!cid || !cid[0])
		return r1_fail(why, R1_ERR_INVAL, "%s: no CID given", what);
	struct r1fs_stat st;
	if (max_bytes && r1fs_stat(fs, cid, &st, NULL) == R1_OK &&
	    st.cumulative > max_bytes + MATRIX_HEADER_LEN + 4096)
		return r1_fail(why, R1_ERR_TOOBIG,
		               "%s (%s): %" PRIu64 " bytes in R1FS, above the limit of %" PRIu64,
		               what, cid, st.cumulative, max_bytes);
	struct r1fs_get_opts go = R1FS_GET_OPTS_INIT;
	go.secret = secret;
	go.pin = false;
	uint8_t *data = NULL;
	size_t len = 0;
	size_t cap = max_bytes ? (size_t)R1_MIN(max_bytes + MATRIX_HEADER_LEN, (uint64_t)SIZE_MAX)
	                       : (size_t)R1FS_MAX_FILE_SIZE;
	char *rwhy = NULL;
	enum r1_err err = r1fs_get_bytes(fs, cid, &go, cap, &data, &len, NULL, &rwhy);
	if (err) {
		const char *how = err == R1_ERR_NOTFOUND ? "not in R1FS"
		                  : err == R1_ERR_TOOBIG ? "above the memory limit"
		                                         : "cannot fetch";
		err = r1_fail(why, err, "%s (%s): %s: %s", what, cid, how,
		              rwhy ? rwhy : r1_strerror(err));
		r1_free(rwhy);
		return err;
	}
	err = matrix_adopt_file(data, len, out, why);
	if (err) {
		r1_free(data);
		r1_why_prefix(why, "%s (%s)", what, cid);
		return err;
	}
	return R1_OK;
}

enum r1_err mxstore_put(struct r1fs *fs, struct matrix *m, const char *name, const char *secret,
                        char cid[R1FS_CID_TEXT_MAX], char **why)
{
	const void *file;
	size_t len;
	struct buf enc = BUF_INIT;
	enum r1_err err;
	if (!matrix_file_view(m, &file, &len)) {
		err = matrix_encode(m, &enc, why);
		if (err)
			return err;
		file = enc.data;
		len = enc.len;
	}
	struct r1fs_add_opts ao = R1FS_ADD_OPTS_INIT;
	ao.secret = secret;
	struct r1fs_added added;
	err = r1fs_add_bytes(fs, file, len, name, &ao, &added, why);
	buf_release(&enc);
	if (err)
		return err;
	memcpy(cid, added.cid, R1FS_CID_TEXT_MAX);
	return R1_OK;
}
