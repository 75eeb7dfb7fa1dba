/*
 * R1FS_MANAGER: the admin plugin that runs a node's R1FS services
 * (admin_pipeline, instance R1FS_MANAGER_INST).  The store itself is the
 * node's (node.c opens it, compute reads it); this plugin ties it to the
 * network and to apps:
 *
 *  - the exchange (xchg.h) over R1FS_MANAGER payloads: WANTs go out
 *    encrypted to the peer (plugin_emit_encrypted), blocks and NONEs in
 *    clear but addressed (<root>/<peer>/payloads); what comes back arrives
 *    through the admin pipeline's NetworkListener, already verified and,
 *    when it was for us, decrypted.  The node's gate (the store's fetch
 *    hook) is attached to it while it runs;
 *  - announcements (announce.h): every ANNOUNCE_PERIOD seconds, and two
 *    seconds after pins change through this plugin, a bloom filter of the
 *    pins broadcast in clear; the peers' announcements are kept (at most
 *    PEERS_MAX, the oldest forgotten) to choose whom to ask for a DAG;
 *  - serving: blocks go only to senders in authorized_addrs, on secured
 *    and unsecured nodes alike.  SECURED is about whether a command's
 *    signature must verify; serving files to whoever asks would hand any
 *    stranger on a shared broker every file added with the default secret
 *    ("ratio1"), which the reference's private IPFS swarm (its swarm key)
 *    never does.  SERVE_UNTRUSTED: true opts in for an open test network;
 *  - remote requests (R1FS_REQ from an allowed client, answered with
 *    R1FS_RESP): pins, stat, ls, store_stat, pin, unpin, gc, and fetch
 *    (take a DAG from the client itself and pin it under the name the
 *    client gives, which the node cannot decrypt: `r1console r1fs add
 *    --node`);
 *  - the HTTP API (r1fs_http.h) on the node's R1FS port, recorded in
 *    <node dir>/r1fs-api.port for `r1console r1fs`;
 *  - the heartbeat's R1FS_ONLINE (and R1FS_ID: the IPFS node's peer ID
 *    with --ipfs-api; none for the built-in store, which has no libp2p
 *    identity).
 *
 * With an IPFS backend there is no exchange: blocks move through IPFS,
 * and the announcement only says which store the node runs.
 */
#include "node/lib.h"
#include "node/nodepriv.h"
#include "node/plugin.h"
#include "node/plugins/plugins.h"
#include "node/r1fs/announce.h"
#include "node/r1fs/ops.h"
#include "node/r1fs/r1fs.h"
#include "node/r1fs/r1fs_http.h"
#include "node/r1fs/r1fs_manager.h"
#include "node/r1fs/xchg.h"
#include "node/r1fs/xmsg.h"
#include "core/loop.h"
#include "core/proto.h"
#include "core/workers.h"
#include "core/clock.h"
#include "core/paths.h"

#include <strings.h>

#define LOGMOD           "r1fs"
#define PEERS_MAX        1024u
#define ANNOUNCE_SOON_MS 2000u
/* A peer not heard from for this long is not asked when its filter lacks the root. */
#define PEER_RECENT_US (INT64_C(10) * 60 * 1000000)

struct peer_ann {
	xchg_addr addr;
	char alias[R1_ALIAS_MAX + 1];
	int64_t seen_us;
	struct announce a;
};

struct rfm {
	struct plugin_instance *pi;
	struct node *n;
	struct r1fs *fs;
	bool ipfs;
	struct xchg *x;
	struct r1fs_http *http;
	struct workers *pool; /* remote requests and the IPFS peer ID */
	char *port_file;
	struct loop_timer *announce;
	unsigned announce_ms;
	struct peer_ann *peers;
	size_t npeers;
	unsigned hellos; /* announcements left that ask the peers for theirs */
	bool closing;
};

