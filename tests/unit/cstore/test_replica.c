/*
 * The replica: memory index, hash groups, write-through to SQLite and
 * reload, failure paths leaving everything as it was.
 */
#include "node/lib.h"
#include "node/cstore/replica.h"
#include "node/cstore/hkey.h"
#include "core/db.h"
#include "tests/tap.h"

static struct replica_put rec(const char *key, const char *value)
{
	struct replica_put p = {
	    .key = key, .value = value, .owner = "[\"o\",null,null,null]", .updated_us = 7};
	return p;
}

static bool count_fn(void *ctx, const struct replica_record *r)
{
	(*(size_t *)ctx)++;
	return true;
}

static bool stop_fn(void *ctx, const struct replica_record *r)
{
	(*(size_t *)ctx)++;
	return false;
}

static char *composed(const char *hkey, const char *field)
{
	struct buf b = BUF_INIT;
	hkey_compose(hkey, strlen(hkey), field, strlen(field), &b, NULL);
	return buf_detach(&b, NULL);
}

int main(void)
{
	char *why = NULL;
	struct replica *r = NULL;

	/* memory-only replica, degenerate cases first */
	is_int(replica_open(NULL, &r, &why), R1_OK, "a memory-only replica opens");
	is_int((int)replica_count(r), 0, "it is empty");
	ok(replica_get(r, "missing") == NULL, "get of a missing key is NULL");
	ok(replica_group_first(r, "hs:0000000000:") == NULL, "an unknown group is empty");
	is_int(replica_delete(r, "missing", &why), R1_OK, "deleting a missing key is fine");
	struct replica_put bad = {.key = "k"};
	is_int(replica_put(r, &bad, NULL, &why), R1_ERR_INVAL, "a record without value is refused");

	struct replica_put p = rec("k1", "1");
	struct replica_record *out = NULL;
	is_int(replica_put(r, &p, &out, &why), R1_OK, "put k1");
	ok(out && strcmp(out->value, "1") == 0, "the stored record is returned");
	const char *peers[] = {"0xai_A", "0xai_B"};
	is_int(replica_set_peers(out, peers, 2, &why), R1_OK, "peers set");
	p.value = "\"two\"";
	p.token = "\"t\"";
	p.readonly = true;
	is_int(replica_put(r, &p, &out, &why), R1_OK, "replace k1");
	is_str(replica_get(r, "k1")->value, "\"two\"", "the new value is visible");
	is_str(replica_get(r, "k1")->token, "\"t\"", "with its token");
	ok(replica_get(r, "k1")->readonly, "and readonly");
	is_int((int)replica_get(r, "k1")->npeers, 0, "a replaced record drops the peer list");
	is_int((int)replica_count(r), 1, "still one record");

	/* many keys: growth and backward-shift deletion keep every key reachable */
	char key[32], val[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		snprintf(val, sizeof(val), "%d", i);
		struct replica_put q = rec(key, val);
		if (replica_put(r, &q, NULL, &why))
			break;
	}
	is_int((int)replica_count(r), 5001, "5000 more keys");
	for (int i = 0; i < 5000; i += 2) {
		snprintf(key, sizeof(key), "key-%d", i);
		replica_delete(r, key, NULL);
	}
	int missing = 0, wrong = 0;
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		const struct replica_record *x = replica_get(r, key);
		if (i % 2 == 0) {
			wrong += x != NULL;
		} else {
			snprintf(val, sizeof(val), "%d", i);
			missing += !x || strcmp(x->value, val) != 0;
		}
	}
	is_int(missing, 0, "every remaining key is found with its value");
	is_int(wrong, 0, "no deleted key is found");
	size_t n = 0;
	replica_foreach(r, "key-1", count_fn, &n);
	is_int((int)n, 556, "foreach with a prefix visits only matching keys (key-1, key-1x, ...)");
	n = 0;
	replica_foreach(r, NULL, stop_fn, &n);
	is_int((int)n, 1, "foreach stops when told");
	replica_free(&r);
	ok(r == NULL, "free NULLs the pointer");

	/* SQLite: write-through and reload */
	char path[512];
	snprintf(path, sizeof(path), "%s/node.db", tap_tmpdir());
	sqlite3 *db = NULL;
	is_int(db_open(path, &db, &why), R1_OK, "node.db opens");
	is_int(replica_open(db, &r, &why), R1_OK, "a replica over node.db");
	is_int(db_schema_version(db, "cstore"), 1, "the cstore component is migrated");
	char *f1 = composed("players", "alice"), *f2 = composed("players", "bob");
	char *f3 = composed("other", "x");
	const char *prefix_players = "hs:afc0d772a2:";
	struct replica_put a = rec(f1, "{\"hp\":10}");
	a.writer = "0xai_W";
	a.stamp_us = 123;
	a.confirms = -1;
	struct replica_put b2 = rec(f2, "[1,2]");
	struct replica_put c = rec(f3, "true");
	struct replica_put plain = rec("plain", "\"v\"");
	ok(!replica_put(r, &a, NULL, NULL) && !replica_put(r, &b2, NULL, NULL) &&
	       !replica_put(r, &c, NULL, NULL) && !replica_put(r, &plain, NULL, NULL),
	   "four records stored");
	is_int((int)replica_group_count(r, prefix_players), 2, "two fields in players");
	const struct replica_record *g = replica_group_first(r, prefix_players);
	ok(g && strcmp(g->key, f1) == 0 && g->gnext && strcmp(g->gnext->key, f2) == 0 &&
	       !g->gnext->gnext,
	   "the group lists alice then bob");
	is_int(replica_name_hash(r, prefix_players, "players", &why), R1_OK, "name a hash");
	is_str(replica_hash_name(r, prefix_players), "players", "the name is known");
	ok(replica_hash_name(r, "hs:0123456789:") == NULL, "an unknown hash has no name");
	is_int(replica_name_hash(r, "nope", "x", &why), R1_ERR_INVAL, "a bad prefix is refused");
	struct replica_record *m = replica_get_mut(r, f1);
	m->confirms = 3;
	is_int(replica_save_confirms(r, m, &why), R1_OK, "confirmations saved");
	is_int(replica_delete(r, f2, &why), R1_OK, "delete bob");
	is_int((int)replica_group_count(r, prefix_players), 1, "one field left");

	/* a batch */
	is_int(replica_begin(r, &why), R1_OK, "begin");
	struct replica_put d = rec("batch1", "1"), e2 = rec("batch2", "2");
	replica_put(r, &d, NULL, NULL);
	replica_put(r, &e2, NULL, NULL);
	is_int(replica_commit(r, &why), R1_OK, "commit");
	replica_free(&r);

	is_int(replica_open(db, &r, &why), R1_OK, "reopen over the same file");
	is_int((int)replica_count(r), 5, "five records come back");
	const struct replica_record *x = replica_get(r, f1);
	ok(x && strcmp(x->value, "{\"hp\":10}") == 0 && x->confirms == 3 && x->stamp_us == 123 &&
	       x->writer && strcmp(x->writer, "0xai_W") == 0 && x->updated_us == 7,
	   "alice's record is complete");
	ok(replica_get(r, f2) == NULL, "bob stays deleted");
	is_str(replica_hash_name(r, prefix_players), "players", "the hash name is persisted");
	is_int((int)replica_group_count(r, prefix_players), 1, "the group is rebuilt");
	ok(replica_get(r, "batch2") != NULL, "the batch was committed");

	/* a rollback leaves the disk as it was; reload makes memory agree */
	is_int(replica_begin(r, &why), R1_OK, "begin again");
	struct replica_put z = rec("rolled", "0");
	replica_put(r, &z, NULL, NULL);
	replica_rollback(r);
	is_int(replica_reload(r, &why), R1_OK, "reload");
	ok(replica_get(r, "rolled") == NULL, "the rolled back record is gone");
	is_int((int)replica_count(r), 5, "the rest is there");

	/* allocation failures leave memory and disk unchanged */
	int nomem = 0, ok_after = 0;
	for (long k = 0; k < 12; k++) {
		struct replica_put y = rec("fault", "\"x\"");
		y.token = "\"t\"";
		y.writer = "w";
		r1_alloc_fail_after(k);
		enum r1_err err = replica_put(r, &y, NULL, NULL);
		r1_alloc_fail_after(-1);
		if (err == R1_ERR_NOMEM) {
			nomem++;
			if (replica_get(r, "fault"))
				ok_after = -100;
		} else if (err == R1_OK) {
			ok_after++;
			replica_delete(r, "fault", NULL);
		}
	}
	ok(nomem > 0, "some injected failures hit (%d)", nomem);
	ok(ok_after > 0, "and later ones succeed");
	replica_free(&r);
	is_int(replica_open(db, &r, &why), R1_OK, "reopen");
	ok(replica_get(r, "fault") == NULL, "no failed put reached the disk");
	replica_free(&r);
	db_close(&db);
	r1_free(f1);
	r1_free(f2);
	r1_free(f3);
	r1_free(why);
	return tap_done();
}
