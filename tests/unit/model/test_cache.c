/*
 * cache: schema migrations, batching (rows reach the file only when a batch
 * is full, old enough, or synced), the netmap attachment, restore as stale,
 * retention of samples and the message ring, epochs, pipelines and the
 * audit log.
 */
#include "core/lib.h"
#include "core/cache.h"
#include "core/db.h"
#include "core/netmap.h"
#include "tests/tap.h"

static const char *const K0 = "0xai_AmksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8";
static const char *const K1 = "0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN";
static const char *const K2 = "0xai_A-4c9iEg0NInyQDnMeifin2zlWtlIAb8cTjc3bnyjs_r";

static int64_t count(struct cache *c, const char *table)
{
	int64_t n = -1;
	char *why = NULL;
	if (cache_count(c, table, &n, &why))
		tap_diag("count %s: %s", table, why);
	r1_free(why);
	return n;
}

static struct netmap *make_map(void)
{
	struct netmap_options o = {.self_addr = K0};
	struct netmap *nm = NULL;
	if (netmap_new(&o, &nm, NULL))
		tap_bail("netmap_new");
	return nm;
}

static json_t *heartbeat(const char *alias, double cpu)
{
	return json_pack("{s:s,s:s,s:b,s:[s],s:f,s:f,s:f,s:i}", "EE_ID", alias, "VERSION",
	                 "2.10.370 | x", "SECURED", 1, "EE_WHITELIST", K0 + 5, "CPU_USED", cpu,
	                 "AVAILABLE_MEMORY", 8.0, "AVAILABLE_DISK", 100.0, "CPU_NR_CORES", 4);
}

static void test_open(const char *dir)
{
	char path[600];
	char *why = NULL;
	struct cache *c = NULL;
	snprintf(path, sizeof(path), "%s/missing/dir/cache.db", dir);
	is_int(cache_open(path, NULL, &c, &why), R1_ERR_DB, "open in a missing directory fails");
	ok(c == NULL && why && strstr(why, "missing"), "reason: %s", why);

	snprintf(path, sizeof(path), "%s/v.db", dir);
	is_int(cache_open(path, NULL, &c, &why), R1_OK, "open creates the cache");
	cache_close(&c);
	ok(c == NULL, "close NULLs");
	sqlite3 *db = NULL;
	db_open(path, &db, NULL);
	is_int(db_schema_version(db, NULL), 1, "user_version after migration");
	char *mode = NULL;
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		mode = r1_strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	is_str(mode, "wal", "WAL journal");
	r1_free(mode);
	static const char *const tables[] = {"fleet_nodes",        "fleet_groups",  "fleet_tags",
	                                     "fleet_notes",        "deploy_drafts", "deploy_jobs",
	                                     "deploy_job_targets", "alert_rules",   "alert_events"};
	for (size_t i = 0; i < R1_ARRAY_LEN(tables); i++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		is_int(db_exec(db, sql, NULL), R1_OK, "table %s exists for the next stages",
		       tables[i]);
	}
	db_exec(db, "PRAGMA user_version = 99", NULL);
	db_close(&db);
	is_int(cache_open(path, NULL, &c, &why), R1_ERR_STATE, "a newer cache is refused");
	ok(why && strstr(why, "newer"), "reason: %s", why);
	is_int(cache_open(path, NULL, &c, &why), R1_ERR_STATE, "still refused");
	r1_free(why);
}

static void test_batching(const char *dir)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/b.db", dir);
	struct cache_options o = {.flush_rows = 10, .flush_ms = 500};
	struct cache *c = NULL;
	char *why = NULL;
	is_int(cache_open(path, &o, &c, &why), R1_OK, "open with small batches");
	struct netmap *nm = make_map();
	is_int(cache_attach(c, nm), R1_OK, "attach");
	json_t *hb = heartbeat("a", 10);
	int64_t t = 1800000000000;
	/* one node: NEW (node row) + sample; then samples */
	netmap_on_heartbeat(nm, K1, hb, t, 0, &why);
	for (int i = 1; i < 4; i++)
		netmap_on_heartbeat(nm, K1, hb, t + i * 10000, 0, &why);
	is_int(count(c, "hb_samples"), 0, "nothing written before the batch is due");
	cache_tick(c, t + 100);
	is_int(cache_sync(c, &why) == R1_OK && 1, 1, "sync");
	is_int(count(c, "hb_samples"), 4, "sync commits the pending batch");
	is_int(count(c, "nodes"), 1, "node row");

	/* the row count triggers a hand-over; tick by age */
	for (int i = 4; i < 14; i++)
		netmap_on_heartbeat(nm, K1, hb, t + i * 10000, 0, &why);
	struct cache_stats st;
	cache_get_stats(c, &st);
	ok(st.rows_queued >= 15, "rows queued: %" PRIu64, st.rows_queued);
	/* a full batch is handed over without a tick; wait for the writer */
	for (int spin = 0; spin < 500 && count(c, "hb_samples") <= 4; spin++)
		usleep(10000);
	int64_t mid = count(c, "hb_samples");
	ok(mid > 4 && mid < 14, "a full batch was written without a tick (%" PRId64 ")", mid);
	cache_tick(c, 0); /* the rest is too young to hand over */
	usleep(50000);
	is_int(count(c, "hb_samples"), mid, "a young batch waits");
	cache_tick(c, INT64_MAX / 2);
	cache_sync(c, NULL);
	is_int(count(c, "hb_samples"), 14, "an old batch goes on tick");
	cache_get_stats(c, &st);
	is_int(st.write_errors, 0, "no write errors");
	ok(st.batches_written >= 3, "several batches");

	/* sample spacing: with sample_every_ms only one sample per window */
	cache_close(&c);
	netmap_free(&nm);
	json_decref(hb);
	r1_free(why);
}

