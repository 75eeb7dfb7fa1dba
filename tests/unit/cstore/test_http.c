/*
 * The CStore HTTP API end to end in one process: node A of a three-node
 * test network serves the routes on a loopback port from a small poll
 * loop, while a client thread speaks HTTP to it the way the official
 * TypeScript client does (URLSearchParams queries, JSON bodies) and checks
 * the envelope, results and FastAPI error shapes.
 */
#include "node/lib.h"
#include "node/cstore/cstore_http.h"
#include "node/httpclient.h"
#include "tests/tap.h"
#include "tests/unit/cstore/net.h"
#include "core/loop.h"

#include <poll.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdatomic.h>

enum { A, B, C };

enum action {
	ACT_NONE,
	ACT_PEERS_OFFLINE,
	ACT_PEERS_ONLINE,
	ACT_READONLY_FROM_B,
	ACT_FREE_SERVER,
};

static struct net net;
static struct cstore_http *server;
static uint16_t port;
static atomic_int action;
static atomic_bool client_done;
static atomic_bool fast_clock;
static int pending_after_free = -1;
static const char *host = "127.0.0.1";

struct reply {
	int status;
	json_t *body;
	char *raw;
	char *headers;
};

static struct reply request(const char *method, const char *target, const char *body,
                            const char *const *hdrs)
{
	struct reply rep = {0};
	struct httpclient_resp resp;
	char *why = NULL;
	enum r1_err e =
	    httpclient_request(host, port, method, target, "application/json", body,
	                       body ? strlen(body) : 0, 20000, 1u << 20, &resp, &why);
	(void)hdrs;
	if (e) {
		tap_diag("%s %s: %s", method, target, why);
		r1_free(why);
		rep.status = -1;
		return rep;
	}
	rep.status = resp.status;
	rep.body = json_loads(buf_cstr(&resp.body), JSON_DECODE_ANY, NULL);
	rep.headers = r1_strdup(buf_cstr(&resp.headers));
	rep.raw = r1_strdup(buf_cstr(&resp.body));
	httpclient_resp_release(&resp);
	return rep;
}

/* Whether this host can bind ::1 (no IPv6 on loopback in some containers). */
static bool ipv6_loopback(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	bool ok6 = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok6;
}

static void reply_free(struct reply *r)
{
	json_decref(r->body);
	r1_free(r->headers);
	r1_free(r->raw);
}

static void do_action(enum action a)
{
	atomic_store(&action, a);
	while (atomic_load(&action) != ACT_NONE)
		usleep(1000);
}

static char *text(const json_t *v)
{
	return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : r1_strdup("(none)");
}

static void result_is(const char *method, const char *target, const char *body, const char *want,
                      const char *name)
{
	struct reply r = request(method, target, body, NULL);
	is_int(r.status, 200, "%s: 200", name);
	/* the result's text as the server wrote it, up to the envelope that follows */
	const char *p = r.raw && strncmp(r.raw, "{\"result\":", 10) == 0 ? r.raw + 10 : "";
	size_t n = strlen(want);
	bool prefix = strncmp(p, want, n) == 0;
	char *got = r1_strndup(p, prefix ? n : strlen(p));
	is_str(got, want, "%s: result", name);
	ok(prefix && (p[n] == ',' || p[n] == '}'), "%s: result ends there", name);
	r1_free(got);
	reply_free(&r);
}

static void error_is(const char *method, const char *target, const char *body, int status,
                     const char *want_detail, const char *name)
{
	struct reply r = request(method, target, body, NULL);
	is_int(r.status, status, "%s: %d", name, status);
	char *got = text(json_object_get(r.body, "detail"));
	if (want_detail)
		is_str(got, want_detail, "%s: detail", name);
	else
		ok(json_object_get(r.body, "detail") != NULL, "%s: has a detail (%s)", name, got);
	free(got);
	reply_free(&r);
}

static char *query(const char *k1, const char *v1, const char *k2, const char *v2)
{
	struct buf q = BUF_INIT;
	httpclient_query_add(&q, k1, v1);
	if (k2)
		httpclient_query_add(&q, k2, v2);
	return buf_detach(&q, NULL);
}