static const char defaults[] = "{\"PROCESS_DELAY\": 0, \"ALLOW_EMPTY_INPUTS\": false,"
                               " \"MAX_INPUTS_QUEUE_SIZE\": 1024, \"PLUGIN_LOOP_RESOLUTION\": 1000,"
                               " \"ANNOUNCE_PERIOD\": 60, \"FETCH_WINDOW\": 16,"
                               " \"FETCH_PEERS\": 4, \"SERVE_UNTRUSTED\": false}";

static const char schema[] =
    "{\"type\": \"object\", \"title\": \"R1FS_MANAGER\","
    " \"properties\": {"
    "  \"ANNOUNCE_PERIOD\": {\"type\": \"number\", \"minimum\": 1,"
    "   \"description\": \"Seconds between announcements of the pins\"},"
    "  \"FETCH_TIMEOUT\": {\"type\": \"number\", \"minimum\": 1,"
    "   \"description\": \"A fetch from peers fails after this many seconds without a block\"},"
    "  \"FETCH_WINDOW\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 256,"
    "   \"description\": \"Blocks asked for at once per fetch\"},"
    "  \"FETCH_PEERS\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 8,"
    "   \"description\": \"Peers asked per fetch\"},"
    "  \"SERVE_UNTRUSTED\": {\"type\": \"boolean\","
    "   \"description\": \"Serve blocks to peers outside authorized_addrs\"}"
    " }}";

/* ---- peers and their announcements */

static struct peer_ann *peer_find(struct rfm *s, const char *addr)
{
	for (size_t i = 0; i < s->npeers; i++)
		if (addr_same(s->peers[i].addr, addr))
			return &s->peers[i];
	return NULL;
}

static void pins_changed(void *ctx);

/* A peer's announcement; a peer not seen before gets ours soon (it may have missed it). */
static void remember(struct rfm *s, const char *sender, const char *alias, struct announce *a)
{
	struct peer_ann *p = peer_find(s, sender);
	if (!p || a->hello)
		pins_changed(s); /* it may not know us: tell it soon */
	if (!p && s->npeers == PEERS_MAX) {
		size_t old = 0;
		for (size_t i = 1; i < s->npeers; i++)
			if (s->peers[i].seen_us < s->peers[old].seen_us)
				old = i;
		p = &s->peers[old];
		announce_release(&p->a);
	} else if (!p) {
		struct peer_ann *grown = r1_reallocarray(s->peers, s->npeers + 1, sizeof(*grown));
		if (!grown) {
			announce_release(a);
			return;
		}
		s->peers = grown;
		p = &s->peers[s->npeers++];
		memset(p, 0, sizeof(*p));
	} else {
		announce_release(&p->a);
	}
	snprintf(p->addr, sizeof(p->addr), "%s", sender);
	snprintf(p->alias, sizeof(p->alias), "%s", alias ? alias : "");
	p->seen_us = r1_wall_us();
	p->a = *a;
}

static bool listed(const xchg_addr *out, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (addr_same(out[i], addr))
			return true;
	return false;
}

/*
 * Whom to ask for a DAG: peers whose filter has the root (newest first),
 * then allowed peers heard from lately (a pin newer than their last
 * announcement).  Only peers that announced are asked: an address in
 * authorized_addrs may be a console or a node without R1FS, which would
 * leave the fetch waiting for its whole timeout.
 */
static size_t env_candidates(void *ctx, const struct r1fs_cid *root, xchg_addr *out, size_t max)
{
	struct rfm *s = ctx;
	size_t n = 0;
	int64_t now = r1_wall_us();
	for (int pass = 0; pass < 2 && n < max; pass++) {
		bool taken[PEERS_MAX] = {false};
		for (;;) { /* newest first, without sorting the table */
			size_t best = SIZE_MAX;
			for (size_t i = 0; i < s->npeers; i++) {
				const struct peer_ann *p = &s->peers[i];
				bool fits =
				    pass == 0 ? announce_has(&p->a, root)
				              : allowlist_contains(s->n->allow, p->addr) &&
				                    now - p->seen_us < PEER_RECENT_US &&
				                    strcmp(p->a.store, ANNOUNCE_STORE_BUILTIN) == 0;
				if (!taken[i] && fits &&
				    (best == SIZE_MAX || p->seen_us > s->peers[best].seen_us))
					best = i;
			}
			if (best == SIZE_MAX || n == max)
				break;
			taken[best] = true;
			if (!listed(out, n, s->peers[best].addr) &&
			    !addr_same(s->peers[best].addr, s->n->id.addr))
				snprintf(out[n++], sizeof(out[0]), "%s", s->peers[best].addr);
		}
	}
	return n;
}

