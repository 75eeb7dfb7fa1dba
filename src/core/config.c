/*
 * Configuration: the INI-like file with network profiles, the EE_*
 * environment of the Python SDK, command-line flags, and the merge of the
 * three into the settings a program runs with (see config.h for the format
 * and the precedence).  Parsing collects one message per bad line and has
 * no side effects; config_file_set is the only writer, and it edits lines in
 * place so a person's comments and layout survive.  It does not know what a
 * broker or a profile is used for.
 */
#include "core/lib.h"
#include "core/config.h"
#include "core/codec.h"
#include "core/identity.h"
#include "core/proto.h"

#include <ctype.h>

#define ORACLES_MAX 256
#define VALUE_MAX   4096

/* ---- small helpers ------------------------------------------------------ */

static bool str_set(char **dst, const char *src)
{
	char *d = r1_strdup(src);
	if (!d)
		return false;
	r1_free(*dst);
	*dst = d;
	return true;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		r1_free(v[i]);
	r1_free(v);
}

static bool parse_bool(const char *s, int *out)
{
	static const struct {
		const char *word;
		int value;
	} words[] = {
	    {"yes", 1}, {"true", 1},  {"on", 1},  {"1", 1},
	    {"no", 0},  {"false", 0}, {"off", 0}, {"0", 0},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(words); i++)
		if (strcasecmp(s, words[i].word) == 0) {
			*out = words[i].value;
			return true;
		}
	return false;
}

/* Seconds in (0, 1 day]. */
static bool parse_seconds(const char *s, double *out)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !(v > 0) || v > 86400)
		return false;
	*out = v;
	return true;
}

static bool parse_port(const char *s, size_t n, int *out)
{
	if (n == 0 || n > 5)
		return false;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return false;
	*out = v;
	return true;
}

/* ---- broker URLs -------------------------------------------------------- */

void config_broker_release(struct r1_broker *b)
{
	r1_free(b->host);
	r1_free(b->user);
	if (b->pass) {
		memset(b->pass, 0, strlen(b->pass));
		r1_free(b->pass);
	}
	r1_free(b->cafile);
	memset(b, 0, sizeof(*b));
}

enum r1_err config_broker_parse(const char *url, struct r1_broker *out, char **why)
{
	memset(out, 0, sizeof(*out));
	if (!url || !*url)
		return r1_fail(why, R1_ERR_INVAL, "broker: empty URL");
	if (strcmp(url, "local") == 0) {
		out->local = true;
		return R1_OK;
	}
	static const struct {
		const char *scheme;
		bool tls;
	} schemes[] = {
	    {"mqtt://", false},
	    {"tcp://", false},
	    {"mqtts://", true},
	    {"ssl://", true},
	};
	const char *p = url;
	const char *sep = strstr(url, "://");
	if (sep) {
		bool known = false;
		for (size_t i = 0; i < R1_ARRAY_LEN(schemes); i++) {
			size_t n = strlen(schemes[i].scheme);
			if (strncasecmp(url, schemes[i].scheme, n) == 0) {
				out->tls = schemes[i].tls;
				p = url + n;
				known = true;
				break;
			}
		}
		if (!known)
			return r1_fail(why, R1_ERR_INVAL,
			               "broker '%.*s': unknown scheme (use mqtt:// or mqtts://)",
			               (int)(sep - url), url);
	}
	out->port = out->tls ? 8883 : 1883;
	size_t rest = strlen(p);
	if (rest > 0 && p[rest - 1] == '/')
		rest--;
	if (memchr(p, '/', rest))
		return r1_fail(why, R1_ERR_INVAL, "broker '%s': a broker URL has no path", url);
	const char *at = NULL;
	for (size_t i = 0; i < rest; i++)
		if (p[i] == '@')
			at = p + i;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		size_t ulen = colon ? (size_t)(colon - p) : (size_t)(at - p);
		enum r1_err e = pct_decode(p, ulen, &out->user, NULL);
		if (!e && colon)
			e = pct_decode(colon + 1, (size_t)(at - colon - 1), &out->pass, NULL);
		if (e) {
			config_broker_release(out);
			return e == R1_ERR_NOMEM
			           ? r1_fail(why, R1_ERR_NOMEM, "broker: out of memory")
			           : r1_fail(why, R1_ERR_INVAL,
			                     "broker '%s': bad %%-escape in user or password", url);
		}
		rest -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	const char *host = p;
	size_t hlen = rest;
	const char *port = NULL;
	size_t plen = 0;
	if (rest > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', rest);
		if (!close) {
			config_broker_release(out);
			return r1_fail(why, R1_ERR_INVAL, "broker '%s': unclosed '[' in host", url);
		}
		host = p + 1;
		hlen = (size_t)(close - host);
		if ((size_t)(close + 1 - p) < rest) {
			if (close[1] != ':') {
				config_broker_release(out);
				return r1_fail(why, R1_ERR_INVAL, "broker '%s': junk after ']'",
				               url);
			}
			port = close + 2;
			plen = rest - (size_t)(port - p);
		}
	} else {
		const char *colon = memchr(p, ':', rest);
		if (colon) {
			hlen = (size_t)(colon - p);
			port = colon + 1;
			plen = rest - hlen - 1;
		}
	}
	if (hlen == 0) {
		config_broker_release(out);
		return r1_fail(why, R1_ERR_INVAL, "broker '%s': no host", url);
	}
	for (size_t i = 0; i < hlen; i++)
		if (!isalnum((unsigned char)host[i]) && !strchr("-._:", host[i])) {
			config_broker_release(out);
			return r1_fail(why, R1_ERR_INVAL, "broker '%s': bad character in host",
			               url);
		}
	if (port && !parse_port(port, plen, &out->port)) {
		config_broker_release(out);
		return r1_fail(why, R1_ERR_INVAL, "broker '%s': port must be 1-65535", url);
	}
	out->host = r1_strndup(host, hlen);
	if (!out->host) {
		config_broker_release(out);
		return r1_fail(why, R1_ERR_NOMEM, "broker: out of memory");
	}
	return R1_OK;
}

