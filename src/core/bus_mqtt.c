/*
 * The MQTT bus (see bus_mqtt.h): libmosquitto in our poll loop.  The loop
 * watches the client's socket (write interest from a before-poll hook that
 * asks mosquitto_want_write), calls mosquitto_loop_misc from a 1 s timer for
 * keepalives, and drives reconnects from a timer with backoff.  libmosquitto
 * calls us back (connect, message, publish acknowledged) only from inside
 * mosquitto_loop_read/write or mosquitto_publish, all on the loop thread;
 * teardown happens after those calls return, never inside a callback.
 *
 * One client object lives as long as the bus, so unacknowledged QoS >= 1
 * messages stay in libmosquitto's list and are resent after a reconnect.
 * Our own queue holds only messages not yet handed over: those published
 * while disconnected, or beyond the in-flight window.  To know which
 * mosquitto on_publish call means "QoS 0 written" and which "QoS >= 1
 * acknowledged", we keep a bitmap of the packet ids of QoS >= 1 messages.
 *
 * Not here: message parsing, signatures, de-duplication (the owner's
 * delivery callback is the receive path).
 */
#include "core/lib.h"
#include "core/bus_mqtt.h"
#include "core/bus.h"
#include "core/codec.h"
#include "core/loop.h"

#include <mosquitto.h>
#include <sodium.h>

#define QOS0_WINDOW      1024 /* QoS 0 packets handed to libmosquitto, not yet written */
#define READS_PER_WAKEUP 256
#define MISC_PERIOD_MS   1000

struct out_msg {
	struct out_msg *next;
	size_t len;
	int qos;
	char *topic; /* after the payload in data */
	uint8_t data[];
};

struct mqtt_bus {
	struct bus bus; /* first */
	struct mosquitto *mosq;
	struct mqtt_url url;
	/* what bus_open_sibling needs to connect again the same way */
	char *url_text, *user, *pass, *ca_file;
	unsigned keepalive_s, backoff_min, backoff_max, connect_timeout, inflight_max;
	size_t queue_max, queue_max_bytes;

	struct loop_watch *watch; /* while a socket is open */
	struct loop_hook *hook;
	struct loop_timer *misc_timer;
	struct loop_timer *retry_timer; /* next attempt, or the CONNACK deadline */
	struct loop_call start;
	struct loop_call resume; /* read after bus_pause(false) */

	bool sock_open; /* an attempt or a connection is under way */
	bool connected; /* CONNACK accepted */
	bool ever_connected;
	unsigned attempt; /* failed attempts since the last connection */
	int connack_rc;   /* from the last CONNACK, -1 before one */
	size_t activity;  /* callbacks from libmosquitto, to pace reads */
	char last_lib_error[200];

	struct out_msg *q_head, *q_tail;
	size_t q_count, q_bytes;
	size_t qos0_unwritten;
	size_t unacked; /* QoS >= 1 handed, not acknowledged */
	uint64_t unacked_mids[65536 / 64];
	bool pumping;
};

/* ---- URL and client id */

void mqtt_url_release(struct mqtt_url *u)
{
	r1_free(u->user);
	r1_free(u->pass);
	r1_free(u->host);
	*u = (struct mqtt_url){0};
}

