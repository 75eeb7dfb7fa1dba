/*
 * CStore speed, each figure beside its anchor measured in the same run:
 *
 *  - local get and hget on a replica of 100,000 keys, beside redis-benchmark
 *    GET against a redis-server started on a free loopback port (plain and
 *    with 16 pipelined requests);
 *  - replicated set waiting for one and for two confirmations (three
 *    nodes): latency p50/p99 of sequential writes and the throughput of 64
 *    writes in flight, beside redis-benchmark SET; every message takes the
 *    full path of the protocol (payload, multi-recipient encryption,
 *    signature; then verification, decryption, CHAIN_STORE_DATA), carried
 *    by an in-process queue and by a mosquitto broker on loopback (started
 *    here, or --mqtt-port of a running one), three MQTT clients driven by
 *    libmosquitto's external loop as the node drives it.
 *
 * Not a test: it asserts nothing.  Figures that count are taken on a quiet
 * machine; the load average is printed first.
 *
 * usage: bench_cstore [--quick] [--mqtt-port N] [--no-redis] [--no-mqtt] [--qos N]
 */
#include "node/lib.h"
#include "node/cstore/cstore.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/bus_mqtt.h"
#include "core/cipher.h"
#include "core/envelope.h"
#include "core/loop.h"
#include "core/identity.h"
#include "core/jdoc.h"
#include "core/proto.h"
#include "core/timefmt.h"
#include "node/node.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define NNODES 3

enum mode {
	MODE_QUEUE,     /* a FIFO in this process: no transport at all */
	MODE_BUS_LOCAL, /* the in-process bus (bus_local), delivered by the loop */
	MODE_BUS_MQTT,  /* the MQTT bus (bus_mqtt) to mosquitto */
	MODE_RAW_MQTT,  /* libmosquitto with TCP_NODELAY, polled here: the anchor */
};

struct bench;

struct bnode {
	struct bench *b;
	int idx;
	struct r1_identity id;
	char alias[16];
	struct cstore *cs;
	struct mosquitto *mq;
	struct bus *bus;
	char topic[128];
	const char *peers[NNODES];
	struct cipher_keycache *keys;
};

struct qmsg {
	int to;
	char *wire;
	size_t len;
	struct qmsg *next;
};

