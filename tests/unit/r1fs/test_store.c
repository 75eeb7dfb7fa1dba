/*
 * The R1FS store end to end on real directories and a real node.db: the
 * reference's add/get (its vectors' encrypted bytes are what we store and
 * hash), json/yaml, cat/ls/stat, blocks put and fetched from another
 * store, corruption detected on read, pins, garbage collection removing
 * exactly the unpinned blocks, the names pins carry, the quota, cancellation, allocation
 * failures and concurrent adds against a collecting thread.
 */
#include "node/lib.h"
#include "node/r1fs/r1fs.h"
#include "node/r1fs/dagbuilder.h"
#include "node/r1fs/dagpb.h"
#include "node/r1fs/ops.h"
#include "tests/tap.h"

#include "core/db.h"
#include "core/hash.h"

#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <sys/stat.h>

struct node {
	char *dir;
	sqlite3 *db;
	struct r1fs *fs;
};

static char *tmp_path(const char *name)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/%s", tap_tmpdir(), name);
	return buf_detach(&p, NULL);
}

static void node_open_packs(struct node *n, const char *name, uint64_t quota, uint64_t pack_bytes)
{
	n->dir = tmp_path(name);
	mkdir(n->dir, 0755);
	struct buf dbp = BUF_INIT;
	buf_addf(&dbp, "%s/node.db", n->dir);
	char *why = NULL;
	if (db_open(dbp.data, &n->db, &why) != R1_OK)
		tap_bail("db_open: %s", why);
	buf_release(&dbp);
	struct r1fs_options opt = R1FS_OPTIONS_INIT;
	opt.quota_bytes = quota;
	opt.sync = R1FS_SYNC_NONE; /* durability is not what this test measures */
	opt.pack_bytes = pack_bytes;
	if (r1fs_open(n->dir, n->db, &opt, &n->fs, &why) != R1_OK)
		tap_bail("r1fs_open: %s", why);
}

static void node_open(struct node *n, const char *name, uint64_t quota)
{
	node_open_packs(n, name, quota, 0);
}

static void node_close(struct node *n)
{
	r1fs_free(&n->fs);
	db_close(&n->db);
	r1_free(n->dir);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || (len && fwrite(data, 1, len, f) != len))
		tap_bail("cannot write %s", path);
	fclose(f);
}

static uint8_t *random_file(const char *path, size_t len)
{
	uint8_t *data = malloc(len + 1);
	random_bytes(data, len);
	write_file(path, data, len);
	return data;
}

