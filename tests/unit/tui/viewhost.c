/*
 * The fixed network's hosted nodes (see viewhost.h): real CStore, compute
 * and R1FS engines put into the model as hosts, with clocks and runners of
 * the test's, and compute job payloads built by the real ChainDist
 * machine.
 */
#include "tui/lib.h"
#include "tests/unit/tui/viewhost.h"
#include "tests/unit/tui/viewfix.h"
#include "core/proto.h"
#include "node/compute/chaindist.h"
#include "node/compute/compute.h"
#include "node/cstore/cstore.h"
#include "node/r1fs/r1fs.h"
#include "tests/tap.h"

#include <sqlite3.h>
#include <sys/stat.h>

/* node-02 and node-01 are hosted (in this order); oracle-a is a peer outside */
enum { H02, H01, ORA, HN };

struct vh_node {
	struct viewhost *vh;
	int fixnode; /* index in viewfix's nodes */
	const char *alias;
	struct cstore *cs;
	bool online;
	const char *peers[2];
};

struct vh_msg {
	struct vh_node *from;
	char **to;
	size_t nto;
	json_t *data;
	struct vh_msg *next;
};

/* A runner that keeps its job until the fixture lets it go. */
struct holder {
	void (*work)(void *arg);
	void (*done)(void *arg);
	void *arg;
};

struct viewhost {
	struct viewfix *f;
	struct vh_node n[HN];
	struct vh_msg *head, *tail;
	uint64_t seq;
	int64_t wall_us; /* the engines' clock: set before each write */
	struct compute *compute;
	struct holder held;
	sqlite3 *db;
	struct r1fs *fs;
	json_t *r1fs_view01;
	char cid_report[R1FS_CID_TEXT_MAX];
	struct chaindist *live; /* node-02 masters it: the view reads the machine */
	struct cdrec *live_rec;
};

static struct viewhost *vh_of(struct viewfix *f)
{
	return f->vh;
}

/* ------------------------------------------------------------ CStore */

static const char *addr_of(struct vh_node *n)
{
	return n->vh->f->nodes[n->fixnode].addr;
}

static enum r1_err env_send(void *ctx, const char *const *peers, size_t n, const json_t *data,
                            char **why)
{
	(void)why;
	struct vh_node *from = ctx;
	struct viewhost *vh = from->vh;
	struct vh_msg *m = calloc(1, sizeof(*m));
	m->from = from;
	m->to = calloc(n ? n : 1, sizeof(*m->to));
	for (size_t i = 0; i < n; i++)
		m->to[i] = strdup(peers[i]);
	m->nto = n;
	m->data = json_incref((json_t *)data);
	if (vh->tail)
		vh->tail->next = m;
	else
		vh->head = m;
	vh->tail = m;
	return R1_OK;
}

static size_t env_default_peers(void *ctx, const char *const **out)
{
	struct vh_node *n = ctx;
	*out = n->peers;
	return R1_ARRAY_LEN(n->peers);
}

static bool env_trusted(void *ctx, const char *addr)
{
	struct vh_node *n = ctx;
	for (int i = 0; i < VIEWFIX_NODES; i++)
		if (addr_same(n->vh->f->nodes[i].addr, addr))
			return true;
	return false;
}

static uint64_t env_now(void *ctx)
{
	(void)ctx;
	return 1000;
}

static int64_t env_wall(void *ctx)
{
	return ((struct vh_node *)ctx)->vh->wall_us;
}

static void msg_free(struct vh_msg *m)
{
	for (size_t i = 0; i < m->nto; i++)
		free(m->to[i]);
	free(m->to);
	json_decref(m->data);
	free(m);
}

