/*
 * The receive path (see ingest.h).  The work on one message is split in
 * two.  process() touches nothing of the ingest but its read-only
 * configuration and one scratch set, so it may run on a worker thread;
 * settle() does everything stateful (the de-duplication window, counters,
 * the last reason) on the loop thread, in submission order.  The
 * synchronous path calls one after the other.  The parallel mode keeps a
 * queue of jobs in submission order (the reorder buffer): a job is filled
 * in by a worker (in a batch of several, see struct batch), or on the loop
 * thread when the message was oversize, the pool saturated or the batch
 * cancelled, and the queue is drained from its head as far as the jobs
 * there are ready.  A warm synchronous path allocates only the jansson body
 * it hands over; a pooled message costs one more allocation, its job (with
 * a copy of the bytes), and a share of its batch's.
 */
#include "core/lib.h"
#include "core/ingest.h"
#include "core/cipher.h"
#include "core/codec.h"
#include "core/jdoc.h"
#include "core/loop.h"
#include "core/proto.h"
#include "core/workers.h"

#define REASON_LEN (ENVELOPE_REASON_MAX + 64)

/* What one thread needs to process a message; never shared. */
struct scratch {
	struct envelope_ctx env;
	struct jdoc *plain_doc;
	struct cipher_keycache *keys;
	struct buf plain;
	bool ready;
};

/* What process() made of a message, before the de-duplication window. */
struct verdict {
	bool ok;
	bool reached_dedup; /* got as far as the duplicate check */
	enum ingest_drop drop;
	char reason[REASON_LEN];
};

/* One submitted message in the parallel mode. */
struct job {
	struct batch *batch;     /* while in a batch whose done has not run */
	bool ready;              /* verdict and msg filled in (loop thread's view) */
	bool ran;                /* set by the worker after process() */
	struct verdict v;
	struct r1_msg msg;
	size_t len;
	char *topic;
	uint8_t *data; /* NULL when the message is not processed from the job */
	char mem[];    /* topic, then data */
};

/*
 * Up to BATCH_MAX messages processed by one pool job, one after the other:
 * a wake-up and a hand-over per batch rather than per message (in a virtual
 * machine each costs a good part of a signature check).  While a batch
 * fills, submissions go round-robin over one open batch per pool thread, so
 * a burst spreads evenly; open batches go to the pool when full, when the
 * flow pauses, and before the loop next waits (a loop hook).
 */
#define BATCH_MAX 8

struct batch {
	struct ingest *ig;
	struct worker_job *wjob; /* once submitted */
	bool cancelled;
	size_t n;
	struct job *jobs[BATCH_MAX];
};

struct ingest {
	struct ingest_config cfg; /* read-only once made: workers read it */
	struct r1_identity me;    /* cfg.me points here */
	char *alias;              /* cfg.alias points here */
	struct scratch sync;      /* the loop thread's */
	struct dedup *dedup;
	struct ingest_stats stats;
	char last_reason[REASON_LEN];
	ingest_deliver_fn deliver;
	void *deliver_ctx;

	/* the parallel mode */
	bool parallel;
	struct ingest_parallel par;
	struct scratch *wscratch; /* one per pool thread, indexed by worker_job_thread */
	unsigned nscratch;
	struct batch **open;      /* nscratch batches being filled (NULL: none) */
	unsigned next_open;
	struct loop_hook *hook;
	unsigned burst;     /* messages submitted since the last poll */
	struct job **ring;  /* submission order */
	size_t head, count, cap;
	size_t on_pool;     /* batches submitted whose done has not run */
	bool paused;        /* the flow was asked to pause */
	bool draining;      /* delivering: do not recurse, do not free */
	bool closing;       /* ingest_free ran; waiting for the pool */
};

static const char *const kind_names[] = {"heartbeat", "payload", "notification", "command"};

const char *msg_kind_name(enum msg_kind kind)
{
	return (unsigned)kind < R1_ARRAY_LEN(kind_names) ? kind_names[kind] : "?";
}

