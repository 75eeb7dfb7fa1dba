/*
 * Command acceptance on a node holding k1, over the in-process bus:
 *  - every command of commands.jsonl (what the SDK publishes, encrypted and
 *    in clear) is accepted from k0 (in authorized_addrs) and decoded to the
 *    recorded ACTION and PAYLOAD; the SDK's encrypted NET_CONFIG GET_CONFIG
 *    is answered with an encrypted SET_CONFIG that k0 decrypts;
 *  - refusals change nothing and say -5000: a sender not allowed, a bad
 *    signature on a secured node (accepted, not validated, on an unsecured
 *    one), an undecryptable command; a replay (same EE_HASH) is dropped; an
 *    EE_ID of another node is ignored; whitelisted templates pass;
 *  - malformed payloads are refused with PIPELINE_FAILED and change nothing;
 *  - the pipeline life cycle a client sees: PIPELINE_OK, PLUGIN_CONFIG_OK per
 *    instance, payloads, PLUGIN_INSTANCE_COMMAND_OK plus the reply payload,
 *    PIPELINE_ARCHIVE_OK; a restart of the node runs the pipeline again.
 */
#include "node/lib.h"
#include "node/node.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/cipher.h"
#include "core/envelope.h"
#include "core/identity.h"
#include "core/loop.h"
#include "core/proto.h"
#include "tests/tap.h"
#include "core/paths.h"

#include <jansson.h>

static struct r1_identity K0, K1, K2;
static json_t *rows;

/* ---- a small world: loop, hub, the node under test, a client ---------- */

struct world {
	struct loop *loop;
	struct bus_hub *hub;
	struct bus *nbus, *client;
	struct node *node;
	char *dir;
	json_t *events;   /* accepted commands: {action, payload} */
	json_t *refused;  /* refusals: {action, reason} */
	json_t *notifs;   /* notification messages seen on naeural/notif */
	json_t *payloads; /* payload messages seen by the client */
	int exits;
};

static struct world W;

static void on_event(void *ctx, struct node *n, const struct node_event *ev)
{
	struct world *w = ctx;
	if (ev->type == NODE_EV_COMMAND)
		json_array_append_new(w->events,
		                      json_pack("{s:s,s:O}", "action", ev->action, "payload",
		                                ev->payload ? (json_t *)ev->payload : json_null()));
	else if (ev->type == NODE_EV_COMMAND_REFUSED)
		json_array_append_new(w->refused,
		                      json_pack("{s:s?,s:s}", "action", ev->action, "reason",
		                                ev->reason ? ev->reason : ""));
	else if (ev->type == NODE_EV_EXIT_REQUEST)
		w->exits++;
}

static void on_client(void *ctx, struct bus *bus, const char *topic, const uint8_t *data,
                      size_t len, int qos)
{
	struct world *w = ctx;
	json_t *m = json_loadb((const char *)data, len, 0, NULL);
	if (!m)
		return;
	json_object_set_new(m, "_TOPIC", json_string(topic));
	const char *type = json_string_value(json_object_get(m, K_EE_EVENT_TYPE));
	if (type && strcmp(type, EVENT_NOTIFICATION) == 0)
		json_array_append(w->notifs, m);
	else if (type && strcmp(type, EVENT_PAYLOAD) == 0)
		json_array_append(w->payloads, m);
	json_decref(m);
}

static void spin(int ms)
{
	for (int i = 0; i < ms / 5; i++)
		loop_run_once(W.loop, 5);
}

static bool spin_until(bool (*pred)(void *), void *arg, int max_ms)
{
	for (int i = 0; i < max_ms / 5; i++) {
		if (pred(arg))
			return true;
		loop_run_once(W.loop, 5);
	}
	return pred(arg);
}

static void node_up(bool secured)
{
	struct node_config cfg = {
	    .alias = "vec-node-a",
	    .data_dir = W.dir,
	    .secured = secured,
	    .heartbeat_ms = 10000,
	    .exception_delay_ms = 1000,
	};
	const char *allow[] = {K0.addr};
	cfg.allow = allow;
	cfg.n_allow = 1;
	char *why = NULL;
	if (bus_local_new(W.hub, "node", &W.nbus, &why) ||
	    node_new(W.loop, W.nbus, &cfg, NULL, &W.node, &why))
		tap_bail("node_new: %s", why);
	node_set_observer(W.node, on_event, &W);
	if (node_start(W.node, &why))
		tap_bail("node_start: %s", why);
	spin(50);
}

