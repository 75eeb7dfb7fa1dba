/*
 * Unit tests of core/dedup: the de-duplication window (FIFO eviction, exact
 * membership after many evictions, hashes crafted to share low bits), the
 * size gate and the drop counters.
 */
#include "core/lib.h"
#include "core/dedup.h"
#include "tests/tap.h"

static void make_hash(uint8_t h[DEDUP_HASH_LEN], uint32_t n)
{
	memset(h, 0, DEDUP_HASH_LEN);
	memcpy(h, &n, sizeof(n));
	h[31] = 0x5a;
}

static void test_degenerate(void)
{
	struct dedup *d = NULL;
	char *why = NULL;
	is_int(dedup_new(0, &d, &why), R1_ERR_INVAL, "window 0 refused");
	ok(why && strstr(why, "window 0"), "reason names the window");
	is_int(dedup_new((size_t)1 << 25, &d, NULL), R1_ERR_INVAL, "huge window refused");
	r1_free(why);
	dedup_free(&d);
	ok(d == NULL, "freeing NULL is fine");

	is_int(dedup_new(1, &d, NULL), R1_OK, "window of one");
	uint8_t a[32], b[32];
	make_hash(a, 1);
	make_hash(b, 2);
	ok(!dedup_seen(d, a), "first sight of a");
	ok(dedup_seen(d, a), "a again is a duplicate");
	ok(!dedup_seen(d, b), "b is new and evicts a");
	ok(!dedup_contains(d, a), "a forgotten");
	ok(dedup_contains(d, b), "b remembered");
	is_int((long long)dedup_count(d), 1, "count stays at the window");
	dedup_free(&d);
	ok(d == NULL, "free NULLs the pointer");
}

static void test_fifo(void)
{
	struct dedup *d = NULL;
	uint8_t h[32];
	is_int(dedup_new(100, &d, NULL), R1_OK, "window of 100");
	is_int((long long)dedup_window(d), 100, "window size reported");
	for (uint32_t i = 0; i < 100; i++) {
		make_hash(h, i);
		dedup_seen(d, h);
	}
	is_int((long long)dedup_count(d), 100, "full");
	make_hash(h, 0);
	ok(dedup_seen(d, h), "oldest still there when full");
	make_hash(h, 100);
	ok(!dedup_seen(d, h), "101st is new");
	make_hash(h, 0);
	ok(!dedup_contains(d, h), "the oldest (0) was evicted");
	make_hash(h, 1);
	ok(dedup_contains(d, h), "1 is still there");
	make_hash(h, 100);
	ok(dedup_contains(d, h), "the newest is there");

	/* Long run: after each insert exactly the last 100 are members. */
	bool exact = true;
	for (uint32_t i = 101; i < 20000; i++) {
		make_hash(h, i);
		if (dedup_seen(d, h))
			exact = false;
		make_hash(h, i - 100);
		if (dedup_contains(d, h))
			exact = false;
		make_hash(h, i - 99);
		if (!dedup_contains(d, h))
			exact = false;
	}
	ok(exact, "membership is exactly the last 100 over 20000 inserts");
	is_int((long long)dedup_count(d), 100, "count after the run");
	dedup_clear(d);
	is_int((long long)dedup_count(d), 0, "clear empties");
	make_hash(h, 19999);
	ok(!dedup_contains(d, h), "cleared hash forgotten");
	dedup_free(&d);
}

static void test_crafted(void)
{
	/* Hashes equal except in their last bytes: a set indexed by raw low
	 * bits would put them all in one chain. */
	struct dedup *d = NULL;
	uint8_t h[32];
	is_int(dedup_new(4096, &d, NULL), R1_OK, "window of 4096");
	int dups = 0;
	for (uint32_t i = 0; i < 10000; i++) {
		memset(h, 0xab, sizeof(h));
		h[30] = (uint8_t)(i >> 8);
		h[31] = (uint8_t)i;
		dups += dedup_seen(d, h);
	}
	is_int(dups, 0, "10000 distinct crafted hashes are all new");
	memset(h, 0xab, sizeof(h));
	h[30] = (uint8_t)(9999 >> 8);
	h[31] = (uint8_t)9999;
	ok(dedup_seen(d, h), "the last crafted hash is a duplicate");
	dedup_free(&d);
}

static void test_drops(void)
{
	struct ingest_drops drops = {{0}};
	ok(ingest_size_ok(0, &drops), "0 bytes pass");
	ok(ingest_size_ok(R1_MAX_MESSAGE_LEN, &drops), "exactly 2 MB passes");
	ok(!ingest_size_ok(R1_MAX_MESSAGE_LEN + 1, &drops), "2 MB + 1 is dropped");
	ok(!ingest_size_ok(SIZE_MAX, NULL), "NULL counters are allowed");
	is_int((long long)drops.count[INGEST_DROP_OVERSIZE], 1, "oversize counted once");
	is_int((long long)ingest_drops_total(&drops), 1, "total");
	is_str(ingest_drop_name(INGEST_DROP_OVERSIZE), "oversize", "name of oversize");
	is_str(ingest_drop_name(INGEST_DROP_DUPLICATE), "duplicate", "name of duplicate");
	is_str(ingest_drop_name((enum ingest_drop)77), "unknown", "unknown reason");
}

static void test_nomem(void)
{
	struct dedup *d = NULL;
	for (long n = 0; n < 3; n++) {
		r1_alloc_fail_after(n);
		enum r1_err err = dedup_new(10, &d, NULL);
		r1_alloc_fail_after(-1);
		is_int(err, R1_ERR_NOMEM, "allocation %ld failing gives NOMEM", n);
	}
	ok(d == NULL, "nothing returned on failure");
}

int main(void)
{
	test_degenerate();
	test_fifo();
	test_crafted();
	test_drops();
	test_nomem();
	return tap_done();
}
