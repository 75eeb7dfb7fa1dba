/*
 * kill -9 against the pack layout.  A helper process (r1fs_crash_helper)
 * adds a large file and is killed with SIGKILL at several points of its
 * progress, or runs gc and kills itself in the middle of a compaction.
 * After each kill, before anything reopens the store, every index row must
 * name a whole record that verifies against its hash, in a pack that
 * exists; then the store reopens without losing a row, with every pack cut
 * to the end of its last indexed record and no pack that nothing indexes,
 * nothing half-added pinned; gc clears the remains, and the interrupted
 * operation then completes with the file intact.
 */
#include "node/lib.h"
#include "node/r1fs/dagpb.h"
#include "node/r1fs/r1fs.h"
#include "tests/tap.h"

#include "core/db.h"
#include "core/hash.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

#define FILE_SIZE    (160u << 20)
#define ADD_PACK_MIB 32
#define GC_PACK_MIB  64
#define REC_HDR      BLOCKSTORE_RECORD_HDR

static char *join(const char *a, const char *b)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/%s", a, b);
	return buf_detach(&p, NULL);
}

static void make_random_file(const char *path, size_t size)
{
	FILE *f = fopen(path, "wb");
	uint8_t *chunk = malloc(1 << 20);
	for (size_t done = 0; done < size; done += 1 << 20) {
		random_bytes(chunk, 1 << 20);
		fwrite(chunk, 1, R1_MIN((size_t)1 << 20, size - done), f);
	}
	fclose(f);
	free(chunk);
}

/*
 * Run the helper with args; kill it once it reports `kill_at` bytes (0 =
 * let it run).  *reached gets the last progress; `last` the last line.
 */
static int run_helper(const char *const args[], uint64_t kill_at, uint64_t *reached, char last[256])
{
	const char *bdir = getenv("R1_BUILDDIR");
	char *helper = join(bdir ? bdir : ".", "tests/unit/r1fs/r1fs_crash_helper");
	int pipefd[2];
	if (pipe(pipefd) != 0)
		tap_bail("pipe: %s", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	char *argv[8] = {helper};
	for (int i = 0; args[i] && i < 6; i++)
		argv[i + 1] = (char *)args[i]; /* posix_spawn does not write them */
	pid_t pid;
	if (posix_spawn(&pid, helper, &fa, NULL, argv, environ) != 0)
		tap_bail("cannot start %s", helper);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	FILE *in = fdopen(pipefd[0], "r");
	char line[256];
	*reached = 0;
	last[0] = '\0';
	bool killed = false;
	while (fgets(line, sizeof(line), in)) {
		unsigned long long n;
		snprintf(last, 256, "%s", line);
		if (sscanf(line, "progress %llu", &n) == 1) {
			*reached = n;
			if (kill_at && n >= kill_at && !killed) {
				kill(pid, SIGKILL);
				killed = true;
			}
		}
	}
	fclose(in);
	int status = 0;
	waitpid(pid, &status, 0);
	r1_free(helper);
	return status;
}

struct pack_info {
	unsigned id;
	int64_t size;
	int64_t rows, end; /* from the index */
};

/* The pack files on disk. */
static size_t list_packs(const char *node_dir, struct pack_info *out, size_t max)
{
	char *dir = join(node_dir, "r1fs/packs");
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;
	while (d && (de = readdir(d)) != NULL && n < max) {
		unsigned id;
		char tail[16];
		if (sscanf(de->d_name, "%8x%15s", &id, tail) != 2 || strcmp(tail, ".pack") != 0)
			continue;
		struct stat st;
		char *p = join(dir, de->d_name);
		out[n] = (struct pack_info){id, stat(p, &st) == 0 ? st.st_size : -1, 0, 0};
		r1_free(p);
		n++;
	}
	if (d)
		closedir(d);
	r1_free(dir);
	return n;
}

/*
 * Straight from the files, with nothing reopened (opening repairs): every
 * index row names a whole record in an existing pack whose header and hash
 * match.  *rows gets the row count.
 */
static bool records_verify(const char *node_dir, int64_t *rows)
{
	char *dbpath = join(node_dir, "node.db");
	sqlite3 *db = NULL;
	bool good = sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK;
	sqlite3_stmt *st = NULL;
	*rows = 0;
	good = good && sqlite3_prepare_v2(db, "SELECT digest, size, pack, off FROM r1fs_blocks", -1,
	                                  &st, NULL) == SQLITE_OK;
	uint8_t *rec = malloc(REC_HDR + R1FS_BLOCK_MAX);
	while (good && sqlite3_step(st) == SQLITE_ROW) {
		(*rows)++;
		const uint8_t *digest = sqlite3_column_blob(st, 0);
		int64_t size = sqlite3_column_int64(st, 1), off = sqlite3_column_int64(st, 3);
		char name[64];
		snprintf(name, sizeof(name), "r1fs/packs/%08x.pack",
		         (unsigned)sqlite3_column_int64(st, 2));
		char *path = join(node_dir, name);
		int fd = open(path, O_RDONLY);
		r1_free(path);
		if (fd < 0 || size > R1FS_BLOCK_MAX ||
		    pread(fd, rec, REC_HDR + (size_t)size, off) != REC_HDR + size) {
			good = false;
		} else {
			uint8_t h[32];
			sha256(rec + REC_HDR, (size_t)size, h);
			good = memcmp(rec + 16, digest, 32) == 0 && memcmp(h, digest, 32) == 0;
		}
		if (fd >= 0)
			close(fd);
	}
	free(rec);
	sqlite3_finalize(st);
	sqlite3_close(db);
	r1_free(dbpath);
	return good;
}

/* After a reopen: each pack ends at its last indexed record; none is unindexed. */
static bool packs_tidy(const char *node_dir, sqlite3 *db, size_t *npacks)
{
	struct pack_info packs[64];
	size_t n = list_packs(node_dir, packs, 64);
	*npacks = n;
	bool good = true;
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(db,
	                   "SELECT COUNT(*), COALESCE(MAX(off + ?2 + size), 0) FROM r1fs_blocks"
	                   " WHERE pack = ?1",
	                   -1, &st, NULL);
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, packs[i].id);
		sqlite3_bind_int(st, 2, REC_HDR);
		if (sqlite3_step(st) != SQLITE_ROW)
			good = false;
		packs[i].rows = sqlite3_column_int64(st, 0);
		packs[i].end = sqlite3_column_int64(st, 1);
		if (packs[i].rows == 0 || packs[i].size != packs[i].end) {
			tap_diag("pack %08x: %" PRId64 " bytes, %" PRId64
			         " rows ending at %" PRId64,
			         packs[i].id, packs[i].size, packs[i].rows, packs[i].end);
			good = false;
		}
	}
	sqlite3_finalize(st);
	return good;
}