static bool env_trusted(void *ctx, const char *addr)
{
	struct rfm *s = ctx;
	return allowlist_contains(s->n->allow, addr);
}

static enum r1_err send_data(struct rfm *s, const char *peer, const json_t *data, bool encrypt,
                             char **why)
{
	json_t *fields = json_pack("{s:O}", K_R1FS_DATA, data);
	if (!fields)
		return r1_fail(why, R1_ERR_NOMEM, "R1FS_MANAGER: out of memory");
	if (encrypt) {
		json_t *dest = json_string(peer);
		enum r1_err e = dest ? plugin_emit_encrypted(s->pi, dest, fields, why)
		                     : (json_decref(fields),
		                        r1_fail(why, R1_ERR_NOMEM, "R1FS_MANAGER: out of memory"));
		json_decref(dest);
		return e;
	}
	if (peer && json_object_set_new(fields, K_EE_DEST, json_string(peer))) {
		json_decref(fields);
		return r1_fail(why, R1_ERR_NOMEM, "R1FS_MANAGER: out of memory");
	}
	return plugin_emit(s->pi, fields, why);
}

static enum r1_err env_send(void *ctx, const char *peer, const json_t *data, bool encrypt,
                            char **why)
{
	return send_data(ctx, peer, data, encrypt, why);
}

/* ---- announcements */

static void announce_now(struct rfm *s)
{
	json_t *a = NULL;
	if (s->ipfs) {
		a = announce_build(ANNOUNCE_STORE_IPFS, NULL, 0, 0, 0, s->hellos > 0);
		json_object_del(a, R1FS_K_BLOOM); /* an IPFS node's blocks are IPFS's to find */
	} else {
		struct r1fs_pin *pins = NULL;
		size_t n = 0;
		struct r1fs_store_stat st = {0};
		char *why = NULL;
		if (r1fs_list_pins(s->fs, &pins, &n, &why) == R1_OK) {
			r1fs_store_stat(s->fs, &st, NULL);
			a = announce_build(ANNOUNCE_STORE_BUILTIN, pins, n, st.used_bytes,
			                   st.quota_bytes, s->hellos > 0);
		} else {
			LOG_W(plugin_log(s->pi), LOGMOD, "%s: cannot list pins: %s", s->n->alias,
			      why ? why : "?");
		}
		r1fs_pins_free(pins, n);
		r1_free(why);
	}
	if (s->hellos > 0)
		s->hellos--;
	char *why = NULL;
	if (a && send_data(s, NULL, a, false, &why))
		LOG_W(plugin_log(s->pi), LOGMOD, "%s: announcement not sent: %s", s->n->alias,
		      why ? why : "?");
	r1_free(why);
	json_decref(a);
}

static void on_announce(void *ctx, struct loop_timer *t)
{
	struct rfm *s = ctx;
	announce_now(s);
	loop_timer_start(s->announce, s->announce_ms, s->announce_ms);
}

/* Pins changed here: tell the others soon (several changes make one announcement). */
static void pins_changed(void *ctx)
{
	struct rfm *s = ctx;
	if (!s->closing)
		loop_timer_start(s->announce, ANNOUNCE_SOON_MS, s->announce_ms);
}

/* ---- what the HTTP API and the console show */

