/*
 * The hooks a demo network uses (node_config.resources and .tags): a
 * node's heartbeats carry the figures the hook gives, clamped to sane
 * ranges, a GPU list when the hook names a GPU, and the configured tags;
 * without the hook they carry this machine's figures and the "no GPU" text.
 */
#include "node/lib.h"
#include "node/node.h"
#include "node/sysinfo.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/hbcodec.h"
#include "core/loop.h"
#include "core/proto.h"
#include "tests/tap.h"
#include "core/paths.h"

#include <jansson.h>

struct seen {
	json_t *hb; /* the last heartbeat status sent */
	int calls;
};

static void on_event(void *ctx, struct node *node, const struct node_event *ev)
{
	(void)node;
	struct seen *s = ctx;
	if (ev->type != NODE_EV_HEARTBEAT || !ev->message)
		return;
	json_t *view = NULL;
	if (hb_decode(ev->message, &view, NULL))
		return;
	json_decref(s->hb);
	s->hb = view;
}

static void demo(void *ctx, const struct node *node, struct node_resources *r)
{
	struct seen *s = ctx;
	s->calls++;
	ok(node != NULL && r->cpu_cores >= 1, "the hook sees the node and the measured figures");
	r->cpu_used = 150; /* clamped to 100 */
	r->cpu_cores = 48;
	r->mem_total_gb = 256;
	r->mem_avail_gb = 300; /* clamped to the total */
	r->disk_total_gb = 2000;
	r->disk_avail_gb = 1500;
	snprintf(r->gpu_name, sizeof(r->gpu_name), "%s", "RTX 4090");
	r->gpu_mem_total_gb = 24;
	r->gpu_mem_avail_gb = 20;
	r->gpu_used = 37.5;
}

static double num(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static json_t *run_node(struct loop *L, struct bus_hub *H, const char *alias, bool hook,
                        struct seen *s)
{
	char *dir = paths_join(tap_tmpdir(), alias);
	json_t *tags = json_pack("{s:s,s:s}", "EE_NT_CT", "RO", "EE_NT_DC", "dc-demo");
	struct node_config cfg = {
	    .alias = alias,
	    .data_dir = dir,
	    .heartbeat_ms = 60000,
	    .resources = hook ? demo : NULL,
	    .resources_ctx = s,
	    .tags = hook ? tags : NULL,
	};
	struct bus *bus = NULL;
	struct node *n = NULL;
	char *why = NULL;
	if (bus_local_new(H, alias, &bus, &why) || node_new(L, bus, &cfg, NULL, &n, &why)) {
		tap_diag("%s", why ? why : "?");
		tap_bail("node not created");
	}
	json_decref(tags); /* the node copied them */
	node_set_observer(n, on_event, s);
	if (node_start(n, &why))
		tap_bail("node not started");
	for (int i = 0; i < 20; i++)
		loop_run_once(L, 5);
	node_free(&n);
	bus_free(&bus);
	r1_free(dir);
	json_t *hb = s->hb;
	s->hb = NULL;
	return hb;
}

int main(void)
{
	struct loop *L = NULL;
	struct bus_hub *H = NULL;
	if (loop_new(&L, NULL) || bus_hub_new(L, 0, NULL, &H, NULL))
		tap_bail("loop");

	struct seen s = {0};
	json_t *hb = run_node(L, H, "demo-1", true, &s);
	ok(hb != NULL, "a heartbeat was sent");
	ok(s.calls >= 1, "the hook ran for it");
	is_int((long long)num(hb, K_CPU_USED), 100, "CPU use clamped to 100 percent");
	is_int((long long)num(hb, K_CPU_NR_CORES), 48, "cores from the hook");
	is_int((long long)num(hb, K_MACHINE_MEMORY), 256, "memory total from the hook");
	is_int((long long)num(hb, K_AVAILABLE_MEMORY), 256, "available memory clamped to total");
	is_int((long long)num(hb, K_TOTAL_DISK), 2000, "disk total from the hook");
	is_int((long long)num(hb, K_AVAILABLE_DISK), 1500, "disk available from the hook");
	const json_t *gpus = json_object_get(hb, K_GPUS);
	ok(json_is_array(gpus) && json_array_size(gpus) == 1, "GPUS is a list of one GPU");
	is_str(json_string_value(json_object_get(json_array_get(gpus, 0), "NAME")), "RTX 4090",
	       "the GPU's name");
	is_int((long long)num(json_array_get(gpus, 0), "TOTAL_MEM"), 24, "the GPU's memory");
	is_str(json_string_value(json_object_get(hb, "EE_NT_CT")), "RO", "configured tag CT");
	is_str(json_string_value(json_object_get(hb, "EE_NT_DC")), "dc-demo", "configured tag DC");
	json_decref(hb);

	struct seen plain = {0};
	hb = run_node(L, H, "plain-1", false, &plain);
	ok(hb != NULL, "a node without the hook sends heartbeats");
	is_int(plain.calls, 0, "no hook, no call");
	is_str(json_string_value(json_object_get(hb, K_GPUS)), SYSINFO_NO_GPU,
	       "without a demo GPU, GPUS is the reference's text");
	ok(json_object_get(hb, "EE_NT_CT") == NULL || getenv("EE_NT_CT"),
	   "no configured tags without .tags");
	json_decref(hb);

	bus_hub_free(&H);
	loop_free(&L);
	return tap_done();
}
