/*
 * envelope: our verdict against the SDK's for every row of canon_sign.jsonl
 * (with the SDK's reason mapped to ours), the signature checks recorded in
 * heartbeat.jsonl and commands.jsonl, messages we sign with the vector keys
 * (ETH on and off, from jansson and from parsed text), and hostile input:
 * missing and malformed fields, bad base64 and DER, wrong-length keys, odd
 * EE_HASH and SIGN_CANON_V values, huge integers, truncation, fault
 * injection and allocation-free reuse.
 */
#include "core/lib.h"
#include "core/canon.h"
#include "core/codec.h"
#include "core/envelope.h"
#include "core/hash.h"
#include "core/identity.h"
#include "core/jdoc.h"
#include "tests/tap.h"

static struct envelope_ctx ctx;
static struct r1_identity keys[3];
static char key_eth[3][64];

static void load_keys(void)
{
	char *path = tap_vector_path("keys.json");
	char *text = tap_read_file(path, NULL);
	json_t *kj = json_loads(text, 0, NULL);
	json_t *list = json_object_get(kj, "keys");
	if (json_array_size(list) != 3)
		tap_bail("keys.json: expected 3 keys");
	for (size_t i = 0; i < 3; i++) {
		json_t *k = json_array_get(list, i);
		const char *pem = json_string_value(json_object_get(k, "private_key_pem_pkcs8"));
		char *why = NULL;
		if (identity_from_pem(&keys[i], pem, strlen(pem), &why))
			tap_bail("keys.json: key %zu: %s", i, why);
		snprintf(key_eth[i], sizeof(key_eth[i]), "%s",
		         json_string_value(json_object_get(k, "eth_address")));
		is_str(keys[i].addr, json_string_value(json_object_get(k, "address")),
		       "key k%zu loads to its address", i);
	}
	json_decref(kj);
	free(text);
	free(path);
}

/* The SDK's reason text, as our status; for "InvalidSignature" it depends on
 * whether EE_SIGN was DER at all (signature_info is null when it was not). */
static enum envelope_status sdk_status(const char *sdk_message, bool sig_is_der)
{
	static const struct {
		const char *sdk;
		enum envelope_status ours;
	} map[] = {
	    {"<Signature OK>", ENVELOPE_OK},
	    {"Corrupted digest!", ENVELOPE_HASH_MISMATCH},
	    {"Signature is NULL", ENVELOPE_MISSING_SIGNATURE},
	    {"Sender address is NULL", ENVELOPE_MISSING_SENDER},
	    {"Unknown signing canon version: ", ENVELOPE_UNKNOWN_CANON_VERSION},
	};
	if (strcmp(sdk_message, "InvalidSignature") == 0)
		return sig_is_der ? ENVELOPE_BAD_SIGNATURE : ENVELOPE_MALFORMED;
	for (size_t i = 0; i < R1_ARRAY_LEN(map); i++)
		if (strncmp(sdk_message, map[i].sdk, strlen(map[i].sdk)) == 0)
			return map[i].ours;
	return ENVELOPE__COUNT;
}

static void test_canon_sign_rows(void)
{
	char *path = tap_vector_path("canon_sign.jsonl");
	size_t n;
	char **lines = tap_read_lines(path, &n);
	size_t rows = 0, valid_same = 0, status_same = 0, path_same = 0, reasons = 0, valid = 0;
	size_t sender_same = 0, hashed_same = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *row = json_loads(lines[i], JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, NULL);
		const char *id = json_string_value(json_object_get(row, "id"));
		json_t *exp = json_object_get(row, "expected");
		json_t *wire = json_object_get(row, "wire");
		bool want_valid = json_is_true(json_object_get(exp, "valid"));
		const char *sdk_msg = json_string_value(json_object_get(exp, "sdk_message"));
		const char *want_path = json_string_value(json_object_get(exp, "canon_path"));
		bool eth = json_is_true(json_object_get(row, "verifier_eth_enabled"));
		bool der = !json_is_null(json_object_get(row, "signature_info"));
		struct envelope_verdict v;
		envelope_verify_wire(&ctx, json_string_value(wire), json_string_length(wire), eth,
		                     &v);
		rows++;
		bool is_valid = v.status == ENVELOPE_OK;
		valid += is_valid;
		valid_same +=
		    ok(is_valid == want_valid, "%s: %s as the SDK says (%s); ours: %s%s%s", id,
		       want_valid ? "valid" : "invalid", sdk_msg, envelope_status_name(v.status),
		       v.reason[0] ? ": " : "", v.reason);
		status_same += is_int(v.status, sdk_status(sdk_msg, der),
		                      "%s: status maps from the SDK's reason", id);
		if (want_valid) {
			path_same +=
			    is_str(envelope_canon_name(v.canon), want_path, "%s: canon path", id);
			sender_same += is_str(
			    v.sender, json_string_value(json_object_get(row, "signer_address")),
			    "%s: sender", id);
			hashed_same +=
			    is_int(v.hashed, !json_is_null(json_object_get(row, "ee_hash")),
			           "%s: hashed flag", id);
		} else {
			reasons += ok(v.reason[0] != '\0', "%s: refusal has a reason", id);
		}
		json_decref(row);
	}
	tap_free_lines(lines);
	free(path);
	is_int(rows, 90, "90 rows");
	is_int(valid, 75, "75 valid (76 with a canonical text, less the SDK quirk)");
	is_int(valid_same, rows, "every validity equals the SDK's");
	is_int(status_same, rows, "every status maps from the SDK's reason");
	is_int(path_same, 75, "every canon path equals the SDK's");
	is_int(sender_same, 75, "every sender is the signer");
	is_int(hashed_same, 75, "EE_HASH use as recorded");
	is_int(reasons, 15, "15 refusals, each with a reason");
}

