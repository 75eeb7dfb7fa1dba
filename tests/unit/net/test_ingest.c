/*
 * The receive path: every SDK command and heartbeat of the vectors goes
 * through to a typed, decrypted message; every drop reason has a message
 * that triggers it, moves its counter and is not delivered.
 */
#include "core/lib.h"
#include "core/cipher.h"
#include "core/envelope.h"
#include "core/identity.h"
#include "core/ingest.h"
#include "core/proto.h"
#include "tests/tap.h"

#include <jansson.h>

static struct r1_identity k[3];
static const char *node_topic = "naeural/0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN/config";

static void load_keys(void)
{
	char *path = tap_vector_path("keys.json");
	json_t *keys = json_load_file(path, 0, NULL);
	free(path);
	for (size_t i = 0; i < 3; i++) {
		const char *pem = json_string_value(
			json_object_get(json_array_get(json_object_get(keys, "keys"), i),
					"private_key_pem_pkcs8"));
		if (identity_from_pem(&k[i], pem, strlen(pem), NULL))
			tap_bail("key %zu does not load", i);
	}
	json_decref(keys);
}

static struct ingest *make(const struct r1_identity *me, const char *alias, bool unverified)
{
	struct ingest_config cfg = {.me = me, .alias = alias, .eth_enabled = true,
				    .accept_unverified = unverified};
	struct ingest *ig = NULL;
	if (ingest_new(&cfg, &ig, NULL))
		tap_bail("ingest_new");
	return ig;
}

static bool json_same(json_t *a, json_t *b)
{
	return json_equal(a, b) == 1;
}

static void test_commands(void)
{
	char *path = tap_vector_path("commands.jsonl");
	size_t n;
	char **lines = tap_read_lines(path, &n);
	struct ingest *node = make(&k[1], "vec-node-a", false);
	struct ingest *other = make(&k[2], "someone", false);
	int commands = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *row = json_loads(lines[i], 0, NULL);
		const char *id = json_string_value(json_object_get(row, "id"));
		const char *wire = json_string_value(json_object_get(row, "wire"));
		const char *topic = json_string_value(json_object_get(row, "topic"));
		bool encrypted = json_is_true(json_object_get(row, "encrypted"));
		struct r1_msg msg;
		enum ingest_drop why;
		bool got = ingest_receive(node, topic, wire, strlen(wire), &msg, &why);
		ok(got, "%s: delivered to the node (%s)", id, got ? "" : ingest_last_reason(node));
		if (got) {
			ok(msg.verified, "%s: verified", id);
			is_str(msg.sender, k[0].addr, "%s: sender", id);
			is_int(msg.encrypted, encrypted, "%s: encryption flag", id);
			is_int(msg.decrypted, encrypted, "%s: decrypted when encrypted", id);
			json_t *action = json_object_get(row, "action");
			if (json_is_string(action)) {
				is_int(msg.kind, MSG_COMMAND, "%s: a command", id);
				ok(json_same(json_object_get(msg.body, K_ACTION), action), "%s: ACTION", id);
				ok(json_same(json_object_get(msg.body, K_PAYLOAD),
					     json_object_get(row, "payload")),
				   "%s: PAYLOAD equals the SDK's", id);
				commands++;
			} else {
				is_int(msg.kind, MSG_PAYLOAD, "%s: a payload", id);
				ok(json_same(json_object_get(msg.body, K_NET_CONFIG_DATA),
					     json_object_get(json_object_get(row, "payload"), K_NET_CONFIG_DATA)),
				   "%s: NET_CONFIG_DATA", id);
			}
			ok(json_object_get(msg.body, K_EE_ENCRYPTED_DATA) == NULL,
			   "%s: ciphertext removed from the body", id);
			r1_msg_release(&msg);
		}
		got = ingest_receive(node, topic, wire, strlen(wire), &msg, &why);
		ok(!got && why == INGEST_DROP_DUPLICATE, "%s: the replay is a duplicate", id);
		got = ingest_receive(other, topic, wire, strlen(wire), &msg, &why);
		ok(!got && why == INGEST_DROP_NOT_FOR_US, "%s: not for a third party", id);
		json_decref(row);
	}
	is_int(commands, 18, "every SDK command row checked");
	const struct ingest_stats *st = ingest_get_stats(node);
	is_int(st->delivered, n, "delivered count");
	is_int(st->drops.count[INGEST_DROP_DUPLICATE], n, "duplicate count");
	is_int(ingest_get_stats(other)->drops.count[INGEST_DROP_NOT_FOR_US], n, "not-for-us count");
	ingest_free(&node);
	ingest_free(&other);
	tap_free_lines(lines);
	free(path);
}

