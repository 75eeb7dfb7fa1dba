/*
 * Epochs and availability: every case of epochs.json (networks, get_epoch_id,
 * pack_epoch_availabilities, validate_epoch_availability_range), epoch
 * bounds around genesis, Python's rounding, hand-computed heartbeat
 * timelines (steady, gaps, bursts, boundaries, duplicates, late arrivals,
 * exact 5 s and 15 s spacings), and random timelines checked bit for bit
 * against a line-by-line transcription of the reference's
 * __calculate_avail_seconds.
 */
#include "core/lib.h"
#include "core/epochs.h"
#include "core/timefmt.h"
#include "tests/tap.h"

#include <jansson.h>
#include <math.h>

#define US INT64_C(1000000)

static json_t *load_vectors(void)
{
	char *path = tap_vector_path("epochs.json");
	json_error_t err;
	json_t *v = json_load_file(path, 0, &err);
	if (!v)
		tap_bail("cannot parse %s: %s", path, err.text);
	free(path);
	return v;
}

static void test_degenerate(void)
{
	struct epoch_params p;
	char *why = NULL;
	is_int(epoch_params_custom(&p, "", 24, 3600, &why), R1_ERR_INVAL, "empty genesis refused");
	ok(why && strstr(why, "genesis"), "reason: %s", why ? why : "(none)");
	is_int(epoch_params_custom(&p, "2025-05-23 16:00:00", 0, 3600, &why), R1_ERR_INVAL,
	       "zero intervals refused");
	is_int(epoch_params_custom(&p, "2025-05-23 16:00:00", 24, -1, &why), R1_ERR_INVAL,
	       "negative interval refused");
	is_int(epoch_params_custom(&p, "2025-05-23 16:00:00", INT64_MAX, 2, &why), R1_ERR_INVAL,
	       "overflowing length refused");
	is_int(epoch_params_custom(&p, "2025-05-23 16:00:00.5", 24, 3600, &why), R1_ERR_INVAL,
	       "genesis with a fraction refused (strptime short format)");
	enum epoch_network net;
	is_int(epoch_network_parse("Mainnet", &net, &why), R1_ERR_INVAL, "network names are exact");
	is_int(epoch_network_parse(NULL, &net, &why), R1_ERR_INVAL, "NULL network refused");
	is_int(epoch_network_parse("devnet", &net, &why), R1_OK, "devnet known");
	is_int(net, EPOCH_NET_DEVNET, "devnet parsed");
	is_str(epoch_network_name(EPOCH_NET_TESTNET), "testnet", "testnet name");

	struct epoch_tracker t;
	epoch_tracker_init(&t, 0);
	epoch_params_for(&p, EPOCH_NET_MAINNET);
	ok(epoch_tracker_avail_seconds(&t) == 0.0, "empty tracker: 0 s");
	is_int(epoch_tracker_record(&t, &p, NULL), 0, "empty tracker: record 0");
	is_int(epoch_tracker_add(&t, &p, p.genesis_us), EPOCH_HB_REGISTERED, "first heartbeat");
	ok(epoch_tracker_avail_seconds(&t) == 0.0, "one heartbeat: 0 s");
	ok(sizeof(struct epoch_tracker) <= 256, "a tracker is small (%zu bytes)",
	   sizeof(struct epoch_tracker));
	r1_free(why);
}

