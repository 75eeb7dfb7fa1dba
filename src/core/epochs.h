#ifndef R1_CORE_EPOCHS_H
#define R1_CORE_EPOCHS_H
/*
 * Epochs and per-node availability, computed as the reference's epochs
 * manager computes them (naeural_core/main/epochs_manager.py; protocol
 * reference 6.4), so that our oracle and the Python oracles agree to the
 * byte on what they sign.
 *
 * Times are UTC microseconds (timefmt.h).  A heartbeat's time is
 * EE_TIMESTAMP minus int(EE_TIMEZONE hours) (timefmt_heartbeat_utc).
 *
 * Epoch id: int((t - genesis).total_seconds() / epoch_length), computed
 * with the same doubles and truncated toward zero, so that the epoch before
 * genesis is 0 as well (-epoch_length < t - genesis < epoch_length all give 0;
 * further back the ids are negative).
 *
 * Availability of a node in an epoch: the distinct heartbeat times of that
 * epoch, sorted, cut into maximal runs wherever the spacing between two
 * neighbours is below hb_min_gap or above hb_max_gap (5 s and 15 s for the
 * reference's 10 s heartbeat); avail_seconds is the sum of the runs' lengths
 * (last minus first), added as doubles in time order like the reference;
 * avail = round(avail_seconds / epoch_length, 4); the record is
 * round(avail * 255).  Both rounds are Python's (half to even on the exact
 * value of the double).
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"

#define EPOCH_MAX_VALUE 255

struct epoch_params {
	int64_t genesis_us;    /* UTC */
	int64_t length_s;      /* intervals x interval seconds, > 0 */
	int64_t hb_min_gap_us; /* spacing below this ends a run (period / 2) */
	int64_t hb_max_gap_us; /* spacing above this ends a run (period + 5 s) */
};

enum epoch_network { EPOCH_NET_MAINNET, EPOCH_NET_TESTNET, EPOCH_NET_DEVNET, EPOCH_NET__COUNT };

/* The reference's parameters of a network, with a 10 s heartbeat (unknown: mainnet). */
void epoch_params_for(struct epoch_params *p, enum epoch_network net);
/* "mainnet", "testnet", "devnet" (case-sensitive).  R1_ERR_INVAL. */
enum r1_err epoch_network_parse(const char *name, enum epoch_network *net, char **why);
const char *epoch_network_name(enum epoch_network net);

/*
 * Custom parameters: genesis as "YYYY-MM-DD HH:MM:SS" UTC (the reference's
 * EE_GENESIS_EPOCH_DATE), intervals x interval_seconds as the epoch length,
 * and a 10 s heartbeat.  R1_ERR_INVAL for a bad date or a length that is
 * not positive (or overflows).
 */
enum r1_err epoch_params_custom(struct epoch_params *p, const char *genesis, int64_t intervals,
                                int64_t interval_seconds, char **why);
/*
 * Heartbeat spacing rule around a period: a run ends on a spacing below
 * period/2 or above period + 5 s (the reference's time_between_heartbeats).
 */
void epoch_params_set_heartbeat(struct epoch_params *p, int64_t period_us);

/* Epoch id of a UTC instant (see above for instants before genesis). */
int64_t epoch_id_at(const struct epoch_params *p, int64_t utc_us);
/*
 * Epoch id of a "YYYY-MM-DD HH:MM:SS[.ffffff]" UTC string as the SDK's
 * get_epoch_id takes it: everything from the first '.' is cut off first.
 * R1_ERR_INVAL with the reason.
 */
enum r1_err epoch_id_of_text(const struct epoch_params *p, const char *text, size_t len,
                             int64_t *id, char **why);
/* genesis + id x length, the reference's epoch start; end = start + length. */
int64_t epoch_start_us(const struct epoch_params *p, int64_t id);
int64_t epoch_end_us(const struct epoch_params *p, int64_t id);
/* Microseconds from `now` until epoch_id_at() next changes (> 0). */
int64_t epoch_time_to_next_us(const struct epoch_params *p, int64_t now_us);

