#ifndef R1_NODE_COMPUTE_CHAINDIST_H
#define R1_NODE_COMPUTE_CHAINDIST_H
/*
 * ChainDist, the master side: one cooperative job split into parts (row
 * blocks of a matrix product, or batches of vector-search queries), each
 * run by a worker on another node, as the reference's BaseChainDistPlugin
 * does, with its state names on the wire.
 *
 * Job states (main machine):
 *   S1_DECIDE_NR_REMOTE_NODES  how many parts: NR_REMOTE_NODES, else the
 *                              number of NODES, else 4, bounded by the
 *                              eligible candidates and the rows;
 *   SPLIT_INPUT                parts planned (rows proportional to each
 *                              chosen node's measured GFLOP/s, or equal),
 *                              then the owner cuts the input (async);
 *   DISTRIBUTE_JOBS            every part runs its own machine (below);
 *   AGGREGATE_COLLECTED_DATA   all parts done: the owner assembles (async);
 *   FINISHED                   the final ("golden") payload went out.
 * Part states:
 *   CHOOSE_NODE -> WAITING_START_CONFIMATION (sic: the reference's
 *   spelling) -> JOB_PROGRESS -> WAITING_CLOSING_CONFIRMATION -> CLOSED_JOB.
 * A part that fails (start refused, worker error, node lost, no payload
 * for NODE_TIMEOUT) is closed on its node and starts again at CHOOSE_NODE
 * on another node (the failed one is excluded for that part), up to
 * max_attempts; beyond that the whole job fails.
 *
 * The machine never touches the network, the clock or the store: it is fed
 * events (candidates, confirmations, progress, results, node loss, the
 * time) and acts through `struct cd_effects` (deploy, close, track in
 * CStore, payload, split, aggregate).  So every path is testable in
 * memory, and the plugin (chain_dist_master_01.c) is only glue.  All calls
 * on the loop thread; now_ms is wall-clock milliseconds.
 */
#include "core/common.h"
#include "core/err.h"
#include "core/identity.h"

#include <jansson.h>

#define CD_ADDR_MAX     (R1_ADDR_LEN + 1)
#define CD_MAX_PARTS    64
#define CD_MAX_EXCLUDED 8

enum cd_state {
	CD_DECIDE_NR_REMOTE_NODES,
	CD_SPLIT_INPUT,
	CD_DISTRIBUTE_JOBS,
	CD_AGGREGATE_COLLECTED_DATA,
	CD_FINISHED,
};

enum cd_part_state {
	CD_CHOOSE_NODE,
	CD_WAITING_START_CONFIMATION,
	CD_JOB_PROGRESS,
	CD_WAITING_CLOSING_CONFIRMATION,
	CD_CLOSED_JOB,
};

/* The wire names: "S1_DECIDE_NR_REMOTE_NODES", ..., "CLOSED_JOB". */
const char *cd_state_name(enum cd_state s);
const char *cd_part_state_name(enum cd_part_state s);

enum cd_kind {
	CD_MATMUL,
	CD_SEARCH,
};

/* A node that could run a part, as the owner sees it now. */
struct cd_node {
	char addr[CD_ADDR_MAX];
	char alias[33];
	double gflops;      /* measured (BLAS_BENCH_01) in the job's dtype; 0 = unknown */
	uint64_t mem_avail; /* bytes; 0 = unknown (not checked) */
	unsigned cpu_cores;
	bool online, peered; /* both needed to be eligible */
};

struct cd_config {
	unsigned nr_remote_nodes; /* NR_REMOTE_NODES; 0 = from `nodes`, else 4 */
	const char *const *nodes; /* NODES: preferred workers, in order (borrowed) */
	size_t n_nodes;
	uint64_t node_timeout_ms;  /* NODE_TIMEOUT: silence that fails a part; 0 = 150 s */
	uint64_t start_timeout_ms; /* start confirmation wait; 0 = node_timeout */
	uint64_t wait_nodes_ms; /* no eligible node for this long fails the job; 0 = node_timeout */
	uint64_t ping_min_ms;   /* PING_SEND_PERIOD_MIN; 0 = 2 s */
	uint64_t ping_max_ms;   /* PING_SEND_PERIOD_MAX; 0 = 10 s */
	unsigned max_attempts;  /* per part; 0 = 3 */
	bool split_by_gflops;   /* size parts by measured speed (else equal) */
	bool cancel_all_on_exception; /* CANCEL_ALL_JOBS_ON_EXCEPTION: a worker error fails the job
	                               */
	const char *self_addr;        /* the master's node; eligible only with allow_self */
	bool allow_self;
};