struct bench {
	enum mode mode;
	int qos;
	struct loop *loop;
	struct bus_hub *hub;
	struct bnode node[NNODES];
	struct qmsg *head, *tail;
	struct envelope_ctx ectx;
	uint64_t sent_bytes, messages;
	/* the write under measurement */
	int done;
	int inflight;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- the wire: what the node's outbox and receive path do */

static void deliver_wire(struct bnode *nd, const char *wire, size_t len)
{
	struct bench *b = nd->b;
	struct envelope_verdict v;
	if (envelope_verify_wire(&b->ectx, wire, len, true, &v) != ENVELOPE_OK) {
		fprintf(stderr, "bench: verification failed: %s\n", v.reason);
		return;
	}
	json_t *msg = NULL;
	if (jdoc_to_jansson(envelope_ctx_message(&b->ectx), &msg, NULL))
		return;
	const char *enc = json_string_value(json_object_get(msg, K_EE_ENCRYPTED_DATA));
	struct buf plain = BUF_INIT;
	char *why = NULL;
	if (!enc || cipher_decrypt(&nd->id, v.sender, enc, strlen(enc), R1_MAX_MESSAGE_LEN * 8,
	                           nd->keys, &plain, &why)) {
		fprintf(stderr, "bench: decryption failed: %s\n", why ? why : "no data");
		r1_free(why);
		json_decref(msg);
		buf_release(&plain);
		return;
	}
	json_t *inner = json_loadb(plain.data, plain.len, 0, NULL);
	buf_release(&plain);
	const char *ts = json_string_value(json_object_get(msg, K_EE_TIMESTAMP));
	int64_t sent = CSTORE_TIME_UNKNOWN;
	if (ts)
		timefmt_heartbeat_utc(ts, strlen(ts),
		                      json_string_value(json_object_get(msg, K_EE_TIMEZONE)), &sent,
		                      NULL);
	struct cstore_meta meta = {
	    .sender = v.sender,
	    .alias = json_string_value(json_object_get(msg, K_EE_ID)),
	    .hash = json_string_value(json_object_get(msg, K_EE_HASH)),
	    .sent_us = sent,
	    .encrypted = true,
	};
	cstore_receive(nd->cs, &meta, json_object_get(inner, K_CHAIN_STORE_DATA), NULL);
	json_decref(inner);
	json_decref(msg);
}

static int node_of(const struct bench *b, const char *addr)
{
	for (int i = 0; i < NNODES; i++)
		if (addr_same(b->node[i].id.addr, addr))
			return i;
	return -1;
}

static enum r1_err env_send(void *ctx, const char *const *peers, size_t n, const json_t *data,
                            char **why)
{
	struct bnode *nd = ctx;
	struct bench *b = nd->b;
	/* the inner payload, as a plugin's payload fields */
	json_t *inner = json_pack("{s:O,s:s,s:s,s:s}", K_CHAIN_STORE_DATA, data, K_STREAM_NAME,
	                          ADMIN_PIPELINE, K_SIGNATURE, SIG_CHAIN_STORE_BASE, K_INSTANCE_ID,
	                          SIG_CHAIN_STORE_BASE ADMIN_INSTANCE_SUFFIX);
	char *plain = json_dumps(inner, JSON_COMPACT);
	json_decref(inner);
	struct buf ct = BUF_INIT;
	enum r1_err e =
	    cipher_encrypt_multi(&nd->id, peers, n, plain, strlen(plain), nd->keys, &ct, why);
	free(plain);
	if (e) {
		buf_release(&ct);
		return e;
	}
	struct ee_time t;
	timefmt_envelope_time(wall_us(), &t, NULL);
	json_t *dest = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(dest, json_string(peers[i]));
	json_t *msg = json_pack(
	    "{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:o,s:[s,s,s,s+]}", K_EE_ADDR, nd->id.addr, K_EE_ID,
	    nd->alias, K_EE_EVENT_TYPE, EVENT_PAYLOAD, K_EE_VERSION, R1_APP_VERSION, K_EE_TIMESTAMP,
	    t.timestamp, K_EE_TIMEZONE, t.timezone, K_EE_IS_ENCRYPTED, 1, K_EE_ENCRYPTED_DATA,
	    buf_cstr(&ct), K_EE_DEST, dest, K_EE_PAYLOAD_PATH, nd->alias, ADMIN_PIPELINE,
	    SIG_CHAIN_STORE_BASE, SIG_CHAIN_STORE_BASE, ADMIN_INSTANCE_SUFFIX);
	buf_release(&ct);
	struct buf wire = BUF_INIT;
	e = envelope_sign(msg, &nd->id, true, &wire, NULL, why);
	json_decref(msg);
	for (size_t i = 0; !e && i < n; i++) {
		b->messages++;
		b->sent_bytes += wire.len;
		if (b->mode == MODE_QUEUE) {
			struct qmsg *q = calloc(1, sizeof(*q));
			q->to = node_of(b, peers[i]);
			q->wire = malloc(wire.len);
			memcpy(q->wire, wire.data, wire.len);
			q->len = wire.len;
			if (b->tail)
				b->tail->next = q;
			else
				b->head = q;
			b->tail = q;
		} else if (b->mode == MODE_BUS_LOCAL || b->mode == MODE_BUS_MQTT) {
			char topic[128];
			snprintf(topic, sizeof(topic), "%s/%s/payloads", R1_DEFAULT_ROOT_TOPIC,
			         peers[i]);
			e = bus_publish(nd->bus, topic, wire.data, wire.len, b->qos, why);
		} else {
			char topic[128];
			snprintf(topic, sizeof(topic), "%s/%s/payloads", R1_DEFAULT_ROOT_TOPIC,
			         peers[i]);
			if (mosquitto_publish(nd->mq, NULL, topic, (int)wire.len, wire.data, b->qos,
			                      false) != MOSQ_ERR_SUCCESS)
				e = r1_fail(why, R1_ERR_IO, "publish failed");
		}
	}
	buf_release(&wire);
	return e;
}

static size_t env_peers(void *ctx, const char *const **out)
{
	struct bnode *nd = ctx;
	size_t k = 0;
	for (int i = 0; i < NNODES; i++)
		if (i != nd->idx)
			nd->peers[k++] = nd->b->node[i].id.addr;
	*out = nd->peers;
	return k;
}

static bool env_trusted(void *ctx, const char *addr)
{
	return node_of(((struct bnode *)ctx)->b, addr) >= 0;
}

/* ---- driving */

static void on_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *msg)
{
	deliver_wire(ctx, msg->payload, (size_t)msg->payloadlen);
}

