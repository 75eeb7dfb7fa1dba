/*
 * One CStore record in full (Enter in the CStore view): its key (hash and
 * field), owner, readonly and token flags, who wrote it and when, the
 * confirmations of a write made here (peer by peer), the other nodes'
 * copies, and the value pretty-printed.  Copies: every other hosted node's
 * is compared directly; 'y' asks the node's peers for theirs, one hsync
 * request per peer in peek mode (the peer's snapshot of the hash is shown,
 * never merged), so a hash field's versions across the network are side by
 * side, differences highlighted; for a plain key 'y' asks each peer that
 * lets this console in for the key's value (CSTORE_REQ get over the bus;
 * the CSTORE_RESP comes back in the payload stream).  e and d edit and
 * delete, as in the list.
 *
 * The record is looked up by key at every use (a change may replace it);
 * the peek requests are the view's and are cancelled when it closes.
 */
#include "tui/lib.h"
#include "tui/fmt.h"
#include "tui/theme.h"
#include "tui/views/csview.h"
#include "tui/views/views.h"
#include "core/hash.h"
#include "core/netmap.h"
#include "core/proto.h"
#include "core/sanitize.h"
#include "node/cstore/msg.h"
#include "node/node.h"

#define PEEKS_MAX   16
#define LABEL_WIDTH 15
#define REQ_WAIT_MS 10000 /* a CSTORE_REQ's answer, as the CLI waits */

enum peek_state { PEEK_ASKING, PEEK_ANSWERED, PEEK_FAILED };

struct ckey_view;

struct peek {
	struct ckey_view *kv;
	char addr[R1_ADDR_LEN + 1];
	enum peek_state state;
	struct cstore *cs; /* the engine asked (hsync); NULL: asked by us (CSTORE_REQ) */
	uint64_t op_id;
	char request_id[40]; /* CSTORE_REQ's */
	int64_t deadline_ms; /* CSTORE_REQ: no answer by then is none */
	json_t
	    *rec; /* the peer's record of our key (NULL: it has none); CSTORE_REQ: the value only */
	char why[160];
};

struct line {
	size_t off, len; /* in text */
	uint16_t role;
	bool label; /* the first LABEL_WIDTH columns are a label */
};

struct ckey_view {
	struct view v;
	struct tui_host *h;
	char *key;
	struct peek peeks[PEEKS_MAX];
	size_t npeeks;
	/* the laid-out text, rebuilt at every frame (one record: cheap) */
	struct buf text;
	struct line *lines;
	size_t nlines, cap;
	size_t top;
	int page;
};

static const struct replica_record *record(struct ckey_view *kv)
{
	struct cstore *cs = tui_host_cstore(kv->h);
	return cs ? cstore_record(cs, kv->key) : NULL;
}

/* ------------------------------------------------------------ lines */

static void add_line(struct ckey_view *kv, size_t from, uint16_t role, bool label)
{
	if (kv->nlines == kv->cap) {
		size_t cap = kv->cap ? kv->cap * 2 : 64;
		struct line *l = r1_reallocarray(kv->lines, cap, sizeof(*l));
		if (!l)
			return;
		kv->lines = l;
		kv->cap = cap;
	}
	kv->lines[kv->nlines++] = (struct line){from, kv->text.len - from, role, label};
}

/* One "LABEL  value" line; the value is sanitized here. */
static void fact(struct ckey_view *kv, const char *label, const char *value, uint16_t role)
{
	size_t from = kv->text.len;
	buf_addf(&kv->text, "%-*s", LABEL_WIDTH, label);
	r1_sanitize_append(&kv->text, value, strlen(value), 0);
	add_line(kv, from, role, true);
}

static void text_line(struct ckey_view *kv, uint16_t role, const char *fmt, ...) R1_PRINTF(3, 4);
static void text_line(struct ckey_view *kv, uint16_t role, const char *fmt, ...)
{
	size_t from = kv->text.len;
	va_list ap;
	va_start(ap, fmt);
	struct buf tmp = BUF_INIT;
	buf_vaddf(&tmp, fmt, ap);
	va_end(ap);
	if (buf_ok(&tmp))
		r1_sanitize_append(&kv->text, buf_cstr(&tmp), tmp.len, 0);
	buf_release(&tmp);
	add_line(kv, from, role, false);
}

