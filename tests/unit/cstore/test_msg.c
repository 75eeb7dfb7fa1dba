/*
 * CHAIN_STORE_DATA both ways.  The texts below are what the reference's
 * chain_store_base.py puts in its payloads (the dicts it builds, dumped by
 * Python's json.dumps): our parser must read them, and our builders must
 * produce the same keys, order and types.
 */
#include "node/lib.h"
#include "node/cstore/msg.h"
#include "tests/tap.h"

#define OWNER                                                                                      \
	"[\"r1-node-a\", \"admin_pipeline\", \"CSTORE_MANAGER_API\", \"CSTORE_MANAGER_API_INST\"]"

static const char ref_store[] =
    "{\"op\": \"SSTORE\", \"key\": \"app:ready\", \"value\": {\"a\": 1, \"b\": [true, null]},"
    " \"owner\": " OWNER ", \"token\": null, \"readonly\": false, \"PEERS\": null,"
    " \"INCLUDE_DEFAULT_PEERS\": true, \"TIMEOUT\": 10, \"MAX_RETRIES\": 2}";
static const char ref_delete[] =
    "{\"op\": \"SSTORE\", \"key\": \"app:ready\", \"value\": null, \"owner\": " OWNER
    ", \"token\": \"s3cret\", \"readonly\": true, \"PEERS\": [\"0xai_X\"],"
    " \"INCLUDE_DEFAULT_PEERS\": false, \"TIMEOUT\": 2.5, \"MAX_RETRIES\": 0}";
static const char ref_confirm[] =
    "{\"op\": \"SCONFIRM\", \"key\": \"app:ready\", \"value\": {\"a\": 1, \"b\": [true, null]},"
    " \"owner\": " OWNER ", \"confirm_by\": [\"r1-node-b\", \"admin_pipeline\","
    " \"CHAIN_STORE_BASE\", \"CHAIN_STORE_BASE_INST\"],"
    " \"confirm_by_addr\": \"0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN\"}";
static const char ref_req[] =
    "{\"op\": \"SHSYNC_REQ\", \"request_id\": \"6f1c2f5e-8a4b-4c7d-9e0f-112233445566\","
    " \"hkey\": \"players\"}";
static const char ref_resp[] =
    "{\"op\": \"SHSYNC_RESP\", \"request_id\": \"6f1c2f5e-8a4b-4c7d-9e0f-112233445566\","
    " \"hkey\": \"players\", \"snapshot\": {\"hs:afc0d772a2:YWxpY2U=\": {\"key\":"
    " \"hs:afc0d772a2:YWxpY2U=\", \"value\": 10, \"owner\": " OWNER ", \"readonly\": false,"
    " \"token\": null, \"confirms\": -1, \"min_confirms\": 0}}}";

static json_t *load(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_ALLOW_NUL, &err);
	if (!v)
		tap_bail("test data does not parse: %s", err.text);
	return v;
}

