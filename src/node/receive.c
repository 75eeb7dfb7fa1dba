/*
 * The node's receive path: the shared ingest (size, parse, de-duplicate,
 * verify, decrypt; core/ingest.h) turns bytes into a message, and this file
 * routes it by topic to command acceptance, the oracle's heartbeat registry
 * or the NetworkListener pipelines.
 *
 * Ingest hands over messages whose signature fails, marked unverified,
 * because what that means is the consumer's call: command acceptance
 * refuses them on a secured node and runs them, not validated, on an
 * unsecured one (reference 4.2).  Heartbeats and payloads are kept only
 * when verified (the reference does not check them at all; we do).  A
 * command that is ours but does not decrypt is refused with -5000 here,
 * since ingest drops it before acceptance could see it.
 *
 * Messages reach ingest_submit on arrival and come back, verified, through
 * node_on_ingested in the same order: at once when the loop thread did the
 * work, later when the node was given a pool and a backlog sent them there.
 */
#include "node/nodepriv.h"
#include "core/bus.h"
#include "core/hbcodec.h"
#include "core/ingest.h"
#include "core/proto.h"
#include "core/session.h"
#include "core/clock.h"

static bool is_topic(const char *topic, const char *want)
{
	return want && strcmp(topic, want) == 0;
}

static void refuse_undecryptable(struct node *n, const char *detail)
{
	struct node_inbound in = {
	    .topic = n->t_config,
	    .msg = NULL,
	    .encrypted = true,
	    .decrypted = false,
	    .decrypt_error = detail,
	};
	node_refuse_command(n, &in, NULL, detail);
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
	enum node_chan chan = is_topic(topic, n->t_config) ? CHAN_HEARTBEATS
	                      : is_topic(topic, n->t_ctrl) ? CHAN_COMMANDCONTROL
	                                                   : CHAN_DEFAULT;
	n->chans[chan].received++;
	n->chans[chan].bytes_in += len;
	n->chans[chan].last_activity_us = r1_wall_us();
	ingest_submit(n->ingest, topic, payload, len); /* on to node_on_ingested */
}

void node_ingest_flow(void *ctx, bool pause)
{
	struct node *n = ctx;
	bus_pause(n->bus, pause);
}

void node_on_ingested(void *ctx, struct ingest *ig, const struct ingest_outcome *o)
{
	struct node *n = ctx;
	(void)ig;
	if (!n->started || n->stopped)
		return; /* verified after the node stopped */
	const char *topic = o->topic;
	bool to_config = is_topic(topic, n->t_config);
	if (!o->msg) {
		n->stats.messages_dropped++;
		if (to_config && o->drop == INGEST_DROP_DECRYPT_FAILED)
			refuse_undecryptable(n, o->reason);
		else if (o->drop == INGEST_DROP_DUPLICATE)
			LOG_I(n->log, "node", "%s: dropped a repeated message on %s", n->alias,
			      topic);
		else
			LOG_D(n->log, "node", "%s: dropped a message on %s: %s", n->alias, topic,
			      o->reason);
		return;
	}
	const struct r1_msg *m = o->msg;
	struct node_inbound in = {
	    .topic = topic,
	    .msg = m->body,
	    .sender =
	        m->sender[0] ? m->sender : json_string_value(json_object_get(m->body, K_EE_SENDER)),
	    .signature_ok = m->verified,
	    .verdict = m->reason,
	    .encrypted = m->encrypted,
	    .decrypted = m->decrypted,
	    .decrypt_error = "",
	};
	if (to_config) {
		node_handle_command(n, &in);
	} else if (!m->verified) {
		n->stats.messages_dropped++;
		LOG_D(n->log, "node", "%s: unverified message on %s ignored: %s", n->alias, topic,
		      m->reason);
	} else if (is_topic(topic, n->t_ctrl)) {
		if (n->watch && m->kind == MSG_HEARTBEAT) {
			json_t *hb = NULL;
			enum netwatch_hb res;
			char *why = NULL;
			if (hb_decode(m->body, &hb, &why) ||
			    netwatch_heartbeat(n->watch, hb, r1_wall_us(), &res, &why))
				LOG_D(n->log, "node", "%s: heartbeat ignored: %s", n->alias,
				      why ? why : "?");
			json_decref(hb);
			r1_free(why);
		}
	} else if (!m->encrypted || m->decrypted) {
		/* the node's sessions hear payloads through the node (node_open_session) */
		if (n->sessions && in.sender &&
		    (is_topic(topic, n->t_payloads_own) || is_topic(topic, n->t_payloads)))
			for (struct node_session *ns = n->sessions; ns; ns = ns->next)
				session_deliver(ns->sess, SESSION_MSG_PAYLOAD, in.sender, m->body);
		node_pipelines_feed(n, m->body);
	}
}
