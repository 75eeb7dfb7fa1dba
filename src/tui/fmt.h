#ifndef R1_TUI_FMT_H
#define R1_TUI_FMT_H
/*
 * Short renderings of figures for table cells and headers: sizes, ages,
 * durations, percentages, availability bytes, clock times.  Each writes a
 * NUL-terminated string into out (cut to size) and returns out, so a
 * table's text callback can `return fmt_gb(...)` into its scratch buffer.
 * "-" stands for "not known".
 */
#include "core/common.h"

/* Gigabytes as "512M", "12.3G", "931G", "1.82T"; "-" below 0 or NaN. */
const char *fmt_gb(char *out, size_t size, double gb);
/* "used/total" in the units of fmt_gb: "11.2/64G"; "-" when total <= 0. */
const char *fmt_used_of(char *out, size_t size, double used_gb, double total_gb);
/* How long ago: "now" (< 1 s), "42s", "17m", "5h", "3d"; "-" for ms < 0. */
const char *fmt_ago(char *out, size_t size, int64_t ms);
/* A duration: "45s", "12m05s", "3h12m", "2d04h"; "-" when negative or NaN. */
const char *fmt_duration(char *out, size_t size, double seconds);
/* Percent with no decimals: "7%", "100%"; "-" for NaN or < 0. */
const char *fmt_percent(char *out, size_t size, double pct);
/* An availability byte 0..255 as a percent ("100%"); "-" for < 0. */
const char *fmt_avail(char *out, size_t size, int avail);
/* Local clock time of a wall-clock instant: "14:03:27". */
const char *fmt_clock(char *out, size_t size, int64_t wall_ms);
/* Date and time: "2026-11-27 14:03:27" (local). */
const char *fmt_datetime(char *out, size_t size, int64_t wall_ms);
/* A count with a k/M suffix past 10,000: "9999", "12k", "3.4M". */
const char *fmt_count(char *out, size_t size, uint64_t n);

#endif
