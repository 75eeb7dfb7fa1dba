/*
 * The IPFS RPC calls of R1FS's IPFS backend (see ipfs.h): the request
 * targets, the multipart framing of an upload, and the parsing of the
 * node's JSON answers and errors.  Not here: encryption, DAG checks and
 * which call an R1FS operation makes (r1fs.c).
 */
#include "node/lib.h"
#include "node/r1fs/ipfs.h"

#include "core/hash.h"
#include "core/codec.h"
#include "node/r1fs/dagpb.h"

#include <jansson.h>

#define ANSWER_MAX  (1u << 20) /* JSON answers (add's lines, pin/ls, id) */
#define ERROR_MAX   (64u * 1024u)
#define PIN_LS_MAX  (16u << 20)
#define STREAM_READ (256u * 1024u)

struct r1fs_ipfs {
	struct httpc_url url;
	int timeout_ms;
};

enum r1_err r1fs_ipfs_new(const char *url, int timeout_ms, struct r1fs_ipfs **out, char **why)
{
	struct r1fs_ipfs *p = r1_calloc(1, sizeof(*p));
	if (!p)
		return r1_fail(why, R1_ERR_NOMEM, "ipfs: out of memory");
	enum r1_err e = httpc_url_parse(url, &p->url, why);
	if (e) {
		r1_free(p);
		return e;
	}
	p->timeout_ms = timeout_ms > 0 ? timeout_ms : 60000;
	*out = p;
	return R1_OK;
}

void r1fs_ipfs_free(struct r1fs_ipfs **pp)
{
	struct r1fs_ipfs *p = *pp;
	if (!p)
		return;
	httpc_url_release(&p->url);
	r1_free(p);
	*pp = NULL;
}

/* ------------------------------------------------------------ calls */

/* An error answer (status >= 300 or an X-Stream-Error) to an r1_err. */
static enum r1_err node_error(const char *what, int status, const char *message, char **why)
{
	static const struct {
		const char *needle;
		enum r1_err code;
	} kinds[] = {
	    {"not pinned", R1_ERR_NOTFOUND},
	    {"timed out", R1_ERR_TIMEOUT},
	    {"deadline exceeded", R1_ERR_TIMEOUT},
	    {"invalid", R1_ERR_INVAL},
	    {"Invalid", R1_ERR_INVAL},
	    {"no link named", R1_ERR_NOTFOUND},
	};
	enum r1_err code = status == 400   ? R1_ERR_INVAL
	                   : status == 404 ? R1_ERR_NOTFOUND
	                                   : R1_ERR_IO;
	for (size_t i = 0; message && i < R1_ARRAY_LEN(kinds); i++)
		if (strstr(message, kinds[i].needle)) {
			code = kinds[i].code;
			break;
		}
	return r1_fail(why, code, "ipfs: %s: the node answered %d: %.200s", what, status,
	               message && *message ? message : "(no message)");
}

/* The "Message" of a JSON error body, or the body itself. */
static char *error_message(struct httpc_response *rsp)
{
	struct buf body = BUF_INIT;
	char *msg = NULL;
	if (httpc_read_all(rsp, ERROR_MAX, &body, NULL) == R1_OK) {
		json_t *j = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
		const char *m = json_string_value(json_object_get(j, "Message"));
		msg = r1_strdup(m ? m : buf_cstr(&body));
		json_decref(j);
	}
	buf_release(&body);
	return msg;
}

/* POST target; a non-200 answer becomes an error.  *out is the open response. */
static enum r1_err call(struct r1fs_ipfs *p, const char *what, const struct buf *target,
                        struct httpc_request *req, struct httpc_response **out, char **why)
{
	if (!buf_ok(target))
		return r1_fail(why, R1_ERR_NOMEM, "ipfs: out of memory");
	struct httpc_request plain = {0};
	if (!req)
		req = &plain;
	req->method = "POST";
	req->target = target->data;
	req->timeout_ms = p->timeout_ms + 5000; /* the node's own timeout answers first */
	enum r1_err e = httpc_send(&p->url, req, out, why);
	if (e) {
		r1_why_prefix(why, "ipfs: %s", what);
		return e;
	}
	int status = httpc_status(*out);
	if (status == 200)
		return R1_OK;
	char *msg = error_message(*out);
	e = node_error(what, status, msg, why);
	r1_free(msg);
	httpc_response_free(out);
	return e;
}

