#ifndef R1_NODE_R1FS_YAML_H
#define R1_NODE_R1FS_YAML_H
/*
 * The YAML that R1FS's add_yaml/get_yaml need: JSON-like data (mappings,
 * sequences, strings, integers, floats, booleans, null) written the way
 * PyYAML's yaml.dump writes it by default, and read back.  Not a general
 * YAML implementation.
 *
 * Writer (yaml.dump defaults): block style, mapping keys sorted, sequences
 * inside a mapping not indented ("key:\n- a"), two-space indentation,
 * empty collections as {} and [], null/true/false, floats as PyYAML's repr
 * (1.0e+16, .inf, .nan), a top-level scalar followed by "...".  Strings are
 * plain when nothing could read them as another type, single-quoted when
 * printable ASCII, else double-quoted with \x, \u and \U escapes.  It does
 * not fold long lines (PyYAML does past 80 columns; both read the same).
 *
 * Reader subset: block mappings and sequences (indented or not), flow
 * collections on one line ([a, b], {k: v}), plain, single-quoted and
 * double-quoted scalars on one line, comments, a leading "---" and a
 * trailing "...".  Plain scalars resolve as YAML 1.1 does in PyYAML:
 * null (~, null, Null, NULL, empty), booleans (true/false, yes/no, on/off in
 * three casings), decimal integers, floats with a '.' (and .inf/.nan);
 * anything else is a string.  Mapping keys are always read as strings.
 * Refused with a reason: anchors and aliases, tags, block scalars (| and >),
 * multi-line scalars, complex keys, several documents.
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"
#include "node/r1fs/pytree.h"

/* Append the YAML text of v to out.  R1_ERR_NOMEM. */
enum r1_err r1fs_yaml_emit(const struct pytree *v, struct buf *out, char **why);

/*
 * Parse a document into a tree (free with pytree_free).  R1_ERR_INVAL with
 * the line number for anything outside the subset, R1_ERR_NOMEM.
 */
enum r1_err r1fs_yaml_parse(const char *text, size_t len, struct pytree **out, char **why);

#endif
