/*
 * The receive path's submission API and its parallel mode: outcomes come
 * out in submission order however the workers finish, bursts go to the pool
 * in batches spread over its threads, the flow is paused
 * and resumed around a saturated pool (and a paused bus_local holds its
 * messages), duplicates of a message still being verified are caught in
 * order, every drop reason gives the same outcome as the synchronous path,
 * and freeing the ingest with jobs in flight (or from inside its own
 * callback) neither leaks nor touches freed memory.  Run under TSan too.
 */
#include "core/lib.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/cipher.h"
#include "core/envelope.h"
#include "core/identity.h"
#include "core/ingest.h"
#include "core/loop.h"
#include "core/proto.h"
#include "core/workers.h"
#include "tests/tap.h"

#include <jansson.h>
#include <stdatomic.h>

static struct r1_identity k[3];
static const char *node_topic = "naeural/0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN/config";

static void load_keys(void)
{
	char *path = tap_vector_path("keys.json");
	json_t *keys = json_load_file(path, 0, NULL);
	free(path);
	for (size_t i = 0; i < 3; i++) {
		const char *pem = json_string_value(
			json_object_get(json_array_get(json_object_get(keys, "keys"), i),
					"private_key_pem_pkcs8"));
		if (!pem || identity_from_pem(&k[i], pem, strlen(pem), NULL))
			tap_bail("key %zu does not load", i);
	}
	json_decref(keys);
}

/* ---- recording outcomes */

#define MAX_OUT 1024

struct out {
	char topic[160];
	bool ok;
	enum ingest_drop drop;
	long seq;     /* the body's SEQ, -1 when none */
	json_t *body; /* a reference, when delivered */
	bool verified;
};

struct rec {
	struct out o[MAX_OUT];
	size_t n;
	struct ingest **free_me; /* free this ingest from inside the callback ... */
	size_t free_after;       /* ... once this many outcomes were seen */
};

static void rec_add(struct rec *r, const char *topic, const struct r1_msg *m, enum ingest_drop drop)
{
	if (r->n >= MAX_OUT)
		tap_bail("too many outcomes");
	struct out *o = &r->o[r->n++];
	snprintf(o->topic, sizeof(o->topic), "%s", topic);
	o->ok = m != NULL;
	o->drop = m ? INGEST_DROP__COUNT : drop;
	o->seq = -1;
	o->body = NULL;
	if (m) {
		o->body = json_incref(m->body);
		json_t *seq = json_object_get(m->body, "SEQ");
		o->seq = json_is_integer(seq) ? (long)json_integer_value(seq) : -1;
		o->verified = m->verified;
	}
}

static void rec_clear(struct rec *r)
{
	for (size_t i = 0; i < r->n; i++)
		json_decref(r->o[i].body);
	r->n = 0;
}

static void on_outcome(void *ctx, struct ingest *ig, const struct ingest_outcome *o)
{
	struct rec *r = ctx;
	rec_add(r, o->topic, o->msg, o->drop);
	if (!o->msg && strcmp(o->reason, ingest_last_reason(ig)) != 0)
		tap_diag("outcome reason \"%s\" differs from the last reason", o->reason);
	if (r->free_me && r->n == r->free_after)
		ingest_free(r->free_me);
}

/* ---- messages */

/* A signed payload with SEQ = seq and `pad` bytes of filler (malloc'd text). */
static char *payload(long seq, size_t pad)
{
	char *filler = malloc(pad + 1);
	memset(filler, 'x', pad);
	filler[pad] = '\0';
	json_t *msg = json_pack("{s:s, s:s, s:I, s:s}", K_EE_EVENT_TYPE, EVENT_PAYLOAD, K_EE_ID,
				"n0", "SEQ", (json_int_t)seq, "DATA", filler);
	free(filler);
	struct buf wire = BUF_INIT;
	if (envelope_sign(msg, &k[0], true, &wire, NULL, NULL))
		tap_bail("sign");
	json_decref(msg);
	return buf_detach(&wire, NULL);
}

