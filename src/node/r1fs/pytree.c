/*
 * R1FS's tree of Python values (see pytree.h): a recursive-descent parser
 * with a depth limit into a tree that keeps integers and strings exactly,
 * and the sorted walk that writes it as json.dumps(sort_keys=True,
 * separators=(',', ':')) byte for byte with pyjson.h's strings and floats.
 */
#include "node/lib.h"
#include "node/r1fs/pytree.h"
#include "core/codec.h"
#include "core/pyfloat.h"
#include "core/pyjson.h"
#include "core/utf8.h"

#include <math.h>

/* ------------------------------------------------------------ writer */

double pytree_float_value(const struct pytree *v)
{
	if (strcmp(v->text, "NaN") == 0)
		return NAN;
	if (strcmp(v->text, "Infinity") == 0)
		return INFINITY;
	if (strcmp(v->text, "-Infinity") == 0)
		return -INFINITY;
	double x = NAN;
	pyfloat_parse(v->text, v->len, &x, NULL);
	return x;
}

void pytree_dump(const struct pytree *v, struct buf *out)
{
	switch (v->type) {
	case PYTREE_NULL:
		buf_adds(out, "null");
		break;
	case PYTREE_FALSE:
		buf_adds(out, "false");
		break;
	case PYTREE_TRUE:
		buf_adds(out, "true");
		break;
	case PYTREE_INT:
		buf_adds(out, strcmp(v->text, "-0") == 0 ? "0" : v->text);
		break;
	case PYTREE_FLOAT:
		pyjson_put_float(out, pytree_float_value(v));
		break;
	case PYTREE_STRING:
		pyjson_put_string(out, v->text, v->len, true);
		break;
	case PYTREE_ARRAY:
		buf_addc(out, '[');
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				buf_addc(out, ',');
			pytree_dump(&v->items[i], out);
		}
		buf_addc(out, ']');
		break;
	case PYTREE_OBJECT:
		buf_addc(out, '{');
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				buf_addc(out, ',');
			pyjson_put_string(out, v->members[i].key, v->members[i].key_len, true);
			buf_addc(out, ':');
			pytree_dump(&v->members[i].value, out);
		}
		buf_addc(out, '}');
		break;
	}
}

/* ------------------------------------------------------------ parser */

struct parser {
	const char *s;
	size_t len, at;
	char **why;
};

void pytree_release(struct pytree *v)
{
	r1_free(v->text);
	for (size_t i = 0; v->type == PYTREE_ARRAY && i < v->n; i++)
		pytree_release(&v->items[i]);
	for (size_t i = 0; v->type == PYTREE_OBJECT && i < v->n; i++) {
		r1_free(v->members[i].key);
		pytree_release(&v->members[i].value);
	}
	r1_free(v->items);
	r1_free(v->members);
	memset(v, 0, sizeof(*v));
}

static enum r1_err bad(struct parser *ps, const char *what)
{
	return r1_fail(ps->why, R1_ERR_INVAL, "json: %s at byte %zu", what, ps->at);
}

static enum r1_err nomem(struct parser *ps)
{
	return r1_fail(ps->why, R1_ERR_NOMEM, "json: out of memory");
}

static void skip_ws(struct parser *ps)
{
	while (ps->at < ps->len && strchr(" \t\n\r", ps->s[ps->at]) && ps->s[ps->at])
		ps->at++;
}

static bool take(struct parser *ps, const char *word)
{
	size_t n = strlen(word);
	if (ps->len - ps->at >= n && memcmp(ps->s + ps->at, word, n) == 0) {
		ps->at += n;
		return true;
	}
	return false;
}

