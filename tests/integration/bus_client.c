/*
 * A command-line driver for the bus integration tests (tests/integration/
 * bus_*.sh).  It publishes and subscribes through our own struct bus so the
 * shell tests exercise exactly the code the program uses.  Test code: it
 * prints and exits.
 *
 *   bus_client suite (--local | --url URL [--ca FILE])
 *       the behavioural suite (pub/sub, wildcards, $ topics, QoS, ordering,
 *       pause and resume, unsubscribe, self-delivery), one "PASS name" / "FAIL name: detail"
 *       line per check; exit 0 when all pass
 *   bus_client pub --url URL --topic T --count N [--qos Q] [--size BYTES]
 *       [--interval-ms MS]
 *       publish N messages "seq=<n> ..." then wait until all are
 *       acknowledged; exit 0 when done
 *   bus_client sub --url URL --filter F --count N [--ready FILE]
 *       [--progress FILE] [--persistent]
 *       receive until N distinct sequence numbers arrived; prints
 *       "distinct=D duplicates=U missing=M oversize_in=O"; exit 0 when none
 *       is missing
 *   bus_client connect --url URL
 *       connect once; exit 0 connected, 2 credentials refused, 3 otherwise
 *
 * Common options: --ca FILE, --user U, --pass P, --id CLIENT_ID,
 * --timeout SECONDS (default 30), --backoff-min MS, --backoff-max MS.
 * State changes are printed to stderr as "state: NAME: REASON".
 */
#include "core/lib.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/bus_mqtt.h"
#include "core/loop.h"

#include <getopt.h>

struct args {
	const char *cmd, *url, *ca, *user, *pass, *id, *topic, *filter, *ready, *progress;
	bool local, persistent;
	long count, qos, size, interval_ms, timeout_s, backoff_min, backoff_max;
};

static struct loop *g_loop; /* test program: one loop for the whole run */
static struct bus_hub *g_hub;

static void die(const char *what, const char *why)
{
	fprintf(stderr, "bus_client: %s: %s\n", what, why ? why : "");
	exit(4);
}

static void on_state(void *ctx, struct bus *bus, enum bus_state st, const char *reason)
{
	(void)ctx;
	fprintf(stderr, "state: %s: %s: %s\n", bus_client_id(bus), bus_state_name(st), reason);
}

static struct bus *open_bus(const struct args *a, const char *id, bool persistent)
{
	struct bus *bus = NULL;
	char *why = NULL;
	if (a->local) {
		if (bus_local_new(g_hub, id, &bus, &why))
			die("bus_local_new", why);
	} else {
		struct bus_mqtt_opts o = {
		    .url = a->url,
		    .user = a->user,
		    .pass = a->pass,
		    .ca_file = a->ca,
		    .client_id = id,
		    .persistent = persistent,
		    .backoff_min_ms = (unsigned)a->backoff_min,
		    .backoff_max_ms = (unsigned)a->backoff_max,
		    .keepalive_s = 10,
		};
		if (bus_mqtt_new(g_loop, &o, &bus, &why))
			die("bus_mqtt_new", why);
	}
	bus_set_state_cb(bus, on_state, NULL);
	return bus;
}

typedef bool (*cond_fn)(void *ctx);

/* Run the loop until cond holds or timeout_ms passes (real time). */
static bool wait_until(cond_fn cond, void *ctx, long timeout_ms)
{
	uint64_t end = loop_now_update(g_loop) + (uint64_t)timeout_ms;
	while (!cond(ctx)) {
		if (loop_now(g_loop) >= end)
			return false;
		if (loop_run_once(g_loop, 20) < 0)
			die("loop", strerror(errno));
	}
	return true;
}

static bool is_connected(void *ctx)
{
	return bus_state(ctx, NULL) == BUS_CONNECTED;
}

/* ---- the behavioural suite */

struct msg_rec {
	char *topic;
	uint8_t *data;
	size_t len;
	int qos;
};

struct inbox {
	struct msg_rec *m;
	size_t n, cap;
};

static void inbox_clear(struct inbox *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free(in->m[i].topic);
		free(in->m[i].data);
	}
	in->n = 0;
}