char *config_broker_url(const struct r1_broker *b, bool show_pass)
{
	struct buf out = BUF_INIT;
	if (b->local) {
		buf_adds(&out, "local");
		return buf_detach(&out, NULL);
	}
	buf_adds(&out, b->tls ? "mqtts://" : "mqtt://");
	if (b->user) {
		pct_encode(&out, b->user, strlen(b->user));
		if (b->pass) {
			buf_addc(&out, ':');
			if (show_pass)
				pct_encode(&out, b->pass, strlen(b->pass));
			else
				buf_adds(&out, "***");
		}
		buf_addc(&out, '@');
	}
	bool v6 = b->host && strchr(b->host, ':');
	buf_addf(&out, v6 ? "[%s]:%d" : "%s:%d", b->host ? b->host : "", b->port);
	return buf_detach(&out, NULL);
}

/* ---- the file ----------------------------------------------------------- */

/* A reason for a bad value; the caller adds FILE:LINE. */
typedef bool (*key_set_fn)(struct config_profile *p, const char *value, struct buf *reason);

static bool set_broker(struct config_profile *p, const char *v, struct buf *reason)
{
	struct r1_broker b;
	char *why = NULL;
	if (config_broker_parse(v, &b, &why)) {
		buf_adds(reason, why ? why : "bad broker URL");
		r1_free(why);
		return false;
	}
	config_broker_release(&b);
	return str_set(&p->broker, v);
}

static bool root_ok(const char *v)
{
	if (!*v || strlen(v) > 128)
		return false;
	for (const char *c = v; *c; c++)
		if (*c == '+' || *c == '#' || *c == '/' || (unsigned char)*c <= ' ')
			return false;
	return true;
}

static bool set_root(struct config_profile *p, const char *v, struct buf *reason)
{
	if (!root_ok(v)) {
		buf_addf(reason,
		         "root '%s' must be 1-128 characters without '/', '+', '#' or spaces", v);
		return false;
	}
	return str_set(&p->root, v);
}

