/*
 * Envelope and heartbeat time formats (see timefmt.h).  The parsers are a
 * transcription of what CPython's _strptime does for the two formats the
 * protocol uses: its per-directive regular expressions, matched in the same
 * order with the same backtracking, then the same range checks datetime()
 * makes.  Matching the reference's acceptance exactly matters here: an
 * oracle that refuses a timestamp the reference accepts (or the reverse)
 * counts a node's availability differently.  Calendar arithmetic is done
 * with integer day counts, not libc, so nothing depends on the process's
 * time zone except timefmt_local_offset.  This is not a general strptime.
 */
#include "core/lib.h"
#include "core/timefmt.h"

#include <math.h>
#include <sys/stat.h>

/* ------------------------------------------------------------ calendar */

int64_t timefmt_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void timefmt_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* ------------------------------------------------------------ formatting */

/* Each style: the date/time separators, and whether the fraction follows. */
static const struct style_desc {
	const char *date_sep, *mid_sep, *time_sep, *frac_sep;
	bool frac;
} styles[] = {
    [TIMEFMT_FULL] = {"-", " ", ":", ".", true},
    [TIMEFMT_SHORT] = {"-", " ", ":", "", false},
    [TIMEFMT_COMPACT] = {"", "", "", "", true},
    [TIMEFMT_COMPACT_SHORT] = {"", "", "", "", false},
};

enum r1_err timefmt_format(int64_t wall_us, enum timefmt_style style, char out[TIMEFMT_TEXT_SIZE],
                           char **why)
{
	out[0] = '\0';
	if ((unsigned)style >= R1_ARRAY_LEN(styles))
		return r1_fail(why, R1_ERR_INVAL, "timefmt: unknown style %d", (int)style);
	if (wall_us < TIMEFMT_MIN_US || wall_us > TIMEFMT_MAX_US)
		return r1_fail(why, R1_ERR_INVAL,
		               "timefmt: %" PRId64 " us is outside years 1..9999", wall_us);
	int64_t secs = floor_div(wall_us, TIMEFMT_US_PER_S);
	int64_t frac = wall_us - secs * TIMEFMT_US_PER_S;
	int64_t days = floor_div(secs, 86400);
	int64_t sod = secs - days * 86400;
	int64_t y;
	unsigned m, d;
	timefmt_civil_from_days(days, &y, &m, &d);
	const struct style_desc *s = &styles[style];
	int n = snprintf(out, TIMEFMT_TEXT_SIZE, "%04" PRId64 "%s%02u%s%02u%s%02d%s%02d%s%02d", y,
	                 s->date_sep, m, s->date_sep, d, s->mid_sep, (int)(sod / 3600), s->time_sep,
	                 (int)(sod / 60 % 60), s->time_sep, (int)(sod % 60));
	if (s->frac && n > 0 && n < TIMEFMT_TEXT_SIZE)
		snprintf(out + n, TIMEFMT_TEXT_SIZE - (size_t)n, "%s%06d", s->frac_sep, (int)frac);
	return R1_OK;
}

/* ------------------------------------------------------------ strptime */

/*
 * One token of a format: a literal byte, a run of whitespace (the format's
 * space becomes \s+ in _strptime), or a directive whose regex is a list of
 * alternatives tried in order.  An alternative is a string of atoms, two
 * characters each: the inclusive byte range the atom matches ("09" = \d,
 * "33" = '3', "  " = ' ').
 */
enum tok_kind { TOK_LIT, TOK_SPACE, TOK_FIELD, TOK_FRACTION };

enum field { F_YEAR, F_MONTH, F_DAY, F_HOUR, F_MINUTE, F_SECOND, F_FRACTION, F__COUNT };

struct token {
	enum tok_kind kind;
	char lit;
	enum field field;
	const char *const *alts;
};

/* CPython 3.11 _strptime.TimeRE, transcribed. */
static const char *const re_Y[] = {"09090909", NULL};
static const char *const re_m[] = {"1102", "0019", "19", NULL};
static const char *const re_d[] = {"3301", "1209", "0019", "19", "  19", NULL};
static const char *const re_H[] = {"2203", "0109", "09", NULL};
static const char *const re_M[] = {"0509", "09", NULL};
static const char *const re_S[] = {"6601", "0509", "09", NULL};

