/*
 * The CStore engine on a test network of three nodes (A, B, C) with real
 * payload encryption: the reference's write rules, replication with
 * event-driven completion, retries and timeouts on a fake clock, hsync
 * repair, messages built as the reference builds them, and every refusal
 * counted with the replica left unchanged.
 */
#include "node/lib.h"
#include "node/cstore/cstore.h"
#include "node/cstore/hkey.h"
#include "node/cstore/msg.h"
#include "core/cipher.h"
#include "core/db.h"
#include "core/proto.h"
#include "tests/tap.h"
#include "tests/unit/cstore/net.h"

enum { A, B, C };

struct outcome {
	int calls;
	enum cstore_outcome last;
};

static void on_done(void *arg, enum cstore_outcome o)
{
	struct outcome *r = arg;
	r->calls++;
	r->last = o;
}

struct hres {
	int calls;
	enum r1_err err;
	char source[64];
	size_t merged;
	char why[200];
};

static void on_hsync(void *arg, enum r1_err err, const struct cstore_hsync_result *res,
                     const char *why)
{
	struct hres *h = arg;
	h->calls++;
	h->err = err;
	if (res) {
		snprintf(h->source, sizeof(h->source), "%s", res->source_peer);
		h->merged = res->merged_fields;
	}
	snprintf(h->why, sizeof(h->why), "%s", why ? why : "");
}

static bool fp_fn(void *ctx, const struct replica_record *r)
{
	json_t *arr = ctx;
	json_array_append_new(
	    arr, json_pack("[s,s,s,s?,b]", r->key, r->value, r->owner, r->token, r->readonly));
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every record of a replica as one sorted text, to prove it did not change. */
static char *fingerprint_of(struct cstore *cs)
{
	json_t *arr = json_array();
	replica_foreach(cstore_replica(cs), NULL, fp_fn, arr);
	size_t n = json_array_size(arr);
	char **lines = calloc(n ? n : 1, sizeof(*lines));
	for (size_t i = 0; i < n; i++)
		lines[i] = json_dumps(json_array_get(arr, i), JSON_COMPACT);
	qsort(lines, n, sizeof(*lines), cmp_str);
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		buf_adds(&b, lines[i]);
		buf_addc(&b, '\n');
		free(lines[i]);
	}
	free(lines);
	json_decref(arr);
	return buf_detach(&b, NULL);
}

static enum cstore_outcome set(struct net *net, int node, const char *key, const char *value,
                               struct outcome *o)
{
	enum cstore_outcome out = CSTORE_CANCELLED;
	char *why = NULL;
	enum r1_err e =
	    cstore_set(net->node[node].cs, key, value, NULL, on_done, o, &out, NULL, &why);
	if (e)
		tap_diag("cstore_set(%s): %s", key, why);
	r1_free(why);
	return e ? (enum cstore_outcome) - 1 : out;
}

static const char *get(struct net *net, int node, const char *key)
{
	return cstore_get(net->node[node].cs, key, NULL);
}

static uint64_t counter(struct net *net, int node, enum cstore_counter c)
{
	return cstore_counter(net->node[node].cs, c);
}

/* A refusal: exactly one more of counter c, the error, and the same replica. */
static void refused_unchanged(struct net *net, int node, enum cstore_counter c, enum r1_err err,
                              const char *name)
{
	char *before = fingerprint_of(net->node[node].cs);
	uint64_t n0 = counter(net, node, c), r0 = cstore_refusals(net->node[node].cs);
	net_step(net);
	is_int(net->last_err, err, "%s: refused (%s)", name, net->last_why ? net->last_why : "");
	is_int((int)(counter(net, node, c) - n0), 1, "%s: counted as %s", name,
	       cstore_counter_name(c));
	is_int((int)(cstore_refusals(net->node[node].cs) - r0), 1, "%s: one refusal in all", name);
	char *after = fingerprint_of(net->node[node].cs);
	is_str(after, before, "%s: the replica is unchanged", name);
	free(before);
	free(after);
}

static char *own_path_text(struct net *net, int node)
{
	char *t = NULL;
	if (asprintf(&t,
	             "[\"%s\",\"admin_pipeline\",\"CHAIN_STORE_BASE\",\"CHAIN_STORE_BASE_INST\"]",
	             net->node[node].id.addr) < 0)
		tap_bail("asprintf");
	return t;
}

static void keys_are(const json_t *obj, const char *const *want, size_t n, const char *name)
{
	size_t i = 0;
	bool same = json_object_size(obj) == n;
	for (void *it = json_object_iter((json_t *)obj); it && same;
	     it = json_object_iter_next((json_t *)obj, it), i++)
		same = strcmp(json_object_iter_key(it), want[i]) == 0;
	ok(same, "%s: the reference's keys in the reference's order", name);
}

static void test_replication(struct net *net)
{
	struct outcome o = {0};
	uint64_t t0 = net->now_ms;
	is_int(set(net, A, "app:ready", "{\"ok\": true, \"n\": 1}", &o), CSTORE_PENDING,
	       "a set on A waits for confirmations");
	is_int(net->queued, 2, "one SSTORE per peer is queued");
	is_str(get(net, A, "app:ready"), "{\"ok\":true,\"n\":1}", "A has the value at once");
	const struct replica_record *r = cstore_record(net->node[A].cs, "app:ready");
	is_int(r->min_confirms, 2, "min_confirms is len(peers) // 2 + 1 = 2");
	is_int(r->confirms, 0, "no confirmation yet");

	/* ours, decoded under the reference's rules */
	const json_t *sstore = net_sent(net, A, CS_OP_STORE, 0);
	static const char *const skeys[] = {
	    "op",      "key",        "value", "owner",
	    "token",   "readonly",   "PEERS", "INCLUDE_DEFAULT_PEERS",
	    "TIMEOUT", "MAX_RETRIES"};
	keys_are(sstore, skeys, R1_ARRAY_LEN(skeys), "our SSTORE");
	ok(json_is_integer(json_object_get(sstore, "TIMEOUT")) &&
	       json_integer_value(json_object_get(sstore, "TIMEOUT")) == 10,
	   "TIMEOUT is the integer 10");
	ok(json_integer_value(json_object_get(sstore, "MAX_RETRIES")) == 2, "MAX_RETRIES 2");
	ok(json_is_null(json_object_get(sstore, "PEERS")), "PEERS null without explicit peers");
	ok(json_is_true(json_object_get(sstore, "INCLUDE_DEFAULT_PEERS")),
	   "INCLUDE_DEFAULT_PEERS true");
	char *path = own_path_text(net, A);
	char *owner = json_dumps(json_object_get(sstore, "owner"), JSON_COMPACT);
	is_str(owner, path, "owner is A's CHAIN_STORE_BASE path");
	free(owner);

	struct net_msg *m = net_peek(net);
	struct r1_identity outsider;
	net_identity(NULL, &outsider);
	struct buf plain = BUF_INIT;
	is_int(cipher_decrypt(&outsider, m->sender, m->b64, strlen(m->b64), 1u << 20, NULL, &plain,
	                      NULL),
	       R1_ERR_NOTFOUND, "a node that is not a recipient cannot decrypt the SSTORE");
	is_int(cipher_decrypt(&net->node[B].id, m->sender, m->b64, strlen(m->b64), 1u << 20, NULL,
	                      &plain, NULL),
	       R1_OK, "the recipient decrypts it with the SDK's rules");
	json_t *inner = json_loads(buf_cstr(&plain), 0, NULL);
	ok(json_is_object(json_object_get(inner, K_CHAIN_STORE_DATA)),
	   "CHAIN_STORE_DATA is inside the encrypted payload");
	json_decref(inner);
	buf_release(&plain);
	net_msg_free(m);

	net_step(net); /* SSTORE -> B */
	is_str(get(net, B, "app:ready"), "{\"ok\":true,\"n\":1}", "B applied the SSTORE");
	net_step(net); /* SSTORE -> C */
	is_str(get(net, C, "app:ready"), "{\"ok\":true,\"n\":1}", "C applied the SSTORE");
	const struct replica_record *rb = cstore_record(net->node[B].cs, "app:ready");
	is_int(rb->confirms, -1, "B marks the record as synced from a peer (-1)");
	is_str(rb->owner, path, "B keeps A's owner path");
	is_str(rb->writer, net->node[A].id.addr, "B knows A wrote it");

	const json_t *conf = net_sent(net, B, CS_OP_CONFIRM, 0);
	static const char *const ckeys[] = {"op",    "key",        "value",
	                                    "owner", "confirm_by", "confirm_by_addr"};
	keys_are(conf, ckeys, R1_ARRAY_LEN(ckeys), "B's SCONFIRM");
	is_str(json_string_value(json_object_get(conf, "confirm_by_addr")), net->node[B].id.addr,
	       "confirm_by_addr is B's address");

	net_step(net); /* SCONFIRM B -> A */
	is_int(o.calls, 0, "one confirmation of two: still waiting");
	is_int(cstore_record(net->node[A].cs, "app:ready")->confirms, 1, "A counted it");
	net_step(net); /* SCONFIRM C -> A */
	is_int(o.calls, 1, "the second confirmation completes the write");
	is_int(o.last, CSTORE_OK, "with success");
	is_int((int)(net->now_ms - t0), 0, "at once: no clock tick was needed (event-driven)");
	r = cstore_record(net->node[A].cs, "app:ready");
	ok(r->npeers == 2 && r->peers[0].confirmed && r->peers[1].confirmed,
	   "A knows both peers hold this version");
	is_int(cstore_pending(net->node[A].cs), 0, "nothing pending");

	/* same value: success at once, nothing sent */
	int sent = net_sent_count(net, A, NULL);
	struct outcome o2 = {0};
	is_int(set(net, A, "app:ready", "{\"n\": 1.0, \"ok\": true}", &o2), CSTORE_OK,
	       "the same value (Python ==) succeeds at once");
	is_int(net_sent_count(net, A, NULL), sent, "without a broadcast");
	is_int(o2.calls, 0, "and without a callback");
	is_int((int)counter(net, A, CSC_WRITES_SAME), 1, "counted as same value");
	free(path);
}

