/*
 * Local time text for the node (see nodetime.h), through core/timefmt:
 * the local offset of the instant, then timefmt's own calendar.
 */
#include "node/lib.h"
#include "node/nodetime.h"
#include "core/timefmt.h"

/* The local wall time of a UTC instant, in microseconds. */
static int64_t local_us(int64_t utc_us)
{
	int32_t offset_s = 0;
	if (timefmt_local_offset(utc_us, &offset_s, NULL))
		offset_s = 0;
	return utc_us + (int64_t)offset_s * TIMEFMT_US_PER_S;
}

/* The local wall time of a UTC instant in one of timefmt's styles. */
static void format_local(int64_t utc_us, enum timefmt_style style, char out[NODETIME_TEXT_SIZE])
{
	if (timefmt_format(local_us(utc_us), style, out, NULL))
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
	int64_t s = local_us(utc_us) / TIMEFMT_US_PER_S;
	int64_t days = s / 86400, sod = s % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	*weekday = (int)(((days % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday (3) */
	*minute = (int)(sod / 60);
}