/* After the body: an error the node met mid-stream. */
static enum r1_err stream_error(struct httpc_response *rsp, const char *what, char **why)
{
	const char *err = httpc_header(rsp, "X-Stream-Error");
	return err && *err ? node_error(what, 200, err, why) : R1_OK;
}

/* A whole JSON answer (bounded).  *out owned by the caller (json_decref). */
static enum r1_err call_json(struct r1fs_ipfs *p, const char *what, const struct buf *target,
                             size_t max, json_t **out, char **why)
{
	struct httpc_response *rsp = NULL;
	struct buf body = BUF_INIT;
	enum r1_err e = call(p, what, target, NULL, &rsp, why);
	if (!e)
		e = httpc_read_all(rsp, max, &body, why);
	if (!e)
		e = stream_error(rsp, what, why);
	if (!e) {
		*out = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
		if (!*out)
			e = r1_fail(why, R1_ERR_PROTO, "ipfs: %s: the answer is not JSON", what);
	}
	httpc_response_free(&rsp);
	buf_release(&body);
	return e;
}

static void target_init(struct buf *t, const char *path)
{
	buf_init(t);
	buf_adds(t, path);
}

static void add_arg(struct buf *t, const char *key, const char *value)
{
	buf_addc(t, strchr(t->data ? t->data : "", '?') ? '&' : '?');
	buf_adds(t, key);
	buf_addc(t, '=');
	pct_encode(t, value, strlen(value));
}

static void add_timeout(struct r1fs_ipfs *p, struct buf *t)
{
	char v[32];
	snprintf(v, sizeof(v), "%ds", R1_MAX(1, p->timeout_ms / 1000));
	add_arg(t, "timeout", v);
}

/* A CID text from the node, rewritten as r1fs_cid_format writes it. */
static bool canonical_cid(const char *text, char out[R1FS_CID_TEXT_MAX])
{
	struct r1fs_cid cid;
	if (!text || r1fs_cid_parse(text, &cid, NULL) != R1_OK)
		return false;
	r1fs_cid_format(&cid, out);
	return true;
}

/* ------------------------------------------------------------ id */

enum r1_err r1fs_ipfs_id(struct r1fs_ipfs *p, char **peer_id, char **agent, char **why)
{
	struct buf t;
	target_init(&t, "/api/v0/id");
	json_t *j = NULL;
	enum r1_err e = call_json(p, "id", &t, ANSWER_MAX, &j, why);
	buf_release(&t);
	if (e)
		return e;
	const char *id = json_string_value(json_object_get(j, "ID"));
	const char *ag = json_string_value(json_object_get(j, "AgentVersion"));
	if (!id || !*id) {
		json_decref(j);
		return r1_fail(why, R1_ERR_PROTO, "ipfs: id: no ID in the answer");
	}
	*peer_id = r1_strdup(id);
	if (agent)
		*agent = r1_strdup(ag ? ag : "");
	json_decref(j);
	if (!*peer_id || (agent && !*agent)) {
		r1_free(*peer_id);
		if (agent)
			r1_free(*agent);
		return r1_fail(why, R1_ERR_NOMEM, "ipfs: out of memory");
	}
	return R1_OK;
}

/* ------------------------------------------------------------ add */

/* One multipart part around the caller's body. */
struct multipart {
	struct buf head, tail;
	size_t head_at, tail_at;
	httpc_body_fn body;
	void *body_ctx;
	uint64_t size, got;
	bool body_done;
};