static char *sign(json_t *msg, const struct r1_identity *id)
{
	struct buf wire = BUF_INIT;
	if (envelope_sign(msg, id, true, &wire, NULL, NULL))
		tap_bail("sign");
	json_decref(msg);
	return buf_detach(&wire, NULL);
}

/* ---- a loop, a pool, and a job that holds a worker until told */

struct world {
	struct loop *loop;
	struct workers *pool;
};

static void world_open(struct world *w, unsigned threads)
{
	w->loop = NULL;
	w->pool = NULL;
	if (loop_new(&w->loop, NULL) || workers_new(w->loop, threads, 0, &w->pool, NULL))
		tap_bail("loop or pool");
}

static void world_close(struct world *w)
{
	workers_free(&w->pool);
	loop_free(&w->loop);
}

/* Run the loop until nothing is pending (bounded: a stuck queue fails the test). */
static bool settle_all(struct world *w, struct ingest *ig)
{
	for (int i = 0; i < 20000 && ingest_pending(ig); i++)
		loop_run_once(w->loop, 10);
	return ingest_pending(ig) == 0;
}

struct gate {
	atomic_int open;
	atomic_int started;
};

static void hold_run(struct worker_job *wj, void *arg)
{
	struct gate *g = arg;
	atomic_store(&g->started, 1);
	while (!atomic_load(&g->open) && !worker_job_cancelled(wj))
		usleep(200);
}

static void hold_done(void *arg, enum r1_err status)
{
	(void)arg;
	(void)status;
}

static void hold_worker(struct world *w, struct gate *g)
{
	atomic_init(&g->open, 0);
	atomic_init(&g->started, 0);
	if (workers_submit(w->pool, hold_run, hold_done, g, NULL, NULL))
		tap_bail("hold");
	while (!atomic_load(&g->started))
		usleep(200);
}

static struct ingest *make(const struct r1_identity *me, const char *alias, bool unverified)
{
	struct ingest_config cfg = {.me = me, .alias = alias, .eth_enabled = true,
				    .accept_unverified = unverified};
	struct ingest *ig = NULL;
	if (ingest_new(&cfg, &ig, NULL))
		tap_bail("ingest_new");
	return ig;
}

static void use_pool(struct ingest *ig, struct world *w, bool always, size_t max_inflight,
		     ingest_flow_fn flow, void *flow_ctx)
{
	struct ingest_parallel p = {.loop = w->loop, .pool = w->pool, .always = always,
				    .max_inflight = max_inflight, .flow = flow,
				    .flow_ctx = flow_ctx};
	char *why = NULL;
	if (ingest_use_pool(ig, &p, &why))
		tap_bail("ingest_use_pool: %s", why);
}

/* ---- tests */

static void test_sync_submit(void)
{
	struct ingest *ig = make(&k[1], "node-1", false);
	static struct rec r;
	ingest_set_delivery(ig, on_outcome, &r);
	char *good = payload(7, 10);
	ingest_submit(ig, "naeural/payloads", good, strlen(good));
	is_int(r.n, 1, "without a pool the outcome is delivered inside ingest_submit");
	ok(r.o[0].ok && r.o[0].seq == 7, "the message, with its body");
	ingest_submit(ig, "naeural/payloads", good, strlen(good));
	is_int(r.n, 2, "the replay's outcome too");
	ok(!r.o[1].ok && r.o[1].drop == INGEST_DROP_DUPLICATE, "as a duplicate");
	is_int(ingest_pending(ig), 0, "nothing pending");
	const struct ingest_stats *st = ingest_get_stats(ig);
	ok(st->received == 2 && st->delivered == 1 && st->pooled == 0, "counted as received");

	struct world w;
	world_open(&w, 1);
	char *why = NULL;
	struct ingest_parallel p = {.loop = w.loop};
	is_int(ingest_use_pool(ig, &p, &why), R1_ERR_INVAL, "the parallel mode needs a pool");
	ok(why && strstr(why, "pool"), "reason: %s", why ? why : "");
	r1_free(why);
	why = NULL;
	is_int(ingest_use_pool(ig, NULL, NULL), R1_ERR_INVAL, "and options");
	use_pool(ig, &w, false, 0, NULL, NULL);
	p.pool = w.pool;
	is_int(ingest_use_pool(ig, &p, NULL), R1_ERR_STATE, "not twice");
	ingest_free(&ig);
	ok(ig == NULL, "free NULLs");
	world_close(&w);
	rec_clear(&r);
	free(good);
}

