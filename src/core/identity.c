/*
 * secp256k1 identities: keys, PEM files, addresses, signatures and ECDH
 * (see identity.h).  One libsecp256k1 context serves the whole process; it
 * is created and randomised once and only read afterwards, which the
 * library allows from any thread.
 */
#include "core/identity.h"
#include "core/codec.h"
#include "core/hash.h"
#include "core/xalloc.h"

#include <fcntl.h>
#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <sodium.h>
#include <sys/stat.h>

static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;
static secp256k1_context *ctx;

static void ctx_create(void)
{
	/* SIGN | VERIFY: required by libsecp256k1 before 0.2 (Ubuntu 22.04), the
	 * same as NONE since. */
	ctx = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
	if (!ctx)
		abort();
	uint8_t seed[32];
	random_bytes(seed, sizeof(seed));
	if (!secp256k1_context_randomize(ctx, seed))
		abort();
}

static const secp256k1_context *secp(void)
{
	pthread_once(&ctx_once, ctx_create);
	return ctx;
}

_Static_assert(sizeof(secp256k1_pubkey) == sizeof(struct r1_pubkey), "pubkey size");

/* EIP-55: hex digit i is upper-cased when nibble i of keccak(lower hex) >= 8. */
static void eth_format(const uint8_t addr20[20], char out[R1_ETH_ADDR_LEN + 1])
{
	char lower[41];
	hex_format(lower, addr20, 20);
	uint8_t h[32];
	keccak256(lower, 40, h);
	out[0] = '0';
	out[1] = 'x';
	for (int i = 0; i < 40; i++) {
		int nibble = (h[i / 2] >> (i % 2 ? 0 : 4)) & 15;
		char c = lower[i];
		out[2 + i] = (nibble >= 8 && c >= 'a') ? (char)(c - 'a' + 'A') : c;
	}
	out[R1_ETH_ADDR_LEN] = '\0';
}

static void eth_from_full(const uint8_t full[65], char out[R1_ETH_ADDR_LEN + 1])
{
	uint8_t h[32];
	keccak256(full + 1, 64, h);
	eth_format(h + 12, out);
}

void addr_format(const uint8_t pub[R1_PUB_LEN], char out[R1_ADDR_LEN + 1])
{
	memcpy(out, R1_ADDR_PREFIX, 5);
	sodium_bin2base64(out + 5, R1_ADDR_BODY_LEN + 1, pub, R1_PUB_LEN,
			  sodium_base64_VARIANT_URLSAFE);
}

const char *addr_strip_prefix(const char *addr)
{
	if (strncmp(addr, R1_ADDR_PREFIX, 5) == 0 || strncmp(addr, R1_ADDR_PREFIX_LEGACY, 5) == 0)
		return addr + 5;
	return addr;
}

bool addr_same(const char *a, const char *b)
{
	return strcmp(addr_strip_prefix(a), addr_strip_prefix(b)) == 0;
}

enum r1_err pubkey_parse(struct r1_pubkey *pk, const uint8_t pub[R1_PUB_LEN], char **why)
{
	if (!secp256k1_ec_pubkey_parse(secp(), (secp256k1_pubkey *)pk->opaque, pub, R1_PUB_LEN))
		return r1_fail(why, R1_ERR_INVAL, "public key is not a point on secp256k1");
	return R1_OK;
}

enum r1_err addr_parse(const char *text, size_t len, uint8_t pub[R1_PUB_LEN], char **why)
{
	if (len >= 5 && (memcmp(text, R1_ADDR_PREFIX, 5) == 0 ||
			 memcmp(text, R1_ADDR_PREFIX_LEGACY, 5) == 0)) {
		text += 5;
		len -= 5;
	}
	if (len != R1_ADDR_BODY_LEN)
		return r1_fail(why, R1_ERR_INVAL,
			       "address must have %d characters after the prefix, not %zu",
			       R1_ADDR_BODY_LEN, len);
	size_t got = 0;
	if (base64_decode_into(text, len, B64_URL, pub, R1_PUB_LEN, &got, NULL) || got != R1_PUB_LEN)
		return r1_fail(why, R1_ERR_INVAL, "address is not URL-safe base64 of a 33-byte key");
	if (pub[0] != 2 && pub[0] != 3)
		return r1_fail(why, R1_ERR_INVAL, "address is not a compressed public key");
	struct r1_pubkey pk;
	if (pubkey_parse(&pk, pub, NULL))
		return r1_fail(why, R1_ERR_INVAL, "address is not a point on secp256k1");
	return R1_OK;
}