static enum r1_err multipart_read(void *ctx, uint8_t *buf, size_t cap, size_t *n, char **why)
{
	struct multipart *m = ctx;
	*n = 0;
	if (m->head_at < m->head.len) {
		*n = R1_MIN(cap, m->head.len - m->head_at);
		memcpy(buf, m->head.data + m->head_at, *n);
		m->head_at += *n;
		return R1_OK;
	}
	while (!m->body_done) {
		size_t k = 0;
		enum r1_err e = m->body(m->body_ctx, buf, cap, &k, why);
		if (e)
			return e;
		if (k == 0) {
			m->body_done = true;
			break;
		}
		m->got += k;
		if (m->got > m->size)
			return r1_fail(why, R1_ERR_STATE, "ipfs: the file grew while it was sent");
		*n = k;
		return R1_OK;
	}
	if (m->got != m->size)
		return r1_fail(why, R1_ERR_STATE, "ipfs: the file shrank while it was sent");
	if (m->tail_at < m->tail.len) {
		*n = R1_MIN(cap, m->tail.len - m->tail_at);
		memcpy(buf, m->tail.data + m->tail_at, *n);
		m->tail_at += *n;
	}
	return R1_OK;
}

/* Size as kubo (a string) or js-ipfs (a number) writes it. */
static uint64_t json_size(json_t *v)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return (uint64_t)json_integer_value(v);
	const char *s = json_string_value(v);
	return s && *s && strspn(s, "0123456789") == strlen(s) ? strtoull(s, NULL, 10) : 0;
}

enum r1_err r1fs_ipfs_add(struct r1fs_ipfs *p, const char *name, uint64_t size, httpc_body_fn body,
                          void *body_ctx, unsigned cid_version, bool pin,
                          struct r1fs_ipfs_added *out, char **why)
{
	memset(out, 0, sizeof(*out));
	if (!*name || strpbrk(name, "/\"\r\n"))
		return r1_fail(why, R1_ERR_INVAL, "ipfs: add: bad file name '%.60s'", name);
	uint8_t rnd[12];
	random_bytes(rnd, sizeof(rnd));
	struct buf boundary = BUF_INIT, t;
	buf_adds(&boundary, "r1console-");
	buf_addhex(&boundary, rnd, sizeof(rnd));
	struct multipart m = {BUF_INIT, BUF_INIT, 0, 0, body, body_ctx, size, 0, false};
	buf_addf(&m.head,
	         "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
	         "Content-Type: application/octet-stream\r\n\r\n",
	         buf_cstr(&boundary), name);
	buf_addf(&m.tail, "\r\n--%s--\r\n", buf_cstr(&boundary));
	struct buf ctype = BUF_INIT;
	buf_addf(&ctype, "multipart/form-data; boundary=%s", buf_cstr(&boundary));
	target_init(&t, "/api/v0/add");
	add_arg(&t, "wrap-with-directory", "true");
	add_arg(&t, "cid-version", cid_version ? "1" : "0");
	if (cid_version)
		add_arg(&t, "cid-base", "base32"); /* js-ipfs writes base58btc otherwise */
	add_arg(&t, "pin", pin ? "true" : "false");
	add_arg(&t, "progress", "false");
	struct httpc_request req = {0};
	req.content_type = buf_cstr(&ctype);
	req.content_length = m.head.len + size + m.tail.len;
	req.body = multipart_read;
	req.body_ctx = &m;
	struct httpc_response *rsp = NULL;
	struct buf answer = BUF_INIT;
	enum r1_err e = buf_ok(&m.head) && buf_ok(&m.tail) && buf_ok(&ctype)
	                    ? call(p, "add", &t, &req, &rsp, why)
	                    : r1_fail(why, R1_ERR_NOMEM, "ipfs: out of memory");
	if (!e)
		e = httpc_read_all(rsp, ANSWER_MAX, &answer, why);
	if (!e)
		e = stream_error(rsp, "add", why);
	/* One JSON object per line: the file's, then the directory's (Name ""). */
	for (size_t at = 0; !e && at < answer.len;) {
		const char *line = answer.data + at;
		const char *nl = memchr(line, '\n', answer.len - at);
		size_t len = nl ? (size_t)(nl - line) : answer.len - at;
		at += len + 1;
		json_t *j = json_loadb(line, len, 0, NULL);
		const char *n = json_string_value(json_object_get(j, "Name"));
		const char *h = json_string_value(json_object_get(j, "Hash"));
		const char *msg = json_string_value(json_object_get(j, "Message"));
		if (msg && !h)
			e = node_error("add", 200, msg, why);
		else if (n && h && *n == '\0' && canonical_cid(h, out->wrapper))
			out->wrapper_size = json_size(json_object_get(j, "Size"));
		else if (n && h && strcmp(n, name) == 0)
			canonical_cid(h, out->file);
		json_decref(j);
	}
	if (!e && (!out->wrapper[0] || !out->file[0]))
		e = r1_fail(why, R1_ERR_PROTO,
		            "ipfs: add: the answer lacks the file's or the directory's CID");
	httpc_response_free(&rsp);
	buf_release(&answer);
	buf_release(&boundary);
	buf_release(&ctype);
	buf_release(&m.head);
	buf_release(&m.tail);
	buf_release(&t);
	if (e)
		memset(out, 0, sizeof(*out));
	return e;
}