static char *compact(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void same_json(const json_t *got, const char *want_text, const char *name)
{
	json_t *want = load(want_text);
	char *g = compact(got), *w = compact(want);
	is_str(g, w, "%s: same keys, order and values as the reference", name);
	free(g);
	free(w);
	json_decref(want);
}

static void bad(const char *text, const char *name)
{
	json_t *v = load(text);
	struct cstore_msg m;
	char *why = NULL;
	is_int(cstore_msg_parse(v, &m, &why), R1_ERR_PROTO, "refused: %s", name);
	ok(why != NULL, "reason: %s", why ? why : "(none)");
	r1_free(why);
	json_decref(v);
}

int main(void)
{
	struct cstore_msg m;
	char *why = NULL;
	r1_alloc_setup_jansson();

	/* degenerate */
	is_int(cstore_msg_parse(NULL, &m, &why), R1_ERR_PROTO, "NULL is refused");
	bad("[]", "an array");
	bad("{}", "no op");
	bad("{\"op\": 1}", "a numeric op");
	bad("{\"op\": \"SDELETE\"}", "an unknown op");
	bad("{\"op\": \"SSTORE\", \"owner\": " OWNER "}", "SSTORE without a key");
	bad("{\"op\": \"SSTORE\", \"key\": \"\", \"owner\": " OWNER "}", "an empty key");
	bad("{\"op\": \"SSTORE\", \"key\": 5, \"owner\": " OWNER "}", "a numeric key");
	bad("{\"op\": \"SSTORE\", \"key\": \"a\\u0000b\", \"owner\": " OWNER "}", "a key with NUL");
	bad("{\"op\": \"SSTORE\", \"key\": \"k\"}", "no owner");
	bad("{\"op\": \"SSTORE\", \"key\": \"k\", \"owner\": \"me\"}", "a string owner");
	bad("{\"op\": \"SSTORE\", \"key\": \"k\", \"owner\": [\"a\", \"b\", \"c\"]}",
	    "a three-part owner");
	bad("{\"op\": \"SSTORE\", \"key\": \"k\", \"owner\": [\"a\", 1, null, null]}",
	    "a numeric owner part");
	bad("{\"op\": \"SSTORE\", \"key\": \"k\", \"owner\": " OWNER ", \"readonly\": \"yes\"}",
	    "a string readonly");
	bad("{\"op\": \"SCONFIRM\", \"key\": \"k\", \"owner\": " OWNER ", \"confirm_by_addr\": 7}",
	    "a numeric confirm_by_addr");
	bad("{\"op\": \"SHSYNC_REQ\", \"hkey\": \"h\"}", "SHSYNC_REQ without request_id");
	bad("{\"op\": \"SHSYNC_REQ\", \"request_id\": \"r\", \"hkey\": \"\"}", "an empty hkey");
	bad("{\"op\": \"SHSYNC_REQ\", \"request_id\": \""
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234"
	    "56789\", \"hkey\": \"h\"}",
	    "a request_id over 128 bytes");
	bad("{\"op\": \"SHSYNC_RESP\", \"request_id\": \"r\", \"hkey\": \"h\", \"snapshot\": []}",
	    "a list snapshot");

	/* what the reference sends, read as it reads it */
	json_t *v = load(ref_store);
	is_int(cstore_msg_parse(v, &m, &why), R1_OK, "reference SSTORE parses");
	is_int(m.op, CSOP_STORE, "op SSTORE");
	is_str(m.key, "app:ready", "key");
	ok(json_is_object(m.value) && json_object_size(m.value) == 2, "value is the object");
	ok(m.token == NULL, "token null is None");
	ok(!m.readonly, "readonly false");
	is_str(json_string_value(json_array_get(m.owner, 2)), "CSTORE_MANAGER_API", "owner path");
	json_decref(v);

	v = load(ref_delete);
	is_int(cstore_msg_parse(v, &m, &why), R1_OK, "reference delete parses");
	ok(json_is_null(m.value), "null value (a delete)");
	is_str(json_string_value(m.token), "s3cret", "token");
	ok(m.readonly, "readonly true");
	json_decref(v);

	v = load("{\"op\": \"SSTORE\", \"key\": \"k\", \"owner\": " OWNER "}");
	is_int(cstore_msg_parse(v, &m, &why), R1_OK, "a minimal SSTORE parses");
	ok(json_is_null(m.value) && !m.token && !m.readonly,
	   "absent value, token and readonly read as None, None, False");
	json_decref(v);

	v = load(ref_confirm);
	is_int(cstore_msg_parse(v, &m, &why), R1_OK, "reference SCONFIRM parses");
	is_int(m.op, CSOP_CONFIRM, "op SCONFIRM");
	is_str(m.confirm_by_addr, "0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN",
	       "confirm_by_addr");
	ok(json_is_array(m.confirm_by), "confirm_by path");
	json_decref(v);

	v = load(ref_req);
	is_int(cstore_msg_parse(v, &m, &why), R1_OK, "reference SHSYNC_REQ parses");
	is_str(m.request_id, "6f1c2f5e-8a4b-4c7d-9e0f-112233445566", "request_id");
	is_str(m.hkey, "players", "hkey");
	json_decref(v);

	v = load(ref_resp);
	is_int(cstore_msg_parse(v, &m, &why), R1_OK, "reference SHSYNC_RESP parses");
	ok(json_is_object(m.snapshot) && json_object_size(m.snapshot) == 1, "snapshot");
	json_decref(v);
	v = load("{\"op\": \"SHSYNC_RESP\", \"request_id\": \"r\", \"hkey\": \"h\"}");
	is_int(cstore_msg_parse(v, &m, &why), R1_OK, "a response without snapshot parses");
	ok(m.snapshot == NULL, "as an empty snapshot");
	json_decref(v);

	/* ours, built as the reference builds them */
	json_t *value = load("{\"a\": 1, \"b\": [true, null]}");
	json_t *owner = load(OWNER);
	json_t *by = load("[\"r1-node-b\", \"admin_pipeline\", \"CHAIN_STORE_BASE\","
	                  " \"CHAIN_STORE_BASE_INST\"]");
	json_t *got = cstore_msg_store("app:ready", value, owner, NULL, false, NULL, true, 10, 2);
	same_json(got, ref_store, "SSTORE");
	json_decref(got);
	json_t *tok = json_string("s3cret"), *peers = load("[\"0xai_X\"]");
	got = cstore_msg_store("app:ready", json_null(), owner, tok, true, peers, false, 2.5, 0);
	same_json(got, ref_delete, "SSTORE delete with token and peers");
	json_decref(got);
	got = cstore_msg_confirm("app:ready", value, owner, by,
	                         "0xai_AvVm7rqMVlDFk6G4WnUm3xv7UzKMp23LG-jciRmXgHcN");
	same_json(got, ref_confirm, "SCONFIRM");
	json_decref(got);
	got = cstore_msg_hsync_req("6f1c2f5e-8a4b-4c7d-9e0f-112233445566", "players");
	same_json(got, ref_req, "SHSYNC_REQ");
	json_decref(got);
	json_t *ten = json_integer(10);
	json_t *r = cstore_msg_record("hs:afc0d772a2:YWxpY2U=", ten, owner, false, NULL, -1, 0);
	json_t *snap = json_object();
	json_object_set_new(snap, "hs:afc0d772a2:YWxpY2U=", r);
	got = cstore_msg_hsync_resp("6f1c2f5e-8a4b-4c7d-9e0f-112233445566", "players", snap);
	same_json(got, ref_resp, "SHSYNC_RESP");
	json_decref(got);
	got = cstore_msg_hsync_resp("r", "h", NULL);
	ok(json_is_object(json_object_get(got, "snapshot")), "a NULL snapshot is sent as {}");
	json_decref(got);

	/* builders under allocation failure: NULL, never a half message */
	int nulls = 0;
	for (long k = 0; k < 30; k++) {
		r1_alloc_fail_after(k);
		json_t *x = cstore_msg_store("k", value, owner, tok, true, peers, true, 10, 2);
		r1_alloc_fail_after(-1);
		if (!x)
			nulls++;
		else if (json_object_size(x) != 10)
			nulls = -100;
		json_decref(x);
	}
	ok(nulls > 0, "allocation failures give NULL (%d times)", nulls);
	is_str(cstore_op_name(CSOP_HSYNC_RESP), "SHSYNC_RESP", "op names as the wire spells them");

	json_decref(ten);
	json_decref(snap);
	json_decref(tok);
	json_decref(peers);
	json_decref(value);
	json_decref(owner);
	json_decref(by);
	r1_free(why);
	return tap_done();
}