int viewhost_pump(struct viewfix *f)
{
	struct viewhost *vh = vh_of(f);
	int delivered = 0;
	while (vh->head) {
		struct vh_msg *m = vh->head;
		vh->head = m->next;
		if (!vh->head)
			vh->tail = NULL;
		for (size_t i = 0; i < m->nto; i++) {
			for (int k = 0; k < HN; k++) {
				struct vh_node *to = &vh->n[k];
				if (!to->online || !addr_same(addr_of(to), m->to[i]))
					continue;
				char hash[32];
				snprintf(hash, sizeof(hash), "h%" PRIu64, ++vh->seq);
				struct cstore_meta meta = {.sender = addr_of(m->from),
				                           .alias = m->from->alias,
				                           .hash = hash,
				                           .sent_us = vh->wall_us,
				                           .encrypted = true};
				char *why = NULL;
				if (cstore_receive(to->cs, &meta, m->data, &why))
					tap_bail("cstore_receive: %s", why ? why : "?");
				delivered++;
			}
		}
		msg_free(m);
	}
	return delivered;
}

void viewhost_set_online(struct viewfix *f, int node, bool online)
{
	struct viewhost *vh = vh_of(f);
	for (int k = 0; k < HN; k++)
		if (vh->n[k].fixnode == node)
			vh->n[k].online = online;
}

static void on_write(void *arg, enum cstore_outcome o)
{
	(void)arg;
	(void)o;
}

static void cs_write(struct viewfix *f, int node, int64_t ago_s, const char *hkey, const char *key,
                     const char *value, bool readonly)
{
	struct viewhost *vh = vh_of(f);
	vh->wall_us = (f->now_ms - ago_s * 1000) * 1000;
	struct cstore_write w = CSTORE_WRITE_INIT;
	w.readonly = readonly;
	enum cstore_outcome o;
	char *why = NULL;
	enum r1_err e =
	    hkey ? cstore_hset(vh->n[node].cs, hkey, key, value, &w, on_write, NULL, &o, NULL, &why)
	         : cstore_set(vh->n[node].cs, key, value, &w, on_write, NULL, &o, NULL, &why);
	if (e)
		tap_bail("cstore write %s: %s", key, why ? why : "?");
	viewhost_pump(f);
}

static void cstore_fixture(struct viewfix *f)
{
	struct viewhost *vh = vh_of(f);
	for (int k = 0; k < HN; k++) {
		struct vh_node *n = &vh->n[k];
		struct cstore_config cfg = {
		    .addr = addr_of(n), .alias = n->alias, .min_confirmations = 1};
		struct cstore_env env = {
		    .ctx = n,
		    .send = env_send,
		    .default_peers = env_default_peers,
		    .trusted = env_trusted,
		    .now_ms = env_now,
		    .wall_us = env_wall,
		};
		for (int i = 0, p = 0; i < HN; i++)
			if (i != k)
				n->peers[p++] = addr_of(&vh->n[i]);
		char *why = NULL;
		if (cstore_new(&cfg, &env, NULL, NULL, &n->cs, &why))
			tap_bail("cstore_new: %s", why ? why : "?");
	}
	cs_write(f, H02, 3600, NULL, "demo:ready", "true", false);
	cs_write(f, H02, 1800, "jobs", "mm-41",
	         "{\"owner\": \"node-01\", \"parts\": 2, \"done\": true}", false);
	/* oracle-a is away: its copy of the hash lacks this field */
	viewhost_set_online(f, 0, false);
	cs_write(f, H02, 95, "jobs", "mm-42", "{\"owner\": \"node-01\", \"parts\": 3}", false);
	viewhost_set_online(f, 0, true);
	cs_write(f, H02, 7200, NULL, "config:model",
	         "{\"name\": \"resnet50\", \"batch\": 32, \"lr\": 0.001, \"tags\": [\"vision\", "
	         "\"fp32\"]}",
	         true);
	cs_write(f, H01, 600, NULL, "node-01:status", "\"busy\"", false);
	cs_write(f, H02, 300, NULL, "demo:counter", "1", false);
	/* node-01 is away for the next write: the copies differ */
	viewhost_set_online(f, 1, false);
	cs_write(f, H02, 60, NULL, "demo:counter", "2", false);
	viewhost_set_online(f, 1, true);
	cs_write(f, H02, 30, NULL, VIEWFIX_EVIL_ALIAS, "\"\\u001b[31mboom\"", false);
}

/* ------------------------------------------------------------ compute */

static enum r1_err hold(void *ctx, void (*work)(void *arg), void (*done)(void *arg), void *arg,
                        char **why)
{
	struct holder *h = ctx;
	if (h->work)
		return r1_fail(why, R1_ERR_AGAIN, "busy");
	*h = (struct holder){work, done, arg};
	return R1_OK;
}

