/* Deterministic randomness for the sim: splitmix64 streams and FNV-1a hashing.
 * Every random choice in the world and in fault injection comes from here, so a
 * seed reproduces a world exactly. */
#include "sim.h"

uint64_t sim_rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double sim_rng_unit(uint64_t *s)
{
	return (double)(sim_rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

int sim_rng_range(uint64_t *s, int lo, int hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int)(sim_rng_next(s) % (uint64_t)(hi - lo + 1));
}

uint64_t sim_hash64(uint64_t x)
{
	uint64_t s = x;
	return sim_rng_next(&s);
}

uint64_t sim_fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	if (h == 0)
		h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
