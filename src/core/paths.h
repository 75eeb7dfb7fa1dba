#ifndef R1_CORE_PATHS_H
#define R1_CORE_PATHS_H
/*
 * Where r1console keeps its files, following the XDG base directories:
 *
 *   config  $XDG_CONFIG_HOME/r1console   (~/.config/r1console)    config
 *   data    $XDG_DATA_HOME/r1console     (~/.local/share/r1console)
 *             client/e2.pem              the user's identity
 *             nodes/<alias>/             a node's directory (e2.pem,
 *                                        authorized_addrs, node.db, r1fs/)
 *   state   $XDG_STATE_HOME/r1console    (~/.local/state/r1console)
 *             cache.db                   the console cache
 *
 * An XDG variable that is unset, empty or relative is ignored, as the
 * specification says.  Nothing here creates a directory except
 * paths_mkdir_p; building a path never touches the disk.
 */
#include "core/common.h"
#include "core/err.h"

#include <sys/types.h>

struct r1_paths {
	char *config_dir; /* absolute, no trailing slash */
	char *data_dir;
	char *state_dir;
};

/* Lookup of an environment variable; NULL means getenv. */
typedef const char *(*paths_env_fn)(void *ctx, const char *name);

/*
 * Fill `p` from the environment.  R1_ERR_NOTFOUND when neither the XDG
 * variable nor an absolute $HOME is available, R1_ERR_NOMEM.  On failure
 * `p` holds nothing to release.
 */
enum r1_err paths_init(struct r1_paths *p, paths_env_fn env, void *env_ctx, char **why);
void paths_release(struct r1_paths *p);

/* The paths below are malloc'd (free with r1_free); NULL only on OOM. */
char *paths_config_file(const struct r1_paths *p);
char *paths_cache_db(const struct r1_paths *p);
char *paths_user_identity(const struct r1_paths *p);
char *paths_nodes_dir(const struct r1_paths *p);

/*
 * The directory of the node called `alias`: data/nodes/<alias>.  The alias
 * must be a plain name (1..64 bytes of letters, digits, '-', '_', '.', not
 * starting with '.'), so it can never climb out of nodes/.  R1_ERR_INVAL.
 */
enum r1_err paths_node_dir(const struct r1_paths *p, const char *alias, char **out, char **why);

/* Whether `alias` is acceptable as a node directory name (see above). */
bool paths_alias_ok(const char *alias);

/* "dir/name" in a new string (r1_free); no second '/' when dir ends with one.  NULL on OOM. */
char *paths_join(const char *dir, const char *name);

/*
 * rm -rf: remove path and, when it is a directory, everything below it,
 * without following symbolic links.  For our own scratch trees; what cannot
 * be removed is left, silently (it was scratch).
 */
void paths_remove_tree(const char *path);

/* mkdir -p with `mode` for the directories it creates.  R1_ERR_IO. */
enum r1_err paths_mkdir_p(const char *dir, mode_t mode, char **why);
/* mkdir -p of the directory that holds `file`.  R1_ERR_IO, R1_ERR_NOMEM. */
enum r1_err paths_mkdir_parent(const char *file, mode_t mode, char **why);

/*
 * Write `len` bytes to `path` atomically: a temporary file in the same
 * directory, fsync, rename over `path`, fsync of the directory.  The new
 * file gets `mode`.  A crash leaves either the old or the new content.
 * R1_ERR_IO.
 */
enum r1_err paths_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                               char **why);

/*
 * Read a whole file of at most `max` bytes (NUL-terminated; *len may be
 * NULL).  R1_ERR_NOTFOUND if it does not exist, R1_ERR_TOOBIG, R1_ERR_IO.
 */
enum r1_err paths_read_file(const char *path, size_t max, char **out, size_t *len, char **why);

#endif