static void test_supersede_and_late(struct net *net)
{
	struct outcome o1 = {0}, o2 = {0};
	is_int(set(net, A, "k", "1", &o1), CSTORE_PENDING, "write 1 pending");
	is_int(set(net, A, "k", "2", &o2), CSTORE_PENDING, "write 2 pending");
	is_int(o1.calls, 0, "the superseded write is not called back from inside cstore_set");
	net_advance(net, 0);
	is_int(o1.calls, 1, "it is told on the next run");
	is_int(o1.last, CSTORE_SUPERSEDED, "that it was superseded");
	net_run(net);
	is_int(o2.calls, 1, "write 2 completes");
	is_int(o2.last, CSTORE_OK, "with success");
	is_str(get(net, B, "k"), "2", "B ends with the last write");
	ok((int)counter(net, A, CSC_CONFIRMS_LATE) >= 2, "confirmations of value 1 were late");
}

static void test_rules(struct net *net)
{
	struct outcome o = {0};
	char *why = NULL;
	enum cstore_outcome out;
	/* readonly */
	struct cstore_write ro = CSTORE_WRITE_INIT;
	ro.readonly = true;
	cstore_set(net->node[A].cs, "ro", "\"mine\"", &ro, on_done, &o, &out, NULL, &why);
	net_run(net);
	is_int(o.last, CSTORE_OK, "A wrote a readonly key");
	ok(cstore_record(net->node[B].cs, "ro")->readonly, "B holds it readonly");
	struct outcome ob = {0};
	is_int(set(net, B, "ro", "\"theirs\"", &ob), CSTORE_READONLY,
	       "B cannot overwrite A's readonly key");
	is_str(get(net, B, "ro"), "\"mine\"", "B still has A's value");
	is_int(set(net, B, "ro", "\"mine\"", &ob), CSTORE_OK,
	       "writing the same value is a success (the reference checks value first)");
	is_int(net->queued, 0, "and sends nothing");

	/* token */
	struct cstore_write tw = CSTORE_WRITE_INIT;
	tw.token = "\"t1\"";
	cstore_set(net->node[A].cs, "tok", "10", &tw, on_done, &o, &out, NULL, &why);
	net_run(net);
	is_int(o.last, CSTORE_OK, "a write with a token");
	ok(cstore_get(net->node[A].cs, "tok", NULL) == NULL, "get without the token gives nothing");
	ok(cstore_get(net->node[A].cs, "tok", "\"t2\"") == NULL, "nor with another token");
	is_str(cstore_get(net->node[A].cs, "tok", "\"t1\""), "10", "the token opens it");
	is_str(cstore_get(net->node[C].cs, "tok", "\"t1\""), "10", "on C too");
	struct cstore_write bad = CSTORE_WRITE_INIT;
	bad.token = "\"t2\"";
	is_int(cstore_set(net->node[B].cs, "tok", "11", &bad, on_done, &ob, &out, NULL, &why),
	       R1_OK, "a write with a wrong token runs");
	is_int(out, CSTORE_TOKEN, "and is refused");
	is_int(cstore_set(net->node[B].cs, "tok", "11", NULL, on_done, &ob, &out, NULL, &why),
	       R1_OK, "a write without a token runs");
	is_int(out, CSTORE_TOKEN, "and is refused too");
	is_int(cstore_set(net->node[B].cs, "tok", NULL, NULL, on_done, &ob, &out, NULL, &why),
	       R1_OK, "a delete without the token runs");
	is_int(out, CSTORE_TOKEN, "and is refused");
	is_str(cstore_get(net->node[B].cs, "tok", "\"t1\""), "10", "B's record is unchanged");

	/* delete by null, propagated without waiting */
	is_int(set(net, A, "app:ready", "null", &o), CSTORE_OK, "a delete succeeds at once");
	ok(get(net, A, "app:ready") == NULL, "A deleted it");
	net_run(net);
	ok(get(net, B, "app:ready") == NULL && get(net, C, "app:ready") == NULL,
	   "B and C deleted it");
	is_int(set(net, A, "never-was", NULL, &o), CSTORE_OK, "deleting a missing key is fine");
	net_run(net);
	/* a readonly key can be deleted by another owner (the reference allows it) */
	is_int(cstore_set(net->node[B].cs, "ro", NULL, NULL, on_done, &ob, &out, NULL, &why), R1_OK,
	       "B deletes A's readonly key");
	is_int(out, CSTORE_OK, "deletes pass the readonly rule, as in the reference");
	net_run(net);
	ok(get(net, A, "ro") == NULL, "and the delete reaches A");

	/* bad local input */
	is_int(cstore_set(net->node[A].cs, "", "1", NULL, on_done, &o, &out, NULL, &why),
	       R1_ERR_INVAL, "an empty key is refused");
	is_int(cstore_set(net->node[A].cs, "k", "{bad", NULL, on_done, &o, &out, NULL, &why),
	       R1_ERR_INVAL, "a value that is not JSON is refused");
	ok(why && strstr(why, "value"), "reason: %s", why);
	is_int(cstore_set(net->node[A].cs, "k", "NaN", NULL, on_done, &o, &out, NULL, &why),
	       R1_ERR_INVAL, "NaN is refused");
	is_int(cstore_set(net->node[A].cs, "\xff", "1", NULL, on_done, &o, &out, NULL, &why),
	       R1_ERR_INVAL, "a key that is not UTF-8 is refused");
	struct cstore_write wo = CSTORE_WRITE_INIT;
	wo.owner = "[\"just-two\", null]";
	is_int(cstore_set(net->node[A].cs, "k", "1", &wo, on_done, &o, &out, NULL, &why),
	       R1_ERR_INVAL, "an owner that is not an instance path is refused");
	r1_free(why);
}

