/*
 * The admin_pipeline: created on first start and repaired on every start
 * (config_manager.py::maybe_setup_admin_pipeline).  It is a NetworkListener
 * whose PATH_FILTER lets through only payloads of the admin signatures, and
 * it holds one instance, "<SIG>_INST", of each admin plugin in the table
 * below.  A plugin another module provides (CHAIN_STORE_BASE, R1FS_MANAGER)
 * is one line here and one in plugins/registry.c; rows whose plugin is not
 * built in are skipped, so the table may name them before they exist.
 */
#include "node/nodepriv.h"
#include "core/proto.h"

#include <strings.h>

#define ADMIN_PIPELINE_VER "2.1.1"

/* signature, instance defaults (JSON object text) */
static const struct {
	const char *signature;
	const char *defaults;
} admin_plugins[] = {
    {SIG_NET_MON_01, "{\"PROCESS_DELAY\": 10}"},
    {SIG_NET_CONFIG_MONITOR, "{\"PROCESS_DELAY\": 0}"},
    {SIG_UPDATE_MONITOR_01, "{\"PROCESS_DELAY\": 300}"},
    {SIG_CHAIN_STORE_BASE, "{\"PROCESS_DELAY\": 0}"},
    {SIG_R1FS_MANAGER, "{\"PROCESS_DELAY\": 0}"},
};

/* The admin PATH_FILTER: [null, null, [signatures...], null]. */
static json_t *admin_filter(void)
{
	return json_pack("[n,n,[s,s,s,s,s,s],n]", SIG_UPDATE_MONITOR_01, SIG_NET_MON_01,
	                 SIG_NET_CONFIG_MONITOR, SIG_CHAIN_STORE_BASE, SIG_ORACLE_SYNC_01,
	                 SIG_R1FS_MANAGER);
}

static json_t *instance_template(size_t i)
{
	json_error_t jerr;
	json_t *inst = json_loads(admin_plugins[i].defaults, 0, &jerr);
	if (!inst)
		return NULL;
	char iid[64];
	snprintf(iid, sizeof(iid), "%s" ADMIN_INSTANCE_SUFFIX, admin_plugins[i].signature);
	json_object_set_new(inst, K_INSTANCE_ID, json_string(iid));
	return inst;
}

static json_t *find_plugin(json_t *plugins, const char *sig)
{
	size_t i;
	json_t *p;
	json_array_foreach(plugins, i, p)
	{
		const char *s = json_string_value(json_object_get(p, K_SIGNATURE));
		if (s && strcasecmp(s, sig) == 0)
			return p;
	}
	return NULL;
}

enum r1_err node_admin_setup(struct node *n, char **why)
{
	struct pipeline_rt *cur = node_pipeline_find(n, ADMIN_PIPELINE);
	json_t *config = cur ? json_deep_copy(cur->config) : json_object();
	json_t *filter = admin_filter();
	if (!config || !filter) {
		json_decref(config);
		json_decref(filter);
		return r1_fail(why, R1_ERR_NOMEM, "admin pipeline: out of memory");
	}
	bool changed = !cur;
	const char *type = json_string_value(json_object_get(config, K_TYPE));
	if (!type || strcmp(type, PIPELINE_TYPE_NETWORK_LISTENER) != 0 ||
	    !json_equal(json_object_get(config, K_PATH_FILTER), filter) ||
	    !json_is_array(json_object_get(config, K_PLUGINS)))
		changed = true;
	json_object_set_new(config, K_NAME, json_string(ADMIN_PIPELINE));
	json_object_set_new(config, K_TYPE, json_string(PIPELINE_TYPE_NETWORK_LISTENER));
	json_object_set_new(config, K_PATH_FILTER, filter);
	if (!json_object_get(config, K_MESSAGE_FILTER))
		json_object_set_new(config, K_MESSAGE_FILTER, json_object());
	json_object_set_new(config, "ADMIN_PIPELINE_VER", json_string(ADMIN_PIPELINE_VER));
	if (!json_is_array(json_object_get(config, K_PLUGINS)))
		json_object_set_new(config, K_PLUGINS, json_array());
	json_t *plugins = json_object_get(config, K_PLUGINS);

	for (size_t i = 0; i < R1_ARRAY_LEN(admin_plugins); i++) {
		const char *sig = admin_plugins[i].signature;
		if (!pluginhost_find(n->host, sig))
			continue; /* not built into this node (yet) */
		json_t *tmpl = instance_template(i);
		if (!tmpl)
			continue;
		json_t *p = find_plugin(plugins, sig);
		if (!p) {
			json_array_append_new(
			    plugins, json_pack("{s:s,s:[o]}", K_SIGNATURE, sig, K_INSTANCES, tmpl));
			changed = true;
			continue;
		}
		json_t *insts = json_object_get(p, K_INSTANCES);
		json_t *inst = json_array_get(insts, 0);
		if (!json_is_object(inst)) {
			json_object_set_new(p, K_INSTANCES, json_pack("[o]", tmpl));
			changed = true;
			continue;
		}
		/* the instance id must be <SIG>_INST; missing keys come from the template */
		const char *key;
		json_t *v;
		json_object_foreach(tmpl, key, v)
		{
			json_t *have = json_object_get(inst, key);
			if (!have || (strcmp(key, K_INSTANCE_ID) == 0 && !json_equal(have, v))) {
				json_object_set(inst, key, v);
				changed = true;
			}
		}
		json_decref(tmpl);
	}
	/*
	 * NET_MON_01 looks at the map at most every PROCESS_DELAY seconds, so a
	 * send period shorter than the reference's 10 s (tests, demos) must
	 * shorten the delay too, or the period could not be honoured.
	 */
	json_t *nm = json_array_get(json_object_get(find_plugin(plugins, SIG_NET_MON_01), K_INSTANCES), 0);
	if (json_is_object(nm)) {
		double want = 10.0;
		if (n->netmon_send_ms && n->netmon_send_ms < 10000)
			want = n->netmon_send_ms / 1000.0;
		json_t *have = json_object_get(nm, K_PROCESS_DELAY);
		if (!json_is_number(have) || json_number_value(have) != want) {
			json_object_set_new(nm, K_PROCESS_DELAY, json_real(want));
			changed = true;
		}
	}
	/* drop admin instances of plugins this node does not have (a newer build's) */
	for (size_t i = 0; i < json_array_size(plugins);) {
		const char *sig =
		    json_string_value(json_object_get(json_array_get(plugins, i), K_SIGNATURE));
		if (!pluginhost_find(n->host, sig)) {
			LOG_W(n->log, "node", "%s: admin plugin %s unknown here, removed", n->alias,
			      sig ? sig : "?");
			json_array_remove(plugins, i);
			changed = true;
		} else {
			i++;
		}
	}
	if (!changed) {
		json_decref(config);
		return R1_OK;
	}
	LOG_I(n->log, "node", "%s: admin pipeline %s", n->alias, cur ? "repaired" : "created");
	return node_pipeline_set(n, config, why);
}