static char *target(const char *path, const char *q)
{
	char *t = NULL;
	if (asprintf(&t, "%s?%s", path, q) < 0)
		tap_bail("asprintf");
	return t;
}

static void *client(void *arg)
{
	(void)arg;
	/* get_status and the envelope */
	struct reply r = request("GET", "/get_status", NULL, NULL);
	is_int(r.status, 200, "get_status answers 200");
	/* localhost is ::1 too (Node.js 17+ tries it first), on the same port */
	if (ipv6_loopback()) {
		host = "::1";
		struct reply r6 = request("GET", "/get_status", NULL, NULL);
		host = "127.0.0.1";
		is_int(r6.status, 200, "get_status answers 200 on [::1]:%u as well", port);
		reply_free(&r6);
	} else {
		tap_diag("this host has no ::1; the server listens on 127.0.0.1 alone");
	}
	const json_t *res = json_object_get(r.body, "result");
	ok(json_is_true(json_object_get(res, "ok")), "ok is true");
	is_str(json_string_value(json_object_get(res, "message")), "CStore Manager API is running.",
	       "the reference's message");
	ok(json_is_array(json_object_get(res, "keys")), "keys is a list (the SDK's type)");
	is_str(json_string_value(json_object_get(r.body, "server_node_addr")), net.node[A].id.addr,
	       "envelope: server_node_addr");
	is_str(json_string_value(json_object_get(r.body, "ee_node_alias")), "node-a",
	       "envelope: ee_node_alias");
	is_str(json_string_value(json_object_get(r.body, "ee_node_ver")), "2.10.370",
	       "envelope: ee_node_ver");
	ok(strstr(r.headers, "Access-Control-Allow-Origin: *") != NULL,
	   "CORS header on a plain response");
	reply_free(&r);

	/* set/get with the TypeScript client's query encoding */
	char *q = query("key", "a b/c?&=\xc3\xa9+", NULL, NULL);
	is_str(q, "key=a+b%2Fc%3F%26%3D%C3%A9%2B", "the query is encoded as URLSearchParams does");
	result_is("POST", "/set",
	          "{\"key\":\"a b/c?&=\xc3\xa9+\",\"value\":{\"x\":1,\"f\":0.1},"
	          "\"chainstore_peers\":[]}",
	          "true", "set waits for its confirmations and answers true");
	char *t = target("/get", q);
	result_is("GET", t, NULL, "{\"x\":1,\"f\":0.1}", "get decodes '+' as a space");
	free(t);
	free(q);
	q = query("key", "missing", NULL, NULL);
	t = target("/get", q);
	result_is("GET", t, NULL, "null", "get of a missing key is null, not 404");
	free(t);
	free(q);
	result_is("POST", "/set", "{\"key\":\"num\",\"value\":1,\"chainstore_peers\":null}", "true",
	          "set of a number");
	result_is("GET", "/get?key=num", NULL, "1", "get gives the number back");
	result_is("POST", "/set", "{\"key\":\"str\",\"value\":\"{\\\"a\\\":1}\"}", "true",
	          "set of a JSON-encoded string (no chainstore_peers)");
	result_is("GET", "/get?key=str", NULL, "\"{\\\"a\\\":1}\"", "stays a string");

	/* hashes */
	result_is("POST", "/hset", "{\"hkey\":\"h 1\",\"key\":\"k+1\",\"value\":[1,2]}", "true",
	          "hset");
	result_is("POST", "/hset", "{\"hkey\":\"h 1\",\"key\":\"\",\"value\":\"e\"}", "true",
	          "hset of an empty field name");
	q = query("hkey", "h 1", "key", "k+1");
	is_str(q, "hkey=h+1&key=k%2B1", "hget query as the SDK sends it");
	t = target("/hget", q);
	result_is("GET", t, NULL, "[1,2]", "hget");
	free(t);
	free(q);
	result_is("GET", "/hgetall?hkey=h+1", NULL, "{\"k+1\":[1,2],\"\":\"e\"}", "hgetall");
	result_is("GET", "/hkeys?hkey=h+1", NULL, "[\"k+1\",\"\"]", "hkeys");
	result_is("GET", "/hgetall?hkey=none", NULL, "{}", "hgetall of an unknown hash is {}");
	result_is("GET", "/hget?hkey=h+1&key=zz", NULL, "null", "hget of a missing field");

	/* delete */
	result_is("POST", "/set", "{\"key\":\"num\",\"value\":null}", "true", "set null deletes");
	result_is("GET", "/get?key=num", NULL, "null", "the key is gone");

	/* FastAPI-shaped errors */
	error_is("GET", "/get", NULL, 422,
	         "[{\"type\":\"missing\",\"loc\":[\"query\",\"key\"],\"msg\":\"Field required\","
	         "\"input\":null}]",
	         "get without key");
	error_is("GET", "/hget?hkey=x", NULL, 422,
	         "[{\"type\":\"missing\",\"loc\":[\"query\",\"key\"],\"msg\":\"Field required\","
	         "\"input\":null}]",
	         "hget without key");
	error_is("POST", "/set", "{\"key\":\"k\"}", 422,
	         "[{\"type\":\"missing\",\"loc\":[\"body\",\"value\"],\"msg\":\"Field required\","
	         "\"input\":{\"key\":\"k\"}}]",
	         "set without value");
	error_is("POST", "/set", "{\"key\":5,\"value\":1}", 422,
	         "[{\"type\":\"string_type\",\"loc\":[\"body\",\"key\"],"
	         "\"msg\":\"Input should be a valid string\",\"input\":5}]",
	         "set with a numeric key");
	error_is("POST", "/set", "{\"key\":\"k\",\"value\":1,\"chainstore_peers\":\"x\"}", 422,
	         "[{\"type\":\"list_type\",\"loc\":[\"body\",\"chainstore_peers\"],"
	         "\"msg\":\"Input should be a valid list\",\"input\":\"x\"}]",
	         "set with peers not a list");
	error_is("POST", "/set", "not json", 422, NULL, "set with a body that is not JSON");
	error_is("POST", "/set", "[1]", 422, NULL, "set with a list body");
	error_is("GET", "/nope", NULL, 404, "\"Not Found\"", "unknown route");
	error_is("POST", "/get", "{}", 405, "\"Method Not Allowed\"", "wrong method");
	r = request("POST", "/set", "{\"key\":\"\",\"value\":1}", NULL);
	is_int(r.status, 200, "set of an empty key: 200 as the reference (its exception is False)");
	ok(json_is_false(json_object_get(r.body, "result")), "with result false");
	ok(json_is_string(json_object_get(r.body, "reason")), "and a reason beside it");
	reply_free(&r);

	/* a refused write answers false at once */
	do_action(ACT_READONLY_FROM_B);
	r = request("POST", "/set", "{\"key\":\"ro\",\"value\":2}", NULL);
	ok(json_is_false(json_object_get(r.body, "result")), "a readonly key of B: false");
	is_str(json_string_value(json_object_get(r.body, "reason")), "readonly", "reason readonly");
	reply_free(&r);

	/* hsync */
	r = request("POST", "/hsync", "{\"hkey\":\"h 1\",\"chainstore_peers\":[]}", NULL);
	is_int(r.status, 200, "hsync answers 200");
	res = json_object_get(r.body, "result");
	is_str(json_string_value(json_object_get(res, "hkey")), "h 1", "hsync result hkey");
	ok(json_is_string(json_object_get(res, "source_peer")), "hsync result source_peer");
	ok(json_is_integer(json_object_get(res, "merged_fields")), "hsync result merged_fields");
	reply_free(&r);
	error_is("POST", "/hsync", "{}", 422, NULL, "hsync without hkey");

	/* peers away: a write fails after its retries, an hsync times out (fast clock) */
	do_action(ACT_PEERS_OFFLINE);
	atomic_store(&fast_clock, true);
	r = request("POST", "/set", "{\"key\":\"lost\",\"value\":1}", NULL);
	ok(json_is_false(json_object_get(r.body, "result")), "a write nobody confirms: false");
	is_str(json_string_value(json_object_get(r.body, "reason")), "timeout", "reason timeout");
	reply_free(&r);
	r = request("POST", "/hsync", "{\"hkey\":\"h 1\"}", NULL);
	is_int(r.status, 500, "an hsync nobody answers: 500 as the reference");
	const json_t *detail = json_object_get(r.body, "detail");
	ok(strstr(json_string_value(json_object_get(detail, "error")), "timed out") != NULL,
	   "detail.error says it timed out");
	is_int(json_integer_value(json_object_get(detail, "status_code")), 500,
	       "detail.status_code 500");
	reply_free(&r);
	atomic_store(&fast_clock, false);
	do_action(ACT_PEERS_ONLINE);

	/* the server going away while a write waits */
	do_action(ACT_PEERS_OFFLINE);
	struct httpclient_resp resp;
	char *why = NULL;
	atomic_store(&action, ACT_FREE_SERVER);
	enum r1_err e =
	    httpclient_request("127.0.0.1", port, "POST", "/set", "application/json",
	                       "{\"key\":\"k9\",\"value\":9}", 22, 5000, 1u << 20, &resp, &why);
	ok(e != R1_OK || resp.status >= 500, "a request cut by the server stopping fails (%s)",
	   why ? why : "status");
	if (!e)
		httpclient_resp_release(&resp);
	r1_free(why);
	atomic_store(&client_done, true);
	return NULL;
}