static bool file_equals(const char *path, const void *data, size_t len)
{
	size_t got = 0;
	char *content = tap_read_file(path, &got);
	bool same = got == len && memcmp(content, data, len) == 0;
	free(content);
	return same;
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static char *fresh_dir(const char *name)
{
	char *p = tmp_path(name);
	mkdir(p, 0755);
	return p;
}

/* The pack holding a block, and where the block's bytes are in it. */
static char *block_place(const struct node *n, const char *cid_text, uint64_t *off, size_t *len)
{
	struct r1fs_cid cid;
	if (r1fs_cid_parse(cid_text, &cid, NULL) != R1_OK)
		tap_bail("bad cid %s", cid_text);
	char *path = NULL;
	if (r1fs_locate_block(n->fs, &cid, &path, off, len, NULL) != R1_OK)
		tap_bail("block %s not stored", cid_text);
	return path;
}

static int64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

static enum r1_err buf_writer(void *ctx, const uint8_t *data, size_t len, char **why)
{
	buf_add(ctx, data, len);
	return R1_OK;
}

/* ------------------------------------------------------------ reference vectors */

static json_t *vector_row(const char *id)
{
	char *path = tap_vector_path("r1fs.jsonl");
	char **lines = tap_read_lines(path, NULL);
	json_t *found = NULL;
	for (char **l = lines; *l && !found; l++) {
		json_t *row = json_loads(*l, 0, NULL);
		if (strcmp(json_string_value(json_object_get(row, "id")), id) == 0)
			found = row;
		else
			json_decref(row);
	}
	tap_free_lines(lines);
	free(path);
	if (!found)
		tap_bail("vector %s missing", id);
	return found;
}

/* The CID kubo gives the reference's encrypted file (what its `ipfs add -w` wraps). */
static void reference_file_cid(json_t *row, char out[R1FS_CID_TEXT_MAX])
{
	size_t len;
	uint8_t *enc =
	    tap_unhex(json_string_value(json_object_get(row, "encrypted_file_hex")), &len);
	char *path = tmp_path("reference.bin");
	write_file(path, enc, len);
	char *why = NULL;
	if (r1fs_plain_cid(path, 0, out, &why) != R1_OK)
		tap_bail("plain cid: %s", why);
	/* and ipfs_cid agrees (kubo's defaults) */
	struct buf cmd = BUF_INIT;
	buf_addf(&cmd, "ipfs_cid '%s' 2>/dev/null", path);
	FILE *p = popen(cmd.data, "r");
	char line[256] = "";
	if (!p || !fgets(line, sizeof(line), p))
		tap_bail("ipfs_cid did not run");
	pclose(p);
	ok(strstr(line, out) != NULL, "ipfs_cid gives the reference's encrypted file the same CID");
	buf_release(&cmd);
	unlink(path);
	r1_free(path);
	free(enc);
}

static void test_reference_files(struct node *n)
{
	/* A-r1fs-001: hello.txt, default secret, nonce 42. */
	json_t *row = vector_row("A-r1fs-001");
	char *src_dir = fresh_dir("src1");
	struct buf src = BUF_INIT;
	buf_addf(&src, "%s/hello.txt", src_dir);
	size_t plen;
	uint8_t *plain = tap_unhex(json_string_value(json_object_get(row, "plaintext_hex")), &plen);
	write_file(src.data, plain, plen);
	struct r1fs_add_opts o = R1FS_ADD_OPTS_INIT;
	o.nonce = 42;
	struct r1fs_added a;
	char *why = NULL;
	enum r1_err e = r1fs_add_file(n->fs, src.data, &o, &a, &why);
	is_int(e, R1_OK, "add_file hello.txt (%s)", e ? why : "ok");
	char want[R1FS_CID_TEXT_MAX];
	reference_file_cid(row, want);
	is_str(a.file_cid, want, "the stored file is the reference's encrypted file (same CID)");
	ok(strncmp(a.cid, "Qm", 2) == 0, "the returned CID is a CIDv0 directory: %s", a.cid);
	is_int(strlen(a.link_name), 36, "link name is 32 hex + .bin: %s", a.link_name);
	is_int(a.encrypted_size, 68, "encrypted size as the vector's layout");

	/* The stored bytes are the reference's bytes. */
	struct buf cat = BUF_INIT;
	is_int(r1fs_cat(n->fs, a.file_cid, 0, 0, buf_writer, &cat, &why), R1_OK, "cat the file");
	size_t elen;
	uint8_t *enc =
	    tap_unhex(json_string_value(json_object_get(row, "encrypted_file_hex")), &elen);
	is_mem(cat.data, cat.len, enc, elen, "cat returns the reference's encrypted file");
	buf_reset(&cat);
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/%s", a.cid, a.link_name);
	is_int(r1fs_cat(n->fs, path.data, 0, 0, buf_writer, &cat, &why), R1_OK,
	       "cat through the directory path");
	is_mem(cat.data, cat.len, enc, elen, "same bytes through CID/name");
	buf_reset(&cat);
	is_int(r1fs_cat(n->fs, a.file_cid, 12, 4, buf_writer, &cat, &why), R1_OK,
	       "cat with a range");
	is_mem(cat.data, cat.len, enc + 12, 4, "the range is meta_len");
	is_int(r1fs_cat(n->fs, a.cid, 0, 0, buf_writer, &cat, &why), R1_ERR_INVAL,
	       "cat of the directory refused");

	/* The directory: one entry, the file. */
	struct r1fs_entry *ents = NULL;
	size_t ne = 0;
	is_int(r1fs_ls(n->fs, a.cid, &ents, &ne, &why), R1_OK, "ls the directory");
	is_int(ne, 1, "one entry");
	is_str(ents[0].name, a.link_name, "named as reported");
	is_str(ents[0].cid, a.file_cid, "pointing at the file");
	struct r1fs_stat st;
	is_int(r1fs_stat(n->fs, a.cid, &st, &why), R1_OK, "stat the directory");
	is_int(st.type, R1FS_ENTRY_DIRECTORY, "it is a directory");
	is_int(st.cumulative, a.size, "cumulative size as add reported");
	ok(st.pinned, "and pinned");
	is_int(r1fs_stat(n->fs, a.file_cid, &st, &why), R1_OK, "stat the file");
	is_int(st.type, R1FS_ENTRY_FILE, "it is a file");
	is_int(st.filesize, 68, "of 68 bytes");
	ok(!st.pinned, "not pinned itself");
	r1fs_entries_free(ents, ne);

	/* get_file restores name and content. */
	char *out_dir = fresh_dir("out1");
	char *restored = NULL;
	is_int(r1fs_get_file(n->fs, a.cid, out_dir, NULL, &restored, &why), R1_OK, "get_file");
	struct buf want_path = BUF_INIT;
	buf_addf(&want_path, "%s/hello.txt", out_dir);
	is_str(restored, want_path.data, "restored under its original name");
	ok(file_equals(restored, plain, plen), "with the original content");
	r1_free(restored);
	/* also straight from the file CID */
	is_int(r1fs_get_file(n->fs, a.file_cid, out_dir, NULL, &restored, &why), R1_OK,
	       "get_file from the file CID");
	r1_free(restored);
	is_int(count_entries(out_dir), 1, "one file, no temporary left");

	/* Wrong secret: refused, nothing written. */
	char *out2 = fresh_dir("out2");
	struct r1fs_get_opts go = R1FS_GET_OPTS_INIT;
	go.secret = "wrong";
	is_int(r1fs_get_file(n->fs, a.cid, out2, &go, &restored, &why), R1_ERR_CRYPTO,
	       "wrong secret refused");
	ok(why && strstr(why, "wrong secret"), "reason: %s", why);
	ok(restored == NULL, "no path returned");
	is_int(count_entries(out2), 0, "and nothing left in the directory");

	/* Deterministic: the same nonce gives the same CIDs; only_hash stores nothing. */
	struct r1fs_store_stat before, after;
	r1fs_store_stat(n->fs, &before, &why);
	struct r1fs_added b;
	o.only_hash = true;
	is_int(r1fs_add_file(n->fs, src.data, &o, &b, &why), R1_OK, "only_hash");
	is_str(b.cid, a.cid, "only_hash gives the same CID");
	o.only_hash = false;
	is_int(r1fs_add_file(n->fs, src.data, &o, &b, &why), R1_OK, "add again");
	is_str(b.cid, a.cid, "adding again gives the same CID");
	r1fs_store_stat(n->fs, &after, &why);
	is_int(after.blocks, before.blocks, "and no new block");
	is_int(after.used_bytes, before.used_bytes, "and no new byte");

	free(enc);
	free(plain);
	buf_release(&cat);
	buf_release(&path);
	buf_release(&want_path);
	buf_release(&src);
	json_decref(row);
	r1_free(src_dir);
	r1_free(out_dir);
	r1_free(out2);
	r1_free(why);
}

static void test_json_yaml(struct node *n)
{
	char *why = NULL;
	static const char *const ids[] = {"A-r1fs-005", "A-r1fs-006"};
	for (size_t i = 0; i < R1_ARRAY_LEN(ids); i++) {
		json_t *row = vector_row(ids[i]);
		json_t *args = json_object_get(row, "arguments");
		char *data = json_dumps(json_object_get(args, "data"), JSON_ENCODE_ANY);
		struct r1fs_add_opts o = R1FS_ADD_OPTS_INIT;
		o.nonce = json_integer_value(json_object_get(args, "nonce"));
		o.secret = json_string_value(json_object_get(args, "secret"));
		struct r1fs_added a;
		is_int(r1fs_add_json(n->fs, data, strlen(data),
		                     json_string_value(json_object_get(args, "fn")), &o, &a, &why),
		       R1_OK, "%s: add_json", ids[i]);
		char want[R1FS_CID_TEXT_MAX];
		reference_file_cid(row, want);
		is_str(a.file_cid, want, "%s: the stored file is the reference's", ids[i]);
		struct r1fs_get_opts go = R1FS_GET_OPTS_INIT;
		go.secret = o.secret;
		char *json = NULL;
		is_int(r1fs_get_json(n->fs, a.cid, &go, &json, &why), R1_OK, "%s: get_json",
		       ids[i]);
		is_str(json, json_string_value(json_object_get(row, "restored_content_text")),
		       "%s: get_json gives the data back", ids[i]);
		r1_free(json);
		free(data);
		json_decref(row);
	}
	struct r1fs_added a;
	is_int(r1fs_add_json(n->fs, "{bad", 4, NULL, NULL, &a, &why), R1_ERR_INVAL,
	       "add_json of malformed JSON refused");

	const char *doc = "{\"name\":\"job\",\"n\":[1,2.5,null],\"ok\":true,\"s\":\"\xc8\x99\"}";
	struct r1fs_add_opts o = R1FS_ADD_OPTS_INIT;
	o.secret = "yaml secret";
	is_int(r1fs_add_yaml(n->fs, doc, strlen(doc), "config", &o, &a, &why), R1_OK, "add_yaml");
	struct r1fs_get_opts go = R1FS_GET_OPTS_INIT;
	go.secret = o.secret;
	uint8_t *bytes = NULL;
	size_t len = 0;
	char *name = NULL;
	is_int(r1fs_get_bytes(n->fs, a.cid, &go, 1 << 20, &bytes, &len, &name, &why), R1_OK,
	       "get_bytes of the YAML file");
	is_str(name, "config.yaml", "named fn + .yaml as the reference");
	is_str((char *)bytes, "n:\n- 1\n- 2.5\n- null\nname: job\nok: true\ns: \"\\u0219\"\n",
	       "the file is yaml.dump's text");
	r1_free(bytes);
	r1_free(name);
	char *json = NULL;
	is_int(r1fs_get_yaml(n->fs, a.cid, &go, &json, &why), R1_OK, "get_yaml");
	is_str(json, "{\"n\":[1,2.5,null],\"name\":\"job\",\"ok\":true,\"s\":\"\\u0219\"}",
	       "get_yaml gives the data back");
	r1_free(json);
	is_int(r1fs_add_yaml(n->fs, doc, strlen(doc), NULL, &o, &a, &why), R1_OK,
	       "add_yaml without a name");
	is_int(r1fs_get_bytes(n->fs, a.cid, &go, 1 << 20, &bytes, &len, &name, &why), R1_OK,
	       "get it");
	ok(strlen(name) == 18 && strncmp(name, "r1fs_", 5) == 0 && strstr(name, ".yaml"),
	   "named r1fs_<8 hex>.yaml: %s", name);
	r1_free(bytes);
	r1_free(name);
	is_int(r1fs_get_bytes(n->fs, a.cid, &go, 10, &bytes, &len, NULL, &why), R1_ERR_TOOBIG,
	       "get_bytes above its limit refused");
	is_int(r1fs_get_json(n->fs, a.cid, &go, &json, &why), R1_ERR_INVAL,
	       "get_json of a YAML file refused");
	r1_free(why);
}

/* ------------------------------------------------------------ large files */

struct progress {
	uint64_t last, total;
	unsigned calls;
	bool monotonic;
	uint64_t cancel_at; /* 0 = never */
};

static bool on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	if (done < p->last)
		p->monotonic = false;
	p->last = done;
	p->total = total;
	p->calls++;
	return !(p->cancel_at && done >= p->cancel_at);
}

