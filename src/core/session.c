/*
 * The control-plane session (see session.h): resolving nodes, building,
 * signing and publishing commands, and keeping the transactions they open
 * until a notification or the loop timer ends them.  It does not parse what
 * it receives (the receive path does) and does not decide what a deploy
 * sends (pipespec does).
 */
#include "core/lib.h"
#include "core/session.h"
#include "core/bus.h"
#include "core/cache.h"
#include "core/cipher.h"
#include "core/cmdmsg.h"
#include "core/envelope.h"
#include "core/hbcodec.h"
#include "core/ingest.h"
#include "core/loop.h"
#include "core/netmap.h"
#include "core/netmon.h"
#include "core/proto.h"
#include "core/timefmt.h"
#include "core/topics.h"
#include "core/clock.h"

#define LOG_MOD "session"

struct session {
	struct loop *loop;
	struct bus *bus;
	const struct r1_identity *id;
	struct netmap *nm;
	struct cache *cache;
	struct r1_log *log;
	struct workers *pool; /* borrowed; NULL: the receive path runs on the loop */
	char *name;
	char *root;
	bool encrypt, eth;
	bool payloads_from_owner; /* session_listen leaves the payload topics out */
	int qos;
	uint32_t timeout_ms;
	struct cipher_keycache *keys;
	struct loop_timer *timer;
	struct txn *txns; /* pending, newest first */
	size_t n_txns;
	uint64_t next_id;
	/* deploys in flight: which pipespec a transaction settles */
	struct deploy_link {
		uint64_t id;
		struct pipespec *p;
	} * links;
	size_t n_links;
	/* passive NetConfig: when each node (by netmap index) was last asked */
	uint32_t netconfig_every_ms;
	int64_t *asked_ms;
	size_t n_asked;
	struct ingest *ig;            /* the receive path, once listening */
	session_observer_fn observer; /* told of everything delivered */
	void *observer_ctx;
};

/* Per-transaction callback, kept beside the txn. */
struct txn_cb {
	session_done_fn done;
	void *ctx;
};

static void on_timer(void *ctx, struct loop_timer *t);

enum r1_err session_new(struct loop *loop, struct bus *bus, const struct r1_identity *id,
                        struct netmap *nm, struct cache *cache, struct r1_log *log,
                        const struct session_options *opt, struct session **out, char **why)
{
	*out = NULL;
	if (!id || !opt || !opt->name || !*opt->name)
		return r1_fail(why, R1_ERR_INVAL, "session: an identity and a name are needed");
	if (opt->command_qos < 0 || opt->command_qos > 2)
		return r1_fail(why, R1_ERR_INVAL, "session: QoS %d is not 0, 1 or 2",
		               opt->command_qos);
	struct session *s = r1_calloc(1, sizeof(*s));
	if (!s)
		return r1_fail(why, R1_ERR_NOMEM, "session: out of memory");
	s->loop = loop;
	s->bus = bus;
	s->id = id;
	s->nm = nm;
	s->cache = cache;
	s->log = log;
	s->encrypt = !opt->clear_commands;
	s->eth = !opt->eth_disabled;
	s->qos = opt->command_qos;
	s->pool = opt->ingest_pool;
	s->timeout_ms = opt->timeout_ms ? opt->timeout_ms : R1_TRANSACTION_TIMEOUT_S * 1000u;
	s->netconfig_every_ms = opt->netconfig_every_ms ? opt->netconfig_every_ms : 300000u;
	s->next_id = 1;
	s->payloads_from_owner = opt->payloads_from_owner;
	s->name = r1_strdup(opt->name);
	s->root = r1_strdup(opt->root ? opt->root : R1_DEFAULT_ROOT_TOPIC);
	s->keys = cipher_keycache_new();
	s->timer = loop ? loop_timer_new(loop, on_timer, s) : NULL;
	if (!s->name || !s->root || !s->keys || (loop && !s->timer)) {
		session_free(&s);
		return r1_fail(why, R1_ERR_NOMEM, "session: out of memory");
	}
	*out = s;
	return R1_OK;
}

void session_free(struct session **ps)
{
	struct session *s = *ps;
	if (!s)
		return;
	while (s->txns) {
		struct txn *t = s->txns;
		s->txns = t->next;
		r1_free(t->owner);
		txn_free(&t);
	}
	ingest_free(&s->ig);
	loop_timer_free(&s->timer);
	cipher_keycache_free(&s->keys);
	r1_free(s->links);
	r1_free(s->asked_ms);
	r1_free(s->name);
	r1_free(s->root);
	r1_free(s);
	*ps = NULL;
}

