/*
 * A scripted client of a node over MQTT, for the node integration tests: it
 * plays the SDK's part with our own envelope, cipher and bus code.
 *
 *   node_client --new-key FILE                      write a key, print its address
 *   node_client --broker URL --key FILE --node ADDR [--alias ALIAS] STEP...
 *
 * Steps run in order; messages that arrive are kept, and each expect step
 * takes the first matching message not taken yet (waiting up to its
 * timeout), so a step may come after the message it waits for.
 *   send ACTION JSON          a command to the node (encrypted; JSON may be null)
 *   send-clear ACTION JSON    the same in clear
 *   notif CODE PIPELINE       expect a notification with that code (PIPELINE "-" = any)
 *   payload PIPELINE INST KEY expect a payload of that instance with KEY in it
 *                             (KEY=TEXT: with that string value; "-" = anything)
 *   no-payload PIPELINE SECS  expect no payload of that pipeline for SECS seconds
 *   heartbeat                 expect a v2 heartbeat of the node that decodes,
 *                             with the reference's fields
 *   sleep SECS
 * Exit status 0 when every step passed; the first failure says why (stderr).
 */
#include "core/lib.h"
#include "core/bus.h"
#include "core/bus_mqtt.h"
#include "core/cipher.h"
#include "core/envelope.h"
#include "core/hbcodec.h"
#include "core/identity.h"
#include "core/loop.h"
#include "core/proto.h"

#include <jansson.h>

#define STEP_TIMEOUT_MS 15000

struct client {
	struct loop *loop;
	struct bus *bus;
	struct r1_identity id;
	const char *node, *alias;
	json_t *inbox; /* received messages, each with "_TOPIC" and "_TAKEN" */
	int seq;
};

static void on_message(void *ctx, struct bus *bus, const char *topic, const uint8_t *data,
                       size_t len, int qos)
{
	struct client *c = ctx;
	json_t *m = json_loadb((const char *)data, len, 0, NULL);
	if (!json_is_object(m)) {
		json_decref(m);
		return;
	}
	const char *sender = json_string_value(json_object_get(m, K_EE_SENDER));
	if (!sender || !addr_same(sender, c->node)) {
		json_decref(m);
		return;
	}
	/* decrypt what is addressed to us */
	json_t *enc = json_object_get(m, K_EE_ENCRYPTED_DATA);
	if (json_is_true(json_object_get(m, K_EE_IS_ENCRYPTED)) && json_is_string(enc)) {
		struct buf plain = BUF_INIT;
		if (!cipher_decrypt(&c->id, sender, json_string_value(enc), json_string_length(enc),
		                    1 << 24, NULL, &plain, NULL)) {
			json_t *inner = json_loadb(plain.data, plain.len, 0, NULL);
			if (json_is_object(inner))
				json_object_update_missing(m, inner);
			json_decref(inner);
		}
		buf_release(&plain);
	}
	json_object_set_new(m, "_TOPIC", json_string(topic));
	json_array_append_new(c->inbox, m);
}

static bool wait_for(struct client *c, bool (*match)(json_t *m, void *arg), void *arg,
                     int timeout_ms, json_t **found)
{
	for (int waited = 0;; waited += 10) {
		size_t i;
		json_t *m;
		json_array_foreach(c->inbox, i, m)
		{
			if (json_is_true(json_object_get(m, "_TAKEN")) || !match(m, arg))
				continue;
			json_object_set_new(m, "_TAKEN", json_true());
			if (found)
				*found = m;
			return true;
		}
		if (waited >= timeout_ms)
			return false;
		loop_run_once(c->loop, 10);
	}
}

static const char *type_of(json_t *m)
{
	return json_string_value(json_object_get(m, K_EE_EVENT_TYPE));
}

static const char *path_at(json_t *m, size_t i)
{
	return json_string_value(json_array_get(json_object_get(m, K_EE_PAYLOAD_PATH), i));
}

struct notif_want {
	long code;
	const char *pipeline;
};

static bool match_notif(json_t *m, void *arg)
{
	struct notif_want *w = arg;
	const char *t = type_of(m);
	json_t *code = json_object_get(m, K_NOTIFICATION_CODE);
	if (!t || strcmp(t, EVENT_NOTIFICATION) || !json_is_integer(code) ||
	    json_integer_value(code) != w->code)
		return false;
	return strcmp(w->pipeline, "-") == 0 ||
	       (path_at(m, 1) && strcmp(path_at(m, 1), w->pipeline) == 0);
}

struct payload_want {
	const char *pipeline, *instance, *key;
};

static bool match_payload(json_t *m, void *arg)
{
	struct payload_want *w = arg;
	const char *t = type_of(m);
	if (!t || strcmp(t, EVENT_PAYLOAD))
		return false;
	if (!path_at(m, 1) || strcmp(path_at(m, 1), w->pipeline))
		return false;
	if (w->instance && (!path_at(m, 3) || strcmp(path_at(m, 3), w->instance)))
		return false;
	if (!w->key)
		return true;
	const char *eq = strchr(w->key, '=');
	if (!eq)
		return json_object_get(m, w->key) != NULL;
	char key[128];
	snprintf(key, sizeof(key), "%.*s", (int)(eq - w->key), w->key);
	const char *v = json_string_value(json_object_get(m, key));
	return v && strcmp(v, eq + 1) == 0;
}

