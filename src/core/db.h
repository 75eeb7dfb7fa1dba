#ifndef R1_CORE_DB_H
#define R1_CORE_DB_H
/*
 * SQLite helpers shared by the console cache and node.db: opening with the
 * project's settings (WAL, synchronous=NORMAL, foreign keys, busy timeout)
 * and forward-only schema migrations.
 *
 * A database used by one component (the console cache) keeps its schema
 * version in PRAGMA user_version (pass component = NULL).  node.db holds
 * the tables of several node services (pipelines, CStore, R1FS), each
 * migrated on its own: pass a component name and the version is kept in a
 * `schema_version(component, version)` table, so services evolve
 * independently.  Each step runs in its own transaction together with the
 * version bump; a failed step leaves the database at the previous version.
 */
#include "core/common.h"
#include "core/err.h"

#include <sqlite3.h>

struct db_migration {
	int version;	 /* 1, 2, 3 ... strictly increasing */
	const char *sql; /* one or more statements */
};

/* Open (creating if needed).  *db is set only on success.  R1_ERR_DB. */
enum r1_err db_open(const char *path, sqlite3 **db, char **why);
/* Close and NULL the handle (NULL is fine). */
void db_close(sqlite3 **db);

/*
 * Apply every step newer than the stored version.  A database newer than
 * the last step (made by a later r1console) is refused with R1_ERR_STATE.
 */
enum r1_err db_migrate(sqlite3 *db, const char *component, const struct db_migration *steps,
		       size_t n, char **why);

/* Run SQL with no parameters and no result rows.  R1_ERR_DB with the message. */
enum r1_err db_exec(sqlite3 *db, const char *sql, char **why);

/* Current schema version of a component (NULL = user_version); -1 on error. */
int db_schema_version(sqlite3 *db, const char *component);

#endif