const char *session_name(const struct session *s)
{
	return s->name;
}

const struct r1_identity *session_identity(const struct session *s)
{
	return s->id;
}

static int64_t now_ms(const struct session *s)
{
	if (s->loop)
		return (int64_t)loop_now(s->loop);
	return (int64_t)r1_mono_ms();
}

/* ---- resolving nodes ---------------------------------------------------- */

enum r1_err session_resolve(struct session *s, const char *node, char addr[R1_ADDR_LEN + 1],
                            char alias[TXN_NAME_MAX + 1], char **why)
{
	addr[0] = alias[0] = '\0';
	if (!node || !*node)
		return r1_fail(why, R1_ERR_INVAL, "no node given");
	const struct nm_node *n = NULL;
	enum r1_err e = s->nm ? netmap_resolve(s->nm, node, &n, why) : R1_ERR_NOTFOUND;
	if (!e) {
		snprintf(addr, R1_ADDR_LEN + 1, "%s", n->info.addr);
		snprintf(alias, TXN_NAME_MAX + 1, "%s", n->info.alias);
		return R1_OK;
	}
	if (e == R1_ERR_EXISTS)
		return e;
	/* an address we have not heard of is still an address */
	uint8_t pub[R1_PUB_LEN];
	if (strncmp(node, "0x", 2) == 0 || strncmp(node, R1_ADDR_PREFIX_LEGACY, 5) == 0 ||
	    strlen(node) == R1_ADDR_BODY_LEN) {
		char *r = NULL;
		if (addr_parse(node, strlen(node), pub, &r) == R1_OK) {
			addr_format(pub, addr);
			r1_free(r);
			return R1_OK;
		}
		if (strncmp(node, R1_ADDR_PREFIX, 5) == 0 ||
		    strncmp(node, R1_ADDR_PREFIX_LEGACY, 5) == 0) {
			e = r1_fail(why, R1_ERR_INVAL, "'%s' is not a valid node address: %s", node,
			            r ? r : "");
			r1_free(r);
			return e;
		}
		r1_free(r);
	}
	if (!s->nm)
		return r1_fail(why, R1_ERR_NOTFOUND, "no node '%s' is known", node);
	return R1_ERR_NOTFOUND; /* netmap_resolve's reason stands */
}

/* ---- sending ------------------------------------------------------------ */

/* Sign and publish one message on one topic. */
static enum r1_err publish(struct session *s, const char *topic, const json_t *msg, char **why)
{
	if (!s->bus)
		return r1_fail(why, R1_ERR_STATE, "session: no bus to send on");
	struct buf wire = BUF_INIT;
	enum r1_err e = envelope_sign(msg, s->id, s->eth, &wire, NULL, why);
	if (!e)
		e = bus_publish(s->bus, topic, wire.data, wire.len, s->qos, why);
	buf_release(&wire);
	return e;
}

/* Build, sign and publish ACTION/PAYLOAD to the node's config topic. */
static enum r1_err send_command(struct session *s, const char *addr, const char *action,
                                const json_t *payload, char **why)
{
	struct cmdmsg_ctx c = {
	    .id = s->id, .name = s->name, .encrypt = s->encrypt, .keys = s->keys};
	json_t *msg = NULL;
	char *topic = NULL;
	enum r1_err e = cmdmsg_command(&c, action, payload, addr, r1_wall_us(), &msg, why);
	if (!e)
		e = topic_make(s->root, TOPIC_CONFIG, addr, &topic, why);
	if (!e)
		e = publish(s, topic, msg, why);
	if (!e)
		LOG_D(s->log, LOG_MOD, "sent %s to %s", action, addr);
	json_decref(msg);
	r1_free(topic);
	return e;
}

static uint64_t audit_begin(struct session *s, const char *addr, const char *alias,
                            const char *action, const char *pipeline, const char *signature,
                            const char *instance_id, const json_t *payload)
{
	if (!s->cache)
		return 0;
	char *text = r1_json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY);
	struct cache_audit a = {.t_ms = r1_wall_ms(),
	                        .node_addr = addr,
	                        .node_alias = alias && *alias ? alias : NULL,
	                        .action = action,
	                        .pipeline = pipeline,
	                        .signature = signature,
	                        .instance_id = instance_id,
	                        .payload = text,
	                        .session = s->name};
	uint64_t key = cache_audit_begin(s->cache, &a);
	r1_free(text);
	return key;
}

