/*
 * bench_bus: messages per second through our buses, each figure printed
 * beside raw libmosquitto measured through the same broker in the same run.
 *
 *   build/tests/bench/bench_bus [--port PORT] [--count N] [--sizes 500,4096]
 *                               [--qos 0,1] [--work NAME] [--cases a,b,...]
 *
 * Without --port it starts its own mosquitto (from $PATH) on a free
 * 127.0.0.1 port with a temporary configuration and stops it at the end;
 * with --port it uses the broker already listening there.  N defaults to
 * 50000 messages per case.  Run it on a quiet machine: the broker, the
 * publisher and the subscriber share its cores.  It is a program, not a test.
 *
 * Cases, for every payload size and QoS:
 *   raw-loop   libmosquitto publisher and subscriber, the subscriber driven
 *              by mosquitto_loop() (the library's own select loop)
 *   raw-poll   the same, the subscriber driven by poll() and
 *              mosquitto_loop_read() while messages keep coming (the technique
 *              bus_mqtt uses: the anchor for bus_mqtt)
 *   bus_mqtt   struct bus through bus_mqtt at both ends, each on its own loop
 *   bus_local  struct bus through bus_local, both endpoints on one loop
 *   work-only  the per-message work alone over the same messages (the anchor
 *              for the receive path once verification is plugged in)
 * Each publisher runs in its own thread; the subscriber in the main thread.
 * The rate is messages received / (last arrival - publisher start).
 *
 * Per-message work: every subscriber calls the selected struct bench_work on
 * each message it receives.  "touch" (the default) reads every byte;
 * "verify" runs the whole receive path (core/ingest) on signed messages.
 * The comparison is bus_mqtt with --work verify against raw-poll
 * with --work touch: run the two and divide.
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

/* ---- per-message work */

struct bench_work {
	const char *name;
	/* Fill pool[0..count) with messages of `size` bytes; NULL = the default
	 * "seq=<i> xxx..." payloads.  Returns false on failure. */
	bool (*prepare)(void **state, uint8_t **pool, size_t count, size_t size);
	/* The work on one received message; false = the message was rejected. */
	bool (*run)(void *state, const uint8_t *msg, size_t len);
	void (*release)(void *state);
};

static bool touch_run(void *state, const uint8_t *msg, size_t len)
{
	uint64_t *sum = state;
	uint64_t s = 0;
	for (size_t i = 0; i < len; i++)
		s += msg[i];
	*sum += s;
	return len > 0;
}

static bool touch_prepare(void **state, uint8_t **pool, size_t count, size_t size)
{
	(void)pool;
	(void)count;
	(void)size;
	*state = calloc(1, sizeof(uint64_t));
	return *state != NULL;
}

/*
 * "verify": the whole receive path (core/ingest: parse, de-duplicate,
 * canonicalize, hash, verify the signature, build the body) on signed
 * payloads.  Each pool entry is a distinct signed PAYLOAD padded with
 * trailing whitespace to exactly `size` bytes; the window remembers fewer
 * hashes than the pool holds, so the round-robin never looks like a replay.
 */
struct verify_state {
	struct ingest *ig;
	struct r1_identity id;
};

static bool verify_prepare(void **state, uint8_t **pool, size_t count, size_t size)
{
	struct verify_state *vs = calloc(1, sizeof(*vs));
	if (!vs || identity_generate(&vs->id, NULL))
		return false;
	struct ingest_config cfg = {.eth_enabled = true, .dedup_window = count / 2};
	if (ingest_new(&cfg, &vs->ig, NULL))
		return false;
	for (size_t i = 0; i < count; i++) {
		size_t pad = size > 400 ? size - 400 : 0;
		for (int attempt = 0; attempt < 8; attempt++) {
			char *filler = malloc(pad + 1);
			memset(filler, 'x', pad);
			filler[pad] = '\0';
			json_t *msg = json_pack("{s:s, s:s, s:[s,s,s,s], s:I, s:s}", K_EE_EVENT_TYPE,
			                        EVENT_PAYLOAD, K_EE_ID, "bench",
			                        K_EE_PAYLOAD_PATH, "bench", "p", "SIG", "i",
			                        "SEQ", (json_int_t)i, "DATA", filler);
			free(filler);
			struct buf wire = BUF_INIT;
			bool signed_ok = envelope_sign(msg, &vs->id, true, &wire, NULL, NULL) == R1_OK;
			json_decref(msg);
			if (!signed_ok)
				return false;
			if (wire.len <= size) {
				memcpy(pool[i], wire.data, wire.len);
				memset(pool[i] + wire.len, ' ', size - wire.len);
				buf_release(&wire);
				break;
			}
			size_t over = wire.len - size;
			buf_release(&wire);
			if (over > pad)
				return false; /* size too small for a signed message */
			pad -= over;
		}
	}
	*state = vs;
	return true;
}