static void perform(enum action a)
{
	switch (a) {
	case ACT_PEERS_OFFLINE:
		net.node[B].online = false;
		net.node[C].online = false;
		break;
	case ACT_PEERS_ONLINE:
		net.node[B].online = true;
		net.node[C].online = true;
		break;
	case ACT_READONLY_FROM_B: {
		struct cstore_write w = CSTORE_WRITE_INIT;
		w.readonly = true;
		enum cstore_outcome o;
		cstore_set(net.node[B].cs, "ro", "1", &w, NULL, NULL, &o, NULL, NULL);
		net_run(&net);
		break;
	}
	case ACT_FREE_SERVER:
		return; /* handled by the loop once the request is parked */
	case ACT_NONE:
		break;
	}
	atomic_store(&action, ACT_NONE);
}

int main(void)
{
	r1_alloc_setup_jansson();
	struct cstore_config cfg = {0};
	cfg.max_retries = -1;
	net_init(&net, 3, &cfg, NULL);
	struct loop *loop = NULL;
	if (loop_new(&loop, NULL))
		tap_bail("loop_new");
	struct httpapi_config hc = {.loop = loop, .port = 0};
	struct httpapi_identity id = {net.node[A].id.addr, "node-a", net.node[A].id.eth, "devnet",
	                              "2.10.370"};
	char *why = NULL;
	if (cstore_http_new(net.node[A].cs, &hc, &id, NULL, &server, &why))
		tap_bail("cstore_http_new: %s", why);
	port = httpapi_port(cstore_http_server(server));
	ok(port != 0, "listening on an ephemeral loopback port (%u)", port);
	struct httpapi_config taken = {.port = port};
	struct cstore_http *second = NULL;
	is_int(cstore_http_new(net.node[A].cs, &taken, &id, NULL, &second, &why), R1_ERR_IO,
	       "a second server on the same port fails");
	ok(why && strstr(why, "cannot listen"), "reason: %s", why);
	struct httpapi_config badbind = {.bind = "node.example"};
	is_int(cstore_http_new(net.node[A].cs, &badbind, &id, NULL, &second, &why), R1_ERR_INVAL,
	       "a bind address that is not numeric (nor localhost) is refused");

	pthread_t th;
	pthread_create(&th, NULL, client, NULL);
	while (!atomic_load(&client_done)) {
		enum action a = atomic_load(&action);
		if (a != ACT_NONE && a != ACT_FREE_SERVER)
			perform(a);
		if (server) {
			/* the server drives itself from the loop: watch, timer, hook */
			loop_run_once(loop, 5);
			if (a == ACT_FREE_SERVER && cstore_pending(net.node[A].cs) > 0) {
				cstore_http_free(&server);
				pending_after_free = (int)cstore_pending(net.node[A].cs);
				atomic_store(&action, ACT_NONE);
			}
		} else {
			usleep(2000);
		}
		net_run(&net);
		net_advance(&net, atomic_load(&fast_clock) ? 500 : 1);
	}
	pthread_join(th, NULL);
	is_int(pending_after_free, 0, "stopping the server forgets its waiting write");
	cstore_http_free(&server);
	net_free(&net);
	loop_free(&loop);
	r1_free(why);
	return tap_done();
}
