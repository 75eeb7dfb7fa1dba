/*
 * cache_samples, the read the console's sparklines use: heartbeat samples
 * of one node averaged into buckets over a window, oldest first, empty
 * buckets left out, other nodes and samples outside the window not
 * counted, and bad arguments refused.
 */
#include "core/lib.h"
#include "core/cache.h"
#include "core/netmap.h"
#include "tests/tap.h"

#include <math.h>

static const char *const K0 = "0xai_AmksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8";
static const char *const K1 = "0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN";
static const char *const K2 = "0xai_A-4c9iEg0NInyQDnMeifin2zlWtlIAb8cTjc3bnyjs_r";

static void beat(struct netmap *nm, const char *who, double cpu, double mem, int64_t t)
{
	json_t *hb =
	    json_pack("{s:s,s:f,s:f,s:f,s:f,s:f}", "EE_ID", "n", "CPU_USED", cpu, "MACHINE_MEMORY",
	              64.0, "AVAILABLE_MEMORY", mem, "TOTAL_DISK", 1000.0, "AVAILABLE_DISK", 400.0);
	netmap_on_heartbeat(nm, who, hb, t, 0, NULL);
	json_decref(hb);
}

int main(void)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/s.db", tap_tmpdir());
	struct cache *c = NULL;
	char *why = NULL;
	struct cache_options o = {.no_thread = true};
	if (cache_open(path, &o, &c, &why))
		tap_bail("cache_open: %s", why ? why : "?");
	struct netmap_options no = {.self_addr = K0};
	struct netmap *nm = NULL;
	if (netmap_new(&no, &nm, NULL) || cache_attach(c, nm))
		tap_bail("netmap");
	int64_t t0 = 1800000000000; /* a minute boundary: 1800000000000 % 60000 == 0 */
	/* node 1: 10 s samples for 3 minutes, cpu 10, 20, 30 by minute; a gap in minute 3 */
	for (int i = 0; i < 18; i++) {
		if (i >= 12 && i < 15)
			continue;
		beat(nm, K1, 10.0 * (i / 6 + 1), 16.0 + i / 6, t0 + i * 10000);
	}
	/* node 2 in the same window: must not be counted */
	for (int i = 0; i < 6; i++)
		beat(nm, K2, 99, 1, t0 + i * 10000);
	if (cache_sync(c, &why))
		tap_bail("sync: %s", why ? why : "?");

	struct cache_sample s[8];
	size_t n = 0;
	is_int(cache_samples(c, K1, t0, t0 + 179999, 60000, s, 8, &n, &why), R1_OK, "samples");
	is_int(n, 3, "three minute buckets");
	is_int(s[0].t_ms, t0, "first bucket starts at the window's minute");
	is_int(s[1].t_ms - s[0].t_ms, 60000, "buckets a minute apart");
	is_int((int)lround(s[0].cpu), 10, "minute 1 cpu averaged");
	is_int((int)lround(s[2].cpu), 30, "minute 3 cpu");
	is_int(s[0].n, 6, "six samples in minute 1");
	is_int(s[2].n, 3, "the gap left three in minute 3");
	is_int((int)lround(s[1].mem_avail), 17, "memory available averaged");
	is_int((int)lround(s[0].disk_avail), 400, "disk available");

	is_int(cache_samples(c, K1, t0 + 60000, t0 + 119999, 60000, s, 8, &n, NULL), R1_OK,
	       "a narrower window");
	ok(n == 1 && lround(s[0].cpu) == 20, "only minute 2");
	is_int(cache_samples(c, K1, t0, t0 + 179999, 60000, s, 2, &n, NULL), R1_OK, "max 2");
	is_int(n, 2, "cut at max");
	is_int(cache_samples(c, K1, t0 - 600000, t0 - 1, 60000, s, 8, &n, NULL), R1_OK,
	       "an empty window");
	is_int(n, 0, "nothing before");

	r1_free(why);
	why = NULL;
	is_int(cache_samples(c, "nope", t0, t0 + 1, 1000, s, 8, &n, &why), R1_ERR_INVAL,
	       "a bad address");
	r1_free(why);
	why = NULL;
	is_int(cache_samples(c, K1, t0 + 1, t0, 1000, s, 8, &n, &why), R1_ERR_INVAL,
	       "an empty range");
	r1_free(why);
	why = NULL;
	is_int(cache_samples(c, K1, t0, t0 + 1, 0, s, 8, &n, &why), R1_ERR_INVAL, "a zero bucket");
	r1_free(why);

	cache_detach(c);
	cache_close(&c);
	netmap_free(&nm);
	return tap_done();
}