static bool verify_run(void *state, const uint8_t *msg, size_t len)
{
	struct verify_state *vs = state;
	struct r1_msg m;
	if (!ingest_receive(vs->ig, "naeural/payloads", msg, len, &m, NULL))
		return false;
	r1_msg_release(&m);
	return true;
}

static void verify_release(void *state)
{
	struct verify_state *vs = state;
	ingest_free(&vs->ig);
	free(vs);
}

static const struct bench_work works[] = {
    {"touch", touch_prepare, touch_run, free},
    {"verify", verify_prepare, verify_run, verify_release},
};

/* ---- shared bits */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct run {
	const struct bench_work *work;
	void *work_state;
	uint8_t **pool;
	size_t size;
	int qos;
	size_t count;
	int port;
	char topic[64];
	char url[64];
	/* results, written by the subscriber */
	size_t received, rejected;
	uint64_t t_start, t_last;
	bool probe_seen;
};

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
	if (!r->work->run(r->work_state, p, len))
		r->rejected++;
	r->received++;
	r->t_last = now_ns();
}

static void die(const char *what)
{
	fprintf(stderr, "bench_bus: %s\n", what);
	exit(1);
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
	bus_free(&b);
	loop_free(&loop);
}

/* ---- bus_local: both ends on one loop */

static void run_bus_local(struct run *r)
{
	struct loop *loop = NULL;
	struct bus_hub *hub = NULL;
	struct bus *pub = NULL, *sub = NULL;
	if (loop_new(&loop, NULL) || bus_hub_new(loop, 0, NULL, &hub, NULL) ||
	    bus_local_new(hub, "pub", &pub, NULL) || bus_local_new(hub, "sub", &sub, NULL))
		die("bus_local set-up");
	bus_set_delivery(sub, bus_sub_deliver, r);
	bus_subscribe(sub, r->topic, r->qos, NULL);
	r->t_start = now_ns();
	size_t sent = 0;
	while (r->received < r->count) {
		for (int i = 0; i < 1000 && sent < r->count; i++, sent++)
			if (bus_publish(pub, r->topic, r->pool[sent % POOL], r->size, r->qos, NULL))
				die("bus_local publish");
		loop_run_once(loop, 0);
	}
	bus_free(&pub);
	bus_free(&sub);
	bus_hub_free(&hub);
	loop_free(&loop);
}

