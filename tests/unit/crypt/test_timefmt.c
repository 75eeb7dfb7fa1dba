/*
 * Envelope time formats: formatting of every style, strptime-exact parsing
 * (expected values and refusals taken from CPython 3.11's
 * datetime.strptime on the same inputs), EE_TIMEZONE both ways (including
 * the reference's int() parsing), local time under several $TZ values,
 * EE_TZ discovery in a fake root, and the NET_MON_01 uptime text.
 */
#include "core/lib.h"
#include "core/timefmt.h"
#include "tests/tap.h"

#include <math.h>
#include <sys/stat.h>

#define US INT64_C(1000000)

static void test_degenerate(void)
{
	char *why = NULL;
	int64_t v = -1;
	is_int(timefmt_parse("", 0, TIMEFMT_FULL, &v, &why), R1_ERR_INVAL, "empty text refused");
	ok(why && strstr(why, "does not match format"), "reason: %s", why ? why : "(none)");
	is_int(v, -1, "output untouched on failure");
	is_int(timefmt_parse("2025-01-01 00:00:00", 19, TIMEFMT_COMPACT, &v, &why), R1_ERR_INVAL,
	       "compact style is not parsed");
	int64_t h = 99;
	is_int(timefmt_parse_utc_offset(NULL, &h, &why), R1_OK, "absent EE_TIMEZONE accepted");
	is_int(h, 0, "absent EE_TIMEZONE is UTC+0");
	char out[TIMEFMT_TEXT_SIZE] = "x";
	is_int(timefmt_format(TIMEFMT_MAX_US + 1, TIMEFMT_FULL, out, &why), R1_ERR_INVAL,
	       "year 10000 cannot be formatted");
	is_str(out, "", "output empty on failure");
	is_int(timefmt_format(TIMEFMT_MIN_US - 1, TIMEFMT_FULL, out, &why), R1_ERR_INVAL,
	       "year 0 cannot be formatted");
	r1_free(why);
}