static void test_limits(struct net *net, int small)
{
	struct outcome o = {0};
	enum cstore_outcome out;
	char *why = NULL;
	struct buf big = BUF_INIT;
	buf_addc(&big, '"');
	for (int i = 0; i < small + 10; i++)
		buf_addc(&big, 'x');
	buf_addc(&big, '"');
	is_int(
	    cstore_set(net->node[A].cs, "big", buf_cstr(&big), NULL, on_done, &o, &out, NULL, &why),
	    R1_ERR_TOOBIG, "a value over the size limit is refused locally");
	ok(get(net, A, "big") == NULL, "and not stored");
	struct buf key = BUF_INIT;
	for (int i = 0; i < 5000; i++)
		buf_addc(&key, 'k');
	is_int(
	    cstore_set(net->node[A].cs, buf_cstr(&key), "1", NULL, on_done, &o, &out, NULL, &why),
	    R1_ERR_TOOBIG, "a key over 4096 bytes is refused");
	buf_release(&key);
	buf_release(&big);
	r1_free(why);
}

/* A payload as the reference's node encrypts it: CHAIN_STORE_DATA plus routing fields. */
static char *ref_payload(const char *data)
{
	char *t = NULL;
	if (asprintf(
	        &t,
	        "{\"EE_TIMESTAMP\": \"2026-09-21 10:00:00.000000\", \"EE_TIMEZONE\": \"UTC+0\","
	        " \"STREAM_NAME\": \"admin_pipeline\", \"SIGNATURE\": \"CHAIN_STORE_BASE\","
	        " \"INSTANCE_ID\": \"CHAIN_STORE_BASE_INST\", \"CHAIN_STORE_DATA\": %s}",
	        data) < 0)
		tap_bail("asprintf");
	return t;
}

static char *ref_store(const char *owner0, const char *key, const char *value, const char *token,
                       bool readonly)
{
	char *d = NULL;
	if (asprintf(&d,
	             "{\"op\": \"SSTORE\", \"key\": \"%s\", \"value\": %s, \"owner\": [\"%s\","
	             " \"some_pipeline\", \"SOME_PLUGIN\", \"SOME_PLUGIN_INST\"], \"token\": %s,"
	             " \"readonly\": %s, \"PEERS\": null, \"INCLUDE_DEFAULT_PEERS\": true,"
	             " \"TIMEOUT\": 10, \"MAX_RETRIES\": 2}",
	             key, value, owner0, token, readonly ? "true" : "false") < 0)
		tap_bail("asprintf");
	char *p = ref_payload(d);
	free(d);
	return p;
}

static void test_reference_messages(struct net *net)
{
	/* B's identity sends an SSTORE built as the reference builds it (alias owner). */
	char *p =
	    ref_store("node-b", "ref:k\\u00e9y", "{\"caf\\u00e9\": [1, 2.5, null]}", "null", false);
	net_inject(net, A, &net->node[B].id, "node-b", p, true, "ref-1", net->wall_us);
	free(p);
	net_step(net);
	is_int(net->last_err, R1_OK, "A applies a reference SSTORE (%s)",
	       net->last_why ? net->last_why : "");
	is_str(get(net, A, "ref:k\xc3\xa9y"), "{\"caf\xc3\xa9\":[1,2.5,null]}",
	       "with the reference's value, non-ASCII intact");
	const json_t *conf =
	    net_sent(net, A, CS_OP_CONFIRM, net_sent_count(net, A, CS_OP_CONFIRM) - 1);
	ok(conf != NULL, "A confirms it");
	is_str(json_string_value(json_object_get(conf, "key")), "ref:k\xc3\xa9y",
	       "SCONFIRM key as received");
	is_str(json_string_value(json_array_get(json_object_get(conf, "owner"), 0)), "node-b",
	       "SCONFIRM owner as received");
	json_t *want = json_loads("{\"caf\\u00e9\": [1, 2.5, null]}", 0, NULL);
	ok(json_equal(json_object_get(conf, "value"), want), "SCONFIRM value as received");
	json_decref(want);
	ok(net->queued == 1, "to B only");
	net_flush(net);

	/* a reference SHSYNC_REQ is answered with reference-shaped records */
	struct outcome o = {0};
	enum cstore_outcome out;
	cstore_hset(net->node[A].cs, "inv", "sword", "3", NULL, on_done, &o, &out, NULL, NULL);
	net_run(net);
	p = ref_payload("{\"op\": \"SHSYNC_REQ\", \"request_id\":"
	                " \"0b5a7c4e-1111-4222-8333-444455556666\", \"hkey\": \"inv\"}");
	net_inject(net, A, &net->node[B].id, "node-b", p, true, "ref-2", net->wall_us);
	free(p);
	net_step(net);
	is_int(net->last_err, R1_OK, "A answers a reference SHSYNC_REQ");
	const json_t *resp = net_sent(net, A, CS_OP_HSYNC_RESP, 0);
	static const char *const rkeys[] = {"op", "request_id", "hkey", "snapshot"};
	keys_are(resp, rkeys, R1_ARRAY_LEN(rkeys), "our SHSYNC_RESP");
	is_str(json_string_value(json_object_get(resp, "request_id")),
	       "0b5a7c4e-1111-4222-8333-444455556666", "with the request_id");
	const json_t *snap = json_object_get(resp, "snapshot");
	const json_t *rec = json_object_get(snap, "hs:89270a5034:c3dvcmQ=");
	static const char *const reckeys[] = {"key",   "value",    "owner",       "readonly",
	                                      "token", "confirms", "min_confirms"};
	ok(rec != NULL, "the snapshot is keyed by composed key");
	if (rec)
		keys_are(rec, reckeys, R1_ARRAY_LEN(reckeys), "a snapshot record");
	net_flush(net);

	/* a reference SHSYNC_RESP merges */
	struct hres h = {0};
	struct cstore_hsync_opts ho = {0};
	const char *only_b[] = {net->node[B].id.addr};
	ho.peers = only_b;
	ho.npeers = 1;
	ho.no_default_peers = true;
	char *why = NULL;
	is_int(cstore_hsync(net->node[C].cs, "guild", &ho, on_hsync, &h, NULL, &why), R1_OK,
	       "C asks B only");
	const json_t *req = net_sent(net, C, CS_OP_HSYNC_REQ, 0);
	static const char *const qkeys[] = {"op", "request_id", "hkey"};
	keys_are(req, qkeys, R1_ARRAY_LEN(qkeys), "our SHSYNC_REQ");
	const char *rid = json_string_value(json_object_get(req, "request_id"));
	ok(rid && strlen(rid) == 36 && rid[14] == '4', "request_id is a uuid4");
	net_flush(net);
	char *d = NULL;
	if (asprintf(
	        &d,
	        "{\"op\": \"SHSYNC_RESP\", \"request_id\": \"%s\", \"hkey\": \"guild\","
	        " \"snapshot\": {\"hs:5a20fe2f1b:bWFzdGVy\": {\"key\": \"hs:5a20fe2f1b:bWFzdGVy\","
	        " \"value\": \"node-b\", \"owner\": [\"node-b\", \"p\", \"S\", \"I\"],"
	        " \"readonly\": false, \"token\": null, \"confirms\": 0, \"min_confirms\": 1},"
	        " \"hs:0000000000:eA==\": {\"key\": \"x\", \"value\": 1, \"owner\": [\"z\","
	        " \"p\", \"S\", \"I\"]}}}",
	        rid) < 0)
		tap_bail("asprintf");
	p = ref_payload(d);
	free(d);
	net_inject(net, C, &net->node[B].id, "node-b", p, true, "ref-3", net->wall_us);
	free(p);
	net_step(net);
	is_int(net->last_err, R1_OK, "C takes a reference SHSYNC_RESP");
	is_int(h.calls, 1, "hsync completes");
	is_int(h.err, R1_OK, "successfully");
	is_str(h.source, net->node[B].id.addr, "source_peer is B");
	is_int((int)h.merged, 1, "one field merged (the other is outside the namespace)");
	is_str(cstore_hget(net->node[C].cs, "guild", "master", NULL), "\"node-b\"",
	       "the field is readable with hget");
	r1_free(why);
}

