/*
 * Heartbeat and NET_MON_01 codecs against heartbeat.jsonl: our json.dumps
 * text equals the SDK's, our ENCODED_DATA equals the recorded one byte for
 * byte, decoding gives the SDK session's view, and the PAYLOAD_DATA helper
 * rows (A-hb-009..017) give the recorded outputs.  (json.dumps on its own
 * is tested in tests/unit/wire/test_pyjson.c.)
 */
#include "core/lib.h"
#include "core/hbcodec.h"
#include "core/netmon.h"
#include "core/proto.h"
#include "core/pyjson.h"
#include "tests/tap.h"

#include <jansson.h>
#include <math.h>

static json_t *rows;

static json_t *row(const char *id)
{
	size_t i;
	json_t *r;
	json_array_foreach(
	    rows, i, r) if (strcmp(json_string_value(json_object_get(r, "id")), id) == 0) return r;
	tap_bail("row %s not in heartbeat.jsonl", id);
}

static void load_rows(void)
{
	char *path = tap_vector_path("heartbeat.jsonl");
	size_t n = 0;
	char **lines = tap_read_lines(path, &n);
	rows = json_array();
	for (size_t i = 0; i < n; i++) {
		json_error_t e;
		json_t *r = json_loads(lines[i], 0, &e);
		if (!r)
			tap_bail("heartbeat.jsonl line %zu: %s", i + 1, e.text);
		json_array_append_new(rows, r);
	}
	tap_free_lines(lines);
	free(path);
	if (n != 17)
		tap_bail("heartbeat.jsonl has %zu rows, expected 17", n);
}

static void test_heartbeat_vectors(void)
{
	const char *v2_ids[] = {"A-hb-001", "A-hb-003"};
	for (size_t k = 0; k < R1_ARRAY_LEN(v2_ids); k++) {
		json_t *r = row(v2_ids[k]);
		json_t *status = json_object_get(r, "decoded_status");
		const char *text = json_string_value(json_object_get(r, "encoded_json_text"));
		json_t *msg = json_object_get(r, "message");
		struct buf b = BUF_INIT;
		is_int(pyjson_dump(&b, status, NULL, NULL), R1_OK, "%s dumps", v2_ids[k]);
		is_str(buf_cstr(&b), text, "%s: our json.dumps equals the SDK's text", v2_ids[k]);
		buf_release(&b);

		json_t *wire = NULL;
		is_int(hb_encode_v2(status, &wire, NULL), R1_OK, "%s encode v2", v2_ids[k]);
		is_str(json_string_value(json_object_get(wire, K_ENCODED_DATA)),
		       json_string_value(json_object_get(msg, K_ENCODED_DATA)),
		       "%s: ENCODED_DATA byte for byte", v2_ids[k]);
		is_str(json_string_value(json_object_get(wire, K_HEARTBEAT_VERSION)), "v2",
		       "%s: HEARTBEAT_VERSION", v2_ids[k]);
		is_int(json_integer_value(json_object_get(wire, K_NR_PAYLOADS)),
		       json_integer_value(json_object_get(msg, K_NR_PAYLOADS)), "%s: NR_PAYLOADS",
		       v2_ids[k]);
		is_int(json_object_size(wire), 5, "%s: five wire fields", v2_ids[k]);
		json_decref(wire);

		json_t *view = NULL;
		is_int(hb_decode(msg, &view, NULL), R1_OK, "%s decode", v2_ids[k]);
		ok(json_equal(view, json_object_get(r, "sdk_session_view")),
		   "%s: decoded view equals the SDK session's", v2_ids[k]);
		ok(hb_is_v2(msg), "%s is v2", v2_ids[k]);
		json_decref(view);
	}

	json_t *r = row("A-hb-002");
	json_t *msg = json_object_get(r, "message");
	json_t *view = NULL;
	ok(!hb_is_v2(msg), "A-hb-002 is not v2");
	is_int(hb_decode(msg, &view, NULL), R1_OK, "v1 decode");
	ok(json_equal(view, json_object_get(r, "sdk_session_view")), "v1 view equals the SDK's");
	json_decref(view);

	/* v1 encode: the status plus HEARTBEAT_VERSION */
	json_t *status = json_pack("{s:s,s:i}", "CURRENT_TIME", "x", "NR_PAYLOADS", 3);
	json_t *v1 = NULL;
	is_int(hb_encode_v1(status, &v1, NULL), R1_OK, "encode v1");
	is_str(json_string_value(json_object_get(v1, K_HEARTBEAT_VERSION)), "v1", "v1 marker");
	is_int(json_object_size(v1), 3, "v1 keeps the status at top level");
	json_decref(v1);
	json_decref(status);
}

static void test_heartbeat_hostile(void)
{
	char *why = NULL;
	json_t *out = NULL;
	json_t *m = json_pack("{s:s}", K_HEARTBEAT_VERSION, "v2");
	is_int(hb_decode(m, &out, &why), R1_ERR_INVAL, "v2 without ENCODED_DATA refused");
	ok(why && strstr(why, "ENCODED_DATA"), "reason: %s", why ? why : "");
	json_object_set_new(m, K_ENCODED_DATA, json_string("not-base64-zlib"));
	is_int(hb_decode(m, &out, &why), R1_ERR_INVAL, "garbage ENCODED_DATA refused");
	/* zlib of "[1, 2]": a list, not an object */
	json_object_set_new(m, K_ENCODED_DATA, json_string("eNqLNtQxigUAA9UBSA=="));
	is_int(hb_decode(m, &out, &why), R1_ERR_INVAL, "a list status refused");
	json_decref(m);
	/* Python writes NaN and Infinity: they decode (as null) */
	json_t *nan_hb = json_pack("{s:s,s:s}", K_HEARTBEAT_VERSION, "v2", K_ENCODED_DATA,
	                           "eNqrVnIOCFWyUvBL9NNRUIoAsgxrATWQBO8=");
	is_int(hb_decode(nan_hb, &out, &why), R1_OK, "a status with NaN decodes (%s)",
	       why ? why : "");
	ok(json_is_null(json_object_get(out, "CPU")), "NaN became null");
	json_decref(out);
	json_decref(nan_hb);
	json_t *arr = json_array();
	is_int(hb_decode(arr, &out, &why), R1_ERR_INVAL, "a non-object message refused");
	is_int(hb_encode_v2(arr, &out, &why), R1_ERR_INVAL, "a non-object status refused");
	json_decref(arr);
	r1_free(why);
}

