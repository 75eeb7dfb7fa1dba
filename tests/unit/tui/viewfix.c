/*
 * The console's fixed test network (see viewfix.h): identities from fixed
 * secrets, heartbeats through the real netmap, a NetConfig reply, stream
 * records through the model, all at fixed times.
 */
#include "tui/lib.h"
#include "tests/unit/tui/viewfix.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/netmap.h"
#include "core/session.h"
#include "tests/tap.h"

#include <time.h>

struct spec {
	const char *alias;
	bool oracle, peered, online;
	double cpu;
	int cores;
	double mem_total, mem_avail, disk_total, disk_avail;
	const char *gpu;
	const char *country;
};

static const struct spec specs[VIEWFIX_NODES] = {
    {"oracle-a", true, true, true, 12.5, 16, 64, 40, 1000, 600, NULL, "RO"},
    {"node-01", false, true, true, 95.2, 32, 128, 20, 2000, 1500, "NVIDIA RTX 4090", "DE"},
    {"node-02", false, true, true, 40, 8, 32, 16, 500, 100, NULL, "US"},
    {"node-03", false, true, false, 5, 4, 16, 8, 256, 200, NULL, "FR"},
    {VIEWFIX_EVIL_ALIAS, false, true, true, 1, 2, 4, 2, 100, 50, NULL, "XX"},
    {"node-05", false, false, true, 60, 64, 256, 100, 4000, 3000, "NVIDIA A100", "SG"},
};

static void identity(struct r1_identity *id, uint8_t seed)
{
	uint8_t secret[32];
	memset(secret, 0, sizeof(secret));
	secret[31] = seed;
	secret[0] = 0x42;
	if (identity_from_secret(id, secret, NULL))
		tap_bail("identity_from_secret");
}

static json_t *heartbeat(const struct viewfix *f, const struct spec *s, double uptime)
{
	json_t *wl = json_array();
	if (s->peered)
		json_array_append_new(wl, json_string(f->me.addr + 5));
	json_t *hb = json_pack(
	    "{s:s,s:s,s:s,s:s,s:b,s:b,s:o,s:f,s:i,s:f,s:f,s:f,s:f,s:f,s:s}", "EE_ID", s->alias,
	    "VERSION", "2.10.370 | core 7.7.322 | SDK 3.5.49", "DEVICE_STATUS", "ONLINE",
	    "EE_TIMEZONE", "UTC+0", "SECURED", 1, "EE_IS_SUPER", s->oracle, "EE_WHITELIST", wl,
	    "CPU_USED", s->cpu, "CPU_NR_CORES", s->cores, "MACHINE_MEMORY", s->mem_total,
	    "AVAILABLE_MEMORY", s->mem_avail, "TOTAL_DISK", s->disk_total, "AVAILABLE_DISK",
	    s->disk_avail, "UPTIME", uptime, "EE_NT_CT", s->country);
	if (s->gpu)
		json_object_set_new(hb, "GPUS",
		                    json_pack("[{s:s,s:f}]", "NAME", s->gpu, "TOTAL_MEM", 24.0));
	else
		json_object_set_new(hb, "GPUS", json_string("No GPU or GPU drivers not installed"));
	return hb;
}

static void beats(struct viewfix *f, int i, int64_t from_ms, int64_t to_ms)
{
	for (int64_t t = from_ms; t <= to_ms; t += 10000) {
		json_t *hb = heartbeat(f, &specs[i], 3 * 86400 + (double)(t - from_ms) / 1000);
		char *why = NULL;
		if (netmap_on_heartbeat(f->m.nm, f->nodes[i].addr, hb, t, t * 1000, &why))
			tap_bail("heartbeat: %s", why ? why : "?");
		json_decref(hb);
	}
}