static void test_large(struct node *n)
{
	char *src = tmp_path("big.bin");
	size_t size = 3 * 1024 * 1024 + 12345;
	uint8_t *data = random_file(src, size);
	char *why = NULL;
	for (unsigned v = 0; v <= 1; v++) {
		struct progress p = {0, 0, 0, true, 0};
		struct r1fs_add_opts o = R1FS_ADD_OPTS_INIT;
		o.cid_version = v;
		o.secret = "big secret";
		o.progress = on_progress;
		o.progress_ctx = &p;
		struct r1fs_added a;
		is_int(r1fs_add_file(n->fs, src, &o, &a, &why), R1_OK, "add 3 MiB, CIDv%u", v);
		ok(v ? strncmp(a.cid, "bafy", 4) == 0 : strncmp(a.cid, "Qm", 2) == 0,
		   "CID version %u: %s", v, a.cid);
		ok(p.monotonic && p.last == size && p.total == size && p.calls >= 3,
		   "add progress rose to %" PRIu64 " of %" PRIu64 " in %u calls", p.last, p.total,
		   p.calls);
		/* Its file CID is what ipfs add would give the encrypted bytes. */
		struct buf enc = BUF_INIT;
		r1fs_cat(n->fs, a.file_cid, 0, 0, buf_writer, &enc, &why);
		is_int(enc.len, a.encrypted_size, "encrypted size");
		char *encp = tmp_path("big.enc");
		write_file(encp, enc.data, enc.len);
		char plain_cid[R1FS_CID_TEXT_MAX];
		r1fs_plain_cid(encp, v, plain_cid, &why);
		is_str(a.file_cid, plain_cid, "file CID equals the plain CID of its bytes (v%u)",
		       v);
		buf_release(&enc);
		unlink(encp);
		r1_free(encp);

		struct progress gp = {0, 0, 0, true, 0};
		struct r1fs_get_opts go = R1FS_GET_OPTS_INIT;
		go.secret = "big secret";
		go.progress = on_progress;
		go.progress_ctx = &gp;
		char *out = fresh_dir(v ? "outv1" : "outv0");
		char *restored = NULL;
		is_int(r1fs_get_file(n->fs, a.cid, out, &go, &restored, &why), R1_OK,
		       "get 3 MiB v%u", v);
		ok(restored && file_equals(restored, data, size), "content restored (v%u)", v);
		ok(gp.monotonic && gp.last == a.encrypted_size,
		   "get progress reached the end (v%u)", v);
		r1_free(restored);
		r1_free(out);
	}
	/* Cancelled add: an error, no pin, and gc takes what it left. */
	struct r1fs_pin *pins = NULL;
	size_t npins_before = 0, npins_after = 0;
	r1fs_list_pins(n->fs, &pins, &npins_before, &why);
	r1fs_pins_free(pins, npins_before);
	struct progress p = {0, 0, 0, true, 1024 * 1024};
	struct r1fs_add_opts o = R1FS_ADD_OPTS_INIT;
	o.progress = on_progress;
	o.progress_ctx = &p;
	struct r1fs_added a;
	is_int(r1fs_add_file(n->fs, src, &o, &a, &why), R1_ERR_CANCELLED, "add cancelled");
	ok(why && strstr(why, "cancelled"), "reason: %s", why);
	r1fs_list_pins(n->fs, &pins, &npins_after, &why);
	r1fs_pins_free(pins, npins_after);
	is_int(npins_after, npins_before, "a cancelled add pins nothing");

	/* Not files. */
	is_int(r1fs_add_file(n->fs, tap_tmpdir(), NULL, &a, &why), R1_ERR_INVAL,
	       "a directory is refused");
	is_int(r1fs_add_file(n->fs, "/nonexistent", NULL, &a, &why), R1_ERR_IO,
	       "a missing file is refused");
	char *huge = tmp_path("huge.bin");
	FILE *f = fopen(huge, "wb");
	fclose(f);
	if (truncate(huge, (off_t)R1FS_MAX_FILE_SIZE + 1) != 0)
		tap_bail("truncate: %s", strerror(errno));
	is_int(r1fs_add_file(n->fs, huge, NULL, &a, &why), R1_ERR_TOOBIG,
	       "a file above 5 GiB is refused before reading");
	ok(why && strstr(why, "5 GiB"), "reason: %s", why);
	unlink(huge);
	r1_free(huge);
	unlink(src);
	r1_free(src);
	free(data);
	r1_free(why);
}