static void test_restore_and_rows(const char *dir)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/r.db", dir);
	struct cache_options o = {.network = "lab", .messages_max = 5};
	struct cache *c = NULL;
	char *why = NULL;
	is_int(cache_open(path, &o, &c, &why), R1_OK, "open");
	struct netmap *nm = make_map();
	cache_attach(c, nm);
	int64_t t = 1800000000000;
	json_t *hb = heartbeat("node-one", 25.5);
	netmap_on_heartbeat(nm, K1, hb, t, 0, &why);
	json_decref(hb);
	hb = heartbeat("oracle", 1);
	json_object_set_new(hb, "EE_IS_SUPER", json_true());
	json_object_set_new(hb, "EE_WHITELIST", json_array());
	netmap_on_heartbeat(nm, K2, hb, t + 5, 0, &why);
	json_decref(hb);
	/* pipelines from NetConfig */
	json_t *nc =
	    json_pack("{s:s,s:[{s:s,s:s,s:[{s:s,s:[{s:s},{s:s}]}]}],s:[]}", "OP", "SET_CONFIG",
	              "PIPELINES", "NAME", "app", "TYPE", "Void", "PLUGINS", "SIGNATURE", "S1",
	              "INSTANCES", "INSTANCE_ID", "a", "INSTANCE_ID", "b", "PLUGIN_STATUSES");
	is_int(netmap_on_netconfig(nm, K1, nc, t + 10, &why), R1_OK, "netconfig");
	json_decref(nc);
	/* messages: a ring of 5 */
	for (int i = 0; i < 8; i++) {
		struct cache_message m = {.kind =
		                              i % 2 ? CACHE_MSG_NOTIFICATION : CACHE_MSG_PAYLOAD,
		                          .t_ms = t + i,
		                          .sender = K1,
		                          .path = {"node-one", "app", "S1", "a"},
		                          .code = 1,
		                          .has_code = i % 2,
		                          .text = "PIPELINE_OK",
		                          .body = "{\"x\":1}"};
		cache_add_message(c, &m);
	}
	uint8_t pub1[R1_PUB_LEN];
	netmap_addr_key(K1, strlen(K1), pub1);
	cache_add_epoch(c, pub1, 10, 200);
	cache_add_epoch(c, pub1, 11, 255);
	cache_add_epoch(c, pub1, 12, 0);
	cache_add_epoch(c, pub1, 13, 999); /* refused */
	struct cache_audit a = {.t_ms = t,
	                        .node_addr = K1,
	                        .node_alias = "node-one",
	                        .action = "RESTART",
	                        .session = "r1console"};
	uint64_t key = cache_audit_begin(c, &a);
	ok(key != 0, "audit key");
	a.action = "ARCHIVE_CONFIG";
	a.pipeline = "app";
	uint64_t key2 = cache_audit_begin(c, &a);
	cache_audit_end(c, key, "timeout", "Transaction timeout (10s)", t + 10000);
	cache_audit_end(c, key2, "ok", NULL, t + 20);
	is_int(cache_sync(c, &why), R1_OK, "sync");
	is_int(count(c, "nodes"), 2, "two nodes");
	is_int(count(c, "pipelines"), 1, "one pipeline");
	is_int(count(c, "instances"), 2, "two instances");
	is_int(count(c, "messages"), 5, "message ring trimmed to 5");
	is_int(count(c, "epochs"), 3, "three epochs (a bad value refused)");
	is_int(count(c, "audit"), 2, "two audit rows");
	struct cache_audit_row ar[4];
	size_t n = 0;
	is_int(cache_audit_recent(c, ar, 4, &n, &why), R1_OK, "audit read");
	is_int(n, 2, "two rows");
	is_str(ar[0].action, "ARCHIVE_CONFIG", "newest first");
	is_str(ar[0].outcome, "ok", "outcome ok");
	is_str(ar[1].outcome, "timeout", "outcome timeout");
	is_str(ar[1].reason, "Transaction timeout (10s)", "reason kept");
	is_int(ar[1].done_ms, t + 10000, "done time");
	struct cache_avail_row av[8];
	is_int(cache_avail(c, K1, 11, 20, av, 8, &n, &why), R1_OK, "avail query");
	ok(n == 2 && av[0].epoch == 11 && av[0].avail == 255 && av[1].avail == 0, "avail rows");
	is_int(cache_avail(c, "nope", 0, 1, av, 8, &n, &why), R1_ERR_INVAL, "avail bad address");
	is_int(cache_avail(c, K1, 5, 1, av, 8, &n, &why), R1_ERR_INVAL, "avail empty range");
	int64_t dummy;
	is_int(cache_count(c, "sqlite_master; DROP", &dummy, &why), R1_ERR_INVAL,
	       "count refuses unknown table names");
	cache_close(&c);
	netmap_free(&nm);

	/* reopen: the network comes back, stale, before anything is heard */
	is_int(cache_open(path, &o, &c, &why), R1_OK, "reopen");
	nm = make_map();
	size_t restored = 0;
	is_int(cache_restore(c, nm, &restored, &why), R1_OK, "restore");
	is_int(restored, 2, "two nodes restored");
	const struct nm_node *n1 = netmap_find_addr(nm, K1);
	ok(n1 && n1->stale && !n1->online, "restored node stale and offline");
	is_str(n1->info.alias, "node-one", "alias restored");
	ok(n1->info.cpu_used == 25.5f && n1->info.cpu_cores == 4, "resources restored");
	ok(n1->info.secured && n1->peered, "whitelist restored: peered");
	const struct nm_node *n2 = netmap_find_addr(nm, K2);
	ok(n2 && n2->info.oracle && !n2->peered, "oracle flag restored, not peered");
	is_int(n1->info.last_seen_ms, t, "last seen restored");
	cache_close(&c);
	netmap_free(&nm);

	/* another network's cache is separate */
	struct cache_options o2 = {.network = "other"};
	is_int(cache_open(path, &o2, &c, &why), R1_OK, "open as another network");
	nm = make_map();
	cache_restore(c, nm, &restored, &why);
	is_int(restored, 0, "nothing from another network");
	cache_close(&c);
	netmap_free(&nm);
	r1_free(why);
}

