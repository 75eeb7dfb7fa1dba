/*
 * The console cache (see cache.h): the schema and its migrations, the
 * loop-side batch of plain rows, the writer thread that commits batches in
 * single transactions on its own connection, retention, and the few reads
 * the console needs.  It turns netmap events into rows; it does not decide
 * what the network is (netmap) nor what a person sees (the views).
 *
 * Rows carry copies, never pointers into the model, so the writer can run
 * while the loop keeps changing the netmap.  Every SQL statement binds its
 * values; table names are never built from input.
 */
#include "core/lib.h"
#include "core/cache.h"
#include "core/db.h"
#include "core/hash.h"
#include "core/clock.h"

#include <pthread.h>

#define BODY_MAX        (64u * 1024u)
#define NODE_STATE_INIT 1024

/* ---- schema -------------------------------------------------------------- */

static const struct db_migration cache_schema[] = {
    {1, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
        /* nodes: id is derived from the key (cache_node_id) so processes agree */
        "CREATE TABLE nodes("
        " id INTEGER PRIMARY KEY, addr TEXT NOT NULL UNIQUE, network TEXT NOT NULL,"
        " eth TEXT, alias TEXT, version TEXT, status TEXT, zone TEXT, r1fs_id TEXT,"
        " r1fs_relay TEXT, comm_relay TEXT, tags TEXT, gpu_name TEXT,"
        " oracle INTEGER, secured INTEGER, r1fs_online INTEGER, cpu_cores INTEGER,"
        " gpu_count INTEGER, cpu_used REAL, mem_total REAL, mem_avail REAL, disk_total REAL,"
        " disk_avail REAL, uptime_s REAL, first_seen_ms INTEGER, last_seen_ms INTEGER,"
        " whitelist BLOB);"
        "CREATE INDEX nodes_network ON nodes(network);"
        /* heartbeat samples at full resolution, and per-minute averages */
        "CREATE TABLE hb_samples(node_id INTEGER NOT NULL, t_ms INTEGER NOT NULL,"
        " cpu REAL, mem_avail REAL, disk_avail REAL,"
        " PRIMARY KEY(node_id, t_ms)) WITHOUT ROWID;"
        "CREATE INDEX hb_samples_t ON hb_samples(t_ms);"
        "CREATE TABLE hb_minutes(node_id INTEGER NOT NULL, minute INTEGER NOT NULL,"
        " n INTEGER NOT NULL, cpu REAL, mem_avail REAL, disk_avail REAL,"
        " PRIMARY KEY(node_id, minute)) WITHOUT ROWID;"
        "CREATE INDEX hb_minutes_t ON hb_minutes(minute);"
        /* what runs where, from NetConfig */
        "CREATE TABLE pipelines(node_id INTEGER NOT NULL, name TEXT NOT NULL, type TEXT,"
        " owner_addr TEXT, owner_alias TEXT, config TEXT, updated_ms INTEGER,"
        " PRIMARY KEY(node_id, name));"
        "CREATE TABLE instances(node_id INTEGER NOT NULL, pipeline TEXT NOT NULL,"
        " signature TEXT NOT NULL, instance_id TEXT NOT NULL, config TEXT, status TEXT,"
        " PRIMARY KEY(node_id, pipeline, signature, instance_id));"
        /* the ring of recent payloads and notifications */
        "CREATE TABLE messages(id INTEGER PRIMARY KEY, t_ms INTEGER NOT NULL,"
        " kind TEXT NOT NULL, sender TEXT, node TEXT, pipeline TEXT, signature TEXT,"
        " instance_id TEXT, code INTEGER, text TEXT, body TEXT);"
        "CREATE TABLE epochs(node_id INTEGER NOT NULL, epoch INTEGER NOT NULL,"
        " avail INTEGER NOT NULL, PRIMARY KEY(node_id, epoch)) WITHOUT ROWID;"
        /* every command sent, and what became of it */
        "CREATE TABLE audit(id INTEGER PRIMARY KEY, key INTEGER NOT NULL UNIQUE,"
        " t_ms INTEGER NOT NULL, node_addr TEXT, node_alias TEXT, action TEXT NOT NULL,"
        " pipeline TEXT, signature TEXT, instance_id TEXT, payload TEXT, session TEXT,"
        " outcome TEXT NOT NULL DEFAULT 'pending', reason TEXT, done_ms INTEGER);"
        /* fleet: the nodes a person owns, groups, tags, notes */
        "CREATE TABLE fleet_nodes(addr TEXT PRIMARY KEY, name TEXT, added_ms INTEGER,"
        " ssh_target TEXT, data_dir TEXT);"
        "CREATE TABLE fleet_groups(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
        " created_ms INTEGER);"
        "CREATE TABLE fleet_group_members(group_id INTEGER NOT NULL"
        " REFERENCES fleet_groups(id) ON DELETE CASCADE, addr TEXT NOT NULL,"
        " PRIMARY KEY(group_id, addr));"
        "CREATE TABLE fleet_tags(addr TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY(addr, tag));"
        "CREATE TABLE fleet_notes(id INTEGER PRIMARY KEY, addr TEXT NOT NULL, t_ms INTEGER,"
        " text TEXT NOT NULL);"
        /* deployments: drafts from the wizard, jobs sent, per-target results */
        "CREATE TABLE deploy_drafts(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " created_ms INTEGER, updated_ms INTEGER, spec TEXT NOT NULL);"
        "CREATE TABLE deploy_jobs(id INTEGER PRIMARY KEY, draft_id INTEGER"
        " REFERENCES deploy_drafts(id) ON DELETE SET NULL, name TEXT NOT NULL,"
        " started_ms INTEGER, finished_ms INTEGER, state TEXT NOT NULL, spec TEXT NOT NULL);"
        "CREATE TABLE deploy_job_targets(job_id INTEGER NOT NULL"
        " REFERENCES deploy_jobs(id) ON DELETE CASCADE, node_addr TEXT NOT NULL,"
        " state TEXT NOT NULL, reason TEXT, audit_key INTEGER,"
        " PRIMARY KEY(job_id, node_addr));"
        /* alerts */
        "CREATE TABLE alert_rules(id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,"
        " enabled INTEGER NOT NULL DEFAULT 1, params TEXT, created_ms INTEGER);"
        "CREATE TABLE alert_events(id INTEGER PRIMARY KEY, rule_id INTEGER"
        " REFERENCES alert_rules(id) ON DELETE CASCADE, node_addr TEXT, raised_ms INTEGER,"
        " cleared_ms INTEGER, message TEXT);"
        "CREATE INDEX alert_events_open ON alert_events(cleared_ms);"},
};