static void test_netmon_functions(void)
{
	size_t i;
	json_t *r;
	int checked = 0;
	json_array_foreach(rows, i, r)
	{
		const char *fn = json_string_value(json_object_get(r, "function"));
		const char *id = json_string_value(json_object_get(r, "id"));
		if (!fn || !strstr(fn, "netmon"))
			continue;
		json_t *input = json_deep_copy(json_object_get(r, "input"));
		json_t *want = json_object_get(r, "output");
		json_t *got = NULL;
		if (strcmp(fn, "PAYLOAD_DATA.maybe_encode_netmon_payload") == 0) {
			is_int(netmon_maybe_encode(input, &got, NULL), R1_OK, "%s: encode", id);
		} else if (strcmp(fn, "PAYLOAD_DATA.maybe_decode_netmon_payload") == 0) {
			netmon_maybe_decode(input);
			got = json_incref(input);
		} else if (strcmp(fn, "PAYLOAD_DATA.maybe_convert_netmon_whitelist") == 0) {
			netmon_maybe_convert_whitelist(input);
			got = json_incref(input);
		} else {
			tap_bail("unknown function %s", fn);
		}
		ok(json_equal(got, want), "%s: %s", id,
		   json_string_value(json_object_get(r, "description")));
		if (!json_equal(got, want)) {
			char *g = json_dumps(got, JSON_COMPACT);
			tap_diag("got %s", g);
			free(g);
		}
		json_decref(got);
		json_decref(input);
		checked++;
	}
	is_int(checked, 9, "all nine PAYLOAD_DATA rows checked");
}

static void test_netmon_payloads(void)
{
	json_t *r = row("A-hb-004");
	json_t *before = json_object_get(r, "before_encoding");
	json_t *msg = json_object_get(r, "message");
	json_t *enc = NULL;
	is_int(netmon_maybe_encode(before, &enc, NULL), R1_OK, "A-hb-004 encode");
	is_str(json_string_value(json_object_get(enc, K_ENCODED_DATA)),
	       json_string_value(json_object_get(msg, K_ENCODED_DATA)),
	       "A-hb-004: our NET_MON_01 ENCODED_DATA equals the oracle's");
	ok(json_object_get(enc, K_CURRENT_NETWORK) == NULL, "CURRENT_NETWORK moved into the body");
	is_str(json_string_value(json_object_get(enc, K_STREAM_NAME)), "admin_pipeline",
	       "routing keys stay on top");
	json_decref(enc);

	const char *ids[] = {"A-hb-004", "A-hb-005"};
	for (size_t k = 0; k < R1_ARRAY_LEN(ids); k++) {
		r = row(ids[k]);
		json_t *m = json_deep_copy(json_object_get(r, "message"));
		netmon_maybe_decode(m);
		ok(json_equal(m, json_object_get(r, "after_maybe_decode_netmon_payload")),
		   "%s: decode equals the SDK helper", ids[k]);
		netmon_maybe_convert_whitelist(m);
		ok(json_equal(m, json_object_get(r, "after_maybe_convert_netmon_whitelist")),
		   "%s: whitelist conversion equals the SDK helper", ids[k]);
		json_decref(m);
	}

	/* the oracle's side: compress, then the SDK's conversion restores it */
	json_t *net = json_pack("{s:{s:[s,s]},s:{s:[s]},s:{}}", "n1", "whitelist", "zz", "aa", "n2",
	                        "whitelist", "mm", "n3");
	json_t *copy = json_deep_copy(net);
	json_t *map = NULL;
	is_int(netmon_compress_whitelists(net, &map, NULL), R1_OK, "compress whitelists");
	is_int(json_integer_value(json_object_get(map, "aa")), 0, "sorted union: aa first");
	is_int(json_integer_value(json_object_get(map, "zz")), 2, "sorted union: zz last");
	is_int(json_integer_value(
	           json_array_get(json_object_get(json_object_get(net, "n1"), "whitelist"), 0)),
	       2, "n1's first entry became index 2");
	is_int(json_array_size(json_object_get(json_object_get(net, "n3"), "whitelist")), 0,
	       "a node without a whitelist gets an empty list");
	json_t *payload = json_pack("{s:o,s:o}", K_CURRENT_NETWORK, net, K_WHITELIST_MAP, map);
	netmon_maybe_convert_whitelist(payload);
	json_object_set_new(json_object_get(copy, "n3"), "whitelist", json_array());
	ok(json_equal(json_object_get(payload, K_CURRENT_NETWORK), copy),
	   "the SDK's conversion restores the whitelists");
	json_decref(payload);
	json_decref(copy);
}

int main(void)
{
	r1_alloc_setup_jansson();
	load_rows();
	test_heartbeat_vectors();
	test_heartbeat_hostile();
	test_netmon_functions();
	test_netmon_payloads();
	json_decref(rows);
	return tap_done();
}
