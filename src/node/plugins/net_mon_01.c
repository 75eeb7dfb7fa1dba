/*
 * NET_MON_01, the network monitor (net_mon_01.py).  On an oracle it
 * broadcasts the network map every SEND_CURRENT_NETWORK_EACH seconds:
 * CURRENT_NETWORK from the oracle's heartbeat registry (online nodes, and
 * the ones this node allows), whitelists compressed into WHITELIST_MAP, the
 * whole payload in the v2 wire form (ENCODED_DATA).  On other nodes it does
 * nothing: their network view comes from the oracles' maps.  Its instance
 * commands ({"node"|"addr": ..., "request": "history"|"last_config"}) answer
 * with what the registry knows.
 */
#include "node/lib.h"
#include "node/nodepriv.h"
#include "node/plugin.h"
#include "core/hash.h"
#include "core/netmon.h"
#include "core/proto.h"
#include "core/clock.h"

struct netmon_state {
	uint64_t last_sent_ms;
	bool sent_once;
	uint64_t send_each_ms;
};

static const char defaults[] = "{\"ALLOW_EMPTY_INPUTS\": true, \"PROCESS_DELAY\": 10,"
                               " \"MAX_INPUTS_QUEUE_SIZE\": 1}";

static enum r1_err nm_init(struct plugin_instance *pi, void **state, char **why)
{
	struct netmon_state *s = r1_calloc(1, sizeof(*s));
	if (!s)
		return r1_fail(why, R1_ERR_NOMEM, "NET_MON_01: out of memory");
	struct node *n = plugin_node(pi);
	if (n && n->netmon_send_ms)
		s->send_each_ms = n->netmon_send_ms;
	else /* EE_NETMON_SEND_CURRENT_NETWORK_EACH=50: 50 // 2 + randint(1, 25) seconds */
		s->send_each_ms = (25 + 1 + random_uniform(24)) * 1000ull;
	*state = s;
	return R1_OK;
}

static json_t *encode_v2(json_t *payload)
{
	json_t *out = NULL;
	if (netmon_maybe_encode(payload, &out, NULL)) {
		json_decref(payload);
		return NULL;
	}
	json_decref(payload);
	return out;
}

static bool allowed_cb(void *ctx, const char *addr)
{
	return node_is_allowed(ctx, addr);
}

static enum r1_err nm_process(struct plugin_instance *pi, void *state, const json_t *input,
                              char **why)
{
	struct netmon_state *s = state;
	struct node *n = plugin_node(pi);
	if (input || !n || !node_netwatch(n))
		return R1_OK; /* other oracles' maps are NET_CONFIG_MONITOR's business */
	uint64_t now = plugin_now_ms(pi);
	if (s->sent_once && now - s->last_sent_ms < s->send_each_ms)
		return R1_OK;
	json_t *net = netwatch_current_network(node_netwatch(n), r1_wall_us(), true, allowed_cb, n);
	if (!net)
		return r1_fail(why, R1_ERR_NOMEM, "NET_MON_01: out of memory");
	json_t *map = NULL;
	if (n->eth) {
		enum r1_err e = netmon_compress_whitelists(net, &map, why);
		if (e) {
			json_decref(net);
			return e;
		}
	} else {
		map = json_object(); /* the reference sends {} when ETH is off */
	}
	s->sent_once = true;
	s->last_sent_ms = now;
	json_t *fields =
	    json_pack("{s:s,s:o,s:{},s:o,s:s,s:s,s:[],s:[],s:b,s:I}", "current_server", n->id.addr,
	              "current_network", net, "current_alerted", "whitelist_map", map, "message",
	              "", "status", "", "current_ranking", "current_new", "is_supervisor", 1,
	              "send_current_network_each", (json_int_t)(s->send_each_ms / 1000));
	return plugin_emit_with(pi, fields, encode_v2, why);
}

static enum r1_err nm_command(struct plugin_instance *pi, void *state, const json_t *data,
                              const json_t *params, char **why)
{
	struct node *n = plugin_node(pi);
	const char *target = NULL, *request = "history";
	json_t *lower = json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)data, k, v)
	{
		char low[64];
		size_t len = strlen(k);
		if (len >= sizeof(low))
			continue;
		for (size_t i = 0; i <= len; i++)
			low[i] = (char)(k[i] >= 'A' && k[i] <= 'Z' ? k[i] - 'A' + 'a' : k[i]);
		json_object_set(lower, low, v);
	}
	target = json_string_value(json_object_get(lower, "addr"));
	if (json_string_value(json_object_get(lower, "request")))
		request = json_string_value(json_object_get(lower, "request"));
	if (!target || !n || !node_netwatch(n)) {
		json_decref(lower);
		return r1_fail(why, R1_ERR_INVAL,
		               "NET_MON_01: request needs an \"addr\" known to this oracle");
	}
	int64_t now = r1_wall_us();
	const char *working = netwatch_working(node_netwatch(n), target, now);
	if (!working) {
		json_decref(lower);
		return r1_fail(why, R1_ERR_NOTFOUND, "NET_MON_01: %s not known", target);
	}
	json_t *fields =
	    json_pack("{s:s,s:s,s:s,s:O}", "request", request, "current_server", n->id.addr,
	              "e2_target_addr", target, "command_params", (json_t *)params);
	if (strcmp(request, "last_config") == 0) {
		json_object_set_new(fields, "e2_pipelines", json_array());
	} else {
		int record = 0;
		double secs = 0;
		int64_t epoch = netwatch_epoch(node_netwatch(n));
		bool have = netwatch_availability(node_netwatch(n), target, epoch, &record, &secs);
		json_object_set_new(fields, "node_history",
		                    json_pack("{s:s,s:I,s:o,s:o}", "working", working, "epoch",
		                              (json_int_t)epoch, "avail_seconds",
		                              have ? json_real(secs) : json_null(), "avail_record",
		                              have ? json_integer(record) : json_null()));
	}
	json_decref(lower);
	return plugin_emit(pi, fields, why);
}

static void nm_close(struct plugin_instance *pi, void *state)
{
	r1_free(state);
}

const struct plugin_ops plugin_net_mon_01 = {
    .signature = SIG_NET_MON_01,
    .version = "1.0.1",
    .defaults = defaults,
    .flags = PLUGIN_F_ADMIN,
    .init = nm_init,
    .process = nm_process,
    .command = nm_command,
    .close = nm_close,
};
