/*
 * The R1FS exchange (see xchg.h): transfers (the requester), servings (the
 * provider) and the gate that lets other threads wait for a block.  What
 * travels is xmsg.h's; whom to ask and whom to serve is the env's; this
 * file decides what to ask of whom and when, and keeps each block's
 * hashing and storing (and each served block's reading and sealing) on
 * its own worker thread, so the loop only parses, signs and routes.
 */
#include "node/lib.h"
#include "node/r1fs/xchg.h"

#include "core/hash.h"
#include "core/loop.h"
#include "core/workers.h"
#include "node/r1fs/r1fs.h"

#include <openssl/crypto.h>
#include <pthread.h>

#define DEFAULT_WINDOW       16u
#define DEFAULT_TIMEOUT_MS   90000u
#define DEFAULT_RETRY_MS     5000u
#define DEFAULT_PEERS        4u
#define DEFAULT_KEEP_MS      60000u
#define DEFAULT_DISCOVERY_MS 5000u
#define TICK_MS              200u
/* A peer that sent this many bad blocks is asked no more in that transfer. */
#define BAD_PEER_LIMIT 3u
/* Provider: requester transfers served at once, blocks queued per transfer, jobs in flight. */
#define SERVINGS_MAX    64u
#define SERVE_QUEUE_MAX 256u
#define SERVE_JOBS_MAX  4u
#define SERVING_IDLE_MS (5u * 60u * 1000u)
/* Depth of a DAG the exchange walks (ours are 3 deep at 5 GB). */
#define DAG_DEPTH_MAX 32

#define LOGMOD "r1fs-xchg"

/* ------------------------------------------------------------ gate waits */

struct gate_wait {
	struct r1fs_cid root, cid;
	struct buf *out;
	enum r1_err err;
	char *why;
	bool done;
	struct gate_wait *next; /* in the gate's queue, then in a want's waiters */
};

struct xchg_gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct loop *loop;
	struct loop_hook *hook;
	pthread_t loop_thread;
	struct gate_wait *queue; /* newest first; loop thread drains it */
	struct xchg *x;          /* written by the loop thread under mu */
};

