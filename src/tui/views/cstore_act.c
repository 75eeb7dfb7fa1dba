/*
 * The CStore views' shared part (see csview.h): how keys, owners and nodes
 * read, how copies compare, and the writes with their forms and
 * confirmations.  Writes go to the hosted node's engine as the node's own
 * CHAIN_STORE_BASE writes (owner: its admin instance), so the reference's
 * rules apply to them as to any app's: a readonly key of another owner or
 * a key with a token refuses them, and the engine says so.
 */
#include "tui/lib.h"
#include "tui/views/csview.h"
#include "tui/fmt.h"
#include "tui/theme.h"
#include "tui/views/views.h"
#include "tui/widgets/form.h"
#include "core/netmap.h"
#include "core/proto.h"
#include "core/sanitize.h"
#include "node/cstore/jvalue.h"

#define PREVIEW_MAX 300 /* bytes of a value shown in a confirmation */

/* ------------------------------------------------------------ reading */

bool csv_split_key(const struct replica *r, const char *key, char prefix[HKEY_PREFIX_LEN + 1],
                   const char **hname, struct buf *field)
{
	size_t len = strlen(key);
	*hname = NULL;
	prefix[0] = '\0';
	if (!hkey_is_composed(key, len)) {
		r1_sanitize_append(field, key, len, 0);
		return false;
	}
	memcpy(prefix, key, HKEY_PREFIX_LEN);
	prefix[HKEY_PREFIX_LEN] = '\0';
	*hname = r ? replica_hash_name(r, prefix) : NULL;
	struct buf raw = BUF_INIT;
	if (hkey_field(key, len, &raw, NULL) == R1_OK && buf_ok(&raw))
		r1_sanitize_append(field, buf_cstr(&raw), raw.len, 0);
	else /* not a field we can decode: its stored form */
		r1_sanitize_append(field, key + HKEY_PREFIX_LEN, len - HKEY_PREFIX_LEN, 0);
	buf_release(&raw);
	return true;
}

const char *csv_hash_name(struct app *app, const struct replica *r, const char *prefix)
{
	const char *name = r ? replica_hash_name(r, prefix) : NULL;
	struct tui_model *m = app_model(app);
	for (size_t i = 0; !name && i < m->n_hosts; i++) {
		struct cstore *cs = tui_host_cstore(&m->hosts[i]);
		name = cs ? replica_hash_name(cstore_replica(cs), prefix) : NULL;
	}
	return name;
}

void csv_node_name(struct app *app, const char *addr, char *out, size_t size)
{
	view_node_name(app, addr, out, size);
}

/* One element of an instance path: a node (or client) address by its name. */
static void path_part(struct app *app, const json_t *e, struct buf *out)
{
	const char *s = json_string_value(e);
	if (!s) {
		buf_adds(out, "-");
	} else if (strncmp(s, "0xai_", 5) == 0) {
		char name[64];
		csv_node_name(app, s, name, sizeof(name));
		buf_adds(out, name);
	} else {
		r1_sanitize_append(out, s, strlen(s), 0);
	}
}

void csv_owner_text(struct app *app, const char *owner, struct buf *out)
{
	if (!owner) {
		buf_adds(out, "-");
		return;
	}
	json_t *path = json_loads(owner, JSON_DECODE_ANY, NULL);
	if (!json_is_array(path) || json_array_size(path) != 4) {
		r1_sanitize_append(out, owner, strlen(owner), 0);
		json_decref(path);
		return;
	}
	const char *pipe = json_string_value(json_array_get(path, 1));
	const char *sig = json_string_value(json_array_get(path, 2));
	bool admin = pipe && strcmp(pipe, ADMIN_PIPELINE) == 0;
	path_part(app, json_array_get(path, 0), out);
	if (admin && sig && strcmp(sig, SIG_CHAIN_STORE_BASE) == 0) {
		buf_adds(out, " (" SIG_CHAIN_STORE_BASE ")");
	} else {
		for (size_t i = admin ? 2 : 1; i < 4; i++) {
			buf_addc(out, '/');
			path_part(app, json_array_get(path, i), out);
		}
	}
	json_decref(path);
}