/* Tables cache_count may name (a fixed list: names are never built from input). */
static const char *const count_sql[][2] = {
    {"nodes", "SELECT count(*) FROM nodes"},
    {"hb_samples", "SELECT count(*) FROM hb_samples"},
    {"hb_minutes", "SELECT count(*) FROM hb_minutes"},
    {"pipelines", "SELECT count(*) FROM pipelines"},
    {"instances", "SELECT count(*) FROM instances"},
    {"messages", "SELECT count(*) FROM messages"},
    {"epochs", "SELECT count(*) FROM epochs"},
    {"audit", "SELECT count(*) FROM audit"},
    {"fleet_nodes", "SELECT count(*) FROM fleet_nodes"},
    {"deploy_jobs", "SELECT count(*) FROM deploy_jobs"},
    {"alert_rules", "SELECT count(*) FROM alert_rules"},
};

/* ---- rows --------------------------------------------------------------- */

struct node_row {
	int64_t id;
	struct nm_node_info info;
	uint8_t *whitelist; /* n * 33 bytes */
	size_t n_whitelist;
};

struct sample_row {
	int64_t id, t_ms;
	float cpu, mem, disk;
};

struct minute_row {
	int64_t id, minute;
	uint32_t n;
	float cpu, mem, disk;
};

struct epoch_row {
	int64_t id, epoch;
	int avail;
};

struct inst_row {
	char *pipeline, *signature, *instance_id, *config, *status;
};

struct pipe_row {
	char *name, *type, *owner_addr, *owner_alias, *config;
};

struct pipes_set {
	int64_t id, t_ms;
	struct pipe_row *pipes;
	size_t n_pipes;
	struct inst_row *insts;
	size_t n_insts;
};

struct msg_row {
	int64_t t_ms;
	int kind;
	char *sender, *path[4], *text, *body;
	int code;
	bool has_code;
};

struct audit_row {
	uint64_t key;
	int64_t t_ms;
	char *node_addr, *node_alias, *action, *pipeline, *signature, *instance_id, *payload,
	    *session;
};

struct audit_end_row {
	uint64_t key;
	int64_t t_ms;
	char *outcome, *reason;
};

#define VEC(type, name)                                                                            \
	type *name;                                                                                \
	size_t n_##name, cap_##name

struct batch {
	VEC(struct node_row, nodes);
	VEC(struct sample_row, samples);
	VEC(struct minute_row, minutes);
	VEC(struct epoch_row, epochs);
	VEC(struct pipes_set, pipes);
	VEC(struct msg_row, msgs);
	VEC(struct audit_row, audits);
	VEC(struct audit_end_row, ends);
	size_t rows;
	int64_t first_ms; /* when the first row arrived (0 = empty) */
	uint64_t seq;
	struct batch *next;
};

/* Grow a vector by one zeroed element; NULL on OOM. */
static void *vec_push(void **v, size_t *n, size_t *cap, size_t elem)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		void *g = r1_reallocarray(*v, nc, elem);
		if (!g)
			return NULL;
		*v = g;
		*cap = nc;
	}
	void *p = (char *)*v + *n * elem;
	memset(p, 0, elem);
	(*n)++;
	return p;
}

#define PUSH(b, name)                                                                              \
	((__typeof__((b)->name))vec_push((void **)&(b)->name, &(b)->n_##name, &(b)->cap_##name,    \
	                                 sizeof(*(b)->name)))

static void batch_free(struct batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_nodes; i++)
		r1_free(b->nodes[i].whitelist);
	for (size_t i = 0; i < b->n_pipes; i++) {
		struct pipes_set *s = &b->pipes[i];
		for (size_t j = 0; j < s->n_pipes; j++) {
			r1_free(s->pipes[j].name);
			r1_free(s->pipes[j].type);
			r1_free(s->pipes[j].owner_addr);
			r1_free(s->pipes[j].owner_alias);
			r1_free(s->pipes[j].config);
		}
		for (size_t j = 0; j < s->n_insts; j++) {
			r1_free(s->insts[j].pipeline);
			r1_free(s->insts[j].signature);
			r1_free(s->insts[j].instance_id);
			r1_free(s->insts[j].config);
			r1_free(s->insts[j].status);
		}
		r1_free(s->pipes);
		r1_free(s->insts);
	}
	for (size_t i = 0; i < b->n_msgs; i++) {
		struct msg_row *m = &b->msgs[i];
		r1_free(m->sender);
		for (int k = 0; k < 4; k++)
			r1_free(m->path[k]);
		r1_free(m->text);
		r1_free(m->body);
	}
	for (size_t i = 0; i < b->n_audits; i++) {
		struct audit_row *a = &b->audits[i];
		r1_free(a->node_addr);
		r1_free(a->node_alias);
		r1_free(a->action);
		r1_free(a->pipeline);
		r1_free(a->signature);
		r1_free(a->instance_id);
		r1_free(a->payload);
		r1_free(a->session);
	}
	for (size_t i = 0; i < b->n_ends; i++) {
		r1_free(b->ends[i].outcome);
		r1_free(b->ends[i].reason);
	}
	r1_free(b->nodes);
	r1_free(b->samples);
	r1_free(b->minutes);
	r1_free(b->epochs);
	r1_free(b->pipes);
	r1_free(b->msgs);
	r1_free(b->audits);
	r1_free(b->ends);
	r1_free(b);
}

/* ---- the cache ---------------------------------------------------------- */

/* What the loop side remembers per node (indexed by nm_node.index). */
struct node_state {
	int64_t last_sample_ms;
	int64_t last_write_ms;
	int64_t minute; /* of the running accumulator; 0 = none */
	uint32_t n;
	float cpu, mem, disk; /* sums */
};

struct writer_stmts {
	sqlite3_stmt *node, *sample, *minute, *epoch, *pipe_del, *inst_del, *pipe, *inst, *msg,
	    *msg_trim, *audit, *audit_end;
};

struct cache {
	struct cache_options opt;
	char *network;
	char *path;
	sqlite3 *rdb; /* reads, on the loop thread */
	sqlite3 *wdb; /* writes, on the writer thread (or inline) */
	struct writer_stmts ws;
	struct netmap *nm;
	bool restoring;

	struct batch *cur; /* being filled on the loop thread */
	struct node_state *ns;
	size_t n_ns;

	/* the hand-over, guarded by mu */
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_done;
	pthread_t thread;
	bool have_thread, stopping;
	struct batch *q_head, *q_tail;
	size_t q_rows;
	uint64_t seq_queued, seq_done;
	int64_t last_prune_ms;
	struct cache_stats stats;
};

int64_t cache_node_id(const uint8_t pub[R1_PUB_LEN])
{
	uint64_t v = 0;
	for (int i = 1; i <= 8; i++)
		v = (v << 8) | pub[i];
	v ^= (uint64_t)(pub[0] & 1) << 62; /* the parity byte, so 02.. and 03.. differ */
	return (int64_t)(v & INT64_MAX);
}

