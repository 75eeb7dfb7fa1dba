/*
 * The exchange (xchg.h) between two stores on one loop, the "bus" being a
 * deferred call that hands each message, parsed as a node would, to the
 * other engine.  The test plays the network's part: it can mute a peer,
 * stop it after n blocks, refuse trust, corrupt a block on disk, and
 * inject messages of its own (replays, forgeries, unknown transfers).
 */
#include "node/lib.h"
#include "node/r1fs/r1fs.h"
#include "node/r1fs/xchg.h"
#include "node/r1fs/xmsg.h"

#include "core/db.h"
#include "core/hash.h"
#include "core/loop.h"
#include "core/proto.h"
#include "tests/tap.h"

#include <pthread.h>
#include <sys/stat.h>

#define ADDR_A "0xai_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define ADDR_B "0xai_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define ADDR_C "0xai_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"

struct peer {
	const char *addr;
	char *dir;
	sqlite3 *db;
	struct r1fs *fs;
	struct xchg *x;
	struct peer *other;
	/* the network's behaviour towards messages this peer receives */
	bool mute;        /* drop them all */
	long blocks_left; /* < 0: no limit; else BLOCKs delivered before muting */
	bool untrusting;  /* trusted() says no */
	bool clear_wants; /* WANTs it sends arrive as if not encrypted */
	/* the last WANT and BLOCK this peer sent */
	json_t *last_want, *last_block;
	unsigned sent_blocks;
};

static struct loop *loop;
static struct peer A = {.addr = ADDR_A}, B = {.addr = ADDR_B};

struct delivery {
	struct peer *to;
	const char *from;
	json_t *data;
	bool encrypted;
};

static void deliver(void *ctx)
{
	struct delivery *d = ctx;
	struct xmsg m;
	if (d->to->x && xmsg_parse(d->data, &m, NULL) == R1_OK)
		xchg_receive(d->to->x, d->from, &m, d->encrypted);
	json_decref(d->data);
	r1_free(d);
}

static void inject(struct peer *to, const char *from, json_t *data, bool encrypted)
{
	struct delivery *d = r1_calloc(1, sizeof(*d));
	d->to = to;
	d->from = from;
	d->data = data;
	d->encrypted = encrypted;
	loop_defer(loop, deliver, d);
}

static enum r1_err env_send(void *ctx, const char *peer, const json_t *data, bool encrypt,
                            char **why)
{
	struct peer *self = ctx;
	struct peer *to = self->other;
	if (!addr_same(peer, to->addr))
		return r1_fail(why, R1_ERR_INVAL, "no such peer %s", peer);
	const char *op = json_string_value(json_object_get(data, "op"));
	if (strcmp(op, R1FS_OP_WANT) == 0) {
		json_decref(self->last_want);
		self->last_want = json_deep_copy(data);
		if (self->clear_wants)
			encrypt = false;
	}
	if (strcmp(op, R1FS_OP_BLOCK) == 0) {
		json_decref(self->last_block);
		self->last_block = json_deep_copy(data);
		self->sent_blocks++;
		if (to->blocks_left == 0)
			return R1_OK;
		if (to->blocks_left > 0)
			to->blocks_left--;
	}
	if (to->mute)
		return R1_OK;
	inject(to, self->addr, json_deep_copy(data), encrypt);
	return R1_OK;
}

static bool env_trusted(void *ctx, const char *addr)
{
	struct peer *self = ctx;
	return !self->untrusting && addr_same(addr, self->other->addr);
}

static size_t env_candidates(void *ctx, const struct r1fs_cid *root, xchg_addr *out, size_t max)
{
	struct peer *self = ctx;
	snprintf(out[0], sizeof(out[0]), "%s", self->other->addr);
	return 1;
}

