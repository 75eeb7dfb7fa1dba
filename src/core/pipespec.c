/*
 * The client-side pipeline and the SDK's rules for deploying changes to it
 * (see pipespec.h).  It decides what to send and what confirms it; the
 * session sends and waits.
 */
#include "core/lib.h"
#include "core/pipespec.h"
#include "core/cmdmsg.h"
#include "core/proto.h"

#include <ctype.h>

static char *upper_dup(const char *s)
{
	char *u = r1_strdup(s);
	for (char *c = u; c && *c; c++)
		*c = (char)toupper((unsigned char)*c);
	return u;
}

static void inst_release(struct pipespec_instance *in)
{
	r1_free(in->signature);
	r1_free(in->instance_id);
	json_decref(in->config);
	json_decref(in->proposed);
	json_decref(in->staged);
	memset(in, 0, sizeof(*in));
}

void pipespec_free(struct pipespec **pp)
{
	struct pipespec *p = *pp;
	if (!p)
		return;
	for (size_t i = 0; i < p->n_inst; i++)
		inst_release(&p->inst[i]);
	r1_free(p->inst);
	r1_free(p->name);
	json_decref(p->config);
	json_decref(p->proposed);
	json_decref(p->staged);
	r1_free(p);
	*pp = NULL;
}

struct pipespec_instance *pipespec_find(struct pipespec *p, const char *signature,
                                        const char *instance_id)
{
	for (size_t i = 0; i < p->n_inst; i++)
		if (strcasecmp(p->inst[i].signature, signature) == 0 &&
		    strcmp(p->inst[i].instance_id, instance_id) == 0)
			return &p->inst[i];
	return NULL;
}

/* A new instance slot; its config is the object without INSTANCE_ID (upper keys). */
static enum r1_err push_instance(struct pipespec *p, const char *signature, const char *instance_id,
                                 const json_t *cfg, bool proposed, char **why)
{
	if (!signature || !*signature || !instance_id || !*instance_id)
		return r1_fail(why, R1_ERR_INVAL,
		               "an instance needs a SIGNATURE and an INSTANCE_ID");
	if (cfg && !json_is_object(cfg))
		return r1_fail(why, R1_ERR_INVAL, "the config of instance %s must be an object",
		               instance_id);
	if (pipespec_find(p, signature, instance_id))
		return r1_fail(why, R1_ERR_EXISTS, "instance %s/%s is already in pipeline %s",
		               signature, instance_id, p->name);
	struct pipespec_instance *g = r1_reallocarray(p->inst, p->n_inst + 1, sizeof(*g));
	if (!g)
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	p->inst = g;
	json_t *keys = cfg ? cmdmsg_upper_keys(cfg) : json_object();
	json_t *empty = proposed ? json_object() : NULL;
	char *sig = upper_dup(signature), *iid = r1_strdup(instance_id);
	if (!keys || !sig || !iid || (proposed && !empty)) {
		json_decref(keys);
		json_decref(empty);
		r1_free(sig);
		r1_free(iid);
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	}
	json_object_del(keys, K_INSTANCE_ID);
	struct pipespec_instance *in = &p->inst[p->n_inst];
	memset(in, 0, sizeof(*in));
	in->signature = sig;
	in->instance_id = iid;
	if (proposed) {
		in->config = empty;
		in->proposed = keys;
	} else {
		in->config = keys;
	}
	p->n_inst++;
	return R1_OK;
}

/* Instances from a PLUGINS list: [{SIGNATURE, INSTANCES: [{INSTANCE_ID, ...}]}]. */
static enum r1_err add_plugins(struct pipespec *p, const json_t *plugins, bool proposed, char **why)
{
	if (!plugins)
		return R1_OK;
	if (!json_is_array(plugins))
		return r1_fail(why, R1_ERR_INVAL, "PLUGINS must be a list");
	size_t i, j;
	const json_t *pl, *in;
	json_array_foreach(plugins, i, pl)
	{
		const json_t *sig = json_object_get(pl, K_SIGNATURE);
		const json_t *insts = json_object_get(pl, K_INSTANCES);
		if (!json_is_string(sig) || !json_string_length(sig))
			return r1_fail(why, R1_ERR_INVAL, "PLUGINS[%zu]: missing SIGNATURE", i);
		if (!json_is_array(insts))
			return r1_fail(why, R1_ERR_INVAL, "PLUGINS[%zu]: INSTANCES must be a list",
			               i);
		json_array_foreach(insts, j, in)
		{
			const json_t *iid = json_object_get(in, K_INSTANCE_ID);
			if (!json_is_object(in) || !json_is_string(iid) || !json_string_length(iid))
				return r1_fail(why, R1_ERR_INVAL,
				               "PLUGINS[%zu].INSTANCES[%zu]: missing INSTANCE_ID",
				               i, j);
			enum r1_err e = push_instance(p, json_string_value(sig),
			                              json_string_value(iid), in, proposed, why);
			if (e) {
				r1_why_prefix(why, "PLUGINS[%zu].INSTANCES[%zu]", i, j);
				return e;
			}
		}
	}
	return R1_OK;
}

