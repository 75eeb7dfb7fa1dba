/*
 * The receive path (see ingest.h).  It keeps one envelope context and one
 * spare document for decrypted plaintext, so a warm path allocates only the
 * jansson body it hands over.
 */
#include "core/lib.h"
#include "core/ingest.h"
#include "core/cipher.h"
#include "core/codec.h"
#include "core/jdoc.h"
#include "core/proto.h"

struct ingest {
	struct ingest_config cfg;
	struct envelope_ctx env;
	struct jdoc *plain_doc;
	struct dedup *dedup;
	struct cipher_keycache *keys;
	struct buf plain;
	struct ingest_stats stats;
	char last_reason[ENVELOPE_REASON_MAX + 64];
};

static const char *const kind_names[] = {"heartbeat", "payload", "notification", "command"};

const char *msg_kind_name(enum msg_kind kind)
{
	return (unsigned)kind < R1_ARRAY_LEN(kind_names) ? kind_names[kind] : "?";
}

enum r1_err ingest_new(const struct ingest_config *cfg, struct ingest **out, char **why)
{
	struct ingest *ig = r1_calloc(1, sizeof(*ig));
	if (!ig)
		return r1_fail(why, R1_ERR_NOMEM, "ingest: out of memory");
	ig->cfg = *cfg;
	if (!ig->cfg.dedup_window)
		ig->cfg.dedup_window = 8192;
	if (!ig->cfg.max_plain)
		ig->cfg.max_plain = 8u << 20;
	enum r1_err e = envelope_ctx_init(&ig->env, why);
	if (e) {
		r1_free(ig);
		return e;
	}
	ig->plain_doc = jdoc_new();
	if (!ig->plain_doc)
		e = r1_fail(why, R1_ERR_NOMEM, "ingest: out of memory");
	if (!e)
		e = dedup_new(ig->cfg.dedup_window, &ig->dedup, why);
	if (!e && cfg->me && !(ig->keys = cipher_keycache_new()))
		e = r1_fail(why, R1_ERR_NOMEM, "ingest: out of memory");
	if (e) {
		ingest_free(&ig);
		return e;
	}
	*out = ig;
	return R1_OK;
}

void ingest_free(struct ingest **igp)
{
	struct ingest *ig = *igp;
	if (!ig)
		return;
	envelope_ctx_release(&ig->env);
	jdoc_free(&ig->plain_doc);
	dedup_free(&ig->dedup);
	cipher_keycache_free(&ig->keys);
	buf_release(&ig->plain);
	r1_free(ig);
	*igp = NULL;
}

const struct ingest_stats *ingest_get_stats(const struct ingest *ig)
{
	return &ig->stats;
}

const char *ingest_last_reason(const struct ingest *ig)
{
	return ig->last_reason;
}

void ingest_reset_dedup(struct ingest *ig)
{
	dedup_clear(ig->dedup);
}

void r1_msg_release(struct r1_msg *msg)
{
	json_decref(msg->body);
	msg->body = NULL;
}

static bool drop(struct ingest *ig, enum ingest_drop reason, enum ingest_drop *out,
		 const char *fmt, ...) R1_PRINTF(4, 5);

static bool drop(struct ingest *ig, enum ingest_drop reason, enum ingest_drop *out,
		 const char *fmt, ...)
{
	ig->stats.drops.count[reason]++;
	int n = snprintf(ig->last_reason, sizeof(ig->last_reason), "%s: ", ingest_drop_name(reason));
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(ig->last_reason))
		vsnprintf(ig->last_reason + n, sizeof(ig->last_reason) - (size_t)n, fmt, ap);
	va_end(ap);
	if (out)
		*out = reason;
	return false;
}

static bool topic_has_suffix(const char *topic, const char *suffix)
{
	size_t t = strlen(topic), s = strlen(suffix);
	return t >= s && strcmp(topic + t - s, suffix) == 0;
}

