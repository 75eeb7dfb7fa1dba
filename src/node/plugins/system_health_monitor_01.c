/*
 * SYSTEM_HEALTH_MONITOR_01: a user plugin that sends this machine's figures
 * every PROCESS_DELAY seconds (CPU, load, memory, the node directory's
 * disk, uptime) and raises an ABNORMAL FUNCTIONING notification when free
 * memory or disk falls below MIN_AVAIL_MEM_PRC / MIN_AVAIL_DISK_PRC (once
 * per crossing).
 */
#include "node/lib.h"
#include "node/nodepriv.h"
#include "node/plugin.h"
#include "node/sysinfo.h"
#include "core/proto.h"

struct health {
	struct sysinfo_cpu cpu;
	bool mem_alert, disk_alert;
};

static const char defaults[] = "{\"PROCESS_DELAY\": 10, \"ALLOW_EMPTY_INPUTS\": true,"
                               " \"MIN_AVAIL_MEM_PRC\": 0.1, \"MIN_AVAIL_DISK_PRC\": 0.1}";

static const char schema[] =
    "{\"type\": \"object\", \"title\": \"SYSTEM_HEALTH_MONITOR_01\","
    " \"properties\": {"
    "  \"PROCESS_DELAY\": {\"type\": \"number\", \"minimum\": 1, \"default\": 10,"
    "   \"description\": \"Seconds between two reports\"},"
    "  \"MIN_AVAIL_MEM_PRC\": {\"type\": \"number\", \"minimum\": 0, \"maximum\": 1,"
    "   \"default\": 0.1, \"description\": \"Alert below this share of free memory\"},"
    "  \"MIN_AVAIL_DISK_PRC\": {\"type\": \"number\", \"minimum\": 0, \"maximum\": 1,"
    "   \"default\": 0.1, \"description\": \"Alert below this share of free disk\"}"
    " }}";

static enum r1_err shm_init(struct plugin_instance *pi, void **state, char **why)
{
	struct health *h = r1_calloc(1, sizeof(*h));
	if (!h)
		return r1_fail(why, R1_ERR_NOMEM, "SYSTEM_HEALTH_MONITOR_01: out of memory");
	*state = h;
	return R1_OK;
}

static void maybe_alert(struct plugin_instance *pi, bool *flag, bool now_low, const char *what,
                        double avail, double total)
{
	if (now_low == *flag)
		return;
	*flag = now_low;
	char msg[200];
	snprintf(msg, sizeof(msg),
	         now_low ? "LOW %s: %.2f GB free of %.2f GB"
	                 : "%s back to normal: %.2f GB free of %.2f GB",
	         what, avail, total);
	plugin_notify(pi, now_low ? NOTIF_TYPE_ABNORMAL : NOTIF_TYPE_NORMAL, 0, msg, NULL, NULL);
}

static enum r1_err shm_process(struct plugin_instance *pi, void *state, const json_t *input,
                               char **why)
{
	struct health *h = state;
	struct node *n = plugin_node(pi);
	struct sysinfo s;
	if (n)
		node_sample(n, &s, &h->cpu);
	else
		sysinfo_sample(&s, &h->cpu, "/");
	double mem_prc = s.mem_total_gb > 0 ? s.mem_avail_gb / s.mem_total_gb : 1;
	double disk_prc = s.disk_total_gb > 0 ? s.disk_avail_gb / s.disk_total_gb : 1;
	bool mem_low = mem_prc < plugin_cfg_real(pi, "MIN_AVAIL_MEM_PRC", 0.1);
	bool disk_low = disk_prc < plugin_cfg_real(pi, "MIN_AVAIL_DISK_PRC", 0.1);
	maybe_alert(pi, &h->mem_alert, mem_low, "MEMORY", s.mem_avail_gb, s.mem_total_gb);
	maybe_alert(pi, &h->disk_alert, disk_low, "DISK", s.disk_avail_gb, s.disk_total_gb);
	double uptime = n ? (double)(plugin_wall_us(pi) - n->start_us) / 1e6 : 0;
	json_t *f = json_object();
	if (!f)
		return r1_fail(why, R1_ERR_NOMEM, "SYSTEM_HEALTH_MONITOR_01: out of memory");
	json_object_set_new(f, "cpu_used", json_real(sysinfo_round(s.cpu_used, 1)));
	json_object_set_new(f, "cpu_cores", json_integer(s.cpu_cores));
	json_object_set_new(f, "load_avg", json_pack("[f,f,f]", s.load1, s.load5, s.load15));
	json_object_set_new(f, "total_mem", json_real(sysinfo_round(s.mem_total_gb, 3)));
	json_object_set_new(f, "avail_mem", json_real(sysinfo_round(s.mem_avail_gb, 3)));
	json_object_set_new(f, "process_mem", json_real(sysinfo_round(s.proc_mem_gb, 3)));
	json_object_set_new(f, "total_disk", json_real(sysinfo_round(s.disk_total_gb, 3)));
	json_object_set_new(f, "avail_disk", json_real(sysinfo_round(s.disk_avail_gb, 3)));
	json_object_set_new(f, "uptime", json_real(sysinfo_round(uptime, 1)));
	json_object_set_new(f, "is_alert_ram", json_boolean(mem_low));
	json_object_set_new(f, "is_alert_disk", json_boolean(disk_low));
	json_object_set_new(f, "machine", json_string(s.machine));
	return plugin_emit(pi, f, why);
}

static void shm_close(struct plugin_instance *pi, void *state)
{
	r1_free(state);
}

const struct plugin_ops plugin_system_health_monitor_01 = {
    .signature = "SYSTEM_HEALTH_MONITOR_01",
    .version = "1.0.0",
    .defaults = defaults,
    .schema = schema,
    .init = shm_init,
    .process = shm_process,
    .close = shm_close,
};