static void test_signature_check_rows(const char *file, size_t want)
{
	char *path = tap_vector_path(file);
	size_t n;
	char **lines = tap_read_lines(path, &n);
	size_t rows = 0, same = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *row = json_loads(lines[i], JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, NULL);
		json_t *sc = json_object_get(row, "signature_check");
		json_t *wire = json_object_get(row, "wire");
		if (!sc) {
			json_decref(row);
			continue;
		}
		rows++;
		struct envelope_verdict v;
		envelope_verify_wire(&ctx, json_string_value(wire), json_string_length(wire), true,
		                     &v);
		bool want_valid = json_is_true(json_object_get(sc, "valid"));
		same += ok((v.status == ENVELOPE_OK) == want_valid && v.canon == ENVELOPE_CANON_V2,
		           "%s %s: %s (canon %s) %s", file,
		           json_string_value(json_object_get(row, "id")),
		           envelope_status_name(v.status), envelope_canon_name(v.canon), v.reason);
		json_decref(row);
	}
	is_int(rows, want, "%s: %zu signature checks", file, want);
	is_int(same, rows, "%s: every verdict equals the SDK's", file);
	tap_free_lines(lines);
	free(path);
}

/* ------------------------------------------------------------ round trip */

static const char *const samples[] = {
    "{}",
    "{\"x\":0.1,\"label\":\"p01\"}",
    "{\"f\":[0.5,100.0,1e+22,1.5e-07,0.30000000000000004,5e-324,-0.0,1e16,9999999999999998.0],"
    "\"i\":-9223372036854775807}",
    "{\"s\":\"\\u0103\\u00ee\\u0219 \\ud83d\\ude00 \\u0000\\u001f\\\"\\\\/\",\"k\\u00e9\":true,"
    "\"n\":null,\"e\":[],\"o\":{}}",
    "{\"EE_PAYLOAD_PATH\":[\"node\",null,null,null],\"DATA\":{\"b\":{\"a\":[1,[2,{\"c\":3}]]}},"
    "\"SIGN_CANON_V\":\"v1\",\"EE_SIGN\":\"old\",\"EE_HASH\":\"old\"}",
};

