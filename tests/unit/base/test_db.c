/*
 * db_open and db_migrate on real SQLite files.
 */
#include "core/lib.h"
#include "core/db.h"
#include "tests/tap.h"

static const struct db_migration steps_v2[] = {
	{1, "CREATE TABLE a(x INTEGER)"},
	{2, "ALTER TABLE a ADD COLUMN y TEXT"},
};

static const struct db_migration steps_bad[] = {
	{1, "CREATE TABLE a(x INTEGER)"},
	{2, "ALTER TABLE a ADD COLUMN y TEXT"},
	{3, "CREATE TABLE b(z); THIS IS NOT SQL"},
};

int main(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/t.db", tap_tmpdir());
	sqlite3 *db = NULL;
	char *why = NULL;
	is_int(db_open(path, &db, &why), R1_OK, "open creates the database");
	is_int(db_schema_version(db, NULL), 0, "fresh user_version is 0");
	is_int(db_schema_version(db, "r1fs"), 0, "fresh component version is 0");

	is_int(db_migrate(db, NULL, steps_v2, 2, &why), R1_OK, "migrate user_version database");
	is_int(db_schema_version(db, NULL), 2, "user_version after migration");
	is_int(db_exec(db, "INSERT INTO a(x, y) VALUES (1, 'one')", &why), R1_OK, "schema usable");
	is_int(db_migrate(db, NULL, steps_v2, 2, &why), R1_OK, "migrating again is a no-op");

	is_int(db_migrate(db, NULL, steps_bad, 3, &why), R1_ERR_DB, "a bad step fails");
	ok(why && strstr(why, "migration to version 3"), "reason names the step: %s", why);
	is_int(db_schema_version(db, NULL), 2, "failed step leaves the previous version");
	is_int(db_exec(db, "SELECT * FROM b", NULL), R1_ERR_DB, "failed step rolled back its tables");

	is_int(db_migrate(db, NULL, steps_v2, 1, &why), R1_ERR_STATE, "newer database refused");
	ok(why && strstr(why, "newer"), "reason says newer: %s", why);

	static const struct db_migration comp[] = {{1, "CREATE TABLE c1(k TEXT)"}};
	static const struct db_migration comp2[] = {{1, "CREATE TABLE c2(k TEXT)"},
						    {2, "CREATE INDEX c2k ON c2(k)"}};
	is_int(db_migrate(db, "cstore", comp, 1, &why), R1_OK, "component migration");
	is_int(db_migrate(db, "r1fs", comp2, 2, &why), R1_OK, "second component migration");
	is_int(db_schema_version(db, "cstore"), 1, "components keep separate versions (1)");
	is_int(db_schema_version(db, "r1fs"), 2, "components keep separate versions (2)");
	db_close(&db);
	ok(db == NULL, "close NULLs the handle");

	is_int(db_open("/nonexistent/dir/x.db", &db, &why), R1_ERR_DB, "open in a missing dir fails");
	ok(why && strstr(why, "/nonexistent/dir/x.db"), "reason names the path: %s", why);
	r1_free(why);
	return tap_done();
}