static void on_inbox(void *ctx, struct bus *bus, const char *topic, const uint8_t *p, size_t len,
                     int qos)
{
	struct inbox *in = ctx;
	(void)bus;
	if (in->n == in->cap) {
		in->cap = in->cap ? in->cap * 2 : 64;
		in->m = realloc(in->m, in->cap * sizeof(*in->m));
	}
	struct msg_rec *r = &in->m[in->n++];
	r->topic = strdup(topic);
	r->data = malloc(len + 1);
	if (len)
		memcpy(r->data, p, len);
	r->data[len] = 0;
	r->len = len;
	r->qos = qos;
}

struct seen {
	struct inbox *in;
	const char *topic;
	const char *payload;
};

static bool has_msg(void *ctx)
{
	struct seen *s = ctx;
	for (size_t i = 0; i < s->in->n; i++)
		if (strcmp(s->in->m[i].topic, s->topic) == 0 &&
		    (!s->payload || strcmp((char *)s->in->m[i].data, s->payload) == 0))
			return true;
	return false;
}

static int failures;

static void check(bool cond, const char *name, const char *fmt, ...)
{
	if (cond) {
		printf("PASS %s\n", name);
	} else {
		va_list ap;
		va_start(ap, fmt);
		printf("FAIL %s: ", name);
		vprintf(fmt, ap);
		printf("\n");
		va_end(ap);
		failures++;
	}
	fflush(stdout);
}

/*
 * Make sure `sub` is really subscribed to whatever covers `topic` (with a
 * broker, SUBSCRIBE takes a round trip): publish probes until one arrives.
 */
static bool settle(struct bus *pub, struct inbox *in, const char *topic)
{
	struct seen s = {in, topic, "probe"};
	for (int i = 0; i < 100; i++) {
		bus_publish(pub, topic, "probe", 5, 1, NULL);
		if (wait_until(has_msg, &s, 100)) {
			/* let any extra probes land before clearing */
			wait_until(has_msg, &(struct seen){in, "never/x", NULL}, 100);
			inbox_clear(in);
			return true;
		}
	}
	return false;
}

static size_t count_topic(const struct inbox *in, const char *topic)
{
	size_t n = 0;
	for (size_t i = 0; i < in->n; i++)
		n += strcmp(in->m[i].topic, topic) == 0;
	return n;
}

