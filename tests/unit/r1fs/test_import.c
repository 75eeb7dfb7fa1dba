/*
 * The UnixFS importer against two independent implementations:
 *  - Debian's ipfs_cid (kubo's defaults: CIDv0, and the root of that same
 *    DAG written as a CIDv1, which is not what --cid-version=1 makes) on
 *    random files of the sizes that matter: empty,
 *    1 byte, one chunk exactly, one chunk + 1, 10 MiB, and 100 MiB (more
 *    than 174 leaves, so a second tree level);
 *  - js-ipfs 0.66's importer (tests/unit/r1fs/jsipfs_vectors.jsonl, made by
 *    jsipfs_vectors.mjs): raw-leaf CIDv1 files, the directories of
 *    `ipfs add -w` in both versions, and small layouts (4-byte chunks, 3
 *    links) at every size from 0 to 130 bytes, which walks the balanced
 *    tree through several levels and every partial shape.
 */
#include "node/lib.h"
#include "node/r1fs/dagbuilder.h"
#include "node/r1fs/dagpb.h"
#include "node/r1fs/r1fs.h"
#include "node/r1fs/unixfs.h"
#include "tests/tap.h"

#include "core/hash.h"

#include <jansson.h>

static char *tmp_path(const char *name)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/%s", tap_tmpdir(), name);
	return buf_detach(&p, NULL);
}

static void write_random_file(const char *path, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		tap_bail("cannot create %s", path);
	uint8_t *chunk = malloc(1 << 20);
	while (size > 0) {
		size_t n = R1_MIN(size, (size_t)1 << 20);
		random_bytes(chunk, n);
		if (fwrite(chunk, 1, n, f) != n)
			tap_bail("cannot write %s", path);
		size -= n;
	}
	free(chunk);
	fclose(f);
}

/* ipfs_cid FILE prints {"CIDv0": ..., "CIDv1": ...}. */
static void ipfs_cid(const char *path, char v0[80], char v1[80])
{
	struct buf cmd = BUF_INIT;
	buf_addf(&cmd, "ipfs_cid '%s' 2>/dev/null", path);
	FILE *p = popen(buf_cstr(&cmd), "r");
	buf_release(&cmd);
	char line[512] = "";
	if (!p || !fgets(line, sizeof(line), p))
		tap_bail("ipfs_cid did not run (install the Debian package ipfs-cid)");
	pclose(p);
	json_t *j = json_loads(line, 0, NULL);
	const char *a = json_string_value(json_object_get(j, "CIDv0"));
	const char *b = json_string_value(json_object_get(j, "CIDv1"));
	if (!a || !b)
		tap_bail("unexpected ipfs_cid output: %s", line);
	snprintf(v0, 80, "%s", a);
	snprintf(v1, 80, "%s", b);
	json_decref(j);
}

/* Build a DAG from a file with any layout, storing nothing. */
static void file_dag(const char *path, const struct dag_layout *layout, struct dag_result *res)
{
	struct dag_builder *b = dag_builder_new(layout, NULL, NULL);
	FILE *f = fopen(path, "rb");
	uint8_t *chunk = malloc(1 << 20);
	size_t n;
	char *why = NULL;
	/* Odd read sizes, so chunk boundaries never line up with the writes. */
	while ((n = fread(chunk, 1, 777777, f)) > 0)
		if (dag_builder_write(b, chunk, n, &why) != R1_OK)
			tap_bail("dag_builder_write: %s", why);
	if (dag_builder_finish(b, res, &why) != R1_OK)
		tap_bail("dag_builder_finish: %s", why);
	fclose(f);
	free(chunk);
	dag_builder_free(&b);
}