static void on_job(void *ctx, struct compute_result *res)
{
	(void)ctx;
	(void)res;
}

static void compute_fixture(struct viewfix *f)
{
	struct viewhost *vh = vh_of(f);
	struct compute_config cfg;
	compute_config_defaults(&cfg);
	cfg.threads = 2;
	cfg.job_mem_limit = UINT64_C(1) << 30;
	struct compute_runner runner = {.ctx = &vh->held, .submit = hold};
	char *why = NULL;
	if (compute_new(&cfg, &runner, NULL, &vh->compute, &why))
		tap_bail("compute_new: %s", why ? why : "?");
	struct compute_meta bench = {.owner = "bench/bench-1"};
	struct compute_meta console = {.owner = "console"};
	uint64_t id = 0;
	if (compute_submit_bench(vh->compute, &bench, 64, 1, true, true, on_job, NULL, NULL,
	                         &why) ||
	    compute_submit_bench(vh->compute, &console, 128, 2, true, false, on_job, NULL, NULL,
	                         &why) ||
	    compute_submit_bench(vh->compute, &console, 96, 1, false, true, on_job, NULL, &id,
	                         &why) ||
	    compute_cancel(vh->compute, id, &why))
		tap_bail("compute jobs: %s", why ? why : "?");
}

/* ------------------------------------------------------------ payloads */

static void payload(struct viewfix *f, int node, int64_t t, const char *pipe, const char *sig,
                    const char *inst, json_t *fields)
{
	const char *alias = node == 1 ? "node-01" : node == 2 ? "node-02" : "node-05";
	json_object_set_new(fields, K_EE_PAYLOAD_PATH,
	                    json_pack("[s,s,s,s]", alias, pipe, sig, inst));
	struct stream_msg sm = {
	    .body = fields, .sender = f->nodes[node].addr, .wire_len = 900, .verified = true};
	if (!tui_model_add(&f->m, STREAM_PAYLOADS, &sm, t))
		tap_bail("payload record");
	json_decref(fields);
}

struct cdrec {
	json_t *last;
};

static void cd_payload(void *ctx, struct chaindist *cd, json_t *fields);
static enum r1_err cd_deploy(void *ctx, struct chaindist *cd, const struct cd_part *p, char **why);

static enum r1_err cd_deploy(void *ctx, struct chaindist *cd, const struct cd_part *p, char **why)
{
	(void)ctx;
	(void)cd;
	(void)p;
	(void)why;
	return R1_OK;
}

static void cd_payload(void *ctx, struct chaindist *cd, json_t *fields)
{
	(void)cd;
	struct cdrec *r = ctx;
	json_decref(r->last);
	r->last = fields;
}

static struct cd_node candidate(struct viewfix *f, int node, const char *alias, double gflops)
{
	struct cd_node n = {.gflops = gflops, .cpu_cores = 8, .online = true, .peered = true};
	snprintf(n.addr, sizeof(n.addr), "%s", f->nodes[node].addr);
	snprintf(n.alias, sizeof(n.alias), "%s", alias);
	return n;
}

