/*
 * The CStore routes of the app-facing HTTP API (see cstore_http.h): request
 * validation in FastAPI's terms, then one call into the engine.  Writes and
 * hsync park the request until the engine calls back; if the server goes
 * first, the engine forgets the operation.
 */
#include "node/lib.h"
#include "node/cstore/cstore_http.h"
#include "core/proto.h"

struct cstore_http {
	struct cstore *cs;
	struct httpapi *http;
	struct r1_log *log;
	char *owner; /* instance path of writes made through this API */
};

/* A parked request waiting on the engine. */
struct parked {
	struct httpapi_req *req;
	struct cstore_http *ch;
	uint64_t op_id;
	char *hkey;
};

static void parked_free(struct parked *p)
{
	r1_free(p->hkey);
	r1_free(p);
}

/* The server went away while the engine still works for this request. */
static void on_abort(void *arg)
{
	struct parked *p = arg;
	cstore_cancel(p->ch->cs, p->op_id);
	parked_free(p);
}

/* ---- validation in pydantic's words */

static bool query_str(struct httpapi_req *r, const char *name, const char **out)
{
	bool bad = false;
	*out = httpapi_query(r, name, &bad);
	if (!*out) {
		httpapi_reply_invalid(r, "missing", "query", name, "Field required", NULL);
		return false;
	}
	if (bad) {
		httpapi_reply_invalid(r, "string_unicode", "query", name,
		                      "Input should be a valid string", json_string("?"));
		return false;
	}
	return true;
}

static bool body_field(struct httpapi_req *r, const json_t *body, const char *name,
                       const json_t **out)
{
	*out = json_object_get(body, name);
	if (!*out) {
		httpapi_reply_invalid(r, "missing", "body", name, "Field required",
		                      json_deep_copy(body));
		return false;
	}
	return true;
}

static bool body_str(struct httpapi_req *r, const json_t *body, const char *name, const char **out)
{
	const json_t *v;
	if (!body_field(r, body, name, &v))
		return false;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
		httpapi_reply_invalid(r, "string_type", "body", name,
		                      "Input should be a valid string", json_deep_copy(v));
		return false;
	}
	*out = json_string_value(v);
	return true;
}

/* chainstore_peers: a list or null (absent = null); non-strings ignored as the reference does. */
static bool body_peers(struct httpapi_req *r, const json_t *body, const char ***peers, size_t *n)
{
	const json_t *v = json_object_get(body, "chainstore_peers");
	*peers = NULL;
	*n = 0;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_array(v)) {
		httpapi_reply_invalid(r, "list_type", "body", "chainstore_peers",
		                      "Input should be a valid list", json_deep_copy(v));
		return false;
	}
	size_t count = json_array_size(v);
	*peers = r1_calloc(count ? count : 1, sizeof(**peers));
	if (!*peers) {
		httpapi_reply_error(r, 500, "out of memory");
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		const char *s = json_string_value(json_array_get(v, i));
		if (s && *s)
			(*peers)[(*n)++] = s;
	}
	return true;
}

/* ---- writes */

static void reply_write(struct httpapi_req *r, enum cstore_outcome o, const char *reason)
{
	json_t *extra = NULL;
	if (o != CSTORE_OK)
		extra = json_pack("{s:s}", "reason", reason ? reason : cstore_outcome_name(o));
	httpapi_reply_result_with(r, json_boolean(o == CSTORE_OK), extra);
}

static void on_written(void *arg, enum cstore_outcome o)
{
	struct parked *p = arg;
	reply_write(p->req, o, NULL);
	parked_free(p);
}

/*
 * Our extensions of the reference's bodies (FastAPI ignores unknown fields,
 * so the official clients are unaffected): "readonly" (bool) and "token"
 * (any JSON) as chainstore_set takes them.
 */
static bool body_write_opts(struct httpapi_req *r, const json_t *body, bool *readonly, char **token)
{
	const json_t *ro = json_object_get(body, "readonly");
	*token = NULL;
	if (ro && !json_is_boolean(ro) && !json_is_null(ro)) {
		httpapi_reply_invalid(r, "bool_type", "body", "readonly",
		                      "Input should be a valid boolean", json_deep_copy(ro));
		return false;
	}
	*readonly = json_is_true(ro);
	const json_t *tok = json_object_get(body, "token");
	if (tok && !json_is_null(tok)) {
		*token = json_dumps(tok, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!*token) {
			httpapi_reply_error(r, 500, "out of memory");
			return false;
		}
	}
	return true;
}