enum r1_err mqtt_url_parse(const char *url, struct mqtt_url *out, char **why)
{
	struct mqtt_url u = {0};
	const char *p;
	*out = u;
	if (!url)
		return r1_fail(why, R1_ERR_INVAL, "mqtt: no broker URL");
	if (strncasecmp(url, "mqtt://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "mqtts://", 8) == 0)
		p = url + 8, u.tls = true;
	else
		return r1_fail(why, R1_ERR_INVAL,
		               "mqtt: URL \"%.80s\" must start with mqtt:// or mqtts://", url);
	size_t alen = strcspn(p, "/?#");
	const char *rest = p + alen;
	if (*rest && strcmp(rest, "/") != 0)
		return r1_fail(why, R1_ERR_INVAL, "mqtt: URL \"%.80s\" has a path or query", url);
	const char *at = NULL;
	for (const char *q = p; q < p + alen; q++)
		if (*q == '@')
			at = q;
	const char *host = p;
	enum r1_err err = R1_OK;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		size_t ulen = colon ? (size_t)(colon - p) : (size_t)(at - p);
		enum r1_err e = pct_decode(p, ulen, &u.user, NULL);
		if (!e && colon)
			e = pct_decode(colon + 1, (size_t)(at - colon - 1), &u.pass, NULL);
		if (e == R1_ERR_NOMEM)
			err = r1_fail(why, R1_ERR_NOMEM, "mqtt: out of memory");
		else if (e)
			err = r1_fail(why, R1_ERR_INVAL,
			              "mqtt: bad %%-escape in the URL's user or password");
		host = at + 1;
	}
	size_t hlen = (size_t)(p + alen - host);
	const char *port = NULL;
	if (!err && hlen && host[0] == '[') {
		const char *close = memchr(host, ']', hlen);
		if (!close || close == host + 1)
			err =
			    r1_fail(why, R1_ERR_INVAL, "mqtt: bad IPv6 address in \"%.80s\"", url);
		else {
			u.host = r1_strndup(host + 1, (size_t)(close - host - 1));
			if (close + 1 < host + hlen) {
				if (close[1] != ':')
					err = r1_fail(why, R1_ERR_INVAL,
					              "mqtt: junk after ']' in \"%.80s\"", url);
				port = close + 2;
			}
		}
	} else if (!err) {
		const char *colon = memchr(host, ':', hlen);
		size_t n = colon ? (size_t)(colon - host) : hlen;
		if (colon)
			port = colon + 1;
		if (n == 0)
			err = r1_fail(why, R1_ERR_INVAL, "mqtt: no host in \"%.80s\"", url);
		else
			u.host = r1_strndup(host, n);
	}
	if (!err && !u.host)
		err = r1_fail(why, R1_ERR_NOMEM, "mqtt: out of memory");
	u.port = u.tls ? 8883 : 1883;
	if (!err && port) {
		size_t n = (size_t)(p + alen - port);
		long v = 0;
		for (size_t i = 0; i < n && v <= 65535; i++)
			v = (port[i] >= '0' && port[i] <= '9') ? v * 10 + (port[i] - '0') : 99999;
		if (n == 0 || n > 5 || v < 1 || v > 65535)
			err = r1_fail(why, R1_ERR_INVAL, "mqtt: bad port in \"%.80s\"", url);
		else
			u.port = (int)v;
	}
	if (err) {
		mqtt_url_release(&u);
		return err;
	}
	*out = u;
	return R1_OK;
}

enum r1_err bus_mqtt_client_id(const char *connection_name, const char *comm_type,
                               const char *unique_id, char **out, char **why)
{
	if (!connection_name || !*connection_name)
		return r1_fail(why, R1_ERR_INVAL, "mqtt: empty connection name");
	char rnd[9];
	if (!unique_id) {
		uint8_t bytes[4];
		if (sodium_init() < 0)
			return r1_fail(why, R1_ERR_CRYPTO, "mqtt: libsodium failed to initialise");
		randombytes_buf(bytes, sizeof(bytes));
		for (int i = 0; i < 4; i++)
			snprintf(rnd + 2 * i, 3, "%02x", bytes[i]);
		unique_id = rnd;
	}
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s_%.7s_%s", connection_name, comm_type ? comm_type : "CUSTOM", unique_id);
	*out = buf_detach(&b, NULL);
	if (!*out)
		return r1_fail(why, R1_ERR_NOMEM, "mqtt: out of memory");
	return R1_OK;
}

/* ---- the outbound side */

static void update_queued(struct mqtt_bus *b)
{
	b->bus.stats.queued = b->q_count + b->qos0_unwritten + b->unacked;
}

static bool mid_test(const struct mqtt_bus *b, int mid)
{
	return (b->unacked_mids[(mid & 0xffff) / 64] >> (mid % 64)) & 1u;
}

static void mid_set(struct mqtt_bus *b, int mid, bool on)
{
	uint64_t bit = (uint64_t)1 << (mid % 64);
	if (on)
		b->unacked_mids[(mid & 0xffff) / 64] |= bit;
	else
		b->unacked_mids[(mid & 0xffff) / 64] &= ~bit;
}

static bool window_open(const struct mqtt_bus *b, int qos)
{
	return qos == 0 ? b->qos0_unwritten < QOS0_WINDOW : b->unacked < b->inflight_max;
}

/* libmosquitto errors after which the message is in its hands anyway: the
 * socket broke, and the next read or write reports it. */
static bool socket_error(int rc)
{
	return rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO || rc == MOSQ_ERR_NO_CONN;
}

/* Hand one message to libmosquitto.  Only while connected with room. */
static enum r1_err hand_over(struct mqtt_bus *b, const char *topic, const void *data, size_t len,
                             int qos, char **why)
{
	int mid = 0;
	if (qos == 0)
		b->qos0_unwritten++; /* on_publish may run inside mosquitto_publish */
	int rc = mosquitto_publish(b->mosq, &mid, topic, (int)len, data, qos, false);
	if (rc && !socket_error(rc)) {
		if (qos == 0)
			b->qos0_unwritten--;
		update_queued(b);
		return r1_fail(why, rc == MOSQ_ERR_NOMEM ? R1_ERR_NOMEM : R1_ERR_INVAL,
		               "mqtt: publish to %.80s: %s", topic, mosquitto_strerror(rc));
	}
	if (qos > 0) {
		mid_set(b, mid, true);
		b->unacked++;
	}
	update_queued(b);
	return R1_OK;
}

static void queue_free_all(struct mqtt_bus *b)
{
	while (b->q_head) {
		struct out_msg *m = b->q_head;
		b->q_head = m->next;
		r1_free(m);
	}
	b->q_tail = NULL;
	b->q_count = b->q_bytes = 0;
}

/* Move queued messages to libmosquitto while the window allows, in order. */
static void pump(struct mqtt_bus *b)
{
	if (b->pumping || !b->connected)
		return;
	b->pumping = true;
	while (b->q_head && window_open(b, b->q_head->qos)) {
		struct out_msg *m = b->q_head;
		char *why = NULL;
		enum r1_err err = hand_over(b, m->topic, m->data, m->len, m->qos, &why);
		if (err == R1_ERR_NOMEM) {
			r1_free(why);
			break; /* keep it; try again on the next acknowledgement */
		}
		if (err) {
			LOG_W(b->bus.log, "mqtt", "%s: dropped: %s", b->bus.client_id, why);
			b->bus.stats.dropped[BUS_DROP_OUT_FULL]++;
			r1_free(why);
		}
		b->q_head = m->next;
		if (!b->q_head)
			b->q_tail = NULL;
		b->q_count--;
		b->q_bytes -= m->len;
		r1_free(m);
	}
	update_queued(b);
	b->pumping = false;
}

static enum r1_err mqtt_publish(struct bus *bus, const char *topic, const void *data, size_t len,
                                int qos, char **why)
{
	struct mqtt_bus *b = (struct mqtt_bus *)bus;
	if (qos == 0 && !b->connected) {
		bus->stats.dropped[BUS_DROP_OFFLINE]++;
		return r1_fail(why, R1_ERR_AGAIN,
		               "mqtt: not connected; QoS 0 message to %.80s dropped", topic);
	}
	if (!b->q_head && b->connected && window_open(b, qos))
		return hand_over(b, topic, data, len, qos, why);
	if (b->q_count >= b->queue_max || b->q_bytes + len > b->queue_max_bytes) {
		bus->stats.dropped[BUS_DROP_OUT_FULL]++;
		return r1_fail(why, R1_ERR_AGAIN,
		               "mqtt: outbound queue full (%zu messages, %zu bytes)", b->q_count,
		               b->q_bytes);
	}
	size_t tlen = strlen(topic);
	struct out_msg *m = r1_malloc(sizeof(*m) + len + tlen + 1);
	if (!m)
		return r1_fail(why, R1_ERR_NOMEM, "mqtt: out of memory");
	m->next = NULL;
	m->len = len;
	m->qos = qos;
	if (len)
		memcpy(m->data, data, len);
	m->topic = (char *)m->data + len;
	memcpy(m->topic, topic, tlen + 1);
	if (b->q_tail)
		b->q_tail->next = m;
	else
		b->q_head = m;
	b->q_tail = m;
	b->q_count++;
	b->q_bytes += len;
	update_queued(b);
	pump(b); /* in case an earlier pump stopped short (out of memory) */
	return R1_OK;
}

/* Forget queued QoS 0 messages: they never outlive a connection. */
static void drop_queued_qos0(struct mqtt_bus *b)
{
	struct out_msg **pp = &b->q_head, *last = NULL;
	while (*pp) {
		struct out_msg *m = *pp;
		if (m->qos == 0) {
			*pp = m->next;
			b->q_count--;
			b->q_bytes -= m->len;
			b->bus.stats.dropped[BUS_DROP_OFFLINE]++;
			r1_free(m);
		} else {
			last = m;
			pp = &m->next;
		}
	}
	b->q_tail = last;
}

/* ---- subscriptions */

static enum r1_err mqtt_subscribe(struct bus *bus, const struct bus_sub *sub, char **why)
{
	struct mqtt_bus *b = (struct mqtt_bus *)bus;
	if (!b->connected)
		return R1_OK; /* sent with the others after the next CONNACK */
	int rc = mosquitto_subscribe(b->mosq, NULL, sub->filter, sub->qos);
	if (rc && !socket_error(rc))
		return r1_fail(why, rc == MOSQ_ERR_NOMEM ? R1_ERR_NOMEM : R1_ERR_INVAL,
		               "mqtt: subscribe %.80s: %s", sub->filter, mosquitto_strerror(rc));
	return R1_OK;
}

static enum r1_err mqtt_unsubscribe(struct bus *bus, const char *filter, char **why)
{
	struct mqtt_bus *b = (struct mqtt_bus *)bus;
	if (!b->connected)
		return R1_OK;
	int rc = mosquitto_unsubscribe(b->mosq, NULL, filter);
	if (rc && !socket_error(rc))
		return r1_fail(why, rc == MOSQ_ERR_NOMEM ? R1_ERR_NOMEM : R1_ERR_INVAL,
		               "mqtt: unsubscribe %.80s: %s", filter, mosquitto_strerror(rc));
	return R1_OK;
}

/* ---- libmosquitto callbacks (inside mosquitto_loop_* on the loop thread) */

static void on_connect(struct mosquitto *mosq, void *ctx, int rc)
{
	struct mqtt_bus *b = ctx;
	(void)mosq;
	b->activity++;
	b->connack_rc = rc;
	if (rc != 0)
		return; /* the read that delivered this CONNACK fails next; see conn_lost */
	b->connected = true;
	b->attempt = 0;
	mosquitto_log_callback_set(b->mosq, NULL);
	loop_timer_stop(b->retry_timer);
	if (b->ever_connected)
		b->bus.stats.reconnects++;
	b->ever_connected = true;
	for (size_t i = 0; i < b->bus.nsubs; i++) {
		int src =
		    mosquitto_subscribe(b->mosq, NULL, b->bus.subs[i].filter, b->bus.subs[i].qos);
		if (src)
			LOG_W(b->bus.log, "mqtt", "%s: subscribe %s: %s", b->bus.client_id,
			      b->bus.subs[i].filter, mosquitto_strerror(src));
	}
	LOG_I(b->bus.log, "mqtt", "%s: connected to %s:%d", b->bus.client_id, b->url.host,
	      b->url.port);
	bus_set_state(&b->bus, BUS_CONNECTED, "");
	pump(b);
}

static void on_message(struct mosquitto *mosq, void *ctx, const struct mosquitto_message *m)
{
	struct mqtt_bus *b = ctx;
	(void)mosq;
	b->activity++;
	bus_deliver(&b->bus, m->topic, m->payload, m->payloadlen > 0 ? (size_t)m->payloadlen : 0,
	            m->qos);
}

static void on_publish(struct mosquitto *mosq, void *ctx, int mid)
{
	struct mqtt_bus *b = ctx;
	(void)mosq;
	b->activity++;
	if (mid_test(b, mid)) {
		mid_set(b, mid, false);
		b->unacked--;
	} else if (b->qos0_unwritten) {
		b->qos0_unwritten--;
	}
	update_queued(b);
	pump(b);
}

static void on_subscribe(struct mosquitto *mosq, void *ctx, int mid, int n, const int *granted)
{
	struct mqtt_bus *b = ctx;
	(void)mosq;
	for (int i = 0; i < n; i++)
		if (granted[i] == 0x80)
			LOG_W(b->bus.log, "mqtt", "%s: the broker refused a subscription (mid %d)",
			      b->bus.client_id, mid);
}

static void on_lib_log(struct mosquitto *mosq, void *ctx, int level, const char *line)
{
	struct mqtt_bus *b = ctx;
	(void)mosq;
	if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)) {
		snprintf(b->last_lib_error, sizeof(b->last_lib_error), "%s", line);
		LOG_D(b->bus.log, "mqtt", "%s: libmosquitto: %s", b->bus.client_id, line);
	}
}

