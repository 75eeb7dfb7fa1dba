/*
 * The oracle's registry: epochs of received heartbeats against epochs.json,
 * availability of synthetic heartbeat timelines against hand-computed
 * values (steady, gaps, bursts, duplicates, time zones, epoch boundaries,
 * heartbeats from another epoch), and the CURRENT_NETWORK entries (fields,
 * ONLINE / LOST STATUS after the timeout, only-online filtering).
 */
#include "node/lib.h"
#include "node/netwatch.h"
#include "core/epochs.h"
#include "core/proto.h"
#include "core/timefmt.h"
#include "tests/tap.h"

#include <jansson.h>

#define K1 "0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN"
#define K2 "0xai_A-4c9iEg0NInyQDnMeifin2zlWtlIAb8cTjc3bnyjs_r"
#define US 1000000LL

static struct epoch_params EP;

static int64_t utc_of(const char *text)
{
	int64_t t = 0;
	if (timefmt_parse(text, strlen(text), TIMEFMT_FULL, &t, NULL) &&
	    timefmt_parse(text, strlen(text), TIMEFMT_SHORT, &t, NULL))
		tap_bail("bad time %s", text);
	return t;
}

/* A heartbeat of `addr` whose EE_TIMESTAMP is utc shifted into zone `hours`. */
static json_t *hb_at(const char *addr, int64_t utc, int hours)
{
	char ts[TIMEFMT_TEXT_SIZE], tz[16];
	timefmt_format(utc + (int64_t)hours * 3600 * US, TIMEFMT_FULL, ts, NULL);
	snprintf(tz, sizeof(tz), "UTC%+d", hours);
	return json_pack(
	    "{s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:f,s:f,s:f,s:i,s:f,s:[s],s:s,s:f}", K_EE_SENDER, addr,
	    K_EE_ID, "n1", K_EE_TIMESTAMP, ts, K_EE_TIMEZONE, tz, K_DEVICE_STATUS, "ONLINE",
	    K_SECURED, 1, K_EE_IS_SUPER, 0, K_MACHINE_MEMORY, 16.0, K_AVAILABLE_MEMORY, 8.0,
	    K_CPU_USED, 25.0, K_CPU_NR_CORES, 4, K_UPTIME, 7200.0, K_EE_WHITELIST,
	    "AmksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8", K_VERSION, "v", K_TOTAL_DISK, 100.0);
}

static void feed(struct netwatch *w, const char *addr, int64_t utc, int hours, int64_t recv,
                 enum netwatch_hb *res)
{
	json_t *hb = hb_at(addr, utc, hours);
	char *why = NULL;
	enum netwatch_hb r;
	if (netwatch_heartbeat(w, hb, recv, &r, &why))
		tap_bail("heartbeat refused: %s", why);
	if (res)
		*res = r;
	json_decref(hb);
}

static double avail_now(struct netwatch *w, const char *addr, int *record)
{
	double s = -2;
	if (!netwatch_availability(w, addr, netwatch_epoch(w), record, &s))
		return -1;
	return s;
}

static void test_epoch_ids(void)
{
	char *path = tap_vector_path("epochs.json");
	char *text = tap_read_file(path, NULL);
	json_t *doc = json_loads(text, 0, NULL);
	free(text);
	free(path);
	if (!doc)
		tap_bail("epochs.json unreadable");
	size_t i;
	json_t *c;
	int n = 0;
	json_array_foreach(json_object_get(doc, "epoch_id_cases"), i, c)
	{
		const char *input = json_string_value(json_object_get(c, "input"));
		const char *net = json_string_value(json_object_get(c, "network"));
		if (!input || !json_is_integer(json_object_get(c, "result")))
			continue; /* datetime objects and error cases are epochs.h's business */
		enum epoch_network en;
		epoch_network_parse(net, &en, NULL);
		struct epoch_params ep;
		epoch_params_for(&ep, en);
		struct netwatch *w = netwatch_new(&ep, 60);
		int64_t t = utc_of(input);
		feed(w, K1, t, 0, t, NULL);
		is_int(netwatch_epoch(w), json_integer_value(json_object_get(c, "result")),
		       "%s %s: the oracle's epoch", net, input);
		netwatch_free(&w);
		n++;
	}
	ok(n >= 12, "%d epoch cases replayed", n);
	json_decref(doc);
}