static int64_t addr_id(const char *addr, bool *ok)
{
	uint8_t pub[R1_PUB_LEN];
	*ok = netmap_addr_key(addr, strlen(addr), pub);
	return *ok ? cache_node_id(pub) : 0;
}

static void set_error(struct cache *c, const char *msg)
{
	pthread_mutex_lock(&c->mu);
	snprintf(c->stats.last_error, sizeof(c->stats.last_error), "%s", msg);
	pthread_mutex_unlock(&c->mu);
}

/* ---- the writer --------------------------------------------------------- */

static void stmts_finalize(struct writer_stmts *s)
{
	sqlite3_stmt **all = (sqlite3_stmt **)s;
	for (size_t i = 0; i < sizeof(*s) / sizeof(sqlite3_stmt *); i++)
		sqlite3_finalize(all[i]);
	memset(s, 0, sizeof(*s));
}

static enum r1_err stmts_prepare(sqlite3 *db, struct writer_stmts *s, char **why)
{
	static const struct {
		size_t off;
		const char *sql;
	} list[] = {
	    {offsetof(struct writer_stmts, node),
	     "INSERT INTO nodes(id, addr, network, eth, alias, version, status, zone, r1fs_id,"
	     " r1fs_relay, comm_relay, tags, gpu_name, oracle, secured, r1fs_online, cpu_cores,"
	     " gpu_count, cpu_used, mem_total, mem_avail, disk_total, disk_avail, uptime_s,"
	     " first_seen_ms, last_seen_ms, whitelist) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,"
	     "?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27)"
	     " ON CONFLICT(id) DO UPDATE SET network=?3, eth=?4, alias=?5, version=?6,"
	     " status=?7, zone=?8, r1fs_id=?9, r1fs_relay=?10, comm_relay=?11, tags=?12,"
	     " gpu_name=?13, oracle=?14, secured=?15, r1fs_online=?16, cpu_cores=?17,"
	     " gpu_count=?18, cpu_used=?19, mem_total=?20, mem_avail=?21, disk_total=?22,"
	     " disk_avail=?23, uptime_s=?24, first_seen_ms=min(first_seen_ms, ?25),"
	     " last_seen_ms=max(last_seen_ms, ?26), whitelist=?27"},
	    {offsetof(struct writer_stmts, sample),
	     "INSERT OR REPLACE INTO hb_samples(node_id, t_ms, cpu, mem_avail, disk_avail)"
	     " VALUES(?1,?2,?3,?4,?5)"},
	    {offsetof(struct writer_stmts, minute),
	     "INSERT INTO hb_minutes(node_id, minute, n, cpu, mem_avail, disk_avail)"
	     " VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT(node_id, minute) DO UPDATE SET"
	     " cpu=(cpu*n + excluded.cpu*excluded.n)/(n + excluded.n),"
	     " mem_avail=(mem_avail*n + excluded.mem_avail*excluded.n)/(n + excluded.n),"
	     " disk_avail=(disk_avail*n + excluded.disk_avail*excluded.n)/(n + excluded.n),"
	     " n=n + excluded.n"},
	    {offsetof(struct writer_stmts, epoch),
	     "INSERT OR REPLACE INTO epochs(node_id, epoch, avail) VALUES(?1,?2,?3)"},
	    {offsetof(struct writer_stmts, pipe_del), "DELETE FROM pipelines WHERE node_id=?1"},
	    {offsetof(struct writer_stmts, inst_del), "DELETE FROM instances WHERE node_id=?1"},
	    {offsetof(struct writer_stmts, pipe),
	     "INSERT OR REPLACE INTO pipelines(node_id, name, type, owner_addr, owner_alias,"
	     " config, updated_ms) VALUES(?1,?2,?3,?4,?5,?6,?7)"},
	    {offsetof(struct writer_stmts, inst),
	     "INSERT OR REPLACE INTO instances(node_id, pipeline, signature, instance_id,"
	     " config, status) VALUES(?1,?2,?3,?4,?5,?6)"},
	    {offsetof(struct writer_stmts, msg),
	     "INSERT INTO messages(t_ms, kind, sender, node, pipeline, signature, instance_id,"
	     " code, text, body) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"},
	    {offsetof(struct writer_stmts, msg_trim),
	     "DELETE FROM messages WHERE id <= (SELECT max(id) FROM messages) - ?1"},
	    {offsetof(struct writer_stmts, audit),
	     "INSERT OR IGNORE INTO audit(key, t_ms, node_addr, node_alias, action, pipeline,"
	     " signature, instance_id, payload, session) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"},
	    {offsetof(struct writer_stmts, audit_end),
	     "UPDATE audit SET outcome=?2, reason=?3, done_ms=?4 WHERE key=?1"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(list); i++) {
		sqlite3_stmt **st = (sqlite3_stmt **)((char *)s + list[i].off);
		if (sqlite3_prepare_v3(db, list[i].sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) !=
		    SQLITE_OK) {
			enum r1_err e =
			    r1_fail(why, R1_ERR_DB, "cache: prepare: %s", sqlite3_errmsg(db));
			stmts_finalize(s);
			return e;
		}
	}
	return R1_OK;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Step a statement that returns no rows and reset it; false on error. */
static bool step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE;
}

static bool write_node(struct cache *c, const struct node_row *r)
{
	sqlite3_stmt *st = c->ws.node;
	const struct nm_node_info *in = &r->info;
	sqlite3_bind_int64(st, 1, r->id);
	bind_text(st, 2, in->addr);
	bind_text(st, 3, c->network);
	bind_text(st, 4, in->eth);
	bind_text(st, 5, in->alias);
	bind_text(st, 6, in->version);
	bind_text(st, 7, in->status);
	bind_text(st, 8, in->zone);
	bind_text(st, 9, in->r1fs_id);
	bind_text(st, 10, in->r1fs_relay);
	bind_text(st, 11, in->comm_relay);
	bind_text(st, 12, in->tags);
	bind_text(st, 13, in->gpu_name);
	sqlite3_bind_int(st, 14, in->oracle);
	sqlite3_bind_int(st, 15, in->secured);
	sqlite3_bind_int(st, 16, in->r1fs_online);
	sqlite3_bind_int(st, 17, in->cpu_cores);
	sqlite3_bind_int(st, 18, in->gpu_count);
	sqlite3_bind_double(st, 19, in->cpu_used);
	sqlite3_bind_double(st, 20, in->mem_total);
	sqlite3_bind_double(st, 21, in->mem_avail);
	sqlite3_bind_double(st, 22, in->disk_total);
	sqlite3_bind_double(st, 23, in->disk_avail);
	sqlite3_bind_double(st, 24, in->uptime_s);
	sqlite3_bind_int64(st, 25, in->first_seen_ms);
	sqlite3_bind_int64(st, 26, in->last_seen_ms);
	if (r->n_whitelist)
		sqlite3_bind_blob(st, 27, r->whitelist, (int)(r->n_whitelist * R1_PUB_LEN),
		                  SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 27);
	return step_done(st);
}

static bool write_pipes(struct cache *c, const struct pipes_set *s)
{
	sqlite3_bind_int64(c->ws.pipe_del, 1, s->id);
	sqlite3_bind_int64(c->ws.inst_del, 1, s->id);
	if (!step_done(c->ws.pipe_del) || !step_done(c->ws.inst_del))
		return false;
	for (size_t i = 0; i < s->n_pipes; i++) {
		const struct pipe_row *p = &s->pipes[i];
		sqlite3_stmt *st = c->ws.pipe;
		sqlite3_bind_int64(st, 1, s->id);
		bind_text(st, 2, p->name);
		bind_text(st, 3, p->type);
		bind_text(st, 4, p->owner_addr);
		bind_text(st, 5, p->owner_alias);
		bind_text(st, 6, p->config);
		sqlite3_bind_int64(st, 7, s->t_ms);
		if (!step_done(st))
			return false;
	}
	for (size_t i = 0; i < s->n_insts; i++) {
		const struct inst_row *p = &s->insts[i];
		sqlite3_stmt *st = c->ws.inst;
		sqlite3_bind_int64(st, 1, s->id);
		bind_text(st, 2, p->pipeline);
		bind_text(st, 3, p->signature);
		bind_text(st, 4, p->instance_id);
		bind_text(st, 5, p->config);
		bind_text(st, 6, p->status);
		if (!step_done(st))
			return false;
	}
	return true;
}

static bool write_rows(struct cache *c, const struct batch *b)
{
	for (size_t i = 0; i < b->n_nodes; i++)
		if (!write_node(c, &b->nodes[i]))
			return false;
	for (size_t i = 0; i < b->n_samples; i++) {
		const struct sample_row *r = &b->samples[i];
		sqlite3_stmt *st = c->ws.sample;
		sqlite3_bind_int64(st, 1, r->id);
		sqlite3_bind_int64(st, 2, r->t_ms);
		sqlite3_bind_double(st, 3, r->cpu);
		sqlite3_bind_double(st, 4, r->mem);
		sqlite3_bind_double(st, 5, r->disk);
		if (!step_done(st))
			return false;
	}
	for (size_t i = 0; i < b->n_minutes; i++) {
		const struct minute_row *r = &b->minutes[i];
		sqlite3_stmt *st = c->ws.minute;
		sqlite3_bind_int64(st, 1, r->id);
		sqlite3_bind_int64(st, 2, r->minute);
		sqlite3_bind_int64(st, 3, r->n);
		sqlite3_bind_double(st, 4, r->cpu);
		sqlite3_bind_double(st, 5, r->mem);
		sqlite3_bind_double(st, 6, r->disk);
		if (!step_done(st))
			return false;
	}
	for (size_t i = 0; i < b->n_epochs; i++) {
		sqlite3_stmt *st = c->ws.epoch;
		sqlite3_bind_int64(st, 1, b->epochs[i].id);
		sqlite3_bind_int64(st, 2, b->epochs[i].epoch);
		sqlite3_bind_int(st, 3, b->epochs[i].avail);
		if (!step_done(st))
			return false;
	}
	for (size_t i = 0; i < b->n_pipes; i++)
		if (!write_pipes(c, &b->pipes[i]))
			return false;
	for (size_t i = 0; i < b->n_msgs; i++) {
		const struct msg_row *m = &b->msgs[i];
		sqlite3_stmt *st = c->ws.msg;
		sqlite3_bind_int64(st, 1, m->t_ms);
		bind_text(st, 2, m->kind == CACHE_MSG_PAYLOAD ? "payload" : "notification");
		bind_text(st, 3, m->sender);
		for (int k = 0; k < 4; k++)
			bind_text(st, 4 + k, m->path[k]);
		if (m->has_code)
			sqlite3_bind_int(st, 8, m->code);
		else
			sqlite3_bind_null(st, 8);
		bind_text(st, 9, m->text);
		bind_text(st, 10, m->body);
		if (!step_done(st))
			return false;
	}
	if (b->n_msgs) {
		sqlite3_bind_int64(c->ws.msg_trim, 1, c->opt.messages_max);
		if (!step_done(c->ws.msg_trim))
			return false;
	}
	for (size_t i = 0; i < b->n_audits; i++) {
		const struct audit_row *a = &b->audits[i];
		sqlite3_stmt *st = c->ws.audit;
		sqlite3_bind_int64(st, 1, (int64_t)(a->key & INT64_MAX));
		sqlite3_bind_int64(st, 2, a->t_ms);
		bind_text(st, 3, a->node_addr);
		bind_text(st, 4, a->node_alias);
		bind_text(st, 5, a->action);
		bind_text(st, 6, a->pipeline);
		bind_text(st, 7, a->signature);
		bind_text(st, 8, a->instance_id);
		bind_text(st, 9, a->payload);
		bind_text(st, 10, a->session);
		if (!step_done(st))
			return false;
	}
	for (size_t i = 0; i < b->n_ends; i++) {
		const struct audit_end_row *a = &b->ends[i];
		sqlite3_stmt *st = c->ws.audit_end;
		sqlite3_bind_int64(st, 1, (int64_t)(a->key & INT64_MAX));
		bind_text(st, 2, a->outcome);
		bind_text(st, 3, a->reason);
		sqlite3_bind_int64(st, 4, a->t_ms);
		if (!step_done(st))
			return false;
	}
	return true;
}

static enum r1_err prune_db(struct cache *c, sqlite3 *db, int64_t now_ms, uint64_t *pruned,
                            char **why)
{
	static const char *const sql[] = {
	    "DELETE FROM hb_samples WHERE t_ms < ?1",
	    "DELETE FROM hb_minutes WHERE minute < ?1",
	};
	int64_t cut[2] = {
	    now_ms - (int64_t)c->opt.full_res_hours * 3600 * 1000,
	    (now_ms - (int64_t)c->opt.minute_days * 86400 * 1000) / 60000,
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(sql); i++) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) != SQLITE_OK)
			return r1_fail(why, R1_ERR_DB, "cache: prune: %s", sqlite3_errmsg(db));
		sqlite3_bind_int64(st, 1, cut[i]);
		int rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return r1_fail(why, R1_ERR_DB, "cache: prune: %s", sqlite3_errmsg(db));
		*pruned += (uint64_t)sqlite3_changes(db);
	}
	return R1_OK;
}