static void on_deliver(void *ctx, struct bus *bus, const char *topic, const uint8_t *payload,
                       size_t len, int qos)
{
	deliver_wire(ctx, (const char *)payload, len);
}

static void pump_queue(struct bench *b)
{
	while (b->head) {
		struct qmsg *q = b->head;
		b->head = q->next;
		if (!b->head)
			b->tail = NULL;
		if (q->to >= 0)
			deliver_wire(&b->node[q->to], q->wire, q->len);
		free(q->wire);
		free(q);
	}
}

/* One turn of the loop: network I/O (or the queue), then due timers. */
static void turn(struct bench *b, int timeout_ms)
{
	if (b->mode == MODE_QUEUE) {
		pump_queue(b);
	} else if (b->mode == MODE_BUS_LOCAL || b->mode == MODE_BUS_MQTT) {
		loop_run_once(b->loop, timeout_ms);
	} else {
		struct pollfd p[NNODES];
		for (int i = 0; i < NNODES; i++) {
			p[i].fd = mosquitto_socket(b->node[i].mq);
			p[i].events = POLLIN | (mosquitto_want_write(b->node[i].mq) ? POLLOUT : 0);
			p[i].revents = 0;
		}
		if (poll(p, NNODES, timeout_ms) > 0) {
			for (int i = 0; i < NNODES; i++) {
				if (p[i].revents & POLLIN)
					mosquitto_loop_read(b->node[i].mq, 1);
				if (p[i].revents & POLLOUT)
					mosquitto_loop_write(b->node[i].mq, 1);
			}
		}
		for (int i = 0; i < NNODES; i++) {
			/* writes queued by callbacks go out now, not on the next poll */
			if (mosquitto_want_write(b->node[i].mq))
				mosquitto_loop_write(b->node[i].mq, 1);
			mosquitto_loop_misc(b->node[i].mq);
		}
	}
	for (int i = 0; i < NNODES; i++)
		cstore_run_due(b->node[i].cs);
}

static void setup(struct bench *b, enum mode mode, int qos, int mqtt_port, int min_confirms)
{
	memset(b, 0, sizeof(*b));
	b->mode = mode;
	b->qos = qos;
	if (envelope_ctx_init(&b->ectx, NULL))
		exit(1);
	if ((mode == MODE_BUS_LOCAL || mode == MODE_BUS_MQTT) && loop_new(&b->loop, NULL))
		exit(1);
	if (mode == MODE_BUS_LOCAL && bus_hub_new(b->loop, 0, NULL, &b->hub, NULL))
		exit(1);
	for (int i = 0; i < NNODES; i++) {
		struct bnode *nd = &b->node[i];
		nd->b = b;
		nd->idx = i;
		identity_generate(&nd->id, NULL);
		snprintf(nd->alias, sizeof(nd->alias), "bench-%c", 'a' + i);
		nd->keys = cipher_keycache_new();
		struct cstore_config cfg = {.addr = nd->id.addr,
		                            .alias = nd->alias,
		                            .min_confirmations = min_confirms,
		                            .max_retries = -1};
		struct cstore_env env = {.ctx = nd,
		                         .send = env_send,
		                         .default_peers = env_peers,
		                         .trusted = env_trusted};
		char *why = NULL;
		if (cstore_new(&cfg, &env, NULL, NULL, &nd->cs, &why)) {
			fprintf(stderr, "bench: %s\n", why);
			exit(1);
		}
		char topic[sizeof(nd->topic)];
		snprintf(topic, sizeof(topic), "%s/%s/payloads", R1_DEFAULT_ROOT_TOPIC,
		         nd->id.addr);
		memcpy(nd->topic, topic, sizeof(topic));
		if (mode == MODE_BUS_LOCAL || mode == MODE_BUS_MQTT) {
			char url[64];
			snprintf(url, sizeof(url), "mqtt://127.0.0.1:%d", mqtt_port);
			struct bus_mqtt_opts mo = {.url = url, .client_id = nd->alias};
			enum r1_err e = mode == MODE_BUS_LOCAL
			                    ? bus_local_new(b->hub, nd->alias, &nd->bus, &why)
			                    : bus_mqtt_new(b->loop, &mo, &nd->bus, &why);
			if (e || bus_subscribe(nd->bus, nd->topic, qos, &why)) {
				fprintf(stderr, "bench: bus: %s\n", why ? why : "?");
				exit(1);
			}
			bus_set_delivery(nd->bus, on_deliver, nd);
			continue;
		}
		if (mode != MODE_RAW_MQTT)
			continue;
		nd->mq = mosquitto_new(nd->alias, true, nd);
		mosquitto_message_callback_set(nd->mq, on_message);
		/* without it Nagle and delayed ACKs add ~40 ms per hop */
		mosquitto_int_option(nd->mq, MOSQ_OPT_TCP_NODELAY, 1);
		if (mosquitto_connect(nd->mq, "127.0.0.1", mqtt_port, 30) != MOSQ_ERR_SUCCESS) {
			fprintf(stderr, "bench: cannot connect to mosquitto on %d\n", mqtt_port);
			exit(1);
		}
		mosquitto_subscribe(nd->mq, NULL, nd->topic, qos);
	}
	if (mode == MODE_RAW_MQTT || mode == MODE_BUS_MQTT) /* let CONNACK and SUBACK through */
		for (double t0 = now_s(); now_s() - t0 < 0.5;)
			turn(b, 10);
}