static void node_down(void)
{
	node_free(&W.node);
	spin(20);
	bus_free(&W.nbus);
}

static void world_up(bool secured, const char *dirname)
{
	memset(&W, 0, sizeof(W));
	W.events = json_array();
	W.refused = json_array();
	W.notifs = json_array();
	W.payloads = json_array();
	W.dir = paths_join(tap_tmpdir(), dirname);
	paths_mkdir_p(W.dir, 0700, NULL);
	/* the node's key is k1's, as the vectors were made for it */
	struct buf pem = BUF_INIT;
	identity_to_pem(&K1, &pem);
	char *pem_path = paths_join(W.dir, "e2.pem");
	paths_write_atomic(pem_path, pem.data, pem.len, 0600, NULL);
	r1_free(pem_path);
	buf_release(&pem);
	char *why = NULL;
	if (loop_new(&W.loop, &why) || bus_hub_new(W.loop, 0, NULL, &W.hub, &why) ||
	    bus_local_new(W.hub, "client", &W.client, &why))
		tap_bail("world: %s", why);
	loop_set_speed(W.loop, 10);
	bus_set_delivery(W.client, on_client, &W);
	bus_subscribe(W.client, "naeural/notif", 2, NULL);
	bus_subscribe(W.client, "naeural/payloads", 2, NULL);
	char topic[128];
	snprintf(topic, sizeof(topic), "naeural/%s/payloads", K0.addr);
	bus_subscribe(W.client, topic, 2, NULL);
	node_up(secured);
}

static void world_down(void)
{
	node_down();
	bus_free(&W.client);
	bus_hub_free(&W.hub);
	loop_free(&W.loop);
	json_decref(W.events);
	json_decref(W.refused);
	json_decref(W.notifs);
	json_decref(W.payloads);
	r1_free(W.dir);
}

static void publish(const char *topic, const char *wire)
{
	char *why = NULL;
	if (bus_publish(W.client, topic, wire, strlen(wire), 2, &why))
		tap_bail("publish: %s", why);
}

static char *config_topic(void)
{
	char *t = NULL;
	struct buf b = BUF_INIT;
	buf_addf(&b, "naeural/%s/config", K1.addr);
	size_t n;
	t = buf_detach(&b, &n);
	return t;
}

/* Sign a command from `id` (encrypting ACTION/PAYLOAD to k1 when asked). */
static char *command(const struct r1_identity *id, const char *ee_id, const char *action,
                     json_t *payload, bool encrypt)
{
	json_t *m = json_object();
	json_t *inner =
	    json_pack("{s:s,s:O}", K_ACTION, action, K_PAYLOAD, payload ? payload : json_null());
	if (encrypt) {
		char *text = json_dumps(inner, JSON_COMPACT);
		struct buf enc = BUF_INIT;
		cipher_encrypt_single(id, K1.addr, text, strlen(text), NULL, &enc, NULL);
		json_object_set_new(m, K_EE_IS_ENCRYPTED, json_true());
		json_object_set_new(m, K_EE_ENCRYPTED_DATA, json_string(buf_cstr(&enc)));
		buf_release(&enc);
		free(text);
	} else {
		json_object_update(m, inner);
		json_object_set_new(m, K_EE_IS_ENCRYPTED, json_false());
	}
	json_decref(inner);
	json_decref(payload);
	json_object_set_new(m, K_EE_DEST, json_string(K1.addr));
	json_object_set_new(m, K_EE_ID, json_string(ee_id));
	json_object_set_new(m, K_SESSION_ID, json_string("test-sess"));
	json_object_set_new(m, K_INITIATOR_ID, json_string("tester"));
	static int seq;
	char when[40];
	snprintf(when, sizeof(when), "2026-11-27 10:00:00.%06d", ++seq);
	json_object_set_new(m, K_TIME, json_string(when));
	struct buf wire = BUF_INIT;
	if (envelope_sign(m, id, true, &wire, NULL, NULL))
		tap_bail("sign failed");
	json_decref(m);
	size_t n;
	return buf_detach(&wire, &n);
}

static void send_cmd(const struct r1_identity *id, const char *action, json_t *payload,
                     bool encrypt)
{
	char *t = config_topic();
	char *wire = command(id, "vec-node-a", action, payload, encrypt);
	publish(t, wire);
	free(wire);
	r1_free(t);
	spin(60);
}