static bool match_heartbeat(json_t *m, void *arg)
{
	const char *t = type_of(m);
	return t && strcmp(t, EVENT_HEARTBEAT) == 0;
}

static int send_command(struct client *c, const char *action, const char *payload_text,
                        bool encrypt)
{
	json_error_t jerr;
	json_t *payload = json_loads(payload_text, JSON_DECODE_ANY, &jerr);
	if (!payload) {
		fprintf(stderr, "send %s: bad JSON: %s\n", action, jerr.text);
		return 1;
	}
	json_t *m = json_object();
	json_t *inner = json_pack("{s:s,s:o}", K_ACTION, action, K_PAYLOAD, payload);
	if (encrypt) {
		char *text = json_dumps(inner, JSON_COMPACT);
		struct buf enc = BUF_INIT;
		char *why = NULL;
		if (cipher_encrypt_single(&c->id, c->node, text, strlen(text), NULL, &enc, &why)) {
			fprintf(stderr, "encrypt: %s\n", why);
			return 1;
		}
		json_object_set_new(m, K_EE_IS_ENCRYPTED, json_true());
		json_object_set_new(m, K_EE_ENCRYPTED_DATA, json_string(buf_cstr(&enc)));
		buf_release(&enc);
		free(text);
	} else {
		json_object_update(m, inner);
		json_object_set_new(m, K_EE_IS_ENCRYPTED, json_false());
	}
	json_decref(inner);
	char when[40];
	snprintf(when, sizeof(when), "2026-11-27 10:00:00.%06d", ++c->seq);
	json_object_set_new(m, K_EE_DEST, json_string(c->node));
	json_object_set_new(m, K_EE_ID, json_string(c->alias ? c->alias : c->node));
	json_object_set_new(m, K_SESSION_ID, json_string("node-client"));
	json_object_set_new(m, K_INITIATOR_ID, json_string("node-client"));
	json_object_set_new(m, K_TIME, json_string(when));
	struct buf wire = BUF_INIT;
	char *why = NULL;
	if (envelope_sign(m, &c->id, true, &wire, NULL, &why)) {
		fprintf(stderr, "sign: %s\n", why);
		return 1;
	}
	json_decref(m);
	char topic[256];
	snprintf(topic, sizeof(topic), "naeural/%s/config", c->node);
	int rc = bus_publish(c->bus, topic, wire.data, wire.len, 2, &why) ? 1 : 0;
	if (rc)
		fprintf(stderr, "publish: %s\n", why);
	buf_release(&wire);
	return rc;
}

static int check_heartbeat(json_t *m)
{
	static const char *const need[] = {
	    "CURRENT_TIME", "EE_ADDR",        "EE_WHITELIST",   "EE_IS_SUPER",      "SECURED",
	    "EE_HB_TIME",   "DEVICE_STATUS",  "MACHINE_MEMORY", "AVAILABLE_MEMORY", "CPU_USED",
	    "CPU_NR_CORES", "GPUS",           "TOTAL_DISK",     "AVAILABLE_DISK",   "UPTIME",
	    "VERSION",      "ACTIVE_PLUGINS", "COMM_STATS",     "CONFIG_STREAMS"};
	if (!hb_is_v2(m)) {
		fprintf(stderr, "heartbeat is not v2\n");
		return 1;
	}
	json_t *view = NULL;
	char *why = NULL;
	if (hb_decode(m, &view, &why)) {
		fprintf(stderr, "heartbeat does not decode: %s\n", why);
		return 1;
	}
	int rc = 0;
	for (size_t i = 0; i < R1_ARRAY_LEN(need); i++)
		if (!json_object_get(view, need[i])) {
			fprintf(stderr, "heartbeat lacks %s\n", need[i]);
			rc = 1;
		}
	printf("heartbeat: %zu fields, %zu active plugins, CPU_USED %.1f\n", json_object_size(view),
	       json_array_size(json_object_get(view, K_ACTIVE_PLUGINS)),
	       json_number_value(json_object_get(view, K_CPU_USED)));
	json_decref(view);
	return rc;
}

