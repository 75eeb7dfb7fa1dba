#ifndef R1_NODE_R1FS_SEAL_H
#define R1_NODE_R1FS_SEAL_H
/*
 * Encryption side of the reference's R1FS file format:
 *
 *   nonce(12) || meta_len(4, big-endian) || AES-256-GCM(meta || content) || tag(16)
 *
 * where meta is json.dumps({"filename": <base name>}) (ASCII-escaped, ", "
 * and ": " separators), the key is SHA-256 of the UTF-8 secret ("ratio1"
 * when the secret is NULL or empty) and one GCM stream covers the metadata
 * and the content.  A seal streams: the caller writes the header, then feeds
 * content through r1fs_seal_update in pieces of any size, then appends the
 * tag; nothing is held but the cipher state.  The decrypting side is
 * unseal.h.  AES-GCM is OpenSSL's EVP (AES-NI/VAES): libsodium only offers
 * one-shot AES-GCM, which cannot stream a 5 GB file.
 */
#include "core/common.h"
#include "core/err.h"

#define R1FS_KEY_LEN        32
#define R1FS_NONCE_LEN      12
#define R1FS_TAG_LEN        16
#define R1FS_DEFAULT_SECRET "ratio1"
/* Largest metadata we write or accept (a file name escaped six-fold fits easily). */
#define R1FS_META_MAX 65536
/* Bytes before the content: nonce, length and the metadata. */
#define R1FS_SEAL_OVERHEAD(meta_len) (R1FS_NONCE_LEN + 4 + (meta_len) + R1FS_TAG_LEN)

/* key = SHA-256(UTF-8 secret); NULL or "" means "ratio1". */
void r1fs_key_from_secret(const char *secret, uint8_t key[R1FS_KEY_LEN]);

/* Python's random.Random(seed).randbytes(12) for the integer nonce |seed|. */
void r1fs_nonce_from_int(uint64_t seed, uint8_t nonce[R1FS_NONCE_LEN]);

/*
 * The metadata bytes for a base name, exactly as the reference writes them.
 * Bytes that are not UTF-8 are escaped as Python's surrogateescape would
 * (\udcXX).  R1_ERR_INVAL for a name that is not a single path component
 * (empty, ".", "..", or containing '/' or NUL); R1_ERR_NOMEM.
 */
enum r1_err r1fs_meta_encode(const char *name, char **meta, size_t *meta_len, char **why);

/*
 * Whether `name` may become a file name in a directory we write to: not
 * empty, not "." or "..", no '/' and no NUL within name_len bytes.
 */
bool r1fs_name_is_safe(const char *name, size_t name_len);

struct r1fs_seal;

/*
 * Start encrypting a file named `name` (a base name, see r1fs_meta_encode).
 * Errors: R1_ERR_INVAL (name), R1_ERR_CRYPTO (cipher set-up), R1_ERR_NOMEM.
 */
enum r1_err r1fs_seal_new(const uint8_t key[R1FS_KEY_LEN], const uint8_t nonce[R1FS_NONCE_LEN],
                          const char *name, struct r1fs_seal **out, char **why);
void r1fs_seal_free(struct r1fs_seal **s);

/* The header (nonce, meta_len, encrypted metadata); owned by the seal. */
const uint8_t *r1fs_seal_header(const struct r1fs_seal *s, size_t *len);

/* Encrypt len bytes of content into out (len bytes).  R1_ERR_CRYPTO. */
enum r1_err r1fs_seal_update(struct r1fs_seal *s, const uint8_t *in, size_t len, uint8_t *out,
                             char **why);

/* The GCM tag, which ends the file.  Call once.  R1_ERR_CRYPTO. */
enum r1_err r1fs_seal_final(struct r1fs_seal *s, uint8_t tag[R1FS_TAG_LEN], char **why);

#endif
