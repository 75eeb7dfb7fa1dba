/*
 * CIDs, dag-pb and UnixFS codecs: known values from js-ipfs/kubo
 * (reference/js-ipfs.md), round trips, and hostile blocks that the decoders
 * must refuse without reading past the end.
 */
#include "node/lib.h"
#include "node/r1fs/cid.h"
#include "node/r1fs/dagpb.h"
#include "node/r1fs/unixfs.h"
#include "tests/tap.h"

#include "core/hash.h"

static void test_cid_text(void)
{
	struct r1fs_cid c;
	char text[R1FS_CID_TEXT_MAX];
	char *why = NULL;

	/* Degenerate inputs first. */
	is_int(r1fs_cid_parse("", &c, &why), R1_ERR_INVAL, "empty CID refused");
	is_int(r1fs_cid_parse("Q", &c, &why), R1_ERR_INVAL, "one-character CID refused");
	is_int(r1fs_cid_parse("QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXE0", &c, &why),
	       R1_ERR_INVAL, "v0 with a character outside base58 refused");
	is_int(
	    r1fs_cid_parse("bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6a1", &c, &why),
	    R1_ERR_INVAL, "v1 with a character outside base32 refused");
	is_int(r1fs_cid_parse("fooo", &c, &why), R1_ERR_INVAL, "unknown multibase refused");
	ok(why && strstr(why, "fooo"), "reason names the input: %s", why);

	/* "hello\n": the CIDs js-ipfs.md records (kubo gives the same). */
	const char *hello = "hello\n";
	uint8_t leaf[] = {0x0a, 0x0c, 0x08, 0x02, 0x12, 0x06, 'h',
	                  'e',  'l',  'l',  'o',  '\n', 0x18, 0x06};
	r1fs_cid_of_block(0, R1FS_CODEC_DAGPB, leaf, sizeof(leaf), &c);
	r1fs_cid_format(&c, text);
	is_str(text, "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN", "v0 of the hello leaf");
	r1fs_cid_of_block(1, R1FS_CODEC_RAW, hello, 6, &c);
	r1fs_cid_format(&c, text);
	is_str(text, "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am",
	       "v1 raw of hello");
	/* v0 forces dag-pb whatever codec is asked. */
	r1fs_cid_of_block(0, R1FS_CODEC_RAW, leaf, sizeof(leaf), &c);
	is_int(c.codec, R1FS_CODEC_DAGPB, "v0 is always dag-pb");

	struct r1fs_cid p;
	is_int(r1fs_cid_parse("QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN", &p, &why), R1_OK,
	       "parse v0");
	is_int(p.version, 0, "v0 version");
	uint8_t want[SHA256_LEN];
	sha256(leaf, sizeof(leaf), want);
	is_mem(p.digest, 32, want, 32, "v0 digest is SHA-256 of the block");
	is_int(
	    r1fs_cid_parse("bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am", &p, &why),
	    R1_OK, "parse v1 base32");
	is_int(p.codec, R1FS_CODEC_RAW, "v1 raw codec");
	struct r1fs_cid z;
	is_int(r1fs_cid_parse("zb2rhcc1wJn2GHDLT2YkmPq5b69cXc2xfRZZmyufbjFUfBkxr", &z, &why), R1_OK,
	       "parse v1 base58btc (js-ipfs's default output)");
	ok(r1fs_cid_equal(&z, &p), "base58btc and base32 spellings are the same CID");
	r1fs_cid_format(&z, text);
	is_str(text, "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am",
	       "we always write v1 in base32");

	/* Binary forms. */
	uint8_t bin[R1FS_CID_BIN_MAX];
	is_int(r1fs_cid_to_bytes(&p, bin), 36, "v1 binary is 36 bytes");
	is_int(bin[0], 1, "v1 binary starts with version 1");
	is_int(bin[1], 0x55, "then the raw codec");
	struct r1fs_cid back;
	is_int(r1fs_cid_from_bytes(bin, 36, &back, &why), R1_OK, "v1 binary parses");
	ok(r1fs_cid_equal(&back, &p), "v1 binary round trip");
	bin[1] = 0x71; /* dag-cbor */
	is_int(r1fs_cid_from_bytes(bin, 36, &back, &why), R1_ERR_INVAL, "dag-cbor codec refused");
	ok(why && strstr(why, "codec"), "reason names the codec: %s", why);
	bin[1] = 0x55;
	bin[2] = 0x13; /* sha2-512 */
	is_int(r1fs_cid_from_bytes(bin, 36, &back, &why), R1_ERR_INVAL, "sha2-512 refused");
	is_int(r1fs_cid_from_bytes(bin, 1, &back, &why), R1_ERR_INVAL, "truncated v1 refused");
	is_int(r1fs_cid_from_bytes(bin, 0, &back, &why), R1_ERR_INVAL, "empty binary refused");

	/* Format/parse round trip over many digests, both versions. */
	bool all = true;
	for (unsigned i = 0; i < 200; i++) {
		struct r1fs_cid a = {
		    (uint8_t)(i & 1), (i & 2) ? R1FS_CODEC_RAW : R1FS_CODEC_DAGPB, {0}};
		if (a.version == 0)
			a.codec = R1FS_CODEC_DAGPB;
		sha256(&i, sizeof(i), a.digest);
		if (i % 50 == 0)
			memset(a.digest, 0, 32); /* leading zeros in base58 */
		r1fs_cid_format(&a, text);
		struct r1fs_cid b2;
		if (r1fs_cid_parse(text, &b2, NULL) != R1_OK || !r1fs_cid_equal(&a, &b2))
			all = false;
	}
	ok(all, "200 CIDs survive format and parse");

	char hex[65];
	r1fs_digest_hex(want, hex);
	is_int(strlen(hex), 64, "digest hex is 64 characters");
	r1_free(why);
}