static void test_timelines(void)
{
	int64_t e0 = epoch_start_us(&EP, 552);
	int64_t t0 = e0 + 3600 * US;
	enum netwatch_hb res;
	int record = -1;

	/* steady 10 s for an hour: 361 heartbeats, 3600 s */
	struct netwatch *w = netwatch_new(&EP, 60);
	for (int i = 0; i <= 360; i++)
		feed(w, K1, t0 + i * 10 * US, 0, t0 + i * 10 * US + 50000, NULL);
	ok(avail_now(w, K1, &record) == 3600.0, "steady hour: 3600 s");
	is_int(record, 11, "record round(round(3600/86400, 4) * 255) = 11");
	is_int(netwatch_count(w), 1, "one node");
	netwatch_free(&w);

	/* a 60 s gap splits the run */
	w = netwatch_new(&EP, 60);
	for (int i = 0; i <= 60; i++)
		feed(w, K1, t0 + i * 10 * US, 0, t0 + i * 10 * US, NULL);
	int64_t t1 = t0 + 600 * US + 60 * US;
	for (int i = 0; i <= 60; i++)
		feed(w, K1, t1 + i * 10 * US, 0, t1 + i * 10 * US, NULL);
	ok(avail_now(w, K1, NULL) == 1200.0, "two 600 s runs around a gap: 1200 s");
	netwatch_free(&w);

	/* a forced heartbeat 2 s after a regular one closes the run */
	w = netwatch_new(&EP, 60);
	int64_t burst[] = {0, 10, 20, 22, 32, 42};
	for (size_t i = 0; i < R1_ARRAY_LEN(burst); i++)
		feed(w, K1, t0 + burst[i] * US, 0, t0 + burst[i] * US, NULL);
	ok(avail_now(w, K1, NULL) == 40.0, "0..20 and 22..42: 20 + 20 s");
	netwatch_free(&w);

	/* 15 s spacing still counts, 15.5 s does not; 5 s counts, 4.9 s does not */
	w = netwatch_new(&EP, 60);
	feed(w, K1, t0, 0, t0, NULL);
	feed(w, K1, t0 + 15 * US, 0, t0 + 15 * US, NULL);
	feed(w, K1, t0 + 30500000, 0, t0 + 30500000, NULL);
	feed(w, K1, t0 + 35500000, 0, t0 + 35500000, NULL);
	feed(w, K1, t0 + 40400000, 0, t0 + 40400000, NULL);
	ok(avail_now(w, K1, NULL) == 20.0, "15 s and 5 s spacings count, 15.5 s and 4.9 s break");
	netwatch_free(&w);

	/* duplicates are ignored */
	w = netwatch_new(&EP, 60);
	feed(w, K1, t0, 0, t0, &res);
	is_int(res, NETWATCH_HB_COUNTED, "first counted");
	feed(w, K1, t0, 0, t0 + US, &res);
	is_int(res, NETWATCH_HB_NOT_COUNTED, "the same EE_TIMESTAMP again is not");
	feed(w, K1, t0 + 10 * US, 0, t0 + 10 * US, NULL);
	ok(avail_now(w, K1, NULL) == 10.0, "10 s");
	netwatch_free(&w);

	/* EE_TIMEZONE shifts the time back to UTC */
	w = netwatch_new(&EP, 60);
	feed(w, K1, t0, 2, t0, NULL);
	feed(w, K1, t0 + 10 * US, -5, t0 + 10 * US, NULL);
	feed(w, K1, t0 + 20 * US, 0, t0 + 20 * US, NULL);
	ok(avail_now(w, K1, NULL) == 20.0, "UTC+2, UTC-5 and UTC+0 heartbeats form one run");
	netwatch_free(&w);

	/* epoch boundary: the closed epoch keeps its record */
	w = netwatch_new(&EP, 60);
	int64_t end = epoch_end_us(&EP, 552);
	feed(w, K1, end - 30 * US, 0, end - 30 * US, NULL);
	feed(w, K1, end - 20 * US, 0, end - 20 * US, NULL);
	feed(w, K1, end - 10 * US, 0, end - 10 * US, NULL);
	is_int(netwatch_epoch(w), 552, "still epoch 552");
	feed(w, K1, end, 0, end, &res);
	is_int(netwatch_epoch(w), 553, "epoch 553 after the boundary");
	is_int(res, NETWATCH_HB_COUNTED, "the first heartbeat of 553 counts");
	feed(w, K1, end + 10 * US, 0, end + 10 * US, NULL);
	double s = 0;
	ok(netwatch_availability(w, K1, 553, &record, &s) && s == 10.0,
	   "553 so far: 10 s (no run across the boundary)");
	ok(netwatch_availability(w, K1, 552, &record, NULL), "552 kept");
	is_int(record, 0, "552: 20 s of 86400 rounds to 0");
	ok(!netwatch_availability(w, K1, 540, &record, NULL), "an epoch never seen");
	/* a late heartbeat of the closed epoch does not count any more */
	feed(w, K1, end - 5 * US, 0, end + 15 * US, &res);
	is_int(res, NETWATCH_HB_NOT_COUNTED, "a heartbeat of the previous epoch is not counted");
	netwatch_free(&w);

	/* a whole epoch at 10 s: 8640 intervals = 86390 s of 86400 -> 255 */
	w = netwatch_new(&EP, 60);
	for (int64_t i = 0; i < 8640; i++)
		feed(w, K1, e0 + i * 10 * US, 0, e0 + i * 10 * US, NULL);
	ok(avail_now(w, K1, &record) == 86390.0, "full epoch: 86390 s");
	feed(w, K2, epoch_end_us(&EP, 552) + 1, 0, epoch_end_us(&EP, 552) + 1, NULL);
	netwatch_availability(w, K1, 552, &record, NULL);
	is_int(record, 255, "a full epoch records 255 (0.9999 x 255 = 254.97)");
	netwatch_free(&w);

	/* bad heartbeats */
	w = netwatch_new(&EP, 60);
	json_t *bad = json_pack("{s:s,s:s}", K_EE_SENDER, "0xai_nope", K_EE_TIMESTAMP,
	                        "2026-11-27 10:00:00.000000");
	char *why = NULL;
	is_int(netwatch_heartbeat(w, bad, t0, &res, &why), R1_ERR_INVAL, "bad sender refused");
	json_object_set_new(bad, K_EE_SENDER, json_string(K1));
	json_object_set_new(bad, K_EE_TIMESTAMP, json_string("yesterday"));
	is_int(netwatch_heartbeat(w, bad, t0, &res, &why), R1_ERR_INVAL, "bad timestamp refused");
	json_object_set_new(bad, K_EE_TIMESTAMP, json_string("2026-11-27 10:00:00.000000"));
	json_object_set_new(bad, K_EE_TIMEZONE, json_string("UTC--5"));
	is_int(netwatch_heartbeat(w, bad, t0, &res, &why), R1_ERR_INVAL, "bad zone refused");
	is_int(netwatch_count(w), 0, "nothing registered");
	json_decref(bad);
	r1_free(why);
	netwatch_free(&w);
}

