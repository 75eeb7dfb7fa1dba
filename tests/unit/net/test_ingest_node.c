/*
 * A node given an ingest pool: a burst of signed commands (some large
 * enough to finish after the small ones behind them) goes through the
 * worker pool and is still handled in the order it was published, with a
 * replay in the middle dropped; then a session on the same hub, also with
 * the pool, sees the node's heartbeats.  Checks the adoption in node and
 * session, not ingest itself (test_ingest_pool does that).
 */
#include "node/lib.h"
#include "node/node.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/envelope.h"
#include "core/identity.h"
#include "core/ingest.h"
#include "core/loop.h"
#include "core/netmap.h"
#include "core/proto.h"
#include "core/session.h"
#include "core/workers.h"
#include "tests/tap.h"
#include "core/paths.h"

#include <jansson.h>

static struct r1_identity K0;

struct world {
	struct loop *loop;
	struct workers *pool;
	struct bus_hub *hub;
	struct bus *nbus, *client;
	struct node *node;
	json_t *events; /* SEQ of every accepted command, in order */
	int refused;
};

static void on_event(void *ctx, struct node *n, const struct node_event *ev)
{
	struct world *w = ctx;
	(void)n;
	if (ev->type == NODE_EV_COMMAND) {
		json_t *seq = json_object_get(ev->payload, "SEQ");
		json_array_append_new(w->events, json_integer(json_is_integer(seq)
								      ? json_integer_value(seq)
								      : -1));
	} else if (ev->type == NODE_EV_COMMAND_REFUSED) {
		w->refused++;
	}
}

static char *command(const char *ee_id, const char *dest, long seq, size_t pad)
{
	char *filler = malloc(pad + 1);
	memset(filler, 'p', pad);
	filler[pad] = '\0';
	json_t *m = json_pack("{s:s, s:{s:I, s:s}, s:s, s:s, s:s, s:s}", K_ACTION,
			      ACT_SIMPLE_HEARTBEAT, K_PAYLOAD, "SEQ", (json_int_t)seq, "PAD",
			      filler, K_EE_DEST, dest, K_EE_ID, ee_id, K_SESSION_ID, "test-sess",
			      K_INITIATOR_ID, "tester");
	free(filler);
	struct buf wire = BUF_INIT;
	if (envelope_sign(m, &K0, true, &wire, NULL, NULL))
		tap_bail("sign");
	json_decref(m);
	return buf_detach(&wire, NULL);
}

static bool spin_until_events(struct world *w, size_t n)
{
	for (int i = 0; i < 4000 && json_array_size(w->events) < n; i++)
		loop_run_once(w->loop, 5);
	return json_array_size(w->events) >= n;
}

