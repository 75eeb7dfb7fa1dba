/*
 * The log ring and its sinks (see log.h).  Lines are formatted once into a
 * fixed-size slot; nothing here allocates after r1_log_new.
 */
#include "core/log.h"
#include "core/xalloc.h"
#include "core/timefmt.h"

#include <pthread.h>

struct r1_log {
	pthread_mutex_t lock;
	enum r1_log_level level;
	FILE *file;
	r1_log_observer_fn observer;
	void *observer_ctx;
	size_t cap;
	uint64_t seq;	/* lines ever kept; line i lives in ring[(i-1) % cap] */
	struct r1_log_line *ring;
};

static const char *const level_names[] = {"error", "warn", "info", "debug"};

const char *r1_log_level_name(enum r1_log_level level)
{
	return (unsigned)level < R1_ARRAY_LEN(level_names) ? level_names[level] : "?";
}

bool r1_log_level_parse(const char *s, enum r1_log_level *out)
{
	for (size_t i = 0; i < R1_ARRAY_LEN(level_names); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum r1_log_level)i;
			return true;
		}
	}
	return false;
}

struct r1_log *r1_log_new(size_t ring)
{
	struct r1_log *lg = r1_calloc(1, sizeof(*lg));
	if (!lg)
		return NULL;
	lg->cap = ring ? ring : 512;
	lg->ring = r1_calloc(lg->cap, sizeof(*lg->ring));
	if (!lg->ring) {
		r1_free(lg);
		return NULL;
	}
	pthread_mutex_init(&lg->lock, NULL);
	lg->level = R1_LOG_INFO;
	return lg;
}

void r1_log_free(struct r1_log **lgp)
{
	struct r1_log *lg = *lgp;
	if (!lg)
		return;
	pthread_mutex_destroy(&lg->lock);
	r1_free(lg->ring);
	r1_free(lg);
	*lgp = NULL;
}

void r1_log_set_level(struct r1_log *lg, enum r1_log_level level)
{
	lg->level = level;
}

enum r1_log_level r1_log_get_level(const struct r1_log *lg)
{
	return lg->level;
}

void r1_log_set_file(struct r1_log *lg, FILE *f)
{
	pthread_mutex_lock(&lg->lock);
	lg->file = f;
	pthread_mutex_unlock(&lg->lock);
}

void r1_log_set_observer(struct r1_log *lg, r1_log_observer_fn fn, void *ctx)
{
	pthread_mutex_lock(&lg->lock);
	lg->observer = fn;
	lg->observer_ctx = ctx;
	pthread_mutex_unlock(&lg->lock);
}

void r1_logv(struct r1_log *lg, enum r1_log_level level, const char *module, const char *fmt,
	     va_list ap)
{
	if (!lg || level > lg->level)
		return;
	struct r1_log_line line;
	clock_gettime(CLOCK_REALTIME, &line.when);
	line.level = level;
	int n = snprintf(line.text, sizeof(line.text), "%s: ", module ? module : "r1");
	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof(line.text))
		vsnprintf(line.text + n, sizeof(line.text) - (size_t)n, fmt, ap);

	pthread_mutex_lock(&lg->lock);
	lg->ring[lg->seq % lg->cap] = line;
	lg->seq++;
	if (lg->file) {
		char stamp[TIMEFMT_TEXT_SIZE];
		if (timefmt_format((int64_t)line.when.tv_sec * TIMEFMT_US_PER_S, TIMEFMT_SHORT,
		                   stamp, NULL))
			stamp[0] = '\0';
		fprintf(lg->file, "%s.%03ld %-5s %s\n", stamp, line.when.tv_nsec / 1000000,
			r1_log_level_name(level), line.text);
		fflush(lg->file);
	}
	r1_log_observer_fn obs = lg->observer;
	void *ctx = lg->observer_ctx;
	pthread_mutex_unlock(&lg->lock);
	if (obs)
		obs(ctx, &line);
}

void r1_log(struct r1_log *lg, enum r1_log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	r1_logv(lg, level, module, fmt, ap);
	va_end(ap);
}

size_t r1_log_recent(struct r1_log *lg, struct r1_log_line *out, size_t max, uint64_t since_seq,
		     uint64_t *last_seq)
{
	pthread_mutex_lock(&lg->lock);
	uint64_t first = lg->seq > lg->cap ? lg->seq - lg->cap : 0;
	if (since_seq > first)
		first = since_seq;
	if (lg->seq - first > max)
		first = lg->seq - max;
	size_t n = 0;
	for (uint64_t i = first; i < lg->seq; i++)
		out[n++] = lg->ring[i % lg->cap];
	if (last_seq)
		*last_seq = lg->seq;
	pthread_mutex_unlock(&lg->lock);
	return n;
}
