/*
 * What get nodes, get supervisors, get apps and inspect print, from a
 * netmap fed with the SDK's vectors (a heartbeat of node k1, the NET_MON_01
 * map of oracle k2) and a NetConfig reply: selection, columns, JSON fields.
 */
#include "core/lib.h"
#include "cli/render.h"
#include "cli/table.h"
#include "tests/tap.h"

#include <locale.h>

static const char *const K0 = "0xai_AmksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8";
static const char *const K1 = "0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN";
static const char *const K2 = "0xai_A-4c9iEg0NInyQDnMeifin2zlWtlIAb8cTjc3bnyjs_r";

static json_t *vector(const char *id, const char *field)
{
	char *path = tap_vector_path("heartbeat.jsonl");
	size_t n = 0;
	char **lines = tap_read_lines(path, &n);
	json_t *out = NULL;
	for (size_t i = 0; i < n && !out; i++) {
		json_t *row = json_loads(lines[i], 0, NULL);
		if (row && strcmp(json_string_value(json_object_get(row, "id")), id) == 0)
			out = json_incref(json_object_get(row, field));
		json_decref(row);
	}
	tap_free_lines(lines);
	free(path);
	if (!out)
		tap_bail("vector %s", id);
	return out;
}

static char *nodes_text(struct netmap *nm, struct render_nodes_opts *o, int64_t now, unsigned width,
                        size_t *count)
{
	const struct nm_node **v = NULL;
	*count = render_nodes_select(nm, o, &v);
	struct buf b = BUF_INIT;
	render_nodes_table(nm, o, v, *count, now, width, &b);
	r1_free(v);
	return buf_detach(&b, NULL);
}

static int lines_wider_than(const char *s, unsigned w)
{
	int bad = 0;
	while (*s) {
		size_t n = strcspn(s, "\n");
		char *line = r1_strndup(s, n);
		bad += cli_table_text_width(line) > w;
		r1_free(line);
		s += n + (s[n] == '\n');
	}
	return bad;
}