/* Results finishing out of order come out in submission order. */
static void test_order(void)
{
	struct world w;
	world_open(&w, 2);
	enum { N = 48 };
	char *msgs[N];
	for (long i = 0; i < N; i++)
		msgs[i] = payload(i, i % 8 == 0 ? 400000 : 20); /* every 8th is slow */
	uint64_t reordered = 0;
	bool in_order = true, all = true;
	int rounds = 0;
	static struct rec r;
	for (; rounds < 10 && (rounds == 0 || reordered == 0); rounds++) {
		struct ingest *ig = make(&k[1], "node-1", false);
		ingest_set_delivery(ig, on_outcome, &r);
		use_pool(ig, &w, true, N, NULL, NULL);
		for (long i = 0; i < N; i++) {
			char topic[64];
			snprintf(topic, sizeof(topic), "t/%ld/payloads", i);
			ingest_submit(ig, topic, msgs[i], strlen(msgs[i]));
		}
		all = all && settle_all(&w, ig) && r.n == N;
		for (size_t i = 0; i < r.n; i++) {
			char want[64];
			snprintf(want, sizeof(want), "t/%zu/payloads", i);
			in_order = in_order && r.o[i].ok && r.o[i].seq == (long)i &&
				   strcmp(r.o[i].topic, want) == 0;
		}
		const struct ingest_stats *st = ingest_get_stats(ig);
		reordered += st->reordered;
		all = all && st->pooled == N && st->delivered == N;
		ingest_free(&ig);
		rec_clear(&r);
	}
	ok(all, "every message delivered, all of them by the pool");
	ok(in_order, "in submission order, topics and bodies matching");
	ok(reordered > 0, "some finished before an earlier one (%" PRIu64 " in %d rounds)",
	   reordered, rounds);
	for (int i = 0; i < N; i++)
		free(msgs[i]);
	world_close(&w);
}

/* A burst is cut into batches spread over the threads, the rest handed over before polling. */
static void test_batches(void)
{
	struct world w;
	world_open(&w, 2);
	struct ingest *ig = make(&k[1], "node-1", false);
	static struct rec r;
	ingest_set_delivery(ig, on_outcome, &r);
	use_pool(ig, &w, true, 64, NULL, NULL);
	enum { N = 20 };
	char *m[N];
	for (long i = 0; i < N; i++)
		m[i] = payload(i, 10);
	for (int i = 0; i < N; i++)
		ingest_submit(ig, "naeural/payloads", m[i], strlen(m[i]));
	const struct ingest_stats *st = ingest_get_stats(ig);
	is_int(st->batches, 2, "two full batches of 8 (alternate messages) went at once");
	ok(settle_all(&w, ig), "all came back");
	is_int(st->batches, 4, "the two partial ones (2 + 2) went before the loop waited");
	is_int(st->pooled, N, "every message pooled");
	bool in_order = r.n == N;
	for (size_t i = 0; in_order && i < r.n; i++)
		in_order = r.o[i].ok && r.o[i].seq == (long)i;
	ok(in_order, "in order");
	ingest_free(&ig);
	rec_clear(&r);
	for (int i = 0; i < N; i++)
		free(m[i]);
	world_close(&w);
}

