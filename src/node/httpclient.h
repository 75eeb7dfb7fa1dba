#ifndef R1_NODE_HTTPCLIENT_H
#define R1_NODE_HTTPCLIENT_H
/*
 * One blocking request to a node's own HTTP APIs (the CLI's `cstore`
 * command, tests), the whole response in one struct: a convenience over
 * httpc.h, the HTTP client, for answers that fit in memory.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"

struct httpclient_resp {
	int status;
	char content_type[128];
	struct buf headers; /* "Name: value\r\n" lines as received, then "\r\n" */
	struct buf body;    /* NUL-terminated */
};

/*
 * Send `method` `target` (path and query) to host:port, with a body of
 * `content_type` (NULL: application/json) when body is not NULL.  Every
 * wait on the socket is bounded by timeout_ms (<= 0: 30 s).  *resp is
 * filled (release with httpclient_resp_release).  Errors: R1_ERR_IO
 * (resolve, connect, send, receive), R1_ERR_TIMEOUT, R1_ERR_PROTO (not
 * HTTP), R1_ERR_TOOBIG (a body over max_body), NOMEM.
 */
enum r1_err httpclient_request(const char *host, uint16_t port, const char *method,
                               const char *target, const char *content_type, const void *body,
                               size_t body_len, int timeout_ms, size_t max_body,
                               struct httpclient_resp *resp, char **why);
void httpclient_resp_release(struct httpclient_resp *resp);

/*
 * Append "name=value" to a query string being built in q ('&' first unless q
 * is empty), form-encoded as URLSearchParams does: space as '+', ASCII
 * letters, digits and "*-._" kept, every other byte as %XX.
 */
void httpclient_query_add(struct buf *q, const char *name, const char *value);

#endif