static json_t *transfers_json(struct rfm *s)
{
	json_t *arr = json_array();
	if (!s->x || !arr)
		return arr;
	struct xchg_transfer t[32];
	size_t n = xchg_transfers(s->x, t, R1_ARRAY_LEN(t));
	static const char *const states[] = {"running", "done", "failed"};
	uint64_t now = loop_now(s->n->loop);
	for (size_t i = 0; i < n; i++) {
		json_t *peers = json_array();
		for (size_t k = 0; k < t[i].npeers; k++) {
			const struct peer_ann *p = peer_find(s, t[i].peers[k]);
			json_array_append_new(peers, json_pack("{s:s,s:s}", "addr", t[i].peers[k],
			                                       "alias", p ? p->alias : ""));
		}
		uint64_t end = t[i].state == XCHG_RUNNING ? now : t[i].ended_ms;
		json_array_append_new(
		    arr, json_pack("{s:s,s:s,s:o,s:I,s:I,s:I,s:I,s:i,s:f,s:s?}", "cid", t[i].root,
		                   "state", states[t[i].state], "peers", peers, "bytes_done",
		                   (json_int_t)t[i].bytes_done, "bytes_total",
		                   (json_int_t)t[i].bytes_total, "blocks_done",
		                   (json_int_t)t[i].blocks_done, "blocks_fetched",
		                   (json_int_t)t[i].blocks_fetched, "inflight", (int)t[i].inflight,
		                   "seconds", (double)(end - t[i].started_ms) / 1000.0, "error",
		                   t[i].error[0] ? t[i].error : NULL));
	}
	return arr;
}

static json_t *peers_json(struct rfm *s)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < s->npeers; i++) {
		const struct peer_ann *p = &s->peers[i];
		json_t *recent = json_array();
		for (size_t k = 0; k < p->a.nrecent; k++)
			json_array_append_new(
			    recent, json_pack("{s:s,s:I,s:I}", "cid", p->a.recent[k].cid, "size",
			                      (json_int_t)p->a.recent[k].size, "created",
			                      (json_int_t)p->a.recent[k].created));
		json_array_append_new(
		    arr, json_pack("{s:s,s:s,s:I,s:s,s:I,s:I,s:I,s:o}", "addr", p->addr, "alias",
		                   p->alias, "seen_us", (json_int_t)p->seen_us, "store", p->a.store,
		                   "pins", (json_int_t)p->a.pins, "used", (json_int_t)p->a.used,
		                   "quota", (json_int_t)p->a.quota, "recent", recent));
	}
	return arr;
}

static json_t *http_transfers(void *ctx)
{
	return transfers_json(ctx);
}

static json_t *http_peers(void *ctx)
{
	return peers_json(ctx);
}

static json_t *http_status(void *ctx)
{
	struct rfm *s = ctx;
	return json_pack("{s:I}", "peers_known", (json_int_t)s->npeers);
}

json_t *r1fs_manager_view(struct node *n)
{
	struct rfm *s = n->r1fsm;
	json_t *v = json_object();
	json_t *files = json_array();
	if (!v || !files) {
		json_decref(v);
		json_decref(files);
		return NULL;
	}
	struct r1fs_pin *pins = NULL;
	size_t np = 0;
	if (n->r1fs && r1fs_list_pins(n->r1fs, &pins, &np, NULL) == R1_OK) {
		for (size_t i = 0; i < np; i++) {
			json_t *holders = json_array();
			struct r1fs_cid cid;
			bool parsed = r1fs_cid_parse(pins[i].cid, &cid, NULL) == R1_OK;
			for (size_t k = 0; s && parsed && k < s->npeers; k++)
				if (announce_has(&s->peers[k].a, &cid))
					json_array_append_new(holders,
					                      json_pack("{s:s,s:s}", "addr",
					                                s->peers[k].addr, "alias",
					                                s->peers[k].alias));
			json_array_append_new(files, json_pack("{s:s,s:I,s:I,s:s?,s:o}", "cid",
			                                       pins[i].cid, "size",
			                                       (json_int_t)pins[i].size, "created",
			                                       (json_int_t)pins[i].created, "name",
			                                       pins[i].name, "peers", holders));
		}
	}
	r1fs_pins_free(pins, np);
	json_object_set_new(v, "files", files);
	struct r1fs_store_stat st;
	if (n->r1fs && r1fs_store_stat(n->r1fs, &st, NULL) == R1_OK)
		json_object_set_new(v, "store",
		                    json_pack("{s:I,s:I,s:I,s:I}", "used",
		                              (json_int_t)st.used_bytes, "quota",
		                              (json_int_t)st.quota_bytes, "blocks",
		                              (json_int_t)st.blocks, "pins", (json_int_t)st.pins));
	json_object_set_new(v, "running", json_boolean(s != NULL));
	json_object_set_new(v, "http_port", json_integer(n->r1fs_http_port));
	json_object_set_new(v, "transfers", s ? transfers_json(s) : json_array());
	json_object_set_new(v, "peers", s ? peers_json(s) : json_array());
	return v;
}

