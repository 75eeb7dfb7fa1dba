/*
 * Transactions: notifications complete, fail or leave them alone exactly as
 * the SDK's responses match them (node alias and pipeline; signature and
 * instance for instance responses; success and failure codes), plus the
 * stricter sender check, COMM_RECEIVED_BAD_COMMAND, node acknowledgements
 * and deadlines.
 */
#include "core/lib.h"
#include "core/proto.h"
#include "core/txn.h"
#include "tests/tap.h"

static const char *const K1 = "0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN";
static const char *const K2 = "0xai_A-4c9iEg0NInyQDnMeifin2zlWtlIAb8cTjc3bnyjs_r";

/* A notification as received: sender, path, code, text, info. */
static json_t *notif(const char *sender, const char *alias, const char *pipe, const char *sig,
                     const char *inst, int code, const char *text, const char *info)
{
	json_t *n = json_pack("{s:s,s:[s?,s?,s?,s?],s:s,s:s?,s:s?,s:s}", "EE_SENDER", sender,
	                      "EE_PAYLOAD_PATH", alias, pipe, sig, inst, "NOTIFICATION_TYPE",
	                      code < 0 ? "EXCEPTION" : "NORMAL", "NOTIFICATION", text, "INFO", info,
	                      "SESSION_ID", "someone-else");
	if (code)
		json_object_set_new(n, "NOTIFICATION_CODE", json_integer(code));
	return n;
}

static bool feed(struct txn *t, json_t *n)
{
	bool r = txn_feed(t, n);
	json_decref(n);
	return r;
}

