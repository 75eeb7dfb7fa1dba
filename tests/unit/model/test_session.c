/*
 * session on a real loop and in-process bus, with a fake node endpoint that
 * receives what the session publishes: commands signed and encrypted as the
 * SDK's (same envelope keys as commands.jsonl, verified signature, the node
 * key decrypts the same ACTION/PAYLOAD), transactions completed by
 * notifications, failed by failure codes and timed out by the loop timer,
 * deploys settling their pipespec, NetConfig requests, the audit log, and
 * what session_deliver does with heartbeats, maps, SET_CONFIG replies and
 * notifications.
 */
#include "core/lib.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/cache.h"
#include "core/cipher.h"
#include "core/codec.h"
#include "core/envelope.h"
#include "core/loop.h"
#include "core/netmap.h"
#include "core/proto.h"
#include "core/session.h"
#include "tests/tap.h"

static struct r1_identity k0, k1, k2;

static void load_key(const char *name, struct r1_identity *id)
{
	char *path = tap_vector_path("keys.json");
	char *text = tap_read_file(path, NULL);
	json_t *keys = json_loads(text, 0, NULL);
	size_t i;
	json_t *k;
	bool found = false;
	json_array_foreach(json_object_get(keys, "keys"), i, k)
	{
		if (strcmp(json_string_value(json_object_get(k, "name")), name) != 0)
			continue;
		uint8_t secret[32];
		hex_decode(json_string_value(json_object_get(k, "private_key_hex")), 64, secret, 32,
		           NULL);
		found = identity_from_secret(id, secret, NULL) == R1_OK;
	}
	json_decref(keys);
	free(text);
	free(path);
	if (!found)
		tap_bail("key %s", name);
}

static json_t *vector_message(const char *id)
{
	char *path = tap_vector_path("commands.jsonl");
	size_t n = 0;
	char **lines = tap_read_lines(path, &n);
	json_t *out = NULL;
	for (size_t i = 0; i < n && !out; i++) {
		json_t *r = json_loads(lines[i], 0, NULL);
		if (r && strcmp(json_string_value(json_object_get(r, "id")), id) == 0)
			out = json_incref(json_object_get(r, "message"));
		json_decref(r);
	}
	tap_free_lines(lines);
	free(path);
	if (!out)
		tap_bail("no %s", id);
	return out;
}

/* What the fake node endpoint received. */
struct inbox {
	char topic[256];
	json_t *msg[8];
	size_t n;
};

static void on_deliver(void *ctx, struct bus *bus, const char *topic, const uint8_t *payload,
                       size_t len, int qos)
{
	(void)bus;
	(void)qos;
	struct inbox *in = ctx;
	if (in->n >= R1_ARRAY_LEN(in->msg))
		return;
	snprintf(in->topic, sizeof(in->topic), "%s", topic);
	in->msg[in->n++] = json_loadb((const char *)payload, len, 0, NULL);
}

static void inbox_clear(struct inbox *in)
{
	for (size_t i = 0; i < in->n; i++)
		json_decref(in->msg[i]);
	in->n = 0;
}

static void spin(struct loop *loop, int ms)
{
	for (int i = 0; i < ms / 5; i++)
		loop_run_once(loop, 5);
}

struct done {
	int calls;
	enum txn_state state;
	char reason[256];
};

static void on_done(void *ctx, struct session *s, const struct txn *t)
{
	(void)s;
	struct done *d = ctx;
	d->calls++;
	d->state = t->state;
	snprintf(d->reason, sizeof(d->reason), "%s", t->reason ? t->reason : "");
}

static json_t *decrypt_for_k1(const json_t *msg)
{
	const json_t *enc = json_object_get(msg, "EE_ENCRYPTED_DATA");
	struct buf plain = BUF_INIT;
	if (cipher_decrypt(&k1, k0.addr, json_string_value(enc), json_string_length(enc), 1 << 20,
	                   NULL, &plain, NULL)) {
		buf_release(&plain);
		return NULL;
	}
	json_t *j = json_loads(buf_cstr(&plain), 0, NULL);
	buf_release(&plain);
	return j;
}

