/*
 * Clocks and local time text for the node (see nodetime.h).
 */
#include "node/lib.h"
#include "node/nodetime.h"

int64_t nodetime_wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t nodetime_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

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

void nodetime_format(int64_t utc_us, char out[NODETIME_TEXT_SIZE])
{
	struct tm tm;
	long us;
	local_tm(utc_us, &tm, &us);
	snprintf(out, NODETIME_TEXT_SIZE, "%04d-%02d-%02d %02d:%02d:%02d.%06ld", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
}

void nodetime_format_compact(int64_t utc_us, char out[NODETIME_TEXT_SIZE])
{
	struct tm tm;
	long us;
	local_tm(utc_us, &tm, &us);
	snprintf(out, NODETIME_TEXT_SIZE, "%04d%02d%02d%02d%02d%02d%06ld", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
}

void nodetime_local(int64_t utc_us, int *weekday, int *minute)
{
	struct tm tm;
	long us;
	local_tm(utc_us, &tm, &us);
	*weekday = (tm.tm_wday + 6) % 7;
	*minute = tm.tm_hour * 60 + tm.tm_min;
}
