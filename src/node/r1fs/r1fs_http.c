/*
 * The R1FS routes of the app-facing HTTP API (see r1fs_http.h): request
 * validation in FastAPI's terms on the loop thread, the store operation as
 * a job on the API's worker threads, the reply back on the loop.  A job
 * whose client went away runs to its end and is then dropped (an add still
 * stores, as the reference's would).  Uploads are parsed as they stream in
 * (multipart.h) into a temporary file; nothing here holds a whole file in
 * memory except the routes whose bodies are base64 or JSON by definition.
 */
#include "node/lib.h"
#include "node/r1fs/r1fs_http.h"

#include "core/codec.h"
#include "core/proto.h"
#include "core/workers.h"
#include "node/r1fs/multipart.h"
#include "node/r1fs/ops.h"
#include "node/r1fs/r1fs.h"
#include "core/paths.h"

#include <dirent.h>
#include <openssl/crypto.h>
#include <fcntl.h>
#include <sys/stat.h>

#define LOGMOD  "r1fs-api"
#define WORKERS 2u
/* Bodies of the JSON routes: a base64 file up to R1FS_MAX_MEMORY_FILE. */
#define JSON_BODY_MAX ((size_t)R1FS_MAX_MEMORY_FILE / 3 * 4 + 65536)
/* Text fields of an upload (body JSON, secret, filename, nonce). */
#define FORM_FIELD_MAX (64u * 1024u)
/* What gc through the API spares: blocks stored lately (transfers under way). */
#define API_GC_GRACE_S R1FS_OP_GC_GRACE_S

struct r1fs_http {
	struct r1fs *fs;
	struct httpapi *http;
	struct workers *pool;
	struct r1_log *log;
	char *tmp;
	struct r1fs_http_env env;
	char *addr, *alias, *store;
};

/* ------------------------------------------------------------ jobs */

struct job;
typedef void (*job_fn)(struct job *j);

struct job {
	struct r1fs_http *h;
	struct httpapi_req *req; /* NULL once the client went away */
	job_fn run;              /* on a worker */
	job_fn reply;            /* on the loop, when the client is still there */
	/* inputs */
	char *cid, *secret, *name;
	char *path; /* an uploaded temporary file, removed with the job */
	char *text; /* JSON text or decoded bytes */
	size_t text_len;
	int64_t nonce;
	bool flag;
	int64_t grace;
	json_t *list;   /* delete_files: the CIDs; ops.h: the arguments */
	const char *op; /* ops.h: the operation */
	/* outputs */
	enum r1_err err;
	char *why;
	struct r1fs_added added;
	char *out_dir, *out_path, *out_name;
	json_t *result;
	uint8_t *bytes;
	size_t nbytes;
	bool pins_changed;
};

static void job_free(struct job *j)
{
	if (j->path)
		unlink(j->path);
	if (j->out_path)
		unlink(j->out_path);
	if (j->out_dir)
		rmdir(j->out_dir);
	char *strings[] = {j->cid, j->secret,  j->name,     j->path,    j->text,
	                   j->why, j->out_dir, j->out_path, j->out_name};
	if (j->secret)
		OPENSSL_cleanse(j->secret, strlen(j->secret));
	for (size_t i = 0; i < R1_ARRAY_LEN(strings); i++)
		r1_free(strings[i]);
	json_decref(j->list);
	json_decref(j->result);
	r1_free(j->bytes);
	r1_free(j);
}

static void job_abort(void *arg)
{
	((struct job *)arg)->req = NULL;
}

static void job_run(struct worker_job *wj, void *arg)
{
	struct job *j = arg;
	j->run(j);
}

static void job_done(void *arg, enum r1_err status)
{
	struct job *j = arg;
	if (j->pins_changed && j->h->env.pins_changed && status == R1_OK)
		j->h->env.pins_changed(j->h->env.ctx);
	if (j->req && status == R1_OK)
		j->reply(j);
	else if (j->req)
		httpapi_reply_error(j->req, 503, "the R1FS service is stopping");
	job_free(j);
}

static struct job *job_new(struct r1fs_http *h, struct httpapi_req *r, job_fn run, job_fn reply)
{
	struct job *j = r1_calloc(1, sizeof(*j));
	if (!j) {
		httpapi_reply_error(r, 500, "out of memory");
		return NULL;
	}
	j->h = h;
	j->req = r;
	j->run = run;
	j->reply = reply;
	j->nonce = R1FS_NONCE_RANDOM;
	return j;
}

/* Hand the job to a worker; the request waits for its reply. */
static void job_submit(struct job *j)
{
	char *why = NULL;
	if (workers_submit(j->h->pool, job_run, job_done, j, NULL, &why) != R1_OK) {
		httpapi_reply_error(j->req, 503, why ? why : "busy");
		r1_free(why);
		job_free(j);
		return;
	}
	httpapi_defer(j->req, job_abort, j);
}

