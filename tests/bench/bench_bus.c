/*
 * bench_bus: messages per second through our buses and the receive path,
 * each figure printed beside its anchor measured in the same run.
 *
 *   build/tests/bench/bench_bus [--port PORT] [--count N] [--sizes 500,4096]
 *                               [--qos 0,1] [--threads T] [--cases a,b,...]
 *
 * Without --port it starts its own mosquitto (from $PATH) on a free
 * 127.0.0.1 port with a temporary configuration and stops it at the end;
 * with --port it uses the broker already listening there.  N defaults to
 * 50000 messages per case; T (the verify-pool workers) to the number of
 * online cores.  Run it on a quiet machine: the broker, the publisher and
 * the subscriber share its cores.  It is a program, not a test.
 *
 * Every message is a signed PAYLOAD (core/envelope) padded to the size, so
 * that all cases move the same bytes.  Cases (transport/work), for every
 * payload size and QoS, in this order (anchors first):
 *   raw-poll/touch         libmosquitto subscriber driven by poll() and
 *                          mosquitto_loop_read() while messages keep coming
 *                          (the technique bus_mqtt uses): THE anchor
 *   raw-loop/touch         the same driven by mosquitto_loop()
 *   bus_mqtt/touch         struct bus through bus_mqtt at both ends
 *   bus_mqtt/verify        ... with the whole receive path (core/ingest) on
 *                          the loop thread (ingest_receive)
 *   bus_mqtt/verify-pool   ... with ingest's parallel mode: verification on
 *                          T workers, the bus paused when they are saturated
 *   only/verify            ingest_receive over the messages, no transport:
 *                          the verification-only rate (one thread)
 *   bus_local/verify       bus_local, both ends on one loop, ingest_receive
 *   only/verify-pool       ingest_submit in parallel mode, no transport
 *   bus_local/verify-pool  bus_local with the parallel mode
 *   latency/...            one message at a time through bus_local: the
 *                          median and 99th percentile microseconds from
 *                          publish to delivery, for verify, verify-pool
 *                          (inline when idle) and verify-pool-always
 * Each publisher runs in its own thread; the subscriber in the main thread.
 * The rate is messages received / (last arrival - publisher start).  The
 * notes give the CPU time per message of this process (publisher,
 * subscriber and workers together) and, when it was started here, of the
 * broker: where the time goes, whatever else the machine is doing.  The
 * header line says how many cores a spinning thread per core actually got
 * at the start (others' load takes the rest).
 *
 * At the end of each size and QoS come the ratios issue 3 asks for:
 * verified bus_mqtt against raw-poll (target >= 0.60) and bus_local against
 * the verification-only rate (target >= 0.90), and for the parallel MQTT
 * case the ceiling its CPU cost leaves: what the cores, all idle and ours,
 * would allow at that many microseconds a message.
 */
#include "core/lib.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/bus_mqtt.h"
#include "core/loop.h"
#include "core/envelope.h"
#include "core/identity.h"
#include "core/ingest.h"
#include "core/proto.h"
#include "core/workers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define POOL        1024          /* distinct messages, sent round-robin */
#define QOS0_WINDOW 1024          /* as bus_mqtt */
#define QOS1_WINDOW 20            /* as bus_mqtt's default inflight_max */
#define IDLE_NS     3000000000ull /* give up after 3 s without a message */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_bus: %s\n", what);
	exit(1);
}

struct work;

struct run {
	const struct work *work;
	void *wstate;
	uint8_t **pool;
	size_t size;
	int qos;
	size_t count;
	int port;
	unsigned threads;
	char topic[64];
	char url[64];
	/* results, written on the subscriber's thread */
	size_t received, rejected;
	uint64_t t_start, t_last;
	bool probe_seen;
	bool paused;             /* verify-pool without a bus: the feeder waits */
	struct ingest_stats ist; /* verify-pool: the ingest's counters at the end */
	bool has_ist;
};

/* A message's work is over (now, or when the pool hands the outcome back). */
static void accounted(struct run *r, bool ok)
{
	if (!ok)
		r->rejected++;
	r->received++;
	r->t_last = now_ns();
}

/* ---- per-message work */

struct work {
	const char *name;
	/* Per case: loop and bus are the subscriber's (NULL for raw cases). */
	void *(*open)(struct run *r, struct loop *loop, struct bus *bus);
	void (*take)(void *state, const uint8_t *msg, size_t len);
	void (*close)(void *state);
};

struct touch_state {
	struct run *r;
	uint64_t sum;
};

static void *touch_open(struct run *r, struct loop *loop, struct bus *bus)
{
	(void)loop;
	(void)bus;
	struct touch_state *t = calloc(1, sizeof(*t));
	t->r = r;
	return t;
}

