#ifndef R1_NODE_R1FS_CID_H
#define R1_NODE_R1FS_CID_H
/*
 * Content identifiers as IPFS spells them, restricted to what R1FS stores:
 * SHA2-256 multihashes of dag-pb or raw blocks.  CIDv0 is the bare multihash
 * in base58btc ("Qm..."); CIDv1 is version || codec || multihash, written in
 * base32 lower case ("bafy...", "bafk...") and also read in base58btc
 * ("z...", what js-ipfs prints by default).  A struct r1fs_cid is a plain
 * value: copy it, compare it with r1fs_cid_equal.
 */
#include "core/common.h"
#include "core/err.h"

#define R1FS_CODEC_DAGPB 0x70
#define R1FS_CODEC_RAW   0x55
#define R1FS_MH_SHA2_256 0x12
#define R1FS_DIGEST_LEN  32

/* Longest text form (a CIDv1 in base32 is 59 characters) plus NUL. */
#define R1FS_CID_TEXT_MAX 64
/* Longest binary form: 0x01, codec, 0x12, 0x20, digest. */
#define R1FS_CID_BIN_MAX 36

struct r1fs_cid {
	uint8_t version; /* 0 or 1 */
	uint8_t codec;   /* R1FS_CODEC_DAGPB or R1FS_CODEC_RAW (v0 is always dag-pb) */
	uint8_t digest[R1FS_DIGEST_LEN];
};

/* The CID of a block: SHA-256 of its bytes.  A v0 CID must be dag-pb. */
void r1fs_cid_of_block(unsigned version, uint8_t codec, const void *block, size_t len,
                       struct r1fs_cid *out);

bool r1fs_cid_equal(const struct r1fs_cid *a, const struct r1fs_cid *b);

/* Text form into `out` (NUL-terminated); returns its length. */
size_t r1fs_cid_format(const struct r1fs_cid *cid, char out[R1FS_CID_TEXT_MAX]);

/*
 * Parse the text form (v0 base58btc, v1 base32 "b" or base58btc "z").
 * R1_ERR_INVAL for malformed text, a hash other than SHA2-256 or a codec
 * other than dag-pb or raw.
 */
enum r1_err r1fs_cid_parse(const char *text, struct r1fs_cid *out, char **why);

/* Binary form as dag-pb links carry it; returns the length (34 or 36). */
size_t r1fs_cid_to_bytes(const struct r1fs_cid *cid, uint8_t out[R1FS_CID_BIN_MAX]);
/* Parse the binary form of a link (same errors as r1fs_cid_parse). */
enum r1_err r1fs_cid_from_bytes(const uint8_t *p, size_t len, struct r1fs_cid *out, char **why);

/* Lowercase hex of the digest (64 characters + NUL): the block's file name. */
void r1fs_digest_hex(const uint8_t digest[R1FS_DIGEST_LEN], char out[2 * R1FS_DIGEST_LEN + 1]);

#endif
