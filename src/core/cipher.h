#ifndef R1_CORE_CIPHER_H
#define R1_CORE_CIPHER_H
/*
 * Payload encryption exactly as the Python SDK does it (ratio1/bc/ec.py;
 * protocol reference 2.4), for EE_ENCRYPTED_DATA and the CStore messages.
 *
 * Shared key of two identities: HKDF-SHA256(salt = 32 zero bytes,
 * ikm = X of ECDH(own secret, peer key), info = "0xai handshake data"),
 * 32 bytes; both sides derive the same one.
 *
 *  - single recipient: base64std(nonce(12) || 0x01 || AES-256-GCM(shared
 *    key, nonce, zlib(plaintext)) || tag(16)).  A flag byte of 0 means the
 *    plaintext was not compressed (the SDK decrypts that too).
 *  - multi recipient: base64std(zlib(json.dumps(package))) with package
 *    {"M": true, "c": "01", "n": hex nonce, "d": hex AES-256-GCM(random
 *    key, nonce, zlib(plaintext)) || tag, "k": [{"a": "0xai_...",
 *    "k": hex(nonce2(12) || AES-256-GCM(shared key, nonce2, random key) ||
 *    tag)}, ...]}.  A recipient finds its entry by exact string match of
 *    "a" with its own "0xai_" address.
 *
 * Decryption tries the multi-recipient form first, then the single one, as
 * the SDK does, and accepts what the SDK accepts (including its edge cases:
 * "M": 1, a "c" other than 1 meaning "not compressed", nonces of 8 to 128
 * bytes and 16/24-byte wrapped keys in packages), except that base64 must
 * be strict (no stray characters), zlib data must end where its stream ends,
 * and inflated sizes are capped.  The plaintext must be valid UTF-8, since
 * the SDK decodes it as text and gives up otherwise.
 *
 * A struct cipher_keycache remembers derived keys per (own key, peer key)
 * so that a busy peer costs one ECDH, not one per message.  It is owned by
 * the caller, used by one thread at a time; every function takes it
 * optionally (NULL = derive each time).
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/identity.h"

#define CIPHER_KEY_LEN   32
#define CIPHER_NONCE_LEN 12
#define CIPHER_TAG_LEN   16
#define CIPHER_INFO      "0xai handshake data"
/* Plaintexts above this are refused by the encrypt functions (R1_ERR_TOOBIG). */
#define CIPHER_MAX_PLAIN (256u * 1024u * 1024u)

struct cipher_keycache;

/* A cache of 64 derived keys.  NULL when out of memory. */
struct cipher_keycache *cipher_keycache_new(void);
/* Wipe and free; NULLs the pointer. */
void cipher_keycache_free(struct cipher_keycache **cache);

/*
 * The shared key of `own` and the peer's compressed key.  R1_ERR_CRYPTO if
 * the peer key is not a curve point.
 */
enum r1_err cipher_shared_key(const struct r1_identity *own, const uint8_t peer[R1_PUB_LEN],
                              struct cipher_keycache *cache, uint8_t key[CIPHER_KEY_LEN],
                              char **why);

/*
 * Encrypt `len` bytes for one recipient (address with "0xai_", "aixp_" or no
 * prefix); the base64 text is appended to out.  R1_ERR_INVAL (bad address),
 * R1_ERR_TOOBIG, R1_ERR_NOMEM, R1_ERR_CRYPTO.
 */
enum r1_err cipher_encrypt_single(const struct r1_identity *sender, const char *recipient,
                                  const void *plain, size_t len, struct cipher_keycache *cache,
                                  struct buf *out, char **why);

/*
 * Encrypt for n >= 1 recipients in the multi-recipient form; appended to
 * out.  Each "a" is written as "0xai_" + the key, whatever prefix the
 * caller gave, because that is what a recipient looks for.  Errors as for
 * cipher_encrypt_single; R1_ERR_INVAL also for n == 0.
 */
enum r1_err cipher_encrypt_multi(const struct r1_identity *sender, const char *const *recipients,
                                 size_t n, const void *plain, size_t len,
                                 struct cipher_keycache *cache, struct buf *out, char **why);

/*
 * Decrypt base64 text from `sender` (its EE_SENDER address) for `recipient`;
 * the plaintext (at most max_plain bytes) is appended to out, which is left
 * as it was on failure.  Errors, each with a reason:
 *   R1_ERR_INVAL     not base64, truncated, malformed package, bad zlib,
 *                    plaintext not UTF-8, bad sender address;
 *   R1_ERR_NOTFOUND  a package not addressed to the recipient's 0xai_ address;
 *   R1_ERR_CRYPTO    authentication tag mismatch (wrong key, wrong sender,
 *                    or altered data: the single form cannot tell them apart);
 *   R1_ERR_TOOBIG    plaintext (or the package) over its cap;
 *   R1_ERR_NOMEM.
 */
enum r1_err cipher_decrypt(const struct r1_identity *recipient, const char *sender, const char *b64,
                           size_t b64_len, size_t max_plain, struct cipher_keycache *cache,
                           struct buf *out, char **why);

#endif