static void touch_take(void *state, const uint8_t *msg, size_t len)
{
	struct touch_state *t = state;
	uint64_t s = 0;
	for (size_t i = 0; i < len; i++)
		s += msg[i];
	t->sum += s;
	accounted(t->r, len > 0);
}

/*
 * "verify": the whole receive path (core/ingest: parse, de-duplicate,
 * canonicalize, hash, verify the signature, build the body).  The window
 * remembers fewer hashes than the pool holds, so the round-robin never
 * looks like a replay.
 */
struct verify_state {
	struct run *r;
	struct ingest *ig;
	struct workers *pool;
	struct bus *bus;
};

static struct ingest *new_ingest(void)
{
	struct ingest_config cfg = {.eth_enabled = true, .dedup_window = POOL / 2};
	struct ingest *ig = NULL;
	if (ingest_new(&cfg, &ig, NULL))
		die("ingest_new");
	return ig;
}

static void *verify_open(struct run *r, struct loop *loop, struct bus *bus)
{
	(void)loop;
	(void)bus;
	struct verify_state *v = calloc(1, sizeof(*v));
	v->r = r;
	v->ig = new_ingest();
	return v;
}

static void verify_take(void *state, const uint8_t *msg, size_t len)
{
	struct verify_state *v = state;
	struct r1_msg m;
	bool ok = ingest_receive(v->ig, "naeural/payloads", msg, len, &m, NULL);
	if (ok)
		r1_msg_release(&m);
	accounted(v->r, ok);
}

static void verify_close(void *state)
{
	struct verify_state *v = state;
	ingest_free(&v->ig);
	free(v);
}

/* "verify-pool": the same through ingest's parallel mode. */
static void pool_outcome(void *ctx, struct ingest *ig, const struct ingest_outcome *o)
{
	struct verify_state *v = ctx;
	(void)ig;
	accounted(v->r, o->msg != NULL);
}

static void pool_flow(void *ctx, bool pause)
{
	struct verify_state *v = ctx;
	v->r->paused = pause;
	if (v->bus)
		bus_pause(v->bus, pause);
}

static void *pool_open_mode(struct run *r, struct loop *loop, struct bus *bus, bool always)
{
	struct verify_state *v = calloc(1, sizeof(*v));
	v->r = r;
	v->bus = bus;
	v->ig = new_ingest();
	char *why = NULL;
	if (workers_new(loop, r->threads, 0, &v->pool, &why))
		die(why);
	struct ingest_parallel p = {
	    .loop = loop, .pool = v->pool, .always = always, .flow = pool_flow, .flow_ctx = v};
	if (ingest_use_pool(v->ig, &p, &why))
		die(why);
	ingest_set_delivery(v->ig, pool_outcome, v);
	return v;
}

static void *pool_open(struct run *r, struct loop *loop, struct bus *bus)
{
	return pool_open_mode(r, loop, bus, false);
}

static void *pool_open_always(struct run *r, struct loop *loop, struct bus *bus)
{
	return pool_open_mode(r, loop, bus, true);
}

static void pool_take(void *state, const uint8_t *msg, size_t len)
{
	struct verify_state *v = state;
	ingest_submit(v->ig, "naeural/payloads", msg, len);
}

static void pool_close(void *state)
{
	struct verify_state *v = state;
	v->r->ist = *ingest_get_stats(v->ig);
	v->r->has_ist = true;
	ingest_free(&v->ig);
	workers_free(&v->pool); /* runs the done calls of anything left */
	free(v);
}

enum { W_TOUCH, W_VERIFY, W_POOL, W_POOL_ALWAYS };
static const struct work works[] = {
    [W_TOUCH] = {"touch", touch_open, touch_take, free},
    [W_VERIFY] = {"verify", verify_open, verify_take, verify_close},
    [W_POOL] = {"verify-pool", pool_open, pool_take, pool_close},
    [W_POOL_ALWAYS] = {"verify-pool-always", pool_open_always, pool_take, pool_close},
};

