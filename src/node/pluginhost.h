#ifndef R1_NODE_PLUGINHOST_H
#define R1_NODE_PLUGINHOST_H
/*
 * The plugin host: the registry of plugin vtables by signature and the
 * scheduler of plugin instances (the reference's business manager and
 * plugin loop, see plugin.h for the contract a plugin sees).
 *
 * The host has no timer of its own: its owner calls pluginhost_run_due()
 * when the host's earliest due time has come (one loop timer for all
 * instances) and re-arms for the time it returns; `wake` asks the owner to
 * do so soon (a command, an input or a new instance arrived).  Time comes
 * from `clock`, so tests drive the scheduler with fake time.
 *
 * What leaves the host goes through `sink`: payloads and notifications as
 * JSON objects (stolen), and config keys a plugin saved (the owner writes
 * them into the pipeline and persists them).
 *
 * Per instance step, in the reference's order: pending INSTANCE_COMMAND
 * (PLUGIN_INSTANCE_COMMAND_OK 101 / _FAILED -101); PROCESS_DELAY;
 * FORCED_PAUSE/DISABLED (PLUGIN_PAUSE_OK 110 / PLUGIN_RESUME_OK 111 on the
 * transitions); WORKING_HOURS (shift start 112 / end 113 when a schedule is
 * set); then one exec: process() with the next input or, if
 * ALLOW_EMPTY_INPUTS, with NULL.  After the first successful exec following
 * a (re)config: PLUGIN_CONFIG_OK (100) with PLUGIN_RUNNING true.  A failed
 * init/process is reported (EXCEPTION), then the instance waits
 * exception_delay x 2^(n-1) (capped) with a PLUGIN_DELAYED (-999)
 * notification each time, until a success clears the count.
 */
#include "core/common.h"
#include "core/err.h"
#include "core/log.h"
#include "node/plugin.h"

#include <jansson.h>

struct pluginhost;

struct host_sink {
	void *ctx;
	/* A finished payload body (standard fields set; no envelope). */
	void (*payload)(void *ctx, struct plugin_instance *pi, json_t *payload);
	/* A finished notification body (notif.h). */
	void (*notification)(void *ctx, json_t *notif);
	/* Keys to store in the instance's config in its pipeline. */
	void (*save_config)(void *ctx, const char *stream, const char *signature,
	                    const char *instance_id, const json_t *kv);
	/* The earliest due time moved earlier: call pluginhost_run_due soon. */
	void (*wake)(void *ctx);
};

struct host_clock {
	void *ctx;
	uint64_t (*now_ms)(void *ctx); /* monotonic */
	int64_t (*wall_us)(void *ctx); /* UTC microseconds */
	/* local weekday (0 = Monday) and minute of day of a UTC time */
	void (*local_time)(void *ctx, int64_t wall_us, int *weekday, int *minute);
};

/* Who created/modified a pipeline: copied into every payload of its instances. */
struct provenance {
	const char *initiator_id, *initiator_addr;
	const char *modified_by_id, *modified_by_addr;
	const char *session_id;
};

struct host_settings {
	uint64_t exception_delay_ms;     /* first backoff step; 10 s in the reference */
	uint64_t exception_delay_max_ms; /* cap of the backoff */
	uint64_t idle_recheck_ms;        /* paused / outside hours: how often to look again */
	bool is_supervisor;              /* lets PLUGIN_F_SUPERVISOR_ONLY plugins run */
};

/*
 * A host.  `node` is handed to plugins by plugin_node() (may be NULL in
 * tests); settings NULL = defaults.  NULL on OOM.
 */
struct pluginhost *pluginhost_new(const struct host_sink *sink, const struct host_clock *clock,
                                  const struct host_settings *settings, struct r1_log *log,
                                  struct node *node);
/* Closes every instance (close() callbacks run) and frees; NULLs *h. */
void pluginhost_free(struct pluginhost **h);
void pluginhost_set_supervisor(struct pluginhost *h, bool is_supervisor);

/*
 * Register a plugin in this host (tests, extensions); it shadows a built-in
 * of the same signature.  R1_ERR_EXISTS if already registered here,
 * R1_ERR_INVAL if its defaults are not a JSON object, NOMEM.
 */
enum r1_err pluginhost_register(struct pluginhost *h, const struct plugin_ops *ops, char **why);
/* The vtable of a signature (case-insensitive), or NULL. */
const struct plugin_ops *pluginhost_find(const struct pluginhost *h, const char *signature);
/* The built-in plugins (plugins/registry.c), NULL-terminated. */
extern const struct plugin_ops *const plugin_builtins[];
/* Every known signature (built-in and registered), a new JSON array. */
json_t *pluginhost_signatures(const struct pluginhost *h);

/*
 * Start an instance of `ops` in pipeline `stream` with its config (borrowed;
 * copied).  init() runs on its first step.  Errors: R1_ERR_INVAL (config
 * not an object, no INSTANCE_ID), R1_ERR_EXISTS (same stream, signature and
 * instance id), NOMEM.
 */
enum r1_err pluginhost_start(struct pluginhost *h, const struct plugin_ops *ops, const char *stream,
                             const json_t *config, const struct provenance *prov,
                             struct plugin_instance **out, char **why);
/*
 * New config for a running instance (borrowed; copied).  A non-empty
 * INSTANCE_COMMAND is queued for the next step without resetting the
 * instance; any other change reconfigures it (PLUGIN_CONFIG_OK follows the
 * next good exec).  INSTANCE_COMMAND_LAST never counts as a change.
 */
void pluginhost_update(struct pluginhost *h, struct plugin_instance *pi, const json_t *config,
                       const struct provenance *prov);
/* Stop an instance: close() runs now; NULLs *pi. */
void pluginhost_stop(struct pluginhost *h, struct plugin_instance **pi);
/* Find a running instance. */
struct plugin_instance *pluginhost_get(const struct pluginhost *h, const char *stream,
                                       const char *signature, const char *instance_id);

/*
 * Queue an input (borrowed; a reference is kept) for an instance; the
 * oldest is dropped when MAX_INPUTS_QUEUE_SIZE is reached.
 */
void pluginhost_push_input(struct pluginhost *h, struct plugin_instance *pi, json_t *input);

/*
 * Run every instance whose time has come.  Returns the next due time
 * (monotonic ms), or UINT64_MAX when nothing is scheduled.
 */
uint64_t pluginhost_run_due(struct pluginhost *h);
/* The earliest due time without running anything (UINT64_MAX = none). */
uint64_t pluginhost_next_due(const struct pluginhost *h);

/*
 * ACTIVE_PLUGINS of a heartbeat (app_monitor/business_manager fields):
 * a new JSON array.
 */
json_t *pluginhost_active_plugins(const struct pluginhost *h);
/* Payloads sent since the last call (NR_PAYLOADS of a heartbeat). */
uint64_t pluginhost_take_payload_count(struct pluginhost *h);
size_t pluginhost_count(const struct pluginhost *h);

/* Counters of one instance, for tests and the console. */
struct plugin_stats {
	uint64_t exec_iterations;
	uint64_t process_iterations;
	uint64_t payloads;
	uint64_t errors; /* failed init/process calls */
	unsigned consecutive_errors;
	bool initialized;
	bool stopped; /* FORCED_PAUSE or DISABLED */
	bool outside_hours;
	size_t queued_inputs;
	uint64_t next_due_ms;
};
void plugin_get_stats(const struct plugin_instance *pi, struct plugin_stats *out);

#endif