static void test_refusals(struct net *net)
{
	struct r1_identity outsider;
	net_identity(NULL, &outsider);
	struct outcome o = {0};
	char *p;

	is_int(set(net, A, "guarded", "1", &o), CSTORE_PENDING, "a write to guard");
	net_run(net);
	is_int(o.last, CSTORE_OK, "confirmed");

	/* SSTORE from an address we do not trust */
	p = ref_store("outsider", "guarded", "666", "null", false);
	net_inject(net, B, &outsider, "outsider", p, true, "x-1", net->wall_us);
	free(p);
	refused_unchanged(net, B, CSC_REFUSED_UNTRUSTED, R1_ERR_AUTH, "untrusted SSTORE");

	/* SSTORE in clear */
	p = ref_store("node-a", "guarded", "667", "null", false);
	net_inject(net, B, &net->node[A].id, "node-a", p, false, "x-2", net->wall_us);
	free(p);
	refused_unchanged(net, B, CSC_REFUSED_UNENCRYPTED, R1_ERR_AUTH, "unencrypted SSTORE");

	/* SSTORE whose owner is someone else */
	char *fake = NULL;
	if (asprintf(&fake, "%s", net->node[A].id.addr) < 0)
		tap_bail("asprintf");
	p = ref_store(fake, "guarded", "668", "null", false);
	net_inject(net, B, &net->node[C].id, "node-c", p, true, "x-3", net->wall_us);
	free(p);
	free(fake);
	refused_unchanged(net, B, CSC_REFUSED_FORGED_OWNER, R1_ERR_AUTH,
	                  "SSTORE from C claiming A's owner path");

	/* replay: the same message twice */
	struct outcome o2 = {0};
	is_int(set(net, A, "replayed", "\"v1\"", &o2), CSTORE_PENDING, "a write to replay");
	struct net_msg *m = net_peek(net);
	net_run(net);
	is_str(get(net, B, "replayed"), "\"v1\"", "B has v1");
	net_advance(net, 5);
	is_int(set(net, A, "replayed", "\"v2\"", &o2), CSTORE_PENDING, "a newer write");
	net_run(net);
	is_str(get(net, B, "replayed"), "\"v2\"", "B has v2");
	net_requeue(net, m);
	refused_unchanged(net, B, CSC_REFUSED_REPLAY, R1_ERR_EXISTS,
	                  "the first SSTORE replayed (same EE_HASH)");
	is_str(get(net, B, "replayed"), "\"v2\"", "B still has v2");
	/* the same bytes with a fresh hash: an older write of the same writer */
	free(m->hash);
	m->hash = strdup("fresh-hash");
	net_requeue(net, m);
	refused_unchanged(net, B, CSC_REFUSED_STALE, R1_ERR_STATE,
	                  "an SSTORE older than the stored write of its writer");
	/* older than the replay window */
	free(m->hash);
	m->hash = strdup("fresh-hash-2");
	m->sent_us = net->wall_us - CSTORE_REPLAY_WINDOW_DEFAULT_US - 1000000;
	net_requeue(net, m);
	refused_unchanged(net, B, CSC_REFUSED_REPLAY, R1_ERR_EXISTS,
	                  "an SSTORE from outside the replay window");
	net_msg_free(m);
	/* a node in UTC+5:45 writes EE_TIMEZONE "UTC+5": 45 minutes off, still taken */
	p = ref_store("node-a", "skewed", "1", "null", false);
	net_inject(net, B, &net->node[A].id, "node-a", p, true, "skew-1",
	           net->wall_us - INT64_C(45) * 60 * 1000000);
	free(p);
	net_step(net);
	is_int(net->last_err, R1_OK, "an SSTORE 45 minutes off (whole-hour EE_TIMEZONE) is taken");
	net_flush(net);

	/* malformed */
	p = ref_payload("{\"op\": \"SSTORE\", \"key\": \"\", \"owner\": [\"node-a\", null, null,"
	                " null]}");
	net_inject(net, B, &net->node[A].id, "node-a", p, true, "x-4", net->wall_us);
	free(p);
	refused_unchanged(net, B, CSC_REFUSED_MALFORMED, R1_ERR_PROTO, "SSTORE with an empty key");
	p = ref_payload("{\"op\": \"SWHAT\"}");
	net_inject(net, B, &net->node[A].id, "node-a", p, true, "x-5", net->wall_us);
	free(p);
	refused_unchanged(net, B, CSC_REFUSED_MALFORMED, R1_ERR_PROTO, "an unknown op");

	/* a value over the limit and a value we cannot hold */
	struct buf big = BUF_INIT;
	buf_addc(&big, '"');
	for (int i = 0; i < 300; i++)
		buf_addc(&big, 'x');
	buf_addc(&big, '"');
	p = ref_store("node-a", "guarded", buf_cstr(&big), "null", false);
	buf_release(&big);
	net_inject(net, B, &net->node[A].id, "node-a", p, true, "x-6", net->wall_us);
	free(p);
	refused_unchanged(net, B, CSC_REFUSED_TOO_BIG, R1_ERR_TOOBIG,
	                  "an SSTORE value over the limit");
	struct buf deep = BUF_INIT;
	for (int i = 0; i < 200; i++)
		buf_addc(&deep, '[');
	for (int i = 0; i < 200; i++)
		buf_addc(&deep, ']');
	p = ref_store("node-a", "guarded", buf_cstr(&deep), "null", false);
	buf_release(&deep);
	net_inject(net, B, &net->node[A].id, "node-a", p, true, "x-7", net->wall_us);
	free(p);
	refused_unchanged(net, B, CSC_REFUSED_BAD_VALUE, R1_ERR_INVAL,
	                  "an SSTORE value nested past the limit");

	/* token and readonly, from the network */
	struct outcome o3 = {0};
	struct cstore_write w = CSTORE_WRITE_INIT;
	enum cstore_outcome out;
	w.token = "\"sesame\"";
	w.readonly = true;
	cstore_set(net->node[A].cs, "locked", "1", &w, on_done, &o3, &out, NULL, NULL);
	net_run(net);
	p = ref_store("node-c", "locked", "2", "null", false);
	net_inject(net, B, &net->node[C].id, "node-c", p, true, "x-8", net->wall_us);
	free(p);
	refused_unchanged(net, B, CSC_REFUSED_TOKEN, R1_ERR_AUTH, "an SSTORE with another token");
	p = ref_store("node-c", "locked", "2", "\"sesame\"", false);
	net_inject(net, B, &net->node[C].id, "node-c", p, true, "x-9", net->wall_us);
	free(p);
	refused_unchanged(net, B, CSC_REFUSED_READONLY, R1_ERR_AUTH,
	                  "an SSTORE over a readonly key of another owner");
	is_int(net->queued, 0, "no SCONFIRM for refused writes");

	/* forged confirmations */
	struct outcome o4 = {0};
	is_int(set(net, A, "confirm-me", "\"x\"", &o4), CSTORE_PENDING, "a write waiting");
	net_flush(net); /* nobody gets it */
	char *path = own_path_text(net, A);
	char *d = NULL, *d2 = NULL;
	if (asprintf(
	        &d,
	        "{\"op\": \"SCONFIRM\", \"key\": \"confirm-me\", \"value\": \"x\", \"owner\": %s,"
	        " \"confirm_by\": [\"x\", \"admin_pipeline\", \"CHAIN_STORE_BASE\","
	        " \"CHAIN_STORE_BASE_INST\"], \"confirm_by_addr\": \"%s\"}",
	        path, outsider.addr) < 0 ||
	    asprintf(
	        &d2,
	        "{\"op\": \"SCONFIRM\", \"key\": \"confirm-me\", \"value\": \"x\", \"owner\": %s,"
	        " \"confirm_by\": null, \"confirm_by_addr\": \"%s\"}",
	        path, net->node[C].id.addr) < 0)
		tap_bail("asprintf");
	p = ref_payload(d);
	net_inject(net, A, &outsider, "outsider", p, true, "c-1", net->wall_us);
	free(p);
	refused_unchanged(net, A, CSC_REFUSED_FORGED_CONFIRM, R1_ERR_AUTH,
	                  "an SCONFIRM from an address the write was not sent to");
	p = ref_payload(d2);
	net_inject(net, A, &net->node[B].id, "node-b", p, true, "c-2", net->wall_us);
	free(p);
	refused_unchanged(net, A, CSC_REFUSED_FORGED_CONFIRM, R1_ERR_AUTH,
	                  "an SCONFIRM from B on behalf of C");
	is_int(cstore_record(net->node[A].cs, "confirm-me")->confirms, 0,
	       "no confirmation counted");
	is_int(o4.calls, 0, "the write still waits");
	free(d);
	free(d2);
	free(path);
	for (int i = 0; i < 3; i++) {
		net_advance(net, 10000);
		net_flush(net);
	}
	is_int(o4.calls, 1, "and times out in the end");
	is_int(o4.last, CSTORE_TIMEOUT, "with a timeout");
}