/* clang-format off */
#define LIT(c) {TOK_LIT, (c), 0, NULL}
#define FIELD(f, re) {TOK_FIELD, 0, (f), (re)}
#define SPACE {TOK_SPACE, 0, 0, NULL}
#define FRACTION {TOK_FRACTION, 0, F_FRACTION, NULL}
static const struct token fmt_short[] = {
	FIELD(F_YEAR, re_Y), LIT('-'), FIELD(F_MONTH, re_m), LIT('-'), FIELD(F_DAY, re_d),
	SPACE, FIELD(F_HOUR, re_H), LIT(':'), FIELD(F_MINUTE, re_M), LIT(':'), FIELD(F_SECOND, re_S),
};
static const struct token fmt_full[] = {
	FIELD(F_YEAR, re_Y), LIT('-'), FIELD(F_MONTH, re_m), LIT('-'), FIELD(F_DAY, re_d),
	SPACE, FIELD(F_HOUR, re_H), LIT(':'), FIELD(F_MINUTE, re_M), LIT(':'), FIELD(F_SECOND, re_S),
	LIT('.'), FRACTION,
};
#undef LIT
#undef FIELD
#undef SPACE
#undef FRACTION
/* clang-format on */

static const struct format_desc {
	const struct token *tokens;
	size_t count;
	const char *text;
} formats[] = {
    [TIMEFMT_FULL] = {fmt_full, R1_ARRAY_LEN(fmt_full), "%Y-%m-%d %H:%M:%S.%f"},
    [TIMEFMT_SHORT] = {fmt_short, R1_ARRAY_LEN(fmt_short), "%Y-%m-%d %H:%M:%S"},
};

/* Python's \s for str patterns, restricted to ASCII. */
static bool py_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

struct capture {
	size_t start[F__COUNT], len[F__COUNT];
};

/* Length of alternative `alt` matched at s[pos], or 0. */
static size_t match_alt(const char *alt, const char *s, size_t len, size_t pos)
{
	size_t n = strlen(alt) / 2;
	if (pos + n > len)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[pos + i];
		if (c < alt[2 * i] || c > alt[2 * i + 1])
			return 0;
	}
	return n;
}

/*
 * Backtracking match of tokens[ti..] at s[pos]; *end gets where the first
 * successful match stops (like re.match, it need not reach the end).
 */
static bool match_tokens(const struct token *t, size_t nt, size_t ti, const char *s, size_t len,
                         size_t pos, struct capture *cap, size_t *end)
{
	if (ti == nt) {
		*end = pos;
		return true;
	}
	const struct token *tok = &t[ti];
	switch (tok->kind) {
	case TOK_LIT:
		return pos < len && s[pos] == tok->lit &&
		       match_tokens(t, nt, ti + 1, s, len, pos + 1, cap, end);
	case TOK_SPACE: {
		size_t n = 0;
		while (pos + n < len && py_space((unsigned char)s[pos + n]))
			n++;
		for (; n >= 1; n--) /* greedy, then give back */
			if (match_tokens(t, nt, ti + 1, s, len, pos + n, cap, end))
				return true;
		return false;
	}
	case TOK_FIELD:
		for (const char *const *alt = tok->alts; *alt; alt++) {
			size_t n = match_alt(*alt, s, len, pos);
			if (n && match_tokens(t, nt, ti + 1, s, len, pos + n, cap, end)) {
				cap->start[tok->field] = pos;
				cap->len[tok->field] = n;
				return true;
			}
		}
		return false;
	case TOK_FRACTION: {
		size_t n = 0;
		while (n < 6 && pos + n < len && s[pos + n] >= '0' && s[pos + n] <= '9')
			n++;
		for (; n >= 1; n--)
			if (match_tokens(t, nt, ti + 1, s, len, pos + n, cap, end)) {
				cap->start[F_FRACTION] = pos;
				cap->len[F_FRACTION] = n;
				return true;
			}
		return false;
	}
	}
	return false;
}

static int64_t field_value(const char *s, const struct capture *cap, enum field f)
{
	int64_t v = 0;
	for (size_t i = 0; i < cap->len[f]; i++)
		if (s[cap->start[f] + i] != ' ')
			v = v * 10 + (s[cap->start[f] + i] - '0');
	return v;
}

