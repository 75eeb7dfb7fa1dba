/*
 * The ChainDist master state machine (see chaindist.h).  Events only record
 * facts (a confirmation, a result, a lost node); chaindist_step() runs the
 * transitions, in the reference's order: the main machine, then in
 * DISTRIBUTE_JOBS each part's machine, then failed parts are reset, then a
 * payload if one is due.  Effects (deploy, close, track, payload, split,
 * aggregate) are called only from transitions, so one step produces a
 * predictable list of them.  Nothing here reads a clock or does I/O.
 */
#include "node/lib.h"
#include "node/compute/chaindist.h"
#include "core/timefmt.h"

#include <math.h>

#define DEFAULT_NR_REMOTE_NODES 4
#define DEFAULT_NODE_TIMEOUT_MS 150000
#define DEFAULT_PING_MIN_MS     2000
#define DEFAULT_PING_MAX_MS     10000
#define DEFAULT_MAX_ATTEMPTS    3
#define MAX_CANDIDATES          4096
/* Transitions per step: enough for a part to go from CHOOSE_NODE to CLOSED_JOB and back. */
#define MAX_ROUNDS 16

enum start_answer { START_NONE, START_OK, START_FAIL };

struct part_x {
	struct cd_part pub;
	enum start_answer started;
};

struct chaindist {
	struct cd_config cfg;
	char **nodes;
	char self[CD_ADDR_MAX];
	struct cd_job job;
	char job_id[64];
	struct cd_effects fx;
	enum cd_state state;
	int64_t created_ms, state_since_ms, finished_ms;
	unsigned nr;
	struct part_x parts[CD_MAX_PARTS];
	size_t nparts;
	struct cd_node *cands;
	size_t ncands;
	/* async effects */
	bool split_asked, split_answered, split_ok;
	char split_why[160];
	bool agg_asked, agg_answered, agg_ok;
	char agg_result[256];
	/* outcome */
	bool critical, succeeded;
	char result[256];
	char why[240];
	/* payload pacing */
	int64_t last_payload_ms;
	double last_payload_progress;
	enum cd_state last_payload_state;
	bool any_payload, final_sent;
};

static const char *const state_names[] = {
    [CD_DECIDE_NR_REMOTE_NODES] = "S1_DECIDE_NR_REMOTE_NODES",
    [CD_SPLIT_INPUT] = "SPLIT_INPUT",
    [CD_DISTRIBUTE_JOBS] = "DISTRIBUTE_JOBS",
    [CD_AGGREGATE_COLLECTED_DATA] = "AGGREGATE_COLLECTED_DATA",
    [CD_FINISHED] = "FINISHED",
};

static const char *const part_state_names[] = {
    [CD_CHOOSE_NODE] = "CHOOSE_NODE",
    [CD_WAITING_START_CONFIMATION] = "WAITING_START_CONFIMATION",
    [CD_JOB_PROGRESS] = "JOB_PROGRESS",
    [CD_WAITING_CLOSING_CONFIRMATION] = "WAITING_CLOSING_CONFIRMATION",
    [CD_CLOSED_JOB] = "CLOSED_JOB",
};

const char *cd_state_name(enum cd_state s)
{
	return (unsigned)s < R1_ARRAY_LEN(state_names) ? state_names[s] : "?";
}

const char *cd_part_state_name(enum cd_part_state s)
{
	return (unsigned)s < R1_ARRAY_LEN(part_state_names) ? part_state_names[s] : "?";
}

static void copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- construction */