/* A string literal at ps->at (the opening quote) into WTF-8. */
static enum r1_err parse_string(struct parser *ps, char **out, size_t *out_len)
{
	struct buf b = BUF_INIT;
	ps->at++;
	for (;;) {
		if (ps->at >= ps->len) {
			buf_release(&b);
			return bad(ps, "unterminated string");
		}
		unsigned char c = (unsigned char)ps->s[ps->at];
		if (c == '"') {
			ps->at++;
			break;
		}
		if (c < 0x20) {
			buf_release(&b);
			return bad(ps, "control character in a string");
		}
		if (c != '\\') {
			size_t used;
			if (r1_wtf8_decode(ps->s + ps->at, ps->len - ps->at, &used) < 0) {
				buf_release(&b);
				return bad(ps, "invalid UTF-8");
			}
			buf_add(&b, ps->s + ps->at, used);
			ps->at += used;
			continue;
		}
		if (ps->at + 1 >= ps->len) {
			buf_release(&b);
			return bad(ps, "unterminated escape");
		}
		char e = ps->s[ps->at + 1];
		static const char simple_from[] = "\"\\/bfnrt";
		static const char simple_to[] = "\"\\/\b\f\n\r\t";
		const char *pos = e ? strchr(simple_from, e) : NULL;
		if (pos) {
			buf_addc(&b, simple_to[pos - simple_from]);
			ps->at += 2;
			continue;
		}
		if (e != 'u' || ps->len - ps->at < 6 || hex_quad(ps->s + ps->at + 2) < 0) {
			buf_release(&b);
			return bad(ps, "bad escape");
		}
		long cp = hex_quad(ps->s + ps->at + 2);
		ps->at += 6;
		/* A high surrogate followed by an escaped low one is one character. */
		if (cp >= 0xd800 && cp < 0xdc00 && ps->len - ps->at >= 6 && ps->s[ps->at] == '\\' &&
		    ps->s[ps->at + 1] == 'u') {
			long lo = hex_quad(ps->s + ps->at + 2);
			if (lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				ps->at += 6;
			}
		}
		char u[4];
		buf_add(&b, u, r1_wtf8_encode((uint32_t)cp, u));
	}
	buf_addc(&b, '\0');
	if (!buf_ok(&b)) {
		buf_release(&b);
		return nomem(ps);
	}
	*out = buf_detach(&b, out_len);
	(*out_len)--;
	return R1_OK;
}

static enum r1_err parse_number(struct parser *ps, struct pytree *v)
{
	size_t start = ps->at;
	const char *s = ps->s;
	bool is_float = false;
	if (ps->at < ps->len && s[ps->at] == '-')
		ps->at++;
	if (ps->at < ps->len && s[ps->at] == '0') {
		ps->at++;
	} else if (ps->at < ps->len && s[ps->at] >= '1' && s[ps->at] <= '9') {
		while (ps->at < ps->len && s[ps->at] >= '0' && s[ps->at] <= '9')
			ps->at++;
	} else {
		return bad(ps, "bad number");
	}
	if (ps->at < ps->len && s[ps->at] == '.') {
		ps->at++;
		is_float = true;
		size_t d = ps->at;
		while (ps->at < ps->len && s[ps->at] >= '0' && s[ps->at] <= '9')
			ps->at++;
		if (d == ps->at)
			return bad(ps, "bad number");
	}
	if (ps->at < ps->len && (s[ps->at] == 'e' || s[ps->at] == 'E')) {
		ps->at++;
		is_float = true;
		if (ps->at < ps->len && (s[ps->at] == '+' || s[ps->at] == '-'))
			ps->at++;
		size_t d = ps->at;
		while (ps->at < ps->len && s[ps->at] >= '0' && s[ps->at] <= '9')
			ps->at++;
		if (d == ps->at)
			return bad(ps, "bad number");
	}
	v->type = is_float ? PYTREE_FLOAT : PYTREE_INT;
	v->text = r1_strndup(s + start, ps->at - start);
	v->len = ps->at - start;
	return v->text ? R1_OK : nomem(ps);
}

