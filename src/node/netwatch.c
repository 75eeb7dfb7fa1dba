/*
 * The oracle's heartbeat registry and CURRENT_NETWORK builder (see
 * netwatch.h).  Each node costs a fixed digest plus its whitelist, so an
 * oracle can follow a large network; nothing here keeps whole heartbeats.
 */
#include "node/lib.h"
#include "node/netwatch.h"
#include "core/identity.h"
#include "core/proto.h"
#include "core/timefmt.h"

#include <math.h>

#define CPU_HISTORY         360 /* one hour of 10 s heartbeats */
#define EXCEPTION_MEMORY_US (3600LL * 1000000)

struct epoch_record {
	int64_t epoch;
	int record;
};

struct watched {
	char body[R1_ADDR_BODY_LEN + 1]; /* address without prefix */
	char eth[R1_ETH_ADDR_LEN + 1];
	int64_t last_seen_us;      /* receive time */
	int64_t last_exception_us; /* DEVICE_STATUS EXCEPTION seen */
	char *eeid, *version, *deployment, *last_remote_time, *node_tz, *node_utc;
	char *r1fs_id, *r1fs_relay, *comm_relay, *device_status;
	bool secured, is_super, r1fs_online, did;
	double main_loop_avg, uptime_s;
	double total_disk, avail_disk, total_mem, avail_mem, cpu_used;
	json_t *cores; /* CPU_NR_CORES as sent (null if absent) */
	int pipelines;
	json_t *whitelist, *comms, *tags;
	float cpu_hist[CPU_HISTORY];
	unsigned cpu_n, cpu_pos;
	struct epoch_tracker tracker;
	struct epoch_record hist[NETWATCH_EPOCHS_KEPT];
	unsigned hist_n, hist_pos;
};

struct netwatch {
	struct epoch_params ep;
	unsigned online_timeout_s;
	int64_t epoch;
	bool epoch_set;
	json_t *index; /* body -> integer position in nodes */
	struct watched **nodes;
	size_t n, cap;
};

struct netwatch *netwatch_new(const struct epoch_params *ep, unsigned online_timeout_s)
{
	struct netwatch *w = r1_calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->ep = *ep;
	w->online_timeout_s = online_timeout_s ? online_timeout_s : R1_ONLINE_TIMEOUT_S;
	w->index = json_object();
	if (!w->index) {
		r1_free(w);
		return NULL;
	}
	return w;
}

static void watched_free(struct watched *x)
{
	r1_free(x->eeid);
	r1_free(x->version);
	r1_free(x->deployment);
	r1_free(x->last_remote_time);
	r1_free(x->node_tz);
	r1_free(x->node_utc);
	r1_free(x->r1fs_id);
	r1_free(x->r1fs_relay);
	r1_free(x->comm_relay);
	r1_free(x->device_status);
	json_decref(x->cores);
	json_decref(x->whitelist);
	json_decref(x->comms);
	json_decref(x->tags);
	r1_free(x);
}

void netwatch_free(struct netwatch **wp)
{
	struct netwatch *w = *wp;
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		watched_free(w->nodes[i]);
	r1_free(w->nodes);
	json_decref(w->index);
	r1_free(w);
	*wp = NULL;
}

static void keep_record(struct watched *x, int64_t epoch, int record)
{
	x->hist[x->hist_pos] = (struct epoch_record){epoch, record};
	x->hist_pos = (x->hist_pos + 1) % NETWATCH_EPOCHS_KEPT;
	if (x->hist_n < NETWATCH_EPOCHS_KEPT)
		x->hist_n++;
}

void netwatch_tick(struct netwatch *w, int64_t now_us)
{
	int64_t e = epoch_id_at(&w->ep, now_us);
	if (!w->epoch_set) {
		w->epoch = e;
		w->epoch_set = true;
		return;
	}
	if (e == w->epoch)
		return;
	for (size_t i = 0; i < w->n; i++) {
		struct watched *x = w->nodes[i];
		if (x->tracker.epoch_id == w->epoch)
			keep_record(x, w->epoch, epoch_tracker_record(&x->tracker, &w->ep, NULL));
		epoch_tracker_reset(&x->tracker, e);
	}
	w->epoch = e;
}

int64_t netwatch_epoch(const struct netwatch *w)
{
	return w->epoch;
}