/* The policy: at once on the loop when idle, to the pool within a burst. */
static void test_inline_when_idle(void)
{
	struct world w;
	world_open(&w, 2);
	struct ingest *ig = make(&k[1], "node-1", false);
	static struct rec r;
	ingest_set_delivery(ig, on_outcome, &r);
	use_pool(ig, &w, false, 0, NULL, NULL);
	char *m[3] = {payload(1, 10), payload(2, 10), payload(3, 10)};
	const struct ingest_stats *st = ingest_get_stats(ig);
	ingest_submit(ig, "naeural/payloads", m[0], strlen(m[0]));
	ok(r.n == 1 && st->inline_idle == 1, "an idle ingest delivers at once, on the loop thread");
	ingest_submit(ig, "naeural/payloads", m[1], strlen(m[1]));
	ok(r.n == 1 && ingest_pending(ig) == 1, "the second of a burst goes to the pool");
	ok(settle_all(&w, ig) && r.n == 2 && st->pooled == 1, "and comes back through the loop");
	loop_run_once(w.loop, 0); /* a new iteration: the burst is over */
	ingest_submit(ig, "naeural/payloads", m[2], strlen(m[2]));
	ok(r.n == 3 && st->inline_idle == 2, "after the burst, at once again");
	ok(r.o[0].seq == 1 && r.o[1].seq == 2 && r.o[2].seq == 3, "in order");
	ingest_free(&ig);
	rec_clear(&r);
	for (int i = 0; i < 3; i++)
		free(m[i]);
	world_close(&w);
}

struct flow_log {
	int calls;
	bool last;
	bool paused;
};

static void on_flow(void *ctx, bool pause)
{
	struct flow_log *f = ctx;
	f->calls++;
	f->last = pause;
	f->paused = pause;
}

static void test_backpressure(void)
{
	struct world w;
	world_open(&w, 1);
	struct gate g;
	hold_worker(&w, &g);
	struct ingest *ig = make(&k[1], "node-1", false);
	static struct rec r;
	struct flow_log f = {0};
	ingest_set_delivery(ig, on_outcome, &r);
	use_pool(ig, &w, true, 4, on_flow, &f);
	enum { N = 7 };
	char *m[N];
	for (long i = 0; i < N; i++)
		m[i] = payload(i, 10);
	for (int i = 0; i < 3; i++)
		ingest_submit(ig, "naeural/payloads", m[i], strlen(m[i]));
	is_int(f.calls, 0, "three in flight: no pause yet");
	ingest_submit(ig, "naeural/payloads", m[3], strlen(m[3]));
	ok(f.calls == 1 && f.paused, "the fourth (max_inflight) pauses the flow");
	const struct ingest_stats *st = ingest_get_stats(ig);
	is_int(st->pauses, 1, "pause counted");
	for (int i = 4; i < N; i++)
		ingest_submit(ig, "naeural/payloads", m[i], strlen(m[i]));
	is_int(st->inline_full, 3, "what came anyway was processed on the loop thread");
	is_int(f.calls, 1, "the flow is not paused twice");
	ok(r.n == 0 && ingest_pending(ig) == N, "nothing delivered ahead of the held jobs");
	atomic_store(&g.open, 1);
	ok(settle_all(&w, ig), "everything came back once the worker was free");
	is_int(r.n, N, "all delivered");
	bool in_order = true;
	for (size_t i = 0; i < r.n; i++)
		in_order = in_order && r.o[i].ok && r.o[i].seq == (long)i;
	ok(in_order, "in order, pooled and inline ones alike");
	ok(f.calls == 2 && !f.paused, "the flow was resumed");
	is_int(st->pooled, 4, "four went through the pool");
	ingest_free(&ig);
	rec_clear(&r);
	for (int i = 0; i < N; i++)
		free(m[i]);
	world_close(&w);
}

/* ingest's flow driving a real bus: bus_local holds what the ingest cannot take. */
struct bus_rig {
	struct ingest *ig;
};

static void rig_deliver(void *ctx, struct bus *bus, const char *topic, const uint8_t *p,
			size_t len, int qos)
{
	struct bus_rig *rig = ctx;
	(void)bus;
	(void)qos;
	ingest_submit(rig->ig, topic, p, len);
}

static void rig_flow(void *ctx, bool pause)
{
	bus_pause(ctx, pause);
}