static void round_trip(size_t k, bool eth, const char *text)
{
	json_error_t jerr;
	json_t *msg = json_loads(text, JSON_ALLOW_NUL, &jerr);
	if (!msg)
		tap_bail("sample does not load: %s", jerr.text);
	struct buf wire = BUF_INIT;
	json_t *signed_msg = NULL;
	char *why = NULL;
	is_int(envelope_sign(msg, &keys[k], eth, &wire, &signed_msg, &why), R1_OK,
	       "k%zu eth=%d: sign %.30s", k, eth, text);
	struct envelope_verdict v;
	envelope_verify_wire(&ctx, wire.data, wire.len, eth, &v);
	ok(v.status == ENVELOPE_OK && v.canon == ENVELOPE_CANON_V2 && v.hashed,
	   "k%zu eth=%d: our wire verifies (v2): %s", k, eth, v.reason);
	is_str(v.sender, keys[k].addr, "k%zu: signed by k%zu", k, k);
	const struct jdoc_node *m = envelope_ctx_message(&ctx);
	ok(jdoc_str_eq(jdoc_obj_get(m, "SIGN_CANON_V"), "v2", 2), "SIGN_CANON_V is v2");
	const struct jdoc_node *es = jdoc_obj_get(m, "EE_ETH_SIGN");
	if (eth) {
		ok(es && jdoc_str_eq(es, "0xBEEF", 6), "EE_ETH_SIGN placeholder");
		const struct jdoc_node *ea = jdoc_obj_get(m, "EE_ETH_SENDER");
		is_str(ea ? jdoc_str(ea) : "", key_eth[k],
		       "EE_ETH_SENDER is the key's ETH address");
	} else {
		ok(es == NULL, "no ETH fields with ETH off");
	}
	size_t der_len;
	const struct jdoc_node *sig = jdoc_obj_get(m, "EE_SIGN");
	uint8_t *der = NULL;
	ok(base64_decode(jdoc_str(sig), jdoc_len(sig), B64_URL, &der, &der_len, NULL) == R1_OK &&
	       !sig_is_high_s(der, der_len),
	   "our signatures are low-S DER in URL-safe base64");
	r1_free(der);
	json_t *reread = json_loadb(wire.data, wire.len, JSON_ALLOW_NUL, NULL);
	ok(reread && json_equal(reread, signed_msg), "signed_msg equals the wire");
	json_decref(reread);

	/* the other ETH setting: with ETH signed, a non-ETH peer hashes EE_ETH_* */
	envelope_verify_wire(&ctx, wire.data, wire.len, !eth, &v);
	if (eth)
		is_int(v.status, ENVELOPE_HASH_MISMATCH, "ETH-signed fails for a non-ETH verifier");
	else
		is_int(v.status, ENVELOPE_OK, "non-ETH-signed has no EE_ETH_*: valid for both");

	/* signing the parsed text gives the same hash and a valid wire */
	struct jdoc *d = jdoc_new();
	jdoc_parse(d, text, strlen(text), NULL, NULL);
	struct buf wire2 = BUF_INIT;
	is_int(envelope_sign_jdoc(jdoc_root(d), &keys[k], eth, &wire2, NULL), R1_OK,
	       "sign the parsed text");
	envelope_verify_wire(&ctx, wire2.data, wire2.len, eth, &v);
	is_int(v.status, ENVELOPE_OK, "jdoc-signed wire verifies: %s", v.reason);
	const struct jdoc_node *h2 = jdoc_obj_get(envelope_ctx_message(&ctx), "EE_HASH");
	is_str(h2 ? jdoc_str(h2) : "", json_string_value(json_object_get(signed_msg, "EE_HASH")),
	       "same EE_HASH from jansson and from text");
	buf_release(&wire2);
	jdoc_free(&d);
	json_decref(signed_msg);
	json_decref(msg);
	buf_release(&wire);
	r1_free(why);
}

static void test_round_trip(void)
{
	for (size_t k = 0; k < 3; k++)
		for (size_t s = 0; s < R1_ARRAY_LEN(samples); s++) {
			round_trip(k, true, samples[s]);
			round_trip(k, false, samples[s]);
		}
	char *why = NULL;
	json_t *arr = json_array();
	struct buf w = BUF_INIT;
	is_int(envelope_sign(arr, &keys[0], true, &w, NULL, &why), R1_ERR_INVAL,
	       "signing a non-object refused");
	is_str(why, "sign: the message is not a JSON object", "reason");
	json_decref(arr);
	buf_release(&w);
	r1_free(why);

	/* re-signing every vector wire (big integers, NaN) through the parsed path */
	char *path = tap_vector_path("canon_sign.jsonl");
	size_t n, good = 0;
	char **lines = tap_read_lines(path, &n);
	struct jdoc *d = jdoc_new();
	for (size_t i = 0; i < n; i++) {
		json_t *row = json_loads(lines[i], JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, NULL);
		json_t *wire = json_object_get(row, "wire");
		struct buf out = BUF_INIT;
		struct envelope_verdict v;
		if (jdoc_parse(d, json_string_value(wire), json_string_length(wire), NULL, NULL) ==
		        R1_OK &&
		    envelope_sign_jdoc(jdoc_root(d), &keys[i % 3], i % 2, &out, NULL) == R1_OK)
			good +=
			    envelope_verify_wire(&ctx, out.data, out.len, i % 2, &v) == ENVELOPE_OK;
		buf_release(&out);
		json_decref(row);
	}
	is_int(good, 90, "all 90 vector messages re-signed by us verify");
	jdoc_free(&d);
	tap_free_lines(lines);
	free(path);
}