/* Signed PAYLOADs padded with trailing whitespace to exactly `size` bytes. */
static void pool_fill(uint8_t **pool, size_t size)
{
	struct r1_identity id;
	if (identity_generate(&id, NULL))
		die("identity_generate");
	for (size_t i = 0; i < POOL; i++) {
		pool[i] = malloc(size);
		size_t pad = size > 400 ? size - 400 : 0;
		bool done = false;
		for (int attempt = 0; attempt < 8 && !done; attempt++) {
			char *filler = malloc(pad + 1);
			memset(filler, 'x', pad);
			filler[pad] = '\0';
			json_t *msg =
			    json_pack("{s:s, s:s, s:[s,s,s,s], s:I, s:s}", K_EE_EVENT_TYPE,
			              EVENT_PAYLOAD, K_EE_ID, "bench", K_EE_PAYLOAD_PATH, "bench",
			              "p", "SIG", "i", "SEQ", (json_int_t)i, "DATA", filler);
			free(filler);
			struct buf wire = BUF_INIT;
			if (envelope_sign(msg, &id, true, &wire, NULL, NULL))
				die("envelope_sign");
			json_decref(msg);
			if (wire.len <= size) {
				memcpy(pool[i], wire.data, wire.len);
				memset(pool[i] + wire.len, ' ', size - wire.len);
				done = true;
			} else if (wire.len - size > pad) {
				die("--sizes: too small for a signed message (at least 400 bytes)");
			} else {
				pad -= wire.len - size;
			}
			buf_release(&wire);
		}
		if (!done)
			die("cannot pad a signed message to the size");
	}
	identity_wipe(&id);
}

static bool is_probe(const void *p, size_t len)
{
	return len == 5 && memcmp(p, "probe", 5) == 0;
}

/* Called by every subscriber for every message on the bench topic. */
static void got_message(struct run *r, const void *p, size_t len)
{
	if (is_probe(p, len)) {
		r->probe_seen = true;
		return;
	}
	r->work->take(r->wstate, p, len);
}

/* ---- raw libmosquitto publisher (thread) */

struct raw_pub {
	struct run *r;
	size_t written; /* on_publish calls */
	bool connected;
};

static void raw_pub_on_connect(struct mosquitto *m, void *ctx, int rc)
{
	(void)m;
	((struct raw_pub *)ctx)->connected = rc == 0;
}

static void raw_pub_on_publish(struct mosquitto *m, void *ctx, int mid)
{
	(void)m;
	(void)mid;
	((struct raw_pub *)ctx)->written++;
}

/* Drive a libmosquitto client from poll() for up to timeout_ms. */
static int raw_step(struct mosquitto *m, int timeout_ms)
{
	struct pollfd pfd = {mosquitto_socket(m), POLLIN, 0};
	if (mosquitto_want_write(m))
		pfd.events |= POLLOUT;
	if (poll(&pfd, 1, timeout_ms) < 0)
		return MOSQ_ERR_ERRNO;
	int rc = MOSQ_ERR_SUCCESS;
	if (pfd.revents & (POLLIN | POLLERR | POLLHUP))
		rc = mosquitto_loop_read(m, 1);
	if (!rc && (pfd.revents & POLLOUT))
		rc = mosquitto_loop_write(m, 1);
	if (!rc)
		rc = mosquitto_loop_misc(m);
	return rc;
}

static void *raw_pub_thread(void *arg)
{
	pthread_setname_np(pthread_self(), "bench-pub");
	struct raw_pub rp = {.r = arg};
	struct run *r = rp.r;
	struct mosquitto *m = mosquitto_new(NULL, true, &rp);
	mosquitto_connect_callback_set(m, raw_pub_on_connect);
	mosquitto_publish_callback_set(m, raw_pub_on_publish);
	mosquitto_max_inflight_messages_set(m, QOS1_WINDOW);
	if (mosquitto_connect(m, "127.0.0.1", r->port, 60))
		die("raw publisher: connect");
	while (!rp.connected)
		if (raw_step(m, 100))
			die("raw publisher: connection lost");
	size_t window = r->qos ? QOS1_WINDOW : QOS0_WINDOW, sent = 0;
	while (rp.written < r->count) {
		while (sent < r->count && sent - rp.written < window) {
			if (mosquitto_publish(m, NULL, r->topic, (int)r->size, r->pool[sent % POOL],
			                      r->qos, false))
				die("raw publisher: publish");
			sent++;
		}
		if (raw_step(m, 100))
			die("raw publisher: connection lost");
	}
	mosquitto_disconnect(m);
	mosquitto_destroy(m);
	return NULL;
}

/* ---- raw libmosquitto subscriber (main thread) */

static void raw_sub_on_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *msg)
{
	(void)m;
	struct run *r = ctx;
	if (strcmp(msg->topic, r->topic) == 0)
		got_message(r, msg->payload, (size_t)msg->payloadlen);
}

static void raw_sub_on_subscribe(struct mosquitto *m, void *ctx, int mid, int n, const int *q)
{
	(void)m;
	(void)mid;
	(void)n;
	(void)q;
	((struct run *)ctx)->probe_seen = true; /* SUBACK: subscribed */
}

