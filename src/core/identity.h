#ifndef R1_CORE_IDENTITY_H
#define R1_CORE_IDENTITY_H
/*
 * Ratio1 identities: a secp256k1 key pair and the names derived from it.
 *
 *  - address: "0xai_" + URL-safe base64 of the 33-byte compressed public
 *    key (44 characters, no padding needed).  Whitelists and NET_MON_01
 *    often carry it without the prefix; the legacy prefix "aixp_" is also
 *    accepted on input.
 *  - ETH address: "0x" + the last 20 bytes of keccak256(X || Y), EIP-55
 *    mixed-case checksummed.
 *  - key file: PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), byte for byte
 *    what the Python SDK writes (e2.pem); SEC1 "EC PRIVATE KEY" files are
 *    read too.
 *
 * Signatures are ECDSA over a 32-byte digest, DER encoded, deterministic
 * (RFC 6979).  Verification normalises high-S signatures first: the Python
 * signer does not, and libsecp256k1 rejects them otherwise.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"

#define R1_ADDR_PREFIX "0xai_"
#define R1_ADDR_PREFIX_LEGACY "aixp_"
#define R1_ADDR_BODY_LEN 44
#define R1_ADDR_LEN (5 + R1_ADDR_BODY_LEN) /* with prefix */
#define R1_ETH_ADDR_LEN 42
#define R1_PUB_LEN 33
#define R1_SIG_DER_MAX 72

struct r1_identity {
	uint8_t secret[32];
	uint8_t pub[R1_PUB_LEN];	/* compressed */
	uint8_t pub_full[65];		/* 04 || X || Y */
	char addr[R1_ADDR_LEN + 1];	/* "0xai_..." */
	char eth[R1_ETH_ADDR_LEN + 1];	/* "0x..." checksummed */
};

/* A parsed public key, ready for repeated verification (opaque bytes). */
struct r1_pubkey {
	uint8_t opaque[64];
};

/* Derive everything from a 32-byte secret.  R1_ERR_CRYPTO if not a valid key. */
enum r1_err identity_from_secret(struct r1_identity *id, const uint8_t secret[32], char **why);
/* A fresh random identity. */
enum r1_err identity_generate(struct r1_identity *id, char **why);
/* Zero the secret. */
void identity_wipe(struct r1_identity *id);

/* PEM text (PKCS#8 or SEC1) to an identity.  R1_ERR_INVAL with the reason. */
enum r1_err identity_from_pem(struct r1_identity *id, const char *pem, size_t len, char **why);
/* Append the PKCS#8 PEM the Python SDK writes. */
void identity_to_pem(const struct r1_identity *id, struct buf *out);
/* Read a key file.  R1_ERR_IO, R1_ERR_INVAL. */
enum r1_err identity_load(struct r1_identity *id, const char *path, char **why);
/*
 * Write a key file (mode 0600, temp file + rename, so a crash never leaves
 * half a key).  Refuses to replace an existing file (R1_ERR_EXISTS) unless
 * `replace` is set.
 */
enum r1_err identity_save(const struct r1_identity *id, const char *path, bool replace,
			  char **why);

/*
 * Parse an address with "0xai_", "aixp_" or no prefix into the compressed
 * public key, checking that it is a point on the curve.  R1_ERR_INVAL.
 */
enum r1_err addr_parse(const char *text, size_t len, uint8_t pub[R1_PUB_LEN], char **why);
/* "0xai_" + base64url(pub) into out (R1_ADDR_LEN + 1 bytes). */
void addr_format(const uint8_t pub[R1_PUB_LEN], char out[R1_ADDR_LEN + 1]);
/* The address without its prefix (pointer into `addr`). */
const char *addr_strip_prefix(const char *addr);
/* Same key, whatever the prefixes (compares the bodies). */
bool addr_same(const char *a, const char *b);
/* ETH address of a compressed key.  R1_ERR_INVAL if not on the curve. */
enum r1_err eth_address_from_pub(const uint8_t pub[R1_PUB_LEN], char out[R1_ETH_ADDR_LEN + 1],
				 char **why);

/* Parse a compressed key for verification.  R1_ERR_INVAL. */
enum r1_err pubkey_parse(struct r1_pubkey *pk, const uint8_t pub[R1_PUB_LEN], char **why);

/* Sign a 32-byte digest: DER into der[], its length into *der_len. */
enum r1_err identity_sign_digest(const struct r1_identity *id, const uint8_t digest[32],
				 uint8_t der[R1_SIG_DER_MAX], size_t *der_len, char **why);
/*
 * Verify a DER signature over a 32-byte digest (high-S accepted).
 * R1_OK, R1_ERR_INVAL (not DER), R1_ERR_CRYPTO (does not verify).
 */
enum r1_err sig_verify_digest(const struct r1_pubkey *pk, const uint8_t digest[32],
			      const uint8_t *der, size_t der_len, char **why);
/* Whether a DER signature has a high S (for diagnostics and tests). */
bool sig_is_high_s(const uint8_t *der, size_t der_len);

/* ECDH: the 32-byte X coordinate of secret * peer (what Python's ECDH gives). */
enum r1_err ecdh_shared_x(const struct r1_identity *id, const uint8_t peer[R1_PUB_LEN],
			  uint8_t x[32], char **why);

#endif