/* ---- connection life cycle */

static void schedule_retry(struct mqtt_bus *b, bool auth_refused)
{
	uint64_t d = b->backoff_max;
	if (!auth_refused && b->attempt < 32)
		d = R1_MIN((uint64_t)b->backoff_min << b->attempt, (uint64_t)b->backoff_max);
	b->attempt++;
	uint64_t half = d / 2;
	d = half + randombytes_uniform((uint32_t)R1_MIN(d - half + 1, UINT32_MAX));
	LOG_D(b->bus.log, "mqtt", "%s: next attempt in %" PRIu64 " ms", b->bus.client_id, d);
	loop_timer_start(b->retry_timer, d, 0);
}

/* The socket is gone (or we give up on it): clean up and plan the next try. */
static void conn_lost(struct mqtt_bus *b, int rc, const char *what)
{
	int err = errno; /* for MOSQ_ERR_ERRNO, before anything can change it */
	bool was_connected = b->connected;
	loop_watch_remove(b->bus.loop, &b->watch);
	loop_timer_stop(b->misc_timer);
	b->sock_open = false;
	b->connected = false;
	b->bus.stats.dropped[BUS_DROP_OFFLINE] += b->qos0_unwritten;
	b->qos0_unwritten = 0;
	drop_queued_qos0(b);
	update_queued(b);

	struct buf reason = BUF_INIT;
	enum bus_state state = BUS_DISCONNECTED;
	if (b->connack_rc > 0) {
		buf_addf(&reason, "%s:%d refused the connection: %s", b->url.host, b->url.port,
		         mosquitto_connack_string(b->connack_rc));
		/* 4: bad user name or password; 5: not authorised */
		if (b->connack_rc == 4 || b->connack_rc == 5)
			state = BUS_AUTH_REFUSED;
	} else {
		buf_addf(&reason,
		         "%s %s:%d: ", was_connected ? "lost connection to" : "cannot connect to",
		         b->url.host, b->url.port);
		if (what)
			buf_adds(&reason, what);
		else if (rc == MOSQ_ERR_ERRNO)
			buf_adds(&reason, strerror(err));
		else
			buf_adds(&reason, mosquitto_strerror(rc));
		if (b->last_lib_error[0])
			buf_addf(&reason, " (%s)", b->last_lib_error);
	}
	b->connack_rc = -1;
	b->last_lib_error[0] = '\0';
	const char *text = buf_ok(&reason) ? buf_cstr(&reason) : "connection lost";
	LOG_W(b->bus.log, "mqtt", "%s: %s", b->bus.client_id, text);
	bus_set_state(&b->bus, state, text);
	buf_release(&reason);
	schedule_retry(b, state == BUS_AUTH_REFUSED);
}

