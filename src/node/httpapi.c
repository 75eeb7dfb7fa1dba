/*
 * The node's small HTTP server (see httpapi.h): libmicrohttpd in external
 * epoll mode with suspend/resume, so one fd and one deadline tie it to the
 * node's poll loop and a handler can answer seconds later without a
 * thread.  This file knows the FastAPI conventions the official clients
 * expect (envelope, error shapes, CORS, form-decoded queries) and nothing
 * about CStore or R1FS.
 */
#include "node/lib.h"
#include "node/httpapi.h"
#include "core/loop.h"
#include "core/utf8.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#define DEFAULT_MAX_BODY (4u * 1024u * 1024u)

enum early {
	EARLY_NONE,
	EARLY_NOT_FOUND,
	EARLY_BAD_METHOD,
	EARLY_PREFLIGHT,
};

struct httpapi_req {
	struct httpapi *h;
	struct MHD_Connection *conn;
	const struct httpapi_route *route;
	enum early early;
	char *method, *path;
	struct buf body;
	bool too_big;
	bool dispatched;
	bool deferred, suspended, replied, aborted;
	struct MHD_Response *resp;
	unsigned status;
	json_t *json;
	void (*on_abort)(void *arg);
	void *abort_arg;
	void *data;
	struct httpapi_req *prev, *next; /* live requests */
};

struct httpapi {
	/*
	 * One daemon per listening address: "localhost" (the default) is
	 * 127.0.0.1 and ::1, since clients resolve localhost to either (Node.js
	 * 17+ tries ::1 first, so @ratio1/edge-sdk-ts's default URL needs it).
	 */
	struct MHD_Daemon *d[2];
	size_t nd;
	const struct httpapi_route *routes;
	size_t nroutes;
	void *ctx;
	struct r1_log *log;
	char name[32];
	size_t max_body;
	uint16_t port;
	json_t *envelope;
	struct httpapi_req *live;
	bool stopping;
	/* loop driving (when attached) */
	struct loop *loop;
	struct loop_watch *watch[2];
	struct loop_timer *timer;
	struct loop_hook *hook;
	struct loop_call kick;
	bool resumed; /* a connection was resumed: MHD_run must come before polling */
};

/* ---- requests */

static void req_link(struct httpapi *h, struct httpapi_req *r)
{
	r->next = h->live;
	if (h->live)
		h->live->prev = r;
	h->live = r;
}

static void req_unlink(struct httpapi *h, struct httpapi_req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		h->live = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
}

static void req_free(struct httpapi_req *r)
{
	if (r->resp)
		MHD_destroy_response(r->resp);
	json_decref(r->json);
	buf_release(&r->body);
	r1_free(r->method);
	r1_free(r->path);
	r1_free(r);
}

const char *httpapi_method(const struct httpapi_req *r)
{
	return r->method;
}

const char *httpapi_path(const struct httpapi_req *r)
{
	return r->path;
}

const char *httpapi_route_arg(const struct httpapi_req *r)
{
	return r->route ? r->route->arg : NULL;
}

void httpapi_set_data(struct httpapi_req *r, void *data)
{
	r->data = data;
}

void *httpapi_get_data(const struct httpapi_req *r)
{
	return r->data;
}

const char *httpapi_body(const struct httpapi_req *r, size_t *len)
{
	if (len)
		*len = r->body.len;
	return buf_cstr(&r->body);
}

const char *httpapi_header(const struct httpapi_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

struct query_find {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
	bool found;
};

static enum MHD_Result query_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                  size_t key_size, const char *value, size_t value_size)
{
	struct query_find *q = cls;
	if (key_size == q->name_len && memcmp(key, q->name, key_size) == 0) {
		/* The last of repeated parameters wins, as Starlette's QueryParams.get. */
		q->value = value ? value : "";
		q->value_len = value ? value_size : 0;
		q->found = true;
	}
	return MHD_YES;
}

