#ifndef R1_NODE_WORKHOURS_H
#define R1_NODE_WORKHOURS_H
/*
 * WORKING_HOURS of a plugin instance, evaluated as the reference does
 * (working_hours_mixin.py and the SDK's time_in_interval_hours):
 *
 *  - []                          always inside ("NON-STOP");
 *  - [["HH:MM","HH:MM"], ...]    inside when start <= now < end, minutes
 *                                resolution; end < start wraps midnight;
 *                                a single ["HH:MM","HH:MM"] counts as a list
 *                                of one;
 *  - {"MON": [...], ...}         the list of today's weekday (keys in any
 *                                case); a day not listed is outside, a day
 *                                with [] is inside all day;
 *  - null or anything else       outside.
 *
 * IGNORE_WORKING_HOURS makes everything inside.  Times are the node's local
 * wall time (WORKING_HOURS_TIMEZONE is not supported: nodes run in UTC).
 * Malformed intervals never match.
 */
#include "core/common.h"

#include <jansson.h>

/*
 * Whether weekday (0 = Monday) and minute of the day (0..1439) are inside
 * `wh` (NULL = key absent = []).  *interval gets the index of the matching
 * interval, or -1 for an all-day match (may be NULL).
 */
bool workhours_inside(const json_t *wh, bool ignore, int weekday, int minute, int *interval);

#endif