enum r1_err chaindist_new(const struct cd_config *cfg, const struct cd_job *job,
                          const struct cd_effects *fx, int64_t now_ms, struct chaindist **out,
                          char **why)
{
	*out = NULL;
	if (!fx || !fx->deploy)
		return r1_fail(why, R1_ERR_INVAL, "chaindist: no way to deploy workers");
	if (!job || job->rows == 0)
		return r1_fail(why, R1_ERR_INVAL, "chaindist: nothing to split (0 rows)");
	if (!job->job_id || !job->job_id[0])
		return r1_fail(why, R1_ERR_INVAL, "chaindist: the job has no id");
	struct chaindist *cd = r1_calloc(1, sizeof(*cd));
	if (!cd)
		return r1_fail(why, R1_ERR_NOMEM, "chaindist: out of memory");
	cd->cfg = *cfg;
	cd->cfg.nodes = NULL;
	if (cfg->n_nodes) {
		cd->nodes = r1_calloc(cfg->n_nodes, sizeof(char *));
		if (!cd->nodes)
			goto oom;
		for (size_t i = 0; i < cfg->n_nodes; i++)
			if (!(cd->nodes[i] = r1_strdup(cfg->nodes[i] ? cfg->nodes[i] : "")))
				goto oom;
	}
	if (!cd->cfg.node_timeout_ms)
		cd->cfg.node_timeout_ms = DEFAULT_NODE_TIMEOUT_MS;
	if (!cd->cfg.start_timeout_ms)
		cd->cfg.start_timeout_ms = cd->cfg.node_timeout_ms;
	if (!cd->cfg.wait_nodes_ms)
		cd->cfg.wait_nodes_ms = cd->cfg.node_timeout_ms;
	if (!cd->cfg.ping_min_ms)
		cd->cfg.ping_min_ms = DEFAULT_PING_MIN_MS;
	if (!cd->cfg.ping_max_ms)
		cd->cfg.ping_max_ms = DEFAULT_PING_MAX_MS;
	if (!cd->cfg.max_attempts)
		cd->cfg.max_attempts = DEFAULT_MAX_ATTEMPTS;
	copy_text(cd->self, sizeof(cd->self), cfg->self_addr);
	cd->cfg.self_addr = NULL;
	cd->job = *job;
	copy_text(cd->job_id, sizeof(cd->job_id), job->job_id);
	cd->job.job_id = cd->job_id;
	cd->fx = *fx;
	cd->state = CD_DECIDE_NR_REMOTE_NODES;
	cd->created_ms = cd->state_since_ms = now_ms;
	*out = cd;
	return R1_OK;
oom:
	chaindist_free(&cd);
	return r1_fail(why, R1_ERR_NOMEM, "chaindist: out of memory");
}

void chaindist_free(struct chaindist **cdp)
{
	struct chaindist *cd = *cdp;
	*cdp = NULL;
	if (!cd)
		return;
	for (size_t i = 0; cd->nodes && i < cd->cfg.n_nodes; i++)
		r1_free(cd->nodes[i]);
	r1_free(cd->nodes);
	r1_free(cd->cands);
	r1_free(cd);
}

/* ---- candidates */

enum r1_err chaindist_set_candidates(struct chaindist *cd, const struct cd_node *nodes, size_t n,
                                     char **why)
{
	if (n > MAX_CANDIDATES)
		n = MAX_CANDIDATES;
	struct cd_node *copy = NULL;
	if (n) {
		copy = r1_reallocarray(NULL, n, sizeof(*copy));
		if (!copy)
			return r1_fail(why, R1_ERR_NOMEM, "chaindist: out of memory");
		memcpy(copy, nodes, n * sizeof(*copy));
		for (size_t i = 0; i < n; i++) {
			copy[i].addr[CD_ADDR_MAX - 1] = '\0';
			copy[i].alias[sizeof(copy[i].alias) - 1] = '\0';
		}
	}
	r1_free(cd->cands);
	cd->cands = copy;
	cd->ncands = n;
	return R1_OK;
}

const struct cd_node *chaindist_candidate(const struct chaindist *cd, const char *addr)
{
	for (size_t i = 0; addr && i < cd->ncands; i++)
		if (strcmp(cd->cands[i].addr, addr) == 0)
			return &cd->cands[i];
	return NULL;
}

static uint64_t part_bytes(const struct chaindist *cd, uint64_t rows)
{
	return cd->job.fixed_bytes + rows * cd->job.bytes_per_row;
}

static bool excluded(const struct cd_part *p, const char *addr)
{
	for (unsigned i = 0; i < p->n_excluded; i++)
		if (strcmp(p->excluded[i], addr) == 0)
			return true;
	return false;
}

/* Could `n` run a part of `rows` rows (p: that part, for its exclusions; may be NULL)? */
static bool eligible(const struct chaindist *cd, const struct cd_node *n, uint64_t rows,
                     const struct cd_part *p)
{
	if (!n->online || !n->peered || !n->addr[0])
		return false;
	if (!cd->cfg.allow_self && cd->self[0] && strcmp(n->addr, cd->self) == 0)
		return false;
	if (n->mem_avail && n->mem_avail < part_bytes(cd, rows))
		return false;
	return !p || !excluded(p, n->addr);
}

/* Position of addr in NODES (the preferred list), or SIZE_MAX. */
static size_t preferred_rank(const struct chaindist *cd, const char *addr)
{
	for (size_t i = 0; i < cd->cfg.n_nodes; i++)
		if (strcmp(cd->nodes[i], addr) == 0)
			return i;
	return SIZE_MAX;
}

/* Ranking: preferred first (in order), then faster, more cores, more memory, then address. */
static int better(const struct chaindist *cd, const struct cd_node *a, const struct cd_node *b)
{
	size_t ra = preferred_rank(cd, a->addr), rb = preferred_rank(cd, b->addr);
	if (ra != rb)
		return ra < rb;
	if (a->gflops != b->gflops)
		return a->gflops > b->gflops;
	if (a->cpu_cores != b->cpu_cores)
		return a->cpu_cores > b->cpu_cores;
	if (a->mem_avail != b->mem_avail)
		return a->mem_avail > b->mem_avail;
	return strcmp(a->addr, b->addr) < 0;
}

