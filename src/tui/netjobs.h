#ifndef R1_TUI_NETJOBS_H
#define R1_TUI_NETJOBS_H
/*
 * Compute jobs the console learns of from payloads, for the Compute view:
 * ChainDist jobs (CHAIN_DIST_MASTER_01's progress and final payloads: the
 * job's state and each part's node, state and progress) and matrix
 * products (MATMUL_JOB_01's JOB_STATE payloads), from any node on the
 * network.  The newest payload of each job is kept (a reference to it);
 * the oldest jobs are forgotten past NETJOBS_MAX.  Loop thread only.
 */
#include "core/common.h"
#include "core/identity.h"

#include <jansson.h>

#define NETJOBS_MAX    64
#define NETJOBS_ID_MAX 80

enum netjob_kind { NETJOB_CHAINDIST, NETJOB_MATMUL };

struct netjob {
	enum netjob_kind kind;
	char sender[R1_ADDR_LEN + 1];
	char instance[65];
	char id[NETJOBS_ID_MAX + 1]; /* JOB_ID, REQUEST_ID, or "" */
	json_t *body;                /* the newest payload (a reference) */
	int64_t first_ms, when_ms;   /* when it was first and last heard of */
	bool finished;               /* FINISHED, or DONE / FAILED / CANCELLED */
};

struct netjobs {
	struct netjob jobs[NETJOBS_MAX];
	size_t n;
	uint64_t changes; /* payloads taken so far */
};

void netjobs_init(struct netjobs *j);
void netjobs_release(struct netjobs *j);

/*
 * A verified payload from `sender`: true when it was a job's (and was
 * kept).  Strings are bounded; what the views show is sanitized there.
 */
bool netjobs_payload(struct netjobs *j, const char *sender, const json_t *body, int64_t now_ms);

#endif