/* EE_EVENT_TYPE when present, else the channel the topic belongs to. */
static bool classify(const struct jdoc_node *root, const char *topic, enum msg_kind *kind)
{
	const struct jdoc_node *ev = jdoc_obj_get(root, K_EE_EVENT_TYPE);
	if (topic_has_suffix(topic, "/config")) {
		*kind = MSG_COMMAND;
		return true;
	}
	if (ev && jdoc_type(ev) == JDOC_STRING) {
		if (jdoc_str_eq(ev, EVENT_HEARTBEAT, strlen(EVENT_HEARTBEAT)))
			*kind = MSG_HEARTBEAT;
		else if (jdoc_str_eq(ev, EVENT_NOTIFICATION, strlen(EVENT_NOTIFICATION)))
			*kind = MSG_NOTIFICATION;
		else if (jdoc_str_eq(ev, EVENT_PAYLOAD, strlen(EVENT_PAYLOAD)))
			*kind = MSG_PAYLOAD;
		else
			return false;
		return true;
	}
	if (jdoc_obj_get(root, K_ACTION)) {
		*kind = MSG_COMMAND;
		return true;
	}
	if (topic_has_suffix(topic, "/payloads"))
		*kind = MSG_PAYLOAD;
	else if (topic_has_suffix(topic, "/ctrl"))
		*kind = MSG_HEARTBEAT;
	else if (topic_has_suffix(topic, "/notif"))
		*kind = MSG_NOTIFICATION;
	else
		return false;
	return true;
}

static bool str_names_me(const struct ingest *ig, const struct jdoc_node *n)
{
	if (!n || jdoc_type(n) != JDOC_STRING || !ig->cfg.me)
		return false;
	const char *s = jdoc_str(n);
	size_t len = jdoc_len(n);
	if (strlen(s) != len)
		return false; /* an embedded NUL names nobody */
	return addr_same(s, ig->cfg.me->addr);
}

/* EE_DEST: one address or a list of them. */
static bool dest_names_me(const struct ingest *ig, const struct jdoc_node *dest)
{
	if (!dest)
		return false;
	if (jdoc_type(dest) == JDOC_ARRAY) {
		for (size_t i = 0; i < jdoc_len(dest); i++)
			if (str_names_me(ig, jdoc_array_at(dest, i)))
				return true;
		return false;
	}
	return str_names_me(ig, dest);
}

/* A command is for us when EE_ID is our alias, our address or our ETH address. */
static bool command_for_us(const struct ingest *ig, const struct jdoc_node *ee_id)
{
	if (!ee_id || jdoc_type(ee_id) != JDOC_STRING || !ig->cfg.me)
		return false;
	const char *s = jdoc_str(ee_id);
	if (strlen(s) != jdoc_len(ee_id))
		return false;
	if (ig->cfg.alias && strcmp(s, ig->cfg.alias) == 0)
		return true;
	if (strcasecmp(s, ig->cfg.me->eth) == 0)
		return true;
	return addr_same(s, ig->cfg.me->addr);
}

static const char *body_str(json_t *body, const char *key)
{
	return json_string_value(json_object_get(body, key));
}

static void fill_refs(struct r1_msg *msg)
{
	msg->alias = body_str(msg->body, K_EE_ID);
	json_t *path = json_object_get(msg->body, K_EE_PAYLOAD_PATH);
	for (size_t i = 0; i < 4; i++)
		msg->path[i] = json_is_array(path) ? json_string_value(json_array_get(path, i)) : NULL;
}

/* Decrypt EE_ENCRYPTED_DATA and merge: {**decrypted, **outer}, minus the ciphertext. */
static bool decrypt_into(struct ingest *ig, struct r1_msg *msg, const struct jdoc_node *root,
			 enum ingest_drop *out)
{
	const struct jdoc_node *data = jdoc_obj_get(root, K_EE_ENCRYPTED_DATA);
	if (!data || jdoc_type(data) != JDOC_STRING)
		return drop(ig, INGEST_DROP_MALFORMED, out, "EE_ENCRYPTED_DATA missing or not a string");
	char *why = NULL;
	buf_reset(&ig->plain);
	enum r1_err e = cipher_decrypt(ig->cfg.me, msg->sender, jdoc_str(data), jdoc_len(data),
				       ig->cfg.max_plain, ig->keys, &ig->plain, &why);
	if (e) {
		drop(ig, INGEST_DROP_DECRYPT_FAILED, out, "%s", why ? why : r1_strerror(e));
		r1_free(why);
		return false;
	}
	e = jdoc_parse(ig->plain_doc, ig->plain.data ? ig->plain.data : "", ig->plain.len, NULL, &why);
	const struct jdoc_node *proot = e ? NULL : jdoc_root(ig->plain_doc);
	if (!proot || jdoc_type(proot) != JDOC_OBJECT) {
		drop(ig, INGEST_DROP_DECRYPT_FAILED, out, "decrypted data is not a JSON object%s%s",
		     why ? ": " : "", why ? why : "");
		r1_free(why);
		return false;
	}
	json_t *inner = NULL;
	if (jdoc_to_jansson(proot, &inner, &why)) {
		drop(ig, INGEST_DROP_MALFORMED, out, "%s", why ? why : "out of memory");
		r1_free(why);
		return false;
	}
	json_object_del(msg->body, K_EE_ENCRYPTED_DATA);
	json_object_update(inner, msg->body); /* outer keys win */
	json_decref(msg->body);
	msg->body = inner;
	msg->decrypted = true;
	return true;
}

