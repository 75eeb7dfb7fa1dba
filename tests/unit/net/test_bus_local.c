/*
 * Unit tests of the in-process bus and of the common bus code: argument
 * checks, delivery through the loop (never from inside publish), wildcard
 * routing, QoS downgrade, one copy per endpoint, ordering, the bounded
 * queue's counted drops, unsubscribe, and closing the hub under endpoints.
 */
#include "core/lib.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/loop.h"
#include "tests/tap.h"

struct inbox {
	int count;
	char topics[64][64];
	int qos[64];
	size_t lens[64];
	uint32_t seq_next; /* for ordering checks */
	int out_of_order;
	struct bus *echo_to; /* if set: republish each message there once */
	int states;
	enum bus_state last_state;
};

static void on_msg(void *ctx, struct bus *bus, const char *topic, const uint8_t *payload,
                   size_t len, int qos)
{
	struct inbox *in = ctx;
	(void)bus;
	if (in->count < 64) {
		snprintf(in->topics[in->count], sizeof(in->topics[0]), "%s", topic);
		in->qos[in->count] = qos;
		in->lens[in->count] = len;
	}
	if (len == sizeof(uint32_t)) {
		uint32_t seq;
		memcpy(&seq, payload, sizeof(seq));
		if (seq != in->seq_next)
			in->out_of_order++;
		in->seq_next = seq + 1;
	}
	in->count++;
	if (in->echo_to && strcmp(topic, "echo/out") != 0)
		bus_publish(in->echo_to, "echo/out", payload, len, 0, NULL);
}

static void on_state(void *ctx, struct bus *bus, enum bus_state state, const char *reason)
{
	struct inbox *in = ctx;
	(void)bus;
	(void)reason;
	in->states++;
	in->last_state = state;
}

static void spin(struct loop *loop)
{
	for (int i = 0; i < 5; i++)
		loop_run_once(loop, 0);
}

static struct bus *endpoint(struct bus_hub *hub, const char *id, struct inbox *in)
{
	struct bus *b = NULL;
	char *why = NULL;
	if (bus_local_new(hub, id, &b, &why))
		tap_bail("bus_local_new %s: %s", id, why);
	bus_set_delivery(b, on_msg, in);
	return b;
}

static void test_degenerate(struct loop *loop)
{
	struct bus_hub *hub = NULL;
	struct bus *b = NULL, *c = NULL;
	char *why = NULL;
	is_int(bus_local_new(NULL, "x", &b, &why), R1_ERR_STATE, "no hub");
	is_int(bus_hub_new(loop, 0, NULL, &hub, &why), R1_OK, "hub");
	is_int(bus_local_new(hub, "", &b, &why), R1_ERR_INVAL, "empty id");
	is_int(bus_local_new(hub, NULL, &b, &why), R1_ERR_INVAL, "NULL id");
	is_int(bus_local_new(hub, "a", &b, &why), R1_OK, "endpoint a");
	is_int(bus_local_new(hub, "a", &c, &why), R1_ERR_EXISTS, "duplicate id");
	is_int((long long)bus_hub_endpoints(hub), 1, "one endpoint attached");
	is_str(bus_kind(b), "local", "kind");
	is_str(bus_client_id(b), "a", "client id");
	const char *reason = NULL;
	is_int(bus_state(b, &reason), BUS_CONNECTED, "connected from the start");
	is_str(reason, "", "no reason");
	is_str(bus_state_name(BUS_AUTH_REFUSED), "auth-refused", "state names");
	is_str(bus_state_name((enum bus_state)9), "unknown", "unknown state name");
	is_str(bus_drop_name(BUS_DROP_IN_FULL), "in-queue-full", "drop names");

	is_int(bus_publish(b, "", "x", 1, 0, &why), R1_ERR_INVAL, "empty topic");
	is_int(bus_publish(b, NULL, "x", 1, 0, &why), R1_ERR_INVAL, "NULL topic");
	is_int(bus_publish(b, "a/#", "x", 1, 0, &why), R1_ERR_INVAL, "wildcard topic");
	is_int(bus_publish(b, "a", "x", 1, 3, &why), R1_ERR_INVAL, "QoS 3");
	is_int(bus_publish(b, "a", "x", 1, -1, &why), R1_ERR_INVAL, "QoS -1");
	is_int(bus_publish(b, "a", NULL, 1, 0, &why), R1_ERR_INVAL, "bytes without a buffer");
	is_int(bus_publish(b, "a", NULL, 0, 0, &why), R1_OK, "empty message");
	is_int(bus_subscribe(b, "a/#/b", 0, &why), R1_ERR_INVAL, "bad filter");
	is_int(bus_subscribe(b, "a", 5, &why), R1_ERR_INVAL, "bad subscribe QoS");
	is_int(bus_unsubscribe(b, "never", &why), R1_ERR_NOTFOUND, "unsubscribe unknown");
	ok(why && strstr(why, "never"), "reason names the filter");

	uint8_t *big = calloc(1, R1_MAX_MESSAGE_LEN + 1);
	is_int(bus_publish(b, "a", big, R1_MAX_MESSAGE_LEN + 1, 0, &why), R1_ERR_TOOBIG,
	       "2 MB + 1 refused");
	struct inbox in = {0};
	bus_set_delivery(b, on_msg, &in);
	bus_subscribe(b, "a", 0, NULL);
	is_int(bus_publish(b, "a", big, R1_MAX_MESSAGE_LEN, 0, &why), R1_OK, "exactly 2 MB sent");
	spin(loop);
	is_int(in.count, 1, "2 MB message delivered");
	is_int((long long)in.lens[0], R1_MAX_MESSAGE_LEN, "whole");
	free(big);
	struct bus_stats st;
	bus_get_stats(b, &st);
	is_int((long long)st.dropped[BUS_DROP_TOO_BIG_OUT], 1, "oversize counted");
	is_int((long long)st.published, 2, "published counts accepted messages only");
	r1_free(why);

	bus_free(&b);
	ok(b == NULL, "bus_free NULLs");
	is_int((long long)bus_hub_endpoints(hub), 0, "endpoint detached by free");
	bus_hub_free(&hub);
	ok(hub == NULL, "hub free NULLs");
}