static uint16_t copy_role(enum csv_copy c)
{
	static const uint16_t roles[] = {
	    [CSV_SAME] = TUI_ROLE_STATUS_OK,
	    [CSV_DIFFERS] = TUI_ROLE_STATUS_WARN,
	    [CSV_ABSENT] = TUI_ROLE_STATUS_WARN,
	    [CSV_UNKNOWN] = TUI_ROLE_ROW_DIM,
	};
	return roles[c];
}

static void when(struct ckey_view *kv, int64_t us, char *out, size_t size)
{
	char date[32], ago[16];
	int64_t ms = app_now(kv->v.app) - us / 1000;
	fmt_datetime(date, sizeof(date), us / 1000);
	fmt_ago(ago, sizeof(ago), ms);
	if (ms < 1000)
		snprintf(out, size, _("%s (just now)"), date);
	else
		snprintf(out, size, _("%s (%s ago)"), date, ago);
}

static void lay_confirmations(struct ckey_view *kv, const struct replica_record *r)
{
	char buf[160], name[64];
	if (r->confirms < 0) {
		csv_node_name(kv->v.app, r->writer ? r->writer : "?", name, sizeof(name));
		snprintf(buf, sizeof(buf), _("none here: applied from a peer's write (%s)"), name);
		fact(kv, _("confirmations"), buf, 0);
		return;
	}
	snprintf(buf, sizeof(buf), _("%d of %zu peers (%d needed)%s"), r->confirms, r->npeers,
	         r->min_confirms, r->pending ? _(", waiting") : "");
	fact(kv, _("confirmations"), buf,
	     r->confirms >= r->min_confirms ? TUI_ROLE_STATUS_OK
	     : r->pending                   ? TUI_ROLE_STATUS_STALE
	                                    : TUI_ROLE_STATUS_WARN);
	for (size_t i = 0; i < r->npeers; i++) {
		csv_node_name(kv->v.app, r->peers[i].addr, name, sizeof(name));
		text_line(kv, r->peers[i].confirmed ? TUI_ROLE_STATUS_OK : TUI_ROLE_ROW_DIM,
		          "%*s%s %s  %s", LABEL_WIDTH, "", r->peers[i].confirmed ? "+" : "-", name,
		          r->peers[i].confirmed ? _("confirmed") : _("not confirmed"));
	}
}

static void compact(const json_t *v, char *out, size_t size)
{
	char *t = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	snprintf(out, size, "%s", t ? t : "-");
	free(t);
}

static void lay_copies(struct ckey_view *kv, const struct replica_record *r)
{
	struct tui_model *m = app_model(kv->v.app);
	char name[64], value[120];
	size_t shown = 0;
	text_line(kv, TUI_ROLE_PANE_TITLE, "%s", _("Copies on other nodes"));
	for (size_t i = 0; i < m->n_hosts; i++) {
		struct tui_host *o = &m->hosts[i];
		if (o == kv->h)
			continue;
		enum csv_copy c = csv_compare_host(o, r);
		struct cstore *cs = tui_host_cstore(o);
		const struct replica_record *x = cs ? cstore_record(cs, r->key) : NULL;
		csv_node_name(kv->v.app, o->addr, name, sizeof(name));
		snprintf(value, sizeof(value), "%s", c == CSV_DIFFERS && x ? x->value : "");
		text_line(kv, copy_role(c), "  %-20s %-8s %-10s %s", name, _("hosted"),
		          csv_copy_text(c), value);
		shown++;
	}
	for (size_t i = 0; i < kv->npeeks; i++) {
		const struct peek *p = &kv->peeks[i];
		csv_node_name(kv->v.app, p->addr, name, sizeof(name));
		if (p->state == PEEK_ASKING) {
			text_line(kv, TUI_ROLE_ROW_DIM, "  %-20s %-8s %s", name, _("peer"),
			          _("asking..."));
		} else if (p->state == PEEK_FAILED) {
			text_line(kv, TUI_ROLE_STATUS_ERROR, "  %-20s %-8s %s", name, _("peer"),
			          p->why);
		} else {
			enum csv_copy c = csv_compare_snapshot(p->rec, r);
			compact(c == CSV_DIFFERS ? json_object_get(p->rec, "value") : NULL, value,
			        sizeof(value));
			text_line(kv, copy_role(c), "  %-20s %-8s %-10s %s", name, _("peer"),
			          csv_copy_text(c), c == CSV_DIFFERS ? value : "");
		}
		shown++;
	}
	if (!shown)
		text_line(kv, TUI_ROLE_ROW_DIM, "  %s",
		          _("no other hosted node; y asks this node's peers for their copy"));
}

