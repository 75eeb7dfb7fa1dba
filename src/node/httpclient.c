/*
 * The loopback HTTP client (see httpclient.h): connect, write the request,
 * read until the peer closes or the announced length is in, decode chunks.
 * Every wait is a poll() against one deadline.
 */
#include "node/lib.h"
#include "node/httpclient.h"
#include "core/clock.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>

static enum r1_err wait_fd(int fd, short events, int64_t deadline, char **why)
{
	for (;;) {
		int64_t left = deadline - (int64_t)r1_mono_ms();
		if (left <= 0)
			return r1_fail(why, R1_ERR_TIMEOUT, "http: timed out");
		struct pollfd p = {.fd = fd, .events = events};
		int n = poll(&p, 1, (int)R1_MIN(left, INT32_MAX));
		if (n > 0)
			return R1_OK;
		if (n < 0 && errno != EINTR)
			return r1_fail(why, R1_ERR_IO, "http: poll: %s", strerror(errno));
	}
}

static enum r1_err connect_to(const char *host, uint16_t port, int64_t deadline, int *out,
                              char **why)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t len;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		len = sizeof(*v4);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		len = sizeof(*v6);
	} else {
		return r1_fail(why, R1_ERR_INVAL, "http: \"%s\" is not a numeric address", host);
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return r1_fail(why, R1_ERR_IO, "http: socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		enum r1_err e = r1_fail(why, R1_ERR_IO, "http: connect to %s:%u: %s", host, port,
		                        strerror(errno));
		close(fd);
		return e;
	}
	enum r1_err e = wait_fd(fd, POLLOUT, deadline, why);
	int err = 0;
	socklen_t elen = sizeof(err);
	if (!e && (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err))
		e = r1_fail(why, R1_ERR_IO, "http: connect to %s:%u: %s", host, port,
		            strerror(err ? err : errno));
	if (e) {
		close(fd);
		return e;
	}
	*out = fd;
	return R1_OK;
}

static enum r1_err send_all(int fd, const char *p, size_t n, int64_t deadline, char **why)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return r1_fail(why, R1_ERR_IO, "http: send: %s", strerror(errno));
		enum r1_err e = wait_fd(fd, POLLOUT, deadline, why);
		if (e)
			return e;
	}
	return R1_OK;
}

/* Where the header block ends in raw (offset after "\r\n\r\n"), 0 if not yet. */
static size_t header_end(const struct buf *raw)
{
	const char *p = raw->data ? strstr(raw->data, "\r\n\r\n") : NULL;
	return p ? (size_t)(p - raw->data) + 4 : 0;
}

static const char *find_header(const char *hdrs, size_t hlen, const char *name, size_t *vlen)
{
	size_t nlen = strlen(name);
	const char *line = strstr(hdrs, "\r\n");
	while (line && (size_t)(line - hdrs) < hlen) {
		line += 2;
		if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
			const char *v = line + nlen + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			const char *end = strstr(v, "\r\n");
			*vlen = end ? (size_t)(end - v) : strlen(v);
			return v;
		}
		line = strstr(line, "\r\n");
	}
	return NULL;
}

/* Decode a chunked body from raw (starting at off) into out; false if incomplete. */
static bool dechunk(const char *p, size_t n, struct buf *out, bool *bad)
{
	size_t i = 0;
	for (;;) {
		const char *eol = memmem(p + i, n - i, "\r\n", 2);
		if (!eol)
			return false;
		char *end;
		unsigned long size = strtoul(p + i, &end, 16);
		if (end == p + i) {
			*bad = true;
			return false;
		}
		i = (size_t)(eol - p) + 2;
		if (size == 0)
			return true;
		if (n - i < size + 2)
			return false;
		buf_add(out, p + i, size);
		i += size + 2;
	}
}