static void suite(const struct args *a)
{
	char run[32], t[160], t2[160];
	snprintf(run, sizeof(run), "r1s%ld", (long)getpid());
	char idp[64], ids[64], idw[64];
	snprintf(idp, sizeof(idp), "%s-pub", run);
	snprintf(ids, sizeof(ids), "%s-sub", run);
	snprintf(idw, sizeof(idw), "%s-wild", run);
	struct bus *pub = open_bus(a, idp, false), *sub = open_bus(a, ids, false),
	           *wild = open_bus(a, idw, false);
	struct inbox in = {0}, win = {0}, pin = {0};
	bus_set_delivery(sub, on_inbox, &in);
	bus_set_delivery(wild, on_inbox, &win);
	bus_set_delivery(pub, on_inbox, &pin);
	check(wait_until(is_connected, pub, 10000) && wait_until(is_connected, sub, 10000) &&
	          wait_until(is_connected, wild, 10000),
	      "connect", "endpoints did not connect");

	/* pub/sub: exact bytes, topic and QoS */
	snprintf(t, sizeof(t), "%s/basic", run);
	bus_subscribe(sub, t, 2, NULL);
	check(settle(pub, &in, t), "subscribe", "no probe came back on %s", t);
	const uint8_t bin[] = {0, 1, 2, 0xff, '{', '}', 0};
	bus_publish(pub, t, bin, sizeof(bin), 1, NULL);
	wait_until(has_msg, &(struct seen){&in, t, NULL}, 5000);
	check(in.n == 1 && in.m[0].len == sizeof(bin) &&
	          memcmp(in.m[0].data, bin, sizeof(bin)) == 0,
	      "pubsub bytes", "got %zu messages", in.n);
	check(in.n == 1 && in.m[0].qos == 1, "pubsub qos", "qos %d", in.n ? in.m[0].qos : -1);
	inbox_clear(&in);

	/* QoS is the lower of the publish and the subscription */
	bus_publish(pub, t, "q0", 2, 0, NULL);
	bus_publish(pub, t, "q2", 2, 2, NULL);
	wait_until(has_msg, &(struct seen){&in, t, "q2"}, 5000);
	check(in.n == 2 && in.m[0].qos == 0 && in.m[1].qos == 2, "qos levels", "n=%zu", in.n);
	inbox_clear(&in);
	bus_subscribe(sub, t, 1, NULL); /* lower the subscription */
	settle(pub, &in, t);
	bus_publish(pub, t, "q2", 2, 2, NULL);
	wait_until(has_msg, &(struct seen){&in, t, "q2"}, 5000);
	check(in.n == 1 && in.m[0].qos == 1, "qos downgrade", "qos %d", in.n ? in.m[0].qos : -1);
	inbox_clear(&in);

	/* wildcards */
	snprintf(t, sizeof(t), "%s/w/+/x", run);
	bus_subscribe(sub, t, 1, NULL);
	snprintf(t2, sizeof(t2), "%s/m/#", run);
	bus_subscribe(sub, t2, 1, NULL);
	snprintf(t, sizeof(t), "%s/w/s/x", run);
	settle(pub, &in, t);
	snprintf(t, sizeof(t), "%s/m", run);
	settle(pub, &in, t);
	const char *sends[] = {"w/a/x", "w/b/y", "w/a/b/x", "w/x", "w//x",   "m",
	                       "m/a",   "m/a/b", "mx",      "m/",  "w/end/x"};
	const bool want[] = {true, false, false, false, true, true, true, true, false, true, true};
	for (size_t i = 0; i < R1_ARRAY_LEN(sends); i++) {
		snprintf(t, sizeof(t), "%s/%s", run, sends[i]);
		bus_publish(pub, t, sends[i], strlen(sends[i]), 1, NULL);
	}
	snprintf(t, sizeof(t), "%s/w/end/x", run);
	wait_until(has_msg, &(struct seen){&in, t, NULL}, 5000);
	for (size_t i = 0; i < R1_ARRAY_LEN(sends); i++) {
		snprintf(t, sizeof(t), "%s/%s", run, sends[i]);
		char name[64];
		snprintf(name, sizeof(name), "wildcard %s", sends[i]);
		check(count_topic(&in, t) == (want[i] ? 1u : 0u), name, "received %zu copies",
		      count_topic(&in, t));
	}
	check(in.n == 7, "wildcard total", "%zu messages", in.n);
	inbox_clear(&in);

	/* '#' at the root sees no '$' topic */
	bus_subscribe(wild, "#", 0, NULL);
	snprintf(t, sizeof(t), "%s/wild", run);
	settle(pub, &win, t);
	bus_publish(pub, "$SYS/r1test", "s", 1, 1, NULL);
	bus_publish(pub, t, "end", 3, 1, NULL);
	wait_until(has_msg, &(struct seen){&win, t, "end"}, 5000);
	size_t dollar = 0;
	for (size_t i = 0; i < win.n; i++)
		dollar += win.m[i].topic[0] == '$';
	check(dollar == 0 && win.n >= 1, "dollar topics", "%zu $ topics among %zu", dollar, win.n);
	bus_unsubscribe(wild, "#", NULL);

	/* ordering: 1000 messages at QoS 1 */
	snprintf(t, sizeof(t), "%s/order", run);
	bus_subscribe(sub, t, 1, NULL);
	settle(pub, &in, t);
	for (uint32_t i = 0; i < 1000; i++) {
		char p[16];
		int n = snprintf(p, sizeof(p), "%u", i);
		if (bus_publish(pub, t, p, (size_t)n, 1, NULL))
			break;
	}
	wait_until(has_msg, &(struct seen){&in, t, "999"}, 20000);
	size_t in_order = 0;
	for (size_t i = 0; i < in.n; i++)
		in_order += (size_t)atol((char *)in.m[i].data) == i;
	check(in.n == 1000 && in_order == 1000, "ordering", "%zu received, %zu in place", in.n,
	      in_order);
	inbox_clear(&in);

	/* pause: nothing is delivered while paused, everything in order after */
	snprintf(t2, sizeof(t2), "%s/pause", run);
	bus_subscribe(sub, t2, 1, NULL);
	settle(pub, &in, t2);
	bus_pause(sub, true);
	for (uint32_t i = 0; i < 200; i++) {
		char p[16];
		int n = snprintf(p, sizeof(p), "%u", i);
		if (bus_publish(pub, t2, p, (size_t)n, 1, NULL))
			break;
	}
	wait_until(has_msg, &(struct seen){&in, t2, "199"}, 500); /* expected to time out */
	check(in.n == 0 && bus_paused(sub), "pause holds", "%zu delivered while paused", in.n);
	bus_pause(sub, false);
	wait_until(has_msg, &(struct seen){&in, t2, "199"}, 10000);
	in_order = 0;
	for (size_t i = 0; i < in.n; i++)
		in_order += (size_t)atol((char *)in.m[i].data) == i;
	check(in.n == 200 && in_order == 200 && !bus_paused(sub), "resume",
	      "%zu received, %zu in place", in.n, in_order);
	inbox_clear(&in);
	bus_unsubscribe(sub, t2, NULL);

	/* unsubscribe */
	check(bus_unsubscribe(sub, t, NULL) == R1_OK, "unsubscribe call", "failed");
	snprintf(t2, sizeof(t2), "%s/after", run);
	bus_subscribe(sub, t2, 1, NULL);
	settle(pub, &in, t2);
	bus_publish(pub, t, "gone", 4, 1, NULL);
	bus_publish(pub, t2, "end", 3, 1, NULL);
	wait_until(has_msg, &(struct seen){&in, t2, "end"}, 5000);
	check(in.n == 1 && count_topic(&in, t) == 0, "unsubscribe", "%zu messages", in.n);
	inbox_clear(&in);

	/* a publisher subscribed to its own topic receives its message */
	snprintf(t, sizeof(t), "%s/self", run);
	bus_subscribe(pub, t, 1, NULL);
	settle(pub, &pin, t);
	bus_publish(pub, t, "me", 2, 1, NULL);
	check(wait_until(has_msg, &(struct seen){&pin, t, "me"}, 5000), "self delivery",
	      "not received");

	struct bus_stats st;
	bus_get_stats(sub, &st);
	check(st.delivered > 1000 && st.dropped[BUS_DROP_IN_FULL] == 0, "stats",
	      "delivered %" PRIu64, st.delivered);

	inbox_clear(&in);
	inbox_clear(&win);
	inbox_clear(&pin);
	free(in.m);
	free(win.m);
	free(pin.m);
	bus_free(&pub);
	bus_free(&sub);
	bus_free(&wild);
}