/* ChainDist jobs by the real machine, their payloads as node-01's master sends them. */
static void chaindist_fixture(struct viewfix *f)
{
	struct cdrec rec = {NULL};
	struct cd_effects fx = {.ctx = &rec, .deploy = cd_deploy, .payload = cd_payload};
	struct cd_config cfg = {.nr_remote_nodes = 3, .split_by_gflops = true};
	struct cd_node nodes[] = {candidate(f, 1, "node-01", 412.5),
	                          candidate(f, 2, "node-02", 95.3),
	                          candidate(f, 5, "node-05", 1210.4)};
	int64_t now = f->now_ms;
	char *why = NULL;
	struct chaindist *cd = NULL;

	/* mm-41: over, twenty minutes ago */
	struct cd_job done = {.kind = CD_MATMUL,
	                      .job_id = "mm-41",
	                      .rows = 2048,
	                      .bytes_per_row = 1 << 14,
	                      .fixed_bytes = 1 << 20,
	                      .flops_per_row = 1e7};
	int64_t t0 = now - 1500 * 1000;
	if (chaindist_new(&cfg, &done, &fx, t0, &cd, &why) ||
	    chaindist_set_candidates(cd, nodes, 2, &why))
		tap_bail("chaindist: %s", why ? why : "?");
	chaindist_step(cd, t0);
	for (unsigned i = 0; i < chaindist_nparts(cd); i++) {
		const struct cd_part *p = chaindist_part(cd, i);
		char node[CD_ADDR_MAX], res[64];
		snprintf(node, sizeof(node), "%s", p->node);
		snprintf(res, sizeof(res), "QmPart41x%u", i);
		chaindist_part_started(cd, i, true, NULL, t0 + 1000);
		chaindist_part_done(cd, i, node, res, t0 + 60000);
	}
	chaindist_step(cd, t0 + 61000);
	chaindist_step(cd, t0 + 62000);
	if (!rec.last)
		tap_bail("chaindist: no final payload");
	payload(f, 1, t0 + 62000, "cd-mm-41", "CHAIN_DIST_MASTER_01", "master-1",
	        json_incref(rec.last));
	chaindist_free(&cd);

	/* mm-42: running, one part moved after its node failed */
	struct cd_job run = {.kind = CD_MATMUL,
	                     .job_id = "mm-42",
	                     .rows = 4096,
	                     .bytes_per_row = 1 << 15,
	                     .fixed_bytes = 1 << 27,
	                     .flops_per_row = 3e7};
	t0 = now - 95 * 1000;
	if (chaindist_new(&cfg, &run, &fx, t0, &cd, &why) ||
	    chaindist_set_candidates(cd, nodes, 3, &why))
		tap_bail("chaindist: %s", why ? why : "?");
	chaindist_step(cd, t0);
	char node2[CD_ADDR_MAX] = "";
	for (unsigned i = 0; i < chaindist_nparts(cd); i++) {
		chaindist_part_started(cd, i, true, NULL, t0 + 2000);
		if (strcmp(chaindist_part(cd, i)->node, f->nodes[2].addr) == 0)
			snprintf(node2, sizeof(node2), "%s", f->nodes[2].addr);
	}
	chaindist_step(cd, t0 + 2000);
	for (unsigned i = 0; i < chaindist_nparts(cd); i++) {
		const struct cd_part *p = chaindist_part(cd, i);
		char node[CD_ADDR_MAX];
		snprintf(node, sizeof(node), "%s", p->node);
		if (*node2 && strcmp(node, node2) == 0)
			chaindist_part_failed(cd, i, node, "worker lost: out of memory",
			                      t0 + 30000);
		else
			chaindist_part_progress(cd, i, node, i == 0 ? 70 : 35, now - 5000);
	}
	chaindist_step(cd, now - 4000);
	json_t *st = chaindist_status_json(cd, now - 1000);
	if (!st)
		tap_bail("chaindist status");
	payload(f, 1, now - 1000, "cd-mm-42", "CHAIN_DIST_MASTER_01", "master-1", st);
	chaindist_free(&cd);
	json_decref(rec.last);

	/* mm-43: mastered by node-02, hosted: read from its machine (and its payload ignored) */
	struct viewhost *vh = vh_of(f);
	vh->live_rec = calloc(1, sizeof(*vh->live_rec));
	struct cd_effects lfx = {.ctx = vh->live_rec, .deploy = cd_deploy, .payload = cd_payload};
	struct cd_config lcfg = {.nr_remote_nodes = 2};
	struct cd_job live = {.kind = CD_SEARCH,
	                      .job_id = "vs-43",
	                      .rows = 1000,
	                      .bytes_per_row = 4096,
	                      .fixed_bytes = 1 << 24,
	                      .flops_per_row = 1e6};
	t0 = now - 20 * 1000;
	if (chaindist_new(&lcfg, &live, &lfx, t0, &vh->live, &why) ||
	    chaindist_set_candidates(vh->live, nodes, 2, &why) ||
	    compute_add_chaindist(vh->compute, vh->live, &why))
		tap_bail("chaindist: %s", why ? why : "?");
	chaindist_step(vh->live, t0);
	for (unsigned i = 0; i < chaindist_nparts(vh->live); i++) {
		char node[CD_ADDR_MAX];
		snprintf(node, sizeof(node), "%s", chaindist_part(vh->live, i)->node);
		chaindist_part_started(vh->live, i, true, NULL, t0 + 1000);
		chaindist_part_progress(vh->live, i, node, i ? 20 : 60, now - 3000);
	}
	chaindist_step(vh->live, now - 2000);
	/* an older payload of the same job: the machine's status wins */
	payload(f, 2, now - 15000, "cd-vs-43", "CHAIN_DIST_MASTER_01", "master-2",
	        json_pack("{s:s,s:s,s:f,s:s,s:[]}", "STATE", "SPLIT_INPUT", "JOB_ID", "vs-43",
	                  "PROGRESS", 0.0, "KIND", "SEARCH", "PARTS"));

	/* node-05's products (not hosted: known from its payloads only) */
	payload(f, 5, now - 40000, "mm", "MATMUL_JOB_01", "matmul-1",
	        json_pack("{s:s,s:s,s:s}", "JOB_STATE", "FAILED", "REQUEST_ID", "req-6", "ERROR",
	                  "A is 100x50 and B is 40x20: non-conforming dimensions"));
	payload(f, 5, now - 2000, "mm", "MATMUL_JOB_01", "matmul-1",
	        json_pack("{s:s,s:s,s:f}", "JOB_STATE", "RUNNING", "REQUEST_ID", "req-7",
	                  "PROGRESS", 30.0));
}

