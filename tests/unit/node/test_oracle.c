/*
 * An oracle and an edge node on one loop (in-process bus): the oracle
 * registers the edge node's heartbeats and its own, and broadcasts
 * NET_MON_01 in the v2 wire form; the SDK's helpers decode it into a
 * CURRENT_NETWORK keyed by address with both nodes ONLINE, their
 * whitelists restored from WHITELIST_MAP.  The edge node's NET_CONFIG_MONITOR
 * reads maps only from the oracle it trusts.  UPDATE_MONITOR_01 answers
 * GET_CONFIG, GET_WHITELIST and GET_PIPELINES (the last encrypted to the
 * requester); SYSTEM_HEALTH_MONITOR_01 reports this machine.
 */
#include "node/lib.h"
#include "node/node.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/cipher.h"
#include "core/codec.h"
#include "core/envelope.h"
#include "core/identity.h"
#include "core/loop.h"
#include "core/netmon.h"
#include "core/proto.h"
#include "tests/tap.h"
#include "core/paths.h"

#include <jansson.h>

static struct loop *L;
static struct bus_hub *H;
static json_t *seen; /* every message seen by the client, parsed */
static struct r1_identity ME;

static void on_client(void *ctx, struct bus *bus, const char *topic, const uint8_t *data,
                      size_t len, int qos)
{
	json_t *m = json_loadb((const char *)data, len, 0, NULL);
	if (!m)
		return;
	json_t *enc = json_object_get(m, K_EE_ENCRYPTED_DATA);
	const char *sender = json_string_value(json_object_get(m, K_EE_SENDER));
	if (json_is_string(enc) && sender) {
		struct buf plain = BUF_INIT;
		if (!cipher_decrypt(&ME, sender, json_string_value(enc), json_string_length(enc),
		                    1 << 24, NULL, &plain, NULL)) {
			json_t *inner = json_loadb(plain.data, plain.len, 0, NULL);
			json_object_update_missing(m, inner);
			json_object_set_new(m, "_DECRYPTED", json_true());
			json_decref(inner);
		}
		buf_release(&plain);
	}
	json_object_set_new(m, "_TOPIC", json_string(topic));
	json_array_append_new(seen, m);
}

static void spin(int ms)
{
	for (int i = 0; i < ms / 5; i++)
		loop_run_once(L, 5);
}

static struct node *make_node(const char *alias, bool oracle, const char *trust, struct bus **bus)
{
	char *dir = paths_join(tap_tmpdir(), alias);
	const char *allow[] = {ME.addr};
	const char *oracles[] = {trust};
	struct node_config cfg = {
	    .alias = alias,
	    .data_dir = dir,
	    .oracle = oracle,
	    .secured = true,
	    .heartbeat_ms = 10000,
	    .netmon_send_ms = 5000,
	    .allow = allow,
	    .n_allow = 1,
	    .oracles = trust ? oracles : NULL,
	    .n_oracles = trust ? 1 : 0,
	};
	struct node *n = NULL;
	char *why = NULL;
	if (bus_local_new(H, alias, bus, &why) || node_new(L, *bus, &cfg, NULL, &n, &why) ||
	    node_start(n, &why))
		tap_bail("%s: %s", alias, why);
	r1_free(dir);
	return n;
}

static json_t *last_netmon(void)
{
	json_t *found = NULL;
	size_t i;
	json_t *m;
	json_array_foreach(seen, i, m)
	{
		json_t *path = json_object_get(m, K_EE_PAYLOAD_PATH);
		const char *sig = json_string_value(json_array_get(path, 2));
		const char *type = json_string_value(json_object_get(m, K_EE_EVENT_TYPE));
		if (sig && strcmp(sig, SIG_NET_MON_01) == 0 && type && !strcmp(type, EVENT_PAYLOAD))
			found = m;
	}
	return found;
}

static json_t *payload_with(const char *key)
{
	json_t *found = NULL;
	size_t i;
	json_t *m;
	json_array_foreach(seen, i, m) if (json_object_get(m, key)) found = m;
	return found;
}

static struct bus *client;