static void open_peer(struct peer *p, const char *name, struct peer *other, unsigned timeout_ms)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s/%s", tap_tmpdir(), name);
	p->dir = buf_detach(&b, NULL);
	mkdir(p->dir, 0755);
	buf_addf(&b, "%s/node.db", p->dir);
	char *why = NULL;
	if (db_open(buf_cstr(&b), &p->db, &why))
		tap_bail("db_open: %s", why);
	buf_release(&b);
	struct r1fs_options o = R1FS_OPTIONS_INIT;
	o.sync = R1FS_SYNC_NONE;
	if (r1fs_open(p->dir, p->db, &o, &p->fs, &why))
		tap_bail("r1fs_open: %s", why);
	p->other = other;
	p->blocks_left = -1;
	struct xchg_config cfg = {.addr = p->addr, .timeout_ms = timeout_ms, .retry_ms = 300};
	struct xchg_env env = {
	    .ctx = p, .send = env_send, .trusted = env_trusted, .candidates = env_candidates};
	if (xchg_new(loop, p->fs, &cfg, &env, NULL, &p->x, &why))
		tap_bail("xchg_new: %s", why);
}

static void close_peer(struct peer *p)
{
	xchg_free(&p->x);
	r1fs_free(&p->fs);
	db_close(&p->db);
	json_decref(p->last_want);
	json_decref(p->last_block);
	r1_free(p->dir);
}

static void run_until(volatile bool *flag, unsigned ms)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!*flag) {
		loop_run_once(loop, 5);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 > ms)
			break;
	}
}

static void run_for(unsigned ms)
{
	bool never = false;
	run_until(&never, ms);
}

/* ---- fetches */

struct fetch_result {
	bool done;
	enum r1_err err;
	char *why;
};

static void on_done(void *ctx, enum r1_err err, const char *why)
{
	struct fetch_result *r = ctx;
	r->done = true;
	r->err = err;
	r->why = why ? r1_strdup(why) : NULL;
}

static struct fetch_result fetch(struct peer *p, const char *cid_text, unsigned ms)
{
	struct fetch_result r = {0};
	struct r1fs_cid root;
	r1fs_cid_parse(cid_text, &root, NULL);
	if (xchg_fetch(p->x, &root, NULL, on_done, &r, NULL, NULL))
		tap_bail("xchg_fetch");
	ok(!r.done, "fetch %.12s...: done is not called from inside xchg_fetch", cid_text);
	run_until(&r.done, ms);
	return r;
}

static uint8_t *add_random(struct peer *p, size_t len, struct r1fs_added *a)
{
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/src-%zu.bin", tap_tmpdir(), len);
	uint8_t *data = r1_malloc(len + 1);
	random_bytes(data, len);
	FILE *f = fopen(buf_cstr(&path), "wb");
	fwrite(data, 1, len, f);
	fclose(f);
	char *why = NULL;
	if (r1fs_add_file(p->fs, buf_cstr(&path), NULL, a, &why))
		tap_bail("add: %s", why);
	unlink(buf_cstr(&path));
	buf_release(&path);
	return data;
}

static int64_t blocks_of(struct peer *p)
{
	struct r1fs_store_stat st;
	r1fs_store_stat(p->fs, &st, NULL);
	return st.blocks;
}

