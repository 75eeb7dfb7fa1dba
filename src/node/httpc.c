/*
 * The HTTP/1.1 client (see httpc.h).  A non-blocking
 * socket waited on with poll, so every step has the request's timeout; a
 * read buffer from which the head is parsed line by line and the body is
 * served in one of three framings.  The parser accepts only what it needs:
 * a status line, header lines (no obsolete folding), decimal lengths and
 * hex chunk sizes within bounds.  Not here: TLS, redirects, keep-alive,
 * compression (none of which these APIs need).
 */
#include "node/lib.h"
#include "node/httpc.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#define RBUF_SIZE   (64u * 1024u)
#define SEND_CHUNK  (256u * 1024u)
#define HEADERS_MAX 100

enum framing { FRAME_LENGTH, FRAME_CHUNKED, FRAME_CLOSE };

struct header {
	char *name, *value;
};

struct httpc_response {
	int fd;
	int timeout_ms;
	char *peer; /* host:port, for messages */
	int status;
	struct header headers[HEADERS_MAX];
	size_t nheaders;
	size_t head_bytes; /* bytes of head (and trailers) read, against HTTPC_HEADERS_MAX */
	enum framing framing;
	uint64_t left; /* FRAME_LENGTH: body bytes left; FRAME_CHUNKED: of this chunk */
	bool in_chunk; /* FRAME_CHUNKED: inside a chunk's data */
	bool done;     /* the body has ended */
	uint8_t *rbuf; /* bytes received and not yet consumed: rbuf[rpos..rlen) */
	size_t rpos, rlen;
	bool eof;
};

/* ------------------------------------------------------------ URL */

void httpc_url_release(struct httpc_url *u)
{
	r1_free(u->host);
	r1_free(u->port);
	r1_free(u->prefix);
	memset(u, 0, sizeof(*u));
}

enum r1_err httpc_url_parse(const char *url, struct httpc_url *out, char **why)
{
	memset(out, 0, sizeof(*out));
	if (strncmp(url, "http://", 7) != 0)
		return r1_fail(why, R1_ERR_INVAL, "http: '%.100s' is not an http:// URL", url);
	const char *p = url + 7, *end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(end - p)))
		return r1_fail(why, R1_ERR_INVAL, "http: user names in URLs are not supported");
	const char *host = p, *host_end, *port = NULL;
	if (*p == '[') {
		host = p + 1;
		host_end = memchr(host, ']', (size_t)(end - host));
		if (!host_end)
			return r1_fail(why, R1_ERR_INVAL, "http: bad IPv6 address in '%.100s'",
			               url);
		if (host_end + 1 < end && host_end[1] == ':')
			port = host_end + 2;
		else if (host_end + 1 != end)
			return r1_fail(why, R1_ERR_INVAL, "http: bad host in '%.100s'", url);
	} else {
		host_end = memchr(host, ':', (size_t)(end - host));
		if (host_end)
			port = host_end + 1;
		else
			host_end = end;
	}
	if (host_end == host)
		return r1_fail(why, R1_ERR_INVAL, "http: no host in '%.100s'", url);
	size_t port_len = port ? (size_t)(end - port) : 0;
	if (port && (port_len == 0 || port_len > 5 || strspn(port, "0123456789") < port_len ||
	             strtoul(port, NULL, 10) == 0 || strtoul(port, NULL, 10) > 65535))
		return r1_fail(why, R1_ERR_INVAL, "http: bad port in '%.100s'", url);
	if (*end && *end != '/')
		return r1_fail(why, R1_ERR_INVAL, "http: '%.100s' has a query or fragment", url);
	size_t prefix_len = strlen(end);
	while (prefix_len > 0 && end[prefix_len - 1] == '/')
		prefix_len--;
	out->host = r1_strndup(host, (size_t)(host_end - host));
	out->port = port ? r1_strndup(port, port_len) : r1_strdup("80");
	out->prefix = r1_strndup(end, prefix_len);
	if (!out->host || !out->port || !out->prefix) {
		httpc_url_release(out);
		return r1_fail(why, R1_ERR_NOMEM, "http: out of memory");
	}
	return R1_OK;
}