static void netconfig(struct viewfix *f)
{
	json_t *data = json_pack(
	    "{s:s,s:[{s:s,s:s,s:s,s:s,s:[{s:s,s:[{s:s,s:i,s:s}]}]},"
	    "{s:s,s:s,s:s,s:[{s:s,s:[{s:s,s:i}]}]}],"
	    "s:[{s:s,s:s,s:s,s:s,s:n,s:i},{s:s,s:s,s:s,s:s,s:s,s:i}]}",
	    "OP", "SET_CONFIG", "PIPELINES", "NAME", "demo-echo", "TYPE", "Void", "INITIATOR_ID",
	    "ops-console", "INITIATOR_ADDR", f->me.addr, "PLUGINS", "SIGNATURE", "ECHO_01",
	    "INSTANCES", "INSTANCE_ID", "echo-1", "PROCESS_DELAY", 2, "MESSAGE", "hello", "NAME",
	    "health", "TYPE", "Void", "INITIATOR_ID", "ops-console", "PLUGINS", "SIGNATURE",
	    "SYSTEM_HEALTH_MONITOR_01", "INSTANCES", "INSTANCE_ID", "health-1", "PROCESS_DELAY", 15,
	    "PLUGIN_STATUSES", "STREAM_ID", "demo-echo", "SIGNATURE", "ECHO_01", "INSTANCE_ID",
	    "echo-1", "EXEC_TIMESTAMP", "2026-11-27 12:29:58.123456", "LAST_ERROR_TIME",
	    "TOTAL_PAYLOAD_COUNT", 42, "STREAM_ID", "health", "SIGNATURE",
	    "SYSTEM_HEALTH_MONITOR_01", "INSTANCE_ID", "health-1", "EXEC_TIMESTAMP",
	    "2026-11-27 12:29:45.000000", "LAST_ERROR_TIME", "2026-11-27 12:29:45.500000",
	    "TOTAL_PAYLOAD_COUNT", 7);
	char *why = NULL;
	if (!data || netmap_on_netconfig(f->m.nm, f->nodes[2].addr, data, f->now_ms - 5000, &why))
		tap_bail("netconfig: %s", why ? why : "pack");
	json_decref(data);
}

static void record(struct viewfix *f, enum stream_kind k, int node, int64_t t, json_t *body,
                   bool verified)
{
	struct stream_msg sm = {
	    .body = body,
	    .sender = f->nodes[node].addr,
	    .wire_len = 1234,
	    .verified = verified,
	    .reason = verified ? NULL : "hash mismatch",
	};
	if (!tui_model_add(&f->m, k, &sm, t))
		tap_bail("stream record");
	json_decref(body);
}

static void streams(struct viewfix *f)
{
	int64_t t = f->now_ms;
	record(f, STREAM_PAYLOADS, 2, t - 30000,
	       json_pack("{s:[s,s,s,s],s:s,s:i}", "EE_PAYLOAD_PATH", "node-02", "demo-echo",
	                 "ECHO_01", "echo-1", "MESSAGE", "hello", "COUNTER", 40),
	       true);
	record(f, STREAM_PAYLOADS, 2, t - 20000,
	       json_pack("{s:[s,s,s,s],s:s,s:i}", "EE_PAYLOAD_PATH", "node-02", "demo-echo",
	                 "ECHO_01", "echo-1", "MESSAGE", "hello", "COUNTER", 41),
	       true);
	record(f, STREAM_PAYLOADS, 4, t - 15000,
	       json_pack("{s:[s,s,s,s],s:s}", "EE_PAYLOAD_PATH", VIEWFIX_EVIL_ALIAS, "p\x1b[31m",
	                 "SIG", "i", "MESSAGE",
	                 "\x1b]0;pwned\x07"
	                 "boom\x1b[2J"),
	       false);
	record(f, STREAM_PAYLOADS, 2, t - 10000,
	       json_pack("{s:[s,s,s,s],s:f,s:i}", "EE_PAYLOAD_PATH", "node-02", "health",
	                 "SYSTEM_HEALTH_MONITOR_01", "health-1", "CPU_USED", 40.0, "CPU_CORES", 8),
	       true);
	record(f, STREAM_NOTIFICATIONS, 2, t - 25000,
	       json_pack("{s:[s,s,s,s],s:s,s:i,s:s}", "EE_PAYLOAD_PATH", "node-02", "demo-echo",
	                 "ECHO_01", "echo-1", "NOTIFICATION_TYPE", "NORMAL", "NOTIFICATION_CODE",
	                 100, "NOTIFICATION", "Instance echo-1 exec ok post config (itr 1)."),
	       true);
	record(f, STREAM_NOTIFICATIONS, 2, t - 5000,
	       json_pack("{s:[s,s,s,s],s:s,s:i,s:s}", "EE_PAYLOAD_PATH", "node-02", "health",
	                 "SYSTEM_HEALTH_MONITOR_01", "health-1", "NOTIFICATION_TYPE", "EXCEPTION",
	                 "NOTIFICATION_CODE", -2, "NOTIFICATION",
	                 "LOW DISK: 100.00 GB free of 500 GB"),
	       true);
}

