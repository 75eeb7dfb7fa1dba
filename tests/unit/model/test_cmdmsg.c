/*
 * Commands built here against the SDK's own (commands.jsonl): for the same
 * operations, the same PAYLOAD shapes, the same ACTION/PAYLOAD once the
 * node key decrypts EE_ENCRYPTED_DATA, the same envelope keys in the same
 * order with the same values (TIME and the ciphertext aside), for the
 * encrypted and the clear forms, and the NetConfig GET_CONFIG request.
 */
#include "core/lib.h"
#include "core/cipher.h"
#include "core/cmdmsg.h"
#include "core/codec.h"
#include "core/proto.h"
#include "tests/tap.h"

static json_t *rows[32];
static size_t n_rows;

static void load_rows(void)
{
	char *path = tap_vector_path("commands.jsonl");
	char **lines = tap_read_lines(path, &n_rows);
	if (n_rows > R1_ARRAY_LEN(rows))
		tap_bail("too many rows");
	for (size_t i = 0; i < n_rows; i++)
		if (!(rows[i] = json_loads(lines[i], 0, NULL)))
			tap_bail("row %zu does not parse", i);
	tap_free_lines(lines);
	free(path);
}

static const json_t *row(const char *id)
{
	for (size_t i = 0; i < n_rows; i++)
		if (strcmp(json_string_value(json_object_get(rows[i], "id")), id) == 0)
			return rows[i];
	tap_bail("no row %s", id);
}

static void load_key(const char *name, struct r1_identity *id)
{
	char *path = tap_vector_path("keys.json");
	char *text = tap_read_file(path, NULL);
	json_t *keys = json_loads(text, 0, NULL);
	size_t i;
	json_t *k;
	bool found = false;
	json_array_foreach(json_object_get(keys, "keys"), i, k)
	{
		if (strcmp(json_string_value(json_object_get(k, "name")), name) != 0)
			continue;
		uint8_t secret[32];
		hex_decode(json_string_value(json_object_get(k, "private_key_hex")), 64, secret, 32,
		           NULL);
		found = identity_from_secret(id, secret, NULL) == R1_OK;
	}
	json_decref(keys);
	free(text);
	free(path);
	if (!found)
		tap_bail("key %s", name);
}

static bool is_sig_key(const char *k)
{
	static const char *const sig[] = {"EE_SIGN", "EE_HASH", "EE_ETH_SENDER", "EE_ETH_SIGN",
	                                  "SIGN_CANON_V"};
	for (size_t i = 0; i < R1_ARRAY_LEN(sig); i++)
		if (strcmp(k, sig[i]) == 0)
			return true;
	return false;
}

/* "k1,k2,..." of the message keys in order, without the signature block. */
static char *key_list(const json_t *m)
{
	struct buf b = BUF_INIT;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)m, k, v)
	{
		if (is_sig_key(k))
			continue;
		buf_addf(&b, "%s%s", b.len ? "," : "", k);
	}
	return buf_detach(&b, NULL);
}

static struct r1_identity k0, k1, k2;