static void run_raw(struct run *r, bool use_poll)
{
	r->wstate = r->work->open(r, NULL, NULL);
	struct mosquitto *m = mosquitto_new(NULL, true, r);
	mosquitto_message_callback_set(m, raw_sub_on_message);
	mosquitto_subscribe_callback_set(m, raw_sub_on_subscribe);
	if (mosquitto_connect(m, "127.0.0.1", r->port, 60) ||
	    mosquitto_subscribe(m, NULL, r->topic, r->qos))
		die("raw subscriber: connect");
	while (!r->probe_seen)
		if (mosquitto_loop(m, 100, 1))
			die("raw subscriber: connection lost");
	pthread_t th;
	r->t_start = now_ns();
	pthread_create(&th, NULL, raw_pub_thread, r);
	uint64_t idle_since = now_ns();
	size_t last = 0;
	while (r->received < r->count && now_ns() - idle_since < IDLE_NS) {
		int rc;
		if (use_poll) {
			struct pollfd pfd = {mosquitto_socket(m), POLLIN, 0};
			if (mosquitto_want_write(m))
				pfd.events |= POLLOUT;
			poll(&pfd, 1, 100);
			rc = MOSQ_ERR_SUCCESS;
			for (int i = 0; i < 256 && !rc && (pfd.revents & POLLIN); i++) {
				size_t before = r->received;
				rc = mosquitto_loop_read(m, 1);
				if (r->received == before)
					break;
			}
			if (!rc && (pfd.revents & POLLOUT))
				rc = mosquitto_loop_write(m, 1);
			if (!rc)
				rc = mosquitto_loop_misc(m);
		} else {
			rc = mosquitto_loop(m, 100, 1);
		}
		if (rc)
			die("raw subscriber: connection lost");
		if (r->received != last) {
			last = r->received;
			idle_since = now_ns();
		}
	}
	pthread_join(th, NULL);
	r->work->close(r->wstate);
	mosquitto_disconnect(m);
	mosquitto_destroy(m);
}

/* ---- bus_mqtt publisher (thread, own loop) and subscriber (main loop) */

static bool is_connected(struct bus *b)
{
	return bus_state(b, NULL) == BUS_CONNECTED;
}

static struct bus *open_mqtt(struct loop *loop, const struct run *r, const char *id)
{
	struct bus_mqtt_opts o = {.url = r->url, .client_id = id};
	struct bus *b = NULL;
	char *why = NULL;
	if (bus_mqtt_new(loop, &o, &b, &why))
		die(why);
	for (int i = 0; i < 1000 && !is_connected(b); i++)
		loop_run_once(loop, 10);
	if (!is_connected(b))
		die("bus_mqtt: no connection");
	return b;
}

static void *bus_pub_thread(void *arg)
{
	pthread_setname_np(pthread_self(), "bench-pub");
	struct run *r = arg;
	struct loop *loop = NULL;
	if (loop_new(&loop, NULL))
		die("loop_new");
	char id[64];
	snprintf(id, sizeof(id), "bench-pub-%ld", (long)getpid());
	struct bus *b = open_mqtt(loop, r, id);
	struct bus_stats st;
	size_t sent = 0, window = r->qos ? QOS1_WINDOW : QOS0_WINDOW;
	uint64_t deadline = now_ns() + 120 * 1000000000ull;
	do {
		/* The same flow control as the raw publisher: stay within the
		 * window, so that no message waits in bus_mqtt's own queue. */
		for (bus_get_stats(b, &st); sent < r->count && st.queued < window;
		     bus_get_stats(b, &st)) {
			if (bus_publish(b, r->topic, r->pool[sent % POOL], r->size, r->qos, NULL))
				break;
			sent++;
		}
		/* Wait only when the window is full. */
		loop_run_once(loop, st.queued < window && sent < r->count ? 0 : 10);
		bus_get_stats(b, &st);
	} while ((sent < r->count || st.queued) && now_ns() < deadline);
	bus_free(&b);
	loop_free(&loop);
	return NULL;
}

static void bus_sub_deliver(void *ctx, struct bus *bus, const char *topic, const uint8_t *p,
                            size_t len, int qos)
{
	(void)bus;
	(void)qos;
	struct run *r = ctx;
	if (strcmp(topic, r->topic) == 0)
		got_message(r, p, len);
}

static void run_bus_mqtt(struct run *r)
{
	struct loop *loop = NULL;
	if (loop_new(&loop, NULL))
		die("loop_new");
	char id[64];
	snprintf(id, sizeof(id), "bench-sub-%ld", (long)getpid());
	struct bus *b = open_mqtt(loop, r, id);
	bus_set_delivery(b, bus_sub_deliver, r);
	bus_subscribe(b, r->topic, r->qos, NULL);
	for (int i = 0; i < 100 && !r->probe_seen; i++) {
		bus_publish(b, r->topic, "probe", 5, 1, NULL);
		for (int k = 0; k < 10 && !r->probe_seen; k++)
			loop_run_once(loop, 10);
	}
	if (!r->probe_seen)
		die("bus_mqtt subscriber: subscription not active");
	r->wstate = r->work->open(r, loop, b);
	pthread_t th;
	r->t_start = now_ns();
	pthread_create(&th, NULL, bus_pub_thread, r);
	uint64_t idle_since = now_ns();
	size_t last = 0;
	while (r->received < r->count && now_ns() - idle_since < IDLE_NS) {
		loop_run_once(loop, 100);
		if (r->received != last) {
			last = r->received;
			idle_since = now_ns();
		}
	}
	pthread_join(th, NULL);
	r->work->close(r->wstate);
	bus_free(&b);
	loop_free(&loop);
}