static void teardown(struct bench *b)
{
	for (int i = 0; i < NNODES; i++) {
		cstore_free(&b->node[i].cs);
		cipher_keycache_free(&b->node[i].keys);
		if (b->node[i].mq) {
			mosquitto_disconnect(b->node[i].mq);
			mosquitto_destroy(b->node[i].mq);
		}
		bus_free(&b->node[i].bus);
	}
	pump_queue(b);
	bus_hub_free(&b->hub);
	loop_free(&b->loop);
	envelope_ctx_release(&b->ectx);
}

/* ---- measurements */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void on_done(void *arg, enum cstore_outcome o)
{
	struct bench *b = arg;
	if (o == CSTORE_OK)
		b->done++;
	else
		fprintf(stderr, "bench: a write ended with %s\n", cstore_outcome_name(o));
	b->inflight--;
}

struct repl_result {
	double p50_ms, p99_ms, seq_rate, pipe_rate, bytes_per_msg;
};

static void replicated(enum mode mode, int qos, int mqtt_port, int confirms, int n,
                       struct repl_result *out)
{
	struct bench b;
	setup(&b, mode, qos, mqtt_port, confirms);
	double *lat = calloc((size_t)n, sizeof(*lat));
	char key[32], value[64];
	/* sequential: one write at a time, its latency from call to confirmation */
	double t0 = now_s();
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "seq:%d", i % 1000);
		snprintf(value, sizeof(value), "{\"i\": %d, \"v\": \"abcdefgh\"}", i);
		enum cstore_outcome o;
		double s = now_s();
		b.inflight++;
		cstore_set(b.node[0].cs, key, value, NULL, on_done, &b, &o, NULL, NULL);
		if (o != CSTORE_PENDING) {
			b.inflight--;
			if (o == CSTORE_OK)
				b.done++;
		}
		while (b.inflight > 0)
			turn(&b, 50);
		lat[i] = (now_s() - s) * 1000;
	}
	double seq = now_s() - t0;
	qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	out->p50_ms = lat[n / 2];
	out->p99_ms = lat[(size_t)n * 99 / 100];
	out->seq_rate = n / seq;
	out->bytes_per_msg = b.messages ? (double)b.sent_bytes / (double)b.messages : 0;
	/* pipelined: 64 writes in flight on distinct keys */
	b.done = 0;
	t0 = now_s();
	for (int i = 0; i < n;) {
		while (b.inflight < 64 && i < n) {
			snprintf(key, sizeof(key), "pipe:%d", i);
			snprintf(value, sizeof(value), "{\"i\": %d}", i);
			enum cstore_outcome o;
			b.inflight++;
			cstore_set(b.node[0].cs, key, value, NULL, on_done, &b, &o, NULL, NULL);
			if (o != CSTORE_PENDING)
				b.inflight--;
			i++;
		}
		turn(&b, 50);
	}
	while (b.inflight > 0)
		turn(&b, 50);
	out->pipe_rate = n / (now_s() - t0);
	free(lat);
	teardown(&b);
}

static enum r1_err noop_send(void *ctx, const char *const *peers, size_t n, const json_t *data,
                             char **why)
{
	return R1_OK;
}