/* ---- remote requests (R1FS_REQ) */

struct req_job {
	struct rfm *s;
	char client[R1_ADDR_LEN + 1];
	char *request_id, *cmd, *cid;
	json_t *args;
	enum r1_err err;
	char *why;
	json_t *result;
	bool pins_changed;
	uint64_t fetch_id;
};

static void req_job_free(struct req_job *j)
{
	r1_free(j->request_id);
	r1_free(j->cmd);
	r1_free(j->cid);
	r1_free(j->why);
	json_decref(j->args);
	json_decref(j->result);
	r1_free(j);
}

static void respond(struct rfm *s, const char *client, const char *request_id, enum r1_err err,
                    const char *why, const json_t *result)
{
	json_t *resp = xmsg_resp(request_id, err == R1_OK, result, err ? why : NULL);
	char *swhy = NULL;
	if (!resp || send_data(s, client, resp, true, &swhy))
		LOG_W(plugin_log(s->pi), LOGMOD, "%s: answer to %s not sent: %s", s->n->alias,
		      client, swhy ? swhy : "out of memory");
	r1_free(swhy);
	json_decref(resp);
}

static void run_req(struct worker_job *wj, void *arg)
{
	struct req_job *j = arg;
	/* fetch: the client's DAG came; pinning it is what is left */
	const char *op = strcmp(j->cmd, "fetch") == 0 ? "pin" : j->cmd;
	j->err = r1fs_op_run(j->s->fs, op, j->args, &j->result, &j->pins_changed, &j->why);
}

static void req_done(void *arg, enum r1_err status)
{
	struct req_job *j = arg;
	struct rfm *s = j->s;
	if (status == R1_OK && !s->closing) {
		if (j->pins_changed)
			pins_changed(s);
		respond(s, j->client, j->request_id, j->err, j->why, j->result);
	}
	req_job_free(j);
}

/* fetch: the client's DAG is here now (or not): pin it on a worker, then answer. */
static void fetched(void *ctx, enum r1_err err, const char *why)
{
	struct req_job *j = ctx;
	struct rfm *s = j->s;
	if (s->closing) {
		req_job_free(j);
		return;
	}
	if (err) {
		respond(s, j->client, j->request_id, err, why, NULL);
		req_job_free(j);
		return;
	}
	if (workers_submit(s->pool, run_req, req_done, j, NULL, NULL) != R1_OK) {
		respond(s, j->client, j->request_id, R1_ERR_AGAIN, "busy", NULL);
		req_job_free(j);
	}
}