static void test_networks(json_t *v)
{
	const char *names[] = {"mainnet", "testnet", "devnet"};
	for (size_t i = 0; i < R1_ARRAY_LEN(names); i++) {
		json_t *n = json_object_get(json_object_get(v, "networks"), names[i]);
		ok(n != NULL, "%s in vectors", names[i]);
		enum epoch_network net;
		is_int(epoch_network_parse(names[i], &net, NULL), R1_OK, "%s parsed", names[i]);
		struct epoch_params p, q;
		epoch_params_for(&p, net);
		const char *g = json_string_value(json_object_get(n, "genesis_utc"));
		is_int(epoch_params_custom(
		           &q, g, json_integer_value(json_object_get(n, "epoch_intervals")),
		           json_integer_value(json_object_get(n, "epoch_interval_seconds")), NULL),
		       R1_OK, "%s custom params from the vector", names[i]);
		is_int(p.genesis_us, q.genesis_us, "%s genesis", names[i]);
		is_int(p.length_s, json_integer_value(json_object_get(n, "epoch_length_seconds")),
		       "%s epoch length", names[i]);
		is_int(q.length_s, p.length_s, "%s intervals x seconds", names[i]);
		is_int(p.hb_min_gap_us, 5 * US, "%s: runs break below 5 s", names[i]);
		is_int(p.hb_max_gap_us, 15 * US, "%s: runs break above 15 s", names[i]);
	}
}

/* "2025-08-31T16:00:01+00:00" (the vectors' timezone-aware input). */
static int64_t iso_utc(const char *s)
{
	size_t n = strlen(s);
	if (n != 25 || strcmp(s + 19, "+00:00") != 0 || s[10] != 'T')
		tap_bail("unexpected ISO time %s", s);
	char tmp[20];
	memcpy(tmp, s, 19);
	tmp[10] = ' ';
	int64_t v;
	if (timefmt_parse(tmp, 19, TIMEFMT_SHORT, &v, NULL))
		tap_bail("cannot parse %s", s);
	return v;
}

static void test_epoch_id_cases(json_t *v)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(v, "epoch_id_cases"), i, c)
	{
		enum epoch_network net;
		if (epoch_network_parse(json_string_value(json_object_get(c, "network")), &net,
		                        NULL))
			tap_bail("epoch case %zu: unknown network", i);
		struct epoch_params p;
		epoch_params_for(&p, net);
		json_t *in = json_object_get(c, "input"), *res = json_object_get(c, "result");
		int64_t id = INT64_MIN;
		char *why = NULL;
		enum r1_err e;
		if (json_is_string(in)) {
			const char *s = json_string_value(in);
			e = epoch_id_of_text(&p, s, strlen(s), &id, &why);
		} else {
			id = epoch_id_at(
			    &p, iso_utc(json_string_value(json_object_get(in, "datetime_utc"))));
			e = R1_OK;
		}
		const char *note = json_string_value(json_object_get(c, "note"));
		if (json_is_null(res)) {
			is_int(e, R1_ERR_INVAL, "epoch case %zu (%s) fails", i, note);
		} else {
			is_int(e, R1_OK, "epoch case %zu (%s) computes", i, note);
			is_int(id, json_integer_value(res), "epoch case %zu (%s) id", i, note);
		}
		r1_free(why);
	}
	/* Error cases of the text path, as strptime refuses them. */
	struct epoch_params p;
	epoch_params_for(&p, EPOCH_NET_MAINNET);
	int64_t id;
	char *why = NULL;
	const char *bad[] = {"", "2026-11-27", "2026-11-27T10:00:00", "2026-02-30 10:00:00",
	                     "garbage.2026-11-27 10:00:00"};
	for (size_t k = 0; k < R1_ARRAY_LEN(bad); k++) {
		is_int(epoch_id_of_text(&p, bad[k], strlen(bad[k]), &id, &why), R1_ERR_INVAL,
		       "epoch of '%s' refused", bad[k]);
		ok(why != NULL, "with a reason: %s", why ? why : "(none)");
	}
	r1_free(why);
}