/* ------------------------------------------------------------- hostile */

/* Build "{<data>,"EE_SIGN":..,"EE_SENDER":..,"EE_HASH":..}" signed by hand over
 * `data_canon` (the canonical text a receiver must compute). */
static char *hand_signed(const char *data_wire, const char *data_canon,
                         const struct r1_identity *id)
{
	uint8_t h[32], digest[32], der[R1_SIG_DER_MAX];
	size_t der_len;
	sha256(data_canon, strlen(data_canon), h);
	sha256(h, 32, digest);
	identity_sign_digest(id, digest, der, &der_len, NULL);
	struct buf b = BUF_INIT;
	buf_adds(&b, data_wire);
	b.len--;
	buf_adds(&b, ",\"EE_SIGN\":\"");
	base64_encode(&b, der, der_len, B64_URL);
	buf_addf(&b, "\",\"EE_SENDER\":\"%s\",\"EE_HASH\":\"", id->addr);
	buf_addhex(&b, h, 32);
	buf_adds(&b, "\"}");
	return buf_detach(&b, NULL);
}

struct hostile {
	const char *name;
	const char *wire;
	enum envelope_status want;
	const char *reason;
};

static void check(const char *name, const char *wire, size_t len, enum envelope_status want,
                  const char *reason)
{
	struct envelope_verdict v;
	envelope_verify_wire(&ctx, wire, len, true, &v);
	is_int(v.status, want, "%s: %s", name, envelope_status_name(want));
	if (reason)
		is_str(v.reason, reason, "%s: reason", name);
	else
		ok(v.status == ENVELOPE_OK || v.reason[0], "%s: has a reason (%s)", name, v.reason);
}

/* Replace the first occurrence of `from` in `s` by `to` (new string). */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	if (!at)
		tap_bail("replace: '%s' not found", from);
	struct buf b = BUF_INIT;
	buf_add(&b, s, (size_t)(at - s));
	buf_adds(&b, to);
	buf_adds(&b, at + strlen(from));
	return buf_detach(&b, NULL);
}

