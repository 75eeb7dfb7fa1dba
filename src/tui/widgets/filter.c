/*
 * The filter language (see filter.h): a parser from text to struct filter,
 * and the matching rules that views share.  The parser has no side
 * effects and knows no field names; views check keys with
 * filter_check_keys() and answer key terms through their callback.
 */
#include "tui/lib.h"
#include "tui/widgets/filter.h"

#include <math.h>

void filter_init(struct filter *f)
{
	f->terms = NULL;
	f->n = 0;
}

void filter_release(struct filter *f)
{
	for (size_t i = 0; i < f->n; i++) {
		r1_free(f->terms[i].key);
		r1_free(f->terms[i].value);
	}
	r1_free(f->terms);
	filter_init(f);
}

static int fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool key_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool key_char(char c)
{
	return key_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* A number with an optional '%' or unit-less; the whole value must be used. */
static bool parse_number(const char *s, double *out)
{
	if (!*s)
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v))
		return false;
	if (*end == '%')
		end++;
	if (*end)
		return false;
	*out = v;
	return true;
}

/* Scan a value at *p (quoted or bare) into b; advances *p. */
static enum r1_err scan_value(const char **p, struct buf *b, char **why)
{
	const char *s = *p;
	if (*s == '"') {
		s++;
		while (*s && *s != '"') {
			if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
				s++;
			buf_addc(b, *s++);
		}
		if (*s != '"')
			return r1_fail(why, R1_ERR_INVAL, _("unterminated quote"));
		s++;
		if (*s && !is_space(*s))
			return r1_fail(why, R1_ERR_INVAL, _("a space must follow a closing quote"));
	} else {
		while (*s && !is_space(*s))
			buf_addc(b, *s++);
	}
	*p = s;
	return R1_OK;
}

/* key and operator at *p, if there are any; advances *p past them. */
static bool scan_key(const char **p, struct buf *key, enum filter_op *op)
{
	const char *s = *p;
	if (!key_start(*s))
		return false;
	const char *k = s;
	while (key_char(*s))
		s++;
	size_t klen = (size_t)(s - k);
	if (*s == ':')
		*op = FILTER_OP_HAS, s++;
	else if (s[0] == '>' && s[1] == '=')
		*op = FILTER_OP_GE, s += 2;
	else if (s[0] == '<' && s[1] == '=')
		*op = FILTER_OP_LE, s += 2;
	else if (*s == '>')
		*op = FILTER_OP_GT, s++;
	else if (*s == '<')
		*op = FILTER_OP_LT, s++;
	else
		return false;
	for (size_t i = 0; i < klen; i++)
		buf_addc(key, (char)fold((unsigned char)k[i]));
	*p = s;
	return true;
}

static const char *op_text(enum filter_op op)
{
	static const char *const names[] = {":", ">", "<", ">=", "<="};
	return (unsigned)op < R1_ARRAY_LEN(names) ? names[op] : "?";
}

static enum r1_err parse_term(const char **p, struct filter_term *t, char **why)
{
	struct buf key = BUF_INIT, value = BUF_INIT;
	enum r1_err err = R1_OK;
	memset(t, 0, sizeof(*t));
	if (**p == '!') {
		t->negate = true;
		(*p)++;
		if (!**p || is_space(**p)) {
			err = r1_fail(why, R1_ERR_INVAL, _("'!' must be followed by a term"));
			goto done;
		}
	}
	bool keyed = scan_key(p, &key, &t->op);
	err = scan_value(p, &value, why);
	if (err)
		goto done;
	if (keyed && value.len == 0) {
		err = r1_fail(why, R1_ERR_INVAL, _("empty value for '%s%s'"), buf_cstr(&key),
			      op_text(t->op));
		goto done;
	}
	t->has_number = parse_number(buf_cstr(&value), &t->number);
	if (keyed && t->op != FILTER_OP_HAS && !t->has_number) {
		err = r1_fail(why, R1_ERR_INVAL, _("expected a number after '%s%s'"),
			      buf_cstr(&key), op_text(t->op));
		goto done;
	}
	if (!buf_ok(&key) || !buf_ok(&value)) {
		err = R1_ERR_NOMEM;
		goto done;
	}
	t->value = buf_detach(&value, NULL);
	t->key = keyed ? buf_detach(&key, NULL) : NULL;
	if (!t->value || (keyed && !t->key)) {
		r1_free(t->value);
		r1_free(t->key);
		t->value = t->key = NULL;
		err = R1_ERR_NOMEM;
	}
done:
	buf_release(&key);
	buf_release(&value);
	return err;
}

