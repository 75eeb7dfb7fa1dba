/*
 * netmap: heartbeats (the SDK's decoded views from heartbeat.jsonl),
 * NET_MON_01 maps from trusted and untrusted reporters, NetConfig replies,
 * online/offline transitions with injected time, the peered rule, restore
 * from the cache as stale, availability counting, hostile strings, and
 * 100,000 nodes.
 */
#include "core/lib.h"
#include "core/netmap.h"
#include "core/proto.h"
#include "tests/tap.h"

static const char *const K0 = "0xai_AmksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8"; /* us */
static const char *const K1 = "0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN"; /* node */
static const char *const K2 = "0xai_A-4c9iEg0NInyQDnMeifin2zlWtlIAb8cTjc3bnyjs_r"; /* oracle */

/* Events seen, by type, and the last one. */
struct seen {
	int count[NM_EV_HEARTBEAT + 1];
	unsigned last_changed;
	const struct nm_node *last_node;
	int64_t last_epoch;
	int last_avail;
};

static void observer(void *ctx, const struct nm_event *ev)
{
	struct seen *s = ctx;
	s->count[ev->type]++;
	s->last_node = ev->node;
	if (ev->type == NM_EV_NODE_CHANGED)
		s->last_changed = ev->changed;
	if (ev->type == NM_EV_EPOCH_CLOSED) {
		s->last_epoch = ev->epoch;
		s->last_avail = ev->avail;
	}
}

/* A field of a vector row of heartbeat.jsonl, as a new reference. */
static json_t *vector(const char *id, const char *field)
{
	char *path = tap_vector_path("heartbeat.jsonl");
	size_t n = 0;
	char **lines = tap_read_lines(path, &n);
	json_t *out = NULL;
	for (size_t i = 0; i < n && !out; i++) {
		json_t *row = json_loads(lines[i], 0, NULL);
		if (row && strcmp(json_string_value(json_object_get(row, "id")), id) == 0)
			out = json_incref(json_object_get(row, field));
		json_decref(row);
	}
	tap_free_lines(lines);
	free(path);
	if (!out)
		tap_bail("vector %s.%s missing", id, field);
	return out;
}

static struct netmap *make(const char *self, const char *const *oracles, size_t n, bool any)
{
	struct netmap_options o = {
	    .self_addr = self, .oracles = oracles, .n_oracles = n, .trust_any_oracle = any};
	struct netmap *nm = NULL;
	char *why = NULL;
	if (netmap_new(&o, &nm, &why))
		tap_bail("netmap_new: %s", why);
	return nm;
}

static void test_degenerate(void)
{
	struct netmap *nm = NULL;
	char *why = NULL;
	struct netmap_options o = {.self_addr = "0xai_nope"};
	is_int(netmap_new(&o, &nm, &why), R1_ERR_INVAL, "bad self address refused");
	ok(nm == NULL, "nothing created");
	const char *bad_oracles[] = {"not-an-address"};
	o = (struct netmap_options){.oracles = bad_oracles, .n_oracles = 1};
	is_int(netmap_new(&o, &nm, &why), R1_ERR_INVAL, "bad oracle address refused");
	ok(why && strstr(why, "not-an-address"), "reason names it: %s", why);

	nm = make(K0, NULL, 0, false);
	is_int(netmap_count(nm), 0, "empty map");
	ok(netmap_find_addr(nm, K1) == NULL, "unknown address");
	ok(netmap_find_addr(nm, NULL) == NULL, "NULL address");
	const struct nm_node *n = NULL;
	is_int(netmap_resolve(nm, "x", &n, &why), R1_ERR_NOTFOUND, "resolve unknown");
	is_int(netmap_resolve(nm, "", &n, &why), R1_ERR_INVAL, "resolve empty");
	json_t *arr = json_array();
	is_int(netmap_on_heartbeat(nm, K1, arr, 1000, 0, &why), R1_ERR_INVAL,
	       "heartbeat body not an object");
	json_t *obj = json_object();
	is_int(netmap_on_heartbeat(nm, "0xai_short", obj, 1000, 0, &why), R1_ERR_INVAL,
	       "heartbeat from a bad sender");
	is_int(netmap_on_heartbeat(nm, NULL, obj, 1000, 0, &why), R1_ERR_INVAL, "NULL sender");
	is_int(netmap_on_netmon(nm, K2, obj, 1000, &why), R1_ERR_AUTH,
	       "map from an unconfigured oracle");
	is_int(netmap_on_netconfig(nm, K1, obj, 1000, &why), R1_ERR_INVAL, "empty NetConfig");
	is_int(netmap_count(nm), 0, "still empty");
	is_int(netmap_get_stats(nm)->rejected, 4, "rejections counted");
	json_decref(arr);
	json_decref(obj);
	netmap_free(&nm);
	ok(nm == NULL, "free NULLs the pointer");
	netmap_free(&nm);
	r1_free(why);
}

