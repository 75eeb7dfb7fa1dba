/*
 * Epoch arithmetic and availability accounting (see epochs.h).  Every
 * number here is meant to equal, bit for bit, what the reference's Python
 * computes: the epoch id goes through the same double division, run lengths
 * are added as doubles in time order, and rounding is Python's.  Where the
 * reference keeps every heartbeat of an epoch in a set, a tracker keeps a
 * window of the newest ones plus the running sums, so that an oracle can
 * follow 100,000 nodes in a few tens of megabytes.  This file does not read
 * the clock, store anything, or decide when an epoch closes: the caller does.
 */
#include "core/lib.h"
#include "core/epochs.h"
#include "core/timefmt.h"

#include <math.h>

#define HB_PERIOD_US (INT64_C(10) * TIMEFMT_US_PER_S)

static const struct network_desc {
	const char *name;
	int64_t genesis_s; /* UTC seconds since 1970 */
	int64_t intervals, interval_seconds;
} networks[EPOCH_NET__COUNT] = {
    /* "2025-05-23 16:00:00" UTC, 24 x 3600 s */
    [EPOCH_NET_MAINNET] = {"mainnet", INT64_C(1748016000), 24, 3600},
    [EPOCH_NET_TESTNET] = {"testnet", INT64_C(1748016000), 24, 3600},
    /* "2026-05-01 16:00:00" UTC, 4 x 3600 s */
    [EPOCH_NET_DEVNET] = {"devnet", INT64_C(1777651200), 4, 3600},
};

void epoch_params_set_heartbeat(struct epoch_params *p, int64_t period_us)
{
	/* delta < period/2 in exact arithmetic is delta < ceil(period/2) in integers. */
	p->hb_min_gap_us = (period_us + 1) / 2;
	p->hb_max_gap_us = period_us + 5 * TIMEFMT_US_PER_S;
}

void epoch_params_for(struct epoch_params *p, enum epoch_network net)
{
	if ((unsigned)net >= EPOCH_NET__COUNT)
		net = EPOCH_NET_MAINNET;
	const struct network_desc *n = &networks[net];
	p->genesis_us = n->genesis_s * TIMEFMT_US_PER_S;
	p->length_s = n->intervals * n->interval_seconds;
	epoch_params_set_heartbeat(p, HB_PERIOD_US);
}

enum r1_err epoch_network_parse(const char *name, enum epoch_network *net, char **why)
{
	for (size_t i = 0; i < EPOCH_NET__COUNT; i++)
		if (name && strcmp(name, networks[i].name) == 0) {
			*net = (enum epoch_network)i;
			return R1_OK;
		}
	return r1_fail(why, R1_ERR_INVAL,
	               "epochs: unknown network '%.40s' (mainnet, testnet, devnet)",
	               name ? name : "(null)");
}

const char *epoch_network_name(enum epoch_network net)
{
	return (unsigned)net < EPOCH_NET__COUNT ? networks[net].name : "unknown";
}

enum r1_err epoch_params_custom(struct epoch_params *p, const char *genesis, int64_t intervals,
                                int64_t interval_seconds, char **why)
{
	int64_t wall = 0, len = 0;
	enum r1_err e = timefmt_parse(genesis, strlen(genesis), TIMEFMT_SHORT, &wall, why);
	if (e) {
		r1_why_prefix(why, "epochs: genesis");
		return e;
	}
	if (intervals <= 0 || interval_seconds <= 0 ||
	    __builtin_mul_overflow(intervals, interval_seconds, &len) ||
	    len > INT64_MAX / TIMEFMT_US_PER_S)
		return r1_fail(why, R1_ERR_INVAL,
		               "epochs: epoch length %" PRId64 " x %" PRId64 " s is not usable",
		               intervals, interval_seconds);
	p->genesis_us = wall;
	p->length_s = len;
	epoch_params_set_heartbeat(p, HB_PERIOD_US);
	return R1_OK;
}

/* (a - b).total_seconds(): an exact integer, one correctly rounded division. */
static double total_seconds(int64_t us)
{
	return (double)us / 1e6;
}

int64_t epoch_id_at(const struct epoch_params *p, int64_t utc_us)
{
	double elapsed = total_seconds(utc_us - p->genesis_us);
	double q = elapsed / (double)p->length_s;
	if (q >= 9.2e18)
		return INT64_MAX;
	if (q <= -9.2e18)
		return INT64_MIN;
	return (int64_t)q; /* int(): toward zero */
}

enum r1_err epoch_id_of_text(const struct epoch_params *p, const char *text, size_t len,
                             int64_t *id, char **why)
{
	const char *dot = memchr(text, '.', len);
	size_t cut = dot ? (size_t)(dot - text) : len; /* date.split('.')[0] */
	int64_t wall = 0;
	enum r1_err e = timefmt_parse(text, cut, TIMEFMT_SHORT, &wall, why);
	if (e)
		return e;
	*id = epoch_id_at(p, wall);
	return R1_OK;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static int64_t sat_mul(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_mul_overflow(a, b, &r))
		return ((a < 0) != (b < 0)) ? INT64_MIN : INT64_MAX;
	return r;
}

