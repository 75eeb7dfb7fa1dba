/*
 * The ChainDist master machine without a network: injected candidates,
 * confirmations, progress, results, lost nodes and time; every effect it
 * asks for (deploy, close, track, payload, split, aggregate) recorded and
 * compared with what the reference would do.  Covers the wire names, the
 * decision and the split (by GFLOP/s, equal, preferred NODES, memory,
 * self), the happy path, a node killed mid-job (its part re-assigned, the
 * job still right), start and silence timeouts, worker exceptions with and
 * without CANCEL_ALL_JOBS_ON_EXCEPTION, the attempt limit, payload pacing,
 * CStore tracking, messages from the wrong node, cancel, and async split
 * and aggregate answers including failures.
 */
#include "node/lib.h"
#include "node/compute/chaindist.h"
#include "tests/tap.h"

#define S 1000 /* ms per second */

struct rec {
	struct buf log; /* one line per effect: "deploy 0 B" */
	int deploys, closes, payloads, tracks, splits, aggregates;
	json_t *last_payload;    /* the newest payload's fields */
	json_t *tracked;         /* {"job": ..., "0": ..., ...}: what CStore would hold */
	bool refuse_deploy_on_a; /* deploy on "A" fails at once */
	bool split_async, agg_async;
	bool split_fail;
};

static enum r1_err fx_deploy(void *ctx, struct chaindist *cd, const struct cd_part *p, char **why)
{
	struct rec *r = ctx;
	r->deploys++;
	buf_addf(&r->log, "deploy %u %s rows %" PRIu64 "+%" PRIu64 "\n", p->index, p->node, p->row0,
	         p->rows);
	if (r->refuse_deploy_on_a && strcmp(p->node, "A") == 0)
		return r1_fail(why, R1_ERR_AGAIN, "not connected");
	return R1_OK;
}

static void fx_close(void *ctx, struct chaindist *cd, const struct cd_part *p)
{
	struct rec *r = ctx;
	r->closes++;
	buf_addf(&r->log, "close %u %s\n", p->index, p->node);
}

static void fx_track(void *ctx, struct chaindist *cd, int part, const json_t *v)
{
	struct rec *r = ctx;
	r->tracks++;
	char key[16];
	if (part < 0)
		snprintf(key, sizeof(key), "job");
	else
		snprintf(key, sizeof(key), "%d", part);
	json_object_set_new(r->tracked, key, json_deep_copy(v));
}

static void fx_payload(void *ctx, struct chaindist *cd, json_t *f)
{
	struct rec *r = ctx;
	r->payloads++;
	buf_addf(&r->log, "payload %s %.1f\n", json_string_value(json_object_get(f, "STATE")),
	         json_real_value(json_object_get(f, "PROGRESS")));
	json_decref(r->last_payload);
	r->last_payload = f;
}

static enum r1_err fx_split(void *ctx, struct chaindist *cd, char **why)
{
	struct rec *r = ctx;
	r->splits++;
	buf_addf(&r->log, "split %zu\n", chaindist_nparts(cd));
	if (!r->split_async)
		chaindist_split_done(cd, !r->split_fail, r->split_fail ? "disk full" : NULL, 0);
	return R1_OK;
}

static enum r1_err fx_aggregate(void *ctx, struct chaindist *cd, char **why)
{
	struct rec *r = ctx;
	r->aggregates++;
	buf_addf(&r->log, "aggregate\n");
	if (!r->agg_async)
		chaindist_aggregated(cd, true, "QmResult", NULL, 0);
	return R1_OK;
}

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->log);
	r->tracked = json_object();
}

static void rec_release(struct rec *r)
{
	buf_release(&r->log);
	json_decref(r->last_payload);
	json_decref(r->tracked);
}

/* The effect lines since the last call, then forget them. */
static char *take_log(struct rec *r)
{
	static char out[4096];
	snprintf(out, sizeof(out), "%s", buf_cstr(&r->log));
	buf_reset(&r->log);
	return out;
}

static struct cd_effects effects_for(struct rec *r)
{
	return (struct cd_effects){.ctx = r,
	                           .deploy = fx_deploy,
	                           .close = fx_close,
	                           .track = fx_track,
	                           .payload = fx_payload,
	                           .split = fx_split,
	                           .aggregate = fx_aggregate};
}