static void handle_req(struct rfm *s, const char *sender, const struct xmsg *m, bool encrypted)
{
	if (!encrypted || !allowlist_contains(s->n->allow, sender)) {
		LOG_I(plugin_log(s->pi), LOGMOD, "%s: R1FS_REQ %s from %s refused (%s)",
		      s->n->alias, m->cmd, sender, encrypted ? "not allowed" : "not encrypted");
		respond(s, sender, m->request_id, R1_ERR_AUTH,
		        "not allowed: the sender is not in this node's authorized_addrs", NULL);
		return;
	}
	struct req_job *j = r1_calloc(1, sizeof(*j));
	if (!j)
		return;
	j->s = s;
	snprintf(j->client, sizeof(j->client), "%s", sender);
	j->request_id = r1_strdup(m->request_id);
	j->cmd = r1_strdup(m->cmd);
	const char *cid = json_string_value(json_object_get(m->args, "cid"));
	j->cid = cid ? r1_strdup(cid) : NULL;
	j->args = m->args ? json_deep_copy(m->args) : json_object();
	bool needs = true, known = strcmp(m->cmd, "fetch") == 0 || r1fs_op_known(m->cmd, &needs);
	if (!j->request_id || !j->cmd || !j->args || !known || (needs && !j->cid)) {
		respond(s, sender, m->request_id, R1_ERR_INVAL,
		        !known          ? "unknown R1FS_REQ command"
		        : needs && !cid ? "the command needs args.cid"
		                        : "out of memory",
		        NULL);
		req_job_free(j);
		return;
	}
	if (strcmp(m->cmd, "fetch") == 0) {
		/* the name is checked before the whole DAG is fetched for nothing */
		const json_t *nm = json_object_get(j->args, "name");
		struct r1fs_cid root;
		char *why = NULL;
		bool bad_name = nm && !json_is_null(nm) &&
		                !r1fs_pin_name_ok(json_string_value(nm), json_string_length(nm));
		enum r1_err e;
		if (!s->x)
			e = r1_fail(&why, R1_ERR_STATE, "this node's store is IPFS");
		else if (bad_name)
			e = r1_fail(
			    &why, R1_ERR_INVAL,
			    "the name must be 1 to 255 bytes without '/' or control characters");
		else
			e = r1fs_cid_parse(j->cid, &root, &why);
		if (!e)
			e = xchg_fetch(s->x, &root, sender, fetched, j, &j->fetch_id, &why);
		if (e) {
			respond(s, sender, m->request_id, e, why, NULL);
			req_job_free(j);
		}
		r1_free(why);
		return;
	}
	if (workers_submit(s->pool, run_req, req_done, j, NULL, NULL) != R1_OK) {
		respond(s, sender, m->request_id, R1_ERR_AGAIN, "busy", NULL);
		req_job_free(j);
	}
}

/* ---- input */

static const char *path_signature(const json_t *payload)
{
	return json_string_value(json_array_get(json_object_get(payload, K_EE_PAYLOAD_PATH), 2));
}

static void handle_payload(struct rfm *s, const json_t *in)
{
	const json_t *data = json_object_get(in, K_R1FS_DATA);
	const char *sender = json_string_value(json_object_get(in, K_EE_SENDER));
	if (!data || !sender || addr_same(sender, s->n->id.addr))
		return;
	bool encrypted = json_is_true(json_object_get(in, K_EE_IS_ENCRYPTED));
	struct xmsg m;
	char *why = NULL;
	if (xmsg_parse(data, &m, &why)) {
		LOG_D(plugin_log(s->pi), LOGMOD, "%s: from %s: %s", s->n->alias, sender,
		      why ? why : "?");
		r1_free(why);
		return;
	}
	LOG_D(plugin_log(s->pi), LOGMOD, "%s: %s from %s%s", s->n->alias, xmsg_op_name(m.op),
	      sender, encrypted ? " (encrypted)" : "");
	switch (m.op) {
	case XOP_ANNOUNCE: {
		struct announce a;
		if (announce_parse(data, &a, &why) == R1_OK)
			remember(s, sender, json_string_value(json_object_get(in, K_EE_ID)), &a);
		else
			LOG_D(plugin_log(s->pi), LOGMOD, "%s: announcement from %s: %s",
			      s->n->alias, sender, why ? why : "?");
		break;
	}
	case XOP_REQ:
		handle_req(s, sender, &m, encrypted);
		break;
	case XOP_RESP:
		break;
	default:
		if (s->x)
			xchg_receive(s->x, sender, &m, encrypted);
		break;
	}
	r1_free(why);
}

/* ---- the plugin */

struct id_job {
	struct rfm *s;
	char *peer_id;
};

static void run_backend_id(struct worker_job *wj, void *arg)
{
	struct id_job *j = arg;
	char *agent = NULL;
	if (r1fs_backend_id(j->s->fs, &j->peer_id, &agent, NULL) != R1_OK)
		j->peer_id = NULL;
	r1_free(agent);
}

