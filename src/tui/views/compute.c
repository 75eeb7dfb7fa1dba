/*
 * The Compute view (":compute"): compute jobs and the nodes' measured speed.
 *
 * Top, the jobs, one group each: a ChainDist job (read from the machine
 * when a hosted node masters it, else from its master's
 * CHAIN_DIST_MASTER_01 payloads, wherever the master runs) with one row
 * per part: the node it is assigned to, the node's measured GFLOP/s, the
 * part's state (the reference's names) and a progress bar; the matrix
 * products other nodes report (MATMUL_JOB_01 payloads); and the queue of
 * every node this console hosts, read from its compute engine (running,
 * queued, then finished jobs with their time and GFLOP/s, or their
 * reason).  Bottom, every node whose heartbeat carries compute figures:
 * cores, OpenBLAS core and threads, dgemm and sgemm GFLOP/s (BLAS_BENCH_01)
 * and its jobs.
 *
 * Tab moves between the two tables; Enter opens the node of the row; x
 * cancels a hosted node's job and b measures a hosted node's speed, both
 * confirmed first.  The rows are rebuilt when a job payload arrives and
 * every second (the hosted engines' progress moves without telling).
 */
#include "tui/lib.h"
#include "tui/fmt.h"
#include "tui/theme.h"
#include "tui/views/views.h"
#include "tui/widgets/sparkline.h"
#include "tui/widgets/table.h"
#include "core/netmap.h"
#include "core/sanitize.h"
#include "node/compute/chaindist.h"
#include "node/compute/compute.h"

#include <math.h>

#define BENCH_N    2048
#define BENCH_REPS 3
#define LOCAL_MAX  48 /* jobs listed per hosted node */
#define LIVE_MAX   16 /* ChainDist jobs read from a hosted master */
#define JOBS_MAX   (NETJOBS_MAX + LIVE_MAX)

enum { J_JOB, J_NODE, J_STATE, J_PROGRESS, J_GFLOPS, J_INFO, J__COUNT };
enum { N_NODE, N_CORES, N_BLAS, N_THREADS, N_F64, N_F32, N_BENCH, N_JOBS, N_SEEN, N__COUNT };

enum jrow_type { JR_PART, JR_NETJOB, JR_LOCAL };

struct jrow {
	enum jrow_type type;
	uint32_t job;  /* netjobs index (PART, NETJOB) or host index (LOCAL) */
	uint32_t part; /* PART: its index in PARTS */
	uint64_t group;
	struct compute_job_info info; /* LOCAL */
};

struct compute_view {
	struct view v;
	struct table *jobs, *nodes;
	struct table_column jcols[J__COUNT], ncols[N__COUNT];
	bool focus_nodes;
	struct jrow *rows;
	size_t nrows, cap;
	uint64_t jobs_seen; /* netjobs.changes at the last rebuild */
	/*
	 * The jobs the rows point at, taken at each rebuild: the ChainDist
	 * machines of hosted masters (their status now), then the model's jobs
	 * from payloads (a hosted master's own payloads skipped); bodies are
	 * references of ours.
	 */
	struct netjob cjobs[JOBS_MAX];
	size_t ncjobs;
	int nodes_h; /* rows of the nodes table at the last draw */
};

static struct tui_model *model(struct compute_view *cv)
{
	return app_model(cv->v.app);
}

static const struct netjob *netjob_of(struct compute_view *cv, const struct jrow *r)
{
	return r->job < cv->ncjobs ? &cv->cjobs[r->job] : NULL;
}