static void command(const char *node_addr, const char *action, json_t *payload)
{
	static int seq;
	json_t *inner = json_pack("{s:s,s:o}", K_ACTION, action, K_PAYLOAD, payload);
	char *text = json_dumps(inner, JSON_COMPACT);
	json_decref(inner);
	struct buf enc = BUF_INIT;
	cipher_encrypt_single(&ME, node_addr, text, strlen(text), NULL, &enc, NULL);
	free(text);
	char when[40];
	snprintf(when, sizeof(when), "2026-11-27 11:00:00.%06d", ++seq);
	json_t *m = json_pack("{s:b,s:s,s:s,s:s,s:s,s:s}", K_EE_IS_ENCRYPTED, 1,
	                      K_EE_ENCRYPTED_DATA, buf_cstr(&enc), K_EE_ID, node_addr,
	                      K_INITIATOR_ID, "tester", K_SESSION_ID, "s", K_TIME, when);
	buf_release(&enc);
	struct buf wire = BUF_INIT;
	envelope_sign(m, &ME, true, &wire, NULL, NULL);
	json_decref(m);
	char topic[128];
	snprintf(topic, sizeof(topic), "naeural/%s/config", node_addr);
	bus_publish(client, topic, wire.data, wire.len, 2, NULL);
	buf_release(&wire);
	spin(100);
}

static json_t *admin_command(const char *cmd)
{
	return json_pack("{s:s,s:s,s:s,s:{s:{s:s}}}", K_NAME, ADMIN_PIPELINE, K_SIGNATURE,
	                 SIG_UPDATE_MONITOR_01, K_INSTANCE_ID, "UPDATE_MONITOR_01_INST",
	                 K_INSTANCE_CONFIG, K_INSTANCE_COMMAND, "COMMAND", cmd);
}

static void test_admin_commands(struct node *edge)
{
	const char *addr = node_address(edge);
	command(addr, ACT_UPDATE_PIPELINE_INSTANCE, admin_command("GET_WHITELIST"));
	json_t *p = payload_with(K_EE_WHITELIST);
	ok(p != NULL, "GET_WHITELIST answered");
	is_str(json_string_value(json_array_get(json_object_get(p, K_EE_WHITELIST), 0)),
	       addr_strip_prefix(ME.addr), "with authorized_addrs");
	command(addr, ACT_UPDATE_PIPELINE_INSTANCE, admin_command("GET_CONFIG"));
	p = payload_with("CONFIG_STARTUP");
	ok(p != NULL, "GET_CONFIG answered");
	const char *b64 = json_string_value(json_object_get(p, "CONFIG_STARTUP"));
	struct buf text = BUF_INIT;
	ok(b64 && decompress_text(&text, b64, strlen(b64), 1 << 20, NULL) == R1_OK,
	   "CONFIG_STARTUP is compress_text");
	json_t *cs = json_loads(buf_cstr(&text), 0, NULL);
	is_str(json_string_value(json_object_get(cs, "EE_ID")), "edge-1", "with the node's EE_ID");
	json_decref(cs);
	buf_release(&text);
	command(addr, ACT_UPDATE_PIPELINE_INSTANCE, admin_command("GET_PIPELINES"));
	p = payload_with("EE_PIPELINES");
	ok(p != NULL, "GET_PIPELINES answered");
	ok(json_is_true(json_object_get(p, "_DECRYPTED")), "encrypted to the requester");
	ok(json_array_size(json_object_get(p, "EE_PIPELINES")) >= 1, "with the pipelines");
	command(addr, ACT_UPDATE_PIPELINE_INSTANCE, admin_command("SAVE_CONFIG"));

	command(addr, ACT_UPDATE_CONFIG,
	        json_pack("{s:s,s:s,s:[{s:s,s:[{s:s,s:i}]}]}", K_NAME, "health", K_TYPE, "Void",
	                  K_PLUGINS, K_SIGNATURE, "SYSTEM_HEALTH_MONITOR_01", K_INSTANCES,
	                  K_INSTANCE_ID, "h1", K_PROCESS_DELAY, 1));
	spin(300);
	p = payload_with("AVAIL_DISK");
	ok(p != NULL, "SYSTEM_HEALTH_MONITOR_01 reports");
	ok(json_real_value(json_object_get(p, "TOTAL_MEM")) > 0, "memory");
	ok(json_integer_value(json_object_get(p, "CPU_CORES")) >= 1, "cores");
	is_int(json_array_size(json_object_get(p, "LOAD_AVG")), 3, "load averages");
	is_str(json_string_value(json_array_get(json_object_get(p, K_EE_PAYLOAD_PATH), 2)),
	       "SYSTEM_HEALTH_MONITOR_01", "from its instance");
}