static int count_code(int code)
{
	int n = 0;
	size_t i;
	json_t *v;
	json_array_foreach(W.notifs, i, v)
	{
		json_t *c = json_object_get(v, K_NOTIFICATION_CODE);
		if (json_is_integer(c) && json_integer_value(c) == code)
			n++;
	}
	return n;
}

static json_t *last_code(int code)
{
	json_t *found = NULL;
	size_t i;
	json_t *v;
	json_array_foreach(W.notifs, i, v)
	{
		json_t *c = json_object_get(v, K_NOTIFICATION_CODE);
		if (json_is_integer(c) && json_integer_value(c) == code)
			found = v;
	}
	return found;
}

static char *state_of_pipelines(void)
{
	json_t *p = node_pipelines(W.node);
	/* LAST_UPDATE_TIME and the admin pipeline are the same either way */
	char *s = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(p);
	return s;
}

/* ---- the vectors -------------------------------------------------------- */

static json_t *row(const char *id)
{
	size_t i;
	json_t *r;
	json_array_foreach(
	    rows, i, r) if (strcmp(json_string_value(json_object_get(r, "id")), id) == 0) return r;
	tap_bail("no row %s", id);
}

static bool have_events(void *arg)
{
	return json_array_size(W.events) >= (size_t)(uintptr_t)arg;
}

static bool have_payload_for_k0(void *arg)
{
	size_t i;
	json_t *m;
	json_array_foreach(
	    W.payloads, i,
	    m) if (strstr(json_string_value(json_object_get(m, "_TOPIC")), K0.addr)) return true;
	return false;
}

static void test_vectors(void)
{
	world_up(true, "vectors");
	size_t i;
	json_t *r;
	size_t n_cmds = 0;
	json_array_foreach(rows, i, r)
	{
		const char *id = json_string_value(json_object_get(r, "id"));
		const char *action = json_string_value(json_object_get(r, "action"));
		const char *topic = json_string_value(json_object_get(r, "topic"));
		if (!action)
			continue; /* the NET_CONFIG request, below */
		size_t before = json_array_size(W.events);
		publish(topic, json_string_value(json_object_get(r, "wire")));
		ok(spin_until(have_events, (void *)(uintptr_t)(before + 1), 3000),
		   "%s (%s, %s): accepted", id, action,
		   json_is_true(json_object_get(r, "encrypted")) ? "encrypted" : "clear");
		json_t *ev = json_array_get(W.events, before);
		is_str(json_string_value(json_object_get(ev, "action")), action, "%s: ACTION", id);
		ok(json_equal(json_object_get(ev, "payload"), json_object_get(r, "payload")),
		   "%s: PAYLOAD as recorded", id);
		n_cmds++;
	}
	is_int(n_cmds, 18, "18 commands replayed");
	is_int(json_array_size(W.refused), 0, "none refused");
	is_int(W.exits, 2, "both RESTARTs asked the owner to exit");
	/* the vectors deploy VEC_PLUGIN_01 and CUSTOM_EXEC_01, which this node has not */
	json_t *f = last_code(NC_PIPELINE_FAILED);
	ok(f != NULL, "a pipeline with unknown signatures fails");
	ok(f && strstr(json_string_value(json_object_get(f, K_NOTIFICATION)), "VEC_PLUGIN_01"),
	   "and says which signature: %s",
	   f ? json_string_value(json_object_get(f, K_NOTIFICATION)) : "");

	/* the SDK's own GET_CONFIG (multi-recipient encrypted payload) */
	json_t *nc = row("A-cmd-019");
	publish(json_string_value(json_object_get(nc, "topic")),
	        json_string_value(json_object_get(nc, "wire")));
	ok(spin_until(have_payload_for_k0, NULL, 3000), "a reply on naeural/<k0>/payloads");
	json_t *reply = NULL;
	json_t *m;
	json_array_foreach(W.payloads, i,
	                   m) if (strstr(json_string_value(json_object_get(m, "_TOPIC")), K0.addr))
	    reply = m;
	ok(json_is_true(json_object_get(reply, K_EE_IS_ENCRYPTED)), "the reply is encrypted");
	json_t *want_path = json_pack("[s,s,s,s]", "vec-node-a", "admin_pipeline",
	                              "NET_CONFIG_MONITOR", "NET_CONFIG_MONITOR_INST");
	ok(json_equal(json_object_get(reply, K_EE_PAYLOAD_PATH), want_path),
	   "from [alias, admin_pipeline, NET_CONFIG_MONITOR, NET_CONFIG_MONITOR_INST]");
	json_decref(want_path);
	const char *enc = json_string_value(json_object_get(reply, K_EE_ENCRYPTED_DATA));
	struct buf plain = BUF_INIT;
	char *why = NULL;
	is_int(cipher_decrypt(&K0, K1.addr, enc ? enc : "", enc ? strlen(enc) : 0, 1 << 24, NULL,
	                      &plain, &why),
	       R1_OK, "k0 decrypts the reply (%s)", why ? why : "");
	json_t *body = json_loadb(plain.data ? plain.data : "", plain.len, 0, NULL);
	json_t *ncd = json_object_get(body, K_NET_CONFIG_DATA);
	is_str(json_string_value(json_object_get(ncd, K_OP)), "SET_CONFIG", "OP SET_CONFIG");
	is_str(json_string_value(json_object_get(ncd, K_DEST)), K0.addr, "DEST is the requester");
	ok(json_array_size(json_object_get(ncd, K_PIPELINES)) >= 1, "PIPELINES listed");
	ok(json_is_array(json_object_get(ncd, K_PLUGIN_STATUSES)), "PLUGIN_STATUSES listed");
	json_decref(body);
	buf_release(&plain);
	r1_free(why);
	world_down();
}