static void reply_failure(struct job *j, unsigned status)
{
	httpapi_reply_error(j->req, status, j->why ? j->why : r1_strerror(j->err));
}

/* ------------------------------------------------------------ validation */

static bool query_str(struct httpapi_req *r, const char *name, bool required, const char **out)
{
	bool bad = false;
	*out = httpapi_query(r, name, &bad);
	if (!*out && required) {
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

/* A string body field (NULL when absent or null and not required). */
static bool body_str(struct httpapi_req *r, const json_t *body, const char *name, bool required,
                     const char **out)
{
	const json_t *v = json_object_get(body, name);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (!required)
			return true;
		httpapi_reply_invalid(r, "missing", "body", name, "Field required",
		                      json_deep_copy(body));
		return false;
	}
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
		httpapi_reply_invalid(r, "string_type", "body", name,
		                      "Input should be a valid string", json_deep_copy(v));
		return false;
	}
	*out = json_string_value(v);
	return true;
}

/* An optional integer nonce (absent or null = random). */
static bool body_nonce(struct httpapi_req *r, const json_t *body, int64_t *out)
{
	const json_t *v = json_object_get(body, "nonce");
	*out = R1FS_NONCE_RANDOM;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) == R1FS_NONCE_RANDOM) {
		httpapi_reply_invalid(r, "int_type", "body", "nonce",
		                      "Input should be a valid integer", json_deep_copy(v));
		return false;
	}
	*out = (int64_t)json_integer_value(v);
	return true;
}

