/*
 * Pipelines in node.db (see pipestore.h).  Config text is written with
 * jansson's compact dump (any valid JSON reads back to the same values; the
 * text itself is never hashed) and read back with size and depth bounds.
 */
#include "node/lib.h"
#include "node/pipestore.h"
#include "core/db.h"
#include "core/proto.h"

static const struct db_migration steps[] = {
    {1, "CREATE TABLE pipelines("
        " name TEXT PRIMARY KEY,"
        " config TEXT NOT NULL,"
        " updated_at INTEGER NOT NULL);"
        "CREATE TABLE pipelines_archived("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " name TEXT NOT NULL,"
        " config TEXT NOT NULL,"
        " archived_at INTEGER NOT NULL);"},
};

struct pipestore {
	sqlite3 *db;
};

struct pipestore *pipestore_open(sqlite3 *db, char **why)
{
	if (db_migrate(db, "pipelines", steps, R1_ARRAY_LEN(steps), why))
		return NULL;
	struct pipestore *ps = r1_calloc(1, sizeof(*ps));
	if (!ps) {
		r1_fail(why, R1_ERR_NOMEM, "pipestore: out of memory");
		return NULL;
	}
	ps->db = db;
	return ps;
}

void pipestore_free(struct pipestore **ps)
{
	r1_free(*ps);
	*ps = NULL;
}

static enum r1_err dberr(struct pipestore *ps, char **why, const char *what)
{
	return r1_fail(why, R1_ERR_DB, "pipestore %s: %s", what, sqlite3_errmsg(ps->db));
}

static const char *config_name(const json_t *config)
{
	return json_string_value(json_object_get(config, K_NAME));
}

/* One statement with bound text parameters; no rows. */
static enum r1_err run(struct pipestore *ps, const char *sql, const char *a, const char *b,
                       char **why)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(ps->db, sql, -1, &st, NULL) != SQLITE_OK)
		return dberr(ps, why, "prepare");
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? R1_OK : dberr(ps, why, "write");
}

static enum r1_err put_one(struct pipestore *ps, const json_t *config, char **why)
{
	const char *name = config_name(config);
	if (!json_is_object(config) || !name || !*name)
		return r1_fail(why, R1_ERR_INVAL, "pipestore: config without a NAME");
	char *text = json_dumps(config, JSON_COMPACT);
	if (!text)
		return r1_fail(why, R1_ERR_NOMEM, "pipestore: cannot serialise '%s'", name);
	enum r1_err e = run(ps,
	                    "INSERT INTO pipelines(name, config, updated_at) VALUES (?1, ?2, ?3)"
	                    " ON CONFLICT(name) DO UPDATE SET config = excluded.config,"
	                    " updated_at = excluded.updated_at",
	                    name, text, why);
	free(text);
	return e;
}

enum r1_err pipestore_put(struct pipestore *ps, const json_t *config, char **why)
{
	return put_one(ps, config, why);
}

enum r1_err pipestore_put_many(struct pipestore *ps, json_t *const *configs, size_t n, char **why)
{
	if (db_exec(ps->db, "BEGIN IMMEDIATE", why))
		return R1_ERR_DB;
	for (size_t i = 0; i < n; i++) {
		enum r1_err e = put_one(ps, configs[i], why);
		if (e) {
			db_exec(ps->db, "ROLLBACK", NULL);
			return e;
		}
	}
	if (db_exec(ps->db, "COMMIT", why)) {
		db_exec(ps->db, "ROLLBACK", NULL);
		return R1_ERR_DB;
	}
	return R1_OK;
}

enum r1_err pipestore_delete(struct pipestore *ps, const char *name, char **why)
{
	return run(ps, "DELETE FROM pipelines WHERE name = ?1", name, NULL, why);
}

