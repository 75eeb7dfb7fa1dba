/*
 * A small YAML writer and reader for R1FS's add_yaml/get_yaml (the subset
 * is spelled out in yaml.h).  The writer follows PyYAML's default output so
 * that a file we add reads the same in the reference; the reader is a
 * line-and-indentation parser over a tree of struct pytree, with a depth
 * limit and a refusal, not a guess, for anything outside the subset.
 */
#include "node/lib.h"
#include "node/r1fs/yaml.h"
#include "core/pyfloat.h"
#include "core/utf8.h"

#include <math.h>

/* ------------------------------------------------------------ resolving */

static bool word_in(const char *s, size_t len, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == len && memcmp(*words, s, len) == 0)
			return true;
	return false;
}

static const char *const null_words[] = {"~", "null", "Null", "NULL", NULL};
static const char *const true_words[] = {"true", "True", "TRUE", "yes", "Yes",
                                         "YES",  "on",   "On",   "ON",  NULL};
static const char *const false_words[] = {"false", "False", "FALSE", "no",  "No",
                                          "NO",    "off",   "Off",   "OFF", NULL};
static const char *const inf_words[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL};
static const char *const ninf_words[] = {"-.inf", "-.Inf", "-.INF", NULL};
static const char *const nan_words[] = {".nan", ".NaN", ".NAN", NULL};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_decimal_int(const char *s, size_t len)
{
	size_t i = 0;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	if (i == len)
		return false;
	if (s[i] == '0')
		return i + 1 == len;
	for (; i < len; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

static bool is_dotted_float(const char *s, size_t len)
{
	size_t i = 0, before = 0, after = 0;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	for (; i < len && is_digit(s[i]); i++)
		before++;
	if (i == len || s[i] != '.')
		return false;
	for (i++; i < len && is_digit(s[i]); i++)
		after++;
	if (before == 0 && after == 0)
		return false;
	if (i == len)
		return true;
	if (s[i] != 'e' && s[i] != 'E')
		return false;
	i++;
	if (i == len || (s[i] != '-' && s[i] != '+'))
		return false;
	i++;
	if (i == len)
		return false;
	for (; i < len; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

static enum r1_err set_text(struct pytree *v, enum pytree_type type, const char *s, size_t len,
                            char **why)
{
	v->type = type;
	v->text = r1_strndup(s, len);
	v->len = len;
	return v->text ? R1_OK : r1_fail(why, R1_ERR_NOMEM, "yaml: out of memory");
}

/*
 * A float that is_dotted_float accepted ("+.5", "1.", "007.25e+3") as a
 * JSON number token ("0.5", "1.0", "7.25e+3"), the form a FLOAT node keeps.
 */
static enum r1_err set_float(struct pytree *v, const char *s, size_t len, char **why)
{
	struct buf t = BUF_INIT;
	size_t i = 0;
	if (s[i] == '-' || s[i] == '+')
		if (s[i++] == '-')
			buf_addc(&t, '-');
	while (i + 1 < len && s[i] == '0' && is_digit(s[i + 1]))
		i++; /* leading zeros */
	size_t dot = i;
	while (s[dot] != '.')
		dot++;
	buf_add(&t, s + i, dot - i);
	if (dot == i)
		buf_addc(&t, '0');
	buf_addc(&t, '.');
	size_t frac = dot + 1, exp = frac;
	while (exp < len && is_digit(s[exp]))
		exp++;
	buf_add(&t, s + frac, exp - frac);
	if (exp == frac)
		buf_addc(&t, '0');
	buf_add(&t, s + exp, len - exp);
	enum r1_err e = buf_ok(&t) ? set_text(v, PYTREE_FLOAT, t.data, t.len, why)
	                           : r1_fail(why, R1_ERR_NOMEM, "yaml: out of memory");
	buf_release(&t);
	return e;
}

/* What a plain scalar means (PyYAML's implicit resolvers, reduced). */
static enum r1_err resolve_plain(const char *s, size_t len, struct pytree *v, char **why)
{
	memset(v, 0, sizeof(*v));
	if (len == 0 || word_in(s, len, null_words)) {
		v->type = PYTREE_NULL;
		return R1_OK;
	}
	if (word_in(s, len, true_words)) {
		v->type = PYTREE_TRUE;
		return R1_OK;
	}
	if (word_in(s, len, false_words)) {
		v->type = PYTREE_FALSE;
		return R1_OK;
	}
	if (is_decimal_int(s, len)) {
		if (s[0] == '+') {
			s++;
			len--;
		}
		return set_text(v, PYTREE_INT, s, len, why);
	}
	if (word_in(s, len, inf_words))
		return set_text(v, PYTREE_FLOAT, "Infinity", 8, why);
	if (word_in(s, len, ninf_words))
		return set_text(v, PYTREE_FLOAT, "-Infinity", 9, why);
	if (word_in(s, len, nan_words))
		return set_text(v, PYTREE_FLOAT, "NaN", 3, why);
	if (is_dotted_float(s, len))
		return set_float(v, s, len, why);
	return set_text(v, PYTREE_STRING, s, len, why);
}

/* ------------------------------------------------------------ writer */

/*
 * A string may be written plain when no reader could take it for anything
 * else.  Stricter than PyYAML: anything starting like a number (PyYAML also
 * reads hex, octal, sexagesimal and dates) or with an indicator other than
 * '-' is quoted.
 */
static bool plain_is_safe(const char *s, size_t len)
{
	if (len == 0 || strchr("?:,[]{}#&*!|>'\"%@` .+=<~", s[0]) || is_digit(s[0]) ||
	    s[len - 1] == ' ' || s[len - 1] == ':')
		return false;
	/* "-x" is plain, as PyYAML writes it; "-", "- x", "-1", "-.5" are not. */
	if (s[0] == '-' && (len == 1 || s[1] == ' ' || s[1] == '.' || is_digit(s[1])))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e)
			return false;
		if (c == ':' && i + 1 < len && s[i + 1] == ' ')
			return false;
		if (c == '#' && i > 0 && s[i - 1] == ' ')
			return false;
	}
	struct pytree v;
	if (resolve_plain(s, len, &v, NULL) != R1_OK)
		return false;
	bool is_string = v.type == PYTREE_STRING;
	pytree_release(&v);
	return is_string;
}

static bool printable_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static void emit_string(const char *s, size_t len, struct buf *out)
{
	if (plain_is_safe(s, len)) {
		buf_add(out, s, len);
		return;
	}
	if (printable_ascii(s, len)) {
		buf_addc(out, '\'');
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '\'')
				buf_addc(out, '\'');
			buf_addc(out, s[i]);
		}
		buf_addc(out, '\'');
		return;
	}
	buf_addc(out, '"');
	for (size_t i = 0, used = 1; i < len; i += used) {
		long cp = r1_wtf8_decode(s + i, len - i, &used);
		if (cp < 0) { /* not UTF-8: the tree never holds this, but stay total */
			cp = (unsigned char)s[i];
			used = 1;
		}
		if (cp == '"' || cp == '\\')
			buf_addf(out, "\\%c", (char)cp);
		else if (cp == '\n')
			buf_adds(out, "\\n");
		else if (cp == '\t')
			buf_adds(out, "\\t");
		else if (cp == '\r')
			buf_adds(out, "\\r");
		else if (cp >= 0x20 && cp < 0x7f)
			buf_addc(out, (char)cp);
		else if (cp < 0x100)
			buf_addf(out, "\\x%02lX", cp);
		else if (cp < 0x10000)
			buf_addf(out, "\\u%04lX", cp);
		else
			buf_addf(out, "\\U%08lX", cp);
	}
	buf_addc(out, '"');
}

