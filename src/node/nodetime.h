#ifndef R1_NODE_NODETIME_H
#define R1_NODE_NODETIME_H
/*
 * The one text form of time the node writes outside the
 * envelope (TIMESTAMP_EXECUTION, notification TIMESTAMP, ACTIVE_PLUGINS
 * times, CURRENT_TIME): local wall time "%Y-%m-%d %H:%M:%S.%f", as the
 * reference's log.now_str(nice_print=True, short=False).
 */
#include "core/common.h"

#define NODETIME_TEXT_SIZE 32

/* Local "%Y-%m-%d %H:%M:%S.%f" of a UTC instant. */
void nodetime_format(int64_t utc_us, char out[NODETIME_TEXT_SIZE]);
/* Local "%Y%m%d%H%M%S%f" (the heartbeat's TIMESTAMP). */
void nodetime_format_compact(int64_t utc_us, char out[NODETIME_TEXT_SIZE]);
/* Local weekday (0 = Monday) and minute of the day. */
void nodetime_local(int64_t utc_us, int *weekday, int *minute);

#endif