/* What is split. */
struct cd_job {
	enum cd_kind kind;
	const char *job_id;     /* names pipelines and CStore keys; copied */
	uint64_t rows;          /* rows of op(A), or queries */
	uint64_t bytes_per_row; /* worker memory per row of its part (input and output rows) */
	uint64_t fixed_bytes;   /* worker memory whatever its rows (B, or the index) */
	double flops_per_row;   /* for time estimates */
};

struct cd_part {
	unsigned index;
	uint64_t row0, rows;
	enum cd_part_state state;
	char node[CD_ADDR_MAX];    /* current assignment; "" = none */
	char planned[CD_ADDR_MAX]; /* the node the split sized it for */
	double progress;           /* 0..100, as the worker reports it */
	unsigned attempts;         /* deployments so far */
	bool done;                 /* result collected */
	bool failed;               /* the current attempt failed (closing) */
	char result[128];          /* what the worker returned (a CID) */
	char why[160];             /* the last failure */
	int64_t state_since_ms, last_seen_ms;
	char excluded[CD_MAX_EXCLUDED][CD_ADDR_MAX]; /* nodes that failed this part */
	unsigned n_excluded;
};

struct chaindist;

/*
 * What the machine asks of its owner.  Every callback is optional except
 * deploy.  Calls come from inside chaindist_* calls; they must not free the
 * machine, and may feed it events only through the async answers noted.
 */
struct cd_effects {
	void *ctx;
	/* Start part p's worker on p->node.  An error counts as a refused start. */
	enum r1_err (*deploy)(void *ctx, struct chaindist *cd, const struct cd_part *p, char **why);
	/* Stop part p's worker on p->node (fire and forget). */
	void (*close)(void *ctx, struct chaindist *cd, const struct cd_part *p);
	/* Record the state of part `part` (or of the job when -1) in CStore; value borrowed. */
	void (*track)(void *ctx, struct chaindist *cd, int part, const json_t *value);
	/* Publish a payload (fields stolen): progress, and the final one. */
	void (*payload)(void *ctx, struct chaindist *cd, json_t *fields);
	/*
	 * Cut the input by the planned parts; answer with chaindist_split_done
	 * (now or later).  NULL = nothing to cut.
	 */
	enum r1_err (*split)(void *ctx, struct chaindist *cd, char **why);
	/*
	 * Assemble the parts' results; answer with chaindist_aggregated (now
	 * or later).  NULL = the job's result is the list of part results.
	 */
	enum r1_err (*aggregate)(void *ctx, struct chaindist *cd, char **why);
};

/*
 * A new job in S1_DECIDE_NR_REMOTE_NODES.  cfg strings are copied.
 * Errors: R1_ERR_INVAL (no rows, no deploy effect, no job id), R1_ERR_NOMEM.
 */
enum r1_err chaindist_new(const struct cd_config *cfg, const struct cd_job *job,
                          const struct cd_effects *fx, int64_t now_ms, struct chaindist **out,
                          char **why);
void chaindist_free(struct chaindist **cd);

/*
 * A restarted master picks its job up where CStore left it: the parts as
 * planned before (contiguous row ranges covering the job's rows, in
 * order), each with its result when it was done and the attempts it used.
 * The machine skips deciding and splitting (the owner still has the cut
 * inputs) and enters DISTRIBUTE_JOBS: done parts stay closed with their
 * result, the others start again at CHOOSE_NODE, avoiding the node that
 * had them.  Only on a new machine (S1_DECIDE_NR_REMOTE_NODES, no step
 * yet).  Errors: R1_ERR_STATE (not new), R1_ERR_INVAL (no parts, more than
 * CD_MAX_PARTS, ranges that do not tile the rows).
 */