static struct watched *find(const struct netwatch *w, const char *addr)
{
	const char *body = addr_strip_prefix(addr);
	json_t *ix = json_object_get(w->index, body);
	if (!json_is_integer(ix))
		return NULL;
	return w->nodes[json_integer_value(ix)];
}

static void set_str(char **dst, const json_t *v)
{
	const char *s = json_string_value(v);
	r1_free(*dst);
	*dst = s ? r1_strdup(s) : NULL;
}

static double num(const json_t *v, double dflt)
{
	return json_is_number(v) ? json_number_value(v) : dflt;
}

/* net_mon.py::network_node_last_comm_info from the heartbeat's COMM_STATS. */
static json_t *comms_of(const json_t *hb)
{
	static const struct {
		const char *name, *short_name;
	} map[] = {{"HEARTBEATS", "HB"},
	           {"DEFAULT", "PAYL"},
	           {"COMMANDCONTROL", "CMD"},
	           {"NOTIFICATIONS", "NTIF"}};
	json_t *c = json_object();
	if (!c)
		return NULL;
	json_object_set_new(c, K_IN_KB, json_real(num(json_object_get(hb, K_IN_KB), -1)));
	json_object_set_new(c, K_OUT_KB, json_real(num(json_object_get(hb, K_OUT_KB), -1)));
	json_t *stats = json_object_get(hb, K_COMM_STATS);
	for (size_t i = 0; i < R1_ARRAY_LEN(map); i++) {
		json_t *s = json_object_get(stats, map[i].name);
		if (!json_is_object(s))
			continue;
		json_t *err = json_object_get(s, "ERROR");
		json_t *errtm = json_object_get(s, "ERRTM");
		json_t *fails = json_object_get(s, "FAILS");
		json_t *in = json_object_get(s, K_IN_KB), *out = json_object_get(s, K_OUT_KB);
		json_t *e = json_object();
		if (!e)
			break;
		json_object_set_new(
		    e, "ERR", json_is_string(errtm) ? json_incref(errtm) : json_string("Never"));
		json_object_set_new(e, "MSG",
		                    json_string(json_is_string(err) && json_string_length(err)
		                                    ? json_string_value(err)
		                                    : "OK"));
		json_object_set_new(e, "FAILS",
		                    json_is_integer(fails) ? json_incref(fails) : json_integer(0));
		json_object_set_new(e, K_IN_KB, in ? json_incref(in) : json_integer(-1));
		json_object_set_new(e, K_OUT_KB, out ? json_incref(out) : json_integer(-1));
		json_object_set_new(c, map[i].short_name, e);
	}
	return c;
}

static struct watched *add_node(struct netwatch *w, const char *body)
{
	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 64;
		struct watched **nv = r1_reallocarray(w->nodes, ncap, sizeof(*nv));
		if (!nv)
			return NULL;
		w->nodes = nv;
		w->cap = ncap;
	}
	struct watched *x = r1_calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	snprintf(x->body, sizeof(x->body), "%s", body);
	uint8_t pub[R1_PUB_LEN];
	if (addr_parse(body, strlen(body), pub, NULL) == R1_OK)
		eth_address_from_pub(pub, x->eth, NULL);
	epoch_tracker_init(&x->tracker, w->epoch);
	if (json_object_set_new(w->index, body, json_integer((json_int_t)w->n))) {
		r1_free(x);
		return NULL;
	}
	w->nodes[w->n++] = x;
	return x;
}