enum csv_copy csv_compare_host(struct tui_host *h, const struct replica_record *rec)
{
	struct cstore *cs = tui_host_cstore(h);
	if (!cs)
		return CSV_UNKNOWN;
	const struct replica_record *o = cstore_record(cs, rec->key);
	if (!o)
		return CSV_ABSENT;
	return jvalue_text_equal(o->value, rec->value) && jvalue_text_equal(o->owner, rec->owner)
	           ? CSV_SAME
	           : CSV_DIFFERS;
}

enum csv_copy csv_compare_snapshot(const json_t *peer_rec, const struct replica_record *rec)
{
	const json_t *v = json_object_get(peer_rec, "value");
	if (!peer_rec || !v || json_is_null(v))
		return CSV_ABSENT;
	const json_t *owner = json_object_get(peer_rec, "owner");
	/* a CSTORE_REQ answer has the value only: the value decides */
	return jvalue_text_equal_value(rec->value, v) &&
	               (!owner || jvalue_text_equal_value(rec->owner, owner))
	           ? CSV_SAME
	           : CSV_DIFFERS;
}

const char *csv_copy_text(enum csv_copy c)
{
	static const char *const text[] = {
	    [CSV_SAME] = N_("same"),
	    [CSV_DIFFERS] = N_("differs"),
	    [CSV_ABSENT] = N_("absent"),
	    [CSV_UNKNOWN] = N_("store not running"),
	};
	return _(text[c]);
}

/* ------------------------------------------------------------ writes */

/* A write from the form to the confirmation to the engine's answer. */
struct csw {
	struct app_op op; /* while the engine has it */
	struct app *app;
	struct tui_host *h;
	struct cstore *cs; /* the engine it went to */
	uint64_t op_id;
	char *key;          /* the flat key (edits, deletes) */
	char *hkey, *field; /* or a hash field */
	char *value;        /* normalized JSON text; NULL deletes */
	bool readonly;
	char *label; /* "jobs/42 on node-02" (sanitized) */
};

static void csw_free(void *ctx)
{
	struct csw *w = ctx;
	if (!w)
		return;
	r1_free(w->key);
	r1_free(w->hkey);
	r1_free(w->field);
	r1_free(w->value);
	r1_free(w->label);
	r1_free(w);
}

static struct csw *csw_new(struct app *app, struct tui_host *h)
{
	struct csw *w = r1_calloc(1, sizeof(*w));
	if (w) {
		w->app = app;
		w->h = h;
	}
	return w;
}

static struct csw *csw_copy(const struct csw *s)
{
	struct csw *w = csw_new(s->app, s->h);
	if (!w)
		return NULL;
	w->readonly = s->readonly;
	w->key = s->key ? r1_strdup(s->key) : NULL;
	w->hkey = s->hkey ? r1_strdup(s->hkey) : NULL;
	w->field = s->field ? r1_strdup(s->field) : NULL;
	w->value = s->value ? r1_strdup(s->value) : NULL;
	w->label = s->label ? r1_strdup(s->label) : NULL;
	if ((s->key && !w->key) || (s->hkey && !w->hkey) || (s->field && !w->field) ||
	    (s->value && !w->value) || (s->label && !w->label)) {
		csw_free(w);
		return NULL;
	}
	return w;
}

