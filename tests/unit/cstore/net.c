/*
 * The test network of CStore engines (see net.h).  It plays the node's part
 * of the protocol: the CHAIN_STORE_BASE payload around CHAIN_STORE_DATA,
 * multi-recipient encryption with the SDK's format, one copy per peer, and
 * the sender/alias/hash/time that the receive path would pass on.
 */
#include "node/lib.h"
#include "tests/unit/cstore/net.h"
#include "core/cipher.h"
#include "core/proto.h"
#include "tests/tap.h"

static uint64_t env_now(void *ctx)
{
	return ((struct net_node *)ctx)->net->now_ms;
}

static int64_t env_wall(void *ctx)
{
	return ((struct net_node *)ctx)->net->wall_us;
}

static size_t env_default_peers(void *ctx, const char *const **out)
{
	struct net_node *nd = ctx;
	struct net *net = nd->net;
	size_t k = 0;
	for (int i = 0; i < net->n; i++) {
		if (i == nd->idx)
			continue;
		if (nd->ndefault >= 0 && (int)k >= nd->ndefault)
			break;
		nd->defpeers[k++] = net->node[i].id.addr;
	}
	*out = nd->defpeers;
	return k;
}

static bool env_trusted(void *ctx, const char *addr)
{
	struct net_node *nd = ctx;
	if (!nd->trust_all)
		return false;
	for (int i = 0; i < nd->net->n; i++)
		if (addr_same(nd->net->node[i].id.addr, addr))
			return true;
	return false;
}

static int node_of(const struct net *net, const char *addr)
{
	for (int i = 0; i < net->n; i++)
		if (addr_same(net->node[i].id.addr, addr))
			return i;
	return -1;
}

static void enqueue(struct net *net, struct net_msg *m)
{
	m->next = NULL;
	if (net->tail)
		net->tail->next = m;
	else
		net->head = m;
	net->tail = m;
	net->queued++;
}

static char *inner_text(const json_t *data)
{
	json_t *inner = json_pack("{s:O,s:s,s:s,s:s}", K_CHAIN_STORE_DATA, data, K_STREAM_NAME,
	                          ADMIN_PIPELINE, K_SIGNATURE, SIG_CHAIN_STORE_BASE, K_INSTANCE_ID,
	                          SIG_CHAIN_STORE_BASE ADMIN_INSTANCE_SUFFIX);
	char *t = json_dumps(inner, JSON_COMPACT);
	json_decref(inner);
	return t;
}

static enum r1_err env_send(void *ctx, const char *const *peers, size_t n, const json_t *data,
                            char **why)
{
	struct net_node *nd = ctx;
	struct net *net = nd->net;
	json_t *to = json_array();
	for (size_t i = 0; to && i < n; i++)
		json_array_append_new(to, json_string(peers[i]));
	json_t *entry =
	    to ? json_pack("{s:i,s:o,s:O}", "from", nd->idx, "to", to, "data", data) : NULL;
	if (!entry)
		return r1_fail(why, R1_ERR_NOMEM, "net: out of memory");
	json_array_append_new(net->log, entry);
	char *plain = inner_text(data);
	if (!plain)
		return r1_fail(why, R1_ERR_NOMEM, "net: out of memory");
	struct buf ct = BUF_INIT;
	enum r1_err e =
	    cipher_encrypt_multi(&nd->id, peers, n, plain, strlen(plain), NULL, &ct, why);
	free(plain);
	if (e) {
		buf_release(&ct);
		return e;
	}
	char hash[64];
	snprintf(hash, sizeof(hash), "hash-%d-%" PRIu64, nd->idx, ++net->seq);
	for (size_t i = 0; i < n; i++) {
		/* plain libc: fault injection is for the code under test */
		struct net_msg *m = calloc(1, sizeof(*m));
		m->from = nd->idx;
		m->to = node_of(net, peers[i]);
		m->b64 = strdup(buf_cstr(&ct));
		m->encrypted = true;
		m->sender = strdup(nd->id.addr);
		m->alias = strdup(nd->alias);
		m->hash = strdup(hash);
		m->sent_us = net->wall_us;
		enqueue(net, m);
	}
	buf_release(&ct);
	if (net->sync)
		net_run(net);
	return R1_OK;
}

