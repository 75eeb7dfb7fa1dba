/*
 * Python-compatible JSON for R1FS (see pyjson.h): a recursive-descent
 * parser with a depth limit, a tree that keeps integers and strings exactly,
 * and a writer that reproduces json.dumps(sort_keys=True, separators=(',',
 * ':')) byte for byte.  Number formatting runs in the "C" locale whatever
 * the program's locale is, because a decimal comma would change the bytes.
 */
#include "node/lib.h"
#include "node/r1fs/pyjson.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void make_c_locale(void)
{
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

static locale_t numeric_c_locale(void)
{
	pthread_once(&c_locale_once, make_c_locale);
	return c_locale;
}

/* ------------------------------------------------------------ UTF-8 */

long pyjson_utf8_next(const char *s, size_t len, size_t *used)
{
	const uint8_t *p = (const uint8_t *)s;
	if (len == 0)
		return -1;
	if (p[0] < 0x80) {
		*used = 1;
		return p[0];
	}
	size_t n;
	long cp, min;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = p[0] & 0x1f;
		min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
		min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else {
		return -1;
	}
	if (len < n)
		return -1;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff)
		return -1;
	*used = n;
	return cp; /* surrogates pass: WTF-8 carries Python's lone surrogates */
}

static void add_utf8(struct buf *b, long cp)
{
	char tmp[4];
	size_t n;
	if (cp < 0x80) {
		tmp[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		tmp[0] = (char)(0xc0 | (cp >> 6));
		tmp[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		tmp[0] = (char)(0xe0 | (cp >> 12));
		tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		tmp[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		tmp[0] = (char)(0xf0 | (cp >> 18));
		tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		tmp[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_add(b, tmp, n);
}

/* ------------------------------------------------------------ writer */

static const char *const short_escapes[0x20] = {
    ['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n", ['\r'] = "\\r", ['\t'] = "\\t",
};

bool pyjson_add_string(struct buf *out, const char *s, size_t len)
{
	/* Validate first so that a failure appends nothing. */
	for (size_t i = 0, used; i < len; i += used)
		if (pyjson_utf8_next(s + i, len - i, &used) < 0)
			return false;
	buf_addc(out, '"');
	for (size_t i = 0, used; i < len; i += used) {
		long cp = pyjson_utf8_next(s + i, len - i, &used);
		if (cp == '"' || cp == '\\') {
			buf_addc(out, '\\');
			buf_addc(out, (char)cp);
		} else if (cp < 0x20 && short_escapes[cp]) {
			buf_adds(out, short_escapes[cp]);
		} else if (cp >= 0x20 && cp < 0x7f) {
			buf_addc(out, (char)cp);
		} else if (cp < 0x10000) {
			buf_addf(out, "\\u%04lx", cp);
		} else {
			long v = cp - 0x10000;
			buf_addf(out, "\\u%04lx\\u%04lx", 0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
		}
	}
	buf_addc(out, '"');
	return true;
}

size_t pyjson_float_repr(double x, char out[32])
{
	if (x == 0) {
		const char *z = signbit(x) ? "-0.0" : "0.0";
		size_t n = strlen(z);
		memcpy(out, z, n + 1);
		return n;
	}
	locale_t old = uselocale(numeric_c_locale());
	char tmp[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	uselocale(old);
	/* tmp is [-]d[.ddd]e[+-]XX: collect the digits and the exponent. */
	char digits[24];
	size_t nd = 0, o = 0;
	const char *p = tmp;
	bool neg = *p == '-';
	if (neg)
		p++;
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
	int exp10 = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	int decpt = exp10 + 1;
	if (neg)
		out[o++] = '-';
	if (decpt > 16 || decpt <= -4) {
		out[o++] = digits[0];
		if (nd > 1) {
			out[o++] = '.';
			memcpy(out + o, digits + 1, nd - 1);
			o += nd - 1;
		}
		o +=
		    (size_t)snprintf(out + o, 32 - o, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
	} else if (decpt <= 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (int i = 0; i < -decpt; i++)
			out[o++] = '0';
		memcpy(out + o, digits, nd);
		o += nd;
	} else if ((size_t)decpt >= nd) {
		memcpy(out + o, digits, nd);
		o += nd;
		for (size_t i = nd; i < (size_t)decpt; i++)
			out[o++] = '0';
		out[o++] = '.';
		out[o++] = '0';
	} else {
		memcpy(out + o, digits, (size_t)decpt);
		o += (size_t)decpt;
		out[o++] = '.';
		memcpy(out + o, digits + decpt, nd - (size_t)decpt);
		o += nd - (size_t)decpt;
	}
	out[o] = '\0';
	return o;
}

double pyjson_float_value(const struct pyjson *v)
{
	if (strcmp(v->text, "NaN") == 0)
		return NAN;
	if (strcmp(v->text, "Infinity") == 0)
		return INFINITY;
	if (strcmp(v->text, "-Infinity") == 0)
		return -INFINITY;
	return strtod_l(v->text, NULL, numeric_c_locale());
}

static void dump_float(const struct pyjson *v, struct buf *out)
{
	double x = pyjson_float_value(v);
	if (isnan(x)) {
		buf_adds(out, "NaN");
	} else if (isinf(x)) {
		buf_adds(out, x > 0 ? "Infinity" : "-Infinity");
	} else {
		char tmp[32];
		buf_add(out, tmp, pyjson_float_repr(x, tmp));
	}
}

void pyjson_dump(const struct pyjson *v, struct buf *out)
{
	switch (v->type) {
	case PYJSON_NULL:
		buf_adds(out, "null");
		break;
	case PYJSON_FALSE:
		buf_adds(out, "false");
		break;
	case PYJSON_TRUE:
		buf_adds(out, "true");
		break;
	case PYJSON_INT:
		buf_adds(out, strcmp(v->text, "-0") == 0 ? "0" : v->text);
		break;
	case PYJSON_FLOAT:
		dump_float(v, out);
		break;
	case PYJSON_STRING:
		pyjson_add_string(out, v->text, v->len);
		break;
	case PYJSON_ARRAY:
		buf_addc(out, '[');
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				buf_addc(out, ',');
			pyjson_dump(&v->items[i], out);
		}
		buf_addc(out, ']');
		break;
	case PYJSON_OBJECT:
		buf_addc(out, '{');
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				buf_addc(out, ',');
			pyjson_add_string(out, v->members[i].key, v->members[i].key_len);
			buf_addc(out, ':');
			pyjson_dump(&v->members[i].value, out);
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

void pyjson_release(struct pyjson *v)
{
	r1_free(v->text);
	for (size_t i = 0; v->type == PYJSON_ARRAY && i < v->n; i++)
		pyjson_release(&v->items[i]);
	for (size_t i = 0; v->type == PYJSON_OBJECT && i < v->n; i++) {
		r1_free(v->members[i].key);
		pyjson_release(&v->members[i].value);
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

static int hex4(const char *s)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
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
			if (pyjson_utf8_next(ps->s + ps->at, ps->len - ps->at, &used) < 0) {
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
		if (e != 'u' || ps->len - ps->at < 6 || hex4(ps->s + ps->at + 2) < 0) {
			buf_release(&b);
			return bad(ps, "bad escape");
		}
		long cp = hex4(ps->s + ps->at + 2);
		ps->at += 6;
		/* A high surrogate followed by an escaped low one is one character. */
		if (cp >= 0xd800 && cp < 0xdc00 && ps->len - ps->at >= 6 && ps->s[ps->at] == '\\' &&
		    ps->s[ps->at + 1] == 'u') {
			int lo = hex4(ps->s + ps->at + 2);
			if (lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				ps->at += 6;
			}
		}
		add_utf8(&b, cp);
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

static enum r1_err parse_number(struct parser *ps, struct pyjson *v)
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
	v->type = is_float ? PYJSON_FLOAT : PYJSON_INT;
	v->text = r1_strndup(s + start, ps->at - start);
	v->len = ps->at - start;
	return v->text ? R1_OK : nomem(ps);
}

static int key_cmp(const struct pyjson_member *x, const struct pyjson_member *y)
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
enum r1_err pyjson_object_finish(struct pyjson *v, char **why)
{
	if (v->n < 2)
		return R1_OK;
	struct pyjson_member *tmp = r1_reallocarray(NULL, v->n, sizeof(*tmp));
	if (!tmp)
		return r1_fail(why, R1_ERR_NOMEM, "json: out of memory");
	struct pyjson_member *a = v->members;
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
			pyjson_release(&a[i].value);
			continue;
		}
		a[w++] = a[i];
	}
	v->n = w;
	return R1_OK;
}

static enum r1_err parse_value(struct parser *ps, struct pyjson *v, unsigned depth);

static enum r1_err parse_array(struct parser *ps, struct pyjson *v, unsigned depth)
{
	v->type = PYJSON_ARRAY;
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
			struct pyjson *items = r1_reallocarray(v->items, ncap, sizeof(*items));
			if (!items)
				return nomem(ps);
			v->items = items;
			cap = ncap;
		}
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		enum r1_err e = parse_value(ps, &v->items[v->n], depth + 1);
		v->n++; /* counted even on failure: pyjson_release frees what was built */
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

static enum r1_err parse_object(struct parser *ps, struct pyjson *v, unsigned depth)
{
	v->type = PYJSON_OBJECT;
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
			struct pyjson_member *m = r1_reallocarray(v->members, ncap, sizeof(*m));
			if (!m)
				return nomem(ps);
			v->members = m;
			cap = ncap;
		}
		struct pyjson_member *m = &v->members[v->n];
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
			return pyjson_object_finish(v, ps->why);
		}
		return bad(ps, "expected ',' or '}'");
	}
}

static enum r1_err parse_value(struct parser *ps, struct pyjson *v, unsigned depth)
{
	if (depth > PYJSON_MAX_DEPTH)
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
		v->type = PYJSON_STRING;
		return parse_string(ps, &v->text, &v->len);
	}
	static const struct {
		const char *word;
		enum pyjson_type type;
	} words[] = {
	    {"null", PYJSON_NULL}, {"true", PYJSON_TRUE},      {"false", PYJSON_FALSE},
	    {"NaN", PYJSON_FLOAT}, {"Infinity", PYJSON_FLOAT}, {"-Infinity", PYJSON_FLOAT},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(words); i++) {
		if (take(ps, words[i].word)) {
			v->type = words[i].type;
			if (v->type == PYJSON_FLOAT) {
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

enum r1_err pyjson_parse(const char *text, size_t len, struct pyjson **out, char **why)
{
	struct parser ps = {text, len, 0, why};
	struct pyjson *v = r1_calloc(1, sizeof(*v));
	if (!v)
		return nomem(&ps);
	enum r1_err e = parse_value(&ps, v, 0);
	if (!e) {
		skip_ws(&ps);
		if (ps.at != ps.len)
			e = bad(&ps, "extra data");
	}
	if (e) {
		pyjson_free(&v);
		return e;
	}
	*out = v;
	return R1_OK;
}

void pyjson_free(struct pyjson **vp)
{
	if (!*vp)
		return;
	pyjson_release(*vp);
	r1_free(*vp);
	*vp = NULL;
}