static bool set_oracles(struct config_profile *p, const char *v, struct buf *reason)
{
	const char *s = v;
	while (*s) {
		while (*s == ',' || isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		size_t n = strcspn(s, ", \t");
		uint8_t pub[R1_PUB_LEN];
		if (addr_parse(s, n, pub, NULL)) {
			buf_addf(reason, "'%.*s' is not a node address", (int)R1_MIN(n, 80), s);
			return false;
		}
		if (p->n_oracles >= ORACLES_MAX) {
			buf_addf(reason, "more than %d oracles", ORACLES_MAX);
			return false;
		}
		char addr[R1_ADDR_LEN + 1];
		addr_format(pub, addr);
		char **grown = r1_reallocarray(p->oracles, p->n_oracles + 1, sizeof(*grown));
		if (!grown)
			return false;
		p->oracles = grown;
		if (!(p->oracles[p->n_oracles] = r1_strdup(addr)))
			return false;
		p->n_oracles++;
		s += n;
	}
	return true;
}

static bool set_identity(struct config_profile *p, const char *v, struct buf *reason)
{
	return str_set(&p->identity, v);
}

static bool set_cafile(struct config_profile *p, const char *v, struct buf *reason)
{
	return str_set(&p->cafile, v);
}

static bool set_timeout(struct config_profile *p, const char *v, struct buf *reason)
{
	if (!parse_seconds(v, &p->timeout_s)) {
		buf_addf(reason,
		         "timeout '%s' must be a number of seconds, above 0 and at most 86400", v);
		return false;
	}
	return true;
}

static bool set_online_timeout(struct config_profile *p, const char *v, struct buf *reason)
{
	if (!parse_seconds(v, &p->online_timeout_s)) {
		buf_addf(
		    reason,
		    "online-timeout '%s' must be a number of seconds, above 0 and at most 86400",
		    v);
		return false;
	}
	return true;
}

static bool set_encrypt(struct config_profile *p, const char *v, struct buf *reason)
{
	if (!parse_bool(v, &p->encrypt)) {
		buf_addf(reason, "encrypt '%s' must be yes or no", v);
		return false;
	}
	return true;
}

static const struct {
	const char *name;
	key_set_fn set;
} profile_keys[] = {
    {"broker", set_broker},
    {"root", set_root},
    {"oracles", set_oracles},
    {"identity", set_identity},
    {"cafile", set_cafile},
    {"timeout", set_timeout},
    {"online-timeout", set_online_timeout},
    {"encrypt", set_encrypt},
};

static const char *const top_keys[] = {"alias", "profile", "theme"};

static void profile_release(struct config_profile *p)
{
	r1_free(p->name);
	r1_free(p->broker);
	r1_free(p->root);
	strv_free(p->oracles, p->n_oracles);
	r1_free(p->identity);
	r1_free(p->cafile);
	memset(p, 0, sizeof(*p));
}

void config_file_release(struct config_file *cf)
{
	r1_free(cf->origin);
	r1_free(cf->alias);
	r1_free(cf->default_profile);
	r1_free(cf->theme);
	for (size_t i = 0; i < cf->n_profiles; i++)
		profile_release(&cf->profiles[i]);
	r1_free(cf->profiles);
	strv_free(cf->errors, cf->n_errors);
	memset(cf, 0, sizeof(*cf));
}

const struct config_profile *config_file_profile(const struct config_file *cf, const char *name)
{
	for (size_t i = 0; i < cf->n_profiles; i++)
		if (strcmp(cf->profiles[i].name, name) == 0)
			return &cf->profiles[i];
	return NULL;
}

static bool add_error(struct config_file *cf, int line, const char *fmt, ...) R1_PRINTF(3, 4);
static bool add_error(struct config_file *cf, int line, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s:%d: ", cf->origin, line);
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	char **grown = r1_reallocarray(cf->errors, cf->n_errors + 1, sizeof(*grown));
	char *msg = buf_detach(&b, NULL);
	if (!grown || !msg) {
		r1_free(msg);
		if (grown)
			cf->errors = grown;
		return false;
	}
	cf->errors = grown;
	cf->errors[cf->n_errors++] = msg;
	return true;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > CONFIG_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

/* Trim spaces at both ends of s[0..n) in place; returns the new start. */
static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Parse one line; false only when out of memory. */
static bool parse_line(struct config_file *cf, char *line, int lineno, struct config_profile **cur,
                       bool *in_bad_section)
{
	char *s = trim(line);
	if (*s == '\0' || *s == '#' || *s == ';')
		return true;
	for (char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return add_error(cf, lineno, "control character in line");
	if (*s == '[') {
		size_t n = strlen(s);
		if (s[n - 1] != ']') {
			*in_bad_section = true;
			*cur = NULL;
			return add_error(cf, lineno, "section header must end with ']'");
		}
		s[n - 1] = '\0';
		char *inner = trim(s + 1);
		if (strncmp(inner, "profile", 7) != 0 || !isspace((unsigned char)inner[7])) {
			*in_bad_section = true;
			*cur = NULL;
			return add_error(cf, lineno,
			                 "unknown section [%s] (expected [profile NAME])", inner);
		}
		char *name = trim(inner + 8);
		if (!name_ok(name)) {
			*in_bad_section = true;
			*cur = NULL;
			return add_error(
			    cf, lineno,
			    "profile name '%s' must be 1-%d letters, digits, '-', '_' or '.'", name,
			    CONFIG_NAME_MAX);
		}
		if (config_file_profile(cf, name)) {
			*in_bad_section = true;
			*cur = NULL;
			return add_error(cf, lineno, "profile '%s' is defined twice", name);
		}
		struct config_profile *grown =
		    r1_reallocarray(cf->profiles, cf->n_profiles + 1, sizeof(*grown));
		if (!grown)
			return false;
		cf->profiles = grown;
		struct config_profile *p = &cf->profiles[cf->n_profiles];
		memset(p, 0, sizeof(*p));
		p->encrypt = -1;
		p->line = lineno;
		if (!(p->name = r1_strdup(name)))
			return false;
		cf->n_profiles++;
		*cur = p;
		*in_bad_section = false;
		return true;
	}
	char *eq = strchr(s, '=');
	if (!eq)
		return add_error(cf, lineno, "expected 'key = value' or '[profile NAME]'");
	*eq = '\0';
	char *key = trim(s);
	char *value = trim(eq + 1);
	size_t vn = strlen(value);
	if (vn >= 2 && value[0] == '"' && value[vn - 1] == '"') {
		value[vn - 1] = '\0';
		value++;
	}
	if (strlen(value) > VALUE_MAX)
		return add_error(cf, lineno, "value of '%s' is longer than %d bytes", key,
		                 VALUE_MAX);
	if (!*key)
		return add_error(cf, lineno, "missing key before '='");
	if (*in_bad_section)
		return true; /* the section header already had its message */
	if (!*cur) {
		for (size_t i = 0; i < R1_ARRAY_LEN(top_keys); i++) {
			if (strcmp(key, top_keys[i]) != 0)
				continue;
			if (!name_ok(value))
				return add_error(
				    cf, lineno,
				    "%s '%s' must be 1-%d letters, digits, '-', '_' or '.'", key,
				    value, CONFIG_NAME_MAX);
			char **field[] = {&cf->alias, &cf->default_profile, &cf->theme};
			return str_set(field[i], value);
		}
		for (size_t i = 0; i < R1_ARRAY_LEN(profile_keys); i++)
			if (strcmp(key, profile_keys[i].name) == 0)
				return add_error(cf, lineno,
				                 "'%s' belongs in a [profile NAME] section", key);
		return add_error(cf, lineno, "unknown key '%s' (top-level keys: alias, profile, theme)",
		                 key);
	}
	for (size_t i = 0; i < R1_ARRAY_LEN(profile_keys); i++) {
		if (strcmp(key, profile_keys[i].name) != 0)
			continue;
		/* a setter explains a bad value in `reason`; no reason means OOM */
		struct buf reason = BUF_INIT;
		bool good = profile_keys[i].set(*cur, value, &reason);
		bool added = good;
		if (!good && buf_ok(&reason) && reason.len)
			added = add_error(cf, lineno, "%s", buf_cstr(&reason));
		buf_release(&reason);
		return added;
	}
	return add_error(
	    cf, lineno,
	    "unknown key '%s' in [profile %s] (known: broker, root, oracles, identity, "
	    "cafile, timeout, online-timeout, encrypt)",
	    key, (*cur)->name);
}

enum r1_err config_file_parse(const char *text, size_t len, const char *origin,
                              struct config_file *out, char **why)
{
	memset(out, 0, sizeof(*out));
	if (len > CONFIG_FILE_MAX)
		return r1_fail(why, R1_ERR_TOOBIG, "%s: larger than %u bytes", origin,
		               CONFIG_FILE_MAX);
	out->origin = r1_strdup(origin ? origin : "config");
	char *copy = r1_strndup(text, len);
	if (!out->origin || !copy) {
		r1_free(copy);
		config_file_release(out);
		return r1_fail(why, R1_ERR_NOMEM, "config: out of memory");
	}
	struct config_profile *cur = NULL;
	bool bad_section = false;
	int lineno = 0;
	char *line = copy;
	char *end = copy + strlen(copy);
	while (line < end) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		size_t n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		lineno++;
		/* parse_line repoints cur whenever out->profiles moves */
		if (!parse_line(out, line, lineno, &cur, &bad_section)) {
			r1_free(copy);
			config_file_release(out);
			return r1_fail(why, R1_ERR_NOMEM, "config: out of memory");
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	r1_free(copy);
	if (out->default_profile && !config_file_profile(out, out->default_profile) &&
	    strcmp(out->default_profile, "local") != 0) {
		if (!add_error(out, 0, "profile '%s' is chosen but no [profile %s] section exists",
		               out->default_profile, out->default_profile)) {
			config_file_release(out);
			return r1_fail(why, R1_ERR_NOMEM, "config: out of memory");
		}
	}
	return R1_OK;
}

enum r1_err config_file_load(const char *path, struct config_file *out, char **why)
{
	char *text = NULL, *w = NULL;
	size_t len = 0;
	enum r1_err e = paths_read_file(path, CONFIG_FILE_MAX, &text, &len, &w);
	if (e && e != R1_ERR_NOTFOUND) {
		e = r1_fail(why, e, "%s", w ? w : r1_strerror(e));
		r1_free(w);
		return e;
	}
	r1_free(w);
	e = config_file_parse(text ? text : "", len, path, out, why);
	r1_free(text);
	return e;
}

/* ---- editing the file --------------------------------------------------- */

struct line_span {
	size_t start, end; /* [start, end) without the newline */
};

/* The key of a "key = value" line, or 0 length. */
static void line_key(const char *text, struct line_span l, const char **k, size_t *kn)
{
	const char *s = text + l.start, *e = text + l.end;
	while (s < e && isspace((unsigned char)*s))
		s++;
	const char *eq = memchr(s, '=', (size_t)(e - s));
	*k = s;
	*kn = 0;
	if (!eq || *s == '#' || *s == ';' || *s == '[')
		return;
	const char *ke = eq;
	while (ke > s && isspace((unsigned char)ke[-1]))
		ke--;
	*kn = (size_t)(ke - s);
}

/* Whether a line is a section header, and for which profile (NULL = other). */
static bool line_section(const char *text, struct line_span l, char *name, size_t cap)
{
	const char *s = text + l.start, *e = text + l.end;
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (s >= e || *s != '[')
		return false;
	name[0] = '\0';
	if (e[-1] != ']')
		return true;
	s++;
	e--;
	while (s < e && isspace((unsigned char)*s))
		s++;
	if ((size_t)(e - s) > 8 && strncmp(s, "profile", 7) == 0 && isspace((unsigned char)s[7])) {
		s += 8;
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		size_t n = R1_MIN((size_t)(e - s), cap - 1);
		memcpy(name, s, n);
		name[n] = '\0';
	}
	return true;
}

enum r1_err config_file_set(const char *path, const char *section, const char *key,
                            const char *value, char **why)
{
	if (value && (strchr(value, '\n') || strchr(value, '\r')))
		return r1_fail(why, R1_ERR_INVAL, "config: a value cannot contain a newline");
	char *text = NULL, *w = NULL;
	size_t len = 0;
	enum r1_err e = paths_read_file(path, CONFIG_FILE_MAX, &text, &len, &w);
	if (e && e != R1_ERR_NOTFOUND) {
		e = r1_fail(why, e, "%s", w ? w : r1_strerror(e));
		r1_free(w);
		return e;
	}
	r1_free(w);
	if (e == R1_ERR_NOTFOUND) {
		text = r1_strdup("");
		len = 0;
		if (!text)
			return r1_fail(why, R1_ERR_NOMEM, "config: out of memory");
	}
	struct config_file before;
	e = config_file_parse(text, len, path, &before, why);
	if (e) {
		r1_free(text);
		return e;
	}

	/* Split into lines and find where the key is, or where it should go. */
	size_t key_line = SIZE_MAX, insert_after = SIZE_MAX, first_section = SIZE_MAX;
	size_t top_last = SIZE_MAX; /* last non-blank line before the first section */
	bool in_target = section == NULL, section_seen = section == NULL;
	size_t nlines = 0;
	struct line_span *lines = NULL;
	for (size_t pos = 0; pos <= len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		if (!nl && end == pos)
			break;
		struct line_span *grown = r1_reallocarray(lines, nlines + 1, sizeof(*grown));
		if (!grown) {
			r1_free(lines);
			r1_free(text);
			config_file_release(&before);
			return r1_fail(why, R1_ERR_NOMEM, "config: out of memory");
		}
		lines = grown;
		lines[nlines] = (struct line_span){pos, end};
		char name[CONFIG_NAME_MAX + 1];
		bool blank = true;
		for (size_t c = pos; c < end; c++)
			blank &= isspace((unsigned char)text[c]) != 0;
		if (!blank && first_section == SIZE_MAX &&
		    !line_section(text, lines[nlines], name, sizeof(name)))
			top_last = nlines;
		if (line_section(text, lines[nlines], name, sizeof(name))) {
			if (first_section == SIZE_MAX)
				first_section = nlines;
			in_target = section && strcmp(name, section) == 0;
			if (in_target) {
				section_seen = true;
				insert_after = nlines;
			}
		} else if (in_target) {
			const char *k;
			size_t kn;
			line_key(text, lines[nlines], &k, &kn);
			if (kn == strlen(key) && memcmp(k, key, kn) == 0)
				key_line = nlines;
			if (kn)
				insert_after = nlines;
		}
		nlines++;
		pos = end + 1;
	}

	struct buf out = BUF_INIT;
	struct buf setting = BUF_INIT;
	if (value)
		buf_addf(&setting, "%s = %s", key, value);
	bool top_insert = !section && key_line == SIZE_MAX && value;
	if (top_insert && top_last == SIZE_MAX && first_section != SIZE_MAX)
		buf_addf(&out, "%s\n\n", buf_cstr(&setting)); /* only sections so far */
	for (size_t i = 0; i < nlines; i++) {
		if (i == key_line) {
			if (value)
				buf_addf(&out, "%s\n", buf_cstr(&setting));
		} else {
			buf_add(&out, text + lines[i].start, lines[i].end - lines[i].start);
			buf_addc(&out, '\n');
		}
		if ((section && key_line == SIZE_MAX && value && i == insert_after) ||
		    (top_insert && i == top_last))
			buf_addf(&out, "%s\n", buf_cstr(&setting));
	}
	if (key_line == SIZE_MAX && value) {
		if (top_insert && top_last == SIZE_MAX && first_section == SIZE_MAX)
			buf_addf(&out, "%s\n", buf_cstr(&setting));
		else if (section && !section_seen)
			buf_addf(&out, "%s[profile %s]\n%s\n", out.len ? "\n" : "", section,
			         buf_cstr(&setting));
	}
	r1_free(lines);
	r1_free(text);
	buf_release(&setting);
	if (!buf_ok(&out)) {
		buf_release(&out);
		config_file_release(&before);
		return r1_fail(why, R1_ERR_NOMEM, "config: out of memory");
	}

	struct config_file after;
	e = config_file_parse(buf_cstr(&out), out.len, path, &after, why);
	bool have_after = e == R1_OK;
	if (!e && after.n_errors > before.n_errors) {
		/* report the first message the change introduced */
		const char *msg = after.errors[after.n_errors - 1];
		for (size_t i = 0; i < after.n_errors; i++) {
			bool old = false;
			for (size_t j = 0; j < before.n_errors; j++)
				old |= strcmp(after.errors[i], before.errors[j]) == 0;
			if (!old) {
				msg = after.errors[i];
				break;
			}
		}
		e = r1_fail(why, R1_ERR_INVAL, "%s", msg);
	}
	if (!e)
		e = paths_mkdir_parent(path, 0700, why);
	if (!e)
		e = paths_write_atomic(path, out.data ? out.data : "", out.len, 0600, why);
	if (have_after)
		config_file_release(&after);
	config_file_release(&before);
	buf_release(&out);
	return e;
}

/* ---- resolving settings ------------------------------------------------- */

static const char *env_first(config_env_fn env, void *ctx, const char *const *names)
{
	for (; *names; names++) {
		const char *v = env ? env(ctx, *names) : getenv(*names);
		if (v && *v)
			return v;
	}
	return NULL;
}

void config_settings_release(struct r1_settings *s)
{
	r1_free(s->profile);
	r1_free(s->alias);
	config_broker_release(&s->broker);
	r1_free(s->root);
	strv_free(s->oracles, s->n_oracles);
	r1_free(s->identity);
	r1_free(s->broker_from);
	memset(s, 0, sizeof(*s));
}

static enum r1_err set_broker_from(struct r1_settings *s, const char *url, const char *from,
                                   char **why)
{
	struct r1_broker b;
	enum r1_err e = config_broker_parse(url, &b, why);
	if (e)
		return e;
	/* a cafile chosen elsewhere survives a new URL */
	b.cafile = s->broker.cafile;
	s->broker.cafile = NULL;
	config_broker_release(&s->broker);
	s->broker = b;
	if (!str_set(&s->broker_from, from))
		return r1_fail(why, R1_ERR_NOMEM, "config: out of memory");
	return R1_OK;
}

static enum r1_err apply_env(struct r1_settings *s, config_env_fn env, void *ctx, char **why)
{
	static const char *const host_v[] = {"EE_MQTT_HOST", "EE_HOSTNAME", "EE_HOST", NULL};
	static const char *const port_v[] = {"EE_MQTT_PORT", "EE_PORT", NULL};
	static const char *const user_v[] = {"EE_MQTT_USER",  "EE_USERNAME", "EE_USER",
	                                     "AIXP_USERNAME", "AIXP_USER",   NULL};
	static const char *const pass_v[] = {"EE_MQTT", "EE_PASSWORD",   "EE_PASS",
	                                     "EE_PWD",  "AIXP_PASSWORD", NULL};
	static const char *const secured_v[] = {"EE_SECURED", "EE_MQTT_SECURED", NULL};
	static const char *const cert_v[] = {"EE_CERT_PATH", NULL};
	static const char *const root_v[] = {"EE_ROOT_TOPIC", NULL};
	static const char *const alias_v[] = {"EE_SDK_ALIAS", NULL};
	static const char *const cqos_v[] = {"EE_MQTT_COMMAND_QOS", NULL};
	static const char *const hqos_v[] = {"EE_MQTT_HEARTBEAT_QOS", NULL};

	const char *host = env_first(env, ctx, host_v);
	const char *port = env_first(env, ctx, port_v);
	const char *secured = env_first(env, ctx, secured_v);
	int tls = -1;
	if (secured && !parse_bool(secured, &tls))
		return r1_fail(why, R1_ERR_INVAL,
		               "EE_SECURED '%s' must be 1/0, true/false or yes/no", secured);
	if (host) {
		struct buf url = BUF_INIT;
		bool v6 = strchr(host, ':') != NULL;
		buf_addf(&url, "%s://%s%s%s", tls == 1 ? "mqtts" : "mqtt", v6 ? "[" : "", host,
		         v6 ? "]" : "");
		if (port)
			buf_addf(&url, ":%s", port);
		if (!buf_ok(&url)) {
			buf_release(&url);
			return r1_fail(why, R1_ERR_NOMEM, "config: out of memory");
		}
		enum r1_err e = set_broker_from(s, buf_cstr(&url), "environment", why);
		buf_release(&url);
		if (e) {
			r1_why_prefix(why, "EE_MQTT_HOST/EE_MQTT_PORT");
			return e;
		}
	} else if (port && !s->broker.local) {
		if (!parse_port(port, strlen(port), &s->broker.port))
			return r1_fail(why, R1_ERR_INVAL, "EE_MQTT_PORT '%s' must be 1-65535",
			               port);
	}
	if (!s->broker.local) {
		if (tls >= 0 && !host)
			s->broker.tls = tls == 1;
		const char *user = env_first(env, ctx, user_v);
		const char *pass = env_first(env, ctx, pass_v);
		if (user && !str_set(&s->broker.user, user))
			return r1_fail(why, R1_ERR_NOMEM, "config: out of memory");
		if (pass && !str_set(&s->broker.pass, pass))
			return r1_fail(why, R1_ERR_NOMEM, "config: out of memory");
	}
	const char *cert = env_first(env, ctx, cert_v);
	if (cert && !str_set(&s->broker.cafile, cert))
		return r1_fail(why, R1_ERR_NOMEM, "config: out of memory");
	const char *root = env_first(env, ctx, root_v);
	if (root) {
		if (!root_ok(root))
			return r1_fail(why, R1_ERR_INVAL,
			               "EE_ROOT_TOPIC '%s' must be 1-128 characters without '/', "
			               "'+', '#' or spaces",
			               root);
		if (!str_set(&s->root, root))
			return r1_fail(why, R1_ERR_NOMEM, "config: out of memory");
	}
	const char *alias = env_first(env, ctx, alias_v);
	if (alias) {
		if (!name_ok(alias))
			return r1_fail(
			    why, R1_ERR_INVAL,
			    "EE_SDK_ALIAS '%s' must be 1-%d letters, digits, '-', '_' or '.'",
			    alias, CONFIG_NAME_MAX);
		if (!str_set(&s->alias, alias))
			return r1_fail(why, R1_ERR_NOMEM, "config: out of memory");
	}
	static const struct {
		const char *const *names;
		size_t off;
	} qos[] = {
	    {cqos_v, offsetof(struct r1_settings, command_qos)},
	    {hqos_v, offsetof(struct r1_settings, heartbeat_qos)},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(qos); i++) {
		const char *v = env_first(env, ctx, qos[i].names);
		if (!v)
			continue;
		if (strlen(v) != 1 || v[0] < '0' || v[0] > '2')
			return r1_fail(why, R1_ERR_INVAL, "%s '%s' must be 0, 1 or 2",
			               qos[i].names[0], v);
		*(int *)((char *)s + qos[i].off) = v[0] - '0';
	}
	return R1_OK;
}

static char *expand_home(const char *path, config_env_fn env, void *ctx)
{
	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0')) {
		const char *home = env ? env(ctx, "HOME") : getenv("HOME");
		if (home && *home) {
			struct buf b = BUF_INIT;
			buf_addf(&b, "%s%s", home, path + 1);
			return buf_detach(&b, NULL);
		}
	}
	return r1_strdup(path);
}

static unsigned seconds_to_ms(double s)
{
	return (unsigned)(s * 1000.0 + 0.5);
}

enum r1_err config_resolve(const struct config_file *cf, const struct config_flags *flags,
                           config_env_fn env, void *env_ctx, const struct r1_paths *paths,
                           struct r1_settings *out, char **why)
{
	memset(out, 0, sizeof(*out));
	static const struct config_flags no_flags;
	if (!flags)
		flags = &no_flags;
	enum r1_err e = R1_OK;
	const char *name = flags->profile
	                       ? flags->profile
	                       : (cf && cf->default_profile ? cf->default_profile : NULL);
	const struct config_profile *p = NULL;
	if (name) {
		p = cf ? config_file_profile(cf, name) : NULL;
		if (!p && strcmp(name, "local") != 0)
			return r1_fail(why, R1_ERR_INVAL, "no profile '%s' in %s", name,
			               cf && cf->origin ? cf->origin : "the configuration");
	} else {
		name = "local";
		p = cf ? config_file_profile(cf, name) : NULL;
	}

	out->broker.local = true;
	out->timeout_ms = R1_TRANSACTION_TIMEOUT_S * 1000u;
	out->online_timeout_ms = R1_ONLINE_TIMEOUT_S * 1000u;
	out->encrypt = true;
	out->command_qos = 2;
	out->heartbeat_qos = 1;
	if (!str_set(&out->profile, name) || !str_set(&out->root, R1_DEFAULT_ROOT_TOPIC) ||
	    !str_set(&out->alias, cf && cf->alias ? cf->alias : "r1console") ||
	    !str_set(&out->broker_from, "default")) {
		e = r1_fail(why, R1_ERR_NOMEM, "config: out of memory");
		goto fail;
	}

	if (p) {
		struct buf from = BUF_INIT;
		buf_addf(&from, "profile %s", p->name);
		if (p->broker && (e = set_broker_from(out, p->broker, buf_cstr(&from), why))) {
			buf_release(&from);
			goto fail;
		}
		buf_release(&from);
		if (p->root && !str_set(&out->root, p->root))
			goto nomem;
		if (p->cafile && !str_set(&out->broker.cafile, p->cafile))
			goto nomem;
		if (p->n_oracles) {
			out->oracles = r1_calloc(p->n_oracles, sizeof(char *));
			if (!out->oracles)
				goto nomem;
			for (size_t i = 0; i < p->n_oracles; i++) {
				if (!(out->oracles[i] = r1_strdup(p->oracles[i])))
					goto nomem;
				out->n_oracles++;
			}
		}
		if (p->identity && !(out->identity = expand_home(p->identity, env, env_ctx)))
			goto nomem;
		if (p->timeout_s > 0)
			out->timeout_ms = seconds_to_ms(p->timeout_s);
		if (p->online_timeout_s > 0)
			out->online_timeout_ms = seconds_to_ms(p->online_timeout_s);
		if (p->encrypt >= 0)
			out->encrypt = p->encrypt == 1;
	}

	if ((e = apply_env(out, env, env_ctx, why)))
		goto fail;

	if (flags->broker && (e = set_broker_from(out, flags->broker, "flag", why))) {
		r1_why_prefix(why, "--broker");
		goto fail;
	}
	if (flags->root) {
		if (!root_ok(flags->root)) {
			e = r1_fail(why, R1_ERR_INVAL,
			            "--root '%s' must be 1-128 characters without '/', '+', '#' or "
			            "spaces",
			            flags->root);
			goto fail;
		}
		if (!str_set(&out->root, flags->root))
			goto nomem;
	}
	if (flags->alias) {
		if (!name_ok(flags->alias)) {
			e = r1_fail(why, R1_ERR_INVAL,
			            "alias '%s' must be 1-%d letters, digits, '-', '_' or '.'",
			            flags->alias, CONFIG_NAME_MAX);
			goto fail;
		}
		if (!str_set(&out->alias, flags->alias))
			goto nomem;
	}
	if (flags->identity) {
		r1_free(out->identity);
		if (!(out->identity = expand_home(flags->identity, env, env_ctx)))
			goto nomem;
	}
	if (flags->timeout_s > 0)
		out->timeout_ms = seconds_to_ms(flags->timeout_s);
	if (flags->online_timeout_s > 0)
		out->online_timeout_ms = seconds_to_ms(flags->online_timeout_s);
	if (!out->identity) {
		if (!paths)
			return e = r1_fail(why, R1_ERR_INVAL, "config: no identity path"), e;
		if (!(out->identity = paths_user_identity(paths)))
			goto nomem;
	}
	return R1_OK;
nomem:
	e = r1_fail(why, R1_ERR_NOMEM, "config: out of memory");
fail:
	config_settings_release(out);
	return e;
}