static struct cd_node node(const char *addr, double gflops, uint64_t mem)
{
	struct cd_node n = {
	    .gflops = gflops, .mem_avail = mem, .cpu_cores = 2, .online = true, .peered = true};
	snprintf(n.addr, sizeof(n.addr), "%s", addr);
	return n;
}

static struct chaindist *make(struct rec *r, const struct cd_config *cfg, uint64_t rows,
                              const struct cd_node *nodes, size_t n)
{
	struct cd_effects fx = effects_for(r);
	struct cd_job job = {.kind = CD_MATMUL,
	                     .job_id = "job1",
	                     .rows = rows,
	                     .bytes_per_row = 100,
	                     .fixed_bytes = 1000,
	                     .flops_per_row = 1e6};
	struct chaindist *cd = NULL;
	char *why = NULL;
	if (chaindist_new(cfg, &job, &fx, 0, &cd, &why) != R1_OK)
		tap_bail("chaindist_new: %s", why ? why : "?");
	if (chaindist_set_candidates(cd, nodes, n, NULL) != R1_OK)
		tap_bail("set_candidates");
	return cd;
}

static const char *part_state(struct chaindist *cd, size_t i)
{
	const struct cd_part *p = chaindist_part(cd, i);
	return p ? cd_part_state_name(p->state) : "(none)";
}

static void test_names_and_degenerate(void)
{
	is_str(cd_state_name(CD_DECIDE_NR_REMOTE_NODES), "S1_DECIDE_NR_REMOTE_NODES", "S1 name");
	is_str(cd_state_name(CD_SPLIT_INPUT), "SPLIT_INPUT", "S2 name");
	is_str(cd_state_name(CD_DISTRIBUTE_JOBS), "DISTRIBUTE_JOBS", "S3 name");
	is_str(cd_state_name(CD_AGGREGATE_COLLECTED_DATA), "AGGREGATE_COLLECTED_DATA", "S4 name");
	is_str(cd_state_name(CD_FINISHED), "FINISHED", "S5 name");
	is_str(cd_state_name((enum cd_state)9), "?", "unknown state");
	is_str(cd_part_state_name(CD_CHOOSE_NODE), "CHOOSE_NODE", "part state 1");
	is_str(cd_part_state_name(CD_WAITING_START_CONFIMATION), "WAITING_START_CONFIMATION",
	       "part state 2, the reference's spelling");
	is_str(cd_part_state_name(CD_JOB_PROGRESS), "JOB_PROGRESS", "part state 3");
	is_str(cd_part_state_name(CD_WAITING_CLOSING_CONFIRMATION), "WAITING_CLOSING_CONFIRMATION",
	       "part state 4");
	is_str(cd_part_state_name(CD_CLOSED_JOB), "CLOSED_JOB", "part state 5");

	struct cd_config cfg = {0};
	struct cd_job job = {.kind = CD_MATMUL, .job_id = "j", .rows = 0};
	struct cd_effects fx = {0};
	struct chaindist *cd = NULL;
	char *why = NULL;
	is_int(chaindist_new(&cfg, &job, &fx, 0, &cd, &why), R1_ERR_INVAL, "no deploy effect");
	is_str(why, "chaindist: no way to deploy workers", "reason");
	struct rec r;
	rec_init(&r);
	fx = effects_for(&r);
	is_int(chaindist_new(&cfg, &job, &fx, 0, &cd, &why), R1_ERR_INVAL, "0 rows");
	is_str(why, "chaindist: nothing to split (0 rows)", "reason");
	job.rows = 5;
	job.job_id = "";
	is_int(chaindist_new(&cfg, &job, &fx, 0, &cd, &why), R1_ERR_INVAL, "no job id");
	ok(cd == NULL, "nothing made");
	r1_free(why);
	rec_release(&r);
	chaindist_free(&cd);
}