static void lay_out(struct ckey_view *kv)
{
	buf_reset(&kv->text);
	kv->nlines = 0;
	const struct replica_record *r = record(kv);
	if (!r) {
		text_line(kv, TUI_ROLE_STATUS_WARN, "%s",
		          tui_host_cstore(kv->h) ? _("This key is gone from the node's replica.")
		                                 : _("The node's CStore is not running."));
		return;
	}
	struct cstore *cs = tui_host_cstore(kv->h);
	char prefix[HKEY_PREFIX_LEN + 1], buf[200];
	const char *hname = NULL;
	struct buf field = BUF_INIT, owner = BUF_INIT;
	bool is_hash = csv_split_key(cstore_replica(cs), r->key, prefix, &hname, &field);
	if (is_hash) {
		const char *known = csv_hash_name(kv->v.app, cstore_replica(cs), prefix);
		if (hname || !known)
			fact(kv, _("hash"), hname ? hname : prefix, 0);
		else {
			snprintf(buf, sizeof(buf), _("%s (name learned from another hosted node)"),
			         known);
			fact(kv, _("hash"), buf, 0);
		}
		fact(kv, _("field"), buf_ok(&field) ? buf_cstr(&field) : "?", 0);
	}
	fact(kv, _("key"), r->key, is_hash ? TUI_ROLE_ROW_DIM : 0);
	csv_owner_text(kv->v.app, r->owner, &owner);
	fact(kv, _("owner"), buf_ok(&owner) ? buf_cstr(&owner) : "?", 0);
	snprintf(buf, sizeof(buf), "%s    %s %s", r->readonly ? _("yes") : _("no"), _("token:"),
	         r->token ? _("set (writes need it)") : _("none"));
	fact(kv, _("readonly"), buf, 0);
	char name[64], at[64];
	csv_node_name(kv->v.app, r->writer ? r->writer : "-", name, sizeof(name));
	when(kv, r->stamp_us ? r->stamp_us : r->updated_us, at, sizeof(at));
	snprintf(buf, sizeof(buf), _("%s, %s"), r->writer ? name : "-", at);
	fact(kv, _("written by"), buf, 0);
	lay_confirmations(kv, r);
	text_line(kv, 0, "%s", "");
	lay_copies(kv, r);
	text_line(kv, 0, "%s", "");
	text_line(kv, TUI_ROLE_PANE_TITLE,
	          ngettext("Value (%zu byte)", "Value (%zu bytes)", r->value_len), r->value_len);
	struct buf pretty = BUF_INIT;
	fmt_json_pretty(r->value, r->value_len, 2, &pretty);
	const char *p = buf_ok(&pretty) ? buf_cstr(&pretty) : "";
	while (*p) {
		size_t n = strcspn(p, "\n");
		size_t from = kv->text.len;
		buf_adds(&kv->text, "  ");
		r1_sanitize_append(&kv->text, p, n, 0);
		add_line(kv, from, 0, false);
		p += n + (p[n] == '\n');
	}
	buf_release(&pretty);
	buf_release(&field);
	buf_release(&owner);
}

/* ------------------------------------------------------------ peeks */