static void test_format(void)
{
	static const struct {
		int64_t us;
		enum timefmt_style style;
		const char *want;
	} cases[] = {
	    {0, TIMEFMT_FULL, "1970-01-01 00:00:00.000000"},
	    {1, TIMEFMT_FULL, "1970-01-01 00:00:00.000001"},
	    {-1, TIMEFMT_FULL, "1969-12-31 23:59:59.999999"},
	    {INT64_C(1748016000) * US, TIMEFMT_FULL, "2025-05-23 16:00:00.000000"},
	    {INT64_C(1754465732208696), TIMEFMT_FULL, "2025-08-06 07:35:32.208696"},
	    {INT64_C(1754465732208696), TIMEFMT_SHORT, "2025-08-06 07:35:32"},
	    {INT64_C(1754465732208696), TIMEFMT_COMPACT, "20250806073532208696"},
	    {INT64_C(1754465732208696), TIMEFMT_COMPACT_SHORT, "20250806073532"},
	    {INT64_C(1709164800000000), TIMEFMT_FULL, "2024-02-29 00:00:00.000000"},
	    {TIMEFMT_MAX_US, TIMEFMT_FULL, "9999-12-31 23:59:59.999999"},
	    {TIMEFMT_MIN_US, TIMEFMT_FULL, "0001-01-01 00:00:00.000000"},
	    {INT64_C(951782400) * US, TIMEFMT_SHORT, "2000-02-29 00:00:00"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(cases); i++) {
		char out[TIMEFMT_TEXT_SIZE];
		char *why = NULL;
		is_int(timefmt_format(cases[i].us, cases[i].style, out, &why), R1_OK,
		       "format %" PRId64 " style %d", cases[i].us, (int)cases[i].style);
		is_str(out, cases[i].want, "format %" PRId64 " style %d text", cases[i].us,
		       (int)cases[i].style);
		r1_free(why);
	}
}

static void test_parse(void)
{
	/* want_ok: value; otherwise the reason must contain `reason`. */
	static const struct {
		const char *text;
		enum timefmt_style style;
		bool want_ok;
		int64_t want;
		const char *reason;
	} cases[] = {
	    {"2025-08-06 07:35:32.208696", TIMEFMT_FULL, true, INT64_C(1754465732208696), NULL},
	    {"2025-1-2 3:4:5.6", TIMEFMT_FULL, true, INT64_C(1735787045600000), NULL},
	    {"2025-01- 5 10:00:00.0", TIMEFMT_FULL, true, INT64_C(1736071200000000), NULL},
	    {"2025-01-05  \t10:00:00.5", TIMEFMT_FULL, true, INT64_C(1736071200500000), NULL},
	    {"2025-01-05 10:00:00.1234567", TIMEFMT_FULL, false, 0, "unconverted data remains"},
	    {"2025-01-05 10:00:00", TIMEFMT_FULL, false, 0, "does not match format"},
	    {"2025-01-05 10:00:00.5", TIMEFMT_SHORT, false, 0, "unconverted data remains"},
	    {"2025-13-01 00:00:00.0", TIMEFMT_FULL, false, 0, "does not match format"},
	    {"2025-00-01 00:00:00.0", TIMEFMT_FULL, false, 0, "does not match format"},
	    {"2025-01-32 00:00:00.0", TIMEFMT_FULL, false, 0, "does not match format"},
	    {"2025-02-29 00:00:00.0", TIMEFMT_FULL, false, 0, "day is out of range for month"},
	    {"2024-02-29 00:00:00.0", TIMEFMT_FULL, true, INT64_C(1709164800000000), NULL},
	    {"2025-04-31 00:00:00.0", TIMEFMT_FULL, false, 0, "day is out of range for month"},
	    {"2025-01-01 24:00:00.0", TIMEFMT_FULL, false, 0, "does not match format"},
	    {"2025-01-01 23:60:00.0", TIMEFMT_FULL, false, 0, "does not match format"},
	    {"2025-01-01 23:59:60.0", TIMEFMT_FULL, false, 0, "second must be in 0..59"},
	    {"2025-01-01 23:59:61.0", TIMEFMT_FULL, false, 0, "second must be in 0..59"},
	    {"2025-01-01 23:59:62.0", TIMEFMT_FULL, false, 0, "does not match format"},
	    {"0000-01-01 00:00:00.0", TIMEFMT_FULL, false, 0, "year 0 is out of range"},
	    {"20250-01-01 00:00:00.0", TIMEFMT_FULL, false, 0, "does not match format"},
	    {"2025-01-01 00:00:00.0 ", TIMEFMT_FULL, false, 0, "unconverted data remains"},
	    {" 2025-01-01 00:00:00.0", TIMEFMT_FULL, false, 0, "does not match format"},
	    {"2025-01-01T00:00:00.0", TIMEFMT_FULL, false, 0, "does not match format"},
	    {"2025-01-01 00:00:00.", TIMEFMT_FULL, false, 0, "does not match format"},
	    {"2025-01-01 00:00:00.000001", TIMEFMT_FULL, true, INT64_C(1735689600000001), NULL},
	    {"2025-01-01 0:0:0.000001", TIMEFMT_FULL, true, INT64_C(1735689600000001), NULL},
	    {"9999-12-31 23:59:59.999999", TIMEFMT_FULL, true, TIMEFMT_MAX_US, NULL},
	    {"0001-01-01 00:00:00.000000", TIMEFMT_FULL, true, TIMEFMT_MIN_US, NULL},
	    {"2025-01-01 00:00:00", TIMEFMT_SHORT, true, INT64_C(1735689600000000), NULL},
	    {"2025-1-1 1:1:1", TIMEFMT_SHORT, true, INT64_C(1735693261000000), NULL},
	    {"2025-01-01\n00:00:00", TIMEFMT_SHORT, true, INT64_C(1735689600000000), NULL},
	    {"2025-01-01 00:00:0", TIMEFMT_SHORT, true, INT64_C(1735689600000000), NULL},
	    {"2025-01-01 00:00:000", TIMEFMT_SHORT, false, 0, "unconverted data remains"},
	    {"2025-01-010 00:00:00", TIMEFMT_SHORT, false, 0, "does not match format"},
	    {"2025-05-23 16:00:00", TIMEFMT_SHORT, true, INT64_C(1748016000) * US, NULL},
	    {"\xd9\xa2"
	     "025-01-01 00:00:00",
	     TIMEFMT_SHORT, false, 0, "does not match format"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(cases); i++) {
		int64_t v = 0;
		char *why = NULL;
		const char *t = cases[i].text;
		enum r1_err e = timefmt_parse(t, strlen(t), cases[i].style, &v, &why);
		if (cases[i].want_ok) {
			is_int(e, R1_OK, "parse case %zu accepted (%s)", i, why ? why : "");
			is_int(v, cases[i].want, "parse case %zu value", i);
		} else {
			is_int(e, R1_ERR_INVAL, "parse case %zu refused", i);
			ok(why && strstr(why, cases[i].reason), "parse case %zu reason: %s", i,
			   why ? why : "(none)");
		}
		r1_free(why);
	}
	/* The length is honoured: no NUL needed, bytes past len ignored. */
	int64_t v = 0;
	const char *longer = "2025-01-01 00:00:00.5XYZ";
	is_int(timefmt_parse(longer, 21, TIMEFMT_FULL, &v, NULL), R1_OK, "parse within len");
	is_int(v, INT64_C(1735689600500000), "value within len");
}

static void test_round_trip(void)
{
	/* A deterministic walk over the whole range, both text styles. */
	uint64_t x = 0x9e3779b97f4a7c15u;
	int bad = 0;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int64_t span = TIMEFMT_MAX_US - TIMEFMT_MIN_US;
		int64_t us = TIMEFMT_MIN_US + (int64_t)(x % (uint64_t)span);
		char out[TIMEFMT_TEXT_SIZE];
		int64_t back = 0;
		if (timefmt_format(us, TIMEFMT_FULL, out, NULL) ||
		    timefmt_parse(out, strlen(out), TIMEFMT_FULL, &back, NULL) || back != us) {
			if (bad++ < 3)
				tap_diag("round trip of %" PRId64 " gave %s -> %" PRId64, us, out,
				         back);
		}
		int64_t sec = us - (us % US + US) % US;
		if (timefmt_format(us, TIMEFMT_SHORT, out, NULL) ||
		    timefmt_parse(out, strlen(out), TIMEFMT_SHORT, &back, NULL) || back != sec)
			bad++;
	}
	is_int(bad, 0, "20000 format/parse round trips over years 1..9999");

	/* Civil-day helpers against known days. */
	is_int(timefmt_days_from_civil(1970, 1, 1), 0, "1970-01-01 is day 0");
	is_int(timefmt_days_from_civil(2000, 3, 1), 11017, "2000-03-01 is day 11017");
	is_int(timefmt_days_from_civil(1, 1, 1), -719162, "0001-01-01 is day -719162");
	int64_t y;
	unsigned m, d;
	timefmt_civil_from_days(-1, &y, &m, &d);
	ok(y == 1969 && m == 12 && d == 31, "day -1 is 1969-12-31");
	timefmt_civil_from_days(19782, &y, &m, &d);
	ok(y == 2024 && m == 2 && d == 29, "day 19782 is 2024-02-29");
}

static void test_utc_offset_text(void)
{
	static const struct {
		int32_t off;
		const char *want;
	} cases[] = {
	    {0, "UTC+0"},       {7200, "UTC+2"},  {-18000, "UTC-5"}, {19800, "UTC+5"},
	    {-12600, "UTC-3"},  {-1800, "UTC-0"}, {20700, "UTC+5"},  {50400, "UTC+14"},
	    {-43200, "UTC-12"}, {3599, "UTC+0"},  {-3600, "UTC-1"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(cases); i++) {
		char out[TIMEFMT_OFFSET_SIZE];
		timefmt_utc_offset(cases[i].off, out);
		is_str(out, cases[i].want, "EE_TIMEZONE of %" PRId32 " s", cases[i].off);
	}
}

static void test_utc_offset_parse(void)
{
	/* int(tz.replace("UTC", "")) as CPython computes it. */
	static const struct {
		const char *tz;
		bool ok;
		int64_t hours;
	} cases[] = {
	    {"UTC+0", true, 0},        {"UTC+3", true, 3},
	    {"UTC-3", true, -3},       {"UTC3", true, 3},
	    {"+3", true, 3},           {" UTC+3 ", true, 3},
	    {"UTC+1_0", true, 10},     {"UTC--5", false, 0},
	    {"UTC+5.5", false, 0},     {"", false, 0},
	    {"UTC", false, 0},         {"UTC+", false, 0},
	    {"UTC+_1", false, 0},      {"UTC+1_", false, 0},
	    {"UTC+1__0", false, 0},    {"UUTCTC+1", false, 0},
	    {"UTCUTC+2", true, 2},     {"UTC+ 3", false, 0},
	    {"UTC+007", true, 7},      {"UTC-0", true, 0},
	    {"\tUTC-12\n", true, -12}, {"UTC+99999999999999999999", false, 0},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(cases); i++) {
		int64_t h = 12345;
		char *why = NULL;
		enum r1_err e = timefmt_parse_utc_offset(cases[i].tz, &h, &why);
		if (cases[i].ok) {
			is_int(e, R1_OK, "offset case %zu accepted", i);
			is_int(h, cases[i].hours, "offset case %zu hours", i);
		} else {
			is_int(e, R1_ERR_INVAL, "offset case %zu refused", i);
			ok(why && strstr(why, "EE_TIMEZONE"), "offset case %zu reason given", i);
		}
		r1_free(why);
	}
}

static void with_tz(const char *tz)
{
	if (tz)
		setenv("TZ", tz, 1);
	else
		unsetenv("TZ");
	tzset();
}

static void test_envelope_time(void)
{
	int64_t t = INT64_C(1796035200) * US + 123456; /* 2026-11-30 10:40:00.123456 UTC */
	static const struct {
		const char *tz;
		const char *ts, *zone;
	} cases[] = {
	    {"UTC0", "2026-11-30 10:40:00.123456", "UTC+0"},
	    {"XST-5:30", "2026-11-30 16:10:00.123456", "UTC+5"},
	    {"EST5EDT,M3.2.0,M11.1.0", "2026-11-30 05:40:00.123456", "UTC-5"},
	    {"NST3:30", "2026-11-30 07:10:00.123456", "UTC-3"},
	    {"EET-2EEST,M3.5.0/3,M10.5.0/4", "2026-11-30 12:40:00.123456", "UTC+2"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(cases); i++) {
		with_tz(cases[i].tz);
		struct ee_time et;
		char *why = NULL;
		is_int(timefmt_envelope_time(t, &et, &why), R1_OK, "envelope time under TZ=%s",
		       cases[i].tz);
		is_str(et.timestamp, cases[i].ts, "EE_TIMESTAMP under TZ=%s", cases[i].tz);
		is_str(et.timezone, cases[i].zone, "EE_TIMEZONE under TZ=%s", cases[i].tz);
		/* What an oracle makes of it: back to UTC, whole hours only. */
		int64_t utc = 0;
		is_int(timefmt_heartbeat_utc(et.timestamp, strlen(et.timestamp), et.timezone, &utc,
		                             &why),
		       R1_OK, "oracle reads it back under TZ=%s", cases[i].tz);
		int32_t off = 0;
		timefmt_local_offset(t, &off, NULL);
		is_int(utc, t + (int64_t)(off % 3600) * US,
		       "UTC seen by the oracle is off by the fractional hour (TZ=%s)", cases[i].tz);
		r1_free(why);
	}
	/* Summer time in the same zone: the offset follows the instant. */
	with_tz("EST5EDT,M3.2.0,M11.1.0");
	struct ee_time et;
	is_int(timefmt_envelope_time(INT64_C(1784112000) * US, &et, NULL), R1_OK, "July instant");
	is_str(et.timezone, "UTC-4", "EE_TIMEZONE in July is UTC-4");
	is_str(et.timestamp, "2026-07-15 06:40:00.000000", "EE_TIMESTAMP in July");
	with_tz(NULL);
}

static void test_heartbeat_utc(void)
{
	static const struct {
		const char *ts, *tz;
		bool ok;
		int64_t want;
	} cases[] = {
	    {"2025-08-06 07:35:32.208696", "UTC+0", true, INT64_C(1754465732208696)},
	    {"2025-08-06 07:35:32.208696", NULL, true, INT64_C(1754465732208696)},
	    {"2025-08-06 07:35:32.208696", "UTC+3", true, INT64_C(1754454932208696)},
	    {"2025-08-06 07:35:32.208696", "UTC-5", true, INT64_C(1754483732208696)},
	    {"2025-08-06 07:35:32.208696", "UTC--5", false, 0},
	    {"2025-08-06 07:35:32", "UTC+0", false, 0},
	    {"0001-01-01 00:30:00.0", "UTC+1", false, 0},
	    {"0001-01-01 01:30:00.0", "UTC+1", true, TIMEFMT_MIN_US + INT64_C(1800) * US},
	    {"9999-12-31 23:30:00.0", "UTC-1", false, 0},
	    {"2025-01-01 00:00:00.0", "UTC+999999999999", false, 0},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(cases); i++) {
		int64_t v = 0;
		char *why = NULL;
		enum r1_err e =
		    timefmt_heartbeat_utc(cases[i].ts, strlen(cases[i].ts), cases[i].tz, &v, &why);
		if (cases[i].ok) {
			is_int(e, R1_OK, "heartbeat time case %zu accepted (%s)", i,
			       why ? why : "");
			is_int(v, cases[i].want, "heartbeat time case %zu value", i);
		} else {
			is_int(e, R1_ERR_INVAL, "heartbeat time case %zu refused", i);
			ok(why != NULL, "heartbeat time case %zu reason: %s", i,
			   why ? why : "(none)");
		}
		r1_free(why);
	}
}

static void write_file(const char *dir, const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	if (!f)
		tap_bail("cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

static void make_root(const char *root, bool with_zoneinfo)
{
	mkdir(root, 0755);
	if (with_zoneinfo) {
		write_file(root, "usr/share/zoneinfo/Etc/UTC", "TZif");
		write_file(root, "usr/share/zoneinfo/Europe/Berlin", "TZif");
		write_file(root, "usr/share/zoneinfo/Europe/Paris", "TZif");
		write_file(root, "usr/share/zoneinfo/Asia/Tokyo", "TZif");
		write_file(root, "usr/share/zoneinfo/UTC", "TZif");
	}
	write_file(root, "etc/.keep", "");
}

static void test_zone_name(void)
{
	char root[400], path[512], path2[512], out[TIMEFMT_ZONE_SIZE];
	snprintf(root, sizeof(root), "%s/root1", tap_tmpdir());
	make_root(root, true);

	timefmt_zone_name(NULL, root, out);
	is_str(out, "Etc/UTC", "nothing configured: Etc/UTC");

	snprintf(path, sizeof(path), "%s/etc/localtime", root);
	snprintf(path2, sizeof(path2), "%s/usr/share/zoneinfo/Europe/Berlin", root);
	ok(symlink(path2, path) == 0, "fake /etc/localtime symlink");
	timefmt_zone_name(NULL, root, out);
	is_str(out, "Europe/Berlin", "zone from the /etc/localtime symlink");

	write_file(root, "etc/timezone", "# set by the installer\nEurope/Paris # local\n\n");
	timefmt_zone_name(NULL, root, out);
	is_str(out, "Europe/Paris", "/etc/timezone wins over the symlink, comments dropped");

	timefmt_zone_name("Asia/Tokyo", root, out);
	is_str(out, "Asia/Tokyo", "$TZ wins");
	timefmt_zone_name(":Asia/Tokyo", root, out);
	is_str(out, "Asia/Tokyo", "$TZ with a leading colon");
	timefmt_zone_name("Nowhere/City", root, out);
	is_str(out, "Europe/Paris", "$TZ naming no zone is ignored");
	timefmt_zone_name("EST5EDT,M3.2.0,M11.1.0", root, out);
	is_str(out, "Europe/Paris", "a POSIX $TZ rule is not a name");
	snprintf(path, sizeof(path), "%s/usr/share/zoneinfo/Asia/Tokyo", root);
	timefmt_zone_name(path, root, out);
	is_str(out, "Asia/Tokyo", "$TZ as a path to a zone file");
	snprintf(path, sizeof(path), "%s/usr/share/zoneinfo/UTC", root);
	timefmt_zone_name(path, root, out);
	is_str(out, "UTC", "$TZ as a path to a top-level zone file");
	timefmt_zone_name("", root, out);
	is_str(out, "Europe/Paris", "empty $TZ is unset");

	/* No zone database: plausible names are trusted, paths are not. */
	snprintf(root, sizeof(root), "%s/root2", tap_tmpdir());
	make_root(root, false);
	timefmt_zone_name("America/New_York", root, out);
	is_str(out, "America/New_York", "no zoneinfo: plausible $TZ accepted");
	timefmt_zone_name("../../etc/passwd", root, out);
	is_str(out, "Etc/UTC", "no zoneinfo: a path-like $TZ refused");
	write_file(root, "etc/timezone", "  Asia/Kolkata  \n");
	timefmt_zone_name(NULL, root, out);
	is_str(out, "Asia/Kolkata", "/etc/timezone with surrounding spaces");

	/* The real system gives some plausible name. */
	timefmt_zone_name(getenv("TZ"), "/", out);
	ok(out[0] != '\0' && out[0] != '/' && !strstr(out, ".."), "system zone name: %s", out);
}

static void test_elapsed(void)
{
	static const struct {
		double s;
		const char *plain, *days;
	} cases[] = {
	    {0, "00:00:00", "0:00:00"},
	    {59.9, "00:00:59", "0:00:59"},
	    {3600, "01:00:00", "1:00:00"},
	    {3661.5, "01:01:01", "1:01:01"},
	    {86399, "23:59:59", "23:59:59"},
	    {90061, "25:01:01", "1 day, 1:01:01"},
	    {360000, "100:00:00", "4 days, 4:00:00"},
	    {-5, "-00:00:05", "-0:00:05"},
	    {3599.9999999999995, "00:59:59", "0:59:59"},
	    {7199.999999999999, "01:59:59", "1:59:59"},
	    {1e12 + 0.5, "277777777:46:40", "11574074 days, 1:46:40"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(cases); i++) {
		struct buf b = BUF_INIT;
		is_int(timefmt_elapsed(cases[i].s, false, &b, NULL), R1_OK, "uptime %.17g",
		       cases[i].s);
		is_str(buf_cstr(&b), cases[i].plain, "uptime %.17g text", cases[i].s);
		buf_reset(&b);
		is_int(timefmt_elapsed(cases[i].s, true, &b, NULL), R1_OK, "uptime %.17g (days)",
		       cases[i].s);
		is_str(buf_cstr(&b), cases[i].days, "uptime %.17g text with days", cases[i].s);
		buf_release(&b);
	}
	struct buf b = BUF_INIT;
	char *why = NULL;
	is_int(timefmt_elapsed(NAN, false, &b, &why), R1_ERR_INVAL, "NaN uptime refused");
	is_int(timefmt_elapsed(INFINITY, true, &b, &why), R1_ERR_INVAL, "infinite uptime refused");
	is_int(timefmt_elapsed(1e16, false, &b, &why), R1_ERR_INVAL, "absurd uptime refused");
	is_int((long long)b.len, 0, "nothing appended on refusal");
	buf_release(&b);
	r1_free(why);
}

int main(void)
{
	test_degenerate();
	test_format();
	test_parse();
	test_round_trip();
	test_utc_offset_text();
	test_utc_offset_parse();
	test_envelope_time();
	test_heartbeat_utc();
	test_zone_name();
	test_elapsed();
	return tap_done();
}
