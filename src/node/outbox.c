/*
 * Everything the node publishes goes through here: the reference's
 * CommunicationManager.send and base_comm_thread._prepare_message, then
 * the signature and the topic (see node_send in nodepriv.h).  The
 * envelope's fields and their order follow the reference so that a Python
 * reader sees the message it expects; encrypted payloads carry only the
 * routing fields in clear.
 */
#include "node/nodepriv.h"
#include "node/nodetime.h"
#include "core/bus.h"
#include "core/cipher.h"
#include "core/envelope.h"
#include "core/hash.h"
#include "core/pyjson.h"
#include "core/proto.h"
#include "core/topics.h"
#include "core/clock.h"

static const char *const chan_names[CHAN__COUNT] = {
    [CHAN_DEFAULT] = "DEFAULT",
    [CHAN_HEARTBEATS] = "HEARTBEATS",
    [CHAN_COMMANDCONTROL] = "COMMANDCONTROL",
    [CHAN_NOTIFICATIONS] = "NOTIFICATIONS",
};

void node_now_text(char out[32])
{
	nodetime_format(r1_wall_us(), out);
}

void node_emit_event(struct node *n, const struct node_event *ev)
{
	if (n->observer)
		n->observer(n->observer_ctx, n, ev);
}

static void uuid4(char out[37])
{
	uint8_t b[16];
	random_bytes(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}

static void fail(struct node *n, enum node_chan chan, const char *what, const char *why)
{
	struct chan_stats *c = &n->chans[chan];
	c->fails++;
	c->last_error_us = r1_wall_us();
	snprintf(c->last_error, sizeof(c->last_error), "%s: %s", what, why ? why : "?");
	n->stats.send_failures++;
	LOG_W(n->log, "node", "%s: send failed: %s: %s", n->alias, what, why ? why : "?");
}

static json_t *get_or_null(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return v ? json_incref(v) : json_null();
}

/* The destination of an encrypted body: EE_DEST, INITIATOR_ADDR, MODIFIED_BY_ADDR. */
static json_t *destination(const json_t *body)
{
	json_t *d = json_object_get(body, K_EE_DEST);
	if ((json_is_string(d) && json_string_length(d)) ||
	    (json_is_array(d) && json_array_size(d)))
		return d;
	d = json_object_get(body, K_INITIATOR_ADDR);
	if (json_is_string(d) && json_string_length(d))
		return d;
	d = json_object_get(body, K_MODIFIED_BY_ADDR);
	if (json_is_string(d) && json_string_length(d))
		return d;
	return NULL;
}

static enum r1_err encrypt_for(struct node *n, const json_t *dest, const char *plain, size_t len,
                               struct buf *out, char **why)
{
	if (json_is_string(dest))
		return cipher_encrypt_single(&n->id, json_string_value(dest), plain, len, n->keys,
		                             out, why);
	size_t cnt = json_array_size(dest);
	const char **v = r1_calloc(cnt ? cnt : 1, sizeof(*v));
	if (!v)
		return r1_fail(why, R1_ERR_NOMEM, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < cnt; i++) {
		const char *s = json_string_value(json_array_get(dest, i));
		if (s)
			v[k++] = s;
	}
	enum r1_err e = k ? cipher_encrypt_multi(&n->id, v, k, plain, len, n->keys, out, why)
	                  : r1_fail(why, R1_ERR_INVAL, "no destination address");
	r1_free(v);
	return e;
}

/* _prepare_message: the wire dict before signing; NULL on failure (reported). */
static json_t *prepare(struct node *n, enum node_chan chan, const char *event_type, json_t *body)
{
	int64_t now = r1_wall_us();
	struct ee_time t;
	if (timefmt_envelope_time(now, &t, NULL)) {
		nodetime_format(now, t.timestamp);
		snprintf(t.timezone, sizeof(t.timezone), "UTC+0");
	}
	char msg_id[37];
	uuid4(msg_id);
	n->seq[chan]++;
	n->total_messages++;

	/* {EE_TIMESTAMP.., EE_MESSAGE_SEQ, .., **{EE_ADDR, EE_ID, EE_EVENT_TYPE, EE_VERSION,
	 * **body}} */
	json_t *out = json_object();
	if (!out)
		return NULL;
	json_object_set_new(out, K_EE_TIMESTAMP, json_string(t.timestamp));
	json_object_set_new(out, K_EE_TIMEZONE, json_string(t.timezone));
	json_object_set_new(out, K_EE_TZ, json_string(n->ee_tz));
	json_object_set_new(out, K_EE_MESSAGE_SEQ, json_integer((json_int_t)n->seq[chan]));
	json_object_set_new(out, K_EE_MESSAGE_ID, json_string(msg_id));
	json_object_set_new(out, K_EE_TOTAL_MESSAGES, json_integer((json_int_t)n->total_messages));
	json_object_set_new(out, K_EE_ADDR, json_string(n->id.addr));
	json_object_set_new(out, K_EE_ID, json_string(n->alias));
	json_object_set_new(out, K_EE_EVENT_TYPE, json_string(event_type));
	json_object_set_new(out, K_EE_VERSION, json_string(PACKAGE_VERSION));
	json_object_update(out, body);
	json_object_set_new(out, K_EE_FORMATTER, json_null());

	json_t *enc_flag = json_object_get(body, K_EE_IS_ENCRYPTED);
	if (!enc_flag)
		enc_flag = json_object_get(body, "ee_is_encrypted");
	bool encrypt = json_is_true(enc_flag);
	json_t *dest = encrypt ? destination(body) : NULL;
	if (encrypt && dest) {
		struct buf plain = BUF_INIT, cipher = BUF_INIT;
		char *why = NULL;
		enum r1_err e = pyjson_dump(
		    &plain, out, &(struct pyjson_opts){.compact = true, .utf8 = true}, &why);
		if (!e)
			e = encrypt_for(n, dest, plain.data, plain.len, &cipher, &why);
		buf_release(&plain);
		if (e) {
			fail(n, chan, "encrypt", why);
			r1_free(why);
			buf_release(&cipher);
			json_decref(out);
			return NULL;
		}
		json_t *wire = json_object();
		json_object_set_new(wire, K_EE_ENCRYPTED_DATA,
		                    json_stringn(cipher.data, cipher.len));
		json_object_set_new(wire, K_EE_IS_ENCRYPTED, json_true());
		json_object_set(wire, K_EE_DEST, dest);
		/* the envelope stays readable for routing */
		static const char *const clear[] = {K_EE_ADDR, K_EE_ID, K_EE_MESSAGE_SEQ,
		                                    K_EE_TOTAL_MESSAGES, K_EE_FORMATTER};
		for (size_t i = 0; i < R1_ARRAY_LEN(clear); i++)
			json_object_set_new(wire, clear[i], get_or_null(out, clear[i]));
		buf_release(&cipher);
		json_decref(out);
		out = wire;
	} else {
		json_object_set_new(out, K_EE_IS_ENCRYPTED, json_false());
		if (encrypt)
			json_object_set_new(out, K_EE_ENCRYPTED_DATA,
			                    json_string("ERROR: No receiver address found!"));
	}
	json_object_set_new(
	    out, K_EE_PAYLOAD_PATH,
	    json_pack("[s,O,O,O]", n->alias,
	              json_object_get(body, K_STREAM_NAME) ? json_object_get(body, K_STREAM_NAME)
	                                                   : json_null(),
	              json_object_get(body, K_SIGNATURE) ? json_object_get(body, K_SIGNATURE)
	                                                 : json_null(),
	              json_object_get(body, K_INSTANCE_ID) ? json_object_get(body, K_INSTANCE_ID)
	                                                   : json_null()));
	json_object_set_new(out, K_EE_VERSION, json_string(PACKAGE_VERSION));
	json_object_set_new(out, K_EE_EVENT_TYPE, json_string(event_type));
	static const char *const prov[] = {K_SESSION_ID, K_INITIATOR_ID, K_INITIATOR_ADDR,
	                                   K_MODIFIED_BY_ID, K_MODIFIED_BY_ADDR};
	for (size_t i = 0; i < R1_ARRAY_LEN(prov); i++)
		json_object_set_new(out, prov[i], get_or_null(body, prov[i]));
	json_object_set_new(out, K_EE_TIMESTAMP, json_string(t.timestamp));
	json_object_set_new(out, K_EE_TIMEZONE, json_string(t.timezone));
	json_object_set_new(out, K_EE_TZ, json_string(n->ee_tz));
	json_object_set_new(out, K_SB_IMPLEMENTATION, json_null());
	json_object_set_new(out, K_EE_MESSAGE_ID, json_string(msg_id));
	return out;
}

static const char *chan_topic(const struct node *n, enum node_chan chan)
{
	switch (chan) {
	case CHAN_HEARTBEATS:
		return n->t_ctrl;
	case CHAN_NOTIFICATIONS:
		return n->t_notif;
	default:
		return n->t_payloads;
	}
}

static int chan_qos(enum node_chan chan)
{
	return chan == CHAN_HEARTBEATS ? topic_default_qos(TOPIC_CTRL)
	                               : topic_default_qos(TOPIC_PAYLOADS);
}

static void publish(struct node *n, enum node_chan chan, const char *topic, const struct buf *w)
{
	char *why = NULL;
	if (bus_publish(n->bus, topic, w->data, w->len, chan_qos(chan), &why)) {
		fail(n, chan, topic, why);
		r1_free(why);
		return;
	}
	struct chan_stats *c = &n->chans[chan];
	c->sent++;
	c->bytes_out += w->len;
	c->last_activity_us = r1_wall_us();
}

void node_send(struct node *n, enum node_chan chan, const char *event_type, json_t *body)
{
	if (!body)
		return;
	json_t *msg = prepare(n, chan, event_type, body);
	if (!msg) {
		json_decref(body);
		return;
	}
	struct buf wire = BUF_INIT;
	char *why = NULL;
	json_t *signed_msg = NULL;
	if (envelope_sign(msg, &n->id, n->eth, &wire, &signed_msg, &why)) {
		fail(n, chan, "sign", why);
		r1_free(why);
		buf_release(&wire);
		json_decref(msg);
		json_decref(body);
		return;
	}
	json_t *dest = json_object_get(msg, K_EE_DEST);
	bool fanout = strcmp(event_type, EVENT_PAYLOAD) == 0 &&
	              ((json_is_string(dest) && json_string_length(dest)) ||
	               (json_is_array(dest) && json_array_size(dest)));
	if (fanout) {
		size_t cnt = json_is_array(dest) ? json_array_size(dest) : 1;
		const char **v = r1_calloc(cnt, sizeof(*v));
		size_t k = 0;
		for (size_t i = 0; v && i < cnt; i++) {
			json_t *d = json_is_array(dest) ? json_array_get(dest, i) : dest;
			if (json_is_string(d))
				v[k++] = json_string_value(d);
		}
		struct topic_list tl = {0};
		if (!v || topic_fanout(n->root, v, k, &tl, &why)) {
			fail(n, chan, "fan-out", why ? why : "out of memory");
		} else {
			for (size_t i = 0; i < tl.count; i++)
				publish(n, chan, tl.topics[i], &wire);
		}
		topic_list_release(&tl);
		r1_free(v);
		r1_free(why);
	} else {
		publish(n, chan, chan_topic(n, chan), &wire);
	}

	struct node_event ev = {.message = signed_msg ? signed_msg : msg};
	if (strcmp(event_type, EVENT_PAYLOAD) == 0) {
		n->stats.payloads_sent++;
		ev.type = NODE_EV_PAYLOAD;
	} else if (strcmp(event_type, EVENT_NOTIFICATION) == 0) {
		n->stats.notifications_sent++;
		ev.type = NODE_EV_NOTIFICATION;
		ev.code = (int)json_integer_value(json_object_get(body, K_NOTIFICATION_CODE));
	} else {
		n->stats.heartbeats_sent++;
		ev.type = NODE_EV_HEARTBEAT;
	}
	node_emit_event(n, &ev);
	json_decref(signed_msg);
	buf_release(&wire);
	json_decref(msg);
	json_decref(body);
}

void node_notify(struct node *n, const struct notif_spec *spec, json_t *extra)
{
	char ts[32];
	node_now_text(ts);
	json_t *body = notif_build(spec, ts, extra);
	if (!body) {
		LOG_E(n->log, "node", "%s: cannot build a notification", n->alias);
		return;
	}
	LOG_I(n->log, "node", "%s: notification %s%s%s: %s", n->alias,
	      spec->code ? notif_code_tag(spec->code) ? notif_code_tag(spec->code) : "?" : "",
	      spec->stream ? " " : "", spec->stream ? spec->stream : "", spec->msg);
	node_send(n, CHAN_NOTIFICATIONS, EVENT_NOTIFICATION, body);
}

json_t *node_comm_stats(struct node *n, double *in_kb, double *out_kb)
{
	json_t *o = json_object();
	enum bus_state st = bus_state(n->bus, NULL);
	bool up = st == BUS_CONNECTED;
	double tin = 0, tout = 0;
	const char *addrs[CHAN__COUNT] = {n->t_payloads, n->t_config, n->t_ctrl, n->t_notif};
	bool rcv[CHAN__COUNT] = {true, true, n->oracle, false};
	for (int i = 0; o && i < CHAN__COUNT; i++) {
		struct chan_stats *c = &n->chans[i];
		double ikb = (double)c->bytes_in / 1024.0, okb = (double)c->bytes_out / 1024.0;
		tin += ikb;
		tout += okb;
		char errtm[32] = "";
		if (c->last_error_us)
			nodetime_format(c->last_error_us, errtm);
		json_t *e = json_object();
		if (!e)
			break;
		json_object_set_new(e, "SVR", json_boolean(up));
		json_object_set_new(e, "RCV", json_boolean(up && rcv[i]));
		json_object_set_new(e, "RCV_DISABLED", json_boolean(!rcv[i]));
		json_object_set_new(e, "SND", json_boolean(up));
		json_object_set_new(e, "ACT", json_real((double)c->last_activity_us / 1e6));
		json_object_set_new(e, "ADDR", json_string(addrs[i] ? addrs[i] : ""));
		json_object_set_new(e, "FAILS", json_integer((json_int_t)c->fails));
		json_object_set_new(e, "ERROR",
		                    c->last_error[0] ? json_string(c->last_error) : json_null());
		json_object_set_new(e, "ERRTM",
		                    c->last_error_us ? json_string(errtm) : json_null());
		json_object_set_new(e, K_IN_KB, json_real(sysinfo_round(ikb, 3)));
		json_object_set_new(e, K_OUT_KB, json_real(sysinfo_round(okb, 3)));
		json_object_set_new(o, chan_names[i], e);
	}
	if (in_kb)
		*in_kb = tin;
	if (out_kb)
		*out_kb = tout;
	return o;
}