/* ---- transactions ------------------------------------------------------- */

static void arm_timer(struct session *s)
{
	if (!s->timer)
		return;
	if (!s->txns) {
		loop_timer_stop(s->timer);
		return;
	}
	int64_t next = INT64_MAX;
	for (struct txn *t = s->txns; t; t = t->next)
		if (t->deadline_ms < next)
			next = t->deadline_ms;
	int64_t now = now_ms(s);
	loop_timer_start(s->timer, next > now ? (uint64_t)(next - now) : 0, 0);
}

static struct deploy_link *link_of(struct session *s, uint64_t id)
{
	for (size_t i = 0; i < s->n_links; i++)
		if (s->links[i].id == id)
			return &s->links[i];
	return NULL;
}

static void link_drop(struct session *s, uint64_t id)
{
	for (size_t i = 0; i < s->n_links; i++)
		if (s->links[i].id == id) {
			s->links[i] = s->links[--s->n_links];
			return;
		}
}

/* Unlink ended transactions, then run their callbacks and free them. */
static void finish_ended(struct session *s)
{
	struct txn *ended = NULL, **pp = &s->txns;
	while (*pp) {
		struct txn *t = *pp;
		if (t->state == TXN_PENDING) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		s->n_txns--;
		t->next = ended;
		ended = t;
	}
	arm_timer(s);
	while (ended) {
		struct txn *t = ended;
		ended = t->next;
		if (s->cache && t->audit_key)
			cache_audit_end(s->cache, t->audit_key, txn_state_name(t->state), t->reason,
			                r1_wall_ms());
		LOG_I(s->log, LOG_MOD, "%s: %s%s%s", t->label, txn_state_name(t->state),
		      t->reason ? ": " : "", t->reason ? t->reason : "");
		struct deploy_link *l = link_of(s, t->id);
		if (l) {
			pipespec_settle(l->p, t->state == TXN_OK);
			link_drop(s, t->id);
		}
		struct txn_cb *cb = t->owner;
		if (cb && cb->done)
			cb->done(cb->ctx, s, t);
		r1_free(cb);
		t->owner = NULL;
		txn_free(&t);
	}
}

static void on_timer(void *ctx, struct loop_timer *timer)
{
	(void)timer;
	struct session *s = ctx;
	int64_t now = now_ms(s);
	for (struct txn *t = s->txns; t; t = t->next)
		txn_check_deadline(t, now);
	finish_ended(s);
}

void session_on_notification(struct session *s, const json_t *notif)
{
	bool any = false;
	for (struct txn *t = s->txns; t; t = t->next)
		any |= txn_feed(t, notif);
	if (any)
		finish_ended(s);
}

/* A new pending transaction; not yet in the list. */
static struct txn *open_txn(struct session *s, const char *addr, const char *alias,
                            const char *label, const struct session_call *c)
{
	uint32_t timeout = c && c->timeout_ms ? c->timeout_ms : s->timeout_ms;
	struct txn *t = txn_new(addr, alias, s->name, label, now_ms(s), timeout);
	struct txn_cb *cb = r1_calloc(1, sizeof(*cb));
	if (!t || !cb) {
		txn_free(&t);
		r1_free(cb);
		return NULL;
	}
	if (c) {
		cb->done = c->done;
		cb->ctx = c->ctx;
	}
	t->owner = cb;
	t->id = s->next_id++;
	return t;
}

static void drop_txn(struct txn **t)
{
	if (*t) {
		r1_free((*t)->owner);
		(*t)->owner = NULL;
	}
	txn_free(t);
}

/*
 * Send, then register the transaction (a transaction is only kept for a
 * command that left).  Takes ownership of t.
 */
static enum r1_err send_with_txn(struct session *s, struct txn *t, const char *addr,
                                 const char *action, const json_t *payload, const char *pipeline,
                                 const char *signature, const char *instance_id, uint64_t *txn_id,
                                 char **why)
{
	enum r1_err e = send_command(s, addr, action, payload, why);
	if (e) {
		drop_txn(&t);
		return e;
	}
	t->audit_key =
	    audit_begin(s, addr, t->node_alias, action, pipeline, signature, instance_id, payload);
	t->next = s->txns;
	s->txns = t;
	s->n_txns++;
	if (txn_id)
		*txn_id = t->id;
	arm_timer(s);
	return R1_OK;
}