static void test_packing_cases(json_t *v)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(v, "availability_packing_cases"), i, c)
	{
		const char *fn = json_string_value(json_object_get(c, "function"));
		json_t *res = json_object_get(c, "result");
		const char *err = json_string_value(json_object_get(c, "error"));
		const char *want_msg = err ? strchr(err, ':') + 2 : NULL; /* after "ValueError: " */
		char *why = NULL;
		if (strcmp(fn, "pack_epoch_availabilities") == 0) {
			json_t *in = json_object_get(c, "input");
			size_t n = json_array_size(in);
			int64_t vals[16];
			for (size_t k = 0; k < n && k < 16; k++)
				vals[k] = json_integer_value(json_array_get(in, k));
			struct buf out = BUF_INIT;
			enum r1_err e = epoch_pack_availabilities(vals, n, &out, &why);
			if (json_is_null(res)) {
				is_int(e, R1_ERR_INVAL, "pack case %zu fails", i);
				is_str(why, want_msg, "pack case %zu message", i);
			} else {
				is_int(e, R1_OK, "pack case %zu", i);
				is_str(buf_cstr(&out), json_string_value(res), "pack case %zu hex",
				       i);
			}
			buf_release(&out);
		} else if (strcmp(fn, "validate_epoch_availability_range") == 0) {
			json_t *in = json_object_get(c, "input");
			json_t *ep = json_object_get(in, "epochs"),
			       *ev = json_object_get(in, "epochs_vals");
			int64_t epochs[16];
			size_t n = json_array_size(ep);
			for (size_t k = 0; k < n && k < 16; k++)
				epochs[k] = json_integer_value(json_array_get(ep, k));
			int64_t from = -1, to = -1;
			enum r1_err e =
			    epoch_validate_range(epochs, n, json_array_size(ev), &from, &to, &why);
			if (json_is_null(res)) {
				is_int(e, R1_ERR_INVAL, "range case %zu fails", i);
				is_str(why, want_msg, "range case %zu message", i);
			} else {
				is_int(e, R1_OK, "range case %zu", i);
				is_int(from, json_integer_value(json_array_get(res, 0)),
				       "range case %zu from", i);
				is_int(to, json_integer_value(json_array_get(res, 1)),
				       "range case %zu to", i);
			}
		} else {
			tap_bail("unknown packing function %s", fn);
		}
		r1_free(why);
	}
	/* The reference's other refusals. */
	char *why = NULL;
	int64_t from, to, e3[] = {12, 11, 10}, e2[] = {10, 11}, neg[] = {-1};
	is_int(epoch_validate_range(e2, 2, 3, &from, &to, &why), R1_ERR_INVAL, "length mismatch");
	is_str(why, "Epochs and availability values must have the same length.", "its message");
	is_int(epoch_validate_range(e3, 3, 3, &from, &to, &why), R1_ERR_INVAL, "descending range");
	is_str(why, "Epochs must form a contiguous range matching the availability values.",
	       "its message");
	int64_t e4[] = {10, 12, 12};
	is_int(epoch_validate_range(e4, 3, 3, &from, &to, &why), R1_ERR_INVAL,
	       "right span, wrong inside");
	is_str(why,
	       "Epochs must be sorted, contiguous, and gap-free for packed availability signing.",
	       "its message");
	struct buf out = BUF_INIT;
	is_int(epoch_pack_availabilities(neg, 1, &out, &why), R1_ERR_INVAL,
	       "negative value refused");
	is_str(why, "Invalid epoch availability value: -1", "its message");
	is_int(epoch_pack_availabilities(NULL, 0, &out, &why), R1_OK, "nothing packs to 0x");
	is_str(buf_cstr(&out), "0x", "empty pack");
	buf_release(&out);
	r1_free(why);
}