/* ------------------------------------------------------------ blocks, corruption */

static enum r1_err fetch_from(void *ctx, const struct r1fs_cid *root, const struct r1fs_cid *cid,
                              struct buf *out, char **why)
{
	return r1fs_get_block(ctx, cid, out, why);
}

static enum r1_err fetch_liar(void *ctx, const struct r1fs_cid *root, const struct r1fs_cid *cid,
                              struct buf *out, char **why)
{
	buf_reset(out);
	buf_adds(out, "not the block you want");
	return R1_OK;
}

static void test_blocks(struct node *n)
{
	char *why = NULL;
	const char *text = "a block";
	struct r1fs_cid cid;
	r1fs_cid_of_block(1, R1FS_CODEC_RAW, text, strlen(text), &cid);
	ok(!r1fs_has_block(n->fs, &cid), "block not there yet");
	is_int(r1fs_put_block(n->fs, &cid, (const uint8_t *)text, strlen(text), &why), R1_OK,
	       "put_block");
	ok(r1fs_has_block(n->fs, &cid), "block there");
	struct buf got = BUF_INIT;
	is_int(r1fs_get_block(n->fs, &cid, &got, &why), R1_OK, "get_block");
	is_mem(got.data, got.len, text, strlen(text), "same bytes");
	struct r1fs_cid other;
	r1fs_cid_of_block(1, R1FS_CODEC_RAW, "x", 1, &other);
	is_int(r1fs_put_block(n->fs, &other, (const uint8_t *)text, strlen(text), &why),
	       R1_ERR_CRYPTO, "put_block with the wrong hash refused");
	ok(!r1fs_has_block(n->fs, &other), "and not stored");
	const uint8_t junk[] = {0xff, 0xff};
	r1fs_cid_of_block(0, R1FS_CODEC_DAGPB, junk, 2, &other);
	is_int(r1fs_put_block(n->fs, &other, junk, 2, &why), R1_ERR_PROTO,
	       "put_block of a malformed dag-pb block refused");
	uint8_t *big = calloc(1, R1FS_BLOCK_MAX + 1);
	r1fs_cid_of_block(1, R1FS_CODEC_RAW, big, R1FS_BLOCK_MAX + 1, &other);
	is_int(r1fs_put_block(n->fs, &other, big, R1FS_BLOCK_MAX + 1, &why), R1_ERR_TOOBIG,
	       "put_block above 2 MiB refused");
	free(big);
	r1fs_cid_of_block(1, R1FS_CODEC_RAW, "absent", 6, &other);
	is_int(r1fs_get_block(n->fs, &other, &got, &why), R1_ERR_NOTFOUND, "absent block");

	/* A second node fetches what it lacks from the first. */
	char *src = tmp_path("shared.bin");
	uint8_t *data = random_file(src, 700000);
	struct r1fs_added a;
	is_int(r1fs_add_file(n->fs, src, NULL, &a, &why), R1_OK, "add on node 1");
	struct node n2;
	node_open(&n2, "node2", 0);
	char *out = fresh_dir("out_n2");
	char *restored = NULL;
	enum r1_err e = r1fs_get_file(n2.fs, a.cid, out, NULL, &restored, &why);
	is_int(e, R1_ERR_NOTFOUND, "node 2 alone does not have it (%s)", why);
	r1fs_set_fetcher(n2.fs, fetch_liar, NULL);
	is_int(r1fs_get_file(n2.fs, a.cid, out, NULL, &restored, &why), R1_ERR_CRYPTO,
	       "a fetcher's wrong bytes are refused");
	struct r1fs_cid root;
	r1fs_cid_parse(a.cid, &root, NULL);
	ok(!r1fs_has_block(n2.fs, &root), "and not stored");
	r1fs_set_fetcher(n2.fs, fetch_from, n->fs);
	is_int(r1fs_get_file(n2.fs, a.cid, out, NULL, &restored, &why), R1_OK,
	       "node 2 gets it through the fetcher");
	ok(restored && file_equals(restored, data, 700000), "byte-identical on node 2");
	ok(r1fs_is_pinned(n2.fs, a.cid), "and pins it (the reference's get pins)");
	/* err.h: a success leaves *why alone, even after local misses were fetched. */
	struct node n4;
	node_open(&n4, "node4", 0);
	r1fs_set_fetcher(n4.fs, fetch_from, n->fs);
	r1_free(why);
	why = NULL;
	uint8_t *mem = NULL;
	size_t mem_len = 0;
	is_int(r1fs_get_bytes(n4.fs, a.cid, NULL, 1u << 20, &mem, &mem_len, NULL, &why), R1_OK,
	       "get_bytes through the fetcher");
	ok(why == NULL, "and *why is untouched on success (%s)", why ? why : "NULL");
	is_mem(mem, mem_len, data, 700000, "same bytes in memory");
	r1_free(mem);
	char *keep = r1_strdup("earlier reason");
	why = keep;
	mem = NULL;
	is_int(r1fs_get_bytes(n4.fs, a.cid, NULL, 1u << 20, &mem, &mem_len, NULL, &why), R1_OK,
	       "get_bytes again, locally");
	ok(why == keep && strcmp(why, "earlier reason") == 0, "a caller's earlier reason stays");
	r1_free(mem);
	r1fs_set_fetcher(n4.fs, NULL, NULL);
	node_close(&n4);
	r1fs_set_fetcher(n2.fs, NULL, NULL);
	r1_free(restored);
	is_int(r1fs_get_file(n2.fs, a.cid, out, NULL, &restored, &why), R1_OK,
	       "now without the fetcher");
	r1_free(restored);

	/* Corrupt one leaf on node 2: detected on read, named, nothing restored. */
	struct r1fs_entry *ents = NULL;
	size_t ne = 0;
	is_int(r1fs_ls(n2.fs, a.file_cid, &ents, &ne, &why), R1_OK, "ls the file node");
	is_int(ne, 3, "700 KB is three leaves");
	uint64_t leaf_off = 0;
	size_t leaf_len = 0;
	char *leaf = block_place(&n2, ents[1].cid, &leaf_off, &leaf_len);
	ok(leaf_len > 1000, "the leaf is at byte %" PRIu64 " of %s", leaf_off, leaf);
	FILE *f = fopen(leaf, "r+b");
	fseek(f, (long)leaf_off + 1000, SEEK_SET);
	int c = fgetc(f);
	fseek(f, (long)leaf_off + 1000, SEEK_SET);
	fputc(c ^ 0x01, f);
	fclose(f);
	char *out3 = fresh_dir("out_corrupt");
	is_int(r1fs_get_file(n2.fs, a.cid, out3, NULL, &restored, &why), R1_ERR_CRYPTO,
	       "a corrupted block is detected on read");
	ok(why && strstr(why, "corrupted"), "reason: %s", why);
	is_int(count_entries(out3), 0, "no file restored from corrupted data");
	struct r1fs_cid leaf_cid;
	r1fs_cid_parse(ents[1].cid, &leaf_cid, NULL);
	is_int(r1fs_get_block(n2.fs, &leaf_cid, &got, &why), R1_ERR_CRYPTO,
	       "get_block refuses the corrupted block too");
	if (truncate(leaf, (off_t)leaf_off + 10) != 0)
		tap_bail("truncate %s", leaf);
	is_int(r1fs_get_block(n2.fs, &leaf_cid, &got, &why), R1_ERR_CRYPTO,
	       "and one cut short by a truncated pack");
	/* With a fetcher, the corrupted copy is replaced by a verified one. */
	r1fs_set_fetcher(n2.fs, fetch_from, n->fs);
	is_int(r1fs_get_file(n2.fs, a.cid, out3, NULL, &restored, &why), R1_OK,
	       "with a fetcher the corrupted block is fetched again");
	ok(restored && file_equals(restored, data, 700000), "and the file is whole");
	r1_free(restored);
	r1fs_set_fetcher(n2.fs, NULL, NULL);
	is_int(r1fs_get_block(n2.fs, &leaf_cid, &got, &why), R1_OK,
	       "the block is repaired on disk");
	r1fs_entries_free(ents, ne);
	r1_free(leaf);
	r1_free(out3);
	r1_free(out);
	node_close(&n2);
	unlink(src);
	r1_free(src);
	free(data);
	buf_release(&got);
	r1_free(why);
}

