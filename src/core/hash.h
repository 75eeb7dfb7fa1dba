#ifndef R1_CORE_HASH_H
#define R1_CORE_HASH_H
/*
 * Hashes and key derivation used by the wire protocol and R1FS:
 * SHA-256 (OpenSSL's libcrypto, which uses SHA-NI where the CPU has it; about
 * four times libsodium's portable code on these machines), HMAC-SHA256 and
 * HKDF-SHA256 (RFC 5869), Keccak-256 (the pre-standard SHA-3 that Ethereum
 * addresses use), and the random source (libsodium).
 */
#include "core/common.h"

#define SHA256_LEN 32

void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);

/* Streaming SHA-256.  sha256_stream_new returns NULL on OOM. */
struct sha256_stream;
struct sha256_stream *sha256_stream_new(void);
void sha256_stream_update(struct sha256_stream *s, const void *data, size_t len);
/* Writes the digest and resets the stream for reuse. */
void sha256_stream_final(struct sha256_stream *s, uint8_t out[SHA256_LEN]);
void sha256_stream_free(struct sha256_stream **s);

void hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		 uint8_t out[SHA256_LEN]);

/*
 * HKDF-SHA256: extract with `salt` (NULL = 32 zero bytes, as Python's
 * cryptography does for salt=None), expand with `info` to out_len bytes
 * (at most 255 * 32).  Returns false only when out_len is too large.
 */
bool hkdf_sha256(const void *salt, size_t salt_len, const void *ikm, size_t ikm_len,
		 const void *info, size_t info_len, uint8_t *out, size_t out_len);

/* Keccak-256 as Ethereum uses it (padding 0x01, not SHA3's 0x06). */
void keccak256(const void *data, size_t len, uint8_t out[32]);

/* Cryptographically secure random bytes (libsodium; initialises it once). */
void random_bytes(void *out, size_t len);
/* Uniform in [0, upper) (upper > 0). */
uint32_t random_uniform(uint32_t upper);

#endif
