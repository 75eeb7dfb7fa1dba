/*
 * NET_CONFIG_MONITOR, pipeline config exchange (net_config_monitor.py).
 * Every node runs it: an encrypted GET_CONFIG addressed to this node from a
 * sender in authorized_addrs is answered with an encrypted SET_CONFIG to
 * that sender (PIPELINES: every pipeline config, PLUGIN_STATUSES: the
 * ACTIVE_PLUGINS entries), published on <root>/<sender>/payloads.  This is
 * how `r1ctl get apps` and an SDK session learn what runs here.
 * Unencrypted requests, requests for other nodes and requests from senders
 * not allowed are dropped and logged.  NET_MON_01 maps are read only from
 * trusted oracles, and only to count the peers that allow this node.
 */
#include "node/lib.h"
#include "node/nodepriv.h"
#include "node/plugin.h"
#include "core/netmon.h"
#include "core/proto.h"

#include <strings.h>

struct ncm_state {
	uint64_t requests_served, requests_refused, netmon_trusted, netmon_ignored;
	size_t peers_allowing_us;
};

static const char defaults[] = "{\"ALLOW_EMPTY_INPUTS\": false, \"PROCESS_DELAY\": 0,"
                               " \"PLUGIN_LOOP_RESOLUTION\": 50, \"MAX_INPUTS_QUEUE_SIZE\": 1024}";

static enum r1_err ncm_init(struct plugin_instance *pi, void **state, char **why)
{
	struct ncm_state *s = r1_calloc(1, sizeof(*s));
	if (!s)
		return r1_fail(why, R1_ERR_NOMEM, "NET_CONFIG_MONITOR: out of memory");
	*state = s;
	return R1_OK;
}

static const char *path_signature(const json_t *payload)
{
	return json_string_value(json_array_get(json_object_get(payload, K_EE_PAYLOAD_PATH), 2));
}

static bool dest_has(const json_t *dest, const char *addr)
{
	if (json_is_string(dest))
		return addr_same(json_string_value(dest), addr);
	size_t i;
	json_t *d;
	json_array_foreach(dest, i, d) if (json_is_string(d) &&
	                                   addr_same(json_string_value(d), addr)) return true;
	return false;
}

static enum r1_err handle_netconfig(struct plugin_instance *pi, struct ncm_state *s,
                                    const json_t *p, char **why)
{
	struct node *n = plugin_node(pi);
	const char *sender = json_string_value(json_object_get(p, K_EE_SENDER));
	if (!dest_has(json_object_get(p, K_EE_DEST), n->id.addr) || !sender)
		return R1_OK; /* for another node */
	json_t *data = json_object_get(p, K_NET_CONFIG_DATA);
	if (!json_is_true(json_object_get(p, K_EE_IS_ENCRYPTED)) || !json_is_object(data)) {
		LOG_W(plugin_log(pi), "netconfig", "%s: unencrypted NET_CONFIG from %s dropped",
		      n->alias, sender);
		return R1_OK;
	}
	const char *op = json_string_value(json_object_get(data, K_OP));
	if (!op || strcmp(op, NET_CONFIG_GET) != 0)
		return R1_OK; /* SET_CONFIG from peers: we do not keep their configs */
	if (!allowlist_contains(n->allow, sender)) {
		s->requests_refused++;
		LOG_W(plugin_log(pi), "netconfig", "%s: %s is not allowed to request my pipelines",
		      n->alias, sender);
		return R1_OK;
	}
	json_t *fields = json_pack("{s:{s:s,s:s,s:o,s:o}}", K_NET_CONFIG_DATA, K_OP, NET_CONFIG_SET,
	                           K_DEST, sender, K_PIPELINES, node_pipeline_configs(n),
	                           K_PLUGIN_STATUSES, pluginhost_active_plugins(n->host));
	json_t *dest = json_string(sender);
	enum r1_err e = plugin_emit_encrypted(pi, dest, fields, why);
	json_decref(dest);
	if (!e) {
		s->requests_served++;
		LOG_I(plugin_log(pi), "netconfig", "%s: SET_CONFIG sent to %s", n->alias, sender);
	}
	return e;
}

static void handle_netmon(struct plugin_instance *pi, struct ncm_state *s, const json_t *in)
{
	struct node *n = plugin_node(pi);
	const char *sender = json_string_value(json_object_get(in, K_EE_SENDER));
	if (!node_trusts_oracle(n, sender) || !json_is_true(json_object_get(in, K_IS_SUPERVISOR))) {
		/* v2 payloads keep IS_SUPERVISOR inside the body: decode first */
		json_t *copy = json_deep_copy((json_t *)in);
		netmon_maybe_decode(copy);
		bool sup = json_is_true(json_object_get(copy, K_IS_SUPERVISOR));
		json_decref(copy);
		if (!node_trusts_oracle(n, sender) || !sup) {
			s->netmon_ignored++;
			return;
		}
	}
	json_t *p = json_deep_copy((json_t *)in);
	netmon_maybe_decode(p);
	netmon_maybe_convert_whitelist(p);
	json_t *net = json_object_get(p, K_CURRENT_NETWORK);
	size_t allowing = 0;
	const char *k;
	json_t *v;
	json_object_foreach(net, k, v)
	{
		json_t *wl = json_object_get(v, NM_WHITELIST);
		size_t i;
		json_t *a;
		json_array_foreach(wl, i, a) if (json_is_string(a) &&
		                                 addr_same(json_string_value(a), n->id.addr))
		    allowing++;
	}
	s->peers_allowing_us = allowing;
	s->netmon_trusted++;
	json_decref(p);
}

static enum r1_err ncm_process(struct plugin_instance *pi, void *state, const json_t *input,
                               char **why)
{
	struct ncm_state *s = state;
	if (!input)
		return R1_OK;
	const char *sig = path_signature(input);
	if (sig && strcasecmp(sig, SIG_NET_CONFIG_MONITOR) == 0)
		return handle_netconfig(pi, s, input, why);
	if (sig && strcasecmp(sig, SIG_NET_MON_01) == 0)
		handle_netmon(pi, s, input);
	return R1_OK;
}

static void ncm_close(struct plugin_instance *pi, void *state)
{
	r1_free(state);
}

const struct plugin_ops plugin_net_config_monitor = {
    .signature = SIG_NET_CONFIG_MONITOR,
    .version = "1.0.0",
    .defaults = defaults,
    .flags = PLUGIN_F_ADMIN,
    .init = ncm_init,
    .process = ncm_process,
    .close = ncm_close,
};
