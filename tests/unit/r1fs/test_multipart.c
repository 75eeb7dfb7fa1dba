/*
 * The streaming multipart parser: the bodies the TypeScript client's
 * form-data and undici send, fed whole and split at every byte, and
 * malformed ones.
 */
#include "node/lib.h"
#include "node/r1fs/multipart.h"

#include "core/buf.h"
#include "tests/tap.h"

struct seen {
	struct buf log; /* "name|filename|type:content;" per part */
	int parts;
};

static enum r1_err on_begin(void *ctx, const struct multipart_part *p, char **why)
{
	struct seen *s = ctx;
	buf_addf(&s->log, "%s|%s|%s:", p->name, p->filename ? p->filename : "-",
	         p->content_type ? p->content_type : "-");
	s->parts++;
	return R1_OK;
}

static enum r1_err on_data(void *ctx, const char *data, size_t len, char **why)
{
	struct seen *s = ctx;
	buf_add(&s->log, data, len);
	return R1_OK;
}

static enum r1_err on_end(void *ctx, char **why)
{
	buf_addc(&((struct seen *)ctx)->log, ';');
	return R1_OK;
}

/* Parse body fed in pieces of `step` bytes (0 = whole); the log, or NULL on error. */
static char *parse(const char *boundary, const char *body, size_t len, size_t step,
                   enum r1_err *err, char **why)
{
	struct seen s = {BUF_INIT, 0};
	struct multipart_cb cb = {&s, on_begin, on_data, on_end};
	struct multipart *m = multipart_new(boundary, &cb);
	enum r1_err e = R1_OK;
	for (size_t at = 0; at < len && !e;) {
		size_t n = step ? R1_MIN(step, len - at) : len;
		e = multipart_feed(m, body + at, n, why);
		at += n;
	}
	if (!e)
		e = multipart_finish(m, why);
	multipart_free(&m);
	*err = e;
	if (e) {
		buf_release(&s.log);
		return NULL;
	}
	buf_addc(&s.log, '\0');
	return buf_detach(&s.log, NULL);
}

static const char form_data_body[] =
    "----------------------------0cfd09c835de0a0387e5f4fa\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"hello.txt\"\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "hello world\r\n"
    "----------------------------0cfd09c835de0a0387e5f4fa\r\n"
    "Content-Disposition: form-data; name=\"body\"\r\n"
    "\r\n"
    "{\"filename\":\"hello.txt\",\"secret\":\"s3cr3t\",\"nonce\":7}\r\n"
    "----------------------------0cfd09c835de0a0387e5f4fa--\r\n";

static void test_boundary(void)
{
	char b[MULTIPART_BOUNDARY_MAX + 1];
	is_int(multipart_boundary("multipart/form-data; boundary=--------------------------"
	                          "0cfd09c835de0a0387e5f4fa",
	                          b, NULL),
	       R1_OK, "form-data's Content-Type");
	is_str(b, "--------------------------0cfd09c835de0a0387e5f4fa", "its boundary");
	is_int(multipart_boundary("multipart/form-data; charset=utf-8; boundary=\"a b\"", b, NULL),
	       R1_OK, "quoted, after another parameter");
	is_str(b, "a b", "unquoted");
	char *why = NULL;
	is_int(multipart_boundary("application/json", b, &why), R1_ERR_INVAL, "not multipart");
	is_int(multipart_boundary("multipart/form-data", b, &why), R1_ERR_INVAL, "no boundary");
	is_int(multipart_boundary(NULL, b, &why), R1_ERR_INVAL, "no Content-Type");
	char longer[300];
	snprintf(longer, sizeof(longer), "multipart/form-data; boundary=%0250d", 0);
	is_int(multipart_boundary(longer, b, &why), R1_ERR_INVAL, "a 250-byte boundary");
	r1_free(why);
}