static void backend_id_done(void *arg, enum r1_err status)
{
	struct id_job *j = arg;
	if (status == R1_OK && j->peer_id && j->s->n->r1fsm == j->s) {
		r1_free(j->s->n->r1fs_id);
		j->s->n->r1fs_id = j->peer_id;
		j->peer_id = NULL;
	}
	r1_free(j->peer_id);
	r1_free(j);
}

static void rfm_free(struct rfm *s)
{
	if (!s)
		return;
	struct node *n = s->n;
	s->closing = true;
	if (n && n->r1fsm == s) {
		n->r1fsm = NULL;
		n->r1fs_http_port = 0;
		n->r1fs_online = false;
		r1_free(n->r1fs_id);
		n->r1fs_id = NULL;
	}
	/* the exchange first: it releases the threads waiting for peers */
	if (n && n->r1fs_gate)
		xchg_attach(NULL, n->r1fs_gate);
	xchg_free(&s->x);
	r1fs_http_free(&s->http);
	workers_free(&s->pool);
	node_remove_port_file(&s->port_file);
	loop_timer_free(&s->announce);
	for (size_t i = 0; i < s->npeers; i++)
		announce_release(&s->peers[i].a);
	r1_free(s->peers);
	r1_free(s);
}

static enum r1_err start_http(struct rfm *s, char **why)
{
	struct node *n = s->n;
	struct httpapi_config hc = {
	    .loop = n->loop,
	    .bind = n->r1fs_bind,
	    .port = (uint16_t)n->r1fs_port,
	    .name = "r1fs-api",
	};
	struct r1fs_http_identity id = {.store =
	                                    s->ipfs ? ANNOUNCE_STORE_IPFS : ANNOUNCE_STORE_BUILTIN};
	node_http_identity(n, &id.node);
	struct r1fs_http_env env = {
	    .ctx = s,
	    .pins_changed = pins_changed,
	    .transfers = http_transfers,
	    .peers = http_peers,
	    .status = http_status,
	};
	char *tmp = paths_join(n->dir, "r1fs-tmp");
	enum r1_err e =
	    tmp ? r1fs_http_new(s->fs, &hc, &id, tmp, &env, plugin_log(s->pi), &s->http, why)
	        : r1_fail(why, R1_ERR_NOMEM, "R1FS_MANAGER: out of memory");
	r1_free(tmp);
	return e;
}