enum r1_err pipestore_archive(struct pipestore *ps, const json_t *config, char **why)
{
	const char *name = config_name(config);
	if (!json_is_object(config) || !name)
		return r1_fail(why, R1_ERR_INVAL, "pipestore: config without a NAME");
	char *text = json_dumps(config, JSON_COMPACT);
	if (!text)
		return r1_fail(why, R1_ERR_NOMEM, "pipestore: cannot serialise '%s'", name);
	enum r1_err e = db_exec(ps->db, "BEGIN IMMEDIATE", why) ? R1_ERR_DB : R1_OK;
	if (!e)
		e = run(ps,
		        "INSERT INTO pipelines_archived(name, config, archived_at)"
		        " VALUES (?1, ?2, ?3)",
		        name, text, why);
	if (!e)
		e = pipestore_delete(ps, name, why);
	if (!e && db_exec(ps->db, "COMMIT", why))
		e = R1_ERR_DB;
	if (e)
		db_exec(ps->db, "ROLLBACK", NULL);
	free(text);
	return e;
}

#define PIPESTORE_MAX_CONFIG (R1_MAX_MESSAGE_LEN * 4)

static json_t *parse_config(const unsigned char *text, int len)
{
	if (!text || len <= 0 || (size_t)len > PIPESTORE_MAX_CONFIG)
		return NULL;
	json_error_t jerr;
	json_t *v = json_loadb((const char *)text, (size_t)len, 0, &jerr);
	if (!json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

enum r1_err pipestore_load_all(struct pipestore *ps, json_t **out, size_t *bad, char **why)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(ps->db, "SELECT name, config FROM pipelines ORDER BY name", -1, &st,
	                       NULL) != SQLITE_OK)
		return dberr(ps, why, "prepare");
	json_t *arr = json_array();
	size_t nbad = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *c = parse_config(sqlite3_column_text(st, 1), sqlite3_column_bytes(st, 1));
		const char *name = (const char *)sqlite3_column_text(st, 0);
		if (!c || !name || !config_name(c) || strcmp(config_name(c), name) != 0) {
			json_decref(c);
			nbad++;
			continue;
		}
		if (json_array_append_new(arr, c)) {
			sqlite3_finalize(st);
			json_decref(arr);
			return r1_fail(why, R1_ERR_NOMEM, "pipestore: out of memory");
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || !arr) {
		json_decref(arr);
		return dberr(ps, why, "read");
	}
	if (bad)
		*bad = nbad;
	*out = arr;
	return R1_OK;
}

enum r1_err pipestore_get(struct pipestore *ps, const char *name, json_t **out, char **why)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(ps->db, "SELECT config FROM pipelines WHERE name = ?1", -1, &st,
	                       NULL) != SQLITE_OK)
		return dberr(ps, why, "prepare");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	json_t *c = NULL;
	if (rc == SQLITE_ROW)
		c = parse_config(sqlite3_column_text(st, 0), sqlite3_column_bytes(st, 0));
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return r1_fail(why, R1_ERR_NOTFOUND, "pipeline '%s' not stored", name);
	if (rc != SQLITE_ROW)
		return dberr(ps, why, "read");
	if (!c)
		return r1_fail(why, R1_ERR_INVAL, "pipeline '%s': stored config unreadable", name);
	*out = c;
	return R1_OK;
}

enum r1_err pipestore_archived(struct pipestore *ps, json_t **out, char **why)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(
	        ps->db, "SELECT name, archived_at, config FROM pipelines_archived ORDER BY id", -1,
	        &st, NULL) != SQLITE_OK)
		return dberr(ps, why, "prepare");
	json_t *arr = json_array();
	while (arr && sqlite3_step(st) == SQLITE_ROW) {
		json_t *c = parse_config(sqlite3_column_text(st, 2), sqlite3_column_bytes(st, 2));
		json_t *row =
		    json_pack("{s:s,s:I,s:o}", K_NAME, (const char *)sqlite3_column_text(st, 0),
		              "ARCHIVED_AT", (json_int_t)sqlite3_column_int64(st, 1), "CONFIG",
		              c ? c : json_null());
		if (!row || json_array_append_new(arr, row)) {
			json_decref(arr);
			arr = NULL;
		}
	}
	sqlite3_finalize(st);
	if (!arr)
		return r1_fail(why, R1_ERR_NOMEM, "pipestore: out of memory");
	*out = arr;
	return R1_OK;
}
