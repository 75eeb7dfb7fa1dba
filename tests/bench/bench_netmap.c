/*
 * The network model at 100,000 nodes: heartbeats applied per second, a
 * NET_MON_01 map of every node applied, a tick over all of them, and the
 * heap each node costs (mallinfo2 before and after, with the whitelist of
 * one address every node carries).  Anchor, in the same run: the cost of
 * only parsing a heartbeat's JSON text with jansson, which every heartbeat
 * pays before the netmap sees it.
 *
 *   bench_netmap [NODES]      default 100000
 */
#include "core/lib.h"
#include "core/netmap.h"

#include <malloc.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_addr(uint32_t i, char out[R1_ADDR_LEN + 1])
{
	uint8_t pub[R1_PUB_LEN] = {0x02};
	memcpy(pub + 1, &i, sizeof(i));
	for (int b = 5; b < R1_PUB_LEN; b++)
		pub[b] = (uint8_t)(b * 31 + i);
	addr_format(pub, out);
}

int main(int argc, char **argv)
{
	r1_alloc_setup_jansson();
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
	if (!n)
		return 2;
	const char *core = getenv("OPENBLAS_CORETYPE");
	printf("bench_netmap: %u nodes (OPENBLAS_CORETYPE=%s, not used here)\n", n,
	       core ? core : "unset");
	char(*addrs)[R1_ADDR_LEN + 1] = calloc(n, sizeof(*addrs));
	for (uint32_t i = 0; i < n; i++)
		make_addr(i, addrs[i]);
	const char *self = "0xai_AmksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8";
	json_t *hb = json_pack(
	    "{s:s,s:s,s:s,s:b,s:b,s:[s],s:f,s:i,s:f,s:f,s:f,s:f,s:f,s:s,s:s,"
	    "s:s,s:s}",
	    "EE_ID", "bench-node", "VERSION", "2.10.370 | 7.7.322 | 3.5.49", "DEVICE_STATUS",
	    "ONLINE", "SECURED", 1, "EE_IS_SUPER", 0, "EE_WHITELIST", self + 5, "CPU_USED", 12.5,
	    "CPU_NR_CORES", 8, "MACHINE_MEMORY", 31.3, "AVAILABLE_MEMORY", 24.5, "TOTAL_DISK",
	    250.0, "AVAILABLE_DISK", 120.5, "UPTIME", 3600.0, "EE_TIMEZONE", "UTC+0", "COMM_RELAY",
	    "broker.example", "EE_NT_CT", "RO", "EE_NT_REG", "EU");
	char *text = json_dumps(hb, JSON_COMPACT);

	/* anchor: parsing the text of one heartbeat */
	uint32_t reps = n < 100000 ? n : 100000;
	double t0 = now_s();
	for (uint32_t i = 0; i < reps; i++) {
		json_t *j = json_loads(text, 0, NULL);
		json_decref(j);
	}
	double parse = reps / (now_s() - t0);
	printf("  anchor: jansson parse of a %zu-byte heartbeat:  %10.0f /s\n", strlen(text),
	       parse);

	struct mallinfo2 before = mallinfo2();
	struct netmap_options o = {.self_addr = self, .max_nodes = n + 1};
	struct netmap *nm = NULL;
	netmap_new(&o, &nm, NULL);
	int64_t t = 1800000000000;
	t0 = now_s();
	for (uint32_t i = 0; i < n; i++)
		netmap_on_heartbeat(nm, addrs[i], hb, t, 0, NULL);
	double first = n / (now_s() - t0);
	struct mallinfo2 after = mallinfo2();
	double per_node = (double)(after.uordblks - before.uordblks) / n;
	printf("  first heartbeat of each node (insert):        %10.0f /s\n", first);
	if (per_node > 0)
		printf(
		    "  heap per node, whitelist of one included:     %10.0f bytes (record %zu)\n",
		    per_node, sizeof(struct nm_node));
	else /* a sanitizer's allocator hides from mallinfo2 */
		printf("  heap per node: not measurable in this build (record %zu bytes)\n",
		       sizeof(struct nm_node));

	t0 = now_s();
	for (uint32_t i = 0; i < n; i++)
		netmap_on_heartbeat(nm, addrs[i], hb, t + 10000, 0, NULL);
	double again = n / (now_s() - t0);
	printf("  heartbeats of known nodes (update):           %10.0f /s (%.2f of the parse "
	       "anchor)\n",
	       again, again / parse);

	/* one NET_MON_01 map of every node from a trusted oracle */
	json_t *net = json_object();
	for (uint32_t i = 0; i < n; i++)
		json_object_set_new(net, addrs[i] + 5,
		                    json_pack("{s:s,s:s,s:s,s:b,s:[s],s:s,s:i}", "address",
		                              addrs[i], "eeid", "bench-node", "working", "ONLINE",
		                              "secured", 1, "whitelist", self + 5, "version",
		                              "2.10.370", "last_seen_sec", 3));
	json_t *map = json_pack("{s:o,s:b}", "CURRENT_NETWORK", net, "IS_SUPERVISOR", 1);
	netmap_free(&nm);
	const char *oracles[] = {addrs[0]};
	o.oracles = oracles;
	o.n_oracles = 1;
	netmap_new(&o, &nm, NULL);
	t0 = now_s();
	netmap_on_netmon(nm, addrs[0], map, t, NULL);
	double map_s = now_s() - t0;
	printf("  a NET_MON_01 map of %u nodes (new):        %10.3f s\n", n, map_s);
	t0 = now_s();
	netmap_on_netmon(nm, addrs[0], map, t + 10000, NULL);
	printf("  the same map again (known nodes):            %10.3f s\n", now_s() - t0);
	t0 = now_s();
	netmap_tick(nm, t + 120000);
	printf("  a tick over all nodes (all go offline):      %10.3f ms\n", (now_s() - t0) * 1000);
	printf("  online after the tick: %zu of %zu\n", netmap_online_count(nm), netmap_count(nm));
	json_decref(map);
	json_decref(hb);
	free(text);
	netmap_free(&nm);
	free(addrs);
	return 0;
}