static void test_no_nodes(void)
{
	struct rec r;
	rec_init(&r);
	struct cd_config cfg = {.wait_nodes_ms = 30 * S};
	struct cd_node offline = node("A", 10, 0);
	offline.online = false;
	struct cd_node unpeered = node("B", 10, 0);
	unpeered.peered = false;
	struct cd_node small = node("C", 10, 500); /* needs 1000 + rows * 100 */
	struct cd_node self = node("SELF", 10, 0);
	cfg.self_addr = "SELF";
	struct cd_node list[] = {offline, unpeered, small, self};
	struct chaindist *cd = make(&r, &cfg, 10, list, 4);
	chaindist_step(cd, 1 * S);
	is_int(chaindist_state(cd), CD_DECIDE_NR_REMOTE_NODES, "waits in S1 with no eligible node");
	is_str(take_log(&r), "payload S1_DECIDE_NR_REMOTE_NODES 0.0\n", "first status payload");
	chaindist_step(cd, 29 * S);
	is_int(chaindist_state(cd), CD_DECIDE_NR_REMOTE_NODES, "still waiting at 29 s");
	is_str(take_log(&r), "payload S1_DECIDE_NR_REMOTE_NODES 0.0\n",
	       "a ping after PING_SEND_PERIOD_MAX");
	chaindist_step(cd, 30 * S);
	is_int(chaindist_state(cd), CD_FINISHED, "gives up at 30 s");
	ok(!chaindist_succeeded(cd), "failed");
	is_str(chaindist_why(cd),
	       "no eligible worker node after 30 s (4 candidates; a worker must be online, peered "
	       "and have 1300 bytes free)",
	       "reason");
	is_str(take_log(&r), "payload FINISHED 0.0\n", "final payload");
	ok(json_is_false(json_object_get(r.last_payload, "SUCCESS")), "SUCCESS false");
	is_str(json_string_value(json_object_get(r.last_payload, "ERROR")), chaindist_why(cd),
	       "ERROR carries the reason");
	is_str(json_string_value(json_object_get(r.last_payload, "ELAPSED_TIME")), "0:00:30",
	       "ELAPSED_TIME as Python's timedelta");
	is_str(json_string_value(json_object_get(r.last_payload, "REMAINING_TIME")), "0:00:00",
	       "REMAINING_TIME 0 when finished");
	is_str(json_string_value(json_object_get(json_object_get(r.tracked, "job"), "STATE")),
	       "FINISHED", "CStore: job FINISHED");
	chaindist_step(cd, 60 * S);
	is_str(take_log(&r), "", "no more payloads once finished");

	/* allow_self makes the master's own node eligible. */
	chaindist_free(&cd);
	cfg.allow_self = true;
	cd = make(&r, &cfg, 10, list, 4);
	chaindist_step(cd, 1 * S);
	is_int(chaindist_state(cd), CD_DISTRIBUTE_JOBS, "with allow_self the job starts");
	ok(chaindist_nparts(cd) == 1 && strcmp(chaindist_part(cd, 0)->node, "SELF") == 0,
	   "one part, on the master's node");
	chaindist_free(&cd);
	rec_release(&r);
}