static int64_t count_rows(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;
	if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM r1fs_blocks", -1, &st, NULL) ==
	        SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static bool same_file(const char *a, const char *b)
{
	struct buf cmd = BUF_INIT;
	buf_addf(&cmd, "cmp -s '%s' '%s'", a, b ? b : "/nonexistent");
	bool same = system(cmd.data) == 0;
	buf_release(&cmd);
	return same;
}

struct store {
	sqlite3 *db;
	struct r1fs *fs;
};

static void store_open(struct store *s, const char *node_dir, uint64_t pack_mib)
{
	char *dbpath = join(node_dir, "node.db");
	char *why = NULL;
	struct r1fs_options opt = R1FS_OPTIONS_INIT;
	opt.pack_bytes = pack_mib << 20;
	if (db_open(dbpath, &s->db, &why) != R1_OK ||
	    r1fs_open(node_dir, s->db, &opt, &s->fs, &why) != R1_OK)
		tap_bail("open %s: %s", node_dir, why);
	r1_free(dbpath);
}

static void store_close(struct store *s)
{
	r1fs_free(&s->fs);
	db_close(&s->db);
}

/* Get `cid` and compare it with `original`. */
static bool reads_back(struct store *s, const char *cid, const char *original, const char *tmp)
{
	char *out = join(tmp, "restored");
	mkdir(out, 0755);
	char *restored = NULL, *why = NULL;
	bool good = r1fs_get_file(s->fs, cid, out, NULL, &restored, &why) == R1_OK &&
	            same_file(original, restored);
	if (!good)
		tap_diag("get %s: %s", cid, why ? why : "differs");
	if (restored)
		unlink(restored);
	r1_free(restored);
	r1_free(why);
	r1_free(out);
	return good;
}

static void test_kill_during_add(const char *tmp, const char *file)
{
	/* Before the first index batch, after one, after two (32 MiB packs). */
	static const uint64_t kill_points[] = {20u << 20, 90u << 20, 140u << 20};
	for (size_t k = 0; k < R1_ARRAY_LEN(kill_points); k++) {
		char name[32];
		snprintf(name, sizeof(name), "add%zu", k);
		char *node_dir = join(tmp, name);
		mkdir(node_dir, 0755);
		uint64_t reached = 0;
		char last[256];
		char pack_mib[16];
		snprintf(pack_mib, sizeof(pack_mib), "%d", ADD_PACK_MIB);
		const char *args[] = {node_dir, pack_mib, "add", file, NULL};
		int status = run_helper(args, kill_points[k], &reached, last);
		ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		   "add killed with SIGKILL at %" PRIu64 " MiB of %u", reached >> 20,
		   FILE_SIZE >> 20);
		int64_t rows = 0;
		bool verified = records_verify(node_dir, &rows);
		ok(verified,
		   "before any repair, each of the %" PRId64 " index rows names a whole record"
		   " that verifies",
		   rows);
		if (k > 0)
			ok(rows > 0, "the index had committed batches before the kill");

		struct store s;
		store_open(&s, node_dir, ADD_PACK_MIB);
		is_int(count_rows(s.db), rows, "reopening loses no index row");
		size_t npacks = 0;
		bool tidy = packs_tidy(node_dir, s.db, &npacks);
		ok(tidy, "every pack (%zu) ends at its last indexed record; none is unindexed",
		   npacks);
		struct r1fs_store_stat st;
		r1fs_store_stat(s.fs, &st, NULL);
		is_int(st.pins, 0, "nothing half-added is pinned");
		struct r1fs_gc_stats gs;
		char *why = NULL;
		is_int(r1fs_gc(s.fs, 0, &gs, &why), R1_OK, "gc after the crash");
		is_int(gs.blocks_removed, rows, "gc removes every left-over block");
		r1fs_store_stat(s.fs, &st, NULL);
		ok(st.blocks == 0 && st.used_bytes == 0 && st.packs == 0 && st.disk_bytes == 0,
		   "leaving no row, no byte and no pack");
		store_close(&s);
		r1_free(why);

		/* The same add now runs to the end, and the file reads back. */
		status = run_helper(args, 0, &reached, last);
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "the add completes after the crash");
		is_int(reached, FILE_SIZE, "all bytes went through");
		if (k == R1_ARRAY_LEN(kill_points) - 1) {
			char cid[R1FS_CID_TEXT_MAX] = "";
			sscanf(last, "cid %63s", cid);
			store_open(&s, node_dir, ADD_PACK_MIB);
			ok(r1fs_is_pinned(s.fs, cid), "the completed add is pinned");
			ok(reads_back(&s, cid, file, tmp), "and reads back byte-identical");
			store_close(&s);
		}
		r1_free(node_dir);
	}
}