static enum r1_err node_ack(struct session *s, const char *node, const char *action,
                            const struct session_call *c, uint64_t *txn_id, char **why)
{
	char addr[R1_ADDR_LEN + 1], alias[TXN_NAME_MAX + 1];
	enum r1_err e = session_resolve(s, node, addr, alias, why);
	if (e)
		return e;
	struct buf label = BUF_INIT;
	buf_addf(&label, "%s %s", action, alias[0] ? alias : addr);
	struct txn *t = open_txn(s, addr, alias, buf_cstr(&label), c);
	buf_release(&label);
	if (!t || !txn_expect_ack(t, action)) {
		drop_txn(&t);
		return r1_fail(why, R1_ERR_NOMEM, "session: out of memory");
	}
	return send_with_txn(s, t, addr, action, NULL, NULL, NULL, NULL, txn_id, why);
}

enum r1_err session_restart(struct session *s, const char *node, const struct session_call *c,
                            uint64_t *txn_id, char **why)
{
	return node_ack(s, node, ACT_RESTART, c, txn_id, why);
}

enum r1_err session_stop(struct session *s, const char *node, const struct session_call *c,
                         uint64_t *txn_id, char **why)
{
	return node_ack(s, node, ACT_STOP, c, txn_id, why);
}

enum r1_err session_close_pipeline(struct session *s, const char *node, const char *pipeline,
                                   const struct session_call *c, uint64_t *txn_id, char **why)
{
	char addr[R1_ADDR_LEN + 1], alias[TXN_NAME_MAX + 1];
	enum r1_err e = session_resolve(s, node, addr, alias, why);
	if (e)
		return e;
	if (!pipeline || !*pipeline)
		return r1_fail(why, R1_ERR_INVAL, "no pipeline name");
	struct buf label = BUF_INIT;
	buf_addf(&label, "close %s on %s", pipeline, alias[0] ? alias : addr);
	struct txn *t = open_txn(s, addr, alias, buf_cstr(&label), c);
	buf_release(&label);
	json_t *payload = json_string(pipeline);
	if (!t || !payload ||
	    !txn_expect_pipeline(t, pipeline, NC_PIPELINE_ARCHIVE_OK, NC_PIPELINE_ARCHIVE_FAILED)) {
		drop_txn(&t);
		json_decref(payload);
		return r1_fail(why, R1_ERR_NOMEM, "session: out of memory");
	}
	e = send_with_txn(s, t, addr, ACT_ARCHIVE_CONFIG, payload, pipeline, NULL, NULL, txn_id,
	                  why);
	json_decref(payload);
	return e;
}

/* UPDATE_PIPELINE_INSTANCE with a given payload and the instance response. */
static enum r1_err instance_update(struct session *s, const char *node, const char *pipeline,
                                   const char *signature, const char *instance_id, json_t *payload,
                                   int ok_code, int fail_code, const char *what,
                                   const struct session_call *c, uint64_t *txn_id, char **why)
{
	char addr[R1_ADDR_LEN + 1], alias[TXN_NAME_MAX + 1];
	enum r1_err e = session_resolve(s, node, addr, alias, why);
	if (e) {
		json_decref(payload);
		return e;
	}
	if (!payload) {
		return r1_fail(why, R1_ERR_INVAL,
		               "an instance command needs a pipeline, signature, instance and a "
		               "command or config object");
	}
	struct buf label = BUF_INIT;
	buf_addf(&label, "%s %s/%s/%s on %s", what, pipeline, signature, instance_id,
	         alias[0] ? alias : addr);
	struct txn *t = open_txn(s, addr, alias, buf_cstr(&label), c);
	buf_release(&label);
	if (!t || !txn_expect_pipeline(t, pipeline, NC_PIPELINE_OK, NC_PIPELINE_FAILED) ||
	    !txn_expect_instance(t, pipeline, signature, instance_id, ok_code, fail_code)) {
		drop_txn(&t);
		json_decref(payload);
		return r1_fail(why, R1_ERR_NOMEM, "session: out of memory");
	}
	e = send_with_txn(s, t, addr, ACT_UPDATE_PIPELINE_INSTANCE, payload, pipeline, signature,
	                  instance_id, txn_id, why);
	json_decref(payload);
	return e;
}