/* ------------------------------------------------------------ pins, gc, quota */

static int64_t blocks_of(struct node *n)
{
	struct r1fs_store_stat st;
	r1fs_store_stat(n->fs, &st, NULL);
	return st.blocks;
}

/* A pack's header, and each record's header before its block. */
#define PACK_HDR 32
#define REC_HDR  BLOCKSTORE_RECORD_HDR

static struct r1fs_store_stat store_stat(struct node *n)
{
	struct r1fs_store_stat st;
	char *why = NULL;
	if (r1fs_store_stat(n->fs, &st, &why) != R1_OK)
		tap_bail("store_stat: %s", why);
	return st;
}

/* Disk bytes when every record is live: one pack header per pack, a header per block. */
static uint64_t exact_disk(const struct r1fs_store_stat *st)
{
	return st->packs * PACK_HDR + (uint64_t)st->blocks * REC_HDR + st->used_bytes;
}

static void test_gc(void)
{
	struct node n;
	node_open(&n, "gcnode", 0);
	char *why = NULL;
	struct r1fs_gc_stats gs;
	is_int(r1fs_gc(n.fs, 0, &gs, &why), R1_OK, "gc of an empty store");
	is_int(gs.blocks_removed, 0, "removes nothing");

	char *pa = tmp_path("gca.bin"), *pb = tmp_path("gcb.bin");
	uint8_t *da = random_file(pa, 600000), *db = random_file(pb, 900000);
	struct r1fs_added a, b;
	r1fs_add_file(n.fs, pa, NULL, &a, &why);
	int64_t after_a = blocks_of(&n);
	r1fs_add_file(n.fs, pb, NULL, &b, &why);
	int64_t after_b = blocks_of(&n);
	is_int(after_a, 5, "A: 3 leaves + file node + directory");
	is_int(after_b - after_a, 6, "B: 4 leaves + file node + directory");
	struct r1fs_store_stat st0 = store_stat(&n);
	is_int(st0.packs, 1, "one pack holds them");
	is_int(st0.disk_bytes, exact_disk(&st0),
	       "the pack is its header plus a header and the bytes of each block");

	struct r1fs_pin *pins = NULL;
	size_t np = 0;
	is_int(r1fs_list_pins(n.fs, &pins, &np, &why), R1_OK, "list pins");
	is_int(np, 2, "two pins");
	ok(np == 2 && (strcmp(pins[0].cid, a.cid) == 0 || strcmp(pins[1].cid, a.cid) == 0),
	   "A is pinned");
	ok(np == 2 && pins[0].size > 0 && pins[0].created > 0, "pins carry size and time");
	ok(np == 2 && pins[0].name && pins[1].name &&
	       (strcmp(pins[0].name, "gca.bin") == 0 || strcmp(pins[1].name, "gca.bin") == 0),
	   "and the name of a file this node added (%s)", np ? pins[0].name : "?");
	r1fs_pins_free(pins, np);
	is_int(r1fs_gc(n.fs, 0, &gs, &why), R1_OK, "gc with everything pinned");
	is_int(gs.blocks_removed, 0, "removes nothing");

	/* Unpin B: gc removes exactly B's six blocks. */
	is_int(r1fs_unpin(n.fs, b.cid, &why), R1_OK, "unpin B");
	is_int(r1fs_unpin(n.fs, b.cid, &why), R1_ERR_NOTFOUND, "unpin twice: not pinned");
	ok(!r1fs_is_pinned(n.fs, b.cid), "B no longer pinned");
	is_int(r1fs_gc(n.fs, 3600, &gs, &why), R1_OK, "gc with a grace period");
	is_int(gs.blocks_removed, 0, "keeps blocks younger than the grace period");
	is_int(r1fs_gc(n.fs, 0, &gs, &why), R1_OK, "gc");
	is_int(gs.blocks_removed, 6, "removes B's six blocks");
	is_int(blocks_of(&n), after_a, "A's blocks remain indexed");
	struct r1fs_store_stat st1 = store_stat(&n);
	is_int(st1.disk_bytes, st0.disk_bytes,
	       "B's records stay as dead bytes in the pack being filled (never compacted)");
	char *out = fresh_dir("gc_out");
	char *restored = NULL;
	is_int(r1fs_get_file(n.fs, a.cid, out, NULL, &restored, &why), R1_OK, "A still readable");
	ok(restored && file_equals(restored, da, 600000), "A intact");
	r1_free(restored);
	is_int(r1fs_get_file(n.fs, b.cid, out, NULL, &restored, &why), R1_ERR_NOTFOUND,
	       "B is gone");
	is_int(r1fs_pin(n.fs, b.cid, &why), R1_ERR_NOTFOUND, "pinning B now fails");
	ok(why && strstr(why, "missing"), "naming what is missing: %s", why);

	/* Pin A's file, unpin A's directory: only the directory block goes. */
	is_int(r1fs_pin(n.fs, a.file_cid, &why), R1_OK, "pin A's file");
	is_int(r1fs_pin(n.fs, a.file_cid, &why), R1_OK, "pinning twice is fine");
	r1fs_unpin(n.fs, a.cid, &why);
	is_int(r1fs_gc(n.fs, 0, &gs, &why), R1_OK, "gc");
	is_int(gs.blocks_removed, 1, "only the directory block is removed");
	is_int(r1fs_get_file(n.fs, a.file_cid, out, NULL, &restored, &why), R1_OK,
	       "A readable through its file CID");
	r1_free(restored);

	/* Quota: a clear refusal, nothing stored, nothing pinned. */
	struct r1fs_store_stat st;
	r1fs_store_stat(n.fs, &st, &why);
	r1fs_set_quota(n.fs, st.used_bytes + 300000);
	struct r1fs_added c;
	is_int(r1fs_add_file(n.fs, pb, NULL, &c, &why), R1_ERR_TOOBIG,
	       "an add beyond the quota is refused");
	ok(why && strstr(why, "quota"), "reason: %s", why);
	struct r1fs_store_stat st2;
	r1fs_store_stat(n.fs, &st2, &why);
	is_int(st2.used_bytes, st.used_bytes, "nothing was stored");
	is_int(st2.quota_bytes, st.used_bytes + 300000, "the quota is reported");
	struct r1fs_cid bc;
	uint8_t *blk = calloc(1, 400000);
	r1fs_cid_of_block(1, R1FS_CODEC_RAW, blk, 400000, &bc);
	is_int(r1fs_put_block(n.fs, &bc, blk, 400000, &why), R1_ERR_TOOBIG,
	       "a block beyond the quota is refused");
	free(blk);
	char *small = tmp_path("small.txt");
	write_file(small, "fits", 4);
	is_int(r1fs_add_file(n.fs, small, NULL, &c, &why), R1_OK, "a small add still fits");
	r1fs_set_quota(n.fs, 0);
	is_int(r1fs_add_file(n.fs, pb, NULL, &c, &why), R1_OK, "no quota: the add goes through");

	unlink(pa);
	unlink(pb);
	unlink(small);
	r1_free(pa);
	r1_free(pb);
	r1_free(small);
	r1_free(out);
	free(da);
	free(db);
	node_close(&n);
	r1_free(why);
}