static void emit_float(const struct pytree *v, struct buf *out)
{
	double x = pytree_float_value(v);
	if (isnan(x)) {
		buf_adds(out, ".nan");
		return;
	}
	if (isinf(x)) {
		buf_adds(out, x > 0 ? ".inf" : "-.inf");
		return;
	}
	char tmp[PYFLOAT_REPR_MAX];
	size_t n = pyfloat_repr(x, 0, tmp);
	char *e = memchr(tmp, 'e', n);
	if (e && !memchr(tmp, '.', n)) { /* PyYAML: 1e+16 -> 1.0e+16 */
		buf_add(out, tmp, (size_t)(e - tmp));
		buf_adds(out, ".0");
		buf_add(out, e, n - (size_t)(e - tmp));
	} else {
		buf_add(out, tmp, n);
	}
}

static void emit_scalar(const struct pytree *v, struct buf *out)
{
	switch (v->type) {
	case PYTREE_NULL:
		buf_adds(out, "null");
		break;
	case PYTREE_TRUE:
		buf_adds(out, "true");
		break;
	case PYTREE_FALSE:
		buf_adds(out, "false");
		break;
	case PYTREE_INT:
		buf_adds(out, strcmp(v->text, "-0") == 0 ? "0" : v->text);
		break;
	case PYTREE_FLOAT:
		emit_float(v, out);
		break;
	case PYTREE_STRING:
		emit_string(v->text, v->len, out);
		break;
	case PYTREE_ARRAY:
		buf_adds(out, "[]");
		break;
	case PYTREE_OBJECT:
		buf_adds(out, "{}");
		break;
	}
}

