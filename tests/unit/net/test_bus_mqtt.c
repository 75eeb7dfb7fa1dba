/*
 * Unit tests of bus_mqtt that need no broker: the URL parser, the
 * reference's client id form, option checks, and the outbound queue and
 * state reporting while the broker is unreachable.  Talking to a broker is
 * tested in tests/integration/bus_*.sh.
 */
#include "core/lib.h"
#include "core/bus.h"
#include "core/bus_mqtt.h"
#include "core/loop.h"
#include "tests/tap.h"

struct url_case {
	const char *url;
	bool tls;
	const char *user, *pass, *host;
	int port;
};

static const struct url_case good[] = {
    {"mqtt://h", false, NULL, NULL, "h", 1883},
    {"mqtts://h", true, NULL, NULL, "h", 8883},
    {"mqtt://127.0.0.1:1884", false, NULL, NULL, "127.0.0.1", 1884},
    {"mqtt://127.0.0.1:1884/", false, NULL, NULL, "127.0.0.1", 1884},
    {"MQTTS://broker.example:65535", true, NULL, NULL, "broker.example", 65535},
    {"mqtt://u@h", false, "u", NULL, "h", 1883},
    {"mqtt://u:@h", false, "u", "", "h", 1883},
    {"mqtt://u:p@h:1", false, "u", "p", "h", 1},
    {"mqtt://u:p:q@h", false, "u", "p:q", "h", 1883},
    {"mqtt://u%40x:p%2F%3a@h", false, "u@x", "p/:", "h", 1883},
    {"mqtt://u:p@x@h", false, "u", "p@x", "h", 1883},
    {"mqtt://[::1]:1885", false, NULL, NULL, "::1", 1885},
    {"mqtts://u:p@[fe80::1]", true, "u", "p", "fe80::1", 8883},
};

static const char *const bad[] = {
    "",
    "h:1883",
    "http://h",
    "mqtt://",
    "mqtt://:1883",
    "mqtt://h:",
    "mqtt://h:0",
    "mqtt://h:65536",
    "mqtt://h:12a",
    "mqtt://h:123456",
    "mqtt://h/x",
    "mqtt://h?x=1",
    "mqtt://u@",
    "mqtt://[::1",
    "mqtt://[]:1",
    "mqtt://[::1]x",
    "mqtt://u:%zz@h",
    "mqtt://u%@h",
    "mqtt://u%00@h",
};

static void test_parse(void)
{
	struct mqtt_url u;
	char *why = NULL;
	is_int(mqtt_url_parse(NULL, &u, &why), R1_ERR_INVAL, "NULL URL");
	for (size_t i = 0; i < R1_ARRAY_LEN(good); i++) {
		const struct url_case *c = &good[i];
		enum r1_err err = mqtt_url_parse(c->url, &u, &why);
		is_int(err, R1_OK, "parse %s", c->url);
		if (err)
			continue;
		is_int(u.tls, c->tls, "%s: tls", c->url);
		ok(c->user ? u.user && strcmp(u.user, c->user) == 0 : !u.user, "%s: user %s",
		   c->url, u.user ? u.user : "(none)");
		ok(c->pass ? u.pass && strcmp(u.pass, c->pass) == 0 : !u.pass, "%s: pass %s",
		   c->url, u.pass ? u.pass : "(none)");
		is_str(u.host, c->host, "%s: host", c->url);
		is_int(u.port, c->port, "%s: port", c->url);
		mqtt_url_release(&u);
		ok(u.host == NULL, "release clears");
	}
	for (size_t i = 0; i < R1_ARRAY_LEN(bad); i++) {
		is_int(mqtt_url_parse(bad[i], &u, &why), R1_ERR_INVAL, "refuse \"%s\"", bad[i]);
		ok(u.host == NULL && u.user == NULL, "nothing left for \"%s\"", bad[i]);
	}
	r1_free(why);
	for (long n = 0; n < 3; n++) {
		r1_alloc_fail_after(n);
		enum r1_err err = mqtt_url_parse("mqtt://u:p@h:1", &u, NULL);
		r1_alloc_fail_after(-1);
		is_int(err, R1_ERR_NOMEM, "allocation %ld failing gives NOMEM", n);
	}
}

static void test_client_id(void)
{
	char *id = NULL, *why = NULL;
	is_int(bus_mqtt_client_id("node1", "HEARTBEATS", "abc", &id, NULL), R1_OK, "client id");
	is_str(id, "node1_HEARTBE_abc", "COMM_TYPE cut to 7 characters");
	r1_free(id);
	is_int(bus_mqtt_client_id("s", "DEFAULT", "1", &id, NULL), R1_OK, "short type");
	is_str(id, "s_DEFAULT_1", "7-character type kept");
	r1_free(id);
	is_int(bus_mqtt_client_id("s", NULL, "u", &id, NULL), R1_OK, "no type");
	is_str(id, "s_CUSTOM_u", "default type CUSTOM");
	r1_free(id);
	is_int(bus_mqtt_client_id("s", "NOTIFICATIONS", NULL, &id, NULL), R1_OK, "random uid");
	ok(id && strlen(id) == strlen("s_NOTIFIC_") + 8 && strncmp(id, "s_NOTIFIC_", 10) == 0 &&
	       strspn(id + 10, "0123456789abcdef") == 8,
	   "random unique id is 8 hex digits (%s)", id ? id : "");
	r1_free(id);
	is_int(bus_mqtt_client_id("", "X", "1", &id, &why), R1_ERR_INVAL, "empty name refused");
	r1_free(why);
}