/* ------------------------------------------------------------ socket */

/* Wait until fd is ready for `events`; R1_ERR_TIMEOUT or R1_ERR_IO. */
static enum r1_err wait_fd(int fd, short events, int timeout_ms, const char *peer, char **why)
{
	struct pollfd pfd = {fd, events, 0};
	for (;;) {
		int n = poll(&pfd, 1, timeout_ms);
		if (n > 0)
			return R1_OK;
		if (n == 0)
			return r1_fail(why, R1_ERR_TIMEOUT, "http: %s did not answer within %d ms",
			               peer, timeout_ms);
		if (errno != EINTR)
			return r1_fail(why, R1_ERR_IO, "http: poll: %s", strerror(errno));
	}
}

static enum r1_err connect_to(const struct httpc_url *u, int timeout_ms, const char *peer, int *out,
                              char **why)
{
	struct addrinfo hints = {0}, *res = NULL;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	int rc = getaddrinfo(u->host, u->port, &hints, &res);
	if (rc != 0)
		return r1_fail(why, R1_ERR_IO, "http: cannot resolve %s: %s", u->host,
		               gai_strerror(rc));
	enum r1_err e = R1_ERR_IO;
	int err = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		                ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
			err = errno;
			close(fd);
			continue;
		}
		e = wait_fd(fd, POLLOUT, timeout_ms, peer, why);
		socklen_t len = sizeof(err);
		if (!e && (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0))
			e = R1_ERR_IO;
		if (!e) {
			*out = fd;
			break;
		}
		close(fd);
		if (e == R1_ERR_TIMEOUT)
			break;
	}
	freeaddrinfo(res);
	if (e == R1_ERR_IO)
		return r1_fail(why, R1_ERR_IO, "http: cannot connect to %s: %s", peer,
		               strerror(err ? err : ECONNREFUSED));
	return e;
}

static enum r1_err send_all(int fd, const uint8_t *p, size_t len, int timeout_ms, const char *peer,
                            char **why)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			enum r1_err e = wait_fd(fd, POLLOUT, timeout_ms, peer, why);
			if (e)
				return e;
			continue;
		}
		if (n < 0)
			return r1_fail(why, R1_ERR_IO, "http: sending to %s: %s", peer,
			               strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return R1_OK;
}