/* The reference's happy path, parts sized by speed. */
static void test_happy_path(void)
{
	struct rec r;
	rec_init(&r);
	struct cd_config cfg = {.nr_remote_nodes = 3, .split_by_gflops = true};
	struct cd_node list[] = {node("C", 10, 0), node("A", 10, 0), node("B", 20, 0),
	                         node("D", 5, 0)};
	struct chaindist *cd = make(&r, &cfg, 100, list, 4);
	is_int(chaindist_state(cd), CD_DECIDE_NR_REMOTE_NODES, "starts in S1");
	chaindist_step(cd, 0);
	is_int(chaindist_state(cd), CD_DISTRIBUTE_JOBS, "S1 -> SPLIT_INPUT -> DISTRIBUTE_JOBS");
	is_int(chaindist_nparts(cd), 3, "3 parts");
	is_str(take_log(&r),
	       "split 3\n"
	       "deploy 0 B rows 0+50\n"
	       "deploy 1 A rows 50+25\n"
	       "deploy 2 C rows 75+25\n"
	       "payload DISTRIBUTE_JOBS 0.0\n",
	       "fastest three chosen, rows by GFLOP/s (20:10:10), ties by address");
	for (size_t i = 0; i < 3; i++)
		is_str(part_state(cd, i), "WAITING_START_CONFIMATION", "part %zu waits", i);
	is_str(json_string_value(json_object_get(json_object_get(r.tracked, "1"), "STATE")),
	       "WAITING_START_CONFIMATION", "CStore: part 1 state");
	is_str(json_string_value(json_object_get(json_object_get(r.tracked, "1"), "NODE")), "A",
	       "CStore: part 1 node");

	chaindist_part_started(cd, 0, true, NULL, 1 * S);
	chaindist_part_started(cd, 1, true, NULL, 1 * S);
	chaindist_part_progress(cd, 2, "C", 10, 1 * S); /* a payload also proves the start */
	chaindist_step(cd, 1 * S);
	for (size_t i = 0; i < 3; i++)
		is_str(part_state(cd, i), "JOB_PROGRESS", "part %zu in progress", i);
	chaindist_part_progress(cd, 0, "B", 50, 2 * S);
	chaindist_part_progress(cd, 1, "A", 40, 2 * S);
	chaindist_step(cd, 2 * S);
	ok(chaindist_progress(cd) > 33.3 && chaindist_progress(cd) < 33.4,
	   "progress is the mean: %.2f", chaindist_progress(cd));
	is_str(take_log(&r), "payload DISTRIBUTE_JOBS 33.3\n", "progress payload after 2 s");

	json_t *st = r.last_payload;
	json_t *bn = json_object_get(st, "PROGRESS_BY_NODE");
	ok(json_object_size(bn) == 3 &&
	       strcmp(json_string_value(json_object_get(json_object_get(bn, "0"), "NODE")), "B") ==
	           0 &&
	       json_real_value(json_object_get(json_object_get(bn, "0"), "PROGRESS")) == 50,
	   "PROGRESS_BY_NODE as the reference: {\"0\": {\"NODE\": B, \"PROGRESS\": 50}, ...}");
	is_str(json_string_value(json_object_get(st, "JOB_ID")), "job1", "JOB_ID");
	is_str(json_string_value(json_object_get(st, "KIND")), "MATMUL", "KIND");
	is_int(json_array_size(json_object_get(st, "PARTS")), 3, "PARTS listed");
	is_str(json_string_value(json_object_get(st, "START_DATE")), "1970-01-01 00:00:00.000000",
	       "START_DATE in the reference's format");
	is_str(json_string_value(json_object_get(st, "REMAINING_TIME")), "0:00:04",
	       "REMAINING_TIME estimated from progress");

	chaindist_part_done(cd, 0, "B", "QmPart0", 3 * S);
	chaindist_part_done(cd, 1, "A", "QmPart1", 3 * S);
	chaindist_step(cd, 3 * S);
	is_str(part_state(cd, 0), "CLOSED_JOB", "done part closed");
	is_str(take_log(&r), "close 0 B\nclose 1 A\n", "finished workers closed");
	r.agg_async = true;
	chaindist_part_done(cd, 2, "C", "QmPart2", 4 * S);
	chaindist_step(cd, 4 * S);
	is_int(chaindist_state(cd), CD_AGGREGATE_COLLECTED_DATA, "all done: aggregating");
	is_str(take_log(&r), "close 2 C\naggregate\npayload AGGREGATE_COLLECTED_DATA 100.0\n",
	       "last close, aggregate asked, state payload");
	chaindist_step(cd, 5 * S);
	is_int(chaindist_state(cd), CD_AGGREGATE_COLLECTED_DATA, "waits for the assembly");
	chaindist_aggregated(cd, true, "QmFinal", NULL, 6 * S);
	chaindist_step(cd, 6 * S);
	is_int(chaindist_state(cd), CD_FINISHED, "FINISHED");
	ok(chaindist_succeeded(cd), "succeeded");
	is_str(chaindist_result(cd), "QmFinal", "result");
	is_str(take_log(&r), "payload FINISHED 100.0\n", "golden payload");
	ok(json_is_true(json_object_get(r.last_payload, "SUCCESS")), "SUCCESS true");
	json_t *data = json_object_get(r.last_payload, "DATA");
	is_str(json_string_value(json_object_get(data, "RESULT")), "QmFinal", "DATA.RESULT");
	ok(json_array_size(json_object_get(data, "PART_RESULTS")) == 3 &&
	       strcmp(json_string_value(json_array_get(json_object_get(data, "PART_RESULTS"), 2)),
	              "QmPart2") == 0,
	   "DATA.PART_RESULTS in part order");
	json_t *job = json_object_get(r.tracked, "job");
	ok(strcmp(json_string_value(json_object_get(job, "STATE")), "FINISHED") == 0 &&
	       strcmp(json_string_value(json_object_get(job, "RESULT")), "QmFinal") == 0,
	   "CStore: job FINISHED with its result");
	is_str(json_string_value(json_object_get(json_object_get(r.tracked, "2"), "RESULT")),
	       "QmPart2", "CStore: part 2's result");
	is_int(r.deploys, 3, "3 deployments in all");
	chaindist_free(&cd);
	rec_release(&r);
}