static bool is_block(const struct pytree *v)
{
	return (v->type == PYTREE_ARRAY || v->type == PYTREE_OBJECT) && v->n > 0;
}

static void pad(struct buf *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_addc(out, ' ');
}

/* A non-empty collection; with first_inline its first line follows "- ". */
static void emit_block(const struct pytree *v, size_t indent, bool first_inline, struct buf *out)
{
	for (size_t i = 0; i < v->n; i++) {
		if (i > 0 || !first_inline)
			pad(out, indent);
		const struct pytree *item;
		if (v->type == PYTREE_OBJECT) {
			emit_string(v->members[i].key, v->members[i].key_len, out);
			buf_addc(out, ':');
			item = &v->members[i].value;
			if (is_block(item)) {
				buf_addc(out, '\n');
				emit_block(item, item->type == PYTREE_ARRAY ? indent : indent + 2,
				           false, out);
				continue;
			}
		} else {
			buf_addc(out, '-');
			item = &v->items[i];
			if (is_block(item)) {
				buf_addc(out, ' ');
				emit_block(item, indent + 2, true, out);
				continue;
			}
		}
		buf_addc(out, ' ');
		emit_scalar(item, out);
		buf_addc(out, '\n');
	}
}

enum r1_err r1fs_yaml_emit(const struct pytree *v, struct buf *out, char **why)
{
	if (is_block(v)) {
		emit_block(v, 0, false, out);
	} else {
		/* PyYAML ends a top-level scalar's document explicitly, not {} or []. */
		emit_scalar(v, out);
		buf_adds(out,
		         v->type == PYTREE_ARRAY || v->type == PYTREE_OBJECT ? "\n" : "\n...\n");
	}
	return buf_ok(out) ? R1_OK : r1_fail(why, R1_ERR_NOMEM, "yaml: out of memory");
}

/* ------------------------------------------------------------ reader */

struct yline {
	size_t indent;
	const char *text; /* after the indentation, comments and trailing blanks removed */
	size_t len;
	unsigned lineno;
};

struct yparser {
	struct yline *lines;
	size_t n, at;
	char **why;
};

static enum r1_err fail_at(struct yparser *p, unsigned lineno, const char *what)
{
	return r1_fail(p->why, R1_ERR_INVAL, "yaml: line %u: %s", lineno, what);
}

/* Length of a line's content once a comment is cut off (quotes respected). */
static size_t strip_comment(const char *s, size_t len)
{
	char quote = 0;
	for (size_t i = 0; i < len; i++) {
		if (quote) {
			if (s[i] == '\\' && quote == '"')
				i++;
			else if (s[i] == quote)
				quote = 0;
		} else if ((s[i] == '\'' || s[i] == '"') &&
		           (i == 0 || strchr(" [{,:-", s[i - 1]))) {
			quote = s[i];
		} else if (s[i] == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
			return i;
		}
	}
	return len;
}

static enum r1_err split_lines(struct yparser *p, const char *text, size_t len)
{
	size_t cap = 0;
	bool started = false;
	unsigned lineno = 0;
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - text) : len;
		const char *s = text + at;
		size_t n = end - at;
		at = nl ? end + 1 : len;
		lineno++;
		if (memchr(s, '\0', n))
			return fail_at(p, lineno, "NUL byte");
		size_t indent = 0;
		while (indent < n && s[indent] == ' ')
			indent++;
		n = indent + strip_comment(s + indent, n - indent);
		while (n > indent && strchr(" \t\r", s[n - 1]))
			n--;
		if (n == indent)
			continue;
		if (s[indent] == '\t')
			return fail_at(p, lineno, "tab in indentation");
		const char *t = s + indent;
		size_t tl = n - indent;
		if (indent == 0 && tl >= 3 && memcmp(t, "---", 3) == 0 &&
		    (tl == 3 || t[3] == ' ')) {
			if (started || p->n > 0)
				return fail_at(p, lineno, "several documents are not supported");
			started = true;
			if (tl == 3)
				continue;
			t += 4;
			tl -= 4;
			indent += 4;
		}
		if (indent == 0 && tl == 3 && memcmp(t, "...", 3) == 0)
			break;
		if (p->n == cap) {
			size_t ncap = cap ? 2 * cap : 32;
			struct yline *l = r1_reallocarray(p->lines, ncap, sizeof(*l));
			if (!l)
				return r1_fail(p->why, R1_ERR_NOMEM, "yaml: out of memory");
			p->lines = l;
			cap = ncap;
		}
		p->lines[p->n++] = (struct yline){indent, t, tl, lineno};
	}
	return R1_OK;
}

