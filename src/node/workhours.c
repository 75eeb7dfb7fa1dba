/*
 * WORKING_HOURS evaluation (see workhours.h): pure, no clock, so the
 * plugin host's tests pin the time.
 */
#include "node/lib.h"
#include "node/workhours.h"

#include <strings.h>

static const char *const weekdays[7] = {"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"};

/* "HH:MM" (1 or 2 digit fields, as int() takes them) to minutes; -1 if bad. */
static int parse_hhmm(const json_t *v)
{
	const char *s = json_string_value(v);
	if (!s)
		return -1;
	int h = 0, m = 0, nh = 0, nm = 0;
	const char *p = s;
	while (*p >= '0' && *p <= '9' && nh < 3)
		h = h * 10 + (*p++ - '0'), nh++;
	if (*p++ != ':' || nh == 0)
		return -1;
	while (*p >= '0' && *p <= '9' && nm < 3)
		m = m * 10 + (*p++ - '0'), nm++;
	if (nm == 0 || *p != '\0' || h > 23 || m > 59)
		return -1;
	return h * 60 + m;
}

static bool in_list(const json_t *list, int minute, int *interval)
{
	if (json_array_size(list) == 0) {
		*interval = -1;
		return true;
	}
	size_t i;
	const json_t *iv;
	json_array_foreach(list, i, iv)
	{
		if (!json_is_array(iv) || json_array_size(iv) != 2)
			continue;
		int start = parse_hhmm(json_array_get(iv, 0));
		int end = parse_hhmm(json_array_get(iv, 1));
		if (start < 0 || end < 0)
			continue;
		bool inside = start <= minute && minute < end;
		if (end < start)
			inside = !(end <= minute && minute < start);
		if (inside) {
			*interval = (int)i;
			return true;
		}
	}
	return false;
}

bool workhours_inside(const json_t *wh, bool ignore, int weekday, int minute, int *interval)
{
	int dummy;
	if (!interval)
		interval = &dummy;
	*interval = -1;
	if (ignore || !wh)
		return true;
	if (json_is_array(wh)) {
		if (json_array_size(wh) == 2 && json_is_string(json_array_get(wh, 0))) {
			json_t *wrapped = json_pack("[O]", wh);
			bool r = wrapped && in_list(wrapped, minute, interval);
			json_decref(wrapped);
			return r;
		}
		return in_list(wh, minute, interval);
	}
	if (json_is_object(wh) && weekday >= 0 && weekday < 7) {
		const char *key;
		const json_t *v;
		json_object_foreach((json_t *)wh, key, v)
		{
			if (strcasecmp(key, weekdays[weekday]) == 0)
				return json_is_array(v) && in_list(v, minute, interval);
		}
	}
	return false;
}
