/*
 * The IPFS backend's HTTP client and RPC parsing against a fake server on
 * 127.0.0.1 that answers each connection with canned bytes: URL parsing,
 * the request as sent (head, streamed body with its declared length), the
 * three body framings, trailers, the bounds (head size, line length, read
 * caps), timeouts, refusals and malformed answers; then the RPC layer's
 * reading of add, pin and error answers in both kubo's and js-ipfs's
 * dialects; then R1FS's get through an IPFS backend that serves the right
 * blocks but altered file bytes.
 */
#include "node/lib.h"
#include "node/httpc.h"
#include "node/r1fs/ipfs.h"
#include "node/r1fs/r1fs.h"
#include "tests/tap.h"

#include "core/db.h"
#include "core/hash.h"

#include <dirent.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

/* ------------------------------------------------------------ fake server */

struct fake {
	int lfd;
	int port;
	const char *answer; /* sent after the request arrived */
	size_t answer_len;
	const struct buf *script; /* or: one answer per connection, in order */
	size_t nscript;
	bool hang; /* never answer */
	struct buf request;
	pthread_t thread;
};

/* Read what the client sends until it has been quiet for 200 ms or closed. */
static void read_request(int fd, struct buf *req)
{
	char chunk[65536];
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 200) <= 0)
			return;
		ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
		if (n <= 0)
			return;
		buf_add(req, chunk, (size_t)n);
	}
}

