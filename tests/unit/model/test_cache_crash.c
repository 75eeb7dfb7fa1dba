/*
 * The cache survives kill -9 during heavy ingest: a child process feeds
 * heartbeats of 2,000 nodes through a netmap into the cache as fast as it
 * can, reporting after each cache_sync how many samples are committed; the
 * parent kills it with SIGKILL in the middle of a later batch, then checks
 * the file: PRAGMA integrity_check says ok, every reported sample is there
 * (at most the batches after the last report are lost), and the cache opens
 * and restores again.
 */
#include "core/lib.h"
#include "core/cache.h"
#include "core/db.h"
#include "core/netmap.h"
#include "tests/tap.h"

#include <signal.h>
#include <sys/wait.h>

#define NODES 2000

static void make_addr(uint32_t i, char out[R1_ADDR_LEN + 1])
{
	uint8_t pub[R1_PUB_LEN] = {0x02};
	memcpy(pub + 1, &i, sizeof(i));
	for (int b = 5; b < R1_PUB_LEN; b++)
		pub[b] = (uint8_t)(b * 7 + i);
	addr_format(pub, out);
}

/* The child: ingest forever, report committed sample counts on fd. */
static void child(const char *path, int fd)
{
	r1_alloc_setup_jansson();
	struct cache_options o = {.flush_rows = 2000, .flush_ms = 50};
	struct cache *c = NULL;
	if (cache_open(path, &o, &c, NULL))
		_exit(2);
	struct netmap_options no = {.max_nodes = NODES * 2};
	struct netmap *nm = NULL;
	if (netmap_new(&no, &nm, NULL) || cache_attach(c, nm))
		_exit(3);
	char(*addrs)[R1_ADDR_LEN + 1] = calloc(NODES, sizeof(*addrs));
	for (uint32_t i = 0; i < NODES; i++)
		make_addr(i, addrs[i]);
	json_t *hb = json_pack("{s:s,s:f,s:f,s:f}", "EE_ID", "n", "CPU_USED", 1.0,
	                       "AVAILABLE_MEMORY", 2.0, "AVAILABLE_DISK", 3.0);
	int64_t t = 1800000000000;
	uint64_t samples = 0;
	for (uint64_t round = 0;; round++) {
		for (uint32_t i = 0; i < NODES; i++) {
			json_object_set_new(hb, "CPU_USED", json_real((double)(round % 100)));
			netmap_on_heartbeat(nm, addrs[i], hb, t, 0, NULL);
			samples++;
			cache_tick(c, t);
		}
		t += 10000;
		if (round % 4 == 3) {
			if (cache_sync(c, NULL))
				_exit(4);
			char line[64];
			int n = snprintf(line, sizeof(line), "%" PRIu64 "\n", samples);
			if (write(fd, line, (size_t)n) != n)
				_exit(5);
		}
	}
}

int main(void)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/crash.db", tap_tmpdir());
	int fds[2];
	if (pipe(fds) != 0)
		tap_bail("pipe");
	pid_t pid = fork();
	if (pid < 0)
		tap_bail("fork");
	if (pid == 0) {
		close(fds[0]);
		child(path, fds[1]);
		_exit(0);
	}
	close(fds[1]);
	FILE *in = fdopen(fds[0], "r");
	char line[64];
	uint64_t reported = 0;
	int reports = 0;
	while (reports < 5 && fgets(line, sizeof(line), in)) {
		reported = strtoull(line, NULL, 10);
		reports++;
	}
	is_int(reports, 5, "the child reported five committed checkpoints");
	usleep(30000); /* into the middle of the next batches */
	kill(pid, SIGKILL);
	int status = 0;
	waitpid(pid, &status, 0);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child killed by SIGKILL");
	/* a report written just before the kill may still be in the pipe */
	while (fgets(line, sizeof(line), in))
		reported = strtoull(line, NULL, 10);
	fclose(in);

	sqlite3 *db = NULL;
	char *why = NULL;
	is_int(db_open(path, &db, &why), R1_OK, "the file opens after kill -9");
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
	const char *verdict =
	    sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : "no answer";
	is_str(verdict, "ok", "PRAGMA integrity_check");
	sqlite3_finalize(st);
	sqlite3_prepare_v2(db, "SELECT count(*) FROM hb_samples", -1, &st, NULL);
	int64_t samples = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	ok(samples >= (int64_t)reported,
	   "every reported sample survived (%" PRId64 " >= %" PRIu64 ")", samples, reported);
	sqlite3_prepare_v2(db, "SELECT count(*) FROM nodes", -1, &st, NULL);
	int64_t nodes = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	is_int(nodes, NODES, "all nodes are in the table");
	db_close(&db);

	struct cache *c = NULL;
	is_int(cache_open(path, NULL, &c, &why), R1_OK, "the cache opens again");
	struct netmap *nm = NULL;
	struct netmap_options no = {0};
	netmap_new(&no, &nm, NULL);
	size_t restored = 0;
	is_int(cache_restore(c, nm, &restored, &why), R1_OK, "and restores");
	is_int(restored, NODES, "every node restored");
	netmap_free(&nm);
	cache_close(&c);
	r1_free(why);
	return tap_done();
}
