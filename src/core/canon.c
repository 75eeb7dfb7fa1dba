/*
 * Canonical JSON writers over a jdoc tree (messages we receive) and over a
 * jansson value (messages we build); see canon.h for the rules and why they
 * are Python's.  Recursion is bounded by the tree's depth, which jdoc caps at
 * JDOC_DEPTH_MAX and which is checked here for jansson values.  Object
 * members are sorted in a shared scratch vector addressed by index, because
 * a nested object may grow (move) it while an outer one is being written.
 * Nothing here hashes or signs; that is envelope.c.
 *
 * Speed matters (this runs on every received message): output goes through
 * inline appends, strings the parser marked plain are copied without a
 * scan (the others go through pyjson.h, the one copy of Python's escapes),
 * keys are sorted by an inline merge sort on an 8-byte prefix, and a float
 * token of up to 15 digits is re-laid out without a conversion.
 */
#include "core/lib.h"
#include "core/canon.h"
#include "core/pyfloat.h"
#include "core/pyjson.h"

#include <math.h>

struct canon_member {
	uint64_t prefix; /* first 8 key bytes, big-endian, zero-padded */
	const char *key;
	size_t klen;
	const void *val; /* const struct jdoc_node * or const json_t * */
	size_t idx;      /* position in the object, the tie-break for repeated keys */
};

#define EXCLUDE_MAX 16

struct writer {
	struct buf *out;
	const struct canon_opts *opts;
	struct canon_scratch *s;
	char **why;
	size_t nex;
	size_t exmin, exmax; /* shortest and longest excluded key */
	const char *ex[EXCLUDE_MAX];
	size_t exlen[EXCLUDE_MAX];
};

static const struct canon_opts default_opts = {CANON_FLOATS_REPR, false, NULL};

void canon_scratch_init(struct canon_scratch *s)
{
	*s = (struct canon_scratch){0};
}

void canon_scratch_release(struct canon_scratch *s)
{
	r1_free(s->v);
	canon_scratch_init(s);
}

static inline void put_plain_string(struct buf *out, const char *s, size_t len)
{
	buf_putc(out, '"');
	buf_put(out, s, len);
	buf_putc(out, '"');
}

static void put_repr(struct writer *w, const char *t, size_t n)
{
	if (w->opts->floats == CANON_FLOATS_LEGACY) {
		char l[PYFLOAT_REPR_MAX];
		size_t m = pyfloat_legacy_of_repr(t, n, l);
		buf_put(w->out, l, m);
	} else {
		buf_put(w->out, t, n);
	}
}

static void put_float(struct writer *w, double x, unsigned hint)
{
	char t[PYFLOAT_REPR_MAX];
	w->s->floats++;
	if (!isfinite(x)) {
		buf_put(w->out, "null", 4);
		return;
	}
	put_repr(w, t, pyfloat_repr(x, hint, t));
}

static bool excluded(const struct writer *w, const char *key, size_t klen)
{
	if (klen < w->exmin || klen > w->exmax)
		return false;
	for (size_t i = 0; i < w->nex; i++)
		if (w->exlen[i] == klen && w->ex[i][0] == key[0] &&
		    memcmp(w->ex[i], key, klen) == 0)
			return true;
	for (const char *const *e = w->opts->exclude + w->nex; w->nex == EXCLUDE_MAX && *e; e++)
		if (strlen(*e) == klen && memcmp(*e, key, klen) == 0)
			return true;
	return false;
}