static bool part_active(const struct cd_part *p)
{
	return p->node[0] &&
	       (p->state == CD_WAITING_START_CONFIMATION || p->state == CD_JOB_PROGRESS);
}

static unsigned load_of(const struct chaindist *cd, const char *addr, const struct cd_part *skip)
{
	unsigned n = 0;
	for (size_t i = 0; i < cd->nparts; i++) {
		const struct cd_part *p = &cd->parts[i].pub;
		if (p != skip && part_active(p) && strcmp(p->node, addr) == 0)
			n++;
	}
	return n;
}

/* The node for part p now, or NULL. */
static const struct cd_node *choose_node(const struct chaindist *cd, const struct cd_part *p)
{
	const struct cd_node *pl = p->planned[0] ? chaindist_candidate(cd, p->planned) : NULL;
	if (pl && eligible(cd, pl, p->rows, p) && load_of(cd, pl->addr, p) == 0)
		return pl;
	const struct cd_node *best = NULL;
	unsigned best_load = 0;
	for (size_t i = 0; i < cd->ncands; i++) {
		const struct cd_node *n = &cd->cands[i];
		if (!eligible(cd, n, p->rows, p))
			continue;
		unsigned l = load_of(cd, n->addr, p);
		if (!best || l < best_load || (l == best_load && better(cd, n, best))) {
			best = n;
			best_load = l;
		}
	}
	return best;
}

/* ---- tracking and payloads */

static json_t *part_json(const struct cd_part *p)
{
	return json_pack("{s:i,s:I,s:I,s:s,s:s?,s:f,s:i,s:s?,s:s?}", "PART", (int)p->index, "ROW0",
	                 (json_int_t)p->row0, "ROWS", (json_int_t)p->rows, "STATE",
	                 cd_part_state_name(p->state), "NODE", p->node[0] ? p->node : NULL,
	                 "PROGRESS", p->progress, "ATTEMPT", (int)p->attempts, "RESULT",
	                 p->done ? p->result : NULL, "ERROR", p->why[0] ? p->why : NULL);
}

static void track_part(struct chaindist *cd, struct cd_part *p)
{
	if (!cd->fx.track)
		return;
	json_t *v = part_json(p);
	if (v)
		cd->fx.track(cd->fx.ctx, cd, (int)p->index, v);
	json_decref(v);
}

double chaindist_progress(const struct chaindist *cd)
{
	if (cd->state == CD_FINISHED && cd->succeeded)
		return 100.0;
	if (!cd->nparts)
		return 0.0;
	double s = 0;
	for (size_t i = 0; i < cd->nparts; i++) {
		const struct cd_part *p = &cd->parts[i].pub;
		s += p->done ? 100.0 : p->progress;
	}
	return s / (double)cd->nparts;
}

static void track_job(struct chaindist *cd)
{
	if (!cd->fx.track)
		return;
	json_t *v =
	    json_pack("{s:s,s:f,s:i,s:s?,s:s?}", "STATE", cd_state_name(cd->state), "PROGRESS",
	              chaindist_progress(cd), "NR_PARTS", (int)cd->nparts, "RESULT",
	              cd->result[0] ? cd->result : NULL, "ERROR", cd->why[0] ? cd->why : NULL);
	if (v)
		cd->fx.track(cd->fx.ctx, cd, -1, v);
	json_decref(v);
}

static json_t *elapsed_json(double seconds)
{
	struct buf b = BUF_INIT;
	if (timefmt_elapsed(seconds < 0 ? 0 : seconds, true, &b, NULL) != R1_OK || !buf_ok(&b)) {
		buf_release(&b);
		return json_string("?");
	}
	json_t *s = json_string(buf_cstr(&b));
	buf_release(&b);
	return s;
}

static json_t *start_date_json(int64_t ms)
{
	char t[TIMEFMT_TEXT_SIZE];
	if (timefmt_format(ms * 1000, TIMEFMT_FULL, t, NULL) != R1_OK)
		return json_null();
	return json_string(t);
}