/* Commit one batch in one transaction on the writer connection. */
static void commit_batch(struct cache *c, struct batch *b)
{
	char *why = NULL;
	bool good = db_exec(c->wdb, "BEGIN IMMEDIATE", &why) == R1_OK;
	if (good && !write_rows(c, b)) {
		good = false;
		r1_fail(&why, R1_ERR_DB, "cache: write: %s", sqlite3_errmsg(c->wdb));
	}
	if (good && db_exec(c->wdb, "COMMIT", &why) != R1_OK)
		good = false;
	if (!good)
		(void)db_exec(c->wdb, "ROLLBACK", NULL);
	uint64_t pruned = 0;
	int64_t now = r1_wall_ms();
	bool prune = good && now - c->last_prune_ms >= (int64_t)c->opt.prune_every_s * 1000;
	if (prune) {
		c->last_prune_ms = now;
		char *pwhy = NULL;
		if (prune_db(c, c->wdb, now, &pruned, &pwhy))
			set_error(c, pwhy ? pwhy : "prune failed");
		r1_free(pwhy);
	}
	pthread_mutex_lock(&c->mu);
	if (good) {
		c->stats.rows_written += b->rows;
		c->stats.batches_written++;
	} else {
		c->stats.write_errors++;
		snprintf(c->stats.last_error, sizeof(c->stats.last_error), "%s",
		         why ? why : "write failed");
	}
	c->stats.pruned_rows += pruned;
	pthread_mutex_unlock(&c->mu);
	r1_free(why);
}