/* ------------------------------------------------------------ pin names */

/* The name of cid's pin: "(unpinned)", "(none)" or the name. */
static const char *pin_name(struct r1fs *fs, const char *cid, char *out, size_t size)
{
	struct r1fs_pin *pins = NULL;
	size_t n = 0;
	snprintf(out, size, "(unpinned)");
	r1fs_list_pins(fs, &pins, &n, NULL);
	for (size_t i = 0; i < n; i++)
		if (strcmp(pins[i].cid, cid) == 0)
			snprintf(out, size, "%s", pins[i].name ? pins[i].name : "(none)");
	r1fs_pins_free(pins, n);
	return out;
}

/*
 * A client's name for a pin (add --node: the node cannot decrypt the file)
 * fills a gap and nothing more; the name the node decrypts replaces it.
 */
static void test_pin_names(void)
{
	char long_name[257];
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[256] = 0;
	ok(!r1fs_pin_name_ok(NULL, 0), "no name is not a name");
	ok(!r1fs_pin_name_ok("", 0), "nor an empty one");
	ok(!r1fs_pin_name_ok(long_name, 256), "nor 256 bytes");
	ok(r1fs_pin_name_ok(long_name + 1, 255), "255 bytes are");
	ok(!r1fs_pin_name_ok("a/b.bin", 7), "a '/' is refused");
	ok(!r1fs_pin_name_ok("a\nb", 3), "a newline is refused");
	ok(!r1fs_pin_name_ok("a\x7f", 2), "DEL is refused");
	ok(!r1fs_pin_name_ok("ab", 3), "a length past a NUL is refused");
	ok(r1fs_pin_name_ok("r\xc3\xa9sum\xc3\xa9 1.pdf", 14), "UTF-8 and spaces are fine");

	struct node n;
	node_open(&n, "pinnames", 0);
	char *why = NULL, name[300];
	struct r1fs_add_opts ao = R1FS_ADD_OPTS_INIT;
	ao.no_pin = true;
	struct r1fs_added a;
	is_int(r1fs_add_bytes(n.fs, "sealed", 6, "real.bin", &ao, &a, &why), R1_OK,
	       "an add without a pin");
	is_str(pin_name(n.fs, a.cid, name, sizeof(name)), "(unpinned)", "is not pinned");
	is_int(r1fs_pin(n.fs, a.cid, &why), R1_OK, "a pin without a name");
	is_str(pin_name(n.fs, a.cid, name, sizeof(name)), "(none)", "has none");
	is_int(r1fs_pin_named(n.fs, a.cid, "told.bin", &why), R1_OK, "pinned again, named");
	is_str(pin_name(n.fs, a.cid, name, sizeof(name)), "told.bin", "takes the name it is told");
	is_int(r1fs_pin_named(n.fs, a.cid, "other.bin", &why), R1_OK, "and again, otherwise named");
	is_str(pin_name(n.fs, a.cid, name, sizeof(name)), "told.bin", "keeps the first");
	is_int(r1fs_pin(n.fs, a.cid, &why), R1_OK, "and again, unnamed");
	is_str(pin_name(n.fs, a.cid, name, sizeof(name)), "told.bin", "keeps it still");
	char *out = fresh_dir("pinnames_out"), *path = NULL;
	is_int(r1fs_get_file(n.fs, a.cid, out, NULL, &path, &why), R1_OK, "a get with the secret");
	r1_free(path);
	is_str(pin_name(n.fs, a.cid, name, sizeof(name)), "real.bin",
	       "the name decrypted replaces the one told");
	is_int(r1fs_pin_named(n.fs, a.cid, "late.bin", &why), R1_OK, "a later client's name");
	is_str(pin_name(n.fs, a.cid, name, sizeof(name)), "real.bin", "does not replace it");

	/* The pin operation (HTTP API, R1FS_REQ, fetch) checks the name it is given. */
	struct r1fs_added b;
	r1fs_add_bytes(n.fs, "other", 5, "b.bin", &ao, &b, &why);
	static const struct {
		const char *name_json;
		enum r1_err err;
		const char *pinned_as, *what;
	} args[] = {
	    {"\"x/y\"", R1_ERR_INVAL, "(unpinned)", "a name with '/': refused, not pinned"},
	    {"5", R1_ERR_INVAL, "(unpinned)", "a number for a name: refused"},
	    {"\"a\\u0000b\"", R1_ERR_INVAL, "(unpinned)", "a name with a NUL: refused"},
	    {"null", R1_OK, "(none)", "a null name: pinned without one"},
	    {"\"b-told.bin\"", R1_OK, "b-told.bin", "a good name: pinned under it"},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(args); i++) {
		char text[200];
		snprintf(text, sizeof(text), "{\"cid\": \"%s\", \"name\": %s}", b.cid,
		         args[i].name_json);
		json_t *in = json_loads(text, JSON_ALLOW_NUL, NULL), *res = NULL;
		bool changed = false;
		r1_free(why);
		why = NULL;
		is_int(r1fs_op_run(n.fs, "pin", in, &res, &changed, &why), args[i].err,
		       "pin op, %s", args[i].what);
		is_str(pin_name(n.fs, b.cid, name, sizeof(name)), args[i].pinned_as, "  pin: %s",
		       args[i].pinned_as);
		json_decref(in);
		json_decref(res);
	}
	r1_free(out);
	r1_free(why);
	node_close(&n);
}

