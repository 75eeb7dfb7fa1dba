/*
 * The streaming multipart/form-data parser (see multipart.h).  The body
 * is scanned for "\r\n--boundary"; bytes that could be the start of a
 * delimiter split across two pieces are held back until the next piece
 * says which they are, so a part's content is passed on as soon as it is
 * known not to be a delimiter.  The first delimiter may start the body
 * without its CRLF, which is why the scan starts as if one preceded it.
 */
#include "node/lib.h"
#include "node/r1fs/multipart.h"

#include "core/buf.h"

#include <strings.h>

enum mp_state {
	MP_PREAMBLE,    /* before the first delimiter */
	MP_AFTER_DELIM, /* "--" (the end) or CRLF (a part) follows */
	MP_HEADERS,
	MP_BODY,
	MP_DONE,
};

struct multipart {
	struct multipart_cb cb;
	char delim[MULTIPART_BOUNDARY_MAX + 5]; /* "\r\n--" boundary */
	size_t dlen;
	enum mp_state state;
	struct buf pending; /* bytes not yet decided on */
	size_t parts;
	bool in_part;
};

enum r1_err multipart_boundary(const char *content_type, char out[MULTIPART_BOUNDARY_MAX + 1],
                               char **why)
{
	if (!content_type || strncasecmp(content_type, "multipart/form-data", 19) != 0)
		return r1_fail(why, R1_ERR_INVAL, "multipart: the body is not multipart/form-data");
	const char *p = content_type + 19;
	while ((p = strchr(p, ';')) != NULL) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "boundary=", 9) != 0)
			continue;
		p += 9;
		size_t n = 0;
		if (*p == '"') {
			const char *end = strchr(p + 1, '"');
			if (!end)
				break;
			p++;
			n = (size_t)(end - p);
		} else {
			n = strcspn(p, "; \t");
		}
		if (n == 0 || n > MULTIPART_BOUNDARY_MAX)
			break;
		memcpy(out, p, n);
		out[n] = '\0';
		return R1_OK;
	}
	return r1_fail(why, R1_ERR_INVAL, "multipart: no usable boundary in the Content-Type");
}

struct multipart *multipart_new(const char *boundary, const struct multipart_cb *cb)
{
	size_t blen = strlen(boundary);
	if (blen == 0 || blen > MULTIPART_BOUNDARY_MAX)
		return NULL;
	struct multipart *m = r1_calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->cb = *cb;
	memcpy(m->delim, "\r\n--", 4);
	memcpy(m->delim + 4, boundary, blen);
	m->dlen = 4 + blen;
	buf_init(&m->pending);
	buf_adds(&m->pending, "\r\n"); /* the first delimiter may open the body */
	return m;
}

void multipart_free(struct multipart **mp)
{
	struct multipart *m = *mp;
	if (!m)
		return;
	buf_release(&m->pending);
	r1_free(m);
	*mp = NULL;
}

/* A quoted-string or token parameter of a header value ("name", "filename"). */
static char *header_param(const char *value, const char *param)
{
	size_t plen = strlen(param);
	const char *p = value;
	while ((p = strchr(p, ';')) != NULL) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, param, plen) != 0 || p[plen] != '=')
			continue;
		p += plen + 1;
		struct buf b = BUF_INIT;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				buf_addc(&b, *p);
			}
		} else {
			size_t n = strcspn(p, "; \t");
			buf_add(&b, p, n);
		}
		buf_addc(&b, '\0');
		b.len--;
		return buf_ok(&b) ? buf_detach(&b, NULL) : NULL;
	}
	return NULL;
}

/* Parse a part's header block (lines separated by CRLF) and announce the part. */
static enum r1_err begin_part(struct multipart *m, char *headers, size_t len, char **why)
{
	char *name = NULL, *filename = NULL, *ctype = NULL;
	char *line = headers, *end = headers + len;
	enum r1_err e = R1_OK;
	while (line < end && !e) {
		char *eol = memchr(line, '\r', (size_t)(end - line));
		if (!eol)
			eol = end;
		*eol = '\0';
		char *colon = strchr(line, ':');
		if (colon) {
			*colon = '\0';
			char *v = colon + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			if (strcasecmp(line, "Content-Disposition") == 0) {
				if (strncasecmp(v, "form-data", 9) != 0)
					e = r1_fail(why, R1_ERR_PROTO,
					            "multipart: a part that is not form-data");
				r1_free(name);
				r1_free(filename);
				name = header_param(v, "name");
				filename = header_param(v, "filename");
			} else if (strcasecmp(line, "Content-Type") == 0) {
				r1_free(ctype);
				ctype = r1_strdup(v);
			}
		}
		line = eol + 2;
	}
	if (!e && ++m->parts > MULTIPART_PARTS_MAX)
		e = r1_fail(why, R1_ERR_PROTO, "multipart: more than %d parts",
		            MULTIPART_PARTS_MAX);
	if (!e) {
		struct multipart_part part = {name ? name : "", filename, ctype};
		m->in_part = true;
		e = m->cb.begin ? m->cb.begin(m->cb.ctx, &part, why) : R1_OK;
	}
	r1_free(name);
	r1_free(filename);
	r1_free(ctype);
	return e;
}