static bool body_bool(const json_t *body, const char *name, bool dflt)
{
	const json_t *v = json_object_get(body, name);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static char *dup_or_null(const char *s)
{
	return s ? r1_strdup(s) : NULL;
}

/* ------------------------------------------------------------ /get_status */

static void route_status(void *ctx, struct httpapi_req *r)
{
	struct r1fs_http *h = ctx;
	json_t *res =
	    json_pack("{s:s?,s:s,s:[],s:[],s:n,s:s?,s:s?,s:b}", "ID", h->addr, "AgentVersion",
	              "r1console/" R1_APP_VERSION, "Addresses", "Protocols", "PublicKey", "EE_ID",
	              h->alias, "store", h->store, "online", true);
	struct r1fs_store_stat st;
	if (res && r1fs_store_stat(h->fs, &st, NULL) == R1_OK)
		json_object_update_new(
		    res, json_pack("{s:I,s:I,s:I,s:I}", "used", (json_int_t)st.used_bytes, "quota",
		                   (json_int_t)st.quota_bytes, "blocks", (json_int_t)st.blocks,
		                   "pins", (json_int_t)st.pins));
	if (res && h->env.status) {
		json_t *extra = h->env.status(h->env.ctx);
		if (extra)
			json_object_update_new(res, extra);
	}
	httpapi_reply_result(r, res);
}

/* ------------------------------------------------------------ adding */

static void run_add_path(struct job *j)
{
	struct r1fs_add_opts o = R1FS_ADD_OPTS_INIT;
	o.secret = j->secret;
	o.nonce = j->nonce;
	j->err = r1fs_add_file_named(j->h->fs, j->path, j->name, &o, &j->added, &j->why);
	j->pins_changed = !j->err;
}

static void reply_add_file(struct job *j)
{
	if (j->err) {
		reply_failure(j, 500);
		return;
	}
	httpapi_reply_result(j->req, json_pack("{s:s,s:s}", "message", "File uploaded successfully",
	                                       "cid", j->added.cid));
}

static void reply_cid(struct job *j)
{
	if (j->err) {
		reply_failure(j, j->err == R1_ERR_INVAL ? 400 : 500);
		return;
	}
	httpapi_reply_result(j->req, json_pack("{s:s}", "cid", j->added.cid));
}

/* The upload of /add_file while it streams. */
struct upload {
	struct r1fs_http *h;
	struct multipart *mp;
	int fd;
	char *path;
	char *filename; /* of the file part */
	bool have_file, in_file;
	struct buf *field; /* the text field being read, or NULL */
	struct buf body, secret, fname, nonce;
	bool failed;
	char *why;
};

static void upload_free(struct upload *u)
{
	if (!u)
		return;
	multipart_free(&u->mp);
	if (u->fd >= 0)
		close(u->fd);
	if (u->path) {
		unlink(u->path);
		r1_free(u->path);
	}
	r1_free(u->filename);
	buf_release(&u->body);
	buf_release(&u->secret);
	buf_release(&u->fname);
	buf_release(&u->nonce);
	r1_free(u->why);
	r1_free(u);
}

static void upload_abort(void *arg)
{
	upload_free(arg);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	const char *b = strrchr(s ? s + 1 : p, '\\'); /* a Windows browser's path */
	return b ? b + 1 : s ? s + 1 : p;
}

static enum r1_err up_begin(void *ctx, const struct multipart_part *p, char **why)
{
	struct upload *u = ctx;
	u->in_file = false;
	u->field = NULL;
	if (strcmp(p->name, "file") == 0 && !u->have_file) {
		u->have_file = u->in_file = true;
		r1_free(u->filename);
		u->filename =
		    r1_strdup(base_name(p->filename && *p->filename ? p->filename : "file"));
		if (!u->filename)
			return r1_fail(why, R1_ERR_NOMEM, "out of memory");
		return R1_OK;
	}
	struct buf *fields[] = {&u->body, &u->body, &u->secret, &u->fname, &u->nonce};
	const char *names[] = {"body", "body_json", "secret", "filename", "nonce"};
	for (size_t i = 0; i < R1_ARRAY_LEN(names); i++)
		if (strcmp(p->name, names[i]) == 0) {
			u->field = fields[i];
			buf_reset(u->field);
		}
	return R1_OK; /* other parts are ignored, as the reference ignores them */
}

static enum r1_err up_data(void *ctx, const char *data, size_t len, char **why)
{
	struct upload *u = ctx;
	if (u->in_file) {
		while (len > 0) {
			ssize_t n = write(u->fd, data, len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return r1_fail(why, errno == ENOSPC ? R1_ERR_TOOBIG : R1_ERR_IO,
				               "writing the upload: %s", strerror(errno));
			data += n;
			len -= (size_t)n;
		}
		return R1_OK;
	}
	if (!u->field)
		return R1_OK;
	if (u->field->len + len > FORM_FIELD_MAX)
		return r1_fail(why, R1_ERR_TOOBIG, "a form field above %u bytes", FORM_FIELD_MAX);
	buf_add(u->field, data, len);
	return buf_ok(u->field) ? R1_OK : r1_fail(why, R1_ERR_NOMEM, "out of memory");
}

static enum r1_err up_end(void *ctx, char **why)
{
	struct upload *u = ctx;
	u->in_file = false;
	u->field = NULL;
	return R1_OK;
}

/* Start the upload on its first chunk; NULL after replying (the chunk function then fails). */
static struct upload *upload_start(struct r1fs_http *h, struct httpapi_req *r)
{
	char boundary[MULTIPART_BOUNDARY_MAX + 1];
	char *why = NULL;
	if (multipart_boundary(httpapi_header(r, "Content-Type"), boundary, &why) != R1_OK) {
		httpapi_reply_invalid(r, "missing", "body", "file", "Field required", NULL);
		r1_free(why);
		return NULL;
	}
	struct upload *u = r1_calloc(1, sizeof(*u));
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/up-XXXXXX", h->tmp);
	if (!u || !buf_ok(&path)) {
		r1_free(u);
		buf_release(&path);
		httpapi_reply_error(r, 500, "out of memory");
		return NULL;
	}
	u->h = h;
	u->fd = -1;
	u->path = buf_detach(&path, NULL);
	u->fd = mkostemp(u->path, O_CLOEXEC);
	struct multipart_cb cb = {u, up_begin, up_data, up_end};
	u->mp = multipart_new(boundary, &cb);
	if (u->fd < 0 || !u->mp) {
		httpapi_reply_error(r, 500, u->fd < 0 ? strerror(errno) : "out of memory");
		if (u->fd < 0) {
			r1_free(u->path);
			u->path = NULL;
		}
		upload_free(u);
		return NULL;
	}
	httpapi_set_data(r, u);
	httpapi_defer(r, upload_abort, u); /* a client that leaves mid-upload frees it */
	return u;
}

static bool chunk_add_file(void *ctx, struct httpapi_req *r, const char *data, size_t len)
{
	struct r1fs_http *h = ctx;
	struct upload *u = httpapi_get_data(r);
	if (!u && !(u = upload_start(h, r)))
		return false;
	char *why = NULL;
	enum r1_err e =
	    len ? multipart_feed(u->mp, data, len, &why) : multipart_finish(u->mp, &why);
	if (!e)
		return true;
	httpapi_set_data(r, NULL);
	httpapi_defer(r, NULL, NULL);
	if (e == R1_ERR_PROTO)
		httpapi_reply_json(r, 400, json_pack("{s:s}", "detail", why ? why : "bad upload"));
	else
		httpapi_reply_error(r, e == R1_ERR_TOOBIG ? 413 : 500, why ? why : r1_strerror(e));
	r1_free(why);
	upload_free(u);
	return false;
}

static void route_add_file(void *ctx, struct httpapi_req *r)
{
	struct r1fs_http *h = ctx;
	struct upload *u = httpapi_get_data(r);
	httpapi_set_data(r, NULL);
	httpapi_defer(r, NULL, NULL);
	if (!u || !u->have_file) {
		httpapi_reply_invalid(r, "missing", "body", "file", "Field required", NULL);
		upload_free(u);
		return;
	}
	/* the reference reads secret (and filename) from the "body" JSON; plain fields too */
	const char *secret = buf_ok(&u->secret) && u->secret.len ? buf_cstr(&u->secret) : NULL;
	int64_t nonce = R1FS_NONCE_RANDOM;
	json_t *body = NULL;
	if (u->body.len) {
		body = json_loadb(u->body.data, u->body.len, 0, NULL);
		if (!json_is_object(body)) {
			json_decref(body);
			httpapi_reply_json(
			    r, 400,
			    json_pack("{s:s}", "detail", "Invalid JSON in form field 'body'"));
			upload_free(u);
			return;
		}
		const char *s = json_string_value(json_object_get(body, "secret"));
		if (s)
			secret = s;
		const json_t *n = json_object_get(body, "nonce");
		if (json_is_integer(n) && json_integer_value(n) != R1FS_NONCE_RANDOM)
			nonce = (int64_t)json_integer_value(n);
	} else if (u->nonce.len) {
		char *end = NULL;
		long long n = strtoll(buf_cstr(&u->nonce), &end, 10);
		if (end && !*end && n != R1FS_NONCE_RANDOM)
			nonce = n;
	}
	struct job *j = job_new(h, r, run_add_path, reply_add_file);
	if (j) {
		close(u->fd);
		u->fd = -1;
		j->path = u->path;
		u->path = NULL;
		j->name = u->filename;
		u->filename = NULL;
		j->secret = dup_or_null(secret);
		j->nonce = nonce;
		job_submit(j);
	}
	json_decref(body);
	upload_free(u);
}

static void run_add_bytes(struct job *j)
{
	struct r1fs_add_opts o = R1FS_ADD_OPTS_INIT;
	o.secret = j->secret;
	o.nonce = j->nonce;
	j->err = r1fs_add_bytes(j->h->fs, j->text, j->text_len, j->name, &o, &j->added, &j->why);
	j->pins_changed = !j->err;
}

static void route_add_file_base64(void *ctx, struct httpapi_req *r)
{
	const json_t *body = httpapi_json_body(r);
	const char *b64, *filename, *secret;
	int64_t nonce;
	if (!body || !body_str(r, body, "file_base64_str", true, &b64) ||
	    !body_str(r, body, "filename", false, &filename) ||
	    !body_str(r, body, "secret", false, &secret) || !body_nonce(r, body, &nonce))
		return;
	/* a data: URL prefix is stripped (the README's example sends one) */
	const char *comma = strncmp(b64, "data:", 5) == 0 ? strstr(b64, ";base64,") : NULL;
	if (comma)
		b64 = comma + 8;
	uint8_t *data = NULL;
	size_t len = 0;
	if (base64_decode(b64, strlen(b64), B64_STD, &data, &len, NULL) != R1_OK) {
		httpapi_reply_error(r, 400, "file_base64_str is not base64");
		return;
	}
	struct job *j = job_new(ctx, r, run_add_bytes, reply_cid);
	if (!j) {
		r1_free(data);
		return;
	}
	j->text = (char *)data;
	j->text_len = len;
	j->name = r1_strdup(base_name(filename && *filename ? filename : "file.bin"));
	j->secret = dup_or_null(secret);
	j->nonce = nonce;
	job_submit(j);
}

static void run_add_json(struct job *j)
{
	struct r1fs_add_opts o = R1FS_ADD_OPTS_INIT;
	o.secret = j->secret;
	o.nonce = j->nonce;
	o.only_hash = j->flag;
	j->err = r1fs_add_json(j->h->fs, j->text, j->text_len, j->name, &o, &j->added, &j->why);
	j->pins_changed = !j->err && !j->flag;
}

static void run_add_yaml(struct job *j)
{
	struct r1fs_add_opts o = R1FS_ADD_OPTS_INIT;
	o.secret = j->secret;
	o.nonce = j->nonce;
	j->err = r1fs_add_yaml(j->h->fs, j->text, j->text_len, j->name, &o, &j->added, &j->why);
	j->pins_changed = !j->err;
}

/* /add_json, /add_yaml, /calculate_json_cid: {data, fn, secret, nonce}. */
static void data_route(struct r1fs_http *h, struct httpapi_req *r, job_fn run, bool only_hash)
{
	const json_t *body = httpapi_json_body(r);
	const char *fn, *secret;
	int64_t nonce;
	if (!body || !body_str(r, body, "fn", false, &fn) ||
	    !body_str(r, body, "secret", false, &secret) || !body_nonce(r, body, &nonce))
		return;
	const json_t *data = json_object_get(body, "data");
	if (!data) {
		httpapi_reply_invalid(r, "missing", "body", "data", "Field required",
		                      json_deep_copy(body));
		return;
	}
	char *text = json_dumps(data, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
	struct job *j = text ? job_new(h, r, run, reply_cid) : NULL;
	if (!j) {
		if (!text)
			httpapi_reply_error(r, 500, "out of memory");
		free(text);
		return;
	}
	j->text = r1_strdup(text);
	free(text);
	j->text_len = j->text ? strlen(j->text) : 0;
	j->name = dup_or_null(fn);
	j->secret = dup_or_null(secret);
	j->nonce = nonce;
	j->flag = only_hash;
	job_submit(j);
}

static void route_add_json(void *ctx, struct httpapi_req *r)
{
	data_route(ctx, r, run_add_json, false);
}

static void route_calculate_json_cid(void *ctx, struct httpapi_req *r)
{
	data_route(ctx, r, run_add_json, true);
}

static void route_add_yaml(void *ctx, struct httpapi_req *r)
{
	data_route(ctx, r, run_add_yaml, false);
}

static void route_pickle(void *ctx, struct httpapi_req *r)
{
	httpapi_reply_error(r, 500,
	                    "pickle files are Python objects; this node stores JSON and YAML"
	                    " (add_json, add_yaml)");
}

/* ------------------------------------------------------------ getting */

static void run_get_file(struct job *j)
{
	struct buf dir = BUF_INIT;
	buf_addf(&dir, "%s/get-XXXXXX", j->h->tmp);
	if (!buf_ok(&dir) || !mkdtemp(dir.data)) {
		j->err = r1_fail(&j->why, R1_ERR_IO, "a temporary directory: %s", strerror(errno));
		buf_release(&dir);
		return;
	}
	j->out_dir = buf_detach(&dir, NULL);
	struct r1fs_get_opts o = R1FS_GET_OPTS_INIT;
	o.secret = j->secret;
	j->err = r1fs_get_file(j->h->fs, j->cid, j->out_dir, &o, &j->out_path, &j->why);
	j->pins_changed = !j->err;
	if (!j->err)
		j->out_name = r1_strdup(base_name(j->out_path));
}

static void reply_not_found(struct job *j)
{
	httpapi_reply_json(j->req, 404,
	                   json_pack("{s:{s:s,s:s}}", "detail", "detail", "File not found!",
	                             "error", j->why ? j->why : r1_strerror(j->err)));
}

static void reply_get_file(struct job *j)
{
	if (j->err) {
		reply_not_found(j);
		return;
	}
	int fd = open(j->out_path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		httpapi_reply_error(j->req, 500, strerror(errno));
		return;
	}
	json_t *meta =
	    json_pack("{s:s,s:s}", "file", j->out_path, "filename", j->out_name ? j->out_name : "");
	char *meta_text = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
	json_decref(meta);
	const char *headers[] = {"x-meta", meta_text ? meta_text : "{}", NULL};
	/* the open file outlives its name: job_free unlinks it */
	httpapi_reply_fd(j->req, 200, "application/octet-stream", fd, (uint64_t)st.st_size,
	                 headers);
	free(meta_text);
}

/* A GET of ?cid=...&secret=... run as a job (get_file, get_yaml). */
static void submit_cid_query(void *ctx, struct httpapi_req *r, job_fn run, job_fn reply)
{
	const char *cid, *secret;
	if (!query_str(r, "cid", true, &cid) || !query_str(r, "secret", false, &secret))
		return;
	struct job *j = job_new(ctx, r, run, reply);
	if (!j)
		return;
	j->cid = r1_strdup(cid);
	j->secret = dup_or_null(secret && *secret ? secret : NULL);
	job_submit(j);
}

static void route_get_file(void *ctx, struct httpapi_req *r)
{
	submit_cid_query(ctx, r, run_get_file, reply_get_file);
}

static void run_get_bytes(struct job *j)
{
	struct r1fs_get_opts o = R1FS_GET_OPTS_INIT;
	o.secret = j->secret;
	j->err = r1fs_get_bytes(j->h->fs, j->cid, &o, R1FS_MAX_MEMORY_FILE, &j->bytes, &j->nbytes,
	                        &j->out_name, &j->why);
	j->pins_changed = !j->err;
}

static void reply_get_base64(struct job *j)
{
	if (j->err) {
		httpapi_reply_result(j->req, json_pack("{s:s,s:n,s:n}", "error",
		                                       j->why ? j->why : r1_strerror(j->err),
		                                       "file_base64_str", "filename"));
		return;
	}
	struct buf b = BUF_INIT;
	base64_encode(&b, j->bytes, j->nbytes, B64_STD);
	if (!buf_ok(&b)) {
		httpapi_reply_error(j->req, 500, "out of memory");
	} else {
		httpapi_reply_result(j->req,
		                     json_pack("{s:s%,s:s}", "file_base64_str", b.data, b.len,
		                               "filename", j->out_name ? j->out_name : ""));
	}
	buf_release(&b);
}

static void route_get_file_base64(void *ctx, struct httpapi_req *r)
{
	const json_t *body = httpapi_json_body(r);
	const char *cid, *secret;
	if (!body || !body_str(r, body, "cid", true, &cid) ||
	    !body_str(r, body, "secret", false, &secret))
		return;
	struct job *j = job_new(ctx, r, run_get_bytes, reply_get_base64);
	if (!j)
		return;
	j->cid = r1_strdup(cid);
	j->secret = dup_or_null(secret && *secret ? secret : NULL);
	job_submit(j);
}

static void run_get_yaml(struct job *j)
{
	struct r1fs_get_opts o = R1FS_GET_OPTS_INIT;
	o.secret = j->secret;
	j->err = r1fs_get_yaml(j->h->fs, j->cid, &o, &j->text, &j->why);
	j->pins_changed = !j->err;
}

static void reply_get_yaml(struct job *j)
{
	if (j->err) {
		httpapi_reply_result(
		    j->req, json_pack("{s:s}", "error", j->why ? j->why : r1_strerror(j->err)));
		return;
	}
	struct buf b = BUF_INIT;
	buf_adds(&b, "{\"file_data\":");
	buf_adds(&b, j->text);
	buf_addc(&b, '}');
	if (buf_ok(&b))
		httpapi_reply_result_text(j->req, buf_cstr(&b), NULL);
	else
		httpapi_reply_error(j->req, 500, "out of memory");
	buf_release(&b);
}

static void route_get_yaml(void *ctx, struct httpapi_req *r)
{
	submit_cid_query(ctx, r, run_get_yaml, reply_get_yaml);
}

/* ------------------------------------------------------------ deleting, pins, gc */

static void run_delete(struct job *j)
{
	j->err = r1fs_unpin(j->h->fs, j->cid, &j->why);
	j->pins_changed = !j->err;
	if (!j->err && j->flag) {
		struct r1fs_gc_stats gs;
		char *gwhy = NULL;
		if (r1fs_gc(j->h->fs, API_GC_GRACE_S, &gs, &gwhy) != R1_OK)
			LOG_W(j->h->log, LOGMOD, "gc after deleting %s: %s", j->cid,
			      gwhy ? gwhy : "?");
		r1_free(gwhy);
	}
}

static void reply_delete(struct job *j)
{
	char msg[300];
	if (j->err)
		snprintf(msg, sizeof(msg), "%s", j->why ? j->why : r1_strerror(j->err));
	else
		snprintf(msg, sizeof(msg), "unpinned%s", j->flag ? " and garbage collected" : "");
	httpapi_reply_result(
	    j->req, json_pack("{s:b,s:s,s:s}", "success", !j->err, "message", msg, "cid", j->cid));
}

static void route_delete_file(void *ctx, struct httpapi_req *r)
{
	const json_t *body = httpapi_json_body(r);
	const char *cid;
	if (!body || !body_str(r, body, "cid", true, &cid))
		return;
	struct job *j = job_new(ctx, r, run_delete, reply_delete);
	if (!j)
		return;
	j->cid = r1_strdup(cid);
	j->flag = body_bool(body, "run_gc", false);
	job_submit(j);
}

static void run_delete_many(struct job *j)
{
	json_t *ok = json_array(), *failed = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(j->list, i, v)
	{
		const char *cid = json_string_value(v);
		bool done = cid && r1fs_unpin(j->h->fs, cid, NULL) == R1_OK;
		json_array_append(done ? ok : failed, v);
	}
	j->pins_changed = json_array_size(ok) > 0;
	if (j->flag && json_array_size(ok)) {
		struct r1fs_gc_stats gs;
		r1fs_gc(j->h->fs, API_GC_GRACE_S, &gs, NULL);
	}
	j->result = json_pack("{s:o,s:o,s:I,s:I,s:I}", "success", ok, "failed", failed, "total",
	                      (json_int_t)json_array_size(j->list), "success_count",
	                      (json_int_t)json_array_size(ok), "failed_count",
	                      (json_int_t)json_array_size(failed));
}

static void reply_result(struct job *j)
{
	if (j->err) {
		reply_failure(j, j->err == R1_ERR_NOTFOUND ? 404
		                 : j->err == R1_ERR_INVAL  ? 400
		                                           : 500);
		return;
	}
	httpapi_reply_result(j->req, j->result ? json_incref(j->result) : json_null());
}

static void route_delete_files(void *ctx, struct httpapi_req *r)
{
	const json_t *body = httpapi_json_body(r);
	if (!body)
		return;
	const json_t *cids = json_object_get(body, "cids");
	if (!json_is_array(cids)) {
		httpapi_reply_invalid(r, cids ? "list_type" : "missing", "body", "cids",
		                      cids ? "Input should be a valid list" : "Field required",
		                      cids ? json_deep_copy(cids) : NULL);
		return;
	}
	struct job *j = job_new(ctx, r, run_delete_many, reply_result);
	if (!j)
		return;
	j->list = json_deep_copy(cids);
	j->flag = body_bool(body, "run_gc_after_all", true);
	job_submit(j);
}

/* ------------------------------------------------------------ ops.h operations */

static void run_op(struct job *j)
{
	j->err = r1fs_op_run(j->h->fs, j->op, j->list, &j->result, &j->pins_changed, &j->why);
}

static void op_submit(struct r1fs_http *h, struct httpapi_req *r, const char *op, json_t *args)
{
	struct job *j = job_new(h, r, run_op, reply_result);
	if (!j) {
		json_decref(args);
		return;
	}
	j->op = op;
	j->list = args;
	job_submit(j);
}

/* GET routes: ?cid= when the operation needs one. */
static void op_get(struct r1fs_http *h, struct httpapi_req *r, const char *op)
{
	bool needs = false;
	r1fs_op_known(op, &needs);
	const char *cid = NULL;
	if (needs && !query_str(r, "cid", true, &cid))
		return;
	op_submit(h, r, op, cid ? json_pack("{s:s}", "cid", cid) : json_object());
}

/* POST routes: the body's cid (and grace) as the arguments. */
static void op_post(struct r1fs_http *h, struct httpapi_req *r, const char *op)
{
	const json_t *body = httpapi_json_body(r);
	bool needs = false;
	r1fs_op_known(op, &needs);
	const char *cid = NULL;
	if (!body || (needs && !body_str(r, body, "cid", true, &cid)))
		return;
	const json_t *g = json_object_get(body, "grace");
	if (g && !json_is_null(g) && (!json_is_integer(g) || json_integer_value(g) < 0)) {
		httpapi_reply_invalid(r, "int_type", "body", "grace",
		                      "Input should be a non-negative integer", json_deep_copy(g));
		return;
	}
	op_submit(h, r, op, json_deep_copy(body));
}

/* Our routes that are one store operation each: the route's arg names it. */
static void route_op_get(void *ctx, struct httpapi_req *r)
{
	op_get(ctx, r, httpapi_route_arg(r));
}

static void route_op_post(void *ctx, struct httpapi_req *r)
{
	op_post(ctx, r, httpapi_route_arg(r));
}

/* ------------------------------------------------------------ cat */

static enum r1_err fd_write(void *ctx, const uint8_t *data, size_t len, char **why)
{
	int fd = *(int *)ctx;
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return r1_fail(why, R1_ERR_IO, "writing: %s", strerror(errno));
		data += n;
		len -= (size_t)n;
	}
	return R1_OK;
}

static void run_cat(struct job *j)
{
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/cat-XXXXXX", j->h->tmp);
	int fd = buf_ok(&path) ? mkostemp(path.data, O_CLOEXEC) : -1;
	if (fd < 0) {
		j->err = r1_fail(&j->why, R1_ERR_IO, "a temporary file: %s", strerror(errno));
		buf_release(&path);
		return;
	}
	j->out_path = buf_detach(&path, NULL);
	j->err = r1fs_cat(j->h->fs, j->cid, 0, 0, fd_write, &fd, &j->why);
	close(fd);
}

static void reply_cat(struct job *j)
{
	if (j->err) {
		reply_failure(j, j->err == R1_ERR_NOTFOUND ? 404
		                 : j->err == R1_ERR_INVAL  ? 400
		                                           : 500);
		return;
	}
	int fd = open(j->out_path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		httpapi_reply_error(j->req, 500, strerror(errno));
		return;
	}
	httpapi_reply_fd(j->req, 200, "application/octet-stream", fd, (uint64_t)st.st_size, NULL);
}

static void route_cat(void *ctx, struct httpapi_req *r)
{
	const char *cid = NULL;
	if (!query_str(r, "cid", true, &cid))
		return;
	struct job *j = job_new(ctx, r, run_cat, reply_cat);
	if (!j)
		return;
	j->cid = r1_strdup(cid);
	job_submit(j);
}

static void route_transfers(void *ctx, struct httpapi_req *r)
{
	struct r1fs_http *h = ctx;
	httpapi_reply_result(r, h->env.transfers ? h->env.transfers(h->env.ctx) : json_array());
}

static void route_peers(void *ctx, struct httpapi_req *r)
{
	struct r1fs_http *h = ctx;
	httpapi_reply_result(r, h->env.peers ? h->env.peers(h->env.ctx) : json_array());
}

static const struct httpapi_route routes[] = {
    {"GET", "/get_status", route_status, 0, NULL},
    {"POST", "/add_file", route_add_file, 0, chunk_add_file},
    {"GET", "/get_file", route_get_file, 0, NULL},
    {"POST", "/add_file_base64", route_add_file_base64, JSON_BODY_MAX, NULL},
    {"POST", "/get_file_base64", route_get_file_base64, 0, NULL},
    {"POST", "/add_json", route_add_json, JSON_BODY_MAX, NULL},
    {"POST", "/add_yaml", route_add_yaml, JSON_BODY_MAX, NULL},
    {"POST", "/calculate_json_cid", route_calculate_json_cid, JSON_BODY_MAX, NULL},
    {"GET", "/get_yaml", route_get_yaml, 0, NULL},
    {"POST", "/add_pickle", route_pickle, 0, NULL},
    {"POST", "/calculate_pickle_cid", route_pickle, 0, NULL},
    {"POST", "/delete_file", route_delete_file, 0, NULL},
    {"POST", "/delete_files", route_delete_files, 0, NULL},
    /* ours */
    {"GET", "/list_pins", route_op_get, 0, NULL, "pins"},
    {"POST", "/pin", route_op_post, 0, NULL, "pin"},
    {"POST", "/unpin", route_op_post, 0, NULL, "unpin"},
    {"POST", "/gc", route_op_post, 0, NULL, "gc"},
    {"GET", "/stat", route_op_get, 0, NULL, "stat"},
    {"GET", "/ls", route_op_get, 0, NULL, "ls"},
    {"GET", "/cat", route_cat, 0, NULL},
    {"GET", "/store_stat", route_op_get, 0, NULL, "store_stat"},
    {"GET", "/transfers", route_transfers, 0, NULL},
    {"GET", "/peers", route_peers, 0, NULL},
};

/* ------------------------------------------------------------ life */

/* Leftovers of a previous run (a kill -9 mid-upload): files and get-* directories. */
static void clean_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *p = paths_join(dir, de->d_name);
		if (p)
			paths_remove_tree(p);
		r1_free(p);
	}
	if (d)
		closedir(d);
}