static void test_heartbeat(void)
{
	struct netmap *nm = make(K0, NULL, 0, false);
	struct seen s = {0};
	is_int(netmap_observe(nm, observer, &s), R1_OK, "observe");
	json_t *hb = vector("A-hb-001", "sdk_session_view");
	char *why = NULL;
	int64_t t0 = 1800000000000; /* ms */
	is_int(netmap_on_heartbeat(nm, K1, hb, t0, 0, &why), R1_OK, "v2 heartbeat view applied");
	is_int(s.count[NM_EV_NODE_NEW], 1, "NODE_NEW event");
	is_int(s.count[NM_EV_NODE_ONLINE], 1, "NODE_ONLINE event");
	is_int(s.count[NM_EV_NODE_CHANGED], 0, "no CHANGED for a new node");
	const struct nm_node *n = netmap_find_addr(nm, K1);
	ok(n != NULL, "node found by address");
	ok(netmap_find_addr(nm, K1 + 5) == n, "found without the prefix");
	is_str(n->info.addr, K1, "address");
	is_str(n->info.eth, "0xEfA35469bB3609f89b32Ce7Db15A35d6ec8BdBB4",
	       "ETH computed from the key");
	is_str(n->info.alias, "vec-node-a", "alias from EE_ID");
	is_str(n->info.version, "2.10.370", "first token of VERSION");
	is_str(n->info.status, "ONLINE", "DEVICE_STATUS");
	is_str(n->info.zone, "UTC+0", "zone from EE_TIMEZONE");
	is_str(n->info.tags, "CT=RO,REG=EU", "EE_NT_* tags");
	is_str(n->info.r1fs_id, "12D3KooWVectorPeerIdForTestsOnly0000000000000000", "R1FS_ID");
	is_str(n->info.comm_relay, "127.0.0.1", "COMM_RELAY");
	ok(n->info.secured && !n->info.oracle && !n->info.r1fs_online, "flags");
	is_int(n->info.cpu_cores, 8, "cores");
	ok(n->info.cpu_used == 12.5f && n->info.mem_total == 31.27f && n->info.mem_avail == 24.5f &&
	       n->info.disk_total == 250.0f && n->info.disk_avail == 120.5f,
	   "resources");
	is_int(n->info.gpu_count, 0, "GPUS as a string means none");
	ok(n->info.uptime_s == 3600.25, "uptime");
	is_int(n->n_whitelist, 2, "whitelist of two");
	ok(n->peered, "peered: our address is in its whitelist");
	ok(n->online && !n->stale && !n->self, "online, fresh, not us");
	is_int(n->info.last_seen_ms, t0, "last seen now");
	is_int(netmap_online_count(nm), 1, "one online");

	/* online to offline with injected time, 60 s rule */
	netmap_tick(nm, t0 + 60000);
	ok(n->online, "still online at exactly 60 s");
	netmap_tick(nm, t0 + 60001);
	ok(!n->online, "offline after 60 s");
	is_int(s.count[NM_EV_NODE_LOST], 1, "NODE_LOST event");
	is_int(netmap_online_count(nm), 0, "none online");
	netmap_tick(nm, t0 + 70000);
	is_int(s.count[NM_EV_NODE_LOST], 1, "LOST only once");

	/* back, with a changed whitelist (no longer allows us) */
	json_t *hb2 = vector("A-hb-002", "sdk_session_view");
	json_t *wl = json_array();
	json_array_append_new(wl, json_string(K2 + 5));
	json_object_set_new(hb2, "EE_WHITELIST", wl);
	json_object_set_new(hb2, "EE_ID", json_string("renamed"));
	is_int(netmap_on_heartbeat(nm, K1, hb2, t0 + 80000, 0, &why), R1_OK, "heartbeat again");
	is_int(s.count[NM_EV_NODE_ONLINE], 2, "ONLINE again");
	ok(s.last_changed & NM_CHG_PEERED, "CHANGED says peered changed");
	ok(s.last_changed & NM_CHG_ALIAS, "CHANGED says alias changed");
	ok(!n->peered, "secured node without us: not peered");
	const struct nm_node *hits[2];
	is_int(netmap_find_alias(nm, "vec-node-a", hits, 2), 0, "old alias gone from the index");
	is_int(netmap_find_alias(nm, "renamed", hits, 2), 1, "new alias indexed");

	/* unsecured nodes are peered whatever their whitelist */
	json_object_set_new(hb2, "SECURED", json_false());
	is_int(netmap_on_heartbeat(nm, K1, hb2, t0 + 90000, 0, &why), R1_OK, "unsecured heartbeat");
	ok(n->peered, "unsecured: peered");

	/* our own node is always peered */
	json_object_set_new(hb2, "SECURED", json_true());
	is_int(netmap_on_heartbeat(nm, K0, hb2, t0 + 90000, 0, &why), R1_OK, "heartbeat from us");
	const struct nm_node *me = netmap_find_addr(nm, K0);
	ok(me->self && me->peered, "self is peered");

	/* resolve by alias, address, ETH; ambiguous alias */
	const struct nm_node *r = NULL;
	is_int(netmap_resolve(nm, "0xEfA35469bB3609f89b32Ce7Db15A35d6ec8BdBB4", &r, &why), R1_OK,
	       "resolve ETH address");
	ok(r == n, "ETH resolves to the node");
	is_int(netmap_resolve(nm, "renamed", &r, &why), R1_ERR_EXISTS, "two nodes share an alias");
	ok(why && strstr(why, "names 2 nodes"), "ambiguity explained: %s", why);
	is_int(netmap_resolve(nm, K1 + 5, &r, &why), R1_OK, "resolve bare address");

	netmap_unobserve(nm, observer, &s);
	int before = s.count[NM_EV_NODE_CHANGED];
	is_int(netmap_on_heartbeat(nm, K1, hb2, t0 + 95000, 0, &why), R1_OK, "unobserved update");
	is_int(s.count[NM_EV_NODE_CHANGED], before, "no events after unobserve");
	json_decref(hb);
	json_decref(hb2);
	netmap_free(&nm);
	r1_free(why);
}