static void test_bus_pause(void)
{
	struct world w;
	world_open(&w, 1);
	struct bus_hub *hub = NULL;
	struct bus *pub = NULL, *sub = NULL;
	if (bus_hub_new(w.loop, 0, NULL, &hub, NULL) || bus_local_new(hub, "pub", &pub, NULL) ||
	    bus_local_new(hub, "sub", &sub, NULL))
		tap_bail("bus_local");
	struct bus_rig rig = {make(&k[1], "node-1", false)};
	static struct rec r;
	ingest_set_delivery(rig.ig, on_outcome, &r);
	use_pool(rig.ig, &w, false, 4, rig_flow, sub);
	bus_set_delivery(sub, rig_deliver, &rig);
	bus_subscribe(sub, "naeural/payloads", 1, NULL);
	struct gate g;
	hold_worker(&w, &g);
	enum { N = 20 };
	char *m[N];
	for (long i = 0; i < N; i++) {
		m[i] = payload(i, 10);
		bus_publish(pub, "naeural/payloads", m[i], strlen(m[i]), 1, NULL);
	}
	for (int i = 0; i < 5; i++)
		loop_run_once(w.loop, 0);
	struct bus_stats bs;
	bus_get_stats(sub, &bs);
	ok(bus_paused(sub), "the saturated ingest paused the bus");
	is_int(r.n, 1, "the first message was delivered at once (the pool was idle to the ingest)");
	is_int(bs.queued, N - 5, "the bus holds the rest in its queue");
	is_int(ingest_get_stats(rig.ig)->inline_full, 0, "the bus stopped at once: nothing extra");
	atomic_store(&g.open, 1);
	for (int i = 0; i < 20000 && r.n < N; i++)
		loop_run_once(w.loop, 10);
	is_int(r.n, N, "everything delivered after the pool drained");
	bool in_order = true;
	for (size_t i = 0; i < r.n; i++)
		in_order = in_order && r.o[i].ok && r.o[i].seq == (long)i;
	ok(in_order, "in publish order");
	bus_get_stats(sub, &bs);
	ok(!bus_paused(sub) && bs.dropped[BUS_DROP_IN_FULL] == 0, "resumed, nothing dropped");
	ok(ingest_get_stats(rig.ig)->pauses >= 1, "pauses counted");
	ingest_free(&rig.ig);
	bus_free(&pub);
	bus_free(&sub);
	bus_hub_free(&hub);
	rec_clear(&r);
	for (int i = 0; i < N; i++)
		free(m[i]);
	world_close(&w);
}

/*
 * A list of messages covering every drop reason, with replays and forged
 * copies next to each other so that some arrive while the original is
 * still being verified.
 */
struct case_msg {
	char topic[160];
	char *wire;
	size_t len;
};

