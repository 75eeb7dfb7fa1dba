/*
 * kill -9 during an add.  A helper process (r1fs_crash_helper) adds a large
 * file and is killed with SIGKILL at several points of its progress; after
 * each kill the store is reopened and must be consistent: every index row
 * names a block that exists and verifies, every file under blocks/ is a
 * whole block (its name is its hash), no temporary file is visible as a
 * block, nothing half-added is pinned, gc clears the remains, and the same
 * add then completes and reads back.
 */
#include "node/lib.h"
#include "node/r1fs/dagpb.h"
#include "node/r1fs/r1fs.h"
#include "tests/tap.h"

#include "core/db.h"
#include "core/hash.h"

#include <dirent.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

#define FILE_SIZE (160u << 20)

static char *join(const char *a, const char *b)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/%s", a, b);
	return buf_detach(&p, NULL);
}

/* Run the helper; kill it once it reports `kill_at` bytes (0 = let it finish). */
static int run_helper(const char *node_dir, const char *file, uint64_t kill_at, uint64_t *reached)
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
	char *args[] = {helper, (char *)node_dir, (char *)file, NULL};
	pid_t pid;
	if (posix_spawn(&pid, helper, &fa, NULL, args, environ) != 0)
		tap_bail("cannot start %s", helper);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	FILE *in = fdopen(pipefd[0], "r");
	char line[256];
	*reached = 0;
	bool killed = false;
	while (fgets(line, sizeof(line), in)) {
		unsigned long long n;
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

/* Every file under blocks/ must be named by its hash; count them. */
static size_t check_block_files(const char *node_dir, bool *all_whole, bool *no_strays)
{
	char *blocks = join(node_dir, "r1fs/blocks");
	DIR *top = opendir(blocks);
	size_t count = 0;
	*all_whole = true;
	*no_strays = true;
	struct dirent *sh;
	uint8_t *data = malloc(R1FS_BLOCK_MAX + 1);
	while (top && (sh = readdir(top)) != NULL) {
		if (sh->d_name[0] == '.')
			continue;
		char *shard = join(blocks, sh->d_name);
		DIR *d = opendir(shard);
		struct dirent *de;
		while (d && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			count++;
			if (strlen(de->d_name) != 64 || strncmp(de->d_name, sh->d_name, 2) != 0) {
				*no_strays = false;
				continue;
			}
			char *path = join(shard, de->d_name);
			FILE *f = fopen(path, "rb");
			size_t n = f ? fread(data, 1, R1FS_BLOCK_MAX + 1, f) : 0;
			if (f)
				fclose(f);
			uint8_t digest[32];
			char hex[65];
			sha256(data, n, digest);
			r1fs_digest_hex(digest, hex);
			if (strcmp(hex, de->d_name) != 0)
				*all_whole = false;
			r1_free(path);
		}
		if (d)
			closedir(d);
		r1_free(shard);
	}
	if (top)
		closedir(top);
	free(data);
	r1_free(blocks);
	return count;
}

/* Every index row names a block that reads back and verifies. */
static bool check_index(sqlite3 *db, struct r1fs *fs, size_t *rows)
{
	sqlite3_stmt *st = NULL;
	bool good = true;
	*rows = 0;
	struct buf block = BUF_INIT;
	sqlite3_prepare_v2(db, "SELECT digest, links FROM r1fs_blocks", -1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct r1fs_cid cid = {1, R1FS_CODEC_RAW, {0}};
		memcpy(cid.digest, sqlite3_column_blob(st, 0), 32);
		if (sqlite3_column_int(st, 1) >= 0)
			cid.codec = R1FS_CODEC_DAGPB;
		if (r1fs_get_block(fs, &cid, &block, NULL) != R1_OK)
			good = false;
		(*rows)++;
	}
	sqlite3_finalize(st);
	buf_release(&block);
	return good;
}

int main(void)
{
	const char *tmp = tap_tmpdir();
	char *file = join(tmp, "victim.bin");
	FILE *f = fopen(file, "wb");
	uint8_t *chunk = malloc(1 << 20);
	for (unsigned i = 0; i < FILE_SIZE >> 20; i++) {
		random_bytes(chunk, 1 << 20);
		fwrite(chunk, 1, 1 << 20, f);
	}
	fclose(f);
	free(chunk);

	/* Kill points: before the first index batch, after one, after two. */
	static const uint64_t kill_points[] = {20u << 20, 90u << 20, 140u << 20};
	for (size_t k = 0; k < R1_ARRAY_LEN(kill_points); k++) {
		char name[32];
		snprintf(name, sizeof(name), "node%zu", k);
		char *node_dir = join(tmp, name);
		mkdir(node_dir, 0755);
		uint64_t reached = 0;
		int status = run_helper(node_dir, file, kill_points[k], &reached);
		ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		   "helper killed with SIGKILL at %" PRIu64 " MiB of %u", reached >> 20,
		   FILE_SIZE >> 20);

		bool whole, no_strays;
		size_t on_disk = check_block_files(node_dir, &whole, &no_strays);
		ok(whole, "every file under blocks/ is a whole block (%zu files)", on_disk);
		ok(no_strays, "no temporary or partial file is visible as a block");

		char *dbpath = join(node_dir, "node.db");
		sqlite3 *db = NULL;
		struct r1fs *fs = NULL;
		char *why = NULL;
		is_int(db_open(dbpath, &db, &why), R1_OK, "reopen node.db");
		enum r1_err e = r1fs_open(node_dir, db, NULL, &fs, &why);
		is_int(e, R1_OK, "reopen the store (%s)", e ? why : "ok");
		char *tmpdir = join(node_dir, "r1fs/tmp");
		DIR *d = opendir(tmpdir);
		size_t tmp_files = 0;
		struct dirent *de;
		while (d && (de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				tmp_files++;
		if (d)
			closedir(d);
		is_int(tmp_files, 0, "reopening empties tmp/");
		size_t rows = 0;
		bool index_good = check_index(db, fs, &rows);
		ok(index_good, "every one of %zu index rows names a block that verifies", rows);
		ok(rows <= on_disk, "no index row without its file (%zu rows, %zu files)", rows,
		   on_disk);
		if (k > 0)
			ok(rows > 0, "the index had committed batches before the kill");
		struct r1fs_store_stat st;
		r1fs_store_stat(fs, &st, &why);
		is_int(st.pins, 0, "nothing half-added is pinned");

		struct r1fs_gc_stats gs;
		is_int(r1fs_gc(fs, 0, &gs, &why), R1_OK, "gc after the crash");
		is_int(gs.blocks_removed, on_disk, "gc removes every left-over block (%" PRIu64 ")",
		       gs.blocks_removed);
		r1fs_store_stat(fs, &st, &why);
		is_int(st.blocks, 0, "the index is empty");
		is_int(st.used_bytes, 0, "and uses no bytes");
		r1fs_free(&fs);
		db_close(&db);

		/* The same add now runs to the end, and the file reads back. */
		status = run_helper(node_dir, file, 0, &reached);
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "the add completes after the crash");
		is_int(reached, FILE_SIZE, "all bytes went through");
		if (k == R1_ARRAY_LEN(kill_points) - 1) {
			db_open(dbpath, &db, &why);
			r1fs_open(node_dir, db, NULL, &fs, &why);
			struct r1fs_pin *pins = NULL;
			size_t np = 0;
			r1fs_list_pins(fs, &pins, &np, &why);
			is_int(np, 1, "one pin");
			char *out = join(tmp, "restored");
			mkdir(out, 0755);
			char *restored = NULL;
			is_int(r1fs_get_file(fs, np ? pins[0].cid : "", out, NULL, &restored, &why),
			       R1_OK, "get the file");
			struct stat s1;
			ok(restored && stat(restored, &s1) == 0 &&
			       (uint64_t)s1.st_size == FILE_SIZE,
			   "restored at full size");
			struct buf cmd = BUF_INIT;
			buf_addf(&cmd, "cmp -s '%s' '%s'", file,
			         restored ? restored : "/nonexistent");
			is_int(system(cmd.data), 0, "byte-identical to the original");
			buf_release(&cmd);
			if (restored)
				unlink(restored);
			r1_free(restored);
			r1_free(pins);
			r1_free(out);
			r1fs_free(&fs);
			db_close(&db);
		}
		r1_free(why);
		r1_free(tmpdir);
		r1_free(dbpath);
		r1_free(node_dir);
	}
	unlink(file);
	r1_free(file);
	return tap_done();
}
