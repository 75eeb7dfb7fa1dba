#ifndef R1_NODE_R1FS_UNSEAL_H
#define R1_NODE_R1FS_UNSEAL_H
/*
 * Decryption side of the R1FS file format (layout in seal.h).  An unseal
 * takes the encrypted file as a stream of pieces of any size, with no need
 * to know its length: it parses the header, decrypts the metadata, and
 * from then on returns content while always holding back the last 16 bytes,
 * which turn out to be the tag when the stream ends.
 *
 * Nothing it returns is authentic until r1fs_unseal_final has succeeded: a
 * caller writes the content to a temporary file and gives it its name only
 * afterwards.  For the same reason every problem with the metadata (not
 * JSON, a file name that is not a plain name) is reported by final, after
 * the tag: with a wrong secret the metadata is noise, and "wrong secret or
 * corrupted file" is the true reason.
 */
#include "core/common.h"
#include "core/err.h"
#include "node/r1fs/seal.h"

/* The name the reference restores when the metadata has no "filename". */
#define R1FS_DEFAULT_RESTORED_NAME "restored_file.bin"

struct r1fs_unseal;

/* R1_ERR_CRYPTO (cipher set-up), R1_ERR_NOMEM. */
enum r1_err r1fs_unseal_new(const uint8_t key[R1FS_KEY_LEN], struct r1fs_unseal **out, char **why);
void r1fs_unseal_free(struct r1fs_unseal **u);

/*
 * Feed len bytes of the encrypted file.  Plaintext content goes to out,
 * which must have room for len + R1FS_TAG_LEN bytes; *out_len gets how
 * many.  R1_ERR_PROTO for a metadata length above R1FS_META_MAX,
 * R1_ERR_CRYPTO.
 */
enum r1_err r1fs_unseal_update(struct r1fs_unseal *u, const uint8_t *in, size_t len, uint8_t *out,
                               size_t *out_len, char **why);

/*
 * End of the file: verify the tag, then the metadata.  R1_ERR_PROTO when
 * the file is shorter than its header says; R1_ERR_CRYPTO when the tag does
 * not match (wrong secret or altered data); R1_ERR_PROTO for metadata that
 * is not a JSON object; R1_ERR_INVAL for a file name that is not a single
 * safe path component.
 */
enum r1_err r1fs_unseal_final(struct r1fs_unseal *u, char **why);

/* The restored file name (raw bytes, NUL-terminated) once final succeeded; else NULL. */
const char *r1fs_unseal_name(const struct r1fs_unseal *u);

/* Content bytes returned so far. */
uint64_t r1fs_unseal_content_len(const struct r1fs_unseal *u);

#endif