bool ingest_receive(struct ingest *ig, const char *topic, const void *data, size_t len,
		    struct r1_msg *msg, enum ingest_drop *out)
{
	memset(msg, 0, sizeof(*msg));
	ig->stats.received++;
	msg->topic = topic;
	msg->wire_len = len;
	if (!ingest_size_ok(len, &ig->stats.drops)) {
		snprintf(ig->last_reason, sizeof(ig->last_reason), "oversize: %zu bytes", len);
		if (out)
			*out = INGEST_DROP_OVERSIZE;
		return false;
	}

	char *why = NULL;
	if (jdoc_parse(ig->env.doc, data, len, NULL, &why)) {
		drop(ig, INGEST_DROP_MALFORMED, out, "%s", why ? why : "unparsable");
		r1_free(why);
		return false;
	}
	const struct jdoc_node *root = jdoc_root(ig->env.doc);
	if (jdoc_type(root) != JDOC_OBJECT)
		return drop(ig, INGEST_DROP_MALFORMED, out, "not a JSON object");
	if (!classify(root, topic, &msg->kind))
		return drop(ig, INGEST_DROP_MALFORMED, out, "unknown EE_EVENT_TYPE on %s", topic);

	const struct jdoc_node *hash = jdoc_obj_get(root, K_EE_HASH);
	if (hash && jdoc_type(hash) == JDOC_STRING && jdoc_len(hash) == 64 &&
	    hex_decode(jdoc_str(hash), 64, msg->hash, 32, NULL) == R1_OK) {
		msg->has_hash = true;
		if (dedup_contains(ig->dedup, msg->hash))
			return drop(ig, INGEST_DROP_DUPLICATE, out, "EE_HASH %.16s... seen before",
				    jdoc_str(hash));
	}

	if (msg->kind == MSG_COMMAND && !command_for_us(ig, jdoc_obj_get(root, K_EE_ID)))
		return drop(ig, INGEST_DROP_NOT_FOR_US, out, "command EE_ID is not this node");

	struct envelope_verdict v;
	enum envelope_status st = envelope_verify(&ig->env, root, ig->cfg.eth_enabled, &v);
	if (st == ENVELOPE_NO_RESOURCES)
		return drop(ig, INGEST_DROP_MALFORMED, out, "out of memory verifying");
	if (st != ENVELOPE_OK) {
		if (!ig->cfg.accept_unverified || st == ENVELOPE_MALFORMED)
			return drop(ig, INGEST_DROP_BAD_SIGNATURE, out, "%s: %s",
				    envelope_status_name(st), v.reason);
		if (snprintf(msg->reason, sizeof(msg->reason), "%s: %s", envelope_status_name(st),
			     v.reason) < 0)
			msg->reason[0] = '\0';
	} else {
		msg->verified = true;
		msg->canon = v.canon;
	}
	memcpy(msg->sender, v.sender, sizeof(msg->sender));

	const struct jdoc_node *enc = jdoc_obj_get(root, K_EE_IS_ENCRYPTED);
	msg->encrypted = enc && jdoc_type(enc) == JDOC_TRUE;
	/* A command that passed the EE_ID check is ours to decrypt, EE_DEST or not. */
	msg->to_us = msg->kind == MSG_COMMAND || dest_names_me(ig, jdoc_obj_get(root, K_EE_DEST));
	if (msg->encrypted && !msg->to_us && !(ig->cfg.keep_foreign && msg->kind == MSG_PAYLOAD))
		return drop(ig, INGEST_DROP_NOT_FOR_US, out, "encrypted for someone else");
	if (msg->encrypted && msg->to_us && !msg->sender[0])
		return drop(ig, INGEST_DROP_DECRYPT_FAILED, out, "no valid EE_SENDER to decrypt from");

	if (jdoc_to_jansson(root, &msg->body, &why)) {
		drop(ig, INGEST_DROP_MALFORMED, out, "%s", why ? why : "out of memory");
		r1_free(why);
		return false;
	}
	if (msg->encrypted && msg->to_us && !decrypt_into(ig, msg, root, out)) {
		r1_msg_release(msg);
		return false;
	}
	if (msg->has_hash)
		dedup_seen(ig->dedup, msg->hash);
	fill_refs(msg);
	ig->stats.delivered++;
	if (!msg->verified)
		ig->stats.unverified++;
	ig->last_reason[0] = '\0';
	return true;
}