/* ------------------------------------------------------------ packs */

/* Every indexed block reads back and verifies (read straight from node.db). */
static bool index_verifies(struct node *n, size_t *rows)
{
	sqlite3_stmt *st = NULL;
	bool good = true;
	*rows = 0;
	struct buf block = BUF_INIT;
	sqlite3_prepare_v2(n->db, "SELECT digest, links FROM r1fs_blocks", -1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct r1fs_cid cid = {1, R1FS_CODEC_RAW, {0}};
		memcpy(cid.digest, sqlite3_column_blob(st, 0), 32);
		if (sqlite3_column_int(st, 1) >= 0)
			cid.codec = R1FS_CODEC_DAGPB;
		if (r1fs_get_block(n->fs, &cid, &block, NULL) != R1_OK)
			good = false;
		(*rows)++;
	}
	sqlite3_finalize(st);
	buf_release(&block);
	return good;
}

/*
 * 1 MiB packs: Y (one small block and its directory) then X (nine 256 KiB
 * leaves, a short one, a file node, a directory) fill pack 1 (Y and three
 * leaves), pack 2 (three leaves) and pack 3 (the rest); with X unpinned,
 * gc deletes packs 2 and 3 (nothing live, even in the pack being filled)
 * and compacts pack 1: Y's two small records move to a new pack 4.
 */
static void test_compaction(void)
{
	struct node n;
	node_open_packs(&n, "compact", 0, 1u << 20);
	char *why = NULL;
	char *py = tmp_path("y.bin"), *px = tmp_path("x.bin");
	uint8_t *dy = random_file(py, 10000), *dx = random_file(px, 2500000);
	struct r1fs_added y, x;
	is_int(r1fs_add_file(n.fs, py, NULL, &y, &why), R1_OK, "add Y");
	is_int(r1fs_add_file(n.fs, px, NULL, &x, &why), R1_OK, "add X");
	struct r1fs_store_stat st = store_stat(&n);
	is_int(st.blocks, 14, "Y: 2 blocks, X: 10 leaves, a file node and a directory");
	is_int(st.packs, 3, "in three 1 MiB packs");
	is_int(st.disk_bytes, exact_disk(&st), "no dead bytes yet");
	char *p1 = tmp_path("compact/r1fs/packs/00000001.pack");
	char *p3 = tmp_path("compact/r1fs/packs/00000003.pack");
	char *p4 = tmp_path("compact/r1fs/packs/00000004.pack");
	ok(file_size(p1) <= (1 << 20) && file_size(p1) > (3 << 18),
	   "pack 1 is full (%" PRId64 " bytes)", file_size(p1));

	is_int(r1fs_unpin(n.fs, x.cid, &why), R1_OK, "unpin X");
	struct r1fs_gc_stats gs;
	is_int(r1fs_gc(n.fs, 0, &gs, &why), R1_OK, "gc");
	is_int(gs.blocks_removed, 12, "X's 12 blocks are removed");
	is_int(gs.packs_compacted, 1, "pack 1 is compacted");
	is_int(gs.packs_deleted, 3, "packs 1, 2 and 3 are deleted");
	ok(access(p1, F_OK) != 0, "pack 1 is gone");
	ok(access(p3, F_OK) != 0 && access(p4, F_OK) == 0, "pack 4 holds what is left");
	st = store_stat(&n);
	is_int(st.blocks, 2, "Y's two blocks remain");
	is_int(st.packs, 1, "in one pack");
	size_t rows = 0;
	ok(index_verifies(&n, &rows) && rows == 2, "both rows name records that verify");
	char *out = fresh_dir("compact_out"), *restored = NULL;
	is_int(r1fs_get_file(n.fs, y.cid, out, NULL, &restored, &why), R1_OK,
	       "Y reads back after its move");
	ok(restored && file_equals(restored, dy, 10000), "byte-identical");
	r1_free(restored);
	is_int(r1fs_gc(n.fs, 0, &gs, &why), R1_OK, "gc again");
	ok(gs.blocks_removed == 0 && gs.packs_compacted == 0 && gs.packs_deleted == 0,
	   "has nothing to do");

	/* A dead tail is cut on open; a pack nothing indexes is deleted. */
	uint64_t before = st.disk_bytes;
	char *stray = tmp_path("compact/r1fs/packs/00000077.pack");
	node_close(&n);
	FILE *f = fopen(p4, "ab");
	fputs("a record whose index row never committed", f);
	fclose(f);
	write_file(stray, "R1FSPACK junk", 13);
	node_open_packs(&n, "compact", 0, 1u << 20);
	st = store_stat(&n);
	is_int(st.disk_bytes, before, "reopening truncates the unindexed tail");
	ok(access(stray, F_OK) != 0, "and deletes a pack nothing indexes");
	is_int(r1fs_get_file(n.fs, y.cid, out, NULL, &restored, &why), R1_OK, "Y still reads");
	r1_free(restored);

	/* A pack deleted behind the store's back: its rows go at the next open. */
	node_close(&n);
	unlink(p4);
	node_open_packs(&n, "compact", 0, 1u << 20);
	st = store_stat(&n);
	is_int(st.blocks, 0, "rows of a missing pack are dropped on open");
	is_int(r1fs_get_file(n.fs, y.cid, out, NULL, &restored, &why), R1_ERR_NOTFOUND,
	       "Y is then reported missing, not corrupted");
	node_close(&n);

	unlink(py);
	unlink(px);
	free(dy);
	free(dx);
	r1_free(py);
	r1_free(px);
	r1_free(p1);
	r1_free(p3);
	r1_free(p4);
	r1_free(stray);
	r1_free(out);
	r1_free(why);
}