static enum r1_err scratch_init(struct scratch *sc, bool keys, char **why)
{
	if (envelope_ctx_init(&sc->env, why))
		return R1_ERR_NOMEM;
	sc->ready = true;
	sc->plain_doc = jdoc_new();
	if (!sc->plain_doc || (keys && !(sc->keys = cipher_keycache_new())))
		return r1_fail(why, R1_ERR_NOMEM, "ingest: out of memory");
	return R1_OK;
}

static void scratch_release(struct scratch *sc)
{
	if (sc->ready)
		envelope_ctx_release(&sc->env);
	jdoc_free(&sc->plain_doc);
	cipher_keycache_free(&sc->keys);
	buf_release(&sc->plain);
	sc->ready = false;
}

enum r1_err ingest_new(const struct ingest_config *cfg, struct ingest **out, char **why)
{
	struct ingest *ig = r1_calloc(1, sizeof(*ig));
	if (!ig)
		return r1_fail(why, R1_ERR_NOMEM, "ingest: out of memory");
	ig->cfg = *cfg;
	if (!ig->cfg.dedup_window)
		ig->cfg.dedup_window = 8192;
	if (!ig->cfg.max_plain)
		ig->cfg.max_plain = 8u << 20;
	if (cfg->me) {
		ig->me = *cfg->me;
		ig->cfg.me = &ig->me;
	}
	enum r1_err e = R1_OK;
	if (cfg->alias && !(ig->alias = r1_strdup(cfg->alias)))
		e = r1_fail(why, R1_ERR_NOMEM, "ingest: out of memory");
	ig->cfg.alias = ig->alias;
	if (!e)
		e = scratch_init(&ig->sync, cfg->me != NULL, why);
	if (!e)
		e = dedup_new(ig->cfg.dedup_window, &ig->dedup, why);
	if (e) {
		ingest_free(&ig);
		return e;
	}
	*out = ig;
	return R1_OK;
}

static void destroy(struct ingest *ig)
{
	scratch_release(&ig->sync);
	for (unsigned i = 0; i < ig->nscratch; i++)
		scratch_release(&ig->wscratch[i]);
	r1_free(ig->wscratch);
	r1_free(ig->open);
	if (ig->hook)
		loop_hook_remove(ig->par.loop, &ig->hook);
	r1_free(ig->ring);
	dedup_free(&ig->dedup);
	identity_wipe(&ig->me);
	r1_free(ig->alias);
	r1_free(ig);
}

/* The last step of ingest_free, once no job and no delivery is under way. */
static void maybe_destroy(struct ingest *ig)
{
	if (ig->closing && !ig->draining && !ig->on_pool)
		destroy(ig);
}

static void job_free(struct job *j)
{
	if (j->v.ok)
		r1_msg_release(&j->msg);
	r1_free(j);
}

void ingest_free(struct ingest **igp)
{
	struct ingest *ig = *igp;
	if (!ig)
		return;
	*igp = NULL;
	ig->closing = true;
	if (ig->paused && ig->par.flow) {
		ig->paused = false;
		ig->par.flow(ig->par.flow_ctx, false);
	}
	for (unsigned k = 0; ig->open && k < ig->nscratch; k++) {
		struct batch *b = ig->open[k];
		for (size_t i = 0; b && i < b->n; i++)
			b->jobs[i]->batch = NULL; /* never submitted: freed below */
		r1_free(b);
		ig->open[k] = NULL;
	}
	while (ig->count) {
		struct job *j = ig->ring[ig->head];
		ig->head = (ig->head + 1) % ig->cap;
		ig->count--;
		if (!j->batch) {
			job_free(j);
		} else if (!j->batch->cancelled) {
			/* Not started: it never will.  Running: it stops at the next
			 * message.  Either way its done call frees the jobs. */
			j->batch->cancelled = true;
			workers_cancel(ig->par.pool, j->batch->wjob);
		}
	}
	maybe_destroy(ig);
}