/* ---- pub, sub, connect */

struct pub_state {
	struct bus *bus;
	const struct args *a;
	long next;
	char *buf;
	struct loop_timer *timer;
};

static void publish_next(struct pub_state *ps)
{
	int n = snprintf(ps->buf, (size_t)ps->a->size + 1, "seq=%ld ", ps->next);
	size_t len = (size_t)ps->a->size > (size_t)n ? (size_t)ps->a->size : (size_t)n;
	memset(ps->buf + n, 'x', len - (size_t)n);
	char *why = NULL;
	enum r1_err err = bus_publish(ps->bus, ps->a->topic, ps->buf, len, (int)ps->a->qos, &why);
	if (err == R1_OK)
		ps->next++;
	else if (err != R1_ERR_AGAIN)
		die("publish", why);
	r1_free(why);
}

static void on_pub_timer(void *ctx, struct loop_timer *t)
{
	struct pub_state *ps = ctx;
	if (ps->next < ps->a->count)
		publish_next(ps);
	else
		loop_timer_stop(t);
}

static bool pub_done(void *ctx)
{
	struct pub_state *ps = ctx;
	if (!ps->a->interval_ms)
		for (int i = 0; i < 100 && ps->next < ps->a->count; i++)
			publish_next(ps);
	struct bus_stats st;
	bus_get_stats(ps->bus, &st);
	return ps->next >= ps->a->count && st.queued == 0;
}

