/*
 * The exchange's messages (xmsg.h) and announcements (announce.h): round
 * trips, then what a hostile peer could send: wrong types, malformed CIDs,
 * oversized fields, sealed blocks opened under another key, transfer or
 * CID, truncated or altered.
 */
#include "node/lib.h"
#include "node/r1fs/announce.h"
#include "node/r1fs/r1fs.h"
#include "node/r1fs/xmsg.h"

#include "core/codec.h"
#include "core/proto.h"
#include "tests/tap.h"

static struct r1fs_cid cid_of(const char *text)
{
	struct r1fs_cid c;
	r1fs_cid_of_block(0, R1FS_CODEC_DAGPB, text, strlen(text), &c);
	return c;
}

static json_t *parse_text(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, 0, &err);
	if (!v)
		tap_bail("bad test JSON: %s", err.text);
	return v;
}

/* Parse must fail with R1_ERR_PROTO and a reason mentioning `needle`. */
static void refused(const char *text, const char *needle, const char *what)
{
	json_t *v = parse_text(text);
	struct xmsg m;
	char *why = NULL;
	is_int(xmsg_parse(v, &m, &why), R1_ERR_PROTO, "refused: %s", what);
	ok(why && strstr(why, needle), "  reason names it: %s", why ? why : "(none)");
	r1_free(why);
	json_decref(v);
}

static void test_degenerate(void)
{
	struct xmsg m;
	char *why = NULL;
	is_int(xmsg_parse(NULL, &m, &why), R1_ERR_PROTO, "NULL");
	json_t *arr = json_array();
	is_int(xmsg_parse(arr, &m, &why), R1_ERR_PROTO, "an array");
	json_decref(arr);
	refused("{}", "unknown op", "no op");
	refused("{\"op\": 5}", "unknown op", "op not a string");
	refused("{\"op\": \"R1FS_STEAL\"}", "unknown op", "unknown op");
	is_str(xmsg_op_name(XOP_BLOCK), "R1FS_BLOCK", "op names as on the wire");
	is_str(xmsg_op_name((enum xmsg_op)99), "?", "unknown op name");
	r1_free(why);
}

static void test_want(void)
{
	uint8_t xfer[XMSG_XFER_LEN], key[XMSG_KEY_LEN];
	for (size_t i = 0; i < sizeof(xfer); i++)
		xfer[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa0 + i);
	struct r1fs_cid root = cid_of("root"), cids[3] = {cid_of("a"), cid_of("b"), cid_of("c")};
	json_t *w = xmsg_want(xfer, key, &root, cids, 3);
	ok(w != NULL, "want built");
	char xhex[33];
	xmsg_xfer_hex(xfer, xhex);
	is_str(xhex, "000102030405060708090a0b0c0d0e0f", "transfer id in hex");
	is_str(json_string_value(json_object_get(w, "xfer")), xhex, "xfer on the wire");
	struct xmsg m;
	char *why = NULL;
	is_int(xmsg_parse(w, &m, &why), R1_OK, "want parses");
	is_int(m.op, XOP_WANT, "op");
	is_mem(m.xfer, sizeof(m.xfer), xfer, sizeof(xfer), "xfer round trip");
	is_mem(m.key, sizeof(m.key), key, sizeof(key), "key round trip");
	ok(r1fs_cid_equal(&m.root, &root), "root round trip");
	is_int(m.ncids, 3, "three CIDs");
	ok(r1fs_cid_equal(&m.cids[2], &cids[2]), "in order");

	/* hostile variants */
	json_t *v = json_deep_copy(w);
	json_object_set_new(v, "xfer", json_string("0001"));
	is_int(xmsg_parse(v, &m, &why), R1_ERR_PROTO, "short transfer id refused");
	json_object_set_new(v, "xfer", json_string("zz0102030405060708090a0b0c0d0e0f"));
	is_int(xmsg_parse(v, &m, &why), R1_ERR_PROTO, "non-hex transfer id refused");
	json_decref(v);
	v = json_deep_copy(w);
	json_object_set_new(v, "key", json_integer(7));
	is_int(xmsg_parse(v, &m, &why), R1_ERR_PROTO, "key not a string refused");
	json_decref(v);
	v = json_deep_copy(w);
	json_object_set_new(v, "root", json_string("QmNotACid"));
	is_int(xmsg_parse(v, &m, &why), R1_ERR_PROTO, "malformed root refused");
	ok(why && strstr(why, "root"), "reason: %s", why);
	json_decref(v);
	v = json_deep_copy(w);
	json_object_set_new(v, "cids", json_array());
	is_int(xmsg_parse(v, &m, &why), R1_ERR_PROTO, "no CIDs refused");
	json_t *many = json_array();
	char text[R1FS_CID_TEXT_MAX];
	r1fs_cid_format(&cids[0], text);
	for (int i = 0; i < XMSG_CIDS_MAX + 1; i++)
		json_array_append_new(many, json_string(text));
	json_object_set_new(v, "cids", many);
	is_int(xmsg_parse(v, &m, &why), R1_ERR_PROTO, "%d CIDs refused", XMSG_CIDS_MAX + 1);
	json_array_remove(many, 0);
	is_int(xmsg_parse(v, &m, &why), R1_OK, "%d CIDs accepted", XMSG_CIDS_MAX);
	json_array_set_new(many, 5, json_integer(1));
	is_int(xmsg_parse(v, &m, &why), R1_ERR_PROTO, "a CID that is not a string refused");
	ok(why && strstr(why, "CID 5"), "reason names it: %s", why);
	json_decref(v);
	/* a string with a NUL inside */
	v = json_deep_copy(w);
	json_object_set_new(v, "root", json_stringn("Qm\0x", 4));
	is_int(xmsg_parse(v, &m, &why), R1_ERR_PROTO, "a NUL inside a field refused");
	json_decref(v);
	json_decref(w);
	r1_free(why);
}