enum r1_err eth_address_from_pub(const uint8_t pub[R1_PUB_LEN], char out[R1_ETH_ADDR_LEN + 1],
				 char **why)
{
	secp256k1_pubkey pk;
	if (!secp256k1_ec_pubkey_parse(secp(), &pk, pub, R1_PUB_LEN))
		return r1_fail(why, R1_ERR_INVAL, "public key is not a point on secp256k1");
	uint8_t full[65];
	size_t n = sizeof(full);
	secp256k1_ec_pubkey_serialize(secp(), full, &n, &pk, SECP256K1_EC_UNCOMPRESSED);
	eth_from_full(full, out);
	return R1_OK;
}

enum r1_err identity_from_secret(struct r1_identity *id, const uint8_t secret[32], char **why)
{
	secp256k1_pubkey pk;
	if (!secp256k1_ec_seckey_verify(secp(), secret) ||
	    !secp256k1_ec_pubkey_create(secp(), &pk, secret))
		return r1_fail(why, R1_ERR_CRYPTO, "not a valid secp256k1 private key");
	memcpy(id->secret, secret, 32);
	size_t n = R1_PUB_LEN;
	secp256k1_ec_pubkey_serialize(secp(), id->pub, &n, &pk, SECP256K1_EC_COMPRESSED);
	n = sizeof(id->pub_full);
	secp256k1_ec_pubkey_serialize(secp(), id->pub_full, &n, &pk, SECP256K1_EC_UNCOMPRESSED);
	addr_format(id->pub, id->addr);
	eth_from_full(id->pub_full, id->eth);
	return R1_OK;
}

enum r1_err identity_generate(struct r1_identity *id, char **why)
{
	uint8_t secret[32];
	for (int tries = 0; tries < 16; tries++) {
		random_bytes(secret, sizeof(secret));
		if (identity_from_secret(id, secret, NULL) == R1_OK) {
			memset(secret, 0, sizeof(secret));
			return R1_OK;
		}
	}
	return r1_fail(why, R1_ERR_CRYPTO, "could not generate a key");
}

void identity_wipe(struct r1_identity *id)
{
	volatile uint8_t *p = id->secret;
	for (size_t i = 0; i < sizeof(id->secret); i++)
		p[i] = 0;
}

/* ---- PEM / DER ---------------------------------------------------------- */

/* DER prefix of the PKCS#8 file Python writes, up to the 32 secret bytes. */
static const uint8_t pkcs8_head[] = {
	0x30, 0x81, 0x84, 0x02, 0x01, 0x00, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce,
	0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a, 0x04, 0x6d, 0x30, 0x6b,
	0x02, 0x01, 0x01, 0x04, 0x20,
};
/* After the secret: [1] { BIT STRING 00 04 X Y }. */
static const uint8_t pkcs8_pub_head[] = {0xa1, 0x44, 0x03, 0x42, 0x00};