static void add_codepoint(struct buf *b, unsigned long cp)
{
	if (cp < 0x80) {
		buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_addc(b, (char)(0xc0 | (cp >> 6)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addc(b, (char)(0xe0 | (cp >> 12)));
		buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(b, (char)(0xf0 | (cp >> 18)));
		buf_addc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/*
 * A quoted scalar starting at s[0] (' or "): decoded into *v as a string;
 * *used gets the bytes consumed including the closing quote.
 */
static enum r1_err parse_quoted(struct yparser *p, unsigned lineno, const char *s, size_t len,
                                struct pytree *v, size_t *used)
{
	struct buf b = BUF_INIT;
	char q = s[0];
	size_t i = 1;
	for (;;) {
		if (i >= len) {
			buf_release(&b);
			return fail_at(p, lineno, "unterminated or multi-line quoted scalar");
		}
		char c = s[i];
		if (q == '\'' && c == '\'') {
			if (i + 1 < len && s[i + 1] == '\'') {
				buf_addc(&b, '\'');
				i += 2;
				continue;
			}
			i++;
			break;
		}
		if (q == '"' && c == '"') {
			i++;
			break;
		}
		if (q == '"' && c == '\\') {
			if (i + 1 >= len) {
				buf_release(&b);
				return fail_at(p, lineno, "unterminated escape");
			}
			static const char from[] = "0abt\tnvfre \"/\\N_LP";
			static const char *const to[] = {
			    "\0",       "\a",       "\b",           "\t",          "\t", "\n", "\v",
			    "\f",       "\r",       "\x1b",         " ",           "\"", "/",  "\\",
			    "\xc2\x85", "\xc2\xa0", "\xe2\x80\xa8", "\xe2\x80\xa9"};
			char e = s[i + 1];
			const char *pos = e ? memchr(from, e, sizeof(from) - 1) : NULL;
			if (pos) {
				const char *r = to[pos - from];
				buf_add(&b, r, e == '0' ? 1 : strlen(r));
				i += 2;
				continue;
			}
			size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
			unsigned long cp = 0;
			if (!digits || i + 2 + digits > len) {
				buf_release(&b);
				return fail_at(p, lineno, "bad escape in a double-quoted scalar");
			}
			for (size_t k = 0; k < digits; k++) {
				char h = s[i + 2 + k];
				int d = is_digit(h)              ? h - '0'
				        : (h >= 'a' && h <= 'f') ? h - 'a' + 10
				        : (h >= 'A' && h <= 'F') ? h - 'A' + 10
				                                 : -1;
				if (d < 0) {
					buf_release(&b);
					return fail_at(p, lineno, "bad hex escape");
				}
				cp = cp * 16 + (unsigned long)d;
			}
			if (cp > 0x10ffff) {
				buf_release(&b);
				return fail_at(p, lineno, "escape beyond U+10FFFF");
			}
			add_codepoint(&b, cp);
			i += 2 + digits;
			continue;
		}
		size_t n;
		if (r1_wtf8_decode(s + i, len - i, &n) < 0) {
			buf_release(&b);
			return fail_at(p, lineno, "invalid UTF-8");
		}
		buf_add(&b, s + i, n);
		i += n;
	}
	buf_addc(&b, '\0');
	if (!buf_ok(&b)) {
		buf_release(&b);
		return r1_fail(p->why, R1_ERR_NOMEM, "yaml: out of memory");
	}
	memset(v, 0, sizeof(*v));
	v->type = PYTREE_STRING;
	v->text = buf_detach(&b, &v->len);
	v->len--;
	*used = i;
	return R1_OK;
}

static bool utf8_ok(const char *s, size_t len)
{
	for (size_t i = 0, n; i < len; i += n)
		if (r1_wtf8_decode(s + i, len - i, &n) < 0)
			return false;
	return true;
}

static enum r1_err refuse_indicator(struct yparser *p, unsigned lineno, char c)
{
	static const struct {
		char c;
		const char *what;
	} refused[] = {
	    {'&', "anchors are not supported"},       {'*', "aliases are not supported"},
	    {'!', "tags are not supported"},          {'|', "block scalars are not supported"},
	    {'>', "block scalars are not supported"}, {'?', "complex keys are not supported"},
	    {'%', "directives are not supported"},    {'@', "'@' cannot start a scalar"},
	    {'`', "'`' cannot start a scalar"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(refused); i++)
		if (refused[i].c == c)
			return fail_at(p, lineno, refused[i].what);
	return R1_OK;
}

static enum r1_err parse_flow(struct yparser *p, unsigned lineno, const char *s, size_t len,
                              size_t *at, struct pytree *v, unsigned depth);

static void skip_blanks(const char *s, size_t len, size_t *at)
{
	while (*at < len && (s[*at] == ' ' || s[*at] == '\t'))
		(*at)++;
}

/* One scalar or collection inside a flow collection. */
static enum r1_err parse_flow_item(struct yparser *p, unsigned lineno, const char *s, size_t len,
                                   size_t *at, struct pytree *v, bool is_key, unsigned depth)
{
	skip_blanks(s, len, at);
	if (*at >= len)
		return fail_at(p, lineno, "unterminated flow collection");
	char c = s[*at];
	if (c == '[' || c == '{')
		return parse_flow(p, lineno, s, len, at, v, depth + 1);
	if (c == '\'' || c == '"') {
		size_t used;
		enum r1_err e = parse_quoted(p, lineno, s + *at, len - *at, v, &used);
		*at += used;
		return e;
	}
	enum r1_err e = refuse_indicator(p, lineno, c);
	if (e)
		return e;
	size_t start = *at;
	while (*at < len && !strchr(",]}", s[*at]) &&
	       !(s[*at] == ':' && (*at + 1 == len || strchr(" ,]}", s[*at + 1]))))
		(*at)++;
	size_t end = *at;
	while (end > start && s[end - 1] == ' ')
		end--;
	if (is_key)
		return set_text(v, PYTREE_STRING, s + start, end - start, p->why);
	return resolve_plain(s + start, end - start, v, p->why);
}

static enum r1_err parse_flow(struct yparser *p, unsigned lineno, const char *s, size_t len,
                              size_t *at, struct pytree *v, unsigned depth)
{
	if (depth > PYTREE_MAX_DEPTH)
		return fail_at(p, lineno, "nesting too deep");
	bool is_map = s[*at] == '{';
	char close = is_map ? '}' : ']';
	memset(v, 0, sizeof(*v));
	v->type = is_map ? PYTREE_OBJECT : PYTREE_ARRAY;
	(*at)++;
	size_t cap = 0;
	for (;;) {
		skip_blanks(s, len, at);
		if (*at < len && s[*at] == close) {
			(*at)++;
			return is_map ? pytree_object_finish(v, p->why) : R1_OK;
		}
		if (v->n == cap) {
			size_t ncap = cap ? 2 * cap : 4;
			void *np = is_map ? r1_reallocarray(v->members, ncap, sizeof(*v->members))
			                  : r1_reallocarray(v->items, ncap, sizeof(*v->items));
			if (!np)
				return r1_fail(p->why, R1_ERR_NOMEM, "yaml: out of memory");
			if (is_map)
				v->members = np;
			else
				v->items = np;
			cap = ncap;
		}
		enum r1_err e;
		if (is_map) {
			struct pytree_member *m = &v->members[v->n++];
			memset(m, 0, sizeof(*m));
			struct pytree key;
			e = parse_flow_item(p, lineno, s, len, at, &key, true, depth);
			if (e)
				return e;
			if (key.type != PYTREE_STRING) {
				pytree_release(&key);
				return fail_at(p, lineno, "a flow mapping key must be a scalar");
			}
			m->key = key.text;
			m->key_len = key.len;
			skip_blanks(s, len, at);
			if (*at < len && s[*at] == ':') {
				(*at)++;
				e = parse_flow_item(p, lineno, s, len, at, &m->value, false, depth);
			} else {
				m->value.type = PYTREE_NULL;
				e = R1_OK;
			}
		} else {
			struct pytree *item = &v->items[v->n++];
			memset(item, 0, sizeof(*item));
			e = parse_flow_item(p, lineno, s, len, at, item, false, depth);
		}
		if (e)
			return e;
		skip_blanks(s, len, at);
		if (*at < len && s[*at] == ',') {
			(*at)++;
			continue;
		}
		if (*at < len && s[*at] == close)
			continue;
		return fail_at(p, lineno, "expected ',' or the end of a flow collection");
	}
}

/* A whole value written on one line: flow collection, quoted or plain scalar. */
static enum r1_err parse_inline(struct yparser *p, unsigned lineno, const char *s, size_t len,
                                struct pytree *v, unsigned depth)
{
	memset(v, 0, sizeof(*v));
	if (!utf8_ok(s, len))
		return fail_at(p, lineno, "invalid UTF-8");
	size_t at = 0;
	enum r1_err e;
	if (len && (s[0] == '[' || s[0] == '{')) {
		e = parse_flow(p, lineno, s, len, &at, v, depth + 1);
	} else if (len && (s[0] == '\'' || s[0] == '"')) {
		e = parse_quoted(p, lineno, s, len, v, &at);
	} else {
		e = len ? refuse_indicator(p, lineno, s[0]) : R1_OK;
		if (!e)
			e = resolve_plain(s, len, v, p->why);
		at = len;
	}
	if (!e) {
		skip_blanks(s, len, &at);
		if (at != len)
			e = fail_at(p, lineno, "unexpected text after a value");
	}
	return e;
}

static bool is_seq_item(const struct yline *l)
{
	return l->text[0] == '-' && (l->len == 1 || l->text[1] == ' ');
}

/*
 * Where the ':' of "key: value" is (the key may be quoted), or -1 when the
 * line is not a mapping entry.
 */
static long map_colon(const struct yline *l)
{
	const char *s = l->text;
	size_t i = 0;
	if (s[0] == '[' || s[0] == '{')
		return -1;
	if (s[0] == '\'' || s[0] == '"') {
		for (i = 1; i < l->len; i++) {
			if (s[0] == '"' && s[i] == '\\') {
				i++;
				continue;
			}
			if (s[i] == s[0]) {
				if (s[0] == '\'' && i + 1 < l->len && s[i + 1] == '\'') {
					i++;
					continue;
				}
				break;
			}
		}
		i++;
		while (i < l->len && s[i] == ' ')
			i++;
		if (i < l->len && s[i] == ':' && (i + 1 == l->len || s[i + 1] == ' '))
			return (long)i;
		return -1;
	}
	for (; i < l->len; i++)
		if (s[i] == ':' && (i + 1 == l->len || s[i + 1] == ' '))
			return (long)i;
	return -1;
}

static enum r1_err parse_node(struct yparser *p, size_t indent, struct pytree *v, unsigned depth);

static enum r1_err parse_seq(struct yparser *p, size_t indent, struct pytree *v, unsigned depth)
{
	memset(v, 0, sizeof(*v));
	v->type = PYTREE_ARRAY;
	size_t cap = 0;
	while (p->at < p->n && p->lines[p->at].indent == indent && is_seq_item(&p->lines[p->at])) {
		struct yline *l = &p->lines[p->at];
		if (v->n == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			struct pytree *items = r1_reallocarray(v->items, ncap, sizeof(*items));
			if (!items)
				return r1_fail(p->why, R1_ERR_NOMEM, "yaml: out of memory");
			v->items = items;
			cap = ncap;
		}
		struct pytree *item = &v->items[v->n++];
		memset(item, 0, sizeof(*item));
		size_t skip = 1;
		while (skip < l->len && l->text[skip] == ' ')
			skip++;
		enum r1_err e;
		if (skip == l->len) {
			p->at++;
			if (p->at < p->n && p->lines[p->at].indent > indent)
				e = parse_node(p, p->lines[p->at].indent, item, depth + 1);
			else
				e = R1_OK; /* "-" alone: null */
		} else {
			/* "- rest": rest is a node of its own, indented where it starts. */
			l->indent += skip;
			l->text += skip;
			l->len -= skip;
			e = parse_node(p, l->indent, item, depth + 1);
		}
		if (e)
			return e;
	}
	if (p->at < p->n && p->lines[p->at].indent > indent)
		return fail_at(p, p->lines[p->at].lineno, "bad indentation");
	return R1_OK;
}

static enum r1_err parse_map(struct yparser *p, size_t indent, struct pytree *v, unsigned depth)
{
	memset(v, 0, sizeof(*v));
	v->type = PYTREE_OBJECT;
	size_t cap = 0;
	while (p->at < p->n && p->lines[p->at].indent == indent) {
		struct yline *l = &p->lines[p->at];
		long colon = map_colon(l);
		if (colon < 0)
			return fail_at(p, l->lineno, "expected 'key: value'");
		if (v->n == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			struct pytree_member *m = r1_reallocarray(v->members, ncap, sizeof(*m));
			if (!m)
				return r1_fail(p->why, R1_ERR_NOMEM, "yaml: out of memory");
			v->members = m;
			cap = ncap;
		}
		struct pytree_member *m = &v->members[v->n++];
		memset(m, 0, sizeof(*m));
		size_t klen = (size_t)colon;
		while (klen > 0 && l->text[klen - 1] == ' ')
			klen--;
		struct pytree key;
		enum r1_err e;
		if (klen && (l->text[0] == '\'' || l->text[0] == '"')) {
			size_t used;
			e = parse_quoted(p, l->lineno, l->text, klen, &key, &used);
		} else if (klen && (e = refuse_indicator(p, l->lineno, l->text[0])) != R1_OK) {
			/* e holds the refusal */
		} else if (!utf8_ok(l->text, klen)) {
			e = fail_at(p, l->lineno, "invalid UTF-8");
		} else {
			e = set_text(&key, PYTREE_STRING, l->text, klen, p->why);
		}
		if (e)
			return e;
		m->key = key.text;
		m->key_len = key.len;
		size_t vs = (size_t)colon + 1;
		while (vs < l->len && l->text[vs] == ' ')
			vs++;
		unsigned lineno = l->lineno;
		p->at++;
		if (vs < l->len) {
			e = parse_inline(p, lineno, l->text + vs, l->len - vs, &m->value, depth);
		} else if (p->at < p->n && p->lines[p->at].indent > indent) {
			e = parse_node(p, p->lines[p->at].indent, &m->value, depth + 1);
		} else if (p->at < p->n && p->lines[p->at].indent == indent &&
		           is_seq_item(&p->lines[p->at])) {
			e = parse_seq(p, indent, &m->value,
			              depth + 1); /* PyYAML's indentless list */
		} else {
			m->value.type = PYTREE_NULL;
		}
		if (e)
			return e;
	}
	if (p->at < p->n && p->lines[p->at].indent > indent)
		return fail_at(p, p->lines[p->at].lineno, "bad indentation");
	return pytree_object_finish(v, p->why);
}

static enum r1_err parse_node(struct yparser *p, size_t indent, struct pytree *v, unsigned depth)
{
	memset(v, 0, sizeof(*v));
	if (depth > PYTREE_MAX_DEPTH)
		return fail_at(p, p->at < p->n ? p->lines[p->at].lineno : 0, "nesting too deep");
	if (p->at >= p->n || p->lines[p->at].indent < indent)
		return R1_OK; /* null */
	struct yline *l = &p->lines[p->at];
	if (is_seq_item(l))
		return parse_seq(p, l->indent, v, depth);
	if (map_colon(l) >= 0)
		return parse_map(p, l->indent, v, depth);
	p->at++;
	enum r1_err e = parse_inline(p, l->lineno, l->text, l->len, v, depth);
	if (!e && p->at < p->n && p->lines[p->at].indent >= indent)
		e = fail_at(p, p->lines[p->at].lineno,
		            "multi-line scalars and text after a value are not supported");
	return e;
}

enum r1_err r1fs_yaml_parse(const char *text, size_t len, struct pytree **out, char **why)
{
	struct yparser p = {NULL, 0, 0, why};
	struct pytree *v = r1_calloc(1, sizeof(*v));
	if (!v)
		return r1_fail(why, R1_ERR_NOMEM, "yaml: out of memory");
	enum r1_err e = split_lines(&p, text, len);
	if (!e)
		e = parse_node(&p, 0, v, 0);
	if (!e && p.at < p.n)
		e = fail_at(&p, p.lines[p.at].lineno, "unexpected text after the document");
	r1_free(p.lines);
	if (e) {
		pytree_free(&v);
		return e;
	}
	*out = v;
	return R1_OK;
}