/* ------------------------------------------------------------ R1FS */

static json_t *r1fs_view01(void *ctx)
{
	return json_deep_copy(((struct viewhost *)ctx)->r1fs_view01);
}

static void add_file(struct viewhost *vh, const char *name, size_t size, int64_t nonce, char *cid)
{
	uint8_t *data = malloc(size);
	for (size_t i = 0; i < size; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 8));
	struct r1fs_add_opts o = R1FS_ADD_OPTS_INIT;
	o.nonce = nonce;
	struct r1fs_added out;
	char *why = NULL;
	if (r1fs_add_bytes(vh->fs, data, size, name, &o, &out, &why))
		tap_bail("r1fs_add_bytes: %s", why ? why : "?");
	if (cid)
		snprintf(cid, R1FS_CID_TEXT_MAX, "%s", out.cid);
	free(data);
}

static void r1fs_fixture(struct viewfix *f)
{
	struct viewhost *vh = vh_of(f);
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/node-02", tap_tmpdir());
	mkdir(dir, 0700);
	char *why = NULL;
	if (sqlite3_open(":memory:", &vh->db) != SQLITE_OK ||
	    r1fs_open(dir, vh->db, NULL, &vh->fs, &why))
		tap_bail("r1fs_open: %s", why ? why : "?");
	add_file(vh, "report.pdf", 3000, 7, vh->cid_report);
	add_file(vh, "weights.bin", 300 * 1024, 8, NULL);
	int64_t now_s = f->now_ms / 1000;
	const char *a05 = f->nodes[5].addr, *a02 = f->nodes[2].addr;
	vh->r1fs_view01 = json_pack(
	    "{s:[{s:s,s:i,s:I,s:s,s:[{s:s,s:s}]},{s:s,s:i,s:I,s:n,s:[]},{s:s,s:i,s:I,s:s,s:[]}],"
	    "s:{s:I,s:I,s:i,s:i},s:b,s:i,"
	    "s:[{s:s,s:s,s:[{s:s,s:s}],s:I,s:I,s:i,s:i,s:i,s:f,s:n},"
	    "{s:s,s:s,s:[],s:i,s:i,s:i,s:i,s:i,s:f,s:s}],"
	    "s:[{s:s,s:s,s:I,s:s,s:i,s:I,s:i,s:[]},{s:s,s:s,s:I,s:s,s:i,s:I,s:i,s:[]}]}",
	    "files", "cid", vh->cid_report, "size", 3091, "created", (json_int_t)(now_s - 3600),
	    "name", "report.pdf", "peers", "addr", a05, "alias", "node-05", "cid",
	    "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", "size", 1048576, "created",
	    (json_int_t)(now_s - 2 * 86400), "name", "peers", "cid",
	    "QmSnuWmxptJZdLJpKRarxBMS2Ju2oANVrgbr2xWbie9b2D", "size", 12, "created",
	    (json_int_t)(now_s - 60), "name", VIEWFIX_EVIL_ALIAS ".txt", "peers", "store", "used",
	    (json_int_t)1572864, "quota", (json_int_t)10737418240ll, "blocks", 9, "pins", 3,
	    "running", 1, "http_port", 31235, "transfers", "cid",
	    "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", "state", "running", "peers", "addr",
	    a05, "alias", "node-05", "bytes_done", (json_int_t)3145728, "bytes_total",
	    (json_int_t)7340032, "blocks_done", 12, "blocks_fetched", 12, "inflight", 4, "seconds",
	    2.5, "error", "cid", "QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB", "state",
	    "failed", "peers", "bytes_done", 0, "bytes_total", 0, "blocks_done", 0,
	    "blocks_fetched", 0, "inflight", 0, "seconds", 30.0, "error", "no peer has it (30 s)",
	    "peers", "addr", a05, "alias", "node-05", "seen_us",
	    (json_int_t)((f->now_ms - 5000) * 1000), "store", "builtin", "pins", 14, "used",
	    (json_int_t)52428800, "quota", 0, "recent", "addr", a02, "alias", "node-02", "seen_us",
	    (json_int_t)((f->now_ms - 8000) * 1000), "store", "builtin", "pins", 2, "used",
	    (json_int_t)311296, "quota", 0, "recent");
	if (!vh->r1fs_view01)
		tap_bail("r1fs view fixture");
}