static void send_all_to(int fd, const char *p, size_t len)
{
	for (size_t at = 0; at < len;) {
		ssize_t n = send(fd, p + at, len - at, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		at += (size_t)n;
	}
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	for (size_t i = 0; i < f->nscript; i++) {
		int fd = accept(f->lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		read_request(fd, &f->request);
		send_all_to(fd, f->script[i].data, f->script[i].len);
		close(fd);
	}
	if (f->script)
		return NULL;
	int fd = accept(f->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	read_request(fd, &f->request);
	if (f->hang) {
		char c;
		while (recv(fd, &c, 1, 0) > 0) /* until the client gives up */
			;
	} else {
		for (size_t at = 0; at < f->answer_len;) {
			ssize_t n = send(fd, f->answer + at, f->answer_len - at, MSG_NOSIGNAL);
			if (n <= 0)
				break;
			at += (size_t)n;
		}
	}
	close(fd);
	return NULL;
}

static void fake_listen(struct fake *f)
{
	f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof(a);
	if (bind(f->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(f->lfd, 4) != 0 ||
	    getsockname(f->lfd, (struct sockaddr *)&a, &al) != 0)
		tap_bail("fake server: %s", strerror(errno));
	f->port = ntohs(a.sin_port);
	pthread_create(&f->thread, NULL, fake_main, f);
}

static void fake_start(struct fake *f, const char *answer, size_t len)
{
	memset(f, 0, sizeof(*f));
	buf_init(&f->request);
	f->answer = answer;
	f->answer_len = len;
	fake_listen(f);
}

/* Answer n connections in turn. */
static void fake_script(struct fake *f, const struct buf *answers, size_t n)
{
	memset(f, 0, sizeof(*f));
	buf_init(&f->request);
	f->script = answers;
	f->nscript = n;
	fake_listen(f);
}

/* Wait for the connection to end; f->request stays (buf_release it). */
static void fake_stop(struct fake *f)
{
	pthread_join(f->thread, NULL);
	close(f->lfd);
}

static struct httpc_url url_of(const struct fake *f)
{
	char text[64];
	snprintf(text, sizeof(text), "http://127.0.0.1:%d", f->port);
	struct httpc_url u;
	if (httpc_url_parse(text, &u, NULL) != R1_OK)
		tap_bail("url");
	return u;
}

/* One GET against a canned answer: status, whole body (cap), error. */
static enum r1_err fetch(const char *answer, size_t len, size_t cap, int *status, struct buf *body,
                         char **why, struct httpc_response **keep)
{
	struct fake f;
	fake_start(&f, answer, len);
	struct httpc_url u = url_of(&f);
	struct httpc_request req = {"GET", "/x", NULL, 0, NULL, NULL, NULL, 2000};
	struct httpc_response *rsp = NULL;
	enum r1_err e = httpc_send(&u, &req, &rsp, why);
	*status = rsp ? httpc_status(rsp) : 0;
	if (!e)
		e = httpc_read_all(rsp, cap, body, why);
	if (keep)
		*keep = rsp;
	else
		httpc_response_free(&rsp);
	httpc_url_release(&u);
	fake_stop(&f);
	buf_release(&f.request);
	return e;
}

/* The call runs before the message is built, so the message can show the reason it set. */
#define is_err(call, want, ...)                                                                    \
	do {                                                                                       \
		enum r1_err got_ = (call);                                                         \
		is_int(got_, want, __VA_ARGS__);                                                   \
	} while (0)

#define FETCH(answer, cap, status, body, why)                                                      \
	fetch(answer, strlen(answer), cap, status, body, why, NULL)

/* ------------------------------------------------------------ tests */

static void test_urls(void)
{
	static const char *const bad[] = {
	    "",
	    "https://127.0.0.1:5001",
	    "http://",
	    "http://:5001",
	    "http://h:0",
	    "http://h:65536",
	    "http://h:",
	    "http://h:12a",
	    "http://user@h:1",
	    "http://[::1",
	    "http://h:1?q=1",
	    "ftp://h",
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(bad); i++) {
		struct httpc_url u;
		char *why = NULL;
		is_err(httpc_url_parse(bad[i], &u, &why), R1_ERR_INVAL, "URL refused: '%s' (%s)",
		       bad[i], why ? why : "");
		r1_free(why);
	}
	struct httpc_url u;
	is_int(httpc_url_parse("http://127.0.0.1:5002", &u, NULL), R1_OK, "plain URL");
	ok(strcmp(u.host, "127.0.0.1") == 0 && strcmp(u.port, "5002") == 0 && !*u.prefix,
	   "host, port, no prefix");
	httpc_url_release(&u);
	is_int(httpc_url_parse("http://[::1]:5001/base/", &u, NULL), R1_OK, "IPv6 and a prefix");
	ok(strcmp(u.host, "::1") == 0 && strcmp(u.port, "5001") == 0 &&
	       strcmp(u.prefix, "/base") == 0,
	   "brackets gone, trailing slash dropped");
	httpc_url_release(&u);
	is_int(httpc_url_parse("http://ipfs.local", &u, NULL), R1_OK, "no port");
	is_str(u.port, "80", "port 80");
	httpc_url_release(&u);
}

struct pieces {
	const char *parts[4];
	size_t i;
};

static enum r1_err piece_body(void *ctx, uint8_t *buf, size_t cap, size_t *n, char **why)
{
	struct pieces *p = ctx;
	const char *s = p->parts[p->i];
	*n = s ? R1_MIN(cap, strlen(s)) : 0;
	if (s) {
		memcpy(buf, s, *n);
		p->i++;
	}
	return R1_OK;
}

static void test_request(void)
{
	static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	struct fake f;
	fake_start(&f, answer, strlen(answer));
	struct httpc_url u = url_of(&f);
	struct pieces p = {{"hello ", "streamed ", "body", NULL}, 0};
	struct httpc_request req = {
	    "POST", "/api/v0/add?pin=true", "text/plain", 19, NULL, piece_body, &p, 2000};
	struct httpc_response *rsp = NULL;
	char *why = NULL;
	is_err(httpc_send(&u, &req, &rsp, &why), R1_OK, "a streamed POST (%s)", why ? why : "ok");
	struct buf body = BUF_INIT;
	is_err(httpc_read_all(rsp, 100, &body, &why), R1_OK, "its answer");
	is_str(buf_cstr(&body), "ok", "body");
	httpc_response_free(&rsp);
	httpc_url_release(&u);
	fake_stop(&f);
	const char *r = buf_cstr(&f.request);
	ok(strncmp(r, "POST /api/v0/add?pin=true HTTP/1.1\r\n", 36) == 0, "request line");
	char host[64];
	snprintf(host, sizeof(host), "\r\nHost: 127.0.0.1:%d\r\n", f.port);
	ok(strstr(r, host) != NULL, "Host header");
	ok(strstr(r, "\r\nContent-Type: text/plain\r\nContent-Length: 19\r\n") != NULL,
	   "type and declared length");
	ok(strstr(r, "\r\nConnection: close\r\n") != NULL, "one request per connection");
	const char *end = strstr(r, "\r\n\r\n");
	is_str(end ? end + 4 : "", "hello streamed body", "the body follows the head, whole");
	buf_release(&body);
	buf_release(&f.request);

	/* A producer that says more than it gives, or gives more than it said. */
	fake_start(&f, answer, strlen(answer));
	u = url_of(&f);
	struct pieces shortp = {{"abc", NULL}, 0};
	req.body_ctx = &shortp;
	req.content_length = 5;
	is_err(httpc_send(&u, &req, &rsp, &why), R1_ERR_STATE, "a body shorter than declared: %s",
	       why);
	ok(rsp == NULL, "no response object");
	httpc_url_release(&u);
	fake_stop(&f);
	buf_release(&f.request);
	fake_start(&f, answer, strlen(answer));
	u = url_of(&f);
	struct pieces longp = {{"abcdef", NULL}, 0};
	req.body_ctx = &longp;
	is_err(httpc_send(&u, &req, &rsp, &why), R1_ERR_STATE, "a body longer than declared: %s",
	       why);
	httpc_url_release(&u);
	fake_stop(&f);
	buf_release(&f.request);
	r1_free(why);
}

static void test_framings(void)
{
	int status;
	struct buf body = BUF_INIT;
	char *why = NULL;
	is_err(FETCH("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello and more", 100, &status,
	             &body, &why),
	       R1_OK, "Content-Length");
	is_str(buf_cstr(&body), "hello", "exactly that many bytes");
	is_int(status, 200, "status");
	buf_reset(&body);
	is_err(
	    FETCH("HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n", 100, &status, &body, &why),
	    R1_OK, "empty body");
	is_int(status, 201, "status 201");
	is_int(body.len, 0, "nothing");
	buf_reset(&body);
	is_err(FETCH("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	             "5\r\nhello\r\nA;ext=1\r\n, chunked!\r\n0\r\n\r\n",
	             100, &status, &body, &why),
	       R1_OK, "chunked, with an extension and upper-case hex");
	is_str(buf_cstr(&body), "hello, chunked!", "chunks joined");
	buf_reset(&body);
	struct httpc_response *rsp = NULL;
	static const char trailer[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	                              "Trailer: X-Stream-Error\r\n\r\n"
	                              "3\r\nabc\r\n0\r\nX-Stream-Error: request timed out\r\n\r\n";
	is_err(fetch(trailer, strlen(trailer), 100, &status, &body, &why, &rsp), R1_OK,
	       "chunked with a trailer");
	is_str(httpc_header(rsp, "x-stream-error"), "request timed out",
	       "the trailer is read, case-insensitively");
	httpc_response_free(&rsp);
	buf_reset(&body);
	is_err(FETCH("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", 100, &status,
	             &body, &why),
	       R1_OK, "no length: until the connection closes");
	is_str(buf_cstr(&body), "until the end", "all of it");
	buf_reset(&body);
	is_err(FETCH("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
	             100, &status, &body, &why),
	       R1_OK, "100 Continue, then the answer");
	is_int(status, 200, "the final status");
	buf_reset(&body);
	is_err(FETCH("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world", 5, &status, &body,
	             &why),
	       R1_ERR_TOOBIG, "read_all past its cap: %s", why);
	buf_release(&body);
	r1_free(why);
}

static void test_hostile(void)
{
	static const struct {
		const char *answer;
		enum r1_err e;
		const char *name;
	} cases[] = {
	    {"", R1_ERR_PROTO, "closed before a status line"},
	    {"SSH-2.0-OpenSSH\r\n\r\n", R1_ERR_PROTO, "not HTTP"},
	    {"HTTP/2 200\r\n\r\n", R1_ERR_PROTO, "HTTP/2 status line"},
	    {"HTTP/1.1 99 Low\r\n\r\n", R1_ERR_PROTO, "status below 100"},
	    {"HTTP/1.1 2000 OK\r\n\r\n", R1_ERR_PROTO, "four-digit status"},
	    {"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", R1_ERR_PROTO, "header without a colon"},
	    {"HTTP/1.1 200 OK\r\n continued\r\n\r\n", R1_ERR_PROTO, "folded header"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", R1_ERR_PROTO, "negative length"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", R1_ERR_PROTO, "length with junk"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", R1_ERR_PROTO,
	     "20-digit length"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", R1_ERR_PROTO,
	     "unknown transfer coding"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", R1_ERR_PROTO, "body cut short"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", R1_ERR_PROTO,
	     "chunk size not hex"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
	     R1_ERR_PROTO, "16-digit chunk size"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n",
	     R1_ERR_PROTO, "chunk not followed by CRLF"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", R1_ERR_PROTO,
	     "chunked body without its last chunk"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(cases); i++) {
		int status;
		struct buf body = BUF_INIT;
		char *why = NULL;
		is_err(FETCH(cases[i].answer, 1000, &status, &body, &why), cases[i].e,
		       "refused: %s (%s)", cases[i].name, why ? why : "accepted");
		buf_release(&body);
		r1_free(why);
	}
	/* 70 KiB of headers, in short lines, then a line longer than the line cap. */
	struct buf big = BUF_INIT;
	buf_adds(&big, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i < 70 * 1024 / 32; i++)
		buf_addf(&big, "X-Filler-%05d: 0123456789abcd\r\n", i);
	buf_adds(&big, "\r\n");
	int status;
	struct buf body = BUF_INIT;
	char *why = NULL;
	is_err(fetch(big.data, big.len, 100, &status, &body, &why, NULL), R1_ERR_PROTO,
	       "more than 64 KiB of headers refused: %s", why);
	buf_reset(&big);
	buf_adds(&big, "HTTP/1.1 200 OK\r\nX-Long: ");
	for (int i = 0; i < 10000; i++)
		buf_addc(&big, 'a');
	buf_adds(&big, "\r\n\r\n");
	is_err(fetch(big.data, big.len, 100, &status, &body, &why, NULL), R1_ERR_PROTO,
	       "a header line over 8 KiB refused: %s", why);
	buf_release(&big);

	/* A server that accepts and never answers; a port nobody listens on. */
	struct fake f;
	fake_start(&f, NULL, 0);
	f.hang = true;
	struct httpc_url u = url_of(&f);
	struct httpc_request req = {"GET", "/", NULL, 0, NULL, NULL, NULL, 300};
	struct httpc_response *rsp = NULL;
	is_err(httpc_send(&u, &req, &rsp, &why), R1_ERR_TIMEOUT, "silence times out: %s", why);
	httpc_url_release(&u);
	fake_stop(&f);
	buf_release(&f.request);
	int port = f.port; /* now closed */
	char text[64];
	snprintf(text, sizeof(text), "http://127.0.0.1:%d", port);
	httpc_url_parse(text, &u, NULL);
	is_err(httpc_send(&u, &req, &rsp, &why), R1_ERR_IO, "connection refused: %s", why);
	ok(why && strstr(why, text + 7), "the reason names the address");
	httpc_url_release(&u);
	buf_release(&body);
	r1_free(why);
}

/* ------------------------------------------------------------ RPC answers */

/* "HTTP/1.1 <status>" with a Content-Length answer of body (static storage, one at a time). */
static const char *answer(const char *status, const char *body)
{
	static struct buf b = BUF_INIT;
	buf_reset(&b);
	buf_addf(&b, "HTTP/1.1 %s\r\nContent-Length: %zu\r\n\r\n%s", status, strlen(body), body);
	return buf_cstr(&b);
}

static struct r1fs_ipfs *ipfs_at(const struct fake *f)
{
	char text[64];
	snprintf(text, sizeof(text), "http://127.0.0.1:%d", f->port);
	struct r1fs_ipfs *p = NULL;
	if (r1fs_ipfs_new(text, 2000, &p, NULL) != R1_OK)
		tap_bail("ipfs_new");
	return p;
}

static enum r1_err body_of(void *ctx, uint8_t *buf, size_t cap, size_t *n, char **why)
{
	return piece_body(ctx, buf, cap, n, why);
}

/* add against a canned answer. */
static enum r1_err fake_add(const char *answer, struct r1fs_ipfs_added *out, struct buf *request,
                            char **why)
{
	struct fake f;
	fake_start(&f, answer, strlen(answer));
	struct r1fs_ipfs *p = ipfs_at(&f);
	struct pieces body = {{"0123456789", NULL}, 0};
	enum r1_err e = r1fs_ipfs_add(p, "f.bin", 10, body_of, &body, 0, true, out, why);
	r1fs_ipfs_free(&p);
	fake_stop(&f);
	if (request)
		buf_add(request, f.request.data, f.request.len);
	buf_release(&f.request);
	return e;
}

static void test_rpc(void)
{
	struct r1fs_ipfs_added a;
	char *why = NULL;
	struct buf request = BUF_INIT;
	/* js-ipfs: Size as a number, Mode, CIDv0 lines. */
	static const char js[] =
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "61\r\n{\"Name\":\"f.bin\",\"Hash\":\"QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN\","
	    "\"Size\":14,\"Mode\":\"0644\"}\n\r\n"
	    "5c\r\n{\"Name\":\"\",\"Hash\":\"QmRGyUM8HFwfgqFqcgKo2whc9rRRp7jf3Ghd1vDQ1orxNo\","
	    "\"Size\":65,\"Mode\":\"0755\"}\n\r\n0\r\n\r\n";
	is_err(fake_add(js, &a, &request, &why), R1_OK, "js-ipfs's add answer (%s)",
	       why ? why : "ok");
	is_str(a.file, "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN", "the file's CID");
	is_str(a.wrapper, "QmRGyUM8HFwfgqFqcgKo2whc9rRRp7jf3Ghd1vDQ1orxNo", "the directory's CID");
	is_int(a.wrapper_size, 65, "Size as a number");
	const char *r = buf_cstr(&request);
	ok(strstr(r, "wrap-with-directory=true") && strstr(r, "cid-version=0") &&
	       strstr(r, "pin=true"),
	   "add asks for the wrapping directory, CIDv0 and a pin");
	ok(strstr(r, "Content-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n"
	             "Content-Type: application/octet-stream\r\n\r\n0123456789\r\n--") != NULL,
	   "one multipart part with a Content-Type (js-ipfs requires it) around the bytes");
	buf_reset(&request);
	/* kubo: Size as a string, CIDv1 in base58btc is rewritten as base32. */
	const char *kubo = answer(
	    "200 OK",
	    "{\"Name\":\"f.bin\",\"Hash\":\"zb2rhcc1wJn2GHDLT2YkmPq5b69cXc2xfRZZmyufbjFUfBkxr\","
	    "\"Size\":\"6\"}\n"
	    "{\"Name\":\"\",\"Hash\":\"QmRGyUM8HFwfgqFqcgKo2whc9rRRp7jf3Ghd1vDQ1orxNo\","
	    "\"Size\":\"65\"}\n");
	is_err(fake_add(kubo, &a, NULL, &why), R1_OK, "kubo's add answer (%s)", why ? why : "ok");
	is_str(a.file, "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am",
	       "a base58btc CIDv1 comes back in base32");
	is_int(a.wrapper_size, 65, "Size as a string");
	const char *nodir = answer("200 OK", "{\"Name\":\"f.bin\",\"Hash\":"
	                                     "\"QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN\"}");
	is_err(fake_add(nodir, &a, NULL, &why), R1_ERR_PROTO, "an answer without the directory: %s",
	       why);
	const char *refused =
	    answer("500 Internal Server Error",
	           "{\"Message\":\"QmFoo is not pinned\",\"Code\":0,\"Type\":\"error\"}");
	is_err(fake_add(refused, &a, NULL, &why), R1_ERR_NOTFOUND, "a 500 saying 'not pinned'");
	ok(why && strstr(why, "QmFoo is not pinned"), "the node's message is kept: %s", why);
	const char *bad_arg =
	    answer("400 Bad Request", "{\"Message\":\"Invalid request query input\",\"Code\":1,"
	                              "\"Type\":\"error\"}");
	is_err(fake_add(bad_arg, &a, NULL, &why), R1_ERR_INVAL, "a 400 is INVAL");
	static const char midway[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	                             "0\r\nX-Stream-Error: context canceled\r\n\r\n";
	is_err(fake_add(midway, &a, NULL, &why), R1_ERR_IO, "an X-Stream-Error trailer: %s", why);

	/* block/get checks what it is given against the CID. */
	struct r1fs_cid cid;
	r1fs_cid_parse("QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN", &cid, NULL);
	static const char good_block[] = "HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n"
	                                 "\x0a\x0c\x08\x02\x12\x06hello\n\x18\x06";
	struct fake f;
	fake_start(&f, good_block, sizeof(good_block) - 1);
	struct r1fs_ipfs *p = ipfs_at(&f);
	struct buf block = BUF_INIT;
	is_err(r1fs_ipfs_block_get(p, &cid, &block, &why), R1_OK, "block/get of the hello leaf");
	is_int(block.len, 14, "14 bytes");
	r1fs_ipfs_free(&p);
	fake_stop(&f);
	ok(strstr(buf_cstr(&f.request), "timeout=2s") != NULL,
	   "the node is told the timeout too (it would wait forever for a missing block)");
	buf_release(&f.request);
	static const char bad_block[] = "HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n"
	                                "\x0a\x0c\x08\x02\x12\x06jello\n\x18\x06";
	fake_start(&f, bad_block, sizeof(bad_block) - 1);
	p = ipfs_at(&f);
	is_err(r1fs_ipfs_block_get(p, &cid, &block, &why), R1_ERR_CRYPTO,
	       "a block that does not match its CID: %s", why);
	r1fs_ipfs_free(&p);
	fake_stop(&f);
	buf_release(&f.request);

	/* pin/ls: {"Keys": {...}}, CIDs rewritten, junk keys skipped. */
	const char *pins =
	    answer("200 OK", "{\"Keys\":{\"QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN\":{"
	                     "\"Type\":\"recursive\"},"
	                     "\"not-a-cid\":{\"Type\":\"recursive\"},"
	                     "\"zb2rhcc1wJn2GHDLT2YkmPq5b69cXc2xfRZZmyufbjFUfBkxr\":{}}}");
	fake_start(&f, pins, strlen(pins));
	p = ipfs_at(&f);
	char **cids = NULL;
	size_t n = 0;
	is_err(r1fs_ipfs_pin_ls(p, &cids, &n, &why), R1_OK, "pin/ls (%s)", why ? why : "ok");
	is_int(n, 2, "two CIDs (the junk key skipped)");
	bool v1 = false;
	for (size_t i = 0; i < n; i++) {
		v1 = v1 ||
		     strcmp(cids[i],
		            "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am") == 0;
		r1_free(cids[i]);
	}
	ok(v1, "CIDv1 in base32");
	r1_free(cids);
	r1fs_ipfs_free(&p);
	fake_stop(&f);
	buf_release(&f.request);

	/* repo/stat: js-ipfs writes the counts as strings, kubo as numbers. */
	static const struct {
		const char *body;
		enum r1_err err;
		uint64_t size, objects, max;
		const char *name;
	} repos[] = {
	    {"{\"NumObjects\":\"54\",\"RepoSize\":\"3075925\",\"RepoPath\":\"/r\","
	     "\"Version\":\"12\",\"StorageMax\":\"10000000000\"}",
	     R1_OK, 3075925, 54, 10000000000u, "js-ipfs's strings"},
	    {"{\"NumObjects\":7,\"RepoSize\":1024,\"StorageMax\":9223372036854775807}", R1_OK, 1024,
	     7, 9223372036854775807u, "kubo's numbers"},
	    {"{\"NumObjects\":7,\"RepoSize\":1024}", R1_OK, 1024, 7, 0, "no StorageMax: 0"},
	    {"{\"NumObjects\":7}", R1_ERR_PROTO, 0, 0, 0, "no RepoSize: refused"},
	    {"{\"NumObjects\":\"-7\",\"RepoSize\":1}", R1_ERR_PROTO, 0, 0, 0,
	     "a negative count: refused"},
	    {"{\"NumObjects\":\"99999999999999999999\",\"RepoSize\":1}", R1_ERR_PROTO, 0, 0, 0,
	     "a count beyond 64 bits: refused"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(repos); i++) {
		const char *ra = answer("200 OK", repos[i].body);
		fake_start(&f, ra, strlen(ra));
		p = ipfs_at(&f);
		struct r1fs_ipfs_repo repo;
		r1_free(why);
		why = NULL;
		is_err(r1fs_ipfs_repo_stat(p, &repo, &why), repos[i].err, "repo/stat, %s",
		       repos[i].name);
		ok(repo.size == repos[i].size && repo.objects == repos[i].objects &&
		       repo.max == repos[i].max,
		   "  size %" PRIu64 ", %" PRIu64 " objects, max %" PRIu64, repo.size, repo.objects,
		   repo.max);
		r1fs_ipfs_free(&p);
		fake_stop(&f);
		static const char line[] = "POST /api/v0/repo/stat HTTP/1.1\r\n";
		if (i == 0)
			ok(strncmp(buf_cstr(&f.request), line, strlen(line)) == 0,
			   "  a POST of /api/v0/repo/stat");
		buf_release(&f.request);
	}
	buf_release(&block);
	buf_release(&request);
	r1_free(why);
}

/* ------------------------------------------------------------ the backend's get */

static void http_answer(struct buf *b, const void *body, size_t len, bool chunked)
{
	buf_init(b);
	if (chunked) {
		buf_addf(b, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n", len);
		buf_add(b, body, len);
		buf_adds(b, "\r\n0\r\n\r\n");
	} else {
		buf_addf(b, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", len);
		buf_add(b, body, len);
	}
}

static size_t entries(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void test_backend_get(void)
{
	/* A file added to a built-in store: its blocks are what an honest node serves. */
	struct buf dir = BUF_INIT, dbp = BUF_INIT, out = BUF_INIT;
	buf_addf(&dir, "%s/local", tap_tmpdir());
	buf_addf(&dbp, "%s/node.db", dir.data);
	buf_addf(&out, "%s/restored", tap_tmpdir());
	mkdir(dir.data, 0755);
	mkdir(out.data, 0755);
	sqlite3 *db = NULL;
	struct r1fs *local = NULL;
	char *why = NULL;
	struct r1fs_options lo = R1FS_OPTIONS_INIT;
	lo.sync = R1FS_SYNC_NONE;
	if (db_open(dbp.data, &db, &why) || r1fs_open(dir.data, db, &lo, &local, &why))
		tap_bail("local store: %s", why);
	static const char text[] = "what the node must not be able to change";
	struct r1fs_add_opts ao = R1FS_ADD_OPTS_INIT;
	ao.cid_version = 1; /* one raw leaf: the file's block is the encrypted file */
	ao.nonce = 7;
	struct r1fs_added a;
	if (r1fs_add_bytes(local, text, strlen(text), "note.txt", &ao, &a, &why))
		tap_bail("add: %s", why);
	struct r1fs_cid wcid, fcid;
	r1fs_cid_parse(a.cid, &wcid, NULL);
	r1fs_cid_parse(a.file_cid, &fcid, NULL);
	struct buf wblock = BUF_INIT, fblock = BUF_INIT;
	r1fs_get_block(local, &wcid, &wblock, NULL);
	r1fs_get_block(local, &fcid, &fblock, NULL);
	r1fs_free(&local);
	db_close(&db);

	for (int honest = 0; honest < 2; honest++) {
		struct buf script[4];
		http_answer(&script[0], wblock.data, wblock.len, false); /* block/get directory */
		http_answer(&script[1], fblock.data, fblock.len, false); /* block/get file */
		struct buf cat = BUF_INIT;
		buf_add(&cat, fblock.data, fblock.len);
		if (!honest)
			cat.data[20] ^= 1;
		http_answer(&script[2], cat.data, cat.len, true); /* cat, chunked as js-ipfs does */
		struct buf pins = BUF_INIT;
		buf_addf(&pins, "{\"Pins\":[\"%s\"]}", a.cid);
		http_answer(&script[3], pins.data, pins.len, false); /* pin/add */
		struct fake f;
		fake_script(&f, script, honest ? 4 : 3);
		char url[64];
		snprintf(url, sizeof(url), "http://127.0.0.1:%d", f.port);
		struct r1fs_options o = R1FS_OPTIONS_INIT;
		o.ipfs_api = url;
		o.ipfs_timeout_ms = 2000;
		struct r1fs *fs = NULL;
		is_err(r1fs_open(NULL, NULL, &o, &fs, &why), R1_OK, "an IPFS-backed store opens");
		char *path = NULL;
		if (honest) {
			is_err(r1fs_get_file(fs, a.cid, out.data, NULL, &path, &why), R1_OK,
			       "get from an honest node");
			size_t len = 0;
			char *got = path ? tap_read_file(path, &len) : NULL;
			is_mem(got, len, text, strlen(text), "decrypted, under its name");
			free(got);
		} else {
			is_err(r1fs_get_file(fs, a.cid, out.data, NULL, &path, &why), R1_ERR_CRYPTO,
			       "a node whose cat alters one byte is caught");
			ok(why && strstr(why, "do not hash"), "by the CID check: %s", why);
			is_int(entries(out.data), 0, "and nothing is restored");
		}
		struct r1fs_gc_stats gs;
		is_int(r1fs_gc(fs, 0, &gs, NULL), R1_ERR_STATE,
		       "the built-in store's operations are refused with a backend");
		r1_free(path);
		r1fs_free(&fs);
		fake_stop(&f);
		if (honest) {
			const char *r = buf_cstr(&f.request);
			ok(strstr(r, "/api/v0/block/get?arg=") && strstr(r, "/api/v0/cat?arg=") &&
			       strstr(r, "/api/v0/pin/add?arg="),
			   "block/get, cat, then pin/add (the reference's get pins)");
		}
		buf_release(&f.request);
		for (int i = 0; i < 4; i++)
			buf_release(&script[i]);
		buf_release(&cat);
		buf_release(&pins);
	}
	buf_release(&wblock);
	buf_release(&fblock);
	buf_release(&dir);
	buf_release(&dbp);
	buf_release(&out);
	r1_free(why);
}

int main(void)
{
	test_urls();
	test_request();
	test_framings();
	test_hostile();
	test_rpc();
	test_backend_get();
	return tap_done();
}