static const uint8_t oid_ec_public_key[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t oid_secp256k1[] = {0x2b, 0x81, 0x04, 0x00, 0x0a};

struct der {
	const uint8_t *p;
	size_t n;
};

/* Read one TLV of the given tag; its contents go to *inner. */
static bool der_take(struct der *d, uint8_t tag, struct der *inner)
{
	if (d->n < 2 || d->p[0] != tag)
		return false;
	size_t len = d->p[1], hdr = 2;
	if (len & 0x80) {
		size_t nb = len & 0x7f;
		if (nb == 0 || nb > 2 || d->n < 2 + nb)
			return false;
		len = 0;
		for (size_t i = 0; i < nb; i++)
			len = len << 8 | d->p[2 + i];
		hdr += nb;
	}
	if (d->n - hdr < len)
		return false;
	inner->p = d->p + hdr;
	inner->n = len;
	d->p += hdr + len;
	d->n -= hdr + len;
	return true;
}

static bool der_is(const struct der *d, const uint8_t *want, size_t n)
{
	return d->n == n && memcmp(d->p, want, n) == 0;
}

/* SEC1 ECPrivateKey: SEQ { INT 1, OCTET(32) secret, [0] params?, [1] pub? } */
static bool parse_sec1(struct der d, const uint8_t **secret, bool *curve_ok)
{
	struct der seq, ver, key, extra;
	if (!der_take(&d, 0x30, &seq))
		return false;
	if (!der_take(&seq, 0x02, &ver) || ver.n != 1 || ver.p[0] != 1)
		return false;
	if (!der_take(&seq, 0x04, &key) || key.n != 32)
		return false;
	*secret = key.p;
	if (der_take(&seq, 0xa0, &extra)) {
		struct der oid;
		if (!der_take(&extra, 0x06, &oid) || !der_is(&oid, oid_secp256k1, sizeof(oid_secp256k1)))
			*curve_ok = false;
	}
	return true;
}

static enum r1_err parse_key_der(const uint8_t *der, size_t n, bool pkcs8,
				 const uint8_t **secret, char **why)
{
	struct der d = {der, n};
	bool curve_ok = true;
	if (!pkcs8) {
		if (!parse_sec1(d, secret, &curve_ok))
			return r1_fail(why, R1_ERR_INVAL, "key: malformed EC PRIVATE KEY structure");
	} else {
		struct der top, ver, alg, oid1, oid2, inner;
		if (!der_take(&d, 0x30, &top) || !der_take(&top, 0x02, &ver) || ver.n != 1 ||
		    ver.p[0] > 1 || !der_take(&top, 0x30, &alg) || !der_take(&alg, 0x06, &oid1) ||
		    !der_take(&top, 0x04, &inner))
			return r1_fail(why, R1_ERR_INVAL, "key: malformed PKCS#8 structure");
		if (!der_is(&oid1, oid_ec_public_key, sizeof(oid_ec_public_key)))
			return r1_fail(why, R1_ERR_INVAL, "key: not an elliptic-curve key");
		if (!der_take(&alg, 0x06, &oid2) ||
		    !der_is(&oid2, oid_secp256k1, sizeof(oid_secp256k1)))
			return r1_fail(why, R1_ERR_INVAL, "key: curve is not secp256k1");
		if (!parse_sec1(inner, secret, &curve_ok))
			return r1_fail(why, R1_ERR_INVAL, "key: malformed EC key inside PKCS#8");
	}
	if (!curve_ok)
		return r1_fail(why, R1_ERR_INVAL, "key: curve is not secp256k1");
	return R1_OK;
}

enum r1_err identity_from_pem(struct r1_identity *id, const char *pem, size_t len, char **why)
{
	static const struct {
		const char *begin, *end;
		bool pkcs8;
	} kinds[] = {
		{"-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----", true},
		{"-----BEGIN EC PRIVATE KEY-----", "-----END EC PRIVATE KEY-----", false},
	};
	const char *body = NULL, *stop = NULL;
	bool pkcs8 = true;
	char *copy = r1_strndup(pem, len);
	if (!copy)
		return r1_fail(why, R1_ERR_NOMEM, "key: out of memory");
	for (size_t k = 0; k < R1_ARRAY_LEN(kinds) && !body; k++) {
		const char *b = strstr(copy, kinds[k].begin);
		if (!b)
			continue;
		const char *e = strstr(b, kinds[k].end);
		if (!e)
			break;
		body = b + strlen(kinds[k].begin);
		stop = e;
		pkcs8 = kinds[k].pkcs8;
	}
	if (!body) {
		r1_free(copy);
		if (strstr(pem, "ENCRYPTED"))
			return r1_fail(why, R1_ERR_INVAL,
				       "key: password-protected key files are not supported");
		return r1_fail(why, R1_ERR_INVAL, "key: no PEM private key block found");
	}
	char b64[512];
	size_t n = 0;
	for (const char *p = body; p < stop; p++) {
		if (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t')
			continue;
		if (n + 1 >= sizeof(b64)) {
			r1_free(copy);
			return r1_fail(why, R1_ERR_INVAL, "key: PEM block too long for an EC key");
		}
		b64[n++] = *p;
	}
	r1_free(copy);
	uint8_t der[400];
	size_t der_len = 0;
	if (base64_decode_into(b64, n, B64_STD, der, sizeof(der), &der_len, why)) {
		r1_why_prefix(why, "key: PEM body");
		return R1_ERR_INVAL;
	}
	const uint8_t *secret = NULL;
	enum r1_err e = parse_key_der(der, der_len, pkcs8, &secret, why);
	if (!e)
		e = identity_from_secret(id, secret, why);
	memset(der, 0, sizeof(der));
	return e;
}

void identity_to_pem(const struct r1_identity *id, struct buf *out)
{
	uint8_t der[sizeof(pkcs8_head) + 32 + sizeof(pkcs8_pub_head) + 65];
	size_t n = 0;
	memcpy(der + n, pkcs8_head, sizeof(pkcs8_head));
	n += sizeof(pkcs8_head);
	memcpy(der + n, id->secret, 32);
	n += 32;
	memcpy(der + n, pkcs8_pub_head, sizeof(pkcs8_pub_head));
	n += sizeof(pkcs8_pub_head);
	memcpy(der + n, id->pub_full, 65);
	n += 65;

	struct buf b64 = BUF_INIT;
	base64_encode(&b64, der, n, B64_STD);
	buf_adds(out, "-----BEGIN PRIVATE KEY-----\n");
	for (size_t i = 0; i < b64.len; i += 64) {
		buf_add(out, b64.data + i, R1_MIN((size_t)64, b64.len - i));
		buf_addc(out, '\n');
	}
	buf_adds(out, "-----END PRIVATE KEY-----\n");
	if (!buf_ok(&b64))
		out->oom = true;
	if (b64.data)
		memset(b64.data, 0, b64.len);
	buf_release(&b64);
	memset(der, 0, sizeof(der));
}

enum r1_err identity_load(struct r1_identity *id, const char *path, char **why)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return r1_fail(why, R1_ERR_IO, "%s: %s", path, strerror(errno));
	char text[4096];
	size_t n = fread(text, 1, sizeof(text), f);
	bool too_big = n == sizeof(text);
	fclose(f);
	if (too_big)
		return r1_fail(why, R1_ERR_INVAL, "%s: too large for a key file", path);
	enum r1_err e = identity_from_pem(id, text, n, why);
	memset(text, 0, sizeof(text));
	if (e)
		r1_why_prefix(why, "%s", path);
	return e;
}

enum r1_err identity_save(const struct r1_identity *id, const char *path, bool replace,
			  char **why)
{
	if (!replace && access(path, F_OK) == 0)
		return r1_fail(why, R1_ERR_EXISTS, "%s already exists", path);
	struct buf pem = BUF_INIT;
	identity_to_pem(id, &pem);
	if (!buf_ok(&pem)) {
		buf_release(&pem);
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	}
	struct buf tmp = BUF_INIT;
	buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	enum r1_err e = R1_OK;
	int fd = buf_ok(&tmp) ? open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	if (fd < 0) {
		e = r1_fail(why, R1_ERR_IO, "%s: %s", path, strerror(errno));
	} else {
		ssize_t w = write(fd, pem.data, pem.len);
		if (w != (ssize_t)pem.len || fsync(fd) != 0)
			e = r1_fail(why, R1_ERR_IO, "%s: write: %s", path, strerror(errno));
		if (close(fd) != 0 && !e)
			e = r1_fail(why, R1_ERR_IO, "%s: close: %s", path, strerror(errno));
		if (!e && rename(tmp.data, path) != 0)
			e = r1_fail(why, R1_ERR_IO, "%s: rename: %s", path, strerror(errno));
		if (e)
			unlink(tmp.data);
	}
	memset(pem.data, 0, pem.len);
	buf_release(&pem);
	buf_release(&tmp);
	return e;
}

/* ---- signatures and ECDH ------------------------------------------------ */

enum r1_err identity_sign_digest(const struct r1_identity *id, const uint8_t digest[32],
				 uint8_t der[R1_SIG_DER_MAX], size_t *der_len, char **why)
{
	secp256k1_ecdsa_signature sig;
	if (!secp256k1_ecdsa_sign(secp(), &sig, digest, id->secret, NULL, NULL))
		return r1_fail(why, R1_ERR_CRYPTO, "signing failed");
	size_t n = R1_SIG_DER_MAX;
	if (!secp256k1_ecdsa_signature_serialize_der(secp(), der, &n, &sig))
		return r1_fail(why, R1_ERR_CRYPTO, "signature serialisation failed");
	*der_len = n;
	return R1_OK;
}

enum r1_err sig_verify_digest(const struct r1_pubkey *pk, const uint8_t digest[32],
			      const uint8_t *der, size_t der_len, char **why)
{
	secp256k1_ecdsa_signature sig;
	if (!secp256k1_ecdsa_signature_parse_der(secp(), &sig, der, der_len))
		return r1_fail(why, R1_ERR_INVAL, "signature is not DER-encoded ECDSA");
	secp256k1_ecdsa_signature_normalize(secp(), &sig, &sig);
	if (!secp256k1_ecdsa_verify(secp(), &sig, digest, (const secp256k1_pubkey *)pk->opaque))
		return r1_fail(why, R1_ERR_CRYPTO, "signature does not verify");
	return R1_OK;
}

bool sig_is_high_s(const uint8_t *der, size_t der_len)
{
	secp256k1_ecdsa_signature sig;
	if (!secp256k1_ecdsa_signature_parse_der(secp(), &sig, der, der_len))
		return false;
	return secp256k1_ecdsa_signature_normalize(secp(), NULL, &sig) == 1;
}

static int ecdh_copy_x(unsigned char *out, const unsigned char *x, const unsigned char *y,
		       void *data)
{
	(void)y;
	(void)data;
	memcpy(out, x, 32);
	return 1;
}

enum r1_err ecdh_shared_x(const struct r1_identity *id, const uint8_t peer[R1_PUB_LEN],
			  uint8_t x[32], char **why)
{
	secp256k1_pubkey pk;
	if (!secp256k1_ec_pubkey_parse(secp(), &pk, peer, R1_PUB_LEN))
		return r1_fail(why, R1_ERR_INVAL, "peer public key is not a point on secp256k1");
	if (!secp256k1_ecdh(secp(), x, &pk, id->secret, ecdh_copy_x, NULL))
		return r1_fail(why, R1_ERR_CRYPTO, "ECDH failed");
	return R1_OK;
}