/* ---- refusals ----------------------------------------------------------- */

static json_t *void_pipeline(const char *name)
{
	return json_pack("{s:s,s:s,s:[{s:s,s:[{s:s,s:f}]}]}", K_NAME, name, K_TYPE, "Void",
	                 K_PLUGINS, K_SIGNATURE, "ECHO_01", K_INSTANCES, K_INSTANCE_ID, "e1",
	                 K_PROCESS_DELAY, 1.0);
}

static void test_refusals(void)
{
	world_up(true, "refusals");
	char *t = config_topic();
	char *before = state_of_pipelines();
	int bad0 = count_code(NC_COMM_RECEIVED_BAD_COMMAND);

	/* a sender not in authorized_addrs */
	send_cmd(&K2, ACT_UPDATE_CONFIG, void_pipeline("intruder"), true);
	is_int(count_code(NC_COMM_RECEIVED_BAD_COMMAND), bad0 + 1,
	       "unauthorized sender: -5000 notification");
	json_t *n = last_code(NC_COMM_RECEIVED_BAD_COMMAND);
	ok(n && strstr(json_string_value(json_object_get(n, K_NOTIFICATION)), "not authorized"),
	   "says the sender is not authorized");
	is_str(json_string_value(json_object_get(n, K_NOTIFICATION_TAG)),
	       "COMM_RECEIVED_BAD_COMMAND", "tag");
	is_int(json_array_size(W.events), 0, "not dispatched");
	char *after = state_of_pipelines();
	is_str(after, before, "no state change");
	r1_free(after);

	/* a template anyone may use, and one they may not */
	send_cmd(&K2, ACT_FULL_HEARTBEAT, NULL, false);
	is_int(json_array_size(W.events), 1, "FULL_HEARTBEAT from anyone: whitelisted template");
	send_cmd(&K2, ACT_RESTART, NULL, false);
	is_int(W.exits, 0, "RESTART from a stranger refused");

	/* a bad signature: k0's vector with the payload altered after signing */
	json_t *r = row("A-cmd-016");
	json_t *m = json_loads(json_string_value(json_object_get(r, "wire")), 0, NULL);
	json_object_set_new(m, K_PAYLOAD, json_string("admin_pipeline"));
	char *tampered = json_dumps(m, JSON_COMPACT);
	int bad1 = count_code(NC_COMM_RECEIVED_BAD_COMMAND);
	publish(t, tampered);
	spin(60);
	is_int(count_code(NC_COMM_RECEIVED_BAD_COMMAND), bad1 + 1,
	       "bad signature on a secured node: -5000");
	n = last_code(NC_COMM_RECEIVED_BAD_COMMAND);
	ok(n && strstr(json_string_value(json_object_get(n, K_NOTIFICATION)), "signature"),
	   "the reason names the signature: %s",
	   n ? json_string_value(json_object_get(n, K_NOTIFICATION)) : "");
	is_int(json_array_size(W.events), 1, "not dispatched");

	/* an undecryptable command */
	json_t *c = json_pack("{s:b,s:s,s:s,s:s,s:s}", K_EE_IS_ENCRYPTED, 1, K_EE_ENCRYPTED_DATA,
	                      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", K_EE_ID, "vec-node-a",
	                      K_INITIATOR_ID, "tester", K_EE_DEST, K1.addr);
	struct buf w = BUF_INIT;
	envelope_sign(c, &K0, true, &w, NULL, NULL);
	int bad2 = count_code(NC_COMM_RECEIVED_BAD_COMMAND);
	publish(t, buf_cstr(&w));
	spin(60);
	is_int(count_code(NC_COMM_RECEIVED_BAD_COMMAND), bad2 + 1, "undecryptable: -5000");
	buf_release(&w);
	json_decref(c);

	/* EE_ID of another node: ignored, no notification */
	char *other = command(&K0, "someone-else", ACT_DELETE_CONFIG_ALL, NULL, false);
	int nn = (int)json_array_size(W.notifs);
	publish(t, other);
	spin(60);
	is_int(json_array_size(W.notifs), nn, "EE_ID of another node: silently ignored");
	ok(json_array_size(W.refused) > 0, "but counted as refused");
	free(other);

	/* replay: the same message twice */
	send_cmd(&K0, ACT_UPDATE_CONFIG, void_pipeline("p1"), false);
	is_int(count_code(NC_PIPELINE_OK), 1, "p1 created");
	char *wire = command(&K0, "vec-node-a", ACT_ARCHIVE_CONFIG, json_string("p1"), true);
	publish(t, wire);
	spin(60);
	is_int(count_code(NC_PIPELINE_ARCHIVE_OK), 1, "p1 archived");
	send_cmd(&K0, ACT_UPDATE_CONFIG, void_pipeline("p1"), false);
	is_int(count_code(NC_PIPELINE_OK), 2, "p1 created again");
	size_t evs = json_array_size(W.events);
	publish(t, wire);
	spin(60);
	is_int(json_array_size(W.events), evs, "the replayed ARCHIVE_CONFIG is dropped");
	is_int(count_code(NC_PIPELINE_ARCHIVE_OK), 1, "p1 still there");
	json_t *pl = node_pipelines(W.node);
	is_int(json_array_size(pl), 2, "admin_pipeline and p1");
	json_decref(pl);
	free(wire);

	/* malformed payloads */
	r1_free(before);
	before = state_of_pipelines();
	int fails = count_code(NC_PIPELINE_FAILED);
	send_cmd(&K0, ACT_UPDATE_CONFIG, json_string("not a pipeline"), true);
	send_cmd(&K0, ACT_UPDATE_CONFIG, json_pack("{s:s}", K_TYPE, "Void"), true);
	send_cmd(&K0, ACT_UPDATE_CONFIG, json_pack("{s:s,s:i}", K_NAME, "x", K_PLUGINS, 5), true);
	send_cmd(&K0, ACT_UPDATE_CONFIG, json_pack("{s:s,s:s}", K_NAME, "x", K_TYPE, "VideoStream"),
	         true);
	send_cmd(&K0, ACT_UPDATE_CONFIG, json_pack("{s:s,s:i,s:i}", K_NAME, "p1", "A", 2, "A.B", 1),
	         true);
	send_cmd(&K0, ACT_UPDATE_PIPELINE_INSTANCE, json_pack("{s:s}", K_NAME, "p1"), true);
	send_cmd(&K0, ACT_UPDATE_PIPELINE_INSTANCE,
	         json_pack("{s:s,s:s,s:s,s:{s:i}}", K_NAME, "p1", K_SIGNATURE, "ECHO_01",
	                   K_INSTANCE_ID, "nope", K_INSTANCE_CONFIG, "X", 1),
	         true);
	send_cmd(&K0, ACT_UPDATE_CONFIG,
	         json_pack("{s:s,s:s}", K_NAME, "admin_pipeline", K_TYPE, "Void"), true);
	is_int(count_code(NC_PIPELINE_FAILED), fails + 7, "seven PIPELINE_FAILED");
	is_int(count_code(NC_PIPELINE_DCT_CONFIG_FAILED), 1,
	       "admin_pipeline is protected (PIPELINE_DCT_CONFIG_FAILED)");
	int arch_fail = count_code(NC_PIPELINE_ARCHIVE_FAILED);
	send_cmd(&K0, ACT_ARCHIVE_CONFIG, json_pack("{s:s}", "x", "y"), true);
	send_cmd(&K0, ACT_ARCHIVE_CONFIG, json_string("admin_pipeline"), true);
	send_cmd(&K0, ACT_ARCHIVE_CONFIG, json_string("nope"), true);
	is_int(count_code(NC_PIPELINE_ARCHIVE_FAILED), arch_fail + 3,
	       "three PIPELINE_ARCHIVE_FAILED");
	send_cmd(&K0, ACT_BATCH_UPDATE_PIPELINE_INSTANCE, json_string("x"), true);
	send_cmd(&K0, "NO_SUCH_ACTION", NULL, true);
	send_cmd(&K0, ACT_PIPELINE_COMMAND, json_pack("{s:s}", K_NAME, "nope"), true);
	send_cmd(&K0, ACT_DELETE_CONFIG, json_string("nope"), true);
	/* garbage on the wire */
	publish(t, "{not json");
	publish(t, "[1,2,3]");
	publish(t, "");
	spin(60);
	after = state_of_pipelines();
	is_str(after, before, "malformed commands changed nothing");
	r1_free(after);
	r1_free(before);
	struct node_stats st;
	node_get_stats(W.node, &st);
	ok(st.messages_dropped >= 3, "garbage dropped (%" PRIu64 ")", st.messages_dropped);
	json_decref(m);
	free(tampered);
	r1_free(t);
	world_down();

	/* an unsecured node accepts a bad signature, not validated */
	world_up(false, "unsecured");
	t = config_topic();
	r = row("A-cmd-010");
	m = json_loads(json_string_value(json_object_get(r, "wire")), 0, NULL);
	json_object_set_new(json_object_get(m, K_PAYLOAD), K_NAME, json_string("renamed"));
	json_object_set_new(json_object_get(m, K_PAYLOAD), K_PLUGINS, json_array());
	tampered = json_dumps(m, JSON_COMPACT);
	publish(t, tampered);
	spin(100);
	is_int(count_code(NC_COMM_RECEIVED_BAD_COMMAND), 0, "unsecured: no -5000");
	is_int(count_code(NC_PIPELINE_OK), 1, "unsecured: the command ran");
	json_t *ok1 = last_code(NC_PIPELINE_OK);
	is_str(json_string_value(json_object_get(ok1, K_STREAM_NAME)), "renamed", "renamed");
	json_t *cfgs = node_pipelines(W.node);
	size_t k;
	json_t *pc;
	bool validated_false = false;
	json_array_foreach(cfgs, k, pc) if (json_is_false(json_object_get(pc, K_VALIDATED)))
	    validated_false = true;
	ok(validated_false, "stored with VALIDATED false");
	json_decref(cfgs);
	json_decref(m);
	free(tampered);
	r1_free(t);
	world_down();
}