const struct ingest_stats *ingest_get_stats(const struct ingest *ig)
{
	return &ig->stats;
}

const char *ingest_last_reason(const struct ingest *ig)
{
	return ig->last_reason;
}

void ingest_reset_dedup(struct ingest *ig)
{
	dedup_clear(ig->dedup);
}

void r1_msg_release(struct r1_msg *msg)
{
	json_decref(msg->body);
	msg->body = NULL;
}

static bool fail(struct verdict *v, enum ingest_drop reason, const char *fmt, ...) R1_PRINTF(3, 4);

static bool fail(struct verdict *v, enum ingest_drop reason, const char *fmt, ...)
{
	v->ok = false;
	v->drop = reason;
	int n = snprintf(v->reason, sizeof(v->reason), "%s: ", ingest_drop_name(reason));
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(v->reason))
		vsnprintf(v->reason + n, sizeof(v->reason) - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

static bool topic_has_suffix(const char *topic, const char *suffix)
{
	size_t t = strlen(topic), s = strlen(suffix);
	return t >= s && strcmp(topic + t - s, suffix) == 0;
}

/* EE_EVENT_TYPE when present, else the channel the topic belongs to. */
static bool classify(const struct jdoc_node *root, const char *topic, enum msg_kind *kind)
{
	const struct jdoc_node *ev = jdoc_obj_get(root, K_EE_EVENT_TYPE);
	if (topic_has_suffix(topic, "/config")) {
		*kind = MSG_COMMAND;
		return true;
	}
	if (ev && jdoc_type(ev) == JDOC_STRING) {
		if (jdoc_str_eq(ev, EVENT_HEARTBEAT, strlen(EVENT_HEARTBEAT)))
			*kind = MSG_HEARTBEAT;
		else if (jdoc_str_eq(ev, EVENT_NOTIFICATION, strlen(EVENT_NOTIFICATION)))
			*kind = MSG_NOTIFICATION;
		else if (jdoc_str_eq(ev, EVENT_PAYLOAD, strlen(EVENT_PAYLOAD)))
			*kind = MSG_PAYLOAD;
		else
			return false;
		return true;
	}
	if (jdoc_obj_get(root, K_ACTION)) {
		*kind = MSG_COMMAND;
		return true;
	}
	if (topic_has_suffix(topic, "/payloads"))
		*kind = MSG_PAYLOAD;
	else if (topic_has_suffix(topic, "/ctrl"))
		*kind = MSG_HEARTBEAT;
	else if (topic_has_suffix(topic, "/notif"))
		*kind = MSG_NOTIFICATION;
	else
		return false;
	return true;
}

static bool str_names_me(const struct ingest_config *cfg, const struct jdoc_node *n)
{
	if (!n || jdoc_type(n) != JDOC_STRING || !cfg->me)
		return false;
	const char *s = jdoc_str(n);
	size_t len = jdoc_len(n);
	if (strlen(s) != len)
		return false; /* an embedded NUL names nobody */
	return addr_same(s, cfg->me->addr);
}

/* EE_DEST: one address or a list of them. */
static bool dest_names_me(const struct ingest_config *cfg, const struct jdoc_node *dest)
{
	if (!dest)
		return false;
	if (jdoc_type(dest) == JDOC_ARRAY) {
		for (size_t i = 0; i < jdoc_len(dest); i++)
			if (str_names_me(cfg, jdoc_array_at(dest, i)))
				return true;
		return false;
	}
	return str_names_me(cfg, dest);
}

/* A command is for us when EE_ID is our alias, our address or our ETH address. */
static bool command_for_us(const struct ingest_config *cfg, const struct jdoc_node *ee_id)
{
	if (!ee_id || jdoc_type(ee_id) != JDOC_STRING || !cfg->me)
		return false;
	const char *s = jdoc_str(ee_id);
	if (strlen(s) != jdoc_len(ee_id))
		return false;
	if (cfg->alias && strcmp(s, cfg->alias) == 0)
		return true;
	if (strcasecmp(s, cfg->me->eth) == 0)
		return true;
	return addr_same(s, cfg->me->addr);
}

static const char *body_str(json_t *body, const char *key)
{
	return json_string_value(json_object_get(body, key));
}

static void fill_refs(struct r1_msg *msg)
{
	msg->alias = body_str(msg->body, K_EE_ID);
	json_t *path = json_object_get(msg->body, K_EE_PAYLOAD_PATH);
	for (size_t i = 0; i < 4; i++)
		msg->path[i] = json_is_array(path) ? json_string_value(json_array_get(path, i)) : NULL;
}

/* Decrypt EE_ENCRYPTED_DATA and merge: {**decrypted, **outer}, minus the ciphertext. */
static bool decrypt_into(const struct ingest_config *cfg, struct scratch *sc, struct r1_msg *msg,
			 const struct jdoc_node *root, struct verdict *v)
{
	const struct jdoc_node *data = jdoc_obj_get(root, K_EE_ENCRYPTED_DATA);
	if (!data || jdoc_type(data) != JDOC_STRING)
		return fail(v, INGEST_DROP_MALFORMED, "EE_ENCRYPTED_DATA missing or not a string");
	char *why = NULL;
	buf_reset(&sc->plain);
	enum r1_err e = cipher_decrypt(cfg->me, msg->sender, jdoc_str(data), jdoc_len(data),
				       cfg->max_plain, sc->keys, &sc->plain, &why);
	if (e) {
		fail(v, INGEST_DROP_DECRYPT_FAILED, "%s", why ? why : r1_strerror(e));
		r1_free(why);
		return false;
	}
	e = jdoc_parse(sc->plain_doc, sc->plain.data ? sc->plain.data : "", sc->plain.len, NULL,
		       &why);
	const struct jdoc_node *proot = e ? NULL : jdoc_root(sc->plain_doc);
	if (!proot || jdoc_type(proot) != JDOC_OBJECT) {
		fail(v, INGEST_DROP_DECRYPT_FAILED, "decrypted data is not a JSON object%s%s",
		     why ? ": " : "", why ? why : "");
		r1_free(why);
		return false;
	}
	json_t *inner = NULL;
	if (jdoc_to_jansson(proot, &inner, &why)) {
		fail(v, INGEST_DROP_MALFORMED, "%s", why ? why : "out of memory");
		r1_free(why);
		return false;
	}
	json_object_del(msg->body, K_EE_ENCRYPTED_DATA);
	json_object_update(inner, msg->body); /* outer keys win */
	json_decref(msg->body);
	msg->body = inner;
	msg->decrypted = true;
	return true;
}

/*
 * Everything that needs no state but the configuration: parse, classify,
 * extract EE_HASH, verify, decrypt, build the body.  `early` (the loop
 * thread only) lets the synchronous path stop at a known hash before paying
 * for a verification; settle() checks the window again in any case.
 * Returns v->ok; on true *msg holds a body.
 */
static bool process(const struct ingest_config *cfg, struct scratch *sc, const char *topic,
		    const void *data, size_t len, const struct dedup *early, struct r1_msg *msg,
		    struct verdict *v)
{
	memset(msg, 0, sizeof(*msg));
	v->ok = false;
	v->reached_dedup = false;
	v->reason[0] = '\0';
	msg->topic = topic;
	msg->wire_len = len;
	if (!ingest_size_ok(len, NULL)) {
		v->drop = INGEST_DROP_OVERSIZE;
		snprintf(v->reason, sizeof(v->reason), "oversize: %zu bytes", len);
		return false;
	}

	char *why = NULL;
	if (jdoc_parse(sc->env.doc, data, len, NULL, &why)) {
		fail(v, INGEST_DROP_MALFORMED, "%s", why ? why : "unparsable");
		r1_free(why);
		return false;
	}
	const struct jdoc_node *root = jdoc_root(sc->env.doc);
	if (jdoc_type(root) != JDOC_OBJECT)
		return fail(v, INGEST_DROP_MALFORMED, "not a JSON object");
	if (!classify(root, topic, &msg->kind))
		return fail(v, INGEST_DROP_MALFORMED, "unknown EE_EVENT_TYPE on %s", topic);

	v->reached_dedup = true;
	const struct jdoc_node *hash = jdoc_obj_get(root, K_EE_HASH);
	if (hash && jdoc_type(hash) == JDOC_STRING && jdoc_len(hash) == 64 &&
	    hex_decode(jdoc_str(hash), 64, msg->hash, 32, NULL) == R1_OK) {
		msg->has_hash = true;
		if (early && dedup_contains(early, msg->hash))
			return fail(v, INGEST_DROP_DUPLICATE, "EE_HASH %.16s... seen before",
				    jdoc_str(hash));
	}

	if (msg->kind == MSG_COMMAND && !command_for_us(cfg, jdoc_obj_get(root, K_EE_ID)))
		return fail(v, INGEST_DROP_NOT_FOR_US, "command EE_ID is not this node");

	struct envelope_verdict ev;
	enum envelope_status st = envelope_verify(&sc->env, root, cfg->eth_enabled, &ev);
	if (st == ENVELOPE_NO_RESOURCES)
		return fail(v, INGEST_DROP_MALFORMED, "out of memory verifying");
	if (st != ENVELOPE_OK) {
		if (!cfg->accept_unverified || st == ENVELOPE_MALFORMED)
			return fail(v, INGEST_DROP_BAD_SIGNATURE, "%s: %s",
				    envelope_status_name(st), ev.reason);
		if (snprintf(msg->reason, sizeof(msg->reason), "%s: %s", envelope_status_name(st),
			     ev.reason) < 0)
			msg->reason[0] = '\0';
	} else {
		msg->verified = true;
		msg->canon = ev.canon;
	}
	memcpy(msg->sender, ev.sender, sizeof(msg->sender));

	const struct jdoc_node *enc = jdoc_obj_get(root, K_EE_IS_ENCRYPTED);
	msg->encrypted = enc && jdoc_type(enc) == JDOC_TRUE;
	/* A command that passed the EE_ID check is ours to decrypt, EE_DEST or not. */
	msg->to_us = msg->kind == MSG_COMMAND || dest_names_me(cfg, jdoc_obj_get(root, K_EE_DEST));
	if (msg->encrypted && !msg->to_us && !(cfg->keep_foreign && msg->kind == MSG_PAYLOAD))
		return fail(v, INGEST_DROP_NOT_FOR_US, "encrypted for someone else");
	if (msg->encrypted && msg->to_us && !msg->sender[0])
		return fail(v, INGEST_DROP_DECRYPT_FAILED, "no valid EE_SENDER to decrypt from");

	if (jdoc_to_jansson(root, &msg->body, &why)) {
		fail(v, INGEST_DROP_MALFORMED, "%s", why ? why : "out of memory");
		r1_free(why);
		return false;
	}
	if (msg->encrypted && msg->to_us && !decrypt_into(cfg, sc, msg, root, v)) {
		r1_msg_release(msg);
		return false;
	}
	fill_refs(msg);
	v->ok = true;
	return true;
}

/*
 * The stateful half, on the loop thread in submission order: the window
 * (a hash enters it only with a verified, delivered message), the counters and the
 * last reason.  Returns whether the message is delivered; on false a body
 * process() made is released.
 */
static bool settle(struct ingest *ig, struct r1_msg *msg, struct verdict *v)
{
	if (v->reached_dedup && msg->has_hash && dedup_contains(ig->dedup, msg->hash)) {
		if (v->ok)
			r1_msg_release(msg);
		struct buf hex = BUF_INIT;
		buf_addhex(&hex, msg->hash, 8);
		fail(v, INGEST_DROP_DUPLICATE, "EE_HASH %s... seen before",
		     buf_ok(&hex) ? buf_cstr(&hex) : "?");
		buf_release(&hex);
	}
	if (!v->ok) {
		ig->stats.drops.count[v->drop]++;
		memcpy(ig->last_reason, v->reason, sizeof(ig->last_reason));
		return false;
	}
	/*
	 * Only a verified message's hash enters the window: on an unsecured
	 * node, a forged copy delivered unverified must not make the real,
	 * signed message look like a replay.
	 */
	if (msg->has_hash && msg->verified)
		dedup_seen(ig->dedup, msg->hash);
	ig->stats.delivered++;
	if (!msg->verified)
		ig->stats.unverified++;
	ig->last_reason[0] = '\0';
	return true;
}

bool ingest_receive(struct ingest *ig, const char *topic, const void *data, size_t len,
		    struct r1_msg *msg, enum ingest_drop *out)
{
	struct verdict v;
	ig->stats.received++;
	process(&ig->cfg, &ig->sync, topic, data, len, ig->dedup, msg, &v);
	if (settle(ig, msg, &v))
		return true;
	if (out)
		*out = v.drop;
	return false;
}

/* ---- submission and the parallel mode */

void ingest_set_delivery(struct ingest *ig, ingest_deliver_fn fn, void *ctx)
{
	ig->deliver = fn;
	ig->deliver_ctx = ctx;
}

size_t ingest_pending(const struct ingest *ig)
{
	return ig->count;
}

/* Settle and hand over one outcome; the caller holds ig->draining. */
static void deliver_one(struct ingest *ig, const char *topic, size_t len, struct r1_msg *msg,
			struct verdict *v)
{
	bool ok = settle(ig, msg, v);
	if (ig->deliver) {
		struct ingest_outcome o = {
		    .topic = topic,
		    .wire_len = len,
		    .msg = ok ? msg : NULL,
		    .drop = ok ? INGEST_DROP_OVERSIZE : v->drop,
		    .reason = ok ? "" : v->reason,
		};
		ig->deliver(ig->deliver_ctx, ig, &o);
	}
	if (ok)
		r1_msg_release(msg);
	v->ok = false; /* the body is gone either way */
}

/* Deliver from the head of the queue while the jobs there are ready. */
static void drain(struct ingest *ig)
{
	if (ig->draining)
		return;
	ig->draining = true;
	while (ig->count && !ig->closing) {
		struct job *j = ig->ring[ig->head];
		if (!j->ready)
			break;
		ig->head = (ig->head + 1) % ig->cap;
		ig->count--;
		deliver_one(ig, j->topic, j->len, &j->msg, &j->v);
		job_free(j);
	}
	ig->draining = false;
	if (ig->closing) {
		maybe_destroy(ig);
		return;
	}
	if (ig->paused && ig->count <= ig->par.resume_at) {
		ig->paused = false;
		ig->par.flow(ig->par.flow_ctx, false);
	}
}

/* Worker thread: only the batch, the configuration and this thread's scratch. */
static void batch_run(struct worker_job *wj, void *arg)
{
	struct batch *b = arg;
	const struct ingest *ig = b->ig;
	struct scratch *sc = &ig->wscratch[worker_job_thread(wj)];
	for (size_t i = 0; i < b->n && !worker_job_cancelled(wj); i++) {
		struct job *j = b->jobs[i];
		process(&ig->cfg, sc, j->topic, j->data, j->len, NULL, &j->msg, &j->v);
		j->ran = true;
	}
}

static void batch_done(void *arg, enum r1_err status)
{
	struct batch *b = arg;
	struct ingest *ig = b->ig;
	(void)status; /* each job's `ran` says whether its work was done */
	ig->on_pool--;
	if (ig->closing) {
		for (size_t i = 0; i < b->n; i++)
			job_free(b->jobs[i]);
		r1_free(b);
		maybe_destroy(ig);
		return;
	}
	if (ig->ring[ig->head] != b->jobs[0])
		ig->stats.reordered += b->n;
	for (size_t i = 0; i < b->n; i++) {
		struct job *j = b->jobs[i];
		j->batch = NULL;
		if (j->ran) {
			ig->stats.pooled++;
		} else {
			/* Cancelled before it ran (the pool is shutting down): do it here. */
			process(&ig->cfg, &ig->sync, j->topic, j->data, j->len, NULL, &j->msg,
				&j->v);
			ig->stats.inline_full++;
		}
		j->ready = true;
	}
	r1_free(b);
	drain(ig);
}

/* Hand open batch k to the pool; if the pool refuses, process it here. */
static void batch_submit(struct ingest *ig, unsigned k)
{
	struct batch *b = ig->open[k];
	ig->open[k] = NULL;
	char *why = NULL;
	if (workers_submit(ig->par.pool, batch_run, batch_done, b, &b->wjob, &why) == R1_OK) {
		ig->on_pool++;
		ig->stats.batches++;
		return;
	}
	r1_free(why); /* queue full or shutting down */
	for (size_t i = 0; i < b->n; i++) {
		struct job *j = b->jobs[i];
		process(&ig->cfg, &ig->sync, j->topic, j->data, j->len, NULL, &j->msg, &j->v);
		j->batch = NULL;
		j->ready = true;
		ig->stats.inline_full++;
	}
	r1_free(b);
}

static void flush_batches(struct ingest *ig)
{
	for (unsigned k = 0; k < ig->nscratch; k++)
		if (ig->open[k])
			batch_submit(ig, k);
}

static void on_before_poll(void *ctx)
{
	struct ingest *ig = ctx;
	ig->burst = 0;
	if (ig->closing)
		return;
	flush_batches(ig);
	drain(ig); /* in case the pool refused a batch and it was done here */
}

enum r1_err ingest_use_pool(struct ingest *ig, const struct ingest_parallel *p, char **why)
{
	if (!p || !p->loop || !p->pool)
		return r1_fail(why, R1_ERR_INVAL,
			       "ingest: the parallel mode needs a loop and a pool");
	if (ig->parallel)
		return r1_fail(why, R1_ERR_STATE, "ingest: already in parallel mode");
	unsigned n = workers_threads(p->pool);
	struct ingest_parallel par = *p;
	if (!par.max_inflight)
		par.max_inflight = 64;
	if (!par.resume_at || par.resume_at >= par.max_inflight)
		par.resume_at = par.max_inflight / 4;
	size_t cap = par.max_inflight * 2;
	ig->wscratch = r1_calloc(n, sizeof(*ig->wscratch));
	ig->open = r1_calloc(n, sizeof(*ig->open));
	ig->ring = r1_calloc(cap, sizeof(*ig->ring));
	if (!ig->wscratch || !ig->ring || !ig->open) {
		r1_free(ig->wscratch);
		r1_free(ig->ring);
		r1_free(ig->open);
		ig->wscratch = NULL;
		ig->ring = NULL;
		ig->open = NULL;
		return r1_fail(why, R1_ERR_NOMEM, "ingest: out of memory");
	}
	ig->nscratch = n;
	enum r1_err e = R1_OK;
	for (unsigned i = 0; i < n && !e; i++)
		e = scratch_init(&ig->wscratch[i], ig->cfg.me != NULL, why);
	if (!e && !(ig->hook = loop_hook_add(p->loop, on_before_poll, ig)))
		e = r1_fail(why, R1_ERR_NOMEM, "ingest: out of memory");
	if (e) {
		for (unsigned i = 0; i < n; i++)
			scratch_release(&ig->wscratch[i]);
		r1_free(ig->wscratch);
		r1_free(ig->ring);
		r1_free(ig->open);
		ig->wscratch = NULL;
		ig->ring = NULL;
		ig->open = NULL;
		ig->nscratch = 0;
		return e;
	}
	ig->cap = cap;
	ig->head = ig->count = 0;
	ig->par = par;
	ig->parallel = true;
	return R1_OK;
}

/* Append to the queue, growing it when an owner ignored the flow. */
static bool ring_push(struct ingest *ig, struct job *j)
{
	if (ig->count == ig->cap) {
		size_t ncap = ig->cap * 2;
		struct job **r = r1_reallocarray(NULL, ncap, sizeof(*r));
		if (!r)
			return false;
		for (size_t i = 0; i < ig->count; i++)
			r[i] = ig->ring[(ig->head + i) % ig->cap];
		r1_free(ig->ring);
		ig->ring = r;
		ig->cap = ncap;
		ig->head = 0;
	}
	ig->ring[(ig->head + ig->count) % ig->cap] = j;
	ig->count++;
	return true;
}

static struct job *job_new(struct ingest *ig, const char *topic, const void *data, size_t len,
			   bool copy)
{
	size_t tlen = strlen(topic) + 1;
	struct job *j = r1_malloc(sizeof(*j) + tlen + (copy ? len : 0));
	if (!j)
		return NULL;
	memset(j, 0, sizeof(*j));
	j->len = len;
	j->topic = j->mem;
	memcpy(j->topic, topic, tlen);
	if (copy) {
		j->data = (uint8_t *)j->mem + tlen;
		if (len)
			memcpy(j->data, data, len);
	}
	return j;
}

/* Process on the loop thread and deliver at once (nothing is ahead of it). */
static void process_now(struct ingest *ig, const char *topic, const void *data, size_t len)
{
	struct r1_msg msg;
	struct verdict v;
	process(&ig->cfg, &ig->sync, topic, data, len, ig->dedup, &msg, &v);
	bool was = ig->draining;
	ig->draining = true;
	deliver_one(ig, topic, len, &msg, &v);
	ig->draining = was;
	if (!was && ig->closing)
		maybe_destroy(ig);
}

void ingest_submit(struct ingest *ig, const char *topic, const void *data, size_t len)
{
	ig->stats.received++;
	bool oversize = !ingest_size_ok(len, NULL);
	bool idle = ig->count == 0 && !ig->draining;
	if (!ig->parallel || (idle && (oversize || (!ig->par.always && ig->burst == 0)))) {
		ig->burst++;
		if (ig->parallel && !oversize)
			ig->stats.inline_idle++;
		process_now(ig, topic, data, len);
		return;
	}
	ig->burst++;
	bool full = ig->count >= ig->par.max_inflight;
	struct job *j = job_new(ig, topic, data, len, !oversize && !full);
	if (!j || !ring_push(ig, j)) {
		/* Out of memory: the one case delivered ahead of earlier messages. */
		r1_free(j);
		struct verdict v;
		struct r1_msg msg = {.topic = topic, .wire_len = len};
		fail(&v, INGEST_DROP_MALFORMED, "out of memory queueing a message");
		v.reached_dedup = false;
		bool was = ig->draining;
		ig->draining = true;
		deliver_one(ig, topic, len, &msg, &v);
		ig->draining = was;
		if (!was && ig->closing)
			maybe_destroy(ig);
		return;
	}
	unsigned k = ig->next_open;
	struct batch *b = oversize || full ? NULL : ig->open[k];
	if (!oversize && !full && !b && (b = r1_calloc(1, sizeof(*b)))) {
		b->ig = ig;
		ig->open[k] = b;
	}
	if (b) {
		b->jobs[b->n++] = j;
		j->batch = b;
		ig->next_open = (k + 1) % ig->nscratch;
		if (b->n == BATCH_MAX)
			batch_submit(ig, k);
	} else {
		/* Oversize, or the pool is saturated (or out of memory for a
		 * batch): the verdict is made here. */
		process(&ig->cfg, &ig->sync, j->topic, data, len, NULL, &j->msg, &j->v);
		j->ready = true;
		if (!oversize)
			ig->stats.inline_full++;
	}
	if (ig->count >= ig->par.max_inflight) {
		flush_batches(ig); /* the pool starts on them before we wait */
		if (!ig->paused && ig->par.flow) {
			ig->paused = true;
			ig->stats.pauses++;
			ig->par.flow(ig->par.flow_ctx, true);
		}
	}
	drain(ig);
}