static void test_leaf_frame(void)
{
	uint8_t hdr[UNIXFS_LEAF_HDR_MAX], trl[UNIXFS_LEAF_TRL_MAX];
	size_t hl, tl;
	unixfs_leaf_frame(6, hdr, &hl, trl, &tl);
	uint8_t want_hdr[] = {0x0a, 0x0c, 0x08, 0x02, 0x12, 0x06};
	uint8_t want_trl[] = {0x18, 0x06};
	is_mem(hdr + UNIXFS_LEAF_HDR_MAX - hl, hl, want_hdr, sizeof(want_hdr),
	       "leaf header of 6 bytes as kubo");
	is_mem(trl, tl, want_trl, sizeof(want_trl), "leaf trailer of 6 bytes as kubo");
	unixfs_leaf_frame(0, hdr, &hl, trl, &tl);
	uint8_t empty_hdr[] = {0x0a, 0x04, 0x08, 0x02};
	uint8_t empty_trl[] = {0x18, 0x00};
	is_mem(hdr + UNIXFS_LEAF_HDR_MAX - hl, hl, empty_hdr, sizeof(empty_hdr),
	       "empty leaf has no Data field");
	is_mem(trl, tl, empty_trl, sizeof(empty_trl), "empty leaf still has filesize 0");
	unixfs_leaf_frame(262144, hdr, &hl, trl, &tl);
	uint8_t big_hdr[] = {0x0a, 0x8a, 0x80, 0x10, 0x08, 0x02, 0x12, 0x80, 0x80, 0x10};
	is_mem(hdr + UNIXFS_LEAF_HDR_MAX - hl, hl, big_hdr, sizeof(big_hdr),
	       "256 KiB leaf header (3-byte varints)");
}