enum r1_err netwatch_heartbeat(struct netwatch *w, const json_t *hb, int64_t recv_us,
                               enum netwatch_hb *result, char **why)
{
	*result = NETWATCH_HB_NOT_COUNTED;
	const char *addr = json_string_value(json_object_get(hb, K_EE_SENDER));
	if (!addr)
		addr = json_string_value(json_object_get(hb, K_EE_ADDR));
	uint8_t pub[R1_PUB_LEN];
	if (!addr || addr_parse(addr, strlen(addr), pub, NULL) != R1_OK)
		return r1_fail(why, R1_ERR_INVAL, "heartbeat without a valid sender address");
	const char *ts = json_string_value(json_object_get(hb, K_EE_TIMESTAMP));
	const char *tz = json_string_value(json_object_get(hb, K_EE_TIMEZONE));
	int64_t hb_utc = 0;
	if (!ts)
		return r1_fail(why, R1_ERR_INVAL, "heartbeat without EE_TIMESTAMP");
	enum r1_err e = timefmt_heartbeat_utc(ts, strlen(ts), tz, &hb_utc, why);
	if (e)
		return e;
	netwatch_tick(w, recv_us);
	const char *body = addr_strip_prefix(addr);
	struct watched *x = find(w, body);
	if (!x && !(x = add_node(w, body)))
		return r1_fail(why, R1_ERR_NOMEM, "netwatch: out of memory");
	x->last_seen_us = recv_us;
	set_str(&x->eeid, json_object_get(hb, K_EE_ID));
	set_str(&x->version, json_object_get(hb, K_VERSION));
	set_str(&x->deployment, json_object_get(hb, "GIT_BRANCH"));
	set_str(&x->last_remote_time, json_object_get(hb, K_CURRENT_TIME));
	set_str(&x->node_tz, json_object_get(hb, K_EE_TZ));
	set_str(&x->node_utc, json_object_get(hb, K_EE_TIMEZONE));
	set_str(&x->r1fs_id, json_object_get(hb, K_R1FS_ID));
	set_str(&x->r1fs_relay, json_object_get(hb, K_R1FS_RELAY));
	set_str(&x->comm_relay, json_object_get(hb, K_COMM_RELAY));
	set_str(&x->device_status, json_object_get(hb, K_DEVICE_STATUS));
	if (x->device_status && strcmp(x->device_status, "EXCEPTION") == 0)
		x->last_exception_us = recv_us;
	x->secured = json_is_true(json_object_get(hb, K_SECURED));
	x->is_super = json_is_true(json_object_get(hb, K_EE_IS_SUPER));
	x->r1fs_online = json_is_true(json_object_get(hb, K_R1FS_ONLINE));
	x->did = json_is_true(json_object_get(hb, "DID"));
	x->main_loop_avg =
	    num(json_object_get(json_object_get(hb, K_LOOPS_TIMINGS), "main_loop_avg_time"), 1e10);
	x->uptime_s = num(json_object_get(hb, K_UPTIME), 0);
	x->total_disk = num(json_object_get(hb, K_TOTAL_DISK), 0);
	x->avail_disk = num(json_object_get(hb, K_AVAILABLE_DISK), 0);
	x->total_mem = num(json_object_get(hb, K_MACHINE_MEMORY), 0);
	x->avail_mem = num(json_object_get(hb, K_AVAILABLE_MEMORY), 0);
	x->cpu_used = num(json_object_get(hb, K_CPU_USED), 0);
	json_decref(x->cores);
	json_t *cores = json_object_get(hb, K_CPU_NR_CORES);
	x->cores = json_is_number(cores) ? json_incref(cores) : json_null();
	json_t *streams = json_object_get(hb, K_CONFIG_STREAMS);
	x->pipelines = json_is_array(streams) ? (int)json_array_size(streams) : 0;
	x->cpu_hist[x->cpu_pos] = (float)x->cpu_used;
	x->cpu_pos = (x->cpu_pos + 1) % CPU_HISTORY;
	if (x->cpu_n < CPU_HISTORY)
		x->cpu_n++;
	json_t *wl = json_object_get(hb, K_EE_WHITELIST);
	json_decref(x->whitelist);
	x->whitelist = json_is_array(wl) ? json_deep_copy(wl) : json_array();
	json_decref(x->comms);
	x->comms = comms_of(hb);
	json_decref(x->tags);
	x->tags = json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)hb, k, v) if (strncmp(k, "EE_NT_", 6) == 0)
	    json_object_set(x->tags, k, v);
	if (x->tracker.epoch_id != w->epoch)
		epoch_tracker_reset(&x->tracker, w->epoch);
	if (epoch_tracker_add(&x->tracker, &w->ep, hb_utc) == EPOCH_HB_REGISTERED)
		*result = NETWATCH_HB_COUNTED;
	return R1_OK;
}

static double last_seen_s(const struct watched *x, int64_t now_us)
{
	return (double)(now_us - x->last_seen_us) / 1e6;
}

static const char *working(const struct netwatch *w, const struct watched *x, int64_t now_us)
{
	if (x->last_exception_us && now_us - x->last_exception_us < EXCEPTION_MEMORY_US)
		return "PAST-EXCEPTION";
	if (last_seen_s(x, now_us) > w->online_timeout_s)
		return NETMON_WORKING_LOST;
	return x->device_status ? x->device_status : NETMON_WORKING_LOST;
}

