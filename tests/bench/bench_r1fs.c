/*
 * R1FS throughput: add and get of one large encrypted file on one node,
 * each figure beside its anchors measured in the same run: the machine's
 * raw SHA-256 (OpenSSL with SHA-NI, and libsodium), raw AES-256-GCM
 * (OpenSSL EVP, and libsodium's one-shot API), their sequential combination
 * (what one core needs to hash and encrypt every byte once), the disk's
 * sequential write rate, and ipfs_cid's time on the same file.  Peak RSS
 * shows the memory bound.
 *
 * Then the same file fetched by a second node: two nodes (R1FS_MANAGER,
 * the exchange) on one loop, once over the in-process bus and once over a
 * private mosquitto on loopback (the bench starts it); node B's get runs
 * on a thread of its own, as the HTTP API's do, and its blocks come from
 * node A through the exchange (sealed with the transfer's key, signed,
 * verified, hashed, stored), then are decrypted into the restored file.
 * Both ends share this process and its two cores, so the figure is what
 * one machine does playing both parts.  Each bus runs twice: with every
 * message verified on the loop thread, and with the daemon's ingest pool
 * (node_config.ingest_pool: one pool of as many threads as cores, as
 * `r1console node` makes, shared here by the two nodes).  Beside each
 * figure: the CPU seconds each kind of thread spent during the get (the
 * loop, which runs both nodes; the pool's workers, which include
 * R1FS_MANAGER's own; the getter), and what the ingest did with the
 * messages (pooled, inline because nothing else waited, inline because
 * the pool was full, and how often the bus was paused).
 *
 * What reaches the disk: the add runs under the store's sync policy (by
 * default each pack is fdatasync'd before the index transaction naming
 * it, so the add's time includes getting its bytes to the disk); the
 * anchor "including fdatasync" is the disk's own rate for the same bytes.
 * The first get reads the packs the add just wrote from the page cache;
 * the second first drops them from the cache (they are clean after the
 * sync, so POSIX_FADV_DONTNEED evicts them) and reads them from the disk
 * (a virtual disk, which the host may cache).  get writes the restored file
 * into the page cache without syncing it (only sync=each syncs it).
 *
 *   bench_r1fs [SIZE_MIB [DIR [SYNC]]]   (default 1024 MiB under $TMPDIR,
 *                                         SYNC none|batch|each, default batch)
 *
 * BENCH_R1FS_NODES_ONLY=1 skips to the two-node figures (to profile them).
 *
 * Not a test: run it by hand on a quiet machine; the load average is
 * printed so that a busy run is recognizable.
 */
#include "node/lib.h"
#include "node/r1fs/r1fs.h"

#include "core/bus.h"
#include "core/bus_local.h"
#include "core/bus_mqtt.h"
#include "core/db.h"
#include "core/hash.h"
#include "core/ingest.h"
#include "core/loop.h"
#include "core/workers.h"
#include "node/node.h"

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include <openssl/evp.h>
#include <sodium.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mbps(uint64_t bytes, double seconds)
{
	return (double)bytes / seconds / 1e6;
}

#define CHUNK (1u << 20)

static double bench_sha_openssl(const uint8_t *buf, uint64_t total)
{
	struct sha256_stream *s = sha256_stream_new();
	uint8_t out[32];
	double t = now();
	for (uint64_t done = 0; done < total; done += CHUNK)
		sha256_stream_update(s, buf, CHUNK);
	sha256_stream_final(s, out);
	t = now() - t;
	sha256_stream_free(&s);
	return mbps(total, t);
}

static double bench_sha_sodium(const uint8_t *buf, uint64_t total)
{
	crypto_hash_sha256_state st;
	uint8_t out[32];
	crypto_hash_sha256_init(&st);
	double t = now();
	for (uint64_t done = 0; done < total; done += CHUNK)
		crypto_hash_sha256_update(&st, buf, CHUNK);
	crypto_hash_sha256_final(&st, out);
	return mbps(total, now() - t);
}