json_t *chaindist_status_json(const struct chaindist *cd, int64_t now_ms)
{
	double progress = chaindist_progress(cd);
	int64_t end = cd->state == CD_FINISHED ? cd->finished_ms : now_ms;
	double elapsed = (double)(end - cd->created_ms) / 1000.0;
	json_t *remaining;
	if (cd->state == CD_FINISHED)
		remaining = elapsed_json(0);
	else if (progress > 0 && progress < 100)
		remaining = elapsed_json(round(elapsed * (100.0 - progress) / progress));
	else
		remaining = json_string("Not yet implemented"); /* the reference's text */
	json_t *by_node = json_object(), *parts = json_array();
	for (size_t i = 0; by_node && parts && i < cd->nparts; i++) {
		const struct cd_part *p = &cd->parts[i].pub;
		char key[24];
		snprintf(key, sizeof(key), "%zu", i);
		json_object_set_new(by_node, key,
		                    json_pack("{s:s?,s:f}", "NODE", p->node[0] ? p->node : NULL,
		                              "PROGRESS", p->done ? 100.0 : p->progress));
		json_array_append_new(parts, part_json(p));
	}
	return json_pack("{s:s,s:f,s:o*,s:o*,s:o*,s:o*,s:s,s:s,s:I,s:i,s:o*}", "STATE",
	                 cd_state_name(cd->state), "PROGRESS", progress, "PROGRESS_BY_NODE",
	                 by_node, "START_DATE", start_date_json(cd->created_ms), "ELAPSED_TIME",
	                 elapsed_json(elapsed), "REMAINING_TIME", remaining, "JOB_ID", cd->job_id,
	                 "KIND", cd->job.kind == CD_MATMUL ? "MATMUL" : "SEARCH", "ROWS",
	                 (json_int_t)cd->job.rows, "NR_REMOTE_NODES", (int)cd->nr, "PARTS", parts);
}

static void emit(struct chaindist *cd, json_t *fields, int64_t now_ms)
{
	cd->last_payload_ms = now_ms;
	cd->last_payload_progress = chaindist_progress(cd);
	cd->last_payload_state = cd->state;
	cd->any_payload = true;
	if (cd->fx.payload && fields)
		cd->fx.payload(cd->fx.ctx, cd, fields);
	else
		json_decref(fields);
}

/* The golden payload: the status fields plus SUCCESS, DATA or ERROR. */
static void emit_final(struct chaindist *cd, int64_t now_ms)
{
	json_t *f = chaindist_status_json(cd, now_ms);
	if (f) {
		json_object_set_new(f, "SUCCESS", json_boolean(cd->succeeded));
		if (cd->succeeded) {
			json_t *results = json_array();
			for (size_t i = 0; results && i < cd->nparts; i++)
				json_array_append_new(results,
				                      json_string(cd->parts[i].pub.result));
			json_object_set_new(
			    f, "DATA",
			    json_pack("{s:s,s:o*}", "RESULT", cd->result, "PART_RESULTS", results));
		} else {
			json_object_set_new(f, "ERROR", json_string(cd->why));
		}
	}
	cd->final_sent = true;
	emit(cd, f, now_ms);
}

static void maybe_emit(struct chaindist *cd, int64_t now_ms)
{
	if (cd->state == CD_FINISHED) {
		if (!cd->final_sent)
			emit_final(cd, now_ms);
		return;
	}
	int64_t since = now_ms - cd->last_payload_ms;
	bool changed = !cd->any_payload || cd->state != cd->last_payload_state;
	bool moved = chaindist_progress(cd) != cd->last_payload_progress &&
	             since >= (int64_t)cd->cfg.ping_min_ms;
	if (changed || moved || since >= (int64_t)cd->cfg.ping_max_ms) {
		emit(cd, chaindist_status_json(cd, now_ms), now_ms);
		track_job(cd);
	}
}

/* ---- transitions */

static void set_state(struct chaindist *cd, enum cd_state s, int64_t now_ms)
{
	cd->state = s;
	cd->state_since_ms = now_ms;
	if (s == CD_FINISHED)
		cd->finished_ms = now_ms;
	track_job(cd);
}

static void set_part_state(struct chaindist *cd, struct cd_part *p, enum cd_part_state s,
                           int64_t now_ms)
{
	p->state = s;
	p->state_since_ms = now_ms;
	track_part(cd, p);
}

static void fail_job(struct chaindist *cd, int64_t now_ms, const char *fmt, ...) R1_PRINTF(3, 4);
static void fail_job(struct chaindist *cd, int64_t now_ms, const char *fmt, ...)
{
	if (cd->state == CD_FINISHED)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cd->why, sizeof(cd->why), fmt, ap);
	va_end(ap);
	cd->critical = true;
	cd->succeeded = false;
	for (size_t i = 0; i < cd->nparts; i++) {
		struct cd_part *p = &cd->parts[i].pub;
		if (part_active(p) && cd->fx.close)
			cd->fx.close(cd->fx.ctx, cd, p);
		if (p->state != CD_CLOSED_JOB)
			set_part_state(cd, p, CD_CLOSED_JOB, now_ms);
	}
	set_state(cd, CD_FINISHED, now_ms);
}