static void test_netmon(void)
{
	const char *oracles[] = {K2};
	struct netmap *nm = make(K0, oracles, 1, false);
	struct seen s = {0};
	netmap_observe(nm, observer, &s);
	json_t *map = vector("A-hb-004", "after_maybe_convert_netmon_whitelist");
	char *why = NULL;
	int64_t t0 = 1800000000000;

	/* an untrusted reporter (K1 pretending) changes nothing */
	is_int(netmap_on_netmon(nm, K1, map, t0, &why), R1_ERR_AUTH, "untrusted reporter ignored");
	is_int(netmap_count(nm), 0, "no nodes from an untrusted map");
	is_int(netmap_get_stats(nm)->netmons_untrusted, 1, "counted");
	int ui = netmap_oracle_index(nm, K1);
	ok(ui >= 0 && !netmap_oracle_at(nm, (size_t)ui)->trusted &&
	       netmap_oracle_at(nm, (size_t)ui)->rejected == 1,
	   "untrusted reporter listed with its rejection");

	is_int(netmap_on_netmon(nm, K2, map, t0, &why), R1_OK, "trusted oracle map applied");
	is_int(netmap_count(nm), 2, "two nodes from the map");
	is_int(s.count[NM_EV_ORACLE_REPORT], 1, "ORACLE_REPORT event");
	const struct nm_node *a = netmap_find_addr(nm, K1);
	const struct nm_node *o = netmap_find_addr(nm, K2);
	ok(a && o, "both nodes present");
	is_str(a->info.alias, "vec-node-a", "alias from eeid");
	ok(a->online, "ONLINE in the map: online");
	is_int(a->info.last_seen_ms, t0 - 2000, "last seen from last_seen_sec");
	ok(a->peered, "peered: our address in the converted whitelist");
	ok(o->info.oracle && o->trusted_oracle, "oracle flagged and trusted");
	ok(!o->peered, "oracle's whitelist lacks us and it is secured");
	ok(a->info.uptime_s == 3600.0, "uptime string parsed");
	json_object_set_new(json_object_get(json_object_get(map, "CURRENT_NETWORK"), K2 + 5),
	                    "uptime", json_string("1 day, 2:03:04"));
	is_str(a->info.tags, "REG=EU", "tags dict");
	int oi = netmap_oracle_index(nm, K2);
	ok(oi >= 0 && (a->reporters & (1u << oi)), "reporter bit set");
	const struct nm_oracle *orc = netmap_oracle_at(nm, (size_t)oi);
	is_int(orc->nodes_reported, 2, "oracle reported two nodes");
	is_str(orc->alias, "vec-oracle-a", "oracle alias from EE_ID");

	/* a fresh heartbeat of its own wins over the oracle's hearsay */
	json_t *hb = vector("A-hb-001", "sdk_session_view");
	json_object_set_new(hb, "EE_ID", json_string("from-hb"));
	is_int(netmap_on_heartbeat(nm, K1, hb, t0 + 1000, 0, &why), R1_OK, "own heartbeat");
	is_int(netmap_on_netmon(nm, K2, map, t0 + 2000, &why), R1_OK, "map again");
	is_str(a->info.alias, "from-hb", "alias from the heartbeat kept");
	ok(a->info.uptime_s == 3600.25, "uptime from the heartbeat kept too");
	ok(o->info.uptime_s == 93784.0, "timedelta uptime text parsed: %f", o->info.uptime_s);

	/* LOST STATUS in a map does not refresh last seen */
	json_t *net = json_object_get(map, "CURRENT_NETWORK");
	json_object_set_new(json_object_get(net, K2 + 5), "working", json_string("LOST STATUS"));
	netmap_tick(nm, t0 + 60000);
	ok(o->online, "oracle still online 60 s after the last map's report");
	is_int(netmap_on_netmon(nm, K2, map, t0 + 70000, &why), R1_OK, "map with a lost node");
	netmap_tick(nm, t0 + 70000);
	ok(!o->online, "a node the oracle calls lost goes offline");
	is_str(o->info.status, "LOST STATUS", "status from working");

	/* trust-any: the SDK behaviour with no oracle configured */
	struct netmap *nm2 = make(K0, NULL, 0, true);
	is_int(netmap_on_netmon(nm2, K2, map, t0, &why), R1_OK, "trust_any: supervisor accepted");
	json_object_set_new(map, "IS_SUPERVISOR", json_false());
	is_int(netmap_on_netmon(nm2, K1, map, t0, &why), R1_ERR_AUTH,
	       "trust_any: non-supervisor still refused");
	netmap_free(&nm2);

	json_t *bad = json_pack("{s:s}", "CURRENT_NETWORK", "nope");
	is_int(netmap_on_netmon(nm, K2, bad, t0, &why), R1_ERR_INVAL, "CURRENT_NETWORK not a dict");
	json_decref(bad);
	bad = json_pack("{s:{s:i,s:{s:s},s:{s:s,s:s}}}", "CURRENT_NETWORK", "x", 1, "y", "address",
	                "junk", "z", "address", K1, "eeid", "\x1b[31mred\x07");
	is_int(netmap_on_netmon(nm, K2, bad, t0 + 3000, &why), R1_OK, "map with bad entries");
	ok(netmap_get_stats(nm)->entries_skipped >= 2, "bad entries skipped");
	json_decref(bad);
	json_decref(hb);
	json_decref(map);
	netmap_free(&nm);
	r1_free(why);
}