static void on_socket(void *ctx, int fd, unsigned revents)
{
	struct mqtt_bus *b = ctx;
	(void)fd;
	int rc = MOSQ_ERR_SUCCESS;
	/* Before the CONNACK any readiness may be the TLS handshake's, which
	 * libmosquitto advances only from mosquitto_loop_read. */
	if ((revents & (LOOP_READ | LOOP_ERROR)) || !b->connected) {
		/* mosquitto_loop_read often handles a single packet; keep calling
		 * it while packets keep coming (messages, acknowledgements), up to
		 * a bound so that other fds get their turn, and not while the
		 * owner paused us (but an error or hang-up is read through, or
		 * poll would report it forever). */
		bool hold = b->bus.paused && b->connected && !(revents & LOOP_ERROR);
		for (int i = 0; i < READS_PER_WAKEUP && !rc && !hold; i++) {
			size_t before = b->activity;
			rc = mosquitto_loop_read(b->mosq, 1);
			if (b->activity == before)
				break;
			hold = b->bus.paused && b->connected && !(revents & LOOP_ERROR);
		}
	}
	/* What the callbacks queued (acknowledgements, publishes pumped from our
	 * queue) goes out now rather than after another poll. */
	if (!rc && b->sock_open && ((revents & LOOP_WRITE) || mosquitto_want_write(b->mosq)))
		rc = mosquitto_loop_write(b->mosq, 1);
	if (rc)
		conn_lost(b, rc, NULL);
}

