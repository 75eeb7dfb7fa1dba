#ifndef R1_NODE_COMPUTE_MXSTORE_H
#define R1_NODE_COMPUTE_MXSTORE_H
/*
 * R1MX matrices in R1FS: fetch one by CID into a matrix (the decrypted file
 * is adopted, not copied) and add one as a file (its bytes handed to R1FS
 * in place when the matrix has header room).  Both are slow (AES-GCM and
 * SHA-256 over the whole file) and are meant for a worker thread; R1FS is
 * thread-safe.  This module does not decide limits: callers pass them.
 */
#include "core/common.h"
#include "core/err.h"
#include "node/compute/matrix.h"
#include "node/r1fs/r1fs.h"

/*
 * The matrix stored under `cid` (a wrapping directory or the file), with
 * the R1FS `secret` (NULL = the default).  `what` names it in reasons
 * ("A").  Data above `max_bytes` (0 = no cap) is refused with R1_ERR_TOOBIG,
 * before the fetch when R1FS already knows the size.  Errors:
 * R1_ERR_NOTFOUND ("A (Qm...): not in R1FS: ..."), R1_ERR_INVAL (a bad CID,
 * not an R1MX file, with matrix.c's reason), R1_ERR_CRYPTO, R1_ERR_TOOBIG,
 * R1_ERR_NOMEM and R1FS's other errors.
 */
enum r1_err mxstore_get(struct r1fs *fs, const char *cid, const char *secret, const char *what,
                        uint64_t max_bytes, struct matrix *out, char **why);

/*
 * Add `m` to R1FS as the file `name` (e.g. "c.r1mx"); cid gets the CID the
 * reference would return (the wrapping directory).  Errors: R1_ERR_INVAL
 * (empty matrix), R1_ERR_TOOBIG (quota), and R1FS's errors.
 */
enum r1_err mxstore_put(struct r1fs *fs, struct matrix *m, const char *name, const char *secret,
                        char cid[R1FS_CID_TEXT_MAX], char **why);

#endif