const char *httpapi_query(const struct httpapi_req *r, const char *name, bool *bad)
{
	struct query_find q = {name, strlen(name), NULL, 0, false};
	MHD_get_connection_values_n(r->conn, MHD_GET_ARGUMENT_KIND, query_iter, &q);
	if (bad)
		*bad = q.found &&
		       (strlen(q.value) != q.value_len || !r1_utf8_valid(q.value, q.value_len));
	return q.found ? q.value : NULL;
}

/* ---- building responses */

static void add_cors(const struct httpapi_req *r, struct MHD_Response *resp)
{
	/* CORSMiddleware(allow_origins=["*"], allow_credentials=True): echo the origin. */
	const char *origin = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Origin");
	if (origin) {
		MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
		MHD_add_response_header(resp, "Access-Control-Allow-Credentials", "true");
		MHD_add_response_header(resp, "Vary", "Origin");
	} else {
		MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
	}
}

/* Make `resp` the reply; resume a suspended connection so MHD asks for it. */
static void set_reply(struct httpapi_req *r, unsigned status, struct MHD_Response *resp)
{
	if (r->replied || r->resp || r->aborted) {
		if (resp)
			MHD_destroy_response(resp);
		return;
	}
	if (!resp) {
		/* Out of memory: MHD closes the connection when no response is queued. */
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		status = 500;
		if (!resp)
			return;
	}
	add_cors(r, resp);
	r->resp = resp;
	r->status = status;
	if (r->suspended) {
		r->suspended = false;
		MHD_resume_connection(r->conn);
		/* MHD only notices a resume inside MHD_run: have it run soon. */
		r->h->resumed = true;
		if (r->h->loop)
			loop_call_schedule(r->h->loop, &r->h->kick);
	}
}

static void free_cb(void *p)
{
	r1_free(p);
}

void httpapi_reply_bytes(struct httpapi_req *r, unsigned status, const char *content_type,
                         const void *data, size_t len, const char *const *headers)
{
	void *copy = r1_memdup(len ? data : "", len ? len : 1);
	struct MHD_Response *resp =
	    copy ? MHD_create_response_from_buffer_with_free_callback(len, copy, free_cb) : NULL;
	if (!resp)
		r1_free(copy);
	if (resp) {
		if (content_type)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
		for (size_t i = 0; headers && headers[i] && headers[i + 1]; i += 2)
			MHD_add_response_header(resp, headers[i], headers[i + 1]);
	}
	set_reply(r, status, resp);
}

void httpapi_reply_fd(struct httpapi_req *r, unsigned status, const char *content_type, int fd,
                      uint64_t size, const char *const *headers)
{
	struct MHD_Response *resp = MHD_create_response_from_fd64(size, fd);
	if (!resp) {
		close(fd);
	} else {
		if (content_type)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
		for (size_t i = 0; headers && headers[i] && headers[i + 1]; i += 2)
			MHD_add_response_header(resp, headers[i], headers[i + 1]);
	}
	set_reply(r, status, resp);
}

void httpapi_reply_json(struct httpapi_req *r, unsigned status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(body);
	if (!text) {
		set_reply(r, 500, NULL);
		return;
	}
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer_with_free_callback(strlen(text), text, free_cb);
	if (!resp)
		r1_free(text);
	else
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	set_reply(r, status, resp);
}

static void add_envelope(const struct httpapi *h, json_t *obj)
{
	const char *k;
	json_t *v;
	if (h->envelope)
		json_object_foreach(h->envelope, k, v) json_object_set(obj, k, v);
}

void httpapi_reply_result_with(struct httpapi_req *r, json_t *result, json_t *extra)
{
	json_t *body = json_object();
	if (body && json_object_set_new(body, "result", result ? result : json_null()) == 0) {
		add_envelope(r->h, body);
		if (extra)
			json_object_update(body, extra);
	} else {
		json_decref(body);
		body = NULL;
	}
	json_decref(extra);
	httpapi_reply_json(r, body ? 200 : 500, body);
}