/* Printable excerpt of hostile input for a reason. */
static void quote_input(const char *s, size_t len, char out[64])
{
	size_t o = 0;
	for (size_t i = 0; i < len && o < 56; i++) {
		unsigned char c = (unsigned char)s[i];
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (len > 56) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

enum r1_err timefmt_parse(const char *text, size_t len, enum timefmt_style style, int64_t *wall_us,
                          char **why)
{
	if ((unsigned)style >= R1_ARRAY_LEN(formats) || !formats[style].tokens)
		return r1_fail(why, R1_ERR_INVAL, "timefmt: style %d cannot be parsed", (int)style);
	const struct format_desc *f = &formats[style];
	char shown[64];
	quote_input(text, len, shown);
	struct capture cap;
	memset(&cap, 0, sizeof(cap));
	size_t end = 0;
	if (!match_tokens(f->tokens, f->count, 0, text, len, 0, &cap, &end))
		return r1_fail(why, R1_ERR_INVAL, "time data '%s' does not match format '%s'",
		               shown, f->text);
	if (end != len)
		return r1_fail(why, R1_ERR_INVAL, "time data '%s': unconverted data remains at %zu",
		               shown, end);
	int64_t y = field_value(text, &cap, F_YEAR);
	unsigned mo = (unsigned)field_value(text, &cap, F_MONTH);
	unsigned d = (unsigned)field_value(text, &cap, F_DAY);
	int64_t h = field_value(text, &cap, F_HOUR), mi = field_value(text, &cap, F_MINUTE);
	int64_t sec = field_value(text, &cap, F_SECOND);
	int64_t us = 0;
	if (cap.len[F_FRACTION]) {
		us = field_value(text, &cap, F_FRACTION);
		for (size_t i = cap.len[F_FRACTION]; i < 6; i++)
			us *= 10; /* "4" is 400000 us, as %f pads on the right */
	}
	if (y < 1)
		return r1_fail(why, R1_ERR_INVAL, "time data '%s': year 0 is out of range", shown);
	if (d > days_in_month(y, mo))
		return r1_fail(why, R1_ERR_INVAL, "time data '%s': day is out of range for month",
		               shown);
	if (sec > 59)
		return r1_fail(why, R1_ERR_INVAL, "time data '%s': second must be in 0..59", shown);
	int64_t days = timefmt_days_from_civil(y, mo, d);
	*wall_us = ((days * 86400 + h * 3600 + mi * 60 + sec) * TIMEFMT_US_PER_S) + us;
	return R1_OK;
}

/* ------------------------------------------------------------ offsets */

enum r1_err timefmt_local_offset(int64_t utc_us, int32_t *offset_s, char **why)
{
	time_t t = (time_t)floor_div(utc_us, TIMEFMT_US_PER_S);
	struct tm tm;
	if (!localtime_r(&t, &tm))
		return r1_fail(why, R1_ERR_INVAL, "timefmt: localtime_r failed for %" PRId64 " us",
		               utc_us);
	*offset_s = (int32_t)tm.tm_gmtoff;
	return R1_OK;
}

void timefmt_utc_offset(int32_t offset_s, char out[TIMEFMT_OFFSET_SIZE])
{
	/*
	 * The reference: "UTC{}{}".format("+" if h >= 0 else "-", int(h)) with
	 * h = offset/3600 as a float.  int() truncates toward zero; we print the
	 * magnitude after the sign instead of the reference's "--5".
	 */
	int32_t whole = offset_s / 3600; /* C division truncates toward zero too */
	snprintf(out, TIMEFMT_OFFSET_SIZE, "UTC%c%" PRId32, offset_s >= 0 ? '+' : '-',
	         whole < 0 ? -whole : whole);
}

enum r1_err timefmt_parse_utc_offset(const char *tz, int64_t *hours, char **why)
{
	if (!tz) {
		*hours = 0; /* hb.get(EE_TIMEZONE, "UTC+0") */
		return R1_OK;
	}
	char shown[64];
	quote_input(tz, strlen(tz), shown);
	/* tz.replace("UTC", ""): one pass, left to right. */
	char clean[64];
	size_t n = 0, tlen = strlen(tz);
	for (size_t i = 0; i < tlen;) {
		if (tz[i] == 'U' && tz[i + 1] == 'T' && tz[i + 2] == 'C') {
			i += 3;
			continue;
		}
		if (n + 1 >= sizeof(clean))
			return r1_fail(why, R1_ERR_INVAL, "EE_TIMEZONE: longer than %zu characters",
			               sizeof(clean) - 1);
		clean[n++] = tz[i++];
	}
	clean[n] = '\0';
	/* int(): surrounding whitespace, one sign, digits with single '_' between. */
	size_t a = 0, b = n;
	while (a < b && py_space((unsigned char)clean[a]))
		a++;
	while (b > a && py_space((unsigned char)clean[b - 1]))
		b--;
	bool neg = false;
	if (a < b && (clean[a] == '+' || clean[a] == '-'))
		neg = clean[a++] == '-';
	int64_t v = 0;
	size_t digits = 0;
	for (size_t i = a; i < b; i++) {
		char c = clean[i];
		if (c == '_' && digits && i + 1 < b && clean[i + 1] >= '0' && clean[i + 1] <= '9' &&
		    clean[i - 1] != '_')
			continue;
		if (c < '0' || c > '9')
			return r1_fail(why, R1_ERR_INVAL,
			               "EE_TIMEZONE '%s': not an integer after removing \"UTC\"",
			               shown);
		if (v > (INT64_MAX - 9) / 10)
			return r1_fail(why, R1_ERR_INVAL, "EE_TIMEZONE '%s': offset out of range",
			               shown);
		v = v * 10 + (c - '0');
		digits++;
	}
	if (!digits)
		return r1_fail(why, R1_ERR_INVAL,
		               "EE_TIMEZONE '%s': not an integer after removing \"UTC\"", shown);
	*hours = neg ? -v : v;
	return R1_OK;
}

enum r1_err timefmt_envelope_time(int64_t utc_us, struct ee_time *out, char **why)
{
	int32_t off = 0;
	enum r1_err e = timefmt_local_offset(utc_us, &off, why);
	if (e)
		return e;
	timefmt_utc_offset(off, out->timezone);
	return timefmt_format(utc_us + (int64_t)off * TIMEFMT_US_PER_S, TIMEFMT_FULL,
	                      out->timestamp, why);
}

enum r1_err timefmt_heartbeat_utc(const char *timestamp, size_t len, const char *tz,
                                  int64_t *utc_us, char **why)
{
	int64_t wall = 0, hours = 0;
	enum r1_err e = timefmt_parse(timestamp, len, TIMEFMT_FULL, &wall, why);
	if (e)
		return e;
	e = timefmt_parse_utc_offset(tz, &hours, why);
	if (e)
		return e;
	/* timedelta(hours=h) then the subtraction: both must stay in range. */
	int64_t max_hours = (TIMEFMT_MAX_US - TIMEFMT_MIN_US) / (3600 * TIMEFMT_US_PER_S) + 1;
	if (hours > max_hours || hours < -max_hours)
		return r1_fail(why, R1_ERR_INVAL, "EE_TIMEZONE: %" PRId64 " hours is out of range",
		               hours);
	int64_t utc = wall - hours * 3600 * TIMEFMT_US_PER_S;
	if (utc < TIMEFMT_MIN_US || utc > TIMEFMT_MAX_US)
		return r1_fail(why, R1_ERR_INVAL,
		               "EE_TIMESTAMP minus EE_TIMEZONE: date value out of range");
	*utc_us = utc;
	return R1_OK;
}

/* ------------------------------------------------------------ zone name */

static bool zone_name_plausible(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= TIMEFMT_ZONE_SIZE || name[0] == '/' || name[n - 1] == '/')
		return false;
	const char *comp = name;
	for (size_t i = 0; i <= n; i++) {
		char c = name[i];
		if (c == '/' || c == '\0') {
			size_t clen = (size_t)(name + i - comp);
			if (clen == 0 || (clen == 1 && comp[0] == '.') ||
			    (clen == 2 && comp[0] == '.' && comp[1] == '.'))
				return false;
			comp = name + i + 1;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '+' || c == '.'))
			return false;
	}
	return true;
}