static enum r1_err make(const char *node_addr, const char *name, struct pipespec **out, char **why)
{
	*out = NULL;
	uint8_t pub[R1_PUB_LEN];
	if (!name || !*name)
		return r1_fail(why, R1_ERR_INVAL, "a pipeline needs a NAME");
	if (!node_addr || addr_parse(node_addr, strlen(node_addr), pub, NULL))
		return r1_fail(why, R1_ERR_INVAL, "'%s' is not a node address",
		               node_addr ? node_addr : "");
	struct pipespec *p = r1_calloc(1, sizeof(*p));
	if (!p || !(p->name = r1_strdup(name)) || !(p->config = json_object())) {
		pipespec_free(&p);
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	}
	addr_format(pub, p->node_addr);
	*out = p;
	return R1_OK;
}

/* The pipeline keys of a full config: everything but NAME and PLUGINS, upper-cased. */
static json_t *pipeline_keys(const json_t *config)
{
	json_t *k = config ? cmdmsg_upper_keys(config) : json_object();
	if (k) {
		json_object_del(k, K_NAME);
		json_object_del(k, K_PLUGINS);
	}
	return k;
}

enum r1_err pipespec_new(const char *node_addr, const char *name, const json_t *config,
                         struct pipespec **out, char **why)
{
	if (config && !json_is_object(config))
		return r1_fail(why, R1_ERR_INVAL, "a pipeline config must be an object");
	struct pipespec *p;
	enum r1_err e = make(node_addr, name, &p, why);
	if (e)
		return e;
	if (!(p->proposed = pipeline_keys(config))) {
		pipespec_free(&p);
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	}
	if ((e = add_plugins(p, config ? json_object_get(config, K_PLUGINS) : NULL, true, why))) {
		pipespec_free(&p);
		return e;
	}
	*out = p;
	return R1_OK;
}

enum r1_err pipespec_attach(const char *node_addr, const json_t *existing, struct pipespec **out,
                            char **why)
{
	const json_t *name = json_object_get(existing, K_NAME);
	if (!json_is_object(existing) || !json_is_string(name))
		return r1_fail(why, R1_ERR_INVAL,
		               "an attached pipeline needs its config with NAME");
	struct pipespec *p;
	enum r1_err e = make(node_addr, json_string_value(name), &p, why);
	if (e)
		return e;
	json_decref(p->config);
	if (!(p->config = pipeline_keys(existing))) {
		pipespec_free(&p);
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	}
	if ((e = add_plugins(p, json_object_get(existing, K_PLUGINS), false, why))) {
		pipespec_free(&p);
		return e;
	}
	*out = p;
	return R1_OK;
}

enum r1_err pipespec_add_instance(struct pipespec *p, const char *signature,
                                  const char *instance_id, const json_t *config, char **why)
{
	return push_instance(p, signature, instance_id, config, true, why);
}