void httpapi_reply_result_text(struct httpapi_req *r, const char *json_text, json_t *extra)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "{\"result\":");
	buf_adds(&b, json_text ? json_text : "null");
	json_t *rest = json_object();
	if (rest) {
		add_envelope(r->h, rest);
		if (extra)
			json_object_update(rest, extra);
	}
	json_decref(extra);
	char *more = rest ? json_dumps(rest, JSON_COMPACT) : NULL;
	json_decref(rest);
	if (!more) {
		buf_release(&b);
		httpapi_reply_json(r, 500, NULL);
		return;
	}
	if (strlen(more) > 2) { /* "{...}": splice the members after result */
		buf_addc(&b, ',');
		buf_add(&b, more + 1, strlen(more) - 2);
	}
	r1_free(more);
	buf_addc(&b, '}');
	size_t len = 0;
	char *text = buf_detach(&b, &len);
	struct MHD_Response *resp =
	    text ? MHD_create_response_from_buffer_with_free_callback(len, text, free_cb) : NULL;
	if (!resp)
		r1_free(text);
	else
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	set_reply(r, resp ? 200 : 500, resp);
}

void httpapi_reply_result(struct httpapi_req *r, json_t *result)
{
	httpapi_reply_result_with(r, result, NULL);
}

void httpapi_reply_error(struct httpapi_req *r, unsigned status, const char *msg)
{
	json_t *detail = json_pack("{s:s,s:I,s:b}", "error", msg ? msg : "", "status_code",
	                           (json_int_t)status, "logged", true);
	if (detail)
		add_envelope(r->h, detail);
	httpapi_reply_json(r, status, detail ? json_pack("{s:o}", "detail", detail) : NULL);
}

void httpapi_reply_invalid(struct httpapi_req *r, const char *type, const char *where,
                           const char *field, const char *msg, json_t *input)
{
	json_t *loc = field ? json_pack("[s,s]", where, field) : json_pack("[s]", where);
	json_t *err = loc ? json_pack("{s:s,s:o,s:s,s:o}", "type", type, "loc", loc, "msg", msg,
	                              "input", input ? input : json_null())
	                  : NULL;
	if (!loc)
		json_decref(input);
	httpapi_reply_json(r, 422, err ? json_pack("{s:[o]}", "detail", err) : NULL);
}

static void reply_detail(struct httpapi_req *r, unsigned status, const char *detail)
{
	httpapi_reply_json(r, status, json_pack("{s:s}", "detail", detail));
}

const json_t *httpapi_json_body(struct httpapi_req *r)
{
	if (r->json)
		return r->json;
	json_error_t err;
	json_t *v = json_loadb(r->body.data ? r->body.data : "", r->body.len,
	                       JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (!v) {
		json_t *e = json_pack("{s:s,s:[s,i],s:s,s:{},s:{s:s}}", "type", "json_invalid",
		                      "loc", "body", err.position, "msg", "JSON decode error",
		                      "input", "ctx", "error", err.text);
		httpapi_reply_json(r, 422, e ? json_pack("{s:[o]}", "detail", e) : NULL);
		return NULL;
	}
	if (!json_is_object(v)) {
		httpapi_reply_invalid(r, "model_attributes_type", "body", NULL,
		                      "Input should be a valid dictionary or object to extract "
		                      "fields from",
		                      v);
		return NULL;
	}
	r->json = v;
	return v;
}

void httpapi_defer(struct httpapi_req *r, void (*on_abort)(void *arg), void *arg)
{
	r->deferred = true;
	r->on_abort = on_abort;
	r->abort_arg = arg;
}

/* ---- MHD callbacks */

static const struct httpapi_route *find_route(const struct httpapi *h, const char *path,
                                              const char *method, bool *path_known)
{
	*path_known = false;
	for (size_t i = 0; i < h->nroutes; i++) {
		if (strcmp(h->routes[i].path, path) != 0)
			continue;
		*path_known = true;
		if (strcmp(h->routes[i].method, method) == 0)
			return &h->routes[i];
	}
	return NULL;
}

static void reply_preflight(struct httpapi_req *r)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(2, (void *)"OK", MHD_RESPMEM_PERSISTENT);
	if (resp) {
		const char *hdrs = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
		                                               "Access-Control-Request-Headers");
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		                        "text/plain; charset=utf-8");
		MHD_add_response_header(resp, "Access-Control-Allow-Methods",
		                        "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT");
		MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
		if (hdrs)
			MHD_add_response_header(resp, "Access-Control-Allow-Headers", hdrs);
	}
	set_reply(r, 200, resp);
}

