#ifndef R1_TESTS_CSTORE_NET_H
#define R1_TESTS_CSTORE_NET_H
/*
 * A network of CStore engines for unit tests: a fake clock, a queue of
 * messages delivered one at a time (or all), nodes that can go offline, and
 * the payload encryption of the real protocol (multi-recipient, SDK
 * format, keys from the vectors' keys.json): what an engine sends is
 * wrapped as the reference wraps CHAIN_STORE_DATA, encrypted for its
 * peers, queued once per peer, decrypted by the receiver and handed to
 * cstore_receive.  Tests can also inject hand-made payloads.
 */
#include "core/common.h"
#include "core/identity.h"
#include "node/cstore/cstore.h"

#include <jansson.h>

#define NET_MAX 5

struct net;

struct net_node {
	struct net *net;
	int idx;
	struct r1_identity id;
	char alias[24];
	struct cstore *cs;
	bool online;    /* receives messages (else they are dropped) */
	bool trust_all; /* trusted(): every node of the net; else none */
	int ndefault;   /* default peers: the first ndefault other nodes (-1 = all) */
	const char *defpeers[NET_MAX];
};

struct net_msg {
	int from, to;
	char *b64; /* EE_ENCRYPTED_DATA, or the clear inner JSON when !encrypted */
	bool encrypted;
	char *sender; /* EE_SENDER */
	char *alias;  /* EE_ID */
	char *hash;   /* EE_HASH */
	int64_t sent_us;
	struct net_msg *next;
};

struct net {
	struct net_node node[NET_MAX];
	int n;
	uint64_t now_ms;
	int64_t wall_us;
	struct net_msg *head, *tail;
	int queued;
	uint64_t seq;
	bool sync;     /* deliver inside send() (a synchronous transport) */
	json_t *log;   /* [{"from": i, "to": [addr...], "data": {...}}] of every send */
	int dropped;   /* messages to offline or unknown nodes */
	bool oom_test; /* allocations are failing: an undecodable payload is a drop */
	int last_err;  /* enum r1_err of the last delivery */
	char *last_why;
};

/*
 * n nodes (n <= 4 use k1, k0, k2 of keys.json then a generated key), each
 * engine over its own db (NULL = memory) with `tmpl` as config.
 */
void net_init(struct net *net, int n, const struct cstore_config *tmpl, sqlite3 **dbs);
void net_free(struct net *net);
/* Restart node i's engine over db (pending work is cancelled). */
void net_restart(struct net *net, int i, sqlite3 *db);

/* Deliver the next queued message; false when the queue is empty. */
bool net_step(struct net *net);
/* Deliver until the queue is empty; the number delivered. */
int net_run(struct net *net);
/* Move the clock and run what is due on every node. */
void net_advance(struct net *net, uint64_t ms);
/* Drop everything queued. */
void net_flush(struct net *net);

/*
 * Queue a payload from `from` (an identity not necessarily in the net) to
 * node `to`: inner_json is the decrypted payload text (with its
 * CHAIN_STORE_DATA), encrypted for node `to` when `encrypt`.
 */
void net_inject(struct net *net, int to, const struct r1_identity *from, const char *alias,
                const char *inner_json, bool encrypt, const char *hash, int64_t sent_us);
/* Re-queue a copy of message m (a replay). */
void net_requeue(struct net *net, const struct net_msg *m);
/* A copy of the next queued message (free with net_msg_free), or NULL. */
struct net_msg *net_peek(struct net *net);
void net_msg_free(struct net_msg *m);

/* The "data" of the k-th send from node i with op `op` (NULL = any); borrowed. */
const json_t *net_sent(const struct net *net, int from, const char *op, int k);
int net_sent_count(const struct net *net, int from, const char *op);

/* An identity by name from keys.json ("k0", "k1", "k2"), or a generated one. */
void net_identity(const char *name, struct r1_identity *out);

#endif
