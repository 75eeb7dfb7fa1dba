#ifndef R1_NODE_CSTORE_HKEY_H
#define R1_NODE_CSTORE_HKEY_H
/*
 * The reference's hash namespaces over flat CStore keys.  A field of hash
 * `hkey` is stored under the flat key
 *
 *     "hs:" + sha256(utf8(hkey)).hexdigest()[:10] + ":" + urlsafe_b64(utf8(field))
 *
 * with the '=' padding Python's base64.urlsafe_b64encode writes, so an empty
 * field is "hs:xxxxxxxxxx:" and every node, ours or the reference's, finds
 * the same record.  Names must be valid UTF-8 (Python strings are; the
 * reference cannot encode anything else).
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/err.h"

#define HKEY_PREFIX_LEN 14 /* "hs:" + 10 hex + ":" */

/* The namespace prefix of hkey into out (NUL-terminated).  R1_ERR_INVAL if not UTF-8. */
enum r1_err hkey_prefix(const char *hkey, size_t len, char out[HKEY_PREFIX_LEN + 1], char **why);

/* Append the composed key of (hkey, field) to out.  R1_ERR_INVAL if not UTF-8, NOMEM. */
enum r1_err hkey_compose(const char *hkey, size_t hkey_len, const char *field, size_t field_len,
                         struct buf *out, char **why);

/* Does a flat key look like a composed one ("hs:" + 10 lowercase hex + ":")? */
bool hkey_is_composed(const char *key, size_t len);

/*
 * The field name of a composed key (the part after the prefix, decoded),
 * appended to out.  R1_ERR_INVAL when the key is not composed, the field
 * is not URL-safe base64 or does not decode to UTF-8, NOMEM.
 */
enum r1_err hkey_field(const char *key, size_t len, struct buf *out, char **why);

#endif