static void test_node(struct world *w)
{
	char *dir = paths_join(tap_tmpdir(), "node-pool");
	const char *allow[] = {K0.addr};
	struct node_config cfg = {
	    .alias = "pool-node",
	    .data_dir = dir,
	    .secured = true,
	    .heartbeat_ms = 3600000,
	    .allow = allow,
	    .n_allow = 1,
	    .ingest_pool = w->pool,
	};
	char *why = NULL;
	if (bus_local_new(w->hub, "node", &w->nbus, &why) ||
	    node_new(w->loop, w->nbus, &cfg, NULL, &w->node, &why))
		tap_bail("node: %s", why);
	node_set_observer(w->node, on_event, w);
	if (node_start(w->node, &why))
		tap_bail("node_start: %s", why);
	char topic[160];
	snprintf(topic, sizeof(topic), "naeural/%s/config", node_address(w->node));
	enum { N = 40 };
	char *wire[N];
	for (long i = 0; i < N; i++)
		wire[i] = command("pool-node", node_address(w->node), i, i % 6 == 0 ? 150000 : 10);
	for (int i = 0; i < N; i++) {
		if (bus_publish(w->client, topic, wire[i], strlen(wire[i]), 2, &why))
			tap_bail("publish: %s", why);
		if (i == N / 2) /* a replay in the middle of the burst */
			bus_publish(w->client, topic, wire[3], strlen(wire[3]), 2, NULL);
	}
	bool all = spin_until_events(w, N);
	ok(all, "all %d commands accepted (%zu)", N, json_array_size(w->events));
	bool in_order = json_array_size(w->events) == N;
	for (size_t i = 0; in_order && i < N; i++)
		in_order = json_integer_value(json_array_get(w->events, i)) == (json_int_t)i;
	ok(in_order, "handled in the order they were published");
	struct node_stats ns;
	node_get_stats(w->node, &ns);
	is_int(ns.commands_accepted, N, "accepted count");
	is_int(ns.messages_dropped, 1, "the replay dropped");
	is_int(w->refused, 0, "nothing refused");
	const struct ingest_stats *st = node_ingest_stats(w->node);
	ok(st->pooled > 0, "the burst went through the pool (%" PRIu64 " pooled, %" PRIu64
			   " inline)", st->pooled, st->inline_idle + st->inline_full);
	is_int(st->drops.count[INGEST_DROP_DUPLICATE], 1, "counted as a duplicate");
	for (int i = 0; i < N; i++)
		free(wire[i]);
	r1_free(dir);
}

struct seen {
	int heartbeats;
};

static void on_session(void *ctx, struct session *s, enum session_msg kind, const char *sender,
		       const json_t *msg)
{
	(void)s;
	(void)sender;
	(void)msg;
	struct seen *seen = ctx;
	if (kind == SESSION_MSG_HEARTBEAT)
		seen->heartbeats++;
}

static void test_session(struct world *w)
{
	struct netmap *nm = NULL;
	struct netmap_options no = {.self_addr = K0.addr, .trust_any_oracle = true};
	struct bus *sbus = NULL;
	struct session *s = NULL;
	char *why = NULL;
	if (netmap_new(&no, &nm, &why) || bus_local_new(w->hub, "console", &sbus, &why))
		tap_bail("session set-up: %s", why);
	struct session_options so = {.name = "tester", .ingest_pool = w->pool};
	ok(session_new(w->loop, sbus, &K0, nm, NULL, NULL, &so, &s, &why) == R1_OK &&
		   session_listen(s, &why) == R1_OK,
	   "a session with an ingest pool listens");
	struct seen seen = {0};
	session_set_observer(s, on_session, &seen);
	/* The session observer sees payloads and notifications; heartbeats
	 * reach the netmap.  Ask the node for a few heartbeats. */
	for (int i = 0; i < 5; i++)
		node_send_heartbeat(w->node, false);
	for (int i = 0; i < 2000 && session_ingest_stats(s)->delivered < 5; i++)
		loop_run_once(w->loop, 5);
	const struct ingest_stats *st = session_ingest_stats(s);
	is_int(st->delivered, 5, "the session's receive path delivered the five heartbeats");
	ok(netmap_count(nm) >= 1, "and they reached the netmap");
	session_free(&s);
	bus_free(&sbus);
	netmap_free(&nm);
}

int main(void)
{
	if (identity_generate(&K0, NULL))
		tap_bail("identity");
	struct world w = {0};
	w.events = json_array();
	char *why = NULL;
	if (loop_new(&w.loop, &why) || workers_new(w.loop, 2, 0, &w.pool, &why) ||
	    bus_hub_new(w.loop, 0, NULL, &w.hub, &why) ||
	    bus_local_new(w.hub, "client", &w.client, &why))
		tap_bail("world: %s", why);
	test_node(&w);
	test_session(&w);
	node_free(&w.node);
	workers_free(&w.pool); /* after the node and the session that used it */
	bus_free(&w.nbus);
	bus_free(&w.client);
	bus_hub_free(&w.hub);
	loop_free(&w.loop);
	json_decref(w.events);
	return tap_done();
}