static void test_timeouts(struct net *net)
{
	struct outcome o = {0};
	net->node[B].online = false;
	net->node[C].online = false;
	is_int(set(net, A, "lonely", "1", &o), CSTORE_PENDING, "a write with both peers offline");
	net_run(net);
	uint64_t retries = counter(net, A, CSC_RETRIES);
	net_advance(net, 9999);
	is_int(o.calls, 0, "nothing before the 10 s timeout");
	net_advance(net, 1);
	is_int((int)(counter(net, A, CSC_RETRIES) - retries), 1, "first rebroadcast at 10 s");
	is_int(net->queued, 2, "to both peers");
	net_run(net);
	net_advance(net, 10000);
	is_int((int)(counter(net, A, CSC_RETRIES) - retries), 2, "second rebroadcast at 20 s");
	net_run(net);
	net_advance(net, 9999);
	is_int(o.calls, 0, "still waiting before 30 s");
	net_advance(net, 1);
	is_int(o.calls, 1, "after max_retries (2) the write fails at 30 s");
	is_int(o.last, CSTORE_TIMEOUT, "with a timeout");
	is_str(get(net, A, "lonely"), "1", "the value stays stored locally, as in the reference");

	/* a peer back before the retry completes it */
	struct outcome o2 = {0};
	cstore_set_min_confirmations(net->node[A].cs, 1);
	is_int(set(net, A, "late", "1", &o2), CSTORE_PENDING, "another write, peers offline");
	net_run(net);
	net->node[B].online = true;
	net_advance(net, 10000);
	net_run(net);
	is_int(o2.calls, 1, "the retry reached B and its confirmation completed the write");
	is_int(o2.last, CSTORE_OK, "successfully");
	cstore_set_min_confirmations(net->node[A].cs, 0);
	net->node[C].online = true;

	/* a duplicate confirmation counts once */
	struct outcome o3 = {0};
	is_int(set(net, A, "dup", "1", &o3), CSTORE_PENDING, "a write");
	net_run(net);
	is_int(o3.last, CSTORE_OK, "confirmed");
	uint64_t late = counter(net, A, CSC_CONFIRMS_LATE);
	char *path = own_path_text(net, A);
	char *d = NULL;
	if (asprintf(&d,
	             "{\"op\": \"SCONFIRM\", \"key\": \"dup\", \"value\": 1, \"owner\": %s,"
	             " \"confirm_by\": null, \"confirm_by_addr\": \"%s\"}",
	             path, net->node[B].id.addr) < 0)
		tap_bail("asprintf");
	char *p = ref_payload(d);
	net_inject(net, A, &net->node[B].id, "node-b", p, true, "dup-1", net->wall_us);
	net_step(net);
	is_int(net->last_err, R1_OK, "a second SCONFIRM from B is harmless");
	is_int((int)(counter(net, A, CSC_CONFIRMS_LATE) - late), 1, "and counted as late");
	is_int(cstore_record(net->node[A].cs, "dup")->confirms, 2, "confirmations stay at 2");
	net_inject(net, A, &net->node[B].id, "node-b", p, true, "dup-1", net->wall_us);
	net_step(net);
	is_int(net->last_err, R1_ERR_EXISTS, "the same SCONFIRM again is a replay");
	free(p);
	free(d);
	free(path);
}