static void test_heartbeats(void)
{
	char *path = tap_vector_path("heartbeat.jsonl");
	size_t n;
	char **lines = tap_read_lines(path, &n);
	struct ingest *console = make(&k[0], NULL, false);
	int seen = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *row = json_loads(lines[i], 0, NULL);
		const char *kind = json_string_value(json_object_get(row, "kind"));
		const char *wire = json_string_value(json_object_get(row, "wire"));
		const char *topic = json_string_value(json_object_get(row, "topic"));
		const char *id = json_string_value(json_object_get(row, "id"));
		bool valid = json_is_true(json_object_get(json_object_get(row, "signature_check"), "valid"));
		if (!wire || !topic || !(strcmp(kind, "heartbeat") == 0 || strcmp(kind, "netmon") == 0)) {
			json_decref(row);
			continue;
		}
		struct r1_msg msg;
		enum ingest_drop why;
		bool got = ingest_receive(console, topic, wire, strlen(wire), &msg, &why);
		is_int(got, valid, "%s: delivered exactly when the SDK says the signature is valid", id);
		if (got) {
			is_int(msg.kind, strcmp(kind, "heartbeat") == 0 ? MSG_HEARTBEAT : MSG_PAYLOAD,
			       "%s: kind", id);
			ok(msg.alias && strcmp(msg.alias, json_string_value(json_object_get(
				json_object_get(row, "message"), K_EE_ID))) == 0, "%s: alias", id);
			r1_msg_release(&msg);
		}
		seen++;
		json_decref(row);
	}
	is_int(seen, 5, "all heartbeat and netmon rows checked");
	ingest_free(&console);
	tap_free_lines(lines);
	free(path);
}

/* Sign `msg` with `id` and return the wire text (malloc'd). */
static char *sign(json_t *msg, const struct r1_identity *id)
{
	struct buf wire = BUF_INIT;
	if (envelope_sign(msg, id, true, &wire, NULL, NULL))
		tap_bail("sign");
	json_decref(msg);
	return buf_detach(&wire, NULL);
}

