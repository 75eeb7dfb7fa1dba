/*
 * The console's actions on nodes (see views.h): each one says what will be
 * sent to whom and waits for a Yes before it sends through the session;
 * the session's transaction reports the outcome (app_session_call).  Forms
 * (instance command, config editor) check their JSON before anything is
 * offered for sending.  Nothing here draws: dialogs and forms are the
 * app's.
 */
#include "tui/lib.h"
#include "tui/views/views.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "tui/widgets/form.h"
#include "core/log.h"
#include "core/netmap.h"
#include "core/proto.h"
#include "core/sanitize.h"
#include "core/session.h"

#include <ctype.h>
#include <math.h>

#define PREVIEW_MAX 600 /* bytes of JSON shown in a confirmation */

struct act {
	struct act_target t;
	char *command;
	json_t *params; /* instance command parameters, or NULL */
	json_t *config; /* the config being edited (old), or the delta to send */
};

static void act_free(void *ctx)
{
	struct act *a = ctx;
	if (!a)
		return;
	r1_free(a->command);
	json_decref(a->params);
	json_decref(a->config);
	r1_free(a);
}

static struct act *act_new(const struct act_target *t)
{
	struct act *a = r1_calloc(1, sizeof(*a));
	if (a)
		a->t = *t;
	return a;
}

void act_target_node(struct act_target *t, const struct nm_node *n)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->addr, sizeof(t->addr), "%s", n->info.addr);
	r1_sanitize_into(t->alias, sizeof(t->alias), n->info.alias, strlen(n->info.alias), 0);
	t->peered = n->peered;
}

unsigned act_on_node(struct app *app, const struct nm_node *n,
                     void (*act)(struct app *, const struct act_target *))
{
	if (!n)
		return TUI_CONSUMED;
	struct act_target t;
	act_target_node(&t, n);
	act(app, &t);
	return TUI_CONSUMED | TUI_REDRAW;
}

/* "node 'demo-02' (0xai_A1b2…x9Y8)" */
static void node_words(struct buf *b, const struct act_target *t)
{
	size_t n = strlen(t->addr);
	if (n > 16)
		buf_addf(b, _("node '%s' (%.10s...%s)"), t->alias[0] ? t->alias : "?", t->addr,
		         t->addr + n - 6);
	else
		buf_addf(b, _("node '%s' (%s)"), t->alias[0] ? t->alias : "?", t->addr);
}

static void refused_warning(struct buf *b, const struct act_target *t)
{
	if (!t->peered)
		buf_addf(b, "\n\n%s",
		         _("Warning: this node has not allowed us (we are not in its allow-list): "
		           "it will refuse the command."));
}

static bool session_or_say(struct app *app)
{
	if (app_model(app)->sess)
		return true;
	app_message(app, TUI_ROLE_STATUS_ERROR, "%s", _("no session: commands cannot be sent"));
	return false;
}

/* The outcome of a send attempt: sent (the wait begins) or why not. */
static void sent(struct app *app, enum r1_err e, char *why, const char *what,
                 const struct act_target *t)
{
	if (e)
		app_message(app, TUI_ROLE_STATUS_ERROR, _("%s to %s not sent: %s"), what, t->alias,
		            why ? why : r1_strerror(e));
	else
		app_message(app, TUI_ROLE_STATUS_INFO, _("%s sent to %s; waiting for the node..."),
		            what, t->alias);
	r1_free(why);
}

/* ---- restart, stop, heartbeat */

static void do_restart(struct app *app, void *ctx)
{
	struct act *a = ctx;
	struct session_call c;
	app_session_call(app, &c);
	char *why = NULL;
	enum r1_err e = session_restart(app_model(app)->sess, a->t.addr, &c, NULL, &why);
	sent(app, e, why, "RESTART", &a->t);
}

static void do_stop(struct app *app, void *ctx)
{
	struct act *a = ctx;
	struct session_call c;
	app_session_call(app, &c);
	char *why = NULL;
	enum r1_err e = session_stop(app_model(app)->sess, a->t.addr, &c, NULL, &why);
	sent(app, e, why, "STOP", &a->t);
}

static void do_heartbeat(struct app *app, void *ctx)
{
	struct act *a = ctx;
	char *why = NULL;
	enum r1_err e =
	    session_send_command(app_model(app)->sess, a->t.addr, ACT_FULL_HEARTBEAT, NULL, &why);
	if (e)
		sent(app, e, why, ACT_FULL_HEARTBEAT, &a->t);
	else
		app_message(app, TUI_ROLE_STATUS_OK,
		            _("FULL_HEARTBEAT sent to %s (the node answers with a heartbeat)"),
		            a->t.alias);
}