static double bench_gcm_openssl(const uint8_t *buf, uint8_t *out, uint64_t total)
{
	uint8_t key[32] = {1}, iv[12] = {2}, tag[16];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;
	EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv);
	double t = now();
	for (uint64_t done = 0; done < total; done += CHUNK)
		EVP_EncryptUpdate(c, out, &n, buf, CHUNK);
	EVP_EncryptFinal_ex(c, out, &n);
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
	t = now() - t;
	EVP_CIPHER_CTX_free(c);
	return mbps(total, t);
}

static double bench_gcm_sodium(const uint8_t *buf, uint8_t *out, uint64_t total)
{
	if (!crypto_aead_aes256gcm_is_available())
		return 0;
	uint8_t key[32] = {1}, npub[12] = {2};
	unsigned long long clen;
	double t = now();
	/* One-shot only: every 1 MiB is its own message (no streaming API). */
	for (uint64_t done = 0; done < total; done += CHUNK)
		crypto_aead_aes256gcm_encrypt(out, &clen, buf, CHUNK, NULL, 0, NULL, npub, key);
	return mbps(total, now() - t);
}

/*
 * One file written sequentially, writeback started every 8 MiB as the
 * store does, then fdatasync'd; *synced_mbps includes the sync.  (Without
 * the early writeback, a file larger than the kernel's dirty limit is
 * throttled to a fraction of the disk's rate.)
 */
static double bench_seq_write(const char *path, const uint8_t *buf, uint64_t total,
                              double *synced_mbps)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return 0;
	double t = now();
	for (uint64_t done = 0; done < total; done += CHUNK) {
		if (write(fd, buf, CHUNK) != (ssize_t)CHUNK)
			return 0;
		if ((done + CHUNK) % (8u << 20) == 0)
			sync_file_range(fd, (off_t)(done + CHUNK - (8u << 20)), 8u << 20,
			                SYNC_FILE_RANGE_WRITE);
	}
	double w = now() - t;
	if (fdatasync(fd) != 0)
		return 0;
	*synced_mbps = mbps(total, now() - t);
	close(fd);
	unlink(path);
	return mbps(total, w);
}

/*
 * Evict the (clean, synced) packs from the page cache; with `read`, then
 * read them sequentially (1 MiB reads) and return that rate: the disk's.
 */
static double drop_packs(const char *node, bool read_them)
{
	uint64_t bytes = 0;
	double t = now();
	uint8_t *chunk = read_them ? malloc(CHUNK) : NULL;
	char path[700];
	snprintf(path, sizeof(path), "%s/r1fs/packs", node);
	DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		fdatasync(fd);
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		ssize_t n;
		while (chunk && (n = read(fd, chunk, CHUNK)) > 0)
			bytes += (uint64_t)n;
		if (chunk)
			posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
	if (d)
		closedir(d);
	free(chunk);
	return mbps(bytes, now() - t);
}

static long peak_rss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* ---- two nodes: the exchange */

struct getter {
	struct r1fs *fs;
	const char *cid, *out;
	enum r1_err err;
	char *why, *path;
	double cpu; /* the thread's CPU seconds, taken before it ends */
	volatile bool done;
};

/* CPU seconds used so far by this process's live threads, by kind. */
struct thread_cpu {
	double loop, workers, other;
};

static struct thread_cpu thread_cpu(void)
{
	struct thread_cpu c = {0};
	double tick = (double)sysconf(_SC_CLK_TCK);
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char path[300], line[1024];
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", de->d_name);
		FILE *f = fopen(path, "r");
		size_t len = f ? fread(line, 1, sizeof(line) - 1, f) : 0;
		if (f)
			fclose(f);
		line[len] = 0;
		/* pid (comm) state ppid ... utime (14) stime (15) */
		char *close_paren = strrchr(line, ')'), *open_paren = strchr(line, '(');
		unsigned long long ut = 0, st = 0;
		if (!close_paren || !open_paren ||
		    sscanf(close_paren + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		           &ut, &st) != 2)
			continue;
		double sec = (double)(ut + st) / tick;
		size_t n = (size_t)(close_paren - open_paren - 1);
		if ((pid_t)atol(de->d_name) == getpid())
			c.loop += sec;
		else if (n == 9 && strncmp(open_paren + 1, "r1-worker", 9) == 0)
			c.workers += sec;
		else
			c.other += sec;
	}
	if (d)
		closedir(d);
	return c;
}

