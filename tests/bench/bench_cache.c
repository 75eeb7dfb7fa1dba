/*
 * Heartbeats per second into the console cache, batched, beside the anchor
 * measured in the same run: plain SQLite inserting 1 KB rows in one
 * transaction (the "about 100,000 rows/s here").  The heartbeat
 * figure is the whole path the console runs: a decoded heartbeat applied to
 * the netmap, its sample and node rows batched, and the writer thread
 * committing them, timed until cache_sync returns.  The ingest-side rate
 * (before the final sync) is printed too: it is what the loop feels.
 *
 *   bench_cache [NODES [HEARTBEATS]]     default 10000 nodes, 300000 heartbeats
 */
#include "core/lib.h"
#include "core/cache.h"
#include "core/db.h"
#include "core/netmap.h"

#include <sys/stat.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void rm_db(const char *path)
{
	char p[600];
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/* The anchor: N rows of 1 KB into a plain table in one transaction. */
static double sqlite_anchor(const char *path, int rows)
{
	rm_db(path);
	sqlite3 *db = NULL;
	if (db_open(path, &db, NULL))
		return 0;
	db_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)", NULL);
	char blob[1024];
	memset(blob, 'x', sizeof(blob));
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(db, "INSERT INTO t(v) VALUES(?1)", -1, &st, NULL);
	double t0 = now_s();
	db_exec(db, "BEGIN", NULL);
	for (int i = 0; i < rows; i++) {
		sqlite3_bind_blob(st, 1, blob, sizeof(blob), SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	db_exec(db, "COMMIT", NULL);
	double dt = now_s() - t0;
	sqlite3_finalize(st);
	db_close(&db);
	return rows / dt;
}

static void make_addr(uint32_t i, char out[R1_ADDR_LEN + 1])
{
	uint8_t pub[R1_PUB_LEN] = {0x02};
	memcpy(pub + 1, &i, sizeof(i));
	for (int b = 5; b < R1_PUB_LEN; b++)
		pub[b] = (uint8_t)(b * 13 + i);
	addr_format(pub, out);
}

int main(int argc, char **argv)
{
	r1_alloc_setup_jansson();
	uint32_t nodes = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 10000;
	uint32_t hbs = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 300000;
	if (!nodes || !hbs)
		return 2;
	char dir[] = "/tmp/r1bench.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char path[600], anchor_path[600];
	snprintf(path, sizeof(path), "%s/cache.db", dir);
	snprintf(anchor_path, sizeof(anchor_path), "%s/anchor.db", dir);

	const char *core = getenv("OPENBLAS_CORETYPE");
	printf("bench_cache: %u nodes, %u heartbeats (OPENBLAS_CORETYPE=%s, not used here)\n",
	       nodes, hbs, core ? core : "unset");

	double anchor = sqlite_anchor(anchor_path, 200000);
	printf("  anchor: plain SQLite, 1 KB rows in one transaction: %10.0f rows/s\n", anchor);

	char(*addrs)[R1_ADDR_LEN + 1] = calloc(nodes, sizeof(*addrs));
	for (uint32_t i = 0; i < nodes; i++)
		make_addr(i, addrs[i]);

	/* full path: netmap + cache */
	rm_db(path);
	struct cache *c = NULL;
	char *why = NULL;
	if (cache_open(path, NULL, &c, &why)) {
		fprintf(stderr, "cache_open: %s\n", why);
		return 1;
	}
	struct netmap_options no = {.max_nodes = nodes + 1};
	struct netmap *nm = NULL;
	netmap_new(&no, &nm, NULL);
	cache_attach(c, nm);
	json_t *hb = json_pack("{s:s,s:s,s:b,s:[],s:f,s:f,s:f,s:i}", "EE_ID", "bench", "VERSION",
	                       "2.10.370 | 7.7.322", "SECURED", 1, "EE_WHITELIST", "CPU_USED", 5.0,
	                       "AVAILABLE_MEMORY", 8.0, "AVAILABLE_DISK", 100.0, "CPU_NR_CORES", 8);
	int64_t t = 1800000000000;
	/* first sight of every node, not timed (node rows) */
	for (uint32_t i = 0; i < nodes; i++)
		netmap_on_heartbeat(nm, addrs[i], hb, t, 0, NULL);
	cache_sync(c, NULL);
	t += 10000;
	double t0 = now_s();
	for (uint32_t k = 0; k < hbs; k++) {
		uint32_t i = k % nodes;
		if (i == 0 && k)
			t += 10000;
		netmap_on_heartbeat(nm, addrs[i], hb, t, 0, NULL);
		if ((k & 1023) == 0)
			cache_tick(c, t);
	}
	double fed = now_s() - t0;
	cache_sync(c, NULL);
	double full = now_s() - t0;
	struct cache_stats st;
	cache_get_stats(c, &st);
	printf("  heartbeats into netmap + cache, batched:          %10.0f hb/s"
	       " (ingest side alone %.0f hb/s; %" PRIu64 " rows in %" PRIu64 " batches,"
	       " %" PRIu64 " dropped)\n",
	       hbs / full, hbs / fed, st.rows_written, st.batches_written, st.rows_dropped);
	printf("  ratio to the anchor: %.2f\n", (hbs / full) / anchor);
	cache_close(&c);
	netmap_free(&nm);
	json_decref(hb);

	struct stat sb;
	if (stat(path, &sb) == 0)
		printf("  cache file: %.1f MB\n", (double)sb.st_size / 1e6);
	rm_db(path);
	rm_db(anchor_path);
	rmdir(dir);
	free(addrs);
	r1_free(why);
	return 0;
}
