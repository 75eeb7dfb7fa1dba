/*
 * Transactions and the matching of notifications to the responses they
 * wait for (see txn.h).  Matching only: sending, clocks and callbacks
 * belong to the session.
 */
#include "core/lib.h"
#include "core/txn.h"
#include "core/proto.h"

#include <ctype.h>

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void copy_name(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

struct txn *txn_new(const char *node_addr, const char *node_alias, const char *initiator,
                    const char *label, int64_t now_ms, uint32_t timeout_ms)
{
	if ((!node_addr || !*node_addr) && (!node_alias || !*node_alias))
		return NULL;
	struct txn *t = r1_calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	uint8_t pub[R1_PUB_LEN];
	if (node_addr && addr_parse(node_addr, strlen(node_addr), pub, NULL) == R1_OK)
		addr_format(pub, t->node_addr);
	copy_name(t->node_alias, sizeof(t->node_alias), node_alias);
	copy_name(t->initiator, sizeof(t->initiator), initiator);
	t->label = r1_strdup(label ? label : "");
	if (!t->label) {
		r1_free(t);
		return NULL;
	}
	t->started_ms = now_ms;
	t->timeout_ms = timeout_ms;
	t->deadline_ms = now_ms + timeout_ms;
	t->state = TXN_PENDING;
	return t;
}

void txn_free(struct txn **pt)
{
	struct txn *t = *pt;
	if (!t)
		return;
	for (size_t i = 0; i < t->n_resp; i++)
		r1_free(t->resp[i].reason);
	r1_free(t->resp);
	r1_free(t->label);
	r1_free(t->reason);
	r1_free(t);
	*pt = NULL;
}

static struct txn_response *add(struct txn *t)
{
	struct txn_response *g = r1_reallocarray(t->resp, t->n_resp + 1, sizeof(*g));
	if (!g)
		return NULL;
	t->resp = g;
	struct txn_response *r = &t->resp[t->n_resp++];
	memset(r, 0, sizeof(*r));
	return r;
}

bool txn_expect_pipeline(struct txn *t, const char *pipeline, int ok_code, int fail_code)
{
	struct txn_response *r = add(t);
	if (!r)
		return false;
	r->kind = TXN_RESP_PIPELINE;
	copy_name(r->pipeline, sizeof(r->pipeline), pipeline);
	r->ok_code = ok_code;
	r->fail_code = fail_code;
	return true;
}

bool txn_expect_instance(struct txn *t, const char *pipeline, const char *signature,
                         const char *instance_id, int ok_code, int fail_code)
{
	struct txn_response *r = add(t);
	if (!r)
		return false;
	r->kind = TXN_RESP_INSTANCE;
	copy_name(r->pipeline, sizeof(r->pipeline), pipeline);
	copy_name(r->signature, sizeof(r->signature), signature);
	for (char *c = r->signature; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	copy_name(r->instance_id, sizeof(r->instance_id), instance_id);
	r->ok_code = ok_code;
	r->fail_code = fail_code;
	return true;
}

bool txn_expect_ack(struct txn *t, const char *action)
{
	struct txn_response *r = add(t);
	if (!r)
		return false;
	r->kind = TXN_RESP_NODE_ACK;
	copy_name(r->action, sizeof(r->action), action);
	return true;
}

/* Is this notification from the transaction's node?  (see txn.h) */
static bool same_node(const struct txn *t, const json_t *notif, const json_t *path)
{
	bool checked = false;
	const char *sender = jstr(notif, K_EE_SENDER);
	if (sender && t->node_addr[0]) {
		if (!addr_same(sender, t->node_addr))
			return false;
		checked = true;
	}
	if (t->node_alias[0]) {
		const json_t *p0 = json_array_get(path, 0);
		if (!json_is_string(p0) || strcmp(json_string_value(p0), t->node_alias) != 0) {
			/* the address matched: a renamed node is still this node */
			if (!checked)
				return false;
		} else {
			checked = true;
		}
	}
	return checked;
}

static bool path_is(const json_t *path, size_t i, const char *want, bool upper)
{
	const json_t *v = json_array_get(path, i);
	if (!want || !*want)
		return json_is_null(v) || !v;
	if (!json_is_string(v))
		return false;
	const char *s = json_string_value(v);
	if (!upper)
		return strcmp(s, want) == 0;
	size_t n = strlen(s);
	if (n != strlen(want))
		return false;
	for (size_t k = 0; k < n; k++)
		if (toupper((unsigned char)s[k]) != want[k])
			return false;
	return true;
}

static void solve(struct txn_response *r, bool good, const char *reason)
{
	r->solved = true;
	r->good = good;
	if (!good)
		r->reason = r1_strdup(reason && *reason ? reason : "refused by the node");
}

static void describe(const struct txn_response *r, struct buf *b)
{
	switch (r->kind) {
	case TXN_RESP_PIPELINE:
		buf_addf(b, "%s <%s>",
		         notif_code_tag(r->ok_code) ? notif_code_tag(r->ok_code) : "?",
		         r->pipeline);
		break;
	case TXN_RESP_INSTANCE:
		buf_addf(b, "%s <%s/%s/%s>",
		         notif_code_tag(r->ok_code) ? notif_code_tag(r->ok_code) : "?", r->pipeline,
		         r->signature, r->instance_id);
		break;
	case TXN_RESP_NODE_ACK:
		buf_addf(b, "acknowledgement of %s", r->action);
		break;
	}
}

/* All solved: set the final state.  True if it ended. */
static bool settle(struct txn *t)
{
	for (size_t i = 0; i < t->n_resp; i++)
		if (!t->resp[i].solved)
			return false;
	struct buf why = BUF_INIT;
	for (size_t i = 0; i < t->n_resp; i++)
		if (!t->resp[i].good) {
			if (why.len)
				buf_adds(&why, "; ");
			buf_adds(&why, t->resp[i].reason ? t->resp[i].reason : "failed");
		}
	t->state = why.len ? TXN_FAILED : TXN_OK;
	if (why.len)
		t->reason = buf_detach(&why, NULL);
	buf_release(&why);
	return true;
}

bool txn_feed(struct txn *t, const json_t *notif)
{
	if (t->state != TXN_PENDING || !json_is_object(notif))
		return false;
	const json_t *path = json_object_get(notif, K_EE_PAYLOAD_PATH);
	if (!json_is_array(path) || !same_node(t, notif, path))
		return false;
	const json_t *jc = json_object_get(notif, K_NOTIFICATION_CODE);
	bool has_code = json_is_integer(jc);
	long long code = has_code ? (long long)json_integer_value(jc) : 0;
	const char *text = jstr(notif, K_NOTIFICATION);
	const char *info = jstr(notif, K_INFO);
	bool changed = false;
	if (has_code && code == NC_COMM_RECEIVED_BAD_COMMAND) {
		for (size_t i = 0; i < t->n_resp; i++)
			if (!t->resp[i].solved) {
				solve(&t->resp[i], false,
				      text ? text : "the node refused the command");
				changed = true;
			}
		return changed && settle(t);
	}
	for (size_t i = 0; i < t->n_resp; i++) {
		struct txn_response *r = &t->resp[i];
		if (r->solved)
			continue;
		switch (r->kind) {
		case TXN_RESP_PIPELINE:
			if (!path_is(path, 1, r->pipeline, false) || !has_code)
				break;
			if (code == r->ok_code)
				solve(r, true, NULL), changed = true;
			else if (code == r->fail_code)
				solve(r, false, text), changed = true;
			break;
		case TXN_RESP_INSTANCE:
			if (!path_is(path, 1, r->pipeline, false) ||
			    !path_is(path, 2, r->signature, true) ||
			    !path_is(path, 3, r->instance_id, false) || !has_code)
				break;
			if (code == r->ok_code)
				solve(r, true, NULL), changed = true;
			else if (code == r->fail_code)
				solve(r, false, info ? info : text), changed = true;
			break;
		case TXN_RESP_NODE_ACK: {
			const char *type = jstr(notif, K_NOTIFICATION_TYPE);
			const char *init = jstr(notif, K_INITIATOR_ID);
			char quoted[40];
			snprintf(quoted, sizeof(quoted), "'%s'", r->action);
			if (type && strcmp(type, NOTIF_TYPE_NORMAL) == 0 && text &&
			    strstr(text, quoted) &&
			    (!t->initiator[0] || (init && strcmp(init, t->initiator) == 0)))
				solve(r, true, NULL), changed = true;
			break;
		}
		}
	}
	return changed && settle(t);
}

bool txn_check_deadline(struct txn *t, int64_t now_ms)
{
	if (t->state != TXN_PENDING || now_ms < t->deadline_ms)
		return false;
	struct buf why = BUF_INIT;
	/* the SDK's words, with the timeout as it prints it */
	if (t->timeout_ms % 1000 == 0)
		buf_addf(&why, "Transaction timeout (%us). Responses not received: ",
		         t->timeout_ms / 1000);
	else
		buf_addf(&why, "Transaction timeout (%.1fs). Responses not received: ",
		         t->timeout_ms / 1000.0);
	bool first = true;
	for (size_t i = 0; i < t->n_resp; i++)
		if (!t->resp[i].solved) {
			if (!first)
				buf_adds(&why, ", ");
			first = false;
			describe(&t->resp[i], &why);
		}
	t->state = TXN_TIMEOUT;
	r1_free(t->reason);
	t->reason = buf_detach(&why, NULL);
	return true;
}

void txn_fail(struct txn *t, const char *reason)
{
	if (t->state != TXN_PENDING)
		return;
	t->state = TXN_FAILED;
	r1_free(t->reason);
	t->reason = r1_strdup(reason ? reason : "failed");
}

const char *txn_state_name(enum txn_state s)
{
	static const char *const names[] = {"pending", "ok", "failed", "timeout"};
	return (unsigned)s < R1_ARRAY_LEN(names) ? names[s] : "?";
}