static void *getter_main(void *arg)
{
	struct getter *g = arg;
	struct r1fs_get_opts go = R1FS_GET_OPTS_INIT;
	go.secret = "bench";
	g->err = r1fs_get_file(g->fs, g->cid, g->out, &go, &g->path, &g->why);
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	g->cpu = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	g->done = true;
	return NULL;
}

static void run_until(struct loop *loop, volatile bool *flag, double seconds)
{
	double end = now() + seconds;
	while (!*flag && now() < end)
		loop_run_once(loop, 5);
}

/* Does node b know of node a's R1FS (its announcement)? */
static bool knows(struct node *b, const char *alias)
{
	json_t *v = node_r1fs_view(b);
	bool found = false;
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(v, "peers"), i, p)
	{
		const char *a = json_string_value(json_object_get(p, "alias"));
		found = found || (a && strcmp(a, alias) == 0);
	}
	json_decref(v);
	return found;
}

/* The newest transfer's seconds and blocks on node b. */
static void transfer_of(struct node *b, double *seconds, long *blocks)
{
	json_t *v = node_r1fs_view(b);
	json_t *t = json_array_get(json_object_get(v, "transfers"), 0);
	*seconds = json_real_value(json_object_get(t, "seconds"));
	*blocks = (long)json_integer_value(json_object_get(t, "blocks_fetched"));
	json_decref(v);
}