/* Three workers; one is killed mid-job: its part moves, the job completes. */
static void test_node_killed(void)
{
	struct rec r;
	rec_init(&r);
	struct cd_config cfg = {.nr_remote_nodes = 3};
	struct cd_node list[] = {node("A", 10, 0), node("B", 12, 0), node("C", 11, 0)};
	struct chaindist *cd = make(&r, &cfg, 9, list, 3);
	chaindist_step(cd, 0);
	is_str(take_log(&r),
	       "split 3\n"
	       "deploy 0 B rows 0+3\n"
	       "deploy 1 C rows 3+3\n"
	       "deploy 2 A rows 6+3\n"
	       "payload DISTRIBUTE_JOBS 0.0\n",
	       "equal split (split_by_gflops off), fastest first");
	for (unsigned i = 0; i < 3; i++)
		chaindist_part_started(cd, i, true, NULL, 1 * S);
	chaindist_step(cd, 1 * S);
	chaindist_part_progress(cd, 1, "C", 60, 2 * S);
	chaindist_step(cd, 2 * S);
	take_log(&r);

	chaindist_node_lost(cd, "C", 3 * S);
	chaindist_step(cd, 3 * S);
	const struct cd_part *p1 = chaindist_part(cd, 1);
	is_str(take_log(&r), "close 1 C\ndeploy 1 B rows 3+3\n",
	       "lost node's part closed and re-deployed on the fastest remaining node");
	is_str(p1->node, "B", "part 1 now on B");
	is_int(p1->attempts, 2, "second attempt");
	ok(p1->n_excluded == 1 && strcmp(p1->excluded[0], "C") == 0, "C excluded for part 1");
	ok(p1->progress == 0, "progress reset");
	is_str(p1->why, "node C lost", "failure recorded");

	/* C comes back from the dead with a result: ignored, it is not part 1's node. */
	chaindist_part_done(cd, 1, "C", "QmStale", 4 * S);
	chaindist_step(cd, 4 * S);
	ok(!p1->done, "late result from the lost node ignored");
	chaindist_part_progress(cd, 0, "A", 50, 4 * S);
	ok(chaindist_part(cd, 0)->progress == 0,
	   "progress from a node that is not the part's ignored");

	chaindist_part_started(cd, 1, true, NULL, 5 * S);
	chaindist_part_done(cd, 0, "B", "Qm0", 6 * S);
	chaindist_part_done(cd, 1, "B", "Qm1", 7 * S);
	chaindist_part_done(cd, 2, "A", "Qm2", 7 * S);
	chaindist_step(cd, 7 * S);
	is_int(chaindist_state(cd), CD_FINISHED, "job finished despite the loss");
	ok(chaindist_succeeded(cd), "succeeded");
	is_str(chaindist_part(cd, 1)->result, "Qm1", "part 1's result from B");
	json_t *pr = json_object_get(json_object_get(r.last_payload, "DATA"), "PART_RESULTS");
	ok(strcmp(json_string_value(json_array_get(pr, 0)), "Qm0") == 0 &&
	       strcmp(json_string_value(json_array_get(pr, 1)), "Qm1") == 0 &&
	       strcmp(json_string_value(json_array_get(pr, 2)), "Qm2") == 0,
	   "results in row order");
	chaindist_free(&cd);
	rec_release(&r);
}