/* "key on node" or "hash/field on node" (sanitized). */
static char *label_of(struct app *app, struct tui_host *h, const char *key, const char *hkey,
                      const char *field)
{
	struct buf b = BUF_INIT;
	if (hkey) {
		r1_sanitize_append(&b, hkey, strlen(hkey), 0);
		buf_addc(&b, '/');
		r1_sanitize_append(&b, field, strlen(field), 0);
	} else {
		struct tui_host *hh = h;
		struct cstore *cs = tui_host_cstore(hh);
		char prefix[HKEY_PREFIX_LEN + 1];
		const char *hname = NULL;
		struct buf f = BUF_INIT;
		if (csv_split_key(cs ? cstore_replica(cs) : NULL, key, prefix, &hname, &f)) {
			hname = csv_hash_name(app, cs ? cstore_replica(cs) : NULL, prefix);
			if (hname)
				r1_sanitize_append(&b, hname, strlen(hname), 0);
			else
				buf_adds(&b, prefix);
			buf_addc(&b, '/');
		}
		buf_adds(&b, buf_ok(&f) ? buf_cstr(&f) : "?");
		buf_release(&f);
	}
	char name[64];
	csv_node_name(app, h->addr, name, sizeof(name));
	/* TRANSLATORS: "<key> on <node>" */
	buf_addf(&b, _(" on %s"), name);
	return buf_detach(&b, NULL);
}

static void outcome_message(struct app *app, const char *label, enum cstore_outcome o)
{
	static const struct {
		uint16_t role;
		const char *text;
	} says[] = {
	    [CSTORE_OK] = {TUI_ROLE_STATUS_OK, N_("stored and confirmed")},
	    [CSTORE_PENDING] = {TUI_ROLE_STATUS_INFO,
	                        N_("stored, waiting for the peers' confirmations")},
	    [CSTORE_TOKEN] = {TUI_ROLE_STATUS_ERROR, N_("refused: the key has a token")},
	    [CSTORE_READONLY] = {TUI_ROLE_STATUS_ERROR,
	                         N_("refused: a readonly key of another owner")},
	    [CSTORE_NO_PEERS] = {TUI_ROLE_STATUS_ERROR,
	                         N_("refused: no online peer in the node's allow-list")},
	    [CSTORE_TIMEOUT] = {TUI_ROLE_STATUS_WARN,
	                        N_("not enough confirmations after every retry")},
	    [CSTORE_SUPERSEDED] = {TUI_ROLE_STATUS_WARN,
	                           N_("a newer write replaced it before it was confirmed")},
	    [CSTORE_CANCELLED] = {TUI_ROLE_STATUS_WARN, N_("cancelled: the store closed")},
	};
	if ((size_t)o >= R1_ARRAY_LEN(says) || !says[o].text)
		return;
	app_message(app, says[o].role, "%s: %s", label, _(says[o].text));
}

static void on_written(void *arg, enum cstore_outcome o)
{
	struct csw *w = arg;
	app_op_end(w->app, &w->op);
	outcome_message(w->app, w->label, o);
	csw_free(w);
}

/* The app is going: the engine forgets the write (its callback will not run). */
static void on_cancel(void *ctx)
{
	struct csw *w = ctx;
	cstore_cancel(w->cs, w->op_id);
	csw_free(w);
}

static void do_write(struct app *app, void *ctx)
{
	struct csw *w = csw_copy(ctx);
	if (!w) {
		app_message(app, TUI_ROLE_STATUS_ERROR, "%s", _("out of memory"));
		return;
	}
	w->cs = tui_host_cstore(w->h);
	if (!w->cs) {
		app_message(app, TUI_ROLE_STATUS_ERROR, _("%s: the node's CStore is not running"),
		            w->label);
		csw_free(w);
		return;
	}
	struct cstore_write opt = CSTORE_WRITE_INIT;
	opt.readonly = w->readonly;
	enum cstore_outcome o = CSTORE_CANCELLED;
	char *why = NULL;
	enum r1_err e =
	    w->hkey ? cstore_hset(w->cs, w->hkey, w->field, w->value, &opt, on_written, w, &o,
	                          &w->op_id, &why)
	            : cstore_set(w->cs, w->key, w->value, &opt, on_written, w, &o, &w->op_id, &why);
	if (e) {
		app_message(app, TUI_ROLE_STATUS_ERROR, _("%s: %s"), w->label,
		            why ? why : r1_strerror(e));
		r1_free(why);
		csw_free(w);
		return;
	}
	outcome_message(app, w->label, o);
	if (o != CSTORE_PENDING) {
		csw_free(w);
		return;
	}
	w->op.cancel = on_cancel;
	w->op.ctx = w;
	app_op_start(app, &w->op);
}

