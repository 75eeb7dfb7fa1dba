/*
 * SHA-256, HMAC, HKDF, Keccak-256 and randomness (see hash.h).  The OpenSSL
 * digest object is fetched once and then only read, from any thread.
 */
#include "core/hash.h"
#include "core/xalloc.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_sha256;

static void init_crypto(void)
{
	/* Fails only without a usable random source, where libsodium itself aborts. */
	if (sodium_init() < 0)
		abort();
	/* NULL (a broken OpenSSL configuration) selects libsodium's SHA-256 below. */
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256_md(void)
{
	pthread_once(&init_once, init_crypto);
	return md_sha256;
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	unsigned int n = SHA256_LEN;
	const EVP_MD *md = sha256_md();
	if (!md || !EVP_Digest(data, len, out, &n, md, NULL)) {
		/* EVP only fails on allocation failure; fall back to libsodium. */
		crypto_hash_sha256(out, data, len);
	}
}

struct sha256_stream {
	EVP_MD_CTX *ctx;
};

struct sha256_stream *sha256_stream_new(void)
{
	struct sha256_stream *s = r1_calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->ctx = EVP_MD_CTX_new();
	if (!s->ctx || !sha256_md() || !EVP_DigestInit_ex(s->ctx, sha256_md(), NULL)) {
		EVP_MD_CTX_free(s->ctx);
		r1_free(s);
		return NULL;
	}
	return s;
}

void sha256_stream_update(struct sha256_stream *s, const void *data, size_t len)
{
	EVP_DigestUpdate(s->ctx, data, len);
}

void sha256_stream_final(struct sha256_stream *s, uint8_t out[SHA256_LEN])
{
	unsigned int n = SHA256_LEN;
	EVP_DigestFinal_ex(s->ctx, out, &n);
	EVP_DigestInit_ex(s->ctx, sha256_md(), NULL);
}

void sha256_stream_free(struct sha256_stream **sp)
{
	struct sha256_stream *s = *sp;
	if (!s)
		return;
	EVP_MD_CTX_free(s->ctx);
	r1_free(s);
	*sp = NULL;
}

void hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		 uint8_t out[SHA256_LEN])
{
	pthread_once(&init_once, init_crypto);
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, key_len);
	crypto_auth_hmacsha256_update(&st, data, len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

bool hkdf_sha256(const void *salt, size_t salt_len, const void *ikm, size_t ikm_len,
		 const void *info, size_t info_len, uint8_t *out, size_t out_len)
{
	static const uint8_t zeros[SHA256_LEN];
	if (out_len > 255 * SHA256_LEN)
		return false;
	if (!salt) {
		salt = zeros;
		salt_len = sizeof(zeros);
	}
	uint8_t prk[SHA256_LEN];
	hmac_sha256(salt, salt_len, ikm, ikm_len, prk);

	uint8_t t[SHA256_LEN];
	size_t t_len = 0, done = 0;
	for (uint8_t counter = 1; done < out_len; counter++) {
		crypto_auth_hmacsha256_state st;
		crypto_auth_hmacsha256_init(&st, prk, sizeof(prk));
		crypto_auth_hmacsha256_update(&st, t, t_len);
		crypto_auth_hmacsha256_update(&st, info, info_len);
		crypto_auth_hmacsha256_update(&st, &counter, 1);
		crypto_auth_hmacsha256_final(&st, t);
		t_len = SHA256_LEN;
		size_t take = R1_MIN(out_len - done, (size_t)SHA256_LEN);
		memcpy(out + done, t, take);
		done += take;
	}
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(t, sizeof(t));
	return true;
}

/* Keccak-f[1600], the permutation behind Keccak-256. */
static const uint64_t keccak_rc[24] = {
	0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
	0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
	0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
	0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
	0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
	0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
	0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
	0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};
static const unsigned keccak_rot[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
					27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
static const unsigned keccak_pi[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
				       15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

static inline uint64_t rotl64(uint64_t x, unsigned n)
{
	return (x << n) | (x >> (64 - n));
}

static void keccak_f1600(uint64_t st[25])
{
	for (int round = 0; round < 24; round++) {
		uint64_t bc[5];
		for (int i = 0; i < 5; i++)
			bc[i] = st[i] ^ st[i + 5] ^ st[i + 10] ^ st[i + 15] ^ st[i + 20];
		for (int i = 0; i < 5; i++) {
			uint64_t t = bc[(i + 4) % 5] ^ rotl64(bc[(i + 1) % 5], 1);
			for (int j = 0; j < 25; j += 5)
				st[j + i] ^= t;
		}
		uint64_t t = st[1];
		for (int i = 0; i < 24; i++) {
			unsigned j = keccak_pi[i];
			uint64_t tmp = st[j];
			st[j] = rotl64(t, keccak_rot[i]);
			t = tmp;
		}
		for (int j = 0; j < 25; j += 5) {
			for (int i = 0; i < 5; i++)
				bc[i] = st[j + i];
			for (int i = 0; i < 5; i++)
				st[j + i] ^= (~bc[(i + 1) % 5]) & bc[(i + 2) % 5];
		}
		st[0] ^= keccak_rc[round];
	}
}

static uint64_t load64_le(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

void keccak256(const void *data, size_t len, uint8_t out[32])
{
	enum { RATE = 136 };
	uint64_t st[25] = {0};
	const uint8_t *p = data;
	while (len >= RATE) {
		for (int i = 0; i < RATE / 8; i++)
			st[i] ^= load64_le(p + 8 * i);
		keccak_f1600(st);
		p += RATE;
		len -= RATE;
	}
	uint8_t block[RATE] = {0};
	memcpy(block, p, len);
	block[len] ^= 0x01;
	block[RATE - 1] ^= 0x80;
	for (int i = 0; i < RATE / 8; i++)
		st[i] ^= load64_le(block + 8 * i);
	keccak_f1600(st);
	for (int i = 0; i < 4; i++)
		for (int b = 0; b < 8; b++)
			out[8 * i + b] = (uint8_t)(st[i] >> (8 * b));
}

void random_bytes(void *out, size_t len)
{
	pthread_once(&init_once, init_crypto);
	randombytes_buf(out, len);
}

uint32_t random_uniform(uint32_t upper)
{
	pthread_once(&init_once, init_crypto);
	return randombytes_uniform(upper);
}