static void test_timeouts_and_failures(void)
{
	struct rec r;
	rec_init(&r);
	struct cd_config cfg = {
	    .nr_remote_nodes = 2, .node_timeout_ms = 100 * S, .start_timeout_ms = 20 * S};
	struct cd_node list[] = {node("A", 10, 0), node("B", 10, 0), node("C", 10, 0)};
	struct chaindist *cd = make(&r, &cfg, 4, list, 3);
	chaindist_step(cd, 0);
	is_str(take_log(&r),
	       "split 2\ndeploy 0 A rows 0+2\ndeploy 1 B rows 2+2\npayload DISTRIBUTE_JOBS 0.0\n",
	       "2 parts on A and B");
	chaindist_part_started(cd, 0, true, NULL, 1 * S);
	chaindist_step(cd, 19 * S);
	is_str(part_state(cd, 1), "WAITING_START_CONFIMATION", "B still has time at 19 s");
	is_str(take_log(&r), "payload DISTRIBUTE_JOBS 0.0\n", "only a ping at 19 s");
	chaindist_step(cd, 20 * S);
	is_str(take_log(&r), "close 1 B\ndeploy 1 C rows 2+2\n",
	       "no start confirmation in 20 s: part 1 to C (A is busy)");
	is_str(chaindist_part(cd, 1)->why, "B did not confirm the start in 20 s", "reason");

	/* A goes silent: after NODE_TIMEOUT its part moves (to B, the least loaded). */
	chaindist_part_started(cd, 1, true, NULL, 21 * S);
	chaindist_part_progress(cd, 1, "C", 10, 90 * S);
	chaindist_step(cd, 100 * S);
	is_str(take_log(&r), "payload DISTRIBUTE_JOBS 5.0\n", "A silent for 99 s: not yet");
	chaindist_step(cd, 101 * S);
	is_str(take_log(&r), "close 0 A\ndeploy 0 B rows 0+2\n", "A silent for 100 s: part 0 to B");
	is_str(chaindist_part(cd, 0)->why, "no payload from A for 100 s", "reason");

	/* An event with an older time does not make a part look silent. */
	chaindist_part_progress(cd, 1, "C", 20, 5 * S);
	chaindist_step(cd, 101 * S);
	ok(chaindist_part(cd, 1)->last_seen_ms == 90 * S && chaindist_part(cd, 1)->progress == 20,
	   "last sign of life never moves back");
	take_log(&r);

	/* A refused start counts as a failure too. */
	chaindist_part_started(cd, 0, false, "PIPELINE_FAILED: signature unknown", 102 * S);
	chaindist_step(cd, 102 * S);
	is_str(chaindist_part(cd, 0)->why,
	       "B refused the worker: PIPELINE_FAILED: signature unknown", "refusal reason");
	is_str(take_log(&r), "close 0 B\ndeploy 0 C rows 0+2\npayload DISTRIBUTE_JOBS 10.0\n",
	       "part 0 to C: A and B both failed it");
	is_int(chaindist_part(cd, 0)->attempts, 3, "third attempt");

	/* A worker exception on the third attempt: the attempt limit fails the job. */
	chaindist_part_failed(cd, 0, "C", "out of memory", 103 * S);
	chaindist_step(cd, 103 * S);
	is_int(chaindist_state(cd), CD_FINISHED, "job finished");
	ok(!chaindist_succeeded(cd), "failed");
	is_str(chaindist_why(cd), "part 0 failed 3 times; last: C: out of memory", "reason");
	is_str(take_log(&r), "close 0 C\nclose 1 C\npayload FINISHED 10.0\n",
	       "the other active part closed too, then the final payload");
	is_str(part_state(cd, 1), "CLOSED_JOB", "every part closed");
	chaindist_free(&cd);

	/* With CANCEL_ALL_JOBS_ON_EXCEPTION one worker error ends the job. */
	cfg.cancel_all_on_exception = true;
	cd = make(&r, &cfg, 4, list, 3);
	chaindist_step(cd, 0);
	take_log(&r);
	chaindist_part_failed(cd, 1, "B", "bad input", 1 * S);
	chaindist_step(cd, 1 * S);
	is_int(chaindist_state(cd), CD_FINISHED, "finished at the first exception");
	is_str(chaindist_why(cd),
	       "part 1 failed and CANCEL_ALL_JOBS_ON_EXCEPTION is set: B: bad input", "reason");
	is_str(take_log(&r), "close 0 A\nclose 1 B\npayload FINISHED 0.0\n", "all closed");
	chaindist_free(&cd);

	/* A deploy that fails at once moves the part in the same step. */
	cfg.cancel_all_on_exception = false;
	r.refuse_deploy_on_a = true;
	cd = make(&r, &cfg, 4, list, 3);
	chaindist_step(cd, 0);
	is_str(take_log(&r),
	       "split 2\ndeploy 0 A rows 0+2\ndeploy 1 B rows 2+2\nclose 0 A\n"
	       "deploy 0 C rows 0+2\npayload DISTRIBUTE_JOBS 0.0\n",
	       "refused deploy: part 0 goes to C");
	is_str(chaindist_part(cd, 0)->why, "deploying on A failed: not connected", "reason");
	chaindist_free(&cd);
	rec_release(&r);
}