/* Ask before writing w (taken). */
static void confirm_write(struct app *app, struct csw *w)
{
	struct buf msg = BUF_INIT;
	if (w->value) {
		buf_addf(&msg, _("Set %s to:"), w->label);
		buf_adds(&msg, "\n\n");
		size_t len = strlen(w->value);
		r1_sanitize_append(&msg, w->value, R1_MIN(len, (size_t)PREVIEW_MAX), 0);
		if (len > PREVIEW_MAX)
			buf_adds(&msg, "…");
		if (w->readonly)
			buf_addf(&msg, "\n\n%s", _("readonly: other owners cannot change it"));
		buf_addf(&msg, "\n\n%s",
		         _("The node stores it, sends it to its peers (the online nodes of its "
		           "allow-list) and waits for their confirmations."));
	} else {
		buf_addf(&msg, _("Delete %s?"), w->label);
		buf_addf(&msg, "\n\n%s",
		         _("The node deletes it and tells its peers, without waiting for them."));
	}
	app_confirm(app, w->value ? _("Write to CStore") : _("Delete from CStore"),
	            buf_ok(&msg) ? buf_cstr(&msg) : "", !w->value, do_write, w, csw_free);
	buf_release(&msg);
}

/* The value field: any JSON value (a string needs its quotes). */
static bool value_check(void *ctx, struct field *f, struct buf *msg)
{
	(void)ctx;
	const char *t = field_text(f);
	struct buf norm = BUF_INIT;
	char *why = NULL;
	enum r1_err e = jvalue_normalize(t, strlen(t), &norm, &why);
	buf_release(&norm);
	if (e)
		buf_addf(msg, _("%s (a string needs its quotes)"), why ? why : _("not JSON"));
	r1_free(why);
	return e == R1_OK;
}

static char *normalized(struct field *f)
{
	const char *t = field_text(f);
	struct buf norm = BUF_INIT;
	if (jvalue_normalize(t, strlen(t), &norm, NULL) != R1_OK) {
		buf_release(&norm);
		return NULL;
	}
	return buf_detach(&norm, NULL);
}

static bool edit_submit(struct app *app, struct form *f, void *ctx)
{
	struct csw *src = ctx;
	struct csw *w = csw_copy(src);
	if (!w)
		return false;
	r1_free(w->value);
	w->value = normalized(form_find(f, "value"));
	w->readonly = form_find(f, "readonly")->checked;
	if (!w->value) {
		csw_free(w);
		return false;
	}
	if (src->value && strcmp(src->value, w->value) == 0 && src->readonly == w->readonly) {
		struct field *fl = form_find(f, "value");
		r1_free(fl->error);
		fl->error = r1_strdup(_("nothing changed: edit the value, or Esc"));
		csw_free(w);
		return false;
	}
	confirm_write(app, w);
	return true;
}

static struct field *add_value_fields(struct form *f, const char *value, bool readonly)
{
	struct buf pretty = BUF_INIT;
	if (value)
		fmt_json_pretty(value, strlen(value), 2, &pretty);
	struct field *v = form_add_textarea(f, "value", _("Value (JSON)"),
	                                    buf_ok(&pretty) ? buf_cstr(&pretty) : "", 10, 0);
	buf_release(&pretty);
	struct field *ro = v ? form_add_checkbox(f, "readonly", _("Readonly"), readonly) : NULL;
	if (!ro)
		return NULL;
	v->required = true;
	field_set_check(v, value_check, NULL);
	return v;
}