static void test_block_none_req_resp(void)
{
	uint8_t xfer[XMSG_XFER_LEN] = {1}, key[XMSG_KEY_LEN] = {2};
	struct r1fs_cid cid = cid_of("block");
	/* base64 goes in unchecked; other text through jansson's UTF-8 check */
	json_t *u = xmsg_block(xfer, &cid, "\xc8\x99", 2);
	is_str(json_string_value(json_object_get(u, "data")), "\xc8\x99", "UTF-8 data is kept");
	json_decref(u);
	ok(xmsg_block(xfer, &cid, "AA\xff", 3) == NULL, "data that is not UTF-8 is refused");
	json_t *b = xmsg_block(xfer, &cid, "AAAA", 4);
	is_str(json_string_value(json_object_get(b, "data")), "AAAA", "base64 data is kept");
	struct xmsg m;
	char *why = NULL;
	is_int(xmsg_parse(b, &m, &why), R1_OK, "block parses");
	is_int(m.op, XOP_BLOCK, "op");
	is_int(m.data_len, 4, "data borrowed with its length");
	ok(r1fs_cid_equal(&m.cid, &cid), "cid round trip");
	/* data longer than any block the bus carries */
	size_t big = (XMSG_BLOCK_MAX + XMSG_SEAL_OVERHEAD + 2) / 3 * 4 + 4;
	char *huge = r1_malloc(big + 1);
	memset(huge, 'A', big);
	huge[big] = '\0';
	json_object_set_new(b, "data", json_string(huge));
	is_int(xmsg_parse(b, &m, &why), R1_ERR_PROTO, "oversized block data refused");
	ok(why && strstr(why, "longer than"), "reason: %s", why);
	r1_free(huge);
	json_object_del(b, "data");
	is_int(xmsg_parse(b, &m, &why), R1_ERR_PROTO, "block without data refused");
	json_decref(b);

	json_t *n = xmsg_none(xfer, &cid, 1, "not found");
	is_int(xmsg_parse(n, &m, &why), R1_OK, "none parses");
	is_str(m.reason, "not found", "reason round trip");
	json_object_set_new(n, "reason", json_null());
	is_int(xmsg_parse(n, &m, &why), R1_OK, "none without a reason");
	ok(m.reason == NULL, "reason NULL");
	json_decref(n);

	json_t *args = json_pack("{s:s}", "cid", "x");
	json_t *r = xmsg_req("req-1", "stat", args);
	is_int(xmsg_parse(r, &m, &why), R1_OK, "req parses");
	is_str(m.cmd, "stat", "cmd");
	is_str(json_string_value(json_object_get(m.args, "cid")), "x", "args borrowed");
	json_object_set_new(r, "args", json_string("no"));
	is_int(xmsg_parse(r, &m, &why), R1_ERR_PROTO, "args not an object refused");
	json_object_set_new(r, "cmd", json_string("this command name is far too long to be one"));
	is_int(xmsg_parse(r, &m, &why), R1_ERR_PROTO, "overlong cmd refused");
	json_decref(r);
	json_decref(args);

	json_t *res = json_pack("{s:i}", "n", 3);
	json_t *p = xmsg_resp("req-1", true, res, NULL);
	is_int(xmsg_parse(p, &m, &why), R1_OK, "resp parses");
	ok(m.ok && json_integer_value(json_object_get(m.result, "n")) == 3, "ok and result");
	json_object_set_new(p, "ok", json_string("yes"));
	is_int(xmsg_parse(p, &m, &why), R1_ERR_PROTO, "ok not a boolean refused");
	json_decref(p);
	json_decref(res);
	(void)key;
	r1_free(why);
}

