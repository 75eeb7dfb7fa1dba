/*
 * De-duplication window and drop counters (see dedup.h).  The hashes live in
 * a ring in arrival order (the FIFO); an open-addressed table with linear
 * probing maps a hash to its ring slot.  The table has at least twice as many
 * slots as the ring, and deletion shifts later entries back instead of
 * leaving tombstones, so probe chains stay short however long it runs.
 */
#include "core/lib.h"
#include "core/dedup.h"

#include <sodium.h>

#define DEDUP_MAX_WINDOW (1u << 24)
#define EMPTY            UINT32_MAX

struct dedup {
	size_t window; /* ring capacity */
	size_t count;  /* hashes in the ring */
	size_t head;   /* oldest entry when full; next write position */
	uint8_t (*ring)[DEDUP_HASH_LEN];
	uint32_t *table; /* ring index, or EMPTY */
	size_t mask;     /* table size - 1 */
	uint8_t key[crypto_shorthash_KEYBYTES];
};

static const char *const drop_names[INGEST_DROP__COUNT] = {
    [INGEST_DROP_OVERSIZE] = "oversize",
    [INGEST_DROP_DUPLICATE] = "duplicate",
    [INGEST_DROP_MALFORMED] = "malformed",
    [INGEST_DROP_BAD_SIGNATURE] = "bad-signature",
    [INGEST_DROP_NOT_FOR_US] = "not-for-us",
    [INGEST_DROP_DECRYPT_FAILED] = "decrypt-failed",
};

const char *ingest_drop_name(enum ingest_drop reason)
{
	return (unsigned)reason < INGEST_DROP__COUNT && drop_names[reason] ? drop_names[reason]
	                                                                   : "unknown";
}

uint64_t ingest_drops_total(const struct ingest_drops *d)
{
	uint64_t n = 0;
	for (size_t i = 0; i < INGEST_DROP__COUNT; i++)
		n += d->count[i];
	return n;
}

bool ingest_size_ok(size_t len, struct ingest_drops *drops)
{
	if (len <= R1_MAX_MESSAGE_LEN)
		return true;
	if (drops)
		drops->count[INGEST_DROP_OVERSIZE]++;
	return false;
}

static size_t slot_of(const struct dedup *d, const uint8_t *hash)
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, hash, DEDUP_HASH_LEN, d->key);
	uint64_t v;
	memcpy(&v, h, sizeof(v));
	return (size_t)v & d->mask;
}

/* Table position holding `hash`, or the empty position where it would go. */
static size_t find(const struct dedup *d, const uint8_t *hash, bool *found)
{
	size_t i = slot_of(d, hash);
	while (d->table[i] != EMPTY) {
		if (memcmp(d->ring[d->table[i]], hash, DEDUP_HASH_LEN) == 0) {
			*found = true;
			return i;
		}
		i = (i + 1) & d->mask;
	}
	*found = false;
	return i;
}

/* Remove table position i, shifting back the entries of its probe chain. */
static void table_delete(struct dedup *d, size_t i)
{
	size_t j = i;
	for (;;) {
		d->table[i] = EMPTY;
		for (;;) {
			j = (j + 1) & d->mask;
			if (d->table[j] == EMPTY)
				return;
			size_t home = slot_of(d, d->ring[d->table[j]]);
			/* Move j back to i unless its home lies cyclically in (i, j]. */
			bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
			if (!stays)
				break;
		}
		d->table[i] = d->table[j];
		i = j;
	}
}

enum r1_err dedup_new(size_t window, struct dedup **out, char **why)
{
	if (window < 1 || window > DEDUP_MAX_WINDOW)
		return r1_fail(why, R1_ERR_INVAL, "dedup: window %zu out of range (1..%u)", window,
		               DEDUP_MAX_WINDOW);
	if (sodium_init() < 0)
		return r1_fail(why, R1_ERR_CRYPTO, "dedup: libsodium failed to initialise");
	size_t tsize = 1;
	while (tsize < window * 2)
		tsize <<= 1;
	struct dedup *d = r1_calloc(1, sizeof(*d));
	if (!d)
		return r1_fail(why, R1_ERR_NOMEM, "dedup: out of memory");
	d->window = window;
	d->mask = tsize - 1;
	d->ring = r1_reallocarray(NULL, window, sizeof(*d->ring));
	d->table = r1_reallocarray(NULL, tsize, sizeof(*d->table));
	if (!d->ring || !d->table) {
		dedup_free(&d);
		return r1_fail(why, R1_ERR_NOMEM, "dedup: out of memory for %zu hashes", window);
	}
	crypto_shorthash_keygen(d->key);
	dedup_clear(d);
	*out = d;
	return R1_OK;
}

void dedup_free(struct dedup **dp)
{
	struct dedup *d = *dp;
	if (!d)
		return;
	r1_free(d->ring);
	r1_free(d->table);
	r1_free(d);
	*dp = NULL;
}

void dedup_clear(struct dedup *d)
{
	memset(d->table, 0xff, (d->mask + 1) * sizeof(*d->table));
	d->count = 0;
	d->head = 0;
}

bool dedup_contains(const struct dedup *d, const uint8_t hash[DEDUP_HASH_LEN])
{
	bool found;
	find(d, hash, &found);
	return found;
}

bool dedup_seen(struct dedup *d, const uint8_t hash[DEDUP_HASH_LEN])
{
	bool found;
	size_t pos = find(d, hash, &found);
	if (found)
		return true;
	if (d->count == d->window) {
		/* Evict the oldest; its removal may move our empty slot. */
		bool old_found;
		size_t old = find(d, d->ring[d->head], &old_found);
		table_delete(d, old);
		d->count--;
		pos = find(d, hash, &found);
	}
	memcpy(d->ring[d->head], hash, DEDUP_HASH_LEN);
	d->table[pos] = (uint32_t)d->head;
	d->head = (d->head + 1) % d->window;
	d->count++;
	return false;
}

size_t dedup_count(const struct dedup *d)
{
	return d->count;
}

size_t dedup_window(const struct dedup *d)
{
	return d->window;
}
