#ifndef R1_CORE_LOG_H
#define R1_CORE_LOG_H
/*
 * Logging for core and node.  A struct r1_log is owned by the program
 * (main or the TUI) and handed to the objects that log; the library itself
 * never chooses where lines go.  Each log keeps the most recent lines in a
 * ring (for the console's Log view and FULL_HEARTBEAT's DEVICE_LOG) and can
 * also write them to a FILE (stderr or a log file) and tell one observer.
 *
 * Safe to call from worker threads (a mutex guards the ring); the observer
 * is called on the logging thread, so observers that touch the model must
 * only be installed when all logging happens on the loop thread.
 */
#include "core/common.h"

enum r1_log_level { R1_LOG_ERROR, R1_LOG_WARN, R1_LOG_INFO, R1_LOG_DEBUG };

struct r1_log;

struct r1_log_line {
	struct timespec when;	/* CLOCK_REALTIME */
	enum r1_log_level level;
	char text[240];		/* "module: message", truncated */
};

typedef void (*r1_log_observer_fn)(void *ctx, const struct r1_log_line *line);

/* ring: number of lines kept (0 = default 512).  Returns NULL on OOM. */
struct r1_log *r1_log_new(size_t ring);
void r1_log_free(struct r1_log **lg);
/* Lines above `level` are dropped (not kept, not written). */
void r1_log_set_level(struct r1_log *lg, enum r1_log_level level);
enum r1_log_level r1_log_get_level(const struct r1_log *lg);
/* Write every kept line to `f` as well (NULL = stop); the log does not own it. */
void r1_log_set_file(struct r1_log *lg, FILE *f);
void r1_log_set_observer(struct r1_log *lg, r1_log_observer_fn fn, void *ctx);

/* lg may be NULL (logging off). */
void r1_log(struct r1_log *lg, enum r1_log_level level, const char *module, const char *fmt, ...)
	R1_PRINTF(4, 5);
void r1_logv(struct r1_log *lg, enum r1_log_level level, const char *module, const char *fmt,
	     va_list ap);

/*
 * Copy up to `max` most recent lines, oldest first, into `out`; returns the
 * number copied.  `since_seq` > 0 returns only lines newer than that
 * sequence number; *last_seq gets the newest sequence number.
 */
size_t r1_log_recent(struct r1_log *lg, struct r1_log_line *out, size_t max, uint64_t since_seq,
		     uint64_t *last_seq);

const char *r1_log_level_name(enum r1_log_level level);
/* Parse "error", "warn", "info", "debug"; false if unknown. */
bool r1_log_level_parse(const char *s, enum r1_log_level *out);

#define LOG_E(lg, mod, ...) r1_log((lg), R1_LOG_ERROR, (mod), __VA_ARGS__)
#define LOG_W(lg, mod, ...) r1_log((lg), R1_LOG_WARN, (mod), __VA_ARGS__)
#define LOG_I(lg, mod, ...) r1_log((lg), R1_LOG_INFO, (mod), __VA_ARGS__)
#define LOG_D(lg, mod, ...) r1_log((lg), R1_LOG_DEBUG, (mod), __VA_ARGS__)

#endif
