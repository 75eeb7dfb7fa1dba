/*
 * The node's receive path: bytes from the bus to a verified, de-duplicated,
 * decrypted message, routed by topic to command acceptance, the oracle's
 * heartbeat registry or the NetworkListener pipelines.  Verification never
 * drops a message by itself: what a bad signature means is the consumer's
 * decision (commands on a secured node are refused; heartbeats and payloads
 * are not verified by the reference at all, so only well-formed ones are
 * kept here).
 */
#include "node/nodepriv.h"
#include "node/nodetime.h"
#include "core/cipher.h"
#include "core/hbcodec.h"
#include "core/jdoc.h"
#include "core/proto.h"

/* Decrypted plaintexts above this are refused (a command or payload is at most 2 MB). */
#define NODE_MAX_PLAIN (16u * 1024u * 1024u)

bool node_dedup(struct node *n, const char *hash)
{
	if (!hash || !*hash)
		return true;
	if (json_object_get(n->seen, hash))
		return false;
	char *old = n->seen_ring[n->seen_pos];
	if (old) {
		json_object_del(n->seen, old);
		r1_free(old);
	}
	n->seen_ring[n->seen_pos] = r1_strdup(hash);
	n->seen_pos = (n->seen_pos + 1) % NODE_DEDUP_SIZE;
	json_object_set_new(n->seen, hash, json_true());
	return true;
}

static bool names_us(const struct node *n, const json_t *dest)
{
	if (json_is_string(dest))
		return addr_same(json_string_value(dest), n->id.addr);
	size_t i;
	json_t *d;
	json_array_foreach(dest, i, d)
		if (json_is_string(d) && addr_same(json_string_value(d), n->id.addr))
			return true;
	return false;
}

/*
 * Decrypt EE_ENCRYPTED_DATA into an object.  NULL (with *err set) when it is
 * missing, not for us, or does not decrypt to a JSON object.
 */
static json_t *decrypt(struct node *n, const json_t *msg, const char *sender, char **err)
{
	json_t *data = json_object_get(msg, K_EE_ENCRYPTED_DATA);
	if (!json_is_string(data) || !sender) {
		*err = r1_strdup("no EE_ENCRYPTED_DATA or no sender");
		return NULL;
	}
	struct buf plain = BUF_INIT;
	if (cipher_decrypt(&n->id, sender, json_string_value(data), json_string_length(data),
			   NODE_MAX_PLAIN, n->keys, &plain, err)) {
		buf_release(&plain);
		return NULL;
	}
	json_error_t jerr;
	json_t *v = json_loadb(plain.data ? plain.data : "", plain.len, 0, &jerr);
	buf_release(&plain);
	if (!json_is_object(v)) {
		json_decref(v);
		*err = r1_strdup("decrypted data is not a JSON object");
		return NULL;
	}
	return v;
}

static bool is_topic(const char *topic, const char *want)
{
	return want && strcmp(topic, want) == 0;
}

void node_on_message(void *ctx, struct bus *bus, const char *topic, const uint8_t *payload,
		     size_t len, int qos)
{
	struct node *n = ctx;
	(void)bus;
	(void)qos;
	if (!n->started || n->stopped)
		return;
	n->stats.messages_in++;
	enum node_chan chan = is_topic(topic, n->t_config)  ? CHAN_HEARTBEATS
			      : is_topic(topic, n->t_ctrl) ? CHAN_COMMANDCONTROL
							   : CHAN_DEFAULT;
	n->chans[chan].received++;
	n->chans[chan].bytes_in += len;
	n->chans[chan].last_activity_us = nodetime_wall_us();

	struct envelope_verdict v;
	enum envelope_status st =
		envelope_verify_wire(&n->env, (const char *)payload, len, true, &v);
	const struct jdoc_node *root = envelope_ctx_message(&n->env);
	if (st == ENVELOPE_NO_RESOURCES || !root || jdoc_type(root) != JDOC_OBJECT) {
		n->stats.messages_dropped++;
		LOG_D(n->log, "node", "%s: dropped a message on %s: %s", n->alias, topic,
		      v.reason[0] ? v.reason : "not a JSON object");
		return;
	}
	const struct jdoc_node *h = jdoc_obj_get(root, K_EE_HASH);
	if (h && jdoc_type(h) == JDOC_STRING && !node_dedup(n, jdoc_str(h))) {
		n->stats.messages_dropped++;
		LOG_I(n->log, "node", "%s: dropped a repeated message (EE_HASH %.16s...) on %s",
		      n->alias, jdoc_str(h), topic);
		return;
	}
	json_t *msg = NULL;
	if (jdoc_to_jansson(root, &msg, NULL)) {
		n->stats.messages_dropped++;
		return;
	}
	const char *sender = v.sender[0] ? v.sender : json_string_value(json_object_get(msg, K_EE_SENDER));
	struct node_inbound in = {
		.topic = topic,
		.msg = msg,
		.sender = sender,
		.signature_ok = st == ENVELOPE_OK,
		.verdict = v.reason,
		.decrypt_error = "",
	};
	char *derr = NULL;
	bool is_command = is_topic(topic, n->t_config);
	if (json_is_true(json_object_get(msg, K_EE_IS_ENCRYPTED))) {
		in.encrypted = true;
		json_t *dest = json_object_get(msg, K_EE_DEST);
		if (is_command || !dest || names_us(n, dest)) {
			json_t *plain = decrypt(n, msg, sender, &derr);
			if (plain) {
				in.decrypted = true;
				json_object_del(msg, K_EE_ENCRYPTED_DATA);
				if (is_command) {
					/* json_msg.update(dict_data): decrypted keys win */
					json_object_update(msg, plain);
				} else {
					/* {**decrypted, **outer} */
					json_object_update_missing(msg, plain);
				}
				json_decref(plain);
			} else {
				in.decrypt_error = derr ? derr : "decryption failed";
			}
		} else {
			in.decrypt_error = "not addressed to this node";
		}
	}

	if (is_command) {
		node_handle_command(n, &in);
	} else if (is_topic(topic, n->t_ctrl)) {
		if (n->watch) {
			json_t *hb = NULL;
			enum netwatch_hb res;
			char *why = NULL;
			if (hb_decode(msg, &hb, &why) ||
			    netwatch_heartbeat(n->watch, hb, nodetime_wall_us(), &res, &why))
				LOG_D(n->log, "node", "%s: heartbeat ignored: %s", n->alias,
				      why ? why : "?");
			json_decref(hb);
			r1_free(why);
		}
	} else if (!in.encrypted || in.decrypted) {
		node_pipelines_feed(n, msg);
	}
	r1_free(derr);
	json_decref(msg);
}