static void do_write(struct cstore_http *ch, struct httpapi_req *r, const char *hkey,
                     const char *key, const json_t *value, const char **peers, size_t npeers)
{
	bool readonly = false;
	char *token = NULL;
	if (!body_write_opts(r, httpapi_json_body(r), &readonly, &token))
		return;
	char *text = json_is_null(value) ? NULL : json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	struct parked *p = r1_calloc(1, sizeof(*p));
	if (!p || (!json_is_null(value) && !text)) {
		r1_free(text);
		r1_free(p);
		r1_free(token);
		httpapi_reply_error(r, 500, "out of memory");
		return;
	}
	p->req = r;
	p->ch = ch;
	struct cstore_write w = CSTORE_WRITE_INIT;
	w.owner = ch->owner;
	w.peers = peers;
	w.npeers = npeers;
	w.readonly = readonly;
	w.token = token;
	enum cstore_outcome o = CSTORE_CANCELLED;
	char *why = NULL;
	enum r1_err e =
	    hkey ? cstore_hset(ch->cs, hkey, key, text, &w, on_written, p, &o, &p->op_id, &why)
	         : cstore_set(ch->cs, key, text, &w, on_written, p, &o, &p->op_id, &why);
	r1_free(text);
	r1_free(token);
	if (e) {
		/* The reference's chainstore_set turns every exception into False. */
		LOG_D(ch->log, "cstore-api", "write refused: %s", why ? why : "?");
		reply_write(r, CSTORE_CANCELLED, why);
		r1_free(why);
		parked_free(p);
		return;
	}
	if (o == CSTORE_PENDING) {
		httpapi_defer(r, on_abort, p);
		return;
	}
	reply_write(r, o, NULL);
	parked_free(p);
}

static void route_set(void *ctx, struct httpapi_req *r)
{
	const json_t *body = httpapi_json_body(r), *value;
	const char *key;
	const char **peers = NULL;
	size_t n = 0;
	if (!body || !body_str(r, body, "key", &key) || !body_field(r, body, "value", &value) ||
	    !body_peers(r, body, &peers, &n)) {
		r1_free(peers);
		return;
	}
	do_write(ctx, r, NULL, key, value, peers, n);
	r1_free(peers);
}

static void route_hset(void *ctx, struct httpapi_req *r)
{
	const json_t *body = httpapi_json_body(r), *value;
	const char *hkey, *key;
	const char **peers = NULL;
	size_t n = 0;
	if (!body || !body_str(r, body, "hkey", &hkey) || !body_str(r, body, "key", &key) ||
	    !body_field(r, body, "value", &value) || !body_peers(r, body, &peers, &n)) {
		r1_free(peers);
		return;
	}
	do_write(ctx, r, hkey, key, value, peers, n);
	r1_free(peers);
}

/* ---- reads */

/* Our extension: ?token=<JSON text> opens keys written with a token. */
static const char *query_token(struct httpapi_req *r)
{
	bool bad = false;
	const char *t = httpapi_query(r, "token", &bad);
	return t && !bad && *t ? t : NULL;
}

static void route_get(void *ctx, struct httpapi_req *r)
{
	struct cstore_http *ch = ctx;
	const char *key;
	if (query_str(r, "key", &key))
		httpapi_reply_result_text(r, cstore_get(ch->cs, key, query_token(r)), NULL);
}

static void route_hget(void *ctx, struct httpapi_req *r)
{
	struct cstore_http *ch = ctx;
	const char *hkey, *key;
	if (query_str(r, "hkey", &hkey) && query_str(r, "key", &key))
		httpapi_reply_result_text(r, cstore_hget(ch->cs, hkey, key, query_token(r)), NULL);
}

static void reply_hash(struct cstore_http *ch, struct httpapi_req *r, bool values)
{
	const char *hkey;
	if (!query_str(r, "hkey", &hkey))
		return;
	struct buf out = BUF_INIT;
	char *why = NULL;
	enum r1_err e = values ? cstore_hgetall(ch->cs, hkey, query_token(r), &out, &why)
	                       : cstore_hkeys(ch->cs, hkey, &out, &why);
	if (e)
		httpapi_reply_error(r, 500, why ? why : "error");
	else
		httpapi_reply_result_text(r, buf_cstr(&out), NULL);
	buf_release(&out);
	r1_free(why);
}

static void route_hgetall(void *ctx, struct httpapi_req *r)
{
	reply_hash(ctx, r, true);
}

static void route_hkeys(void *ctx, struct httpapi_req *r)
{
	reply_hash(ctx, r, false);
}