static enum MHD_Result queue_reply(struct httpapi_req *r)
{
	struct MHD_Response *resp = r->resp;
	r->resp = NULL;
	r->replied = true;
	enum MHD_Result ret = MHD_queue_response(r->conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void dispatch(struct httpapi *h, struct httpapi_req *r)
{
	switch (r->early) {
	case EARLY_PREFLIGHT:
		reply_preflight(r);
		return;
	case EARLY_NOT_FOUND:
		reply_detail(r, 404, "Not Found");
		return;
	case EARLY_BAD_METHOD:
		reply_detail(r, 405, "Method Not Allowed");
		return;
	case EARLY_NONE:
		break;
	}
	if (r->too_big) {
		reply_detail(r, 413, "Request body too large");
		return;
	}
	if (r->route->body_chunk && !r->route->body_chunk(h->ctx, r, "", 0))
		return;
	r->route->fn(h->ctx, r);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
	struct httpapi *h = cls;
	struct httpapi_req *r = *con_cls;
	if (!r) {
		r = r1_calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->h = h;
		r->conn = c;
		r->method = r1_strdup(method);
		r->path = r1_strdup(url);
		if (!r->method || !r->path) {
			req_free(r);
			return MHD_NO;
		}
		bool known;
		r->route = find_route(h, url, method, &known);
		if (!r->route) {
			bool preflight =
			    strcmp(method, "OPTIONS") == 0 &&
			    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin") &&
			    MHD_lookup_connection_value(c, MHD_HEADER_KIND,
			                                "Access-Control-Request-Method");
			r->early = preflight ? EARLY_PREFLIGHT
			           : known   ? EARLY_BAD_METHOD
			                     : EARLY_NOT_FOUND;
		}
		req_link(h, r);
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (r->early || r->too_big)
			return MHD_YES; /* discarded */
		if (r->route->body_chunk) {
			if (!r->route->body_chunk(h->ctx, r, upload, n)) {
				r->too_big = true; /* stop feeding it; the chunk function replied */
				r->dispatched = true;
			}
			return MHD_YES;
		}
		size_t max = r->route->max_body ? r->route->max_body : h->max_body;
		if (r->body.len + n > max) {
			r->too_big = true;
			buf_release(&r->body);
			return MHD_YES;
		}
		buf_add(&r->body, upload, n);
		if (!buf_ok(&r->body))
			return MHD_NO;
		return MHD_YES;
	}
	if (r->resp)
		return queue_reply(r);
	if (r->dispatched)
		return MHD_YES; /* resumed without a reply yet */
	r->dispatched = true;
	dispatch(h, r);
	if (r->resp)
		return queue_reply(r);
	if (r->deferred) {
		r->suspended = true;
		MHD_suspend_connection(c);
		return MHD_YES;
	}
	LOG_E(h->log, h->name, "%s %s: the handler did not reply", r->method, r->path);
	httpapi_reply_error(r, 500, "no reply");
	return r->resp ? queue_reply(r) : MHD_NO;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct httpapi *h = cls;
	struct httpapi_req *r = *con_cls;
	if (!r)
		return;
	*con_cls = NULL;
	req_unlink(h, r);
	if (r->deferred && !r->replied && !r->aborted && r->on_abort) {
		r->aborted = true;
		r->on_abort(r->abort_arg);
	}
	req_free(r);
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
	struct httpapi *h = cls;
	char line[200];
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	LOG_D(h->log, h->name, "%s", line);
}

/* ---- driving from the loop */

static int daemon_fd(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
	return info ? info->epoll_fd : -1;
}

static void on_readable(void *ctx, int fd, unsigned revents)
{
	httpapi_run(ctx);
}

static void on_timer(void *ctx, struct loop_timer *t)
{
	httpapi_run(ctx);
}

static void on_kick(void *ctx)
{
	httpapi_run(ctx);
}

/* Before each poll(): MHD's next deadline (idle timeouts, resumed connections). */
static void rearm(void *ctx)
{
	struct httpapi *h = ctx;
	int64_t t = httpapi_timeout_ms(h);
	if (t < 0)
		loop_timer_stop(h->timer);
	else
		loop_timer_start(h->timer, (uint64_t)t, 0);
}

static enum r1_err attach(struct httpapi *h, struct loop *loop, char **why)
{
	h->loop = loop;
	loop_call_init(&h->kick, on_kick, h);
	for (size_t i = 0; i < h->nd; i++) {
		h->watch[i] = loop_watch_add(loop, daemon_fd(h->d[i]), LOOP_READ, on_readable, h);
		if (!h->watch[i])
			return r1_fail(why, R1_ERR_NOMEM, "http: out of memory");
	}
	h->timer = loop_timer_new(loop, on_timer, h);
	h->hook = loop_hook_add(loop, rearm, h);
	if (!h->timer || !h->hook)
		return r1_fail(why, R1_ERR_NOMEM, "http: out of memory");
	return R1_OK;
}

static void detach(struct httpapi *h)
{
	if (!h->loop)
		return;
	loop_call_cancel(h->loop, &h->kick);
	for (size_t i = 0; i < R1_ARRAY_LEN(h->watch); i++)
		if (h->watch[i])
			loop_watch_remove(h->loop, &h->watch[i]);
	loop_timer_free(&h->timer);
	if (h->hook)
		loop_hook_remove(h->loop, &h->hook);
	h->loop = NULL;
}

/* ---- the server */

/* A numeric address (and port) in ss; false if it is not one. */
static bool sock_addr(const char *addr, uint16_t port, struct sockaddr_storage *ss, bool *v6)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*v6 = false;
		return true;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*v6 = true;
		return true;
	}
	return false;
}