enum r1_err pipespec_update_instance(struct pipespec *p, const char *signature,
                                     const char *instance_id, const json_t *delta, char **why)
{
	struct pipespec_instance *in = pipespec_find(p, signature, instance_id);
	if (!in)
		return r1_fail(why, R1_ERR_NOTFOUND, "no instance %s/%s in pipeline %s", signature,
		               instance_id, p->name);
	if (in->staged)
		return r1_fail(why, R1_ERR_STATE,
		               "instance %s is waiting for its last change to be "
		               "confirmed",
		               instance_id);
	if (!json_is_object(delta))
		return r1_fail(why, R1_ERR_INVAL, "an instance change must be an object");
	json_t *d = cmdmsg_upper_keys(delta);
	json_t *prop = in->proposed ? json_deep_copy(in->proposed) : json_object();
	if (!d || !prop || json_object_update(prop, d)) {
		json_decref(d);
		json_decref(prop);
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	}
	json_decref(d);
	/* keys that equal the confirmed config are no change */
	const char *k;
	json_t *v, *tmp;
	json_object_foreach_safe(prop, tmp, k, v)
	{
		const json_t *cur = json_object_get(in->config, k);
		if (cur && json_equal((json_t *)cur, v))
			json_object_del(prop, k);
	}
	json_decref(in->proposed);
	in->proposed = json_object_size(prop) ? prop : NULL;
	if (!in->proposed)
		json_decref(prop);
	return R1_OK;
}

enum r1_err pipespec_remove_instance(struct pipespec *p, const char *signature,
                                     const char *instance_id, char **why)
{
	struct pipespec_instance *in = pipespec_find(p, signature, instance_id);
	if (!in || in->removing)
		return r1_fail(why, R1_ERR_NOTFOUND, "no instance %s/%s in pipeline %s", signature,
		               instance_id, p->name);
	in->removing = true;
	json_decref(in->proposed);
	in->proposed = NULL;
	return R1_OK;
}

enum r1_err pipespec_update_config(struct pipespec *p, const json_t *delta, char **why)
{
	if (!json_is_object(delta))
		return r1_fail(why, R1_ERR_INVAL, "a pipeline change must be an object");
	json_t *d = pipeline_keys(delta);
	if (!d)
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	if (!p->proposed) {
		p->proposed = d;
		return R1_OK;
	}
	int rc = json_object_update(p->proposed, d);
	json_decref(d);
	return rc ? r1_fail(why, R1_ERR_NOMEM, "out of memory") : R1_OK;
}

/* {INSTANCE_ID, ...config, ...proposed}: the SDK's _get_proposed_config_dictionary(full). */
static json_t *instance_dict(const struct pipespec_instance *in, bool full)
{
	json_t *d = json_pack("{s:s}", K_INSTANCE_ID, in->instance_id);
	if (!d || (full && json_object_update(d, in->config)) ||
	    (in->proposed && json_object_update(d, in->proposed))) {
		json_decref(d);
		return NULL;
	}
	return d;
}

json_t *pipespec_full_config(const struct pipespec *p)
{
	json_t *plugins = json_array();
	json_t *out = NULL;
	if (!plugins)
		return NULL;
	/* group by signature, in order of first appearance */
	for (size_t i = 0; i < p->n_inst; i++) {
		const struct pipespec_instance *in = &p->inst[i];
		if (in->removing)
			continue;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !p->inst[j].removing &&
			       strcmp(p->inst[j].signature, in->signature) == 0;
		if (seen)
			continue;
		json_t *list = json_array();
		for (size_t j = i; list && j < p->n_inst; j++) {
			if (p->inst[j].removing || strcmp(p->inst[j].signature, in->signature))
				continue;
			json_t *d = instance_dict(&p->inst[j], true);
			if (!d || json_array_append_new(list, d)) {
				json_decref(list);
				list = NULL;
			}
		}
		if (!list ||
		    json_array_append_new(plugins, json_pack("{s:s,s:o}", K_SIGNATURE,
		                                             in->signature, K_INSTANCES, list))) {
			json_decref(plugins);
			return NULL;
		}
	}
	out = json_pack("{s:s,s:b,s:o}", K_NAME, p->name, K_DEFAULT_PLUGIN, 0, K_PLUGINS, plugins);
	if (out && (json_object_update(out, p->config) ||
	            (p->proposed && json_object_update(out, p->proposed)))) {
		json_decref(out);
		return NULL;
	}
	return out;
}

void pipespec_plan_release(struct pipespec_plan *plan)
{
	json_decref(plan->payload);
	for (size_t i = 0; i < plan->n_expect; i++) {
		r1_free(plan->expect[i].signature);
		r1_free(plan->expect[i].instance_id);
	}
	r1_free(plan->expect);
	memset(plan, 0, sizeof(*plan));
}