static void test_fetch(void)
{
	struct r1fs_added a;
	uint8_t *data = add_random(&A, 3u << 20, &a);
	int64_t on_a = blocks_of(&A);
	struct fetch_result r = fetch(&B, a.cid, 10000);
	ok(r.done, "the fetch ended");
	is_int(r.err, R1_OK, "B fetched %s (%s)", a.cid, r.why ? r.why : "");
	is_int(blocks_of(&B), on_a, "B holds every block A holds (%" PRId64 ")", on_a);
	uint8_t *got = NULL;
	size_t len = 0;
	char *why = NULL;
	is_int(r1fs_get_bytes(B.fs, a.cid, NULL, 4u << 20, &got, &len, NULL, &why), R1_OK,
	       "and reads the file without any fetcher");
	is_mem(got, len, data, 3u << 20, "byte-identical");
	struct xchg_stats sa, sb;
	xchg_get_stats(A.x, &sa);
	xchg_get_stats(B.x, &sb);
	is_int(sb.blocks_in, on_a, "B took %" PRId64 " blocks in", on_a);
	is_int(sa.blocks_out, on_a, "A sent as many");
	is_int(sb.bad_hash + sb.bad_seal + sb.unknown_xfer + sb.wrong_sender, 0, "nothing odd");
	struct xchg_transfer tr[4];
	size_t n = xchg_transfers(B.x, tr, 4);
	ok(n >= 1 && tr[0].state == XCHG_DONE, "the transfer is listed as done");
	ok(n >= 1 && tr[0].bytes_total > (3u << 20) && tr[0].bytes_done == tr[0].bytes_total,
	   "with its bytes: %" PRIu64 " of %" PRIu64, n ? tr[0].bytes_done : 0,
	   n ? tr[0].bytes_total : 0);
	ok(n >= 1 && tr[0].npeers == 1 && addr_same(tr[0].peers[0], ADDR_A), "from A");

	/* Everything is here now: a second fetch asks nothing. */
	uint64_t before = sb.blocks_in;
	r = fetch(&B, a.cid, 5000);
	is_int(r.err, R1_OK, "fetching what is held succeeds");
	xchg_get_stats(B.x, &sb);
	is_int(sb.blocks_in, before, "without a block moving");

	/* Replays of A's last BLOCK: the transfer is over (late, unwanted), or unknown. */
	inject(&B, ADDR_A, json_deep_copy(A.last_block), false);
	run_for(50);
	xchg_get_stats(B.x, &sb);
	ok(sb.unwanted + sb.unknown_xfer >= 1,
	   "a replayed block is dropped (unwanted %" PRIu64 ", unknown %" PRIu64 ")", sb.unwanted,
	   sb.unknown_xfer);
	is_int(sb.blocks_in, before, "and not taken in");
	/* The same from someone the transfer never asked. */
	uint64_t wrong = sb.wrong_sender;
	inject(&B, ADDR_C, json_deep_copy(A.last_block), false);
	run_for(50);
	xchg_get_stats(B.x, &sb);
	ok(sb.wrong_sender == wrong + 1 || sb.unknown_xfer >= 1,
	   "a block from a stranger is dropped");
	/* A block for a transfer nobody started. */
	json_t *fake = json_deep_copy(A.last_block);
	json_object_set_new(fake, "xfer", json_string("ffffffffffffffffffffffffffffffff"));
	uint64_t unknown = sb.unknown_xfer;
	inject(&B, ADDR_A, fake, false);
	run_for(50);
	xchg_get_stats(B.x, &sb);
	is_int(sb.unknown_xfer, unknown + 1, "a block for an unknown transfer is dropped");
	r1_free(got);
	r1_free(r.why);
	r1_free(data);
	r1_free(why);
}

/* ---- the gate: a worker thread reads, the loop fetches */

struct reader {
	struct peer *p;
	const char *cid;
	char *out_dir;
	enum r1_err err;
	char *why;
	char *path;
	volatile bool done;
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	rd->why = NULL;
	rd->err = r1fs_get_file(rd->p->fs, rd->cid, rd->out_dir, NULL, &rd->path, &rd->why);
	rd->done = true;
	return NULL;
}

