/*
 * The node's running pipelines (see nodepriv.h): each one a config as
 * persisted in node.db plus the plugin instances that run it.  The order of
 * every change is the same: persist first (one transaction), then make the
 * instances match, so that what runs is never ahead of what a restart would
 * run.  NetworkListener pipelines get the payloads their filters accept.
 */
#include "node/nodepriv.h"
#include "node/pipeline.h"
#include "core/proto.h"

#include <strings.h>

struct pipeline_rt *node_pipeline_find(const struct node *n, const char *name)
{
	for (struct pipeline_rt *p = n->pipes; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

void node_pipeline_provenance(const json_t *config, struct provenance *prov)
{
	prov->initiator_id = json_string_value(json_object_get(config, K_INITIATOR_ID));
	prov->initiator_addr = json_string_value(json_object_get(config, K_INITIATOR_ADDR));
	prov->modified_by_id = json_string_value(json_object_get(config, K_MODIFIED_BY_ID));
	prov->modified_by_addr = json_string_value(json_object_get(config, K_MODIFIED_BY_ADDR));
	prov->session_id = json_string_value(json_object_get(config, K_SESSION_ID));
}

static void remove_instance_at(struct node *n, struct pipeline_rt *p, size_t i)
{
	pluginhost_stop(n->host, &p->inst[i]);
	p->inst[i] = p->inst[--p->n];
}

static bool add_instance(struct pipeline_rt *p, struct plugin_instance *pi)
{
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 4;
		struct plugin_instance **v = r1_reallocarray(p->inst, ncap, sizeof(*v));
		if (!v)
			return false;
		p->inst = v;
		p->cap = ncap;
	}
	p->inst[p->n++] = pi;
	return true;
}

/* Start, update and stop instances so that they match p->config. */
static void apply(struct node *n, struct pipeline_rt *p)
{
	struct provenance prov;
	node_pipeline_provenance(p->config, &prov);
	/* stop what the config no longer has */
	for (size_t i = 0; i < p->n;) {
		if (!pipeline_find_instance(p->config, plugin_signature(p->inst[i]),
		                            plugin_instance_id(p->inst[i])))
			remove_instance_at(n, p, i);
		else
			i++;
	}
	size_t i;
	json_t *plugin;
	json_array_foreach(json_object_get(p->config, K_PLUGINS), i, plugin)
	{
		const char *sig = json_string_value(json_object_get(plugin, K_SIGNATURE));
		const struct plugin_ops *ops = pluginhost_find(n->host, sig);
		if (!ops) {
			LOG_E(n->log, "node", "%s: pipeline %s: no plugin %s", n->alias, p->name,
			      sig ? sig : "?");
			continue;
		}
		size_t j;
		json_t *inst;
		json_array_foreach(json_object_get(plugin, K_INSTANCES), j, inst)
		{
			const char *iid = json_string_value(json_object_get(inst, K_INSTANCE_ID));
			if (!iid)
				continue;
			struct plugin_instance *pi = pluginhost_get(n->host, p->name, sig, iid);
			if (pi) {
				pluginhost_update(n->host, pi, inst, &prov);
				continue;
			}
			char *why = NULL;
			if (pluginhost_start(n->host, ops, p->name, inst, &prov, &pi, &why) ||
			    !add_instance(p, pi)) {
				LOG_E(n->log, "node", "%s: cannot start %s/%s/%s: %s", n->alias,
				      p->name, sig, iid, why ? why : "out of memory");
				if (pi)
					pluginhost_stop(n->host, &pi);
			}
			r1_free(why);
		}
	}
}

static void rt_free(struct node *n, struct pipeline_rt *p)
{
	while (p->n)
		remove_instance_at(n, p, p->n - 1);
	r1_free(p->inst);
	json_decref(p->config);
	r1_free(p->name);
	r1_free(p);
}

/* Take the (stolen) config into the runtime list, without persisting. */
static struct pipeline_rt *adopt(struct node *n, json_t *config)
{
	const char *name = json_string_value(json_object_get(config, K_NAME));
	struct pipeline_rt *p = node_pipeline_find(n, name);
	if (!p) {
		p = r1_calloc(1, sizeof(*p));
		if (!p || !(p->name = r1_strdup(name))) {
			r1_free(p);
			json_decref(config);
			return NULL;
		}
		/* keep insertion order: append */
		struct pipeline_rt **pp = &n->pipes;
		while (*pp)
			pp = &(*pp)->next;
		*pp = p;
	}
	json_decref(p->config);
	p->config = config;
	p->admin = strcasecmp(name, ADMIN_PIPELINE) == 0;
	p->listener = pipeline_type_is_listener(json_string_value(json_object_get(config, K_TYPE)));
	return p;
}

enum r1_err node_pipeline_set(struct node *n, json_t *config, char **why)
{
	const char *name = json_string_value(json_object_get(config, K_NAME));
	if (!name || !*name) {
		json_decref(config);
		return r1_fail(why, R1_ERR_INVAL, "pipeline without a NAME");
	}
	char stamp[32];
	node_now_text(stamp);
	json_object_set_new(config, K_LAST_UPDATE_TIME, json_string(stamp));
	enum r1_err e = pipestore_put(n->store, config, why);
	if (e) {
		json_decref(config);
		return e;
	}
	struct pipeline_rt *p = adopt(n, config);
	if (!p)
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	if (n->started && !n->stopped)
		apply(n, p);
	return R1_OK;
}

enum r1_err node_pipeline_remove(struct node *n, const char *name, bool archive, char **why)
{
	struct pipeline_rt **pp = &n->pipes;
	while (*pp && strcmp((*pp)->name, name) != 0)
		pp = &(*pp)->next;
	if (!*pp)
		return r1_fail(why, R1_ERR_NOTFOUND, "no pipeline '%s'", name);
	struct pipeline_rt *p = *pp;
	enum r1_err e = archive ? pipestore_archive(n->store, p->config, why)
	                        : pipestore_delete(n->store, p->name, why);
	if (e)
		return e;
	*pp = p->next;
	rt_free(n, p);
	return R1_OK;
}

enum r1_err node_pipelines_restore(struct node *n, char **why)
{
	json_t *all = NULL;
	size_t bad = 0;
	enum r1_err e = pipestore_load_all(n->store, &all, &bad, why);
	if (e)
		return e;
	if (bad)
		LOG_W(n->log, "node", "%s: %zu unreadable pipeline rows skipped", n->alias, bad);
	size_t i;
	json_t *c;
	json_array_foreach(all, i, c)
	{
		const char *name = json_string_value(json_object_get(c, K_NAME));
		if (strcasecmp(name, ADMIN_PIPELINE) == 0) {
			adopt(n, json_incref(c));
			continue;
		}
		json_t *cleaned = NULL, *warnings = NULL;
		char *reason = NULL;
		if (pipeline_clean(c, n->host, name, &cleaned, &warnings, &reason)) {
			LOG_E(n->log, "node", "%s: stored pipeline %s cannot run: %s", n->alias,
			      name, reason ? reason : "?");
			r1_free(reason);
			continue;
		}
		json_decref(warnings);
		adopt(n, cleaned);
	}
	json_decref(all);
	return R1_OK;
}

void node_pipelines_start(struct node *n)
{
	for (struct pipeline_rt *p = n->pipes; p; p = p->next)
		apply(n, p);
}

void node_pipelines_stop(struct node *n)
{
	for (struct pipeline_rt *p = n->pipes; p; p = p->next)
		while (p->n)
			remove_instance_at(n, p, p->n - 1);
}

void node_pipelines_free(struct node *n)
{
	while (n->pipes) {
		struct pipeline_rt *p = n->pipes;
		n->pipes = p->next;
		rt_free(n, p);
	}
}

void node_pipelines_feed(struct node *n, json_t *payload)
{
	const char *sender = json_string_value(json_object_get(payload, K_EE_SENDER));
	bool from_self = sender && addr_same(sender, n->id.addr);
	/* payloads of a plugin that keeps its inputs to itself go to its instances only */
	const char *sig =
	    json_string_value(json_array_get(json_object_get(payload, K_EE_PAYLOAD_PATH), 2));
	const struct plugin_ops *own = sig ? pluginhost_find(n->host, sig) : NULL;
	if (own && !(own->flags & PLUGIN_F_OWN_INPUTS))
		own = NULL;
	for (struct pipeline_rt *p = n->pipes; p; p = p->next) {
		if (!p->listener || (p->admin && from_self))
			continue;
		if (!pipeline_listener_accepts(p->config, payload, n->id.addr))
			continue;
		for (size_t i = 0; i < p->n; i++)
			if (!own || strcasecmp(plugin_signature(p->inst[i]), own->signature) == 0)
				pluginhost_push_input(n->host, p->inst[i], payload);
	}
}

void node_pipeline_save_instance(struct node *n, const char *stream, const char *signature,
                                 const char *instance_id, const json_t *kv)
{
	struct pipeline_rt *p = node_pipeline_find(n, stream);
	if (!p)
		return;
	json_t *config = json_deep_copy(p->config);
	json_t *inst = pipeline_find_instance(config, signature, instance_id);
	if (!inst) {
		json_decref(config);
		return;
	}
	json_object_update(inst, (json_t *)kv);
	char *why = NULL;
	if (pipestore_put(n->store, config, &why)) {
		LOG_E(n->log, "node", "%s: cannot save %s/%s/%s: %s", n->alias, stream, signature,
		      instance_id, why ? why : "?");
		r1_free(why);
		json_decref(config);
		return;
	}
	json_decref(p->config);
	p->config = config;
}

json_t *node_pipeline_configs(const struct node *n)
{
	json_t *a = json_array();
	for (struct pipeline_rt *p = n->pipes; a && p; p = p->next)
		json_array_append_new(a, json_deep_copy(p->config));
	return a;
}
