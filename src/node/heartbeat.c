/*
 * Heartbeat status objects (see heartbeat.h).  The field order follows the
 * reference's dict literal, so a Python reader that prints it sees what it
 * is used to.
 */
#include "node/lib.h"
#include "node/heartbeat.h"
#include "node/nodetime.h"
#include "core/proto.h"

#include <strings.h>

void hb_version_text(const char *platform, char *out, size_t cap)
{
	/* A long platform string is cut; the version prefix always fits. */
	if (snprintf(out, cap, "%s | %s | %s L-%s", PACKAGE_VERSION, PACKAGE_VERSION,
	             PACKAGE_VERSION, platform && *platform ? platform : "unknown") < 0 &&
	    cap)
		out[0] = '\0';
}

json_t *hb_env_tags(char **env)
{
	json_t *tags = json_object();
	for (char **e = env; tags && e && *e; e++) {
		if (strncmp(*e, "EE_NT_", 6) != 0)
			continue;
		const char *eq = strchr(*e, '=');
		if (!eq || eq == *e)
			continue;
		char key[64];
		size_t klen = (size_t)(eq - *e);
		if (klen >= sizeof(key))
			continue;
		memcpy(key, *e, klen);
		key[klen] = '\0';
		const char *v = eq + 1;
		if (!*v || strcmp(v, "None") == 0)
			continue;
		if (!strcasecmp(v, "true") || !strcmp(v, "1"))
			json_object_set_new(tags, key, json_true());
		else if (!strcasecmp(v, "false") || !strcmp(v, "0"))
			json_object_set_new(tags, key, json_false());
		else
			json_object_set_new(tags, key, json_string(v));
	}
	return tags;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *copy_or(const json_t *v, json_t *dflt)
{
	if (v) {
		json_decref(dflt);
		return json_deep_copy((json_t *)v);
	}
	return dflt;
}

/* GPUS as the reference lists a GPU it found (the fields a console reads). */
static json_t *gpus_list(const struct sysinfo *s)
{
	double total = s->gpu_mem_total_gb, avail = s->gpu_mem_avail_gb;
	return json_pack("[{s:s,s:f,s:f,s:f,s:f}]", "NAME", s->gpu_name, "TOTAL_MEM",
	                 sysinfo_round(total, 3), "FREE_MEM", sysinfo_round(avail, 3),
	                 "ALLOCATED_MEM", sysinfo_round(total - avail, 3), "GPU_USED",
	                 sysinfo_round(s->gpu_used, 1));
}

json_t *hb_status_build(const struct hb_inputs *in)
{
	const struct sysinfo *s = in->sys;
	char now[NODETIME_TEXT_SIZE], compact[NODETIME_TEXT_SIZE], version[256];
	nodetime_format(in->now_wall, now);
	nodetime_format_compact(in->now_wall, compact);
	hb_version_text(s->platform, version, sizeof(version));
	bool ram_alert = s->mem_total_gb > 0 && s->mem_avail_gb < 0.1 * s->mem_total_gb;
	json_t *o = json_object();
	if (!o)
		return NULL;
	int rc = 0;
#define SETN(k, v) rc |= json_object_set_new(o, (k), (v))
	SETN(K_CURRENT_TIME, json_string(now));
	SETN(K_TIMESTAMP, json_string(compact));
	SETN(K_EE_ADDR, json_string(in->addr));
	SETN(K_EE_WHITELIST, copy_or(in->whitelist, json_array()));
	SETN(K_EE_IS_SUPER, json_boolean(in->is_super));
	SETN(K_EE_FORMATTER, json_string(""));
	SETN("IS_ALERT_RAM", json_boolean(ram_alert));
	SETN(K_NR_INFERENCES, json_integer((json_int_t)in->nr_inferences));
	SETN(K_NR_PAYLOADS, json_integer((json_int_t)in->nr_payloads));
	SETN(K_NR_STREAMS_DATA, json_integer((json_int_t)in->nr_streams_data));
	SETN("PY_VER", json_string("C (no Python)"));
	SETN(K_SECURED, json_boolean(in->secured));
	SETN(K_EE_HB_TIME, json_integer(in->period_s));
	SETN(K_DEVICE_STATUS,
	     json_string(in->device_status ? in->device_status : DEVICE_STATUS_ONLINE));
	SETN(K_MACHINE_IP, json_string(s->ip));
	SETN(K_MACHINE_MEMORY, json_real(sysinfo_round(s->mem_total_gb, 3)));
	SETN(K_AVAILABLE_MEMORY, json_real(sysinfo_round(s->mem_avail_gb, 3)));
	SETN(K_PROCESS_MEMORY, json_real(sysinfo_round(s->proc_mem_gb, 3)));
	SETN(K_CPU_USED, json_real(sysinfo_round(s->cpu_used, 1)));
	SETN(K_CPU_NR_CORES, json_integer(s->cpu_cores));
	SETN(K_GPUS, s->gpu_name[0] ? gpus_list(s) : json_string(SYSINFO_NO_GPU));
	SETN(K_GPU_INFO, json_string(""));
	SETN(K_DEFAULT_CUDA, json_string("cpu"));
	SETN(K_CPU, json_string(s->machine));
	SETN(K_UPTIME, json_real(sysinfo_round(in->uptime_s, 2)));
	SETN(K_VERSION, json_string(version));
	SETN("LOGGER_VERSION", json_string(PACKAGE_VERSION));
	SETN(K_TOTAL_DISK, json_real(sysinfo_round(s->disk_total_gb, 3)));
	SETN(K_AVAILABLE_DISK, json_real(sysinfo_round(s->disk_avail_gb, 3)));
	SETN(K_ACTIVE_PLUGINS, copy_or(in->active_plugins, json_array()));
	SETN("STOP_LOG", json_null());
	SETN("DID", json_false());
	SETN(K_COMM_RELAY, json_string(in->comm_relay ? in->comm_relay : ""));
	SETN(K_R1FS_ID, str_or_null(in->r1fs_id));
	SETN(K_R1FS_ONLINE, json_boolean(in->r1fs_online));
	SETN(K_R1FS_RELAY, str_or_null(in->r1fs_relay));
	SETN("TEMPERATURE_INFO", json_pack("{s:s}", "message", "not available"));
	SETN("GIT_BRANCH", json_string("r1console:" PACKAGE_VERSION));
	SETN("CONDA_ENV", json_string(""));
	SETN(K_CONFIG_STREAMS, copy_or(in->config_streams, json_array()));
	SETN(K_DCT_STATS, json_object());
	SETN(K_COMM_STATS, copy_or(in->comm_stats, json_object()));
	SETN(K_IN_KB, json_real(sysinfo_round(in->in_kb, 3)));
	SETN(K_OUT_KB, json_real(sysinfo_round(in->out_kb, 3)));
	SETN("SERVING_PIDS", json_array());
	SETN(K_LOOPS_TIMINGS, json_pack("{s:f,s:f}", "main_loop_avg_time", in->main_loop_avg_s,
	                                "comm_loop_avg_time", in->comm_loop_avg_s));
	SETN(K_TIMERS, json_string(in->timers ? in->timers : HB_TIMERS_NA));
	SETN(K_DEVICE_LOG, copy_or(in->device_log, json_string(HB_DEVICE_LOG_NA)));
	SETN(K_ERROR_LOG, copy_or(in->error_log, json_string(HB_ERROR_LOG_NA)));
#undef SETN
	if (in->extra) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)in->extra, k, v) rc |= json_object_set(o, k, v);
	}
	if (in->tags) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)in->tags, k, v) rc |= json_object_set(o, k, v);
	}
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}