/* Python's round(x) (half to even) and round(x, ndigits) for 0 <= ndigits <= 17. */
double py_round(double x);
double py_round_digits(double x, int ndigits);

/* round(avail_seconds / length, 4). */
double epoch_avail_fraction(const struct epoch_params *p, double avail_seconds);
/* round(fraction * 255) as the stored value, clamped to 0..255. */
int epoch_avail_record(double fraction);
/*
 * The reference's "availability so far" of the running epoch
 * (get_current_epoch_availability): round(avail_seconds / s, 4) with s the
 * whole seconds since the epoch started, wrapped at a day as Python's
 * timedelta.seconds does; 0 when s is 0.
 */
double epoch_avail_so_far(const struct epoch_params *p, double avail_seconds, int64_t now_us);

/*
 * How many recent heartbeats a tracker keeps to place late ones exactly.
 * A heartbeat older than all of them (16 x 10 s = 160 s late in steady
 * state) cannot be placed and is refused as EPOCH_HB_TOO_LATE, where the
 * reference (which keeps every timestamp) would still count it.
 */
#define EPOCH_TRACKER_WINDOW 16

/*
 * One node's heartbeats in one epoch, in constant memory (about 200 bytes):
 * O(1) for a heartbeat newer than the last, O(window) for a late one.
 * Embedded object: epoch_tracker_init, no release needed.
 */
struct epoch_tracker {
	int64_t epoch_id;
	/* The newest distinct heartbeats, ascending. */
	int64_t recent[EPOCH_TRACKER_WINDOW];
	/* Runs closed before the run that holds recent[0], summed in order. */
	double frozen_avail;
	int64_t frozen_seg_start; /* start of the run holding recent[0] */
	/* The same, up to the newest heartbeat. */
	double avail;
	int64_t seg_start; /* start of the run holding the newest */
	uint32_t n_recent;
	bool dropped;                               /* older heartbeats left the window */
	uint32_t count;                             /* distinct heartbeats registered */
	uint32_t duplicates, other_epoch, too_late; /* refused, by reason */
};

enum epoch_hb {
	EPOCH_HB_REGISTERED,
	EPOCH_HB_DUPLICATE,   /* same microsecond already registered */
	EPOCH_HB_OTHER_EPOCH, /* not in the tracker's epoch */
	EPOCH_HB_TOO_LATE,    /* older than the window (see above) */
};

/* An empty tracker for epoch `epoch_id` (what the reference does for a new node). */
void epoch_tracker_init(struct epoch_tracker *t, int64_t epoch_id);
/* Start over in a new epoch (after reading the closed epoch's record). */
void epoch_tracker_reset(struct epoch_tracker *t, int64_t epoch_id);
/*
 * Register one heartbeat time.  The caller keeps the tracker's epoch equal
 * to the oracle's current epoch (reset at each epoch change), so "is in the
 * tracker's epoch" is the reference's "remote epoch == local epoch".
 */
enum epoch_hb epoch_tracker_add(struct epoch_tracker *t, const struct epoch_params *p,
                                int64_t hb_utc_us);
/* avail_seconds of what is registered. */
double epoch_tracker_avail_seconds(const struct epoch_tracker *t);
/* The stored value 0..255 of what is registered; *fraction gets avail if not NULL. */
int epoch_tracker_record(const struct epoch_tracker *t, const struct epoch_params *p,
                         double *fraction);

/*
 * The reference's pack_epoch_availabilities: "0x" + one hex byte per value,
 * appended to out.  R1_ERR_INVAL "Invalid epoch availability value: 256"
 * for a value outside 0..255.
 */
enum r1_err epoch_pack_availabilities(const int64_t *vals, size_t n, struct buf *out, char **why);
/*
 * The reference's validate_epoch_availability_range: the epochs must be
 * as many as the values, at least one, and contiguous ascending; gives the
 * first and last.  R1_ERR_INVAL with the reference's message.
 */
enum r1_err epoch_validate_range(const int64_t *epochs, size_t n_epochs, size_t n_vals,
                                 int64_t *from_epoch, int64_t *to_epoch, char **why);

#endif
