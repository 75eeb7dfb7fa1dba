/*
 * The tables and JSON documents of the read commands (see render.h).  It
 * formats the netmap; choosing nodes and printing are the commands' job.
 */
#include "core/lib.h"
#include "cli/render.h"
#include "cli/table.h"
#include "core/i18n.h"
#include "core/proto.h"

#include <ctype.h>
#include <math.h>

void render_duration(double s, char out[32])
{
	if (!(s >= 0) || s > 1e12) {
		snprintf(out, 32, "-");
		return;
	}
	uint64_t t = (uint64_t)s;
	snprintf(out, 32, "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64, t / 3600, t / 60 % 60, t % 60);
}

static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (!n)
		return true;
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

size_t render_nodes_select(const struct netmap *nm, const struct render_nodes_opts *o,
                           const struct nm_node ***out)
{
	size_t total = netmap_count(nm), k = 0;
	const struct nm_node **v = r1_calloc(total ? total : 1, sizeof(*v));
	*out = v;
	if (!v)
		return 0;
	int sup = o->supervisor ? netmap_oracle_index(nm, o->supervisor) : -1;
	for (size_t i = 0; i < total; i++) {
		const struct nm_node *n = netmap_at(nm, i);
		if (!o->all && !n->online)
			continue;
		if (o->peered && !n->peered)
			continue;
		if (o->oracles_only && !n->info.oracle)
			continue;
		if (o->supervisor && (sup < 0 || !(n->reporters & (1u << sup))))
			continue;
		if (o->alias && !contains_ci(n->info.alias, o->alias))
			continue;
		v[k++] = n;
	}
	return k;
}

static const char *yes_no(bool b)
{
	return b ? _("yes") : _("no");
}

static const char *state_of(const struct nm_node *n)
{
	if (n->online)
		return _("online");
	return n->stale ? _("stale") : _("offline");
}

/* Column ids, so a row is filled by name whatever columns are shown. */
enum col {
	C_ADDR,
	C_ETH,
	C_ALIAS,
	C_STATE,
	C_SEEN,
	C_VERSION,
	C_UPTIME,
	C_ZONE,
	C_ORACLE,
	C_PEERED,
	C_R1FS_ID,
	C_R1FS_ON,
	C_R1FS_RELAY,
	C_COMM_RELAY,
	C_CPU,
	C_MEM,
	C__COUNT
};

static const struct table_column node_cols[C__COUNT] = {
    [C_ADDR] = {N_("Address"), TABLE_LEFT, 16, true, 0},
    [C_ETH] = {N_("ETH Address"), TABLE_LEFT, 14, true, 4},
    [C_ALIAS] = {N_("Alias"), TABLE_LEFT, 0, false, 0},
    [C_STATE] = {N_("State"), TABLE_LEFT, 0, false, 0},
    [C_SEEN] = {N_("Seen ago"), TABLE_RIGHT, 0, false, 0},
    [C_VERSION] = {N_("Version"), TABLE_LEFT, 0, false, 0},
    [C_UPTIME] = {N_("Uptime"), TABLE_RIGHT, 0, false, 3},
    [C_ZONE] = {N_("Zone"), TABLE_LEFT, 0, false, 5},
    [C_ORACLE] = {N_("Oracle"), TABLE_LEFT, 0, false, 0},
    [C_PEERED] = {N_("Peered"), TABLE_LEFT, 0, false, 0},
    [C_R1FS_ID] = {N_("R1FS ID"), TABLE_LEFT, 10, true, 9},
    [C_R1FS_ON] = {N_("R1FS On"), TABLE_LEFT, 0, false, 6},
    [C_R1FS_RELAY] = {N_("R1FS Relay"), TABLE_LEFT, 10, true, 8},
    [C_COMM_RELAY] = {N_("Comm Relay"), TABLE_LEFT, 10, false, 7},
    [C_CPU] = {N_("CPU"), TABLE_RIGHT, 0, false, 2},
    [C_MEM] = {N_("Mem free"), TABLE_RIGHT, 0, false, 1},
};

void render_nodes_table(const struct netmap *nm, const struct render_nodes_opts *o,
                        const struct nm_node *const *nodes, size_t n, int64_t now_ms,
                        unsigned width, struct buf *out)
{
	(void)nm;
	bool show[C__COUNT] = {0};
	static const enum col base[] = {C_ADDR,   C_ALIAS,  C_SEEN,    C_VERSION,    C_UPTIME,
	                                C_ORACLE, C_PEERED, C_R1FS_ON, C_R1FS_RELAY, C_COMM_RELAY};
	for (size_t i = 0; i < R1_ARRAY_LEN(base); i++)
		show[base[i]] = true;
	if (o->all)
		show[C_STATE] = true;
	if (o->oracles_only)
		show[C_ORACLE] = false;
	if (o->wide)
		show[C_ETH] = show[C_ZONE] = show[C_R1FS_ID] = show[C_CPU] = show[C_MEM] = true;
	struct table_column cols[C__COUNT];
	enum col order[C__COUNT];
	size_t nc = 0;
	static const enum col layout[] = {
	    C_ADDR,   C_ETH,    C_ALIAS, C_STATE, C_SEEN,    C_VERSION, C_UPTIME,     C_ZONE,
	    C_ORACLE, C_PEERED, C_CPU,   C_MEM,   C_R1FS_ID, C_R1FS_ON, C_R1FS_RELAY, C_COMM_RELAY};
	for (size_t i = 0; i < R1_ARRAY_LEN(layout); i++) {
		enum col c = layout[i];
		if (!show[c])
			continue;
		cols[nc] = node_cols[c];
		cols[nc].title = _(node_cols[c].title);
		if (c == C_ADDR && o->eth && !o->wide)
			cols[nc].title = _("ETH Address");
		order[nc++] = c;
	}
	struct table *t = cli_table_new(cols, nc);
	if (!t) {
		out->oom = true;
		return;
	}
	for (size_t r = 0; r < n; r++) {
		const struct nm_node *x = nodes[r];
		const struct nm_node_info *in = &x->info;
		char seen[32], up[32], cpu[16], mem[24];
		render_duration(
		    in->last_seen_ms ? (double)(now_ms - in->last_seen_ms) / 1000.0 : -1, seen);
		render_duration(in->uptime_s > 0 ? in->uptime_s : -1, up);
		snprintf(cpu, sizeof(cpu), "%.0f%%", in->cpu_used);
		snprintf(mem, sizeof(mem), "%.1f GB", in->mem_avail);
		const char *cell[C__COUNT] = {
		    [C_ADDR] = o->eth && !o->wide ? in->eth : in->addr,
		    [C_ETH] = in->eth,
		    [C_ALIAS] = in->alias,
		    [C_STATE] = state_of(x),
		    [C_SEEN] = seen,
		    [C_VERSION] = in->version,
		    [C_UPTIME] = up,
		    [C_ZONE] = in->zone,
		    [C_ORACLE] = yes_no(in->oracle),
		    [C_PEERED] = yes_no(x->peered),
		    [C_R1FS_ID] = in->r1fs_id,
		    [C_R1FS_ON] = yes_no(in->r1fs_online),
		    [C_R1FS_RELAY] = in->r1fs_relay,
		    [C_COMM_RELAY] = in->comm_relay,
		    [C_CPU] = cpu,
		    [C_MEM] = mem,
		};
		const char *row[C__COUNT];
		for (size_t i = 0; i < nc; i++)
			row[i] = cell[order[i]];
		if (!cli_table_add(t, row)) {
			out->oom = true;
			break;
		}
	}
	cli_table_render(t, width, out);
	cli_table_free(&t);
}

/* Three decimals are all a person or a script needs of these figures. */
static double r3(double x)
{
	return round(x * 1000.0) / 1000.0;
}

json_t *render_node_json(const struct netmap *nm, const struct nm_node *x, int64_t now_ms)
{
	const struct nm_node_info *in = &x->info;
	json_t *o = json_pack(
	    "{s:s,s:s,s:s,s:b,s:b,s:b,s:b,s:b,s:s,s:s,s:I,s:f,s:s,s:f,s:s,s:b,s:s,s:s,s:s,"
	    "s:{s:i,s:f,s:f,s:f,s:f,s:f,s:i,s:s},s:i,s:[]}",
	    "address", in->addr, "eth_address", in->eth, "alias", in->alias, "online", x->online,
	    "peered", x->peered, "oracle", in->oracle, "secured", in->secured, "stale", x->stale,
	    "state",
	    x->online  ? "online"
	    : x->stale ? "stale"
	               : "offline",
	    "version", in->version, "last_seen_ms", (json_int_t)in->last_seen_ms, "seen_ago_s",
	    in->last_seen_ms ? r3((double)(now_ms - in->last_seen_ms) / 1000.0) : -1.0, "status",
	    in->status, "uptime_s", r3(in->uptime_s), "zone", in->zone, "r1fs_online",
	    in->r1fs_online, "r1fs_id", in->r1fs_id, "r1fs_relay", in->r1fs_relay, "comm_relay",
	    in->comm_relay, "resources", "cpu_cores", in->cpu_cores, "cpu_used", r3(in->cpu_used),
	    "mem_total", r3(in->mem_total), "mem_avail", r3(in->mem_avail), "disk_total",
	    r3(in->disk_total), "disk_avail", r3(in->disk_avail), "gpu_count", in->gpu_count,
	    "gpu_name", in->gpu_name, "whitelist_size", x->n_whitelist, "reported_by");
	if (!o)
		return NULL;
	json_object_set_new(o, "tags", json_string(in->tags));
	json_t *rep = json_object_get(o, "reported_by");
	for (size_t i = 0; i < netmap_oracle_count(nm) && i < 32; i++)
		if (x->reporters & (1u << i))
			json_array_append_new(rep, json_string(netmap_oracle_at(nm, i)->addr));
	return o;
}

json_t *render_nodes_json(const struct netmap *nm, const struct nm_node *const *nodes, size_t n,
                          int64_t now_ms)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = render_node_json(nm, nodes[i], now_ms);
		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* ---- apps ------------------------------------------------------------------ */

static const char *jstr(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The SDK's date_to_readable: None or 1970 is "Never", the fraction goes. */
static void readable_date(const char *d, char out[32])
{
	if (!d || !*d || strncmp(d, "1970", 4) == 0) {
		snprintf(out, 32, "%s", _("Never"));
		return;
	}
	size_t n = strcspn(d, ".");
	snprintf(out, 32, "%.*s", (int)R1_MIN(n, 31u), d);
}

static bool app_selected(const struct nm_pipeline *p, const struct render_apps_opts *o)
{
	if (!o->full && strcasecmp(p->name, ADMIN_PIPELINE) == 0)
		return false;
	if (o->owner && !addr_same(o->owner, p->owner_addr))
		return false;
	if (!o->app || contains_ci(p->name, o->app))
		return true;
	for (size_t i = 0; i < p->n_instances; i++)
		if (contains_ci(p->instances[i].signature, o->app))
			return true;
	return false;
}

void render_apps_table(const struct nm_node *const *nodes, size_t n,
                       const struct render_apps_opts *o, unsigned width, struct buf *out,
                       size_t *rows)
{
	enum {
		A_NODE,
		A_ALIAS,
		A_OWNER,
		A_OWNER_ALIAS,
		A_APP,
		A_PLUGIN,
		A_ID,
		A_START,
		A_PROBE,
		A_DATA,
		A_ERR,
		A__COUNT
	};
	static const struct table_column all[A__COUNT] = {
	    [A_NODE] = {N_("Node"), TABLE_LEFT, 14, true, 5},
	    [A_ALIAS] = {N_("Node Alias"), TABLE_LEFT, 0, false, 0},
	    [A_OWNER] = {N_("Owner"), TABLE_LEFT, 14, true, 4},
	    [A_OWNER_ALIAS] = {N_("Owner Alias"), TABLE_LEFT, 0, false, 0},
	    [A_APP] = {N_("App"), TABLE_LEFT, 0, false, 0},
	    [A_PLUGIN] = {N_("Plugin"), TABLE_LEFT, 0, false, 0},
	    [A_ID] = {N_("Id"), TABLE_LEFT, 0, false, 0},
	    [A_START] = {N_("Start"), TABLE_LEFT, 0, false, 3},
	    [A_PROBE] = {N_("Probe"), TABLE_LEFT, 0, false, 1},
	    [A_DATA] = {N_("Data"), TABLE_LEFT, 0, false, 2},
	    [A_ERR] = {N_("LastError"), TABLE_LEFT, 0, false, 0},
	};
	static const int narrow[] = {A_ALIAS, A_OWNER_ALIAS, A_APP, A_PLUGIN, A_ID, A_PROBE, A_ERR};
	static const int wide[] = {A_NODE, A_ALIAS, A_OWNER, A_OWNER_ALIAS, A_APP, A_PLUGIN,
	                           A_ID,   A_START, A_PROBE, A_DATA,        A_ERR};
	const int *use = o->wide ? wide : narrow;
	size_t nc = o->wide ? R1_ARRAY_LEN(wide) : R1_ARRAY_LEN(narrow);
	struct table_column cols[A__COUNT];
	for (size_t i = 0; i < nc; i++) {
		cols[i] = all[use[i]];
		cols[i].title = _(all[use[i]].title);
	}
	struct table *t = cli_table_new(cols, nc);
	*rows = 0;
	if (!t) {
		out->oom = true;
		return;
	}
	for (size_t k = 0; k < n; k++) {
		const struct nm_node *x = nodes[k];
		for (size_t i = 0; i < x->n_pipelines; i++) {
			const struct nm_pipeline *p = &x->pipelines[i];
			if (!app_selected(p, o))
				continue;
			for (size_t j = 0; j < p->n_instances; j++) {
				const struct nm_instance *in = &p->instances[j];
				bool name_hit = !o->app || contains_ci(p->name, o->app);
				if (!name_hit && !contains_ci(in->signature, o->app))
					continue;
				char start[32], probe[32], data[32], err[32];
				readable_date(jstr(in->status, "INIT_TIMESTAMP"), start);
				readable_date(jstr(in->status, "EXEC_TIMESTAMP"), probe);
				readable_date(jstr(in->status, "LAST_PAYLOAD_TIME"), data);
				readable_date(jstr(in->status, "LAST_ERROR_TIME"), err);
				const char *cell[A__COUNT] = {
				    [A_NODE] = x->info.addr,
				    [A_ALIAS] = x->info.alias,
				    [A_OWNER] = p->owner_addr,
				    [A_OWNER_ALIAS] = p->owner_alias,
				    [A_APP] = p->name,
				    [A_PLUGIN] = in->signature,
				    [A_ID] = in->instance_id,
				    [A_START] = start,
				    [A_PROBE] = probe,
				    [A_DATA] = data,
				    [A_ERR] = err,
				};
				const char *row[A__COUNT];
				for (size_t c = 0; c < nc; c++)
					row[c] = cell[use[c]];
				if (!cli_table_add(t, row))
					out->oom = true;
				(*rows)++;
			}
		}
	}
	cli_table_render(t, width, out);
	cli_table_free(&t);
}

json_t *render_apps_json(const struct nm_node *const *nodes, size_t n,
                         const struct render_apps_opts *o)
{
	json_t *arr = json_array();
	for (size_t k = 0; arr && k < n; k++) {
		const struct nm_node *x = nodes[k];
		json_t *apps = json_object();
		for (size_t i = 0; apps && i < x->n_pipelines; i++)
			if (app_selected(&x->pipelines[i], o))
				json_object_set(apps, x->pipelines[i].name, x->pipelines[i].config);
		json_t *e = apps ? json_pack("{s:s,s:s,s:b,s:o}", "node", x->info.addr, "alias",
		                             x->info.alias, "online", x->online, "apps", apps)
		                 : NULL;
		if (!e || json_array_append_new(arr, e)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* ---- inspect ---------------------------------------------------------------- */

void render_inspect(const struct netmap *nm, const struct nm_node *x, int64_t now_ms, bool wide,
                    struct buf *out)
{
	const struct nm_node_info *in = &x->info;
	char up[32], seen[32];
	render_duration(in->uptime_s > 0 ? in->uptime_s : -1, up);
	render_duration(in->last_seen_ms ? (double)(now_ms - in->last_seen_ms) / 1000.0 : -1, seen);
	buf_addf(out, _("=== Node Information ===\n"));
	buf_addf(out, _("Node alias:     %s\n"), in->alias);
	buf_addf(out, _("Address:        %s\n"), in->addr);
	buf_addf(out, _("ETH Address:    %s\n"), in->eth);
	buf_addf(out, _("Version:        %s\n"), in->version[0] ? in->version : "-");
	buf_addf(out, _("State:          %s (seen %s ago)\n"), state_of(x), seen);
	buf_addf(out, _("Uptime:         %s\n"), up);
	buf_addf(out, _("Oracle:         %s%s\n"), yes_no(in->oracle),
	         x->trusted_oracle ? _(" (trusted)") : "");
	buf_addf(out, _("Secured:        %s\n"), yes_no(in->secured));
	buf_addf(out, _("Peered:         %s\n"), yes_no(x->peered));
	buf_addf(out, _("Whitelist:      %u addresses\n"), (unsigned)x->n_whitelist);
	if (in->tags[0])
		buf_addf(out, _("Tags:           %s\n"), in->tags);
	buf_addf(out, _("\n=== CPU ===\nCores:          %u\nUsage:          %.1f%%\n"),
	         in->cpu_cores, in->cpu_used);
	double used = in->mem_total > 0 ? in->mem_total - in->mem_avail : 0;
	buf_addf(out,
	         _("\n=== Memory ===\nTotal:          %.2f GB\nAvailable:      %.2f GB\n"
	           "Used:           %.2f GB (%.1f%%)\n"),
	         in->mem_total, in->mem_avail, used,
	         in->mem_total > 0 ? used / in->mem_total * 100 : 0.0);
	double dused = in->disk_total > 0 ? in->disk_total - in->disk_avail : 0;
	buf_addf(out,
	         _("\n=== Disk ===\nTotal:          %.2f GB\nAvailable:      %.2f GB\n"
	           "Used:           %.2f GB (%.1f%%)\n"),
	         in->disk_total, in->disk_avail, dused,
	         in->disk_total > 0 ? dused / in->disk_total * 100 : 0.0);
	if (in->gpu_count)
		buf_addf(out, _("\n=== GPU ===\n%u x %s\n"), in->gpu_count, in->gpu_name);
	if (in->r1fs_id[0] || in->comm_relay[0])
		buf_addf(out, _("\n=== Comms ===\nComm relay:     %s\nR1FS:           %s %s\n"),
		         in->comm_relay, yes_no(in->r1fs_online), in->r1fs_id);
	int64_t epoch = netmap_epoch_of(nm, now_ms * 1000);
	int avail = netmap_node_avail(nm, x, epoch);
	if (avail >= 0)
		buf_addf(out, _("\nAvailability in epoch %" PRId64 " so far: %d/255\n"), epoch,
		         avail);
	if (!x->pipelines_ms) {
		buf_addf(out, _("\n=== Pipelines ===\n%s\n"),
		         x->peered ? _("(not received yet)")
		                   : _("(the node does not share them with this client)"));
		return;
	}
	size_t total = 0;
	for (size_t i = 0; i < x->n_pipelines; i++)
		total += x->pipelines[i].n_instances;
	buf_addf(out, _("\n=== Pipelines (%u, %zu plugin instances) ===\n"),
	         (unsigned)x->n_pipelines, total);
	size_t shown = 0;
	for (size_t i = 0; i < x->n_pipelines; i++)
		for (size_t j = 0; j < x->pipelines[i].n_instances; j++) {
			if (!wide && shown == 10) {
				buf_addf(out, _("  ... and %zu more\n"), total - shown);
				return;
			}
			buf_addf(out, "  %s %s (%s)\n", x->pipelines[i].name,
			         x->pipelines[i].instances[j].signature,
			         x->pipelines[i].instances[j].instance_id);
			shown++;
		}
}
