/*
 * The CStore engine (see cstore.h): the reference's write rules, the
 * SSTORE/SCONFIRM/SHSYNC protocol, and the pending operations that wait on
 * it.  Pending writes hang off their record (one per key: a newer write
 * supersedes the older), pending writes and hsyncs share one min-heap of
 * deadlines, and a confirmation finishes its write the moment it arrives.
 * Messages travel through env.send; parsing is msg.c's, storage is
 * replica.c's.  This file does not know about envelopes, topics or HTTP.
 */
#include "node/lib.h"
#include "node/cstore/cstore.h"
#include "node/cstore/hkey.h"
#include "node/cstore/jvalue.h"
#include "node/cstore/msg.h"
#include "core/cipher.h"
#include "core/hash.h"
#include "core/identity.h"
#include "core/proto.h"
#include "core/utf8.h"
#include "core/codec.h"
#include "core/clock.h"

#define LOGMOD       "cstore"
#define SEEN_CAP     32768u          /* recent EE_HASHes remembered (a power of two) */
#define SNAPSHOT_MAX (1536u * 1024u) /* bytes of values in one SHSYNC_RESP */

enum pending_kind { P_WRITE, P_HSYNC };

struct pending {
	uint64_t id;
	enum pending_kind kind;
	uint64_t deadline_ms;
	size_t heap_idx;
	bool finished; /* decided while inside an API call: deliver on the next run */
	void *arg;
	/* P_WRITE */
	struct replica_record *rec; /* the version this write waits on; NULL once decided */
	json_t *data;               /* the SSTORE to resend */
	int min_confirms;
	int attempt, max_retries;
	unsigned timeout_ms;
	enum cstore_outcome outcome;
	cstore_write_fn wdone;
	/* P_HSYNC */
	char *hkey;
	char request_id[40];
	char **targets;
	size_t ntargets;
	bool peek;
	cstore_hsync_fn hdone;
	enum r1_err herr;
	char *source_peer;
	size_t merged;
	json_t *snapshot;
};

/* Recent message hashes: a ring (for eviction) over an open-addressing set. */
struct seen {
	uint64_t ring[SEEN_CAP];
	size_t head, n;
	uint64_t tab[SEEN_CAP * 2]; /* 0 = empty */
};

struct strv {
	char **v;
	size_t n, cap;
};

struct cstore {
	struct cstore_config cfg;
	char *addr, *alias;
	struct cstore_env env;
	struct r1_log *log;
	struct replica *replica;
	json_t *own_path; /* [addr, admin_pipeline, CHAIN_STORE_BASE, CHAIN_STORE_BASE_INST] */
	char *own_path_text;
	struct pending **heap;
	size_t nheap, capheap;
	uint64_t next_id;
	int in_api; /* > 0 while an API call runs: completions are deferred */
	bool closing;
	struct seen *seen;
	uint64_t counters[CSC__COUNT];
	void (*observer)(void *ctx, const char *key);
	void *observer_ctx;
};

static const char *const counter_names[CSC__COUNT] = {
    [CSC_WRITES] = "writes",
    [CSC_WRITES_CONFIRMED] = "writes_confirmed",
    [CSC_WRITES_SAME] = "writes_same_value",
    [CSC_WRITES_FAILED] = "writes_refused",
    [CSC_WRITES_TIMEOUT] = "writes_timeout",
    [CSC_WRITES_SUPERSEDED] = "writes_superseded",
    [CSC_RETRIES] = "retries",
    [CSC_SENT] = "sent",
    [CSC_SEND_ERRORS] = "send_errors",
    [CSC_STORES_APPLIED] = "stores_applied",
    [CSC_CONFIRMS_COUNTED] = "confirms_counted",
    [CSC_CONFIRMS_LATE] = "confirms_late",
    [CSC_HSYNC_SERVED] = "hsync_served",
    [CSC_HSYNC_DONE] = "hsync_done",
    [CSC_HSYNC_TIMEOUT] = "hsync_timeout",
    [CSC_FIELDS_MERGED] = "fields_merged",
    [CSC_IGNORED_SELF] = "ignored_self",
    [CSC_REMOTE_REQUESTS] = "remote_requests",
    [CSC_REFUSED_MALFORMED] = "refused_malformed",
    [CSC_REFUSED_UNENCRYPTED] = "refused_unencrypted",
    [CSC_REFUSED_UNTRUSTED] = "refused_untrusted",
    [CSC_REFUSED_REPLAY] = "refused_replay",
    [CSC_REFUSED_STALE] = "refused_stale",
    [CSC_REFUSED_TOO_BIG] = "refused_too_big",
    [CSC_REFUSED_BAD_VALUE] = "refused_bad_value",
    [CSC_REFUSED_TOKEN] = "refused_token",
    [CSC_REFUSED_READONLY] = "refused_readonly",
    [CSC_REFUSED_FORGED_OWNER] = "refused_forged_owner",
    [CSC_REFUSED_FORGED_CONFIRM] = "refused_forged_confirm",
    [CSC_REFUSED_UNEXPECTED] = "refused_unexpected",
};

static const char *const outcome_names[] = {
    [CSTORE_OK] = "ok",
    [CSTORE_PENDING] = "pending",
    [CSTORE_TOKEN] = "token",
    [CSTORE_READONLY] = "readonly",
    [CSTORE_NO_PEERS] = "no_peers",
    [CSTORE_TIMEOUT] = "timeout",
    [CSTORE_SUPERSEDED] = "superseded",
    [CSTORE_CANCELLED] = "cancelled",
};

const char *cstore_counter_name(enum cstore_counter c)
{
	return (unsigned)c < CSC__COUNT ? counter_names[c] : "?";
}

const char *cstore_outcome_name(enum cstore_outcome o)
{
	return (unsigned)o < R1_ARRAY_LEN(outcome_names) ? outcome_names[o] : "?";
}

uint64_t cstore_counter(const struct cstore *cs, enum cstore_counter c)
{
	return (unsigned)c < CSC__COUNT ? cs->counters[c] : 0;
}

uint64_t cstore_refusals(const struct cstore *cs)
{
	uint64_t n = 0;
	for (int c = CSC_FIRST_REFUSAL; c < CSC__COUNT; c++)
		n += cs->counters[c];
	return n;
}

/* ---- time */

static uint64_t now_ms(const struct cstore *cs)
{
	if (cs->env.now_ms)
		return cs->env.now_ms(cs->env.ctx);
	return r1_mono_ms();
}

static int64_t wall_us(const struct cstore *cs)
{
	if (cs->env.wall_us)
		return cs->env.wall_us(cs->env.ctx);
	return r1_wall_us();
}

static void notify_changed(struct cstore *cs, const char *key)
{
	if (cs->env.changed)
		cs->env.changed(cs->env.ctx, key);
	if (cs->observer)
		cs->observer(cs->observer_ctx, key);
}

void cstore_set_observer(struct cstore *cs, void (*fn)(void *ctx, const char *key), void *ctx)
{
	cs->observer = fn;
	cs->observer_ctx = ctx;
}

/* ---- string vectors */

static void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		r1_free(s->v[i]);
	r1_free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static bool strv_push(struct strv *s, const char *str)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 8;
		char **nv = r1_reallocarray(s->v, ncap, sizeof(*nv));
		if (!nv)
			return false;
		s->v = nv;
		s->cap = ncap;
	}
	char *copy = r1_strdup(str);
	if (!copy)
		return false;
	s->v[s->n++] = copy;
	return true;
}

/*
 * The "0xai_" form of an address given with "0xai_", "aixp_" or no prefix,
 * into out; false when it does not look like an address.  (The curve check
 * happens when the payload is encrypted for it.)
 */
static bool normalize_addr(const char *in, char out[R1_ADDR_LEN + 1])
{
	const char *body = addr_strip_prefix(in);
	if (strlen(body) != R1_ADDR_BODY_LEN)
		return false;
	for (const char *p = body; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '='))
			return false;
	snprintf(out, R1_ADDR_LEN + 1, "%s%s", R1_ADDR_PREFIX, body);
	return true;
}

static bool strv_has_addr(const struct strv *s, const char *addr)
{
	for (size_t i = 0; i < s->n; i++)
		if (addr_same(s->v[i], addr))
			return true;
	return false;
}