static void join_path(char *out, size_t cap, const char *root, const char *rel)
{
	size_t rl = strlen(root);
	bool slash = rl > 0 && root[rl - 1] == '/';
	snprintf(out, cap, "%s%s%s", root, slash ? "" : "/", rel);
}

/* zoneinfo.ZoneInfo(name) would succeed: the name is a zone file we have. */
static bool zone_known(const char *root, const char *name)
{
	if (!zone_name_plausible(name))
		return false;
	char dir[PATH_MAX], path[PATH_MAX + TIMEFMT_ZONE_SIZE];
	join_path(dir, sizeof(dir), root, "usr/share/zoneinfo");
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return true; /* no database to ask: trust a plausible name */
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool set_zone(char out[TIMEFMT_ZONE_SIZE], const char *name, size_t n)
{
	if (n == 0 || n >= TIMEFMT_ZONE_SIZE)
		return false;
	memcpy(out, name, n);
	out[n] = '\0';
	return true;
}

/* The candidates of a path's components, shortest prefix removed first. */
static bool zone_from_path(const char *root, const char *real, char out[TIMEFMT_ZONE_SIZE])
{
	for (const char *p = strchr(real, '/'); p; p = strchr(p, '/')) {
		p++;
		if (zone_known(root, p) && set_zone(out, p, strlen(p)))
			return true;
	}
	return false;
}

static bool zone_from_env(const char *tz_env, const char *root, char out[TIMEFMT_ZONE_SIZE])
{
	if (!tz_env || !*tz_env)
		return false;
	if (tz_env[0] == ':')
		tz_env++;
	if (tz_env[0] != '/')
		return zone_known(root, tz_env) && set_zone(out, tz_env, strlen(tz_env));
	char real[PATH_MAX];
	if (!realpath(tz_env, real))
		return false;
	/* "/".join(parts[-2:]), then parts[-1]. */
	const char *last = strrchr(real, '/');
	const char *prev = last;
	while (prev > real && prev[-1] != '/')
		prev--;
	if (prev > real && zone_known(root, prev) && set_zone(out, prev, strlen(prev)))
		return true;
	return last && zone_known(root, last + 1) && set_zone(out, last + 1, strlen(last + 1));
}

static bool zone_from_file(const char *root, const char *rel, char out[TIMEFMT_ZONE_SIZE])
{
	char path[PATH_MAX];
	join_path(path, sizeof(path), root, rel);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char data[1024];
	size_t n = fread(data, 1, sizeof(data) - 1, f);
	fclose(f);
	data[n] = '\0';
	/* data.strip("/ \t\r\n"), then the last line that names something. */
	bool found = false;
	char *line = data;
	while (line) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		while (*line == '/' || *line == ' ' || *line == '\t' || *line == '\r')
			line++;
		size_t len = strcspn(line, " #");
		while (len > 0 &&
		       (line[len - 1] == '/' || line[len - 1] == '\t' || line[len - 1] == '\r'))
			len--;
		if (len > 0 && set_zone(out, line, len))
			found = true;
		line = nl ? nl + 1 : NULL;
	}
	return found;
}

