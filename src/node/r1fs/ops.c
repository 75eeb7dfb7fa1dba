/*
 * The bookkeeping operations of ops.h: argument checks, one store call,
 * the result as JSON.  A table, so the HTTP API, remote requests and the
 * CLI cannot drift apart.
 */
#include "node/lib.h"
#include "node/r1fs/ops.h"

#include "node/r1fs/r1fs.h"

static const char *const entry_types[] = {"file", "directory", "raw", "other"};

static enum r1_err op_pins(struct r1fs *fs, const char *cid, const json_t *args, json_t **out,
                           char **why)
{
	struct r1fs_pin *pins = NULL;
	size_t n = 0;
	enum r1_err e = r1fs_list_pins(fs, &pins, &n, why);
	if (e)
		return e;
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_pack("{s:s,s:I,s:I,s:s?}", "cid", pins[i].cid,
		                                       "size", (json_int_t)pins[i].size, "created",
		                                       (json_int_t)pins[i].created, "name",
		                                       pins[i].name))) {
			json_decref(a);
			a = NULL;
		}
	r1fs_pins_free(pins, n);
	*out = a;
	return a ? R1_OK : r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
}

static enum r1_err op_store_stat(struct r1fs *fs, const char *cid, const json_t *args, json_t **out,
                                 char **why)
{
	struct r1fs_store_stat st;
	enum r1_err e = r1fs_store_stat(fs, &st, why);
	if (e)
		return e;
	*out = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "used", (json_int_t)st.used_bytes, "quota",
	                 (json_int_t)st.quota_bytes, "blocks", (json_int_t)st.blocks, "pins",
	                 (json_int_t)st.pins, "packs", (json_int_t)st.packs, "disk",
	                 (json_int_t)st.disk_bytes);
	return *out ? R1_OK : r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
}

static enum r1_err op_stat(struct r1fs *fs, const char *cid, const json_t *args, json_t **out,
                           char **why)
{
	struct r1fs_stat st;
	enum r1_err e = r1fs_stat(fs, cid, &st, why);
	if (e)
		return e;
	*out = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:b}", "cid", st.cid, "type",
	                 entry_types[st.type], "filesize", (json_int_t)st.filesize, "cumulative",
	                 (json_int_t)st.cumulative, "block_size", (json_int_t)st.block_size,
	                 "links", (json_int_t)st.nlinks, "pinned", st.pinned);
	return *out ? R1_OK : r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
}

static enum r1_err op_ls(struct r1fs *fs, const char *cid, const json_t *args, json_t **out,
                         char **why)
{
	struct r1fs_entry *ents = NULL;
	size_t n = 0;
	enum r1_err e = r1fs_ls(fs, cid, &ents, &n, why);
	if (e)
		return e;
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_pack("{s:s,s:s,s:I}", "name", ents[i].name, "cid",
		                                       ents[i].cid, "size",
		                                       (json_int_t)ents[i].size))) {
			json_decref(a);
			a = NULL;
		}
	r1fs_entries_free(ents, n);
	*out = a;
	return a ? R1_OK : r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
}

static enum r1_err op_pin(struct r1fs *fs, const char *cid, const json_t *args, json_t **out,
                          char **why)
{
	const json_t *nm = json_object_get(args, "name");
	const char *name = json_string_value(nm);
	if (nm && !json_is_null(nm) && !r1fs_pin_name_ok(name, name ? json_string_length(nm) : 0))
		return r1_fail(why, R1_ERR_INVAL,
		               "r1fs pin: name must be 1 to 255 bytes without '/' or control "
		               "characters");
	enum r1_err e = r1fs_pin_named(fs, cid, name, why);
	if (!e && !(*out = json_pack("{s:s,s:b}", "cid", cid, "pinned", true)))
		e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	return e;
}

static enum r1_err op_unpin(struct r1fs *fs, const char *cid, const json_t *args, json_t **out,
                            char **why)
{
	enum r1_err e = r1fs_unpin(fs, cid, why);
	if (!e && !(*out = json_pack("{s:s,s:b}", "cid", cid, "pinned", false)))
		e = r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
	return e;
}

static enum r1_err op_gc(struct r1fs *fs, const char *cid, const json_t *args, json_t **out,
                         char **why)
{
	const json_t *g = json_object_get(args, "grace");
	if (g && !json_is_null(g) && (!json_is_integer(g) || json_integer_value(g) < 0))
		return r1_fail(why, R1_ERR_INVAL,
		               "r1fs gc: grace must be a whole number of seconds");
	int64_t grace = json_is_integer(g) ? (int64_t)json_integer_value(g) : R1FS_OP_GC_GRACE_S;
	struct r1fs_gc_stats s;
	enum r1_err e = r1fs_gc(fs, grace, &s, why);
	if (e)
		return e;
	*out = json_pack("{s:I,s:I,s:I,s:I,s:I}", "blocks_removed", (json_int_t)s.blocks_removed,
	                 "bytes_removed", (json_int_t)s.bytes_removed, "packs_compacted",
	                 (json_int_t)s.packs_compacted, "packs_deleted",
	                 (json_int_t)s.packs_deleted, "disk_freed", (json_int_t)s.disk_freed);
	return *out ? R1_OK : r1_fail(why, R1_ERR_NOMEM, "r1fs: out of memory");
}

static const struct {
	const char *name;
	bool needs_cid, changes_pins;
	enum r1_err (*run)(struct r1fs *fs, const char *cid, const json_t *args, json_t **out,
	                   char **why);
} ops[] = {
    {"pins", false, false, op_pins}, {"store_stat", false, false, op_store_stat},
    {"stat", true, false, op_stat},  {"ls", true, false, op_ls},
    {"pin", true, true, op_pin},     {"unpin", true, true, op_unpin},
    {"gc", false, true, op_gc},
};

static int find(const char *cmd)
{
	for (size_t i = 0; cmd && i < R1_ARRAY_LEN(ops); i++)
		if (strcmp(ops[i].name, cmd) == 0)
			return (int)i;
	return -1;
}

bool r1fs_op_known(const char *cmd, bool *needs_cid)
{
	int i = find(cmd);
	if (needs_cid)
		*needs_cid = i >= 0 && ops[i].needs_cid;
	return i >= 0;
}

enum r1_err r1fs_op_run(struct r1fs *fs, const char *cmd, const json_t *args, json_t **result,
                        bool *changed, char **why)
{
	*result = NULL;
	if (changed)
		*changed = false;
	int i = find(cmd);
	if (i < 0)
		return r1_fail(why, R1_ERR_INVAL, "r1fs: unknown operation %.40s", cmd ? cmd : "");
	const char *cid = json_string_value(json_object_get(args, "cid"));
	if (ops[i].needs_cid && (!cid || !*cid))
		return r1_fail(why, R1_ERR_INVAL, "r1fs %s: which CID?", cmd);
	enum r1_err e = ops[i].run(fs, cid, args, result, why);
	if (!e && changed)
		*changed = ops[i].changes_pins;
	return e;
}