static void on_peek(void *arg, enum r1_err err, const struct cstore_hsync_result *res,
                    const char *why)
{
	struct peek *p = arg;
	struct ckey_view *kv = p->kv;
	if (err || !res) {
		p->state = PEEK_FAILED;
		snprintf(p->why, sizeof(p->why), "%s",
		         err == R1_ERR_TIMEOUT ? _("no answer")
		         : why                 ? why
		                               : r1_strerror(err));
	} else {
		p->state = PEEK_ANSWERED;
		json_t *rec = json_object_get(res->snapshot, kv->key);
		p->rec = rec ? json_incref(rec) : NULL;
	}
	app_dirty(kv->v.app);
}

/* A peer worth asking: not us, not hosted here (compared directly), not asked yet. */
static void add_candidate(struct ckey_view *kv, const char **cand, size_t *n, const char *addr)
{
	struct tui_model *m = app_model(kv->v.app);
	if (!addr || *n == PEEKS_MAX || addr_same(addr, kv->h->addr) ||
	    addr_same(addr, m->self_addr) || tui_model_host(m, addr))
		return;
	for (size_t i = 0; i < *n; i++)
		if (addr_same(cand[i], addr))
			return;
	cand[(*n)++] = addr;
}

static void clear_peeks(struct ckey_view *kv)
{
	for (size_t i = 0; i < kv->npeeks; i++) {
		struct peek *p = &kv->peeks[i];
		if (p->state == PEEK_ASKING)
			cstore_cancel(p->cs, p->op_id);
		json_decref(p->rec);
	}
	kv->npeeks = 0;
}

/*
 * Who to ask: the peers this version went to, its writer, and the node's
 * allow-list entries that are online; for CSTORE_REQ (remote), only nodes
 * that let us in.
 */
static size_t candidates(struct ckey_view *kv, const struct replica_record *r, bool remote,
                         const char **cand, char (*addrs)[R1_ADDR_LEN + 1])
{
	struct netmap *nm = app_model(kv->v.app)->nm;
	const char *all[PEEKS_MAX * 3];
	size_t n = 0, na = 0, out = 0;
	for (size_t i = 0; i < r->npeers && n < R1_ARRAY_LEN(all); i++)
		all[n++] = r->peers[i].addr;
	if (r->writer)
		all[n++] = r->writer;
	json_t *wl = kv->h->node ? node_whitelist(kv->h->node) : NULL;
	size_t i;
	json_t *e;
	json_array_foreach(wl, i, e)
	{
		const char *a = json_string_value(e);
		if (!a || na == PEEKS_MAX || n == R1_ARRAY_LEN(all))
			continue;
		snprintf(addrs[na], R1_ADDR_LEN + 1, "%s%s", strncmp(a, "0xai_", 5) ? "0xai_" : "",
		         a);
		const struct nm_node *nn = nm ? netmap_find_addr(nm, addrs[na]) : NULL;
		if (nn && nn->online)
			all[n++] = addrs[na++];
	}
	json_decref(wl);
	for (size_t k = 0; k < n; k++) {
		const struct nm_node *nn = nm ? netmap_find_addr(nm, all[k]) : NULL;
		if (remote && (!nn || !nn->peered))
			continue; /* it would refuse us */
		add_candidate(kv, cand, &out, all[k]);
	}
	return out;
}

static void new_request_id(char out[40])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[12];
	random_bytes(b, sizeof(b));
	memcpy(out, "tui-", 4);
	for (size_t i = 0; i < sizeof(b); i++) {
		out[4 + 2 * i] = hex[b[i] >> 4];
		out[5 + 2 * i] = hex[b[i] & 15];
	}
	out[4 + 2 * sizeof(b)] = '\0';
}