static void confirm(struct app *app, const struct act_target *t, const char *title,
                    const char *action, const char *what_happens, bool danger, app_yes_fn yes)
{
	if (!session_or_say(app))
		return;
	struct act *a = act_new(t);
	if (!a)
		return;
	struct buf msg = BUF_INIT;
	buf_addf(&msg, _("Send %s to "), action);
	node_words(&msg, t);
	buf_addf(&msg, "?\n\n%s", what_happens);
	refused_warning(&msg, t);
	app_confirm(app, title, buf_ok(&msg) ? buf_cstr(&msg) : action, danger, yes, a, act_free);
	buf_release(&msg);
}

void act_restart(struct app *app, const struct act_target *t)
{
	confirm(app, t, _("Restart node"), "RESTART",
	        _("Its pipelines stop and its process restarts; it says so in a notification."),
	        true, do_restart);
}

void act_stop(struct app *app, const struct act_target *t)
{
	confirm(app, t, _("Stop node"), "STOP",
	        _("The node shuts down and stays down until someone starts it again."), true,
	        do_stop);
}

void act_heartbeat(struct app *app, const struct act_target *t)
{
	confirm(app, t, _("Full heartbeat"), "FULL_HEARTBEAT",
	        _("The node sends a heartbeat now, with its logs."), false, do_heartbeat);
}

/* ---- close a pipeline */

static void do_close(struct app *app, void *ctx)
{
	struct act *a = ctx;
	struct session_call c;
	app_session_call(app, &c);
	char *why = NULL;
	enum r1_err e =
	    session_close_pipeline(app_model(app)->sess, a->t.addr, a->t.pipeline, &c, NULL, &why);
	sent(app, e, why, "ARCHIVE_CONFIG", &a->t);
}

void act_close_pipeline(struct app *app, const struct act_target *t)
{
	if (!t->pipeline[0] || !session_or_say(app))
		return;
	if (strcmp(t->pipeline, "admin_pipeline") == 0) {
		app_message(app, TUI_ROLE_STATUS_WARN, "%s",
		            _("the admin pipeline is the node's own: it cannot be closed"));
		return;
	}
	struct act *a = act_new(t);
	if (!a)
		return;
	struct buf msg = BUF_INIT;
	buf_addf(&msg, _("Send ARCHIVE_CONFIG for pipeline '%s' to "), t->pipeline);
	node_words(&msg, t);
	buf_addf(&msg, "?\n\n%s",
	         _("The pipeline and all its plugin instances stop and are removed."));
	refused_warning(&msg, t);
	app_confirm(app, _("Close pipeline"), buf_ok(&msg) ? buf_cstr(&msg) : "", true, do_close, a,
	            act_free);
	buf_release(&msg);
}

/* ---- JSON fields */

/* Check a textarea holds a JSON object; on error, say where (line, column). */
static bool json_object_check(void *ctx, struct field *f, struct buf *msg)
{
	(void)ctx;
	const char *text = field_text(f);
	size_t n = strspn(text, " \n");
	if (!text[n] && !f->required)
		return true;
	json_error_t err;
	json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	if (!v) {
		buf_addf(msg, _("line %d, column %d: %s"), err.line, err.column, err.text);
		return false;
	}
	bool obj = json_is_object(v);
	json_decref(v);
	if (!obj)
		buf_adds(msg, _("must be a JSON object: { ... }"));
	return obj;
}

static json_t *field_json(struct field *f)
{
	const char *text = field_text(f);
	if (!text[strspn(text, " \n")])
		return NULL;
	return json_loads(text, 0, NULL);
}

static void preview(struct buf *b, const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!s)
		return;
	size_t n = strlen(s);
	buf_add(b, s, R1_MIN(n, (size_t)PREVIEW_MAX));
	if (n > PREVIEW_MAX)
		buf_adds(b, "...");
	r1_free(s);
}

static void instance_words(struct buf *b, const struct act_target *t)
{
	buf_addf(b, _("%s '%s' of pipeline '%s' on "), t->signature, t->instance, t->pipeline);
	node_words(b, t);
}

/* ---- instance command */

static void do_command(struct app *app, void *ctx)
{
	struct act *a = ctx;
	struct session_call c;
	app_session_call(app, &c);
	char *why = NULL;
	enum r1_err e = session_instance_command(app_model(app)->sess, a->t.addr, a->t.pipeline,
	                                         a->t.signature, a->t.instance, a->command, NULL,
	                                         NULL, a->params, &c, NULL, &why);
	sent(app, e, why, "INSTANCE_COMMAND", &a->t);
}

