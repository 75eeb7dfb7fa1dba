/*
 * Sending heartbeats (orchestrator._maybe_send_heartbeat): the status of
 * this machine and node, v2-encoded, on <root>/ctrl.  A forced one
 * (FULL_HEARTBEAT and friends) carries INITIATOR_ID and restarts the period,
 * as the reference's does.
 */
#include "node/nodepriv.h"
#include "node/heartbeat.h"
#include "node/nodetime.h"
#include "node/compute/compute.h"
#include "core/hbcodec.h"
#include "core/loop.h"
#include "core/proto.h"
#include "core/clock.h"

#define LOG_LINES_SENT 200

static json_t *log_lines(struct r1_log *lg, bool errors_only)
{
	json_t *a = json_array();
	if (!lg || !a)
		return a;
	struct r1_log_line *lines = r1_calloc(LOG_LINES_SENT, sizeof(*lines));
	if (!lines)
		return a;
	uint64_t last = 0;
	size_t n = r1_log_recent(lg, lines, LOG_LINES_SENT, 0, &last);
	for (size_t i = 0; i < n; i++) {
		if (errors_only && lines[i].level > R1_LOG_WARN)
			continue;
		char ts[32];
		nodetime_format(
		    (int64_t)lines[i].when.tv_sec * 1000000 + lines[i].when.tv_nsec / 1000, ts);
		char text[320];
		snprintf(text, sizeof(text), "[%s] %s %s", ts, r1_log_level_name(lines[i].level),
		         lines[i].text);
		json_array_append_new(a, json_string(text));
	}
	r1_free(lines);
	return a;
}

static char *timers_text(struct node *n)
{
	struct buf b = BUF_INIT;
	json_t *ap = pluginhost_active_plugins(n->host);
	size_t pipes = 0;
	for (struct pipeline_rt *p = n->pipes; p; p = p->next)
		pipes++;
	buf_addf(&b, "r1console %s node '%s': %zu pipelines, %zu plugin instances\n",
	         PACKAGE_VERSION, n->alias, pipes, pluginhost_count(n->host));
	size_t i;
	json_t *e;
	json_array_foreach(ap, i, e)
	    buf_addf(&b, "  %s/%s/%s: %" JSON_INTEGER_FORMAT " iterations\n",
	             json_string_value(json_object_get(e, "STREAM_ID")),
	             json_string_value(json_object_get(e, "SIGNATURE")),
	             json_string_value(json_object_get(e, "INSTANCE_ID")),
	             json_integer_value(json_object_get(e, "CURRENT_EXEC_ITERATION")));
	json_decref(ap);
	size_t len;
	return buf_detach(&b, &len);
}

void node_heartbeat_send(struct node *n, const char *status, bool full_info, bool send_log,
                         const char *initiator, const char *session)
{
	(void)session;
	struct sysinfo s;
	node_sample(n, &s, &n->cpu);
	json_t *wl = node_whitelist(n);
	json_t *ap = pluginhost_active_plugins(n->host);
	double in_kb = 0, out_kb = 0;
	json_t *comm = node_comm_stats(n, &in_kb, &out_kb);
	json_t *dlog = send_log ? log_lines(n->log, false) : NULL;
	json_t *elog = send_log ? log_lines(n->log, true) : NULL;
	char *timers = full_info ? timers_text(n) : NULL;
	json_t *compute = n->compute ? compute_heartbeat_json(n->compute) : NULL;
	int64_t now = r1_wall_us();
	struct hb_inputs in = {
	    .now_wall = now,
	    .addr = n->id.addr,
	    .whitelist = wl,
	    .is_super = n->oracle,
	    .secured = n->secured,
	    .period_s = (n->heartbeat_ms + 999) / 1000,
	    .device_status = status,
	    .sys = &s,
	    .uptime_s = (double)(now - n->start_us) / 1e6,
	    .active_plugins = ap,
	    .comm_stats = comm,
	    .in_kb = in_kb,
	    .out_kb = out_kb,
	    .nr_payloads = pluginhost_take_payload_count(n->host),
	    .comm_relay = n->comm_relay,
	    .r1fs_id = n->r1fs_id,
	    .r1fs_online = n->r1fs_online,
	    .device_log = dlog,
	    .error_log = elog,
	    .timers = timers,
	    .main_loop_avg_s = n->loop_avg_s,
	    .comm_loop_avg_s = n->loop_avg_s,
	    .extra = compute,
	    .tags = n->tags,
	};
	json_t *st = hb_status_build(&in);
	json_t *wire = NULL;
	char *why = NULL;
	if (!st || hb_encode_v2(st, &wire, &why)) {
		LOG_E(n->log, "node", "%s: heartbeat not built: %s", n->alias,
		      why ? why : "out of memory");
	} else {
		json_object_set_new(wire, K_INITIATOR_ID,
		                    initiator ? json_string(initiator) : json_null());
		node_send(n, CHAN_HEARTBEATS, EVENT_HEARTBEAT, wire);
	}
	r1_free(why);
	r1_free(timers);
	json_decref(compute);
	json_decref(st);
	json_decref(wl);
	json_decref(ap);
	json_decref(comm);
	json_decref(dlog);
	json_decref(elog);
	if (initiator)
		node_heartbeat_rearm(n);
}

void node_heartbeat_rearm(struct node *n)
{
	if (n->beat_timer && n->started && !n->stopped)
		loop_timer_start(n->beat_timer, n->heartbeat_ms, n->heartbeat_ms);
}
