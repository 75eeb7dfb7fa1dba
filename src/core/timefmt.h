#ifndef R1_CORE_TIMEFMT_H
#define R1_CORE_TIMEFMT_H
/*
 * The time formats of the wire, as the reference writes and reads them.
 *
 * Times are int64 microseconds.  A "wall" value is a naive date and time
 * (what the text says, no zone); a "UTC" value is microseconds since
 * 1970-01-01 00:00:00 UTC.  Formatters never read the clock: the caller
 * passes the instant, so tests pin it.  Only the local offset and the zone
 * name consult the system (localtime_r, $TZ, /etc).
 *
 *  - EE_TIMESTAMP "%Y-%m-%d %H:%M:%S.%f": the sender's LOCAL wall time, six
 *    fraction digits.  Short form without ".%f" (genesis dates, dAuth).
 *    Compact forms "%Y%m%d%H%M%S%f" / "%Y%m%d%H%M%S" (node now_str()).
 *  - EE_TIMEZONE "UTC+N" / "UTC-N": the local offset in whole hours,
 *    truncated toward zero like the reference's int(offset_hours) (UTC+5:30
 *    is "UTC+5", UTC-3:30 is "UTC-3").  The reference itself prints a
 *    negative offset as "UTC--5", which its own oracles cannot parse; we
 *    print "UTC-5", which they can.
 *  - EE_TZ: the IANA zone name ("Europe/Bucharest"), found as the
 *    reference's tzlocal finds it.
 *  - the NET_MON_01 "uptime" text (the reference's elapsed_to_str).
 *
 * Parsers accept exactly what the reference's datetime.strptime accepts for
 * the same format (1-digit fields, " 5" days, runs of whitespace for the
 * space, 1 to 6 fraction digits) and nothing else; every refusal carries a
 * reason.  Only ASCII is accepted (Python would also take other Unicode
 * digits and spaces).  Dates are limited to Python's range, years 1..9999.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"

#define TIMEFMT_US_PER_S INT64_C(1000000)
/* 0001-01-01 00:00:00 and 9999-12-31 23:59:59.999999 as microseconds. */
#define TIMEFMT_MIN_US (INT64_C(-62135596800) * TIMEFMT_US_PER_S)
#define TIMEFMT_MAX_US (INT64_C(253402300799) * TIMEFMT_US_PER_S + 999999)

enum timefmt_style {
	TIMEFMT_FULL,          /* "%Y-%m-%d %H:%M:%S.%f"  EE_TIMESTAMP */
	TIMEFMT_SHORT,         /* "%Y-%m-%d %H:%M:%S"     genesis, dAuth */
	TIMEFMT_COMPACT,       /* "%Y%m%d%H%M%S%f"        now_str() */
	TIMEFMT_COMPACT_SHORT, /* "%Y%m%d%H%M%S" */
};

#define TIMEFMT_TEXT_SIZE   32  /* every style fits, with its NUL */
#define TIMEFMT_OFFSET_SIZE 16  /* "UTC+N" */
#define TIMEFMT_ZONE_SIZE   256 /* EE_TZ */

/*
 * Format a wall time.  R1_ERR_INVAL (out stays "") when the date is outside
 * years 1..9999.
 */
enum r1_err timefmt_format(int64_t wall_us, enum timefmt_style style, char out[TIMEFMT_TEXT_SIZE],
                           char **why);

/*
 * Parse TIMEFMT_FULL or TIMEFMT_SHORT text (len bytes, NUL not needed) into
 * a wall time.  R1_ERR_INVAL with the reason; the compact styles are not
 * parsed (R1_ERR_INVAL).
 */
enum r1_err timefmt_parse(const char *text, size_t len, enum timefmt_style style, int64_t *wall_us,
                          char **why);

/*
 * The local UTC offset in seconds at a UTC instant (localtime_r, so $TZ
 * counts).  R1_ERR_INVAL if the instant cannot be converted.
 */
enum r1_err timefmt_local_offset(int64_t utc_us, int32_t *offset_s, char **why);

/* EE_TIMEZONE of an offset in seconds: "UTC+2", "UTC-5", "UTC+5" for +5:30. */
void timefmt_utc_offset(int32_t offset_s, char out[TIMEFMT_OFFSET_SIZE]);

/*
 * The hours of an EE_TIMEZONE as the reference's oracle reads them:
 * int(tz.replace("UTC", "")).  NULL (the key is absent) means "UTC+0".
 * Accepts "UTC+3", "UTC-3", "UTC3", "+3", " UTC+3 ", "UTC+1_0"; refuses
 * "UTC--5", "UTC+5.5", "" with R1_ERR_INVAL, as Python's int() does.
 */
enum r1_err timefmt_parse_utc_offset(const char *tz, int64_t *hours, char **why);

/* What a sender puts in the envelope. */
struct ee_time {
	char timestamp[TIMEFMT_TEXT_SIZE];  /* EE_TIMESTAMP, local wall time */
	char timezone[TIMEFMT_OFFSET_SIZE]; /* EE_TIMEZONE */
};

/* EE_TIMESTAMP and EE_TIMEZONE for a UTC instant, in the local zone. */
enum r1_err timefmt_envelope_time(int64_t utc_us, struct ee_time *out, char **why);

/*
 * UTC microseconds of a received EE_TIMESTAMP + EE_TIMEZONE exactly as the
 * reference's epochs manager computes it (get_hb_utc): the timestamp parsed
 * with the full format, minus int(hours) hours.  tz NULL = absent = UTC+0.
 * R1_ERR_INVAL on a bad timestamp or zone, or a result outside years 1..9999.
 */
enum r1_err timefmt_heartbeat_utc(const char *timestamp, size_t len, const char *tz,
                                  int64_t *utc_us, char **why);

/*
 * EE_TZ: the IANA name of the local zone, found like the reference's tzlocal:
 * $TZ (leading ':' dropped; a zone name, or a path to a zone file), then the
 * last entry of <root>/etc/timezone (or var/db/zoneinfo), then the target of
 * the <root>/etc/localtime symlink; a name counts when
 * <root>/usr/share/zoneinfo has that file (or, with no zoneinfo directory,
 * when it looks like a zone name).  Falls back to "Etc/UTC" where the
 * reference would send null.  `tz_env` is the value of $TZ (NULL if unset);
 * `root` is "/" outside tests.  Never fails.
 */
void timefmt_zone_name(const char *tz_env, const char *root, char out[TIMEFMT_ZONE_SIZE]);

/*
 * NET_MON_01 "uptime" of a duration in seconds, appended to out, as the
 * reference's elapsed_to_str: "HH:MM:SS" with hours never wrapped ("123:04:05"),
 * "-" in front of a negative duration; with show_days, Python's
 * str(timedelta(seconds=int(s))): "2:03:04", "1 day, 2:03:04", "3 days, 0:00:05".
 * R1_ERR_INVAL for NaN, infinities and durations beyond 10^15 s.
 */
enum r1_err timefmt_elapsed(double seconds, bool show_days, struct buf *out, char **why);

/* Calendar helpers (proleptic Gregorian, any year). */
int64_t timefmt_days_from_civil(int64_t y, unsigned m, unsigned d);
void timefmt_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