static void test_bounds(void)
{
	struct epoch_params p;
	epoch_params_for(&p, EPOCH_NET_MAINNET);
	int64_t g = p.genesis_us, day = 86400 * US;
	is_int(epoch_start_us(&p, 0), g, "epoch 0 starts at genesis");
	is_int(epoch_end_us(&p, 0), g + day, "epoch 0 ends a day later");
	is_int(epoch_start_us(&p, 552), g + 552 * day, "epoch 552 start");
	is_int(epoch_id_at(&p, g + 552 * day - 1), 551, "one microsecond before epoch 552");
	is_int(epoch_id_at(&p, g + 552 * day), 552, "first microsecond of epoch 552");
	is_int(epoch_time_to_next_us(&p, g), day, "at genesis a whole epoch remains");
	is_int(epoch_time_to_next_us(&p, g + 1), day - 1, "one microsecond later");
	is_int(epoch_time_to_next_us(&p, g + 552 * day + 3600 * US), day - 3600 * US,
	       "an hour into epoch 552");
	/* Before genesis: int() truncates toward zero. */
	is_int(epoch_id_at(&p, g - 3600 * US), 0, "an hour before genesis is epoch 0");
	is_int(epoch_id_at(&p, g - day + 1), 0, "just under an epoch before genesis is epoch 0");
	is_int(epoch_id_at(&p, g - day), -1, "exactly an epoch before genesis is epoch -1");
	is_int(epoch_id_at(&p, g - day - day / 2), -1, "1.5 epochs before genesis is epoch -1");
	is_int(epoch_time_to_next_us(&p, g - 3600 * US), day + 3600 * US,
	       "before genesis, epoch 0 lasts until genesis + length");
	int64_t now = g - day - day / 2;
	int64_t next = now + epoch_time_to_next_us(&p, now);
	is_int(next, g - day + 1, "epoch -1 ends where epoch 0 begins (g - len + 1us)");
	ok(epoch_id_at(&p, next) == 0 && epoch_id_at(&p, next - 1) == -1,
	   "the boundary is where the id changes");
	/* A custom short epoch, as tests and demos use. */
	struct epoch_params q;
	is_int(epoch_params_custom(&q, "2026-11-27 10:00:00", 1, 60, NULL), R1_OK, "60 s epochs");
	is_int(epoch_id_at(&q, q.genesis_us + 59999999), 0, "59.999999 s is epoch 0");
	is_int(epoch_id_at(&q, q.genesis_us + 60 * US), 1, "60 s is epoch 1");
	is_int(epoch_time_to_next_us(&q, q.genesis_us + 61 * US), 59 * US, "59 s to epoch 2");
}

static void test_rounding(void)
{
	static const struct {
		double x, want;
	} r0[] = {{0.5, 0},     {1.5, 2},       {2.5, 2},  {-0.5, 0}, {127.5, 128},
	          {126.5, 126}, {254.286, 254}, {0.51, 1}, {-1.5, -2}};
	for (size_t i = 0; i < R1_ARRAY_LEN(r0); i++)
		ok(py_round(r0[i].x) == r0[i].want, "round(%g) == %g", r0[i].x, r0[i].want);
	static const struct {
		double x;
		int nd;
		double want;
	} r4[] = {{0.00015, 4, 0.0001},
	          {0.00025, 4, 0.0003},
	          {0.00045, 4, 0.0004},
	          {5e-05, 4, 0.0001},
	          {0.9972222222222222, 4, 0.9972},
	          {0.25, 1, 0.2},
	          {0.35, 1, 0.3},
	          {2.675, 2, 2.67},
	          {1.0, 4, 1.0},
	          {0.0, 4, 0.0}};
	for (size_t i = 0; i < R1_ARRAY_LEN(r4); i++)
		ok(py_round_digits(r4[i].x, r4[i].nd) == r4[i].want, "round(%.17g, %d) == %.17g",
		   r4[i].x, r4[i].nd, r4[i].want);
	/* x 255, half to even on the double product (values from CPython). */
	static const struct {
		double f;
		int rec;
	} rec[] = {{0.5, 128},    {0.1, 26},   {0.3, 76},   {0.7, 178},    {0.9, 230},
	           {0.0098, 2},   {0.002, 1},  {0.0058, 1}, {0.9972, 254}, {0.0059, 2},
	           {0.9998, 255}, {0.0019, 0}, {1.0, 255},  {0.0, 0}};
	for (size_t i = 0; i < R1_ARRAY_LEN(rec); i++)
		is_int(epoch_avail_record(rec[i].f), rec[i].rec, "record of %g", rec[i].f);
	struct epoch_params p;
	epoch_params_custom(&p, "2026-01-01 00:00:00", 1, 10000, NULL);
	ok(epoch_avail_fraction(&p, 1.5) == 0.0001,
	   "1.5 s of 10000 s -> 0.0001 (0.00015 is below the tie)");
	ok(epoch_avail_fraction(&p, 2.5) == 0.0003,
	   "2.5 s of 10000 s -> 0.0003 (0.00025 is above the tie)");
	ok(epoch_avail_fraction(&p, 4.5) == 0.0004, "4.5 s of 10000 s -> 0.0004");

	/* Availability so far: seconds since the epoch start, wrapped at a day. */
	struct epoch_params d2;
	epoch_params_custom(&d2, "2026-01-01 00:00:00", 48, 3600, NULL);
	int64_t s = d2.genesis_us;
	ok(epoch_avail_so_far(&d2, 990, s + 1000 * US) == 0.99, "990 s of 1000 s so far");
	ok(epoch_avail_so_far(&d2, 50, s + (86400 + 100) * US) == 0.5,
	   "timedelta.seconds wraps at a day: 50 s of '100' s");
	ok(epoch_avail_so_far(&d2, 50, s + 999999) == 0.0, "no whole second elapsed: 0");
}