static size_t one_peer(void *ctx, const char *const **out)
{
	static const char *const peer[] = {"0xai_AmksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8"};
	*out = peer;
	return 1;
}

/*
 * Reads need a full replica, not a network: one engine whose writes go
 * nowhere (they stay pending, stored locally), then get/hget in a loop.
 */
static void local_reads(int nkeys, double seconds, double *get_rate, double *hget_rate)
{
	struct r1_identity id;
	identity_generate(&id, NULL);
	struct cstore_config cfg = {.addr = id.addr, .alias = "bench-r", .max_retries = -1};
	struct cstore_env env = {.send = noop_send, .default_peers = one_peer};
	struct cstore *cs = NULL;
	if (cstore_new(&cfg, &env, NULL, NULL, &cs, NULL))
		exit(1);
	int nhash = 100, nfield = nkeys / nhash;
	char(*keys)[32] = malloc((size_t)nkeys * 32);
	char(*hk)[16] = malloc((size_t)nkeys * 16);
	char(*fk)[16] = malloc((size_t)nkeys * 16);
	for (int i = 0; i < nkeys; i++) {
		enum cstore_outcome o;
		snprintf(keys[i], 32, "key:%08d", i);
		cstore_set(cs, keys[i], "{\"value\": 12345, \"name\": \"a value\"}", NULL, NULL,
		           NULL, &o, NULL, NULL);
		snprintf(hk[i], 16, "hash%d", i / nfield);
		snprintf(fk[i], 16, "field%d", i % nfield);
		cstore_hset(cs, hk[i], fk[i], "7", NULL, NULL, NULL, &o, NULL, NULL);
	}
	/*
	 * Visit in a scattered order; the keys to look up are laid out in that
	 * order (a caller has its key at hand), so the misses measured are the
	 * store's.  Best of five rounds: a busy machine slows rounds, not code.
	 */
	int *order = malloc((size_t)nkeys * sizeof(*order));
	char(*pk)[32] = malloc((size_t)nkeys * 32);
	char(*ph)[16] = malloc((size_t)nkeys * 16);
	char(*pf)[16] = malloc((size_t)nkeys * 16);
	for (int i = 0; i < nkeys; i++) {
		order[i] = (int)((uint64_t)i * 2654435761u % (uint64_t)nkeys);
		memcpy(pk[i], keys[order[i]], 32);
		memcpy(ph[i], hk[order[i]], 16);
		memcpy(pf[i], fk[order[i]], 16);
	}
	size_t found = 0, ops = 0;
	*get_rate = *hget_rate = 0;
	for (int round = 0; round < 5; round++) {
		found = ops = 0;
		double t0 = now_s(), t;
		do {
			for (int i = 0; i < nkeys; i++)
				found += cstore_get(cs, pk[i], NULL) != NULL;
			ops += (size_t)nkeys;
		} while ((t = now_s() - t0) < seconds / 5);
		*get_rate = R1_MAX(*get_rate, (double)ops / t);
		if (found != ops)
			fprintf(stderr, "bench: %zu of %zu gets missed\n", ops - found, ops);
		found = ops = 0;
		t0 = now_s();
		do {
			for (int i = 0; i < nkeys; i++)
				found += cstore_hget(cs, ph[i], pf[i], NULL) != NULL;
			ops += (size_t)nkeys;
		} while ((t = now_s() - t0) < seconds / 5);
		*hget_rate = R1_MAX(*hget_rate, (double)ops / t);
		if (found != ops)
			fprintf(stderr, "bench: %zu of %zu hgets missed\n", ops - found, ops);
	}
	free(pk);
	free(ph);
	free(pf);
	free(order);
	free(keys);
	free(hk);
	free(fk);
	cstore_free(&cs);
}

/* ---- the whole node runtime: three nodes, writes through node_cstore() */

struct nodes {
	struct loop *loop;
	struct bus_hub *hub;
	struct bus *bus[NNODES];
	struct node *node[NNODES];
	char root[64];
	int inflight, done;
};

static void on_node_done(void *arg, enum cstore_outcome o)
{
	struct nodes *nb = arg;
	nb->inflight--;
	if (o == CSTORE_OK)
		nb->done++;
	else
		fprintf(stderr, "bench: a node write ended with %s\n", cstore_outcome_name(o));
}