static pid_t start_mosquitto(const char *dir, int *port)
{
	*port = 20000 + (int)(random_uniform(20000));
	char conf[700];
	snprintf(conf, sizeof(conf), "%s/mosquitto.conf", dir);
	FILE *f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n", *port);
	fclose(f);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execlp("mosquitto", "mosquitto", "-c", conf, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* What node n's ingest did: "pooled P in B batches, inline I idle + F full, P pauses". */
static void ingest_line(const struct node *n, char *out, size_t size)
{
	const struct ingest_stats *st = node_ingest_stats(n);
	snprintf(out, size,
	         "%" PRIu64 " received: %" PRIu64 " pooled in %" PRIu64 " batches, %" PRIu64
	         " inline (idle) + %" PRIu64 " inline (pool full), %" PRIu64 " reordered, %" PRIu64
	         " pauses",
	         st->received, st->pooled, st->batches, st->inline_idle, st->inline_full,
	         st->reordered, st->pauses);
}

/*
 * Node A adds the file, node B gets it; over a bus of local nodes or over
 * mosquitto; with the daemon's ingest pool or without.  Returns the MB/s
 * of B's get (0 on failure).
 */
static double two_nodes(const char *dir, const char *file, uint64_t size, bool mqtt, bool pooled,
                        double sha_rate)
{
	char label[64];
	snprintf(label, sizeof(label), "%s%s", mqtt ? "over mosquitto" : "over the in-process bus",
	         pooled ? " + pool" : "");
	struct r1_log *log = r1_log_new(0);
	r1_log_set_level(log, R1_LOG_ERROR);
	r1_log_set_file(log, stderr);
	struct loop *loop = NULL;
	struct bus_hub *hub = NULL;
	struct bus *bus[2] = {NULL, NULL};
	struct node *n[2] = {NULL, NULL};
	char *why = NULL;
	double rate = 0;
	pid_t broker = -1;
	int port = 0;
	struct workers *pool = NULL;
	enum r1_err e = loop_new(&loop, &why);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (!e && pooled) /* as cmd_node.c makes it */
		e = workers_new(loop, (unsigned)R1_MIN(R1_MAX(ncpu, 1), 8), 0, &pool, &why);
	if (!e && mqtt) {
		broker = start_mosquitto(dir, &port);
		usleep(300000);
	} else if (!e) {
		e = bus_hub_new(loop, 0, log, &hub, &why);
	}
	static const char *const alias[2] = {"bench-a", "bench-b"};
	for (int i = 0; i < 2 && !e; i++) {
		char url[64], cid[64];
		snprintf(url, sizeof(url), "mqtt://127.0.0.1:%d", port);
		snprintf(cid, sizeof(cid), "bench-r1fs-%d-%d", (int)getpid(), i);
		struct bus_mqtt_opts mo = {.url = url, .client_id = cid, .log = log};
		e = mqtt ? bus_mqtt_new(loop, &mo, &bus[i], &why)
		         : bus_local_new(hub, alias[i], &bus[i], &why);
		char nd[700];
		snprintf(nd, sizeof(nd), "%s/%s%s-%s", dir, mqtt ? "mqtt" : "local",
		         pooled ? "-pool" : "", alias[i]);
		const char *allow[1] = {i ? node_address(n[0]) : NULL};
		struct node_config cfg = {.alias = alias[i],
		                          .data_dir = nd,
		                          .secured = true,
		                          .allow = allow,
		                          .n_allow = i ? 1 : 0,
		                          .comm_relay = "",
		                          .ingest_pool = pool};
		if (!e)
			e = node_new(loop, bus[i], &cfg, log, &n[i], &why);
	}
	if (!e)
		e = node_allow(n[0], node_address(n[1]), alias[1], &why);
	for (int i = 0; i < 2 && !e; i++)
		e = node_start(n[i], &why);
	struct r1fs_added a;
	struct r1fs_add_opts ao = R1FS_ADD_OPTS_INIT;
	ao.secret = "bench";
	if (!e)
		e = r1fs_add_file(node_r1fs(n[0]), file, &ao, &a, &why);
	/* B learns of A's pins from A's announcements */
	bool ready = false;
	for (double end = now() + 30; !e && !ready && now() < end;) {
		loop_run_once(loop, 50);
		ready = knows(n[1], alias[0]);
	}
	if (!e && !ready)
		e = r1_fail(&why, R1_ERR_TIMEOUT, "node B never heard node A's announcement");
	char out[700];
	snprintf(out, sizeof(out), "%s/out-%s%s", dir, mqtt ? "mqtt" : "local",
	         pooled ? "-pool" : "");
	mkdir(out, 0755);
	if (!e) {
		struct getter g = {.fs = node_r1fs(n[1]), .cid = a.cid, .out = out};
		pthread_t th;
		struct thread_cpu c0 = thread_cpu();
		double t = now();
		pthread_create(&th, NULL, getter_main, &g);
		run_until(loop, &g.done, 3600);
		pthread_join(th, NULL);
		t = now() - t;
		struct thread_cpu c1 = thread_cpu();
		if (g.err) {
			e = g.err;
			why = g.why;
			g.why = NULL;
		} else {
			double xfer_s = 0;
			long blocks = 0;
			transfer_of(n[1], &xfer_s, &blocks);
			rate = mbps(size, t);
			printf("r1fs get on a second node, %-24s %6.0f MB/s  (%.2f s)  %.0f%% of "
			       "SHA-256; the transfer alone: %ld blocks in %.2f s, %.0f MB/s\n",
			       label, rate, t, 100 * rate / sha_rate, blocks, xfer_s,
			       xfer_s > 0 ? mbps(size, xfer_s) : 0);
			printf("    CPU during the get: loop %.2f s (%.0f%% of the wall time), "
			       "workers "
			       "%.2f s, getter %.2f s, other threads %.2f s\n",
			       c1.loop - c0.loop, 100 * (c1.loop - c0.loop) / t,
			       c1.workers - c0.workers, g.cpu, c1.other - c0.other);
			char line[256];
			ingest_line(n[1], line, sizeof(line));
			printf("    ingest on B (blocks): %s\n", line);
			ingest_line(n[0], line, sizeof(line));
			printf("    ingest on A (WANTs):  %s\n", line);
			unlink(g.path);
		}
		r1_free(g.path);
		r1_free(g.why);
	}
	if (e)
		printf("r1fs get on a second node, %s: FAILED: %s\n", label, why ? why : "?");
	r1_free(why);
	for (int i = 0; i < 2; i++)
		node_free(&n[i]);
	workers_free(&pool); /* after the nodes, whose receive paths used it */
	for (int i = 0; i < 2; i++)
		bus_free(&bus[i]);
	bus_hub_free(&hub);
	loop_free(&loop);
	r1_log_free(&log);
	if (broker > 0) {
		kill(broker, SIGTERM);
		waitpid(broker, NULL, 0);
	}
	return rate;
}

int main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 1024;
	const char *base = argc > 2 ? argv[2] : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mib == 0 || sodium_init() < 0)
		return 2;
	uint64_t size = mib << 20;
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/bench_r1fs.XXXXXX", base);
	if (!mkdtemp(dir))
		return 1;
	char file[600], node[600], out[600], dbp[700], cmd[1400];
	snprintf(file, sizeof(file), "%s/data.bin", dir);
	snprintf(node, sizeof(node), "%s/node", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	mkdir(node, 0755);
	mkdir(out, 0755);
	double load[3] = {0};
	getloadavg(load, 3);
	printf("bench_r1fs: %" PRIu64 " MiB, load average %.2f %.2f %.2f on %ld cores%s\n", mib,
	       load[0], load[1], load[2], sysconf(_SC_NPROCESSORS_ONLN),
	       load[0] > 0.5 ? " (BUSY: figures are low)" : "");

	double t;
	uint8_t *buf = malloc(CHUNK), *enc = malloc(CHUNK + 16);
	random_bytes(buf, CHUNK);
	FILE *f = fopen(file, "wb");
	for (uint64_t done = 0; done < size; done += CHUNK) {
		random_bytes(buf, CHUNK);
		fwrite(buf, 1, CHUNK, f);
	}
	/* On disk before anything is timed: its writeback would slow what follows. */
	fflush(f);
	fdatasync(fileno(f));
	fclose(f);

	if (getenv("BENCH_R1FS_NODES_ONLY")) {
		double sha = bench_sha_openssl(buf, size);
		printf("anchor SHA-256      OpenSSL  %8.0f MB/s\n", sha);
		for (int k = 0; k < 4; k++)
			two_nodes(dir, file, size, k >= 2, k & 1, sha);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		free(buf);
		free(enc);
		return system(cmd) ? 1 : 0;
	}
	double sha_ossl = bench_sha_openssl(buf, size);
	double sha_sod = bench_sha_sodium(buf, size);
	double gcm_ossl = bench_gcm_openssl(buf, enc, size);
	double gcm_sod = bench_gcm_sodium(buf, enc, size);
	double limit = 1.0 / (1.0 / sha_ossl + 1.0 / gcm_ossl);
	printf("anchor SHA-256      OpenSSL  %8.0f MB/s   libsodium %8.0f MB/s\n", sha_ossl,
	       sha_sod);
	printf("anchor AES-256-GCM  OpenSSL  %8.0f MB/s   libsodium %8.0f MB/s (one-shot)\n",
	       gcm_ossl, gcm_sod);
	printf("anchor SHA+GCM sequential limit (OpenSSL)  %8.0f MB/s\n", limit);

	char seq[700];
	snprintf(seq, sizeof(seq), "%s/sequential.bin", dir);
	double seq_synced = 0, seq_write = bench_seq_write(seq, buf, size, &seq_synced);
	printf("anchor sequential write of one file    %8.0f MB/s to the page cache,"
	       " %.0f MB/s including fdatasync\n",
	       seq_write, seq_synced);

	snprintf(cmd, sizeof(cmd), "ipfs_cid '%s' >/dev/null 2>&1", file);
	t = now();
	int rc = system(cmd);
	double t_cid = now() - t;
	struct rusage child;
	getrusage(RUSAGE_CHILDREN, &child);
	printf(
	    "anchor ipfs_cid (plain file, hash only)    %8.0f MB/s  (%.2f s%s, peak RSS %ld KiB)\n",
	    mbps(size, t_cid), t_cid, rc ? ", FAILED" : "", child.ru_maxrss);

	snprintf(dbp, sizeof(dbp), "%s/node.db", node);
	sqlite3 *db = NULL;
	struct r1fs *fs = NULL;
	char *why = NULL;
	struct r1fs_options opt = R1FS_OPTIONS_INIT;
	static const char *const sync_names[] = {"none", "batch", "each"};
	for (unsigned i = 0; argc > 3 && i < R1_ARRAY_LEN(sync_names); i++)
		if (strcmp(argv[3], sync_names[i]) == 0)
			opt.sync = (enum r1fs_sync)i;
	if (db_open(dbp, &db, &why) || r1fs_open(node, db, &opt, &fs, &why)) {
		fprintf(stderr, "open: %s\n", why);
		return 1;
	}
	long rss_before = peak_rss_kib();
	struct r1fs_added a;
	struct r1fs_add_opts ao = R1FS_ADD_OPTS_INIT;
	ao.secret = "bench";
	/* The compute path alone: read, encrypt, chunk, hash; nothing stored. */
	ao.only_hash = true;
	t = now();
	if (r1fs_add_file(fs, file, &ao, &a, &why)) {
		fprintf(stderr, "add: %s\n", why);
		return 1;
	}
	double t_hash = now() - t;
	printf("r1fs add --only-hash (read + encrypt + chunk + hash)  %8.0f MB/s  (%.2f s)  "
	       "%.0f%% of SHA-256, %.0f%% of the SHA+GCM limit\n",
	       mbps(size, t_hash), t_hash, 100 * mbps(size, t_hash) / sha_ossl,
	       100 * mbps(size, t_hash) / limit);
	ao.only_hash = false;
	t = now();
	if (r1fs_add_file(fs, file, &ao, &a, &why)) {
		fprintf(stderr, "add: %s\n", why);
		return 1;
	}
	double t_add = now() - t;
	printf("r1fs add (encrypt + chunk + hash + store, sync=%s) %8.0f MB/s  (%.2f s)  "
	       "%.0f%% of SHA-256, %.0f%% of the SHA+GCM limit\n",
	       sync_names[opt.sync], mbps(size, t_add), t_add, 100 * mbps(size, t_add) / sha_ossl,
	       100 * mbps(size, t_add) / limit);
	printf("    (the disk's own synced write rate: %.0f MB/s%s)\n", seq_synced,
	       seq_synced < sha_ossl / 2 ? "; below half the SHA-256 rate, it bounds the add" : "");
	struct r1fs_get_opts go = R1FS_GET_OPTS_INIT;
	go.secret = "bench";
	static const char *const cache_state[2] = {"packs in the page cache",
	                                           "packs read from disk"};
	for (int cold = 0; cold < 2; cold++) {
		char *restored = NULL;
		if (cold)
			printf("anchor sequential read of the packs from disk %8.0f MB/s\n",
			       drop_packs(node, true));
		t = now();
		if (r1fs_get_file(fs, a.cid, out, &go, &restored, &why)) {
			fprintf(stderr, "get: %s\n", why);
			return 1;
		}
		double t_get = now() - t;
		printf("r1fs get (verify + decrypt + write), %-23s %6.0f MB/s  (%.2f s)  "
		       "%.0f%% of SHA-256, %.0f%% of the SHA+GCM limit\n",
		       cache_state[cold], mbps(size, t_get), t_get,
		       100 * mbps(size, t_get) / sha_ossl, 100 * mbps(size, t_get) / limit);
		unlink(restored);
		r1_free(restored);
	}
	printf("    (get writes the restored file into the page cache, which took %.0f MB/s above;"
	       " when that is below the SHA-256 rate, it bounds the get)\n",
	       seq_write);
	printf("peak RSS %ld KiB (%ld KiB before add/get; the file is %" PRIu64 " KiB)\n",
	       peak_rss_kib(), rss_before, size >> 10);
	printf("cid %s\n", a.cid);
	r1fs_free(&fs);
	db_close(&db);

	for (int k = 0; k < 4; k++)
		two_nodes(dir, file, size, k >= 2, k & 1, sha_ossl);
	printf("peak RSS after the two-node runs %ld KiB\n", peak_rss_kib());

	free(buf);
	free(enc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	rc = system(cmd);
	return rc ? 1 : 0;
}
