/*
 * Benchmark of the console (not a test: it prints figures, it does not
 * judge them), the Network view over a netmap of N nodes (default
 * 100,000), headless at 200x50.  Each figure sits beside an anchor
 * measured in the same run, so a busy machine shifts both:
 *
 *   frame    a full frame of the Network view (header, table, bars)
 *            vs  writing every cell of the grid once (grid_fill)
 *   filter   the last key of '/cpu>50' (all N rows tested, the frame drawn)
 *            vs  a loop reading every node's CPU figure
 *   sort     sort by CPU (a click on its title) and by alias
 *            vs  qsort of N doubles
 *   memory   heap per node: the netmap's and the view's, beyond the cache
 *            (the console runs without one here), by mallinfo2
 *   idle     CPU share of the console while 1,000 nodes heartbeat every
 *            10 s (signed messages through the real receive path: verify,
 *            decode, netmap, session, frames on the loop), nobody typing;
 *            anchor: the same loop with nothing arriving
 *
 * Budget from DESIGN.md: a frame under 10 ms, filter and sort under 50 ms,
 * idle CPU near zero.
 *
 *   bench_console [NODES [IDLE_SECONDS]]   (default 100000 20)
 */
#include "tui/lib.h"
#include "tui/app.h"
#include "tui/keys.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/envelope.h"
#include "core/identity.h"
#include "core/ingest.h"
#include "core/loop.h"
#include "core/netmap.h"
#include "core/proto.h"
#include "core/session.h"
#include "core/timefmt.h"

#include <locale.h>
#include <malloc.h>
#include <math.h>
#include <sys/resource.h>