static int run_steps(struct client *c, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];
		int need = !strcmp(s, "send") || !strcmp(s, "send-clear") || !strcmp(s, "notif") ||
		                   !strcmp(s, "no-payload")
		               ? 2
		           : !strcmp(s, "payload") ? 3
		           : !strcmp(s, "sleep")   ? 1
		                                   : 0;
		if (i + need >= argc) {
			fprintf(stderr, "step %s: missing arguments\n", s);
			return 2;
		}
		if (!strcmp(s, "send") || !strcmp(s, "send-clear")) {
			if (send_command(c, argv[i + 1], argv[i + 2], !strcmp(s, "send")))
				return 1;
			printf("sent %s\n", argv[i + 1]);
		} else if (!strcmp(s, "notif")) {
			struct notif_want w = {atol(argv[i + 1]), argv[i + 2]};
			json_t *m = NULL;
			if (!wait_for(c, match_notif, &w, STEP_TIMEOUT_MS, &m)) {
				fprintf(stderr, "no notification %ld for %s\n", w.code, w.pipeline);
				return 1;
			}
			printf("notification %ld %s: %s\n", w.code,
			       json_string_value(json_object_get(m, K_NOTIFICATION_TAG)),
			       json_string_value(json_object_get(m, K_NOTIFICATION)));
		} else if (!strcmp(s, "payload")) {
			struct payload_want w = {argv[i + 1],
			                         strcmp(argv[i + 2], "-") ? argv[i + 2] : NULL,
			                         strcmp(argv[i + 3], "-") ? argv[i + 3] : NULL};
			if (!wait_for(c, match_payload, &w, STEP_TIMEOUT_MS, NULL)) {
				fprintf(stderr, "no payload %s/%s with %s\n", w.pipeline,
				        argv[i + 2], argv[i + 3]);
				return 1;
			}
			printf("payload %s/%s with %s\n", w.pipeline, argv[i + 2], argv[i + 3]);
		} else if (!strcmp(s, "no-payload")) {
			struct payload_want w = {argv[i + 1], NULL, NULL};
			/* forget what came before, then watch */
			size_t k;
			json_t *m;
			json_array_foreach(c->inbox, k, m)
			    json_object_set_new(m, "_TAKEN", json_true());
			if (wait_for(c, match_payload, &w, atoi(argv[i + 2]) * 1000, NULL)) {
				fprintf(stderr, "a payload of %s still came\n", w.pipeline);
				return 1;
			}
			printf("no payload of %s\n", w.pipeline);
		} else if (!strcmp(s, "heartbeat")) {
			json_t *m = NULL;
			if (!wait_for(c, match_heartbeat, NULL, STEP_TIMEOUT_MS, &m)) {
				fprintf(stderr, "no heartbeat\n");
				return 1;
			}
			if (check_heartbeat(m))
				return 1;
		} else if (!strcmp(s, "sleep")) {
			int ms = (int)(atof(argv[i + 1]) * 1000);
			for (int t = 0; t < ms; t += 10)
				loop_run_once(c->loop, 10);
		} else {
			fprintf(stderr, "unknown step %s\n", s);
			return 2;
		}
		i += need;
	}
	return 0;
}

int main(int argc, char **argv)
{
	r1_alloc_setup_jansson();
	if (argc == 3 && strcmp(argv[1], "--new-key") == 0) {
		struct r1_identity id;
		char *why = NULL;
		if (identity_generate(&id, &why) || identity_save(&id, argv[2], true, &why)) {
			fprintf(stderr, "%s\n", why);
			return 1;
		}
		printf("%s\n", id.addr);
		return 0;
	}
	struct client c = {0};
	const char *broker = NULL, *key = NULL;
	int i = 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--broker"))
			broker = argv[i + 1];
		else if (!strcmp(argv[i], "--key"))
			key = argv[i + 1];
		else if (!strcmp(argv[i], "--node"))
			c.node = argv[i + 1];
		else if (!strcmp(argv[i], "--alias"))
			c.alias = argv[i + 1];
		else
			break;
	}
	if (!broker || !key || !c.node) {
		fprintf(stderr, "usage: node_client --broker URL --key FILE --node ADDR STEP...\n");
		return 2;
	}
	char *why = NULL;
	if (identity_load(&c.id, key, &why)) {
		fprintf(stderr, "%s\n", why);
		r1_free(why);
		return 1;
	}
	c.inbox = json_array();
	char *cid = NULL;
	bus_mqtt_client_id("node-client", NULL, NULL, &cid, NULL);
	struct bus_mqtt_opts mo = {.url = broker, .client_id = cid};
	if (loop_new(&c.loop, &why) || bus_mqtt_new(c.loop, &mo, &c.bus, &why)) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	bus_set_delivery(c.bus, on_message, &c);
	char topic[256];
	snprintf(topic, sizeof(topic), "naeural/%s/payloads", c.id.addr);
	bus_subscribe(c.bus, "naeural/notif", 2, NULL);
	bus_subscribe(c.bus, "naeural/payloads", 2, NULL);
	bus_subscribe(c.bus, "naeural/ctrl", 1, NULL);
	bus_subscribe(c.bus, topic, 2, NULL);
	for (int t = 0; t < 5000 && bus_state(c.bus, NULL) != BUS_CONNECTED; t += 10)
		loop_run_once(c.loop, 10);
	if (bus_state(c.bus, NULL) != BUS_CONNECTED) {
		fprintf(stderr, "not connected to %s\n", broker);
		return 1;
	}
	int rc = run_steps(&c, argc - i, argv + i);
	/* let the last messages leave */
	for (int t = 0; t < 200; t += 10)
		loop_run_once(c.loop, 10);
	bus_free(&c.bus);
	loop_free(&c.loop);
	json_decref(c.inbox);
	r1_free(cid);
	identity_wipe(&c.id);
	return rc;
}
