#ifndef R1_NODE_R1FS_R1FS_HTTP_H
#define R1_NODE_R1FS_R1FS_HTTP_H
/*
 * The R1FS HTTP API that apps on a node use (the reference's
 * R1FS_MANAGER_API on port 31235; reference/edge-sdk-ts.md 2.3 lists what
 * the official TypeScript client sends and expects):
 *
 *   GET  /get_status                         the store: {"ID", "AgentVersion", ...}
 *   POST /add_file  multipart: "file" + "body" JSON {filename, secret, nonce}
 *                                            {"message": "File uploaded successfully", "cid"}
 *   GET  /get_file?cid=&secret=              the decrypted file, application/octet-stream,
 *                                            x-meta: {"file", "filename"}; 404 when it cannot
 *   POST /add_file_base64 {file_base64_str, filename, secret, nonce}   {"cid"}
 *   POST /get_file_base64 {cid, secret}      {"file_base64_str", "filename"} (or "error")
 *   POST /add_json, /add_yaml {data, fn, secret, nonce}                {"cid"}
 *   POST /calculate_json_cid {data, nonce, fn, secret}                 {"cid"} (nothing stored)
 *   GET  /get_yaml?cid=&secret=              {"file_data": ...} (or "error")
 *   POST /delete_file {cid, unpin_remote, run_gc, cleanup_local_files}
 *                                            {"success", "message", "cid"}
 *   POST /delete_files {cids, unpin_remote, run_gc_after_all, ...}
 *                                            {"success": [...], "failed": [...], counts}
 *   POST /add_pickle, /calculate_pickle_cid  500: a pickle needs Python
 *
 * and, ours, for `r1console r1fs` and tools (the official clients never
 * call them): GET /list_pins, POST /pin {cid}, POST /unpin {cid}, POST /gc
 * {grace}, GET /stat?cid=, GET /ls?cid=, GET /cat?cid= (the stored, still
 * encrypted bytes), GET /store_stat, GET /transfers, GET /peers.
 *
 * Uploads stream to a temporary file in tmp_dir as they arrive; downloads
 * are restored there and sent from the open file.  Every store operation
 * runs on the API's own worker threads (two), so a get that waits for
 * blocks from peers never holds the loop.  Everything else runs on the
 * loop thread.
 */
#include "core/common.h"
#include "core/err.h"
#include "core/log.h"
#include "node/httpapi.h"

#include <jansson.h>

struct r1fs;
struct r1fs_http;

/* Who the node is, for the envelope of every response (all may be NULL). */
struct r1fs_http_identity {
	struct httpapi_identity node;
	const char *store; /* "builtin" or "ipfs" */
};

/* What the owner adds; every callback may be NULL. */
struct r1fs_http_env {
	void *ctx;
	void (*pins_changed)(void *ctx); /* an add, pin, unpin or gc through the API */
	json_t *(*transfers)(void *ctx); /* a new array for /transfers */
	json_t *(*peers)(void *ctx);     /* a new array for /peers */
	json_t *(*status)(void *ctx);    /* a new object merged into /get_status */
};

/*
 * Serve `fs` (borrowed; must outlive the server).  tmp_dir is created and
 * emptied of leftovers.  Errors as httpapi_new, R1_ERR_IO (tmp_dir, the
 * worker threads).
 */
enum r1_err r1fs_http_new(struct r1fs *fs, const struct httpapi_config *cfg,
                          const struct r1fs_http_identity *id, const char *tmp_dir,
                          const struct r1fs_http_env *env, struct r1_log *log,
                          struct r1fs_http **out, char **why);
/*
 * Stop: pending requests are dropped, the workers joined (a worker waiting
 * for peers must be released first: free the exchange before).  NULLs *h.
 */
void r1fs_http_free(struct r1fs_http **h);
uint16_t r1fs_http_port(const struct r1fs_http *h);

#endif