static void test_netconfig(void)
{
	struct netmap *nm = make(K0, NULL, 0, false);
	struct seen s = {0};
	netmap_observe(nm, observer, &s);
	char *why = NULL;
	json_t *data =
	    json_pack("{s:s,s:s,s:[{s:s,s:s,s:s,s:s,s:[{s:s,s:[{s:s,s:i},{s:s}]},{s:[]}]},{s:s},"
	              "{s:s,s:s}],s:[{s:s,s:s,s:s,s:s}]}",
	              "OP", "SET_CONFIG", "DEST", K0, "PIPELINES", "NAME", "app1", "TYPE", "Void",
	              "INITIATOR_ID", "ops", "INITIATOR_ADDR", K0, "PLUGINS", "SIGNATURE", "SIG_A",
	              "INSTANCES", "INSTANCE_ID", "i1", "PROCESS_DELAY", 5, "INSTANCE_ID", "i2",
	              "INSTANCES", "NAME", "", "NAME", "admin_pipeline", "TYPE", "NetworkListener",
	              "PLUGIN_STATUSES", "STREAM_ID", "app1", "SIGNATURE", "SIG_A", "INSTANCE_ID",
	              "i1", "INIT_TIMESTAMP", "2026-11-27 10:00:00.000000");
	is_int(netmap_on_netconfig(nm, K1, data, 1000, &why), R1_ERR_NOTFOUND,
	       "SET_CONFIG from an unknown node refused");
	json_t *hb = vector("A-hb-001", "sdk_session_view");
	netmap_on_heartbeat(nm, K1, hb, 1000, 0, &why);
	is_int(netmap_on_netconfig(nm, K1, data, 2000, &why), R1_OK, "SET_CONFIG applied");
	const struct nm_node *n = netmap_find_addr(nm, K1);
	is_int(n->n_pipelines, 2, "two pipelines (the nameless one skipped)");
	const struct nm_pipeline *p = &n->pipelines[0];
	is_str(p->name, "app1", "pipeline name");
	is_str(p->type, "Void", "type");
	is_str(p->owner_alias, "ops", "owner alias");
	is_str(p->owner_addr, K0, "owner address");
	is_int(p->n_instances, 2, "two instances (a plugin without SIGNATURE skipped)");
	is_str(p->instances[0].signature, "SIG_A", "signature");
	is_str(p->instances[1].instance_id, "i2", "instance id");
	ok(p->instances[0].status != NULL, "status matched from PLUGIN_STATUSES");
	ok(p->instances[1].status == NULL, "no status for i2");
	ok(json_integer_value(json_object_get(p->instances[0].config, "PROCESS_DELAY")) == 5,
	   "instance config kept");
	is_int(s.count[NM_EV_PIPELINES_CHANGED], 1, "PIPELINES_CHANGED");
	is_int(netmap_on_netconfig(nm, K1, data, 3000, &why), R1_OK, "same SET_CONFIG again");
	is_int(s.count[NM_EV_PIPELINES_CHANGED], 1, "no event when nothing changed");
	json_object_set_new(data, "OP", json_string("GET_CONFIG"));
	is_int(netmap_on_netconfig(nm, K1, data, 3000, &why), R1_ERR_INVAL, "GET_CONFIG refused");
	json_object_set_new(data, "OP", json_string("SET_CONFIG"));
	json_array_clear(json_object_get(data, "PIPELINES"));
	is_int(netmap_on_netconfig(nm, K1, data, 4000, &why), R1_OK, "empty list");
	is_int(n->n_pipelines, 0, "pipelines cleared");
	is_int(s.count[NM_EV_PIPELINES_CHANGED], 2, "change event");
	json_decref(data);
	json_decref(hb);
	netmap_free(&nm);
	r1_free(why);
}

