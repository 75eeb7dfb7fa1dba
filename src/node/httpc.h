#ifndef R1_NODE_HTTPC_H
#define R1_NODE_HTTPC_H
/*
 * The one HTTP/1.1 client, over plain sockets: enough for an IPFS node's
 * RPC API (r1fs/ipfs.c) and for a node's own APIs on loopback (the CLI,
 * through httpclient.h): one request per connection (Connection: close), a request body
 * given whole or produced piece by piece (a multipart upload streams
 * through it with a Content-Length computed in advance), a response read
 * as a stream whether it comes with Content-Length, chunked (with its
 * trailers, where kubo and js-ipfs report errors met mid-stream) or until
 * the connection closes.  Every wait on the socket is bounded by the
 * request's timeout, and every header, line and chunk size by a cap; what
 * the server sends is treated as hostile.  http:// only (these APIs are
 * reached on loopback or a private network; TLS would be a proxy's job).
 *
 * Not thread safe per object; separate requests may run on separate
 * threads.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"

/* Bounds on what a server may send before the body. */
#define HTTPC_HEADERS_MAX (64u * 1024u)
#define HTTPC_LINE_MAX    (8u * 1024u)

struct httpc_url {
	char *host;   /* without brackets for IPv6 */
	char *port;   /* "80" when absent */
	char *prefix; /* path before the API's own ("" or "/base"), no trailing slash */
};

/*
 * Parse "http://host[:port][/prefix]".  R1_ERR_INVAL (https, userinfo, a
 * bad port or host), R1_ERR_NOMEM.  Release with httpc_url_release.
 */
enum r1_err httpc_url_parse(const char *url, struct httpc_url *out, char **why);
void httpc_url_release(struct httpc_url *u);

/* Produces the request body: up to cap bytes into buf, *n = 0 when done. */
typedef enum r1_err (*httpc_body_fn)(void *ctx, uint8_t *buf, size_t cap, size_t *n, char **why);

struct httpc_request {
	const char *method; /* "POST", "GET" */
	const char *target; /* path and query, already percent-encoded; the URL prefix goes first */
	const char *content_type; /* NULL: no body */
	uint64_t content_length;  /* exactly what body (or data) produces */
	const void *data;         /* a body given whole, or NULL to use `body` */
	httpc_body_fn body;
	void *body_ctx;
	int timeout_ms; /* bound on every wait for the socket (connect, send, receive) */
};

struct httpc_response;

/*
 * Connect, send the request and read the status line and headers.  The
 * body is then read with httpc_read.  Errors: R1_ERR_IO (connect, send,
 * receive; the reason names the address), R1_ERR_TIMEOUT, R1_ERR_PROTO (a
 * malformed or oversized response head), the body producer's errors,
 * R1_ERR_NOMEM.  *out is owned by the caller (httpc_response_free).
 */
enum r1_err httpc_send(const struct httpc_url *url, const struct httpc_request *req,
                       struct httpc_response **out, char **why);
void httpc_response_free(struct httpc_response **r);

int httpc_status(const struct httpc_response *r);
/* First header (or, after the end of the body, trailer) of that name, case-insensitive; NULL if
 * none. */
const char *httpc_header(const struct httpc_response *r, const char *name);
/* Header i (0, 1, ... in the order received) and its value; NULL past the last. */
const char *httpc_header_at(const struct httpc_response *r, size_t i, const char **value);

/*
 * Up to cap body bytes into buf; *n = 0 at the end of the body, after which
 * the trailers are known.  R1_ERR_IO, R1_ERR_TIMEOUT, R1_ERR_PROTO (bad
 * chunk framing, a body cut short).
 */
enum r1_err httpc_read(struct httpc_response *r, uint8_t *buf, size_t cap, size_t *n, char **why);
/* The whole (rest of the) body into out; R1_ERR_TOOBIG past max bytes. */
enum r1_err httpc_read_all(struct httpc_response *r, size_t max, struct buf *out, char **why);

#endif