void net_msg_free(struct net_msg *m)
{
	if (!m)
		return;
	free(m->b64);
	free(m->sender);
	free(m->alias);
	free(m->hash);
	free(m);
}

void net_identity(const char *name, struct r1_identity *out)
{
	if (!name) {
		if (identity_generate(out, NULL))
			tap_bail("identity_generate failed");
		return;
	}
	char *path = tap_vector_path("keys.json");
	char *text = tap_read_file(path, NULL);
	json_t *doc = json_loads(text, 0, NULL);
	json_t *keys = json_object_get(doc, "keys");
	bool found = false;
	for (size_t i = 0; i < json_array_size(keys); i++) {
		json_t *k = json_array_get(keys, i);
		if (strcmp(json_string_value(json_object_get(k, "name")), name) != 0)
			continue;
		const char *pem = json_string_value(json_object_get(k, "private_key_pem_pkcs8"));
		if (identity_from_pem(out, pem, strlen(pem), NULL))
			tap_bail("bad PEM for %s", name);
		found = true;
	}
	if (!found)
		tap_bail("no key %s in keys.json", name);
	json_decref(doc);
	free(text);
	free(path);
}

static void start_engine(struct net *net, int i, const struct cstore_config *tmpl, sqlite3 *db)
{
	struct net_node *nd = &net->node[i];
	struct cstore_config cfg = *tmpl;
	cfg.addr = nd->id.addr;
	cfg.alias = nd->alias;
	struct cstore_env env = {
	    .ctx = nd,
	    .send = env_send,
	    .default_peers = env_default_peers,
	    .trusted = env_trusted,
	    .now_ms = env_now,
	    .wall_us = env_wall,
	};
	char *why = NULL;
	if (cstore_new(&cfg, &env, db, NULL, &nd->cs, &why))
		tap_bail("cstore_new: %s", why);
}

static struct cstore_config saved_cfg;

void net_init(struct net *net, int n, const struct cstore_config *tmpl, sqlite3 **dbs)
{
	static const char *const names[] = {"k1", "k0", "k2"};
	memset(net, 0, sizeof(*net));
	net->n = n;
	net->now_ms = 1000;
	net->wall_us = INT64_C(1790000000) * 1000000;
	net->log = json_array();
	saved_cfg = *tmpl;
	for (int i = 0; i < n; i++) {
		struct net_node *nd = &net->node[i];
		nd->net = net;
		nd->idx = i;
		nd->online = true;
		nd->trust_all = true;
		nd->ndefault = -1;
		net_identity(i < 3 ? names[i] : NULL, &nd->id);
		snprintf(nd->alias, sizeof(nd->alias), "node-%c", 'a' + i);
	}
	for (int i = 0; i < n; i++)
		start_engine(net, i, tmpl, dbs ? dbs[i] : NULL);
}

void net_restart(struct net *net, int i, sqlite3 *db)
{
	cstore_free(&net->node[i].cs);
	start_engine(net, i, &saved_cfg, db);
}

void net_flush(struct net *net)
{
	while (net->head) {
		struct net_msg *m = net->head;
		net->head = m->next;
		net_msg_free(m);
	}
	net->tail = NULL;
	net->queued = 0;
}

void net_free(struct net *net)
{
	for (int i = 0; i < net->n; i++)
		cstore_free(&net->node[i].cs);
	net_flush(net);
	json_decref(net->log);
	r1_free(net->last_why);
}