static void test_retention(const char *dir)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/p.db", dir);
	struct cache_options o = {.full_res_hours = 1, .minute_days = 1, .no_thread = true};
	struct cache *c = NULL;
	char *why = NULL;
	is_int(cache_open(path, &o, &c, &why), R1_OK, "open without a thread");
	struct netmap *nm = make_map();
	cache_attach(c, nm);
	json_t *hb = heartbeat("x", 10);
	int64_t day = 86400000;
	int64_t t = 1800000000000;
	/* samples two days ago, two hours ago, and now: 10 s apart, across minutes */
	int64_t starts[3] = {t - 2 * day, t - 2 * 3600000, t - 60000};
	for (int s = 0; s < 3; s++)
		for (int i = 0; i < 12; i++) {
			json_object_set_new(hb, "CPU_USED", json_real(10 + i));
			netmap_on_heartbeat(nm, K1, hb, starts[s] + i * 10000, 0, &why);
		}
	cache_detach(c); /* flushes running minutes */
	is_int(cache_sync(c, &why), R1_OK, "sync inline");
	is_int(count(c, "hb_samples"), 36, "36 samples");
	int64_t minutes = count(c, "hb_minutes");
	ok(minutes >= 6, "minute rows: %" PRId64, minutes);
	is_int(cache_prune(c, t, &why), R1_OK, "prune");
	is_int(count(c, "hb_samples"), 12, "samples older than an hour pruned");
	int64_t left = count(c, "hb_minutes");
	ok(left > 0 && left < minutes, "minute rows older than a day pruned (%" PRId64 " left)",
	   left);
	struct cache_stats st;
	cache_get_stats(c, &st);
	ok(st.pruned_rows >= 24, "pruned counted");
	cache_close(&c);
	netmap_free(&nm);
	json_decref(hb);

	/* the average of a minute: samples 10..15 in one minute average 12.5 */
	sqlite3 *db = NULL;
	db_open(path, &db, NULL);
	sqlite3_stmt *q = NULL;
	sqlite3_prepare_v2(db, "SELECT n, cpu FROM hb_minutes ORDER BY minute LIMIT 1", -1, &q,
	                   NULL);
	ok(sqlite3_step(q) == SQLITE_ROW, "a minute row");
	int mn = sqlite3_column_int(q, 0);
	double avg = sqlite3_column_double(q, 1);
	sqlite3_finalize(q);
	db_close(&db);
	ok(mn >= 1 && mn <= 6, "samples in the first minute: %d", mn);
	ok(avg >= 10 && avg <= 16, "minute average in range: %f", avg);
	r1_free(why);
}

int main(void)
{
	r1_alloc_setup_jansson();
	const char *dir = tap_tmpdir();
	test_open(dir);
	test_batching(dir);
	test_restore_and_rows(dir);
	test_retention(dir);
	return tap_done();
}