#define REPEAT      9
#define IDLE_NODES  1000
#define IDLE_PERIOD 10000 /* ms between a node's heartbeats */

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static size_t heap(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void make_addr(uint32_t i, char out[R1_ADDR_LEN + 1])
{
	uint8_t pub[R1_PUB_LEN] = {0x02};
	memcpy(pub + 1, &i, sizeof(i));
	for (int b = 5; b < R1_PUB_LEN; b++)
		pub[b] = (uint8_t)(b * 31 + i);
	addr_format(pub, out);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ---------------------------------------------------------- big network */

static void big_network(uint32_t n)
{
	struct tui_model m;
	if (tui_model_init(&m))
		exit(1);
	m.clock_fixed = true;
	m.now_ms = 1800000000000;
	const char *self = "0xai_AmksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8";
	struct netmap_options no = {.self_addr = self, .epochs = &m.epochs};
	size_t h0 = heap();
	if (netmap_new(&no, &m.nm, NULL))
		exit(1);
	json_t *hb =
	    json_pack("{s:s,s:s,s:s,s:b,s:[s],s:f,s:i,s:f,s:f,s:f,s:f,s:f,s:s}", "EE_ID", "x",
	              "VERSION", "2.10.370 | 7.7.322 | 3.5.49", "DEVICE_STATUS", "ONLINE",
	              "SECURED", 1, "EE_WHITELIST", self + 5, "CPU_USED", 1.0, "CPU_NR_CORES", 8,
	              "MACHINE_MEMORY", 32.0, "AVAILABLE_MEMORY", 16.0, "TOTAL_DISK", 500.0,
	              "AVAILABLE_DISK", 200.0, "UPTIME", 3600.0, "EE_NT_CT", "RO");
	double fill0 = now_ms();
	for (uint32_t i = 0; i < n; i++) {
		char addr[R1_ADDR_LEN + 1], alias[24];
		make_addr(i, addr);
		snprintf(alias, sizeof(alias), "node-%06u", (unsigned)(rng() % 1000000));
		json_object_set_new(hb, "EE_ID", json_string(alias));
		json_object_set_new(hb, "CPU_USED", json_real((double)(rng() % 1000) / 10));
		json_object_set_new(hb, "AVAILABLE_MEMORY", json_real((double)(rng() % 320) / 10));
		netmap_on_heartbeat(m.nm, addr, hb, m.now_ms - (int64_t)(rng() % 50000), 0, NULL);
	}
	json_decref(hb);
	double fill = now_ms() - fill0;
	size_t h1 = heap();

	struct app_options o = {.headless = true, .width = 200, .height = 50};
	struct app *a = NULL;
	if (app_new(NULL, &m, &o, &a, NULL) || app_start(a, NULL))
		exit(1);
	app_render(a);
	size_t h2 = heap();
	printf("network: %u nodes (fed in %.0f ms), Network view at 200x50\n", n, fill);

	/* frame */
	double t[REPEAT], anchor[REPEAT];
	struct grid g;
	grid_init(&g, 200, 50, false);
	for (int r = 0; r < REPEAT; r++) {
		double s = now_ms();
		app_render(a);
		t[r] = now_ms() - s;
		s = now_ms();
		grid_fill(grid_whole(&g), 0, 0, 200, 50, 'x', 0, 0);
		anchor[r] = now_ms() - s;
	}
	printf("frame    %8.3f ms   (anchor: every cell written once %.3f ms)\n", median(t, REPEAT),
	       median(anchor, REPEAT));
	grid_release(&g);

	/* filter */
	for (int r = 0; r < REPEAT; r++) {
		app_type(a, "/cpu>5"); /* typing filters as it goes: time the last key */
		double s = now_ms();
		app_type(a, "0\n");
		app_render(a);
		t[r] = now_ms() - s;
		app_key(a, TUI_KEY_ESC);
		app_render(a);
		s = now_ms();
		volatile size_t hits = 0;
		for (uint32_t i = 0; i < n; i++)
			hits += netmap_at(m.nm, i)->info.cpu_used > 50;
		anchor[r] = now_ms() - s;
	}
	printf("filter   %8.3f ms   (anchor: reading %u CPU figures %.3f ms)\n", median(t, REPEAT),
	       n, median(anchor, REPEAT));

	/* sort: by CPU (click on the title: ascending, then descending), by alias */
	char *screen = NULL;
	{
		struct buf b = BUF_INIT;
		grid_dump(app_grid(a), &b);
		screen = buf_detach(&b, NULL);
	}
	const char *line = screen;
	for (int i = 0; i < 3 && line; i++)
		line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL;
	const char *cpu = line ? strstr(line, "CPU%") : NULL;
	struct tui_mouse click = {TUI_MOUSE_CLICK, cpu ? (int)(cpu - line) : 0, 3};
	r1_free(screen);
	double *keys = malloc(n * sizeof(*keys));
	double t2[REPEAT];
	for (int r = 0; r < REPEAT; r++) {
		double s = now_ms();
		app_mouse(a, &click);
		app_render(a);
		t[r] = now_ms() - s;
		s = now_ms();
		app_key(a, '<'); /* the column before CPU%: VERSION, a custom comparison */
		app_render(a);
		t2[r] = now_ms() - s;
		for (uint32_t i = 0; i < n; i++)
			keys[i] = netmap_at(m.nm, i)->info.cpu_used;
		s = now_ms();
		qsort(keys, n, sizeof(*keys), cmp_double);
		anchor[r] = now_ms() - s;
	}
	free(keys);
	printf("sort     %8.3f ms by CPU, %.3f ms by version   (anchor: qsort of %u doubles %.3f "
	       "ms)\n",
	       median(t, REPEAT), median(t2, REPEAT), n, median(anchor, REPEAT));

	size_t h3 = heap();
	printf("memory   %8.0f B/node: netmap %.0f + view %.0f (peak after sorting %.0f)\n",
	       (double)(h2 - h0) / n, (double)(h1 - h0) / n, (double)(h2 - h1) / n,
	       (double)(h3 > h0 ? h3 - h0 : 0) / n);
	app_free(&a);
	netmap_free(&m.nm);
	tui_model_release(&m);
}

/* ---------------------------------------------------------- idle CPU */

struct feeder {
	struct loop *loop;
	struct ingest *ig;
	struct session *sess;
	struct tui_model *m;
	struct buf *wire; /* pre-signed heartbeats, in sending order */
	size_t n_wire, next;
	double start;
	uint64_t delivered;
};

/* Every 10 ms, the heartbeats that are due, through the receive path. */
static void on_feed(void *ctx, struct loop_timer *t)
{
	(void)t;
	struct feeder *f = ctx;
	double due = IDLE_NODES + (now_ms() - f->start) * IDLE_NODES / IDLE_PERIOD;
	while (f->next < f->n_wire && (double)f->next < due) {
		struct r1_msg msg;
		struct buf *w = &f->wire[f->next++];
		if (ingest_receive(f->ig, "naeural/ctrl", w->data, w->len, &msg, NULL)) {
			session_deliver(f->sess, SESSION_MSG_HEARTBEAT, msg.sender, msg.body);
			r1_msg_release(&msg);
			f->delivered++;
		}
	}
}

static void on_stop(void *ctx, struct loop_timer *t)
{
	(void)t;
	loop_stop(ctx);
}

static double run_loop(struct loop *loop, double seconds)
{
	struct loop_timer *stop = loop_timer_new(loop, on_stop, loop);
	loop_timer_start(stop, (uint64_t)(seconds * 1000), 0);
	double c0 = cpu_s(), w0 = now_ms();
	loop_run(loop, NULL);
	double share = (cpu_s() - c0) / ((now_ms() - w0) / 1000) * 100;
	loop_timer_free(&stop);
	return share;
}

static void idle(double seconds)
{
	struct tui_model m;
	struct loop *loop = NULL;
	struct bus_hub *hub = NULL;
	struct bus *bus = NULL;
	struct r1_identity me;
	if (tui_model_init(&m) || loop_new(&loop, NULL) || identity_generate(&me, NULL) ||
	    bus_hub_new(loop, 0, NULL, &hub, NULL) || bus_local_new(hub, "console", &bus, NULL))
		exit(1);
	struct netmap_options no = {.self_addr = me.addr, .epochs = &m.epochs};
	struct session_options so = {.name = "bench", .netconfig_every_ms = UINT32_MAX};
	struct ingest_config ic = {.me = &me, .eth_enabled = true};
	struct feeder f = {.loop = loop, .m = &m};
	if (netmap_new(&no, &m.nm, NULL) ||
	    session_new(loop, bus, &me, m.nm, NULL, NULL, &so, &m.sess, NULL) ||
	    ingest_new(&ic, &f.ig, NULL))
		exit(1);
	f.sess = m.sess;

	/* sign every heartbeat of the run up front: each is unique (its time) */
	size_t per_node = (size_t)ceil(seconds * 1000 / IDLE_PERIOD) + 2;
	f.n_wire = per_node * IDLE_NODES;
	f.wire = calloc(f.n_wire, sizeof(*f.wire));
	struct r1_identity *ids = calloc(IDLE_NODES, sizeof(*ids));
	double s0 = now_ms();
	for (size_t i = 0; i < IDLE_NODES; i++)
		identity_generate(&ids[i], NULL);
	int64_t t0 = (int64_t)time(NULL) * 1000000;
	for (size_t k = 0; k < f.n_wire; k++) {
		size_t node = k % IDLE_NODES, round = k / IDLE_NODES;
		struct ee_time et;
		timefmt_envelope_time(t0 + (int64_t)round * IDLE_PERIOD * 1000 + (int64_t)node, &et,
		                      NULL);
		char alias[24];
		snprintf(alias, sizeof(alias), "node-%04zu", node);
		json_t *hb = json_pack(
		    "{s:s,s:s,s:s,s:s,s:s,s:s,s:f,s:i,s:f,s:f,s:f,s:f,s:f,s:s}", K_EE_EVENT_TYPE,
		    EVENT_HEARTBEAT, K_EE_ID, alias, K_EE_TIMESTAMP, et.timestamp, K_EE_TIMEZONE,
		    et.timezone, "HEARTBEAT_VERSION", "v1", "VERSION", "2.10.370", "CPU_USED",
		    (double)(rng() % 1000) / 10, "CPU_NR_CORES", 8, "MACHINE_MEMORY", 32.0,
		    "AVAILABLE_MEMORY", 16.0, "TOTAL_DISK", 500.0, "AVAILABLE_DISK", 200.0,
		    "UPTIME", 3600.0 + round * 10, "DEVICE_STATUS", "ONLINE");
		envelope_sign(hb, &ids[node], true, &f.wire[k], NULL, NULL);
		json_decref(hb);
	}
	printf("idle: %d nodes heartbeating every %d s for %.0f s (%zu signed heartbeats made "
	       "in %.1f s)\n",
	       IDLE_NODES, IDLE_PERIOD / 1000, seconds, f.n_wire, (now_ms() - s0) / 1000);

	/* every node's first heartbeat, before the clock starts: a steady network */
	size_t warm = IDLE_NODES;
	for (size_t k = 0; k < warm; k++) {
		struct r1_msg msg;
		if (ingest_receive(f.ig, "naeural/ctrl", f.wire[k].data, f.wire[k].len, &msg,
		                   NULL)) {
			session_deliver(f.sess, SESSION_MSG_HEARTBEAT, msg.sender, msg.body);
			r1_msg_release(&msg);
		}
	}
	f.next = warm;

	/* anchor: the loop with the console on screen (headless), nothing arriving */
	struct app_options o = {.headless = true, .width = 200, .height = 50};
	struct app *a = NULL;
	if (app_new(loop, &m, &o, &a, NULL) || app_start(a, NULL))
		exit(1);
	double anchor = run_loop(loop, R1_MIN(seconds / 4, 5.0));
	uint64_t frames0 = app_frames(a);

	struct loop_timer *feed = loop_timer_new(loop, on_feed, &f);
	loop_timer_start(feed, 10, 10);
	f.start = now_ms();
	double share = run_loop(loop, seconds);
	printf("idle CPU %6.2f %% with %" PRIu64 " heartbeats received (%.0f/s) and %" PRIu64
	       " frames drawn   (anchor: nothing arriving %.2f %%)\n",
	       share, f.delivered, f.delivered / seconds, app_frames(a) - frames0, anchor);
	if (seconds < 60)
		printf("         (a %.0f s run; the figure is a share of time, so it stands for 60 "
		       "s)\n",
		       seconds);

	loop_timer_free(&feed);
	app_free(&a);
	for (size_t k = 0; k < f.n_wire; k++)
		buf_release(&f.wire[k]);
	free(f.wire);
	for (size_t i = 0; i < IDLE_NODES; i++)
		identity_wipe(&ids[i]);
	free(ids);
	ingest_free(&f.ig);
	session_free(&m.sess);
	netmap_free(&m.nm);
	bus_free(&bus);
	bus_hub_free(&hub);
	loop_free(&loop);
	identity_wipe(&me);
	tui_model_release(&m);
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "C.UTF-8");
	r1_alloc_setup_jansson();
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
	double secs = argc > 2 ? strtod(argv[2], NULL) : 20;
	if (!n || secs <= 0)
		return 2;
	const char *core = getenv("OPENBLAS_CORETYPE");
	printf("bench_console (OPENBLAS_CORETYPE=%s, not used here)\n", core ? core : "unset");
	big_network(n);
	idle(secs);
	return 0;
}