static void before_poll(void *ctx)
{
	struct mqtt_bus *b = ctx;
	if (b->watch) {
		unsigned rd = b->bus.paused && b->connected ? 0 : LOOP_READ;
		loop_watch_set(b->watch, rd | (mosquitto_want_write(b->mosq) ? LOOP_WRITE : 0));
	}
}

/* Resumed: read at once, since a TLS record may hold messages that poll()
 * cannot see (they are already out of the socket). */
static void on_resume(void *ctx)
{
	struct mqtt_bus *b = ctx;
	if (b->watch && !b->bus.paused)
		on_socket(b, mosquitto_socket(b->mosq), LOOP_READ);
}

static void mqtt_pause(struct bus *bus)
{
	struct mqtt_bus *b = (struct mqtt_bus *)bus;
	if (bus->paused)
		loop_call_cancel(bus->loop, &b->resume);
	else
		loop_call_schedule(bus->loop, &b->resume);
}

static void on_misc(void *ctx, struct loop_timer *t)
{
	struct mqtt_bus *b = ctx;
	(void)t;
	int rc = mosquitto_loop_misc(b->mosq);
	if (rc)
		conn_lost(b, rc, NULL);
}

static void attempt(struct mqtt_bus *b)
{
	/* Keep the last failure's reason while trying again: the console shows it. */
	bus_set_state(&b->bus, BUS_CONNECTING, b->bus.state_reason);
	b->connack_rc = -1;
	b->last_lib_error[0] = '\0';
	/* libmosquitto formats a log line (malloc + vsnprintf) for every packet
	 * once a log callback is set; we only want its words on a failed
	 * connection (TLS details), so we listen only until the CONNACK. */
	mosquitto_log_callback_set(b->mosq, on_lib_log);
	int rc = mosquitto_connect_async(b->mosq, b->url.host, b->url.port, (int)b->keepalive_s);
	int fd = rc ? -1 : mosquitto_socket(b->mosq);
	if (rc || fd < 0) {
		conn_lost(b, rc ? rc : MOSQ_ERR_NO_CONN, NULL);
		return;
	}
	b->watch = loop_watch_add(b->bus.loop, fd, LOOP_READ | LOOP_WRITE, on_socket, b);
	if (!b->watch) {
		conn_lost(b, MOSQ_ERR_NOMEM, NULL);
		return;
	}
	b->sock_open = true;
	loop_timer_start(b->misc_timer, MISC_PERIOD_MS, MISC_PERIOD_MS);
	loop_timer_start(b->retry_timer, b->connect_timeout, 0); /* the CONNACK deadline */
}

