#ifndef R1_NODE_ALLOWLIST_H
#define R1_NODE_ALLOWLIST_H
/*
 * The node's allow list: the `authorized_addrs` file in the reference's
 * format, one entry per line,
 *
 *     <address with or without 0xai_>  <alias>  # <eth address>
 *
 * `#` starts a comment; lines whose first word starts with `#` are kept as
 * they are.  As the SDK does on load (bc/base.py::_load_and_maybe_create_
 * allowed): an invalid address gets its line commented out with
 * " # INVALID: <reason>", and a valid line with fewer than three words gets
 * " # <eth address>" appended; either change rewrites the file (temp file
 * and rename, so a crash never leaves half a file).
 *
 * The list is what heartbeats publish as EE_WHITELIST (addresses without
 * prefix) and what command acceptance checks.  allowlist_refresh() re-reads
 * the file when its size, mtime or inode changed, so an operator's edit (or
 * `allow add` from another process) takes effect without a restart.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/identity.h"

struct allow_entry {
	char addr[R1_ADDR_LEN + 1]; /* always with the 0xai_ prefix */
	char alias[64];             /* "" when the line has none */
};

/*
 * Parse file text (no side effects).  On success *entries (r1_malloc'd,
 * may be NULL when *n == 0) holds the valid entries in file order without
 * duplicates, `rewrite` (when not NULL) receives the text the file should
 * hold and *needs_rewrite says whether it differs in substance.  Errors:
 * R1_ERR_NOMEM.
 */
enum r1_err allowlist_parse(const char *text, size_t len, struct allow_entry **entries, size_t *n,
                            struct buf *rewrite, bool *needs_rewrite, char **why);

struct allowlist;

/*
 * Load `path`, creating an empty file if there is none.  Returns NULL and
 * sets *why on failure (R1_ERR_IO reading or writing the file, NOMEM).
 */
struct allowlist *allowlist_open(const char *path, char **why);
void allowlist_free(struct allowlist **al);

/*
 * Re-read the file if it changed on disk.  Returns R1_OK (and *changed)
 * or R1_ERR_IO; on error the previous list stays in force.
 */
enum r1_err allowlist_refresh(struct allowlist *al, bool *changed, char **why);
/* Re-read unconditionally (SIGHUP). */
enum r1_err allowlist_reload(struct allowlist *al, char **why);

/*
 * Add an address (any prefix) with an optional alias and write the file.
 * *added is false when it was already there.  Errors: R1_ERR_INVAL (not an
 * address), R1_ERR_IO, R1_ERR_NOMEM.
 */
enum r1_err allowlist_add(struct allowlist *al, const char *addr, const char *alias, bool *added,
                          char **why);

/* Whether addr (any prefix) is in the list. */
bool allowlist_contains(const struct allowlist *al, const char *addr);
size_t allowlist_count(const struct allowlist *al);
/* Entry i (0 <= i < count); the pointer is valid until the next refresh. */
const struct allow_entry *allowlist_entry(const struct allowlist *al, size_t i);
const char *allowlist_path(const struct allowlist *al);

#endif