static void test_gate(void)
{
	struct xchg_gate *g = xchg_gate_new(loop);
	ok(g != NULL, "gate");
	xchg_attach(B.x, g);
	r1fs_set_fetcher(B.fs, xchg_gate_fetch, g);
	struct r1fs_added a;
	uint8_t *data = add_random(&A, 1500000, &a);

	/* From the loop thread it must not wait for itself. */
	uint8_t *got = NULL;
	size_t len = 0;
	char *why = NULL;
	is_int(r1fs_get_bytes(B.fs, a.cid, NULL, 4u << 20, &got, &len, NULL, &why), R1_ERR_STATE,
	       "a read on the loop thread that needs a peer is refused");
	ok(why && strstr(why, "worker"), "reason: %s", why);

	struct buf out = BUF_INIT;
	buf_addf(&out, "%s/gate-out", tap_tmpdir());
	mkdir(buf_cstr(&out), 0755);
	struct reader rd = {.p = &B, .cid = a.cid, .out_dir = (char *)buf_cstr(&out)};
	pthread_t th;
	pthread_create(&th, NULL, reader_main, &rd);
	run_until(&rd.done, 20000);
	pthread_join(th, NULL);
	is_int(rd.err, R1_OK, "a worker thread's get fetched through the gate (%s)",
	       rd.why ? rd.why : "");
	ok(rd.why == NULL, "and left *why alone");
	size_t flen = 0;
	char *content = rd.path ? tap_read_file(rd.path, &flen) : NULL;
	is_mem(content, flen, data, 1500000, "byte-identical");
	ok(r1fs_is_pinned(B.fs, a.cid), "and pinned");
	free(content);
	r1_free(rd.path);
	r1_free(rd.why);

	/* Detached: a waiting thread gets an error, not a hang. */
	xchg_attach(NULL, g);
	struct r1fs_added a2;
	uint8_t *data2 = add_random(&A, 1000, &a2);
	struct reader rd2 = {.p = &B, .cid = a2.cid, .out_dir = (char *)buf_cstr(&out)};
	pthread_create(&th, NULL, reader_main, &rd2);
	run_until(&rd2.done, 5000);
	pthread_join(th, NULL);
	is_int(rd2.err, R1_ERR_NOTFOUND, "without an exchange the wait fails at once: not here");
	ok(rd2.why && strstr(rd2.why, "no exchange"), "reason: %s", rd2.why);
	r1_free(rd2.path);
	r1_free(rd2.why);

	r1fs_set_fetcher(B.fs, NULL, NULL);
	xchg_gate_free(&g);
	buf_release(&out);
	r1_free(data);
	r1_free(data2);
	r1_free(got);
	r1_free(why);
}

/* ---- bad peers */

static void corrupt_one_leaf(struct peer *p, const char *file_cid)
{
	struct r1fs_entry *ents = NULL;
	size_t n = 0;
	if (r1fs_ls(p->fs, file_cid, &ents, &n, NULL) || n < 2)
		tap_bail("ls %s", file_cid);
	struct r1fs_cid leaf;
	r1fs_cid_parse(ents[1].cid, &leaf, NULL);
	char *pack = NULL;
	uint64_t off = 0;
	size_t len = 0;
	if (r1fs_locate_block(p->fs, &leaf, &pack, &off, &len, NULL))
		tap_bail("locate");
	FILE *f = fopen(pack, "r+b");
	fseek(f, (long)(off + 100), SEEK_SET);
	int c = fgetc(f);
	fseek(f, (long)(off + 100), SEEK_SET);
	fputc(c ^ 0x40, f);
	fclose(f);
	r1_free(pack);
	r1fs_entries_free(ents, n);
}

static void test_corrupt_source(void)
{
	struct r1fs_added a;
	uint8_t *data = add_random(&A, 1200000, &a);
	corrupt_one_leaf(&A, a.file_cid);
	struct xchg_stats before;
	xchg_get_stats(B.x, &before);
	struct fetch_result r = fetch(&B, a.cid, 10000);
	is_int(r.err, R1_ERR_CRYPTO, "a block corrupted on A is refused by B");
	ok(r.why && strstr(r.why, "does not match its CID") && strstr(r.why, ADDR_A),
	   "and B says which peer sent what: %s", r.why);
	struct xchg_stats after;
	xchg_get_stats(B.x, &after);
	is_int(after.bad_hash, before.bad_hash + 1, "counted as a bad hash");
	r1_free(r.why);
	r1_free(data);
}

