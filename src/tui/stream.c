/*
 * The console's live streams (see stream.h): a ring of records made once
 * per message, so drawing a stream of thousands of rows never touches
 * JSON.  Not the cache's ring: that one is on disk for later; this one is
 * what the operator watches now, with the verification verdict that the
 * cache does not keep.
 */
#include "tui/lib.h"
#include "tui/stream.h"
#include "core/buf.h"
#include "core/proto.h"
#include "core/sanitize.h"

#define STREAM_DEFAULT_CAP      2000u
#define STREAM_DEFAULT_BODY_MAX (16u * 1024u * 1024u)
#define SUMMARY_VALUE_MAX       40

enum r1_err stream_init(struct stream *s, size_t cap, size_t body_max)
{
	memset(s, 0, sizeof(*s));
	s->cap = cap ? cap : STREAM_DEFAULT_CAP;
	s->body_max = body_max ? body_max : STREAM_DEFAULT_BODY_MAX;
	s->next_seq = 1;
	s->ring = r1_calloc(s->cap, sizeof(*s->ring));
	return s->ring ? R1_OK : R1_ERR_NOMEM;
}

void stream_release(struct stream *s)
{
	for (size_t i = 0; s->ring && i < s->n; i++)
		r1_free(s->ring[(s->head + i) % s->cap].body);
	r1_free(s->ring);
	memset(s, 0, sizeof(*s));
}

size_t stream_count(const struct stream *s)
{
	return s->n;
}

const struct stream_entry *stream_at(const struct stream *s, size_t i)
{
	return i < s->n ? &s->ring[(s->head + i) % s->cap] : NULL;
}

uint64_t stream_first_seq(const struct stream *s)
{
	return s->n ? s->ring[s->head].seq : s->next_seq;
}

const struct stream_entry *stream_find(const struct stream *s, uint64_t seq)
{
	uint64_t first = stream_first_seq(s);
	if (seq < first || seq >= first + s->n)
		return NULL;
	return stream_at(s, (size_t)(seq - first));
}

static void evict_oldest(struct stream *s)
{
	struct stream_entry *e = &s->ring[s->head];
	s->body_bytes -= R1_MIN(s->body_bytes, e->body_len);
	r1_free(e->body);
	memset(e, 0, sizeof(*e));
	s->head = (s->head + 1) % s->cap;
	s->n--;
	s->evicted++;
}

static void copy_text(char *dst, size_t size, const char *src)
{
	if (!src) {
		dst[0] = '\0';
		return;
	}
	r1_sanitize_into(dst, size, src, strlen(src), 0);
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Envelope, routing and alert bookkeeping keys: not what a payload is about. */
static const char *const envelope_keys[] = {
    "STREAM_NAME",
    "STREAM",
    "SIGNATURE",
    "INSTANCE_ID",
    "SESSION_ID",
    "INITIATOR_ID",
    "INITIATOR_ADDR",
    "MODIFIED_BY_ID",
    "MODIFIED_BY_ADDR",
    "USE_LOCAL_COMMS_ONLY",
    "TIMESTAMP_EXECUTION",
    "ID",
    "ID_TAGS",
    "INIT_DATA",
    "TAGS",
    "DATA",
    "IMG",
    "PIPELINE",
    "LAST_ALERT_DURATION",
    "PLUGIN_CATEGORY",
    "SB_IMPLEMENTATION",
    "SIGN_CANON_V",
};

static bool envelope_key(const char *k)
{
	if (strncmp(k, "EE_", 3) == 0 || strncmp(k, "IS_", 3) == 0 || k[0] == '_')
		return true;
	for (size_t i = 0; i < R1_ARRAY_LEN(envelope_keys); i++)
		if (strcmp(k, envelope_keys[i]) == 0)
			return true;
	return false;
}

/* "KEY=value KEY=value ..." of a payload's own keys, scalars shown short. */
static void summarize(const json_t *body, char *out, size_t size)
{
	struct buf b = BUF_INIT;
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)body, k, v)
	{
		if (envelope_key(k))
			continue;
		if (b.len >= size)
			break;
		if (b.len)
			buf_adds(&b, " ");
		buf_addf(&b, "%s=", k);
		if (json_is_string(v)) {
			const char *sv = json_string_value(v);
			size_t n = R1_MIN(strlen(sv), (size_t)SUMMARY_VALUE_MAX);
			buf_add(&b, sv, n);
		} else if (json_is_integer(v)) {
			buf_addf(&b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		} else if (json_is_real(v)) {
			buf_addf(&b, "%g", json_real_value(v));
		} else if (json_is_boolean(v)) {
			buf_adds(&b, json_is_true(v) ? "true" : "false");
		} else if (json_is_null(v)) {
			buf_adds(&b, "null");
		} else {
			/* a small object or list in full, a big one cut */
			char *j = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII |
			                            JSON_REAL_PRECISION(6));
			size_t n = j ? strlen(j) : 0;
			if (j && n <= SUMMARY_VALUE_MAX) {
				buf_add(&b, j, n);
			} else if (j) {
				buf_add(&b, j, SUMMARY_VALUE_MAX - 3);
				buf_adds(&b, "...");
			}
			r1_free(j);
		}
	}
	if (buf_ok(&b))
		r1_sanitize_into(out, size, b.data ? b.data : "", b.len, 0);
	else
		out[0] = '\0';
	buf_release(&b);
}