static struct MHD_Daemon *start_daemon(struct httpapi *h, const struct httpapi_config *cfg,
                                       const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	bool v6 = false;
	if (!sock_addr(addr, port, &ss, &v6))
		return NULL;
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (v6)
		flags |= MHD_USE_IPv6;
	return MHD_start_daemon(
	    flags, port, NULL, NULL, on_access, h, MHD_OPTION_EXTERNAL_LOGGER, on_log, h,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
	    h, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)(cfg->max_connections ? cfg->max_connections : 128),
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)(cfg->idle_timeout_s ? cfg->idle_timeout_s : 60), MHD_OPTION_END);
}

enum r1_err httpapi_new(const struct httpapi_config *cfg, const struct httpapi_route *routes,
                        size_t nroutes, void *ctx, struct r1_log *log, struct httpapi **out,
                        char **why)
{
	bool localhost = !cfg->bind || strcmp(cfg->bind, "localhost") == 0;
	const char *bind = localhost ? "127.0.0.1" : cfg->bind;
	struct sockaddr_storage ss;
	bool v6;
	if (!sock_addr(bind, cfg->port, &ss, &v6))
		return r1_fail(why, R1_ERR_INVAL,
		               "http: \"%s\" is not a numeric address (or localhost)", bind);
	struct httpapi *h = r1_calloc(1, sizeof(*h));
	if (!h)
		return r1_fail(why, R1_ERR_NOMEM, "http: out of memory");
	h->routes = routes;
	h->nroutes = nroutes;
	h->ctx = ctx;
	h->log = log;
	h->max_body = cfg->max_body ? cfg->max_body : DEFAULT_MAX_BODY;
	snprintf(h->name, sizeof(h->name), "%s", cfg->name ? cfg->name : "http");
	h->d[0] = start_daemon(h, cfg, bind, cfg->port);
	if (!h->d[0]) {
		int err = errno;
		r1_free(h);
		return r1_fail(why, R1_ERR_IO, "http: cannot listen on %s port %u: %s", bind,
		               cfg->port, err ? strerror(err) : "libmicrohttpd refused");
	}
	h->nd = 1;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d[0], MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : cfg->port;
	/* localhost: ::1 on the same port too; a host without IPv6 keeps 127.0.0.1 alone */
	if (localhost) {
		h->d[1] = start_daemon(h, cfg, "::1", h->port);
		if (h->d[1])
			h->nd = 2;
		else
			LOG_I(log, h->name, "not listening on ::1 port %u: %s", h->port,
			      errno ? strerror(errno) : "libmicrohttpd refused");
	}
	if (cfg->loop) {
		enum r1_err e = attach(h, cfg->loop, why);
		if (e) {
			httpapi_free(&h);
			return e;
		}
	}
	LOG_I(log, h->name, "listening on %s port %u", h->nd == 2 ? "127.0.0.1 and ::1" : bind,
	      h->port);
	*out = h;
	return R1_OK;
}

