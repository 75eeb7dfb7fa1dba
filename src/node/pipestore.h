#ifndef R1_NODE_PIPESTORE_H
#define R1_NODE_PIPESTORE_H
/*
 * Pipelines persisted in node.db.  Each pipeline is one row holding its
 * whole config as JSON text, so every change is one statement (or one
 * transaction for archive and batch writes): a kill -9 in the middle of an
 * update leaves either the old or the new config, never a mix.  Archived
 * pipelines (ARCHIVE_CONFIG) are kept in their own table with the time of
 * archiving, as the reference keeps archived_streams/.
 *
 * The schema is the "pipelines" component of node.db (db_migrate).  The
 * store borrows the sqlite3 handle; the node owns it.
 */
#include "core/common.h"
#include "core/err.h"

#include <jansson.h>
#include <sqlite3.h>

struct pipestore;

/* Migrate and prepare.  Errors: R1_ERR_DB, R1_ERR_STATE (newer schema), NOMEM. */
struct pipestore *pipestore_open(sqlite3 *db, char **why);
void pipestore_free(struct pipestore **ps);

/* Insert or replace one pipeline (config must have a string NAME).  R1_ERR_DB, INVAL. */
enum r1_err pipestore_put(struct pipestore *ps, const json_t *config, char **why);
/* Several in one transaction (all or none).  R1_ERR_DB, INVAL. */
enum r1_err pipestore_put_many(struct pipestore *ps, json_t *const *configs, size_t n, char **why);
/* Delete; deleting a missing pipeline is not an error.  R1_ERR_DB. */
enum r1_err pipestore_delete(struct pipestore *ps, const char *name, char **why);
/* Copy to the archive and delete, in one transaction.  R1_ERR_DB, INVAL. */
enum r1_err pipestore_archive(struct pipestore *ps, const json_t *config, char **why);

/*
 * Every stored pipeline, ordered by name, as a new JSON array.  Rows whose
 * text is not a JSON object are skipped and counted in *bad (may be NULL).
 * Errors: R1_ERR_DB, R1_ERR_NOMEM.
 */
enum r1_err pipestore_load_all(struct pipestore *ps, json_t **out, size_t *bad, char **why);
/* One pipeline (a new reference) or NULL with R1_ERR_NOTFOUND. */
enum r1_err pipestore_get(struct pipestore *ps, const char *name, json_t **out, char **why);
/* Archived configs, oldest first: [{"NAME","ARCHIVED_AT","CONFIG"}].  R1_ERR_DB, NOMEM. */
enum r1_err pipestore_archived(struct pipestore *ps, json_t **out, char **why);

#endif