static void test_routing(struct loop *loop)
{
	struct bus_hub *hub = NULL;
	bus_hub_new(loop, 0, NULL, &hub, NULL);
	struct inbox ia = {0}, ib = {0}, ic = {0};
	struct bus *a = endpoint(hub, "a", &ia), *b = endpoint(hub, "b", &ib),
	           *c = endpoint(hub, "c", &ic);
	is_int(bus_subscribe(b, "naeural/+/config", 2, NULL), R1_OK, "b subscribes +");
	is_int(bus_subscribe(c, "naeural/#", 1, NULL), R1_OK, "c subscribes #");
	is_int(bus_subscribe(c, "naeural/ctrl", 0, NULL), R1_OK, "c overlaps");
	is_int(bus_subscribe(c, "#", 2, NULL), R1_OK, "c subscribes # at the root");

	is_int(bus_publish(a, "naeural/0xai_X/config", "cmd", 3, 2, NULL), R1_OK, "publish config");
	is_int(ib.count + ic.count, 0, "nothing delivered from inside publish");
	spin(loop);
	is_int(ib.count, 1, "b got the config message");
	is_str(ib.topics[0], "naeural/0xai_X/config", "with its topic");
	is_int(ib.qos[0], 2, "at QoS 2");
	is_int(ic.count, 1, "c got one copy despite two matching filters");
	is_int(ic.qos[0], 2, "at the best matching QoS");
	is_int(ia.count, 0, "a is not subscribed");

	is_int(bus_publish(a, "naeural/ctrl", "hb", 2, 1, NULL), R1_OK, "publish heartbeat");
	spin(loop);
	is_int(ib.count, 1, "b's + does not match ctrl");
	is_int(ic.count, 2, "c got the heartbeat");
	is_int(ic.qos[1], 1, "QoS is the lower of publish and subscription");

	is_int(bus_publish(a, "$SYS/broker", "s", 1, 0, NULL), R1_OK, "publish $SYS");
	spin(loop);
	is_int(ic.count, 2, "# at the root does not see $ topics");

	bus_subscribe(a, "self/#", 1, NULL);
	bus_publish(a, "self/x", "me", 2, 1, NULL);
	spin(loop);
	is_int(ia.count, 1, "a publisher receives its own message when subscribed");
	is_int(ic.count, 3, "c's # saw it too");

	is_int(bus_unsubscribe(c, "#", NULL), R1_OK, "c drops #");
	is_int(bus_unsubscribe(c, "naeural/#", NULL), R1_OK, "c drops naeural/#");
	bus_publish(a, "naeural/0xai_Y/config", "x", 1, 2, NULL);
	spin(loop);
	is_int(ic.count, 3, "c no longer receives config messages");
	is_int(ib.count, 2, "b still does");
	bus_subscribe(b, "naeural/+/config", 0, NULL); /* re-subscribe lowers QoS */
	bus_publish(a, "naeural/0xai_Y/config", "x", 1, 2, NULL);
	spin(loop);
	is_int(ib.qos[2], 0, "subscribing again updates the QoS");

	struct bus_stats st;
	bus_get_stats(c, &st);
	is_int((long long)st.delivered, 3, "c counted its deliveries");
	bus_free(&a);
	bus_free(&b);
	bus_free(&c);
	bus_hub_free(&hub);
}