int64_t epoch_start_us(const struct epoch_params *p, int64_t id)
{
	return sat_add(p->genesis_us, sat_mul(sat_mul(id, p->length_s), TIMEFMT_US_PER_S));
}

int64_t epoch_end_us(const struct epoch_params *p, int64_t id)
{
	return epoch_start_us(p, sat_add(id, 1));
}

int64_t epoch_time_to_next_us(const struct epoch_params *p, int64_t now_us)
{
	int64_t id = epoch_id_at(p, now_us), next;
	if (now_us >= p->genesis_us || id == 0)
		next = epoch_end_us(p, id); /* epoch 0 also covers the epoch before genesis */
	else
		next = sat_add(epoch_start_us(p, id), 1); /* id < 0 covers (start - len, start] */
	return next - now_us;
}

/* ------------------------------------------------------------ rounding */

double py_round(double x)
{
	/* CPython float.__round__ without ndigits. */
	double r = round(x);
	if (fabs(x - r) == 0.5)
		r = 2.0 * round(x / 2.0);
	return r;
}

double py_round_digits(double x, int ndigits)
{
	/*
	 * CPython rounds through the correctly rounded decimal string of the
	 * double (half to even on its exact value) and reads it back; glibc's
	 * printf rounds the exact binary value the same way.
	 */
	if (!isfinite(x) || x == 0.0 || ndigits < 0 || ndigits > 17)
		return x;
	char text[400];
	snprintf(text, sizeof(text), "%.*f", ndigits, x);
	return strtod(text, NULL);
}

double epoch_avail_fraction(const struct epoch_params *p, double avail_seconds)
{
	return py_round_digits(avail_seconds / (double)p->length_s, 4);
}

int epoch_avail_record(double fraction)
{
	double r = py_round(fraction * EPOCH_MAX_VALUE);
	if (!(r > 0))
		return 0;
	return r > EPOCH_MAX_VALUE ? EPOCH_MAX_VALUE : (int)r;
}

double epoch_avail_so_far(const struct epoch_params *p, double avail_seconds, int64_t now_us)
{
	int64_t start = epoch_start_us(p, epoch_id_at(p, now_us));
	int64_t secs = (now_us - start) / TIMEFMT_US_PER_S;
	if ((now_us - start) % TIMEFMT_US_PER_S < 0)
		secs--;
	secs %= 86400; /* timedelta.seconds */
	if (secs < 0)
		secs += 86400;
	if (secs == 0)
		return 0.0;
	return py_round_digits(avail_seconds / (double)secs, 4);
}

/* ------------------------------------------------------------ tracker */

static bool gap_breaks(const struct epoch_params *p, int64_t gap_us)
{
	return gap_us > p->hb_max_gap_us || gap_us < p->hb_min_gap_us;
}

void epoch_tracker_init(struct epoch_tracker *t, int64_t epoch_id)
{
	memset(t, 0, sizeof(*t));
	t->epoch_id = epoch_id;
}

void epoch_tracker_reset(struct epoch_tracker *t, int64_t epoch_id)
{
	epoch_tracker_init(t, epoch_id);
}

/* Fold recent[0] into the frozen state and drop it from the window. */
static void evict_oldest(struct epoch_tracker *t, const struct epoch_params *p, int64_t *arr,
                         uint32_t *n)
{
	if (gap_breaks(p, arr[1] - arr[0])) {
		t->frozen_avail += total_seconds(arr[0] - t->frozen_seg_start);
		t->frozen_seg_start = arr[1];
	}
	memmove(arr, arr + 1, (*n - 1) * sizeof(*arr));
	(*n)--;
	t->dropped = true;
}

/* Rebuild avail/seg_start from the frozen state over the window, in time order. */
static void replay(struct epoch_tracker *t, const struct epoch_params *p)
{
	double avail = t->frozen_avail;
	int64_t seg = t->frozen_seg_start;
	for (uint32_t i = 1; i < t->n_recent; i++)
		if (gap_breaks(p, t->recent[i] - t->recent[i - 1])) {
			avail += total_seconds(t->recent[i - 1] - seg);
			seg = t->recent[i];
		}
	t->avail = avail;
	t->seg_start = seg;
}