static bool decide(struct chaindist *cd, int64_t now_ms)
{
	unsigned nr = cd->cfg.nr_remote_nodes ? cd->cfg.nr_remote_nodes
	              : cd->cfg.n_nodes       ? (unsigned)cd->cfg.n_nodes
	                                      : DEFAULT_NR_REMOTE_NODES;
	if (nr > CD_MAX_PARTS)
		nr = CD_MAX_PARTS;
	if (nr > cd->job.rows)
		nr = (unsigned)cd->job.rows;
	uint64_t share = (cd->job.rows + nr - 1) / nr;
	unsigned ok = 0;
	for (size_t i = 0; i < cd->ncands; i++)
		if (eligible(cd, &cd->cands[i], share, NULL))
			ok++;
	if (!ok) {
		if (now_ms - cd->state_since_ms >= (int64_t)cd->cfg.wait_nodes_ms)
			fail_job(
			    cd, now_ms,
			    "no eligible worker node after %.0f s (%zu candidates; a worker must "
			    "be online, peered and have %" PRIu64 " bytes free)",
			    (double)(now_ms - cd->state_since_ms) / 1000.0, cd->ncands,
			    part_bytes(cd, share));
		return cd->state == CD_FINISHED;
	}
	cd->nr = nr < ok ? nr : ok;
	set_state(cd, CD_SPLIT_INPUT, now_ms);
	return true;
}

/* Plan the parts: the nr best eligible nodes, rows by their speed or equal. */
static void plan(struct chaindist *cd, int64_t now_ms)
{
	unsigned nr = cd->nr;
	const struct cd_node *chosen[CD_MAX_PARTS];
	unsigned n = 0;
	uint64_t share = (cd->job.rows + nr - 1) / nr;
	for (unsigned k = 0; k < nr; k++) {
		const struct cd_node *best = NULL;
		for (size_t i = 0; i < cd->ncands; i++) {
			const struct cd_node *c = &cd->cands[i];
			bool taken = false;
			for (unsigned j = 0; j < n; j++)
				taken |= chosen[j] == c;
			if (!taken && eligible(cd, c, share, NULL) &&
			    (!best || better(cd, c, best)))
				best = c;
		}
		if (best)
			chosen[n++] = best;
	}
	nr = n; /* decide() counted at least this many */
	bool by_speed = cd->cfg.split_by_gflops && nr > 0;
	for (unsigned i = 0; by_speed && i < nr; i++)
		by_speed = chosen[i]->gflops > 0;
	double total = 0, w[CD_MAX_PARTS];
	for (unsigned i = 0; i < nr; i++)
		total += w[i] = by_speed ? chosen[i]->gflops : 1.0;
	uint64_t rows[CD_MAX_PARTS], given = 0;
	double frac[CD_MAX_PARTS];
	for (unsigned i = 0; i < nr; i++) {
		double exact = (double)cd->job.rows * w[i] / total;
		rows[i] = (uint64_t)floor(exact);
		frac[i] = exact - (double)rows[i];
		given += rows[i];
	}
	/* Largest remainders get the rows left (ties: lower part first). */
	while (given < cd->job.rows) {
		unsigned best = 0;
		for (unsigned i = 1; i < nr; i++)
			if (frac[i] > frac[best])
				best = i;
		rows[best]++;
		frac[best] = -1;
		given++;
	}
	/* No empty part: take a row from the largest. */
	for (unsigned i = 0; i < nr; i++)
		while (rows[i] == 0) {
			unsigned big = 0;
			for (unsigned j = 1; j < nr; j++)
				if (rows[j] > rows[big])
					big = j;
			rows[big]--;
			rows[i]++;
		}
	uint64_t row0 = 0;
	cd->nparts = nr;
	for (unsigned i = 0; i < nr; i++) {
		struct part_x *px = &cd->parts[i];
		memset(px, 0, sizeof(*px));
		px->pub.index = i;
		px->pub.row0 = row0;
		px->pub.rows = rows[i];
		copy_text(px->pub.planned, sizeof(px->pub.planned), chosen[i]->addr);
		px->pub.state = CD_CHOOSE_NODE;
		px->pub.state_since_ms = now_ms;
		row0 += rows[i];
		track_part(cd, &px->pub);
	}
}

static bool split_step(struct chaindist *cd, int64_t now_ms)
{
	if (!cd->split_asked) {
		plan(cd, now_ms);
		cd->split_asked = true;
		if (!cd->fx.split) {
			cd->split_answered = cd->split_ok = true;
		} else {
			char *why = NULL;
			enum r1_err err = cd->fx.split(cd->fx.ctx, cd, &why);
			if (err) {
				fail_job(cd, now_ms, "splitting the input failed: %s",
				         why ? why : r1_strerror(err));
				r1_free(why);
				return true;
			}
		}
	}
	if (!cd->split_answered)
		return false;
	if (!cd->split_ok) {
		fail_job(cd, now_ms, "splitting the input failed: %s", cd->split_why);
		return true;
	}
	set_state(cd, CD_DISTRIBUTE_JOBS, now_ms);
	return true;
}

