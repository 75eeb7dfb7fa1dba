#ifndef R1_NODE_DELTA_H
#define R1_NODE_DELTA_H
/*
 * Applying a config delta, as the reference does
 * (config_manager.py::_apply_delta_to_config): each top-level key of the
 * delta replaces the key of the config (a PLUGINS list replaces the whole
 * list); a key containing dots, "A.B.C", sets config["A"]["B"]["C"],
 * creating the missing objects on the way.  Keys in `ignore` are skipped.
 *
 * All or nothing: the result is a new object; the config is never touched,
 * so a caller swaps it in only when every key applied.
 */
#include "core/common.h"
#include "core/err.h"

#include <jansson.h>

/*
 * *out = `config` (an object) with `delta` (an object) applied: a new,
 * independent object (values are copied, nothing is shared with either
 * argument).  `ignore` is a NULL-terminated list of keys or NULL.  Errors:
 * R1_ERR_INVAL (not objects; a dotted key crossing a value that is not an
 * object; an empty path segment), R1_ERR_NOMEM.
 */
enum r1_err delta_apply(const json_t *config, const json_t *delta, const char *const *ignore,
                        json_t **out, char **why);

#endif