/* ------------------------------------------------------------ timelines */

/* A fresh 1-hour epoch at 2026-01-01 00:00:00 and a tracker on its epoch 0. */
static void hour_setup(struct epoch_params *p, struct epoch_tracker *t)
{
	if (epoch_params_custom(p, "2026-01-01 00:00:00", 1, 3600, NULL))
		tap_bail("params");
	epoch_tracker_init(t, 0);
}

static int add_s(struct epoch_tracker *t, const struct epoch_params *p, double secs)
{
	return epoch_tracker_add(t, p, p->genesis_us + (int64_t)llround(secs * 1e6));
}

static void add_range(struct epoch_tracker *t, const struct epoch_params *p, double from, double to,
                      double step)
{
	for (double s = from; s <= to + 1e-9; s += step)
		add_s(t, p, s);
}

static void test_timelines(void)
{
	struct epoch_params p;
	struct epoch_tracker t;

	hour_setup(&p, &t);
	add_range(&t, &p, 0, 3590, 10);
	ok(epoch_tracker_avail_seconds(&t) == 3590.0, "steady 10 s all epoch: 3590 s");
	double f;
	is_int(epoch_tracker_record(&t, &p, &f), 254, "steady: record 254");
	ok(f == 0.9972, "steady: avail 0.9972");
	is_int(t.count, 360, "360 heartbeats registered");

	hour_setup(&p, &t);
	add_range(&t, &p, 0, 1800, 10);
	is_int(epoch_tracker_record(&t, &p, &f), 128, "half the hour: 0.5 x 255 = 127.5 -> 128");

	hour_setup(&p, &t);
	add_range(&t, &p, 0, 1000, 10);
	add_range(&t, &p, 1016, 2000, 10);
	ok(epoch_tracker_avail_seconds(&t) == 1980.0, "a 16 s gap splits the run: 1000 + 980 s");
	is_int(epoch_tracker_record(&t, &p, NULL), 140, "gap: record round(0.55 x 255) = 140");

	hour_setup(&p, &t);
	add_range(&t, &p, 0, 1000, 10);
	add_range(&t, &p, 1015, 2000, 10);
	ok(epoch_tracker_avail_seconds(&t) == 1995.0, "a 15 s spacing keeps the run: 1995 s");

	hour_setup(&p, &t);
	add_range(&t, &p, 0, 1000, 10);
	add_s(&t, &p, 1015.000001);
	add_s(&t, &p, 1025.000001);
	ok(epoch_tracker_avail_seconds(&t) == 1010.0, "15.000001 s breaks: 1000 + 10 s");

	hour_setup(&p, &t);
	add_range(&t, &p, 0, 100, 5);
	ok(epoch_tracker_avail_seconds(&t) == 100.0, "5 s spacing is allowed: 100 s");

	hour_setup(&p, &t);
	add_s(&t, &p, 0);
	add_s(&t, &p, 10);
	add_s(&t, &p, 14.999999);
	add_s(&t, &p, 24.999999);
	ok(epoch_tracker_avail_seconds(&t) == 20.0, "4.999999 s breaks: 10 + 10 s");

	hour_setup(&p, &t);
	add_range(&t, &p, 0, 300, 10);
	add_s(&t, &p, 303); /* forced heartbeat, 3 s after one and 7 s before the next */
	add_range(&t, &p, 310, 600, 10);
	ok(epoch_tracker_avail_seconds(&t) == 597.0, "a burst breaks the run: 300 + 297 s");
	is_int(epoch_tracker_record(&t, &p, &f), 42, "burst: record round(0.1658 x 255) = 42");

	hour_setup(&p, &t);
	add_range(&t, &p, 0, 600, 10);
	add_s(&t, &p, 600.5);
	ok(epoch_tracker_avail_seconds(&t) == 600.0, "a trailing burst adds an empty run: 600 s");

	/* Epoch boundaries: a tracker on epoch 1 ignores epochs 0 and 2. */
	epoch_params_custom(&p, "2026-01-01 00:00:00", 1, 3600, NULL);
	epoch_tracker_init(&t, 1);
	is_int(add_s(&t, &p, 3580), EPOCH_HB_OTHER_EPOCH, "a heartbeat of epoch 0 is ignored");
	is_int(add_s(&t, &p, 3599.999999), EPOCH_HB_OTHER_EPOCH,
	       "the last microsecond of epoch 0 too");
	add_range(&t, &p, 3600, 7190, 10);
	is_int(add_s(&t, &p, 7200), EPOCH_HB_OTHER_EPOCH,
	       "the first microsecond of epoch 2 is ignored");
	ok(epoch_tracker_avail_seconds(&t) == 3590.0, "epoch 1 counts only its own: 3590 s");
	is_int(t.other_epoch, 3, "three heartbeats outside the epoch counted");
	epoch_tracker_reset(&t, 2);
	is_int(add_s(&t, &p, 7200), EPOCH_HB_REGISTERED, "after the reset, epoch 2 counts");
	is_int(t.count, 1, "reset empties the tracker");

	/* The reference's truncation: half an hour before genesis is epoch 0. */
	hour_setup(&p, &t);
	is_int(add_s(&t, &p, -1800), EPOCH_HB_REGISTERED,
	       "30 min before genesis registers in epoch 0");
	is_int(add_s(&t, &p, -3600), EPOCH_HB_OTHER_EPOCH, "a whole epoch before genesis does not");

	/* Duplicates. */
	hour_setup(&p, &t);
	add_range(&t, &p, 0, 100, 10);
	is_int(add_s(&t, &p, 100), EPOCH_HB_DUPLICATE, "the same microsecond twice is a duplicate");
	is_int(add_s(&t, &p, 50), EPOCH_HB_DUPLICATE, "a late duplicate too");
	is_int(add_s(&t, &p, 100.000001), EPOCH_HB_REGISTERED, "one microsecond later is new");
	ok(epoch_tracker_avail_seconds(&t) == 100.0,
	   "duplicates ignored; the 1 us heartbeat breaks: 100 s");
	is_int(t.duplicates, 2, "two duplicates counted");

	/* Late arrivals. */
	hour_setup(&p, &t);
	double order[] = {0, 20, 10, 30, 50, 40, 60, 80, 70, 90, 100};
	for (size_t i = 0; i < R1_ARRAY_LEN(order); i++)
		add_s(&t, &p, order[i]);
	ok(epoch_tracker_avail_seconds(&t) == 100.0,
	   "swapped pairs give the in-order result: 100 s");

	hour_setup(&p, &t);
	add_range(&t, &p, 0, 30, 10);
	is_int(add_s(&t, &p, 25), EPOCH_HB_REGISTERED, "late 25 s registers");
	ok(epoch_tracker_avail_seconds(&t) == 30.0, "late 25 s: spacings 5 and 5 keep the run");
	is_int(add_s(&t, &p, 23), EPOCH_HB_REGISTERED, "late 23 s registers");
	ok(epoch_tracker_avail_seconds(&t) == 25.0,
	   "late 23 s: 20->23 and 23->25 break: 20 + 0 + 5 s");

	hour_setup(&p, &t);
	add_range(&t, &p, 0, 20, 10);
	add_range(&t, &p, 40, 50, 10);
	ok(epoch_tracker_avail_seconds(&t) == 30.0, "a 20 s hole: 20 + 10 s");
	add_s(&t, &p, 30);
	ok(epoch_tracker_avail_seconds(&t) == 50.0, "the late heartbeat fills the hole: 50 s");

	hour_setup(&p, &t);
	add_s(&t, &p, 100);
	add_s(&t, &p, 110);
	add_s(&t, &p, 90);
	add_s(&t, &p, 80);
	ok(epoch_tracker_avail_seconds(&t) == 30.0,
	   "late heartbeats before the first: 80..110 = 30 s");

	hour_setup(&p, &t);
	add_range(&t, &p, 0, 390, 10);
	is_int(add_s(&t, &p, 5), EPOCH_HB_TOO_LATE, "older than the window: refused");
	is_int(t.too_late, 1, "counted as too late");
	ok(epoch_tracker_avail_seconds(&t) == 390.0, "too late changes nothing: 390 s");
	is_int(add_s(&t, &p, 385), EPOCH_HB_REGISTERED, "late within the window");
	ok(epoch_tracker_avail_seconds(&t) == 390.0,
	   "385 s between 380 and 390: 5 + 5 keep the run");
	is_int(add_s(&t, &p, 383), EPOCH_HB_REGISTERED, "late 383 s");
	ok(epoch_tracker_avail_seconds(&t) == 385.0,
	   "383 s breaks 380->383 and 383->385: 380 + 0 + 5 s");
	is_int(add_s(&t, &p, 380), EPOCH_HB_DUPLICATE, "a late duplicate inside the window");
}