static bool command_submit(struct app *app, struct form *f, void *ctx)
{
	struct act *src = ctx;
	struct act *a = act_new(&src->t);
	if (!a)
		return false;
	a->command = r1_strdup(field_text(form_find(f, "command")));
	a->params = field_json(form_find(f, "params"));
	if (!a->command) {
		act_free(a);
		return false;
	}
	struct buf msg = BUF_INIT;
	buf_adds(&msg, _("Send INSTANCE_COMMAND to "));
	instance_words(&msg, &a->t);
	buf_addf(&msg, "?\n\n%s %s", _("command:"), a->command);
	if (a->params && json_object_size(a->params)) {
		buf_addf(&msg, "\n%s ", _("parameters:"));
		preview(&msg, a->params);
	}
	refused_warning(&msg, &a->t);
	app_confirm(app, _("Instance command"), buf_ok(&msg) ? buf_cstr(&msg) : "", false,
	            do_command, a, act_free);
	buf_release(&msg);
	return true;
}

void act_instance_command(struct app *app, const struct act_target *t)
{
	if (!t->instance[0] || !session_or_say(app))
		return;
	struct act *a = act_new(t);
	struct form *f = form_new();
	struct field *cmd = f ? form_add_text(f, "command", _("Command"), "", 256) : NULL;
	struct field *par =
	    cmd ? form_add_textarea(f, "params", _("Parameters (a JSON object, optional)"), "", 6,
	                            0)
	        : NULL;
	if (!a || !par) {
		act_free(a);
		form_free(&f);
		return;
	}
	cmd->required = true;
	field_set_check(par, json_object_check, NULL);
	struct buf title = BUF_INIT;
	buf_addf(&title, _("Command for %s/%s on %s"), t->signature, t->instance, t->alias);
	app_form(app, buf_ok(&title) ? buf_cstr(&title) : "", f, command_submit, a, act_free);
	buf_release(&title);
}

/* ---- config editor */

static void do_update(struct app *app, void *ctx)
{
	struct act *a = ctx;
	struct session_call c;
	app_session_call(app, &c);
	char *why = NULL;
	enum r1_err e =
	    session_update_instance(app_model(app)->sess, a->t.addr, a->t.pipeline, a->t.signature,
	                            a->t.instance, a->config, &c, NULL, &why);
	sent(app, e, why, "UPDATE_PIPELINE_INSTANCE", &a->t);
}

/*
 * Equal as a person edited them: numbers within 1e-12 of each other are the
 * same (the editor shows 15 digits, so 0.1 does not come back as a change).
 */
static bool same_value(const json_t *a, const json_t *b, int depth)
{
	if (json_is_number(a) && json_is_number(b)) {
		double x = json_number_value(a), y = json_number_value(b);
		double scale = fabs(x) > fabs(y) ? fabs(x) : fabs(y);
		return fabs(x - y) <= 1e-12 * (scale > 1 ? scale : 1);
	}
	if (depth > 64 || json_typeof(a) != json_typeof(b))
		return json_equal(a, b);
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return false;
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)a, k, v)
		{
			const json_t *w = json_object_get(b, k);
			if (!w || !same_value(v, w, depth + 1))
				return false;
		}
		return true;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!same_value(json_array_get(a, i), json_array_get(b, i), depth + 1))
				return false;
		return true;
	}
	return json_equal(a, b);
}

/* Keys of `now` that are new or changed against `was` (INSTANCE_ID never). */
static json_t *config_delta(const json_t *was, const json_t *now, size_t *removed)
{
	json_t *d = json_object();
	const char *k;
	json_t *v;
	*removed = 0;
	json_object_foreach((json_t *)now, k, v)
	{
		if (strcmp(k, K_INSTANCE_ID) == 0)
			continue;
		const json_t *old = json_object_get(was, k);
		if (!old || !same_value(old, v, 0))
			json_object_set(d, k, v);
	}
	json_object_foreach((json_t *)was, k, v)
	{
		if (!json_object_get(now, k))
			(*removed)++;
	}
	return d;
}