static void test_split_choices(void)
{
	struct rec r;
	rec_init(&r);
	/* Preferred NODES first, whatever their speed; count from NODES. */
	const char *pref[] = {"SLOW", "X"};
	struct cd_config cfg = {.nodes = pref, .n_nodes = 2, .split_by_gflops = true};
	struct cd_node list[] = {node("FAST", 100, 0), node("SLOW", 1, 0), node("X", 3, 0)};
	struct chaindist *cd = make(&r, &cfg, 8, list, 3);
	chaindist_step(cd, 0);
	is_str(
	    take_log(&r),
	    "split 2\ndeploy 0 SLOW rows 0+2\ndeploy 1 X rows 2+6\npayload DISTRIBUTE_JOBS 0.0\n",
	    "NODES used in order, rows 1:3 by speed");
	chaindist_free(&cd);

	/* An unknown GFLOP/s makes the split equal; remainders to the first parts. */
	struct cd_config eq = {.nr_remote_nodes = 3, .split_by_gflops = true};
	struct cd_node l2[] = {node("A", 0, 0), node("B", 5, 0), node("C", 4, 0)};
	cd = make(&r, &eq, 10, l2, 3);
	chaindist_step(cd, 0);
	ok(chaindist_part(cd, 0)->rows == 4 && chaindist_part(cd, 1)->rows == 3 &&
	       chaindist_part(cd, 2)->rows == 3,
	   "10 rows over 3: 4,3,3");
	chaindist_free(&cd);

	/* More nodes asked than rows: one part per row. */
	cd = make(&r, &eq, 2, l2, 3);
	chaindist_step(cd, 0);
	is_int(chaindist_nparts(cd), 2, "2 rows: 2 parts");
	chaindist_free(&cd);

	/* Fewer eligible nodes than asked: as many parts as nodes. */
	struct cd_config four = {.nr_remote_nodes = 4};
	struct cd_node l3[] = {node("A", 1, 0), node("B", 1, 1000 + 5 * 100 - 1), node("C", 1, 0)};
	cd = make(&r, &four, 20, l3, 3);
	chaindist_step(cd, 0);
	is_int(chaindist_nparts(cd), 2, "B lacks memory for a 5-row part: 2 parts");
	ok(strcmp(chaindist_part(cd, 0)->node, "A") == 0 &&
	       strcmp(chaindist_part(cd, 1)->node, "C") == 0,
	   "on A and C");

	/* A tiny share from a big GFLOP/s imbalance still gets a row. */
	chaindist_free(&cd);
	struct cd_config sp = {.nr_remote_nodes = 2, .split_by_gflops = true};
	struct cd_node l4[] = {node("A", 1000, 0), node("B", 1, 0)};
	cd = make(&r, &sp, 10, l4, 2);
	chaindist_step(cd, 0);
	ok(chaindist_part(cd, 0)->rows == 9 && chaindist_part(cd, 1)->rows == 1,
	   "1000:1 over 10 rows: 9 and 1 (never 0)");
	chaindist_free(&cd);
	rec_release(&r);
}