/* A plain key: each peer that lets us in is asked for it (CSTORE_REQ get). */
static size_t ask_remote(struct ckey_view *kv, const char *const *cand, size_t n)
{
	struct tui_model *m = app_model(kv->v.app);
	for (size_t k = 0; k < n; k++) {
		struct peek *p = &kv->peeks[kv->npeeks++];
		memset(p, 0, sizeof(*p));
		p->kv = kv;
		snprintf(p->addr, sizeof(p->addr), "%s", cand[k]);
		new_request_id(p->request_id);
		p->deadline_ms = tui_wall_ms() + REQ_WAIT_MS;
		json_t *req =
		    cstore_msg_req(p->request_id, "get", NULL, kv->key, NULL, NULL, false, NULL);
		json_t *fields = req ? json_pack("{s:o}", K_CHAIN_STORE_DATA, req) : NULL;
		char *why = NULL;
		enum r1_err e = fields ? m->send_payload(m->send_ctx, p->addr, SIG_CHAIN_STORE_BASE,
		                                         fields, &why)
		                       : r1_fail(&why, R1_ERR_NOMEM, "%s", _("out of memory"));
		if (e) {
			p->state = PEEK_FAILED;
			snprintf(p->why, sizeof(p->why), "%s", why ? why : "?");
		}
		r1_free(why);
		json_decref(fields);
	}
	return n;
}

/* A hash field: the node's engine asks each peer for the hash (hsync, peek). */
static size_t ask_hsync(struct ckey_view *kv, struct cstore *cs, const char *hname,
                        const char *const *cand, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		struct peek *p = &kv->peeks[kv->npeeks++];
		memset(p, 0, sizeof(*p));
		p->kv = kv;
		p->cs = cs;
		snprintf(p->addr, sizeof(p->addr), "%s", cand[k]);
		struct cstore_hsync_opts o = {
		    .peers = &cand[k], .npeers = 1, .no_default_peers = true, .peek = true};
		char *why = NULL;
		if (cstore_hsync(cs, hname, &o, on_peek, p, &p->op_id, &why)) {
			p->state = PEEK_FAILED;
			snprintf(p->why, sizeof(p->why), "%s", why ? why : "?");
			r1_free(why);
		}
	}
	return n;
}

static unsigned k_peek(void *ctx)
{
	struct ckey_view *kv = ctx;
	struct app *app = kv->v.app;
	const struct replica_record *r = record(kv);
	struct cstore *cs = tui_host_cstore(kv->h);
	if (!r || !cs)
		return TUI_CONSUMED;
	char prefix[HKEY_PREFIX_LEN + 1];
	const char *hname = NULL;
	struct buf field = BUF_INIT;
	bool is_hash = csv_split_key(cstore_replica(cs), r->key, prefix, &hname, &field);
	buf_release(&field);
	if (is_hash)
		hname = csv_hash_name(app, cstore_replica(cs), prefix);
	bool remote = !is_hash || !hname;
	if (remote && !app_model(app)->send_payload) {
		app_message(app, TUI_ROLE_STATUS_WARN, "%s", _("no network to ask the peers on"));
		return TUI_CONSUMED;
	}
	const char *cand[PEEKS_MAX];
	char addrs[PEEKS_MAX][R1_ADDR_LEN + 1];
	clear_peeks(kv);
	size_t n = candidates(kv, r, remote, cand, addrs);
	n = remote ? ask_remote(kv, cand, n) : ask_hsync(kv, cs, hname, cand, n);
	if (!n)
		app_message(app, TUI_ROLE_STATUS_INFO, "%s",
		            remote ? _("no peer to ask: the others are hosted here (above), or do "
		                       "not let this console in")
		                   : _("no peer to ask: every peer of this node is hosted here "
		                       "(above)"));
	else
		app_message(app, TUI_ROLE_STATUS_INFO,
		            remote ? ngettext("asked %zu peer for its value (CSTORE_REQ)",
		                              "asked %zu peers for their value (CSTORE_REQ)", n)
		                   : ngettext("asked %zu peer for its copy",
		                              "asked %zu peers for their copy", n),
		            n);
	return TUI_CONSUMED | TUI_REDRAW;
}

