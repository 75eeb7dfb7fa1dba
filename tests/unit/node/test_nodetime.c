/*
 * The node's local time (node/nodetime): weekday and minute of the day,
 * and the two texts, for fixed instants under fixed POSIX zones.
 */
#include "node/lib.h"
#include "node/nodetime.h"
#include "tests/tap.h"

#include <time.h>

static void local_is(int64_t utc_s, int wday, int minute, const char *name)
{
	int w = -1, m = -1;
	nodetime_local(utc_s * 1000000, &w, &m);
	is_int(w, wday, "%s: weekday", name);
	is_int(m, minute, "%s: minute of the day", name);
}

int main(void)
{
	setenv("TZ", "UTC0", 1);
	tzset();
	local_is(0, 3, 0, "1970-01-01 00:00 UTC, a Thursday");
	local_is(1704067200, 0, 0, "2024-01-01 00:00 UTC, a Monday");
	local_is(1704067200 + 6 * 86400 + 23 * 3600 + 59 * 60 + 59, 6, 1439, "Sunday 23:59:59");
	local_is(-60, 2, 1439, "1969-12-31 23:59, a Wednesday");
	char text[NODETIME_TEXT_SIZE];
	nodetime_format(INT64_C(1704067200123456), text);
	is_str(text, "2024-01-01 00:00:00.123456", "the full text");
	nodetime_format_compact(INT64_C(1704067200123456), text);
	is_str(text, "20240101000000123456", "the compact text");

	setenv("TZ", "IST-5:30", 1); /* UTC+5:30 */
	tzset();
	local_is(1704067200, 0, 330, "Monday 00:00 UTC is 05:30 at UTC+5:30");
	local_is(1704067200 - 5 * 3600 - 30 * 60, 0, 0, "Sunday 18:30 UTC is Monday 00:00 there");
	nodetime_format(INT64_C(1704067200000000), text);
	is_str(text, "2024-01-01 05:30:00.000000", "the text is local");
	setenv("TZ", "PST8", 1); /* UTC-8 */
	tzset();
	local_is(1704067200, 6, 16 * 60, "Monday 00:00 UTC is Sunday 16:00 at UTC-8");
	return tap_done();
}
