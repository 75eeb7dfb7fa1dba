/*
 * Test helper for test_crash: opens a node's R1FS store (default sync
 * policy, packs of PACK_MIB) and either adds a file, printing "progress
 * <bytes>" after every block so that the test can kill it with SIGKILL at
 * a chosen point, or runs gc and kills itself with SIGKILL once compaction
 * has moved KILL_AFTER records (0 = let it finish), which puts the kill at
 * an exact point between a copy and the index transaction that follows it.
 *   r1fs_crash_helper NODE_DIR PACK_MIB add FILE
 *   r1fs_crash_helper NODE_DIR PACK_MIB gc KILL_AFTER
 */
#include "node/lib.h"
#include "node/r1fs/r1fs.h"

#include "core/db.h"

#include <signal.h>

static bool add_progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	(void)total;
	printf("progress %" PRIu64 "\n", done);
	fflush(stdout);
	return true;
}

struct gc_kill {
	unsigned long calls, kill_after;
};

static bool gc_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct gc_kill *k = ctx;
	(void)done;
	(void)total;
	if (++k->calls == k->kill_after) {
		printf("killing myself after %lu records\n", k->calls);
		fflush(stdout);
		kill(getpid(), SIGKILL);
	}
	return true;
}

int main(int argc, char **argv)
{
	if (argc != 5 || (strcmp(argv[3], "add") != 0 && strcmp(argv[3], "gc") != 0)) {
		fprintf(stderr,
		        "usage: r1fs_crash_helper NODE_DIR PACK_MIB add FILE|gc KILL_AFTER\n");
		return 2;
	}
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/node.db", argv[1]);
	sqlite3 *db = NULL;
	struct r1fs *fs = NULL;
	char *why = NULL;
	struct r1fs_options opt = R1FS_OPTIONS_INIT; /* the default sync policy */
	opt.pack_bytes = strtoull(argv[2], NULL, 10) << 20;
	if (db_open(path.data, &db, &why) || r1fs_open(argv[1], db, &opt, &fs, &why)) {
		fprintf(stderr, "open: %s\n", why);
		return 1;
	}
	int rc = 0;
	if (strcmp(argv[3], "add") == 0) {
		struct r1fs_add_opts o = R1FS_ADD_OPTS_INIT;
		o.progress = add_progress;
		struct r1fs_added a;
		if (r1fs_add_file(fs, argv[4], &o, &a, &why) != R1_OK) {
			fprintf(stderr, "add: %s\n", why);
			rc = 1;
		} else {
			printf("cid %s\n", a.cid);
		}
	} else {
		struct gc_kill k = {0, strtoul(argv[4], NULL, 10)};
		struct r1fs_gc_stats gs;
		if (r1fs_gc_with_progress(fs, 0, gc_progress, &k, &gs, &why) != R1_OK) {
			fprintf(stderr, "gc: %s\n", why);
			rc = 1;
		} else {
			printf("gc moved %lu records, compacted %" PRIu64 " packs\n", k.calls,
			       gs.packs_compacted);
		}
	}
	r1fs_free(&fs);
	db_close(&db);
	buf_release(&path);
	r1_free(why);
	return rc;
}