static void test_bodies(void)
{
	const char *boundary = "--------------------------0cfd09c835de0a0387e5f4fa";
	const char *want =
	    "file|hello.txt|text/plain:hello world;"
	    "body|-|-:{\"filename\":\"hello.txt\",\"secret\":\"s3cr3t\",\"nonce\":7};";
	enum r1_err e;
	char *why = NULL;
	char *got = parse(boundary, form_data_body, strlen(form_data_body), 0, &e, &why);
	is_str(got, want, "form-data's body, whole");
	r1_free(got);
	bool all = true;
	for (size_t step = 1; step < 80; step++) {
		got = parse(boundary, form_data_body, strlen(form_data_body), step, &e, &why);
		all = all && got && strcmp(got, want) == 0;
		r1_free(got);
	}
	ok(all, "the same split into pieces of 1 to 79 bytes");

	/* undici: another boundary style, no trailing CRLF, binary content with CRs */
	struct buf b = BUF_INIT;
	buf_adds(&b, "------formdata-undici-012345\r\n"
	             "Content-Disposition: form-data; name=\"file\"; filename=\"a\\\"b.bin\"\r\n"
	             "Content-Type: application/octet-stream\r\n\r\n");
	for (int i = 0; i < 300; i++)
		buf_addc(&b, (char)(i % 7 == 0    ? '\r'
		                    : i % 11 == 0 ? '\n'
		                    : i % 13 == 0 ? '-'
		                                  : 'x'));
	buf_adds(&b, "\r\n------formdata-undici-012345--");
	got = parse("----formdata-undici-012345", b.data, b.len, 3, &e, &why);
	ok(got && strncmp(got, "file|a\"b.bin|application/octet-stream:", 38) == 0,
	   "undici's body, escaped quote in the file name");
	ok(got && strlen(got) == 38 + 300 + 1, "and 300 content bytes with CRs, LFs and dashes");
	r1_free(got);
	buf_release(&b);

	/* a part with no headers, an empty part, a preamble and an epilogue */
	const char *odd =
	    "preamble\r\n--XY\r\n\r\nno headers\r\n--XY\r\n"
	    "Content-Disposition: form-data; name=empty\r\n\r\n\r\n--XY--\r\nepilogue";
	got = parse("XY", odd, strlen(odd), 0, &e, &why);
	is_str(got, "|-|-:no headers;empty|-|-:;", "no headers, an empty part, pre- and epilogue");
	r1_free(got);

	/* malformed */
	const char *cut = "--XY\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nabc";
	got = parse("XY", cut, strlen(cut), 0, &e, &why);
	is_int(e, R1_ERR_PROTO, "a body cut before its closing delimiter");
	ok(why && strstr(why, "closing"), "reason: %s", why);
	const char *junk = "--XY junk\r\n\r\nx\r\n--XY--";
	got = parse("XY", junk, strlen(junk), 0, &e, &why);
	is_int(e, R1_ERR_PROTO, "junk after a delimiter");
	const char *notform = "--XY\r\nContent-Disposition: attachment\r\n\r\nx\r\n--XY--";
	got = parse("XY", notform, strlen(notform), 0, &e, &why);
	is_int(e, R1_ERR_PROTO, "a part that is not form-data");
	struct buf big = BUF_INIT;
	buf_adds(&big, "--XY\r\nX-Long: ");
	for (int i = 0; i < 20000; i++)
		buf_addc(&big, 'a');
	got = parse("XY", big.data, big.len, 0, &e, &why);
	is_int(e, R1_ERR_PROTO, "headers over 16 KiB");
	buf_release(&big);
	struct buf many = BUF_INIT;
	for (int i = 0; i < MULTIPART_PARTS_MAX + 1; i++)
		buf_adds(&many, "--XY\r\nContent-Disposition: form-data; name=p\r\n\r\nv\r\n");
	buf_adds(&many, "--XY--");
	got = parse("XY", many.data, many.len, 0, &e, &why);
	is_int(e, R1_ERR_PROTO, "more than %d parts", MULTIPART_PARTS_MAX);
	buf_release(&many);
	r1_free(why);
}

int main(void)
{
	test_boundary();
	test_bodies();
	return tap_done();
}