void httpapi_free(struct httpapi **hp)
{
	struct httpapi *h = *hp;
	if (!h)
		return;
	h->stopping = true;
	detach(h);
	/* Deferred requests learn first, then MHD may close everything. */
	for (struct httpapi_req *r = h->live; r; r = r->next) {
		if (r->deferred && !r->replied && !r->aborted) {
			r->aborted = true;
			if (r->on_abort)
				r->on_abort(r->abort_arg);
		}
		if (r->suspended) {
			r->suspended = false;
			MHD_resume_connection(r->conn);
		}
	}
	for (size_t i = 0; i < h->nd; i++)
		MHD_stop_daemon(h->d[i]);
	/* Requests MHD never completed (it does complete all, but be safe). */
	while (h->live) {
		struct httpapi_req *r = h->live;
		req_unlink(h, r);
		req_free(r);
	}
	json_decref(h->envelope);
	r1_free(h);
	*hp = NULL;
}

uint16_t httpapi_port(const struct httpapi *h)
{
	return h->port;
}

enum r1_err httpapi_set_identity(struct httpapi *h, const struct httpapi_identity *id, char **why)
{
	json_t *env = NULL;
	if (id) {
		env =
		    json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?}", "server_node_addr", id->addr,
		              "evm_network", id->evm_network, "ee_node_alias", id->alias,
		              "ee_node_address", id->addr, "ee_node_eth_address", id->eth_addr,
		              "ee_node_network", id->evm_network, "ee_node_ver", id->version);
		if (!env)
			return r1_fail(why, R1_ERR_NOMEM, "http: out of memory");
	}
	json_decref(h->envelope);
	h->envelope = env;
	return R1_OK;
}


size_t httpapi_fds(const struct httpapi *h, int fds[2])
{
	for (size_t i = 0; i < h->nd; i++)
		fds[i] = daemon_fd(h->d[i]);
	return h->nd;
}

void httpapi_run(struct httpapi *h)
{
	h->resumed = false;
	for (size_t i = 0; i < h->nd; i++)
		MHD_run(h->d[i]);
}

int64_t httpapi_timeout_ms(struct httpapi *h)
{
	if (h->resumed)
		return 0;
	int64_t best = -1;
	for (size_t i = 0; i < h->nd; i++) {
		MHD_UNSIGNED_LONG_LONG t = 0;
		if (MHD_get_timeout(h->d[i], &t) != MHD_YES)
			continue;
		int64_t ms = t > INT64_MAX ? INT64_MAX : (int64_t)t;
		if (best < 0 || ms < best)
			best = ms;
	}
	return best;
}
