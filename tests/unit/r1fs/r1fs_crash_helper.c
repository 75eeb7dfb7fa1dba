/*
 * Test helper for test_crash: opens a node's R1FS store and adds one file,
 * printing "progress <bytes>" after every block so that the test can kill
 * it with SIGKILL at a chosen point, and "cid <CID>" if it gets to the end.
 *   r1fs_crash_helper NODE_DIR FILE
 */
#include "node/lib.h"
#include "node/r1fs/r1fs.h"

#include "core/db.h"

static bool progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	(void)total;
	printf("progress %" PRIu64 "\n", done);
	fflush(stdout);
	return true;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: r1fs_crash_helper NODE_DIR FILE\n");
		return 2;
	}
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/node.db", argv[1]);
	sqlite3 *db = NULL;
	struct r1fs *fs = NULL;
	char *why = NULL;
	struct r1fs_options opt = R1FS_OPTIONS_INIT; /* the default sync policy */
	if (db_open(path.data, &db, &why) || r1fs_open(argv[1], db, &opt, &fs, &why)) {
		fprintf(stderr, "open: %s\n", why);
		return 1;
	}
	struct r1fs_add_opts o = R1FS_ADD_OPTS_INIT;
	o.progress = progress;
	struct r1fs_added a;
	if (r1fs_add_file(fs, argv[2], &o, &a, &why) != R1_OK) {
		fprintf(stderr, "add: %s\n", why);
		return 1;
	}
	printf("cid %s\n", a.cid);
	r1fs_free(&fs);
	db_close(&db);
	buf_release(&path);
	return 0;
}
