#ifndef R1_NODE_HEARTBEAT_H
#define R1_NODE_HEARTBEAT_H
/*
 * The status object of a heartbeat (the reference's app_monitor.get_status),
 * built from plain inputs so it is tested without a running node.  Fields
 * and their order are the reference's; the v2 wire form is hbcodec's.
 *
 * Where the reference reports something this node does not have, it says
 * so the way the reference does when the thing is missing: GPUS is the
 * "not available" string, R1FS fields are null/false until an R1FS service
 * fills them, DEVICE_LOG/ERROR_LOG are the "available only upon request"
 * strings unless a FULL_HEARTBEAT asked for the logs.  PY_VER, GIT_BRANCH
 * and CONDA_ENV describe this build instead of a Python environment.
 */
#include "core/common.h"
#include "node/sysinfo.h"

#include <jansson.h>

#define HB_DEVICE_LOG_NA "Device log available only upon request or in special situations"
#define HB_ERROR_LOG_NA  "Error log available only upon request or in special situations"
#define HB_TIMERS_NA     "Timers not available in summary"

struct hb_inputs {
	int64_t now_wall;        /* UTC microseconds */
	const char *addr;        /* "0xai_..." */
	const json_t *whitelist; /* array of addresses without prefix */
	bool is_super, secured;
	unsigned period_s;         /* EE_HB_TIME */
	const char *device_status; /* NULL = "ONLINE" */
	const struct sysinfo *sys;
	double uptime_s;
	const json_t *active_plugins;
	const json_t *comm_stats; /* {communicator: {...}} */
	double in_kb, out_kb;
	uint64_t nr_payloads, nr_inferences, nr_streams_data;
	const json_t *config_streams; /* NULL = [] (the reference's default) */
	const char *comm_relay;
	const char *r1fs_id, *r1fs_relay;
	bool r1fs_online;
	const json_t *device_log, *error_log; /* NULL = the "on request" strings */
	const char *timers;                   /* NULL = HB_TIMERS_NA */
	double main_loop_avg_s, comm_loop_avg_s;
	const json_t *extra; /* fields of the node's services (compute), before the tags */
	const json_t *tags;  /* EE_NT_* values, added at the end */
};

/* A new status object, or NULL on OOM. */
json_t *hb_status_build(const struct hb_inputs *in);

/*
 * The node tags of the environment (EE_NT_* variables, as the reference's
 * process_tags: "true"/"1" become true, "false"/"0" false, empty skipped):
 * a new object.
 */
json_t *hb_env_tags(char **environ_list);

/* The VERSION text: "<app> | <core> | <sdk> L-<platform>". */
void hb_version_text(const char *platform, char *out, size_t cap);

#endif