static void start_closing(struct chaindist *cd, struct cd_part *p, int64_t now_ms)
{
	if (cd->fx.close)
		cd->fx.close(cd->fx.ctx, cd, p);
	set_part_state(cd, p, CD_WAITING_CLOSING_CONFIRMATION, now_ms);
}

static void part_fail(struct cd_part *p, const char *fmt, ...) R1_PRINTF(2, 3);
static void part_fail(struct cd_part *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	p->failed = true;
}

/* One transition of part px, if any is due.  True when something changed. */
static bool part_step(struct chaindist *cd, struct part_x *px, int64_t now_ms)
{
	struct cd_part *p = &px->pub;
	switch (p->state) {
	case CD_CHOOSE_NODE: {
		const struct cd_node *n = choose_node(cd, p);
		if (!n) {
			if (now_ms - p->state_since_ms >= (int64_t)cd->cfg.wait_nodes_ms)
				fail_job(cd, now_ms, "part %u: no eligible node for %.0f s%s%s",
				         p->index, (double)(now_ms - p->state_since_ms) / 1000.0,
				         p->why[0] ? "; last failure: " : "", p->why);
			return cd->state == CD_FINISHED;
		}
		copy_text(p->node, sizeof(p->node), n->addr);
		p->attempts++;
		p->progress = 0;
		p->failed = false;
		p->last_seen_ms = now_ms;
		px->started = START_NONE;
		set_part_state(cd, p, CD_WAITING_START_CONFIMATION, now_ms);
		char *why = NULL;
		enum r1_err err = cd->fx.deploy(cd->fx.ctx, cd, p, &why);
		if (err)
			part_fail(p, "deploying on %s failed: %s", p->node,
			          why ? why : r1_strerror(err));
		r1_free(why);
		return true;
	}
	case CD_WAITING_START_CONFIMATION:
		if (p->done || px->started == START_OK) {
			set_part_state(cd, p, CD_JOB_PROGRESS, now_ms);
			return true;
		}
		if (!p->failed && now_ms - p->state_since_ms >= (int64_t)cd->cfg.start_timeout_ms)
			part_fail(p, "%s did not confirm the start in %.0f s", p->node,
			          (double)cd->cfg.start_timeout_ms / 1000.0);
		if (p->failed) {
			start_closing(cd, p, now_ms);
			return true;
		}
		return false;
	case CD_JOB_PROGRESS:
		if (!p->done && !p->failed &&
		    now_ms - p->last_seen_ms >= (int64_t)cd->cfg.node_timeout_ms)
			part_fail(p, "no payload from %s for %.0f s", p->node,
			          (double)(now_ms - p->last_seen_ms) / 1000.0);
		if (p->done || p->failed) {
			start_closing(cd, p, now_ms);
			return true;
		}
		return false;
	case CD_WAITING_CLOSING_CONFIRMATION:
		/* As the reference: the close is not waited for. */
		set_part_state(cd, p, CD_CLOSED_JOB, now_ms);
		return true;
	case CD_CLOSED_JOB:
		if (p->done)
			return false;
		if (p->attempts >= cd->cfg.max_attempts) {
			fail_job(cd, now_ms, "part %u failed %u times; last: %s", p->index,
			         p->attempts, p->why);
			return true;
		}
		if (p->node[0] && !excluded(p, p->node)) {
			if (p->n_excluded < CD_MAX_EXCLUDED)
				copy_text(p->excluded[p->n_excluded++], CD_ADDR_MAX, p->node);
		}
		p->node[0] = '\0';
		p->progress = 0;
		p->failed = false;
		set_part_state(cd, p, CD_CHOOSE_NODE, now_ms);
		return true;
	}
	return false;
}

static bool distribute_step(struct chaindist *cd, int64_t now_ms)
{
	bool changed = false;
	for (size_t i = 0; i < cd->nparts && cd->state == CD_DISTRIBUTE_JOBS; i++)
		changed |= part_step(cd, &cd->parts[i], now_ms);
	if (cd->state != CD_DISTRIBUTE_JOBS)
		return true;
	bool all = cd->nparts > 0;
	for (size_t i = 0; i < cd->nparts; i++)
		all &= cd->parts[i].pub.done && cd->parts[i].pub.state == CD_CLOSED_JOB;
	if (all) {
		set_state(cd, CD_AGGREGATE_COLLECTED_DATA, now_ms);
		return true;
	}
	return changed;
}