static void test_untrusted(void)
{
	struct r1fs_added a;
	uint8_t *data = add_random(&A, 5000, &a);
	A.untrusting = true;
	struct fetch_result r = fetch(&B, a.cid, 5000);
	is_int(r.err, R1_ERR_AUTH, "a provider that does not allow us: refused");
	ok(r.why && strstr(r.why, "not allowed"), "reason: %s", r.why);
	A.untrusting = false;
	struct xchg_stats sa;
	xchg_get_stats(A.x, &sa);
	ok(sa.refused >= 1, "A counted the refusal");
	/* a WANT that came in clear would have carried its key in clear: ignored */
	B.clear_wants = true;
	uint64_t clear = sa.clear_wants;
	r1_free(r.why);
	r = fetch(&B, a.cid, 6000);
	is_int(r.err, R1_ERR_TIMEOUT, "and the requester times out");
	xchg_get_stats(A.x, &sa);
	ok(sa.clear_wants > clear, "A ignores WANTs that were not encrypted (%" PRIu64 ")",
	   sa.clear_wants);
	B.clear_wants = false;
	r1_free(r.why);
	r1_free(data);
}

static void test_timeout_and_resume(void)
{
	struct r1fs_added a;
	uint8_t *data = add_random(&A, 4u << 20, &a); /* 17 leaves */
	int64_t b0 = blocks_of(&B);
	/* A serves 6 blocks, then the network drops the rest */
	B.blocks_left = 6;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct fetch_result r = fetch(&B, a.cid, 15000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	is_int(r.err, R1_ERR_TIMEOUT, "no block for the timeout: the transfer gives up");
	ok(r.why && strstr(r.why, "timed out") && strstr(r.why, ADDR_A),
	   "with a reason that names the peer: %s", r.why);
	ok(ms >= 1500 && ms < 8000, "after the configured 2 s (%ld ms)", ms);
	int64_t partial = blocks_of(&B) - b0;
	is_int(partial, 6, "the 6 blocks that arrived are stored");
	r1_free(r.why);

	/* the network comes back: the fetch resumes and asks only for the rest */
	B.blocks_left = -1;
	struct xchg_stats s0, s1;
	xchg_get_stats(B.x, &s0);
	r = fetch(&B, a.cid, 15000);
	is_int(r.err, R1_OK, "fetched again (%s)", r.why ? r.why : "");
	xchg_get_stats(B.x, &s1);
	int64_t total = blocks_of(&B) - b0;
	is_int(s1.blocks_in - s0.blocks_in, total - partial,
	       "only the %" PRId64 " missing blocks moved", total - partial);
	uint8_t *got = NULL;
	size_t len = 0;
	is_int(r1fs_get_bytes(B.fs, a.cid, NULL, 8u << 20, &got, &len, NULL, NULL), R1_OK, "read");
	is_mem(got, len, data, 4u << 20, "byte-identical after the resume");
	r1_free(got);
	r1_free(r.why);
	r1_free(data);

	/* nobody answers at all */
	struct r1fs_added c;
	uint8_t *d2 = add_random(&A, 3000, &c);
	A.mute = true;
	r = fetch(&B, c.cid, 10000);
	is_int(r.err, R1_ERR_TIMEOUT, "a silent peer: timeout");
	ok(r.why && strstr(r.why, "no answer"), "reason: %s", r.why);
	A.mute = false;
	r1_free(r.why);
	r1_free(d2);
}

/* Start a fetch of root with A muted; the test reads the WANT B sent (it knows the key). */
static void start_muted(const struct r1fs_cid *root, struct fetch_result *r, struct xmsg *want)
{
	json_decref(B.last_want);
	B.last_want = NULL;
	xchg_fetch(B.x, root, NULL, on_done, r, NULL, NULL);
	run_for(300);
	if (!B.last_want || xmsg_parse(B.last_want, want, NULL))
		tap_bail("B asked nothing");
}

/* Forged blocks injected into live transfers. */
static void test_forgeries(void)
{
	struct r1fs_added a;
	uint8_t *data = add_random(&A, 2000, &a);
	struct r1fs_cid root;
	r1fs_cid_parse(a.cid, &root, NULL);
	struct buf block = BUF_INIT, sealed = BUF_INIT;
	r1fs_get_block(A.fs, &root, &block, NULL);
	struct xchg_stats s0, s1;
	A.mute = true;

	/* sealed under another key: A's copy is no good; A was the only peer */
	struct fetch_result r = {0};
	struct xmsg want;
	start_muted(&root, &r, &want);
	xchg_get_stats(B.x, &s0);
	uint8_t wrong_key[XMSG_KEY_LEN];
	memset(wrong_key, 0x55, sizeof(wrong_key));
	xmsg_seal_block(wrong_key, want.xfer, &root, (const uint8_t *)block.data, block.len,
	                &sealed, NULL);
	inject(&B, ADDR_A, xmsg_block(want.xfer, &root, sealed.data, sealed.len), false);
	run_until(&r.done, 2000);
	xchg_get_stats(B.x, &s1);
	is_int(s1.bad_seal, s0.bad_seal + 1, "a block sealed with another key is refused");
	ok(!r1fs_has_block(B.fs, &root), "and not stored");
	is_int(r.err, R1_ERR_CRYPTO, "with no other peer, the transfer fails");
	ok(r.why && strstr(r.why, "does not open"), "reason: %s", r.why);
	r1_free(r.why);

	/* sealed with the right key, but not the CID's bytes */
	memset(&r, 0, sizeof(r));
	start_muted(&root, &r, &want);
	xchg_get_stats(B.x, &s0);
	buf_reset(&sealed);
	const char *lie = "not the root block";
	xmsg_seal_block(want.key, want.xfer, &root, (const uint8_t *)lie, strlen(lie), &sealed,
	                NULL);
	json_t *forged = xmsg_block(want.xfer, &root, sealed.data, sealed.len);
	inject(&B, ADDR_A, json_deep_copy(forged), false);
	run_until(&r.done, 2000);
	xchg_get_stats(B.x, &s1);
	is_int(s1.bad_hash, s0.bad_hash + 1, "a block that is not the CID's bytes is refused");
	ok(!r1fs_has_block(B.fs, &root), "and not stored");
	is_int(r.err, R1_ERR_CRYPTO, "the transfer fails: no good copy anywhere");
	ok(r.why && strstr(r.why, "does not match its CID"), "reason: %s", r.why);
	r1_free(r.why);
	/* the same forgery again, now that the transfer is over */
	inject(&B, ADDR_A, forged, false);
	run_for(50);
	xchg_get_stats(B.x, &s0);
	is_int(s0.bad_hash, s1.bad_hash, "a replay after the end is not even opened");

	/* the genuine block from A: taken */
	A.mute = false;
	r = fetch(&B, a.cid, 10000);
	is_int(r.err, R1_OK, "an honest A serves it");
	ok(r1fs_has_block(B.fs, &root), "stored");
	buf_release(&block);
	buf_release(&sealed);
	r1_free(r.why);
	r1_free(data);
}

int main(void)
{
	char *why = NULL;
	if (loop_new(&loop, &why))
		tap_bail("loop: %s", why);
	open_peer(&A, "xa", &B, 2000);
	open_peer(&B, "xb", &A, 2000);
	test_fetch();
	test_gate();
	test_corrupt_source();
	test_untrusted();
	test_timeout_and_resume();
	test_forgeries();
	close_peer(&A);
	close_peer(&B);
	loop_free(&loop);
	return tap_done();
}