/* A CSTORE_RESP from a peer we asked (the payload stream brings it, decrypted). */
static bool v_message(struct view *v, enum stream_kind k, const struct stream_entry *e)
{
	struct ckey_view *kv = (struct ckey_view *)v;
	if (k != STREAM_PAYLOADS || !e->verified || !e->body ||
	    strcmp(e->signature, SIG_CHAIN_STORE_BASE) != 0)
		return false;
	struct peek *p = NULL;
	for (size_t i = 0; i < kv->npeeks && !p; i++)
		if (!kv->peeks[i].cs && kv->peeks[i].state == PEEK_ASKING &&
		    addr_same(kv->peeks[i].addr, e->sender))
			p = &kv->peeks[i];
	if (!p)
		return false;
	json_t *body = json_loads(e->body, 0, NULL);
	struct cstore_msg m;
	bool ours =
	    body &&
	    cstore_msg_parse(json_object_get(body, K_CHAIN_STORE_DATA), &m, NULL) == R1_OK &&
	    m.op == CSOP_RESP && m.request_id && strcmp(m.request_id, p->request_id) == 0;
	if (ours && m.ok) {
		p->state = PEEK_ANSWERED;
		p->rec = m.result && !json_is_null(m.result)
		             ? json_pack("{s:O}", "value", (json_t *)m.result)
		             : NULL;
	} else if (ours) {
		p->state = PEEK_FAILED;
		snprintf(p->why, sizeof(p->why), "%s", m.reason ? m.reason : _("refused"));
	}
	json_decref(body);
	return ours;
}

/* ------------------------------------------------------------ keys */

static unsigned k_edit(void *ctx)
{
	struct ckey_view *kv = ctx;
	csv_edit(kv->v.app, kv->h, kv->key);
	return TUI_CONSUMED | TUI_REDRAW;
}

static unsigned k_delete(void *ctx)
{
	struct ckey_view *kv = ctx;
	csv_delete(kv->v.app, kv->h, kv->key);
	return TUI_CONSUMED | TUI_REDRAW;
}

static const struct keymap_entry keys[] = {
    {'y', N_("ask peers"), N_("ask the node's peers for their copy (hsync, peek: nothing merged)"),
     KEYMAP_BAR, k_peek},
    {'e', N_("edit"), N_("edit the value (confirmed before it is written)"),
     KEYMAP_BAR | KEYMAP_WRITES, k_edit},
    {'d', N_("delete"), N_("delete the key (confirmed)"), KEYMAP_BAR | KEYMAP_WRITES, k_delete},
};

static unsigned v_key(struct view *v, int key)
{
	struct ckey_view *kv = (struct ckey_view *)v;
	size_t page = (size_t)R1_MAX(kv->page, 1);
	size_t last = kv->nlines > page ? kv->nlines - page : 0;
	size_t top = kv->top;
	switch (key) {
	case TUI_KEY_UP:
	case 'k':
		top = top ? top - 1 : 0;
		break;
	case TUI_KEY_DOWN:
	case 'j':
		top = R1_MIN(top + 1, last);
		break;
	case TUI_KEY_PGUP:
		top = top > page ? top - page : 0;
		break;
	case TUI_KEY_PGDN:
	case ' ':
		top = R1_MIN(top + page, last);
		break;
	case TUI_KEY_HOME:
	case 'g':
		top = 0;
		break;
	case TUI_KEY_END:
	case 'G':
		top = last;
		break;
	default:
		return TUI_IGNORED;
	}
	kv->top = top;
	return TUI_CONSUMED | TUI_REDRAW;
}

/* ------------------------------------------------------------ view */

static void v_draw(struct view *v, struct grid_area a)
{
	struct ckey_view *kv = (struct ckey_view *)v;
	lay_out(kv); /* always what the replica holds now */
	kv->page = a.h;
	if (kv->top + (size_t)a.h > kv->nlines)
		kv->top = kv->nlines > (size_t)a.h ? kv->nlines - (size_t)a.h : 0;
	const char *base = buf_cstr(&kv->text);
	for (int y = 0; y < a.h && kv->top + (size_t)y < kv->nlines; y++) {
		const struct line *l = &kv->lines[kv->top + (size_t)y];
		const char *s = base + l->off;
		if (l->label && l->len >= LABEL_WIDTH) {
			grid_textn(a, 0, y, s, LABEL_WIDTH, TUI_ROLE_LABEL, 0);
			grid_textn(a, LABEL_WIDTH, y, s + LABEL_WIDTH, l->len - LABEL_WIDTH,
			           l->role, 0);
		} else {
			grid_textn(a, 0, y, s, l->len, l->role, 0);
		}
	}
}