static bool zone_from_symlink(const char *root, char out[TIMEFMT_ZONE_SIZE])
{
	char path[PATH_MAX], real[PATH_MAX];
	join_path(path, sizeof(path), root, "etc/localtime");
	struct stat st;
	if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode) || !realpath(path, real))
		return false;
	return zone_from_path(root, real, out);
}

void timefmt_zone_name(const char *tz_env, const char *root, char out[TIMEFMT_ZONE_SIZE])
{
	if (!root)
		root = "/";
	if (zone_from_env(tz_env, root, out) || zone_from_file(root, "etc/timezone", out) ||
	    zone_from_file(root, "var/db/zoneinfo", out) || zone_from_symlink(root, out))
		return;
	set_zone(out, "Etc/UTC", 7);
}

/* ------------------------------------------------------------ uptime */

/* CPython's float divmod (floor semantics, same rounding steps). */
static void py_divmod(double vx, double wx, double *floordiv, double *mod)
{
	double m = fmod(vx, wx);
	double div = (vx - m) / wx;
	if (m != 0.0) {
		if ((wx < 0) != (m < 0)) {
			m += wx;
			div -= 1.0;
		}
	} else {
		m = copysign(0.0, wx);
	}
	double fd;
	if (div != 0.0) {
		fd = floor(div);
		if (div - fd > 0.5)
			fd += 1.0;
	} else {
		fd = copysign(0.0, vx / wx);
	}
	*floordiv = fd;
	*mod = m;
}

enum r1_err timefmt_elapsed(double seconds, bool show_days, struct buf *out, char **why)
{
	if (!isfinite(seconds) || fabs(seconds) > 1e15)
		return r1_fail(why, R1_ERR_INVAL, "uptime: %g seconds cannot be shown", seconds);
	bool neg = seconds < 0;
	double e = fabs(seconds);
	if (neg)
		buf_addc(out, '-');
	if (show_days) {
		/* str(timedelta(seconds=int(e))) */
		int64_t s = (int64_t)e;
		int64_t days = s / 86400, rem = s % 86400;
		if (days)
			buf_addf(out, "%" PRId64 " day%s, ", days, days == 1 ? "" : "s");
		buf_addf(out, "%d:%02d:%02d", (int)(rem / 3600), (int)(rem / 60 % 60),
		         (int)(rem % 60));
	} else {
		double hours, rem, minutes, secs;
		py_divmod(e, 3600.0, &hours, &rem);
		py_divmod(rem, 60.0, &minutes, &secs);
		buf_addf(out, "%02" PRId64 ":%02d:%02d", (int64_t)hours, (int)minutes, (int)secs);
	}
	if (!buf_ok(out))
		return r1_fail(why, R1_ERR_NOMEM, "uptime: out of memory");
	return R1_OK;
}