static bool aggregate_step(struct chaindist *cd, int64_t now_ms)
{
	if (!cd->agg_asked) {
		cd->agg_asked = true;
		if (!cd->fx.aggregate) {
			cd->agg_answered = cd->agg_ok = true;
		} else {
			char *why = NULL;
			enum r1_err err = cd->fx.aggregate(cd->fx.ctx, cd, &why);
			if (err) {
				fail_job(cd, now_ms, "assembling the result failed: %s",
				         why ? why : r1_strerror(err));
				r1_free(why);
				return true;
			}
		}
	}
	if (!cd->agg_answered || cd->state == CD_FINISHED)
		return false;
	if (!cd->agg_ok) {
		fail_job(cd, now_ms, "assembling the result failed: %s", cd->agg_result);
		return true;
	}
	copy_text(cd->result, sizeof(cd->result), cd->agg_result);
	cd->succeeded = true;
	set_state(cd, CD_FINISHED, now_ms);
	return true;
}

enum r1_err chaindist_restore(struct chaindist *cd, const struct cd_restored_part *parts, size_t n,
                              int64_t now_ms, char **why)
{
	if (cd->state != CD_DECIDE_NR_REMOTE_NODES || cd->split_asked || cd->nparts)
		return r1_fail(why, R1_ERR_STATE, "chaindist: only a new job can be restored");
	if (n == 0 || n > CD_MAX_PARTS)
		return r1_fail(why, R1_ERR_INVAL, "chaindist: %zu parts to restore (1 to %d)", n,
		               CD_MAX_PARTS);
	uint64_t row = 0;
	for (size_t i = 0; i < n; i++) {
		if (parts[i].row0 != row || parts[i].rows == 0 ||
		    parts[i].rows > cd->job.rows - row)
			return r1_fail(why, R1_ERR_INVAL,
			               "chaindist: restored part %zu (rows %" PRIu64 "+%" PRIu64
			               ") does not follow row %" PRIu64 " of %" PRIu64,
			               i, parts[i].row0, parts[i].rows, row, cd->job.rows);
		row += parts[i].rows;
	}
	if (row != cd->job.rows)
		return r1_fail(why, R1_ERR_INVAL,
		               "chaindist: restored parts cover %" PRIu64 " of %" PRIu64 " rows",
		               row, cd->job.rows);
	cd->nparts = n;
	cd->nr = (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		struct part_x *px = &cd->parts[i];
		struct cd_part *p = &px->pub;
		memset(px, 0, sizeof(*px));
		p->index = (unsigned)i;
		p->row0 = parts[i].row0;
		p->rows = parts[i].rows;
		p->attempts = parts[i].attempts;
		p->state_since_ms = now_ms;
		if (parts[i].result && parts[i].result[0]) {
			p->done = true;
			p->progress = 100;
			copy_text(p->result, sizeof(p->result), parts[i].result);
			copy_text(p->node, sizeof(p->node), parts[i].node);
			p->state = CD_CLOSED_JOB;
		} else {
			if (parts[i].node && parts[i].node[0])
				copy_text(p->excluded[p->n_excluded++], CD_ADDR_MAX, parts[i].node);
			p->state = CD_CHOOSE_NODE;
		}
		track_part(cd, p);
	}
	cd->split_asked = cd->split_answered = cd->split_ok = true;
	set_state(cd, CD_DISTRIBUTE_JOBS, now_ms);
	return R1_OK;
}

void chaindist_step(struct chaindist *cd, int64_t now_ms)
{
	for (int round = 0; round < MAX_ROUNDS && cd->state != CD_FINISHED; round++) {
		bool changed = false;
		switch (cd->state) {
		case CD_DECIDE_NR_REMOTE_NODES:
			changed = decide(cd, now_ms);
			break;
		case CD_SPLIT_INPUT:
			changed = split_step(cd, now_ms);
			break;
		case CD_DISTRIBUTE_JOBS:
			changed = distribute_step(cd, now_ms);
			break;
		case CD_AGGREGATE_COLLECTED_DATA:
			changed = aggregate_step(cd, now_ms);
			break;
		case CD_FINISHED:
			break;
		}
		if (!changed)
			break;
	}
	maybe_emit(cd, now_ms);
}

/* ---- events */

static struct part_x *part_at(struct chaindist *cd, unsigned idx)
{
	return idx < cd->nparts ? &cd->parts[idx] : NULL;
}

/* Events never move a part's last sign of life backwards. */
static void seen_at(struct cd_part *p, int64_t now_ms)
{
	if (now_ms > p->last_seen_ms)
		p->last_seen_ms = now_ms;
}

/* Is `from` the node currently running part px (and is it running)? */
static bool from_assignee(const struct part_x *px, const char *from)
{
	return px && px->pub.node[0] && from && strcmp(px->pub.node, from) == 0 &&
	       (px->pub.state == CD_WAITING_START_CONFIMATION ||
	        px->pub.state == CD_JOB_PROGRESS) &&
	       !px->pub.done && !px->pub.failed;
}

