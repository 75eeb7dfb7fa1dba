#ifndef R1_CLI_TXNWAIT_H
#define R1_CLI_TXNWAIT_H
/*
 * Waiting for the transactions a command opened, and saying how each ended:
 * one line per node ("node-a: RESTART confirmed"), or with --json one
 * object per node; a timeout says what was not received and the likely
 * reason (the node is offline, or does not allow this client).  Exit status:
 * 0 when every transaction completed, 1 when one failed, 3 when none failed
 * but one timed out.
 */
#include "cli/netctx.h"
#include "core/txn.h"

struct session;

struct txnwait {
	struct netctx *nc;
	char addr[R1_ADDR_LEN + 1];
	char alias[NM_ALIAS_MAX + 1];
	char what[64];               /* "RESTART", "deploy echo-job" */
	bool was_online, was_peered; /* when it was sent, for the timeout message */
	bool done;
	enum txn_state state;
	char *reason;
	char *confirmed; /* what confirmed it ("PIPELINE_OK, PLUGIN_CONFIG_OK e1") */
};

/* n may be NULL when the node is known only by address (addr then required). */
void txnwait_init(struct txnwait *w, struct netctx *nc, const struct nm_node *n, const char *what);
void txnwait_set_addr(struct txnwait *w, const char *addr);
void txnwait_release(struct txnwait *w);

/* The session callback (ctx is the struct txnwait). */
void txnwait_done(void *ctx, struct session *s, const struct txn *t);

/* Print a warning line when the node is offline or does not allow us. */
void txnwait_warn(struct netctx *nc, const struct nm_node *n);

/*
 * Run the loop until all n are done (their transactions end by themselves:
 * the session's timer sees to it), print the results, release them, and
 * return the exit status.
 */
int txnwait_run_all(struct txnwait *w, size_t n, bool json);
static inline int txnwait_run(struct txnwait *w, bool json)
{
	return txnwait_run_all(w, 1, json);
}

#endif
