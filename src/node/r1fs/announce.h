#ifndef R1_NODE_R1FS_ANNOUNCE_H
#define R1_NODE_R1FS_ANNOUNCE_H
/*
 * R1FS_ANNOUNCE: what a node tells the network about its R1FS, in clear on
 * <root>/payloads (an R1FS_MANAGER payload's R1FS_DATA):
 *
 *   {"op": "R1FS_ANNOUNCE", "v": 1, "store": "builtin"|"ipfs", "pins": N,
 *    "used": bytes, "quota": bytes (0 = none),
 *    "bloom": base64, "bloom_k": k,
 *    "recent": [[CID, size, created], ...], "hello": true (optional)}
 *
 * The bloom filter holds the digest of every pinned CID, so a node that
 * looks for a DAG asks the peers whose filter has its root first; a false
 * positive costs one R1FS_NONE.  Bounded whatever the node holds: 10 bits
 * per pin rounded up to a power of two, between 2 Kibit and 256 Kibit
 * (32 KiB), k = 7; past ~26,000 pins the false positives rise, which only
 * costs extra questions.  "recent" lists the newest pins (at most 32), for
 * the console; names are not announced (they are what the encryption
 * hides).  "hello" marks the announcements of a node that just started:
 * peers answer with theirs, so it knows whom to ask without waiting a
 * whole period.  The console parses these too (the :r1fs view).
 */
#include "core/common.h"
#include "core/err.h"
#include "node/r1fs/cid.h"

#include <jansson.h>

#define ANNOUNCE_RECENT_MAX    32
#define ANNOUNCE_BLOOM_MIN     256u   /* bytes */
#define ANNOUNCE_BLOOM_MAX     32768u /* bytes */
#define ANNOUNCE_BLOOM_K       7u
#define ANNOUNCE_BLOOM_K_MAX   16u
#define ANNOUNCE_STORE_BUILTIN "builtin"
#define ANNOUNCE_STORE_IPFS    "ipfs"

struct announce_pin {
	char cid[R1FS_CID_TEXT_MAX];
	uint64_t size;
	int64_t created;
};

struct announce {
	int version;
	char store[16];
	uint64_t pins, used, quota;
	uint8_t *bloom; /* r1_malloc'd; NULL when the node sent none */
	size_t bloom_len;
	unsigned bloom_k;
	struct announce_pin recent[ANNOUNCE_RECENT_MAX];
	size_t nrecent;
	bool hello;
};

/* A filter sized for n pins (zeroed): its byte length. */
size_t announce_bloom_size(uint64_t n);
void announce_bloom_add(uint8_t *bloom, size_t len, unsigned k, const struct r1fs_cid *cid);
bool announce_bloom_has(const uint8_t *bloom, size_t len, unsigned k, const struct r1fs_cid *cid);

/* Might the announcing node hold this DAG?  False when it sent no filter. */
bool announce_has(const struct announce *a, const struct r1fs_cid *cid);

/*
 * Parse an R1FS_ANNOUNCE object into *out (release with announce_release).
 * Bounds: a filter of a power-of-two length within the limits above,
 * 1 <= k <= 16, at most 32 recent entries (extra ones are ignored), CIDs
 * that parse.  R1_ERR_PROTO with the reason, R1_ERR_NOMEM.
 */
enum r1_err announce_parse(const json_t *data, struct announce *out, char **why);
void announce_release(struct announce *a);

/*
 * Build one (a new object; NULL on OOM): pins are the node's pins, oldest
 * first (the newest 32 become "recent").
 */
struct r1fs_pin;
json_t *announce_build(const char *store, const struct r1fs_pin *pins, size_t npins, uint64_t used,
                       uint64_t quota, bool hello);

#endif
