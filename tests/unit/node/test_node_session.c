/*
 * node_open_session: a session inside node A, on an endpoint of its own on
 * the same hub, with A's identity:
 *  - degenerate calls are refused (no name; a bus that cannot open
 *    siblings is covered by bus_open_sibling's own check);
 *  - its netmap hears B's heartbeats and the oracle's map: B online and
 *    peered (B allows A's address), A itself known;
 *  - it deploys an ECHO_01 pipeline on B, confirmed by B's notifications,
 *    and B's pipeline says A (by address) created it; B's payloads reach
 *    the session's observer, and so do heartbeats (decoded, with
 *    DEVICE_STATUS); payloads encrypted to A arrive decrypted, handed over
 *    by A's node, whose topic the session's endpoint does not subscribe to;
 *  - the pipeline is closed through it (PIPELINE_ARCHIVE_OK);
 *  - node_close_session frees the endpoint (the hub has one endpoint
 *    less), a session left open is freed by node_free (LeakSanitizer).
 */
#include "node/lib.h"
#include "node/fsutil.h"
#include "node/nodepriv.h"
#include "core/bus.h"
#include "core/bus_local.h"
#include "core/loop.h"
#include "core/netmap.h"
#include "core/pipespec.h"
#include "core/proto.h"
#include "core/session.h"
#include "tests/tap.h"

#include <jansson.h>

static struct loop *L;
static struct bus_hub *H;

struct seen {
	unsigned payloads, heartbeats, beats_with_status, encrypted;
	char last_payload_from[R1_ADDR_LEN + 1];
};

static void observe(void *ctx, struct session *s, enum session_msg kind, const char *sender,
                    const json_t *msg)
{
	struct seen *w = ctx;
	if (kind == SESSION_MSG_HEARTBEAT) {
		w->heartbeats++;
		if (json_is_string(json_object_get(msg, K_DEVICE_STATUS)))
			w->beats_with_status++;
	} else if (kind == SESSION_MSG_PAYLOAD) {
		const char *sig =
		    json_string_value(json_array_get(json_object_get(msg, K_EE_PAYLOAD_PATH), 2));
		if (sig && strcmp(sig, "ECHO_01") == 0) {
			w->payloads++;
			if (json_is_true(json_object_get(msg, K_EE_IS_ENCRYPTED)) &&
			    json_object_get(msg, "COUNTER"))
				w->encrypted++;
			snprintf(w->last_payload_from, sizeof(w->last_payload_from), "%s", sender);
		}
	}
}

static struct node *make(const char *alias, bool oracle, const char *trust, struct bus **bus)
{
	char *dir = fs_join(tap_tmpdir(), alias);
	const char *oracles[] = {trust};
	struct node_config cfg = {
	    .alias = alias,
	    .data_dir = dir,
	    .oracle = oracle,
	    .secured = true,
	    .heartbeat_ms = 300,
	    .netmon_send_ms = 300,
	    .oracles = trust ? oracles : NULL,
	    .n_oracles = trust ? 1 : 0,
	};
	struct node *n = NULL;
	char *why = NULL;
	if (bus_local_new(H, alias, bus, &why) || node_new(L, *bus, &cfg, NULL, &n, &why))
		tap_bail("%s: %s", alias, why);
	r1_free(dir);
	return n;
}

static bool run_until(bool (*cond)(void *), void *arg, int max_ms)
{
	for (int i = 0; i < max_ms / 5; i++) {
		if (cond(arg))
			return true;
		loop_run_once(L, 5);
	}
	return cond(arg);
}

struct netwait {
	struct netmap *nm;
	const char *addr;
};

static bool peered_online(void *arg)
{
	struct netwait *w = arg;
	const struct nm_node *x = netmap_find_addr(w->nm, w->addr);
	return x && x->online && x->peered;
}

struct done {
	bool ended;
	enum txn_state state;
	char reason[200];
};

static void on_done(void *ctx, struct session *s, const struct txn *t)
{
	struct done *d = ctx;
	d->ended = true;
	d->state = t->state;
	snprintf(d->reason, sizeof(d->reason), "%s", t->reason ? t->reason : "");
}

static bool ended(void *arg)
{
	return ((struct done *)arg)->ended;
}

static bool got_payloads(void *arg)
{
	return ((struct seen *)arg)->payloads >= 2;
}

static bool got_encrypted(void *arg)
{
	return ((struct seen *)arg)->encrypted >= 2;
}