int main(void)
{
	r1_alloc_setup_jansson();
	setlocale(LC_ALL, "C.UTF-8");
	const char *oracles[] = {K2};
	struct netmap_options no = {.self_addr = K0, .oracles = oracles, .n_oracles = 1};
	struct netmap *nm = NULL;
	netmap_new(&no, &nm, NULL);
	int64_t t = 1800000000000;
	json_t *map = vector("A-hb-004", "after_maybe_convert_netmon_whitelist");
	json_t *hb = vector("A-hb-001", "sdk_session_view");
	netmap_on_netmon(nm, K2, map, t, NULL);
	netmap_on_heartbeat(nm, K1, hb, t + 1000, 0, NULL);
	/* a third node, offline */
	json_t *old = json_pack("{s:s,s:b}", "EE_ID", "gone", "SECURED", 1);
	netmap_on_heartbeat(nm, K0, old, t - 600000, 0, NULL);
	netmap_tick(nm, t + 2000);
	json_decref(old);

	struct render_nodes_opts o = {0};
	size_t n = 0;
	char *s = nodes_text(nm, &o, t + 4000, 80, &n);
	is_int(n, 2, "online nodes only by default");
	ok(strstr(s, "Address") && strstr(s, "Alias") && strstr(s, "Seen ago") &&
	       strstr(s, "Peered"),
	   "r1ctl's column names");
	ok(strstr(s, "vec-node-a") && strstr(s, "vec-oracle-a") && !strstr(s, "gone"),
	   "the two online nodes");
	ok(strstr(s, "00:00:03"), "seen 3 s ago");
	is_int(lines_wider_than(s, 80), 0, "fits in 80 columns");
	r1_free(s);

	o.all = true;
	s = nodes_text(nm, &o, t + 4000, 120, &n);
	is_int(n, 3, "--all adds the offline node");
	ok(strstr(s, "State") && strstr(s, "offline") && strstr(s, "gone"), "with a State column");
	r1_free(s);
	o = (struct render_nodes_opts){.peered = true};
	s = nodes_text(nm, &o, t + 4000, 200, &n);
	is_int(n, 1, "--peered: only the node whose whitelist has us");
	ok(strstr(s, "vec-node-a") != NULL, "and it is vec-node-a");
	r1_free(s);
	o = (struct render_nodes_opts){.oracles_only = true};
	s = nodes_text(nm, &o, t + 4000, 200, &n);
	is_int(n, 1, "supervisors: the oracle");
	ok(!strstr(s, "Oracle"), "no Oracle column among oracles");
	r1_free(s);
	o = (struct render_nodes_opts){.supervisor = K2, .alias = "NODE"};
	s = nodes_text(nm, &o, t + 4000, 200, &n);
	is_int(n, 1, "--supervisor and --alias (case-insensitive)");
	r1_free(s);
	o = (struct render_nodes_opts){.supervisor = K0};
	s = nodes_text(nm, &o, t + 4000, 200, &n);
	is_int(n, 0, "--supervisor of a node that reported nothing");
	r1_free(s);
	o = (struct render_nodes_opts){.eth = true};
	s = nodes_text(nm, &o, t + 4000, 300, &n);
	ok(strstr(s, "0xEfA35469bB3609f89b32Ce7Db15A35d6ec8BdBB4") && !strstr(s, K1),
	   "--eth shows ETH addresses");
	r1_free(s);
	o = (struct render_nodes_opts){.wide = true};
	s = nodes_text(nm, &o, t + 4000, 400, &n);
	ok(strstr(s, "ETH Address") && strstr(s, "Zone") && strstr(s, "UTC+0") && strstr(s, K1),
	   "--wide adds ETH address and zone");
	r1_free(s);

	const struct nm_node **v = NULL;
	o = (struct render_nodes_opts){.all = true};
	n = render_nodes_select(nm, &o, &v);
	json_t *j = render_nodes_json(nm, v, n, t + 4000);
	r1_free(v);
	is_int(json_array_size(j), 3, "JSON lists three nodes");
	json_t *a = NULL;
	size_t i;
	json_t *e;
	json_array_foreach(
	    j, i, e) if (strcmp(json_string_value(json_object_get(e, "address")), K1) == 0) a = e;
	ok(a && json_is_true(json_object_get(a, "online")) &&
	       json_is_true(json_object_get(a, "peered")) &&
	       json_is_false(json_object_get(a, "oracle")),
	   "node k1: online, peered, not an oracle");
	is_str(json_string_value(json_object_get(a, "alias")), "vec-node-a", "alias");
	is_int(json_integer_value(json_object_get(json_object_get(a, "resources"), "cpu_cores")), 8,
	       "resources");
	is_str(json_string_value(json_array_get(json_object_get(a, "reported_by"), 0)), K2,
	       "reported by the oracle");
	json_decref(j);

	/* apps from NetConfig */
	json_t *nc = json_pack(
	    "{s:s,s:[{s:s,s:s,s:s,s:s,s:[{s:s,s:[{s:s}]}]},{s:s,s:s,s:[{s:s,s:[{s:s}]}]}],"
	    "s:[{s:s,s:s,s:s,s:s,s:s}]}",
	    "OP", "SET_CONFIG", "PIPELINES", "NAME", "app1", "TYPE", "Void", "INITIATOR_ID", "ops",
	    "INITIATOR_ADDR", K0, "PLUGINS", "SIGNATURE", "ECHO_01", "INSTANCES", "INSTANCE_ID",
	    "e1", "NAME", "admin_pipeline", "TYPE", "NetworkListener", "PLUGINS", "SIGNATURE",
	    "NET_MON_01", "INSTANCES", "INSTANCE_ID", "NET_MON_01_INST", "PLUGIN_STATUSES",
	    "STREAM_ID", "app1", "SIGNATURE", "ECHO_01", "INSTANCE_ID", "e1", "INIT_TIMESTAMP",
	    "2026-11-27 10:00:00.123456", "EXEC_TIMESTAMP", "2026-11-27 10:05:00.5");
	is_int(netmap_on_netconfig(nm, K1, nc, t + 5000, NULL), R1_OK, "NetConfig applied");
	json_decref(nc);
	const struct nm_node *k1 = netmap_find_addr(nm, K1);
	struct render_apps_opts ao = {0};
	struct buf b = BUF_INIT;
	size_t rows = 0;
	render_apps_table(&k1, 1, &ao, 80, &b, &rows);
	is_int(rows, 1, "one app row without --full");
	ok(strstr(buf_cstr(&b), "Node Alias") && strstr(buf_cstr(&b), "app1") &&
	       strstr(buf_cstr(&b), "ECHO_01") && strstr(buf_cstr(&b), "2026-11-27 10:05:00") &&
	       strstr(buf_cstr(&b), "Never"),
	   "columns and values (probe time without its fraction, no error: Never)");
	buf_reset(&b);
	ao.full = true;
	render_apps_table(&k1, 1, &ao, 80, &b, &rows);
	is_int(rows, 2, "--full adds admin_pipeline");
	buf_reset(&b);
	ao = (struct render_apps_opts){.app = "echo"};
	render_apps_table(&k1, 1, &ao, 80, &b, &rows);
	is_int(rows, 1, "--app matches a plugin signature");
	j = render_apps_json(&k1, 1, &ao);
	ok(json_object_get(json_object_get(json_array_get(j, 0), "apps"), "app1") != NULL,
	   "JSON: apps by name with their config");
	json_decref(j);
	buf_reset(&b);
	render_inspect(nm, k1, t + 6000, false, &b);
	ok(strstr(buf_cstr(&b), "Node alias:     vec-node-a") &&
	       strstr(buf_cstr(&b), "Cores:          8") &&
	       strstr(buf_cstr(&b), "app1 ECHO_01 (e1)"),
	   "inspect: identity, resources, pipelines");
	buf_release(&b);
	char d[32];
	render_duration(3723.9, d);
	is_str(d, "01:02:03", "duration");
	render_duration(-1, d);
	is_str(d, "-", "unknown duration");
	render_duration(100 * 3600, d);
	is_str(d, "100:00:00", "hours past a day");
	json_decref(map);
	json_decref(hb);
	netmap_free(&nm);
	return tap_done();
}