static size_t build_cases(struct case_msg *c, size_t max)
{
	size_t n = 0;
#define ADD(t, w, l) \
	do { \
		if (n >= max) \
			tap_bail("too many cases"); \
		snprintf(c[n].topic, sizeof(c[n].topic), "%s", (t)); \
		c[n].wire = (w); \
		c[n].len = (l); \
		n++; \
	} while (0)
	size_t big = R1_MAX_MESSAGE_LEN + 1;
	char *huge = malloc(big);
	memset(huge, ' ', big);
	ADD("naeural/ctrl", huge, big);
	ADD("naeural/ctrl", strdup("{\"a\":"), 5);
	ADD("naeural/ctrl", strdup("[1,2]"), 5);
	ADD("naeural/ctrl", strdup("{\"a\":\"\xff\"}"), 9);
	char *good = payload(1, 50);
	ADD("naeural/payloads", good, strlen(good));
	ADD("naeural/payloads", strdup(good), strlen(good)); /* replay */
	char *tampered = strdup(good);
	char *seq = strstr(tampered, "\"SEQ\":1");
	seq[6] = '2';
	ADD("naeural/payloads", tampered, strlen(tampered)); /* a forged copy, known hash */
	/* a forged copy first, then the real one: the forgery must not poison the window */
	char *good2 = payload(3, 50);
	char *forged2 = strdup(good2);
	seq = strstr(forged2, "\"SEQ\":3");
	seq[6] = '4';
	ADD("naeural/payloads", forged2, strlen(forged2));
	ADD("naeural/payloads", good2, strlen(good2));
	char *cmd = sign(json_pack("{s:s, s:n, s:s}", K_ACTION, ACT_RESTART, K_PAYLOAD, K_EE_ID,
				   "other"), &k[0]);
	ADD(node_topic, cmd, strlen(cmd));
	cmd = sign(json_pack("{s:s, s:n, s:s}", K_ACTION, ACT_RESTART, K_PAYLOAD, K_EE_ID,
			     "node-1"), &k[0]);
	ADD(node_topic, cmd, strlen(cmd));
	ADD(node_topic, strdup(cmd), strlen(cmd));
	struct buf ct = BUF_INIT;
	cipher_encrypt_single(&k[0], k[2].addr, "{\"X\":1}", 7, NULL, &ct, NULL);
	char *w = sign(json_pack("{s:s, s:b, s:s, s:s}", K_EE_EVENT_TYPE, EVENT_PAYLOAD,
				 K_EE_IS_ENCRYPTED, 1, K_EE_ENCRYPTED_DATA, buf_cstr(&ct),
				 K_EE_DEST, k[2].addr), &k[0]);
	ADD("naeural/payloads", w, strlen(w)); /* encrypted for another node */
	w = sign(json_pack("{s:s, s:b, s:s, s:s}", K_EE_EVENT_TYPE, EVENT_PAYLOAD,
			   K_EE_IS_ENCRYPTED, 1, K_EE_ENCRYPTED_DATA, buf_cstr(&ct), K_EE_DEST,
			   k[1].addr), &k[0]);
	ADD("naeural/payloads", w, strlen(w)); /* to us, but another key's ciphertext */
	buf_reset(&ct);
	cipher_encrypt_single(&k[0], k[1].addr, "{\"X\":1,\"EE_ID\":\"inner\"}", 23, NULL, &ct,
			      NULL);
	w = sign(json_pack("{s:s, s:b, s:s, s:[s], s:s}", K_EE_EVENT_TYPE, EVENT_PAYLOAD,
			   K_EE_IS_ENCRYPTED, 1, K_EE_ENCRYPTED_DATA, buf_cstr(&ct), K_EE_DEST,
			   k[1].addr, K_EE_ID, "outer"), &k[0]);
	ADD("naeural/payloads", w, strlen(w)); /* encrypted to us */
	buf_release(&ct);
	w = strdup("{\"EE_EVENT_TYPE\":\"WHATEVER\"}");
	ADD("naeural/payloads", w, strlen(w)); /* unknown event type */

	/* the SDK's own commands and heartbeats, each followed by its replay */
	const char *files[] = {"commands.jsonl", "heartbeat.jsonl"};
	for (size_t f = 0; f < 2; f++) {
		char *path = tap_vector_path(files[f]);
		size_t nl;
		char **lines = tap_read_lines(path, &nl);
		for (size_t i = 0; i < nl; i++) {
			json_t *row = json_loads(lines[i], 0, NULL);
			const char *wire = json_string_value(json_object_get(row, "wire"));
			const char *topic = json_string_value(json_object_get(row, "topic"));
			if (wire && topic) {
				ADD(topic, strdup(wire), strlen(wire));
				ADD(topic, strdup(wire), strlen(wire));
			}
			json_decref(row);
		}
		tap_free_lines(lines);
		free(path);
	}
#undef ADD
	return n;
}

static void compare_runs(const char *what, struct rec *sync, struct rec *par)
{
	bool same = sync->n == par->n;
	for (size_t i = 0; same && i < sync->n; i++) {
		const struct out *a = &sync->o[i], *b = &par->o[i];
		same = a->ok == b->ok && a->drop == b->drop && strcmp(a->topic, b->topic) == 0 &&
		       (!a->ok || (json_equal(a->body, b->body) && a->verified == b->verified));
		if (!same)
			tap_diag("%s: outcome %zu differs: %s/%d vs %s/%d", what, i,
				 a->ok ? "ok" : "drop", a->drop, b->ok ? "ok" : "drop", b->drop);
	}
	ok(same, "%s: the parallel mode gives the synchronous path's outcomes (%zu)", what,
	   par->n);
}