static void *writer_main(void *arg)
{
	struct cache *c = arg;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->q_head && !c->stopping)
			pthread_cond_wait(&c->cv_work, &c->mu);
		if (!c->q_head && c->stopping)
			break;
		struct batch *b = c->q_head;
		c->q_head = b->next;
		if (!c->q_head)
			c->q_tail = NULL;
		pthread_mutex_unlock(&c->mu);
		commit_batch(c, b);
		pthread_mutex_lock(&c->mu);
		c->q_rows -= b->rows;
		c->seq_done = b->seq;
		pthread_cond_broadcast(&c->cv_done);
		pthread_mutex_unlock(&c->mu);
		batch_free(b);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* Hand the current batch over (or commit it inline without a thread). */
static void hand_over(struct cache *c)
{
	struct batch *b = c->cur;
	if (!b || !b->rows)
		return;
	c->cur = NULL;
	if (!c->have_thread) {
		b->seq = ++c->seq_queued;
		commit_batch(c, b);
		c->seq_done = b->seq;
		batch_free(b);
		return;
	}
	pthread_mutex_lock(&c->mu);
	b->seq = ++c->seq_queued;
	if (c->q_tail)
		c->q_tail->next = b;
	else
		c->q_head = b;
	c->q_tail = b;
	c->q_rows += b->rows;
	pthread_cond_signal(&c->cv_work);
	pthread_mutex_unlock(&c->mu);
}

/* The batch being filled, created on demand; NULL on OOM. */
static struct batch *cur_batch(struct cache *c, int64_t now_ms)
{
	if (!c->cur) {
		c->cur = r1_calloc(1, sizeof(*c->cur));
		if (!c->cur)
			return NULL;
	}
	if (!c->cur->first_ms)
		c->cur->first_ms = now_ms ? now_ms : r1_wall_ms();
	return c->cur;
}

/* Count a row in; hand the batch over when it is full. */
static void row_added(struct cache *c)
{
	c->cur->rows++;
	pthread_mutex_lock(&c->mu);
	c->stats.rows_queued++;
	pthread_mutex_unlock(&c->mu);
	if (c->cur->rows >= c->opt.flush_rows)
		hand_over(c);
}

/* Whether droppable rows (samples, messages) should be refused now. */
static bool behind(struct cache *c)
{
	pthread_mutex_lock(&c->mu);
	bool full = c->q_rows >= c->opt.max_pending_rows;
	if (full)
		c->stats.rows_dropped++;
	pthread_mutex_unlock(&c->mu);
	return full;
}

/* ---- open / close ------------------------------------------------------- */

enum r1_err cache_open(const char *path, const struct cache_options *opt, struct cache **out,
                       char **why)
{
	static const struct cache_options defaults;
	if (!opt)
		opt = &defaults;
	struct cache *c = r1_calloc(1, sizeof(*c));
	if (!c)
		return r1_fail(why, R1_ERR_NOMEM, "cache: out of memory");
	c->opt = *opt;
	c->opt.network = NULL;
	if (!c->opt.flush_ms)
		c->opt.flush_ms = 200;
	if (!c->opt.flush_rows)
		c->opt.flush_rows = 5000;
	if (!c->opt.full_res_hours)
		c->opt.full_res_hours = 24;
	if (!c->opt.minute_days)
		c->opt.minute_days = 30;
	if (!c->opt.messages_max)
		c->opt.messages_max = 10000;
	if (!c->opt.prune_every_s)
		c->opt.prune_every_s = 600;
	if (!c->opt.node_rewrite_s)
		c->opt.node_rewrite_s = 60;
	if (!c->opt.max_pending_rows)
		c->opt.max_pending_rows = 1000000;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv_work, NULL);
	pthread_cond_init(&c->cv_done, NULL);
	enum r1_err e = R1_OK;
	c->network = r1_strdup(opt->network ? opt->network : "local");
	c->path = r1_strdup(path);
	if (!c->network || !c->path) {
		e = r1_fail(why, R1_ERR_NOMEM, "cache: out of memory");
		goto fail;
	}
	if ((e = db_open(path, &c->wdb, why)))
		goto fail;
	if ((e = db_migrate(c->wdb, NULL, cache_schema, R1_ARRAY_LEN(cache_schema), why))) {
		r1_why_prefix(why, "cache %s", path);
		goto fail;
	}
	if ((e = db_open(path, &c->rdb, why)))
		goto fail;
	if ((e = stmts_prepare(c->wdb, &c->ws, why)))
		goto fail;
	c->last_prune_ms = 0;
	if (!c->opt.no_thread) {
		if (pthread_create(&c->thread, NULL, writer_main, c) != 0) {
			e = r1_fail(why, R1_ERR_IO, "cache: cannot start the writer thread");
			goto fail;
		}
		c->have_thread = true;
	}
	*out = c;
	return R1_OK;
fail:
	cache_close(&c);
	return e;
}

void cache_close(struct cache **pc)
{
	struct cache *c = *pc;
	if (!c)
		return;
	cache_detach(c);
	hand_over(c);
	if (c->have_thread) {
		pthread_mutex_lock(&c->mu);
		c->stopping = true;
		pthread_cond_signal(&c->cv_work);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thread, NULL);
	}
	batch_free(c->cur);
	stmts_finalize(&c->ws);
	db_close(&c->rdb);
	db_close(&c->wdb);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv_work);
	pthread_cond_destroy(&c->cv_done);
	r1_free(c->ns);
	r1_free(c->network);
	r1_free(c->path);
	r1_free(c);
	*pc = NULL;
}