/* The keys in order, the signature block (which envelope_sign writes last) apart. */
static char *keys_of(const json_t *o)
{
	static const char *const block[] = {"SIGN_CANON_V",  "EE_SIGN",     "EE_SENDER",
	                                    "EE_ETH_SENDER", "EE_ETH_SIGN", "EE_HASH"};
	struct buf b = BUF_INIT;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v)
	{
		bool sig = false;
		for (size_t i = 0; i < R1_ARRAY_LEN(block); i++)
			sig |= strcmp(k, block[i]) == 0;
		if (!sig)
			buf_addf(&b, "%s%s", b.len ? "," : "", k);
	}
	buf_adds(&b, " |");
	for (size_t i = 0; i < R1_ARRAY_LEN(block); i++)
		if (json_object_get(o, block[i]))
			buf_addf(&b, " %s", block[i]);
	return buf_detach(&b, NULL);
}

static json_t *notif(const char *pipe, const char *sig, const char *inst, int code)
{
	json_t *n = json_pack("{s:s,s:[s,s?,s?,s?],s:s,s:s}", "EE_SENDER", k1.addr,
	                      "EE_PAYLOAD_PATH", "vec-node-a", pipe, sig, inst, "NOTIFICATION_TYPE",
	                      "NORMAL", "NOTIFICATION", "x");
	json_object_set_new(n, "NOTIFICATION_CODE", json_integer(code));
	return n;
}