void chaindist_node_lost(struct chaindist *cd, const char *addr, int64_t now_ms)
{
	if (!addr)
		return;
	for (size_t i = 0; i < cd->ncands; i++)
		if (strcmp(cd->cands[i].addr, addr) == 0)
			cd->cands[i].online = false;
	for (size_t i = 0; i < cd->nparts; i++) {
		struct part_x *px = &cd->parts[i];
		if (from_assignee(px, addr))
			part_fail(&px->pub, "node %s lost", addr);
	}
	(void)now_ms;
}

void chaindist_part_started(struct chaindist *cd, unsigned idx, bool ok, const char *why,
                            int64_t now_ms)
{
	struct part_x *px = part_at(cd, idx);
	if (!px || px->pub.state != CD_WAITING_START_CONFIMATION || px->pub.failed)
		return;
	px->started = ok ? START_OK : START_FAIL;
	seen_at(&px->pub, now_ms);
	if (!ok)
		part_fail(&px->pub, "%s refused the worker: %s", px->pub.node,
		          why && why[0] ? why : "no reason given");
}

void chaindist_part_progress(struct chaindist *cd, unsigned idx, const char *from, double progress,
                             int64_t now_ms)
{
	struct part_x *px = part_at(cd, idx);
	if (!from_assignee(px, from))
		return;
	if (!isfinite(progress))
		progress = 0;
	px->pub.progress = progress < 0 ? 0 : progress > 100 ? 100 : progress;
	seen_at(&px->pub, now_ms);
	if (px->started == START_NONE)
		px->started = START_OK; /* a payload proves it started */
}

void chaindist_part_done(struct chaindist *cd, unsigned idx, const char *from, const char *result,
                         int64_t now_ms)
{
	struct part_x *px = part_at(cd, idx);
	if (!from_assignee(px, from))
		return;
	px->pub.done = true;
	px->pub.progress = 100;
	seen_at(&px->pub, now_ms);
	copy_text(px->pub.result, sizeof(px->pub.result), result);
}

void chaindist_part_failed(struct chaindist *cd, unsigned idx, const char *from, const char *why,
                           int64_t now_ms)
{
	struct part_x *px = part_at(cd, idx);
	if (!from_assignee(px, from))
		return;
	part_fail(&px->pub, "%s: %s", from, why && why[0] ? why : "worker failed");
	seen_at(&px->pub, now_ms);
	if (cd->cfg.cancel_all_on_exception)
		fail_job(cd, now_ms, "part %u failed and CANCEL_ALL_JOBS_ON_EXCEPTION is set: %s",
		         px->pub.index, px->pub.why);
}

void chaindist_split_done(struct chaindist *cd, bool ok, const char *why, int64_t now_ms)
{
	if (cd->state != CD_SPLIT_INPUT || !cd->split_asked || cd->split_answered)
		return;
	cd->split_answered = true;
	cd->split_ok = ok;
	if (!ok)
		copy_text(cd->split_why, sizeof(cd->split_why),
		          why && why[0] ? why : "no reason given");
	(void)now_ms;
}

void chaindist_aggregated(struct chaindist *cd, bool ok, const char *result, const char *why,
                          int64_t now_ms)
{
	if (cd->state != CD_AGGREGATE_COLLECTED_DATA || !cd->agg_asked || cd->agg_answered)
		return;
	cd->agg_answered = true;
	cd->agg_ok = ok;
	copy_text(cd->agg_result, sizeof(cd->agg_result),
	          ok ? result : (why && why[0] ? why : "no reason given"));
	(void)now_ms;
}

void chaindist_cancel(struct chaindist *cd, const char *why, int64_t now_ms)
{
	fail_job(cd, now_ms, "cancelled: %s", why && why[0] ? why : "no reason given");
	maybe_emit(cd, now_ms);
}

/* ---- reading */

enum cd_state chaindist_state(const struct chaindist *cd)
{
	return cd->state;
}

const char *chaindist_job_id(const struct chaindist *cd)
{
	return cd->job_id;
}

enum cd_kind chaindist_kind(const struct chaindist *cd)
{
	return cd->job.kind;
}

uint64_t chaindist_rows(const struct chaindist *cd)
{
	return cd->job.rows;
}

size_t chaindist_nparts(const struct chaindist *cd)
{
	return cd->nparts;
}

const struct cd_part *chaindist_part(const struct chaindist *cd, size_t i)
{
	return i < cd->nparts ? &cd->parts[i].pub : NULL;
}

bool chaindist_succeeded(const struct chaindist *cd)
{
	return cd->state == CD_FINISHED && cd->succeeded;
}

const char *chaindist_result(const struct chaindist *cd)
{
	return cd->result;
}

const char *chaindist_why(const struct chaindist *cd)
{
	return cd->state == CD_FINISHED && !cd->succeeded ? cd->why : "";
}

int64_t chaindist_started_ms(const struct chaindist *cd)
{
	return cd->created_ms;
}

int64_t chaindist_finished_ms(const struct chaindist *cd)
{
	return cd->finished_ms;
}