/* ------------------------------------------------------------ hosts */

void viewhost_init(struct viewfix *f)
{
	struct viewhost *vh = calloc(1, sizeof(*vh));
	f->vh = vh;
	vh->f = f;
	vh->n[H02] = (struct vh_node){vh, 2, "node-02", NULL, true, {NULL, NULL}};
	vh->n[H01] = (struct vh_node){vh, 1, "node-01", NULL, true, {NULL, NULL}};
	vh->n[ORA] = (struct vh_node){vh, 0, "oracle-a", NULL, true, {NULL, NULL}};
	cstore_fixture(f);
	compute_fixture(f);
	r1fs_fixture(f);
	chaindist_fixture(f);
	struct tui_host h02 = {.cstore = vh->n[H02].cs, .compute = vh->compute, .r1fs = vh->fs};
	struct tui_host h01 = {
	    .cstore = vh->n[H01].cs, .r1fs_view = r1fs_view01, .r1fs_view_ctx = vh};
	snprintf(h02.alias, sizeof(h02.alias), "node-02");
	snprintf(h02.addr, sizeof(h02.addr), "%s", f->nodes[2].addr);
	snprintf(h01.alias, sizeof(h01.alias), "node-01");
	snprintf(h01.addr, sizeof(h01.addr), "%s", f->nodes[1].addr);
	if (!tui_model_add_host(&f->m, &h02) || !tui_model_add_host(&f->m, &h01))
		tap_bail("hosts");
}

void viewhost_release(struct viewfix *f)
{
	struct viewhost *vh = vh_of(f);
	if (!vh)
		return;
	tui_model_forget_hosts(&f->m);
	for (int k = 0; k < HN; k++)
		cstore_free(&vh->n[k].cs);
	while (vh->head) {
		struct vh_msg *m = vh->head;
		vh->head = m->next;
		msg_free(m);
	}
	if (vh->live) {
		compute_remove_chaindist(vh->compute, vh->live);
		chaindist_free(&vh->live);
	}
	if (vh->live_rec) {
		json_decref(vh->live_rec->last);
		free(vh->live_rec);
	}
	compute_free(&vh->compute);
	if (vh->held.work) {
		/* the runner hands the job back: the engine goes with it */
		vh->held.work(vh->held.arg);
		vh->held.done(vh->held.arg);
	}
	r1fs_free(&vh->fs);
	sqlite3_close(vh->db);
	json_decref(vh->r1fs_view01);
	free(vh);
	f->vh = NULL;
}