int main(void)
{
	r1_alloc_setup_jansson();
	load_key("k0", &k0);
	load_key("k1", &k1);
	load_key("k2", &k2);
	char *why = NULL;
	struct loop *loop = NULL;
	struct bus_hub *hub = NULL;
	struct bus *mine = NULL, *node = NULL;
	if (loop_new(&loop, &why) || bus_hub_new(loop, 0, NULL, &hub, &why) ||
	    bus_local_new(hub, "session", &mine, &why) || bus_local_new(hub, "node", &node, &why))
		tap_bail("set-up: %s", why);
	struct inbox in = {0};
	bus_set_delivery(node, on_deliver, &in);
	char topic[200];
	snprintf(topic, sizeof(topic), "naeural/%s/config", k1.addr);
	bus_subscribe(node, topic, 2, NULL);
	snprintf(topic, sizeof(topic), "naeural/%s/payloads", k1.addr);
	bus_subscribe(node, topic, 2, NULL);

	struct netmap_options no = {.self_addr = k0.addr};
	struct netmap *nm = NULL;
	netmap_new(&no, &nm, NULL);
	/* the node is known by its heartbeat, so the session knows its alias */
	json_t *hb = json_pack("{s:s,s:b,s:[s]}", "EE_ID", "vec-node-a", "SECURED", 1,
	                       "EE_WHITELIST", k0.addr + 5);
	netmap_on_heartbeat(nm, k1.addr, hb, 1000, 0, NULL);
	json_decref(hb);
	char dbpath[600];
	snprintf(dbpath, sizeof(dbpath), "%s/s.db", tap_tmpdir());
	struct cache_options co = {.no_thread = true};
	struct cache *cache = NULL;
	cache_open(dbpath, &co, &cache, NULL);

	struct session *s = NULL;
	struct session_options so = {0};
	is_int(session_new(loop, mine, &k0, nm, cache, NULL, &so, &s, &why), R1_ERR_INVAL,
	       "a session needs a name");
	so = (struct session_options){.name = "vecsdk-a",
	                              .command_qos = 2,
	                              .timeout_ms = 300,
	                              .netconfig_every_ms = UINT32_MAX};
	is_int(session_new(loop, mine, &k0, nm, cache, NULL, &so, &s, &why), R1_OK, "session");

	/* RESTART by alias: the envelope of A-cmd-008, signed, encrypted to k1 */
	struct done d = {0};
	struct session_call call = {.done = on_done, .ctx = &d};
	uint64_t id = 0;
	is_int(session_restart(s, "vec-node-a", &call, &id, &why), R1_OK, "restart sent");
	ok(id != 0, "transaction id");
	is_int(session_pending(s), 1, "one pending");
	spin(loop, 20);
	is_int(in.n, 1, "the node got one message");
	snprintf(topic, sizeof(topic), "naeural/%s/config", k1.addr);
	is_str(in.topic, topic, "on the node's config topic");
	json_t *want = vector_message("A-cmd-008");
	char *a = keys_of(in.msg[0]), *b = keys_of(want);
	is_str(a, b, "the SDK's envelope keys (data keys in its order) and signature block");
	r1_free(a);
	r1_free(b);
	json_decref(want);
	char *wire = json_dumps(in.msg[0], JSON_COMPACT);
	struct envelope_ctx ec;
	envelope_ctx_init(&ec, NULL);
	struct envelope_verdict v;
	is_int(envelope_verify_wire(&ec, wire, strlen(wire), true, &v), ENVELOPE_OK,
	       "the signature verifies");
	is_str(v.sender, k0.addr, "signed by us");
	envelope_ctx_release(&ec);
	free(wire);
	json_t *plain = decrypt_for_k1(in.msg[0]);
	ok(plain && strcmp(json_string_value(json_object_get(plain, "ACTION")), "RESTART") == 0 &&
	       json_is_null(json_object_get(plain, "PAYLOAD")),
	   "the node decrypts ACTION RESTART, PAYLOAD null");
	json_decref(plain);
	inbox_clear(&in);
	/* the node's acknowledgement */
	json_t *ack =
	    json_pack("{s:s,s:[s,n,n,n],s:s,s:s,s:s}", "EE_SENDER", k1.addr, "EE_PAYLOAD_PATH",
	              "vec-node-a", "NOTIFICATION_TYPE", "NORMAL", "NOTIFICATION",
	              "  Running 'RESTART' command in main loop received from 'vecsdk-a'",
	              "INITIATOR_ID", "vecsdk-a");
	session_deliver(s, SESSION_MSG_NOTIFICATION, k1.addr, ack);
	json_decref(ack);
	ok(d.calls == 1 && d.state == TXN_OK, "the acknowledgement completes it");
	is_int(session_pending(s), 0, "nothing pending");

	/* close: times out on the loop timer */
	d = (struct done){0};
	is_int(session_close_pipeline(s, k1.addr, "app", &call, &id, &why), R1_OK, "close sent");
	spin(loop, 100);
	is_int(d.calls, 0, "not yet at 100 ms");
	spin(loop, 400);
	ok(d.calls == 1 && d.state == TXN_TIMEOUT, "timed out by the timer");
	is_str(d.reason,
	       "Transaction timeout (0.3s). Responses not received: PIPELINE_ARCHIVE_OK <app>",
	       "the reason names the missing confirmation");
	inbox_clear(&in);

	/* instance command: failure code */
	d = (struct done){0};
	json_t *params = json_pack("{s:s,s:b}", "reason", "vectors", "force", 1);
	is_int(session_instance_command(s, k1.addr, "vec_a_enc", "VEC_PLUGIN_01", "vec_inst_enc",
	                                "RESTART_PROCESS", NULL, NULL, params, &call, &id, &why),
	       R1_OK, "instance command sent");
	spin(loop, 20);
	plain = in.n ? decrypt_for_k1(in.msg[0]) : NULL;
	json_t *expected = json_pack("{s:s,s:s,s:s,s:{s:{s:{s:s,s:b,s:b}}}}", "NAME", "vec_a_enc",
	                             "SIGNATURE", "VEC_PLUGIN_01", "INSTANCE_ID", "vec_inst_enc",
	                             "INSTANCE_CONFIG", "INSTANCE_COMMAND", "COMMAND_PARAMS",
	                             "reason", "vectors", "force", 1, "RESTART_PROCESS", 1);
	ok(plain && json_equal(json_object_get(plain, "PAYLOAD"), expected),
	   "the PAYLOAD of A-cmd-004");
	json_decref(expected);
	json_decref(plain);
	json_decref(params);
	inbox_clear(&in);
	json_t *n1 = notif("vec_a_enc", NULL, NULL, NC_PIPELINE_OK);
	session_deliver(s, SESSION_MSG_NOTIFICATION, k1.addr, n1);
	json_decref(n1);
	is_int(d.calls, 0, "PIPELINE_OK alone does not end it");
	n1 = notif("vec_a_enc", "vec_plugin_01", "vec_inst_enc", NC_PLUGIN_INSTANCE_COMMAND_FAILED);
	json_object_set_new(n1, "INFO", json_string("no such command"));
	session_deliver(s, SESSION_MSG_NOTIFICATION, k1.addr, n1);
	json_decref(n1);
	ok(d.calls == 1 && d.state == TXN_FAILED && strcmp(d.reason, "no such command") == 0,
	   "PLUGIN_INSTANCE_COMMAND_FAILED fails it with INFO");

	/* deploy: UPDATE_CONFIG, settled on PIPELINE_OK + PLUGIN_CONFIG_OK */
	json_t *cfg =
	    json_pack("{s:s,s:[{s:s,s:[{s:s,s:i}]}]}", "TYPE", "Void", "PLUGINS", "SIGNATURE",
	              "ECHO_01", "INSTANCES", "INSTANCE_ID", "e1", "PROCESS_DELAY", 1);
	struct pipespec *p = NULL;
	pipespec_new(k1.addr, "job", cfg, &p, NULL);
	json_decref(cfg);
	d = (struct done){0};
	is_int(session_deploy(s, p, &call, &id, &why), R1_OK, "deploy sent");
	spin(loop, 20);
	plain = in.n ? decrypt_for_k1(in.msg[0]) : NULL;
	is_str(plain ? json_string_value(json_object_get(plain, "ACTION")) : "", "UPDATE_CONFIG",
	       "deploy is UPDATE_CONFIG");
	json_decref(plain);
	inbox_clear(&in);
	ok(p->inst[0].staged != NULL, "instance staged");
	n1 = notif("job", NULL, NULL, NC_PIPELINE_OK);
	session_deliver(s, SESSION_MSG_NOTIFICATION, k1.addr, n1);
	json_decref(n1);
	n1 = notif("job", "ECHO_01", "e1", NC_PLUGIN_CONFIG_OK);
	session_deliver(s, SESSION_MSG_NOTIFICATION, k1.addr, n1);
	json_decref(n1);
	ok(d.calls == 1 && d.state == TXN_OK, "deploy confirmed");
	ok(p->inst[0].staged == NULL &&
	       json_integer_value(json_object_get(p->inst[0].config, "PROCESS_DELAY")) == 1,
	   "the pipespec settled: staged config applied");
	is_int(session_deploy(s, p, &call, &id, &why), R1_ERR_NOTFOUND, "nothing more to deploy");
	pipespec_free(&p);

	/* NetConfig request: encrypted for the node on its payloads topic */
	const char *nodes[] = {"vec-node-a"};
	is_int(session_request_netconfig(s, nodes, 1, &why), R1_OK, "GET_CONFIG sent");
	spin(loop, 20);
	snprintf(topic, sizeof(topic), "naeural/%s/payloads", k1.addr);
	is_str(in.topic, topic, "on the node's payloads topic");
	plain = in.n ? decrypt_for_k1(in.msg[0]) : NULL;
	is_str(plain ? json_string_value(
	                   json_object_get(json_object_get(plain, "NET_CONFIG_DATA"), "OP"))
	             : "",
	       "GET_CONFIG", "the node decrypts a GET_CONFIG");
	json_decref(plain);
	inbox_clear(&in);

	/* errors that send nothing */
	is_int(session_restart(s, "nobody", &call, &id, &why), R1_ERR_NOTFOUND, "unknown alias");
	is_int(session_restart(s, "0xai_bad", &call, &id, &why), R1_ERR_INVAL, "bad address");
	spin(loop, 20);
	is_int(in.n, 0, "nothing was published");
	/* a cancelled transaction calls nothing */
	d = (struct done){0};
	is_int(session_stop(s, k1.addr, &call, &id, &why), R1_OK, "stop sent");
	ok(session_txn(s, id) != NULL, "pending");
	ok(session_cancel(s, id), "cancelled");
	spin(loop, 400);
	is_int(d.calls, 0, "no callback after cancel");
	inbox_clear(&in);

	/* session_deliver: a SET_CONFIG for us fills the netmap */
	json_t *set = json_pack(
	    "{s:s,s:[s,s,s,s],s:b,s:s,s:{s:s,s:[{s:s,s:[]}],s:[]}}", "EE_SENDER", k1.addr,
	    "EE_PAYLOAD_PATH", "vec-node-a", "admin_pipeline", "NET_CONFIG_MONITOR",
	    "NET_CONFIG_MONITOR_INST", "EE_IS_ENCRYPTED", 1, "EE_DEST", k0.addr, "NET_CONFIG_DATA",
	    "OP", "SET_CONFIG", "PIPELINES", "NAME", "p1", "PLUGINS", "PLUGIN_STATUSES");
	session_deliver(s, SESSION_MSG_PAYLOAD, k1.addr, set);
	is_int(netmap_find_addr(nm, k1.addr)->n_pipelines, 1, "SET_CONFIG applied");
	struct pipespec *att = NULL;
	is_int(session_attach_pipeline(s, "vec-node-a", "p1", &att, &why), R1_OK,
	       "attach to a pipeline NetConfig reported");
	ok(att && strcmp(att->name, "p1") == 0 && !att->proposed, "attached, nothing proposed");
	pipespec_free(&att);
	is_int(session_attach_pipeline(s, "vec-node-a", "nope", &att, &why), R1_ERR_NOTFOUND,
	       "attach to an unknown pipeline");
	json_object_set_new(set, "EE_DEST", json_string(k2.addr));
	json_object_set_new(json_object_get(set, "NET_CONFIG_DATA"), "PIPELINES", json_array());
	session_deliver(s, SESSION_MSG_PAYLOAD, k1.addr, set);
	is_int(netmap_find_addr(nm, k1.addr)->n_pipelines, 1,
	       "a SET_CONFIG for someone else is not");
	json_decref(set);

	/* the audit log */
	cache_sync(cache, NULL);
	struct cache_audit_row rows[16];
	size_t nr = 0;
	cache_audit_recent(cache, rows, 16, &nr, NULL);
	ok(nr >= 5, "audit rows: %zu", nr);
	bool seen_ok = false, seen_timeout = false, seen_failed = false, seen_cancel = false;
	for (size_t i = 0; i < nr; i++) {
		seen_ok |= !strcmp(rows[i].action, "RESTART") && !strcmp(rows[i].outcome, "ok");
		seen_timeout |= !strcmp(rows[i].action, "ARCHIVE_CONFIG") &&
		                !strcmp(rows[i].outcome, "timeout");
		seen_failed |= !strcmp(rows[i].outcome, "failed");
		seen_cancel |=
		    !strcmp(rows[i].action, "STOP") && !strcmp(rows[i].outcome, "cancelled");
	}
	ok(seen_ok && seen_timeout && seen_failed && seen_cancel,
	   "audit outcomes: ok, timeout, failed, cancelled");

	session_free(&s);
	ok(s == NULL, "free NULLs");
	cache_close(&cache);
	netmap_free(&nm);
	bus_free(&node);
	bus_free(&mine);
	bus_hub_free(&hub);
	loop_free(&loop);
	r1_free(why);
	return tap_done();
}