static bool nodes_setup(struct nodes *nb, bool mqtt, int mqtt_port, int confirms)
{
	memset(nb, 0, sizeof(*nb));
	snprintf(nb->root, sizeof(nb->root), "/tmp/bench_cstore.XXXXXX");
	if (!mkdtemp(nb->root) || loop_new(&nb->loop, NULL))
		return false;
	if (!mqtt && bus_hub_new(nb->loop, 0, NULL, &nb->hub, NULL))
		return false;
	for (int i = 0; i < NNODES; i++) {
		char alias[16], dir[128], url[64];
		snprintf(alias, sizeof(alias), "bench-n%c", 'a' + i);
		snprintf(dir, sizeof(dir), "%s/%s", nb->root, alias);
		snprintf(url, sizeof(url), "mqtt://127.0.0.1:%d", mqtt_port);
		struct bus_mqtt_opts mo = {.url = url, .client_id = alias};
		char *why = NULL;
		enum r1_err e = mqtt ? bus_mqtt_new(nb->loop, &mo, &nb->bus[i], &why)
		                     : bus_local_new(nb->hub, alias, &nb->bus[i], &why);
		struct node_config cfg = {
		    .alias = alias,
		    .data_dir = dir,
		    .oracle = i == 0,
		    .secured = true,
		    .heartbeat_ms = 200,
		    .netmon_send_ms = 1000,
		    .cstore_min_confirmations = confirms,
		};
		if (e || node_new(nb->loop, nb->bus[i], &cfg, NULL, &nb->node[i], &why)) {
			fprintf(stderr, "bench: node: %s\n", why ? why : "?");
			r1_free(why);
			return false;
		}
	}
	for (int i = 0; i < NNODES; i++)
		for (int j = 0; j < NNODES; j++)
			if (i != j)
				node_allow(nb->node[i], node_address(nb->node[j]), "peer", NULL);
	for (int i = 0; i < NNODES; i++)
		if (node_start(nb->node[i], NULL))
			return false;
	/* until A's registry has both peers online and a probe write is confirmed */
	for (double t0 = now_s(); now_s() - t0 < 20;) {
		for (double t1 = now_s(); now_s() - t1 < 0.3;)
			loop_run_once(nb->loop, 20);
		struct cstore *cs = node_cstore(nb->node[0]);
		enum cstore_outcome o;
		nb->inflight = 1;
		nb->done = 0;
		if (!cs || cstore_set(cs, "probe", "1", NULL, on_node_done, nb, &o, NULL, NULL))
			continue;
		if (o != CSTORE_PENDING)
			continue; /* no peers online yet */
		while (nb->inflight > 0)
			loop_run_once(nb->loop, 50);
		if (nb->done)
			return true;
	}
	fprintf(stderr, "bench: the nodes never replicated\n");
	return false;
}

static void nodes_teardown(struct nodes *nb)
{
	for (int i = 0; i < NNODES; i++)
		node_free(&nb->node[i]);
	for (int i = 0; i < NNODES; i++)
		bus_free(&nb->bus[i]);
	bus_hub_free(&nb->hub);
	loop_free(&nb->loop);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", nb->root);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", nb->root);
}

static bool replicated_nodes(bool mqtt, int mqtt_port, int confirms, int n, struct repl_result *out)
{
	struct nodes nb;
	if (!nodes_setup(&nb, mqtt, mqtt_port, confirms)) {
		nodes_teardown(&nb);
		return false;
	}
	struct cstore *cs = node_cstore(nb.node[0]);
	double *lat = calloc((size_t)n, sizeof(*lat));
	char key[32], value[64];
	double t0 = now_s();
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "seq:%d", i % 1000);
		snprintf(value, sizeof(value), "{\"i\": %d, \"v\": \"abcdefgh\"}", i);
		enum cstore_outcome o;
		double s = now_s();
		nb.inflight = 1;
		cstore_set(cs, key, value, NULL, on_node_done, &nb, &o, NULL, NULL);
		if (o != CSTORE_PENDING)
			nb.inflight = 0;
		while (nb.inflight > 0)
			loop_run_once(nb.loop, 50);
		lat[i] = (now_s() - s) * 1000;
	}
	double seq = now_s() - t0;
	qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	out->p50_ms = lat[n / 2];
	out->p99_ms = lat[(size_t)n * 99 / 100];
	out->seq_rate = n / seq;
	out->bytes_per_msg = 0;
	t0 = now_s();
	for (int i = 0; i < n;) {
		while (nb.inflight < 64 && i < n) {
			snprintf(key, sizeof(key), "pipe:%d", i);
			enum cstore_outcome o;
			nb.inflight++;
			cstore_set(cs, key, "1", NULL, on_node_done, &nb, &o, NULL, NULL);
			if (o != CSTORE_PENDING)
				nb.inflight--;
			i++;
		}
		loop_run_once(nb.loop, 50);
	}
	while (nb.inflight > 0)
		loop_run_once(nb.loop, 50);
	out->pipe_rate = n / (now_s() - t0);
	free(lat);
	nodes_teardown(&nb);
	return true;
}