static void test_order_and_drops(struct loop *loop)
{
	struct bus_hub *hub = NULL;
	bus_hub_new(loop, 5, NULL, &hub, NULL);
	struct inbox ip = {0}, is = {0};
	struct bus *p = endpoint(hub, "pub", &ip), *s = endpoint(hub, "sub", &is);
	bus_subscribe(s, "seq", 1, NULL);
	for (uint32_t i = 0; i < 8; i++)
		bus_publish(p, "seq", &i, sizeof(i), 1, NULL);
	struct bus_stats st;
	bus_get_stats(s, &st);
	is_int((long long)st.queued, 5, "five queued (the bound)");
	is_int((long long)st.dropped[BUS_DROP_IN_FULL], 3,
	       "three dropped, counted on the receiver");
	bus_get_stats(p, &st);
	is_int((long long)st.published, 8, "publisher counted all eight");
	is_int((long long)st.dropped[BUS_DROP_IN_FULL], 0, "no drop on the publisher");
	spin(loop);
	is_int(is.count, 5, "five delivered");
	is_int(is.out_of_order, 0, "in order");
	is_int((long long)is.seq_next, 5, "the oldest five kept (newest dropped)");

	bus_local_set_queue_max(s, 100000);
	is.seq_next = 0;
	is.count = 0;
	for (uint32_t i = 0; i < 20000; i++)
		bus_publish(p, "seq", &i, sizeof(i), 0, NULL);
	spin(loop);
	is_int(is.count, 20000, "20000 delivered with a larger bound");
	is_int(is.out_of_order, 0, "all in order");

	/* Messages left queued are released with the endpoint. */
	bus_publish(p, "seq", "abcd", 4, 0, NULL);
	bus_free(&s);
	spin(loop);
	ok(s == NULL, "endpoint with queued messages freed");
	bus_free(&p);
	bus_hub_free(&hub);
}

static void test_reentrant(struct loop *loop)
{
	struct bus_hub *hub = NULL;
	bus_hub_new(loop, 0, NULL, &hub, NULL);
	struct inbox ia = {0}, ib = {0};
	struct bus *a = endpoint(hub, "a", &ia), *b = endpoint(hub, "b", &ib);
	ia.echo_to = a; /* a republishes what it receives */
	bus_subscribe(a, "echo/in", 0, NULL);
	bus_subscribe(a, "echo/out", 0, NULL);
	bus_subscribe(b, "echo/out", 0, NULL);
	bus_publish(b, "echo/in", "hi", 2, 0, NULL);
	loop_run_once(loop, 0);
	is_int(ia.count, 1, "first iteration: a got echo/in only");
	is_int(ib.count, 0, "the echo is not delivered from inside a's callback");
	loop_run_once(loop, 0);
	is_int(ib.count, 1, "next iteration: b got the echo");
	is_int(ia.count, 2, "and so did a, without recursion");
	bus_free(&a);
	bus_free(&b);
	bus_hub_free(&hub);
}

static void test_hub_closed(struct loop *loop)
{
	struct bus_hub *hub = NULL;
	bus_hub_new(loop, 0, NULL, &hub, NULL);
	struct inbox ia = {0};
	struct bus *a = endpoint(hub, "a", &ia);
	bus_set_state_cb(a, on_state, &ia);
	bus_subscribe(a, "t", 0, NULL);
	bus_publish(a, "t", "x", 1, 0, NULL); /* pending when the hub closes */
	bus_hub_free(&hub);
	is_int(ia.states, 1, "state callback told of the closed hub");
	is_int(ia.last_state, BUS_DISCONNECTED, "now disconnected");
	const char *reason;
	bus_state(a, &reason);
	is_str(reason, "the local hub was closed", "with a reason");
	char *why = NULL;
	is_int(bus_publish(a, "t", "x", 1, 0, &why), R1_ERR_STATE, "publish fails");
	r1_free(why);
	spin(loop);
	is_int(ia.count, 0, "the pending delivery was cancelled");
	bus_free(&a);
}

static void test_nomem(struct loop *loop)
{
	struct bus_hub *hub = NULL;
	struct bus *a = NULL;
	r1_alloc_fail_after(0);
	is_int(bus_hub_new(loop, 0, NULL, &hub, NULL), R1_ERR_NOMEM, "hub out of memory");
	r1_alloc_fail_after(-1);
	bus_hub_new(loop, 0, NULL, &hub, NULL);
	for (long n = 0; n < 3; n++) {
		r1_alloc_fail_after(n);
		enum r1_err err = bus_local_new(hub, "a", &a, NULL);
		r1_alloc_fail_after(-1);
		is_int(err, R1_ERR_NOMEM, "endpoint: allocation %ld failing", n);
	}
	a = endpoint(hub, "a", &(struct inbox){0});
	bus_subscribe(a, "t", 0, NULL);
	r1_alloc_fail_after(0);
	is_int(bus_publish(a, "t", "x", 1, 0, NULL), R1_ERR_NOMEM, "publish out of memory");
	is_int(bus_subscribe(a, "u", 0, NULL), R1_ERR_NOMEM, "subscribe out of memory");
	r1_alloc_fail_after(-1);
	bus_free(&a);
	bus_hub_free(&hub);
}

int main(void)
{
	struct loop *loop = NULL;
	if (loop_new(&loop, NULL))
		tap_bail("loop_new");
	test_degenerate(loop);
	test_routing(loop);
	test_order_and_drops(loop);
	test_reentrant(loop);
	test_hub_closed(loop);
	test_nomem(loop);
	loop_free(&loop);
	return tap_done();
}