/* Add peers (normalized, de-duplicated, never ourselves).  NOMEM. */
static bool add_peers(struct cstore *cs, struct strv *out, const char *const *peers, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char norm[R1_ADDR_LEN + 1];
		if (!peers[i] || !*peers[i])
			continue;
		if (!normalize_addr(peers[i], norm)) {
			LOG_D(cs->log, LOGMOD, "ignoring peer \"%.60s\": not an address", peers[i]);
			continue;
		}
		if (addr_same(norm, cs->addr) || strv_has_addr(out, norm))
			continue;
		if (!strv_push(out, norm))
			return false;
	}
	return true;
}

/* The reference's __get_target_peers: default peers (unless excluded) then explicit ones. */
static bool resolve_targets(struct cstore *cs, const char *const *explicit, size_t n,
                            bool no_default, struct strv *out)
{
	if (!no_default && cs->env.default_peers) {
		const char *const *def = NULL;
		size_t nd = cs->env.default_peers(cs->env.ctx, &def);
		if (!add_peers(cs, out, def, nd))
			return false;
	}
	return add_peers(cs, out, explicit, n);
}

static int min_confirms_for(const struct cstore *cs, size_t ntargets)
{
	if (cs->cfg.min_confirmations > 0)
		return cs->cfg.min_confirmations;
	return (int)(ntargets / 2 + 1);
}

/* ---- sending */

static void send_data(struct cstore *cs, const char *const *peers, size_t n, const json_t *data)
{
	if (!n)
		return;
	char *why = NULL;
	cs->counters[CSC_SENT]++;
	if (cs->env.send(cs->env.ctx, peers, n, data, &why)) {
		cs->counters[CSC_SEND_ERRORS]++;
		LOG_W(cs->log, LOGMOD, "sending %s to %zu peer(s) failed: %s",
		      json_string_value(json_object_get(data, CS_K_OP)), n, why ? why : "?");
	}
	r1_free(why);
}

/* ---- the deadline heap */

static bool heap_before(const struct pending *a, const struct pending *b)
{
	return a->deadline_ms < b->deadline_ms;
}

static void heap_swap(struct cstore *cs, size_t i, size_t j)
{
	struct pending *t = cs->heap[i];
	cs->heap[i] = cs->heap[j];
	cs->heap[j] = t;
	cs->heap[i]->heap_idx = i;
	cs->heap[j]->heap_idx = j;
}

static void heap_up(struct cstore *cs, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!heap_before(cs->heap[i], cs->heap[parent]))
			break;
		heap_swap(cs, i, parent);
		i = parent;
	}
}

static void heap_down(struct cstore *cs, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < cs->nheap && heap_before(cs->heap[l], cs->heap[m]))
			m = l;
		if (r < cs->nheap && heap_before(cs->heap[r], cs->heap[m]))
			m = r;
		if (m == i)
			return;
		heap_swap(cs, i, m);
		i = m;
	}
}

static bool heap_push(struct cstore *cs, struct pending *p)
{
	if (cs->nheap == cs->capheap) {
		size_t ncap = cs->capheap ? cs->capheap * 2 : 16;
		struct pending **nh = r1_reallocarray(cs->heap, ncap, sizeof(*nh));
		if (!nh)
			return false;
		cs->heap = nh;
		cs->capheap = ncap;
	}
	uint64_t before = cstore_next_due(cs);
	p->heap_idx = cs->nheap;
	cs->heap[cs->nheap++] = p;
	heap_up(cs, p->heap_idx);
	if (p->deadline_ms < before && cs->env.wake)
		cs->env.wake(cs->env.ctx);
	return true;
}

static void heap_remove(struct cstore *cs, struct pending *p)
{
	size_t i = p->heap_idx;
	cs->nheap--;
	if (i != cs->nheap) {
		cs->heap[i] = cs->heap[cs->nheap];
		cs->heap[i]->heap_idx = i;
		heap_down(cs, i);
		heap_up(cs, i);
	}
}

static void heap_reschedule(struct cstore *cs, struct pending *p, uint64_t deadline)
{
	uint64_t before = cstore_next_due(cs);
	p->deadline_ms = deadline;
	heap_down(cs, p->heap_idx);
	heap_up(cs, p->heap_idx);
	if (deadline < before && cs->env.wake)
		cs->env.wake(cs->env.ctx);
}

uint64_t cstore_next_due(const struct cstore *cs)
{
	return cs->nheap ? cs->heap[0]->deadline_ms : UINT64_MAX;
}

size_t cstore_pending(const struct cstore *cs)
{
	return cs->nheap;
}

static void pending_free(struct pending *p)
{
	if (!p)
		return;
	json_decref(p->data);
	json_decref(p->snapshot);
	r1_free(p->hkey);
	r1_free(p->source_peer);
	for (size_t i = 0; i < p->ntargets; i++)
		r1_free(p->targets[i]);
	r1_free(p->targets);
	r1_free(p);
}

/* ---- finishing pending operations */

static void deliver_write(struct cstore *cs, struct pending *p)
{
	static const enum cstore_counter counted[] = {
	    [CSTORE_OK] = CSC_WRITES_CONFIRMED,
	    [CSTORE_TIMEOUT] = CSC_WRITES_TIMEOUT,
	    [CSTORE_SUPERSEDED] = CSC_WRITES_SUPERSEDED,
	};
	if ((unsigned)p->outcome < R1_ARRAY_LEN(counted) && counted[p->outcome])
		cs->counters[counted[p->outcome]]++;
	cstore_write_fn done = p->wdone;
	void *arg = p->arg;
	enum cstore_outcome o = p->outcome;
	pending_free(p);
	if (done)
		done(arg, o);
}

/* Decide a pending write; the callback runs now, or on the next run when inside an API call. */
static void finish_write(struct cstore *cs, struct pending *p, enum cstore_outcome outcome)
{
	if (p->rec) {
		if (outcome == CSTORE_OK) {
			char *why = NULL;
			if (replica_save_confirms(cs->replica, p->rec, &why))
				LOG_W(cs->log, LOGMOD, "%s", why);
			r1_free(why);
		}
		p->rec->pending = NULL;
		p->rec = NULL;
	}
	p->outcome = outcome;
	if (cs->in_api) {
		p->finished = true;
		heap_reschedule(cs, p, 0);
		return;
	}
	heap_remove(cs, p);
	deliver_write(cs, p);
}

static void deliver_hsync(struct cstore *cs, struct pending *p)
{
	cstore_hsync_fn done = p->hdone;
	void *arg = p->arg;
	if (p->herr == R1_OK)
		cs->counters[CSC_HSYNC_DONE]++;
	else if (p->herr == R1_ERR_TIMEOUT)
		cs->counters[CSC_HSYNC_TIMEOUT]++;
	if (done) {
		if (p->herr == R1_OK) {
			struct cstore_hsync_result res = {p->hkey, p->source_peer, p->merged,
			                                  p->snapshot};
			done(arg, R1_OK, &res, NULL);
		} else {
			char msg[160];
			if (p->herr == R1_ERR_TIMEOUT)
				snprintf(msg, sizeof(msg), "hsync for '%.80s' timed out after %gs",
				         p->hkey, p->timeout_ms / 1000.0);
			else
				snprintf(msg, sizeof(msg), "hsync for '%.80s' cancelled", p->hkey);
			done(arg, p->herr, NULL, msg);
		}
	}
	pending_free(p);
}

static void finish_hsync(struct cstore *cs, struct pending *p, enum r1_err err)
{
	p->herr = err;
	if (cs->in_api) {
		p->finished = true;
		heap_reschedule(cs, p, 0);
		return;
	}
	heap_remove(cs, p);
	deliver_hsync(cs, p);
}

/* A newer value replaced the record a write waits on. */
static void supersede(struct cstore *cs, struct replica_record *rec)
{
	if (rec && rec->pending)
		finish_write(cs, rec->pending, CSTORE_SUPERSEDED);
}

/* ---- construction */