static void test_drops_parallel(bool unverified)
{
	const char *what = unverified ? "accept_unverified" : "secured";
	static struct case_msg c[256];
	size_t n = build_cases(c, 256);
	static struct rec rs, rp;
	/* the synchronous path, as the reference */
	struct ingest *a = make(&k[1], "node-1", unverified);
	for (size_t i = 0; i < n; i++) {
		struct r1_msg m;
		enum ingest_drop d = INGEST_DROP__COUNT;
		bool got = ingest_receive(a, c[i].topic, c[i].wire, c[i].len, &m, &d);
		rec_add(&rs, c[i].topic, got ? &m : NULL, d);
		if (got)
			r1_msg_release(&m);
	}
	/* the same sequence, all of it submitted before any result comes back */
	struct world w;
	world_open(&w, 2);
	struct ingest *b = make(&k[1], "node-1", unverified);
	ingest_set_delivery(b, on_outcome, &rp);
	use_pool(b, &w, true, 512, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		ingest_submit(b, c[i].topic, c[i].wire, c[i].len);
	ok(settle_all(&w, b), "%s: all %zu outcomes came back", what, n);
	compare_runs(what, &rs, &rp);
	const struct ingest_stats *sa = ingest_get_stats(a), *sb = ingest_get_stats(b);
	ok(memcmp(&sa->drops, &sb->drops, sizeof(sa->drops)) == 0 &&
		   sa->received == sb->received && sa->delivered == sb->delivered &&
		   sa->unverified == sb->unverified,
	   "%s: the same counters", what);
	for (int d = 0; d < INGEST_DROP__COUNT; d++) {
		if (unverified && d == INGEST_DROP_BAD_SIGNATURE)
			ok(sb->drops.count[d] == 0 && sb->unverified == 1,
			   "%s: bad signatures delivered marked instead (%" PRIu64 ")", what,
			   sb->unverified);
		else
			ok(sb->drops.count[d] > 0, "%s: %s seen in parallel mode (%" PRIu64 ")",
			   what, ingest_drop_name(d), sb->drops.count[d]);
	}
	bool none_delivered = true;
	for (size_t i = 0; i < rp.n; i++)
		none_delivered =
			none_delivered && (rp.o[i].ok == (rp.o[i].drop == INGEST_DROP__COUNT));
	ok(none_delivered, "%s: a dropped message is never delivered", what);
	/* the replay and forgery rows, by position */
	ok(rp.o[4].ok && !rp.o[5].ok && rp.o[5].drop == INGEST_DROP_DUPLICATE,
	   "%s: a replay submitted while the original was in flight is a duplicate", what);
	ok(!rp.o[6].ok && rp.o[6].drop == INGEST_DROP_DUPLICATE,
	   "%s: a forged copy with a known EE_HASH is a duplicate", what);
	if (unverified)
		/* The window takes verified hashes only, so the forgery delivered
		 * unverified does not block the real message behind it. */
		ok(rp.o[7].ok && !rp.o[7].verified && rp.o[8].ok && rp.o[8].verified,
		   "%s: a forgery is delivered marked unverified, the real one after it too, "
		   "verified", what);
	else
		ok(!rp.o[7].ok && rp.o[7].drop == INGEST_DROP_BAD_SIGNATURE && rp.o[8].ok,
		   "%s: a forgery ahead of the real message does not poison the window", what);
	ingest_free(&a);
	ingest_free(&b);
	rec_clear(&rs);
	rec_clear(&rp);
	for (size_t i = 0; i < n; i++)
		free(c[i].wire);
	world_close(&w);
}

static void test_shutdown(void)
{
	enum { N = 64 };
	char *m[N];
	for (long i = 0; i < N; i++)
		m[i] = payload(i, i % 4 == 0 ? 20000 : 20);
	static struct rec r;

	/* freed with every job queued or running */
	struct world w;
	world_open(&w, 2);
	struct ingest *ig = make(&k[1], "node-1", false);
	ingest_set_delivery(ig, on_outcome, &r);
	use_pool(ig, &w, true, N, NULL, NULL);
	for (int i = 0; i < N; i++)
		ingest_submit(ig, "naeural/payloads", m[i], strlen(m[i]));
	ingest_free(&ig);
	ok(ig == NULL, "freed with %d jobs in flight", N);
	for (int i = 0; i < 50; i++)
		loop_run_once(w.loop, 1);
	is_int(r.n, 0, "no outcome after the free");
	workers_free(&w.pool); /* the remaining done calls release the rest */
	loop_free(&w.loop);
	rec_clear(&r);

	/* freed from inside its own delivery callback */
	world_open(&w, 2);
	ig = make(&k[1], "node-1", false);
	r.free_me = &ig;
	r.free_after = 3;
	ingest_set_delivery(ig, on_outcome, &r);
	use_pool(ig, &w, true, N, NULL, NULL);
	for (int i = 0; i < N; i++)
		ingest_submit(ig, "naeural/payloads", m[i], strlen(m[i]));
	for (int i = 0; i < 20000 && ig; i++)
		loop_run_once(w.loop, 10);
	ok(ig == NULL && r.n == 3, "freed by its callback after 3 outcomes: no more came");
	world_close(&w);
	r.free_me = NULL;
	rec_clear(&r);

	/* freed from inside the callback of a message processed at once */
	world_open(&w, 1);
	ig = make(&k[1], "node-1", false);
	r.free_me = &ig;
	r.free_after = 1;
	ingest_set_delivery(ig, on_outcome, &r);
	use_pool(ig, &w, false, N, NULL, NULL);
	ingest_submit(ig, "naeural/payloads", m[0], strlen(m[0]));
	ok(ig == NULL && r.n == 1, "freed by the callback of an inline delivery");
	world_close(&w);
	r.free_me = NULL;
	rec_clear(&r);

	/* the pool shut down first: the cancelled jobs are done on the loop thread */
	world_open(&w, 1);
	struct gate g;
	hold_worker(&w, &g);
	ig = make(&k[1], "node-1", false);
	ingest_set_delivery(ig, on_outcome, &r);
	use_pool(ig, &w, true, N, NULL, NULL);
	for (int i = 0; i < 8; i++)
		ingest_submit(ig, "naeural/payloads", m[i], strlen(m[i]));
	workers_free(&w.pool); /* cancels the holder, which never lets the others start */
	is_int(r.n, 8, "a pool shut down under the ingest still gets every message delivered");
	bool in_order = true;
	for (size_t i = 0; i < r.n; i++)
		in_order = in_order && r.o[i].ok && r.o[i].seq == (long)i;
	ok(in_order, "in order");
	ok(ingest_get_stats(ig)->inline_full == 8, "all of them on the loop thread");
	ingest_free(&ig);
	loop_free(&w.loop);
	rec_clear(&r);

	/* out of memory for a job: dropped (as malformed) and counted */
	world_open(&w, 1);
	ig = make(&k[1], "node-1", false);
	ingest_set_delivery(ig, on_outcome, &r);
	use_pool(ig, &w, true, N, NULL, NULL);
	r1_alloc_fail_after(0);
	ingest_submit(ig, "naeural/payloads", m[1], strlen(m[1]));
	r1_alloc_fail_after(-1);
	ok(r.n == 1 && !r.o[0].ok && r.o[0].drop == INGEST_DROP_MALFORMED,
	   "a job that cannot be allocated is dropped as malformed");
	is_str(ingest_last_reason(ig), "malformed: out of memory queueing a message", "reason");
	ingest_free(&ig);
	world_close(&w);
	rec_clear(&r);
	for (int i = 0; i < N; i++)
		free(m[i]);
}

int main(void)
{
	load_keys();
	test_sync_submit();
	test_order();
	test_batches();
	test_inline_when_idle();
	test_backpressure();
	test_bus_pause();
	test_drops_parallel(false);
	test_drops_parallel(true);
	test_shutdown();
	return tap_done();
}
