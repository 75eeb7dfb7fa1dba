#ifndef R1_NODE_R1FS_PYRANDOM_H
#define R1_NODE_R1FS_PYRANDOM_H
/*
 * Python's random.Random, as far as R1FS needs it: the reference turns an
 * integer `nonce` argument into the 12 GCM nonce bytes with
 * random.Random(nonce).randbytes(12), so a deterministic nonce must come out
 * of the same Mersenne Twister (MT19937), seeded the way CPython seeds it
 * (init_by_array over the 32-bit words of |seed|, least significant first)
 * and read the way randbytes reads it (getrandbits(8 * n), little-endian).
 * Not a source of secrets.
 */
#include "core/common.h"

struct pyrandom {
	uint32_t mt[624];
	unsigned index;
};

/* random.Random(seed) for a non-negative integer seed. */
void pyrandom_seed(struct pyrandom *r, uint64_t seed);
/* random.Random(n) where |n| has the given 32-bit words, least significant first. */
void pyrandom_seed_words(struct pyrandom *r, const uint32_t *words, size_t n);
/* The next 32 bits (genrand_uint32). */
uint32_t pyrandom_u32(struct pyrandom *r);
/* random.randbytes(n). */
void pyrandom_randbytes(struct pyrandom *r, uint8_t *out, size_t n);

#endif