static void test_restore(void)
{
	struct netmap *nm = make(K0, NULL, 0, false);
	struct seen s = {0};
	netmap_observe(nm, observer, &s);
	struct nm_node_info in;
	memset(&in, 0, sizeof(in));
	snprintf(in.addr, sizeof(in.addr), "%s", K1);
	snprintf(in.alias, sizeof(in.alias), "cached\x01");
	in.secured = true;
	in.last_seen_ms = 5000;
	in.first_seen_ms = 100;
	uint8_t wl[1][R1_PUB_LEN];
	ok(netmap_addr_key(K0, strlen(K0), wl[0]), "decode our key");
	const struct nm_node *n = NULL;
	char *why = NULL;
	is_int(netmap_restore(nm, &in, (const uint8_t(*)[R1_PUB_LEN])wl, 1, &n, &why), R1_OK,
	       "restore");
	ok(n && n->stale && !n->online, "restored node is stale and offline");
	ok(n->peered, "peered recomputed from the cached whitelist");
	is_str(n->info.alias, "cached", "cached strings sanitised again");
	is_str(n->info.eth, "0xEfA35469bB3609f89b32Ce7Db15A35d6ec8BdBB4", "ETH recomputed");
	is_int(s.count[NM_EV_NODE_NEW], 1, "NEW event for a restored node");
	is_int(netmap_restore(nm, &in, NULL, 0, &n, &why), R1_ERR_EXISTS, "restore twice");
	netmap_tick(nm, 6000);
	ok(!n->online, "a stale node stays offline on tick");
	json_t *hb = vector("A-hb-001", "sdk_session_view");
	is_int(netmap_on_heartbeat(nm, K1, hb, 7000, 0, &why), R1_OK, "heartbeat refreshes");
	ok(!n->stale && n->online, "fresh and online");
	is_int(s.count[NM_EV_NODE_ONLINE], 1, "ONLINE event");
	ok(s.last_changed & NM_CHG_STATUS, "CHANGED says status (stale cleared)");
	json_decref(hb);
	snprintf(in.addr, sizeof(in.addr), "garbage");
	is_int(netmap_restore(nm, &in, NULL, 0, &n, &why), R1_ERR_INVAL, "bad cached address");
	netmap_free(&nm);
	r1_free(why);
}