enum r1_err filter_parse(struct filter *f, const char *text, char **why)
{
	filter_release(f);
	if (!text)
		return R1_OK;
	if (strlen(text) > FILTER_MAX_TEXT)
		return r1_fail(why, R1_ERR_TOOBIG, _("filter longer than %d bytes"),
			       FILTER_MAX_TEXT);
	const char *p = text;
	enum r1_err err = R1_OK;
	for (;;) {
		while (is_space(*p))
			p++;
		if (!*p)
			break;
		if (f->n == FILTER_MAX_TERMS) {
			err = r1_fail(why, R1_ERR_TOOBIG, _("more than %d filter terms"),
				      FILTER_MAX_TERMS);
			break;
		}
		struct filter_term *terms = r1_reallocarray(f->terms, f->n + 1, sizeof(*terms));
		if (!terms) {
			err = R1_ERR_NOMEM;
			break;
		}
		f->terms = terms;
		err = parse_term(&p, &f->terms[f->n], why);
		if (err)
			break;
		f->n++;
	}
	if (err)
		filter_release(f);
	return err;
}

enum r1_err filter_check_keys(const struct filter *f, const char *const *keys, size_t n,
			      char **why)
{
	for (size_t i = 0; i < f->n; i++) {
		const char *k = f->terms[i].key;
		if (!k)
			continue;
		size_t j = 0;
		while (j < n && strcmp(keys[j], k) != 0)
			j++;
		if (j == n)
			return r1_fail(why, R1_ERR_INVAL, _("unknown filter key '%s'"), k);
	}
	return R1_OK;
}

enum r1_err filter_set(struct filter *f, const char *text, const char *const *keys, size_t n,
                       char **why)
{
	struct filter next;
	filter_init(&next);
	enum r1_err e = filter_parse(&next, text, why);
	if (!e)
		e = filter_check_keys(&next, keys, n, why);
	if (e) {
		filter_release(&next);
		return e;
	}
	filter_release(f);
	*f = next;
	return R1_OK;
}

bool filter_contains(const char *text, const char *value)
{
	if (!text)
		return false;
	if (!value[0])
		return true;
	/* find the first byte in either case with strpbrk, then compare the rest */
	char first[3] = {value[0], value[0], '\0'};
	if (value[0] >= 'a' && value[0] <= 'z')
		first[1] = (char)(value[0] - 32);
	else if (value[0] >= 'A' && value[0] <= 'Z')
		first[1] = (char)(value[0] + 32);
	for (const char *s = strpbrk(text, first); s; s = strpbrk(s + 1, first)) {
		size_t k = 1;
		while (value[k] && s[k] &&
		       fold((unsigned char)s[k]) == fold((unsigned char)value[k]))
			k++;
		if (!value[k])
			return true;
	}
	return false;
}

bool filter_number_matches(const struct filter_term *t, double v)
{
	if (!t->has_number || isnan(v))
		return false;
	switch (t->op) {
	case FILTER_OP_GT:
		return v > t->number;
	case FILTER_OP_LT:
		return v < t->number;
	case FILTER_OP_GE:
		return v >= t->number;
	case FILTER_OP_LE:
		return v <= t->number;
	default:
		return v == t->number;
	}
}

bool filter_text_matches(const struct filter_term *t, const char *text)
{
	if (t->op == FILTER_OP_HAS)
		return filter_contains(text, t->value);
	double v;
	return text && parse_number(text, &v) && filter_number_matches(t, v);
}

static bool word_in(const char *v, const char *const *words)
{
	for (; *words; words++) {
		size_t i = 0;
		while (v[i] && (*words)[i] && fold((unsigned char)v[i]) == (*words)[i])
			i++;
		if (!v[i] && !(*words)[i])
			return true;
	}
	return false;
}

bool filter_bool_matches(const struct filter_term *t, bool v)
{
	static const char *const yes[] = {"yes", "y", "true", "1", "on", NULL};
	static const char *const no[] = {"no", "n", "false", "0", "off", NULL};
	if (word_in(t->value, yes))
		return v;
	if (word_in(t->value, no))
		return !v;
	return filter_contains(v ? "yes" : "no", t->value);
}

bool filter_match(const struct filter *f, const struct filter_row *row)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct filter_term *t = &f->terms[i];
		bool hit = false;
		if (t->key) {
			hit = row->field && row->field(row->ctx, t);
		} else if (row->text) {
			char scratch[256];
			const char *s;
			for (size_t k = 0; !hit; k++) {
				s = row->text(row->ctx, k, scratch, sizeof(scratch));
				if (!s)
					break;
				hit = filter_contains(s, t->value);
			}
		}
		if (hit == t->negate)
			return false;
	}
	return true;
}