static const json_t *part_of(struct compute_view *cv, const struct jrow *r)
{
	const struct netjob *j = netjob_of(cv, r);
	return j ? json_array_get(json_object_get(j->body, "PARTS"), r->part) : NULL;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static double jnum(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A node's measured dgemm GFLOP/s from its heartbeats; NAN if unknown. */
static double node_gflops(struct compute_view *cv, const char *addr)
{
	struct tui_model *m = model(cv);
	const struct nm_node *n = addr && m->nm ? netmap_find_addr(m->nm, addr) : NULL;
	const struct nodefig *g = n ? nodefigs_get(&m->figs, n->index) : NULL;
	return g && g->peer.gflops_f64 > 0 ? g->peer.gflops_f64 : NAN;
}

/* ------------------------------------------------------------ job rows */

static struct jrow *push(struct compute_view *cv)
{
	if (cv->nrows == cv->cap) {
		size_t cap = cv->cap ? cv->cap * 2 : 64;
		struct jrow *r = r1_reallocarray(cv->rows, cap, sizeof(*r));
		if (!r)
			return NULL;
		cv->rows = r;
		cv->cap = cap;
	}
	struct jrow *r = &cv->rows[cv->nrows++];
	memset(r, 0, sizeof(*r));
	return r;
}

static void drop_jobs(struct compute_view *cv)
{
	for (size_t i = 0; i < cv->ncjobs; i++)
		json_decref(cv->cjobs[i].body);
	cv->ncjobs = 0;
}

static bool same_job(const struct netjob *a, const struct netjob *b)
{
	return a->kind == b->kind && addr_same(a->sender, b->sender) && strcmp(a->id, b->id) == 0;
}

/* The hosted masters' machines, read now, then the jobs payloads told of. */
static void take_jobs(struct compute_view *cv)
{
	struct tui_model *m = model(cv);
	drop_jobs(cv);
	int64_t now = app_now(cv->v.app); /* the machines' clock is the wall clock */
	for (size_t h = 0; h < m->n_hosts; h++) {
		struct compute *c = tui_host_compute(&m->hosts[h]);
		const struct chaindist *cds[LIVE_MAX];
		size_t n = c ? compute_chaindists(c, cds, LIVE_MAX) : 0;
		for (size_t i = 0; i < n && cv->ncjobs < LIVE_MAX; i++) {
			struct netjob *x = &cv->cjobs[cv->ncjobs];
			memset(x, 0, sizeof(*x));
			x->body = chaindist_status_json(cds[i], now);
			if (!x->body)
				continue;
			x->kind = NETJOB_CHAINDIST;
			snprintf(x->sender, sizeof(x->sender), "%s", m->hosts[h].addr);
			snprintf(x->id, sizeof(x->id), "%s", chaindist_job_id(cds[i]));
			x->first_ms = chaindist_started_ms(cds[i]);
			x->finished = chaindist_state(cds[i]) == CD_FINISHED;
			if (x->finished) {
				/* what the final payload says, from the machine */
				bool ok = chaindist_succeeded(cds[i]);
				json_object_set_new(x->body, "SUCCESS", json_boolean(ok));
				json_object_set_new(
				    x->body, ok ? "DATA" : "ERROR",
				    ok ? json_pack("{s:s}", "RESULT", chaindist_result(cds[i]))
				       : json_string(chaindist_why(cds[i])));
			}
			cv->ncjobs++;
		}
	}
	size_t live = cv->ncjobs;
	for (size_t i = 0; i < m->jobs.n && cv->ncjobs < JOBS_MAX; i++) {
		const struct netjob *y = &m->jobs.jobs[i];
		bool dup = false;
		for (size_t k = 0; k < live && !dup; k++) {
			dup = same_job(&cv->cjobs[k], y);
			if (dup && y->instance[0]) /* the payload knows its instance */
				snprintf(cv->cjobs[k].instance, sizeof(cv->cjobs[k].instance), "%s",
				         y->instance);
		}
		if (dup)
			continue;
		cv->cjobs[cv->ncjobs] = *y;
		json_incref(y->body);
		cv->ncjobs++;
	}
}

/* Jobs in display order: running ChainDist first, newest first; then the rest. */
static size_t job_order(struct compute_view *cv, uint32_t *out)
{
	size_t n = 0;
	for (int pass = 0; pass < 4; pass++)
		for (size_t i = cv->ncjobs; i-- > 0;) {
			const struct netjob *x = &cv->cjobs[i];
			int want = (x->kind == NETJOB_MATMUL) * 2 + x->finished;
			if (want == pass)
				out[n++] = (uint32_t)i;
		}
	return n;
}

static void build_rows(struct compute_view *cv)
{
	struct tui_model *m = model(cv);
	cv->nrows = 0;
	cv->jobs_seen = m->jobs.changes;
	take_jobs(cv);
	uint32_t order[JOBS_MAX];
	size_t n = job_order(cv, order);
	uint64_t group = 0;
	char last_sender[R1_ADDR_LEN + 1] = "";
	for (size_t k = 0; k < n; k++) {
		const struct netjob *x = &cv->cjobs[order[k]];
		if (x->kind == NETJOB_MATMUL && tui_model_host(m, x->sender))
			continue; /* its engine's own row says more */
		if (x->kind == NETJOB_CHAINDIST) {
			group++;
			size_t np = json_array_size(json_object_get(x->body, "PARTS"));
			for (size_t p = 0; p < np; p++) {
				struct jrow *r = push(cv);
				if (!r)
					return;
				*r = (struct jrow){.type = JR_PART,
				                   .job = order[k],
				                   .part = (uint32_t)p,
				                   .group = group};
			}
			if (!np) {
				/* no parts yet (S1_DECIDE_NR_REMOTE_NODES): the heading alone */
				struct jrow *r = push(cv);
				if (!r)
					return;
				*r = (struct jrow){
				    .type = JR_NETJOB, .job = order[k], .group = group};
			}
		} else {
			if (strcmp(last_sender, x->sender) != 0)
				group++;
			snprintf(last_sender, sizeof(last_sender), "%s", x->sender);
			struct jrow *r = push(cv);
			if (!r)
				return;
			*r = (struct jrow){.type = JR_NETJOB, .job = order[k], .group = group};
		}
	}
	struct compute_job_info *info = r1_calloc(LOCAL_MAX, sizeof(*info));
	for (size_t h = 0; info && h < m->n_hosts; h++) {
		struct compute *c = tui_host_compute(&m->hosts[h]);
		size_t nj = c ? compute_list(c, info, LOCAL_MAX) : 0;
		group++;
		for (size_t i = 0; i < nj; i++) {
			struct jrow *r = push(cv);
			if (!r)
				break;
			*r = (struct jrow){.type = JR_LOCAL, .job = (uint32_t)h, .group = group};
			r->info = info[i];
		}
	}
	r1_free(info);
}

static void refresh(struct compute_view *cv)
{
	build_rows(cv);
	table_refresh(cv->jobs);
	table_refresh(cv->nodes);
}

static size_t j_count(void *ctx)
{
	return ((struct compute_view *)ctx)->nrows;
}

static uint64_t j_key(void *ctx, size_t row)
{
	struct compute_view *cv = ctx;
	const struct jrow *r = &cv->rows[row];
	uint64_t h = view_hash_bytes(VIEW_HASH_SEED, &r->type, sizeof(r->type));
	if (r->type == JR_LOCAL) {
		const char *addr = model(cv)->hosts[r->job].addr;
		h = view_hash_bytes(h, addr, strlen(addr));
		return view_hash_bytes(h, &r->info.id, sizeof(r->info.id));
	}
	const struct netjob *j = netjob_of(cv, r);
	if (j) {
		h = view_hash_bytes(h, j->sender, strlen(j->sender));
		h = view_hash_bytes(h, j->instance, strlen(j->instance));
		h = view_hash_bytes(h, j->id, strlen(j->id));
	}
	return view_hash_bytes(h, &r->part, sizeof(r->part));
}

/* The node a row is about ("" when none). */
static const char *row_node(struct compute_view *cv, const struct jrow *r)
{
	if (r->type == JR_LOCAL)
		return model(cv)->hosts[r->job].addr;
	if (r->type == JR_PART) {
		const char *n = jstr(part_of(cv, r), "NODE");
		return n ? n : "";
	}
	const struct netjob *j = netjob_of(cv, r);
	return j ? j->sender : "";
}

static double row_progress(struct compute_view *cv, const struct jrow *r)
{
	if (r->type == JR_LOCAL)
		return r->info.state == COMPUTE_DONE ? 1.0
		       : r->info.state == COMPUTE_FAILED || r->info.state == COMPUTE_CANCELLED
		           ? NAN
		           : r->info.progress;
	const json_t *o = r->type == JR_PART ? part_of(cv, r) : netjob_of(cv, r)->body;
	double p = jnum(o, "PROGRESS");
	return isnan(p) ? NAN : p / 100.0;
}

static const char *local_job_text(const struct compute_job_info *in, char *scratch, size_t size)
{
	char label[sizeof(in->label)];
	r1_sanitize_into(label, sizeof(label), in->label, strlen(in->label), 0);
	snprintf(scratch, size, "#%" PRIu64 " %s", in->id,
	         label[0] ? label : compute_kind_name(in->kind));
	return scratch;
}

static const char *local_info(const struct compute_job_info *in, char *scratch, size_t size)
{
	char mem[32], owner[sizeof(in->owner)];
	fmt_bytes(mem, sizeof(mem), in->mem_bytes);
	const char *o = in->owner[0] ? in->owner : "-";
	r1_sanitize_into(owner, sizeof(owner), o, strlen(o), 0);
	if (in->state == COMPUTE_FAILED || in->state == COMPUTE_CANCELLED) {
		view_clean_reason(in->why[0] ? in->why : compute_state_name(in->state), scratch, size);
		return scratch;
	}
	if (in->state == COMPUTE_DONE)
		snprintf(scratch, size, _("%.2fs, %s, by %s"), in->seconds, mem, owner);
	else
		snprintf(scratch, size, _("%s, by %s"), mem, owner);
	return scratch;
}

static const char *j_text(void *ctx, size_t row, int col, char *scratch, size_t size)
{
	struct compute_view *cv = ctx;
	const struct jrow *r = &cv->rows[row];
	const json_t *p = r->type == JR_PART ? part_of(cv, r) : NULL;
	const struct netjob *j = r->type == JR_LOCAL ? NULL : netjob_of(cv, r);
	const json_t *body = j ? j->body : NULL;
	switch (col) {
	case J_JOB:
		if (r->type == JR_LOCAL)
			return local_job_text(&r->info, scratch, size);
		if (r->type == JR_PART) {
			double r0 = jnum(p, "ROW0"), n = jnum(p, "ROWS");
			snprintf(scratch, size, _("part %u  rows %.0f-%.0f"), r->part, r0,
			         r0 + n - 1);
			return scratch;
		}
		if (j->kind == NETJOB_CHAINDIST)
			return _("(no parts yet)");
		snprintf(scratch, size, "%s %s", j->instance, j->id);
		return view_clean(scratch, scratch, size);
	case J_NODE: {
		const char *addr = row_node(cv, r);
		if (!*addr)
			return "-";
		view_node_name(cv->v.app, addr, scratch, size);
		return scratch;
	}
	case J_STATE:
		if (r->type == JR_LOCAL)
			return compute_state_name(r->info.state);
		return view_clean(jstr(p ? p : body, p                          ? "STATE"
		                                : j->kind == NETJOB_MATMUL ? "JOB_STATE"
		                                                           : "STATE"),
		             scratch, size);
	case J_PROGRESS: {
		double f = row_progress(cv, r);
		return isnan(f) ? "-" : fmt_percent(scratch, size, f * 100);
	}
	case J_GFLOPS: {
		double g = NAN;
		if (r->type == JR_LOCAL)
			g = r->info.state == COMPUTE_DONE      ? r->info.gflops
			    : r->info.state == COMPUTE_RUNNING ? node_gflops(cv, row_node(cv, r))
			                                       : NAN;
		else if (r->type == JR_NETJOB && !isnan(jnum(body, "GFLOPS")))
			g = jnum(body, "GFLOPS");
		else if (r->type == JR_PART || !j->finished)
			g = node_gflops(cv, row_node(cv, r));
		return fmt_gflops(scratch, size, g);
	}
	case J_INFO:
		if (r->type == JR_LOCAL)
			return local_info(&r->info, scratch, size);
		if (r->type == JR_PART) {
			const char *err = jstr(p, "ERROR"), *res = jstr(p, "RESULT");
			double att = jnum(p, "ATTEMPT");
			char who[64] = "";
			if (err && strncmp(err, "0xai_", 5) == 0 && strstr(err, ": ")) {
				/* "<node address>: reason": the node by its name */
				char addr[R1_ADDR_LEN + 1];
				size_t n = (size_t)(strstr(err, ": ") - err);
				snprintf(addr, sizeof(addr), "%.*s",
				         (int)R1_MIN(n, (size_t)R1_ADDR_LEN), err);
				view_node_name(cv->v.app, addr, who, sizeof(who));
				err += n + 2;
			}
			if (err)
				snprintf(scratch, size, _("attempt %.0f: %s%s%s"), att, who,
				         *who ? ": " : "", err);
			else if (res)
				snprintf(scratch, size, _("result %s"), res);
			else
				snprintf(scratch, size, _("attempt %.0f"), att);
			return view_clean(scratch, scratch, size);
		} else {
			const char *err = jstr(body, "ERROR");
			double sec = jnum(body, "SECONDS");
			if (err)
				return view_clean_reason(err, scratch, size);
			if (!isnan(sec)) {
				snprintf(scratch, size, _("in %.2fs"), sec);
				return scratch;
			}
			return "";
		}
	}
	return NULL;
}

static double j_number(void *ctx, size_t row, int col)
{
	struct compute_view *cv = ctx;
	const struct jrow *r = &cv->rows[row];
	if (col == J_PROGRESS)
		return row_progress(cv, r);
	if (col == J_GFLOPS)
		return r->type == JR_LOCAL && r->info.state == COMPUTE_DONE
		           ? r->info.gflops
		           : node_gflops(cv, row_node(cv, r));
	return NAN;
}

static uint16_t state_role(const char *state)
{
	static const struct {
		const char *state;
		uint16_t role;
	} roles[] = {
	    {"running", TUI_ROLE_STATUS_INFO},   {"JOB_PROGRESS", TUI_ROLE_STATUS_INFO},
	    {"RUNNING", TUI_ROLE_STATUS_INFO},   {"done", TUI_ROLE_STATUS_OK},
	    {"DONE", TUI_ROLE_STATUS_OK},        {"CLOSED_JOB", TUI_ROLE_STATUS_OK},
	    {"FINISHED", TUI_ROLE_STATUS_OK},    {"failed", TUI_ROLE_STATUS_ERROR},
	    {"FAILED", TUI_ROLE_STATUS_ERROR},   {"cancelled", TUI_ROLE_STATUS_WARN},
	    {"CANCELLED", TUI_ROLE_STATUS_WARN}, {"queued", TUI_ROLE_ROW_DIM},
	    {"CHOOSE_NODE", TUI_ROLE_ROW_DIM},
	};
	for (size_t i = 0; state && i < R1_ARRAY_LEN(roles); i++)
		if (strcmp(state, roles[i].state) == 0)
			return roles[i].role;
	return 0;
}

static uint16_t j_role(void *ctx, size_t row, int col)
{
	struct compute_view *cv = ctx;
	const struct jrow *r = &cv->rows[row];
	if (col == J_STATE) {
		char s[64];
		return state_role(j_text(ctx, row, col, s, sizeof(s)));
	}
	if (col == J_INFO) {
		bool bad = r->type == JR_LOCAL  ? r->info.state == COMPUTE_FAILED
		           : r->type == JR_PART ? jstr(part_of(cv, r), "ERROR") != NULL
		                                : jstr(netjob_of(cv, r)->body, "ERROR") != NULL;
		return bad ? TUI_ROLE_STATUS_ERROR : 0;
	}
	return 0;
}

static uint64_t j_group(void *ctx, size_t row)
{
	return ((struct compute_view *)ctx)->rows[row].group;
}

static const char *chaindist_title(struct compute_view *cv, const struct netjob *j, char *scratch,
                                   size_t size)
{
	const json_t *b = j->body;
	char master[64], id[NETJOBS_ID_MAX + 1], state[48], kind[16], el[24], left[24], tail[200];
	view_node_name(cv->v.app, j->sender, master, sizeof(master));
	view_clean(j->id[0] ? j->id : "-", id, sizeof(id));
	view_clean(jstr(b, "STATE"), state, sizeof(state));
	view_clean(jstr(b, "KIND"), kind, sizeof(kind));
	view_clean(jstr(b, "ELAPSED_TIME"), el, sizeof(el));
	view_clean(jstr(b, "REMAINING_TIME"), left, sizeof(left));
	tail[0] = '\0';
	const json_t *ok = json_object_get(b, "SUCCESS");
	if (json_is_true(ok)) {
		const char *res = jstr(json_object_get(b, "DATA"), "RESULT");
		if (res && *res)
			snprintf(tail, sizeof(tail), _(", result %s"), res);
		else
			snprintf(tail, sizeof(tail), "%s", _(", succeeded (results by part)"));
	} else if (json_is_false(ok)) {
		snprintf(tail, sizeof(tail), _(", failed: %s"),
		         jstr(b, "ERROR") ? jstr(b, "ERROR") : "?");
	} else if (strcmp(left, "Not yet implemented") != 0 && strcmp(left, "-") != 0) {
		snprintf(tail, sizeof(tail), _(", %s left"), left);
	}
	char clean_tail[200];
	view_clean(tail, clean_tail, sizeof(clean_tail));
	/* TRANSLATORS: ChainDist mm-1 (MATMUL, 4096 rows) by demo-01: DISTRIBUTE_JOBS 42%, 0:00:12
	 */
	snprintf(scratch, size, _("ChainDist %s (%s, %.0f rows) by %s: %s %.0f%%, %s%s"), id, kind,
	         jnum(b, "ROWS"), master, state, jnum(b, "PROGRESS"), el, clean_tail);
	return scratch;
}

static const char *j_group_title(void *ctx, size_t row, char *scratch, size_t size)
{
	struct compute_view *cv = ctx;
	const struct jrow *r = &cv->rows[row];
	struct tui_model *m = model(cv);
	if (r->type == JR_LOCAL) {
		struct tui_host *h = &m->hosts[r->job];
		struct compute *c = tui_host_compute(h);
		char alias[64], mem[32];
		view_node_name(cv->v.app, h->addr, alias, sizeof(alias));
		if (!c) {
			snprintf(scratch, size, _("jobs on %s (no compute engine)"), alias);
			return scratch;
		}
		int threads = compute_threads(c);
		fmt_bytes(mem, sizeof(mem), compute_mem_limit(c));
		snprintf(scratch, size,
		         ngettext("jobs on %s  (%d BLAS thread, %s a job; %zu queued)",
		                  "jobs on %s  (%d BLAS threads, %s a job; %zu queued)",
		                  (unsigned long)threads),
		         alias, threads, mem, compute_queued(c));
		return scratch;
	}
	const struct netjob *j = netjob_of(cv, r);
	if (j->kind == NETJOB_CHAINDIST)
		return chaindist_title(cv, j, scratch, size);
	char node[64];
	view_node_name(cv->v.app, j->sender, node, sizeof(node));
	snprintf(scratch, size, _("matrix products on %s"), node);
	return scratch;
}

/* ------------------------------------------------------------ node rows */

static const struct nodefig *fig_at(struct compute_view *cv, size_t row)
{
	return nodefigs_at(&model(cv)->figs, row);
}

static const struct nm_node *fig_node(struct compute_view *cv, size_t row)
{
	const struct nodefig *g = fig_at(cv, row);
	return g && model(cv)->nm ? netmap_at(model(cv)->nm, g->index) : NULL;
}

static size_t n_count(void *ctx)
{
	return nodefigs_count(&model(ctx)->figs);
}

static uint64_t n_key(void *ctx, size_t row)
{
	const struct nm_node *n = fig_node(ctx, row);
	return n ? view_node_key(n) : row;
}

static const char *n_text(void *ctx, size_t row, int col, char *scratch, size_t size)
{
	struct compute_view *cv = ctx;
	const struct nodefig *g = fig_at(cv, row);
	const struct nm_node *n = fig_node(cv, row);
	if (!g || !n)
		return NULL;
	const struct compute_peer *p = &g->peer;
	switch (col) {
	case N_NODE:
		view_node_name(cv->v.app, n->info.addr, scratch, size);
		return scratch;
	case N_CORES:
		snprintf(scratch, size, "%d", p->cpu_cores);
		return scratch;
	case N_BLAS:
		if (p->coretype[0])
			snprintf(scratch, size, "%s (%s)", p->core[0] ? p->core : "?", p->coretype);
		else
			snprintf(scratch, size, "%s", p->core[0] ? p->core : "?");
		return scratch;
	case N_THREADS:
		snprintf(scratch, size, "%d", p->blas_threads);
		return scratch;
	case N_F64:
		return fmt_gflops(scratch, size, p->gflops_f64);
	case N_F32:
		return fmt_gflops(scratch, size, p->gflops_f32);
	case N_BENCH:
		if (!p->bench_n)
			return "-";
		snprintf(scratch, size, "%u", p->bench_n);
		return scratch;
	case N_JOBS:
		snprintf(scratch, size, _("%u+%u"), p->jobs_running, p->jobs_queued);
		return scratch;
	case N_SEEN:
		return fmt_ago(scratch, size, app_now(cv->v.app) - g->when_ms);
	}
	return NULL;
}

static double n_number(void *ctx, size_t row, int col)
{
	struct compute_view *cv = ctx;
	const struct nodefig *g = fig_at(cv, row);
	if (!g)
		return NAN;
	switch (col) {
	case N_CORES:
		return g->peer.cpu_cores;
	case N_THREADS:
		return g->peer.blas_threads;
	case N_F64:
		return g->peer.gflops_f64 > 0 ? g->peer.gflops_f64 : NAN;
	case N_F32:
		return g->peer.gflops_f32 > 0 ? g->peer.gflops_f32 : NAN;
	case N_BENCH:
		return g->peer.bench_n ? g->peer.bench_n : NAN;
	case N_JOBS:
		return g->peer.jobs_running + g->peer.jobs_queued;
	case N_SEEN:
		return (double)(app_now(cv->v.app) - g->when_ms);
	}
	return NAN;
}

static uint16_t n_role(void *ctx, size_t row, int col)
{
	struct compute_view *cv = ctx;
	const struct nm_node *n = fig_node(cv, row);
	if (n && !n->online)
		return TUI_ROLE_ROW_DIM;
	const struct nodefig *g = fig_at(cv, row);
	if (g && col == N_JOBS && g->peer.jobs_running)
		return TUI_ROLE_STATUS_INFO;
	return 0;
}

/* ------------------------------------------------------------ actions */

static const struct jrow *selected_job(struct compute_view *cv)
{
	size_t row;
	bool group;
	if (!table_selected(cv->jobs, &row, &group) || row >= cv->nrows)
		return NULL;
	return &cv->rows[row];
}

/* The node of the selected row of the focused table ("" if none). */
static void selected_node(struct compute_view *cv, char out[R1_ADDR_LEN + 1])
{
	out[0] = '\0';
	if (cv->focus_nodes) {
		size_t row;
		bool group;
		const struct nm_node *n =
		    table_selected(cv->nodes, &row, &group) ? fig_node(cv, row) : NULL;
		if (n)
			snprintf(out, R1_ADDR_LEN + 1, "%s", n->info.addr);
		return;
	}
	const struct jrow *r = selected_job(cv);
	if (r)
		snprintf(out, R1_ADDR_LEN + 1, "%s", row_node(cv, r));
}

static unsigned open_node(struct compute_view *cv)
{
	char addr[R1_ADDR_LEN + 1];
	selected_node(cv, addr);
	const struct nm_node *n =
	    *addr && model(cv)->nm ? netmap_find_addr(model(cv)->nm, addr) : NULL;
	if (n)
		app_push(cv->v.app, view_node_new(cv->v.app, n));
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_open(void *ctx)
{
	return open_node(ctx);
}

static unsigned k_focus(void *ctx)
{
	struct compute_view *cv = ctx;
	cv->focus_nodes = !cv->focus_nodes;
	return TUI_CONSUMED | TUI_REDRAW;
}

/* The payloads of the selected job's plugin instance. */
static unsigned k_payloads(void *ctx)
{
	struct compute_view *cv = ctx;
	const struct jrow *r = cv->focus_nodes ? NULL : selected_job(cv);
	const struct netjob *j = r && r->type != JR_LOCAL ? netjob_of(cv, r) : NULL;
	if (!j)
		return TUI_CONSUMED;
	struct buf f = BUF_INIT;
	view_filter_term(&f, "sender", j->sender);
	if (j->instance[0])
		view_filter_term(&f, "instance", j->instance);
	char crumb[96], inst[66];
	view_clean(j->instance, inst, sizeof(inst));
	snprintf(crumb, sizeof(crumb), _("%s payloads"), inst);
	if (buf_ok(&f))
		app_push(cv->v.app,
		         view_stream_new(cv->v.app, STREAM_PAYLOADS, buf_cstr(&f), crumb));
	buf_release(&f);
	return TUI_CONSUMED | TUI_REDRAW;
}

/* A cancel or a benchmark on a hosted engine, from the confirmation to its end. */
struct cjob {
	struct app_op op;
	struct app *app;
	struct tui_host *h;
	struct compute *c;
	uint64_t id;
	char alias[64];
};

static void cjob_free(void *ctx)
{
	r1_free(ctx);
}

static void do_cancel(struct app *app, void *ctx)
{
	struct cjob *w = ctx;
	struct compute *c = tui_host_compute(w->h);
	char *why = NULL;
	if (!c || compute_cancel(c, w->id, &why))
		app_message(app, TUI_ROLE_STATUS_WARN, _("job #%" PRIu64 " on %s: %s"), w->id,
		            w->alias, why ? why : _("no such job"));
	else
		app_message(app, TUI_ROLE_STATUS_OK, _("job #%" PRIu64 " on %s: cancelled"), w->id,
		            w->alias);
	r1_free(why);
}

static unsigned k_cancel(void *ctx)
{
	struct compute_view *cv = ctx;
	const struct jrow *r = cv->focus_nodes ? NULL : selected_job(cv);
	if (!r || r->type != JR_LOCAL) {
		app_message(cv->v.app, TUI_ROLE_STATUS_INFO, "%s",
		            _("x cancels a job of a node this console hosts: select one"));
		return TUI_CONSUMED;
	}
	if (r->info.state != COMPUTE_QUEUED && r->info.state != COMPUTE_RUNNING) {
		app_message(cv->v.app, TUI_ROLE_STATUS_INFO, "%s", _("that job has ended"));
		return TUI_CONSUMED;
	}
	struct cjob *w = r1_calloc(1, sizeof(*w));
	if (!w)
		return TUI_CONSUMED;
	w->h = &model(cv)->hosts[r->job];
	w->id = r->info.id;
	view_node_name(cv->v.app, w->h->addr, w->alias, sizeof(w->alias));
	char label[160], msg[320];
	local_job_text(&r->info, label, sizeof(label));
	snprintf(msg, sizeof(msg),
	         _("Cancel job %s on %s?  A running product stops between panels."), label,
	         w->alias);
	app_confirm(cv->v.app, _("Cancel a compute job"), msg, true, do_cancel, w, cjob_free);
	return TUI_CONSUMED | TUI_REDRAW;
}

static void on_bench(void *ctx, struct compute_result *res)
{
	struct cjob *w = ctx;
	app_op_end(w->app, &w->op);
	if (res->state == COMPUTE_DONE)
		app_message(w->app, TUI_ROLE_STATUS_OK,
		            _("%s: dgemm %.1f GFLOP/s, sgemm %.1f GFLOP/s (n=%zu, %d threads)"),
		            w->alias, res->bench.gflops_f64, res->bench.gflops_f32, res->bench.n,
		            res->bench.threads);
	else
		app_message(w->app, TUI_ROLE_STATUS_ERROR, _("%s: the measure %s: %s"), w->alias,
		            compute_state_name(res->state), res->why ? res->why : "?");
	r1_free(w);
}

static void bench_forget(void *ctx)
{
	struct cjob *w = ctx;
	compute_forget(w->c, w->id);
	r1_free(w);
}

static void do_bench(struct app *app, void *ctx)
{
	struct cjob *src = ctx;
	struct cjob *w = r1_calloc(1, sizeof(*w));
	struct compute *c = tui_host_compute(src->h);
	if (!w || !c) {
		r1_free(w);
		app_message(app, TUI_ROLE_STATUS_ERROR, "%s", _("no compute engine"));
		return;
	}
	*w = *src;
	w->app = app;
	w->c = c;
	struct compute_meta meta = {.owner = "console", .label = NULL};
	char *why = NULL;
	/* the inline runner (tests) answers inside the submit: the op starts first */
	w->op.cancel = bench_forget;
	w->op.ctx = w;
	app_op_start(app, &w->op);
	if (compute_submit_bench(c, &meta, BENCH_N, BENCH_REPS, true, true, on_bench, w, &w->id,
	                         &why)) {
		app_op_end(app, &w->op);
		app_message(app, TUI_ROLE_STATUS_ERROR, _("%s: %s"), w->alias, why ? why : "?");
		r1_free(w);
	} else if (compute_busy(c) || compute_queued(c)) {
		app_message(app, TUI_ROLE_STATUS_INFO, _("%s: measuring (dgemm and sgemm, n=%d)"),
		            src->alias, BENCH_N);
	}
	r1_free(why);
}

static unsigned k_bench(void *ctx)
{
	struct compute_view *cv = ctx;
	struct tui_model *m = model(cv);
	char addr[R1_ADDR_LEN + 1];
	selected_node(cv, addr);
	struct tui_host *h = tui_model_host(m, addr);
	if (!h && m->n_hosts)
		h = &m->hosts[0];
	if (!h) {
		app_message(cv->v.app, TUI_ROLE_STATUS_INFO, "%s",
		            _("b measures a node this console hosts; it hosts none"));
		return TUI_CONSUMED;
	}
	struct cjob *w = r1_calloc(1, sizeof(*w));
	if (!w)
		return TUI_CONSUMED;
	w->h = h;
	view_node_name(cv->v.app, h->addr, w->alias, sizeof(w->alias));
	char msg[320];
	snprintf(msg, sizeof(msg),
	         _("Measure %s's speed: dgemm and sgemm, n=%d, best of %d?  It runs as a compute "
	           "job (after the jobs before it); the figure goes out in the node's heartbeats."),
	         w->alias, BENCH_N, BENCH_REPS);
	app_confirm(cv->v.app, _("BLAS benchmark"), msg, false, do_bench, w, cjob_free);
	return TUI_CONSUMED | TUI_REDRAW;
}

static const struct keymap_entry keys[] = {
    {TUI_KEY_ENTER, N_("node"), N_("open the node of the row"), KEYMAP_BAR, k_open},
    {TUI_KEY_TAB, N_("jobs/nodes"), N_("move between the jobs and the nodes"), KEYMAP_BAR, k_focus},
    {'p', N_("payloads"), N_("the job's payloads"), KEYMAP_BAR, k_payloads},
    {'x', N_("cancel"), N_("cancel a hosted node's job (confirmed)"), KEYMAP_BAR | KEYMAP_WRITES,
     k_cancel},
    {'b', N_("bench"), N_("measure a hosted node's GFLOP/s (confirmed)"),
     KEYMAP_BAR | KEYMAP_WRITES, k_bench},
};

/* ------------------------------------------------------------------ view */

/* The progress column as bars, over the text the table drew. */
static void draw_bars(struct compute_view *cv, struct grid_area a)
{
	struct table *t = cv->jobs;
	int x = table_column_x(t, J_PROGRESS);
	int w = t->widths[J_PROGRESS];
	if (x < 0 || w <= 0 || !t->n)
		return;
	int y0 = t->show_header ? 1 : 0;
	for (int k = 0; k < t->page && t->top + (size_t)k < t->n; k++) {
		uint32_t e = t->order[t->top + (size_t)k];
		if (e & TABLE_GROUP_BIT || e >= cv->nrows)
			continue;
		double f = row_progress(cv, &cv->rows[e]);
		if (!isnan(f))
			progress_draw(a, x, y0 + k, w, f, NULL);
	}
}

static void v_draw(struct view *v, struct grid_area a)
{
	struct compute_view *cv = (struct compute_view *)v;
	/* the engines change without telling (progress, a cancel from a dialog): cheap to redo */
	refresh(cv);
	size_t nf = nodefigs_count(&model(cv)->figs);
	int nodes_h = (int)R1_MIN(nf + 1, (size_t)R1_MAX(4, a.h / 3));
	if (nodes_h + 3 > a.h)
		nodes_h = R1_MAX(0, a.h - 3);
	cv->nodes_h = nodes_h;
	int jobs_h = a.h - nodes_h - (nodes_h ? 1 : 0);
	struct grid_area ja = grid_sub(a, 0, 0, a.w, jobs_h);
	table_draw(cv->jobs, ja);
	draw_bars(cv, ja);
	if (!nodes_h)
		return;
	const char *title = _("Measured speed (BLAS_BENCH_01, from the nodes' heartbeats)");
	grid_field(a, 0, jobs_h, a.w, GRID_ALIGN_LEFT, title,
	           cv->focus_nodes ? TUI_ROLE_PANE_TITLE_FOCUS : TUI_ROLE_PANE_TITLE, 0);
	table_draw(cv->nodes, grid_sub(a, 0, jobs_h + 1, a.w, nodes_h));
}

static unsigned v_key(struct view *v, int key)
{
	struct compute_view *cv = (struct compute_view *)v;
	struct table *t = cv->focus_nodes ? cv->nodes : cv->jobs;
	unsigned r = table_key(t, key);
	if ((r & TUI_ACTION) && t->action == TABLE_ACTION_OPEN)
		return open_node(cv);
	return r;
}

static unsigned v_mouse(struct view *v, const struct tui_mouse *m)
{
	struct compute_view *cv = (struct compute_view *)v;
	int jobs_h = cv->jobs->page + (cv->jobs->show_header ? 1 : 0);
	struct tui_mouse mm = *m;
	struct table *t = cv->jobs;
	if (m->y > jobs_h && cv->nodes_h) {
		mm.y -= jobs_h + 1;
		t = cv->nodes;
		cv->focus_nodes = true;
	} else {
		cv->focus_nodes = false;
	}
	unsigned r = table_mouse(t, &mm);
	if ((r & TUI_ACTION) && t->action == TABLE_ACTION_OPEN)
		return open_node(cv);
	return r;
}

static bool v_message(struct view *v, enum stream_kind k, const struct stream_entry *e)
{
	(void)e;
	struct compute_view *cv = (struct compute_view *)v;
	return k == STREAM_PAYLOADS && cv->jobs_seen != model(cv)->jobs.changes;
}

static bool v_event(struct view *v, const struct nm_event *ev)
{
	(void)v;
	return ev->type == NM_EV_HEARTBEAT || ev->type == NM_EV_NODE_NEW; /* figures, names */
}

static void v_status(struct view *v, struct buf *out)
{
	struct compute_view *cv = (struct compute_view *)v;
	size_t running = 0, parts = 0;
	for (size_t i = 0; i < cv->nrows; i++) {
		running +=
		    cv->rows[i].type == JR_LOCAL && cv->rows[i].info.state == COMPUTE_RUNNING;
		parts += cv->rows[i].type == JR_PART;
	}
	buf_addf(out, ngettext("%zu job listed", "%zu jobs listed", cv->nrows), cv->nrows);
	buf_addf(out, _(", %zu running here, %zu ChainDist parts, %zu nodes measured"), running,
	         parts, nodefigs_count(&model(cv)->figs));
}

static bool v_tick(struct view *v)
{
	(void)v;
	return true; /* hosted engines' progress moves silently: draw again */
}

static void v_resume(struct view *v)
{
	refresh((struct compute_view *)v);
}

static void v_free(struct view *v)
{
	struct compute_view *cv = (struct compute_view *)v;
	table_free(&cv->jobs);
	table_free(&cv->nodes);
	drop_jobs(cv);
	r1_free(cv->rows);
	r1_free(cv);
}

static const struct view_ops ops = {
    .free = v_free,
    .draw = v_draw,
    .key = v_key,
    .event = v_event,
    .message = v_message,
    .mouse = v_mouse,
    .status = v_status,
    .resume = v_resume,
    .tick = v_tick,
};

static enum r1_err v_open(struct app *app, const char *arg, struct view **out, char **why)
{
	(void)arg;
	struct compute_view *cv = r1_calloc(1, sizeof(*cv));
	if (!cv)
		return r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	view_init(&cv->v, &view_compute_class, &ops, app, NULL);
	cv->v.keys = keys;
	cv->v.nkeys = R1_ARRAY_LEN(keys);
	const struct table_column jcols[J__COUNT] = {
	    [J_JOB] = {_("JOB"), "job", 16, 48, 2, 0, GRID_ALIGN_LEFT, TABLE_SORT_NONE},
	    [J_NODE] = {_("NODE"), "node", 8, 22, 1, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [J_STATE] = {_("STATE"), "state", 10, 28, 1, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [J_PROGRESS] = {_("PROGRESS"), "progress", 14, 40, 2, 0, GRID_ALIGN_RIGHT,
	                    TABLE_SORT_NUMBER},
	    [J_GFLOPS] = {_("GFLOP/S"), "gflops", 7, 0, 0, 1, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [J_INFO] = {_("DETAIL"), "detail", 10, 0, 3, 2, GRID_ALIGN_LEFT, TABLE_SORT_NONE},
	};
	const struct table_column ncols[N__COUNT] = {
	    [N_NODE] = {_("NODE"), "node", 10, 22, 1, 0, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [N_CORES] = {_("CORES"), "cores", 5, 0, 0, 2, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [N_BLAS] = {_("OPENBLAS"), "blas", 8, 30, 1, 3, GRID_ALIGN_LEFT, TABLE_SORT_TEXT},
	    [N_THREADS] = {_("THREADS"), "threads", 7, 0, 0, 4, GRID_ALIGN_RIGHT,
	                   TABLE_SORT_NUMBER},
	    [N_F64] = {_("F64 GFLOP/S"), "f64", 12, 0, 0, 0, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [N_F32] = {_("F32 GFLOP/S"), "f32", 12, 0, 0, 1, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [N_BENCH] = {_("AT N"), "n", 5, 0, 0, 5, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [N_JOBS] = {_("JOBS"), "jobs", 5, 0, 0, 0, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	    [N_SEEN] = {_("SEEN"), "seen", 5, 0, 0, 2, GRID_ALIGN_RIGHT, TABLE_SORT_NUMBER},
	};
	memcpy(cv->jcols, jcols, sizeof(jcols));
	memcpy(cv->ncols, ncols, sizeof(ncols));
	struct table_source js = {
	    .ctx = cv,
	    .count = j_count,
	    .key = j_key,
	    .text = j_text,
	    .number = j_number,
	    .role = j_role,
	    .group = j_group,
	    .group_title = j_group_title,
	};
	struct table_source ns = {
	    .ctx = cv,
	    .count = n_count,
	    .key = n_key,
	    .text = n_text,
	    .number = n_number,
	    .role = n_role,
	};
	cv->jobs = table_new(cv->jcols, J__COUNT, &js);
	cv->nodes = table_new(cv->ncols, N__COUNT, &ns);
	if (!cv->jobs || !cv->nodes) {
		v_free(&cv->v);
		return r1_fail(why, R1_ERR_NOMEM, "%s", _("out of memory"));
	}
	cv->jobs->empty_text = _("no compute jobs: none on the hosted nodes, none reported by "
	                         "ChainDist masters or MATMUL_JOB_01 instances");
	cv->nodes->empty_text = _("no node has reported compute figures yet");
	table_sort_by(cv->nodes, N_F64, true);
	refresh(cv);
	*out = &cv->v;
	return R1_OK;
}

const struct view_class view_compute_class = {
    .name = "compute",
    .title = N_("Compute"),
    .help = N_("compute jobs (ChainDist parts, products, hosted queues) and nodes' GFLOP/s"),
    .open = v_open,
};