/* A store of the first layout (one file per block under blocks/) moves into packs on open. */
static void test_legacy_layout(void)
{
	struct node n;
	node_open(&n, "legacy", 0);
	node_close(&n);
	char *dir = tmp_path("legacy");
	const char *texts[3] = {"kept block", "block whose file is gone", "file nobody indexed"};
	struct buf blocks_dir = BUF_INIT;
	buf_addf(&blocks_dir, "%s/r1fs/blocks", dir);
	mkdir(blocks_dir.data, 0755);
	uint8_t digests[3][32];
	struct buf dbp = BUF_INIT;
	buf_addf(&dbp, "%s/node.db", dir);
	sqlite3 *db = NULL;
	db_open(dbp.data, &db, NULL);
	for (int i = 0; i < 3; i++) {
		sha256(texts[i], strlen(texts[i]), digests[i]);
		char hex[65];
		r1fs_digest_hex(digests[i], hex);
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/r1fs/blocks/%.2s", dir, hex);
		mkdir(p.data, 0755);
		buf_addf(&p, "/%s", hex);
		if (i != 1)
			write_file(p.data, texts[i], strlen(texts[i]));
		buf_release(&p);
		if (i == 2)
			continue;
		sqlite3_stmt *st = NULL;
		sqlite3_prepare_v2(db,
		                   "INSERT INTO r1fs_blocks(digest, size, links, added)"
		                   " VALUES (?1, ?2, -1, 0)",
		                   -1, &st, NULL);
		sqlite3_bind_blob(st, 1, digests[i], 32, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, (int)strlen(texts[i]));
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	db_close(&db);
	r1_free(dir);
	node_open(&n, "legacy", 0);
	struct r1fs_cid cid = {1, R1FS_CODEC_RAW, {0}};
	memcpy(cid.digest, digests[0], 32);
	struct buf got = BUF_INIT;
	char *why = NULL;
	is_int(r1fs_get_block(n.fs, &cid, &got, &why), R1_OK,
	       "an indexed block file moved into a pack");
	is_mem(got.data, got.len, texts[0], strlen(texts[0]), "with its bytes");
	memcpy(cid.digest, digests[1], 32);
	ok(!r1fs_has_block(n.fs, &cid), "the row whose file was gone is dropped");
	ok(access(blocks_dir.data, F_OK) != 0, "blocks/ is removed");
	struct r1fs_store_stat st = store_stat(&n);
	is_int(st.blocks, 1, "one block indexed");
	is_int(st.used_bytes, strlen(texts[0]), "and counted");
	node_close(&n);
	buf_release(&got);
	buf_release(&blocks_dir);
	buf_release(&dbp);
	r1_free(why);
}

/* ------------------------------------------------------------ robustness */

static void test_alloc_failures(struct node *n)
{
	const char *doc = "{\"a\":[1,2,3],\"b\":\"text\"}";
	bool clean = true;
	unsigned failed = 0, succeeded = 0;
	for (long k = 0; k < 120; k++) {
		struct r1fs_added a;
		char *why = NULL;
		r1_alloc_fail_after(k);
		enum r1_err e = r1fs_add_json(n->fs, doc, strlen(doc), NULL, NULL, &a, &why);
		r1_alloc_fail_after(-1);
		e == R1_OK ? succeeded++ : failed++;
		if (e != R1_OK && e != R1_ERR_NOMEM)
			clean = false;
		if (e == R1_OK) {
			char *json = NULL;
			if (r1fs_get_json(n->fs, a.cid, NULL, &json, NULL) != R1_OK ||
			    strcmp(json, doc) != 0)
				clean = false;
			r1_free(json);
		}
		r1_free(why);
	}
	ok(clean, "add_json under allocation failure: NOMEM or success, never a wrong result");
	ok(failed > 10 && succeeded > 10, "the injection hit (%u failed, %u succeeded)", failed,
	   succeeded);
	bool get_clean = true;
	struct r1fs_added a;
	r1fs_add_json(n->fs, doc, strlen(doc), NULL, NULL, &a, NULL);
	failed = succeeded = 0;
	for (long k = 0; k < 80; k++) {
		char *json = NULL;
		r1_alloc_fail_after(k);
		enum r1_err e = r1fs_get_json(n->fs, a.cid, NULL, &json, NULL);
		r1_alloc_fail_after(-1);
		e == R1_OK ? succeeded++ : failed++;
		if (e == R1_OK ? strcmp(json, doc) != 0 : e != R1_ERR_NOMEM)
			get_clean = false;
		r1_free(json);
	}
	ok(get_clean, "get_json under allocation failure: NOMEM or the right data");
	ok(failed > 10 && succeeded > 10, "the injection hit (%u failed, %u succeeded)", failed,
	   succeeded);
}

struct worker {
	struct r1fs *fs;
	int id;
	char cids[4][R1FS_CID_TEXT_MAX];
	char payload[4][64];
	bool ok;
};

static void *add_worker(void *arg)
{
	struct worker *w = arg;
	w->ok = true;
	for (int i = 0; i < 4; i++) {
		snprintf(w->payload[i], sizeof(w->payload[i]), "[%d,%d,\"worker\"]", w->id, i);
		struct r1fs_added a;
		if (r1fs_add_json(w->fs, w->payload[i], strlen(w->payload[i]), NULL, NULL, &a,
		                  NULL) != R1_OK)
			w->ok = false;
		memcpy(w->cids[i], a.cid, sizeof(a.cid));
	}
	return NULL;
}

static void test_threads(struct node *n)
{
	struct worker w[3];
	pthread_t t[3];
	for (int i = 0; i < 3; i++) {
		w[i].fs = n->fs;
		w[i].id = i;
		pthread_create(&t[i], NULL, add_worker, &w[i]);
	}
	bool gc_ok = true;
	for (int i = 0; i < 5; i++) {
		struct r1fs_gc_stats gs;
		if (r1fs_gc(n->fs, 0, &gs, NULL) != R1_OK)
			gc_ok = false;
	}
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	ok(gc_ok, "gc runs while three threads add");
	bool all = true;
	for (int i = 0; i < 3; i++) {
		all = all && w[i].ok;
		for (int k = 0; k < 4 && all; k++) {
			char *json = NULL;
			if (r1fs_get_json(n->fs, w[i].cids[k], NULL, &json, NULL) != R1_OK ||
			    strcmp(json, w[i].payload[k]) != 0)
				all = false;
			r1_free(json);
		}
	}
	ok(all, "every file added by the threads is pinned and readable after the gcs");
}

int main(void)
{
	struct node n;
	node_open(&n, "node1", 0);
	struct r1fs *second = NULL;
	char *why = NULL;
	is_int(r1fs_open(n.dir, n.db, NULL, &second, &why), R1_ERR_IO,
	       "a node directory opens once at a time");
	ok(why && strstr(why, "in use"), "reason: %s", why);
	r1_free(why);

	test_reference_files(&n);
	test_json_yaml(&n);
	test_large(&n);
	test_blocks(&n);
	test_alloc_failures(&n);
	test_threads(&n);
	node_close(&n);
	test_gc();
	test_pin_names();
	test_compaction();
	test_legacy_layout();
	return tap_done();
}