void csv_edit(struct app *app, struct tui_host *h, const char *key)
{
	struct cstore *cs = tui_host_cstore(h);
	const struct replica_record *rec = cs ? cstore_record(cs, key) : NULL;
	if (!rec) {
		app_message(app, TUI_ROLE_STATUS_WARN, "%s", _("that key is gone"));
		return;
	}
	if (rec->token) {
		app_message(app, TUI_ROLE_STATUS_WARN, "%s",
		            _("this key has a token: only a writer with the token can change it"));
		return;
	}
	struct csw *w = csw_new(app, h);
	struct form *f = form_new();
	if (!w || !f || !(w->key = r1_strdup(key)) || !(w->value = r1_strdup(rec->value)) ||
	    !(w->label = label_of(app, h, key, NULL, NULL)) ||
	    !add_value_fields(f, rec->value, rec->readonly)) {
		csw_free(w);
		form_free(&f);
		app_message(app, TUI_ROLE_STATUS_ERROR, "%s", _("out of memory"));
		return;
	}
	w->readonly = rec->readonly;
	struct buf title = BUF_INIT;
	buf_addf(&title, _("Edit %s"), w->label);
	app_form(app, buf_ok(&title) ? buf_cstr(&title) : "", f, edit_submit, w, csw_free);
	buf_release(&title);
}

static bool new_submit(struct app *app, struct form *f, void *ctx)
{
	struct csw *src = ctx;
	struct csw *w = csw_new(app, src->h);
	if (!w)
		return false;
	const char *hkey = field_text(form_find(f, "hash"));
	const char *key = field_text(form_find(f, "key"));
	w->value = normalized(form_find(f, "value"));
	w->readonly = form_find(f, "readonly")->checked;
	if (*hkey) {
		w->hkey = r1_strdup(hkey);
		w->field = r1_strdup(key);
	} else {
		w->key = r1_strdup(key);
	}
	w->label = label_of(app, src->h, key, *hkey ? hkey : NULL, key);
	if (!w->value || !w->label || (*hkey && (!w->hkey || !w->field)) || (!*hkey && !w->key)) {
		csw_free(w);
		return false;
	}
	confirm_write(app, w);
	return true;
}

void csv_new(struct app *app, struct tui_host *h, const char *hkey)
{
	struct csw *w = csw_new(app, h);
	struct form *f = form_new();
	struct field *hf =
	    f ? form_add_text(f, "hash", _("Hash (empty: a plain key)"), hkey ? hkey : "", 0)
	      : NULL;
	struct field *kf =
	    hf ? form_add_text(f, "key", _("Key, or the hash's field"), "", 0) : NULL;
	if (!w || !kf || !add_value_fields(f, NULL, false)) {
		csw_free(w);
		form_free(&f);
		app_message(app, TUI_ROLE_STATUS_ERROR, "%s", _("out of memory"));
		return;
	}
	kf->required = true;
	form_focus(f, hkey ? 1 : 0);
	char name[64];
	csv_node_name(app, h->addr, name, sizeof(name));
	struct buf title = BUF_INIT;
	buf_addf(&title, _("New CStore key on %s"), name);
	app_form(app, buf_ok(&title) ? buf_cstr(&title) : "", f, new_submit, w, csw_free);
	buf_release(&title);
}

void csv_delete(struct app *app, struct tui_host *h, const char *key)
{
	struct cstore *cs = tui_host_cstore(h);
	const struct replica_record *rec = cs ? cstore_record(cs, key) : NULL;
	if (!rec) {
		app_message(app, TUI_ROLE_STATUS_WARN, "%s", _("that key is gone"));
		return;
	}
	if (rec->token) {
		app_message(app, TUI_ROLE_STATUS_WARN, "%s",
		            _("this key has a token: only a writer with the token can delete it"));
		return;
	}
	struct csw *w = csw_new(app, h);
	if (!w || !(w->key = r1_strdup(key)) || !(w->label = label_of(app, h, key, NULL, NULL))) {
		csw_free(w);
		app_message(app, TUI_ROLE_STATUS_ERROR, "%s", _("out of memory"));
		return;
	}
	confirm_write(app, w);
}