static void test_hashes(struct net *net)
{
	struct outcome o = {0};
	enum cstore_outcome out;
	char *why = NULL;
	static const char *const fields[][2] = {
	    {"alice", "{\"hp\": 10}"},
	    {"\xd0\xb1\xd0\xbe\xd0\xb1", "[1, 2]"}, /* "боб" */
	    {"", "\"empty name\""},
	    {"a b/c?&=\xc3\xa9+", "true"},
	};
	net->node[C].online = false;
	cstore_set_min_confirmations(net->node[A].cs, 1);
	for (size_t i = 0; i < R1_ARRAY_LEN(fields); i++) {
		is_int(cstore_hset(net->node[A].cs, "players", fields[i][0], fields[i][1], NULL,
		                   on_done, &o, &out, NULL, &why),
		       R1_OK, "hset players[\"%s\"]", fields[i][0]);
		net_run(net);
	}
	is_int(o.calls, (int)R1_ARRAY_LEN(fields), "every hset completed with C offline");
	is_int(o.last, CSTORE_OK, "successfully");
	is_str(cstore_hget(net->node[A].cs, "players", "alice", NULL), "{\"hp\":10}", "hget alice");
	is_str(cstore_hget(net->node[A].cs, "players", "", NULL), "\"empty name\"",
	       "hget of the empty field name");
	is_str(cstore_hget(net->node[B].cs, "players", "\xd0\xb1\xd0\xbe\xd0\xb1", NULL), "[1,2]",
	       "hget of a non-ASCII field on B");
	is_str(get(net, A, "hs:afc0d772a2:YWxpY2U="), "{\"hp\":10}",
	       "the composed key is the reference's");
	ok(cstore_hget(net->node[A].cs, "players", "nobody", NULL) == NULL, "a missing field");
	ok(cstore_hget(net->node[A].cs, "nohash", "alice", NULL) == NULL, "a missing hash");

	struct buf all = BUF_INIT, keys = BUF_INIT;
	is_int(cstore_hgetall(net->node[A].cs, "players", NULL, &all, &why), R1_OK, "hgetall");
	is_str(buf_cstr(&all),
	       "{\"alice\":{\"hp\":10},\"\xd0\xb1\xd0\xbe\xd0\xb1\":[1,2],\"\":\"empty name\","
	       "\"a b/c?&=\xc3\xa9+\":true}",
	       "hgetall gives every field in write order");
	is_int(cstore_hkeys(net->node[A].cs, "players", &keys, &why), R1_OK, "hkeys");
	is_str(buf_cstr(&keys),
	       "[\"alice\",\"\xd0\xb1\xd0\xbe\xd0\xb1\",\"\",\"a b/c?&=\xc3\xa9+\"]",
	       "hkeys lists the names");
	buf_reset(&all);
	cstore_hgetall(net->node[A].cs, "nohash", NULL, &all, &why);
	is_str(buf_cstr(&all), "{}", "hgetall of an unknown hash is {}");
	struct buf c0 = BUF_INIT;
	cstore_hgetall(net->node[C].cs, "players", NULL, &c0, &why);
	is_str(buf_cstr(&c0), "{}", "C, offline during the writes, has nothing");

	/* C comes back and repairs with hsync */
	net->node[C].online = true;
	struct hres h = {0};
	is_int(cstore_hsync(net->node[C].cs, "players", NULL, on_hsync, &h, NULL, &why), R1_OK,
	       "C asks its peers");
	is_int(h.calls, 0, "hsync answers later, never from inside the call");
	is_int(net->queued, 2, "one SHSYNC_REQ each to A and B");
	uint64_t unexpected = counter(net, C, CSC_REFUSED_UNEXPECTED);
	net_run(net);
	is_int(h.calls, 1, "the first answer completes the hsync");
	is_int(h.err, R1_OK, "successfully");
	is_str(h.source, net->node[A].id.addr, "the first to answer was A");
	is_int((int)h.merged, 4, "four fields merged");
	is_int((int)(counter(net, C, CSC_REFUSED_UNEXPECTED) - unexpected), 1,
	       "B's later answer is refused as unexpected (first valid wins)");
	buf_reset(&c0);
	cstore_hgetall(net->node[C].cs, "players", NULL, &c0, &why);
	struct buf a0 = BUF_INIT;
	cstore_hgetall(net->node[A].cs, "players", NULL, &a0, &why);
	is_str(buf_cstr(&c0), buf_cstr(&a0), "C ends equal to A");
	const struct replica_record *rc = cstore_record(net->node[C].cs, "hs:afc0d772a2:YWxpY2U=");
	is_int(rc->confirms, -1, "merged records are marked as synced from a peer");
	is_str(replica_hash_name(cstore_replica(net->node[C].cs), "hs:afc0d772a2:"), "players",
	       "C now knows the hash's name");

	/* again: nothing new to merge */
	struct hres h2 = {0};
	cstore_hsync(net->node[C].cs, "players", NULL, on_hsync, &h2, NULL, &why);
	net_run(net);
	is_int((int)h2.merged, 0, "a second hsync merges nothing");
	is_int(h2.err, R1_OK, "and still succeeds");

	/* merge-only: a field only C has is kept */
	cstore_set_min_confirmations(net->node[C].cs, 1);
	net->node[A].online = false;
	net->node[B].online = false;
	struct outcome oc = {0};
	cstore_hset(net->node[C].cs, "players", "carol", "7", NULL, on_done, &oc, &out, NULL, &why);
	net_run(net);
	net->node[A].online = true;
	net->node[B].online = true;
	cstore_hset(net->node[A].cs, "players", "alice", "{\"hp\": 9}", NULL, on_done, &o, &out,
	            NULL, &why);
	net_run(net);
	is_str(cstore_hget(net->node[C].cs, "players", "alice", NULL), "{\"hp\":9}",
	       "C follows A's newer write");
	net_advance(net, 10000);
	net_run(net);
	is_int(oc.last, CSTORE_OK, "C's own write is confirmed by a retry");
	struct buf c1 = BUF_INIT;
	cstore_hgetall(net->node[A].cs, "players", NULL, &c1, &why);
	ok(strstr(buf_cstr(&c1), "\"carol\":7") != NULL, "and reached A");
	buf_release(&c1);
	/* a field only C holds: written while alone, its wait cancelled */
	net->node[A].online = false;
	net->node[B].online = false;
	uint64_t id = 0;
	cstore_hset(net->node[C].cs, "players", "dave", "1", NULL, on_done, &oc, &out, &id, &why);
	cstore_cancel(net->node[C].cs, id);
	net_run(net);
	net->node[A].online = true;
	net->node[B].online = true;
	struct hres h3 = {0};
	cstore_hsync(net->node[C].cs, "players", NULL, on_hsync, &h3, NULL, &why);
	net_run(net);
	is_int(h3.err, R1_OK, "hsync with a local-only field succeeds");
	ok(cstore_hget(net->node[A].cs, "players", "dave", NULL) == NULL, "A never had dave");
	is_str(cstore_hget(net->node[C].cs, "players", "dave", NULL), "1",
	       "hsync never prunes local fields");

	/* no answer at all */
	net->node[A].online = false;
	net->node[B].online = false;
	struct hres h4 = {0};
	cstore_hsync(net->node[C].cs, "players", NULL, on_hsync, &h4, NULL, &why);
	net_run(net);
	net_advance(net, 10000);
	is_int(h4.calls, 1, "an hsync nobody answers ends after 10 s");
	is_int(h4.err, R1_ERR_TIMEOUT, "with a timeout");
	ok(strstr(h4.why, "timed out") != NULL, "reason: %s", h4.why);
	net->node[A].online = true;
	net->node[B].online = true;

	/* no peers at all */
	struct cstore_hsync_opts none = {.no_default_peers = true};
	is_int(cstore_hsync(net->node[C].cs, "players", &none, on_hsync, &h4, NULL, &why),
	       R1_ERR_STATE, "hsync without target peers fails at once");
	ok(why && strstr(why, "No target peers"), "reason: %s", why);
	is_int(cstore_hsync(net->node[C].cs, "", NULL, on_hsync, &h4, NULL, &why), R1_ERR_INVAL,
	       "an empty hkey is refused");
	cstore_set_min_confirmations(net->node[A].cs, 0);
	cstore_set_min_confirmations(net->node[C].cs, 0);
	buf_release(&all);
	buf_release(&keys);
	buf_release(&c0);
	buf_release(&a0);
	r1_free(why);
}