enum r1_err r1fs_http_new(struct r1fs *fs, const struct httpapi_config *cfg,
                          const struct r1fs_http_identity *id, const char *tmp_dir,
                          const struct r1fs_http_env *env, struct r1_log *log,
                          struct r1fs_http **out, char **why)
{
	struct r1fs_http *h = r1_calloc(1, sizeof(*h));
	if (!h)
		return r1_fail(why, R1_ERR_NOMEM, "r1fs-api: out of memory");
	h->fs = fs;
	h->log = log;
	if (env)
		h->env = *env;
	h->tmp = r1_strdup(tmp_dir);
	h->addr = id ? dup_or_null(id->node.addr) : NULL;
	h->alias = id ? dup_or_null(id->node.alias) : NULL;
	h->store = r1_strdup(id && id->store ? id->store : "builtin");
	enum r1_err e = R1_OK;
	if (!h->tmp || !h->store)
		e = r1_fail(why, R1_ERR_NOMEM, "r1fs-api: out of memory");
	else if (mkdir(h->tmp, 0700) != 0 && errno != EEXIST)
		e = r1_fail(why, R1_ERR_IO, "r1fs-api: mkdir %s: %s", h->tmp, strerror(errno));
	if (!e) {
		clean_tmp(h->tmp);
		e = workers_new(cfg->loop, WORKERS, 256, &h->pool, why);
	}
	struct httpapi_config c = *cfg;
	if (!c.name)
		c.name = "r1fs-api";
	if (!e)
		e = httpapi_new(&c, routes, R1_ARRAY_LEN(routes), h, log, &h->http, why);
	if (!e)
		e = httpapi_set_identity(h->http, id ? &id->node : NULL, why);
	if (e) {
		r1fs_http_free(&h);
		return e;
	}
	*out = h;
	return R1_OK;
}

void r1fs_http_free(struct r1fs_http **hp)
{
	struct r1fs_http *h = *hp;
	if (!h)
		return;
	httpapi_free(&h->http); /* deferred requests: their jobs lose the request */
	workers_free(&h->pool); /* jobs end; their done calls free them */
	r1_free(h->tmp);
	r1_free(h->addr);
	r1_free(h->alias);
	r1_free(h->store);
	r1_free(h);
	*hp = NULL;
}

uint16_t r1fs_http_port(const struct r1fs_http *h)
{
	return httpapi_port(h->http);
}