static char *dump_text(const json_t *v)
{
	struct buf b = BUF_INIT;
	if (jvalue_dump(v, &b, NULL)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

enum r1_err cstore_new(const struct cstore_config *cfg, const struct cstore_env *env, sqlite3 *db,
                       struct r1_log *log, struct cstore **out, char **why)
{
	if (!cfg || !cfg->addr || !cfg->alias || !env || !env->send)
		return r1_fail(why, R1_ERR_INVAL, "cstore: address, alias and send are required");
	char own[R1_ADDR_LEN + 1];
	if (!normalize_addr(cfg->addr, own))
		return r1_fail(why, R1_ERR_INVAL, "cstore: \"%s\" is not an address", cfg->addr);
	struct cstore *cs = r1_calloc(1, sizeof(*cs));
	if (!cs)
		return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	cs->cfg = *cfg;
	cs->env = *env;
	cs->log = log;
	if (!cs->cfg.timeout_ms)
		cs->cfg.timeout_ms = CSTORE_DEFAULT_TIMEOUT_S * 1000u;
	if (cs->cfg.max_retries < 0)
		cs->cfg.max_retries = CSTORE_DEFAULT_MAX_RETRIES;
	if (!cs->cfg.hsync_timeout_ms)
		cs->cfg.hsync_timeout_ms = CSTORE_DEFAULT_TIMEOUT_S * 1000u;
	if (!cs->cfg.max_value)
		cs->cfg.max_value = CSTORE_MAX_VALUE_DEFAULT;
	if (!cs->cfg.max_key)
		cs->cfg.max_key = CSTORE_MAX_KEY_DEFAULT;
	if (!cs->cfg.replay_window_us)
		cs->cfg.replay_window_us = CSTORE_REPLAY_WINDOW_DEFAULT_US;
	cs->addr = r1_strdup(own);
	cs->alias = r1_strdup(cfg->alias);
	cs->seen = r1_calloc(1, sizeof(*cs->seen));
	cs->own_path = json_pack("[s,s,s,s+]", own, ADMIN_PIPELINE, SIG_CHAIN_STORE_BASE,
	                         SIG_CHAIN_STORE_BASE, ADMIN_INSTANCE_SUFFIX);
	cs->own_path_text = cs->own_path ? dump_text(cs->own_path) : NULL;
	if (!cs->addr || !cs->alias || !cs->seen || !cs->own_path_text) {
		cstore_free(&cs);
		return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	}
	cs->cfg.addr = cs->addr;
	cs->cfg.alias = cs->alias;
	enum r1_err e = replica_open(db, &cs->replica, why);
	if (e) {
		cstore_free(&cs);
		return e;
	}
	*out = cs;
	return R1_OK;
}

void cstore_free(struct cstore **csp)
{
	struct cstore *cs = *csp;
	if (!cs)
		return;
	cs->closing = true;
	cs->in_api = 0;
	while (cs->nheap) {
		struct pending *p = cs->heap[0];
		if (p->finished) {
			heap_remove(cs, p);
			if (p->kind == P_WRITE)
				deliver_write(cs, p);
			else
				deliver_hsync(cs, p);
		} else if (p->kind == P_WRITE) {
			finish_write(cs, p, CSTORE_CANCELLED);
		} else {
			finish_hsync(cs, p, R1_ERR_CANCELLED);
		}
	}
	r1_free(cs->heap);
	replica_free(&cs->replica);
	json_decref(cs->own_path);
	r1_free(cs->own_path_text);
	r1_free(cs->seen);
	r1_free(cs->addr);
	r1_free(cs->alias);
	r1_free(cs);
	*csp = NULL;
}

void cstore_set_min_confirmations(struct cstore *cs, int n)
{
	cs->cfg.min_confirmations = n;
}

const struct replica *cstore_replica(const struct cstore *cs)
{
	return cs->replica;
}

const struct replica_record *cstore_record(const struct cstore *cs, const char *key)
{
	return replica_get(cs->replica, key);
}

/* ---- input validation */

static enum r1_err check_key(const struct cstore *cs, const char *key, char **why)
{
	size_t len = key ? strlen(key) : 0;
	if (len == 0)
		return r1_fail(why, R1_ERR_INVAL, "cstore: the key is empty");
	if (len > cs->cfg.max_key)
		return r1_fail(why, R1_ERR_TOOBIG, "cstore: key longer than %zu bytes",
		               cs->cfg.max_key);
	if (!r1_utf8_valid(key, len))
		return r1_fail(why, R1_ERR_INVAL, "cstore: the key is not UTF-8");
	return R1_OK;
}

/* JSON text to a value and its normalized text (NULL text for null). */
static enum r1_err parse_json_arg(const char *what, const char *text, size_t max, json_t **v,
                                  char **norm, char **why)
{
	*v = NULL;
	*norm = NULL;
	if (!text)
		return R1_OK;
	enum r1_err e = jvalue_parse(text, strlen(text), v, why);
	if (e) {
		r1_why_prefix(why, "cstore: %s", what);
		return e;
	}
	if (json_is_null(*v))
		return R1_OK;
	struct buf b = BUF_INIT;
	e = jvalue_dump(*v, &b, why);
	if (!e && max && b.len > max)
		e = r1_fail(why, R1_ERR_TOOBIG,
		            "cstore: %s of %zu bytes is over the %zu-byte limit", what, b.len, max);
	if (e) {
		buf_release(&b);
		json_decref(*v);
		*v = NULL;
		return e;
	}
	*norm = buf_detach(&b, NULL);
	if (!*norm) {
		json_decref(*v);
		*v = NULL;
		return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	}
	return R1_OK;
}

/* ---- local writes */

struct write_args {
	const char *key;
	json_t *value;     /* NULL for a delete */
	const char *vtext; /* NULL for a delete */
	json_t *owner;
	const char *otext;
	json_t *token; /* NULL = None */
	const char *ttext;
};

/*
 * The reference's checks against an existing record, in its order: token,
 * delete, same value, readonly.  CSTORE_PENDING means "go ahead".
 */
static enum cstore_outcome check_rules(const struct replica_record *rec, const char *vtext,
                                       const char *otext, const char *ttext)
{
	if (!rec)
		return CSTORE_PENDING;
	if (!jvalue_text_equal(ttext, rec->token))
		return CSTORE_TOKEN;
	if (!vtext)
		return CSTORE_PENDING;
	if (jvalue_text_equal(vtext, rec->value))
		return CSTORE_OK;
	if (rec->readonly && !jvalue_text_equal(otext, rec->owner))
		return CSTORE_READONLY;
	return CSTORE_PENDING;
}

static json_t *peers_json(const struct cstore_write *w, struct cstore *cs)
{
	if (!w->npeers)
		return NULL;
	struct strv norm = {0};
	json_t *arr = json_array();
	bool ok = arr && add_peers(cs, &norm, w->peers, w->npeers);
	for (size_t i = 0; ok && i < norm.n; i++)
		ok = json_array_append_new(arr, json_string(norm.v[i])) == 0;
	strv_free(&norm);
	if (!ok) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static enum r1_err write_local(struct cstore *cs, const struct write_args *a,
                               const struct cstore_write *w, cstore_write_fn done, void *arg,
                               enum cstore_outcome *outcome, uint64_t *op_id, char **why)
{
	cs->counters[CSC_WRITES]++;
	struct strv targets = {0};
	if (!resolve_targets(cs, w->peers, w->npeers, w->no_default_peers, &targets)) {
		strv_free(&targets);
		return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	}
	if (targets.n == 0) {
		LOG_I(cs->log, LOGMOD, "no target peers for a write of \"%.80s\"", a->key);
		cs->counters[CSC_WRITES_FAILED]++;
		*outcome = CSTORE_NO_PEERS;
		strv_free(&targets);
		return R1_OK;
	}
	struct replica_record *rec = replica_get_mut(cs->replica, a->key);
	enum cstore_outcome rule = check_rules(rec, a->vtext, a->otext, a->ttext);
	if (rule != CSTORE_PENDING) {
		cs->counters[rule == CSTORE_OK ? CSC_WRITES_SAME : CSC_WRITES_FAILED]++;
		*outcome = rule;
		strv_free(&targets);
		return R1_OK;
	}
	unsigned timeout_ms = w->timeout_ms ? w->timeout_ms : cs->cfg.timeout_ms;
	int max_retries = w->max_retries >= 0 ? w->max_retries : cs->cfg.max_retries;
	json_t *peers = peers_json(w, cs);
	json_t *data =
	    (w->npeers && !peers)
	        ? NULL
	        : cstore_msg_store(a->key, a->value, a->owner, a->token, w->readonly, peers,
	                           !w->no_default_peers, timeout_ms / 1000.0, max_retries);
	json_decref(peers);
	struct pending *p = data && a->vtext ? r1_calloc(1, sizeof(*p)) : NULL;
	if (!data || (a->vtext && !p)) {
		json_decref(data);
		strv_free(&targets);
		return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	}

	enum r1_err e;
	if (!a->vtext) {
		/* A delete: always allowed past the token check, never waited on. */
		supersede(cs, rec);
		e = replica_delete(cs->replica, a->key, why);
		if (!e) {
			notify_changed(cs, a->key);
			cs->in_api++;
			send_data(cs, (const char *const *)targets.v, targets.n, data);
			cs->in_api--;
			cs->counters[CSC_WRITES_CONFIRMED]++;
			*outcome = CSTORE_OK;
		}
		json_decref(data);
		strv_free(&targets);
		return e;
	}

	int min = min_confirms_for(cs, targets.n);
	if (cs->cfg.min_confirmations > 0 && (size_t)min > targets.n)
		LOG_W(cs->log, LOGMOD, "MIN_CONFIRMATIONS=%d exceeds the %zu targeted peer(s)", min,
		      targets.n);
	struct replica_put in = {
	    .key = a->key,
	    .value = a->vtext,
	    .owner = a->otext,
	    .token = a->ttext,
	    .readonly = w->readonly,
	    .confirms = 0,
	    .min_confirms = min,
	    .updated_us = wall_us(cs),
	    .writer = cs->addr,
	    .stamp_us = wall_us(cs),
	};
	struct replica_record *nrec = NULL;
	supersede(cs, rec);
	e = replica_put(cs->replica, &in, &nrec, why);
	if (!e)
		e = replica_set_peers(nrec, (const char *const *)targets.v, targets.n, why);
	if (!e) {
		p->id = ++cs->next_id;
		p->kind = P_WRITE;
		p->rec = nrec;
		p->data = data;
		p->min_confirms = min;
		p->max_retries = max_retries;
		p->timeout_ms = timeout_ms;
		p->deadline_ms = now_ms(cs) + timeout_ms;
		p->wdone = done;
		p->arg = arg;
		if (!heap_push(cs, p))
			e = r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	}
	if (e) {
		/* Stored without waiting is what the reference would keep too: report the error. */
		json_decref(data);
		r1_free(p);
		strv_free(&targets);
		if (nrec)
			notify_changed(cs, a->key);
		return e;
	}
	nrec->pending = p;
	notify_changed(cs, a->key);
	cs->in_api++;
	send_data(cs, (const char *const *)targets.v, targets.n, data);
	cs->in_api--;
	strv_free(&targets);
	if (p->finished) {
		/* Confirmed while we were sending (a synchronous transport). */
		heap_remove(cs, p);
		cs->counters[p->outcome == CSTORE_OK ? CSC_WRITES_CONFIRMED
		                                     : CSC_WRITES_SUPERSEDED]++;
		*outcome = p->outcome;
		pending_free(p);
		return R1_OK;
	}
	*outcome = CSTORE_PENDING;
	if (op_id)
		*op_id = p->id;
	return R1_OK;
}

static enum r1_err set_common(struct cstore *cs, const char *key, const char *value,
                              const struct cstore_write *w, cstore_write_fn done, void *arg,
                              enum cstore_outcome *outcome, uint64_t *op_id, char **why)
{
	static const struct cstore_write defaults = CSTORE_WRITE_INIT;
	if (!w)
		w = &defaults;
	if (cs->closing)
		return r1_fail(why, R1_ERR_STATE, "cstore: closing");
	enum r1_err e = check_key(cs, key, why);
	if (e)
		return e;
	struct write_args a = {.key = key};
	char *vtext = NULL, *otext = NULL, *ttext = NULL;
	e = parse_json_arg("value", value, cs->cfg.max_value, &a.value, &vtext, why);
	if (!e)
		e = parse_json_arg("token", w->token, cs->cfg.max_key, &a.token, &ttext, why);
	if (!e && w->owner) {
		e = parse_json_arg("owner", w->owner, cs->cfg.max_key, &a.owner, &otext, why);
		if (!e && !cstore_owner_valid(a.owner))
			e = r1_fail(why, R1_ERR_INVAL, "cstore: the owner is not an instance path");
	}
	if (!e) {
		if (!w->owner) {
			a.owner = json_incref(cs->own_path);
			otext = r1_strdup(cs->own_path_text);
			if (!otext)
				e = r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
		}
	}
	if (!e) {
		if (!vtext) {
			json_decref(a.value);
			a.value = NULL;
		}
		if (!ttext) {
			json_decref(a.token);
			a.token = NULL;
		}
		a.vtext = vtext;
		a.otext = otext;
		a.ttext = ttext;
		cs->in_api++;
		e = write_local(cs, &a, w, done, arg, outcome, op_id, why);
		cs->in_api--;
	}
	json_decref(a.value);
	json_decref(a.token);
	json_decref(a.owner);
	r1_free(vtext);
	r1_free(otext);
	r1_free(ttext);
	return e;
}

enum r1_err cstore_set(struct cstore *cs, const char *key, const char *value,
                       const struct cstore_write *w, cstore_write_fn done, void *arg,
                       enum cstore_outcome *outcome, uint64_t *op_id, char **why)
{
	return set_common(cs, key, value, w, done, arg, outcome, op_id, why);
}

enum r1_err cstore_hset(struct cstore *cs, const char *hkey, const char *field, const char *value,
                        const struct cstore_write *w, cstore_write_fn done, void *arg,
                        enum cstore_outcome *outcome, uint64_t *op_id, char **why)
{
	if (!hkey || !*hkey)
		return r1_fail(why, R1_ERR_INVAL, "cstore: the hkey is empty");
	if (!field)
		return r1_fail(why, R1_ERR_INVAL, "cstore: no field name");
	struct buf key = BUF_INIT;
	enum r1_err e = hkey_compose(hkey, strlen(hkey), field, strlen(field), &key, why);
	if (!e) {
		char prefix[HKEY_PREFIX_LEN + 1];
		memcpy(prefix, buf_cstr(&key), HKEY_PREFIX_LEN);
		prefix[HKEY_PREFIX_LEN] = '\0';
		e = set_common(cs, buf_cstr(&key), value, w, done, arg, outcome, op_id, why);
		if (!e && value && replica_get(cs->replica, buf_cstr(&key)))
			replica_name_hash(cs->replica, prefix, hkey, NULL);
	}
	buf_release(&key);
	return e;
}

void cstore_cancel(struct cstore *cs, uint64_t op_id)
{
	for (size_t i = 0; i < cs->nheap; i++) {
		struct pending *p = cs->heap[i];
		if (p->id != op_id)
			continue;
		heap_remove(cs, p);
		if (p->rec)
			p->rec->pending = NULL;
		pending_free(p);
		return;
	}
}

/* ---- reads */

const char *cstore_get(const struct cstore *cs, const char *key, const char *token)
{
	const struct replica_record *rec = replica_get(cs->replica, key);
	if (!rec)
		return NULL;
	if ((token || rec->token) && !jvalue_text_equal(token, rec->token))
		return NULL;
	return rec->value;
}

const char *cstore_hget(const struct cstore *cs, const char *hkey, const char *field,
                        const char *token)
{
	char stack[256];
	struct buf key = BUF_INIT;
	const char *value = NULL;
	size_t hlen = strlen(hkey), flen = strlen(field);
	if (HKEY_PREFIX_LEN + (flen + 2) / 3 * 4 < sizeof(stack)) {
		/* The common case without an allocation. */
		if (hkey_prefix(hkey, hlen, stack, NULL) || !r1_utf8_valid(field, flen))
			return NULL;
		/* hkey_compose's text; a field name is not secret */
		base64_encode_vartime(stack + HKEY_PREFIX_LEN, field, flen, B64_URL);
		return cstore_get(cs, stack, token);
	}
	if (hkey_compose(hkey, hlen, field, flen, &key, NULL) == R1_OK)
		value = cstore_get(cs, buf_cstr(&key), token);
	buf_release(&key);
	return value;
}

static enum r1_err hash_walk(const struct cstore *cs, const char *hkey, const char *token,
                             bool with_values, struct buf *out, char **why)
{
	char prefix[HKEY_PREFIX_LEN + 1];
	enum r1_err e = hkey_prefix(hkey, strlen(hkey), prefix, why);
	if (e)
		return e;
	struct buf field = BUF_INIT;
	buf_addc(out, with_values ? '{' : '[');
	bool first = true;
	for (const struct replica_record *rec = replica_group_first(cs->replica, prefix); rec;
	     rec = rec->gnext) {
		buf_reset(&field);
		if (hkey_field(rec->key, rec->key_len, &field, NULL))
			continue; /* a peer's key we cannot name: the reference would fail here */
		json_t *name = json_stringn(field.data ? field.data : "", field.len);
		char *ntext = name ? dump_text(name) : NULL;
		json_decref(name);
		if (!ntext) {
			buf_release(&field);
			return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
		}
		if (!first)
			buf_addc(out, ',');
		first = false;
		buf_adds(out, ntext);
		r1_free(ntext);
		if (with_values) {
			bool visible =
			    !(token || rec->token) || jvalue_text_equal(token, rec->token);
			buf_addc(out, ':');
			buf_adds(out, visible ? rec->value : "null");
		}
	}
	buf_release(&field);
	buf_addc(out, with_values ? '}' : ']');
	if (!buf_ok(out))
		return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	return R1_OK;
}

enum r1_err cstore_hgetall(const struct cstore *cs, const char *hkey, const char *token,
                           struct buf *out, char **why)
{
	return hash_walk(cs, hkey, token, true, out, why);
}

enum r1_err cstore_hkeys(const struct cstore *cs, const char *hkey, struct buf *out, char **why)
{
	return hash_walk(cs, hkey, NULL, false, out, why);
}

/* ---- hsync */

static void uuid4(char out[37])
{
	uint8_t b[16];
	random_bytes(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	/* 8-4-4-4-12 digits: each group's NUL is overwritten by the next dash */
	static const uint8_t group[] = {4, 2, 2, 2, 6};
	char *o = out;
	const uint8_t *in = b;
	for (size_t g = 0; g < R1_ARRAY_LEN(group); g++) {
		if (g)
			*o++ = '-';
		hex_format(o, in, group[g]);
		o += 2 * group[g];
		in += group[g];
	}
}

enum r1_err cstore_hsync(struct cstore *cs, const char *hkey, const struct cstore_hsync_opts *o,
                         cstore_hsync_fn done, void *arg, uint64_t *op_id, char **why)
{
	static const struct cstore_hsync_opts defaults;
	if (!o)
		o = &defaults;
	if (cs->closing)
		return r1_fail(why, R1_ERR_STATE, "cstore: closing");
	if (!hkey || !*hkey)
		return r1_fail(why, R1_ERR_INVAL, "hsync hkey must be a non-empty string.");
	if (!r1_utf8_valid(hkey, strlen(hkey)))
		return r1_fail(why, R1_ERR_INVAL, "hsync: the hkey is not UTF-8");
	struct strv targets = {0};
	if (!resolve_targets(cs, o->peers, o->npeers, o->no_default_peers, &targets)) {
		strv_free(&targets);
		return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	}
	if (targets.n == 0) {
		strv_free(&targets);
		return r1_fail(why, R1_ERR_STATE, "No target peers resolved for hsync '%s'.", hkey);
	}
	struct pending *p = r1_calloc(1, sizeof(*p));
	json_t *data = NULL;
	if (p) {
		p->kind = P_HSYNC;
		p->hkey = r1_strdup(hkey);
		uuid4(p->request_id);
		data = cstore_msg_hsync_req(p->request_id, hkey);
	}
	if (!p || !p->hkey || !data) {
		json_decref(data);
		pending_free(p);
		strv_free(&targets);
		return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	}
	p->id = ++cs->next_id;
	p->targets = targets.v;
	p->ntargets = targets.n;
	p->peek = o->peek;
	p->hdone = done;
	p->arg = arg;
	p->timeout_ms = o->timeout_ms ? o->timeout_ms : cs->cfg.hsync_timeout_ms;
	p->deadline_ms = now_ms(cs) + p->timeout_ms;
	if (!heap_push(cs, p)) {
		json_decref(data);
		pending_free(p);
		return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	}
	cs->in_api++;
	send_data(cs, (const char *const *)p->targets, p->ntargets, data);
	cs->in_api--;
	json_decref(data);
	if (op_id)
		*op_id = p->id;
	return R1_OK;
}

/* ---- receiving */

static uint64_t fingerprint(const char *s)
{
	uint8_t d[SHA256_LEN];
	sha256(s, strlen(s), d);
	uint64_t f;
	memcpy(&f, d, sizeof(f));
	return f ? f : 1;
}

static bool seen_has(const struct seen *s, uint64_t f)
{
	size_t mask = R1_ARRAY_LEN(s->tab) - 1;
	for (size_t i = f & mask; s->tab[i]; i = (i + 1) & mask)
		if (s->tab[i] == f)
			return true;
	return false;
}

static void seen_remove(struct seen *s, uint64_t f)
{
	size_t mask = R1_ARRAY_LEN(s->tab) - 1;
	size_t i = f & mask;
	while (s->tab[i] && s->tab[i] != f)
		i = (i + 1) & mask;
	if (!s->tab[i])
		return;
	size_t hole = i;
	s->tab[hole] = 0;
	for (size_t j = (hole + 1) & mask; s->tab[j]; j = (j + 1) & mask) {
		size_t home = s->tab[j] & mask;
		bool between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
		if (!between) {
			s->tab[hole] = s->tab[j];
			s->tab[j] = 0;
			hole = j;
		}
	}
}

static void seen_add(struct seen *s, uint64_t f)
{
	if (s->n == SEEN_CAP) {
		seen_remove(s, s->ring[s->head]);
		s->n--;
	}
	s->ring[s->head] = f;
	s->head = (s->head + 1) % SEEN_CAP;
	s->n++;
	size_t mask = R1_ARRAY_LEN(s->tab) - 1;
	size_t i = f & mask;
	while (s->tab[i])
		i = (i + 1) & mask;
	s->tab[i] = f;
}

static enum r1_err refuse(struct cstore *cs, enum cstore_counter c, enum r1_err err,
                          const struct cstore_meta *m, char **why, const char *fmt, ...)
    R1_PRINTF(6, 7);

static enum r1_err refuse(struct cstore *cs, enum cstore_counter c, enum r1_err err,
                          const struct cstore_meta *m, char **why, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cs->counters[c]++;
	LOG_D(cs->log, LOGMOD, "refused from %.60s: %s", m && m->sender ? m->sender : "?", msg);
	return r1_fail(why, err, "cstore: %s", msg);
}

/* The owner's first element names the sender (its address or its alias)? */
static bool owner_is_sender(const json_t *owner, const struct cstore_meta *m)
{
	const char *first = json_string_value(json_array_get(owner, 0));
	if (!first)
		return false;
	if (addr_same(first, m->sender) && strlen(addr_strip_prefix(first)) == R1_ADDR_BODY_LEN)
		return true;
	return m->alias && strcmp(first, m->alias) == 0;
}

static void send_confirm(struct cstore *cs, const struct cstore_msg *msg, const char *sender)
{
	json_t *data = cstore_msg_confirm(msg->key, msg->value, msg->owner, cs->own_path, cs->addr);
	if (!data) {
		LOG_W(cs->log, LOGMOD, "out of memory confirming \"%.80s\"", msg->key);
		return;
	}
	const char *to[1] = {sender};
	send_data(cs, to, 1, data);
	json_decref(data);
}

static enum r1_err on_store(struct cstore *cs, const struct cstore_meta *m,
                            const struct cstore_msg *msg, char **why)
{
	if (!cs->cfg.accept_untrusted &&
	    !(cs->env.trusted && cs->env.trusted(cs->env.ctx, m->sender)))
		return refuse(cs, CSC_REFUSED_UNTRUSTED, R1_ERR_AUTH, m, why,
		              "SSTORE from an untrusted sender");
	if (!owner_is_sender(msg->owner, m))
		return refuse(cs, CSC_REFUSED_FORGED_OWNER, R1_ERR_AUTH, m, why,
		              "SSTORE for \"%.80s\" with an owner that is not its sender",
		              msg->key);
	size_t klen = strlen(msg->key);
	if (klen > cs->cfg.max_key)
		return refuse(cs, CSC_REFUSED_TOO_BIG, R1_ERR_TOOBIG, m, why,
		              "SSTORE key longer than %zu bytes", cs->cfg.max_key);
	if (!r1_utf8_valid(msg->key, klen))
		return refuse(cs, CSC_REFUSED_MALFORMED, R1_ERR_PROTO, m, why,
		              "SSTORE key is not UTF-8");
	char *vtext = NULL, *otext = NULL, *ttext = NULL;
	enum r1_err e = R1_OK;
	if (!json_is_null(msg->value)) {
		vtext = dump_text(msg->value);
		if (!vtext)
			return refuse(cs, CSC_REFUSED_BAD_VALUE, R1_ERR_INVAL, m, why,
			              "SSTORE value for \"%.80s\" cannot be stored", msg->key);
		if (strlen(vtext) > cs->cfg.max_value) {
			size_t n = strlen(vtext);
			r1_free(vtext);
			return refuse(cs, CSC_REFUSED_TOO_BIG, R1_ERR_TOOBIG, m, why,
			              "SSTORE value of %zu bytes for \"%.80s\" is over the limit",
			              n, msg->key);
		}
	}
	otext = dump_text(msg->owner);
	if (msg->token) {
		ttext = dump_text(msg->token);
		if (ttext && strlen(ttext) > cs->cfg.max_key) {
			r1_free(ttext);
			ttext = NULL;
			e = refuse(cs, CSC_REFUSED_TOO_BIG, R1_ERR_TOOBIG, m, why,
			           "SSTORE token over the limit");
		} else if (!ttext) {
			e = refuse(cs, CSC_REFUSED_BAD_VALUE, R1_ERR_INVAL, m, why,
			           "SSTORE token cannot be stored");
		}
	}
	if (!e && !otext)
		e = r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	struct replica_record *rec = e ? NULL : replica_get_mut(cs->replica, msg->key);
	if (!e && rec && m->sent_us != CSTORE_TIME_UNKNOWN && rec->writer && rec->stamp_us &&
	    addr_same(rec->writer, m->sender) && m->sent_us < rec->stamp_us)
		e = refuse(cs, CSC_REFUSED_STALE, R1_ERR_STATE, m, why,
		           "SSTORE for \"%.80s\" older than the stored write of the same writer",
		           msg->key);
	if (!e) {
		enum cstore_outcome rule = check_rules(rec, vtext, otext, ttext);
		if (rule == CSTORE_TOKEN)
			e = refuse(cs, CSC_REFUSED_TOKEN, R1_ERR_AUTH, m, why,
			           "SSTORE for \"%.80s\" with another token", msg->key);
		else if (rule == CSTORE_READONLY)
			e = refuse(cs, CSC_REFUSED_READONLY, R1_ERR_AUTH, m, why,
			           "SSTORE for readonly \"%.80s\" of another owner", msg->key);
		else if (rule == CSTORE_PENDING && !vtext) {
			supersede(cs, rec);
			e = replica_delete(cs->replica, msg->key, why);
			if (!e)
				notify_changed(cs, msg->key);
		} else if (rule == CSTORE_PENDING) {
			struct replica_put in = {
			    .key = msg->key,
			    .value = vtext,
			    .owner = otext,
			    .token = ttext,
			    .readonly = msg->readonly,
			    .confirms = -1,
			    .min_confirms = 0,
			    .updated_us = wall_us(cs),
			    .writer = m->sender,
			    .stamp_us = m->sent_us == CSTORE_TIME_UNKNOWN ? 0 : m->sent_us,
			};
			supersede(cs, rec);
			e = replica_put(cs->replica, &in, NULL, why);
			if (!e)
				notify_changed(cs, msg->key);
		}
	}
	r1_free(vtext);
	r1_free(otext);
	r1_free(ttext);
	if (e)
		return e;
	cs->counters[CSC_STORES_APPLIED]++;
	send_confirm(cs, msg, m->sender);
	return R1_OK;
}

static enum r1_err on_confirm(struct cstore *cs, const struct cstore_meta *m,
                              const struct cstore_msg *msg, char **why)
{
	struct replica_record *rec = replica_get_mut(cs->replica, msg->key);
	if (!rec) {
		/* A delete confirmed, or a record gone since: nothing to count. */
		cs->counters[CSC_CONFIRMS_LATE]++;
		return R1_OK;
	}
	if (!jvalue_text_equal_value(rec->owner, msg->owner) ||
	    !jvalue_text_equal_value(rec->value, msg->value)) {
		cs->counters[CSC_CONFIRMS_LATE]++;
		return R1_OK;
	}
	struct replica_peer *peer = NULL;
	for (size_t i = 0; i < rec->npeers; i++)
		if (addr_same(rec->peers[i].addr, m->sender))
			peer = &rec->peers[i];
	if (!peer)
		return refuse(cs, CSC_REFUSED_FORGED_CONFIRM, R1_ERR_AUTH, m, why,
		              "SCONFIRM for \"%.80s\" from a peer the write was not sent to",
		              msg->key);
	if (msg->confirm_by_addr && !addr_same(msg->confirm_by_addr, m->sender))
		return refuse(cs, CSC_REFUSED_FORGED_CONFIRM, R1_ERR_AUTH, m, why,
		              "SCONFIRM for \"%.80s\" on behalf of another address", msg->key);
	if (peer->confirmed) {
		cs->counters[CSC_CONFIRMS_LATE]++;
		return R1_OK;
	}
	peer->confirmed = true;
	rec->confirms = rec->confirms < 0 ? 1 : rec->confirms + 1;
	cs->counters[CSC_CONFIRMS_COUNTED]++;
	notify_changed(cs, msg->key);
	struct pending *p = rec->pending;
	if (p && !p->finished && rec->confirms >= p->min_confirms)
		finish_write(cs, p, CSTORE_OK);
	return R1_OK;
}

static enum r1_err on_hsync_req(struct cstore *cs, const struct cstore_meta *m,
                                const struct cstore_msg *msg, char **why)
{
	if (!cs->cfg.accept_untrusted &&
	    !(cs->env.trusted && cs->env.trusted(cs->env.ctx, m->sender)))
		return refuse(cs, CSC_REFUSED_UNTRUSTED, R1_ERR_AUTH, m, why,
		              "SHSYNC_REQ from an untrusted sender");
	char prefix[HKEY_PREFIX_LEN + 1];
	if (hkey_prefix(msg->hkey, strlen(msg->hkey), prefix, NULL))
		return refuse(cs, CSC_REFUSED_MALFORMED, R1_ERR_PROTO, m, why,
		              "SHSYNC_REQ hkey is not UTF-8");
	json_t *snap = json_object();
	size_t bytes = 0, skipped = 0;
	for (const struct replica_record *rec = replica_group_first(cs->replica, prefix);
	     snap && rec; rec = rec->gnext) {
		if (bytes + rec->value_len > SNAPSHOT_MAX) {
			skipped++;
			continue;
		}
		json_t *value = NULL, *owner = NULL, *token = NULL;
		jvalue_parse(rec->value, rec->value_len, &value, NULL);
		jvalue_parse(rec->owner, strlen(rec->owner), &owner, NULL);
		if (rec->token)
			jvalue_parse(rec->token, strlen(rec->token), &token, NULL);
		json_t *r = value && owner && (token || !rec->token)
		                ? cstore_msg_record(rec->key, value, owner, rec->readonly, token,
		                                    rec->confirms, rec->min_confirms)
		                : NULL;
		json_decref(value);
		json_decref(owner);
		json_decref(token);
		if (!r || json_object_set_new(snap, rec->key, r)) {
			json_decref(snap);
			snap = NULL;
			break;
		}
		bytes += rec->value_len + rec->key_len;
	}
	json_t *data = snap ? cstore_msg_hsync_resp(msg->request_id, msg->hkey, snap) : NULL;
	json_decref(snap);
	if (!data)
		return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	if (skipped)
		LOG_W(cs->log, LOGMOD,
		      "SHSYNC_RESP for \"%.80s\": %zu field(s) left out (size cap)", msg->hkey,
		      skipped);
	cs->counters[CSC_HSYNC_SERVED]++;
	const char *to[1] = {m->sender};
	send_data(cs, to, 1, data);
	json_decref(data);
	return R1_OK;
}

/* The replica is about to reload: no pending write may keep a record pointer. */
static void drop_versions(struct cstore *cs)
{
	bool again = true;
	while (again) {
		again = false;
		for (size_t i = 0; i < cs->nheap; i++) {
			struct pending *p = cs->heap[i];
			if (p->kind == P_WRITE && p->rec) {
				finish_write(cs, p, CSTORE_CANCELLED);
				again = true; /* the heap moved */
				break;
			}
		}
	}
}

/* The reference's __merge_hset_snapshot, with each record checked like an SSTORE value. */
static size_t merge_snapshot(struct cstore *cs, const char *hkey, const json_t *snapshot,
                             const char *sender)
{
	char prefix[HKEY_PREFIX_LEN + 1];
	if (!snapshot || hkey_prefix(hkey, strlen(hkey), prefix, NULL))
		return 0;
	size_t merged = 0;
	bool batch = replica_begin(cs->replica, NULL) == R1_OK;
	for (void *it = json_object_iter((json_t *)snapshot); it;
	     it = json_object_iter_next((json_t *)snapshot, it)) {
		const char *key = json_object_iter_key(it);
		size_t klen = json_object_iter_key_len(it);
		const json_t *r = json_object_iter_value(it);
		if (klen != strlen(key) || klen > cs->cfg.max_key || klen < HKEY_PREFIX_LEN ||
		    memcmp(key, prefix, HKEY_PREFIX_LEN) != 0 || !json_is_object(r))
			continue;
		const json_t *value = json_object_get(r, CS_K_VALUE);
		const json_t *owner = json_object_get(r, CS_K_OWNER);
		const json_t *ro = json_object_get(r, CS_K_READONLY);
		const json_t *token = json_object_get(r, CS_K_TOKEN);
		if (!value || json_is_null(value) || !cstore_owner_valid(owner) ||
		    (ro && !json_is_boolean(ro) && !json_is_null(ro)) || !r1_utf8_valid(key, klen))
			continue;
		if (json_is_null(token))
			token = NULL;
		char *vtext = dump_text(value), *otext = dump_text(owner);
		char *ttext = token ? dump_text(token) : NULL;
		if (vtext && otext && (ttext || !token) && strlen(vtext) <= cs->cfg.max_value) {
			struct replica_record *rec = replica_get_mut(cs->replica, key);
			bool same = rec && jvalue_text_equal(rec->owner, otext) &&
			            jvalue_text_equal(rec->value, vtext) &&
			            rec->readonly == json_is_true(ro) &&
			            jvalue_text_equal(rec->token, ttext);
			if (!same) {
				struct replica_put in = {
				    .key = key,
				    .value = vtext,
				    .owner = otext,
				    .token = ttext,
				    .readonly = json_is_true(ro),
				    .confirms = -1,
				    .min_confirms = 0,
				    .updated_us = wall_us(cs),
				    .writer = NULL,
				    .stamp_us = 0,
				};
				char *why = NULL;
				supersede(cs, rec);
				if (replica_put(cs->replica, &in, NULL, &why) == R1_OK) {
					merged++;
				} else {
					LOG_W(cs->log, LOGMOD, "hsync merge from %s: %s", sender,
					      why ? why : "?");
				}
				r1_free(why);
			}
		}
		r1_free(vtext);
		r1_free(otext);
		r1_free(ttext);
	}
	if (batch) {
		char *why = NULL;
		if (replica_commit(cs->replica, &why)) {
			LOG_E(cs->log, LOGMOD, "hsync merge not saved: %s", why ? why : "?");
			merged = 0;
			drop_versions(cs);
			r1_free(why);
			why = NULL;
			if (replica_reload(cs->replica, &why))
				LOG_E(cs->log, LOGMOD, "reloading the replica: %s",
				      why ? why : "?");
		}
		r1_free(why);
	}
	replica_name_hash(cs->replica, prefix, hkey, NULL);
	cs->counters[CSC_FIELDS_MERGED] += merged;
	if (merged)
		notify_changed(cs, NULL);
	return merged;
}

static enum r1_err on_hsync_resp(struct cstore *cs, const struct cstore_meta *m,
                                 const struct cstore_msg *msg, char **why)
{
	struct pending *p = NULL;
	for (size_t i = 0; i < cs->nheap && !p; i++)
		if (cs->heap[i]->kind == P_HSYNC && !cs->heap[i]->finished &&
		    strcmp(cs->heap[i]->request_id, msg->request_id) == 0)
			p = cs->heap[i];
	if (!p)
		return refuse(cs, CSC_REFUSED_UNEXPECTED, R1_ERR_STATE, m, why,
		              "SHSYNC_RESP to no pending request");
	bool asked = false;
	for (size_t i = 0; i < p->ntargets && !asked; i++)
		asked = addr_same(p->targets[i], m->sender);
	if (!asked)
		return refuse(cs, CSC_REFUSED_UNEXPECTED, R1_ERR_AUTH, m, why,
		              "SHSYNC_RESP from a peer that was not asked");
	if (strcmp(msg->hkey, p->hkey) != 0)
		return refuse(cs, CSC_REFUSED_UNEXPECTED, R1_ERR_PROTO, m, why,
		              "SHSYNC_RESP for another hkey");
	p->source_peer = r1_strdup(m->sender);
	p->snapshot = msg->snapshot ? json_incref((json_t *)msg->snapshot) : json_object();
	if (!p->source_peer || !p->snapshot)
		return r1_fail(why, R1_ERR_NOMEM, "cstore: out of memory");
	p->merged = p->peek ? 0 : merge_snapshot(cs, p->hkey, msg->snapshot, m->sender);
	finish_hsync(cs, p, R1_OK);
	return R1_OK;
}

/* ---- remote requests (ours) */

struct remote {
	struct cstore *cs;
	char *client;
	char *request_id;
	char *hkey;
};

static void remote_free(struct remote *r)
{
	if (!r)
		return;
	r1_free(r->client);
	r1_free(r->request_id);
	r1_free(r->hkey);
	r1_free(r);
}

static void remote_reply(struct cstore *cs, const char *client, const char *request_id, bool ok,
                         json_t *result, const char *reason)
{
	json_t *data = cstore_msg_resp(request_id, ok, result, reason);
	json_decref(result);
	if (!data) {
		LOG_W(cs->log, LOGMOD, "out of memory answering %s", client);
		return;
	}
	const char *to[1] = {client};
	send_data(cs, to, 1, data);
	json_decref(data);
}

/* A stored text as a value for the answer (NULL text: null). */
static json_t *text_value(const char *text)
{
	json_t *v = NULL;
	if (!text || jvalue_parse(text, strlen(text), &v, NULL))
		return json_null();
	return v;
}

static void remote_written(void *arg, enum cstore_outcome o)
{
	struct remote *r = arg;
	if (!r->cs->closing)
		remote_reply(r->cs, r->client, r->request_id, o == CSTORE_OK, json_null(),
		             o == CSTORE_OK ? NULL : cstore_outcome_name(o));
	remote_free(r);
}

static void remote_synced(void *arg, enum r1_err err, const struct cstore_hsync_result *res,
                          const char *why)
{
	struct remote *r = arg;
	if (!r->cs->closing) {
		json_t *result = res ? json_pack("{s:s,s:s?,s:I}", "hkey", res->hkey, "source_peer",
		                                 res->source_peer, "merged_fields",
		                                 (json_int_t)res->merged_fields)
		                     : json_null();
		remote_reply(r->cs, r->client, r->request_id, err == R1_OK, result, why);
	}
	remote_free(r);
}

static char *dump_opt(const json_t *v)
{
	return v && !json_is_null(v) ? dump_text(v) : NULL;
}

static enum r1_err on_req(struct cstore *cs, const struct cstore_meta *m,
                          const struct cstore_msg *msg, char **why)
{
	if (!(cs->env.trusted && cs->env.trusted(cs->env.ctx, m->sender)))
		return refuse(cs, CSC_REFUSED_UNTRUSTED, R1_ERR_AUTH, m, why,
		              "CSTORE_REQ from a sender not in authorized_addrs");
	cs->counters[CSC_REMOTE_REQUESTS]++;
	const char *cmd = msg->cmd;
	char *ttext = dump_opt(msg->token);
	struct buf out = BUF_INIT;
	enum r1_err e = R1_OK;
	char *reason = NULL;
	if (strcmp(cmd, "get") == 0 || strcmp(cmd, "hget") == 0) {
		const char *v = NULL;
		if (!msg->key || (cmd[0] == 'h' && !msg->hkey))
			e = r1_fail(&reason, R1_ERR_INVAL, "%s needs %s", cmd,
			            cmd[0] == 'h' ? "hkey and key" : "key");
		else
			v = cmd[0] == 'h' ? cstore_hget(cs, msg->hkey, msg->key, ttext)
			                  : cstore_get(cs, msg->key, ttext);
		if (!e)
			remote_reply(cs, m->sender, msg->request_id, true, text_value(v), NULL);
	} else if (strcmp(cmd, "hgetall") == 0 || strcmp(cmd, "hkeys") == 0) {
		if (!msg->hkey)
			e = r1_fail(&reason, R1_ERR_INVAL, "%s needs hkey", cmd);
		else if (cmd[1] == 'g')
			e = cstore_hgetall(cs, msg->hkey, ttext, &out, &reason);
		else
			e = cstore_hkeys(cs, msg->hkey, &out, &reason);
		if (!e)
			remote_reply(cs, m->sender, msg->request_id, true,
			             text_value(buf_cstr(&out)), NULL);
	} else if (strcmp(cmd, "set") == 0 || strcmp(cmd, "del") == 0 || strcmp(cmd, "hset") == 0 ||
	           strcmp(cmd, "hsync") == 0) {
		struct remote *r = r1_calloc(1, sizeof(*r));
		const char *peers[64];
		size_t npeers = 0;
		for (size_t i = 0; msg->peers && i < json_array_size(msg->peers) && npeers < 64;
		     i++)
			if (json_is_string(json_array_get(msg->peers, i)))
				peers[npeers++] = json_string_value(json_array_get(msg->peers, i));
		if (r) {
			r->cs = cs;
			r->client = r1_strdup(m->sender);
			r->request_id = r1_strdup(msg->request_id);
		}
		if (!r || !r->client || !r->request_id) {
			remote_free(r);
			r = NULL;
			e = r1_fail(&reason, R1_ERR_NOMEM, "out of memory");
		} else if (strcmp(cmd, "hsync") == 0) {
			struct cstore_hsync_opts o = {.peers = peers, .npeers = npeers};
			e = msg->hkey
			        ? cstore_hsync(cs, msg->hkey, &o, remote_synced, r, NULL, &reason)
			        : r1_fail(&reason, R1_ERR_INVAL, "hsync needs hkey");
			if (e)
				remote_free(r);
		} else {
			bool hash = cmd[0] == 'h', del = cmd[0] == 'd';
			char *vtext = del ? NULL : dump_opt(msg->value);
			json_t *owner =
			    /* owner[0] is who sends the SSTORE (us); the client is the instance */
			    json_pack("[s,s,s,s]", cs->addr, ADMIN_PIPELINE, CS_OP_REQ, m->sender);
			char *otext = owner ? dump_text(owner) : NULL;
			json_decref(owner);
			struct cstore_write w = CSTORE_WRITE_INIT;
			w.owner = otext;
			w.token = ttext;
			w.readonly = msg->readonly;
			w.peers = peers;
			w.npeers = npeers;
			enum cstore_outcome o = CSTORE_CANCELLED;
			if (!otext)
				e = r1_fail(&reason, R1_ERR_NOMEM, "out of memory");
			else if (!msg->key || (hash && !msg->hkey))
				e = r1_fail(&reason, R1_ERR_INVAL, "%s needs %s", cmd,
				            hash ? "hkey and key" : "key");
			else if (!del && !vtext && !json_is_null(msg->value))
				e = r1_fail(&reason, R1_ERR_INVAL, "the value cannot be stored");
			else if (hash)
				e = cstore_hset(cs, msg->hkey, msg->key, vtext, &w, remote_written,
				                r, &o, NULL, &reason);
			else
				e = cstore_set(cs, msg->key, vtext, &w, remote_written, r, &o, NULL,
				               &reason);
			r1_free(vtext);
			r1_free(otext);
			if (e) {
				remote_free(r);
			} else if (o != CSTORE_PENDING) {
				remote_reply(cs, m->sender, msg->request_id, o == CSTORE_OK,
				             json_null(),
				             o == CSTORE_OK ? NULL : cstore_outcome_name(o));
				remote_free(r);
			}
		}
	} else {
		e = r1_fail(&reason, R1_ERR_INVAL, "unknown cmd \"%.20s\"", cmd);
	}
	if (e)
		remote_reply(cs, m->sender, msg->request_id, false, json_null(),
		             reason ? reason : r1_strerror(e));
	r1_free(reason);
	r1_free(ttext);
	buf_release(&out);
	return R1_OK;
}

enum r1_err cstore_receive(struct cstore *cs, const struct cstore_meta *m, const json_t *data,
                           char **why)
{
	if (!m || !m->sender)
		return refuse(cs, CSC_REFUSED_MALFORMED, R1_ERR_PROTO, m, why,
		              "message without a sender");
	if (addr_same(m->sender, cs->addr)) {
		cs->counters[CSC_IGNORED_SELF]++;
		return R1_OK;
	}
	if (m->hash) {
		uint64_t f = fingerprint(m->hash);
		if (seen_has(cs->seen, f))
			return refuse(cs, CSC_REFUSED_REPLAY, R1_ERR_EXISTS, m, why,
			              "message %.16s... seen before", m->hash);
		seen_add(cs->seen, f);
	}
	if (!m->encrypted)
		return refuse(cs, CSC_REFUSED_UNENCRYPTED, R1_ERR_AUTH, m, why,
		              "CHAIN_STORE_DATA sent in clear");
	struct cstore_msg msg;
	char *reason = NULL;
	if (cstore_msg_parse(data, &msg, &reason)) {
		enum r1_err e = refuse(cs, CSC_REFUSED_MALFORMED, R1_ERR_PROTO, m, why, "%s",
		                       reason ? reason : "malformed");
		r1_free(reason);
		return e;
	}
	if (msg.op == CSOP_STORE && m->sent_us != CSTORE_TIME_UNKNOWN &&
	    cs->cfg.replay_window_us > 0) {
		int64_t now = wall_us(cs);
		if (m->sent_us < now - cs->cfg.replay_window_us ||
		    m->sent_us > now + cs->cfg.replay_window_us)
			return refuse(cs, CSC_REFUSED_REPLAY, R1_ERR_EXISTS, m, why,
			              "SSTORE sent %.0f s from now, outside the replay window",
			              (double)(m->sent_us - now) / 1e6);
	}
	cs->in_api++;
	enum r1_err e = R1_OK;
	switch (msg.op) {
	case CSOP_STORE:
		e = on_store(cs, m, &msg, why);
		break;
	case CSOP_CONFIRM:
		e = on_confirm(cs, m, &msg, why);
		break;
	case CSOP_HSYNC_REQ:
		e = on_hsync_req(cs, m, &msg, why);
		break;
	case CSOP_HSYNC_RESP:
		e = on_hsync_resp(cs, m, &msg, why);
		break;
	case CSOP_REQ:
		e = on_req(cs, m, &msg, why);
		break;
	case CSOP_RESP:
		e = refuse(cs, CSC_REFUSED_UNEXPECTED, R1_ERR_STATE, m, why,
		           "CSTORE_RESP to a node (answers go to clients)");
		break;
	}
	cs->in_api--;
	/* Deliver what this message decided, now that the state is consistent. */
	while (cs->nheap && cs->heap[0]->finished && !cs->in_api) {
		struct pending *p = cs->heap[0];
		heap_remove(cs, p);
		if (p->kind == P_WRITE)
			deliver_write(cs, p);
		else
			deliver_hsync(cs, p);
	}
	return e;
}

/* ---- time-driven work */

static void write_timed_out(struct cstore *cs, struct pending *p)
{
	p->attempt++;
	if (p->attempt > p->max_retries || !p->rec) {
		LOG_I(cs->log, LOGMOD, "\"%.80s\": not enough confirmations after %d retries",
		      p->rec ? p->rec->key : "?", p->max_retries);
		finish_write(cs, p, CSTORE_TIMEOUT);
		return;
	}
	cs->counters[CSC_RETRIES]++;
	struct replica_record *rec = p->rec;
	const char **to = r1_calloc(rec->npeers ? rec->npeers : 1, sizeof(*to));
	size_t n = 0;
	for (size_t i = 0; to && i < rec->npeers; i++)
		if (!rec->peers[i].confirmed)
			to[n++] = rec->peers[i].addr;
	heap_reschedule(cs, p, now_ms(cs) + p->timeout_ms);
	if (to)
		send_data(cs, to, n, p->data);
	else
		LOG_W(cs->log, LOGMOD, "out of memory retrying \"%.80s\"", rec->key);
	r1_free(to);
}

void cstore_run_due(struct cstore *cs)
{
	uint64_t now = now_ms(cs);
	while (cs->nheap && cs->heap[0]->deadline_ms <= now) {
		struct pending *p = cs->heap[0];
		if (p->finished) {
			heap_remove(cs, p);
			if (p->kind == P_WRITE)
				deliver_write(cs, p);
			else
				deliver_hsync(cs, p);
		} else if (p->kind == P_WRITE) {
			write_timed_out(cs, p);
		} else {
			finish_hsync(cs, p, R1_ERR_TIMEOUT);
		}
	}
}