static int key_cmp(const struct pytree_member *x, const struct pytree_member *y)
{
	int c = memcmp(x->key, y->key, R1_MIN(x->key_len, y->key_len));
	if (c)
		return c;
	return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

/*
 * Sort members by key (code point order, which is WTF-8 byte order) with a
 * stable merge sort, then keep only the last of equal keys, as a Python
 * dict built from the same text would.
 */
enum r1_err pytree_object_finish(struct pytree *v, char **why)
{
	if (v->n < 2)
		return R1_OK;
	struct pytree_member *tmp = r1_reallocarray(NULL, v->n, sizeof(*tmp));
	if (!tmp)
		return r1_fail(why, R1_ERR_NOMEM, "json: out of memory");
	struct pytree_member *a = v->members;
	for (size_t width = 1; width < v->n; width *= 2) {
		for (size_t lo = 0; lo < v->n; lo += 2 * width) {
			size_t mid = R1_MIN(lo + width, v->n), hi = R1_MIN(lo + 2 * width, v->n);
			size_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				tmp[k++] = key_cmp(&a[j], &a[i]) < 0 ? a[j++] : a[i++];
			while (i < mid)
				tmp[k++] = a[i++];
			while (j < hi)
				tmp[k++] = a[j++];
		}
		memcpy(a, tmp, v->n * sizeof(*a));
	}
	r1_free(tmp);
	size_t w = 0;
	for (size_t i = 0; i < v->n; i++) {
		if (i + 1 < v->n && key_cmp(&a[i], &a[i + 1]) == 0) {
			r1_free(a[i].key);
			pytree_release(&a[i].value);
			continue;
		}
		a[w++] = a[i];
	}
	v->n = w;
	return R1_OK;
}

static enum r1_err parse_value(struct parser *ps, struct pytree *v, unsigned depth);

static enum r1_err parse_array(struct parser *ps, struct pytree *v, unsigned depth)
{
	v->type = PYTREE_ARRAY;
	ps->at++;
	skip_ws(ps);
	if (ps->at < ps->len && ps->s[ps->at] == ']') {
		ps->at++;
		return R1_OK;
	}
	size_t cap = 0;
	for (;;) {
		if (v->n == cap) {
			size_t ncap = cap ? 2 * cap : 4;
			struct pytree *items = r1_reallocarray(v->items, ncap, sizeof(*items));
			if (!items)
				return nomem(ps);
			v->items = items;
			cap = ncap;
		}
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		enum r1_err e = parse_value(ps, &v->items[v->n], depth + 1);
		v->n++; /* counted even on failure: pytree_release frees what was built */
		if (e)
			return e;
		skip_ws(ps);
		if (ps->at < ps->len && ps->s[ps->at] == ',') {
			ps->at++;
			continue;
		}
		if (ps->at < ps->len && ps->s[ps->at] == ']') {
			ps->at++;
			return R1_OK;
		}
		return bad(ps, "expected ',' or ']'");
	}
}

static enum r1_err parse_object(struct parser *ps, struct pytree *v, unsigned depth)
{
	v->type = PYTREE_OBJECT;
	ps->at++;
	skip_ws(ps);
	if (ps->at < ps->len && ps->s[ps->at] == '}') {
		ps->at++;
		return R1_OK;
	}
	size_t cap = 0;
	for (;;) {
		skip_ws(ps);
		if (ps->at >= ps->len || ps->s[ps->at] != '"')
			return bad(ps, "expected a key");
		if (v->n == cap) {
			size_t ncap = cap ? 2 * cap : 4;
			struct pytree_member *m = r1_reallocarray(v->members, ncap, sizeof(*m));
			if (!m)
				return nomem(ps);
			v->members = m;
			cap = ncap;
		}
		struct pytree_member *m = &v->members[v->n];
		memset(m, 0, sizeof(*m));
		v->n++;
		enum r1_err e = parse_string(ps, &m->key, &m->key_len);
		if (e)
			return e;
		skip_ws(ps);
		if (ps->at >= ps->len || ps->s[ps->at] != ':')
			return bad(ps, "expected ':'");
		ps->at++;
		e = parse_value(ps, &m->value, depth + 1);
		if (e)
			return e;
		skip_ws(ps);
		if (ps->at < ps->len && ps->s[ps->at] == ',') {
			ps->at++;
			continue;
		}
		if (ps->at < ps->len && ps->s[ps->at] == '}') {
			ps->at++;
			return pytree_object_finish(v, ps->why);
		}
		return bad(ps, "expected ',' or '}'");
	}
}

static enum r1_err parse_value(struct parser *ps, struct pytree *v, unsigned depth)
{
	if (depth > PYTREE_MAX_DEPTH)
		return bad(ps, "nesting too deep");
	skip_ws(ps);
	if (ps->at >= ps->len)
		return bad(ps, "unexpected end");
	char c = ps->s[ps->at];
	if (c == '{')
		return parse_object(ps, v, depth);
	if (c == '[')
		return parse_array(ps, v, depth);
	if (c == '"') {
		v->type = PYTREE_STRING;
		return parse_string(ps, &v->text, &v->len);
	}
	static const struct {
		const char *word;
		enum pytree_type type;
	} words[] = {
	    {"null", PYTREE_NULL}, {"true", PYTREE_TRUE},      {"false", PYTREE_FALSE},
	    {"NaN", PYTREE_FLOAT}, {"Infinity", PYTREE_FLOAT}, {"-Infinity", PYTREE_FLOAT},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(words); i++) {
		if (take(ps, words[i].word)) {
			v->type = words[i].type;
			if (v->type == PYTREE_FLOAT) {
				v->text = r1_strdup(words[i].word);
				v->len = strlen(words[i].word);
				if (!v->text)
					return nomem(ps);
			}
			return R1_OK;
		}
	}
	return parse_number(ps, v);
}

enum r1_err pytree_parse(const char *text, size_t len, struct pytree **out, char **why)
{
	struct parser ps = {text, len, 0, why};
	struct pytree *v = r1_calloc(1, sizeof(*v));
	if (!v)
		return nomem(&ps);
	enum r1_err e = parse_value(&ps, v, 0);
	if (!e) {
		skip_ws(&ps);
		if (ps.at != ps.len)
			e = bad(&ps, "extra data");
	}
	if (e) {
		pytree_free(&v);
		return e;
	}
	*out = v;
	return R1_OK;
}

void pytree_free(struct pytree **vp)
{
	if (!*vp)
		return;
	pytree_release(*vp);
	r1_free(*vp);
	*vp = NULL;
}