static void test_seal(void)
{
	uint8_t xfer[XMSG_XFER_LEN], key[XMSG_KEY_LEN], other_key[XMSG_KEY_LEN];
	memset(xfer, 7, sizeof(xfer));
	memset(key, 9, sizeof(key));
	memset(other_key, 10, sizeof(other_key));
	const char *text = "a block's bytes";
	struct r1fs_cid cid = cid_of(text), other = cid_of("other");
	struct buf sealed = BUF_INIT, opened = BUF_INIT;
	char *why = NULL;
	is_int(xmsg_seal_block(key, xfer, &cid, (const uint8_t *)text, strlen(text), &sealed, &why),
	       R1_OK, "seal");
	is_int(sealed.len, (strlen(text) + XMSG_SEAL_OVERHEAD + 2) / 3 * 4,
	       "base64 of nonce+ct+tag");
	is_int(xmsg_open_block(key, xfer, &cid, sealed.data, sealed.len, &opened, &why), R1_OK,
	       "open");
	is_mem(opened.data, opened.len, text, strlen(text), "same bytes");
	is_int(xmsg_open_block(other_key, xfer, &cid, sealed.data, sealed.len, &opened, &why),
	       R1_ERR_CRYPTO, "another key does not open it");
	ok(why && strstr(why, "does not open"), "reason: %s", why);
	uint8_t xfer2[XMSG_XFER_LEN];
	memset(xfer2, 8, sizeof(xfer2));
	is_int(xmsg_open_block(key, xfer2, &cid, sealed.data, sealed.len, &opened, &why),
	       R1_ERR_CRYPTO, "replayed into another transfer: refused");
	is_int(xmsg_open_block(key, xfer, &other, sealed.data, sealed.len, &opened, &why),
	       R1_ERR_CRYPTO, "sent under another CID: refused");
	/* one bit flipped in the ciphertext (re-encoded) */
	uint8_t *raw = NULL;
	size_t rawn = 0;
	base64_decode(sealed.data, sealed.len, B64_STD, &raw, &rawn, NULL);
	raw[12 + 3] ^= 0x01;
	struct buf flipped = BUF_INIT;
	base64_encode(&flipped, raw, rawn, B64_STD);
	is_int(xmsg_open_block(key, xfer, &cid, flipped.data, flipped.len, &opened, &why),
	       R1_ERR_CRYPTO, "an altered block does not open");
	buf_reset(&flipped);
	base64_encode(&flipped, raw, 20, B64_STD);
	is_int(xmsg_open_block(key, xfer, &cid, flipped.data, flipped.len, &opened, &why),
	       R1_ERR_PROTO, "shorter than nonce and tag: refused");
	is_int(xmsg_open_block(key, xfer, &cid, "not base64!", 11, &opened, &why), R1_ERR_PROTO,
	       "not base64: refused");
	r1_free(raw);
	/* the empty block is a block */
	buf_reset(&sealed);
	is_int(xmsg_seal_block(key, xfer, &cid, (const uint8_t *)"", 0, &sealed, &why), R1_OK,
	       "seal empty");
	is_int(xmsg_open_block(key, xfer, &cid, sealed.data, sealed.len, &opened, &why), R1_OK,
	       "open empty");
	is_int(opened.len, 0, "empty");
	/* every length round-trips (the base64 tail: 0, 1 or 2 padding characters) */
	bool all = true;
	uint8_t bytes[80];
	for (size_t len = 0; len < sizeof(bytes); len++) {
		bytes[len] = (uint8_t)(len * 37);
		buf_reset(&sealed);
		all = all && xmsg_seal_block(key, xfer, &cid, bytes, len, &sealed, NULL) == R1_OK &&
		      xmsg_open_block(key, xfer, &cid, sealed.data, sealed.len, &opened, NULL) ==
		          R1_OK &&
		      opened.len == len && memcmp(opened.data, bytes, len) == 0;
	}
	ok(all, "blocks of 0 to 79 bytes round-trip");
	/* non-canonical base64: padding bits set, padding in the middle, bad length */
	buf_reset(&sealed);
	xmsg_seal_block(key, xfer, &cid, bytes, 3, &sealed, NULL); /* 31 bytes: 44 chars, 2 "=" */
	char *mangled = r1_strdup(sealed.data);
	size_t ml = strlen(mangled);
	mangled[ml - 3] = 'B'; /* before "==" only A, Q, g, w leave the padding bits clear */
	is_int(xmsg_open_block(key, xfer, &cid, mangled, ml, &opened, NULL), R1_ERR_PROTO,
	       "base64 with bits set under its padding is refused");
	memcpy(mangled, sealed.data, ml);
	mangled[4] = '=';
	is_int(xmsg_open_block(key, xfer, &cid, mangled, ml, &opened, NULL), R1_ERR_PROTO,
	       "padding in the middle is refused");
	is_int(xmsg_open_block(key, xfer, &cid, sealed.data, ml - 1, &opened, NULL), R1_ERR_PROTO,
	       "a length that is not a multiple of 4 is refused");
	r1_free(mangled);
	/* too big to seal */
	uint8_t *big = r1_calloc(1, XMSG_BLOCK_MAX + 1);
	buf_reset(&sealed);
	is_int(xmsg_seal_block(key, xfer, &cid, big, XMSG_BLOCK_MAX + 1, &sealed, &why),
	       R1_ERR_TOOBIG, "a block above the bus's limit is not sealed");
	r1_free(big);
	buf_release(&flipped);
	buf_release(&sealed);
	buf_release(&opened);
	r1_free(why);
}