static void test_hostile(void)
{
	const char *A = keys[0].addr;
	char *good = hand_signed("{\"a\":1}", "{\"a\":1}", &keys[0]);
	check("hand-signed", good, strlen(good), ENVELOPE_OK, "");
	const char *sig = strstr(good, "\"EE_SIGN\":\"") + 11;
	char sigtext[128];
	snprintf(sigtext, sizeof(sigtext), "%.*s", (int)(strchr(sig, '"') - sig), sig);
	char hashtext[65];
	snprintf(hashtext, sizeof(hashtext), "%s", strstr(good, "\"EE_HASH\":\"") + 11);

	static const struct hostile fixed[] = {
	    {"array root", "[]", ENVELOPE_MALFORMED, "the message is not a JSON object"},
	    {"string root", "\"x\"", ENVELOPE_MALFORMED, "the message is not a JSON object"},
	    {"number root", "1", ENVELOPE_MALFORMED, "the message is not a JSON object"},
	    {"not JSON", "{\"a\":", ENVELOPE_MALFORMED,
	     "json: unexpected end of input, expected a value at byte 5"},
	    {"empty", "", ENVELOPE_MALFORMED,
	     "json: unexpected end of input, expected a value at byte 0"},
	    {"no sender", "{\"EE_SIGN\":\"x\"}", ENVELOPE_MISSING_SENDER, "EE_SENDER is missing"},
	    {"null sender", "{\"EE_SENDER\":null,\"EE_SIGN\":\"x\"}", ENVELOPE_MISSING_SENDER,
	     "EE_SENDER is null"},
	    {"no signature", "{\"EE_SENDER\":\"x\"}", ENVELOPE_MISSING_SIGNATURE,
	     "EE_SIGN is missing"},
	    {"null signature", "{\"EE_SENDER\":\"x\",\"EE_SIGN\":null}", ENVELOPE_MISSING_SIGNATURE,
	     "EE_SIGN is null"},
	    {"signature not a string", "{\"EE_SENDER\":\"x\",\"EE_SIGN\":123}", ENVELOPE_MALFORMED,
	     "EE_SIGN is an integer, not a string"},
	    {"signature not base64", "{\"EE_SENDER\":\"x\",\"EE_SIGN\":\"ab!d\"}",
	     ENVELOPE_MALFORMED,
	     "EE_SIGN is not a DER signature in URL-safe base64: base64: invalid URL-safe "
	     "character or padding at 2"},
	    {"signature bad length", "{\"EE_SENDER\":\"x\",\"EE_SIGN\":\"abcde\"}",
	     ENVELOPE_MALFORMED,
	     "EE_SIGN is not a DER signature in URL-safe base64: base64: length 5 is not a "
	     "multiple of 4"},
	    {"signature standard alphabet", "{\"EE_SENDER\":\"x\",\"EE_SIGN\":\"ab+/\"}",
	     ENVELOPE_MALFORMED,
	     "EE_SIGN is not a DER signature in URL-safe base64: base64: invalid URL-safe "
	     "character or padding at 2"},
	    {"lone surrogate", "{\"a\":\"\\udc00\"}", ENVELOPE_MALFORMED,
	     "json: lone low surrogate escape in string at byte 6"},
	    {"invalid UTF-8", "{\"a\":\"\xc0\xaf\"}", ENVELOPE_MALFORMED,
	     "json: invalid UTF-8 in string at byte 6"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(fixed); i++)
		check(fixed[i].name, fixed[i].wire, strlen(fixed[i].wire), fixed[i].want,
		      fixed[i].reason);

	/* senders */
	struct {
		const char *name, *sender, *reason;
	} senders[] = {
	    {"sender too short", "0xai_AmksBiCPRN2OWfzT0kL22yii",
	     "EE_SENDER \"0xai_AmksBiCPRN2OWfzT0kL22yii\": address must have 44 characters "
	     "after the prefix, not 24"},
	    {"sender 45 chars", "0xai_AmksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8A",
	     "EE_SENDER \"0xai_AmksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8A\": address must "
	     "have 44 characters after the prefix, not 45"},
	    {"sender empty", "",
	     "EE_SENDER \"\": address must have 44 characters after the prefix, not 0"},
	    {"sender uncompressed key",
	     "0xai_BGksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8yTtMkxjQMxnBZy3iz-scWE2-CUSf-"
	     "-TzrVdOd4YNqS4=",
	     "EE_SENDER \"0xai_BGksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8yTtMkxjQMxnBZy3iz-"
	     "scWE...\": address must have 44 characters after the prefix, not 88"},
	    {"sender not base64", "0xai_AmksBiCPRN2OWfzT0kL22yii+tOqLCcJKLICQnVsSqF8",
	     "EE_SENDER \"0xai_AmksBiCPRN2OWfzT0kL22yii+tOqLCcJKLICQnVsSqF8\": address is not "
	     "URL-safe base64 of a 33-byte key"},
	    {"sender prefix byte 04", "0xai_BGksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8",
	     "EE_SENDER \"0xai_BGksBiCPRN2OWfzT0kL22yii-tOqLCcJKLICQnVsSqF8\": address is not a "
	     "compressed public key"},
	    {"sender off the curve", "0xai_Av__________________________________________",
	     "EE_SENDER \"0xai_Av__________________________________________\": address is not "
	     "a point on secp256k1"},
	    {"sender x = 0", "0xai_AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	     "EE_SENDER \"0xai_AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\": address is not "
	     "a point on secp256k1"},
	    {"sender with control bytes", "0xai_\\u0007\\n",
	     "EE_SENDER \"0xai_??\": address must have 44 characters after the prefix, not 2"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(senders); i++) {
		char from[80], to[200];
		snprintf(from, sizeof(from), "\"EE_SENDER\":\"%s\"", A);
		snprintf(to, sizeof(to), "\"EE_SENDER\":\"%s\"", senders[i].sender);
		char *w = replace(good, from, to);
		check(senders[i].name, w, strlen(w), ENVELOPE_BAD_SENDER_ADDRESS,
		      senders[i].reason);
		r1_free(w);
	}
	char from[80];
	snprintf(from, sizeof(from), "\"EE_SENDER\":\"%s\"", A);
	char *w = replace(good, from, "\"EE_SENDER\":42");
	check("sender not a string", w, strlen(w), ENVELOPE_BAD_SENDER_ADDRESS,
	      "EE_SENDER is an integer, not a string");
	r1_free(w);
	char to[640];
	snprintf(to, sizeof(to), "\"EE_SENDER\":\"aixp_%s\"", A + 5);
	w = replace(good, from, to);
	check("aixp_ prefix", w, strlen(w), ENVELOPE_OK, "");
	r1_free(w);
	snprintf(to, sizeof(to), "\"EE_SENDER\":\"%s\"", A + 5);
	w = replace(good, from, to);
	check("no prefix", w, strlen(w), ENVELOPE_OK, "");
	r1_free(w);
	snprintf(to, sizeof(to), "\"EE_SENDER\":\"%s\"", keys[1].addr);
	w = replace(good, from, to);
	check("another key's address", w, strlen(w), ENVELOPE_BAD_SIGNATURE,
	      "the signature does not verify for the key of EE_SENDER (canon unversioned and v1: "
	      "no floats, same text)");
	r1_free(w);

	/* signatures: DER garbage, DER of another message, 10 KB of base64 */
	uint8_t junk[70];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	struct buf b = BUF_INIT;
	buf_adds(&b, "\"EE_SIGN\":\"");
	base64_encode(&b, junk, sizeof(junk), B64_URL);
	buf_addc(&b, '"');
	char sigfrom[160];
	snprintf(sigfrom, sizeof(sigfrom), "\"EE_SIGN\":\"%s\"", sigtext);
	w = replace(good, sigfrom, b.data);
	check("DER garbage", w, strlen(w), ENVELOPE_MALFORMED,
	      "EE_SIGN is not a DER-encoded ECDSA signature (canon unversioned and v1: no floats, "
	      "same text)");
	r1_free(w);
	buf_reset(&b);
	buf_adds(&b, "\"EE_SIGN\":\"");
	for (int i = 0; i < 2500; i++)
		buf_adds(&b, "AAAA");
	buf_addc(&b, '"');
	w = replace(good, sigfrom, b.data);
	check("10 KB signature", w, strlen(w), ENVELOPE_MALFORMED,
	      "EE_SIGN is not a DER signature in URL-safe base64: base64: 7500 bytes do not fit "
	      "96");
	r1_free(w);
	buf_reset(&b);
	buf_adds(&b, "\"EE_SIGN\":\"\"");
	w = replace(good, sigfrom, b.data);
	check("empty signature", w, strlen(w), ENVELOPE_MALFORMED, NULL);
	r1_free(w);
	buf_release(&b);
	char *other = hand_signed("{\"a\":2}", "{\"a\":2}", &keys[0]);
	const char *osig = strstr(other, "\"EE_SIGN\":\"");
	char osigtext[160];
	snprintf(osigtext, sizeof(osigtext), "%.*s", (int)(strchr(osig + 11, '"') - osig + 1),
	         osig);
	w = replace(good, sigfrom, osigtext);
	check("signature of another message", w, strlen(w), ENVELOPE_BAD_SIGNATURE, NULL);
	r1_free(w);
	r1_free(other);

	/* EE_HASH: Python truthiness decides whether it is checked */
	char hfrom[100];
	snprintf(hfrom, sizeof(hfrom), "\"EE_HASH\":\"%s", hashtext);
	char upper[100];
	snprintf(upper, sizeof(upper), "\"EE_HASH\":\"%s", hashtext);
	for (char *p = upper + 11; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	w = replace(good, hfrom, upper);
	check("uppercase EE_HASH", w, strlen(w), ENVELOPE_HASH_MISMATCH, NULL);
	r1_free(w);
	static const char *const falsy[] = {"\"\"", "null", "0", "0.0", "false", "[]", "{}"};
	for (size_t i = 0; i < R1_ARRAY_LEN(falsy); i++) {
		char hto[40];
		snprintf(hto, sizeof(hto), "\"EE_HASH\":%s", falsy[i]);
		char hf[120];
		snprintf(hf, sizeof(hf), "\"EE_HASH\":\"%.64s\"", hashtext);
		w = replace(good, hf, hto);
		/* falsy: the signature must be over the canonical bytes, and it is not */
		check(falsy[i], w, strlen(w), ENVELOPE_BAD_SIGNATURE, NULL);
		r1_free(w);
	}
	static const char *const truthy[] = {"1", "true", "[1]", "\"x\"", "NaN"};
	for (size_t i = 0; i < R1_ARRAY_LEN(truthy); i++) {
		char hto[40], hf[120];
		snprintf(hto, sizeof(hto), "\"EE_HASH\":%s", truthy[i]);
		snprintf(hf, sizeof(hf), "\"EE_HASH\":\"%.64s\"", hashtext);
		w = replace(good, hf, hto);
		check(truthy[i], w, strlen(w), ENVELOPE_HASH_MISMATCH, NULL);
		r1_free(w);
	}

	/* signed without EE_HASH: the signature covers the canonical bytes */
	{
		uint8_t h[32], der[R1_SIG_DER_MAX];
		size_t der_len;
		const char *canon = "{\"SIGN_CANON_V\":\"v2\",\"z\":[1.0,null]}";
		sha256(canon, strlen(canon), h);
		identity_sign_digest(&keys[2], h, der, &der_len, NULL);
		struct buf m = BUF_INIT;
		buf_adds(
		    &m, "{\"z\":[1.0,NaN],\"SIGN_CANON_V\":\"v2\",\"EE_HASH\":\"\",\"EE_SIGN\":\"");
		base64_encode(&m, der, der_len, B64_URL);
		buf_addf(&m, "\",\"EE_SENDER\":\"%s\"}", keys[2].addr);
		struct envelope_verdict v;
		envelope_verify_wire(&ctx, m.data, m.len, true, &v);
		ok(v.status == ENVELOPE_OK && !v.hashed && v.canon == ENVELOPE_CANON_V2,
		   "empty EE_HASH: signature over the canonical bytes verifies (%s)", v.reason);
		buf_release(&m);
	}

	/* SIGN_CANON_V values */
	char *v2 = hand_signed("{\"a\":1.0,\"SIGN_CANON_V\":\"v2\"}",
	                       "{\"SIGN_CANON_V\":\"v2\",\"a\":1.0}", &keys[1]);
	check("hand-signed v2", v2, strlen(v2), ENVELOPE_OK, "");
	struct {
		const char *to;
		enum envelope_status want;
		const char *reason;
	} cv[] = {
	    {"\"SIGN_CANON_V\":\"v3\"", ENVELOPE_UNKNOWN_CANON_VERSION,
	     "unknown SIGN_CANON_V \"v3\" (known: \"v1\", \"v2\")"},
	    {"\"SIGN_CANON_V\":\"V2\"", ENVELOPE_UNKNOWN_CANON_VERSION,
	     "unknown SIGN_CANON_V \"V2\" (known: \"v1\", \"v2\")"},
	    {"\"SIGN_CANON_V\":2", ENVELOPE_UNKNOWN_CANON_VERSION,
	     "unknown SIGN_CANON_V an integer (known: \"v1\", \"v2\")"},
	    {"\"SIGN_CANON_V\":[\"v2\"]", ENVELOPE_UNKNOWN_CANON_VERSION,
	     "unknown SIGN_CANON_V an array (known: \"v1\", \"v2\")"},
	    {"\"SIGN_CANON_V\":null", ENVELOPE_HASH_MISMATCH, NULL},
	    {"\"SIGN_CANON_V\":\"v1\"", ENVELOPE_HASH_MISMATCH, NULL},
	    {"\"SIGN_CANON_V\":\"v2\",\"SIGN_CANON_V\":\"v2\"", ENVELOPE_OK, ""},
	    {"\"SIGN_CANON_V\":\"v9\",\"SIGN_CANON_V\":\"v2\"", ENVELOPE_OK, ""},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(cv); i++) {
		w = replace(v2, "\"SIGN_CANON_V\":\"v2\"", cv[i].to);
		check(cv[i].to, w, strlen(w), cv[i].want, cv[i].reason);
		r1_free(w);
	}
	w = replace(v2, "\"SIGN_CANON_V\":\"v2\"", "\"SIGN_CANON_V\":null");
	struct envelope_verdict v;
	envelope_verify_wire(&ctx, w, strlen(w), true, &v);
	ok(strstr(v.reason, "(canon v1); EE_HASH says") && strstr(v.reason, "(canon unversioned)"),
	   "unversioned failure names both attempts: %s", v.reason);
	r1_free(w);
	r1_free(v2);

	/* legacy float encoder path: SIGN_CANON_V absent, the legacy text signed */
	char *leg = hand_signed("{\"t\":21.0,\"v\":[2.5e-300,-0.0]}", "{\"t\":21,\"v\":[0.0025,0]}",
	                        &keys[2]);
	envelope_verify_wire(&ctx, leg, strlen(leg), true, &v);
	ok(v.status == ENVELOPE_OK && v.canon == ENVELOPE_CANON_V1,
	   "legacy-signed unversioned message verifies on the second attempt (%s)",
	   envelope_canon_name(v.canon));
	r1_free(leg);

	/* a 100-digit integer hashes exactly; one digit changed does not */
	const char *big = "{\"n\":1234567890123456789012345678901234567890123456789012345678901234"
	                  "567890123456789012345678901234567890}";
	char *bs = hand_signed(big, big, &keys[0]);
	check("100-digit integer", bs, strlen(bs), ENVELOPE_OK, "");
	w = replace(bs, "567890,", "567891,");
	check("100-digit integer, last digit changed", w, strlen(w), ENVELOPE_HASH_MISMATCH, NULL);
	r1_free(w);
	r1_free(bs);

	/* 10 MB message and 1,000-deep nesting */
	size_t big_len = 10u * 1024 * 1024;
	char *huge = r1_malloc(big_len);
	memset(huge, ' ', big_len);
	memcpy(huge, "{\"s\":\"", 6);
	memset(huge + 6, 'x', big_len - 8);
	memcpy(huge + big_len - 2, "\"}", 2);
	check("10 MB message", huge, big_len, ENVELOPE_MALFORMED,
	      "json: input of 10485760 bytes is over the limit of 2097152");
	r1_free(huge);
	struct buf deep = BUF_INIT;
	for (int i = 0; i < 1000; i++)
		buf_adds(&deep, "{\"a\":[");
	check("1000-deep nesting", deep.data, deep.len, ENVELOPE_MALFORMED,
	      "json: nesting deeper than the limit at byte 1536");
	buf_release(&deep);

	/* truncation of a signed wire at every length never crashes */
	size_t glen = strlen(good), malformed = 0;
	for (size_t len = 0; len < glen; len++) {
		char *cut = r1_memdup(good, len ? len : 1);
		envelope_verify_wire(&ctx, cut, len, true, &v);
		malformed += v.status == ENVELOPE_MALFORMED && v.reason[0];
		r1_free(cut);
	}
	is_int(malformed, glen, "every truncation is malformed, with a reason");
	r1_free(good);
}

static void test_memory(void)
{
	char *path = tap_vector_path("heartbeat.jsonl");
	char **lines = tap_read_lines(path, NULL);
	json_t *row = json_loads(lines[0], JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, NULL);
	json_t *wire = json_object_get(row, "wire");
	const char *w = json_string_value(wire);
	size_t wl = json_string_length(wire);
	struct envelope_verdict v;
	envelope_verify_wire(&ctx, w, wl, true, &v);
	is_int(v.status, ENVELOPE_OK, "heartbeat verifies");
	r1_alloc_fail_after(0);
	envelope_verify_wire(&ctx, w, wl, true, &v);
	long refused = r1_alloc_fail_after(-1);
	is_int(v.status, ENVELOPE_OK, "again with every allocation failing");
	is_int(refused, 0, "the warm receive path does not allocate");

	/* fault injection on a cold context: a verdict or NO_RESOURCES, no leak */
	size_t verdicts = 0, nores = 0;
	for (long k = 0; k < 12; k++) {
		struct envelope_ctx c;
		if (envelope_ctx_init(&c, NULL)) {
			envelope_ctx_release(&c);
			continue;
		}
		r1_alloc_fail_after(k);
		envelope_verify_wire(&c, w, wl, true, &v);
		r1_alloc_fail_after(-1);
		verdicts += v.status == ENVELOPE_OK;
		nores += v.status == ENVELOPE_NO_RESOURCES && v.reason[0];
		envelope_ctx_release(&c);
	}
	is_int(verdicts + nores, 12, "fault injection: valid or out of memory, nothing else");
	ok(nores >= 2, "out of memory reported (%zu times)", nores);
	json_decref(row);
	tap_free_lines(lines);
	free(path);

	is_str(envelope_status_name(ENVELOPE_HASH_MISMATCH), "hash mismatch", "status name");
	is_str(envelope_status_name((enum envelope_status)99), "unknown", "unknown status name");
	is_str(envelope_canon_name(ENVELOPE_CANON_UNVERSIONED), "unversioned", "canon name");
}

int main(void)
{
	r1_alloc_setup_jansson();
	if (envelope_ctx_init(&ctx, NULL))
		tap_bail("envelope_ctx_init");
	load_keys();
	test_canon_sign_rows();
	test_signature_check_rows("heartbeat.jsonl", 5);
	test_signature_check_rows("commands.jsonl", 19);
	test_round_trip();
	test_hostile();
	test_memory();
	envelope_ctx_release(&ctx);
	for (size_t i = 0; i < 3; i++)
		identity_wipe(&keys[i]);
	return tap_done();
}