static void test_async_split_and_aggregate_failures(void)
{
	struct rec r;
	rec_init(&r);
	struct cd_config cfg = {.nr_remote_nodes = 1};
	struct cd_node list[] = {node("A", 1, 0)};
	r.split_async = true;
	struct chaindist *cd = make(&r, &cfg, 4, list, 1);
	chaindist_step(cd, 0);
	is_int(chaindist_state(cd), CD_SPLIT_INPUT, "waits for the split");
	is_str(take_log(&r), "split 1\npayload SPLIT_INPUT 0.0\n", "split asked once");
	chaindist_step(cd, 1 * S);
	is_int(r.splits, 1, "not asked again");
	chaindist_split_done(cd, true, NULL, 2 * S);
	chaindist_step(cd, 2 * S);
	is_int(chaindist_state(cd), CD_DISTRIBUTE_JOBS, "distributing after the split");
	chaindist_free(&cd);

	r.split_async = false;
	r.split_fail = true;
	cd = make(&r, &cfg, 4, list, 1);
	chaindist_step(cd, 0);
	is_int(chaindist_state(cd), CD_FINISHED, "failed split ends the job");
	is_str(chaindist_why(cd), "splitting the input failed: disk full", "reason");
	chaindist_free(&cd);

	r.split_fail = false;
	r.agg_async = true;
	cd = make(&r, &cfg, 4, list, 1);
	chaindist_step(cd, 0);
	chaindist_part_done(cd, 0, "A", "Qm", 1 * S);
	chaindist_step(cd, 1 * S);
	chaindist_aggregated(cd, false, NULL, "R1FS: missing block", 2 * S);
	chaindist_step(cd, 2 * S);
	is_int(chaindist_state(cd), CD_FINISHED, "failed assembly ends the job");
	is_str(chaindist_why(cd), "assembling the result failed: R1FS: missing block", "reason");
	ok(!chaindist_succeeded(cd) && chaindist_result(cd)[0] == '\0', "no result");
	chaindist_free(&cd);

	/* Cancel. */
	cd = make(&r, &cfg, 4, list, 1);
	chaindist_step(cd, 0);
	take_log(&r);
	chaindist_cancel(cd, "owner closed the instance", 1 * S);
	is_int(chaindist_state(cd), CD_FINISHED, "cancelled");
	is_str(chaindist_why(cd), "cancelled: owner closed the instance", "reason");
	is_str(take_log(&r), "close 0 A\npayload FINISHED 0.0\n",
	       "active part closed, final payload");
	chaindist_free(&cd);
	rec_release(&r);
}

static void test_payload_pacing(void)
{
	struct rec r;
	rec_init(&r);
	struct cd_config cfg = {.nr_remote_nodes = 1,
	                        .ping_min_ms = 2 * S,
	                        .ping_max_ms = 10 * S,
	                        .node_timeout_ms = 1000 * S};
	struct cd_node list[] = {node("A", 1, 0)};
	struct chaindist *cd = make(&r, &cfg, 4, list, 1);
	chaindist_step(cd, 0);
	chaindist_part_started(cd, 0, true, NULL, 0);
	take_log(&r);
	chaindist_part_progress(cd, 0, "A", 10, 1 * S);
	chaindist_step(cd, 1 * S);
	is_str(take_log(&r), "", "progress within PING_SEND_PERIOD_MIN: no payload");
	chaindist_step(cd, 2 * S);
	is_str(take_log(&r), "payload DISTRIBUTE_JOBS 10.0\n", "at 2 s it goes");
	chaindist_step(cd, 11 * S);
	is_str(take_log(&r), "", "no change for 9 s: nothing");
	chaindist_step(cd, 12 * S);
	is_str(take_log(&r), "payload DISTRIBUTE_JOBS 10.0\n", "PING_SEND_PERIOD_MAX: a ping");
	is_int(chaindist_started_ms(cd), 0, "start time");
	chaindist_free(&cd);
	rec_release(&r);
}

int main(void)
{
	test_names_and_degenerate();
	test_no_nodes();
	test_happy_path();
	test_node_killed();
	test_timeouts_and_failures();
	test_split_choices();
	test_async_split_and_aggregate_failures();
	test_payload_pacing();
	return tap_done();
}
