/*
 * Figure formatting for cells (see fmt.h).  Fixed rules with no locale
 * beyond the clock's time zone, so layout tests can assert exact text.
 */
#include "tui/lib.h"
#include "tui/fmt.h"

#include <math.h>
#include <time.h>

static const char *dash(char *out, size_t size)
{
	snprintf(out, size, "-");
	return out;
}

/* v with 3 significant figures at most: "1.82", "12.3", "512". */
static void sig3(char *out, size_t size, double v)
{
	snprintf(out, size, v >= 100 || v == floor(v) ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
}

/* gb in T (from 1000 G), G or M, and the unit letter. */
static char gb_scaled(double gb, double *v)
{
	if (gb >= 1000) {
		*v = gb / 1024;
		return 'T';
	}
	if (gb >= 1) {
		*v = gb;
		return 'G';
	}
	*v = floor(gb * 1024 + 0.5);
	return 'M';
}

const char *fmt_gb(char *out, size_t size, double gb)
{
	if (isnan(gb) || gb < 0)
		return dash(out, size);
	double v;
	char unit = gb_scaled(gb, &v);
	char num[24];
	sig3(num, sizeof(num), v);
	snprintf(out, size, "%s%c", num, unit);
	return out;
}

const char *fmt_used_of(char *out, size_t size, double used_gb, double total_gb)
{
	if (isnan(total_gb) || total_gb <= 0 || isnan(used_gb))
		return dash(out, size);
	/* both in the total's unit, so "0.50/64G" and not "512M/64G" */
	double tv;
	char unit = gb_scaled(total_gb, &tv);
	double uv = unit == 'T' ? used_gb / 1024 : unit == 'G' ? used_gb : used_gb * 1024;
	char u[24], t[24];
	sig3(u, sizeof(u), R1_MAX(uv, 0.0));
	sig3(t, sizeof(t), tv);
	snprintf(out, size, "%s/%s%c", u, t, unit);
	return out;
}

const char *fmt_ago(char *out, size_t size, int64_t ms)
{
	if (ms < 0)
		return dash(out, size);
	int64_t s = ms / 1000;
	if (s < 1)
		snprintf(out, size, "%s", _("now"));
	else if (s < 60)
		snprintf(out, size, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(out, size, "%" PRId64 "m", s / 60);
	else if (s < 86400)
		snprintf(out, size, "%" PRId64 "h", s / 3600);
	else
		snprintf(out, size, "%" PRId64 "d", s / 86400);
	return out;
}

const char *fmt_duration(char *out, size_t size, double seconds)
{
	if (isnan(seconds) || seconds < 0)
		return dash(out, size);
	int64_t s = (int64_t)seconds;
	if (s < 60)
		snprintf(out, size, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(out, size, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, size, "%" PRId64 "h%02" PRId64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(out, size, "%" PRId64 "d%02" PRId64 "h", s / 86400, s % 86400 / 3600);
	return out;
}

const char *fmt_percent(char *out, size_t size, double pct)
{
	if (isnan(pct) || pct < 0)
		return dash(out, size);
	snprintf(out, size, "%.0f%%", pct);
	return out;
}

const char *fmt_avail(char *out, size_t size, int avail)
{
	if (avail < 0)
		return dash(out, size);
	return fmt_percent(out, size, R1_MIN(avail, 255) * 100.0 / 255.0);
}

static bool local_tm(int64_t wall_ms, struct tm *tm)
{
	time_t t = (time_t)(wall_ms / 1000);
	return localtime_r(&t, tm) != NULL;
}

const char *fmt_clock(char *out, size_t size, int64_t wall_ms)
{
	struct tm tm;
	if (!local_tm(wall_ms, &tm) || !strftime(out, size, "%H:%M:%S", &tm))
		return dash(out, size);
	return out;
}

const char *fmt_datetime(char *out, size_t size, int64_t wall_ms)
{
	struct tm tm;
	if (!local_tm(wall_ms, &tm) || !strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm))
		return dash(out, size);
	return out;
}

const char *fmt_count(char *out, size_t size, uint64_t n)
{
	if (n < 10000)
		snprintf(out, size, "%" PRIu64, n);
	else if (n < 1000000)
		snprintf(out, size, "%" PRIu64 "k", n / 1000);
	else
		snprintf(out, size, "%.1fM", (double)n / 1e6);
	return out;
}