/*
 * 64 MiB packs: A (24 MiB, pinned) then B (100 MiB) put A and 40 MiB of B
 * in pack 1; with B unpinned, gc deletes B's other packs and compacts pack
 * 1, moving A's 99 records in two index transactions (64 + 35).  The
 * helper kills itself after 20 records (mid first batch), 80 (after the
 * first transaction) and 99 (every copy made, the last transaction not).
 */
static void test_kill_during_compaction(const char *tmp)
{
	char *fa = join(tmp, "a.bin"), *fb = join(tmp, "b.bin");
	make_random_file(fa, 24u << 20);
	make_random_file(fb, 100u << 20);
	static const char *const kill_after[] = {"20", "80", "99"};
	for (size_t k = 0; k < R1_ARRAY_LEN(kill_after); k++) {
		char name[32];
		snprintf(name, sizeof(name), "gc%zu", k);
		char *node_dir = join(tmp, name);
		mkdir(node_dir, 0755);
		struct store s;
		store_open(&s, node_dir, GC_PACK_MIB);
		struct r1fs_added a, b;
		char *why = NULL;
		if (r1fs_add_file(s.fs, fa, NULL, &a, &why) != R1_OK ||
		    r1fs_add_file(s.fs, fb, NULL, &b, &why) != R1_OK ||
		    r1fs_unpin(s.fs, b.cid, &why) != R1_OK)
			tap_bail("setting up: %s", why);
		int64_t a_blocks = 0;
		struct r1fs_store_stat st;
		r1fs_store_stat(s.fs, &st, NULL);
		store_close(&s);

		uint64_t reached = 0;
		char last[256];
		char pack_mib[16];
		snprintf(pack_mib, sizeof(pack_mib), "%d", GC_PACK_MIB);
		const char *args[] = {node_dir, pack_mib, "gc", kill_after[k], NULL};
		int status = run_helper(args, 0, &reached, last);
		ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		   "gc killed with SIGKILL during compaction (%.*s)", (int)strcspn(last, "\n"),
		   last);
		int64_t rows = 0;
		bool verified = records_verify(node_dir, &rows);
		ok(verified,
		   "before any repair, each of the %" PRId64 " index rows names a whole record"
		   " that verifies",
		   rows);
		store_open(&s, node_dir, GC_PACK_MIB);
		is_int(count_rows(s.db), rows, "reopening loses no index row");
		size_t npacks = 0;
		bool tidy = packs_tidy(node_dir, s.db, &npacks);
		ok(tidy, "every pack (%zu) ends at its last indexed record; none is unindexed",
		   npacks);
		ok(reads_back(&s, a.cid, fa, tmp), "A reads back byte-identical after the kill");
		struct r1fs_gc_stats gs;
		is_int(r1fs_gc(s.fs, 0, &gs, &why), R1_OK, "gc completes on the next run");
		r1fs_store_stat(s.fs, &st, NULL);
		a_blocks = st.blocks;
		is_int(a_blocks, 99, "A's 99 blocks remain");
		is_int(st.disk_bytes, st.packs * 32 + (uint64_t)st.blocks * REC_HDR + st.used_bytes,
		       "and the disk holds nothing else (%" PRIu64 " packs)", st.packs);
		ok(reads_back(&s, a.cid, fa, tmp), "A still reads back byte-identical");
		store_close(&s);
		r1_free(why);
		r1_free(node_dir);
	}
	unlink(fa);
	unlink(fb);
	r1_free(fa);
	r1_free(fb);
}

int main(void)
{
	const char *tmp = tap_tmpdir();
	char *file = join(tmp, "victim.bin");
	make_random_file(file, FILE_SIZE);
	test_kill_during_add(tmp, file);
	unlink(file);
	r1_free(file);
	test_kill_during_compaction(tmp);
	return tap_done();
}