void viewfix_init(struct viewfix *f)
{
	memset(f, 0, sizeof(*f));
	setenv("TZ", "UTC", 1);
	tzset();
	if (tui_model_init(&f->m))
		tap_bail("tui_model_init");
	identity(&f->me, 100);
	for (int i = 0; i < VIEWFIX_NODES; i++)
		identity(&f->nodes[i], (uint8_t)(i + 1));
	if (epoch_params_custom(&f->m.epochs, "2026-01-01 00:00:00", 1, 3600, NULL))
		tap_bail("epoch params");
	epoch_params_set_heartbeat(&f->m.epochs, 10 * 1000000);
	int64_t start = epoch_start_us(&f->m.epochs, 7932) / 1000;
	f->now_ms = start + 1800 * 1000;
	const char *oracles[] = {f->nodes[0].addr};
	struct netmap_options no = {
	    .self_addr = f->me.addr,
	    .oracles = oracles,
	    .n_oracles = 1,
	    .epochs = &f->m.epochs,
	};
	if (netmap_new(&no, &f->m.nm, NULL))
		tap_bail("netmap_new");
	/* the previous epoch: its last 20 minutes; the offline node 3 h ago */
	for (int i = 0; i < VIEWFIX_NODES; i++) {
		if (specs[i].online)
			beats(f, i, start - 1200 * 1000, start - 10000);
		else
			beats(f, i, f->now_ms - 3 * 3600 * 1000,
			      f->now_ms - 3 * 3600 * 1000 + 60000);
	}
	netmap_tick(f->m.nm, start + 1000);
	/* this epoch: the last five minutes */
	for (int i = 0; i < VIEWFIX_NODES; i++)
		if (specs[i].online)
			beats(f, i, f->now_ms - 300 * 1000, f->now_ms);
	netmap_tick(f->m.nm, f->now_ms);
	netconfig(f);
	streams(f);
	f->log = r1_log_new(0);
	r1_log_set_level(f->log, R1_LOG_DEBUG);
	LOG_I(f->log, "console", "network demo (6 nodes), identity %s", f->me.addr);
	LOG_W(f->log, "console", "node-03 lost: no heartbeat for 60 s");
	f->m.log = f->log;
	struct session_options so = {
	    .name = "ops-console", .timeout_ms = 60000, .netconfig_every_ms = UINT32_MAX};
	if (loop_new(&f->loop, NULL) || bus_hub_new(f->loop, 0, NULL, &f->hub, NULL) ||
	    bus_local_new(f->hub, "console", &f->bus, NULL) ||
	    session_new(f->loop, f->bus, &f->me, f->m.nm, NULL, f->log, &so, &f->m.sess, NULL))
		tap_bail("session");
	f->m.now_ms = f->now_ms;
	f->m.clock_fixed = true;
	snprintf(f->m.network, sizeof(f->m.network), "%s", "demo (6 nodes)");
	snprintf(f->m.broker, sizeof(f->m.broker), "%s", "in-process");
	snprintf(f->m.self_addr, sizeof(f->m.self_addr), "%s", f->me.addr);
	snprintf(f->m.self_alias, sizeof(f->m.self_alias), "%s", "ops-console");
}

void viewfix_release(struct viewfix *f)
{
	session_free(&f->m.sess);
	bus_free(&f->bus);
	bus_hub_free(&f->hub);
	loop_free(&f->loop);
	netmap_free(&f->m.nm);
	tui_model_release(&f->m);
	r1_log_free(&f->log);
	identity_wipe(&f->me);
	for (int i = 0; i < VIEWFIX_NODES; i++)
		identity_wipe(&f->nodes[i]);
}