static void test_hostile(void)
{
	struct netmap *nm = make(K0, NULL, 0, false);
	char *why = NULL;
	char longalias[200];
	memset(longalias, 'x', sizeof(longalias));
	memcpy(longalias + 29, "\xc8\x99\xc8\x99", 4); /* "șș" across the cut */
	longalias[199] = '\0';
	json_t *hb = json_pack("{s:s,s:s,s:f,s:i,s:[s,i,s],s:b}", "EE_ID", longalias, "VERSION",
	                       "\x1b]0;pwn\x07 | x", "CPU_USED", -5.0, "CPU_NR_CORES", 1 << 20,
	                       "EE_WHITELIST", "junk", 7, K0 + 5, "SECURED", 1);
	/* jansson's parser refuses bad UTF-8, but the model must not rely on it */
	json_object_set_new(hb, "DEVICE_STATUS", json_string_nocheck("ON\xff\xfeLINE"));
	is_int(netmap_on_heartbeat(nm, K1, hb, 1000, 0, &why), R1_OK, "hostile heartbeat applied");
	const struct nm_node *n = netmap_find_addr(nm, K1);
	is_int(strlen(n->info.alias), 31, "alias cut on a character boundary");
	ok(strncmp(n->info.alias + 29, "\xc8\x99", 2) == 0, "whole character kept");
	is_str(n->info.version, "", "an escape sequence is removed whole");
	is_str(n->info.status, "ON\xef\xbf\xbd\xef\xbf\xbdLINE", "invalid UTF-8 replaced");
	ok(n->info.cpu_used == 0, "negative CPU refused");
	is_int(n->info.cpu_cores, 0, "absurd core count refused");
	is_int(n->n_whitelist, 1, "bad whitelist entries skipped");
	ok(n->peered, "the good entry counts");
	json_decref(hb);

	/* node cap */
	netmap_free(&nm);
	struct netmap_options o = {.max_nodes = 1};
	netmap_new(&o, &nm, &why);
	hb = json_object();
	is_int(netmap_on_heartbeat(nm, K1, hb, 1, 0, &why), R1_OK, "first node");
	is_int(netmap_on_heartbeat(nm, K2, hb, 1, 0, &why), R1_ERR_TOOBIG, "cap reached");
	is_int(netmap_on_heartbeat(nm, K1, hb, 2, 0, &why), R1_OK, "known node still updates");
	json_decref(hb);
	netmap_free(&nm);
	r1_free(why);
}