static void on_retry_timer(void *ctx, struct loop_timer *t)
{
	struct mqtt_bus *b = ctx;
	(void)t;
	if (b->sock_open && !b->connected)
		conn_lost(b, MOSQ_ERR_SUCCESS, "no CONNACK in time");
	else if (!b->sock_open)
		attempt(b);
}

static void on_start(void *ctx)
{
	attempt(ctx);
}

static void mqtt_destroy(struct bus *bus)
{
	struct mqtt_bus *b = (struct mqtt_bus *)bus;
	if (b->mosq) {
		mosquitto_connect_callback_set(b->mosq, NULL);
		mosquitto_message_callback_set(b->mosq, NULL);
		mosquitto_publish_callback_set(b->mosq, NULL);
		mosquitto_subscribe_callback_set(b->mosq, NULL);
		mosquitto_log_callback_set(b->mosq, NULL);
		if (b->connected)
			mosquitto_disconnect(b->mosq); /* best effort: one write */
		mosquitto_destroy(b->mosq);
		mosquitto_lib_cleanup();
	}
	loop_watch_remove(bus->loop, &b->watch);
	loop_hook_remove(bus->loop, &b->hook);
	loop_timer_free(&b->misc_timer);
	loop_timer_free(&b->retry_timer);
	loop_call_cancel(bus->loop, &b->start);
	loop_call_cancel(bus->loop, &b->resume);
	queue_free_all(b);
	mqtt_url_release(&b->url);
	char *secrets[] = {b->url_text, b->pass};
	for (size_t i = 0; i < R1_ARRAY_LEN(secrets); i++)
		if (secrets[i])
			sodium_memzero(secrets[i], strlen(secrets[i]));
	r1_free(b->url_text);
	r1_free(b->user);
	r1_free(b->pass);
	r1_free(b->ca_file);
	bus_release(bus);
	r1_free(b);
}