void cache_tick(struct cache *c, int64_t now_ms)
{
	if (c->cur && c->cur->rows && now_ms - c->cur->first_ms >= (int64_t)c->opt.flush_ms)
		hand_over(c);
}

enum r1_err cache_sync(struct cache *c, char **why)
{
	pthread_mutex_lock(&c->mu);
	uint64_t errors_before = c->stats.write_errors;
	pthread_mutex_unlock(&c->mu);
	hand_over(c);
	pthread_mutex_lock(&c->mu);
	uint64_t target = c->seq_queued;
	while (c->have_thread && c->seq_done < target)
		pthread_cond_wait(&c->cv_done, &c->mu);
	bool failed = c->stats.write_errors != errors_before;
	char msg[sizeof(c->stats.last_error)];
	memcpy(msg, c->stats.last_error, sizeof(msg));
	pthread_mutex_unlock(&c->mu);
	return failed ? r1_fail(why, R1_ERR_DB, "%s", msg) : R1_OK;
}

void cache_get_stats(struct cache *c, struct cache_stats *out)
{
	pthread_mutex_lock(&c->mu);
	*out = c->stats;
	pthread_mutex_unlock(&c->mu);
}

/* ---- rows from the loop ------------------------------------------------- */

static struct node_state *state_of(struct cache *c, const struct nm_node *n)
{
	if (n->index >= c->n_ns) {
		size_t nn = c->n_ns ? c->n_ns : NODE_STATE_INIT;
		while (nn <= n->index)
			nn *= 2;
		struct node_state *g = r1_reallocarray(c->ns, nn, sizeof(*g));
		if (!g)
			return NULL;
		memset(g + c->n_ns, 0, (nn - c->n_ns) * sizeof(*g));
		c->ns = g;
		c->n_ns = nn;
	}
	return &c->ns[n->index];
}

static void add_node(struct cache *c, const struct nm_node *n, int64_t now_ms)
{
	struct batch *b = cur_batch(c, now_ms);
	struct node_row *r = b ? PUSH(b, nodes) : NULL;
	if (!r)
		return;
	r->id = cache_node_id(n->pub);
	r->info = n->info;
	if (n->n_whitelist) {
		r->whitelist = r1_memdup(n->whitelist, (size_t)n->n_whitelist * R1_PUB_LEN);
		r->n_whitelist = r->whitelist ? n->n_whitelist : 0;
	}
	struct node_state *s = state_of(c, n);
	if (s)
		s->last_write_ms = now_ms;
	row_added(c);
}

static void add_minute(struct cache *c, int64_t id, struct node_state *s, int64_t now_ms)
{
	if (!s->n)
		return;
	struct batch *b = cur_batch(c, now_ms);
	struct minute_row *m = b ? PUSH(b, minutes) : NULL;
	if (m) {
		*m = (struct minute_row){id,
		                         s->minute,
		                         s->n,
		                         s->cpu / (float)s->n,
		                         s->mem / (float)s->n,
		                         s->disk / (float)s->n};
		row_added(c);
	}
	s->n = 0;
	s->cpu = s->mem = s->disk = 0;
}

static void add_sample(struct cache *c, const struct nm_node *n, int64_t now_ms)
{
	struct node_state *s = state_of(c, n);
	if (!s)
		return;
	if (s->last_sample_ms && now_ms - s->last_sample_ms < (int64_t)c->opt.sample_every_ms)
		return;
	if (behind(c))
		return;
	int64_t id = cache_node_id(n->pub);
	int64_t minute = now_ms / 60000;
	if (s->minute != minute) {
		add_minute(c, id, s, now_ms);
		s->minute = minute;
	}
	s->n++;
	s->cpu += n->info.cpu_used;
	s->mem += n->info.mem_avail;
	s->disk += n->info.disk_avail;
	s->last_sample_ms = now_ms;
	struct batch *b = cur_batch(c, now_ms);
	struct sample_row *r = b ? PUSH(b, samples) : NULL;
	if (!r)
		return;
	*r = (struct sample_row){id, now_ms, n->info.cpu_used, n->info.mem_avail,
	                         n->info.disk_avail};
	row_added(c);
}

/* Configs and statuses are kept as compact JSON text. */
#define TEXT_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)

static void add_pipelines(struct cache *c, const struct nm_node *n, int64_t now_ms)
{
	struct batch *b = cur_batch(c, now_ms);
	struct pipes_set *s = b ? PUSH(b, pipes) : NULL;
	if (!s)
		return;
	s->id = cache_node_id(n->pub);
	s->t_ms = n->pipelines_ms;
	size_t ninst = 0;
	for (size_t i = 0; i < n->n_pipelines; i++)
		ninst += n->pipelines[i].n_instances;
	s->pipes = n->n_pipelines ? r1_calloc(n->n_pipelines, sizeof(*s->pipes)) : NULL;
	s->insts = ninst ? r1_calloc(ninst, sizeof(*s->insts)) : NULL;
	if ((n->n_pipelines && !s->pipes) || (ninst && !s->insts)) {
		b->n_pipes--; /* drop it; batch_free would see half a set */
		r1_free(s->pipes);
		r1_free(s->insts);
		return;
	}
	for (size_t i = 0; i < n->n_pipelines; i++) {
		const struct nm_pipeline *p = &n->pipelines[i];
		struct pipe_row *r = &s->pipes[s->n_pipes++];
		r->name = r1_strdup(p->name);
		r->type = r1_strdup(p->type);
		r->owner_addr = r1_strdup(p->owner_addr);
		r->owner_alias = r1_strdup(p->owner_alias);
		r->config = r1_json_dumps(p->config, TEXT_FLAGS);
		for (size_t j = 0; j < p->n_instances; j++) {
			struct inst_row *ir = &s->insts[s->n_insts++];
			ir->pipeline = r1_strdup(p->name);
			ir->signature = r1_strdup(p->instances[j].signature);
			ir->instance_id = r1_strdup(p->instances[j].instance_id);
			ir->config = r1_json_dumps(p->instances[j].config, TEXT_FLAGS);
			ir->status = r1_json_dumps(p->instances[j].status, TEXT_FLAGS);
		}
	}
	row_added(c);
}

static void add_epoch_id(struct cache *c, int64_t id, int64_t epoch, int avail)
{
	struct batch *b = cur_batch(c, 0);
	struct epoch_row *r = b ? PUSH(b, epochs) : NULL;
	if (!r)
		return;
	*r = (struct epoch_row){id, epoch, avail};
	row_added(c);
}

