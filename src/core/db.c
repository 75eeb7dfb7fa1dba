/*
 * Opening SQLite databases and migrating their schemas (see db.h).  Only
 * bound parameters reach SQL built here; component names are bound too.
 */
#include "core/db.h"

enum r1_err db_open(const char *path, sqlite3 **out, char **why)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
						    SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		enum r1_err e = r1_fail(why, R1_ERR_DB, "open %s: %s", path,
					db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return e;
	}
	sqlite3_busy_timeout(db, 5000);
	sqlite3_extended_result_codes(db, 1);
	enum r1_err e = db_exec(db,
				"PRAGMA journal_mode=WAL;"
				"PRAGMA synchronous=NORMAL;"
				"PRAGMA foreign_keys=ON;",
				why);
	if (e) {
		r1_why_prefix(why, "open %s", path);
		sqlite3_close(db);
		return e;
	}
	*out = db;
	return R1_OK;
}

void db_close(sqlite3 **db)
{
	if (*db) {
		sqlite3_close_v2(*db);
		*db = NULL;
	}
}

enum r1_err db_exec(sqlite3 *db, const char *sql, char **why)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		enum r1_err e = r1_fail(why, R1_ERR_DB, "%s", err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return e;
	}
	return R1_OK;
}

static enum r1_err ensure_version_table(sqlite3 *db, char **why)
{
	return db_exec(db,
		       "CREATE TABLE IF NOT EXISTS schema_version("
		       " component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
		       why);
}

int db_schema_version(sqlite3 *db, const char *component)
{
	sqlite3_stmt *st = NULL;
	int version = -1;
	if (!component) {
		if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		return version;
	}
	if (ensure_version_table(db, NULL))
		return -1;
	if (sqlite3_prepare_v2(db, "SELECT version FROM schema_version WHERE component = ?1", -1,
			       &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, component, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	else if (rc == SQLITE_DONE)
		version = 0;
	sqlite3_finalize(st);
	return version;
}

static enum r1_err set_version(sqlite3 *db, const char *component, int version, char **why)
{
	if (!component) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
		return db_exec(db, sql, why);
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO schema_version(component, version) VALUES (?1, ?2)"
			       " ON CONFLICT(component) DO UPDATE SET version = excluded.version",
			       -1, &st, NULL) != SQLITE_OK)
		return r1_fail(why, R1_ERR_DB, "%s", sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, component, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, version);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return r1_fail(why, R1_ERR_DB, "%s", sqlite3_errmsg(db));
	return R1_OK;
}

enum r1_err db_migrate(sqlite3 *db, const char *component, const struct db_migration *steps,
		       size_t n, char **why)
{
	const char *name = component ? component : "database";
	int current = db_schema_version(db, component);
	if (current < 0)
		return r1_fail(why, R1_ERR_DB, "%s: cannot read schema version: %s", name,
			       sqlite3_errmsg(db));
	int latest = n ? steps[n - 1].version : 0;
	if (current > latest)
		return r1_fail(why, R1_ERR_STATE,
			       "%s: schema version %d is newer than this program knows (%d)",
			       name, current, latest);
	for (size_t i = 0; i < n; i++) {
		if (steps[i].version <= current)
			continue;
		enum r1_err e = db_exec(db, "BEGIN IMMEDIATE", why);
		if (!e)
			e = db_exec(db, steps[i].sql, why);
		if (!e)
			e = set_version(db, component, steps[i].version, why);
		if (!e)
			e = db_exec(db, "COMMIT", why);
		if (e) {
			db_exec(db, "ROLLBACK", NULL);
			r1_why_prefix(why, "%s: migration to version %d", name, steps[i].version);
			return e;
		}
		current = steps[i].version;
	}
	return R1_OK;
}