static bool config_submit(struct app *app, struct form *f, void *ctx)
{
	struct act *src = ctx;
	struct field *fl = form_find(f, "config");
	json_t *now = field_json(fl);
	size_t removed = 0;
	json_t *delta = now ? config_delta(src->config, now, &removed) : NULL;
	json_decref(now);
	if (!delta || json_object_size(delta) == 0) {
		json_decref(delta);
		r1_free(fl->error);
		fl->error = r1_strdup(_("nothing changed: edit a value, or Esc"));
		return false;
	}
	struct act *a = act_new(&src->t);
	if (!a) {
		json_decref(delta);
		return false;
	}
	a->config = delta;
	struct buf msg = BUF_INIT;
	buf_adds(&msg, _("Send UPDATE_PIPELINE_INSTANCE to "));
	instance_words(&msg, &a->t);
	buf_addf(&msg, "?\n\n%s ", _("changed keys:"));
	preview(&msg, delta);
	if (removed)
		buf_addf(&msg, "\n\n%s",
		         _("Keys you deleted stay as they are on the node: an update only sets "
		           "keys."));
	refused_warning(&msg, &a->t);
	app_confirm(app, _("Update instance config"), buf_ok(&msg) ? buf_cstr(&msg) : "", false,
	            do_update, a, act_free);
	buf_release(&msg);
	return true;
}

void act_edit_config(struct app *app, const struct act_target *t, const json_t *config)
{
	if (!t->instance[0] || !session_or_say(app))
		return;
	struct act *a = act_new(t);
	json_t *base = json_is_object(config) ? json_deep_copy(config) : json_object();
	char *text =
	    base ? json_dumps(base, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15))
	         : NULL;
	struct form *f = form_new();
	struct field *fl =
	    f && text ? form_add_textarea(f, "config", _("Instance config (JSON)"), text, 14, 0)
	              : NULL;
	r1_free(text);
	if (!a || !fl) {
		act_free(a);
		json_decref(base);
		form_free(&f);
		return;
	}
	a->config = base;
	fl->required = true;
	field_set_check(fl, json_object_check, NULL);
	struct buf title = BUF_INIT;
	buf_addf(&title, _("Config of %s/%s on %s"), t->signature, t->instance, t->alias);
	app_form(app, buf_ok(&title) ? buf_cstr(&title) : "", f, config_submit, a, act_free);
	buf_release(&title);
}

/* ---- refresh (no confirmation: it changes nothing on the node) */

void act_refresh(struct app *app, const struct act_target *t)
{
	if (!session_or_say(app))
		return;
	const char *nodes[] = {t->addr};
	char *why = NULL;
	if (session_request_netconfig(app_model(app)->sess, nodes, 1, &why))
		app_message(app, TUI_ROLE_STATUS_ERROR, _("cannot ask %s for its pipelines: %s"),
		            t->alias, why ? why : "");
	else
		app_message(app, TUI_ROLE_STATUS_INFO, _("asked %s for its pipelines"), t->alias);
	r1_free(why);
}

/* ---- helpers */

uint64_t view_hash_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

uint64_t view_hash_str(uint64_t h, const char *s)
{
	h = view_hash_bytes(h, s ? s : "", s ? strlen(s) : 0);
	return (h ^ 0xff) * 1099511628211ull;
}

uint64_t view_node_key(const struct nm_node *n)
{
	return view_hash_bytes(VIEW_HASH_SEED, n->pub, R1_PUB_LEN);
}

uint64_t view_pipeline_group_key(const char *name)
{
	if (strcmp(name, ADMIN_PIPELINE) == 0)
		return UINT64_MAX; /* the node's own, after the apps */
	uint64_t k = 0;
	size_t i = 0;
	for (; i < 6 && name[i]; i++)
		k = (k << 8) | (uint8_t)name[i];
	k <<= 8 * (6 - i);
	return (k << 16) | (view_hash_str(VIEW_HASH_SEED, name) & 0xFFFF);
}

const char *view_clean(const char *s, char *scratch, size_t size)
{
	r1_sanitize_into(scratch, size, s ? s : "-", s ? strlen(s) : 1, 0);
	return scratch;
}

/* Length of the CID at p (CIDv0 "Qm" + 44 base58, CIDv1 "bafy"/"bafk" + base32), else 0. */
static size_t cid_at(const char *p)
{
	static const char b58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
	size_t n = 0;
	if (p[0] == 'Q' && p[1] == 'm') {
		while (p[n] && strchr(b58, p[n]))
			n++;
		return n == 46 ? n : 0;
	}
	if (strncmp(p, "bafy", 4) == 0 || strncmp(p, "bafk", 4) == 0) {
		while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '2' && p[n] <= '7'))
			n++;
		return n >= 50 ? n : 0;
	}
	return 0;
}

