/*
 * CPython's Mersenne Twister (Modules/_randommodule.c) reduced to seeding
 * from an integer and randbytes (see pyrandom.h).  The constants and the
 * seeding arithmetic are MT19937's reference ones, which CPython uses
 * unchanged; the test vectors of the reference SDK pin the result.
 */
#include "node/lib.h"
#include "node/r1fs/pyrandom.h"

#define MT_N 624
#define MT_M 397

static void init_genrand(struct pyrandom *r, uint32_t s)
{
	r->mt[0] = s;
	for (unsigned i = 1; i < MT_N; i++)
		r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + i;
	r->index = MT_N;
}

void pyrandom_seed_words(struct pyrandom *r, const uint32_t *key, size_t key_len)
{
	static const uint32_t zero = 0;
	if (key_len == 0) {
		key = &zero; /* Python seeds 0 as the one-word key [0] */
		key_len = 1;
	}
	init_genrand(r, 19650218u);
	unsigned i = 1;
	size_t j = 0;
	for (size_t k = R1_MAX((size_t)MT_N, key_len); k; k--) {
		r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) * 1664525u)) +
		           key[j] + (uint32_t)j;
		i++;
		j++;
		if (i >= MT_N) {
			r->mt[0] = r->mt[MT_N - 1];
			i = 1;
		}
		if (j >= key_len)
			j = 0;
	}
	for (unsigned k = MT_N - 1; k; k--) {
		r->mt[i] = (r->mt[i] ^ ((r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) * 1566083941u)) - i;
		i++;
		if (i >= MT_N) {
			r->mt[0] = r->mt[MT_N - 1];
			i = 1;
		}
	}
	r->mt[0] = 0x80000000u;
	r->index = MT_N;
}

void pyrandom_seed(struct pyrandom *r, uint64_t seed)
{
	uint32_t words[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
	pyrandom_seed_words(r, words, words[1] ? 2 : (words[0] ? 1 : 0));
}

uint32_t pyrandom_u32(struct pyrandom *r)
{
	static const uint32_t mag01[2] = {0, 0x9908b0dfu};
	if (r->index >= MT_N) {
		unsigned kk;
		uint32_t y;
		for (kk = 0; kk < MT_N - MT_M; kk++) {
			y = (r->mt[kk] & 0x80000000u) | (r->mt[kk + 1] & 0x7fffffffu);
			r->mt[kk] = r->mt[kk + MT_M] ^ (y >> 1) ^ mag01[y & 1];
		}
		for (; kk < MT_N - 1; kk++) {
			y = (r->mt[kk] & 0x80000000u) | (r->mt[kk + 1] & 0x7fffffffu);
			r->mt[kk] = r->mt[kk + (MT_M - MT_N)] ^ (y >> 1) ^ mag01[y & 1];
		}
		y = (r->mt[MT_N - 1] & 0x80000000u) | (r->mt[0] & 0x7fffffffu);
		r->mt[MT_N - 1] = r->mt[MT_M - 1] ^ (y >> 1) ^ mag01[y & 1];
		r->index = 0;
	}
	uint32_t y = r->mt[r->index++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680u;
	y ^= (y << 15) & 0xefc60000u;
	y ^= y >> 18;
	return y;
}

void pyrandom_randbytes(struct pyrandom *r, uint8_t *out, size_t n)
{
	/* getrandbits(8n): 32-bit words, least significant first; a last
	 * partial word keeps its top bits (shifted down). */
	size_t bits = 8 * n;
	while (bits > 0) {
		uint32_t w = pyrandom_u32(r);
		size_t take = R1_MIN(bits, (size_t)32);
		if (take < 32)
			w >>= 32 - take;
		for (size_t b = 0; b < take / 8; b++)
			*out++ = (uint8_t)(w >> (8 * b));
		bits -= take;
	}
}