static uint64_t key_prefix(const char *key, size_t klen)
{
	uint64_t v = 0;
	if (klen >= 8) {
		memcpy(&v, key, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		v = __builtin_bswap64(v);
#endif
		return v;
	}
	for (size_t i = 0; i < 8; i++)
		v = v << 8 | (i < klen ? (uint8_t)key[i] : 0);
	return v;
}

/* Code point order (UTF-8 byte order), then wire position. */
static inline int member_cmp(const struct canon_member *x, const struct canon_member *y)
{
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	if (x->klen > 8 && y->klen > 8) {
		int c = memcmp(x->key + 8, y->key + 8, R1_MIN(x->klen, y->klen) - 8);
		if (c)
			return c;
	}
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Merge sort of v[0..n) with tmp[0..n/2] as room; insertion sort when small. */
static void sort_members(struct canon_member *v, struct canon_member *tmp, size_t n)
{
	if (n <= 16) {
		for (size_t i = 1; i < n; i++) {
			struct canon_member m = v[i];
			size_t j = i;
			while (j > 0 && member_cmp(&v[j - 1], &m) > 0) {
				v[j] = v[j - 1];
				j--;
			}
			v[j] = m;
		}
		return;
	}
	size_t h = n / 2;
	sort_members(v, tmp, h);
	sort_members(v + h, tmp, n - h);
	if (member_cmp(&v[h - 1], &v[h]) <= 0)
		return;
	memcpy(tmp, v, h * sizeof(*v));
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		v[k++] = member_cmp(&v[j], &tmp[i]) < 0 ? v[j++] : tmp[i++];
	while (i < h)
		v[k++] = tmp[i++];
}

/* Room for n members plus the sort's n/2 + 1 at the top of the scratch vector. */
static enum r1_err scratch_grow(struct writer *w, size_t n)
{
	struct canon_scratch *s = w->s;
	size_t need = n + n / 2 + 1;
	if (need <= s->cap - s->len)
		return R1_OK;
	size_t cap = R1_MAX(s->cap * 2, s->len + need);
	cap = R1_MAX(cap, 64);
	struct canon_member *v = r1_reallocarray(s->v, cap, sizeof(*v));
	if (!v)
		return r1_fail(w->why, R1_ERR_NOMEM, "canon: out of memory");
	s->v = v;
	s->cap = cap;
	return R1_OK;
}

/* ----------------------------------------------------------- jdoc trees */

static enum r1_err write_jdoc(struct writer *w, const struct jdoc_node *n, unsigned depth);

static void put_jdoc_number(struct writer *w, const struct jdoc_node *n)
{
	if (n->type == JDOC_INT) {
		/* int(token): the grammar allows no leading zeros, only "-0" */
		if (n->len == 2 && n->u.str[0] == '-' && n->u.str[1] == '0')
			buf_putc(w->out, '0');
		else
			buf_put(w->out, n->u.str, n->len);
		return;
	}
	char t[PYFLOAT_REPR_MAX];
	size_t len = jdoc_is_nonfinite_token(n) ? 0 : pyfloat_repr_token(n->u.str, n->len, t);
	if (len) {
		w->s->floats++;
		put_repr(w, t, len);
		return;
	}
	double x;
	unsigned sig = 0;
	if (jdoc_is_nonfinite_token(n) || !pyfloat_parse(n->u.str, n->len, &x, &sig))
		x = NAN;
	put_float(w, x, sig);
}

static enum r1_err write_jdoc_object(struct writer *w, const struct jdoc_node *n, unsigned depth)
{
	struct canon_scratch *s = w->s;
	enum r1_err err;
	if ((err = scratch_grow(w, n->len)))
		return err;
	size_t base = s->len, cnt = 0;
	for (size_t i = 0; i < n->len; i++) {
		const struct jdoc_node *k = jdoc_obj_key(n, i);
		if (depth == 0 && w->nex && excluded(w, k->u.str, k->len))
			continue;
		s->v[base + cnt++] =
		    (struct canon_member){key_prefix(k->u.str, k->len), k->u.str, k->len, k + 1, i};
	}
	s->len = base + cnt;
	if (!w->opts->unsorted)
		sort_members(s->v + base, s->v + base + cnt, cnt);
	buf_putc(w->out, '{');
	bool first = true;
	for (size_t i = 0; i < cnt; i++) {
		const struct canon_member *m = &s->v[base + i];
		if (!w->opts->unsorted && i + 1 < cnt) {
			const struct canon_member *next = &s->v[base + i + 1];
			if (next->klen == m->klen && memcmp(next->key, m->key, m->klen) == 0)
				continue; /* a later duplicate wins */
		}
		if (!first)
			buf_putc(w->out, ',');
		first = false;
		const struct jdoc_node *k = (const struct jdoc_node *)m->val - 1;
		if (k->flags & JDOC_F_PLAIN)
			put_plain_string(w->out, m->key, m->klen);
		else
			pyjson_put_string(w->out, m->key, m->klen, false);
		buf_putc(w->out, ':');
		if ((err = write_jdoc(w, m->val, depth + 1)))
			return err;
	}
	buf_putc(w->out, '}');
	s->len = base;
	return R1_OK;
}

static enum r1_err write_jdoc(struct writer *w, const struct jdoc_node *n, unsigned depth)
{
	enum r1_err err;
	switch (jdoc_type(n)) {
	case JDOC_NULL:
		buf_put(w->out, "null", 4);
		break;
	case JDOC_FALSE:
		buf_put(w->out, "false", 5);
		break;
	case JDOC_TRUE:
		buf_put(w->out, "true", 4);
		break;
	case JDOC_INT:
	case JDOC_FLOAT:
		put_jdoc_number(w, n);
		break;
	case JDOC_STRING:
		if (n->flags & JDOC_F_PLAIN)
			put_plain_string(w->out, n->u.str, n->len);
		else
			pyjson_put_string(w->out, n->u.str, n->len, false);
		break;
	case JDOC_ARRAY:
		if (depth > JDOC_DEPTH_MAX)
			return r1_fail(w->why, R1_ERR_TOOBIG, "canon: nesting too deep");
		buf_putc(w->out, '[');
		for (size_t i = 0; i < n->len; i++) {
			if (i)
				buf_putc(w->out, ',');
			if ((err = write_jdoc(w, jdoc_array_at(n, i), depth + 1)))
				return err;
		}
		buf_putc(w->out, ']');
		break;
	case JDOC_OBJECT:
		if (depth > JDOC_DEPTH_MAX)
			return r1_fail(w->why, R1_ERR_TOOBIG, "canon: nesting too deep");
		return write_jdoc_object(w, n, depth);
	}
	return R1_OK;
}

/* -------------------------------------------------------- jansson values */

static enum r1_err write_json(struct writer *w, const json_t *j, unsigned depth);

static enum r1_err write_json_object(struct writer *w, const json_t *j, unsigned depth)
{
	struct canon_scratch *s = w->s;
	enum r1_err err;
	if ((err = scratch_grow(w, json_object_size(j))))
		return err;
	size_t base = s->len, cnt = 0;
	for (void *it = json_object_iter((json_t *)j); it;
	     it = json_object_iter_next((json_t *)j, it)) {
		const char *key = json_object_iter_key(it);
		size_t klen = json_object_iter_key_len(it);
		if (depth == 0 && w->nex && excluded(w, key, klen))
			continue;
		s->v[base + cnt] = (struct canon_member){key_prefix(key, klen), key, klen,
		                                         json_object_iter_value(it), cnt};
		cnt++;
	}
	s->len = base + cnt;
	if (!w->opts->unsorted)
		sort_members(s->v + base, s->v + base + cnt, cnt);
	buf_putc(w->out, '{');
	for (size_t i = 0; i < cnt; i++) {
		const struct canon_member *m = &s->v[base + i];
		if (i)
			buf_putc(w->out, ',');
		pyjson_put_string(w->out, m->key, m->klen, false);
		buf_putc(w->out, ':');
		if ((err = write_json(w, m->val, depth + 1)))
			return err;
	}
	buf_putc(w->out, '}');
	s->len = base;
	return R1_OK;
}

static enum r1_err write_json(struct writer *w, const json_t *j, unsigned depth)
{
	enum r1_err err;
	if (depth > JDOC_DEPTH_MAX)
		return r1_fail(w->why, R1_ERR_TOOBIG, "canon: nesting too deep");
	switch (json_typeof(j)) {
	case JSON_NULL:
		buf_put(w->out, "null", 4);
		break;
	case JSON_FALSE:
		buf_put(w->out, "false", 5);
		break;
	case JSON_TRUE:
		buf_put(w->out, "true", 4);
		break;
	case JSON_INTEGER:
		buf_addf(w->out, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		break;
	case JSON_REAL:
		put_float(w, json_real_value(j), 0);
		break;
	case JSON_STRING:
		pyjson_put_string(w->out, json_string_value(j), json_string_length(j), false);
		break;
	case JSON_ARRAY:
		buf_putc(w->out, '[');
		for (size_t i = 0; i < json_array_size(j); i++) {
			if (i)
				buf_putc(w->out, ',');
			if ((err = write_json(w, json_array_get(j, i), depth + 1)))
				return err;
		}
		buf_putc(w->out, ']');
		break;
	case JSON_OBJECT:
		return write_json_object(w, j, depth);
	}
	return R1_OK;
}

/* ------------------------------------------------------------- entries */

static enum r1_err run(struct buf *out, const struct canon_opts *opts,
                       struct canon_scratch *scratch, char **why, const void *root, bool is_jdoc)
{
	struct canon_scratch tmp;
	canon_scratch_init(&tmp);
	struct writer w = {out, opts ? opts : &default_opts, scratch ? scratch : &tmp, why};
	w.exmin = SIZE_MAX;
	for (const char *const *e = w.opts->exclude; e && *e; e++) {
		size_t len = strlen(*e);
		w.exmin = R1_MIN(w.exmin, len);
		w.exmax = R1_MAX(w.exmax, len);
		if (w.nex < EXCLUDE_MAX) {
			w.ex[w.nex] = *e;
			w.exlen[w.nex++] = len;
		}
	}
	w.s->len = 0;
	w.s->floats = 0;
	enum r1_err err = is_jdoc ? write_jdoc(&w, root, 0) : write_json(&w, root, 0);
	canon_scratch_release(&tmp);
	if (!err && !buf_ok(out))
		err = r1_fail(why, R1_ERR_NOMEM, "canon: out of memory");
	return err;
}

enum r1_err canon_jdoc(struct buf *out, const struct jdoc_node *root, const struct canon_opts *opts,
                       struct canon_scratch *scratch, char **why)
{
	return run(out, opts, scratch, why, root, true);
}

enum r1_err canon_json(struct buf *out, const json_t *root, const struct canon_opts *opts,
                       struct canon_scratch *scratch, char **why)
{
	return run(out, opts, scratch, why, root, false);
}
