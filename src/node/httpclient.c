/*
 * One whole request to a node's own HTTP API (see httpclient.h), on top of
 * the HTTP client (httpc.h): the response head and body gathered into one
 * struct, and the form-encoded query strings of those APIs.
 */
#include "node/lib.h"
#include "node/httpclient.h"
#include "node/httpc.h"

enum r1_err httpclient_request(const char *host, uint16_t port, const char *method,
                               const char *target, const char *content_type, const void *body,
                               size_t body_len, int timeout_ms, size_t max_body,
                               struct httpclient_resp *resp, char **why)
{
	memset(resp, 0, sizeof(*resp));
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	/* httpc only reads the URL: the casts lend it our strings */
	struct httpc_url url = {(char *)host, portstr, (char *)""};
	struct httpc_request req = {
	    .method = method,
	    .target = target,
	    .content_type = body ? (content_type ? content_type : "application/json") : NULL,
	    .content_length = body ? body_len : 0,
	    .data = body,
	    .timeout_ms = timeout_ms > 0 ? timeout_ms : 30000,
	};
	struct httpc_response *r = NULL;
	enum r1_err e = httpc_send(&url, &req, &r, why);
	if (!e)
		e = httpc_read_all(r, max_body, &resp->body, why);
	if (!e) {
		resp->status = httpc_status(r);
		const char *ct = httpc_header(r, "Content-Type");
		if (ct)
			snprintf(resp->content_type, sizeof(resp->content_type), "%s", ct);
		const char *name, *value;
		for (size_t i = 0; (name = httpc_header_at(r, i, &value)) != NULL; i++)
			buf_addf(&resp->headers, "%s: %s\r\n", name, value);
		buf_adds(&resp->headers, "\r\n");
		if (!buf_ok(&resp->headers) || !buf_ok(&resp->body))
			e = r1_fail(why, R1_ERR_NOMEM, "http: out of memory");
	}
	httpc_response_free(&r);
	if (e)
		httpclient_resp_release(resp);
	return e;
}

void httpclient_resp_release(struct httpclient_resp *resp)
{
	buf_release(&resp->body);
	buf_release(&resp->headers);
	resp->status = 0;
	resp->content_type[0] = '\0';
}

void httpclient_query_add(struct buf *q, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	if (q->len)
		buf_addc(q, '&');
	for (int part = 0; part < 2; part++) {
		const unsigned char *s = (const unsigned char *)(part ? value : name);
		for (; *s; s++) {
			unsigned char c = *s;
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '*' || c == '-' || c == '.' ||
			    c == '_') {
				buf_addc(q, (char)c);
			} else if (c == ' ') {
				buf_addc(q, '+');
			} else {
				char e[3] = {'%', hex[c >> 4], hex[c & 15]};
				buf_add(q, e, 3);
			}
		}
		if (!part)
			buf_addc(q, '=');
	}
}