void cache_add_epoch(struct cache *c, const uint8_t pub[R1_PUB_LEN], int64_t epoch, int avail)
{
	if (epoch < 0 || avail < 0 || avail > 255)
		return;
	add_epoch_id(c, cache_node_id(pub), epoch, avail);
}

static char *dup_cap(const char *s, size_t max)
{
	return s ? r1_strndup(s, max) : NULL;
}

void cache_add_message(struct cache *c, const struct cache_message *m)
{
	if (behind(c))
		return;
	struct batch *b = cur_batch(c, m->t_ms);
	struct msg_row *r = b ? PUSH(b, msgs) : NULL;
	if (!r)
		return;
	r->t_ms = m->t_ms;
	r->kind = m->kind;
	r->sender = dup_cap(m->sender, 128);
	for (int k = 0; k < 4; k++)
		r->path[k] = dup_cap(m->path[k], 256);
	r->code = m->code;
	r->has_code = m->has_code;
	r->text = dup_cap(m->text, 1024);
	r->body = dup_cap(m->body, BODY_MAX);
	row_added(c);
}

uint64_t cache_audit_begin(struct cache *c, const struct cache_audit *a)
{
	uint64_t key = 0;
	while (!key) {
		random_bytes(&key, sizeof(key));
		key &= INT64_MAX;
	}
	struct batch *b = cur_batch(c, a->t_ms);
	struct audit_row *r = b ? PUSH(b, audits) : NULL;
	if (!r)
		return key;
	r->key = key;
	r->t_ms = a->t_ms;
	r->node_addr = dup_cap(a->node_addr, 128);
	r->node_alias = dup_cap(a->node_alias, 128);
	r->action = dup_cap(a->action ? a->action : "?", 64);
	r->pipeline = dup_cap(a->pipeline, 256);
	r->signature = dup_cap(a->signature, 256);
	r->instance_id = dup_cap(a->instance_id, 256);
	r->payload = dup_cap(a->payload, BODY_MAX);
	r->session = dup_cap(a->session, 128);
	row_added(c);
	return key;
}

void cache_audit_end(struct cache *c, uint64_t key, const char *outcome, const char *reason,
                     int64_t t_ms)
{
	struct batch *b = cur_batch(c, t_ms);
	struct audit_end_row *r = b ? PUSH(b, ends) : NULL;
	if (!r)
		return;
	r->key = key;
	r->t_ms = t_ms;
	r->outcome = dup_cap(outcome ? outcome : "?", 32);
	r->reason = dup_cap(reason, 1024);
	row_added(c);
}

/* ---- following the netmap ----------------------------------------------- */

static void on_event(void *ctx, const struct nm_event *ev)
{
	struct cache *c = ctx;
	const struct nm_node *n = ev->node;
	if (c->restoring || !n)
		return;
	int64_t now = n->info.last_seen_ms ? n->info.last_seen_ms : r1_wall_ms();
	switch (ev->type) {
	case NM_EV_NODE_NEW:
	case NM_EV_NODE_LOST:
		add_node(c, n, now);
		break;
	case NM_EV_NODE_CHANGED: {
		unsigned important = ev->changed & ~(unsigned)(NM_CHG_SEEN | NM_CHG_RESOURCES);
		struct node_state *s = state_of(c, n);
		if (important || !s ||
		    now - s->last_write_ms >= (int64_t)c->opt.node_rewrite_s * 1000)
			add_node(c, n, now);
		break;
	}
	case NM_EV_HEARTBEAT:
		add_sample(c, n, n->last_hb_ms);
		break;
	case NM_EV_EPOCH_CLOSED:
		add_epoch_id(c, cache_node_id(n->pub), ev->epoch, ev->avail);
		break;
	case NM_EV_PIPELINES_CHANGED:
		add_pipelines(c, n, now);
		break;
	case NM_EV_NODE_ONLINE:
	case NM_EV_ORACLE_REPORT:
		break;
	}
}

enum r1_err cache_attach(struct cache *c, struct netmap *nm)
{
	cache_detach(c);
	enum r1_err e = netmap_observe(nm, on_event, c);
	if (!e)
		c->nm = nm;
	return e;
}

void cache_detach(struct cache *c)
{
	if (c->nm) {
		/* flush the running minute averages so they are not lost */
		for (size_t i = 0; i < c->n_ns && i < netmap_count(c->nm); i++)
			add_minute(c, cache_node_id(netmap_at(c->nm, i)->pub), &c->ns[i], 0);
		netmap_unobserve(c->nm, on_event, c);
		c->nm = NULL;
	}
}

/* ---- reads -------------------------------------------------------------- */

static void col_text(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

enum r1_err cache_restore(struct cache *c, struct netmap *nm, size_t *restored, char **why)
{
	*restored = 0;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(
	        c->rdb,
	        "SELECT addr, alias, version, status, zone, r1fs_id, r1fs_relay,"
	        " comm_relay, tags, gpu_name, oracle, secured, r1fs_online, cpu_cores,"
	        " gpu_count, cpu_used, mem_total, mem_avail, disk_total, disk_avail,"
	        " uptime_s, first_seen_ms, last_seen_ms, whitelist"
	        " FROM nodes WHERE network = ?1 ORDER BY first_seen_ms, id",
	        -1, &st, NULL) != SQLITE_OK)
		return r1_fail(why, R1_ERR_DB, "cache: restore: %s", sqlite3_errmsg(c->rdb));
	bind_text(st, 1, c->network);
	c->restoring = true;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct nm_node_info in;
		memset(&in, 0, sizeof(in));
		col_text(st, 0, in.addr, sizeof(in.addr));
		col_text(st, 1, in.alias, sizeof(in.alias));
		col_text(st, 2, in.version, sizeof(in.version));
		col_text(st, 3, in.status, sizeof(in.status));
		col_text(st, 4, in.zone, sizeof(in.zone));
		col_text(st, 5, in.r1fs_id, sizeof(in.r1fs_id));
		col_text(st, 6, in.r1fs_relay, sizeof(in.r1fs_relay));
		col_text(st, 7, in.comm_relay, sizeof(in.comm_relay));
		col_text(st, 8, in.tags, sizeof(in.tags));
		col_text(st, 9, in.gpu_name, sizeof(in.gpu_name));
		in.oracle = sqlite3_column_int(st, 10) != 0;
		in.secured = sqlite3_column_int(st, 11) != 0;
		in.r1fs_online = sqlite3_column_int(st, 12) != 0;
		in.cpu_cores = (uint16_t)sqlite3_column_int(st, 13);
		in.gpu_count = (uint16_t)sqlite3_column_int(st, 14);
		in.cpu_used = (float)sqlite3_column_double(st, 15);
		in.mem_total = (float)sqlite3_column_double(st, 16);
		in.mem_avail = (float)sqlite3_column_double(st, 17);
		in.disk_total = (float)sqlite3_column_double(st, 18);
		in.disk_avail = (float)sqlite3_column_double(st, 19);
		in.uptime_s = sqlite3_column_double(st, 20);
		in.first_seen_ms = sqlite3_column_int64(st, 21);
		in.last_seen_ms = sqlite3_column_int64(st, 22);
		const void *wl = sqlite3_column_blob(st, 23);
		size_t wlen = (size_t)sqlite3_column_bytes(st, 23);
		size_t nwl = wl ? wlen / R1_PUB_LEN : 0;
		if (netmap_restore(nm, &in, (const uint8_t(*)[R1_PUB_LEN])wl, nwl, NULL, NULL) ==
		    R1_OK)
			(*restored)++;
	}
	c->restoring = false;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return r1_fail(why, R1_ERR_DB, "cache: restore: %s", sqlite3_errmsg(c->rdb));
	return R1_OK;
}