static void test_dagpb_roundtrip(void)
{
	struct r1fs_cid cids[3];
	uint64_t tsizes[3] = {10, 300, 70000};
	const char *names[3] = {"a", "", "long name"};
	for (int i = 0; i < 3; i++)
		r1fs_cid_of_block(i == 2 ? 1 : 0, R1FS_CODEC_DAGPB, &i, sizeof(i), &cids[i]);
	struct buf b = BUF_INIT;
	unixfs_encode_dir(cids, names, tsizes, 3, &b);
	ok(buf_ok(&b), "directory encodes");
	struct dagpb_node node;
	char *why = NULL;
	is_int(dagpb_decode((const uint8_t *)b.data, b.len, &node, &why), R1_OK, "and decodes");
	is_int(node.nlinks, 3, "three links");
	is_int(node.links[0].name_len, 1, "first name length");
	ok(node.links[1].name && node.links[1].name_len == 0, "empty name is present, not absent");
	is_int(node.links[2].tsize, 70000, "third tsize");
	ok(r1fs_cid_equal(&node.links[2].cid, &cids[2]), "v1 link CID round trip");
	struct unixfs_data u;
	is_int(unixfs_parse(node.data, node.data_len, &u, &why), R1_OK, "directory data parses");
	is_int(u.type, UNIXFS_DIRECTORY, "type directory");
	dagpb_node_release(&node);

	/* An empty directory: the well-known QmUNLLs... */
	buf_reset(&b);
	unixfs_encode_dir(NULL, NULL, NULL, 0, &b);
	struct r1fs_cid c;
	char text[R1FS_CID_TEXT_MAX];
	r1fs_cid_of_block(0, R1FS_CODEC_DAGPB, b.data, b.len, &c);
	r1fs_cid_format(&c, text);
	is_str(text, "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn", "empty directory CID");

	/* A file node: blocksizes are unpacked and read back. */
	buf_reset(&b);
	uint64_t fs[3] = {262144, 262144, 1};
	unixfs_encode_file_node(cids, tsizes, fs, 3, &b);
	is_int(dagpb_decode((const uint8_t *)b.data, b.len, &node, &why), R1_OK,
	       "file node decodes");
	is_int(unixfs_parse(node.data, node.data_len, &u, &why), R1_OK, "file data parses");
	is_int(u.type, UNIXFS_FILE, "type file");
	is_int(u.filesize, 524289, "filesize is the sum");
	is_int(u.nblocksizes, 3, "three blocksizes");
	uint64_t got[3] = {0};
	is_int(unixfs_get_blocksizes(&u, got, 3), 3, "blocksizes read back");
	is_int(got[2], 1, "last blocksize");
	dagpb_node_release(&node);
	buf_release(&b);

	/* Packed blocksizes (another writer's choice) are read too. */
	uint8_t packed[] = {0x08, 0x02, 0x18, 0x07, 0x22, 0x02, 0x03, 0x04};
	is_int(unixfs_parse(packed, sizeof(packed), &u, &why), R1_OK, "packed blocksizes parse");
	is_int(u.nblocksizes, 2, "two packed blocksizes");
	is_int(unixfs_get_blocksizes(&u, got, 3), 2, "packed blocksizes read back");
	is_int(got[1], 4, "second packed blocksize");
	r1_free(why);
}

static void test_dagpb_hostile(void)
{
	static const struct {
		const char *name;
		uint8_t bytes[16];
		size_t len;
	} bad[] = {
	    {"truncated varint key", {0x80}, 1},
	    {"length past the end", {0x0a, 0x05, 0x01}, 3},
	    {"unknown field 3", {0x1a, 0x00}, 2},
	    {"varint where bytes belong", {0x08, 0x01}, 2},
	    {"link without a hash", {0x12, 0x02, 0x18, 0x01}, 4},
	    {"link with a short hash", {0x12, 0x04, 0x0a, 0x02, 0x12, 0x20}, 6},
	    {"data before a link", {0x0a, 0x00, 0x12, 0x00}, 4},
	    {"two data fields", {0x0a, 0x00, 0x0a, 0x00}, 4},
	    {"11-byte varint",
	     {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	     11},
	    {"group wire type", {0x0b}, 1},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(bad); i++) {
		struct dagpb_node node;
		char *why = NULL;
		/* Copy to an exact-size heap block so ASan catches any over-read. */
		uint8_t *blk = r1_memdup(bad[i].bytes, bad[i].len);
		enum r1_err e = dagpb_decode(blk, bad[i].len, &node, &why);
		is_int(e, R1_ERR_PROTO, "dag-pb refuses: %s (%s)", bad[i].name, why ? why : "");
		r1_free(blk);
		r1_free(why);
	}
	struct dagpb_node node;
	is_int(dagpb_decode((const uint8_t *)"", 0, &node, NULL), R1_OK, "empty block is a node");
	is_int(node.nlinks, 0, "with no links");
	ok(node.data == NULL, "and no data");
	struct unixfs_data u;
	char *why = NULL;
	uint8_t no_type[] = {0x18, 0x01};
	is_int(unixfs_parse(no_type, sizeof(no_type), &u, &why), R1_ERR_PROTO,
	       "unixfs without a type refused");
	uint8_t bad_type[] = {0x08, 0x09};
	is_int(unixfs_parse(bad_type, sizeof(bad_type), &u, &why), R1_ERR_PROTO,
	       "unixfs with type 9 refused");
	r1_free(why);
}

int main(void)
{
	test_cid_text();
	test_leaf_frame();
	test_dagpb_roundtrip();
	test_dagpb_hostile();
	return tap_done();
}