int main(void)
{
	char *why = NULL;
	if (loop_new(&L, &why) || bus_hub_new(L, 0, NULL, &H, &why))
		tap_bail("%s", why);
	struct bus *bo = NULL, *ba = NULL, *bb = NULL;
	struct node *o = make("ns-oracle", true, NULL, &bo);
	struct node *a = make("ns-a", false, node_address(o), &ba);
	struct node *b = make("ns-b", false, node_address(o), &bb);
	/* B takes commands from A; the oracle lists them all */
	if (node_allow(b, node_address(a), "ns-a", &why) ||
	    node_allow(o, node_address(a), "ns-a", &why) ||
	    node_allow(o, node_address(b), "ns-b", &why) || node_start(o, &why) ||
	    node_start(a, &why) || node_start(b, &why))
		tap_bail("%s", why);

	struct session *s = NULL;
	is_int(node_open_session(a, "", &s, NULL), R1_ERR_INVAL, "a session needs a name");
	ok(s == NULL, "nothing opened");
	size_t before = bus_hub_endpoints(H);
	if (node_open_session(a, "ns-a-master", &s, &why))
		tap_bail("node_open_session: %s", why);
	is_int((int)bus_hub_endpoints(H), (int)before + 1, "one more endpoint on the hub");
	ok(strcmp(session_name(s), "ns-a-master") == 0, "the session has its name");
	is_str(session_identity(s)->addr, node_address(a), "and the node's identity");
	struct netmap *nm = node_session_netmap(a, s);
	ok(nm != NULL, "the session has a netmap");
	ok(node_session_netmap(b, s) == NULL, "another node does not know it");
	struct seen w = {0};
	session_set_observer(s, observe, &w);

	struct netwait nw = {nm, node_address(b)};
	ok(run_until(peered_online, &nw, 5000), "B is online and peered in the session's netmap");
	const struct nm_node *self = netmap_find_addr(nm, node_address(a));
	ok(self && self->self, "A knows itself there");
	ok(w.heartbeats > 0 && w.beats_with_status == w.heartbeats,
	   "the observer hears heartbeats, decoded (%u)", w.heartbeats);

	/* deploy on B through the in-node session */
	struct pipespec *spec = NULL;
	json_t *pcfg = json_pack("{s:s}", K_TYPE, "Void");
	json_t *icfg = json_pack("{s:f}", K_PROCESS_DELAY, 0.1);
	json_t *ecfg = json_pack("{s:f,s:b}", K_PROCESS_DELAY, 0.1, "ENCRYPT_PAYLOAD", 1);
	if (pipespec_new(node_address(b), "from_a", pcfg, &spec, &why) ||
	    pipespec_add_instance(spec, "ECHO_01", "e1", icfg, &why) ||
	    pipespec_add_instance(spec, "ECHO_01", "e2", ecfg, &why))
		tap_bail("%s", why);
	json_decref(pcfg);
	json_decref(icfg);
	json_decref(ecfg);
	struct done d = {0};
	struct session_call call = {.timeout_ms = 5000, .done = on_done, .ctx = &d};
	is_int(session_deploy(s, spec, &call, NULL, &why), R1_OK, "deploy sent");
	ok(run_until(ended, &d, 6000), "the deploy ended");
	is_int(d.state, TXN_OK, "confirmed by B (%s)", d.reason);
	json_t *pipes = node_pipelines(b);
	const char *owner = NULL;
	size_t i;
	json_t *p;
	json_array_foreach(
	    pipes, i, p) if (strcmp(json_string_value(json_object_get(p, K_NAME)), "from_a") == 0)
	    owner = json_string_value(json_object_get(p, K_INITIATOR_ADDR));
	ok(owner && strstr(owner, node_address(a) + strlen(R1_ADDR_PREFIX)),
	   "B's pipeline was created by A's address (%s)", owner ? owner : "none");
	json_decref(pipes);
	ok(run_until(got_payloads, &w, 3000), "B's payloads reach the observer");
	is_str(w.last_payload_from, node_address(b), "from B");
	ok(run_until(got_encrypted, &w, 3000),
	   "and those encrypted to A (its initiator), decrypted, handed over by the node");
	char own[160];
	snprintf(own, sizeof(own), "naeural/%s/payloads", node_address(a));
	const struct bus *sb = a->sessions ? a->sessions->bus : NULL;
	bool doubled = false;
	for (size_t k = 0; sb && k < sb->nsubs; k++)
		doubled |= strcmp(sb->subs[k].filter, own) == 0;
	ok(sb && sb->nsubs == 2 && !doubled,
	   "the session's endpoint subscribes to ctrl and notif only (the node hands it payloads)");

	struct done c = {0};
	call.ctx = &c;
	is_int(session_close_pipeline(s, node_address(b), "from_a", &call, NULL, &why), R1_OK,
	       "close sent");
	ok(run_until(ended, &c, 6000) && c.state == TXN_OK, "closed (%s)", c.reason);
	pipespec_free(&spec);

	node_close_session(a, &s);
	ok(s == NULL, "node_close_session NULLs the pointer");
	is_int((int)bus_hub_endpoints(H), (int)before, "its endpoint left the hub");
	struct session *other = (struct session *)&w; /* never opened by the node */
	node_close_session(a, &other);
	ok(other == (struct session *)&w, "a session the node did not open is left alone");

	/* one left open: node_free closes it */
	struct session *s2 = NULL;
	ok(node_open_session(a, "left-open", &s2, NULL) == R1_OK && s2, "a second session");

	node_free(&b);
	node_free(&a);
	node_free(&o);
	is_int((int)bus_hub_endpoints(H), 3, "node_free closed the session left open");
	bus_free(&bb);
	bus_free(&ba);
	bus_free(&bo);
	bus_hub_free(&H);
	loop_free(&L);
	return tap_done();
}
