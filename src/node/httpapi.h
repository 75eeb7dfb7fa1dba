#ifndef R1_NODE_HTTPAPI_H
#define R1_NODE_HTTPAPI_H
/*
 * The node's app-facing HTTP servers (CStore on 31234, R1FS on 31235): a
 * small libmicrohttpd server driven from the node's poll loop, with the
 * conventions of the reference's FastAPI servers that the official clients
 * rely on (reference/edge-sdk-ts.md):
 *
 *  - success: 200 {"result": <value>, + the node's envelope fields
 *    (server_node_addr, ee_node_alias, ...)};
 *  - errors in FastAPI's shapes: 422 {"detail": [{"type": "missing",
 *    "loc": ["query", "key"], "msg": "Field required", ...}]} for bad
 *    parameters, 404 {"detail": "Not Found"}, 405 {"detail": "Method Not
 *    Allowed"}, 500 {"detail": {"error": ..., "status_code": 500,
 *    "logged": true, + envelope}};
 *  - query strings form-decoded ('+' is a space), the last of repeated
 *    parameters wins; JSON bodies; CORS for browser clients (preflights
 *    answered, Access-Control-Allow-Origin on every response).
 *
 * Handlers run on the loop thread.  A handler replies at once or defers:
 * the connection is suspended until a reply function is called from a later
 * callback (a CStore write waiting for its confirmations).  Uploads can be
 * streamed to the route chunk by chunk instead of buffered, and replies can
 * be bytes of any type or a file descriptor (R1FS downloads).
 *
 * Driving: MHD runs in external epoll mode, so the fds of httpapi_fds (one
 * per listening address) read-watched and one deadline (httpapi_timeout_ms)
 * drive it.  Given a loop in the config, the server installs those watches,
 * a timer and a before-poll hook that re-arms the timer itself; otherwise
 * the owner calls httpapi_run when an fd is readable or the deadline
 * passed.  Listens on localhost (127.0.0.1 and, where the host has IPv6,
 * ::1 on the same port) unless told one numeric address.
 */
#include "core/common.h"
#include "core/err.h"
#include "core/log.h"

#include <jansson.h>

struct httpapi;
struct httpapi_req;

typedef void (*httpapi_fn)(void *ctx, struct httpapi_req *req);
/*
 * A streamed body chunk (data, len); called with len 0 once at the end,
 * before the handler.  Return false to stop the upload: the handler is not
 * called, and the chunk function must have replied (e.g. 413).
 */
typedef bool (*httpapi_chunk_fn)(void *ctx, struct httpapi_req *req, const char *data, size_t len);

struct httpapi_route {
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* exact: "/get_status" */
	httpapi_fn fn;
	size_t max_body;             /* buffered bodies; 0 = the server's limit */
	httpapi_chunk_fn body_chunk; /* NULL = buffer the body */
	const char *arg;             /* for a handler that serves several routes */
};

struct loop;

struct httpapi_config {
	struct loop *loop;        /* drive from this loop (else the owner calls httpapi_run) */
	const char *bind;         /* numeric address; NULL or "localhost" = 127.0.0.1 and ::1 */
	uint16_t port;            /* 0 = any free port (see httpapi_port) */
	size_t max_body;          /* 0 = 4 MiB */
	unsigned max_connections; /* 0 = 128 */
	unsigned idle_timeout_s;  /* 0 = 60 */
	const char *name;         /* for log lines: "cstore-api" */
};

/*
 * Listen.  Routes are borrowed (a static table); ctx goes to handlers.
 * Errors: R1_ERR_INVAL (bad bind address), R1_ERR_IO (the port is taken:
 * the reason says which), NOMEM.
 */
enum r1_err httpapi_new(const struct httpapi_config *cfg, const struct httpapi_route *routes,
                        size_t nroutes, void *ctx, struct r1_log *log, struct httpapi **out,
                        char **why);
/* Stop: deferred requests get their on_abort first.  NULLs *h. */
void httpapi_free(struct httpapi **h);
uint16_t httpapi_port(const struct httpapi *h);