/* ------------------------------------------------------------ reference model */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/*
 * __calculate_avail_seconds over sorted(set(timestamps)), line by line:
 * float deltas compared with time_between_heartbeats + 5 and / 2.
 */
static double reference_avail(int64_t *ts, size_t n, double hb)
{
	qsort(ts, n, sizeof(*ts), cmp_i64);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || ts[u - 1] != ts[i])
			ts[u++] = ts[i];
	if (u <= 1)
		return 0;
	double avail = 0;
	int64_t start = ts[0], end = ts[0];
	for (size_t i = 1; i < u; i++) {
		double delta = (double)(ts[i] - ts[i - 1]) / 1e6;
		if (delta > (hb + 5) || delta < (hb / 2)) {
			avail += (double)(end - start) / 1e6;
			start = ts[i];
		}
		end = ts[i];
	}
	avail += (double)(end - start) / 1e6;
	return avail;
}

static uint64_t rng_state = 0x243f6a8885a308d3u;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_random_timelines(void)
{
	struct epoch_params p;
	epoch_params_for(&p, EPOCH_NET_DEVNET);
	int mismatches = 0, records_off = 0, too_late = 0;
	enum { N = 400, ROUNDS = 300 };
	for (int round = 0; round < ROUNDS; round++) {
		int64_t gen[N + N / 4], arrive[N + N / 4], registered[N + N / 4];
		size_t n = 0;
		int64_t t = p.genesis_us + (int64_t)(rnd() % 1000) * US;
		while (n < N) {
			uint64_t r = rnd() % 100;
			int64_t step = 10 * US + (int64_t)(rnd() % 6000001) - 3000000; /* 7..13 s */
			if (r < 4)
				step +=
				    3 * US + (int64_t)(rnd() % (20 * US)); /* a gap, maybe > 15 s */
			t += step;
			gen[n++] = t;
			if (r >= 96 && r < 99) /* a burst right after */
				gen[n++] = t + 1 + (int64_t)(rnd() % (6 * US));
			if (r == 99) /* an exact duplicate */
				gen[n++] = t;
		}
		/* Deliver with bounded reordering: shuffle inside blocks of 8. */
		memcpy(arrive, gen, n * sizeof(*arrive));
		for (size_t b = 0; b < n; b += 8) {
			size_t len = R1_MIN((size_t)8, n - b);
			for (size_t i = len; i > 1; i--) {
				size_t j = rnd() % i;
				int64_t tmp = arrive[b + i - 1];
				arrive[b + i - 1] = arrive[b + j];
				arrive[b + j] = tmp;
			}
		}
		struct epoch_tracker tr;
		epoch_tracker_init(&tr, epoch_id_at(&p, arrive[0]));
		size_t nreg = 0;
		for (size_t i = 0; i < n; i++) {
			enum epoch_hb r = epoch_tracker_add(&tr, &p, arrive[i]);
			if (r == EPOCH_HB_REGISTERED || r == EPOCH_HB_DUPLICATE)
				registered[nreg++] = arrive[i];
			if (r == EPOCH_HB_TOO_LATE)
				too_late++;
		}
		double want = reference_avail(registered, nreg, 10);
		double got = epoch_tracker_avail_seconds(&tr);
		if (memcmp(&want, &got, sizeof(double)) != 0 && mismatches++ < 3)
			tap_diag("round %d: reference %.17g, tracker %.17g", round, want, got);
		int want_rec = epoch_avail_record(py_round_digits(want / (double)p.length_s, 4));
		if (want_rec != epoch_tracker_record(&tr, &p, NULL))
			records_off++;
	}
	is_int(too_late, 0, "bounded reordering never falls out of the window");
	is_int(mismatches, 0, "%d random timelines: avail_seconds equal the reference bit for bit",
	       ROUNDS);
	is_int(records_off, 0, "and so do the records");

	/* A whole mainnet day with microsecond jitter, in order. */
	epoch_params_for(&p, EPOCH_NET_MAINNET);
	static int64_t day[8700];
	struct epoch_tracker tr;
	epoch_tracker_init(&tr, 100);
	size_t n = 0;
	for (int64_t s = epoch_start_us(&p, 100); n < 8640; n++) {
		day[n] = s + (int64_t)(rnd() % 200000);
		epoch_tracker_add(&tr, &p, day[n]);
		s += 10 * US;
	}
	double want = reference_avail(day, n, 10), got = epoch_tracker_avail_seconds(&tr);
	ok(memcmp(&want, &got, sizeof(double)) == 0, "a jittered day: %.17g s (reference %.17g)",
	   got, want);
	is_int(epoch_tracker_record(&tr, &p, NULL),
	       epoch_avail_record(py_round_digits(want / 86400.0, 4)), "a jittered day: record");
}

int main(void)
{
	json_t *v = load_vectors();
	test_degenerate();
	test_networks(v);
	test_epoch_id_cases(v);
	test_packing_cases(v);
	test_bounds();
	test_rounding();
	test_timelines();
	test_random_timelines();
	json_decref(v);
	return tap_done();
}
