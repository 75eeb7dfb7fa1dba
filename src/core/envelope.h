#ifndef R1_CORE_ENVELOPE_H
#define R1_CORE_ENVELOPE_H
/*
 * The signature block of a Ratio1 message (protocol reference 2.2): EE_HASH,
 * EE_SIGN, EE_SENDER, SIGN_CANON_V and, when the ETH flag is on,
 * EE_ETH_SENDER / EE_ETH_SIGN ("0xBEEF", a placeholder).
 *
 * Signing hashes the canonical text (canon.h) of every top-level field but
 * EE_SIGN, EE_SENDER, EE_HASH and, with ETH on, EE_ETH_*, with
 * SIGN_CANON_V "v2" included; EE_HASH is its hex SHA-256 and EE_SIGN the
 * URL-safe base64 (padded) DER ECDSA signature of SHA-256(the 32 hash bytes).
 *
 * Verification follows the SDK's verify(): SIGN_CANON_V absent (or null)
 * tries the repr float encoder without SIGN_CANON_V ("unversioned"), then
 * the legacy encoder ("v1"); "v2" uses the repr encoder with SIGN_CANON_V;
 * "v1" the legacy encoder; anything else is refused.  An EE_HASH that is
 * empty (Python-falsy) means the signature is over the canonical bytes
 * themselves.  High-S signatures are accepted.  Every refusal says why.
 * Where the SDK is looser than this module, this module refuses (a message
 * the SDK accepts and we refuse is possible; the reverse is not meant to be):
 * EE_SIGN and EE_SENDER must be strict URL-safe base64 (Python skips stray
 * characters and takes '+' and '/'), EE_SENDER must hold a compressed key
 * (Python also takes an uncompressed one), and the parser refuses lone
 * surrogates and invalid UTF-8 even in fields that are not hashed, nesting
 * deeper than 512 and numbers longer than 4301 bytes.  When a message has
 * several faults the verdict names the first in the SDK's order, except that
 * a signature that is not DER is reported as ENVELOPE_MALFORMED where the
 * SDK says "InvalidSignature".
 */
#include "core/common.h"
#include "core/buf.h"
#include "core/canon.h"
#include "core/err.h"
#include "core/identity.h"
#include "core/jdoc.h"

#include <jansson.h>

enum envelope_status {
	ENVELOPE_OK,
	ENVELOPE_MALFORMED,             /* not an object, not JSON, EE_SIGN not base64/DER */
	ENVELOPE_MISSING_SENDER,        /* EE_SENDER absent or null */
	ENVELOPE_MISSING_SIGNATURE,     /* EE_SIGN absent or null */
	ENVELOPE_BAD_SENDER_ADDRESS,    /* EE_SENDER not a valid address */
	ENVELOPE_UNKNOWN_CANON_VERSION, /* SIGN_CANON_V neither "v1" nor "v2" */
	ENVELOPE_HASH_MISMATCH,         /* EE_HASH differs from the canonical hash */
	ENVELOPE_BAD_SIGNATURE,         /* the signature does not verify */
	ENVELOPE_NO_RESOURCES,          /* out of memory: no verdict on the message */
	ENVELOPE__COUNT
};

/* Which reconstruction of the signed text verified (the SDK's canon_path). */
enum envelope_canon {
	ENVELOPE_CANON_NONE,
	ENVELOPE_CANON_V2,
	ENVELOPE_CANON_UNVERSIONED,
	ENVELOPE_CANON_V1,
};

#define ENVELOPE_REASON_MAX 384

struct envelope_verdict {
	enum envelope_status status;
	enum envelope_canon canon;        /* set when status is ENVELOPE_OK */
	bool hashed;                      /* EE_HASH was present and checked */
	char sender[R1_ADDR_LEN + 1];     /* EE_SENDER as "0xai_...", once it parsed */
	uint8_t sender_pub[R1_PUB_LEN];   /* its compressed key, once it parsed */
	char reason[ENVELOPE_REASON_MAX]; /* why, for every refusal; "" when valid */
};

#define ENVELOPE_PUBKEY_CACHE 32

struct envelope_cached_key {
	char body[R1_ADDR_BODY_LEN]; /* address without prefix */
	bool used;
	uint8_t pub[R1_PUB_LEN];
	struct r1_pubkey pk;
};

/*
 * Working memory of the receive path, reused from message to message so that
 * verification stops allocating once it has seen its largest message, plus a
 * small cache of parsed sender keys (decompressing a key costs about a tenth
 * of a signature check).  One per thread; embed it and call init/release.
 */
struct envelope_ctx {
	struct jdoc *doc;
	struct buf canon;
	struct canon_scratch scratch;
	struct envelope_cached_key keys[ENVELOPE_PUBKEY_CACHE];
};

/* R1_ERR_NOMEM only. */
enum r1_err envelope_ctx_init(struct envelope_ctx *ctx, char **why);
void envelope_ctx_release(struct envelope_ctx *ctx);

/*
 * Verify a parsed message (an object node of any jdoc).  `eth_enabled` is
 * this verifier's ETH flag: when off, EE_ETH_* fields are hashed like data.
 * Fills *out and returns out->status.
 */
enum envelope_status envelope_verify(struct envelope_ctx *ctx, const struct jdoc_node *msg,
                                     bool eth_enabled, struct envelope_verdict *out);

/*
 * Parse `len` bytes of wire text into the context's document (default jdoc
 * limits: 2 MB, depth 512) and verify it.  JSON errors give
 * ENVELOPE_MALFORMED with the parser's reason.  On return the parsed message
 * stays readable through envelope_ctx_message() until the next call.
 */
enum envelope_status envelope_verify_wire(struct envelope_ctx *ctx, const char *wire, size_t len,
                                          bool eth_enabled, struct envelope_verdict *out);
/* The root of the last envelope_verify_wire() parse, or NULL. */
const struct jdoc_node *envelope_ctx_message(const struct envelope_ctx *ctx);

/* "valid", "hash mismatch", ...: short names for people; never NULL. */
const char *envelope_status_name(enum envelope_status s);
/* "v2", "unversioned", "v1", or "none". */
const char *envelope_canon_name(enum envelope_canon c);

/*
 * Sign a message: `msg` (a JSON object, not modified) with SIGN_CANON_V set
 * to "v2" (whatever it held), any previous EE_SIGN/EE_SENDER/EE_HASH (and,
 * with ETH on, EE_ETH_*) replaced, hashed and signed by `id`.  Appends the
 * compact wire text (members in their order, raw UTF-8, Python's float
 * text; the signature block last) to `wire`.  When `signed_msg` is not NULL
 * it receives a new reference to the signed message as a jansson object.
 * Errors: R1_ERR_INVAL (not an object), R1_ERR_NOMEM, R1_ERR_CRYPTO.
 */
enum r1_err envelope_sign(const json_t *msg, const struct r1_identity *id, bool eth_enabled,
                          struct buf *wire, json_t **signed_msg, char **why);

/*
 * The same for a parsed message, which keeps integers of any size and every
 * number's value (NaN and Infinity are written as null, which is how they are
 * hashed anyway).  Repeated keys are written as they came.
 */
enum r1_err envelope_sign_jdoc(const struct jdoc_node *msg, const struct r1_identity *id,
                               bool eth_enabled, struct buf *wire, char **why);

#endif