enum r1_err session_instance_command(struct session *s, const char *node, const char *pipeline,
                                     const char *signature, const char *instance_id,
                                     const char *command, const json_t *command_obj,
                                     const json_t *payload, const json_t *params,
                                     const struct session_call *c, uint64_t *txn_id, char **why)
{
	json_t *p = cmdmsg_instance_command(pipeline, signature, instance_id, command, command_obj,
	                                    payload, params);
	return instance_update(s, node, pipeline, signature, instance_id, p,
	                       NC_PLUGIN_INSTANCE_COMMAND_OK, NC_PLUGIN_INSTANCE_COMMAND_FAILED,
	                       "command", c, txn_id, why);
}

enum r1_err session_update_instance(struct session *s, const char *node, const char *pipeline,
                                    const char *signature, const char *instance_id,
                                    const json_t *config, const struct session_call *c,
                                    uint64_t *txn_id, char **why)
{
	json_t *p = cmdmsg_instance_config(pipeline, signature, instance_id, config);
	return instance_update(s, node, pipeline, signature, instance_id, p, NC_PLUGIN_CONFIG_OK,
	                       NC_PLUGIN_CONFIG_FAILED, "update", c, txn_id, why);
}

enum r1_err session_deploy(struct session *s, struct pipespec *p, const struct session_call *c,
                           uint64_t *txn_id, char **why)
{
	char alias[TXN_NAME_MAX + 1] = "";
	const struct nm_node *n = s->nm ? netmap_find_addr(s->nm, p->node_addr) : NULL;
	if (n)
		snprintf(alias, sizeof(alias), "%s", n->info.alias);
	struct deploy_link *g = r1_reallocarray(s->links, s->n_links + 1, sizeof(*g));
	if (!g)
		return r1_fail(why, R1_ERR_NOMEM, "session: out of memory");
	s->links = g;
	struct pipespec_plan plan;
	enum r1_err e = pipespec_plan_deploy(p, &plan, why);
	if (e)
		return e;
	struct buf label = BUF_INIT;
	buf_addf(&label, "deploy %s on %s", p->name, alias[0] ? alias : p->node_addr);
	struct txn *t = open_txn(s, p->node_addr, alias, buf_cstr(&label), c);
	buf_release(&label);
	bool good = t != NULL;
	for (size_t i = 0; good && i < plan.n_expect; i++) {
		const struct pipespec_expect *x = &plan.expect[i];
		good = x->instance ? txn_expect_instance(t, p->name, x->signature, x->instance_id,
		                                         x->ok_code, x->fail_code)
		                   : txn_expect_pipeline(t, p->name, x->ok_code, x->fail_code);
	}
	if (!good) {
		drop_txn(&t);
		pipespec_plan_release(&plan);
		pipespec_settle(p, false);
		return r1_fail(why, R1_ERR_NOMEM, "session: out of memory");
	}
	uint64_t id = t->id;
	e = send_with_txn(s, t, p->node_addr, plan.action, plan.payload, p->name, NULL, NULL,
	                  txn_id, why);
	pipespec_plan_release(&plan);
	if (e) {
		pipespec_settle(p, false);
		return e;
	}
	s->links[s->n_links++] = (struct deploy_link){id, p};
	return R1_OK;
}

enum r1_err session_attach_pipeline(struct session *s, const char *node, const char *name,
                                    struct pipespec **out, char **why)
{
	*out = NULL;
	char addr[R1_ADDR_LEN + 1], alias[TXN_NAME_MAX + 1];
	enum r1_err e = session_resolve(s, node, addr, alias, why);
	if (e)
		return e;
	const struct nm_node *n = s->nm ? netmap_find_addr(s->nm, addr) : NULL;
	for (size_t i = 0; n && i < n->n_pipelines; i++)
		if (strcmp(n->pipelines[i].name, name) == 0)
			return pipespec_attach(addr, n->pipelines[i].config, out, why);
	return r1_fail(why, R1_ERR_NOTFOUND, "no pipeline '%s' known on %s", name,
	               alias[0] ? alias : addr);
}

bool session_cancel(struct session *s, uint64_t id)
{
	for (struct txn **pp = &s->txns; *pp; pp = &(*pp)->next) {
		struct txn *t = *pp;
		if (t->id != id)
			continue;
		*pp = t->next;
		s->n_txns--;
		if (s->cache && t->audit_key)
			cache_audit_end(s->cache, t->audit_key, "cancelled", NULL, r1_wall_ms());
		struct deploy_link *l = link_of(s, id);
		if (l) {
			pipespec_settle(l->p, false);
			link_drop(s, id);
		}
		drop_txn(&t);
		arm_timer(s);
		return true;
	}
	return false;
}