/* Drop the first n bytes of pending. */
static void consume(struct multipart *m, size_t n)
{
	memmove(m->pending.data, m->pending.data + n, m->pending.len - n);
	m->pending.len -= n;
}

static enum r1_err emit(struct multipart *m, size_t n, char **why)
{
	enum r1_err e = R1_OK;
	if (n && m->in_part && m->cb.data)
		e = m->cb.data(m->cb.ctx, m->pending.data, n, why);
	consume(m, n);
	return e;
}

static enum r1_err run(struct multipart *m, char **why)
{
	for (;;) {
		char *p = m->pending.data;
		size_t len = m->pending.len;
		switch (m->state) {
		case MP_PREAMBLE:
		case MP_BODY: {
			char *hit = len >= m->dlen ? memmem(p, len, m->delim, m->dlen) : NULL;
			if (!hit) {
				/* keep what could be the start of a delimiter */
				size_t keep = R1_MIN(len, m->dlen - 1);
				size_t n = len - keep;
				if (m->state == MP_BODY)
					return emit(m, n, why);
				consume(m, n);
				return R1_OK;
			}
			size_t n = (size_t)(hit - p);
			enum r1_err e =
			    m->state == MP_BODY ? emit(m, n, why) : (consume(m, n), R1_OK);
			if (!e && m->in_part) {
				m->in_part = false;
				e = m->cb.end ? m->cb.end(m->cb.ctx, why) : R1_OK;
			}
			if (e)
				return e;
			consume(m, m->dlen);
			m->state = MP_AFTER_DELIM;
			break;
		}
		case MP_AFTER_DELIM: {
			if (len < 2)
				return R1_OK;
			if (p[0] == '-' && p[1] == '-') {
				m->state = MP_DONE;
				m->pending.len = 0;
				return R1_OK;
			}
			/* transport padding, then CRLF */
			size_t i = 0;
			while (i < len && (p[i] == ' ' || p[i] == '\t'))
				i++;
			if (i > 256)
				return r1_fail(why, R1_ERR_PROTO,
				               "multipart: junk after a delimiter");
			if (len - i < 2)
				return R1_OK;
			if (p[i] != '\r' || p[i + 1] != '\n')
				return r1_fail(why, R1_ERR_PROTO,
				               "multipart: junk after a delimiter");
			consume(m, i + 2);
			m->state = MP_HEADERS;
			break;
		}
		case MP_HEADERS: {
			char *end = len >= 2 && p[0] == '\r' && p[1] == '\n'
			                ? p
			                : memmem(p, len, "\r\n\r\n", 4);
			if (!end) {
				if (len > MULTIPART_HEADERS_MAX)
					return r1_fail(
					    why, R1_ERR_PROTO,
					    "multipart: a part's headers exceed %u bytes",
					    MULTIPART_HEADERS_MAX);
				return R1_OK;
			}
			size_t hlen = (size_t)(end - p);
			if (hlen > MULTIPART_HEADERS_MAX)
				return r1_fail(why, R1_ERR_PROTO,
				               "multipart: a part's headers exceed %u bytes",
				               MULTIPART_HEADERS_MAX);
			enum r1_err e = begin_part(m, p, hlen, why);
			if (e)
				return e;
			consume(m, hlen + (hlen ? 4 : 2));
			m->state = MP_BODY;
			break;
		}
		case MP_DONE:
			m->pending.len = 0;
			return R1_OK;
		}
	}
}

enum r1_err multipart_feed(struct multipart *m, const char *data, size_t len, char **why)
{
	if (m->state == MP_DONE)
		return R1_OK;
	buf_add(&m->pending, data, len);
	if (!buf_ok(&m->pending))
		return r1_fail(why, R1_ERR_NOMEM, "multipart: out of memory");
	return run(m, why);
}

enum r1_err multipart_finish(struct multipart *m, char **why)
{
	if (m->state != MP_DONE)
		return r1_fail(why, R1_ERR_PROTO,
		               "multipart: the body ended before its closing delimiter");
	return R1_OK;
}