/* ---- bus_local: both ends on one loop */

static void local_open(struct loop **loop, struct bus_hub **hub, struct bus **pub, struct bus **sub,
                       struct run *r)
{
	if (loop_new(loop, NULL) || bus_hub_new(*loop, 0, NULL, hub, NULL) ||
	    bus_local_new(*hub, "pub", pub, NULL) || bus_local_new(*hub, "sub", sub, NULL))
		die("bus_local set-up");
	bus_set_delivery(*sub, bus_sub_deliver, r);
	bus_subscribe(*sub, r->topic, r->qos, NULL);
	r->wstate = r->work->open(r, *loop, *sub);
}

static void local_close(struct loop **loop, struct bus_hub **hub, struct bus **pub,
                        struct bus **sub, struct run *r)
{
	r->work->close(r->wstate);
	bus_free(pub);
	bus_free(sub);
	bus_hub_free(hub);
	loop_free(loop);
}

static void run_bus_local(struct run *r)
{
	struct loop *loop = NULL;
	struct bus_hub *hub = NULL;
	struct bus *pub = NULL, *sub = NULL;
	local_open(&loop, &hub, &pub, &sub, r);
	r->t_start = now_ns();
	size_t sent = 0;
	while (r->received < r->count) {
		for (int i = 0; i < 1000 && sent < r->count; i++, sent++)
			if (bus_publish(pub, r->topic, r->pool[sent % POOL], r->size, r->qos, NULL))
				die("bus_local publish");
		loop_run_once(loop, sent < r->count ? 0 : 10);
	}
	local_close(&loop, &hub, &pub, &sub, r);
}

/* The work alone, fed as fast as it takes messages (a pool may ask to wait). */
static void run_work_only(struct run *r)
{
	struct loop *loop = NULL;
	if (loop_new(&loop, NULL))
		die("loop_new");
	r->wstate = r->work->open(r, loop, NULL);
	r->t_start = now_ns();
	size_t sent = 0;
	while (r->received < r->count) {
		while (!r->paused && sent < r->count) {
			got_message(r, r->pool[sent % POOL], r->size);
			sent++;
		}
		if (r->received < r->count)
			loop_run_once(loop, r->paused ? 10 : 0);
	}
	r->work->close(r->wstate);
	loop_free(&loop);
}

/* One message at a time through bus_local: publish-to-delivery times. */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void run_latency(struct run *r, double *median_us, double *p99_us)
{
	struct loop *loop = NULL;
	struct bus_hub *hub = NULL;
	struct bus *pub = NULL, *sub = NULL;
	local_open(&loop, &hub, &pub, &sub, r);
	uint64_t *lat = calloc(r->count, sizeof(*lat));
	r->t_start = now_ns();
	for (size_t i = 0; i < r->count; i++) {
		size_t before = r->received;
		uint64_t t0 = now_ns();
		if (bus_publish(pub, r->topic, r->pool[i % POOL], r->size, r->qos, NULL))
			die("bus_local publish");
		for (int k = 0; k < 100000 && r->received == before; k++)
			loop_run_once(loop, 10);
		lat[i] = r->t_last - t0;
		loop_run_once(loop, 0); /* a quiet iteration between messages: no burst */
	}
	qsort(lat, r->count, sizeof(*lat), cmp_u64);
	*median_us = (double)lat[r->count / 2] / 1e3;
	*p99_us = (double)lat[r->count * 99 / 100] / 1e3;
	free(lat);
	local_close(&loop, &hub, &pub, &sub, r);
}

/* ---- the broker */

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(s, (struct sockaddr *)&a, &len))
		die("free port");
	close(s);
	return ntohs(a.sin_port);
}

static bool port_open(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bool ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(s);
	return ok;
}