static enum r1_err rfm_init(struct plugin_instance *pi, void **state, char **why)
{
	struct node *n = plugin_node(pi);
	if (!n)
		return r1_fail(why, R1_ERR_STATE, "R1FS_MANAGER: needs a node");
	if (!n->r1fs)
		return r1_fail(why, R1_ERR_STATE,
		               "R1FS_MANAGER: this node has no R1FS store (see its log for why)");
	struct rfm *s = r1_calloc(1, sizeof(*s));
	if (!s)
		return r1_fail(why, R1_ERR_NOMEM, "R1FS_MANAGER: out of memory");
	s->pi = pi;
	s->n = n;
	s->fs = n->r1fs;
	s->ipfs = n->ipfs_api != NULL;
	double period = plugin_cfg_real(pi, "ANNOUNCE_PERIOD", 60);
	s->announce_ms = period >= 1 ? (unsigned)(period * 1000) : 60000u;
	s->announce = loop_timer_new(n->loop, on_announce, s);
	enum r1_err e = s->announce ? workers_new(n->loop, 2, 256, &s->pool, why)
	                            : r1_fail(why, R1_ERR_NOMEM, "R1FS_MANAGER: out of memory");
	if (!e && !s->ipfs) {
		double timeout = plugin_cfg_real(
		    pi, "FETCH_TIMEOUT", n->r1fs_fetch_timeout_s ? n->r1fs_fetch_timeout_s : 90);
		struct xchg_config xc = {
		    .addr = n->id.addr,
		    .window =
		        (unsigned)R1_MAX(1, R1_MIN(256, plugin_cfg_int(pi, "FETCH_WINDOW", 16))),
		    .timeout_ms = timeout >= 0.1 ? (unsigned)(timeout * 1000) : 90000u,
		    .max_peers = (unsigned)R1_MAX(
		        1, R1_MIN(XCHG_PEERS_MAX, plugin_cfg_int(pi, "FETCH_PEERS", 4))),
		    .serve_untrusted = plugin_cfg_bool(pi, "SERVE_UNTRUSTED", false),
		};
		struct xchg_env xe = {
		    .ctx = s,
		    .send = env_send,
		    .trusted = env_trusted,
		    .candidates = env_candidates,
		};
		e = xchg_new(n->loop, s->fs, &xc, &xe, plugin_log(pi), &s->x, why);
		if (!e && n->r1fs_gate)
			xchg_attach(s->x, n->r1fs_gate);
	}
	if (e) {
		rfm_free(s);
		return e;
	}
	n->r1fsm = s;
	if (n->r1fs_port > 0) {
		/* the store and the exchange work without the HTTP API: a taken port is logged */
		char *herr = NULL;
		if (start_http(s, &herr) == R1_OK) {
			n->r1fs_http_port = r1fs_http_port(s->http);
			s->port_file = node_write_port_file(n, "r1fs-api.port", n->r1fs_http_port,
			                                    plugin_log(s->pi), LOGMOD);
		} else {
			LOG_E(plugin_log(pi), LOGMOD, "%s: no R1FS HTTP API: %s", n->alias,
			      herr ? herr : "?");
		}
		r1_free(herr);
	}
	n->r1fs_online = true;
	if (s->ipfs) {
		struct id_job *j = r1_calloc(1, sizeof(*j));
		if (j) {
			j->s = s;
			if (workers_submit(s->pool, run_backend_id, backend_id_done, j, NULL, NULL))
				r1_free(j);
		}
	}
	s->hellos = 2;
	loop_timer_start(s->announce, 1000, s->announce_ms);
	LOG_I(plugin_log(pi), LOGMOD, "%s: R1FS %s%s%s", n->alias,
	      s->ipfs ? "through IPFS at " : "built-in store, exchange over the bus",
	      s->ipfs ? n->ipfs_api : "", s->http ? "; HTTP API up" : "; no HTTP API");
	*state = s;
	return R1_OK;
}

static enum r1_err rfm_process(struct plugin_instance *pi, void *state, const json_t *input,
                               char **why)
{
	struct rfm *s = state;
	const char *sig = input ? path_signature(input) : NULL;
	if (sig && strcasecmp(sig, SIG_R1FS_MANAGER) == 0)
		handle_payload(s, input);
	return R1_OK;
}

static void rfm_close(struct plugin_instance *pi, void *state)
{
	rfm_free(state);
}

const struct plugin_ops plugin_r1fs_manager = {
    .signature = SIG_R1FS_MANAGER,
    .version = "1.0.0",
    .defaults = defaults,
    .schema = schema,
    .flags = PLUGIN_F_ADMIN | PLUGIN_F_OWN_INPUTS,
    .init = rfm_init,
    .process = rfm_process,
    .command = NULL,
    .close = rfm_close,
};

unsigned node_r1fs_port(const struct node *n)
{
	return n->r1fs_http_port;
}

enum r1_err r1fs_manager_fetch(struct node *n, const char *cid, const char *peer,
                               void (*done)(void *ctx, enum r1_err err, const char *why),
                               void *ctx, uint64_t *id, char **why)
{
	struct rfm *s = n->r1fsm;
	if (!s || !s->x)
		return r1_fail(why, R1_ERR_STATE, "R1FS_MANAGER runs no exchange on this node");
	struct r1fs_cid root;
	enum r1_err e = r1fs_cid_parse(cid, &root, why);
	if (e)
		return e;
	return xchg_fetch(s->x, &root, peer, done, ctx, id, why);
}

void r1fs_manager_forget(struct node *n, uint64_t id)
{
	if (n->r1fsm && n->r1fsm->x && id)
		xchg_forget(n->r1fsm->x, id);
}