static void route_status(void *ctx, struct httpapi_req *r)
{
	struct cstore_http *ch = ctx;
	json_t *counters = json_object();
	for (int c = 0; counters && c < CSC__COUNT; c++)
		json_object_set_new(counters, cstore_counter_name(c),
		                    json_integer((json_int_t)cstore_counter(ch->cs, c)));
	httpapi_reply_result(r,
	                     json_pack("{s:b,s:s,s:[],s:I,s:I,s:o*}", "ok", true, "message",
	                               "CStore Manager API is running.", "keys", "records",
	                               (json_int_t)replica_count(cstore_replica(ch->cs)), "pending",
	                               (json_int_t)cstore_pending(ch->cs), "counters", counters));
}

/* ---- hsync */

static void on_synced(void *arg, enum r1_err err, const struct cstore_hsync_result *res,
                      const char *why)
{
	struct parked *p = arg;
	if (err || !res)
		httpapi_reply_error(p->req, 500, why ? why : "hsync failed");
	else
		httpapi_reply_result(p->req,
		                     json_pack("{s:s,s:s?,s:I}", "hkey", res->hkey, "source_peer",
		                               res->source_peer, "merged_fields",
		                               (json_int_t)res->merged_fields));
	parked_free(p);
}

static void route_hsync(void *ctx, struct httpapi_req *r)
{
	struct cstore_http *ch = ctx;
	const json_t *body = httpapi_json_body(r);
	const char *hkey;
	const char **peers = NULL;
	size_t n = 0;
	if (!body || !body_str(r, body, "hkey", &hkey) || !body_peers(r, body, &peers, &n)) {
		r1_free(peers);
		return;
	}
	struct parked *p = r1_calloc(1, sizeof(*p));
	if (!p) {
		r1_free(peers);
		httpapi_reply_error(r, 500, "out of memory");
		return;
	}
	p->req = r;
	p->ch = ch;
	struct cstore_hsync_opts o = {.peers = peers, .npeers = n};
	char *why = NULL;
	enum r1_err e = cstore_hsync(ch->cs, hkey, &o, on_synced, p, &p->op_id, &why);
	r1_free(peers);
	if (e) {
		httpapi_reply_error(r, 500, why ? why : "hsync failed");
		r1_free(why);
		parked_free(p);
		return;
	}
	httpapi_defer(r, on_abort, p);
}

static const struct httpapi_route routes[] = {
    {"GET", "/get_status", route_status, 0, NULL}, {"POST", "/set", route_set, 0, NULL},
    {"GET", "/get", route_get, 0, NULL},           {"POST", "/hset", route_hset, 0, NULL},
    {"GET", "/hget", route_hget, 0, NULL},         {"GET", "/hgetall", route_hgetall, 0, NULL},
    {"POST", "/hsync", route_hsync, 0, NULL},      {"GET", "/hkeys", route_hkeys, 0, NULL},
};

enum r1_err cstore_http_new(struct cstore *cs, const struct httpapi_config *cfg,
                            const struct httpapi_identity *id, struct r1_log *log,
                            struct cstore_http **out, char **why)
{
	struct cstore_http *ch = r1_calloc(1, sizeof(*ch));
	if (!ch)
		return r1_fail(why, R1_ERR_NOMEM, "cstore-api: out of memory");
	ch->cs = cs;
	ch->log = log;
	json_t *owner =
	    json_pack("[s?,s,s,s]", id ? id->addr : NULL, ADMIN_PIPELINE, SIG_CSTORE_MANAGER_API,
	              SIG_CSTORE_MANAGER_API ADMIN_INSTANCE_SUFFIX);
	ch->owner = owner ? json_dumps(owner, JSON_COMPACT) : NULL;
	json_decref(owner);
	struct httpapi_config c = *cfg;
	if (!c.name)
		c.name = "cstore-api";
	enum r1_err e = ch->owner
	                    ? httpapi_new(&c, routes, R1_ARRAY_LEN(routes), ch, log, &ch->http, why)
	                    : r1_fail(why, R1_ERR_NOMEM, "cstore-api: out of memory");
	if (!e)
		e = httpapi_set_identity(ch->http, id, why);
	if (e) {
		cstore_http_free(&ch);
		return e;
	}
	*out = ch;
	return R1_OK;
}

void cstore_http_free(struct cstore_http **chp)
{
	struct cstore_http *ch = *chp;
	if (!ch)
		return;
	httpapi_free(&ch->http);
	r1_free(ch->owner);
	r1_free(ch);
	*chp = NULL;
}

struct httpapi *cstore_http_server(struct cstore_http *ch)
{
	return ch->http;
}