const struct stream_entry *stream_add(struct stream *s, const struct stream_msg *m, int64_t now_ms)
{
	if (!json_is_object(m->body) || !s->ring)
		return NULL;
	if (s->n == s->cap)
		evict_oldest(s);
	struct stream_entry *e = &s->ring[(s->head + s->n) % s->cap];
	memset(e, 0, sizeof(*e));
	e->seq = s->next_seq++;
	e->t_ms = now_ms;
	copy_text(e->sender, sizeof(e->sender), m->sender);
	const json_t *path = json_object_get(m->body, K_EE_PAYLOAD_PATH);
	char *fields[4] = {e->node, e->pipeline, e->signature, e->instance};
	for (size_t i = 0; i < 4; i++)
		copy_text(fields[i], STREAM_NAME_MAX + 1,
		          json_string_value(json_array_get(path, i)));
	if (!e->node[0])
		copy_text(e->node, sizeof(e->node), jstr(m->body, K_EE_ID));
	const json_t *code = json_object_get(m->body, K_NOTIFICATION_CODE);
	if (json_is_integer(code)) {
		json_int_t c = json_integer_value(code);
		e->code = (int)R1_MAX(R1_MIN(c, (json_int_t)INT32_MAX), (json_int_t)INT32_MIN);
		e->has_code = true;
	}
	copy_text(e->ntype, sizeof(e->ntype), jstr(m->body, K_NOTIFICATION_TYPE));
	const char *note = jstr(m->body, K_NOTIFICATION);
	if (note)
		copy_text(e->text, sizeof(e->text), note);
	else
		summarize(m->body, e->text, sizeof(e->text));
	e->wire_len = (uint32_t)R1_MIN(m->wire_len, (size_t)UINT32_MAX);
	e->verified = m->verified;
	e->encrypted = m->encrypted;
	e->decrypted = m->decrypted;
	copy_text(e->reason, sizeof(e->reason), m->reason);
	s->n++;
	s->total++;

	char *body =
	    json_dumps(m->body, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15));
	if (body) {
		size_t len = strlen(body);
		if (len > STREAM_BODY_MAX) {
			/* cut on a line; the view says it was cut */
			len = STREAM_BODY_MAX;
			while (len > 0 && body[len - 1] != '\n')
				len--;
			body[len] = '\0';
		}
		while (s->n > 1 && s->body_bytes + len > s->body_max)
			evict_oldest(s);
		e = &s->ring[(s->head + s->n - 1) % s->cap];
		e->body = body;
		e->body_len = len;
		s->body_bytes += len;
	}
	return e;
}