static void test_no_peers_cancel_free(void)
{
	struct cstore_config cfg = {0};
	cfg.max_retries = -1;
	struct net net;
	net_init(&net, 2, &cfg, NULL);
	net.node[A].ndefault = 0;
	struct outcome o = {0};
	is_int(set(&net, A, "k", "1", &o), CSTORE_NO_PEERS, "a write with no peer is refused");
	ok(get(&net, A, "k") == NULL, "and nothing is stored (as in the reference)");
	struct cstore_write w = CSTORE_WRITE_INIT;
	const char *peers[] = {net.node[B].id.addr, net.node[A].id.addr, "not-an-address", ""};
	w.peers = peers;
	w.npeers = 4;
	enum cstore_outcome out;
	uint64_t id = 0;
	is_int(cstore_set(net.node[A].cs, "k", "1", &w, on_done, &o, &out, &id, NULL), R1_OK,
	       "explicit peers make a target");
	is_int(out, CSTORE_PENDING, "pending");
	is_int((int)cstore_record(net.node[A].cs, "k")->npeers, 1,
	       "ourselves and non-addresses are dropped from the targets");
	const json_t *s = net_sent(&net, A, CS_OP_STORE, 0);
	ok(json_array_size(json_object_get(s, "PEERS")) == 1, "PEERS carries the explicit peer");
	cstore_cancel(net.node[A].cs, id);
	net_run(&net);
	net_advance(&net, 60000);
	is_int(o.calls, 0, "a cancelled write is never called back");
	is_int(set(&net, A, "k2", "1", &o), CSTORE_NO_PEERS, "still no default peers");
	struct outcome o2 = {0};
	cstore_set(net.node[A].cs, "k3", "1", &w, on_done, &o2, &out, NULL, NULL);
	net_flush(&net);
	net_free(&net);
	is_int(o2.calls, 1, "freeing the store ends pending writes");
	is_int(o2.last, CSTORE_CANCELLED, "as cancelled");
}

/* A client (node B's identity) asks node A; the answer is A's last CSTORE_RESP. */
static const json_t *ask(struct net *net, const char *cmd, const char *hkey, const char *key,
                         const char *value, const char *token, bool readonly)
{
	static int seq;
	char rid[32];
	snprintf(rid, sizeof(rid), "req-%d", ++seq);
	json_t *v = value ? json_loads(value, JSON_DECODE_ANY, NULL) : NULL;
	json_t *t = token ? json_loads(token, JSON_DECODE_ANY, NULL) : NULL;
	json_t *req = cstore_msg_req(rid, cmd, hkey, key, v, t, readonly, NULL);
	char *text = json_dumps(req, JSON_COMPACT);
	char *p = ref_payload(text);
	free(text);
	json_decref(req);
	json_decref(v);
	json_decref(t);
	int before = net_sent_count(net, A, CS_OP_RESP);
	net_inject(net, A, &net->node[B].id, "node-b", p, true, rid, net->wall_us);
	free(p);
	for (int i = 0; i < 50 && net_sent_count(net, A, CS_OP_RESP) == before; i++)
		if (!net_step(net))
			break;
	const json_t *resp = net_sent(net, A, CS_OP_RESP, before);
	if (!resp && getenv("DBG"))
		tap_diag("ask %s: %d %s", cmd, net->last_err, net->last_why ? net->last_why : "");
	if (resp && strcmp(json_string_value(json_object_get(resp, "request_id")), rid) != 0)
		return NULL;
	return resp;
}

static char *result_text(const json_t *resp)
{
	return json_dumps(json_object_get(resp, "result"), JSON_COMPACT | JSON_ENCODE_ANY);
}

static void test_remote_requests(void)
{
	struct cstore_config cfg = {0};
	cfg.max_retries = -1;
	struct net net;
	net_init(&net, 3, &cfg, NULL);
	const json_t *r = ask(&net, "set", NULL, "remote:k", "{\"a\": 1}", NULL, false);
	ok(r && json_is_true(json_object_get(r, "ok")), "a client's set runs on A and answers ok");
	net_run(&net);
	is_str(get(&net, C, "remote:k"), "{\"a\":1}", "and replicates like any write");
	const struct replica_record *rec = cstore_record(net.node[A].cs, "remote:k");
	char *want = NULL;
	if (asprintf(&want, "[\"%s\",\"admin_pipeline\",\"CSTORE_REQ\",\"%s\"]",
	             net.node[A].id.addr, net.node[B].id.addr) < 0)
		tap_bail("asprintf");
	is_str(rec->owner, want, "owned by the client's address");
	free(want);
	r = ask(&net, "get", NULL, "remote:k", NULL, NULL, false);
	char *t = result_text(r);
	is_str(t, "{\"a\":1}", "get answers the value");
	free(t);
	r = ask(&net, "get", NULL, "remote:none", NULL, NULL, false);
	ok(r && json_is_true(json_object_get(r, "ok")) &&
	       json_is_null(json_object_get(r, "result")),
	   "get of a missing key answers null");
	r = ask(&net, "hset", "h", "f", "7", NULL, false);
	ok(r && json_is_true(json_object_get(r, "ok")), "hset");
	net_run(&net);
	r = ask(&net, "hget", "h", "f", NULL, NULL, false);
	t = result_text(r);
	is_str(t, "7", "hget");
	free(t);
	r = ask(&net, "hgetall", "h", NULL, NULL, NULL, false);
	t = result_text(r);
	is_str(t, "{\"f\":7}", "hgetall");
	free(t);
	r = ask(&net, "hkeys", "h", NULL, NULL, NULL, false);
	t = result_text(r);
	is_str(t, "[\"f\"]", "hkeys");
	free(t);
	r = ask(&net, "set", NULL, "remote:ro", "1", "\"tk\"", true);
	net_run(&net);
	r = ask(&net, "get", NULL, "remote:ro", NULL, NULL, false);
	ok(r && json_is_null(json_object_get(r, "result")), "a token hides the key");
	r = ask(&net, "get", NULL, "remote:ro", NULL, "\"tk\"", false);
	t = result_text(r);
	is_str(t, "1", "the token opens it");
	free(t);
	enum cstore_outcome out;
	struct cstore_write w = CSTORE_WRITE_INIT;
	w.token = "\"tk\"";
	cstore_set(net.node[A].cs, "remote:ro", "2", &w, NULL, NULL, &out, NULL, NULL);
	is_int(out, CSTORE_READONLY, "A's own plugins cannot overwrite the client's readonly key");
	r = ask(&net, "del", NULL, "remote:k", NULL, NULL, false);
	ok(r && json_is_true(json_object_get(r, "ok")), "del");
	net_run(&net);
	ok(get(&net, C, "remote:k") == NULL, "and the delete replicates");
	r = ask(&net, "hsync", "h", NULL, NULL, NULL, false);
	net_run(&net);
	r = net_sent(&net, A, CS_OP_RESP, net_sent_count(&net, A, CS_OP_RESP) - 1);
	ok(r && json_is_true(json_object_get(r, "ok")) &&
	       json_is_object(json_object_get(r, "result")),
	   "hsync answers when a peer answered it");
	r = ask(&net, "frob", NULL, "k", NULL, NULL, false);
	ok(r && json_is_false(json_object_get(r, "ok")) &&
	       strstr(json_string_value(json_object_get(r, "reason")), "unknown cmd"),
	   "an unknown cmd answers not ok with a reason");
	r = ask(&net, "set", NULL, NULL, "1", NULL, false);
	ok(r && json_is_false(json_object_get(r, "ok")), "a set without key answers not ok");
	net.node[A].trust_all = false;
	uint64_t untrusted = counter(&net, A, CSC_REFUSED_UNTRUSTED);
	r = ask(&net, "get", NULL, "remote:ro", NULL, "\"tk\"", false);
	ok(r == NULL, "a client outside authorized_addrs gets no answer");
	is_int((int)(counter(&net, A, CSC_REFUSED_UNTRUSTED) - untrusted), 1, "and is counted");
	ok(counter(&net, A, CSC_REMOTE_REQUESTS) >= 12, "remote requests are counted");
	net_free(&net);
}

static void count_changes(void *ctx, const char *key)
{
	(*(int *)ctx)++;
}