static enum epoch_hb add_late(struct epoch_tracker *t, const struct epoch_params *p, int64_t hb)
{
	if (hb < t->recent[0] && t->dropped) {
		t->too_late++;
		return EPOCH_HB_TOO_LATE;
	}
	uint32_t pos = 0;
	while (pos < t->n_recent && t->recent[pos] < hb)
		pos++;
	if (pos < t->n_recent && t->recent[pos] == hb) {
		t->duplicates++;
		return EPOCH_HB_DUPLICATE;
	}
	int64_t arr[EPOCH_TRACKER_WINDOW + 1];
	uint32_t n = t->n_recent;
	memcpy(arr, t->recent, pos * sizeof(*arr));
	arr[pos] = hb;
	memcpy(arr + pos + 1, t->recent + pos, (n - pos) * sizeof(*arr));
	n++;
	if (pos == 0) {
		/* Nothing was dropped, so hb is the first heartbeat of the epoch. */
		t->frozen_avail = 0.0;
		t->frozen_seg_start = hb;
	}
	if (n > EPOCH_TRACKER_WINDOW)
		evict_oldest(t, p, arr, &n);
	memcpy(t->recent, arr, n * sizeof(*arr));
	t->n_recent = n;
	replay(t, p);
	t->count++;
	return EPOCH_HB_REGISTERED;
}

enum epoch_hb epoch_tracker_add(struct epoch_tracker *t, const struct epoch_params *p,
                                int64_t hb_utc_us)
{
	if (epoch_id_at(p, hb_utc_us) != t->epoch_id) {
		t->other_epoch++;
		return EPOCH_HB_OTHER_EPOCH;
	}
	if (t->n_recent == 0) {
		t->recent[0] = hb_utc_us;
		t->n_recent = 1;
		t->frozen_avail = t->avail = 0.0;
		t->frozen_seg_start = t->seg_start = hb_utc_us;
		t->count = 1;
		return EPOCH_HB_REGISTERED;
	}
	int64_t last = t->recent[t->n_recent - 1];
	if (hb_utc_us == last) {
		t->duplicates++;
		return EPOCH_HB_DUPLICATE;
	}
	if (hb_utc_us < last)
		return add_late(t, p, hb_utc_us);
	/* The common case: newer than everything, O(1) like the reference's accumulator. */
	if (t->n_recent == EPOCH_TRACKER_WINDOW)
		evict_oldest(t, p, t->recent, &t->n_recent);
	t->recent[t->n_recent++] = hb_utc_us;
	if (gap_breaks(p, hb_utc_us - last)) {
		t->avail += total_seconds(last - t->seg_start);
		t->seg_start = hb_utc_us;
	}
	t->count++;
	return EPOCH_HB_REGISTERED;
}

double epoch_tracker_avail_seconds(const struct epoch_tracker *t)
{
	if (t->n_recent == 0)
		return 0.0;
	return t->avail + total_seconds(t->recent[t->n_recent - 1] - t->seg_start);
}

int epoch_tracker_record(const struct epoch_tracker *t, const struct epoch_params *p,
                         double *fraction)
{
	double f = epoch_avail_fraction(p, epoch_tracker_avail_seconds(t));
	if (fraction)
		*fraction = f;
	return epoch_avail_record(f);
}

/* ------------------------------------------------------------ signing helpers */

enum r1_err epoch_pack_availabilities(const int64_t *vals, size_t n, struct buf *out, char **why)
{
	for (size_t i = 0; i < n; i++)
		if (vals[i] < 0 || vals[i] > EPOCH_MAX_VALUE)
			return r1_fail(why, R1_ERR_INVAL,
			               "Invalid epoch availability value: %" PRId64, vals[i]);
	buf_adds(out, "0x");
	for (size_t i = 0; i < n; i++) {
		uint8_t b = (uint8_t)vals[i];
		buf_addhex(out, &b, 1);
	}
	if (!buf_ok(out))
		return r1_fail(why, R1_ERR_NOMEM, "epochs: out of memory");
	return R1_OK;
}

enum r1_err epoch_validate_range(const int64_t *epochs, size_t n_epochs, size_t n_vals,
                                 int64_t *from_epoch, int64_t *to_epoch, char **why)
{
	if (n_epochs != n_vals)
		return r1_fail(why, R1_ERR_INVAL,
		               "Epochs and availability values must have the same length.");
	if (n_epochs == 0)
		return r1_fail(why, R1_ERR_INVAL, "At least one epoch is required for signing.");
	int64_t from = epochs[0], to = epochs[n_epochs - 1], span;
	if (__builtin_sub_overflow(to, from, &span) || span < 0 || (uint64_t)span + 1 != n_vals)
		return r1_fail(
		    why, R1_ERR_INVAL,
		    "Epochs must form a contiguous range matching the availability values.");
	for (size_t i = 0; i < n_epochs; i++)
		if (epochs[i] != from + (int64_t)i)
			return r1_fail(why, R1_ERR_INVAL,
			               "Epochs must be sorted, contiguous, and "
			               "gap-free for packed availability signing.");
	*from_epoch = from;
	*to_epoch = to;
	return R1_OK;
}