struct cd_restored_part {
	uint64_t row0, rows;
	const char *result; /* NULL or "" = not done */
	const char *node;   /* the node it was on ("" or NULL = none) */
	unsigned attempts;
};
enum r1_err chaindist_restore(struct chaindist *cd, const struct cd_restored_part *parts, size_t n,
                              int64_t now_ms, char **why);

/* ---- events */

/* Replace the candidate list (copied).  Call before each step, or when the network changes. */
enum r1_err chaindist_set_candidates(struct chaindist *cd, const struct cd_node *nodes, size_t n,
                                     char **why);
/* A node went offline: its parts fail and move elsewhere. */
void chaindist_node_lost(struct chaindist *cd, const char *addr, int64_t now_ms);
/* The deployment of part `idx` was confirmed (ok) or refused (why). */
void chaindist_part_started(struct chaindist *cd, unsigned idx, bool ok, const char *why,
                            int64_t now_ms);
/* A worker payload: progress 0..100 from `from` (ignored unless it is the part's node). */
void chaindist_part_progress(struct chaindist *cd, unsigned idx, const char *from, double progress,
                             int64_t now_ms);
/* Part `idx` finished on `from` with `result` (a CID). */
void chaindist_part_done(struct chaindist *cd, unsigned idx, const char *from, const char *result,
                         int64_t now_ms);
/* Part `idx` failed on `from` (a worker exception). */
void chaindist_part_failed(struct chaindist *cd, unsigned idx, const char *from, const char *why,
                           int64_t now_ms);
/* Answers of the async effects. */
void chaindist_split_done(struct chaindist *cd, bool ok, const char *why, int64_t now_ms);
void chaindist_aggregated(struct chaindist *cd, bool ok, const char *result, const char *why,
                          int64_t now_ms);
/* Stop everything: active parts are closed, the job ends FINISHED with `why`. */
void chaindist_cancel(struct chaindist *cd, const char *why, int64_t now_ms);

/* Advance: transitions, timeouts, progress payloads.  Cheap; call every PROCESS_DELAY. */
void chaindist_step(struct chaindist *cd, int64_t now_ms);

/* ---- reading (views, the plugin) */

enum cd_state chaindist_state(const struct chaindist *cd);
const char *chaindist_job_id(const struct chaindist *cd);
enum cd_kind chaindist_kind(const struct chaindist *cd);
uint64_t chaindist_rows(const struct chaindist *cd);
size_t chaindist_nparts(const struct chaindist *cd);
/* Part i (NULL when out of range); valid until the next event. */
const struct cd_part *chaindist_part(const struct chaindist *cd, size_t i);
/* Mean part progress 0..100 (100 once FINISHED successfully). */
double chaindist_progress(const struct chaindist *cd);
/* FINISHED: true when it succeeded. */
bool chaindist_succeeded(const struct chaindist *cd);
/* The aggregated result ("" until there is one) and the failure reason ("" if none). */
const char *chaindist_result(const struct chaindist *cd);
const char *chaindist_why(const struct chaindist *cd);
/* A known candidate's figures (NULL if unknown), for views. */
const struct cd_node *chaindist_candidate(const struct chaindist *cd, const char *addr);
int64_t chaindist_started_ms(const struct chaindist *cd);
int64_t chaindist_finished_ms(const struct chaindist *cd);

/*
 * The progress payload fields now (a new object; NULL on OOM): STATE,
 * PROGRESS, PROGRESS_BY_NODE, START_DATE, ELAPSED_TIME, REMAINING_TIME as
 * the reference names them, plus JOB_ID, KIND, ROWS, NR_REMOTE_NODES and
 * PARTS (one object per part: PART, ROW0, ROWS, STATE, NODE, PROGRESS,
 * ATTEMPT, RESULT).
 */
json_t *chaindist_status_json(const struct chaindist *cd, int64_t now_ms);

#endif