/* ---- helper processes */

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return ntohs(a.sin_port);
}

static bool port_open(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static pid_t spawn(const char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static bool wait_port(int port, double seconds)
{
	for (double t0 = now_s(); now_s() - t0 < seconds; usleep(20000))
		if (port_open(port))
			return true;
	return false;
}

static void stop_child(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

struct redis_figures {
	double get_rps, get_p50, set_rps, set_p50, set_p99, get_rps_p16;
	bool ok;
};

/* Parse one redis-benchmark --csv line: "TEST","rps","avg","min","p50","p95","p99","max". */
static void parse_csv(const char *line, double *rps, double *p50, double *p99)
{
	double v[7] = {0};
	const char *p = strchr(line, ',');
	for (int i = 0; p && i < 7; i++) {
		v[i] = strtod(p + 2, NULL); /* skip ,"  */
		p = strchr(p + 1, ',');
	}
	*rps = v[0];
	*p50 = v[3];
	*p99 = v[5];
}

static void redis_run(int port, const char *tests, int pipeline, int n, struct redis_figures *r)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
	         "redis-benchmark -h 127.0.0.1 -p %d -t %s -n %d -P %d -c 1 --csv 2>/dev/null",
	         port, tests, n, pipeline);
	FILE *f = popen(cmd, "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		double rps, p50, p99;
		parse_csv(line, &rps, &p50, &p99);
		if (strncmp(line, "\"GET\"", 5) == 0) {
			if (pipeline > 1)
				r->get_rps_p16 = rps;
			else {
				r->get_rps = rps;
				r->get_p50 = p50;
			}
			r->ok = true;
		} else if (strncmp(line, "\"SET\"", 5) == 0 && pipeline == 1) {
			r->set_rps = rps;
			r->set_p50 = p50;
			r->set_p99 = p99;
		}
	}
	pclose(f);
}

static void redis_figures(int n, struct redis_figures *r)
{
	memset(r, 0, sizeof(*r));
	int port = free_port();
	char portbuf[16];
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	const char *argv[] = {"redis-server", "--port", portbuf,        "--bind", "127.0.0.1",
	                      "--save",       "",       "--appendonly", "no",     NULL};
	pid_t pid = spawn(argv);
	if (!wait_port(port, 5)) {
		fprintf(stderr, "bench: redis-server did not start\n");
		stop_child(pid);
		return;
	}
	redis_run(port, "get,set", 1, n, r);
	redis_run(port, "get", 16, n * 4, r);
	stop_child(pid);
}

int main(int argc, char **argv)
{
	bool quick = false, redis = true, mqtt = true;
	int mqtt_port = 0, qos = 2;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--no-redis") == 0)
			redis = false;
		else if (strcmp(argv[i], "--no-mqtt") == 0)
			mqtt = false;
		else if (strcmp(argv[i], "--mqtt-port") == 0 && i + 1 < argc)
			mqtt_port = atoi(argv[++i]);
		else if (strcmp(argv[i], "--qos") == 0 && i + 1 < argc)
			qos = atoi(argv[++i]);
		else {
			fprintf(stderr,
			        "usage: bench_cstore [--quick] [--mqtt-port N] [--no-redis] "
			        "[--no-mqtt] [--qos N]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	r1_alloc_setup_jansson();
	mosquitto_lib_init();
	double load[3] = {0};
	getloadavg(load, 3);
	printf("bench_cstore: load average %.2f %.2f %.2f on %ld cores%s\n", load[0], load[1],
	       load[2], sysconf(_SC_NPROCESSORS_ONLN), quick ? " (--quick)" : "");

	int nkeys = quick ? 20000 : 100000, nwrites = quick ? 300 : 2000;
	struct redis_figures rf = {0};
	if (redis)
		redis_figures(quick ? 20000 : 100000, &rf);

	double get_rate, hget_rate;
	local_reads(nkeys, quick ? 0.5 : 2.0, &get_rate, &hget_rate);
	printf("\nlocal reads (%d keys, one core, best of 5 rounds)\n", nkeys);
	printf("  cstore get        %12.0f ops/s   target > 1,000,000\n", get_rate);
	printf("  cstore hget       %12.0f ops/s   (sha256 of the hkey per call)\n", hget_rate);
	if (rf.ok)
		printf("  redis GET         %12.0f rps     (redis-benchmark, 1 client, loopback; "
		       "-P 16: %.0f rps)\n",
		       rf.get_rps, rf.get_rps_p16);

	pid_t mosq = 0;
	if (mqtt && !mqtt_port) {
		mqtt_port = free_port();
		char conf[256];
		snprintf(conf, sizeof(conf), "/tmp/bench_cstore_mosq_%d.conf", (int)getpid());
		FILE *f = fopen(conf, "w");
		fprintf(f,
		        "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
		        "max_queued_messages 100000\nset_tcp_nodelay true\n",
		        mqtt_port);
		fclose(f);
		const char *margv[] = {"mosquitto", "-c", conf, NULL};
		mosq = spawn(margv);
		if (!wait_port(mqtt_port, 5)) {
			fprintf(stderr, "bench: mosquitto did not start\n");
			mqtt = false;
		}
		unlink(conf);
	}
	static const struct {
		enum mode mode;
		const char *name;
	} transports[] = {
	    {MODE_QUEUE, "a plain in-process queue (no transport: the protocol's own cost)"},
	    {MODE_BUS_LOCAL, "the in-process bus (bus_local on the loop)"},
	    {MODE_BUS_MQTT, "mosquitto through bus_mqtt (the node's transport)"},
	    {MODE_RAW_MQTT, "mosquitto through libmosquitto with TCP_NODELAY (anchor)"},
	};
	for (size_t t = 0; t < R1_ARRAY_LEN(transports); t++) {
		bool needs_mqtt =
		    transports[t].mode == MODE_BUS_MQTT || transports[t].mode == MODE_RAW_MQTT;
		if (needs_mqtt && !mqtt)
			continue;
		printf("\nreplicated set, 3 nodes, over %s%s\n", transports[t].name,
		       needs_mqtt ? (qos == 2 ? ", QoS 2 as the reference's payload channel"
		                              : ", QoS as given")
		                  : "");
		for (int c = 1; c <= 2; c++) {
			struct repl_result r;
			replicated(transports[t].mode, qos, mqtt_port, c, nwrites, &r);
			printf("  %d confirmation%s  p50 %6.3f ms  p99 %6.3f ms  %7.0f sets/s one "
			       "at a "
			       "time  %7.0f sets/s 64 in flight  (%.0f B/msg)\n",
			       c, c > 1 ? "s" : " ", r.p50_ms, r.p99_ms, r.seq_rate, r.pipe_rate,
			       r.bytes_per_msg);
		}
	}
	for (int m = 0; m < 2; m++) {
		if (m == 1 && !mqtt)
			continue;
		printf(
		    "\nreplicated set through the node runtime (3 nodes, CHAIN_STORE_BASE behind "
		    "the plugin host), over %s\n",
		    m ? "mosquitto through bus_mqtt" : "the in-process bus");
		for (int c = 1; c <= 2; c++) {
			struct repl_result r;
			if (!replicated_nodes(m == 1, mqtt_port, c, nwrites, &r))
				continue;
			printf("  %d confirmation%s  p50 %6.3f ms  p99 %6.3f ms  %7.0f sets/s one "
			       "at a "
			       "time  %7.0f sets/s 64 in flight\n",
			       c, c > 1 ? "s" : " ", r.p50_ms, r.p99_ms, r.seq_rate, r.pipe_rate);
		}
	}
	printf("\n  target: p50 < 5 ms over mosquitto on loopback (the reference polls every "
	       "100 ms)\n");
	if (rf.ok)
		printf("  redis SET: p50 %.3f ms  p99 %.3f ms  %.0f rps (no replication)\n",
		       rf.set_p50, rf.set_p99, rf.set_rps);
	stop_child(mosq);
	mosquitto_lib_cleanup();
	return 0;
}