static bool v_host(struct view *v, struct tui_host *h)
{
	(void)v;
	(void)h;
	return true; /* the record, or a copy */
}

static void v_status(struct view *v, struct buf *out)
{
	struct ckey_view *kv = (struct ckey_view *)v;
	size_t answered = 0;
	for (size_t i = 0; i < kv->npeeks; i++)
		answered += kv->peeks[i].state != PEEK_ASKING;
	buf_addf(out, ngettext("%zu line", "%zu lines", kv->nlines), kv->nlines);
	if (kv->npeeks)
		buf_addf(out, _(", %zu of %zu peers answered"), answered, kv->npeeks);
}

static bool v_tick(struct view *v)
{
	struct ckey_view *kv = (struct ckey_view *)v;
	int64_t now = tui_wall_ms();
	for (size_t i = 0; i < kv->npeeks; i++) {
		struct peek *p = &kv->peeks[i];
		if (!p->cs && p->state == PEEK_ASKING && now >= p->deadline_ms) {
			p->state = PEEK_FAILED;
			snprintf(p->why, sizeof(p->why), "%s", _("no answer"));
		}
	}
	return true; /* ages */
}

static void v_free(struct view *v)
{
	struct ckey_view *kv = (struct ckey_view *)v;
	clear_peeks(kv);
	buf_release(&kv->text);
	r1_free(kv->lines);
	r1_free(kv->key);
	r1_free(kv);
}

static const struct view_ops ops = {
    .free = v_free,
    .draw = v_draw,
    .key = v_key,
    .host = v_host,
    .message = v_message,
    .status = v_status,
    .tick = v_tick,
};

struct view *view_cstore_key_new(struct app *app, struct tui_host *h, const char *key)
{
	struct ckey_view *kv = r1_calloc(1, sizeof(*kv));
	if (!kv)
		return NULL;
	struct cstore *cs = tui_host_cstore(h);
	char prefix[HKEY_PREFIX_LEN + 1];
	const char *hname = NULL;
	struct buf crumb = BUF_INIT;
	bool is_hash = csv_split_key(cs ? cstore_replica(cs) : NULL, key, prefix, &hname, &crumb);
	if (is_hash) {
		hname = csv_hash_name(app, cs ? cstore_replica(cs) : NULL, prefix);
		struct buf c2 = BUF_INIT;
		if (hname)
			r1_sanitize_append(&c2, hname, strlen(hname), 0);
		else
			buf_adds(&c2, prefix);
		buf_addf(&c2, "/%s", buf_ok(&crumb) ? buf_cstr(&crumb) : "?");
		buf_release(&crumb);
		crumb = c2;
	}
	view_init(&kv->v, &view_cstore_key_class, &ops, app,
	          buf_ok(&crumb) ? buf_cstr(&crumb) : "");
	buf_release(&crumb);
	kv->v.keys = keys;
	kv->v.nkeys = R1_ARRAY_LEN(keys);
	kv->h = h;
	kv->key = r1_strdup(key);
	if (!kv->key) {
		v_free(&kv->v);
		return NULL;
	}
	return &kv->v;
}

static enum r1_err v_open(struct app *app, const char *arg, struct view **out, char **why)
{
	(void)arg;
	(void)out;
	(void)app;
	return r1_fail(why, R1_ERR_INVAL, "%s", _("open a record from the CStore view"));
}

const struct view_class view_cstore_key_class = {
    .name = "cstore-key",
    .title = N_("CStore record"),
    .hidden = true,
    .open = v_open,
};