/* ------------------------------------------------------------ cat, block */

enum r1_err r1fs_ipfs_cat(struct r1fs_ipfs *p, const char *path, r1fs_ipfs_write_fn write,
                          void *ctx, char **why)
{
	struct buf t;
	target_init(&t, "/api/v0/cat");
	add_arg(&t, "arg", path);
	add_timeout(p, &t);
	struct httpc_response *rsp = NULL;
	enum r1_err e = call(p, "cat", &t, NULL, &rsp, why);
	buf_release(&t);
	uint8_t *chunk = e ? NULL : r1_malloc(STREAM_READ);
	if (!e && !chunk)
		e = r1_fail(why, R1_ERR_NOMEM, "ipfs: out of memory");
	while (!e) {
		size_t n = 0;
		e = httpc_read(rsp, chunk, STREAM_READ, &n, why);
		if (e || n == 0)
			break;
		e = write(ctx, chunk, n, why);
	}
	if (!e)
		e = stream_error(rsp, "cat", why);
	r1_free(chunk);
	httpc_response_free(&rsp);
	return e;
}

enum r1_err r1fs_ipfs_block_get(struct r1fs_ipfs *p, const struct r1fs_cid *cid, struct buf *out,
                                char **why)
{
	char text[R1FS_CID_TEXT_MAX];
	r1fs_cid_format(cid, text);
	struct buf t;
	target_init(&t, "/api/v0/block/get");
	add_arg(&t, "arg", text);
	add_timeout(p, &t);
	struct httpc_response *rsp = NULL;
	enum r1_err e = call(p, "block/get", &t, NULL, &rsp, why);
	buf_release(&t);
	buf_reset(out);
	if (!e)
		e = httpc_read_all(rsp, R1FS_BLOCK_MAX, out, why);
	if (!e)
		e = stream_error(rsp, "block/get", why);
	httpc_response_free(&rsp);
	if (e)
		return e;
	uint8_t digest[SHA256_LEN];
	sha256(out->data ? out->data : "", out->len, digest);
	if (memcmp(digest, cid->digest, SHA256_LEN) != 0)
		return r1_fail(why, R1_ERR_CRYPTO,
		               "ipfs: the node's block %s does not match its CID", text);
	return R1_OK;
}

/* ------------------------------------------------------------ pins */

static enum r1_err pin_call(struct r1fs_ipfs *p, const char *path, const char *what,
                            const char *cid, char **why)
{
	struct buf t;
	target_init(&t, path);
	add_arg(&t, "arg", cid);
	if (strcmp(what, "pin/add") == 0)
		add_timeout(p, &t);
	json_t *j = NULL;
	enum r1_err e = call_json(p, what, &t, ANSWER_MAX, &j, why);
	buf_release(&t);
	if (!e && !json_is_array(json_object_get(j, "Pins")))
		e = r1_fail(why, R1_ERR_PROTO, "ipfs: %s: no Pins in the answer", what);
	json_decref(j);
	return e;
}

