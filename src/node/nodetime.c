/*
 * Clocks and local time text for the node (see nodetime.h).
 */
#include "node/lib.h"
#include "node/nodetime.h"
#include "core/timefmt.h"

static void local_tm(int64_t utc_us, struct tm *tm, long *us)
{
	int64_t s = utc_us / 1000000;
	long rem = (long)(utc_us % 1000000);
	if (rem < 0) {
		rem += 1000000;
		s--;
	}
	time_t t = (time_t)s;
	if (!localtime_r(&t, tm))
		memset(tm, 0, sizeof(*tm));
	*us = rem;
}

/* The local wall time of a UTC instant in one of timefmt's styles. */
static void format_local(int64_t utc_us, enum timefmt_style style, char out[NODETIME_TEXT_SIZE])
{
	int32_t offset_s = 0;
	if (timefmt_local_offset(utc_us, &offset_s, NULL))
		offset_s = 0;
	if (timefmt_format(utc_us + (int64_t)offset_s * TIMEFMT_US_PER_S, style, out, NULL))
		out[0] = '\0';
}

void nodetime_format(int64_t utc_us, char out[NODETIME_TEXT_SIZE])
{
	format_local(utc_us, TIMEFMT_FULL, out);
}

void nodetime_format_compact(int64_t utc_us, char out[NODETIME_TEXT_SIZE])
{
	format_local(utc_us, TIMEFMT_COMPACT, out);
}

void nodetime_local(int64_t utc_us, int *weekday, int *minute)
{
	struct tm tm;
	long us;
	local_tm(utc_us, &tm, &us);
	*weekday = (tm.tm_wday + 6) % 7;
	*minute = tm.tm_hour * 60 + tm.tm_min;
}