static void test_against_ipfs_cid(void)
{
	static const struct {
		const char *name;
		size_t size;
	} files[] = {
	    {"empty", 0},
	    {"one byte", 1},
	    {"exactly 256 KiB", 262144},
	    {"256 KiB + 1", 262145},
	    {"10 MiB", 10u << 20},
	    {"100 MiB (> 174 leaves: two levels)", 100u << 20},
	};
	for (size_t i = 0; i < R1_ARRAY_LEN(files); i++) {
		char name[32];
		snprintf(name, sizeof(name), "rand%zu.bin", i);
		char *path = tmp_path(name);
		write_random_file(path, files[i].size);
		char want0[80], want1[80], got[R1FS_CID_TEXT_MAX];
		ipfs_cid(path, want0, want1);
		char *why = NULL;
		is_int(r1fs_plain_cid(path, 0, got, &why), R1_OK, "plain CID of %s", files[i].name);
		is_str(got, want0, "CIDv0 of %s equals ipfs_cid's", files[i].name);
		/* ipfs_cid's "CIDv1" is the CIDv0 DAG's root written as a v1 CID. */
		struct dag_layout v0;
		dag_layout_kubo(&v0, 0);
		struct dag_result res;
		file_dag(path, &v0, &res);
		r1fs_cid_format(&res.root, got);
		is_str(got, want0, "the builder fed odd-sized writes agrees (%s)", files[i].name);
		res.root.version = 1;
		r1fs_cid_format(&res.root, got);
		is_str(got, want1, "the same root as CIDv1 equals ipfs_cid's CIDv1 (%s)",
		       files[i].name);
		is_int(res.filesize, files[i].size, "filesize of %s", files[i].name);
		unlink(path);
		r1_free(path);
		r1_free(why);
	}
	char got[R1FS_CID_TEXT_MAX];
	char *why = NULL;
	is_int(r1fs_plain_cid("/nonexistent/file", 0, got, &why), R1_ERR_IO, "missing file");
	ok(why && strstr(why, "/nonexistent/file"), "reason names the file: %s", why);
	is_int(r1fs_plain_cid("/dev/null", 2, got, &why), R1_ERR_INVAL, "CID version 2 refused");
	r1_free(why);
}

/* Content of the js-ipfs vectors: SHA-256("r1fs-vec" || le64(i)) blocks. */
static uint8_t *vector_content(const json_t *row, size_t size)
{
	uint8_t *data = malloc(size + 32);
	const char *text = json_string_value(json_object_get(row, "content_text"));
	if (text) {
		memcpy(data, text, size);
	} else if (json_object_get(row, "chunk")) {
		for (size_t i = 0; i < size; i++)
			data[i] = (uint8_t)i;
	} else {
		for (uint64_t i = 0; 32 * i < size; i++) {
			uint8_t in[16] = "r1fs-vec";
			for (int k = 0; k < 8; k++)
				in[8 + k] = (uint8_t)(i >> (8 * k));
			sha256(in, 16, data + 32 * i);
		}
	}
	return data;
}

/* Blocks must arrive children first: every link of a node was seen before. */
struct order_check {
	struct r1fs_cid seen[4096];
	size_t n;
	bool ok;
};

static enum r1_err order_sink(void *ctx, const struct r1fs_cid *cid, const uint8_t *block,
                              size_t len, int nlinks, char **why)
{
	struct order_check *oc = ctx;
	if (nlinks > 0) {
		struct dagpb_node node;
		if (dagpb_decode(block, len, &node, NULL) != R1_OK) {
			oc->ok = false;
			return R1_OK;
		}
		for (size_t i = 0; i < node.nlinks; i++) {
			bool found = false;
			for (size_t k = 0; k < oc->n && !found; k++)
				found = r1fs_cid_equal(&oc->seen[k], &node.links[i].cid);
			if (!found)
				oc->ok = false;
		}
		if ((int)node.nlinks != nlinks)
			oc->ok = false;
		dagpb_node_release(&node);
	}
	if (oc->n < R1_ARRAY_LEN(oc->seen))
		oc->seen[oc->n++] = *cid;
	return R1_OK;
}

static void build(const uint8_t *data, size_t size, const struct dag_layout *layout,
                  struct dag_result *res, struct order_check *oc)
{
	struct dag_builder *b = dag_builder_new(layout, oc ? order_sink : NULL, oc);
	char *why = NULL;
	/* Feed in uneven slices. */
	for (size_t at = 0; at < size;) {
		size_t n = R1_MIN(size - at, (size_t)(at % 7 + 1) * 3);
		dag_builder_write(b, data + at, n, &why);
		at += n;
	}
	if (dag_builder_finish(b, res, &why) != R1_OK)
		tap_bail("finish: %s", why);
	dag_builder_free(&b);
}

static void wrap(const struct dag_result *file, const char *name, unsigned version, char out[64])
{
	struct buf node = BUF_INIT;
	const char *names[1] = {name};
	unixfs_encode_dir(&file->root, names, &file->tsize, 1, &node);
	struct r1fs_cid dir;
	r1fs_cid_of_block(version, R1FS_CODEC_DAGPB, node.data, node.len, &dir);
	r1fs_cid_format(&dir, out);
	buf_release(&node);
}