static bool allow_k2(void *ctx, const char *addr)
{
	return strcmp(addr, K2 + 5) == 0;
}

static void test_current_network(void)
{
	int64_t t0 = epoch_start_us(&EP, 552) + 100 * US;
	struct netwatch *w = netwatch_new(&EP, 60);
	feed(w, K1, t0, 0, t0, NULL);
	feed(w, K2, t0 - 61 * US, 0, t0 - 61 * US, NULL);
	is_str(netwatch_working(w, K1, t0 + 5 * US), "ONLINE", "k1 ONLINE");
	is_str(netwatch_working(w, K2, t0 + 5 * US), "LOST STATUS",
	       "k2 silent > 60 s: LOST STATUS");
	ok(netwatch_working(w, "0xai_unknown", t0) == NULL, "unknown node");

	json_t *net = netwatch_current_network(w, t0 + 5 * US, false, NULL, NULL);
	is_int(json_object_size(net), 2, "both nodes");
	json_t *n1 = json_object_get(net, K1 + 5);
	ok(n1 != NULL, "keyed by address without prefix");
	is_str(json_string_value(json_object_get(n1, NM_ADDRESS)), K1, "address with prefix");
	is_str(json_string_value(json_object_get(n1, NM_ETH_ADDRESS)),
	       "0xEfA35469bB3609f89b32Ce7Db15A35d6ec8BdBB4", "eth address");
	is_str(json_string_value(json_object_get(n1, NM_EEID)), "n1", "eeid");
	is_str(json_string_value(json_object_get(n1, NM_WORKING)), "ONLINE", "working");
	ok(json_is_true(json_object_get(n1, NM_SECURED)), "secured");
	is_int(json_array_size(json_object_get(n1, NM_WHITELIST)), 1, "whitelist");
	is_str(json_string_value(json_object_get(n1, NM_UPTIME)), "02:00:00", "uptime text");
	ok(json_real_value(json_object_get(n1, NM_LAST_SEEN_SEC)) == 5.0, "last_seen_sec 5");
	ok(json_real_value(json_object_get(n1, NM_AVAIL_MEM_PRC)) == 0.5, "avail_mem_prc 0.5");
	ok(json_real_value(json_object_get(n1, NM_AVAIL_CPU_CORES)) == 3.0, "avail cores 3");
	ok(json_is_true(json_object_get(n1, NM_TRUSTED)), "2 h uptime, online, secured: trusted");
	ok(json_real_value(json_object_get(n1, NM_SCORE)) == 10.0, "SCORE 10 without a GPU");
	static const char *const fields[] = {NM_ADDRESS,
	                                     NM_ETH_ADDRESS,
	                                     NM_TRUSTED,
	                                     NM_TRUST,
	                                     NM_SECURED,
	                                     NM_WHITELIST,
	                                     NM_TRUST_INFO,
	                                     NM_IS_SUPERVISOR,
	                                     NM_WORKING,
	                                     NM_RECENT,
	                                     NM_DEPLOYMENT,
	                                     NM_VERSION,
	                                     NM_PY_VER,
	                                     NM_LAST_REMOTE_TIME,
	                                     NM_NODE_TZ,
	                                     NM_NODE_UTC,
	                                     NM_R1FS_ID,
	                                     NM_R1FS_ONLINE,
	                                     NM_R1FS_RELAY,
	                                     NM_COMM_RELAY,
	                                     NM_MAIN_LOOP_AVG_TIME,
	                                     NM_MAIN_LOOP_FREQ,
	                                     NM_PIPELINES_COUNT,
	                                     NM_UPTIME,
	                                     NM_LAST_SEEN_SEC,
	                                     NM_AVAIL_DISK,
	                                     NM_AVAIL_DISK_PRC,
	                                     NM_TOTAL_DISK,
	                                     NM_IS_ALERT_DISK,
	                                     NM_TOTAL_MEM,
	                                     NM_AVAIL_MEM,
	                                     NM_AVAIL_MEM_PRC,
	                                     NM_IS_ALERT_RAM,
	                                     NM_TOTAL_CPU_CORES,
	                                     NM_AVAIL_CPU_CORES,
	                                     NM_AVG_AVAIL_CPU_CORES,
	                                     NM_CPU_USED,
	                                     NM_CPU_PAST1H,
	                                     NM_CPU_TEMP,
	                                     NM_CPU_TEMP_PAST1H,
	                                     NM_GPU_LOAD_PAST1H,
	                                     NM_GPU_MEM_PAST1H,
	                                     NM_GPU_TEMP,
	                                     NM_GPU_TEMP_PAST1H,
	                                     NM_GPU_FAN,
	                                     NM_GPU_FAN_PAST1H,
	                                     NM_GPU_NAME,
	                                     NM_SCORE,
	                                     NM_EEID,
	                                     NM_HAS_DID,
	                                     NM_COMMS,
	                                     NM_TAGS};
	int missing = 0;
	for (size_t i = 0; i < R1_ARRAY_LEN(fields); i++)
		if (!json_object_get(n1, fields[i])) {
			tap_diag("missing %s", fields[i]);
			missing++;
		}
	is_int(missing, 0, "every per-node field of the reference is there");
	json_decref(net);

	net = netwatch_current_network(w, t0 + 5 * US, true, NULL, NULL);
	is_int(json_object_size(net), 1, "only online: k1");
	json_decref(net);
	net = netwatch_current_network(w, t0 + 5 * US, true, allow_k2, NULL);
	is_int(json_object_size(net), 2, "only online, but k2 is allowed by us");
	json_decref(net);
	net = netwatch_current_network(w, t0 + 120 * US, false, NULL, NULL);
	is_str(json_string_value(json_object_get(json_object_get(net, K1 + 5), NM_WORKING)),
	       "LOST STATUS", "k1 lost after 60 s of silence");
	json_decref(net);
	netwatch_free(&w);
}

int main(void)
{
	r1_alloc_setup_jansson();
	epoch_params_for(&EP, EPOCH_NET_MAINNET);
	test_epoch_ids();
	test_timelines();
	test_current_network();
	return tap_done();
}
