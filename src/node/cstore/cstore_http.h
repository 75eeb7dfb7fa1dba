#ifndef R1_NODE_CSTORE_CSTORE_HTTP_H
#define R1_NODE_CSTORE_CSTORE_HTTP_H
/*
 * The CStore HTTP API that apps on a node use (the reference's
 * CSTORE_MANAGER_API on port 31234, reference/edge-sdk-ts.md 2.2):
 *
 *   GET  /get_status                 {"ok", "message", "keys": [], + counts}
 *   POST /set   {key, value, chainstore_peers}        true / false
 *   GET  /get?key=                                    value or null
 *   POST /hset  {hkey, key, value, chainstore_peers}  true / false
 *   GET  /hget?hkey=&key=                             value or null
 *   GET  /hgetall?hkey=                               {field: value}
 *   POST /hsync {hkey, chainstore_peers}   {hkey, source_peer, merged_fields}
 *   GET  /hkeys?hkey=                                 [field, ...] (ours)
 *
 * Extensions the official clients never send: "readonly" and "token" in
 * /set and /hset bodies, ?token= on /get, /hget and /hgetall (JSON text),
 * as chainstore_set/get take them.
 *
 * Every result is wrapped as {"result": ...} with the node's envelope
 * fields.  A write answers when its confirmations arrive (or it fails);
 * false comes with a "reason" beside the result.  Writes are owned by
 * [node address, "admin_pipeline", "CSTORE_MANAGER_API",
 * "CSTORE_MANAGER_API_INST"]; a null value deletes.  As in the reference,
 * /get_status lists no keys (the reference disabled key listing on purpose).
 */
#include "core/common.h"
#include "core/err.h"
#include "core/log.h"
#include "node/cstore/cstore.h"
#include "node/httpapi.h"

struct cstore_http;

/*
 * Serve `cs` (borrowed; must outlive the server) with cfg (port 31234 by
 * default is the caller's choice).  Errors as httpapi_new.
 */
enum r1_err cstore_http_new(struct cstore *cs, const struct httpapi_config *cfg,
                            const struct httpapi_identity *id, struct r1_log *log,
                            struct cstore_http **out, char **why);
/* Pending requests are answered first (their writes are forgotten).  NULLs *ch. */
void cstore_http_free(struct cstore_http **ch);
/* The server, to drive from the loop (httpapi_fds, httpapi_run, ...). */
struct httpapi *cstore_http_server(struct cstore_http *ch);

#endif