static void deliver(struct net *net, struct net_msg *m)
{
	net->last_err = R1_OK;
	r1_free(net->last_why);
	net->last_why = NULL;
	if (m->to < 0 || !net->node[m->to].online || !net->node[m->to].cs) {
		net->dropped++;
		return;
	}
	struct net_node *nd = &net->node[m->to];
	struct buf plain = BUF_INIT;
	if (m->encrypted) {
		if (cipher_decrypt(&nd->id, m->sender, m->b64, strlen(m->b64), 1u << 24, NULL,
		                   &plain, &net->last_why)) {
			net->last_err = R1_ERR_CRYPTO;
			buf_release(&plain);
			return;
		}
	} else {
		buf_adds(&plain, m->b64);
	}
	json_error_t jerr;
	size_t plain_len = plain.len;
	json_t *inner = json_loads(buf_cstr(&plain), JSON_ALLOW_NUL, &jerr);
	buf_release(&plain);
	if (!inner && (net->oom_test || json_error_code(&jerr) == json_error_out_of_memory)) {
		net->dropped++; /* an injected allocation failure in the receive path */
		return;
	}
	if (!inner)
		tap_bail("undecodable inner payload: %s (code %d, %zu bytes)", jerr.text,
		         (int)json_error_code(&jerr), plain_len);
	struct cstore_meta meta = {
	    .sender = m->sender,
	    .alias = m->alias,
	    .hash = m->hash,
	    .sent_us = m->sent_us,
	    .encrypted = m->encrypted,
	};
	net->last_err = cstore_receive(nd->cs, &meta, json_object_get(inner, K_CHAIN_STORE_DATA),
	                               &net->last_why);
	json_decref(inner);
}

bool net_step(struct net *net)
{
	struct net_msg *m = net->head;
	if (!m)
		return false;
	net->head = m->next;
	if (!net->head)
		net->tail = NULL;
	net->queued--;
	deliver(net, m);
	net_msg_free(m);
	return true;
}

int net_run(struct net *net)
{
	int n = 0;
	while (net_step(net))
		n++;
	return n;
}

void net_advance(struct net *net, uint64_t ms)
{
	net->now_ms += ms;
	net->wall_us += (int64_t)ms * 1000;
	for (int i = 0; i < net->n; i++)
		if (net->node[i].cs && cstore_next_due(net->node[i].cs) <= net->now_ms)
			cstore_run_due(net->node[i].cs);
}

void net_inject(struct net *net, int to, const struct r1_identity *from, const char *alias,
                const char *inner_json, bool encrypt, const char *hash, int64_t sent_us)
{
	struct net_msg *m = calloc(1, sizeof(*m));
	m->from = -1;
	m->to = to;
	m->encrypted = encrypt;
	if (encrypt) {
		const char *peer = net->node[to].id.addr;
		struct buf ct = BUF_INIT;
		if (cipher_encrypt_multi(from, &peer, 1, inner_json, strlen(inner_json), NULL, &ct,
		                         NULL))
			tap_bail("inject: encryption failed");
		m->b64 = strdup(buf_cstr(&ct));
		buf_release(&ct);
	} else {
		m->b64 = strdup(inner_json);
	}
	m->sender = strdup(from->addr);
	m->alias = strdup(alias);
	m->hash = strdup(hash);
	m->sent_us = sent_us;
	enqueue(net, m);
}

void net_requeue(struct net *net, const struct net_msg *src)
{
	struct net_msg *m = calloc(1, sizeof(*m));
	*m = *src;
	m->b64 = strdup(src->b64);
	m->sender = strdup(src->sender);
	m->alias = strdup(src->alias);
	m->hash = strdup(src->hash);
	enqueue(net, m);
}

struct net_msg *net_peek(struct net *net)
{
	if (!net->head)
		return NULL;
	struct net_msg *m = calloc(1, sizeof(*m));
	*m = *net->head;
	m->b64 = strdup(net->head->b64);
	m->sender = strdup(net->head->sender);
	m->alias = strdup(net->head->alias);
	m->hash = strdup(net->head->hash);
	m->next = NULL;
	return m;
}

const json_t *net_sent(const struct net *net, int from, const char *op, int k)
{
	for (size_t i = 0; i < json_array_size(net->log); i++) {
		const json_t *e = json_array_get(net->log, i);
		const json_t *data = json_object_get(e, "data");
		if (json_integer_value(json_object_get(e, "from")) != from)
			continue;
		if (op && strcmp(json_string_value(json_object_get(data, "op")), op) != 0)
			continue;
		if (k-- == 0)
			return data;
	}
	return NULL;
}

int net_sent_count(const struct net *net, int from, const char *op)
{
	int n = 0;
	while (net_sent(net, from, op, n))
		n++;
	return n;
}
