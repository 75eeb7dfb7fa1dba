/*
 * Waiting for transactions and reporting them (see txnwait.h).
 */
#include "cli/cli.h"
#include "cli/txnwait.h"
#include "core/proto.h"
#include "core/session.h"

#include <jansson.h>

void txnwait_init(struct txnwait *w, struct netctx *nc, const struct nm_node *n, const char *what)
{
	memset(w, 0, sizeof(*w));
	w->nc = nc;
	snprintf(w->what, sizeof(w->what), "%s", what);
	if (n) {
		snprintf(w->addr, sizeof(w->addr), "%s", n->info.addr);
		snprintf(w->alias, sizeof(w->alias), "%s", n->info.alias);
		w->was_online = n->online;
		w->was_peered = n->peered;
	}
	w->state = TXN_PENDING;
}

void txnwait_set_addr(struct txnwait *w, const char *addr)
{
	snprintf(w->addr, sizeof(w->addr), "%s", addr);
}

void txnwait_release(struct txnwait *w)
{
	r1_free(w->reason);
	r1_free(w->confirmed);
	w->reason = w->confirmed = NULL;
}

void txnwait_done(void *ctx, struct session *s, const struct txn *t)
{
	(void)s;
	struct txnwait *w = ctx;
	w->done = true;
	w->state = t->state;
	w->reason = t->reason ? r1_strdup(t->reason) : NULL;
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < t->n_resp; i++) {
		const struct txn_response *r = &t->resp[i];
		if (!r->solved || !r->good)
			continue;
		if (b.len)
			buf_adds(&b, ", ");
		if (r->kind == TXN_RESP_NODE_ACK)
			buf_addf(&b, _("acknowledged"));
		else
			buf_adds(&b, notif_code_tag(r->ok_code) ? notif_code_tag(r->ok_code) : "?");
		if (r->kind == TXN_RESP_INSTANCE)
			buf_addf(&b, " %s", r->instance_id);
	}
	w->confirmed = buf_detach(&b, NULL);
}

void txnwait_warn(struct netctx *nc, const struct nm_node *n)
{
	if (!n->online)
		fprintf(stderr, _("r1console: warning: node '%s' <%s> is offline (last seen %s)\n"),
		        n->info.alias, n->info.addr,
		        n->stale ? _("in a previous run") : _("earlier"));
	else if (!n->peered)
		fprintf(stderr,
		        _("r1console: warning: node '%s' <%s> does not allow this client (%s); it "
		          "will ignore the command\n"),
		        n->info.alias, n->info.addr, nc->id.addr);
}

struct waitset {
	struct txnwait *w;
	size_t n;
};

static bool set_done(void *ctx)
{
	struct waitset *ws = ctx;
	for (size_t i = 0; i < ws->n; i++)
		if (!ws->w[i].done)
			return false;
	return true;
}

int txnwait_run_all(struct txnwait *w, size_t n, bool json)
{
	struct waitset ws = {w, n};
	if (n) {
		/* every transaction ends by itself; the margin only guards a stuck loop */
		uint32_t limit = w[0].nc->env.set.timeout_ms + 5000;
		netctx_run_until(w[0].nc, set_done, &ws, limit);
	}
	int rc = EXIT_OK;
	json_t *arr = json ? json_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		struct txnwait *x = &w[i];
		const char *who = x->alias[0] ? x->alias : x->addr;
		struct buf hint = BUF_INIT;
		if (x->state == TXN_TIMEOUT || !x->done) {
			if (!x->was_online)
				buf_addf(&hint, _(" (the node is offline)"));
			else if (!x->was_peered)
				buf_addf(&hint, _(" (the node does not allow this client)"));
		}
		if (!x->done) {
			x->state = TXN_TIMEOUT;
			x->reason = r1_strdup(_("no answer"));
		}
		if (x->state == TXN_FAILED)
			rc = EXIT_FAIL;
		else if (x->state == TXN_TIMEOUT && rc == EXIT_OK)
			rc = EXIT_TIMEOUT;
		if (json) {
			json_t *o =
			    json_pack("{s:s,s:s,s:s,s:s}", "node", x->addr, "alias", x->alias,
			              "operation", x->what, "result", txn_state_name(x->state));
			if (x->reason)
				json_object_set_new(o, "reason", json_string(x->reason));
			if (hint.len)
				json_object_set_new(o, "hint", json_string(buf_cstr(&hint) + 2));
			if (x->confirmed && *x->confirmed)
				json_object_set_new(o, "confirmed_by", json_string(x->confirmed));
			json_array_append_new(arr, o);
		} else if (x->state == TXN_OK) {
			printf(_("%s: %s confirmed (%s)\n"), who, x->what,
			       x->confirmed ? x->confirmed : "");
		} else {
			/* one clear line on stderr, and the result on stdout for scripts */
			printf(_("%s: %s %s\n"), who, x->what,
			       x->state == TXN_FAILED ? _("failed") : _("timed out"));
			cli_error(_("%s: %s %s: %s%s"), who, x->what,
			          x->state == TXN_FAILED ? _("failed") : _("timed out"),
			          x->reason ? x->reason : "", buf_cstr(&hint));
		}
		buf_release(&hint);
		txnwait_release(x);
	}
	if (json) {
		json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
		fputc('\n', stdout);
		json_decref(arr);
	}
	fflush(stdout);
	return rc;
}
