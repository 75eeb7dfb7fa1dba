#ifndef R1_NODE_R1FS_MULTIPART_H
#define R1_NODE_R1FS_MULTIPART_H
/*
 * A streaming multipart/form-data parser (RFC 7578) for uploads of any
 * size: bytes are fed in pieces as the server receives them, and each
 * part's content is handed on as it is found, never held whole.  What the
 * official TypeScript client's form-data and undici send parses, with any
 * boundary; a part's headers are read for its name, file name and content
 * type only.
 *
 * Bounds: a boundary of at most 200 bytes, a part's headers at most
 * 16 KiB, at most 64 parts; anything after the closing delimiter is
 * ignored (the epilogue).  Errors are R1_ERR_PROTO with a reason, or the
 * callbacks' own.
 */
#include "core/common.h"
#include "core/err.h"

#define MULTIPART_BOUNDARY_MAX 200
#define MULTIPART_HEADERS_MAX  (16u * 1024u)
#define MULTIPART_PARTS_MAX    64

struct multipart;

/* One part's headers; strings valid during the begin callback. */
struct multipart_part {
	const char *name;         /* Content-Disposition name ("" when absent) */
	const char *filename;     /* its filename, or NULL when not a file */
	const char *content_type; /* NULL when absent */
};

struct multipart_cb {
	void *ctx;
	enum r1_err (*begin)(void *ctx, const struct multipart_part *part, char **why);
	enum r1_err (*data)(void *ctx, const char *data, size_t len, char **why);
	enum r1_err (*end)(void *ctx, char **why);
};

/*
 * The boundary of a Content-Type "multipart/form-data; boundary=..."
 * (quoted or not), into out.  R1_ERR_INVAL when the type is another or
 * the boundary is missing, empty or too long.
 */
enum r1_err multipart_boundary(const char *content_type, char out[MULTIPART_BOUNDARY_MAX + 1],
                               char **why);

/* A parser for one body.  NULL on OOM.  cb is copied. */
struct multipart *multipart_new(const char *boundary, const struct multipart_cb *cb);
void multipart_free(struct multipart **m);

/* Feed the next len bytes of the body. */
enum r1_err multipart_feed(struct multipart *m, const char *data, size_t len, char **why);
/* The body ended: R1_ERR_PROTO unless the closing delimiter was seen. */
enum r1_err multipart_finish(struct multipart *m, char **why);

#endif