const char *view_clean_reason(const char *s, char *scratch, size_t size)
{
	view_clean(s, scratch, size);
	static const char ell[] = "\xe2\x80\xa6"; /* … */
	enum { KEEP = 10 };
	char *w = scratch;
	for (const char *r = scratch; *r;) {
		size_t n = (r == scratch || !isalnum((unsigned char)r[-1])) ? cid_at(r) : 0;
		if (n && !isalnum((unsigned char)r[n])) {
			memmove(w, r, KEEP);
			memcpy(w + KEEP, ell, sizeof(ell) - 1);
			w += KEEP + sizeof(ell) - 1;
			r += n;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return scratch;
}

void view_node_name(struct app *app, const char *addr, char *out, size_t size)
{
	struct tui_model *m = app_model(app);
	const char *name = NULL;
	struct tui_host *h = tui_model_host(m, addr);
	const struct nm_node *n = !h && m->nm ? netmap_find_addr(m->nm, addr) : NULL;
	if (h)
		name = h->alias;
	else if (n && n->info.alias[0])
		name = n->info.alias;
	if (name) {
		r1_sanitize_into(out, size, name, strlen(name), 0);
		return;
	}
	size_t len = strlen(addr);
	char cut[32];
	if (len > 16)
		snprintf(cut, sizeof(cut), "%.9s…%s", addr, addr + len - 4);
	else
		snprintf(cut, sizeof(cut), "%s", addr);
	r1_sanitize_into(out, size, cut, strlen(cut), 0);
}

bool view_host_find(struct app *app, const char *arg, size_t *out)
{
	struct tui_model *m = app_model(app);
	*out = 0;
	if (!arg || !*arg)
		return true;
	for (size_t i = 0; i < m->n_hosts; i++)
		if (strcmp(m->hosts[i].alias, arg) == 0 || addr_same(m->hosts[i].addr, arg)) {
			*out = i;
			return true;
		}
	return false;
}

struct tui_host *view_host(struct app *app, size_t i)
{
	struct tui_model *m = app_model(app);
	return i < m->n_hosts ? &m->hosts[i] : NULL;
}

void view_host_crumb(struct view *v, size_t i, const char *title)
{
	struct tui_host *h = view_host(v->app, i);
	char alias[64];
	r1_sanitize_into(alias, sizeof(alias), h ? h->alias : "", h ? strlen(h->alias) : 0, 0);
	snprintf(v->crumb, sizeof(v->crumb), "%s %s", title, alias);
}

size_t view_host_step(struct app *app, size_t i, int step)
{
	size_t n = app_model(app)->n_hosts;
	if (n < 2)
		return i;
	return (i + (step > 0 ? 1 : n - 1)) % n;
}

size_t view_host_aliases(struct app *app, const char *const **out)
{
	struct tui_model *m = app_model(app);
	const char **w = app_words(app, m->n_hosts ? m->n_hosts : 1);
	if (!w)
		return 0;
	for (size_t i = 0; i < m->n_hosts; i++)
		w[i] = m->hosts[i].alias;
	*out = w;
	return m->n_hosts;
}

size_t view_node_aliases(struct app *app, const char *const **out)
{
	struct netmap *nm = app_model(app)->nm;
	size_t n = R1_MIN(netmap_count(nm), (size_t)4096);
	const char **w = app_words(app, n ? n : 1);
	if (!w)
		return 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct nm_node *x = netmap_at(nm, i);
		if (x->info.alias[0])
			w[k++] = x->info.alias;
	}
	*out = w;
	return k;
}

int64_t view_current_epoch(struct app *app)
{
	struct tui_model *m = app_model(app);
	return epoch_id_at(&m->epochs, m->now_ms * 1000);
}

int view_node_avail(struct app *app, const struct nm_node *n, int64_t epoch)
{
	struct tui_model *m = app_model(app);
	if (n->tracking && n->tracker.epoch_id == epoch && epoch == view_current_epoch(app)) {
		double secs = epoch_tracker_avail_seconds(&n->tracker);
		return epoch_avail_record(epoch_avail_so_far(&m->epochs, secs, m->now_ms * 1000));
	}
	return netmap_node_avail(m->nm, n, epoch);
}

void view_filter_term(struct buf *b, const char *key, const char *value)
{
	buf_addf(b, "%s%s:\"", b->len ? " " : "", key);
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

const struct nm_node *view_resolve_node(struct app *app, const char *name, char **why)
{
	const struct nm_node *n = NULL;
	char *detail = NULL;
	enum r1_err e = netmap_resolve(app_model(app)->nm, name, &n, &detail);
	if (e == R1_OK)
		return n;
	if (e == R1_ERR_EXISTS)
		r1_fail(why, e, _("'%s' names several nodes: use the address"), name);
	else
		r1_fail(why, e, _("no node '%s' (an alias, address or ETH address)"), name);
	r1_free(detail);
	return NULL;
}