enum r1_err cache_avail(struct cache *c, const char *addr, int64_t from, int64_t to,
                        struct cache_avail_row *out, size_t max, size_t *n, char **why)
{
	*n = 0;
	bool good;
	int64_t id = addr ? addr_id(addr, &good) : 0;
	if (!addr || !good)
		return r1_fail(why, R1_ERR_INVAL, "cache: '%s' is not an address",
		               addr ? addr : "");
	if (from > to)
		return r1_fail(why, R1_ERR_INVAL,
		               "cache: epoch range %" PRId64 "..%" PRId64 " is empty", from, to);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(
	        c->rdb,
	        "SELECT epoch, avail FROM epochs WHERE node_id=?1 AND epoch BETWEEN ?2"
	        " AND ?3 ORDER BY epoch LIMIT ?4",
	        -1, &st, NULL) != SQLITE_OK)
		return r1_fail(why, R1_ERR_DB, "cache: %s", sqlite3_errmsg(c->rdb));
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_int64(st, 4, (int64_t)R1_MIN(max, (size_t)INT64_MAX));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
		out[*n].epoch = sqlite3_column_int64(st, 0);
		out[*n].avail = sqlite3_column_int(st, 1);
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return r1_fail(why, R1_ERR_DB, "cache: %s", sqlite3_errmsg(c->rdb));
	return R1_OK;
}

enum r1_err cache_samples(struct cache *c, const char *addr, int64_t from_ms, int64_t to_ms,
                          int64_t bucket_ms, struct cache_sample *out, size_t max, size_t *n,
                          char **why)
{
	*n = 0;
	bool good;
	int64_t id = addr ? addr_id(addr, &good) : 0;
	if (!addr || !good)
		return r1_fail(why, R1_ERR_INVAL, "cache: '%s' is not an address",
		               addr ? addr : "");
	if (from_ms > to_ms || bucket_ms <= 0)
		return r1_fail(why, R1_ERR_INVAL, "cache: bad sample range");
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->rdb,
	                       "SELECT t_ms / ?4, avg(cpu), avg(mem_avail), avg(disk_avail),"
	                       " count(*) FROM hb_samples WHERE node_id=?1 AND t_ms BETWEEN ?2"
	                       " AND ?3 GROUP BY t_ms / ?4 ORDER BY 1 LIMIT ?5",
	                       -1, &st, NULL) != SQLITE_OK)
		return r1_fail(why, R1_ERR_DB, "cache: %s", sqlite3_errmsg(c->rdb));
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, from_ms);
	sqlite3_bind_int64(st, 3, to_ms);
	sqlite3_bind_int64(st, 4, bucket_ms);
	sqlite3_bind_int64(st, 5, (int64_t)R1_MIN(max, (size_t)INT64_MAX));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
		struct cache_sample *r = &out[(*n)++];
		r->t_ms = sqlite3_column_int64(st, 0) * bucket_ms;
		r->cpu = sqlite3_column_double(st, 1);
		r->mem_avail = sqlite3_column_double(st, 2);
		r->disk_avail = sqlite3_column_double(st, 3);
		r->n = (uint32_t)sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return r1_fail(why, R1_ERR_DB, "cache: %s", sqlite3_errmsg(c->rdb));
	return R1_OK;
}

enum r1_err cache_audit_recent(struct cache *c, struct cache_audit_row *out, size_t max, size_t *n,
                               char **why)
{
	*n = 0;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->rdb,
	                       "SELECT id, t_ms, node_addr, action, pipeline, outcome, reason,"
	                       " done_ms FROM audit ORDER BY id DESC LIMIT ?1",
	                       -1, &st, NULL) != SQLITE_OK)
		return r1_fail(why, R1_ERR_DB, "cache: %s", sqlite3_errmsg(c->rdb));
	sqlite3_bind_int64(st, 1, (int64_t)R1_MIN(max, (size_t)INT64_MAX));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
		struct cache_audit_row *r = &out[(*n)++];
		r->id = sqlite3_column_int64(st, 0);
		r->t_ms = sqlite3_column_int64(st, 1);
		col_text(st, 2, r->node_addr, sizeof(r->node_addr));
		col_text(st, 3, r->action, sizeof(r->action));
		col_text(st, 4, r->pipeline, sizeof(r->pipeline));
		col_text(st, 5, r->outcome, sizeof(r->outcome));
		col_text(st, 6, r->reason, sizeof(r->reason));
		r->done_ms = sqlite3_column_int64(st, 7);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return r1_fail(why, R1_ERR_DB, "cache: %s", sqlite3_errmsg(c->rdb));
	return R1_OK;
}

enum r1_err cache_count(struct cache *c, const char *table, int64_t *count, char **why)
{
	const char *sql = NULL;
	for (size_t i = 0; i < R1_ARRAY_LEN(count_sql); i++)
		if (strcmp(table, count_sql[i][0]) == 0)
			sql = count_sql[i][1];
	if (!sql)
		return r1_fail(why, R1_ERR_INVAL, "cache: no table '%s'", table);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->rdb, sql, -1, &st, NULL) != SQLITE_OK)
		return r1_fail(why, R1_ERR_DB, "cache: %s", sqlite3_errmsg(c->rdb));
	int rc = sqlite3_step(st);
	*count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return r1_fail(why, R1_ERR_DB, "cache: %s", sqlite3_errmsg(c->rdb));
	return R1_OK;
}

enum r1_err cache_prune(struct cache *c, int64_t now_ms, char **why)
{
	enum r1_err e = cache_sync(c, why);
	if (e)
		return e;
	uint64_t pruned = 0;
	e = prune_db(c, c->rdb, now_ms, &pruned, why);
	pthread_mutex_lock(&c->mu);
	c->stats.pruned_rows += pruned;
	pthread_mutex_unlock(&c->mu);
	return e;
}