static pid_t start_broker(int port, char *dir)
{
	char conf[512], logf[512];
	snprintf(conf, sizeof(conf), "%s/mosquitto.conf", dir);
	snprintf(logf, sizeof(logf), "%s/mosquitto.log", dir);
	FILE *f = fopen(conf, "w");
	if (!f)
		die("cannot write the broker configuration");
	fprintf(f,
	        "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
	        "max_queued_messages 1000000\n",
	        port);
	if (getuid() == 0)
		fprintf(f, "user root\n");
	fclose(f);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("mosquitto", "mosquitto", "-c", conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && !port_open(port); i++)
		usleep(50000);
	if (!port_open(port))
		die("mosquitto did not start (is it installed?)");
	return pid;
}

/* ---- CPU time: ours (publisher, subscriber, workers) and the broker's */

#include <sys/resource.h>

static double self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* utime + stime of a process from /proc (clock-tick resolution); 0 if unknown. */
static double proc_cpu_s(pid_t pid)
{
	char path[64], line[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	FILE *f = pid > 0 ? fopen(path, "r") : NULL;
	if (!f)
		return 0;
	size_t n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	const char *p = strrchr(line, ')'); /* the command may hold spaces */
	unsigned long ut = 0, st = 0;
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- how much CPU this process can get right now */

struct spin {
	uint64_t until_ns;
	double cpu_s;
};

static void *spin_thread(void *arg)
{
	struct spin *s = arg;
	volatile uint64_t x = 0;
	while (now_ns() < s->until_ns)
		for (int i = 0; i < 10000; i++)
			x += (uint64_t)i;
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	s->cpu_s = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	return NULL;
}

/*
 * Spin one thread per core for 300 ms and add up the CPU time they got: the
 * cores free for us at the moment (others' load takes the rest).
 */
static double cores_free(long ncpu)
{
	enum { MAXT = 64 };
	pthread_t th[MAXT];
	struct spin sp[MAXT];
	int n = (int)R1_MIN(R1_MAX(ncpu, 1), MAXT);
	uint64_t t0 = now_ns();
	for (int i = 0; i < n; i++) {
		sp[i] = (struct spin){.until_ns = t0 + 300000000ull};
		pthread_create(&th[i], NULL, spin_thread, &sp[i]);
	}
	double cpu = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		cpu += sp[i].cpu_s;
	}
	return cpu / ((double)(now_ns() - t0) / 1e9);
}

/* ---- main */

enum transport { T_RAW_POLL, T_RAW_LOOP, T_MQTT, T_ONLY, T_LOCAL, T_LATENCY };
static const char *const transport_names[] = {"raw-poll", "raw-loop",  "bus_mqtt",
                                              "only",     "bus_local", "latency"};

struct bcase {
	enum transport t;
	int work;
	int anchor; /* index of the case it is compared with, -1 for anchors */
};

enum {
	C_RAW_POLL,
	C_RAW_LOOP,
	C_MQTT_TOUCH,
	C_MQTT_VERIFY,
	C_MQTT_POOL,
	C_ONLY_VERIFY,
	C_LOCAL_VERIFY,
	C_ONLY_POOL,
	C_LOCAL_POOL,
	C_LAT_VERIFY,
	C_LAT_POOL,
	C_LAT_ALWAYS,
	NCASES
};
static const struct bcase cases[NCASES] = {
    [C_RAW_POLL] = {T_RAW_POLL, W_TOUCH, -1},
    [C_RAW_LOOP] = {T_RAW_LOOP, W_TOUCH, C_RAW_POLL},
    [C_MQTT_TOUCH] = {T_MQTT, W_TOUCH, C_RAW_POLL},
    [C_MQTT_VERIFY] = {T_MQTT, W_VERIFY, C_RAW_POLL},
    [C_MQTT_POOL] = {T_MQTT, W_POOL, C_RAW_POLL},
    [C_ONLY_VERIFY] = {T_ONLY, W_VERIFY, -1},
    [C_LOCAL_VERIFY] = {T_LOCAL, W_VERIFY, C_ONLY_VERIFY},
    [C_ONLY_POOL] = {T_ONLY, W_POOL, C_ONLY_VERIFY},
    [C_LOCAL_POOL] = {T_LOCAL, W_POOL, C_ONLY_POOL},
    [C_LAT_VERIFY] = {T_LATENCY, W_VERIFY, -1},
    [C_LAT_POOL] = {T_LATENCY, W_POOL, C_LAT_VERIFY},
    [C_LAT_ALWAYS] = {T_LATENCY, W_POOL_ALWAYS, C_LAT_VERIFY},
};

static void case_label(int c, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", transport_names[cases[c].t], works[cases[c].work].name);
}

/* Is `label` one of the comma-separated names in `list` (NULL: all)? */
static bool selected(const char *list, const char *label)
{
	if (!list)
		return true;
	size_t n = strlen(label);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, label, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

static double rate(const struct run *r)
{
	double secs = (double)(r->t_last - r->t_start) / 1e9;
	return secs > 0 ? (double)r->received / secs : 0;
}

static void parse_list(const char *s, long *out, int *n)
{
	*n = 0;
	while (*s && *n < 8) {
		out[(*n)++] = strtol(s, (char **)&s, 10);
		if (*s == ',')
			s++;
	}
}

/* Per case: the rate, and CPU microseconds per message (ours, the broker's). */
struct result {
	double rate, cpu_us, broker_us;
};

static void print_ratio(const char *what, const struct result *res, int num, int den, double target)
{
	char a[48], b[48];
	case_label(num, a, sizeof(a));
	case_label(den, b, sizeof(b));
	if (res[num].rate > 0 && res[den].rate > 0)
		printf("  %-22s %-22s / %-16s = %.2f (target >= %.2f: %s)\n", what, a, b,
		       res[num].rate / res[den].rate, target,
		       res[num].rate / res[den].rate >= target ? "met" : "NOT met");
}

/*
 * What the CPU allows whatever the load: with every core ours, a case that
 * costs cpu_us + broker_us per message cannot go faster than
 * cores * 1e6 / (cpu_us + broker_us) messages per second.
 */
static void print_ceiling(const struct result *res, int num, int den, long cores)
{
	double per = res[num].cpu_us + res[num].broker_us;
	if (res[num].rate <= 0 || res[den].rate <= 0 || per <= 0)
		return;
	double ceiling = (double)cores * 1e6 / per;
	printf("  %-22s %.1f us of CPU a message (%.1f ours + %.1f broker): %ld idle cores "
	       "would allow at most %.0f/s, %.2f of the anchor\n",
	       "", per, res[num].cpu_us, res[num].broker_us, cores, ceiling,
	       ceiling / res[den].rate);
}

int main(int argc, char **argv)
{
	int port = 0;
	size_t count = 50000;
	long sizes[8] = {500, 4096}, qoss[8] = {0, 1};
	int nsizes = 2, nqos = 2;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = ncpu > 0 ? (unsigned)ncpu : 1;
	const char *only = NULL; /* all cases */
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : "";
		if (strcmp(argv[i], "--port") == 0)
			port = atoi(v), i++;
		else if (strcmp(argv[i], "--count") == 0)
			count = (size_t)atol(v), i++;
		else if (strcmp(argv[i], "--sizes") == 0)
			parse_list(v, sizes, &nsizes), i++;
		else if (strcmp(argv[i], "--qos") == 0)
			parse_list(v, qoss, &nqos), i++;
		else if (strcmp(argv[i], "--threads") == 0)
			threads = (unsigned)atoi(v), i++;
		else if (strcmp(argv[i], "--cases") == 0)
			only = v, i++;
		else {
			fprintf(stderr,
			        "usage: %s [--port P] [--count N] [--sizes 500,4096] [--qos 0,1] "
			        "[--threads T] [--cases raw-poll/touch,bus_mqtt/verify-pool,...]\n",
			        argv[0]);
			return 2;
		}
	}
	if (count < 100)
		die("--count must be at least 100");
	if (threads < 1 || threads > 64)
		die("--threads must be 1..64");
	mosquitto_lib_init(); /* once, before any thread */
	char dir[] = "/tmp/bench_bus.XXXXXX";
	pid_t broker = 0;
	bool need_broker = false;
	for (int c = 0; c < NCASES; c++) {
		char label[48];
		case_label(c, label, sizeof(label));
		need_broker = need_broker || (cases[c].t <= T_MQTT && selected(only, label));
	}
	if (!port && need_broker) {
		if (!mkdtemp(dir))
			die("mkdtemp");
		port = free_port();
		broker = start_broker(port, dir);
	}
	double load[3] = {0};
	getloadavg(load, 3);
	const char *coretype = getenv("OPENBLAS_CORETYPE");
	char where[64] = "no broker needed";
	if (need_broker)
		snprintf(where, sizeof(where), "mosquitto on 127.0.0.1:%d (%s)", port,
		         broker ? "started here" : "given");
	printf("bench_bus: %zu messages per case, %s, %ld cores (%.2f free to us now), "
	       "load %.2f, %u verify-pool workers, OPENBLAS_CORETYPE=%s\n",
	       count, where, ncpu, cores_free(ncpu), load[0], threads,
	       coretype ? coretype : "(unset)");
	printf("%6s %4s %-30s %12s %-28s %14s  %s\n", "size", "qos", "case", "msgs/s", "vs anchor",
	       "received", "notes");
	for (int si = 0; si < nsizes; si++) {
		size_t size = (size_t)sizes[si];
		if (size < 400 || size > R1_MAX_MESSAGE_LEN)
			die("sizes must be between 400 bytes and 2 MB");
		uint8_t *pool[POOL];
		pool_fill(pool, size);
		for (int qi = 0; qi < nqos; qi++) {
			struct result res[NCASES] = {{0}};
			for (int c = 0; c < NCASES; c++) {
				char label[48];
				case_label(c, label, sizeof(label));
				if (!selected(only, label))
					continue;
				struct run r = {.work = &works[cases[c].work],
				                .pool = pool,
				                .size = size,
				                .qos = (int)qoss[qi],
				                .count = count,
				                .port = port,
				                .threads = threads};
				snprintf(r.topic, sizeof(r.topic), "bench/%d/%zu/%ld", c, size,
				         qoss[qi]);
				snprintf(r.url, sizeof(r.url), "mqtt://127.0.0.1:%d", port);
				double med = 0, p99 = 0;
				double cpu0 = self_cpu_s(), bcpu0 = proc_cpu_s(broker);
				switch (cases[c].t) {
				case T_RAW_POLL:
					run_raw(&r, true);
					break;
				case T_RAW_LOOP:
					run_raw(&r, false);
					break;
				case T_MQTT:
					run_bus_mqtt(&r);
					break;
				case T_ONLY:
					run_work_only(&r);
					break;
				case T_LOCAL:
					run_bus_local(&r);
					break;
				case T_LATENCY:
					r.count = R1_MIN(count, (size_t)2000);
					run_latency(&r, &med, &p99);
					break;
				}
				double cpu_us = (self_cpu_s() - cpu0) * 1e6 / (double)r.received;
				double bcpu_us =
				    (proc_cpu_s(broker) - bcpu0) * 1e6 / (double)r.received;
				char vs[80] = "-", recv[40], notes[256] = "";
				snprintf(notes, sizeof(notes), "cpu %.1f us/msg", cpu_us);
				if (broker && cases[c].t <= T_MQTT)
					snprintf(notes + strlen(notes),
					         sizeof(notes) - strlen(notes), " + broker %.1f",
					         bcpu_us);
				int a = cases[c].anchor;
				res[c].cpu_us = cpu_us;
				res[c].broker_us = broker && cases[c].t <= T_MQTT ? bcpu_us : 0;
				if (cases[c].t == T_LATENCY) {
					res[c].rate = med;
					snprintf(notes, sizeof(notes),
					         "median %.1f us, p99 %.1f us", med, p99);
				} else {
					res[c].rate = rate(&r);
				}
				if (a >= 0 && res[a].rate > 0 && res[c].rate > 0) {
					char al[48];
					case_label(a, al, sizeof(al));
					snprintf(vs, sizeof(vs), "%.2f %s",
					         res[c].rate / res[a].rate, al);
				}
				if (r.has_ist) {
					size_t len = strlen(notes);
					snprintf(notes + len, sizeof(notes) - len,
					         "; pooled %" PRIu64 " in %" PRIu64
					         " batches, inline %" PRIu64 "+%" PRIu64
					         ", pauses %" PRIu64 ", reordered %" PRIu64,
					         r.ist.pooled, r.ist.batches, r.ist.inline_idle,
					         r.ist.inline_full, r.ist.pauses, r.ist.reordered);
				}
				snprintf(recv, sizeof(recv), "%zu/%zu%s", r.received, r.count,
				         r.rejected ? " REJECTED" : "");
				if (cases[c].t == T_LATENCY)
					printf("%6zu %4ld %-30s %12s %-28s %14s  %s\n", size,
					       qoss[qi], label, "-", vs, recv, notes);
				else
					printf("%6zu %4ld %-30s %12.0f %-28s %14s  %s\n", size,
					       qoss[qi], label, res[c].rate, vs, recv, notes);
				fflush(stdout);
			}
			printf("  issue 3, %zu B QoS %ld:\n", size, qoss[qi]);
			print_ratio("verified MQTT ingest", res, C_MQTT_VERIFY, C_RAW_POLL, 0.60);
			print_ratio("  ... parallel", res, C_MQTT_POOL, C_RAW_POLL, 0.60);
			print_ceiling(res, C_MQTT_POOL, C_RAW_POLL, ncpu);
			print_ratio("bus_local overhead", res, C_LOCAL_VERIFY, C_ONLY_VERIFY, 0.90);
			print_ratio("  ... parallel", res, C_LOCAL_POOL, C_ONLY_POOL, 0.90);
		}
		for (int i = 0; i < POOL; i++)
			free(pool[i]);
	}
	if (broker) {
		kill(broker, SIGTERM);
		waitpid(broker, NULL, 0);
		char path[600];
		snprintf(path, sizeof(path), "%s/mosquitto.conf", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/mosquitto.log", dir);
		unlink(path);
		rmdir(dir);
	}
	mosquitto_lib_cleanup();
	return 0;
}