static int cmd_pub(const struct args *a)
{
	struct pub_state ps = {.a = a};
	ps.bus = open_bus(a, a->id, false);
	ps.buf = malloc((size_t)a->size + 32);
	if (!wait_until(is_connected, ps.bus, a->timeout_s * 1000))
		die("pub", "not connected");
	if (a->interval_ms) {
		ps.timer = loop_timer_new(g_loop, on_pub_timer, &ps);
		loop_timer_start(ps.timer, 0, (uint64_t)a->interval_ms);
	}
	bool done = wait_until(pub_done, &ps, a->timeout_s * 1000);
	struct bus_stats st;
	bus_get_stats(ps.bus, &st);
	printf("published=%" PRIu64 " queued=%" PRIu64 " reconnects=%" PRIu64
	       " dropped_offline=%" PRIu64 " dropped_full=%" PRIu64 "\n",
	       st.published, st.queued, st.reconnects, st.dropped[BUS_DROP_OFFLINE],
	       st.dropped[BUS_DROP_OUT_FULL]);
	loop_timer_free(&ps.timer);
	bus_free(&ps.bus);
	free(ps.buf);
	return done ? 0 : 1;
}

struct sub_state {
	const struct args *a;
	struct bus *bus;
	uint8_t *seen;
	long distinct, duplicates, total, foreign;
	char probe_topic[128];
	bool probe_back;
};

static void on_sub_msg(void *ctx, struct bus *bus, const char *topic, const uint8_t *p, size_t len,
                       int qos)
{
	struct sub_state *ss = ctx;
	(void)bus;
	(void)qos;
	if (strcmp(topic, ss->probe_topic) == 0) {
		ss->probe_back = true;
		return;
	}
	char head[32];
	size_t n = len < sizeof(head) - 1 ? len : sizeof(head) - 1;
	memcpy(head, p, n);
	head[n] = 0;
	long seq;
	if (sscanf(head, "seq=%ld", &seq) != 1 || seq < 0 || seq >= ss->a->count) {
		ss->foreign++;
		return;
	}
	ss->total++;
	if (ss->seen[seq]) {
		ss->duplicates++;
		return;
	}
	ss->seen[seq] = 1;
	ss->distinct++;
	if (ss->a->progress && ss->distinct % 100 == 0) {
		FILE *f = fopen(ss->a->progress, "w");
		if (f) {
			fprintf(f, "%ld\n", ss->distinct);
			fclose(f);
		}
	}
}

static bool probe_back(void *ctx)
{
	return ((struct sub_state *)ctx)->probe_back;
}

static bool sub_done(void *ctx)
{
	struct sub_state *ss = ctx;
	return ss->distinct >= ss->a->count;
}

static int cmd_sub(const struct args *a)
{
	struct sub_state ss = {.a = a};
	ss.seen = calloc((size_t)a->count + 1, 1);
	ss.bus = open_bus(a, a->id, a->persistent);
	snprintf(ss.probe_topic, sizeof(ss.probe_topic), "probe/%s", a->id);
	bus_set_delivery(ss.bus, on_sub_msg, &ss);
	bus_subscribe(ss.bus, a->filter, (int)a->qos, NULL);
	bus_subscribe(ss.bus, ss.probe_topic, 1, NULL);
	if (!wait_until(is_connected, ss.bus, a->timeout_s * 1000))
		die("sub", "not connected");
	/* Our own probe coming back proves the subscriptions are in place. */
	for (int i = 0; i < 100 && !ss.probe_back; i++) {
		bus_publish(ss.bus, ss.probe_topic, "probe", 5, 1, NULL);
		wait_until(probe_back, &ss, 100);
	}
	if (!ss.probe_back)
		die("sub", "subscription never became active");
	if (a->ready) {
		FILE *f = fopen(a->ready, "w");
		if (f)
			fclose(f);
	}
	bool done = wait_until(sub_done, &ss, a->timeout_s * 1000);
	/* Linger briefly to count duplicates that are still in flight. */
	wait_until(probe_back, &(struct sub_state){0}, 200);
	struct bus_stats st;
	bus_get_stats(ss.bus, &st);
	printf("distinct=%ld duplicates=%ld missing=%ld oversize_in=%" PRIu64 "\n", ss.distinct,
	       ss.duplicates, a->count - ss.distinct, st.dropped[BUS_DROP_TOO_BIG_IN]);
	if (!done) {
		printf("first missing:");
		for (long i = 0, shown = 0; i < a->count && shown < 10; i++)
			if (!ss.seen[i]) {
				printf(" %ld", i);
				shown++;
			}
		printf("\n");
	}
	bus_free(&ss.bus);
	free(ss.seen);
	return done ? 0 : 1;
}