static void test_against_jsipfs(void)
{
	char *path = r1_strdup(R1_SRCDIR "/tests/unit/r1fs/jsipfs_vectors.jsonl");
	size_t count = 0;
	char **lines = tap_read_lines(path, &count);
	ok(count >= 139, "js-ipfs vectors: %zu rows", count);
	size_t small_ok = 0, small_total = 0;
	bool order_ok = true;
	for (size_t i = 0; i < count; i++) {
		json_t *row = json_loads(lines[i], 0, NULL);
		size_t size = (size_t)json_integer_value(json_object_get(row, "size"));
		uint8_t *data = vector_content(row, size);
		const char *name = json_string_value(json_object_get(row, "name"));
		struct dag_layout v0, v1;
		dag_layout_kubo(&v0, 0);
		dag_layout_kubo(&v1, 1);
		bool small = json_object_get(row, "chunk") != NULL;
		if (small) {
			v0.chunk_size = v1.chunk_size = 4;
			v0.max_links = v1.max_links = 3;
		}
		struct dag_result r0, r1;
		struct order_check *oc = calloc(1, sizeof(*oc));
		oc->ok = true;
		build(data, size, &v0, &r0, oc);
		order_ok = order_ok && oc->ok && oc->n == r0.nblocks;
		build(data, size, &v1, &r1, NULL);
		free(oc);
		char c0[R1FS_CID_TEXT_MAX], c1[R1FS_CID_TEXT_MAX];
		r1fs_cid_format(&r0.root, c0);
		r1fs_cid_format(&r1.root, c1);
		const char *want0 = json_string_value(json_object_get(row, "file_v0"));
		const char *want1 = json_string_value(json_object_get(row, "file_v1_raw"));
		uint64_t tsize0 =
		    (uint64_t)json_integer_value(json_object_get(row, "file_v0_tsize"));
		if (small) {
			small_total++;
			if (strcmp(c0, want0) == 0 && strcmp(c1, want1) == 0 && r0.tsize == tsize0)
				small_ok++;
			else
				tap_diag("small layout, %zu bytes: %s %s", size, c0, c1);
		} else {
			is_str(c0, want0, "js-ipfs v0 file, %zu bytes", size);
			is_int(r0.tsize, tsize0, "js-ipfs v0 cumulative size, %zu bytes", size);
			if (want1)
				is_str(c1, want1, "js-ipfs v1 raw-leaf file, %zu bytes", size);
			const char *w0 = json_string_value(json_object_get(row, "wrap_v0"));
			const char *w1 = json_string_value(json_object_get(row, "wrap_v1_raw"));
			char got[R1FS_CID_TEXT_MAX];
			wrap(&r0, name, 0, got);
			is_str(got, w0, "js-ipfs 'add -w' v0 directory, %zu bytes named %s", size,
			       name);
			if (w1) {
				wrap(&r1, name, 1, got);
				is_str(got, w1, "js-ipfs 'add -w' v1 directory, %zu bytes", size);
			}
		}
		free(data);
		json_decref(row);
	}
	is_int(small_ok, 131, "small layouts: %zu of %zu sizes (0..130) equal js-ipfs (v0 and v1)",
	       small_ok, small_total);
	ok(order_ok, "every node is emitted after all of its children");
	tap_free_lines(lines);
	r1_free(path);
}

static void test_builder_states(void)
{
	struct dag_layout bad = {0, true, DAG_KUBO_CHUNK, DAG_KUBO_MAX_LINKS};
	ok(dag_builder_new(&bad, NULL, NULL) == NULL, "raw leaves with CIDv0 refused");
	struct dag_layout ok_layout;
	dag_layout_kubo(&ok_layout, 0);
	struct dag_builder *b = dag_builder_new(&ok_layout, NULL, NULL);
	struct dag_result res;
	char *why = NULL;
	is_int(dag_builder_finish(b, &res, &why), R1_OK, "finish with no input");
	is_int(dag_builder_finish(b, &res, &why), R1_ERR_STATE, "finish twice refused");
	is_int(dag_builder_write(b, "x", 1, &why), R1_ERR_STATE, "write after finish refused");
	dag_builder_free(&b);
	ok(b == NULL, "free NULLs the pointer");
	r1_free(why);
}

int main(void)
{
	test_builder_states();
	test_against_jsipfs();
	test_against_ipfs_cid();
	return tap_done();
}