static void test_new_errors(void)
{
	struct loop *loop = NULL;
	struct bus *bus = NULL;
	char *why = NULL;
	if (loop_new(&loop, NULL))
		tap_bail("loop_new");
	struct bus_mqtt_opts o = {.url = "mqtt://127.0.0.1:1", .client_id = "t"};
	is_int(bus_mqtt_new(loop, NULL, &bus, &why), R1_ERR_INVAL, "no options");
	o.client_id = "";
	is_int(bus_mqtt_new(loop, &o, &bus, &why), R1_ERR_INVAL, "empty client id");
	o.client_id = "t";
	o.url = "tcp://x";
	is_int(bus_mqtt_new(loop, &o, &bus, &why), R1_ERR_INVAL, "bad URL");
	ok(why && strstr(why, "mqtt://"), "reason explains the scheme: %s", why ? why : "");
	o.url = "mqtts://127.0.0.1:1";
	o.ca_file = "/nonexistent/ca.pem";
	is_int(bus_mqtt_new(loop, &o, &bus, &why), R1_ERR_INVAL, "unreadable CA file");
	ok(why && strstr(why, "/nonexistent/ca.pem"), "reason names the CA file");
	o.ca_file = NULL;
	o.backoff_min_ms = 10;
	o.backoff_max_ms = 5;
	is_int(bus_mqtt_new(loop, &o, &bus, &why), R1_ERR_INVAL, "backoff min above max");
	ok(bus == NULL, "no bus on error");

	/* A broker that is not there: the bus reports it and keeps trying. */
	o = (struct bus_mqtt_opts){.url = "mqtt://127.0.0.1:1",
	                           .client_id = "t",
	                           .backoff_min_ms = 5,
	                           .backoff_max_ms = 10};
	is_int(bus_mqtt_new(loop, &o, &bus, &why), R1_OK, "bus to a closed port");
	is_str(bus_kind(bus), "mqtt", "kind");
	is_str(bus_client_id(bus), "t", "client id kept");
	is_int(bus_state(bus, NULL), BUS_DISCONNECTED, "not connected before the loop runs");
	is_int(bus_publish(bus, "a", "x", 1, 0, &why), R1_ERR_AGAIN, "QoS 0 offline fails");
	is_int(bus_publish(bus, "a", "x", 1, 1, &why), R1_OK, "QoS 1 offline is queued");
	struct bus_stats st;
	bus_get_stats(bus, &st);
	is_int((long long)st.queued, 1, "one queued");
	is_int((long long)st.dropped[BUS_DROP_OFFLINE], 1, "one offline drop");
	const char *reason = "";
	for (int i = 0; i < 200 && !strstr(reason, "refused"); i++) {
		loop_run_once(loop, 20);
		bus_state(bus, &reason);
	}
	ok(strstr(reason, "cannot connect to 127.0.0.1:1") != NULL,
	   "reason says where it could not connect: %s", reason);
	ok(strstr(reason, "refused") != NULL, "and why: %s", reason);
	bus_free(&bus);
	ok(bus == NULL, "bus_free NULLs");

	/* The outbound queue's bounds, while nothing can be sent. */
	o.queue_max = 3;
	is_int(bus_mqtt_new(loop, &o, &bus, &why), R1_OK, "bus with a queue of 3");
	for (int i = 0; i < 3; i++)
		is_int(bus_publish(bus, "a", "x", 1, 1 + i % 2, NULL), R1_OK, "queued %d", i);
	is_int(bus_publish(bus, "a", "x", 1, 1, &why), R1_ERR_AGAIN, "fourth refused");
	ok(why && strstr(why, "queue full"), "reason: %s", why ? why : "");
	bus_get_stats(bus, &st);
	is_int((long long)st.dropped[BUS_DROP_OUT_FULL], 1, "counted as out-queue-full");
	is_int((long long)st.queued, 3, "three still queued");
	is_int((long long)st.published, 3, "three published");
	bus_free(&bus);
	o.queue_max = 0;
	o.queue_max_bytes = 10;
	is_int(bus_mqtt_new(loop, &o, &bus, &why), R1_OK, "bus with a queue of 10 bytes");
	is_int(bus_publish(bus, "a", "0123456789", 10, 1, NULL), R1_OK, "10 bytes fit");
	is_int(bus_publish(bus, "a", "x", 1, 1, NULL), R1_ERR_AGAIN, "one more byte does not");
	bus_free(&bus);
	r1_free(why);
	loop_free(&loop);
}

int main(void)
{
	test_parse();
	test_client_id();
	test_new_errors();
	return tap_done();
}