static bool expect(struct pipespec_plan *plan, bool instance, const char *sig, const char *iid,
                   int ok_code, int fail_code)
{
	if (!instance)
		for (size_t i = 0; i < plan->n_expect; i++)
			if (!plan->expect[i].instance && plan->expect[i].ok_code == ok_code)
				return true; /* one PIPELINE_OK confirms them all */
	struct pipespec_expect *g = r1_reallocarray(plan->expect, plan->n_expect + 1, sizeof(*g));
	if (!g)
		return false;
	plan->expect = g;
	struct pipespec_expect *x = &plan->expect[plan->n_expect++];
	memset(x, 0, sizeof(*x));
	x->instance = instance;
	x->ok_code = ok_code;
	x->fail_code = fail_code;
	if (instance && (!(x->signature = r1_strdup(sig)) || !(x->instance_id = r1_strdup(iid))))
		return false;
	return true;
}

enum r1_err pipespec_plan_deploy(struct pipespec *p, struct pipespec_plan *plan, char **why)
{
	memset(plan, 0, sizeof(*plan));
	bool busy = p->staged != NULL, removing = false, new_inst = false, tainted = false;
	for (size_t i = 0; i < p->n_inst; i++) {
		const struct pipespec_instance *in = &p->inst[i];
		busy |= in->staged != NULL;
		removing |= in->removing;
		tainted |= in->proposed != NULL;
		new_inst |= in->proposed && json_object_size(in->config) == 0;
	}
	if (busy)
		return r1_fail(why, R1_ERR_STATE,
		               "pipeline %s is waiting for its last deploy to be "
		               "confirmed",
		               p->name);
	bool changed = p->proposed != NULL;
	if (changed || removing || new_inst) {
		plan->action = ACT_UPDATE_CONFIG;
		plan->payload = pipespec_full_config(p);
	} else if (tainted) {
		plan->action = ACT_BATCH_UPDATE_PIPELINE_INSTANCE;
		plan->payload = json_array();
		for (size_t i = 0; plan->payload && i < p->n_inst; i++) {
			const struct pipespec_instance *in = &p->inst[i];
			if (!in->proposed)
				continue;
			json_t *d = instance_dict(in, false);
			json_t *u = d ? json_pack("{s:s,s:s,s:s,s:o}", K_NAME, p->name, K_SIGNATURE,
			                          in->signature, K_INSTANCE_ID, in->instance_id,
			                          K_INSTANCE_CONFIG, d)
			              : NULL;
			if (!u || json_array_append_new(plan->payload, u)) {
				json_decref(plan->payload);
				plan->payload = NULL;
			}
		}
	} else {
		return r1_fail(why, R1_ERR_NOTFOUND, "pipeline %s has no change to deploy",
		               p->name);
	}
	bool good = plan->payload != NULL;
	for (size_t i = 0; good && i < p->n_inst; i++) {
		const struct pipespec_instance *in = &p->inst[i];
		if (in->proposed)
			good =
			    expect(plan, false, NULL, NULL, NC_PIPELINE_OK, NC_PIPELINE_FAILED) &&
			    expect(plan, true, in->signature, in->instance_id, NC_PLUGIN_CONFIG_OK,
			           NC_PLUGIN_CONFIG_FAILED);
		else if (in->removing)
			good = expect(plan, false, NULL, NULL, NC_PIPELINE_OK, NC_PIPELINE_FAILED);
	}
	if (good && changed)
		good = expect(plan, false, NULL, NULL, NC_PIPELINE_OK, NC_PIPELINE_FAILED);
	if (!good) {
		pipespec_plan_release(plan);
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	}
	/* stage */
	p->staged = p->proposed;
	p->proposed = NULL;
	for (size_t i = 0; i < p->n_inst; i++) {
		p->inst[i].staged = p->inst[i].proposed;
		p->inst[i].proposed = NULL;
	}
	return R1_OK;
}

void pipespec_settle(struct pipespec *p, bool ok)
{
	if (p->staged) {
		if (ok)
			(void)json_object_update(p->config, p->staged);
		json_decref(p->staged);
		p->staged = NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < p->n_inst; i++) {
		struct pipespec_instance *in = &p->inst[i];
		if (in->staged) {
			if (ok)
				(void)json_object_update(in->config, in->staged);
			json_decref(in->staged);
			in->staged = NULL;
		}
		if (in->removing && ok) {
			inst_release(in);
			continue;
		}
		in->removing = false;
		if (k != i)
			p->inst[k] = *in;
		k++;
	}
	p->n_inst = k;
}