/* More bytes into rbuf (compacting it first); r->eof at the end of the stream. */
static enum r1_err fill(struct httpc_response *r, char **why)
{
	if (r->rpos > 0) {
		memmove(r->rbuf, r->rbuf + r->rpos, r->rlen - r->rpos);
		r->rlen -= r->rpos;
		r->rpos = 0;
	}
	if (r->rlen == RBUF_SIZE)
		return R1_OK;
	for (;;) {
		ssize_t n = recv(r->fd, r->rbuf + r->rlen, RBUF_SIZE - r->rlen, 0);
		if (n > 0) {
			r->rlen += (size_t)n;
			return R1_OK;
		}
		if (n == 0) {
			r->eof = true;
			return R1_OK;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return r1_fail(why, R1_ERR_IO, "http: receiving from %s: %s", r->peer,
			               strerror(errno));
		enum r1_err e = wait_fd(r->fd, POLLIN, r->timeout_ms, r->peer, why);
		if (e)
			return e;
	}
}

/*
 * The next CRLF- (or LF-) terminated line, without its end, NUL-terminated
 * in place (valid until the next read).  Counts against the head budget
 * when `head` is set.
 */
static enum r1_err read_line(struct httpc_response *r, bool head, char **line, char **why)
{
	for (;;) {
		uint8_t *start = r->rbuf + r->rpos;
		uint8_t *nl = memchr(start, '\n', r->rlen - r->rpos);
		if (nl) {
			size_t len = (size_t)(nl - start);
			if (len > HTTPC_LINE_MAX)
				return r1_fail(why, R1_ERR_PROTO,
				               "http: a line from %s is too long", r->peer);
			r->rpos += len + 1;
			if (head && (r->head_bytes += len + 1) > HTTPC_HEADERS_MAX)
				return r1_fail(why, R1_ERR_PROTO,
				               "http: %s sent more than %u bytes of headers",
				               r->peer, HTTPC_HEADERS_MAX);
			if (len > 0 && start[len - 1] == '\r')
				len--;
			start[len] = '\0';
			if (memchr(start, '\0', len))
				return r1_fail(why, R1_ERR_PROTO, "http: NUL in a line from %s",
				               r->peer);
			*line = (char *)start;
			return R1_OK;
		}
		if (r->rlen - r->rpos > HTTPC_LINE_MAX)
			return r1_fail(why, R1_ERR_PROTO, "http: a line from %s is too long",
			               r->peer);
		if (r->eof)
			return r1_fail(why, R1_ERR_PROTO, "http: %s closed the connection mid-line",
			               r->peer);
		enum r1_err e = fill(r, why);
		if (e)
			return e;
	}
}

/* "Name: value" into the header list (shared by headers and trailers). */
static enum r1_err add_header(struct httpc_response *r, char *line, char **why)
{
	char *colon = strchr(line, ':');
	if (!colon || colon == line || line[0] == ' ' || line[0] == '\t')
		return r1_fail(why, R1_ERR_PROTO, "http: malformed header line from %s", r->peer);
	if (r->nheaders == HEADERS_MAX)
		return r1_fail(why, R1_ERR_PROTO, "http: too many headers from %s", r->peer);
	*colon = '\0';
	char *value = colon + 1;
	value += strspn(value, " \t");
	size_t vl = strlen(value);
	while (vl > 0 && (value[vl - 1] == ' ' || value[vl - 1] == '\t'))
		value[--vl] = '\0';
	struct header *h = &r->headers[r->nheaders];
	h->name = r1_strdup(line);
	h->value = r1_strdup(value);
	if (!h->name || !h->value) {
		r1_free(h->name);
		r1_free(h->value);
		return r1_fail(why, R1_ERR_NOMEM, "http: out of memory");
	}
	r->nheaders++;
	return R1_OK;
}

const char *httpc_header(const struct httpc_response *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

const char *httpc_header_at(const struct httpc_response *r, size_t i, const char **value)
{
	if (i >= r->nheaders)
		return NULL;
	*value = r->headers[i].value;
	return r->headers[i].name;
}

int httpc_status(const struct httpc_response *r)
{
	return r->status;
}

void httpc_response_free(struct httpc_response **rp)
{
	struct httpc_response *r = *rp;
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	for (size_t i = 0; i < r->nheaders; i++) {
		r1_free(r->headers[i].name);
		r1_free(r->headers[i].value);
	}
	r1_free(r->rbuf);
	r1_free(r->peer);
	r1_free(r);
	*rp = NULL;
}

static bool token_in(const char *list, const char *token)
{
	size_t tl = strlen(token);
	for (const char *p = list; p && *p;) {
		p += strspn(p, " \t,");
		size_t n = strcspn(p, ",");
		size_t m = n;
		while (m > 0 && (p[m - 1] == ' ' || p[m - 1] == '\t'))
			m--;
		if (m == tl && strncasecmp(p, token, tl) == 0)
			return true;
		p += n;
	}
	return false;
}

static enum r1_err read_head(struct httpc_response *r, char **why)
{
	char *line = NULL;
	enum r1_err e;
	do { /* a 100 Continue is followed by the real status */
		if ((e = read_line(r, true, &line, why)))
			return e;
		int major = 0, minor = 0, status = 0, used = 0;
		if (sscanf(line, "HTTP/%d.%d %3d%n", &major, &minor, &status, &used) != 3 ||
		    major != 1 || status < 100 || status > 599 ||
		    (line[used] != '\0' && line[used] != ' '))
			return r1_fail(why, R1_ERR_PROTO, "http: %s sent a bad status line",
			               r->peer);
		r->status = status;
		for (;;) {
			if ((e = read_line(r, true, &line, why)))
				return e;
			if (!*line)
				break;
			if (r->status >= 200 && (e = add_header(r, line, why)))
				return e;
		}
	} while (r->status >= 100 && r->status < 200);
	const char *te = httpc_header(r, "Transfer-Encoding");
	const char *cl = httpc_header(r, "Content-Length");
	if (te) {
		if (!token_in(te, "chunked"))
			return r1_fail(why, R1_ERR_PROTO,
			               "http: unsupported Transfer-Encoding '%.40s'", te);
		r->framing = FRAME_CHUNKED;
	} else if (cl) {
		size_t n = strlen(cl);
		if (n == 0 || n > 19 || strspn(cl, "0123456789") != n)
			return r1_fail(why, R1_ERR_PROTO, "http: bad Content-Length '%.40s'", cl);
		r->framing = FRAME_LENGTH;
		r->left = strtoull(cl, NULL, 10);
		r->done = r->left == 0;
	} else {
		r->framing = FRAME_CLOSE;
	}
	if (r->status == 204 || r->status == 304)
		r->done = true;
	return R1_OK;
}

/* ------------------------------------------------------------ request */

enum r1_err httpc_send(const struct httpc_url *url, const struct httpc_request *req,
                       struct httpc_response **out, char **why)
{
	*out = NULL;
	struct httpc_response *r = r1_calloc(1, sizeof(*r));
	struct buf peer = BUF_INIT, head = BUF_INIT;
	if (!r)
		return r1_fail(why, R1_ERR_NOMEM, "http: out of memory");
	r->fd = -1;
	r->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : 30000;
	bool v6 = strchr(url->host, ':') != NULL;
	buf_addf(&peer, v6 ? "[%s]:%s" : "%s:%s", url->host, url->port);
	r->peer = buf_detach(&peer, NULL);
	r->rbuf = r1_malloc(RBUF_SIZE);
	enum r1_err e =
	    r->peer && r->rbuf ? R1_OK : r1_fail(why, R1_ERR_NOMEM, "http: out of memory");
	if (!e)
		e = connect_to(url, r->timeout_ms, r->peer, &r->fd, why);
	if (!e) {
		buf_addf(&head, "%s %s%s HTTP/1.1\r\nHost: %s%s%s:%s\r\n", req->method, url->prefix,
		         req->target, v6 ? "[" : "", url->host, v6 ? "]" : "", url->port);
		buf_adds(&head, "User-Agent: r1console\r\nAccept: */*\r\nConnection: close\r\n");
		if (req->content_type)
			buf_addf(&head, "Content-Type: %s\r\nContent-Length: %" PRIu64 "\r\n",
			         req->content_type, req->content_length);
		else if (strcmp(req->method, "POST") == 0)
			buf_adds(&head, "Content-Length: 0\r\n");
		buf_adds(&head, "\r\n");
		e = buf_ok(&head) ? send_all(r->fd, (const uint8_t *)head.data, head.len,
		                             r->timeout_ms, r->peer, why)
		                  : r1_fail(why, R1_ERR_NOMEM, "http: out of memory");
	}
	if (!e && req->content_type && req->data)
		e = send_all(r->fd, req->data, (size_t)req->content_length, r->timeout_ms, r->peer,
		             why);
	if (!e && req->content_type && !req->data && req->body) {
		uint8_t *chunk = r1_malloc(SEND_CHUNK);
		uint64_t sent = 0;
		if (!chunk)
			e = r1_fail(why, R1_ERR_NOMEM, "http: out of memory");
		while (!e) {
			size_t n = 0;
			e = req->body(req->body_ctx, chunk, SEND_CHUNK, &n, why);
			if (e || n == 0)
				break;
			if (sent + n > req->content_length) {
				e = r1_fail(why, R1_ERR_STATE,
				            "http: request body longer than declared");
				break;
			}
			e = send_all(r->fd, chunk, n, r->timeout_ms, r->peer, why);
			sent += n;
		}
		if (!e && sent != req->content_length)
			e = r1_fail(why, R1_ERR_STATE,
			            "http: request body of %" PRIu64 " bytes, %" PRIu64 " declared",
			            sent, req->content_length);
		r1_free(chunk);
	}
	if (!e)
		e = read_head(r, why);
	buf_release(&head);
	if (e) {
		httpc_response_free(&r);
		return e;
	}
	*out = r;
	return R1_OK;
}

/* ------------------------------------------------------------ body */

/* Bytes available in rbuf, filling it when empty; false at the end of the stream. */
static enum r1_err available(struct httpc_response *r, size_t *n, char **why)
{
	if (r->rpos == r->rlen && !r->eof) {
		enum r1_err e = fill(r, why);
		if (e)
			return e;
	}
	*n = r->rlen - r->rpos;
	return R1_OK;
}

static enum r1_err next_chunk(struct httpc_response *r, char **why)
{
	char *line;
	enum r1_err e = read_line(r, false, &line, why);
	if (e)
		return e;
	size_t digits = strspn(line, "0123456789abcdefABCDEF");
	if (digits == 0 || digits > 15 ||
	    (line[digits] && line[digits] != ';' && line[digits] != ' '))
		return r1_fail(why, R1_ERR_PROTO, "http: bad chunk size from %s", r->peer);
	r->left = strtoull(line, NULL, 16);
	if (r->left > 0) {
		r->in_chunk = true;
		return R1_OK;
	}
	for (;;) { /* the trailers: errors met mid-stream come here */
		if ((e = read_line(r, true, &line, why)))
			return e;
		if (!*line)
			break;
		if ((e = add_header(r, line, why)))
			return e;
	}
	r->done = true;
	return R1_OK;
}

enum r1_err httpc_read(struct httpc_response *r, uint8_t *buf, size_t cap, size_t *n, char **why)
{
	*n = 0;
	enum r1_err e;
	while (!r->done && cap > 0) {
		if (r->framing == FRAME_CHUNKED && !r->in_chunk) {
			if ((e = next_chunk(r, why)))
				return e;
			continue;
		}
		size_t avail;
		if ((e = available(r, &avail, why)))
			return e;
		if (avail == 0) {
			if (r->framing == FRAME_CLOSE) {
				r->done = true;
				break;
			}
			return r1_fail(why, R1_ERR_PROTO, "http: %s closed the connection mid-body",
			               r->peer);
		}
		size_t take = R1_MIN(avail, cap);
		if (r->framing != FRAME_CLOSE)
			take = (size_t)R1_MIN((uint64_t)take, r->left);
		memcpy(buf, r->rbuf + r->rpos, take);
		r->rpos += take;
		*n = take;
		if (r->framing != FRAME_CLOSE) {
			r->left -= take;
			if (r->left == 0 && r->framing == FRAME_LENGTH)
				r->done = true;
			if (r->left == 0 && r->framing == FRAME_CHUNKED) {
				char *crlf;
				r->in_chunk = false;
				if ((e = read_line(r, false, &crlf, why)))
					return e;
				if (*crlf)
					return r1_fail(why, R1_ERR_PROTO,
					               "http: chunk from %s not followed by CRLF",
					               r->peer);
			}
		}
		return R1_OK;
	}
	return R1_OK;
}

enum r1_err httpc_read_all(struct httpc_response *r, size_t max, struct buf *out, char **why)
{
	uint8_t chunk[16384];
	for (;;) {
		size_t n = 0;
		enum r1_err e = httpc_read(r, chunk, sizeof(chunk), &n, why);
		if (e)
			return e;
		if (n == 0)
			return buf_ok(out) ? R1_OK
			                   : r1_fail(why, R1_ERR_NOMEM, "http: out of memory");
		if (out->len + n > max)
			return r1_fail(why, R1_ERR_TOOBIG, "http: the answer exceeds %zu bytes",
			               max);
		buf_add(out, chunk, n);
	}
}