/* Who the node is, for the envelope of the reference's APIs (any field may be NULL). */
struct httpapi_identity {
	const char *addr;        /* server_node_addr, ee_node_address */
	const char *alias;       /* ee_node_alias */
	const char *eth_addr;    /* ee_node_eth_address */
	const char *evm_network; /* evm_network, ee_node_network */
	const char *version;     /* ee_node_ver */
};

/*
 * The fields the reference's CStore and R1FS APIs add next to "result"
 * (and into 500 details), from `id`; NULL id: none.  NOMEM.
 */
enum r1_err httpapi_set_identity(struct httpapi *h, const struct httpapi_identity *id, char **why);

/* ---- driving */
/* The fds to read-watch, one per listening address; returns how many (1 or 2). */
size_t httpapi_fds(const struct httpapi *h, int fds[2]);
void httpapi_run(struct httpapi *h);
/*
 * Milliseconds until httpapi_run must be called anyway; -1 = no deadline.
 * 0 after a deferred reply (MHD notices resumed connections only in run).
 */
int64_t httpapi_timeout_ms(struct httpapi *h);

/* ---- reading a request (pointers valid until the reply) */
const char *httpapi_method(const struct httpapi_req *r);
const char *httpapi_path(const struct httpapi_req *r);
/* The `arg` of the route that took the request. */
const char *httpapi_route_arg(const struct httpapi_req *r);
/*
 * A query parameter, form-decoded; NULL when absent.  *bad (may be NULL)
 * is set when the value holds a NUL byte or is not UTF-8.
 */
const char *httpapi_query(const struct httpapi_req *r, const char *name, bool *bad);
/* A request header (case-insensitive), or NULL. */
const char *httpapi_header(const struct httpapi_req *r, const char *name);
const char *httpapi_body(const struct httpapi_req *r, size_t *len);
/*
 * The body as a JSON object (owned by the request).  On failure the 422
 * FastAPI gives (json_invalid, or model_attributes_type for a non-object)
 * has been sent and NULL is returned: the handler just returns.
 */
const json_t *httpapi_json_body(struct httpapi_req *r);
/* Per-request user data for deferred handlers. */
void httpapi_set_data(struct httpapi_req *r, void *data);
void *httpapi_get_data(const struct httpapi_req *r);

/* ---- replying: exactly one reply per request, after which r is gone */

/* 200 {"result": result, + envelope}; result stolen, NULL = null. */
void httpapi_reply_result(struct httpapi_req *r, json_t *result);
/* 200 with extra top-level fields (stolen, may be NULL) beside result. */
void httpapi_reply_result_with(struct httpapi_req *r, json_t *result, json_t *extra);
/*
 * 200 {"result": <text>, + envelope} where text is JSON already (copied
 * as it is: stored values go out byte for byte); extra as above.
 */
void httpapi_reply_result_text(struct httpapi_req *r, const char *json_text, json_t *extra);
/* Any status with a JSON body (stolen). */
void httpapi_reply_json(struct httpapi_req *r, unsigned status, json_t *body);
/* status {"detail": {"error": msg, "status_code": status, "logged": true, + envelope}} */
void httpapi_reply_error(struct httpapi_req *r, unsigned status, const char *msg);
/*
 * 422 with one FastAPI validation error: type "missing" (msg "Field
 * required") or "string_type" / "list_type" / ...; where is "query" or
 * "body"; input (stolen, may be NULL = null) is what was given.
 */
void httpapi_reply_invalid(struct httpapi_req *r, const char *type, const char *where,
                           const char *field, const char *msg, json_t *input);
/* Raw bytes (copied) with a content type and extra headers ({name, value, ..., NULL}). */
void httpapi_reply_bytes(struct httpapi_req *r, unsigned status, const char *content_type,
                         const void *data, size_t len, const char *const *headers);
/* `size` bytes of an open file (the server closes fd). */
void httpapi_reply_fd(struct httpapi_req *r, unsigned status, const char *content_type, int fd,
                      uint64_t size, const char *const *headers);

/*
 * Keep the request open after the handler returns; reply later.  on_abort
 * (may be NULL) is called instead when the server goes away first; after
 * it, r must not be used.
 */
void httpapi_defer(struct httpapi_req *r, void (*on_abort)(void *arg), void *arg);

#endif
