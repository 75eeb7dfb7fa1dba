#ifndef R1_CORE_CLOCK_H
#define R1_CORE_CLOCK_H
/*
 * The system clocks in the units the code counts in, read in one place.
 * Wall time is CLOCK_REALTIME since the Unix epoch (what the wire and the
 * netmap carry); monotonic time is CLOCK_MONOTONIC (deadlines, rates).
 * Models and formatters never call these: they take the time as an
 * argument so that tests pin it (the loop's cached loop_now() is the
 * monotonic time of an iteration).  These cannot fail.
 */
#include "core/common.h"

int64_t r1_wall_us(void);
int64_t r1_wall_ms(void);
uint64_t r1_mono_ms(void);
uint64_t r1_mono_ns(void);

#endif