static enum r1_err mqtt_sibling(struct bus *bus, const char *client_id, struct bus **out,
                                char **why)
{
	struct mqtt_bus *b = (struct mqtt_bus *)bus;
	struct bus_mqtt_opts o = {
	    .url = b->url_text,
	    .user = b->user,
	    .pass = b->pass,
	    .ca_file = b->ca_file,
	    .client_id = client_id,
	    .keepalive_s = b->keepalive_s,
	    .backoff_min_ms = b->backoff_min,
	    .backoff_max_ms = b->backoff_max,
	    .connect_timeout_ms = b->connect_timeout,
	    .queue_max = b->queue_max,
	    .queue_max_bytes = b->queue_max_bytes,
	    .inflight_max = b->inflight_max,
	    .log = bus->log,
	};
	return bus_mqtt_new(bus->loop, &o, out, why);
}

static const struct bus_ops mqtt_ops = {
    .kind = "mqtt",
    .publish = mqtt_publish,
    .subscribe = mqtt_subscribe,
    .unsubscribe = mqtt_unsubscribe,
    .sibling = mqtt_sibling,
    .pause = mqtt_pause,
    .destroy = mqtt_destroy,
};

static enum r1_err setup_client(struct mqtt_bus *b, const struct bus_mqtt_opts *o, char **why)
{
	if (mosquitto_lib_init() != MOSQ_ERR_SUCCESS)
		return r1_fail(why, R1_ERR_IO, "mqtt: libmosquitto failed to initialise");
	b->mosq = mosquitto_new(o->client_id, !o->persistent, b);
	if (!b->mosq) {
		mosquitto_lib_cleanup();
		return r1_fail(why, errno == ENOMEM ? R1_ERR_NOMEM : R1_ERR_INVAL,
		               "mqtt: cannot create a client: %s", strerror(errno));
	}
	int rc = mosquitto_int_option(b->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	/* Small messages must not wait for Nagle: with delayed ACKs a request and
	 * its answer (a CStore SSTORE and its SCONFIRM) cost ~40 ms a hop. */
	if (!rc)
		rc = mosquitto_int_option(b->mosq, MOSQ_OPT_TCP_NODELAY, 1);
	const char *user = o->user ? o->user : b->url.user;
	const char *pass = o->pass ? o->pass : b->url.pass;
	if (!rc && user)
		rc = mosquitto_username_pw_set(b->mosq, user, pass);
	if (rc)
		return r1_fail(why, R1_ERR_INVAL, "mqtt: %s", mosquitto_strerror(rc));
	if (b->url.tls) {
		if (o->ca_file) {
			if (access(o->ca_file, R_OK) != 0)
				return r1_fail(why, R1_ERR_INVAL, "mqtt: CA file %s: %s",
				               o->ca_file, strerror(errno));
			rc = mosquitto_tls_set(b->mosq, o->ca_file, NULL, NULL, NULL, NULL);
		} else {
			rc = mosquitto_int_option(b->mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
		}
		if (rc)
			return r1_fail(why, R1_ERR_INVAL, "mqtt: TLS set-up: %s",
			               mosquitto_strerror(rc));
	}
	mosquitto_max_inflight_messages_set(b->mosq, b->inflight_max);
	mosquitto_connect_callback_set(b->mosq, on_connect);
	mosquitto_message_callback_set(b->mosq, on_message);
	mosquitto_publish_callback_set(b->mosq, on_publish);
	mosquitto_subscribe_callback_set(b->mosq, on_subscribe);
	return R1_OK;
}

enum r1_err bus_mqtt_new(struct loop *loop, const struct bus_mqtt_opts *o, struct bus **out,
                         char **why)
{
	if (!o || !o->client_id || !*o->client_id)
		return r1_fail(why, R1_ERR_INVAL, "mqtt: a client id is required");
	if (o->backoff_min_ms && o->backoff_max_ms && o->backoff_min_ms > o->backoff_max_ms)
		return r1_fail(why, R1_ERR_INVAL, "mqtt: backoff minimum above maximum");
	if (o->inflight_max > 65535 - QOS0_WINDOW)
		return r1_fail(why, R1_ERR_INVAL, "mqtt: inflight_max %u too large",
		               o->inflight_max);
	if (sodium_init() < 0)
		return r1_fail(why, R1_ERR_CRYPTO, "mqtt: libsodium failed to initialise");
	struct mqtt_bus *b = r1_calloc(1, sizeof(*b));
	if (!b)
		return r1_fail(why, R1_ERR_NOMEM, "mqtt: out of memory");
	if (bus_init(&b->bus, &mqtt_ops, loop, o->client_id, o->log)) {
		r1_free(b);
		return r1_fail(why, R1_ERR_NOMEM, "mqtt: out of memory");
	}
	b->keepalive_s = o->keepalive_s ? o->keepalive_s : 60;
	b->backoff_min = o->backoff_min_ms ? o->backoff_min_ms : 500;
	b->backoff_max = o->backoff_max_ms ? o->backoff_max_ms : 30000;
	b->backoff_min = R1_MIN(b->backoff_min, b->backoff_max);
	b->connect_timeout = o->connect_timeout_ms ? o->connect_timeout_ms : 10000;
	b->queue_max = o->queue_max ? o->queue_max : 10000;
	b->queue_max_bytes = o->queue_max_bytes ? o->queue_max_bytes : 64u << 20;
	b->inflight_max = o->inflight_max ? o->inflight_max : 20;
	b->connack_rc = -1;
	loop_call_init(&b->start, on_start, b);
	loop_call_init(&b->resume, on_resume, b);
	struct bus *bus = &b->bus;
	enum r1_err err = R1_OK;
	if (!(b->url_text = r1_strdup(o->url ? o->url : "")) ||
	    (o->user && !(b->user = r1_strdup(o->user))) ||
	    (o->pass && !(b->pass = r1_strdup(o->pass))) ||
	    (o->ca_file && !(b->ca_file = r1_strdup(o->ca_file))))
		err = r1_fail(why, R1_ERR_NOMEM, "mqtt: out of memory");
	if (!err)
		err = mqtt_url_parse(o->url, &b->url, why);
	if (!err)
		err = setup_client(b, o, why);
	if (!err) {
		b->hook = loop_hook_add(loop, before_poll, b);
		b->misc_timer = loop_timer_new(loop, on_misc, b);
		b->retry_timer = loop_timer_new(loop, on_retry_timer, b);
		if (!b->hook || !b->misc_timer || !b->retry_timer)
			err = r1_fail(why, R1_ERR_NOMEM, "mqtt: out of memory");
	}
	if (err) {
		bus_free(&bus);
		return err;
	}
	loop_call_schedule(loop, &b->start);
	*out = bus;
	return R1_OK;
}
