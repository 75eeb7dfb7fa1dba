/*
 * bus_open_sibling on a real broker (tests/integration/bus_sibling.sh):
 * an MQTT endpoint, then a sibling opened from it, which must connect with
 * the same URL, credentials and CA as the first, under its own client id,
 * and carry messages both ways.  Test code: it prints and exits.
 *
 *   bus_sibling URL [--user U --pass P] [--timeout S]
 *
 * Prints "first=STATE sibling=STATE id=SIBLING_ID to_sibling=N from_sibling=M"
 * and exits 0 when both connected and 5 messages went each way, 2 when the
 * broker refused the credentials of both, 1 otherwise.
 */
#include "core/lib.h"
#include "core/bus.h"
#include "core/bus_mqtt.h"
#include "core/loop.h"

struct counts {
	int got;
};

static void on_msg(void *ctx, struct bus *bus, const char *topic, const uint8_t *data, size_t len,
                   int qos)
{
	((struct counts *)ctx)->got++;
}

static bool settled(const struct bus *b)
{
	enum bus_state s = bus_state(b, NULL);
	return s == BUS_CONNECTED || s == BUS_AUTH_REFUSED;
}

int main(int argc, char **argv)
{
	const char *url = NULL, *user = NULL, *pass = NULL;
	double timeout = 20;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			user = argv[++i];
		else if (strcmp(argv[i], "--pass") == 0 && i + 1 < argc)
			pass = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			timeout = atof(argv[++i]);
		else
			url = argv[i];
	}
	if (!url) {
		fprintf(stderr, "usage: bus_sibling URL [--user U --pass P] [--timeout S]\n");
		return 4;
	}
	struct loop *loop = NULL;
	struct bus *first = NULL, *sib = NULL;
	char *why = NULL;
	struct bus_mqtt_opts o = {.url = url,
	                          .user = user,
	                          .pass = pass,
	                          .client_id = "sibling-test",
	                          .backoff_min_ms = 100,
	                          .backoff_max_ms = 500};
	if (loop_new(&loop, &why) || bus_mqtt_new(loop, &o, &first, &why) ||
	    bus_open_sibling(first, "sibling-test_SESSION", &sib, &why)) {
		fprintf(stderr, "bus_sibling: %s\n", why ? why : "?");
		return 4;
	}
	struct counts to_sib = {0}, from_sib = {0};
	bus_set_delivery(sib, on_msg, &to_sib);
	bus_set_delivery(first, on_msg, &from_sib);
	bus_subscribe(sib, "sib/to", 1, NULL);
	bus_subscribe(first, "sib/from", 1, NULL);
	int ticks = (int)(timeout * 100);
	for (int i = 0; i < ticks && !(settled(first) && settled(sib)); i++)
		loop_run_once(loop, 10);
	bool up = bus_state(first, NULL) == BUS_CONNECTED && bus_state(sib, NULL) == BUS_CONNECTED;
	for (int i = 0; up && i < 50; i++) /* the subscriptions reach the broker */
		loop_run_once(loop, 10);
	for (int i = 0; up && i < 5; i++) {
		bus_publish(first, "sib/to", "x", 1, 1, NULL);
		bus_publish(sib, "sib/from", "y", 1, 1, NULL);
	}
	for (int i = 0; up && i < ticks && (to_sib.got < 5 || from_sib.got < 5); i++)
		loop_run_once(loop, 10);
	printf("first=%s sibling=%s id=%s to_sibling=%d from_sibling=%d\n",
	       bus_state_name(bus_state(first, NULL)), bus_state_name(bus_state(sib, NULL)),
	       bus_client_id(sib), to_sib.got, from_sib.got);
	bool refused =
	    bus_state(first, NULL) == BUS_AUTH_REFUSED && bus_state(sib, NULL) == BUS_AUTH_REFUSED;
	int rc = up && to_sib.got == 5 && from_sib.got == 5 ? 0 : refused ? 2 : 1;
	bus_free(&sib);
	bus_free(&first);
	loop_free(&loop);
	return rc;
}