/* Compare a message of ours with the SDK's row, field by field. */
static void compare(const char *id, const json_t *mine, bool multi)
{
	const json_t *r = row(id);
	const json_t *theirs = json_object_get(r, "message");
	char *a = key_list(mine), *b = key_list(theirs);
	is_str(a, b, "%s: same envelope keys in the same order", id);
	r1_free(a);
	r1_free(b);
	static const char *const same[] = {"EE_IS_ENCRYPTED", "EE_DEST",      "EE_ID",
	                                   "SESSION_ID",      "INITIATOR_ID", "EE_SENDER",
	                                   "EE_PAYLOAD_PATH", "ACTION",       "PAYLOAD"};
	int diff = 0;
	for (size_t i = 0; i < R1_ARRAY_LEN(same); i++) {
		const json_t *x = json_object_get(mine, same[i]);
		const json_t *y = json_object_get(theirs, same[i]);
		if ((x || y) && !(x && y && json_equal((json_t *)x, (json_t *)y))) {
			tap_diag("%s differs", same[i]);
			diff++;
		}
	}
	is_int(diff, 0, "%s: same values (EE_DEST, EE_ID, SESSION_ID, INITIATOR_ID, ...)", id);
	const char *t = json_string_value(json_object_get(mine, "TIME"));
	ok(t && strlen(t) == 26 && t[4] == '-' && t[10] == ' ' && t[19] == '.',
	   "%s: TIME as %%Y-%%m-%%d %%H:%%M:%%S.%%f: %s", id, t ? t : "(none)");
	const json_t *enc = json_object_get(mine, "EE_ENCRYPTED_DATA");
	if (!json_is_true(json_object_get(theirs, "EE_IS_ENCRYPTED")))
		return;
	struct buf plain = BUF_INIT;
	char *why = NULL;
	is_int(cipher_decrypt(&k1, k0.addr, json_string_value(enc), json_string_length(enc),
	                      1 << 20, NULL, &plain, &why),
	       R1_OK, "%s: the node key decrypts ours", id);
	json_t *got = json_loads(buf_cstr(&plain), 0, NULL);
	json_t *want =
	    json_loads(json_string_value(json_object_get(r, "decrypted_by_target")), 0, NULL);
	ok(got && want && json_equal(got, want), "%s: same plaintext object as the SDK's", id);
	struct buf other = BUF_INIT;
	ok(cipher_decrypt(&k2, k0.addr, json_string_value(enc), json_string_length(enc), 1 << 20,
	                  NULL, &other, NULL) != R1_OK,
	   "%s: a third key cannot decrypt it", id);
	if (multi)
		ok(strncmp(json_string_value(enc), "eJ", 2) == 0,
		   "%s: multi-recipient form (a zlib stream in base64)", id);
	buf_release(&other);
	json_decref(got);
	json_decref(want);
	buf_release(&plain);
	r1_free(why);
}

static json_t *payload_of(const char *id)
{
	return json_object_get(row(id), "payload");
}

static void check_shape(const char *id, json_t *mine)
{
	ok(mine && json_equal(mine, payload_of(id)), "%s: PAYLOAD shape as the SDK's", id);
	if (mine && !json_equal(mine, payload_of(id))) {
		char *s = json_dumps(mine, JSON_COMPACT);
		tap_diag("ours: %s", s);
		free(s);
	}
}

static void one_operation(const char *id_enc, const char *id_clear, const char *action,
                          json_t *(*make)(const char *pipe))
{
	const char *ids[2] = {id_enc, id_clear};
	const char *pipes[2] = {"vec_a_enc", "vec_a_plain"};
	for (int i = 0; i < 2; i++) {
		json_t *payload = make ? make(pipes[i]) : json_incref(payload_of(ids[i]));
		if (make)
			check_shape(ids[i], payload);
		struct cmdmsg_ctx c = {.id = &k0, .name = "vecsdk-a", .encrypt = i == 0};
		json_t *msg = NULL;
		char *why = NULL;
		is_int(cmdmsg_command(&c, action, json_is_null(payload) ? NULL : payload, k1.addr,
		                      1800000000000000, &msg, &why),
		       R1_OK, "%s: built", ids[i]);
		if (msg)
			compare(ids[i], msg, false);
		json_decref(msg);
		json_decref(payload);
		r1_free(why);
	}
}

static const char *inst_of(const char *pipe)
{
	return strcmp(pipe, "vec_a_enc") == 0 ? "vec_inst_enc" : "vec_inst_plain";
}

static json_t *make_instance_config(const char *pipe)
{
	json_t *cfg = json_pack("{s:f,s:[i,i]}", "threshold", 0.75, "new_param", 1, 2);
	json_t *p = cmdmsg_instance_config(pipe, "VEC_PLUGIN_01", inst_of(pipe), cfg);
	json_decref(cfg);
	return p;
}

static json_t *make_command_str(const char *pipe)
{
	json_t *params = json_pack("{s:s,s:b}", "reason", "vectors", "force", 1);
	json_t *p = cmdmsg_instance_command(pipe, "VEC_PLUGIN_01", inst_of(pipe), "RESTART_PROCESS",
	                                    NULL, NULL, params);
	json_decref(params);
	return p;
}