static bool settled_state(void *ctx)
{
	enum bus_state st = bus_state(ctx, NULL);
	return st == BUS_CONNECTED || st == BUS_AUTH_REFUSED ||
	       (st == BUS_DISCONNECTED && *((struct bus *)ctx)->state_reason);
}

static int cmd_connect(const struct args *a)
{
	struct bus *bus = open_bus(a, a->id, false);
	wait_until(settled_state, bus, a->timeout_s * 1000);
	const char *reason;
	enum bus_state st = bus_state(bus, &reason);
	printf("%s: %s\n", bus_state_name(st), reason);
	bus_free(&bus);
	return st == BUS_CONNECTED ? 0 : st == BUS_AUTH_REFUSED ? 2 : 3;
}

static void usage(void)
{
	fprintf(stderr, "usage: bus_client suite|pub|sub|connect [options] (see the source)\n");
	exit(4);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"url", required_argument, NULL, 'u'},
	    {"ca", required_argument, NULL, 'C'},
	    {"user", required_argument, NULL, 'U'},
	    {"pass", required_argument, NULL, 'P'},
	    {"id", required_argument, NULL, 'i'},
	    {"topic", required_argument, NULL, 't'},
	    {"filter", required_argument, NULL, 'f'},
	    {"count", required_argument, NULL, 'n'},
	    {"qos", required_argument, NULL, 'q'},
	    {"size", required_argument, NULL, 's'},
	    {"interval-ms", required_argument, NULL, 'I'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"ready", required_argument, NULL, 'r'},
	    {"progress", required_argument, NULL, 'g'},
	    {"backoff-min", required_argument, NULL, 'b'},
	    {"backoff-max", required_argument, NULL, 'B'},
	    {"persistent", no_argument, NULL, 'p'},
	    {"local", no_argument, NULL, 'l'},
	    {NULL, 0, NULL, 0},
	};
	if (argc < 2)
		usage();
	struct args a = {.cmd = argv[1],
	                 .count = 1,
	                 .qos = 1,
	                 .size = 64,
	                 .timeout_s = 30,
	                 .backoff_min = 100,
	                 .backoff_max = 1000,
	                 .id = "bus_client"};
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			a.url = optarg;
			break;
		case 'C':
			a.ca = optarg;
			break;
		case 'U':
			a.user = optarg;
			break;
		case 'P':
			a.pass = optarg;
			break;
		case 'i':
			a.id = optarg;
			break;
		case 't':
			a.topic = optarg;
			break;
		case 'f':
			a.filter = optarg;
			break;
		case 'n':
			a.count = atol(optarg);
			break;
		case 'q':
			a.qos = atol(optarg);
			break;
		case 's':
			a.size = atol(optarg);
			break;
		case 'I':
			a.interval_ms = atol(optarg);
			break;
		case 'T':
			a.timeout_s = atol(optarg);
			break;
		case 'r':
			a.ready = optarg;
			break;
		case 'g':
			a.progress = optarg;
			break;
		case 'b':
			a.backoff_min = atol(optarg);
			break;
		case 'B':
			a.backoff_max = atol(optarg);
			break;
		case 'p':
			a.persistent = true;
			break;
		case 'l':
			a.local = true;
			break;
		default:
			usage();
		}
	}
	if ((!a.local && !a.url) || a.count < 1 || a.size < 0 || a.size > (long)R1_MAX_MESSAGE_LEN)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	char *why = NULL;
	if (loop_new(&g_loop, &why))
		die("loop_new", why);
	if (a.local && bus_hub_new(g_loop, 0, NULL, &g_hub, &why))
		die("bus_hub_new", why);
	int rc;
	if (strcmp(a.cmd, "suite") == 0) {
		suite(&a);
		rc = failures ? 1 : 0;
	} else if (a.local) {
		usage();
		rc = 4;
	} else if (strcmp(a.cmd, "pub") == 0 && a.topic) {
		rc = cmd_pub(&a);
	} else if (strcmp(a.cmd, "sub") == 0 && a.filter) {
		rc = cmd_sub(&a);
	} else if (strcmp(a.cmd, "connect") == 0) {
		rc = cmd_connect(&a);
	} else {
		usage();
		rc = 4;
	}
	bus_hub_free(&g_hub);
	loop_free(&g_loop);
	return rc;
}