int main(void)
{
	r1_alloc_setup_jansson();
	ok(txn_new(NULL, NULL, "me", "x", 0, 1000) == NULL, "a transaction needs a node");
	ok(txn_new("", "", "me", "x", 0, 1000) == NULL, "empty names are no node");

	/* deploy: PIPELINE_OK + PLUGIN_CONFIG_OK for one instance */
	struct txn *t = txn_new(K1, "node-a", "r1c", "deploy app", 1000, 10000);
	ok(t && txn_expect_pipeline(t, "app", NC_PIPELINE_OK, NC_PIPELINE_FAILED) &&
	       txn_expect_instance(t, "app", "echo_01", "e1", NC_PLUGIN_CONFIG_OK,
	                           NC_PLUGIN_CONFIG_FAILED),
	   "deploy transaction");
	is_str(t->resp[1].signature, "ECHO_01", "signature kept upper-case");
	ok(!feed(t, notif(K1, "node-a", "other", NULL, NULL, 1, "x", NULL)),
	   "other pipeline ignored");
	ok(!feed(t, notif(K1, "node-b", "app", NULL, NULL, 1, "x", NULL)),
	   "alias differs, address same: accepted as the same node (still pending)");
	ok(t->resp[0].solved && t->resp[0].good, "PIPELINE_OK solved the pipeline response");
	ok(!t->resp[1].solved, "instance response pending");
	ok(!feed(t, notif(K2, "node-a", "app", "ECHO_01", "e1", 100, "x", NULL)),
	   "right alias, wrong EE_SENDER: ignored");
	ok(!feed(t, notif(K1, "node-a", "app", "ECHO_01", "e2", 100, "x", NULL)),
	   "other instance ignored");
	ok(!feed(t, notif(K1, "node-a", "app", "ECHO_01", "e1", 101, "x", NULL)),
	   "other code ignored");
	ok(!feed(t, notif(K1, "node-a", "app", "ECHO_01", "e1", 0, "x", NULL)), "no code ignored");
	ok(feed(t, notif(K1, "node-a", "app", "echo_01", "e1", 100, "x", NULL)),
	   "PLUGIN_CONFIG_OK (lower-case signature on the wire) ends it");
	is_int(t->state, TXN_OK, "ok");
	ok(!feed(t, notif(K1, "node-a", "app", NULL, NULL, -1, "late", NULL)),
	   "an ended transaction takes nothing more");
	is_int(t->state, TXN_OK, "still ok");
	txn_free(&t);
	ok(t == NULL, "free NULLs");

	/* failure codes and reasons: NOTIFICATION for pipelines, INFO for instances */
	t = txn_new(K1, "node-a", "r1c", "deploy", 0, 10000);
	txn_expect_pipeline(t, "app", NC_PIPELINE_OK, NC_PIPELINE_FAILED);
	txn_expect_instance(t, "app", "SIG", "i", NC_PLUGIN_CONFIG_OK, NC_PLUGIN_CONFIG_FAILED);
	ok(!feed(t, notif(K1, "node-a", "app", "SIG", "i", -100, "text", "bad config: X")),
	   "instance failure solves one response");
	ok(feed(t, notif(K1, "node-a", "app", NULL, NULL, -1, "pipeline refused", "info")),
	   "pipeline failure ends it");
	is_int(t->state, TXN_FAILED, "failed");
	is_str(t->reason, "pipeline refused; bad config: X", "reasons in response order");
	txn_free(&t);

	/* archive, instance command: only their codes count */
	t = txn_new(K1, "node-a", "r1c", "close", 0, 10000);
	txn_expect_pipeline(t, "app", NC_PIPELINE_ARCHIVE_OK, NC_PIPELINE_ARCHIVE_FAILED);
	ok(!feed(t, notif(K1, "node-a", "app", NULL, NULL, 1, "ok", NULL)),
	   "PIPELINE_OK does not close an archive");
	ok(feed(t, notif(K1, "node-a", "app", NULL, NULL, 4, "archived", NULL)),
	   "PIPELINE_ARCHIVE_OK does");
	is_int(t->state, TXN_OK, "archive ok");
	txn_free(&t);

	t = txn_new(K1, NULL, "r1c", "command", 0, 10000);
	txn_expect_pipeline(t, "app", NC_PIPELINE_OK, NC_PIPELINE_FAILED);
	txn_expect_instance(t, "app", "SIG", "i", NC_PLUGIN_INSTANCE_COMMAND_OK,
	                    NC_PLUGIN_INSTANCE_COMMAND_FAILED);
	ok(!feed(t, notif(K1, "whatever", "app", "SIG", "i", 1, "ok", NULL)),
	   "alias unknown: matched by address");
	ok(feed(t, notif(K1, "whatever", "app", "SIG", "i", 101, "done", NULL)),
	   "PLUGIN_INSTANCE_COMMAND_OK ends it");
	is_int(t->state, TXN_OK, "command ok");
	txn_free(&t);

	/* by alias only (address unknown), as the SDK matches */
	t = txn_new(NULL, "node-a", "r1c", "x", 0, 10000);
	txn_expect_pipeline(t, "app", NC_PIPELINE_OK, NC_PIPELINE_FAILED);
	ok(!feed(t, notif(K2, "node-b", "app", NULL, NULL, 1, "x", NULL)), "other alias ignored");
	ok(feed(t, notif(K2, "node-a", "app", NULL, NULL, 1, "x", NULL)), "alias match ends it");
	txn_free(&t);

	/* a bad command notification from the node fails everything pending */
	t = txn_new(K1, "node-a", "r1c", "x", 0, 10000);
	txn_expect_pipeline(t, "app", NC_PIPELINE_OK, NC_PIPELINE_FAILED);
	ok(feed(t, notif(K1, "node-a", NULL, NULL, NULL, -5000, "bad signature", NULL)),
	   "COMM_RECEIVED_BAD_COMMAND ends it");
	ok(t->state == TXN_FAILED && strcmp(t->reason, "bad signature") == 0, "failed: %s",
	   t->reason);
	txn_free(&t);

	/* RESTART acknowledgement */
	t = txn_new(K1, "node-a", "r1c", "restart", 0, 10000);
	txn_expect_ack(t, "RESTART");
	json_t *n = notif(K1, "node-a", NULL, NULL, NULL, 0,
	                  "  Running 'RESTART' command in main loop received from 'r1c'", NULL);
	json_object_set_new(n, "INITIATOR_ID", json_string("other"));
	ok(!feed(t, n), "an acknowledgement for another initiator is ignored");
	n = notif(K1, "node-a", NULL, NULL, NULL, 0,
	          "  Running 'STOP' command in main loop received from 'r1c'", NULL);
	json_object_set_new(n, "INITIATOR_ID", json_string("r1c"));
	ok(!feed(t, n), "another action is ignored");
	n = notif(K1, "node-a", NULL, NULL, NULL, 0,
	          "  Running 'RESTART' command in main loop received from 'r1c'", NULL);
	json_object_set_new(n, "INITIATOR_ID", json_string("r1c"));
	ok(feed(t, n), "the node's NORMAL notification acknowledges RESTART");
	is_int(t->state, TXN_OK, "restart ok");
	txn_free(&t);

	/* deadlines */
	t = txn_new(K1, "node-a", "r1c", "deploy", 1000, 10000);
	txn_expect_pipeline(t, "app", NC_PIPELINE_OK, NC_PIPELINE_FAILED);
	txn_expect_instance(t, "app", "SIG", "i", NC_PLUGIN_CONFIG_OK, NC_PLUGIN_CONFIG_FAILED);
	feed(t, notif(K1, "node-a", "app", NULL, NULL, 1, "ok", NULL));
	ok(!txn_check_deadline(t, 10999), "before the deadline");
	ok(txn_check_deadline(t, 11000), "at the deadline");
	is_int(t->state, TXN_TIMEOUT, "timeout");
	is_str(t->reason,
	       "Transaction timeout (10s). Responses not received: PLUGIN_CONFIG_OK <app/SIG/i>",
	       "the SDK's timeout message, naming what is missing");
	ok(!txn_check_deadline(t, 20000), "only once");
	txn_free(&t);
	t = txn_new(K1, "node-a", "r1c", "x", 0, 1500);
	txn_expect_ack(t, "STOP");
	txn_check_deadline(t, 1500);
	is_str(t->reason,
	       "Transaction timeout (1.5s). Responses not received: acknowledgement of STOP",
	       "fractional timeout");
	txn_free(&t);
	t = txn_new(K1, "node-a", "r1c", "x", 0, 1500);
	txn_fail(t, "could not send");
	ok(t->state == TXN_FAILED && strcmp(t->reason, "could not send") == 0, "txn_fail");
	is_str(txn_state_name(TXN_TIMEOUT), "timeout", "state names");
	txn_free(&t);
	return tap_done();
}