static void test_observer(void)
{
	struct cstore_config cfg = {0};
	cfg.max_retries = -1;
	struct net net;
	net_init(&net, 3, &cfg, NULL);
	int changes_a = 0, changes_b = 0;
	cstore_set_observer(net.node[A].cs, count_changes, &changes_a);
	cstore_set_observer(net.node[B].cs, count_changes, &changes_b);
	struct outcome o = {0};
	set(&net, A, "watched", "1", &o);
	net_run(&net);
	is_int(changes_b, 1, "the observer hears a peer's write once");
	is_int(changes_a, 3, "and the writer's store, then each confirmation (3)");
	cstore_set_observer(net.node[A].cs, NULL, NULL);
	set(&net, A, "watched", "2", &o);
	net_run(&net);
	is_int(changes_a, 3, "a removed observer hears nothing");
	net_free(&net);
}

static void test_sync_transport(void)
{
	struct cstore_config cfg = {0};
	cfg.max_retries = -1;
	struct net net;
	net_init(&net, 3, &cfg, NULL);
	net.sync = true;
	struct outcome o = {0};
	is_int(set(&net, A, "k", "1", &o), CSTORE_OK,
	       "confirmations that arrive during send() finish the write in cstore_set");
	is_int(o.calls, 0, "without a callback");
	is_int(cstore_pending(net.node[A].cs), 0, "nothing left pending");
	is_str(get(&net, C, "k"), "1", "C has it");
	struct hres h = {0};
	is_int(cstore_hsync(net.node[C].cs, "h", NULL, on_hsync, &h, NULL, NULL), R1_OK,
	       "an hsync answered during send()");
	is_int(h.calls, 0, "is not called back from inside cstore_hsync");
	net_advance(&net, 0);
	is_int(h.calls, 1, "but on the next run");
	is_int(h.err, R1_OK, "successfully");
	net_free(&net);
}

static void test_persistence(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/a.db", tap_tmpdir());
	sqlite3 *db = NULL;
	if (db_open(path, &db, NULL))
		tap_bail("db_open");
	sqlite3 *dbs[3] = {db, NULL, NULL};
	struct cstore_config cfg = {0};
	cfg.max_retries = -1;
	struct net net;
	net_init(&net, 3, &cfg, dbs);
	struct outcome o = {0}, o2 = {0};
	enum cstore_outcome out;
	set(&net, A, "persist", "{\"v\": 1}", &o);
	cstore_hset(net.node[A].cs, "hh", "f", "2", NULL, on_done, &o, &out, NULL, NULL);
	net_run(&net);
	set(&net, A, "pending-at-restart", "3", &o2);
	net_restart(&net, A, db);
	is_int(o2.calls, 1, "a restart cancels what was pending");
	is_str(get(&net, A, "persist"), "{\"v\":1}", "values survive a restart");
	is_str(cstore_hget(net.node[A].cs, "hh", "f", NULL), "2", "hash fields too");
	is_int(cstore_record(net.node[A].cs, "persist")->confirms, 2,
	       "with their confirmation count");
	net_free(&net);
	db_close(&db);
}

/*
 * Hostile input: mutated SSTORE/SCONFIRM/SHSYNC objects with fields of every
 * type.  Each must be refused or applied, never crash, never leak.
 */
static void test_hostile(void)
{
	struct cstore_config cfg = {0};
	cfg.max_retries = -1;
	struct net net;
	net_init(&net, 3, &cfg, NULL);
	static const char *const ops[] = {
	    "\"SSTORE\"", "\"SCONFIRM\"", "\"SHSYNC_REQ\"", "\"SHSYNC_RESP\"", "1", "null"};
	static const char *const vals[] = {
	    "null",
	    "true",
	    "0",
	    "-1",
	    "1e308",
	    "\"\"",
	    "\"k\"",
	    "[]",
	    "{}",
	    "[\"node-b\", null, null, null]",
	    "[\"node-b\", 1, 2, 3]",
	    "{\"hs:0000000000:eA==\": {\"value\": 1, \"owner\": [\"x\", null, null, null]}}",
	    "\"\\u0000\"",
	    "[[[[[[]]]]]]",
	    "\"hs:5a20fe2f1b:bWFzdGVy\""};
	static const char *const fields[] = {"key",        "value",    "owner",
	                                     "token",      "readonly", "confirm_by_addr",
	                                     "request_id", "hkey",     "snapshot"};
	uint32_t seed = 12345;
	int refused = 0, applied = 0;
	for (int round = 0; round < 1500; round++) {
		struct buf d = BUF_INIT;
		seed = seed * 1103515245u + 12345u;
		buf_addf(&d, "{\"op\": %s", ops[(seed >> 8) % R1_ARRAY_LEN(ops)]);
		for (size_t f = 0; f < R1_ARRAY_LEN(fields); f++) {
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 3 == 0)
				continue;
			buf_addf(&d, ", \"%s\": %s", fields[f],
			         vals[(seed >> 4) % R1_ARRAY_LEN(vals)]);
		}
		buf_addc(&d, '}');
		char *p = ref_payload(buf_cstr(&d));
		char hash[32];
		snprintf(hash, sizeof(hash), "h-%d", round);
		net_inject(&net, A, &net.node[B].id, "node-b", p, true, hash, net.wall_us);
		free(p);
		buf_release(&d);
		net_step(&net);
		if (net.last_err)
			refused++;
		else
			applied++;
		net_flush(&net);
	}
	ok(refused > 0 && applied > 0, "1500 mutated messages: %d refused, %d taken, no crash",
	   refused, applied);
	net_free(&net);
}

/* Every allocation of a write, a receive and an hsync failing in turn. */
static void test_alloc_failures(void)
{
	struct cstore_config cfg = {0};
	cfg.max_retries = -1;
	int failed_ops = 0, completed = 0;
	for (long k = 0; k < 400; k += 3) {
		struct net net;
		net_init(&net, 3, &cfg, NULL);
		net.oom_test = true;
		struct outcome o = {0};
		struct hres h = {0};
		enum cstore_outcome out;
		r1_alloc_fail_after(k);
		enum r1_err e = cstore_set(net.node[A].cs, "fk", "{\"a\": [1, 2, 3]}", NULL,
		                           on_done, &o, &out, NULL, NULL);
		e |= cstore_hset(net.node[A].cs, "fh", "f", "1", NULL, on_done, &o, &out, NULL,
		                 NULL);
		e |= cstore_hsync(net.node[B].cs, "fh", NULL, on_hsync, &h, NULL, NULL);
		net_run(&net);
		r1_alloc_fail_after(-1);
		net_run(&net);
		for (int i = 0; i < 4; i++) {
			net_advance(&net, 10000);
			net_run(&net);
		}
		failed_ops += e != R1_OK;
		completed += o.calls > 0;
		net_free(&net);
	}
	ok(failed_ops > 0, "injected failures surfaced as errors (%d runs)", failed_ops);
	ok(completed > 0, "and runs past the failures completed writes (%d)", completed);
}

int main(void)
{
	r1_alloc_setup_jansson();
	struct cstore_config cfg = {0};
	cfg.max_retries = -1;
	cfg.max_value = 256;
	struct net net;
	net_init(&net, 3, &cfg, NULL);

	test_replication(&net);
	test_supersede_and_late(&net);
	test_rules(&net);
	test_limits(&net, 256);
	test_reference_messages(&net);
	test_refusals(&net);
	test_timeouts(&net);
	test_hashes(&net);
	net_free(&net);

	test_no_peers_cancel_free();
	test_sync_transport();
	test_observer();
	test_remote_requests();
	test_persistence();
	test_hostile();
	test_alloc_failures();
	return tap_done();
}