static void test_availability(void)
{
	struct epoch_params ep;
	epoch_params_for(&ep, EPOCH_NET_MAINNET);
	ep.genesis_us = INT64_C(1000000) * 1000000;
	struct netmap_options o = {.epochs = &ep};
	struct netmap *nm = NULL;
	char *why = NULL;
	netmap_new(&o, &nm, &why);
	struct seen s = {0};
	netmap_observe(nm, observer, &s);
	json_t *hb = json_object();
	int64_t S = 1000000;                          /* us per s */
	int64_t t0 = (1000000 + 86400 * 3 + 100) * S; /* inside epoch 3 */
	is_int(netmap_epoch_of(nm, t0), 3, "epoch id");
	is_int(netmap_epoch_of(nm, 999999 * S), 0, "just before genesis is epoch 0, as the SDK");
	/* one hour of 10 s heartbeats, a 30 s gap, then ten more minutes */
	int64_t t = t0;
	for (int i = 0; i < 360; i++, t += 10 * S)
		netmap_on_heartbeat(nm, K1, hb, t / 1000, t, &why);
	t += 20 * S; /* a gap of 30 s ends the run */
	for (int i = 0; i < 61; i++, t += 10 * S)
		netmap_on_heartbeat(nm, K1, hb, t / 1000, t, &why);
	netmap_on_heartbeat(nm, K1, hb, t / 1000, t - 10 * S, &why); /* duplicate */
	const struct nm_node *n = netmap_find_addr(nm, K1);
	/* runs: 3590 s + 600 s = 4190 s; round(round(4190/86400, 4) * 255) = round(0.0485*255) */
	is_int(netmap_node_avail(nm, n, 3), 12, "running availability of the current epoch");
	is_int(netmap_node_avail(nm, n, 2), -1, "an epoch we did not see");
	netmap_tick(nm, (1000000 + 86400 * 4 + 5) * 1000);
	is_int(s.count[NM_EV_EPOCH_CLOSED], 1, "epoch closed on tick");
	is_int(s.last_epoch, 3, "closed epoch id");
	is_int(s.last_avail, 12, "closed value");
	is_int(netmap_node_avail(nm, n, 3), 12, "kept in history");
	/* a heartbeat stamped in an old epoch is not counted */
	int64_t now4 = (1000000 + 86400 * 4 + 50) * S;
	netmap_on_heartbeat(nm, K1, hb, now4 / 1000, t0, &why);
	is_int(netmap_node_avail(nm, n, 4), 0, "old-epoch heartbeat not counted in epoch 4");
	json_decref(hb);
	netmap_free(&nm);
	r1_free(why);
}

static void test_many(void)
{
	struct netmap *nm = make(K0, NULL, 0, false);
	json_t *hb =
	    json_pack("{s:s,s:b,s:[s]}", "EE_ID", "", "SECURED", 1, "EE_WHITELIST", K0 + 5);
	char *why = NULL;
	enum { N = 100000 };
	uint8_t pub[R1_PUB_LEN];
	char addr[R1_ADDR_LEN + 1];
	int bad = 0;
	for (uint32_t i = 0; i < N; i++) {
		pub[0] = 0x02;
		for (int b = 1; b < R1_PUB_LEN; b++)
			pub[b] = (uint8_t)((i * 2654435761u) >> ((b % 4) * 8)) ^ (uint8_t)b;
		memcpy(pub + 1, &i, sizeof(i));
		addr_format(pub, addr);
		char alias[32];
		snprintf(alias, sizeof(alias), "n-%u", i % 50000);
		json_object_set_new(hb, "EE_ID", json_string(alias));
		if (netmap_on_heartbeat(nm, addr, hb, 1000 + i, 0, &why))
			bad++;
	}
	is_int(bad, 0, "100,000 heartbeats applied");
	ok(sizeof(struct nm_node) < 1024, "a node record is under 1 KiB: %zu bytes",
	   sizeof(struct nm_node));
	is_int(netmap_count(nm), N, "100,000 nodes");
	is_int(netmap_online_count(nm), N, "all online");
	int found = 0;
	for (uint32_t i = 0; i < N; i += 997) {
		pub[0] = 0x02;
		for (int b = 1; b < R1_PUB_LEN; b++)
			pub[b] = (uint8_t)((i * 2654435761u) >> ((b % 4) * 8)) ^ (uint8_t)b;
		memcpy(pub + 1, &i, sizeof(i));
		const struct nm_node *n = netmap_find_pub(nm, pub);
		found += n && n->index == i && n->peered;
	}
	is_int(found, (N + 996) / 997, "sampled nodes found by key, peered");
	const struct nm_node *hits[4];
	is_int(netmap_find_alias(nm, "n-123", hits, 4), 2, "alias index: two nodes per alias");
	ok(hits[0]->index == 123 && hits[1]->index == 50123, "oldest first");
	netmap_tick(nm, 1000 + N + 60000);
	is_int(netmap_online_count(nm), 0, "all offline after the timeout");
	json_decref(hb);
	netmap_free(&nm);
	r1_free(why);
}

int main(void)
{
	r1_alloc_setup_jansson();
	test_degenerate();
	test_heartbeat();
	test_netmon();
	test_netconfig();
	test_restore();
	test_hostile();
	test_availability();
	test_many();
	return tap_done();
}