const char *netwatch_working(const struct netwatch *w, const char *addr, int64_t now_us)
{
	const struct watched *x = find(w, addr);
	return x ? working(w, x, now_us) : NULL;
}

/* net_mon.py::exponential_score(0, right, val, right_is_better=True, normed=True) */
static double exponential_score(double right, double val)
{
	const int num_pts = 50;
	for (int s = 0; s < num_pts; s++) {
		int i = num_pts - 1 - s;
		double interval = right * i / (num_pts - 1);
		if (val >= interval) {
			double score = 100.0 - (99.0 * s) / (num_pts - 1);
			return score / 100.1;
		}
	}
	return 0;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *round_real(double x, int digits)
{
	return json_real(py_round_digits(x, digits));
}

static json_t *node_entry(const struct netwatch *w, const struct watched *x, int64_t now_us)
{
	const char *work = working(w, x, now_us);
	bool online = strcmp(work, DEVICE_STATUS_ONLINE) == 0;
	double seen = last_seen_s(x, now_us);
	bool recent = seen / 60.0 <= 15;
	double uptime_min = x->uptime_s / 60.0;
	const double min_uptime = 60; /* minutes */
	bool trusted = recent && online && x->uptime_s >= min_uptime * 60;
	double trust_val = exponential_score(min_uptime * 4, uptime_min);
	double trust = online ? py_round_digits(trust_val, 3) : 0;
	trust = trusted ? trust : 0;
	double score = 0;
	if (trusted && score == 0)
		score = 10;
	trusted = x->secured && trusted;
	double disk_prc = x->total_disk > 0 ? py_round_digits(x->avail_disk / x->total_disk, 3) : 0;
	double mem_prc = x->total_mem > 0 ? py_round_digits(x->avail_mem / x->total_mem, 3) : 0;
	double cpu_sum = 0;
	for (unsigned i = 0; i < x->cpu_n; i++)
		cpu_sum += x->cpu_hist[i];
	json_t *cpu_past1h = x->cpu_n ? round_real(cpu_sum / x->cpu_n, 2) : json_null();
	json_t *avail_cores = json_null(), *avg_cores = json_null();
	if (json_is_number(x->cores)) {
		double c = json_number_value(x->cores);
		json_decref(avail_cores);
		json_decref(avg_cores);
		avail_cores = json_real((1 - x->cpu_used / 100.0) * c);
		avg_cores = json_real(x->cpu_n ? (1 - cpu_sum / x->cpu_n / 100.0) * c : c);
	}
	struct buf up = BUF_INIT;
	timefmt_elapsed(x->uptime_s, false, &up, NULL);
	char addr[R1_ADDR_LEN + 1];
	snprintf(addr, sizeof(addr), R1_ADDR_PREFIX "%s", x->body);
	double freq = x->main_loop_avg == 0 ? 0 : 1 / (x->main_loop_avg + 1e-14);
	json_t *o = json_object();
	if (!o) {
		buf_release(&up);
		json_decref(cpu_past1h);
		json_decref(avail_cores);
		json_decref(avg_cores);
		return NULL;
	}
	int rc = 0;
#define SETN(k, v) rc |= json_object_set_new(o, (k), (v))
	SETN(NM_ADDRESS, json_string(addr));
	SETN(NM_ETH_ADDRESS, json_string(x->eth));
	SETN(NM_TRUSTED, json_boolean(trusted));
	SETN(NM_TRUST, json_real(trust));
	SETN(NM_SECURED, json_boolean(x->secured));
	SETN(NM_WHITELIST, json_deep_copy(x->whitelist));
	SETN(NM_TRUST_INFO, json_string("NORMAL_EVAL"));
	SETN(NM_IS_SUPERVISOR, json_boolean(x->is_super));
	SETN(NM_WORKING, json_string(work));
	SETN(NM_RECENT, json_boolean(recent));
	SETN(NM_DEPLOYMENT, json_string(x->deployment ? x->deployment : "Unknown"));
	SETN(NM_VERSION, str_or_null(x->version));
	SETN(NM_PY_VER, json_null());
	SETN(NM_LAST_REMOTE_TIME, str_or_null(x->last_remote_time));
	SETN(NM_NODE_TZ, str_or_null(x->node_tz));
	SETN(NM_NODE_UTC, str_or_null(x->node_utc));
	SETN(NM_R1FS_ID, str_or_null(x->r1fs_id));
	SETN(NM_R1FS_ONLINE, json_boolean(x->r1fs_online));
	SETN(NM_R1FS_RELAY, str_or_null(x->r1fs_relay));
	SETN(NM_COMM_RELAY, json_string(x->comm_relay ? x->comm_relay : ""));
	SETN(NM_MAIN_LOOP_AVG_TIME, json_real(py_round_digits(x->main_loop_avg, 4)));
	SETN(NM_MAIN_LOOP_FREQ, json_real(py_round_digits(freq, 2)));
	SETN(NM_PIPELINES_COUNT, json_integer(x->pipelines > 0 ? x->pipelines - 1 : -1));
	SETN(NM_UPTIME, json_string(buf_cstr(&up)));
	SETN(NM_LAST_SEEN_SEC, round_real(seen, 2));
	SETN(NM_AVAIL_DISK, json_real(x->avail_disk));
	SETN(NM_AVAIL_DISK_PRC, json_real(disk_prc));
	SETN(NM_TOTAL_DISK, json_real(x->total_disk));
	SETN(NM_IS_ALERT_DISK, json_boolean(disk_prc < 0.15));
	SETN(NM_TOTAL_MEM, json_real(x->total_mem));
	SETN(NM_AVAIL_MEM, json_real(x->avail_mem));
	SETN(NM_AVAIL_MEM_PRC, json_real(mem_prc));
	SETN(NM_IS_ALERT_RAM, json_boolean(mem_prc < 0.15));
	SETN(NM_TOTAL_CPU_CORES, json_incref(x->cores));
	SETN(NM_AVAIL_CPU_CORES, avail_cores);
	SETN(NM_AVG_AVAIL_CPU_CORES, avg_cores);
	SETN(NM_CPU_USED, json_real(x->cpu_used));
	SETN(NM_CPU_PAST1H, cpu_past1h);
	SETN(NM_CPU_TEMP, json_integer(-1));
	SETN(NM_CPU_TEMP_PAST1H, json_integer(-1));
	SETN(NM_GPU_LOAD_PAST1H, json_null());
	SETN(NM_GPU_MEM_PAST1H, json_null());
	SETN(NM_GPU_TEMP, json_null());
	SETN(NM_GPU_TEMP_PAST1H, json_null());
	SETN(NM_GPU_FAN, json_null());
	SETN(NM_GPU_FAN_PAST1H, json_null());
	SETN(NM_GPU_NAME, json_null());
	SETN(NM_SCORE, json_real(score));
	SETN(NM_EEID, str_or_null(x->eeid));
	SETN(NM_HAS_DID, json_boolean(x->did));
	SETN(NM_COMMS, x->comms ? json_deep_copy(x->comms) : json_object());
	SETN(NM_TAGS, x->tags ? json_deep_copy(x->tags) : json_object());
#undef SETN
	buf_release(&up);
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *netwatch_current_network(struct netwatch *w, int64_t now_us, bool only_online,
                                 bool (*allowed)(void *ctx, const char *addr), void *ctx)
{
	netwatch_tick(w, now_us);
	json_t *net = json_object();
	for (size_t i = 0; net && i < w->n; i++) {
		const struct watched *x = w->nodes[i];
		if (only_online && strcmp(working(w, x, now_us), DEVICE_STATUS_ONLINE) != 0 &&
		    !(allowed && allowed(ctx, x->body)))
			continue;
		json_t *e = node_entry(w, x, now_us);
		if (!e || json_object_set_new(net, x->body, e)) {
			json_decref(net);
			return NULL;
		}
	}
	return net;
}

bool netwatch_availability(const struct netwatch *w, const char *addr, int64_t epoch, int *record,
                           double *avail_seconds)
{
	const struct watched *x = find(w, addr);
	if (!x)
		return false;
	if (epoch == w->epoch && x->tracker.epoch_id == epoch) {
		if (record)
			*record = epoch_tracker_record(&x->tracker, &w->ep, NULL);
		if (avail_seconds)
			*avail_seconds = epoch_tracker_avail_seconds(&x->tracker);
		return true;
	}
	for (unsigned i = 0; i < x->hist_n; i++) {
		if (x->hist[i].epoch == epoch) {
			if (record)
				*record = x->hist[i].record;
			if (avail_seconds)
				*avail_seconds = -1;
			return true;
		}
	}
	return false;
}

size_t netwatch_count(const struct netwatch *w)
{
	return w->n;
}