static void test_announce(void)
{
	struct r1fs_pin pins[40];
	memset(pins, 0, sizeof(pins));
	struct r1fs_cid cids[40];
	for (int i = 0; i < 40; i++) {
		char t[32];
		snprintf(t, sizeof(t), "pin %d", i);
		cids[i] = cid_of(t);
		r1fs_cid_format(&cids[i], pins[i].cid);
		pins[i].size = (uint64_t)(1000 + i);
		pins[i].created = 1700000000 + i;
	}
	is_int(announce_bloom_size(0), ANNOUNCE_BLOOM_MIN, "empty: the smallest filter");
	is_int(announce_bloom_size(1000000), ANNOUNCE_BLOOM_MAX, "a million pins: the largest");
	is_int(announce_bloom_size(1000), 2048, "1000 pins: 10 bits each, rounded to 2 KiB");
	json_t *a = announce_build("builtin", pins, 40, 12345, 0, true);
	ok(a != NULL, "built");
	struct announce got;
	char *why = NULL;
	is_int(announce_parse(a, &got, &why), R1_OK, "parses");
	is_int(got.pins, 40, "pins");
	is_int(got.used, 12345, "used");
	is_str(got.store, "builtin", "store");
	ok(got.hello, "a starting node's hello");
	is_int(got.nrecent, ANNOUNCE_RECENT_MAX, "recent capped at %d", ANNOUNCE_RECENT_MAX);
	is_str(got.recent[ANNOUNCE_RECENT_MAX - 1].cid, pins[39].cid, "newest last");
	is_int(got.recent[0].size, 1008, "oldest of the recent: pin 8");
	bool all = true;
	for (int i = 0; i < 40; i++)
		all = all && announce_has(&got, &cids[i]);
	ok(all, "every pin is in the filter");
	int fp = 0;
	for (int i = 0; i < 1000; i++) {
		char t[32];
		snprintf(t, sizeof(t), "absent %d", i);
		struct r1fs_cid c = cid_of(t);
		fp += announce_has(&got, &c);
	}
	ok(fp < 20, "few false positives with a sparse filter (%d in 1000)", fp);
	announce_release(&got);
	/* hostile */
	json_t *b = json_deep_copy(a);
	json_object_set_new(b, "bloom", json_string("AAAA"));
	is_int(announce_parse(b, &got, &why), R1_ERR_PROTO, "a 3-byte filter refused");
	json_object_set_new(b, "bloom", json_string("!!!!"));
	is_int(announce_parse(b, &got, &why), R1_ERR_PROTO, "a filter not in base64 refused");
	json_decref(b);
	b = json_deep_copy(a);
	json_object_set_new(b, "bloom_k", json_integer(1000));
	is_int(announce_parse(b, &got, &why), R1_ERR_PROTO, "k = 1000 refused");
	json_object_set_new(b, "bloom_k", json_integer(7));
	json_object_set_new(b, "pins", json_integer(-1));
	is_int(announce_parse(b, &got, &why), R1_ERR_PROTO, "negative pins refused");
	json_decref(b);
	b = json_deep_copy(a);
	json_array_set_new(json_object_get(b, "recent"), 0, json_pack("[s,i,i]", "QmBad", 1, 1));
	is_int(announce_parse(b, &got, &why), R1_ERR_PROTO,
	       "a recent entry with a bad CID refused");
	json_decref(b);
	b = json_deep_copy(a);
	json_object_del(b, "bloom");
	is_int(announce_parse(b, &got, &why), R1_OK, "no filter: accepted");
	ok(!announce_has(&got, &cids[0]), "but nothing is assumed held");
	announce_release(&got);
	json_decref(b);
	json_decref(a);
	r1_free(why);
}

int main(void)
{
	test_degenerate();
	test_want();
	test_block_none_req_resp();
	test_seal();
	test_announce();
	return tap_done();
}