/* ---- a pipeline's life as a client sees it ------------------------------ */

static int payloads_of(const char *iid)
{
	int n = 0;
	size_t i;
	json_t *m;
	json_array_foreach(W.payloads, i, m)
	{
		json_t *path = json_object_get(m, K_EE_PAYLOAD_PATH);
		if (iid && strcmp(json_string_value(json_array_get(path, 3)) ?: "", iid) == 0)
			n++;
	}
	return n;
}

static bool two_config_ok(void *arg)
{
	return count_code(NC_PLUGIN_CONFIG_OK) >= 2;
}

static bool have_echo(void *arg)
{
	size_t i;
	json_t *m;
	json_array_foreach(W.payloads, i, m) if (json_object_get(m, "ECHO")) return true;
	return false;
}

static void test_lifecycle(void)
{
	world_up(true, "life");
	json_t *cfg =
	    json_pack("{s:s,s:s,s:[{s:s,s:[{s:s,s:f},{s:s,s:f}]}]}", K_NAME, "demo", K_TYPE, "Void",
	              K_PLUGINS, K_SIGNATURE, "ECHO_01", K_INSTANCES, K_INSTANCE_ID, "e1",
	              K_PROCESS_DELAY, 1.0, K_INSTANCE_ID, "e2", K_PROCESS_DELAY, 2.0);
	int admin_ok = count_code(NC_PLUGIN_CONFIG_OK);
	json_array_clear(W.notifs);
	send_cmd(&K0, ACT_UPDATE_CONFIG, cfg, true);
	ok(spin_until(two_config_ok, NULL, 3000), "PLUGIN_CONFIG_OK for both instances");
	is_int(count_code(NC_PIPELINE_OK), 1, "PIPELINE_OK");
	/* order: PIPELINE_OK before the instances' PLUGIN_CONFIG_OK */
	size_t i;
	json_t *m;
	int first_ok = -1, first_cfg = -1;
	json_array_foreach(W.notifs, i, m)
	{
		json_int_t c = json_integer_value(json_object_get(m, K_NOTIFICATION_CODE));
		if (c == NC_PIPELINE_OK && first_ok < 0)
			first_ok = (int)i;
		if (c == NC_PLUGIN_CONFIG_OK && first_cfg < 0)
			first_cfg = (int)i;
	}
	ok(first_ok >= 0 && first_ok < first_cfg, "PIPELINE_OK came first");
	json_t *pok = last_code(NC_PIPELINE_OK);
	json_t *path = json_object_get(pok, K_EE_PAYLOAD_PATH);
	is_str(json_string_value(json_array_get(path, 0)), "vec-node-a", "path[0] is the alias");
	is_str(json_string_value(json_array_get(path, 1)), "demo", "path[1] is the pipeline");
	json_t *cok = last_code(NC_PLUGIN_CONFIG_OK);
	path = json_object_get(cok, K_EE_PAYLOAD_PATH);
	is_str(json_string_value(json_array_get(path, 2)), "ECHO_01", "path[2] is the signature");
	(void)admin_ok;
	spin(600); /* 6 s at speed 10 */
	ok(payloads_of("e1") >= 4, "e1 payloads flow (%d)", payloads_of("e1"));
	ok(payloads_of("e2") >= 2, "e2 payloads flow, slower (%d)", payloads_of("e2"));
	json_t *p1 = NULL;
	json_array_foreach(W.payloads, i, m)
	{
		const char *iid =
		    json_string_value(json_array_get(json_object_get(m, K_EE_PAYLOAD_PATH), 3));
		if (!p1 && iid && strcmp(iid, "e1") == 0)
			p1 = m;
	}
	is_str(json_string_value(json_object_get(p1, K_INITIATOR_ADDR)), K0.addr,
	       "payloads carry INITIATOR_ADDR");
	is_str(json_string_value(json_object_get(p1, K_INITIATOR_ID)), "tester",
	       "payloads carry INITIATOR_ID");

	/* an instance command: PIPELINE_OK, then 101, and the reply */
	send_cmd(&K0, ACT_UPDATE_PIPELINE_INSTANCE,
	         json_pack("{s:s,s:s,s:s,s:{s:{s:i,s:{s:s}}}}", K_NAME, "demo", K_SIGNATURE,
	                   "ECHO_01", K_INSTANCE_ID, "e1", K_INSTANCE_CONFIG, K_INSTANCE_COMMAND,
	                   "PING", 7, K_COMMAND_PARAMS, "Reason", "test"),
	         true);
	ok(spin_until(have_echo, NULL, 3000), "the reply payload arrives");
	is_int(count_code(NC_PLUGIN_INSTANCE_COMMAND_OK), 1, "PLUGIN_INSTANCE_COMMAND_OK");
	json_t *ic = last_code(NC_PLUGIN_INSTANCE_COMMAND_OK);
	is_str(json_string_value(json_array_get(json_object_get(ic, K_EE_PAYLOAD_PATH), 3)), "e1",
	       "for e1");
	json_t *cfgs = node_pipelines(W.node);
	json_t *e1 = NULL;
	json_array_foreach(cfgs, i,
	                   m) if (!strcmp(json_string_value(json_object_get(m, K_NAME)), "demo"))
	    e1 = json_array_get(
	        json_object_get(json_array_get(json_object_get(m, K_PLUGINS), 0), K_INSTANCES), 0);
	ok(json_object_get(e1, K_INSTANCE_COMMAND_LAST) != NULL,
	   "archived to INSTANCE_COMMAND_LAST");
	ok(json_object_size(json_object_get(e1, K_INSTANCE_COMMAND)) == 0,
	   "INSTANCE_COMMAND reset");
	json_decref(cfgs);

	/* a config update, then a restart of the node */
	send_cmd(&K0, ACT_UPDATE_CONFIG,
	         json_pack("{s:s,s:[{s:s,s:[{s:s,s:f,s:s},{s:s,s:f}]}]}", K_NAME, "demo", K_PLUGINS,
	                   K_SIGNATURE, "ECHO_01", K_INSTANCES, K_INSTANCE_ID, "e1",
	                   K_PROCESS_DELAY, 0.5, "MESSAGE", "updated", K_INSTANCE_ID, "e2",
	                   K_PROCESS_DELAY, 2.0),
	         true);
	is_int(count_code(NC_PIPELINE_OK), 3, "update: PIPELINE_OK");
	node_down();
	json_array_clear(W.payloads);
	node_up(true);
	spin(300);
	int upd = 0;
	json_array_foreach(
	    W.payloads, i,
	    m) if (json_string_value(json_object_get(m, "MESSAGE")) &&
	           !strcmp(json_string_value(json_object_get(m, "MESSAGE")), "updated")) upd++;
	ok(upd >= 2, "after a restart the updated pipeline runs (%d payloads)", upd);

	/* ENCRYPT_PAYLOAD: the instance's payloads go encrypted to the initiator */
	json_array_clear(W.payloads);
	send_cmd(&K0, ACT_UPDATE_PIPELINE_INSTANCE,
	         json_pack("{s:s,s:s,s:s,s:{s:b}}", K_NAME, "demo", K_SIGNATURE, "ECHO_01",
	                   K_INSTANCE_ID, "e2", K_INSTANCE_CONFIG, K_ENCRYPT_PAYLOAD, 1),
	         true);
	spin(400);
	json_t *secret = NULL;
	json_array_foreach(W.payloads, i, m)
	{
		const char *iid =
		    json_string_value(json_array_get(json_object_get(m, K_EE_PAYLOAD_PATH), 3));
		if (!secret && iid && !strcmp(iid, "e2"))
			secret = m;
	}
	ok(secret != NULL, "e2 still sends");
	ok(json_is_true(json_object_get(secret, K_EE_IS_ENCRYPTED)), "encrypted");
	ok(strstr(json_string_value(json_object_get(secret, "_TOPIC")), K0.addr) != NULL,
	   "on the initiator's own topic");
	ok(json_object_get(secret, "COUNTER") == NULL, "its fields are not in clear");
	const char *enc = json_string_value(json_object_get(secret, K_EE_ENCRYPTED_DATA));
	struct buf plain = BUF_INIT;
	is_int(cipher_decrypt(&K0, K1.addr, enc ? enc : "", enc ? strlen(enc) : 0, 1 << 24, NULL,
	                      &plain, NULL),
	       R1_OK, "the initiator decrypts it");
	json_t *inner = json_loadb(plain.data ? plain.data : "", plain.len, 0, NULL);
	ok(json_is_integer(json_object_get(inner, "COUNTER")), "and finds the COUNTER");
	json_decref(inner);
	buf_release(&plain);

	send_cmd(&K0, ACT_ARCHIVE_CONFIG, json_string("demo"), true);
	is_int(count_code(NC_PIPELINE_ARCHIVE_OK), 1, "PIPELINE_ARCHIVE_OK");
	json_array_clear(W.payloads);
	spin(300);
	is_int(payloads_of("e1"), 0, "no payloads after the archive");
	world_down();
}

int main(void)
{
	r1_alloc_setup_jansson();
	char *path = tap_vector_path("keys.json");
	char *text = tap_read_file(path, NULL);
	json_t *keys = json_loads(text, 0, NULL);
	free(text);
	free(path);
	struct r1_identity *ids[] = {&K0, &K1, &K2};
	for (size_t i = 0; i < 3; i++) {
		const char *pem = json_string_value(json_object_get(
		    json_array_get(json_object_get(keys, "keys"), i), "private_key_pem_pkcs8"));
		if (!pem || identity_from_pem(ids[i], pem, strlen(pem), NULL))
			tap_bail("keys.json key %zu", i);
	}
	json_decref(keys);
	path = tap_vector_path("commands.jsonl");
	size_t n = 0;
	char **lines = tap_read_lines(path, &n);
	rows = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(rows, json_loads(lines[i], 0, NULL));
	tap_free_lines(lines);
	free(path);
	if (n != 19)
		tap_bail("commands.jsonl has %zu rows", n);
	test_vectors();
	test_refusals();
	test_lifecycle();
	json_decref(rows);
	return tap_done();
}
