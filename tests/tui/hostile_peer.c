/*
 * A hostile peer for the console's end-to-end tests: a properly signed
 * sender on an MQTT broker whose every string is an attack on the
 * operator's terminal.  Its alias is "\e]0;pwned\a" + "evil" + "\e[2J" (an
 * OSC that would retitle the terminal, then a CSI that would clear it),
 * and the same sequences ride in its version, tags, payload paths, payload
 * values and notification texts.  The console must show all of it as
 * harmless text.
 *
 *   hostile_peer --broker URL --key FILE [--seconds N]
 *
 * Every second it sends a heartbeat (v1, with the reference's fields), a
 * payload and a notification; it stops after N seconds (default 60) or on
 * SIGTERM.  Exit status 0, or 1 when it could not connect or sign.
 */
#include "core/lib.h"
#include "core/bus.h"
#include "core/bus_mqtt.h"
#include "core/envelope.h"
#include "core/hbcodec.h"
#include "core/identity.h"
#include "core/loop.h"
#include "core/proto.h"
#include "core/timefmt.h"

#include <jansson.h>
#include <signal.h>
#include <time.h>

#define OSC   "\x1b]0;pwned\x07"
#define CLEAR "\x1b[2J"
#define EVIL  OSC "evil" CLEAR

struct peer {
	struct loop *loop;
	struct bus *bus;
	struct r1_identity id;
	int64_t end_ms;
	uint64_t sent;
	int seq;
};

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Envelope fields, sign, publish. */
static void send_msg(struct peer *p, const char *topic, const char *event, json_t *m)
{
	struct ee_time t;
	if (timefmt_envelope_time(wall_us(), &t, NULL)) {
		json_decref(m);
		return;
	}
	json_object_set_new(m, K_EE_EVENT_TYPE, json_string(event));
	json_object_set_new(m, K_EE_ID, json_string(EVIL));
	json_object_set_new(m, K_EE_TIMESTAMP, json_string(t.timestamp));
	json_object_set_new(m, K_EE_TIMEZONE, json_string(t.timezone));
	json_object_set_new(m, "EE_MESSAGE_SEQ", json_integer(++p->seq));
	struct buf wire = BUF_INIT;
	char *why = NULL;
	if (envelope_sign(m, &p->id, true, &wire, NULL, &why) == R1_OK &&
	    bus_publish(p->bus, topic, wire.data, wire.len, 0, &why) == R1_OK)
		p->sent++;
	r1_free(why);
	buf_release(&wire);
	json_decref(m);
}

static json_t *path(void)
{
	return json_pack("[s,s,s,s]", EVIL, "pipe" CLEAR, "SIG" OSC, "inst" CLEAR);
}

static void on_timer(void *ctx, struct loop_timer *t)
{
	(void)t;
	struct peer *p = ctx;
	if (bus_state(p->bus, NULL) != BUS_CONNECTED)
		return;
	json_t *status = json_pack(
	    "{s:s,s:s,s:s,s:b,s:b,s:[],s:f,s:i,s:f,s:f,s:f,s:f,s:f,s:s,s:s}", K_EE_ADDR, p->id.addr,
	    "VERSION", "\x1b[31m6.6.6" CLEAR " | core | SDK", "DEVICE_STATUS", "ONLINE" OSC,
	    "SECURED", 0, "EE_IS_SUPER", 0, "EE_WHITELIST", "CPU_USED", 66.6, "CPU_NR_CORES", 6,
	    "MACHINE_MEMORY", 6.0, "AVAILABLE_MEMORY", 3.0, "TOTAL_DISK", 66.0, "AVAILABLE_DISK",
	    33.0, "UPTIME", 666.0, "EE_NT_CT", OSC "XX", "GPUS", "none");
	json_t *hb = NULL;
	if (status && hb_encode_v1(status, &hb, NULL) == R1_OK)
		send_msg(p, "naeural/ctrl", EVENT_HEARTBEAT, hb);
	json_decref(status);
	send_msg(p, "naeural/payloads", EVENT_PAYLOAD,
	         json_pack("{s:o,s:s,s:s,s:i}", K_EE_PAYLOAD_PATH, path(), "MESSAGE",
	                   OSC "boom" CLEAR, "DATA" OSC, "x", "COUNTER", p->seq));
	send_msg(p, "naeural/notif", EVENT_NOTIFICATION,
	         json_pack("{s:o,s:s,s:i,s:s}", K_EE_PAYLOAD_PATH, path(), K_NOTIFICATION_TYPE,
	                   "NORMAL" CLEAR, K_NOTIFICATION_CODE, 1, K_NOTIFICATION,
	                   OSC "hi from" CLEAR " the peer"));
	if (wall_us() / 1000 >= p->end_ms)
		loop_stop(p->loop);
}

static void on_signal(void *ctx, int signo)
{
	(void)signo;
	loop_stop(((struct peer *)ctx)->loop);
}

int main(int argc, char **argv)
{
	const char *broker = NULL, *key = NULL;
	long seconds = 60;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--broker") == 0)
			broker = argv[i + 1];
		else if (strcmp(argv[i], "--key") == 0)
			key = argv[i + 1];
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = strtol(argv[i + 1], NULL, 10);
	}
	if (!broker || !key) {
		fprintf(stderr, "usage: hostile_peer --broker URL --key FILE [--seconds N]\n");
		return 2;
	}
	r1_alloc_setup_jansson();
	struct peer p = {.end_ms = wall_us() / 1000 + seconds * 1000};
	char *why = NULL, *cid = NULL;
	struct loop_timer *t = NULL;
	int rc = 1;
	if ((access(key, F_OK) == 0
	         ? identity_load(&p.id, key, &why)
	         : identity_generate(&p.id, &why) || identity_save(&p.id, key, false, &why)) ||
	    loop_new(&p.loop, &why) || bus_mqtt_client_id("hostile", NULL, NULL, &cid, &why))
		goto out;
	struct bus_mqtt_opts mo = {.url = broker, .client_id = cid};
	if (bus_mqtt_new(p.loop, &mo, &p.bus, &why) ||
	    loop_signal(p.loop, SIGTERM, on_signal, &p, &why) ||
	    loop_signal(p.loop, SIGINT, on_signal, &p, &why))
		goto out;
	t = loop_timer_new(p.loop, on_timer, &p);
	if (!t)
		goto out;
	loop_timer_start(t, 200, 1000);
	printf("%s\n", p.id.addr);
	fflush(stdout);
	rc = loop_run(p.loop, &why) ? 1 : 0;
out:
	if (why)
		fprintf(stderr, "hostile_peer: %s\n", why);
	r1_free(why);
	r1_free(cid);
	loop_timer_free(&t);
	bus_free(&p.bus);
	loop_free(&p.loop);
	identity_wipe(&p.id);
	return rc;
}