const struct txn *session_txn(const struct session *s, uint64_t id)
{
	for (const struct txn *t = s->txns; t; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

size_t session_pending(const struct session *s)
{
	return s->n_txns;
}

/* ---- without transactions ----------------------------------------------- */

enum r1_err session_pipeline_command(struct session *s, const char *node, const char *pipeline,
                                     const char *command, const json_t *command_obj,
                                     const json_t *payload, const json_t *params, char **why)
{
	char addr[R1_ADDR_LEN + 1], alias[TXN_NAME_MAX + 1];
	enum r1_err e = session_resolve(s, node, addr, alias, why);
	if (e)
		return e;
	json_t *p = cmdmsg_pipeline_command(pipeline, command, command_obj, payload, params);
	if (!p)
		return r1_fail(why, R1_ERR_INVAL,
		               "a pipeline command needs a pipeline and a command");
	e = send_command(s, addr, ACT_PIPELINE_COMMAND, p, why);
	if (!e && s->cache)
		cache_audit_end(
		    s->cache,
		    audit_begin(s, addr, alias, ACT_PIPELINE_COMMAND, pipeline, NULL, NULL, p),
		    "sent", NULL, r1_wall_ms());
	json_decref(p);
	return e;
}

enum r1_err session_send_command(struct session *s, const char *node, const char *action,
                                 const json_t *payload, char **why)
{
	char addr[R1_ADDR_LEN + 1], alias[TXN_NAME_MAX + 1];
	enum r1_err e = session_resolve(s, node, addr, alias, why);
	if (e)
		return e;
	e = send_command(s, addr, action, payload, why);
	if (!e && s->cache)
		cache_audit_end(s->cache,
		                audit_begin(s, addr, alias, action, NULL, NULL, NULL, payload),
		                "sent", NULL, r1_wall_ms());
	return e;
}

enum r1_err session_request_netconfig(struct session *s, const char *const *nodes, size_t n,
                                      char **why)
{
	if (!n)
		return R1_OK;
	char **addrs = r1_calloc(n, sizeof(*addrs));
	if (!addrs)
		return r1_fail(why, R1_ERR_NOMEM, "session: out of memory");
	enum r1_err e = R1_OK;
	for (size_t i = 0; !e && i < n; i++) {
		char a[R1_ADDR_LEN + 1], alias[TXN_NAME_MAX + 1];
		e = session_resolve(s, nodes[i], a, alias, why);
		if (!e && !(addrs[i] = r1_strdup(a)))
			e = r1_fail(why, R1_ERR_NOMEM, "session: out of memory");
	}
	struct cmdmsg_ctx c = {.id = s->id, .name = s->name, .encrypt = true, .keys = s->keys};
	json_t *msg = NULL;
	struct topic_list topics = {0};
	if (!e)
		e = cmdmsg_netconfig_get(&c, (const char *const *)addrs, n, r1_wall_us(), &msg,
		                         why);
	if (!e)
		e = topic_fanout(s->root, (const char *const *)addrs, n, &topics, why);
	if (!e && !s->bus)
		e = r1_fail(why, R1_ERR_STATE, "session: no bus to send on");
	struct buf wire = BUF_INIT;
	if (!e)
		e = envelope_sign(msg, s->id, s->eth, &wire, NULL, why);
	for (size_t i = 0; !e && i < topics.count; i++)
		e = bus_publish(s->bus, topics.topics[i], wire.data, wire.len, s->qos, why);
	buf_release(&wire);
	topic_list_release(&topics);
	json_decref(msg);
	for (size_t i = 0; i < n; i++)
		r1_free(addrs[i]);
	r1_free(addrs);
	return e;
}

/* ---- what the receive path hands over ------------------------------------ */

static const char *jstr(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Is `path` [*, admin_pipeline, sig, *] (case as the SDK compares it)? */
static bool admin_path(const json_t *path, const char *sig)
{
	const json_t *p1 = json_array_get(path, 1), *p2 = json_array_get(path, 2);
	return json_is_string(p1) && json_is_string(p2) &&
	       strcasecmp(json_string_value(p1), ADMIN_PIPELINE) == 0 &&
	       strcasecmp(json_string_value(p2), sig) == 0;
}

/* Our address in EE_DEST (a string or a list)? */
static bool for_us(const struct session *s, const json_t *msg)
{
	const json_t *dest = json_object_get(msg, K_EE_DEST);
	if (json_is_string(dest))
		return addr_same(json_string_value(dest), s->id->addr);
	size_t i;
	const json_t *d;
	json_array_foreach(dest, i, d) if (json_is_string(d) && addr_same(json_string_value(d),
	                                                                  s->id->addr)) return true;
	return false;
}

static void on_heartbeat(struct session *s, const char *sender, const json_t *msg)
{
	json_t *view = NULL;
	/* the receive path may hand it over still encoded */
	if (hb_is_v2(msg) && json_object_get(msg, K_ENCODED_DATA) &&
	    !json_object_get(msg, K_EE_WHITELIST)) {
		char *why = NULL;
		if (hb_decode(msg, &view, &why)) {
			LOG_D(s->log, LOG_MOD, "heartbeat from %s: %s", sender, why ? why : "");
			r1_free(why);
			return;
		}
		msg = view;
	}
	if (s->observer)
		s->observer(s->observer_ctx, s, SESSION_MSG_HEARTBEAT, sender, msg);
	int64_t utc = 0;
	const char *ts = jstr(msg, K_EE_TIMESTAMP);
	if (s->nm && ts &&
	    timefmt_heartbeat_utc(ts, strlen(ts), jstr(msg, K_EE_TIMEZONE), &utc, NULL))
		utc = 0;
	if (s->nm)
		(void)netmap_on_heartbeat(s->nm, sender, msg, r1_wall_ms(), utc, NULL);
	json_decref(view);
}

/* Ask peered online nodes for their pipelines, at most once per period each. */
static void passive_netconfig(struct session *s)
{
	if (s->netconfig_every_ms == UINT32_MAX)
		return;
	size_t n = netmap_count(s->nm);
	if (n > s->n_asked) {
		int64_t *g = r1_reallocarray(s->asked_ms, n, sizeof(*g));
		if (!g)
			return;
		memset(g + s->n_asked, 0, (n - s->n_asked) * sizeof(*g));
		s->asked_ms = g;
		s->n_asked = n;
	}
	int64_t now = now_ms(s);
	const char **addrs = r1_calloc(n ? n : 1, sizeof(*addrs));
	size_t k = 0;
	for (size_t i = 0; addrs && i < n; i++) {
		const struct nm_node *x = netmap_at(s->nm, i);
		if (!x->online || !x->peered || x->self)
			continue;
		if (s->asked_ms[i] && now - s->asked_ms[i] < (int64_t)s->netconfig_every_ms)
			continue;
		s->asked_ms[i] = now;
		addrs[k++] = x->info.addr;
	}
	char *why = NULL;
	if (k && session_request_netconfig(s, addrs, k, &why))
		LOG_W(s->log, LOG_MOD, "NetConfig request: %s", why ? why : "");
	r1_free(why);
	r1_free(addrs);
}

static void cache_message(struct session *s, enum cache_msg_kind kind, const char *sender,
                          const json_t *msg)
{
	if (!s->cache)
		return;
	const json_t *path = json_object_get(msg, K_EE_PAYLOAD_PATH);
	const json_t *code = json_object_get(msg, K_NOTIFICATION_CODE);
	char *body = r1_json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY);
	struct cache_message m = {
	    .kind = kind,
	    .t_ms = r1_wall_ms(),
	    .sender = sender,
	    .code = json_is_integer(code) ? (int)json_integer_value(code) : 0,
	    .has_code = json_is_integer(code),
	    .text = jstr(msg, K_NOTIFICATION),
	    .body = body,
	};
	for (size_t i = 0; i < 4; i++) {
		const json_t *p = json_array_get(path, i);
		m.path[i] = json_is_string(p) ? json_string_value(p) : NULL;
	}
	cache_add_message(s->cache, &m);
	r1_free(body);
}

static void on_payload(struct session *s, const char *sender, const json_t *msg)
{
	const json_t *path = json_object_get(msg, K_EE_PAYLOAD_PATH);
	if (admin_path(path, SIG_NET_MON_01)) {
		json_t *copy = json_deep_copy(msg);
		if (copy) {
			netmon_maybe_decode(copy);
			netmon_maybe_convert_whitelist(copy);
			if (netmap_on_netmon(s->nm, sender, copy, r1_wall_ms(), NULL) == R1_OK)
				passive_netconfig(s);
			json_decref(copy);
		}
		return; /* maps are large and frequent: not kept in the ring */
	}
	if (admin_path(path, SIG_NET_CONFIG_MONITOR)) {
		const json_t *data = json_object_get(msg, K_NET_CONFIG_DATA);
		const char *op = jstr(data, K_OP);
		/* the SDK takes SET_CONFIG only encrypted and addressed to it */
		if (op && strcmp(op, NET_CONFIG_SET) == 0 &&
		    json_is_true(json_object_get(msg, K_EE_IS_ENCRYPTED)) && for_us(s, msg) &&
		    !addr_same(sender, s->id->addr))
			(void)netmap_on_netconfig(s->nm, sender, data, r1_wall_ms(), NULL);
		return;
	}
	cache_message(s, CACHE_MSG_PAYLOAD, sender, msg);
}

void session_set_observer(struct session *s, session_observer_fn fn, void *ctx)
{
	s->observer = fn;
	s->observer_ctx = ctx;
}

void session_deliver(struct session *s, enum session_msg kind, const char *sender,
                     const json_t *msg)
{
	if (!sender || !json_is_object(msg))
		return;
	if (s->observer && kind != SESSION_MSG_HEARTBEAT)
		s->observer(s->observer_ctx, s, kind, sender, msg);
	switch (kind) {
	case SESSION_MSG_HEARTBEAT:
		if (s->nm || s->observer)
			on_heartbeat(s, sender, msg);
		break;
	case SESSION_MSG_PAYLOAD:
		if (s->nm)
			on_payload(s, sender, msg);
		break;
	case SESSION_MSG_NOTIFICATION:
		cache_message(s, CACHE_MSG_NOTIFICATION, sender, msg);
		session_on_notification(s, msg);
		break;
	}
}

/* ---- the receive path ------------------------------------------------------ */

const struct ingest_stats *session_ingest_stats(const struct session *s)
{
	static const struct ingest_stats none;
	return s->ig ? ingest_get_stats(s->ig) : &none;
}

static void on_message(void *ctx, struct bus *bus, const char *topic, const uint8_t *payload,
                       size_t len, int qos)
{
	(void)bus;
	(void)qos;
	struct session *s = ctx;
	ingest_submit(s->ig, topic, payload, len); /* on to on_ingested, in order */
}

static void on_ingested(void *ctx, struct ingest *ig, const struct ingest_outcome *o)
{
	struct session *s = ctx;
	(void)ig;
	if (!o->msg) {
		LOG_D(s->log, LOG_MOD, "dropped a message on %s: %s", o->topic, o->reason);
		return;
	}
	static const struct {
		enum msg_kind kind;
		enum session_msg to;
	} route[] = {
	    {MSG_HEARTBEAT, SESSION_MSG_HEARTBEAT},
	    {MSG_PAYLOAD, SESSION_MSG_PAYLOAD},
	    {MSG_NOTIFICATION, SESSION_MSG_NOTIFICATION},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(route); i++)
		if (route[i].kind == o->msg->kind)
			session_deliver(s, route[i].to, o->msg->sender, o->msg->body);
}

static void on_flow(void *ctx, bool pause)
{
	struct session *s = ctx;
	bus_pause(s->bus, pause);
}

enum r1_err session_listen(struct session *s, char **why)
{
	if (!s->bus)
		return r1_fail(why, R1_ERR_STATE, "session: no bus to listen on");
	if (!s->ig) {
		struct ingest_config ic = {.me = s->id, .eth_enabled = s->eth};
		enum r1_err e = ingest_new(&ic, &s->ig, why);
		if (!e && s->pool) {
			struct ingest_parallel par = {
			    .loop = s->loop, .pool = s->pool, .flow = on_flow, .flow_ctx = s};
			e = ingest_use_pool(s->ig, &par, why);
		}
		if (e) {
			ingest_free(&s->ig);
			return e;
		}
		ingest_set_delivery(s->ig, on_ingested, s);
	}
	static const enum topic_channel chans[] = {TOPIC_CTRL, TOPIC_NOTIF, TOPIC_PAYLOADS,
	                                           TOPIC_PAYLOADS_TO};
	for (size_t i = 0; i < R1_ARRAY_LEN(chans); i++) {
		if ((chans[i] == TOPIC_PAYLOADS_TO || chans[i] == TOPIC_PAYLOADS) &&
		    s->payloads_from_owner)
			continue;
		char *topic = NULL;
		enum r1_err e =
		    topic_make(s->root, chans[i],
		               chans[i] == TOPIC_PAYLOADS_TO ? s->id->addr : NULL, &topic, why);
		if (!e)
			e = bus_subscribe(s->bus, topic, topic_default_qos(chans[i]), why);
		r1_free(topic);
		if (e)
			return e;
	}
	bus_set_delivery(s->bus, on_message, s);
	return R1_OK;
}