static json_t *make_command_obj(const char *pipe)
{
	json_t *cmd = json_pack("{s:i}", "SET_VALUE", 42);
	json_t *payload = json_pack("{s:s}", "EXTRA", "x");
	json_t *p =
	    cmdmsg_instance_command(pipe, "VEC_PLUGIN_01", inst_of(pipe), NULL, cmd, payload, NULL);
	json_decref(cmd);
	json_decref(payload);
	return p;
}

static json_t *make_pipeline_command(const char *pipe)
{
	json_t *params = json_pack("{s:i}", "seconds", 30);
	json_t *p = cmdmsg_pipeline_command(pipe, "PAUSE", NULL, NULL, params);
	json_decref(params);
	return p;
}

static json_t *make_archive(const char *pipe)
{
	return json_string(pipe);
}

int main(void)
{
	r1_alloc_setup_jansson();
	load_rows();
	load_key("k0", &k0);
	load_key("k1", &k1);
	load_key("k2", &k2);

	/* degenerate */
	json_t *bad = json_string("x");
	ok(cmdmsg_instance_config("p", "s", "i", bad) == NULL, "instance config must be an object");
	ok(cmdmsg_instance_command("p", "s", "i", NULL, NULL, NULL, NULL) == NULL,
	   "an instance command needs a command");
	ok(cmdmsg_instance_command("p", "s", "i", "X", NULL, bad, NULL) == NULL,
	   "a payload must be an object");
	ok(cmdmsg_pipeline_command(NULL, "X", NULL, NULL, NULL) == NULL, "a pipeline needs a name");
	struct cmdmsg_ctx c = {.id = &k0, .name = "n", .encrypt = true};
	json_t *msg = NULL;
	char *why = NULL;
	is_int(cmdmsg_command(&c, "RESTART", NULL, "0xai_notanaddress", 0, &msg, &why),
	       R1_ERR_INVAL, "bad node address");
	ok(msg == NULL && why && strstr(why, "0xai_notanaddress"), "reason: %s", why);
	is_int(cmdmsg_command(&c, "", NULL, k1.addr, 0, &msg, &why), R1_ERR_INVAL, "empty action");
	struct cmdmsg_ctx noname = {.id = &k0, .name = ""};
	is_int(cmdmsg_command(&noname, "RESTART", NULL, k1.addr, 0, &msg, &why), R1_ERR_INVAL,
	       "a session needs a name");
	is_int(cmdmsg_encrypted_payload(&c, bad, NULL, 0, NULL, 0, &msg, &why), R1_ERR_INVAL,
	       "an encrypted payload needs destinations");
	json_decref(bad);
	r1_free(why);

	one_operation("A-cmd-001", "A-cmd-010", ACT_UPDATE_CONFIG, NULL);
	one_operation("A-cmd-002", "A-cmd-011", ACT_UPDATE_PIPELINE_INSTANCE, make_instance_config);
	one_operation("A-cmd-003", "A-cmd-012", ACT_BATCH_UPDATE_PIPELINE_INSTANCE, NULL);
	one_operation("A-cmd-004", "A-cmd-013", ACT_UPDATE_PIPELINE_INSTANCE, make_command_str);
	one_operation("A-cmd-005", "A-cmd-014", ACT_UPDATE_PIPELINE_INSTANCE, make_command_obj);
	one_operation("A-cmd-006", "A-cmd-015", ACT_PIPELINE_COMMAND, make_pipeline_command);
	one_operation("A-cmd-007", "A-cmd-016", ACT_ARCHIVE_CONFIG, make_archive);
	one_operation("A-cmd-008", "A-cmd-017", ACT_RESTART, NULL);
	one_operation("A-cmd-009", "A-cmd-018", ACT_FULL_HEARTBEAT, NULL);

	/* the NetConfig request the SDK sends on its own */
	const char *dests[] = {k1.addr};
	struct cmdmsg_ctx ce = {.id = &k0, .name = "vecsdk-a", .encrypt = true};
	is_int(cmdmsg_netconfig_get(&ce, dests, 1, 1800000000000000, &msg, NULL), R1_OK,
	       "GET_CONFIG built");
	compare("A-cmd-019", msg, true);
	json_decref(msg);

	for (size_t i = 0; i < n_rows; i++)
		json_decref(rows[i]);
	return tap_done();
}