enum r1_err httpclient_request(const char *host, uint16_t port, const char *method,
                               const char *target, const char *content_type, const void *body,
                               size_t body_len, int timeout_ms, size_t max_body,
                               struct httpclient_resp *resp, char **why)
{
	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body);
	buf_init(&resp->headers);
	int64_t deadline = (int64_t)r1_mono_ms() + (timeout_ms > 0 ? timeout_ms : 30000);
	int fd = -1;
	enum r1_err e = connect_to(host, port, deadline, &fd, why);
	if (e)
		return e;
	struct buf req = BUF_INIT;
	buf_addf(&req,
	         "%s %s HTTP/1.1\r\nHost: %s:%u\r\nConnection: close\r\n"
	         "Accept: application/json\r\nUser-Agent: r1console\r\n",
	         method, target, host, port);
	if (body) {
		buf_addf(&req, "Content-Type: %s\r\nContent-Length: %zu\r\n",
		         content_type ? content_type : "application/json", body_len);
	}
	buf_adds(&req, "\r\n");
	if (body)
		buf_add(&req, body, body_len);
	if (!buf_ok(&req))
		e = r1_fail(why, R1_ERR_NOMEM, "http: out of memory");
	if (!e)
		e = send_all(fd, req.data, req.len, deadline, why);
	buf_release(&req);

	struct buf raw = BUF_INIT;
	size_t hend = 0;
	bool closed = false;
	while (!e) {
		char chunk[16384];
		ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
		if (n > 0) {
			buf_add(&raw, chunk, (size_t)n);
			if (!buf_ok(&raw))
				e = r1_fail(why, R1_ERR_NOMEM, "http: out of memory");
			else if (raw.len > max_body + 65536)
				e = r1_fail(why, R1_ERR_TOOBIG, "http: response over %zu bytes",
				            max_body);
		} else if (n == 0) {
			closed = true;
		} else if (errno != EAGAIN && errno != EINTR) {
			e = r1_fail(why, R1_ERR_IO, "http: receive: %s", strerror(errno));
			break;
		}
		if (e)
			break;
		if (!hend)
			hend = header_end(&raw);
		if (hend) {
			size_t vlen = 0;
			const char *cl = find_header(raw.data, hend, "Content-Length", &vlen);
			const char *te = find_header(raw.data, hend, "Transfer-Encoding", &vlen);
			bool chunked = te && strncasecmp(te, "chunked", 7) == 0;
			if (chunked) {
				bool bad = false;
				buf_reset(&resp->body);
				if (dechunk(raw.data + hend, raw.len - hend, &resp->body, &bad))
					break;
				if (bad)
					e = r1_fail(why, R1_ERR_PROTO,
					            "http: bad chunked encoding");
			} else if (cl) {
				size_t want = (size_t)strtoull(cl, NULL, 10);
				if (raw.len - hend >= want) {
					buf_reset(&resp->body);
					buf_add(&resp->body, raw.data + hend, want);
					break;
				}
			}
			if (!e && closed) {
				if (chunked || cl) {
					e = r1_fail(why, R1_ERR_PROTO, "http: response cut short");
				} else {
					buf_reset(&resp->body);
					buf_add(&resp->body, raw.data + hend, raw.len - hend);
				}
				break;
			}
		} else if (closed) {
			e = r1_fail(why, R1_ERR_PROTO, "http: connection closed before a response");
		}
		if (!e && !closed && n < 0)
			e = wait_fd(fd, POLLIN, deadline, why);
	}
	close(fd);
	if (!e) {
		int status = 0;
		if (sscanf(raw.data, "HTTP/1.%*d %d", &status) != 1 || status < 100)
			e = r1_fail(why, R1_ERR_PROTO, "http: not an HTTP response");
		resp->status = status;
		size_t vlen = 0;
		const char *ct = find_header(raw.data, hend, "Content-Type", &vlen);
		if (ct)
			snprintf(resp->content_type, sizeof(resp->content_type), "%.*s",
			         (int)R1_MIN(vlen, sizeof(resp->content_type) - 1), ct);
		const char *eol = strstr(raw.data, "\r\n");
		if (eol && (size_t)(eol - raw.data) + 2 <= hend)
			buf_add(&resp->headers, eol + 2, hend - (size_t)(eol - raw.data) - 2);
		if (!buf_ok(&resp->body))
			e = r1_fail(why, R1_ERR_NOMEM, "http: out of memory");
	}
	buf_release(&raw);
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