/* Loop thread: hand the waiter its answer and wake it.  It is the waiter's from then on. */
static void wait_complete(struct xchg_gate *g, struct gate_wait *w, enum r1_err err,
                          const char *msg, const void *data, size_t len)
{
	pthread_mutex_lock(&g->mu);
	if (!err) {
		buf_reset(w->out);
		buf_add(w->out, data, len);
		if (!buf_ok(w->out)) {
			err = R1_ERR_NOMEM;
			msg = "r1fs exchange: out of memory";
		}
	}
	w->err = err;
	if (err)
		w->why = r1_strdup(msg ? msg : r1_strerror(err));
	w->done = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* ------------------------------------------------------------ the engine's state */

enum want_state { W_QUEUED, W_ASKED, W_STORING, W_DONE };

struct want {
	struct r1fs_cid cid;
	uint64_t tsize; /* from the parent's link (0 for the root) */
	enum want_state state;
	int peer;        /* the peer asked, or -1 for a probe of every candidate */
	uint8_t refused; /* peers that answered NONE or sent bad data (bit per peer) */
	uint8_t probed;  /* peers a probe went to */
	uint64_t sent_ms;
	unsigned tries;
	struct gate_wait *waiters;
	struct want *prev, *next; /* queue or in-flight list */
	struct want *hnext;       /* hash chain */
};

enum peer_state { P_UNKNOWN, P_HAS, P_LACKS, P_BAD };

struct peer {
	xchg_addr addr;
	enum peer_state state;
	unsigned inflight, bad;
	uint64_t blocks;
	bool refused_us; /* said "not allowed" */
	char reason[160];
};

struct fetch_cb {
	uint64_t id;
	xchg_done_fn done;
	void *ctx;
};

struct xfer {
	uint8_t id[XMSG_XFER_LEN];
	uint8_t key[XMSG_KEY_LEN];
	struct r1fs_cid root;
	char root_text[R1FS_CID_TEXT_MAX];
	struct peer peers[XCHG_PEERS_MAX];
	size_t npeers;
	struct want *qhead, *qtail; /* to ask, in order */
	struct want *fhead;         /* asked or being stored */
	unsigned nflight;
	bool probing; /* a probe is out: others wait for a peer that has the DAG */
	struct want **hash;
	size_t hcap, nwants;
	enum xchg_state state;
	enum r1_err err;
	char *error;
	uint64_t bytes_done, bytes_total, blocks_done, blocks_fetched;
	uint64_t started_ms, ended_ms, last_progress_ms;
	bool progressed; /* since the last changed() */
	bool begun;      /* the DAG's walk started (xchg_fetch leaves it to the tick) */
	struct fetch_cb *cbs;
	size_t ncbs;
	struct xfer *next;
};

struct serving {
	xchg_addr peer;
	uint8_t xfer[XMSG_XFER_LEN];
	uint8_t key[XMSG_KEY_LEN];
	struct r1fs_cid q[SERVE_QUEUE_MAX];
	size_t qhead, qlen;
	uint64_t last_ms;
	unsigned busy;
	bool refused_sent;
	struct serving *next;
};

struct xchg {
	struct loop *loop;
	struct r1fs *fs;
	struct r1_log *log;
	struct xchg_config cfg;
	char *addr;
	struct xchg_env env;
	struct workers *pool;
	struct loop_timer *tick;
	struct loop_call serve_call;
	struct xchg_gate *gate;
	struct xfer *xfers; /* newest first */
	struct serving *servings;
	size_t nservings;
	unsigned serve_jobs;
	uint64_t next_cb_id;
	struct xchg_stats st;
	uint64_t born_ms;
	bool closing;
};

static uint64_t now_ms(const struct xchg *x)
{
	return loop_now(x->loop);
}

static void arm_tick(struct xchg *x)
{
	if (x->tick && !loop_timer_active(x->tick) && (x->xfers || x->servings))
		loop_timer_start(x->tick, TICK_MS, TICK_MS);
}

static void changed(struct xchg *x)
{
	if (x->env.changed)
		x->env.changed(x->env.ctx);
}

/* ------------------------------------------------------------ wants: hash, lists */

static size_t hash_of(const struct r1fs_cid *cid, size_t cap)
{
	uint64_t h = 0;
	for (int i = 0; i < 8; i++)
		h = h << 8 | cid->digest[i];
	return (size_t)(h & (cap - 1));
}

static struct want *want_find(const struct xfer *t, const struct r1fs_cid *cid)
{
	if (!t->hcap)
		return NULL;
	for (struct want *w = t->hash[hash_of(cid, t->hcap)]; w; w = w->hnext)
		if (memcmp(w->cid.digest, cid->digest, R1FS_DIGEST_LEN) == 0)
			return w;
	return NULL;
}

static bool hash_grow(struct xfer *t)
{
	size_t ncap = t->hcap ? 2 * t->hcap : 64;
	struct want **nh = r1_calloc(ncap, sizeof(*nh));
	if (!nh)
		return false;
	for (size_t i = 0; i < t->hcap; i++) {
		struct want *w = t->hash[i];
		while (w) {
			struct want *next = w->hnext;
			size_t b = hash_of(&w->cid, ncap);
			w->hnext = nh[b];
			nh[b] = w;
			w = next;
		}
	}
	r1_free(t->hash);
	t->hash = nh;
	t->hcap = ncap;
	return true;
}

/* A new want in the hash (not in a list yet); NULL on OOM. */
static struct want *want_new(struct xfer *t, const struct r1fs_cid *cid, uint64_t tsize)
{
	if (t->nwants >= t->hcap && !hash_grow(t))
		return NULL;
	struct want *w = r1_calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->cid = *cid;
	w->tsize = tsize;
	w->peer = -1;
	size_t b = hash_of(cid, t->hcap);
	w->hnext = t->hash[b];
	t->hash[b] = w;
	t->nwants++;
	return w;
}

static void list_unlink(struct want **head, struct want **tail, struct want *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		*head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else if (tail)
		*tail = w->prev;
	w->prev = w->next = NULL;
}

static void queue_push_back(struct xfer *t, struct want *w)
{
	w->state = W_QUEUED;
	w->prev = t->qtail;
	w->next = NULL;
	if (t->qtail)
		t->qtail->next = w;
	else
		t->qhead = w;
	t->qtail = w;
}

static void queue_push_front(struct xfer *t, struct want *w)
{
	w->state = W_QUEUED;
	w->prev = NULL;
	w->next = t->qhead;
	if (t->qhead)
		t->qhead->prev = w;
	else
		t->qtail = w;
	t->qhead = w;
}

static void flight_add(struct xfer *t, struct want *w)
{
	w->prev = NULL;
	w->next = t->fhead;
	if (t->fhead)
		t->fhead->prev = w;
	t->fhead = w;
	t->nflight++;
}

static void flight_remove(struct xfer *t, struct want *w)
{
	list_unlink(&t->fhead, NULL, w);
	t->nflight--;
}

/* ------------------------------------------------------------ transfers: lifecycle */

static struct xfer *xfer_by_id(struct xchg *x, const uint8_t id[XMSG_XFER_LEN])
{
	for (struct xfer *t = x->xfers; t; t = t->next)
		if (memcmp(t->id, id, XMSG_XFER_LEN) == 0)
			return t;
	return NULL;
}

static int peer_index(const struct xfer *t, const char *addr)
{
	for (size_t i = 0; i < t->npeers; i++)
		if (addr_same(t->peers[i].addr, addr))
			return (int)i;
	return -1;
}

static void free_wants(struct xfer *t)
{
	for (size_t i = 0; i < t->hcap; i++) {
		struct want *w = t->hash[i];
		while (w) {
			struct want *next = w->hnext;
			r1_free(w);
			w = next;
		}
	}
	r1_free(t->hash);
	t->hash = NULL;
	t->hcap = t->nwants = 0;
	t->qhead = t->qtail = t->fhead = NULL;
	t->nflight = 0;
}

static void xfer_free(struct xfer *t)
{
	free_wants(t);
	r1_free(t->error);
	r1_free(t->cbs);
	OPENSSL_cleanse(t->key, sizeof(t->key));
	r1_free(t);
}

/* Every waiter of every want gets this answer (the transfer ends). */
static void fail_waiters(struct xchg *x, struct xfer *t, enum r1_err err, const char *msg)
{
	for (size_t i = 0; i < t->hcap; i++)
		for (struct want *w = t->hash[i]; w; w = w->hnext)
			while (w->waiters) {
				struct gate_wait *gw = w->waiters;
				w->waiters = gw->next;
				wait_complete(x->gate, gw, err, msg, NULL, 0);
			}
}

/* The transfer is over: callbacks run (copied first: they may start fetches). */
static void xfer_end(struct xchg *x, struct xfer *t, enum r1_err err, const char *msg)
{
	if (t->state != XCHG_RUNNING)
		return;
	t->state = err ? XCHG_FAILED : XCHG_DONE;
	t->err = err;
	t->ended_ms = now_ms(x);
	if (err) {
		t->error = r1_strdup(msg ? msg : r1_strerror(err));
		x->st.transfers_failed++;
		LOG_W(x->log, LOGMOD, "fetching %s failed: %s", t->root_text, msg ? msg : "?");
	} else {
		x->st.transfers_done++;
		LOG_I(x->log, LOGMOD,
		      "fetched %s: %" PRIu64 " blocks (%" PRIu64 " bytes) from peers", t->root_text,
		      t->blocks_fetched, t->bytes_done);
	}
	fail_waiters(x, t, err ? err : R1_ERR_NOTFOUND,
	             err ? msg : "r1fs exchange: the block is not part of the DAG fetched");
	for (struct peer *p = t->peers; p < t->peers + t->npeers; p++)
		p->inflight = 0;
	free_wants(t);
	struct fetch_cb *cbs = t->cbs;
	size_t n = t->ncbs;
	t->cbs = NULL;
	t->ncbs = 0;
	char *copy = msg ? r1_strdup(msg) : NULL;
	for (size_t i = 0; i < n; i++)
		if (cbs[i].done)
			cbs[i].done(cbs[i].ctx, err, err ? (copy ? copy : r1_strerror(err)) : NULL);
	r1_free(copy);
	r1_free(cbs);
	changed(x);
}

static void xfer_failf(struct xchg *x, struct xfer *t, enum r1_err err, const char *fmt, ...)
    R1_PRINTF(4, 5);
static void xfer_failf(struct xchg *x, struct xfer *t, enum r1_err err, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	xfer_end(x, t, err, buf_ok(&b) ? buf_cstr(&b) : r1_strerror(err));
	buf_release(&b);
}

/* What each peer did, for an error message: "A: not found; B: no answer". */
static void peers_summary(const struct xfer *t, struct buf *b)
{
	for (size_t i = 0; i < t->npeers; i++) {
		const struct peer *p = &t->peers[i];
		buf_addf(b, "%s%s: ", i ? "; " : "", p->addr);
		if (p->reason[0])
			buf_adds(b, p->reason);
		else if (p->state == P_HAS)
			buf_addf(b, "sent %" PRIu64 " block(s)", p->blocks);
		else
			buf_adds(b, "no answer");
	}
}

/* ------------------------------------------------------------ transfers: the walk */

static void add_children(struct xchg *x, struct xfer *t, const struct r1fs_links *links, int depth);

/*
 * A block of the DAG that the store has: count it, and walk into it when it
 * has links (its children are queued or walked in the same way).
 */
static void expand_local(struct xchg *x, struct xfer *t, const struct r1fs_cid *cid, uint64_t tsize,
                         int depth)
{
	int links = -1;
	if (r1fs_block_links(x->fs, cid, &links, NULL) != R1_OK || links <= 0) {
		t->blocks_done++;
		t->bytes_done += tsize;
		return;
	}
	if (depth >= DAG_DEPTH_MAX) {
		xfer_failf(x, t, R1_ERR_PROTO, "r1fs exchange: %s: DAG deeper than %d",
		           t->root_text, DAG_DEPTH_MAX);
		return;
	}
	struct buf block = BUF_INIT;
	struct r1fs_links kids = {0};
	char *why = NULL;
	enum r1_err e = r1fs_get_block(x->fs, cid, &block, &why);
	if (!e)
		e = r1fs_read_links(cid, (const uint8_t *)block.data, block.len, &kids, &why);
	if (e == R1_ERR_CRYPTO) {
		/* corrupted here: fetch it again like a missing one */
		r1_free(why);
		why = NULL;
		struct want *w = want_new(t, cid, tsize);
		if (w)
			queue_push_back(t, w);
		else
			xfer_failf(x, t, R1_ERR_NOMEM, "r1fs exchange: out of memory");
	} else if (e) {
		xfer_failf(x, t, e, "r1fs exchange: reading %s: %s", t->root_text, why ? why : "?");
	} else {
		t->blocks_done++;
		t->bytes_done += block.len;
		if (r1fs_cid_equal(cid, &t->root)) {
			t->bytes_total = block.len;
			for (size_t i = 0; i < kids.n; i++)
				t->bytes_total += kids.items[i].tsize;
		}
		add_children(x, t, &kids, depth + 1);
	}
	r1fs_links_release(&kids);
	buf_release(&block);
	r1_free(why);
}

/*
 * The children of a block, in link order, ahead of what was queued before
 * (depth first, the order a reader reads): missing ones are queued, present
 * ones walked.
 */
static void add_children(struct xchg *x, struct xfer *t, const struct r1fs_links *links, int depth)
{
	struct want *head = NULL, *tail = NULL;
	for (size_t i = 0; i < links->n && t->state == XCHG_RUNNING; i++) {
		const struct r1fs_link *k = &links->items[i];
		if (want_find(t, &k->cid))
			continue; /* a repeated block (zero chunks): one copy is enough */
		if (r1fs_has_block(x->fs, &k->cid)) {
			/* walk it now: its missing children come before the next siblings */
			struct want *save_h = t->qhead, *save_t = t->qtail;
			t->qhead = t->qtail = NULL;
			expand_local(x, t, &k->cid, k->tsize, depth);
			if (t->state != XCHG_RUNNING)
				return; /* its wants are gone with the transfer */
			if (t->qhead) {
				if (tail) {
					tail->next = t->qhead;
					t->qhead->prev = tail;
				} else {
					head = t->qhead;
				}
				tail = t->qtail;
			}
			t->qhead = save_h;
			t->qtail = save_t;
			continue;
		}
		struct want *w = want_new(t, &k->cid, k->tsize);
		if (!w) {
			xfer_failf(x, t, R1_ERR_NOMEM, "r1fs exchange: out of memory");
			break;
		}
		w->state = W_QUEUED;
		w->prev = tail;
		if (tail)
			tail->next = w;
		else
			head = w;
		tail = w;
	}
	if (!head || t->state != XCHG_RUNNING)
		return; /* on failure the wants are freed with the transfer */
	tail->next = t->qhead;
	if (t->qhead)
		t->qhead->prev = tail;
	else
		t->qtail = tail;
	t->qhead = head;
}

/* ------------------------------------------------------------ transfers: asking */

struct ask_batch {
	struct r1fs_cid cids[XMSG_CIDS_MAX];
	size_t n;
};

static void send_wants(struct xchg *x, struct xfer *t, int pi, struct ask_batch *b)
{
	if (!b->n)
		return;
	json_t *m = xmsg_want(t->id, t->key, &t->root, b->cids, b->n);
	char *why = NULL;
	if (!m || x->env.send(x->env.ctx, t->peers[pi].addr, m, true, &why))
		LOG_D(x->log, LOGMOD, "asking %s for %zu block(s) of %s: %s", t->peers[pi].addr,
		      b->n, t->root_text, why ? why : "out of memory");
	r1_free(why);
	json_decref(m);
	b->n = 0;
}

/* The error when no peer is left for a block: what each peer did decides the code. */
static void fail_no_peer(struct xchg *x, struct xfer *t, const struct want *w)
{
	bool all_refused = t->npeers > 0, any_bad = false;
	for (size_t i = 0; i < t->npeers; i++) {
		all_refused = all_refused && t->peers[i].refused_us;
		any_bad = any_bad || t->peers[i].bad > 0;
	}
	char cid[R1FS_CID_TEXT_MAX];
	r1fs_cid_format(&w->cid, cid);
	struct buf b = BUF_INIT;
	if (t->npeers == 0)
		buf_addf(&b, "r1fs: no peer to ask for %s (no R1FS peer announced it)",
		         t->root_text);
	else if (r1fs_cid_equal(&w->cid, &t->root))
		buf_addf(&b, "r1fs: no peer has %s (", t->root_text);
	else
		buf_addf(&b, "r1fs: no peer has a good copy of block %s of %s (", cid,
		         t->root_text);
	if (t->npeers) {
		peers_summary(t, &b);
		buf_adds(&b, ")");
	}
	enum r1_err e = all_refused ? R1_ERR_AUTH : any_bad ? R1_ERR_CRYPTO : R1_ERR_NOTFOUND;
	xfer_end(x, t, e, buf_ok(&b) ? buf_cstr(&b) : "r1fs: no peer has the block");
	buf_release(&b);
}

/* Ask for queued blocks while the window has room. */
static void pump(struct xchg *x, struct xfer *t)
{
	struct ask_batch batches[XCHG_PEERS_MAX];
	for (size_t i = 0; i < t->npeers; i++)
		batches[i].n = 0;
	uint64_t now = now_ms(x);
	while (t->state == XCHG_RUNNING && t->qhead && t->nflight < x->cfg.window) {
		struct want *w = t->qhead;
		int best = -1;
		bool open = false; /* a peer not yet asked could still have it */
		for (size_t i = 0; i < t->npeers; i++) {
			const struct peer *p = &t->peers[i];
			if (w->refused & (1u << i) || p->state == P_BAD)
				continue;
			if (p->state == P_HAS) {
				if (best < 0 || p->inflight < t->peers[best].inflight)
					best = (int)i;
			} else if (p->state == P_UNKNOWN) {
				open = true;
			}
		}
		if (best < 0 && !open) {
			if (t->npeers == 0 && now - x->born_ms < x->cfg.discovery_ms)
				break; /* just started: the peers' announcements may be on the way
				        */
			fail_no_peer(x, t, w);
			break;
		}
		if (best < 0 && t->probing)
			break; /* one probe at a time until a peer is known to have the DAG */
		list_unlink(&t->qhead, &t->qtail, w);
		flight_add(t, w);
		w->state = W_ASKED;
		w->sent_ms = now;
		w->tries++;
		if (best >= 0) {
			w->peer = best;
			t->peers[best].inflight++;
			struct ask_batch *b = &batches[best];
			b->cids[b->n++] = w->cid;
			if (b->n == XMSG_CIDS_MAX)
				send_wants(x, t, best, b);
		} else {
			/* nobody is known to have it: ask every peer that might */
			w->peer = -1;
			w->probed = 0;
			t->probing = true;
			for (size_t i = 0; i < t->npeers; i++) {
				const struct peer *p = &t->peers[i];
				if (w->refused & (1u << i) || p->state != P_UNKNOWN)
					continue;
				w->probed |= (uint8_t)(1u << i);
				struct ask_batch *b = &batches[i];
				b->cids[b->n++] = w->cid;
				send_wants(x, t, (int)i, b);
			}
		}
	}
	for (size_t i = 0; i < t->npeers && t->state == XCHG_RUNNING; i++)
		send_wants(x, t, (int)i, &batches[i]);
	if (t->state == XCHG_RUNNING && !t->qhead && t->nflight == 0)
		xfer_end(x, t, R1_OK, NULL);
}

/* A block asked and not (or wrongly) received goes back to the front. */
static void requeue(struct xfer *t, struct want *w)
{
	if (w->peer >= 0 && t->peers[w->peer].inflight)
		t->peers[w->peer].inflight--;
	if (w->peer < 0)
		t->probing = false;
	flight_remove(t, w);
	queue_push_front(t, w);
}

/* ------------------------------------------------------------ transfers: starting */

static struct xfer *xfer_running(struct xchg *x, const struct r1fs_cid *root)
{
	for (struct xfer *t = x->xfers; t; t = t->next)
		if (t->state == XCHG_RUNNING && r1fs_cid_equal(&t->root, root))
			return t;
	return NULL;
}

static void add_peer(struct xchg *x, struct xfer *t, const char *addr)
{
	if (t->npeers >= x->cfg.max_peers || !addr || !*addr ||
	    strlen(addr) >= sizeof(t->peers[0].addr) || addr_same(addr, x->addr) ||
	    peer_index(t, addr) >= 0)
		return;
	snprintf(t->peers[t->npeers].addr, sizeof(t->peers[0].addr), "%s", addr);
	t->npeers++;
}

/* Walk what the store has of the DAG and queue what it lacks. */
static void xfer_begin(struct xchg *x, struct xfer *t)
{
	t->begun = true;
	if (r1fs_has_block(x->fs, &t->root)) {
		expand_local(x, t, &t->root, 0, 0);
	} else {
		struct want *w = want_new(t, &t->root, 0);
		if (!w)
			xfer_failf(x, t, R1_ERR_NOMEM, "r1fs exchange: out of memory");
		else
			queue_push_back(t, w);
	}
}

/* A new transfer, listed, not begun. */
/* Ask the env for peers again (a transfer that started before anyone announced). */
static void find_peers(struct xchg *x, struct xfer *t)
{
	if (!x->env.candidates)
		return;
	xchg_addr cands[XCHG_PEERS_MAX];
	size_t n = x->env.candidates(x->env.ctx, &t->root, cands, x->cfg.max_peers);
	for (size_t i = 0; i < n && i < XCHG_PEERS_MAX; i++)
		add_peer(x, t, cands[i]);
}

static struct xfer *xfer_create(struct xchg *x, const struct r1fs_cid *root, const char *peer)
{
	struct xfer *t = r1_calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	random_bytes(t->id, sizeof(t->id));
	random_bytes(t->key, sizeof(t->key));
	t->root = *root;
	r1fs_cid_format(root, t->root_text);
	t->state = XCHG_RUNNING;
	t->started_ms = t->last_progress_ms = now_ms(x);
	if (peer)
		add_peer(x, t, peer);
	else
		find_peers(x, t);
	t->next = x->xfers;
	x->xfers = t;
	LOG_I(x->log, LOGMOD, "fetching %s from %zu peer(s)", t->root_text, t->npeers);
	arm_tick(x);
	changed(x);
	return t;
}

enum r1_err xchg_fetch(struct xchg *x, const struct r1fs_cid *root, const char *peer,
                       xchg_done_fn done, void *ctx, uint64_t *id, char **why)
{
	struct xfer *t = peer ? NULL : xfer_running(x, root);
	if (!t)
		t = xfer_create(x, root, peer);
	if (!t)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs exchange: out of memory");
	struct fetch_cb *cbs = r1_reallocarray(t->cbs, t->ncbs + 1, sizeof(*cbs));
	if (!cbs)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs exchange: out of memory");
	t->cbs = cbs;
	struct fetch_cb *cb = &t->cbs[t->ncbs++];
	cb->id = ++x->next_cb_id;
	cb->done = done;
	cb->ctx = ctx;
	if (id)
		*id = cb->id;
	/* done must not run inside this call: the first pump waits for the tick */
	loop_timer_start(x->tick, 0, TICK_MS);
	return R1_OK;
}

void xchg_forget(struct xchg *x, uint64_t id)
{
	for (struct xfer *t = x->xfers; t; t = t->next)
		for (size_t i = 0; i < t->ncbs; i++)
			if (t->cbs[i].id == id)
				t->cbs[i].done = NULL;
}

/* A gate's waiter: the block from the store, or from the root's transfer. */
static void want_block(struct xchg *x, struct gate_wait *gw)
{
	struct buf block = BUF_INIT;
	if (r1fs_has_block(x->fs, &gw->cid) &&
	    r1fs_get_block(x->fs, &gw->cid, &block, NULL) == R1_OK) {
		wait_complete(x->gate, gw, R1_OK, NULL, block.data, block.len);
		buf_release(&block);
		return;
	}
	buf_release(&block);
	struct xfer *t = xfer_running(x, &gw->root);
	if (!t)
		t = xfer_create(x, &gw->root, NULL);
	if (t && !t->begun)
		xfer_begin(x, t);
	if (!t) {
		wait_complete(x->gate, gw, R1_ERR_NOMEM, "r1fs exchange: out of memory", NULL, 0);
		return;
	}
	if (t->state != XCHG_RUNNING) { /* failed at once (no peer, ...) */
		wait_complete(x->gate, gw, t->err, t->error, NULL, 0);
		return;
	}
	struct want *w = want_find(t, &gw->cid);
	if (!w || w->state == W_DONE) {
		if (!w)
			w = want_new(t, &gw->cid, 0);
		if (!w) {
			wait_complete(x->gate, gw, R1_ERR_NOMEM, "r1fs exchange: out of memory",
			              NULL, 0);
			return;
		}
		queue_push_front(t, w);
	} else if (w->state == W_QUEUED && w != t->qhead) {
		list_unlink(&t->qhead, &t->qtail, w); /* the reader waits for it: first */
		queue_push_front(t, w);
	}
	gw->next = w->waiters;
	w->waiters = gw;
	pump(x, t);
}

/* ------------------------------------------------------------ jobs on the worker */

enum job_kind { JOB_INTAKE, JOB_SERVE };

struct job {
	struct xchg *x;
	enum job_kind kind;
	uint8_t xfer[XMSG_XFER_LEN];
	uint8_t key[XMSG_KEY_LEN];
	struct r1fs_cid cid;
	xchg_addr peer; /* intake: the sender; serve: the requester */
	char *b64;      /* intake: the sealed block */
	size_t b64_len;
	struct buf block; /* intake: the opened block */
	json_t *msg;      /* serve: the BLOCK message, sealed block and all */
	struct r1fs_links kids;
	enum r1_err err;
	bool bad_seal; /* intake: it did not open (else a failure is the store's or the hash's) */
	char *why;
};

static void job_free(struct job *j)
{
	r1_free(j->b64);
	buf_release(&j->block);
	json_decref(j->msg);
	r1fs_links_release(&j->kids);
	r1_free(j->why);
	OPENSSL_cleanse(j->key, sizeof(j->key));
	r1_free(j);
}

static void intake_run(struct worker_job *wj, void *arg)
{
	struct job *j = arg;
	j->err = xmsg_open_block(j->key, j->xfer, &j->cid, j->b64, j->b64_len, &j->block, &j->why);
	if (j->err) {
		j->bad_seal = true;
		return;
	}
	j->err = r1fs_put_fetched(j->x->fs, &j->cid, (const uint8_t *)j->block.data, j->block.len,
	                          &j->kids, &j->why);
}

static void intake_done(void *arg, enum r1_err status)
{
	struct job *j = arg;
	struct xchg *x = j->x;
	struct xfer *t = x->closing || status ? NULL : xfer_by_id(x, j->xfer);
	struct want *w = t && t->state == XCHG_RUNNING ? want_find(t, &j->cid) : NULL;
	if (!w || w->state != W_STORING) {
		job_free(j);
		return;
	}
	int pi = peer_index(t, j->peer);
	char cid[R1FS_CID_TEXT_MAX];
	r1fs_cid_format(&j->cid, cid);
	if (j->err == R1_ERR_CRYPTO || j->err == R1_ERR_PROTO) {
		/* this peer's copy is bad: another peer may have a good one */
		if (j->bad_seal)
			x->st.bad_seal++;
		else
			x->st.bad_hash++;
		LOG_W(x->log, LOGMOD, "%s sent block %s of %s %s: %s", j->peer, cid, t->root_text,
		      j->bad_seal ? "that does not open" : "that does not match its CID",
		      j->why ? j->why : "?");
		if (pi >= 0) {
			struct peer *p = &t->peers[pi];
			w->refused |= (uint8_t)(1u << pi);
			if (++p->bad >= BAD_PEER_LIMIT)
				p->state = P_BAD;
			snprintf(p->reason, sizeof(p->reason), "%s block %.20s... %s", "sent", cid,
			         j->bad_seal
			             ? "that does not open with the transfer's key (forged?)"
			             : "that does not match its CID (corrupted at the source)");
		}
		flight_remove(t, w); /* on_block already took it off the peer's count */
		queue_push_front(t, w);
		pump(x, t);
		job_free(j);
		return;
	}
	if (j->err) {
		xfer_failf(x, t, j->err, "r1fs: storing block %s of %s: %s", cid, t->root_text,
		           j->why ? j->why : r1_strerror(j->err));
		job_free(j);
		return;
	}
	flight_remove(t, w);
	w->state = W_DONE;
	t->blocks_done++;
	t->blocks_fetched++;
	t->bytes_done += j->block.len;
	t->last_progress_ms = now_ms(x);
	t->progressed = true;
	x->st.blocks_in++;
	x->st.bytes_in += j->block.len;
	if (pi >= 0)
		t->peers[pi].blocks++;
	if (r1fs_cid_equal(&w->cid, &t->root)) {
		t->bytes_total = j->block.len;
		for (size_t i = 0; i < j->kids.n; i++)
			t->bytes_total += j->kids.items[i].tsize;
	}
	while (w->waiters) {
		struct gate_wait *gw = w->waiters;
		w->waiters = gw->next;
		wait_complete(x->gate, gw, R1_OK, NULL, j->block.data, j->block.len);
	}
	add_children(x, t, &j->kids, 1);
	if (t->state == XCHG_RUNNING)
		pump(x, t);
	job_free(j);
}

/* ------------------------------------------------------------ requester: messages */

static void on_block(struct xchg *x, const char *sender, const struct xmsg *m)
{
	struct xfer *t = xfer_by_id(x, m->xfer);
	if (!t) {
		x->st.unknown_xfer++;
		return;
	}
	int pi = peer_index(t, sender);
	if (pi < 0) {
		x->st.wrong_sender++;
		return;
	}
	struct peer *p = &t->peers[pi];
	struct want *w = t->state == XCHG_RUNNING ? want_find(t, &m->cid) : NULL;
	if (!w || w->state == W_STORING || w->state == W_DONE || (w->refused & (1u << pi))) {
		x->st.unwanted++;
		return;
	}
	struct job *j = r1_calloc(1, sizeof(*j));
	char *b64 = j ? r1_strndup(m->data, m->data_len) : NULL;
	if (!b64) {
		r1_free(j);
		return; /* asked again after retry_ms */
	}
	j->x = x;
	j->kind = JOB_INTAKE;
	memcpy(j->xfer, t->id, sizeof(j->xfer));
	memcpy(j->key, t->key, sizeof(j->key));
	j->cid = m->cid;
	snprintf(j->peer, sizeof(j->peer), "%s", p->addr);
	j->b64 = b64;
	j->b64_len = m->data_len;
	buf_init(&j->block);
	if (workers_submit(x->pool, intake_run, intake_done, j, NULL, NULL) != R1_OK) {
		job_free(j);
		return;
	}
	if (p->state == P_UNKNOWN)
		p->state = P_HAS;
	if (w->state == W_QUEUED) {
		list_unlink(&t->qhead, &t->qtail, w);
		flight_add(t, w);
	} else {
		if (w->peer >= 0 && t->peers[w->peer].inflight)
			t->peers[w->peer].inflight--;
		if (w->peer < 0)
			t->probing = false;
	}
	w->peer = pi;
	w->state = W_STORING;
}

static void on_none(struct xchg *x, const char *sender, const struct xmsg *m)
{
	struct xfer *t = xfer_by_id(x, m->xfer);
	if (!t) {
		x->st.unknown_xfer++;
		return;
	}
	int pi = peer_index(t, sender);
	if (pi < 0) {
		x->st.wrong_sender++;
		return;
	}
	x->st.nones_in++;
	if (t->state != XCHG_RUNNING)
		return;
	struct peer *p = &t->peers[pi];
	const char *reason = m->reason ? m->reason : "not found";
	snprintf(p->reason, sizeof(p->reason), "%s", reason);
	if (strncmp(reason, "not allowed", 11) == 0) {
		p->refused_us = true;
		p->state = P_LACKS;
	}
	for (size_t i = 0; i < m->ncids; i++) {
		struct want *w = want_find(t, &m->cids[i]);
		if (!w || w->state == W_STORING || w->state == W_DONE)
			continue;
		w->refused |= (uint8_t)(1u << pi);
		if (r1fs_cid_equal(&w->cid, &t->root) && p->state == P_UNKNOWN)
			p->state = P_LACKS;
		if (w->state != W_ASKED)
			continue;
		if (w->peer == pi || (w->peer < 0 && (w->refused & w->probed) == w->probed))
			requeue(t, w);
	}
	pump(x, t);
}

/* ------------------------------------------------------------ provider */

static struct serving *serving_find(struct xchg *x, const char *peer,
                                    const uint8_t xfer[XMSG_XFER_LEN])
{
	for (struct serving *s = x->servings; s; s = s->next)
		if (memcmp(s->xfer, xfer, XMSG_XFER_LEN) == 0 && addr_same(s->peer, peer))
			return s;
	return NULL;
}

static void serving_unlink_free(struct xchg *x, struct serving *s)
{
	for (struct serving **pp = &x->servings; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			x->nservings--;
			OPENSSL_cleanse(s->key, sizeof(s->key));
			r1_free(s);
			return;
		}
}

static struct serving *serving_get(struct xchg *x, const char *peer, const struct xmsg *m)
{
	struct serving *s = serving_find(x, peer, m->xfer);
	if (s)
		return s;
	if (x->nservings >= SERVINGS_MAX) {
		struct serving *old = NULL;
		for (struct serving *c = x->servings; c; c = c->next)
			if (!c->busy && !c->qlen && (!old || c->last_ms < old->last_ms))
				old = c;
		if (!old)
			return NULL;
		serving_unlink_free(x, old);
	}
	s = r1_calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(s->peer, sizeof(s->peer), "%s", peer);
	memcpy(s->xfer, m->xfer, XMSG_XFER_LEN);
	memcpy(s->key, m->key, XMSG_KEY_LEN);
	s->next = x->servings;
	x->servings = s;
	x->nservings++;
	arm_tick(x);
	return s;
}

static void send_none(struct xchg *x, const char *peer, const uint8_t xfer[XMSG_XFER_LEN],
                      const struct r1fs_cid *cids, size_t n, const char *reason)
{
	json_t *m = xmsg_none(xfer, cids, n, reason);
	char *why = NULL;
	if (!m || x->env.send(x->env.ctx, peer, m, false, &why))
		LOG_D(x->log, LOGMOD, "answering %s: %s", peer, why ? why : "out of memory");
	x->st.served_none += n;
	r1_free(why);
	json_decref(m);
}

/* Read, seal and wrap the block here: the loop only sends the message. */
static void serve_run(struct worker_job *wj, void *arg)
{
	struct job *j = arg;
	struct buf raw = BUF_INIT, sealed = BUF_INIT;
	j->err = r1fs_serve_block(j->x->fs, &j->cid, &raw, &j->why);
	if (!j->err)
		j->err = xmsg_seal_block(j->key, j->xfer, &j->cid, (const uint8_t *)raw.data,
		                         raw.len, &sealed, &j->why);
	if (!j->err && !(j->msg = xmsg_block(j->xfer, &j->cid, sealed.data, sealed.len)))
		j->err = r1_fail(&j->why, R1_ERR_NOMEM, "r1fs: out of memory");
	j->b64_len = raw.len; /* the block's size, for the counters */
	buf_release(&raw);
	buf_release(&sealed);
}

static void kick_serve(struct xchg *x);

static void serve_done(void *arg, enum r1_err status)
{
	struct job *j = arg;
	struct xchg *x = j->x;
	if (x->closing || status) {
		job_free(j);
		return;
	}
	x->serve_jobs--;
	struct serving *s = serving_find(x, j->peer, j->xfer);
	if (s && s->busy)
		s->busy--;
	if (!j->err) {
		char *why = NULL;
		if (x->env.send(x->env.ctx, j->peer, j->msg, false, &why)) {
			LOG_D(x->log, LOGMOD, "sending a block to %s: %s", j->peer,
			      why ? why : "?");
		} else {
			x->st.blocks_out++;
			x->st.bytes_out += j->b64_len;
		}
		r1_free(why);
	} else {
		const char *reason = j->err == R1_ERR_NOTFOUND ? "not found"
		                     : j->err == R1_ERR_CRYPTO ? "corrupted on this node"
		                     : j->err == R1_ERR_TOOBIG ? "too large for the bus"
		                                               : r1_strerror(j->err);
		if (j->err == R1_ERR_CRYPTO)
			LOG_W(x->log, LOGMOD, "a block asked by %s is corrupted here: %s", j->peer,
			      j->why ? j->why : "?");
		send_none(x, j->peer, j->xfer, &j->cid, 1, reason);
	}
	job_free(j);
	kick_serve(x);
}

/* Start serve jobs, one block per serving in turn, up to SERVE_JOBS_MAX. */
static void serve_some(void *ctx)
{
	struct xchg *x = ctx;
	bool progress = true;
	while (progress && x->serve_jobs < SERVE_JOBS_MAX && !x->closing) {
		progress = false;
		for (struct serving *s = x->servings; s && x->serve_jobs < SERVE_JOBS_MAX;
		     s = s->next) {
			if (!s->qlen)
				continue;
			struct job *j = r1_calloc(1, sizeof(*j));
			if (!j)
				return;
			j->x = x;
			j->kind = JOB_SERVE;
			memcpy(j->xfer, s->xfer, sizeof(j->xfer));
			memcpy(j->key, s->key, sizeof(j->key));
			snprintf(j->peer, sizeof(j->peer), "%s", s->peer);
			j->cid = s->q[s->qhead];
			buf_init(&j->block);
			if (workers_submit(x->pool, serve_run, serve_done, j, NULL, NULL) !=
			    R1_OK) {
				job_free(j);
				return;
			}
			s->qhead = (s->qhead + 1) % SERVE_QUEUE_MAX;
			s->qlen--;
			s->busy++;
			s->last_ms = now_ms(x);
			x->serve_jobs++;
			progress = true;
		}
	}
}

static void kick_serve(struct xchg *x)
{
	if (!x->closing)
		loop_call_schedule(x->loop, &x->serve_call);
}

static void on_want(struct xchg *x, const char *sender, const struct xmsg *m, bool encrypted)
{
	x->st.wants_in++;
	if (!encrypted) {
		x->st.clear_wants++; /* its key travelled in clear: never use it */
		return;
	}
	if (addr_same(sender, x->addr))
		return;
	bool allowed =
	    x->cfg.serve_untrusted || (x->env.trusted && x->env.trusted(x->env.ctx, sender));
	struct serving *s = serving_get(x, sender, m);
	if (!s) {
		send_none(x, sender, m->xfer, m->cids, m->ncids,
		          "busy: serving too many transfers");
		return;
	}
	s->last_ms = now_ms(x);
	if (!allowed) {
		x->st.refused++;
		if (!s->refused_sent) {
			LOG_I(x->log, LOGMOD, "refused blocks to %s: not in authorized_addrs",
			      sender);
			send_none(
			    x, sender, m->xfer, m->cids, m->ncids,
			    "not allowed: the requester is not in this node's authorized_addrs");
			s->refused_sent = true;
		}
		return;
	}
	size_t overflow = 0;
	for (size_t i = 0; i < m->ncids; i++) {
		if (s->qlen == SERVE_QUEUE_MAX) {
			overflow = m->ncids - i;
			break;
		}
		s->q[(s->qhead + s->qlen) % SERVE_QUEUE_MAX] = m->cids[i];
		s->qlen++;
	}
	if (overflow)
		send_none(x, sender, m->xfer, m->cids + (m->ncids - overflow), overflow,
		          "busy: too many blocks asked at once");
	kick_serve(x);
}

void xchg_receive(struct xchg *x, const char *sender, const struct xmsg *m, bool encrypted)
{
	if (!sender || x->closing)
		return;
	switch (m->op) {
	case XOP_WANT:
		on_want(x, sender, m, encrypted);
		break;
	case XOP_BLOCK:
		on_block(x, sender, m);
		break;
	case XOP_NONE:
		on_none(x, sender, m);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ time */

static void on_tick(void *ctx, struct loop_timer *timer)
{
	struct xchg *x = ctx;
	uint64_t now = now_ms(x);
	bool progressed = false;
	for (struct xfer *t = x->xfers; t; t = t->next) {
		if (t->state == XCHG_RUNNING && !t->begun)
			xfer_begin(x, t);
		if (t->state != XCHG_RUNNING)
			continue;
		if (t->npeers == 0)
			find_peers(x, t);
		if (now - t->last_progress_ms >= x->cfg.timeout_ms) {
			struct buf b = BUF_INIT;
			buf_addf(&b,
			         "r1fs: fetching %s timed out: no block arrived for %u s (%" PRIu64
			         " of %" PRIu64 " bytes here; ",
			         t->root_text, x->cfg.timeout_ms / 1000, t->bytes_done,
			         t->bytes_total);
			if (t->npeers)
				peers_summary(t, &b);
			else
				buf_adds(&b, "no peer to ask");
			buf_adds(&b, ")");
			xfer_end(x, t, R1_ERR_TIMEOUT, buf_ok(&b) ? buf_cstr(&b) : "r1fs: timeout");
			buf_release(&b);
			continue;
		}
		for (struct want *w = t->fhead, *next; w; w = next) {
			next = w->next;
			if (w->state == W_ASKED && now - w->sent_ms >= x->cfg.retry_ms)
				requeue(t, w);
		}
		pump(x, t);
		progressed = progressed || t->progressed;
		t->progressed = false;
	}
	/* ended transfers leave the list after keep_done_ms */
	for (struct xfer **pp = &x->xfers; *pp;) {
		struct xfer *t = *pp;
		if (t->state != XCHG_RUNNING && now - t->ended_ms >= x->cfg.keep_done_ms) {
			*pp = t->next;
			xfer_free(t);
			progressed = true;
		} else {
			pp = &t->next;
		}
	}
	for (struct serving *s = x->servings, *next; s; s = next) {
		next = s->next;
		if (!s->busy && !s->qlen && now - s->last_ms >= SERVING_IDLE_MS)
			serving_unlink_free(x, s);
	}
	if (progressed)
		changed(x);
	if (!x->xfers && !x->servings)
		loop_timer_stop(x->tick);
}

/* ------------------------------------------------------------ life */

enum r1_err xchg_new(struct loop *loop, struct r1fs *fs, const struct xchg_config *cfg,
                     const struct xchg_env *env, struct r1_log *log, struct xchg **out, char **why)
{
	if (!cfg || !cfg->addr || !env || !env->send)
		return r1_fail(why, R1_ERR_INVAL, "r1fs exchange: no address or no send");
	struct xchg *x = r1_calloc(1, sizeof(*x));
	if (!x)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs exchange: out of memory");
	x->loop = loop;
	x->fs = fs;
	x->log = log;
	x->cfg = *cfg;
	x->env = *env;
	x->cfg.window = cfg->window ? cfg->window : DEFAULT_WINDOW;
	x->cfg.timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
	x->cfg.retry_ms = cfg->retry_ms ? cfg->retry_ms : DEFAULT_RETRY_MS;
	x->cfg.max_peers =
	    cfg->max_peers ? R1_MIN(cfg->max_peers, (unsigned)XCHG_PEERS_MAX) : DEFAULT_PEERS;
	x->cfg.keep_done_ms = cfg->keep_done_ms ? cfg->keep_done_ms : DEFAULT_KEEP_MS;
	x->cfg.discovery_ms = cfg->discovery_ms ? cfg->discovery_ms : DEFAULT_DISCOVERY_MS;
	x->born_ms = loop_now(loop);
	x->addr = r1_strdup(cfg->addr);
	x->cfg.addr = x->addr;
	loop_call_init(&x->serve_call, serve_some, x);
	x->tick = loop_timer_new(loop, on_tick, x);
	enum r1_err e = x->addr && x->tick
	                    ? workers_new(loop, 1, 0, &x->pool, why)
	                    : r1_fail(why, R1_ERR_NOMEM, "r1fs exchange: out of memory");
	if (e) {
		xchg_free(&x);
		return e;
	}
	*out = x;
	return R1_OK;
}

void xchg_free(struct xchg **xp)
{
	struct xchg *x = *xp;
	if (!x)
		return;
	for (struct xfer *t = x->xfers; t; t = t->next)
		xfer_end(x, t, R1_ERR_STATE, "r1fs: the exchange stopped");
	x->closing = true;
	if (x->gate)
		xchg_attach(NULL, x->gate);
	workers_free(&x->pool); /* outstanding done calls see `closing` and free their jobs */
	loop_call_cancel(x->loop, &x->serve_call);
	loop_timer_free(&x->tick);
	while (x->xfers) {
		struct xfer *t = x->xfers;
		x->xfers = t->next;
		xfer_free(t);
	}
	while (x->servings)
		serving_unlink_free(x, x->servings);
	r1_free(x->addr);
	r1_free(x);
	*xp = NULL;
}

size_t xchg_transfers(const struct xchg *x, struct xchg_transfer *out, size_t max)
{
	size_t n = 0;
	for (const struct xfer *t = x->xfers; t && n < max; t = t->next, n++) {
		struct xchg_transfer *o = &out[n];
		memset(o, 0, sizeof(*o));
		snprintf(o->root, sizeof(o->root), "%s", t->root_text);
		o->state = t->state;
		for (size_t i = 0; i < t->npeers; i++)
			snprintf(o->peers[i], sizeof(o->peers[i]), "%s", t->peers[i].addr);
		o->npeers = t->npeers;
		o->bytes_done = t->bytes_done;
		o->bytes_total = t->bytes_total;
		o->blocks_done = t->blocks_done;
		o->blocks_fetched = t->blocks_fetched;
		o->inflight = t->nflight;
		o->started_ms = t->started_ms;
		o->ended_ms = t->ended_ms;
		snprintf(o->error, sizeof(o->error), "%s", t->error ? t->error : "");
	}
	return n;
}

void xchg_get_stats(const struct xchg *x, struct xchg_stats *out)
{
	*out = x->st;
}

/* ------------------------------------------------------------ the gate */

/* Loop thread, before every poll: the waits other threads queued. */
static void gate_drain(void *ctx)
{
	struct xchg_gate *g = ctx;
	pthread_mutex_lock(&g->mu);
	struct gate_wait *list = g->queue;
	g->queue = NULL;
	pthread_mutex_unlock(&g->mu);
	struct gate_wait *fifo = NULL;
	while (list) { /* queued newest first */
		struct gate_wait *w = list;
		list = w->next;
		w->next = fifo;
		fifo = w;
	}
	while (fifo) {
		struct gate_wait *w = fifo;
		fifo = w->next;
		w->next = NULL;
		if (g->x)
			want_block(g->x, w);
		else
			wait_complete(
			    g, w, R1_ERR_NOTFOUND,
			    "r1fs: the block is not here, and no exchange runs to fetch it"
			    " (R1FS_MANAGER not running)",
			    NULL, 0);
	}
}

struct xchg_gate *xchg_gate_new(struct loop *loop)
{
	struct xchg_gate *g = r1_calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->loop = loop;
	g->loop_thread = pthread_self();
	g->hook = loop_hook_add(loop, gate_drain, g);
	if (!g->hook) {
		xchg_gate_free(&g);
		return NULL;
	}
	return g;
}

void xchg_gate_free(struct xchg_gate **gp)
{
	struct xchg_gate *g = *gp;
	if (!g)
		return;
	if (g->x) {
		for (struct xfer *t = g->x->xfers; t; t = t->next)
			fail_waiters(g->x, t, R1_ERR_STATE, "r1fs: the exchange's gate closed");
		g->x->gate = NULL;
	}
	g->x = NULL;
	if (g->hook)
		loop_hook_remove(g->loop, &g->hook);
	gate_drain(g); /* fails what is queued */
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	r1_free(g);
	*gp = NULL;
}

void xchg_attach(struct xchg *x, struct xchg_gate *g)
{
	if (g->x && g->x != x)
		g->x->gate = NULL;
	pthread_mutex_lock(&g->mu);
	g->x = x;
	pthread_mutex_unlock(&g->mu);
	if (x)
		x->gate = g;
	else
		gate_drain(g); /* what was queued fails now, not at the next poll */
}

enum r1_err xchg_gate_fetch(void *gate, const struct r1fs_cid *root, const struct r1fs_cid *cid,
                            struct buf *out, char **why)
{
	struct xchg_gate *g = gate;
	if (pthread_equal(pthread_self(), g->loop_thread))
		return r1_fail(why, R1_ERR_STATE,
		               "r1fs: a block must come from a peer, which the loop thread cannot"
		               " wait for (read R1FS on a worker)");
	struct gate_wait w = {.root = *root, .cid = *cid, .out = out};
	pthread_mutex_lock(&g->mu);
	if (!g->x) {
		/* nothing would answer (and the loop may not run again: node shutting down) */
		pthread_mutex_unlock(&g->mu);
		char text[R1FS_CID_TEXT_MAX];
		r1fs_cid_format(cid, text);
		return r1_fail(why, R1_ERR_NOTFOUND,
		               "r1fs: block %s is not here, and no exchange runs to fetch it"
		               " (R1FS_MANAGER not running)",
		               text);
	}
	w.next = g->queue;
	g->queue = &w;
	pthread_mutex_unlock(&g->mu);
	loop_post(g->loop, NULL, NULL); /* wake it: the hook runs before the next poll */
	pthread_mutex_lock(&g->mu);
	while (!w.done)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
	if (!w.err) {
		r1_free(w.why);
		return R1_OK;
	}
	if (why) {
		r1_free(*why);
		*why = w.why;
	} else {
		r1_free(w.why);
	}
	return w.err;
}