enum r1_err r1fs_ipfs_pin_add(struct r1fs_ipfs *p, const char *cid, char **why)
{
	return pin_call(p, "/api/v0/pin/add", "pin/add", cid, why);
}

enum r1_err r1fs_ipfs_pin_rm(struct r1fs_ipfs *p, const char *cid, char **why)
{
	return pin_call(p, "/api/v0/pin/rm", "pin/rm", cid, why);
}

static bool push_pin(char ***cids, size_t *n, size_t *cap, const char *text)
{
	char canon[R1FS_CID_TEXT_MAX];
	if (!canonical_cid(text, canon))
		return true; /* not a CID we can name: skip it */
	if (*n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 16;
		char **l = r1_reallocarray(*cids, ncap, sizeof(*l));
		if (!l)
			return false;
		*cids = l;
		*cap = ncap;
	}
	(*cids)[*n] = r1_strdup(canon);
	return (*cids)[(*n)++] != NULL;
}

/* A count as kubo (a number) or js-ipfs (a string) writes it; false when absent or not one. */
static bool json_count(json_t *v, uint64_t *out)
{
	const char *s = json_string_value(v);
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		*out = (uint64_t)json_integer_value(v);
	else if (s && *s && strlen(s) <= 19 && strspn(s, "0123456789") == strlen(s))
		*out = strtoull(s, NULL, 10);
	else
		return false;
	return true;
}

enum r1_err r1fs_ipfs_repo_stat(struct r1fs_ipfs *p, struct r1fs_ipfs_repo *out, char **why)
{
	memset(out, 0, sizeof(*out));
	struct buf t;
	target_init(&t, "/api/v0/repo/stat");
	json_t *j = NULL;
	enum r1_err e = call_json(p, "repo/stat", &t, ANSWER_MAX, &j, why);
	buf_release(&t);
	if (e)
		return e;
	if (!json_count(json_object_get(j, "RepoSize"), &out->size) ||
	    !json_count(json_object_get(j, "NumObjects"), &out->objects))
		e = r1_fail(why, R1_ERR_PROTO, "ipfs: repo/stat: no RepoSize or NumObjects");
	else if (!json_count(json_object_get(j, "StorageMax"), &out->max))
		out->max = 0;
	json_decref(j);
	if (e)
		memset(out, 0, sizeof(*out));
	return e;
}

enum r1_err r1fs_ipfs_pin_ls(struct r1fs_ipfs *p, char ***cids, size_t *n, char **why)
{
	*cids = NULL;
	*n = 0;
	struct buf t;
	target_init(&t, "/api/v0/pin/ls");
	add_arg(&t, "type", "recursive");
	json_t *j = NULL;
	enum r1_err e = call_json(p, "pin/ls", &t, PIN_LS_MAX, &j, why);
	buf_release(&t);
	if (e)
		return e;
	size_t cap = 0;
	bool good = true;
	json_t *keys = json_object_get(j, "Keys");
	if (json_is_object(keys)) { /* {"Keys": {"<cid>": {"Type": "recursive"}}} */
		const char *k;
		json_t *v;
		json_object_foreach(keys, k, v)
		{
			if (good)
				good = push_pin(cids, n, &cap, k);
		}
	} else if (!json_is_object(j)) {
		e = r1_fail(why, R1_ERR_PROTO, "ipfs: pin/ls: unexpected answer");
	}
	json_decref(j);
	if (!e && !good)
		e = r1_fail(why, R1_ERR_NOMEM, "ipfs: out of memory");
	if (e) {
		for (size_t i = 0; i < *n; i++)
			r1_free((*cids)[i]);
		r1_free(*cids);
		*cids = NULL;
		*n = 0;
	}
	return e;
}