static void test_drops(void)
{
	struct ingest *ig = make(&k[1], "node-1", false);
	struct r1_msg msg;
	enum ingest_drop why;
	const struct ingest_stats *st = ingest_get_stats(ig);

	/* oversize */
	size_t big = R1_MAX_MESSAGE_LEN + 1;
	char *huge = malloc(big);
	memset(huge, ' ', big);
	ok(!ingest_receive(ig, "naeural/ctrl", huge, big, &msg, &why) && why == INGEST_DROP_OVERSIZE,
	   "2 MB + 1 dropped as oversize");
	free(huge);
	is_int(st->drops.count[INGEST_DROP_OVERSIZE], 1, "oversize counted");

	/* malformed */
	ok(!ingest_receive(ig, "naeural/ctrl", "{\"a\":", 5, &msg, &why) && why == INGEST_DROP_MALFORMED,
	   "truncated JSON dropped as malformed");
	ok(!ingest_receive(ig, "naeural/ctrl", "[1,2]", 5, &msg, &why) && why == INGEST_DROP_MALFORMED,
	   "a JSON array dropped as malformed");
	ok(!ingest_receive(ig, "naeural/ctrl", "{\"a\":\"\xff\"}", 9, &msg, &why) &&
		   why == INGEST_DROP_MALFORMED, "invalid UTF-8 dropped as malformed");
	is_int(st->drops.count[INGEST_DROP_MALFORMED], 3, "malformed counted");

	/* a good payload, then the same bytes again, then a tampered copy */
	char *good = sign(json_pack("{s:s, s:s, s:i}", K_EE_EVENT_TYPE, EVENT_PAYLOAD, K_EE_ID, "n0",
				    "VALUE", 7), &k[0]);
	ok(ingest_receive(ig, "naeural/payloads", good, strlen(good), &msg, &why), "signed payload delivered");
	is_int(json_integer_value(json_object_get(msg.body, "VALUE")), 7, "body carries the value");
	is_str(msg.path[0], NULL, "no EE_PAYLOAD_PATH, no path");
	r1_msg_release(&msg);
	ok(!ingest_receive(ig, "naeural/payloads", good, strlen(good), &msg, &why) &&
		   why == INGEST_DROP_DUPLICATE, "the same message again is a duplicate");

	char *tampered = strdup(good);
	char *seven = strstr(tampered, "\"VALUE\":7");
	seven[8] = '8';
	ok(!ingest_receive(ig, "naeural/payloads", tampered, strlen(tampered), &msg, &why) &&
		   why == INGEST_DROP_DUPLICATE, "a tampered copy carrying a known EE_HASH is dropped early");
	ingest_reset_dedup(ig);
	ok(!ingest_receive(ig, "naeural/payloads", tampered, strlen(tampered), &msg, &why) &&
		   why == INGEST_DROP_BAD_SIGNATURE, "a tampered message fails verification");
	ok(strstr(ingest_last_reason(ig), "hash mismatch") != NULL, "reason: %s", ingest_last_reason(ig));
	ok(ingest_receive(ig, "naeural/payloads", good, strlen(good), &msg, &why),
	   "a forged copy did not poison the window: the real message still passes");
	r1_msg_release(&msg);
	is_int(st->drops.count[INGEST_DROP_BAD_SIGNATURE], 1, "bad signature counted");

	/* not for us: a command to another EE_ID */
	char *cmd = sign(json_pack("{s:s, s:n, s:s}", K_ACTION, ACT_RESTART, K_PAYLOAD, K_EE_ID, "other"), &k[0]);
	ok(!ingest_receive(ig, node_topic, cmd, strlen(cmd), &msg, &why) && why == INGEST_DROP_NOT_FOR_US,
	   "a command for another node is not for us");
	free(cmd);
	cmd = sign(json_pack("{s:s, s:n, s:s}", K_ACTION, ACT_RESTART, K_PAYLOAD, K_EE_ID, "node-1"), &k[0]);
	ok(ingest_receive(ig, node_topic, cmd, strlen(cmd), &msg, &why), "a command for our alias passes");
	is_int(msg.kind, MSG_COMMAND, "classified as a command");
	r1_msg_release(&msg);
	free(cmd);
	cmd = sign(json_pack("{s:s, s:n, s:s}", K_ACTION, ACT_RESTART, K_PAYLOAD, K_EE_ID, k[1].eth), &k[0]);
	ok(ingest_receive(ig, node_topic, cmd, strlen(cmd), &msg, &why), "a command for our ETH address passes");
	r1_msg_release(&msg);
	free(cmd);

	/* an encrypted payload for someone else; one for us that does not decrypt */
	struct buf ct = BUF_INIT;
	cipher_encrypt_single(&k[0], k[2].addr, "{\"X\":1}", 7, NULL, &ct, NULL);
	char *foreign = sign(json_pack("{s:s, s:b, s:s, s:s}", K_EE_EVENT_TYPE, EVENT_PAYLOAD,
				       K_EE_IS_ENCRYPTED, 1, K_EE_ENCRYPTED_DATA, buf_cstr(&ct),
				       K_EE_DEST, k[2].addr), &k[0]);
	ok(!ingest_receive(ig, "naeural/payloads", foreign, strlen(foreign), &msg, &why) &&
		   why == INGEST_DROP_NOT_FOR_US, "an encrypted payload for another node is not for us");
	char *wrongkey = sign(json_pack("{s:s, s:b, s:s, s:s}", K_EE_EVENT_TYPE, EVENT_PAYLOAD,
					K_EE_IS_ENCRYPTED, 1, K_EE_ENCRYPTED_DATA, buf_cstr(&ct),
					K_EE_DEST, k[1].addr), &k[0]);
	ok(!ingest_receive(ig, "naeural/payloads", wrongkey, strlen(wrongkey), &msg, &why) &&
		   why == INGEST_DROP_DECRYPT_FAILED, "addressed to us but encrypted for another key");
	ok(strstr(ingest_last_reason(ig), "decrypt-failed") != NULL, "reason: %s", ingest_last_reason(ig));
	buf_reset(&ct);
	cipher_encrypt_single(&k[0], k[1].addr, "{\"X\":1,\"EE_ID\":\"inner\"}", 23, NULL, &ct, NULL);
	char *mine = sign(json_pack("{s:s, s:b, s:s, s:[s], s:s}", K_EE_EVENT_TYPE, EVENT_PAYLOAD,
				    K_EE_IS_ENCRYPTED, 1, K_EE_ENCRYPTED_DATA, buf_cstr(&ct),
				    K_EE_DEST, k[1].addr, K_EE_ID, "outer"), &k[0]);
	ok(ingest_receive(ig, "naeural/payloads", mine, strlen(mine), &msg, &why), "encrypted to us: delivered");
	is_int(json_integer_value(json_object_get(msg.body, "X")), 1, "decrypted field present");
	is_str(msg.alias, "outer", "outer keys win over decrypted ones, as the SDK merges");
	r1_msg_release(&msg);
	is_int(st->drops.count[INGEST_DROP_NOT_FOR_US], 2, "not-for-us counted");
	is_int(st->drops.count[INGEST_DROP_DECRYPT_FAILED], 1, "decrypt failure counted");
	buf_release(&ct);
	free(foreign);
	free(wrongkey);
	free(mine);
	ingest_free(&ig);

	/* An unsecured node accepts a bad signature, marked. */
	struct ingest *lax = make(&k[1], "node-1", true);
	ok(ingest_receive(lax, "naeural/payloads", tampered, strlen(tampered), &msg, &why),
	   "accept_unverified delivers a bad signature");
	ok(!msg.verified && strstr(msg.reason, "hash mismatch"), "marked unverified: %s", msg.reason);
	r1_msg_release(&msg);
	is_int(ingest_get_stats(lax)->unverified, 1, "unverified deliveries counted");
	ingest_free(&lax);
	free(tampered);
	free(good);
}

int main(void)
{
	load_keys();
	test_commands();
	test_heartbeats();
	test_drops();
	return tap_done();
}