static void run_work_only(struct run *r)
{
	r->t_start = now_ns();
	for (size_t i = 0; i < r->count; i++)
		got_message(r, r->pool[i % POOL], r->size);
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

/* ---- main */

static void pool_fill(uint8_t **pool, size_t size)
{
	for (size_t i = 0; i < POOL; i++) {
		pool[i] = malloc(size);
		int n = snprintf((char *)pool[i], size, "seq=%zu ", i);
		for (size_t k = (size_t)(n > 0 ? n : 0); k < size; k++)
			pool[i][k] = (uint8_t)('a' + (i + k) % 26);
	}
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

int main(int argc, char **argv)
{
	int port = 0;
	size_t count = 50000;
	long sizes[8] = {500, 4096}, qoss[8] = {0, 1};
	int nsizes = 2, nqos = 2;
	const struct bench_work *work = &works[0];
	const char *cases = NULL; /* all */
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
		else if (strcmp(argv[i], "--cases") == 0)
			cases = v, i++;
		else if (strcmp(argv[i], "--work") == 0) {
			work = NULL;
			for (size_t k = 0; k < R1_ARRAY_LEN(works); k++)
				if (strcmp(works[k].name, v) == 0)
					work = &works[k];
			if (!work)
				die("unknown --work");
			i++;
		} else {
			fprintf(stderr,
			        "usage: %s [--port P] [--count N] [--sizes 500,4096] "
			        "[--qos 0,1] [--work touch]\n",
			        argv[0]);
			return 2;
		}
	}
	if (count < 1)
		die("--count must be at least 1");
	mosquitto_lib_init(); /* once, before any thread */
	char dir[] = "/tmp/bench_bus.XXXXXX";
	pid_t broker = 0;
	if (!port) {
		if (!mkdtemp(dir))
			die("mkdtemp");
		port = free_port();
		broker = start_broker(port, dir);
	}
	double load[3] = {0};
	getloadavg(load, 3);
	printf("bench_bus: %zu messages per case, mosquitto on 127.0.0.1:%d (%s), "
	       "%ld cores, load %.2f, work \"%s\"\n",
	       count, port, broker ? "started here" : "given", sysconf(_SC_NPROCESSORS_ONLN),
	       load[0], work->name);
	printf("%6s %4s %-10s %12s %-20s %14s\n", "size", "qos", "case", "msgs/s", "vs anchor",
	       "received");
	for (int si = 0; si < nsizes; si++) {
		size_t size = (size_t)sizes[si];
		if (size < 16 || size > R1_MAX_MESSAGE_LEN)
			die("sizes must be between 16 bytes and 2 MB");
		uint8_t *pool[POOL];
		void *state = NULL;
		pool_fill(pool, size);
		if (!work->prepare(&state, pool, POOL, size))
			die("work prepare failed");
		for (int qi = 0; qi < nqos; qi++) {
			/* Anchors run first: each figure is printed beside its anchor. */
			enum { RAW_POLL, RAW_LOOP, BUS_MQTT, WORK_ONLY, BUS_LOCAL, NCASES };
			static const char *const names[NCASES] = {
			    "raw-poll", "raw-loop", "bus_mqtt", "work-only", "bus_local"};
			static const int anchor_of[NCASES] = {-1, RAW_POLL, RAW_POLL, -1,
			                                      WORK_ONLY};
			double rates[NCASES];
			for (int c = 0; c < NCASES; c++) {
				rates[c] = 0;
				if (cases && !strstr(cases, names[c]))
					continue;
				struct run r = {.work = work,
				                .work_state = state,
				                .pool = pool,
				                .size = size,
				                .qos = (int)qoss[qi],
				                .count = count,
				                .port = port};
				snprintf(r.topic, sizeof(r.topic), "bench/%d/%zu/%ld", c, size,
				         qoss[qi]);
				snprintf(r.url, sizeof(r.url), "mqtt://127.0.0.1:%d", port);
				switch (c) {
				case RAW_POLL:
					run_raw(&r, true);
					break;
				case RAW_LOOP:
					run_raw(&r, false);
					break;
				case BUS_MQTT:
					run_bus_mqtt(&r);
					break;
				case WORK_ONLY:
					run_work_only(&r);
					break;
				default:
					run_bus_local(&r);
					break;
				}
				rates[c] = rate(&r);
				char vs[32] = "-", recv[40];
				if (anchor_of[c] >= 0 && rates[anchor_of[c]] > 0)
					snprintf(vs, sizeof(vs), "%.2f %s",
					         rates[c] / rates[anchor_of[c]],
					         names[anchor_of[c]]);
				snprintf(recv, sizeof(recv), "%zu/%zu%s", r.received, count,
				         r.rejected ? " REJECTED" : "");
				printf("%6zu %4ld %-10s %12.0f %-20s %14s\n", size, qoss[qi],
				       names[c], rates[c], vs, recv);
			}
		}
		if (work->release)
			work->release(state);
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