int main(void)
{
	r1_alloc_setup_jansson();
	identity_generate(&ME, NULL);
	seen = json_array();
	char *why = NULL;
	if (loop_new(&L, &why) || bus_hub_new(L, 0, NULL, &H, &why))
		tap_bail("%s", why);
	loop_set_speed(L, 10);
	bus_local_new(H, "client", &client, NULL);
	bus_set_delivery(client, on_client, NULL);
	bus_subscribe(client, "naeural/#", 2, NULL);

	struct bus *obus = NULL, *ebus = NULL;
	struct node *oracle = make_node("oracle-1", true, NULL, &obus);
	struct node *edge = make_node("edge-1", false, node_address(oracle), &ebus);
	ok(node_is_oracle(oracle) && !node_is_oracle(edge), "one oracle, one edge node");

	/* heartbeats flow; the oracle's map comes every PROCESS_DELAY (10 s, 1 s here) */
	spin(1600);
	struct node_stats st;
	node_get_stats(oracle, &st);
	is_int(st.known_nodes, 2, "the oracle knows both nodes (itself included)");
	json_t *net_now = node_network(oracle);
	is_int(json_object_size(net_now), 2, "node_network has both");
	json_decref(net_now);
	json_t *edge_view = node_network(edge);
	is_int(json_object_size(edge_view), 0, "an edge node has no registry of its own");
	json_decref(edge_view);

	json_t *nm = last_netmon();
	ok(nm != NULL, "NET_MON_01 broadcast");
	is_str(json_string_value(json_object_get(nm, K_NETMON_VERSION)), "v2", "v2 wire form");
	ok(json_object_get(nm, K_CURRENT_NETWORK) == NULL, "CURRENT_NETWORK inside ENCODED_DATA");
	is_str(json_string_value(json_object_get(nm, "_TOPIC")), "naeural/payloads",
	       "on naeural/payloads");
	json_t *copy = json_deep_copy(nm);
	netmon_maybe_decode(copy);
	netmon_maybe_convert_whitelist(copy);
	json_t *net = json_object_get(copy, K_CURRENT_NETWORK);
	if (json_object_size(net) != 2) {
		char *d = json_dumps(copy, JSON_COMPACT);
		tap_diag("decoded: %.600s", d);
		free(d);
	}
	is_int(json_object_size(net), 2, "the map has both nodes");
	json_t *e = json_object_get(net, addr_strip_prefix(node_address(edge)));
	ok(e != NULL, "keyed by address without prefix");
	is_str(json_string_value(json_object_get(e, NM_WORKING)), "ONLINE", "edge-1 ONLINE");
	is_str(json_string_value(json_object_get(e, NM_EEID)), "edge-1", "eeid");
	ok(json_is_true(json_object_get(
	       json_object_get(net, addr_strip_prefix(node_address(oracle))), NM_IS_SUPERVISOR)),
	   "the oracle marks itself a supervisor");
	is_str(json_string_value(json_array_get(json_object_get(e, NM_WHITELIST), 0)),
	       addr_strip_prefix(ME.addr), "whitelist restored from WHITELIST_MAP");
	ok(json_is_true(json_object_get(copy, K_IS_SUPERVISOR)), "IS_SUPERVISOR");
	is_str(json_string_value(json_object_get(copy, K_CURRENT_SERVER)), node_address(oracle),
	       "CURRENT_SERVER");
	json_decref(copy);

	/* availability so far of the running epoch */
	int n_hb = 0;
	size_t i;
	json_t *m;
	json_array_foreach(seen, i,
	                   m) if (json_string_value(json_object_get(m, K_EE_EVENT_TYPE)) &&
	                          !strcmp(json_string_value(json_object_get(m, K_EE_EVENT_TYPE)),
	                                  EVENT_HEARTBEAT)) n_hb++;
	ok(n_hb >= 2, "heartbeats seen (%d)", n_hb);
	test_admin_commands(edge);

	node_free(&edge);
	node_free(&oracle);
	spin(20);
	bus_free(&ebus);
	bus_free(&obus);
	bus_free(&client);
	bus_hub_free(&H);
	loop_free(&L);
	json_decref(seen);
	return tap_done();
}
